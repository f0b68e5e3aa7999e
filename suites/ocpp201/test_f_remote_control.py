"""OCTT block F, RemoteControl (Charging Station side): remote start/stop, unlock, trigger."""

from __future__ import annotations

import random

import pytest

from harness.csms.session import ExpectTimeout, StationSession
from suites.ocpp201.support import (
    first_connector,
    id_token,
    set_variable,
    start_charging,
    tx_id,
)
from suites.ocpp201.transactions import (
    STOPS_ON_DEAUTHORIZE,
    applied,
    check_meter_value,
    check_sequence,
    end_by_unplug,
    list_variable,
    stop_remotely,
    try_set,
    tx_points,
    unknown_transaction_id,
)


def _remote_start_id() -> int:
    return random.randint(1, 2**31 - 1)


async def _request_start(station: StationSession, token: dict, evse: int, remote_start_id: int,
                         situation: str) -> dict:
    reply = await station.call("RequestStartTransaction", {
        "idToken": token, "remoteStartId": remote_start_id, "evseId": evse})
    assert reply["status"] == "Accepted", (
        f"RequestStartTransaction {situation}: expected Accepted, the station answered "
        f"{reply.payload}")
    return reply.payload


def _remote_started(payload: dict, remote_start_id: int) -> bool:
    return (payload.get("transactionInfo") or {}).get("remoteStartId") == remote_start_id


async def _expect_remote_transaction(station: StationSession, remote_start_id: int,
                                     token: dict, within: float):
    """The TransactionEvent that carries ``remoteStartId`` (Started, or Updated when the
    transaction already ran), with the idToken of the request (F01, F02)."""
    try:
        event = await station.expect(
            "TransactionEvent", lambda p: _remote_started(p, remote_start_id), within=within)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"after an accepted RequestStartTransaction(remoteStartId={remote_start_id}) the "
            "station must send a TransactionEvent with transactionInfo.remoteStartId "
            f"{remote_start_id} (F01, F02); none came.\n{exc}") from None
    assert (event.get("idToken") or {}).get("idToken") == token["idToken"], (
        f"the TransactionEvent of the remote start (seqNo {event.get('seqNo')}, "
        f"{event.get('eventType')}) must carry the idToken {token['idToken']} of the request; "
        f"it has {event.get('idToken')}")
    return event


# ---- F01 / F02: remote start ------------------------------------------------------------------
@pytest.mark.octt("TC_F_01_CS")
async def test_remote_start_cable_plugged_in_first(station, operator, bench):
    """Remote start transaction - Cable plugin first.

    The EV is connected, then RequestStartTransaction: Accepted, with the transactionId when
    the connection already started a transaction; the station authorizes the idToken with
    the CSMS if AuthorizeRemoteStart is true, and the transaction carries remoteStartId and
    the idToken and reaches Charging (F01.FR.03, F01.FR.04, F01.FR.05, F01.FR.13, F01.FR.17,
    F01.FR.19, F02.FR.01).
    """
    evse, connector = first_connector(bench)
    token = id_token(bench)
    await operator.plug_in(evse, connector)
    starts, _ = await tx_points(station)
    early = None
    if "EVConnected" in starts or "ParkingBayOccupancy" in starts:
        early = await station.expect("TransactionEvent", {"eventType": "Started"})
    remote_start_id = _remote_start_id()
    reply = await _request_start(station, token, evse, remote_start_id, "with the EV connected")
    if early is not None:
        assert reply.get("transactionId") == tx_id(early), (
            f"RequestStartTransaction while transaction {tx_id(early)} already runs on EVSE "
            f"{evse}: the response must carry its transactionId (F01.FR.17), got {reply}")
    event = await _expect_remote_transaction(station, remote_start_id, token,
                                             within=bench.csms.message_timeout)
    if event["transactionInfo"].get("chargingState") != "Charging":
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(event),
            "transactionInfo.chargingState": "Charging"})
    assert event["triggerReason"] == "RemoteStart", (
        f"the TransactionEvent that reports the remote start of the connected EV must have "
        f"triggerReason RemoteStart, got {event['triggerReason']!r}")
    check_sequence(station, tx_id(event))
    await stop_remotely(station, tx_id(event))


