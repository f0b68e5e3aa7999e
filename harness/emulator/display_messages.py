"""The emulated station's display: messages the CSMS configured (OCPP 2.0.1 block O) and what
the screen shows from them.

Messages are kept in non-volatile memory (O01.FR.10); a message bound to a transaction
disappears when that transaction ends (O02). The screen shows the highest-priority message
that applies now: within its start/end time (O01.FR.06, O01.FR.07), in its state (Charging,
Faulted, Idle, Unavailable), of a transaction that is going on; AlwaysFront before InFront
before NormalCycle, the EV driver's language first (O01.FR.08), then the newest; several
InFront messages take turns (O01.FR.14), a newer AlwaysFront message replaces an older one.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
STATES = ("Charging", "Faulted", "Idle", "Unavailable")
FORMATS = ("ASCII", "HTML", "URI", "UTF8")
CYCLE_S = 1.0  # how long each of several InFront messages stays on the screen
_order = itertools.count()


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass
class DisplayMessage:
    info: dict[str, Any]  # the MessageInfoType as set
    order: int = field(default_factory=lambda: next(_order))

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def priority(self) -> str:
        return str(self.info["priority"])

    @property
    def content(self) -> str:
        return str(self.info["message"]["content"])

    @property
    def language(self) -> str | None:
        return self.info["message"].get("language")


class DisplayMessages:
    """The message store (id -> message); non-volatile: kept over a reboot."""

    def __init__(self) -> None:
        self.messages: dict[int, DisplayMessage] = {}

    def set(self, info: dict[str, Any]) -> None:
        self.messages[int(info["id"])] = DisplayMessage(dict(info))  # O06: same id replaces

    def prune(self, st: EmulatedStation, now: datetime | None = None) -> None:
        """Forget messages whose end time passed (O01.FR.07) or whose transaction ended."""
        now = now or datetime.now(UTC)
        active = {e.tx.id for e in st.evses.values() if e.tx is not None}
        for mid, m in list(self.messages.items()):
            end = parse_time(m.info.get("endDateTime"))
            expired = end is not None and end <= now and "display_message_end_ignored" not in st.quirks
            orphan = (bool(m.info.get("transactionId")) and m.info["transactionId"] not in active
                      and "tx_message_outlives_tx" not in st.quirks)
            if expired or orphan:
                del self.messages[mid]


def store(st: EmulatedStation) -> DisplayMessages:
    """The station's message store, made on first use and kept with the station object (so
    over reboots, which keep the object)."""
    found: DisplayMessages | None = getattr(st, "display_messages", None)
    if found is None:
        found = DisplayMessages()
        st.display_messages = found  # type: ignore[attr-defined]
    return found


def station_state(st: EmulatedStation) -> str:
    """The MessageStateEnumType the station is in, for the screen."""
    connectors = [c for e in st.evses.values() for c in e.connectors.values()]
    if st.emergency_stopped or any(c.faulted or c.protection_fault for c in connectors):
        return "Faulted"
    if not st.operative or not any(e.operative for e in st.evses.values()):
        return "Unavailable"
    if any(e.tx is not None for e in st.evses.values()):
        return "Charging"
    return "Idle"


def driver_languages(st: EmulatedStation) -> list[str]:
    """The EV driver's language preferences (IdTokenInfo language1, language2) of the token
    authorized on an EVSE."""
    for evse in st.evses.values():
        token = evse.id_token or (evse.tx.id_token if evse.tx is not None else None)
        if token:
            info = st.auth_cache.get(token.get("idToken", ""), {})
            return [lang for lang in (info.get("language1"), info.get("language2")) if lang]
    return []


def showing(st: EmulatedStation) -> list[DisplayMessage]:
    """The messages that apply now, the one on the screen first."""
    messages = store(st)
    messages.prune(st)
    now = datetime.now(UTC)
    state = station_state(st)
    active = {e.tx.id for e in st.evses.values() if e.tx is not None}
    shown = []
    for m in messages.messages.values():
        start = parse_time(m.info.get("startDateTime"))
        if start is not None and start > now and "display_message_start_ignored" not in st.quirks:
            continue
        wanted = m.info.get("state")
        if wanted and wanted != state and "display_message_state_ignored" not in st.quirks:
            continue
        if m.info.get("transactionId") and m.info["transactionId"] not in active:
            continue
        shown.append(m)
    languages = [] if "display_language_ignored" in st.quirks else driver_languages(st)

    def rank(m: DisplayMessage) -> tuple[int, int, int]:
        prio = 0 if "display_message_priority_ignored" in st.quirks else PRIORITIES.index(m.priority)
        lang = languages.index(m.language) if m.language in languages else len(languages)
        newest_first = not (m.priority == "AlwaysFront"
                            and "display_alwaysfront_keeps_first" in st.quirks)
        return (prio, lang, -m.order if newest_first else m.order)

    return sorted(shown, key=rank)


def screen(st: EmulatedStation) -> str | None:
    """The text on the screen now: the highest-priority applicable message, else None (the
    station's own idle screen)."""
    messages = showing(st)
    if not messages:
        return None
    top = messages[0]
    if top.priority == "InFront" and "display_infront_not_cycled" not in st.quirks:
        # InFront messages are cycled when there are several (O01.FR.14)
        cycle = [m for m in messages if m.priority == "InFront" and m.language == top.language]
        return cycle[int(time.monotonic() / CYCLE_S) % len(cycle)].content
    return top.content
