"""Reservations of the emulated station (block H): what is reserved, for whom, until when;
expiry (H04), removal when the EVSE becomes unusable (H01.FR.17), use by the right idToken
or groupIdToken (H03)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.emulator.device_model import DeviceModel
from harness.emulator.evse import Evse


@dataclass
class Reservation:
    id: int
    id_token: dict[str, Any]
    expiry: datetime
    evse_id: int | None = None  # None: any EVSE (H01 S1)
    connector_type: str | None = None
    group_id_token: dict[str, Any] | None = None
    timer: asyncio.TimerHandle | None = field(default=None, repr=False, compare=False)


def parse_expiry(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Reservations:
    """Mixin of :class:`~harness.emulator.station.EmulatedStation`: the reservation book.

    Reservations are kept over a reboot, like a real station keeps them in non-volatile
    memory (TC_B_24_CS)."""

    dm: DeviceModel
    evses: dict[int, Evse]
    quirks: set[str]
    operative: bool
    reservations: dict[int, Reservation]

    # ---- what is reserved -----------------------------------------------------------------
    def evse_usable(self, evse: Evse) -> bool:
        return self.operative and evse.operative and any(
            c.operative and not c.faulted for c in evse.connectors.values())

    def evse_free(self, evse: Evse) -> bool:
        return self.evse_usable(evse) and evse.plugged is None and evse.tx is None \
            and evse.id_token is None

    def reservation_on(self, evse_id: int) -> Reservation | None:
        """The reservation that holds ``evse_id``: one made for it, or one for any EVSE once
        every other free EVSE is needed for such reservations (H01 S1)."""
        specific = next((r for r in self.reservations.values() if r.evse_id == evse_id), None)
        if specific is not None:
            return specific
        evse = self.evses[evse_id]
        anywhere = [r for r in self.reservations.values() if r.evse_id is None
                    and self._type_fits(evse, r.connector_type)]
        if not anywhere or not self.evse_free(evse):
            return None
        free = [e for e in self.evses.values() if self.evse_free(e)
                and not any(r.evse_id == e.id for r in self.reservations.values())]
        return anywhere[0] if len(anywhere) >= len(free) else None

    @staticmethod
    def _type_fits(evse: Evse, connector_type: str | None) -> bool:
        return connector_type is None or any(c.type == connector_type
                                             for c in evse.connectors.values())

    def token_fits(self, reservation: Reservation, token: dict[str, Any] | None) -> bool:
        """The idToken of the reservation, or one of its group (H03)."""
        if not token:
            return False
        if token.get("idToken") == reservation.id_token.get("idToken"):
            return True
        group = reservation.group_id_token
        if group is None:
            return False
        info = getattr(self, "auth_cache", {}).get(token.get("idToken"), {})
        known = info.get("groupIdToken") or {}
        return known.get("idToken") == group.get("idToken") \
            or token.get("idToken") == group.get("idToken")

    def reserved_for_other(self, evse: Evse, token: dict[str, Any] | None) -> bool:
        """``evse`` is held by a reservation ``token`` may not use (H03)."""
        if "reserved_evse_any_token" in self.quirks:
            return False
        r = self.reservation_on(evse.id)
        if r is None:
            return False
        if r.evse_id is not None:
            return not self.token_fits(r, token)
        # held for reservations of any EVSE: free for whoever holds one of them
        return not any(x.evse_id is None and self._type_fits(evse, x.connector_type)
                       and self.token_fits(x, token) for x in self.reservations.values())

    # ---- changes ----------------------------------------------------------------------------
    def add_reservation(self, r: Reservation) -> None:
        self.drop_reservation(r.id)  # same id: replaced (H01.FR.02)
        self.reservations[r.id] = r
        delay = max((r.expiry - datetime.now(UTC)).total_seconds(), 0.0)
        r.timer = asyncio.get_running_loop().call_later(delay, self._reservation_expired, r.id)

    def drop_reservation(self, reservation_id: int) -> Reservation | None:
        r = self.reservations.pop(reservation_id, None)
        if r is not None and r.timer is not None:
            r.timer.cancel()
        return r

    def claim_reservation(self, evse: Evse, token: dict[str, Any] | None) -> int | None:
        """A transaction on ``evse`` for ``token``: the reservation it uses ends; its id goes
        in the TransactionEvent (H03)."""
        r = self.reservation_on(evse.id)
        if r is None or not self.token_fits(r, token):
            r = next((x for x in self.reservations.values() if x.evse_id is None
                      and self._type_fits(evse, x.connector_type) and self.token_fits(x, token)),
                     None)
        if r is None:
            return None
        self.drop_reservation(r.id)
        return None if "no_reservation_id_in_tx" in self.quirks else r.id

    def _reservation_expired(self, reservation_id: int) -> None:
        """H04.FR.01, H04.FR.02: the reservation ends, the EVSE is available again."""
        if self.reservations.pop(reservation_id, None) is None:
            return
        self.on_event(f"reservation {reservation_id} expired")  # type: ignore[attr-defined]
        if "no_reservation_expired_update" not in self.quirks:
            self.send("ReservationStatusUpdate", {  # type: ignore[attr-defined]
                "reservationId": reservation_id, "reservationUpdateStatus": "Expired"})
        self.statuses_changed()  # type: ignore[attr-defined]

    def drop_unusable_reservations(self) -> None:
        """H01.FR.17: a reserved EVSE that became Unavailable or Faulted loses its reservation;
        the CSMS learns it with ReservationStatusUpdate Removed."""
        if "reservation_kept_when_unavailable" in self.quirks:
            return
        for r in list(self.reservations.values()):
            if r.evse_id is not None and r.evse_id in self.evses \
                    and not self.evse_usable(self.evses[r.evse_id]):
                self.drop_reservation(r.id)
                self.send("ReservationStatusUpdate", {  # type: ignore[attr-defined]
                    "reservationId": r.id, "reservationUpdateStatus": "Removed"})

    def reservations_after_reboot(self) -> None:
        if "reservation_lost_on_reset" in self.quirks:
            for rid in list(self.reservations):
                self.drop_reservation(rid)
