"""Block B cases that need the other kind of station: EVSE reset (OCTT C-13: the emulated
station resets one EVSE, TC_B_25..27_CS; option ``evse_reset: false`` cannot, TC_B_28/29_CS)
and a base report not supported (Not C-56, option ``summary_inventory: false``, TC_B_15_CS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.variant_bench import derived_bench
from tests.variant_bench import outcomes as run

CASES = ["TC_B_25_CS", "TC_B_26_CS", "TC_B_27_CS", "TC_B_28_CS", "TC_B_29_CS"]
NAMES = {"test_reset_evse_without_transaction": "TC_B_25_CS",
         "test_reset_evse_with_transaction_on_idle": "TC_B_26_CS",
         "test_reset_evse_with_transaction_immediate": "TC_B_27_CS",
         "test_reset_evse_not_supported": "TC_B_28_CS",
         "test_reset_evse_with_transaction_not_supported": "TC_B_29_CS"}


def outcomes(tmp_path: Path, pytester: pytest.Pytester, features: list[str],
             options: dict[str, Any]) -> dict[str, str]:
    bench = derived_bench(tmp_path, ["EvseReset", "NoEvseReset"], features, options)
    return {NAMES[name]: outcome for name, outcome in run(pytester, bench, CASES).items()}


def test_station_without_evse_reset(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A station that cannot reset one EVSE (NOT C-13) passes TC_B_28/29; the C-13 cases skip."""
    got = outcomes(tmp_path, pytester, ["NoEvseReset"], {"evse_reset": False})
    assert got == {"TC_B_25_CS": "skipped", "TC_B_26_CS": "skipped", "TC_B_27_CS": "skipped",
                   "TC_B_28_CS": "passed", "TC_B_29_CS": "passed"}


def test_evse_reset_cases_tell_the_variants_apart(pytester: pytest.Pytester,
                                                  tmp_path: Path) -> None:
    """A bench claiming the variant its station is not fails: C-13 claimed without EVSE reset
    fails TC_B_25..27; NOT C-13 claimed on a station that resets EVSEs fails TC_B_28/29."""
    got = outcomes(tmp_path, pytester, ["EvseReset", "NoEvseReset"], {"evse_reset": False})
    assert got == {"TC_B_25_CS": "failed", "TC_B_26_CS": "failed", "TC_B_27_CS": "failed",
                   "TC_B_28_CS": "passed", "TC_B_29_CS": "passed"}
    got = outcomes(tmp_path, pytester, ["EvseReset", "NoEvseReset"], {})
    assert got == {"TC_B_25_CS": "passed", "TC_B_26_CS": "passed", "TC_B_27_CS": "passed",
                   "TC_B_28_CS": "failed", "TC_B_29_CS": "failed"}


def test_station_without_summary_inventory(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """TC_B_15_CS (Not C-56) passes on a station built without the SummaryInventory base report
    (option ``summary_inventory: false``) and fails on one that has it: the case can fail."""
    for options, expected in (({"summary_inventory": False}, "passed"), ({}, "failed")):
        bench = derived_bench(tmp_path, [], ["NoSummaryInventory"], options)
        got = list(run(pytester, bench, ["TC_B_15_CS"]).values())
        assert got == [expected], (options, got)