async def _remote_start_first(station: StationSession, operator, bench, authorize: bool) -> None:
    if not applied(await try_set(station, "AuthCtrlr", "AuthorizeRemoteStart",
                                 "true" if authorize else "false")):
        pytest.skip(f"AuthCtrlr.AuthorizeRemoteStart cannot be set to {authorize}")
    evse, connector = first_connector(bench)
    token = id_token(bench)
    remote_start_id = _remote_start_id()
    await _request_start(station, token, evse, remote_start_id, "on an idle EVSE")
    if authorize:
        auth = await station.expect("Authorize")
        assert auth["idToken"]["idToken"] == token["idToken"], (
            f"AuthorizeRemoteStart is true: the station must authorize the idToken of the "
            f"request, {token['idToken']}, it sent Authorize for {auth['idToken']} (F01.FR.01)")
    await operator.plug_in(evse, connector)
    event = await _expect_remote_transaction(station, remote_start_id, token,
                                             within=bench.csms.message_timeout)
    if not authorize:
        authorizes = [e for e in station.received() if e.action == "Authorize"]
        assert not authorizes, (
            "AuthorizeRemoteStart is false: the station must start without an Authorize "
            f"request (F01.FR.02); it sent:\n  {authorizes[0].describe()}")
    if event["transactionInfo"].get("chargingState") != "Charging":
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(event),
            "transactionInfo.chargingState": "Charging"})
    check_sequence(station, tx_id(event))
    await stop_remotely(station, tx_id(event))


@pytest.mark.octt("TC_F_02_CS")
async def test_remote_start_first_authorize_remote_start(station, operator, bench):
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is true.

    RequestStartTransaction on an idle EVSE: Accepted; the station sends Authorize for the
    idToken; once the EV is connected the transaction carries remoteStartId and the idToken
    and charges (F02.FR.01, F01.FR.01).
    """
    await _remote_start_first(station, operator, bench, authorize=True)


@pytest.mark.octt("TC_F_03_CS")
async def test_remote_start_first_no_authorize(station, operator, bench):
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is false.

    As TC_F_02, but the station must not send Authorize: the CSMS's request is the
    authorization (F02.FR.01, F01.FR.02).
    """
    await _remote_start_first(station, operator, bench, authorize=False)


@pytest.mark.octt("TC_F_04_CS")
async def test_remote_start_cable_plugin_timeout(station, operator, bench):
    """Remote start transaction - Remote start first - Cable plugin timeout.

    TxStartPoint Authorized (set if the station allows) and a short EVConnectionTimeOut;
    RequestStartTransaction with no EV connected. A transaction started on the authorization
    must end when the timeout expires (Ended, triggerReason EVConnectTimeout, stoppedReason
    Timeout); then the EVSE must be ready for another remote start, which charges once the
    EV connects (F02.FR.01, E03.FR.01, E03.FR.05).
    """
    starts, _ = await tx_points(station)
    if "Authorized" not in starts and "ParkingBayOccupancy" not in starts and applied(
            await try_set(station, "TxCtrlr", "TxStartPoint", "Authorized")):
        starts = ["Authorized"]
    tx_at_authorization = "Authorized" in starts
    timeout = 1
    await set_variable(station, "TxCtrlr", "EVConnectionTimeOut", str(timeout))
    evse, connector = first_connector(bench)
    token = id_token(bench)
    first_id = _remote_start_id()
    requested = await station.call("RequestStartTransaction", {
        "idToken": token, "remoteStartId": first_id, "evseId": evse})
    assert requested["status"] == "Accepted", (
        f"RequestStartTransaction on an idle EVSE: expected Accepted, got {requested.payload}")
    if tx_at_authorization:
        started = await _expect_remote_transaction(station, first_id, token,
                                                   within=bench.csms.message_timeout)
        try:
            ended = await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": tx_id(started), "eventType": "Ended"},
                within=timeout + bench.csms.deviation)
        except ExpectTimeout as exc:
            raise AssertionError(
                f"the remotely started transaction {tx_id(started)} had no EV connected within "
                f"EVConnectionTimeOut={timeout} s: the station must end it (E03.FR.05); it did "
                f"not.\n{exc}") from None
        assert ended["triggerReason"] == "EVConnectTimeout", (
            f"Ended after the EV connection timeout: triggerReason must be EVConnectTimeout, "
            f"got {ended['triggerReason']!r}")
        assert ended["transactionInfo"].get("stoppedReason") == "Timeout", (
            f"Ended after the EV connection timeout: stoppedReason must be Timeout, got "
            f"{ended['transactionInfo'].get('stoppedReason')!r}")
        assert ended.mono - requested.mono >= timeout - 0.3, (
            f"the transaction ended {ended.mono - requested.mono:.1f} s after the remote start, "
            f"before EVConnectionTimeOut={timeout} s")
        check_sequence(station, tx_id(started))
    else:
        await station.expect_none("TransactionEvent", within=timeout + 0.5)
    # Step 3: the EVSE is free again: another remote start is accepted and charges.
    second_id = _remote_start_id()
    await _request_start(station, token, evse, second_id,
                         "after the first authorization timed out")
    await operator.plug_in(evse, connector)
    event = await _expect_remote_transaction(station, second_id, token,
                                             within=bench.csms.message_timeout)
    await stop_remotely(station, tx_id(event))


