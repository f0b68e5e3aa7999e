"""OCTT blocks A and M, the Charging Station certificate (Advanced Security): security profile
3 with a client certificate (A00), renewing the certificate at the CSMS's request (A02:
TriggerMessage SignChargingStationCertificate -> SignCertificate with a CSR ->
CertificateSigned), rejecting an invalid one with a security event, and refusing to delete it
(M04.FR.06).

The harness CSMS is the CPO's CA: it signs the station's CSR with the run's CSMS root
(``harness.pki.sign_csr``), the root the station's TLS connections in security profile 3 are
checked against. A station on a profile 1 or 2 bench is moved to a profile-3 TLS CSMS of the
harness for the checks that need one (as in test_a_tls), and brought back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from harness.bench import Bench
from harness.csms.server import CsmsServer
from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.pki import TestPki, certificate_hash_data, issue, sign_csr
from suites.ocpp201.provisioning import choose_free_slot, csms_host
from suites.ocpp201.support import get_variable, set_variable
from suites.ocpp201.test_a_tls import Move, _booted_over_tls, _tls_csms, _trust_root
from suites.ocpp201.test_b_network import (
    _connection_data,
    _return_from,
    prefer_profile,
    reset_on_idle,
)

STATION_CERTIFICATE = "ChargingStationCertificate"


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _timeout(bench: Bench) -> float:
    return bench.csms.message_timeout


@asynccontextmanager
async def _on_profile_3(station: StationSession, bench: Bench, csms: CsmsServer,
                        pki: TestPki) -> AsyncIterator[Move]:
    """Move the station to a TLS CSMS of security profile 3 (client certificates chaining to
    the CSMS root, CN = station id) and back afterwards."""
    await _trust_root(station, pki.csms_root.pem)
    slot, priority, active = await choose_free_slot(station)
    in_use = active if active is not None else int(priority.split(",")[0])
    hellos: list[int] = []
    async with _tls_csms(bench, csms, pki.csms_server, 3, pki, hellos) as server:
        new = server.session(bench.station.id)
        url = (f"wss://{csms_host(station, bench)}:{server.port}"
               f"{server.config.path_prefix.rstrip('/')}/")
        await prefer_profile(station, slot, in_use, _connection_data(url, 3))
        move = Move(server, new, slot, in_use, priority, url, 3, station.journal.mark(), hellos)
        try:
            await reset_on_idle(station)
            yield move
        finally:
            await _return_from(new, station, priority, bench)


def _client_certificate(move: Move) -> x509.Certificate:
    ws = move.new.transport
    ssl_object = ws.transport.get_extra_info("ssl_object") if ws is not None else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    assert der, f"security profile 3: the station presented no TLS client certificate at {move.url}"
    return x509.load_der_x509_certificate(der)


# ---- A02: the CSMS asks for a new certificate ----------------------------------------------
async def request_csr(station: StationSession, bench: Bench, *,
                      trigger: str = "SignChargingStationCertificate",
                      certificate_type: str = STATION_CERTIFICATE,
                      ) -> tuple[Message, x509.CertificateSigningRequest]:
    """TriggerMessage ``trigger`` (Accepted, F06.FR.04) and the station's SignCertificate with a
    PEM CSR (A02.FR.02, A02.FR.03, F06.FR.05) for ``certificate_type``. For the station's own
    certificate the type may be left out (it is the default); for the V2G one (A03) it may not."""
    mark = station.journal.mark()
    reply = await station.call("TriggerMessage", {"requestedMessage": trigger})
    assert reply["status"] == "Accepted", (
        f"TriggerMessage {trigger}: expected Accepted (F06.FR.04), the station answered "
        f"{reply['status']}")
    try:
        message = await station.expect("SignCertificate", within=_timeout(bench), since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"after accepting TriggerMessage {trigger} the station must generate a new key pair "
            f"and send SignCertificate with its CSR (A02.FR.02, A02.FR.03, F06.FR.05): {exc}") from None
    kind = message.get("certificateType")
    allowed = (None, STATION_CERTIFICATE) if certificate_type == STATION_CERTIFICATE else (certificate_type,)
    assert kind in allowed, (
        f"SignCertificate after TriggerMessage {trigger}: certificateType {kind!r}, expected "
        f"{certificate_type}")
    try:
        csr = x509.load_pem_x509_csr(str(message["csr"]).encode())
    except ValueError as exc:
        raise AssertionError(f"SignCertificate.csr is not a PEM encoded PKCS#10 request "
                             f"(A02.FR.03): {exc}") from None
    assert csr.is_signature_valid, "SignCertificate.csr: the CSR's signature does not verify"
    return message, csr


async def send_signed(station: StationSession, chain_pem: str) -> Message:
    return await station.call("CertificateSigned", {"certificateChain": chain_pem,
                                                    "certificateType": STATION_CERTIFICATE})


async def renew(station: StationSession, bench: Bench, pki: TestPki) -> x509.Certificate:
    """The whole of A02 with a valid certificate; returns the certificate installed."""
    message, _ = await request_csr(station, bench)
    leaf = sign_csr(str(message["csr"]), pki.csms_root)
    reply = await send_signed(station, _pem(leaf))
    assert reply["status"] == "Accepted", (
        f"CertificateSigned with a valid certificate for the station's CSR, issued by the "
        f"installed CSMS root: expected Accepted (A02.FR.06), the station answered "
        f"{reply['status']} {reply.get('statusInfo') or ''}".rstrip())
    return leaf


async def _invalid_rejected(station: StationSession, bench: Bench, chain_pem: str,
                            what: str) -> None:
    mark = station.journal.mark()
    reply = await send_signed(station, chain_pem)
    assert reply["status"] == "Rejected", (
        f"CertificateSigned with {what}: the station must discard it and answer Rejected "
        f"(A02.FR.06, A02.FR.07); it answered {reply['status']}")
    try:
        await station.expect("SecurityEventNotification",
                             {"type": "InvalidChargingStationCertificate"},
                             within=_timeout(bench), since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"after rejecting {what} the station must report SecurityEventNotification "
            f"InvalidChargingStationCertificate (A02.FR.07, A03.FR.07): {exc}") from None


@pytest.mark.octt("TC_A_07_CS")
async def test_tls_client_certificate(station, operator, bench, csms, pki):
    """TLS - Client-side certificate - valid certificate.

    The station is moved to a TLS CSMS of security profile 3: it connects over TLS 1.2 or
    higher presenting its Charging Station certificate (chaining to the CSMS root, checked in
    the handshake), with CN = its identity and O set, and boots.

    Requirements: A00.FR.401, A00.FR.402, A00.FR.415, A00.FR.416, A00.FR.422, A00.FR.502,
    A00.FR.503, A00.FR.507, A00.FR.508, A00.FR.511.
    """
    async with _on_profile_3(station, bench, csms, pki) as move:
        await _booted_over_tls(move, station, bench)
        cert = _client_certificate(move)
        ws = move.new.transport
        version = ws.transport.get_extra_info("ssl_object").version() if ws is not None else None
        assert version in ("TLSv1.2", "TLSv1.3"), (
            f"security profile 3 over {version}: TLS 1.2 or higher required (A00.FR.416)")
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        assert cn and cn[0].value == bench.station.id, (
            f"the client certificate's CN is {cn[0].value if cn else None!r}; it must be the "
            f"station's identity {bench.station.id!r}")
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME), (
            f"the client certificate {cert.subject.rfc4514_string()} has no O "
            f"(organizationName) RDN")
        profile = await get_variable(move.new, "SecurityCtrlr", "SecurityProfile")
        assert profile == "3", (
            f"connected with a client certificate, SecurityCtrlr.SecurityProfile is {profile}")


@pytest.mark.octt("TC_A_11_CS")
async def test_renew_station_certificate(station, operator, bench, csms, pki):
    """Update Charging Station Certificate by request of CSMS - Success - Charging Station
    Certificate.

    TriggerMessage SignChargingStationCertificate: Accepted; SignCertificate with a CSR
    (Accepted by the CSMS); CertificateSigned with the certificate the CSMS root issued for
    it: Accepted. The station then uses the new certificate: at its next security profile 3
    connection it presents exactly that certificate (A02.FR.08, A02.FR.09).

    Requirements: A02.FR.02, A02.FR.03, A02.FR.06, A02.FR.08, A02.FR.09, F06.FR.04,
    F06.FR.05, F06.FR.10.
    """
    await _trust_root(station, pki.csms_root.pem)
    leaf = await renew(station, bench, pki)
    async with _on_profile_3(station, bench, csms, pki) as move:
        await _booted_over_tls(move, station, bench)
        presented = _client_certificate(move)
        assert presented.serial_number == leaf.serial_number, (
            f"after accepting the new certificate (serial {leaf.serial_number:x}) the station "
            f"must use it for new connections (A02.FR.08, A02.FR.09); it presented serial "
            f"{presented.serial_number:x} ({presented.subject.rfc4514_string()})")


@pytest.mark.octt("TC_A_14_CS")
async def test_renew_invalid_certificate(station, operator, bench, pki):
    """Update Charging Station Certificate by request of CSMS - Invalid certificate.

    After the station sent its CSR, CertificateSigned with an invalid certificate: one
    issued by a root the station does not trust (not in the CPO hierarchy), and, after a new
    CSR, one issued by the right root but for another key than the CSR's. Each must be
    Rejected and reported with SecurityEventNotification InvalidChargingStationCertificate.

    Requirements: A02.FR.07, A03.FR.07.
    """
    await _trust_root(station, pki.csms_root.pem)
    message, _ = await request_csr(station, bench)
    stranger = issue("Harness Untrusted CPO Root", ca=True, days=30)
    await _invalid_rejected(station, bench, _pem(sign_csr(str(message["csr"]), stranger)),
                            "a certificate for its CSR issued by an untrusted root")
    await request_csr(station, bench)
    other = issue(bench.station.id, issuer=pki.csms_root, client=True,
                  organization=pki.organization)
    await _invalid_rejected(station, bench, other.pem,
                            "a certificate from the CSMS root for another key than the CSR's")


@pytest.mark.octt("TC_A_15_CS")
async def test_sign_certificate_rejected(station, bench):
    """Update Charging Station Certificate by request of CSMS - SignCertificateRequest
    Rejected.

    TriggerMessage SignChargingStationCertificate: Accepted; the CSMS answers the station's
    SignCertificate with Rejected. The station accepts that: it keeps its connection, does
    not send the CSR again (repeats are for an Accepted CSR that got no certificate, with
    CertSigningWaitMinimum set to 1 s here) and goes on answering requests.
    """
    station.respond("SignCertificate", lambda s, m: {"status": "Rejected"})
    with contextlib.suppress(AssertionError):
        await set_variable(station, "SecurityCtrlr", "CertSigningWaitMinimum", "1")
    message, _ = await request_csr(station, bench)
    await station.expect_none("SignCertificate", within=max(2.5, bench.csms.quiet_period),
                              since=message.seq + 1)
    assert station.is_connected, "after its CSR was Rejected the station dropped its connection"
    await get_variable(station, "SecurityCtrlr", "SecurityProfile")


# ---- M04: the station certificate cannot be deleted -------------------------------------------
@pytest.mark.octt("TC_M_23_CS")
async def test_delete_station_certificate_refused(station, operator, bench, pki):
    """Delete a certificate from a Charging Station - Unable to delete the Charging Station
    Certificate.

    The station gets a new Charging Station certificate (A02, as in TC_A_11), so the CSMS
    knows it; DeleteCertificate with its hash data: Failed (M04.FR.06), and the station keeps
    using it (it still answers, and a second DeleteCertificate is again Failed, not
    NotFound).

    Requirements: M04.FR.01, M04.FR.06.
    """
    await _trust_root(station, pki.csms_root.pem)
    leaf = await renew(station, bench, pki)
    hash_data = certificate_hash_data(leaf, pki.csms_root.cert)
    for attempt in ("first", "second"):
        reply = await station.call("DeleteCertificate", {"certificateHashData": hash_data})
        assert reply["status"] == "Failed", (
            f"DeleteCertificate ({attempt} attempt) with the hash data of the station's own "
            f"Charging Station certificate (serial {hash_data['serialNumber']}): the station "
            f"must not delete it and answer Failed (M04.FR.06); it answered {reply['status']}")


# ==== Conditional case: no CertificateSigned after an Accepted CSR (A02.FR.17, A02.FR.18) =======
@pytest.mark.octt("TC_A_23_CS")
@pytest.mark.requires("CertificateSigningRetry")  # AS-3: CertSigningWaitMinimum / RepeatTimes
async def test_certificate_signed_timeout(station, bench):
    """Update Charging Station Certificate by request of CSMS - CertificateSignedRequest Timeout.

    CertSigningWaitMinimum 1 s, CertSigningRepeatTimes 2; the CSMS accepts the station's CSR
    but never sends CertificateSigned. The station sends SignCertificate again after 1 s, then
    after twice that wait (2 s), and then no more: two repeats in all (A02.FR.17, A02.FR.18).
    """
    await set_variable(station, "SecurityCtrlr", "CertSigningWaitMinimum", "1")
    await set_variable(station, "SecurityCtrlr", "CertSigningRepeatTimes", "2")
    first, _ = await request_csr(station, bench)
    sent = [first]
    for n, wait in enumerate((1.0, 2.0), start=1):
        try:
            again = await station.expect("SignCertificate", within=wait + bench.csms.deviation,
                                         since=sent[-1].seq + 1)
        except ExpectTimeout as exc:
            raise AssertionError(
                f"no CertificateSigned came for the Accepted CSR: repeat {n} of SignCertificate "
                f"is due {wait:g} s after the previous one (CertSigningWaitMinimum 1 s, doubled "
                f"each time, A02.FR.17, A02.FR.18); none came.\n{exc}") from None
        gap = again.mono - sent[-1].mono
        assert gap >= wait - 0.3, (
            f"repeat {n} of SignCertificate came {gap:.2f} s after the previous one; the wait is "
            f"CertSigningWaitMinimum doubled for each repeat, {wait:g} s (A02.FR.18)")
        sent.append(again)
    await station.expect_none("SignCertificate", within=4.0 + 0.5, since=sent[-1].seq + 1)
