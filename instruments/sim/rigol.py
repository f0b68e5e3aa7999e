"""Simulated Rigol DHO1204 on a :class:`ScopeEngine`.

Faithful where the driver depends on it: ``:CHANnel<n>:OFFSet`` is added to the signal (the
screen centre shows -offset), the probe ratio is one of the discrete 1-2-5 values and rescales
the channel, ``:TRIGger:STATus?`` walks WAIT -> TD -> STOP through a single acquisition
(AUTO while free running), the memory (``:WAVeform:MODE RAW``) can only be read when stopped
(-221 "Settings conflict" otherwise), and ``:WAVeform:PREamble?`` / ``:WAVeform:DATA?`` follow
value = (code - YORigin - YREFerence) x YINCrement with YORigin = offset / YINCrement.

The chunk limit: ``:WAVeform:DATA?`` returns at most ``max_points_per_read`` points (1000 by
default) from ``:WAVeform:STARt`` on, however far ``:WAVeform:STOP`` is; the reader has to
move STARt and read again. The DHO800/900 programming guide documents 1..1000 points for
NORMal mode and that memory data come "in batches" with a block header each, but gives no
number for RAW; the DS1000Z guide it descends from caps one read at 125 000 WORD points.
1000 is deliberately the strict end, so a driver that does not stitch chunks fails here.
"""

from __future__ import annotations

import numpy as np

from instruments.sim.scope import (
    ScopeEngine,
    channel_number,
    choice,
    decimated,
    long_short,
    source_channel,
)
from instruments.sim.server import ParamError, ScpiSimulator, block, parse_bool, parse_number

PROBE_RATIOS = tuple(round(m * 10.0 ** e, 6) for e in range(-4, 5) for m in (1, 2, 5))
MEMORY_DEPTHS = {"1K": 1_000, "10K": 10_000, "100K": 100_000, "1M": 1_000_000, "10M": 10_000_000,
                 "25M": 25_000_000, "50M": 50_000_000}
COUPLINGS = {"DC": "DC", "AC": "AC", "GND": "GND"}
MODES = long_short("NORMal", "MAXimum", "RAW")
NORMAL_POINTS = 1000  # screen waveform points in NORMal mode


