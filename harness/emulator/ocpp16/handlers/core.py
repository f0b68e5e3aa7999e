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
    if connector_id == 0:
        return {"status": "Rejected"}  # 1.6 section 5.11: connectorId 0 is not a connector
    if p.get("chargingProfile") is not None:
        # Smart Charging profile not adapted yet: a station without it rejects (1.6 5.11).
        st.on_event("RemoteStartTransaction with a chargingProfile: not supported yet")
        return {"status": "Rejected"}
    request: dict[str, Any] = {"idToken": {"idToken": p["idTag"], "type": "ISO14443"},
                               "remoteStartId": next(_remote_start_ids)}
    if connector_id is not None:
        where = st.connectors.evse_of(connector_id)
        if where is None:
            return {"status": "Rejected"}
        request["evseId"] = where[0]
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
    return status_map(await shared(st, "Reset", {"type": "Immediate"}), {})


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
    evse = st.evses[where[0]]
    if evse.tx is not None:
        # 1.6 section 5.18: a transaction on the connector is stopped first (UnlockCommand).
        st._end_tx(evse, "UnlockCommand", "UnlockCommand")
    result = await shared(st, "UnlockConnector", {"evseId": where[0], "connectorId": where[1]})
    return status_map(result, {"OngoingAuthorizedTransaction": "UnlockFailed",
                                "UnknownConnector": "NotSupported"})


@handles16("ClearCache")
async def clear_cache(st: EmulatedStation16, p: dict[str, Any]) -> Result:
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
    request: dict[str, Any] = {"requestedMessage": TRIGGERS[what]}
    if connector_id:
        where = st.connectors.evse_of(connector_id)
        if where is None:
            return {"status": "Rejected"}
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
    return {"status": await st.configuration.change(st, p["key"], p["value"])}
