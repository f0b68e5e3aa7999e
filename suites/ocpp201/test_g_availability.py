"""OCTT block G (Availability), Charging Station side: connector status and ChangeAvailability.

OCPP 2.0.1 Part 2: G01 (Status Notification), G03 (Change Availability EVSE/Connector),
G04 (Change Availability Charging Station). A connector status may be reported with a
StatusNotificationRequest or with a NotifyEventRequest on Connector.AvailabilityState; both
count. What the CSMS knows of a connector is the last status the station reported for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession, UnexpectedMessage
from harness.evidence.steps import step
from suites.ocpp201.support import first_connector, id_token, start_charging, tx_id

Target = tuple[int, int]  # (evse id, connector id)



# ---- what the station reported ----------------------------------------------------------------
def reported_statuses(payload: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    """(evse, connector, status) reported by a StatusNotification or a NotifyEvent payload."""
    if "connectorStatus" in payload:
        return [(payload.get("evseId"), payload.get("connectorId"), payload["connectorStatus"])]
    reports = []
    for event in payload.get("eventData") or []:
        component, variable = event.get("component") or {}, event.get("variable") or {}
        if component.get("name") == "Connector" and variable.get("name") == "AvailabilityState":
            evse = component.get("evse") or {}
            reports.append((evse.get("id"), evse.get("connectorId"), event.get("actualValue")))
    return reports


@dataclass
class Mark:
    """A point in the journal plus the connector statuses the CSMS knew at that point."""

    seq: int
    known: dict[Target, str]

    @classmethod
    def now(cls, station: StationSession) -> Mark:
        return cls(station.journal.mark(), dict(station.state.connector_status))

    @classmethod
    def after(cls, message: Message) -> Mark:
        """Everything from ``message`` on, with nothing known before it (e.g. after a boot)."""
        return cls(message.seq, {})


def history(station: StationSession, mark: Mark, target: Target) -> list[tuple[int, str]]:
    """(journal seq, status) of every report for ``target`` since ``mark``, in order."""
    found = []
    for entry in station.received(mark.seq):
        if entry.action in ("StatusNotification", "NotifyEvent") and entry.verdict != "pending":
            for evse, connector, status in reported_statuses(entry.payload or {}):
                if (evse, connector) == target:
                    found.append((entry.seq, str(status)))
    return found


def latest(station: StationSession, mark: Mark, target: Target, fresh: bool) -> str | None:
    reports = history(station, mark, target)
    if reports:
        return reports[-1][1]
    return None if fresh else mark.known.get(target)


def describe(station: StationSession, mark: Mark, targets: list[Target]) -> str:
    lines = []
    for target in targets:
        reports = history(station, mark, target)
        before = mark.known.get(target)
        shown = ", ".join(f"{s} (#{seq})" for seq, s in reports) or "nothing"
        lines.append(f"    EVSE {target[0]} connector {target[1]}: reported {shown}"
                     + (f"; last known before: {before}" if before else ""))
    return "\n".join(lines)


def fmt(targets: list[Target]) -> str:
    return ", ".join(f"EVSE {e} connector {c}" for e, c in targets)


async def expect_statuses(station: StationSession, mark: Mark, targets: list[Target],
                          status: str, *, within: float, why: str,
                          fresh: bool = False) -> None:
    """Wait until the last status reported for each target is ``status``.

    ``fresh``: each target must have been reported since ``mark`` (after a reboot); otherwise a
    connector that was already ``status`` at ``mark`` and stayed so counts too.
    """
    with step(f"expect {status} reported for {fmt(targets)} within {within:g} s"):
        deadline = time.monotonic() + within
        while True:
            missing = [t for t in targets if latest(station, mark, t, fresh) != status]
            if not missing:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{why}: expected connectorStatus {status} (StatusNotification, or NotifyEvent "
                    f"Connector.AvailabilityState) for {fmt(missing)} within {within:g} s"
                    + (" after the boot" if fresh else "")
                    + f". What the station reported:\n{describe(station, mark, targets)}")
            await station.journal.wait_change(remaining)


async def expect_no_status(station: StationSession, since: int, *, within: float, why: str,
                           targets: list[Target] | None = None,
                           status: str | None = None) -> None:
    """No status report (for ``targets``, of ``status``, if given) since ``since`` for ``within`` s."""

    def status_report(payload: dict[str, Any]) -> bool:
        """a connector status report (StatusNotification or NotifyEvent AvailabilityState)"""
        return any((targets is None or (e, c) in targets) and status in (None, s)
                   for e, c, s in reported_statuses(payload))

    try:
        await station.expect_none(None, status_report, within=within, since=since)
    except UnexpectedMessage as exc:
        raise UnexpectedMessage(f"{why}\n{exc}") from None


async def change_availability(station: StationSession, operational: str, *,
                              evse: int | None = None, connector: int | None = None,
                              expect: str = "Accepted", why: str = "") -> Message:
    payload: dict[str, Any] = {"operationalStatus": operational}
    scope = "the Charging Station"
    if evse is not None:
        payload["evse"] = {"id": evse, **({"connectorId": connector} if connector else {})}
        scope = f"EVSE {evse}" + (f" connector {connector}" if connector else "")
    reply = await station.call("ChangeAvailability", payload)
    info = reply.get("statusInfo")
    assert reply["status"] == expect, (
        f"ChangeAvailability {operational} for {scope}: expected status {expect}"
        + (f" ({why})" if why else "") + f", the station answered {reply['status']}"
        + (f" {info}" if info else ""))
    return reply


# ---- bench topology ---------------------------------------------------------------------------
def connectors(bench: Bench, evse: int | None = None) -> list[Target]:
    return [(e.id, c.id) for e in bench.station.evses if evse in (None, e.id)
            for c in e.connectors]


def timeout(bench: Bench) -> float:
    return bench.csms.message_timeout


def boot_within(bench: Bench) -> float:
    """Upper bound for a reboot (a real charger takes a minute or two; the emulator 0.2 s)."""
    return max(120.0, bench.csms.message_timeout * 12)


@pytest.fixture(autouse=True)
async def statuses_known(station: StationSession, bench: Bench) -> None:
    """Before a test watches statuses: every connector has been reported since the station's
    last BootNotification (it reports them all right after, B01), so that none of those
    reports lands in the test. Bounded by the message timeout; never fails by itself."""
    targets = connectors(bench)
    deadline = time.monotonic() + timeout(bench)
    while True:
        boot: int | None = None
        seen: set[Target] = set()
        for entry in station.received(0):
            if entry.action == "BootNotification":
                boot, seen = entry.seq, set()
            elif entry.action in ("StatusNotification", "NotifyEvent") \
                    and entry.verdict != "pending":
                seen |= {(e, c) for e, c, _ in reported_statuses(entry.payload or {})}
        remaining = deadline - time.monotonic()
        if boot is None or all(t in seen for t in targets) or remaining <= 0:
            return
        await station.journal.wait_change(remaining)


async def make_inoperative(station: StationSession, bench: Bench, *, evse: int | None = None,
                           connector: int | None = None) -> None:
    """Precondition: the scope is Inoperative and its connectors are reported Unavailable."""
    with step("precondition: " + (f"EVSE {evse}" + (f" connector {connector}" if connector else "")
                                  if evse else "Charging Station") + " Inoperative"):
        mark = Mark.now(station)
        await change_availability(station, "Inoperative", evse=evse, connector=connector)
        scope = [(evse, connector)] if connector else connectors(bench, evse)
        await expect_statuses(station, mark, scope, "Unavailable", within=timeout(bench),
                              why="precondition: making it Inoperative (G03.FR.04/G04.FR.05)")


# ---- G01: status notification ----------------------------------------------------------------
@pytest.mark.octt("TC_G_01_CS")
async def test_status_available_to_occupied(station, operator, bench):
    """Connector status Notification - Available to Occupied.

    An EV is plugged into an Available connector: the station reports that connector
    Occupied. Requirements: G01.FR.01, N07.FR.19.
    """
    evse, connector = first_connector(bench)
    mark = Mark.now(station)
    await operator.plug_in(evse, connector)
    await expect_statuses(station, mark, [(evse, connector)], "Occupied", within=timeout(bench),
                          why="EV plugged in (EVConnectedPreSession), G01.FR.01")


@pytest.mark.octt("TC_G_02_CS")
async def test_status_occupied_to_available(station, operator, bench):
    """Connector status Notification - Occupied to Available.

    The EV is unplugged from an Occupied connector without a transaction: the station reports
    it Available again, and any other connector of the EVSE it had reported otherwise while
    the cable was in is Available again too. Requirements: G01.FR.01, N07.FR.19.
    """
    evse, connector = first_connector(bench)
    start = Mark.now(station)
    await operator.plug_in(evse, connector)
    await expect_statuses(station, start, [(evse, connector)], "Occupied", within=timeout(bench),
                          why="before: EV plugged in (EVConnectedPreSession), G01.FR.01")
    mark = Mark.now(station)
    await operator.unplug(evse, connector)
    await expect_statuses(station, mark, [(evse, connector)], "Available", within=timeout(bench),
                          why="EV unplugged (EVDisconnected), G01.FR.01")
    siblings = [t for t in connectors(bench, evse) if t != (evse, connector)]
    changed = [t for t in siblings if latest(station, start, t, fresh=False) not in (None,
                                                                                   "Available")]
    await expect_statuses(station, mark, changed, "Available", within=timeout(bench),
                          why="EV unplugged: the EVSE's other connectors are free again")


# ---- G03: EVSE ---------------------------------------------------------------------------------
@pytest.mark.octt("TC_G_03_CS")
async def test_change_availability_evse_to_inoperative(station, bench):
    """Change Availability EVSE - Operative to inoperative.

    ChangeAvailability Inoperative for one EVSE: Accepted, every connector of that EVSE is
    reported Unavailable, and no connector of another EVSE. Requirements: G03.FR.01,
    G03.FR.02, G03.FR.04, G03.FR.06.
    """
    evse, _ = first_connector(bench)
    mark = Mark.now(station)
    await change_availability(station, "Inoperative", evse=evse, why="G03.FR.02")
    await expect_statuses(station, mark, connectors(bench, evse), "Unavailable",
                          within=timeout(bench), why=f"EVSE {evse} set Inoperative (G03.FR.06)")
    others = [t for t in connectors(bench) if t[0] != evse]
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period, targets=others,
                           status="Unavailable",
                           why=f"only EVSE {evse} was set Inoperative; other EVSEs must stay "
                               "as they are")


@pytest.mark.octt("TC_G_04_CS")
async def test_change_availability_evse_to_operative(station, bench):
    """Change Availability EVSE - Inoperative to operative.

    Before: the EVSE is Inoperative. ChangeAvailability Operative for it: Accepted, and every
    connector of the EVSE is reported Available. Requirements: G03.FR.01, G03.FR.02,
    G03.FR.04, G03.FR.07.
    """
    evse, _ = first_connector(bench)
    await make_inoperative(station, bench, evse=evse)
    mark = Mark.now(station)
    await change_availability(station, "Operative", evse=evse, why="G03.FR.02")
    await expect_statuses(station, mark, connectors(bench, evse), "Available",
                          within=timeout(bench), why=f"EVSE {evse} set Operative (G03.FR.07)")


@pytest.mark.octt("TC_G_09_CS")
async def test_change_availability_evse_operative_again(station, bench):
    """Change Availability EVSE - Operative to operative.

    ChangeAvailability Operative for an EVSE that already is: Accepted, and no status is
    reported since nothing changed. Requirements: G03.FR.01, G03.FR.02, G03.FR.03, G03.FR.04.
    """
    evse, _ = first_connector(bench)
    mark = Mark.now(station)
    await change_availability(station, "Operative", evse=evse, why="already Operative, G03.FR.03")
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period,
                           why=f"EVSE {evse} already was Operative: its status did not change, "
                               "so the station must not report one")


@pytest.mark.octt("TC_G_10_CS")
async def test_change_availability_evse_inoperative_again(station, bench):
    """Change Availability EVSE - Inoperative to inoperative.

    Before: the EVSE is Inoperative. ChangeAvailability Inoperative again: Accepted, and no
    status is reported. Requirements: G03.FR.01, G03.FR.02, G03.FR.03, G03.FR.04.
    """
    evse, _ = first_connector(bench)
    await make_inoperative(station, bench, evse=evse)
    mark = Mark.now(station)
    await change_availability(station, "Inoperative", evse=evse,
                              why="already Inoperative, G03.FR.03")
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period,
                           why=f"EVSE {evse} already was Inoperative: its status did not change, "
                               "so the station must not report one")


# ---- G03: connector ----------------------------------------------------------------------------
@pytest.mark.octt("TC_G_07_CS")
async def test_change_availability_connector_to_inoperative(station, bench):
    """Change Availability Connector - Operative to inoperative.

    ChangeAvailability Inoperative for one connector: Accepted, that connector is reported
    Unavailable and no other connector is. Requirements: G03.FR.01, G03.FR.02, G03.FR.04,
    G03.FR.06.
    """
    target = first_connector(bench)
    mark = Mark.now(station)
    await change_availability(station, "Inoperative", evse=target[0], connector=target[1],
                              why="G03.FR.02")
    await expect_statuses(station, mark, [target], "Unavailable", within=timeout(bench),
                          why=f"{fmt([target])} set Inoperative")
    others = [t for t in connectors(bench) if t != target]
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period, targets=others,
                           status="Unavailable",
                           why=f"only {fmt([target])} was set Inoperative; the other connectors "
                               "must stay as they are")


@pytest.mark.octt("TC_G_08_CS")
async def test_change_availability_connector_to_operative(station, bench):
    """Change Availability Connector - Inoperative to operative.

    Before: the connector is Inoperative. ChangeAvailability Operative for it: Accepted, and
    it is reported Available. Requirements: G03.FR.01, G03.FR.02, G03.FR.04, G03.FR.07.
    """
    target = first_connector(bench)
    await make_inoperative(station, bench, evse=target[0], connector=target[1])
    mark = Mark.now(station)
    await change_availability(station, "Operative", evse=target[0], connector=target[1],
                              why="G03.FR.02")
    await expect_statuses(station, mark, [target], "Available", within=timeout(bench),
                          why=f"{fmt([target])} set Operative (G03.FR.07)")


@pytest.mark.octt("TC_G_15_CS")
async def test_change_availability_connector_operative_again(station, bench):
    """Change Availability Connector - Operative to operative.

    ChangeAvailability Operative for a connector that already is: Accepted, no status is
    reported. Requirements: G03.FR.01, G03.FR.02, G03.FR.03, G03.FR.04.
    """
    evse, connector = first_connector(bench)
    mark = Mark.now(station)
    await change_availability(station, "Operative", evse=evse, connector=connector,
                              why="already Operative, G03.FR.03")
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period,
                           why=f"{fmt([(evse, connector)])} already was Operative: its status did "
                               "not change, so the station must not report one")


@pytest.mark.octt("TC_G_16_CS")
async def test_change_availability_connector_inoperative_again(station, bench):
    """Change Availability Connector - Inoperative to inoperative.

    Before: the connector is Inoperative. ChangeAvailability Inoperative again: Accepted, no
    status is reported. Requirements: G03.FR.01, G03.FR.02, G03.FR.03, G03.FR.04.
    """
    evse, connector = first_connector(bench)
    await make_inoperative(station, bench, evse=evse, connector=connector)
    mark = Mark.now(station)
    await change_availability(station, "Inoperative", evse=evse, connector=connector,
                              why="already Inoperative, G03.FR.03")
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period,
                           why=f"{fmt([(evse, connector)])} already was Inoperative: its status "
                               "did not change, so the station must not report one")


# ---- G04: charging station --------------------------------------------------------------------
@pytest.mark.octt("TC_G_05_CS")
async def test_change_availability_station_to_inoperative(station, bench):
    """Change Availability Charging Station - Operative to inoperative.

    ChangeAvailability Inoperative without an EVSE: Accepted, and every connector of every
    EVSE is reported Unavailable. Requirements: G04.FR.01, G04.FR.02, G04.FR.03, G04.FR.05,
    G04.FR.07.
    """
    mark = Mark.now(station)
    await change_availability(station, "Inoperative", why="G04.FR.02")
    await expect_statuses(station, mark, connectors(bench), "Unavailable", within=timeout(bench),
                          why="Charging Station set Inoperative (G04.FR.07)")


@pytest.mark.octt("TC_G_06_CS")
async def test_change_availability_station_to_operative(station, bench):
    """Change Availability Charging Station - Inoperative to operative.

    Before: the station is Inoperative. ChangeAvailability Operative: Accepted, and every
    connector is reported Available. Requirements: G04.FR.01, G04.FR.02, G04.FR.03,
    G04.FR.05, G04.FR.08.
    """
    await make_inoperative(station, bench)
    mark = Mark.now(station)
    await change_availability(station, "Operative", why="G04.FR.02")
    await expect_statuses(station, mark, connectors(bench), "Available", within=timeout(bench),
                          why="Charging Station set Operative (G04.FR.08)")


@pytest.mark.octt("TC_G_12_CS")
async def test_change_availability_station_operative_again(station, bench):
    """Change Availability Charging Station - Operative to operative.

    ChangeAvailability Operative for a station that already is: Accepted, no status is
    reported. Requirements: G04.FR.01, G04.FR.02, G04.FR.03, G04.FR.04, G04.FR.05.
    """
    mark = Mark.now(station)
    await change_availability(station, "Operative", why="already Operative, G04.FR.04")
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period,
                           why="the Charging Station already was Operative: no status changed, "
                               "so the station must not report one")


@pytest.mark.octt("TC_G_13_CS")
async def test_change_availability_station_inoperative_again(station, bench):
    """Change Availability Charging Station - Inoperative to inoperative.

    Before: the station is Inoperative. ChangeAvailability Inoperative again: Accepted, no
    status is reported. Requirements: G04.FR.01, G04.FR.02, G04.FR.03, G04.FR.04, G04.FR.05.
    """
    await make_inoperative(station, bench)
    mark = Mark.now(station)
    await change_availability(station, "Inoperative", why="already Inoperative, G04.FR.04")
    await expect_no_status(station, mark.seq, within=bench.csms.quiet_period,
                           why="the Charging Station already was Inoperative: no status "
                               "changed, so the station must not report one")


# ---- with an ongoing transaction ---------------------------------------------------------------
async def scheduled_during_transaction(station: StationSession, operator: Any, bench: Bench, *,
                                       scope: list[Target], evse: int | None,
                                       connector: int | None, requirement: str) -> None:
    """Before: EnergyTransferStarted. Inoperative -> Scheduled; the transaction goes on; the
    driver stops it and unplugs; then, and only then, ``scope`` becomes Unavailable, without
    a passing Available on the way."""
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    used = first_connector(bench)
    mark = Mark.now(station)
    await change_availability(station, "Inoperative", evse=evse, connector=connector,
                              expect="Scheduled",
                              why=f"a transaction is ongoing on {fmt([used])}, {requirement}")

    def switched_off(payload: dict[str, Any]) -> bool:
        """the transaction Ended, or its connector reported Unavailable"""
        if payload.get("eventType") == "Ended":
            return payload.get("transactionInfo", {}).get("transactionId") == transaction
        return any((e, c) == used and s == "Unavailable" for e, c, s in reported_statuses(payload))

    try:
        await station.expect_none(None, switched_off, within=bench.csms.quiet_period,
                                  since=mark.seq)
    except UnexpectedMessage as exc:
        raise UnexpectedMessage(
            f"the change was Scheduled, so transaction {transaction} must go on until the EV "
            f"driver ends it and {fmt([used])} must not become Unavailable before "
            f"({requirement}):\n{exc}") from None

    token = id_token(bench)
    await operator.present_id_token(token["idToken"], token["type"], used[0])  # StopAuthorized
    await operator.unplug(*used)  # EVConnectedPostSession -> EVDisconnected
    ended = await station.expect("TransactionEvent", {
        "eventType": "Ended", "transactionInfo.transactionId": transaction})
    await expect_statuses(station, mark, scope, "Unavailable", within=timeout(bench),
                          why=f"the scheduled Inoperative change after transaction "
                              f"{transaction} ended ({requirement})")
    first_unavailable = next(
        (seq for seq, s in history(station, mark, used) if s == "Unavailable"), ended.seq + 1)
    assert first_unavailable > ended.seq, (
        f"{fmt([used])} was reported Unavailable (#{first_unavailable}) before its transaction "
        f"ended (#{ended.seq}); a Scheduled change takes effect after the transaction "
        f"({requirement}).\n{describe(station, mark, [used])}")
    for target in scope:
        reports = [s for _, s in history(station, mark, target)]
        final = len(reports) - 1 - reports[::-1].index("Unavailable") if reports else 0
        assert "Available" not in reports[:final], (
            f"{fmt([target])} was reported Available before it became Unavailable: once the "
            f"transaction ends, the scheduled change takes effect and the connector must go "
            f"straight to Unavailable (StatusNotification when the change becomes effective, "
            f"{requirement}).\n{describe(station, mark, [target])}")


@pytest.mark.octt("TC_G_11_CS")
async def test_change_availability_evse_during_transaction(station, operator, bench):
    """Change Availability EVSE - With ongoing transaction.

    Before: a transaction is charging on the EVSE. ChangeAvailability Inoperative for the
    EVSE: Scheduled; the transaction goes on; after the driver stops it and unplugs, every
    connector of the EVSE is reported Unavailable. Requirements: G03.FR.01, G03.FR.02,
    G03.FR.04, G03.FR.05.
    """
    evse, _ = first_connector(bench)
    await scheduled_during_transaction(station, operator, bench, scope=connectors(bench, evse),
                                       evse=evse, connector=None, requirement="G03.FR.05")


@pytest.mark.octt("TC_G_14_CS")
async def test_change_availability_station_during_transaction(station, operator, bench):
    """Change Availability Charging Station - With ongoing transaction.

    Before: a transaction is charging. ChangeAvailability Inoperative for the station:
    Scheduled; the transaction goes on; once it has ended, every connector is reported
    Unavailable (connectors of idle EVSEs may be so from the start). Requirements: G04.FR.01,
    G04.FR.02, G04.FR.03, G04.FR.05, G04.FR.06.
    """
    await scheduled_during_transaction(station, operator, bench, scope=connectors(bench),
                                       evse=None, connector=None, requirement="G04.FR.06")


@pytest.mark.octt("TC_G_17_CS")
async def test_change_availability_connector_during_transaction(station, operator, bench):
    """Change Availability Connector - With ongoing transaction.

    Before: a transaction is charging on the connector. ChangeAvailability Inoperative for
    that connector: Scheduled; the transaction goes on; once the driver stopped it and
    unplugged, the connector is reported Unavailable. Requirements: G03.FR.01, G03.FR.02,
    G03.FR.04, G03.FR.05.
    """
    evse, connector = first_connector(bench)
    await scheduled_during_transaction(station, operator, bench, scope=[(evse, connector)],
                                       evse=evse, connector=connector, requirement="G03.FR.05")


# ---- persistence over a reboot ----------------------------------------------------------------
async def survives_reboot(station: StationSession, bench: Bench, scope: list[Target],
                          requirement: str) -> None:
    reply = await station.call("Reset", {"type": "Immediate"})
    assert reply["status"] == "Accepted", (
        f"Reset Immediate of an idle station: expected Accepted, the station answered "
        f"{reply['status']}")
    boot = await station.expect("BootNotification", within=boot_within(bench))
    await expect_statuses(station, Mark.after(boot), scope, "Unavailable",
                          within=timeout(bench) + bench.csms.deviation, fresh=True,
                          why=f"the Inoperative state must persist across the reboot "
                              f"({requirement})")


@pytest.mark.octt("TC_G_18_CS")
async def test_change_availability_evse_persists_reboot(station, bench):
    """Change Availability EVSE - state persists across reboot.

    Before: the EVSE is Inoperative. Reset: after its BootNotification the station reports
    every connector of the EVSE Unavailable. Requirements: G03.FR.08, G01.FR.01.
    """
    evse, _ = first_connector(bench)
    await make_inoperative(station, bench, evse=evse)
    await survives_reboot(station, bench, connectors(bench, evse), "G03.FR.08")


@pytest.mark.octt("TC_G_19_CS")
async def test_change_availability_connector_persists_reboot(station, bench):
    """Change Availability Connector - state persists across reboot.

    Before: the connector is Inoperative. Reset: after its BootNotification the station
    reports the connector Unavailable. Requirements: G03.FR.08.
    """
    evse, connector = first_connector(bench)
    await make_inoperative(station, bench, evse=evse, connector=connector)
    await survives_reboot(station, bench, [(evse, connector)], "G03.FR.08")


@pytest.mark.octt("TC_G_21_CS")
async def test_change_availability_station_persists_reboot(station, bench):
    """Change Availability Charging Station - state persists across reboot.

    Before: the station is Inoperative. Reset: after its BootNotification the station reports
    every connector Unavailable. Requirements: G04.FR.09.
    """
    await make_inoperative(station, bench)
    await survives_reboot(station, bench, connectors(bench), "G04.FR.09")
