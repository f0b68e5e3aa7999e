"""OCTT block J, MeterValues (Charging Station side): clock-aligned and sampled meter values."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.protocols import ocmf
from suites.ocpp201.support import set_variable, start_charging, tx_id
from suites.ocpp201.transactions import (
    applied,
    check_meter_value,
    check_register_monotonic,
    check_sequence,
    end_by_unplug,
    list_variable,
    meter_values,
    off_grid,
    parse_ts,
    run_for,
    try_set,
    tx_points,
)
from suites.power.signed_meter import REGISTER, decode_signed_meter_data

# Clock-aligned timestamps must sit on the interval boundary; a station stamps the moment it
# measured, so allow a little (well under half of the shortest interval used here, 1 s).
GRID_TOLERANCE_S = 0.25
# Successive samples must be one interval apart, give or take the same.
SPACING_TOLERANCE_S = 0.35


def _check_aligned(mvs: list[tuple[str, dict]], interval: int) -> None:
    """(who, meterValue) pairs: on the grid, and one interval apart per ``who``."""
    by_who: dict[str, list[float]] = {}
    for who, mv in mvs:
        stamp = mv["timestamp"]
        assert off_grid(stamp, interval) <= GRID_TOLERANCE_S, (
            f"{who}: clock-aligned meter value timestamp {stamp} is "
            f"{off_grid(stamp, interval):.2f} s off the {interval} s interval boundary "
            "(J01: clock-aligned values are taken at the interval boundaries)")
        by_who.setdefault(who, []).append(parse_ts(stamp))
    _check_spacing(by_who, interval, "clock-aligned")


def _check_spacing(by_who: dict[str, list[float]], interval: int, kind: str) -> None:
    for who, times in by_who.items():
        times.sort()
        for a, b in itertools.pairwise(times):
            assert abs((b - a) - interval) <= SPACING_TOLERANCE_S, (
                f"{who}: successive {kind} meter values are {b - a:.2f} s apart; the configured "
                f"interval is {interval} s")


def _begin(started: Message) -> float:
    """When the transaction began, by the station's clock: its Transaction.Begin meter value,
    else the Started event's timestamp."""
    begin = meter_values(started)
    return parse_ts(begin[0]["timestamp"] if begin else started["timestamp"])


async def _expect_many(station: StationSession, action: str, where, count: int,
                       within_each: float, what: str) -> list[Message]:
    got = []
    for n in range(count):
        try:
            got.append(await station.expect(action, where, within=within_each))
        except ExpectTimeout as exc:
            raise AssertionError(
                f"expected {count} {what}, one at least every {within_each:g} s; only {n} "
                f"came.\n{exc}") from None
    return got


# ---- J01: clock-aligned -------------------------------------------------------------------------
@pytest.mark.octt("TC_J_01_CS")
async def test_clock_aligned_no_transaction(station, operator, bench):
    """Clock-aligned Meter Values - No transaction ongoing.

    AlignedDataCtrlr.Interval 1 s, no transaction: the station sends MeterValues per EVSE
    (and optionally for the main meter, evseId 0) at every interval boundary, context
    Sample.Clock, one sampled value per configured AlignedDataCtrlr measurand, timestamps on
    the boundary and one interval apart (J01.FR.01, J01.FR.02, J01.FR.03, J01.FR.06,
    J01.FR.07, J01.FR.08, J01.FR.14, J01.FR.15). The OCTT ends after three messages.
    """
    measurands = await list_variable(station, "AlignedDataCtrlr", "Measurands")
    await try_set(station, "AlignedDataCtrlr", "SendDuringIdle", "true")
    interval = 1
    await set_variable(station, "AlignedDataCtrlr", "Interval", str(interval))
    evses = len(bench.station.evses)
    messages = await _expect_many(station, "MeterValues", None, max(3, evses + 1),
                                  interval + bench.csms.deviation, "clock-aligned MeterValues")
    mvs = []
    for m in messages:
        for mv in m["meterValue"]:
            check_meter_value(mv, measurands, ("Sample.Clock",),
                              f"clock-aligned MeterValues of EVSE {m['evseId']}")
            mvs.append((f"MeterValues of EVSE {m['evseId']}", mv))
    _check_aligned(mvs, interval)


