"""EmulatedStation16: the shared emulated station with an OCPP 1.6J edge.

Inside, the station is the one of :mod:`harness.emulator.station` (its transaction engine,
authorization, metering, availability, offline queue and reboots, all unchanged); the
messages it queues keep their internal 2.0.1 shape. At the edge, :meth:`call` says each one
in 1.6 (TransactionEvent Started / Updated / Ended become StartTransaction / MeterValues /
StopTransaction, with the transactionId the Central System assigned) and :meth:`handle_call`
answers 1.6 requests through the shared handlers (:mod:`.handlers`). Connector statuses are
the one thing reported differently: 1.6 has Preparing, Charging, Suspended* and Finishing
where 2.0.1 has Occupied, so the 1.6 station reports changes of its 1.6 status.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from harness.emulator.clock import iso
from harness.emulator.config import StationConfig
from harness.emulator.evse import Evse
from harness.emulator.ocpp16 import translate
from harness.emulator.ocpp16.configuration import Configuration16
from harness.emulator.ocpp16.hardware import Hardware16
from harness.emulator.ocpp16.offline import Offline16
from harness.emulator.station import EmulatedStation
from harness.protocols.ocppj import ErrorCode, Frame, FrameError, MessageType


@dataclass
class ConnectorMap:
    """1.6 connectorId <-> (EVSE id, connector id): the station's connectors numbered 1..n in
    order (a 1.6 connector is a 2.0.1 EVSE; with one connector per EVSE the numbers agree)."""

    by_number: dict[int, tuple[int, int]]

    @classmethod
    def of(cls, evses: dict[int, list[tuple[int, str]]]) -> ConnectorMap:
        pairs = [(evse_id, cid) for evse_id in sorted(evses) for cid, _ in evses[evse_id]]
        return cls({n: pair for n, pair in enumerate(pairs, start=1)})

    def evse_of(self, connector_id: int) -> tuple[int, int] | None:
        return self.by_number.get(connector_id)

    def number(self, evse_id: int, connector_id: int | None = None) -> int:
        """The 1.6 connectorId; 0 (the charge point) for EVSE 0; an EVSE's first connector
        when ``connector_id`` is not given."""
        if evse_id == 0:
            return 0
        for n, (e, c) in self.by_number.items():
            if e == evse_id and (connector_id is None or c == connector_id):
                return n
        raise KeyError(f"no 1.6 connector for EVSE {evse_id} connector {connector_id}")


@dataclass
class TransactionIds:
    """The station's own transaction ids <-> the integer ids the Central System assigned."""

    to_16: dict[str, int] = field(default_factory=dict)
    connector: dict[str, int] = field(default_factory=dict)
    # The Transaction.Begin meter values of each transaction, repeated in the transactionData
    # of its StopTransaction: meterStart is whole Wh, these keep the meter's resolution.
    begin: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def assigned(self, internal: str, tx_id: int, connector_id: int) -> None:
        self.to_16[internal] = tx_id
        self.connector[internal] = connector_id

    def internal(self, tx_id: int) -> str | None:
        return next((k for k, v in self.to_16.items() if v == tx_id), None)


