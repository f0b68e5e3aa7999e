"""Measured values that carry their limits and clause, judged PASS / MARGINAL / FAIL and sent to Allure.

In the spirit of OpenHTF measurements: a number in a report is only evidence when it says what it
was checked against and where that limit comes from.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from harness.evidence import steps


class Verdict(StrEnum):
    PASS = "pass"
    MARGINAL = "marginal"
    FAIL = "fail"


_ORDER = {Verdict.PASS: 0, Verdict.MARGINAL: 1, Verdict.FAIL: 2}


def _decimals(x: float, sig: int = 3) -> int:
    """Decimals that show ``x`` to ``sig`` significant figures (0 for large numbers)."""
    if x == 0 or not math.isfinite(x):
        return 0
    return max(0, sig - 1 - math.floor(math.log10(abs(x))))


def _exact_decimals(x: float, limit: int = 6) -> int:
    """Decimals needed to show a limit exactly (up to ``limit``), so 397.5 never prints as 398."""
    for d in range(limit + 1):
        if abs(round(x, d) - x) <= 1e-9 * max(1.0, abs(x)):
            return d
    return limit


def _plain(x: float) -> bool:
    return x == 0 or (math.isfinite(x) and 1e-4 <= abs(x) < 1e9)


def format_number(x: float, decimals: int | None = None) -> str:
    """3 significant figures (or ``decimals``), fixed-point for ordinary magnitudes: 3.20, 250, 0.0123."""
    if not _plain(x):
        return f"{x:.3g}"
    d = _decimals(x) if decimals is None else decimals
    text = f"{x:.{d}f}"
    return "0" if text.strip("-0.") == "" and x == 0 else text


def format_limit(x: float) -> str:
    """A limit as written in the standard: no trailing zeros, no float noise (0.1 + 0.2 -> 0.3)."""
    if not _plain(x):
        return f"{x:.6g}"
    return f"{x:.{_exact_decimals(x)}f}"


def _with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


@dataclass(frozen=True)
class Measurement:
    """One measured value with its limits; ``[low, high]`` is inclusive.

    A value inside ``[low, high]`` but outside ``[marginal_low, marginal_high]`` is MARGINAL:
    it passes, but close enough to the limit that a second unit or a warmer day may not.
    """

    name: str
    value: float | None
    unit: str
    low: float | None = None
    high: float | None = None
    marginal_low: float | None = None
    marginal_high: float | None = None
    source: str = ""
    note: str = ""
    at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        # Limits are checked when declared, not when the first unit fails against them.
        bounds = [("low", self.low), ("marginal_low", self.marginal_low),
                  ("marginal_high", self.marginal_high), ("high", self.high)]
        given = [(k, v) for k, v in bounds if v is not None]
        for (k0, v0), (k1, v1) in itertools.pairwise(given):
            if v0 > v1:
                raise ValueError(f"{self.name}: limits out of order, {k0}={v0} > {k1}={v1}")
        if self.value is not None:
            object.__setattr__(self, "value", float(self.value))

    @property
    def verdict(self) -> Verdict:
        return self._judge()[0]

    @property
    def reason(self) -> str:
        """Why the verdict is not PASS ("" when it is)."""
        return self._judge()[1]

    def _judge(self) -> tuple[Verdict, str]:
        v = self.value
        if v is None:
            return Verdict.FAIL, "not measured"
        if math.isnan(v):
            return Verdict.FAIL, "measured NaN"
        if self.low is not None and v < self.low:
            return Verdict.FAIL, "below the low limit"
        if self.high is not None and v > self.high:
            return Verdict.FAIL, "above the high limit"
        if self.marginal_low is not None and v < self.marginal_low:
            return Verdict.MARGINAL, "in the marginal band near the low limit"
        if self.marginal_high is not None and v > self.marginal_high:
            return Verdict.MARGINAL, "in the marginal band near the high limit"
        return Verdict.PASS, ""

    def _decimals(self) -> int:
        """One precision for value and limits, so 3.2 against 5 reads "3.20 ... ≤ 5.00"."""
        d = _decimals(self.value) if self.value is not None and _plain(self.value) else 0
        for lim in (self.low, self.high, self.marginal_low, self.marginal_high):
            if lim is not None and _plain(lim):
                d = max(d, _exact_decimals(lim))
        return min(d, 9)

    def _range_text(self, low: float | None, high: float | None, fmt: Any) -> str:
        if low is not None and high is not None:
            return _with_unit(f"{fmt(low)} ≤ x ≤ {fmt(high)}", self.unit)
        if high is not None:
            return _with_unit(f"≤ {fmt(high)}", self.unit)
        if low is not None:
            return _with_unit(f"≥ {fmt(low)}", self.unit)
        return ""

    @property
    def limits_text(self) -> str:
        """The limits as written in a standard: "250 ≤ x ≤ 920 V", "≤ 10 ms", "≥ 150 kW" ("" if none)."""
        return self._range_text(self.low, self.high, format_limit)

    @property
    def value_text(self) -> str:
        if self.value is None:
            return "not measured"
        return _with_unit(format_number(self.value, self._decimals()), self.unit)

    def describe(self) -> str:
        """One line: "ripple peak-to-peak = 3.20 A, limit ≤ 5.00 A (IEC 61851-23 6.4.3.3): PASS"."""
        d = self._decimals()

        def fmt(x: float) -> str:
            return format_number(x, d)

        limit = self._range_text(self.low, self.high, fmt)
        text = f"{self.name} = {self.value_text}"
        if limit:
            text += f", limit {limit}"
        if self.source:
            text += f" ({self.source})"
        verdict = self.verdict
        text += f": {verdict.name}"
        if verdict is Verdict.MARGINAL:
            text += f" (outside {self._range_text(self.marginal_low, self.marginal_high, fmt)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.value is not None and not math.isfinite(self.value):
            data["value"] = None  # strict JSON has no NaN/inf; the verdict stays FAIL either way
        data["verdict"] = self.verdict.value
        data["limits"] = self.limits_text
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class MeasurementLog:
    """The measurements of one test, in order; each is also an Allure step as it is recorded."""

    def __init__(self) -> None:
        self.measurements: list[Measurement] = []

    def __iter__(self) -> Iterator[Measurement]:
        return iter(self.measurements)

    def __len__(self) -> int:
        return len(self.measurements)

    def record(self, name: str, value: float | None, *, unit: str, low: float | None = None,
               high: float | None = None, marginal_low: float | None = None,
               marginal_high: float | None = None, source: str = "", note: str = "") -> Measurement:
        """Judge and keep a value; never raises on FAIL, so one test can report every limit it checks.

        The Allure step ends FAILED for a FAIL verdict (and PASSED otherwise): the AssertionError
        that steps.step() turns into a FAILED status is raised inside it and caught here.
        """
        m = Measurement(name, value, unit, low, high, marginal_low, marginal_high, source, note)
        self.measurements.append(m)
        value_text = "not measured" if m.value is None else format_number(m.value, m._decimals())
        params = {"value": value_text, "unit": unit,
                  "low": "-" if low is None else format_limit(low),
                  "high": "-" if high is None else format_limit(high),
                  "verdict": m.verdict.value, "source": source}
        try:
            with steps.step(m.describe(), **params):
                if m.verdict is Verdict.FAIL:
                    raise AssertionError(m.describe())
        except AssertionError:
            pass
        return m

    def require(self, name: str, value: float | None, *, unit: str, low: float | None = None,
                high: float | None = None, marginal_low: float | None = None,
                marginal_high: float | None = None, source: str = "", note: str = "") -> Measurement:
        """Record, then stop the test at once on FAIL (for values later steps depend on)."""
        m = self.record(name, value, unit=unit, low=low, high=high, marginal_low=marginal_low,
                        marginal_high=marginal_high, source=source, note=note)
        if m.verdict is Verdict.FAIL:
            raise AssertionError(m.describe())
        return m

    def failures(self) -> list[Measurement]:
        return [m for m in self.measurements if m.verdict is Verdict.FAIL]

    def marginals(self) -> list[Measurement]:
        return [m for m in self.measurements if m.verdict is Verdict.MARGINAL]

    @property
    def verdict(self) -> Verdict:
        """The worst verdict recorded (PASS when nothing was recorded)."""
        return max((m.verdict for m in self.measurements), key=_ORDER.__getitem__, default=Verdict.PASS)

    def failure_message(self) -> str:
        """One line per failed measurement, expected against measured with the clause ("" if none)."""
        failed = self.failures()
        if not failed:
            return ""
        lines = [f"{len(failed)} of {len(self.measurements)} measurements failed:"]
        for m in failed:
            expected = m.limits_text or "a value"
            if m.value is None:
                line = f"  {m.name}: expected {expected}, nothing measured"
            else:
                line = f"  {m.name}: expected {expected}, measured {m.value_text} ({m.reason})"
            if m.note:
                line += f"; {m.note}"
            if m.source:
                line += f" [{m.source}]"
            lines.append(line)
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"verdict": self.verdict.value,
                           "measurements": [m.to_dict() for m in self.measurements]},
                          indent=2, ensure_ascii=False, allow_nan=False, default=str)

    @classmethod
    def from_json(cls, text: str) -> MeasurementLog:
        log = cls()
        log.measurements = [Measurement.from_dict(d) for d in json.loads(text)["measurements"]]
        return log

    def table(self) -> str:
        """A fixed-width plain-text table of all measurements, for reading without Allure."""
        header = ("measurement", "value", "limits", "verdict", "source")
        rows = [header] + [(m.name, m.value_text, m.limits_text or "-", m.verdict.name, m.source or "-")
                           for m in self.measurements]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines) + "\n"

    def attach(self) -> bool:
        """Attach measurements.json and measurements.txt to the current test; False when Allure is off."""
        ok = steps.attach(self.to_json(), "measurements.json", "application/json", "json")
        steps.attach(self.table(), "measurements.txt", "text/plain", "txt")
        return ok
