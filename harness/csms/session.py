"""StationSession: the harness CSMS's view of one station, across its reconnections.

It owns the journal, answers the station's requests through responders a test can override,
sends CSMS-initiated calls, lets a test ``expect()`` station messages before a deadline, and
records the station's protocol violations as findings that fail the running test.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.csms.journal import CSMS_TO_STATION, STATION_TO_CSMS, Entry, Journal
from harness.csms.ocpp16 import state as ocpp16_state
from harness.evidence.steps import step
from harness.protocols import ocppj
from harness.protocols.ocppj import ErrorCode, Frame, FrameError, MessageType
from harness.protocols.rpc import RpcPeer, Transport

Predicate = Callable[[dict[str, Any]], bool]
Responder = Callable[["StationSession", "Message"], dict[str, Any] | Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Message:
    """A station message as received: action, camelCase payload, and where in the journal."""

    action: str
    payload: dict[str, Any]
    unique_id: str
    seq: int
    mono: float
    wall: str

    def __getitem__(self, key: str) -> Any:
        return self.payload[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.payload.get(key, default)


@dataclass(frozen=True)
class Finding:
    """A protocol violation by the station, with the raw frame that shows it."""

    kind: str
    detail: str
    raw: str
    seq: int
    wall: str

    def __str__(self) -> str:
        return f"[{self.kind}] {self.detail} (journal #{self.seq} at {self.wall}): {self.raw[:500]}"


class ExpectTimeout(AssertionError):
    """The station did not send what a test expected before the deadline."""


class UnexpectedMessage(AssertionError):
    """The station sent something a test said it must not send."""


@dataclass
class StationState:
    """What the CSMS knows of the station from its own messages (reset on each boot)."""

    boot: dict[str, Any] | None = None
    boot_status: str | None = None
    connector_status: dict[tuple[int, int], str] = field(default_factory=dict)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> last event
    connections: int = 0
    reported_since_boot: set[tuple[int, int]] = field(default_factory=set)

    @property
    def active_transactions(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.transactions.items() if v.get("eventType") != "Ended"}


def _describe_predicate(where: Predicate | dict[str, Any] | None) -> str:
    if where is None:
        return ""
    if isinstance(where, dict):
        return "(" + ", ".join(f"{k}={v!r}" for k, v in where.items()) + ")"
    doc = getattr(where, "__doc__", None)
    return f" matching {doc.strip()}" if doc else f" matching {getattr(where, '__name__', 'predicate')}"


def matches(payload: dict[str, Any], where: Predicate | dict[str, Any] | None) -> bool:
    """``where`` is a predicate on the payload, or a dict of dotted paths to expected values."""
    if where is None:
        return True
    if isinstance(where, dict):
        return all(dig(payload, path) == value for path, value in where.items())
    try:
        return bool(where(payload))
    except (KeyError, TypeError, IndexError):
        return False


def dig(payload: Any, path: str) -> Any:
    """``dig(p, "transactionInfo.stoppedReason")``; a missing key gives None."""
    node = payload
    for part in path.split("."):
        if isinstance(node, list):
            node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


class StationSession(RpcPeer):
    """One station as seen by the harness CSMS. Survives reconnects; the journal is continuous."""

    def __init__(
        self,
        station_id: str,
        version: str = "2.0.1",
        *,
        message_timeout: float = 30.0,
        responders: dict[str, Responder] | None = None,
    ) -> None:
        super().__init__(version)
        self.station_id = station_id
        self.journal = Journal(station_id)
        self.message_timeout = message_timeout
        self.findings: list[Finding] = []
        self.state = StationState()
        self._defaults: dict[str, Responder] = dict(responders or {})
        self.responders: dict[str, Responder] = dict(self._defaults)
        self._consumed: set[int] = set()
        self._test_mark = 0
        self.connected = asyncio.Event()
        self.redact: list[str] = []
        self.refuse_until = 0.0

    # ---- test lifecycle -----------------------------------------------------------------
    def begin_test(self) -> int:
        """Start a test: restore default responders, search only from now on."""
        self.restore_responders()
        self._test_mark = self.journal.mark()
        return self._test_mark

    def restore_responders(self) -> None:
        """Answer as the conformant CSMS again: a test's ``respond()`` overrides end with it,
        before the next test's preconditions (which need their answers)."""
        self.responders = dict(self._defaults)

    @property
    def test_mark(self) -> int:
        return self._test_mark

    def findings_since(self, mark: int) -> list[Finding]:
        return [f for f in self.findings if f.seq >= mark]

    def respond(self, action: str, responder: Responder) -> None:
        """Override how the CSMS answers ``action`` until the end of the current test."""
        self.responders[action] = responder

    # ---- connection ---------------------------------------------------------------------
    async def attach(self, transport: Transport, subprotocol: str | None, peer: str) -> None:
        """Serve one websocket connection of this station until it closes."""
        if self.transport is not None:
            self.journal.event("new connection replaces the open one")
            await self.transport.close(1000, "replaced by a new connection")
        self.version = ocppj.SUBPROTOCOLS.get(subprotocol or "", self.version)
        self.state.connections += 1
        self.journal.event(f"connected from {peer}, subprotocol {subprotocol}")
        self.connected.set()
        try:
            await self.serve(transport)
        finally:
            code = getattr(transport, "close_code", None)
            reason = getattr(transport, "close_reason", "") or ""
            self.journal.event(f"disconnected (close code {code} {reason})".rstrip())
            self.connected.clear()

    @property
    def is_connected(self) -> bool:
        return self.transport is not None

    async def wait_connected(self, within: float | None = None) -> None:
        within = self.message_timeout if within is None else within
        try:
            await asyncio.wait_for(self.connected.wait(), within)
        except TimeoutError:
            raise ExpectTimeout(
                f"{self.station_id} did not connect within {within:g} s"
            ) from None

    async def wait_disconnected(self, within: float | None = None) -> None:
        within = self.message_timeout if within is None else within
        deadline = time.monotonic() + within
        while self.transport is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ExpectTimeout(f"{self.station_id} did not disconnect within {within:g} s")
            await self.journal.wait_change(remaining)

    async def disconnect(self, reason: str = "closed by the harness") -> None:
        """Drop the station's connection (a network-loss scenario)."""
        if self.transport is not None:
            self.journal.event(f"harness closes the connection: {reason}")
            await self.transport.close(1001, reason)

    async def go_offline(self, seconds: float, reason: str = "simulated network outage") -> None:
        """Drop the connection and refuse reconnections for ``seconds`` (HTTP 503), the way a
        network outage looks to a real station. Returns once the station is disconnected."""
        self.refuse_until = time.monotonic() + seconds
        self.journal.event(f"CSMS unreachable for {seconds:g} s: {reason}")
        await self.disconnect(reason)
        await self.wait_disconnected()

    def back_online(self) -> None:
        """End a :meth:`go_offline` outage early."""
        self.refuse_until = 0.0

    @property
    def refusing(self) -> bool:
        return time.monotonic() < self.refuse_until

    # ---- RpcPeer hooks: journal, findings -----------------------------------------------
    def on_frame_in(self, raw: str | bytes) -> Entry:
        return self.journal.append(STATION_TO_CSMS, raw)

    def on_frame_verdict(self, handle: Entry, frame: Frame | None, verdict: str) -> None:
        handle.verdict = verdict
        if frame is not None:
            handle.message_type = frame.type.name
            handle.unique_id = frame.unique_id
            handle.action = frame.action
            handle.payload = frame.payload if frame.type is not MessageType.CALLERROR else {
                "errorCode": frame.error_code,
                "errorDescription": frame.error_description,
            }
            if frame.type is MessageType.CALL and verdict == "ok":
                self._track(frame)
        self.journal.touch()

    def on_frame_out(self, raw: str, frame: Frame | None) -> None:
        entry = self.journal.append(CSMS_TO_STATION, raw, verdict="ok")
        if frame is not None:
            entry.message_type = frame.type.name
            entry.unique_id = frame.unique_id
            entry.action = frame.action
            entry.payload = frame.payload
            if frame.type is MessageType.CALLRESULT and frame.action == "BootNotification":
                self.state.boot_status = frame.payload.get("status")
            if frame.type is MessageType.CALLRESULT and self.version == "1.6":
                request = next((e.payload for e in reversed(self.journal.entries)
                                if e.unique_id == frame.unique_id and e.direction == STATION_TO_CSMS
                                and e.message_type == "CALL"), None)
                ocpp16_state.track_reply(self.state, frame.action or "", request or {}, frame.payload)

    def on_violation(self, kind: str, detail: str, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="backslashreplace")
        last = self.journal.entries[-1] if self.journal.entries else None
        seq = last.seq if last is not None else 0
        wall = last.wall if last is not None else ""
        self.findings.append(Finding(kind, detail, raw, seq, wall))

    def on_late_reply(self, action: str, frame: Frame) -> None:
        self.journal.event(f"late reply to {action} (id {frame.unique_id}) ignored")

    async def handle_call(self, frame: Frame) -> dict[str, Any]:
        assert frame.action is not None
        responder = self.responders.get(frame.action)
        if responder is None:
            raise FrameError(ErrorCode.NOT_IMPLEMENTED, f"CSMS has no responder for {frame.action}")
        message = self._message_for(frame)
        result = responder(self, message)
        payload = await result if inspect.isawaitable(result) else result
        return payload

    def _message_for(self, frame: Frame) -> Message:
        entry = next(
            (e for e in reversed(self.journal.entries)
             if e.unique_id == frame.unique_id and e.direction == STATION_TO_CSMS),
            None,
        )
        return Message(
            frame.action or "", frame.payload, frame.unique_id,
            entry.seq if entry else -1, entry.mono if entry else time.monotonic(),
            entry.wall if entry else "",
        )

    def _track(self, frame: Frame) -> None:
        """Keep StationState current from the station's own requests."""
        p = frame.payload
        if self.version == "1.6":
            ocpp16_state.track_call(self.state, frame.action or "", p)
            return
        if frame.action == "BootNotification":
            self.state.boot = p
            self.state.boot_status = None  # until the CSMS answers
            self.state.reported_since_boot.clear()
        elif frame.action == "StatusNotification":
            key = (p.get("evseId", 0), p.get("connectorId", 0))
            self.state.connector_status[key] = p.get("connectorStatus", "?")
            self.state.reported_since_boot.add(key)
        elif frame.action == "TransactionEvent":
            tx_id = p.get("transactionInfo", {}).get("transactionId")
            if tx_id:
                self.state.transactions[tx_id] = p

    # ---- what a test uses ----------------------------------------------------------------
    def received(self, since: int | None = None) -> Iterator[Entry]:
        """Station CALLs that passed parsing, since ``since`` (default: this test's start)."""
        mark = self._test_mark if since is None else since
        for e in self.journal.since(mark):
            if e.direction == STATION_TO_CSMS and e.message_type == "CALL":
                yield e

    async def expect(
        self,
        action: str,
        where: Predicate | dict[str, Any] | None = None,
        *,
        within: float | None = None,
        since: int | None = None,
        consume: bool = True,
    ) -> Message:
        """Return the first not-yet-consumed ``action`` from the station matching ``where``.

        Searches what arrived since ``since`` (default: the start of the test), then waits
        up to ``within`` seconds. On timeout, the failure lists what did arrive instead.
        """
        within = self.message_timeout if within is None else within
        wanted = f"{action}{_describe_predicate(where)}"
        with step(f"expect {wanted} from {self.station_id} within {within:g} s"):
            deadline = time.monotonic() + within
            while True:
                for e in self.received(since):
                    if e.seq in self._consumed or e.action != action or e.verdict == "pending":
                        continue
                    if matches(e.payload or {}, where):
                        if consume:
                            self._consumed.add(e.seq)
                        return Message(action, e.payload or {}, e.unique_id or "", e.seq,
                                       e.mono, e.wall)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ExpectTimeout(self._expect_failure(wanted, within, since))
                await self.journal.wait_change(remaining)

    async def expect_none(
        self,
        action: str | None = None,
        where: Predicate | dict[str, Any] | None = None,
        *,
        within: float,
        since: int | None = None,
    ) -> None:
        """Assert the station sends no ``action`` (any CALL if None) matching ``where`` for ``within`` s."""
        mark = self.journal.mark() if since is None else since
        wanted = f"{action or 'any message'}{_describe_predicate(where)}"
        with step(f"expect no {wanted} from {self.station_id} for {within:g} s"):
            deadline = time.monotonic() + within
            while True:
                for e in self.received(mark):
                    if (action is None or e.action == action) and matches(e.payload or {}, where):
                        raise UnexpectedMessage(
                            f"{self.station_id} sent {e.action} although it must not "
                            f"({wanted} was forbidden for {within:g} s):\n  {e.describe()}"
                        )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                await self.journal.wait_change(remaining)

    def _expect_failure(self, wanted: str, within: float, since: int | None) -> str:
        mark = self._test_mark if since is None else since
        arrived = [e for e in self.journal.since(mark) if e.direction != CSMS_TO_STATION]
        lines = [f"{self.station_id} sent no {wanted} within {within:g} s."]
        if arrived:
            lines.append(f"  Received instead ({len(arrived)}), last 12:")
            lines += [f"    {e.describe()}" for e in arrived[-12:]]
        else:
            lines.append("  Nothing was received from the station in that time.")
        if not self.is_connected:
            lines.append("  The station is not connected.")
        return "\n".join(lines)

    async def call(  # type: ignore[override]
        self,
        request: Any,
        payload: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Message:
        """Send a CSMS-initiated request: ``call("Reset", {"type": "Immediate"})`` or an
        ``ocpp.v201.call`` dataclass. Returns the response; a CALLERROR raises CallErrorReply."""
        if isinstance(request, str):
            action, body = request, payload or {}
        else:
            action, body = ocppj.to_payload(request)
        timeout = self.message_timeout if timeout is None else timeout
        with step(f"CSMS -> {self.station_id}: {action}"):
            reply = await super().call(action, body, timeout)
            entry = next(
                (e for e in reversed(self.journal.entries) if e.unique_id == reply.unique_id
                 and e.direction == STATION_TO_CSMS), None)
            return Message(action, reply.payload, reply.unique_id,
                           entry.seq if entry else -1, entry.mono if entry else time.monotonic(),
                           entry.wall if entry else "")
