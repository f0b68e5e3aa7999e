"""OCTT "ISO 15118 Support", Charging Station side: the OCPP side of Plug & Charge.

OCPP 2.0.1 Part 2: A03 (the station's V2G certificate, signed at the CSMS's request), C07
(authorization with a contract certificate: Authorize with the eMAID and the OCSP request data
of the contract chain; offline with ContractValidationOffline), M05 / M03 for the V2G and MO
root certificates and the V2G certificate chain, M01 / M02 (the EV's contract certificate
installation and update: Get15118EVCertificate), M06 (GetCertificateStatus of the V2G
chain's sub-CAs), K15 / K17 (the EV's charging needs and schedule, renegotiation) and E15 (the
EV ends charging).

The EV's side is a bench action: ``ev_plug_and_charge`` (an ISO 15118 EV plugs in and pays
with a contract certificate chain the harness made: CN = the EMAID, under an MO root of the
run's PKI), ``ev_certificate_request`` (the EV sends a CertificateInstallationReq /
CertificateUpdateReq; its answer is the EXI response the EV received, when the bench can tell),
``ev_renegotiate`` (the EV renegotiates its schedule: PowerDeliveryReq Renegotiate, a new
ChargeParameterDiscoveryReq) and ``ev_stop_charging`` (PowerDeliveryReq Stop, SessionStopReq
Terminate; the EV stays plugged in).
Every certificate comes from a PKI made at run time (harness.pki.PncPki); no key is committed.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from harness.bench import Bench
from harness.csms.session import (
    ExpectTimeout,
    Message,
    StationSession,
    UnexpectedMessage,
    dig,
)
from harness.pki import Issued, PncPki, certificate_hash_data, ocsp_url_of, sign_csr
from suites.ocpp201.support import first_connector, get_variable
from suites.ocpp201.test_a_certificates import request_csr
from suites.ocpp201.test_d_local_auth_list import (
    LocalList,
    end_session,
    entry,
    expect_no_session,
    expect_session,
    offline_authorization,
    token_is,
)
from suites.ocpp201.test_m_certificates import (
    CaStore,
    _install_and_list,
    assert_accepted,
    chain_of,
    get_ids,
    same_certificate,
)
from suites.ocpp201.transactions import applied, end_by_unplug, try_set, tx_of

V2G_ROOT = "V2GRootCertificate"
MO_ROOT = "MORootCertificate"
V2G_CHAIN = "V2GCertificateChain"
V2G_CERTIFICATE = "V2GCertificate"


@pytest.fixture(scope="module")
def pnc_pki() -> PncPki:
    """This module's ISO 15118 PKI: fresh keys, so never already installed."""
    return PncPki()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _timeout(bench: Bench) -> float:
    return bench.csms.message_timeout


@pytest_asyncio.fixture
async def pnc(station: StationSession) -> AsyncIterator[None]:
    """Plug & Charge on (ISO15118Ctrlr.PnCEnabled; the Baseline restores it)."""
    if not applied(await try_set(station, "ISO15118Ctrlr", "PnCEnabled", "true")):
        pytest.skip("ISO15118Ctrlr.PnCEnabled cannot be set to true")
    yield


@pytest_asyncio.fixture
async def cas(station: StationSession) -> AsyncIterator[CaStore]:
    """CA certificates installed by the test, deleted afterwards."""
    store = CaStore(station)
    try:
        yield store
    finally:
        await store.cleanup()


@pytest_asyncio.fixture
async def emaid_list(station: StationSession) -> AsyncIterator[LocalList]:
    """LocalAuthListCtrlr enabled; afterwards an empty full list with the original version and
    Enabled as it was (as test_d_local_auth_list's fixture)."""
    enabled = await get_variable(station, "LocalAuthListCtrlr", "Enabled")
    if enabled.lower() != "true" and not applied(
            await try_set(station, "LocalAuthListCtrlr", "Enabled", "true")):
        pytest.skip("LocalAuthListCtrlr.Enabled is false and cannot be set to true")
    reply = await station.call("GetLocalListVersion", {})
    lst = LocalList(station, int(reply["versionNumber"]))
    try:
        yield lst
    finally:
        with contextlib.suppress(Exception):
            await station.wait_connected()
            await lst.send("Full", lst.original, [])
            if enabled.lower() != "true":
                await try_set(station, "LocalAuthListCtrlr", "Enabled", enabled)


def emaid_token(emaid: str) -> dict[str, str]:
    return {"idToken": emaid, "type": "eMAID"}


# ---- M05 / M03: V2G and MO root certificates ------------------------------------------------
@pytest.mark.octt("TC_M_03_CS")
async def test_install_v2g_root(station: StationSession, cas: CaStore, pnc_pki: PncPki):
    """Install CA certificate - V2GRootCertificate.

    InstallCertificate of a valid V2G root: Accepted; GetInstalledCertificateIds for
    V2GRootCertificate then lists it with its hash data. Requirements: M05.FR.01, M05.FR.02.
    """
    await _install_and_list(station, cas, V2G_ROOT, pnc_pki.v2g_root)


@pytest.mark.octt("TC_M_04_CS")
async def test_install_mo_root(station: StationSession, cas: CaStore, pnc_pki: PncPki):
    """Install CA certificate - MORootCertificate.

    InstallCertificate of a valid mobility operator root: Accepted; GetInstalledCertificateIds
    for MORootCertificate then lists it. Requirements: M05.FR.01, M05.FR.02.
    """
    await _install_and_list(station, cas, MO_ROOT, pnc_pki.mo_root)


@pytest.mark.octt("TC_M_14_CS")
async def test_get_ids_v2g_root(station: StationSession, cas: CaStore, pnc_pki: PncPki):
    """Retrieve certificates from Charging Station - V2GRootCertificate.

    With a V2G root (and an MO root) installed, GetInstalledCertificateIds for
    V2GRootCertificate: Accepted, only V2GRootCertificate entries, the installed one with its
    exact hash data. Requirements: M03.FR.01, M03.FR.03, M03.FR.04.
    """
    await cas.install_ok(MO_ROOT, pnc_pki.mo_root)
    await _install_and_list(station, cas, V2G_ROOT, pnc_pki.v2g_root)


@pytest.mark.octt("TC_M_16_CS")
async def test_get_ids_mo_root(station: StationSession, cas: CaStore, pnc_pki: PncPki):
    """Retrieve certificates from Charging Station - MORootCertificate.

    With an MO root (and a V2G root) installed, GetInstalledCertificateIds for
    MORootCertificate: Accepted, only MORootCertificate entries, the installed one with its
    exact hash data. Requirements: M03.FR.01, M03.FR.03, M03.FR.04.
    """
    await cas.install_ok(V2G_ROOT, pnc_pki.v2g_root)
    await _install_and_list(station, cas, MO_ROOT, pnc_pki.mo_root)


