"""Transactions of the emulated station: TxStartPoint / TxStopPoint (E01, E06), the
TransactionEvent sequence, authorization and the EV-connection timeout."""

from __future__ import annotations

import asyncio
from typing import Any

from harness.emulator import charging_profiles
from harness.emulator.clock import iso
from harness.emulator.device_model import DeviceModel
from harness.emulator.evse import Evse, Transaction


class TransactionEngine:
    """Mixin of :class:`~harness.emulator.station.EmulatedStation`: the transaction logic."""

    dm: DeviceModel
    evses: dict[int, Evse]
    quirks: set[str]
    operative: bool

    def _points(self, evse: Evse) -> dict[str, bool]:
        connected = evse.plugged is not None
        authorized = evse.id_token is not None
        closed = connected and authorized and evse.operative and self.operative \
            and evse.plugged is not None and evse.plugged.operative and not evse.plugged.faulted \
            and not evse.plugged.protection_fault \
            and not getattr(self, "emergency_stopped", False) \
            and not (evse.tx is not None and evse.tx.energy_withheld) \
            and self.pilot_allows_energy(evse)  # type: ignore[attr-defined]
        # A plugged EV stands in the bay; the bay's sensor sees a car before it plugs in.
        in_bay = connected or (evse.bay_occupied and "parking_bay_ignored" not in self.quirks)
        return {
            "ParkingBayOccupancy": in_bay, "EVConnected": connected,
            "Authorized": authorized, "DataSigned": authorized,
            "PowerPathClosed": closed, "EnergyTransfer": closed and evse.power.demand_a > 0,
        }

    def _evaluate(self, evse: Evse, trigger: str, stopped_reason: str | None = None) -> None:
        """Apply TxStartPoint / TxStopPoint after a change on ``evse`` (E01, E06)."""
        points = self._points(evse)
        starts = self.dm.get_list("TxCtrlr", "TxStartPoint")
        stops = self.dm.get_list("TxCtrlr", "TxStopPoint")
        closed = points["PowerPathClosed"]
        evse.power.set_demand(self.config.ev_demand_a if closed else 0.0)
        points = self._points(evse)
        if evse.tx is None:
            if any(points.get(p) for p in starts):
                self._start_tx(evse, trigger)
            self.statuses_changed()
            return
        tx = evse.tx
        tx.reached |= {p for p in stops if points.get(p)}
        if any(p in tx.reached and not points.get(p) for p in stops):
            if stopped_reason is None and trigger == "ChargingStateChanged" \
                    and evse.id_token is not None and self.ev_not_ready(evse) \
                    and "ev_suspend_reason_other" not in self.quirks:  # type: ignore[attr-defined]
                stopped_reason = "StoppedByEV"  # E06 S6: the EV stopped the energy transfer
            self._end_tx(evse, trigger, stopped_reason or self._stopped_reason(trigger))
        else:
            state = self._charging_state(evse)
            if trigger in ("Authorized", "CablePluggedIn", "RemoteStart"):
                # The event itself first (E02/E03/F01), then the energy transfer it allows.
                self._tx_event(evse, "Updated", trigger)
                trigger = "ChargingStateChanged"
            if state != tx.charging_state:
                tx.charging_state = state
                self._tx_event(evse, "Updated", trigger)
        self.statuses_changed()

    def _charging_state(self, evse: Evse) -> str:
        if evse.plugged is None:
            return "Idle"
        if self._points(evse)["PowerPathClosed"]:
            return "Charging" if evse.power.demand_a > 0 else "SuspendedEV"
        if evse.id_token is not None:
            # The EVSE is ready and offers energy, the EV (pilot state B) takes none.
            if self.ev_not_ready(evse) and "suspended_ev_as_suspended_evse" not in self.quirks:  # type: ignore[attr-defined]
                return "SuspendedEV"
            return "SuspendedEVSE"
        return "EVConnected"

    @staticmethod
    def _stopped_reason(trigger: str) -> str:
        return {"EVCommunicationLost": "EVDisconnected", "EVDeparted": "EVDisconnected",
                "RemoteStop": "Remote", "StopAuthorized": "Local", "Deauthorized": "DeAuthorized",
                "EVConnectTimeout": "Timeout", "ResetCommand": "ImmediateReset",
                "AbnormalCondition": "PowerLoss"}.get(trigger, "Other")

    def _start_tx(self, evse: Evse, trigger: str) -> None:
        tx = Transaction(id_token=evse.id_token, remote_start_id=evse.remote_start_id)
        if evse.id_token is not None:
            tx.reservation_id = self.claim_reservation(evse, evse.id_token)  # type: ignore[attr-defined]
        evse.tx = tx
        evse.last_tx_id = tx.id
        charging_profiles.tx_started(self, evse)  # type: ignore[arg-type]
        tx.charging_state = self._charging_state(evse)
        tx.reached = {p for p, v in self._points(evse).items() if v}
        value = self._meter_value(
            evse, self.dm.get_list("SampledDataCtrlr", "TxStartedMeasurands"), "Transaction.Begin")
        if "data_signed_start_unsigned" in self.quirks:
            for sv in value.get("sampledValue", []):
                sv.pop("signedMeterValue", None)
        self._tx_event(evse, "Started", trigger, meter=[value])

    def _end_tx(self, evse: Evse, trigger: str, reason: str) -> None:
        tx = evse.tx
        if tx is None or tx.ending:
            return
        tx.ending = True
        if evse.connection_timer is not None:
            evse.connection_timer.cancel()
            evse.connection_timer = None
        evse.id_token = None
        evse.remote_start_id = None
        evse.power.set_demand(0.0)
        tx.charging_state = "Idle" if evse.plugged is None else "EVConnected"
        final = self._meter_value(
            evse, self.dm.get_list("SampledDataCtrlr", "TxEndedMeasurands"), "Transaction.End")
        samples = [] if "ended_without_interval_samples" in self.quirks else tx.ended_samples
        if "missing_ended_event" not in self.quirks:
            self._tx_event(evse, "Ended", trigger, stopped_reason=reason,
                           meter=[*samples, final])
        charging_profiles.tx_ended(self, evse)  # type: ignore[arg-type]
        evse.tx = None
        if "late_scheduled_unavailable" not in self.quirks:
            self.apply_scheduled_availability()
        self.check_pending_reset()
        self.statuses_changed()

    def _tx_event(self, evse: Evse, event_type: str, trigger: str, *,
                  stopped_reason: str | None = None,
                  meter: list[dict[str, Any]] | None = None) -> None:
        tx = evse.tx
        assert tx is not None
        seq = tx.next_seq()
        if "wrong_seq_no" in self.quirks:
            seq = min(seq, 1)
        info: dict[str, Any] = {"transactionId": tx.id, "chargingState": tx.charging_state}
        if stopped_reason:
            info["stoppedReason"] = stopped_reason
        if (tx.remote_start_id is not None and event_type == "Started") or (
                trigger == "RemoteStart" and tx.remote_start_id is not None):
            info["remoteStartId"] = tx.remote_start_id
        payload: dict[str, Any] = {
            "eventType": event_type, "timestamp": iso(), "triggerReason": trigger,
            "seqNo": seq, "transactionInfo": info,
        }
        connector = evse.plugged
        if event_type == "Started" or trigger == "CablePluggedIn":
            payload["evse"] = {"id": evse.id, **({"connectorId": connector.id} if connector else {})}
        if tx.id_token and (event_type == "Started"
                            or trigger in ("Authorized", "RemoteStart", "StopAuthorized")) \
                and not (event_type == "Started" and "started_without_id_token" in self.quirks):
            payload["idToken"] = tx.id_token
        if tx.reservation_id is not None and (
                event_type == "Started" or trigger in ("Authorized", "RemoteStart")):
            payload["reservationId"] = tx.reservation_id  # H03
        if meter:
            payload["meterValue"] = meter
        if not self._online and "no_offline_flag" not in self.quirks:
            payload["offline"] = True
        self.send("TransactionEvent", payload, tx_id=tx.id)

    def _deauthorized(self, tx_id: str, status: str) -> None:
        for evse in self.evses.values():
            if evse.tx is None or evse.tx.id != tx_id:
                continue
            if self.dm.get_bool("TxCtrlr", "StopTxOnInvalidId") and not (
                    "max_energy_overrides_stop_on_invalid" in self.quirks
                    and self._max_energy_on_invalid_id() > 0):
                evse.id_token = None
                self._evaluate(evse, "Deauthorized", "DeAuthorized")
                if evse.tx is not None and evse.tx.id == tx_id:
                    self._end_tx(evse, "Deauthorized", "DeAuthorized")
            elif "invalid_id_energy_not_withheld" not in self.quirks:
                # StopTxOnInvalidId false: the transaction goes on; energy flows up to
                # MaxEnergyOnInvalidId more Wh, then is withheld (SuspendedEVSE).
                evse.tx.invalid_energy_until_wh = (evse.power.register_wh()
                                                   + self._max_energy_on_invalid_id())
                self._invalid_energy_tick(evse)

    def _max_energy_on_invalid_id(self) -> int:
        try:
            return self.dm.get_int("TxCtrlr", "MaxEnergyOnInvalidId")
        except (KeyError, ValueError):
            return 0

    def _invalid_energy_tick(self, evse: Evse) -> None:
        """Withhold energy once a deauthorized transaction reached MaxEnergyOnInvalidId."""
        tx = evse.tx
        if tx is None or tx.energy_withheld or tx.invalid_energy_until_wh is None:
            return
        if evse.power.register_wh() >= tx.invalid_energy_until_wh:
            tx.energy_withheld = True
            self._evaluate(evse, "ChargingStateChanged")

    def authorize(self, evse: Evse, id_token: dict[str, Any], trigger: str,
                  remote_start_id: int | None = None) -> None:
        """Hold an authorization on ``evse``; start the EV-connection timer if unplugged.
        An EVSE reserved for another idToken (or group) is not authorized (H03)."""
        if self.reserved_for_other(evse, id_token):  # type: ignore[attr-defined]
            self.on_event(f"EVSE {evse.id} is reserved: {id_token.get('idToken')} "  # type: ignore[attr-defined]
                          "may not use it")
            return
        evse.id_token = id_token
        evse.remote_start_id = remote_start_id
        if evse.tx is not None:
            evse.tx.id_token = id_token
            if evse.tx.reservation_id is None:
                evse.tx.reservation_id = self.claim_reservation(evse, id_token)  # type: ignore[attr-defined]
            if remote_start_id is not None:
                evse.tx.remote_start_id = remote_start_id
        if evse.plugged is None and "ignores_ev_connection_timeout" not in self.quirks:
            timeout = self.dm.get_int("TxCtrlr", "EVConnectionTimeOut")
            loop = asyncio.get_running_loop()
            if evse.connection_timer is not None:
                evse.connection_timer.cancel()
            evse.connection_timer = loop.call_later(timeout, self._connection_timeout, evse)
        self._evaluate(evse, trigger)

    def _connection_timeout(self, evse: Evse) -> None:
        evse.connection_timer = None
        if evse.plugged is not None:
            return
        self.on_event(f"EVSE {evse.id}: EV not connected within EVConnectionTimeOut")
        evse.id_token = None
        evse.remote_start_id = None
        if evse.tx is not None:
            self._end_tx(evse, "EVConnectTimeout", "Timeout")
        self.statuses_changed()
