"""The 1.6 Security Whitepaper on the emulated 1.6 charge point: the pure translations of
``harness/emulator/ocpp16/handlers/security.py``, and the Security cases that need a TLS
connection run against the emulated 1.6 benches of security profiles 2 and 3
(``fixtures/benches/emulated-16-tls.yaml``, ``emulated-16-tls3.yaml``), where the harness
CSMS serves wss:// with the run's PKI."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from harness.emulator.ocpp16.handlers import security
from tests.quirk_runner import ROOT, VERDICT_TYPES, run_cases

BENCH_TLS = ROOT / "fixtures" / "benches" / "emulated-16-tls.yaml"
BENCH_TLS3 = ROOT / "fixtures" / "benches" / "emulated-16-tls3.yaml"


def _station(**kw: object) -> SimpleNamespace:
    return SimpleNamespace(quirks=set(), **kw)


# ---- translations -----------------------------------------------------------------------------
def test_security_event_types_in_whitepaper_words() -> None:
    out = security.security_event_16({"type": "InvalidCsmsCertificate", "timestamp": "t",
                                      "techInfo": "x" * 300})
    assert out == {"type": "InvalidCentralSystemCertificate", "timestamp": "t",
                   "techInfo": "x" * 255}
    assert security.security_event_16({"type": "InvalidChargingStationCertificate",
                                       "timestamp": "t"})["type"] == "InvalidChargePointCertificate"
    assert security.security_event_16({"type": "InvalidFirmwareSignature",
                                       "timestamp": "t"}) == {"type": "InvalidFirmwareSignature",
                                                              "timestamp": "t"}


def test_installed_ids_flat_list() -> None:
    data = {"hashAlgorithm": "SHA256", "issuerNameHash": "a", "issuerKeyHash": "b",
            "serialNumber": "1"}
    chain = {"status": "Accepted", "certificateHashDataChain": [
        {"certificateType": "CSMSRootCertificate", "certificateHashData": data}]}
    assert security.hash_data_list(chain) == {"status": "Accepted", "certificateHashData": [data]}
    assert security.hash_data_list({"status": "NotFound"}) == {"status": "NotFound"}


def test_status_notifications_told_apart_by_request_id() -> None:
    st = _station()
    log = security._internal_id(st, "log", 17)  # type: ignore[arg-type]
    fw = security._internal_id(st, "firmware", 23)  # type: ignore[arg-type]
    assert security.owns(st, "LogStatusNotification", {"status": "Uploading", "requestId": log})  # type: ignore[arg-type]
    assert security.message_16(st, "LogStatusNotification",  # type: ignore[arg-type]
                               {"status": "Uploaded", "requestId": log}) == (
        "LogStatusNotification", {"status": "Uploaded", "requestId": 17})
    assert security.message_16(st, "FirmwareStatusNotification",  # type: ignore[arg-type]
                               {"status": "SignatureVerified", "requestId": fw}) == (
        "SignedFirmwareStatusNotification", {"status": "SignatureVerified", "requestId": 23})
    # GetDiagnostics / UpdateFirmware of the Firmware Management profile are not ours
    assert not security.owns(st, "LogStatusNotification", {"status": "Uploading", "requestId": 17})  # type: ignore[arg-type]
    assert not security.owns(st, "FirmwareStatusNotification", {"status": "Downloading"})  # type: ignore[arg-type]
    assert not security.owns(st, "LogStatusNotification", {"status": "Uploading", "requestId": fw})  # type: ignore[arg-type]
    assert security.message_16(st, "SignCertificate",  # type: ignore[arg-type]
                               {"csr": "PEM", "certificateType": "ChargingStationCertificate"}) == (
        "SignCertificate", {"csr": "PEM"})


def test_extended_trigger_of_idle_log_status() -> None:
    sent: list[tuple[str, dict]] = []
    st = _station(send=lambda action, payload: sent.append((action, payload)))
    payload, report = asyncio.run(security.extended_trigger_message(  # type: ignore[misc, arg-type]
        st, {"requestedMessage": "LogStatusNotification"}))
    assert payload == {"status": "Accepted"}
    asyncio.run(report())
    assert sent == [(security.TRIGGERED_LOG_STATUS, {"status": "Idle"})]
    assert security.owns(st, *sent[0])  # type: ignore[arg-type]
    assert security.message_16(st, *sent[0]) == ("LogStatusNotification", {"status": "Idle"})  # type: ignore[arg-type]


def test_authorization_key_length_checked() -> None:
    st = _station()
    for value in ("too-short", "x" * 41):
        assert asyncio.run(security.change_authorization_key(st, value)) == {  # type: ignore[arg-type]
            "status": "Rejected"}


def test_security_profile_never_lowered() -> None:
    st = _station(installed_certificates={"CSMSRootCertificate": ["pem"]},
                  config=SimpleNamespace(client_cert_pem=None, client_key_pem=None))
    assert "lower" in (security.security_profile_problem(st, 2, 1) or "")  # type: ignore[arg-type]
    assert security.security_profile_problem(st, 1, 2) is None  # type: ignore[arg-type]
    assert "Charge Point certificate" in (security.security_profile_problem(st, 2, 3) or "")  # type: ignore[arg-type]
    st.installed_certificates = {}
    assert "CentralSystemRootCertificate" in (security.security_profile_problem(st, 1, 2) or "")  # type: ignore[arg-type]


# ---- the TLS cases on the emulated 1.6 benches of profiles 2 and 3 ------------------------------
@pytest.mark.parametrize(("bench", "cases"), [
    (BENCH_TLS, ["TC_085_CS", "TC_073_CS", "TC_086_CS", "TC_078_CS", "TC_084_CS", "TC_079_CS"]),
    (BENCH_TLS, ["TC_083_CS"]),  # leaves the charge point on profile 3: a run of its own
    (BENCH_TLS3, ["TC_087_CS", "TC_074_CS", "TC_078_CS", "TC_077_CS", "TC_084_CS"]),
], ids=["profile-2", "profile-2-upgrade", "profile-3"])
def test_tls_cases_pass(pytester: pytest.Pytester, bench, cases: list[str]) -> None:
    outcomes = run_cases(pytester, cases, [], "--bench", str(bench))
    ran = {o.nodeid.split("::")[-1]: o.outcome for o in outcomes if o.when == "call"}
    bad = [(o.nodeid, o.when, o.outcome, o.message[-1500:]) for o in outcomes
           if o.outcome != "passed"]
    assert not bad, f"on {bench.name}: {bad}"
    assert len(ran) == len(cases), f"on {bench.name} ran {ran}, expected {cases}"


@pytest.mark.parametrize(("quirk", "case"), [
    ("accepts_untrusted_csms_certificate", "TC_078_CS"),
    ("no_invalid_certificate_event", "TC_078_CS"),
])
def test_tls_quirks_caught(pytester: pytest.Pytester, quirk: str, case: str) -> None:
    """TC_078 fails on a charge point that trusts any server certificate, or that refuses it
    silently (shared quirks of the emulated station, on the profile-2 bench)."""
    outcomes = run_cases(pytester, [case], [quirk], "--bench", str(BENCH_TLS))
    failed = [o for o in outcomes if o.outcome == "failed"]
    assert failed and all(o.when == "call" for o in failed), outcomes
    assert any(t in failed[0].message for t in VERDICT_TYPES), failed[0].message[-2000:]
