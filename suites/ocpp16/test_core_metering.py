"""OCTT 1.6, Core profile (Charge Point side): sampled and clock-aligned meter values.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 sections its catalogue row names. Intervals are short (1 s) so the cases run in
seconds; timing is checked on the charge point's own timestamps, with a tolerance.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, Message, StationSession
from suites.ocpp16.support import hands_of, id_tag, start_transaction
from suites.ocpp201.transactions import off_grid, parse_ts

pytestmark = pytest.mark.ocpp_version("1.6")

# Successive samples one interval apart, and clock-aligned ones on the boundary, give or take
# this much (well under half of the 1 s interval used here).
SPACING_TOLERANCE_S = 0.35
GRID_TOLERANCE_S = 0.25
# What the cases configure: measurands every charge point meters (1.6 section 9.1.14, 9.1.2).
MEASURANDS = ["Energy.Active.Import.Register", "Power.Active.Import"]
SAMPLES = 3


async def change(station: StationSession, key: str, value: str) -> None:
    reply = await station.call("ChangeConfiguration", {"key": key, "value": value})
    assert reply["status"] == "Accepted", (
        f"ChangeConfiguration {key}={value}: expected Accepted, got {reply['status']}")


async def charging(station: StationSession, operator: Any, bench: Bench) -> tuple[Message, int]:
    """Cable in, badge: the transaction on connector 1 charging; StartTransaction and id."""
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(id_tag(bench), evse=evse)
    start, tx_id = await start_transaction(station, 1)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})
    return start, tx_id


async def meter_values(station: StationSession, tx_id: int, count: int, within_each: float,
                       what: str) -> list[Message]:
    got = []
    for n in range(count):
        try:
            got.append(await station.expect(
                "MeterValues", {"connectorId": 1, "transactionId": tx_id}, within=within_each))
        except ExpectTimeout as exc:
            raise AssertionError(
                f"expected {count} {what} for transaction {tx_id}, one at least every "
                f"{within_each:g} s; only {n} came.\n{exc}") from None
    return got


def check_sampled_values(message: Message, context: str, what: str) -> list[float]:
    """Each meterValue: one sampled value per configured measurand, all of ``context`` (1.6
    defaults: measurand Energy.Active.Import.Register, context Sample.Periodic); returns
    the meterValue timestamps."""
    stamps = []
    for mv in message["meterValue"]:
        values = mv.get("sampledValue", [])
        got = sorted(v.get("measurand", "Energy.Active.Import.Register") for v in values)
        assert got == sorted(MEASURANDS), (
            f"{what} at {mv['timestamp']}: expected one sampled value per configured measurand "
            f"{MEASURANDS}, got {got}")
        contexts = {v.get("context", "Sample.Periodic") for v in values}
        assert contexts == {context}, (
            f"{what} at {mv['timestamp']}: expected context {context}, got {sorted(contexts)}")
        stamps.append(parse_ts(mv["timestamp"]))
    return stamps


def check_spacing(stamps: list[float], interval: int, what: str) -> None:
    for a, b in itertools.pairwise(sorted(stamps)):
        assert abs((b - a) - interval) <= SPACING_TOLERANCE_S, (
            f"successive {what} are {b - a:.2f} s apart; the configured interval is "
            f"{interval} s (± {SPACING_TOLERANCE_S} s)")


@pytest.mark.octt("TC_070_CS")
async def test_sampled_meter_values(station, operator, bench):
    """Sampled Meter Values.

    MeterValueSampleInterval 1 s and MeterValuesSampledData set by the test; a transaction
    charges. The charge point sends MeterValues with the connectorId and the transactionId
    every interval from the start, one sampled value per configured measurand, context
    Sample.Periodic (1.6 sections 3.16, 4.7, 9.1.14).
    """
    interval = 1
    await change(station, "ClockAlignedDataInterval", "0")  # only sampled values in this case
    await change(station, "MeterValuesSampledData", ",".join(MEASURANDS))
    await change(station, "MeterValueSampleInterval", str(interval))
    start, tx_id = await charging(station, operator, bench)
    messages = await meter_values(station, tx_id, SAMPLES, interval + bench.csms.deviation,
                                  "sampled MeterValues")
    stamps = [parse_ts(start["timestamp"])]
    for m in messages:
        stamps += check_sampled_values(m, "Sample.Periodic", "sampled MeterValues")
    check_spacing(stamps, interval, "sampled meter values (from the StartTransaction)")


@pytest.mark.octt("TC_071_CS")
async def test_clock_aligned_meter_values(station, operator, bench):
    """Clock-aligned Meter Values.

    ClockAlignedDataInterval 1 s and MeterValuesAlignedData set by the test; a transaction
    charges. The charge point sends MeterValues for the connector with the transactionId,
    one sampled value per configured measurand, context Sample.Clock, stamped on the interval
    boundaries and one interval apart (1.6 sections 3.16, 4.7, 9.1.2).
    """
    interval = 1
    await change(station, "MeterValueSampleInterval", "0")  # only clock-aligned values here
    await change(station, "MeterValuesAlignedData", ",".join(MEASURANDS))
    await change(station, "ClockAlignedDataInterval", str(interval))
    _, tx_id = await charging(station, operator, bench)
    messages = await meter_values(station, tx_id, SAMPLES, interval + bench.csms.deviation,
                                  "clock-aligned MeterValues")
    stamps = []
    for m in messages:
        stamps += check_sampled_values(m, "Sample.Clock", "clock-aligned MeterValues")
        for mv in m["meterValue"]:
            assert off_grid(mv["timestamp"], interval) <= GRID_TOLERANCE_S, (
                f"clock-aligned MeterValues stamped {mv['timestamp']}, "
                f"{off_grid(mv['timestamp'], interval):.2f} s off the {interval} s boundaries of "
                "ClockAlignedDataInterval (1.6 section 9.1.2: aligned to midnight, every "
                "interval)")
    check_spacing(stamps, interval, "clock-aligned meter values")
