"""The EV-side backends behind EvSide: the in-process EmulatedEv, the serial EV emulator box
through pyserial's socket:// to EvBoxSimulator (coupled to the emulated EVSE pilot), and the
SCPI EV emulator against recorded transcripts."""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

import pytest

from harness.emulator.pilot import EvsePilot, EvsePilotTiming
from harness.ev.emulated import EmulatedEv
from harness.ev.scpi_box import ScpiEvEmulator
from harness.ev.serial_box import BoxClock, SerialEvBox
from harness.ev.side import EvSide
from harness.protocols import pilot as cp
from instruments.errors import (
    InstrumentError,
    InstrumentReportedError,
    InstrumentTimeout,
    InstrumentUnreachable,
)
from instruments.replay import replay_transport
from instruments.sim.ev_box import EvBoxSimulator
from instruments.transcript import Transcript

TIMING = EvsePilotTiming(scale=0.05)


async def until(predicate, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.005)


async def full_session(ev: EvSide, pilot: EvsePilot) -> None:
    """What a suite does: plug, wait for PWM, C, fault, unplug — checked from the EV's side."""
    t0 = time.monotonic()
    await ev.connect(1, 1)
    assert pilot.pp == "latched" and pilot.ev_state == "B"

    async def pwm() -> bool:
        return (await ev.read_pilot()).oscillating

    await until(pwm)
    reading = await ev.read_pilot()
    assert reading.duty_pct == pytest.approx(5.0) and reading.frequency_hz == pytest.approx(1000)
    assert reading.high_v == pytest.approx(8.98, abs=0.02) and reading.low_v == pytest.approx(-12.0)
    assert t0 - 0.05 <= reading.at <= time.monotonic() + 0.05
    await ev.set_cp_state("C")

    async def energized() -> bool:
        return pilot.energized_allowed

    await until(energized)
    inlet = await ev.read_inlet()
    assert inlet.dc_voltage_v == pytest.approx(400.0)
    await ev.inject_fault("diode_short")

    async def in_f() -> bool:
        return pilot.state == "F"

    await until(in_f)
    reading = await ev.read_pilot()
    shorted_c = cp.cp_voltage(-cp.SOURCE_V, cp.EV_RESISTANCE_OHM["C"], diode=False)  # ≈ -5.62 V
    assert not reading.oscillating and reading.high_v == pytest.approx(shorted_c, abs=0.02)
    await ev.inject_fault(None)
    await ev.set_cp_state("E")
    assert pilot.cp_pe_short
    await ev.set_cp_state("B")
    assert not pilot.cp_pe_short
    await ev.set_pp("pressed")
    assert pilot.pp == "pressed"
    await ev.disconnect()
    assert (pilot.ev_state, pilot.pp, pilot.diode_short) == ("A", "open", False)


# ---- emulated --------------------------------------------------------------------------------
async def test_emulated_ev_full_session() -> None:
    pilot = EvsePilot(1, 1, timing=TIMING, dc_voltage=lambda: 400.0)
    ev = EmulatedEv(pilot)
    await full_session(ev, pilot)
    pilot.close()


async def test_emulated_ev_checks_its_cable_and_inputs() -> None:
    pilot = EvsePilot(1, 2, timing=TIMING)
    ev = EmulatedEv(pilot)
    with pytest.raises(ValueError, match="connector 2"):
        await ev.connect(1, 1)
    await ev.connect(1, 2, "cNACS", "CCS1-to-J3400")
    assert (pilot.connector_type, pilot.adapter) == ("cNACS", "CCS1-to-J3400")
    with pytest.raises(ValueError):
        await ev.set_cp_state("F")
    with pytest.raises(ValueError):
        await ev.connect(1, 2, "cType2")
    pilot.close()


# ---- serial box through socket:// --------------------------------------------------------
@pytest.fixture
def box_bench():
    pilot = EvsePilot(1, 1, timing=TIMING, dc_voltage=lambda: 400.0)
    sim = EvBoxSimulator(pilot).start()
    yield pilot, sim
    sim.stop()
    pilot.close()


