"""Simulated Yokogawa WT5000 / WT1800 power analyzer: element n measures DC port n.

What it keeps faithful to the real instrument (see ``instruments/analyzer/yokogawa.py``):
numeric items chosen with ``:NUM:NORM:NUM`` / ``:NUM:NORM:ITEM<x>`` and read with
``:NUM:NORM:VAL?`` as <NR3> values (NAN where data does not exist, INF on overrange); values
that change only once per data update interval (``:RATE``, here 50 ms by default) and are
the mean over that interval; the integration state machine (RESet -> STARt -> STOP -> STARt
resumes ... ; reset only when not running; a second STARt is refused; the integration timer
ends a run in TIMeup); header / verbose communication settings; the error queue on
``:STATus:ERRor?`` with Yokogawa's positive error codes (there is no ``:SYSTem:ERRor?``).
"""

from __future__ import annotations

import math
import re
import struct
import threading
import time
from collections.abc import Mapping

from instruments.sim.port import DcPort
from instruments.sim.server import ParamError, ScpiSimulator, parse_bool, split_commands

#: model -> (the model field of *IDN?, number of input elements)
MODELS = {"WT5000": ("WT5000", 7), "WT1800": ("WT1806E-5A3-50A3", 6)}

#: function names the instrument accepts in ``:NUM:NORM:ITEM`` (a subset of the real list;
#: the ones this simulator does not model answer NAN, "data does not exist")
FUNCTIONS = {"URMS", "UMN", "UDC", "URMN", "UAC", "IRMS", "IMN", "IDC", "IRMN", "IAC", "P", "S", "Q",
             "LAMBDA", "PHI", "FU", "FI", "UPPEAK", "UMPEAK", "IPPEAK", "IMPEAK", "CFU", "CFI", "PC",
             "TIME", "WH", "WHP", "WHM", "AH", "AHP", "AHM", "WS", "WQ", "ETA1", "ETA2", "ETA3", "ETA4"}
_NO_ELEMENT = {"TIME", "ETA1", "ETA2", "ETA3", "ETA4"}
_VOLTAGE = {"URMS", "UMN", "UDC", "URMN", "UAC"}
_CURRENT = {"IRMS", "IMN", "IDC", "IRMN", "IAC"}
_NAN_FLOAT, _INF_FLOAT = 9.91e37, 9.9e37  # what FLOat format sends for NAN / INF

# Error codes: 113 / 224 / 222 are the WT manuals' communication and execution errors; 813 (a
# setting while integrating) and 844 (STOP with no integration running) are what a WT1800E in the
# field reports; the texts are paraphrased.
ERR_INTEG_BUSY = (813, "Cannot be set or executed while integration is running")
ERR_INTEG_NOT_RESET = (813, "Cannot be set unless integration is reset")
ERR_INTEG_NOT_RUNNING = (844, "Integration is not running")
ERR_INTEG_FINISHED = (845, "Integration finished; reset it before starting again")

_MODES = {"NORM": "NORM", "NORMAL": "NORM", "CONT": "CONT", "CONTINUOUS": "CONT",
          "RNOR": "RNOR", "RNORMAL": "RNOR", "RCON": "RCON", "RCONTINUOUS": "RCON"}
_MODE_LONG = {"NORM": "NORMAL", "CONT": "CONTINUOUS", "RNOR": "RNORMAL", "RCON": "RCONTINUOUS"}
_STATE_SHORT = {"RESET": "RES", "READY": "READ", "START": "STAR", "STOP": "STOP", "ERROR": "ERR",
                "TIMEUP": "TIM"}
_RATES = (0.01, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)


