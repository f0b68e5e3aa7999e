"""Block O, display messages: SetDisplayMessage, GetDisplayMessages (-> NotifyDisplayMessages),
ClearDisplayMessage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator.display_messages import parse_time, store
from harness.emulator.handlers.registry import Result, handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

MESSAGES_PER_NOTIFY = 4


def _enabled(st: EmulatedStation) -> bool:
    return st.dm.get_bool("DisplayMessageCtrlr", "Enabled")


def _count(st: EmulatedStation) -> None:
    st.dm.put("DisplayMessageCtrlr", "DisplayMessages", str(len(store(st).messages)))


@handles("SetDisplayMessage")
async def set_display_message(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """O01 / O02 / O06: check what this display supports, then store (an existing id is
    replaced, O06.FR.01)."""
    info = p["message"]
    if not _enabled(st):
        return {"status": "Rejected", "statusInfo": {"reasonCode": "Disabled"}}
    formats = st.dm.get_list("DisplayMessageCtrlr", "SupportedFormats")
    priorities = st.dm.get_list("DisplayMessageCtrlr", "SupportedPriorities")
    lax = "display_claims_fewer_but_accepts" in st.quirks
    if info["message"]["format"] not in formats and not lax:
        return {"status": "NotSupportedMessageFormat"}  # O01.FR.03
    if info["priority"] not in priorities and not lax:
        return {"status": "NotSupportedPriority"}  # O01.FR.01
    if info.get("state") not in (None, "Charging", "Faulted", "Idle", "Unavailable"):
        return {"status": "NotSupportedState"}  # O01.FR.02
    tx_id = info.get("transactionId")
    if tx_id and tx_id not in {e.tx.id for e in st.evses.values() if e.tx is not None}:
        return {"status": "UnknownTransaction"}  # O02.FR.01
    try:
        parse_time(info.get("startDateTime"))
        parse_time(info.get("endDateTime"))
    except ValueError:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidValue"}}
    messages = store(st)
    messages.prune(st)
    _, var = st.dm.find({"name": "DisplayMessageCtrlr"}, {"name": "DisplayMessages"})
    limit = int(var.max) if var is not None and var.max is not None else 20
    if int(info["id"]) not in messages.messages and len(messages.messages) >= limit:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "OutOfStorage"}}
    if "display_message_replace_ignored" in st.quirks and int(info["id"]) in messages.messages:
        return {"status": "Accepted"}  # the defect: the old message stays
    messages.set(info)
    _count(st)
    return {"status": "Accepted"}


@handles("GetDisplayMessages")
async def get_display_messages(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """O03 / O04: Accepted and NotifyDisplayMessages with the messages matching every given
    filter (ids, priority, state); Unknown when none does (O03.FR.06, O04.FR.02)."""
    messages = store(st)
    messages.prune(st)
    ids = p.get("id") or []
    found = []
    for m in sorted(messages.messages.values(), key=lambda m: m.id):
        if "get_display_messages_ignores_filter" not in st.quirks and (
                (ids and m.id not in ids)
                or (p.get("priority") and m.priority != p["priority"])
                or (p.get("state") and m.info.get("state") != p["state"])):
            continue
        found.append(dict(m.info))
    if not found:
        return {"status": "Unknown"}
    request_id = p["requestId"]

    async def notify() -> None:
        parts = [found[i:i + MESSAGES_PER_NOTIFY] for i in range(0, len(found), MESSAGES_PER_NOTIFY)]
        for n, part in enumerate(parts):
            st.send("NotifyDisplayMessages", {"requestId": request_id, "tbc": n < len(parts) - 1,
                                              "messageInfo": part})

    return {"status": "Accepted"}, notify


@handles("ClearDisplayMessage")
async def clear_display_message(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """O05: remove a known message (Accepted), Unknown otherwise."""
    messages = store(st)
    messages.prune(st)
    if messages.messages.pop(int(p["id"]), None) is None:
        return {"status": "Unknown"}
    _count(st)
    return {"status": "Accepted"}