class RigolScopeSimulator(ScpiSimulator):
    identity = "RIGOL TECHNOLOGIES,DHO1204,DHO1A254400123,00.01.03.00.02"

    def __init__(self, engine: ScopeEngine, host: str = "127.0.0.1", port: int = 0, *,
                 max_points_per_read: int = 1000) -> None:
        super().__init__(host, port)
        self.engine = engine
        engine.vertical_divisions = 8
        self.max_points_per_read = max_points_per_read
        self.reset()
        e = engine
        ch = self._channel

        self.command(":CHANnel#:PROBe", set=self._set_probe, query=lambda a, g: f"{ch(g).probe:g}")
        self.command(":CHANnel#:SCALe", set=lambda a, g: setattr(ch(g), "scale", parse_number(a, 1e-12)),
                     query=lambda a, g: f"{ch(g).scale:.6E}")
        # Rigol's offset is added to the signal: the centre of the screen shows -offset
        self.command(":CHANnel#:OFFSet", set=lambda a, g: setattr(ch(g), "offset", -parse_number(a)),
                     query=lambda a, g: f"{-ch(g).offset + 0.0:.6E}")
        self.command(":CHANnel#:COUPling",
                     set=lambda a, g: setattr(ch(g), "coupling", choice(a, COUPLINGS)),
                     query=lambda a, g: ch(g).coupling)
        self.command(":CHANnel#:DISPlay", set=lambda a, g: setattr(ch(g), "enabled", parse_bool(a)),
                     query=lambda a, g: "1" if ch(g).enabled else "0")
        units = {"VOLT": "V", "VOLTAGE": "V", "AMP": "A", "AMPERE": "A"}
        self.command(":CHANnel#:UNITs", set=lambda a, g: setattr(ch(g), "unit", choice(a, units)),
                     query=lambda a, g: "AMP" if ch(g).unit == "A" else "VOLT")

        self.command(":TIMebase[:MAIN]:SCALe",
                     set=lambda a, g: setattr(e, "time_scale", parse_number(a, 1e-9, 1000)),
                     query=lambda a, g: f"{e.time_scale:.6E}")
        self.command(":TIMebase[:MAIN]:OFFSet", set=lambda a, g: setattr(e, "delay", parse_number(a)),
                     query=lambda a, g: f"{e.delay:.6E}")
        self.command(":ACQuire:MDEPth", set=self._set_depth, query=lambda a, g: str(e.record_length))

        self.command(":TRIGger:MODE",
                     set=lambda a, g: choice(a, long_short("EDGE")), query=lambda a, g: "EDGE")
        self.command(":TRIGger:SWEep",
                     set=lambda a, g: setattr(e, "sweep", choice(a, long_short("AUTO", "NORMal", "SINGle"))),
                     query=lambda a, g: e.sweep)
        self.command(":TRIGger:EDGE:SOURce",
                     set=lambda a, g: setattr(e, "trigger_source", source_channel(e, a)),
                     query=lambda a, g: f"CHAN{e.trigger_source}")
        self.command(":TRIGger:EDGE:LEVel", set=lambda a, g: setattr(e, "trigger_level", parse_number(a)),
                     query=lambda a, g: f"{e.trigger_level:.6E}")
        slopes = {"POS": "rise", "POSITIVE": "rise", "NEG": "fall", "NEGATIVE": "fall"}
        self.command(":TRIGger:EDGE:SLOPe", set=lambda a, g: setattr(e, "trigger_slope", choice(a, slopes)),
                     query=lambda a, g: "POS" if e.trigger_slope == "rise" else "NEG")
        self.command(":TRIGger:STATus", query=lambda a, g: self._trigger_status())

        self.command(":SINGle", set=lambda a, g: e.single())
        self.command(":RUN", set=lambda a, g: e.run())
        self.command(":STOP", set=lambda a, g: e.stop())

        self.command(":WAVeform:SOURce", set=lambda a, g: setattr(self, "wav_source", source_channel(e, a)),
                     query=lambda a, g: f"CHAN{self.wav_source}")
        self.command(":WAVeform:MODE",
                     set=lambda a, g: setattr(self, "wav_mode", choice(a, MODES)),
                     query=lambda a, g: self.wav_mode)
        self.command(":WAVeform:FORMat",
                     set=lambda a, g: setattr(self, "wav_format", choice(a, long_short("WORD", "BYTE"))),
                     query=lambda a, g: self.wav_format)
        self.command(":WAVeform:STARt", set=lambda a, g: setattr(self, "wav_start", int(parse_number(a, 1))),
                     query=lambda a, g: str(self.wav_start))
        self.command(":WAVeform:STOP", set=lambda a, g: setattr(self, "wav_stop", int(parse_number(a, 1))),
                     query=lambda a, g: str(self.wav_stop))
        self.command(":WAVeform:PREamble", query=lambda a, g: self._preamble())
        self.command(":WAVeform:DATA", query=lambda a, g: block(self._data()))

    def reset(self) -> None:
        self.engine.reset()
        self.wav_source = 1
        self.wav_mode = "NORM"
        self.wav_format = "BYTE"
        self.wav_start = 1
        self.wav_stop = 1000

    def _channel(self, groups: tuple[str, ...]):  # type: ignore[no-untyped-def]
        return self.engine.channel(channel_number(self.engine, groups[0]))

    def _set_probe(self, args: str, groups: tuple[str, ...]) -> None:
        settings = self._channel(groups)
        ratio = parse_number(args)
        if not any(abs(ratio - r) <= 1e-9 * r for r in PROBE_RATIOS):
            raise ParamError("Data out of range", -222)
        factor = ratio / settings.probe  # the input's V/div stays; tip units follow
        settings.probe, settings.scale, settings.offset = ratio, settings.scale * factor, \
            settings.offset * factor

    def _set_depth(self, args: str, groups: tuple[str, ...]) -> None:
        key = args.strip().upper()
        if key == "AUTO":
            self.engine.record_length = self.engine.default_record_length
        elif key in MEMORY_DEPTHS:
            self.engine.record_length = MEMORY_DEPTHS[key]
        else:
            depth = int(parse_number(args))
            if depth not in MEMORY_DEPTHS.values():
                raise ParamError("Data out of range", -222)
            self.engine.record_length = depth

    def _trigger_status(self) -> str:
        return {"run": "AUTO", "wait": "WAIT", "triggered": "TD", "done": "STOP", "stop": "STOP"}[
            self.engine.status()]

    def _view(self) -> tuple[np.ndarray, float, float, float, int, int]:
        """(codes of the whole record or screen as sent, xinc, xorigin, yinc, yorigin, yref)."""
        status = self.engine.status()
        if self.wav_mode == "RAW" and status not in ("done", "stop"):
            raise ParamError("Settings conflict", -221)  # memory is readable only when stopped
        try:
            record = self.engine.record(self.wav_source)
        except LookupError:
            raise ParamError("Data corrupt or stale", -230) from None
        if self.wav_mode == "NORM":
            codes, dt = decimated(record, NORMAL_POINTS)
        else:
            codes, dt = record.codes, record.dt
        step = record.step
        if self.wav_format == "BYTE":
            codes, step, yref = codes >> 8, step * 256, 128
        else:
            yref = 32768
        # value = (code - yorigin - yref) x yinc; the engine's codes count from the centre line,
        # so code = engine code + yref and yorigin = -centre / yinc (= Rigol's offset / yinc),
        # an integer on the instrument: its rounding shifts values by at most half a code
        yorigin = round(-record.offset / step)
        return codes + yref, dt, record.t0, step, yorigin, yref

    def _preamble(self) -> str:
        codes, dt, t0, step, yorigin, yref = self._view()
        fmt = 1 if self.wav_format == "WORD" else 0
        kind = {"NORM": 0, "MAX": 1, "RAW": 2}[self.wav_mode]
        return f"{fmt},{kind},{len(codes)},1,{dt:.6E},{t0:.6E},0,{step:.6E},{yorigin},{yref}"

    def _data(self) -> bytes:
        codes, *_ = self._view()
        first = self.wav_start - 1
        last = min(self.wav_stop, len(codes), first + self.max_points_per_read)
        if first >= len(codes) or last <= first:
            raise ParamError("Data out of range", -222)
        chunk = codes[first:last]
        if self.wav_format == "BYTE":
            return np.clip(chunk, 0, 255).astype(np.uint8).tobytes()
        return np.clip(chunk, 0, 65535).astype("<u2").tobytes()
