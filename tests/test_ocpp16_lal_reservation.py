"""OCPP 1.6 Local Auth List Management and Reservation on the emulated charge point: the
translations to the shared 2.0.1 list and reservation book, the station its feature sheet
describes, and the cases for a charge point without the profile or without connector-0
reservations run on such a bench."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from harness.emulator.config import StationConfig
from harness.emulator.ocpp16.handlers import HANDLERS_16
from harness.emulator.ocpp16.handlers.local_auth_list import (
    authorization_data,
    send_local_list_request,
)
from harness.emulator.ocpp16.handlers.reservation import reserve_now_request
from harness.emulator.ocpp16.station import EmulatedStation16
from tests.variant_bench import BENCH_16, derived_bench

ROOT = Path(__file__).resolve().parents[1]
ALL_PROFILES = ("Core", "Local Auth List Management", "Reservation")


def _station(profiles: tuple[str, ...] = ALL_PROFILES,
             features: tuple[str, ...] = ("ReserveConnectorZeroSupported",)) -> EmulatedStation16:
    return EmulatedStation16(StationConfig(
        station_id="CS016", csms_url="ws://127.0.0.1:1/ocpp", ocpp_version="1.6",
        evses={1: [(1, "cCCS1")], 2: [(1, "cCCS1")]}, profiles=profiles, features=features))


def _answer(st: EmulatedStation16, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        result = await HANDLERS_16[action](st, payload)
        return result[0] if isinstance(result, tuple) else result

    return asyncio.run(run())


def _key(st: EmulatedStation16, key: str) -> dict[str, Any] | None:
    return st.configuration.read(st, key)


# ---- translations ---------------------------------------------------------------------------
def test_authorization_data_16_to_201() -> None:
    item = {"idTag": "TAG1", "idTagInfo": {"status": "Blocked", "expiryDate": "2030-01-01T00:00:00Z",
                                           "parentIdTag": "PARENT"}}
    assert authorization_data(item) == {
        "idToken": {"idToken": "TAG1", "type": "ISO14443"},
        "idTokenInfo": {"status": "Blocked", "cacheExpiryDateTime": "2030-01-01T00:00:00Z",
                        "groupIdToken": {"idToken": "PARENT", "type": "Central"}}}
    # without idTagInfo: an entry that removes the idTag (differential update)
    assert authorization_data({"idTag": "TAG2"}) == {"idToken": {"idToken": "TAG2",
                                                                 "type": "ISO14443"}}


def test_send_local_list_request() -> None:
    p = {"listVersion": 7, "updateType": "Differential",
         "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Accepted"}}]}
    out = send_local_list_request(p)
    assert (out["versionNumber"], out["updateType"]) == (7, "Differential")
    assert out["localAuthorizationList"][0]["idToken"]["idToken"] == "A"
    assert send_local_list_request(p, differential_as_full=True)["updateType"] == "Full"
    # an empty list: no localAuthorizationList (2.0.1 minItems 1)
    assert "localAuthorizationList" not in send_local_list_request(
        {"listVersion": 1, "updateType": "Full"})


def test_reserve_now_request() -> None:
    p = {"connectorId": 0, "expiryDate": "2030-01-01T00:00:00Z", "idTag": "A",
         "reservationId": 5, "parentIdTag": "P"}
    assert reserve_now_request(p, None) == {
        "id": 5, "expiryDateTime": "2030-01-01T00:00:00Z",
        "idToken": {"idToken": "A", "type": "ISO14443"},
        "groupIdToken": {"idToken": "P", "type": "Central"}}
    assert reserve_now_request({**p, "connectorId": 2, "parentIdTag": None}, 2) == {
        "id": 5, "expiryDateTime": "2030-01-01T00:00:00Z",
        "idToken": {"idToken": "A", "type": "ISO14443"}, "evseId": 2}


# ---- the emulated charge point ------------------------------------------------------------
def test_local_list_versions_16() -> None:
    """Empty list: version 0 (1.6 section 5.10), also after a Full update without entries."""
    st = _station()
    assert _answer(st, "GetLocalListVersion", {}) == {"listVersion": 0}
    full = {"listVersion": 9, "updateType": "Full",
            "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Accepted"}}]}
    assert _answer(st, "SendLocalList", full) == {"status": "Accepted"}
    assert _answer(st, "GetLocalListVersion", {}) == {"listVersion": 9}
    assert _answer(st, "SendLocalList", {"listVersion": 9, "updateType": "Differential"}) == {
        "status": "VersionMismatch"}
    assert _answer(st, "SendLocalList", {"listVersion": 12, "updateType": "Full"}) == {
        "status": "Accepted"}
    assert _answer(st, "GetLocalListVersion", {}) == {"listVersion": 0}


def test_local_list_beyond_max_length_fails() -> None:
    st = _station()
    st.configuration.local["LocalAuthListMaxLength"] = ("2", True)

    def items(*tags: str) -> list[dict[str, Any]]:
        return [{"idTag": t, "idTagInfo": {"status": "Accepted"}} for t in tags]

    assert _answer(st, "SendLocalList", {"listVersion": 1, "updateType": "Full",
                                         "localAuthorizationList": items("A", "B")})["status"] == "Accepted"
    assert _answer(st, "SendLocalList", {"listVersion": 2, "updateType": "Differential",
                                         "localAuthorizationList": items("C")})["status"] == "Failed"
    # replacing an entry, or removing one, keeps the list within its length
    assert _answer(st, "SendLocalList", {"listVersion": 2, "updateType": "Differential",
                                         "localAuthorizationList": [*items("A"), {"idTag": "B"}]}
                   )["status"] == "Accepted"
    assert _answer(st, "GetLocalListVersion", {}) == {"listVersion": 2}


def test_without_local_auth_list_profile() -> None:
    """A sheet without the profile: not in SupportedFeatureProfiles, no list, -1 and
    NotSupported (1.6 sections 5.10, 5.15)."""
    st = _station(profiles=("Core", "Reservation", "Smart Charging"))
    profiles = _key(st, "SupportedFeatureProfiles")
    assert profiles is not None and profiles["value"] == "Core,Reservation,SmartCharging"
    assert _key(st, "LocalAuthListEnabled") == {"key": "LocalAuthListEnabled", "readonly": False,
                                                "value": "false"}
    assert _answer(st, "GetLocalListVersion", {}) == {"listVersion": -1}
    assert _answer(st, "SendLocalList", {"listVersion": 1, "updateType": "Full"}) == {
        "status": "NotSupported"}


def test_profile_keys_and_sheet() -> None:
    st = _station()
    assert "LocalAuthListManagement" in _key(st, "SupportedFeatureProfiles")["value"]  # type: ignore[index]
    for key in ("LocalAuthListEnabled", "LocalAuthListMaxLength", "SendLocalListMaxLength",
                "ReserveConnectorZeroSupported"):
        assert key in st.configuration.keys(st)
    assert _key(st, "ReserveConnectorZeroSupported") == {
        "key": "ReserveConnectorZeroSupported", "readonly": True, "value": "true"}
    change = asyncio.run(st.configuration.change(st, "ReserveConnectorZeroSupported", "false"))
    assert change == "Rejected"
    assert _key(_station(features=()), "ReserveConnectorZeroSupported")["value"] == "false"  # type: ignore[index]


def test_reservations_per_sheet() -> None:
    """Without ReserveConnectorZeroSupported connector 0 is Rejected; a sheet claiming
    ReservationsDisabled rejects every reservation; an unknown connector is Rejected."""
    reserve = {"expiryDate": "2099-01-01T00:00:00Z", "idTag": "A", "reservationId": 1}
    assert _answer(_station(features=()), "ReserveNow", {**reserve, "connectorId": 0}) == {
        "status": "Rejected"}
    assert _answer(_station(features=("ReservationsDisabled",)), "ReserveNow",
                   {**reserve, "connectorId": 1}) == {"status": "Rejected"}
    assert _answer(_station(), "ReserveNow", {**reserve, "connectorId": 3}) == {"status": "Rejected"}
    assert _answer(_station(), "CancelReservation", {"reservationId": 4}) == {"status": "Rejected"}


# ---- the cases for the other kind of charge point -----------------------------------------------
def test_cases_for_a_charge_point_without_the_profiles(pytester: pytest.Pytester,
                                                       tmp_path: Path) -> None:
    """TC_042_1, TC_043_1 (no Local Auth List Management), TC_048_4 (reservations disabled)
    and TC_050_4 (no ReserveConnectorZeroSupported) pass on such a charge point; the cases
    of the main bench skip there."""
    bench = derived_bench(tmp_path, ["ReserveConnectorZeroSupported", "LocalAuthListMaxLength"],
                          ["ReservationsDisabled"], drop_profiles=["Local Auth List Management"],
                          base=BENCH_16)
    suites = ROOT / "suites" / "ocpp16"
    args = [str(suites / "test_local_auth_list.py"), str(suites / "test_reservation.py"),
            "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), "--bench", str(bench),
            "-p", "no:randomly", "-q", "-rA"]
    passing = ("TC_042_1_CS", "TC_043_1_CS", "TC_048_4_CS", "TC_050_4_CS")
    skipping = ("TC_042_2_CS", "TC_043_CS", "TC_049_CS")
    for case in passing + skipping:
        args += ["--octt", case]
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(passed=len(passing), skipped=len(skipping))
