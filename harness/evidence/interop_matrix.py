"""The interoperability matrix of a run: connector configuration x check -> verdict.

Interop cases are parametrized by the connector configuration they plug (``cCCS1``,
``cNACS``, ``cNACS via J3400-to-CCS1`` ...). The matrix is written beside the Allure results
as a result of its own (so the HTML report shows it) and into the certification summary.
"""

from __future__ import annotations

import html
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SEVERITY = {"passed": 0, "skipped": 1, "failed": 2, "broken": 3}
SYMBOL = {"passed": "pass", "failed": "FAIL", "broken": "BROKEN", "skipped": "skip"}


@dataclass(frozen=True)
class Cell:
    case_id: str
    check: str  # the case's name
    connector: str
    verdict: str  # passed / failed / broken / skipped


def build(cells: Iterable[Cell]) -> dict[str, object]:
    """{"connectors": [...], "rows": [{"case": id, "check": name, "verdicts": {connector: v}}]}; a
    cell run several times keeps its worst verdict."""
    rows: dict[str, dict[str, object]] = {}
    connectors: list[str] = []
    for cell in cells:
        if cell.connector not in connectors:
            connectors.append(cell.connector)
        row = rows.setdefault(cell.case_id, {"case": cell.case_id, "check": cell.check, "verdicts": {}})
        verdicts: dict[str, str] = row["verdicts"]  # type: ignore[assignment]
        old = verdicts.get(cell.connector)
        if old is None or SEVERITY.get(cell.verdict, 3) > SEVERITY.get(old, 3):
            verdicts[cell.connector] = cell.verdict
    return {"connectors": connectors, "rows": [rows[k] for k in sorted(rows)]}


def render_markdown(matrix: dict[str, object]) -> str:
    connectors: list[str] = matrix["connectors"]  # type: ignore[assignment]
    lines = ["| Case | Check | " + " | ".join(connectors) + " |", "|---|---|" + "---|" * len(connectors)]
    for row in matrix["rows"]:  # type: ignore[attr-defined]
        cells = [SYMBOL.get(row["verdicts"].get(c, ""), "—") for c in connectors]
        lines.append(f"| {row['case']} | {row['check']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_html(matrix: dict[str, object]) -> str:
    connectors: list[str] = matrix["connectors"]  # type: ignore[assignment]
    colour = {"passed": "#c8e6c9", "failed": "#ffcdd2", "broken": "#ffe0b2", "skipped": "#eeeeee"}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in connectors)
    body = []
    for row in matrix["rows"]:  # type: ignore[attr-defined]
        tds = "".join(
            f'<td style="background:{colour.get(row["verdicts"].get(c, ""), "#fff")}">'
            f'{SYMBOL.get(row["verdicts"].get(c, ""), "—")}</td>' for c in connectors)
        body.append(f"<tr><td>{html.escape(row['case'])}</td><td>{html.escape(row['check'])}</td>{tds}</tr>")
    return ("<html><body><table border=1 cellpadding=4 style='border-collapse:collapse'>"
            f"<tr><th>Case</th><th>Check</th>{head}</tr>{''.join(body)}</table></body></html>")


def write_allure_result(results_dir: Path, matrix: dict[str, object], station: str) -> Path:
    """An Allure result named "Interop matrix" carrying the table (HTML and JSON attachments);
    failed when any cell failed, broken when any broke."""
    results_dir.mkdir(parents=True, exist_ok=True)
    verdicts = [v for row in matrix["rows"] for v in row["verdicts"].values()]  # type: ignore[attr-defined]
    worst = max(verdicts, key=lambda v: SEVERITY.get(v, 3), default="passed")
    status = worst if worst in ("failed", "broken") else "passed"
    now = int(time.time() * 1000)
    html_name = f"{uuid.uuid4()}-attachment.html"
    json_name = f"{uuid.uuid4()}-attachment.json"
    (results_dir / html_name).write_text(render_html(matrix), encoding="utf-8")
    (results_dir / json_name).write_text(json.dumps(matrix, indent=2), encoding="utf-8")
    result_uuid = str(uuid.uuid4())
    result = {
        "uuid": result_uuid, "historyId": f"interop-matrix-{station}", "name": "Interop matrix",
        "fullName": "harness.interop_matrix", "status": status, "stage": "finished",
        "start": now, "stop": now,
        # no as_id label: the summary builds its own matrix from the cases themselves
        "labels": [{"name": "feature", "value": "Interoperability"}, {"name": "suite", "value": "interop"}],
        "parameters": [{"name": "station", "value": station}],
        "attachments": [{"name": "interop matrix", "source": html_name, "type": "text/html"},
                        {"name": "interop-matrix.json", "source": json_name, "type": "application/json"}],
        "statusDetails": {"message": "connector type x check; see the attachment"},
    }
    path = results_dir / f"{result_uuid}-result.json"
    path.write_text(json.dumps(result), encoding="utf-8")
    return path
