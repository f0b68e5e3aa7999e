"""OCTT block M (certificate management), Charging Station side, Core.

OCPP 2.0.1 Part 2: M03 (Retrieve list of available certificates from a Charging Station),
M04 (Delete a specific certificate from a Charging Station), M05 (Install CA certificate in a
Charging Station). The CA certificates come from a test PKI made at run time; every test
deletes what it installed, and never touches what the station had before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from harness.pki import Issued, TestPki, certificate_hash_data, issue

CSMS_ROOT = "CSMSRootCertificate"
MANUFACTURER_ROOT = "ManufacturerRootCertificate"
# GetCertificateIdUseEnumType, in the order M_19 tries them for a type nothing is installed as.
ID_USE_TYPES = ("V2GRootCertificate", "MORootCertificate", "V2GCertificateChain",
                MANUFACTURER_ROOT, CSMS_ROOT)


@pytest.fixture(scope="module")
def ca_pki(bench: Bench) -> TestPki:
    """This module's CA certificates, made once: fresh keys, so never already installed."""
    return TestPki(bench.station.id)


def hash_data(issued: Issued) -> dict[str, str]:
    """CertificateHashDataType of a root CA (its own issuer), as the harness computes it."""
    return certificate_hash_data(issued.cert, issued.cert)


def _norm(h: dict[str, Any]) -> tuple[str, str, str, str]:
    """Hex compared case-insensitively, the serial number without leading zeros."""
    return (str(h.get("hashAlgorithm", "")).upper(), str(h.get("issuerNameHash", "")).lower(),
            str(h.get("issuerKeyHash", "")).lower(),
            str(h.get("serialNumber", "")).lower().lstrip("0") or "0")