@pytest.mark.octt("TC_J_02_CS")
async def test_clock_aligned_transaction_ongoing(station, operator, bench):
    """Clock-aligned Meter Values - Transaction ongoing.

    AlignedDataCtrlr.Interval 1 s, SendDuringIdle false (if implemented), a transaction
    charging: the EVSE's clock-aligned values come in TransactionEvent Updated, triggerReason
    MeterValueClock, context Sample.Clock, one sampled value per measurand, on the interval
    boundary (J01.FR.01, J01.FR.02, J01.FR.03, J01.FR.06, J01.FR.07,
    J01.FR.08, J01.FR.14, J01.FR.15).
    """
    measurands = await list_variable(station, "AlignedDataCtrlr", "Measurands")
    await try_set(station, "AlignedDataCtrlr", "SendDuringIdle", "false")
    interval = 1
    await set_variable(station, "AlignedDataCtrlr", "Interval", str(interval))
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    events = await _expect_many(station, "TransactionEvent", {
        "transactionInfo.transactionId": transaction, "triggerReason": "MeterValueClock"}, 1,
        interval + bench.csms.deviation, "TransactionEvents with triggerReason MeterValueClock")
    mvs = []
    for event in events:
        assert event["eventType"] == "Updated", (
            f"clock-aligned values during a transaction come in eventType Updated, got "
            f"{event['eventType']}")
        values = meter_values(event)
        assert values, f"TransactionEvent MeterValueClock without meterValue: {event.payload}"
        for mv in values:
            check_meter_value(mv, measurands, ("Sample.Clock",),
                              f"TransactionEvent seqNo {event['seqNo']} (MeterValueClock)")
            mvs.append(("the transaction's clock-aligned values", mv))
    _check_aligned(mvs, interval)
    await end_by_unplug(station, operator, bench, transaction)
    check_register_monotonic(check_sequence(station, transaction), f"transaction {transaction}")


@pytest.mark.octt("TC_J_03_CS")
async def test_clock_aligned_in_ended_event(station, operator, bench):
    """Clock-aligned Meter Values - EventType Ended.

    AlignedDataCtrlr.TxEndedInterval 1 s: after the transaction has run past an interval
    boundary, the EV leaves; the Ended event carries a meter value per boundary (context
    Sample.Clock, on the boundary, a sampled value per AlignedDataCtrlr.TxEndedMeasurands) and
    one with context Transaction.End (J01.FR.01, J01.FR.02, J01.FR.03, J01.FR.06, J01.FR.07,
    J01.FR.08, J01.FR.14, J01.FR.15, E06.FR.11, E06.FR.17).
    """
    measurands = await list_variable(station, "AlignedDataCtrlr", "TxEndedMeasurands")
    await try_set(station, "AlignedDataCtrlr", "SendDuringIdle", "false")
    interval = 1
    await set_variable(station, "AlignedDataCtrlr", "TxEndedInterval", str(interval))
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    ran = interval + 0.3  # at least one boundary, whatever the station's clock
    await run_for(station, transaction, ran)
    ended = await end_by_unplug(station, operator, bench, transaction)
    values = meter_values(ended)
    clock = [mv for mv in values if mv["sampledValue"][0].get("context") == "Sample.Clock"]
    end = [mv for mv in values if mv["sampledValue"][0].get("context") == "Transaction.End"]
    assert clock, (
        f"the transaction ran {ran:g} s with AlignedDataCtrlr.TxEndedInterval={interval} s: its "
        f"Ended event must hold a Sample.Clock meter value per interval boundary it passed; it "
        f"holds none: {values}")
    assert end, f"the Ended event must hold a Transaction.End meter value: {values}"
    for mv in clock:
        check_meter_value(mv, measurands, ("Sample.Clock",), "Ended, clock-aligned sample")
    _check_aligned([("Ended event", mv) for mv in clock], interval)
    check_register_monotonic(check_sequence(station, transaction), f"transaction {transaction}")