async def test_serial_box_full_session(box_bench) -> None:
    pilot, sim = box_bench
    transcript = Transcript()
    box = SerialEvBox("ev-box", sim.url, transcript=transcript, timeout_s=0.5)
    await asyncio.to_thread(box.open)
    assert box.version == "1.0"
    assert box.identify().model == "Simulated EV emulator box"
    await full_session(box, pilot)
    assert abs(box.clock.uncertainty_s) < 0.05
    lines = [(e.direction, e.text) for e in transcript.since()]
    assert (">", "VER 1") in lines and (">", "CP B") in lines and (">", "FAULT DIODE_SHORT") in lines
    assert all(e.entry == "ev-box" for e in transcript.since())
    await box.close()
    assert sim.lines[-1] == "SAFE" and not box.is_open


async def test_serial_box_times_map_to_host_time_across_the_wrap(box_bench) -> None:
    pilot, _ = box_bench
    sim = EvBoxSimulator(pilot, clock_offset_ms=2 ** 32 - 150).start()  # wraps 150 ms in
    try:
        box = SerialEvBox("ev-box", sim.url, timeout_s=0.5)
        await asyncio.to_thread(box.open)
        first = await box.read_inlet()
        assert abs(first.at - time.monotonic()) < 0.05
        await asyncio.sleep(0.25)
        after = await box.read_pilot()
        assert sim.box_ms() < 2 ** 31  # the box clock did wrap
        assert after.at - first.at == pytest.approx(0.25, abs=0.05)
        assert abs(after.at - time.monotonic()) < 0.05
        await box.close()
    finally:
        sim.stop()


def test_box_clock_unwraps_and_keeps_the_best_round_trip() -> None:
    clock = BoxClock()
    clock.sample(10.000, 10.010, 1000)  # rtt 10 ms
    clock.sample(10.100, 10.102, 1101)  # rtt 2 ms: wins
    assert clock.offset_s == pytest.approx(10.101 - 1.101)
    clock.sample(10.200, 10.250, 1200)  # rtt 50 ms: ignored
    assert clock.uncertainty_s == pytest.approx(0.001)
    near_end = 2 ** 32 - 10
    assert clock.box_seconds(near_end) == pytest.approx(near_end / 1000)
    assert clock.box_seconds(5) == pytest.approx((2 ** 32 + 5) / 1000)
    assert clock.box_seconds(near_end + 2) == pytest.approx((near_end + 2) / 1000)  # a late pre-wrap value
    assert BoxClock().box_seconds(42) == 0.042
    with pytest.raises(RuntimeError):
        BoxClock().to_host(0)


async def test_serial_box_errors_name_the_entry(box_bench) -> None:
    _, sim = box_bench
    box = SerialEvBox("ev-box", sim.url, timeout_s=0.3)
    await asyncio.to_thread(box.open)
    with pytest.raises(InstrumentError, match=r"'ev-box'.*CONNECTOR CCS2") as refused:
        await asyncio.to_thread(box.command, "CONNECTOR CCS2")
    assert "ERR 2" in str(refused.value)
    with pytest.raises(ValueError):
        await box.set_cp_state("X")  # refused before anything is sent
    sim.stalled = True
    with pytest.raises(InstrumentTimeout, match=r"'ev-box'.*PWM\?"):
        await box.read_pilot()
    sim.stalled = False
    sim.crash()
    await asyncio.sleep(0.05)
    with pytest.raises((InstrumentUnreachable, InstrumentTimeout)):
        await box.read_pilot()
    await box.close()


def test_serial_box_unreachable_and_wrong_protocol(box_bench) -> None:
    _, sim = box_bench
    with pytest.raises(InstrumentUnreachable, match="'ev-box'"):
        SerialEvBox("ev-box", "socket://127.0.0.1:1", timeout_s=0.2).open()
    sim.versions = ("2.0",)
    with pytest.raises(InstrumentError, match="does not speak EV emulator protocol v1"):
        SerialEvBox("ev-box", sim.url, timeout_s=0.3).open()


