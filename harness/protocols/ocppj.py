"""OCPP-J framing: parse, validate and build CALL / CALLRESULT / CALLERROR frames.

Wire format without policy. Payloads stay camelCase dicts, exactly as on the wire and in
the specification, so evidence and failure messages read like the OCPP documents.
JSON-schema validation uses the schemas shipped with the ``ocpp`` package.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from jsonschema.exceptions import ValidationError as SchemaValidationError
from ocpp.charge_point import remove_nones, snake_to_camel_case
from ocpp.messages import get_validator

SUBPROTOCOLS = {"ocpp2.0.1": "2.0.1", "ocpp1.6": "1.6", "ocpp2.1": "2.1"}


class MessageType(IntEnum):
    CALL = 2
    CALLRESULT = 3
    CALLERROR = 4


class ErrorCode:
    """OCPP-J 2.0.1 CALLERROR codes (Part 4, 4.3)."""

    FORMAT_VIOLATION = "FormatViolation"
    GENERIC_ERROR = "GenericError"
    INTERNAL_ERROR = "InternalError"
    MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
    NOT_IMPLEMENTED = "NotImplemented"
    NOT_SUPPORTED = "NotSupported"
    OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
    PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
    PROTOCOL_ERROR = "ProtocolError"
    RPC_FRAMEWORK_ERROR = "RpcFrameworkError"
    SECURITY_ERROR = "SecurityError"
    TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"


#: OCPP-J 1.6 (section 4.2.3) spells two codes its own way ("FormationViolation",
#: "OccurenceConstraintViolation") and has no RpcFrameworkError or MessageTypeNotSupported:
#: a malformed frame is a FormationViolation there, an unknown message type a GenericError.
ERROR_CODES_16 = {
    ErrorCode.FORMAT_VIOLATION: "FormationViolation",
    ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION: "OccurenceConstraintViolation",
    ErrorCode.RPC_FRAMEWORK_ERROR: "FormationViolation",
    ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED: "GenericError",
}


def error_code(version: str, code: str) -> str:
    """The CALLERROR code ``code`` (an :class:`ErrorCode`) as OCPP ``version`` spells it."""
    return ERROR_CODES_16.get(code, code) if version == "1.6" else code


ERROR_CODES = frozenset(v for k, v in vars(ErrorCode).items() if k.isupper())
ERROR_CODES_BY_VERSION = {
    "1.6": frozenset({"NotImplemented", "NotSupported", "InternalError", "ProtocolError",
                      "SecurityError", "FormationViolation", "PropertyConstraintViolation",
                      "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError"}),
    "2.0.1": ERROR_CODES,
    "2.1": ERROR_CODES,
}


def known_error_code(version: str, code: str | None) -> bool:
    """Whether ``code`` is a CALLERROR code of OCPP ``version`` (a 1.6 peer answering
    FormatViolation, or a 2.0.1 one FormationViolation, breaks its own version's OCPP-J)."""
    return code in ERROR_CODES_BY_VERSION.get(version, ERROR_CODES)


class FrameError(Exception):
    """A frame that is not valid OCPP-J. ``code`` is the CALLERROR code to answer with."""

    def __init__(self, code: str, description: str, unique_id: str = "-1") -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.unique_id = unique_id


@dataclass(frozen=True)
class Frame:
    """One parsed OCPP-J frame."""

    type: MessageType
    unique_id: str
    action: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error_description: str | None = None
    error_details: dict[str, Any] | None = None

    def summary(self) -> str:
        if self.type is MessageType.CALL:
            return f"{self.action}({_short(self.payload)})"
        if self.type is MessageType.CALLRESULT:
            return f"{self.action or '?'}Response({_short(self.payload)})"
        return f"CallError({self.error_code}: {self.error_description})"


def _short(payload: dict[str, Any], limit: int = 120) -> str:
    text = json.dumps(payload, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse(raw: str | bytes) -> Frame:
    """Parse one text frame; raise FrameError naming what is wrong (OCPP-J 4.1)."""
    if isinstance(raw, bytes):
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "binary frame; OCPP-J uses text frames")
    try:
        msg = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, f"invalid JSON: {exc}") from None
    except RecursionError:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal beyond int_max_str_digits
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, f"unparseable JSON: {exc}") from None
    if not isinstance(msg, list) or not msg:
        raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "frame is not a JSON array")
    type_id = msg[0]
    unique_id = msg[1] if len(msg) > 1 and isinstance(msg[1], str) else "-1"
    if type_id not in (2, 3, 4) or isinstance(type_id, bool):
        raise FrameError(
            ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, f"unknown message type id {type_id!r}", unique_id
        )
    mtype = MessageType(type_id)
    expected_len = {MessageType.CALL: 4, MessageType.CALLRESULT: 3, MessageType.CALLERROR: 5}[mtype]
    if len(msg) != expected_len:
        raise FrameError(
            ErrorCode.RPC_FRAMEWORK_ERROR,
            f"{mtype.name} frame has {len(msg)} elements, expected {expected_len}",
            unique_id,
        )
    if not isinstance(msg[1], str) or not msg[1] or len(msg[1]) > 36:
        raise FrameError(
            ErrorCode.RPC_FRAMEWORK_ERROR, f"messageId must be a string of 1..36 chars: {msg[1]!r}"
        )
    if mtype is MessageType.CALL:
        if not isinstance(msg[2], str):
            raise FrameError(ErrorCode.RPC_FRAMEWORK_ERROR, "action is not a string", unique_id)
        if not isinstance(msg[3], dict):
            raise FrameError(ErrorCode.FORMAT_VIOLATION, "payload is not an object", unique_id)
        return Frame(mtype, msg[1], action=msg[2], payload=msg[3])
    if mtype is MessageType.CALLRESULT:
        if not isinstance(msg[2], dict):
            raise FrameError(ErrorCode.FORMAT_VIOLATION, "payload is not an object", unique_id)
        return Frame(mtype, msg[1], payload=msg[2])
    code, desc, details = msg[2], msg[3], msg[4]
    if not isinstance(code, str) or not isinstance(desc, str) or not isinstance(details, dict):
        raise FrameError(ErrorCode.FORMAT_VIOLATION, "malformed CALLERROR fields", unique_id)
    return Frame(
        mtype, msg[1], error_code=code, error_description=desc, error_details=details
    )


