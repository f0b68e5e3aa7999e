"""The run-time test PKI: chains verify, broken variants are broken, OCPP hash data is right."""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.pki import TestPki, certificate_hash_data


def test_chains_and_variants() -> None:
    pki = TestPki("CS001")
    root, server = pki.csms_root.cert, pki.csms_server.cert
    server.verify_directly_issued_by(root)
    pki.station_cert.cert.verify_directly_issued_by(root)
    pki.firmware_signer.cert.verify_directly_issued_by(pki.manufacturer_root.cert)
    assert pki.station_cert.cert.subject.rfc4514_string() == "CN=CS001,O=Harness Test CPO"
    assert pki.expired_server().cert.not_valid_after_utc < dt.datetime.now(dt.UTC)
    assert "wrong.example.invalid" in pki.wrong_host_server().cert.subject.rfc4514_string()
    assert pki.untrusted_server().cert.issuer != root.subject


def test_signature_verifies_with_signer_certificate() -> None:
    pki = TestPki("CS001")
    signature = pki.firmware_signer.sign(b"firmware image")
    pki.firmware_signer.cert.public_key().verify(signature, b"firmware image",
                                                 ec.ECDSA(hashes.SHA256()))


def test_certificate_hash_data() -> None:
    pki = TestPki("CS001")
    data = certificate_hash_data(pki.csms_server.cert, pki.csms_root.cert)
    assert data["hashAlgorithm"] == "SHA256"
    assert data["issuerNameHash"] == hashlib.sha256(
        pki.csms_root.cert.subject.public_bytes()).hexdigest()
    root_key = pki.csms_root.cert.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    assert data["issuerKeyHash"] == hashlib.sha256(root_key).hexdigest()
    assert int(data["serialNumber"], 16) == pki.csms_server.cert.serial_number
    # A self-signed root hashes its own name and key.
    assert certificate_hash_data(pki.csms_root.cert)["issuerNameHash"] == data["issuerNameHash"]
