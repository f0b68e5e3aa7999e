"""Every quirk of the emulated station is caught by the suite cases that claim to catch it.

A conformance suite is only as good as the defects it catches: for each quirk, the cases
listed in ``harness.emulator.quirks.QUIRKS`` must fail, in the test body, with a verdict
(an assertion naming what was expected), not with a harness error.
"""

from __future__ import annotations

import pytest

from harness import catalog
from harness.emulator.quirks import QUIRKS
from tests.quirk_runner import BENCH_16, VERDICT_TYPES, run_cases


@pytest.mark.parametrize("quirk", sorted(QUIRKS))
def test_quirk_is_caught(pytester: pytest.Pytester, quirk: str) -> None:
    spec = QUIRKS[quirk]
    # A quirk caught by OCPP 1.6 cases is switched on in the emulated 1.6 station.
    versions = {case.version for case in map(catalog.find, spec.breaks) if case is not None}
    bench = ("--bench", str(BENCH_16)) if versions == {"1.6"} else ()
    outcomes = run_cases(pytester, list(spec.breaks), [quirk], *bench)
    ran = {o.nodeid for o in outcomes}
    assert ran, f"no suite test implements {spec.breaks} (needed to catch {quirk})"
    failed = [o for o in outcomes if o.outcome == "failed"]
    assert failed, (f"quirk {quirk!r} ({spec.description}) was not caught: "
                    f"{[(o.nodeid, o.outcome) for o in outcomes]}")
    for o in failed:
        assert o.when == "call", f"{o.nodeid} errored in {o.when} instead of failing:\n{o.message}"
        assert any(t in o.message for t in VERDICT_TYPES), (
            f"{o.nodeid} failed without a verdict message:\n{o.message[-2000:]}")
