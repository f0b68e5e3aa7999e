"""The instrument core: ScpiTransport over real pyvisa-py to a threaded ScpiSimulator (errors,
timeouts, unreachable and crashed instruments, IEEE 488.2 blocks, transcript, resource lock),
the ReplayLink used by driver tests, declarative controls and the bench limits."""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from instruments.base import Instrument
from instruments.errors import (
    InstrumentError,
    InstrumentReportedError,
    InstrumentTimeout,
    InstrumentUnreachable,
    SafetyLimitError,
)
from instruments.limits import Limits
from instruments.properties import control, measurement, strict_discrete_set, strict_range, to_bool
from instruments.replay import ReplayLink, ReplayMismatch, block, replay_transport
from instruments.sim.server import ParamError, ScpiSimulator
from instruments.sim.server import block as sim_block
from instruments.transcript import Transcript
from instruments.transport import Identity, ScpiTransport, parse_error, resource_lock

MARGIN_S = 0.3  # scheduling slack on top of a timeout


class EchoSimulator(ScpiSimulator):
    identity = "Harness,Echo 1000,SN42,2.1,b7"

    def __init__(self) -> None:
        super().__init__()
        self.level = 0.0
        self.command("ECHO", query=self._echo)
        self.command("[SOURce]:LEVel", set=self._set_level, query=lambda a, g: f"{self.level:g}")
        self.command("DATA:BLOCk", query=lambda a, g: sim_block(bytes(range(256)) * 4))
        self.command("DATA:BIG", query=lambda a, g: sim_block(bytes(i % 251 for i in range(1_000_000))))
        self.command("DATA:EMPTy", query=lambda a, g: sim_block(b""))
        self.command("TEXT", query=lambda a, g: "hello")
        self.command("LONG", query=lambda a, g: "x" * 1000)

    def _echo(self, args: str, groups: tuple[str, ...]) -> str:
        time.sleep(0.0005)  # widen the window in which an unlocked client would interleave
        return args

    def _set_level(self, args: str, groups: tuple[str, ...]) -> None:
        value = float(args)
        if not 0 <= value <= 10:
            raise ParamError("Data out of range", -222)
        self.level = value


@pytest.fixture
def sim() -> Iterator[EchoSimulator]:
    simulator = EchoSimulator()
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def transport(sim: EchoSimulator) -> Iterator[ScpiTransport]:
    t = ScpiTransport("dmm1", sim.resource, timeout_s=0.3).open()
    yield t
    t.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- sessions, identity, errors ---------------------------------------------------------------
def test_identify_parses_idn(transport: ScpiTransport) -> None:
    identity = transport.identify()
    assert identity == Identity("Harness", "Echo 1000", "SN42", "2.1,b7", "Harness,Echo 1000,SN42,2.1,b7")
    assert transport.is_open and transport.open() is transport  # opening twice is a no-op


def test_identity_parse_pads_missing_fields() -> None:
    assert Identity.parse("ACME,X1\n") == Identity("ACME", "X1", "", "", "ACME,X1")


def test_write_checks_the_error_queue(sim: EchoSimulator, transport: ScpiTransport) -> None:
    transport.write("LEV 5")
    assert transport.query_float("LEV?") == 5.0
    with pytest.raises(InstrumentReportedError) as info:
        transport.write("LEV 50")
    err = info.value
    assert (err.entry, err.command, err.errors) == ("dmm1", "LEV 50", [(-222, "Data out of range")])
    assert "instrument 'dmm1'" in str(err) and "'LEV 50' was refused: -222,Data out of range" in str(err)
    assert sim.level == 5.0


def test_write_reports_every_queued_error(sim: EchoSimulator, transport: ScpiTransport) -> None:
    with pytest.raises(InstrumentReportedError) as info:
        transport.write("NOPE 1;LEV 99")
    assert [code for code, _ in info.value.errors] == [-113, -222]
    assert transport.errors() == []  # the queue was drained


def test_write_without_check_leaves_the_queue(transport: ScpiTransport) -> None:
    transport.write("NOPE", check=False)
    assert transport.errors() == [(-113, "Undefined header;NOPE")]


def test_query_float_refuses_text(transport: ScpiTransport) -> None:
    with pytest.raises(InstrumentError, match=r"'TEXT\?' answered 'hello', not a number"):
        transport.query_float("TEXT?")


def test_io_on_a_closed_session_names_the_entry(sim: EchoSimulator) -> None:
    t = ScpiTransport("dmm1", sim.resource)
    with pytest.raises(InstrumentError, match=r"instrument 'dmm1' .*'\*IDN\?': the session is not open"):
        t.query("*IDN?")


