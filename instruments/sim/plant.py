"""The physics of one emulated DC output: charger power stage, cable and the load/EV at its end.

This is the node every simulated instrument looks at: the load sets the EV's demand, the
charger's output current follows it with its own dynamics (ramp limit, a second-order current
loop that may overshoot, steady-state error), ripple and noise ride on top, the scope samples
the waveform, the analyzer integrates its energy and the emulated station's meter register
derives from the same energy. Protection is modelled with its timing: over-voltage is detected
after ``ov_detect_s`` and the output is cut (current decays with ``shutdown_tau_s``), and a cut
output discharges with ``discharge_tau_s`` — the figures the power suite measures.

Simulation is exact for piecewise-constant inputs: the plant advances lazily (on every call,
and from an optional ticker thread) in fixed steps of ``dt_s`` while anything moves and in one
jump while everything is settled, recording (t, V, A) history points that are linearly
interpolated for probes. Ripple and noise are added at sampling time (analytic), so a scope
can sample at any rate without the plant stepping at that rate. Thread safe.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

SINK_MODES = ("CC", "CV", "CP", "CR")


@dataclass
class PlantParams:
    """The charger's output stage as its datasheet (and its defects) would describe it."""

    max_current_a: float = 500.0
    max_power_w: float = 200_000.0
    max_voltage_v: float = 1000.0
    battery_v: float = 400.0  # voltage the EV / load presents until a load sets one
    ramp_a_per_s: float = 1000.0  # the charger's own current ramp limit
    settling_time_s: float = 0.05  # 2 % settling time of the current loop
    damping: float = 0.9  # zeta of the current loop; below ~0.7 it overshoots
    regulation_error: float = 0.0  # steady-state fractional error of the delivered current
    ripple_a: float = 1.0  # peak amplitude of the rectifier ripple (6-pulse: 6 x 60 Hz)
    ripple_hz: float = 360.0
    switching_ripple_a: float = 0.3
    switching_hz: float = 20_000.0
    current_noise_a: float = 0.05  # rms
    voltage_ripple_v: float = 0.3
    voltage_noise_v: float = 0.1
    cable_resistance_ohm: float = 0.01
    ov_limit_v: float = 1100.0  # IEC 61851-23 Table 103 limit for the negotiated max voltage
    ov_detect_s: float = 0.002  # detection + contactor opening
    shutdown_tau_s: float = 0.0005  # current decay once the output is cut
    discharge_tau_s: float = 0.03  # active discharge of the output capacitance
    thermal_limit_w: float | None = None  # derates to this power after thermal_after_s above it
    thermal_after_s: float = 0.0
    dt_s: float = 1e-4
    history_s: float = 60.0


@dataclass
class Sink:
    enabled: bool = False
    mode: str = "CC"
    setpoint: float = 0.0
    voltage_v: float | None = None
    slew_a_per_s: float | None = None


@dataclass
class _History:
    t: list[float] = field(default_factory=list)
    v: list[float] = field(default_factory=list)
    i: list[float] = field(default_factory=list)
    on: list[float] = field(default_factory=list)  # converter running (ripple present)


