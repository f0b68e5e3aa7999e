"""OCTT block A, security (Charging Station side): HTTP Basic authentication (security
profile 1) and changing the BasicAuthPassword."""

from __future__ import annotations

import contextlib
import secrets

import pytest

from harness.csms.session import ExpectTimeout, StationSession
from suites.ocpp201.provisioning import (
    AUTH_ACCEPTED,
    DISCONNECTED,
    REFUSED_AUTH,
    choose_free_slot,
    connectors,
    csms_host,
    events,
    reboot_within,
    wait_event,
    wait_reconnected,
    wait_statuses,
)
from suites.ocpp201.support import variable_ref

PASSWORD = ("SecurityCtrlr", "BasicAuthPassword")


def _needs_basic_auth(bench) -> None:
    if bench.station.security_profile not in (1, 2) or not bench.station.password:
        pytest.skip(f"HTTP Basic authentication applies to security profiles 1 and 2 with a "
                    f"password; the bench uses profile {bench.station.security_profile}")


async def _set_password(station: StationSession, password: str) -> dict:
    reply = await station.call("SetVariables", {"setVariableData": [
        {**variable_ref(*PASSWORD), "attributeValue": password}]})
    return reply["setVariableResult"][0]


@pytest.mark.octt("TC_A_01_CS")
async def test_basic_auth_valid_credentials(station, operator, bench):
    """Basic Authentication - Valid username/password combination.

    After a power cycle the station opens its websocket with an HTTP Basic Authorization
    header carrying its identity as username and its configured password: the harness CSMS
    accepts the upgrade (no HTTP 401), and the station boots (BootNotification PowerUp,
    Accepted, connector statuses).

    Requirements: A00.FR.202, A00.FR.203, A00.FR.204, A00.FR.205, A00.FR.301, A00.FR.302,
    A00.FR.304, B01.FR.01, B01.FR.05, B01.FR.09.
    """
    _needs_basic_auth(bench)
    mark = station.journal.mark()
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    refused = events(station, mark, REFUSED_AUTH)
    assert not refused, (
        "the station's connection attempts were refused: its HTTP Basic credentials were not "
        "<identity>:<password> (A00.FR.204):\n  " + "\n  ".join(e.describe() for e in refused))
    accepted = events(station, mark, AUTH_ACCEPTED)
    assert accepted and accepted[-1].seq < boot.seq, (
        "the station booted over a connection without valid HTTP Basic credentials")
    assert boot["reason"] == "PowerUp", (
        f"BootNotification after a power cycle: expected reason PowerUp, got {boot['reason']!r}")
    await wait_statuses(station, connectors(bench), boot.seq, bench.csms.message_timeout,
                        "after the accepted boot")


@pytest.mark.octt("TC_A_09_CS")
async def test_update_basic_auth_password_accepted(station, operator, bench, csms):
    """Update Charging Station Password for HTTP Basic Authentication - Accepted.

    SetVariables SecurityCtrlr.BasicAuthPassword with a new valid password (24 characters):
    Accepted. The station then drops its connection and reconnects with the new password
    (the harness CSMS accepts only the new one from that moment). Afterwards the test sets
    the bench password again the same way.

    Requirements: A01.FR.01, A01.FR.11, A01.FR.12, B01.FR.01.
    """
    _needs_basic_auth(bench)
    account = csms.config.accounts[bench.station.id]
    original = bench.station.password
    new = "Harness" + secrets.token_hex(8) + "Pw"  # 25 characters, letters and digits
    station.redact.append(new)
    mark = station.journal.mark()
    account.password = new  # the CSMS side of the change: only the new password from now on
    try:
        result = await _set_password(station, new)
        assert result["attributeStatus"] == "Accepted", (
            f"SetVariables SecurityCtrlr.BasicAuthPassword with a valid 25-character password: "
            f"expected Accepted, the station answered {result['attributeStatus']!r} "
            f"{result.get('attributeStatusInfo') or ''}".rstrip())
        await wait_event(station, DISCONNECTED, mark, bench.csms.message_timeout,
                         "the station closing its connection to use the new password")
        outcome = await wait_event(station, "HTTP", mark, reboot_within(bench),
                                   "a reconnection attempt with the new password")
        assert REFUSED_AUTH not in outcome.raw, (
            f"after the password change the station reconnected with other credentials than "
            f"<identity>:<new password> (A01.FR.11):\n  {outcome.describe()}")
        await station.wait_connected(bench.csms.message_timeout)
        reply = await station.call("GetVariables", {"getVariableData": [
            variable_ref("OCPPCommCtrlr", "OfflineThreshold")]})
        assert reply["getVariableResult"][0]["attributeStatus"] == "Accepted"
    finally:
        await _restore_password(station, bench, account, original, new)


async def _restore_password(station: StationSession, bench, account, original: str,
                            new: str) -> None:
    """Back to the bench password through the protocol, whatever state the test left."""
    account.password = original
    with contextlib.suppress(ExpectTimeout):
        await station.wait_connected(reboot_within(bench))
    if not station.is_connected:
        return
    mark = station.journal.mark()
    result = await _set_password(station, original)
    if result["attributeStatus"] == "Accepted":
        with contextlib.suppress(ExpectTimeout):
            await wait_event(station, DISCONNECTED, mark, bench.csms.message_timeout, "reconnection")
            await wait_reconnected(station, mark, reboot_within(bench))


