"""Block L, firmware management: UpdateFirmware (the work is in emulator.firmware)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator import firmware
from harness.emulator.handlers.registry import Result, handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


@handles("UpdateFirmware")
async def update_firmware(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """L01 secure firmware update; the whole process is in ``harness.emulator.firmware``."""
    result: Result = firmware.update_firmware(st, p)
    return result
