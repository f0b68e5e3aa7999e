"""Simulated EA Elektro-Automatik PSB 10000 / ELR 10000 (SCPI per EA's "Programming Guide
ModBus & SCPI", section 5), coupled to one DC port.

Faithful points: settings are refused with ``-221,"Settings conflict"`` until ``SYST:LOCK ON``;
unknown commands give ``-100,"Command error"`` (EA's list has no -113); set values 0..102 %
and protections 0..110 % of nominal, else -222; ``*RST`` = remote on, DC off, alarms and status
cleared — set values are kept, as on the real unit; the PSB switches its terminal with
``OUTPut`` and has the ``SINK:`` set values, the ELR switches with ``INPut``; replies carry
units (``"400.00 V"``); ``MEAS:ARR?`` -> ``"400.12 V, 100.05 A, 40020 W"``, negative current and
power on the PSB while it sinks. An OVP/OCP/OPP trip switches the DC terminal off and sets
bit 0/1/2 of ``STAT:QUES`` (condition and event); like the real unit, the alarm is
acknowledged by reading ``SYST:ERR?`` once the condition is gone, and the DC terminal cannot
be switched on before that.

There is no mode command on EA units: the mode reported to the port is that of the set value
written last (``CURR``/``SINK:CURR`` -> CC, ``VOLT`` -> CV, ``POW`` -> CP, ``RES`` -> CR, the
latter only with ``SYST:CONF:MODE UIR``). The PSB presents its ``VOLT`` set value as the
battery voltage.
"""

from __future__ import annotations

from instruments.sim.load import LoadSimulator, parse_value
from instruments.sim.port import DcPort
from instruments.sim.server import ParamError, parse_bool

_OV, _OC, _OP, _REMOTE, _DC_ON = 1 << 0, 1 << 1, 1 << 2, 1 << 10, 1 << 11
_TRIP_BITS = {"OV": _OV, "OC": _OC, "OP": _OP}


