"""Block H, reservation: ReserveNow and CancelReservation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import FollowUp, Result, handles
from harness.emulator.reservations import Reservation, parse_expiry

if TYPE_CHECKING:
    from harness.emulator.evse import Evse
    from harness.emulator.station import EmulatedStation


def _evse_answer(st: EmulatedStation, evse: Evse, reservation_id: int) -> str:
    """Why a specific EVSE cannot be reserved, or Accepted (H01.FR.11 to H01.FR.14)."""
    other = st.reservation_on(evse.id)
    if other is not None and other.id != reservation_id:
        return "Occupied"  # reserved already (H01.FR.11)
    if any(c.faulted for c in evse.connectors.values()):
        return "Faulted"  # H01.FR.12
    if evse.plugged is not None or evse.tx is not None or evse.id_token is not None:
        return "Occupied"  # H01.FR.13
    if not st.evse_usable(evse):
        return "Unavailable"  # H01.FR.14
    return "Accepted"


@handles("ReserveNow")
async def reserve_now(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """H01: reserve a specific EVSE, or any EVSE (of a connector type)."""
    if not st.dm.get_bool("ReservationCtrlr", "Enabled") \
            and "reservation_enabled_ignored" not in st.quirks:
        return {"status": "Rejected"}
    rid = int(p["id"])
    try:
        expiry = parse_expiry(p["expiryDateTime"])
    except ValueError:
        return {"status": "Rejected"}
    if expiry <= datetime.now(UTC):
        return {"status": "Rejected"}
    connector_type = p.get("connectorType")
    evse_id = p.get("evseId")
    if evse_id is not None and evse_id != 0:
        evse = st.evses.get(evse_id)
        if evse is None or (connector_type is not None and not st._type_fits(evse, connector_type)):
            return {"status": "Rejected"}
        status = _evse_answer(st, evse, rid)
        if "reserve_ignores_evse_state" in st.quirks:
            status = "Accepted"
    else:
        evse_id = None
        if not st.dm.get_bool("ReservationCtrlr", "NonEvseSpecific"):
            return {"status": "Rejected"}
        fitting = [e for e in st.evses.values() if st._type_fits(e, connector_type)]
        if not fitting:
            return {"status": "Rejected"}
        held = sum(1 for r in st.reservations.values() if r.id != rid
                   and (r.evse_id is None or r.evse_id in {e.id for e in fitting}))
        free = [e for e in fitting if st.evse_free(e)]
        if len(free) > held or (connector_type is not None
                                and "type_reservations_overbooked" in st.quirks):
            status = "Accepted"
        elif fitting and all(any(c.faulted for c in e.connectors.values()) for e in fitting):
            status = "Faulted"
        elif all(not st.evse_usable(e) for e in fitting):
            status = "Unavailable"
        else:
            status = "Occupied"
    if status != "Accepted":
        return {"status": status}
    st.add_reservation(Reservation(rid, p["idToken"], expiry, evse_id, connector_type,
                                   p.get("groupIdToken")))
    return {"status": "Accepted"}, _statuses(st)


@handles("CancelReservation")
async def cancel_reservation(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """H02: a known reservation ends (H02.FR.02); an unknown one is Rejected (H02.FR.01)."""
    if st.drop_reservation(int(p["reservationId"])) is None:
        accepted = "cancel_unknown_reservation_accepted" in st.quirks
        return {"status": "Accepted" if accepted else "Rejected"}
    return {"status": "Accepted"}, _statuses(st)


def _statuses(st: EmulatedStation) -> FollowUp:
    async def report() -> None:
        st.statuses_changed()

    return report
