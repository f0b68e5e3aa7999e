"""OCTT block B, reset (Charging Station side): Reset OnIdle / Immediate, with and without a
transaction, and what a reset keeps."""

from __future__ import annotations

import contextlib
import time

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession, dig
from suites.ocpp201.provisioning import connectors, reboot_within, status_reports, wait_statuses
from suites.ocpp201.support import first_connector, id_token, start_charging, tx_id


async def _reset(station: StationSession, kind: str, expected: str) -> None:
    payload = {"type": kind}  # no evseId: the whole Charging Station
    reply = await station.call("Reset", payload)
    assert reply["status"] == expected, (
        f"Reset {kind} (whole station){' during a transaction' if expected == 'Scheduled' else ''}: "
        f"expected {expected}, the station answered {reply['status']!r} "
        f"{reply.get('statusInfo') or ''}".rstrip())


async def _rebooted(station: StationSession, bench: Bench) -> Message:
    """The BootNotification after a Reset: reason RemoteReset (B11.FR.03, B01.FR.03)."""
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    assert boot["reason"] == "RemoteReset", (
        f"BootNotification after a Reset: expected reason RemoteReset, the station sent "
        f"{boot['reason']!r}")
    return boot


@pytest.mark.octt("TC_B_20_CS")
async def test_reset_without_transaction_on_idle(station, operator, bench):
    """Reset Charging Station - Without ongoing transaction - OnIdle.

    Reset OnIdle without evseId on an idle station: Accepted; the station reboots, sends
    BootNotification with reason RemoteReset and, once Accepted, reports its connectors.

    Requirements: B11.FR.01, B11.FR.03, B11.FR.04, B01.FR.03.
    """
    await _reset(station, "OnIdle", "Accepted")
    boot = await _rebooted(station, bench)
    await wait_statuses(station, connectors(bench), boot.seq, bench.csms.message_timeout,
                        "after the reset")


