"""The acquisition engine every simulated oscilloscope shares; the dialects (``keysight``,
``tektronix``, ``rigol``) only translate SCPI to it and its records to their preambles.

Probes: ``ScopeEngine({1: (port, "voltage"), 2: (port, "current")})`` puts a probe on a
:class:`~instruments.sim.port.DcPort` quantity. Units follow the drivers' ``probe`` argument:
the probe *ratio* is tip units per volt at the scope's input (10 for a 10:1 voltage probe, 10
for a 100 mV/A current clamp, whose output is 0.1 V per A). A channel's scale, offset and
trigger level are in tip units (V or A), as on the instruments' screens once the ratio is
entered. By default the physical probe is assumed to be the one the channel's setting names;
``physical_ratios={2: 10.0}`` fits a definite probe, and a channel set to a different ratio
then reads wrong by (setting / physical), exactly as a real scope with the wrong probe entry.

Timing is the port's clock. A single acquisition armed at ``t_arm`` triggers at
``port.find_edge(quantity, level, slope, after=t_arm)`` on the trigger channel and completes
only once the port clock has passed the end of the record window (trigger + post-trigger
time); until then :meth:`ScopeEngine.status` says "wait" (armed, no trigger yet) or
"triggered" (capturing the post-trigger part). Real scopes also need the pre-trigger part of
the record filled before they accept a trigger; this engine follows the port's history
instead, which keeps samples from before the arm, so an edge just after arming is caught.
Only normal (edge) triggering is simulated: a scope in AUTO sweep would force a trigger
after a timeout, this one keeps waiting.

The record window is 10 horizontal divisions of ``time_scale``; ``delay`` is the time of the
screen centre after the trigger (0: trigger centred). Samples are ``port.sample`` at
``record_length`` evenly spaced times, quantised to signed 16-bit codes: the
``vertical_divisions`` of the screen span the full code range, so a signal off screen clips
at -32768 / +32767 like a saturated ADC.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from instruments.sim.port import DcPort
from instruments.sim.server import ParamError, QueryHandler, ScpiSimulator, SetHandler

CODE_MIN, CODE_MAX = -32768, 32767
QUANTITIES = ("voltage", "current")


@dataclass
class ChannelSettings:
    scale: float = 1.0  # tip units per division
    offset: float = 0.0  # tip units at the centre of the screen
    probe: float = 1.0  # ratio setting: tip units per volt at the input
    coupling: str = "DC"
    enabled: bool = True
    unit: str = "V"  # "V" or "A": what the screen labels the channel with


@dataclass(frozen=True)
class Record:
    """One channel's part of a completed acquisition."""

    channel: int
    codes: np.ndarray  # int32 in [CODE_MIN, CODE_MAX]
    t0: float  # first sample relative to the trigger (s)
    dt: float  # sample interval (s)
    step: float  # tip units per code
    offset: float  # tip units at code 0
    unit: str

    @property
    def values(self) -> np.ndarray:
        return self.codes * self.step + self.offset


