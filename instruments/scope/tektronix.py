"""Tektronix 4/5/6 Series MSO oscilloscopes (family "tektronix-mso").

Dialect from the 4/5/6 Series MSO programmer manual. Probes that do not identify themselves
(no TekVPI) are described with ``CH<x>:PROBEFunc:EXTAtten`` and ``CH<x>:PROBEFunc:EXTUnits``.
``HORizontal:POSition`` is where the trigger sits in the record, in percent from the left;
beyond the record, horizontal delay mode (``HORizontal:DELay:MODe ON`` / ``:TIMe``) moves the
expansion point (``HORizontal:POSition``) to the delay time after the trigger.
A single acquisition is ``ACQuire:STOPAfter SEQuence`` + ``ACQuire:STATE RUN``; it is complete
when ``ACQuire:STATE?`` reads 0. Curves are signed 16-bit big-endian (``DATa:ENCdg RIBinary``,
``WFMOutpre:BYT_Nr 2``): value = (code - YOFf) * YMUlt + YZEro, t = XZEro + i * XINcr.

Tektronix has no SCPI ``SYSTem:ERRor?`` queue: errors set bits in the standard event status
register and queue events read with ``EVMsg?`` after ``*ESR?`` (before ``*ESR?`` the queue
answers 1, "new events pending *ESR?"). So ``error_query`` is None and every write here is
followed by that check.
"""

from __future__ import annotations

import numpy as np

from instruments.errors import InstrumentError, InstrumentReportedError
from instruments.roles import Scope, ScopeTrace
from instruments.scope._common import (
    COUPLINGS,
    SLOPES,
    UNITS,
    check_channel,
    check_choice,
    check_finite,
    check_points,
    check_positive,
    decimate,
    decimation_step,
)
from instruments.transport import parse_error

ESR_ERRORS = 0x3C  # QYE (4) | DDE (8) | EXE (16) | CME (32)


