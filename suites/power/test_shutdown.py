"""Shutdown: over-voltage protection, de-energization on emergency stop and on unplug.

The scope records the output voltage and current around the event; the time from the event
to the safe condition is measured on that record. Where the record cannot show the event
itself (an unplug has no probe here), the time runs from the output starting to fall, and the
evidence says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from harness.analysis import waveform
from harness.bench import Bench
from harness.csms.session import StationSession
from harness.evidence.measurements import MeasurementLog
from harness.evidence.steps import step
from harness.lab.facade import Lab
from harness.protocols.iec61851_23 import ov_limit_for
from suites.power.support import (
    PowerSession,
    attach_waveforms,
    capture,
    charging,
    ensure_battery,
    first_port,
)

IEC_OV = "IEC 61851-23 (2023) Table 103: over-voltage shutdown within 10 ms (9 ms detection + 1 ms)"
IEC_DEENERGIZE = "IEC 61851-23 (2023): output below 60 V DC after an emergency stop / disconnection (verify)"
CURRENT = 100.0  # A drawn while the event happens


@pytest.mark.case("PWR_05", IEC_OV)
async def test_overvoltage_shutdown(station: StationSession, operator, bench: Bench, lab: Lab,
                                    measurements: MeasurementLog) -> None:
    """Over-voltage shutdown time at the Table 103 limit."""
    p = bench.power.parameters
    port = first_port(lab)
    ensure_battery(lab.load(port), "raising the output voltage above the over-voltage limit")
    limit = ov_limit_for(bench.power.ev.max_voltage_v)
    overvoltage = limit + 20.0
    async with charging(lab, station, operator, bench, port) as session:
        await session.demand(CURRENT)
        await session.settle(CURRENT, tolerance_a=2.0, within=p.settling_max_s * 3)
        record_s = max(p.ov_shutdown_max_s * 5, 0.02)

        async def raise_voltage() -> None:
            with step(f"the battery emulator raises the output to {overvoltage:g} V "
                      f"(limit {limit:g} V for an EV max of {bench.power.ev.max_voltage_v:g} V)"):
                await lab.run(session.load.set_voltage, overvoltage)

        try:
            traces = await capture(
                lab, port, quantities=("voltage", "current"),
                full_scale={"voltage": overvoltage * 1.1, "current": CURRENT * 1.25},
                seconds_per_div=record_s / 10, trigger=("voltage", limit, "rise"), pre_trigger=0.2,
                action=raise_voltage, within=2.0)
        finally:
            await _back_to_battery(session, bench)
    crossing = waveform.first_crossing(traces["voltage"], limit, "rise", after=traces["voltage"].t0)
    crossing = 0.0 if crossing is None else crossing
    off = waveform.time_below(traces["current"], p.ov_current_threshold_a, after=crossing)
    shutdown = None if off is None else off - crossing
    measurements.record("over-voltage shutdown time", None if shutdown is None else shutdown * 1000,
                        unit="ms", high=p.ov_shutdown_max_s * 1000, source=IEC_OV,
                        note=f"from the output crossing {limit:g} V to the current below "
                             f"{p.ov_current_threshold_a:g} A"
                             + ("" if shutdown is not None else
                                f"; still conducting at the end of the {record_s * 1000:g} ms record"))
    attach_waveforms("over-voltage shutdown", traces, markers=[(crossing, f"{limit:g} V crossed")],
                     limits=[(limit, "OV limit", "V"), (p.ov_current_threshold_a, "off", "A")])


async def _back_to_battery(session: PowerSession, bench: Bench) -> None:
    await session.stop_demand()
    await session.lab.run(session.load.set_voltage, bench.power.ev.battery_voltage_v)


async def _deenergize(session: PowerSession, bench: Bench, measurements: MeasurementLog, event: str,
                      action: Callable[[], Awaitable[None]], *, probe_event: bool) -> None:
    """Record the output voltage through ``action`` and judge the time to below 60 V.

    With a scope probe on the event itself (``probe_event``: the e-stop contact), the time runs
    from the event; otherwise from the output starting to fall (90 % of the operating voltage),
    and the evidence says so."""
    p = bench.power.parameters
    lab, port = session.lab, session.port
    operating = (await session.read()).voltage_v
    record_s = p.deenergize_max_s * 1.5
    quantities: tuple[str, ...] = ("voltage", "current")
    if probe_event:
        quantities += ("estop",)
        trigger, start_note = ("estop", 12.0, "rise"), f"from the {event} (its contact on the scope)"
    else:
        trigger = ("voltage", operating * 0.9, "fall")
        start_note = (f"from the output falling through 90 % of {operating:.0f} V (no probe on the "
                      f"{event} itself: the charger's reaction delay is not included)")
    traces = await capture(
        lab, port, quantities=quantities,
        full_scale={"voltage": operating * 1.2, "current": CURRENT * 1.25, "estop": 30.0},
        seconds_per_div=record_s / 10, trigger=trigger, pre_trigger=0.1,
        action=action, within=p.deenergize_max_s * 2 + 2)
    safe = waveform.time_below(traces["voltage"], p.deenergize_level_v, after=0.0)
    missing = "" if safe is not None else f"; not reached within the {record_s:g} s record"
    measurements.record(f"de-energization time on {event}", safe, unit="s", high=p.deenergize_max_s,
                        source=IEC_DEENERGIZE,
                        note=f"{start_note} to below {p.deenergize_level_v:g} V{missing}")
    attach_waveforms(f"de-energization on {event}", traces, markers=[(0.0, event)],
                     limits=[(p.deenergize_level_v, "60 V", "V")])


@pytest.mark.case("PWR_06", IEC_DEENERGIZE)
async def test_deenergize_on_emergency_stop(station: StationSession, operator, bench: Bench, lab: Lab,
                                            measurements: MeasurementLog) -> None:
    """De-energization below 60 V after the emergency stop is pressed."""
    p = bench.power.parameters
    port = first_port(lab)
    relay, channel = lab.relay("estop")
    try:
        async with charging(lab, station, operator, bench, port) as session:
            await session.demand(CURRENT)
            await session.settle(CURRENT, tolerance_a=2.0, within=p.settling_max_s * 3)

            async def press() -> None:
                with step("press the emergency stop"):
                    await lab.run(relay.set, channel, True)

            await _deenergize(session, bench, measurements, "emergency stop", press,
                              probe_event=_has_probe(lab, port, "estop"))
            with step("the transaction ends with reason EmergencyStop"):
                ended = await session.view.expect_ended(session.started, consume=False)
            assert ended.reason == "EmergencyStop", (
                f"after the emergency stop the transaction ended with reason {ended.reason!r}, "
                f"expected 'EmergencyStop' (OCPP 2.0.1 ReasonEnumType / 1.6 Reason)")
    finally:
        with step("release the emergency stop"):
            await lab.run(relay.set, channel, False)


@pytest.mark.case("PWR_07", IEC_DEENERGIZE)
async def test_deenergize_on_unplug(station: StationSession, operator, bench: Bench, lab: Lab,
                                    measurements: MeasurementLog) -> None:
    """De-energization below 60 V when the EV is unplugged while charging."""
    p = bench.power.parameters
    port = first_port(lab)
    async with charging(lab, station, operator, bench, port) as session:
        await session.demand(CURRENT)
        await session.settle(CURRENT, tolerance_a=2.0, within=p.settling_max_s * 3)

        async def unplug() -> None:
            with step("unplug the EV while charging"):
                await operator.unplug(port, 1)
                session.unplugged = True

        await _deenergize(session, bench, measurements, "unplug", unplug, probe_event=False)


def _has_probe(lab: Lab, port: int, quantity: str) -> bool:
    try:
        lab.probe(port, quantity)
    except LookupError:
        return False
    return True
