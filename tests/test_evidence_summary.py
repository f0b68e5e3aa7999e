"""Certification summary from a fake allure-results directory."""

from __future__ import annotations

import csv
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from harness.evidence.environment import write_environment
from harness.evidence.summary import build_summary, write_summary

JOURNAL = b'{"station_id": "CS01", "entries": []}\n'


def _mandatory(profile: str, sut: str = "CS") -> list[str]:
    """Read the catalogue CSV directly, independent of the code under test."""
    text = resources.files("harness.catalog").joinpath("ocpp201_testcases.csv").read_text()
    return [row["test_case_id"] for row in csv.DictReader(text.splitlines())
            if row["sut"] == sut and f"{profile}:M" in row["applicability"].split(";")]


def _result(results: Path, uuid: str, case_id: str | None, status: str, stop: int,
            message: str = "", attachments: list[dict[str, str]] | None = None,
            steps: list[dict[str, Any]] | None = None, station: str = "CS01",
            history: str | None = None) -> None:
    labels = [{"name": "feature", "value": "x"}]
    if case_id:
        labels.append({"name": "as_id", "value": case_id})
    data = {
        "uuid": uuid, "name": f"test_{uuid}", "status": status, "start": stop - 500,
        "stop": stop, "labels": labels,
        "parameters": [{"name": "station", "value": f"'{station}'"}],  # allure-pytest repr()
        "attachments": attachments or [], "steps": steps or [],
        "statusDetails": {"message": message, "trace": "Traceback ..."} if message else {},
        **({"historyId": history} if history else {}),
    }
    (results / f"{uuid}-result.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def results(tmp_path: Path) -> Path:
    results = tmp_path / "allure-results"
    results.mkdir()
    (results / "att-1-attachment.json").write_bytes(JOURNAL)
    write_environment(results, {"Station.Id": "CS01", "Station.Vendor": "ACME",
                                "Harness.Version": "0.1.0"})
    # An earlier failed run of TC_A_01_CS is superseded by the later pass.
    _result(results, "a-old", "TC_A_01_CS", "failed", stop=1_000, message="old failure")
    _result(results, "a-new", "TC_A_01_CS", "passed", stop=2_000, steps=[{
        "name": "precondition", "steps": [{
            "name": "nested", "attachments": [
                {"name": "OCPP journal CS01", "source": "att-1-attachment.json",
                 "type": "application/json"}]}]}])
    _result(results, "b", "TC_B_01_CS", "failed", stop=1_500,
            message="CS01 sent no BootNotification in 30 s\nLast 3 received: ...",
            attachments=[{"name": "gone", "source": "missing-attachment.svg",
                          "type": "image/svg+xml"}])
    _result(results, "plain", None, "passed", stop=1_200)
    # A fixture's teardown attachment lives in a container that names the test as a child.
    (results / "fx-attachment.txt").write_bytes(b"operator log\n")
    (results / "c1-container.json").write_text(json.dumps({
        "uuid": "c1", "children": ["b"], "befores": [],
        "afters": [{"name": "station::0", "attachments": [
            {"name": "operator log", "source": "fx-attachment.txt", "type": "text/plain"}]}]}),
        encoding="utf-8")
    (results / "broken-result.json").write_text("{not json", encoding="utf-8")
    return results


def test_totals_latest_result_and_evidence_hashes(results: Path, tmp_path: Path) -> None:
    summary = write_summary(results, tmp_path / "out")
    assert summary["totals"] == {"passed": 1, "failed": 1, "broken": 0, "skipped": 0}
    assert summary["unlabelled_results"] == 1
    assert summary["station"] == {"Id": "CS01", "Vendor": "ACME"}
    cases = {c["id"]: c for c in summary["cases"]}
    assert set(cases) == {"TC_A_01_CS", "TC_B_01_CS"}
    a, b = cases["TC_A_01_CS"], cases["TC_B_01_CS"]
    assert a["verdict"] == "passed" and a["station"] == "CS01" and a["block"] == "A"
    assert a["evidence"] == [{"name": "OCPP journal CS01",
                              "sha256": hashlib.sha256(JOURNAL).hexdigest(),
                              "file": "att-1-attachment.json", "type": "application/json"}]
    assert b["message"] == "CS01 sent no BootNotification in 30 s"
    assert b["evidence"][0]["sha256"] is None  # a missing file is reported, not hashed
    assert b["evidence"][1]["sha256"] == hashlib.sha256(b"operator log\n").hexdigest()
    assert len(b["evidence"]) == 2 and len(a["evidence"]) == 1
    assert "Core" in a["profiles"] and "B01.FR.01" in b["requirements"]
    on_disk = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["cases"] == summary["cases"]


def test_profile_statistics(results: Path) -> None:
    core = build_summary(results)["profiles"]["Core"]
    assert core["mandatory_total"] == len(_mandatory("Core")) > 100
    assert core["implemented"] == 2
    assert (core["passed"], core["failed"], core["skipped"]) == (1, 1, 0)
    assert core["complete"] is False
    assert "TC_B_01_CS" not in core["not_run"] and "TC_B_02_CS" in core["not_run"]


def test_requirement_takes_the_worst_verdict(results: Path) -> None:
    reqs = build_summary(results)["requirements"]
    # B01.FR.01 is checked by TC_A_01_CS (passed) and TC_B_01_CS (failed).
    assert reqs["B01.FR.01"] == {"verdict": "failed", "cases": ["TC_A_01_CS", "TC_B_01_CS"]}
    assert reqs["A00.FR.202"]["verdict"] == "passed"


def test_a_profile_is_complete_when_every_mandatory_case_passed(tmp_path: Path) -> None:
    cases = _mandatory("Advanced Security")
    assert cases
    for i, case_id in enumerate(cases):
        _result(tmp_path, f"s{i}", case_id, "passed", stop=1_000 + i)
    stats = build_summary(tmp_path)["profiles"]["Advanced Security"]
    assert stats["complete"] is True
    assert stats["implemented"] == stats["passed"] == stats["mandatory_total"] == len(cases)
    # One skip on a second station makes it incomplete again.
    _result(tmp_path, "skip", cases[0], "skipped", stop=9_000, station="CS02")
    assert build_summary(tmp_path)["profiles"]["Advanced Security"]["complete"] is False


def test_markdown_lists_failures_first(results: Path, tmp_path: Path) -> None:
    write_summary(results, tmp_path / "out")
    md = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    failures = md.index("## Failures")
    assert failures < md.index("## Core")
    assert md.index("TC_B_01_CS** failed on CS01: CS01 sent no BootNotification") > failures
    assert "| Core | " in md and "not run" in md
    assert "Last 3 received" not in md  # first line of the message only


def test_harness_cases_are_grouped_with_their_measurements(tmp_path: Path) -> None:
    """Power cases (outside the OCTT catalogue) get a section per feature, and the summary
    carries each measurement with its limits and verdict from measurements.json."""
    results = tmp_path / "allure-results"
    results.mkdir()
    measured = {"verdict": "fail", "measurements": [
        {"name": "over-voltage shutdown time", "value": 31.6, "unit": "ms", "limits": "≤ 10 ms",
         "verdict": "fail", "source": "IEC 61851-23 Table 103"}]}
    (results / "m-attachment.json").write_text(json.dumps(measured), encoding="utf-8")
    data = {"uuid": "p5", "name": "PWR_05 Over-voltage shutdown time", "status": "failed",
            "start": 1, "stop": 2, "labels": [{"name": "as_id", "value": "PWR_05"},
                                              {"name": "feature", "value": "Power delivery"}],
            "parameters": [{"name": "station", "value": "'CS01'"}], "steps": [],
            "attachments": [{"name": "measurements.json", "source": "m-attachment.json",
                             "type": "application/json"}],
            "statusDetails": {"message": "1 of 1 measurements failed"}}
    (results / "p5-result.json").write_text(json.dumps(data), encoding="utf-8")
    summary = write_summary(results, tmp_path / "out")
    case = summary["cases"][0]
    assert (case["id"], case["name"], case["block"]) == ("PWR_05", "Over-voltage shutdown time",
                                                         "Power delivery")
    assert case["measurements"][0]["value"] == 31.6
    text = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "## Power delivery" in text
    row = "| PWR_05 | over-voltage shutdown time | 31.6 ms | ≤ 10 ms | fail | IEC 61851-23 Table 103 |"
    assert row in text


def test_two_tests_of_one_case_both_count_and_the_worst_decides(tmp_path: Path) -> None:
    """Two scenarios written for one OCTT id (or parametrized variants): the later pass of one
    must not hide the failure of the other; a rerun of the same test still replaces it."""
    results = tmp_path / "allure-results"
    results.mkdir()
    _result(results, "s1", "TC_B_01_CS", "failed", stop=1_000, message="scenario 1", history="h1")
    _result(results, "s2", "TC_B_01_CS", "passed", stop=2_000, history="h2")
    _result(results, "s2-rerun", "TC_B_01_CS", "passed", stop=3_000, history="h2")
    summary = build_summary(results)
    rows = [c for c in summary["cases"] if c["id"] == "TC_B_01_CS"]
    assert sorted(r["verdict"] for r in rows) == ["failed", "passed"]
    assert summary["profiles"]["Core"]["failed"] == 1 and summary["profiles"]["Core"]["passed"] == 0
