"""A test PKI made at run time: roots, sub-CAs and leaves for OCPP security tests.

No private key is ever committed: every key is generated when a run needs it. Certificates
follow the OCPP 2.0.1 security whitepaper's shapes (CSMS root -> CSMS server certificate,
CSMS root -> charging station certificate with O=<organization>, CN=<station id>,
manufacturer root -> firmware signing certificate), with deliberately broken variants
(expired, wrong host, untrusted issuer) for negative cases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey


@dataclass
class Issued:
    """A certificate with its private key (and the chain above it, leaf first excluded)."""

    cert: x509.Certificate
    key: PrivateKey
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()

    @property
    def chain_pem(self) -> str:
        """This certificate followed by its chain, as a TLS server presents it."""
        return self.pem + "".join(c.public_bytes(serialization.Encoding.PEM).decode()
                                  for c in self.chain)

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        """Write ``<name>.pem`` (certificate + chain) and ``<name>.key``; return both paths."""
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
        cert_path.write_text(self.chain_pem)
        key_path.write_text(self.key_pem)
        key_path.chmod(0o600)
        return cert_path, key_path

    def sign(self, data: bytes) -> bytes:
        """ECDSA-SHA256 signature of ``data`` (DER), as firmware signatures are made."""
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attrs)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def issue(
    common_name: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    organization: str | None = None,
    hosts: tuple[str, ...] = (),
    server: bool = False,
    client: bool = False,
    code_signing: bool = False,
    not_before: dt.datetime | None = None,
    days: int = 30,
    ocsp_url: str | None = None,
) -> Issued:
    """Issue a certificate (self-signed when ``issuer`` is None) on a fresh P-256 key."""
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or _now() - dt.timedelta(minutes=5)
    subject = _name(common_name, organization)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
    usages = [oid for flag, oid in ((server, ExtendedKeyUsageOID.SERVER_AUTH),
                                    (client, ExtendedKeyUsageOID.CLIENT_AUTH),
                                    (code_signing, ExtendedKeyUsageOID.CODE_SIGNING)) if flag]
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if ocsp_url:  # where an OCSP responder answers for this certificate (ISO 15118 PKI)
        builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]),
            critical=False)
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False)
    signer = issuer.key if issuer else key
    cert = builder.sign(signer, hashes.SHA256())
    # The chain up to (not including) the root: what a TLS server or a signer presents.
    chain = [] if issuer is None or issuer.cert.subject == issuer.cert.issuer else [
        issuer.cert, *issuer.chain]
    return Issued(cert, key, chain)


def load_pem(text: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(text.encode())


def certificate_hash_data(cert: x509.Certificate, issuer: x509.Certificate | None = None
                          ) -> dict[str, str]:
    """OCPP 2.0.1 CertificateHashDataType of ``cert`` (SHA256): hashes of the issuer's name
    (DER) and public key (the BIT STRING's value), and the serial number in hex."""
    issuer_key = (issuer or cert).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "hashAlgorithm": "SHA256",
        "issuerNameHash": hashlib.sha256(cert.issuer.public_bytes()).hexdigest(),
        "issuerKeyHash": hashlib.sha256(issuer_key).hexdigest(),
        "serialNumber": format(cert.serial_number, "x"),
    }


@dataclass
class TestPki:
    """The certificates a certification run needs, made once per run."""

    __test__ = False

    station_id: str
    organization: str = "Harness Test CPO"
    csms_host: str = "127.0.0.1"
    csms_root: Issued = field(init=False)
    csms_server: Issued = field(init=False)
    manufacturer_root: Issued = field(init=False)
    firmware_signer: Issued = field(init=False)
    station_cert: Issued = field(init=False)
    v2g_root: Issued = field(init=False)  # ISO 15118: V2G root -> the SECC's TLS certificate
    secc_cert: Issued = field(init=False)

    def __post_init__(self) -> None:
        self.csms_root = issue("Harness CSMS Root CA", ca=True, organization=self.organization,
                               days=365)
        self.csms_server = issue(self.csms_host, issuer=self.csms_root, server=True,
                                 hosts=(self.csms_host, "localhost"))
        self.manufacturer_root = issue("Harness Manufacturer Root CA", ca=True,
                                       organization="Harness Manufacturer", days=365)
        self.firmware_signer = issue("Harness Firmware Signing", issuer=self.manufacturer_root,
                                     code_signing=True)
        self.station_cert = issue(self.station_id, issuer=self.csms_root, client=True,
                                  organization=self.organization)
        # Simplified ISO 15118-2 chain (the CPO sub-CAs of the real V2G PKI are left out): the
        # EVCC checks the SECC certificate against the V2G root, without a host-name check.
        self.v2g_root = issue("Harness V2G Root CA", ca=True, organization="Harness V2G", days=365)
        self.secc_cert = issue(f"{self.station_id}-SECC", issuer=self.v2g_root, server=True,
                               organization=self.organization)

    # ---- broken variants for negative cases ---------------------------------------------
    def expired_server(self) -> Issued:
        return issue(self.csms_host, issuer=self.csms_root, server=True,
                     hosts=(self.csms_host, "localhost"),
                     not_before=_now() - dt.timedelta(days=60), days=30)

    def wrong_host_server(self) -> Issued:
        return issue("wrong.example.invalid", issuer=self.csms_root, server=True,
                     hosts=("wrong.example.invalid",))

    def untrusted_server(self) -> Issued:
        stranger = issue("Untrusted Root CA", ca=True, days=365)
        return issue(self.csms_host, issuer=stranger, server=True,
                     hosts=(self.csms_host, "localhost"))

    def untrusted_firmware_signer(self) -> Issued:
        stranger = issue("Untrusted Manufacturer Root", ca=True, days=365)
        return issue("Untrusted Firmware Signing", issuer=stranger, code_signing=True)