def validate(version: str, mtype: MessageType, action: str, payload: dict[str, Any]) -> None:
    """Check a payload against the OCPP JSON schema; raise FrameError with the CALLERROR code."""
    try:
        validator = get_validator(int(mtype), action, version)
    except OSError:
        raise FrameError(ErrorCode.NOT_IMPLEMENTED, f"unknown action {action!r}") from None
    error = next(iter(sorted(validator.iter_errors(payload), key=lambda e: e.path)), None)
    if error is None:
        return
    raise FrameError(_schema_error_code(error), _describe(error))


def _schema_error_code(error: SchemaValidationError) -> str:
    if error.validator in ("required", "minItems", "maxItems"):
        return ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION
    if error.validator in ("type", "maxLength", "enum"):
        return ErrorCode.TYPE_CONSTRAINT_VIOLATION
    if error.validator in ("minimum", "maximum", "minLength"):
        return ErrorCode.PROPERTY_CONSTRAINT_VIOLATION
    return ErrorCode.FORMAT_VIOLATION


def _describe(error: SchemaValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"schema violation at {where}: {error.message}"


def new_id() -> str:
    return str(uuid.uuid4())


def call(unique_id: str, action: str, payload: dict[str, Any]) -> str:
    return json.dumps([2, unique_id, action, payload], separators=(",", ":"))


def call_result(unique_id: str, payload: dict[str, Any]) -> str:
    return json.dumps([3, unique_id, payload], separators=(",", ":"))


def call_error(
    unique_id: str, code: str, description: str = "", details: dict[str, Any] | None = None
) -> str:
    return json.dumps(
        [4, unique_id, code, description[:255], details or {}], separators=(",", ":")
    )


def to_payload(request: Any) -> tuple[str, dict[str, Any]]:
    """Turn an ``ocpp`` dataclass (e.g. ``ocpp.v201.call.Reset``) into (action, camelCase dict)."""
    if not dataclasses.is_dataclass(request):
        raise TypeError(f"expected an ocpp call dataclass, got {type(request).__name__}")
    action = type(request).__name__.removesuffix("Payload")
    data = remove_nones(dataclasses.asdict(request))
    return action, snake_to_camel_case(data)
