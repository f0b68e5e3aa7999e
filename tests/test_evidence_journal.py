"""Journal evidence: what is attached to a test and written to the run log, redacted."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.csms.journal import CSMS_TO_STATION, STATION_TO_CSMS
from harness.csms.session import Finding, StationSession
from harness.evidence import journal_evidence

SECRET = "Sup3rS3cret!pw"


@pytest.fixture
def session() -> StationSession:
    session = StationSession("CS01")
    session.redact = [SECRET]
    j = session.journal
    j.event("connected from 10.0.0.5")
    first = j.append(STATION_TO_CSMS, '[2,"a","Heartbeat",{}]', verdict="ok")
    first.message_type, first.action, first.payload = "CALL", "Heartbeat", {}
    return session


def _add_test_frames(session: StationSession) -> int:
    mark = session.journal.mark()
    j = session.journal
    out = j.append(CSMS_TO_STATION,
                   '[2,"b","SetVariables",{"setVariableData":[{"attributeValue":"NewPw-123456",'
                   '"component":{"name":"SecurityCtrlr"},"variable":{"name":"BasicAuthPassword"}}]}]',
                   verdict="ok")
    out.message_type, out.action = "CALL", "SetVariables"
    out.payload = json.loads(out.raw)[3]
    bad = j.append(STATION_TO_CSMS, f'[3,"b",{{"echo":"{SECRET}"}}]',
                   verdict="FormatViolation: additional property 'echo'")
    bad.message_type, bad.action, bad.payload = "CALLRESULT", "SetVariables", {"echo": SECRET}
    session.findings.append(Finding("FormatViolation", f"echoed {SECRET}", bad.raw, bad.seq,
                                    bad.wall))
    return mark


def test_attach_journal_attaches_redacted_json_and_svg(
        session: StationSession, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []

    def fake_attach(body: str, name: str, mime: str, extension: str,
                    parent: str | None = None) -> bool:
        calls.append({"body": body, "name": name, "mime": mime, "ext": extension,
                      "parent": parent})
        return True

    monkeypatch.setattr(journal_evidence, "attach", fake_attach)
    mark = _add_test_frames(session)
    journal_evidence.attach_journal(session, mark, ["unused-secret"], parent="uuid-1")

    assert [(c["name"], c["mime"], c["ext"], c["parent"]) for c in calls] == [
        ("OCPP journal CS01", "application/json", "json", "uuid-1"),
        ("Message sequence CS01", "image/svg+xml", "svg", "uuid-1"),
    ]
    for call in calls:
        assert SECRET not in call["body"] and "NewPw-123456" not in call["body"]
    doc = json.loads(calls[0]["body"])
    assert doc["station_id"] == "CS01"
    assert [e["seq"] for e in doc["entries"]] == [mark, mark + 1]  # only since the mark
    assert [f["kind"] for f in doc["findings"]] == ["FormatViolation"]
    root = ET.fromstring(calls[1]["body"].encode())
    assert "SetVariables" in "".join(root.itertext())


def test_write_journal_file_is_jsonl_of_every_entry(session: StationSession,
                                                    tmp_path: Path) -> None:
    _add_test_frames(session)
    path = journal_evidence.write_journal_file(session, tmp_path / "logs" / "CS01.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(session.journal.entries) == 4
    records = [json.loads(line) for line in lines]
    assert [r["seq"] for r in records] == [0, 1, 2, 3]
    assert records[0]["direction"] == "event"
    assert SECRET not in path.read_text(encoding="utf-8")
