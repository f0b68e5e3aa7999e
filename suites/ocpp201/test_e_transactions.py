"""OCTT block E, Transactions (Charging Station side): status, stop options, offline, retries."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable

import pytest

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, Message, StationSession, dig
from harness.ev.bench import EvBench
from harness.ev.side import EvSide
from harness.protocols import ocmf
from suites.ocpp201.support import (
    first_connector,
    get_variable,
    id_token,
    set_variable,
    start_charging,
    tx_id,
)
from suites.ocpp201.transactions import (
    ENERGY_REGISTER,
    STOPS_ON_DEAUTHORIZE,
    FailingAnswers,
    answers_held,
    applied,
    check_sequence,
    check_stop,
    configure_point,
    describe_events,
    end_by_unplug,
    events_of,
    expect_authorization_lapse,
    list_variable,
    stop_remotely,
    try_set,
    tx_of,
    tx_points,
    unknown_transaction_id,
)
from suites.power.signed_meter import decode_signed_meter_data


# ---- E14: check transaction status -------------------------------------------------------------
async def _transaction_status(station: StationSession, transaction_id: str | None) -> dict:
    payload = {} if transaction_id is None else {"transactionId": transaction_id}
    return (await station.call("GetTransactionStatus", payload)).payload


def _status_says(reply: dict, ongoing: bool | None, in_queue: bool, situation: str) -> None:
    if ongoing is not None:
        assert reply.get("ongoingIndicator") is ongoing, (
            f"GetTransactionStatus {situation}: ongoingIndicator must be "
            f"{str(ongoing).lower()}, the station answered {reply}")
    assert reply.get("messagesInQueue") is in_queue, (
        f"GetTransactionStatus {situation}: messagesInQueue must be {str(in_queue).lower()}, "
        f"the station answered {reply}")


async def _clock_aligned_too(station: StationSession) -> None:
    """Clock-aligned values every second as well, so that a TransactionEvent comes within
    half a second on average (the sampled interval alone takes a whole second)."""
    await try_set(station, "AlignedDataCtrlr", "Interval", "1")


@pytest.mark.octt("TC_E_28_CS")
async def test_transaction_status_unknown_id(station, operator, bench):
    """Check Transaction status - TransactionId unknown.

    GetTransactionStatus for a transaction id the station never had: ongoingIndicator false,
    messagesInQueue false (E14.FR.01).
    """
    reply = await _transaction_status(station, unknown_transaction_id())
    _status_says(reply, ongoing=False, in_queue=False, situation="for an unknown transaction id")


@pytest.mark.octt("TC_E_29_CS")
async def test_transaction_status_ongoing_with_queued_message(station, operator, bench):
    """Check Transaction status - Transaction with id ongoing - with message in queue.

    During a transaction with sampled meter values every second, the CSMS holds back its answer
    to a TransactionEvent, so the message stays in the station's queue. GetTransactionStatus
    for the transaction: ongoingIndicator true, messagesInQueue true (E14.FR.02, E14.FR.04).
    """
    await set_variable(station, "SampledDataCtrlr", "TxUpdatedInterval", "1")
    await _clock_aligned_too(station)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    async with answers_held(station):
        mark = station.journal.mark()
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Updated"},
            within=1 + bench.csms.deviation, since=mark)
        reply = await _transaction_status(station, transaction)
    _status_says(reply, ongoing=True, in_queue=True,
                 situation="for an ongoing transaction whose TransactionEvent is unconfirmed")


@pytest.mark.octt("TC_E_30_CS")
async def test_transaction_status_ongoing_without_queued_message(station, operator, bench):
    """Check Transaction status - Transaction with id ongoing - without message in queue.

    During a transaction whose every TransactionEvent was answered: ongoingIndicator true,
    messagesInQueue false (E14.FR.02, E14.FR.05).
    """
    started = await start_charging(station, operator, bench)
    reply = await _transaction_status(station, tx_id(started))
    _status_says(reply, ongoing=True, in_queue=False,
                 situation="for an ongoing transaction with every message confirmed")


@pytest.mark.octt("TC_E_32_CS")
async def test_transaction_status_ended_without_queued_message(station, operator, bench):
    """Check Transaction status - Transaction with id ended - without message in queue.

    A transaction ends (the EV leaves) and its Ended event is answered: GetTransactionStatus
    for it gives ongoingIndicator false, messagesInQueue false (E14.FR.03, E14.FR.05).
    """
    started = await start_charging(station, operator, bench)
    await end_by_unplug(station, operator, bench, tx_id(started))
    reply = await _transaction_status(station, tx_id(started))
    _status_says(reply, ongoing=False, in_queue=False,
                 situation="for an ended transaction with every message confirmed")


@pytest.mark.octt("TC_E_33_CS")
async def test_transaction_status_without_id_with_queued_message(station, operator, bench):
    """Check Transaction status - Without transactionId - with message in queue.

    As TC_E_29, but GetTransactionStatus without transactionId: messagesInQueue true
    (E14.FR.06, E14.FR.07).
    """
    await set_variable(station, "SampledDataCtrlr", "TxUpdatedInterval", "1")
    await _clock_aligned_too(station)
    started = await start_charging(station, operator, bench)
    async with answers_held(station):
        mark = station.journal.mark()
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(started), "eventType": "Updated"},
            within=1 + bench.csms.deviation, since=mark)
        reply = await _transaction_status(station, None)
    _status_says(reply, ongoing=None, in_queue=True,
                 situation="without transactionId while a TransactionEvent is unconfirmed")


@pytest.mark.octt("TC_E_34_CS")
async def test_transaction_status_without_id_without_queued_message(station, operator, bench):
    """Check Transaction status - Without transactionId - without message in queue.

    Idle station, every message confirmed: GetTransactionStatus without transactionId gives
    messagesInQueue false (E14.FR.06, E14.FR.08).
    """
    reply = await _transaction_status(station, None)
    _status_says(reply, ongoing=None, in_queue=False,
                 situation="without transactionId on an idle station")


# ---- E06: stop transaction options ----------------------------------------------------------
@pytest.mark.octt("TC_E_39_CS")
async def test_stop_deauthorized_ev_connection_timeout(station, operator, bench):
    """Stop transaction options - Deauthorized - timeout.

    TxStopPoint contains Authorized, EVConnectionTimeOut is short; a valid idToken is presented
    and no EV is connected. The transaction the authorization started (TxStartPoint
    Authorized, set where the station allows) must end once EVConnectionTimeOut expires:
    Ended, triggerReason EVConnectTimeout, stoppedReason Timeout, not before. Where no
    transaction starts on authorization, the authorization must lapse all the same: an EV
    plugged in afterwards is not charged on it (E06.FR.04, E06.FR.15, E03.FR.05).
    """
    starts, stops = await tx_points(station)
    if "Authorized" not in stops:
        status = await try_set(station, "TxCtrlr", "TxStopPoint", ",".join([*stops, "Authorized"]))
        if not applied(status):
            pytest.skip(f"TxStopPoint {stops} cannot be given Authorized ({status}): the case's "
                        "prerequisite (Authorized supported as TxStopPoint) is not met")
    if "Authorized" not in starts and "ParkingBayOccupancy" not in starts and applied(
            await try_set(station, "TxCtrlr", "TxStartPoint", "Authorized")):
        starts = ["Authorized"]
    timeout = 1
    await set_variable(station, "TxCtrlr", "EVConnectionTimeOut", str(timeout))
    evse, connector = first_connector(bench)
    token = id_token(bench)
    await operator.present_id_token(token["idToken"], token["type"], evse)
    authorized = await station.expect("Authorize")
    await expect_authorization_lapse(station, operator, bench, starts=starts,
                                     authorized=authorized, timeout=timeout,
                                     evse=evse, connector=connector)


# ---- E11: connection loss during a transaction ----------------------------------------------
@pytest.mark.octt("TC_E_40_CS")
async def test_connection_loss_during_transaction(station, operator, bench):
    """Offline Behaviour - Connection loss during transaction.

    With sampled meter values every second, the CSMS becomes unreachable during a transaction
    and refuses reconnection for about two seconds. Once back, the station must deliver the
    TransactionEvents it queued meanwhile, first and in order, each with offline=true, with
    seqNo continuing without gap, same transactionId; the transaction goes on and ends
    normally (E11.FR.01, E11.FR.02, E11.FR.06).
    """
    # The first reconnection attempt 2 s after the loss, so the outage has a known length.
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "2")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    await set_variable(station, "SampledDataCtrlr", "TxUpdatedInterval", "1")
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    await station.go_offline(1.5, "TC_E_40: connection loss during a transaction")
    mark = station.journal.mark()
    await station.wait_connected(within=max(60.0, bench.csms.message_timeout * 6))
    try:
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "offline": True},
            within=bench.csms.message_timeout, since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            "after reconnecting, the station must deliver the TransactionEvents of the ongoing "
            "transaction it queued while the CSMS was unreachable, each with offline=true "
            f"(E11.FR.01, E11.FR.02); none arrived.\n{exc}") from None
    # A message that was in flight at the loss may come again first, as it was; the first
    # new one must be from the queue.
    before = {m.get("seqNo") for m in events_of(station, transaction) if m.seq < mark}
    first_after = next(e for e in station.received(mark) if e.action == "TransactionEvent"
                       and e.payload and e.payload.get("seqNo") not in before)
    assert first_after.payload and first_after.payload.get("offline") is True, (
        "after reconnecting, the station must first deliver the TransactionEvents queued while "
        f"offline (offline=true); its first TransactionEvent was:\n  {first_after.describe()}")
    await stop_remotely(station, transaction)
    events = check_sequence(station, transaction)
    last_offline = max(i for i, m in enumerate(events) if m.get("offline"))
    online_after = events[last_offline + 1:]
    assert online_after and not any(m.get("offline") for m in online_after), (
        f"transaction {transaction} must go on after the outage with online events (no offline "
        f"flag):\n{describe_events(events)}")


# ---- E13: retry transaction messages ------------------------------------------------------------
async def _retry_setup(station: StationSession, attempts: int) -> tuple[int, int]:
    """MessageAttempts / MessageAttemptInterval for TransactionEvent, and a short
    MessageTimeout where the station lets us (else its own). Returns (interval, timeout)."""
    interval = 1
    await set_variable(station, "OCPPCommCtrlr", "MessageAttempts", str(attempts),
                       "TransactionEvent")
    await set_variable(station, "OCPPCommCtrlr", "MessageAttemptInterval", str(interval),
                       "TransactionEvent")
    await try_set(station, "OCPPCommCtrlr", "MessageTimeout", "1", "Default")
    timeout = int(float(await get_variable(station, "OCPPCommCtrlr", "MessageTimeout", "Default")))
    return interval, timeout


async def _retries(station: StationSession, operator, bench: Bench, *, attempts: int,
                   failures: int, call_error: bool) -> None:
    """Authorize and connect; the first TransactionEvent of the new transaction fails
    ``failures`` times. Check every attempt, the waits between them (E13: the n-th retry
    waits n x MessageAttemptInterval after the failure), that the station gives up after
    MessageAttempts attempts or stops once answered, and that it then carries on."""
    interval, timeout = await _retry_setup(station, attempts)
    failing = FailingAnswers(station, failures, call_error=call_error)
    failure_time = 0 if call_error else timeout
    how = "a CALLERROR" if call_error else f"no answer within MessageTimeout={timeout} s"
    evse, connector = first_connector(bench)
    token = id_token(bench)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(token["idToken"], token["type"], evse)
    first = await station.expect("TransactionEvent")
    target = dict(first.payload)
    sent = [first]
    expected_attempts = min(attempts, failures + 1)
    for n in range(1, expected_attempts):
        wait = failure_time + interval * n
        try:
            again = await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": tx_of(target), "seqNo": target.get("seqNo")},
                within=wait + bench.csms.deviation)
        except ExpectTimeout as exc:
            raise AssertionError(
                f"after {how} to attempt {n} of the TransactionEvent (seqNo "
                f"{target.get('seqNo')}), the station must send it again after {n} x "
                f"MessageAttemptInterval={interval * n} s, as MessageAttempts={attempts} allows "
                f"(E13.FR.01, E13.FR.02); it did not.\n{exc}") from None
        gap = again.mono - sent[-1].mono
        assert gap >= wait - 0.3, (
            f"attempt {n + 1} of the TransactionEvent (seqNo {target.get('seqNo')}) came "
            f"{gap:.2f} s after attempt {n}; after {how} the station must wait "
            f"{n} x MessageAttemptInterval={interval * n} s, so >= {wait} s")
        assert again.payload == target, (
            f"the retried TransactionEvent must be the same message; first attempt {target}, "
            f"attempt {n + 1} {again.payload}")
        sent.append(again)
    # Then the station carries on with the transaction's next message and no further attempt.
    await stop_remotely(station, tx_of(target) or "")
    repeated = [e for e in station.received() if e.action == "TransactionEvent" and e.payload
                and failing.is_target(e.payload)]
    assert len(repeated) == expected_attempts, (
        f"the TransactionEvent (seqNo {target.get('seqNo')}) failed {failures} time(s) with "
        f"MessageAttempts={attempts}: expected {expected_attempts} attempt(s) in all, the "
        f"station sent it {len(repeated)} time(s):\n" + "\n".join(f"  {e.describe()}"
                                                                for e in repeated))
    check_sequence(station, tx_of(target) or "")


@pytest.mark.octt("TC_E_41_CS")
async def test_retry_transaction_event_max_attempts(station, operator, bench):
    """Retry sending transaction message when failed - Max retry count reached.

    MessageAttempts[TransactionEvent]=2, MessageAttemptInterval=1 s; the CSMS never answers
    the first TransactionEvent. The station sends it twice, the retry after MessageTimeout
    + 1 s, then gives up on it and goes on with the transaction's next message
    (E13.FR.01, E13.FR.02, E13.FR.03, E13.FR.04).
    """
    await _retries(station, operator, bench, attempts=2, failures=99, call_error=False)


@pytest.mark.octt("TC_E_42_CS")
async def test_retry_transaction_event_success_before_max(station, operator, bench):
    """Retry sending transaction message when failed - Success before reaching the max retry count.

    MessageAttempts[TransactionEvent]=3; the CSMS does not answer the first attempt and
    answers the second. The station retries once, after MessageTimeout + 1 s, and not again
    (E13.FR.01, E13.FR.02, E13.FR.03).
    """
    await _retries(station, operator, bench, attempts=3, failures=1, call_error=False)


@pytest.mark.octt("TC_E_50_CS")
async def test_retry_transaction_event_max_attempts_call_error(station, operator, bench):
    """Retry sending transaction message when failed - Max retry count reached - CallError.

    As TC_E_41, the CSMS answering every attempt with a CALLERROR: two attempts, 1 s apart,
    then the station gives up on the message (E13.FR.01, E13.FR.02, E13.FR.03, E13.FR.04).
    """
    await _retries(station, operator, bench, attempts=2, failures=99, call_error=True)


@pytest.mark.octt("TC_E_51_CS")
async def test_retry_transaction_event_success_before_max_call_error(station, operator, bench):
    """Retry sending transaction message when failed - Success before reaching the max retry
    count - CallError.

    MessageAttempts[TransactionEvent]=3; a CALLERROR to the first attempt, an answer to the
    second: one retry, 1 s later, and no more (E13.FR.01, E13.FR.02, E13.FR.03).
    """
    await _retries(station, operator, bench, attempts=3, failures=1, call_error=True)



# ---- E01: start transaction options -------------------------------------------------------------
async def _present(operator, bench: Bench, token: str = "valid") -> dict:
    evse, _ = first_connector(bench)
    tok = id_token(bench, token)
    await operator.present_id_token(tok["idToken"], tok["type"], evse)
    return tok


def _check_started(started, *, token: dict | None, evse: int | None, situation: str) -> None:
    assert started.get("seqNo") == 0, (
        f"{situation}: Started must have seqNo 0, got {started.get('seqNo')}")
    if token is not None:
        assert (started.get("idToken") or {}).get("idToken") == token["idToken"], (
            f"{situation}: the transaction was authorized before it started, so Started must "
            f"carry the idToken {token['idToken']}; it carries {started.get('idToken')}")
    if evse is not None:
        assert (started.get("evse") or {}).get("id") == evse, (
            f"{situation}: the EVSE is known when the transaction starts, so Started must name "
            f"evse {evse}; it has {started.get('evse')}")


async def _charging(station: StationSession, transaction: str) -> None:
    """EnergyTransferStarted: a TransactionEvent of the transaction with chargingState Charging."""
    if any(dig(m.payload, "transactionInfo.chargingState") == "Charging"
           for m in events_of(station, transaction)):
        return
    await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": transaction,
        "transactionInfo.chargingState": "Charging"}, consume=False)


async def _finish(station: StationSession, operator, bench: Bench, transaction: str) -> None:
    """Stop remotely and let the EV leave; the transaction has ended, its seqNo in order."""
    stopped = await stop_remotely(station, transaction)
    evse, connector = first_connector(bench)
    await operator.unplug(evse, connector)
    if stopped["eventType"] != "Ended":
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"})
    check_sequence(station, transaction)


async def _start_on_connection_after_authorization(station, operator, bench, point: str) -> None:
    """Authorized, then EVConnectedPreSession: no transaction at authorization; Started once
    the EV is connected and the power path closes (or energy flows)."""
    await configure_point(station, "TxStartPoint", point)
    evse, connector = first_connector(bench)
    token = await _present(operator, bench)
    await station.expect_none("TransactionEvent", {"eventType": "Started"},
                              within=bench.csms.quiet_period)
    await operator.plug_in(evse, connector)
    started = await station.expect("TransactionEvent", {"eventType": "Started"})
    _check_started(started, token=token, evse=evse, situation=f"TxStartPoint {point}")
    if point == "EnergyTransfer":
        assert started["transactionInfo"].get("chargingState") == "Charging", (
            "TxStartPoint EnergyTransfer: the transaction starts when energy flows, so Started "
            f"must say chargingState Charging, got {started['transactionInfo'].get('chargingState')}")
    await _charging(station, tx_id(started))
    await _finish(station, operator, bench, tx_id(started))


@pytest.mark.octt("TC_E_01_CS")
async def test_start_option_power_path_closed(station, operator, bench):
    """Start transaction options - PowerPathClosed.

    TxStartPoint PowerPathClosed; a valid idToken is presented, then the EV connected. No
    transaction starts on the authorization alone; Started comes once the power path closes,
    seqNo 0, with the idToken and the EVSE (E01.FR.05, E01.FR.07, E01.FR.10, E01.FR.15,
    E01.FR.16).
    """
    await _start_on_connection_after_authorization(station, operator, bench, "PowerPathClosed")


@pytest.mark.octt("TC_E_02_CS")
async def test_start_option_energy_transfer(station, operator, bench):
    """Start transaction options - EnergyTransfer.

    TxStartPoint EnergyTransfer; authorization, then the EV connected: Started when energy
    flows (chargingState Charging), seqNo 0, with idToken and EVSE (E01.FR.06, E01.FR.07,
    E01.FR.10, E01.FR.15, E01.FR.16).
    """
    await _start_on_connection_after_authorization(station, operator, bench, "EnergyTransfer")


@pytest.mark.octt("TC_E_09_CS")
async def test_start_option_ev_connected(station, operator, bench):
    """Start transaction options - EVConnected.

    TxStartPoint EVConnected: connecting the EV starts the transaction (Started, triggerReason
    CablePluggedIn, chargingState EVConnected, the EVSE, seqNo 0, no idToken yet); the
    authorization that follows is an Updated with triggerReason Authorized and the idToken,
    then charging (E01.FR.02, E01.FR.07, E01.FR.10, E01.FR.15, E01.FR.16).
    """
    await configure_point(station, "TxStartPoint", "EVConnected")
    evse, connector = first_connector(bench)
    await operator.plug_in(evse, connector)
    started = await station.expect("TransactionEvent", {"eventType": "Started"})
    _check_started(started, token=None, evse=evse, situation="TxStartPoint EVConnected")
    assert started["triggerReason"] == "CablePluggedIn", (
        f"TxStartPoint EVConnected: Started must have triggerReason CablePluggedIn, got "
        f"{started['triggerReason']!r}")
    assert started["transactionInfo"].get("chargingState") == "EVConnected", (
        "TxStartPoint EVConnected, not yet authorized: Started must say chargingState "
        f"EVConnected, got {started['transactionInfo'].get('chargingState')!r}")
    token = await _present(operator, bench)
    authorized = await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": tx_id(started), "triggerReason": "Authorized"})
    assert (authorized.get("idToken") or {}).get("idToken") == token["idToken"], (
        f"the Updated event of the authorization must carry the idToken {token['idToken']}, "
        f"got {authorized.get('idToken')}")
    await _charging(station, tx_id(started))
    await _finish(station, operator, bench, tx_id(started))


@pytest.mark.octt("TC_E_10_CS")
async def test_start_option_authorized_local(station, operator, bench):
    """Start transaction options - Authorized - Local.

    TxStartPoint Authorized: presenting a valid idToken starts the transaction (Started,
    triggerReason Authorized, with the idToken, seqNo 0) before any EV is connected; the
    connection follows as Updated CablePluggedIn naming the EVSE, then charging (E01.FR.03,
    E01.FR.07, E01.FR.10, E01.FR.15, E01.FR.16, C01.FR.02).
    """
    await configure_point(station, "TxStartPoint", "Authorized")
    evse, connector = first_connector(bench)
    token = await _present(operator, bench)
    started = await station.expect("TransactionEvent", {"eventType": "Started"})
    _check_started(started, token=token, evse=None, situation="TxStartPoint Authorized")
    assert started["triggerReason"] == "Authorized", (
        f"TxStartPoint Authorized: Started must have triggerReason Authorized, got "
        f"{started['triggerReason']!r}")
    await operator.plug_in(evse, connector)
    plugged = await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": tx_id(started), "triggerReason": "CablePluggedIn"})
    assert (plugged.get("evse") or started.get("evse") or {}).get("id") == evse, (
        f"once the EV is connected the transaction must name EVSE {evse}: {plugged.payload}")
    await _charging(station, tx_id(started))
    await _finish(station, operator, bench, tx_id(started))


@pytest.mark.octt("TC_E_13_CS")
async def test_start_option_authorized_remote(station, operator, bench):
    """Start transaction options - Authorized - Remote.

    TxStartPoint Authorized: an accepted RequestStartTransaction starts the transaction
    (Started, triggerReason RemoteStart, remoteStartId and idToken of the request, seqNo 0)
    (E01.FR.03, F01.FR.03, F01.FR.04, F01.FR.06, F01.FR.19, F02.FR.01).
    """
    await configure_point(station, "TxStartPoint", "Authorized")
    evse, connector = first_connector(bench)
    token = id_token(bench)
    reply = await station.call("RequestStartTransaction", {
        "idToken": token, "remoteStartId": 4711, "evseId": evse})
    assert reply["status"] == "Accepted", (
        f"RequestStartTransaction on an idle EVSE: expected Accepted, got {reply.payload}")
    started = await station.expect("TransactionEvent", {"eventType": "Started"})
    _check_started(started, token=token, evse=None, situation="remote start, TxStartPoint Authorized")
    assert started["triggerReason"] == "RemoteStart", (
        f"a transaction started by RequestStartTransaction: triggerReason must be RemoteStart, "
        f"got {started['triggerReason']!r}")
    assert started["transactionInfo"].get("remoteStartId") == 4711, (
        f"Started must carry the remoteStartId 4711 of the request, got "
        f"{started['transactionInfo'].get('remoteStartId')}")
    await operator.plug_in(evse, connector)
    await _charging(station, tx_id(started))
    await _finish(station, operator, bench, tx_id(started))


# ---- E02 / E03: local start -------------------------------------------------------------------
@pytest.mark.octt("TC_E_03_CS")
async def test_local_start_cable_first(station, operator, bench):
    """Local start transaction - Cable plugin first - Success.

    EVConnectedPreSession, then Authorized (local), then EnergyTransferStarted, with the
    station's own TxStartPoint: the idToken reaches the CSMS with the Authorized step (in
    Started or an Updated with triggerReason Authorized) and the transaction charges
    (E02.FR.01, E02.FR.05, E02.FR.06, E02.FR.07, E02.FR.13, E02.FR.15, E02.FR.16, E02.FR.17,
    E01.FR.16, C01.FR.02).
    """
    await _local_start(station, operator, bench, cable_first=True)


@pytest.mark.octt("TC_E_04_CS")
async def test_local_start_authorization_first(station, operator, bench):
    """Local start transaction - Authorization first - Success.

    Authorized (local), then the EV connected, with the station's own TxStartPoint: the
    transaction carries the idToken and charges (E03.FR.01, E03.FR.06, E03.FR.12, E01.FR.16,
    C01.FR.02).
    """
    await _local_start(station, operator, bench, cable_first=False)


async def _local_start(station: StationSession, operator, bench: Bench, cable_first: bool) -> None:
    evse, connector = first_connector(bench)
    if cable_first:
        await operator.plug_in(evse, connector)
        await station.expect("StatusNotification", {
            "evseId": evse, "connectorId": connector, "connectorStatus": "Occupied"})
    token = await _present(operator, bench)
    if not cable_first:
        await operator.plug_in(evse, connector)
    started = await station.expect("TransactionEvent", {"eventType": "Started"})
    transaction = tx_id(started)
    await _charging(station, transaction)
    with_token = [m for m in check_sequence(station, transaction)
                  if (m.get("idToken") or {}).get("idToken") == token["idToken"]]
    assert with_token, (
        f"the transaction was authorized with {token['idToken']}: a TransactionEvent (Started or "
        f"Updated Authorized) must carry that idToken; none did:\n"
        f"{describe_events(check_sequence(station, transaction))}")
    await _finish(station, operator, bench, transaction)


@pytest.mark.octt("TC_E_05_CS")
async def test_local_start_authorization_first_timeout(station, operator, bench):
    """Local start transaction - Authorization first - Cable plugin timeout.

    With the station's own TxStartPoint and a short EVConnectionTimeOut, a valid idToken is
    presented and no EV follows. A transaction started by the authorization ends at the
    timeout (Ended, triggerReason EVConnectTimeout, stoppedReason Timeout); without one, the
    authorization lapses: an EV connected afterwards is not charged on it (E03.FR.01,
    E03.FR.05, E03.FR.06, E03.FR.12, C01.FR.02).
    """
    starts, _ = await tx_points(station)
    timeout = 1
    await set_variable(station, "TxCtrlr", "EVConnectionTimeOut", str(timeout))
    evse, connector = first_connector(bench)
    await _present(operator, bench)
    authorized = await station.expect("Authorize")
    await expect_authorization_lapse(station, operator, bench, starts=starts,
                                     authorized=authorized, timeout=timeout,
                                     evse=evse, connector=connector)


# ---- E06 / E07: stop transaction options -------------------------------------------------------
async def _stop_with_token(station: StationSession, operator, bench: Bench, stop_point: str | None,
                           situation: str) -> None:
    """EnergyTransferStarted, then the same idToken presented again (StopAuthorized)."""
    if stop_point is not None:
        await configure_point(station, "TxStopPoint", stop_point)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    _, stops = await tx_points(station)
    await _present(operator, bench)
    stopped = await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": transaction, "triggerReason": "StopAuthorized"})
    assert stopped["transactionInfo"].get("chargingState") != "Charging", (
        f"{situation}: after the local stop the energy transfer must stop; the StopAuthorized "
        f"event still says Charging: {stopped.payload}")
    if any(p in stops for p in STOPS_ON_DEAUTHORIZE):
        check_stop(stopped, "StopAuthorized", "Local", situation)
        evse, connector = first_connector(bench)
        await operator.unplug(evse, connector)
    else:
        await end_by_unplug(station, operator, bench, transaction)
    check_sequence(station, transaction)


@pytest.mark.octt("TC_E_06_CS")
async def test_local_stop(station, operator, bench):
    """Local Stop Transaction - Accepted.

    During a charging transaction the driver presents the same idToken: TransactionEvent with
    triggerReason StopAuthorized, energy transfer stopped; Ended with stoppedReason Local when
    TxStopPoint ends it there (E07.FR.04, E06.FR.15, C01.FR.03).
    """
    await _stop_with_token(station, operator, bench, None, "local stop")


@pytest.mark.octt("TC_E_07_CS")
async def test_stop_option_power_path_closed_local(station, operator, bench):
    """Stop transaction options - PowerPathClosed - Local stop.

    TxStopPoint PowerPathClosed; the idToken presented again opens the power path: Ended,
    triggerReason StopAuthorized, stoppedReason Local (E06.FR.06, E06.FR.15).
    """
    await _stop_with_token(station, operator, bench, "PowerPathClosed",
                           "TxStopPoint PowerPathClosed, local stop")


@pytest.mark.octt("TC_E_08_CS")
async def test_stop_option_energy_transfer_local(station, operator, bench):
    """Stop transaction options - EnergyTransfer stopped - StopAuthorized.

    TxStopPoint EnergyTransfer; the idToken presented again stops the energy transfer:
    Ended, triggerReason StopAuthorized, stoppedReason Local (E06.FR.07, E06.FR.15).
    """
    await _stop_with_token(station, operator, bench, "EnergyTransfer",
                           "TxStopPoint EnergyTransfer, local stop")


@pytest.mark.octt("TC_E_15_CS")
async def test_stop_option_authorized_local(station, operator, bench):
    """Stop transaction options - StopAuthorized - Local.

    TxStopPoint Authorized; the idToken presented again ends the transaction: Ended,
    triggerReason StopAuthorized, stoppedReason Local (E06.FR.03, E06.FR.15).
    """
    await _stop_with_token(station, operator, bench, "Authorized",
                           "TxStopPoint Authorized, local stop")


async def _stop_remote(station: StationSession, operator, bench: Bench, stop_point: str) -> None:
    await configure_point(station, "TxStopPoint", stop_point)
    started = await start_charging(station, operator, bench)
    stopped = await stop_remotely(station, tx_id(started))
    check_stop(stopped, "RemoteStop", "Remote", f"TxStopPoint {stop_point}, RequestStopTransaction")
    evse, connector = first_connector(bench)
    await operator.unplug(evse, connector)
    check_sequence(station, tx_id(started))


@pytest.mark.octt("TC_E_21_CS")
async def test_stop_option_authorized_remote(station, operator, bench):
    """Stop transaction options - StopAuthorized - Remote.

    TxStopPoint Authorized; RequestStopTransaction: Accepted, Ended with triggerReason
    RemoteStop and stoppedReason Remote (E06.FR.03, E06.FR.15, F03.FR.09).
    """
    await _stop_remote(station, operator, bench, "Authorized")


@pytest.mark.octt("TC_E_35_CS")
async def test_stop_option_power_path_closed_remote(station, operator, bench):
    """Stop transaction options - PowerPathClosed - Remote stop.

    TxStopPoint PowerPathClosed; RequestStopTransaction: Accepted, Ended with triggerReason
    RemoteStop and stoppedReason Remote (E06.FR.06, E06.FR.15).
    """
    await _stop_remote(station, operator, bench, "PowerPathClosed")


async def _stop_on_disconnect(station: StationSession, operator, bench: Bench, stop_point: str,
                              situation: str) -> None:
    await configure_point(station, "TxStopPoint", stop_point)
    started = await start_charging(station, operator, bench)
    ended = await end_by_unplug(station, operator, bench, tx_id(started))
    check_stop(ended, "EVCommunicationLost", "EVDisconnected", situation, charging_state="Idle")
    check_sequence(station, tx_id(started))


@pytest.mark.octt("TC_E_14_CS")
async def test_stop_option_ev_disconnected(station, operator, bench):
    """Stop transaction options - EVDisconnected - Charging Station side.

    TxStopPoint EVConnected; the cable is disconnected: Ended with triggerReason
    EVCommunicationLost, stoppedReason EVDisconnected, chargingState Idle (E06.FR.02,
    E06.FR.15).
    """
    await _stop_on_disconnect(station, operator, bench, "EVConnected",
                              "TxStopPoint EVConnected, cable disconnected")


@pytest.mark.octt("TC_E_37_CS")
async def test_stop_option_power_path_closed_ev_disconnect(station, operator, bench):
    """Stop transaction options - PowerPathClosed - EV side disconnect.

    TxStopPoint PowerPathClosed, StopTxOnEVSideDisconnect false (if writable); the EV
    disconnects: the power path opens and the transaction ends with triggerReason
    EVCommunicationLost, stoppedReason EVDisconnected, chargingState Idle (E06.FR.06,
    E06.FR.15).
    """
    await try_set(station, "TxCtrlr", "StopTxOnEVSideDisconnect", "false")
    await _stop_on_disconnect(station, operator, bench, "PowerPathClosed",
                              "TxStopPoint PowerPathClosed, EV side disconnect")


@pytest.mark.octt("TC_E_17_CS")
async def test_stop_option_deauthorized_ev_side_disconnect(station, operator, bench):
    """Stop transaction options - Deauthorized - EV side disconnect.

    TxStopPoint Authorized, StopTxOnEVSideDisconnect true; the EV disconnects: the disconnect
    deauthorizes the transaction, which ends with triggerReason EVCommunicationLost,
    stoppedReason EVDisconnected, chargingState Idle (E06.FR.04, E06.FR.15).
    """
    if not applied(await try_set(station, "TxCtrlr", "StopTxOnEVSideDisconnect", "true")) and \
            await get_variable(station, "TxCtrlr", "StopTxOnEVSideDisconnect") != "true":
        pytest.skip("StopTxOnEVSideDisconnect is false and read-only: the case does not apply")
    await _stop_on_disconnect(station, operator, bench, "Authorized",
                              "TxStopPoint Authorized, StopTxOnEVSideDisconnect true, EV side "
                              "disconnect")


@pytest.mark.octt("TC_E_26_CS")
async def test_ev_side_disconnect_suspends_transaction(station, operator, bench):
    """Disconnect cable on EV-side - Suspend transaction.

    TxStopPoint Authorized, StopTxOnEVSideDisconnect false: the EV disconnecting does not end
    the transaction; it is suspended (Updated, triggerReason EVCommunicationLost,
    chargingState Idle) and charges again once the EV is reconnected (E10.FR.01, E10.FR.03).
    """
    if not applied(await try_set(station, "TxCtrlr", "StopTxOnEVSideDisconnect", "false")):
        pytest.skip("StopTxOnEVSideDisconnect cannot be set to false: the case does not apply")
    await configure_point(station, "TxStopPoint", "Authorized")
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.unplug(evse, connector)
    lost = await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": transaction, "triggerReason": "EVCommunicationLost"},
        since=mark)
    assert lost["eventType"] == "Updated", (
        "StopTxOnEVSideDisconnect is false: an EV side disconnect must suspend the transaction "
        f"(eventType Updated), not end it; the station sent {lost['eventType']} "
        f"(stoppedReason {lost['transactionInfo'].get('stoppedReason')})")
    assert lost["transactionInfo"].get("chargingState") == "Idle", (
        f"with the EV disconnected the chargingState must be Idle, got "
        f"{lost['transactionInfo'].get('chargingState')!r}")
    await operator.plug_in(evse, connector)
    await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": transaction,
        "transactionInfo.chargingState": "Charging"}, since=mark)
    await _finish(station, operator, bench, transaction)


@pytest.mark.octt("TC_E_16_CS")
async def test_stop_deauthorized_invalid_id_token(station, operator, bench):
    """Stop transaction options - Deauthorized - Invalid idToken.

    StopTxOnInvalidId true; the CSMS answers the TransactionEvent carrying the idToken with
    idTokenInfo Invalid: the station deauthorizes and ends the transaction (triggerReason
    Deauthorized, stoppedReason DeAuthorized) (E06.FR.04, E06.FR.15, C15.FR.04).
    """
    await set_variable(station, "TxCtrlr", "StopTxOnInvalidId", "true")
    _, stops = await tx_points(station)
    if "Authorized" not in stops:
        await configure_point(station, "TxStopPoint", ",".join([*stops, "Authorized"]))
    answer = station.responders["TransactionEvent"]

    def invalid(session, msg):
        if msg.get("idToken"):
            return {"idTokenInfo": {"status": "Invalid"}}
        return answer(session, msg)

    station.respond("TransactionEvent", invalid)
    evse, connector = first_connector(bench)
    await operator.plug_in(evse, connector)
    await _present(operator, bench)
    with_token = await station.expect("TransactionEvent", lambda p: bool(p.get("idToken")))
    ended = await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": tx_of(with_token.payload), "eventType": "Ended"})
    check_stop(ended, "Deauthorized", "DeAuthorized",
               "the CSMS answered idTokenInfo Invalid with StopTxOnInvalidId true")
    await operator.unplug(evse, connector)
    check_sequence(station, tx_of(with_token.payload) or "")


# ---- E14: ended transaction, message still queued -----------------------------------------
@pytest.mark.octt("TC_E_31_CS")
async def test_transaction_status_ended_with_queued_message(station, operator, bench):
    """Check Transaction status - Transaction with id ended - with message in queue.

    The transaction ends while the CSMS holds back its answer to the Ended event, which so
    stays queued: GetTransactionStatus for it gives ongoingIndicator false, messagesInQueue
    true (E14.FR.03, E14.FR.04).
    """
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    async with answers_held(station):
        await end_by_unplug(station, operator, bench, transaction)
        reply = await _transaction_status(station, transaction)
    _status_says(reply, ongoing=False, in_queue=True,
                 situation="for an ended transaction whose Ended event is unconfirmed")


# ---- E08: stop during an offline period -----------------------------------------------------
@pytest.mark.octt("TC_E_44_CS")
async def test_stop_transaction_while_offline(station, operator, bench):
    """Offline Behaviour - Stop transaction during offline period.

    During a charging transaction the CSMS becomes unreachable; meanwhile the driver presents
    the same idToken and disconnects the EV. On reconnection the station delivers the queued
    TransactionEvents, offline=true, in seqNo order, ending with Ended (stoppedReason Local
    or EVDisconnected, as TxStopPoint has it) (E08.FR.01, E08.FR.04, E08.FR.05, E08.FR.06,
    E08.FR.07, E08.FR.08).
    """
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    await station.go_offline(0.5, "TC_E_44: the transaction stops while offline")
    await _present(operator, bench)
    evse, connector = first_connector(bench)
    await operator.unplug(evse, connector)
    mark = station.journal.mark()
    await station.wait_connected(within=max(60.0, bench.csms.message_timeout * 6))
    try:
        ended = await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"}, since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            "the transaction ended while the CSMS was unreachable: after reconnecting the "
            f"station must deliver its queued Ended event (E08.FR.04); none came.\n{exc}") from None
    events = check_sequence(station, transaction)
    queued = [m for m in events if m.seq > mark]
    assert queued and all(m.get("offline") is True for m in queued), (
        "every TransactionEvent that happened while offline must have offline=true (E08):\n"
        f"{describe_events(queued)}")
    assert ended["transactionInfo"].get("stoppedReason", "Local") in ("Local", "EVDisconnected"), (
        f"stopped by the idToken and the EV leaving: stoppedReason Local or EVDisconnected, got "
        f"{ended['transactionInfo'].get('stoppedReason')!r}")


# ---- E12: a whole transaction during an offline period --------------------------------------
@pytest.mark.octt("TC_E_43_CS")
async def test_transaction_during_offline_period(station, operator, bench):
    """Offline Behaviour - Transaction during offline period.

    A transaction starts and ends while the CSMS is unreachable (the idToken authorized
    offline from the station's authorization cache, filled by an online session first). On
    reconnection the station delivers the queued TransactionEvents: all offline=true, one
    Started and one Ended, seqNo in order (E12.FR.01, E12.FR.02, E12.FR.06).
    """
    if not applied(await try_set(station, "AuthCtrlr", "LocalAuthorizeOffline", "true")):
        pytest.skip("AuthCtrlr.LocalAuthorizeOffline cannot be set to true")
    await try_set(station, "AuthCacheCtrlr", "Enabled", "true")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    evse, connector = first_connector(bench)
    online = await start_charging(station, operator, bench)  # puts the idToken in the cache
    await _finish(station, operator, bench, tx_id(online))
    await station.go_offline(0.5, "TC_E_43: a transaction during the outage")
    await operator.plug_in(evse, connector)
    await _present(operator, bench)
    await _present(operator, bench)
    await operator.unplug(evse, connector)
    mark = station.journal.mark()
    await station.wait_connected(within=max(60.0, bench.csms.message_timeout * 6))
    try:
        started = await station.expect("TransactionEvent", {"eventType": "Started"}, since=mark)
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(started), "eventType": "Ended"}, since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            "a transaction started and ended while the CSMS was unreachable: after reconnecting "
            "the station must deliver its queued Started and Ended events (E12.FR.01, "
            f"E12.FR.02).\n{exc}") from None
    events = check_sequence(station, tx_id(started))
    assert all(m.get("offline") is True for m in events), (
        "every TransactionEvent of a transaction that happened offline must have offline=true "
        f"(E12.FR.06):\n{describe_events(events)}")


# ==== Conditional cases: the EV side on the pilot (E01, E03, E06, E10) =========================
# The EV is played on its own end of the cable (the ``ev`` fixture): pilot state B = connected,
# not ready; C = ready to take energy; A = unplugged at the EV.
async def _ev_connects(ev: EvBench, bench: Bench) -> EvSide:
    """The EV plugs in (pilot B) and the EVSE answers with PWM: it can then ask for energy."""
    evse, connector = first_connector(bench)
    kind = bench.station.evses[0].connectors[0].type
    side = await ev.side(evse, connector)
    await side.connect(evse, connector, kind)
    deadline = time.monotonic() + 3.0 * max(ev.timing_scale, 1.0) + bench.csms.deviation
    while True:
        reading = await side.read_pilot()
        if reading.oscillating:
            return side
        assert time.monotonic() < deadline, (
            f"the EV plugged in at EVSE {evse} connector {connector} (pilot state B): the EVSE "
            f"must start the pilot PWM (IEC 61851-1, within 3 s); the pilot stays at "
            f"{reading.high_v:+.1f} V steady")
        await asyncio.sleep(0.01)


async def _ev_charging(station: StationSession, operator, ev: EvBench, bench: Bench
                       ) -> tuple[EvSide, str]:
    """The EV connects on the pilot, the driver presents a valid idToken, the EV asks for energy
    (state C): returns the EV end and the id of the transaction, once it is Charging."""
    side = await _ev_connects(ev, bench)
    await _present(operator, bench)
    await side.set_cp_state("C")
    started = await station.expect("TransactionEvent", {"eventType": "Started"})
    await _charging(station, tx_id(started))
    return side, tx_id(started)


async def _ended_after(station: StationSession, transaction: str, action: Awaitable[None],
                       failure: str) -> Message:
    """The Ended event of ``transaction`` after ``action`` (what the EV does); if none comes,
    the verdict says ``failure`` (what should have ended it, and the requirement)."""
    mark = station.journal.mark()
    await action
    try:
        return await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"}, since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(f"{failure}; no Ended event came.\n{exc}") from None


async def _ev_side_disconnect(station: StationSession, operator, ev: EvBench, bench: Bench) -> None:
    """TxStopPoint EVConnected; during charging the EV is unplugged at its end (pilot to A):
    Ended, triggerReason EVCommunicationLost, stoppedReason EVDisconnected, chargingState Idle."""
    await configure_point(station, "TxStopPoint", "EVConnected")
    side, transaction = await _ev_charging(station, operator, ev, bench)
    ended = await _ended_after(station, transaction, side.disconnect(),
                               "TxStopPoint EVConnected: the EV unplugged at its end (pilot "
                               "state A) must end the transaction (E06.FR.02)")
    check_stop(ended, "EVCommunicationLost", "EVDisconnected",
               "TxStopPoint EVConnected, the EV unplugged at its end", charging_state="Idle")
    check_sequence(station, transaction)


@pytest.mark.octt("TC_E_20_CS")
@pytest.mark.requires("BasicChargingIec61851")  # AQ-9: charges an IEC 61851-1 (PWM only) EV
async def test_stop_option_ev_disconnected_basic_ev(station, operator, ev, bench):
    """Stop transaction options - EVDisconnected - EV side (able to charge IEC 61851-1 EV).

    An IEC 61851-1 EV (no high-level communication) charges on the pilot alone, TxStopPoint
    EVConnected; the cable is unplugged at the EV: the transaction ends with triggerReason
    EVCommunicationLost, stoppedReason EVDisconnected, chargingState Idle (E06.FR.02,
    E06.FR.15).
    """
    await _ev_side_disconnect(station, operator, ev, bench)


@pytest.mark.octt("TC_E_54_CS")
async def test_stop_option_ev_disconnected_ev_side(station, operator, ev, bench):
    """Stop transaction options - EVDisconnected - EV side (not able to charge IEC 61851-1 EV).

    The station charges EVs over ISO 15118 / DIN 70121 (ISO 15118 support, HFS-4); the EV
    leaves at its end of the cable, which the station sees on the pilot (state A), whatever
    the high-level session was doing. TxStopPoint EVConnected: Ended, triggerReason
    EVCommunicationLost, stoppedReason EVDisconnected, chargingState Idle (E06.FR.02,
    E06.FR.15).
    """
    await _ev_side_disconnect(station, operator, ev, bench)


@pytest.mark.octt("TC_E_22_CS")
async def test_stop_option_energy_transfer_suspended_ev(station, operator, ev, bench):
    """Stop transaction options - EnergyTransfer stopped - SuspendedEV.

    TxStopPoint EnergyTransfer; during charging the EV stops taking energy (pilot C -> B, the
    EV suspends): the energy transfer stopped ends the transaction, triggerReason
    ChargingStateChanged, stoppedReason StoppedByEV (E06.FR.07, E06.FR.15).
    """
    await configure_point(station, "TxStopPoint", "EnergyTransfer")
    side, transaction = await _ev_charging(station, operator, ev, bench)
    ended = await _ended_after(station, transaction, side.set_cp_state("B"),
                               "TxStopPoint EnergyTransfer: the EV stopped taking energy (pilot "
                               "state B), so the transaction must end (E06.FR.07)")
    check_stop(ended, "ChargingStateChanged", "StoppedByEV",
               "TxStopPoint EnergyTransfer, the EV suspended the energy transfer")
    await side.disconnect()
    check_sequence(station, transaction)


@pytest.mark.octt("TC_E_38_CS")
async def test_local_start_ev_not_ready(station, operator, ev, bench):
    """Local start transaction - EV not ready.

    The EV is connected but not ready (pilot state B) and the driver is authorized locally. A
    transaction that exists by then (TxStartPoint EVConnected, set where the station allows)
    must say the EV holds the energy back: chargingState SuspendedEV, not Charging nor
    SuspendedEVSE (the station is ready); with a later start point no transaction starts
    before the EV is ready. Once the EV asks for energy (state C) it charges, with the
    idToken on the transaction (E03, E02.FR.01, E01.FR.16).
    """
    await try_set(station, "TxCtrlr", "TxStartPoint", "EVConnected")
    starts, _ = await tx_points(station)
    side = await _ev_connects(ev, bench)
    token = await _present(operator, bench)
    await station.expect("Authorize", consume=False)
    if any(p in starts for p in ("EVConnected", "Authorized", "ParkingBayOccupancy", "DataSigned")):
        started = await station.expect("TransactionEvent", {"eventType": "Started"})
        transaction = tx_id(started)
        try:
            # The state after the authorization: on the Authorized event or one just after it.
            suspended = await station.expect("TransactionEvent", lambda p: (
                tx_of(p) == transaction and dig(p, "transactionInfo.chargingState") not in (
                    None, "EVConnected", "Idle")))
        except ExpectTimeout as exc:
            raise AssertionError(
                f"TxStartPoint {starts}: authorized with the EV connected, the transaction's "
                f"chargingState must leave EVConnected (to SuspendedEV).\n{exc}") from None
        states = [dig(m.payload, "transactionInfo.chargingState")
                  for m in events_of(station, transaction)]
        assert dig(suspended.payload, "transactionInfo.chargingState") == "SuspendedEV", (
            "authorized, the EV connected but not ready (pilot state B): the station offers "
            "energy and the EV takes none, so chargingState must be SuspendedEV; the "
            f"transaction's events say {states} (last: {suspended.payload})")
    else:
        await station.expect_none("TransactionEvent", {"eventType": "Started"},
                                  within=bench.csms.quiet_period)
    mark = station.journal.mark()
    await side.set_cp_state("C")
    charging = await station.expect("TransactionEvent", {
        "transactionInfo.chargingState": "Charging"}, since=mark)
    transaction = tx_of(charging.payload) or ""
    carried = [m for m in events_of(station, transaction)
               if (m.get("idToken") or {}).get("idToken") == token["idToken"]]
    assert carried, (
        f"the transaction was authorized with {token['idToken']} before the EV was ready: a "
        f"TransactionEvent must carry that idToken:\n{describe_events(events_of(station, transaction))}")
    await side.set_cp_state("B")
    await _finish(station, operator, bench, transaction)


# ==== Conditional cases: the parking bay's vehicle sensor (E01 S1, E06 S1) ======================
@pytest.mark.octt("TC_E_12_CS")
async def test_start_option_parking_bay_occupied(station, operator, bench):
    """Start transaction options - ParkingBayOccupied.

    TxStartPoint ParkingBayOccupancy (C-09.6): a car entering the bay starts the transaction
    before anything is plugged or authorized (Started, triggerReason EVDetected, seqNo 0, the
    EVSE of the bay, no idToken); the plug-in and the authorization follow as Updated events,
    then charging (E01.FR.01, E01.FR.07, E01.FR.10, E01.FR.15, E01.FR.16).
    """
    await configure_point(station, "TxStartPoint", "ParkingBayOccupancy")
    evse, connector = first_connector(bench)
    try:
        await operator.parking_bay(evse, True)
        try:
            started = await station.expect("TransactionEvent", {"eventType": "Started"})
        except ExpectTimeout as exc:
            raise AssertionError(
                "TxStartPoint ParkingBayOccupancy: a car entering the parking bay must start a "
                f"transaction (E01.FR.01); none started.\n{exc}") from None
        _check_started(started, token=None, evse=evse, situation="TxStartPoint ParkingBayOccupancy")
        assert started["triggerReason"] == "EVDetected", (
            "TxStartPoint ParkingBayOccupancy: Started must have triggerReason EVDetected (the "
            f"bay's sensor saw the car), got {started['triggerReason']!r}")
        assert not started.get("idToken"), (
            f"the car only entered the bay: Started must carry no idToken, got {started.get('idToken')}")
        await operator.plug_in(evse, connector)
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(started), "triggerReason": "CablePluggedIn"})
        token = await _present(operator, bench)
        authorized = await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(started), "triggerReason": "Authorized"})
        assert (authorized.get("idToken") or {}).get("idToken") == token["idToken"], (
            f"the Updated event of the authorization must carry the idToken {token['idToken']}, "
            f"got {authorized.get('idToken')}")
        await _charging(station, tx_id(started))
        await stop_remotely(station, tx_id(started))
        # The car leaves the bay before the cable is pulled, so no new transaction starts
        # for the car still standing there.
        await operator.parking_bay(evse, False)
        await operator.unplug(evse, connector)
        check_sequence(station, tx_id(started))
    finally:
        await operator.parking_bay(evse, False)


@pytest.mark.octt("TC_E_19_CS")
async def test_stop_option_parking_bay_unoccupied(station, operator, bench):
    """Stop transaction options - ParkingBayUnoccupied.

    TxStopPoint ParkingBayOccupancy alone (C-10.5): after charging, the EV is unplugged and the
    transaction goes on while the car stands in the bay; it ends when the car leaves the bay:
    Ended, triggerReason EVDeparted, stoppedReason EVDisconnected (E06.FR.01, E06.FR.15).
    """
    await configure_point(station, "TxStopPoint", "ParkingBayOccupancy")
    evse, connector = first_connector(bench)
    try:
        await operator.parking_bay(evse, True)
        started = await start_charging(station, operator, bench)
        transaction = tx_id(started)
        await operator.unplug(evse, connector)
        await station.expect_none("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"},
            within=bench.csms.quiet_period)
        mark = station.journal.mark()
        await operator.parking_bay(evse, False)
        try:
            ended = await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": transaction, "eventType": "Ended"}, since=mark)
        except ExpectTimeout as exc:
            raise AssertionError(
                "TxStopPoint ParkingBayOccupancy: the car leaving the parking bay must end the "
                f"transaction (E06.FR.01); it did not.\n{exc}") from None
        check_stop(ended, "EVDeparted", "EVDisconnected",
                   "TxStopPoint ParkingBayOccupancy, the car left the bay")
        check_sequence(station, transaction)
    finally:
        await operator.parking_bay(evse, False)


# ==== Conditional case: start on the meter's signed start reading (E01 S4) =====================
@pytest.mark.octt("TC_E_11_CS")
async def test_start_option_data_signed(station, operator, bench):
    """Start transaction options - DataSigned.

    TxStartPoint DataSigned (C-09.3): the transaction starts once the meter has signed the
    start reading, so Started carries the Transaction.Begin energy register with a
    signedMeterValue that verifies as OCMF under the key sent with it (E01.FR.04); seqNo 0,
    the idToken and the EVSE (E01.FR.07, E01.FR.10, E01.FR.15, E01.FR.16).
    """
    await configure_point(station, "TxStartPoint", "DataSigned")
    await try_set(station, "SampledDataCtrlr", "SignReadings", "true")
    await try_set(station, "OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", "EveryMeterValue")
    await list_variable(station, "SampledDataCtrlr", "TxStartedMeasurands")
    evse, connector = first_connector(bench)
    await operator.plug_in(evse, connector)
    token = await _present(operator, bench)
    started = await station.expect("TransactionEvent", {"eventType": "Started"})
    _check_started(started, token=token, evse=evse, situation="TxStartPoint DataSigned")
    begin = [sv for mv in started.get("meterValue") or [] for sv in mv.get("sampledValue") or []
             if sv.get("context") == "Transaction.Begin"
             and sv.get("measurand", ENERGY_REGISTER) == ENERGY_REGISTER]
    signed = [sv["signedMeterValue"] for sv in begin if sv.get("signedMeterValue")]
    assert signed, (
        "TxStartPoint DataSigned: the transaction starts on the meter's signed start reading, "
        "so Started must carry the Transaction.Begin energy register with a signedMeterValue "
        f"(E01.FR.04); its meterValue is {started.get('meterValue')}")
    try:
        record = ocmf.parse(decode_signed_meter_data(signed[0]))
        ocmf.verify(record, str(signed[0].get("publicKey") or ""))
    except ocmf.OcmfError as exc:
        raise AssertionError(f"the signed start reading of Started does not verify: {exc}") from None
    await _charging(station, tx_id(started))
    await _finish(station, operator, bench, tx_id(started))


# ==== Conditional case: EV side disconnect deauthorizes, cable kept locked (E09) ================
@pytest.mark.octt("TC_E_25_CS")
async def test_ev_side_disconnect_deauthorizes_keeps_lock(station, operator, ev, bench):
    """Disconnect cable on EV-side - Deauthorize transaction - UnlockOnEVSideDisconnect is false.

    StopTxOnEVSideDisconnect true (C-06.2), UnlockOnEVSideDisconnect false (C-12.2), TxStopPoint
    Authorized: the EV unplugged at its end (pilot state A) deauthorizes the transaction, which
    ends with triggerReason EVCommunicationLost, stoppedReason EVDisconnected (E09.FR.01,
    E09.FR.04); the station side of the cable stays locked (E09.FR.03), which only a
    detachable cable shows, so it is not observed here.
    """
    for variable, component, value in (("StopTxOnEVSideDisconnect", "TxCtrlr", "true"),
                                       ("UnlockOnEVSideDisconnect", "OCPPCommCtrlr", "false")):
        if not applied(await try_set(station, component, variable, value)) and \
                await get_variable(station, component, variable) != value:
            pytest.skip(f"{component}.{variable} is not {value} and cannot be set: the case "
                        "does not apply")
    await configure_point(station, "TxStopPoint", "Authorized")
    side, transaction = await _ev_charging(station, operator, ev, bench)
    ended = await _ended_after(station, transaction, side.disconnect(),
                               "StopTxOnEVSideDisconnect is true: the EV unplugged at its end "
                               "must deauthorize and end the transaction (E09.FR.01)")
    check_stop(ended, "EVCommunicationLost", "EVDisconnected",
               "StopTxOnEVSideDisconnect true, the EV unplugged at its end")
    check_sequence(station, transaction)
