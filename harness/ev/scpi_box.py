"""A SCPI-controlled EV emulator (over VISA: LAN socket, USBTMC, GPIB) as the EV side.

Commercial EV emulators each speak their own dialect and none is standard, so this class defines
a small documented command set and keeps every command in one table, :attr:`COMMANDS`. A lab
maps its box's dialect by subclassing and overriding entries of the table (and, where a box
needs more than a string, the method), e.g.::

    class AcmeEvSim(ScpiEvEmulator):
        COMMANDS = {**ScpiEvEmulator.COMMANDS, "cp_state": "SIM:PILOT:STATE {state}",
                    "duty": "SIM:PILOT:DUTY?"}

The harness's dialect (writes are checked through the error queue, ``SYST:ERR?``):

==============================  =================================================================
``EV:CONN:TYPE CCS1|NACS``      the inlet in use
``EV:CONN:ADAP NONE|...``       adapter in the path (``J3400-TO-CCS1``, ``CCS1-TO-J3400``)
``EV:CP:STATE A|B|C|D|E``       CP resistor network (E: CP shorted to PE)
``EV:PP OPEN|LATCHED|PRESSED``  proximity override
``EV:FAULT NONE|DIODE|CPPE``    EV-side faults: diode shorted, CP shorted to PE
``MEAS:CP:FREQ?``               PWM frequency, Hz (0: no oscillation)
``MEAS:CP:DUTY?``               PWM duty, % (100: steady positive level, 0: steady negative)
``MEAS:CP:VOLT:HIGH?``          positive level, V
``MEAS:CP:VOLT:LOW?``           negative level, V
``MEAS:INLET:VOLT?``            DC voltage at the inlet, V
``MEAS:PP:VOLT?``               proximity voltage at the inlet, V
``EV:SAFE``                     CP A, PP open, no fault
==============================  =================================================================

SCPI boxes have no common time stamp, so a reading's time is the host's, taken half-way through
the queries that made it (uncertainty: half their duration, a few ms on a LAN).
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from harness.ev.side import EvSide, InletReading, PilotReading
from harness.protocols import pilot as cp
from instruments.transport import ScpiTransport

CONNECTOR_WORDS = {"cCCS1": "CCS1", "cNACS": "NACS"}
FAULT_WORDS = {None: "NONE", "diode_short": "DIODE", "cp_pe_short": "CPPE"}


class ScpiEvEmulator(EvSide):
    """The EV end through a SCPI EV emulator; every error names the transport's bench entry."""

    family: ClassVar[str] = "ev-emulator-scpi"
    role: ClassVar[str] = "ev"
    COMMANDS: ClassVar[dict[str, str]] = {
        "connector": "EV:CONN:TYPE {connector}",
        "adapter": "EV:CONN:ADAP {adapter}",
        "cp_state": "EV:CP:STATE {state}",
        "pp": "EV:PP {value}",
        "fault": "EV:FAULT {fault}",
        "frequency": "MEAS:CP:FREQ?",
        "duty": "MEAS:CP:DUTY?",
        "high": "MEAS:CP:VOLT:HIGH?",
        "low": "MEAS:CP:VOLT:LOW?",
        "inlet": "MEAS:INLET:VOLT?",
        "pp_volts": "MEAS:PP:VOLT?",
        "safe": "EV:SAFE",
    }
    #: below this frequency the line is taken as steady (a box reports 0 or a small residue)
    MIN_PWM_HZ: ClassVar[float] = 100.0

    def __init__(self, transport: ScpiTransport) -> None:
        self.transport = transport
        self.adapter: str | None = None

    # ---- EvSide -------------------------------------------------------------------------
    async def connect(self, evse: int, connector: int, connector_type: str = "cCCS1",
                      adapter: str | None = None) -> None:
        cp.pp_voltage("latched", connector_type, adapter)  # validates type and adapter
        self.connector_type, self.adapter = connector_type, adapter
        await self._write(self._cmd("connector", connector=CONNECTOR_WORDS[connector_type]),
                          self._cmd("adapter", adapter=adapter.upper() if adapter else "NONE"),
                          self._cmd("pp", value="LATCHED"), self._cmd("cp_state", state="B"))

    async def disconnect(self) -> None:
        await self._write(self._cmd("fault", fault="NONE"), self._cmd("cp_state", state="A"),
                          self._cmd("pp", value="OPEN"))

    async def set_cp_state(self, state: str) -> None:
        if state not in ("A", "B", "C", "D", "E"):
            raise ValueError(f"an EV presents A, B, C, D or E, not {state!r}")
        await self._write(self._cmd("cp_state", state=state))

    async def set_pp(self, value: str) -> None:
        if value not in ("open", "latched", "pressed"):
            raise ValueError(f"unknown PP value {value!r} (open, latched, pressed)")
        await self._write(self._cmd("pp", value=value.upper()))

    async def inject_fault(self, fault: str | None) -> None:
        if fault not in FAULT_WORDS:
            raise ValueError(f"unknown fault {fault!r} (diode_short, cp_pe_short or None)")
        await self._write(self._cmd("fault", fault=FAULT_WORDS[fault]))

    async def read_pilot(self) -> PilotReading:
        return await asyncio.to_thread(self.pilot_reading)

    async def read_inlet(self) -> InletReading:
        return await asyncio.to_thread(self.inlet_reading)

    async def read_pp(self) -> float:
        return await asyncio.to_thread(self.transport.query_float, self._cmd("pp_volts"))

    async def close(self) -> None:
        def safe_and_close() -> None:
            try:
                if self.transport.is_open:
                    self.transport.write(self._cmd("safe"))
            finally:
                self.transport.close()

        await asyncio.to_thread(safe_and_close)

    # ---- blocking API -------------------------------------------------------------------
    def pilot_reading(self) -> PilotReading:
        """Measure the CP line: frequency, duty, high and low level (one lock hold, so another
        task's command cannot land between the queries)."""
        t = self.transport.open()
        with t.lock:
            start = time.monotonic()
            freq = t.query_float(self._cmd("frequency"))
            duty = t.query_float(self._cmd("duty"))
            high = t.query_float(self._cmd("high"))
            low = t.query_float(self._cmd("low"))
            at = (start + time.monotonic()) / 2
        oscillating = freq >= self.MIN_PWM_HZ
        return PilotReading(at, oscillating, duty, freq if oscillating else 0.0, high, low)

    def inlet_reading(self) -> InletReading:
        t = self.transport.open()
        start = time.monotonic()
        volts = t.query_float(self._cmd("inlet"))
        return InletReading((start + time.monotonic()) / 2, volts)

    # ---- internals ----------------------------------------------------------------------
    def _cmd(self, name: str, **values: str) -> str:
        return self.COMMANDS[name].format(**values)

    async def _write(self, *commands: str) -> None:
        def run() -> None:
            t = self.transport.open()
            for command in commands:
                t.write(command)

        await asyncio.to_thread(run)
