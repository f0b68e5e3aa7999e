"""The journal: every frame and connection event of one station, in order, never lost.

An entry is appended with the raw text *before* the frame is parsed; the parse and schema
verdict is filled in afterwards. Evidence (JSON attachment, sequence diagram) and the
``expect()`` search both read from here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

STATION_TO_CSMS = "station->csms"
CSMS_TO_STATION = "csms->station"
EVENT = "event"


@dataclass
class Entry:
    seq: int
    direction: str
    wall: str
    mono: float
    raw: str
    verdict: str = "pending"
    message_type: str | None = None
    unique_id: str | None = None
    action: str | None = None
    payload: dict[str, Any] | None = None

    def describe(self) -> str:
        """One line for failure messages: time, direction, what it was."""
        arrow = {"station->csms": "<-", "csms->station": "->", "event": "**"}[self.direction]
        what = self.action or ""
        if self.message_type == "CALLRESULT":
            what += "Response"
        elif self.message_type == "CALLERROR":
            what = f"CallError({what})"
        elif self.message_type is None and self.direction != EVENT:
            what = "unparsed frame"
        text = self.raw if len(self.raw) <= 160 else self.raw[:157] + "..."
        flag = "" if self.verdict in ("ok", "pending", "event") else f"  [{self.verdict}]"
        return f"#{self.seq} {self.wall[11:23]} {arrow} {what} {text}{flag}"


class Journal:
    """Append-only list of entries with a wake-up for waiters."""

    def __init__(self, station_id: str, max_entries: int = 200_000) -> None:
        self.station_id = station_id
        self.entries: list[Entry] = []
        self.max_entries = max_entries
        self.dropped = 0
        self._changed = asyncio.Event()
        self._t0 = time.monotonic()

    def append(self, direction: str, raw: str | bytes, verdict: str = "pending") -> Entry:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="backslashreplace")
        entry = Entry(
            seq=len(self.entries) + self.dropped,
            direction=direction,
            wall=datetime.now(UTC).isoformat(timespec="milliseconds"),
            mono=time.monotonic(),
            raw=raw,
            verdict=verdict,
        )
        self.entries.append(entry)
        if len(self.entries) > self.max_entries:
            # Memory stays bounded under a flood; the count of dropped entries is evidence too.
            del self.entries[0]
            self.dropped += 1
        self._notify()
        return entry

    def event(self, text: str) -> Entry:
        return self.append(EVENT, text, verdict="event")

    def _notify(self) -> None:
        # Swap in a fresh event so every waiter wakes exactly once per change.
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def wait_change(self, timeout: float) -> None:
        """Return when an entry is appended or updated, or after ``timeout`` seconds."""
        changed = self._changed
        try:
            await asyncio.wait_for(changed.wait(), timeout)
        except TimeoutError:
            pass

    def touch(self) -> None:
        """An entry's verdict was filled in: wake waiters."""
        self._notify()

    def mark(self) -> int:
        """A position to search from: entries appended later have ``seq >= mark``."""
        return len(self.entries) + self.dropped

    def since(self, mark: int) -> Iterator[Entry]:
        start = max(0, mark - self.dropped)
        return iter(self.entries[start:])

    def to_records(self, mark: int = 0) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.since(mark)]
