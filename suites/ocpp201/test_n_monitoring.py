"""OCTT block N, monitoring (Advanced Device Management), Charging Station side.

OCPP 2.0.1 Part 2: N02 (Get Monitoring Report), N03 (Set Monitoring Base), N04 (Set
Variable Monitoring), N05 (Set Monitoring Level), N06 (Clear / Remove Monitoring), N07
(Alert Event), N08 (Periodic Event).

The monitors are set on Core variables the CSMS can write, so each case provokes its events
through SetVariables, on a real charger as on the emulated one: TxCtrlr.EVConnectionTimeOut
(integer, 1..3600 s, for thresholds and numeric deltas), OCPPCommCtrlr.OfflineThreshold (a
second component) and SecurityCtrlr.OrganizationName (a string, for non-numeric deltas).
Events while offline (N07.FR.04) come from a monitor on the EVSE's output power when the EV
leaves; the hard-wired trigger is the emergency stop (bench action ``press_emergency_stop``).
Every case clears the monitors it set and puts back the values, level and base it changed.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.evidence.steps import step
from suites.ocpp201.provisioning import base_report, name_of, reboot_within, report_entries
from suites.ocpp201.support import get_variable, set_variable, variable_ref

NUMERIC = ("TxCtrlr", "EVConnectionTimeOut")  # integer, ReadWrite, 1..3600 s
OTHER = ("OCPPCommCtrlr", "OfflineThreshold")  # integer, ReadWrite, another component
TEXT = ("SecurityCtrlr", "OrganizationName")  # string, ReadWrite
SEVERITY = 5  # "Alert": reported at the default monitoring level 9


def _request_id() -> int:
    return random.randint(1, 2**31 - 1)


def cv(component: str, variable: str, instance: str | None = None,
       evse: int | None = None) -> dict[str, Any]:
    return variable_ref(component, variable, instance, evse)


def monitor(target: tuple[str, str], kind: str, value: float, severity: int = SEVERITY, *,
            monitor_id: int | None = None, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"value": value, "type": kind, "severity": severity, **cv(*target),
                            **extra}
    if monitor_id is not None:
        item["id"] = monitor_id
    return item


def _quiet(bench: Bench) -> float:
    return max(bench.csms.quiet_period, 0.5)


class Monitors:
    """SetVariableMonitoring with bookkeeping: every monitor set here is cleared at the end."""

    def __init__(self, station: StationSession) -> None:
        self.station = station
        self.ids: set[int] = set()

    async def set(self, *items: dict[str, Any]) -> list[dict[str, Any]]:
        reply = await self.station.call("SetVariableMonitoring", {"setMonitoringData": list(items)})
        results = reply["setMonitoringResult"]
        assert len(results) == len(items), (
            f"SetVariableMonitoring with {len(items)} setMonitoringData: expected as many "
            f"setMonitoringResult (N04.FR.01), the station returned {len(results)}")
        for item, result in zip(items, results, strict=True):
            if result.get("status") == "Accepted" and result.get("id") is not None:
                self.ids.add(int(result["id"]))
            assert (result.get("component"), result.get("variable")) == (
                item["component"], item["variable"]), (
                f"SetVariableMonitoring: a setMonitoringResult must name the component and "
                f"variable of its setMonitoringData, in order (N04.FR.02); expected "
                f"{name_of(item['component'], item['variable'])}, got "
                f"{name_of(result.get('component') or {}, result.get('variable') or {})}")
        return list(results)

    async def add(self, item: dict[str, Any], what: str) -> int:
        """Set one monitor that must be Accepted with an id; return the id."""
        result = (await self.set(item))[0]
        target = name_of(item["component"], item["variable"])
        assert result["status"] == "Accepted", (
            f"SetVariableMonitoring {item['type']} {item['value']} severity {item['severity']} "
            f"on {target} ({what}): expected Accepted (N04.FR.08), the station answered "
            f"{result['status']} {result.get('statusInfo') or ''}".rstrip())
        assert isinstance(result.get("id"), int), (
            f"SetVariableMonitoring on {target}: Accepted without an id; the station must "
            f"generate one and return it (N04.FR.11): {result}")
        return int(result["id"])

    async def clear_all(self) -> None:
        if self.ids and self.station.is_connected:
            await self.station.call("ClearVariableMonitoring", {"id": sorted(self.ids)})
        self.ids.clear()


@asynccontextmanager
async def monitors_of(station: StationSession, *restore: tuple[str, str]) -> AsyncIterator[Monitors]:
    """Monitors set in the block are cleared afterwards, and ``restore`` variables put back."""
    saved = {target: await get_variable(station, *target) for target in restore}
    tracker = Monitors(station)
    try:
        yield tracker
    finally:
        with step("clean up: clear the monitors, put the variables back"):
            with contextlib.suppress(Exception):
                await tracker.clear_all()
            for target, value in saved.items():
                with contextlib.suppress(Exception):
                    await set_variable(station, *target, value)


@asynccontextmanager
async def level_and_base_restored(station: StationSession) -> AsyncIterator[None]:
    try:
        yield
    finally:
        with step("clean up: monitoring level 9, monitoring base All"):
            with contextlib.suppress(Exception):
                await station.call("SetMonitoringLevel", {"severity": 9})
            with contextlib.suppress(Exception):
                await station.call("SetMonitoringBase", {"monitoringBase": "All"})


async def monitoring_report(station: StationSession, bench: Bench, *,
                            criteria: list[str] | None = None,
                            variables: list[dict[str, Any]] | None = None,
                            empty_ok: bool = True) -> list[dict[str, Any]]:
    """GetMonitoringReport and every NotifyMonitoringReport of it: the requestId on every part
    (N02.FR.04), seqNo 0, 1, ... (N02.FR.09), tbc=false on the last one only. Returns the
    monitor (MonitoringData) entries; [] when the station answered EmptyResultSet."""
    request_id = _request_id()
    payload: dict[str, Any] = {"requestId": request_id}
    if criteria:
        payload["monitoringCriteria"] = criteria
    if variables:
        payload["componentVariable"] = variables
    reply = await station.call("GetMonitoringReport", payload)
    what = f"GetMonitoringReport (criteria {criteria or '-'}, {len(variables or [])} componentVariable)"
    if reply["status"] == "EmptyResultSet" and empty_ok:
        await station.expect_none("NotifyMonitoringReport", {"requestId": request_id},
                                  within=bench.csms.quiet_period)
        return []
    assert reply["status"] == "Accepted", (
        f"{what}: expected Accepted (N02.FR.01), the station answered {reply['status']} "
        f"{reply.get('statusInfo') or ''}".rstrip())
    parts: list[Message] = []
    while True:
        part = await station.expect("NotifyMonitoringReport", {"requestId": request_id},
                                    within=bench.csms.message_timeout)
        parts.append(part)
        assert part.get("seqNo") == len(parts) - 1, (
            f"{what}: NotifyMonitoringReport part {len(parts)} has seqNo {part.get('seqNo')}, "
            f"expected {len(parts) - 1} (N02.FR.09: the first part is seqNo 0)")
        if not part.get("tbc", False):
            break
    return [m for p in parts for m in p.get("monitor") or []]


def flat(report: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(component.variable name, VariableMonitoring) for every monitor of a report."""
    return [(name_of(d["component"], d["variable"]), m) for d in report
            for m in d.get("variableMonitoring") or []]