@pytest.mark.octt("TC_A_10_CS")
async def test_update_basic_auth_password_rejected(station, operator, bench):
    """Update Charging Station Password for HTTP Basic Authentication - Rejected.

    SetVariables SecurityCtrlr.BasicAuthPassword with a password shorter than the 16
    characters OCPP requires: Rejected; the station keeps its connection and its password
    (it stays connected and answers requests).

    Requirements: A01.FR.01, A01.FR.11, A01.FR.12.
    """
    _needs_basic_auth(bench)
    mark = station.journal.mark()
    result = await _set_password(station, "short-pw")
    assert result["attributeStatus"] == "Rejected", (
        f"SetVariables SecurityCtrlr.BasicAuthPassword='short-pw' (8 characters, at least 16 "
        f"required): expected Rejected, the station answered {result['attributeStatus']!r}")
    with contextlib.suppress(ExpectTimeout):
        await station.wait_disconnected(within=bench.csms.quiet_period)
    assert station.is_connected and not events(station, mark, DISCONNECTED), (
        "after rejecting the new password the station must keep its connection; it dropped it")
    reply = await station.call("GetVariables", {"getVariableData": [
        variable_ref("OCPPCommCtrlr", "OfflineThreshold")]})
    assert reply["getVariableResult"][0]["attributeStatus"] == "Accepted"


# ==== Conditional case: no TLS profile without a CSMS root (A05.FR.02) =========================
@pytest.mark.octt("TC_A_20_CS")
@pytest.mark.requires("SecurityProfileUpgrade")  # AQ-1: the station can move to a higher profile
async def test_upgrade_without_csms_root_rejected(station, bench, pki):
    """Upgrade Charging Station Security Profile - No valid CSMSRootCertificate installed.

    On security profile 1, with every CSMSRootCertificate deleted, SetNetworkProfile for a
    security profile 2 (TLS) connection must be Rejected: the station could not check the
    CSMS's server certificate (A05.FR.02). The run's CSMS root is installed again afterwards.
    """
    if bench.station.security_profile != 1:
        pytest.skip(f"the case starts from security profile 1; the bench uses profile "
                    f"{bench.station.security_profile} (its TLS needs the CSMS root)")
    reply = await station.call("GetInstalledCertificateIds",
                               {"certificateType": ["CSMSRootCertificate"]})
    roots = [c["certificateHashData"] for c in reply.get("certificateHashDataChain") or []]
    try:
        for hash_data in roots:
            deleted = await station.call("DeleteCertificate", {"certificateHashData": hash_data})
            assert deleted["status"] == "Accepted", (
                f"DeleteCertificate of an installed CSMSRootCertificate on security profile 1: "
                f"expected Accepted (M04.FR.03), the station answered {deleted['status']}")
        slot, _, _ = await choose_free_slot(station)
        url = f"wss://{csms_host(station, bench)}:{bench.csms.port or 443}/"
        data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url,
                "messageTimeout": 30, "securityProfile": 2, "ocppInterface": "Wired0"}
        answer = await station.call("SetNetworkProfile",
                                    {"configurationSlot": slot, "connectionData": data})
        assert answer["status"] == "Rejected", (
            "SetNetworkProfile for security profile 2 while no CSMSRootCertificate is installed: "
            f"expected Rejected (A05.FR.02), the station answered {answer['status']!r}")
    finally:
        if roots:
            await station.call("InstallCertificate", {
                "certificateType": "CSMSRootCertificate", "certificate": pki.csms_root.pem})


# ==== Conditional case: no profile 3 without a station certificate (A05.FR.03) =================
@pytest.mark.octt("TC_A_21_CS")
@pytest.mark.requires("SecurityProfileUpgrade", "NoChargingStationCertificate")  # AQ-1
async def test_upgrade_without_station_certificate_rejected(station, bench, pki):
    """Upgrade Charging Station Security Profile - No valid ChargingStationCertificate installed.

    The station holds no Charging Station certificate (the bench says so: it cannot be
    deleted over OCPP, M04.FR.06) but trusts the CSMS root: SetNetworkProfile for a security
    profile 3 connection must be Rejected, as it could not authenticate itself with a client
    certificate (A05.FR.03).
    """
    installed = await station.call("InstallCertificate", {
        "certificateType": "CSMSRootCertificate", "certificate": pki.csms_root.pem})
    assert installed["status"] == "Accepted", (
        f"InstallCertificate of the run's CSMS root: expected Accepted (M05.FR.01), the station "
        f"answered {installed['status']}")
    slot, _, _ = await choose_free_slot(station)
    url = f"wss://{csms_host(station, bench)}:{bench.csms.port or 443}/"
    data = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url,
            "messageTimeout": 30, "securityProfile": 3, "ocppInterface": "Wired0"}
    answer = await station.call("SetNetworkProfile",
                                {"configurationSlot": slot, "connectionData": data})
    assert answer["status"] == "Rejected", (
        "SetNetworkProfile for security profile 3 while no ChargingStationCertificate is "
        f"installed: expected Rejected (A05.FR.03), the station answered {answer['status']!r}")
