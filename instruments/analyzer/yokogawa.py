"""Yokogawa WT5000 / WT1800 precision power analyzers (same communication dialect).

Dialect as in the WT series communication manuals (IM WT5000-17EN, IM WT1801-17EN; the WT3000
manual IM WT3001E-17EN has the same NUMeric / INTEGrate / STATus groups):

* ``:COMMunicate:HEADer OFF`` and ``:COMMunicate:VERBose OFF`` so a query answers the bare
  value in its short form (``:INTEG:STAT?`` -> ``RES`` / ``STAR`` / ``STOP`` ...).
* ``:NUMeric:FORMat ASCii``; ``:NUMeric[:NORMal]:NUMber <n>`` and
  ``:NUMeric[:NORMal]:ITEM<x> <function>,<element>`` choose what ``:NUMeric[:NORMal]:VALue?``
  returns, comma-separated <NR3> values. "NAN" means the data does not exist, "INF" overrange,
  overflow or data over — never a number a verdict may use.
* DC quantities are the simple averages ``UDC`` / ``IDC`` (these models measure URMS, UMN, UDC,
  URMN and UAC simultaneously; the older WT3000 instead had one ``U`` per element and a
  ``:INPut:VOLTage:MODE DC`` setting). ``P`` is the active power, the mean of u x i.
* Energy: the watt-hour function. Its display symbol is "WP", but the function name in
  communication commands is ``WH`` (``WHP`` / ``WHM`` the positive / negative parts, ``AH``
  ampere-hours) — the WT3000 manual's preset pattern 3 lists TIME, WH, WHP, WHM, AH..., and WT1800
  field code configures ``WH,<element>``. Values are in Wh.
* Integration: ``:INTEGrate:MODE NORMal``, ``:INTEGrate:TIMer <h>,<m>,<s>`` (0,0,0 to
  10000,0,0), ``:INTEGrate:RESet`` / ``:STARt`` / ``:STOP``, ``:INTEGrate:STATe?`` answering
  RESet, READy, STARt, STOP, ERRor or TIMeup. Settings can be changed only while reset.
* The error queue is ``:STATus:ERRor?`` (``0,"No error"``; Yokogawa codes are positive, e.g.
  ``113,"Undefined header"``).
"""

from __future__ import annotations

import math
from typing import ClassVar

from instruments.errors import InstrumentError
from instruments.limits import Limits
from instruments.roles import DcReading, PowerAnalyzer
from instruments.transport import ScpiTransport

#: what configure_dc asks for per element, in this order
DC_FUNCTIONS = ("UDC", "IDC", "P", "WH")
#: integration timer for a "manual" run: the longest the instrument accepts (10000 h), so a
#: timer can never end an integration the test still relies on
INTEGRATION_TIMER = "10000,0,0"

_STATES = {"RES": "RESET", "READ": "READY", "STAR": "START", "STOP": "STOP", "ERR": "ERROR",
           "TIM": "TIMEUP"}


def parse_state(reply: str) -> str | None:
    """``RES`` / ``RESET`` / ``:INTEG:STAT RES`` -> "RESET" (None if unknown)."""
    word = reply.strip().split()[-1].upper() if reply.strip() else ""
    for short, name in _STATES.items():
        if word.startswith(short) and name.startswith(word):
            return name
    return None