def by_id(report: list[dict[str, Any]]) -> dict[int, tuple[str, dict[str, Any]]]:
    return {int(m["id"]): (name, m) for name, m in flat(report)}


def _name(target: tuple[str, str]) -> str:
    return name_of({"name": target[0]}, {"name": target[1]})


def show(report: list[dict[str, Any]]) -> str:
    return ", ".join(f"{name} #{m['id']} {m['type']} {m['value']} sev {m['severity']}"
                     for name, m in flat(report)) or "nothing"


def event_of(monitor_id: int, trigger: str | None = None, cleared: bool | None = None) -> Any:
    def matcher(payload: dict[str, Any]) -> bool:
        for e in payload.get("eventData") or []:
            if e.get("variableMonitoringId") == monitor_id \
                    and (trigger is None or e.get("trigger") == trigger) \
                    and (cleared is None or bool(e.get("cleared", False)) == cleared):
                return True
        return False

    matcher.__doc__ = (f"an eventData of monitor {monitor_id}" + (f", trigger {trigger}" if trigger else "")
                       + ("" if cleared is None else f", cleared={str(cleared).lower()}"))
    return matcher


def the_event(message: Message, monitor_id: int) -> dict[str, Any]:
    return next(e for e in message["eventData"] if e.get("variableMonitoringId") == monitor_id)


async def expect_event(station: StationSession, bench: Bench, monitor_id: int, trigger: str, *,
                       cleared: bool = False, why: str, since: int | None = None) -> dict[str, Any]:
    try:
        message = await station.expect("NotifyEvent", event_of(monitor_id, trigger, cleared),
                                       within=bench.csms.message_timeout + bench.csms.deviation,
                                       since=since)
    except ExpectTimeout as exc:
        raise AssertionError(f"{why}: expected a NotifyEvent of monitor {monitor_id} with trigger "
                             f"{trigger}{' and cleared=true' if cleared else ''}; none came.\n"
                             f"{exc}") from None
    assert message.get("seqNo") == 0, (
        f"{why}: the NotifyEvent of a single part must have seqNo 0 (N07.FR.07), it has "
        f"{message.get('seqNo')}")
    return the_event(message, monitor_id)


async def expect_no_event(station: StationSession, bench: Bench, monitor_id: int, why: str,
                          **kw: Any) -> None:
    try:
        await station.expect_none("NotifyEvent", event_of(monitor_id, **kw), within=_quiet(bench))
    except AssertionError as exc:
        raise AssertionError(f"{why}\n{exc}") from None


def check_event(e: dict[str, Any], target: tuple[str, str], value: str, kind: str, why: str) -> None:
    """N07.FR.06: component, variable and variableMonitoringId of the monitor; its actual value."""
    assert (e.get("component", {}).get("name"), e.get("variable", {}).get("name")) == target, (
        f"{why}: the eventData must name the monitored {_name(target)} (N07.FR.06), it names "
        f"{name_of(e.get('component') or {}, e.get('variable') or {})}")
    assert str(e.get("actualValue")) == value, (
        f"{why}: expected actualValue {value!r}, the station reported {e.get('actualValue')!r}")
    assert e.get("eventNotificationType") == kind, (
        f"{why}: expected eventNotificationType {kind}, the station sent "
        f"{e.get('eventNotificationType')!r}")


# ---- N02: Get Monitoring Report ----------------------------------------------------------------
@pytest.mark.octt("TC_N_01_CS")
async def test_monitoring_report_with_criteria(station, bench):
    """Get Monitoring Report - with monitoringCriteria.

    With a threshold, a delta and a periodic monitor set: GetMonitoringReport with
    ThresholdMonitoring reports UpperThreshold / LowerThreshold monitors only (N02.FR.12),
    DeltaMonitoring Delta monitors only (N02.FR.13), PeriodicMonitoring Periodic /
    PeriodicClockAligned monitors only (N02.FR.14); each includes the one set here.

    Requirements: N02.FR.01, N02.FR.03, N02.FR.04, N02.FR.05, N02.FR.06, N02.FR.09,
    N02.FR.12, N02.FR.13, N02.FR.14.
    """
    async with monitors_of(station) as monitors:
        ids = {
            "ThresholdMonitoring": await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "upper"),
            "DeltaMonitoring": await monitors.add(monitor(NUMERIC, "Delta", 100), "delta"),
            "PeriodicMonitoring": await monitors.add(monitor(NUMERIC, "Periodic", 3600), "periodic"),
        }
        allowed = {"ThresholdMonitoring": ("UpperThreshold", "LowerThreshold"),
                   "DeltaMonitoring": ("Delta",),
                   "PeriodicMonitoring": ("Periodic", "PeriodicClockAligned")}
        for criterion, types in allowed.items():
            report = await monitoring_report(station, bench, criteria=[criterion], empty_ok=False)
            wrong = [f"{name} #{m['id']} {m['type']}" for name, m in flat(report) if m["type"] not in types]
            assert not wrong, (f"GetMonitoringReport {criterion}: only {'/'.join(types)} monitors may "
                               f"be reported (N02.FR.06), the station also reported {wrong}")
            assert ids[criterion] in by_id(report), (
                f"GetMonitoringReport {criterion}: monitor {ids[criterion]} set on "
                f"{_name(NUMERIC)} is missing; reported: {show(report)}")


@pytest.mark.octt("TC_N_02_CS")
async def test_monitoring_report_component_variable(station, bench):
    """Get Monitoring Report - with component/variable.

    Monitors on two variables; GetMonitoringReport with componentVariable naming one of them
    reports the monitors of that variable only (N02.FR.08), all of them.

    Requirements: N02.FR.01, N02.FR.03, N02.FR.04, N02.FR.05, N02.FR.08, N02.FR.09.
    """
    async with monitors_of(station) as monitors:
        upper = await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "upper")
        lower = await monitors.add(monitor(NUMERIC, "LowerThreshold", 2), "lower")
        other = await monitors.add(monitor(OTHER, "UpperThreshold", 80000), "other variable")
        report = await monitoring_report(station, bench, variables=[cv(*NUMERIC)], empty_ok=False)
        names = {name for name, _ in flat(report)}
        assert names == {_name(NUMERIC)}, (
            f"GetMonitoringReport for {_name(NUMERIC)}: only its monitors may be reported "
            f"(N02.FR.08), the station reported monitors of {sorted(names)}")
        found = by_id(report)
        missing = [i for i in (upper, lower) if i not in found]
        assert not missing, f"GetMonitoringReport for {_name(NUMERIC)}: monitors {missing} missing"
        assert other not in found


