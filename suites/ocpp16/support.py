"""What the 1.6 cases share: connector numbering, id tags, waiting for a started transaction."""

from __future__ import annotations

from harness.bench import Bench
from harness.csms.session import Message, StationSession


def reboot_within(bench: Bench) -> float:
    """How long a reboot may take until the BootNotification (as the station fixture waits)."""
    within = max(bench.csms.message_timeout * 3, 10.0)
    return max(within, 300.0) if bench.station.mode == "external" else within


def connector_ids(bench: Bench) -> list[int]:
    """The 1.6 connectorIds of the bench's station: its connectors numbered 1..n in order."""
    return list(range(1, len(bench.station.connectors()) + 1))


def hands_of(bench: Bench, connector_id: int) -> tuple[int, int]:
    """The (EVSE, connector) a bench action addresses for 1.6 connector ``connector_id``."""
    evse, connector = bench.station.connectors()[connector_id - 1]
    return evse, connector.id


def id_tag(bench: Bench, role: str = "valid") -> str:
    return bench.station.id_tokens[role].id_token


async def start_transaction(station: StationSession, connector_id: int) -> tuple[Message, int]:
    """The StartTransaction on ``connector_id`` and the transactionId this CSMS assigned."""
    start = await station.expect("StartTransaction", {"connectorId": connector_id})
    reply = next(e for e in station.journal.since(start.seq) if e.unique_id == start.unique_id
                 and e.message_type == "CALLRESULT")
    return start, int((reply.payload or {})["transactionId"])
