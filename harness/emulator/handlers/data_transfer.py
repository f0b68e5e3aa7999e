"""Block P, data transfer: DataTransfer and CustomData."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import Result, handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


@handles("DataTransfer")
async def data_transfer(st: EmulatedStation, p: dict[str, Any]) -> Result:
    if "data_transfer_accepted" in st.quirks:
        return {"status": "Accepted"}
    if p["vendorId"] != st.config.vendor:
        return {"status": "UnknownVendorId"}  # P01.FR.05
    return {"status": "UnknownMessageId"}  # P01.FR.06: this station implements no messageId


def has_custom_data(payload: Any) -> bool:
    """Whether a request carries CustomDataType anywhere (the ``rejects_custom_data`` quirk)."""
    if isinstance(payload, dict):
        return "customData" in payload or any(has_custom_data(v) for v in payload.values())
    if isinstance(payload, list):
        return any(has_custom_data(v) for v in payload)
    return False
