"""OCTT block E, Transactions (Charging Station side): status, stop options, offline, retries."""

from __future__ import annotations

import pytest

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, StationSession, dig
from suites.ocpp201.support import (
    first_connector,
    get_variable,
    id_token,
    set_variable,
    start_charging,
    tx_id,
)
from suites.ocpp201.transactions import (
    FailingAnswers,
    answers_held,
    applied,
    check_sequence,
    describe_events,
    end_by_unplug,
    stop_remotely,
    try_set,
    tx_of,
    tx_points,
    unknown_transaction_id,
)


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
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    async with answers_held(station):
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Updated"},
            within=1 + bench.csms.deviation)
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
    started = await start_charging(station, operator, bench)
    async with answers_held(station):
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(started), "eventType": "Updated"},
            within=1 + bench.csms.deviation)
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
    if "Authorized" in starts:
        started = await station.expect("TransactionEvent", {"eventType": "Started"})
        ended = await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(started), "eventType": "Ended"},
            within=timeout + bench.csms.deviation)
        assert ended["triggerReason"] == "EVConnectTimeout", (
            f"transaction ended by the EV connection timeout: triggerReason must be "
            f"EVConnectTimeout, got {ended['triggerReason']!r}")
        assert ended["transactionInfo"].get("stoppedReason") == "Timeout", (
            f"transaction ended by the EV connection timeout: stoppedReason must be Timeout, got "
            f"{ended['transactionInfo'].get('stoppedReason')!r}")
        waited = ended.mono - authorized.mono
        assert waited >= timeout - 0.3, (
            f"the transaction ended {waited:.1f} s after authorization, before "
            f"EVConnectionTimeOut={timeout} s expired")
        check_sequence(station, tx_id(started))
    else:
        # No transaction to stop: the timeout has to be waited out, quietly; then the
        # authorization is gone, and an EV connecting now is not charged on it.
        await station.expect_none("TransactionEvent", within=timeout + 0.5)
        await operator.plug_in(evse, connector)
        await station.expect_none("TransactionEvent", _charging_on_a_token, within=1.0)
        await operator.unplug(evse, connector)


def _charging_on_a_token(payload: dict) -> bool:
    """a TransactionEvent with an idToken or chargingState Charging"""
    return bool(payload.get("idToken")) or dig(payload, "transactionInfo.chargingState") == "Charging"


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
    first_after = next(e for e in station.received(mark) if e.action == "TransactionEvent")
    assert first_after.payload and first_after.payload.get("offline") is True, (
        "after reconnecting, the station must first deliver the TransactionEvents queued while "
        f"offline (offline=true); its first TransactionEvent was:\n  {first_after.describe()}")
    await stop_remotely(station, transaction)
    events = check_sequence(station, transaction)
    offline = [m for m in events if m.get("offline")]
    online_after = [m for m in events[events.index(offline[-1]) + 1:]]
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

