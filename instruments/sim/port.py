"""What a simulated instrument sees of the emulated charger: one DC output port.

The harness's emulated charger (``harness.emulator.power_stage.PowerStage``) implements this
protocol; the simulators depend on the protocol only, so ``instruments`` never imports
``harness``. All methods are thread safe: simulators call them from their own threads while
the emulated station runs on the event loop.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class DcPort(Protocol):
    port: int  # the charger EVSE id this output belongs to

    def now(self) -> float:
        """The port's clock (time.monotonic seconds)."""
        ...

    def set_sink(self, *, enabled: bool, mode: str, setpoint: float, voltage_v: float | None = None,
                 slew_a_per_s: float | None = None) -> None:
        """The load at the output changed. ``mode``: "CC" (setpoint A: the EV's current demand),
        "CV" (setpoint V), "CP" (W), "CR" (ohm); ``voltage_v``: the battery voltage the load
        presents (battery-emulating loads; None keeps the present one); ``enabled`` False: the
        load's input is off and draws nothing."""
        ...

    def measure(self, window_s: float = 0.05) -> tuple[float, float]:
        """Mean (V, A) at the output over the last ``window_s`` (what a meter averages)."""
        ...

    def sample(self, quantity: str, times: np.ndarray) -> np.ndarray:
        """``quantity`` ("voltage" or "current") at ``times`` (port clock), ripple and noise
        included, as a probe would see it. Times outside the kept history are clipped."""
        ...

    def find_edge(self, quantity: str, level: float, slope: str, after: float) -> float | None:
        """First time after ``after`` (up to now) the quantity crosses ``level`` with ``slope``
        ("rise" / "fall"); None if it has not."""
        ...

    def energy_wh(self) -> float:
        """True energy delivered through the port since power-up (what a reference meter sees)."""
        ...