def nr3(value: float) -> str:
    """Yokogawa ASCII <NR3>: engineering exponent, up to 6 significant digits (104.750E+00)."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF"
    if value == 0:
        return "0.00000E+00"
    exponent = int(math.floor(math.log10(abs(value)) / 3) * 3)
    mantissa = value / 10 ** exponent
    text = f"{mantissa:.{6 - len(str(int(abs(mantissa))))}f}"
    if abs(float(text)) >= 1000:  # 999.9996 rounds up into the next exponent
        exponent += 3
        text = f"{mantissa / 1000:.5f}"
    return f"{text}E{exponent:+03d}"


class YokogawaSimulator(ScpiSimulator):
    """A WT5000 (7 elements) or WT1800 (6) whose element n measures ``ports[n]``."""

    def __init__(self, ports: Mapping[int, DcPort], model: str = "WT5000", *, serial: str = "91Y000001",
                 host: str = "127.0.0.1", port: int = 0) -> None:
        if model not in MODELS:
            raise ValueError(f"model {model!r} is not one of {sorted(MODELS)}")
        super().__init__(host, port)
        # The WT series has no :SYSTem:ERRor? — its queue is :STATus:ERRor?.
        self._query = [(p, h) for p, h in self._query if not p.match(":SYST:ERR")]
        idn_model, self.elements = MODELS[model]
        self.model = model
        self.identity = f"YOKOGAWA,{idn_model},{serial},F1.01"
        self.ports = dict(ports)
        for element in self.ports:
            if not 1 <= element <= self.elements:
                raise ValueError(f"element {element} does not exist on a {model} (1..{self.elements})")
        self.accuracy = 0.0  # relative error of every reading (gain), e.g. 0.0005 = +0.05 %
        self.overrange: set[int] = set()  # elements whose U/I/P read INF (fault injection)
        # communication settings survive *RST, as on the instrument
        self.header = True
        self.verbose = True
        self.remote = False
        self._cache: dict[int, tuple[int, float, float]] = {}
        self._timer: threading.Timer | None = None
        self.reset()
        c = self.command
        c("COMMunicate:HEADer", set=lambda a, g: setattr(self, "header", parse_bool(a)),
          query=lambda a, g: str(int(self.header)))
        c("COMMunicate:VERBose", set=lambda a, g: setattr(self, "verbose", parse_bool(a)),
          query=lambda a, g: str(int(self.verbose)))
        c("COMMunicate:REMote", set=lambda a, g: setattr(self, "remote", parse_bool(a)),
          query=lambda a, g: str(int(self.remote)))
        c("STATus:ERRor", query=self._next_error)
        c("RATE", set=self._set_rate, query=lambda a, g: nr3(self.rate_s))
        c("NUMeric:FORMat", set=self._set_format, query=lambda a, g: self._word(self.format, {
            "ASC": "ASCII", "FLO": "FLOAT"}))
        c("NUMeric[:NORMal]:NUMber", set=self._set_number, query=lambda a, g: str(self.number))
        c("NUMeric[:NORMal]:ITEM#", set=self._set_item, query=self._get_item)
        c("NUMeric[:NORMal]:CLEar", set=self._clear_items)
        c("NUMeric[:NORMal]:VALue", query=self._values)
        c("INTEGrate:MODE", set=self._set_mode, query=lambda a, g: self._word(self.integ_mode, _MODE_LONG))
        c("INTEGrate:TIMer#", set=self._set_timer, query=lambda a, g: "{},{},{}".format(*self._hms()))
        c("INTEGrate:RESet", set=lambda a, g: self._integ_reset())
        c("INTEGrate:STARt", set=lambda a, g: self._integ_start())
        c("INTEGrate:STOP", set=lambda a, g: self._integ_stop())
        c("INTEGrate:STATe", query=lambda a, g: self._word(_STATE_SHORT[self._state], {
            v: k for k, v in _STATE_SHORT.items()}))

    # ---- state -----------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.rate_s = 0.05
            self.format = "ASC"
            self.number = 15
            self.items: dict[int, tuple[str, int | None]] = {}
            self._cache.clear()
            self.integ_mode = "NORM"
            self.timer_s = 0
            self._cancel_timer()
            self._state = "RESET"
            self._acc_wh: dict[int, float] = {}
            self._seg_wh: dict[int, float] = {}
            self._acc_s = 0.0
            self._seg_t0 = 0.0
            self._run = 0

    @property
    def integration_state(self) -> str:
        return self._state

    def push_error(self, code: int, text: str) -> None:
        super().push_error(abs(code), text)  # Yokogawa numbers its errors without a sign

    def handle(self, line: str) -> list[bytes]:
        """As the base, plus the command header in front of a query's reply while
        ``:COMM:HEAD`` is ON (in the form the query was sent)."""
        replies: list[bytes] = []
        for command in split_commands(line):
            out = super().handle(command)
            head = command.partition(" ")[0]
            if out and self.header and head.endswith("?") and not head.startswith("*"):
                out = [head[:-1].upper().encode() + b" " + reply for reply in out]
            replies += out
        return replies

    def _word(self, short: str, long: Mapping[str, str]) -> str:
        return long.get(short, short) if self.verbose else short

    # ---- settings --------------------------------------------------------------------
    def _set_rate(self, args: str, groups: tuple[str, ...]) -> None:
        m = re.fullmatch(r"\s*([0-9.]+(?:E[+-]?\d+)?)\s*(MS|S)?\s*", args.upper())
        if not m:
            raise ParamError("Numeric data error", 120)
        value = float(m.group(1)) * (0.001 if m.group(2) == "MS" else 1.0)
        rate = min(_RATES, key=lambda r: abs(r - value))
        if abs(rate - value) > 1e-9:
            raise ParamError("Illegal parameter value", 224)
        self.rate_s = rate
        self._cache.clear()

    def _set_format(self, args: str, groups: tuple[str, ...]) -> None:
        word = args.strip().upper()
        if word in ("ASC", "ASCII"):
            self.format = "ASC"
        elif word in ("FLO", "FLOAT"):
            self.format = "FLO"
        else:
            raise ParamError()

    def _set_number(self, args: str, groups: tuple[str, ...]) -> None:
        word = args.strip().upper()
        number = 255 if word == "ALL" else int(word)
        if not 1 <= number <= 255:
            raise ParamError("Data out of range", 222)
        self.number = number

    def _set_item(self, args: str, groups: tuple[str, ...]) -> None:
        index = int(groups[0] or 1)
        if not 1 <= index <= 255:
            raise ParamError("Header suffix out of range", 114)
        parts = [p.strip().upper() for p in args.split(",")]
        function = parts[0]
        if function == "NONE":
            self.items.pop(index, None)
            return
        if function not in FUNCTIONS:
            raise ParamError()
        element: int | None = None
        if function not in _NO_ELEMENT:
            element = int(parts[1]) if len(parts) > 1 and parts[1] else 1
            if not 1 <= element <= self.elements:
                raise ParamError("Data out of range", 222)
        self.items[index] = (function, element)

    def _get_item(self, args: str, groups: tuple[str, ...]) -> str:
        item = self.items.get(int(groups[0] or 1))
        if item is None:
            return "NONE"
        function, element = item
        return function if element is None else f"{function},{element}"

    def _clear_items(self, args: str, groups: tuple[str, ...]) -> None:
        parts = [p.strip().upper() for p in args.split(",")]
        if parts[0] == "ALL":
            self.items.clear()
            return
        first = int(parts[0])
        last = int(parts[1]) if len(parts) > 1 else 255
        for index in range(first, last + 1):
            self.items.pop(index, None)

    # ---- numeric data ----------------------------------------------------------------
    def _values(self, args: str, groups: tuple[str, ...]) -> str | bytes:
        indexes = [int(args)] if args.strip() else list(range(1, self.number + 1))
        values = [self._value(self.items.get(i)) for i in indexes]
        if self.format == "FLO":
            data = b"".join(struct.pack(">f", _NAN_FLOAT if math.isnan(v) else _INF_FLOAT
                                        if math.isinf(v) else v) for v in values)
            length = str(len(data)).encode()
            return b"#" + str(len(length)).encode() + length + data
        # elapsed integration time (TIME) is <NR1> seconds, everything else <NR3>
        return ",".join(str(int(v)) if self.items.get(k, ("",))[0] == "TIME" else nr3(v)
                        for k, v in zip(indexes, values, strict=True))

    def _value(self, item: tuple[str, int | None] | None) -> float:
        if item is None:
            return math.nan
        function, element = item
        if function == "TIME":
            return float(int(self._elapsed_s()))
        port = self.ports.get(element) if element is not None else None
        if port is None:
            return math.nan
        gain = 1.0 + self.accuracy
        if function in ("WH", "WHP", "WHM"):
            wh = self._energy(element) * gain  # type: ignore[arg-type]
            return wh if function == "WH" else max(wh, 0.0) if function == "WHP" else min(wh, 0.0)
        if element in self.overrange and (function in _VOLTAGE or function in _CURRENT
                                          or function in ("P", "S", "Q")):
            return math.inf
        v, i = self._reading(element, port)  # type: ignore[arg-type]
        v, i = v * gain, i * gain
        if function == "UDC":
            return v
        if function in ("URMS", "UMN", "URMN"):
            return abs(v)
        if function == "UAC":
            return 0.0
        if function == "IDC":
            return i
        if function in ("IRMS", "IMN", "IRMN"):
            return abs(i)
        if function == "IAC":
            return 0.0
        if function == "P":
            return v * i
        if function == "S":
            return abs(v * i)
        if function == "Q":
            return 0.0
        if function == "LAMBDA":
            return 1.0 if v * i else math.nan
        return math.nan  # not modelled: "data does not exist"

    def _reading(self, element: int, port: DcPort) -> tuple[float, float]:
        """(V, A) of the last completed update interval: constant until the next update."""
        tick = math.floor(port.now() / self.rate_s + 1e-6)
        cached = self._cache.get(element)
        if cached is None or cached[0] != tick:
            v, i = port.measure(window_s=self.rate_s)
            cached = (tick, v, i)
            self._cache[element] = cached
        return cached[1], cached[2]

    # ---- integration -----------------------------------------------------------------
    def _clock(self) -> float:
        for port in self.ports.values():
            return port.now()
        return time.monotonic()

    def _energy(self, element: int) -> float:
        wh = self._acc_wh.get(element, 0.0)
        if self._state == "START":
            wh += self.ports[element].energy_wh() - self._seg_wh.get(element, 0.0)
        return wh

    def _elapsed_s(self) -> float:
        return self._acc_s + (self._clock() - self._seg_t0 if self._state == "START" else 0.0)

    def _hms(self) -> tuple[int, int, int]:
        return self.timer_s // 3600, self.timer_s // 60 % 60, self.timer_s % 60

    def _set_mode(self, args: str, groups: tuple[str, ...]) -> None:
        mode = _MODES.get(args.strip().upper())
        if mode is None:
            raise ParamError()
        if self._state != "RESET":
            raise ParamError(ERR_INTEG_NOT_RESET[1], ERR_INTEG_NOT_RESET[0])
        self.integ_mode = mode

    def _set_timer(self, args: str, groups: tuple[str, ...]) -> None:
        parts = [int(p) for p in args.split(",")]
        if len(parts) != 3:
            raise ParamError("Missing parameter", 109)
        h, m, s = parts
        if not (0 <= h <= 10000 and 0 <= m <= 59 and 0 <= s <= 59) or (h == 10000 and (m or s)):
            raise ParamError("Data out of range", 222)
        if self._state != "RESET":
            raise ParamError(ERR_INTEG_NOT_RESET[1], ERR_INTEG_NOT_RESET[0])
        self.timer_s = h * 3600 + m * 60 + s

    def _integ_reset(self) -> None:
        if self._state in ("START", "READY"):
            raise ParamError(ERR_INTEG_BUSY[1], ERR_INTEG_BUSY[0])
        self._state = "RESET"
        self._acc_wh, self._seg_wh, self._acc_s = {}, {}, 0.0

    def _integ_start(self) -> None:
        if self._state in ("START", "READY"):
            raise ParamError(ERR_INTEG_BUSY[1], ERR_INTEG_BUSY[0])
        if self._state in ("TIMEUP", "ERROR"):
            raise ParamError(ERR_INTEG_FINISHED[1], ERR_INTEG_FINISHED[0])
        remaining = self.timer_s - self._acc_s if self.timer_s else None
        if remaining is not None and remaining <= 0:
            raise ParamError(ERR_INTEG_FINISHED[1], ERR_INTEG_FINISHED[0])
        self._seg_t0 = self._clock()
        self._seg_wh = {e: p.energy_wh() for e, p in self.ports.items()}
        self._state = "START"
        self._run += 1
        if remaining is not None:
            run = self._run
            self._timer = threading.Timer(remaining, self._time_up, args=(run,))
            self._timer.daemon = True
            self._timer.start()

    def _integ_stop(self) -> None:
        if self._state not in ("START", "READY"):
            raise ParamError(ERR_INTEG_NOT_RUNNING[1], ERR_INTEG_NOT_RUNNING[0])
        self._close_segment("STOP")

    def _close_segment(self, state: str) -> None:
        for element in self.ports:
            self._acc_wh[element] = self._energy(element)
        self._acc_s = self._elapsed_s()
        self._state = state
        self._cancel_timer()

    def _time_up(self, run: int) -> None:
        with self.lock:
            if self._run == run and self._state == "START":
                self._close_segment("TIMEUP")

    def _cancel_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()

    def stop(self) -> None:
        with self.lock:
            self._cancel_timer()
        super().stop()


__all__ = ["MODELS", "YokogawaSimulator", "nr3"]
