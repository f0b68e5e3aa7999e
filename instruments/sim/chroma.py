"""Simulated Chroma 63200A DC electronic load, coupled to one DC port.

Faithful points (Chroma 63200A programming manual / Chroma's IVI driver): ``MODE`` carries
mode and range (``CCL``/``CCM``/``CCH``, ``CRx``, ``CVx``, ``CPx``); a static set value beyond
the selected range's span is accepted by the interface and ignored by the load (the old value
stays); ``CURR:STAT:RISE``/``FALL`` in A/µs; ``VOLT:STAT:ILIM`` limits the current in CV mode;
``LOAD?`` answers ``ON``/``OFF``; ``*RST`` restores the power-on state with the load off.
Protection is fixed at the rating (the 63200A has no programmable OVP level): above the rated
voltage it trips — load off, a bit in ``LOAD:PROT?`` (latched until ``LOAD:PROT:CLE``; while
latched ``LOAD ON`` is refused with an execution error).

Range spans: low = 1/10, middle = 1/3 of the rating, high = the rating (our model of the
per-model spec tables). ``LOAD:PROT?`` bit 1 (= 2) is OVP, the 63600's documented order;
the 63200A's bit table is ambiguous in the manual, so tests should only rely on non-zero.
"""

from __future__ import annotations

from instruments.sim.load import LoadSimulator, parse_value
from instruments.sim.port import DcPort
from instruments.sim.server import ParamError, parse_bool

_RANGES = {"L": 0.1, "M": 1 / 3, "H": 1.0}
_OVP_BIT = 1 << 1


class ChromaSimulator(LoadSimulator):
    def __init__(self, port: DcPort, *, max_voltage_v: float = 150.0, max_current_a: float = 600.0,
                 max_power_w: float = 6000.0, serial: str = "632060000123", host: str = "127.0.0.1",
                 tcp_port: int = 0) -> None:
        super().__init__(port, max_voltage_v=max_voltage_v, max_current_a=max_current_a,
                         max_power_w=max_power_w, host=host, tcp_port=tcp_port)
        kw = min(99, max(1, round(max_power_w / 1000)))
        self.model_name = f"632{kw:02d}A-{max_voltage_v:g}-{max_current_a:g}"
        self.identity = f"Chroma ATE,{self.model_name},{serial},01.02"
        self.r_max = 2.5e3
        self.r_min = 0.01
        self._power_on()
        self._define()
        self.couple()

    def _power_on(self) -> None:
        self.mode = "CCH"
        self.values = {"CURR": 0.0, "VOLT": self.max_voltage_v, "POW": 0.0, "RES": self.r_max,
                       "ILIM": self.max_current_a, "RISE": 1.0, "FALL": 1.0}
        self.values.update({k + "2": v for k, v in list(self.values.items())[:4]})
        self.protection_status = 0
        self.input_on = False
        self.tripped = None

    # ---- the command set ----------------------------------------------------------------
    def _define(self) -> None:
        c = self.command
        c("MODE", set=self._mode, query=lambda a, g: self.mode)
        c("LOAD[:STATe]", set=lambda a, g: self.set_input(parse_bool(a)),
          query=lambda a, g: "ON" if self.input_on else "OFF")
        c("LOAD:PROTection", query=lambda a, g: str(self.protection_status))
        c("LOAD:PROTection:CLEar", set=self._clear)
        # "L#": the header notation has no digits in a mnemonic; the suffix is the level (L1/L2)
        self._static("CURRent:STATic:L#", "CURR", "CC", self.max_current_a)
        self._static("VOLTage:STATic:L#", "VOLT", "CV", self.max_voltage_v)
        self._static("POWer:STATic:L#", "POW", "CP", self.max_power_w)
        self._static("RESistance:STATic:L#", "RES", "CR", self.r_max)
        self._plain("VOLTage:STATic:ILIM", "ILIM", 0.0, self.max_current_a)
        self._plain("CURRent:STATic:RISE", "RISE", 1e-4, 10.0)  # A/µs
        self._plain("CURRent:STATic:FALL", "FALL", 1e-4, 10.0)
        c("MEASure:VOLTage", query=lambda a, g: f"{self.meter()[0]:.3f}")
        c("MEASure:CURRent", query=lambda a, g: f"{self.meter()[1]:.3f}")
        c("MEASure:POWer", query=lambda a, g: f"{_product(self.meter()):.2f}")

    def _static(self, header: str, key: str, family: str, rating: float) -> None:
        def level(groups: tuple[str, ...]) -> str:
            if groups[-1] not in ("1", "2"):
                raise ParamError("Undefined header", -113)
            return key if groups[-1] == "1" else key + "2"  # L2: the second static level

        def write(args: str, groups: tuple[str, ...]) -> None:
            name = level(groups)
            low = self.r_min if key == "RES" else 0.0
            value = parse_value(args, low, rating)
            span = rating if key == "RES" or self.mode[:2] != family else rating * _RANGES[self.mode[2]]
            if value <= span:  # beyond the present range: accepted, then ignored by the load
                self.values[name] = value
                self.couple()

        self.command(header, set=write, query=lambda a, g: f"{self.values[level(g)]:.4f}")

    def _plain(self, header: str, key: str, low: float, high: float) -> None:
        def write(args: str, groups: tuple[str, ...]) -> None:
            self.values[key] = parse_value(args, low, high)
            self.couple()

        self.command(header, set=write, query=lambda a, g: f"{self.values[key]:.4f}")

    def _mode(self, args: str, groups: tuple[str, ...]) -> None:
        text = args.strip().upper()
        if len(text) != 3 or text[:2] not in ("CC", "CV", "CP", "CR") or text[2] not in _RANGES:
            raise ParamError("Illegal parameter value", -224)
        self.mode = text
        self.couple()

    def _clear(self, args: str, groups: tuple[str, ...]) -> None:
        self.protection_status = 0
        self.tripped = None

    def on_trip(self, kind: str) -> None:
        self.protection_status |= _OVP_BIT

    def reset(self) -> None:
        self._power_on()
        self.couple()

    # ---- coupling -----------------------------------------------------------------------
    def sink(self) -> tuple[str, float, float | None, float | None]:
        mode = self.mode[:2]
        setpoint = {"CC": self.values["CURR"], "CV": self.values["VOLT"], "CP": self.values["POW"],
                    "CR": self.values["RES"]}[mode]
        slew = self.values["RISE"] * 1e6 if mode == "CC" else None
        return mode, setpoint, None, slew

    def thresholds(self) -> tuple[float | None, float | None, float | None]:
        return self.max_voltage_v, None, None  # fixed hardware OVP at the rated voltage


def _product(reading: tuple[float, float]) -> float:
    return reading[0] * reading[1]
