"""The EVCC's SDP client: find the charger's SECC after SLAC (ISO 15118-2 §7.10.1).

On a real bench the request is multicast to [ff02::1]:15118 on the interface of the HomePlug
modem (link-local, so the interface's scope id is needed); the emulated bench runs in one
process and passes ``target=("::1", port)`` for a unicast on loopback. The EVCC repeats the
request every 250 ms, up to 50 requests (FACTS.md, "V2G transport"; whether 50 counts the
first request is *verify*: here it is the total number of requests sent).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass, field

from harness.protocols import v2gtp
from harness.protocols.sdp import (
    SDP_MULTICAST,
    SDP_PORT,
    SdpError,
    SdpRequest,
    SdpResponse,
    Security,
    Transport,
)

SDP_RETRY_INTERVAL_S = 0.25
SDP_MAX_REQUESTS = 50


class SdpTimeout(TimeoutError):
    """No valid SDP response within the retries; the message says what was sent where."""

    def __init__(self, message: str, frames: list[SdpFrame]) -> None:
        super().__init__(message)
        self.frames = frames


@dataclass(frozen=True)
class SdpFrame:
    """One datagram of the discovery, for evidence."""

    direction: str  # "tx" | "rx"
    at: float  # time.monotonic()
    peer: str  # "[addr%scope]:port"
    raw: bytes
    note: str = ""  # "request 3", "SDP response", or why a datagram was ignored

    def as_dict(self) -> dict[str, object]:
        return {"direction": self.direction, "at": self.at, "peer": self.peer, "hex": self.raw.hex(),
                "note": self.note}


@dataclass(frozen=True)
class SdpResult:
    """What the SECC announced, and how discovery went."""

    address: ipaddress.IPv6Address
    port: int
    security: Security
    transport: Transport
    requested: SdpRequest
    requests_sent: int
    time_to_answer_s: float  # first request sent -> valid response received
    responder: str  # source address of the response, "[addr%scope]:port"
    interface: str | None  # where the discovery ran; the TCP connection needs its scope id
    scope_id: int
    frames: list[SdpFrame] = field(default_factory=list)

    @property
    def response(self) -> SdpResponse:
        return SdpResponse(self.address, self.port, self.security, self.transport)

    @property
    def security_matches_request(self) -> bool:
        return self.security == self.requested.security

    def host(self) -> str:
        """The address to connect to: link-local addresses carry the interface's scope."""
        if self.address.is_link_local and self.interface:
            return f"{self.address}%{self.interface}"
        return str(self.address)


def _peer(addr: tuple) -> str:
    host, port = addr[0], addr[1]
    scope = addr[3] if len(addr) > 3 and addr[3] else 0
    if scope and "%" not in host:
        host = f"{host}%{scope}"
    return f"[{host}]:{port}"


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[bytes, tuple, float]] = asyncio.Queue()
        self.error: Exception | None = None

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.queue.put_nowait((data, addr, time.monotonic()))

    def error_received(self, exc: Exception) -> None:  # ICMP unreachable on loopback, for instance
        self.error = exc


def _socket(interface: str | None, scope_id: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.setblocking(False)
    if interface:
        # The multicast leaves through the bench interface, never the host's default route.
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, scope_id)
    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)  # link-local: one hop
    sock.bind(("::", 0, 0, 0))
    return sock


async def discover(*, interface: str | None, security: str | Security = "none",
                   retries: int = SDP_MAX_REQUESTS, interval: float = SDP_RETRY_INTERVAL_S,
                   target: tuple[str, int] | None = None, sdp_port: int = SDP_PORT) -> SdpResult:
    """Send SDP requests until a valid response arrives: every ``interval`` s, at most
    ``retries`` requests, then :class:`SdpTimeout`.

    ``interface`` names the bench interface (its scope id goes on the multicast and on a
    link-local answer); ``target`` replaces the multicast with a unicast (emulated bench on
    loopback). Invalid datagrams (bad V2GTP header, wrong payload type, bad fields) are kept in
    ``frames`` with the reason and do not stop the discovery."""
    if retries < 1:
        raise ValueError("retries must be at least 1")
    request = SdpRequest(Security.parse(security), Transport.TCP)
    scope_id = socket.if_nametoindex(interface) if interface else 0
    if target is None:
        if not interface:
            raise ValueError("SDP multicast to ff02::1 needs the bench interface (or a unicast target)")
        dest: tuple = (SDP_MULTICAST, sdp_port, 0, scope_id)
    else:
        host, port = target
        addr = ipaddress.IPv6Address(host.split("%")[0])
        dest = (str(addr), port, 0, scope_id if addr.is_link_local else 0)
    loop = asyncio.get_running_loop()
    sock = _socket(interface, scope_id)
    transport, inbox = await loop.create_datagram_endpoint(_Inbox, sock=sock)
    frames: list[SdpFrame] = []
    payload = request.frame()
    first_sent = 0.0
    sent = 0
    try:
        for sent in range(1, retries + 1):
            now = time.monotonic()
            first_sent = first_sent or now
            transport.sendto(payload, dest)
            frames.append(SdpFrame("tx", now, _peer(dest), payload, f"request {sent}"))
            deadline = now + interval
            while (left := deadline - time.monotonic()) > 0:
                try:
                    data, src, at = await asyncio.wait_for(inbox.queue.get(), left)
                except TimeoutError:
                    break
                try:
                    response = SdpResponse.from_frame(data)
                except (v2gtp.V2gtpError, SdpError) as err:
                    frames.append(SdpFrame("rx", at, _peer(src), data, f"ignored: {err}"))
                    continue
                frames.append(SdpFrame("rx", at, _peer(src), data, "SDP response"))
                return SdpResult(response.address, response.port, response.security, response.transport,
                                 request, sent, at - first_sent, _peer(src), interface, scope_id, frames)
    finally:
        transport.close()
    ignored = [f.note for f in frames if f.direction == "rx"]
    where = f"[{dest[0]}{'%' + interface if interface and dest[3] else ''}]:{dest[1]}"
    message = (f"no valid SDP response from the SECC to {sent} requests (security {request.security.label}, "
               f"TCP) sent every {interval * 1000:g} ms to {where} over "
               f"{time.monotonic() - first_sent:.2f} s")
    if ignored:
        message += f"; {len(ignored)} datagrams ignored, last: {ignored[-1]}"
    if inbox.error is not None:
        message += f"; socket error: {inbox.error}"
    raise SdpTimeout(message, frames)
