"""A record of every command sent to an instrument and every reply, for the test's evidence.

One transcript per instrument session; the plugin attaches the part written during a test.
Bounded (oldest entries dropped) so a day-long soak run cannot exhaust memory, and marks let
a test take just its own slice.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class TranscriptEntry:
    seq: int
    wall: float  # time.time()
    entry: str  # bench-file instrument name
    direction: str  # ">" sent, "<" received, "!" error
    text: str  # command / reply; binary blocks are summarised ("#<n bytes>")
    elapsed_ms: float = 0.0  # for replies: time since the query was sent

    def line(self) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(self.wall)) + f".{int(self.wall % 1 * 1000):03d}"
        extra = f"  ({self.elapsed_ms:.1f} ms)" if self.direction == "<" else ""
        return f"{stamp} {self.entry:>10} {self.direction} {self.text}{extra}"


class Transcript:
    """Thread-safe, bounded list of :class:`TranscriptEntry`."""

    def __init__(self, limit: int = 200_000) -> None:
        self._entries: deque[TranscriptEntry] = deque(maxlen=limit)
        self._seq = 0
        self._lock = threading.Lock()

    def add(self, entry: str, direction: str, text: str, elapsed_ms: float = 0.0) -> None:
        if len(text) > 400:
            text = text[:400] + f"... ({len(text)} chars)"
        with self._lock:
            self._seq += 1
            self._entries.append(TranscriptEntry(self._seq, time.time(), entry, direction, text, elapsed_ms))

    def mark(self) -> int:
        """A position to take :meth:`since` from (the sequence number of the last entry)."""
        with self._lock:
            return self._seq

    def since(self, mark: int = 0) -> list[TranscriptEntry]:
        with self._lock:
            return [e for e in self._entries if e.seq > mark]

    def text(self, mark: int = 0) -> str:
        return "\n".join(e.line() for e in self.since(mark))

    def __len__(self) -> int:
        return len(self._entries)
