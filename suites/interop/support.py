"""Building blocks of the interop suites: plugging a connector configuration in, waiting for
what the EVSE does on the pilot (with the time it took), and reading the inlet."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from harness.ev.bench import EvBench
from harness.ev.side import EvSide, PilotReading
from harness.evidence.steps import step
from harness.protocols import pilot as cp
from suites.interop.conftest import Plug

LIMITS = cp.LIMITS
POLL_S = 0.005


async def plug_in(ev: EvBench, plug: Plug, *, to_state: str = "B") -> tuple[EvSide, float]:
    """Plug ``plug`` in (PP latched, CP B); returns the EV end and the time state B began."""
    side = await ev.side(plug.evse, plug.connector)
    with step(f"plug in {plug} on EVSE {plug.evse} connector {plug.connector}"):
        t_b = time.monotonic()
        await side.connect(plug.evse, plug.connector, plug.connector_type, plug.adapter)
    if to_state != "B":
        await side.set_cp_state(to_state)
    return side, t_b


async def wait_pilot(side: EvSide, condition: Callable[[PilotReading], bool], within: float,
                     what: str) -> tuple[PilotReading | None, PilotReading]:
    """Poll the pilot until ``condition`` holds or ``within`` s pass. Returns (the first reading
    that met it or None, the last reading)."""
    deadline = time.monotonic() + within
    with step(f"wait up to {within:g} s for {what}"):
        while True:
            reading = await side.read_pilot()
            if condition(reading):
                return reading, reading
            if time.monotonic() >= deadline:
                return None, reading
            await asyncio.sleep(POLL_S)


def pwm_on(r: PilotReading) -> bool:
    return r.oscillating and r.frequency_hz > 0


def pwm_off(r: PilotReading) -> bool:
    return not r.oscillating


def describe(r: PilotReading) -> str:
    if r.oscillating:
        return f"PWM {r.duty_pct:.1f} % at {r.frequency_hz:.0f} Hz, +{r.high_v:.1f} / {r.low_v:.1f} V"
    return f"steady {r.high_v:+.1f} V (state {cp.state_of(r.high_v, r.low_v, False)})"