# ---- F03: remote stop ---------------------------------------------------------------------------
@pytest.mark.octt("TC_F_08_CS")
async def test_remote_stop_transaction(station, operator, bench):
    """Remote stop transaction - Success.

    During a charging transaction, RequestStopTransaction with its id: Accepted; the station
    stops the energy transfer and sends a TransactionEvent with triggerReason RemoteStop; when
    TxStopPoint ends the transaction on deauthorization it is Ended with stoppedReason
    Remote, else it ends once the EV leaves (F03.FR.02, F03.FR.03, F03.FR.07, F03.FR.09).
    """
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    _, stops = await tx_points(station)
    stopped = await stop_remotely(station, transaction)
    state = stopped["transactionInfo"].get("chargingState")
    assert state != "Charging", (
        f"after RequestStopTransaction the energy transfer must stop (F03.FR.02): the "
        f"RemoteStop event still says chargingState Charging: {stopped.payload}")
    if any(p in stops for p in STOPS_ON_DEAUTHORIZE):
        assert stopped["eventType"] == "Ended", (
            f"TxStopPoint {stops} ends the transaction when its authorization is withdrawn: the "
            f"RemoteStop event must be Ended, got {stopped['eventType']}")
        assert stopped["transactionInfo"].get("stoppedReason") == "Remote", (
            f"a transaction stopped by RequestStopTransaction must have stoppedReason Remote "
            f"(F03.FR.09), got {stopped['transactionInfo'].get('stoppedReason')!r}")
        evse, connector = first_connector(bench)
        await operator.unplug(evse, connector)
    else:
        await end_by_unplug(station, operator, bench, transaction)
    check_sequence(station, transaction)


@pytest.mark.octt("TC_F_09_CS")
async def test_remote_stop_unknown_transaction_rejected(station, operator, bench):
    """Remote stop transaction - Rejected.

    During a charging transaction, RequestStopTransaction with an id the station does not
    know: Rejected, and the ongoing transaction goes on (F03.FR.08).
    """
    started = await start_charging(station, operator, bench)
    reply = await station.call("RequestStopTransaction", {"transactionId": unknown_transaction_id()})
    assert reply["status"] == "Rejected", (
        f"RequestStopTransaction for an unknown transactionId: expected Rejected (F03.FR.08), "
        f"the station answered {reply.payload}")
    await station.expect_none("TransactionEvent", {
        "transactionInfo.transactionId": tx_id(started), "eventType": "Ended"},
        within=bench.csms.quiet_period)
    await stop_remotely(station, tx_id(started))


