"""Connector statuses of the emulated station: what each connector is, and which
StatusNotifications the CSMS is owed (G01, B04), including scheduled availability changes."""

from __future__ import annotations

import contextlib
from typing import Any

from harness.emulator.clock import iso
from harness.emulator.device_model import DeviceModel
from harness.emulator.evse import Evse


class ConnectorStatuses:
    """Mixin of :class:`~harness.emulator.station.EmulatedStation`: connector status."""

    dm: DeviceModel
    evses: dict[int, Evse]
    quirks: set[str]
    operative: bool

    def connector_status(self, evse_id: int, connector_id: int) -> str:
        evse = self.evses[evse_id]
        c = evse.connectors[connector_id]
        if c.faulted or c.protection_fault:
            return "Faulted"
        if c.plugged:
            # An Inoperative change lands on a plugged connector once the cable is gone
            # (G01 state transitions: Occupied -> Unavailable at unplug, if scheduled).
            return "Occupied"
        if not (self.operative and evse.operative and c.operative):
            return "Unavailable"  # effective availability: station AND EVSE AND connector
        if "no_reserved_status" not in self.quirks \
                and self.reservation_on(evse_id) is not None:  # type: ignore[attr-defined]
            return "Reserved"  # H01: every connector of a reserved EVSE
        if evse.plugged is not None:
            # An EVSE serves one EV at a time; OCPP 2.0.1 leaves it to the station whether its
            # other connectors show Unavailable meanwhile ("at its discretion"). This one does.
            return "Unavailable"
        return "Available"

    def _status_payload(self, evse_id: int, connector_id: int) -> dict[str, Any]:
        return {"timestamp": iso(), "connectorStatus": self.connector_status(evse_id, connector_id),
                "evseId": evse_id, "connectorId": connector_id}

    def _report_statuses(self, everything: bool = False) -> None:
        """Send StatusNotification for connectors whose status the CSMS does not know yet."""
        if not self._online or self.registration != "Accepted":
            return
        if everything and "no_status_after_boot" in self.quirks and self._needs_boot is False \
                and not self._status_reported:
            return
        for evse in self.evses.values():
            for cid in evse.connectors:
                status = self.connector_status(evse.id, cid)
                self._update_availability_vars(evse.id, cid, status)
                if everything or self._status_reported.get((evse.id, cid)) != status:
                    self._status_reported[(evse.id, cid)] = status
                    self.send("StatusNotification", self._status_payload(evse.id, cid))

    def _update_availability_vars(self, evse_id: int, cid: int, status: str) -> None:
        with contextlib.suppress(KeyError):
            for v in self.dm:
                if v.component == "Connector" and v.evse == evse_id and v.connector == cid \
                        and v.name == "AvailabilityState":
                    v.value = status

    def statuses_changed(self) -> None:
        self.drop_unusable_reservations()  # type: ignore[attr-defined]
        self._report_statuses(everything=False)
        if "late_scheduled_unavailable" in self.quirks \
                and self.apply_scheduled_availability(unplugged_only=True):
            self._report_statuses(everything=False)  # the defect: Available went out first

    def apply_scheduled_availability(self, *, unplugged_only: bool = False) -> bool:
        """Let ChangeAvailability requests answered Scheduled take effect on every EVSE whose
        transaction has ended (G03.FR.05), station-wide once none is left (G04.FR.06).
        Returns whether anything changed; the caller reports the statuses."""
        changed = False

        def idle(evse: Evse) -> bool:
            return evse.tx is None and not (unplugged_only and evse.plugged is not None)

        for evse in self.evses.values():
            if not idle(evse):
                continue
            if evse.pending_operative is not None:
                evse.operative, evse.pending_operative = evse.pending_operative, None
                changed = True
            for c in evse.connectors.values():
                if c.pending_operative is not None:
                    c.operative, c.pending_operative = c.pending_operative, None
                    changed = True
        if self.pending_operative is not None and all(idle(e) for e in self.evses.values()):
            self.operative, self.pending_operative = self.pending_operative, None
            changed = True
        return changed