@pytest.mark.octt("TC_N_03_CS")
async def test_monitoring_report_criteria_and_component_variable(station, bench):
    """Get Monitoring Report - with component criteria and component/variable.

    Threshold and delta monitors on one variable: DeltaMonitoring together with that
    componentVariable reports only its Delta monitor (N02.FR.05, N02.FR.13);
    PeriodicMonitoring with it matches nothing, answered EmptyResultSet with no report
    (N02.FR.10).

    Requirements: N02.FR.01, N02.FR.03, N02.FR.04, N02.FR.05, N02.FR.09, N02.FR.10, N02.FR.13.
    """
    async with monitors_of(station) as monitors:
        upper = await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "upper")
        delta = await monitors.add(monitor(NUMERIC, "Delta", 100), "delta")
        await monitors.add(monitor(OTHER, "Delta", 100), "delta elsewhere")
        report = await monitoring_report(station, bench, criteria=["DeltaMonitoring"],
                                         variables=[cv(*NUMERIC)], empty_ok=False)
        found = by_id(report)
        assert set(found) == {delta}, (
            f"GetMonitoringReport DeltaMonitoring for {_name(NUMERIC)}: expected exactly its "
            f"Delta monitor {delta} (not the UpperThreshold {upper}, nor monitors of other "
            f"variables) (N02.FR.05), the station reported {show(report)}")
        request_id = _request_id()
        reply = await station.call("GetMonitoringReport", {
            "requestId": request_id, "monitoringCriteria": ["PeriodicMonitoring"],
            "componentVariable": [cv(*NUMERIC)]})
        assert reply["status"] == "EmptyResultSet", (
            f"GetMonitoringReport PeriodicMonitoring for {_name(NUMERIC)}, which has no periodic "
            f"monitor: expected EmptyResultSet (N02.FR.10), the station answered {reply['status']}")
        await station.expect_none("NotifyMonitoringReport", {"requestId": request_id},
                                  within=bench.csms.quiet_period)


@pytest.mark.octt("TC_N_47_CS")
async def test_monitoring_report_all(station, bench):
    """Get Monitoring report - Report all.

    GetMonitoringReport without criteria and componentVariable reports every monitor
    (N02.FR.11): the custom ones set here on two components, of every type.

    Requirements: N02.FR.01, N02.FR.11.
    """
    async with monitors_of(station) as monitors:
        ids = [await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "upper"),
               await monitors.add(monitor(NUMERIC, "Delta", 100), "delta"),
               await monitors.add(monitor(OTHER, "Periodic", 3600), "periodic"),
               await monitors.add(monitor(TEXT, "Delta", 1), "text delta")]
        report = await monitoring_report(station, bench, empty_ok=False)
        missing = [i for i in ids if i not in by_id(report)]
        assert not missing, (f"GetMonitoringReport without filters must report every monitor "
                             f"(N02.FR.11); missing {missing}, reported {show(report)}")


# ---- N03: Set Monitoring Base -------------------------------------------------------------------
async def set_base(station: StationSession, base: str) -> None:
    reply = await station.call("SetMonitoringBase", {"monitoringBase": base})
    assert reply["status"] == "Accepted", (
        f"SetMonitoringBase {base}: expected Accepted (N03.FR.01), the station answered "
        f"{reply['status']}")


@pytest.mark.octt("TC_N_05_CS")
async def test_set_monitoring_base(station, bench):
    """Set Monitoring Base - success.

    With a custom monitor set: SetMonitoringBase All is Accepted and keeps it (N03.FR.03);
    FactoryDefault is Accepted and removes it (N03.FR.04); HardWiredOnly is Accepted, and
    afterwards no custom monitor is reported (N03.FR.05). The base is put back to All.

    Requirements: N03.FR.01, N03.FR.03, N03.FR.04, N03.FR.05.
    """
    async with level_and_base_restored(station), monitors_of(station) as monitors:
        custom = await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "custom")
        await set_base(station, "All")
        report = await monitoring_report(station, bench)
        assert custom in by_id(report), (
            f"SetMonitoringBase All must keep the custom monitors (N03.FR.03); monitor {custom} "
            f"is gone: {show(report)}")
        await set_base(station, "FactoryDefault")
        report = await monitoring_report(station, bench)
        assert custom not in by_id(report), (
            f"SetMonitoringBase FactoryDefault must remove every custom monitor (N03.FR.04); "
            f"monitor {custom} is still reported")
        custom = await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "custom again")
        await set_base(station, "HardWiredOnly")
        report = await monitoring_report(station, bench)
        assert custom not in by_id(report), (
            f"SetMonitoringBase HardWiredOnly must remove every custom monitor (N03.FR.05); "
            f"monitor {custom} is still reported")


@pytest.mark.octt("TC_N_06_CS")
async def test_set_monitoring_base_removes_custom(station, bench):
    """Set Monitoring Base - test removal custom monitors.

    Custom monitors on two variables, then SetMonitoringBase HardWiredOnly: Accepted, and
    neither monitor is reported any more, nor does one fire when its threshold is exceeded.

    Requirements: N03.FR.01, N03.FR.05.
    """
    async with level_and_base_restored(station), monitors_of(station, NUMERIC) as monitors:
        first = await monitors.add(monitor(NUMERIC, "UpperThreshold", 100), "first")
        second = await monitors.add(monitor(OTHER, "Delta", 100), "second")
        await set_base(station, "HardWiredOnly")
        report = await monitoring_report(station, bench)
        left = [i for i in (first, second) if i in by_id(report)]
        assert not left, (f"after SetMonitoringBase HardWiredOnly the custom monitors must be "
                          f"gone (N03.FR.05); still reported: {left}")
        await set_variable(station, *NUMERIC, "150")
        await expect_no_event(station, bench, first,
                              f"{_name(NUMERIC)}=150 exceeds the removed monitor {first}")


@pytest.mark.octt("TC_N_41_CS")
async def test_replace_preconfigured_then_factory_default(station, bench):
    """Set Variable Monitoring - Return to FactoryDefault.

    After SetMonitoringBase FactoryDefault, the station's own monitors are reported. One of
    them that can be replaced (a hard-wired one answers Rejected, N04.FR.18) is replaced
    through SetVariableMonitoring with its id and a new value: Accepted, reported with the
    new value (N04.FR.12, N04.FR.15). SetMonitoringBase FactoryDefault brings back its
    original value (N03.FR.04).

    Requirements: N03.FR.04, N04.FR.15.
    """
    async with level_and_base_restored(station), monitors_of(station) as monitors:
        await set_base(station, "FactoryDefault")
        factory = flat(await monitoring_report(station, bench))
        if not factory:
            pytest.skip("the station reports no pre-configured monitor after FactoryDefault")
        replaced = None
        for name, m in factory:
            data = next(d for d in await monitoring_report(station, bench)
                        if name_of(d["component"], d["variable"]) == name)
            new_value = m["value"] - 1 if m["type"] != "Periodic" else m["value"] + 1
            result = (await monitors.set({"id": m["id"], "value": new_value, "type": m["type"],
                                          "severity": m["severity"],
                                          "component": data["component"],
                                          "variable": data["variable"]}))[0]
            if result["status"] == "Accepted":
                replaced = (name, m, new_value)
                break
        assert replaced is not None, (
            f"none of the station's monitors could be replaced: {[(n, m['id']) for n, m in factory]}")
        name, original, new_value = replaced
        found = by_id(await monitoring_report(station, bench)).get(original["id"])
        assert found is not None and float(found[1]["value"]) == float(new_value), (
            f"monitor {original['id']} on {name} replaced with value {new_value}: the report "
            f"shows {found[1] if found else 'no such monitor'} (N04.FR.12)")
        await set_base(station, "FactoryDefault")
        restored = [m for n, m in flat(await monitoring_report(station, bench))
                    if n == name and m["type"] == original["type"]
                    and m["severity"] == original["severity"]]
        assert restored and all(float(m["value"]) == float(original["value"]) for m in restored), (
            f"SetMonitoringBase FactoryDefault must restore the factory monitor on {name} with "
            f"value {original['value']} (N03.FR.04, N04.FR.15); reported: {restored}")


