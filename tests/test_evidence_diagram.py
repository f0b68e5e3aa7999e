"""The sequence diagram is well-formed SVG, whatever the station sent, and shows what happened."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.csms.journal import CSMS_TO_STATION, EVENT, STATION_TO_CSMS, Entry
from harness.evidence.sequence_diagram import EXCERPT_CHARS, label, render_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
WALL = "2026-07-01T12:34:56.{ms:03d}+00:00"


def _entry(seq: int, direction: str, raw: str, verdict: str = "ok", mtype: str | None = "CALL",
           action: str | None = "Heartbeat", payload: dict | None = None) -> Entry:
    return Entry(seq=seq, direction=direction, wall=WALL.format(ms=seq % 1000), mono=float(seq),
                 raw=raw, verdict=verdict, message_type=mtype, unique_id=str(seq),
                 action=action, payload=payload)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))


def _texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]


def _arrows(root: ET.Element) -> list[ET.Element]:
    return [ln for ln in root.iter("{http://www.w3.org/2000/svg}line")
            if ln.get("marker-end")]


def test_hostile_payloads_still_parse_and_read_back() -> None:
    nasty = {"text": '<b>&amp; "quoted" \'single\' ]]> Ünïcødé ✓ 😀', "ctl": "bell\x07\x00"}
    entries = [
        _entry(0, EVENT, "connected from 127.0.0.1 <proxy & co>", "event", None, None),
        _entry(1, STATION_TO_CSMS, '[2,"1","DataTransfer",{}]', action="DataTransfer",
               payload=nasty),
        _entry(2, STATION_TO_CSMS, "<not json & \x01>", "FormatViolation: not JSON <here>",
               None, None),
    ]
    svg = render_svg(entries, "CS<01>&", title='Title "with" <xml> & ü')
    root = _parse(svg)
    texts = _texts(root)
    assert "CS<01>&" in texts
    # The excerpt is the payload as JSON, so the quotes read back JSON-escaped.
    assert any('<b>&amp; \\"quoted\\" \'single\'' in t for t in texts)
    assert any("Ünïcødé ✓" in t for t in texts)
    assert any("connected from 127.0.0.1 <proxy & co>" in t for t in texts)
    assert "\x00" not in svg and "\x07" not in svg and "\x01" not in svg


def test_one_arrow_per_frame_in_the_right_direction() -> None:
    entries = [
        _entry(0, STATION_TO_CSMS, '[2,"0","BootNotification",{}]', action="BootNotification",
               payload={"reason": "PowerUp"}),
        _entry(1, CSMS_TO_STATION, '[3,"0",{}]', mtype="CALLRESULT", action="BootNotification",
               payload={"status": "Accepted"}),
        _entry(2, EVENT, "station disconnected", "event", None, None),
        _entry(3, CSMS_TO_STATION, '[2,"3","Reset",{}]', action="Reset",
               payload={"type": "Immediate"}),
    ]
    root = _parse(render_svg(entries, "CS01"))
    arrows = _arrows(root)
    assert len(arrows) == 3  # the event is a band, not an arrow
    inbound, result, outbound = arrows
    assert float(inbound.get("x1")) > float(inbound.get("x2"))  # station -> CSMS: right to left
    assert float(outbound.get("x1")) < float(outbound.get("x2"))
    assert result.get("stroke-dasharray") and not inbound.get("stroke-dasharray")
    texts = _texts(root)
    assert "BootNotificationResponse" in texts and "Reset" in texts
    assert "12:34:56.003" in texts
    assert any("station disconnected" in t for t in texts)


def test_bad_frames_are_red_with_their_verdict() -> None:
    entries = [
        _entry(0, STATION_TO_CSMS, '[2,"0","Heartbeat",{}]', payload={}),
        _entry(1, STATION_TO_CSMS, '[2,"1","Heartbeat",{"x":1}]',
               verdict="FormatViolation: additional property 'x'", payload={"x": 1}),
    ]
    root = _parse(render_svg(entries, "CS01"))
    ok, bad = _arrows(root)
    assert ok.get("stroke") != bad.get("stroke")
    assert bad.get("stroke") == "#c62828"
    assert "FormatViolation: additional property 'x'" in _texts(root)


def test_call_error_label_from_payload_or_raw() -> None:
    from_payload = _entry(0, STATION_TO_CSMS, "[4,...]", mtype="CALLERROR", action=None,
                          payload={"errorCode": "NotImplemented", "errorDescription": ""})
    from_raw = _entry(1, CSMS_TO_STATION, '[4,"1","FormationViolation","bad",{}]',
                      mtype="CALLERROR", action=None, payload=None)
    assert label(from_payload) == "CallError NotImplemented"
    assert label(from_raw) == "CallError FormationViolation"


def test_excerpt_is_cut() -> None:
    payload = {"data": "x" * 500}
    root = _parse(render_svg([_entry(0, STATION_TO_CSMS, "[]", payload=payload)], "CS01"))
    excerpt = next(t for t in _texts(root) if t.startswith('{"data"'))
    assert len(excerpt) <= EXCERPT_CHARS and excerpt.endswith("…")


def test_long_journals_are_capped_with_a_note() -> None:
    entries = [_entry(i, STATION_TO_CSMS, '[2,"x","Heartbeat",{}]', payload={})
               for i in range(450)]
    root = _parse(render_svg(entries, "CS01", max_entries=400))
    assert len(_arrows(root)) == 400
    assert "50 earlier entries omitted" in _texts(root)
    # The newest entries are the ones kept.
    titles = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("#449 ") for t in titles)
    assert not any(t.startswith("#49 ") for t in titles)


def test_empty_journal_is_a_valid_diagram() -> None:
    root = _parse(render_svg([], "CS01"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert _arrows(root) == []
