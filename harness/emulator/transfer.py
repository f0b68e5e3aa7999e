"""How the emulated station fetches files (firmware) and uploads them (logs): HTTP(S) and FTP,
the schemes OCPP 2.0.1 allows for these URLs (L01, N01). Failures return None / False: the
station reports DownloadFailed / UploadFailed, it does not crash."""

from __future__ import annotations

import ftplib
import io
import urllib.error
import urllib.parse
import urllib.request


def fetch(url: str, timeout: float = 5.0) -> bytes | None:
    """The file at ``url`` (http, https or ftp with credentials in the URL), or None."""
    if not url.startswith(("http://", "https://", "ftp://")):
        return None
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status = getattr(response, "status", None)
            if status is not None and not 200 <= status < 300:
                return None
            return bytes(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def upload(url: str, body: bytes, timeout: float = 5.0) -> bool:
    """PUT (http/https) or STOR (ftp) ``body`` to ``url``; True when the server took it."""
    if url.startswith(("http://", "https://")):
        request = urllib.request.Request(url, data=body, method="PUT",
                                         headers={"Content-Type": "text/plain"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError, ValueError):
            return False
    if url.startswith("ftp://"):
        return _ftp_store(urllib.parse.urlsplit(url), body, timeout)
    return False


def _ftp_store(parts: urllib.parse.SplitResult, body: bytes, timeout: float) -> bool:
    path = urllib.parse.unquote(parts.path).lstrip("/")
    if not path or path.endswith("/"):
        return False  # OCPP gives a folder URL; callers append the file name
    try:
        with ftplib.FTP() as ftp:
            ftp.connect(parts.hostname or "", parts.port or 21, timeout=timeout)
            ftp.login(urllib.parse.unquote(parts.username or "anonymous"),
                      urllib.parse.unquote(parts.password or ""))
            ftp.storbinary(f"STOR {path}", io.BytesIO(body))
        return True
    except (ftplib.Error, OSError, EOFError):
        return False
