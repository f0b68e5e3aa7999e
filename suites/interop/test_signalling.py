"""Basic signalling on the control pilot and proximity: the state sequence, PWM start, 5 % duty
when high-level communication is offered, reactions to faults and to unplugging, and no
energy at the inlet before state C. Run for every connector configuration (``plug``)."""

from __future__ import annotations

import asyncio
import time

import pytest

from harness.bench import Bench
from harness.csms.charger_view import ChargerView
from harness.csms.session import StationSession
from harness.ev.bench import EvBench
from harness.evidence.measurements import MeasurementLog
from harness.evidence.steps import step
from harness.protocols import pilot as cp
from suites.interop.conftest import Plug
from suites.interop.support import LIMITS, describe, plug_in, pwm_off, pwm_on, wait_pilot

IEC_CP = "IEC 61851-1 Annex A / SAE J1772: control pilot states and PWM"
PWM_START = "IEC 61851-1 A.2 state B2 (PWM start); 3 s limit commonly tested (verify)"
HLC_DUTY = "IEC 61851-1 Table A.8: 5 % = high-level communication required; ISO 15118-3 [V2G3-M06-02]"
REACTION = "IEC 61851-1 Table A.6: EVSE reaction / de-energize within 100 ms (verify)"
PP = "SAE J1772 / IEC 61851-1 proximity; SAE J3400 uses J1772-compatible PP thresholds (verify)"
FREQ_TOL = 0.02  # 1 kHz ± 2 % (verify)


async def _pwm_started(side, t_b: float, measurements: MeasurementLog):  # type: ignore[no-untyped-def]
    first, last = await wait_pilot(side, pwm_on, LIMITS.pwm_start_s + 1.0, "the EVSE's PWM")
    measurements.record("PWM start after state B", None if first is None else first.at - t_b, unit="s",
                        high=LIMITS.pwm_start_s, source=PWM_START,
                        note="" if first is not None else f"still {describe(last)}")
    return first


@pytest.mark.case("IOP_01", IEC_CP)
async def test_state_sequence(station: StationSession, ev: EvBench, plug: Plug, bench: Bench,
                              measurements: MeasurementLog) -> None:
    """State sequence A-B-C-B-A: pilot levels in band and the charger's status follows."""
    side, t_b = await plug_in(ev, plug)
    first = await _pwm_started(side, t_b, measurements)
    assert first is not None, "the EVSE did not start the PWM after state B; see the measurements"
    measurements.record("state B level", first.high_v, unit="V", low=8.0, high=10.0, source=IEC_CP)
    await ChargerView(station, bench).expect_connector(plug.evse, plug.connector, occupied=True)
    with step("EV to state C (ready to charge)"):
        await side.set_cp_state("C")
    reading, _ = await wait_pilot(side, lambda r: 5.0 <= r.high_v <= 7.0, 0.5, "the state C level")
    measurements.record("state C level", None if reading is None else reading.high_v, unit="V", low=5.0,
                        high=7.0, source=IEC_CP)
    with step("EV back to state B, then unplugged (A)"):
        await side.set_cp_state("B")
        await side.disconnect()
    await ChargerView(station, bench).expect_connector(plug.evse, plug.connector, occupied=False)


@pytest.mark.case("IOP_02", PWM_START)
async def test_pwm_start(ev: EvBench, plug: Plug, measurements: MeasurementLog) -> None:
    """PWM starts within the limit after state B, at 1 kHz."""
    side, t_b = await plug_in(ev, plug)
    first = await _pwm_started(side, t_b, measurements)
    measurements.record("PWM frequency", None if first is None else first.frequency_hz, unit="Hz",
                        low=1000 * (1 - FREQ_TOL), high=1000 * (1 + FREQ_TOL), source=IEC_CP)


