"""EA Elektro-Automatik 10000 series: PSB 10000 (bidirectional supply, battery emulation) and
ELR 10000 (regenerative electronic load).

Dialect: EA "Programming Guide ModBus & SCPI" (doc PGMBEN rev. 24, section 5). What matters here:

* Nothing that changes a setting is accepted before ``SYST:LOCK ON`` (remote control);
  otherwise the error queue gets ``-221,"Settings conflict"``.
* EA units have no mode command: U, I, P (and R, once ``SYSTem:CONFig:MODE UIR`` unlocks it)
  are all active at once and the unit regulates on whichever limit it reaches first.
* The PSB has one DC terminal switched by ``OUTPut``; its sink (load) set values are the
  separate ``SINK:CURRent``/``SINK:POWer``/``SINK:RESistance`` and sink protections
  ``SINK:CURRent:PROTection``/``SINK:POWer:PROTection``; ``[SOURce:]VOLTage`` is shared — in sink
  mode it is the voltage the PSB holds at its terminals, i.e. the battery it emulates.
  The ELR is a load: ``INPut`` switches it and the plain ``[SOURce:]`` set values are its sink
  values. ``SINK:`` commands exist "only with bidirectional power supplies".
* ``MEASure[:SCALar]:ARRay?`` answers ``"12.5V, 33.3A, 420W"`` (units, maybe a ``k``);
  on the PSB a negative current/power belongs to sink mode.
* No current slew-rate command (ramps only through the function generator).
"""

from __future__ import annotations

from typing import ClassVar

from instruments.load.common import LoadDriver, fmt, parse_quantity


class _EaLoad(LoadDriver):
    error_query = "SYST:ERR?"
    switch: ClassVar[str] = "INP"  # the DC terminal's on/off command
    current_cmd: ClassVar[str] = "SOUR:CURR"
    power_cmd: ClassVar[str] = "SOUR:POW"
    resistance_cmd: ClassVar[str] = "SOUR:RES"
    ocp_cmd: ClassVar[str] = "SOUR:CURR:PROT"
    opp_cmd: ClassVar[str] = "SOUR:POW:PROT"
    sink_sign: ClassVar[float] = 1.0  # sign of a sinking current in MEAS:ARR?

    def initialize(self) -> None:
        self.transport.write("SYST:LOCK ON")

    def set_mode(self, mode: str) -> None:
        """Only resistance mode has a switch (U/I/R instead of U/I/P); otherwise the mode
        is whichever set value the unit reaches, so the setpoint that defines it goes last."""
        mode = self._check_mode(mode)
        self.transport.write(f"SYST:CONF:MODE {'UIR' if mode == 'CR' else 'UIP'}")
        self.mode = mode

    def set_current(self, amps: float) -> None:
        amps = self._check_current(amps)
        self.transport.write(f"{self.current_cmd} {fmt(amps)}")
        self.current_setpoint_a = amps

    def set_voltage(self, volts: float) -> None:
        volts = self._check_voltage(volts)
        self.transport.write(f"SOUR:VOLT {fmt(volts)}")
        self.voltage_setpoint_v = volts

    def set_power(self, watts: float) -> None:
        watts = self._check_power(watts)
        self.transport.write(f"{self.power_cmd} {fmt(watts)}")

    def set_resistance(self, ohms: float) -> None:
        ohms = self._check_positive("resistance", ohms, "ohm")
        self.transport.write(f"{self.resistance_cmd} {fmt(ohms)}")

    def set_slew(self, amps_per_s: float) -> None:
        raise self._unsupported("a current slew-rate setting (EA 10000: ramps only via the function "
                                "generator)")

    def set_protection(self, *, ovp_v: float | None = None, ocp_a: float | None = None,
                       opp_w: float | None = None) -> None:
        self._check_protection(ovp_v, ocp_a, opp_w)
        if ovp_v is not None:
            self.transport.write(f"SOUR:VOLT:PROT {fmt(ovp_v)}")
        if ocp_a is not None:
            self.transport.write(f"{self.ocp_cmd} {fmt(ocp_a)}")
        if opp_w is not None:
            self.transport.write(f"{self.opp_cmd} {fmt(opp_w)}")

    def set_input(self, on: bool) -> None:
        self.transport.write(f"{self.switch} {'ON' if on else 'OFF'}")

    def input_on(self) -> bool:
        return self._parse_bool(self.transport.query(f"{self.switch}?"))

    def measure(self) -> tuple[float, float, float]:
        reply = self.transport.query("MEAS:ARR?")
        parts = [p for p in reply.replace(";", ",").split(",") if p.strip()]
        try:
            volts, amps, watts = (parse_quantity(p) for p in parts[:3])
        except ValueError:
            raise self._bad_reply("MEAS:ARR?", reply) from None
        if len(parts) < 3:
            raise self._bad_reply("MEAS:ARR?", reply)
        return volts, self.sink_sign * amps, self.sink_sign * watts

    def alarms(self) -> int:
        """``STAT:QUES:COND?``: bit 0 OVP, 1 OCP, 2 OPP, 3 OT, 11 DC on (register model 5.4.2)."""
        return int(parse_quantity(self.transport.query("STAT:QUES:COND?")))


class EaPsb10000(_EaLoad):
    """EA PSB 10000: bidirectional; as the charger's load it sinks and emulates a battery."""

    family = "ea-psb10000"
    idn_pattern = r"Elektro-Automatik.*,\s*PSB\s*1\d{4}-"
    can_emulate_battery = True
    switch = "OUTP"
    current_cmd = "SINK:CURR"
    power_cmd = "SINK:POW"
    resistance_cmd = "SINK:RES"
    ocp_cmd = "SINK:CURR:PROT"
    opp_cmd = "SINK:POW:PROT"
    sink_sign = -1.0  # PSB: "if the value is negative, it belongs to sink mode"

    def initialize(self) -> None:
        """Remote control, and no source current: a PSB at a charger's output must never feed
        current back into it, whatever battery voltage it is asked to hold."""
        super().initialize()
        self.transport.write("SOUR:CURR 0")


class EaElr10000(_EaLoad):
    """EA ELR 10000: regenerative electronic load, sink only."""

    family = "ea-elr10000"
    idn_pattern = r"Elektro-Automatik.*,\s*ELR\s*1\d{4}-"
    can_emulate_battery = False
