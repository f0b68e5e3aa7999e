"""Bench-file safety limits, checked before anything is written to an instrument.

A load bank or source here can deliver hundreds of kilowatts; the limits come from the bench
file (per instrument and per charger port, the tighter wins) and a driver refuses a setting
beyond them with :class:`SafetyLimitError` — the instrument never sees the command.
"""

from __future__ import annotations

from dataclasses import dataclass

from instruments.errors import SafetyLimitError

QUANTITIES = {"voltage": ("max_voltage_v", "V"), "current": ("max_current_a", "A"),
              "power": ("max_power_w", "W")}


@dataclass(frozen=True)
class Limits:
    max_voltage_v: float | None = None
    max_current_a: float | None = None
    max_power_w: float | None = None
    where: str = "bench limits"  # e.g. "instruments.load1.limits", for the error message

    def limit(self, quantity: str) -> float | None:
        return getattr(self, QUANTITIES[quantity][0])

    def check(self, entry: str, quantity: str, value: float) -> None:
        """Raise :class:`SafetyLimitError` unless ``|value|`` is within the limit (NaN never is)."""
        limit = self.limit(quantity)
        field, unit = QUANTITIES[quantity]
        if value != value or value in (float("inf"), float("-inf")):
            raise SafetyLimitError(entry, quantity, value, limit or 0.0, unit, f"{self.where}.{field}")
        if limit is not None and abs(value) > limit:
            raise SafetyLimitError(entry, quantity, value, limit, unit, f"{self.where}.{field}")

    def tighter(self, other: Limits) -> Limits:
        """Both sets of limits at once: the smaller of each, named after where it came from."""

        def pick(a: float | None, b: float | None) -> float | None:
            return b if a is None else a if b is None else min(a, b)

        where = self.where if other.where == "bench limits" else (
            other.where if self.where == "bench limits" else f"{self.where} / {other.where}")
        return Limits(pick(self.max_voltage_v, other.max_voltage_v),
                      pick(self.max_current_a, other.max_current_a),
                      pick(self.max_power_w, other.max_power_w), where)
