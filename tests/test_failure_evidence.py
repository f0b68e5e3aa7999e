"""A failed certification case keeps its evidence: verdict message, journal, diagram; no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.bench import default_bench_path, load_bench
from tests.quirk_runner import run_cases


def _results(directory: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in directory.glob("*-result.json")]


def test_failed_case_has_journal_diagram_and_message(pytester: pytest.Pytester,
                                                     tmp_path: Path) -> None:
    results = tmp_path / "allure"
    outcomes = run_cases(pytester, ["TC_F_08_CS"], ["missing_ended_event"],
                         "--alluredir", str(results))
    assert [o.outcome for o in outcomes] == ["failed"]
    (result,) = [r for r in _results(results) if r["name"].startswith("TC_F_08_CS")]
    assert result["status"] == "failed"
    assert "sent no TransactionEvent" in result["statusDetails"]["message"]
    names = {a["name"]: a for a in result["attachments"]}
    journal = json.loads((results / names["OCPP journal CS001"]["source"]).read_text())
    actions = [e["action"] for e in journal["entries"]]
    assert "RequestStopTransaction" in actions and "TransactionEvent" in actions
    svg = (results / names["Message sequence CS001"]["source"]).read_text()
    assert svg.startswith("<svg") or "<svg" in svg[:200]
    labels = {(label["name"], label["value"]) for label in result["labels"]}
    assert ("as_id", "TC_F_08_CS") in labels and ("epic", "OCPP 2.0.1 Core") in labels


def test_station_password_never_reaches_the_evidence(pytester: pytest.Pytester,
                                                     tmp_path: Path) -> None:
    results = tmp_path / "allure"
    run_cases(pytester, ["TC_A_01_CS", "TC_A_09_CS"], [], "--alluredir", str(results))
    password = load_bench(default_bench_path()).station.password
    assert password
    leaked = [p.name for p in results.iterdir() if password in p.read_text(errors="replace")]
    assert not leaked, f"the bench password appears in {leaked}"
    assert any("***" in p.read_text(errors="replace") for p in results.glob("*attachment*"))


def test_failed_power_case_has_measurements_plot_data_and_transcript(pytester: pytest.Pytester,
                                                                    tmp_path: Path) -> None:
    """A late over-voltage shutdown: the vendor gets the measured time against the limit, the
    scope record as a plot and as CSV, the SCPI transcript of every instrument, the OCPP journal."""
    results = tmp_path / "allure"
    outcomes = run_cases(pytester, ["PWR_05"], ["power_late_ov_shutdown"], "--alluredir", str(results))
    assert [o.outcome for o in outcomes] == ["failed"]
    (result,) = [r for r in _results(results) if r["name"].startswith("PWR_05")]
    message = result["statusDetails"]["message"]
    assert "over-voltage shutdown time: expected ≤ 10 ms, measured" in message and "Table 103" in message
    names = {a["name"]: a for a in result["attachments"]}
    measured = json.loads((results / names["measurements.json"]["source"]).read_text())
    assert measured["verdict"] == "fail" and measured["measurements"][0]["value"] > 10
    assert (results / names["over-voltage shutdown"]["source"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = (results / names["over-voltage shutdown (scope record)"]["source"]).read_text()
    assert csv.splitlines()[0].startswith("time_s") and len(csv.splitlines()) > 1000
    transcript = (results / names["instrument transcript"]["source"]).read_text()
    assert ":WAV:DATA?" in transcript and "SOUR:VOLT" in transcript
    assert "OCPP journal CS001" in names


def test_ocpp16_run_keeps_its_evidence_and_masks_the_authorization_key(
        pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A 1.6 run writes the run journal (GetConfiguration names keys in a list) with the
    AuthorizationKey set by TC_073 masked, and its summary counts against the 1.6 catalogue."""
    from harness.evidence.summary import build_summary
    from tests.quirk_runner import BENCH_16

    results = tmp_path / "allure"
    outcomes = run_cases(pytester, ["TC_019_CS", "TC_073_CS"], [], "--bench", str(BENCH_16),
                         "--alluredir", str(results))
    assert [o.outcome for o in outcomes] == ["passed", "passed"], outcomes
    journal = results / "ocpp-journal-CS016.jsonl"
    text = journal.read_text()
    changes = [json.loads(line) for line in text.splitlines()
               if '"ChangeConfiguration"' in line and "AuthorizationKey" in line]
    assert changes, "the run journal lacks TC_073's ChangeConfiguration of AuthorizationKey"
    password = load_bench(BENCH_16).station.password
    assert password and password not in text
    for change in changes:
        value = (change.get("payload") or {}).get("value")
        assert value in (None, "***"), f"AuthorizationKey value {value!r} reached the journal"
    summary = build_summary(results)
    assert summary["ocpp_version"] == "1.6"
    assert {c["id"] for c in summary["cases"]} == {"TC_019_CS", "TC_073_CS"}
    assert summary["profiles"]["Core"]["passed"] == 1
