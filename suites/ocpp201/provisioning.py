"""Building blocks of the security and provisioning cases (OCTT blocks A and B).

Boot scripts for the CSMS's BootNotification answers, base-report collection with its
framing checks, connection history from the journal, and a second CSMS endpoint for network
profile migration. Everything goes through OCPP, the harness CSMS and bench actions, so each
helper works on a real charger too.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from harness.bench import Bench, csms_config
from harness.csms.journal import EVENT, Entry
from harness.csms.responders import now_iso
from harness.csms.server import CsmsServer, StationAccount
from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.evidence.steps import step
from suites.ocpp201.support import variable_ref

# Journal events written by the harness CSMS (harness/csms/server.py, session.py).
CONNECTED = "connected from "
DISCONNECTED = "disconnected ("
REFUSED_OFFLINE = "refused with HTTP 503"
REFUSED_AUTH = "refused with HTTP 401"
AUTH_ACCEPTED = "HTTP Basic auth accepted"


# ---- bench layout -------------------------------------------------------------------------
def connectors(bench: Bench) -> list[tuple[int, int]]:
    """Every (evse id, connector id) the bench file declares."""
    return [(e.id, c.id) for e in bench.station.evses for c in e.connectors]


# ---- BootNotification answers -------------------------------------------------------------
@dataclass
class BootScript:
    """Answers the station's BootNotifications with ``statuses`` in turn (the last one
    repeats), and remembers when each request arrived.

    ``station.respond("BootNotification", BootScript(["Pending", "Accepted"], interval=1))``
    """

    statuses: list[str]
    interval: int = 1
    accepted_interval: int | None = None  # the heartbeat interval given with Accepted
    seen: list[Message] = field(default_factory=list)

    def __call__(self, session: StationSession, message: Message) -> dict[str, Any]:
        self.seen.append(message)
        status = self.statuses[min(len(self.seen), len(self.statuses)) - 1]
        interval = self.interval
        if status == "Accepted" and self.accepted_interval is not None:
            interval = self.accepted_interval
        return {"currentTime": now_iso(), "interval": interval, "status": status}


# ---- variables ----------------------------------------------------------------------------
async def get_values(station: StationSession,
                     refs: Iterable[tuple[str, str, str | None]]) -> dict[tuple[str, str, str | None],
                                                                          dict[str, Any]]:
    """GetVariables for (component, variable, instance) triples; the results by triple."""
    wanted = list(refs)
    reply = await station.call("GetVariables", {"getVariableData": [
        variable_ref(c, v, i) for c, v, i in wanted]})
    results: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for r in reply["getVariableResult"]:
        key = (r["component"]["name"], r["variable"]["name"], r["variable"].get("instance"))
        results[key] = r
    return results


def name_of(component: dict[str, Any], variable: dict[str, Any]) -> str:
    """``EVSE[1].Power`` / ``OCPPCommCtrlr.MessageTimeout[Default]`` for messages."""
    comp = component.get("name", "?")
    if component.get("instance"):
        comp += f"({component['instance']})"
    evse = component.get("evse")
    if evse:
        comp += f"[{evse.get('id')}" + (f".{evse['connectorId']}" if "connectorId" in evse else "") + "]"
    var = variable.get("name", "?")
    if variable.get("instance"):
        var += f"[{variable['instance']}]"
    return f"{comp}.{var}"


# ---- base reports -------------------------------------------------------------------------
async def base_report(station: StationSession, report_base: str, request_id: int, *,
                      within: float) -> list[Message]:
    """GetBaseReport, then every NotifyReport of the report (B07.FR.01, B07.FR.03, B07.FR.04).

    Checks the framing as it goes: the response status is Accepted, each part carries the
    requestId, seqNo counts 0, 1, 2, ... and only the last part has tbc = false.
    """
    reply = await station.call("GetBaseReport", {"requestId": request_id, "reportBase": report_base})
    assert reply["status"] == "Accepted", (
        f"GetBaseReport {report_base}: expected status Accepted (B07.FR.01), the station "
        f"answered {reply['status']!r} {reply.get('statusInfo') or ''}".rstrip())
    parts: list[Message] = []
    with step(f"collect the NotifyReports of {report_base} report {request_id}"):
        while True:
            try:
                part = await station.expect("NotifyReport", {"requestId": request_id}, within=within)
            except ExpectTimeout as exc:
                if not parts:
                    raise
                last = parts[-1]
                raise AssertionError(
                    f"{report_base} report: the last NotifyReport received (seqNo "
                    f"{last.get('seqNo')}) says tbc=true, so more parts were announced, but none "
                    f"came within {within:g} s (B07.FR.03: tbc=false marks the last part).\n{exc}"
                ) from None
            parts.append(part)
            expected_seq = len(parts) - 1
            assert part.get("seqNo") == expected_seq, (
                f"{report_base} report: NotifyReport part {len(parts)} has seqNo "
                f"{part.get('seqNo')!r}, expected {expected_seq} (seqNo starts at 0 and "
                f"increases by 1 per part); seqNo so far: {[p.get('seqNo') for p in parts]}")
            if not part.get("tbc", False):
                break
    return parts


def report_entries(parts: list[Message]) -> list[dict[str, Any]]:
    return [entry for part in parts for entry in part.get("reportData") or []]


# ---- connection history --------------------------------------------------------------------
def events(station: StationSession, since: int, text: str) -> list[Entry]:
    """Journal events (connections, refusals) since ``since`` whose text contains ``text``."""
    return [e for e in station.journal.since(since) if e.direction == EVENT and text in e.raw]


async def wait_event(station: StationSession, text: str, since: int, within: float,
                     what: str) -> Entry:
    """The first journal event containing ``text`` since ``since``; fails after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        found = events(station, since, text)
        if found:
            return found[0]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            recent = [e.describe() for e in station.journal.since(since)][-12:]
            raise ExpectTimeout(f"{station.station_id}: {what} did not happen within {within:g} s."
                                + ("\n  Journal since then:\n    " + "\n    ".join(recent)
                                   if recent else "\n  Nothing happened on the connection."))
        await station.journal.wait_change(remaining)


