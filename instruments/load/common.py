"""What every DC load driver shares: bench-limit checks that remember the setpoints (so a
current is also checked as power against the voltage it will be drawn at), number parsing for
replies that carry units, and a safe state that does not fail on an instrument already off."""

from __future__ import annotations

import re

from instruments.errors import InstrumentError, InstrumentReportedError, UnsupportedFeature
from instruments.roles import LOAD_MODES, DcLoad

_NUMBER = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKmM]?)")
_SCALE = {"": 1.0, "k": 1e3, "K": 1e3, "m": 1e-3, "M": 1e6}


def parse_quantity(text: str) -> float:
    """``"400.12 V"`` -> 400.12, ``"3.5kW"`` -> 3500.0, ``"-100.05A"`` -> -100.05."""
    m = _NUMBER.search(text)
    if not m:
        raise ValueError(f"no number in {text!r}")
    return float(m.group(1)) * _SCALE[m.group(2)]


def fmt(value: float) -> str:
    """A setpoint as sent: shortest exact form without exponent for the usual ranges."""
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class LoadDriver(DcLoad):
    """:class:`DcLoad` plus the bookkeeping of setpoints for the bench-limit checks."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.mode: str | None = None
        self.voltage_setpoint_v: float | None = None  # CV setpoint / battery voltage presented
        self.current_setpoint_a: float | None = None

    # ---- checks (all before any I/O) ----------------------------------------------------
    def _check_mode(self, mode: str) -> str:
        mode = mode.upper()
        if mode not in LOAD_MODES:
            raise ValueError(f"instrument '{self.entry}': load mode {mode!r} is not one of {LOAD_MODES}")
        return mode

    def _check_current(self, amps: float) -> float:
        amps = float(amps)
        self.limits.check(self.entry, "current", amps)
        if amps < 0:
            raise ValueError(f"instrument '{self.entry}': load current {amps:g} A must not be negative")
        if self.voltage_setpoint_v is not None:
            self.limits.check(self.entry, "power", amps * self.voltage_setpoint_v)
        return amps

    def _check_voltage(self, volts: float) -> float:
        volts = float(volts)
        self.limits.check(self.entry, "voltage", volts)
        if volts < 0:
            raise ValueError(f"instrument '{self.entry}': voltage {volts:g} V must not be negative")
        if self.current_setpoint_a is not None:
            self.limits.check(self.entry, "power", volts * self.current_setpoint_a)
        return volts

    def _check_power(self, watts: float) -> float:
        watts = float(watts)
        self.limits.check(self.entry, "power", watts)
        if watts < 0:
            raise ValueError(f"instrument '{self.entry}': power {watts:g} W must not be negative")
        return watts

    def _check_positive(self, name: str, value: float, unit: str) -> float:
        value = float(value)
        if not value > 0 or value == float("inf"):
            raise ValueError(f"instrument '{self.entry}': {name} {value:g} {unit} must be positive")
        return value

    def _check_protection(self, ovp_v: float | None, ocp_a: float | None,
                          opp_w: float | None) -> None:
        """A protection threshold beyond the bench limit would protect nothing: refuse it."""
        for quantity, value in (("voltage", ovp_v), ("current", ocp_a), ("power", opp_w)):
            if value is not None:
                self.limits.check(self.entry, quantity, float(value))
                if float(value) <= 0:
                    raise ValueError(f"instrument '{self.entry}': {quantity} protection {value:g} "
                                     f"must be positive")

    def _unsupported(self, what: str) -> UnsupportedFeature:
        return UnsupportedFeature(self.entry, self.transport.resource, what)

    # ---- safe state ---------------------------------------------------------------------
    def outputs_off(self) -> None:
        """Input off. An instrument that refuses the command (local mode, alarm) but is off
        anyway is in the safe state: that is not an error."""
        try:
            self.set_input(False)
        except InstrumentReportedError:
            if self.input_on():
                raise

    def _parse_bool(self, reply: str) -> bool:
        text = reply.strip().upper()
        if text in ("1", "ON"):
            return True
        if text in ("0", "OFF"):
            return False
        raise self._bad_reply("input state", reply)

    def _bad_reply(self, command: str, reply: str) -> InstrumentError:
        return InstrumentError(self.entry, self.transport.resource,
                               f"{command!r} answered {reply!r}, which is not what the family sends")
