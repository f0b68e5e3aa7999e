"""OCTT block B, custom and summary reports (Advanced Device Management), Charging Station
side: GetReport with componentCriteria and / or componentVariable (B08), GetBaseReport
SummaryInventory (B07)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from suites.ocpp201.provisioning import base_report, name_of, report_entries


def _request_id() -> int:
    return random.randint(1, 2**31 - 1)


def _key(entry: dict[str, Any]) -> tuple[Any, ...]:
    comp = entry["component"]
    evse = comp.get("evse") or {}
    return (comp["name"], comp.get("instance"), evse.get("id"), evse.get("connectorId"))


async def custom_report(station: StationSession, bench: Bench, *, criteria: list[str] | None = None,
                        variables: list[dict[str, Any]] | None = None) -> list[dict[str, Any]] | None:
    """GetReport, then every NotifyReport of it (requestId on each, seqNo 0, 1, ..., tbc=false
    on the last, B08.FR.03, B08.FR.04, B08.FR.12). None when answered EmptyResultSet."""
    request_id = _request_id()
    payload: dict[str, Any] = {"requestId": request_id}
    if criteria:
        payload["componentCriteria"] = criteria
    if variables:
        payload["componentVariable"] = variables
    what = f"GetReport (componentCriteria {criteria or '-'}, {len(variables or [])} componentVariable)"
    reply = await station.call("GetReport", payload)
    if reply["status"] == "EmptyResultSet":
        await station.expect_none("NotifyReport", {"requestId": request_id},
                                  within=bench.csms.quiet_period)
        return None
    assert reply["status"] == "Accepted", (
        f"{what}: expected Accepted (B08.FR.01), the station answered {reply['status']}")
    parts: list[Message] = []
    while True:
        part = await station.expect("NotifyReport", {"requestId": request_id},
                                    within=bench.csms.message_timeout)
        parts.append(part)
        assert part.get("seqNo") == len(parts) - 1, (
            f"{what}: NotifyReport part {len(parts)} has seqNo {part.get('seqNo')}, expected "
            f"{len(parts) - 1} (B08.FR.12)")
        if not part.get("tbc", False):
            break
    entries = report_entries(parts)
    assert entries, f"{what}: Accepted, but the NotifyReports carry no reportData"
    return entries


def names(entries: list[dict[str, Any]] | None) -> list[str]:
    return sorted(name_of(e["component"], e["variable"]) for e in entries or [])


def value_of(entry: dict[str, Any]) -> Any:
    return next((a.get("value") for a in entry.get("variableAttribute") or []
                 if a.get("type", "Actual") == "Actual"), None)


def ref(component: str, variable: str | None = None, *, evse: int | None = None,
        instance: str | None = None) -> dict[str, Any]:
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse}
    item: dict[str, Any] = {"component": comp}
    if variable is not None:
        item["variable"] = {"name": variable, **({"instance": instance} if instance else {})}
    return item


def _check_criterion(entries: list[dict[str, Any]], criterion: str, what: str) -> None:
    """Every reported component has the criterion variable true (its variables are reported
    with it, so the report shows it)."""
    flagged = {_key(e) for e in entries if e["variable"]["name"] == criterion
               and not e["variable"].get("instance") and str(value_of(e)).lower() == "true"}
    wrong = sorted({name_of(e["component"], {"name": "*"}) for e in entries if _key(e) not in flagged})
    assert not wrong, (f"{what}: only components whose {criterion} is true may be reported "
                       f"(B08.FR.07), these are reported without {criterion}=true: {wrong[:15]}")


@pytest.mark.octt("TC_B_14_CS")
async def test_base_report_summary_inventory(station, bench):
    """Get Base Report - SummaryInventory.

    GetBaseReport SummaryInventory: Accepted, NotifyReports with the requestId, seqNo 0, 1,
    ... and tbc=false on the last only; the summary carries the AvailabilityState of the
    ChargingStation and of every EVSE and connector of the bench file (B07.FR.09).

    Requirements: B07.FR.01, B07.FR.03, B07.FR.04, B07.FR.09, B07.FR.10, B07.FR.12.
    """
    entries = report_entries(await base_report(station, "SummaryInventory", _request_id(),
                                               within=bench.csms.message_timeout))
    reported = {_key(e) for e in entries if e["variable"]["name"] == "AvailabilityState"}
    wanted = [("ChargingStation", None, None, None)]
    for evse in bench.station.evses:
        wanted.append(("EVSE", None, evse.id, None))
        wanted += [("Connector", None, evse.id, c.id) for c in evse.connectors]
    missing = [w for w in wanted if w not in reported]
    assert not missing, (f"SummaryInventory must report the AvailabilityState of the station, "
                         f"each EVSE and each connector (B07.FR.09); missing {missing}")
    for e in entries:
        for a in e.get("variableAttribute") or []:
            if a.get("mutability") == "WriteOnly":
                assert "value" not in a, f"{name_of(e['component'], e['variable'])}: WriteOnly value"


@pytest.mark.octt("TC_B_16_CS")
async def test_custom_report_component_criteria(station, bench):
    """Get Custom Report - with component criteria.

    GetReport componentCriteria Available reports only components whose Available is true
    (B08.FR.09), EVSEs and connectors among them; Enabled only components with Enabled true
    (B08.FR.10); Problem only components with a Problem (B08.FR.13), or EmptyResultSet.

    Requirements: B08.FR.01, B08.FR.03, B08.FR.04, B08.FR.07, B08.FR.09, B08.FR.10,
    B08.FR.12, B08.FR.13, B08.FR.14.
    """
    available = await custom_report(station, bench, criteria=["Available"])
    assert available is not None, (
        "GetReport componentCriteria Available: EmptyResultSet, although every available "
        "component (the station, its EVSEs and connectors) has Available = true")
    _check_criterion(available, "Available", "GetReport componentCriteria Available")
    comps = {e["component"]["name"] for e in available}
    assert {"EVSE", "Connector"} <= comps, (
        f"GetReport componentCriteria Available: the available EVSEs and connectors are "
        f"missing; reported components: {sorted(comps)}")
    enabled = await custom_report(station, bench, criteria=["Enabled"])
    if enabled is not None:
        _check_criterion(enabled, "Enabled", "GetReport componentCriteria Enabled")
    problem = await custom_report(station, bench, criteria=["Problem"])
    if problem is not None:
        _check_criterion(problem, "Problem", "GetReport componentCriteria Problem")


@pytest.mark.octt("TC_B_17_CS")
async def test_custom_report_component_variable(station, bench):
    """Get Custom Report - with component/variable.

    GetReport with componentVariable OCPPCommCtrlr.HeartbeatInterval and EVSE #1
    AvailabilityState reports exactly these two variables (B08.FR.11).

    Requirements: B08.FR.01, B08.FR.03, B08.FR.04, B08.FR.11, B08.FR.12, B08.FR.14.
    """
    evse = bench.station.evses[0].id
    entries = await custom_report(station, bench, variables=[
        ref("OCPPCommCtrlr", "HeartbeatInterval"), ref("EVSE", "AvailabilityState", evse=evse)])
    got = names(entries)
    expected = sorted(["OCPPCommCtrlr.HeartbeatInterval", f"EVSE[{evse}].AvailabilityState"])
    assert got == expected, (f"GetReport for {expected}: exactly these must be reported "
                             f"(B08.FR.11), the station reported {got[:20]}")


@pytest.mark.octt("TC_B_18_CS")
async def test_custom_report_criteria_and_component_variable(station, bench):
    """Get Custom Report - with component criteria and component/variable.

    EVSE #1 AvailabilityState with componentCriteria Problem (the EVSE has no problem):
    EmptyResultSet and no report (B08.FR.15); with Available: exactly that variable (B08.FR.05).

    Requirements: B08.FR.01, B08.FR.03, B08.FR.04, B08.FR.05, B08.FR.11, B08.FR.12,
    B08.FR.14, B08.FR.15.
    """
    evse = bench.station.evses[0].id
    wanted = [ref("EVSE", "AvailabilityState", evse=evse)]
    problem = await custom_report(station, bench, criteria=["Problem"], variables=wanted)
    assert problem is None, (
        f"GetReport Problem for EVSE[{evse}].AvailabilityState of a healthy EVSE: expected "
        f"EmptyResultSet (B08.FR.15), the station reported {names(problem)[:20]}")
    entries = await custom_report(station, bench, criteria=["Available"], variables=wanted)
    assert names(entries) == [f"EVSE[{evse}].AvailabilityState"], (
        f"GetReport Available for EVSE[{evse}].AvailabilityState: exactly that variable must be "
        f"reported (B08.FR.05), the station reported {names(entries)[:20]}")


@pytest.mark.octt("TC_B_54_CS")
async def test_custom_report_variable_without_instance(station, bench):
    """Get Custom Report - with component/variable, but no instance.

    DeviceDataCtrlr.ItemsPerMessage without an instance: every instance of it is reported
    (GetReport, GetVariables, SetVariables are required ones).

    Requirements: B08.FR.01, B08.FR.03, B08.FR.04, B08.FR.11, B08.FR.12, B08.FR.14.
    """
    entries = await custom_report(station, bench, variables=[ref("DeviceDataCtrlr", "ItemsPerMessage")])
    instances = {e["variable"].get("instance") for e in entries or []
                 if e["variable"]["name"] == "ItemsPerMessage"}
    missing = {"GetReport", "GetVariables", "SetVariables"} - instances
    assert not missing, (f"GetReport DeviceDataCtrlr.ItemsPerMessage without instance: every "
                         f"instance must be reported; missing {sorted(missing)}, got {names(entries)}")
    assert all(e["component"]["name"] == "DeviceDataCtrlr" and e["variable"]["name"] == "ItemsPerMessage"
               for e in entries or []), f"other variables reported: {names(entries)}"


@pytest.mark.octt("TC_B_55_CS")
async def test_custom_report_variable_with_instance(station, bench):
    """Get Custom Report - with component/variable/instance.

    DeviceDataCtrlr.ItemsPerMessage instance GetReport: exactly that instance is reported.

    Requirements: B08.FR.01, B08.FR.03, B08.FR.04, B08.FR.11, B08.FR.12, B08.FR.14.
    """
    entries = await custom_report(station, bench, variables=[
        ref("DeviceDataCtrlr", "ItemsPerMessage", instance="GetReport")])
    assert names(entries) == ["DeviceDataCtrlr.ItemsPerMessage[GetReport]"], (
        f"GetReport DeviceDataCtrlr.ItemsPerMessage[GetReport]: exactly that instance must be "
        f"reported, the station reported {names(entries)}")


@pytest.mark.octt("TC_B_56_CS")
async def test_custom_report_without_evse_id(station, bench):
    """Get Custom Report - with component/variable, but no evseId.

    EVSE.AvailabilityState without evse: the AvailabilityState of every EVSE of the bench
    file is reported.

    Requirements: B08.FR.01, B08.FR.03, B08.FR.04, B08.FR.11, B08.FR.12, B08.FR.14.
    """
    entries = await custom_report(station, bench, variables=[ref("EVSE", "AvailabilityState")])
    got = {(e["component"].get("evse") or {}).get("id") for e in entries or []
           if e["component"]["name"] == "EVSE" and e["variable"]["name"] == "AvailabilityState"}
    missing = [e.id for e in bench.station.evses if e.id not in got]
    assert not missing, (f"GetReport EVSE.AvailabilityState without evse: every EVSE's must be "
                         f"reported; missing EVSE {missing}, got {names(entries)}")
