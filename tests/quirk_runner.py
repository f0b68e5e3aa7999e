"""Run suite cases in-process against the emulated station, optionally with quirks on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUITES = ROOT / "suites"
BENCH_16 = ROOT / "fixtures" / "benches" / "emulated-16.yaml"  # the emulated 1.6J station
# Failures a suite is allowed to produce: assertion-style verdicts, never harness crashes.
VERDICT_TYPES = ("AssertionError", "ExpectTimeout", "UnexpectedMessage", "CallErrorReply",
                 "CallTimeout", "assert ")


@dataclass
class CaseOutcome:
    nodeid: str
    outcome: str
    when: str
    message: str


def run_cases(pytester: pytest.Pytester, octt_ids: list[str], quirks: list[str] = (),
              *extra: str) -> list[CaseOutcome]:
    args = [str(SUITES), "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
            "-p", "no:randomly", "-q"]
    for case in octt_ids:
        args += ["--octt", case]
    for quirk in quirks:
        args += ["--station-quirk", quirk]
    result = pytester.runpytest_inprocess(*args, *extra)
    outcomes = []
    for rep in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        if rep.when == "call" or rep.outcome != "passed":
            outcomes.append(CaseOutcome(rep.nodeid, rep.outcome, rep.when,
                                        rep.longreprtext if rep.failed else ""))
    return outcomes
