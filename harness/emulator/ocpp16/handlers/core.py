"""The Core and Remote Trigger requests of a 1.6 Central System: each 1.6 request is
said as the 2.0.1 request the shared handler (:mod:`harness.emulator.handlers`) answers, and
the answer said back in 1.6. Only what 1.6 does differently is written here."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import Result
from harness.emulator.ocpp16.handlers.registry import handles16, shared, status_map

if TYPE_CHECKING:
    from harness.emulator.ocpp16.station import EmulatedStation16

_remote_start_ids = itertools.count(1)


@handles16("RemoteStartTransaction")
async def remote_start(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    connector_id = p.get("connectorId")
    if connector_id == 0 and "remote_start_connector_zero_accepted" in st.quirks:
        connector_id = None  # the defect: connector 0 taken for "any connector"
    if connector_id == 0:
        return {"status": "Rejected"}  # 1.6 section 5.11: connectorId 0 is not a connector
    request: dict[str, Any] = {"idToken": {"idToken": p["idTag"], "type": "ISO14443"},
                               "remoteStartId": next(_remote_start_ids)}
    if p.get("chargingProfile") is not None and "remote_start_profile_ignored_16" not in st.quirks:
        # 1.6 section 5.11: the TxProfile of the transaction this start begins; the shared
        # handler rejects another purpose and installs it when the transaction starts.
        from harness.emulator.ocpp16.handlers.smart_charging import profile_201

        request["chargingProfile"] = profile_201(p["chargingProfile"])
    if connector_id is not None:
        where = st.connectors.evse_of(connector_id)
        if where is None:
            return {"status": "Rejected"}
        request["evseId"] = where[0]
    from harness.emulator.ocpp16.handlers import reservation

    if reservation.needs_parent(st, connector_id, p["idTag"]):  # 1.6 section 5.13
        return {"status": "Accepted"}, reservation.start_once_parent_known(st, request)
    return status_map(await shared(st, "RequestStartTransaction", request), {})


@handles16("RemoteStopTransaction")
async def remote_stop(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    tx_id = st.tx_ids.internal(p["transactionId"])
    if tx_id is None:
        return {"status": "Rejected"}
    return status_map(await shared(st, "RequestStopTransaction", {"transactionId": tx_id}), {})


@handles16("Reset")
async def reset(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    # Hard and Soft both end the transactions and reboot here; the StopTransaction reason says
    # which (HardReset / SoftReset).
    st.reset_type = p["type"]
    result = status_map(await shared(st, "Reset", {"type": "Immediate"}), {})
    if p["type"] == "Hard" and isinstance(result, tuple):
        async def hard_reset() -> None:
            # 1.6 section 5.14: a hard reset restarts the hardware at once, without stopping
            # the transactions gracefully; their StopTransaction (HardReset) follows the boot.
            for evse in st.evses.values():
                st._end_tx(evse, "ResetCommand", "ImmediateReset")
            st.reboot("RemoteReset")

        return result[0], hard_reset
    return result  # Soft: transactions stopped (SoftReset) and delivered, then the reboot


@handles16("ChangeAvailability")
async def change_availability(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    request: dict[str, Any] = {"operationalStatus": p["type"]}
    if p["connectorId"] != 0:
        where = st.connectors.evse_of(p["connectorId"])
        if where is None:
            return {"status": "Rejected"}
        request["evse"] = {"id": where[0]}
    return status_map(await shared(st, "ChangeAvailability", request), {})


@handles16("UnlockConnector")
async def unlock_connector(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    where = st.connectors.evse_of(p["connectorId"])
    if where is None:
        return {"status": "NotSupported"}  # 1.6 UnlockStatus has no UnknownConnector
    if not st.detachable_cable:
        return {"status": "NotSupported"}  # a fixed cable: no lock on the charge point side
    evse = st.evses[where[0]]
    if evse.tx is not None and "unlock_keeps_transaction" not in st.quirks:
        # 1.6 section 5.18: a transaction on the connector is stopped first (UnlockCommand).
        st._end_tx(evse, "UnlockCommand", "UnlockCommand")
    if evse.tx is not None:
        return {"status": "Unlocked"}  # the defect: unlocked under a running transaction
    if not st.lock_moves(evse):
        return {"status": "UnlockFailed"}  # the lock is jammed (fault input ConnectorLockFailure)
    result = await shared(st, "UnlockConnector", {"evseId": where[0], "connectorId": where[1]})
    st.cable_released(evse)
    return status_map(result, {"OngoingAuthorizedTransaction": "UnlockFailed",
                               "UnknownConnector": "NotSupported"})


@handles16("ClearCache")
async def clear_cache(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    if "clear_cache_ignored" in st.quirks:
        return {"status": "Accepted"}  # the defect: answers, keeps every entry (1.6 5.4)
    return await shared(st, "ClearCache", {})


@handles16("DataTransfer")
async def data_transfer(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    return await shared(st, "DataTransfer", p)  # same fields and statuses in 1.6


TRIGGERS = {"BootNotification": "BootNotification", "Heartbeat": "Heartbeat",
            "StatusNotification": "StatusNotification", "MeterValues": "MeterValues",
            "FirmwareStatusNotification": "FirmwareStatusNotification",
            "DiagnosticsStatusNotification": "LogStatusNotification"}


@handles16("TriggerMessage")
async def trigger_message(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    what = p["requestedMessage"]
    connector_id = p.get("connectorId")
    if what == "StatusNotification" and connector_id in (None, 0):
        async def all_statuses() -> None:
            st.report_all_statuses()

        return {"status": "Accepted"}, all_statuses
    if what == "FirmwareStatusNotification":
        from harness.emulator.ocpp16.handlers.firmware import trigger_firmware_status

        return trigger_firmware_status(st)
    request: dict[str, Any] = {"requestedMessage": TRIGGERS[what]}
    # 1.6 section 5.17: a connectorId not relevant to the message is ignored.
    if connector_id and what in ("StatusNotification", "MeterValues"):
        where = st.connectors.evse_of(connector_id)
        if where is None:
            if "trigger16_unknown_connector_accepted" in st.quirks:
                return {"status": "Accepted"}  # the defect: accepts, then sends nothing
            return {"status": "Rejected"}  # 1.6 section 5.17 (TC_055_CS)
        request["evse"] = {"id": where[0], "connectorId": where[1]}
    return status_map(await shared(st, "TriggerMessage", request), {})


@handles16("GetConfiguration")
async def get_configuration(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    wanted = p.get("key") or st.configuration.keys(st)
    known, unknown = [], []
    for key in wanted:
        entry = st.configuration.read(st, key)
        (known if entry is not None else unknown).append(entry or key)
    reply: dict[str, Any] = {}
    if known:
        reply["configurationKey"] = known
    if unknown:
        reply["unknownKey"] = unknown
    return reply


@handles16("ChangeConfiguration")
async def change_configuration(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    from harness.emulator.ocpp16.handlers.security import KEY_CHANGES

    if p["key"] in KEY_CHANGES:  # a new password / security profile: reconnects when Accepted
        return await KEY_CHANGES[p["key"]](st, p["value"])
    status = await st.configuration.change(st, p["key"], p["value"])
    if status == "NotSupported" and "change_configuration_unknown_rejected" in st.quirks:
        status = "Rejected"  # the defect: an unknown key is not told from a refused value
    return {"status": status}
