"""The bench file's lab sections (``instruments:`` and ``power:``): every mistake is a BenchError
naming the file, the exact dotted field and what is wrong; the shipped benches parse; YAML merge
keys work while a true duplicate key is still refused."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.bench import BenchError, default_bench_path, load_bench
from harness.lab.spec import PowerParameters, ProbeSpec

STATION: dict[str, Any] = {
    "id": "CS001",
    "password": "0123456789abcdef0123",
    "evses": [{"id": 1, "connectors": [{"id": 1, "type": "cCCS1"}]},
              {"id": 2, "connectors": [{"id": 1, "type": "cCCS1"}]}],
}
LIMITS = {"max_voltage_v": 1000, "max_current_a": 500, "max_power_w": 200_000}
INSTRUMENTS: dict[str, Any] = {
    "load1": {"role": "load", "family": "ea-psb10000", "resource": "simulated", "port": 1,
              "limits": dict(LIMITS)},
    "scope": {"role": "scope", "family": "keysight-infiniivision", "resource": "simulated",
              "probes": {1: {"port": 1, "quantity": "voltage", "ratio": 100},
                         2: {"port": 1, "quantity": "current", "ratio": 100}}},
    "analyzer": {"role": "power_analyzer", "family": "yokogawa-wt5000", "resource": "simulated",
                 "elements": {1: 1, 2: 2}},
    "pdu": {"role": "relay", "family": "numato-usb-relay", "url": "simulated",
            "channels": {"estop": 0, "power_cut": 1}, "safe_states": {"estop": False, "power_cut": False}},
}
BASE: dict[str, Any] = {"name": "t", "station": STATION, "instruments": INSTRUMENTS}


def bench_data(**changes: Any) -> dict[str, Any]:
    """BASE with changes at ``__``-separated paths; a value of ... deletes the key."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(int(key) if key.isdigit() else key, {})
        last_: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[last_]
        else:
            node[last_] = value
    return data


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "lab.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), "utf-8")
    return path


def error(tmp_path: Path, data: Any) -> BenchError:
    path = write(tmp_path, data)
    with pytest.raises(BenchError) as info:
        load_bench(path, env={})
    field = info.value.field
    assert str(info.value).startswith(f"{path}: {field}: " if field else f"{path}: ")
    return info.value


def test_base_parses(tmp_path: Path) -> None:
    bench = load_bench(write(tmp_path, BASE), env={})
    assert sorted(s.role for s in bench.instruments.values()) == ["load", "power_analyzer", "relay", "scope"]


