"""The 1.6 handler table and what every 1.6 handler module shares: say a request to the shared
2.0.1 handler, rename the status of its answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from harness.emulator.handlers import HANDLERS
from harness.emulator.handlers.registry import Result

if TYPE_CHECKING:
    from harness.emulator.ocpp16.station import EmulatedStation16

Handler16 = Callable[["EmulatedStation16", dict[str, Any]], Awaitable[Result]]
HANDLERS_16: dict[str, Handler16] = {}


def handles16(action: str) -> Callable[[Handler16], Handler16]:
    def register(fn: Handler16) -> Handler16:
        HANDLERS_16[action] = fn
        return fn

    return register


def status_map(result: Result, mapping: dict[str, str]) -> Result:
    """Rename the ``status`` of a shared handler's result, keeping its follow-up."""
    payload, follow_up = result if isinstance(result, tuple) else (result, None)
    payload = {"status": mapping.get(payload["status"], payload["status"])}
    return (payload, follow_up) if follow_up is not None else payload


async def shared(st: EmulatedStation16, action: str, payload: dict[str, Any]) -> Result:
    return await HANDLERS[action](st, payload)
