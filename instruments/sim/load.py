"""What the simulated DC loads share: the coupling to the charger's DC port and protection.

Every change of mode, setpoint or input state is handed to the port (``DcPort.set_sink``), so
the emulated charger sees the load the test programmed. Like a real load, the simulator watches
its input on its own (a monitor thread, not only when queried): over-voltage, over-current or
over-power beyond its protection thresholds trips it — input off, an alarm latched for the
family's status query — even if nobody is asking at that moment.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

from instruments.sim.port import DcPort
from instruments.sim.server import ParamError, ScpiSimulator

_VALUE = re.compile(r"([+-]?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)\s*(K|M)?\s*(V|A|W|OHM|S|A/US)?")


def parse_value(args: str, low: float, high: float, *, unit_scale: bool = True) -> float:
    """A numeric parameter: number with optional unit and ``k`` multiplier, or MIN/MAX;
    outside ``low..high`` -> -222 Data out of range."""
    text = args.strip().upper()
    if text in ("MIN", "MINIMUM"):
        return low
    if text in ("MAX", "MAXIMUM"):
        return high
    m = _VALUE.fullmatch(text)
    if not m:
        raise ParamError("Numeric data error" if text else "Missing parameter", -120 if text else -109)
    value = float(m.group(1))
    if unit_scale and m.group(2) == "K":
        value *= 1e3
    elif unit_scale and m.group(2) == "M":
        value *= 1e-3
    if not low <= value <= high:
        raise ParamError("Data out of range", -222)
    return value


class LoadSimulator(ScpiSimulator):
    """Base of the load simulators: port coupling, protection monitor, ``state()``.

    ``self.port`` is the TCP port (from :class:`ScpiSimulator`); the DC port is ``self.dc``.
    """

    poll_s = 0.005  # protection monitor period
    detect_window_s = 0.002  # protection sees the signal, not the meter's 50 ms average

    def __init__(self, dc: DcPort, *, max_voltage_v: float, max_current_a: float, max_power_w: float,
                 host: str = "127.0.0.1", tcp_port: int = 0) -> None:
        super().__init__(host, tcp_port)
        self.dc = dc
        self.max_voltage_v, self.max_current_a, self.max_power_w = (
            float(max_voltage_v), float(max_current_a), float(max_power_w))
        self.input_on = False
        self.tripped: str | None = None  # "OV", "OC", "OP" while a protection trip is latched
        self.trips: list[str] = []  # every trip since start (for tests)
        self.couplings = 0  # how many times the port was told
        self._monitor: threading.Thread | None = None

    # ---- what subclasses define ---------------------------------------------------------
    def sink(self) -> tuple[str, float, float | None, float | None]:
        """(mode "CC"/"CV"/"CP"/"CR", setpoint, battery voltage or None, slew A/s or None)."""
        raise NotImplementedError

    def thresholds(self) -> tuple[float | None, float | None, float | None]:
        """(OVP V, OCP A, OPP W) in force; None: that protection is off."""
        raise NotImplementedError

    def on_trip(self, kind: str) -> None:
        """Set the family's alarm/status bits."""

    # ---- coupling -----------------------------------------------------------------------
    def couple(self) -> None:
        with self.lock:
            mode, setpoint, voltage_v, slew = self.sink()
            self.dc.set_sink(enabled=self.input_on, mode=mode, setpoint=setpoint, voltage_v=voltage_v,
                             slew_a_per_s=slew)
            self.couplings += 1

    def set_input(self, on: bool) -> None:
        """Switch the input; a latched trip refuses ON (-200) until acknowledged/cleared."""
        if on and self.tripped:
            raise ParamError(f"Execution error;protection {self.tripped} tripped", -200)
        self.input_on = on
        self.couple()

    def meter(self) -> tuple[float, float]:
        """(V, A) as the load's meter reads them (the port's averaged values)."""
        v, i = self.dc.measure()
        self.check_protection(v, i)
        return v, i

    # ---- protection ---------------------------------------------------------------------
    def exceeded(self, v: float, i: float) -> str | None:
        ovp, ocp, opp = self.thresholds()
        if ovp is not None and v > ovp:
            return "OV"
        if ocp is not None and i > ocp:
            return "OC"
        if opp is not None and v * i > opp:
            return "OP"
        return None

    def check_protection(self, v: float, i: float) -> None:
        kind = self.exceeded(v, i)
        if kind is not None:
            self.trip(kind)

    def trip(self, kind: str) -> None:
        with self.lock:
            if self.tripped:
                return
            self.tripped = kind
            self.trips.append(kind)
            self.input_on = False
            self.on_trip(kind)
            self.couple()

    def condition_gone(self) -> bool:
        v, i = self.dc.measure(self.detect_window_s)
        return self.exceeded(v, i) is None

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            with contextlib.suppress(Exception), self.lock:  # a port hiccup must not kill the monitor
                v, i = self.dc.measure(self.detect_window_s)
                self.check_protection(v, i)

    def start(self) -> LoadSimulator:
        super().start()
        self._monitor = threading.Thread(target=self._watch, name=f"sim-{type(self).__name__}-protection",
                                         daemon=True)
        self._monitor.start()
        self._threads.append(self._monitor)
        return self

    def state(self) -> dict[str, Any]:
        with self.lock:
            mode, setpoint, voltage_v, slew = self.sink()
            ovp, ocp, opp = self.thresholds()
            return {"input_on": self.input_on, "mode": mode, "setpoint": setpoint, "voltage_v": voltage_v,
                    "slew_a_per_s": slew, "tripped": self.tripped, "ovp_v": ovp, "ocp_a": ocp,
                    "opp_w": opp}