# ---- bad inputs: (changes, field, problem fragment) -------------------------------------------
BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("not a mapping", {"instruments": ["load1"]}, "instruments", "expected a mapping, got a list"),
    ("entry not a mapping", {"instruments__load1": "ea"}, "instruments.load1",
     "expected a mapping, got a string 'ea'"),
    ("unknown role", {"instruments__load1__role": "lod"}, "instruments.load1.role",
     "expected one of load, scope, power_analyzer, relay, got 'lod' (did you mean 'load'?)"),
    ("missing role", {"instruments__scope__role": ...}, "instruments.scope.role",
     "expected one of load, scope, power_analyzer, relay, got None"),
    ("unknown family", {"instruments__load1__family": "ea-psb1000"}, "instruments.load1.family",
     "got 'ea-psb1000' (did you mean 'ea-psb10000'?)"),
    ("family of another role", {"instruments__scope__family": "ea-psb10000"}, "instruments.scope.family",
     "expected one of keysight-infiniivision, rigol-dho, tektronix-mso, got 'ea-psb10000'"),
    ("missing resource", {"instruments__analyzer__resource": ...}, "instruments.analyzer.resource",
     "missing"),
    ("relay with resource", {"instruments__pdu__resource": "x"}, "instruments.pdu.resource", "unknown key"),
    ("key of another role", {"instruments__load1__probes": {}}, "instruments.load1.probes",
     "unknown key"),
    ("empty resource", {"instruments__load1__resource": ""}, "instruments.load1.resource",
     "expected a non-empty string"),
    ("zero timeout", {"instruments__load1__timeout": 0}, "instruments.load1.timeout", "expected > 0, got 0"),
    ("text timeout", {"instruments__load1__timeout": "2s"}, "instruments.load1.timeout",
     "expected a number, got a string '2s'"),
    ("load without limits", {"instruments__load1__limits": ...}, "instruments.load1.limits",
     "missing: a load needs max_voltage_v, max_current_a and max_power_w"),
    ("limits missing a key", {"instruments__load1__limits__max_power_w": ...},
     "instruments.load1.limits.max_power_w", "missing"),
    ("limits typo", {"instruments__load1__limits__max_pwer_w": 1}, "instruments.load1.limits.max_pwer_w",
     "unknown key (did you mean 'max_power_w'?)"),
    ("negative limit", {"instruments__load1__limits__max_current_a": -5},
     "instruments.load1.limits.max_current_a", "expected > 0, got -5"),
    ("boolean limit", {"instruments__load1__limits__max_voltage_v": True},
     "instruments.load1.limits.max_voltage_v", "expected a number, got a boolean True"),
    ("load without port", {"instruments__load1__port": ...}, "instruments.load1.port",
     "missing: the charger port (EVSE id) this load is wired to"),
    ("load on a missing EVSE", {"instruments__load1__port": 3}, "instruments.load1.port",
     "the station has no EVSE 3; its EVSEs are [1, 2]"),
    ("port as text", {"instruments__load1__port": "1"}, "instruments.load1.port",
     "expected an integer, got a string '1'"),
    ("probe quantity", {"instruments__scope__probes__2__quantity": "power"},
     "instruments.scope.probes.2.quantity", "expected one of voltage, current"),
    ("probe channel", {"instruments__scope__probes__9": {"port": 1, "quantity": "voltage", "ratio": 1}},
     "instruments.scope.probes.9", "expected 1..8, got 9"),
    ("probe channel name",
     {"instruments__scope__probes__CH1": {"port": 1, "quantity": "voltage", "ratio": 1}},
     "instruments.scope.probes.CH1", "expected an integer, got a string 'CH1'"),
    ("probe port", {"instruments__scope__probes__1__port": 4}, "instruments.scope.probes.1.port",
     "the station has no EVSE 4; its EVSEs are [1, 2]"),
    ("probe ratio", {"instruments__scope__probes__1__ratio": 0}, "instruments.scope.probes.1.ratio",
     "expected > 0, got 0"),
    ("probe without ratio", {"instruments__scope__probes__1__ratio": ...}, "instruments.scope.probes.1.ratio",
     "missing"),
    ("probe typo", {"instruments__scope__probes__1__ration": 10}, "instruments.scope.probes.1.ration",
     "unknown key (did you mean 'ratio'?)"),
    ("probes not a mapping", {"instruments__scope__probes": [1, 2]}, "instruments.scope.probes",
     "expected a mapping, got a list"),
    ("analyzer element", {"instruments__analyzer__elements__2": 8}, "instruments.analyzer.elements.2",
     "expected 1..7, got 8"),
    ("analyzer element zero", {"instruments__analyzer__elements__1": 0}, "instruments.analyzer.elements.1",
     "expected 1..7, got 0"),
    ("analyzer port", {"instruments__analyzer__elements__5": 5}, "instruments.analyzer.elements.5",
     "the station has no EVSE 5; its EVSEs are [1, 2]"),
    ("relay channel", {"instruments__pdu__channels__estop": 64}, "instruments.pdu.channels.estop",
     "expected 0..63, got 64"),
    ("relay safe state of no channel", {"instruments__pdu__safe_states__estp": False},
     "instruments.pdu.safe_states.estp",
     "no such channel (did you mean 'estop'?); channels: estop, power_cut"),
    ("relay safe state not boolean", {"instruments__pdu__safe_states__estop": "off"},
     "instruments.pdu.safe_states.estop", "expected true (on) or false (off), got 'off'"),
    ("relay safe state number", {"instruments__pdu__safe_states__power_cut": 1},
     "instruments.pdu.safe_states.power_cut", "expected true (on) or false (off), got 1"),
    ("relay baudrate", {"instruments__pdu__baudrate": 9600.5}, "instruments.pdu.baudrate",
     "expected an integer, got float 9600.5"),
    ("unknown power section", {"power": {"port": {}}}, "power.port", "unknown key (did you mean 'ports'?)"),
    ("power port", {"power": {"ports": {3: dict(LIMITS)}}}, "power.ports.3",
     "the station has no EVSE 3; its EVSEs are [1, 2]"),
    ("power port limit", {"power": {"ports": {1: {"max_current_a": "lots"}}}},
     "power.ports.1.max_current_a", "expected a number, got a string 'lots'"),
    ("power port limit typo", {"power": {"ports": {1: {"max_curent_a": 5}}}}, "power.ports.1.max_curent_a",
     "unknown key (did you mean 'max_current_a'?)"),
    ("claims", {"power": {"claims": {"max_current_a": 0}}}, "power.claims.max_current_a",
     "expected > 0, got 0"),
    ("claims typo", {"power": {"claims": {"peak_ripple": 5}}}, "power.claims.peak_ripple",
     "unknown key (did you mean 'peak_ripple_a'?)"),
    ("ev", {"power": {"ev": {"battery_voltage_v": "400 V"}}}, "power.ev.battery_voltage_v",
     "expected a number, got a string '400 V'"),
    ("parameter typo", {"power": {"parameters": {"sustained_duraton_s": 900}}},
     "power.parameters.sustained_duraton_s", "unknown key (did you mean 'sustained_duration_s'?)"),
    ("parameter type", {"power": {"parameters": {"metering_duration_s": "10 min"}}},
     "power.parameters.metering_duration_s", "expected a number, got a string '10 min'"),
    ("integer parameter", {"power": {"parameters": {"nevi_ports": 2.5}}}, "power.parameters.nevi_ports",
     "expected an integer, got float 2.5"),
    ("list parameter", {"power": {"parameters": {"accuracy_points": 0.5}}},
     "power.parameters.accuracy_points", "expected a list, got float 0.5"),
    ("list item", {"power": {"parameters": {"sweep_voltages_v": [250, -1]}}},
     "power.parameters.sweep_voltages_v[1]", "expected > 0, got -1"),
    ("ripple band shape", {"power": {"parameters": {"ripple_band_limits": [[0, 5000]]}}},
     "power.parameters.ripple_band_limits[0]", "expected [f_low_hz, f_high_hz, max_peak_a]"),
    ("ripple band value", {"power": {"parameters": {"ripple_band_limits": [[0, 5000, "6 A"]]}}},
     "power.parameters.ripple_band_limits[0][2]", "expected a number, got a string '6 A'"),
]


