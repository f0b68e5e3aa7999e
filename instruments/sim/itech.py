"""Simulated ITECH IT-M3900 regenerative bidirectional DC supply (battery emulator / load),
coupled to one DC port.

Faithful points (ITECH SCPI for its regenerative supplies): ``FUNC CURR|VOLT`` selects CC or CV
priority; in CC priority ``CURR`` is signed (negative = sinking), in CV priority ``VOLT`` is the
voltage held — the battery presented — and ``CURR:LIM:NEG`` bounds the sink current (either
sign accepted: the magnitude counts); ``VOLT:PROT``/``CURR:PROT``/``POW:PROT`` act only with
their ``:STAT ON``; ``CURR:SLEW:POS|NEG`` are times in seconds for a full-scale change;
``OUTP?`` -> ``1``/``0``; ``MEAS:CURR?``/``MEAS:POW?`` negative while sinking; a trip switches
the output off and sets ``STAT:QUES:COND?`` bit 0 (OV) / 1 (OC) / 2 (OP) until
``OUTP:PROT:CLE``; ``*RST`` restores the power-on state with the output off.
"""

from __future__ import annotations

from instruments.sim.load import LoadSimulator, parse_value
from instruments.sim.port import DcPort
from instruments.sim.server import ParamError, parse_bool

_TRIP_BITS = {"OV": 1 << 0, "OC": 1 << 1, "OP": 1 << 2}