# ---- F05: unlock connector ------------------------------------------------------------------------
async def _unlock(station: StationSession, evse: int, connector: int) -> str:
    reply = await station.call("UnlockConnector", {"evseId": evse, "connectorId": connector})
    return str(reply["status"])


@pytest.mark.octt("TC_F_05_CS")
async def test_unlock_connector_with_ongoing_transaction(station, operator, bench):
    """Remote unlock Connector - With ongoing transaction.

    UnlockConnector for the connector of an ongoing authorized transaction: the station must
    not unlock it and answers OngoingAuthorizedTransaction; the transaction goes on
    (F05.FR.01, F05.FR.02).
    """
    started = await start_charging(station, operator, bench)
    evse, connector = first_connector(bench)
    status = await _unlock(station, evse, connector)
    assert status == "OngoingAuthorizedTransaction", (
        f"UnlockConnector during an authorized transaction must answer "
        f"OngoingAuthorizedTransaction and keep the connector locked (F05.FR.02), the station "
        f"answered {status}")
    await stop_remotely(station, tx_id(started))


@pytest.mark.octt("TC_F_06_CS")
async def test_unlock_connector_without_transaction(station, operator, bench):
    """Remote unlock Connector - Without ongoing transaction - Accepted.

    A cable in the connector, no authorized transaction: UnlockConnector answers Unlocked
    (F05.FR.01, F05.FR.04).
    """
    evse, connector = first_connector(bench)
    await operator.plug_in(evse, connector)
    status = await _unlock(station, evse, connector)
    assert status == "Unlocked", (
        f"UnlockConnector without an authorized transaction: expected Unlocked (F05.FR.04), the "
        f"station answered {status}")
    await operator.unplug(evse, connector)


@pytest.mark.octt("TC_F_07_CS")
async def test_unlock_connector_no_cable(station, operator, bench):
    """Remote unlock Connector - Without ongoing transaction - No cable connected.

    No cable connected: UnlockConnector answers Unlocked (F05.FR.01, F05.FR.06).
    """
    evse, connector = first_connector(bench)
    status = await _unlock(station, evse, connector)
    assert status == "Unlocked", (
        f"UnlockConnector with no cable connected: expected Unlocked (F05.FR.06), the station "
        f"answered {status}")


@pytest.mark.octt("TC_F_10_CS")
async def test_unlock_unknown_connector(station, operator, bench):
    """Remote unlock Connector - Without ongoing transaction - UnknownConnector.

    UnlockConnector for connector 999 of a known EVSE: UnknownConnector (F05.FR.03).
    """
    evse, _ = first_connector(bench)
    status = await _unlock(station, evse, 999)
    assert status == "UnknownConnector", (
        f"UnlockConnector for connector 999 of EVSE {evse}: expected UnknownConnector "
        f"(F05.FR.03), the station answered {status}")


# ---- F06: trigger message -----------------------------------------------------------------------
async def _trigger(station: StationSession, message: str, evse: dict | None = None,
                   expect: str = "Accepted") -> None:
    payload: dict = {"requestedMessage": message}
    if evse is not None:
        payload["evse"] = evse
    reply = await station.call("TriggerMessage", payload)
    assert reply["status"] == expect, (
        f"TriggerMessage {message}{' for ' + str(evse) if evse else ''}: expected {expect}, the "
        f"station answered {reply.payload}")


@pytest.mark.octt("TC_F_11_CS")
async def test_trigger_meter_values_specific_evse(station, operator, bench):
    """Trigger message - MeterValues - Specific EVSE.

    TriggerMessage(MeterValues) for one EVSE: Accepted, then MeterValues for that EVSE with
    context Trigger and the AlignedDataCtrlr measurands (F06.FR.02, F06.FR.04, F06.FR.05,
    F06.FR.06, F06.FR.10).
    """
    measurands = await list_variable(station, "AlignedDataCtrlr", "Measurands")
    evse, _ = first_connector(bench)
    await _trigger(station, "MeterValues", {"id": evse})
    values = await station.expect("MeterValues")
    assert values["evseId"] == evse, (
        f"MeterValues triggered for EVSE {evse} came for evseId {values['evseId']}")
    for mv in values["meterValue"]:
        check_meter_value(mv, measurands, ("Trigger",), "triggered MeterValues")


