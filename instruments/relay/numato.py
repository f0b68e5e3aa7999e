"""Numato Lab USB relay modules (1 to 64 channels) on a serial line: e-stop actuators, PDU
outlets and contactors the bench switches.

Not SCPI. The module runs a line-oriented ASCII shell (19200 8N1 on its USB CDC port): a
command ends with CR; the module echoes it, ends the echo with LF CR, prints the answer (if
any) followed by LF CR, and then its prompt ``>``. So ``relay read 0\\r`` gives
``relay read 0\\n\\ron\\n\\r>`` and ``relay on 0\\r`` gives ``relay on 0\\n\\r>``. Relays are
numbered from 0; relays 10 and up are written as letters (10 = ``A``, 11 = ``B`` ...), as in
Numato's own sample code. ``ver`` answers the firmware version, ``id get`` the 8-character
module id.

Any pyserial URL works: ``/dev/ttyACM0``, ``COM5``, ``socket://host:port`` (a serial server or
the simulator), ``rfc2217://host:port``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, ClassVar

from instruments.errors import InstrumentError, InstrumentTimeout, InstrumentUnreachable
from instruments.serial_link import open_serial
from instruments.transcript import Transcript
from instruments.transport import Identity

PROMPT = b">"
EOL = "\n\r"


def relay_index(channel: int) -> str:
    """The relay's name in a command: 0..9 as digits, 10 and up as letters from ``A``."""
    return str(channel) if channel < 10 else chr(55 + channel)


class NumatoRelay:
    """One Numato USB relay module, named by its bench-file entry in every error."""

    family: ClassVar[str] = "numato-usb-relay"
    role: ClassVar[str] = "relay"

    def __init__(self, entry: str, url: str, *, channels: int = 8, baudrate: int = 19200,
                 timeout_s: float = 1.0, transcript: Transcript | None = None, link: Any = None) -> None:
        if not 1 <= channels <= 64:
            raise ValueError(f"{entry}: a Numato module has 1 to 64 relays, not {channels}")
        self.entry, self.url = entry, url
        self.channels, self.baudrate, self.timeout_s = channels, baudrate, timeout_s
        self.transcript = transcript if transcript is not None else Transcript()
        self.lock = threading.RLock()
        self._port: Any = link  # a pyserial Serial (or a test double with write/read_until)

    # ---- session ------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> NumatoRelay:
        if self._port is not None:
            return self
        self._port = open_serial(self.entry, self.url, baudrate=self.baudrate, timeout_s=self.timeout_s,
                                 transcript=self.transcript)
        return self

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with self.lock:
                try:
                    port.close()
                finally:
                    self.transcript.add(self.entry, "!", "closed")

    def __enter__(self) -> NumatoRelay:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- relays -------------------------------------------------------------------------
    def set(self, channel: int, on: bool) -> None:
        self._check(channel)
        self.command(f"relay {'on' if on else 'off'} {relay_index(channel)}")

    def get(self, channel: int) -> bool:
        self._check(channel)
        command = f"relay read {relay_index(channel)}"
        answer = self.command(command, answer=True)
        if answer not in ("on", "off"):
            raise InstrumentError(self.entry, self.url, f"{command!r} answered {answer!r}, not on/off")
        return answer == "on"

    def pulse(self, channel: int, seconds: float) -> None:
        """Close the relay for ``seconds`` and open it again (press and release a button, e.g.
        an e-stop actuator). The release is attempted even if the wait is interrupted; the lock
        is not held while waiting, so outputs_off can still act."""
        self._check(channel)
        if not 0 < seconds <= 60:
            raise ValueError(f"{self.entry}: pulse length {seconds!r} s is not in (0, 60]")
        self.set(channel, True)
        try:
            time.sleep(seconds)
        finally:
            self.set(channel, False)

    def identify(self) -> Identity:
        version = self.command("ver", answer=True)
        module_id = self.command("id get", answer=True)
        return Identity("Numato Lab", f"{self.channels}-channel USB relay module", module_id, version,
                        f"ver {version}, id {module_id}")

    def outputs_off(self, safe_states: dict[int, bool]) -> None:
        """Drive every listed channel to its safe state and read it back; carry on past
        failures and raise one error listing all of them."""
        failures: list[str] = []
        try:
            self.open()
        except InstrumentError as exc:
            raise InstrumentError(self.entry, self.url, f"safe state not reached for channels "
                                  f"{sorted(safe_states)}: {exc.problem}") from exc
        for channel, state in sorted(safe_states.items()):
            try:
                self.set(channel, state)
                if self.get(channel) != state:
                    failures.append(f"relay {channel}: still {'off' if state else 'on'} after "
                                    f"switching {'on' if state else 'off'}")
            except (InstrumentError, ValueError) as exc:
                failures.append(f"relay {channel}: {getattr(exc, 'problem', str(exc))}")
        if failures:
            raise InstrumentError(self.entry, self.url, "safe state not reached: " + "; ".join(failures))

    # ---- I/O ----------------------------------------------------------------------------
    def command(self, command: str, *, answer: bool = False) -> str:
        """Send one command; check the echo and wait for the prompt. Returns the answer line
        ("" for commands without one)."""
        with self.lock:
            port = self._port
            if port is None:
                raise InstrumentError(self.entry, self.url, f"{command!r}: the session is not open")
            start = time.perf_counter()
            self.transcript.add(self.entry, ">", command)
            try:
                with contextlib.suppress(Exception):
                    port.reset_input_buffer()  # a late reply to an earlier, timed-out command
                port.write((command + "\r").encode("ascii"))
                data = port.read_until(PROMPT)
            except Exception as exc:  # SerialException, OSError: the line is gone
                self.transcript.add(self.entry, "!", f"{command!r}: {exc}")
                raise InstrumentUnreachable(self.entry, self.url,
                                            f"{command!r}: connection lost: {exc}") from exc
            text = data.decode("latin-1")
            elapsed = (time.perf_counter() - start) * 1000
            if not data.endswith(PROMPT):
                self.transcript.add(self.entry, "!", f"timeout after {self.timeout_s:g} s on {command!r}"
                                    + (f", got {text!r}" if text else ""))
                raise InstrumentTimeout(self.entry, self.url, f"no prompt after {command!r} within "
                                        f"{self.timeout_s:g} s" + (f" (got {text!r})" if text else ""))
            lines = [line.strip() for line in text[:-1].replace("\r", "\n").split("\n")]
            lines = [line for line in lines if line]
            reply = " | ".join(lines[1:]) if lines[:1] == [command] else " | ".join(lines)
            self.transcript.add(self.entry, "<", reply, elapsed)
            if lines[:1] != [command]:
                raise InstrumentError(self.entry, self.url, f"{command!r}: expected its echo, got {text!r}")
            rest = lines[1:]
            if answer and len(rest) != 1:
                raise InstrumentError(self.entry, self.url, f"{command!r}: expected one answer line, got "
                                      f"{rest!r}")
            if not answer and rest:
                raise InstrumentError(self.entry, self.url, f"{command!r}: unexpected answer {rest!r}")
            return rest[0] if answer else ""

    def _check(self, channel: int) -> None:
        if not isinstance(channel, int) or isinstance(channel, bool) or not 0 <= channel < self.channels:
            raise ValueError(f"{self.entry}: relay {channel!r} does not exist (0..{self.channels - 1})")
