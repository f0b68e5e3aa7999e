"""TC_K_38_CS needs a station without the Smart Charging profile: the emulated bench without
it (the emulated station is then built without Smart Charging and ignores a remote start's
chargingProfile, F01.FR.12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.variant_bench import derived_bench, outcomes

CASE = "test_remote_start_ignores_profile_without_smart_charging"


def test_station_without_smart_charging(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """Without Smart Charging, TC_K_38 passes; a station that applies the profile anyway
    (option smart_charging: true, the sheet not claiming it) fails it."""
    for options, expected in (({}, "passed"), ({"smart_charging": True}, "failed")):
        bench = derived_bench(tmp_path, [], [], options, drop_profiles=("Smart Charging",))
        assert outcomes(pytester, bench, ["TC_K_38_CS"]) == {CASE: expected}, options


def test_skipped_on_a_smart_charging_station(pytester: pytest.Pytester, tmp_path: Path) -> None:
    bench = derived_bench(tmp_path, [], [], {})
    assert outcomes(pytester, bench, ["TC_K_38_CS"]) == {CASE: "skipped"}
