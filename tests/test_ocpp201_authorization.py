"""Station variants of the authorization cases (suites/ocpp201/test_c_authorization.py): the
Master Pass (C16) without UI (default bench, OCTT C-08) or with one (option ``master_pass_ui``,
C-07), and a cable holder lock (option ``cable_holder_lock``, AQ-2). Each variant's cases pass
on it and fail on a station that claims it without having it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.quirk_runner import ROOT
from tests.variant_bench import derived_bench
from tests.variant_bench import outcomes as variant_outcomes

BENCH = ROOT / "fixtures" / "benches" / "emulated.yaml"
MASTER_PASS_CASES = ["TC_C_45_CS", "TC_C_47_CS", "TC_C_48_CS", "TC_C_49_CS"]
UI_FEATURES = ("MasterPassWithUI", "MasterPassWithoutUI")


def master_pass_bench(tmp_path: Path, feature: str, ui: bool) -> Path:
    """The emulated bench claiming ``feature``, its station built with a UI or without."""
    return derived_bench(tmp_path, UI_FEATURES, [feature], {"master_pass_ui": ui})


def outcomes(pytester: pytest.Pytester, bench: Path,
             cases: list[str] = MASTER_PASS_CASES) -> dict[str, str]:
    return variant_outcomes(pytester, bench, cases)


def cable_lock_bench(tmp_path: Path, lock: bool) -> Path:
    """The emulated bench claiming a cable holder lock (OCTT AQ-2), built with one or not."""
    return derived_bench(tmp_path, [], ["CableHolderLock"], {"cable_holder_lock": lock})


CABLE_LOCK_CASES = ["TC_C_02_CS", "TC_C_05_CS", "TC_C_06_CS", "TC_C_07_CS"]


def test_cable_holder_lock_variant(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """With a cable holder lock (AQ-2) TC_C_05 passes and the plug-first cases are skipped;
    claimed for a station whose cable can be taken before authorization, TC_C_05 fails."""
    got = outcomes(pytester, cable_lock_bench(tmp_path, lock=True), CABLE_LOCK_CASES)
    assert got == {
        "test_local_start_invalid_cable_lock": "passed",
        "test_local_start_invalid": "skipped",
        "test_local_start_blocked": "skipped",
        "test_local_start_expired": "skipped",
    }, got
    got = outcomes(pytester, cable_lock_bench(tmp_path, lock=False), ["TC_C_05_CS"])
    assert got == {"test_local_start_invalid_cable_lock": "failed"}, got


def test_master_pass_with_ui_variant(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A station with a Master Pass screen passes TC_C_47 / TC_C_48 (and TC_C_45); the
    without-UI case is skipped."""
    got = outcomes(pytester, master_pass_bench(tmp_path, "MasterPassWithUI", ui=True))
    assert got == {
        "test_master_pass_ui_all": "passed",
        "test_master_pass_ui_specific": "passed",
        "test_master_pass_stops_all": "skipped",
        "test_master_pass_cannot_start": "passed",
    }, got


def test_master_pass_cases_tell_the_variants_apart(pytester: pytest.Pytester,
                                                   tmp_path: Path) -> None:
    """A station without UI that claims one fails the with-UI cases (it stops everything at
    the badge, before any selection); one with a UI claiming none fails TC_C_49."""
    got = outcomes(pytester, master_pass_bench(tmp_path, "MasterPassWithUI", ui=False))
    assert (got["test_master_pass_ui_all"], got["test_master_pass_ui_specific"]) == (
        "failed", "failed"), got
    got = outcomes(pytester, master_pass_bench(tmp_path, "MasterPassWithoutUI", ui=True))
    assert (got["test_master_pass_stops_all"], got["test_master_pass_cannot_start"]) == (
        "failed", "passed"), got
