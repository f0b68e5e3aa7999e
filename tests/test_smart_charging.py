"""The harness's composite-schedule computation against schedules worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness.smart_charging import (
    Period,
    ProfileOnEvse,
    compare,
    composite_schedule,
    limit_in_force,
    without_blips,
)

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
INF = float("inf")


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def profile(pid: int, purpose: str, level: int, periods: list[tuple[int, float]], *,
            start: float | None = 0, duration: int | None = None, unit: str = "A",
            kind: str = "Absolute", **extra: Any) -> dict[str, Any]:
    schedule: dict[str, Any] = {"id": pid, "chargingRateUnit": unit, "chargingSchedulePeriod": [
        {"startPeriod": s, "limit": limit} for s, limit in periods]}
    if start is not None:
        schedule["startSchedule"] = at(start)
    if duration is not None:
        schedule["duration"] = duration
    return {"id": pid, "stackLevel": level, "chargingProfilePurpose": purpose,
            "chargingProfileKind": kind, "chargingSchedule": [schedule], **extra}


def periods(*pairs: tuple[float, float]) -> list[Period]:
    return [Period(s, limit) for s, limit in pairs]


def test_combining_purposes_as_octt_k41():
    """TC_K_41_CS: Max 10 for a day; TxDefault 6,10,8,15,8 at 0,60,120,180,260 for 300 s;
    TxProfile 8,11,16,6,12 at 0,50,140,200,240 for 260 s, all from -4 s. Asked at 0 for 400 s:
    8 (Tx), 10 at 46 (Max caps 11 and 16 and 12... merged), 6 at 196, 10 at 236, 8 at 256
    (TxDefault once the TxProfile ended), 10 at 296 (Max alone)."""
    installed = [
        ProfileOnEvse(0, profile(1, "ChargingStationMaxProfile", 0, [(0, 10)], start=-4,
                                 duration=86400)),
        ProfileOnEvse(1, profile(2, "TxDefaultProfile", 0,
                                 [(0, 6), (60, 10), (120, 8), (180, 15), (260, 8)],
                                 start=-4, duration=300)),
        ProfileOnEvse(1, profile(3, "TxProfile", 0, [(0, 8), (50, 11), (140, 16), (200, 6), (240, 12)],
                                 start=-4, duration=260, transactionId="tx1")),
    ]
    got = composite_schedule(installed, evse_id=1, start=T0, duration=400, unit="A", tx_id="tx1")
    assert got == periods((0, 8), (46, 10), (196, 6), (236, 10), (256, 8), (296, 10))
    # without the transaction, the TxProfile does not count
    got = composite_schedule(installed, evse_id=1, start=T0, duration=400, unit="A")
    assert got == periods((0, 6), (56, 10), (116, 8), (176, 10), (256, 8), (296, 10))


def test_stacking_as_octt_k40():
    """TC_K_40_CS: TxDefault level 0 (6, 8 at 100, 10 at 200, 400 s) under level 1 (7, 9 at
    100, 150 s), both from -4 s: 7, 9 at 96, 8 at 146 (level 1 ended), 10 at 196."""
    installed = [
        ProfileOnEvse(1, profile(1, "TxDefaultProfile", 0, [(0, 6), (100, 8), (200, 10)],
                                 start=-4, duration=400)),
        ProfileOnEvse(1, profile(2, "TxDefaultProfile", 1, [(0, 7), (100, 9)], start=-4,
                                 duration=150)),
    ]
    got = composite_schedule(installed, evse_id=1, start=T0, duration=350, unit="A")
    assert got == periods((0, 7), (96, 9), (146, 8), (196, 10))


def test_evse_specific_default_wins_over_station_wide():
    installed = [ProfileOnEvse(0, profile(1, "TxDefaultProfile", 0, [(0, 10)])),
                 ProfileOnEvse(1, profile(2, "TxDefaultProfile", 0, [(0, 6)]))]
    assert composite_schedule(installed, evse_id=1, start=T0, duration=60, unit="A") == periods((0, 6))
    assert composite_schedule(installed, evse_id=2, start=T0, duration=60, unit="A") == periods((0, 10))
    # EVSE 0 reports the station-wide profiles only
    assert composite_schedule(installed, evse_id=0, start=T0, duration=60, unit="A") == periods((0, 10))


def test_valid_from_and_valid_to():
    base = ProfileOnEvse(1, profile(1, "TxDefaultProfile", 0, [(0, 10)]))
    later = ProfileOnEvse(1, profile(2, "TxDefaultProfile", 1, [(0, 6)], validFrom=at(60)))
    ending = ProfileOnEvse(1, profile(3, "TxDefaultProfile", 2, [(0, 4)], validTo=at(30)))
    got = composite_schedule([base, later, ending], evse_id=1, start=T0, duration=120, unit="A")
    assert got == periods((0, 4), (30, 10), (60, 6))


def test_start_schedule_in_the_future():
    installed = [ProfileOnEvse(1, profile(1, "TxDefaultProfile", 0, [(0, 10)])),
                 ProfileOnEvse(1, profile(2, "TxDefaultProfile", 1, [(0, 6)], start=60))]
    got = composite_schedule(installed, evse_id=1, start=T0, duration=120, unit="A")
    assert got == periods((0, 10), (60, 6))


def test_daily_recurring_profile():
    """Started yesterday 100 s before now: 8 from 0, 12 from 3600 -> now 8, 12 after 3500 s,
    and the next day's recurrence 86300 s from now (8, then 12 at 89900)."""
    installed = [ProfileOnEvse(1, profile(1, "TxDefaultProfile", 0, [(0, 8), (3600, 12)],
                                          start=-86400 - 100, kind="Recurring",
                                          recurrencyKind="Daily", duration=86400))]
    got = composite_schedule(installed, evse_id=1, start=T0, duration=90000, unit="A")
    assert got == periods((0, 8), (3500, 12), (86300, 8), (89900, 12))


def test_relative_profile_counts_from_the_transaction_start():
    installed = [ProfileOnEvse(1, profile(1, "TxProfile", 0, [(0, 16), (120, 20)], start=None,
                                          kind="Relative", transactionId="t"))]
    got = composite_schedule(installed, evse_id=1, start=T0, duration=200, unit="A",
                             tx_start=at(-30), tx_id="t")
    assert got == periods((0, 16), (90, 20))


def test_no_profile_is_no_limit_and_units_convert():
    assert composite_schedule([], evse_id=1, start=T0, duration=10, unit="A") == periods((0, INF))
    installed = [ProfileOnEvse(0, profile(1, "ChargingStationMaxProfile", 0, [(0, 20_000)],
                                          unit="W"))]
    assert limit_in_force(installed, evse_id=1, at=T0, unit="A", volts=400) == 50


def test_compare_reports_differences():
    expected = periods((0, 8), (46, 10))
    assert compare([{"startPeriod": 0, "limit": 8}, {"startPeriod": 48, "limit": 10}], expected,
                   time_tolerance=4) == []
    problems = compare([{"startPeriod": 0, "limit": 8}], expected, time_tolerance=4)
    assert problems and "1 period(s) reported, 2 expected" in problems[0]
    problems = compare([{"startPeriod": 0, "limit": 9}, {"startPeriod": 60, "limit": 10}], expected,
                       time_tolerance=4)
    assert len(problems) == 2


def test_blips_shorter_than_the_resolution_are_dropped():
    got = without_blips(periods((0, INF), (0.4, 16), (100, 8), (100.5, 9)), 1.5, 300)
    assert got == periods((0, 16), (100.5, 9))
