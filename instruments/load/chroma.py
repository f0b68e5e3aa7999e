"""Chroma 63200A high-power DC electronic load (sink only).

Dialect: Chroma 63200A Series Operation & Programming Manual, as implemented by Chroma's own
IVI driver (chr63200A, 2015). What matters here:

* ``MODE`` names the operating mode *and* its range in one token: ``CCL|CCM|CCH``,
  ``CRL..``, ``CVL..``, ``CPL..``. Each range has its own valid span; a value outside it is
  accepted by the interface and ignored by the load, so the range is picked from the setpoint.
* Static set values are ``CURRent:STATic:L1``, ``VOLTage:STATic:L1``, ``POWer:STATic:L1``,
  ``RESistance:STATic:L1``; in CV mode ``VOLTage:STATic:ILIM`` limits the current.
* Current slew ``CURRent:STATic:RISE``/``FALL`` is in A/µs.
* ``LOAD ON|OFF``, ``LOAD?`` answers ``ON``/``OFF``; ``MEASure:VOLTage?``, ``:CURRent?``, ``:POWer?``.
* The 63200A has no programmable OVP/OCP/OPP thresholds (its CONFigure subsystem has Von/Voff,
  latch, sound, DIO, parallel, sync — no protection levels): its protections are fixed at the
  rating. A trip latches in ``LOAD:PROTection?`` until ``LOAD:PROTection:CLEar``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from instruments.load.common import LoadDriver, fmt, parse_quantity
from instruments.transport import Identity

# "63206A-150-600": 6 kW, 150 V, 600 A (the two digits after 632 are the power in kW)
_MODEL = re.compile(r"632(\d\d)A-(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", re.IGNORECASE)


class Chroma63200A(LoadDriver):
    family = "chroma-63200a"
    idn_pattern = r"CHROMA.*,\s*632\d\dA-"
    error_query = "SYST:ERR?"
    can_emulate_battery = False
    # Low range up to this fraction of the rating, high range above. The 63000 series documents
    # L/H spans of 1/30 and 1/1 (current) and ~1/10 and 1/1 (voltage); 1/10 stays inside the low
    # span of every 63200A model we know of. Without a known rating, always the high range.
    low_range_fraction: ClassVar[float] = 0.1

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.rated_voltage_v: float | None = None
        self.rated_current_a: float | None = None
        self.rated_power_w: float | None = None
        self.range: str | None = None  # "L" / "H" as last sent with MODE

    def check_identity(self) -> Identity:
        identity = super().check_identity()
        m = _MODEL.search(identity.model)
        if m:
            self.rated_power_w = 1000.0 * int(m.group(1))
            self.rated_voltage_v, self.rated_current_a = float(m.group(2)), float(m.group(3))
        return identity

    # ---- setpoints ----------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """Mode in its high range (valid for any setpoint); setpoints narrow it later."""
        mode = self._check_mode(mode)
        self.transport.write(f"MODE {mode}H")
        self.mode, self.range = mode, "H"

    def _select_range(self, mode: str, value: float, rating: float | None) -> None:
        wanted = "L" if rating is not None and value <= rating * self.low_range_fraction else "H"
        if self.mode == mode and self.range != wanted:
            self.transport.write(f"MODE {mode}{wanted}")
            self.range = wanted

    def set_current(self, amps: float) -> None:
        amps = self._check_current(amps)
        if self.mode == "CV":  # CV mode: the current limit of the voltage regulation
            self.transport.write(f"VOLT:STAT:ILIM {fmt(amps)}")
        else:
            self._select_range("CC", amps, self.rated_current_a)
            self.transport.write(f"CURR:STAT:L1 {fmt(amps)}")
        self.current_setpoint_a = amps

    def set_voltage(self, volts: float) -> None:
        volts = self._check_voltage(volts)
        self._select_range("CV", volts, self.rated_voltage_v)
        self.transport.write(f"VOLT:STAT:L1 {fmt(volts)}")
        self.voltage_setpoint_v = volts

    def set_power(self, watts: float) -> None:
        watts = self._check_power(watts)
        self._select_range("CP", watts, self.rated_power_w)
        self.transport.write(f"POW:STAT:L1 {fmt(watts)}")

    def set_resistance(self, ohms: float) -> None:
        # CR ranges follow the current range: CRH covers the low resistances of a charger load.
        ohms = self._check_positive("resistance", ohms, "ohm")
        self.transport.write(f"RES:STAT:L1 {fmt(ohms)}")

    def set_slew(self, amps_per_s: float) -> None:
        rate = self._check_positive("current slew rate", amps_per_s, "A/s") / 1e6  # A/µs on the wire
        self.transport.write(f"CURR:STAT:RISE {fmt(rate)}")
        self.transport.write(f"CURR:STAT:FALL {fmt(rate)}")

    def set_protection(self, *, ovp_v: float | None = None, ocp_a: float | None = None,
                       opp_w: float | None = None) -> None:
        if ovp_v is None and ocp_a is None and opp_w is None:
            return
        raise self._unsupported("programmable OVP/OCP/OPP thresholds (63200A protections are fixed at "
                                "its rating; trips read with LOAD:PROT?)")

    # ---- input and readings -------------------------------------------------------------
    def set_input(self, on: bool) -> None:
        self.transport.write(f"LOAD {'ON' if on else 'OFF'}")

    def input_on(self) -> bool:
        return self._parse_bool(self.transport.query("LOAD?"))

    def measure(self) -> tuple[float, float, float]:
        volts = parse_quantity(self.transport.query("MEAS:VOLT?"))
        amps = parse_quantity(self.transport.query("MEAS:CURR?"))
        watts = parse_quantity(self.transport.query("MEAS:POW?"))
        return volts, amps, watts

    def protection_status(self) -> int:
        """``LOAD:PROT?``: non-zero once a protection tripped (latched until cleared)."""
        return int(parse_quantity(self.transport.query("LOAD:PROT?")))

    def clear_protection(self) -> None:
        self.transport.write("LOAD:PROT:CLE")