def test_query_timeout_names_entry_and_command(sim: EchoSimulator, transport: ScpiTransport) -> None:
    sim.stalled = True
    start = time.perf_counter()
    with pytest.raises(InstrumentTimeout) as info:
        transport.query("ECHO? 1")
    elapsed = time.perf_counter() - start
    assert 0.25 <= elapsed < 0.3 + MARGIN_S
    assert info.value.entry == "dmm1"
    assert "no answer to 'ECHO? 1' within 0.3 s" in str(info.value)
    sim.stalled = False
    assert transport.query("ECHO? 2") == "2"  # the session is still usable


def test_per_command_timeout_overrides_and_is_restored(sim: EchoSimulator) -> None:
    with ScpiTransport("dmm1", sim.resource, timeout_s=5.0) as t:
        sim.stalled = True
        start = time.perf_counter()
        with pytest.raises(InstrumentTimeout, match=r"within 0\.15 s"):
            t.query("ECHO? 1", timeout_s=0.15)
        assert time.perf_counter() - start < 0.15 + MARGIN_S
        assert t._link is not None and t._link.timeout == 5000
        sim.stalled = False
        assert t.query("ECHO? 3", timeout_s=1.0) == "3"
        assert t._link.timeout == 5000


def test_unreachable_resource_fails_at_open() -> None:
    port = closed_port()
    transcript = Transcript()
    t = ScpiTransport("load7", f"TCPIP::127.0.0.1::{port}::SOCKET", timeout_s=0.5, transcript=transcript)
    start = time.perf_counter()
    with pytest.raises(InstrumentUnreachable) as info:
        t.open()
    assert time.perf_counter() - start < 0.5 + MARGIN_S
    assert info.value.entry == "load7"
    assert str(info.value).startswith(f"instrument 'load7' (TCPIP::127.0.0.1::{port}::SOCKET): cannot open")
    assert not t.is_open
    assert transcript.since()[-1].direction == "!" and "open failed" in transcript.since()[-1].text


def test_malformed_resource_is_unreachable_too() -> None:
    with pytest.raises(InstrumentUnreachable, match=r"instrument 'x' \(NOT-A-RESOURCE\): cannot open"):
        ScpiTransport("x", "NOT-A-RESOURCE", timeout_s=0.2).open()


def test_crashed_instrument_raises_instead_of_hanging(sim: EchoSimulator, transport: ScpiTransport) -> None:
    assert transport.query("ECHO? 1") == "1"
    sim.crash()
    for _ in range(2):  # the first notices the dead peer, the next fails too
        start = time.perf_counter()
        with pytest.raises((InstrumentError, InstrumentTimeout)) as info:
            transport.query("ECHO? 2")
        assert time.perf_counter() - start < 0.3 + MARGIN_S
        assert info.value.entry == "dmm1" and "ECHO? 2" in str(info.value)


# ---- IEEE 488.2 blocks ------------------------------------------------------------------------
def test_block_transfer(transport: ScpiTransport) -> None:
    assert transport.query_block("DATA:BLOC?") == bytes(range(256)) * 4
    assert transport.query_block("DATA:EMPT?") == b""
    assert transport.query("ECHO? after") == "after"  # the terminator after a block was consumed


def test_one_megabyte_block(transport: ScpiTransport) -> None:
    data = transport.query_block("DATA:BIG?", timeout_s=5.0)
    assert len(data) == 1_000_000 and data == bytes(i % 251 for i in range(1_000_000))
    assert transport.transcript.since()[-1].text == "#<1000000 bytes>"
    assert transport.query("ECHO? next") == "next"


def test_block_query_refuses_a_plain_reply(transport: ScpiTransport) -> None:
    with pytest.raises(InstrumentError, match=r"'TEXT\?': expected a definite-length block, got b'hello'"):
        transport.query_block("TEXT?")
    assert transport.query("ECHO? ok") == "ok"


