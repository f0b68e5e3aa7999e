"""A loopback HTTP file server: receives log uploads (GetLog) and serves files (firmware).

Stations upload with PUT or POST to ``http://host:port/upload/<name>``; every request is
recorded so a test can check what arrived, and a path can be made to fail on purpose.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Upload:
    method: str
    path: str
    body: bytes
    headers: dict[str, str]


class UploadLog:
    """What stations uploaded, with a wait for the next one (shared by the HTTP and FTP servers)."""

    uploads: list[Upload]
    _changed: threading.Condition

    def _record(self, upload: Upload) -> None:
        with self._changed:
            self.uploads.append(upload)
            self._changed.notify_all()

    async def wait_upload(self, prefix: str, within: float) -> Upload:
        """The first upload whose path starts with ``prefix``, waiting up to ``within`` s."""

        def wait() -> Upload | None:
            with self._changed:
                self._changed.wait_for(
                    lambda: any(u.path.startswith(prefix) for u in self.uploads), within)
                return next((u for u in self.uploads if u.path.startswith(prefix)), None)

        upload = await asyncio.to_thread(wait)
        if upload is None:
            seen = [u.path for u in self.uploads] or "nothing"
            raise AssertionError(f"no upload to {prefix} within {within:g} s; received: {seen}")
        return upload


@dataclass
class FileServer(UploadLog):
    host: str = "127.0.0.1"  # where it listens
    public_host: str | None = None  # what URLs name (the address the station reaches); default host
    uploads: list[Upload] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)  # path prefixes answered with 500
    _server: ThreadingHTTPServer | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def url(self, path: str = "") -> str:
        return f"http://{self.public_host or self.host}:{self.port}/{path.lstrip('/')}"

    def start(self) -> FileServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _receive(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if any(self.path.startswith(p) for p in owner.failing):
                    self.send_response(500)
                    self.end_headers()
                    return
                owner._record(Upload(self.command, self.path, body, dict(self.headers)))
                self.send_response(201)
                self.end_headers()

            do_PUT = _receive
            do_POST = _receive

            def do_GET(self) -> None:
                data = owner.files.get(self.path)
                if data is None or any(self.path.startswith(p) for p in owner.failing):
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True,
                         name="harness-file-server").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
