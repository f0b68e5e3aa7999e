"""The in-process EV of the emulated bench: it sets the EV's switch positions on the emulated
charger's pilot and reads the levels that pilot produces.

The emulated charger's pilot (``harness.emulator.pilot.EvsePilot``) is passed in; this module
knows it only through :class:`PilotPort` (the EV side must not import the emulator).
"""

from __future__ import annotations

from typing import Protocol

from harness.ev.side import EvSide, InletReading, PilotReading
from harness.protocols import pilot as cp


class PilotPort(Protocol):
    """What the EV side needs of an emulated EVSE's pilot (thread safe, non-blocking)."""

    evse_id: int
    connector_id: int

    def set_ev_state(self, state: str) -> None: ...
    def set_cp_pe_short(self, on: bool) -> None: ...
    def set_fault(self, fault: str | None) -> None: ...
    def set_pp(self, value: str, connector_type: str | None = None, adapter: str | None = None) -> None: ...
    def readings(self) -> cp.CpLevels: ...
    def inlet_voltage(self) -> float: ...
    def pp_volts(self) -> float: ...
    def now(self) -> float: ...


class EmulatedEv(EvSide):
    """The EV end of one emulated connector."""

    def __init__(self, pilot: PilotPort) -> None:
        self.pilot = pilot
        self.adapter: str | None = None

    async def connect(self, evse: int, connector: int, connector_type: str = "cCCS1",
                      adapter: str | None = None) -> None:
        if (evse, connector) != (self.pilot.evse_id, self.pilot.connector_id):
            raise ValueError(f"this emulated EV is cabled to EVSE {self.pilot.evse_id} connector "
                             f"{self.pilot.connector_id}, not EVSE {evse} connector {connector}")
        self.pilot.set_pp("latched", connector_type, adapter)
        self.connector_type, self.adapter = connector_type, adapter
        self.pilot.set_ev_state("B")

    async def disconnect(self) -> None:
        self.pilot.set_fault(None)
        self.pilot.set_ev_state("A")
        self.pilot.set_pp("open", self.connector_type, self.adapter)

    async def set_cp_state(self, state: str) -> None:
        """A-D set the EV's switches (and lift a CP-PE short); "E" shorts CP to PE."""
        if state == "E":
            self.pilot.set_cp_pe_short(True)
            return
        if state not in ("A", "B", "C", "D"):
            raise ValueError(f"an EV presents A, B, C, D or E, not {state!r}")
        self.pilot.set_cp_pe_short(False)
        self.pilot.set_ev_state(state)

    async def set_pp(self, value: str) -> None:
        self.pilot.set_pp(value, self.connector_type, self.adapter)

    async def inject_fault(self, fault: str | None) -> None:
        self.pilot.set_fault(fault)

    async def read_pilot(self) -> PilotReading:
        levels = self.pilot.readings()
        return PilotReading(levels.at, levels.oscillating, levels.duty_pct, levels.frequency_hz,
                            levels.high_v, levels.low_v)

    async def read_inlet(self) -> InletReading:
        return InletReading(self.pilot.now(), self.pilot.inlet_voltage())

    async def read_pp(self) -> float:
        return self.pilot.pp_volts()
