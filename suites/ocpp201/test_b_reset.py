"""OCTT block B, reset (Charging Station side): Reset OnIdle / Immediate, with and without a
transaction, and what a reset keeps."""

from __future__ import annotations

import contextlib

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession, dig
from suites.ocpp201.provisioning import connectors, reboot_within, wait_statuses
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