class TektronixMso(Scope):
    family = "tektronix-mso"
    idn_pattern = r"^TEKTRONIX,(MSO|LPD)[4-6]\d"
    error_query = None  # checked with *ESR? / EVMsg? in _write
    channels = 4

    def initialize(self) -> None:
        self.transport.write("*CLS", check=False)
        self._write("HEAD OFF")  # bare query replies ("0", not ":ACQUIRE:STATE 0")

    def _write(self, command: str) -> None:
        self.transport.write(command, check=False)
        self.check_events(command)

    def check_events(self, command: str) -> None:
        """Raise :class:`InstrumentReportedError` if ``command`` left an error in the event
        status register, with the events ``EVMsg?`` holds."""
        reply = self.transport.query("*ESR?")
        try:
            esr = int(float(reply))
        except ValueError:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"'*ESR?' answered {reply!r}, not a register value") from None
        if not esr & ESR_ERRORS:
            return
        events: list[tuple[int, str]] = []
        for _ in range(32):  # bounded: the queue is
            code, text = parse_error(self.transport.query("EVMSG?"))
            if code in (0, 1):
                break
            events.append((code, text))
        raise InstrumentReportedError(self.entry, self.transport.resource, command,
                                      events or [(esr, f"*ESR? = {esr}, no event message")])

    def setup_channel(self, channel: int, *, scale: float, offset: float = 0.0, probe: float = 1.0,
                      coupling: str = "DC", enabled: bool = True, unit: str = "V") -> None:
        """``unit`` "A" for a current probe (``probe`` then in A per V at the input)."""
        n = check_channel(self.entry, channel, self.channels)
        scale = check_positive(self.entry, "scale", scale)
        offset = check_finite(self.entry, "offset", offset)
        probe = check_positive(self.entry, "probe ratio", probe)
        coupling = check_choice(self.entry, "coupling", coupling, COUPLINGS)
        unit = check_choice(self.entry, "unit", unit, UNITS)
        self._write(f"CH{n}:PROBEF:EXTA {probe:g}")
        if unit == "A":
            self._write(f"CH{n}:PROBEF:EXTU:STATE ON")
            self._write(f'CH{n}:PROBEF:EXTU "A"')
        else:
            self._write(f"CH{n}:PROBEF:EXTU:STATE OFF")
        self._write(f"CH{n}:SCA {scale:g}")
        self._write(f"CH{n}:POS 0")  # so that the offset is the value at the centre line
        self._write(f"CH{n}:OFFS {offset:g}")
        self._write(f"CH{n}:COUP {coupling}")
        self._write(f"DIS:GLO:CH{n}:STATE {'ON' if enabled else 'OFF'}")

    def set_timebase(self, seconds_per_div: float, delay_s: float = 0.0) -> None:
        scale = check_positive(self.entry, "seconds per division", seconds_per_div)
        delay = check_finite(self.entry, "delay", delay_s)
        percent = 50.0 - delay / (10 * scale) * 100.0
        self._write(f"HOR:SCA {scale:g}")
        if 0.0 <= percent <= 100.0:
            self._write("HOR:DEL:MOD OFF")
            self._write(f"HOR:POS {percent:g}")
        else:  # the trigger is off the record: delay mode, centred on the delay time
            self._write("HOR:DEL:MOD ON")
            self._write(f"HOR:DEL:TIM {delay:g}")
            self._write("HOR:POS 50")

    def set_trigger_edge(self, channel: int, level: float, slope: str = "rise") -> None:
        n = check_channel(self.entry, channel, self.channels)
        level = check_finite(self.entry, "trigger level", level)
        slope = check_choice(self.entry, "slope", slope, SLOPES)
        self._write("TRIG:A:TYP EDGE")
        self._write("TRIG:A:MOD NORM")  # AUTO would force a trigger after a timeout
        self._write(f"TRIG:A:EDGE:SOU CH{n}")
        self._write(f"TRIG:A:LEV:CH{n} {level:g}")
        self._write(f"TRIG:A:EDGE:SLO {'RIS' if slope == 'rise' else 'FALL'}")

    def single(self) -> None:
        self._write("ACQ:STOPA SEQ")
        self._write("ACQ:STATE RUN")

    def acquisition_done(self) -> bool:
        reply = self.transport.query("ACQ:STATE?").strip().upper()
        if reply not in ("0", "1", "ON", "OFF", "RUN", "STOP"):
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"'ACQ:STATE?' answered {reply!r}")
        return reply in ("0", "OFF", "STOP")

    def waveform(self, channel: int, points: int | None = None) -> ScopeTrace:
        n = check_channel(self.entry, channel, self.channels)
        points = check_points(self.entry, points)
        self._write(f"DAT:SOU CH{n}")
        self._write("DAT:ENC RIB")
        self._write("WFMO:BYT_N 2")
        record = int(self.transport.query_float("HOR:RECO?"))
        self._write("DAT:STAR 1")
        self._write(f"DAT:STOP {record}")
        q = self.transport.query_float
        ymult, yoff, yzero = q("WFMO:YMU?"), q("WFMO:YOF?"), q("WFMO:YZE?")
        xincr, xzero = q("WFMO:XIN?"), q("WFMO:XZE?")
        count = int(q("WFMO:NR_P?"))
        unit = self.transport.query("WFMO:YUN?").strip().strip('"').upper()
        data = self.transport.query_block("CURV?")
        if len(data) != 2 * count:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"'CURV?' gave {len(data)} bytes for {count} points")
        codes = np.frombuffer(data, dtype=">i2").astype(np.float64)
        values = (codes - yoff) * ymult + yzero
        values, t0, dt = decimate(values, xzero, xincr, decimation_step(len(values), points))
        return ScopeTrace(n, t0, dt, values, "A" if unit == "A" else "V")

    def run(self) -> None:
        self._write("ACQ:STOPA RUNST")
        self._write("ACQ:STATE RUN")
