"""The EV side of the charging cable, whatever plays it: the emulated EV, an EV emulator box on a
serial line, or a SCPI-controlled EV emulator. Suites use only this interface.

Signals follow IEC 61851-1 / SAE J1772 (J3400 uses the same signalling): the EV presents a
control-pilot state (A: not connected, B: connected, C: ready/charging, D: charging with
ventilation, E: CP shorted to PE — a fault the EV side can inject), a proximity (PP) value,
and reads what the EVSE does with the pilot: the PWM duty and frequency, the CP voltage, and
the DC voltage at the inlet. Every reading carries the time it was taken (time.monotonic), so
timing checks ("PWM within 3 s of state B") work the same on every backend.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass


@dataclass(frozen=True)
class PilotReading:
    """What the EV sees on CP: the EVSE's oscillator and the resulting levels."""

    at: float  # time.monotonic() of the reading
    oscillating: bool  # PWM on (1 kHz) or a steady level
    duty_pct: float  # 0 when not oscillating; 100 for a steady +V
    frequency_hz: float  # 0 when not oscillating
    high_v: float  # the positive level the EV measures (state: 12 A, 9 B, 6 C, 3 D, 0 E)
    low_v: float  # the negative level (-12 V when the EVSE oscillates; F: -12 V steady)


@dataclass(frozen=True)
class InletReading:
    at: float
    dc_voltage_v: float  # between DC+ and DC- at the vehicle inlet


class EvSide(abc.ABC):
    """The EV end of one charger connector."""

    #: the connector type being plugged: "cCCS1" or "cNACS" (SAE J3400)
    connector_type: str = "cCCS1"

    @abc.abstractmethod
    async def connect(self, evse: int, connector: int, connector_type: str = "cCCS1",
                      adapter: str | None = None) -> None:
        """Plug in: PP to the latched value for ``connector_type`` (through ``adapter``, e.g.
        "J3400-to-CCS1", when given), then CP state B."""

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Unplug: CP state A and PP open."""

    @abc.abstractmethod
    async def set_cp_state(self, state: str) -> None:
        """Present ``state`` ("A", "B", "C", "D", "E") on the control pilot."""

    @abc.abstractmethod
    async def set_pp(self, value: str) -> None:
        """Proximity: "open", "latched", "pressed" (latch button held, J1772 S3 open)."""

    @abc.abstractmethod
    async def inject_fault(self, fault: str | None) -> None:
        """"diode_short" (the EV's CP diode shorted), "cp_pe_short" (state E), or None."""

    @abc.abstractmethod
    async def read_pilot(self) -> PilotReading: ...

    @abc.abstractmethod
    async def read_inlet(self) -> InletReading: ...

    @abc.abstractmethod
    async def read_pp(self) -> float:
        """The proximity voltage at the inlet (J1772 vehicle circuit: ~1.5 V latched, ~2.8 V
        with the latch pressed, ~4.5 V open); ``protocols.pilot.pp_state`` classifies it."""

    async def close(self) -> None:  # noqa: B027 - optional: only backends holding a port override it
        """Release the backend (serial port, VISA session)."""
