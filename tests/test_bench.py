"""Bench files: the shipped benches load, and every kind of mistake is named precisely."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.bench import (
    Bench,
    BenchError,
    csms_config,
    default_bench_path,
    load_bench,
    parse_bench,
)

ROOT = Path(__file__).resolve().parents[1]
LAB_ENV = {"LAB3_CS_PASSWORD": "lab-password-0123456", "LAB3_ROBOT_TOKEN": "tok"}

BASE: dict[str, Any] = {
    "name": "t",
    "station": {
        "id": "CS001",
        "password": "0123456789abcdef0123",
        "evses": [
            {"id": 1, "connectors": [{"id": 1, "type": "cCCS1"}, {"id": 2, "type": "cNACS"}]},
            {"id": 2, "connectors": [{"id": 1, "type": "cCCS1"}]},
        ],
    },
}


def write(tmp_path: Path, data: Any, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), "utf-8")
    return path


def variant(**changes: Any) -> dict[str, Any]:
    """BASE with dotted-path changes; a value of ... deletes the key."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return data


def error(tmp_path: Path, data: Any, env: dict[str, str] | None = None) -> BenchError:
    path = write(tmp_path, data)
    with pytest.raises(BenchError) as info:
        load_bench(path, env=env or {})
    assert str(info.value).startswith(f"{path}: ")
    return info.value


# ---- the shipped benches ------------------------------------------------------------------
def test_default_bench_is_emulated_and_complete() -> None:
    bench = load_bench(default_bench_path())
    assert bench.station.mode == "emulated"
    assert bench.emulator is not None and bench.emulator.quirks == ()
    assert [e.id for e in bench.station.evses] == [1, 2, 3, 4]  # NEVI: four DC ports
    assert bench.station.id_tokens["valid"].to_ocpp() == {"idToken": "VALIDTOKEN01",
                                                          "type": "ISO14443"}
    assert bench.path == default_bench_path()
    assert bench.actions == {}


def test_fixtures_copy_of_the_default_bench_is_identical() -> None:
    # One source: harness/benches/emulated.yaml (package data). The fixtures/ copy exists for
    # people browsing benches; a real copy, not a symlink, so Windows checkouts and sdists work.
    packaged = default_bench_path().read_bytes()
    copy_ = (ROOT / "fixtures" / "benches" / "emulated.yaml").read_bytes()
    assert copy_ == packaged, ("fixtures/benches/emulated.yaml differs from "
                               "harness/benches/emulated.yaml: copy the package file over it")


def test_lab_example_loads_with_its_environment() -> None:
    bench = load_bench(ROOT / "fixtures" / "benches" / "lab-example.yaml", env=LAB_ENV)
    assert bench.station.mode == "external"
    assert bench.emulator is None
    assert bench.station.password == LAB_ENV["LAB3_CS_PASSWORD"]
    assert set(bench.actions) == {"plug_in", "unplug", "present_id_token", "power_cycle"}
    assert bench.actions["unplug"].http is not None
    assert bench.actions["unplug"].http.headers == {"Authorization": "Bearer tok"}
    assert bench.actions["present_id_token"].method == "prompt"
    assert bench.csms.port == 9000


def test_lab_example_without_its_environment_names_the_variable() -> None:
    with pytest.raises(BenchError, match=r"station\.password: environment variable "
                                         r"LAB3_CS_PASSWORD is not set"):
        load_bench(ROOT / "fixtures" / "benches" / "lab-example.yaml", env={})


# ---- values and defaults ------------------------------------------------------------------
def test_defaults_fill_what_a_minimal_bench_leaves_out(tmp_path: Path) -> None:
    bench = load_bench(write(tmp_path, BASE), env={})
    st = bench.station
    assert (st.mode, st.ocpp_version, st.security_profile) == ("emulated", "2.0.1", 1)
    assert st.profiles == ("Core",)
    assert st.tx_start_points == ("PowerPathClosed",)
    assert st.tx_stop_points == ("EVConnected", "Authorized")
    assert set(st.id_tokens) == {"valid", "valid2", "invalid", "blocked", "expired"}
    assert bench.csms.port == 0 and bench.csms.message_timeout == 5.0
    assert st.connectors()[1] == (1, st.evses[0].connectors[1])


def test_password_is_not_in_repr(tmp_path: Path) -> None:
    bench = load_bench(write(tmp_path, BASE), env={})
    assert "0123456789abcdef0123" not in repr(bench)


def test_password_comes_from_the_environment(tmp_path: Path) -> None:
    data = variant(station__password="${CS_PW}")
    bench = load_bench(write(tmp_path, data), env={"CS_PW": "from-env-0123456789"})
    assert bench.station.password == "from-env-0123456789"


