"""The handler registry: CSMS-initiated action -> coroutine answering it.

Each handler returns the response payload, or ``(payload, follow_up)`` where ``follow_up``
is a coroutine function run after the response has gone out: a real station answers a
GetBaseReport before it sends the NotifyReports, and a Reset before it reboots.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from harness.emulator.clock import iso

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

FollowUp = Callable[[], Awaitable[None]]
Result = dict[str, Any] | tuple[dict[str, Any], FollowUp]
Handler = Callable[["EmulatedStation", dict[str, Any]], Awaitable[Result]]
HANDLERS: dict[str, Handler] = {}


def handles(action: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[action] = fn
        return fn

    return register


def now() -> str:
    return iso()
