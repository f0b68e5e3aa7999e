"""The DC power stage of one EVSE: output follows the EV's demand, energy integrates power.

A first-order model (time constant, ramp limit) good enough for meter values now, and the
coupling point for simulated instruments later (issue 3).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class PowerStage:
    max_power_w: float = 200_000.0
    max_current_a: float = 500.0
    time_constant_s: float = 0.2
    ramp_a_per_s: float = 250.0
    battery_v: float = 400.0
    battery_capacity_wh: float = 80_000.0
    soc: float = 30.0
    meter_error: float = 0.0  # fractional error of the station's own meter register
    demand_a: float = 0.0
    current_a: float = 0.0
    energy_wh: float = field(default=1000.0)  # register starts non-zero, as real meters do
    _t: float = field(default_factory=time.monotonic)

    @property
    def voltage_v(self) -> float:
        return self.battery_v + 60.0 * self.soc / 100.0 if self.current_a > 0.5 else 0.0

    @property
    def power_w(self) -> float:
        return self.voltage_v * self.current_a

    def set_demand(self, amps: float, now: float | None = None) -> None:
        """Control the EV's current demand in A (clamped to the stage's current and power)."""
        self.update(now)
        limit = min(self.max_current_a, self.max_power_w / max(self.battery_v, 1.0))
        self.demand_a = max(0.0, min(amps, limit))

    def update(self, now: float | None = None) -> None:
        """Advance the model to ``now``: current approaches demand, energy accumulates."""
        now = time.monotonic() if now is None else now
        dt = max(0.0, now - self._t)
        self._t = now
        if dt == 0:
            return
        p_before = self.power_w
        target = self.demand_a
        step = (target - self.current_a) * (1 - math.exp(-dt / self.time_constant_s))
        limit = self.ramp_a_per_s * dt
        self.current_a = max(0.0, self.current_a + max(-limit, min(limit, step)))
        if abs(self.current_a - target) < 1e-3:
            self.current_a = target
        energy = (p_before + self.power_w) / 2 * dt / 3600.0
        self.energy_wh += energy
        self.soc = min(100.0, self.soc + 100.0 * energy / self.battery_capacity_wh)

    def register_wh(self) -> float:
        """The station meter's reading, with its configured error."""
        self.update()
        return self.energy_wh * (1.0 + self.meter_error)
