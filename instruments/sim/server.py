"""A stateful SCPI instrument simulator served on loopback TCP (VISA ``::SOCKET`` resources).

Each simulator runs its own threads, so a blocking pyvisa query from the test never waits on
the event loop that runs the emulated station. Commands are registered with their SCPI header
in the manual's notation (``[SOURce]:CURRent[:LEVel]`` matches ``SOUR:CURR``,
``:source:current:level`` ...). Unknown headers and bad parameters go to the error queue
(``SYST:ERR?``) with the standard SCPI codes, as a real instrument does. Faults a lab sees —
an instrument that stops answering, or dies — are switchable for the harness's own tests.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

SetHandler = Callable[[str, tuple[str, ...]], None]
QueryHandler = Callable[[str, tuple[str, ...]], "str | bytes"]


class ParamError(ValueError):
    """A parameter the instrument refuses: -224 Illegal parameter value (or the given code)."""

    def __init__(self, text: str = "Illegal parameter value", code: int = -224) -> None:
        super().__init__(text)
        self.code = code


def header_regex(spec: str) -> re.Pattern[str]:
    """Compile a SCPI header in manual notation to a regex over an upper-cased header.

    ``KEYWord`` matches KEYW or KEYWORD; ``[:NODE]`` is optional; ``CHANnel#`` captures an
    optional numeric suffix (CHAN1, CHANNEL2). A leading ``*`` header (``*IDN``) is literal.
    """
    if spec.startswith("*"):
        return re.compile(re.escape(spec.upper()) + r"$")
    out = "^"  # matched against the header with exactly one leading ":" (see handle)
    for optional, node in re.findall(r"(\[?):?([A-Za-z#*]+)\]?", spec):
        suffix = node.endswith("#")
        word = node.rstrip("#")
        short = "".join(c for c in word if c.isupper() or c.isdigit())
        rest = word[len(short):].upper()
        alternatives = f"(?:{short}{rest}|{short})" if rest else short
        piece = ":" + alternatives + (r"(\d*)" if suffix else "")
        out += f"(?:{piece})?" if optional else piece
    return re.compile(out + "$")


def block(data: bytes) -> bytes:
    """IEEE 488.2 definite-length block."""
    length = str(len(data)).encode()
    return b"#" + str(len(length)).encode() + length + data


def split_commands(line: str) -> list[str]:
    """Split ``A 1;:B 2`` at semicolons outside quotes."""
    parts, current, quote = [], [], ""
    for ch in line:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            current.append(ch)
        elif ch == ";":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


class ScpiSimulator:
    """Base of every simulated SCPI instrument."""

    identity = "Harness,Simulated instrument,SIM0001,1.0"
    termination = b"\n"
    line_ends: tuple[bytes, ...] = (b"\n",)  # one byte each

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.lock = threading.RLock()  # guards the instrument state
        self.errors: deque[tuple[int, str]] = deque(maxlen=32)
        self._set: list[tuple[re.Pattern[str], SetHandler]] = []
        self._query: list[tuple[re.Pattern[str], QueryHandler]] = []
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()
        self._stop = threading.Event()
        self.stalled = False  # faults: accept commands, never answer
        self.log: deque[str] = deque(maxlen=10_000)  # every command received (for tests)
        self.command("*IDN", query=lambda a, g: self.identity)
        self.command("*RST", set=lambda a, g: self.reset())
        self.command("*CLS", set=lambda a, g: self.errors.clear())
        self.command("*OPC", query=lambda a, g: "1", set=lambda a, g: None)
        self.command("*ESR", query=lambda a, g: "0")
        self.command("*WAI", set=lambda a, g: None)
        self.command("SYSTem:ERRor[:NEXT]", query=self._next_error)

    # ---- definition ------------------------------------------------------------------
    def command(self, header: str, *, set: SetHandler | None = None,
                query: QueryHandler | None = None) -> None:
        pattern = header_regex(header)
        if set is not None:
            self._set.append((pattern, set))
        if query is not None:
            self._query.append((pattern, query))

    def reset(self) -> None:
        """*RST: subclasses restore their power-on state."""

    def push_error(self, code: int, text: str) -> None:
        self.errors.append((code, text))

    def _next_error(self, args: str, groups: tuple[str, ...]) -> str:
        if not self.errors:
            return '0,"No error"'
        code, text = self.errors.popleft()
        return f'{code},"{text}"'

    # ---- dispatch --------------------------------------------------------------------
    def handle(self, line: str) -> list[bytes]:
        """Execute one line; the replies to send (one per query)."""
        replies: list[bytes] = []
        for command in split_commands(line):
            self.log.append(command)
            head, _, args = command.partition(" ")
            is_query = head.endswith("?")
            key = head.rstrip("?").upper()
            key = key if key.startswith("*") else ":" + key.lstrip(":")
            table = self._query if is_query else self._set
            for pattern, handler in table:
                m = pattern.match(key)
                if m:
                    try:
                        with self.lock:
                            reply = handler(args.strip(), m.groups())
                    except ParamError as exc:
                        self.push_error(exc.code, str(exc))
                    except (ValueError, IndexError):
                        self.push_error(-224, "Illegal parameter value")
                    else:
                        if is_query:
                            replies.append(reply if isinstance(reply, bytes) else str(reply).encode())
                    break
            else:
                self.push_error(-113, f"Undefined header;{head}")
        return replies

    # ---- serving ---------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        assert self._listener is not None, "simulator not started"
        return self._listener.getsockname()[:2]

    @property
    def resource(self) -> str:
        host, port = self.address
        return f"TCPIP::{host}::{port}::SOCKET"

    def start(self) -> ScpiSimulator:
        listener = socket.create_server((self.host, self.port))
        listener.settimeout(0.2)
        self._listener = listener
        self._stop.clear()
        thread = threading.Thread(target=self._accept, name=f"sim-{type(self).__name__}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads.clear()

    def crash(self) -> None:
        """The instrument dies: connections drop and nothing answers any more."""
        self.stop()

    def __enter__(self) -> ScpiSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connections.add(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                      name=f"sim-{type(self).__name__}-conn")
            thread.start()
            self._threads.append(thread)

    def respond(self, line: str) -> bytes | None:
        """What goes back for one received line: the query replies joined by ";" (None: the
        line had no query). Line-protocol simulators (relay board, EV box) override it."""
        replies = self.handle(line)
        return b";".join(replies) + self.termination if replies else None

    def _serve(self, conn: socket.socket) -> None:
        """Read lines (ended by any of ``line_ends``), answer each; a stalled instrument
        still executes what it receives but answers nothing."""
        buffer = b""
        try:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buffer += data
                while True:
                    cut = min((k for k in (buffer.find(end) for end in self.line_ends) if k >= 0),
                              default=-1)
                    if cut < 0:
                        break
                    raw, buffer = buffer[:cut], buffer[cut + 1:]
                    line = raw.decode("latin-1").strip()
                    if not line:
                        continue  # an empty line, or the LF of a CR LF ending
                    reply = self.respond(line)
                    if reply is not None and not self.stalled:
                        conn.sendall(reply)
        finally:
            self._connections.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()


def parse_bool(args: str) -> bool:
    text = args.strip().upper()
    if text in ("1", "ON"):
        return True
    if text in ("0", "OFF"):
        return False
    raise ParamError()


def parse_number(args: str, low: float | None = None, high: float | None = None) -> float:
    """A SCPI numeric parameter, with MIN/MAX refused and a -222 Data out of range check."""
    text = args.strip().split(",")[0].split()[0] if args.strip() else ""
    try:
        value = float(re.sub(r"[A-Za-z]+$", "", text)) if text else float("nan")
    except ValueError:
        raise ParamError("Numeric data error", -120) from None
    if value != value:
        raise ParamError("Missing parameter", -109)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParamError("Data out of range", -222)
    return value


def state_dict(obj: Any, names: list[str]) -> dict[str, Any]:
    return {n: getattr(obj, n) for n in names}
