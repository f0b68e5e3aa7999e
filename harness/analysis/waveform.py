"""Step response, ramp rate, ripple spectrum and threshold timing of uniformly sampled waveforms.

Pure numpy and vectorised throughout: a 10-million-sample record (10 s at 1 MHz) must be analysed
in well under a second, so nothing here loops over samples in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Flat-top window coefficients (as scipy.signal.windows.flattop): amplitude error < 0.01 dB wherever
# the tone falls between bins, at the cost of a wider peak. Hann can read up to 15 % low.
_FLATTOP = (0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368)


@dataclass(frozen=True, eq=False)
class Waveform:
    """A uniformly sampled signal: sample ``i`` was taken at ``t0 + i * dt`` seconds.

    Storing ``t0``/``dt`` instead of a time array halves the memory of a long record and lets
    every time lookup be an index computation instead of a search.
    """

    t0: float
    dt: float
    values: np.ndarray
    unit: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if not self.dt > 0:
            raise ValueError(f"{self.name or 'waveform'}: sample interval dt must be > 0, got {self.dt}")
        values = np.asarray(self.values)
        if values.ndim != 1:
            raise ValueError(f"{self.name or 'waveform'}: values must be 1-D, got shape {values.shape}")
        object.__setattr__(self, "values", values)

    @classmethod
    def from_arrays(cls, times: np.ndarray, values: np.ndarray, unit: str = "", name: str = "") -> Waveform:
        """Build from explicit sample times, which must be uniform within 1 % of the mean interval."""
        times = np.asarray(times, dtype=float)
        values = np.asarray(values)
        if times.shape != values.shape or times.ndim != 1:
            raise ValueError(f"{name or 'waveform'}: times {times.shape} and values {values.shape} "
                             "must be 1-D arrays of the same length")
        if len(times) < 2:
            raise ValueError(f"{name or 'waveform'}: need at least 2 samples to know the interval")
        dt = (times[-1] - times[0]) / (len(times) - 1)
        deviation = np.abs(np.diff(times) - dt)
        worst = int(np.argmax(deviation))
        if not dt > 0 or deviation[worst] > 0.01 * dt:
            raise ValueError(
                f"{name or 'waveform'}: sample times are not uniform within 1 %: mean interval {dt:.6g} s, "
                f"but interval {worst} (t={times[worst]:.6g} s -> {times[worst + 1]:.6g} s) is "
                f"{times[worst + 1] - times[worst]:.6g} s; resample onto a uniform grid first")
        return cls(float(times[0]), float(dt), values, unit, name)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def times(self) -> np.ndarray:
        """Sample times in seconds (computed, so only pay for it when needed)."""
        return self.t0 + self.dt * np.arange(len(self.values))

    @property
    def duration(self) -> float:
        """Seconds between the first and the last sample."""
        return self.dt * max(len(self.values) - 1, 0)

    @property
    def t_end(self) -> float:
        return self.t0 + self.duration

    def index(self, t: float | None, *, side: Literal["left", "right"] = "left") -> int:
        """Index of the first sample at or after ``t`` (left) or one past the last at or before (right)."""
        n = len(self.values)
        if t is None:
            return 0 if side == "left" else n
        pos = (t - self.t0) / self.dt
        # Tolerance so that t == t0 + k*dt computed in floating point still selects sample k.
        i = math.ceil(pos - 1e-9) if side == "left" else math.floor(pos + 1e-9) + 1
        return min(max(i, 0), n)

    def slice(self, t_start: float | None = None, t_end: float | None = None) -> Waveform:
        """The samples with ``t_start <= t <= t_end`` (a view, not a copy)."""
        i0, i1 = self.index(t_start), self.index(t_end, side="right")
        return Waveform(self.t0 + i0 * self.dt, self.dt, self.values[i0:max(i0, i1)], self.unit, self.name)


@dataclass(frozen=True)
class StepResponse:
    """Figures of merit of a step, in the waveform's units and seconds from ``t_step``."""

    initial: float
    final: float
    t_step: float
    rise_time_s: float | None
    overshoot: float
    overshoot_abs: float
    settling_time_s: float | None
    peak: float
    steady_state_value: float
    steady_state_error: float
    band_abs: float


