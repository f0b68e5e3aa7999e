"""The harness CSMS: a websocket server stations connect to at ``ws[s]://host:port/<id>``.

It negotiates the OCPP subprotocol, checks HTTP Basic credentials (security profiles 1 and
2) or the TLS client certificate (profile 3; TLS comes through ``ssl_context``, see
:mod:`harness.csms.tls`), and hands each connection to the
station's persistent :class:`StationSession`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from harness.csms.responders import CsmsPolicy
from harness.csms.session import StationSession
from harness.protocols.ocppj import SUBPROTOCOLS


@dataclass
class StationAccount:
    """What the CSMS knows of a station before it connects."""

    station_id: str
    password: str | None = None  # None: no Basic auth (security profile 0 or client cert)


@dataclass
class CsmsConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: pick a free port
    path_prefix: str = "/"
    subprotocols: tuple[str, ...] = ("ocpp2.0.1",)
    security_profile: int = 1
    accept_unknown_stations: bool = False
    message_timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None
    accounts: dict[str, StationAccount] = field(default_factory=dict)
    policy: CsmsPolicy = field(default_factory=CsmsPolicy)


class CsmsServer:
    """Listens for stations; ``session(id)`` gives a station's session, connected or not."""

    def __init__(self, config: CsmsConfig) -> None:
        self.config = config
        self.sessions: dict[str, StationSession] = {}
        self._server: Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self._server is not None, "CSMS not started"
        return self._server.sockets[0].getsockname()[1]

    def url(self, station_id: str = "", host: str | None = None) -> str:
        scheme = "wss" if self.config.ssl_context else "ws"
        prefix = self.config.path_prefix.rstrip("/")
        return f"{scheme}://{host or self.config.host}:{self.port}{prefix}/{station_id}"

    def session(self, station_id: str) -> StationSession:
        if station_id not in self.sessions:
            version = SUBPROTOCOLS[self.config.subprotocols[0]]
            self.sessions[station_id] = StationSession(
                station_id,
                version,
                message_timeout=self.config.message_timeout,
                responders=self.config.policy.responders(version),
            )
        return self.sessions[station_id]

    async def start(self) -> CsmsServer:
        self._server = await serve(
            self._handle,
            self.config.host,
            self.config.port,
            process_request=self._process_request,
            select_subprotocol=self._select_subprotocol,
            ssl=self.config.ssl_context,
            max_size=2**22,
            ping_interval=20,
            ping_timeout=20,
        )
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def __aenter__(self) -> CsmsServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- handshake ---------------------------------------------------------------------
    def _station_id(self, path: str) -> str | None:
        prefix = self.config.path_prefix.rstrip("/") + "/"
        path = path.split("?", 1)[0]
        if not path.startswith(prefix):
            return None
        station_id = unquote(path[len(prefix):])
        return station_id if station_id and "/" not in station_id else None

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        station_id = self._station_id(request.path)
        if station_id is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "expected /<charging station id>\n")
        if station_id in self.sessions and self.sessions[station_id].refusing:
            self.sessions[station_id].journal.event("connection attempt refused with HTTP 503 "
                                                    "(simulated CSMS outage)")
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "CSMS offline (test)\n")
        account = self.config.accounts.get(station_id)
        if account is None and not self.config.accept_unknown_stations:
            self.session(station_id).journal.event(f"refused: unknown station id {station_id!r}")
            return connection.respond(HTTPStatus.NOT_FOUND, f"unknown station {station_id}\n")
        if self.config.security_profile == 3:
            problem = self._client_certificate_problem(connection, station_id)
            if problem:
                self.session(station_id).journal.event(f"refused with HTTP 401: {problem}")
                return connection.respond(HTTPStatus.UNAUTHORIZED, problem + "\n")
            self.session(station_id).journal.event(
                f"TLS client certificate accepted: CN {station_id!r} issued by a CSMS root")
        if self.config.security_profile in (1, 2) and account is not None and account.password:
            problem = _check_basic_auth(request.headers.get("Authorization"), account)
            if problem:
                self.session(station_id).journal.event(f"refused with HTTP 401: {problem}")
                return connection.respond(HTTPStatus.UNAUTHORIZED, problem + "\n")
            self.session(station_id).journal.event(
                f"HTTP Basic auth accepted: user {station_id!r} with the expected password")
        return None

    @staticmethod
    def _client_certificate_problem(connection: ServerConnection, station_id: str) -> str | None:
        """Security profile 3 (A00.FR.401..): a client certificate chaining to a CSMS root
        (the TLS handshake checked the chain) whose CN is the charging station id."""
        from harness.csms.tls import peer_common_name

        if connection.transport.get_extra_info("ssl_object") is None:
            return "security profile 3 requires TLS"
        common_name = peer_common_name(connection.transport)
        if common_name is None:
            return "security profile 3: no TLS client certificate"
        if common_name != station_id:
            return (f"security profile 3: client certificate CN {common_name!r} is not the "
                    f"charging station id")
        return None

    def _select_subprotocol(self, connection: ServerConnection, offered: Sequence[str]) -> str | None:
        # OCPP-J 3.1.2: without a common subprotocol, complete the handshake without one and
        # close right away (websockets' default would answer HTTP 400, hiding the reason).
        return next((p for p in offered if p in self.config.subprotocols), None)

    async def _handle(self, connection: ServerConnection) -> None:
        station_id = self._station_id(connection.request.path if connection.request else "")
        assert station_id is not None
        session = self.session(station_id)
        if connection.subprotocol is None:
            offered = connection.request.headers.get("Sec-WebSocket-Protocol") if connection.request else None
            session.journal.event(f"no common OCPP subprotocol (offered: {offered}); closing")
            session.on_violation("subprotocol", f"offered {offered!r}, supported "
                                 f"{list(self.config.subprotocols)}", str(offered))
            await connection.close(1002, "no supported OCPP subprotocol")
            return
        peer = "{}:{}".format(*connection.remote_address[:2])
        ssl_object = connection.transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            peer += f" over {ssl_object.version()} ({ssl_object.cipher()[0]})"
        await session.attach(connection, connection.subprotocol, peer)


def _check_basic_auth(header: str | None, account: StationAccount) -> str | None:
    """None when the Authorization header carries ``<station id>:<password>`` (A00.FR.204)."""
    if not header or not header.startswith("Basic "):
        return "HTTP Basic authorization required"
    try:
        user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "malformed Basic authorization header"
    if user != account.station_id:
        return f"username {user!r} is not the charging station id"
    if password != account.password:
        return "wrong password"
    return None