def test_unquoted_ocpp_version_number_is_accepted(tmp_path: Path) -> None:
    bench = load_bench(write(tmp_path, "station:\n  id: CS1\n  ocpp_version: 1.6\n"
                                       "  security_profile: 0\n"
                                       "  evses: [{id: 1, connectors: [{id: 1, type: cCCS1}]}]\n"),
                       env={})
    assert bench.station.ocpp_version == "1.6"
    assert bench.station.password is None


def test_claims_profiles_features_and_connector_types(tmp_path: Path) -> None:
    data = variant(station__profiles=["Core", "Smart Charging"],
                   station__features=["C-44", "LocalAuthList"])
    bench = load_bench(write(tmp_path, data), env={})
    assert bench.claims("Smart Charging") and bench.claims("C-44") and bench.claims("cNACS")
    assert not bench.claims("Reservation")
    assert not bench.claims("cCCS2")
    assert not bench.claims("localauthlist")  # claims are exact


def test_csms_config_accounts_and_token_table(tmp_path: Path) -> None:
    data = variant(station__id_tokens={"valid": {"idToken": "AA11"}},
                   csms={"port": 9100, "heartbeat_interval": 60, "message_timeout": 7})
    cfg = csms_config(load_bench(write(tmp_path, data), env={}))
    assert cfg.port == 9100 and cfg.message_timeout == 7.0
    assert cfg.subprotocols == ("ocpp2.0.1",)
    assert cfg.accounts["CS001"].password == "0123456789abcdef0123"
    assert cfg.policy.heartbeat_interval == 60
    assert cfg.policy.id_tokens == {"AA11": "Accepted", "VALIDTOKEN02": "Accepted",
                                    "INVALIDTOKEN": "Invalid", "BLOCKEDTOKEN": "Blocked",
                                    "EXPIREDTOKEN": "Expired"}
    assert cfg.policy.token_status({"idToken": "BLOCKEDTOKEN"}) == "Blocked"


@pytest.mark.parametrize(("profile", "has_password"), [(0, False), (1, True), (2, True),
                                                        (3, False)])
def test_csms_config_uses_basic_auth_only_for_profiles_1_and_2(
        tmp_path: Path, profile: int, has_password: bool) -> None:
    bench = load_bench(write(tmp_path, variant(station__security_profile=profile)), env={})
    cfg = csms_config(bench)
    assert cfg.security_profile == profile
    assert (cfg.accounts["CS001"].password is not None) is has_password


def test_parse_bench_takes_a_mapping() -> None:
    bench = parse_bench(copy.deepcopy(BASE), "inline", env={})
    assert isinstance(bench, Bench) and bench.path is None and bench.name == "t"


# ---- mistakes ------------------------------------------------------------------------------
def test_wrong_connector_type_names_the_exact_field(tmp_path: Path) -> None:
    data = variant()
    data["station"]["evses"][1]["connectors"][0]["type"] = "CCS9"
    err = error(tmp_path, data)
    assert err.field == "station.evses[1].connectors[0].type"
    assert "expected one of cCCS1" in err.problem and "cNACS" in err.problem
    assert "got 'CCS9'" in err.problem


@pytest.mark.parametrize(("changes", "field", "suggestion"), [
    ({"station__max_pwer_w": 1}, "station.max_pwer_w", "max_power_w"),
    ({"csmss": {}}, "csmss", "csms"),
    ({"csms": {"heartbeat_intervall": 5}}, "csms.heartbeat_intervall", "heartbeat_interval"),
    ({"actions": {"plugin": {"prompt": True}}}, "actions.plugin", "plug_in"),
    ({"station__id_tokens": {"vaild": {"idToken": "X"}}}, "station.id_tokens.vaild", "valid"),
])
def test_unknown_keys_are_errors_with_a_suggestion(
        tmp_path: Path, changes: dict[str, Any], field: str, suggestion: str) -> None:
    err = error(tmp_path, variant(**changes))
    assert err.field == field
    assert f"did you mean {suggestion!r}?" in err.problem