@pytest.mark.case("IOP_03", HLC_DUTY)
async def test_hlc_duty(ev: EvBench, plug: Plug, measurements: MeasurementLog) -> None:
    """A DC charger offering high-level communication signals 5 % duty."""
    side, _ = await plug_in(ev, plug)
    first, _ = await wait_pilot(side, pwm_on, LIMITS.pwm_start_s + 1.0, "the EVSE's PWM")
    measurements.record("duty cycle", None if first is None else first.duty_pct, unit="%",
                        low=cp.HLC_DUTY_PCT - cp.HLC_DUTY_TOLERANCE_PCT,
                        high=cp.HLC_DUTY_PCT + cp.HLC_DUTY_TOLERANCE_PCT, source=HLC_DUTY,
                        note="" if first is None else f"classified {cp.classify_duty(first.duty_pct)!r}")


async def _reaction(ev: EvBench, plug: Plug, measurements: MeasurementLog, fault: str, name: str) -> None:
    side, _ = await plug_in(ev, plug, to_state="C")
    first, _ = await wait_pilot(side, pwm_on, LIMITS.pwm_start_s + 1.0, "the EVSE's PWM")
    assert first is not None, "the EVSE did not start the PWM after plug-in; nothing to react to"
    with step(f"inject {name}"):
        t_fault = time.monotonic()
        await side.inject_fault(fault)
    reacted, last = await wait_pilot(side, pwm_off, LIMITS.deenergize_s * 5, "the EVSE to stop the PWM")
    measurements.record(f"EVSE reaction to {name}", None if reacted is None else reacted.at - t_fault,
                        unit="s", high=LIMITS.deenergize_s, source=REACTION,
                        note=("PWM stopped, " + describe(reacted)) if reacted else f"still {describe(last)}")
    inlet = await side.read_inlet()
    measurements.record(f"inlet voltage after {name}", inlet.dc_voltage_v, unit="V", high=60.0,
                        source=REACTION)


@pytest.mark.case("IOP_04", REACTION)
async def test_reaction_to_state_e(ev: EvBench, plug: Plug, measurements: MeasurementLog) -> None:
    """The EVSE reacts to state E (CP shorted to PE) within 100 ms."""
    await _reaction(ev, plug, measurements, "cp_pe_short", "state E (CP-PE short)")


@pytest.mark.case("IOP_05", REACTION)
async def test_reaction_to_diode_short(ev: EvBench, plug: Plug, measurements: MeasurementLog) -> None:
    """The EVSE detects a shorted EV diode and goes to state F within 100 ms."""
    await _reaction(ev, plug, measurements, "diode_short", "a shorted EV diode")


@pytest.mark.case("IOP_06", REACTION)
async def test_reaction_to_unplug(operator, ev: EvBench, plug: Plug, bench: Bench,
                                  measurements: MeasurementLog) -> None:
    """Unplugging (state A) stops the PWM within 100 ms and the inlet falls below 60 V."""
    side, _ = await plug_in(ev, plug, to_state="C")
    first, _ = await wait_pilot(side, pwm_on, LIMITS.pwm_start_s + 1.0, "the EVSE's PWM")
    assert first is not None, "the EVSE did not start the PWM after plug-in; nothing to react to"
    token = bench.station.id_tokens["valid"]
    with step("authorize the session, so the charger may energize the output"):
        await operator.present_id_token(token.id_token, token.type, plug.evse)
    energized = await _inlet_above(side, 60.0, within=2.0)
    with step("unplug"):
        t_a = time.monotonic()
        await side.disconnect()
    reacted, last = await wait_pilot(side, pwm_off, LIMITS.deenergize_s * 5, "the EVSE to stop the PWM")
    measurements.record("PWM off after unplug", None if reacted is None else reacted.at - t_a, unit="s",
                        high=LIMITS.deenergize_s, source=REACTION,
                        note="" if reacted else f"still {describe(last)}")
    limit = bench.power.parameters.deenergize_max_s
    safe = await _inlet_below(side, bench.power.parameters.deenergize_level_v, within=limit * 2)
    measurements.record("inlet below 60 V after unplug", None if safe is None else safe - t_a, unit="s",
                        high=limit, source="IEC 61851-23: de-energization after disconnection (verify)",
                        note=("output was energized before the unplug" if energized else
                              "the output was not energized (no high-level communication): trivially safe"))