async def wait_reconnected(station: StationSession, since: int, within: float) -> Entry:
    """Wait for the station's next accepted websocket connection after ``since``."""
    entry = await wait_event(station, CONNECTED, since, within, "a reconnection")
    await station.wait_connected(within)
    return entry


# ---- a second CSMS endpoint (B10 migration) -----------------------------------------------
def csms_host(station: StationSession, bench: Bench) -> str:
    """The address the station reaches the harness CSMS at: the local end of its connection
    (the bench's CSMS host may be a wildcard bind address)."""
    local = getattr(station.transport, "local_address", None)
    host = local[0] if local else bench.csms.host
    return f"[{host}]" if ":" in host else host


@asynccontextmanager
async def second_csms(bench: Bench, csms: CsmsServer) -> AsyncIterator[CsmsServer]:
    """Another harness CSMS on a free port of the same host, knowing the same stations and
    passwords: the "new CSMS" a station migrates to (same CSMS root: no TLS change)."""
    config = replace(
        csms_config(bench), port=0,
        accounts={k: StationAccount(a.station_id, a.password) for k, a in csms.config.accounts.items()})
    server = CsmsServer(config)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def csms_url(server: CsmsServer, host: str) -> str:
    """ocppCsmsUrl for a NetworkConnectionProfile: without the station identity."""
    return f"ws://{host}:{server.port}{server.config.path_prefix.rstrip('/')}/"


