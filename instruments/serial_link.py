"""Opening a serial line by pyserial URL (``/dev/ttyACM0``, ``socket://host:port``,
``rfc2217://``, ``loop://``) with an error that names the bench entry: shared by every serial
device (relay boards, the EV emulator box)."""

from __future__ import annotations

from typing import Any

from instruments.errors import InstrumentUnreachable
from instruments.transcript import Transcript


def open_serial(entry: str, url: str, *, baudrate: int, timeout_s: float, transcript: Transcript) -> Any:
    """The open ``serial.Serial`` (read and write timeouts ``timeout_s``)."""
    import serial

    try:
        port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout_s, write_timeout=timeout_s,
                                     do_not_open=True)
        port.open()
    except Exception as exc:  # SerialException, ValueError (bad URL), OSError
        transcript.add(entry, "!", f"open failed: {exc}")
        raise InstrumentUnreachable(entry, url, f"cannot open: {exc}") from exc
    transcript.add(entry, "!", f"opened {url}")
    return port