# ---- N04: Set Variable Monitoring ------------------------------------------------------------------
@pytest.mark.octt("TC_N_08_CS")
async def test_set_variable_monitoring_one(station, bench):
    """Set Variable Monitoring - one setMonitoringData element.

    One UpperThreshold monitor without id: Accepted with a generated id (N04.FR.11), the
    type and severity given, and the monitor is then reported as set.

    Requirements: N04.FR.01, N04.FR.02, N04.FR.08, N04.FR.11.
    """
    async with monitors_of(station) as monitors:
        result = (await monitors.set(monitor(NUMERIC, "UpperThreshold", 3000, 7)))[0]
        assert result["status"] == "Accepted", (
            f"SetVariableMonitoring UpperThreshold 3000 on {_name(NUMERIC)}: expected Accepted "
            f"(N04.FR.08), got {result['status']} {result.get('statusInfo') or ''}".rstrip())
        assert isinstance(result.get("id"), int), (
            f"Accepted without an id: the station must generate one (N04.FR.11): {result}")
        assert (result["type"], result["severity"]) == ("UpperThreshold", 7), (
            f"setMonitoringResult must echo type and severity: {result}")
        found = by_id(await monitoring_report(station, bench, variables=[cv(*NUMERIC)])).get(result["id"])
        assert found and (found[1]["type"], float(found[1]["value"]), found[1]["severity"]) == (
            "UpperThreshold", 3000.0, 7), f"monitor {result['id']} is reported as {found}"


@pytest.mark.octt("TC_N_09_CS")
async def test_set_variable_monitoring_different_variables(station, bench):
    """Set Variable Monitoring - Multiple elements on different component and variable.

    One request with monitors on three variables of different components: one result per
    element, in order, each Accepted with its own id.

    Requirements: N04.FR.01, N04.FR.02, N04.FR.08, N04.FR.11.
    """
    async with monitors_of(station) as monitors:
        results = await monitors.set(monitor(NUMERIC, "UpperThreshold", 3000),
                                     monitor(OTHER, "LowerThreshold", 1),
                                     monitor(TEXT, "Delta", 1))
        bad = [f"{r['variable']['name']}: {r['status']}" for r in results if r["status"] != "Accepted"]
        assert not bad, f"SetVariableMonitoring on three variables: expected all Accepted, got {bad}"
        ids = [r.get("id") for r in results]
        assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3, (
            f"each Accepted monitor needs its own id (N04.FR.11): {ids}")


@pytest.mark.octt("TC_N_10_CS")
async def test_set_variable_monitoring_same_variable(station, bench):
    """Set Variable Monitoring - Multiple monitors on the same component and variable.

    UpperThreshold, LowerThreshold and Delta on one variable in one request: all Accepted,
    distinct ids, all three reported for the variable.

    Requirements: N04.FR.01, N04.FR.02, N04.FR.08, N04.FR.11.
    """
    async with monitors_of(station) as monitors:
        results = await monitors.set(monitor(NUMERIC, "UpperThreshold", 3000),
                                     monitor(NUMERIC, "LowerThreshold", 2),
                                     monitor(NUMERIC, "Delta", 50))
        bad = [f"{r['type']}: {r['status']}" for r in results if r["status"] != "Accepted"]
        assert not bad, f"three monitor types on {_name(NUMERIC)}: expected all Accepted, got {bad}"
        ids = [r.get("id") for r in results]
        assert len(set(ids)) == 3, f"each monitor needs its own id (N04.FR.11): {ids}"
        found = by_id(await monitoring_report(station, bench, variables=[cv(*NUMERIC)]))
        assert all(i in found for i in ids), f"monitors {ids} not all reported: {found}"


@pytest.mark.octt("TC_N_11_CS")
async def test_set_variable_monitoring_unknown_component(station, bench):
    """Set Variable Monitoring - Unknown component.

    A monitor on a component the station does not have: UnknownComponent (N04.FR.03).

    Requirements: N04.FR.03.
    """
    async with monitors_of(station) as monitors:
        result = (await monitors.set(monitor(("OCTTUnknownCtrlr", "Enabled"), "Delta", 1)))[0]
        assert result["status"] == "UnknownComponent", (
            f"SetVariableMonitoring on the unknown component OCTTUnknownCtrlr: expected "
            f"UnknownComponent (N04.FR.03), the station answered {result['status']}")


@pytest.mark.octt("TC_N_37_CS")
async def test_set_variable_monitoring_unknown_variable(station, bench):
    """Set Variable Monitoring - Unknown Variable.

    A monitor on an unknown variable of a known component: UnknownVariable (N04.FR.04).

    Requirements: N04.FR.04.
    """
    async with monitors_of(station) as monitors:
        result = (await monitors.set(monitor((NUMERIC[0], "OCTTUnknownVariable"), "Delta", 1)))[0]
        assert result["status"] == "UnknownVariable", (
            f"SetVariableMonitoring on {NUMERIC[0]}.OCTTUnknownVariable: expected UnknownVariable "
            f"(N04.FR.04), the station answered {result['status']}")


@pytest.mark.octt("TC_N_12_CS")
async def test_set_variable_monitoring_negative_delta(station, bench):
    """Set Variable Monitoring - Value out of range - Delta monitor.

    A Delta monitor with a negative value: Rejected (N04.FR.14), and nothing is installed.

    Requirements: N04.FR.14.
    """
    async with monitors_of(station) as monitors:
        result = (await monitors.set(monitor(NUMERIC, "Delta", -10)))[0]
        assert result["status"] == "Rejected", (
            f"SetVariableMonitoring Delta -10 on {_name(NUMERIC)}: expected Rejected "
            f"(N04.FR.14: a negative delta), the station answered {result['status']}")


async def _variable_limits(station: StationSession, bench: Bench,
                           target: tuple[str, str]) -> tuple[float | None, float | None]:
    request_id = _request_id()
    reply = await station.call("GetReport", {"requestId": request_id,
                                             "componentVariable": [cv(*target)]})
    if reply["status"] != "Accepted":
        return None, 3600.0
    part = await station.expect("NotifyReport", {"requestId": request_id},
                                within=bench.csms.message_timeout)
    chars = (part["reportData"][0].get("variableCharacteristics") or {})
    return chars.get("minLimit"), chars.get("maxLimit")


@pytest.mark.octt("TC_N_13_CS")
async def test_set_variable_monitoring_threshold_out_of_range(station, bench):
    """Set Variable Monitoring - Value out of range - Threshold monitor.

    An UpperThreshold monitor above the variable's maxLimit: Rejected; nothing installed.

    Requirements: N04.FR.13 (N04.FR.06 in later editions).
    """
    _, high = await _variable_limits(station, bench, NUMERIC)
    value = (high or 3600) * 10
    async with monitors_of(station) as monitors:
        result = (await monitors.set(monitor(NUMERIC, "UpperThreshold", value)))[0]
        assert result["status"] == "Rejected", (
            f"SetVariableMonitoring UpperThreshold {value:g} on {_name(NUMERIC)} (maxLimit "
            f"{high}): expected Rejected, the value is out of the variable's range; the "
            f"station answered {result['status']}")


