"""An EV emulator box on a serial line, speaking the harness's open line protocol
(``docs/ev-emulator-protocol.md``, version 1): CP/PP/fault switching and CP/inlet measurements
time-stamped by the box's own millisecond clock.

Any pyserial URL works: ``/dev/ttyACM0``, ``COM5``, ``socket://host:port`` (a serial server or
``instruments.sim.ev_box.EvBoxSimulator``), ``rfc2217://host:port``. Serial I/O blocks, so the
async EvSide methods run it through :func:`asyncio.to_thread`; one lock keeps a command and its
reply together.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Any

from harness.ev.side import EvSide, InletReading, PilotReading
from harness.protocols import pilot as cp
from instruments.errors import InstrumentError, InstrumentTimeout, InstrumentUnreachable
from instruments.serial_link import open_serial
from instruments.transcript import Transcript
from instruments.transport import Identity

PROTOCOL_MAJOR = 1
CONNECTORS = {"cCCS1": "CCS1", "cNACS": "NACS"}
FAULTS = {None: "NONE", "diode_short": "DIODE_SHORT", "cp_pe_short": "CP_PE_SHORT"}
WRAP_MS = 2 ** 32


class BoxClock:
    """Maps the box's wrapping millisecond counter to ``time.monotonic()`` (Cristian's algorithm:
    the offset from the exchange with the shortest round trip; see the protocol document)."""

    def __init__(self) -> None:
        self.offset_s: float | None = None
        self.uncertainty_s = float("inf")
        self.synced_at = float("-inf")
        self._last_ms: int | None = None
        self._wraps = 0

    def box_seconds(self, t_ms: int) -> float:
        """Unwrapped box time in seconds: a value more than 2^31 ms below the newest one seen is
        after a wrap; one more than 2^31 ms above it is a late value from before the wrap."""
        half = WRAP_MS // 2
        if self._last_ms is None:
            self._last_ms = t_ms
        elif t_ms < self._last_ms - half:
            self._wraps += 1
            self._last_ms = t_ms
        elif t_ms > self._last_ms + half and self._wraps:
            return (t_ms + (self._wraps - 1) * WRAP_MS) / 1000.0
        elif t_ms > self._last_ms:
            self._last_ms = t_ms
        return (t_ms + self._wraps * WRAP_MS) / 1000.0

    def sample(self, sent: float, received: float, t_ms: int) -> None:
        box = self.box_seconds(t_ms)
        half = (received - sent) / 2
        if half <= self.uncertainty_s:
            self.offset_s, self.uncertainty_s = (sent + received) / 2 - box, half

    def restart(self) -> None:
        """A new sync round: the next sample wins whatever its round trip (drift)."""
        self.uncertainty_s = float("inf")

    def to_host(self, t_ms: int) -> float:
        if self.offset_s is None:
            raise RuntimeError("box clock not synchronised")
        return self.box_seconds(t_ms) + self.offset_s


class SerialEvBox(EvSide):
    """One EV emulator box, named by its bench-file entry in every error."""

    family = "ev-emulator-serial-v1"
    role = "ev"

    def __init__(self, entry: str, url: str, *, baudrate: int = 115200, timeout_s: float = 1.0,
                 transcript: Transcript | None = None, sync_samples: int = 5, resync_s: float = 10.0,
                 link: Any = None) -> None:
        self.entry, self.url, self.baudrate, self.timeout_s = entry, url, baudrate, timeout_s
        self.transcript = transcript if transcript is not None else Transcript()
        self.sync_samples, self.resync_s = sync_samples, resync_s
        self.lock = threading.RLock()
        self.clock = BoxClock()
        self.version: str | None = None
        self.adapter: str | None = None
        self._port: Any = link

    # ---- session ------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._port is not None and self.version is not None

    def open(self) -> SerialEvBox:
        """Open the port, negotiate protocol version 1 and synchronise the clocks."""
        with self.lock:
            if self.is_open:
                return self
            if self._port is None:
                self._port = open_serial(self.entry, self.url, baudrate=self.baudrate,
                                         timeout_s=self.timeout_s, transcript=self.transcript)
            try:
                reply = self._exchange(f"VER {PROTOCOL_MAJOR}")
                if reply.startswith("ERR"):
                    raise InstrumentError(self.entry, self.url, f"does not speak EV emulator protocol "
                                          f"v{PROTOCOL_MAJOR} (VER {PROTOCOL_MAJOR} -> {reply!r}); see "
                                          "docs/ev-emulator-protocol.md")
                words = reply.split()
                if words[:1] != ["OK"] or len(words) < 2 or words[1].split(".")[0] != str(PROTOCOL_MAJOR):
                    raise InstrumentError(self.entry, self.url, f"VER {PROTOCOL_MAJOR} answered {reply!r}")
                self.version = words[1]
                self.sync()
            except BaseException:
                self._drop()
                raise
        return self

    def sync(self) -> None:
        """Estimate the box clock's offset from ``sync_samples`` TIME? round trips."""
        with self.lock:
            self.clock.restart()
            for _ in range(self.sync_samples):
                sent = time.monotonic()
                reply = self._exchange("TIME?")
                received = time.monotonic()
                words = reply.split()
                if words[:1] != ["TIME"] or len(words) < 2:
                    raise InstrumentError(self.entry, self.url, f"TIME? answered {reply!r}")
                self.clock.sample(sent, received, self._int(words[1], "TIME?", reply))
            self.clock.synced_at = time.monotonic()

    def close_port(self) -> None:
        """Safe state (best effort), then release the port."""
        with self.lock:
            if self._port is None:
                return
            if self.version is not None:
                with contextlib.suppress(InstrumentError):
                    self.command("SAFE")
            self._drop()

    async def close(self) -> None:
        await asyncio.to_thread(self.close_port)

    def identify(self) -> Identity:
        return Identity.parse(self.command("*IDN?"))

    # ---- EvSide -------------------------------------------------------------------------
    async def connect(self, evse: int, connector: int, connector_type: str = "cCCS1",
                      adapter: str | None = None) -> None:
        cp.pp_voltage("latched", connector_type, adapter)  # validates type and adapter
        self.connector_type, self.adapter = connector_type, adapter
        adapter_word = adapter.upper() if adapter else "NONE"
        await self._commands(f"CONNECTOR {CONNECTORS[connector_type]} {adapter_word}", "PP LATCHED", "CP B")

    async def disconnect(self) -> None:
        await self._commands("FAULT NONE", "CP A", "PP OPEN")

    async def set_cp_state(self, state: str) -> None:
        if state not in ("A", "B", "C", "D", "E"):
            raise ValueError(f"an EV presents A, B, C, D or E, not {state!r}")
        await self._commands(f"CP {state}")

    async def set_pp(self, value: str) -> None:
        if value not in ("open", "latched", "pressed"):
            raise ValueError(f"unknown PP value {value!r} (open, latched, pressed)")
        await self._commands(f"PP {value.upper()}")

    async def inject_fault(self, fault: str | None) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r} (diode_short, cp_pe_short or None)")
        await self._commands(f"FAULT {FAULTS[fault]}")

    async def read_pilot(self) -> PilotReading:
        return await asyncio.to_thread(self.pilot_reading)

    async def read_pp(self) -> float:
        return await asyncio.to_thread(self.pp_volts)

    async def read_inlet(self) -> InletReading:
        return await asyncio.to_thread(self.inlet_reading)

    # ---- blocking API -------------------------------------------------------------------
    def pilot_reading(self) -> PilotReading:
        reply = self.query("PWM?", "PWM", 6)
        osc, duty, freq, high, low = (self._float(w, "PWM?", reply) for w in reply.split()[1:6])
        at = self.clock.to_host(self._int(reply.split()[6], "PWM?", reply))
        return PilotReading(at, osc == 1, duty, freq, high, low)

    def inlet_reading(self) -> InletReading:
        reply = self.query("INLET?", "INLET", 2)
        words = reply.split()
        return InletReading(self.clock.to_host(self._int(words[2], "INLET?", reply)),
                            self._float(words[1], "INLET?", reply))

    def pp_volts(self) -> float:
        reply = self.query("PP?", "PP", 2)
        return self._float(reply.split()[1], "PP?", reply)

    def command(self, command: str) -> str:
        """Send a command and return its reply; ``ERR`` replies raise :class:`InstrumentError`."""
        with self.lock:
            if not self.is_open:
                self.open()
            if time.monotonic() - self.clock.synced_at > self.resync_s:
                self.sync()
            reply = self._exchange(command)
            if reply.startswith("ERR"):
                raise InstrumentError(self.entry, self.url, f"{command!r} was refused: {reply}")
            return reply

    def query(self, command: str, keyword: str, fields: int) -> str:
        """A query whose reply is ``<keyword>`` and at least ``fields`` values (later protocol
        minors may append more, which are ignored)."""
        reply = self.command(command)
        words = reply.split()
        if words[:1] != [keyword] or len(words) < fields + 1:
            raise InstrumentError(self.entry, self.url, f"{command!r} answered {reply!r}, expected "
                                  f"'{keyword}' and {fields} values")
        return reply

    # ---- I/O ----------------------------------------------------------------------------
    async def _commands(self, *commands: str) -> None:
        def run() -> None:
            for command in commands:
                reply = self.command(command)
                if not reply.startswith("OK"):
                    raise InstrumentError(self.entry, self.url, f"{command!r} answered {reply!r}, not OK")

        await asyncio.to_thread(run)

    def _exchange(self, command: str) -> str:
        port = self._port
        if port is None:
            raise InstrumentError(self.entry, self.url, f"{command!r}: the session is not open")
        start = time.perf_counter()
        self.transcript.add(self.entry, ">", command)
        try:
            with contextlib.suppress(Exception):
                port.reset_input_buffer()  # a late reply to an earlier, timed-out command
            port.write((command + "\n").encode("ascii"))
            data = port.read_until(b"\n")
        except Exception as exc:  # SerialException, OSError: the line is gone
            self.transcript.add(self.entry, "!", f"{command!r}: {exc}")
            self._drop()
            raise InstrumentUnreachable(self.entry, self.url, f"{command!r}: connection lost: {exc}") from exc
        text = data.decode("latin-1")
        if not data.endswith(b"\n"):
            self.transcript.add(self.entry, "!", f"timeout after {self.timeout_s:g} s on {command!r}"
                                + (f", got {text!r}" if text else ""))
            raise InstrumentTimeout(self.entry, self.url, f"no reply to {command!r} within "
                                    f"{self.timeout_s:g} s" + (f" (got {text!r})" if text else ""))
        reply = text.strip()
        self.transcript.add(self.entry, "<", reply, (time.perf_counter() - start) * 1000)
        return reply

    def _drop(self) -> None:
        port, self._port, self.version = self._port, None, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
            self.transcript.add(self.entry, "!", "closed")

    def _float(self, word: str, command: str, reply: str) -> float:
        try:
            return float(word)
        except ValueError:
            raise InstrumentError(self.entry, self.url, f"{command!r} answered {reply!r}: "
                                  f"{word!r} is not a number") from None

    def _int(self, word: str, command: str, reply: str) -> int:
        try:
            value = int(word)
        except ValueError:
            raise InstrumentError(self.entry, self.url, f"{command!r} answered {reply!r}: "
                                  f"{word!r} is not a box time in ms") from None
        if not 0 <= value < WRAP_MS:
            raise InstrumentError(self.entry, self.url, f"{command!r} answered {reply!r}: box time "
                                  f"{value} is outside 0..2^32-1")
        return value
