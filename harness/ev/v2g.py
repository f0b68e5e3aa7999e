"""The EVCC's V2G transport: one TCP (or TLS) connection to the SECC that SDP announced, carrying
V2GTP frames (ISO 15118-2 §7.7 / §7.8), with a journal of every frame for evidence.

Layering: :class:`V2gConnection` moves V2GTP frames; an :class:`ApplicationLayer` puts a
:class:`~harness.protocols.v2gtp.MessageCodec` on top (the raw-bytes codec now; the EXI codecs of
SupportedAppProtocol, DIN 70121 and ISO 15118-2 later) and is what a session state machine drives.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from harness.ev.sdp import SdpResult
from harness.protocols import v2gtp
from harness.protocols.sdp import Security

#: ISO 15118-2 V2G_EVCC_Msg_Timeout for most messages (FACTS.md); DIN 70121 uses the same 2 s.
MSG_TIMEOUT_S = 2.0
#: ISO 15118-2 TLS: version 1.2 and the suite TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (V2G2-067,
#: V2G2-602; the ECDH_ECDSA variant is gone from OpenSSL 3). The EVCC is TLS client (V2G2-068).
ISO15118_2_TLS12_CIPHERS = "ECDHE-ECDSA-AES128-SHA256"


@dataclass(frozen=True)
class V2gTiming:
    """EVCC timers; ``scale`` shortens them all for tests (defaults are the standard's)."""

    msg_timeout_s: float = MSG_TIMEOUT_S
    #: TCP connect (plus TLS handshake): no own timer in the standard, it is inside
    #: V2G_EVCC_CommunicationSetup_Timeout (20 s); 5 s finds a dead port long before that.
    connect_timeout_s: float = 5.0
    scale: float = 1.0

    def msg_timeout(self) -> float:
        return self.msg_timeout_s * self.scale

    def connect_timeout(self) -> float:
        return self.connect_timeout_s * self.scale


class V2gError(Exception):
    """A transport failure; the message names the peer and what happened."""


class V2gConnectError(V2gError):
    pass


class V2gTimeout(V2gError, TimeoutError):
    pass


class V2gClosed(V2gError):
    """The SECC closed the connection (or sent something that forced us to)."""


@dataclass
class JournalEntry:
    """One frame (or event) on the V2G connection."""

    direction: str  # "tx", "rx", "error" (malformed from the peer), "event" (connect, close)
    at: float  # time.monotonic()
    wall: float  # time.time()
    header: v2gtp.Header | None
    payload_hex: str
    note: str = ""  # decoded message, error reason, event

    def as_dict(self) -> dict[str, Any]:
        header = None if self.header is None else {
            "version": self.header.version, "inverse": self.header.inverse,
            "payload_type": self.header.payload_type, "payload_length": self.header.payload_length}
        return {"direction": self.direction, "at": self.at, "wall": self.wall, "header": header,
                "payload_hex": self.payload_hex, "note": self.note}

    def line(self, t0: float = 0.0) -> str:
        head = self.header.describe() if self.header else ""
        return f"{self.at - t0:9.3f} {self.direction:5} {head:32} {self.note or self.payload_hex[:64]}"


def client_tls_context(root_pems: Iterable[str] = (), *, verify: bool = True,
                       tls12_only: bool = True) -> ssl.SSLContext:
    """The EVCC's TLS client context: trust ``root_pems`` (the V2G roots), no host-name check
    (the SECC certificate names the EVSE, not an address), TLS 1.2 with the ISO 15118-2 suite."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if tls12_only:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(ISO15118_2_TLS12_CIPHERS)
    cas = "".join(root_pems)
    if cas:
        ctx.load_verify_locations(cadata=cas)
    if not verify:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class V2gConnection:
    """A V2GTP stream to the SECC: ``send``, ``receive`` (with a timeout), ``close``, ``journal``.

    Malformed frames from the SECC are handled as ISO 15118-2 §7.8.3.2 says: an unknown payload
    type or an oversize message is journaled and skipped; a wrong version / inverse closes the
    connection and ``receive`` raises :class:`V2gClosed`."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, peer: str,
                 security: Security, timing: V2gTiming | None = None,
                 max_payload: int = v2gtp.DEFAULT_MAX_PAYLOAD,
                 known_types: Iterable[int] = v2gtp.ISO15118_2_TYPES) -> None:
        self._reader = reader
        self._writer = writer
        self.peer = peer
        self.security = security
        self.timing = timing or V2gTiming()
        self._parser = v2gtp.V2gtpReader(max_payload=max_payload, known_types=known_types)
        self._frames: deque[tuple[v2gtp.Frame, JournalEntry]] = deque()
        self.journal: list[JournalEntry] = []
        #: the journal entry of the frame ``receive`` returned last (the app layer annotates it)
        self.last_received: JournalEntry | None = None
        self.closed_reason: str | None = None
        self.t0 = time.monotonic()

    # ---- evidence --------------------------------------------------------------------------
    def _log(self, direction: str, header: v2gtp.Header | None, payload: bytes = b"", note: str = ""
             ) -> JournalEntry:
        entry = JournalEntry(direction, time.monotonic(), time.time(), header, payload.hex(), note)
        self.journal.append(entry)
        return entry

    def journal_text(self) -> str:
        return "\n".join(e.line(self.t0) for e in self.journal)

    @property
    def tls_version(self) -> str | None:
        sslobj = self._writer.get_extra_info("ssl_object")
        return sslobj.version() if sslobj is not None else None

    @property
    def closed(self) -> bool:
        return self.closed_reason is not None

    # ---- frames ----------------------------------------------------------------------------
    async def send(self, payload_type: int, payload: bytes, *, note: str = "") -> None:
        await self.send_raw(v2gtp.encode(payload_type, payload), note=note)

    async def send_raw(self, data: bytes, *, note: str = "") -> None:
        """Write bytes as they are: negative cases send malformed headers through here."""
        if self.closed:
            raise V2gClosed(f"V2G connection to {self.peer} is closed ({self.closed_reason})")
        header = v2gtp.Header.unpack(data) if len(data) >= v2gtp.HEADER_LEN else None
        self._log("tx", header, data[v2gtp.HEADER_LEN:] if header else data, note)
        self._writer.write(data)
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as err:
            await self._mark_closed(f"write failed: {err}")
            raise V2gClosed(f"V2G connection to {self.peer}: write failed: {err}") from err

    async def receive(self, timeout: float | None = None, *, expecting: str = "a message"
                      ) -> tuple[int, bytes]:
        """The next V2GTP frame as (payload type, payload); :class:`V2gTimeout` after
        ``timeout`` s (default: V2G_EVCC_Msg_Timeout, scaled), :class:`V2gClosed` if the SECC
        closes. ``expecting`` names what the caller waits for, for the error message."""
        frame = await self.receive_frame(timeout, expecting=expecting)
        return frame.payload_type, frame.payload

    async def receive_frame(self, timeout: float | None = None, *, expecting: str = "a message"
                            ) -> v2gtp.Frame:
        limit = self.timing.msg_timeout() if timeout is None else timeout
        deadline = time.monotonic() + limit
        while not self._frames:
            if self.closed:
                raise V2gClosed(f"V2G connection to {self.peer} is closed ({self.closed_reason})")
            left = deadline - time.monotonic()
            if left <= 0:
                raise V2gTimeout(self._timeout_message(expecting, limit))
            try:
                data = await asyncio.wait_for(self._reader.read(65536), left)
            except TimeoutError:
                raise V2gTimeout(self._timeout_message(expecting, limit)) from None
            except (ConnectionError, OSError, ssl.SSLError) as err:
                await self._mark_closed(f"read failed: {err}")
                raise V2gClosed(f"V2G connection to {self.peer}: read failed while waiting for "
                                f"{expecting}: {err}") from err
            if not data:
                trunc = self._parser.eof()
                if trunc is not None:
                    self._log("error", trunc.header, trunc.raw, str(trunc))
                await self._mark_closed("closed by the SECC")
                raise V2gClosed(f"the SECC at {self.peer} closed the connection while we waited for "
                                f"{expecting}{f' ({trunc})' if trunc else ''}")
            for item in self._parser.feed(data):
                if isinstance(item, v2gtp.V2gtpError):
                    self._log("error", item.header, item.raw, str(item))
                    if item.action is v2gtp.Action.CLOSE:
                        await self._mark_closed(str(item))
                        raise V2gClosed(f"V2G connection to {self.peer} closed by us: {item}")
                else:
                    self._frames.append((item, self._log("rx", item.header, item.payload)))
        frame, self.last_received = self._frames.popleft()
        return frame

    async def wait_closed(self, timeout: float) -> bool:
        """True when the SECC closes the connection within ``timeout`` s (frames that arrive
        meanwhile are journaled and dropped): how a suite checks a required close."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                await self.receive_frame(left, expecting="the SECC to close the connection")
            except V2gClosed:
                return True
            except V2gTimeout:
                return False
        return self.closed

    def _timeout_message(self, expecting: str, limit: float) -> str:
        last = [e for e in self.journal if e.direction in ("tx", "rx")][-3:]
        tail = "; ".join(f"{e.direction} {e.header.describe() if e.header else '?'}"
                         f"{' ' + e.note if e.note else ''}" for e in last) or "none"
        return (f"the SECC at {self.peer} sent no V2GTP frame in {limit:g} s while we waited for "
                f"{expecting}; last frames: {tail}")

    async def _mark_closed(self, reason: str) -> None:
        if self.closed_reason is None:
            self.closed_reason = reason
            self._log("event", None, note=reason)
        self._writer.close()
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        except (TimeoutError, ConnectionError, OSError, ssl.SSLError):
            pass

    async def close(self) -> None:
        await self._mark_closed("closed by the EVCC")

    async def __aenter__(self) -> V2gConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def open_v2g(sdp: SdpResult, *, tls_context: ssl.SSLContext | None = None, interface: str | None = None,
                   timing: V2gTiming | None = None, max_payload: int = v2gtp.DEFAULT_MAX_PAYLOAD
                   ) -> V2gConnection:
    """Connect to the address and port the SECC announced, over TLS when it announced TLS
    (``tls_context`` is then required: the EVCC must be able to verify the SECC). A link-local
    address gets the scope of ``interface`` (default: the one discovery ran on)."""
    timing = timing or V2gTiming()
    iface = interface or sdp.interface
    host = f"{sdp.address}%{iface}" if sdp.address.is_link_local and iface else str(sdp.address)
    peer = f"[{host}]:{sdp.port}"
    use_tls = sdp.security is Security.TLS
    if use_tls and tls_context is None:
        raise V2gConnectError(f"the SECC announced TLS at {peer}; pass tls_context (the V2G root "
                              f"to verify it) to connect")
    if sdp.address.is_link_local and not iface:
        raise V2gConnectError(f"{sdp.address} is link-local: name the interface to reach it")
    started = time.monotonic()
    ssl_ctx = tls_context if use_tls else None
    # No SNI / host-name check unless the caller's context asks for one (V2G certificates name
    # the EVSE, not the link-local address).
    sni = "" if ssl_ctx is not None and not ssl_ctx.check_hostname else None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, sdp.port, ssl=ssl_ctx, server_hostname=sni),
            timing.connect_timeout())
    except TimeoutError:
        raise V2gConnectError(f"no TCP{'/TLS' if use_tls else ''} connection to the SECC at {peer} "
                              f"within {timing.connect_timeout():g} s") from None
    except ssl.SSLError as err:
        raise V2gConnectError(f"TLS handshake with the SECC at {peer} failed: {err}") from err
    except OSError as err:
        raise V2gConnectError(f"cannot connect to the SECC at {peer} (the port SDP announced): "
                              f"{err.strerror or err}") from err
    conn = V2gConnection(reader, writer, peer=peer, security=sdp.security, timing=timing,
                         max_payload=max_payload)
    conn.t0 = started
    version = conn.tls_version
    conn._log("event", None, note=f"connected to {peer} in {time.monotonic() - started:.3f} s"
              + (f" over {version}" if version else " (no TLS)"))
    return conn


M = TypeVar("M")


@dataclass
class ApplicationLayer(Generic[M]):
    """Messages over a V2G connection through a codec: what a session state machine drives
    (``await app.request(SessionSetupReq(...), timeout=...)``). Each journal entry gets the
    codec's one-line description of the message it carried."""

    connection: V2gConnection
    codec: v2gtp.MessageCodec
    received: list[M] = field(default_factory=list)

    async def send(self, message: M) -> None:
        await self.connection.send(self.codec.payload_type, self.codec.encode(message),
                                   note=self.codec.describe(message))

    async def receive(self, timeout: float | None = None, *, expecting: str = "a message") -> M:
        frame = await self.connection.receive_frame(timeout, expecting=expecting)
        if frame.payload_type != self.codec.payload_type:
            raise V2gError(f"the SECC at {self.connection.peer} sent payload type "
                           f"{v2gtp.payload_type_name(frame.payload_type)} while we waited for {expecting} "
                           f"({self.codec.name}, {v2gtp.payload_type_name(self.codec.payload_type)})")
        message: M = self.codec.decode(frame.payload)
        if self.connection.last_received is not None:
            self.connection.last_received.note = self.codec.describe(message)
        self.received.append(message)
        return message

    async def request(self, message: M, timeout: float | None = None, *, expecting: str | None = None) -> M:
        """Send ``message`` and return the SECC's answer (the V2G request/response pattern)."""
        await self.send(message)
        return await self.receive(timeout, expecting=expecting or f"the answer to "
                                  f"{self.codec.describe(message)}")