@pytest.mark.octt("TC_B_21_CS")
async def test_reset_with_transaction_on_idle(station, operator, bench):
    """Reset Charging Station - With Ongoing Transaction - OnIdle.

    During a transaction, Reset OnIdle: Scheduled; the station keeps the transaction going
    and does not reboot. The driver stops it (presents the token, unplugs): TransactionEvent
    Ended, and only then the station reboots (BootNotification reason RemoteReset).

    Requirements: B12.FR.01, B12.FR.03.
    """
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    mark = station.journal.mark()
    try:
        await _reset(station, "OnIdle", "Scheduled")
        await station.expect_none("BootNotification", within=bench.csms.quiet_period, since=mark)
        await station.expect_none("TransactionEvent", {"eventType": "Ended"}, within=0, since=mark)
        token = id_token(bench)
        await operator.present_id_token(token["idToken"], token["type"], evse)
        await operator.unplug(evse, connector)
        ended = await station.expect("TransactionEvent", {
            "eventType": "Ended", "transactionInfo.transactionId": transaction})
        boot = await _rebooted(station, bench)
        assert boot.seq > ended.seq, (
            "the station rebooted before the transaction had ended (Reset OnIdle must wait "
            "for the end of the transaction)")
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_B_22_CS")
async def test_reset_with_transaction_immediate(station, operator, bench):
    """Reset Charging Station - With Ongoing Transaction - Immediate.

    During a transaction, Reset Immediate: Accepted; the station ends the transaction with a
    TransactionEvent Ended (triggerReason ResetCommand, stoppedReason ImmediateReset) before
    it reboots, then sends BootNotification with reason RemoteReset.

    Requirements: B12.FR.02, B12.FR.04, E07.FR.03, B01.FR.03.
    """
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    mark = station.journal.mark()
    try:
        await _reset(station, "Immediate", "Accepted")
        boot = await _rebooted(station, bench)
        ended = [e for e in station.received(mark) if e.action == "TransactionEvent"
                 and e.seq < boot.seq and (e.payload or {}).get("eventType") == "Ended"
                 and dig(e.payload, "transactionInfo.transactionId") == transaction]
        assert ended, (
            f"after Reset Immediate the station rebooted without first sending TransactionEvent "
            f"Ended for the ongoing transaction {transaction} (B12.FR.04)")
        event = ended[0].payload or {}
        assert event.get("triggerReason") == "ResetCommand", (
            f"TransactionEvent Ended after Reset Immediate: expected triggerReason ResetCommand "
            f"(B12.FR.04), the station sent {event.get('triggerReason')!r}")
        stopped = dig(event, "transactionInfo.stoppedReason")
        assert stopped == "ImmediateReset", (
            f"TransactionEvent Ended after Reset Immediate: expected stoppedReason ImmediateReset "
            f"(B12.FR.04), the station sent {stopped!r}")
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_B_23_CS")
async def test_reset_unavailable_persists(station, operator, bench):
    """Reset Charging Station - Unavailable persists reset.

    ChangeAvailability Inoperative for the first EVSE: Accepted, its connectors become
    Unavailable. After Reset OnIdle (Accepted) and the reboot (reason RemoteReset) the
    station reports that EVSE's connectors Unavailable again, the other EVSEs' Available.

    Requirements: B11.FR.01, B11.FR.02, B11.FR.03, B11.FR.04, B01.FR.03.
    """
    evse, _ = first_connector(bench)
    own = [k for k in connectors(bench) if k[0] == evse]
    try:
        reply = await station.call("ChangeAvailability", {"operationalStatus": "Inoperative",
                                                          "evse": {"id": evse}})
        assert reply["status"] == "Accepted", (
            f"ChangeAvailability Inoperative for idle EVSE {evse}: expected Accepted, the "
            f"station answered {reply['status']!r}")
        before = await wait_statuses(station, own, station.test_mark, bench.csms.message_timeout,
                                     f"after EVSE {evse} was made Inoperative")
        assert set(before.values()) == {"Unavailable"}, (
            f"after ChangeAvailability Inoperative for EVSE {evse} its connectors must be "
            f"Unavailable; the station reported {before}")
        await _reset(station, "OnIdle", "Accepted")
        boot = await _rebooted(station, bench)
        after = await wait_statuses(station, connectors(bench), boot.seq, bench.csms.message_timeout,
                                    "after the reset")
        expected = {k: ("Unavailable" if k[0] == evse else "Available") for k in after}
        wrong = {k: s for k, s in after.items() if s != expected[k]}
        assert not wrong, (
            f"EVSE {evse} was Inoperative before the reset, which must persist (B11.FR.02): "
            f"expected {expected}, the station reported after the reboot {after}")
    finally:
        if station.is_connected:
            with contextlib.suppress(Exception):
                await station.call("ChangeAvailability", {"operationalStatus": "Operative",
                                                          "evse": {"id": evse}})


# ---- Reset of one EVSE (C-13 / NOT C-13) and OnIdle with several transactions --------------
# TC_B_25..29_CS, TC_B_41_CS. The EVSE's own connectors restart; the station stays connected.

async def _reset_evse(station: StationSession, kind: str, evse: int, expected: str) -> None:
    reply = await station.call("Reset", {"type": kind, "evseId": evse})
    assert reply["status"] == expected, (
        f"Reset {kind} of EVSE {evse}: expected {expected}, the station answered "
        f"{reply['status']!r} {reply.get('statusInfo') or ''}".rstrip())


