"""The emulated bench's instruments: a simulator of each ``resource: simulated`` entry, in the
entry's family dialect, coupled to the emulated station's DC outputs and inputs.

The load's settings become the EV's demand on its port, the scope probes the port's voltage or
current, the analyzer's element N measures its port, and the relay board's ``estop`` channel
presses the station's e-stop button while energized and its ``power_cut`` channel opens the
station's AC supply (a normally-closed contact) while energized. Suites reach them
through real pyvisa / pyserial sessions to loopback ports, exactly as they reach a lab's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from harness.lab.spec import InstrumentSpec
from instruments.sim.contact import ContactSignal
from instruments.sim.plant import DcPlant
from instruments.sim.scope import ScopeEngine

log = logging.getLogger("harness.lab")

#: family -> simulator factory(spec, plant-of-port) for loads
_LOADS: dict[str, Callable[[InstrumentSpec, DcPlant], Any]] = {}
_SCOPES: dict[str, Callable[[ScopeEngine], Any]] = {}
_ANALYZERS: dict[str, Callable[[Mapping[int, DcPlant]], Any]] = {}


def _register() -> None:
    if _LOADS:
        return
    from instruments.sim.chroma import ChromaSimulator
    from instruments.sim.ea import EaSimulator
    from instruments.sim.itech import ItechSimulator
    from instruments.sim.keysight import KeysightScopeSimulator
    from instruments.sim.rigol import RigolScopeSimulator
    from instruments.sim.tektronix import TektronixScopeSimulator
    from instruments.sim.yokogawa import YokogawaSimulator

    def rating(spec: InstrumentSpec) -> dict[str, float]:
        lim = spec.limits  # the simulated instrument is rated above the bench limits
        return {"max_voltage_v": 1.25 * (lim.max_voltage_v or 1000.0),
                "max_current_a": 1.25 * (lim.max_current_a or 500.0),
                "max_power_w": 1.25 * (lim.max_power_w or 200_000.0)}

    _LOADS.update({
        "ea-psb10000": lambda spec, plant: EaSimulator(plant, "PSB 10000", **rating(spec)),
        "ea-elr10000": lambda spec, plant: EaSimulator(plant, "ELR 10000", **rating(spec)),
        "chroma-63200a": lambda spec, plant: ChromaSimulator(plant, **rating(spec)),
        "itech-m3900": lambda spec, plant: ItechSimulator(plant, **rating(spec)),
    })
    _SCOPES.update({
        "keysight-infiniivision": KeysightScopeSimulator,
        "tektronix-mso": TektronixScopeSimulator,
        "rigol-dho": RigolScopeSimulator,
    })
    _ANALYZERS.update({
        "yokogawa-wt5000": lambda ports: YokogawaSimulator(ports, "WT5000"),
        "yokogawa-wt1800": lambda ports: YokogawaSimulator(ports, "WT1800"),
    })


class SimulatedLab:
    """Starts and stops the simulators; ``addresses`` maps each entry to its loopback address."""

    def __init__(self, specs: Mapping[str, InstrumentSpec], station: Any) -> None:
        """``station``: the :class:`~harness.emulator.station.EmulatedStation` (duck-typed)."""
        self.specs = {n: s for n, s in specs.items() if s.simulated}
        self.station = station
        self.simulators: dict[str, Any] = {}
        self.addresses: dict[str, str] = {}
        self.estop_contact = ContactSignal()  # the e-stop button's auxiliary contact

    def plant(self, port: int) -> DcPlant:
        return self.station.evses[port].power.plant  # type: ignore[no-any-return]

    def start(self) -> SimulatedLab:
        _register()
        try:
            for name, spec in self.specs.items():
                sim = self._simulator(spec)
                sim.start()
                self.simulators[name] = sim
                self.addresses[name] = sim.url if spec.role == "relay" else sim.resource
            for evse in self.station.evses.values():
                evse.power.plant.start_ticker()
        except BaseException:
            self.stop()
            raise
        return self

    def _simulator(self, spec: InstrumentSpec) -> Any:
        if spec.role == "load":
            assert spec.port is not None
            return _LOADS[spec.family](spec, self.plant(spec.port))
        if spec.role == "scope":
            # 100 kpts records, as a lab scope keeps (the engine defaults to 10 k)
            probes = {p.channel: (self.estop_contact, "voltage") if p.quantity == "estop"
                      else (self.plant(p.port), p.quantity) for p in spec.probes}
            engine = ScopeEngine(probes, record_length=100_000)
            return _SCOPES[spec.family](engine)
        if spec.role == "power_analyzer":
            elements = {element: self.plant(port) for port, element in spec.elements.items()}
            return _ANALYZERS[spec.family](elements)
        from instruments.sim.relay import RelayBoardSimulator

        wiring = {channel: function for function, channel in spec.channels.items()}

        def on_change(channel: int, state: bool) -> None:
            function = wiring.get(channel)
            if function == "estop":
                self.estop_contact.set(state)
                self.station.set_emergency_stop(state)
            elif function == "power_cut":  # wired through a normally-closed contact
                self.station.set_ac_supply(not state)

        return RelayBoardSimulator(channels=max([8, *[c + 1 for c in spec.channels.values()]]),
                                   on_change=on_change)

    def stop(self) -> None:
        for name, sim in self.simulators.items():
            try:
                sim.stop()
            except Exception as exc:
                log.warning("stopping simulator %s: %s", name, exc)
        self.simulators.clear()
        for evse in self.station.evses.values():
            evse.power.plant.stop_ticker()
            evse.power.plant.release_sink()
