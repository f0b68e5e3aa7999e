"""Simulated Numato Lab USB relay module, served on loopback TCP so pyserial reaches it with
``socket://127.0.0.1:<port>`` exactly as it would a serial server in front of the real board.

It speaks the module's shell (see ``instruments/relay/numato.py``): every command echoed and
ended with LF CR, the answer on its own line, then the ``>`` prompt. ``on_change(channel,
state)`` is called whenever a relay really changes — that is how the emulated charger's e-stop
input or AC supply gets wired to a relay. Faults: ``stalled`` (takes commands, answers
nothing) and ``crash()``.

The listener / connection threads and the faults come from :class:`ScpiSimulator`; only the
framing (and so ``_serve``) differs.
"""

from __future__ import annotations

from collections.abc import Callable

from instruments.sim.server import ScpiSimulator

EOL = b"\n\r"
PROMPT = b">"


def parse_index(text: str) -> int:
    """``0``..``9`` and ``A``.. (10..) as the module numbers its relays."""
    if len(text) != 1 or not text.isalnum():
        raise ValueError(text)
    return int(text) if text.isdigit() else ord(text.upper()) - 55


class RelayBoardSimulator(ScpiSimulator):
    """A Numato module with ``channels`` relays, all off at power-on."""

    def __init__(self, channels: int = 8, on_change: Callable[[int, bool], None] | None = None, *,
                 host: str = "127.0.0.1", port: int = 0, version: str = "00000008",
                 module_id: str = "00000000") -> None:
        super().__init__(host, port)
        self.channels = channels
        self.on_change = on_change
        self.version = version
        self.module_id = module_id
        self.relays = [False] * channels
        self.commands: list[str] = []  # every command line received (for tests)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"socket://{host}:{port}"

    def state(self, channel: int) -> bool:
        with self.lock:
            return self.relays[channel]

    def reset(self) -> None:
        """Power cycle: every relay off (callbacks fire for those that were on)."""
        for channel in range(self.channels):
            self._switch(channel, False)

    # ---- the shell --------------------------------------------------------------------
    def execute(self, line: str) -> str | None:
        """Run one command line; the answer line, or None for commands without one (and for
        what the firmware does not understand: it echoes and prompts, nothing else)."""
        self.commands.append(line)
        words = line.split()
        try:
            if words[:1] == ["relay"] and len(words) == 3 and words[1] in ("on", "off", "read"):
                channel = parse_index(words[2])
                if not 0 <= channel < self.channels:
                    return None
                if words[1] == "read":
                    return "on" if self.state(channel) else "off"
                self._switch(channel, words[1] == "on")
                return None
            if words[:2] == ["relay", "readall"]:
                with self.lock:
                    mask = sum(1 << k for k, on in enumerate(self.relays) if on)
                return f"{mask:0{max(2, (self.channels + 3) // 4)}x}"
            if words[:2] == ["relay", "writeall"] and len(words) == 3:
                mask = int(words[2], 16)
                for channel in range(self.channels):
                    self._switch(channel, bool(mask >> channel & 1))
                return None
            if words == ["ver"]:
                return self.version
            if words == ["id", "get"]:
                return self.module_id
            if words[:2] == ["id", "set"] and len(words) == 3 and len(words[2]) == 8:
                self.module_id = words[2]
                return None
            if words == ["reset"]:
                self.reset()
                return None
        except ValueError:
            return None
        return None

    def _switch(self, channel: int, on: bool) -> None:
        with self.lock:
            changed = self.relays[channel] != on
            self.relays[channel] = on
        if changed and self.on_change is not None:
            self.on_change(channel, on)  # outside the lock: the callback may read the board

    # ---- serving ----------------------------------------------------------------------
    line_ends = (b"\r", b"\n")

    def respond(self, line: str) -> bytes:
        """The board echoes the command, then its answer (if any), then the prompt."""
        answer = self.execute(line)
        reply = line.encode("latin-1") + EOL
        if answer is not None:
            reply += answer.encode("latin-1") + EOL
        return reply + PROMPT
