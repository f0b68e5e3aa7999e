"""The interop matrix: connector configuration x check, worst verdict per cell, as an Allure
result of its own and in the certification summary."""

from __future__ import annotations

import json
from pathlib import Path

from harness.evidence import interop_matrix as im
from harness.evidence.summary import write_summary


def test_matrix_keeps_the_worst_verdict_per_cell() -> None:
    matrix = im.build([
        im.Cell("IOP_03", "5 % duty", "CCS1", "passed"),
        im.Cell("IOP_03", "5 % duty", "NACS", "failed"),
        im.Cell("IOP_09", "insertion order", "NACS via J3400-to-CCS1", "passed"),
        im.Cell("IOP_09", "insertion order", "NACS via J3400-to-CCS1", "failed"),  # the other order
        im.Cell("IOP_09", "insertion order", "CCS1", "skipped"),
    ])
    assert matrix["connectors"] == ["CCS1", "NACS", "NACS via J3400-to-CCS1"]
    rows = {r["case"]: r["verdicts"] for r in matrix["rows"]}
    assert rows["IOP_03"] == {"CCS1": "passed", "NACS": "failed"}
    assert rows["IOP_09"] == {"NACS via J3400-to-CCS1": "failed", "CCS1": "skipped"}
    text = im.render_markdown(matrix)
    assert "| IOP_03 | 5 % duty | pass | FAIL | — |" in text


def test_allure_result_fails_when_a_cell_fails(tmp_path: Path) -> None:
    matrix = im.build([im.Cell("IOP_01", "sequence", "CCS1", "passed"),
                       im.Cell("IOP_01", "sequence", "NACS", "failed")])
    path = im.write_allure_result(tmp_path, matrix, "CS01")
    result = json.loads(path.read_text())
    assert result["name"] == "Interop matrix" and result["status"] == "failed"
    html = (tmp_path / result["attachments"][0]["source"]).read_text()
    assert "<td>IOP_01</td>" in html and "FAIL" in html
    assert not any(label["name"] == "as_id" for label in result["labels"])  # not a case itself


def test_summary_has_one_result_per_plug_and_the_matrix(tmp_path: Path) -> None:
    results = tmp_path / "allure-results"
    results.mkdir()
    for uuid, plug, status in (("a", "CCS1", "passed"), ("b", "NACS", "failed")):
        data = {"uuid": uuid, "name": "IOP_03 5 % duty", "status": status, "start": 1, "stop": 2,
                "labels": [{"name": "as_id", "value": "IOP_03"},
                           {"name": "feature", "value": "Interoperability"}],
                "parameters": [{"name": "station", "value": "'CS01'"}, {"name": "plug", "value": plug}],
                "steps": [], "attachments": []}
        (results / f"{uuid}-result.json").write_text(json.dumps(data), encoding="utf-8")
    summary = write_summary(results, tmp_path / "out")
    assert [(c["id"], c["plug"], c["verdict"]) for c in summary["cases"]] == [
        ("IOP_03", "CCS1", "passed"), ("IOP_03", "NACS", "failed")]
    assert summary["interop_matrix"]["rows"][0]["verdicts"] == {"CCS1": "passed", "NACS": "failed"}
    text = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "## Interop matrix (connector configuration x check)" in text
    assert "| IOP_03 | 5 % duty | pass | FAIL |" in text