@pytest.mark.octt("TC_N_43_CS")
async def test_set_variable_monitoring_second_out_of_range(station, bench):
    """Set Variable Monitoring - First and third SetMonitoringData valid, the second out of range.

    Three elements in one request, the second an UpperThreshold above the variable's range:
    results in order, Accepted, Rejected, Accepted; the valid ones are installed.

    Requirements: N/a (N04.FR.01, N04.FR.02, N04.FR.08).
    """
    _, high = await _variable_limits(station, bench, NUMERIC)
    async with monitors_of(station) as monitors:
        results = await monitors.set(monitor(NUMERIC, "UpperThreshold", 3000),
                                     monitor(OTHER, "UpperThreshold", (high or 3600) * 1000),
                                     monitor(TEXT, "Delta", 1))
        statuses = [r["status"] for r in results]
        assert statuses == ["Accepted", "Rejected", "Accepted"], (
            f"SetVariableMonitoring with the second element out of range: expected "
            f"[Accepted, Rejected, Accepted], the station answered {statuses}")
        found = by_id(await monitoring_report(station, bench))
        assert results[0]["id"] in found and results[2]["id"] in found, (
            f"the valid monitors {results[0]['id']}, {results[2]['id']} are not reported")


@pytest.mark.octt("TC_N_15_CS")
async def test_set_variable_monitoring_duplicate(station, bench):
    """Set Variable Monitoring - Duplicate Variable type/severity combination.

    A second UpperThreshold with the same severity on the same variable, without id:
    Duplicate (N04.FR.10); the first monitor stays as it was.

    Requirements: N04.FR.10.
    """
    async with monitors_of(station) as monitors:
        first = await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000, 4), "first")
        result = (await monitors.set(monitor(NUMERIC, "UpperThreshold", 2000, 4)))[0]
        assert result["status"] == "Duplicate", (
            f"a second UpperThreshold severity 4 on {_name(NUMERIC)}: expected Duplicate "
            f"(N04.FR.10), the station answered {result['status']}")
        found = by_id(await monitoring_report(station, bench, variables=[cv(*NUMERIC)]))
        assert first in found and float(found[first][1]["value"]) == 3000, (
            f"the first monitor {first} must stay at 3000: {found.get(first)}")


@pytest.mark.octt("TC_N_39_CS")
async def test_set_variable_monitoring_id_other_variable(station, bench):
    """Set Variable Monitoring - Component/Variable combination does NOT correspond.

    SetVariableMonitoring with the id of an existing monitor but another component/variable:
    Rejected (N04.FR.16), and the monitor keeps its variable and value.

    Requirements: N04.FR.16.
    """
    async with monitors_of(station) as monitors:
        existing = await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "existing")
        result = (await monitors.set(monitor(OTHER, "UpperThreshold", 5000, monitor_id=existing)))[0]
        assert result["status"] == "Rejected", (
            f"SetVariableMonitoring id {existing} (a monitor on {_name(NUMERIC)}) for "
            f"{_name(OTHER)}: expected Rejected (N04.FR.16), the station answered {result['status']}")
        found = by_id(await monitoring_report(station, bench)).get(existing)
        assert found and found[0] == _name(NUMERIC) and float(found[1]["value"]) == 3000, (
            f"monitor {existing} must stay on {_name(NUMERIC)} at 3000: {found}")


@pytest.mark.octt("TC_N_40_CS")
async def test_set_variable_monitoring_replace(station, bench):
    """Set Variable Monitoring - Replace Variable Monitor.

    SetVariableMonitoring with the id of an existing monitor, same component/variable, a new
    value and severity: Accepted with that id, and the monitor is replaced (N04.FR.12): one
    monitor with that id, reported with the new value.

    Requirements: N04.FR.12.
    """
    async with monitors_of(station) as monitors:
        existing = await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "existing")
        result = (await monitors.set(monitor(NUMERIC, "UpperThreshold", 2500, 6, monitor_id=existing)))[0]
        assert result["status"] == "Accepted" and result.get("id") == existing, (
            f"replacing monitor {existing}: expected Accepted with id {existing} (N04.FR.12), got "
            f"{result}")
        report = await monitoring_report(station, bench, variables=[cv(*NUMERIC)])
        mine = [m for _, m in flat(report) if m["id"] == existing]
        assert len(mine) == 1 and float(mine[0]["value"]) == 2500 and mine[0]["severity"] == 6, (
            f"monitor {existing} must be replaced by UpperThreshold 2500 severity 6: {mine}")


# ---- N05: Set Monitoring Level ---------------------------------------------------------------------
@pytest.mark.octt("TC_N_16_CS")
async def test_set_monitoring_level(station, bench):
    """Set Monitoring Level - Success.

    SetMonitoringLevel 4: Accepted (N05.FR.01). A triggered monitor of severity 8 then sends
    no NotifyEvent; one of severity 2 does (N05.FR.03). The level is put back to 9.

    Requirements: N05.FR.01, N05.FR.03.
    """
    async with level_and_base_restored(station), monitors_of(station, NUMERIC) as monitors:
        reply = await station.call("SetMonitoringLevel", {"severity": 4})
        assert reply["status"] == "Accepted", (
            f"SetMonitoringLevel 4: expected Accepted (N05.FR.01), got {reply['status']}")
        low = await monitors.add(monitor(NUMERIC, "UpperThreshold", 100, 8), "severity 8")
        high = await monitors.add(monitor(NUMERIC, "UpperThreshold", 110, 2), "severity 2")
        mark = station.journal.mark()
        await set_variable(station, *NUMERIC, "150")
        await expect_event(station, bench, high, "Alerting", since=mark,
                           why=f"{_name(NUMERIC)}=150 exceeds the severity 2 monitor at level 4")
        await expect_no_event(station, bench, low,
                              f"monitor {low} has severity 8, above the monitoring level 4: its "
                              f"events must not be reported (N05.FR.03)")
        assert not [e for e in station.received(mark) if e.action == "NotifyEvent"
                    and event_of(low)(e.payload or {})], (
            f"monitor {low} has severity 8, above the monitoring level 4: its events must not be "
            f"reported (N05.FR.03), yet a NotifyEvent of it was sent")


@pytest.mark.octt("TC_N_17_CS")
async def test_set_monitoring_level_out_of_range(station, bench):
    """Set Monitoring Level - Out of range.

    SetMonitoringLevel with severity 10 (levels are 0..9): Rejected (N05.FR.02).

    Requirements: N05.FR.02.
    """
    async with level_and_base_restored(station):
        reply = await station.call("SetMonitoringLevel", {"severity": 10})
        assert reply["status"] == "Rejected", (
            f"SetMonitoringLevel 10: expected Rejected, severities are 0..9 (N05.FR.02); the "
            f"station answered {reply['status']}")


