"""OCTT 1.6, Security (Charge Point side): the OCPP 1.6 Security Whitepaper, edition 2
("Improved security for OCPP 1.6-J"): security profiles 1 to 3, the Basic-auth password
(AuthorizationKey), the Charge Point certificate, CA certificate management, the security log,
signed firmware and security events.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
whitepaper sections its catalogue row names. The harness CSMS is the CPO's certificate
authority: the run's PKI (``pki``) is made at run time. A case that needs a TLS connection
runs on a bench of security profile 2 or 3 (the harness CSMS then serves wss://, see
``fixtures/benches/emulated-16-tls.yaml``) and skips, saying so, on the others.
"""

from __future__ import annotations

import base64
import contextlib
import random
import secrets
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from harness.bench import Bench
from harness.csms import tls
from harness.csms.server import CsmsServer
from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.emulator.firmware import build_image
from harness.pki import Issued, TestPki, certificate_hash_data, issue, sign_csr
from harness.preconditions import wait_until
from harness.protocols.rpc import CallErrorReply
from suites.ocpp16.support import reboot_within
from suites.ocpp201.provisioning import (
    AUTH_ACCEPTED,
    CONNECTED,
    DISCONNECTED,
    REFUSED_AUTH,
    events,
    wait_event,
    wait_reconnected,
)

pytestmark = pytest.mark.ocpp_version("1.6")

CLIENT_CERTIFICATE_ACCEPTED = "TLS client certificate accepted"
# Whitepaper 2.2 (A00.FR.318 / .418 of 2.0.1): TLS 1.2 with these suites, or TLS 1.3. Profile 2
# may also use the RSA key exchange variants with AES-GCM.
TLS_12_SUITES = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                 "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"}
TLS_12_SUITES_PROFILE_2 = TLS_12_SUITES | {"AES128-GCM-SHA256", "AES256-GCM-SHA384"}
FIRMWARE_TERMINAL = ("Installed", "DownloadFailed", "InvalidSignature",
                     "InstallVerificationFailed", "InstallationFailed")


# ---- helpers -------------------------------------------------------------------------------
def _timeout(bench: Bench) -> float:
    return bench.csms.message_timeout


def _request_id() -> int:
    return random.randint(1, 2**31 - 1)


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _needs_profile(bench: Bench, *profiles: int) -> None:
    if bench.station.security_profile not in profiles:
        example = {1: "emulated-16.yaml", 2: "emulated-16-tls.yaml",
                   3: "emulated-16-tls3.yaml"}[profiles[-1]]
        pytest.skip(f"this case applies to security profile {' or '.join(map(str, profiles))}; "
                    f"the bench {bench.name!r} runs profile {bench.station.security_profile} "
                    f"(station.security_profile; emulated: fixtures/benches/{example})")


def _ssl_object(station: StationSession) -> Any:
    ws = station.transport
    transport = getattr(ws, "transport", None)
    return transport.get_extra_info("ssl_object") if transport is not None else None


async def _security_profile(station: StationSession, bench: Bench) -> int:
    """The SecurityProfile key the charge point reports (the bench's claim when it has none)."""
    reply = await station.call("GetConfiguration", {"key": ["SecurityProfile"]})
    keys = [k for k in reply.get("configurationKey", []) if k["key"] == "SecurityProfile"]
    if not keys or not keys[0].get("value"):
        return bench.station.security_profile
    return int(keys[0]["value"])


async def _change(station: StationSession, key: str, value: str) -> str:
    reply = await station.call("ChangeConfiguration", {"key": key, "value": value})
    return str(reply["status"])


