"""The emulated charger's SECC: the SDP server and the V2GTP TCP/TLS server (ISO 15118-2 §7.7-§7.10).

The SDP server answers requests on UDP 15118 with the address and port of the V2G listener that
matches the security the EV asked for; the V2G server checks every V2GTP header (§7.8.3.2:
close on a wrong version / inverse, discard an unknown payload type or oversize message) and
hands valid payloads to a pluggable :class:`SeccApplication` — :class:`EchoApplication` until the
EXI application layer (SupportedAppProtocol, DIN 70121, ISO 15118-2) replaces it.

On loopback (``host="::1"``, the in-process emulated bench) SDP binds an ephemeral port so
parallel tests do not collide; on a bench interface (``interface="veth-secc"``) it binds UDP
15118, receives the multicast to ff02::1 on that interface only, and announces the interface's
link-local address.

Quirks (defects the interop suites must catch), switched by name in ``quirks``:
see :data:`SECC_QUIRKS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.csms.tls import load_chain
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

#: name -> (what the defective SECC does, what it breaks). The lead copies these into quirks.py.
SECC_QUIRKS: dict[str, tuple[str, str]] = {
    "sdp_wrong_port": (
        "the SDP response announces a TCP port nothing listens on",
        "the EVCC's TCP connect to the announced port is refused: no V2G session"),
    "sdp_ignores_security": (
        "the SDP response announces the SECC's own preference (TLS when it has a TLS listener) "
        "whatever security the EV asked for",
        "an EV asking for no TLS (every DIN 70121 EV) is sent to a TLS port it cannot use"),
    "sdp_slow_response": (
        "answers each SDP request only after 1 s, i.e. after the EVCC has repeated it 4 times",
        "SDP answered within the EVCC's 250 ms retransmission interval"),
    "v2gtp_accepts_bad_header": (
        "takes a V2GTP frame with a wrong protocol version or inverse as valid",
        "ISO 15118-2 §7.8.3.2: a wrong version / inverse must close the TCP connection"),
}

#: ISO 15118-2 V2G_SECC_Sequence_Timeout (FACTS.md): no request for 60 s ends the session.
SEQUENCE_TIMEOUT_S = 60.0
#: the delay of quirk ``sdp_slow_response``: four EVCC retries at 250 ms.
SLOW_SDP_DELAY_S = 1.0


@dataclass(frozen=True)
class SeccTiming:
    """SECC timers; ``scale`` shortens them for tests (defaults are the standard's / the quirk's)."""

    sequence_timeout_s: float = SEQUENCE_TIMEOUT_S
    slow_sdp_delay_s: float = SLOW_SDP_DELAY_S
    scale: float = 1.0

    def sequence_timeout(self) -> float:
        return self.sequence_timeout_s * self.scale

    def slow_sdp_delay(self) -> float:
        return self.slow_sdp_delay_s * self.scale


@dataclass
class SeccEvent:
    """One entry of the SECC's journal: SDP datagrams, V2GTP frames, header errors, connections."""

    kind: str  # "sdp-rx", "sdp-tx", "sdp-ignored", "rx", "tx", "error", "open", "close"
    at: float
    peer: str
    raw_hex: str = ""
    note: str = ""


class SeccSession:
    """One V2G connection from an EV, as the application sees it."""

    def __init__(self, secc: Secc, writer: asyncio.StreamWriter, peer: str, security: Security) -> None:
        self.secc = secc
        self._writer = writer
        self.peer = peer
        self.security = security
        self.opened_at = time.monotonic()
        self.closed_reason: str | None = None
        self.state: dict[str, Any] = {}  # the application's per-session state
        self.closed = asyncio.Event()

    @property
    def tls_version(self) -> str | None:
        sslobj = self._writer.get_extra_info("ssl_object")
        return sslobj.version() if sslobj is not None else None

    async def send(self, payload_type: int, payload: bytes, *, note: str = "") -> None:
        data = v2gtp.encode(payload_type, payload)
        self.secc._log("tx", self.peer, data, note)
        self._writer.write(data)
        await self._writer.drain()

    def close(self, reason: str) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            self.secc._log("close", self.peer, note=reason)
        self._writer.close()


