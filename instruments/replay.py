"""Replay a recorded command/response transcript in place of an instrument (driver tests).

Like PyMeasure's ``expected_protocol``: the driver under test talks to a :class:`ReplayLink`
that checks every command it writes, in order, against the recording and answers with the
recorded reply. A driver that sends a different command, an extra one, or too few fails the
test with the step number, so a transcript test pins the driver's exact dialect.
"""

from __future__ import annotations

from collections.abc import Sequence

from instruments.transport import ScpiTransport

Exchange = tuple[str, "str | bytes | None"]
NO_ERROR = '0,"No error"'


class ReplayMismatch(AssertionError):
    pass


class ReplayLink:
    """A :class:`~instruments.transport.Link` that plays a transcript back.

    ``exchanges``: ``(command, reply)`` in order; reply ``None`` for commands without one,
    ``bytes`` for raw replies such as IEEE 488.2 blocks (terminator included). With
    ``auto_errors`` set (e.g. ``"SYST:ERR?"``) error-queue queries not in the recording are
    answered "no error", so transcripts list only the commands that matter.
    """

    def __init__(self, exchanges: Sequence[Exchange], *, auto_errors: str | None = None,
                 termination: str = "\n") -> None:
        self.exchanges = list(exchanges)
        self.position = 0
        self.auto_errors = auto_errors
        self.termination = termination
        self.timeout: float | None = 2000
        self._pending = b""
        self.closed = False
        self.written: list[str] = []

    def write(self, message: str) -> int:
        self.written.append(message)
        if self._pending:
            raise ReplayMismatch(f"step {self.position}: wrote {message!r} before reading the reply "
                                 f"{self._pending[:40]!r} to the previous query")
        if self.auto_errors and message == self.auto_errors and not self._next_is(message):
            self._pending = (NO_ERROR + self.termination).encode()
            return len(message)
        if self.position >= len(self.exchanges):
            raise ReplayMismatch(f"step {self.position}: driver wrote {message!r} after the end of "
                                 f"the recorded transcript")
        expected, reply = self.exchanges[self.position]
        if message != expected:
            raise ReplayMismatch(f"step {self.position}: expected {expected!r}, driver wrote {message!r}")
        self.position += 1
        if reply is not None:
            self._pending = reply if isinstance(reply, bytes) else (reply + self.termination).encode()
        return len(message)

    def read(self) -> str:
        data = self._pending
        if not data:
            raise ReplayMismatch(f"step {self.position}: driver read but the recording has no reply "
                                 f"pending (after {self.written[-1:]!r})")
        end = data.find(self.termination.encode())
        chunk, self._pending = (data, b"") if end < 0 else (data[:end], data[end + len(self.termination):])
        return chunk.decode("latin-1")

    def read_bytes(self, count: int) -> bytes:
        if len(self._pending) < count:
            raise ReplayMismatch(f"step {self.position}: driver read {count} bytes, recording has "
                                 f"{len(self._pending)} pending")
        chunk, self._pending = self._pending[:count], self._pending[count:]
        return chunk

    def close(self) -> None:
        self.closed = True

    def _next_is(self, message: str) -> bool:
        return self.position < len(self.exchanges) and self.exchanges[self.position][0] == message

    def assert_done(self) -> None:
        if self.position != len(self.exchanges) or self._pending:
            left = [c for c, _ in self.exchanges[self.position:]]
            raise ReplayMismatch(f"transcript not finished at step {self.position}: never sent {left}"
                                 + (f"; reply left unread {self._pending[:40]!r}" if self._pending else ""))


def replay_transport(exchanges: Sequence[Exchange], *, entry: str = "dut", auto_errors: str | None = None,
                     error_query: str | None = "SYST:ERR?", termination: str = "\n") -> ScpiTransport:
    """A transport over a :class:`ReplayLink` (``transport._link``) for driver tests."""
    link = ReplayLink(exchanges, auto_errors=auto_errors, termination=termination)
    return ScpiTransport(entry, f"REPLAY::{entry}", link=link, error_query=error_query,
                         read_termination=termination, write_termination=termination)


def block(data: bytes, termination: str = "\n") -> bytes:
    """``data`` as an IEEE 488.2 definite-length block reply, terminator included."""
    length = str(len(data)).encode()
    return b"#" + str(len(length)).encode() + length + data + termination.encode()
