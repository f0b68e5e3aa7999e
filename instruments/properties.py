"""Declarative controls and measurements for driver classes (after PyMeasure's model).

A driver declares ``current = control("SOUR:CURR?", "SOUR:CURR {:g}", "sink current setpoint",
validator=strict_range, values=(0, 510), limit="current", unit="A")``; reading the attribute
queries, assigning validates, checks the bench limit and writes. Validation and limits run
before any I/O, so a refused value never reaches the instrument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Validator = Callable[[Any, Any], Any]


def strict_range(value: Any, values: tuple[float, float]) -> float:
    """``value`` if ``values[0] <= value <= values[1]``, else ValueError."""
    number = float(value)
    lo, hi = values
    if not lo <= number <= hi:
        raise ValueError(f"{value!r} is outside the range {lo:g} .. {hi:g}")
    return number


def strict_discrete_set(value: Any, values: Sequence[Any]) -> Any:
    if value not in values:
        raise ValueError(f"{value!r} is not one of {list(values)}")
    return value


def to_bool(reply: str) -> bool:
    """SCPI booleans: 1/0, ON/OFF (case-insensitive)."""
    text = reply.strip().upper()
    if text in ("1", "ON", "TRUE"):
        return True
    if text in ("0", "OFF", "FALSE"):
        return False
    raise ValueError(f"not a SCPI boolean: {reply!r}")


class control:
    """A settable (and optionally queryable) instrument property."""

    def __init__(self, get_cmd: str | None, set_cmd: str | None, doc: str, *,
                 validator: Validator | None = None, values: Any = None,
                 map_values: Mapping[Any, str] | None = None, cast: Callable[[str], Any] = float,
                 limit: str | None = None, unit: str = "", check_set_errors: bool = True) -> None:
        self.get_cmd, self.set_cmd, self.__doc__ = get_cmd, set_cmd, doc
        self.validator, self.values, self.map_values = validator, values, map_values
        self.cast, self.limit, self.unit = cast, limit, unit
        self.check_set_errors = check_set_errors
        self.name = "?"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instrument: Any, owner: type | None = None) -> Any:
        if instrument is None:
            return self
        if self.get_cmd is None:
            raise AttributeError(f"{self.name} can only be set")
        reply = instrument.transport.query(self.get_cmd)
        if self.map_values is not None:
            reverse = {v.upper(): k for k, v in self.map_values.items()}
            key = reply.strip().upper()
            if key not in reverse:
                raise ValueError(f"{instrument.entry}: {self.get_cmd} answered {reply!r}, "
                                 f"expected one of {list(self.map_values.values())}")
            return reverse[key]
        try:
            return self.cast(reply)
        except ValueError as exc:
            raise ValueError(f"{instrument.entry}: {self.get_cmd} answered {reply!r}: {exc}") from None

    def __set__(self, instrument: Any, value: Any) -> None:
        if self.set_cmd is None:
            raise AttributeError(f"{self.name} is a measurement and cannot be set")
        if self.validator is not None:
            try:
                value = self.validator(value, self.values)
            except ValueError as exc:
                raise ValueError(f"{instrument.entry}: {self.name}: {exc}") from None
        if self.map_values is not None and value not in self.map_values:
            raise ValueError(f"{instrument.entry}: {self.name}: {value!r} is not one of "
                             f"{list(self.map_values)}")
        if self.limit is not None:
            instrument.limits.check(instrument.entry, self.limit, float(value))
        wire = self.map_values[value] if self.map_values is not None else value
        instrument.transport.write(self.set_cmd.format(wire), check=self.check_set_errors)


def measurement(get_cmd: str, doc: str, *, cast: Callable[[str], Any] = float, unit: str = "") -> control:
    """A read-only property (a query)."""
    return control(get_cmd, None, doc, cast=cast, unit=unit)
