"""OCTT 1.6, Core profile (Charge Point side): registration Pending, charging sessions and how
they end, remote start / stop, soft reset, unlocking, configuration keys and faults.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 (edition 2) sections its catalogue row names, given in its docstring.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from harness.bench import Bench
from harness.csms.responders import CsmsPolicy
from harness.csms.session import StationSession
from suites.ocpp16.support import (
    connector_ids,
    hands_of,
    id_tag,
    reboot_within,
    start_transaction,
)
from suites.ocpp201.provisioning import BootScript, expect_only, tolerance

pytestmark = pytest.mark.ocpp_version("1.6")

PENDING_INTERVAL = 2  # s, the interval of the Pending BootNotification.conf (TC_002_CS)
CONNECTION_TIMEOUT = 2  # s, ConnectionTimeOut while waiting for a cable (TC_004_2, TC_011_2)
FAULT = "HighTemperature"  # the fault input of TC_041_CS (any 1.6 ChargePointErrorCode)
LOCK_FAILURE = "ConnectorLockFailure"
PARENT_ID_TAG = "PARENTTAG01"  # TC_069_CS: the parentIdTag the CSMS gives both idTags


# ---- helpers -------------------------------------------------------------------------------
async def change_configuration(station: StationSession, key: str, value: str) -> None:
    """ChangeConfiguration a precondition needs (restored after the test): Accepted."""
    reply = await station.call("ChangeConfiguration", {"key": key, "value": value})
    assert reply["status"] == "Accepted", (
        f"ChangeConfiguration {key}={value} (a precondition of this case): expected Accepted, "
        f"the charge point answered {reply['status']!r}")


async def configuration_value(station: StationSession, key: str) -> str | None:
    reply = await station.call("GetConfiguration", {"key": [key]})
    return next((k.get("value") for k in reply.get("configurationKey", []) if k["key"] == key),
                None)


async def charging(station: StationSession, operator, bench: Bench, connector_id: int = 1,
                   tag: str | None = None) -> int:
    """Cable in, badge: the transaction on ``connector_id`` is Charging; its transactionId."""
    evse, connector = hands_of(bench, connector_id)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(tag or id_tag(bench), evse=evse)
    _, tx_id = await start_transaction(station, connector_id)
    await station.expect("StatusNotification", {"connectorId": connector_id, "status": "Charging"})
    return tx_id


def _remote_authorizes(value: str | None) -> bool:
    return value == "true"


@contextlib.contextmanager
def parent_id_tag(policy: CsmsPolicy, tags: list[str], parent: str) -> Iterator[None]:
    """For this test the CSMS answers ``tags`` with the same parentIdTag ``parent``."""
    saved = dict(policy.parent_id_tags)
    policy.parent_id_tags.update(dict.fromkeys(tags, parent))
    try:
        yield
    finally:
        policy.parent_id_tags.clear()
        policy.parent_id_tags.update(saved)


# ---- registration ------------------------------------------------------------------------------
@pytest.mark.octt("TC_002_CS")
async def test_cold_boot_pending(station, operator, bench):
    """Cold Boot Charge Point - Pending.

    The Central System answers the BootNotification after a power cycle with Pending and a
    short interval. While Pending the charge point answers the Central System's
    GetConfiguration and ChangeConfiguration and sends nothing but BootNotification; the next
    BootNotification comes when the interval is over (not earlier) and is Accepted; then the
    charge point reports every connector (OCPP 1.6 sections 4.2, 5.8).
    """
    interval = PENDING_INTERVAL
    station.respond("BootNotification", BootScript(
        ["Pending", "Accepted"], interval=interval, accepted_interval=bench.csms.heartbeat_interval))
    await operator.power_cycle()
    pending = await station.expect("BootNotification", within=reboot_within(bench))
    reply = await station.call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
    keys = reply.get("configurationKey", [])
    assert [k["key"] for k in keys] == ["MeterValueSampleInterval"], (
        f"GetConfiguration while the registration is Pending must be answered (4.2: the "
        f"Central System may read the configuration then); it answered {reply.payload}")
    value = keys[0].get("value", "")
    changed = await station.call("ChangeConfiguration", {"key": "MeterValueSampleInterval",
                                                         "value": value})
    assert changed["status"] == "Accepted", (
        f"ChangeConfiguration of MeterValueSampleInterval (to its own value {value!r}) while "
        f"Pending: expected Accepted, the charge point answered {changed['status']!r}")
    accepted = await station.expect("BootNotification",
                                    within=interval + bench.csms.deviation + bench.csms.message_timeout)
    gap = accepted.mono - pending.mono
    assert gap >= interval - tolerance(interval, bench), (
        f"BootNotification.conf Pending gave interval={interval} s: the next BootNotification "
        f"must not come earlier; it came after {gap:.2f} s")
    await expect_only(station, {"BootNotification"}, pending.seq, 0,
                      "while its registration was Pending", until_seq=accepted.seq)
    for connector_id in [0, *connector_ids(bench)]:
        await station.expect("StatusNotification", {"connectorId": connector_id},
                             since=accepted.seq)


# ---- sessions: identification first, EV side disconnected ------------------------------------
@pytest.mark.octt("TC_004_2_CS")
async def test_identification_first_connection_timeout(station, operator, bench):
    """Regular Charging Session - Identification First - ConnectionTimeOut.

    With ConnectionTimeOut set short, a badge is authorized (Preparing) but no cable follows:
    once ConnectionTimeOut is over the connector is Available again, and no transaction
    started (OCPP 1.6 sections 4.1, 4.9, 9.1.7).
    """
    evse, _ = hands_of(bench, 1)
    tag = id_tag(bench)
    await change_configuration(station, "ConnectionTimeOut", str(CONNECTION_TIMEOUT))
    await operator.present_id_token(tag, evse=evse)
    await station.expect("Authorize", {"idTag": tag})
    preparing = await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    available = await station.expect(
        "StatusNotification", {"connectorId": 1, "status": "Available"}, since=preparing.seq,
        within=CONNECTION_TIMEOUT + bench.csms.deviation + bench.csms.message_timeout)
    waited = available.mono - preparing.mono
    assert waited >= CONNECTION_TIMEOUT - tolerance(CONNECTION_TIMEOUT, bench), (
        f"ConnectionTimeOut is {CONNECTION_TIMEOUT} s: the authorization must be kept that "
        f"long; the connector was Available again after {waited:.2f} s")
    await station.expect_none("StartTransaction", within=0, since=station.test_mark)


@pytest.mark.octt("TC_005_1_CS")
@pytest.mark.requires("DetachableCable")
async def test_ev_side_disconnect_stop_and_unlock(station, operator, bench):
    """EV Side Disconnected - StopTransactionOnEVSideDisconnect true, UnlockConnectorOnEVSideDisconnect true.

    A transaction runs; the cable is pulled at the EV: StopTransaction reason EVDisconnected,
    the socket unlocks and the connector becomes Available (OCPP 1.6 sections 4.10, 9.1.29,
    9.1.33).
    """
    await change_configuration(station, "StopTransactionOnEVSideDisconnect", "true")
    await change_configuration(station, "UnlockConnectorOnEVSideDisconnect", "true")
    evse, connector = hands_of(bench, 1)
    tx_id = await charging(station, operator, bench)
    await operator.unplug(evse, connector)
    stop = await station.expect("StopTransaction", {"transactionId": tx_id})
    assert stop.get("reason") == "EVDisconnected", (
        f"the cable was pulled at the EV with StopTransactionOnEVSideDisconnect true: expected "
        f"StopTransaction reason EVDisconnected, got {stop.get('reason')!r}")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Available"})


@pytest.mark.octt("TC_005_2_CS")
@pytest.mark.requires("DetachableCable")
async def test_ev_side_disconnect_stop_keep_locked(station, operator, bench):
    """EV Side Disconnected - StopTransactionOnEVSideDisconnect true, UnlockConnectorOnEVSideDisconnect false.

    A transaction runs; the cable is pulled at the EV: StopTransaction reason EVDisconnected,
    but the cable stays locked in the socket: the connector is Finishing, not Available.
    UnlockConnector then releases it: Unlocked, Available (OCPP 1.6 sections 4.10, 9.1.29,
    9.1.33, 5.18).
    """
    await change_configuration(station, "StopTransactionOnEVSideDisconnect", "true")
    await change_configuration(station, "UnlockConnectorOnEVSideDisconnect", "false")
    evse, connector = hands_of(bench, 1)
    tx_id = await charging(station, operator, bench)
    await operator.unplug(evse, connector)
    stop = await station.expect("StopTransaction", {"transactionId": tx_id})
    assert stop.get("reason") == "EVDisconnected", (
        f"the cable was pulled at the EV with StopTransactionOnEVSideDisconnect true: expected "
        f"StopTransaction reason EVDisconnected, got {stop.get('reason')!r}")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Finishing"})
    await station.expect_none("StatusNotification", {"connectorId": 1, "status": "Available"},
                              within=bench.csms.quiet_period, since=stop.seq)
    reply = await station.call("UnlockConnector", {"connectorId": 1})
    assert reply["status"] == "Unlocked", (
        f"UnlockConnector of the cable left locked in the socket: expected Unlocked, the charge "
        f"point answered {reply['status']!r}")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Available"},
                         since=stop.seq)


@pytest.mark.octt("TC_005_3_CS")
@pytest.mark.requires("StopTransactionOnEVSideDisconnectConfigurable")
async def test_ev_side_disconnect_no_stop(station, operator, bench):
    """EV Side Disconnected - StopTransactionOnEVSideDisconnect false.

    A transaction runs; the cable is pulled at the EV: the transaction is not stopped (no
    StopTransaction), the connector is SuspendedEV; the EV plugs back in and charging resumes
    (OCPP 1.6 sections 4.10, 9.1.29).
    """
    await change_configuration(station, "StopTransactionOnEVSideDisconnect", "false")
    evse, connector = hands_of(bench, 1)
    tx_id = await charging(station, operator, bench)
    mark = station.journal.mark()
    await operator.unplug(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "SuspendedEV"},
                         since=mark)
    await station.expect_none("StopTransaction", {"transactionId": tx_id},
                              within=bench.csms.quiet_period, since=mark)
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"}, since=mark)
    await station.expect_none("StopTransaction", {"transactionId": tx_id}, within=0, since=mark)


# ---- remote start -------------------------------------------------------------------------------
@pytest.mark.octt("TC_011_1_CS")
async def test_remote_start_first(station, operator, bench):
    """Remote Start Charging Session - Remote Start First.

    RemoteStartTransaction for connector 1: Accepted; with AuthorizeRemoteTxRequests true an
    Authorize; the connector is Preparing. Cable in: StartTransaction with the idTag,
    Charging (OCPP 1.6 section 5.11).
    """
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench)
    authorizes = _remote_authorizes(await configuration_value(station, "AuthorizeRemoteTxRequests"))
    reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
    assert reply["status"] == "Accepted", (
        f"RemoteStartTransaction on an Available connector: expected Accepted, the charge point "
        f"answered {reply['status']!r}")
    if authorizes:
        await station.expect("Authorize", {"idTag": tag})
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    await operator.plug_in(evse, connector)
    start, _ = await start_transaction(station, 1)
    assert start["idTag"] == tag, (
        f"StartTransaction after RemoteStartTransaction with idTag {tag!r} carries idTag "
        f"{start['idTag']!r}")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})


@pytest.mark.octt("TC_011_2_CS")
async def test_remote_start_time_out(station, bench):
    """Remote Start Charging Session - Time Out.

    With ConnectionTimeOut set short, RemoteStartTransaction is Accepted (Preparing) but no
    cable follows: once ConnectionTimeOut is over the connector is Available again, and no
    transaction started (OCPP 1.6 sections 5.11, 9.1.7).
    """
    await change_configuration(station, "ConnectionTimeOut", str(CONNECTION_TIMEOUT))
    reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": id_tag(bench)})
    assert reply["status"] == "Accepted", (
        f"RemoteStartTransaction on an Available connector: expected Accepted, the charge point "
        f"answered {reply['status']!r}")
    preparing = await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    available = await station.expect(
        "StatusNotification", {"connectorId": 1, "status": "Available"}, since=preparing.seq,
        within=CONNECTION_TIMEOUT + bench.csms.deviation + bench.csms.message_timeout)
    waited = available.mono - preparing.mono
    assert waited >= CONNECTION_TIMEOUT - tolerance(CONNECTION_TIMEOUT, bench), (
        f"ConnectionTimeOut is {CONNECTION_TIMEOUT} s: the remote start must wait that long "
        f"for a cable; the connector was Available again after {waited:.2f} s")
    await station.expect_none("StartTransaction", within=0, since=station.test_mark)


@pytest.mark.octt("TC_023_5_CS")
async def test_remote_start_authorize_invalid(station, operator, bench):
    """Start Charging Session - Remote Start - Authorize Invalid.

    AuthorizeRemoteTxRequests true, cable in; RemoteStartTransaction with an idTag the Central
    System does not know: the charge point authorizes it first (Authorize, answered Invalid),
    and starts no transaction (OCPP 1.6 sections 4.1, 5.11).
    """
    await change_configuration(station, "AuthorizeRemoteTxRequests", "true")
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench, "invalid")
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
    assert reply["status"] in ("Accepted", "Rejected"), reply.payload
    await station.expect("Authorize", {"idTag": tag})
    await station.expect_none("StartTransaction", within=bench.csms.quiet_period,
                              since=station.test_mark)
    await station.expect_none("StatusNotification", {"status": "Charging"}, within=0,
                              since=station.test_mark)


@pytest.mark.octt("TC_026_CS")
async def test_remote_start_rejected(station, bench):
    """Remote Start Charging Session - Rejected.

    RemoteStartTransaction on a connector made Unavailable (ChangeAvailability Inoperative),
    and on a connectorId the charge point does not have: Rejected both times, no transaction
    (OCPP 1.6 section 5.11).
    """
    tag = id_tag(bench)
    reply = await station.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
    assert reply["status"] == "Accepted", reply.payload
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Unavailable"})
    reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
    assert reply["status"] == "Rejected", (
        f"RemoteStartTransaction on an Unavailable connector: expected Rejected, the charge "
        f"point answered {reply['status']!r}")
    unknown = len(connector_ids(bench)) + 1
    reply = await station.call("RemoteStartTransaction", {"connectorId": unknown, "idTag": tag})
    assert reply["status"] == "Rejected", (
        f"RemoteStartTransaction on connector {unknown}, which the charge point does not have: "
        f"expected Rejected, it answered {reply['status']!r}")
    await station.expect_none("StartTransaction", within=bench.csms.quiet_period,
                              since=station.test_mark)


@pytest.mark.octt("TC_027_CS")
async def test_remote_start_connector_zero(station, operator, bench):
    """Remote Start Transaction - ConnectorId 0.

    With a cable in, RemoteStartTransaction with connectorId 0 (the charge point, not a
    connector): Rejected, and no transaction starts (OCPP 1.6 section 5.11).
    """
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    reply = await station.call("RemoteStartTransaction", {"connectorId": 0, "idTag": id_tag(bench)})
    assert reply["status"] == "Rejected", (
        f"RemoteStartTransaction with connectorId 0: expected Rejected (connector 0 is the "
        f"charge point itself), the charge point answered {reply['status']!r}")
    await station.expect_none("StartTransaction", within=bench.csms.quiet_period,
                              since=station.test_mark)


@pytest.mark.octt("TC_028_CS")
async def test_remote_stop_rejected(station, bench):
    """Remote Stop Transaction - Rejected.

    RemoteStopTransaction with a transactionId the Central System never assigned: Rejected
    (OCPP 1.6 section 5.12).
    """
    known = [int(t) for t in station.state.transactions if str(t).isdigit()]
    unknown = max(known, default=1000) + 10_000
    reply = await station.call("RemoteStopTransaction", {"transactionId": unknown})
    assert reply["status"] == "Rejected", (
        f"RemoteStopTransaction of transactionId {unknown}, which no transaction has: expected "
        f"Rejected, the charge point answered {reply['status']!r}")


# ---- soft reset -----------------------------------------------------------------------------------
@pytest.mark.octt("TC_014_CS")
async def test_soft_reset_without_transaction(station, bench):
    """Soft Reset Without Transaction.

    Reset Soft: Accepted; the charge point restarts: BootNotification, then every connector
    Available (OCPP 1.6 section 5.14).
    """
    reply = await station.call("Reset", {"type": "Soft"})
    assert reply["status"] == "Accepted", f"Reset Soft: expected Accepted, got {reply['status']!r}"
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    for connector_id in connector_ids(bench):
        await station.expect("StatusNotification", {"connectorId": connector_id, "status": "Available"},
                             since=boot.seq)


@pytest.mark.octt("TC_016_CS")
async def test_soft_reset_with_transaction(station, operator, bench):
    """Soft Reset With Transaction.

    A transaction runs; Reset Soft: Accepted; the charge point stops the transaction
    gracefully first (StopTransaction reason SoftReset), then restarts (BootNotification)
    (OCPP 1.6 section 5.14).
    """
    tx_id = await charging(station, operator, bench)
    reply = await station.call("Reset", {"type": "Soft"})
    assert reply["status"] == "Accepted", f"Reset Soft: expected Accepted, got {reply['status']!r}"
    stop = await station.expect("StopTransaction", {"transactionId": tx_id},
                                within=reboot_within(bench))
    assert stop.get("reason") == "SoftReset", (
        f"a Soft reset stopped the transaction with reason {stop.get('reason')!r}, expected "
        f"SoftReset")
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    assert stop.seq < boot.seq, (
        "a Soft reset stops the transactions gracefully before restarting: the StopTransaction "
        "came after the BootNotification")


# ---- unlocking ----------------------------------------------------------------------------------------
@pytest.mark.octt("TC_017_1_CS")
@pytest.mark.requires("DetachableCable")
async def test_unlock_no_session_detachable(station, bench):
    """Unlock Connector - No Charging Session Running (Not Fixed Cable).

    No transaction; UnlockConnector for connector 1 (a socket with a lock): Unlocked
    (OCPP 1.6 section 5.18).
    """
    reply = await station.call("UnlockConnector", {"connectorId": 1})
    assert reply["status"] == "Unlocked", (
        f"UnlockConnector of a socket without a session: expected Unlocked, the charge point "
        f"answered {reply['status']!r}")
    await station.expect_none("StopTransaction", within=0, since=station.test_mark)


@pytest.mark.octt("TC_017_2_CS")
@pytest.mark.requires("FixedCable")
async def test_unlock_no_session_fixed(station, bench):
    """Unlock Connector - No Charging Session Running (Fixed Cable).

    No transaction; UnlockConnector for connector 1, a fixed cable the charge point has no
    lock for: NotSupported (OCPP 1.6 section 5.18, UnlockStatus).
    """
    reply = await station.call("UnlockConnector", {"connectorId": 1})
    assert reply["status"] == "NotSupported", (
        f"UnlockConnector of a fixed cable: expected NotSupported, the charge point answered "
        f"{reply['status']!r}")


@pytest.mark.octt("TC_018_1_CS")
@pytest.mark.requires("DetachableCable")
async def test_unlock_with_session_detachable(station, operator, bench):
    """Unlock Connector - With Charging Session (Not Fixed Cable).

    A transaction runs; UnlockConnector for its connector: the charge point stops the
    transaction first (StopTransaction reason UnlockCommand) and answers Unlocked (OCPP 1.6
    section 5.18).
    """
    tx_id = await charging(station, operator, bench)
    reply = await station.call("UnlockConnector", {"connectorId": 1})
    assert reply["status"] == "Unlocked", (
        f"UnlockConnector of a socket with a session: expected Unlocked, the charge point "
        f"answered {reply['status']!r}")
    stop = await station.expect("StopTransaction", {"transactionId": tx_id})
    assert stop.get("reason") == "UnlockCommand", (
        f"the transaction of an unlocked connector must be stopped with reason UnlockCommand; "
        f"got {stop.get('reason')!r}")


@pytest.mark.octt("TC_018_2_CS")
@pytest.mark.requires("FixedCable")
async def test_unlock_with_session_fixed(station, operator, bench):
    """Unlock Connector - With Charging Session (Fixed Cable).

    A transaction runs on a fixed cable; UnlockConnector: NotSupported, and the request
    changes nothing: the transaction goes on (OCPP 1.6 section 5.18).
    """
    tx_id = await charging(station, operator, bench)
    reply = await station.call("UnlockConnector", {"connectorId": 1})
    assert reply["status"] == "NotSupported", (
        f"UnlockConnector of a fixed cable: expected NotSupported, the charge point answered "
        f"{reply['status']!r}")
    await station.expect_none("StopTransaction", {"transactionId": tx_id},
                              within=bench.csms.quiet_period, since=station.test_mark)


@pytest.mark.octt("TC_030_CS")
@pytest.mark.requires("ConnectorLock")
async def test_unlock_failure(station, operator, bench):
    """Unlock Connector - Unlock Failure.

    A cable is in the socket (locked); the lock is blocked (fault input
    ConnectorLockFailure); UnlockConnector: UnlockFailed (OCPP 1.6 section 5.18).
    """
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    await operator.inject_fault(evse, connector, LOCK_FAILURE)
    try:
        reply = await station.call("UnlockConnector", {"connectorId": 1})
        assert reply["status"] == "UnlockFailed", (
            f"UnlockConnector with the connector lock blocked: expected UnlockFailed, the "
            f"charge point answered {reply['status']!r}")
    finally:
        await operator.clear_fault(evse, connector, LOCK_FAILURE)


# ---- configuration keys ----------------------------------------------------------------------------
@pytest.mark.octt("TC_040_1_CS")
async def test_change_configuration_not_supported(station):
    """Configuration Keys - NotSupported.

    ChangeConfiguration of a key the charge point does not have: NotSupported (OCPP 1.6
    section 5.3).
    """
    reply = await station.call("ChangeConfiguration", {"key": "HarnessNoSuchKey", "value": "1"})
    assert reply["status"] == "NotSupported", (
        f"ChangeConfiguration of an unknown key: expected NotSupported, the charge point "
        f"answered {reply['status']!r}")


@pytest.mark.octt("TC_040_2_CS")
async def test_change_configuration_invalid_value(station):
    """Configuration Keys - Invalid Value.

    ChangeConfiguration of MeterValueSampleInterval (an integer) with a value that is not
    one: Rejected, and GetConfiguration still reports the old value (OCPP 1.6 section 5.3).
    """
    before = await configuration_value(station, "MeterValueSampleInterval")
    reply = await station.call("ChangeConfiguration", {"key": "MeterValueSampleInterval",
                                                       "value": "not-a-number"})
    assert reply["status"] == "Rejected", (
        f"ChangeConfiguration MeterValueSampleInterval=not-a-number: expected Rejected, the "
        f"charge point answered {reply['status']!r}")
    after = await configuration_value(station, "MeterValueSampleInterval")
    assert after == before, (
        f"a Rejected ChangeConfiguration changed MeterValueSampleInterval from {before!r} to "
        f"{after!r}")


# ---- faults --------------------------------------------------------------------------------------
@pytest.mark.octt("TC_024_CS")
@pytest.mark.requires("ConnectorLockFailureDetectable")
async def test_lock_failure(station, operator, bench):
    """Start Charging Session - Lock Failure.

    The connector lock cannot close (fault input ConnectorLockFailure); cable in and a
    badge: StatusNotification Faulted with errorCode ConnectorLockFailure, and no transaction
    starts (OCPP 1.6 sections 4.9, 7.6).
    """
    evse, connector = hands_of(bench, 1)
    await operator.inject_fault(evse, connector, LOCK_FAILURE)
    try:
        await operator.plug_in(evse, connector)
        await operator.present_id_token(id_tag(bench), evse=evse)
        faulted = await station.expect("StatusNotification", {"connectorId": 1, "status": "Faulted"})
        assert faulted["errorCode"] == LOCK_FAILURE, (
            f"the connector lock failed: expected StatusNotification Faulted with errorCode "
            f"{LOCK_FAILURE}, got errorCode {faulted['errorCode']!r}")
        await station.expect_none("StartTransaction", within=bench.csms.quiet_period,
                                  since=station.test_mark)
    finally:
        await operator.unplug(evse, connector)
        await operator.clear_fault(evse, connector, LOCK_FAILURE)


@pytest.mark.octt("TC_041_CS")
async def test_fault_behavior(station, operator, bench):
    """Fault Behavior.

    A fault on idle connector 1 (fault input, e.g. HighTemperature): StatusNotification
    Faulted with an errorCode other than NoError; the fault is removed: Available with
    errorCode NoError (OCPP 1.6 section 4.9).
    """
    evse, connector = hands_of(bench, 1)
    await operator.inject_fault(evse, connector, FAULT)
    try:
        faulted = await station.expect("StatusNotification", {"connectorId": 1, "status": "Faulted"})
        assert faulted["errorCode"] != "NoError", (
            f"StatusNotification Faulted must say which error (fault {FAULT} provoked); it "
            f"carried errorCode NoError")
    finally:
        await operator.clear_fault(evse, connector, FAULT)
    available = await station.expect("StatusNotification", {"connectorId": 1, "status": "Available"},
                                     since=faulted.seq)
    assert available["errorCode"] == "NoError", (
        f"after the fault was removed: expected Available with errorCode NoError, got "
        f"{available['errorCode']!r}")


# ---- who may stop a transaction --------------------------------------------------------------
@pytest.mark.octt("TC_068_CS")
async def test_stop_with_same_id_tag(station, operator, bench):
    """Stop Transaction - IdTag Stop Transaction Matches IdTag Start Transaction.

    A transaction started with one idTag; another valid idTag (no common parentIdTag) at the
    same connector does not stop it; the idTag that started it does: StopTransaction reason
    Local (OCPP 1.6 sections 3.5, 4.10).
    """
    evse, _ = hands_of(bench, 1)
    tag, other = id_tag(bench), id_tag(bench, "valid2")
    tx_id = await charging(station, operator, bench, tag=tag)
    mark = station.journal.mark()
    await operator.present_id_token(other, evse=evse)
    await station.expect_none("StopTransaction", {"transactionId": tx_id},
                              within=bench.csms.quiet_period, since=mark)
    await operator.present_id_token(tag, evse=evse)
    stop = await station.expect("StopTransaction", {"transactionId": tx_id}, since=mark)
    assert stop.get("reason", "Local") == "Local", (
        f"stopped by the idTag that started it: expected reason Local, got {stop.get('reason')!r}")
    assert stop.get("idTag") in (None, tag), (
        f"StopTransaction.idTag names the idTag that stopped the transaction ({tag!r}); it "
        f"carried {stop.get('idTag')!r}")


@pytest.mark.octt("TC_069_CS")
@pytest.mark.requires("ParentIdTag")
async def test_stop_with_same_parent_id_tag(station, operator, bench, csms):
    """Stop Transaction - ParentIdTag Stop Transaction Matches ParentIdTag Start Transaction.

    The Central System gives two idTags the same parentIdTag. A transaction started with one;
    the other at the same connector stops it: StopTransaction reason Local (OCPP 1.6 sections 3.5, 4.10).
    """
    evse, _ = hands_of(bench, 1)
    tag, other = id_tag(bench), id_tag(bench, "valid2")
    with parent_id_tag(csms.config.policy, [tag, other], PARENT_ID_TAG):
        tx_id = await charging(station, operator, bench, tag=tag)
        mark = station.journal.mark()
        await operator.present_id_token(other, evse=evse)
        stop = await station.expect("StopTransaction", {"transactionId": tx_id}, since=mark)
    assert stop.get("reason", "Local") == "Local", (
        f"stopped by an idTag with the same parentIdTag: expected reason Local, got "
        f"{stop.get('reason')!r}")
    assert stop.get("idTag") in (None, other), (
        f"StopTransaction.idTag names the idTag that stopped the transaction ({other!r}); it "
        f"carried {stop.get('idTag')!r}")