class EmulatedStation16(Offline16, Hardware16, EmulatedStation):
    """An emulated OCPP 1.6J charge point (Core profile, plus TriggerMessage)."""

    unsigned_firmware = True  # 1.6 UpdateFirmware carries no signature (harness.emulator.firmware)

    def __init__(self, config: StationConfig) -> None:
        super().__init__(config)
        self.connectors = ConnectorMap.of(config.evses)
        self.tx_ids = TransactionIds()
        self.configuration = Configuration16()
        self.reset_type: str | None = None
        self._finishing: set[int] = set()  # EVSEs whose transaction ended, cable still in
        self._init_hardware(config.features)  # fixed or detachable cable, lock, fault inputs
        self.configuration.built_as(self, config.profiles, config.features)  # profiles, keys
        # A 1.6 transaction starts once authorized with the cable in and stops when either
        # ends (1.6 sections 3.6, 4.8); there are no TxStartPoint / TxStopPoint keys to change.
        self.dm.put("TxCtrlr", "TxStartPoint", "PowerPathClosed")
        self.dm.put("TxCtrlr", "TxStopPoint", "EVConnected,Authorized")

    # ---- connector status ------------------------------------------------------------------
    def status16(self, evse_id: int, connector_id: int) -> str:
        if evse_id == 0:
            return "Available" if self.operative else "Unavailable"
        evse = self.evses[evse_id]
        plugged = evse.plugged is not None and evse.plugged.id == connector_id
        status = self.connector_status(evse_id, connector_id)
        if status != "Faulted" and evse.tx is not None and evse.plugged is None:
            return "SuspendedEV"  # 1.6 4.10: the EV left, the transaction goes on (9.1.29 false)
        if status == "Available" and evse_id in self.cable_held:
            return "Finishing"  # a detachable cable still locked in the socket (9.1.33 false)
        return translate.connector_status_16(
            status,
            in_transaction=evse.tx is not None and plugged,
            charging_state=evse.tx.charging_state if evse.tx is not None else None,
            authorized=evse.id_token is not None,
            finishing=plugged and evse_id in self._finishing)

    def _status_payload(self, evse_id: int, connector_id: int) -> dict[str, Any]:
        # Internal shape, 1.6 status word: translated to 1.6 fields by call().
        return {"timestamp": iso(), "connectorStatus": self.status16(evse_id, connector_id),
                "evseId": evse_id, "connectorId": connector_id}

    def _report_statuses(self, everything: bool = False) -> None:
        """StatusNotification for each connector whose 1.6 status the Central System does not
        know yet; after a boot also for connector 0, the charge point itself (1.6 section 4.9)."""
        if not self._online or self.registration != "Accepted":
            return
        keys = [(e.id, cid) for e in self.evses.values() for cid in e.connectors]
        if everything:
            keys.insert(0, (0, 0))
        for evse_id, cid in keys:
            status = self.status16(evse_id, cid)
            if evse_id:
                self._update_availability_vars(evse_id, cid, self.connector_status(evse_id, cid))
            if everything or self._status_reported.get((evse_id, cid)) != status:
                self._status_reported[(evse_id, cid)] = status
                self.send("StatusNotification", self._status_payload(evse_id, cid))

    def report_all_statuses(self) -> None:
        self._report_statuses(everything=True)

    def _end_tx(self, evse: Evse, trigger: str, reason: str) -> None:
        if evse.tx is not None and not evse.tx.ending and evse.plugged is not None:
            self._finishing.add(evse.id)  # 1.6: Finishing until the cable is out
        super()._end_tx(evse, trigger, reason)

    def _plug(self, e: Evse, connector: int) -> None:
        self._finishing.discard(e.id)
        super()._plug(e, connector)

    def _unplug(self, e: Evse, connector: int) -> None:
        self._finishing.discard(e.id)
        super()._unplug(e, connector)

    # ---- the wire: outgoing ------------------------------------------------------------------
    async def call(self, action: str, payload: dict[str, Any], timeout: float = 30.0) -> Frame:
        """Send the internal message ``action`` as its 1.6 counterpart; the reply is said back
        in the internal shape. A message 1.6 has no counterpart for is not sent."""
        out = self._to_16(action, payload)
        if out is None:
            return Frame(MessageType.CALLRESULT, "-", action, {})
        action16, payload16 = out
        reply = await super().call(action16, payload16, timeout)
        return Frame(reply.type, reply.unique_id, action,
                     self._from_16(action16, payload, payload16, reply.payload))

    def _to_16(self, action: str, p: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        from harness.emulator.ocpp16.handlers import security

        if security.owns(self, action, p):  # Security Whitepaper messages (handlers/security.py)
            return security.message_16(self, action, p)
        if action in ("Heartbeat", "DataTransfer", "SecurityEventNotification"):
            return action, p
        if action == "BootNotification":
            return action, translate.boot_notification(p)
        if action == "Authorize":
            return action, {"idTag": p["idToken"]["idToken"]}
        if action == "StatusNotification":
            status = p["connectorStatus"]
            return action, {"connectorId": self.connectors.number(p["evseId"], p["connectorId"]),
                            "errorCode": (self.error_code16(p["evseId"]) if status == "Faulted"
                                          else "NoError"),
                            "status": status, "timestamp": p["timestamp"]}
        if action == "MeterValues":
            values = translate.meter_values(p["meterValue"])
            if not values:
                return None
            return action, {"connectorId": self.connectors.number(p["evseId"]), "meterValue": values}
        if action == "TransactionEvent":
            return self._transaction_16(p)
        if action in ("FirmwareStatusNotification", "LogStatusNotification"):
            from harness.emulator.ocpp16.handlers.firmware import status_notification_16

            return status_notification_16(self, action, p)
        self.on_event(f"{action} has no OCPP 1.6 counterpart; not sent")
        return None

    def _transaction_16(self, p: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        internal = p["transactionInfo"]["transactionId"]
        meter = p.get("meterValue", [])
        if p["eventType"] == "Started":
            evse_ref = p.get("evse", {})
            connector_id = self.connectors.number(evse_ref["id"], evse_ref.get("connectorId"))
            meter_start = translate.register_wh(meter, "Transaction.Begin")
            start: dict[str, Any] = {
                "connectorId": connector_id, "idTag": translate.id_tag(p.get("idToken")) or "",
                "meterStart": meter_start if meter_start is not None else 0,
                "timestamp": p["timestamp"]}
            if p.get("reservationId") is not None \
                    and "start_without_reservation_id_16" not in self.quirks:
                start["reservationId"] = p["reservationId"]  # 1.6 section 5.13
            self.tx_ids.begin[internal] = meter
            return "StartTransaction", start
        tx_id = self.tx_ids.to_16.get(internal)
        if tx_id is None:
            self.on_event(f"{p['eventType']} of transaction {internal}: no 1.6 transactionId "
                          "(StartTransaction was not answered); not sent")
            return None
        if p["eventType"] == "Updated":
            values = translate.meter_values(meter)
            if not values:
                return None  # a 2.0.1 state change without meter values: nothing in 1.6
            return "MeterValues", {"connectorId": self.tx_ids.connector[internal],
                                   "transactionId": tx_id, "meterValue": values}
        meter_stop = translate.register_wh(meter, "Transaction.End")
        stop: dict[str, Any] = {
            "transactionId": tx_id, "timestamp": p["timestamp"],
            "meterStop": meter_stop if meter_stop is not None else 0,
            "reason": translate.stop_reason(
                p["transactionInfo"].get("stoppedReason"),
                "Hard" if "soft_reset_reported_as_hard" in self.quirks else self.reset_type)}
        if translate.id_tag(p.get("idToken")):
            stop["idTag"] = translate.id_tag(p.get("idToken"))
        data = translate.meter_values([*self.tx_ids.begin.pop(internal, []), *meter])
        if data:
            stop["transactionData"] = data
        return "StopTransaction", stop

    def _from_16(self, action16: str, internal: dict[str, Any], sent: dict[str, Any],
                 reply: dict[str, Any]) -> dict[str, Any]:
        if action16 in ("Authorize", "StartTransaction", "StopTransaction"):
            if action16 == "StartTransaction":
                tx = internal["transactionInfo"]["transactionId"]
                self.tx_ids.assigned(tx, int(reply["transactionId"]), sent["connectorId"])
            return ({"idTokenInfo": translate.id_token_info(reply["idTagInfo"])}
                    if "idTagInfo" in reply else {})
        if action16 == "MeterValues":
            return {}
        return reply

    # ---- the wire: incoming ------------------------------------------------------------------
    async def handle_call(self, frame: Frame) -> dict[str, Any]:
        from harness.emulator.ocpp16.handlers import HANDLERS_16

        action = frame.action or ""
        # 1.6 section 4.2: while Rejected the charge point answers nothing; while Pending it
        # answers the Central System's requests, except RemoteStart/RemoteStopTransaction.
        if self.registration == "Rejected":
            return None  # type: ignore[return-value]
        if self.registration == "Pending" and action in ("RemoteStartTransaction",
                                                         "RemoteStopTransaction"):
            return {"status": "Rejected"}
        handler = HANDLERS_16.get(action)
        if handler is None:
            raise FrameError(ErrorCode.NOT_IMPLEMENTED, f"{action} is not supported")
        result = handler(self, frame.payload)
        result = await result if inspect.isawaitable(result) else result
        if isinstance(result, tuple):
            payload, follow_up = result
            self._follow_ups[frame.unique_id] = follow_up
            return payload
        return result
