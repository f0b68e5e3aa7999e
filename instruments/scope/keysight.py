"""Keysight InfiniiVision 3000T / 4000X oscilloscopes (family "keysight-infiniivision").

Dialect from the InfiniiVision 3000T/4000X programmer's guides: channel and timebase set in
tip units after ``:CHANnel<n>:PROBe`` (set first, because a new probe ratio rescales the
channel), ``:SINGle`` to arm, and the Run bit (bit 3, value 8) of ``:OPERegister:CONDition?``
to see the single acquisition finish — the guide's "polling synchronisation" recipe; the bit
is set while the scope acquires and clears once the single acquisition is stored.

Waveforms are read as unsigned 16-bit words, LSB first, over the raw acquisition record
(``:WAVeform:POINts:MODE RAW``); ``:WAVeform:PREamble?`` gives the 10 scaling fields and
value = (code - yreference) * yincrement + yorigin, t = (i - xreference) * xincrement + xorigin
(xorigin is relative to the trigger, so t = 0 is the trigger).
"""

from __future__ import annotations

import numpy as np

from instruments.errors import InstrumentError
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
)

RUN_BIT = 8  # :OPERegister:CONDition? bit 3: the oscilloscope is acquiring


class KeysightInfiniiVision(Scope):
    family = "keysight-infiniivision"
    idn_pattern = r"^(KEYSIGHT|AGILENT) TECHNOLOGIES,[DM]SO-?X ?[34]\d{3}"
    error_query = ":SYST:ERR?"
    channels = 4

    def initialize(self) -> None:
        self.transport.write("*CLS", check=False)  # stale errors must not blame our first command

    def setup_channel(self, channel: int, *, scale: float, offset: float = 0.0, probe: float = 1.0,
                      coupling: str = "DC", enabled: bool = True, unit: str = "V") -> None:
        """``unit`` "A" for a current probe (``probe`` then in A per V at the input)."""
        n = check_channel(self.entry, channel, self.channels)
        scale = check_positive(self.entry, "scale", scale)
        offset = check_finite(self.entry, "offset", offset)
        probe = check_positive(self.entry, "probe ratio", probe)
        coupling = check_choice(self.entry, "coupling", coupling, COUPLINGS)
        unit = check_choice(self.entry, "unit", unit, UNITS)
        write = self.transport.write
        write(f":CHAN{n}:PROB {probe:g}")
        write(f":CHAN{n}:UNIT {'AMP' if unit == 'A' else 'VOLT'}")
        write(f":CHAN{n}:SCAL {scale:g}")
        write(f":CHAN{n}:OFFS {offset:g}")
        write(f":CHAN{n}:COUP {coupling}")
        write(f":CHAN{n}:DISP {'ON' if enabled else 'OFF'}")

    def set_timebase(self, seconds_per_div: float, delay_s: float = 0.0) -> None:
        """``delay_s``: time of the screen centre after the trigger (``:TIMebase:POSition``
        with the reference at the centre, the default)."""
        scale = check_positive(self.entry, "seconds per division", seconds_per_div)
        delay = check_finite(self.entry, "delay", delay_s)
        self.transport.write(f":TIM:SCAL {scale:g}")
        self.transport.write(f":TIM:POS {delay:g}")

    def set_trigger_edge(self, channel: int, level: float, slope: str = "rise") -> None:
        n = check_channel(self.entry, channel, self.channels)
        level = check_finite(self.entry, "trigger level", level)
        slope = check_choice(self.entry, "slope", slope, SLOPES)
        write = self.transport.write
        write(":TRIG:MODE EDGE")
        write(":TRIG:SWE NORM")  # AUTO would force a trigger and record nothing useful
        write(f":TRIG:EDGE:SOUR CHAN{n}")
        write(f":TRIG:EDGE:LEV {level:g}")
        write(f":TRIG:EDGE:SLOP {'POS' if slope == 'rise' else 'NEG'}")

    def single(self) -> None:
        self.transport.write(":SING")

    def acquisition_done(self) -> bool:
        reply = self.transport.query(":OPER:COND?")
        try:
            condition = int(float(reply))
        except ValueError:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"':OPER:COND?' answered {reply!r}, not a register value") from None
        return not condition & RUN_BIT

    def waveform(self, channel: int, points: int | None = None) -> ScopeTrace:
        n = check_channel(self.entry, channel, self.channels)
        points = check_points(self.entry, points)
        write = self.transport.write
        write(f":WAV:SOUR CHAN{n}")
        write(":WAV:FORM WORD")
        write(":WAV:BYT LSBF")
        write(":WAV:UNS ON")
        write(":WAV:POIN:MODE RAW")
        write(f":WAV:POIN {points if points is not None else 'MAX'}")
        preamble = self.transport.query(":WAV:PRE?")
        fields = preamble.split(",")
        if len(fields) != 10:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"':WAV:PRE?' answered {preamble!r}: expected 10 fields")
        fmt, _type, count = (int(float(f)) for f in fields[:3])
        xinc, xorig, xref, yinc, yorig, yref = (float(f) for f in (fields[4:10]))
        if fmt != 1:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"waveform format {fmt} in the preamble, expected 1 (WORD)")
        data = self.transport.query_block(":WAV:DATA?")
        if len(data) != 2 * count:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"':WAV:DATA?' gave {len(data)} bytes for {count} points")
        codes = np.frombuffer(data, dtype="<u2").astype(np.float64)
        values = (codes - yref) * yinc + yorig
        unit = self.transport.query(f":CHAN{n}:UNIT?").strip().upper()
        return ScopeTrace(n, (0 - xref) * xinc + xorig, xinc, values, "A" if unit.startswith("AMP") else "V")

    def run(self) -> None:
        self.transport.write(":RUN")