def same_certificate(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return _norm(a) == _norm(b)


def chain_of(reply: Message) -> list[dict[str, Any]]:
    return list(reply.get("certificateHashDataChain") or [])


class CaStore:
    """Installs CA certificates on the station and deletes them again after the test."""

    def __init__(self, station: StationSession) -> None:
        self.station = station
        self.installed: list[tuple[str, Issued]] = []

    async def install(self, kind: str, issued: Issued) -> str:
        """InstallCertificate; returns the status. Remembered for clean-up whatever the
        status, so a station that wrongly accepts is cleaned up too."""
        self.installed.append((kind, issued))
        reply = await self.station.call("InstallCertificate",
                                        {"certificateType": kind, "certificate": issued.pem})
        return str(reply["status"])

    async def install_ok(self, kind: str, issued: Issued) -> None:
        status = await self.install(kind, issued)
        assert status == "Accepted", (
            f"InstallCertificate {kind} (a valid self-signed CA certificate, "
            f"{issued.cert.subject.rfc4514_string()}): expected Accepted (M05.FR.02), the "
            f"station answered {status}")

    async def cleanup(self) -> None:
        for kind, issued in reversed(self.installed):
            with contextlib.suppress(Exception):
                reply = await self.station.call("DeleteCertificate",
                                                {"certificateHashData": hash_data(issued)})
                if reply["status"] == "Accepted":
                    continue
                # The station may describe the certificate differently: delete by its own words.
                listed = await self.station.call("GetInstalledCertificateIds",
                                                 {"certificateType": [kind]})
                serial = _norm(hash_data(issued))[3]
                for entry in chain_of(listed):
                    if _norm(entry["certificateHashData"])[3] == serial:
                        await self.station.call("DeleteCertificate", {
                            "certificateHashData": entry["certificateHashData"]})


@pytest_asyncio.fixture
async def ca_store(station: StationSession) -> AsyncIterator[CaStore]:
    store = CaStore(station)
    try:
        yield store
    finally:
        await store.cleanup()


async def get_ids(station: StationSession, types: list[str] | None = None) -> Message:
    return await station.call("GetInstalledCertificateIds",
                              {"certificateType": types} if types is not None else {})


def _request_text(types: list[str] | None) -> str:
    return f"GetInstalledCertificateIds certificateType={types}" if types else \
        "GetInstalledCertificateIds without certificateType"


def assert_accepted(reply: Message, types: list[str] | None) -> list[dict[str, Any]]:
    chain = chain_of(reply)
    assert reply["status"] == "Accepted", (
        f"{_request_text(types)}: certificates of the requested type(s) are installed, so the "
        f"station must answer Accepted (M03.FR.03); it answered {reply['status']}")
    assert chain, (f"{_request_text(types)}: Accepted without certificateHashDataChain; the "
                   f"hash data of every matching certificate are required (M03.FR.04)")
    if types:
        others = [e for e in chain if e.get("certificateType") not in types]
        assert not others, (
            f"{_request_text(types)}: the answer lists certificates of other types "
            f"{sorted({e.get('certificateType') for e in others})}; only the requested types "
            f"may be reported (M03.FR.04)")
    return chain


def assert_listed(chain: list[dict[str, Any]], kind: str, issued: Issued, request: str) -> None:
    """The certificate is in the chain, with its type and exactly the expected hash data."""
    expected = hash_data(issued)
    if any(e.get("certificateType") == kind and same_certificate(e["certificateHashData"],
                                                                 expected) for e in chain):
        return
    serial = _norm(expected)[3]
    near = [e for e in chain if _norm(e.get("certificateHashData", {}))[3] == serial]
    if near:
        got = near[0]
        diff = {k: (got.get("certificateHashData", {}).get(k), v) for k, v in expected.items()
                if _norm({k: got.get("certificateHashData", {}).get(k)}) != _norm({k: v})}
        raise AssertionError(
            f"{request}: the installed {kind} (serial {expected['serialNumber']}) is reported "
            f"as certificateType {got.get('certificateType')} with hash data differing in "
            + ", ".join(f"{k}: station {g!r}, expected {e!r}" for k, (g, e) in diff.items())
            + " (CertificateHashDataType: SHA-256 of the issuer's DER name and of its public "
            "key value, serial number in hex; M03.FR.04)")
    raise AssertionError(
        f"{request}: the {kind} installed by this test ({issued.cert.subject.rfc4514_string()}, "
        f"serial {expected['serialNumber']}) is not in certificateHashDataChain "
        f"({len(chain)} entr{'y' if len(chain) == 1 else 'ies'}; M03.FR.04)")


# ---- M05: install CA certificate --------------------------------------------------------------
async def _install_and_list(station: StationSession, ca_store: CaStore, kind: str,
                            issued: Issued) -> None:
    await ca_store.install_ok(kind, issued)
    reply = await get_ids(station, [kind])
    chain = assert_accepted(reply, [kind])
    assert_listed(chain, kind, issued, _request_text([kind]))


@pytest.mark.octt("TC_M_01_CS")
async def test_install_csms_root(station: StationSession, ca_store: CaStore, ca_pki: TestPki):
    """Install CA certificate - CSMSRootCertificate.

    InstallCertificate of a valid CSMS root: Accepted; GetInstalledCertificateIds for
    CSMSRootCertificate then lists it with its hash data. Requirements: M05.FR.01, M05.FR.02.
    """
    await _install_and_list(station, ca_store, CSMS_ROOT, ca_pki.csms_root)


@pytest.mark.octt("TC_M_02_CS")
async def test_install_manufacturer_root(station: StationSession, ca_store: CaStore,
                                         ca_pki: TestPki):
    """Install CA certificate - ManufacturerRootCertificate.

    InstallCertificate of a valid manufacturer root: Accepted; GetInstalledCertificateIds for
    ManufacturerRootCertificate then lists it. Requirements: M05.FR.01, M05.FR.02.
    """
    await _install_and_list(station, ca_store, MANUFACTURER_ROOT, ca_pki.manufacturer_root)


@pytest.mark.octt("TC_M_07_CS")
async def test_install_invalid_certificate(station: StationSession, ca_store: CaStore):
    """Install CA certificate - Rejected - Certificate invalid.

    InstallCertificate of a CSMS root CA certificate that expired: the station must answer
    Rejected and not install it. Requirements: M05.FR.01, M05.FR.07.
    """
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
    expired = issue("Harness Expired Root CA", ca=True, organization="Harness Test CPO",
                    not_before=start, days=30)
    status = await ca_store.install(CSMS_ROOT, expired)
    assert status == "Rejected", (
        f"InstallCertificate {CSMS_ROOT} with a certificate that expired on "
        f"{expired.cert.not_valid_after_utc:%Y-%m-%d}: expected Rejected (M05.FR.07), the "
        f"station answered {status}")
    reply = await get_ids(station, [CSMS_ROOT])
    assert not any(same_certificate(e["certificateHashData"], hash_data(expired))
                   for e in chain_of(reply)), (
        f"InstallCertificate was Rejected, yet {_request_text([CSMS_ROOT])} lists the expired "
        f"certificate as installed")


# ---- M03: retrieve installed certificates ------------------------------------------------------
@pytest.mark.octt("TC_M_12_CS")
async def test_get_ids_csms_root(station: StationSession, ca_store: CaStore, ca_pki: TestPki):
    """Retrieve certificates from Charging Station - CSMSRootCertificate.

    With a CSMS root installed, GetInstalledCertificateIds for CSMSRootCertificate: Accepted,
    only CSMSRootCertificate entries, the installed one with its exact hash data.
    Requirements: M03.FR.01, M03.FR.03, M03.FR.04.
    """
    await _install_and_list(station, ca_store, CSMS_ROOT, ca_pki.csms_root)


@pytest.mark.octt("TC_M_13_CS")
async def test_get_ids_manufacturer_root(station: StationSession, ca_store: CaStore,
                                         ca_pki: TestPki):
    """Retrieve certificates from Charging Station - ManufacturerRootCertificate.

    With a manufacturer root installed, GetInstalledCertificateIds for
    ManufacturerRootCertificate: Accepted, only that type, the installed one with its exact
    hash data. Requirements: M03.FR.01, M03.FR.03, M03.FR.04.
    """
    await _install_and_list(station, ca_store, MANUFACTURER_ROOT, ca_pki.manufacturer_root)


async def _both_installed(ca_store: CaStore, ca_pki: TestPki) -> None:
    await ca_store.install_ok(CSMS_ROOT, ca_pki.csms_root)
    await ca_store.install_ok(MANUFACTURER_ROOT, ca_pki.manufacturer_root)


@pytest.mark.octt("TC_M_17_CS")
async def test_get_ids_csms_and_manufacturer(station: StationSession, ca_store: CaStore,
                                             ca_pki: TestPki):
    """Retrieve certificates from Charging Station - CSMSRootCertificate &
    ManufacturerRootCertificate.

    GetInstalledCertificateIds for both types: Accepted, entries of those two types only, both
    installed roots listed. Requirements: M03.FR.01, M03.FR.03, M03.FR.04.
    """
    await _both_installed(ca_store, ca_pki)
    types = [CSMS_ROOT, MANUFACTURER_ROOT]
    chain = assert_accepted(await get_ids(station, types), types)
    assert_listed(chain, CSMS_ROOT, ca_pki.csms_root, _request_text(types))
    assert_listed(chain, MANUFACTURER_ROOT, ca_pki.manufacturer_root, _request_text(types))


@pytest.mark.octt("TC_M_18_CS")
async def test_get_ids_all_types(station: StationSession, ca_store: CaStore, ca_pki: TestPki):
    """Retrieve certificates from Charging Station - All certificateTypes.

    GetInstalledCertificateIds without certificateType: Accepted, every installed certificate,
    among them both roots installed by the test with their types and hash data.
    Requirements: M03.FR.01, M03.FR.03, M03.FR.04.
    """
    await _both_installed(ca_store, ca_pki)
    chain = assert_accepted(await get_ids(station), None)
    assert_listed(chain, CSMS_ROOT, ca_pki.csms_root, _request_text(None))
    assert_listed(chain, MANUFACTURER_ROOT, ca_pki.manufacturer_root, _request_text(None))


@pytest.mark.octt("TC_M_19_CS")
async def test_get_ids_not_found(station: StationSession, ca_store: CaStore, ca_pki: TestPki):
    """Retrieve certificates from Charging Station - No matching certificate found.

    With a CSMS root installed, GetInstalledCertificateIds for a type nothing is installed as:
    NotFound, no certificate hash data. Requirements: M03.FR.01, M03.FR.02.
    """
    await ca_store.install_ok(CSMS_ROOT, ca_pki.csms_root)
    present = {e.get("certificateType") for e in chain_of(await get_ids(station))}
    absent = next((t for t in ID_USE_TYPES if t not in present), None)
    if absent is None:
        pytest.skip(f"the station has certificates of every type {ID_USE_TYPES}; none is free "
                    f"to ask for")
    reply = await get_ids(station, [absent])
    assert reply["status"] == "NotFound", (
        f"{_request_text([absent])}: no {absent} is installed (the unfiltered list has only "
        f"{sorted(t for t in present if t)}), so the station must answer NotFound (M03.FR.02); "
        f"it answered {reply['status']} with {len(chain_of(reply))} entr"
        f"{'y' if len(chain_of(reply)) == 1 else 'ies'}")
    assert not chain_of(reply), (
        f"{_request_text([absent])}: NotFound, yet certificateHashDataChain lists "
        f"{[e.get('certificateType') for e in chain_of(reply)]}")


# ---- M04: delete a certificate -----------------------------------------------------------------
@pytest.mark.octt("TC_M_20_CS")
async def test_delete_certificate(station: StationSession, ca_store: CaStore, ca_pki: TestPki):
    """Delete a certificate from a Charging Station - Success.

    The hash data the station reports for an installed CSMS root, sent back in
    DeleteCertificate: Accepted, and the certificate is no longer listed.
    Requirements: M04.FR.01, M04.FR.02.
    """
    await ca_store.install_ok(CSMS_ROOT, ca_pki.csms_root)
    serial = _norm(hash_data(ca_pki.csms_root))[3]
    chain = assert_accepted(await get_ids(station, [CSMS_ROOT]), [CSMS_ROOT])
    reported = next((e["certificateHashData"] for e in chain
                     if _norm(e["certificateHashData"])[3] == serial), None)
    assert reported is not None, (
        f"{_request_text([CSMS_ROOT])}: the CSMS root just installed (serial "
        f"{hash_data(ca_pki.csms_root)['serialNumber']}) is not listed (M03.FR.04)")
    reply = await station.call("DeleteCertificate", {"certificateHashData": reported})
    assert reply["status"] == "Accepted", (
        f"DeleteCertificate with the hash data the station itself reported for an installed "
        f"CSMS root: expected Accepted (M04.FR.02), the station answered {reply['status']}")
    after = await get_ids(station, [CSMS_ROOT])
    left = [e for e in chain_of(after) if same_certificate(e["certificateHashData"], reported)]
    assert not left, (
        f"DeleteCertificate answered Accepted, yet {_request_text([CSMS_ROOT])} still lists the "
        f"certificate (serial {reported.get('serialNumber')}); Accepted means it was deleted "
        f"(M04.FR.02)")


@pytest.mark.octt("TC_M_22_CS")
async def test_delete_certificate_not_found(station: StationSession):
    """Delete a certificate from a Charging Station - No matching certificate found.

    DeleteCertificate with the hash data of a CA certificate that was never installed:
    NotFound. Requirements: M04.FR.01, M04.FR.04.
    """
    stranger = issue("Harness Never Installed Root CA", ca=True, days=30)
    reply = await station.call("DeleteCertificate", {"certificateHashData": hash_data(stranger)})
    assert reply["status"] == "NotFound", (
        f"DeleteCertificate for a certificate that was never installed (serial "
        f"{hash_data(stranger)['serialNumber']}): expected NotFound (M04.FR.04), the station "
        f"answered {reply['status']}")


# ==== Conditional case: AdditionalRootCertificateCheck (M05.FR.10, M05.FR.11) ===================
@pytest.mark.octt("TC_M_09_CS")
@pytest.mark.requires("AdditionalRootCertificateCheck")  # AS-2
async def test_install_csms_root_additional_check_rejected(station: StationSession,
                                                           ca_store: CaStore, pki: TestPki):
    """Install CA certificate - AdditionalRootCertificateCheck - Rejected.

    With AdditionalRootCertificateCheck true and the run's CSMS root installed, a new
    CSMSRootCertificate must be signed by the root it replaces (M05.FR.10); a valid root that
    the installed one did not sign is Rejected (M05.FR.11) and not listed afterwards.
    """
    check = (await station.call("GetVariables", {"getVariableData": [{
        "component": {"name": "SecurityCtrlr"},
        "variable": {"name": "AdditionalRootCertificateCheck"}}]}))["getVariableResult"][0]
    assert check.get("attributeValue") == "true", (
        "the bench claims AdditionalRootCertificateCheck (AS-2): "
        f"SecurityCtrlr.AdditionalRootCertificateCheck must read true, the station answered {check}")
    reply = await station.call("InstallCertificate", {"certificateType": CSMS_ROOT,
                                                      "certificate": pki.csms_root.pem})
    if reply["status"] != "Accepted":
        pytest.skip(f"the station does not take the run's CSMS root ({reply['status']}): it holds "
                    "another one, so the case's precondition (the current root known) is not met")
    unrelated = issue("Harness Unrelated CSMS Root", ca=True, days=30)
    status = await ca_store.install(CSMS_ROOT, unrelated)
    assert status == "Rejected", (
        "AdditionalRootCertificateCheck is true: a new CSMS root not signed by the installed one "
        f"must be Rejected (M05.FR.10, M05.FR.11); the station answered {status}")
    listed = chain_of(await get_ids(station, [CSMS_ROOT]))
    assert not [e for e in listed if same_certificate(e["certificateHashData"], hash_data(unrelated))], (
        "the rejected CSMS root is listed by GetInstalledCertificateIds: Rejected means it was "
        "not installed")
