"""One side of an OCPP-J connection: our CALLs one at a time, their CALLs dispatched.

Both the harness CSMS and the emulated station are built on this peer. It exists instead of
``ocpp.ChargePoint`` because of that class's traps (DESIGN.md): a handler that awaits a call
deadlocks its receive loop, and a late reply after an outer ``wait_for`` shifts later replies.
Here incoming CALLs run in their own tasks, replies are matched by unique id only, and a
reply to a call we gave up on is recognised as *late*, never taken for the next call's.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from harness.protocols import ocppj
from harness.protocols.ocppj import ErrorCode, Frame, FrameError, MessageType

log = logging.getLogger("harness.rpc")


class Transport(Protocol):
    async def send(self, message: str) -> None: ...
    async def recv(self) -> str | bytes: ...
    async def close(self, code: int = 1000, reason: str = "") -> None: ...


class CallErrorReply(AssertionError):
    """The peer answered our CALL with a CALLERROR. Fails a test unless expected."""

    def __init__(self, action: str, frame: Frame) -> None:
        self.action = action
        self.frame = frame
        self.code = frame.error_code
        super().__init__(
            f"{action} was answered with CALLERROR {frame.error_code}: "
            f"{frame.error_description!r} {frame.error_details or ''}".rstrip()
        )


class CallTimeout(AssertionError):
    def __init__(self, action: str, unique_id: str, timeout: float, raw: str) -> None:
        self.action = action
        self.unique_id = unique_id
        super().__init__(f"no reply to {action} (id {unique_id}) within {timeout:g} s; sent: {raw}")


class Disconnected(ConnectionError):
    """The connection closed while a call was outstanding or before it could be sent."""


Handler = Callable[[Frame], dict[str, Any] | Awaitable[dict[str, Any]]]


class RpcPeer:
    """OCPP-J RPC over one websocket. Subclasses override the ``on_*`` hooks."""

    def __init__(self, version: str, *, validate: bool = True) -> None:
        self.version = version
        self.validate = validate
        self.transport: Transport | None = None
        self._call_lock = asyncio.Lock()
        self._pending: dict[str, tuple[str, asyncio.Future[Frame]]] = {}
        self._expired: dict[str, str] = {}
        self._incoming: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.id_factory: Callable[[], str] = ocppj.new_id

    # ---- hooks -------------------------------------------------------------------------
    def on_frame_in(self, raw: str | bytes) -> Any:
        """Called with every received frame before it is parsed; returns a handle."""
        return None

    def on_frame_verdict(self, handle: Any, frame: Frame | None, verdict: str) -> None:
        """Called once the received frame is parsed and validated ('ok' or what is wrong)."""

    def on_frame_out(self, raw: str, frame: Frame | None) -> None:
        """Called with every frame just before it is sent."""

    def on_violation(self, kind: str, detail: str, raw: str | bytes) -> None:
        """The peer broke OCPP-J; ``kind`` is a short tag, ``detail`` says how."""

    def on_replied(self, frame: Frame) -> None:
        """Our answer to ``frame`` has been sent (or the connection dropped trying)."""

    def on_late_reply(self, action: str, frame: Frame) -> None:
        """A reply arrived for a call we stopped waiting for."""

    async def handle_call(self, frame: Frame) -> dict[str, Any]:
        """Answer a CALL from the peer: return the response payload or raise FrameError."""
        raise FrameError(ErrorCode.NOT_IMPLEMENTED, f"{frame.action} not implemented")

    # ---- sending ------------------------------------------------------------------------
    async def send_raw(self, raw: str, frame: Frame | None = None) -> None:
        if self.transport is None:
            raise Disconnected("not connected")
        self.on_frame_out(raw, frame)
        try:
            await self.transport.send(raw)
        except Exception as exc:  # websockets raises ConnectionClosed subclasses
            raise Disconnected(f"send failed: {exc}") from exc

    async def call(
        self, action: str, payload: dict[str, Any], timeout: float = 30.0
    ) -> Frame:
        """Send a CALL and return the CALLRESULT frame; CALLERROR raises CallErrorReply.

        Only one CALL is outstanding at a time (OCPP-J 4.1.1); callers queue on a lock. The
        deadline covers the wait for the reply, not the wait for the lock.
        """
        async with self._call_lock:
            unique_id = self.id_factory()
            raw = ocppj.call(unique_id, action, payload)
            future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._pending[unique_id] = (action, future)
            try:
                await self.send_raw(raw, Frame(MessageType.CALL, unique_id, action, payload))
                reply = await asyncio.wait_for(future, timeout)
            except TimeoutError:
                self._expired[unique_id] = action
                raise CallTimeout(action, unique_id, timeout, raw) from None
            finally:
                self._pending.pop(unique_id, None)
        if reply.type is MessageType.CALLERROR:
            raise CallErrorReply(action, reply)
        return reply

    # ---- receiving ----------------------------------------------------------------------
    async def serve(self, transport: Transport) -> None:
        """Read frames until the connection closes; then fail what is outstanding."""
        self.transport = transport
        try:
            while True:
                try:
                    raw = await transport.recv()
                except Exception:
                    break
                await self.receive(raw)
        finally:
            self.transport = None
            for _, future in self._pending.values():
                if not future.done():
                    future.set_exception(Disconnected("connection closed before the reply"))
            for task in list(self._tasks):
                task.cancel()

    async def receive(self, raw: str | bytes) -> None:
        handle = self.on_frame_in(raw)
        try:
            await self._receive(handle, raw)
        except Disconnected:
            raise
        except Exception as exc:  # our bug must not end the connection: record it, go on
            log.exception("error while handling a received frame")
            self.on_frame_verdict(handle, None, f"harness error: {type(exc).__name__}: {exc}")

    async def _receive(self, handle: Any, raw: str | bytes) -> None:
        try:
            frame = ocppj.parse(raw)
        except FrameError as exc:
            self.on_frame_verdict(handle, None, f"{exc.code}: {exc.description}")
            self.on_violation("malformed-frame", f"{exc.code}: {exc.description}", raw)
            await self._reply_error(exc.unique_id, exc.code, exc.description)
            return
        if frame.type is MessageType.CALL:
            await self._receive_call(handle, frame, raw)
        else:
            self._receive_reply(handle, frame, raw)

    async def _receive_call(self, handle: Any, frame: Frame, raw: str | bytes) -> None:
        assert frame.action is not None
        if self.validate:
            try:
                ocppj.validate(self.version, MessageType.CALL, frame.action, frame.payload)
            except FrameError as exc:
                self.on_frame_verdict(handle, frame, f"{exc.code}: {exc.description}")
                if exc.code != ErrorCode.NOT_IMPLEMENTED:
                    self.on_violation("schema", f"{frame.action}: {exc.description}", raw)
                await self._reply_error(frame.unique_id, exc.code, exc.description)
                return
        self.on_frame_verdict(handle, frame, "ok")
        if self._incoming:
            self.on_violation(
                "concurrent-call",
                f"{frame.action} sent while CALL {sorted(self._incoming)} is unanswered",
                raw,
            )
        self._incoming.add(frame.unique_id)
        task = asyncio.create_task(self._answer(frame))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, frame: Frame) -> None:
        try:
            try:
                result = self.handle_call(frame)
                payload = await result if inspect.isawaitable(result) else result
            except FrameError as exc:
                await self._reply_error(frame.unique_id, exc.code, exc.description)
                return
            except Exception as exc:  # a responder bug must not kill the connection
                await self._reply_error(
                    frame.unique_id, ErrorCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"
                )
                return
            finally:
                self._incoming.discard(frame.unique_id)
            if payload is None:  # a handler chose not to answer (e.g. a quirk)
                return
            raw = ocppj.call_result(frame.unique_id, payload)
            with contextlib.suppress(Disconnected):
                await self.send_raw(
                    raw, Frame(MessageType.CALLRESULT, frame.unique_id, frame.action, payload)
                )
            self.on_replied(frame)
        except asyncio.CancelledError:
            pass

    def _receive_reply(self, handle: Any, frame: Frame, raw: str | bytes) -> None:
        pending = self._pending.get(frame.unique_id)
        if pending is None:
            late_action = self._expired.pop(frame.unique_id, None)
            if late_action is not None:
                frame = _with_action(frame, late_action)
                self.on_frame_verdict(handle, frame, "late reply (caller stopped waiting)")
                self.on_late_reply(late_action, frame)
            else:
                self.on_frame_verdict(handle, frame, "reply to unknown message id")
                self.on_violation(
                    "unknown-id", f"reply to message id {frame.unique_id!r} never sent", raw
                )
            return
        action, future = pending
        frame = _with_action(frame, action)
        verdict = "ok"
        if frame.type is MessageType.CALLERROR and self.validate \
                and not ocppj.known_error_code(self.version, frame.error_code):
            verdict = f"CALLERROR code {frame.error_code!r} is not an OCPP {self.version} code"
            self.on_violation("error-code", f"{action}: {verdict}", raw)
        if frame.type is MessageType.CALLRESULT and self.validate:
            try:
                ocppj.validate(self.version, MessageType.CALLRESULT, action, frame.payload)
            except FrameError as exc:
                verdict = f"{exc.code}: {exc.description}"
                self.on_violation("schema", f"{action}Response: {exc.description}", raw)
        self.on_frame_verdict(handle, frame, verdict)
        if not future.done():
            future.set_result(frame)

    async def _reply_error(self, unique_id: str, code: str, description: str) -> None:
        code = ocppj.error_code(self.version, code)  # said as this connection's version spells it
        with contextlib.suppress(Disconnected):
            await self.send_raw(
                ocppj.call_error(unique_id, code, description),
                Frame(MessageType.CALLERROR, unique_id, error_code=code,
                      error_description=description, error_details={}),
            )


def _with_action(frame: Frame, action: str) -> Frame:
    return Frame(
        frame.type, frame.unique_id, action, frame.payload,
        frame.error_code, frame.error_description, frame.error_details,
    )
