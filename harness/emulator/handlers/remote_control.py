"""Block F, remote control: remote start/stop, unlock, trigger message."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator import charging_profiles, firmware
from harness.emulator.handlers import certificates, diagnostics
from harness.emulator.handlers.registry import Result, handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


@handles("RequestStartTransaction")
async def request_start(st: EmulatedStation, p: dict[str, Any]) -> Result:
    evse_id = p.get("evseId")
    if evse_id is not None:
        evse = st.evses.get(evse_id)
    else:
        evse = next((e for e in st.evses.values() if e.tx is None and e.id_token is None
                     and e.operative), None)
    if evse is None or not evse.operative or not st.operative or evse.id_token is not None:
        return {"status": "Rejected"}
    if st.reserved_for_other(evse, p["idToken"]):
        return {"status": "Rejected"}  # reserved for another idToken (H03.FR.06)
    profile = p.get("chargingProfile")
    # Built with Smart Charging when its sheet claims it (or claims nothing); option
    # ``smart_charging`` says otherwise (a bench claiming the wrong variant, tests/).
    smart = st.config.options.get(
        "smart_charging", not st.config.profiles or "Smart Charging" in st.config.profiles)
    if profile is not None and not smart:
        profile = None  # F01.FR.12: a station without Smart Charging ignores the profile
    if profile is not None and profile.get("chargingProfilePurpose") != "TxProfile":
        return {"status": "Rejected"}  # K05: only a TxProfile (F01.FR.12 when not supported)
    response: dict[str, Any] = {"status": "Accepted"}
    if evse.tx is not None:
        response["transactionId"] = evse.tx.id
    token = p["idToken"]
    remote_start_id = p["remoteStartId"]

    async def start() -> None:
        if st.dm.get_bool("AuthCtrlr", "AuthorizeRemoteStart"):
            status = await st._authorize_remote(token)
            if status != "Accepted":
                return
        assert evse is not None
        if profile is not None:  # K05.FR.03: for the transaction this start begins
            charging_profiles.store(st).pending[evse.id] = dict(profile)
        st.authorize(evse, token, "RemoteStart", remote_start_id)
        if evse.tx is not None and evse.id in charging_profiles.store(st).pending:
            charging_profiles.tx_started(st, evse)  # the transaction had begun before

    return response, start


@handles("RequestStopTransaction")
async def request_stop(st: EmulatedStation, p: dict[str, Any]) -> Result:
    evse = next((e for e in st.evses.values() if e.tx is not None
                 and e.tx.id == p["transactionId"]), None)
    if evse is None:
        return {"status": "Accepted" if "remote_stop_unknown_accepted" in st.quirks else "Rejected"}

    async def stop() -> None:
        # F03: as a local stop, the energy transfer stops; the transaction ends if TxStopPoint
        # says so (Authorized, PowerPathClosed, ...), else when the EV leaves.
        assert evse is not None
        evse.id_token = None
        reason = "Local" if "remote_stop_wrong_reason" in st.quirks else "Remote"
        st._evaluate(evse, "RemoteStop", reason)

    return {"status": "Accepted"}, stop


@handles("UnlockConnector")
async def unlock_connector(st: EmulatedStation, p: dict[str, Any]) -> Result:
    evse = st.evses.get(p["evseId"])
    connector = evse.connectors.get(p["connectorId"]) if evse else None
    if evse is None or connector is None:
        return {"status": "UnknownConnector"}
    if evse.tx is not None and evse.tx.id_token and "unlocks_during_transaction" not in st.quirks:
        return {"status": "OngoingAuthorizedTransaction"}
    connector.locked = False
    return {"status": "Unlocked"}


@handles("TriggerMessage")
async def trigger_message(st: EmulatedStation, p: dict[str, Any]) -> Result:
    what = p["requestedMessage"]
    evse_ref = p.get("evse") or {}
    evse = st.evses.get(evse_ref["id"]) if evse_ref.get("id") else None
    if evse_ref.get("id") and evse is None:
        return {"status": "Rejected"}
    if what == "BootNotification":
        if st.registration == "Accepted":
            return {"status": "Rejected"}

        async def boot() -> None:
            st._boot_trigger.set()

        return {"status": "Accepted"}, boot
    if what == "Heartbeat":
        async def heartbeat() -> None:
            if "trigger_heartbeat_ignored" not in st.quirks:
                st.send("Heartbeat", {})

        return {"status": "Accepted"}, heartbeat
    if what == "StatusNotification":
        connector_id = evse_ref.get("connectorId")
        if evse is None or connector_id not in evse.connectors:
            return {"status": "Rejected"}

        async def status() -> None:
            assert evse is not None
            st.send("StatusNotification", st._status_payload(evse.id, connector_id))

        return {"status": "Accepted"}, status
    if what == "MeterValues":
        async def meter_values() -> None:
            measurands = st.dm.get_list("AlignedDataCtrlr", "Measurands")
            for e in [evse] if evse else st.evses.values():
                st.send("MeterValues", {"evseId": e.id,
                                        "meterValue": [st._meter_value(e, measurands, "Trigger")]})

        return {"status": "Accepted"}, meter_values
    if what == "TransactionEvent":
        targets = [e for e in ([evse] if evse else st.evses.values()) if e.tx is not None]

        async def tx_events() -> None:
            for e in targets:
                st._tx_event(e, "Updated", "Trigger", meter=[st._meter_value(
                    e, st.dm.get_list("SampledDataCtrlr", "TxUpdatedMeasurands"), "Trigger")])

        return {"status": "Accepted"}, tx_events
    if what == "LogStatusNotification":
        async def log_status() -> None:
            st.send("LogStatusNotification", diagnostics.trigger_payload(st))

        return {"status": "Accepted"}, log_status
    if what == "FirmwareStatusNotification":
        async def firmware_status() -> None:
            st.send("FirmwareStatusNotification", firmware.trigger_payload(st))

        return {"status": "Accepted"}, firmware_status
    if what == "SignChargingStationCertificate":
        async def sign() -> None:  # A02.FR.02: after the TriggerMessageResponse
            await certificates.request_signing(st)

        return {"status": "Accepted"}, sign
    if what == "SignV2GCertificate":
        async def sign_v2g() -> None:  # A03: the SECC's V2G certificate
            await certificates.request_signing(st, certificates.V2G_CERTIFICATE)

        return {"status": "Accepted"}, sign_v2g
    return {"status": "NotImplemented"}
