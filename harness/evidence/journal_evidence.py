"""A station's journal as evidence: a JSON attachment, a sequence diagram, a JSONL run log.

Everything leaves through :mod:`harness.evidence.redact` first: the session's own secrets
(``session.redact``), the ones the caller passes, and the credentials the harness set over
OCPP during the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.csms.journal import Entry
from harness.evidence.redact import redact, redact_records
from harness.evidence.sequence_diagram import render_svg
from harness.evidence.steps import attach

if TYPE_CHECKING:
    from harness.csms.session import StationSession


def _secrets(session: StationSession, secrets: Iterable[str]) -> list[str]:
    return [*secrets, *getattr(session, "redact", ())]


def journal_document(session: StationSession, since: int = 0,
                     secrets: Iterable[str] = ()) -> dict[str, Any]:
    """The redacted journal from ``since`` on: ``{station_id, dropped, findings, entries}``.

    ``dropped`` counts entries the journal discarded under a flood (they are not in the
    list); ``findings`` are the protocol violations recorded from ``since`` on.
    """
    secrets = _secrets(session, secrets)
    findings = [
        {**asdict(f), "raw": redact(f.raw, secrets), "detail": redact(f.detail, secrets)}
        for f in session.findings if f.seq >= since
    ]
    return {
        "station_id": session.station_id,
        "dropped": session.journal.dropped,
        "findings": findings,
        "entries": redact_records(session.journal.to_records(since), secrets),
    }


def attach_journal(session: StationSession, since: int, secrets: Iterable[str] = (),
                   parent: str | None = None) -> None:
    """Attach "OCPP journal <station>" (JSON) and "Message sequence <station>" (SVG).

    Call it in the fixture's ``finally`` so a failed, timed-out or disconnected test keeps its
    evidence; ``parent`` is the Allure test uuid when called outside the test's context.
    """
    document = journal_document(session, since, secrets)
    station = session.station_id
    attach(json.dumps(document, ensure_ascii=False, indent=1),
           f"OCPP journal {station}", "application/json", "json", parent=parent)
    entries = [Entry(**record) for record in document["entries"]]
    first = entries[0].seq if entries else since
    svg = render_svg(entries, station, title=f"{station}: journal from #{first}")
    attach(svg, f"Message sequence {station}", "image/svg+xml", "svg", parent=parent)


def write_journal_file(session: StationSession, path: Path | str,
                       secrets: Iterable[str] = ()) -> Path:
    """Write the whole (redacted) journal as JSONL, one entry per line, for the run's log."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    records = redact_records(session.journal.to_records(0), _secrets(session, secrets))
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
