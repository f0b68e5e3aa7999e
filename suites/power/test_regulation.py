"""Current regulation: step response, ramp rate, steady-state accuracy, ripple.

The EV's demand is the bench load's constant-current setpoint; the scope records the output
current, the power analyzer is the reference for accuracy. Limits come from the bench file's
``power.parameters`` (defaults: the figures in FACTS.md, several marked *verify*) and the
vendor's claims (``power.claims``).
"""

from __future__ import annotations

import pytest

from harness.analysis import waveform
from harness.bench import Bench
from harness.csms.session import StationSession
from harness.evidence.measurements import MeasurementLog
from harness.lab.facade import Lab
from harness.protocols.iec61851_23 import current_tolerance_a
from suites.power.support import attach_waveforms, capture, charging, first_port

IEC_REGULATION = "IEC 61851-23 (2023) DC output current regulation, FACTS.md 'DC power quality' (verify)"
IEC_ACCURACY = "IEC 61851-23 (2023) output accuracy: current ±1.5 % or ±0.5 A, voltage ±10 V"
IEC_RIPPLE = "IEC 61851-23 ripple; ISO 15118-2 EVSEPeakCurrentRipple (advertised)"
SMOOTH_S = 1 / 360 * 2  # two rectifier-ripple periods: ripple is not read as overshoot


async def _demand_step(station: StationSession, operator, bench: Bench, lab: Lab,  # type: ignore[no-untyped-def]
                       low: float, high: float) -> dict[str, waveform.Waveform]:
    """Charge at ``low`` A, then record the output current through a demand step to ``high``:
    triggered at 10 % of the step (t = 0), the record shows the settling limit with 60 % to spare."""
    p = bench.power.parameters
    port = first_port(lab)
    async with charging(lab, station, operator, bench, port) as session:
        await session.demand(low)
        await session.settle(low, tolerance_a=current_tolerance_a(low), within=p.settling_max_s * 3)
        return await capture(
            lab, port, quantities=("current",), full_scale={"current": high * 1.25},
            seconds_per_div=p.settling_max_s * 1.6 / 10,
            trigger=("current", low + 0.1 * (high - low), "rise"), pre_trigger=0.1,
            action=lambda: session.demand(high), within=p.settling_max_s * 3 + 2)


@pytest.mark.case("PWR_01", IEC_REGULATION)
async def test_current_step_response(station: StationSession, operator, bench: Bench, lab: Lab,
                                     measurements: MeasurementLog) -> None:
    """Current step response: settling time and overshoot after a demand step."""
    p = bench.power.parameters
    low, high = p.step_from_a, p.step_to_a
    traces = await _demand_step(station, operator, bench, lab, low, high)
    current = traces["current"]
    # The response starts where the output leaves its initial band (the 10 % trigger point is
    # t = 0); the charger's communication latency is not part of its regulation.
    tol = current_tolerance_a(high, p.accuracy_pct, p.accuracy_min_a)
    result = waveform.step_response(current, low, high, t_step=0.0, band_abs=tol, smooth_s=SMOOTH_S)
    record_s = current.t_end
    measurements.record("settling time", result.settling_time_s, unit="s", high=p.settling_max_s,
                        source=IEC_REGULATION,
                        note=f"into ±{tol:g} A of {high:g} A, from the 10 % point"
                             + ("" if result.settling_time_s is not None
                                else f"; did not settle within the {record_s:.2f} s record"))
    measurements.record("overshoot", result.overshoot * 100, unit="%", high=p.overshoot_max * 100,
                        source=IEC_REGULATION, note=f"peak {result.peak:.1f} A for a step to {high:g} A")
    attach_waveforms("current step response", traces, markers=[(0.0, "10 % of step")],
                     limits=[(high + tol, "band", "A"), (high - tol, "band", "A")])


