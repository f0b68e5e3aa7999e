"""OCPP 1.6J: the CSMS's 1.6 answers and state, the emulated station's 1.6 edge (translations,
connector numbering, configuration keys), and suites/ocpp16 against the emulated 1.6 bench."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.csms.ocpp16 import state as state16
from harness.csms.ocpp16.responders import responders
from harness.csms.responders import CsmsPolicy
from harness.csms.session import Message, StationSession, StationState
from harness.emulator.config import StationConfig
from harness.emulator.ocpp16 import translate
from harness.emulator.ocpp16.station import ConnectorMap, EmulatedStation16, TransactionIds
from harness.protocols import ocppj
from harness.protocols.ocppj import FrameError, MessageType

ROOT = Path(__file__).resolve().parents[1]
BENCH_16 = ROOT / "fixtures" / "benches" / "emulated-16.yaml"


def _message(action: str, payload: dict) -> Message:
    return Message(action, payload, "1", 0, 0.0, "")


# ---- CSMS ----------------------------------------------------------------------------------
def test_validation_uses_the_16_schemas() -> None:
    ocppj.validate("1.6", MessageType.CALL, "BootNotification",
                   {"chargePointVendor": "V", "chargePointModel": "M"})
    with pytest.raises(FrameError):  # the 2.0.1 shape is not a 1.6 BootNotification
        ocppj.validate("1.6", MessageType.CALL, "BootNotification",
                       {"chargingStation": {"vendorName": "V", "model": "M"}, "reason": "PowerUp"})


def test_16_responders_answer_valid_16_payloads() -> None:
    policy = CsmsPolicy(id_tokens={"GOOD": "Accepted", "ODD": "NoCredit"})
    answer = responders(policy)
    session = StationSession("CS016", "1.6", responders=answer)
    requests = {
        "BootNotification": {"chargePointVendor": "V", "chargePointModel": "M"},
        "Heartbeat": {},
        "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
        "Authorize": {"idTag": "GOOD"},
        "StartTransaction": {"connectorId": 1, "idTag": "GOOD", "meterStart": 0,
                             "timestamp": "2026-01-01T00:00:00Z"},
        "StopTransaction": {"transactionId": 1001, "meterStop": 5, "timestamp": "2026-01-01T00:00:00Z"},
        "MeterValues": {"connectorId": 1, "meterValue": [
            {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "1"}]}]},
        "DataTransfer": {"vendorId": "x"},
        "FirmwareStatusNotification": {"status": "Idle"},
        "DiagnosticsStatusNotification": {"status": "Idle"},
    }
    for action, request in requests.items():
        ocppj.validate("1.6", MessageType.CALL, action, request)
        reply = answer[action](session, _message(action, request))
        ocppj.validate("1.6", MessageType.CALLRESULT, action, reply)  # type: ignore[arg-type]
    first = answer["StartTransaction"](session, _message("StartTransaction", requests["StartTransaction"]))
    second = answer["StartTransaction"](session, _message("StartTransaction", requests["StartTransaction"]))
    assert second["transactionId"] == first["transactionId"] + 1  # type: ignore[index]
    odd = answer["Authorize"](session, _message("Authorize", {"idTag": "ODD"}))
    assert odd == {"idTagInfo": {"status": "Invalid"}}  # no NoCredit in 1.6


def test_policy_picks_responders_by_version() -> None:
    policy = CsmsPolicy()
    assert "StartTransaction" in policy.responders("1.6")
    assert "TransactionEvent" not in policy.responders("1.6")
    assert "TransactionEvent" in policy.responders()


def test_16_state_tracks_statuses_and_transactions() -> None:
    state = StationState()
    state16.track_call(state, "StatusNotification", {"connectorId": 2, "status": "Preparing",
                                                     "errorCode": "NoError"})
    assert state.connector_status == {(2, 0): "Preparing"}
    state16.track_reply(state, "StartTransaction", {"connectorId": 2, "idTag": "T"},
                        {"transactionId": 7, "idTagInfo": {"status": "Accepted"}})
    assert set(state.active_transactions) == {"7"}
    state16.track_call(state, "StopTransaction", {"transactionId": 7, "meterStop": 1,
                                                  "timestamp": "2026-01-01T00:00:00Z"})
    assert not state.active_transactions


# ---- emulated station: translations --------------------------------------------------------
def test_connector_status_16() -> None:
    def status(s: str, **kw: object) -> str:
        args = {"in_transaction": False, "charging_state": None, "authorized": False,
                "finishing": False, **kw}
        return translate.connector_status_16(s, **args)  # type: ignore[arg-type]

    assert status("Available") == "Available"
    assert status("Available", authorized=True) == "Preparing"
    assert status("Occupied") == "Preparing"
    assert status("Occupied", in_transaction=True, charging_state="Charging") == "Charging"
    assert status("Occupied", in_transaction=True, charging_state="SuspendedEV") == "SuspendedEV"
    assert status("Occupied", finishing=True) == "Finishing"
    assert status("Faulted") == "Faulted"


def test_meter_values_16() -> None:
    values = [{"timestamp": "T", "sampledValue": [
        {"value": 1.5, "context": "Transaction.End", "measurand": "Energy.Active.Import.Register",
         "unitOfMeasure": {"unit": "kWh"}},
        {"value": 12.0, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W", "multiplier": 3}},
        {"value": 3.0, "measurand": "Energy.Active.Net"},  # 2.0.1 only: dropped
    ]}]
    assert translate.meter_values(values) == [{"timestamp": "T", "sampledValue": [
        {"value": "1.5", "measurand": "Energy.Active.Import.Register", "context": "Transaction.End",
         "unit": "kWh"},
        {"value": "12000", "measurand": "Power.Active.Import", "unit": "W"}]}]
    assert translate.register_wh(values, "Transaction.End") == 1500
    assert translate.register_wh(values, "Transaction.Begin") is None


def test_stop_reason_and_id_token_info() -> None:
    assert translate.stop_reason("ImmediateReset", "Soft") == "SoftReset"
    assert translate.stop_reason("ImmediateReset", "Hard") == "HardReset"
    assert translate.stop_reason("Timeout") == "Other"
    assert translate.stop_reason("EVDisconnected") == "EVDisconnected"
    assert translate.id_token_info({"status": "Blocked", "parentIdTag": "G"}) == {
        "status": "Blocked", "groupIdToken": {"idToken": "G", "type": "Central"}}


def test_connector_map_and_transaction_ids() -> None:
    cmap = ConnectorMap.of({2: [(1, "cCCS1")], 1: [(1, "cCCS1"), (2, "cNACS")]})
    assert cmap.by_number == {1: (1, 1), 2: (1, 2), 3: (2, 1)}
    assert cmap.number(2) == 3 and cmap.number(1, 2) == 2 and cmap.number(0) == 0
    assert cmap.evse_of(4) is None
    ids = TransactionIds()
    ids.assigned("abc", 1001, 1)
    assert ids.internal(1001) == "abc" and ids.internal(1) is None


async def test_station_translates_its_messages_to_16() -> None:
    station = EmulatedStation16(StationConfig(ocpp_version="1.6", evses={1: [(1, "cCCS1")]}))
    boot = station._to_16("BootNotification", {"chargingStation": {"vendorName": "V", "model": "M"},
                                               "reason": "PowerUp"})
    assert boot == ("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    action, status = station._to_16("StatusNotification", station._status_payload(1, 1)) or ("", {})
    ocppj.validate("1.6", MessageType.CALL, action, status)
    assert status["status"] == "Available" and status["connectorId"] == 1
    assert station._to_16("NotifyEvent", {}) is None  # no 1.6 counterpart: not sent
    started = {"eventType": "Started", "timestamp": "2026-01-01T00:00:00Z", "triggerReason": "Authorized",
               "seqNo": 0, "transactionInfo": {"transactionId": "tx1"}, "evse": {"id": 1, "connectorId": 1},
               "idToken": {"idToken": "T", "type": "ISO14443"},
               "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [
                   {"value": 10.0, "context": "Transaction.Begin", "unitOfMeasure": {"unit": "Wh"}}]}]}
    action, start = station._to_16("TransactionEvent", started) or ("", {})
    assert (action, start["meterStart"], start["idTag"]) == ("StartTransaction", 10, "T")
    ocppj.validate("1.6", MessageType.CALL, action, start)
    reply = station._from_16(action, started, start,
                             {"transactionId": 5, "idTagInfo": {"status": "Accepted"}})
    assert reply == {"idTokenInfo": {"status": "Accepted"}}
    ended = {**started, "eventType": "Ended", "transactionInfo": {"transactionId": "tx1",
                                                                  "stoppedReason": "Remote"}}
    ended["meterValue"][0]["sampledValue"][0]["context"] = "Transaction.End"
    action, stop = station._to_16("TransactionEvent", ended) or ("", {})
    assert (action, stop["transactionId"], stop["reason"], stop["meterStop"]) == (
        "StopTransaction", 5, "Remote", 10)
    ocppj.validate("1.6", MessageType.CALL, action, stop)


async def test_configuration_keys_view_the_device_model() -> None:
    station = EmulatedStation16(StationConfig(ocpp_version="1.6", evses={1: [(1, "cCCS1")]}))
    config = station.configuration
    assert config.read(station, "HeartbeatInterval")["value"] == str(  # type: ignore[index]
        station.dm.get_int("OCPPCommCtrlr", "HeartbeatInterval"))
    assert await config.change(station, "HeartbeatInterval", "42") == "Accepted"
    assert station.dm.get_int("OCPPCommCtrlr", "HeartbeatInterval") == 42
    assert await config.change(station, "HeartbeatInterval", "-1") == "Rejected"
    assert await config.change(station, "NoSuchKey", "1") == "NotSupported"
    assert await config.change(station, "GetConfigurationMaxKeys", "1") == "Rejected"
    assert config.read(station, "NumberOfConnectors")["value"] == "1"  # type: ignore[index]
    assert config.read(station, "NoSuchKey") is None


# ---- version selection (the 1.6 suite itself runs in `make test` against emulated-16.yaml) ----
def test_version_selection_skips_the_other_versions_suites(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        str(ROOT / "suites" / "ocpp201" / "test_b_boot.py"), "-c", str(ROOT / "pyproject.toml"),
        "--rootdir", str(ROOT), "--bench", str(BENCH_16), "-p", "no:randomly", "-q", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) > 0 and not outcomes.get("passed"), result.stdout.str()[-2000:]
    assert "an OCPP 2.0.1 case; station CS016 speaks OCPP 1.6" in result.stdout.str()