# ---- N06: Clear Monitoring ---------------------------------------------------------------------------
@pytest.mark.octt("TC_N_18_CS")
async def test_clear_monitoring(station, bench):
    """Clear Monitoring - Success.

    Two monitors, then ClearVariableMonitoring with both ids: one result per id (N06.FR.05),
    each Accepted (N06.FR.01); neither is reported afterwards.

    Requirements: N06.FR.01, N06.FR.05.
    """
    async with monitors_of(station) as monitors:
        ids = [await monitors.add(monitor(NUMERIC, "UpperThreshold", 3000), "first"),
               await monitors.add(monitor(OTHER, "Delta", 10), "second")]
        reply = await station.call("ClearVariableMonitoring", {"id": ids})
        results = {r.get("id"): r.get("status") for r in reply["clearMonitoringResult"]}
        assert results == {i: "Accepted" for i in ids}, (
            f"ClearVariableMonitoring {ids}: expected one Accepted result per id (N06.FR.01, "
            f"N06.FR.05), the station answered {reply['clearMonitoringResult']}")
        monitors.ids.difference_update(ids)
        left = [i for i in ids if i in by_id(await monitoring_report(station, bench))]
        assert not left, f"cleared monitors {left} are still reported"


@pytest.mark.octt("TC_N_19_CS")
async def test_clear_monitoring_not_found(station, bench):
    """Clear Monitoring - Not found.

    ClearVariableMonitoring with an id no monitor has: NotFound (N06.FR.02).

    Requirements: N06.FR.02.
    """
    report = by_id(await monitoring_report(station, bench))
    unknown = max([*report, 0]) + 7919
    reply = await station.call("ClearVariableMonitoring", {"id": [unknown]})
    results = reply["clearMonitoringResult"]
    assert [(r.get("id"), r.get("status")) for r in results] == [(unknown, "NotFound")], (
        f"ClearVariableMonitoring with the unknown id {unknown}: expected NotFound (N06.FR.02), "
        f"the station answered {results}")


@pytest.mark.octt("TC_N_44_CS")
@pytest.mark.requires("HardWiredMonitoring")
async def test_clear_monitoring_rejected(station, bench):
    """Clear Monitoring - Rejected.

    With SetMonitoringBase HardWiredOnly only the hard-wired monitors are left; clearing them
    is Rejected, one result per id (N06.FR.03), and they are still reported afterwards. The
    base is put back to All.

    Requirements: N06.FR.03.
    """
    async with level_and_base_restored(station):
        await set_base(station, "HardWiredOnly")
        wired = by_id(await monitoring_report(station, bench))
        assert wired, ("the station claims hard-wired monitors (OCTT AQ-5), yet with "
                       "SetMonitoringBase HardWiredOnly it reports no monitor at all")
        ids = sorted(wired)
        reply = await station.call("ClearVariableMonitoring", {"id": ids})
        results = {r.get("id"): r.get("status") for r in reply["clearMonitoringResult"]}
        assert results == {i: "Rejected" for i in ids}, (
            f"ClearVariableMonitoring of the hard-wired monitors {ids}: a monitor that cannot "
            f"be removed must be Rejected, one result per id (N06.FR.03); the station answered "
            f"{reply['clearMonitoringResult']}")
        gone = [i for i in ids if i not in by_id(await monitoring_report(station, bench))]
        assert not gone, f"the hard-wired monitors {gone} were removed although Rejected"


# ---- N07: Alert Event ------------------------------------------------------------------------------
@pytest.mark.octt("TC_N_20_CS")
async def test_alert_threshold_exceeded(station, bench):
    """Alert Event - Threshold value exceeded.

    UpperThreshold at 100 on EVConnectionTimeOut: the value 100 (on the threshold) sends
    nothing; 150 sends NotifyEvent trigger Alerting with the actual value, component,
    variable and monitor id (N07.FR.06, N07.FR.16); back to 100 sends it cleared (N07.FR.02).
    LowerThreshold at 20 likewise: 20 nothing, 10 Alerting (N07.FR.17), 30 cleared.

    Requirements: N07.FR.06, N07.FR.07, N07.FR.16, N07.FR.17.
    """
    async with monitors_of(station, NUMERIC) as monitors:
        await set_variable(station, *NUMERIC, "60")
        upper = await monitors.add(monitor(NUMERIC, "UpperThreshold", 100), "upper")
        lower = await monitors.add(monitor(NUMERIC, "LowerThreshold", 20), "lower")
        await set_variable(station, *NUMERIC, "100")
        await expect_no_event(station, bench, upper,
                              "100 is on the UpperThreshold 100, not above it (N07.FR.16)")
        await set_variable(station, *NUMERIC, "150")
        e = await expect_event(station, bench, upper, "Alerting", why=f"{_name(NUMERIC)}=150 > 100")
        check_event(e, NUMERIC, "150", "CustomMonitor", "UpperThreshold exceeded")
        assert not e.get("cleared", False), f"the Alerting event must not be cleared: {e}"
        await set_variable(station, *NUMERIC, "100")
        await expect_event(station, bench, upper, "Alerting", cleared=True,
                           why="back within the UpperThreshold (N07.FR.02)")
        await set_variable(station, *NUMERIC, "20")
        await expect_no_event(station, bench, lower,
                              "20 is on the LowerThreshold 20, not below it (N07.FR.17)")
        await set_variable(station, *NUMERIC, "10")
        e = await expect_event(station, bench, lower, "Alerting", why=f"{_name(NUMERIC)}=10 < 20")
        check_event(e, NUMERIC, "10", "CustomMonitor", "LowerThreshold exceeded")
        await set_variable(station, *NUMERIC, "30")
        await expect_event(station, bench, lower, "Alerting", cleared=True,
                           why="back within the LowerThreshold (N07.FR.02)")


@pytest.mark.octt("TC_N_45_CS")
async def test_alert_delta_exceeded(station, bench):
    """Alert Event - Delta value exceeded.

    Delta 10 on EVConnectionTimeOut at 60: 65 (a change of 5) sends nothing; 75 (15 since
    the monitor was set) sends NotifyEvent trigger Delta with actualValue 75 (N07.FR.18);
    then 80 (5 since the last event) nothing, 90 (15) Delta again.

    Requirements: N07.FR.06, N07.FR.07, N07.FR.18, N07.FR.19.
    """
    async with monitors_of(station, NUMERIC) as monitors:
        await set_variable(station, *NUMERIC, "60")
        delta = await monitors.add(monitor(NUMERIC, "Delta", 10), "delta 10")
        await expect_no_event(station, bench, delta, "the Delta monitor fired without a change")
        for value, fires in (("65", False), ("75", True), ("80", False), ("90", True)):
            await set_variable(station, *NUMERIC, value)
            if fires:
                e = await expect_event(station, bench, delta, "Delta",
                                       why=f"{_name(NUMERIC)}={value} moved more than 10")
                check_event(e, NUMERIC, value, "CustomMonitor", "Delta exceeded")
            else:
                await expect_no_event(station, bench, delta,
                                      f"{_name(NUMERIC)}={value} moved less than the Delta 10 since "
                                      f"the last event: no NotifyEvent (N07.FR.18)")


@pytest.mark.octt("TC_N_56_CS")
async def test_alert_delta_not_numeric(station, bench):
    """Alert Event - Delta value NOT numeric exceeded.

    Delta 1 on the string SecurityCtrlr.OrganizationName: any change of the value sends
    NotifyEvent trigger Delta with the new value (N07.FR.19), each time.

    Requirements: N07.FR.06, N07.FR.07, N07.FR.18, N07.FR.19.
    """
    async with monitors_of(station, TEXT) as monitors:
        delta = await monitors.add(monitor(TEXT, "Delta", 1), "non-numeric delta")
        for value in ("OCTT Monitoring A", "OCTT Monitoring B"):
            await set_variable(station, *TEXT, value)
            e = await expect_event(station, bench, delta, "Delta",
                                   why=f"{_name(TEXT)} changed to {value!r}")
            check_event(e, TEXT, value, "CustomMonitor", "non-numeric Delta")


