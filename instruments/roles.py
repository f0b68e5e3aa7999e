"""What each role can do, independent of the family that does it.

Suites and the harness talk to these interfaces only; a bench file picks the family. Methods
are synchronous (pyvisa / pyserial block); async code calls them through asyncio.to_thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from instruments.base import Instrument
from instruments.errors import UnsupportedFeature

LOAD_MODES = ("CC", "CV", "CP", "CR")


class DcLoad(Instrument):
    """DC electronic load / regenerative load bank: the sink at the charger's output.

    Setpoints are limit-checked (``current``, ``voltage`` and their product against ``power``)
    before anything is written. ``can_emulate_battery``: the family can hold a voltage like a
    battery (bidirectional / battery-simulator mode), which the voltage sweep and the
    over-voltage cases need.
    """

    role = "load"
    can_emulate_battery: ClassVar[bool] = False

    def set_mode(self, mode: str) -> None:
        raise NotImplementedError

    def set_current(self, amps: float) -> None:
        raise NotImplementedError

    def set_voltage(self, volts: float) -> None:
        """CV setpoint; on battery-emulating families, the battery voltage presented."""
        raise NotImplementedError

    def set_power(self, watts: float) -> None:
        raise UnsupportedFeature(self.entry, self.transport.resource, "constant-power mode")

    def set_resistance(self, ohms: float) -> None:
        raise UnsupportedFeature(self.entry, self.transport.resource, "constant-resistance mode")

    def set_slew(self, amps_per_s: float) -> None:
        raise NotImplementedError

    def set_protection(self, *, ovp_v: float | None = None, ocp_a: float | None = None,
                       opp_w: float | None = None) -> None:
        raise NotImplementedError

    def set_input(self, on: bool) -> None:
        raise NotImplementedError

    def input_on(self) -> bool:
        raise NotImplementedError

    def measure(self) -> tuple[float, float, float]:
        """(voltage V, current A, power W) at the load's input."""
        raise NotImplementedError

    def outputs_off(self) -> None:
        self.set_input(False)


@dataclass(frozen=True)
class ScopeTrace:
    """One channel's acquisition in physical units; t = 0 is the trigger."""

    channel: int
    t0: float  # time of the first sample relative to the trigger (s)
    dt: float  # sample interval (s)
    values: np.ndarray
    unit: str = "V"

    @property
    def times(self) -> np.ndarray:
        return self.t0 + self.dt * np.arange(len(self.values))


class Scope(Instrument):
    """Oscilloscope: channel setup, timebase, edge trigger, single acquisition, waveform."""

    role = "scope"
    channels: ClassVar[int] = 4

    def setup_channel(self, channel: int, *, scale: float, offset: float = 0.0, probe: float = 1.0,
                      coupling: str = "DC", enabled: bool = True) -> None:
        """``scale`` in units/div at the probe tip (after ``probe`` attenuation)."""
        raise NotImplementedError

    def set_timebase(self, seconds_per_div: float, delay_s: float = 0.0) -> None:
        """Horizontal scale; ``delay_s`` moves the trigger point (0: centred)."""
        raise NotImplementedError

    def set_trigger_edge(self, channel: int, level: float, slope: str = "rise") -> None:
        raise NotImplementedError

    def single(self) -> None:
        """Arm one acquisition."""
        raise NotImplementedError

    def acquisition_done(self) -> bool:
        raise NotImplementedError

    def waveform(self, channel: int, points: int | None = None) -> ScopeTrace:
        raise NotImplementedError

    def run(self) -> None:
        """Back to free-running acquisition (the state a bench is left in)."""

    def outputs_off(self) -> None:  # a scope has no outputs; leave it running for the next user
        self.run()


@dataclass(frozen=True)
class DcReading:
    voltage_v: float
    current_a: float
    power_w: float


class PowerAnalyzer(Instrument):
    """Power analyzer: DC voltage/current/power per element and energy integration."""

    role = "power_analyzer"

    def configure_dc(self, elements: list[int]) -> None:
        raise NotImplementedError

    def read_dc(self, element: int) -> DcReading:
        raise NotImplementedError

    def integration_reset(self) -> None:
        raise NotImplementedError

    def integration_start(self) -> None:
        raise NotImplementedError

    def integration_stop(self) -> None:
        raise NotImplementedError

    def energy_wh(self, element: int) -> float:
        raise NotImplementedError

    def outputs_off(self) -> None:  # no outputs; stop a running integration
        self.integration_stop()
