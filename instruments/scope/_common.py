"""Argument checks and small helpers shared by the oscilloscope drivers.

Every check runs before any I/O, so a bad setting never reaches the instrument (a scope has
no output that can deliver power, so bench ``Limits`` have nothing to refuse here; what can
go wrong is a setting the instrument would silently coerce, e.g. a zero or negative scale).
"""

from __future__ import annotations

import math

import numpy as np

SLOPES = ("rise", "fall")
COUPLINGS = ("DC", "AC")
UNITS = ("V", "A")


def check_channel(entry: str, channel: int, channels: int) -> int:
    if isinstance(channel, bool) or not isinstance(channel, int) or not 1 <= channel <= channels:
        raise ValueError(f"{entry}: channel {channel!r} is not one of 1..{channels}")
    return channel


def check_positive(entry: str, name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{entry}: {name} must be a positive number, not {value!r}")
    return number


def check_finite(entry: str, name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{entry}: {name} must be a finite number, not {value!r}")
    return number


def check_choice(entry: str, name: str, value: str, choices: tuple[str, ...]) -> str:
    text = str(value).strip()
    for choice in choices:
        if text.upper() == choice.upper():
            return choice
    raise ValueError(f"{entry}: {name} {value!r} is not one of {list(choices)}")


def check_points(entry: str, points: int | None) -> int | None:
    if points is None:
        return None
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise ValueError(f"{entry}: points must be an integer >= 2 or None, not {points!r}")
    return points


def decimation_step(total: int, points: int | None) -> int:
    """The stride that keeps at most ``points`` samples spread over the whole record."""
    if points is None or total <= points:
        return 1
    return math.ceil(total / points)


def decimate(values: np.ndarray, t0: float, dt: float, step: int) -> tuple[np.ndarray, float, float]:
    """Every ``step``-th sample from the first: the same time span, fewer points."""
    if step <= 1:
        return values, t0, dt
    return values[::step], t0, dt * step
