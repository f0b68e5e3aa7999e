"""Benchmark of the waveform analysis on a 10-million-sample record; prints its figures as JSON.

Run: ``.venv/bin/python benchmarks/waveform.py``. Target: step response + ripple spectrum of
10 M samples in < 1 s on 2 cores (signal generation excluded). The record is a DC charger's
output current stepping 50 A -> 200 A at 1 MHz for 10 s: an underdamped second-order response
(20 Hz natural frequency, zeta 0.5), 360 Hz rectifier ripple, 20 kHz switching ripple and noise.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.analysis.waveform import Waveform, ripple, step_response  # noqa: E402

SAMPLES = 10_000_000
FS = 1_000_000.0
T_STEP = 0.5
I0, I1 = 50.0, 200.0
WN, ZETA = 2 * math.pi * 20.0, 0.5
RIPPLE = ((360.0, 2.0), (20_000.0, 1.0))  # (Hz, A amplitude)
NOISE_RMS = 0.5


def make_current(samples: int = SAMPLES, seed: int = 1) -> Waveform:
    """The synthetic charger current described in the module docstring."""
    t = np.arange(samples) / FS
    tau = np.clip(t - T_STEP, 0.0, None)
    wd = WN * math.sqrt(1 - ZETA ** 2)
    phi = math.acos(ZETA)
    resp = 1 - np.exp(-ZETA * WN * tau) * np.sin(wd * tau + phi) / math.sqrt(1 - ZETA ** 2)
    x = I0 + (I1 - I0) * resp
    for f, a in RIPPLE:
        x += a * np.sin(2 * np.pi * f * t)
    x += np.random.default_rng(seed).normal(0.0, NOISE_RMS, samples)
    return Waveform(0.0, 1 / FS, x, "A", "dc_current")


def waveform_analysis_benchmark(repeats: int = 3) -> dict[str, object]:
    """Time step_response + ripple on the 10 M-sample record; returns the figures as a dict."""
    t_gen = time.perf_counter()
    wf = make_current()
    gen_s = time.perf_counter() - t_gen
    steady = wf.slice(T_STEP + 0.5)
    totals, steps, ripples = [], [], []
    sr = rp = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        sr = step_response(wf, I0, I1, T_STEP, smooth_s=1 / 360)
        t1 = time.perf_counter()
        rp = ripple(steady)
        t2 = time.perf_counter()
        steps.append(t1 - t0)
        ripples.append(t2 - t1)
        totals.append(t2 - t0)
    assert sr is not None and rp is not None
    expected_overshoot = math.exp(-ZETA * math.pi / math.sqrt(1 - ZETA ** 2))
    return {
        "samples": len(wf), "ripple_samples": len(steady), "generate_s": round(gen_s, 3),
        "step_response_s": round(statistics.median(steps), 3),
        "ripple_s": round(statistics.median(ripples), 3),
        "total_s": round(statistics.median(totals), 3), "total_first_s": round(totals[0], 3),
        "target_s": 1.0, "met": statistics.median(totals) < 1.0,
        "rise_time_ms": round(1e3 * (sr.rise_time_s or math.nan), 3),
        "overshoot": round(sr.overshoot, 4), "overshoot_expected": round(expected_overshoot, 4),
        "settling_ms": None if sr.settling_time_s is None else round(1e3 * sr.settling_time_s, 2),
        "ripple_p2p_A": round(rp.peak_to_peak, 3), "ripple_rms_A": round(rp.rms, 3),
        "dominant_hz": round(rp.dominant_hz, 1), "resolution_hz": round(rp.resolution_hz, 2),
        "peak_below_5kHz_A": round(rp.band_peak(0, 5_000), 3),
        "peak_5k_150kHz_A": round(rp.band_peak(5_000, 150_000), 3),
    }


def main() -> None:
    figures = waveform_analysis_benchmark()
    print(f"Waveform analysis (10 M samples, step response + ripple): {figures}", flush=True)
    print(json.dumps({"waveform_analysis": figures}))


if __name__ == "__main__":
    main()
