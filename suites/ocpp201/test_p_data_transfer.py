"""OCTT block P (DataTransfer), Charging Station side, Core.

OCPP 2.0.1 Part 2: P01 (Data Transfer to the Charging Station), and CustomDataType, which
every message and class may carry (Part 2, 2.1 CustomDataType).
"""

from __future__ import annotations

import uuid

import pytest

from harness.csms.session import StationSession
from harness.protocols.rpc import CallErrorReply

NOT_ACCEPTED = ("UnknownVendorId", "UnknownMessageId", "Rejected")


@pytest.mark.octt("TC_P_01_CS")
async def test_data_transfer_unknown_vendor(station: StationSession):
    """Data Transfer to the Charging Station - Rejected / Unknown VendorId / Unknown MessageId.

    DataTransfer with a vendorId no station implements: the station must not accept it; it
    answers UnknownVendorId (P01.FR.05), or UnknownMessageId / Rejected as the case allows.
    Requirements: P01.FR.05, P01.FR.06.
    """
    vendor = f"org.example.octt.unknown.{uuid.uuid4().hex[:8]}"
    reply = await station.call("DataTransfer", {"vendorId": vendor, "messageId": "TestMessage",
                                                "data": "harness"})
    assert reply["status"] in NOT_ACCEPTED, (
        f"DataTransfer vendorId={vendor!r}: a vendor the station cannot know must be answered "
        f"UnknownVendorId (P01.FR.05; UnknownMessageId or Rejected also pass this case), the "
        f"station answered {reply['status']}")


@pytest.mark.octt("TC_P_03_CS")
async def test_custom_data_received(station: StationSession):
    """CustomData - Receive custom data.

    A GetVariablesRequest carrying customData (a vendorId plus a vendor property) at the top
    level and in its nested classes: the station must process it like the same request
    without customData, not answer a CALLERROR. Requirements: none numbered (CustomDataType).
    """
    custom = {"vendorId": "org.openchargealliance.octt", "harnessProperty": "ignore me"}
    request = {"customData": custom, "getVariableData": [{
        "customData": custom,
        "component": {"name": "OCPPCommCtrlr", "customData": custom},
        "variable": {"name": "HeartbeatInterval", "customData": custom}}]}
    try:
        reply = await station.call("GetVariables", request)
    except CallErrorReply as exc:
        raise AssertionError(
            f"GetVariables with customData was answered with CALLERROR {exc.code} "
            f"({exc.frame.error_description!r}); every OCPP 2.0.1 class allows an optional "
            f"customData (CustomDataType: vendorId plus any vendor properties), which a "
            f"station that does not know the vendor must ignore") from None
    result = reply["getVariableResult"][0]
    assert result["attributeStatus"] == "Accepted", (
        f"GetVariables OCPPCommCtrlr.HeartbeatInterval with customData: expected Accepted, as "
        f"without customData; the station answered {result['attributeStatus']}")