async def _evse_back(station: StationSession, bench: Bench, evse: int, since: int) -> None:
    """The EVSE restarted: its connectors were reported Unavailable while it was down
    (B11.FR.08), then Available again; the rest of the station was not reset: no
    BootNotification (only EVSE ``evse`` was to restart)."""
    own = {k for k in connectors(bench) if k[0] == evse}
    deadline = time.monotonic() + reboot_within(bench)
    while True:
        reports = [(ev, c, s) for ev, c, s, _ in status_reports(station, since) if (ev, c) in own]
        down = next((i for i, r in enumerate(reports) if r[2] == "Unavailable"), None)
        after = {} if down is None else {(ev, c): s for ev, c, s in reports[down:]}
        if set(after) == own and set(after.values()) == {"Available"}:
            break
        remaining = deadline - time.monotonic()
        assert remaining > 0, (
            f"the reset of EVSE {evse}: expected its connectors reported Unavailable while it "
            f"restarts (B11.FR.08), then Available, within {reboot_within(bench):g} s; the station reported "
            f"{[f'connector {c}: {s}' for _, c, s in reports] or 'nothing for them'}")
        await station.journal.wait_change(remaining)
    boots = [e for e in station.received(since) if e.action == "BootNotification"]
    assert not boots, (
        f"Reset of EVSE {evse} only: the whole station rebooted instead:\n  "
        f"{boots[0].describe()}")


@pytest.mark.octt("TC_B_25_CS")
@pytest.mark.requires("EvseReset")  # C-13
async def test_reset_evse_without_transaction(station, operator, bench):
    """Reset EVSE - Without ongoing transaction.

    Reset OnIdle for one idle EVSE: Accepted (B11.FR.01); that EVSE restarts: its
    connectors are reported Unavailable (B11.FR.08), then Available again, while the station
    itself stays up (no BootNotification). Requirements: B11.FR.01, B11.FR.08, B11.FR.10.
    """
    evse, _ = first_connector(bench)
    mark = station.journal.mark()
    await _reset_evse(station, "OnIdle", evse, "Accepted")
    await _evse_back(station, bench, evse, mark)
    await station.expect_none("BootNotification", within=bench.csms.quiet_period, since=mark)


@pytest.mark.octt("TC_B_26_CS")
@pytest.mark.requires("EvseReset")  # C-13
async def test_reset_evse_with_transaction_on_idle(station, operator, bench):
    """Reset EVSE - With Ongoing Transaction - OnIdle.

    During a transaction on the EVSE, Reset OnIdle for it: Scheduled (B12.FR.01); the
    transaction goes on (B12.FR.07). The driver stops it (token, unplug): TransactionEvent
    Ended; then the EVSE restarts and comes back Available, without a station reboot.
    """
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    mark = station.journal.mark()
    try:
        await _reset_evse(station, "OnIdle", evse, "Scheduled")
        await station.expect_none("TransactionEvent", {
            "eventType": "Ended", "transactionInfo.transactionId": transaction},
            within=bench.csms.quiet_period, since=mark)
        token = id_token(bench)
        await operator.present_id_token(token["idToken"], token["type"], evse)
        await operator.unplug(evse, connector)
        ended = await station.expect("TransactionEvent", {
            "eventType": "Ended", "transactionInfo.transactionId": transaction})
        await _evse_back(station, bench, evse, ended.seq)
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_B_27_CS")
@pytest.mark.requires("EvseReset")  # C-13
async def test_reset_evse_with_transaction_immediate(station, operator, bench):
    """Reset EVSE - With Ongoing Transaction - Immediate.

    During a transaction, Reset Immediate for its EVSE: Accepted (B12.FR.02); the station
    ends the transaction with TransactionEvent Ended, triggerReason ResetCommand, stoppedReason
    ImmediateReset, chargingState EVConnected (B12.FR.08, E07.FR.03); the EVSE restarts and
    comes back (Occupied while the EV is still plugged), the station does not reboot.
    """
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    mark = station.journal.mark()
    try:
        await _reset_evse(station, "Immediate", evse, "Accepted")
        ended = await station.expect("TransactionEvent", {
            "eventType": "Ended", "transactionInfo.transactionId": transaction})
        got = {k: ended[k] if k == "triggerReason" else dig(ended.payload, f"transactionInfo.{k}")
               for k in ("triggerReason", "stoppedReason", "chargingState")}
        want = {"triggerReason": "ResetCommand", "stoppedReason": "ImmediateReset",
                "chargingState": "EVConnected"}
        assert got == want, (
            f"TransactionEvent Ended after Reset Immediate of EVSE {evse}: expected {want} "
            f"(B12.FR.08), the station sent {got}")
        await operator.unplug(evse, connector)
        await _evse_back(station, bench, evse, ended.seq)
        await station.expect_none("BootNotification", within=bench.csms.quiet_period, since=mark)
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_B_28_CS")
@pytest.mark.requires("NoEvseReset")  # NOT C-13
async def test_reset_evse_not_supported(station, operator, bench):
    """Reset EVSE - Not Supported: Reset OnIdle for one EVSE of a station that cannot reset a
    single EVSE is Rejected (B11.FR.09, B12.FR.09), and nothing reboots."""
    evse, _ = first_connector(bench)
    mark = station.journal.mark()
    await _reset_evse(station, "OnIdle", evse, "Rejected")
    await station.expect_none("BootNotification", within=bench.csms.quiet_period, since=mark)