# ---- transcript ------------------------------------------------------------------------------
def test_transcript_records_commands_replies_and_errors(sim: EchoSimulator) -> None:
    transcript = Transcript()
    with ScpiTransport("dmm1", sim.resource, timeout_s=0.2, transcript=transcript) as t:
        mark = transcript.mark()
        t.query("ECHO? abc")
        with pytest.raises(InstrumentReportedError):
            t.write("LEV 11")
        sim.stalled = True
        with pytest.raises(InstrumentTimeout):
            t.query("ECHO? z")
        sim.stalled = False
        t.query("LONG?")
    entries = [(e.entry, e.direction, e.text) for e in transcript.since(mark)]
    assert entries[:7] == [
        ("dmm1", ">", "ECHO? abc"), ("dmm1", "<", "abc"),
        ("dmm1", ">", "LEV 11"), ("dmm1", ">", "SYST:ERR?"), ("dmm1", "<", '-222,"Data out of range"'),
        ("dmm1", ">", "SYST:ERR?"), ("dmm1", "<", '0,"No error"'),
    ]
    assert entries[7:9] == [("dmm1", ">", "ECHO? z"), ("dmm1", "!", "timeout after 200 ms on 'ECHO? z'")]
    assert entries[10][2] == "x" * 400 + "... (1000 chars)"  # long replies are cut
    assert entries[-1] == ("dmm1", "!", "closed")
    reply = transcript.since(mark)[1]
    assert reply.elapsed_ms > 0 and "dmm1 < abc" in reply.line() and "ms)" in reply.line()
    assert "> ECHO? abc" in transcript.text(mark)


def test_transcript_is_bounded() -> None:
    transcript = Transcript(limit=10)
    for k in range(25):
        transcript.add("dmm1", ">", f"CMD {k}")
    assert len(transcript) == 10
    assert [e.text for e in transcript.since()] == [f"CMD {k}" for k in range(15, 25)]
    mark = transcript.mark()
    transcript.add("dmm1", ">", "LAST")
    assert [e.text for e in transcript.since(mark)] == ["LAST"]


# ---- the resource lock -----------------------------------------------------------------------
def test_resource_lock_is_shared_per_resource(sim: EchoSimulator) -> None:
    a = ScpiTransport("a", sim.resource)
    b = ScpiTransport("b", sim.resource.lower())
    assert a.lock is b.lock is resource_lock(" " + sim.resource + " ")
    assert ScpiTransport("c", "TCPIP::10.9.9.9::5025::SOCKET").lock is not a.lock


def test_concurrent_queries_never_interleave(transport: ScpiTransport) -> None:
    results: dict[int, list[str]] = {0: [], 1: []}
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for k in range(40):
                results[n].append(transport.query(f"ECHO? t{n}-{k}"))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not failures
    for n in (0, 1):
        assert results[n] == [f"t{n}-{k}" for k in range(40)]


def test_a_query_waits_for_the_resource_lock(sim: EchoSimulator, transport: ScpiTransport) -> None:
    done = threading.Event()
    reply: list[str] = []

    def query() -> None:
        reply.append(transport.query("ECHO? waited"))
        done.set()

    with transport.lock:
        thread = threading.Thread(target=query)
        thread.start()
        assert not done.wait(0.1)
        assert "ECHO? waited" not in sim.log  # nothing was sent while another held the lock
    thread.join(timeout=2)
    assert reply == ["waited"]


# ---- parse_error ------------------------------------------------------------------------------
@pytest.mark.parametrize(("reply", "expected"), [
    ('-113,"Undefined header"', (-113, "Undefined header")),
    ('+0,"No error"', (0, "No error")),
    ('0,"No error"\n', (0, "No error")),
    ("-222, Data out of range", (-222, "Data out of range")),
    ('  -100 , "Command error;FOO"  ', (-100, "Command error;FOO")),
    ('201,"Device, specific"', (201, "Device, specific")),
    ("0", (0, "No error")),  # instruments that answer the bare code
    ("+0", (0, "No error")),
])
def test_parse_error(reply: str, expected: tuple[int, str]) -> None:
    assert parse_error(reply) == expected


@pytest.mark.parametrize("reply", ["", "garbage", "No error"])
def test_parse_error_unparseable_is_an_error(reply: str) -> None:
    code, text = parse_error(reply)
    assert code == -1 and "unparseable" in text and repr(reply) in text


# ---- ReplayLink ---------------------------------------------------------------------------------
def test_replay_plays_the_recording() -> None:
    t = replay_transport([("*IDN?", "ACME,X1,1,2"), ("LEV 1", None), ("SYST:ERR?", '0,"No error"'),
                          ("DATA?", block(b"\x00\x01\n"))], entry="dut")
    assert t.identify().model == "X1"
    t.write("LEV 1")
    assert t.query_block("DATA?") == b"\x00\x01\n"
    link = t._link
    assert isinstance(link, ReplayLink)
    link.assert_done()
    assert link.written == ["*IDN?", "LEV 1", "SYST:ERR?", "DATA?"]


