"""A contact signal for a scope probe: the emergency-stop button's auxiliary contact, wired to
24 V, so a scope can timestamp the press itself (implements the scope's view of a DcPort)."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable

import numpy as np


class ContactSignal:
    def __init__(self, high_v: float = 24.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.port = 0
        self.high_v = high_v
        self._clock = clock
        self._lock = threading.Lock()
        self._times: list[float] = [clock()]
        self._states: list[bool] = [False]

    def now(self) -> float:
        return self._clock()

    def set(self, closed: bool) -> None:
        with self._lock:
            if closed != self._states[-1]:
                self._times.append(self._clock())
                self._states.append(closed)

    def sample(self, quantity: str, times: np.ndarray) -> np.ndarray:
        with self._lock:
            edges, states = list(self._times), np.array(self._states, dtype=float)
        index = np.searchsorted(np.asarray(edges), np.asarray(times, dtype=float), side="right") - 1
        return states[np.clip(index, 0, len(states) - 1)] * self.high_v

    def find_edge(self, quantity: str, level: float, slope: str, after: float) -> float | None:
        if not 0 < level < self.high_v:
            return None
        wanted = slope == "rise"
        with self._lock:
            k = bisect.bisect_right(self._times, after)
            for t, state in zip(self._times[k:], self._states[k:], strict=True):
                if state == wanted:
                    return t
        return None
