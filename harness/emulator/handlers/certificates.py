"""Block M, certificate management: install, list and delete CA certificates."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from harness.emulator.handlers.registry import Result, handles, now
from harness.pki import certificate_hash_data, load_pem

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


CA_CERTIFICATE_TYPES = ("CSMSRootCertificate", "ManufacturerRootCertificate",
                        "V2GRootCertificate", "MORootCertificate")


@handles("InstallCertificate")
async def install_certificate(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """M05: install a CA certificate in the (non-volatile) store of its type. A certificate
    that does not parse, is not a CA, is not valid now or whose self-signature does not verify
    is Rejected (M05.FR.07); a valid one is stored and Accepted (M05.FR.01, M05.FR.02)."""
    kind = p["certificateType"]
    if kind not in CA_CERTIFICATE_TYPES:
        return _install_rejected("UnsupportedCertificateType", f"{kind} is not supported")
    problem = _ca_certificate_problem(p["certificate"])
    if problem is not None and "install_accepts_invalid_certificate" not in st.quirks:
        st.security_log.append(f"{now()} InstallCertificate {kind} rejected: {problem}")
        return _install_rejected("InvalidCertificate", problem)
    store = st.installed_certificates.setdefault(kind, [])
    pem = p["certificate"].strip() + "\n"
    if pem not in store:
        store.append(pem)
    st.security_log.append(f"{now()} InstallCertificate {kind} installed")
    _count_certificates(st)
    return {"status": "Accepted"}


def _install_rejected(reason: str, info: str) -> dict[str, Any]:
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason, "additionalInfo": info[:512]}}


def _ca_certificate_problem(pem: str) -> str | None:
    """Why ``pem`` cannot be installed as a CA certificate, or None."""
    try:
        cert = load_pem(pem)
    except ValueError as exc:
        return f"not a PEM encoded X.509 certificate ({exc})"
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return "no BasicConstraints extension: not a CA certificate"
    if not constraints.ca:
        return "BasicConstraints CA=false: not a CA certificate"
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return (f"not valid now (valid {cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to "
                f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ})")
    if cert.issuer == cert.subject:
        try:
            cert.verify_directly_issued_by(cert)
        except (ValueError, TypeError, InvalidSignature):
            return "the self-signature does not verify"
    return None


def _count_certificates(st: EmulatedStation) -> None:
    st.dm.put("SecurityCtrlr", "CertificateEntries",
              str(sum(len(pems) for pems in st.installed_certificates.values())))


def installed_hash_data(st: EmulatedStation, algorithm: str = "SHA256"
                        ) -> list[tuple[str, int, dict[str, str]]]:
    """(certificate type, index in its store, CertificateHashDataType) of every installed CA
    certificate. The issuer is looked up in the store; a root is its own issuer."""
    certs = {kind: [load_pem(pem) for pem in pems]
             for kind, pems in st.installed_certificates.items()}
    everything = [c for cs in certs.values() for c in cs]
    out = []
    for kind, cs in certs.items():
        for index, cert in enumerate(cs):
            issuer = _issuer_of(cert, everything)
            out.append((kind, index, _hash_data(cert, issuer, algorithm,
                                                "wrong_issuer_key_hash" in st.quirks)))
    return out


def _issuer_of(cert: x509.Certificate, pool: list[x509.Certificate]) -> x509.Certificate:
    """The certificate that signed ``cert``: itself when self-signed, else the one in ``pool``
    with the issuer's name whose key verifies the signature (names alone can repeat)."""
    for candidate in [cert, *pool]:
        if candidate.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return cert


def _hash_data(cert: x509.Certificate, issuer: x509.Certificate, algorithm: str,
               spki_quirk: bool = False) -> dict[str, str]:
    data = certificate_hash_data(cert, issuer)
    name = {"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}[algorithm]
    if spki_quirk:  # hashes the whole SubjectPublicKeyInfo, not the key's BIT STRING
        key = issuer.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        data["issuerKeyHash"] = hashlib.new(name, key).hexdigest()
    if algorithm != "SHA256":
        key = issuer.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        data.update(hashAlgorithm=algorithm,
                    issuerNameHash=hashlib.new(name, cert.issuer.public_bytes()).hexdigest(),
                    issuerKeyHash=data["issuerKeyHash"] if spki_quirk
                    else hashlib.new(name, key).hexdigest())
    return data


def same_certificate(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """CertificateHashDataType equality: hex compared case-insensitively, serial numbers
    without leading zeros."""
    def norm(h: dict[str, Any]) -> tuple[str, ...]:
        return (str(h.get("hashAlgorithm", "")).upper(), str(h.get("issuerNameHash", "")).lower(),
                str(h.get("issuerKeyHash", "")).lower(),
                str(h.get("serialNumber", "")).lower().lstrip("0") or "0")
    return norm(a) == norm(b)


@handles("GetInstalledCertificateIds")
async def get_installed_certificate_ids(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """M03: the hash data of every installed certificate of the requested types (all types
    when none is given; M03.FR.03, M03.FR.04); NotFound when none matches (M03.FR.02)."""
    wanted = p.get("certificateType") or []
    if "get_ids_first_type_only" in st.quirks:
        wanted = wanted[:1]
    if "get_ids_ignores_type_filter" in st.quirks:
        wanted = []
    chain = [{"certificateType": kind, "certificateHashData": data}
             for kind, _, data in installed_hash_data(st) if not wanted or kind in wanted]
    if not chain:
        return {"status": "NotFound"}
    return {"status": "Accepted", "certificateHashDataChain": chain}


@handles("DeleteCertificate")
async def delete_certificate(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """M04: delete the installed certificate with this hash data (Accepted, M04.FR.02), or
    NotFound (M04.FR.04). This station keeps its own certificate apart from the CA store, so
    M04.FR.06 (never delete the Charging Station certificate) cannot be hit from here."""
    wanted = p["certificateHashData"]
    algorithm = wanted.get("hashAlgorithm", "SHA256")
    if algorithm not in ("SHA256", "SHA384", "SHA512"):
        return {"status": "NotFound"}
    match = next(((kind, index) for kind, index, data in installed_hash_data(st, algorithm)
                  if same_certificate(data, wanted)), None)
    if match is None:
        if "delete_reports_accepted_when_missing" in st.quirks:
            return {"status": "Accepted"}
        return {"status": "NotFound"}
    kind, index = match
    if "delete_accepted_but_kept" not in st.quirks:
        del st.installed_certificates[kind][index]
        if not st.installed_certificates[kind]:
            del st.installed_certificates[kind]
        _count_certificates(st)
    st.security_log.append(f"{now()} DeleteCertificate {kind} serial {wanted.get('serialNumber')}")
    return {"status": "Accepted"}