class DcPlant:
    """One charger output port (implements :class:`instruments.sim.port.DcPort`)."""

    def __init__(self, port: int = 1, params: PlantParams | None = None,
                 clock: Callable[[], float] = time.monotonic, seed: int = 0) -> None:
        self.port = port
        self.params = params or PlantParams()
        self._clock = clock
        self._lock = threading.RLock()
        self._seed = seed
        self.sink = Sink()
        self.external_sink = False  # a load (simulator) owns the sink; the station's EV keeps off
        self.output_enabled = False  # the charger wants to deliver (power path closed)
        self.tripped: str | None = None  # why the output was cut by protection
        self.trip_time: float | None = None
        self.on_trip: Callable[[str], None] | None = None
        self._t = clock()
        self._i = 0.0
        self._di = 0.0
        self._ref = 0.0
        self._v = 0.0
        self._running = False
        self._ov_since: float | None = None
        self._energy_wh = 0.0
        self._hot_s = 0.0  # time spent above the thermal limit since the output was enabled
        self.derated = False
        self._history = _History()
        self._record()
        self._ticker: threading.Thread | None = None
        self._stop_ticker = threading.Event()

    # ---- DcPort -----------------------------------------------------------------------
    def now(self) -> float:
        return self._clock()

    def set_sink(self, *, enabled: bool, mode: str, setpoint: float, voltage_v: float | None = None,
                 slew_a_per_s: float | None = None) -> None:
        if mode not in SINK_MODES:
            raise ValueError(f"sink mode {mode!r} is not one of {SINK_MODES}")
        with self._lock:
            self._advance()
            self.external_sink = True
            self.sink = Sink(enabled, mode, float(setpoint),
                             self.sink.voltage_v if voltage_v is None else float(voltage_v), slew_a_per_s)

    def measure(self, window_s: float = 0.05) -> tuple[float, float]:
        with self._lock:
            self._advance()
            if window_s <= 0:
                return self._v, self._i
            t1 = self._t
            times = np.linspace(t1 - window_s, t1, 64)
            t, v, i, _ = self._arrays(times[0], t1)
            return float(np.interp(times, t, v).mean()), float(np.interp(times, t, i).mean())

    def sample(self, quantity: str, times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype=float)
        if times.size == 0:
            return times.copy()
        with self._lock:
            self._advance()
            t, v, i, on = self._arrays(float(times.min()), float(times.max()))
        p = self.params
        running = np.interp(times, t, on)
        rng = np.random.default_rng(self._seed + int(times[0] * 1e3) % 1_000_003)
        if quantity == "current":
            base = np.interp(times, t, i)
            ripple = (p.ripple_a * np.sin(2 * np.pi * p.ripple_hz * times)
                      + p.switching_ripple_a * np.sin(2 * np.pi * p.switching_hz * times + 0.7))
            return base + running * (ripple + rng.normal(0.0, p.current_noise_a, times.size))
        if quantity == "voltage":
            base = np.interp(times, t, v)
            ripple = p.voltage_ripple_v * np.sin(2 * np.pi * p.ripple_hz * times + 1.1)
            return base + running * ripple + rng.normal(0.0, p.voltage_noise_v, times.size) * (base > 1)
        raise ValueError(f"unknown quantity {quantity!r}: 'voltage' or 'current'")

    def find_edge(self, quantity: str, level: float, slope: str, after: float) -> float | None:
        """On the signal a probe sees (ripple and noise included, sampled every ``dt_s``), as a
        scope's trigger comparator does: a flat output with ripple still triggers at its mean."""
        with self._lock:
            self._advance()
            end = self._t
        if end <= after:
            return None
        times = np.arange(after, end, self.params.dt_s)
        if times.size < 2:
            return None
        values = self.sample(quantity, times)
        a, b = values[:-1], values[1:]
        hits = np.nonzero((a < level) & (b >= level) if slope == "rise" else (a > level) & (b <= level))[0]
        if hits.size == 0:
            return None
        k = int(hits[0])
        frac = (level - a[k]) / (b[k] - a[k]) if b[k] != a[k] else 0.0
        return float(times[k] + frac * (times[k + 1] - times[k]))

    def energy_wh(self) -> float:
        with self._lock:
            self._advance()
            return self._energy_wh

    # ---- the charger's side ----------------------------------------------------------------
    def set_output(self, enabled: bool) -> None:
        """The charger closes (True) or opens (False) its power path."""
        with self._lock:
            self._advance()
            if enabled and not self.output_enabled:
                self.tripped = None
                self.trip_time = None
                self._hot_s, self.derated = 0.0, False
            self.output_enabled = enabled

    def cut(self, reason: str) -> None:
        """Protection or emergency stop: open the output now, whatever the charger wanted."""
        with self._lock:
            self._advance()
            self._trip(reason)

    def ev_sink(self, amps: float, voltage_v: float | None = None) -> None:
        """The station's own emulated EV asks for current — ignored while a load owns the sink."""
        with self._lock:
            self._advance()
            if not self.external_sink:
                self.sink = Sink(amps > 0, "CC", max(0.0, amps),
                                 self.sink.voltage_v if voltage_v is None else voltage_v)

    def release_sink(self) -> None:
        """The load is gone (bench torn down): the station's own EV model takes over again."""
        with self._lock:
            self._advance()
            self.external_sink = False
            self.sink = Sink(voltage_v=self.sink.voltage_v)

    @property
    def demand_a(self) -> float:
        with self._lock:
            self._advance()
            return self._demand()

    def state(self) -> dict[str, float | bool | str | None]:
        with self._lock:
            self._advance()
            return {"t": self._t, "voltage_v": self._v, "current_a": self._i, "energy_wh": self._energy_wh,
                    "output_enabled": self.output_enabled, "tripped": self.tripped,
                    "demand_a": self._demand()}

    def start_ticker(self, period_s: float = 0.01) -> None:
        """Advance in the background so protection trips (and ``on_trip``) happen on time even
        when nobody is asking."""
        if self._ticker is not None:
            return
        self._stop_ticker.clear()

        def tick() -> None:
            while not self._stop_ticker.wait(period_s):
                with self._lock:
                    self._advance()

        self._ticker = threading.Thread(target=tick, name=f"plant-{self.port}", daemon=True)
        self._ticker.start()

    def stop_ticker(self) -> None:
        self._stop_ticker.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
            self._ticker = None

    # ---- simulation --------------------------------------------------------------------
    def _battery_v(self) -> float:
        sink = self.sink
        if sink.mode == "CV" and sink.enabled:
            return sink.setpoint
        return sink.voltage_v if sink.voltage_v is not None else self.params.battery_v

    def _demand(self) -> float:
        sink, p = self.sink, self.params
        if not sink.enabled:
            return 0.0
        v = max(self._battery_v(), 1.0)
        if sink.mode == "CC":
            return max(0.0, sink.setpoint)
        if sink.mode == "CP":
            return max(0.0, sink.setpoint) / v
        if sink.mode == "CR":
            return v / sink.setpoint if sink.setpoint > 0 else p.max_current_a
        return p.max_current_a  # CV: the load takes whatever the charger gives

    def _target(self) -> float:
        p = self.params
        if not self.output_enabled or self.tripped:
            return 0.0
        v = max(self._battery_v(), 1.0)
        max_power = p.thermal_limit_w if self.derated and p.thermal_limit_w else p.max_power_w
        return min(self._demand(), p.max_current_a, max_power / v) * (1.0 + p.regulation_error)

    def _trip(self, reason: str) -> None:
        if self.tripped:
            return
        self.tripped = reason
        self.trip_time = self._t
        callback = self.on_trip
        if callback is not None:
            try:
                callback(reason)
            except Exception:  # the station's reaction must not break the physics
                pass

    def _settled(self, target: float, cut: bool) -> bool:
        if cut:
            return self._i == 0.0 and self._v == 0.0
        v_target = self._battery_v() + self._i * self.params.cable_resistance_ohm
        return (self._ref == target and abs(self._i - target) < 1e-4 and abs(self._di) < 1e-3
                and abs(self._v - v_target) < 1e-6 and self._ov_since is None
                and not (self._v > self.params.ov_limit_v and self.output_enabled))

    def _advance(self) -> None:
        p = self.params
        now = self._clock()
        if now <= self._t:
            return
        dt = p.dt_s
        while self._t < now:
            cut = not self.output_enabled or bool(self.tripped)
            target = self._target()
            if self._settled(target, cut):
                span = now - self._t
                heating = (p.thermal_limit_w is not None and not self.derated and not cut
                           and self._v * self._i > p.thermal_limit_w)
                if heating and self._hot_s + span >= p.thermal_after_s:
                    span = max(0.0, p.thermal_after_s - self._hot_s)
                    self._energy_wh += self._v * self._i * span / 3600.0
                    self._t += span
                    self.derated = True
                    self._record()
                    continue
                if heating:
                    self._hot_s += span
                self._energy_wh += self._v * self._i * span / 3600.0
                self._t = now
                self._record()
                break
            step = min(dt, now - self._t)
            if cut:
                self._running = False
                self._i *= math.exp(-step / p.shutdown_tau_s)
                self._v *= math.exp(-step / p.discharge_tau_s)
                self._ref, self._di = self._i, 0.0
                if self._i < 1e-3:
                    self._i = 0.0
                if self._v < 1e-2:
                    self._v = 0.0
            else:
                self._running = self._i > 0.5 or target > 0
                rate = p.ramp_a_per_s
                if self.sink.slew_a_per_s:
                    rate = min(rate, self.sink.slew_a_per_s)
                delta = target - self._ref
                self._ref += max(-rate * step, min(rate * step, delta))
                wn = 4.0 / (p.damping * p.settling_time_s)
                accel = wn * wn * (self._ref - self._i) - 2 * p.damping * wn * self._di
                self._di += accel * step
                self._i = max(0.0, self._i + self._di * step)
                self._v = self._battery_v() + self._i * p.cable_resistance_ohm
                if self._v > p.ov_limit_v:
                    if self._ov_since is None:
                        self._ov_since = self._t
                    elif self._t + step - self._ov_since >= p.ov_detect_s:
                        self._t += step
                        self._trip("OverVoltage")
                        self._record()
                        continue
                else:
                    self._ov_since = None
            if p.thermal_limit_w is not None and not cut and self._v * self._i > p.thermal_limit_w:
                self._hot_s += step
                if self._hot_s >= p.thermal_after_s:
                    self.derated = True
            self._energy_wh += self._v * self._i * step / 3600.0
            self._t += step
            self._record()
        self._trim()

    def _record(self) -> None:
        h = self._history
        h.t.append(self._t)
        h.v.append(self._v)
        h.i.append(self._i)
        h.on.append(1.0 if self._running else 0.0)

    def _trim(self) -> None:
        h = self._history
        if len(h.t) > 4096 and h.t[0] < self._t - self.params.history_s * 1.5:
            k = bisect.bisect_left(h.t, self._t - self.params.history_s)
            for series in (h.t, h.v, h.i, h.on):
                del series[:k]

    def _arrays(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """History points covering [t0, t1] (one point either side, for interpolation)."""
        h = self._history
        lo = max(0, bisect.bisect_left(h.t, t0) - 1)
        hi = min(len(h.t), bisect.bisect_right(h.t, t1) + 1)
        return (np.asarray(h.t[lo:hi]), np.asarray(h.v[lo:hi]), np.asarray(h.i[lo:hi]),
                np.asarray(h.on[lo:hi]))