def sign_csr(csr_pem: str, issuer: Issued, *, days: int = 30, client: bool = True,
             not_before: dt.datetime | None = None) -> x509.Certificate:
    """What the CPO's CA does with a station's CSR (A02/A03): a certificate on the CSR's key and
    subject, issued by ``issuer``. The CSR's own signature is not checked here."""
    csr = x509.load_pem_x509_csr(csr_pem.encode())
    start = not_before or _now() - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(issuer.cert.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                       critical=False)
    )
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                        critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


def ocsp_url_of(cert: x509.Certificate) -> str | None:
    """The OCSP responder URL of the certificate's AuthorityInformationAccess, or None."""
    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return None
    return next((str(d.access_location.value) for d in aia
                 if d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP), None)


@dataclass
class PncPki:
    """A simplified ISO 15118-2 PKI for Plug & Charge tests, made at run time: the V2G root
    with two CPO sub-CAs (they sign the SECC certificate), and a mobility operator (MO) root
    with a sub-CA issuing the contract certificate (CN = the EMAID). Every CA below a root and
    every leaf names an OCSP responder (AuthorityInformationAccess)."""

    __test__ = False

    emaid: str = "DEHAR1234567890"
    ocsp_base: str = "http://ocsp.harness.invalid"
    v2g_root: Issued = field(init=False)
    cpo_sub1: Issued = field(init=False)
    cpo_sub2: Issued = field(init=False)
    mo_root: Issued = field(init=False)
    mo_sub: Issued = field(init=False)
    contract: Issued = field(init=False)

    def __post_init__(self) -> None:
        self.v2g_root = issue("Harness V2G Root CA", ca=True, organization="Harness V2G",
                              days=365)
        self.cpo_sub1 = issue("Harness CPO Sub-CA 1", issuer=self.v2g_root, ca=True,
                              organization="Harness CPO", days=180,
                              ocsp_url=f"{self.ocsp_base}/v2g-root")
        self.cpo_sub2 = issue("Harness CPO Sub-CA 2", issuer=self.cpo_sub1, ca=True,
                              organization="Harness CPO", days=90,
                              ocsp_url=f"{self.ocsp_base}/cpo-sub1")
        self.mo_root = issue("Harness MO Root CA", ca=True, organization="Harness MO", days=365)
        self.mo_sub = issue("Harness MO Sub-CA", issuer=self.mo_root, ca=True,
                            organization="Harness MO", days=180,
                            ocsp_url=f"{self.ocsp_base}/mo-root")
        self.contract = self.contract_for(self.emaid)

    def contract_for(self, emaid: str, issuer: Issued | None = None) -> Issued:
        """A contract certificate for ``emaid`` (its chain: the MO sub-CA)."""
        return issue(emaid, issuer=issuer or self.mo_sub, client=True, organization="Harness MO",
                     ocsp_url=f"{self.ocsp_base}/mo-sub")

    def untrusted_contract(self, emaid: str | None = None) -> Issued:
        """A contract certificate (for ``emaid``, default this PKI's) under an MO root nobody
        installed."""
        stranger = issue("Untrusted MO Root CA", ca=True, days=365)
        sub = issue("Untrusted MO Sub-CA", issuer=stranger, ca=True, days=180,
                    ocsp_url=f"{self.ocsp_base}/untrusted")
        return self.contract_for(emaid or self.emaid, sub)
