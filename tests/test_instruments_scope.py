"""Oscilloscope drivers (Keysight InfiniiVision, Tektronix MSO, Rigol DHO) and their simulators.

Three layers: the acquisition engine against an analytic fake port (trigger time, completion
timing, scaling within one ADC code, clipping), each driver against a recorded transcript
(exact dialect, no sockets), and each driver through real pyvisa to its simulator.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from instruments.errors import IdentityMismatch, InstrumentReportedError
from instruments.replay import block, replay_transport
from instruments.roles import Scope
from instruments.scope import FAMILIES, KeysightInfiniiVision, RigolDho, TektronixMso
from instruments.sim.keysight import KeysightScopeSimulator
from instruments.sim.rigol import RigolScopeSimulator
from instruments.sim.scope import CODE_MAX, CODE_MIN, ScopeEngine
from instruments.sim.tektronix import TektronixScopeSimulator


class RampPort:
    """A DcPort whose voltage and current are analytic: ``low`` until ``t_edge``, then a ramp
    of ``rate`` per second up to ``high`` (a step when rate is inf). Current = voltage / 4."""

    port = 1

    def __init__(self, t_edge: float, low: float, high: float, rate: float = float("inf"),
                 clock=time.monotonic) -> None:
        self.t_edge, self.low, self.high, self.rate = t_edge, low, high, rate
        self.clock = clock

    def now(self) -> float:
        return self.clock()

    def _scale(self, quantity: str) -> float:
        return 1.0 if quantity == "voltage" else 0.25

    def sample(self, quantity: str, times: np.ndarray) -> np.ndarray:
        t = np.asarray(times, dtype=float) - self.t_edge
        if self.rate == float("inf"):
            v = np.where(t >= 0, self.high, self.low)
        else:
            v = np.clip(self.low + self.rate * np.maximum(t, 0.0), self.low, self.high)
        return v * self._scale(quantity)

    def find_edge(self, quantity: str, level: float, slope: str, after: float) -> float | None:
        level = level / self._scale(quantity)
        if slope != "rise" or not self.low < level <= self.high:
            return None
        t = self.t_edge + (0.0 if self.rate == float("inf") else (level - self.low) / self.rate)
        return t if after < t <= self.now() else None

    def set_sink(self, **kwargs: object) -> None:
        pass

    def measure(self, window_s: float = 0.05) -> tuple[float, float]:
        v = float(self.sample("voltage", np.array([self.now()]))[0])
        return v, v / 4

    def energy_wh(self) -> float:
        return 0.0


class Clock:
    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


# ---- engine ----------------------------------------------------------------------------------
def test_engine_trigger_time_completion_and_scaling_within_one_code() -> None:
    clock = Clock(100.0)
    port = RampPort(t_edge=100.3, low=200.0, high=400.0, rate=2000.0, clock=clock)
    engine = ScopeEngine({1: (port, "voltage"), 2: (port, "current")})
    ch1 = engine.channel(1)
    ch1.scale, ch1.offset = 50.0, 300.0
    engine.time_scale, engine.delay = 0.01, 0.02  # window -30 ms .. +70 ms
    engine.trigger_source, engine.trigger_level = 1, 300.0
    engine.single()
    assert engine.status() == "wait"
    clock.t = 100.4  # ramp crossed 300 V at 100.35
    assert engine.status() == "triggered"
    with pytest.raises(LookupError):
        engine.record(1)
    clock.t = 100.35 + 0.0699
    assert engine.status() == "triggered"  # the post-trigger part has not elapsed
    clock.t = 100.35 + 0.0701
    assert engine.status() == "done"
    assert engine.t_trig == pytest.approx(100.35)
    record = engine.record(1)
    assert len(record.codes) == 10_000 and record.t0 == pytest.approx(-0.03)
    assert record.dt == pytest.approx(0.1 / 10_000)
    times = record.t0 + record.dt * np.arange(10_000)
    expected = port.sample("voltage", engine.t_trig + times)
    assert np.max(np.abs(record.values - expected)) <= record.step  # within one ADC code
    assert record.step == pytest.approx(50.0 * 8 / 65536)


def test_engine_clips_at_full_scale_and_wrong_probe_setting_reads_wrong() -> None:
    clock = Clock(0.0)
    port = RampPort(t_edge=0.5, low=0.0, high=100.0, clock=clock)
    engine = ScopeEngine({1: (port, "voltage"), 2: (port, "current")}, physical_ratios={2: 10.0},
                         record_length=1000)
    engine.channel(1).scale = 10.0  # 8 divisions: -40 .. +40 V, the 100 V step clips
    engine.channel(2).scale, engine.channel(2).probe = 100.0, 100.0  # the setting says 100, probe is 10
    engine.time_scale, engine.trigger_level = 0.01, 50.0
    engine.single()
    clock.t = 1.0
    assert engine.status() == "done"
    codes = engine.record(1).codes
    assert codes[:500].max() == 0 and codes[-1] == CODE_MAX and codes.min() >= CODE_MIN
    assert engine.record(2).values[-1] == pytest.approx(25.0 * 10, abs=engine.record(2).step)


def test_engine_never_triggers_without_an_edge_and_free_runs_after_run() -> None:
    clock = Clock(0.0)
    engine = ScopeEngine({1: (RampPort(5.0, 0.0, 1.0, clock=clock), "voltage")})
    engine.trigger_level = 2.0  # above the signal
    engine.single()
    clock.t = 10.0
    assert engine.status() == "wait"
    engine.run()
    assert engine.status() == "run"


# ---- transcripts -----------------------------------------------------------------------------
def _keysight_replay(extra: list) -> KeysightInfiniiVision:
    transport = replay_transport(extra, entry="scope1", auto_errors=":SYST:ERR?", error_query=":SYST:ERR?")
    return KeysightInfiniiVision(transport)


def test_keysight_transcript() -> None:
    codes = np.array([32768, 32768 + 8192, 32768 - 8192, 65535], dtype="<u2")
    scope = _keysight_replay([
        (":CHAN1:PROB 10", None), (":CHAN1:UNIT VOLT", None), (":CHAN1:SCAL 50", None),
        (":CHAN1:OFFS 400", None), (":CHAN1:COUP DC", None), (":CHAN1:DISP ON", None),
        (":TIM:SCAL 0.001", None), (":TIM:POS 0.002", None),
        (":TRIG:MODE EDGE", None), (":TRIG:SWE NORM", None), (":TRIG:EDGE:SOUR CHAN1", None),
        (":TRIG:EDGE:LEV 380", None), (":TRIG:EDGE:SLOP NEG", None),
        (":SING", None), (":OPER:COND?", "+8"), (":OPER:COND?", "+0"),
        (":WAV:SOUR CHAN1", None), (":WAV:FORM WORD", None), (":WAV:BYT LSBF", None),
        (":WAV:UNS ON", None), (":WAV:POIN:MODE RAW", None), (":WAV:POIN MAX", None),
        (":WAV:PRE?", "+1,+0,+4,+1,+1.0E-06,-3.0E-03,+0,+6.103515625E-03,+4.0E+02,+32768"),
        (":WAV:DATA?", block(codes.tobytes())), (":CHAN1:UNIT?", "VOLT"),
        (":RUN", None),
    ])
    scope.setup_channel(1, scale=50, offset=400, probe=10)
    scope.set_timebase(1e-3, 2e-3)
    scope.set_trigger_edge(1, 380, "fall")
    scope.single()
    assert not scope.acquisition_done()
    assert scope.acquisition_done()
    trace = scope.waveform(1)
    assert trace.unit == "V" and trace.t0 == pytest.approx(-3e-3) and trace.dt == pytest.approx(1e-6)
    assert trace.values[:3] == pytest.approx([400.0, 450.0, 350.0])
    assert trace.values[3] == pytest.approx(400 + 32767 * 50 * 8 / 65536)
    scope.outputs_off()  # the safe state of a scope is running
    scope.transport._link.assert_done()  # type: ignore[union-attr]


def _tek(*commands: str) -> list:
    """Each write followed by the *ESR? check the driver makes (no error)."""
    out: list = []
    for command in commands:
        out += [(command, None), ("*ESR?", "0")]
    return out


def test_tektronix_transcript() -> None:
    codes = np.array([0, 6554, -6554, -32768], dtype=">i2")
    exchanges = [
        *_tek('CH2:PROBEF:EXTA 10', "CH2:PROBEF:EXTU:STATE ON", 'CH2:PROBEF:EXTU "A"', "CH2:SCA 20",
              "CH2:POS 0", "CH2:OFFS 100", "CH2:COUP DC", "DIS:GLO:CH2:STATE ON",
              "HOR:SCA 0.01", "HOR:DEL:MOD OFF", "HOR:POS 30",
              "HOR:SCA 0.01", "HOR:DEL:MOD ON", "HOR:DEL:TIM 0.5", "HOR:POS 50",
              "TRIG:A:TYP EDGE", "TRIG:A:MOD NORM", "TRIG:A:EDGE:SOU CH2", "TRIG:A:LEV:CH2 50",
              "TRIG:A:EDGE:SLO RIS", "ACQ:STOPA SEQ", "ACQ:STATE RUN"),
        ("ACQ:STATE?", "1"), ("ACQ:STATE?", "0"),
        *_tek("DAT:SOU CH2", "DAT:ENC RIB", "WFMO:BYT_N 2"),
        ("HOR:RECO?", "4"),
        *_tek("DAT:STAR 1", "DAT:STOP 4"),
        ("WFMO:YMU?", "3.0517578125E-3"), ("WFMO:YOF?", "0.0E+0"), ("WFMO:YZE?", "1.0E+2"),
        ("WFMO:XIN?", "1.0E-5"), ("WFMO:XZE?", "-2.0E-2"), ("WFMO:NR_P?", "4"), ("WFMO:YUN?", '"A"'),
        ("CURV?", block(codes.tobytes())),
        *_tek("ACQ:STOPA RUNST", "ACQ:STATE RUN"),
    ]
    scope = TektronixMso(replay_transport(exchanges, entry="scope2", error_query=None))
    scope.setup_channel(2, scale=20, offset=100, probe=10, unit="A")
    scope.set_timebase(0.01, 0.02)  # 20 ms after the trigger is 20 % of the record: trigger at 30 %
    scope.set_timebase(0.01, 0.5)  # beyond the record: delay mode
    scope.set_trigger_edge(2, 50)
    scope.single()
    assert not scope.acquisition_done()
    assert scope.acquisition_done()
    trace = scope.waveform(2)
    assert trace.unit == "A" and trace.t0 == pytest.approx(-0.02) and trace.dt == pytest.approx(1e-5)
    assert trace.values == pytest.approx([100.0, 100 + 6554 * 3.0517578125e-3, 100 - 6554 * 3.0517578125e-3,
                                          100 - 32768 * 3.0517578125e-3])
    scope.run()
    scope.transport._link.assert_done()  # type: ignore[union-attr]


def test_tektronix_reports_events_from_the_event_queue() -> None:
    exchanges = [("HOR:SCA 0.01", None), ("*ESR?", "32"),
                 ("EVMSG?", '113,"Undefined header; Command not found"'),
                 ("EVMSG?", '0,"No events to report - queue empty"')]
    scope = TektronixMso(replay_transport(exchanges, entry="scope2", error_query=None))
    with pytest.raises(InstrumentReportedError) as caught:
        scope.set_timebase(0.01)
    assert caught.value.errors == [(113, "Undefined header; Command not found")]
    assert "scope2" in str(caught.value)


def test_rigol_transcript_reads_in_chunks() -> None:
    total = 2500
    codes = (32768 + np.arange(total) - 1250).astype("<u2")
    exchanges = [
        (":CHAN3:PROB 10", None), (":CHAN3:UNIT VOLT", None), (":CHAN3:SCAL 100", None),
        (":CHAN3:OFFS -400", None), (":CHAN3:COUP DC", None), (":CHAN3:DISP ON", None),
        (":TIM:MAIN:SCAL 0.005", None), (":TIM:MAIN:OFFS 0", None),
        (":TRIG:MODE EDGE", None), (":TRIG:SWE NORM", None), (":TRIG:EDGE:SOUR CHAN3", None),
        (":TRIG:EDGE:LEV 420", None), (":TRIG:EDGE:SLOP POS", None),
        (":SING", None), (":TRIG:STAT?", "WAIT"), (":TRIG:STAT?", "TD"), (":TRIG:STAT?", "STOP"),
        (":WAV:SOUR CHAN3", None), (":WAV:MODE RAW", None), (":WAV:FORM WORD", None),
        (":WAV:PRE?", f"1,2,{total},1,2.000000E-05,-2.500000E-02,0,1.220703E-02,-32768,32768"),
    ]
    for start in range(1, total + 1, 1000):
        stop = min(start + 999, total)
        exchanges += [(f":WAV:STAR {start}", None), (f":WAV:STOP {stop}", None),
                      (":WAV:DATA?", block(codes[start - 1:stop].tobytes()))]
    exchanges += [(":CHAN3:UNIT?", "VOLT")]
    scope = RigolDho(replay_transport(exchanges, entry="scope3", auto_errors=":SYST:ERR?",
                                      error_query=":SYST:ERR?"))
    scope.setup_channel(3, scale=100, offset=400, probe=10)
    scope.set_timebase(5e-3)
    scope.set_trigger_edge(3, 420)
    scope.single()
    assert [scope.acquisition_done() for _ in range(3)] == [False, False, True]
    trace = scope.waveform(3)
    assert len(trace.values) == total and trace.t0 == pytest.approx(-0.025)
    # value = (code - yorigin - yref) x yinc: the centre code reads 400 V
    assert trace.values[1250] == pytest.approx(400.0)
    assert trace.values[1251] - trace.values[1250] == pytest.approx(1.220703e-2)
    scope.transport._link.assert_done()  # type: ignore[union-attr]


@pytest.mark.parametrize("cls", [KeysightInfiniiVision, TektronixMso, RigolDho])
def test_refused_settings_write_nothing(cls: type[Scope]) -> None:
    """A scope has no power setpoint for bench limits to refuse; what it must refuse before
    any I/O is a setting the instrument would silently coerce."""
    transport = replay_transport([], entry="scope1", error_query=cls.error_query)
    scope = cls(transport)
    for call in (lambda: scope.setup_channel(5, scale=1.0),
                 lambda: scope.setup_channel(1, scale=0.0),
                 lambda: scope.setup_channel(1, scale=1.0, probe=-10),
                 lambda: scope.setup_channel(1, scale=1.0, coupling="GND50"),
                 lambda: scope.set_timebase(float("nan")),
                 lambda: scope.set_trigger_edge(1, 1.0, "sideways"),
                 lambda: scope.waveform(1, points=1)):
        with pytest.raises(ValueError, match="scope1"):
            call()
    if cls is RigolDho:
        with pytest.raises(ValueError, match="probe ratio 3"):
            scope.setup_channel(1, scale=1.0, probe=3)
    assert transport._link.written == []  # type: ignore[union-attr]


@pytest.mark.parametrize("cls, other", [
    (KeysightInfiniiVision, "TEKTRONIX,MSO54,C019876,CF:91.1CT FV:1.44.3.433"),
    (TektronixMso, "RIGOL TECHNOLOGIES,DHO1204,DHO1A254400123,00.01.03.00.02"),
    (RigolDho, "KEYSIGHT TECHNOLOGIES,DSOX3034T,MY59120001,07.50.2021102830"),
])
def test_wrong_identity_names_the_entry(cls: type[Scope], other: str) -> None:
    scope = cls(replay_transport([("*IDN?", other)], entry="scope7", error_query=cls.error_query))
    with pytest.raises(IdentityMismatch, match="scope7"):
        scope.check_identity()


def test_families() -> None:
    expected = {"keysight-infiniivision": KeysightInfiniiVision, "tektronix-mso": TektronixMso,
                "rigol-dho": RigolDho}
    assert expected == FAMILIES
    assert all(cls.role == "scope" for cls in FAMILIES.values())


# ---- round trips through pyvisa to the simulators ----------------------------------------------
SIMULATORS = {KeysightInfiniiVision: KeysightScopeSimulator, TektronixMso: TektronixScopeSimulator,
              RigolDho: RigolScopeSimulator}


def _wait_done(scope: Scope, deadline_s: float = 3.0) -> float:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if scope.acquisition_done():
            return time.monotonic()
        time.sleep(0.005)
    raise AssertionError("the acquisition did not complete")


@pytest.mark.parametrize("cls", [KeysightInfiniiVision, TektronixMso, RigolDho])
def test_round_trip_through_pyvisa(cls: type[Scope]) -> None:
    port = RampPort(float("inf"), low=200.0, high=400.0)  # a 200 V step; current = V / 4
    engine = ScopeEngine({1: (port, "voltage"), 2: (port, "current")}, record_length=5000)
    with SIMULATORS[cls](engine) as sim:
        scope = cls.open("scope1", sim.resource)
        try:
            assert isinstance(scope, Scope)
            scope.setup_channel(1, scale=50.0, offset=300.0, probe=10)
            scope.setup_channel(2, scale=20.0, offset=75.0, probe=10, unit="A")
            scope.set_timebase(0.01, 0.0)  # 50 ms after the trigger to record
            scope.set_trigger_edge(1, 300.0, "rise")
            scope.single()
            # the step 80 ms after arming (not after the test started: on a loaded machine the
            # set-up alone can take longer, and an edge before arming never triggers)
            t_edge = port.t_edge = time.monotonic() + 0.08
            assert not scope.acquisition_done()
            done_at = _wait_done(scope)
            assert done_at >= t_edge + 0.05  # not before trigger + post-trigger time
            volts, amps = scope.waveform(1), scope.waveform(2)
            assert volts.unit == "V" and amps.unit == "A"
            assert len(volts.values) == 5000 and volts.t0 == pytest.approx(-0.05)
            code = 50.0 * engine.vertical_divisions / 65536
            assert np.all(np.abs(volts.values - np.where(volts.times >= 0, 400.0, 200.0)) <= code)
            assert np.all(np.abs(amps.values - np.where(amps.times >= 0, 100.0, 50.0)) <= code)
            short = scope.waveform(1, points=500)
            assert len(short.values) <= 500 and short.t0 == pytest.approx(-0.05)
            scope.outputs_off()
            assert engine.status() == "run"
        finally:
            scope.close()


def test_simulators_refuse_unknown_commands() -> None:
    engine = ScopeEngine({})
    with KeysightScopeSimulator(engine) as sim:
        scope = KeysightInfiniiVision.open("scope1", sim.resource)
        try:
            with pytest.raises(InstrumentReportedError, match="-113"):
                scope.transport.write(":FOO:BAR 1")
        finally:
            scope.close()
    with TektronixScopeSimulator(ScopeEngine({})) as sim:
        scope = TektronixMso.open("scope2", sim.resource)
        try:
            with pytest.raises(InstrumentReportedError, match="113"):
                scope._write("SYST:ERR?")  # no SCPI error queue on a Tektronix
            assert scope.transport.query("EVMSG?").startswith("0,")
        finally:
            scope.close()


def test_simulator_state_reads_back_and_resets() -> None:
    with RigolScopeSimulator(ScopeEngine({})) as sim:
        scope = RigolDho.open("scope3", sim.resource)
        try:
            scope.setup_channel(2, scale=0.5, offset=12.0, probe=10)
            q = scope.transport.query
            assert float(q(":CHAN2:SCAL?")) == 0.5 and float(q(":CHAN2:OFFS?")) == -12.0
            assert float(q(":CHAN2:PROB?")) == 10
            scope.transport.write("*RST")
            assert float(q(":CHAN2:SCAL?")) == 1.0 and q(":TRIG:STAT?") == "AUTO"
        finally:
            scope.close()


def test_keysight_simulator_on_a_dc_plant_catches_the_current_ramp() -> None:
    """Coupled to the real plant: the EV's demand ramps the output current at the charger's
    ramp limit (1000 A/s by default); the scope triggers on the way through 50 A."""
    from instruments.sim.plant import DcPlant

    plant = DcPlant(port=1)
    plant.set_output(True)
    engine = ScopeEngine({1: (plant, "voltage"), 2: (plant, "current")})
    with KeysightScopeSimulator(engine) as sim:
        scope = KeysightInfiniiVision.open("scope1", sim.resource)
        try:
            scope.setup_channel(2, scale=20.0, offset=50.0, probe=10, unit="A")
            scope.set_timebase(0.005)
            scope.set_trigger_edge(2, 50.0, "rise")
            scope.single()
            plant.set_sink(enabled=True, mode="CC", setpoint=100.0, voltage_v=400.0)
            _wait_done(scope)
            trace = scope.waveform(2)
            assert trace.unit == "A"
            at = np.searchsorted(trace.times, [-0.02, 0.0, 0.02])
            before, at_trigger, after = (float(np.mean(trace.values[max(0, k - 20):k + 20])) for k in at)
            assert at_trigger == pytest.approx(50.0, abs=3.0)  # ripple and noise ride on the ramp
            assert before == pytest.approx(30.0, abs=3.0) and after == pytest.approx(70.0, abs=3.0)
        finally:
            scope.close()
