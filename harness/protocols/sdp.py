"""SDP, the SECC Discovery Protocol of ISO 15118-2 §7.10.1 (DIN 70121 §8.7.3 uses the same frames).

The EVCC multicasts an SDP request (V2GTP payload type 0x9000, 2 bytes: security, transport
protocol) to ff02::1 on UDP port 15118; the SECC answers (0x9001, 20 bytes) with the IPv6
address and TCP port of its V2G server and the security and transport it offers. Wire format
only: which security to answer is the SECC's policy (harness.emulator.secc).
"""

from __future__ import annotations

import enum
import ipaddress
import struct
from dataclasses import dataclass

from harness.protocols import v2gtp

SDP_PORT = 15118  # UDP port of the SDP server (ISO 15118-2 Table 14 / FACTS.md)
SDP_MULTICAST = "ff02::1"  # IPv6 link-local all-nodes: where the EVCC sends its requests
REQUEST_LEN = 2
RESPONSE_LEN = 20
#: ISO 15118-2: the SECC's V2G TCP port is a dynamic port (IANA 49152-65535). Kept as a check,
#: not a parse error: on loopback tests the kernel hands out ephemeral ports below it.
DYNAMIC_PORTS = range(49152, 65536)
_RESPONSE = struct.Struct(">16sHBB")


class Security(enum.IntEnum):
    TLS = 0x00  # secured with TLS
    NONE = 0x10  # no transport layer security

    @classmethod
    def parse(cls, value: str | int | Security) -> Security:
        """"tls" / "none" (or the byte) -> Security."""
        if isinstance(value, str):
            try:
                return {"tls": cls.TLS, "none": cls.NONE}[value.lower()]
            except KeyError:
                raise ValueError(f"security {value!r}: expected 'tls' or 'none'") from None
        return cls(value)

    @property
    def label(self) -> str:
        return "tls" if self is Security.TLS else "none"


class Transport(enum.IntEnum):
    TCP = 0x00
    UDP = 0x10  # reserved for UDP: no V2G session uses it


class SdpError(ValueError):
    """A malformed SDP frame; says which field and the bytes received."""


def _security(byte: int, raw: bytes) -> Security:
    try:
        return Security(byte)
    except ValueError:
        raise SdpError(f"SDP security byte {byte:#04x} is reserved (0x00 TLS, 0x10 none); "
                       f"payload {raw.hex(' ')}") from None


def _transport(byte: int, raw: bytes) -> Transport:
    try:
        return Transport(byte)
    except ValueError:
        raise SdpError(f"SDP transport byte {byte:#04x} is reserved (0x00 TCP, 0x10 UDP); "
                       f"payload {raw.hex(' ')}") from None


@dataclass(frozen=True)
class SdpRequest:
    security: Security = Security.NONE
    transport: Transport = Transport.TCP

    def payload(self) -> bytes:
        return bytes((self.security, self.transport))

    def frame(self) -> bytes:
        return v2gtp.encode(v2gtp.SDP_REQUEST, self.payload())

    @classmethod
    def from_payload(cls, payload: bytes) -> SdpRequest:
        if len(payload) != REQUEST_LEN:
            raise SdpError(f"SDP request payload is {len(payload)} B, expected {REQUEST_LEN}: "
                           f"{bytes(payload).hex(' ')}")
        return cls(_security(payload[0], payload), _transport(payload[1], payload))

    @classmethod
    def from_frame(cls, datagram: bytes) -> SdpRequest:
        frame = v2gtp.decode_datagram(datagram)
        if frame.payload_type != v2gtp.SDP_REQUEST:
            raise SdpError(f"payload type {v2gtp.payload_type_name(frame.payload_type)}, "
                           f"expected SDP request (0x9000)")
        return cls.from_payload(frame.payload)


@dataclass(frozen=True)
class SdpResponse:
    address: ipaddress.IPv6Address
    port: int
    security: Security
    transport: Transport = Transport.TCP

    def __post_init__(self) -> None:
        if not isinstance(self.address, ipaddress.IPv6Address):
            object.__setattr__(self, "address", ipaddress.IPv6Address(self.address))
        if not 0 < self.port <= 0xFFFF:
            raise SdpError(f"SDP response port {self.port} out of 1..65535")

    @property
    def is_link_local(self) -> bool:
        """ISO 15118-2 runs on the link: the SECC announces its link-local address."""
        return self.address.is_link_local

    @property
    def port_is_dynamic(self) -> bool:
        return self.port in DYNAMIC_PORTS

    def payload(self) -> bytes:
        return _RESPONSE.pack(self.address.packed, self.port, self.security, self.transport)

    def frame(self) -> bytes:
        return v2gtp.encode(v2gtp.SDP_RESPONSE, self.payload())

    @classmethod
    def from_payload(cls, payload: bytes) -> SdpResponse:
        if len(payload) != RESPONSE_LEN:
            raise SdpError(f"SDP response payload is {len(payload)} B, expected {RESPONSE_LEN}: "
                           f"{bytes(payload).hex(' ')}")
        addr, port, sec, trans = _RESPONSE.unpack(payload)
        if port == 0:
            raise SdpError(f"SDP response announces port 0: {bytes(payload).hex(' ')}")
        return cls(ipaddress.IPv6Address(addr), port, _security(sec, payload), _transport(trans, payload))

    @classmethod
    def from_frame(cls, datagram: bytes) -> SdpResponse:
        frame = v2gtp.decode_datagram(datagram)
        if frame.payload_type != v2gtp.SDP_RESPONSE:
            raise SdpError(f"payload type {v2gtp.payload_type_name(frame.payload_type)}, "
                           f"expected SDP response (0x9001)")
        return cls.from_payload(frame.payload)
