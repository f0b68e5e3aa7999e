"""OCPP-J framing: every kind of malformed frame gets the right CALLERROR code."""

from __future__ import annotations

import pytest

from harness.protocols import ocppj
from harness.protocols.ocppj import ErrorCode, FrameError, MessageType


def test_parses_call_result_and_error() -> None:
    call = ocppj.parse('[2,"1","Heartbeat",{}]')
    assert (call.type, call.unique_id, call.action, call.payload) == (
        MessageType.CALL, "1", "Heartbeat", {})
    result = ocppj.parse('[3,"1",{"currentTime":"2026-01-01T00:00:00Z"}]')
    assert result.type is MessageType.CALLRESULT and result.payload["currentTime"]
    error = ocppj.parse('[4,"1","NotImplemented","no",{}]')
    assert (error.error_code, error.error_description) == ("NotImplemented", "no")


@pytest.mark.parametrize(
    ("raw", "code", "unique_id"),
    [
        ("{not json", ErrorCode.RPC_FRAMEWORK_ERROR, "-1"),
        ('{"a": 1}', ErrorCode.RPC_FRAMEWORK_ERROR, "-1"),
        ("[]", ErrorCode.RPC_FRAMEWORK_ERROR, "-1"),
        ('[7,"42","Heartbeat",{}]', ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, "42"),
        ('[2,"42","Heartbeat"]', ErrorCode.RPC_FRAMEWORK_ERROR, "42"),
        ('[2,"42","Heartbeat",[]]', ErrorCode.FORMAT_VIOLATION, "42"),
        ('[2,42,"Heartbeat",{}]', ErrorCode.RPC_FRAMEWORK_ERROR, "-1"),
        ('[2,"' + "x" * 37 + '","Heartbeat",{}]', ErrorCode.RPC_FRAMEWORK_ERROR, "-1"),
        ('[true,"1","Heartbeat",{}]', ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, "1"),
        ("[" * 100_000, ErrorCode.RPC_FRAMEWORK_ERROR, "-1"),  # nesting bomb
        ('[2,"1","Heartbeat",{"n":' + "9" * 5000 + "}]", ErrorCode.RPC_FRAMEWORK_ERROR, "-1"),
    ],
)
def test_malformed_frames(raw: str, code: str, unique_id: str) -> None:
    with pytest.raises(FrameError) as info:
        ocppj.parse(raw)
    assert info.value.code == code
    assert info.value.unique_id == unique_id


def test_binary_frame_rejected() -> None:
    with pytest.raises(FrameError, match="binary"):
        ocppj.parse(b"[2]")


def test_schema_validation_codes() -> None:
    ocppj.validate("2.0.1", MessageType.CALL, "Heartbeat", {})
    with pytest.raises(FrameError) as missing:
        ocppj.validate("2.0.1", MessageType.CALL, "BootNotification", {"reason": "PowerUp"})
    assert missing.value.code == ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
    assert "chargingStation" in missing.value.description
    with pytest.raises(FrameError) as bad_enum:
        ocppj.validate("2.0.1", MessageType.CALL, "BootNotification", {
            "reason": "Sunrise", "chargingStation": {"model": "m", "vendorName": "v"}})
    assert bad_enum.value.code == ErrorCode.TYPE_CONSTRAINT_VIOLATION
    assert "reason" in bad_enum.value.description
    with pytest.raises(FrameError) as unknown:
        ocppj.validate("2.0.1", MessageType.CALL, "FlyToTheMoon", {})
    assert unknown.value.code == ErrorCode.NOT_IMPLEMENTED


def test_dataclass_requests_become_camel_case() -> None:
    from ocpp.v201 import call

    action, payload = ocppj.to_payload(call.Reset(type="Immediate", evse_id=1))
    assert action == "Reset"
    assert payload == {"type": "Immediate", "evseId": 1}


def test_call_error_description_is_bounded() -> None:
    frame = ocppj.parse(ocppj.call_error("1", "GenericError", "x" * 1000))
    assert len(frame.error_description or "") == 255
