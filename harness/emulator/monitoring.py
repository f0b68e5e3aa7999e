"""Variable monitoring of the emulated station (OCPP 2.0.1 Part 2, N02 to N08).

The monitor store lives on the station object, so monitors, the monitoring base and the
monitoring level survive a reboot (N04, N07.FR.13). A background task evaluates every
active monitor a few times a second against the variable's Actual value and sends
NotifyEvent: Alerting when a threshold is exceeded and again (cleared) when it no longer is
(N07.FR.02, N07.FR.16, N07.FR.17), Delta when a value moved more than the monitor value or,
for a non-numeric variable, changed at all (N07.FR.18, N07.FR.19), Periodic on its interval
(N08). Events above the monitoring level are not reported (N05.FR.03); offline, events of a
severity up to OfflineQueuingSeverity are kept for the reconnection (N07.FR.04).

The station ships factory monitors on the EVSE output power: a pre-configured one at the
EVSE's rated power and a hard-wired over-power one above it; its hard-wired input, the
emergency stop, is reported as a HardWiredNotification.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from harness.emulator.clock import iso
from harness.emulator.device_model import Variable

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

THRESHOLDS = ("UpperThreshold", "LowerThreshold")
PERIODIC = ("Periodic", "PeriodicClockAligned")
CRITERIA = {"ThresholdMonitoring": THRESHOLDS, "DeltaMonitoring": ("Delta",),
            "PeriodicMonitoring": PERIODIC}
NUMERIC = ("integer", "decimal")
TICK = 0.1


@dataclass
class Monitor:
    id: int
    var: Variable
    type: str
    value: float
    severity: int
    transaction: bool = False
    kind: str = "CustomMonitor"  # PreconfiguredMonitor, HardWiredMonitor, CustomMonitor
    tripped: bool = False  # a threshold monitor whose Alerting event is out, not yet cleared
    reference: str | None = None  # Delta: the value at set-up or at the last event
    due: float = 0.0  # Periodic: monotonic time of the next event

    def json(self) -> dict[str, Any]:
        value: float | int = int(self.value) if float(self.value).is_integer() else self.value
        return {"id": self.id, "transaction": self.transaction, "value": value,
                "type": self.type, "severity": self.severity}


@dataclass
class MonitorStore:
    factory: list[Monitor]
    monitors: dict[int, Monitor] = field(default_factory=dict)
    base: str = "All"
    level: int = 9
    offline_queue: list[dict[str, Any]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    boots: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _event_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self) -> int:
        while True:
            candidate = next(self._ids)
            if candidate not in self.monitors:
                return candidate

    def event_id(self) -> int:
        return next(self._event_ids)

    def apply_base(self, base: str, st: EmulatedStation) -> None:
        """N03: All keeps custom monitors and (re)activates the pre-configured ones;
        FactoryDefault drops custom ones (replaced pre-configured ones too) and restores the
        factory set; HardWiredOnly keeps the hard-wired monitors only."""
        self.base = base
        keep_custom = base == "All" or "monitor_base_keeps_custom" in st.quirks
        kept = {i: m for i, m in self.monitors.items()
                if m.kind == "HardWiredMonitor" or (keep_custom and m.kind == "CustomMonitor")}
        for m in self.factory:
            if (m.kind == "HardWiredMonitor" or base != "HardWiredOnly") and m.id not in kept:
                kept[m.id] = start(replace(m), st)
        self.monitors = dict(sorted(kept.items()))
        sync_variables(st)


def start(m: Monitor, st: EmulatedStation) -> Monitor:
    """Reset a monitor's run-time state as at the moment it is set."""
    m.tripped = False
    m.reference = current_value(st, m.var)
    m.due = time.monotonic() + m.value if m.type == "Periodic" else 0.0
    if m.type == "PeriodicClockAligned":
        m.due = _next_aligned(m.value)
    return m


def _next_aligned(interval: float) -> float:
    wall = time.time()
    step = max(interval, 1.0)
    return time.monotonic() + (step - wall % step)


def factory_monitors(st: EmulatedStation) -> list[Monitor]:
    out: list[Monitor] = []
    ids = itertools.count(1)
    for var in st.dm:
        if (var.component, var.name) == ("EVSE", "Power") and var.max is not None:
            out.append(Monitor(next(ids), var, "UpperThreshold", float(var.max), 4,
                               kind="PreconfiguredMonitor"))
            out.append(Monitor(next(ids), var, "UpperThreshold", float(var.max) * 1.1, 1,
                               kind="HardWiredMonitor"))
    return out


def store(st: EmulatedStation) -> MonitorStore:
    """The station's monitor store, created with the factory monitors on first use."""
    found: MonitorStore | None = getattr(st, "_monitor_store", None)
    if found is None:
        found = MonitorStore(factory_monitors(st))
        st._monitor_store = found  # type: ignore[attr-defined]
        found.apply_base("All", st)
    return found


def sync_variables(st: EmulatedStation) -> None:
    s: MonitorStore | None = getattr(st, "_monitor_store", None)
    if s is None:
        return
    for name, value in (("ActiveMonitoringBase", s.base), ("ActiveMonitoringLevel", str(s.level))):
        for var in st.dm:
            if (var.component, var.name) == ("MonitoringCtrlr", name):
                var.value = value


def supports_monitoring(var: Variable) -> bool:
    return (var.component, var.name) != ("ClockCtrlr", "DateTime")


