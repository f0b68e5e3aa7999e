"""Waveform analysis against synthetic signals whose figures are known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.analysis.waveform import (
    Waveform,
    first_crossing,
    mean,
    moving_average,
    ramp_rate,
    ripple,
    step_response,
    time_below,
)

FS = 100_000.0
TAU = 0.01
T_STEP = 0.1


def first_order(initial: float, final: float, seconds: float = 0.4) -> Waveform:
    t = np.arange(int(seconds * FS)) / FS
    resp = np.where(t >= T_STEP, 1 - np.exp(-(t - T_STEP) / TAU), 0.0)
    return Waveform(0.0, 1 / FS, initial + (final - initial) * resp, "A", "i")


def second_order(zeta: float, fn: float = 20.0, seconds: float = 1.0) -> Waveform:
    t = np.arange(int(seconds * FS)) / FS
    wn = 2 * math.pi * fn
    tau = np.clip(t - T_STEP, 0, None)
    wd = wn * math.sqrt(1 - zeta ** 2)
    resp = 1 - np.exp(-zeta * wn * tau) * np.sin(wd * tau + math.acos(zeta)) / math.sqrt(1 - zeta ** 2)
    return Waveform(0.0, 1 / FS, 50 + 150 * resp, "A", "i")


def test_first_order_rise_and_settling() -> None:
    sr = step_response(first_order(0.0, 100.0), 0.0, 100.0, T_STEP)
    assert sr.rise_time_s == pytest.approx(TAU * math.log(9), rel=1e-3)
    assert sr.settling_time_s == pytest.approx(TAU * math.log(50), rel=1e-3)
    assert sr.overshoot == 0.0
    assert sr.overshoot_abs == 0.0
    assert sr.steady_state_value == pytest.approx(100.0, abs=1e-6)
    assert sr.steady_state_error == pytest.approx(0.0, abs=1e-6)
    assert sr.band_abs == pytest.approx(2.0)


def test_band_abs_wins_when_wider() -> None:
    sr = step_response(first_order(0.0, 100.0), 0.0, 100.0, T_STEP, band_abs=10.0)
    assert sr.settling_time_s == pytest.approx(TAU * math.log(10), rel=1e-3)


def test_falling_step() -> None:
    sr = step_response(first_order(200.0, 50.0), 200.0, 50.0, T_STEP)
    assert sr.rise_time_s == pytest.approx(TAU * math.log(9), rel=1e-3)
    assert sr.settling_time_s == pytest.approx(TAU * math.log(50), rel=1e-3)
    assert sr.overshoot == 0.0
    assert sr.peak == pytest.approx(50.0, abs=1e-3)


@pytest.mark.parametrize("zeta", [0.2, 0.5, 0.7])
def test_second_order_overshoot(zeta: float) -> None:
    sr = step_response(second_order(zeta), 50.0, 200.0, T_STEP)
    expected = math.exp(-zeta * math.pi / math.sqrt(1 - zeta ** 2))
    assert sr.overshoot == pytest.approx(expected, rel=1e-3)
    assert sr.overshoot_abs == pytest.approx(150 * expected, rel=1e-3)
    assert sr.peak == pytest.approx(200 + 150 * expected, rel=1e-4)
    assert sr.settling_time_s is not None
    # Envelope bound: the response is inside 2 % once exp(-zeta wn t)/sqrt(1-zeta^2) < 0.02.
    wn = 2 * math.pi * 20
    assert sr.settling_time_s <= math.log(50 / math.sqrt(1 - zeta ** 2)) / (zeta * wn)


def test_falling_second_order_overshoot_is_positive() -> None:
    wf = second_order(0.4)
    mirrored = Waveform(wf.t0, wf.dt, 250 - wf.values, "A")  # 200 -> 50 with undershoot below 50
    sr = step_response(mirrored, 200.0, 50.0, T_STEP)
    assert sr.overshoot == pytest.approx(math.exp(-0.4 * math.pi / math.sqrt(1 - 0.16)), rel=1e-3)
    assert sr.peak < 50


def test_never_settles() -> None:
    t = np.arange(int(0.5 * FS)) / FS
    wf = Waveform(0.0, 1 / FS, np.where(t >= T_STEP, 100 + 10 * np.sin(2 * np.pi * 50 * t), 0.0), "A")
    sr = step_response(wf, 0.0, 100.0, T_STEP)
    assert sr.settling_time_s is None
    # Settles, but to the wrong value: also never inside the band around the requested final.
    assert step_response(first_order(0.0, 90.0), 0.0, 100.0, T_STEP).settling_time_s is None


def test_ripple_and_noise_need_smoothing() -> None:
    clean = first_order(0.0, 100.0)
    rng = np.random.default_rng(7)
    t = clean.times
    noisy = clean.values + 5 * np.sin(2 * np.pi * 360 * t) + rng.normal(0, 1.0, len(t))
    wf = Waveform(0.0, clean.dt, noisy, "A")
    assert step_response(wf, 0.0, 100.0, T_STEP).settling_time_s is None
    sr = step_response(wf, 0.0, 100.0, T_STEP, smooth_s=1 / 360)
    assert sr.settling_time_s == pytest.approx(TAU * math.log(50), rel=0.05)
    assert sr.rise_time_s == pytest.approx(TAU * math.log(9), rel=0.05)
    assert sr.overshoot < 0.01
    assert sr.steady_state_value == pytest.approx(100.0, abs=0.25)  # 14.4 ripple periods averaged


def test_moving_average_matches_naive() -> None:
    x = np.random.default_rng(1).normal(size=101) + 1000
    out = moving_average(x, 7)
    naive = [x[min(max(i, 3), 97) - 3:min(max(i, 3), 97) + 4].mean() for i in range(len(x))]
    np.testing.assert_allclose(out, naive, rtol=1e-12)
    np.testing.assert_array_equal(moving_average(x, 1), x)


def test_ramp_rate() -> None:
    t = np.arange(int(3 * FS)) / FS
    wf = Waveform(0.0, 1 / FS, np.clip((t - 0.5) * 50.0, 0, 100), "A")  # 50 A/s from 0 to 100 A
    assert ramp_rate(wf, 0.0, 100.0, 0.5) == pytest.approx(50.0, rel=1e-4)
    down = Waveform(0.0, 1 / FS, 100 - wf.values, "A")
    assert ramp_rate(down, 100.0, 0.0, 0.5) == pytest.approx(-50.0, rel=1e-4)
    assert ramp_rate(wf.slice(0, 1.0), 0.0, 100.0, 0.5) is None  # never reaches 90 %


def sine(freq: float, amp: float, seconds: float = 1.0, fs: float = FS, dc: float = 100.0,
         slope: float = 0.0) -> Waveform:
    t = np.arange(int(seconds * fs)) / fs
    return Waveform(0.0, 1 / fs, dc + slope * t + amp * np.sin(2 * np.pi * freq * t), "A")


def test_ripple_of_a_sine_on_bin() -> None:
    segment = 8192
    freq = 100 * FS / segment  # exactly on bin 100
    rp = ripple(sine(freq, 2.0, slope=30.0), segment=segment)  # the trend is not ripple
    assert rp.peak_to_peak == pytest.approx(4.0, rel=1e-3)
    assert rp.rms == pytest.approx(2 / math.sqrt(2), rel=1e-3)
    assert rp.dominant_hz == pytest.approx(freq)
    assert rp.band_peak(0, 5000) == pytest.approx(2.0, rel=1e-3)
    assert rp.band_peak(5000, 50_000) < 0.01
    assert rp.resolution_hz == pytest.approx(FS / segment)
    assert rp.segments == 2 * (len(sine(freq, 2.0)) // segment) - 1


@pytest.mark.parametrize("freq", [360.0, 1234.5, 20_000.0])
def test_ripple_of_a_sine_between_bins(freq: float) -> None:
    rp_hann = ripple(sine(freq, 3.0), segment=4096)
    assert 0.84 * 3.0 <= rp_hann.band_peak(0, None) <= 1.001 * 3.0  # Hann scalloping: up to 15 % low
    assert rp_hann.dominant_hz == pytest.approx(freq, abs=rp_hann.resolution_hz)
    rp_flat = ripple(sine(freq, 3.0), segment=4096, window="flattop")
    assert rp_flat.band_peak(0, None) == pytest.approx(3.0, rel=2e-3)


def test_two_tones_in_their_bands() -> None:
    t = np.arange(int(FS)) / FS
    x = 200 + 1.0 * np.sin(2 * np.pi * 360 * t) + 0.5 * np.sin(2 * np.pi * 20_000 * t)
    rp = ripple(Waveform(0.0, 1 / FS, x, "A"), window="flattop")
    assert rp.band_peak(0, 5000) == pytest.approx(1.0, rel=5e-3)
    assert rp.band_peak(5000, 49_000) == pytest.approx(0.5, rel=5e-3)


def test_band_below_resolution_is_an_error() -> None:
    rp = ripple(sine(360, 1.0), segment=4096)  # 24 Hz resolution
    with pytest.raises(ValueError, match=r"no spectrum bin in 0\.\.10 Hz"):
        rp.band_peak(0, 10)


def test_first_crossing_and_time_below() -> None:
    t = np.arange(1000) * 1e-4  # 0 .. 0.0999 s
    x = np.interp(t, [0, 0.02, 0.05, 0.06, 0.065, 0.07, 0.0999], [0, 100, 100, 3, 8, 2, 0])
    wf = Waveform(0.0, 1e-4, x, "A")
    assert first_crossing(wf, 50) == pytest.approx(0.01, abs=1e-9)
    assert first_crossing(wf, 50, "fall") == pytest.approx(0.05 + 0.01 * 50 / 97, abs=1e-9)
    assert first_crossing(wf, 50, after=0.03) is None
    assert first_crossing(wf, 150) is None
    # Drops below 5 A at ~0.0599 s but comes back to 8 A: "below and stays below" is later.
    assert time_below(wf, 5) == pytest.approx(0.065 + 0.005 * 3 / 6, abs=1e-9)
    assert time_below(wf, 5, after=0.09) == pytest.approx(0.09)
    assert time_below(wf, -1) is None
    with pytest.raises(ValueError, match="slope"):
        first_crossing(wf, 1, "up")  # type: ignore[arg-type]


def test_mean_and_slice() -> None:
    wf = Waveform(1.0, 0.1, np.arange(11.0), "V", "v")  # t = 1.0 .. 2.0
    assert wf.duration == pytest.approx(1.0)
    part = wf.slice(1.2, 1.5)
    assert part.t0 == pytest.approx(1.2)
    np.testing.assert_array_equal(part.values, [2, 3, 4, 5])
    np.testing.assert_allclose(part.times, [1.2, 1.3, 1.4, 1.5])
    assert mean(wf, 1.2, 1.5) == pytest.approx(3.5)
    assert mean(wf) == pytest.approx(5.0)
    with pytest.raises(ValueError, match="no samples"):
        mean(wf, 3.0, 4.0)


def test_from_arrays() -> None:
    t = 5.0 + np.arange(100) * 1e-3
    wf = Waveform.from_arrays(t, np.ones(100), "V", "v")
    assert (wf.t0, wf.dt) == pytest.approx((5.0, 1e-3))
    jittered = t.copy()
    jittered[10] += 0.005e-3  # 0.5 % jitter is fine
    Waveform.from_arrays(jittered, np.ones(100))
    t[50:] += 0.5e-3  # one interval 50 % long: a dropped-sample gap
    with pytest.raises(ValueError, match=r"not uniform within 1 %.*interval 49"):
        Waveform.from_arrays(t, np.ones(100), name="v")
