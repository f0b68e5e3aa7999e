"""The emulated station's CA certificate store (block M): what it accepts, how it names what
it holds (CertificateHashDataType), and what a delete matches."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from harness.emulator import handlers
from harness.emulator.config import StationConfig
from harness.emulator.station import EmulatedStation
from harness.pki import TestPki, certificate_hash_data, issue


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki("CS001")


def station(*quirks: str) -> EmulatedStation:
    return EmulatedStation(StationConfig(quirks=set(quirks)))


def call(st: EmulatedStation, action: str, payload: dict[str, Any]) -> dict[str, Any]:
    result = asyncio.run(handlers.HANDLERS[action](st, payload))
    assert isinstance(result, dict)
    return result


def install(st: EmulatedStation, kind: str, pem: str) -> str:
    return str(call(st, "InstallCertificate", {"certificateType": kind, "certificate": pem})["status"])


def test_install_accepts_valid_roots_only(pki: TestPki) -> None:
    st = station()
    expired = issue("Old Root", ca=True, not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=9),
                    days=1)
    assert install(st, "CSMSRootCertificate", pki.csms_root.pem) == "Accepted"
    assert install(st, "CSMSRootCertificate", expired.pem) == "Rejected"
    assert install(st, "CSMSRootCertificate", pki.station_cert.pem) == "Rejected"  # not a CA
    assert install(st, "CSMSRootCertificate", "-----BEGIN CERTIFICATE-----\nZm9v\n"
                   "-----END CERTIFICATE-----\n") == "Rejected"
    assert install(st, "ChargingStationCertificate", pki.csms_root.pem) == "Rejected"
    assert st.installed_certificates == {"CSMSRootCertificate": [pki.csms_root.pem]}
    assert st.dm.get("SecurityCtrlr", "CertificateEntries") == "1"


def test_hash_data_filter_and_delete(pki: TestPki) -> None:
    st = station()
    install(st, "CSMSRootCertificate", pki.csms_root.pem)
    install(st, "ManufacturerRootCertificate", pki.manufacturer_root.pem)
    reply = call(st, "GetInstalledCertificateIds", {"certificateType": ["ManufacturerRootCertificate"]})
    expected = certificate_hash_data(pki.manufacturer_root.cert)
    assert reply == {"status": "Accepted", "certificateHashDataChain": [
        {"certificateType": "ManufacturerRootCertificate", "certificateHashData": expected}]}
    assert len(call(st, "GetInstalledCertificateIds", {})["certificateHashDataChain"]) == 2
    assert call(st, "GetInstalledCertificateIds", {"certificateType": ["V2GRootCertificate"]}) == {
        "status": "NotFound"}
    # Hex in upper case and a zero-padded serial still name the same certificate.
    shouted = {k: v.upper() for k, v in expected.items()}
    shouted["serialNumber"] = "00" + shouted["serialNumber"]
    assert call(st, "DeleteCertificate", {"certificateHashData": shouted})["status"] == "Accepted"
    assert call(st, "DeleteCertificate", {"certificateHashData": expected})["status"] == "NotFound"
    assert list(st.installed_certificates) == ["CSMSRootCertificate"]


def test_issuer_is_found_by_key_not_name(pki: TestPki) -> None:
    """Two roots with the same name: each is hashed with its own key."""
    twin = TestPki("CS001").csms_root  # same subject, another key
    st = station()
    install(st, "CSMSRootCertificate", twin.pem)
    install(st, "CSMSRootCertificate", pki.csms_root.pem)
    chain = call(st, "GetInstalledCertificateIds", {})["certificateHashDataChain"]
    assert [e["certificateHashData"] for e in chain] == [
        certificate_hash_data(twin.cert), certificate_hash_data(pki.csms_root.cert)]


def test_sha384_delete(pki: TestPki) -> None:
    st = station()
    install(st, "CSMSRootCertificate", pki.csms_root.pem)
    data = handlers.installed_hash_data(st, "SHA384")[0][2]
    assert data["hashAlgorithm"] == "SHA384" and len(data["issuerKeyHash"]) == 96
    assert call(st, "DeleteCertificate", {"certificateHashData": data})["status"] == "Accepted"


def test_certificate_entries_counts_pre_provisioned(pki: TestPki) -> None:
    st = EmulatedStation(StationConfig(ca_certificates={"CSMSRootCertificate": [pki.csms_root.pem]}))
    assert st.dm.get("SecurityCtrlr", "CertificateEntries") == "1"
