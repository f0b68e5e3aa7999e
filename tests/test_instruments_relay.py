"""Numato USB relay driver: recorded exchanges through a fake serial port, round trips via
pyserial's socket:// to the simulator, the on_change coupling, and errors naming the entry."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from instruments.errors import InstrumentError, InstrumentTimeout, InstrumentUnreachable
from instruments.relay import NumatoRelay
from instruments.relay.numato import relay_index
from instruments.sim.relay import RelayBoardSimulator
from instruments.transcript import Transcript


class FakeSerial:
    """Plays recorded (command, raw reply) pairs back like a pyserial port; a command the
    recording does not expect fails the test."""

    def __init__(self, exchanges: list[tuple[str, bytes]]) -> None:
        self.exchanges = list(exchanges)
        self.written: list[bytes] = []
        self.pending = b""
        self.closed = False

    def reset_input_buffer(self) -> None:
        self.pending = b""

    def write(self, data: bytes) -> int:
        self.written.append(data)
        assert self.exchanges, f"wrote {data!r} after the end of the recording"
        command, reply = self.exchanges.pop(0)
        assert data == (command + "\r").encode(), f"expected {command!r}, driver wrote {data!r}"
        self.pending += reply
        return len(data)

    def read_until(self, expected: bytes = b"\n") -> bytes:
        end = self.pending.find(expected)
        if end < 0:  # what pyserial returns on timeout: whatever arrived
            data, self.pending = self.pending, b""
            return data
        data, self.pending = self.pending[:end + len(expected)], self.pending[end + len(expected):]
        return data

    def close(self) -> None:
        self.closed = True


def relay(exchanges: list[tuple[str, bytes]], entry: str = "estop", **kwargs) -> NumatoRelay:
    return NumatoRelay(entry, "/dev/ttyACM0", link=FakeSerial(exchanges), **kwargs)


# ---- recorded exchanges ------------------------------------------------------------------
def test_transcript_set_get_identify() -> None:
    transcript = Transcript()
    board = relay([("relay on 3", b"relay on 3\n\r>"),
                   ("relay read 3", b"relay read 3\n\ron\n\r>"),
                   ("relay off 3", b"relay off 3\n\r>"),
                   ("relay read 3", b"relay read 3\n\roff\n\r>"),
                   ("ver", b"ver\n\r00000008\n\r>"),
                   ("id get", b"id get\n\rBENCH001\n\r>")], transcript=transcript)
    board.set(3, True)
    assert board.get(3) is True
    board.set(3, False)
    assert board.get(3) is False
    identity = board.identify()
    assert (identity.serial, identity.firmware) == ("BENCH001", "00000008")
    assert board._port.exchanges == []
    lines = [(e.direction, e.text) for e in transcript.since()]
    assert lines[:4] == [(">", "relay on 3"), ("<", ""), (">", "relay read 3"), ("<", "on")]
    assert all(e.entry == "estop" for e in transcript.since())


def test_relays_from_ten_are_letters() -> None:
    assert [relay_index(n) for n in (0, 9, 10, 15, 31)] == ["0", "9", "A", "F", "V"]
    board = relay([("relay on A", b"relay on A\n\r>")], channels=16)
    board.set(10, True)


def test_bad_channel_is_refused_before_any_io() -> None:
    board = relay([], entry="pdu")
    for channel in (8, -1, True, 1.0):
        with pytest.raises(ValueError, match="pdu"):
            board.set(channel, True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pdu"):
        board.pulse(0, 0)
    assert board._port.written == []


def test_garbled_and_missing_answers_are_errors_naming_the_entry() -> None:
    board = relay([("relay read 1", b"relay read 1\n\rmaybe\n\r>"),
                   ("relay on 1", b"rel@y on 1\n\r>"),
                   ("relay read 1", b"relay read 1\n\r>")], entry="pdu")
    with pytest.raises(InstrumentError, match=r"pdu.*'maybe'"):
        board.get(1)
    with pytest.raises(InstrumentError, match=r"pdu.*echo"):
        board.set(1, True)
    with pytest.raises(InstrumentError, match=r"pdu.*one answer"):
        board.get(1)


def test_missing_prompt_is_a_timeout_naming_the_entry() -> None:
    board = relay([("relay on 0", b"relay on 0\n\r")], entry="estop")
    with pytest.raises(InstrumentTimeout, match=r"estop.*relay on 0"):
        board.set(0, True)


def test_outputs_off_continues_past_failures_and_lists_them() -> None:
    board = relay([("relay off 0", b"relay off 0\n\r>"), ("relay read 0", b"relay read 0\n\roff\n\r>"),
                   ("relay on 1", b"relay on 1\n\r"),  # no prompt: timeout
                   ("relay off 2", b"relay off 2\n\r>"), ("relay read 2", b"relay read 2\n\ron\n\r>"),
                   ("relay off 3", b"relay off 3\n\r>"), ("relay read 3", b"relay read 3\n\roff\n\r>")],
                  entry="pdu")
    with pytest.raises(InstrumentError) as err:
        board.outputs_off({0: False, 1: True, 2: False, 3: False})
    message = str(err.value)
    assert "pdu" in message and "relay 1:" in message and "relay 2: still on" in message
    assert "relay 0" not in message and "relay 3" not in message
    assert board._port.exchanges == []  # every channel was tried


# ---- simulator round trips ---------------------------------------------------------------------
@pytest.fixture
def sim():
    changes: list[tuple[int, bool]] = []
    with RelayBoardSimulator(channels=8, on_change=lambda c, s: changes.append((c, s))) as board:
        board.changes = changes  # type: ignore[attr-defined]
        yield board


def test_round_trip_and_on_change(sim: RelayBoardSimulator) -> None:
    with NumatoRelay("estop", sim.url, timeout_s=1.0) as board:
        assert board.identify().firmware == "00000008"
        board.set(2, True)
        board.set(2, True)  # no change, no callback
        assert board.get(2) is True and sim.state(2) is True
        board.set(2, False)
        assert board.get(2) is False
        board.pulse(5, 0.02)
        board.outputs_off({0: False, 7: True})
    assert sim.changes == [(2, True), (2, False), (5, True), (5, False), (7, True)]  # type: ignore[attr-defined]
    assert sim.commands[-2:] == ["relay on 7", "relay read 7"]


def test_simulator_readall_writeall_and_unknown() -> None:
    with RelayBoardSimulator(channels=16) as board:
        assert board.execute("relay writeall 8001") is None
        assert board.execute("relay readall") == "8001"
        assert board.execute("relay read F") == "on"
        assert board.execute("frobnicate") is None
        with socket.create_connection(board.address) as conn:
            conn.sendall(b"relay read 0\r")
            data = b""
            while not data.endswith(b">"):
                data += conn.recv(100)
            assert data == b"relay read 0\n\ron\n\r>"


def test_stalled_board_times_out_naming_the_entry(sim: RelayBoardSimulator) -> None:
    with NumatoRelay("estop-bench2", sim.url, timeout_s=0.15) as board:
        sim.stalled = True
        start = time.monotonic()
        with pytest.raises(InstrumentTimeout, match=r"estop-bench2.*relay on 1"):
            board.set(1, True)
        assert time.monotonic() - start < 1.0
        sim.stalled = False
        assert board.get(1) is True  # the late state is readable once it answers again


def test_crash_is_unreachable_or_timeout(sim: RelayBoardSimulator) -> None:
    board = NumatoRelay("estop", sim.url, timeout_s=0.2).open()
    sim.crash()
    with pytest.raises((InstrumentUnreachable, InstrumentTimeout), match="estop"):
        board.set(0, True)
    board.close()


def test_unreachable_url_names_the_entry() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(InstrumentUnreachable, match=rf"pdu-rack.*socket://127.0.0.1:{port}"):
        NumatoRelay("pdu-rack", f"socket://127.0.0.1:{port}").open()
    with pytest.raises(InstrumentUnreachable, match="pdu-rack"):
        NumatoRelay("pdu-rack", "/dev/does-not-exist-ttyACM9").open()


def test_outputs_off_on_closed_session_opens_it(sim: RelayBoardSimulator) -> None:
    sim.execute("relay on 4")
    board = NumatoRelay("estop", sim.url)
    board.outputs_off({4: False})
    assert sim.state(4) is False
    board.close()


def test_concurrent_callers_keep_exchanges_together(sim: RelayBoardSimulator) -> None:
    with NumatoRelay("estop", sim.url) as board:
        errors: list[BaseException] = []

        def worker(channel: int) -> None:
            try:
                for k in range(20):
                    board.set(channel, k % 2 == 0)
                    assert board.get(channel) is (k % 2 == 0)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(c,)) for c in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
