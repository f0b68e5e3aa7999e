"""Block N, monitoring (Advanced Device Management): SetVariableMonitoring,
ClearVariableMonitoring, SetMonitoringBase, SetMonitoringLevel, GetMonitoringReport; and
Block B's GetReport (B08), which filters the device model the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator import monitoring
from harness.emulator.device_model import Variable
from harness.emulator.handlers.provisioning import _report_entry
from harness.emulator.handlers.registry import Result, handles, now
from harness.emulator.monitoring import CRITERIA, NUMERIC, PERIODIC, THRESHOLDS, Monitor
from harness.protocols.ocppj import ErrorCode, FrameError

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

COMPONENT_CRITERIA = ("Active", "Available", "Enabled", "Problem")


def _items_limit(st: EmulatedStation, action: str) -> int | None:
    for var in st.dm:
        if (var.component, var.name, var.variable_instance) == ("MonitoringCtrlr", "ItemsPerMessage",
                                                                action):
            return int(var.value)
    return None


@handles("SetVariableMonitoring")
async def set_variable_monitoring(st: EmulatedStation, p: dict[str, Any]) -> Result:
    items = p["setMonitoringData"]
    limit = _items_limit(st, "SetVariableMonitoring")
    if limit is not None and len(items) > limit:
        raise FrameError(ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
                         f"{len(items)} setMonitoringData, ItemsPerMessage is {limit}")
    s = monitoring.store(st)
    results = []
    for item in items:
        status, info, monitor_id = _set_one(st, s, item)
        result: dict[str, Any] = {"status": status, "type": item["type"],
                                  "severity": item["severity"], "component": item["component"],
                                  "variable": item["variable"]}
        if monitor_id is not None:
            result["id"] = monitor_id
        if info:
            result["statusInfo"] = {"reasonCode": info[0], "additionalInfo": info[1][:512]}
        results.append(result)
    return {"setMonitoringResult": results}


def _set_one(st: EmulatedStation, s: monitoring.MonitorStore,
             item: dict[str, Any]) -> tuple[str, tuple[str, str] | None, int | None]:
    status, var = st.dm.find(item["component"], item["variable"])
    if var is None:
        if "monitor_unknown_component_accepted" in st.quirks:
            return "Accepted", None, s.new_id()
        return status, None, None
    kind, value, severity = item["type"], float(item["value"]), int(item["severity"])
    if not monitoring.supports_monitoring(var):
        return "Rejected", ("NotSupported", f"{var.component}.{var.name} cannot be monitored"), None
    existing: Monitor | None = None
    if item.get("id") is not None:
        existing = s.monitors.get(int(item["id"]))
        if existing is None:  # N04.FR.13 (2.0.1 edition 3: no monitor with this id)
            return "Rejected", ("InvalidValue", f"no monitor with id {item['id']}"), None
        if existing.var is not var and "monitor_replace_ignores_component" not in st.quirks:
            return "Rejected", ("InvalidValue", f"monitor {existing.id} is on "
                                f"{existing.var.component}.{existing.var.name}"), None  # N04.FR.16
        if existing.kind == "HardWiredMonitor":  # N04.FR.18
            return "Rejected", ("ReadOnly", f"monitor {existing.id} is hard-wired"), None
    if not 0 <= severity <= 9:
        return "Rejected", ("InvalidValue", f"severity {severity} not in 0..9"), None
    if kind in THRESHOLDS:
        if var.data_type not in NUMERIC:
            return "UnsupportedMonitorType", None, None
        low, high = var.min, var.max
        if ((low is not None and value < low) or (high is not None and value > high)) \
                and "threshold_out_of_range_accepted" not in st.quirks:
            return "Rejected", ("ValueOutOfRange", f"{value:g} outside the variable's range "
                                f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"
                                ), None
    elif kind == "Delta":
        if value < 0 and "negative_delta_accepted" not in st.quirks:  # N04.FR.14
            return "Rejected", ("ValueOutOfRange", f"negative Delta {value:g}"), None
    elif kind in PERIODIC and value <= 0:
        return "Rejected", ("ValueOutOfRange", f"period {value:g} s"), None
    if "duplicate_monitor_accepted" not in st.quirks:
        for other in s.monitors.values():
            if other.var is var and other.type == kind and other.severity == severity \
                    and (existing is None or other.id != existing.id):
                return "Duplicate", None, None  # N04.FR.10
    if existing is not None:  # N04.FR.12: replace; a replaced pre-configured one is custom now
        existing.var, existing.type, existing.value = var, kind, value
        existing.severity, existing.transaction = severity, bool(item.get("transaction", False))
        existing.kind = "CustomMonitor"
        if kind not in THRESHOLDS:
            monitoring.start(existing, st)
        elif "replaced_threshold_not_rechecked" in st.quirks:
            number = monitoring._number(monitoring.current_value(st, var))
            if number is not None:
                existing.tripped = number > value if kind == "UpperThreshold" else number < value
        return "Accepted", None, existing.id
    monitor = monitoring.start(Monitor(s.new_id(), var, kind, value, severity,
                                       bool(item.get("transaction", False))), st)
    s.monitors[monitor.id] = monitor
    return "Accepted", None, monitor.id


@handles("ClearVariableMonitoring")
async def clear_variable_monitoring(st: EmulatedStation, p: dict[str, Any]) -> Result:
    ids = p["id"]
    limit = _items_limit(st, "ClearVariableMonitoring")
    if limit is not None and len(ids) > limit:
        raise FrameError(ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
                         f"{len(ids)} ids, ItemsPerMessage is {limit}")
    s = monitoring.store(st)
    results = []
    for monitor_id in ids:
        m = s.monitors.get(monitor_id)
        if m is None:
            status = "Accepted" if "clear_monitor_of_unknown_id_accepted" in st.quirks else "NotFound"
        elif m.kind == "HardWiredMonitor" and "hardwired_monitor_clearable" not in st.quirks:
            status = "Rejected"  # N06.FR.03
        else:
            status = "Accepted"
            del s.monitors[monitor_id]
            if m.tripped and "cleared_event_after_monitor_removed" in st.quirks:
                st.send("NotifyEvent", {"generatedAt": now(), "seqNo": 0, "tbc": False, "eventData": [
                    monitoring.event_data(st, m, "Alerting", monitoring.current_value(st, m.var),
                                          cleared=True)]})
        results.append({"status": status, "id": monitor_id})
    return {"clearMonitoringResult": results}


@handles("SetMonitoringBase")
async def set_monitoring_base(st: EmulatedStation, p: dict[str, Any]) -> Result:
    base = p["monitoringBase"]
    if base not in ("All", "FactoryDefault", "HardWiredOnly"):
        return {"status": "NotSupported"}
    monitoring.store(st).apply_base(base, st)
    return {"status": "Accepted"}


@handles("SetMonitoringLevel")
async def set_monitoring_level(st: EmulatedStation, p: dict[str, Any]) -> Result:
    severity = int(p["severity"])
    if not 0 <= severity <= 9 and "monitoring_level_out_of_range_accepted" not in st.quirks:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "ValueOutOfRange"}}
    s = monitoring.store(st)
    s.level = max(0, min(9, severity))
    monitoring.sync_variables(st)
    return {"status": "Accepted"}


def matches_component_variable(var: Variable, wanted: list[dict[str, Any]] | None) -> bool:
    """B08 / N02.FR.15 to N02.FR.17: a missing instance, evse or variable matches every one."""
    if not wanted:
        return True
    for cv in wanted:
        comp, variable = cv.get("component") or {}, cv.get("variable")
        if comp.get("name") != var.component:
            continue
        if "instance" in comp and comp["instance"] != var.component_instance:
            continue
        evse = comp.get("evse")
        if evse is not None:
            if evse.get("id") != var.evse:
                continue
            if "connectorId" in evse and evse["connectorId"] != var.connector:
                continue
        if variable is None:
            return True
        if variable.get("name") != var.name:
            continue
        if "instance" in variable and variable["instance"] != var.variable_instance:
            continue
        return True
    return False


@handles("GetMonitoringReport")
async def get_monitoring_report(st: EmulatedStation, p: dict[str, Any]) -> Result:
    s = monitoring.store(st)
    criteria = p.get("monitoringCriteria") or []
    if "monitoring_report_ignores_criteria" in st.quirks:
        criteria = []
    types = {t for c in criteria for t in CRITERIA.get(c, ())}
    chosen = [m for m in s.monitors.values()
              if (not criteria or m.type in types)
              and matches_component_variable(m.var, p.get("componentVariable"))]
    if not chosen:
        return {"status": "EmptyResultSet"}  # N02.FR.10
    grouped: dict[int, tuple[Variable, list[Monitor]]] = {}
    for m in chosen:
        grouped.setdefault(id(m.var), (m.var, []))[1].append(m)
    data = [{"component": var.component_json(), "variable": var.variable_json(),
             "variableMonitoring": [m.json() for m in ms]} for var, ms in grouped.values()]

    async def send_reports() -> None:
        per_message = st.dm.get_int("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")
        chunks = [data[i:i + per_message] for i in range(0, len(data), per_message)]
        for seq, chunk in enumerate(chunks):
            st.send("NotifyMonitoringReport", {
                "requestId": p["requestId"], "generatedAt": now(), "seqNo": seq,
                "tbc": seq < len(chunks) - 1, "monitor": chunk})

    return {"status": "Accepted"}, send_reports


def _component_matches(st: EmulatedStation, var: Variable, criteria: list[str]) -> bool:
    """B08.FR.07 to B08.FR.10: a component matches when one of the criteria is a variable of
    that component whose value is true."""
    for other in st.dm:
        if (other.component, other.component_instance, other.evse, other.connector) == (
                var.component, var.component_instance, var.evse, var.connector) \
                and other.name in criteria and other.variable_instance is None \
                and other.value == "true":
            return True
    return False


@handles("GetReport")
async def get_report(st: EmulatedStation, p: dict[str, Any]) -> Result:
    criteria = list(p.get("componentCriteria") or [])
    wanted = p.get("componentVariable")
    if any(c not in COMPONENT_CRITERIA for c in criteria):
        return {"status": "NotSupported"}
    if "custom_report_ignores_filters" in st.quirks:
        criteria, wanted = [], None
    if wanted and "custom_report_instance_required" in st.quirks:
        wanted = [{**cv, "variable": {"instance": None, **cv["variable"]}}
                  if cv.get("variable") else cv for cv in wanted]
    variables = [v for v in st.dm if matches_component_variable(v, wanted)
                 and (not criteria or _component_matches(st, v, criteria))]
    if wanted and "custom_report_evse_required" in st.quirks:
        # The defect: a component without evse only matches the station-wide one.
        variables = [v for v in variables if v.evse is None
                     or any((cv.get("component") or {}).get("evse") for cv in wanted)]
    if not variables:
        return {"status": "EmptyResultSet"}

    async def send_reports() -> None:
        per_message = st.dm.get_int("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")
        chunks = [variables[i:i + per_message] for i in range(0, len(variables), per_message)]
        for seq, chunk in enumerate(chunks):
            st.send("NotifyReport", {
                "requestId": p["requestId"], "generatedAt": now(), "seqNo": seq,
                "tbc": seq < len(chunks) - 1, "reportData": [_report_entry(v) for v in chunk]})

    return {"status": "Accepted"}, send_reports