class ScopeEngine:
    """Dialect-independent acquisition state of one simulated oscilloscope."""

    def __init__(self, probes: dict[int, tuple[DcPort, str]], *, channels: int = 4,
                 record_length: int = 10_000, vertical_divisions: int = 8,
                 physical_ratios: dict[int, float] | None = None) -> None:
        for channel, (_, quantity) in probes.items():
            if quantity not in QUANTITIES:
                raise ValueError(f"probe on channel {channel}: quantity {quantity!r} is not one of "
                                 f"{list(QUANTITIES)}")
            if not 1 <= channel <= channels:
                raise ValueError(f"probe on channel {channel}: the scope has channels 1..{channels}")
        self.probes = dict(probes)
        self.channel_count = channels
        self.physical_ratios = dict(physical_ratios or {})
        self.vertical_divisions = vertical_divisions
        self.default_record_length = record_length
        self.reset()

    # ---- state ---------------------------------------------------------------------
    def reset(self) -> None:
        """Power-on / *RST state: free running, 1 V/div, 100 us/div, edge on channel 1."""
        self.channels = {n: ChannelSettings() for n in range(1, self.channel_count + 1)}
        self.time_scale = 100e-6
        self.delay = 0.0
        self.record_length = self.default_record_length
        self.trigger_source = 1
        self.trigger_level = 0.0
        self.trigger_slope = "rise"
        self.sweep = "AUTO"
        self.mode = "run"  # "run" (free running), "single" (armed), "stop"
        self.t_arm: float | None = None
        self.t_trig: float | None = None
        self._frozen: dict[int, ChannelSettings] = {}
        self._window: tuple[float, float, int] | None = None  # (t0, dt, n) of the armed record
        self._records: dict[int, Record] = {}

    def channel(self, number: int) -> ChannelSettings:
        if number not in self.channels:
            raise KeyError(number)
        return self.channels[number]

    @property
    def window_start(self) -> float:
        """First sample's time relative to the trigger."""
        return self.delay - 5 * self.time_scale

    @property
    def window_end(self) -> float:
        return self.delay + 5 * self.time_scale

    def _port_clock(self) -> float | None:
        ports = [port for port, _ in self.probes.values()]
        return ports[0].now() if ports else None

    # ---- run control -----------------------------------------------------------------
    def single(self) -> None:
        """Arm one acquisition now; the channel settings in force are the ones recorded."""
        self.mode = "single"
        self.t_arm = self._port_clock()
        self.t_trig = None
        self._records = {}
        self._frozen = {n: replace(c) for n, c in self.channels.items()}
        n = int(self.record_length)
        self._window = (self.window_start, 10 * self.time_scale / n, n)

    def run(self) -> None:
        self.mode = "run"
        self.t_arm = self.t_trig = None

    def stop(self) -> None:
        self.mode = "stop"

    def status(self) -> str:
        """"run" (free running), "wait" (armed), "triggered" (post-trigger part still being
        captured), "done" (single acquisition complete; stopped) or "stop"."""
        if self.mode == "run":
            return "run"
        if self.mode == "stop" and self.t_trig is None:
            return "stop"
        if self.t_trig is None:
            self.t_trig = self._find_trigger()
            if self.t_trig is None:
                return "wait"
        if self.mode == "stop" or self._records:
            return "done"
        port = self._trigger_port()
        assert port is not None and self._window is not None
        t0, dt, n = self._window
        end = self.t_trig + t0 + dt * (n - 1)
        if port.now() < max(end, self.t_trig):
            return "triggered"
        self.mode = "stop"
        return "done"

    def _trigger_port(self) -> DcPort | None:
        probe = self.probes.get(self.trigger_source)
        if probe is not None:
            return probe[0]
        ports = [port for port, _ in self.probes.values()]
        return ports[0] if ports else None

    def _find_trigger(self) -> float | None:
        probe = self.probes.get(self.trigger_source)
        if probe is None or self.t_arm is None:
            return None  # nothing on the trigger channel: a normal trigger never comes
        port, quantity = probe
        settings = self._frozen.get(self.trigger_source, self.channels[self.trigger_source])
        # the level is in displayed units; the probe puts tip / physical ratio on the input,
        # which the scope multiplies by its ratio setting
        tip_level = self.trigger_level * self._physical(self.trigger_source, settings) / settings.probe
        return port.find_edge(quantity, tip_level, self.trigger_slope, after=self.t_arm)

    def _physical(self, channel: int, settings: ChannelSettings) -> float:
        return self.physical_ratios.get(channel, settings.probe)

    # ---- records ---------------------------------------------------------------------
    def record(self, channel: int) -> Record:
        """The completed acquisition of ``channel``; LookupError if there is none."""
        if channel not in self.channels:
            raise KeyError(channel)
        if self.status() != "done" or self.t_trig is None or self._window is None:
            raise LookupError("no completed acquisition")
        cached = self._records.get(channel)
        if cached is not None:
            return cached
        settings = self._frozen.get(channel, self.channels[channel])
        t0, dt, n = self._window
        step = settings.scale * self.vertical_divisions / 65536.0
        probe = self.probes.get(channel)
        if probe is None:
            displayed = np.zeros(n)  # nothing connected: the input sits at 0
        else:
            port, quantity = probe
            tip = np.asarray(port.sample(quantity, self.t_trig + t0 + dt * np.arange(n)), dtype=float)
            displayed = tip / self._physical(channel, settings) * settings.probe
        codes = quantize(displayed, settings.offset, step)
        record = Record(channel, codes, t0, dt, step, settings.offset, settings.unit)
        self._records[channel] = record
        return record


