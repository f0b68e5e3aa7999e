"""Building blocks of the power-delivery suite: a charging session whose EV demand is the bench
load's setting, analyzer readings and scope captures, evidence series.

Everything goes through the bench's instruments, bench actions and OCPP, so each helper works
the same on a lab bench and on the emulated one. Blocking instrument calls run off the event
loop (``lab.run``), and every wait is "until a condition, before a deadline".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from harness.analysis.waveform import Waveform
from harness.bench import Bench
from harness.csms.charger_view import ChargerView, Ended, Started
from harness.csms.session import StationSession
from harness.evidence import plots
from harness.evidence.steps import step
from harness.lab.facade import Lab
from instruments.roles import DcLoad, DcReading

log = logging.getLogger("harness.power")


@dataclass
class Trace:
    """Analyzer readings and the EV's request over a session, for plots and CSV."""

    t: list[float] = field(default_factory=list)
    voltage: list[float] = field(default_factory=list)
    current: list[float] = field(default_factory=list)
    power: list[float] = field(default_factory=list)
    requested: list[float] = field(default_factory=list)

    def add(self, reading: DcReading, requested_a: float, t0: float) -> None:
        self.t.append(time.monotonic() - t0)
        self.voltage.append(reading.voltage_v)
        self.current.append(reading.current_a)
        self.power.append(reading.power_w / 1000.0)
        self.requested.append(requested_a)

    def series(self, label: str) -> tuple[list[plots.Series], list[plots.Series]]:
        t = np.asarray(self.t)
        measured = [plots.Series(f"{label} voltage", t, np.asarray(self.voltage), "V"),
                    plots.Series(f"{label} current", t, np.asarray(self.current), "A"),
                    plots.Series(f"{label} power", t, np.asarray(self.power), "kW")]
        requested = [plots.Series(f"{label} EV request", t, np.asarray(self.requested), "A")]
        return measured, requested


@dataclass
class PowerSession:
    """One charging session on one port, with the bench load as the EV."""

    port: int
    lab: Lab
    load: DcLoad
    station: StationSession
    view: ChargerView
    started: Started
    requested_a: float = 0.0
    unplugged: bool = False  # the test unplugged the EV itself
    ended: Ended | None = None  # the transaction's end, once the session is over
    trace: Trace = field(default_factory=Trace)
    t0: float = field(default_factory=time.monotonic)

    @property
    def tx_id(self) -> str:
        return self.started.tx_id

    async def demand(self, amps: float) -> None:
        """The EV asks for ``amps`` (the load's constant-current setpoint, input on)."""
        with step(f"port {self.port}: EV demands {amps:g} A"):
            await self.lab.run(self.load.set_current, amps)
            self.requested_a = amps
            if not await self.lab.run(self.load.input_on):
                await self.lab.run(self.load.set_input, True)

    async def stop_demand(self) -> None:
        with step(f"port {self.port}: EV demand off"):
            await self.lab.run(self.load.set_input, False)
            self.requested_a = 0.0

    async def read(self) -> DcReading:
        """The reference analyzer's reading of this port (also kept in the trace)."""
        analyzer, element = self.lab.analyzer(self.port)
        reading = await self.lab.run(analyzer.read_dc, element)
        self.trace.add(reading, self.requested_a, self.t0)
        return reading

    async def settle(self, current_a: float, *, tolerance_a: float, within: float,
                     period: float = 0.05) -> DcReading:
        """Read until the current is within ``tolerance_a`` of ``current_a`` or ``within`` s
        pass; returns the last reading either way (the caller's measurement judges it)."""
        deadline = time.monotonic() + within
        reading = await self.read()
        while abs(reading.current_a - current_a) > tolerance_a and time.monotonic() < deadline:
            await asyncio.sleep(period)
            reading = await self.read()
        return reading

    async def hold(self, seconds: float, period: float = 0.1) -> list[DcReading]:
        """Read the analyzer every ``period`` for ``seconds`` (lab runs: minutes)."""
        readings = []
        end = time.monotonic() + seconds
        while True:
            readings.append(await self.read())
            remaining = end - time.monotonic()
            if remaining <= 0:
                return readings
            await asyncio.sleep(min(period, remaining))

    def attach_trace(self, title: str) -> None:
        measured, requested = self.trace.series(f"port {self.port}")
        plots.attach_plot(title, measured, requested)
        plots.attach_csv([*measured, *requested], name=f"port {self.port} analyzer readings")


def first_port(lab: Lab) -> int:
    """The port the single-port cases use: the lowest one with a load (skip when none)."""
    ports = lab.ports_with_loads()
    if not ports:
        pytest.skip("the bench file lists no load: the power suite needs one")
    return ports[0]