class ItechSimulator(LoadSimulator):
    def __init__(self, port: DcPort, *, max_voltage_v: float = 1500.0, max_current_a: float = 80.0,
                 max_power_w: float = 40_000.0, serial: str = "800123011797210001",
                 host: str = "127.0.0.1", tcp_port: int = 0) -> None:
        super().__init__(port, max_voltage_v=max_voltage_v, max_current_a=max_current_a,
                         max_power_w=max_power_w, host=host, tcp_port=tcp_port)
        kw = min(99, max(1, round(max_power_w / 1000)))
        self.model_name = f"IT-M39{kw:02d}D-{max_voltage_v:g}-{max_current_a:g}"
        self.identity = f"ITECH Ltd., {self.model_name}, {serial}, 1.05-1.03"
        self._power_on()
        self._define()
        self.couple()

    def _power_on(self) -> None:
        v, i, p = self.max_voltage_v, self.max_current_a, self.max_power_w
        self.func = "VOLT"
        self.values = {"VOLT": 0.0, "CURR": 0.0, "CURR:LIM": i, "CURR:LIM:NEG": i,
                       "CURR:SLEW:POS": 0.1, "CURR:SLEW:NEG": 0.1}
        self.prot = {"VOLT:PROT": 1.1 * v, "CURR:PROT": 1.1 * i, "POW:PROT": 1.1 * p}
        self.prot_on = {"VOLT:PROT": False, "CURR:PROT": False, "POW:PROT": False}
        self.voltage_written = False
        self.alarm_bits = 0
        self.remote = False
        self.input_on = False
        self.tripped = None

    # ---- the command set ----------------------------------------------------------------
    def _define(self) -> None:
        c = self.command
        v, i, p = self.max_voltage_v, self.max_current_a, self.max_power_w
        c("SYSTem:REMote", set=lambda a, g: setattr(self, "remote", True))
        c("SYSTem:LOCal", set=lambda a, g: setattr(self, "remote", False))
        c("[SOURce]:FUNCtion", set=self._func, query=lambda a, g: self.func)
        c("OUTPut[:STATe]", set=lambda a, g: self.set_input(parse_bool(a)),
          query=lambda a, g: "1" if self.input_on else "0")
        c("OUTPut:PROTection:CLEar", set=self._clear)
        self._value("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", "VOLT", 0.0, 1.02 * v)
        self._value("[SOURce]:CURRent[:LEVel][:IMMediate][:AMPLitude]", "CURR", -1.02 * i, 1.02 * i)
        self._value("[SOURce]:CURRent:LIMit[:POSitive]", "CURR:LIM", 0.0, 1.02 * i)
        self._value("[SOURce]:CURRent:LIMit:NEGative", "CURR:LIM:NEG", -1.02 * i, 1.02 * i)
        self._value("[SOURce]:CURRent:SLEW:POSitive", "CURR:SLEW:POS", 0.001, 100.0)
        self._value("[SOURce]:CURRent:SLEW:NEGative", "CURR:SLEW:NEG", 0.001, 100.0)
        for key, high in (("VOLT:PROT", 1.1 * v), ("CURR:PROT", 1.1 * i), ("POW:PROT", 1.1 * p)):
            self._protection(key, high)
        c("MEASure[:SCALar]:VOLTage[:DC]", query=lambda a, g: f"{self.meter()[0]:.4f}")
        c("MEASure[:SCALar]:CURRent[:DC]", query=lambda a, g: f"{-self.meter()[1]:.4f}")
        c("MEASure[:SCALar]:POWer[:DC]", query=lambda a, g: f"{-_product(self.meter()):.3f}")
        c("STATus:QUEStionable:CONDition", query=lambda a, g: str(self.alarm_bits))

    def _value(self, header: str, key: str, low: float, high: float) -> None:
        def write(args: str, groups: tuple[str, ...]) -> None:
            self.values[key] = parse_value(args, low, high)
            if key == "VOLT":
                self.voltage_written = True
            self.couple()

        def read(args: str, groups: tuple[str, ...]) -> str:
            text = args.strip().upper()
            if text.startswith("MAX"):
                return f"{high / 1.02 if high > 0 else high:.4f}"  # the rating
            if text.startswith("MIN"):
                return f"{low / 1.02 if low < 0 else low:.4f}"
            return f"{self.values[key]:.4f}"

        self.command(header, set=write, query=read)

    def _protection(self, key: str, high: float) -> None:
        head = key.replace("VOLT", "[SOURce]:VOLTage").replace("CURR", "[SOURce]:CURRent").replace(
            "POW", "[SOURce]:POWer").replace(":PROT", ":PROTection")

        def write(args: str, groups: tuple[str, ...]) -> None:
            self.prot[key] = parse_value(args, 0.0, high)

        def state(args: str, groups: tuple[str, ...]) -> None:
            self.prot_on[key] = parse_bool(args)

        self.command(head + "[:LEVel]", set=write, query=lambda a, g: f"{self.prot[key]:.4f}")
        self.command(head + ":STATe", set=state, query=lambda a, g: "1" if self.prot_on[key] else "0")

    def _func(self, args: str, groups: tuple[str, ...]) -> None:
        text = args.strip().upper()
        if text in ("CURR", "CURRENT"):
            self.func = "CURR"
        elif text in ("VOLT", "VOLTAGE"):
            self.func = "VOLT"
        else:
            raise ParamError("Illegal parameter value", -224)
        self.couple()

    def _clear(self, args: str, groups: tuple[str, ...]) -> None:
        self.tripped = None
        self.alarm_bits = 0

    def on_trip(self, kind: str) -> None:
        self.alarm_bits |= _TRIP_BITS[kind]

    def reset(self) -> None:
        self._power_on()
        self.couple()

    # ---- coupling -----------------------------------------------------------------------
    def sink(self) -> tuple[str, float, float | None, float | None]:
        battery = self.values["VOLT"] if self.voltage_written else None
        seconds = self.values["CURR:SLEW:POS"]
        slew = self.max_current_a / seconds if seconds > 0 else None
        if self.func == "CURR":
            return "CC", max(0.0, -self.values["CURR"]), battery, slew
        return "CV", self.values["VOLT"], battery, slew

    def thresholds(self) -> tuple[float | None, float | None, float | None]:
        return tuple(self.prot[k] if self.prot_on[k] else None  # type: ignore[return-value]
                     for k in ("VOLT:PROT", "CURR:PROT", "POW:PROT"))


def _product(reading: tuple[float, float]) -> float:
    return reading[0] * reading[1]
