"""V2GTP, the V2G Transfer Protocol framing of ISO 15118-2 §7.8.3 (DIN 70121 §8.7.3 is the same).

Every SDP datagram and every message on the V2G TCP/TLS connection is an 8-byte header —
protocol version 0x01, its inverse 0xFE, payload type (2 bytes, big endian), payload length
(4 bytes, big endian) — followed by the payload. This module is wire format only: what a
receiver *does* with a malformed header is given as data (:class:`Action`) so the SECC and the
EVCC apply it, and a defective SECC (a quirk) can choose not to.

Header processing, ISO 15118-2 §7.8.3.2 (the order of the checks is the standard's):
  1. protocol version / inverse protocol version do not match -> the message is not V2GTP:
     close the TCP connection (UDP: discard the datagram);
  2. unknown payload type -> discard the message (skip its payload), keep the connection;
  3. payload length larger than the receiver's buffer -> discard the message;
  4. (UDP only) payload length different from the datagram's remaining bytes -> discard.
The requirement numbers of these steps could not be confirmed from a public copy of the
standard; the clause and the actions are those of the ISO 15118-2:2014 figure "V2GTP header
processing" as quoted by open implementations.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

HEADER_LEN = 8
PROTOCOL_VERSION = 0x01
INVERSE_PROTOCOL_VERSION = 0xFE
_HEADER = struct.Struct(">BBHI")
UINT32_MAX = 0xFFFF_FFFF

# ---- payload types -------------------------------------------------------------------------
#: ISO 15118-2 Table 10 (and DIN 70121): the only three a -2 / DIN entity knows.
EXI = 0x8001  # EXI-encoded V2G message (SupportedAppProtocol, DIN 70121, ISO 15118-2)
SDP_REQUEST = 0x9000
SDP_RESPONSE = 0x9001
ISO15118_2_TYPES: frozenset[int] = frozenset({EXI, SDP_REQUEST, SDP_RESPONSE})

#: ISO 15118-20 Table 12 adds these (15118-20 only: a -2 / DIN SECC rejects them as unknown).
#: 0x8001 is the SupportedAppProtocol (SAP) stream there.
ISO15118_20_ONLY: dict[int, str] = {
    0x8002: "15118-20 common messages (mainstream)",
    0x8003: "15118-20 AC messages",
    0x8004: "15118-20 DC messages",
    0x8005: "15118-20 ACDP messages",
    0x8006: "15118-20 WPT messages",
    0x8101: "15118-20 schedule renegotiation",
    0x8102: "15118-20 metering confirmation",
    0x8103: "15118-20 ACDP system status",
    0x8104: "15118-20 parking status",
    0x9002: "15118-20 SDP request (wireless / ACDP)",
    0x9003: "15118-20 SDP response (wireless / ACDP)",
}
ISO15118_20_TYPES: frozenset[int] = ISO15118_2_TYPES | frozenset(ISO15118_20_ONLY)

PAYLOAD_TYPE_NAMES: dict[int, str] = {
    EXI: "EXI", SDP_REQUEST: "SDP request", SDP_RESPONSE: "SDP response", **ISO15118_20_ONLY}

#: Our receive buffer: the standard leaves the maximum to the implementation. 64 KiB holds the
#: largest ISO 15118-2 message (CertificateInstallationRes with chains) with room to spare.
DEFAULT_MAX_PAYLOAD = 65_536


def payload_type_name(payload_type: int) -> str:
    """"EXI", "SDP request", ... or "0x1234 (unknown)"; 0xA000-0xFFFF are manufacturer specific."""
    if payload_type in PAYLOAD_TYPE_NAMES:
        return PAYLOAD_TYPE_NAMES[payload_type]
    if payload_type >= 0xA000:
        return f"0x{payload_type:04X} (manufacturer specific)"
    return f"0x{payload_type:04X} (unknown)"


class Action(enum.Enum):
    """What the receiver must do with a malformed message (ISO 15118-2 §7.8.3.2)."""

    CLOSE = "close"  # not V2GTP at all: close the TCP connection (UDP: drop the datagram)
    DISCARD = "discard"  # drop this message, keep the connection and read the next one


class Reason(enum.Enum):
    TRUNCATED = "truncated"
    WRONG_VERSION = "wrong protocol version"
    INVERSE_MISMATCH = "inverse protocol version mismatch"
    UNKNOWN_PAYLOAD_TYPE = "unknown payload type"
    PAYLOAD_TOO_LARGE = "payload length larger than the receive buffer"
    LENGTH_MISMATCH = "payload length differs from the datagram"


_ACTIONS = {
    Reason.TRUNCATED: Action.CLOSE,
    Reason.WRONG_VERSION: Action.CLOSE,
    Reason.INVERSE_MISMATCH: Action.CLOSE,
    Reason.UNKNOWN_PAYLOAD_TYPE: Action.DISCARD,
    Reason.PAYLOAD_TOO_LARGE: Action.DISCARD,
    Reason.LENGTH_MISMATCH: Action.DISCARD,
}


class V2gtpError(ValueError):
    """A malformed V2GTP message: the reason, the action the receiver owes, and the bytes."""

    def __init__(self, reason: Reason, detail: str, raw: bytes, header: Header | None = None) -> None:
        self.reason = reason
        self.action = _ACTIONS[reason]
        self.raw = bytes(raw)
        self.header = header
        super().__init__(f"V2GTP {reason.value}: {detail} (header {self.raw[:HEADER_LEN].hex(' ')}; "
                         f"ISO 15118-2 §7.8.3.2: {self.action.value})")


@dataclass(frozen=True)
class Header:
    version: int
    inverse: int
    payload_type: int
    payload_length: int

    @classmethod
    def unpack(cls, raw: bytes) -> Header:
        """The four fields of 8 bytes as they are, unchecked (for journals of malformed frames)."""
        return cls(*_HEADER.unpack(bytes(raw[:HEADER_LEN])))

    def pack(self) -> bytes:
        return _HEADER.pack(self.version, self.inverse, self.payload_type, self.payload_length)

    def describe(self) -> str:
        return (f"v{self.version:#04x}/{self.inverse:#04x} {payload_type_name(self.payload_type)} "
                f"{self.payload_length} B")


@dataclass(frozen=True)
class Frame:
    header: Header
    payload: bytes

    @property
    def payload_type(self) -> int:
        return self.header.payload_type

    def pack(self) -> bytes:
        return self.header.pack() + self.payload


def encode(payload_type: int, payload: bytes, *, version: int = PROTOCOL_VERSION,
           inverse: int | None = None) -> bytes:
    """Header + payload. ``version`` / ``inverse`` exist so tests and negative cases can write
    a malformed header on purpose; the default is the only valid one."""
    if not 0 <= payload_type <= 0xFFFF:
        raise ValueError(f"payload type {payload_type:#x} does not fit 2 bytes")
    if len(payload) > UINT32_MAX:
        raise ValueError(f"payload of {len(payload)} B does not fit the 4-byte length")
    inv = (~version & 0xFF) if inverse is None else inverse
    return _HEADER.pack(version, inv, payload_type, len(payload)) + bytes(payload)


def decode_header(data: bytes, *, max_payload: int = DEFAULT_MAX_PAYLOAD,
                  known_types: Iterable[int] = ISO15118_2_TYPES) -> Header:
    """The header at the start of ``data``, checked in the order of ISO 15118-2 §7.8.3.2.

    Raises :class:`V2gtpError` (``.reason``, ``.action``) for: fewer than 8 bytes, a version
    other than 0x01, an inverse that is not the version's complement, a payload type not in
    ``known_types``, a length over ``max_payload``."""
    raw = bytes(data[:HEADER_LEN])
    known = frozenset(known_types)
    if len(raw) < HEADER_LEN:
        raise V2gtpError(Reason.TRUNCATED, f"{len(raw)} of {HEADER_LEN} header bytes", raw)
    header = Header(*_HEADER.unpack(raw))
    if header.version != PROTOCOL_VERSION:
        raise V2gtpError(Reason.WRONG_VERSION,
                         f"version {header.version:#04x}, expected {PROTOCOL_VERSION:#04x}", raw, header)
    if header.inverse != (~header.version & 0xFF):
        raise V2gtpError(Reason.INVERSE_MISMATCH,
                         f"inverse {header.inverse:#04x}, expected {INVERSE_PROTOCOL_VERSION:#04x}",
                         raw, header)
    if header.payload_type not in known:
        name = payload_type_name(header.payload_type)
        detail = name if name.startswith("0x") else f"0x{header.payload_type:04X} ({name})"
        raise V2gtpError(Reason.UNKNOWN_PAYLOAD_TYPE, f"{detail} not among "
                         f"{', '.join(f'0x{t:04X}' for t in sorted(known))}", raw, header)
    if header.payload_length > max_payload:
        raise V2gtpError(Reason.PAYLOAD_TOO_LARGE,
                         f"{header.payload_length} B announced, buffer {max_payload} B", raw, header)
    return header


def decode_datagram(data: bytes, *, max_payload: int = DEFAULT_MAX_PAYLOAD,
                    known_types: Iterable[int] = ISO15118_2_TYPES) -> Frame:
    """One UDP datagram (SDP): the header checks, then the length must match exactly."""
    header = decode_header(data, max_payload=max_payload, known_types=known_types)
    payload = bytes(data[HEADER_LEN:])
    if len(payload) != header.payload_length:
        raise V2gtpError(Reason.LENGTH_MISMATCH,
                         f"header says {header.payload_length} B, datagram carries {len(payload)} B",
                         data, header)
    return Frame(header, payload)


class V2gtpReader:
    """Streaming V2GTP parser for TCP: feed it whatever ``recv`` returned; it returns the whole
    frames found so far (split frames are buffered, coalesced frames are separated).

    Malformed headers come back in the same list as :class:`V2gtpError` values, in stream
    order, so the caller journals them and acts: after a ``DISCARD`` error the reader skips that
    message's payload and goes on; after a ``CLOSE`` error it is dead (the stream cannot be
    resynchronised) and ``feed`` raises. ``lenient=True`` is a defective receiver's reader: it
    takes any version / inverse as if valid (quirk ``v2gtp_accepts_bad_header``)."""

    def __init__(self, *, max_payload: int = DEFAULT_MAX_PAYLOAD,
                 known_types: Iterable[int] = ISO15118_2_TYPES, lenient: bool = False) -> None:
        self.max_payload = max_payload
        self.known_types = frozenset(known_types)
        self.lenient = lenient
        self._buffer = bytearray()
        self._header: Header | None = None
        self._skip = 0
        self.closed_by: V2gtpError | None = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame | V2gtpError]:
        if self.closed_by is not None:
            raise RuntimeError(f"V2GTP stream already failed: {self.closed_by}")
        self._buffer += data
        out: list[Frame | V2gtpError] = []
        while True:
            if self._skip:
                n = min(self._skip, len(self._buffer))
                del self._buffer[:n]
                self._skip -= n
                if self._skip:
                    return out
            if self._header is None:
                if len(self._buffer) < HEADER_LEN:
                    return out
                try:
                    self._header = self._decode(bytes(self._buffer[:HEADER_LEN]))
                except V2gtpError as err:
                    out.append(err)
                    if err.action is Action.CLOSE:
                        self.closed_by = err
                        return out
                    del self._buffer[:HEADER_LEN]
                    assert err.header is not None
                    self._skip = err.header.payload_length
                    continue
                del self._buffer[:HEADER_LEN]
            need = self._header.payload_length
            if len(self._buffer) < need:
                return out
            out.append(Frame(self._header, bytes(self._buffer[:need])))
            del self._buffer[:need]
            self._header = None

    def eof(self) -> V2gtpError | None:
        """The peer closed: a half-received frame is a truncated message (None if clean)."""
        if self._header is None and not self._buffer and not self._skip:
            return None
        got = len(self._buffer)
        if self._header is None:
            return V2gtpError(Reason.TRUNCATED, f"stream ended after {got} of {HEADER_LEN} header bytes",
                              bytes(self._buffer))
        return V2gtpError(Reason.TRUNCATED, f"stream ended after {got} of "
                          f"{self._header.payload_length} payload bytes", self._header.pack(), self._header)

    def _decode(self, raw: bytes) -> Header:
        if self.lenient:
            version, inverse, ptype, length = _HEADER.unpack(raw)
            lax = _HEADER.pack(PROTOCOL_VERSION, INVERSE_PROTOCOL_VERSION, ptype, length)
            decode_header(lax, max_payload=self.max_payload, known_types=self.known_types)
            return Header(version, inverse, ptype, length)
        return decode_header(raw, max_payload=self.max_payload, known_types=self.known_types)


# ---- the application layer's plug: message codecs -------------------------------------------
@runtime_checkable
class MessageCodec(Protocol):
    """Turns application messages into V2GTP payloads and back. The EXI codecs (SupportedAppProtocol,
    DIN 70121, ISO 15118-2) implement this; both the EV and the emulated SECC use the same codec."""

    name: str
    payload_type: int

    def encode(self, message: Any) -> bytes: ...

    def decode(self, payload: bytes) -> Any: ...

    def describe(self, message: Any) -> str:
        """One line for the journal, e.g. "SessionSetupReq(EVCCID=...)"."""
        ...


class RawCodec:
    """The placeholder codec: messages are the payload bytes themselves (EXI payload type)."""

    name = "raw"

    def __init__(self, payload_type: int = EXI) -> None:
        self.payload_type = payload_type

    def encode(self, message: Any) -> bytes:
        if not isinstance(message, bytes | bytearray | memoryview):
            raise TypeError(f"RawCodec encodes bytes, got {type(message).__name__}")
        return bytes(message)

    def decode(self, payload: bytes) -> bytes:
        return bytes(payload)

    def describe(self, message: Any) -> str:
        data = bytes(message)
        return f"{len(data)} B {data[:32].hex()}{'…' if len(data) > 32 else ''}"
