"""What the CSMS learns of a 1.6 charge point from its messages, kept in the shared
:class:`~harness.csms.session.StationState`.

A 1.6 connector is what 2.0.1 calls an EVSE (OCPP 2.0.1 Part 0, "1.6 connector = 2.0.1
EVSE"), so its status is kept under the key ``(connectorId, 0)``; connector 0 is the charge
point itself. Transactions are keyed by the CSMS-assigned transactionId as a string and carry
``eventType`` Started / Ended like 2.0.1 ones, so ``active_transactions`` works for both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.csms.session import StationState


def status_key(connector_id: int) -> tuple[int, int]:
    return (connector_id, 0)


def track_call(state: StationState, action: str, p: dict[str, Any]) -> None:
    """A charge point request that passed validation."""
    if action == "BootNotification":
        state.boot = p
        state.boot_status = None  # until the CSMS answers
        state.reported_since_boot.clear()
    elif action == "StatusNotification":
        key = status_key(int(p.get("connectorId", 0)))
        state.connector_status[key] = p.get("status", "?")
        state.reported_since_boot.add(key)
    elif action == "StopTransaction":
        tx_id = str(p.get("transactionId"))
        state.transactions[tx_id] = {**state.transactions.get(tx_id, {}), **p, "eventType": "Ended"}


def track_reply(state: StationState, action: str, request: dict[str, Any],
                reply: dict[str, Any]) -> None:
    """The CSMS's answer to a charge point request, with the request it answers."""
    if action == "StartTransaction" and "transactionId" in reply:
        state.transactions[str(reply["transactionId"])] = {
            **request, "transactionId": reply["transactionId"], "eventType": "Started"}