@pytest.mark.octt("TC_F_12_CS")
async def test_trigger_meter_values_all_evses(station, operator, bench):
    """Trigger message - MeterValues - All EVSE.

    TriggerMessage(MeterValues) without evse: Accepted, then MeterValues for every EVSE, with
    context Trigger and the AlignedDataCtrlr measurands (F06.FR.04, F06.FR.05, F06.FR.06,
    F06.FR.10, F06.FR.11).
    """
    measurands = await list_variable(station, "AlignedDataCtrlr", "Measurands")
    await _trigger(station, "MeterValues")
    for spec in bench.station.evses:
        values = await station.expect("MeterValues", {"evseId": spec.id})
        for mv in values["meterValue"]:
            check_meter_value(mv, measurands, ("Trigger",), f"triggered MeterValues of EVSE {spec.id}")


async def _trigger_transaction_event(station: StationSession, operator, bench,
                                     evse: dict | None) -> None:
    measurands = await list_variable(station, "SampledDataCtrlr", "TxUpdatedMeasurands")
    started = await start_charging(station, operator, bench)
    await _trigger(station, "TransactionEvent", evse)
    event = await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": tx_id(started), "triggerReason": "Trigger"})
    assert event["eventType"] == "Updated", (
        f"a triggered TransactionEvent of an ongoing transaction must be Updated (F06.FR.07), "
        f"got {event['eventType']}")
    assert event["transactionInfo"].get("chargingState"), (
        "a triggered TransactionEvent must report the chargingState (F06.FR.07): "
        f"{event.payload}")
    for mv in event.get("meterValue") or []:
        check_meter_value(mv, measurands, ("Trigger",), "triggered TransactionEvent")
    check_sequence(station, tx_id(started))
    await stop_remotely(station, tx_id(started))


@pytest.mark.octt("TC_F_13_CS")
async def test_trigger_transaction_event_specific_evse(station, operator, bench):
    """Trigger message - TransactionEvent - Specific EVSE.

    During a transaction, TriggerMessage(TransactionEvent) for its EVSE: Accepted, then a
    TransactionEvent Updated with triggerReason Trigger and the chargingState (F06.FR.02,
    F06.FR.04, F06.FR.05, F06.FR.07, F06.FR.10).
    """
    evse, _ = first_connector(bench)
    await _trigger_transaction_event(station, operator, bench, {"id": evse})


@pytest.mark.octt("TC_F_14_CS")
async def test_trigger_transaction_event_all_evses(station, operator, bench):
    """Trigger message - TransactionEvent - All EVSE.

    As TC_F_13, without evse: one triggered TransactionEvent per ongoing transaction
    (F06.FR.04, F06.FR.05, F06.FR.07, F06.FR.10, F06.FR.11).
    """
    await _trigger_transaction_event(station, operator, bench, None)


@pytest.mark.octt("TC_F_15_CS")
async def test_trigger_log_status_idle(station, operator, bench):
    """Trigger message - LogStatusNotification - Idle.

    No log upload in progress: TriggerMessage(LogStatusNotification) is Accepted and a
    LogStatusNotification with status Idle follows (F06.FR.04, F06.FR.05, F06.FR.10,
    F06.FR.15).
    """
    await _trigger(station, "LogStatusNotification")
    note = await station.expect("LogStatusNotification")
    assert note["status"] == "Idle", (
        f"LogStatusNotification without an upload in progress must say Idle (F06.FR.15), got "
        f"{note['status']}")


@pytest.mark.octt("TC_F_17_CS")
async def test_trigger_firmware_status_evse_ignored(station, operator, bench):
    """Trigger message - FirmwareStatusNotification - Specific EVSE not relevant.

    TriggerMessage(FirmwareStatusNotification) naming an EVSE, which does not apply to that
    message: Accepted, and the FirmwareStatusNotification is sent (F06.FR.03, F06.FR.04,
    F06.FR.05, F06.FR.10).
    """
    evse, _ = first_connector(bench)
    await _trigger(station, "FirmwareStatusNotification", {"id": evse})
    await station.expect("FirmwareStatusNotification")


