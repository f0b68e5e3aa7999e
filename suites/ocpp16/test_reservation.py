"""OCTT 1.6, Reservation profile (Charge Point side): ReserveNow, CancelReservation, the use
and the expiry of a reservation, reservations of connector 0 (the charge point).

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 sections its catalogue row names: 3.9 (Reservation), 5.1 (Cancel Reservation), 5.11
(Remote Start Transaction), 5.13 (Reserve Now). Every test cancels what it reserved, whatever
its outcome.
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
from harness.csms.ocpp16.responders import with_parent_id_tag
from harness.csms.session import Message, StationSession, UnexpectedMessage
from suites.ocpp16.support import connector_ids, hands_of, id_tag, start_transaction

pytestmark = pytest.mark.ocpp_version("1.6")

# Reservation ids: random per run, so that a run never meets a reservation of an earlier one.
_ids = iter(random.Random().sample(range(10_000, 2_000_000_000), 1000))
PARENT = "OCTTPARENT01"
OTHER = "OCTTOTHER01"  # an idTag the CSMS accepts for one test, reserved for nobody
FAULT = "OtherError"  # the fault input raised to fault a connector (1.6 ChargePointErrorCode)


def new_reservation_id() -> int:
    return next(_ids)


def expiry_in(seconds: float) -> str:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def reserve(station: StationSession, reservation_id: int, connector_id: int, tag: str, *,
                  expires_in: float = 300.0, parent: str | None = None,
                  expect: str = "Accepted", why: str) -> None:
    """ReserveNow, checking the answer."""
    payload: dict[str, Any] = {"connectorId": connector_id, "expiryDate": expiry_in(expires_in),
                               "idTag": tag, "reservationId": reservation_id}
    if parent is not None:
        payload["parentIdTag"] = parent
    reply = await station.call("ReserveNow", payload)
    assert reply["status"] == expect, (
        f"ReserveNow {reservation_id} of connector {connector_id} ({why}): expected status "
        f"{expect} (1.6 section 5.13), the charge point answered {reply['status']}")


@asynccontextmanager
async def cancelled_afterwards(station: StationSession, *ids: int) -> AsyncIterator[None]:
    """Leave the charge point as found: cancel the reservations ``ids`` (if still there)."""
    try:
        yield
    finally:
        if station.is_connected:
            for reservation_id in ids:
                with contextlib.suppress(Exception):
                    await station.call("CancelReservation", {"reservationId": reservation_id})


async def status_of(station: StationSession, connector_id: int, status: str, since: int, *,
                    within: float | None = None, why: str) -> Message:
    """The StatusNotification ``status`` of ``connector_id`` since journal position ``since``;
    on timeout, say which statuses the connector was reported in instead."""
    try:
        return await station.expect("StatusNotification",
                                    {"connectorId": connector_id, "status": status},
                                    since=since, within=within)
    except AssertionError:
        seen = [(e.payload or {}).get("status") for e in station.received(since)
                if e.action == "StatusNotification"
                and (e.payload or {}).get("connectorId") == connector_id]
        raise AssertionError(
            f"{why}: connector {connector_id} must be reported {status}; since then the charge "
            f"point reported it {seen or 'in no StatusNotification'}") from None


async def reserved(station: StationSession, reservation_id: int, connector_id: int, tag: str,
                   **kw: Any) -> None:
    """ReserveNow of ``connector_id`` Accepted, and the connector reported Reserved."""
    mark = station.journal.mark()
    await reserve(station, reservation_id, connector_id, tag, why="the connector is Available",
                  **kw)
    await status_of(station, connector_id, "Reserved", mark,
                    why=f"ReserveNow {reservation_id} Accepted (1.6 section 5.13)")


def reservation_used(start: Message, reservation_id: int) -> None:
    got = start.get("reservationId")
    assert got == reservation_id, (
        f"a transaction for the reserved idTag on the reserved connector must carry "
        f"reservationId {reservation_id} in StartTransaction (1.6 section 5.13), the charge "
        f"point sent {'reservationId ' + str(got) if got is not None else 'none'}")


async def no_start(station: StationSession, bench: Bench, connector_id: int, tag: str,
                   since: int, why: str) -> None:
    """No StartTransaction for ``tag`` on ``connector_id`` since ``since``, nor within the
    quiet period."""
    try:
        await station.expect_none("StartTransaction", {"connectorId": connector_id, "idTag": tag},
                                  within=bench.csms.quiet_period, since=since)
    except UnexpectedMessage as exc:
        raise UnexpectedMessage(f"{why}: the charge point must not start a transaction for "
                                f"idTag {tag} on connector {connector_id}. {exc}") from None


def in_group(station: StationSession, members: set[str], parent: str) -> None:
    """For this test the CSMS gives ``members`` the parentIdTag ``parent`` (Authorize.conf,
    StartTransaction.conf)."""
    for action in ("Authorize", "StartTransaction"):
        station.respond(action, with_parent_id_tag(station.responders[action], members, parent))


def accepted_too(station: StationSession, tag: str) -> None:
    """For this test the CSMS also accepts ``tag`` (Authorize.conf, StartTransaction.conf)."""
    for action in ("Authorize", "StartTransaction"):
        answer = station.responders[action]

        def respond(session: StationSession, m: Message, answer: Any = answer) -> Any:
            if m.get("idTag") != tag:
                return answer(session, m)
            reply: dict[str, Any] = {"idTagInfo": {"status": "Accepted"}}
            if m.action == "StartTransaction":
                reply["transactionId"] = random.randint(900_000, 999_999)
            return reply

        station.respond(action, respond)


def skip_if_claimed(bench: Bench, feature: str) -> None:
    if bench.claims(feature):
        pytest.skip(f"for a charge point without {feature}; the bench file claims it")


def several_connectors(bench: Bench) -> list[int]:
    ids = connector_ids(bench)
    if len(ids) < 2:
        pytest.skip("a reservation of connector 0 with one connector is one of that connector")
    return ids


@asynccontextmanager
async def faulted(station: StationSession, operator: Any, bench: Bench,
                  *connectors: int) -> AsyncIterator[None]:
    """The fault input of ``connectors`` raised (each reported Faulted), cleared afterwards."""
    mark = station.journal.mark()
    raised = []
    try:
        for connector_id in connectors:
            await operator.inject_fault(*hands_of(bench, connector_id), FAULT)
            raised.append(connector_id)
        for connector_id in connectors:
            await status_of(station, connector_id, "Faulted", mark,
                            why=f"fault input {FAULT} raised (1.6 section 4.9)")
        yield
    finally:
        for connector_id in raised:
            await operator.clear_fault(*hands_of(bench, connector_id), FAULT)


@asynccontextmanager
async def unavailable(station: StationSession, bench: Bench,
                      connector_id: int) -> AsyncIterator[None]:
    """ChangeAvailability Inoperative of ``connector_id`` (0: the charge point, then every
    connector is reported Unavailable), Operative afterwards."""
    mark = station.journal.mark()
    try:
        reply = await station.call("ChangeAvailability",
                                   {"connectorId": connector_id, "type": "Inoperative"})
        assert reply["status"] == "Accepted", (
            f"ChangeAvailability Inoperative of idle connector {connector_id}: expected "
            f"Accepted, the charge point answered {reply['status']}")
        for target in connector_ids(bench) if connector_id == 0 else [connector_id]:
            await status_of(station, target, "Unavailable", mark,
                            why=f"ChangeAvailability Inoperative of connector {connector_id} "
                                f"(1.6 section 5.2)")
        yield
    finally:
        if station.is_connected:
            await station.call("ChangeAvailability",
                               {"connectorId": connector_id, "type": "Operative"})


# ---- 5.13 / 3.9: reserve a connector and use it --------------------------------------------------
@pytest.mark.octt("TC_046_1_CS")
async def test_reservation_local_start(station, operator, bench):
    """Reservation of a Connector - Local Start Transaction.

    ReserveNow of connector 1: Accepted, connector Reserved. Cable in, another valid idTag:
    no transaction (the connector is reserved). The reserved idTag: StartTransaction with the
    reservationId, Charging (1.6 sections 3.9, 5.13).
    """
    evse, connector = hands_of(bench, 1)
    tag, other = id_tag(bench), id_tag(bench, "valid2")
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, rid, 1, tag)
        await operator.plug_in(evse, connector)
        mark = station.journal.mark()
        await operator.present_id_token(other, evse=evse)
        await no_start(station, bench, 1, other, mark,
                       f"connector 1 is reserved for idTag {tag} (1.6 section 5.13)")
        await operator.present_id_token(tag, evse=evse)
        start, _ = await start_transaction(station, 1)
        assert start["idTag"] == tag, f"StartTransaction idTag {start['idTag']!r}, expected {tag!r}"
        reservation_used(start, rid)
        await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})


@pytest.mark.octt("TC_046_2_CS")
async def test_reservation_remote_start(station, operator, bench):
    """Reservation of a Connector - Remote Start Transaction.

    ReserveNow of connector 1: Accepted, connector Reserved. Cable in, RemoteStartTransaction
    of the reserved idTag on connector 1: Accepted, StartTransaction with the reservationId,
    Charging (1.6 sections 3.9, 5.11, 5.13).
    """
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, rid, 1, tag)
        await operator.plug_in(evse, connector)
        reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
        assert reply["status"] == "Accepted", (
            f"RemoteStartTransaction of the reserved idTag {tag} on its reserved connector 1: "
            f"expected Accepted, the charge point answered {reply['status']}")
        start, _ = await start_transaction(station, 1)
        assert start["idTag"] == tag, f"StartTransaction idTag {start['idTag']!r}, expected {tag!r}"
        reservation_used(start, rid)
        await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})


@pytest.mark.octt("TC_047_CS")
async def test_reservation_expires(station, bench):
    """Reservation of a Connector - Expire.

    A reservation of connector 1 expiring 2 s ahead is not used: at its expiryDate the charge
    point ends it and reports the connector Available (1.6 sections 3.9, 5.13).
    """
    rid = new_reservation_id()
    lifetime = 2.0
    async with cancelled_afterwards(station, rid):
        reserved_at = time.monotonic()
        await reserved(station, rid, 1, id_tag(bench), expires_in=lifetime)
        mark = station.journal.mark()
        available = await status_of(
            station, 1, "Available", mark,
            within=lifetime + bench.csms.deviation + bench.csms.message_timeout,
            why=f"reservation {rid} reached its expiryDate unused (1.6 section 5.13)")
        early = lifetime - (available.mono - reserved_at)
        assert early <= bench.csms.deviation, (
            f"connector 1 was reported Available {early:.1f} s before the reservation's "
            f"expiryDate (allowed deviation {bench.csms.deviation:g} s)")


# ---- 5.13: a connector that cannot be reserved -----------------------------------------------------
@pytest.mark.octt("TC_048_1_CS")
async def test_reserve_faulted_connector(station, operator, bench):
    """Reservation of a Connector - Faulted.

    Connector 1 Faulted (a fault input raised): ReserveNow of it answers Faulted (1.6 section
    5.13).
    """
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid), faulted(station, operator, bench, 1):
        await reserve(station, rid, 1, id_tag(bench), expect="Faulted",
                      why="connector 1 is Faulted")


@pytest.mark.octt("TC_048_2_CS")
async def test_reserve_occupied_connector(station, operator, bench):
    """Reservation of a Connector - Occupied.

    Cable in at connector 1 (Preparing): ReserveNow of it answers Occupied (1.6 section 5.13).
    """
    evse, connector = hands_of(bench, 1)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await operator.plug_in(evse, connector)
        await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
        await reserve(station, rid, 1, id_tag(bench), expect="Occupied",
                      why="a cable is in connector 1")


@pytest.mark.octt("TC_048_3_CS")
async def test_reserve_unavailable_connector(station, bench):
    """Reservation of a Connector - Unavailable.

    Connector 1 Unavailable (ChangeAvailability Inoperative): ReserveNow of it answers
    Unavailable (1.6 section 5.13).
    """
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid), unavailable(station, bench, 1):
        await reserve(station, rid, 1, id_tag(bench), expect="Unavailable",
                      why="connector 1 is Unavailable")


@pytest.mark.octt("TC_048_4_CS")
@pytest.mark.requires("ReservationsDisabled")
async def test_reserve_rejected(station, bench):
    """Reservation of a Connector - Rejected.

    A charge point configured not to accept reservations answers ReserveNow of an available
    connector with Rejected (1.6 section 5.13).
    """
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserve(station, rid, 1, id_tag(bench), expect="Rejected",
                      why="the charge point is configured not to accept reservations")


# ---- 5.13: connector 0, the charge point ---------------------------------------------------------
@pytest.mark.octt("TC_049_CS")
@pytest.mark.requires("ReserveConnectorZeroSupported")
async def test_reserve_charge_point(station, operator, bench):
    """Reservation of a Charge Point - Transaction.

    ReserveNow of connector 0 for an idTag: Accepted. Another idTag charges on connector 1;
    the charge point keeps the last connector for the reserved idTag: a third idTag is
    refused there, the reserved idTag starts there with the reservationId (1.6 sections 3.9,
    5.13).
    """
    ids = several_connectors(bench)
    tag, other = id_tag(bench), id_tag(bench, "valid2")
    accepted_too(station, OTHER)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserve(station, rid, 0, tag, why="every connector is Available")
        for connector_id in ids[:-2]:  # more than two connectors: all but two are taken
            await operator.plug_in(*hands_of(bench, connector_id))
        first, last = ids[-2], ids[-1]
        evse, connector = hands_of(bench, first)
        await operator.plug_in(evse, connector)
        await operator.present_id_token(other, evse=evse)
        start, _ = await start_transaction(station, first)
        assert start["idTag"] == other, (
            f"connector {first}: another idTag may charge while connector {last} is still free "
            f"for the reservation of connector 0; StartTransaction idTag {start['idTag']!r}")
        evse, connector = hands_of(bench, last)
        mark = station.journal.mark()
        await operator.present_id_token(OTHER, evse=evse)
        await operator.plug_in(evse, connector)
        await no_start(station, bench, last, OTHER, mark,
                       f"connector {last} is the last one free: it is kept for the reservation "
                       f"of connector 0 by idTag {tag} (1.6 section 5.13)")
        await operator.present_id_token(tag, evse=evse)
        start, _ = await start_transaction(station, last)
        assert start["idTag"] == tag, f"StartTransaction idTag {start['idTag']!r}, expected {tag!r}"
        reservation_used(start, rid)


@pytest.mark.octt("TC_050_1_CS")
@pytest.mark.requires("ReserveConnectorZeroSupported")
async def test_reserve_charge_point_faulted(station, operator, bench):
    """Reservation of a Charge Point - Faulted.

    Every connector Faulted (fault inputs raised): ReserveNow of connector 0 answers Faulted
    (1.6 section 5.13).
    """
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid), \
            faulted(station, operator, bench, *connector_ids(bench)):
        await reserve(station, rid, 0, id_tag(bench), expect="Faulted",
                      why="every connector is Faulted")


@pytest.mark.octt("TC_050_2_CS")
@pytest.mark.requires("ReserveConnectorZeroSupported")
async def test_reserve_charge_point_occupied(station, operator, bench):
    """Reservation of a Charge Point - Occupied.

    A cable in every connector: ReserveNow of connector 0 answers Occupied (1.6 section 5.13).
    """
    rid = new_reservation_id()
    mark = station.journal.mark()
    async with cancelled_afterwards(station, rid):
        for connector_id in connector_ids(bench):
            await operator.plug_in(*hands_of(bench, connector_id))
        for connector_id in connector_ids(bench):
            await status_of(station, connector_id, "Preparing", mark, why="cable in")
        await reserve(station, rid, 0, id_tag(bench), expect="Occupied",
                      why="every connector has a cable in")


@pytest.mark.octt("TC_050_3_CS")
@pytest.mark.requires("ReserveConnectorZeroSupported")
async def test_reserve_charge_point_unavailable(station, bench):
    """Reservation of a Charge Point - Unavailable.

    The charge point Unavailable (ChangeAvailability Inoperative of connector 0): ReserveNow
    of connector 0 answers Unavailable (1.6 section 5.13).
    """
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid), unavailable(station, bench, 0):
        await reserve(station, rid, 0, id_tag(bench), expect="Unavailable",
                      why="the charge point is Unavailable")


@pytest.mark.octt("TC_050_4_CS")
async def test_reserve_charge_point_rejected(station, bench):
    """Reservation of a Charge Point - Rejected.

    A charge point whose ReserveConnectorZeroSupported is false answers ReserveNow of
    connector 0 with Rejected (1.6 sections 5.13, 9.3).
    """
    skip_if_claimed(bench, "ReserveConnectorZeroSupported")
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserve(station, rid, 0, id_tag(bench), expect="Rejected",
                      why="ReserveConnectorZeroSupported is false")


# ---- 5.1: CancelReservation --------------------------------------------------------------------------
@pytest.mark.octt("TC_051_CS")
async def test_cancel_reservation(station, bench):
    """Cancel Reservation.

    CancelReservation of a reservation of connector 1: Accepted, the connector is reported
    Available again (1.6 sections 5.1, 5.13).
    """
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, rid, 1, id_tag(bench))
        mark = station.journal.mark()
        reply = await station.call("CancelReservation", {"reservationId": rid})
        assert reply["status"] == "Accepted", (
            f"CancelReservation of the existing reservation {rid}: expected Accepted (1.6 "
            f"section 5.1), the charge point answered {reply['status']}")
        await status_of(station, 1, "Available", mark,
                        why=f"reservation {rid} cancelled (1.6 section 5.1)")


@pytest.mark.octt("TC_052_CS")
async def test_cancel_reservation_rejected(station):
    """Cancel Reservation - Rejected.

    CancelReservation of a reservationId the charge point does not have: Rejected (1.6
    section 5.1).
    """
    rid = new_reservation_id()
    reply = await station.call("CancelReservation", {"reservationId": rid})
    assert reply["status"] == "Rejected", (
        f"CancelReservation of reservation {rid}, which does not exist: expected Rejected "
        f"(1.6 section 5.1), the charge point answered {reply['status']}")


# ---- 5.13: parentIdTag ---------------------------------------------------------------------------------
@pytest.mark.octt("TC_053_1_CS")
@pytest.mark.requires("ParentIdTag")
async def test_reserved_connector_parent_id_tag_local(station, operator, bench):
    """Use a Reserved Connector with parentIdTag - Local Start.

    Connector 1 reserved for an idTag with a parentIdTag. Cable in, another idTag, which the
    Central System's Authorize.conf gives the same parentIdTag: StartTransaction of that idTag
    on connector 1 with the reservationId (1.6 sections 3.9, 5.13).
    """
    evse, connector = hands_of(bench, 1)
    tag, member = id_tag(bench), id_tag(bench, "valid2")
    in_group(station, {tag, member}, PARENT)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, rid, 1, tag, parent=PARENT)
        await operator.plug_in(evse, connector)
        await operator.present_id_token(member, evse=evse)
        await station.expect("Authorize", {"idTag": member})
        start, _ = await start_transaction(station, 1)
        assert start["idTag"] == member, (
            f"idTag {member} has the reservation's parentIdTag {PARENT}: it may use reserved "
            f"connector 1 (1.6 section 5.13); StartTransaction idTag {start['idTag']!r}")
        reservation_used(start, rid)


@pytest.mark.octt("TC_053_2_CS")
@pytest.mark.requires("ParentIdTag")
async def test_reserved_connector_parent_id_tag_remote(station, operator, bench):
    """Use a Reserved Connector with parentIdTag - Remote Start.

    Connector 1 reserved for an idTag with a parentIdTag. Cable in, RemoteStartTransaction of
    another idTag on connector 1: Accepted; the charge point learns its parentIdTag (the same)
    with Authorize.req and starts it there with the reservationId (1.6 sections 3.9, 5.11,
    5.13).
    """
    evse, connector = hands_of(bench, 1)
    tag, member = id_tag(bench), id_tag(bench, "valid2")
    in_group(station, {tag, member}, PARENT)
    rid = new_reservation_id()
    async with cancelled_afterwards(station, rid):
        await reserved(station, rid, 1, tag, parent=PARENT)
        await operator.plug_in(evse, connector)
        await station.call("ClearCache", {})  # the parentIdTag is learnt from Authorize.conf
        reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": member})
        assert reply["status"] == "Accepted", (
            f"RemoteStartTransaction of idTag {member}, of the reservation's parentIdTag "
            f"{PARENT}, on reserved connector 1: expected Accepted, the charge point answered "
            f"{reply['status']}")
        await station.expect("Authorize", {"idTag": member})
        start, _ = await start_transaction(station, 1)
        assert start["idTag"] == member, (
            f"idTag {member} has the reservation's parentIdTag {PARENT}: it may use reserved "
            f"connector 1 (1.6 section 5.13); StartTransaction idTag {start['idTag']!r}")
        reservation_used(start, rid)
