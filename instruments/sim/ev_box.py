"""Simulated EV emulator box (``docs/ev-emulator-protocol.md``, version 1.0) served on loopback TCP,
so the serial backend reaches it with ``socket://127.0.0.1:<port>`` as it would a serial server
in front of a real box.

It is the EV end of an emulated charger's pilot: its ``CP``/``PP``/``FAULT`` commands move the
pilot's EV-side switches and ``PWM?``/``INLET?`` read the pilot's levels. The pilot is known only
through :class:`EvsePilotPort` (``instruments`` never imports ``harness``). Its millisecond clock
is the pilot's clock plus ``clock_offset_ms`` and wraps at 2^32, so a test can put the wrap in
the middle of a session. Faults: ``stalled`` (reads commands, answers nothing) and ``crash()``.
"""

from __future__ import annotations

from typing import Any, Protocol

from instruments.sim.server import ScpiSimulator

WRAP = 2 ** 32
CONNECTORS = {"CCS1": "cCCS1", "NACS": "cNACS"}
ADAPTERS = {"NONE": None, "J3400-TO-CCS1": "J3400-to-CCS1", "CCS1-TO-J3400": "CCS1-to-J3400"}


class EvsePilotPort(Protocol):
    """What the box needs of the emulated EVSE pilot (``harness.emulator.pilot.EvsePilot``)."""

    def set_ev_state(self, state: str) -> None: ...
    def set_cp_pe_short(self, on: bool) -> None: ...
    def set_fault(self, fault: str | None) -> None: ...
    def set_pp(self, value: str, connector_type: str | None = None, adapter: str | None = None) -> None: ...
    def pp_volts(self) -> float: ...
    def readings(self) -> Any: ...  # .at .oscillating .duty_pct .frequency_hz .high_v .low_v
    def inlet_voltage(self) -> float: ...
    def now(self) -> float: ...


class BoxError(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


class EvBoxSimulator(ScpiSimulator):
    """One EV emulator box cabled to ``pilot``."""

    identity = "Harness,Simulated EV emulator box,SIM-EVB-0001,1.0.0"
    versions = ("1.0",)

    def __init__(self, pilot: EvsePilotPort, *, host: str = "127.0.0.1", port: int = 0,
                 clock_offset_ms: int = 0, connectors: tuple[str, ...] = ("CCS1", "NACS"),
                 require_version: bool = True) -> None:
        super().__init__(host, port)
        self.pilot = pilot
        self.clock_offset_ms = clock_offset_ms
        self.connectors = connectors
        self.require_version = require_version
        self.version: str | None = None
        self.cp = "A"
        self.pp = "open"
        self.connector, self.adapter = "cCCS1", None
        self._t0 = pilot.now()
        self.lines: list[str] = []  # every command line received (for tests)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"socket://{host}:{port}"

    def box_ms(self, host_time: float | None = None) -> int:
        """The box clock at pilot time ``host_time`` (default now), wrapped to 32 bits."""
        t = self.pilot.now() if host_time is None else host_time
        return (round((t - self._t0) * 1000) + self.clock_offset_ms) % WRAP

    # ---- the protocol -----------------------------------------------------------------
    def execute(self, line: str) -> str:
        """One command line -> its reply line (without the LF)."""
        self.lines.append(line)
        words = line.split()
        head = words[0].upper()
        args = [w.upper() for w in words[1:]]
        try:
            with self.lock:
                return self._execute(head, args)
        except BoxError as exc:
            return f"ERR {exc.code} {exc.text}"
        except ValueError as exc:
            return f"ERR 2 {exc}"

    def _execute(self, head: str, args: list[str]) -> str:
        if head == "*IDN?":
            return self.identity
        if head == "VER?":
            return "VER " + " ".join(self.versions)
        if head == "VER":
            major = _one(args, "VER <major>")
            match = [v for v in self.versions if v.split(".")[0] == major]
            if not match:
                have = " ".join(self.versions)
                raise BoxError(5, f"protocol version {major} not implemented (have {have})")
            self.version = match[-1]
            return f"OK {self.version}"
        if head == "TIME?":
            return f"TIME {self.box_ms()}"
        if self.require_version and self.version is None:
            raise BoxError(3, "send VER first")
        if head == "CP":
            state = _one(args, "CP A|B|C|D|E")
            if state == "E":
                self.pilot.set_cp_pe_short(True)
            elif state in ("A", "B", "C", "D"):
                self.pilot.set_cp_pe_short(False)
                self.pilot.set_ev_state(state)
            else:
                raise BoxError(2, f"no CP state {state}")
            self.cp = state
            return f"OK {self.box_ms()}"
        if head == "CP?":
            return f"CP {self.cp} {self.box_ms()}"
        if head == "PP":
            value = _one(args, "PP OPEN|LATCHED|PRESSED").lower()
            if value not in ("open", "latched", "pressed"):
                raise BoxError(2, f"no PP value {value.upper()}")
            self.pilot.set_pp(value, self.connector, self.adapter)
            self.pp = value
            return f"OK {self.box_ms()}"
        if head == "PP?":
            return f"PP {self.pilot.pp_volts():.2f} {self.box_ms()}"
        if head == "FAULT":
            fault = _one(args, "FAULT NONE|DIODE_SHORT|CP_PE_SHORT")
            if fault not in ("NONE", "DIODE_SHORT", "CP_PE_SHORT"):
                raise BoxError(2, f"no fault {fault}")
            self.pilot.set_fault(None if fault == "NONE" else fault.lower())
            return f"OK {self.box_ms()}"
        if head == "CONNECTOR":
            if not 1 <= len(args) <= 2 or args[0] not in CONNECTORS or (len(args) == 2
                                                                         and args[1] not in ADAPTERS):
                raise BoxError(2, "CONNECTOR CCS1|NACS [NONE|J3400-TO-CCS1|CCS1-TO-J3400]")
            if args[0] not in self.connectors:
                raise BoxError(4, f"this box has no {args[0]} inlet")
            self.connector = CONNECTORS[args[0]]
            self.adapter = ADAPTERS[args[1]] if len(args) == 2 else None
            self.pilot.set_pp(self.pp, self.connector, self.adapter)
            return f"OK {self.box_ms()}"
        if head == "PWM?":
            r = self.pilot.readings()
            return (f"PWM {int(r.oscillating)} {r.duty_pct:.1f} {r.frequency_hz:.0f} {r.high_v:.2f} "
                    f"{r.low_v:.2f} {self.box_ms(r.at)}")
        if head == "INLET?":
            return f"INLET {self.pilot.inlet_voltage():.2f} {self.box_ms()}"
        if head == "SAFE":
            self.reset()
            return f"OK {self.box_ms()}"
        raise BoxError(1, f"unknown command {head}")

    def reset(self) -> None:
        """The safe state: CP A, PP open, no fault."""
        self.pilot.set_fault(None)
        self.pilot.set_ev_state("A")
        self.pilot.set_pp("open", self.connector, self.adapter)
        self.cp, self.pp = "A", "open"

    # ---- serving ----------------------------------------------------------------------
    def respond(self, line: str) -> bytes:
        reply = self.execute(line) if len(line) <= 120 else "ERR 2 line too long"
        return reply.encode("latin-1") + b"\n"


def _one(args: list[str], usage: str) -> str:
    if len(args) != 1:
        raise BoxError(2, f"usage: {usage}")
    return args[0]