@pytest.mark.octt("TC_F_18_CS")
async def test_trigger_firmware_status_idle(station, operator, bench):
    """Trigger message - FirmwareStatusNotification - Idle.

    No firmware update in progress: TriggerMessage(FirmwareStatusNotification) is Accepted
    and a FirmwareStatusNotification with status Idle follows (F06.FR.04, F06.FR.05, F06.FR.10,
    F06.FR.16, L01.FR.25).
    """
    await _trigger(station, "FirmwareStatusNotification")
    note = await station.expect("FirmwareStatusNotification")
    assert note["status"] == "Idle", (
        f"FirmwareStatusNotification without a firmware update in progress must say Idle "
        f"(F06.FR.16), got {note['status']}")


@pytest.mark.octt("TC_F_20_CS")
async def test_trigger_heartbeat(station, operator, bench):
    """Trigger message - Heartbeat.

    TriggerMessage(Heartbeat): Accepted, then a Heartbeat (F06.FR.04, F06.FR.05, F06.FR.10).
    """
    await _trigger(station, "Heartbeat")
    try:
        await station.expect("Heartbeat")
    except ExpectTimeout as exc:
        raise AssertionError(
            "TriggerMessage(Heartbeat) was Accepted, so the station must then send a Heartbeat "
            f"(F06.FR.05); it did not.\n{exc}") from None


async def _trigger_status(station: StationSession, evse: int, connector: int,
                          expected: str) -> None:
    await _trigger(station, "StatusNotification", {"id": evse, "connectorId": connector})
    note = await station.expect("StatusNotification", {"evseId": evse, "connectorId": connector})
    assert note["connectorStatus"] == expected, (
        f"triggered StatusNotification of EVSE {evse} connector {connector}: expected "
        f"{expected}, got {note['connectorStatus']}")


@pytest.mark.octt("TC_F_23_CS")
async def test_trigger_status_available(station, operator, bench):
    """Trigger message - StatusNotification - Specific EVSE - Available.

    TriggerMessage(StatusNotification) for an idle connector: Accepted, then its
    StatusNotification, Available (F06.FR.02, F06.FR.04, F06.FR.05, F06.FR.10).
    """
    evse, connector = first_connector(bench)
    await _trigger_status(station, evse, connector, "Available")


@pytest.mark.octt("TC_F_24_CS")
async def test_trigger_status_occupied(station, operator, bench):
    """Trigger message - StatusNotification - Specific EVSE - Occupied.

    With a cable connected: the triggered StatusNotification says Occupied (F06.FR.02,
    F06.FR.04, F06.FR.05, F06.FR.10).
    """
    evse, connector = first_connector(bench)
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"evseId": evse, "connectorId": connector,
                                                "connectorStatus": "Occupied"})
    await _trigger_status(station, evse, connector, "Occupied")
    await operator.unplug(evse, connector)


@pytest.mark.octt("TC_F_26_CS")
async def test_trigger_boot_notification_rejected(station, operator, bench):
    """Trigger message - BootNotification - Rejected.

    Once the station's BootNotification has been Accepted, TriggerMessage(BootNotification)
    is Rejected (F06.FR.04, F06.FR.05, F06.FR.17).
    """
    await _trigger(station, "BootNotification", expect="Rejected")


@pytest.mark.octt("TC_F_27_CS")
async def test_trigger_not_implemented(station, operator, bench):
    """Trigger message - NotImplemented.

    TriggerMessage for a message the station does not implement (SignV2GCertificate, an
    ISO 15118 message): NotImplemented (F06.FR.08). Not for stations with ISO 15118 support.
    """
    if "ISO 15118 Support" in bench.station.profiles:
        pytest.skip("the station claims ISO 15118 Support, so it implements SignV2GCertificate")
    await _trigger(station, "SignV2GCertificate", expect="NotImplemented")
