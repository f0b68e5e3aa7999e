"""Time as the emulated station writes it: RFC 3339 UTC with milliseconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def iso(ts: float | None = None) -> str:
    """``ts`` (epoch seconds, default now) as ``2026-11-22T01:02:03.456Z``."""
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
