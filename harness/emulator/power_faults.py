"""How the emulated station's DC power stage is set up: plant parameters from the bench's
emulator options, and the power quirks (defects of real power stages) applied on top."""

from __future__ import annotations

import dataclasses
from typing import Any

from harness.protocols.iec61851_23 import ov_limit_for
from instruments.sim.plant import PlantParams

#: quirk -> PlantParams overrides (the defect, as a datasheet value gone wrong)
POWER_QUIRKS: dict[str, dict[str, float]] = {
    "power_slow_regulation": {"settling_time_s": 3.0, "ramp_a_per_s": 15.0},
    "power_overshoot": {"damping": 0.3, "ramp_a_per_s": 1e6},  # no ramp limiting, underdamped loop
    "power_regulation_offset": {"regulation_error": 0.035},
    "power_excessive_ripple": {"ripple_a": 9.0},
    "power_late_ov_shutdown": {"ov_detect_s": 0.030},
    "power_slow_deenergize": {"discharge_tau_s": 2.5},
    "power_thermal_derate": {"thermal_limit_w": 100_000.0, "thermal_after_s": 0.5},
}
METER_DRIFT_QUIRK = "power_meter_drift"
METER_DRIFT = 0.025  # the register runs 2.5 % fast


def plant_params(options: dict[str, Any], quirks: set[str], ev_max_voltage_v: float | None,
                 battery_v: float | None = None) -> PlantParams:
    """PlantParams from ``emulator.options.plant`` (any PlantParams field) and the quirks on."""
    fields = {f.name for f in dataclasses.fields(PlantParams)}
    given = dict(options.get("plant", {}) or {})
    unknown = sorted(set(given) - fields)
    if unknown:
        raise ValueError(f"emulator.options.plant: unknown field(s) {unknown}; known: {sorted(fields)}")
    params = PlantParams(**given)
    if battery_v is not None and "battery_v" not in given:
        params.battery_v = battery_v
    if ev_max_voltage_v is not None and "ov_limit_v" not in given:
        params.ov_limit_v = ov_limit_for(ev_max_voltage_v)
    for quirk in sorted(quirks & set(POWER_QUIRKS)):
        for name, value in POWER_QUIRKS[quirk].items():
            setattr(params, name, value)
    return params


def meter_error(options: dict[str, Any], quirks: set[str]) -> float:
    base = float(options.get("meter_error", 0.0))
    return base + (METER_DRIFT if METER_DRIFT_QUIRK in quirks else 0.0)