# ---- A03: the station's V2G certificate ------------------------------------------------------
async def request_v2g_csr(station: StationSession, bench: Bench) -> x509.CertificateSigningRequest:
    """TriggerMessage SignV2GCertificate and the station's SignCertificate with a PEM CSR for a
    V2GCertificate (A03 uses A02's exchange)."""
    _, csr = await request_csr(station, bench, trigger="SignV2GCertificate",
                               certificate_type=V2G_CERTIFICATE)
    return csr


async def renew_v2g(station: StationSession, bench: Bench, pnc_pki: PncPki
                    ) -> x509.Certificate:
    """The whole of A03 with a valid V2G certificate (issued by the CPO sub-CA 2, chain up to
    the installed V2G root); returns the certificate installed."""
    csr = await request_v2g_csr(station, bench)
    leaf = sign_csr(_pem_csr(csr), pnc_pki.cpo_sub2, client=False)
    chain = _pem(leaf) + pnc_pki.cpo_sub2.pem + pnc_pki.cpo_sub1.pem
    reply = await station.call("CertificateSigned", {"certificateChain": chain,
                                                     "certificateType": V2G_CERTIFICATE})
    assert reply["status"] == "Accepted", (
        f"CertificateSigned V2GCertificate with a valid certificate for the station's CSR "
        f"(chain: CPO sub-CA 2, sub-CA 1, up to the installed V2G root): expected Accepted "
        f"(A02.FR.06), the station answered {reply['status']} "
        f"{reply.get('statusInfo') or ''}".rstrip())
    return leaf


def _pem_csr(csr: x509.CertificateSigningRequest) -> str:
    return csr.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.octt("TC_A_12_CS")
