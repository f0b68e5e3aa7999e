"""Block M, certificate management: install, list and delete CA certificates."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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
    if kind == "V2GRootCertificate" and "v2g_root_install_rejected" in st.quirks:
        problem = "V2G root certificates are not supported"
    if problem is not None and "install_accepts_invalid_certificate" not in st.quirks:
        st.security_log.append(f"{now()} InstallCertificate {kind} rejected: {problem}")
        return _install_rejected("InvalidCertificate", problem)
    store = st.installed_certificates.setdefault(kind, [])
    pem = p["certificate"].strip() + "\n"
    # M05.FR.10 / M05.FR.11: with AdditionalRootCertificateCheck a new CSMS root must be
    # signed by the root it replaces.
    if kind == "CSMSRootCertificate" and store and pem not in store \
            and st.dm.get_bool("SecurityCtrlr", "AdditionalRootCertificateCheck") \
            and not _signed_by_any(p["certificate"], store):
        st.security_log.append(f"{now()} InstallCertificate {kind} rejected: not signed by "
                               "the installed CSMS root (AdditionalRootCertificateCheck)")
        return _install_rejected("InvalidCertificate", "AdditionalRootCertificateCheck: the "
                                 "new CSMS root is not signed by the installed one")
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


def _signed_by_any(pem: str, issuers: list[str]) -> bool:
    """Whether the certificate ``pem`` verifies under the key of one of ``issuers``."""
    cert = load_pem(pem)
    for issuer_pem in issuers:
        try:
            cert.verify_directly_issued_by(load_pem(issuer_pem))
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


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
    reported = {"MORootCertificate": "V2GRootCertificate"} \
        if "mo_root_reported_as_v2g_root" in st.quirks else {}
    chain = [{"certificateType": reported.get(kind, kind), "certificateHashData": data}
             for kind, _, data in installed_hash_data(st)
             if not wanted or reported.get(kind, kind) in wanted]
    if not wanted or "V2GCertificateChain" in wanted:
        chain += st.v2g_chain_entries()  # M03.FR.05, plug_and_charge.py
    if not chain:
        return {"status": "NotFound"}
    return {"status": "Accepted", "certificateHashDataChain": chain}


@handles("DeleteCertificate")
async def delete_certificate(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """M04: delete the installed certificate with this hash data (Accepted, M04.FR.02), or
    NotFound (M04.FR.04). The station's own certificate is never deleted: Failed (M04.FR.06)."""
    wanted = p["certificateHashData"]
    algorithm = wanted.get("hashAlgorithm", "SHA256")
    if algorithm not in ("SHA256", "SHA384", "SHA512"):
        return {"status": "NotFound"}
    own = own_certificate_hash(st, algorithm)
    if own is not None and same_certificate(own, wanted):
        if "deletes_station_certificate" not in st.quirks:
            return {"status": "Failed"}  # M04.FR.06: never the Charging Station certificate
        st.config.client_cert_pem = st.config.client_key_pem = None
        return {"status": "Accepted"}
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


# ---- A02 / A03: the Charging Station certificate ----------------------------------------------
STATION_CERTIFICATE = "ChargingStationCertificate"
V2G_CERTIFICATE = "V2GCertificate"  # A03: the SECC's ISO 15118 certificate (plug_and_charge.py)


def own_certificate_hash(st: EmulatedStation, algorithm: str = "SHA256") -> dict[str, str] | None:
    """CertificateHashDataType of the station's own (client) certificate, or None."""
    if not st.config.client_cert_pem:
        return None
    chain = x509.load_pem_x509_certificates(st.config.client_cert_pem.encode())
    pool = [load_pem(pem) for pems in st.installed_certificates.values() for pem in pems]
    issuer = _issuer_of(chain[0], [*chain[1:], *pool])
    return _hash_data(chain[0], issuer, algorithm)


def _csr_pem(st: EmulatedStation, kind: str = STATION_CERTIFICATE) -> str:
    """A02.FR.02 / A02.FR.03: a fresh P-256 key, and its CSR with CN = the station identity and
    O = SecurityCtrlr.OrganizationName (for a V2GCertificate: the ISO15118Ctrlr subject)."""
    key = ec.generate_private_key(ec.SECP256R1())
    if kind == V2G_CERTIFICATE:
        subject = st.v2g_csr_subject()
    else:
        subject = x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, st.dm.get("SecurityCtrlr", "OrganizationName")),
            x509.NameAttribute(NameOID.COMMON_NAME, st.config.station_id),
        ])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    if kind == V2G_CERTIFICATE:
        st.v2g_csr_key = key
    else:
        st.csr_key = key  # type: ignore[attr-defined]  # never leaves the station (A02.FR.05)
    return csr.public_bytes(serialization.Encoding.PEM).decode()


