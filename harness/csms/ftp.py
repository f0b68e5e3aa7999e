"""A loopback FTP file server, for stations that only speak FTP for log uploads and firmware.

The same interface as :class:`harness.csms.files.FileServer` (``url``, ``files``, ``uploads``,
``failing``, ``wait_upload``), so suites are written once: the bench file's
``csms.file_transfer`` decides which one the ``file_server`` fixture is. Built on pyftpdlib
(passive mode, one user whose credentials go into the URLs, as OCPP puts them:
``ftp://user:password@host:port/path``). Files live in a temporary directory of the run.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.csms.files import Upload, UploadLog


@dataclass
class FtpFileServer(UploadLog):
    host: str = "127.0.0.1"  # where it listens
    public_host: str | None = None  # what URLs name (the address the station reaches); default host
    user: str = "harness"
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    uploads: list[Upload] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # "/path" -> content, served on RETR
    failing: set[str] = field(default_factory=set)  # path prefixes refused (550)
    _server: Any = None
    _root: Path | None = None
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "FTP server not started"
        return int(self._server.address[1])

    def url(self, path: str = "") -> str:
        return (f"ftp://{self.user}:{self.password}@{self.public_host or self.host}:{self.port}/"
                f"{path.lstrip('/')}")

    def start(self) -> FtpFileServer:
        import logging

        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import ThreadedFTPServer

        logging.getLogger("pyftpdlib").setLevel(logging.WARNING)  # not a line per FTP command
        owner = self
        self._root = Path(tempfile.mkdtemp(prefix="harness-ftp-"))
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(self._root), perm="elradfmwMT")

        class Handler(FTPHandler):
            def pre_process_command(self, line: str, cmd: str, arg: str) -> Any:
                owner._materialize()  # a test may have added files since the last command
                return super().pre_process_command(line, cmd, arg)

            def ftp_RETR(self, file: str) -> Any:
                virtual = "/" + Path(file).relative_to(owner._root).as_posix()
                if virtual not in owner.files or owner._fails(virtual):
                    self.respond("550 No such file.")
                    return None
                return super().ftp_RETR(file)

            def ftp_STOR(self, file: str, mode: str = "w") -> Any:
                virtual = "/" + Path(file).relative_to(owner._root).as_posix()
                if owner._fails(virtual):
                    self.respond("550 Refused (the test made this path fail).")
                    return None
                Path(file).parent.mkdir(parents=True, exist_ok=True)
                return super().ftp_STOR(file, mode)

            def on_file_received(self, file: str) -> None:
                virtual = "/" + Path(file).relative_to(owner._root).as_posix()
                owner._record(Upload("STOR", virtual, Path(file).read_bytes(), {}))

        Handler.authorizer = authorizer
        Handler.banner = "harness FTP file server"
        Handler.passive_ports = None  # any free port
        Handler.permit_foreign_addresses = False
        self._server = ThreadedFTPServer((self.host, 0), Handler)
        server, stopping = self._server, self._stopping
        stopping.clear()

        def serve() -> None:  # the server is closed by the thread that runs it (asyncore)
            while not stopping.is_set():
                server.serve_forever(timeout=0.1, blocking=False)
            server.close_all()

        self._thread = threading.Thread(target=serve, daemon=True, name="harness-ftp-server")
        self._thread.start()
        return self

    def _materialize(self) -> None:
        assert self._root is not None
        for virtual, data in list(self.files.items()):
            path = self._root / virtual.lstrip("/")
            if not path.is_file() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)

    def _fails(self, path: str) -> bool:
        return any(path.startswith(p) for p in self.failing)

    def stop(self) -> None:
        if self._server is not None:
            self._stopping.set()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None