async def choose_free_slot(station: StationSession) -> tuple[int, str, int | None]:
    """A configuration slot to write a new NetworkConnectionProfile to, the current
    NetworkConfigurationPriority, and the active slot (ActiveNetworkProfile, if implemented).

    The slot is not the active one (overwriting the profile in use is not recommended): an
    entry of the priority list other than the active one, else the lowest unused slot number.
    """
    values = await get_values(station, [("OCPPCommCtrlr", "NetworkConfigurationPriority", None),
                                        ("OCPPCommCtrlr", "ActiveNetworkProfile", None)])
    priority_result = values.get(("OCPPCommCtrlr", "NetworkConfigurationPriority", None), {})
    assert priority_result.get("attributeStatus") == "Accepted", (
        f"GetVariables OCPPCommCtrlr.NetworkConfigurationPriority: expected Accepted, the "
        f"station answered {priority_result}")
    priority = str(priority_result.get("attributeValue", ""))
    slots = [int(s) for s in priority.split(",") if s.strip()]
    active_result = values.get(("OCPPCommCtrlr", "ActiveNetworkProfile", None), {})
    active: int | None = None
    with contextlib.suppress(TypeError, ValueError):
        if active_result.get("attributeStatus") == "Accepted":
            active = int(active_result["attributeValue"])
    in_use = active if active is not None else (slots[0] if slots else None)
    candidates = [s for s in slots if s != in_use] + [s for s in range(1, 10) if s not in slots]
    return candidates[0], priority, active


# ---- timing -------------------------------------------------------------------------------
def reboot_within(bench: Bench) -> float:
    """How long a reboot may take until the BootNotification: as the station fixture waits
    for a connection (several message timeouts; minutes for an external charger)."""
    within = max(bench.csms.message_timeout * 3, 10.0)
    return max(within, 300.0) if bench.station.mode == "external" else within


def tolerance(seconds: float, bench: Bench) -> float:
    """Allowed deviation when comparing a short protocol interval: a quarter of it, at least
    0.2 s, at most the bench's deviation."""
    return min(bench.csms.deviation, max(0.2, seconds / 4))


# ---- connector statuses -------------------------------------------------------------------
def status_reports(station: StationSession, since: int) -> list[tuple[int, int, str, Entry]]:
    """Connector statuses the station reported since ``since``: StatusNotification, or
    NotifyEvent on Connector.AvailabilityState (the alternative OCPP 2.0.1 allows)."""
    found: list[tuple[int, int, str, Entry]] = []
    for e in station.received(since):
        p = e.payload or {}
        if e.action == "StatusNotification":
            found.append((p.get("evseId", 0), p.get("connectorId", 0), p.get("connectorStatus", "?"), e))
        elif e.action == "NotifyEvent":
            for d in p.get("eventData") or []:
                comp, var = d.get("component") or {}, d.get("variable") or {}
                evse = comp.get("evse") or {}
                if comp.get("name") == "Connector" and var.get("name") == "AvailabilityState":
                    found.append((evse.get("id", 0), evse.get("connectorId", 0),
                                  str(d.get("actualValue")), e))
    return found


async def wait_statuses(station: StationSession, wanted: Iterable[tuple[int, int]], since: int,
                        within: float, why: str) -> dict[tuple[int, int], str]:
    """The latest status reported for each wanted connector since ``since``; fails naming
    the connectors the station did not report within ``within`` seconds."""
    wanted = sorted(set(wanted))
    deadline = time.monotonic() + within
    while True:
        latest = {(ev, c): s for ev, c, s, _ in status_reports(station, since)}
        missing = [k for k in wanted if k not in latest]
        if not missing:
            return {k: latest[k] for k in wanted}
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            got = ", ".join(f"EVSE {ev} connector {c}: {s}" for (ev, c), s in sorted(latest.items()))
            raise ExpectTimeout(
                f"{why}: expected a StatusNotification (or NotifyEvent AvailabilityState) for "
                f"every connector {wanted}; within {within:g} s none came for "
                + ", ".join(f"EVSE {ev} connector {c}" for ev, c in missing)
                + f". Reported: {got or 'nothing'}.")
        await station.journal.wait_change(remaining)


async def expect_only(station: StationSession, allowed: set[str], since: int, within: float,
                      why: str, until_seq: int | None = None) -> None:
    """Fail if the station sends any CALL other than ``allowed`` from ``since`` (up to the
    journal entry ``until_seq``, if given) during the next ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        for e in station.received(since):
            if until_seq is not None and e.seq >= until_seq:
                break
            if e.action not in allowed:
                raise AssertionError(
                    f"{why}: the station may send only {', '.join(sorted(allowed))}, but sent "
                    f"{e.action}:\n  {e.describe()}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        await station.journal.wait_change(remaining)