async def request_signing(st: EmulatedStation, kind: str = STATION_CERTIFICATE) -> None:
    """Send SignCertificate with a new CSR; after an Accepted answer, repeat it when no
    CertificateSigned comes within CertSigningWaitMinimum, doubling the wait, at most
    CertSigningRepeatTimes times (A02.FR.17 to A02.FR.19). Not after a Rejected answer."""
    if "no_sign_certificate_on_trigger" in st.quirks:
        return
    csr = _csr_pem(st, kind)
    st.csr_round = getattr(st, "csr_round", 0) + 1  # type: ignore[attr-defined]
    this_round = st.csr_round  # type: ignore[attr-defined]
    payload = {"csr": csr, "certificateType": STATION_CERTIFICATE
               if "v2g_csr_wrong_type" in st.quirks else kind}
    wait = float(st.dm.get_int("SecurityCtrlr", "CertSigningWaitMinimum"))
    for attempt in range(st.dm.get_int("SecurityCtrlr", "CertSigningRepeatTimes") + 1):
        if attempt:
            await asyncio.sleep(wait)
            if "cert_signing_no_backoff" not in st.quirks:
                wait *= 2
            if getattr(st, "csr_round", 0) != this_round:  # answered, or a newer request
                return
        reply = await st.send("SignCertificate", payload).future
        if reply is not None and reply.get("status") != "Accepted" \
                and "retries_rejected_csr" not in st.quirks:
            st.security_log.append(f"{now()} SignCertificate Rejected by the CSMS")
            return


def _station_certificate_problem(st: EmulatedStation, chain_pem: str) -> str | None:
    """A02.FR.06: why the signed certificate cannot be used, or None."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem.encode())
    except ValueError as exc:
        return f"not a PEM encoded X.509 certificate chain ({exc})"
    leaf = chain[0]
    key = getattr(st, "csr_key", None)
    if key is None:
        return "no certificate signing request is pending"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if leaf.public_key().public_bytes(serialization.Encoding.DER, public) != \
            key.public_key().public_bytes(serialization.Encoding.DER, public) \
            and "certificate_signed_accepts_wrong_key" not in st.quirks:
        return "the certificate is not for the key of the CSR"
    when = dt.datetime.now(dt.UTC)
    for cert in chain:
        if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
            return f"{cert.subject.rfc4514_string()} is not valid now"
    names = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names or names[0].value != st.config.station_id:
        return f"subject CN is not the station identity {st.config.station_id!r}"
    if "certificate_signed_accepts_untrusted" in st.quirks:
        return None
    roots = [load_pem(pem) for pem in st.installed_certificates.get("CSMSRootCertificate", [])]
    for child, parent in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            return f"{child.subject.rfc4514_string()} is not issued by the next certificate"
    top = chain[-1]
    for root in roots:
        try:
            top.verify_directly_issued_by(root)
            return None
        except (ValueError, TypeError, InvalidSignature):
            continue
    return "the chain does not lead to an installed CSMSRootCertificate"


@handles("CertificateSigned")
async def certificate_signed(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """A02 / A03: check the signed certificate (A02.FR.06); a valid one replaces the station
    certificate (Accepted) and, connected with security profile 3, the station reconnects with
    it (A02.FR.08); an invalid one is discarded: Rejected and a SecurityEventNotification
    InvalidChargingStationCertificate (A02.FR.07)."""
    kind = p.get("certificateType", STATION_CERTIFICATE)
    if kind == V2G_CERTIFICATE:
        st.csr_round = getattr(st, "csr_round", 0) + 1  # type: ignore[attr-defined]  # no repeat
        return st.v2g_certificate_signed(p["certificateChain"])
    if kind != STATION_CERTIFICATE:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "UnsupportedCertificateType"}}
    st.csr_round = getattr(st, "csr_round", 0) + 1  # type: ignore[attr-defined]  # no repeat
    problem = _station_certificate_problem(st, p["certificateChain"])
    if problem is not None:
        st.security_log.append(f"{now()} InvalidChargingStationCertificate: {problem}")

        async def report() -> None:
            if "no_invalid_station_certificate_event" not in st.quirks:
                st.send("SecurityEventNotification", {
                    "type": "InvalidChargingStationCertificate", "timestamp": now(),
                    "techInfo": problem[:255]})

        return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCertificate",
                                                     "additionalInfo": problem[:512]}}, report
    key = st.csr_key  # type: ignore[attr-defined]
    st.csr_key = None  # type: ignore[attr-defined]
    if "certificate_signed_not_used" in st.quirks:
        return {"status": "Accepted"}
    st.config.client_cert_pem = p["certificateChain"].strip() + "\n"
    st.config.client_key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    st.security_log.append(f"{now()} ChargingStationCertificate installed")
    if st.dm.get("SecurityCtrlr", "SecurityProfile") != "3":
        return {"status": "Accepted"}

    async def reconnect() -> None:
        st.reconnect()

    return {"status": "Accepted"}, reconnect