# ---- J02: sampled -----------------------------------------------------------------------------
@pytest.mark.octt("TC_J_07_CS")
async def test_sampled_started_evse_known(station, operator, bench):
    """Sampled Meter Values - EventType Started - EVSE known.

    The transaction starts with the EVSE known (TxStartPoint other than ParkingBayOccupancy):
    the Started event carries meter values, context Transaction.Begin, one sampled value per
    SampledDataCtrlr.TxStartedMeasurands (J02.FR.01, J02.FR.02, J02.FR.03, J02.FR.04,
    J02.FR.10, E01.FR.09, E02.FR.09, E03.FR.07, E04.FR.05, E05.FR.05).
    """
    starts, _ = await tx_points(station)
    if starts == ["ParkingBayOccupancy"]:
        pytest.skip("TxStartPoint is ParkingBayOccupancy only: the EVSE is not known at start")
    measurands = await list_variable(station, "SampledDataCtrlr", "TxStartedMeasurands")
    started = await start_charging(station, operator, bench)
    values = meter_values(started)
    assert values, (
        f"the Started event must carry the TxStartedMeasurands {measurands} as meterValue "
        f"(J02.FR.01); it has none: {started.payload}")
    assert started.get("evse"), f"the Started event must name the EVSE: {started.payload}"
    for mv in values:
        check_meter_value(mv, measurands, ("Transaction.Begin",), "Started event")
    await end_by_unplug(station, operator, bench, tx_id(started))


@pytest.mark.octt("TC_J_09_CS")
async def test_sampled_updated(station, operator, bench):
    """Sampled Meter Values - EventType Updated.

    SampledDataCtrlr.TxUpdatedInterval 1 s: during the transaction the station sends
    TransactionEvent Updated with triggerReason MeterValuePeriodic every interval from the
    start (the first one interval after Transaction.Begin), context
    Sample.Periodic, a sampled value per TxUpdatedMeasurands, the energy register never going
    back, seqNo growing by one (J02.FR.01, J02.FR.02, J02.FR.03, J02.FR.04, J02.FR.10,
    J02.FR.11, J02.FR.14, E02.FR.10, E02.FR.11, E03.FR.08, E03.FR.09, E04.FR.06, E04.FR.09,
    E11.FR.03, E11.FR.06, E12.FR.03, E12.FR.06).
    """
    measurands = await list_variable(station, "SampledDataCtrlr", "TxUpdatedMeasurands")
    interval = 1
    await set_variable(station, "SampledDataCtrlr", "TxUpdatedInterval", str(interval))
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    events = await _expect_many(station, "TransactionEvent", {
        "transactionInfo.transactionId": transaction, "triggerReason": "MeterValuePeriodic"}, 1,
        interval + bench.csms.deviation, "TransactionEvents with triggerReason MeterValuePeriodic")
    stamps = {"Transaction.Begin and sampled values": [_begin(started)]}
    for event in events:
        assert event["eventType"] == "Updated", (
            f"periodic values come in eventType Updated, got {event['eventType']}")
        values = meter_values(event)
        assert values, f"TransactionEvent MeterValuePeriodic without meterValue: {event.payload}"
        for mv in values:
            check_meter_value(mv, measurands, ("Sample.Periodic",),
                              f"TransactionEvent seqNo {event['seqNo']} (MeterValuePeriodic)")
            stamps["Transaction.Begin and sampled values"].append(parse_ts(mv["timestamp"]))
    _check_spacing(stamps, interval, "sampled")
    await end_by_unplug(station, operator, bench, transaction)
    check_register_monotonic(check_sequence(station, transaction), f"transaction {transaction}")


