"""Block G, availability: ChangeAvailability, scheduled until a transaction ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import FollowUp, Result, handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


@handles("ChangeAvailability")
async def change_availability(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """G03 (EVSE or connector) and G04 (whole station).

    Already in the requested state: Accepted, nothing changes, nothing is reported
    (G03.FR.03, G04.FR.04). A transaction in the way of Inoperative: Scheduled, and the change
    takes effect when it ends (G03.FR.05, G04.FR.06; see ``apply_scheduled_availability``).
    Otherwise: Accepted, and every connector whose status changed is reported (G03.FR.04,
    G04.FR.05). The state is kept over a reboot (G03.FR.08, G04.FR.09).
    """
    operative = p["operationalStatus"] == "Operative"
    target = p.get("evse") or {}
    evse_id = target.get("id", 0)
    connector_id = target.get("connectorId")
    if evse_id == 0:
        if connector_id:
            return {"status": "Rejected"}
        busy = [e for e in st.evses.values() if e.tx is not None]
        scope = [(e.id, c) for e in st.evses.values() for c in e.connectors]
        return _change_availability(st, st, operative, busy, scope, "station")
    evse = st.evses.get(evse_id)
    if evse is None:
        return {"status": "Rejected"}
    busy = [evse] if evse.tx is not None else []
    if connector_id is None:
        return _change_availability(st, evse, operative, busy,
                                    [(evse.id, c) for c in evse.connectors], "evse")
    connector = evse.connectors.get(connector_id)
    if connector is None:
        return {"status": "Rejected"}
    if "availability_change_ignored_for_connector" in st.quirks:
        return {"status": "Accepted"}
    return _change_availability(st, connector, operative, busy, [(evse.id, connector_id)],
                                "connector")


def _change_availability(st: EmulatedStation, unit: Any, operative: bool, busy: list[Any],
                         scope: list[tuple[int, int]], level: str) -> Result:
    """``unit`` is the station, an Evse or a Connector: ``operative`` + ``pending_operative``."""
    if unit.pending_operative is not None:
        if unit.pending_operative == operative:
            return {"status": "Scheduled"}  # asked again for what is already scheduled
        unit.pending_operative = None  # the opposite request cancels the scheduled change
    if unit.operative == operative:
        if "status_on_unchanged_availability" in st.quirks:
            async def announce_anyway() -> None:
                for evse_id, connector_id in scope:
                    st.send("StatusNotification", st._status_payload(evse_id, connector_id))

            return {"status": "Accepted"}, announce_anyway
        return {"status": "Accepted"}
    if busy and not operative:
        if "scheduled_change_applied_immediately" in st.quirks:
            async def switch_off_now() -> None:
                for evse in busy:
                    st._end_tx(evse, "AbnormalCondition", "Other")
                unit.operative = operative
                st.statuses_changed()

            return {"status": "Scheduled"}, switch_off_now
        unit.pending_operative = operative
        return {"status": "Scheduled"}
    unit.operative = operative
    if "no_status_for_evse_change" in st.quirks and level == "evse":
        for evse_id, connector_id in scope[1:]:  # only the first connector gets reported
            st._status_reported[(evse_id, connector_id)] = st.connector_status(evse_id,
                                                                              connector_id)
    return {"status": "Accepted"}, _statuses(st)


def _statuses(st: EmulatedStation) -> FollowUp:
    async def report() -> None:
        st.statuses_changed()

    return report
