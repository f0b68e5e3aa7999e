"""Simulated Keysight InfiniiVision 3000T (DSOX3034T) on a :class:`ScopeEngine`.

Faithful where the driver depends on it: the probe ratio rescales the channel (the input's
V/div stays, the tip-unit scale follows), the Run bit (8) of ``:OPERegister:CONDition?`` is
set while the scope acquires and clears when the single acquisition is stored, ``:TER?``
reads (and clears) the trigger event, and ``:WAVeform:DATA?`` sends the raw record as WORD
(or BYTE) codes in the byte order and signedness chosen, decimated to ``:WAVeform:POINts``,
described by a 10-field ``:WAVeform:PREamble?`` with xorigin relative to the trigger.
Before a single acquisition is complete there is no record: ``:WAV:DATA?`` queues -230
"Data corrupt or stale" and sends nothing, so a driver that reads too early times out.
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

RUN_BIT = 8
ORDERS = long_short("LSBFirst", "MSBFirst")
POINTS_MODES = long_short("NORMal", "MAXimum", "RAW")


class KeysightScopeSimulator(ScpiSimulator):
    identity = "KEYSIGHT TECHNOLOGIES,DSOX3034T,MY59120001,07.50.2021102830"

    def __init__(self, engine: ScopeEngine, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.engine = engine
        engine.vertical_divisions = 8
        self.reset()
        e = engine
        ch = self._channel

        def probe(args: str, g: tuple[str, ...]) -> None:
            settings = ch(g)
            ratio = parse_number(args, 0.001, 10_000)
            factor = ratio / settings.probe  # the input's V/div stays; tip units follow
            settings.probe, settings.scale, settings.offset = ratio, settings.scale * factor, \
                settings.offset * factor

        self.command(":CHANnel#:PROBe", set=probe, query=lambda a, g: f"{ch(g).probe:+.6E}")
        self.command(":CHANnel#:SCALe", set=lambda a, g: setattr(ch(g), "scale", parse_number(a, 1e-12)),
                     query=lambda a, g: f"{ch(g).scale:+.6E}")
        self.command(":CHANnel#:OFFSet", set=lambda a, g: setattr(ch(g), "offset", parse_number(a)),
                     query=lambda a, g: f"{ch(g).offset:+.6E}")
        self.command(":CHANnel#:COUPling",
                     set=lambda a, g: setattr(ch(g), "coupling", choice(a, {"DC": "DC", "AC": "AC"})),
                     query=lambda a, g: ch(g).coupling)
        self.command(":CHANnel#:DISPlay", set=lambda a, g: setattr(ch(g), "enabled", parse_bool(a)),
                     query=lambda a, g: "1" if ch(g).enabled else "0")
        units = {"VOLT": "V", "AMP": "A", "AMPERE": "A"}
        self.command(":CHANnel#:UNITs", set=lambda a, g: setattr(ch(g), "unit", choice(a, units)),
                     query=lambda a, g: "AMP" if ch(g).unit == "A" else "VOLT")

        self.command(":TIMebase:SCALe", set=lambda a, g: setattr(e, "time_scale", parse_number(a, 1e-10, 50)),
                     query=lambda a, g: f"{e.time_scale:+.6E}")
        self.command(":TIMebase:POSition", set=lambda a, g: setattr(e, "delay", parse_number(a)),
                     query=lambda a, g: f"{e.delay:+.6E}")
        self.command(":TIMebase:REFerence", set=lambda a, g: choice(a, long_short("CENTer")),
                     query=lambda a, g: "CENT")  # only the default reference is simulated

        self.command(":TRIGger:MODE", set=lambda a, g: choice(a, long_short("EDGE")),
                     query=lambda a, g: "EDGE")
        self.command(":TRIGger:SWEep",
                     set=lambda a, g: setattr(e, "sweep", choice(a, long_short("AUTO", "NORMal"))),
                     query=lambda a, g: e.sweep)
        self.command(":TRIGger[:EDGE]:SOURce",
                     set=lambda a, g: setattr(e, "trigger_source", source_channel(e, a)),
                     query=lambda a, g: f"CHAN{e.trigger_source}")
        self.command(":TRIGger[:EDGE]:LEVel", set=lambda a, g: setattr(e, "trigger_level", parse_number(a)),
                     query=lambda a, g: f"{e.trigger_level:+.6E}")
        slopes = {"POS": "rise", "POSITIVE": "rise", "NEG": "fall", "NEGATIVE": "fall"}
        self.command(":TRIGger[:EDGE]:SLOPe", set=lambda a, g: setattr(e, "trigger_slope", choice(a, slopes)),
                     query=lambda a, g: "POS" if e.trigger_slope == "rise" else "NEG")

        self.command(":SINGle", set=lambda a, g: self._single())
        self.command(":RUN", set=lambda a, g: e.run())
        self.command(":STOP", set=lambda a, g: e.stop())
        self.command(":OPERegister:CONDition", query=lambda a, g: f"+{self._condition()}")
        self.command(":TER", query=lambda a, g: self._ter())
        self.command(":RSTate", query=lambda a, g: self._rstate())

        self.command(":WAVeform:SOURce", set=lambda a, g: setattr(self, "wav_source", source_channel(e, a)),
                     query=lambda a, g: f"CHAN{self.wav_source}")
        self.command(":WAVeform:FORMat",
                     set=lambda a, g: setattr(self, "wav_format", choice(a, long_short("WORD", "BYTE"))),
                     query=lambda a, g: self.wav_format)
        self.command(":WAVeform:BYTeorder",
                     set=lambda a, g: setattr(self, "wav_order", choice(a, ORDERS)),
                     query=lambda a, g: self.wav_order)
        self.command(":WAVeform:UNSigned", set=lambda a, g: setattr(self, "wav_unsigned", parse_bool(a)),
                     query=lambda a, g: "1" if self.wav_unsigned else "0")
        self.command(":WAVeform:POINts:MODE",
                     set=lambda a, g: setattr(self, "wav_points_mode", choice(a, POINTS_MODES)),
                     query=lambda a, g: self.wav_points_mode)
        self.command(":WAVeform:POINts", set=self._set_points, query=lambda a, g: f"+{self._points()}")
        self.command(":WAVeform:PREamble", query=lambda a, g: self._preamble())
        self.command(":WAVeform:DATA", query=lambda a, g: block(self._data()))

    def reset(self) -> None:
        self.engine.reset()
        self.wav_source = 1
        self.wav_format = "BYTE"  # the 3000T's power-on waveform format
        self.wav_order = "MSBF"
        self.wav_unsigned = True
        self.wav_points_mode = "NORM"
        self.wav_points: int | None = 1000
        self._trigger_read = False

    def _channel(self, groups: tuple[str, ...]):  # type: ignore[no-untyped-def]
        return self.engine.channel(channel_number(self.engine, groups[0]))

    def _single(self) -> None:
        self.engine.single()
        self._trigger_read = False

    def _condition(self) -> int:
        return RUN_BIT if self.engine.status() in ("run", "wait", "triggered") else 0

    def _ter(self) -> str:
        fired = self.engine.status() in ("triggered", "done") and not self._trigger_read
        if fired:
            self._trigger_read = True
        return "+1" if fired else "+0"

    def _rstate(self) -> str:
        status = self.engine.status()
        return "RUN" if status == "run" else "SING" if status in ("wait", "triggered") else "STOP"

    def _set_points(self, args: str, groups: tuple[str, ...]) -> None:
        word = args.strip().upper()
        if word in ("MAX", "MAXIMUM", "RAW"):
            self.wav_points = None
        else:
            self.wav_points = int(parse_number(args, 100, 8_000_000))

    def _points(self) -> int:
        n = self.engine.record_length
        return n if self.wav_points is None else min(n, self.wav_points)

    def _codes(self) -> tuple[np.ndarray, float, float, float, float, float]:
        """(codes as sent, xincrement, xorigin, yincrement, yorigin, yreference)."""
        try:
            record = self.engine.record(self.wav_source)
        except LookupError:
            raise ParamError("Data corrupt or stale", -230) from None
        codes, dt = decimated(record, self.wav_points)
        step = record.step
        if self.wav_format == "BYTE":
            codes, step = (codes >> 8), step * 256
        bias = (32768 if self.wav_format == "WORD" else 128) if self.wav_unsigned else 0
        return codes + bias, dt, record.t0, step, record.offset, float(bias)

    def _preamble(self) -> str:
        codes, dt, t0, step, offset, yref = self._codes()
        fmt = 1 if self.wav_format == "WORD" else 0
        return (f"+{fmt},+0,+{len(codes)},+1,{dt:+.8E},{t0:+.8E},+0,"
                f"{step:+.8E},{offset:+.8E},+{int(yref)}")

    def _data(self) -> bytes:
        codes, *_ = self._codes()
        if self.wav_format == "BYTE":
            return codes.astype(np.uint8 if self.wav_unsigned else np.int8).tobytes()
        order = "<" if self.wav_order == "LSBF" else ">"
        return codes.astype(f"{order}{'u2' if self.wav_unsigned else 'i2'}").tobytes()
