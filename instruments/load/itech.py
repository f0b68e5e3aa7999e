"""ITECH IT-M3900 (B/C/D) regenerative bidirectional DC supply, used as battery emulator / load.

Dialect: ITECH's SCPI for its regenerative supplies (IT-M3900/IT6000C family): ``SYST:REM``;
``FUNC CURR|VOLT`` picks CC or CV priority; in CC priority ``CURR`` is the (signed) current,
negative = sinking; in CV priority ``VOLT`` is the held voltage (the battery) and
``CURR:LIM:NEG`` the largest current it sinks (given, as on the front panel, as a negative
value — the programming guide is not at hand here, so the sign convention is our reading);
``VOLT:PROT``/``CURR:PROT``/``POW:PROT`` with ``:STAT ON``; ``CURR:SLEW:POS|NEG`` take a
*time* in seconds (for a full-scale change — our reading, converted from A/s with the
rating); ``OUTP ON|OFF``, ``OUTP?`` -> ``1``/``0``; ``MEAS:VOLT?``, ``MEAS:CURR?``,
``MEAS:POW?`` (sinking current and power negative); ``OUTP:PROT:CLE`` clears a trip.
There is no CP or CR priority.
"""

from __future__ import annotations

import re

from instruments.load.common import LoadDriver, fmt, parse_quantity
from instruments.transport import Identity

_MODEL = re.compile(r"IT-?M39\d\d[A-Z]?-(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", re.IGNORECASE)


class ItechM3900(LoadDriver):
    family = "itech-m3900"
    idn_pattern = r"ITECH.*,\s*IT-?M39\d\d"
    error_query = "SYST:ERR?"
    can_emulate_battery = True

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.rated_current_a: float | None = None

    def check_identity(self) -> Identity:
        identity = super().check_identity()
        m = _MODEL.search(identity.model)
        if m:  # "IT-M3906C-500-12": 500 V, 12 A
            self.rated_current_a = float(m.group(2))
        return identity

    def initialize(self) -> None:
        self.transport.write("SYST:REM")

    def set_mode(self, mode: str) -> None:
        mode = self._check_mode(mode)
        if mode not in ("CC", "CV"):
            raise self._unsupported(f"{mode} mode (IT-M3900 has CC and CV priority only)")
        self.transport.write(f"FUNC {'CURR' if mode == 'CC' else 'VOLT'}")
        self.mode = mode

    def _priority(self) -> str:
        if self.mode is None:
            self.mode = "CC" if self.transport.query("FUNC?").strip().upper().startswith("CURR") else "CV"
        return self.mode

    def set_current(self, amps: float) -> None:
        """The current it sinks: the CC setpoint, or in CV priority the sink current limit."""
        amps = self._check_current(amps)
        command = "CURR" if self._priority() == "CC" else "CURR:LIM:NEG"
        self.transport.write(f"{command} {fmt(-amps)}")
        self.current_setpoint_a = amps

    def set_voltage(self, volts: float) -> None:
        """The battery voltage held (CV priority); stored as the limit in CC priority."""
        volts = self._check_voltage(volts)
        self.transport.write(f"VOLT {fmt(volts)}")
        self.voltage_setpoint_v = volts

    def set_slew(self, amps_per_s: float) -> None:
        rate = self._check_positive("current slew rate", amps_per_s, "A/s")
        rating = self.rated_current_a
        if rating is None:
            rating = self.rated_current_a = parse_quantity(self.transport.query("CURR? MAX"))
        seconds = rating / rate
        self.transport.write(f"CURR:SLEW:POS {fmt(seconds)}")
        self.transport.write(f"CURR:SLEW:NEG {fmt(seconds)}")

    def set_protection(self, *, ovp_v: float | None = None, ocp_a: float | None = None,
                       opp_w: float | None = None) -> None:
        self._check_protection(ovp_v, ocp_a, opp_w)
        for header, value in (("VOLT:PROT", ovp_v), ("CURR:PROT", ocp_a), ("POW:PROT", opp_w)):
            if value is not None:
                self.transport.write(f"{header} {fmt(value)}")
                self.transport.write(f"{header}:STAT ON")

    def set_input(self, on: bool) -> None:
        self.transport.write(f"OUTP {'ON' if on else 'OFF'}")

    def input_on(self) -> bool:
        return self._parse_bool(self.transport.query("OUTP?"))

    def measure(self) -> tuple[float, float, float]:
        volts = parse_quantity(self.transport.query("MEAS:VOLT?"))
        amps = parse_quantity(self.transport.query("MEAS:CURR?"))
        watts = parse_quantity(self.transport.query("MEAS:POW?"))
        return volts, -amps, -watts  # sinking is negative on the ITECH

    def alarms(self) -> int:
        """``STAT:QUES:COND?`` (bit 0 OV, 1 OC, 2 OP in our simulator's reading)."""
        return int(parse_quantity(self.transport.query("STAT:QUES:COND?")))

    def clear_protection(self) -> None:
        self.transport.write("OUTP:PROT:CLE")