@dataclass(frozen=True, eq=False)
class Ripple:
    """Ripple of a (steady-state) record: time-domain figures plus an averaged amplitude spectrum.

    ``amplitude[k]`` is the peak amplitude (not RMS) of the component at ``freqs[k]``, so it compares
    directly with ripple limits given as amplitudes.
    """

    peak_to_peak: float
    rms: float
    freqs: np.ndarray
    amplitude: np.ndarray
    resolution_hz: float
    segments: int
    window: str
    unit: str = ""

    @property
    def dominant_hz(self) -> float:
        """Frequency of the largest non-DC component."""
        if len(self.amplitude) < 2:
            return 0.0
        return float(self.freqs[1 + int(np.argmax(self.amplitude[1:]))])

    def band_peak(self, f_lo: float = 0.0, f_hi: float | None = None) -> float:
        """Largest amplitude with ``f_lo <= f <= f_hi`` (DC excluded: it is the mean, not ripple).

        Raises ValueError when the band holds no bin, rather than report 0 for a band the
        resolution cannot see (e.g. "below 10 Hz" needs a segment longer than ``fs / 10``).
        """
        hi = np.inf if f_hi is None else f_hi
        in_band = (self.freqs >= f_lo) & (self.freqs <= hi) & (self.freqs > 0)
        if not in_band.any():
            raise ValueError(f"no spectrum bin in {f_lo:g}..{hi:g} Hz (resolution "
                             f"{self.resolution_hz:.4g} Hz); use a longer segment or record")
        return float(self.amplitude[in_band].max())


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over ``window`` samples via a cumulative sum (O(n), no delay).

    The output has the input's length; the first and last ``window // 2`` samples repeat the
    nearest full-window average.
    """
    x = np.asarray(values, dtype=float)
    n = len(x)
    window = int(window)
    if window <= 1 or n == 0:
        return x.copy()
    half = min(window // 2, (n - 1) // 2)
    width = 2 * half + 1
    # Offset by the first sample so the running sum stays small and keeps its precision.
    c = np.empty(n + 1)
    c[0] = 0.0
    np.cumsum(x - x[0], out=c[1:])
    out = np.empty(n)
    out[half:n - half] = (c[width:] - c[:n + 1 - width]) / width
    # Near the ends, hold the first/last full-window average: a shrinking window would let the
    # ripple it is meant to remove through at the end of the record, right where settling is judged.
    out[:half] = out[half]
    out[n - half:] = out[n - half - 1]
    out += x[0]
    return out


def _interp_time(wf: Waveform, i: int, y0: float, y1: float, level: float) -> float:
    """Time where the segment from sample i-1 (value y0) to sample i (y1) reaches ``level``."""
    frac = 1.0 if y1 == y0 else (level - y0) / (y1 - y0)
    return wf.t0 + (i - 1 + frac) * wf.dt


def _smoothed(wf: Waveform, smooth_s: float | None) -> np.ndarray:
    if smooth_s is None or smooth_s <= 0:
        return np.asarray(wf.values, dtype=float)
    return moving_average(wf.values, max(1, round(smooth_s / wf.dt)))


def _first_at_or_above(y: np.ndarray, level: float, start: int = 0) -> int | None:
    hits = y[start:] >= level
    i = int(np.argmax(hits))
    return start + i if hits[i] else None


def _level_time(wf: Waveform, y: np.ndarray, level: float, start: int) -> tuple[int, float] | None:
    """First index >= start where normalised ``y`` reaches ``level``, and the interpolated time."""
    i = _first_at_or_above(y, level, start)
    if i is None:
        return None
    if i == 0:
        return i, wf.t0
    return i, _interp_time(wf, i, float(y[i - 1]), float(y[i]), level)


def step_response(wf: Waveform, initial: float, final: float, t_step: float, band: float = 0.02,
                  band_abs: float | None = None, smooth_s: float | None = None) -> StepResponse:
    """Rise time (10-90 %), overshoot, settling time and steady state of a step from ``initial`` to ``final``.

    Rising and falling steps are handled alike by normalising to ``(x - initial) / (final - initial)``.
    Settling is the time from ``t_step`` until the signal stays within ``±max(band * |step|, band_abs)``
    of ``final`` for the rest of the record; None if it never does, or if it still leaves the band in
    the last 10 % of the record (the part taken as steady state), so that a ripple which happens to
    cross into the band at the very end is not read as settling. ``smooth_s`` applies a centred
    moving average of that many seconds before rise, peak and settling are taken, so ripple and noise
    are not read as overshoot or as leaving the band (choose a whole ripple period; much longer
    windows also flatten a genuine overshoot). The steady state is the raw mean of the last 10 %.
    """
    step = final - initial
    if step == 0:
        raise ValueError("initial and final are equal: there is no step to analyse")
    tol = max(band * abs(step), band_abs or 0.0)
    i_step = wf.index(t_step)
    if i_step >= len(wf):
        raise ValueError(f"t_step={t_step:g} s is after the record ends at {wf.t_end:g} s")
    raw = np.asarray(wf.values, dtype=float)
    after = wf.slice(wf.t0 + i_step * wf.dt)
    x = _smoothed(wf, smooth_s)[i_step:]  # smooth across t_step: the window needs the pre-step samples
    y = (x - initial) / step

    rise: float | None = None
    lo = _level_time(after, y, 0.1, 0)
    if lo is not None:
        hi = _level_time(after, y, 0.9, lo[0])
        if hi is not None:
            rise = hi[1] - lo[1]

    k_peak = int(np.argmax(y))
    overshoot = max(0.0, float(y[k_peak]) - 1.0)
    peak = float(x[k_peak])

    outside = np.abs(x - final) > tol
    last = len(outside) - 1 - int(np.argmax(outside[::-1])) if outside.any() else -1
    settling: float | None = None
    if last < 0:
        settling = 0.0
    elif last < len(outside) - max(1, len(raw) // 10):
        e0, e1 = abs(float(x[last]) - final), abs(float(x[last + 1]) - final)
        settling = _interp_time(after, last + 1, e0, e1, tol) - t_step
        settling = max(settling, 0.0)

    tail = raw[len(raw) - max(1, len(raw) // 10):]  # the steady state
    steady = float(tail.mean())
    return StepResponse(initial=initial, final=final, t_step=t_step, rise_time_s=rise, overshoot=overshoot,
                        overshoot_abs=overshoot * abs(step), settling_time_s=settling, peak=peak,
                        steady_state_value=steady, steady_state_error=steady - final, band_abs=tol)


def ramp_rate(wf: Waveform, initial: float, final: float, t_step: float, lo_frac: float = 0.1,
              hi_frac: float = 0.9, smooth_s: float | None = None) -> float | None:
    """Slope in units/s between the ``lo_frac`` and ``hi_frac`` crossings of a step (signed).

    None when the signal never reaches ``hi_frac`` of the step.
    """
    step = final - initial
    if step == 0:
        raise ValueError("initial and final are equal: there is no ramp to analyse")
    i_step = wf.index(t_step)
    after = wf.slice(wf.t0 + i_step * wf.dt)
    y = (_smoothed(wf, smooth_s)[i_step:] - initial) / step
    lo = _level_time(after, y, lo_frac, 0)
    hi = _level_time(after, y, hi_frac, lo[0]) if lo is not None else None
    if lo is None or hi is None or hi[1] <= lo[1]:
        return None
    return (hi_frac - lo_frac) * step / (hi[1] - lo[1])


def _window(kind: str, n: int) -> np.ndarray:
    k = np.arange(n) * (2 * np.pi / n)  # periodic window: the right one for spectral analysis
    if kind == "hann":
        return 0.5 - 0.5 * np.cos(k)
    if kind == "flattop":
        return sum((-1) ** i * a * np.cos(i * k) for i, a in enumerate(_FLATTOP))
    raise ValueError(f"unknown window {kind!r}; use 'hann' or 'flattop'")


def ripple(wf: Waveform, segment: int = 65536, window: Literal["hann", "flattop"] = "hann",
           batch: int = 16) -> Ripple:
    """Peak-to-peak, RMS and Welch-averaged one-sided amplitude spectrum after removing a linear trend.

    Pass the steady-state part of a record (``wf.slice(...)``): a step inside it is not ripple.
    Segments overlap by 50 % and are windowed and FFT'd ``batch`` at a time to bound memory; the
    power spectra are averaged and scaled so that a sine of amplitude A reads A at its bin. The
    resolution is ``1 / (segment * dt)``; use ``window='flattop'`` to read amplitudes to 0.01 dB
    when the tone falls between bins (Hann reads up to 15 % low there).
    """
    x = np.asarray(wf.values, dtype=float)
    n = len(x)
    if n < 4:
        raise ValueError(f"{wf.name or 'waveform'}: {n} samples are too few for a ripple analysis")
    # Least-squares line through (i, x_i) in closed form: one dot product instead of a solver.
    idx = np.arange(n, dtype=float)
    i_mean = (n - 1) / 2
    x_mean = float(x.mean())
    slope = (float(np.dot(idx, x)) - n * i_mean * x_mean) / (n * (n * n - 1) / 12)
    idx *= -slope
    idx += slope * i_mean - x_mean
    idx += x  # idx now holds the detrended signal, reusing the buffer
    resid = idx
    p2p = float(resid.max() - resid.min())
    rms = math.sqrt(float(np.dot(resid, resid)) / n)

    nseg = min(int(segment), n)
    hop = max(nseg // 2, 1)
    w = _window(window, nseg)
    frames = sliding_window_view(resid, nseg)[::hop]
    power = np.zeros(nseg // 2 + 1)
    for start in range(0, len(frames), batch):
        block = frames[start:start + batch]
        block = (block - block.mean(axis=1, keepdims=True)) * w
        spec = np.fft.rfft(block, axis=1)
        power += (spec.real ** 2 + spec.imag ** 2).sum(axis=0)
    amplitude = np.sqrt(power / len(frames)) * (2.0 / w.sum())
    amplitude[0] /= 2  # DC and Nyquist are not mirrored, so not doubled
    if nseg % 2 == 0:
        amplitude[-1] /= 2
    freqs = np.fft.rfftfreq(nseg, wf.dt)
    return Ripple(peak_to_peak=p2p, rms=rms, freqs=freqs, amplitude=amplitude,
                  resolution_hz=1.0 / (nseg * wf.dt), segments=len(frames), window=window, unit=wf.unit)


def first_crossing(wf: Waveform, level: float, slope: Literal["rise", "fall"] = "rise",
                   after: float | None = None) -> float | None:
    """Time (linearly interpolated) the signal first crosses ``level`` in the given direction.

    A crossing needs a sample on each side, so a signal already past ``level`` at ``after`` must
    come back first. None if it never crosses.
    """
    if slope not in ("rise", "fall"):
        raise ValueError(f"slope must be 'rise' or 'fall', got {slope!r}")
    seg = wf.slice(after)
    x = seg.values
    if len(x) < 2:
        return None
    hits = (x[:-1] < level) & (x[1:] >= level) if slope == "rise" else (x[:-1] > level) & (x[1:] <= level)
    i = int(np.argmax(hits))
    if not hits[i]:
        return None
    return _interp_time(seg, i + 1, float(x[i]), float(x[i + 1]), level)


def time_below(wf: Waveform, level: float, after: float | None = None) -> float | None:
    """Time from which the signal is below ``level`` until the end of the record (interpolated).

    For shutdown timing, e.g. "current < 5 A within 10 ms" or "voltage < 60 V": a dip below the
    level that comes back up does not count. Returns the first sample time at or after ``after``
    when it is already below there, and None when the last sample is not below.
    """
    seg = wf.slice(after)
    x = seg.values
    if len(x) == 0:
        return None
    at_or_above = x >= level
    if at_or_above[-1]:
        return None
    if not at_or_above.any():
        return seg.t0
    last = len(x) - 1 - int(np.argmax(at_or_above[::-1]))
    return _interp_time(seg, last + 1, float(x[last]), float(x[last + 1]), level)


def mean(wf: Waveform, t_start: float | None = None, t_end: float | None = None) -> float:
    """Mean of the samples with ``t_start <= t <= t_end``."""
    seg = wf.slice(t_start, t_end)
    if len(seg) == 0:
        raise ValueError(f"{wf.name or 'waveform'}: no samples between {t_start} and {t_end} s")
    return float(np.mean(seg.values))
