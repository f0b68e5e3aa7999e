"""Building blocks of the transaction, remote-control and meter-value cases (blocks E, F, J).

Everything goes through OCPP and bench actions, so each helper works on a real charger: the
station's own TxStartPoint / TxStopPoint decide what a test expects, event histories come
from the journal, and the CSMS's answers are withheld or failed through responders.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import math
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession, dig
from harness.evidence.steps import step
from harness.protocols.ocppj import ErrorCode, FrameError
from suites.ocpp201.support import first_connector, get_variable, set_variable, tx_id, variable_ref

ENERGY_REGISTER = "Energy.Active.Import.Register"
# The TxStopPoints at which a transaction ends as soon as the authorization is withdrawn
# (RequestStopTransaction, StopAuthorized, Deauthorized): E06 with the power path opened too.
STOPS_ON_DEAUTHORIZE = ("Authorized", "DataSigned", "PowerPathClosed", "EnergyTransfer")


# ---- configuration ------------------------------------------------------------------------
async def tx_points(station: StationSession) -> tuple[list[str], list[str]]:
    """The station's TxStartPoint and TxStopPoint as it reports them now."""
    starts = await get_variable(station, "TxCtrlr", "TxStartPoint")
    stops = await get_variable(station, "TxCtrlr", "TxStopPoint")
    return [p for p in starts.split(",") if p], [p for p in stops.split(",") if p]


async def try_set(station: StationSession, component: str, variable: str, value: str,
                  instance: str | None = None) -> str:
    """Set a variable the case sets "if implemented": return the status, whatever it is."""
    reply = await station.call("SetVariables", {"setVariableData": [
        {**variable_ref(component, variable, instance), "attributeValue": value}]})
    return str(reply["setVariableResult"][0]["attributeStatus"])


def applied(status: str) -> bool:
    return status in ("Accepted", "RebootRequired")


async def configure_point(station: StationSession, which: str, point: str) -> None:
    """OCTT prerequisite of the start/stop option cases: TxStartPoint / TxStopPoint ``which``
    set to ``point`` if writable; a read-only list must already contain it, else the case
    does not apply (skip, with the reason)."""
    status = await try_set(station, "TxCtrlr", which, point)
    if applied(status):
        return
    current = [p for p in (await get_variable(station, "TxCtrlr", which)).split(",") if p]
    if point not in current:
        pytest.skip(f"TxCtrlr.{which} cannot be set to {point} ({status}) and is {current}: "
                    "the case's prerequisite is not met")


def check_stop(event: Message, trigger: str, reason: str, situation: str, *,
               charging_state: str | None = None) -> None:
    """An Ended event: triggerReason, stoppedReason and (optionally) chargingState (E06)."""
    info = event.get("transactionInfo") or {}
    assert event.get("eventType") == "Ended", (
        f"{situation}: the transaction must end (eventType Ended), the station sent "
        f"{event.get('eventType')} with triggerReason {event.get('triggerReason')}")
    assert event.get("triggerReason") == trigger, (
        f"{situation}: triggerReason must be {trigger}, got {event.get('triggerReason')!r}")
    assert info.get("stoppedReason", "Local") == reason, (
        f"{situation}: stoppedReason must be {reason}, got {info.get('stoppedReason', 'Local (omitted)')!r}")
    if charging_state is not None:
        assert info.get("chargingState") == charging_state, (
            f"{situation}: chargingState must be {charging_state}, got {info.get('chargingState')!r}")


async def list_variable(station: StationSession, component: str, variable: str,
                        default: str = ENERGY_REGISTER) -> list[str]:
    """A measurand list; when the station has it empty, configure ``default`` so the case
    has something to validate (an empty list sends no meter values at all)."""
    value = await get_variable(station, component, variable)
    members = [m for m in value.split(",") if m]
    if not members:
        await set_variable(station, component, variable, default)
        members = default.split(",")
    return members


# ---- transaction history ------------------------------------------------------------------
def tx_of(payload: dict[str, Any]) -> str | None:
    return dig(payload, "transactionInfo.transactionId")


def events_of(station: StationSession, transaction_id: str) -> list[Message]:
    """Every TransactionEvent of ``transaction_id`` received in this test, in arrival order,
    each message once (a retried message, same seqNo and timestamp, counts once)."""
    seen: set[tuple[Any, Any, Any]] = set()
    events = []
    for e in station.received():
        if e.action != "TransactionEvent" or not e.payload or tx_of(e.payload) != transaction_id:
            continue
        key = (e.payload.get("seqNo"), e.payload.get("eventType"), e.payload.get("timestamp"))
        if key in seen:
            continue
        seen.add(key)
        events.append(Message(e.action, e.payload, e.unique_id or "", e.seq, e.mono, e.wall))
    return events