@pytest.mark.parametrize(("changes", "field", "fragment"), [
    ({"station__id": ...}, "station.id", "missing"),
    ({"station__password": ...}, "station.password", "required for security_profile 1"),
    ({"station__password": "short"}, "station.password", "16..40 characters, got 5"),
    ({"station__security_profile": 4}, "station.security_profile", "0..3, got 4"),
    ({"station__security_profile": True}, "station.security_profile", "expected an integer"),
    ({"station__mode": "real"}, "station.mode", "expected one of emulated, external"),
    ({"station__ocpp_version": "2.0"}, "station.ocpp_version", "expected one of"),
    ({"station__id": "CS:01"}, "station.id", "without ':'"),
    ({"station__profiles": ["Smart Charing"]}, "station.profiles[0]", "'Smart Charging'"),
    ({"station__tx_start_points": ["Plugged"]}, "station.tx_start_points[0]", "EVConnected"),
    ({"station__tx_stop_points": ["DataSigned"]}, "station.tx_stop_points[0]", "expected one"),
    ({"station__max_power_w": 0}, "station.max_power_w", "expected > 0"),
    ({"station__evses": []}, "station.evses", "at least one EVSE"),
    ({"station__evses": {"id": 1}}, "station.evses", "expected a list, got a mapping"),
    ({"station__id_tokens": {"valid": {"idToken": "A", "type": "RFID"}}},
     "station.id_tokens.valid.type", "ISO14443"),
    ({"station__id_tokens": {"valid": {"idToken": "INVALIDTOKEN"}}},
     "station.id_tokens.invalid", "also the 'valid' token"),
    ({"csms": {"port": 70000}}, "csms.port", "0..65535"),
    ({"csms": {"message_timeout": "5s"}}, "csms.message_timeout", "expected a number"),
    ({"station__mode": "external", "csms": {"port": 0}}, "csms.port", "fixed port"),
    ({"station__mode": "external", "csms": {"port": 9000}, "emulator": {"quirks": ["x"]}},
     "emulator", "only used with station.mode 'emulated'"),
    ({"emulator": {"quirks": "slow_boot"}}, "emulator.quirks", "expected a list"),
    ({"emulator": {"quirks": ["wrong_seqno"]}}, "emulator.quirks[0]",
     "did you mean 'wrong_seq_no'?"),
])
def test_bad_values_are_errors(tmp_path: Path, changes: dict[str, Any], field: str,
                               fragment: str) -> None:
    err = error(tmp_path, variant(**changes))
    assert err.field == field
    assert fragment in err.problem


def test_evse_ids_must_count_up_from_one(tmp_path: Path) -> None:
    data = variant()
    data["station"]["evses"][1]["id"] = 3
    err = error(tmp_path, data)
    assert err.field == "station.evses[1].id"
    assert "expected 2, got 3" in err.problem


def test_connector_ids_must_count_up_from_one(tmp_path: Path) -> None:
    data = variant()
    data["station"]["evses"][0]["connectors"][1]["id"] = 1
    err = error(tmp_path, data)
    assert err.field == "station.evses[0].connectors[1].id"


@pytest.mark.parametrize(("action", "field", "fragment"), [
    ({"command": "robot plug {evse_id}"}, "actions.plug_in.command",
     "unknown parameter {evse_id}"),
    ({"command": "awk '{print $1}'"}, "actions.plug_in.command", "literal braces"),
    ({"command": "x", "prompt": True}, "actions.plug_in", "exactly one of"),
    ({"timeout": 3}, "actions.plug_in", "got none"),
    ({"prompt": False}, "actions.plug_in.prompt", "expected true or an instruction"),
    ({"http": {"url": "ftp://x/"}}, "actions.plug_in.http.url", "http:// or https://"),
    ({"http": {"url": "http://x/", "method": "FETCH"}}, "actions.plug_in.http.method",
     "GET, POST"),
    ({"http": {"url": "http://x/", "json": {"a": ["{id_token}"]}}},
     "actions.plug_in.http.json.a[0]", "unknown parameter {id_token}"),
    ({"http": {"url": "http://x/", "headers": {"X": "${NOPE}"}}},
     "actions.plug_in.http.headers.X", "environment variable NOPE is not set"),
    ({"command": "x", "timeout": 0}, "actions.plug_in.timeout", "expected > 0"),
])
def test_bad_actions_are_errors(tmp_path: Path, action: dict[str, Any], field: str,
                                fragment: str) -> None:
    err = error(tmp_path, variant(actions={"plug_in": action}))
    assert err.field == field
    assert fragment in err.problem


def test_unknown_parameter_suggests_the_right_one(tmp_path: Path) -> None:
    err = error(tmp_path, variant(actions={"plug_in": {"command": "robot {conector}"}}))
    assert "did you mean 'connector'?" in err.problem


def test_known_quirks_and_free_options_are_kept(tmp_path: Path) -> None:
    data = variant(emulator={"quirks": ["wrong_seq_no"], "options": {"reboot_time": 0.1}})
    bench = load_bench(write(tmp_path, data), env={})
    assert bench.emulator is not None
    assert bench.emulator.quirks == ("wrong_seq_no",)
    assert bench.emulator.options == {"reboot_time": 0.1}


def test_null_action_means_unavailable(tmp_path: Path) -> None:
    bench = load_bench(write(tmp_path, variant(actions={"plug_in": None})), env={})
    assert bench.actions == {}


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    text = yaml.safe_dump(BASE) + "csms: {port: 1}\ncsms: {port: 2}\n"
    err = error(tmp_path, text)
    assert "duplicate key 'csms'" in err.problem


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    assert "not valid YAML" in error(tmp_path, "station: [unclosed\n").problem
    assert "expected a mapping" in error(tmp_path, "- a list\n").problem
    with pytest.raises(BenchError, match="cannot read"):
        load_bench(tmp_path / "nope.yaml")
