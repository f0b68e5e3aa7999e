"""Simulated Tektronix 5 Series MSO (MSO54) on a :class:`ScopeEngine`.

Faithful where the driver depends on it: 10 vertical divisions; ``HORizontal:POSition`` is
the trigger's place in the record in percent (and, in delay mode, the place of the delay
time after the trigger); the edge trigger level is per source (``TRIGger:A:LEVel:CH<x>``);
``ACQuire:STOPAfter SEQuence`` + ``ACQuire:STATE RUN`` arms one acquisition and
``ACQuire:STATE?`` stays 1 until it is stored; ``CURVe?`` sends ``DATa:STARt``..``DATa:STOP``
of the record in the ``DATa:ENCdg`` / ``WFMOutpre:BYT_Nr`` chosen, scaled by ``WFMOutpre``.

Errors are Tektronix events, not a SCPI error queue: there is no ``SYSTem:ERRor?`` (it is an
undefined header here, as on the instrument); a refused command sets CME (32, codes 100-199),
EXE (16, 200-299), DDE (8) or QYE (4) in the event status register, and its event becomes
readable with ``EVMsg?`` once ``*ESR?`` has been read (before that ``EVMsg?`` answers
1, "new events pending *ESR?"). Event codes are the SCPI numbers without the sign (113
"Undefined header", 222 "Data out of range", 224 "Illegal parameter value").
Simplifications: ``HEADer`` and ``VERBose`` are accepted but replies are always bare;
``WFMOutpre:YZEro`` is the centre-line value with ``CH<x>:POSition`` folded in and
``WFMOutpre:YOFf`` is 0 (the instrument puts the position in YOFf; the scaled values agree).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from instruments.sim.scope import (
    ScopeEngine,
    channel_number,
    choice,
    long_short,
    register,
    source_channel,
    unregister,
)
from instruments.sim.server import ParamError, ScpiSimulator, block, parse_bool, parse_number

COUPLINGS = {"DC": "DC", "AC": "AC"}
STOP_AFTER = long_short("SEQuence", "RUNSTop")


class TektronixScopeSimulator(ScpiSimulator):
    identity = "TEKTRONIX,MSO54,C019876,CF:91.1CT FV:1.44.3.433"

    def __init__(self, engine: ScopeEngine, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.engine = engine
        engine.vertical_divisions = 10
        self.esr = 0
        self.pending: deque[tuple[int, str]] = deque(maxlen=32)  # until *ESR? is read
        self.events: deque[tuple[int, str]] = deque(maxlen=32)  # readable with EVMsg?
        self.reset()
        e = engine
        unregister(self, ":SYST:ERR")
        register(self, r"^\*ESR$", query=self._read_esr)
        register(self, r"^\*CLS$", set=lambda a, g: self._clear_status())
        self.command("EVMsg", query=lambda a, g: self._evmsg())
        self.command("HEADer", set=lambda a, g: setattr(self, "header", parse_bool(a)),
                     query=lambda a, g: "1" if self.header else "0")
        self.command("VERBose", set=lambda a, g: setattr(self, "verbose", parse_bool(a)),
                     query=lambda a, g: "1" if self.verbose else "0")

        num = self._channel_number
        self.command("CH#:PROBEFunc:EXTAtten", set=self._set_atten,
                     query=lambda a, g: f"{e.channel(num(g)).probe:.6E}")
        self.command("CH#:PROBEFunc:EXTUnits:STATE",
                     set=lambda a, g: self._set_units_state(num(g), parse_bool(a)),
                     query=lambda a, g: "1" if self.ext_units_on[num(g)] else "0")
        self.command("CH#:PROBEFunc:EXTUnits", set=lambda a, g: self._set_units(num(g), a),
                     query=lambda a, g: f'"{self.ext_units[num(g)]}"')
        self.command("CH#:SCAle", set=lambda a, g: self._set_vertical(num(g), scale=parse_number(a, 1e-12)),
                     query=lambda a, g: f"{e.channel(num(g)).scale:.6E}")
        self.command("CH#:OFFSet", set=lambda a, g: self._set_vertical(num(g), offset=parse_number(a)),
                     query=lambda a, g: f"{self.offsets[num(g)]:.6E}")
        self.command("CH#:POSition",
                     set=lambda a, g: self._set_vertical(num(g), position=parse_number(a, -5, 5)),
                     query=lambda a, g: f"{self.positions[num(g)]:.6E}")
        self.command("CH#:COUPling",
                     set=lambda a, g: setattr(e.channel(num(g)), "coupling", choice(a, COUPLINGS)),
                     query=lambda a, g: e.channel(num(g)).coupling)
        self.command("DISplay:GLObal:CH#:STATE",
                     set=lambda a, g: setattr(e.channel(num(g)), "enabled", parse_bool(a)),
                     query=lambda a, g: "1" if e.channel(num(g)).enabled else "0")

        self.command("HORizontal:SCAle",
                     set=lambda a, g: self._set_horizontal(scale=parse_number(a, 2e-10, 1000)),
                     query=lambda a, g: f"{e.time_scale:.6E}")
        self.command("HORizontal:POSition",
                     set=lambda a, g: self._set_horizontal(position=parse_number(a, 0, 100)),
                     query=lambda a, g: f"{self.h_position:g}")
        self.command("HORizontal:DELay:MODe", set=lambda a, g: self._set_horizontal(delay_mode=parse_bool(a)),
                     query=lambda a, g: "1" if self.delay_mode else "0")
        self.command("HORizontal:DELay:TIMe",
                     set=lambda a, g: self._set_horizontal(delay_time=parse_number(a)),
                     query=lambda a, g: f"{self.delay_time:.6E}")
        self.command("HORizontal:RECOrdlength",
                     set=lambda a, g: setattr(e, "record_length", int(parse_number(a, 1000, 62_500_000))),
                     query=lambda a, g: str(e.record_length))

        self.command("TRIGger:A:TYPe",
                     set=lambda a, g: choice(a, long_short("EDGe")), query=lambda a, g: "EDGE")
        self.command("TRIGger:A:MODe",
                     set=lambda a, g: setattr(e, "sweep", choice(a, long_short("AUTO", "NORMal"))),
                     query=lambda a, g: e.sweep)
        self.command("TRIGger:A:EDGE:SOUrce", set=self._set_trigger_source,
                     query=lambda a, g: f"CH{e.trigger_source}")
        self.command("TRIGger:A:LEVel:CH#", set=self._set_level,
                     query=lambda a, g: f"{self.levels[num(g)]:.6E}")
        slopes = {"RIS": "rise", "RISE": "rise", "FALL": "fall"}
        self.command("TRIGger:A:EDGE:SLOpe", set=lambda a, g: setattr(e, "trigger_slope", choice(a, slopes)),
                     query=lambda a, g: "RISE" if e.trigger_slope == "rise" else "FALL")

        self.command("ACQuire:STOPAfter",
                     set=lambda a, g: setattr(self, "stop_after", choice(a, STOP_AFTER)),
                     query=lambda a, g: self.stop_after)
        self.command("ACQuire:STATE", set=self._set_state,
                     query=lambda a, g: "1" if e.status() in ("run", "wait", "triggered") else "0")

        self.command("DATa:SOUrce", set=lambda a, g: setattr(self, "data_source", source_channel(e, a)),
                     query=lambda a, g: f"CH{self.data_source}")
        encodings = long_short("RIBinary", "RPBinary", "SRIbinary", "SRPbinary", "ASCIi")
        self.command("DATa:ENCdg", set=lambda a, g: setattr(self, "encoding", choice(a, encodings)),
                     query=lambda a, g: self.encoding)
        self.command("WFMOutpre:ENCdg", set=lambda a, g: self._set_wfmo_encoding(a),
                     query=lambda a, g: "ASCII" if self.encoding == "ASCI" else "BINARY")
        register(self, r"^:WFMO(?:UTPRE)?:BYT_NR?$",
                 set=lambda a, g: setattr(self, "byte_nr", int(choice(a, {"1": "1", "2": "2"}))),
                 query=lambda a, g: str(self.byte_nr))
        self.command("DATa:STARt", set=lambda a, g: setattr(self, "data_start", int(parse_number(a, 1))),
                     query=lambda a, g: str(self.data_start))
        self.command("DATa:STOP", set=lambda a, g: setattr(self, "data_stop", int(parse_number(a, 1))),
                     query=lambda a, g: str(self.data_stop))
        register(self, r"^:WFMO(?:UTPRE)?:NR_PT?$", query=lambda a, g: str(len(self._selection()[0])))
        self.command("WFMOutpre:YMUlt", query=lambda a, g: f"{self._selection()[2]:.6E}")
        self.command("WFMOutpre:YOFf", query=lambda a, g: self._yoff())
        self.command("WFMOutpre:YZEro", query=lambda a, g: f"{self._record().offset:.6E}")
        self.command("WFMOutpre:XINcr", query=lambda a, g: f"{self._record().dt:.6E}")
        self.command("WFMOutpre:XZEro", query=lambda a, g: f"{self._selection()[1]:.6E}")
        self.command("WFMOutpre:YUNit", query=lambda a, g: f'"{self._record().unit}"')
        self.command("WFMOutpre:XUNit", query=lambda a, g: '"s"')
        self.command("CURVe", query=lambda a, g: self._curve())

    # ---- state ---------------------------------------------------------------------
    def reset(self) -> None:
        self.engine.reset()
        n = self.engine.channels
        self.offsets = {c: 0.0 for c in n}
        self.positions = {c: 0.0 for c in n}
        self.levels = {c: 0.0 for c in n}
        self.ext_units = {c: "V" for c in n}
        self.ext_units_on = {c: False for c in n}
        self.h_position = 50.0
        self.delay_mode = False
        self.delay_time = 0.0
        self.stop_after = "RUNST"
        self.header = False
        self.verbose = True
        self.data_source = 1
        self.encoding = "RIB"
        self.byte_nr = 1
        self.data_start = 1
        self.data_stop = 10_000

    def push_error(self, code: int, text: str) -> None:
        code = abs(code)
        self.esr |= (0x20 if 100 <= code < 200 else 0x10 if 200 <= code < 300
                     else 0x08 if 300 <= code < 400 else 0x04 if 400 <= code < 500 else 0)
        self.pending.append((code, text))

    def _read_esr(self, args: str, groups: tuple[str, ...]) -> str:
        value, self.esr = self.esr, 0
        self.events.extend(self.pending)
        self.pending.clear()
        return str(value)

    def _clear_status(self) -> None:
        self.esr = 0
        self.pending.clear()
        self.events.clear()

    def _evmsg(self) -> str:
        if self.events:
            code, text = self.events.popleft()
            return f'{code},"{text}"'
        if self.pending:
            return '1,"No events to report - new events pending *ESR?"'
        return '0,"No events to report - queue empty"'

    def _channel_number(self, groups: tuple[str, ...]) -> int:
        return channel_number(self.engine, groups[0])

    # ---- vertical / horizontal / trigger ------------------------------------------------
    def _set_atten(self, args: str, groups: tuple[str, ...]) -> None:
        n = self._channel_number(groups)
        settings = self.engine.channel(n)
        ratio = parse_number(args, 1e-3, 1e7)
        factor = ratio / settings.probe  # the input's V/div stays; tip units follow
        settings.probe = ratio
        self._set_vertical(n, scale=settings.scale * factor, offset=self.offsets[n] * factor)

    def _set_units(self, n: int, args: str) -> None:
        unit = args.strip().strip('"').upper()
        if unit not in ("V", "A"):
            raise ParamError()
        self.ext_units[n] = unit
        self.engine.channel(n).unit = unit if self.ext_units_on[n] else "V"

    def _set_units_state(self, n: int, on: bool) -> None:
        self.ext_units_on[n] = on
        self.engine.channel(n).unit = self.ext_units[n] if on else "V"

    def _set_vertical(self, n: int, *, scale: float | None = None, offset: float | None = None,
                      position: float | None = None) -> None:
        settings = self.engine.channel(n)
        if scale is not None:
            settings.scale = scale
        if offset is not None:
            self.offsets[n] = offset
        if position is not None:
            self.positions[n] = position
        # the centre line shows offset - position x scale (position moves the trace up)
        settings.offset = self.offsets[n] - self.positions[n] * settings.scale

    def _set_horizontal(self, *, scale: float | None = None, position: float | None = None,
                        delay_mode: bool | None = None, delay_time: float | None = None) -> None:
        e = self.engine
        if scale is not None:
            e.time_scale = scale
        if position is not None:
            self.h_position = position
        if delay_mode is not None:
            self.delay_mode = delay_mode
        if delay_time is not None:
            self.delay_time = delay_time
        anchor = self.delay_time if self.delay_mode else 0.0
        e.delay = anchor + (50.0 - self.h_position) / 100.0 * 10 * e.time_scale

    def _set_trigger_source(self, args: str, groups: tuple[str, ...]) -> None:
        self.engine.trigger_source = source_channel(self.engine, args)
        self.engine.trigger_level = self.levels[self.engine.trigger_source]

    def _set_level(self, args: str, groups: tuple[str, ...]) -> None:
        n = self._channel_number(groups)
        self.levels[n] = parse_number(args)
        if n == self.engine.trigger_source:
            self.engine.trigger_level = self.levels[n]

    def _set_state(self, args: str, groups: tuple[str, ...]) -> None:
        run = choice(args, {"RUN": "1", "ON": "1", "1": "1", "STOP": "0", "OFF": "0", "0": "0"}) == "1"
        if not run:
            self.engine.stop()
        elif self.stop_after == "SEQ":
            self.engine.single()
        else:
            self.engine.run()

    # ---- waveform transfer ------------------------------------------------------------
    def _set_wfmo_encoding(self, args: str) -> None:
        if choice(args, long_short("BINary", "ASCii")) == "ASCI":
            self.encoding = "ASCI"
        elif self.encoding == "ASCI":
            self.encoding = "RIB"

    def _record(self):  # type: ignore[no-untyped-def]
        try:
            return self.engine.record(self.data_source)
        except LookupError:
            raise ParamError("Data corrupt or stale", -230) from None

    def _yoff(self) -> str:
        self._record()  # no record, no waveform preamble
        return "0.0E+0"  # codes are relative to the centre line (YZEro); see the module docstring

    def _selection(self) -> tuple[np.ndarray, float, float]:
        """(codes of DATa:STARt..STOP at BYT_Nr bytes, their XZEro, YMUlt)."""
        record = self._record()
        first = min(self.data_start, len(record.codes)) - 1
        last = min(max(self.data_stop, self.data_start), len(record.codes))
        codes, step = record.codes[first:last], record.step
        if self.byte_nr == 1:
            codes, step = codes >> 8, step * 256
        return codes, record.t0 + first * record.dt, step

    def _curve(self) -> bytes | str:
        codes, _, _ = self._selection()
        if self.encoding == "ASCI":
            return ",".join(str(int(c)) for c in codes)
        unsigned = self.encoding in ("RPB", "SRP")
        order = ">" if self.encoding in ("RIB", "RPB") else "<"
        bias = (1 << (8 * self.byte_nr - 1)) if unsigned else 0
        kind = ("u" if unsigned else "i") + str(self.byte_nr)
        return block((codes + bias).astype(f"{order}{kind}" if self.byte_nr == 2 else kind).tobytes())