def test_replay_wrong_command() -> None:
    link = ReplayLink([("LEV 1", None)])
    with pytest.raises(ReplayMismatch, match=r"^step 0: expected 'LEV 1', driver wrote 'LEV 2'$"):
        link.write("LEV 2")


def test_replay_extra_command() -> None:
    link = ReplayLink([("LEV 1", None)])
    link.write("LEV 1")
    with pytest.raises(ReplayMismatch, match=r"step 1: driver wrote 'LEV 2' after the end of the recorded"):
        link.write("LEV 2")


def test_replay_unread_reply() -> None:
    link = ReplayLink([("A?", "1"), ("B?", "2")])
    link.write("A?")
    with pytest.raises(ReplayMismatch, match=r"step 1: wrote 'B\?' before reading the reply b'1\\n'"):
        link.write("B?")


def test_replay_read_without_reply_and_short_block() -> None:
    link = ReplayLink([("A", None), ("B?", b"#13ab")])
    link.write("A")
    with pytest.raises(ReplayMismatch, match=r"step 1: driver read but the recording has no reply pending "
                                             r"\(after \['A'\]\)"):
        link.read()
    link.write("B?")
    with pytest.raises(ReplayMismatch, match=r"driver read 10 bytes, recording has 5 pending"):
        link.read_bytes(10)


def test_replay_assert_done() -> None:
    link = ReplayLink([("A?", "1"), ("B", None), ("C", None)])
    link.write("A?")
    with pytest.raises(ReplayMismatch, match=r"not finished at step 1: never sent \['B', 'C'\]; "
                                             r"reply left unread b'1\\n'"):
        link.assert_done()
    assert link.read() == "1"
    link.write("B")
    with pytest.raises(ReplayMismatch, match=r"never sent \['C'\]$"):
        link.assert_done()
    link.write("C")
    link.assert_done()


def test_replay_auto_errors() -> None:
    t = replay_transport([("LEV 1", None), ("LEV 99", None), ("SYST:ERR?", '-222,"Data out of range"'),
                          ("SYST:ERR?", '0,"No error"')], auto_errors="SYST:ERR?")
    t.write("LEV 1")  # the error query is answered "no error" without being in the recording
    with pytest.raises(InstrumentReportedError, match=r"'LEV 99' was refused: -222,Data out of range"):
        t.write("LEV 99")  # ... unless the recording has it next
    assert isinstance(t._link, ReplayLink)
    t._link.assert_done()
    assert t._link.written == ["LEV 1", "SYST:ERR?", "LEV 99", "SYST:ERR?", "SYST:ERR?"]


def test_replay_mismatch_surfaces_through_the_transport() -> None:
    t = replay_transport([("A?", "1")])
    with pytest.raises(ReplayMismatch):  # an AssertionError, not swallowed as an InstrumentError
        t.query("B?")


def test_block_helper() -> None:
    assert block(b"abc") == b"#13abc\n"
    assert block(b"x" * 12, termination="") == b"#212" + b"x" * 12
    assert sim_block(b"") == b"#10"


# ---- declarative controls ------------------------------------------------------------------------
class Source(Instrument):
    family = "test-source"
    voltage = control("VOLT?", "VOLT {:g}", "voltage setpoint", validator=strict_range, values=(0, 1500),
                      limit="voltage", unit="V")
    current = control("CURR?", "CURR {:g}", "current setpoint", limit="current", unit="A")
    mode = control("MODE?", "MODE {}", "regulation mode",
                   validator=strict_discrete_set, values=("cc", "cv"),
                   map_values={"cc": "CURR", "cv": "VOLT"})
    output = control("OUTP?", "OUTP {}", "output", cast=to_bool, map_values={True: "ON", False: "OFF"})
    trigger = control(None, "TRIG {}", "trigger source", check_set_errors=False)
    power = measurement("MEAS:POW?", "measured power", unit="W")


LIMITS = Limits(max_voltage_v=1000, max_current_a=100, max_power_w=50_000, where="instruments.src.limits")


def source(exchanges: list[tuple[str, Any]], limits: Limits = LIMITS) -> tuple[Source, ReplayLink]:
    t = replay_transport(exchanges, entry="src", auto_errors="SYST:ERR?")
    assert isinstance(t._link, ReplayLink)
    return Source(t, limits), t._link