def ensure_battery(load: DcLoad, what: str) -> None:
    if not load.can_emulate_battery:
        pytest.skip(f"{what} needs a load that can hold a battery voltage; "
                    f"{load.entry} ({type(load).__name__}) is sink-only")


@contextlib.asynccontextmanager
async def charging(lab: Lab, station: StationSession, operator: Any, bench: Bench, port: int, *,
                   battery_v: float | None = None, connector: int = 1, token: str = "valid",
                   remote_start: bool = False) -> AsyncIterator[PowerSession]:
    """Plug in and authorize on ``port`` with the load's input off; yield the session; then,
    whatever happened, switch the load off, end the transaction and unplug.

    ``remote_start``: the CSMS starts the session (RequestStartTransaction) instead of a card at
    the reader; several ports can then charge for one token (a card at the reader would stop
    the session it already owns)."""
    load = lab.load(port)
    battery_v = bench.power.ev.battery_voltage_v if battery_v is None else battery_v
    with step(f"port {port}: load {load.entry} ready as the EV (input off, CC, {battery_v:g} V battery)"):
        await lab.run(load.set_input, False)
        await lab.run(load.set_current, 0.0)
        await lab.run(load.set_mode, "CC")
        if load.can_emulate_battery:
            await lab.run(load.set_voltage, battery_v)
    tok = bench.station.id_tokens[token]
    view = ChargerView(station, bench)
    with step(f"port {port}: plug in and authorize"):
        await operator.plug_in(port, connector)
        if remote_start:
            await view.remote_start(port, tok, remote_start_id=9000 + port)
        else:
            await operator.present_id_token(tok.id_token, tok.type, port)
        started = await view.expect_started(port)
    session = PowerSession(port, lab, load, station, view, started)
    try:
        yield session
    finally:
        with step(f"port {port}: end of session"):
            try:
                await lab.run(load.set_input, False)
            except Exception as exc:  # the lab fixture switches everything off again anyway
                log.error("port %s: could not switch the load off: %s", port, exc)
            with contextlib.suppress(Exception):
                if not session.unplugged:
                    await operator.unplug(port, connector)
                session.ended = await view.expect_ended(started)


async def capture(lab: Lab, port: int, *, quantities: tuple[str, ...], full_scale: dict[str, float],
                  seconds_per_div: float, trigger: tuple[str, float, str], pre_trigger: float,
                  action: Callable[[], Awaitable[None]], within: float) -> dict[str, Waveform]:
    """Set up the scope on ``port``, arm a single acquisition, run ``action`` (what makes the
    event happen), wait for the acquisition and return the traces in physical units.

    ``full_scale``: the largest value per quantity (8 divisions); ``trigger``: (quantity, level,
    "rise"/"fall"); ``pre_trigger``: the fraction of the 10-division record before the trigger.
    """
    scope = lab.scope()
    probes = {q: lab.probe(port, q) for q in quantities}
    trig_quantity, level, slope = trigger
    with step(f"scope: {', '.join(quantities)} of port {port}, {seconds_per_div * 10:g} s record, "
              f"trigger {trig_quantity} {slope} through {level:g}"):
        for q, probe in probes.items():
            unit = "A" if q == "current" else "V"  # "estop": a 24 V contact
            # 8 divisions, centred offset: the trace spans -0.1 .. 1.1 x full scale
            scale = full_scale[q] * 1.2 / 8
            await lab.run(scope.setup_channel, probe.channel, scale=scale, offset=full_scale[q] / 2,
                          probe=probe.ratio, unit=unit)
        # delay = time of the screen centre after the trigger
        await lab.run(scope.set_timebase, seconds_per_div, (0.5 - pre_trigger) * 10 * seconds_per_div)
        await lab.run(scope.set_trigger_edge, probes[trig_quantity].channel, level, slope)
        await lab.run(scope.single)
    await action()
    with step(f"scope: wait for the acquisition (up to {within:g} s)"):
        deadline = time.monotonic() + within
        while not await lab.run(scope.acquisition_done):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the scope did not trigger on {trig_quantity} {slope} through {level:g} within "
                    f"{within:g} s: the event did not happen at the charger output")
            await asyncio.sleep(0.02)
        traces = {}
        for q, probe in probes.items():
            trace = await lab.run(scope.waveform, probe.channel)
            traces[q] = Waveform(trace.t0, trace.dt, trace.values, "A" if q == "current" else "V", q)
    return traces


def attach_waveforms(title: str, traces: dict[str, Waveform], markers: list[tuple[float, str]] = (),
                     limits: list[tuple[float, str, str]] = (), requested: list[plots.Series] = ()) -> None:
    series = [plots.Series(name, wf.times, wf.values, wf.unit) for name, wf in traces.items()]
    plots.attach_plot(title, series, requested=list(requested), markers=list(markers), limits=list(limits))
    plots.attach_csv(series, name=f"{title} (scope record)")
