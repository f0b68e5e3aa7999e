"""How the emulated station's DC power stage is set up: plant parameters from the bench's
emulator options, and the power quirks (defects of real power stages) applied on top."""

from __future__ import annotations

import dataclasses
from typing import Any

from instruments.sim.plant import PlantParams

#: quirk -> PlantParams overrides (the defect, as a datasheet value gone wrong)
POWER_QUIRKS: dict[str, dict[str, float]] = {
    "power_slow_regulation": {"settling_time_s": 3.0, "ramp_a_per_s": 15.0},
    "power_overshoot": {"damping": 0.3},
    "power_regulation_offset": {"regulation_error": 0.035},
    "power_excessive_ripple": {"ripple_a": 9.0},
    "power_late_ov_shutdown": {"ov_detect_s": 0.030},
    "power_slow_deenergize": {"discharge_tau_s": 2.5},
    "power_thermal_derate": {"thermal_limit_w": 100_000.0, "thermal_after_s": 0.5},
}
METER_DRIFT_QUIRK = "power_meter_drift"
METER_DRIFT = 0.025  # the register runs 2.5 % fast


def plant_params(options: dict[str, Any], quirks: set[str], ev_max_voltage_v: float | None) -> PlantParams:
    """PlantParams from ``emulator.options.plant`` (any PlantParams field) and the quirks on."""
    fields = {f.name for f in dataclasses.fields(PlantParams)}
    given = dict(options.get("plant", {}) or {})
    unknown = sorted(set(given) - fields)
    if unknown:
        raise ValueError(f"emulator.options.plant: unknown field(s) {unknown}; known: {sorted(fields)}")
    params = PlantParams(**given)
    if ev_max_voltage_v is not None and "ov_limit_v" not in given:
        params.ov_limit_v = ov_limit_for(ev_max_voltage_v)
    for quirk in sorted(quirks & set(POWER_QUIRKS)):
        for name, value in POWER_QUIRKS[quirk].items():
            setattr(params, name, value)
    return params


def meter_error(options: dict[str, Any], quirks: set[str]) -> float:
    base = float(options.get("meter_error", 0.0))
    return base + (METER_DRIFT if METER_DRIFT_QUIRK in quirks else 0.0)


#: IEC 61851-23 Table 103 (as quoted in open implementations; see FACTS.md): over-voltage
#: shutdown limit by the maximum voltage negotiated with the EV.
OV_TABLE: tuple[tuple[float, float], ...] = ((500.0, 550.0), (750.0, 825.0), (850.0, 935.0), (1000.0, 1100.0))


def ov_limit_for(ev_max_voltage_v: float) -> float:
    """The Table 103 over-voltage limit for a negotiated maximum voltage."""
    for max_v, limit in OV_TABLE:
        if ev_max_voltage_v <= max_v:
            return limit
    raise ValueError(f"no over-voltage limit for a maximum voltage of {ev_max_voltage_v:g} V (> 1000 V)")
