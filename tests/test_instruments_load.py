"""DC load drivers (EA PSB/ELR 10000, Chroma 63200A, ITECH IT-M3900) and their simulators:
recorded-transcript tests pin each dialect, limit tests prove nothing is sent beyond the bench
limits, round trips go through real pyvisa to the simulators, and the simulators are coupled
to a DC port (a fake here, and once to the real DcPlant)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from instruments.errors import IdentityMismatch, InstrumentReportedError, SafetyLimitError, UnsupportedFeature
from instruments.limits import Limits
from instruments.load import FAMILIES, Chroma63200A, EaElr10000, EaPsb10000, ItechM3900
from instruments.load.common import LoadDriver, parse_quantity
from instruments.replay import ReplayLink, replay_transport
from instruments.roles import DcLoad
from instruments.sim.chroma import ChromaSimulator
from instruments.sim.ea import EaSimulator
from instruments.sim.itech import ItechSimulator
from instruments.sim.load import LoadSimulator
from instruments.sim.plant import DcPlant
from instruments.transport import ScpiTransport

LIMITS = Limits(max_voltage_v=1000.0, max_current_a=100.0, max_power_w=40_000.0,
                where="instruments.load1.limits")
PSB_IDN = "EA Elektro-Automatik GmbH & Co. KG, PSB 11000-80 4U, 2238310001, V3.02 14.02.2023"
ELR_IDN = "EA Elektro-Automatik GmbH & Co. KG, ELR 11000-80 4U, 2238310002, V3.02 14.02.2023"
CHROMA_IDN = "Chroma ATE,63206A-150-600,632060000123,01.02"
ITECH_IDN = "ITECH Ltd., IT-M3906D-1500-80, 800123011797210001, 1.05-1.03"


class FakePort:
    """A DcPort whose readings the test sets; records every set_sink."""

    port = 1

    def __init__(self, volts: float = 0.0, amps: float = 0.0) -> None:
        self.volts, self.amps = volts, amps
        self.calls: list[dict[str, object]] = []
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic()

    def set_sink(self, **kwargs: object) -> None:
        with self._lock:
            self.calls.append(kwargs)

    def measure(self, window_s: float = 0.05) -> tuple[float, float]:
        return self.volts, self.amps

    @property
    def last(self) -> dict[str, object]:
        with self._lock:
            return self.calls[-1]


def replay(driver: type[LoadDriver], exchanges: list[tuple[str, str | None]],
           limits: Limits = LIMITS) -> tuple[LoadDriver, ReplayLink]:
    transport = replay_transport(exchanges, entry="load1", auto_errors="SYST:ERR?")
    assert isinstance(transport._link, ReplayLink)
    return driver(transport, limits), transport._link


def wait_for(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


# ---- registry and parsing -----------------------------------------------------------------
def test_families_map_bench_names_to_dcload_classes() -> None:
    expected = {"ea-psb10000": EaPsb10000, "ea-elr10000": EaElr10000,
                "chroma-63200a": Chroma63200A, "itech-m3900": ItechM3900}
    assert expected == FAMILIES
    for family, cls in FAMILIES.items():
        assert issubclass(cls, DcLoad) and cls.family == family and cls.role == "load"
    assert EaPsb10000.can_emulate_battery and ItechM3900.can_emulate_battery
    assert not EaElr10000.can_emulate_battery and not Chroma63200A.can_emulate_battery


@pytest.mark.parametrize(("text", "value"), [("400.12 V", 400.12), ("3.5kW", 3500.0), ("-100.05A", -100.05),
                                             ("40020 W", 40020.0), ("1.5E+02", 150.0), (" 12.5V", 12.5)])
def test_parse_quantity_reads_numbers_with_units(text: str, value: float) -> None:
    assert parse_quantity(text) == pytest.approx(value)


# ---- EA -----------------------------------------------------------------------------------
def test_psb_transcript() -> None:
    load, link = replay(EaPsb10000, [
        ("*IDN?", PSB_IDN),
        ("SYST:LOCK ON", None),
        ("SOUR:CURR 0", None),
        ("SYST:CONF:MODE UIP", None),
        ("SOUR:VOLT 400", None),
        ("SINK:CURR 50.5", None),
        ("SINK:POW 20000", None),
        ("SOUR:VOLT:PROT 450", None),
        ("SINK:CURR:PROT 60", None),
        ("SINK:POW:PROT 25000", None),
        ("OUTP ON", None),
        ("OUTP?", "ON"),
        ("MEAS:ARR?", "400.12 V, -50.05 A, -20026 W"),
        ("STAT:QUES:COND?", "3072"),
        ("OUTP OFF", None),
    ])
    load.check_identity()
    load.initialize()
    load.set_mode("CC")
    load.set_voltage(400)
    load.set_current(50.5)
    load.set_power(20_000)
    load.set_protection(ovp_v=450, ocp_a=60, opp_w=25_000)
    load.set_input(True)
    assert load.input_on() is True
    assert load.measure() == pytest.approx((400.12, 50.05, 20026.0))  # sinking reads positive
    assert load.alarms() == 3072
    load.outputs_off()
    link.assert_done()
    with pytest.raises(UnsupportedFeature, match="slew"):
        load.set_slew(1000)


def test_elr_transcript_uses_input_and_plain_source_setpoints() -> None:
    load, link = replay(EaElr10000, [
        ("SYST:LOCK ON", None),
        ("SYST:CONF:MODE UIR", None),
        ("SOUR:RES 4.5", None),
        ("SOUR:CURR 80", None),
        ("SOUR:POW 30000", None),
        ("SOUR:VOLT:PROT 900", None),
        ("SOUR:CURR:PROT 90", None),
        ("SOUR:POW:PROT 35000", None),
        ("INP ON", None),
        ("INP?", "OFF"),
        ("MEAS:ARR?", "12.5V, 33.3A, 0.42kW"),
        ("INP OFF", None),
    ])
    load.initialize()
    load.set_mode("CR")
    load.set_resistance(4.5)
    load.set_current(80)
    load.set_power(30_000)
    load.set_protection(ovp_v=900, ocp_a=90, opp_w=35_000)
    load.set_input(True)
    assert load.input_on() is False
    assert load.measure() == pytest.approx((12.5, 33.3, 420.0))
    load.set_input(False)
    link.assert_done()


BEYOND_LIMITS: dict[str, Callable[[LoadDriver], None]] = {
    "current": lambda load: load.set_current(100.5),
    "voltage": lambda load: load.set_voltage(1000.1),
    "power": lambda load: load.set_power(40_001),
    "ovp": lambda load: load.set_protection(ovp_v=1200),
    "ocp": lambda load: load.set_protection(ovp_v=500, ocp_a=150),
    "nan": lambda load: load.set_current(float("nan")),
}


@pytest.mark.parametrize("what", list(BEYOND_LIMITS))
@pytest.mark.parametrize("driver", [EaPsb10000, EaElr10000, ItechM3900, Chroma63200A])
def test_beyond_limit_setpoints_send_nothing(driver: type[LoadDriver], what: str) -> None:
    load, link = replay(driver, [])
    load.mode = "CC"
    refused = (SafetyLimitError, UnsupportedFeature) if (
        (driver is ItechM3900 and what == "power") or (driver is Chroma63200A and what in ("ovp", "ocp"))
    ) else SafetyLimitError  # a family without the feature refuses it before any check, too
    with pytest.raises(refused, match="load1"):
        BEYOND_LIMITS[what](load)
    assert link.written == []


@pytest.mark.parametrize("driver", [EaPsb10000, Chroma63200A, ItechM3900])
def test_current_is_checked_as_power_at_the_voltage_setpoint(driver: type[LoadDriver]) -> None:
    load, link = replay(driver, [])
    load.voltage_setpoint_v = 800.0  # as left by set_voltage(800)
    load.mode = "CC"
    with pytest.raises(SafetyLimitError, match="power 56000 W"):
        load.set_current(70)  # 70 A is within the current limit, 56 kW is not
    assert link.written == []


@pytest.mark.parametrize(("driver", "idn"), [(EaPsb10000, ELR_IDN), (EaElr10000, PSB_IDN),
                                             (Chroma63200A, PSB_IDN), (ItechM3900, CHROMA_IDN),
                                             (EaPsb10000, ITECH_IDN)])
def test_wrong_identity_names_the_entry(driver: type[LoadDriver], idn: str) -> None:
    load, link = replay(driver, [("*IDN?", idn)])
    with pytest.raises(IdentityMismatch, match="'load1'.*" + driver.family):
        load.check_identity()
    assert link.written == ["*IDN?"]


def test_outputs_off_tolerates_an_instrument_that_is_already_off() -> None:
    transport = replay_transport([
        ("INP OFF", None), ("SYST:ERR?", '-201,"Invalid while in local"'), ("SYST:ERR?", '0,"No error"'),
        ("INP?", "OFF"),
    ], entry="load1")
    EaElr10000(transport, LIMITS).outputs_off()  # refused, but off: the safe state, no error
    transport = replay_transport([
        ("INP OFF", None), ("SYST:ERR?", '-201,"Invalid while in local"'), ("SYST:ERR?", '0,"No error"'),
        ("INP?", "ON"),
    ], entry="load1")
    with pytest.raises(InstrumentReportedError, match="load1"):
        EaElr10000(transport, LIMITS).outputs_off()


# ---- Chroma ---------------------------------------------------------------------------------
def test_chroma_transcript_picks_the_range_from_the_setpoint() -> None:
    limits = Limits(max_voltage_v=150.0, max_current_a=600.0, max_power_w=6000.0)
    load, link = replay(Chroma63200A, [
        ("*IDN?", CHROMA_IDN),
        ("MODE CCH", None),
        ("CURR:STAT:L1 300", None),  # above 1/10 of 600 A: stays in the high range
        ("CURR:STAT:RISE 2.5", None),  # 2.5 A/µs
        ("CURR:STAT:FALL 2.5", None),
        ("MODE CCL", None),
        ("CURR:STAT:L1 20", None),
        ("MODE CCH", None),
        ("CURR:STAT:L1 61", None),
        ("MODE CVH", None),
        ("MODE CVL", None),  # 150 V rating: low range is up to 15 V
        ("VOLT:STAT:L1 14", None),
        ("VOLT:STAT:ILIM 100", None),  # in CV the current is a limit
        ("MODE CPH", None),
        ("POW:STAT:L1 5000", None),
        ("MODE CRH", None),
        ("RES:STAT:L1 2.5", None),
        ("LOAD ON", None),
        ("LOAD?", "ON"),
        ("MEAS:VOLT?", "120.512"),
        ("MEAS:CURR?", "20.013"),
        ("MEAS:POW?", "2411.81"),
        ("LOAD:PROT?", "0"),
        ("LOAD OFF", None),
    ], limits)
    load.check_identity()
    assert (load.rated_voltage_v, load.rated_current_a) == (150.0, 600.0)
    load.set_mode("CC")
    load.set_current(300)
    load.set_slew(2.5e6)
    load.set_current(20)
    load.set_current(61)
    load.set_mode("CV")
    load.set_voltage(14)
    with pytest.raises(ValueError, match="mode"):
        load.set_mode("CZ")
    load.set_current(100)
    load.set_mode("CP")
    load.set_power(5000)
    load.set_mode("CR")
    load.set_resistance(2.5)
    load.set_input(True)
    assert load.input_on()
    assert load.measure() == pytest.approx((120.512, 20.013, 2411.81))
    assert load.protection_status() == 0
    load.outputs_off()
    link.assert_done()


def test_chroma_refuses_protection_levels_and_limits_before_io() -> None:
    load, link = replay(Chroma63200A, [])
    load.set_protection()  # nothing asked, nothing done
    with pytest.raises(UnsupportedFeature, match="OVP"):
        load.set_protection(ovp_v=100)
    with pytest.raises(SafetyLimitError):
        load.set_current(101)
    with pytest.raises(SafetyLimitError):
        load.set_voltage(1001)
    assert link.written == []


# ---- ITECH --------------------------------------------------------------------------------
def test_itech_transcript() -> None:
    load, link = replay(ItechM3900, [
        ("*IDN?", ITECH_IDN),
        ("SYST:REM", None),
        ("FUNC VOLT", None),
        ("VOLT 400", None),
        ("CURR:LIM:NEG -50", None),
        ("VOLT:PROT 450", None),
        ("VOLT:PROT:STAT ON", None),
        ("CURR:PROT 60", None),
        ("CURR:PROT:STAT ON", None),
        ("CURR:SLEW:POS 0.8", None),  # 80 A rating / 100 A/s
        ("CURR:SLEW:NEG 0.8", None),
        ("FUNC CURR", None),
        ("CURR -25", None),
        ("OUTP ON", None),
        ("OUTP?", "1"),
        ("MEAS:VOLT?", "400.1"),
        ("MEAS:CURR?", "-24.99"),
        ("MEAS:POW?", "-9998.5"),
        ("OUTP OFF", None),
    ])
    load.check_identity()
    load.initialize()
    load.set_mode("CV")
    load.set_voltage(400)
    load.set_current(50)
    load.set_protection(ovp_v=450, ocp_a=60)
    load.set_slew(100)
    load.set_mode("CC")
    load.set_current(25)
    load.set_input(True)
    assert load.input_on()
    assert load.measure() == pytest.approx((400.1, 24.99, 9998.5))
    load.outputs_off()
    link.assert_done()


def test_itech_asks_what_it_does_not_know() -> None:
    load, link = replay(ItechM3900, [("FUNC?", "VOLT"), ("CURR:LIM:NEG -10", None),
                                     ("CURR? MAX", "80.0000"), ("CURR:SLEW:POS 0.4", None),
                                     ("CURR:SLEW:NEG 0.4", None)])
    load.set_current(10)
    load.set_slew(200)
    link.assert_done()
    sent = len(link.written)
    for mode in ("CP", "CR"):
        with pytest.raises(UnsupportedFeature, match=mode):
            load.set_mode(mode)
    with pytest.raises(UnsupportedFeature):
        load.set_power(1000)
    assert len(link.written) == sent


# ---- simulators without a network --------------------------------------------------------------
def test_ea_simulator_needs_remote_and_reports_ea_errors() -> None:
    port = FakePort(400.0, 0.0)
    sim = EaSimulator(port, "ELR 10000", max_voltage_v=1000, max_current_a=80, max_power_w=30_000)
    sim.handle("SOUR:CURR 10")
    sim.handle("BOGUS:CMD 1")
    assert sim.handle("SYST:ERR?;SYST:ERR?;SYST:ERR?") == [
        b'-221,"Settings conflict"', b'-100,"Command error"', b'0,"No error"']
    sim.handle("SYST:LOCK ON;SOUR:CURR 10;SOUR:VOLT 300V;SOUR:POW 3.5kW;OUTP ON")
    assert sim.handle("SOUR:CURR?;SOUR:VOLT?;SOUR:POW?") == [b"10.00 A", b"300.00 V", b"3500 W"]
    assert sim.handle("SYST:ERR?") == [b'-100,"Command error"']  # the ELR has no OUTPut
    sim.handle("SOUR:CURR 90")  # > 102 % of 80 A
    assert sim.handle("SYST:ERR?;SOUR:CURR?") == [b'-222,"Data out of range"', b"10.00 A"]
    assert sim.state()["mode"] == "CP" and port.last["voltage_v"] is None  # written last: the power


def test_ea_reset_keeps_set_values_like_the_real_unit() -> None:
    sim = EaSimulator(FakePort(), "PSB 10000", max_voltage_v=1000, max_current_a=80, max_power_w=30_000)
    sim.handle("SYST:LOCK ON;SINK:CURR 20;SOUR:VOLT 400;OUTP ON")
    assert sim.state()["input_on"]
    sim.handle("SYST:LOCK OFF;*RST")
    assert sim.handle("OUTP?;SYST:LOCK:OWN?;SINK:CURR?;SOUR:VOLT?") == [
        b"OFF", b"REMOTE", b"20.00 A", b"400.00 V"]


def test_chroma_simulator_ignores_values_beyond_the_range_and_resets() -> None:
    port = FakePort()
    sim = ChromaSimulator(port, max_voltage_v=150, max_current_a=600, max_power_w=6000)
    assert sim.identity.startswith("Chroma ATE,63206A-150-600,")
    sim.handle("MODE CCL;CURR:STAT:L1 50;CURR:STAT:L1 70;LOAD ON")  # 70 A is beyond CCL (60 A)
    assert sim.handle("CURR:STAT:L1?;MODE?;LOAD?") == [b"50.0000", b"CCL", b"ON"]
    assert port.last == {"enabled": True, "mode": "CC", "setpoint": 50.0, "voltage_v": None,
                         "slew_a_per_s": 1e6}
    sim.handle("CURR:STAT:L3 1")
    sim.handle("NOPE")
    assert sim.handle("SYST:ERR?;SYST:ERR?") == [b'-113,"Undefined header"', b'-113,"Undefined header;NOPE"']
    sim.handle("*RST")
    assert sim.handle("LOAD?;MODE?;CURR:STAT:L1?") == [b"OFF", b"CCH", b"0.0000"]
    assert port.last["enabled"] is False


def test_itech_simulator_maps_priorities_to_the_port() -> None:
    port = FakePort()
    sim = ItechSimulator(port, max_voltage_v=1500, max_current_a=80, max_power_w=6000)
    assert sim.identity.startswith("ITECH Ltd., IT-M3906D-1500-80,")
    sim.handle("FUNC VOLT;VOLT 420;CURR:LIM:NEG -60;OUTP ON")
    assert port.last == {"enabled": True, "mode": "CV", "setpoint": 420.0, "voltage_v": 420.0,
                         "slew_a_per_s": 800.0}
    sim.handle("FUNC CURR;CURR -30;CURR:SLEW:POS 0.4")
    assert port.last["mode"] == "CC" and port.last["setpoint"] == 30.0 and port.last["slew_a_per_s"] == 200.0
    assert sim.handle("OUTP?;FUNC?;CURR? MAX") == [b"1", b"CURR", b"80.0000"]
    sim.handle("XYZ")
    assert sim.handle("SYST:ERR?") == [b'-113,"Undefined header;XYZ"']


# ---- round trips through pyvisa ---------------------------------------------------------------
@pytest.fixture
def fake_port() -> FakePort:
    return FakePort(400.0, 0.0)


@contextlib.contextmanager
def serving(sim: LoadSimulator) -> Iterator[LoadSimulator]:
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def includes(state: dict[str, object], expected: dict[str, object]) -> bool:
    return state.items() >= expected.items()


def test_psb_round_trip_and_over_voltage_trip(fake_port: FakePort) -> None:
    with serving(EaSimulator(fake_port, "PSB 10000", max_voltage_v=1000, max_current_a=80,
                                  max_power_w=30_000)) as sim:
        load = EaPsb10000.open("load1", sim.resource, limits=LIMITS)
        try:
            load.set_mode("CC")
            load.set_voltage(400)
            load.set_current(50)
            load.set_protection(ovp_v=450)
            load.set_input(True)
            assert fake_port.last == {"enabled": True, "mode": "CC", "setpoint": 50.0, "voltage_v": 400.0,
                                      "slew_a_per_s": None}
            assert load.input_on() and sim.state()["input_on"]
            fake_port.amps = 50.0
            assert load.measure() == pytest.approx((400.0, 50.0, 20_000.0))
            fake_port.volts = 480.0  # the charger overshoots: the load trips on its own
            wait_for(lambda: sim.state()["tripped"] == "OV")
            assert fake_port.last["enabled"] is False
            assert not load.input_on()
            assert load.alarms() & 1
            with pytest.raises(InstrumentReportedError, match="-200"):
                load.set_input(True)  # not acknowledged yet
            fake_port.volts = 400.0
            assert load.transport.errors() == []  # reading the queue acknowledges the gone alarm
            load.set_input(True)
            assert sim.state()["input_on"] and sim.trips == ["OV"]
            load.outputs_off()
            load.outputs_off()  # already off: still fine
            assert not sim.state()["input_on"] and fake_port.last["enabled"] is False
        finally:
            load.close()


def test_elr_round_trip(fake_port: FakePort) -> None:
    with serving(EaSimulator(fake_port, "ELR 10000", max_voltage_v=1000, max_current_a=80,
                                  max_power_w=30_000)) as sim:
        load = EaElr10000.open("load1", sim.resource, limits=LIMITS)
        try:
            load.set_mode("CV")
            load.set_current(60)
            load.set_voltage(380)
            load.set_input(True)
            assert includes(sim.state(), {"input_on": True, "mode": "CV", "setpoint": 380.0,
                                          "voltage_v": None})
            fake_port.volts, fake_port.amps = 380.0, 42.0
            assert load.measure() == pytest.approx((380.0, 42.0, 15_960.0))
            with pytest.raises(InstrumentReportedError, match="-222"):
                load.set_current(82)  # within the bench limit, beyond 102 % of this ELR
        finally:
            load.outputs_off()
            load.close()


def test_chroma_round_trip(fake_port: FakePort) -> None:
    fake_port.volts = 120.0
    with serving(ChromaSimulator(fake_port, max_voltage_v=150, max_current_a=600, max_power_w=6000)) as sim:
        load = Chroma63200A.open("load1", sim.resource, limits=LIMITS)
        try:
            load.set_mode("CC")
            load.set_slew(1e6)
            load.set_current(20)
            load.set_input(True)
            assert includes(sim.state(), {"input_on": True, "mode": "CC", "setpoint": 20.0,
                                          "slew_a_per_s": pytest.approx(1e6)})
            assert sim.mode == "CCL"
            fake_port.amps = 20.0
            assert load.measure() == pytest.approx((120.0, 20.0, 2400.0))
            fake_port.volts = 160.0  # beyond the 150 V rating
            wait_for(lambda: sim.state()["tripped"] == "OV")
            assert not load.input_on() and load.protection_status() != 0
            load.clear_protection()
            assert load.protection_status() == 0
        finally:
            load.outputs_off()
            load.close()


def test_itech_round_trip_and_protection(fake_port: FakePort) -> None:
    with serving(ItechSimulator(fake_port, max_voltage_v=1500, max_current_a=80, max_power_w=6000)) as sim:
        load = ItechM3900.open("load1", sim.resource, limits=LIMITS)
        try:
            assert load.rated_current_a == 80.0
            load.set_mode("CV")
            load.set_voltage(400)
            load.set_current(50)
            load.set_protection(ovp_v=450, ocp_a=60)
            load.set_slew(400)
            load.set_input(True)
            assert fake_port.last == {"enabled": True, "mode": "CV", "setpoint": 400.0, "voltage_v": 400.0,
                                      "slew_a_per_s": pytest.approx(400.0)}
            fake_port.amps = 30.0
            assert load.measure() == pytest.approx((400.0, 30.0, 12_000.0))
            fake_port.amps = 65.0
            wait_for(lambda: sim.state()["tripped"] == "OC")
            assert not load.input_on() and load.alarms() == 2
            load.clear_protection()
            assert load.alarms() == 0
        finally:
            load.outputs_off()
            load.close()


# ---- coupled to the real plant ----------------------------------------------------------------
def test_psb_simulator_drives_the_dc_plant() -> None:
    plant = DcPlant(port=1)
    plant.set_output(True)  # the charger closes its power path
    with serving(EaSimulator(plant, "PSB 10000", max_voltage_v=1000, max_current_a=80,
                                  max_power_w=30_000)) as sim:
        load = EaPsb10000.open("load1", sim.resource, limits=LIMITS)
        try:
            load.set_mode("CC")
            load.set_voltage(420)
            load.set_current(40)
            load.set_input(True)
            assert plant.sink.enabled and plant.sink.setpoint == 40.0 and plant.sink.voltage_v == 420.0

            def settled() -> bool:
                return abs(load.measure()[1] - 40.0) < 1.0

            wait_for(settled)
            volts, amps, watts = load.measure()
            assert volts == pytest.approx(420.4, abs=2.0) and watts == pytest.approx(volts * amps, rel=0.01)
            load.set_protection(ovp_v=430)
            load.set_voltage(440)  # the battery it presents rises past its own OVP
            wait_for(lambda: sim.state()["tripped"] == "OV")
            assert not plant.sink.enabled and not load.input_on()
        finally:
            load.outputs_off()
            load.close()


def test_transport_of_a_driver_names_the_bench_entry() -> None:
    load, _ = replay(EaPsb10000, [])
    assert isinstance(load.transport, ScpiTransport) and load.entry == "load1"