async def test_v2g_certificate_update(station: StationSession, bench: Bench, cas: CaStore,
                                      pnc_pki: PncPki):
    """Update Charging Station Certificate by request of CSMS - Success - V2G Certificate.

    TriggerMessage SignV2GCertificate: Accepted; SignCertificate with a CSR for a
    V2GCertificate (a subject with a common name; the organization is
    ISO15118Ctrlr.OrganizationName when the station reports one); the signed chain in
    CertificateSigned: Accepted. Requirements: A02.FR.02, A02.FR.03, A02.FR.06, F06.FR.04,
    F06.FR.05.
    """
    await cas.install_ok(V2G_ROOT, pnc_pki.v2g_root)
    mark = station.journal.mark()
    leaf = await renew_v2g(station, bench, pnc_pki)
    csr = next(e for e in station.received(mark) if e.action == "SignCertificate")
    subject = x509.load_pem_x509_csr(str(csr.payload["csr"]).encode()).subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME), (
        f"SignCertificate V2GCertificate: the CSR's subject {subject.rfc4514_string()!r} has no "
        f"common name (the SECC's identity)")
    with contextlib.suppress(AssertionError):
        organization = await get_variable(station, "ISO15118Ctrlr", "OrganizationName")
        names = [str(a.value) for a in subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        assert names == [organization], (
            f"SignCertificate V2GCertificate: the CSR's organization {names} is not "
            f"ISO15118Ctrlr.OrganizationName {organization!r}")
    assert leaf.serial_number


# ---- M03.FR.05: the V2G certificate chain ----------------------------------------------------
@pytest.mark.octt("TC_M_15_CS")
async def test_get_ids_v2g_chain(station: StationSession, bench: Bench, cas: CaStore,
                                 pnc_pki: PncPki):
    """Retrieve certificates from Charging Station - V2GCertificateChain.

    After the station got a V2G certificate (A03, chain: CPO sub-CA 2, sub-CA 1, V2G root),
    GetInstalledCertificateIds for V2GCertificateChain: Accepted, the V2G certificate's hash
    data, and the sub-CAs' in childCertificateHashData. Requirements: M03.FR.01, M03.FR.03,
    M03.FR.04, M03.FR.05.
    """
    await cas.install_ok(V2G_ROOT, pnc_pki.v2g_root)
    leaf = await renew_v2g(station, bench, pnc_pki)
    types = [V2G_CHAIN]
    chain = assert_accepted(await get_ids(station, types), types)
    expected = certificate_hash_data(leaf, pnc_pki.cpo_sub2.cert)
    mine = [e for e in chain if same_certificate(e.get("certificateHashData", {}), expected)]
    assert mine, (
        f"GetInstalledCertificateIds {types}: the V2G certificate just installed (serial "
        f"{expected['serialNumber']}, issued by CPO sub-CA 2) is not listed; the station "
        f"reported {[e.get('certificateHashData', {}).get('serialNumber') for e in chain]} "
        f"(M03.FR.04)")
    children = list(mine[0].get("childCertificateHashData") or [])
    for sub, issuer, name in ((pnc_pki.cpo_sub2, pnc_pki.cpo_sub1, "CPO sub-CA 2"),
                              (pnc_pki.cpo_sub1, pnc_pki.v2g_root, "CPO sub-CA 1")):
        want = certificate_hash_data(sub.cert, issuer.cert)
        assert any(same_certificate(c, want) for c in children), (
            f"GetInstalledCertificateIds {types}: the V2G certificate's entry must list the "
            f"hash data of each sub-CA of its chain in childCertificateHashData (M03.FR.05); "
            f"{name} (serial {want['serialNumber']}) is missing from "
            f"{[c.get('serialNumber') for c in children]}")


# ---- M06: OCSP status of the V2G chain's sub-CAs ---------------------------------------------
def _sub_ca_data(pnc_pki: PncPki) -> list[tuple[str, dict[str, str]]]:
    return [(name, {**certificate_hash_data(sub.cert, issuer.cert),
                    "responderURL": ocsp_url_of(sub.cert) or ""})
            for sub, issuer, name in ((pnc_pki.cpo_sub2, pnc_pki.cpo_sub1, "CPO sub-CA 2"),
                                      (pnc_pki.cpo_sub1, pnc_pki.v2g_root, "CPO sub-CA 1"))]


async def expect_status_requests(station: StationSession, bench: Bench, pnc_pki: PncPki,
                                 mark: int) -> None:
    """A GetCertificateStatus for each sub-CA of the V2G chain, with its OCSP request data."""
    for name, want in _sub_ca_data(pnc_pki):
        def same(p: dict[str, Any], want: dict[str, str] = want) -> bool:
            return same_certificate(p.get("ocspRequestData", {}), want)
        try:
            message = await station.expect("GetCertificateStatus", same, since=mark,
                                           within=_timeout(bench), consume=False)
        except ExpectTimeout as exc:
            seen = [dict(e.payload or {}).get("ocspRequestData", {}).get("serialNumber")
                    for e in station.received(mark) if e.action == "GetCertificateStatus"]
            raise AssertionError(
                f"with a new V2G certificate chain the station must request the OCSP status of "
                f"its sub-CAs with GetCertificateStatus (M06.FR.06); none for {name} (serial "
                f"{want['serialNumber']}, issuer name/key hashes of its issuer); requests seen "
                f"for serials {seen}. {exc}") from None
        got = str(message["ocspRequestData"].get("responderURL", ""))
        assert got == want["responderURL"], (
            f"GetCertificateStatus for {name}: responderURL {got!r}, expected the OCSP "
            f"responder of the certificate's AuthorityInformationAccess {want['responderURL']!r}")


@pytest.mark.octt("TC_M_24_CS")
async def test_certificate_status_success(station: StationSession, bench: Bench,
                                          cas: CaStore, pnc_pki: PncPki):
    """Get Charging Station Certificate status - Success.

    With a new V2G certificate chain (A03), the station sends GetCertificateStatus with the
    OCSP request data of each sub-CA of the chain; the CSMS answers Accepted with an OCSP
    response; the station keeps using its V2G certificate. Requirements: M06.FR.06,
    M06.FR.07.
    """
    await cas.install_ok(V2G_ROOT, pnc_pki.v2g_root)
    mark = station.journal.mark()
    leaf = await renew_v2g(station, bench, pnc_pki)
    await expect_status_requests(station, bench, pnc_pki, mark)
    await _still_listed(station, leaf, pnc_pki, "after an Accepted GetCertificateStatus")


async def _still_listed(station: StationSession, leaf: x509.Certificate, pnc_pki: PncPki,
                        situation: str) -> None:
    reply = await get_ids(station, [V2G_CHAIN])
    expected = certificate_hash_data(leaf, pnc_pki.cpo_sub2.cert)
    assert any(same_certificate(e.get("certificateHashData", {}), expected)
               for e in chain_of(reply)), (
        f"{situation}, GetInstalledCertificateIds {[V2G_CHAIN]} no longer lists the V2G "
        f"certificate (serial {expected['serialNumber']}): the station dropped its valid "
        f"certificate (status {reply['status']})")


@pytest.mark.octt("TC_M_25_CS")
async def test_certificate_status_failed(station: StationSession, bench: Bench,
                                         cas: CaStore, pnc_pki: PncPki):
    """Get Charging Station Certificate status - Rejected.

    The CSMS answers the station's GetCertificateStatus with Failed (no OCSP response): the
    station stays connected and keeps its V2G certificate (an unanswered status is not a
    revocation). Requirements: M06.FR.04.
    """
    station.respond("GetCertificateStatus", lambda s, m: {"status": "Failed"})
    await cas.install_ok(V2G_ROOT, pnc_pki.v2g_root)
    mark = station.journal.mark()
    leaf = await renew_v2g(station, bench, pnc_pki)
    try:
        await station.expect("GetCertificateStatus", since=mark, within=_timeout(bench),
                             consume=False)
    except ExpectTimeout as exc:
        raise AssertionError(
            "with a new V2G certificate chain the station must request the OCSP status of its "
            f"sub-CAs with GetCertificateStatus (M06): {exc}") from None
    await _still_listed(station, leaf, pnc_pki, "after GetCertificateStatus answered Failed")


# ---- M01 / M02: the EV's contract certificate installation and update -----------------------
EXI_OK = base64.b64encode(b"HARNESS-CSMS-EXI-CERTIFICATE-RESPONSE-OK").decode()
EXI_FAILED = base64.b64encode(b"HARNESS-CSMS-EXI-CERTIFICATE-RESPONSE-FAILED").decode()


async def ev_certificate_case(station: StationSession, operator: Any, bench: Bench,
                              action: str, status: str) -> None:
    """The EV asks for a contract certificate (``action`` Install / Update); the station
    forwards the EXI request in Get15118EVCertificate (M01.FR.01 / M02.FR.01) and passes the
    CSMS's answer on to the EV."""
    if not applied(await try_set(station, "ISO15118Ctrlr", "ContractCertificateInstallationEnabled",
                                 "true")):
        pytest.skip("ISO15118Ctrlr.ContractCertificateInstallationEnabled cannot be set to true")
    exi = EXI_OK if status == "Accepted" else EXI_FAILED
    station.respond("Get15118EVCertificate", lambda s, m: {"status": status, "exiResponse": exi})
    request = base64.b64encode(b"HARNESS-EV-EXI-" + action.encode() + os.urandom(24)).decode()
    evse, _ = first_connector(bench)
    mark = station.journal.mark()
    answer = await operator.ev_certificate_request(action, request, evse)
    try:
        message = await station.expect("Get15118EVCertificate", since=mark,
                                       within=_timeout(bench))
    except ExpectTimeout as exc:
        raise AssertionError(
            f"the EV sent a Certificate{action}Req: the station must forward it to the CSMS in "
            f"Get15118EVCertificate (M01.FR.01 / M02.FR.01): {exc}") from None
    assert message.get("action") == action, (
        f"Get15118EVCertificate for the EV's Certificate{action}Req: action "
        f"{message.get('action')!r}, expected {action!r}")
    assert message.get("iso15118SchemaVersion"), (
        "Get15118EVCertificate: iso15118SchemaVersion is empty (the EV's schema namespace)")
    try:
        base64.b64decode(str(message.get("exiRequest", "")), validate=True)
    except ValueError:
        raise AssertionError(f"Get15118EVCertificate: exiRequest is not base64 "
                             f"({str(message.get('exiRequest'))[:60]!r})") from None
    assert message.get("exiRequest"), "Get15118EVCertificate: exiRequest is empty"
    if answer is None:
        return  # a person did it: what the EV received is not known
    if status == "Accepted":
        assert answer == exi, (
            f"the CSMS answered Get15118EVCertificate Accepted with exiResponse {exi!r}: the "
            f"station must pass it on to the EV unchanged; the EV received "
            f"{answer[:80]!r}" + (" (nothing)" if not answer else ""))
    else:
        assert answer, (
            f"the CSMS answered Get15118EVCertificate Failed: the station must still answer the "
            f"EV's Certificate{action}Req (with the CSMS's EXI response or its own failure "
            f"response) rather than leave it to time out; the EV received nothing")
    reply = await station.call("GetVariables", {"getVariableData": [
        {"component": {"name": "ISO15118Ctrlr"}, "variable": {"name": "PnCEnabled"}}]})
    assert reply.get("getVariableResult"), "the station stopped answering after the exchange"


@pytest.mark.octt("TC_M_26_CS")
async def test_ev_certificate_install(station, operator, bench, pnc):
    """Certificate Installation EV - Success.

    The EV's CertificateInstallationReq is forwarded in Get15118EVCertificate (action
    Install); the CSMS's Accepted EXI response reaches the EV unchanged. Requirements:
    M01.FR.01.
    """
    await ev_certificate_case(station, operator, bench, "Install", "Accepted")


@pytest.mark.octt("TC_M_27_CS")
async def test_ev_certificate_install_failed(station, operator, bench, pnc):
    """Certificate Installation EV - Failed.

    Get15118EVCertificate (Install) answered Failed: the EV still gets an answer and the
    station carries on.
    """
    await ev_certificate_case(station, operator, bench, "Install", "Failed")


@pytest.mark.octt("TC_M_28_CS")
async def test_ev_certificate_update(station, operator, bench, pnc):
    """Certificate Update EV - Success.

    The EV's CertificateUpdateReq is forwarded in Get15118EVCertificate (action Update); the
    CSMS's Accepted EXI response reaches the EV unchanged. Requirements: M02.FR.01.
    """
    await ev_certificate_case(station, operator, bench, "Update", "Accepted")


@pytest.mark.octt("TC_M_29_CS")
async def test_ev_certificate_update_failed(station, operator, bench, pnc):
    """Certificate Update EV - Failed.

    Get15118EVCertificate (Update) answered Failed: the EV still gets an answer and the
    station carries on. Requirements: M02.FR.01.
    """
    await ev_certificate_case(station, operator, bench, "Update", "Failed")


# ---- C07: authorization with a contract certificate ------------------------------------------
def _contract_ocsp(issued: Issued, issuer: Issued) -> dict[str, str]:
    return {**certificate_hash_data(issued.cert, issuer.cert),
            "responderURL": ocsp_url_of(issued.cert) or ""}


async def plug_and_charge(operator: Any, bench: Bench, contract: Issued) -> None:
    evse, _ = first_connector(bench)
    emaid = str(contract.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
    await operator.ev_plug_and_charge(emaid, contract.chain_pem, evse)


async def expect_contract_authorize(station: StationSession, bench: Bench, pnc_pki: PncPki,
                                    mark: int) -> Message:
    """Authorize with the eMAID and the OCSP request data of the contract chain."""
    token = emaid_token(pnc_pki.emaid)
    try:
        message = await station.expect("Authorize", token_is(token), since=mark,
                                       within=_timeout(bench))
    except ExpectTimeout as exc:
        raise AssertionError(
            f"online, an EV offering the contract certificate of {pnc_pki.emaid}: the station "
            f"must send Authorize with the eMAID (C07.FR.01): {exc}") from None
    kind = message["idToken"].get("type")
    assert kind == "eMAID", f"Authorize for the contract: idToken.type {kind!r}, expected 'eMAID'"
    data = list(message.get("iso15118CertificateHashData") or [])
    want = _contract_ocsp(pnc_pki.contract, pnc_pki.mo_sub)
    assert data, (
        "Authorize for a contract certificate the station can validate locally (its MO root "
        "is installed): iso15118CertificateHashData (the OCSP request data of the contract "
        "chain) is missing (C07.FR.02)")
    hit = [d for d in data if same_certificate(d, want)]
    assert hit, (
        f"Authorize.iso15118CertificateHashData: no entry for the contract certificate (serial "
        f"{want['serialNumber']}, issuer hashes of the MO sub-CA); the station sent serials "
        f"{[d.get('serialNumber') for d in data]} (C07.FR.02)")
    assert hit[0].get("responderURL") == want["responderURL"], (
        f"Authorize.iso15118CertificateHashData for the contract certificate: responderURL "
        f"{hit[0].get('responderURL')!r}, expected {want['responderURL']!r} (its AIA)")
    return message


def accept_emaid_in_transactions(station: StationSession, emaid: str) -> None:
    """The CSMS knows the eMAID: TransactionEvents carrying it are answered Accepted (others
    as before), so a transaction authorized on the contract is not deauthorized (E05)."""
    default = station.responders["TransactionEvent"]

    def transaction_event(session: StationSession, m: Message) -> Any:
        if str(dig(m.payload, "idToken.idToken") or "").lower() == emaid.lower():
            return {"idTokenInfo": {"status": "Accepted"}}
        return default(session, m)
    station.respond("TransactionEvent", transaction_event)


def _contract_responder(emaid: str, status: str, certificate_status: str) -> Any:
    def authorize(session: StationSession, m: Message) -> dict[str, Any]:
        if str(m.get("idToken", {}).get("idToken", "")).lower() != emaid.lower():
            return {"idTokenInfo": {"status": "Invalid"}}
        return {"idTokenInfo": {"status": status}, "certificateStatus": certificate_status}
    return authorize


@pytest.mark.octt("TC_C_50_CS")
async def test_contract_online_accepted(station, operator, bench, cas, pnc, pnc_pki):
    """Authorization using Contract Certificates 15118 - Online - Local contract certificate
    validation - Accepted.

    With the MO root installed, the EV offers its contract: Authorize with the eMAID and the
    contract chain's OCSP request data; the CSMS accepts (idTokenInfo and certificateStatus
    Accepted) and charging starts on the eMAID. Requirements: C07.FR.01, C07.FR.02.
    """
    await cas.install_ok(MO_ROOT, pnc_pki.mo_root)
    station.respond("Authorize", _contract_responder(pnc_pki.emaid, "Accepted", "Accepted"))
    accept_emaid_in_transactions(station, pnc_pki.emaid)
    mark = station.journal.mark()
    await plug_and_charge(operator, bench, pnc_pki.contract)
    await expect_contract_authorize(station, bench, pnc_pki, mark)
    started = await expect_session(station, emaid_token(pnc_pki.emaid), mark,
                                   "the CSMS accepted the contract (C07)")
    await end_session(station, operator, bench, started)


@pytest.mark.octt("TC_C_51_CS")
async def test_contract_online_rejected(station, operator, bench, cas, pnc, pnc_pki):
    """Authorization using Contract Certificates 15118 - Online - Local contract certificate
    validation - Rejected.

    As TC_C_50, but the CSMS answers idTokenInfo Invalid with certificateStatus
    CertificateRevoked: no charging on the eMAID. Requirements: C07.FR.01, C07.FR.02.
    """
    await cas.install_ok(MO_ROOT, pnc_pki.mo_root)
    station.respond("Authorize", _contract_responder(pnc_pki.emaid, "Invalid",
                                                     "CertificateRevoked"))
    mark = station.journal.mark()
    await plug_and_charge(operator, bench, pnc_pki.contract)
    await expect_contract_authorize(station, bench, pnc_pki, mark)
    await expect_no_session(station, operator, bench, emaid_token(pnc_pki.emaid), mark,
                            "the CSMS rejected the contract (Invalid, CertificateRevoked)")


async def _offline_contract_setup(station: StationSession, cas: CaStore,
                                  emaid_list: LocalList, pnc_pki: PncPki, offline_validation: str,
                                  tokens: list[dict[str, str]]) -> None:
    accept_emaid_in_transactions(station, pnc_pki.emaid)
    await offline_authorization(station)
    if not applied(await try_set(station, "ISO15118Ctrlr", "ContractValidationOffline",
                                 offline_validation)):
        pytest.skip(f"ISO15118Ctrlr.ContractValidationOffline cannot be set to {offline_validation}")
    await cas.install_ok(MO_ROOT, pnc_pki.mo_root)
    await emaid_list.send_ok("Full", emaid_list.original + 1, [entry(t) for t in tokens],
                             "the eMAIDs Accepted")
    with contextlib.suppress(Exception):
        await station.call("ClearCache", {})


@pytest.mark.octt("TC_C_54_CS")
async def test_contract_offline_validation(station, operator, bench, cas, emaid_list, pnc,
                                           pnc_pki):
    """Authorization using Contract Certificates 15118 - Offline - ContractValidationOffline
    is true.

    Offline, with ContractValidationOffline true and both eMAIDs Accepted in the Local
    Authorization List: a contract certificate under an MO root the station does not trust is
    not authorized (local validation fails), the valid contract is, and charging on it is
    reported when the station is back online. Requirements: C07.FR.08 to C07.FR.12.
    """
    other = "DEHAR9999999999"
    stranger = pnc_pki.untrusted_contract(other)
    await _offline_contract_setup(station, cas, emaid_list, pnc_pki, "true",
                                  [emaid_token(pnc_pki.emaid), emaid_token(other)])
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await station.go_offline(2.0, "TC_C_54: contracts offered while offline")
    await plug_and_charge(operator, bench, stranger)
    await operator.unplug(evse, connector)
    await plug_and_charge(operator, bench, pnc_pki.contract)
    await station.wait_connected(within=max(60.0, _timeout(bench) * 6))
    started = await expect_session(
        station, emaid_token(pnc_pki.emaid), mark,
        "offline, ContractValidationOffline true, a valid contract whose eMAID is Accepted in "
        "the Local Authorization List (C07.FR.08, C07.FR.09)")
    wrong = [e for e in station.received(mark) if e.action == "TransactionEvent"
             and token_is(emaid_token(other))(e.payload or {})]
    assert not wrong, (
        f"offline, the contract certificate of {other} does not chain to an installed MO root: "
        f"local validation must fail and the station must not charge on it (C07.FR.08), yet "
        f"it sent TransactionEvent with that eMAID ({len(wrong)})")
    await end_session(station, operator, bench, started)


@pytest.mark.octt("TC_C_55_CS")
async def test_contract_offline_no_validation(station, operator, bench, cas, emaid_list, pnc,
                                              pnc_pki):
    """Authorization using Contract Certificates 15118 - Offline - ContractValidationOffline
    is false.

    Offline, with ContractValidationOffline false, a valid contract whose eMAID is even
    Accepted in the Local Authorization List is not authorized: no charging on it.
    Requirements: C07.FR.07.
    """
    await _offline_contract_setup(station, cas, emaid_list, pnc_pki, "false",
                                  [emaid_token(pnc_pki.emaid)])
    mark = station.journal.mark()
    await station.go_offline(1.5, "TC_C_55: contract offered while offline")
    await plug_and_charge(operator, bench, pnc_pki.contract)
    await station.wait_connected(within=max(60.0, _timeout(bench) * 6))
    await expect_no_session(station, operator, bench, emaid_token(pnc_pki.emaid), mark,
                            "offline with ContractValidationOffline false (C07.FR.07)")



# ---- K15 / K17: charging with the EV's ISO 15118 charging needs and schedule ------------------
async def _hlc_session(station: StationSession, operator: Any, bench: Bench, cas: CaStore,
                       pnc_pki: PncPki) -> tuple[Message, Message]:
    """A Plug & Charge session (as TC_C_50) and the EV's charging needs: returns the
    TransactionEvent that carries the eMAID and the NotifyEVChargingNeeds."""
    await cas.install_ok(MO_ROOT, pnc_pki.mo_root)
    station.respond("Authorize", _contract_responder(pnc_pki.emaid, "Accepted", "Accepted"))
    accept_emaid_in_transactions(station, pnc_pki.emaid)
    evse, _ = first_connector(bench)
    mark = station.journal.mark()
    await plug_and_charge(operator, bench, pnc_pki.contract)
    started = await expect_session(station, emaid_token(pnc_pki.emaid), mark,
                                   "the CSMS accepted the contract (C07)")
    try:
        needs = await station.expect("NotifyEVChargingNeeds", {"evseId": evse}, since=mark,
                                     within=_timeout(bench))
    except ExpectTimeout as exc:
        raise AssertionError(
            f"an ISO 15118 EV on EVSE {evse} sent its charging parameters: the station must "
            f"report them in NotifyEVChargingNeeds (K15.FR.01): {exc}") from None
    kinds = ("acChargingParameters", "dcChargingParameters")
    assert needs["chargingNeeds"].get("requestedEnergyTransfer") and any(
        needs["chargingNeeds"].get(k) for k in kinds), (
        f"NotifyEVChargingNeeds: chargingNeeds must give requestedEnergyTransfer and the EV's AC "
        f"or DC charging parameters, got {needs['chargingNeeds']}")
    return started, needs


async def _offer_schedule(station: StationSession, bench: Bench, book: Any, evse: int,
                          transaction: str, limit: float, unit: str, why: str,
                          pid: int | None = None) -> Message:
    """SetChargingProfile TxProfile for the transaction (Accepted), then the EV's charging
    schedule in NotifyEVChargingSchedule, within the profile's limit."""
    from suites.ocpp201.charging_profiles import profile
    body = profile("TxProfile", [(0, limit)], unit=unit, kind="Relative",
                   transaction_id=transaction, pid=pid)
    mark = station.journal.mark()
    await book.set(evse, body, why=why)
    return await _expect_ev_schedule(
        station, bench, evse, mark, limit, unit,
        f"{why}: after accepting the TxProfile the station offers it to the ISO 15118 EV as its "
        f"SASchedule")


async def _expect_ev_schedule(station: StationSession, bench: Bench, evse: int, mark: int,
                              limit: float, unit: str, why: str) -> Message:
    """The EV's charging profile in NotifyEVChargingSchedule (K15.FR.10 / K17.FR.10), within
    ``limit`` (the limit the station had to offer the EV)."""
    try:
        message = await station.expect("NotifyEVChargingSchedule", {"evseId": evse}, since=mark,
                                       within=_timeout(bench))
    except ExpectTimeout as exc:
        raise AssertionError(
            f"{why}, and must report the EV's charging profile in NotifyEVChargingSchedule: "
            f"{exc}") from None
    schedule = message["chargingSchedule"]
    periods = list(schedule.get("chargingSchedulePeriod") or [])
    assert periods, f"NotifyEVChargingSchedule ({why}): no chargingSchedulePeriod"
    if schedule.get("chargingRateUnit") == unit:
        over = [pp for pp in periods if float(pp.get("limit", 0)) > limit + 1e-6]
        assert not over, (
            f"NotifyEVChargingSchedule ({why}): the EV's schedule exceeds the TxProfile's limit "
            f"{limit:g} {unit}: periods {over} (the station must give the EV schedules within "
            f"the limits set by the CSMS)")
    return message


@pytest.mark.octt("TC_K_53_CS")
async def test_hlc_load_leveling(station, operator, bench, cas, pnc, pnc_pki):
    """Charging with load leveling based on High Level Communication - Success.

    A Plug & Charge session: NotifyEVChargingNeeds with the EV's charging parameters; the CSMS
    sets a TxProfile for the transaction (Accepted); the EV's charging schedule comes in
    NotifyEVChargingSchedule within the profile's limit. Requirements: K15.FR.01, K15.FR.06,
    K15.FR.09, K15.FR.10.
    """
    from suites.ocpp201.charging_profiles import profiles, rate_unit
    units = await rate_unit(station)
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        started, _needs = await _hlc_session(station, operator, bench, cas, pnc_pki)
        transaction = str(started["transactionInfo"]["transactionId"])
        await _offer_schedule(station, bench, book, evse, transaction, units(32), units.unit,
                              "the CSMS's first TxProfile for the ISO 15118 session")
        await end_session(station, operator, bench, started)


@pytest.mark.octt("TC_K_58_CS")
async def test_hlc_renegotiation_by_csms(station, operator, bench, cas, pnc, pnc_pki):
    """Renegotiating a Charging Schedule - Initiated by CSMS.

    During an ISO 15118 session with a TxProfile, the CSMS sets a new TxProfile (a lower
    limit): Accepted, and the station renegotiates with the EV: a new
    NotifyEVChargingSchedule within the new limit. Requirements: K17.FR.01, K17.FR.06,
    K17.FR.09, K17.FR.10.
    """
    from suites.ocpp201.charging_profiles import profiles, rate_unit
    units = await rate_unit(station)
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        started, _needs = await _hlc_session(station, operator, bench, cas, pnc_pki)
        transaction = str(started["transactionInfo"]["transactionId"])
        await _offer_schedule(station, bench, book, evse, transaction, units(32), units.unit,
                              "the CSMS's first TxProfile for the ISO 15118 session")
        (first,) = book.set_ids
        await _offer_schedule(station, bench, book, evse, transaction, units(16), units.unit,
                              "the CSMS's new TxProfile replacing the first (renegotiation, K17)",
                              pid=first)
        await end_session(station, operator, bench, started)


async def _expect_needs(station: StationSession, bench: Bench, evse: int, mark: int,
                        why: str) -> Message:
    try:
        return await station.expect("NotifyEVChargingNeeds", {"evseId": evse}, since=mark,
                                    within=_timeout(bench))
    except ExpectTimeout as exc:
        raise AssertionError(f"{why}: the station must send the EV's new charging needs in "
                             f"NotifyEVChargingNeeds (K17.FR.01): {exc}") from None


async def _still_charging(station: StationSession, bench: Bench, transaction: str, mark: int,
                          why: str) -> None:
    """The transaction goes on charging: since ``mark``, no Ended and, once it was Charging, no
    event leaving Charging (the EV got a schedule; an EV left without one times out and ends
    its session)."""
    with contextlib.suppress(UnexpectedMessage):  # described below, with what came before
        await station.expect_none("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"},
            since=mark, within=bench.csms.quiet_period)
    charged, left = False, []
    for e in station.received():
        if e.action != "TransactionEvent" or tx_of(e.payload or {}) != transaction:
            continue
        state = dig(e.payload, "transactionInfo.chargingState")
        if e.seq >= mark and ((e.payload or {}).get("eventType") == "Ended"
                              or (charged and state not in (None, "Charging"))):
            left.append(e.payload or {})
        charged = charged or state == "Charging"
    assert not left, (
        f"{why}: the ISO 15118 EV must keep charging on a schedule from the station, yet the "
        f"station reported " + "; ".join(
            f"{p.get('eventType')} triggerReason={p.get('triggerReason')} chargingState="
            f"{dig(p, 'transactionInfo.chargingState')} stoppedReason="
            f"{dig(p, 'transactionInfo.stoppedReason')}" for p in left))


@pytest.mark.octt("TC_K_54_CS")
async def test_hlc_needs_rejected(station, operator, bench, cas, pnc, pnc_pki):
    """Charging with load leveling based on High Level Communication - No SASchedule
    (rejected).

    With a TxDefaultProfile as the station's own limit, the CSMS answers every
    NotifyEVChargingNeeds Rejected (it will send no TxProfile): the station still answers the
    EV from its own limits, so the EV's charging profile (NotifyEVChargingSchedule) stays
    within the TxDefaultProfile (K15.FR.01 then the fallback); the EV renegotiates, its new
    needs are rejected too and again it gets the local schedule (K17.FR.01, K17.FR.04). The
    session keeps charging throughout.
    """
    from suites.ocpp201.charging_profiles import after, profile, profiles, rate_unit
    units = await rate_unit(station)
    evse, _ = first_connector(bench)
    station.respond("NotifyEVChargingNeeds", lambda s, m: {"status": "Rejected"})
    async with profiles(station) as book:
        local = units(16)
        await book.set(evse, profile("TxDefaultProfile", [(0, local)], unit=units.unit,
                                     start=after(-bench.csms.deviation)),
                       why="the station's own limit for the ISO 15118 session")
        mark = station.journal.mark()
        started, _needs = await _hlc_session(station, operator, bench, cas, pnc_pki)
        transaction = str(started["transactionInfo"]["transactionId"])
        await _expect_ev_schedule(
            station, bench, evse, mark, local, units.unit,
            "the CSMS answered NotifyEVChargingNeeds Rejected: the station must give the EV an "
            "SASchedule from its own limits (the TxDefaultProfile)")
        again = station.journal.mark()
        await operator.ev_renegotiate(evse)
        await _expect_needs(station, bench, evse, again, "the EV renegotiated")
        await _expect_ev_schedule(
            station, bench, evse, again, local, units.unit,
            "the EV's renegotiation was Rejected by the CSMS: the station must answer the EV "
            "from its own limits again (K17.FR.04)")
        await _still_charging(station, bench, transaction, mark,
                              "the CSMS rejected the EV's charging needs")
        await end_session(station, operator, bench, started)


@pytest.mark.octt("TC_K_56_CS")
async def test_hlc_offline(station, operator, bench, cas, pnc, pnc_pki):
    """Charging with load leveling based on High Level Communication - Offline.

    An ISO 15118 session with a TxProfile; the CSMS becomes unreachable and the EV
    renegotiates: with nobody to send NotifyEVChargingNeeds to, the station must answer the
    EV itself from the limits it has (K15.FR.15, K17.FR.15) instead of leaving it to time out.
    Back online, the transaction is still charging: no Ended, no event leaving Charging.
    """
    from suites.ocpp201.charging_profiles import profiles, rate_unit
    units = await rate_unit(station)
    evse, _ = first_connector(bench)
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    async with profiles(station) as book:
        started, _needs = await _hlc_session(station, operator, bench, cas, pnc_pki)
        transaction = str(started["transactionInfo"]["transactionId"])
        await _offer_schedule(station, bench, book, evse, transaction, units(16), units.unit,
                              "the CSMS's TxProfile for the ISO 15118 session")
        mark = station.journal.mark()
        await station.go_offline(120.0, "TC_K_56: the EV renegotiates while the CSMS is away")
        try:
            await operator.ev_renegotiate(evse)
        finally:
            station.back_online()
        await station.wait_connected(within=max(60.0, _timeout(bench) * 6))
        await _still_charging(station, bench, transaction, mark,
                              "offline, the EV renegotiated (K15.FR.15, K17.FR.15)")
        await end_session(station, operator, bench, started)


@pytest.mark.octt("TC_K_57_CS")
async def test_hlc_renegotiation_by_ev(station, operator, bench, cas, pnc, pnc_pki):
    """Renegotiating a Charging Schedule - Initiated by EV.

    During an ISO 15118 session with a TxProfile the EV renegotiates: the station reports its
    new needs in NotifyEVChargingNeeds (K17.FR.01); the CSMS accepts and sets a new TxProfile
    (a lower limit): Accepted, the station offers it to the EV (K17.FR.06) and reports the
    EV's new charging profile in NotifyEVChargingSchedule within the new limit (K17.FR.09,
    K17.FR.10).
    """
    from suites.ocpp201.charging_profiles import profiles, rate_unit
    units = await rate_unit(station)
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        started, _needs = await _hlc_session(station, operator, bench, cas, pnc_pki)
        transaction = str(started["transactionInfo"]["transactionId"])
        await _offer_schedule(station, bench, book, evse, transaction, units(32), units.unit,
                              "the CSMS's first TxProfile for the ISO 15118 session")
        (first,) = book.set_ids
        mark = station.journal.mark()
        await operator.ev_renegotiate(evse)
        needs = await _expect_needs(station, bench, evse, mark, "the EV renegotiated")
        assert needs["chargingNeeds"].get("requestedEnergyTransfer"), (
            f"NotifyEVChargingNeeds for the renegotiation: no requestedEnergyTransfer in "
            f"{needs['chargingNeeds']}")
        await _offer_schedule(station, bench, book, evse, transaction, units(16), units.unit,
                              "the CSMS's new TxProfile answering the EV's renegotiation (K17)",
                              pid=first)
        await end_session(station, operator, bench, started)


# ---- E15: the EV ends the charging process ----------------------------------------------------
@pytest.mark.octt("TC_E_46_CS")
async def test_end_of_charging_by_ev(station, operator, bench, cas, pnc, pnc_pki):
    """End of charging process 15118.

    During a Plug & Charge session the EV ends charging (PowerDeliveryReq Stop, then
    SessionStopReq Terminate): the station stops the energy transfer (chargingState leaves
    Charging, E15.FR.04) and ends the transaction with stoppedReason StoppedByEV (E15.FR.05);
    a station whose TxStopPoint keeps the transaction until the EV leaves ends it when the EV
    is unplugged (then EVDisconnected is as good).
    """
    started, _needs = await _hlc_session(station, operator, bench, cas, pnc_pki)
    transaction = str(started["transactionInfo"]["transactionId"])
    evse, connector = first_connector(bench)
    ended_filter = {"transactionInfo.transactionId": transaction, "eventType": "Ended"}
    mark = station.journal.mark()
    await operator.ev_stop_charging(evse)
    try:
        ended = await station.expect("TransactionEvent", ended_filter, since=mark,
                                     within=_timeout(bench))
    except ExpectTimeout:
        stops = [e.payload for e in station.received(mark) if e.action == "TransactionEvent"
                 and tx_of(e.payload or {}) == transaction
                 and dig(e.payload, "transactionInfo.chargingState") != "Charging"]
        assert stops, (
            f"the ISO 15118 EV ended charging (PowerDeliveryReq Stop, SessionStopReq "
            f"Terminate): the station must stop the energy transfer and report it (E15.FR.04); "
            f"in {_timeout(bench):g} s it sent no TransactionEvent leaving Charging and did not "
            f"end the transaction")
        ended = await end_by_unplug(station, operator, bench, transaction, evse, connector)
        reasons = ("StoppedByEV", "EVDisconnected")
    else:
        await operator.unplug(evse, connector)
        reasons = ("StoppedByEV",)
    info = ended.get("transactionInfo") or {}
    assert info.get("stoppedReason") in reasons, (
        f"the ISO 15118 EV ended the charging session: the Ended TransactionEvent must say "
        f"stoppedReason {' or '.join(reasons)} (E15.FR.05), the station sent "
        f"{info.get('stoppedReason', 'Local (omitted)')!r}")
    assert info.get("chargingState") != "Charging", (
        "the transaction the EV stopped ended with chargingState Charging: the energy transfer "
        "must have stopped (E15.FR.04)")


# ==== Conditional cases: central contract certificate validation (C07.FR.06) ===================
async def _central_contract(station: StationSession, operator: Any, bench: Bench, pnc_pki: PncPki,
                            status: str, certificate_status: str) -> int:
    """No MO root on the station, CentralContractValidationAllowed true: the EV offers its
    contract; the station must send Authorize with the eMAID and the contract chain (PEM) for
    the CSMS to validate (C07.FR.01, C07.FR.06). The CSMS answers ``status`` /
    ``certificate_status``. Returns the journal mark before the plug-in."""
    installed = (await get_ids(station, [MO_ROOT])).get("certificateHashDataChain") or []
    if installed:
        pytest.skip(f"the station holds {len(installed)} MO root certificate(s): it validates "
                    "contracts locally, not centrally")
    if not applied(await try_set(station, "ISO15118Ctrlr", "CentralContractValidationAllowed",
                                 "true")):
        pytest.skip("ISO15118Ctrlr.CentralContractValidationAllowed cannot be set to true")
    station.respond("Authorize", _contract_responder(pnc_pki.emaid, status, certificate_status))
    mark = station.journal.mark()
    await plug_and_charge(operator, bench, pnc_pki.contract)
    try:
        message = await station.expect("Authorize", token_is(emaid_token(pnc_pki.emaid)),
                                       since=mark, within=_timeout(bench))
    except ExpectTimeout as exc:
        raise AssertionError(
            f"online, an EV offering the contract of {pnc_pki.emaid} that the station cannot "
            f"validate itself (no MO root): it must send Authorize with the eMAID (C07.FR.01): "
            f"{exc}") from None
    sent = str(message.get("certificate") or "")
    assert sent, (
        "no MO root installed and CentralContractValidationAllowed true: Authorize must carry "
        "the contract certificate chain in 'certificate' for the CSMS to validate (C07.FR.06); "
        f"it has none: {message.payload}")
    try:
        chain = x509.load_pem_x509_certificates(sent.encode())
    except ValueError as exc:
        raise AssertionError(f"Authorize.certificate is not a PEM certificate chain: {exc}") from None
    assert chain[0].serial_number == pnc_pki.contract.cert.serial_number, (
        f"Authorize.certificate must start with the EV's contract certificate (serial "
        f"{pnc_pki.contract.cert.serial_number:x}); it starts with "
        f"{chain[0].subject.rfc4514_string()} serial {chain[0].serial_number:x}")
    return mark


@pytest.mark.octt("TC_C_52_CS")
async def test_contract_central_validation_accepted(station, operator, bench, cas, pnc, pnc_pki):
    """Authorization using Contract Certificates 15118 - Online - Central contract certificate
    validation - Accepted.

    Without an MO root the station sends the contract chain with the eMAID in Authorize
    (C07.FR.01, C07.FR.06); the CSMS validates and accepts it: charging starts on the eMAID
    (C07.FR.02).
    """
    accept_emaid_in_transactions(station, pnc_pki.emaid)
    mark = await _central_contract(station, operator, bench, pnc_pki, "Accepted", "Accepted")
    started = await expect_session(station, emaid_token(pnc_pki.emaid), mark,
                                   "the CSMS validated and accepted the contract (C07)")
    await end_session(station, operator, bench, started)


@pytest.mark.octt("TC_C_53_CS")
async def test_contract_central_validation_fails(station, operator, bench, cas, pnc, pnc_pki):
    """Authorization using Contract Certificates 15118 - Online - Central contract validation
    fails.

    As TC_C_52, but the CSMS's validation of the chain fails (idTokenInfo Invalid,
    certificateStatus CertChainError): no charging on the eMAID (C07.FR.06).
    """
    mark = await _central_contract(station, operator, bench, pnc_pki, "Invalid", "CertChainError")
    await expect_no_session(station, operator, bench, emaid_token(pnc_pki.emaid), mark,
                            "the CSMS's central validation of the contract failed")


# ==== Conditional case: customer information by contract certificate (N10.FR.09) ===============
async def _customer_data(station: StationSession, bench: Bench, hash_data: dict[str, str], *,
                         clear: bool) -> str:
    """CustomerInformation report=true for ``hash_data``: Accepted; every
    NotifyCustomerInformation part of the request, joined."""
    request_id = int.from_bytes(os.urandom(3), "big")
    mark = station.journal.mark()
    reply = await station.call("CustomerInformation", {
        "requestId": request_id, "report": True, "clear": clear,
        "customerCertificate": hash_data})
    assert reply["status"] == "Accepted", (
        f"CustomerInformation report=true clear={str(clear).lower()} by customerCertificate: "
        f"expected Accepted (N10.FR.09), the station answered {reply['status']}")
    parts = []
    while True:
        try:
            part = await station.expect("NotifyCustomerInformation", {"requestId": request_id},
                                        since=mark, within=_timeout(bench))
        except ExpectTimeout as exc:
            raise AssertionError(
                f"after accepting CustomerInformation {request_id} the station must report with "
                f"NotifyCustomerInformation, the last part tbc=false (N10): {exc}") from None
        parts.append(str(part.get("data", "")))
        if not part.get("tbc"):
            return "\n".join(parts)


@pytest.mark.octt("TC_N_63_CS")
async def test_clear_customer_information_by_certificate(station, operator, bench, cas, pnc,
                                                          pnc_pki):
    """Clear Customer Information - Clear and report - customerCertificate.

    The EV charged on its contract (as TC_C_50), so the station holds data of its eMAID.
    CustomerInformation report=true, clear=true with the contract certificate's hash data:
    Accepted, and the report names the eMAID; asked again (report only), the data are gone
    (N10.FR.09).
    """
    await cas.install_ok(MO_ROOT, pnc_pki.mo_root)
    station.respond("Authorize", _contract_responder(pnc_pki.emaid, "Accepted", "Accepted"))
    accept_emaid_in_transactions(station, pnc_pki.emaid)
    mark = station.journal.mark()
    await plug_and_charge(operator, bench, pnc_pki.contract)
    started = await expect_session(station, emaid_token(pnc_pki.emaid), mark,
                                   "the CSMS accepted the contract (C07)")
    await end_session(station, operator, bench, started)
    hash_data = certificate_hash_data(pnc_pki.contract.cert, pnc_pki.mo_sub.cert)
    cleared = await _customer_data(station, bench, hash_data, clear=True)
    assert pnc_pki.emaid.lower() in cleared.lower(), (
        f"the station authorized {pnc_pki.emaid} with this contract certificate: the report "
        f"of CustomerInformation by customerCertificate must give that customer's data "
        f"(N10.FR.09); it reported {cleared!r}")
    after = await _customer_data(station, bench, hash_data, clear=False)
    assert pnc_pki.emaid.lower() not in after.lower(), (
        f"after clear=true the station must hold no data of {pnc_pki.emaid} any more "
        f"(N10.FR.09); asked again it reported {after!r}")