class SeccApplication(Protocol):
    """The application layer behind the V2GTP server (the EXI session handlers plug in here)."""

    async def on_message(self, session: SeccSession, frame: v2gtp.Frame) -> tuple[int, bytes] | None:
        """Answer one valid frame with (payload type, payload), or None to send nothing."""
        ...


class EchoApplication:
    """Placeholder: answers every frame with the same payload type and payload."""

    async def on_message(self, session: SeccSession, frame: v2gtp.Frame) -> tuple[int, bytes] | None:
        return frame.payload_type, frame.payload


def link_local_address(interface: str, *, timeout: float = 3.0) -> ipaddress.IPv6Address:
    """The interface's link-local IPv6 address, once duplicate address detection is over (a
    tentative address cannot be bound). Linux: read from /proc/net/if_inet6."""
    deadline = time.monotonic() + timeout
    seen = "no link-local address"
    while True:
        for line in Path("/proc/net/if_inet6").read_text().splitlines():
            hexaddr, _idx, _plen, scope, flags, name = line.split()
            if name != interface or int(scope, 16) != 0x20:
                continue
            addr = ipaddress.IPv6Address(bytes.fromhex(hexaddr))
            if int(flags, 16) & 0x40:  # IFA_F_TENTATIVE: DAD still running
                seen = f"{addr} still tentative (DAD)"
                continue
            return addr
        if time.monotonic() >= deadline:
            raise OSError(f"interface {interface!r}: {seen} after {timeout:g} s")
        time.sleep(0.05)


class _SdpServer(asyncio.DatagramProtocol):
    def __init__(self, secc: Secc) -> None:
        self.secc = secc
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.secc._on_sdp(data, addr)


def _peer(addr: tuple) -> str:
    host = addr[0]
    if len(addr) > 3 and addr[3] and "%" not in host:
        host = f"{host}%{addr[3]}"
    return f"[{host}]:{addr[1]}"