def describe_events(events: Iterable[Message]) -> str:
    return "\n".join(
        f"    seqNo={m.get('seqNo')} {m.get('eventType')} triggerReason={m.get('triggerReason')}"
        f" chargingState={dig(m.payload, 'transactionInfo.chargingState')}"
        f" offline={m.get('offline', False)} timestamp={m.get('timestamp')}"
        for m in events)


def check_sequence(station: StationSession, transaction_id: str) -> list[Message]:
    """seqNo starts at 0 with Started and grows by one per message, in the order
    sent; Ended, if there, is last. Returns the events."""
    events = events_of(station, transaction_id)
    assert events, f"no TransactionEvent of transaction {transaction_id} was received"
    seqs = [m.get("seqNo") for m in events]
    first = 0 if events[0].get("eventType") == "Started" else seqs[0]
    expected = list(range(first, first + len(seqs)))
    assert seqs == expected, (
        f"TransactionEvent seqNo of transaction {transaction_id} must start at 0 with Started "
        f"and grow by 1 with every message, in the order sent; expected {expected}, the "
        f"station sent {seqs}:\n{describe_events(events)}")
    types = [m.get("eventType") for m in events]
    if "Started" in types:
        assert types[0] == "Started" and types.count("Started") == 1, (
            f"transaction {transaction_id}: Started must be its first and only Started event, "
            f"got {types}")
    if "Ended" in types:
        assert types[-1] == "Ended" and types.count("Ended") == 1, (
            f"transaction {transaction_id}: Ended must be its last and only Ended event, got {types}")
    return events


def check_register_monotonic(events: Iterable[Message], what: str) -> None:
    """The energy register never goes backwards within the transaction's meter values."""
    readings: list[tuple[str, float]] = []
    for m in events:
        for mv in m.get("meterValue") or []:
            for sv in mv.get("sampledValue", []):
                if sv.get("measurand", ENERGY_REGISTER) == ENERGY_REGISTER and \
                        sv.get("phase") is None:
                    readings.append((mv.get("timestamp", "?"), float(sv["value"])))
    readings.sort(key=lambda r: parse_ts(r[0]) if r[0] != "?" else 0.0)
    for (t0, v0), (t1, v1) in itertools.pairwise(readings):
        assert v1 >= v0, (
            f"{what}: the energy register went backwards, {v0:g} at {t0} then {v1:g} at {t1}; "
            f"{ENERGY_REGISTER} must be monotonic (J02)")


