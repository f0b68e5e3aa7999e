"""IEC 61851-23 figures the power suite and the emulated charger both need, as data.

Values as quoted in open implementations (see FACTS.md, "DC power quality"); the standard
itself is the authority, so bench files can override the suite's limits.
"""

from __future__ import annotations

#: Table 103: over-voltage shutdown limit by the maximum voltage negotiated with the EV.
OV_TABLE: tuple[tuple[float, float], ...] = ((500.0, 550.0), (750.0, 825.0), (850.0, 935.0),
                                             (1000.0, 1100.0))
OV_SHUTDOWN_S = 0.010  # 9 ms detection + 1 ms
SAFE_VOLTAGE_V = 60.0  # "de-energized": below 60 V DC


def ov_limit_for(ev_max_voltage_v: float) -> float:
    """The Table 103 over-voltage limit for a negotiated maximum voltage."""
    for max_v, limit in OV_TABLE:
        if ev_max_voltage_v <= max_v:
            return limit
    raise ValueError(f"no over-voltage limit for a maximum voltage of {ev_max_voltage_v:g} V (> 1000 V)")


def current_tolerance_a(amps: float, pct: float = 1.5, minimum_a: float = 0.5) -> float:
    """Current accuracy: ±1.5 % or ±0.5 A, whichever is larger."""
    return max(abs(amps) * pct / 100.0, minimum_a)
