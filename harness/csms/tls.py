"""TLS for OCPP security profiles 2 and 3: the contexts of the harness CSMS, the emulated
station and the tests, made in one place.

OCPP 2.0.1 Part 2, A00 (security profiles 2 and 3): TLS 1.2 or higher (A00.FR.314 /
A00.FR.414), the server authenticated by a certificate chaining to an installed CSMS root
(A00.FR.309 / A00.FR.412), and for TLS 1.2 the cipher suites
TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 and TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (RSA
variants allowed); TLS 1.3 with its default suites. Profile 3 adds a client certificate.
"""

from __future__ import annotations

import contextlib
import ssl
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

# OpenSSL names of the TLS 1.2 suites OCPP 2.0.1 requires (A00.FR.318 / A00.FR.418).
OCPP_TLS12_CIPHERS = ":".join((
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
))
# What a CSMS stuck on an old stack offers (TC_A_06): needs security level 0 in OpenSSL 3.
LEGACY_CIPHERS = "DEFAULT:@SECLEVEL=0"


def load_chain(ctx: ssl.SSLContext, chain_pem: str, key_pem: str) -> None:
    """``load_cert_chain`` wants files: write them to a private temporary directory."""
    with tempfile.TemporaryDirectory(prefix="harness-tls-") as tmp:
        cert, key = Path(tmp) / "cert.pem", Path(tmp) / "key.pem"
        cert.write_text(chain_pem)
        key.touch(0o600)
        key.write_text(key_pem)
        ctx.load_cert_chain(cert, key)


def _versions(ctx: ssl.SSLContext, minimum: ssl.TLSVersion, maximum: ssl.TLSVersion) -> None:
    legacy = minimum < ssl.TLSVersion.TLSv1_2
    if legacy or maximum < ssl.TLSVersion.TLSv1_2:
        ctx.set_ciphers(LEGACY_CIPHERS)
    else:
        ctx.set_ciphers(OCPP_TLS12_CIPHERS)
    with warnings.catch_warnings():  # TLSv1 / TLSv1_1 are deprecated: that is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = minimum
        ctx.maximum_version = maximum


def server_context(issued: Any, *, min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
                   max_version: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED,
                   client_ca_pems: Iterable[str] = (),
                   on_hello: Callable[[], None] | None = None) -> ssl.SSLContext:
    """The CSMS side: ``issued`` (a :class:`harness.pki.Issued`) as server certificate and
    chain. With ``client_ca_pems`` (security profile 3) the client is asked for a
    certificate, which must chain to one of them; whether it names the right station is
    checked at the HTTP upgrade (:func:`peer_common_name`). ``on_hello`` is called for each
    ClientHello, so a test can tell that a station tried even when the handshake fails."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _versions(ctx, min_version, max_version)
    load_chain(ctx, issued.chain_pem, issued.key_pem)
    cas = "".join(client_ca_pems)
    if cas:
        ctx.load_verify_locations(cadata=cas)
        # OPTIONAL: a station without a certificate completes the handshake and is refused at
        # the upgrade with a reason in its journal; an untrusted one fails the handshake.
        ctx.verify_mode = ssl.CERT_OPTIONAL
    if on_hello is not None:
        def hello(_sock: Any, _name: str | None, _ctx: ssl.SSLContext) -> None:
            on_hello()
        ctx.sni_callback = hello
    return ctx


def client_context(ca_pems: Iterable[str], cert_pem: str | None = None,
                   key_pem: str | None = None, *,
                   min_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
                   check_hostname: bool = True, verify: bool = True) -> ssl.SSLContext:
    """The station side: trust only ``ca_pems`` (the installed CSMSRootCertificates), check
    the host name, TLS ``min_version`` or higher; with ``cert_pem`` / ``key_pem`` present the
    station certificate (security profile 3). ``verify=False`` models a defective station."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _versions(ctx, min_version, ssl.TLSVersion.MAXIMUM_SUPPORTED)
    cas = "".join(ca_pems)
    if cas:
        ctx.load_verify_locations(cadata=cas)
    ctx.check_hostname = check_hostname and verify
    if not verify:
        ctx.verify_mode = ssl.CERT_NONE
    if cert_pem and key_pem:
        load_chain(ctx, cert_pem, key_pem)
    return ctx


def peer_common_name(transport: Any) -> str | None:
    """CN of the verified client certificate on a TLS connection, None without one."""
    sslobj = transport.get_extra_info("ssl_object") if transport is not None else None
    if sslobj is None:
        return None
    der = sslobj.getpeercert(binary_form=True)
    if not der:
        return None
    cert = x509.load_der_x509_certificate(der)
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def tls_version(transport: Any) -> str | None:
    sslobj = transport.get_extra_info("ssl_object") if transport is not None else None
    return sslobj.version() if sslobj is not None else None


def legacy_tls_available() -> str | None:
    """None when this OpenSSL can serve TLS 1.1 (TC_A_06), else why not."""
    if ssl.HAS_TLSv1_1 is False:
        return f"{ssl.OPENSSL_VERSION} was built without TLS 1.1"
    with contextlib.suppress(Exception):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        _versions(ctx, ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1)
        if ctx.get_ciphers():
            return None
    return f"{ssl.OPENSSL_VERSION} offers no cipher suite for TLS 1.0/1.1"


def certificate_problem(exc: BaseException) -> str | None:
    """What a failed TLS connection says about the server: 'certificate' (validation, host
    name), 'version' (protocol version), or None (anything else)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return "certificate"
        if isinstance(e, ssl.SSLError):
            text = f"{e.reason or ''} {e}".upper()
            if "VERSION" in text or "UNSUPPORTED_PROTOCOL" in text or "NO_PROTOCOLS" in text:
                return "version"
            if "CERTIFICATE" in text:
                return "certificate"
        e = e.__cause__ or e.__context__
    return None


def pem_of(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()