@pytest.mark.parametrize(("changes", "field", "problem"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_lab_sections_name_file_field_and_problem(tmp_path: Path, changes: dict[str, Any], field: str,
                                                       problem: str) -> None:
    err = error(tmp_path, bench_data(**changes))
    assert err.field == field
    assert problem in err.problem, err.problem


def test_entry_names_are_strings(tmp_path: Path) -> None:
    err = error(tmp_path, bench_data(instruments={1: INSTRUMENTS["load1"]}))
    assert (err.field, err.problem) == ("instruments.1", "entry names are strings")


def test_simulated_instrument_on_an_external_station(tmp_path: Path) -> None:
    data = bench_data(station__mode="external", csms={"port": 9000},
                      instruments={"load1": {**INSTRUMENTS["load1"]},
                                   "scope": {**INSTRUMENTS["scope"],
                                             "resource": "TCPIP::10.0.0.21::5025::SOCKET"}})
    err = error(tmp_path, data)
    assert err.field == "instruments.load1"
    assert "a simulated instrument is coupled to the emulated station only" in err.problem
    assert "TCPIP::192.168.1.20::5025::SOCKET" in err.problem
    relay = bench_data(station__mode="external", csms={"port": 9000}, instruments={"pdu": INSTRUMENTS["pdu"]})
    assert error(tmp_path, relay).field == "instruments.pdu"


def test_real_instruments_on_an_external_station(tmp_path: Path) -> None:
    data = bench_data(station__mode="external", csms={"port": 9000},
                      instruments__load1__resource="TCPIP::10.0.0.20::5025::SOCKET",
                      instruments__pdu__url="/dev/ttyACM0", instruments__scope=...,
                      instruments__analyzer=...)
    bench = load_bench(write(tmp_path, data), env={})
    assert not any(s.simulated for s in bench.instruments.values())


# ---- good cases -------------------------------------------------------------------------------------
def test_default_emulated_bench_has_the_simulated_lab() -> None:
    bench = load_bench(default_bench_path())
    loads = bench.instruments_of("load")
    assert [(s.name, s.family, s.port) for s in loads] == [
        ("load1", "ea-psb10000", 1), ("load2", "ea-psb10000", 2), ("load3", "itech-m3900", 3),
        ("load4", "ea-psb10000", 4)]
    for spec in loads:  # merged from the load1 anchor, named after their own entry
        assert (spec.limits.max_voltage_v, spec.limits.max_current_a, spec.limits.max_power_w) == (
            1200, 520, 220_000)
        assert spec.limits.where.endswith(f"emulated.yaml: instruments.{spec.name}.limits")
        assert spec.simulated and spec.timeout_s == 2.0
    (scope,) = bench.instruments_of("scope")
    assert scope.probes[:2] == (ProbeSpec(1, 1, "voltage", 100.0), ProbeSpec(2, 1, "current", 100.0))
    (analyzer,) = bench.instruments_of("power_analyzer")
    assert analyzer.family == "yokogawa-wt5000" and dict(analyzer.elements) == {1: 1, 2: 2, 3: 3, 4: 4}
    (relay,) = bench.instruments_of("relay")
    assert dict(relay.channels) == {"estop": 0, "power_cut": 1}
    assert dict(relay.safe_states) == {"estop": False, "power_cut": False}
    assert relay.baudrate == 19200 and relay.address == "simulated"
    assert bench.power.claims.max_power_w == 200_000 and bench.power.ev.max_voltage_v == 1000
    assert bench.power.parameters == PowerParameters()
    assert bench.power.ports == {}


def test_lab_example_has_real_instruments_and_long_parameters() -> None:
    path = Path(__file__).resolve().parents[1] / "fixtures" / "benches" / "lab-example.yaml"
    bench = load_bench(path, env={"LAB3_CS_PASSWORD": "lab-password-0123456", "LAB3_ROBOT_TOKEN": "t"})
    assert bench.station.mode == "external"
    assert not any(s.simulated for s in bench.instruments.values())
    loads = bench.instruments_of("load")
    assert [(s.family, s.port) for s in loads] == [("ea-psb10000", 1), ("ea-psb10000", 2)]
    assert all(s.address.startswith("TCPIP::") and s.address.endswith("::5025::SOCKET") for s in loads)
    assert loads[0].address != loads[1].address
    assert all(None not in (s.limits.max_voltage_v, s.limits.max_current_a, s.limits.max_power_w)
               for s in loads)
    (scope,) = bench.instruments_of("scope")
    assert {(p.quantity, p.ratio) for p in scope.probes} == {("voltage", 100.0), ("current", 100.0)}
    (analyzer,) = bench.instruments_of("power_analyzer")
    assert analyzer.family == "yokogawa-wt5000"
    assert dict(analyzer.elements) == {e.id: e.id for e in bench.station.evses}
    (relay,) = bench.instruments_of("relay")
    assert relay.address == "/dev/ttyACM0" and set(relay.channels) == {"estop", "power_cut"}
    assert dict(relay.safe_states) == {"estop": False, "power_cut": False}
    power = bench.power
    assert set(power.ports) == {1, 2}
    assert power.parameters.sustained_duration_s == 900 and power.parameters.metering_duration_s == 600


def test_power_section_values(tmp_path: Path) -> None:
    data = bench_data(power={
        "ports": {1: {"max_current_a": 400}},
        "claims": {"max_current_a": 400, "peak_ripple_a": 3},
        "ev": {"battery_voltage_v": 750, "max_voltage_v": 850},
        "parameters": {"sustained_duration_s": 900, "metering_duration_s": 600, "nevi_ports": 2,
                       "accuracy_points": [0.2, 0.8],
                       "ripple_band_limits": [[0, 5000, 6], [5000, 150000, 9]]},
    })
    path = write(tmp_path, data)
    power = load_bench(path, env={}).power
    assert power.ports[1].max_current_a == 400 and power.ports[1].max_voltage_v is None
    assert power.ports[1].where == f"{path}: power.ports.1"
    claims = power.claims
    assert (claims.max_current_a, claims.peak_ripple_a, claims.max_power_w) == (400, 3, 200_000)
    assert (power.ev.battery_voltage_v, power.ev.max_voltage_v) == (750, 850)
    p = power.parameters
    assert (p.sustained_duration_s, p.metering_duration_s, p.nevi_ports) == (900, 600, 2)
    assert p.accuracy_points == (0.2, 0.8)
    assert p.ripple_band_limits == ((0, 5000, 6), (5000, 150000, 9))
    assert p.dwell_s == PowerParameters().dwell_s


LAB_YAML = """\
station:
  id: CS001
  password: "0123456789abcdef0123"
  evses:
    - {id: 1, connectors: [{id: 1, type: cCCS1}]}
    - {id: 2, connectors: [{id: 1, type: cCCS1}]}
instruments:
  load1: &psb
    role: load
    family: ea-psb10000
    resource: simulated
    port: 1
    limits: &lim {max_voltage_v: 1000, max_current_a: 500, max_power_w: 200000}
  load2:
    <<: *psb
    port: 2
    timeout: 5
    limits: {<<: *lim, max_current_a: 250}
"""


def test_merge_keys_with_overrides(tmp_path: Path) -> None:
    bench = load_bench(write(tmp_path, LAB_YAML), env={})
    one, two = bench.instruments["load1"], bench.instruments["load2"]
    assert (one.port, one.timeout_s, one.limits.max_current_a) == (1, 2.0, 500)
    assert (two.port, two.timeout_s, two.family) == (2, 5.0, "ea-psb10000")
    limits = two.limits
    assert (limits.max_voltage_v, limits.max_current_a, limits.max_power_w) == (1000, 250, 200_000)


def test_chained_and_multiple_merges(tmp_path: Path) -> None:
    text = LAB_YAML.replace("  load2:\n", "  load2: &two\n") + (
        "  load3:\n    <<: *two\n    family: ea-elr10000\n"  # an anchor that itself overrides a merge
        "  load4: {<<: [*two, *psb], port: 1}\n")  # the first merged mapping wins
    bench = load_bench(write(tmp_path, text), env={})
    three, four = bench.instruments["load3"], bench.instruments["load4"]
    assert (three.family, three.port, three.limits.max_current_a) == ("ea-elr10000", 2, 250)
    assert (four.family, four.timeout_s, four.limits.max_current_a) == ("ea-psb10000", 5.0, 250)


@pytest.mark.parametrize(("text", "key"), [
    (LAB_YAML.replace("    port: 2\n", "    port: 2\n    port: 3\n"), "port"),
    (LAB_YAML.replace("    port: 1\n", "    port: 1\n    port: 1\n"), "port"),
    (LAB_YAML.replace("max_current_a: 250}", "max_current_a: 250, max_current_a: 300}"), "max_current_a"),
    (LAB_YAML + "instruments: {}\n", "instruments"),
])
def test_a_true_duplicate_key_is_refused(tmp_path: Path, text: str, key: str) -> None:
    err = error(tmp_path, text)
    assert err.field == "" and "not valid YAML" in err.problem
    assert f"found duplicate key {key!r}" in err.problem
