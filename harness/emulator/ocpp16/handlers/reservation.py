"""The Reservation profile of a 1.6 charge point (OCPP 1.6 sections 3.9, 5.1, 5.13):
ReserveNow and CancelReservation over the shared reservation book
(:mod:`harness.emulator.reservations`, :mod:`harness.emulator.handlers.reservation`). What 1.6
says differently: a connectorId (0: any connector, when ReserveConnectorZeroSupported), an
``idTag`` with an optional ``parentIdTag`` (the 2.0.1 groupIdToken), ``expiryDate``; and a
remote start on a connector reserved for a parentIdTag first learns the idTag's parent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import FollowUp, Result
from harness.emulator.ocpp16.handlers.local_auth_list import TOKEN_TYPE
from harness.emulator.ocpp16.handlers.registry import handles16, shared

if TYPE_CHECKING:
    from harness.emulator.ocpp16.station import EmulatedStation16


def reserve_now_request(p: dict[str, Any], evse_id: int | None) -> dict[str, Any]:
    """ReserveNow.req (1.6) -> ReserveNowRequest (2.0.1); ``evse_id`` None for connector 0."""
    out: dict[str, Any] = {"id": int(p["reservationId"]), "expiryDateTime": p["expiryDate"],
                           "idToken": {"idToken": p["idTag"], "type": TOKEN_TYPE}}
    if evse_id is not None:
        out["evseId"] = evse_id
    if p.get("parentIdTag"):
        out["groupIdToken"] = {"idToken": p["parentIdTag"], "type": "Central"}
    return out


@handles16("ReserveNow")
async def reserve_now(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    connector_id = int(p["connectorId"])
    evse_id = None
    if connector_id != 0:
        where = st.connectors.evse_of(connector_id)
        if where is None:
            return {"status": "Rejected"}
        evse_id = where[0]
    result = await shared(st, "ReserveNow", reserve_now_request(p, evse_id))
    if "reservation_not_expired_16" in st.quirks:
        reservation = st.reservations.get(int(p["reservationId"]))
        if reservation is not None and reservation.timer is not None:
            reservation.timer.cancel()  # the defect: kept past its expiryDate
    return result  # Accepted, Faulted, Occupied, Rejected, Unavailable: same words


@handles16("CancelReservation")
async def cancel_reservation(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    result = await shared(st, "CancelReservation", {"reservationId": int(p["reservationId"])})
    if "cancel_unknown_reservation_accepted_16" in st.quirks and result == {"status": "Rejected"}:
        return {"status": "Accepted"}  # the defect: an unknown reservationId "cancelled"
    return result  # Accepted, Rejected: same words


def needs_parent(st: EmulatedStation16, connector_id: int | None, id_tag: str) -> bool:
    """RemoteStartTransaction of ``id_tag`` on a connector reserved for a parentIdTag, while
    the charge point does not know ``id_tag``'s parent yet: it must ask with Authorize first
    (1.6 section 5.13)."""
    where = st.connectors.evse_of(connector_id) if connector_id else None
    if where is None:
        return False
    reservation = st.reservation_on(where[0])
    token = {"idToken": id_tag, "type": TOKEN_TYPE}
    return (reservation is not None and reservation.group_id_token is not None
            and not st.token_fits(reservation, token) and st._group_of(token) is None)


def start_once_parent_known(st: EmulatedStation16, request: dict[str, Any]) -> FollowUp:
    """After RemoteStartTransaction was answered Accepted: Authorize the idTag (its
    parentIdTag lands in the authorization cache), then start as the shared handler does."""

    async def start() -> None:
        await st._authorization_info(request["idToken"])
        result = await shared(st, "RequestStartTransaction", request)
        payload, follow_up = result if isinstance(result, tuple) else (result, None)
        if follow_up is not None and payload["status"] == "Accepted":
            await follow_up()
        else:
            st.on_event(f"RemoteStartTransaction for {request['idToken']['idToken']}: the "
                        f"reserved connector is not for it ({payload['status']})")

    return start