class EaSimulator(LoadSimulator):
    def __init__(self, port: DcPort, model: str = "PSB 10000", *, max_voltage_v: float = 1000.0,
                 max_current_a: float = 80.0, max_power_w: float = 30_000.0,
                 serial: str = "2238310001", host: str = "127.0.0.1", tcp_port: int = 0) -> None:
        if model not in ("PSB 10000", "ELR 10000"):
            raise ValueError(f"model {model!r}: 'PSB 10000' or 'ELR 10000'")
        super().__init__(port, max_voltage_v=max_voltage_v, max_current_a=max_current_a,
                         max_power_w=max_power_w, host=host, tcp_port=tcp_port)
        self.bidirectional = model.startswith("PSB")
        series = "PSB" if self.bidirectional else "ELR"
        self.model_name = f"{series} 1{round(max_voltage_v):04d}-{max_current_a:g} 4U"
        self.identity = (f"EA Elektro-Automatik GmbH & Co. KG, {self.model_name}, {serial}, "
                         f"V3.02 14.02.2023 V3.02 14.02.2023 V1.8.0")
        v, i, p = self.max_voltage_v, self.max_current_a, self.max_power_w
        self.r_max = 50.0 * v / i  # EA's resistance range ends near 50 x U_nom / I_nom
        # power-on set values: U, I at 0, P at nominal, R at maximum, protections at 110 %
        self.set_values = {"volt": 0.0, "curr": 0.0, "pow": p, "res": self.r_max,
                           "sink_curr": 0.0, "sink_pow": p, "sink_res": self.r_max}
        self.protection = {"volt": 1.1 * v, "curr": 1.1 * i, "pow": 1.1 * p, "sink_curr": 1.1 * i,
                           "sink_pow": 1.1 * p}
        self.remote = False
        self.uir = False
        self.last = "CC"  # the kind of the set value written last
        self.voltage_written = False  # until then the PSB leaves the port's battery voltage alone
        self.ques_event = 0
        self.alarm_bits = 0
        self._define()
        self.couple()

    # ---- the command set ----------------------------------------------------------------
    def _define(self) -> None:
        c = self.command
        c("SYSTem:LOCK[:STATe]", set=self._lock)
        c("SYSTem:LOCK:OWNer", query=lambda a, g: "REMOTE" if self.remote else "NONE")
        c("SYSTem:CONFig:MODE", set=self._conf_mode, query=lambda a, g: "UIR" if self.uir else "UIP")
        c("SYSTem:NOMinal:VOLTage", query=lambda a, g: f"{self.max_voltage_v:.2f} V")
        c("SYSTem:NOMinal:CURRent", query=lambda a, g: f"{self.max_current_a:.2f} A")
        c("SYSTem:NOMinal:POWer", query=lambda a, g: f"{self.max_power_w:.0f} W")
        switch = "OUTPut[:STATe]" if self.bidirectional else "INPut[:STATe]"
        c(switch, set=self._switch, query=lambda a, g: "ON" if self.input_on else "OFF")
        self._setting("[SOURce]:VOLTage[:LEVel][:IMMediate]", "volt", "CV", self.max_voltage_v, "V")
        self._setting("[SOURce]:CURRent[:LEVel][:IMMediate]", "curr", "CC", self.max_current_a, "A")
        self._setting("[SOURce]:POWer[:LEVel][:IMMediate]", "pow", "CP", self.max_power_w, "W")
        self._setting("[SOURce]:RESistance[:LEVel][:IMMediate]", "res", "CR", self.r_max, "Ohm")
        self._protection("[SOURce]:VOLTage:PROTection[:LEVel]", "volt", self.max_voltage_v, "V")
        self._protection("[SOURce]:CURRent:PROTection[:LEVel]", "curr", self.max_current_a, "A")
        self._protection("[SOURce]:POWer:PROTection[:LEVel]", "pow", self.max_power_w, "W")
        if self.bidirectional:
            self._setting("SINK:CURRent[:LEVel][:IMMediate]", "sink_curr", "CC", self.max_current_a, "A")
            self._setting("SINK:POWer[:LEVel][:IMMediate]", "sink_pow", "CP", self.max_power_w, "W")
            self._setting("SINK:RESistance[:LEVel][:IMMediate]", "sink_res", "CR", self.r_max, "Ohm")
            self._protection("SINK:CURRent:PROTection[:LEVel]", "sink_curr", self.max_current_a, "A")
            self._protection("SINK:POWer:PROTection[:LEVel]", "sink_pow", self.max_power_w, "W")
        c("MEASure[:SCALar]:VOLTage[:DC]", query=lambda a, g: f"{self.meter()[0]:.2f} V")
        c("MEASure[:SCALar]:CURRent[:DC]", query=lambda a, g: f"{self._signed()[1]:.2f} A")
        c("MEASure[:SCALar]:POWer[:DC]", query=lambda a, g: f"{self._signed()[2]:.0f} W")
        c("MEASure[:SCALar]:ARRay", query=self._array)
        c("STATus:QUEStionable[:EVENt]", query=self._ques_event)
        c("STATus:QUEStionable:CONDition", query=lambda a, g: str(self._ques_condition()))
        c("SYSTem:ERRor:ALL", query=self._all_errors)

    def _setting(self, header: str, key: str, kind: str, nominal: float, unit: str) -> None:
        def write(args: str, groups: tuple[str, ...]) -> None:
            self._require_remote()
            low = 0.01 * nominal if key.endswith("res") else 0.0
            self.set_values[key] = parse_value(args, low, 1.02 * nominal)
            self.last = kind
            if key == "volt":
                self.voltage_written = True
            self.couple()

        self.command(header, set=write, query=lambda a, g: _with_unit(self.set_values[key], unit))

    def _protection(self, header: str, key: str, nominal: float, unit: str) -> None:
        def write(args: str, groups: tuple[str, ...]) -> None:
            self._require_remote()
            self.protection[key] = parse_value(args, 0.0, 1.1 * nominal)

        self.command(header, set=write, query=lambda a, g: _with_unit(self.protection[key], unit))

    def _require_remote(self) -> None:
        if not self.remote:
            raise ParamError("Settings conflict", -221)

    def _lock(self, args: str, groups: tuple[str, ...]) -> None:
        self.remote = parse_bool(args)

    def _conf_mode(self, args: str, groups: tuple[str, ...]) -> None:
        self._require_remote()
        text = args.strip().upper()
        if text not in ("UIP", "UIR"):
            raise ParamError("Illegal parameter value", -224)
        self.uir = text == "UIR"
        self.couple()

    def _switch(self, args: str, groups: tuple[str, ...]) -> None:
        self._require_remote()
        self.set_input(parse_bool(args))

    # ---- readings and status ------------------------------------------------------------
    def _signed(self) -> tuple[float, float, float]:
        v, i = self.meter()
        sign = -1.0 if self.bidirectional else 1.0  # PSB: sink values are negative
        return v, sign * i, sign * v * i

    def _array(self, args: str, groups: tuple[str, ...]) -> str:
        v, i, p = self._signed()
        return f"{v:.2f} V, {i:.2f} A, {p:.0f} W"

    def _ques_condition(self) -> int:
        return self.alarm_bits | (_REMOTE if self.remote else 0) | (_DC_ON if self.input_on else 0)

    def _ques_event(self, args: str, groups: tuple[str, ...]) -> str:
        value, self.ques_event = self.ques_event | self._ques_condition(), 0
        return str(value)

    def on_trip(self, kind: str) -> None:
        self.alarm_bits |= _TRIP_BITS[kind]
        self.ques_event |= _TRIP_BITS[kind]

    def _acknowledge(self) -> None:
        """Reading the error queue acknowledges alarms whose condition is gone."""
        if self.tripped and self.condition_gone():
            self.tripped = None
            self.alarm_bits = 0

    def _next_error(self, args: str, groups: tuple[str, ...]) -> str:
        self._acknowledge()
        return super()._next_error(args, groups)

    def _all_errors(self, args: str, groups: tuple[str, ...]) -> str:
        self._acknowledge()
        count = min(5, len(self.errors))
        replies = [super(EaSimulator, self)._next_error(args, groups) for _ in range(count)]
        return ", ".join(replies) if replies else '0,"No error"'

    def push_error(self, code: int, text: str) -> None:
        if code == -113:  # EA's error list: an unknown command is -100
            code, text = -100, "Command error"
        super().push_error(code, text)

    def reset(self) -> None:
        """*RST: remote on, DC off, alarms and status cleared (set values stay)."""
        self.remote = True
        self.tripped = None
        self.alarm_bits = 0
        self.ques_event = 0
        self.errors.clear()
        self.input_on = False
        self.couple()

    # ---- coupling -----------------------------------------------------------------------
    def sink(self) -> tuple[str, float, float | None, float | None]:
        sv = self.set_values
        prefix = "sink_" if self.bidirectional else ""
        mode = self.last if (self.last != "CR" or self.uir) else "CC"
        setpoint = {"CC": sv[prefix + "curr"], "CV": sv["volt"], "CP": sv[prefix + "pow"],
                    "CR": sv[prefix + "res"]}[mode]
        battery = sv["volt"] if self.bidirectional and self.voltage_written else None
        return mode, setpoint, battery, None

    def thresholds(self) -> tuple[float | None, float | None, float | None]:
        prot = self.protection
        prefix = "sink_" if self.bidirectional else ""
        return prot["volt"], prot[prefix + "curr"], prot[prefix + "pow"]


def _with_unit(value: float, unit: str) -> str:
    return f"{value:.0f} {unit}" if unit == "W" else f"{value:.2f} {unit}"
