"""SCPI over pyvisa: one lock per resource, per-command timeouts, IEEE 488.2 blocks, error
queue checks and a transcript of everything.

Why our own thin layer rather than PyMeasure's adapters: PyMeasure pulls pandas, pint, pyqtgraph
and qtpy into every lab PC and CI image, has no per-command timeout or evidence transcript, and
its instruments are not the families this lab uses. What we keep from it is the model — small
driver classes with declarative controls (``properties.py``) tested against recorded
command/response transcripts (``replay.py``, like its ``expected_protocol``).

pyvisa is not thread safe and pyvisa-py has no VISA locks, so every I/O on one resource goes
through one :class:`threading.RLock` shared by all transports opened on that resource string.
Async callers use a transport through :func:`asyncio.to_thread`; the lock keeps a query's write
and read together when two tasks share an instrument.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from instruments.errors import (
    InstrumentError,
    InstrumentReportedError,
    InstrumentTimeout,
    InstrumentUnreachable,
)
from instruments.transcript import Transcript

DEFAULT_BACKEND = "@py"  # pyvisa-py: no vendor VISA needed; "" or a path selects another library

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()
_managers: dict[str, Any] = {}


def resource_lock(resource: str) -> threading.RLock:
    """The one lock of a resource string (case-insensitive, as VISA resource names are)."""
    key = resource.strip().upper()
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


class Link(Protocol):
    """What the transport needs of a VISA message-based resource (pyvisa's, or a replay)."""

    timeout: float | None  # milliseconds, as in pyvisa

    def write(self, message: str) -> Any: ...
    def read(self) -> str: ...
    def read_bytes(self, count: int) -> bytes: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Identity:
    manufacturer: str
    model: str
    serial: str
    firmware: str
    raw: str

    @classmethod
    def parse(cls, idn: str) -> Identity:
        parts = [p.strip() for p in idn.strip().split(",")] + ["", "", "", ""]
        return cls(parts[0], parts[1], parts[2], ",".join(p for p in parts[3:] if p), idn.strip())


def open_visa(resource: str, *, backend: str = DEFAULT_BACKEND, timeout_s: float = 2.0,
              read_termination: str = "\n", write_termination: str = "\n") -> Link:
    """Open a pyvisa message-based resource; raises whatever pyvisa raises."""
    import pyvisa

    with _locks_guard:
        manager = _managers.get(backend)
        if manager is None:
            manager = _managers[backend] = pyvisa.ResourceManager(backend)
    link = manager.open_resource(
        resource, read_termination=read_termination, write_termination=write_termination,
        timeout=int(timeout_s * 1000), open_timeout=int(timeout_s * 1000))
    _tune_socket(link, timeout_s)
    return link  # type: ignore[no-any-return]


def _tune_socket(link: Any, timeout_s: float) -> None:
    """For pyvisa-py ``::SOCKET`` sessions: wait for the (non-blocking) connect so an
    unreachable address fails at open rather than at the first query, and switch Nagle off —
    otherwise a write followed by ``SYST:ERR?`` waits ~40 ms for a delayed ACK every time."""
    session = getattr(getattr(link, "visalib", None), "sessions", {}).get(getattr(link, "session", None))
    sock = getattr(session, "interface", None)
    if not isinstance(sock, socket.socket):
        return
    _, writable, _ = select.select([], [sock], [], timeout_s)
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if writable else None
    if not writable or error:
        with contextlib.suppress(Exception):
            link.close()
        raise ConnectionError(os.strerror(error) if error else f"no connection within {timeout_s:g} s")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class ScpiTransport:
    """SCPI session with one instrument, named by its bench-file entry in every error."""

    def __init__(self, entry: str, resource: str, *, link: Link | None = None,
                 backend: str = DEFAULT_BACKEND, timeout_s: float = 2.0,
                 read_termination: str = "\n", write_termination: str = "\n",
                 error_query: str | None = "SYST:ERR?", transcript: Transcript | None = None) -> None:
        self.entry, self.resource = entry, resource
        self.backend, self.timeout_s = backend, timeout_s
        self.read_termination, self.write_termination = read_termination, write_termination
        self.error_query = error_query
        self.transcript = transcript if transcript is not None else Transcript()
        self.lock = resource_lock(resource)
        self._link = link

    # ---- session ------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._link is not None

    def open(self) -> ScpiTransport:
        if self._link is not None:
            return self
        try:
            self._link = open_visa(self.resource, backend=self.backend, timeout_s=self.timeout_s,
                                   read_termination=self.read_termination,
                                   write_termination=self.write_termination)
        except Exception as exc:  # pyvisa raises VisaIOError, ValueError, OSError, LibraryError
            self.transcript.add(self.entry, "!", f"open failed: {exc}")
            raise InstrumentUnreachable(self.entry, self.resource, f"cannot open: {_describe(exc)}") from exc
        self.transcript.add(self.entry, "!", f"opened {self.resource}")
        return self

    def close(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            with self.lock:
                try:
                    link.close()
                finally:
                    self.transcript.add(self.entry, "!", "closed")

    def __enter__(self) -> ScpiTransport:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- I/O ----------------------------------------------------------------------------
    def write(self, command: str, *, check: bool = True, timeout_s: float | None = None) -> None:
        """Send a command; then, where the family has an error queue, read it until empty and
        raise :class:`InstrumentReportedError` if the instrument refused the command."""
        with self.lock:
            self._write(command, timeout_s)
            if check and self.error_query:
                errors = self._drain_errors(timeout_s)
                if errors:
                    raise InstrumentReportedError(self.entry, self.resource, command, errors)

    def query(self, command: str, *, timeout_s: float | None = None) -> str:
        with self.lock:
            start = time.perf_counter()
            self._write(command, timeout_s)
            reply = self._io(command, timeout_s, lambda link: link.read())
            self.transcript.add(self.entry, "<", reply.strip(), (time.perf_counter() - start) * 1000)
            return reply.strip()

    def query_float(self, command: str, *, timeout_s: float | None = None) -> float:
        reply = self.query(command, timeout_s=timeout_s)
        try:
            return float(reply.split(",")[0].split()[-1] if reply else reply)
        except (ValueError, IndexError):
            raise InstrumentError(self.entry, self.resource,
                                  f"{command!r} answered {reply!r}, not a number") from None

    def query_block(self, command: str, *, timeout_s: float | None = None) -> bytes:
        """Query an IEEE 488.2 definite-length arbitrary block (``#<n><len><data>``)."""
        with self.lock:
            start = time.perf_counter()
            self._write(command, timeout_s)

            def read_block(link: Link) -> bytes:
                head = link.read_bytes(2)
                if head[:1] != b"#" or not head[1:2].isdigit() or head[1:2] == b"0":
                    rest = b"" if head.endswith(self.read_termination.encode()) else link.read().encode()
                    raise InstrumentError(self.entry, self.resource,
                                          f"{command!r}: expected a definite-length block, got "
                                          f"{(head + rest)[:40]!r}")
                digits = int(head[1:2])
                length = int(link.read_bytes(digits))
                data = link.read_bytes(length) if length else b""
                if self.read_termination:  # the message terminator after the block
                    link.read_bytes(len(self.read_termination))
                return data

            data = self._io(command, timeout_s, read_block)
            elapsed = (time.perf_counter() - start) * 1000
            self.transcript.add(self.entry, "<", f"#<{len(data)} bytes>", elapsed)
            return data

    def identify(self) -> Identity:
        return Identity.parse(self.query("*IDN?"))

    def errors(self) -> list[tuple[int, str]]:
        with self.lock:
            return self._drain_errors(None)

    # ---- internals ----------------------------------------------------------------------
    def _write(self, command: str, timeout_s: float | None) -> None:
        self.transcript.add(self.entry, ">", command)
        self._io(command, timeout_s, lambda link: link.write(command))

    def _io(self, command: str, timeout_s: float | None, op: Any) -> Any:
        link = self._link
        if link is None:
            raise InstrumentError(self.entry, self.resource, f"{command!r}: the session is not open")
        previous = link.timeout
        wanted = int((timeout_s if timeout_s is not None else self.timeout_s) * 1000)
        try:
            if previous != wanted:
                link.timeout = wanted
            return op(link)
        except (InstrumentError, AssertionError):  # a replay mismatch must fail the test as such
            raise
        except Exception as exc:
            if isinstance(exc, ConnectionError):
                self.transcript.add(self.entry, "!", f"{command!r}: connection lost: {exc}")
                raise InstrumentUnreachable(self.entry, self.resource,
                                            f"{command!r}: connection lost: {_describe(exc)}") from exc
            if _is_timeout(exc):
                self.transcript.add(self.entry, "!", f"timeout after {wanted} ms on {command!r}")
                raise InstrumentTimeout(self.entry, self.resource,
                                        f"no answer to {command!r} within {wanted / 1000:g} s") from exc
            self.transcript.add(self.entry, "!", f"{command!r}: {_describe(exc)}")
            raise InstrumentError(self.entry, self.resource, f"{command!r}: {_describe(exc)}") from exc
        finally:
            if previous != wanted and self._link is link:
                try:
                    link.timeout = previous
                except Exception:  # the session died with the error above; nothing to restore
                    pass

    def _drain_errors(self, timeout_s: float | None) -> list[tuple[int, str]]:
        assert self.error_query
        found: list[tuple[int, str]] = []
        for _ in range(32):  # error queues are bounded; a broken one must not loop forever
            self._write(self.error_query, timeout_s)
            reply = self._io(self.error_query, timeout_s, lambda link: link.read()).strip()
            self.transcript.add(self.entry, "<", reply)
            code, text = parse_error(reply)
            if code == 0:
                break
            found.append((code, text))
        return found


_ERROR = re.compile(r'^\s*([+-]?\d+)\s*(?:,\s*"?(.*?)"?)?\s*$')  # "0" alone: some answer so


def parse_error(reply: str) -> tuple[int, str]:
    """``-113,"Undefined header"`` -> (-113, "Undefined header"); ``+0,"No error"`` -> (0, ...)."""
    m = _ERROR.match(reply)
    if not m:
        return (-1, f"unparseable error queue reply {reply!r}")
    return int(m.group(1)), m.group(2) or ("No error" if int(m.group(1)) == 0 else "")


def _is_timeout(exc: Exception) -> bool:
    try:
        import pyvisa
        from pyvisa import constants
    except ImportError:  # pragma: no cover - pyvisa is a dependency
        return isinstance(exc, TimeoutError)
    if isinstance(exc, pyvisa.errors.VisaIOError):
        return exc.error_code == constants.StatusCode.error_timeout
    return isinstance(exc, TimeoutError)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if len(text) > 300 else text
