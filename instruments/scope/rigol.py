"""Rigol DHO800 / DHO900 / DHO1000 oscilloscopes (family "rigol-dho").

Dialect from the DHO800/DHO900 programming guide (the DHO1000 guide has the same commands).
Two Rigol conventions differ from Keysight's: ``:CHANnel<n>:OFFSet`` is *added* to the signal
(the centre of the screen shows -offset; the guide gives the trigger level range as
-4.5 x scale - offset .. 4.5 x scale - offset), so the driver writes the negated centre value;
and memory waveforms convert as value = (code - YORigin - YREFerence) x YINCrement.
``:TIMebase[:MAIN]:OFFSet`` is taken as the time of the screen centre after the trigger, the
sign convention of the other families (not confirmed against an instrument).

Why this family reads in chunks: ``:WAVeform:DATA?`` returns the part of memory between
``:WAVeform:STARt`` and ``:WAVeform:STOP``, and Rigol limits how much one query may return.
The DHO guide does not state the RAW-mode limit (it caps NORMal mode at 1000 points; the
DS1000Z guide it descends from caps RAW reads at 125 000 WORD points), so the driver reads
``chunk_points`` (1000) at a time, advances by what each block really held, and stitches.
A single acquisition is complete when ``:TRIGger:STATus?`` reads STOP.
"""

from __future__ import annotations

from typing import ClassVar

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
    decimate,
    decimation_step,
)

# :CHANnel<n>:PROBe takes discrete ratios, 1-2-5 steps from 0.0001 to 50000
PROBE_RATIOS = tuple(round(m * 10.0 ** e, 6) for e in range(-4, 5) for m in (1, 2, 5))


class RigolDho(Scope):
    family = "rigol-dho"
    idn_pattern = r"^RIGOL TECHNOLOGIES,DHO(8\d\d|9\d\d|1\d{3})\b"
    error_query = ":SYST:ERR?"
    channels = 4
    chunk_points: ClassVar[int] = 1000  # points per :WAV:DATA? (see the module docstring)

    def initialize(self) -> None:
        self.transport.write("*CLS", check=False)

    def setup_channel(self, channel: int, *, scale: float, offset: float = 0.0, probe: float = 1.0,
                      coupling: str = "DC", enabled: bool = True, unit: str = "V") -> None:
        """``unit`` "A" for a current probe (``probe`` then in A per V at the input);
        ``offset`` is the value at the centre of the screen, as for the other families."""
        n = check_channel(self.entry, channel, self.channels)
        scale = check_positive(self.entry, "scale", scale)
        offset = check_finite(self.entry, "offset", offset)
        probe = check_positive(self.entry, "probe ratio", probe)
        if not any(abs(probe - r) <= 1e-9 * r for r in PROBE_RATIOS):
            raise ValueError(f"{self.entry}: probe ratio {probe:g} is not one the DHO accepts "
                             f"(1-2-5 steps, 0.0001 .. 50000)")
        coupling = check_choice(self.entry, "coupling", coupling, COUPLINGS)
        unit = check_choice(self.entry, "unit", unit, UNITS)
        write = self.transport.write
        write(f":CHAN{n}:PROB {probe:g}")
        write(f":CHAN{n}:UNIT {'AMP' if unit == 'A' else 'VOLT'}")
        write(f":CHAN{n}:SCAL {scale:g}")
        write(f":CHAN{n}:OFFS {-offset:g}")
        write(f":CHAN{n}:COUP {coupling}")
        write(f":CHAN{n}:DISP {'ON' if enabled else 'OFF'}")

    def set_timebase(self, seconds_per_div: float, delay_s: float = 0.0) -> None:
        scale = check_positive(self.entry, "seconds per division", seconds_per_div)
        delay = check_finite(self.entry, "delay", delay_s)
        self.transport.write(f":TIM:MAIN:SCAL {scale:g}")
        self.transport.write(f":TIM:MAIN:OFFS {delay:g}")

    def set_trigger_edge(self, channel: int, level: float, slope: str = "rise") -> None:
        n = check_channel(self.entry, channel, self.channels)
        level = check_finite(self.entry, "trigger level", level)
        slope = check_choice(self.entry, "slope", slope, SLOPES)
        write = self.transport.write
        write(":TRIG:MODE EDGE")
        write(":TRIG:SWE NORM")
        write(f":TRIG:EDGE:SOUR CHAN{n}")
        write(f":TRIG:EDGE:LEV {level:g}")
        write(f":TRIG:EDGE:SLOP {'POS' if slope == 'rise' else 'NEG'}")

    def single(self) -> None:
        self.transport.write(":SING")

    def acquisition_done(self) -> bool:
        status = self.transport.query(":TRIG:STAT?").strip().upper()
        if status not in ("TD", "WAIT", "RUN", "AUTO", "STOP"):
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"':TRIG:STAT?' answered {status!r}")
        return status == "STOP"

    def waveform(self, channel: int, points: int | None = None) -> ScopeTrace:
        n = check_channel(self.entry, channel, self.channels)
        points = check_points(self.entry, points)
        write = self.transport.write
        write(f":WAV:SOUR CHAN{n}")
        write(":WAV:MODE RAW")
        write(":WAV:FORM WORD")
        preamble = self.transport.query(":WAV:PRE?")
        fields = preamble.split(",")
        if len(fields) != 10:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"':WAV:PRE?' answered {preamble!r}: expected 10 fields")
        fmt, total = int(float(fields[0])), int(float(fields[2]))
        xinc, xorig, xref, yinc, yorig, yref = (float(f) for f in fields[4:10])
        if fmt != 1:
            raise InstrumentError(self.entry, self.transport.resource,
                                  f"waveform format {fmt} in the preamble, expected 1 (WORD)")
        chunks: list[np.ndarray] = []
        start = 1
        while start <= total:
            stop = min(start + self.chunk_points - 1, total)
            write(f":WAV:STAR {start}")
            write(f":WAV:STOP {stop}")
            data = self.transport.query_block(":WAV:DATA?")
            got = len(data) // 2
            if got == 0 or len(data) % 2:
                raise InstrumentError(self.entry, self.transport.resource,
                                      f"':WAV:DATA?' for points {start}..{stop} gave {len(data)} bytes")
            chunks.append(np.frombuffer(data, dtype="<u2"))
            start += got
        codes = np.concatenate(chunks).astype(np.float64) if chunks else np.zeros(0)
        values = (codes - yorig - yref) * yinc
        values, t0, dt = decimate(values, (0 - xref) * xinc + xorig, xinc,
                                  decimation_step(len(values), points))
        unit = self.transport.query(f":CHAN{n}:UNIT?").strip().upper()
        return ScopeTrace(n, t0, dt, values, "A" if unit.startswith("AMP") else "V")

    def run(self) -> None:
        self.transport.write(":RUN")