async def _inlet_above(side, volts: float, within: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + within
    while time.monotonic() < end:
        if (await side.read_inlet()).dc_voltage_v > volts:
            return True
        await asyncio.sleep(0.01)
    return False


async def _inlet_below(side, volts: float, within: float) -> float | None:  # type: ignore[no-untyped-def]
    """The time (monotonic) the inlet was first seen below ``volts``, or None."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        reading = await side.read_inlet()
        if reading.dc_voltage_v < volts:
            return reading.at
        await asyncio.sleep(0.005)
    return None


@pytest.mark.case("IOP_07", "IEC 61851-23 / IEC 61851-1: no voltage at the vehicle inlet before state C")
async def test_no_energy_before_state_c(station: StationSession, operator, ev: EvBench, plug: Plug,
                                        bench: Bench, measurements: MeasurementLog) -> None:
    """No voltage at the inlet in state B, even with the session authorized."""
    side, _ = await plug_in(ev, plug)
    await wait_pilot(side, pwm_on, LIMITS.pwm_start_s + 1.0, "the EVSE's PWM")
    token = bench.station.id_tokens["valid"]
    with step("authorize the session with a valid card (whatever the TxStartPoint)"):
        await operator.present_id_token(token.id_token, token.type, plug.evse)
    highest = 0.0
    end = time.monotonic() + bench.csms.quiet_period + 1.0
    with step("watch the inlet voltage in state B, session authorized"):
        while time.monotonic() < end:
            highest = max(highest, (await side.read_inlet()).dc_voltage_v)
    measurements.record("highest inlet voltage in state B", highest, unit="V", high=60.0,
                        source="IEC 61851-23 / IEC 61851-1: energy only in state C/D")


@pytest.mark.case("IOP_08", PP)
async def test_proximity(ev: EvBench, plug: Plug, measurements: MeasurementLog) -> None:
    """Proximity reads latched, pressed (latch button) and latched again at the inlet."""
    side, _ = await plug_in(ev, plug)
    for value in ("latched", "pressed", "latched"):
        with step(f"plug latch: {value}"):
            await side.set_pp(value)
            volts = await side.read_pp()
        seen = cp.pp_state(volts, "cNACS" if plug.connector_type == "cNACS" else "cCCS1")
        measurements.record(f"PP {value}: {seen}", volts, unit="V",
                            low=cp.PP_MIN_V if value == "latched" else cp.PP_LATCHED_MAX_V,
                            high=cp.PP_LATCHED_MAX_V if value == "latched" else cp.PP_PRESSED_MAX_V,
                            source=PP)


@pytest.mark.case("IOP_09", "SAE J3400 adapters: adapter-first and vehicle-first insertion (verify)")
@pytest.mark.parametrize("order", ["adapter-first", "vehicle-first"])
async def test_adapter_insertion_order(station: StationSession, ev: EvBench, plug: Plug, order: str,
                                       bench: Bench, measurements: MeasurementLog) -> None:
    """Through an adapter, both insertion orders end in state B with 5 % PWM and no fault."""
    if plug.adapter is None:
        pytest.skip(f"{plug} has no adapter: insertion order does not apply")
    side = await ev.side(plug.evse, plug.connector)
    with step(f"{order}: " + ("adapter on the plug, then into the vehicle" if order == "adapter-first"
                              else "adapter into the vehicle, then the plug into the adapter")):
        if order == "adapter-first":
            await side.connect(plug.evse, plug.connector, plug.connector_type, plug.adapter)
            t_b = time.monotonic()
        else:
            await side.set_pp("pressed")  # the adapter in the inlet: PP through its open latch
            await side.connect(plug.evse, plug.connector, plug.connector_type, plug.adapter)
            t_b = time.monotonic()
    first = await _pwm_started(side, t_b, measurements)
    measurements.record("duty cycle", None if first is None else first.duty_pct, unit="%",
                        low=cp.HLC_DUTY_PCT - cp.HLC_DUTY_TOLERANCE_PCT,
                        high=cp.HLC_DUTY_PCT + cp.HLC_DUTY_TOLERANCE_PCT, source=HLC_DUTY)
    await ChargerView(station, bench).expect_connector(plug.evse, plug.connector, occupied=True)