@pytest.mark.octt("TC_N_48_CS")
async def test_alert_write_only_variable(station, bench):
    """Alert Event - Variable monitoring on write only.

    A Delta monitor on a WriteOnly variable that supports monitoring (found in the
    FullInventory; SecurityCtrlr.BasicAuthPassword is left alone): writing a new value sends
    NotifyEvent trigger Delta whose actualValue is empty (N07.FR.10).

    Requirements: N07.FR.10.
    """
    entries = report_entries(await base_report(station, "FullInventory", _request_id(),
                                               within=bench.csms.message_timeout))
    candidates = [e for e in entries
                  if any(a.get("mutability") == "WriteOnly" for a in e.get("variableAttribute") or [])
                  and (e.get("variableCharacteristics") or {}).get("supportsMonitoring")
                  and (e.get("variableCharacteristics") or {}).get("dataType") == "string"
                  and e["variable"]["name"] != "BasicAuthPassword"]
    if not candidates:
        pytest.skip("the station reports no monitorable WriteOnly string variable to write")
    target = candidates[0]
    ref = {"component": target["component"], "variable": target["variable"]}
    name = name_of(target["component"], target["variable"])
    async with monitors_of(station) as monitors:
        delta = await monitors.add({"value": 1, "type": "Delta", "severity": SEVERITY, **ref}, "write-only")
        reply = await station.call("SetVariables", {"setVariableData": [
            {**ref, "attributeValue": f"{random.randint(1000, 9999)}"}]})
        assert reply["setVariableResult"][0]["attributeStatus"] == "Accepted", (
            f"SetVariables {name}: {reply['setVariableResult'][0]}")
        e = await expect_event(station, bench, delta, "Delta", why=f"{name} written")
        assert e.get("actualValue") == "", (
            f"{name} is WriteOnly: the NotifyEvent's actualValue must be empty (N07.FR.10), the "
            f"station sent {e.get('actualValue')!r}")


@pytest.mark.octt("TC_N_51_CS")
async def test_alert_replace_threshold_rechecked(station, bench):
    """Set Variable Monitoring - Replace Variable Monitor (alert state).

    UpperThreshold at 100 exceeded by 150 (Alerting). Replacing it with 200 clears it: a
    NotifyEvent cleared=true (N07.FR.11). Replacing it with 120 exceeds it again: Alerting.

    Requirements: N07.FR.11.
    """
    async with monitors_of(station, NUMERIC) as monitors:
        await set_variable(station, *NUMERIC, "60")
        upper = await monitors.add(monitor(NUMERIC, "UpperThreshold", 100), "upper")
        await set_variable(station, *NUMERIC, "150")
        await expect_event(station, bench, upper, "Alerting", why=f"{_name(NUMERIC)}=150 > 100")
        await monitors.add(monitor(NUMERIC, "UpperThreshold", 200, monitor_id=upper), "replace 200")
        await expect_event(station, bench, upper, "Alerting", cleared=True,
                           why="the monitor replaced by UpperThreshold 200 is no longer exceeded "
                               "by 150: the station must check the new threshold (N07.FR.11)")
        await monitors.add(monitor(NUMERIC, "UpperThreshold", 120, monitor_id=upper), "replace 120")
        await expect_event(station, bench, upper, "Alerting", cleared=False,
                           why="the monitor replaced by UpperThreshold 120 is exceeded by 150 "
                               "(N07.FR.11)")


@pytest.mark.octt("TC_N_52_CS")
async def test_alert_monitor_removed(station, bench):
    """Set Variable Monitoring - Removing a VariableMonitor.

    UpperThreshold exceeded (Alerting), then the monitor is cleared and the value goes back
    below: no NotifyEvent cleared=true for it (N07.FR.12).

    Requirements: N07.FR.12.
    """
    async with monitors_of(station, NUMERIC) as monitors:
        await set_variable(station, *NUMERIC, "60")
        upper = await monitors.add(monitor(NUMERIC, "UpperThreshold", 100), "upper")
        await set_variable(station, *NUMERIC, "150")
        await expect_event(station, bench, upper, "Alerting", why=f"{_name(NUMERIC)}=150 > 100")
        mark = station.journal.mark()
        reply = await station.call("ClearVariableMonitoring", {"id": [upper]})
        assert reply["clearMonitoringResult"][0]["status"] == "Accepted", reply.payload
        monitors.ids.discard(upper)
        await set_variable(station, *NUMERIC, "60")
        await station.expect_none("NotifyEvent", event_of(upper, cleared=True), within=_quiet(bench),
                                  since=mark)


@pytest.mark.octt("TC_N_53_CS")
async def test_alert_persistent_over_reboot(station, bench):
    """Alert Event - Persistent over reboot.

    A Delta monitor set, then Reset Immediate: after the reboot the monitor is still reported
    (same variable, type, value, severity; its id may change, N04.FR.19) and still fires
    (N07.FR.13).

    Requirements: N07.FR.13.
    """
    async with monitors_of(station, TEXT) as monitors:
        delta = await monitors.add(monitor(TEXT, "Delta", 1, 3), "before the reboot")
        reply = await station.call("Reset", {"type": "Immediate"})
        assert reply["status"] == "Accepted", f"Reset Immediate: {reply['status']}"
        await station.expect("BootNotification", within=reboot_within(bench))
        deadline = time.monotonic() + bench.csms.message_timeout * 2
        while station.state.boot_status != "Accepted" and time.monotonic() < deadline:
            await station.journal.wait_change(0.5)
        report = await monitoring_report(station, bench, variables=[cv(*TEXT)])
        kept = [m for _, m in flat(report) if m["type"] == "Delta" and m["severity"] == 3]
        assert kept, (f"the Delta monitor {delta} on {_name(TEXT)} must be kept over a reboot "
                      f"(N07.FR.13); after it the station reports {show(report)}")
        monitors.ids.add(int(kept[0]["id"]))
        await set_variable(station, *TEXT, "OCTT after reboot")
        await expect_event(station, bench, int(kept[0]["id"]), "Delta",
                           why=f"{_name(TEXT)} changed after the reboot")


# ---- N08: Periodic Event -------------------------------------------------------------------------------
@pytest.mark.octt("TC_N_24_CS")
async def test_periodic_event(station, bench):
    """Set Variable Monitoring - Periodic event.

    A Periodic monitor of 2 s on EVConnectionTimeOut: NotifyEvents with trigger Periodic
    (N08.FR.05), seqNo 0, the actual value, about 2 s apart (N08.FR.01).

    Requirements: N07.FR.20, N08.FR.01, N08.FR.05.
    """
    async with monitors_of(station, NUMERIC) as monitors:
        value = await get_variable(station, *NUMERIC)
        periodic = await monitors.add(monitor(NUMERIC, "Periodic", 2), "periodic 2 s")
        first = await station.expect("NotifyEvent", event_of(periodic),
                                     within=2 + bench.csms.message_timeout)
        second = await station.expect("NotifyEvent", event_of(periodic),
                                      within=2 + bench.csms.message_timeout)
        for message in (first, second):
            e = the_event(message, periodic)
            assert e.get("trigger") == "Periodic", (
                f"a Periodic monitor's NotifyEvent must have trigger Periodic (N08.FR.05): {e}")
            assert message.get("seqNo") == 0, f"NotifyEvent seqNo must be 0 (N08.FR.04): {message.payload}"
            check_event(e, NUMERIC, value, "CustomMonitor", "Periodic event")
        gap = second.mono - first.mono
        assert 1.0 <= gap <= 2 + bench.csms.deviation, (
            f"Periodic monitor of 2 s: consecutive NotifyEvents {gap:.1f} s apart")


