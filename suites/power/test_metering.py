"""Metering accuracy: the station's energy register over a session against the reference
power analyzer, at high and at low current (the NIST Handbook 44 §3.40 method).

The register values are the ones the station reports in the session's TransactionEvents
(Transaction.Begin and Transaction.End), i.e. what a driver is billed for. The analyzer
integrates from before the session starts to after it ends, both at zero current, so neither
reading depends on when a message was sent.
"""

from __future__ import annotations

import pytest

from harness.bench import Bench
from harness.csms.session import StationSession
from harness.evidence.measurements import MeasurementLog
from harness.evidence.steps import step
from harness.lab.facade import Lab
from suites.ocpp201.support import set_variable
from suites.power.signed_meter import check_signed_session
from suites.power.support import charging, first_port

NIST = "NIST Handbook 44 §3.40 (DC EVSE): register vs reference standard; tolerance per bench (verify)"
REGISTER = "Energy.Active.Import.Register"


async def _metering(station: StationSession, operator, bench: Bench, lab: Lab,  # type: ignore[no-untyped-def]
                    measurements: MeasurementLog, fraction: float) -> None:
    p, claims = bench.power.parameters, bench.power.claims
    port = first_port(lab)
    battery = bench.power.ev.battery_voltage_v
    amps = min(claims.max_current_a * fraction, claims.max_power_w / battery)
    analyzer, element = lab.analyzer(port)
    await _report_register(station)
    with step("reference analyzer: integration reset and started at zero current"):
        await lab.run(analyzer.integration_reset)
        await lab.run(analyzer.integration_start)
    async with charging(lab, station, operator, bench, port) as session:
        await session.demand(amps)
        await session.hold(p.metering_duration_s, period=0.1)
        await session.stop_demand()
        await session.settle(0.0, tolerance_a=0.1, within=p.settling_max_s * 3)
    with step("reference analyzer: integration stopped at zero current"):
        await lab.run(analyzer.integration_stop)
        reference_wh = await lab.run(analyzer.energy_wh, element)
    assert session.ended is not None, "the transaction did not end after the EV was unplugged"
    begin, end = session.ended.begin_wh or session.started.begin_wh, session.ended.end_wh
    assert begin is not None, (f"the TransactionEvent Started carries no {REGISTER} "
                               f"(TxStartedMeasurands was set to it): the session cannot be metered")
    assert end is not None, f"the TransactionEvent Ended carries no {REGISTER} (TxEndedMeasurands)"
    station_wh = end - begin
    measurements.record("reference energy (analyzer)", reference_wh, unit="Wh", source=NIST,
                        note=f"{amps:g} A ({fraction * 100:g} % of {claims.max_current_a:g} A) for "
                             f"{p.metering_duration_s:g} s at {battery:g} V")
    resolution = session.ended.resolution_wh
    measurements.record("station energy (register End - Begin)", station_wh, unit="Wh", source=NIST,
                        note=f"Begin {begin:g} Wh, End {end:g} Wh" + (
                            f"; register read at {resolution:g} Wh resolution (OCPP 1.6 meterStart"
                            f" / meterStop): a short session cannot meet the tolerance, lengthen "
                            f"power.parameters.metering_duration_s" if resolution else ""))
    error = round((station_wh - reference_wh) / reference_wh * 100, 4) if reference_wh > 0 else None
    tol = p.metering_tolerance_pct
    measurements.record("metering error", error, unit="%", low=-tol, high=tol, source=NIST,
                        note="(station - reference) / reference")
    session.attach_trace(f"port {port}: metering at {fraction * 100:g} % of maximum current")


async def _report_register(station: StationSession) -> None:
    """Have the register reported at a transaction's start and end. OCPP 1.6 always does
    (StartTransaction meterStart, StopTransaction meterStop); 2.0.1 reports what
    TxStartedMeasurands / TxEndedMeasurands name."""
    if station.version == "1.6":
        return
    with step(f"the station reports {REGISTER} at the start and end of a transaction"):
        await set_variable(station, "SampledDataCtrlr", "TxStartedMeasurands", REGISTER)
        await set_variable(station, "SampledDataCtrlr", "TxEndedMeasurands", REGISTER)


@pytest.mark.case("PWR_11", NIST)
async def test_metering_accuracy_high_current(station: StationSession, operator, bench: Bench, lab: Lab,
                                              measurements: MeasurementLog) -> None:
    """Metering accuracy at 85 % of the maximum current."""
    fraction = bench.power.parameters.metering_high_fraction
    await _metering(station, operator, bench, lab, measurements, fraction)


@pytest.mark.case("PWR_12", NIST)
async def test_metering_accuracy_low_current(station: StationSession, operator, bench: Bench, lab: Lab,
                                             measurements: MeasurementLog) -> None:
    """Metering accuracy at 10 % of the maximum current."""
    fraction = bench.power.parameters.metering_low_fraction
    await _metering(station, operator, bench, lab, measurements, fraction)


@pytest.mark.case("PWR_13", "OCMF 1.0 / Eichrecht (PTB-A 50.7); OCPP 2.0.1 signedMeterValue")
async def test_signed_meter_values(station: StationSession, operator, bench: Bench, lab: Lab,
                                   measurements: MeasurementLog) -> None:
    """Signed meter values (OCMF) of a session verify and match the plain register."""
    port = first_port(lab)
    if station.version == "1.6":
        pytest.skip("OCPP 1.6 signed meter values (SampledValue format SignedData) are not "
                    "checked yet; this case reads OCPP 2.0.1 signedMeterValue")
    await _report_register(station)
    async with charging(lab, station, operator, bench, port) as session:
        await session.demand(100.0)
        await session.hold(0.5)
        await session.stop_demand()
    assert session.ended is not None, "the transaction did not end after the EV was unplugged"
    if not await check_signed_session(session.started.message, session.ended.message, measurements):
        pytest.skip(f"{bench.station.id} sends no signed meter values (signedMeterValue) for {REGISTER}")