@pytest.mark.octt("TC_J_10_CS")
async def test_sampled_in_ended_event(station, operator, bench):
    """Sampled Meter Values - EventType Ended.

    SampledDataCtrlr.TxEndedInterval 1 s: after the transaction has run for more than an
    interval, the EV leaves; the Ended event carries a meter value per interval from the start
    (context Sample.Periodic, one interval apart, a sampled value per TxEndedMeasurands) and
    one with context Transaction.End (J02.FR.01, J02.FR.02, J02.FR.03, J02.FR.04, J02.FR.10, E06.FR.11,
    E06.FR.17, ...).
    """
    measurands = await list_variable(station, "SampledDataCtrlr", "TxEndedMeasurands")
    interval = 1
    await set_variable(station, "SampledDataCtrlr", "TxEndedInterval", str(interval))
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    ran = interval + 0.3
    await run_for(station, transaction, ran)
    ended = await end_by_unplug(station, operator, bench, transaction)
    values = meter_values(ended)
    periodic = [mv for mv in values
                if mv["sampledValue"][0].get("context", "Sample.Periodic") == "Sample.Periodic"]
    end = [mv for mv in values if mv["sampledValue"][0].get("context") == "Transaction.End"]
    assert periodic, (
        f"the transaction ran {ran:g} s with SampledDataCtrlr.TxEndedInterval={interval} s: its "
        f"Ended event must hold a Sample.Periodic meter value per interval; it holds none: "
        f"{values}")
    assert end, f"the Ended event must hold a Transaction.End meter value: {values}"
    for mv in [*periodic, *end]:
        check_meter_value(mv, measurands, ("Sample.Periodic", "Transaction.End"),
                          "Ended event")
    _check_spacing({"Transaction.Begin and the Ended event's samples": [
        _begin(started), *(parse_ts(mv["timestamp"]) for mv in periodic)]}, interval, "sampled")
    check_register_monotonic(check_sequence(station, transaction), f"transaction {transaction}")


@pytest.mark.octt("TC_J_06_CS")
async def test_clock_aligned_not_during_transaction(station, operator, bench):
    """Clock-aligned Meter Values - No Meter Values during transaction.

    AlignedDataCtrlr.SendDuringIdle true, Interval 1 s: clock-aligned values come while the
    station is idle, and stop while a transaction runs: neither MeterValues nor
    TransactionEvent MeterValueClock during it (J01, AlignedDataCtrlr.SendDuringIdle).
    """
    if not applied(await try_set(station, "AlignedDataCtrlr", "SendDuringIdle", "true")):
        pytest.skip("AlignedDataCtrlr.SendDuringIdle cannot be set to true (not implemented)")
    interval = 1
    await set_variable(station, "AlignedDataCtrlr", "Interval", str(interval))
    await station.expect("MeterValues", within=interval + bench.csms.deviation)
    started = await start_charging(station, operator, bench)
    await station.expect_none("TransactionEvent", {"triggerReason": "MeterValueClock"},
                              within=interval + 0.3)
    during = [e for e in station.received() if e.action == "MeterValues" and e.seq > started.seq]
    assert not during, (
        "AlignedDataCtrlr.SendDuringIdle is true: no clock-aligned MeterValues may be sent while "
        "a transaction runs; the station sent:\n" + "\n".join(f"  {e.describe()}" for e in during))
    await end_by_unplug(station, operator, bench, tx_id(started))


