"""The 1.6 Smart Charging adapter: translations 1.6 <-> the shared (2.0.1-shaped) charging
profile engine, the 1.6 handlers on an emulated 1.6 station, the section 9.4 keys, and the
suite's translation of 1.6 profiles for the harness's composite-schedule oracle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from harness.emulator.config import StationConfig
from harness.emulator.ocpp16.handlers import HANDLERS_16
from harness.emulator.ocpp16.handlers.smart_charging import (
    clear_request_201,
    composite_16,
    limit_16,
    profile_201,
)
from harness.emulator.ocpp16.station import EmulatedStation16
from harness.protocols import ocppj
from harness.protocols.ocppj import MessageType
from harness.smart_charging import composite_schedule
from suites.ocpp16.charging_profiles import profile16, to_oracle

START = "2026-01-01T00:00:00Z"


def _p16(**kw) -> dict:
    body = {"chargingProfileId": 7, "stackLevel": 2, "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {"chargingRateUnit": "A", "startSchedule": START, "duration": 600,
                                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16},
                                                            {"startPeriod": 60, "limit": 8.5}]}}
    body.update(kw)
    return body


def test_profile_201_translation() -> None:
    p = profile_201(_p16(validFrom=START, validTo="2026-01-02T00:00:00Z"))
    assert p["id"] == 7 and p["stackLevel"] == 2
    assert p["chargingProfilePurpose"] == "ChargingStationMaxProfile"
    assert p["chargingProfileKind"] == "Absolute" and "transactionId" not in p
    assert p["validFrom"] == START and p["validTo"] == "2026-01-02T00:00:00Z"
    [schedule] = p["chargingSchedule"]
    assert schedule["id"] == 7 and schedule["startSchedule"] == START and schedule["duration"] == 600
    assert [x["limit"] for x in schedule["chargingSchedulePeriod"]] == [16, 8.5]
    tx = profile_201(_p16(chargingProfilePurpose="TxProfile", transactionId=1001), "internal-tx")
    assert tx["chargingProfilePurpose"] == "TxProfile" and tx["transactionId"] == "internal-tx"
    recurring = profile_201(_p16(chargingProfileKind="Recurring", recurrencyKind="Daily"))
    assert recurring["recurrencyKind"] == "Daily"
    # 7.13: an Absolute schedule without startSchedule runs from the start of charging
    no_start = _p16()
    del no_start["chargingSchedule"]["startSchedule"]
    assert profile_201(no_start)["chargingProfileKind"] == "Relative"


def test_composite_16_translation_is_a_valid_16_answer() -> None:
    reply = {"status": "Accepted", "schedule": {
        "evseId": 1, "duration": 300, "scheduleStart": START, "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6.0}, {"startPeriod": 120, "limit": 7.333}]}}
    out = composite_16(reply, 1)
    assert out["status"] == "Accepted" and out["connectorId"] == 1 and out["scheduleStart"] == START
    assert out["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 6}, {"startPeriod": 120, "limit": 7.3}]
    ocppj.validate("1.6", MessageType.CALLRESULT, "GetCompositeSchedule", out)
    assert composite_16({"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}, 9) == {
        "status": "Rejected"}
    assert limit_16(499.96) == 500 and limit_16(6.25) in (6.2, 6.3)


def test_clear_request_201() -> None:
    assert clear_request_201({"id": 5, "stackLevel": 1}, None) == {"chargingProfileId": 5}
    assert clear_request_201({"chargingProfilePurpose": "ChargePointMaxProfile", "stackLevel": 0}, 0) == {
        "chargingProfileCriteria": {"evseId": 0, "chargingProfilePurpose": "ChargingStationMaxProfile",
                                    "stackLevel": 0}}
    assert clear_request_201({}, None) == {}


def _station() -> EmulatedStation16:
    return EmulatedStation16(StationConfig(ocpp_version="1.6", evses={1: [(1, "cCCS1")],
                                                                       2: [(1, "cCCS1")]}))


def _default(pid: int, level: int, limit: float) -> dict:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    return profile16("TxDefaultProfile", [(0, limit)], unit="A", stack_level=level, pid=pid,
                     start=now, duration=3600)


async def _call(st: EmulatedStation16, action: str, payload: dict) -> dict:
    ocppj.validate("1.6", MessageType.CALL, action, payload)
    result = await HANDLERS_16[action](st, payload)
    reply = result[0] if isinstance(result, tuple) else result
    ocppj.validate("1.6", MessageType.CALLRESULT, action, reply)
    return reply


async def _limit(st: EmulatedStation16, connector_id: int) -> float:
    reply = await _call(st, "GetCompositeSchedule", {"connectorId": connector_id, "duration": 60,
                                                     "chargingRateUnit": "A"})
    assert reply["status"] == "Accepted"
    return reply["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]


async def test_set_profile_same_stack_level_and_purpose_replaces() -> None:
    st = _station()
    set_ = {"connectorId": 1, "csChargingProfiles": _default(1, 0, 10)}
    assert (await _call(st, "SetChargingProfile", set_))["status"] == "Accepted"
    assert await _limit(st, 1) == 10
    # 5.16: another id, the same stackLevel and purpose on the connector: replaces it
    set_ = {"connectorId": 1, "csChargingProfiles": _default(2, 0, 8)}
    assert (await _call(st, "SetChargingProfile", set_))["status"] == "Accepted"
    assert await _limit(st, 1) == 8
    assert (await _call(st, "ClearChargingProfile", {"id": 1}))["status"] == "Unknown"
    # a rejected profile replaces nothing
    bad = _default(3, 0, 6)
    bad["chargingSchedule"]["chargingSchedulePeriod"][0]["startPeriod"] = 5
    assert (await _call(st, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": bad}))[
        "status"] == "Rejected"
    assert await _limit(st, 1) == 8
    assert await _limit(st, 2) > 8  # connector 2 has none
    assert (await _call(st, "ClearChargingProfile", {"connectorId": 1,
                                                     "chargingProfilePurpose": "TxDefaultProfile"})
            )["status"] == "Accepted"
    assert (await _call(st, "ClearChargingProfile", {}))["status"] == "Unknown"


async def test_tx_profile_needs_the_transaction_and_unknown_connectors() -> None:
    st = _station()
    tx = profile16("TxProfile", [(0, 6)], unit="A", pid=9, transaction_id=1001)
    assert (await _call(st, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": tx}))[
        "status"] == "Rejected"
    del tx["transactionId"]
    assert (await _call(st, "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": tx}))[
        "status"] == "Rejected"
    assert (await _call(st, "SetChargingProfile", {"connectorId": 3, "csChargingProfiles": _default(4, 0, 6)})
            )["status"] == "Rejected"
    reply = await _call(st, "GetCompositeSchedule", {"connectorId": 3, "duration": 60})
    assert reply["status"] == "Rejected"
    assert (await _call(st, "ClearChargingProfile", {"connectorId": 3}))["status"] == "Unknown"


async def test_smart_charging_configuration_keys() -> None:
    st = _station()
    config = st.configuration
    assert config.read(st, "ChargingScheduleAllowedChargingRateUnit")["value"] == "Current,Power"  # type: ignore[index]
    assert config.read(st, "ChargeProfileMaxStackLevel")["value"] == st.dm.get("SmartChargingCtrlr",  # type: ignore[index]
                                                                               "ProfileStackLevel")
    assert config.read(st, "ChargingScheduleMaxPeriods")["readonly"] is True  # type: ignore[index]
    assert config.read(st, "MaxChargingProfilesInstalled")["value"].isdigit()  # type: ignore[index]
    assert await config.change(st, "ChargeProfileMaxStackLevel", "3") == "Rejected"  # read-only


def test_to_oracle_and_the_oracle_composite() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    maximum = to_oracle(0, _p16())
    assert maximum.purpose == "ChargingStationMaxProfile" and maximum.evse_id == 0
    assert maximum.profile["id"] == 7 and isinstance(maximum.profile["chargingSchedule"], list)
    tx = to_oracle(1, profile16("TxProfile", [(0, 6)], unit="A", start=start, transaction_id=1001))
    assert tx.profile["transactionId"] == "1001"
    periods = composite_schedule([maximum, tx], evse_id=1, start=start, duration=120, unit="A",
                                 tx_id="1001")
    assert [(p.start, p.limit) for p in periods] == [(0.0, 6.0)]
    periods = composite_schedule([maximum, tx], evse_id=1, start=start, duration=120, unit="A")
    assert [(p.start, p.limit) for p in periods] == [(0.0, 16.0), (60.0, 8.5)]
