"""The emulated EVSE's pilot: oscillator, timed reactions to plug, C/D, E, diode short and unplug,
recovery after T_step_EF, energizing permission, and each quirk changing the behaviour. Timing
is scaled (x0.05) so the whole file runs in about a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from harness.emulator.pilot import EvsePilot, EvsePilotTiming
from harness.protocols import pilot as cp

SCALE = 0.05
TIMING = EvsePilotTiming(scale=SCALE)  # PWM 25 ms after B, reactions 1 ms, T_step_EF 200 ms


def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> float:
    """Poll until ``predicate`` holds; the time it first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.002)
    raise AssertionError(f"condition not met within {timeout} s")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[float, str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, old: str, new: str) -> None:
        with self.lock:
            self.calls.append((time.monotonic(), old, new))

    def transitions(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(o, n) for _, o, n in self.calls]


def make(quirks: set[str] | None = None, **kwargs) -> tuple[EvsePilot, Recorder]:
    recorder = Recorder()
    pilot = EvsePilot(1, 1, timing=TIMING, quirks=quirks or set(), on_state=recorder, **kwargs)
    return pilot, recorder


def plug(pilot: EvsePilot) -> float:
    pilot.set_pp("latched")
    t0 = time.monotonic()
    pilot.set_ev_state("B")
    return t0


def levels_state(pilot: EvsePilot) -> str:
    r = pilot.readings()
    return cp.state_of(r.high_v, r.low_v, r.oscillating)


# ---- the normal sequence -------------------------------------------------------------------------
def test_idle_is_a_steady_12_v() -> None:
    pilot, recorder = make()
    r = pilot.readings()
    assert (r.oscillating, r.high_v, r.duty_pct) == (False, 12.0, 100.0)
    assert pilot.state == "A" and not pilot.energized_allowed and recorder.transitions() == []


def test_plug_starts_5_percent_after_the_delay() -> None:
    pilot, recorder = make()
    t0 = plug(pilot)
    assert not pilot.readings().oscillating  # not at once: after pwm_delay_s
    t_pwm = wait_for(lambda: pilot.readings().oscillating)
    assert t_pwm - t0 >= TIMING.s("pwm_delay_s") * 0.9
    assert t_pwm - t0 < cp.LIMITS.scaled(SCALE).pwm_start_s
    r = pilot.readings()
    assert r.duty_pct == 5.0 and r.frequency_hz == 1000.0 and cp.classify_duty(r.duty_pct) == "hlc"
    assert r.low_v == -12.0 and levels_state(pilot) == "B"
    assert recorder.transitions() == [("A", "B")]
    assert not pilot.energized_allowed


def test_ac_offer_uses_the_ampacity_duty_and_can_change() -> None:
    pilot, _ = make(dc=False, max_current_a=32.0)
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    assert cp.ampacity_for_duty(pilot.readings().duty_pct) == pytest.approx(32.0)
    pilot.set_offer(max_current_a=16.0)
    assert cp.ampacity_for_duty(pilot.readings().duty_pct) == pytest.approx(16.0)
    pilot.set_offer(offer_hlc=True)
    assert pilot.readings().duty_pct == 5.0
    with pytest.raises(ValueError):
        pilot.set_offer(max_current_a=100.0)


def test_ready_in_c_allows_energizing_and_b_withdraws_it() -> None:
    pilot, recorder = make()
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    pilot.set_ev_state("C")
    wait_for(lambda: pilot.energized_allowed)
    assert ("B", "C") in recorder.transitions()
    t0 = time.monotonic()
    pilot.set_ev_state("B")
    t1 = wait_for(lambda: not pilot.energized_allowed)
    assert t1 - t0 < cp.LIMITS.scaled(SCALE).deenergize_s + 0.05
    assert recorder.transitions()[-1] == ("C", "B")
    pilot.set_ev_state("D")
    wait_for(lambda: pilot.energized_allowed)
    assert pilot.state == "D"


def test_unplug_stops_the_oscillator() -> None:
    pilot, recorder = make()
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    pilot.set_ev_state("C")
    wait_for(lambda: pilot.energized_allowed)
    pilot.set_ev_state("A")
    wait_for(lambda: pilot.state == "A")
    r = pilot.readings()
    assert (r.oscillating, r.high_v) == (False, 12.0)
    assert not pilot.energized_allowed
    assert recorder.transitions()[-1] == ("C", "A")


def test_unplug_before_pwm_cancels_it() -> None:
    pilot, _ = make()
    plug(pilot)
    pilot.set_ev_state("A")
    time.sleep(TIMING.s("pwm_delay_s") * 3)
    assert not pilot.readings().oscillating


