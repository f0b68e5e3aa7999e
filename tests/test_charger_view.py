"""ChargerView: the power and interop suites' OCPP needs, said in 2.0.1 and in 1.6."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.bench import load_bench
from harness.csms.charger_view import ChargerView, register_wh
from harness.csms.session import ExpectTimeout, StationSession
from harness.protocols.ocppj import Frame, MessageType

ROOT = Path(__file__).resolve().parents[1]
BENCH_201 = load_bench(ROOT / "fixtures" / "benches" / "emulated.yaml")
BENCH_16 = load_bench(ROOT / "fixtures" / "benches" / "emulated-16.yaml")


def test_register_in_either_versions_meter_values() -> None:
    v201 = [{"timestamp": "T", "sampledValue": [
        {"value": 1.25, "context": "Transaction.Begin", "unitOfMeasure": {"unit": "kWh"}},
        {"value": 9, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}}]}]
    v16 = [{"timestamp": "T", "sampledValue": [
        {"value": "12.5", "measurand": "Power.Active.Import", "unit": "kW"},
        {"value": "1250.5", "context": "Transaction.End", "unit": "Wh"}]}]
    assert register_wh(v201, "Transaction.Begin") == 1250.0
    assert register_wh(v201, "Transaction.End") is None
    assert register_wh(v16, "Transaction.End") == 1250.5
    assert register_wh(v16) == 1250.5  # the power value is not the register
    assert register_wh(None) is None


def test_connector_numbering_follows_the_bench() -> None:
    view = ChargerView(StationSession("CS", "2.0.1"), BENCH_201)
    assert view.connector_id(1, 1) == 1 and view.connector_id(1, 2) == 2
    assert view.connector_id(3) == 5  # EVSE 3's first connector
    with pytest.raises(KeyError):
        view.connector_id(9, 1)


def _receive(session: StationSession, action: str, payload: dict, uid: str) -> None:
    """A station CALL through the session's own journal hooks (as the server delivers it)."""
    raw = json.dumps([2, uid, action, payload])
    session.on_frame_verdict(session.on_frame_in(raw), Frame(MessageType.CALL, uid, action, payload), "ok")


def _answer(session: StationSession, payload: dict, uid: str) -> None:
    session.on_frame_out(json.dumps([3, uid, payload]), Frame(MessageType.CALLRESULT, uid, None, payload))


async def test_16_start_and_stop_read_the_assigned_id_and_the_fine_register() -> None:
    session = StationSession("CS016", "1.6")
    view = ChargerView(session, BENCH_16)
    _receive(session, "StartTransaction", {"connectorId": 2, "idTag": "T", "meterStart": 100,
                                           "timestamp": "2026-01-01T00:00:00Z"}, "u1")
    _answer(session, {"transactionId": 1042, "idTagInfo": {"status": "Accepted"}}, "u1")
    started = await view.expect_started(2, within=0.1)
    assert (started.tx_id, started.begin_wh) == ("1042", 100.0)
    data = [{"timestamp": "T", "sampledValue": [
        {"value": "100.4", "context": "Transaction.Begin", "unit": "Wh"},
        {"value": "112.9", "context": "Transaction.End", "unit": "Wh"}]}]
    _receive(session, "StopTransaction", {"transactionId": 1042, "meterStop": 113,
                                          "timestamp": "2026-01-01T00:01:00Z",
                                          "transactionData": data}, "u2")
    ended = await view.expect_ended(started, within=0.1)
    assert (ended.reason, ended.begin_wh, ended.end_wh, ended.resolution_wh) == (
        "Local", 100.4, 112.9, None)


async def test_16_stop_without_transaction_data_says_its_resolution() -> None:
    session = StationSession("CS016", "1.6")
    view = ChargerView(session, BENCH_16)
    _receive(session, "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 7,
                                           "timestamp": "2026-01-01T00:00:00Z"}, "u1")
    _answer(session, {"transactionId": 5, "idTagInfo": {"status": "Accepted"}}, "u1")
    started = await view.expect_started(1, within=0.1)
    _receive(session, "StopTransaction", {"transactionId": 5, "meterStop": 19, "reason": "EmergencyStop",
                                          "timestamp": "2026-01-01T00:01:00Z"}, "u2")
    ended = await view.expect_ended(started, within=0.1)
    assert (ended.reason, ended.begin_wh, ended.end_wh, ended.resolution_wh) == (
        "EmergencyStop", None, 19.0, 1.0)


async def test_16_connector_taken_is_any_cable_in_status() -> None:
    session = StationSession("CS016", "1.6")
    view = ChargerView(session, BENCH_16)
    _receive(session, "StatusNotification", {"connectorId": 1, "status": "Available",
                                             "errorCode": "NoError"}, "u1")
    with pytest.raises(ExpectTimeout):
        await view.expect_connector(1, 1, occupied=True, within=0.05)
    _receive(session, "StatusNotification", {"connectorId": 1, "status": "Preparing",
                                             "errorCode": "NoError"}, "u2")
    taken = await view.expect_connector(1, 1, occupied=True, within=0.1)
    assert taken["status"] == "Preparing"
    free = await view.expect_connector(1, 1, occupied=False, within=0.1)
    assert free["status"] == "Available"