class Secc:
    """The emulated SECC. ``async with Secc(...) as secc:`` starts SDP and the V2G listeners.

    ``tls_context`` (a server context; see :func:`server_tls_context`) adds a TLS listener;
    ``plain_tcp=False`` leaves TLS only. ``sdp_port`` None means 15118 on an interface and an
    ephemeral port on loopback (read it back from :attr:`sdp_address`)."""

    def __init__(self, *, host: str = "::1", interface: str | None = None, sdp_port: int | None = None,
                 tls_context: ssl.SSLContext | None = None, plain_tcp: bool = True,
                 quirks: Iterable[str] = frozenset(), application: SeccApplication | None = None,
                 timing: SeccTiming | None = None, max_payload: int = v2gtp.DEFAULT_MAX_PAYLOAD,
                 known_types: Iterable[int] = frozenset({v2gtp.EXI})) -> None:
        unknown = set(quirks) - set(SECC_QUIRKS)
        if unknown:
            raise ValueError(f"unknown SECC quirks {sorted(unknown)}; known: {sorted(SECC_QUIRKS)}")
        if not plain_tcp and tls_context is None:
            raise ValueError("a SECC without plain TCP needs a tls_context")
        self.interface = interface
        self.host = host
        self.quirks = frozenset(quirks)
        self.tls_context = tls_context
        self.plain_tcp = plain_tcp
        self.application: SeccApplication = application or EchoApplication()
        self.timing = timing or SeccTiming()
        self.max_payload = max_payload
        self.known_types = frozenset(known_types)
        self._sdp_port_arg = sdp_port
        self.journal: list[SeccEvent] = []
        self.sessions: list[SeccSession] = []
        self._new_session = asyncio.Condition()
        self._servers: list[asyncio.Server] = []
        self._sdp: _SdpServer | None = None
        self._sdp_sock: socket.socket | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.address: ipaddress.IPv6Address = ipaddress.IPv6Address(host.split("%")[0])
        self.scope_id = 0
        self.tcp_port: int | None = None
        self.tls_port: int | None = None
        self.sdp_port: int | None = None
        self.dead_port: int | None = None  # quirk sdp_wrong_port

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> Secc:
        loop = asyncio.get_running_loop()
        if self.interface:
            self.scope_id = socket.if_nametoindex(self.interface)
            if self.host == "::1":  # the default: take the interface's own link-local address
                self.address = await asyncio.to_thread(link_local_address, self.interface)
        try:
            if self.plain_tcp:
                self.tcp_port = await self._listen(None)
            if self.tls_context is not None:
                self.tls_port = await self._listen(self.tls_context)
            if "sdp_wrong_port" in self.quirks:
                self.dead_port = self._unused_port()
            sock = self._sdp_socket()
            self._sdp_sock = sock
            _transport, self._sdp = await loop.create_datagram_endpoint(lambda: _SdpServer(self), sock=sock)
            self.sdp_port = sock.getsockname()[1]
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        if self._sdp is not None and self._sdp.transport is not None:
            self._sdp.transport.close()
        self._sdp = None
        for server in self._servers:
            server.close()
        for session in list(self.sessions):
            session.close("SECC stopped")
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        self._servers.clear()

    async def __aenter__(self) -> Secc:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def sdp_address(self) -> tuple[str, int]:
        """Where to send SDP requests by unicast (the emulated bench's ``target``)."""
        if self.sdp_port is None:
            raise RuntimeError("SECC not started")
        host = f"{self.address}%{self.interface}" if self.address.is_link_local and self.interface \
            else str(self.address)
        return host, self.sdp_port

    def _bind_addr(self, port: int) -> tuple:
        return (str(self.address), port, 0, self.scope_id if self.address.is_link_local else 0)

    async def _listen(self, ctx: ssl.SSLContext | None) -> int:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(self._bind_addr(0))
        security = Security.TLS if ctx is not None else Security.NONE
        server = await asyncio.start_server(
            lambda r, w: self._serve(r, w, security), sock=sock, ssl=ctx,
            ssl_handshake_timeout=5.0 if ctx is not None else None)
        self._servers.append(server)
        return sock.getsockname()[1]

    def _unused_port(self) -> int:
        """A port nothing listens on: bound, then released (kept from our own listeners' range)."""
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(self._bind_addr(0))
            return probe.getsockname()[1]

    def _sdp_socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.setblocking(False)
        if self.interface:
            port = SDP_PORT if self._sdp_port_arg is None else self._sdp_port_arg
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # The requests come to ff02::1 on this link: bind the wildcard, join all-nodes on the
            # bench interface, and drop datagrams from other interfaces (_on_sdp).
            sock.bind(("::", port, 0, 0))
            mreq = socket.inet_pton(socket.AF_INET6, SDP_MULTICAST) + struct.pack("@I", self.scope_id)
            with contextlib.suppress(OSError):  # already a member: every node is in ff02::1
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        else:
            port = 0 if self._sdp_port_arg is None else self._sdp_port_arg
            sock.bind(self._bind_addr(port))
        return sock

    # ---- journal ---------------------------------------------------------------------------
    def _log(self, kind: str, peer: str, raw: bytes = b"", note: str = "") -> None:
        self.journal.append(SeccEvent(kind, time.monotonic(), peer, raw.hex(), note))

    def events(self, kind: str) -> list[SeccEvent]:
        return [e for e in self.journal if e.kind == kind]

    # ---- SDP -------------------------------------------------------------------------------
    def _on_sdp(self, data: bytes, addr: tuple) -> None:
        peer = _peer(addr)
        if self.interface and len(addr) > 3 and addr[3] and addr[3] != self.scope_id:
            return  # another link's discovery
        self._log("sdp-rx", peer, data)
        try:
            request = SdpRequest.from_frame(data)
        except (v2gtp.V2gtpError, SdpError) as err:
            # An invalid request gets no answer: the EVCC retries (ISO 15118-2 §7.10.1).
            self._log("sdp-ignored", peer, data, str(err))
            return
        response = self._answer(request)
        delay = self.timing.slow_sdp_delay() if "sdp_slow_response" in self.quirks else 0.0
        task = asyncio.get_running_loop().create_task(self._send_sdp(response, addr, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _answer(self, request: SdpRequest) -> SdpResponse:
        """The security the EV asked for if we offer it, else the one we offer (the EVCC then
        decides whether to go on, ISO 15118-2 §7.10.1)."""
        has_tls, has_tcp = self.tls_port is not None, self.tcp_port is not None
        if "sdp_ignores_security" in self.quirks or request.security is Security.TLS:
            security = Security.TLS if has_tls else Security.NONE
        else:
            security = Security.NONE if has_tcp else Security.TLS
        port = self.tls_port if security is Security.TLS else self.tcp_port
        assert port is not None
        if self.dead_port is not None:
            port = self.dead_port
        return SdpResponse(self.address, port, security, Transport.TCP)

    async def _send_sdp(self, response: SdpResponse, addr: tuple, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)  # the quirk's defect is the delay itself
        if self._sdp is None or self._sdp.transport is None:
            return
        frame = response.frame()
        self._log("sdp-tx", _peer(addr), frame,
                  f"[{response.address}]:{response.port} security {response.security.label}")
        self._sdp.transport.sendto(frame, addr)

    # ---- V2GTP -----------------------------------------------------------------------------
    async def wait_session(self, timeout: float, index: int = 0) -> SeccSession:
        """The ``index``-th V2G connection (0: the first), once it is open, within ``timeout`` s."""
        async with self._new_session:
            await asyncio.wait_for(self._new_session.wait_for(lambda: len(self.sessions) > index), timeout)
        return self.sessions[index]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     security: Security) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        peer = _peer(writer.get_extra_info("peername") or ("?", 0))
        session = SeccSession(self, writer, peer, security)
        self.sessions.append(session)
        self._log("open", peer, note=f"V2G connection ({session.tls_version or 'no TLS'})")
        async with self._new_session:
            self._new_session.notify_all()
        parser = v2gtp.V2gtpReader(max_payload=self.max_payload, known_types=self.known_types,
                                   lenient="v2gtp_accepts_bad_header" in self.quirks)
        try:
            while session.closed_reason is None:
                try:
                    data = await asyncio.wait_for(reader.read(65536), self.timing.sequence_timeout())
                except TimeoutError:
                    session.close(f"V2G_SECC_Sequence_Timeout: no message for "
                                  f"{self.timing.sequence_timeout():g} s")
                    break
                if not data:
                    trunc = parser.eof()
                    if trunc is not None:
                        self._log("error", peer, trunc.raw, str(trunc))
                    session.close("closed by the EVCC")
                    break
                for item in parser.feed(data):
                    if isinstance(item, v2gtp.V2gtpError):
                        self._log("error", peer, item.raw, str(item))
                        if item.action is v2gtp.Action.CLOSE:
                            session.close(str(item))
                            break
                        continue
                    self._log("rx", peer, item.pack())
                    answer = await self.application.on_message(session, item)
                    if answer is not None:
                        await session.send(*answer)
        except (ConnectionError, OSError, ssl.SSLError) as err:
            session.close(f"connection error: {err}")
        finally:
            session.close(session.closed_reason or "ended")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
            session.closed.set()
            if task is not None:
                self._tasks.discard(task)


def server_tls_context(chain_pem: str, key_pem: str, *, tls12_only: bool = True) -> ssl.SSLContext:
    """The SECC's TLS server context (ISO 15118-2: the SECC is the TLS server, V2G2-068; TLS 1.2
    with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, V2G2-602). ``chain_pem`` is the SECC leaf and
    its sub-CAs (a :class:`harness.pki.Issued` ``chain_pem``)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA256")
    load_chain(ctx, chain_pem, key_pem)
    return ctx


__all__ = ["SECC_QUIRKS", "EchoApplication", "Secc", "SeccApplication", "SeccEvent", "SeccSession",
           "SeccTiming", "link_local_address", "server_tls_context"]