@pytest.mark.case("PWR_02", "FACTS.md 'DC power quality': current ramp (field default 25 A/s)")
async def test_current_ramp_rate(station: StationSession, operator, bench: Bench, lab: Lab,
                                 measurements: MeasurementLog) -> None:
    """Current ramp rate from 10 % to 90 % of a demand step."""
    p = bench.power.parameters
    low, high = p.step_from_a, p.step_to_a
    traces = await _demand_step(station, operator, bench, lab, low, high)
    current = traces["current"]
    rate = waveform.ramp_rate(current, low, high, t_step=current.t0, smooth_s=SMOOTH_S)
    note = "slope between the 10 % and 90 % points"
    if rate is None:  # never reached 90 %: the slope so far is an upper bound of the rate
        end = waveform.mean(current, current.t_end - 0.01, current.t_end)
        rate = (end - (low + 0.1 * (high - low))) / current.t_end
        note = f"90 % not reached within the {current.t_end:.2f} s record; average slope after 10 %"
    measurements.record("current ramp rate", rate, unit="A/s", low=p.ramp_min_a_per_s,
                        source="FACTS.md 'DC power quality' (verify)", note=note)
    attach_waveforms("current ramp", traces)


@pytest.mark.case("PWR_03", IEC_ACCURACY)
async def test_steady_state_accuracy(station: StationSession, operator, bench: Bench, lab: Lab,
                                     measurements: MeasurementLog) -> None:
    """Steady-state current and voltage accuracy at low, middle and high current."""
    p, claims = bench.power.parameters, bench.power.claims
    port = first_port(lab)
    battery = bench.power.ev.battery_voltage_v
    async with charging(lab, station, operator, bench, port) as session:
        for fraction in p.accuracy_points:
            amps = round(claims.max_current_a * fraction, 1)
            amps = min(amps, claims.max_power_w / battery)
            tol = current_tolerance_a(amps, p.accuracy_pct, p.accuracy_min_a)
            await session.demand(amps)
            await session.settle(amps, tolerance_a=tol / 4, within=p.settling_max_s * 3)
            readings = await session.hold(p.dwell_s, period=0.05)
            current = sum(r.current_a for r in readings) / len(readings)
            voltage = sum(r.voltage_v for r in readings) / len(readings)
            measurements.record(f"current at {amps:g} A requested", current, unit="A",
                                low=amps - tol, high=amps + tol, source=IEC_ACCURACY,
                                note=f"mean of {len(readings)} analyzer readings")
            measurements.record(f"voltage at {amps:g} A (battery {battery:g} V)", voltage, unit="V",
                                low=battery - p.voltage_accuracy_v, high=battery + p.voltage_accuracy_v,
                                source=IEC_ACCURACY)
        session.attach_trace("steady-state accuracy: analyzer readings and EV request")


@pytest.mark.case("PWR_04", IEC_RIPPLE)
async def test_current_ripple(station: StationSession, operator, bench: Bench, lab: Lab,
                              measurements: MeasurementLog) -> None:
    """Current ripple against the advertised peak ripple and the IEC band limits."""
    p, claims = bench.power.parameters, bench.power.claims
    port = first_port(lab)
    amps = p.ripple_current_a
    async with charging(lab, station, operator, bench, port) as session:
        await session.demand(amps)
        await session.settle(amps, tolerance_a=current_tolerance_a(amps), within=p.settling_max_s * 3)
        await session.hold(0.2)
        traces = await capture(
            lab, port, quantities=("current",), full_scale={"current": amps * 1.25},
            seconds_per_div=p.ripple_record_s / 10, trigger=("current", amps, "rise"), pre_trigger=0.0,
            action=_nothing, within=p.ripple_record_s * 2 + 1)
    current = traces["current"]
    result = waveform.ripple(current, segment=min(65536, len(current.values) // 4))
    nyquist = 0.5 / current.dt
    measurements.record("ripple peak-to-peak", result.peak_to_peak, unit="A", high=claims.peak_ripple_a,
                        source="ISO 15118-2 / DIN 70121 EVSEPeakCurrentRipple (vendor claim)",
                        note=f"at {amps:g} A, {current.t_end - current.t0:.3f} s record")
    for f_lo, f_hi, limit in p.ripple_band_limits:
        if f_lo >= nyquist:
            continue
        top = min(f_hi, nyquist * 0.8)
        measurements.record(f"ripple peak {f_lo:g}-{f_hi:g} Hz", result.band_peak(max(f_lo, 1.0), top),
                            unit="A", high=limit, source="IEC 61851-23:2014 ripple limits (verify)",
                            note=("" if top == f_hi else f"measured up to {top:g} Hz (record's Nyquist)"))
    attach_waveforms("current ripple", traces)


async def _nothing() -> None:
    """The ripple record needs no event: it triggers on the ripple itself."""
