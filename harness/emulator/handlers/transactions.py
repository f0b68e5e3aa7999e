"""Block E, transactions: GetTransactionStatus, and ClearCache (C)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import Result, handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


@handles("GetTransactionStatus")
async def get_transaction_status(st: EmulatedStation, p: dict[str, Any]) -> Result:
    tx_id = p.get("transactionId")
    response: dict[str, Any] = {"messagesInQueue": st.messages_in_queue(tx_id)}
    if tx_id is not None:
        ongoing = any(e.tx is not None and e.tx.id == tx_id for e in st.evses.values())
        response["ongoingIndicator"] = ongoing and "transaction_status_wrong" not in st.quirks
    return response


@handles("ClearCache")
async def clear_cache(st: EmulatedStation, p: dict[str, Any]) -> Result:
    if (st.config.ocpp_version != "1.6" and not st.dm.get_bool("AuthCacheCtrlr", "Enabled")
            and "clear_cache_accepted_when_disabled" not in st.quirks):
        return {"status": "Rejected"}  # C11.FR.04: no cache to clear
    if "clear_cache_ignored_201" not in st.quirks:
        st.auth_cache.clear()  # C11.FR.03
    return {"status": "Accepted"}