# ==== Conditional cases: signed meter values (J01.FR.21, J02.FR.21) =============================
def _check_signed(event: Message, context: str, what: str) -> int:
    """Every energy register value of ``context`` in ``event`` carries a signedMeterValue that
    decodes as OCMF, verifies under the public key sent with it, and reads the plain value
    (within both last digits). Returns how many it checked."""
    checked = 0
    for mv in meter_values(event):
        for sv in mv.get("sampledValue") or []:
            if sv.get("context") != context or sv.get("measurand", REGISTER) != REGISTER:
                continue
            smv = sv.get("signedMeterValue")
            assert smv, (
                f"{what}: the SignReadings variable is true, so the {context} energy register "
                f"must carry a signedMeterValue; seqNo {event.get('seqNo')} sent {sv}")
            try:
                record = ocmf.parse(decode_signed_meter_data(smv))
                ocmf.verify(record, str(smv.get("publicKey") or ""))
            except ocmf.OcmfError as exc:
                raise AssertionError(f"{what}: the signed {context} register does not verify "
                                     f"(OCMF, under its publicKey): {exc}") from None
            plain = Decimal(str(sv["value"]))
            readings = [r.value_wh for r in record.readings if r.value_wh is not None]
            step = max((r.resolution_wh or Decimal(0) for r in record.readings), default=Decimal(0))
            # each side may cut its own last digit: the meter's resolution plus 1 Wh
            assert readings and abs(readings[-1] - plain) <= step + Decimal(1), (
                f"{what}: the signed register reads {readings} Wh, the plain value beside it "
                f"{plain} Wh: they must be the same reading")
            checked += 1
    return checked


@pytest.mark.octt("TC_J_04_CS")
@pytest.mark.requires("SignedMeterValues")  # C-42 (C-40: meter values in transaction events)
async def test_clock_aligned_signed(station, operator, bench):
    """Clock-aligned Meter Values - Signed.

    AlignedDataCtrlr.SignReadings true, Interval 1 s, a transaction charging: the clock-aligned
    energy register in the TransactionEvents (MeterValueClock) carries a signedMeterValue
    that verifies as OCMF and says the plain value (J01.FR.21).
    """
    await set_variable(station, "AlignedDataCtrlr", "SignReadings", "true")
    await try_set(station, "OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", "EveryMeterValue")
    await list_variable(station, "AlignedDataCtrlr", "Measurands")
    await try_set(station, "AlignedDataCtrlr", "SendDuringIdle", "false")
    interval = 1
    await set_variable(station, "AlignedDataCtrlr", "Interval", str(interval))
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    events = await _expect_many(station, "TransactionEvent", {
        "transactionInfo.transactionId": transaction, "triggerReason": "MeterValueClock"}, 2,
        interval + bench.csms.deviation, "TransactionEvents with triggerReason MeterValueClock")
    checked = sum(_check_signed(e, "Sample.Clock", "clock-aligned meter values") for e in events)
    assert checked, (
        "the clock-aligned TransactionEvents carry no Sample.Clock energy register to sign: "
        + "; ".join(str(e.get("meterValue")) for e in events))
    await end_by_unplug(station, operator, bench, transaction)


@pytest.mark.octt("TC_J_11_CS")
@pytest.mark.requires("SignedMeterValues")  # C-42
async def test_sampled_signed(station, operator, bench):
    """Sampled Meter Values - Signed.

    SampledDataCtrlr.SignReadings true, TxUpdatedInterval 1 s: the sampled energy register in
    the TransactionEvents (MeterValuePeriodic) carries a signedMeterValue that verifies as
    OCMF and says the plain value (J02.FR.21).
    """
    await set_variable(station, "SampledDataCtrlr", "SignReadings", "true")
    await try_set(station, "OCPPCommCtrlr", "PublicKeyWithSignedMeterValue", "EveryMeterValue")
    await list_variable(station, "SampledDataCtrlr", "TxUpdatedMeasurands")
    interval = 1
    await set_variable(station, "SampledDataCtrlr", "TxUpdatedInterval", str(interval))
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    events = await _expect_many(station, "TransactionEvent", {
        "transactionInfo.transactionId": transaction, "triggerReason": "MeterValuePeriodic"}, 2,
        interval + bench.csms.deviation, "TransactionEvents with triggerReason MeterValuePeriodic")
    checked = sum(_check_signed(e, "Sample.Periodic", "sampled meter values") for e in events)
    assert checked, (
        "the periodic TransactionEvents carry no Sample.Periodic energy register to sign: "
        + "; ".join(str(e.get("meterValue")) for e in events))
    await end_by_unplug(station, operator, bench, transaction)