@pytest.mark.octt("TC_B_29_CS")
@pytest.mark.requires("NoEvseReset")  # NOT C-13
async def test_reset_evse_with_transaction_not_supported(station, operator, bench):
    """Reset EVSE - With ongoing transaction - Not Supported: during a transaction, Reset
    OnIdle for its EVSE is Rejected (B12.FR.09) and the transaction goes on (no Ended)."""
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    mark = station.journal.mark()
    try:
        await _reset_evse(station, "OnIdle", evse, "Rejected")
        await station.expect_none("TransactionEvent", {
            "eventType": "Ended", "transactionInfo.transactionId": tx_id(started)},
            within=bench.csms.quiet_period, since=mark)
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_B_41_CS")
async def test_reset_on_idle_with_multiple_transactions(station, operator, bench):
    """Reset Charging Station - With multiple ongoing transactions - OnIdle.

    Transactions on two EVSEs; Reset OnIdle (no evseId): Scheduled (B12.FR.01). Ending the
    first transaction is not enough: the station reboots only after the second has ended too
    (B12.FR.03), each with its TransactionEvent Ended (E07.FR.03).
    """
    if len(bench.station.evses) < 2:
        pytest.skip("needs a station with more than one EVSE (OCTT HFS-8 > 1)")
    pairs = [(e.id, e.connectors[0].id) for e in bench.station.evses[:2]]
    names = ["valid", "valid2"]
    tokens = [id_token(bench, name) for name in names]
    try:
        transactions = []
        for (evse, connector), name in zip(pairs, names, strict=True):
            started = await start_charging(station, operator, bench, evse=evse,
                                           connector=connector, token=name)
            transactions.append(tx_id(started))
        mark = station.journal.mark()
        await _reset(station, "OnIdle", "Scheduled")
        ended = []
        for (evse, connector), token, transaction in zip(pairs, tokens, transactions, strict=True):
            await station.expect_none("BootNotification", within=bench.csms.quiet_period,
                                      since=mark)
            await operator.present_id_token(token["idToken"], token["type"], evse)
            await operator.unplug(evse, connector)
            ended.append(await station.expect("TransactionEvent", {
                "eventType": "Ended", "transactionInfo.transactionId": transaction}))
        boot = await _rebooted(station, bench)
        early = [m for m in ended if m.seq > boot.seq]
        assert not early, (
            "Reset OnIdle with two transactions: the station rebooted before both had ended "
            f"(B12.FR.03); Ended of {[dig(m.payload, 'transactionInfo.transactionId') for m in early]} "
            "came after the BootNotification")
    finally:
        for evse, connector in pairs:
            with contextlib.suppress(Exception):
                await operator.unplug(evse, connector)