def quantize(values: np.ndarray, offset: float, step: float) -> np.ndarray:
    """Signed 16-bit ADC codes of ``values`` (``offset`` at code 0, ``step`` per code), clipped
    at full scale; NaN (no data) reads as the negative rail."""
    if not step > 0 or not math.isfinite(step):
        raise ValueError(f"code step must be positive, not {step!r}")
    scaled = np.round((np.asarray(values, dtype=float) - offset) / step)
    scaled = np.nan_to_num(scaled, nan=CODE_MIN, posinf=CODE_MAX, neginf=CODE_MIN)
    return np.clip(scaled, CODE_MIN, CODE_MAX).astype(np.int32)


# ---- helpers for the dialect simulators ------------------------------------------------------
def register(sim: ScpiSimulator, pattern: str, *, set: SetHandler | None = None,
             query: QueryHandler | None = None) -> None:
    """Register a header by regex (over the upper-cased header with one leading ":"), ahead of
    anything registered before — for headers the manual notation of
    :func:`~instruments.sim.server.header_regex` cannot express (``WFMOutpre:BYT_Nr``) and to
    replace the base class's common commands with a family's own (Tektronix ``*ESR?``)."""
    compiled = re.compile(pattern)
    if set is not None:
        sim._set.insert(0, (compiled, set))
    if query is not None:
        sim._query.insert(0, (compiled, query))


def unregister(sim: ScpiSimulator, header: str) -> None:
    """Remove a command the base class registered but this family does not have."""
    sim._set = [(p, h) for p, h in sim._set if not p.match(header)]
    sim._query = [(p, h) for p, h in sim._query if not p.match(header)]


def channel_number(engine: ScopeEngine, suffix: str) -> int:
    """``CHANnel<n>``'s suffix; an absent suffix is 1 (SCPI), a missing channel an unknown header."""
    number = int(suffix) if suffix else 1
    if number not in engine.channels:
        raise ParamError("Undefined header", -113)
    return number


def source_channel(engine: ScopeEngine, args: str) -> int:
    """``CHAN2`` / ``CHANNEL2`` / ``CH2`` -> 2."""
    m = re.fullmatch(r"\s*CH(?:AN(?:NEL)?)?(\d)\s*", args.upper())
    if not m or int(m.group(1)) not in engine.channels:
        raise ParamError()
    return int(m.group(1))


def choice(args: str, options: dict[str, str]) -> str:
    """The canonical value of a SCPI character parameter: ``options`` maps every accepted
    spelling (short and long forms, upper case) to it."""
    key = args.strip().strip('"').upper()
    if key not in options:
        raise ParamError()
    return options[key]


def long_short(*words: str) -> dict[str, str]:
    """``long_short("POSitive", "NEGative")`` -> {"POS": "POS", "POSITIVE": "POS", ...}."""
    out: dict[str, str] = {}
    for word in words:
        short = "".join(c for c in word if c.isupper() or c.isdigit())
        out[short] = short
        out[word.upper()] = short
    return out


def decimated(record: Record, points: int | None) -> tuple[np.ndarray, float]:
    """``record.codes`` reduced to at most ``points`` samples over the whole window, and the
    resulting sample interval."""
    n = len(record.codes)
    if points is None or points >= n:
        return record.codes, record.dt
    step = math.ceil(n / max(1, points))
    return record.codes[::step], record.dt * step
