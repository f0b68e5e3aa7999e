"""The station's side of one DC output: the physics (:class:`instruments.sim.plant.DcPlant`)
plus what the station itself knows of it — its power path, its own EV model and its meter.

The same plant is what the simulated load, scope and power analyzer of the emulated bench are
coupled to, so the station's meter register, the analyzer's energy and the scope's waveform
all come from one current. The meter register derives from the plant's true energy with the
station's configured error (``meter_error``), which is what metering-accuracy cases measure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from instruments.sim.plant import DcPlant, PlantParams


class PowerStage:
    def __init__(self, evse_id: int = 1, *, max_power_w: float = 200_000.0,
                 params: PlantParams | None = None, meter_error: float = 0.0,
                 battery_capacity_wh: float = 80_000.0, soc: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        params = params or PlantParams()
        params.max_power_w = min(params.max_power_w, max_power_w)
        self.plant = DcPlant(evse_id, params, clock=clock)
        self.meter_error = meter_error  # fractional error of the station's own meter register
        self.register_offset_wh = 1000.0  # registers start non-zero, as real meters do
        self.battery_capacity_wh = battery_capacity_wh
        self._soc0 = soc
        self.demand_request_a = 0.0

    # ---- what the station does ------------------------------------------------------
    def set_demand(self, amps: float, now: float | None = None) -> None:
        """Close the power path for the emulated EV's demand (``amps`` > 0) or open it (0).
        While a bench load owns the output, the load's setting is the EV's demand instead."""
        self.demand_request_a = max(0.0, amps)
        self.plant.set_output(amps > 0)
        self.plant.ev_sink(self.demand_request_a)

    def update(self, now: float | None = None) -> None:
        """Bring the physics up to date (it also advances by itself on every reading)."""
        self.plant.state()

    # ---- what the station measures --------------------------------------------------
    @property
    def max_power_w(self) -> float:
        return self.plant.params.max_power_w

    @property
    def demand_a(self) -> float:
        return self.plant.demand_a if self.plant.output_enabled else 0.0

    @property
    def voltage_v(self) -> float:
        return self.plant.measure(0)[0]

    @property
    def current_a(self) -> float:
        return self.plant.measure(0)[1]

    @property
    def power_w(self) -> float:
        v, i = self.plant.measure(0)
        return v * i

    @property
    def energy_wh(self) -> float:
        return self.plant.energy_wh()

    @property
    def soc(self) -> float:
        return min(100.0, self._soc0 + 100.0 * self.plant.energy_wh() / self.battery_capacity_wh)

    def register_wh(self) -> float:
        """The station meter's reading, with its configured error."""
        return self.register_offset_wh + self.plant.energy_wh() * (1.0 + self.meter_error)
