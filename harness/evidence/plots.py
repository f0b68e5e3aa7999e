"""Plots (PNG) and raw CSV of voltage, current and power traces, attached to the Allure report.

Headless by construction: only the object-oriented ``Figure`` + Agg canvas API is used and
matplotlib is imported inside the functions, so importing this module never touches a display
(or costs matplotlib's import time in tests that do not plot).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.evidence import steps

MAX_POINTS = 20_000
# Axes are stacked in this order; any other unit follows in order of first appearance.
_UNIT_ORDER = ("V", "A", "W", "kW")

Limit = tuple[float, str] | tuple[float, str, str]


@dataclass
class Series:
    """One trace: sample times in seconds and values in ``unit``."""

    name: str
    times: np.ndarray
    values: np.ndarray
    unit: str

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=float)
        self.values = np.asarray(self.values, dtype=float)
        if self.times.shape != self.values.shape or self.times.ndim != 1:
            raise ValueError(f"series {self.name!r}: times {self.times.shape} and values "
                             f"{self.values.shape} must be 1-D and the same length")


def decimate(times: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS
             ) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` samples keeping each bucket's min and max, in time order.

    Plain striding would alias ripple away; keeping both extremes per bucket draws the same
    envelope a full-resolution plot would, and the global min and max always survive.
    """
    n = len(values)
    if n <= max_points:
        return times, values
    buckets = max(max_points // 2, 1)
    size = -(-n // buckets)  # ceil: ceil(n / size) <= buckets, so <= max_points points out
    full = (n // size) * size
    blocks = values[:full].reshape(-1, size)
    lo, hi = blocks.argmin(axis=1), blocks.argmax(axis=1)
    offsets = np.arange(len(blocks)) * size
    idx = np.stack([np.minimum(lo, hi), np.maximum(lo, hi)], axis=1) + offsets[:, None]
    idx = idx.ravel()
    if full < n:
        tail = values[full:]
        extra = np.array(sorted({full + int(tail.argmin()), full + int(tail.argmax())}))
        idx = np.concatenate([idx, extra])
    return times[idx], values[idx]


def _unit_order(units: list[str]) -> list[str]:
    seen = list(dict.fromkeys(units))
    return [u for u in _UNIT_ORDER if u in seen] + [u for u in seen if u not in _UNIT_ORDER]


def plot_series(title: str, series: Sequence[Series], requested: Sequence[Series] = (),
                markers: Sequence[tuple[float, str]] = (), limits: Sequence[Limit] = ()) -> bytes:
    """PNG of the traces, one stacked axis per unit on a shared time axis.

    ``requested`` (what the EV asked for) is drawn dashed on its unit's axis; ``markers`` are
    vertical lines at event times ("step", "e-stop") on every axis; ``limits`` are horizontal lines,
    ``(value, label)`` on the top axis or ``(value, label, unit)`` on that unit's axis.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not series and not requested:
        raise ValueError(f"plot {title!r}: no series to plot")
    units = _unit_order([s.unit for s in [*series, *requested]])
    fig = Figure(figsize=(11, 1.0 + 2.6 * len(units)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(units), 1, sharex=True, squeeze=False)[:, 0]
    by_unit = dict(zip(units, axes, strict=True))
    for s in series:
        t, v = decimate(s.times, s.values)
        by_unit[s.unit].plot(t, v, linewidth=0.8, label=s.name)
    for s in requested:
        t, v = decimate(s.times, s.values)
        by_unit[s.unit].plot(t, v, linewidth=1.2, linestyle="--", label=s.name)
    for t_event, label in markers:
        for i, ax in enumerate(axes):
            ax.axvline(t_event, color="black", linewidth=0.8, linestyle=":")
            if i == 0:
                ax.annotate(label, (t_event, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                            textcoords="offset points", va="top", fontsize=8)
    for limit in limits:
        value, label = limit[0], limit[1]
        ax = by_unit.get(limit[2], axes[0]) if len(limit) > 2 else axes[0]  # type: ignore[misc]
        ax.axhline(value, color="tab:red", linewidth=0.9, linestyle="-.", label=label)
    for unit, ax in by_unit.items():
        ax.set_ylabel(unit)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    axes[-1].set_xlabel("time [s]")
    fig.suptitle(title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _header(s: Series) -> str:
    return f"{s.name} [{s.unit}]" if s.unit else s.name


def series_csv(series: Sequence[Series]) -> str:
    """The raw (undecimated) samples as CSV.

    When every series has the same time base: one block, ``time_s`` then one column per series.
    Otherwise one block per series (``time_s``, its column), each with its own header line and
    separated by a blank line, so no value is interpolated onto a time it was not measured at.
    """
    def block(time_base: np.ndarray, columns: Sequence[Series]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(["time_s", *(_header(s) for s in columns)])
        data = np.column_stack([time_base, *(s.values for s in columns)])
        np.savetxt(out, data, fmt="%.10g", delimiter=",")
        return out.getvalue()

    if not series:
        return "time_s\n"
    base = series[0].times
    if all(len(s.times) == len(base) and np.array_equal(s.times, base) for s in series[1:]):
        return block(base, series)
    return "\n".join(block(s.times, [s]) for s in series)


def attach_plot(title: str, series: Sequence[Series], requested: Sequence[Series] = (),
                markers: Sequence[tuple[float, str]] = (), limits: Sequence[Limit] = (),
                name: str | None = None) -> bool:
    """Attach :func:`plot_series` to the current Allure step or test; False (nothing drawn) when off."""
    if steps.current_parent() is None:
        return False  # don't spend a second rendering a PNG nobody will see
    png = plot_series(title, series, requested, markers, limits)
    return steps.attach(png, name or title, "image/png", "png")


def attach_csv(series: Sequence[Series], name: str = "data") -> bool:
    """Attach :func:`series_csv` to the current Allure step or test; False when Allure is off."""
    return steps.attach(series_csv(series), name, "text/csv", "csv")