class YokogawaWT(PowerAnalyzer):
    """Common WT5000 / WT1800 driver; the subclasses differ in identity and element count."""

    error_query = ":STAT:ERR?"
    max_elements: ClassVar[int] = 7

    def __init__(self, transport: ScpiTransport, limits: Limits | None = None) -> None:
        super().__init__(transport, limits)
        self._items: dict[int, dict[str, int]] = {}  # element -> function -> 1-based item number
        self._functions: list[tuple[str, int]] = []  # item number - 1 -> (function, element)

    # ---- session ------------------------------------------------------------------------
    def initialize(self) -> None:
        t = self.transport
        t.write("*CLS", check=False)  # stale errors must not be blamed on our first command
        t.write(":COMM:HEAD OFF")
        t.write(":COMM:VERB OFF")
        t.write(":NUM:FORM ASC")

    # ---- numeric data -------------------------------------------------------------------
    def configure_dc(self, elements: list[int]) -> None:
        """Output UDC, IDC, P and WH of each element, in that order, by ``:NUM:NORM:VAL?``."""
        elements = list(elements)
        if not elements:
            raise ValueError(f"{self.entry}: configure_dc needs at least one element")
        for element in elements:
            self._check_element(element)
        if len(set(elements)) != len(elements):
            raise ValueError(f"{self.entry}: elements {elements} repeat")
        functions = [(f, e) for e in elements for f in DC_FUNCTIONS]
        t = self.transport
        t.write(f":NUM:NORM:NUM {len(functions)}")
        for k, (function, element) in enumerate(functions, start=1):
            t.write(f":NUM:NORM:ITEM{k} {function},{element}")
        self._functions = functions
        self._items = {e: {f: k for k, (f, e2) in enumerate(functions, start=1) if e2 == e}
                       for e in elements}

    def read_dc(self, element: int) -> DcReading:
        values = self._values(element, ("UDC", "IDC", "P"))
        return DcReading(voltage_v=values[0], current_a=values[1], power_w=values[2])

    def energy_wh(self, element: int) -> float:
        """Integrated energy of the element (Wh) since the last integration reset."""
        return self._values(element, ("WH",))[0]

    def _values(self, element: int, functions: tuple[str, ...]) -> list[float]:
        self._check_element(element)
        items = self._items.get(element)
        if items is None:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"element {element} is not configured (configure_dc({element}) first)")
        reply = self.transport.query(":NUM:NORM:VAL?")
        fields = [f.strip() for f in reply.split(",")]
        if len(fields) != len(self._functions):
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"':NUM:NORM:VAL?' answered {len(fields)} values, "
                                  f"{len(self._functions)} items are configured: {reply[:80]!r}")
        return [self._number(fields[items[f] - 1], items[f], f, element) for f in functions]

    def _number(self, text: str, item: int, function: str, element: int) -> float:
        name = f"ITEM{item} ({function},{element})"
        upper = text.upper().lstrip("+-")
        if upper == "NAN":
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"{name} has no data (NAN): the element measured nothing yet, or "
                                  "the function is not measured")
        if upper == "INF":
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"{name} is over range (INF): overrange, overflow or data over — "
                                  "check the input range")
        try:
            value = float(text)
        except ValueError:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"{name}: {text!r} is not a number") from None
        # FLOat-format sentinels (9.91E+37 no data, 9.9E+37 overrange), should one leak into ASCII
        if not math.isfinite(value) or abs(value) >= 9.9e37:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"{name}: {text!r} is the instrument's no-data / overrange marker")
        return value

    def _check_element(self, element: int) -> None:
        if not isinstance(element, int) or not 1 <= element <= self.max_elements:
            raise ValueError(f"{self.entry}: element {element!r} is not 1..{self.max_elements} "
                             f"on a {self.family}")

    # ---- integration --------------------------------------------------------------------
    def integration_state(self) -> str:
        """RESET, READY, START, STOP, ERROR or TIMEUP."""
        reply = self.transport.query(":INTEG:STAT?")
        state = parse_state(reply)
        if state is None:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"':INTEG:STAT?' answered {reply!r}, not an integration state")
        return state

    def integration_reset(self) -> None:
        """Stop a run left going, reset, then normal mode with a 10000 h timer (the instrument
        takes integration settings only while reset)."""
        t = self.transport
        if self.integration_state() in ("START", "READY"):
            t.write(":INTEG:STOP")
        t.write(":INTEG:RES")
        t.write(":INTEG:MODE NORM")
        t.write(f":INTEG:TIM {INTEGRATION_TIMER}")

    def integration_start(self) -> None:
        self.transport.write(":INTEG:STAR")
        state = self.integration_state()
        if state != "START":
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"integration did not start: ':INTEG:STAT?' says {state}")

    def integration_stop(self) -> None:
        """Stop a running integration; nothing to do (and no error) when none runs."""
        if self.integration_state() in ("START", "READY"):
            self.transport.write(":INTEG:STOP")


class WT5000(YokogawaWT):
    family = "yokogawa-wt5000"
    idn_pattern = r"^YOKOGAWA,\s*WT5000"
    max_elements = 7


class WT1800(YokogawaWT):
    """WT1801..WT1806 and their E versions; *IDN? names the model with its suffix code, e.g.
    ``YOKOGAWA,WT1806E-5A3-50A3,...``."""

    family = "yokogawa-wt1800"
    idn_pattern = r"^YOKOGAWA,\s*WT180[1-6]"
    max_elements = 6
