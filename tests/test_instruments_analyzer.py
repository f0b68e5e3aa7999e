"""Yokogawa WT5000 / WT1800 driver: recorded transcripts, errors that name the entry, and round
trips through pyvisa to the simulator (a fake DC port, then the real DcPlant)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from instruments.analyzer import WT1800, WT5000
from instruments.errors import IdentityMismatch, InstrumentError, InstrumentReportedError
from instruments.replay import replay_transport
from instruments.roles import DcReading
from instruments.sim.plant import DcPlant
from instruments.sim.yokogawa import YokogawaSimulator, nr3

ERR = ":STAT:ERR?"


class FakePort:
    """A DcPort whose clock, readings and energy the test sets."""

    def __init__(self, port: int = 1, v: float = 400.0, i: float = 100.0) -> None:
        self.port, self.t, self.v, self.i, self.wh = port, 1000.0, v, i, 0.0
        self.windows: list[float] = []

    def now(self) -> float:
        return self.t

    def set_sink(self, **kwargs: object) -> None:
        pass

    def measure(self, window_s: float = 0.05) -> tuple[float, float]:
        self.windows.append(window_s)
        return self.v, self.i

    def sample(self, quantity: str, times: np.ndarray) -> np.ndarray:
        return np.full(len(times), self.v if quantity == "voltage" else self.i)

    def find_edge(self, quantity: str, level: float, slope: str, after: float) -> float | None:
        return None

    def energy_wh(self) -> float:
        return self.wh


def wt5000(exchanges: list, entry: str = "pa1") -> WT5000:
    return WT5000(replay_transport(exchanges, entry=entry, auto_errors=ERR, error_query=ERR))


INIT = [("*CLS", None), (":COMM:HEAD OFF", None), (":COMM:VERB OFF", None), (":NUM:FORM ASC", None)]
CONFIG_1_2 = [(":NUM:NORM:NUM 8", None),
              (":NUM:NORM:ITEM1 UDC,1", None), (":NUM:NORM:ITEM2 IDC,1", None),
              (":NUM:NORM:ITEM3 P,1", None), (":NUM:NORM:ITEM4 WH,1", None),
              (":NUM:NORM:ITEM5 UDC,2", None), (":NUM:NORM:ITEM6 IDC,2", None),
              (":NUM:NORM:ITEM7 P,2", None), (":NUM:NORM:ITEM8 WH,2", None)]
VALUES = "400.125E+00,100.020E+00,40.0205E+03,1.25000E+00,0.00000E+00,0.00000E+00,0.00000E+00,0.00000E+00"


# ---- transcripts --------------------------------------------------------------------------
def test_transcript_identify_initialize_configure_and_read() -> None:
    pa = wt5000([("*IDN?", "YOKOGAWA,WT5000,91Y000001,F1.01"), *INIT, *CONFIG_1_2,
                 (":NUM:NORM:VAL?", VALUES), (":NUM:NORM:VAL?", VALUES)])
    assert pa.check_identity().model == "WT5000"
    pa.initialize()
    pa.configure_dc([1, 2])
    assert pa.read_dc(1) == DcReading(400.125, 100.02, 40020.5)
    assert pa.energy_wh(1) == pytest.approx(1.25)
    pa.transport._link.assert_done()  # type: ignore[union-attr]


def test_transcript_integration_sequence() -> None:
    pa = wt5000([(":INTEG:STAT?", "STAR"), (":INTEG:STOP", None), (":INTEG:RES", None),
                 (":INTEG:MODE NORM", None), (":INTEG:TIM 10000,0,0", None),
                 (":INTEG:STAR", None), (":INTEG:STAT?", "STAR"),
                 (":INTEG:STAT?", "STAR"), (":INTEG:STOP", None),
                 (":INTEG:STAT?", "STOP")])  # outputs_off when already stopped: a query, no STOP
    pa.integration_reset()
    pa.integration_start()
    pa.integration_stop()
    pa.outputs_off()
    pa.transport._link.assert_done()  # type: ignore[union-attr]


def test_refused_command_raises_with_the_error_queue_entry() -> None:
    pa = wt5000([(":INTEG:STAR", None), (ERR, '813,"Cannot be set or executed while integration is running"'),
                 (ERR, '0,"No error"')])
    with pytest.raises(InstrumentReportedError) as err:
        pa.integration_start()
    assert "pa1" in str(err.value) and "813" in str(err.value)


@pytest.mark.parametrize(("field", "words"), [("NAN", "no data"), ("INF", "over range"),
                                              ("-INF", "over range"), ("9.91E+37", "marker")])
def test_nan_and_inf_are_errors_naming_the_item(field: str, words: str) -> None:
    values = VALUES.split(",")
    values[1] = field
    pa = wt5000([*CONFIG_1_2, (":NUM:NORM:VAL?", ",".join(values))], entry="analyzer7")
    pa.configure_dc([1, 2])
    with pytest.raises(InstrumentError) as err:
        pa.read_dc(1)
    assert "analyzer7" in str(err.value) and "ITEM2 (IDC,1)" in str(err.value) and words in str(err.value)


def test_value_count_mismatch_and_unconfigured_element() -> None:
    pa = wt5000([*CONFIG_1_2, (":NUM:NORM:VAL?", "1.0E+00,2.0E+00")])
    with pytest.raises(InstrumentError, match="configure_dc"):
        pa.read_dc(1)
    pa.configure_dc([1, 2])
    with pytest.raises(InstrumentError, match="2 values, 8 items"):
        pa.read_dc(2)


def test_bad_elements_are_refused_before_any_io() -> None:
    pa = WT1800(replay_transport([], entry="pa2", auto_errors=ERR, error_query=ERR))
    for elements in ([7], [0], [], [1, 1]):
        with pytest.raises(ValueError, match="pa2"):
            pa.configure_dc(elements)
    assert pa.transport._link.written == []  # type: ignore[union-attr]


def test_wrong_identity_names_the_entry() -> None:
    pa = wt5000([("*IDN?", "YOKOGAWA,WT1806E-5A3-50A3,91Y000001,F1.01")], entry="meter-dc")
    with pytest.raises(IdentityMismatch) as err:
        pa.check_identity()
    assert "meter-dc" in str(err.value) and "yokogawa-wt5000" in str(err.value)


def test_unknown_integration_state_is_an_error() -> None:
    pa = wt5000([(":INTEG:STAT?", "MAYBE")])
    with pytest.raises(InstrumentError, match="MAYBE"):
        pa.integration_state()


def test_nr3_format() -> None:
    assert nr3(104.75) == "104.750E+00"
    assert nr3(40020.5) == "40.0205E+03"
    assert nr3(-0.38) == "-380.000E-03"
    assert nr3(999.9999) == "1.00000E+03"
    assert nr3(0.0) == "0.00000E+00"
    assert nr3(float("nan")) == "NAN" and nr3(float("inf")) == "INF"


# ---- simulator round trips ------------------------------------------------------------------
@pytest.fixture
def ports() -> dict[int, FakePort]:
    return {1: FakePort(1, 400.0, 100.0), 2: FakePort(2, 800.0, 250.0)}


@pytest.fixture
def sim(ports: dict[int, FakePort]):
    with YokogawaSimulator(ports) as simulator:
        yield simulator


def test_round_trip_readings_and_update_interval(sim: YokogawaSimulator, ports: dict[int, FakePort]) -> None:
    pa = WT5000.open("pa1", sim.resource)
    try:
        assert sim.header is False and sim.verbose is False
        pa.configure_dc([1, 2])
        assert pa.read_dc(1) == DcReading(400.0, 100.0, 40000.0)
        assert pa.read_dc(2) == DcReading(800.0, 250.0, 200000.0)
        assert ports[1].windows[-1] == pytest.approx(0.05)  # the mean over one update interval
        ports[1].v = 500.0  # within the same update interval the data does not change
        assert pa.read_dc(1).voltage_v == 400.0
        ports[1].t += 0.05
        assert pa.read_dc(1).voltage_v == 500.0
        sim.accuracy = 0.001
        ports[1].t += 0.05
        assert pa.read_dc(1).voltage_v == pytest.approx(500.5)
        sim.overrange.add(2)
        with pytest.raises(InstrumentError, match=r"ITEM5 \(UDC,2\).*INF"):
            pa.read_dc(2)
    finally:
        pa.close()


def test_round_trip_integration_state_machine(sim: YokogawaSimulator, ports: dict[int, FakePort]) -> None:
    pa = WT5000.open("pa1", sim.resource)
    try:
        pa.configure_dc([1])
        pa.outputs_off()  # nothing running: no error
        pa.integration_reset()
        assert sim.timer_s == 10000 * 3600 and sim.integ_mode == "NORM"
        ports[1].wh = 5.0  # energy before the start does not count
        pa.integration_start()
        ports[1].wh = 7.5
        assert pa.energy_wh(1) == pytest.approx(2.5)  # running: up to now
        with pytest.raises(InstrumentReportedError, match="813"):
            pa.transport.write(":INTEG:STAR")  # start while started, as on the instrument
        with pytest.raises(InstrumentReportedError, match="813"):
            pa.transport.write(":INTEG:RES")  # reset only when stopped
        pa.integration_stop()
        ports[1].wh = 9.0
        assert pa.energy_wh(1) == pytest.approx(2.5) and pa.integration_state() == "STOP"
        with pytest.raises(InstrumentReportedError, match="844"):
            pa.transport.write(":INTEG:STOP")
        pa.integration_start()  # resumes
        ports[1].wh = 10.0
        pa.integration_stop()
        assert pa.energy_wh(1) == pytest.approx(3.5)
        pa.integration_reset()
        assert pa.energy_wh(1) == 0.0 and pa.integration_state() == "RESET"
    finally:
        pa.close()


def test_integration_timer_ends_in_timeup(sim: YokogawaSimulator, ports: dict[int, FakePort]) -> None:
    pa = WT5000.open("pa1", sim.resource)
    try:
        pa.configure_dc([1])
        pa.integration_reset()
        sim.timer_s = 0.1  # type: ignore[assignment]  # the instrument's resolution is 1 s; keep the test fast
        pa.integration_start()
        ports[1].wh = 1.0
        deadline = time.monotonic() + 2.0
        while pa.integration_state() != "TIMEUP":
            assert time.monotonic() < deadline, "the integration timer did not end the run"
            time.sleep(0.01)
        ports[1].wh = 2.0
        assert pa.energy_wh(1) == pytest.approx(1.0)
        with pytest.raises(InstrumentReportedError):
            pa.transport.write(":INTEG:STAR")  # finished: reset first
        pa.outputs_off()
    finally:
        pa.close()


def test_simulator_error_queue_and_header(sim: YokogawaSimulator) -> None:
    assert sim.handle("*IDN?") == [b"YOKOGAWA,WT5000,91Y000001,F1.01"]
    assert sim.handle(":INTEG:STAT?") == [b":INTEG:STAT RESET"]  # power-on: header and verbose on
    sim.handle(":FOO:BAR 1")
    sim.handle(":SYST:ERR?")  # the WT series has no SYSTem:ERRor
    assert sim.handle(":STAT:ERR?") == [b':STAT:ERR 113,"Undefined header;:FOO:BAR"']
    assert sim.handle(":STAT:ERR?")[0].startswith(b':STAT:ERR 113,"Undefined header;:SYST:ERR?')
    sim.handle(":COMM:HEAD OFF;:COMM:VERB OFF")
    assert sim.handle(":STAT:ERR?") == [b'0,"No error"']
    assert sim.handle(":INTEG:STAT?") == [b"RES"]
    sim.handle(":NUM:NORM:ITEM1 UDC,8")  # a WT5000 has 7 elements
    assert sim.handle(":STAT:ERR?") == [b'222,"Data out of range"']
    sim.handle(":NUM:NORM:NUM 2;:NUM:NORM:ITEM1 UDC,1;:NUM:NORM:ITEM2 TIME")
    assert sim.handle(":NUM:NORM:VAL?") == [b"400.000E+00,0"]
    sim.handle("*RST")
    assert sim.handle(":NUM:NORM:NUM?") == [b"15"] and sim.handle(":NUM:NORM:VAL? 1") == [b"NAN"]


def test_wt1800_round_trip_and_family_mismatch(ports: dict[int, FakePort]) -> None:
    with YokogawaSimulator(ports, model="WT1800") as sim:
        pa = WT1800.open("pa18", sim.resource)
        try:
            with pytest.raises(ValueError, match=r"1\.\.6"):
                pa.configure_dc([7])
            pa.configure_dc([2])
            assert pa.read_dc(2).power_w == pytest.approx(200000.0)
        finally:
            pa.close()
        with pytest.raises(IdentityMismatch, match="pa5"):
            WT5000.open("pa5", sim.resource)


def test_coupled_to_the_real_plant() -> None:
    plant = DcPlant(port=1)
    plant.set_output(True)
    plant.set_sink(enabled=True, mode="CC", setpoint=100.0)
    with YokogawaSimulator({1: plant}) as sim:
        pa = WT5000.open("pa1", sim.resource)
        try:
            pa.configure_dc([1])
            pa.integration_reset()
            before = plant.energy_wh()
            pa.integration_start()
            started = plant.energy_wh()  # the simulator started integrating in between
            deadline = time.monotonic() + 3.0
            while True:
                time.sleep(0.06)
                reading = pa.read_dc(1)
                if abs(reading.current_a - 100.0) < 2.0:
                    break
                assert time.monotonic() < deadline, f"the plant never delivered 100 A: {reading}"
            assert reading.voltage_v == pytest.approx(plant.params.battery_v, rel=0.05)
            assert reading.power_w == pytest.approx(reading.voltage_v * reading.current_a, rel=1e-3)
            time.sleep(0.1)
            stopping = plant.energy_wh()
            pa.integration_stop()
            after = plant.energy_wh()
            energy = pa.energy_wh(1)  # what the plant delivered between STARt and STOP
            # STARt and STOP took effect somewhere within their round trips: the integral lies
            # between the energy of the inner window and that of the outer one (a loaded
            # machine stretches the round trips, not the bracket); <NR3> keeps 6 digits.
            digits = 1e-5 * energy
            assert stopping - started - digits <= energy <= after - before + digits
        finally:
            pa.close()