def test_control_reads_and_writes() -> None:
    src, link = source([("VOLT 400", None), ("VOLT?", "400.0"), ("MODE CURR", None), ("MODE?", "volt"),
                        ("OUTP ON", None), ("OUTP?", "ON"), ("TRIG BUS", None), ("MEAS:POW?", "1.5E+4")])
    src.voltage = 400
    assert src.voltage == 400.0
    src.mode = "cc"
    assert src.mode == "cv"  # map_values read back case-insensitively
    src.output = True
    assert src.output is True
    src.trigger = "BUS"
    assert src.power == 15_000.0
    link.assert_done()
    assert "SYST:ERR?" in link.written and link.written.count("SYST:ERR?") == 3  # none after TRIG
    assert Source.voltage.name == "voltage" and Source.voltage.__doc__ == "voltage setpoint"


def test_validator_refuses_before_any_write() -> None:
    src, link = source([])
    with pytest.raises(ValueError, match=r"^src: voltage: 2000 is outside the range 0 \.\. 1500$"):
        src.voltage = 2000
    with pytest.raises(ValueError, match=r"^src: mode: 'cp' is not one of \['cc', 'cv'\]$"):
        src.mode = "cp"
    assert link.written == []


@pytest.mark.parametrize(("name", "value", "field"), [
    ("voltage", 1200, "max_voltage_v"), ("current", 150, "max_current_a"), ("current", -150, "max_current_a"),
])
def test_limit_refuses_before_any_write(name: str, value: float, field: str) -> None:
    src, link = source([])
    with pytest.raises(SafetyLimitError) as info:
        setattr(src, name, value)
    assert info.value.entry == "src" and info.value.value == value
    assert f"(instruments.src.limits.{field}); nothing was sent" in str(info.value)
    assert link.written == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_setpoints_are_refused(value: float) -> None:
    src, link = source([])
    with pytest.raises(SafetyLimitError):
        src.current = value
    with pytest.raises(SafetyLimitError):  # even with no limit configured for the quantity
        Source(src.transport, Limits()).current = value
    assert link.written == []


def test_unmapped_values_are_refused() -> None:
    src, link = source([("OUTP?", "MAYBE"), ("VOLT?", "n/a")])
    with pytest.raises(ValueError, match=r"^src: output: 'yes' is not one of \[True, False\]$"):
        src.output = "yes"
    assert link.written == []
    with pytest.raises(ValueError, match=r"src: OUTP\? answered 'MAYBE', expected one of \['ON', 'OFF'\]"):
        _ = src.output
    with pytest.raises(ValueError, match=r"src: VOLT\? answered 'n/a'"):
        _ = src.voltage


def test_measurement_and_set_only_controls() -> None:
    src, link = source([])
    with pytest.raises(AttributeError, match="power is a measurement and cannot be set"):
        src.power = 1
    with pytest.raises(AttributeError, match="trigger can only be set"):
        _ = src.trigger
    assert isinstance(Source.voltage, control)
    assert link.written == []


def test_to_bool() -> None:
    assert [to_bool(x) for x in ("1", "on", " ON\n", "true", "0", "off", "FALSE")] == [
        True, True, True, True, False, False, False]
    with pytest.raises(ValueError, match="not a SCPI boolean"):
        to_bool("2")


# ---- limits -----------------------------------------------------------------------------------------
def test_limits_check() -> None:
    LIMITS.check("src", "voltage", 1000)
    LIMITS.check("src", "current", -100)
    with pytest.raises(SafetyLimitError, match=r"refused power 50001 W: beyond the bench limit 50000 W "
                                               r"\(instruments.src.limits.max_power_w\)"):
        LIMITS.check("src", "power", 50_001)
    Limits().check("src", "power", 1e12)  # no limit given: any finite value


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_limits_refuse_non_finite(value: float) -> None:
    for limits in (LIMITS, Limits()):
        with pytest.raises(SafetyLimitError):
            limits.check("src", "voltage", value)


def test_limits_tighter() -> None:
    instrument = Limits(1200, 520, None, where="instruments.load1.limits")
    port = Limits(1000, 600, 200_000, where="power.ports.1")
    both = instrument.tighter(port)
    assert (both.max_voltage_v, both.max_current_a, both.max_power_w) == (1000, 520, 200_000)
    assert both.where == "instruments.load1.limits / power.ports.1"
    assert port.tighter(instrument).max_current_a == 520
    assert instrument.tighter(Limits()).where == "instruments.load1.limits"
    assert Limits().tighter(port).where == "power.ports.1"
    assert Limits().tighter(Limits()) == Limits()