def _same_hash(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """CertificateHashData equality: hex case-insensitive, serial numbers without leading 0s."""
    def norm(h: dict[str, Any]) -> tuple[str, ...]:
        return (str(h.get("hashAlgorithm", "")).upper(), str(h.get("issuerNameHash", "")).lower(),
                str(h.get("issuerKeyHash", "")).lower(),
                str(h.get("serialNumber", "")).lower().lstrip("0") or "0")
    return norm(a) == norm(b)


async def _installed_ids(station: StationSession, kind: str) -> list[dict[str, Any]]:
    reply = await station.call("GetInstalledCertificateIds", {"certificateType": kind})
    if reply["status"] == "NotFound":
        return []
    assert reply["status"] == "Accepted", (
        f"GetInstalledCertificateIds {kind}: expected Accepted or NotFound, the charge point "
        f"answered {reply['status']!r}")
    return list(reply.get("certificateHashData") or [])


async def _install(station: StationSession, kind: str, root: Issued) -> dict[str, str]:
    """InstallCertificate ``kind`` (Accepted, whitepaper 3.5 / 5.7); its hash data."""
    reply = await station.call("InstallCertificate", {"certificateType": kind,
                                                      "certificate": root.pem})
    assert reply["status"] == "Accepted", (
        f"InstallCertificate {kind} with a valid self-signed CA certificate "
        f"({root.cert.subject.rfc4514_string()}): expected Accepted (whitepaper 3.5), the charge "
        f"point answered {reply['status']!r}")
    return certificate_hash_data(root.cert)


@contextlib.asynccontextmanager
async def _fresh_root(station: StationSession, kind: str, name: str):  # type: ignore[no-untyped-def]
    """A CA certificate made for this test, deleted from the charge point afterwards."""
    root = issue(name, ca=True, organization="Harness Test", days=365)
    try:
        yield root
    finally:
        with contextlib.suppress(Exception):
            if station.is_connected:
                await station.call("DeleteCertificate",
                                   {"certificateHashData": certificate_hash_data(root.cert)})


async def _request_csr(station: StationSession, bench: Bench, *,
                       skip_unless_supported: bool = False) -> tuple[Message, x509.CertificateSigningRequest]:
    """ExtendedTriggerMessage SignChargePointCertificate (Accepted) and the charge point's
    SignCertificate with a PEM CSR (whitepaper 2.4, 3.2)."""
    mark = station.journal.mark()
    try:
        reply = await station.call("ExtendedTriggerMessage",
                                   {"requestedMessage": "SignChargePointCertificate"})
    except CallErrorReply as exc:
        if skip_unless_supported:
            pytest.skip(f"the charge point does not support ExtendedTriggerMessage "
                        f"(CALLERROR {exc.code}) on security profile "
                        f"{bench.station.security_profile}")
        raise
    if skip_unless_supported and reply["status"] != "Accepted":
        pytest.skip(f"ExtendedTriggerMessage SignChargePointCertificate answered "
                    f"{reply['status']} on security profile {bench.station.security_profile}: "
                    f"the charge point renews its certificate in profile 3 only")
    assert reply["status"] == "Accepted", (
        f"ExtendedTriggerMessage SignChargePointCertificate: expected Accepted (whitepaper "
        f"5.5), the charge point answered {reply['status']!r}")
    try:
        message = await station.expect("SignCertificate", within=_timeout(bench), since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            "after accepting ExtendedTriggerMessage SignChargePointCertificate the charge point "
            f"must generate a key pair and send SignCertificate with its CSR (whitepaper 3.2): "
            f"{exc}") from None
    try:
        csr = x509.load_pem_x509_csr(str(message["csr"]).encode())
    except ValueError as exc:
        raise AssertionError(f"SignCertificate.csr is not a PEM encoded PKCS#10 request "
                             f"(whitepaper 3.2): {exc}") from None
    assert csr.is_signature_valid, "SignCertificate.csr: the CSR's signature does not verify"
    return message, csr


@contextlib.contextmanager
def _presenting(csms: CsmsServer, pki: TestPki, issued: Issued, hellos: list[int]) -> Iterator[None]:
    """The harness CSMS presents ``issued`` to new TLS connections (and counts ClientHellos),
    then its own server certificate again."""
    context = csms.config.ssl_context
    assert context is not None
    tls.load_chain(context, issued.chain_pem, issued.key_pem)
    context.sni_callback = lambda *_: hellos.append(1)
    try:
        yield
    finally:
        context.sni_callback = None
        tls.load_chain(context, pki.csms_server.chain_pem, pki.csms_server.key_pem)


def _iso_in(seconds: float) -> str:
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(time.time() + seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _signed_firmware(file_server: Any, pki: TestPki, image: bytes,
                     signature: bytes | None = None) -> dict[str, Any]:
    path = f"/firmware/{uuid.uuid4().hex[:12]}.bin"
    file_server.files[path] = image
    return {"location": file_server.url(path), "retrieveDateTime": _iso_in(-7200),
            "signingCertificate": pki.firmware_signer.pem,
            "signature": base64.b64encode(signature if signature is not None
                                          else pki.firmware_signer.sign(image)).decode()}


async def _firmware_statuses(station: StationSession, rid: int, within: float) -> list[Message]:
    """SignedFirmwareStatusNotifications of request ``rid`` up to a final status."""
    notes: list[Message] = []
    deadline = time.monotonic() + within
    while True:
        try:
            note = await station.expect("SignedFirmwareStatusNotification",
                                        since=notes[-1].seq + 1 if notes else None,
                                        within=max(deadline - time.monotonic(), 0.01))
        except ExpectTimeout as exc:
            seen = [n["status"] for n in notes]
            raise AssertionError(
                f"signed firmware update {rid}: after {seen} no final "
                f"SignedFirmwareStatusNotification ({', '.join(FIRMWARE_TERMINAL)}) came "
                f"(whitepaper 4.7): {exc}") from None
        assert note.get("requestId") == rid, (
            f"SignedFirmwareStatusNotification {note['status']} must carry the requestId {rid} "
            f"of the SignedUpdateFirmware.req; it has {note.get('requestId')!r}")
        notes.append(note)
        if note["status"] in FIRMWARE_TERMINAL:
            return notes


async def _install_manufacturer_root(station: StationSession, pki: TestPki) -> None:
    await _install(station, "ManufacturerRootCertificate", pki.manufacturer_root)


# ---- Basic authentication and the AuthorizationKey (whitepaper 2.3, 1.3) -------------------
@pytest.mark.octt("TC_085_CS")
async def test_basic_auth_valid(station, operator, bench):
    """Basic Authentication - Valid Username/Password Combination.

    After a power cycle the charge point opens its websocket with an HTTP Basic Authorization
    header of its identity and its AuthorizationKey: the harness CSMS accepts the upgrade (no
    HTTP 401) and the charge point boots, Accepted (whitepaper 2.3, security profiles 1 and 2).
    """
    _needs_profile(bench, 1, 2)
    mark = station.journal.mark()
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    refused = events(station, mark, REFUSED_AUTH)
    assert not refused, (
        "the charge point's connection attempts were refused: its HTTP Basic credentials were "
        "not <identity>:<AuthorizationKey> (whitepaper 2.3):\n  "
        + "\n  ".join(e.describe() for e in refused))
    accepted = events(station, mark, AUTH_ACCEPTED)
    assert accepted and accepted[-1].seq < boot.seq, (
        "the charge point booted over a connection without valid HTTP Basic credentials "
        "(whitepaper 2.3: security profiles 1 and 2 authenticate with HTTP Basic)")


@pytest.mark.octt("TC_073_CS")
async def test_update_authorization_key(station, bench, csms):
    """Update Charge Point Password for HTTP Basic Authentication.

    ChangeConfiguration AuthorizationKey with a new password (40 hexadecimal digits, within
    the whitepaper's 16..40 characters): Accepted. The charge point closes its connection and
    reconnects with the new password (the harness CSMS accepts only the new one from then on).
    AuthorizationKey is write-only: GetConfiguration must not reveal it. The bench password is
    set again the same way afterwards (whitepaper 1.3, 2.3, section 7).
    """
    _needs_profile(bench, 1, 2)
    if not bench.station.password:
        pytest.skip("the bench gives no password for the charge point (station.password)")
    account = csms.config.accounts[bench.station.id]
    original = bench.station.password
    new = secrets.token_hex(20)  # 20 random bytes, hex: the whitepaper's representation
    station.redact.append(new)
    mark = station.journal.mark()
    account.password = new
    try:
        status = await _change(station, "AuthorizationKey", new)
        assert status == "Accepted", (
            f"ChangeConfiguration AuthorizationKey with a valid 40-character password: expected "
            f"Accepted (whitepaper 1.3), the charge point answered {status!r}")
        await wait_event(station, DISCONNECTED, mark, _timeout(bench),
                         "the charge point closing its connection to use the new password")
        outcome = await wait_event(station, "HTTP", mark, reboot_within(bench),
                                   "a reconnection attempt with the new password")
        assert REFUSED_AUTH not in outcome.raw, (
            f"after the AuthorizationKey change the charge point reconnected with other "
            f"credentials than <identity>:<new AuthorizationKey> (whitepaper 2.3):\n  "
            f"{outcome.describe()}")
        await station.wait_connected(_timeout(bench))
        reply = await station.call("GetConfiguration", {"key": ["AuthorizationKey"]})
        revealed = any(k["key"] == "AuthorizationKey" and new in str(k.get("value", ""))
                       for k in reply.get("configurationKey", []))
        assert revealed is False, (
            "GetConfiguration AuthorizationKey revealed the password: the key is write-only "
            "(whitepaper section 7; the charge point must not report its value)")
    finally:
        await _restore_password(station, bench, account, original)


async def _restore_password(station: StationSession, bench: Bench, account: Any,
                            original: str) -> None:
    account.password = original
    with contextlib.suppress(ExpectTimeout):
        await station.wait_connected(reboot_within(bench))
    if not station.is_connected:
        return
    mark = station.journal.mark()
    if await _change(station, "AuthorizationKey", original) == "Accepted":
        with contextlib.suppress(ExpectTimeout):
            await wait_event(station, DISCONNECTED, mark, _timeout(bench), "reconnection")
            await wait_reconnected(station, mark, reboot_within(bench))


# ---- security profiles and TLS (whitepaper 1.3.4, 2.2, 2.4) -----------------------------------
@pytest.mark.octt("TC_086_CS")
async def test_tls_server_certificate(station, operator, bench):
    """TLS - Server-side Certificate - Valid Certificate.

    Security profile 2: after a power cycle the charge point connects over TLS 1.2 or higher
    with a cipher suite of the whitepaper, validating the Central System's certificate (issued
    by the run's CentralSystemRootCertificate), authenticates with HTTP Basic and boots
    (whitepaper 2.2).
    """
    _needs_profile(bench, 2)
    mark = station.journal.mark()
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    ssl_object = _ssl_object(station)
    assert ssl_object is not None, "security profile 2: the charge point connected without TLS"
    version, cipher = ssl_object.version(), ssl_object.cipher()[0]
    assert version in ("TLSv1.2", "TLSv1.3"), (
        f"the charge point connected with {version}; the whitepaper requires TLS 1.2 or higher "
        f"(2.2)")
    assert version == "TLSv1.3" or cipher in TLS_12_SUITES_PROFILE_2, (
        f"TLS 1.2 with cipher suite {cipher}: not one the whitepaper allows (2.2)")
    accepted = events(station, mark, AUTH_ACCEPTED)
    assert accepted and accepted[-1].seq < boot.seq, (
        "security profile 2: the charge point must send HTTP Basic credentials over TLS "
        "(whitepaper 2.2)")


@pytest.mark.octt("TC_087_CS")
async def test_tls_client_certificate(station, operator, bench):
    """TLS - Client-side Certificate - Valid Certificate.

    Security profile 3: after a power cycle the charge point connects over TLS 1.2 or higher
    with a cipher suite of the whitepaper, presenting its Charge Point certificate (chaining
    to the CentralSystemRootCertificate, checked in the handshake) with CN = its identity, and
    boots (whitepaper 2.4).
    """
    _needs_profile(bench, 3)
    mark = station.journal.mark()
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    ssl_object = _ssl_object(station)
    assert ssl_object is not None, "security profile 3: the charge point connected without TLS"
    version, cipher = ssl_object.version(), ssl_object.cipher()[0]
    assert version in ("TLSv1.2", "TLSv1.3"), (
        f"security profile 3 over {version}: TLS 1.2 or higher required (whitepaper 2.4)")
    assert version == "TLSv1.3" or cipher in TLS_12_SUITES, (
        f"TLS 1.2 with cipher suite {cipher}: not one the whitepaper allows (2.4)")
    der = ssl_object.getpeercert(binary_form=True)
    assert der, "security profile 3: the charge point presented no TLS client certificate"
    cert = x509.load_der_x509_certificate(der)
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert cn and cn[0].value == bench.station.id, (
        f"the client certificate's CN is {cn[0].value if cn else None!r}; it must be the "
        f"charge point identity {bench.station.id!r} (whitepaper 2.4)")
    accepted = events(station, mark, CLIENT_CERTIFICATE_ACCEPTED)
    assert accepted and accepted[-1].seq < boot.seq, (
        "the charge point booted over a connection the harness CSMS did not authenticate by "
        "its client certificate")


@pytest.mark.octt("TC_083_CS")
async def test_upgrade_security_profile(station, bench, csms):
    """Upgrade Charge Point Security Profile - Accepted.

    On security profile 2 (the harness CSMS serves TLS): ChangeConfiguration SecurityProfile 3
    (the charge point has a Charge Point certificate): Accepted; the charge point reconnects
    with the new profile, presenting its client certificate, and GetConfiguration reports
    SecurityProfile 3 (whitepaper 1.3.4). A charge point cannot be brought back to a lower
    profile through OCPP (A00.FR.005): the harness CSMS keeps to profile 3 afterwards, so run
    this case last on a real charger and re-provision it afterwards.
    """
    _needs_profile(bench, 2)
    before = await _security_profile(station, bench)
    if before != 2:
        pytest.skip(f"the charge point runs security profile {before}, not the bench's 2")
    mark = station.journal.mark()
    csms.config.security_profile = 3  # the Central System side of the upgrade
    upgraded = False
    try:
        status = await _change(station, "SecurityProfile", "3")
        assert status == "Accepted", (
            f"ChangeConfiguration SecurityProfile 3 on a profile 2 connection, with a Charge "
            f"Point certificate installed: expected Accepted (whitepaper 1.3.4), the charge "
            f"point answered {status!r}")
        await wait_event(station, DISCONNECTED, mark, _timeout(bench),
                         "the charge point closing its connection to use security profile 3")
        await wait_reconnected(station, mark, reboot_within(bench))
        assert events(station, mark, CLIENT_CERTIFICATE_ACCEPTED), (
            "after accepting SecurityProfile 3 the charge point reconnected without presenting "
            "a client certificate (whitepaper 1.3.4, 2.4)")
        upgraded = True
        now = await _security_profile(station, bench)
        assert now == 3, (
            f"connected with security profile 3, the charge point reports SecurityProfile {now}")
    finally:
        if not upgraded and not station.is_connected:
            csms.config.security_profile = bench.station.security_profile


@pytest.mark.octt("TC_084_CS")
async def test_downgrade_security_profile_rejected(station, bench):
    """Upgrade Charge Point Security Profile - Rejected.

    ChangeConfiguration SecurityProfile with a lower value than the profile in use: Rejected,
    since lowering the security profile is never done through OCPP (whitepaper 1.3.4,
    A00.FR.005); the charge point keeps its connection and its profile.
    """
    current = await _security_profile(station, bench)
    if current <= 0:
        pytest.skip("the charge point runs security profile 0: there is no lower profile")
    mark = station.journal.mark()
    lower = current - 1
    status = await _change(station, "SecurityProfile", str(lower))
    assert status == "Rejected", (
        f"ChangeConfiguration SecurityProfile {lower} while running profile {current}: a "
        f"downgrade must be Rejected (whitepaper 1.3.4, A00.FR.005); the charge point answered "
        f"{status!r}")
    with contextlib.suppress(ExpectTimeout):
        await station.wait_disconnected(within=bench.csms.quiet_period)
    assert station.is_connected and not events(station, mark, DISCONNECTED), (
        "after rejecting the downgrade the charge point dropped its connection")
    assert await _security_profile(station, bench) == current


@pytest.mark.octt("TC_078_CS")
async def test_invalid_central_system_certificate(station, bench, csms, pki):
    """Invalid Central System Certificate - Security Event.

    Security profile 2 or 3: the harness CSMS drops the connection and presents a server
    certificate from a root the charge point does not trust. The charge point must not
    connect; once the CSMS presents its valid certificate again, the charge point connects and
    reports SecurityEventNotification InvalidCentralSystemCertificate (whitepaper 2.2, 4.2).
    """
    _needs_profile(bench, 2, 3)
    hellos: list[int] = []
    mark = station.journal.mark()
    with _presenting(csms, pki, pki.untrusted_server(), hellos):
        await station.disconnect("the Central System now presents an untrusted certificate")
        try:
            await wait_until(station, lambda: len(hellos) >= 1, reboot_within(bench),
                             "a TLS ClientHello from the charge point")
        except ExpectTimeout:
            pytest.fail("the charge point did not try to reconnect after the connection was "
                        "closed (no TLS ClientHello)")
        with contextlib.suppress(ExpectTimeout):  # the handshake ends one way or the other
            await wait_event(station, CONNECTED, mark, bench.csms.quiet_period, "a connection")
        connected = events(station, mark, CONNECTED)
        assert not connected and not station.is_connected, (
            "the charge point connected to a Central System presenting a certificate from an "
            "untrusted root (whitepaper 2.2: it must validate the server certificate): "
            f"{connected[-1].describe() if connected else 'connected'}")
        back = station.journal.mark()
    await wait_reconnected(station, back, reboot_within(bench))
    try:
        await station.expect("SecurityEventNotification",
                             {"type": "InvalidCentralSystemCertificate"},
                             within=_timeout(bench), since=back)
    except ExpectTimeout as exc:
        raise AssertionError(
            "after refusing the Central System certificate the charge point must report "
            f"SecurityEventNotification InvalidCentralSystemCertificate once connected (whitepaper "
            f"4.2): {exc}") from None


# ---- the Charge Point certificate (whitepaper 2.4, 3.2, 4.2) -----------------------------------
@pytest.mark.octt("TC_074_CS")
async def test_update_charge_point_certificate(station, bench, pki):
    """Update Charge Point Certificate by Request of Central System.

    Security profile 3: ExtendedTriggerMessage SignChargePointCertificate: Accepted; the
    charge point sends SignCertificate with a CSR (answered Accepted); the harness CSMS signs
    it with the run's CentralSystemRootCertificate and sends CertificateSigned: Accepted. The
    charge point then reconnects and presents exactly the new certificate (whitepaper 2.4,
    3.2).
    """
    _needs_profile(bench, 3)
    message, csr = await _request_csr(station, bench)
    cn = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert cn and cn[0].value == bench.station.id, (
        f"the CSR's subject CN is {cn[0].value if cn else None!r}; it must be the charge point "
        f"identity {bench.station.id!r} (whitepaper 3.2)")
    leaf = sign_csr(str(message["csr"]), pki.csms_root)
    mark = station.journal.mark()
    reply = await station.call("CertificateSigned", {"certificateChain": _pem(leaf)})
    assert reply["status"] == "Accepted", (
        f"CertificateSigned with a valid certificate for the charge point's CSR, issued by the "
        f"CentralSystemRootCertificate: expected Accepted (whitepaper 3.2), the charge point "
        f"answered {reply['status']!r}")
    await wait_event(station, DISCONNECTED, mark, _timeout(bench),
                     "the charge point reconnecting with its new certificate")
    await wait_reconnected(station, mark, reboot_within(bench))
    ssl_object = _ssl_object(station)
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    assert der, "after the reconnection the charge point presented no client certificate"
    presented = x509.load_der_x509_certificate(der)
    assert presented.serial_number == leaf.serial_number, (
        f"after accepting the new certificate (serial {leaf.serial_number:x}) the charge point "
        f"must use it (whitepaper 3.2); it presented serial {presented.serial_number:x} "
        f"({presented.subject.rfc4514_string()})")


@pytest.mark.octt("TC_077_CS")
async def test_invalid_charge_point_certificate(station, bench):
    """Invalid Charge Point Certificate - Security Event.

    After the charge point sent its CSR (ExtendedTriggerMessage SignChargePointCertificate),
    CertificateSigned with a certificate for that CSR issued by a root it does not trust:
    Rejected, and SecurityEventNotification InvalidChargePointCertificate (whitepaper 2.4,
    4.2). On profiles 1 and 2 the case runs when the charge point accepts the trigger.
    """
    message, _ = await _request_csr(station, bench,
                                    skip_unless_supported=bench.station.security_profile != 3)
    stranger = issue("Harness Untrusted CPO Root", ca=True, days=30)
    mark = station.journal.mark()
    reply = await station.call("CertificateSigned", {
        "certificateChain": _pem(sign_csr(str(message["csr"]), stranger))})
    assert reply["status"] == "Rejected", (
        f"CertificateSigned with a certificate from an untrusted root: the charge point must "
        f"discard it and answer Rejected (whitepaper 3.2); it answered {reply['status']!r}")
    try:
        await station.expect("SecurityEventNotification",
                             {"type": "InvalidChargePointCertificate"},
                             within=_timeout(bench), since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            "after rejecting an invalid Charge Point certificate the charge point must report "
            f"SecurityEventNotification InvalidChargePointCertificate (whitepaper 4.2): {exc}"
        ) from None


# ---- CA certificates (whitepaper 3.5, 5.4, 5.7) -------------------------------------------------
@pytest.mark.octt("TC_075_1_CS")
async def test_install_manufacturer_root(station):
    """Install a Manufacturer Root Certificate.

    InstallCertificate ManufacturerRootCertificate with a valid root: Accepted;
    GetInstalledCertificateIds ManufacturerRootCertificate lists its hash data (whitepaper
    3.5, 5.7). The certificate is deleted afterwards.
    """
    await _installs_and_lists(station, "ManufacturerRootCertificate")


@pytest.mark.octt("TC_075_2_CS")
async def test_install_central_system_root(station):
    """Install a Central System Root Certificate.

    InstallCertificate CentralSystemRootCertificate with a valid root: Accepted;
    GetInstalledCertificateIds CentralSystemRootCertificate lists its hash data (whitepaper
    3.5, 5.7). The certificate is deleted afterwards.
    """
    await _installs_and_lists(station, "CentralSystemRootCertificate")


async def _installs_and_lists(station: StationSession, kind: str) -> None:
    async with _fresh_root(station, kind, f"Harness Test {kind}") as root:
        wanted = await _install(station, kind, root)
        listed = await _installed_ids(station, kind)
        assert any(_same_hash(h, wanted) for h in listed), (
            f"GetInstalledCertificateIds {kind} after installing {root.cert.subject.rfc4514_string()} "
            f"(serial {wanted['serialNumber']}): its hash data is not listed (whitepaper 5.7); "
            f"listed: {listed}")


@pytest.mark.octt("TC_076_CS")
async def test_delete_certificate(station):
    """Delete a Specific Certificate from the Charge Point.

    A ManufacturerRootCertificate installed for the test; DeleteCertificate with its hash
    data: Accepted, and GetInstalledCertificateIds no longer lists it; DeleteCertificate
    again: NotFound (whitepaper 3.5, 5.4).
    """
    kind = "ManufacturerRootCertificate"
    async with _fresh_root(station, kind, "Harness Test Root To Delete") as root:
        wanted = await _install(station, kind, root)
        reply = await station.call("DeleteCertificate", {"certificateHashData": wanted})
        assert reply["status"] == "Accepted", (
            f"DeleteCertificate of the installed {kind} (serial {wanted['serialNumber']}): "
            f"expected Accepted (whitepaper 5.4), the charge point answered {reply['status']!r}")
        listed = await _installed_ids(station, kind)
        assert not any(_same_hash(h, wanted) for h in listed), (
            f"after DeleteCertificate Accepted, GetInstalledCertificateIds {kind} still lists "
            f"serial {wanted['serialNumber']}")
        reply = await station.call("DeleteCertificate", {"certificateHashData": wanted})
        assert reply["status"] == "NotFound", (
            f"DeleteCertificate of a certificate no longer installed (serial "
            f"{wanted['serialNumber']}): expected NotFound (whitepaper 5.4), the charge point "
            f"answered {reply['status']!r}")


# ---- the security log (whitepaper 5.10, 4.5) --------------------------------------------------
@pytest.mark.octt("TC_079_CS")
async def test_get_security_log(station, bench, file_server):
    """Get Security Log.

    GetLog SecurityLog with a remoteLocation on the harness file server: Accepted with a
    filename; LogStatusNotification Uploading, then Uploaded, each with the requestId; the
    file server received the log (whitepaper 5.10, 4.5).
    """
    folder = f"upload/{uuid.uuid4().hex[:12]}/"
    rid = _request_id()
    location = file_server.url(folder)
    reply = await station.call("GetLog", {"logType": "SecurityLog", "requestId": rid,
                                          "log": {"remoteLocation": location}})
    assert reply["status"] == "Accepted", (
        f"GetLog SecurityLog to {location}: expected Accepted (whitepaper 5.10), the charge "
        f"point answered {reply['status']!r}")
    assert reply.get("filename"), (
        f"GetLog SecurityLog: Accepted but no filename in GetLog.conf (whitepaper 5.10); it "
        f"answered {reply.payload}")
    timeout = _timeout(bench)
    uploading = await station.expect("LogStatusNotification",
                                     {"status": "Uploading", "requestId": rid}, within=timeout)
    done = await station.expect(
        "LogStatusNotification",
        lambda p: p.get("requestId") == rid and p.get("status") != "Uploading",
        within=2 * timeout)
    assert done["status"] == "Uploaded", (
        f"GetLog SecurityLog request {rid}: after Uploading the charge point reported "
        f"{done['status']} instead of Uploaded; the file server accepts uploads to {location}")
    assert done.seq > uploading.seq, "Uploaded was reported before Uploading"
    await file_server.wait_upload("/" + folder, within=timeout)


# ---- signed firmware (whitepaper 5.11, 4.7) ---------------------------------------------------
@pytest.mark.octt("TC_080_CS")
async def test_secure_firmware_update(station, bench, file_server, pki):
    """Secure Firmware Update.

    With the ManufacturerRootCertificate installed, SignedUpdateFirmware with an image signed
    by the firmware signing certificate: Accepted; SignedFirmwareStatusNotification
    Downloading, Downloaded, SignatureVerified, Installing and (around the reboot) Installed,
    each with the requestId; the charge point boots again with the new firmwareVersion
    (whitepaper 5.11, 4.7).
    """
    await _install_manufacturer_root(station, pki)
    rid = _request_id()
    version = f"2.{rid % 1000}.0-sec16"
    image = build_image(version)
    mark = station.journal.mark()
    reply = await station.call("SignedUpdateFirmware", {
        "requestId": rid, "firmware": _signed_firmware(file_server, pki, image)})
    assert reply["status"] == "Accepted", (
        f"SignedUpdateFirmware with a signing certificate issued by the installed "
        f"ManufacturerRootCertificate: expected Accepted (whitepaper 5.11), the charge point "
        f"answered {reply['status']!r}")
    notes = await _firmware_statuses(station, rid, 3 * _timeout(bench) + reboot_within(bench))
    seen = [n["status"] for n in notes]
    order = [s for s in seen if s in ("Downloading", "Downloaded", "SignatureVerified",
                                      "Installing", "Installed")]
    assert order == ["Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"], (
        f"signed firmware update {rid}: the charge point reported {seen}; expected Downloading, "
        f"Downloaded, SignatureVerified, Installing, Installed in this order (whitepaper 4.7)")
    boots = [m for m in station.received(mark) if m.action == "BootNotification"]
    assert boots, f"after installing firmware {version!r} the charge point did not reboot"
    running = (boots[-1].payload or {}).get("firmwareVersion")
    assert running == version, (
        f"BootNotification after installing firmware {version!r} reports firmwareVersion "
        f"{running!r}")


@pytest.mark.octt("TC_081_CS")
async def test_secure_firmware_update_invalid_signature(station, bench, file_server, pki):
    """Secure Firmware Update - Invalid Signature.

    SignedUpdateFirmware with a trusted signing certificate but a signature that does not
    match the image: Accepted; SignedFirmwareStatusNotification Downloading, Downloaded, then
    InvalidSignature (never Installing), and SecurityEventNotification
    InvalidFirmwareSignature (whitepaper 5.11, 4.7).
    """
    await _install_manufacturer_root(station, pki)
    rid = _request_id()
    image = build_image(f"9.{rid % 1000}.0-unsigned")
    wrong = pki.firmware_signer.sign(image + b"tampered")
    mark = station.journal.mark()
    reply = await station.call("SignedUpdateFirmware", {
        "requestId": rid, "firmware": _signed_firmware(file_server, pki, image, wrong)})
    assert reply["status"] == "Accepted", (
        f"SignedUpdateFirmware with a trusted signing certificate: expected Accepted (the "
        f"signature is checked after the download, whitepaper 4.7), the charge point answered "
        f"{reply['status']!r}")
    notes = await _firmware_statuses(station, rid, 3 * _timeout(bench))
    seen = [n["status"] for n in notes]
    assert seen[-1] == "InvalidSignature" and "Installing" not in seen, (
        f"signed firmware update {rid} with a signature that does not match the image: the "
        f"charge point reported {seen}; expected InvalidSignature and no installation "
        f"(whitepaper 4.7)")
    try:
        await station.expect("SecurityEventNotification", {"type": "InvalidFirmwareSignature"},
                             within=_timeout(bench), since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            "after an invalid firmware signature the charge point must report "
            f"SecurityEventNotification InvalidFirmwareSignature (whitepaper 4.2, 4.7): {exc}"
        ) from None
