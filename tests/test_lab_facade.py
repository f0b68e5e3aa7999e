"""The Lab facade over real simulators reached through pyvisa / pyserial: lookups by port,
quantity and function, what the bench lacks, instruments that cannot be opened, the tighter of
instrument and port limits, and the safe state on all_off and close."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from harness.lab.facade import Lab, LabError, LabUnavailable
from harness.lab.spec import InstrumentSpec, ProbeSpec
from instruments.analyzer import WT5000
from instruments.errors import IdentityMismatch, InstrumentUnreachable, SafetyLimitError
from instruments.limits import Limits
from instruments.load import EaPsb10000
from instruments.relay import NumatoRelay
from instruments.scope import KeysightInfiniiVision
from instruments.sim.ea import EaSimulator
from instruments.sim.keysight import KeysightScopeSimulator
from instruments.sim.plant import DcPlant
from instruments.sim.relay import RelayBoardSimulator
from instruments.sim.scope import ScopeEngine
from instruments.sim.yokogawa import YokogawaSimulator

TIMEOUT_S = 0.3
LOAD_LIMITS = Limits(1200, 520, 220_000, where="lab.yaml: instruments.load1.limits")
PORT_LIMITS = {1: Limits(1000, 500, None, where="lab.yaml: power.ports.1"),
               2: Limits(800, 600, 150_000, where="lab.yaml: power.ports.2")}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bench:
    ea: EaSimulator
    scope: KeysightScopeSimulator
    analyzer: YokogawaSimulator
    relay: RelayBoardSimulator
    specs: dict[str, InstrumentSpec]
    addresses: dict[str, str]

    def lab(self, **specs: InstrumentSpec | None) -> Lab:
        """A Lab over these simulators; ``name=None`` drops an entry, a spec adds or replaces one."""
        merged: dict[str, InstrumentSpec] = {**self.specs, **{k: v for k, v in specs.items() if v}}
        for name, spec in specs.items():
            if spec is None:
                merged.pop(name)
        return Lab(merged, PORT_LIMITS, self.addresses)


def spec(name: str, role: str, family: str, **kwargs: Any) -> InstrumentSpec:
    return InstrumentSpec(name=name, role=role, family=family, address=kwargs.pop("address", "simulated"),
                          timeout_s=TIMEOUT_S, **kwargs)


@pytest.fixture
def bench() -> Iterator[Bench]:
    plant1, plant2 = DcPlant(1), DcPlant(2)
    sims: list[Any] = [
        EaSimulator(plant1, "PSB 10000", max_voltage_v=1500, max_current_a=650, max_power_w=275_000),
        KeysightScopeSimulator(ScopeEngine({1: (plant1, "voltage"), 2: (plant1, "current")})),
        YokogawaSimulator({1: plant1, 2: plant2}, "WT5000"),
        RelayBoardSimulator(channels=8),
    ]
    for sim in sims:
        sim.start()
    ea, scope, analyzer, relay = sims
    specs = {
        "load1": spec("load1", "load", "ea-psb10000", port=1, limits=LOAD_LIMITS),
        "scope": spec("scope", "scope", "keysight-infiniivision",
                      probes=(ProbeSpec(1, 1, "voltage", 100.0), ProbeSpec(2, 1, "current", 100.0))),
        "analyzer": spec("analyzer", "power_analyzer", "yokogawa-wt5000", elements={1: 1, 2: 2}),
        "pdu": spec("pdu", "relay", "numato-usb-relay", channels={"estop": 0, "power_cut": 1},
                    safe_states={"estop": False, "power_cut": False}),
    }
    addresses = {"load1": ea.resource, "scope": scope.resource, "analyzer": analyzer.resource,
                 "pdu": relay.url}
    try:
        yield Bench(ea, scope, analyzer, relay, specs, addresses)
    finally:  # in parallel: each waits up to its accept timeout
        stoppers = [threading.Thread(target=sim.stop) for sim in sims]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()


@pytest.fixture
def lab(bench: Bench) -> Iterator[Lab]:
    lab = bench.lab().open()
    yield lab
    lab.close()


# ---- lookups ------------------------------------------------------------------------------
def test_lookups(lab: Lab) -> None:
    assert lab.errors == {}
    load = lab.load(1)
    assert isinstance(load, EaPsb10000) and load.entry == "load1"
    assert lab.load_spec(1).name == "load1" and lab.ports_with_loads() == [1]
    assert isinstance(lab.scope(), KeysightInfiniiVision)
    assert lab.probe(1, "current") == ProbeSpec(2, 1, "current", 100.0)
    assert lab.probe(1, "voltage").channel == 1
    analyzer, element = lab.analyzer(2)
    assert isinstance(analyzer, WT5000) and element == 2
    board, channel = lab.relay("power_cut")
    assert isinstance(board, NumatoRelay) and channel == 1
    assert lab.relay("estop") == (board, 0)


def test_instruments_work_through_the_lab(bench: Bench, lab: Lab) -> None:
    _, amps, watts = lab.load(1).measure()
    assert amps == 0.0 and watts == 0.0
    analyzer, element = lab.analyzer(1)
    assert analyzer.read_dc(element).current_a == pytest.approx(0.0, abs=1e-6)
    board, channel = lab.relay("estop")
    board.set(channel, True)
    assert bench.relay.state(0) and board.get(channel)
    assert "OUTP OFF" in bench.ea.log  # the run starts from the safe state


def test_what_the_bench_lacks_is_unavailable(bench: Bench, lab: Lab) -> None:
    for lookup, text in [(lambda: lab.load(3), "no load on port 3"),
                         (lambda: lab.load_spec(2), "no load on port 2"),
                         (lambda: lab.probe(2, "voltage"), "no scope probe on the voltage of port 2"),
                         (lambda: lab.analyzer(3), "no power analyzer element on port 3"),
                         (lambda: lab.relay("ac_supply"), "no relay channel named 'ac_supply'")]:
        with pytest.raises(LabUnavailable, match=text):
            lookup()
    bare = bench.lab(scope=None, analyzer=None, pdu=None, load1=None).open()
    with pytest.raises(LabUnavailable, match="the bench file lists no oscilloscope"):
        bare.scope()
    assert bare.ports_with_loads() == []
    assert bare.close() == []


# ---- instruments that cannot be opened --------------------------------------------------------
def test_unreachable_instrument_is_recorded_and_the_others_work(bench: Bench) -> None:
    port = closed_port()
    lab = bench.lab(
        load2=spec("load2", "load", "ea-psb10000", port=2, limits=LOAD_LIMITS,
                   address=f"TCPIP::127.0.0.1::{port}::SOCKET"),
        pdu=replace(bench.specs["pdu"], address=f"socket://127.0.0.1:{port}"),
        analyzer=replace(bench.specs["analyzer"], family="yokogawa-wt1800"),
    )
    lab.addresses.pop("pdu")
    try:
        lab.open()
        assert set(lab.errors) == {"load2", "pdu", "analyzer"}
        assert isinstance(lab.errors["load2"], InstrumentUnreachable)
        assert isinstance(lab.errors["pdu"], InstrumentUnreachable)
        assert isinstance(lab.errors["analyzer"], IdentityMismatch)  # a WT5000 answers, not a WT1800
        assert set(lab.instruments) == {"load1", "scope"}
        lab.load(1).measure()
        lab.scope().run()
        with pytest.raises(LabError) as info:
            lab.load(2)
        assert str(info.value).startswith(f"bench instrument 'load2' is unavailable: instrument 'load2' "
                                          f"(TCPIP::127.0.0.1::{port}::SOCKET): cannot open")
        with pytest.raises(LabError, match=r"'pdu' is unavailable: .*cannot open"):
            lab.relay("estop")
        with pytest.raises(LabError, match=r"'analyzer' is unavailable: .*\*IDN\? answered 'YOKOGAWA,WT5000"):
            lab.analyzer(1)
        assert lab.ports_with_loads() == [1, 2]
        assert lab.load_spec(2).name == "load2"
    finally:
        assert lab.close() == []  # only opened instruments were registered for the safe state


# ---- limits -------------------------------------------------------------------------------------
def test_load_limits_are_the_tighter_of_instrument_and_port(bench: Bench, lab: Lab) -> None:
    limits = lab.load(1).limits
    assert (limits.max_voltage_v, limits.max_current_a, limits.max_power_w) == (1000, 500, 220_000)
    assert limits.where == "lab.yaml: instruments.load1.limits / lab.yaml: power.ports.1"
    sent = len(bench.ea.log)
    with pytest.raises(SafetyLimitError, match=r"refused current 510 A: beyond the bench limit 500 A "
                                               r"\(.*power.ports.1.max_current_a\)"):
        lab.load(1).set_current(510)
    with pytest.raises(SafetyLimitError, match=r"limit 1000 V"):
        lab.load(1).set_voltage(1100)
    assert len(bench.ea.log) == sent  # nothing reached the instrument
    lab.load(1).set_current(500)
    assert list(bench.ea.log)[-2:] == ["SINK:CURR 500", "SYST:ERR?"]


def test_load_without_port_limits_keeps_its_own(bench: Bench) -> None:
    lab = Lab(bench.specs, {}, bench.addresses).open()
    try:
        assert lab.load(1).limits == LOAD_LIMITS
    finally:
        lab.close()


# ---- safe state -----------------------------------------------------------------------------------
def test_all_off_switches_loads_off_and_relays_to_safe_states(bench: Bench, lab: Lab) -> None:
    load = lab.load(1)
    load.set_voltage(400)
    load.set_input(True)
    board, _ = lab.relay("estop")
    board.set(0, True)
    board.set(1, True)
    board.set(5, True)  # not a listed function: left alone
    assert bench.ea.input_on and bench.relay.state(0) and bench.relay.state(1)
    assert lab.all_off("test over") == []
    assert not bench.ea.input_on and not load.input_on()
    assert (bench.relay.state(0), bench.relay.state(1), bench.relay.state(5)) == (False, False, True)
    assert {(reason, name, result) for reason, name, result in lab.guard.history} == {
        ("test over", "load1", "off"), ("test over", "pdu", "off")}


def test_close_closes_every_session_even_when_switching_off_fails(bench: Bench, lab: Lab) -> None:
    instruments = dict(lab.instruments)
    board, _ = lab.relay("estop")
    board.set(0, True)
    bench.ea.crash()
    failures = lab.close("end of run")
    assert len(failures) == 1 and failures[0].startswith("load1: ")
    assert "instrument 'load1'" in failures[0]
    assert not bench.relay.state(0)  # the relay was still put in its safe state
    assert lab.instruments == {}
    for name, instrument in instruments.items():
        assert not (instrument.is_open if name == "pdu" else instrument.transport.is_open), name
    assert ("end of run", "pdu", "off") in lab.guard.history