def test_cp_pe_short_goes_to_f_and_recovers_after_t_step_ef() -> None:
    pilot, recorder = make()
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    pilot.set_ev_state("C")
    wait_for(lambda: pilot.energized_allowed)
    t0 = time.monotonic()
    pilot.set_fault("cp_pe_short")
    wait_for(lambda: pilot.state == "E")
    assert time.monotonic() - t0 < cp.LIMITS.scaled(SCALE).deenergize_s + 0.05
    assert pilot.oscillator == "f" and pilot.fault == "cp_pe_short" and not pilot.energized_allowed
    assert pilot.readings().high_v == 0.0  # the short holds the line at 0 V
    pilot.set_fault(None)
    assert pilot.readings().high_v == -12.0  # our F shows through
    t_back = wait_for(lambda: pilot.readings().oscillating)
    assert t_back - t0 >= TIMING.s("step_ef_s") * 0.9  # held F for T_step_EF
    wait_for(lambda: pilot.energized_allowed)
    assert ("C", "E") in recorder.transitions() and ("E", "C") in recorder.transitions()


def test_diode_short_is_detected_during_pwm() -> None:
    pilot, recorder = make()
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    pilot.set_ev_state("C")
    wait_for(lambda: pilot.energized_allowed)
    pilot.set_fault("diode_short")
    wait_for(lambda: pilot.state == "F")
    assert pilot.fault == "diode_short" and not pilot.energized_allowed
    assert ("C", "F") in recorder.transitions()
    time.sleep(TIMING.s("step_ef_s") * 1.5)
    assert pilot.state == "F"  # still shorted: the line does not follow our -12 V
    pilot.set_fault(None)
    wait_for(lambda: pilot.energized_allowed)


def test_step_ef_and_disable() -> None:
    pilot, recorder = make()
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    pilot.step_ef()
    assert pilot.readings().high_v == -12.0 and pilot.state == "F"
    t_back = wait_for(lambda: pilot.readings().oscillating)
    assert pilot.state == "B" and t_back > 0
    pilot.set_enabled(False)
    time.sleep(TIMING.s("step_ef_s") * 1.5)
    assert pilot.oscillator == "f" and pilot.state == "F"
    pilot.set_enabled(True)
    wait_for(lambda: pilot.readings().oscillating)
    assert [n for _, n in recorder.transitions()].count("F") == 2


def test_inlet_voltage_follows_the_station_only_when_connected() -> None:
    pilot, _ = make(dc_voltage=lambda: 400.0)
    assert pilot.inlet_voltage() == 0.0
    plug(pilot)
    assert pilot.inlet_voltage() == 400.0
    assert pilot.pp_volts() == pytest.approx(cp.pp_voltage("latched"))


def test_unknown_quirk_and_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown pilot quirks"):
        EvsePilot(1, 1, quirks={"pilot_typo"})
    pilot, _ = make()
    with pytest.raises(ValueError):
        pilot.set_ev_state("E")
    with pytest.raises(ValueError):
        pilot.set_fault("open_cp")
    with pytest.raises(ValueError):
        EvsePilotTiming(scale=0)


# ---- quirks --------------------------------------------------------------------------------------
def test_quirk_pilot_wrong_duty() -> None:
    pilot, _ = make({"pilot_wrong_duty"})
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    duty = pilot.readings().duty_pct
    assert duty == 10.0 and cp.classify_duty(duty) == "ampacity" and not cp.is_hlc_duty(duty)


def test_quirk_pilot_late_pwm() -> None:
    pilot, _ = make({"pilot_late_pwm"})
    t0 = plug(pilot)
    t_pwm = wait_for(lambda: pilot.readings().oscillating, timeout=5)
    assert t_pwm - t0 > cp.LIMITS.scaled(SCALE).pwm_start_s


def test_quirk_pilot_ignores_cp_fault() -> None:
    pilot, recorder = make({"pilot_ignores_cp_fault"})
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    pilot.set_ev_state("C")
    wait_for(lambda: pilot.energized_allowed)
    pilot.set_fault("diode_short")
    time.sleep(TIMING.s("reaction_s") * 20 + 0.02)
    assert pilot.energized_allowed and pilot.readings().oscillating and pilot.readings().low_v > -11
    pilot.set_fault("cp_pe_short")
    time.sleep(TIMING.s("reaction_s") * 20 + 0.02)
    assert pilot.energized_allowed and pilot.state == "C"
    assert "E" not in [n for _, n in recorder.transitions()]


def test_quirk_pilot_energizes_in_b() -> None:
    pilot, _ = make({"pilot_energizes_in_b"})
    plug(pilot)
    wait_for(lambda: pilot.readings().oscillating)
    assert pilot.state == "B" and pilot.energized_allowed
    plain, _ = make()
    plug(plain)
    wait_for(lambda: plain.readings().oscillating)
    assert not plain.energized_allowed


def test_close_cancels_pending_reactions() -> None:
    pilot, _ = make()
    plug(pilot)
    pilot.close()
    time.sleep(TIMING.s("pwm_delay_s") * 3)
    assert not pilot.readings().oscillating