# ---- time ---------------------------------------------------------------------------------------
def parse_ts(text: str) -> float:
    """An OCPP dateTime to POSIX seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def off_grid(text: str, interval: float) -> float:
    """How far (s) an aligned timestamp is from the nearest multiple of ``interval``."""
    t = parse_ts(text)
    return abs(t - round(t / interval) * interval)


# ---- meter values ---------------------------------------------------------------------------
def check_meter_value(mv: dict[str, Any], measurands: list[str], contexts: tuple[str, ...],
                      what: str) -> None:
    """One MeterValueType: a sampled value per configured measurand, the right context, units."""
    values = mv.get("sampledValue") or []
    assert values, f"{what}: meterValue without sampledValue: {mv}"
    got = {sv.get("measurand", ENERGY_REGISTER) for sv in values}
    missing = [m for m in measurands if m not in got]
    assert not missing, (
        f"{what}: sampledValue must contain an element per configured measurand {measurands}; "
        f"missing {missing} in {values}")
    for sv in values:
        context = sv.get("context", "Sample.Periodic")
        assert context in contexts, (
            f"{what}: sampledValue context must be {' or '.join(contexts)}, got {context!r} "
            f"in {sv}")
        if sv.get("measurand", ENERGY_REGISTER) == ENERGY_REGISTER:
            unit = dig(sv, "unitOfMeasure.unit") or "Wh"
            assert unit in ("Wh", "kWh"), f"{what}: energy register in unit {unit!r}: {sv}"
        assert isinstance(sv.get("value"), int | float) and math.isfinite(sv["value"]), (
            f"{what}: sampledValue without a numeric value: {sv}")


def meter_values(message: Message) -> list[dict[str, Any]]:
    return list(message.get("meterValue") or [])


# ---- waiting ----------------------------------------------------------------------------------
async def run_for(station: StationSession, transaction_id: str, seconds: float) -> None:
    """Let the transaction run (OCTT's "configured transaction duration"): it must not end."""
    await station.expect_none("TransactionEvent", {
        "transactionInfo.transactionId": transaction_id, "eventType": "Ended"}, within=seconds)


# ---- ending a session -----------------------------------------------------------------------
async def end_by_unplug(station: StationSession, operator: Any, bench: Bench,
                        transaction_id: str, evse: int | None = None,
                        connector: int | None = None) -> Message:
    """ParkingBayUnoccupied: the EV is unplugged and leaves; return the Ended event."""
    default_evse, default_connector = first_connector(bench)
    await operator.unplug(default_evse if evse is None else evse,
                          default_connector if connector is None else connector)
    return await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": transaction_id, "eventType": "Ended"})


async def stop_remotely(station: StationSession, transaction_id: str) -> Message:
    """RequestStopTransaction (Accepted) and the TransactionEvent that carries the stop."""
    reply = await station.call("RequestStopTransaction", {"transactionId": transaction_id})
    assert reply["status"] == "Accepted", (
        f"RequestStopTransaction for the ongoing transaction {transaction_id}: expected Accepted, "
        f"station answered {reply.payload}")
    return await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": transaction_id, "triggerReason": "RemoteStop"})


def unknown_transaction_id() -> str:
    return f"octt-unknown-{uuid.uuid4().hex[:16]}"


# ---- the CSMS's answers ---------------------------------------------------------------------
@asynccontextmanager
async def answers_held(station: StationSession, action: str = "TransactionEvent"
                       ) -> AsyncIterator[asyncio.Event]:
    """Hold back the CSMS's answers to ``action`` until the yielded event is set (or the block
    ends): the station's message stays unconfirmed, i.e. still in its queue."""
    release = asyncio.Event()
    answer = station.responders[action]

    async def held(session: StationSession, msg: Message) -> dict[str, Any]:
        await release.wait()
        result = answer(session, msg)
        return await result if inspect.isawaitable(result) else result

    station.respond(action, held)
    try:
        with step(f"CSMS holds back its answers to {action}"):
            yield release
    finally:
        release.set()
        station.respond(action, answer)


@dataclass
class FailingAnswers:
    """The CSMS fails the first TransactionEvent of the test ``failures`` times: no answer at
    all (the station's MessageTimeout expires) or a CALLERROR. Later messages are answered."""

    station: StationSession
    failures: int
    call_error: bool = False
    target: tuple[str | None, int | None] | None = None
    attempts: int = 0

    def __post_init__(self) -> None:
        self.answer = self.station.responders["TransactionEvent"]
        self.station.respond("TransactionEvent", self)

    def __call__(self, session: StationSession, msg: Message) -> Any:
        key = (tx_of(msg.payload), msg.get("seqNo"))
        if self.target is None:
            self.target = key
        if key == self.target:
            self.attempts += 1
            if self.attempts <= self.failures:
                if self.call_error:
                    raise FrameError(ErrorCode.INTERNAL_ERROR,
                                     "test: CSMS fails to process this TransactionEvent")
                return None  # no answer: the station's MessageTimeout expires
        return self.answer(session, msg)

    def is_target(self, payload: dict[str, Any]) -> bool:
        return (tx_of(payload), payload.get("seqNo")) == self.target


def charging_on_a_token(payload: dict[str, Any]) -> bool:
    """a TransactionEvent with an idToken or chargingState Charging"""
    return bool(payload.get("idToken")) or dig(payload, "transactionInfo.chargingState") == "Charging"


async def expect_authorization_lapse(station: StationSession, operator: Any, bench: Bench, *,
                                     starts: list[str], authorized: Message, timeout: int,
                                     evse: int, connector: int) -> None:
    """An idToken was authorized and no EV came within EVConnectionTimeOut. A transaction the
    authorization started ends then, not before (Ended, EVConnectTimeout, Timeout); without
    one, the authorization lapses: an EV plugged in afterwards is not charged on it
    (E03.FR.05, E06.FR.04)."""
    if "Authorized" in starts:
        started = await station.expect("TransactionEvent", {"eventType": "Started"})
        ended = await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": tx_id(started), "eventType": "Ended"},
            within=timeout + bench.csms.deviation)
        check_stop(ended, "EVConnectTimeout", "Timeout", "no EV within EVConnectionTimeOut")
        waited = ended.mono - authorized.mono
        assert waited >= timeout - 0.3, (
            f"the transaction ended {waited:.1f} s after authorization, before "
            f"EVConnectionTimeOut={timeout} s expired")
        check_sequence(station, tx_id(started))
    else:
        await station.expect_none("TransactionEvent", within=timeout + 0.5)
        await operator.plug_in(evse, connector)
        await station.expect_none("TransactionEvent", charging_on_a_token,
                                  within=bench.csms.quiet_period)
        await operator.unplug(evse, connector)