def current_value(st: EmulatedStation, var: Variable) -> str:
    if (var.component, var.name) == ("EVSE", "Power") and var.evse in st.evses:
        power = st.evses[var.evse].power.power_w
        var.value = f"{power:.0f}"
    return var.value


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# ---- evaluation -------------------------------------------------------------------------------
async def run(st: EmulatedStation) -> None:
    """Evaluate the monitors while the station runs (spawned at each power-on)."""
    s = store(st)
    s.boots += 1
    if s.boots > 1 and "monitors_lost_on_reboot" in st.quirks:
        s.monitors = {i: m for i, m in s.monitors.items() if m.kind != "CustomMonitor"}
    while True:
        await asyncio.sleep(TICK)
        try:
            evaluate(st, s)
        except Exception as exc:  # never let a monitor take the station down
            st.on_event(f"monitor evaluation failed: {exc!r}")


def _enabled(st: EmulatedStation) -> bool:
    for var in st.dm:
        if (var.component, var.name) == ("MonitoringCtrlr", "Enabled"):
            return var.value == "true"
    return True


def _in_transaction(st: EmulatedStation, var: Variable) -> bool:
    evses = [st.evses[var.evse]] if var.evse in st.evses else list(st.evses.values())
    return any(e.tx is not None for e in evses)


def evaluate(st: EmulatedStation, s: MonitorStore) -> None:
    online = st._online and st.registration == "Accepted"
    if online and s.offline_queue:
        for payload in s.offline_queue:
            st.send("NotifyEvent", payload)
        s.offline_queue = []
    if "monitor_never_fires" in st.quirks or not _enabled(st):
        return
    events: list[tuple[Monitor, dict[str, Any]]] = []
    now = time.monotonic()
    for m in list(s.monitors.values()):
        if m.transaction and not _in_transaction(st, m.var):
            continue
        value = current_value(st, m.var)
        event = _check(st, m, value, now)
        if event is not None:
            events.append((m, event))
    if not events:
        return
    level_applies = "monitor_ignores_severity_level" not in st.quirks
    reported = [(m, e) for m, e in events if not level_applies or m.severity <= s.level]
    if not reported:
        return
    notify(st, s, [(m.severity, e) for m, e in reported])


def notify(st: EmulatedStation, s: MonitorStore, events: list[tuple[int, dict[str, Any]]]) -> None:
    """NotifyEvent with ``events`` ((severity, eventData)); offline, those of a severity up to
    OfflineQueuingSeverity are kept for the reconnection, the others dropped (N07.FR.04)."""
    payload = {"generatedAt": iso(), "seqNo": 0, "tbc": False,
               "eventData": [e for _, e in events]}
    if st._online and st.registration == "Accepted":
        st.send("NotifyEvent", payload)
        return
    if "offline_monitor_events_dropped" in st.quirks:
        return
    queueing = int(_offline_severity(st))
    kept = [e for severity, e in events
            if severity <= queueing or "offline_queue_ignores_severity" in st.quirks]
    if kept:
        s.offline_queue.append({**payload, "eventData": kept})


def hardwired_notification(st: EmulatedStation, component: str, variable: str,
                           active: bool) -> None:
    """A hard-wired input changed (the emergency stop): NotifyEvent Alerting, eventNotificationType
    HardWiredNotification, cleared when the input is back to normal (N07). Severity 0 (Danger):
    always reported, and queued while offline."""
    if "hardwired_event_not_reported" in st.quirks:
        return
    s = store(st)
    data: dict[str, Any] = {
        "eventId": s.event_id(), "timestamp": iso(), "trigger": "Alerting",
        "actualValue": "true" if active else "false", "component": {"name": component},
        "variable": {"name": variable}, "eventNotificationType": "HardWiredNotification"}
    if not active:
        data["cleared"] = True
    notify(st, s, [(0, data)])


def _offline_severity(st: EmulatedStation) -> str:
    for var in st.dm:
        if (var.component, var.name) == ("MonitoringCtrlr", "OfflineQueuingSeverity"):
            return var.value or "0"
    return "0"


def _check(st: EmulatedStation, m: Monitor, value: str, now: float) -> dict[str, Any] | None:
    if m.type in THRESHOLDS:
        number = _number(value)
        if number is None:
            return None
        exceeded = number > m.value if m.type == "UpperThreshold" else number < m.value
        if exceeded and not m.tripped:
            m.tripped = True
            return event_data(st, m, "Alerting", value)
        if not exceeded and m.tripped:
            m.tripped = False
            return event_data(st, m, "Alerting", value, cleared=True)
        return None
    if m.type == "Delta":
        reference = m.reference if m.reference is not None else value
        old, new = _number(reference), _number(value)
        if m.var.data_type in NUMERIC and old is not None and new is not None:
            fired = abs(new - old) > m.value
            if "delta_monitor_fires_every_change" in st.quirks:
                fired = new != old
        else:
            fired = value != reference
        if fired:
            m.reference = value
            return event_data(st, m, "Delta", value)
        return None
    if now >= m.due:
        m.due = now + m.value if m.type == "Periodic" else _next_aligned(m.value)
        return event_data(st, m, "Periodic", value)
    return None


def event_data(st: EmulatedStation, m: Monitor, trigger: str, value: str, *,
               cleared: bool = False) -> dict[str, Any]:
    write_only = m.var.mutability == "WriteOnly" and "write_only_value_in_event" not in st.quirks
    data: dict[str, Any] = {
        "eventId": store(st).event_id(), "timestamp": iso(), "trigger": trigger,
        "actualValue": "" if write_only else value[:2500],
        "component": m.var.component_json(), "variable": m.var.variable_json(),
        "variableMonitoringId": m.id, "eventNotificationType": m.kind,
    }
    if cleared:
        data["cleared"] = True
    if m.transaction and m.var.evse in st.evses:
        tx = st.evses[m.var.evse].tx
        if tx is not None:
            data["transactionId"] = tx.id
    return data