def test_box_simulator_protocol_details(box_bench) -> None:
    pilot, _ = box_bench
    sim = EvBoxSimulator(pilot, connectors=("CCS1",))
    assert sim.execute("CP B") == "ERR 3 send VER first"
    assert sim.execute("VER 2").startswith("ERR 5")
    assert sim.execute("VER 1") == "OK 1.0"
    assert sim.execute("VER?") == "VER 1.0"
    assert sim.execute("CONNECTOR NACS").startswith("ERR 4")
    assert sim.execute("CONNECTOR CCS1 J3400-TO-CCS1").startswith("OK ")
    assert pilot.adapter == "J3400-to-CCS1"
    assert sim.execute("pp latched").startswith("OK ")
    assert float(sim.execute("PP?").split()[1]) == pytest.approx(cp.pp_voltage("latched"), abs=0.01)
    assert sim.execute("CP C").startswith("OK ") and sim.execute("CP?").split()[1] == "C"
    assert sim.execute("CP X").startswith("ERR 2")
    assert sim.execute("FAULT").startswith("ERR 2")
    assert sim.execute("JUMP").startswith("ERR 1")
    assert sim.execute("SAFE").startswith("OK ") and pilot.ev_state == "A" and pilot.pp == "open"


# ---- SCPI EV emulator by replay ----------------------------------------------------------------
async def test_scpi_ev_emulator_transcript() -> None:
    transport = replay_transport([
        ("EV:CONN:TYPE NACS", None), ("EV:CONN:ADAP J3400-TO-CCS1", None), ("EV:PP LATCHED", None),
        ("EV:CP:STATE B", None),
        ("MEAS:CP:FREQ?", "1000.2"), ("MEAS:CP:DUTY?", "5.01"), ("MEAS:CP:VOLT:HIGH?", "8.97"),
        ("MEAS:CP:VOLT:LOW?", "-11.98"),
        ("EV:CP:STATE C", None), ("MEAS:INLET:VOLT?", "401.5"),
        ("EV:FAULT DIODE", None), ("MEAS:CP:FREQ?", "0"), ("MEAS:CP:DUTY?", "0"),
        ("MEAS:CP:VOLT:HIGH?", "-8.8"), ("MEAS:CP:VOLT:LOW?", "-8.8"),
        ("EV:FAULT NONE", None), ("EV:PP PRESSED", None), ("EV:CP:STATE E", None),
        ("EV:FAULT NONE", None), ("EV:CP:STATE A", None), ("EV:PP OPEN", None), ("EV:SAFE", None),
    ], entry="scpi-ev", auto_errors="SYST:ERR?")
    link = transport._link
    ev = ScpiEvEmulator(transport)
    await ev.connect(1, 1, "cNACS", "J3400-to-CCS1")
    before = time.monotonic()
    reading = await ev.read_pilot()
    assert reading.oscillating and reading.duty_pct == 5.01 and reading.frequency_hz == 1000.2
    assert (reading.high_v, reading.low_v) == (8.97, -11.98) and reading.at >= before
    await ev.set_cp_state("C")
    assert (await ev.read_inlet()).dc_voltage_v == 401.5
    await ev.inject_fault("diode_short")
    reading = await ev.read_pilot()
    assert not reading.oscillating and reading.frequency_hz == 0.0 and reading.high_v == -8.8
    await ev.inject_fault(None)
    await ev.set_pp("pressed")
    await ev.set_cp_state("E")
    await ev.disconnect()
    await ev.close()
    link.assert_done()
    assert link.closed


async def test_scpi_ev_emulator_refusal_names_the_entry() -> None:
    transport = replay_transport([("EV:CP:STATE D", None), ("SYST:ERR?", '-222,"Data out of range"'),
                                  ("SYST:ERR?", '0,"No error"')], entry="scpi-ev")
    ev = ScpiEvEmulator(transport)
    with pytest.raises(InstrumentReportedError, match=r"'scpi-ev'.*EV:CP:STATE D.*-222"):
        await ev.set_cp_state("D")


async def test_scpi_dialect_by_subclassing() -> None:
    class AcmeEv(ScpiEvEmulator):
        COMMANDS: ClassVar[dict[str, str]] = {**ScpiEvEmulator.COMMANDS,
                                              "cp_state": "SIM:PILOT:STATE {state}"}

    transport = replay_transport([("SIM:PILOT:STATE C", None)], auto_errors="SYST:ERR?")
    await AcmeEv(transport).set_cp_state("C")
    transport._link.assert_done()
