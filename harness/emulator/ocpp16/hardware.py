"""The cable, connector lock and fault inputs of the emulated 1.6 charge point.

A DC fast charger has a fixed cable; a bench whose feature sheet claims ``DetachableCable``
gets a socket with a lock instead, where the driver's own cable stays locked in the socket
after it is pulled from the EV unless UnlockConnectorOnEVSideDisconnect says otherwise (OCPP
1.6 sections 4.10, 9.1.33), and UnlockConnector can unlock it (5.18). Fault inputs are bench
actions (``inject_fault`` / ``clear_fault``): a jammed connector lock (ConnectorLockFailure,
7.6), or any other ChargePointErrorCode that faults a connector until cleared (4.9).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.emulator.evse import Evse

#: OCPP 1.6 ChargePointErrorCode (section 7.6) a fault input can raise (NoError is none).
FAULTS_16 = frozenset({
    "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
    "InternalError", "LocalListConflict", "OtherError", "OverCurrentFailure", "OverVoltage",
    "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage",
    "WeakSignal"})
LOCK_FAILURE = "ConnectorLockFailure"


class Hardware16:
    """Mixin of :class:`~harness.emulator.ocpp16.station.EmulatedStation16`."""

    evses: dict[int, Evse]
    quirks: set[str]

    def _init_hardware(self, features: tuple[str, ...]) -> None:
        self.detachable_cable = "DetachableCable" in features
        self.lock_jammed: set[int] = set()  # EVSEs whose connector lock cannot move
        self.faults: dict[int, str] = {}  # EVSE -> the ChargePointErrorCode it is Faulted with
        self.cable_held: set[int] = set()  # EVSEs with a cable locked in, the EV gone
        if "status_sent_while_pending" in self.quirks:
            self.quirks.add("talks_while_pending")  # the shared station's defect, 1.6 name

    def error_code16(self, evse_id: int) -> str:
        """The errorCode of a Faulted StatusNotification of EVSE ``evse_id``."""
        return self.faults.get(evse_id, "OtherError")

    # ---- bench actions: fault inputs -----------------------------------------------------
    async def inject_fault(self, evse: int, connector: int, fault: str) -> None:
        """Raise a fault input: ConnectorLockFailure jams the lock where it is (a cable plugged
        in next cannot be locked; a locked one cannot be unlocked); any other 1.6
        ChargePointErrorCode faults the connector at once."""
        if fault not in FAULTS_16:
            raise ValueError(f"{fault!r} is not an OCPP 1.6 ChargePointErrorCode")
        e = self.evses[evse]
        if fault == LOCK_FAILURE:
            self.lock_jammed.add(evse)
            return
        self.faults[evse] = fault
        e.connectors[connector].faulted = True
        self._evaluate(e, "ChargingStateChanged")  # type: ignore[attr-defined]

    async def clear_fault(self, evse: int, connector: int, fault: str) -> None:
        """The fault input is gone: the connector recovers (4.9: Faulted -> its status)."""
        e = self.evses[evse]
        if fault == LOCK_FAILURE:
            self.lock_jammed.discard(evse)
        if self.faults.get(evse) == fault:
            del self.faults[evse]
            e.connectors[connector].faulted = False
        self._evaluate(e, "ChargingStateChanged")  # type: ignore[attr-defined]

    # ---- the cable -------------------------------------------------------------------------
    def _plug(self, e: Evse, connector: int) -> None:
        self.cable_held.discard(e.id)
        jammed = e.id in self.lock_jammed and "lock_failure_ignored" not in self.quirks
        if jammed:
            # 1.6 section 4.9 / 7.6: the lock does not close; no energy may flow, so no
            # transaction starts (the power path stays open while the connector is Faulted).
            self.faults[e.id] = LOCK_FAILURE
            e.connectors[connector].faulted = True
        super()._plug(e, connector)  # type: ignore[misc]
        if jammed:
            e.connectors[connector].locked = False

    def _unplug(self, e: Evse, connector: int) -> None:
        if not e.connectors[connector].plugged and e.id in self.cable_held:
            # The EV is long gone: the bench's hand takes the held cable out of the socket.
            self.cable_held.discard(e.id)
            self.statuses_changed()  # type: ignore[attr-defined]
            return
        # 1.6 section 4.10 / 9.1.29: the transaction ends when the EV leaves only if
        # StopTransactionOnEVSideDisconnect is true; else it goes on (SuspendedEV) and the
        # EV may come back. The shared engine says that with its TxStopPoint.
        stop_on_disconnect = (self.dm.get_bool("TxCtrlr", "StopTxOnEVSideDisconnect")  # type: ignore[attr-defined]
                              or "ev_disconnect_always_stops" in self.quirks)
        self.dm.put("TxCtrlr", "TxStopPoint",  # type: ignore[attr-defined]
                    "EVConnected,Authorized" if stop_on_disconnect else "Authorized")
        if e.connectors[connector].faulted and self.faults.get(e.id) == LOCK_FAILURE:
            # The failed lock attempt ends with the cable: the next plug tries again.
            e.connectors[connector].faulted = False
            del self.faults[e.id]
        if self.detachable_cable and not self._unlocks_on_ev_disconnect():
            # 9.1.33: the cable stays locked in the socket (Finishing) until it is unlocked.
            self.cable_held.add(e.id)
        super()._unplug(e, connector)  # type: ignore[misc]

    def _unlocks_on_ev_disconnect(self) -> bool:
        entry = self.configuration.read(self, "UnlockConnectorOnEVSideDisconnect")  # type: ignore[attr-defined]
        return entry is None or entry.get("value") == "true"

    def lock_moves(self, e: Evse) -> bool:
        """Whether the connector lock of ``e`` can move (not jammed by a fault input)."""
        return e.id not in self.lock_jammed

    def cable_released(self, e: Evse) -> None:
        """The socket was unlocked (5.18): a cable held in it can be taken away now."""
        if e.id in self.cable_held:
            self.cable_held.discard(e.id)
            self.statuses_changed()  # type: ignore[attr-defined]

    # ---- the reader --------------------------------------------------------------------------
    async def present_id_token(self, id_token: str, type: str = "ISO14443",
                               evse: int | None = None) -> None:
        """1.6 sections 3.5 / 4.10: an idTag other than the one that started an authorized
        transaction at this connector is authorized only to see whether it shares the
        transaction's parentIdTag (then it stops it); it never takes the transaction over."""
        owns = any(e.tx is not None and (e.tx.id_token or {}).get("idToken") == id_token
                   for e in self.evses.values())
        target = self.evses.get(evse) if evse is not None else self._reader_target()
        if owns or target is None or target.tx is None or target.id_token is None \
                or not target.tx.id_token:
            await super().present_id_token(id_token, type, evse)  # type: ignore[misc]
            return
        token = {"idToken": id_token, "type": type}
        info: dict[str, Any] = await self._authorization_info(token)  # type: ignore[attr-defined]
        if "any_id_tag_stops_transaction" in self.quirks and info.get("status") == "Accepted":
            target.id_token = None  # the defect: any valid badge ends someone else's session
            self._evaluate(target, "StopAuthorized", "Local")  # type: ignore[attr-defined]
            return
        group = (info.get("groupIdToken") or {}).get("idToken")
        if group and info.get("status") == "Accepted" \
                and self._group_of(target.tx.id_token) == group:  # type: ignore[attr-defined]
            # The same parentIdTag: this idTag stops the transaction, and the StopTransaction
            # names it (1.6 StopTransaction.req idTag: the identifier that requested the stop).
            target.tx.id_token = token
            target.id_token = None
            self._evaluate(target, "StopAuthorized", "Local")  # type: ignore[attr-defined]

    def _reader_target(self) -> Evse | None:
        # As the shared station picks the EVSE a badge is for when the reader does not say.
        return next((e for e in self.evses.values() if (e.plugged is not None and e.tx is None)
                     or (e.tx is not None and e.id_token is None)),
                    next(iter(self.evses.values()), None))