# ---- N07: hard-wired triggers and events while offline ------------------------------------------
def _hardwired(payload: dict[str, Any]) -> bool:
    return any(e.get("eventNotificationType") in ("HardWiredNotification", "HardWiredMonitor")
               and not e.get("cleared", False) for e in payload.get("eventData") or [])


_hardwired.__doc__ = "an eventData of a hard-wired notification or monitor, not cleared"


@pytest.mark.octt("TC_N_21_CS")
@pytest.mark.requires("HardWiredMonitoring")
async def test_alert_hardwired_trigger(station, operator, bench):
    """Alert Event - Caused by hardwired trigger.

    The emergency stop is pressed and released (a hard-wired input): the station reports it
    in NotifyEvent with eventNotificationType HardWiredNotification (or HardWiredMonitor),
    trigger Alerting, the component and variable concerned and the actual value (N07.FR.06);
    connectors it faulted come back once the stop is released.
    """
    mark = station.journal.mark()
    await operator.press_emergency_stop()
    try:
        message = await station.expect("NotifyEvent", _hardwired, since=mark,
                                       within=bench.csms.message_timeout + bench.csms.deviation)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"the emergency stop (a hard-wired trigger) was pressed: the station must report it "
            f"in NotifyEvent with eventNotificationType HardWiredNotification or "
            f"HardWiredMonitor (N07): {exc}") from None
    e = next(d for d in message["eventData"] if _hardwired({"eventData": [d]}))
    assert e.get("trigger") == "Alerting", (
        f"the hard-wired event must have trigger Alerting, the station sent {e.get('trigger')!r}")
    assert (e.get("component") or {}).get("name") and (e.get("variable") or {}).get("name"), (
        f"the hard-wired event must name its component and variable (N07.FR.06): {e}")
    assert "actualValue" in e, f"the hard-wired event has no actualValue (N07.FR.06): {e}"
    faulted = {(m.payload["evseId"], m.payload["connectorId"]) for m in station.received(mark)
               if m.action == "StatusNotification" and m.payload
               and m.payload.get("connectorStatus") == "Faulted"}
    for evse, connector in sorted(faulted):
        try:
            await station.expect("StatusNotification", {
                "evseId": evse, "connectorId": connector, "connectorStatus": "Available"},
                since=mark, within=bench.csms.message_timeout)
        except ExpectTimeout as exc:
            raise AssertionError(
                f"the emergency stop was released: connector {connector} of EVSE {evse}, "
                f"Faulted by it, must become Available again: {exc}") from None


POWER_FLOOR_W = 500.0  # below any charging power, above an idle output


async def _offline_event(station: StationSession, operator: Any, bench: Bench, *,
                         queuing: int, queued: bool, case: str) -> None:
    """A LowerThreshold monitor (severity 5) on the EVSE's output power trips while offline
    (the EV leaves); with MonitoringCtrlr.OfflineQueuingSeverity ``queuing`` its event is
    delivered after the reconnection when ``queued``, else never (N07.FR.04)."""
    from suites.ocpp201.support import first_connector, start_charging
    from suites.ocpp201.transactions import try_set
    evse, connector = first_connector(bench)
    power = {"component": {"name": "EVSE", "evse": {"id": evse}}, "variable": {"name": "Power"}}
    knob = ("MonitoringCtrlr", "OfflineQueuingSeverity")
    saved = await get_variable(station, *knob)
    await set_variable(station, *knob, str(queuing))
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    try:
        async with monitors_of(station) as monitors:
            floor = await monitors.add({"value": POWER_FLOOR_W, "type": "LowerThreshold",
                                        "severity": SEVERITY, **power},
                                       f"EVSE {evse} output power below {POWER_FLOOR_W:g} W")
            await expect_event(station, bench, floor, "Alerting",
                               why=f"idle, EVSE {evse} delivers less than {POWER_FLOOR_W:g} W")
            started = await start_charging(station, operator, bench, evse=evse,
                                           connector=connector)
            await expect_event(station, bench, floor, "Alerting", cleared=True,
                               why="charging: the output power rose above the LowerThreshold")
            mark = station.journal.mark()
            await station.go_offline(2.0, f"{case}: the EV leaves while the CSMS is away")
            await operator.unplug(evse, connector)
            await station.wait_connected(within=max(60.0, bench.csms.message_timeout * 6))
            await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": started["transactionInfo"]["transactionId"],
                "eventType": "Ended"}, since=mark, within=bench.csms.message_timeout)
            situation = (f"offline, monitor {floor} (severity {SEVERITY}) tripped with "
                         f"OfflineQueuingSeverity {queuing}")
            if queued:
                e = await expect_event(
                    station, bench, floor, "Alerting", since=mark,
                    why=f"{situation}: an event of a severity up to OfflineQueuingSeverity is "
                        f"queued and sent after the reconnection (N07.FR.04)")
                value = float(e.get("actualValue") or "nan")
                assert value < POWER_FLOOR_W, (
                    f"{situation}: the queued event must carry the power that tripped it (below "
                    f"{POWER_FLOOR_W:g} W), it says {e.get('actualValue')!r}")
            else:
                try:
                    await station.expect_none("NotifyEvent", event_of(floor, "Alerting", False),
                                              since=mark, within=_quiet(bench))
                except AssertionError as exc:
                    raise AssertionError(
                        f"{situation}: an event of a monitor less severe than "
                        f"OfflineQueuingSeverity is dropped while offline, never sent after "
                        f"the reconnection (N07.FR.04)\n{exc}") from None
    finally:
        with contextlib.suppress(Exception):
            await set_variable(station, *knob, saved)


@pytest.mark.octt("TC_N_22_CS")
@pytest.mark.requires("OfflineMonitoringEventQueuing")
async def test_offline_event_queued(station, operator, bench):
    """Offline Notification - OfflineMonitoringEventQueuingSeverity set equal or lower than
    severityLevel of the monitor.

    OfflineQueuingSeverity 5, a monitor of severity 5 (as severe as the threshold): its event,
    raised while offline, is delivered after the reconnection (N07.FR.04).
    """
    await _offline_event(station, operator, bench, queuing=SEVERITY, queued=True,
                         case="TC_N_22")


@pytest.mark.octt("TC_N_23_CS")
@pytest.mark.requires("OfflineMonitoringEventQueuing")
async def test_offline_event_not_queued(station, operator, bench):
    """Offline Notification - OfflineMonitoringEventQueuingSeverity set higher than
    severityLevel of the monitor.

    OfflineQueuingSeverity 3, a monitor of severity 5 (less severe than the threshold): its
    event, raised while offline, is dropped, never sent after the reconnection (N07.FR.04).
    """
    await _offline_event(station, operator, bench, queuing=SEVERITY - 2, queued=False,
                         case="TC_N_23")
