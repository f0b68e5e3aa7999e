"""OCTT block H (Reservation), Charging Station side: ReserveNow, CancelReservation, use and
expiry of a reservation, and a reservation kept over a reset (TC_B_24_CS).

OCPP 2.0.1 Part 2: H01 (Reservation), H02 (Cancel Reservation), H03 (Use a reserved EVSE),
H04 (Reservation Ended, not used). Every test cancels what it reserved, whatever its outcome.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from harness.evidence.steps import step
from suites.ocpp201.provisioning import reboot_within, wait_statuses
from suites.ocpp201.support import first_connector, id_token, start_charging, tx_id, variable_ref
from suites.ocpp201.test_g_availability import (  # noqa: F401 - statuses_known is autouse
    Mark,
    change_availability,
    connectors,
    expect_statuses,
    make_inoperative,
    statuses_known,
    timeout,
)
from suites.ocpp201.transactions import (
    applied,
    charging_on_a_token,
    end_by_unplug,
    events_of,
    try_set,
)

# Reservation ids: random per run, so that a run never meets a reservation of an earlier one.
_ids = iter(random.Random().sample(range(10_000, 2_000_000_000), 1000))
GROUP = {"idToken": "OCTTGROUP01", "type": "Central"}


def new_reservation_id() -> int:
    return next(_ids)


def expiry_in(seconds: float) -> str:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def reserve(station: StationSession, reservation_id: int, token: dict[str, Any], *,
                  evse: int | None, expires_in: float = 300.0,
                  group: dict[str, Any] | None = None, expect: str = "Accepted",
                  why: str) -> Message:
    """ReserveNow, checking the answer."""
    payload: dict[str, Any] = {"id": reservation_id, "expiryDateTime": expiry_in(expires_in),
                               "idToken": token}
    if evse is not None:
        payload["evseId"] = evse
    if group is not None:
        payload["groupIdToken"] = group
    reply = await station.call("ReserveNow", payload)
    scope = f"EVSE {evse}" if evse is not None else "an unspecified EVSE"
    assert reply["status"] == expect, (
        f"ReserveNow id {reservation_id} for {scope} ({why}): expected status {expect}, the "
        f"station answered {reply['status']} {reply.get('statusInfo') or ''}".rstrip())
    return reply


@asynccontextmanager
async def cancelled_afterwards(station: StationSession, *ids: int) -> AsyncIterator[None]:
    """Leave the station as found: cancel the reservations ``ids`` (if still there) at the end."""
    try:
        yield
    finally:
        if station.is_connected:
            for reservation_id in ids:
                with contextlib.suppress(Exception):
                    await station.call("CancelReservation", {"reservationId": reservation_id})


async def reserved(station: StationSession, bench: Bench, reservation_id: int,
                   token: dict[str, Any], evse: int, **kw: Any) -> None:
    """ReserveNow for ``evse`` Accepted, and every connector of it reported Reserved."""
    with step(f"reserve EVSE {evse} (reservation {reservation_id})"):
        mark = Mark.now(station)
        await reserve(station, reservation_id, token, evse=evse, why="the EVSE is Available",
                      **kw)
        await expect_statuses(station, mark, connectors(bench, evse), "Reserved",
                              within=timeout(bench), fresh=True,
                              why=f"ReserveNow Accepted for EVSE {evse} (H01)")


def reservation_used(station: StationSession, transaction_id: str, reservation_id: int) -> None:
    events = events_of(station, transaction_id)
    carried = [e.get("reservationId") for e in events if "reservationId" in e.payload]
    assert reservation_id in carried, (
        f"a transaction on the reserved EVSE for the reserving idToken must carry "
        f"reservationId {reservation_id} in its TransactionEvent (H03); the station "
        f"sent {len(events)} event(s) with reservationId {carried or 'nowhere'}")


async def used_and_ended(station: StationSession, operator: Any, bench: Bench,
                         started: Message, evse: int, connector: int) -> None:
    """The transaction ends (EV unplugged): the reservation it used is over, so the connector
    is Available again, not Reserved (H03)."""
    mark = Mark.now(station)
    await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)
    await expect_statuses(station, mark, [(evse, connector)], "Available", within=timeout(bench),
                          why="the reservation ended with the transaction that used it, "
                              "H03")


async def expect_reservation_update(station: StationSession, reservation_id: int, status: str,
                                    within: float, why: str) -> Message:
    def update(payload: dict[str, Any]) -> bool:
        """a ReservationStatusUpdate for the reservation"""
        return payload.get("reservationId") == reservation_id

    message = await station.expect("ReservationStatusUpdate", update, within=within)
    assert message["reservationUpdateStatus"] == status, (
        f"{why}: expected ReservationStatusUpdate {status} for reservation {reservation_id}, "
        f"the station sent {message['reservationUpdateStatus']!r}")
    return message


async def read_variable(station: StationSession, component: str, variable: str) -> str | None:
    """The Actual value, or None when the station does not have the variable."""
    reply = await station.call("GetVariables", {"getVariableData": [
        variable_ref(component, variable)]})
    result = reply["getVariableResult"][0]
    return result.get("attributeValue") if result["attributeStatus"] == "Accepted" else None


@asynccontextmanager
async def configured(station: StationSession, component: str, variable: str,
                     value: str) -> AsyncIterator[None]:
    """The case's prerequisite ``component.variable = value`` for the block, put back after;
    a station that cannot be configured so skips the case (it does not apply)."""
    before = await read_variable(station, component, variable)
    if before == value:
        yield
        return
    status = await try_set(station, component, variable, value)
    if not applied(status):
        pytest.skip(f"{component}.{variable} cannot be set to {value} ({status}; it is "
                    f"{before!r}): the case's prerequisite is not met")
    try:
        yield
    finally:
        if before is not None and station.is_connected:
            with contextlib.suppress(Exception):
                await try_set(station, component, variable, before)


def member_in_group(station: StationSession, member: dict[str, Any]) -> None:
    """For this test the CSMS answers Authorize for ``member`` with groupIdToken GROUP."""
    answer = station.responders["Authorize"]

    def authorize(session: StationSession, message: Message) -> Any:
        if (message.get("idToken") or {}).get("idToken") == member["idToken"]:
            return {"idTokenInfo": {"status": "Accepted", "groupIdToken": GROUP}}
        return answer(session, message)

    station.respond("Authorize", authorize)


# ---- H01 / H03: reserve a specific EVSE and use it ----------------------------------------------
@pytest.mark.octt("TC_H_01_CS")
async def test_reserve_specific_evse_valid_id_token(station, operator, bench):
    """Reserve a specific EVSE - Accepted - Valid idToken.

    ReserveNow for a specific EVSE: Accepted, its connectors reported Reserved. The driver
    with the reserving idToken arrives: the transaction starts and carries the reservationId;
    once it ends, the EVSE is Available (the reservation was used up).

    Requirements: H01.FR.15, H03.FR.01, H03.FR.09, H03.FR.10.
    """
    evse, connector = first_connector(bench)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, bench, rid, id_token(bench), evse)
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        reservation_used(station, tx_id(started), rid)
        await used_and_ended(station, operator, bench, started, evse, connector)


@pytest.mark.octt("TC_H_02_CS")
async def test_reserve_specific_evse_different_id_token(station, operator, bench):
    """Reserve a specific EVSE - Accepted - Different idToken.

    The EVSE is reserved for one idToken; another (valid) idToken is presented there and an
    EV plugged in: the station does not charge on it, and the EVSE stays reserved.

    Requirements: H03.FR.01, F01.FR.22.
    """
    evse, connector = first_connector(bench)
    rid = new_reservation_id()
    other = id_token(bench, "valid2")
    async with cancelled_afterwards(station, rid):
        await reserved(station, bench, rid, id_token(bench), evse)
        await operator.present_id_token(other["idToken"], other["type"], evse)
        await operator.plug_in(evse, connector)
        try:
            await station.expect_none(
                "TransactionEvent", charging_on_a_token, within=bench.csms.quiet_period)
        except AssertionError as exc:
            raise AssertionError(
                f"EVSE {evse} is reserved for {id_token(bench)['idToken']}: the station must not "
                f"charge on {other['idToken']} (H03.FR.01), but it did:\n{exc}") from None
        mark = Mark.now(station)
        await operator.unplug(evse, connector)
        await expect_statuses(station, mark, [(evse, connector)], "Reserved",
                              within=timeout(bench), why="EV unplugged from the reserved EVSE: "
                              "the reservation still holds, so the connector is Reserved again")


@pytest.mark.octt("TC_H_19_CS")
async def test_reserved_evse_used_with_group_id(station, operator, bench):
    """Reserve a specific EVSE - Use a reserved EVSE with GroupId.

    The EVSE is reserved for an idToken with a groupIdToken. Another idToken, which the CSMS
    says (Authorize) belongs to that group, is presented: it may charge on the reserved EVSE,
    and the transaction carries the reservationId.

    Requirements: H01.FR.15, H03.FR.04, H03.FR.08.
    """
    evse, connector = first_connector(bench)
    member_in_group(station, id_token(bench, "valid2"))
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, bench, rid, id_token(bench), evse, group=GROUP)
        started = await start_charging(station, operator, bench, evse=evse, connector=connector,
                                       token="valid2")
        reservation_used(station, tx_id(started), rid)
        await used_and_ended(station, operator, bench, started, evse, connector)


# ---- H01: answers other than Accepted -------------------------------------------------------------
@pytest.mark.octt("TC_H_03_CS")
async def test_reserve_reserved_evse_occupied(station, operator, bench):
    """Reserve a specific EVSE - Occupied - EVSE Reserved.

    A second ReserveNow (another reservation id) for an EVSE already reserved: Occupied.

    Requirements: H01.FR.11.
    """
    evse, _ = first_connector(bench)
    first, second = new_reservation_id(), new_reservation_id()
    async with cancelled_afterwards(station, first, second):
        await reserved(station, bench, first, id_token(bench), evse)
        await reserve(station, second, id_token(bench, "valid2"), evse=evse, expect="Occupied",
                      why=f"EVSE {evse} is reserved by reservation {first} (H01.FR.11)")


@pytest.mark.octt("TC_H_04_CS")
async def test_reserve_occupied_evse(station, operator, bench):
    """Reserve a specific EVSE - Occupied - EVSE Occupied.

    An EV is plugged in on the EVSE; ReserveNow for it: Occupied.

    Requirements: H01.FR.13.
    """
    evse, connector = first_connector(bench)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        mark = Mark.now(station)
        await operator.plug_in(evse, connector)
        try:
            await expect_statuses(station, mark, [(evse, connector)], "Occupied",
                                  within=timeout(bench), why="precondition: EV plugged in")
            await reserve(station, rid, id_token(bench), evse=evse, expect="Occupied",
                          why=f"an EV is plugged in on EVSE {evse} (H01.FR.13)")
        finally:
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_H_06_CS")
async def test_reserve_unavailable_evse(station, operator, bench):
    """Reserve a specific EVSE - Unavailable.

    The EVSE is Inoperative (ChangeAvailability); ReserveNow for it: Unavailable.

    Requirements: H01.FR.14.
    """
    evse, _ = first_connector(bench)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await make_inoperative(station, bench, evse=evse)
        try:
            await reserve(station, rid, id_token(bench), evse=evse, expect="Unavailable",
                          why=f"EVSE {evse} is Inoperative (H01.FR.14)")
        finally:
            await change_availability(station, "Operative", evse=evse)


@pytest.mark.octt("TC_H_21_CS")
async def test_reservation_removed_when_unavailable(station, operator, bench):
    """Charging Station cancels reservation when Unavailable.

    A reserved EVSE is made Inoperative: the station ends the reservation and tells the CSMS
    with ReservationStatusUpdate Removed; the connectors are reported Unavailable.

    Requirements: H01.FR.17.
    """
    evse, _ = first_connector(bench)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, bench, rid, id_token(bench), evse)
        mark = Mark.now(station)
        await change_availability(station, "Inoperative", evse=evse,
                                  why="a reserved EVSE without a transaction")
        try:
            await expect_reservation_update(
                station, rid, "Removed", timeout(bench),
                f"reserved EVSE {evse} became Unavailable (H01.FR.17)")
            await expect_statuses(station, mark, connectors(bench, evse), "Unavailable",
                                  within=timeout(bench), why=f"EVSE {evse} made Inoperative")
        finally:
            await change_availability(station, "Operative", evse=evse)


@pytest.mark.octt("TC_H_23_CS")
async def test_reserve_replaces_reservation(station, operator, bench):
    """Reserve a specific EVSE - Replace reservation.

    ReserveNow with the id of an existing reservation, for another EVSE: Accepted; the new
    request replaces the old one, so the first EVSE is Available again and the second one is
    Reserved.

    Requirements: H01.FR.02.
    """
    if len(bench.station.evses) < 2:
        pytest.skip("the case moves a reservation to another EVSE; the bench declares one")
    first_evse, second_evse = bench.station.evses[0].id, bench.station.evses[1].id
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, bench, rid, id_token(bench), first_evse)
        mark = Mark.now(station)
        await reserve(station, rid, id_token(bench), evse=second_evse,
                      why=f"the same reservation id moves to EVSE {second_evse} (H01.FR.02)")
        await expect_statuses(station, mark, connectors(bench, second_evse), "Reserved",
                              within=timeout(bench), fresh=True,
                              why=f"reservation {rid} now holds EVSE {second_evse}")
        await expect_statuses(station, mark, connectors(bench, first_evse), "Available",
                              within=timeout(bench), fresh=True,
                              why=f"reservation {rid} was replaced: EVSE {first_evse} is no "
                                  "longer reserved (H01.FR.02)")


# ---- H01: configuration (conditional cases) --------------------------------------------------------
@pytest.mark.octt("TC_H_08_CS")
async def test_reserve_unspecified_evse(station, operator, bench):
    """Reserve an unspecified EVSE - Accepted.

    With ReservationCtrlr.NonEvseSpecific true, ReserveNow without evseId: Accepted. The
    driver with the reserving idToken charges on an EVSE: the transaction carries the
    reservationId; once it ends, the EVSE is Available.

    Requirements: H01.FR.04, H01.FR.07, H01.FR.15, H03.FR.03.
    """
    evse, connector = first_connector(bench)
    rid = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, rid):
        await reserve(station, rid, id_token(bench), evse=None,
                      why="NonEvseSpecific is true and every EVSE is Available")
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        reservation_used(station, tx_id(started), rid)
        await used_and_ended(station, operator, bench, started, evse, connector)


@pytest.mark.octt("TC_H_14_CS")
async def test_reserve_unspecified_evses_all_needed(station, operator, bench):
    """Reserve an unspecified EVSE - Amount of EVSEs available equals the amount of reservations.

    As many reservations without evseId as there are EVSEs, all Accepted: once every
    available EVSE is needed for them, the station reports every connector Reserved.

    Requirements: H01.FR.20.
    """
    ids = [new_reservation_id() for _ in bench.station.evses]
    tokens = [id_token(bench, "valid"), id_token(bench, "valid2")]
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, *ids):
        mark = Mark.now(station)
        for n, rid in enumerate(ids):
            await reserve(station, rid, tokens[n % len(tokens)], evse=None,
                          why=f"reservation {n + 1} of {len(ids)} for {len(ids)} available EVSEs")
        await expect_statuses(station, mark, connectors(bench), "Reserved",
                              within=timeout(bench), fresh=True,
                              why=f"{len(ids)} reservations without evseId hold all {len(ids)} "
                                  "available EVSEs (H01.FR.20)")


@pytest.mark.octt("TC_H_15_CS")
async def test_reserve_connector_type(station, operator, bench):
    """Reserve a connector with a specific type - Success.

    ReserveNow with a connectorType and no evseId: Accepted. The driver with the reserving
    idToken charges on a connector of that type: the transaction carries the reservationId.

    Requirements: H01.FR.06, H01.FR.09, H01.FR.15, H03.FR.02.
    """
    evse, connector = first_connector(bench)
    connector_type = bench.station.evses[0].connectors[0].type
    rid = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, rid):
        reply = await station.call("ReserveNow", {
            "id": rid, "expiryDateTime": expiry_in(300), "idToken": id_token(bench),
            "connectorType": connector_type})
        assert reply["status"] == "Accepted", (
            f"ReserveNow id {rid} for connector type {connector_type} (the station has one, "
            f"Available): expected Accepted, the station answered {reply['status']}")
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        reservation_used(station, tx_id(started), rid)
        await used_and_ended(station, operator, bench, started, evse, connector)


@pytest.mark.octt("TC_H_16_CS")
async def test_reserve_connector_type_all_needed(station, operator, bench):
    """Reserve a connector with a specific type - Amount of available connectors of a type
    equals the amount of reservations.

    As many ReserveNow with a connectorType (no evseId) as there are EVSEs with a connector
    of that type: all Accepted; one more for that type is Occupied, every such EVSE being
    needed for the reservations already made (H01.FR.11).
    """
    connector_type = bench.station.evses[0].connectors[0].type
    fitting = [e.id for e in bench.station.evses
               if any(c.type == connector_type for c in e.connectors)]
    ids = [new_reservation_id() for _ in range(len(fitting) + 1)]
    tokens = [id_token(bench, "valid"), id_token(bench, "valid2")]
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, *ids):
        for n, rid in enumerate(ids):
            expect = "Accepted" if n < len(fitting) else "Occupied"
            reply = await station.call("ReserveNow", {
                "id": rid, "expiryDateTime": expiry_in(300), "idToken": tokens[n % len(tokens)],
                "connectorType": connector_type})
            assert reply["status"] == expect, (
                f"ReserveNow {n + 1} for connector type {connector_type}, which EVSEs {fitting} "
                f"have, with {n} such reservations made: expected {expect}"
                + (" (every EVSE of that type is needed for the reservations, H01.FR.11)"
                   if expect == "Occupied" else "") + f", the station answered {reply['status']}")


@pytest.mark.octt("TC_H_24_CS")
async def test_reserve_unspecified_evse_group_id(station, operator, bench):
    """Reserve an unspecified EVSE - GroupIdToken.

    A reservation without evseId for an idToken with a groupIdToken; another idToken that
    the CSMS says (Authorize) belongs to the group charges on it: the transaction carries the
    reservationId.

    Requirements: H01.FR.04, H03.FR.04, H03.FR.08.
    """
    evse, connector = first_connector(bench)
    member_in_group(station, id_token(bench, "valid2"))
    rid = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, rid):
        await reserve(station, rid, id_token(bench), evse=None, group=GROUP,
                      why="NonEvseSpecific is true and every EVSE is Available")
        started = await start_charging(station, operator, bench, evse=evse, connector=connector,
                                       token="valid2")
        reservation_used(station, tx_id(started), rid)
        await used_and_ended(station, operator, bench, started, evse, connector)


@pytest.mark.octt("TC_H_09_CS")
async def test_reserve_unspecified_all_reserved(station, operator, bench):
    """Reserve an unspecified EVSE - Occupied - EVSE Reserved.

    Every EVSE is reserved (a reservation for each); ReserveNow without evseId: Occupied.

    Requirements: H01.FR.11.
    """
    ids = {e.id: new_reservation_id() for e in bench.station.evses}
    extra = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, *ids.values(), extra):
        for evse, rid in ids.items():
            await reserved(station, bench, rid, id_token(bench), evse)
        await reserve(station, extra, id_token(bench, "valid2"), evse=None, expect="Occupied",
                      why="every EVSE is reserved already (H01.FR.11)")


@pytest.mark.octt("TC_H_10_CS")
async def test_reserve_unspecified_all_occupied(station, operator, bench):
    """Reserve an unspecified EVSE - Occupied - EVSE Occupied.

    An EV is plugged in on every EVSE; ReserveNow without evseId: Occupied.

    Requirements: H01.FR.13.
    """
    plugged = [(e.id, e.connectors[0].id) for e in bench.station.evses]
    rid = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, rid):
        mark = Mark.now(station)
        try:
            for evse, connector in plugged:
                await operator.plug_in(evse, connector)
            await expect_statuses(station, mark, plugged, "Occupied", within=timeout(bench),
                                  why="precondition: an EV plugged in on every EVSE")
            await reserve(station, rid, id_token(bench), evse=None, expect="Occupied",
                          why="an EV is plugged in on every EVSE (H01.FR.13)")
        finally:
            for evse, connector in plugged:
                await operator.unplug(evse, connector)


@pytest.mark.octt("TC_H_12_CS")
async def test_reserve_unspecified_all_unavailable(station, operator, bench):
    """Reserve an unspecified EVSE - Unavailable.

    The Charging Station is Inoperative (ChangeAvailability); ReserveNow without evseId:
    Unavailable.

    Requirements: H01.FR.14.
    """
    rid = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "true"), \
            cancelled_afterwards(station, rid):
        await make_inoperative(station, bench)
        try:
            await reserve(station, rid, id_token(bench), evse=None, expect="Unavailable",
                          why="the Charging Station is Inoperative (H01.FR.14)")
        finally:
            await change_availability(station, "Operative")


@pytest.mark.octt("TC_H_13_CS")
async def test_reserve_unspecified_evse_rejected(station, operator, bench):
    """Reserve an unspecified EVSE - Rejected.

    With ReservationCtrlr.NonEvseSpecific false, ReserveNow without evseId: Rejected.

    Requirements: H01.FR.19.
    """
    rid = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "NonEvseSpecific", "false"), \
            cancelled_afterwards(station, rid):
        await reserve(station, rid, id_token(bench), evse=None, expect="Rejected",
                      why="ReservationCtrlr.NonEvseSpecific is false (H01.FR.19)")


@pytest.mark.octt("TC_H_22_CS")
async def test_reserve_configured_to_reject(station, operator, bench):
    """Reserve a specific EVSE - Configured to Reject.

    With ReservationCtrlr.Enabled false, ReserveNow for an Available EVSE: Rejected.

    Requirements: H01.FR.01.
    """
    evse, _ = first_connector(bench)
    rid = new_reservation_id()
    async with configured(station, "ReservationCtrlr", "Enabled", "false"), \
            cancelled_afterwards(station, rid):
        await reserve(station, rid, id_token(bench), evse=evse, expect="Rejected",
                      why="ReservationCtrlr.Enabled is false (H01.FR.01)")


# ---- H04: expiry ----------------------------------------------------------------------------------
@pytest.mark.octt("TC_H_07_CS")
async def test_reservation_expires(station, operator, bench):
    """Reserve a specific EVSE - Reservation Ended / not used.

    A reservation expiring 2 s ahead is not used: at its expiryDateTime the station ends it,
    sends ReservationStatusUpdate Expired and reports the connectors Available again.

    Requirements: H04.FR.01, H04.FR.02, H04.FR.03.
    """
    evse, _ = first_connector(bench)
    rid = new_reservation_id()
    lifetime = 2.0
    async with cancelled_afterwards(station, rid):
        reserved_at = time.monotonic()
        await reserved(station, bench, rid, id_token(bench), evse, expires_in=lifetime)
        mark = Mark.now(station)
        update = await expect_reservation_update(
            station, rid, "Expired", lifetime + bench.csms.deviation + timeout(bench),
            f"reservation {rid} expired unused (H04.FR.02)")
        early = lifetime - (update.mono - reserved_at)
        assert early <= bench.csms.deviation, (
            f"ReservationStatusUpdate Expired came {early:.1f} s before the reservation's "
            f"expiryDateTime (allowed deviation {bench.csms.deviation:g} s)")
        await expect_statuses(station, mark, connectors(bench, evse), "Available",
                              within=timeout(bench), fresh=True,
                              why=f"reservation {rid} expired: EVSE {evse} is free (H04.FR.01)")


# ---- H02: cancel ----------------------------------------------------------------------------------
@pytest.mark.octt("TC_H_17_CS")
async def test_cancel_reservation(station, operator, bench):
    """Cancel reservation of an EVSE - Success.

    CancelReservation for an existing reservation: Accepted; the connectors of the EVSE are
    reported Available again.

    Requirements: H02.FR.02.
    """
    evse, _ = first_connector(bench)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, bench, rid, id_token(bench), evse)
        mark = Mark.now(station)
        reply = await station.call("CancelReservation", {"reservationId": rid})
        assert reply["status"] == "Accepted", (
            f"CancelReservation for the existing reservation {rid}: expected Accepted, the "
            f"station answered {reply['status']}")
        await expect_statuses(station, mark, connectors(bench, evse), "Available",
                              within=timeout(bench), fresh=True,
                              why=f"reservation {rid} cancelled (H02.FR.02)")


@pytest.mark.octt("TC_H_18_CS")
async def test_cancel_unknown_reservation(station, operator, bench):
    """Cancel reservation of an EVSE - Rejected.

    CancelReservation for a reservation id the station does not have: Rejected.

    Requirements: H02.FR.01.
    """
    rid = new_reservation_id()
    reply = await station.call("CancelReservation", {"reservationId": rid})
    assert reply["status"] == "Rejected", (
        f"CancelReservation for reservation {rid}, which does not exist: expected Rejected "
        f"(H02.FR.01), the station answered {reply['status']}")


# ---- B11: a reservation survives a reset -------------------------------------------------------
@pytest.mark.octt("TC_B_24_CS")
async def test_reservation_persists_reset(station, operator, bench):
    """Reset Charging Station - Reserved persists reset.

    An EVSE is reserved; Reset Immediate (no transaction): Accepted, the station reboots
    (BootNotification RemoteReset) and reports the reserved EVSE's connectors Reserved again.

    Requirements: B11.FR.01, B11.FR.03, B11.FR.04, B11.FR.05, B01.FR.03.
    """
    evse, _ = first_connector(bench)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, bench, rid, id_token(bench), evse)
        reply = await station.call("Reset", {"type": "Immediate"})
        assert reply["status"] == "Accepted", (
            f"Reset Immediate without a transaction: expected Accepted, the station answered "
            f"{reply['status']}")
        boot = await station.expect("BootNotification", within=reboot_within(bench))
        assert boot["reason"] == "RemoteReset", (
            f"BootNotification after a Reset: expected reason RemoteReset, the station sent "
            f"{boot['reason']!r}")
        reported = await wait_statuses(station, connectors(bench), boot.seq, timeout(bench),
                                       "after the reset")
        lost = {k: v for k, v in reported.items() if k[0] == evse and v != "Reserved"}
        assert not lost, (
            f"reservation {rid} on EVSE {evse} must survive the reset: its connectors must be "
            f"reported Reserved after the boot, the station reported {lost}")
