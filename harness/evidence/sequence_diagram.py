"""Message sequence diagram (SVG) of one station's journal, for the Allure attachment.

A reviewer reads a failed OCPP test from its sequence first: who sent what, when, and which
frame broke the rules. The SVG is built as a plain string (no plotting dependency, renders
in Allure's image viewer and any browser) and is always well-formed XML, whatever bytes the
station sent. Entries must already be redacted: the excerpts and tooltips quote payloads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from harness.csms.journal import CSMS_TO_STATION, EVENT, Entry

MAX_ENTRIES = 400
EXCERPT_CHARS = 90
TOOLTIP_CHARS = 600

WIDTH = 1000
LEFT_X, RIGHT_X = 170, 830
HEADER = 70
ROW = 46
ERROR_ROW = 60
EVENT_ROW = 30
NOTE_ROW = 26

OK_VERDICTS = frozenset({"ok", "pending", "event"})
INK, ERROR_INK, MUTED = "#1f2933", "#c62828", "#616e7c"

# XML 1.0 forbids these code points even as character references.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def render_svg(entries: Sequence[Entry], station_id: str, title: str = "",
               max_entries: int = MAX_ENTRIES) -> str:
    """Return an SVG document: lifelines "Harness CSMS" and ``station_id``, one row per entry."""
    omitted = max(0, len(entries) - max_entries)
    shown = list(entries[omitted:]) if omitted else list(entries)

    body: list[str] = []
    y = HEADER
    if omitted:
        y += NOTE_ROW
        body.append(_band(y - NOTE_ROW + 4, NOTE_ROW - 8, f"{omitted} earlier entries omitted",
                          fill="#eceff1", ink=MUTED))
    for entry in shown:
        if entry.direction == EVENT:
            body.append(_band(y + 4, EVENT_ROW - 8, f"{_time(entry)}  {entry.raw}",
                              fill="#fff8e1", ink="#6d4c00", tooltip=entry.raw))
            y += EVENT_ROW
            continue
        failed = entry.verdict not in OK_VERDICTS
        height = ERROR_ROW if failed else ROW
        body.append(_arrow(entry, y, failed))
        y += height
    height = y + 30

    head = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="12">',
        f"<title>{_text(title or f'OCPP messages of {station_id}', 200)}</title>",
        "<defs>"
        + _marker("arrow", INK)
        + _marker("arrow-error", ERROR_INK)
        + "</defs>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        head.append(f'<text x="{WIDTH // 2}" y="18" text-anchor="middle" font-weight="bold" '
                    f'fill="{INK}">{_text(title, 120)}</text>')
    for x, name in ((LEFT_X, "Harness CSMS"), (RIGHT_X, station_id)):
        head.append(
            f'<rect x="{x - 80}" y="28" width="160" height="28" rx="4" fill="#e3f2fd" '
            f'stroke="{INK}"/>'
            f'<text x="{x}" y="47" text-anchor="middle" font-weight="bold" fill="{INK}">'
            f"{_text(name, 24)}</text>"
            f'<line x1="{x}" y1="56" x2="{x}" y2="{height - 10}" stroke="{MUTED}" '
            'stroke-dasharray="2,4"/>'
        )
    return "\n".join([*head, *body, "</svg>"]) + "\n"


def label(entry: Entry) -> str:
    """What the frame was: the action, ``<Action>Response``, ``CallError <code>`` or unparsed."""
    if entry.message_type == "CALL":
        return entry.action or "CALL"
    if entry.message_type == "CALLRESULT":
        return f"{entry.action}Response" if entry.action else "Response"
    if entry.message_type == "CALLERROR":
        code = (entry.payload or {}).get("errorCode") or _error_code_from_raw(entry.raw)
        return f"CallError {code}" if code else "CallError"
    return "unparsed frame"


def excerpt(entry: Entry, limit: int = EXCERPT_CHARS) -> str:
    """The payload as compact JSON (or the raw text), cut to ``limit`` characters."""
    if entry.payload is not None:
        text = json.dumps(entry.payload, ensure_ascii=False, separators=(",", ":"))
    else:
        text = entry.raw
    return _cut(text, limit)


# ---- drawing ------------------------------------------------------------------------------
def _arrow(entry: Entry, y: int, failed: bool) -> str:
    outbound = entry.direction == CSMS_TO_STATION
    x1, x2 = (LEFT_X, RIGHT_X) if outbound else (RIGHT_X, LEFT_X)
    ink = ERROR_INK if failed else INK
    dash = ' stroke-dasharray="6,4"' if entry.message_type == "CALLRESULT" else ""
    marker = "arrow-error" if failed else "arrow"
    arrow_y = y + 18
    mid = (LEFT_X + RIGHT_X) // 2
    parts = [
        f"<g><title>#{entry.seq} {_text(entry.raw, TOOLTIP_CHARS)}</title>",
        f'<text x="8" y="{arrow_y + 4}" fill="{MUTED}" '
        f'font-family="monospace" font-size="11">{_text(_time(entry), 12)}</text>',
        f'<text x="{mid}" y="{arrow_y - 5}" text-anchor="middle" font-weight="bold" '
        f'fill="{ink}">{_text(label(entry), 80)}</text>',
        f'<line x1="{x1}" y1="{arrow_y}" x2="{x2}" y2="{arrow_y}" stroke="{ink}" '
        f'stroke-width="1.5"{dash} marker-end="url(#{marker})"/>',
        f'<text x="{mid}" y="{arrow_y + 15}" text-anchor="middle" fill="{MUTED}" '
        f'font-family="monospace" font-size="10">{_text(excerpt(entry), EXCERPT_CHARS)}</text>',
    ]
    if failed:
        parts.append(
            f'<text x="{mid}" y="{arrow_y + 30}" text-anchor="middle" fill="{ERROR_INK}" '
            f'font-size="11">{_text(entry.verdict, 120)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _band(y: int, height: int, text: str, fill: str, ink: str, tooltip: str = "") -> str:
    tip = f"<title>{_text(tooltip, TOOLTIP_CHARS)}</title>" if tooltip else ""
    return (
        f'<g>{tip}<rect x="20" y="{y}" width="{WIDTH - 40}" height="{height}" rx="3" '
        f'fill="{fill}" stroke="{ink}" stroke-width="0.5"/>'
        f'<text x="{WIDTH // 2}" y="{y + height // 2 + 4}" text-anchor="middle" fill="{ink}" '
        f'font-size="11">{_text(text, 140)}</text></g>'
    )


def _marker(marker_id: str, ink: str) -> str:
    return (
        f'<marker id="{marker_id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        f'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{ink}"/></marker>'
    )


# ---- text ---------------------------------------------------------------------------------
def _time(entry: Entry) -> str:
    # ISO wall time "2026-07-01T12:34:56.789+00:00" -> "12:34:56.789"
    return entry.wall[11:23] if len(entry.wall) >= 23 else entry.wall


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line: newlines in a payload would break the row
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(text: str, limit: int) -> str:
    """Cut first, then escape, so an entity is never cut in half."""
    return escape(_XML_INVALID.sub("\ufffd", _cut(text, limit)), {'"': "&quot;", "'": "&apos;"})


def _error_code_from_raw(raw: str) -> str | None:
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    if isinstance(frame, list) and len(frame) >= 3 and isinstance(frame[2], str):
        return frame[2]
    return None
