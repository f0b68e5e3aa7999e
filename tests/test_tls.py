"""TLS of the harness CSMS and the emulated station (security profiles 2 and 3)."""

from __future__ import annotations

import ssl

import pytest
from websockets.asyncio.client import connect

from harness.csms import tls
from harness.csms.server import CsmsConfig, CsmsServer, StationAccount
from harness.pki import TestPki


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki("CS001")


def _server(pki: TestPki, issued=None, profile: int = 2, **kw) -> CsmsServer:
    ctx = tls.server_context(issued or pki.csms_server,
                             client_ca_pems=[pki.csms_root.pem] if profile == 3 else (), **kw)
    password = "secret-password-16" if profile == 2 else None
    return CsmsServer(CsmsConfig(ssl_context=ctx, security_profile=profile,
                                 accounts={"CS001": StationAccount("CS001", password)}))


async def _connect(server: CsmsServer, ctx: ssl.SSLContext, headers=None):
    return await connect(server.url("CS001"), ssl=ctx, subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
                         additional_headers=headers or {}, open_timeout=5)


BASIC = {"Authorization": "Basic Q1MwMDE6c2VjcmV0LXBhc3N3b3JkLTE2"}  # CS001:secret-password-16


async def test_valid_certificate_handshake(pki: TestPki) -> None:
    async with _server(pki) as server:
        ws = await _connect(server, tls.client_context([pki.csms_root.pem]), BASIC)
        assert server.url().startswith("wss://")
        assert tls.tls_version(ws.transport) in ("TLSv1.2", "TLSv1.3")
        await ws.close()
        assert any("over TLSv1" in e.raw for e in server.session("CS001").journal.entries)


@pytest.mark.parametrize("variant", ["untrusted_server", "expired_server", "wrong_host_server"])
async def test_invalid_server_certificate_fails(pki: TestPki, variant: str) -> None:
    async with _server(pki, getattr(pki, variant)()) as server:
        with pytest.raises(Exception) as info:
            await _connect(server, tls.client_context([pki.csms_root.pem]), BASIC)
        assert tls.certificate_problem(info.value) == "certificate"


async def test_tls_1_1_server_refused_by_tls_1_2_client(pki: TestPki) -> None:
    reason = tls.legacy_tls_available()
    if reason:
        pytest.skip(reason)
    server = _server(pki, min_version=ssl.TLSVersion.TLSv1, max_version=ssl.TLSVersion.TLSv1_1)
    async with server:
        with pytest.raises((ssl.SSLError, OSError)):
            await _connect(server, tls.client_context([pki.csms_root.pem]), BASIC)
        # a client that allows TLS 1.0 / 1.1 (the accepts_tls_1_1 quirk) gets through
        legacy = tls.client_context([pki.csms_root.pem], min_version=ssl.TLSVersion.TLSv1)
        ws = await _connect(server, legacy, BASIC)
        assert tls.tls_version(ws.transport) in ("TLSv1", "TLSv1.1")
        await ws.close()


async def test_client_hello_callback(pki: TestPki) -> None:
    hellos: list[int] = []
    async with _server(pki, pki.untrusted_server(), on_hello=lambda: hellos.append(1)) as server:
        with pytest.raises((ssl.SSLError, OSError)):
            await _connect(server, tls.client_context([pki.csms_root.pem]), BASIC)
    assert hellos, "the ClientHello of the refused handshake was not seen"


async def test_profile_3_client_certificate(pki: TestPki) -> None:
    station = pki.station_cert
    async with _server(pki, profile=3) as server:
        ws = await _connect(server, tls.client_context([pki.csms_root.pem], station.chain_pem,
                                                       station.key_pem))
        await ws.close()
        # no client certificate: refused at the upgrade, with the reason in the journal
        with pytest.raises(Exception, match="401"):
            await _connect(server, tls.client_context([pki.csms_root.pem]))
        assert any("no TLS client certificate" in e.raw
                   for e in server.session("CS001").journal.entries)
        # a certificate from another root: the handshake fails
        other = TestPki("CS001").station_cert
        with pytest.raises(Exception):  # noqa: B017 - TLS alert or closed handshake
            await _connect(server, tls.client_context([pki.csms_root.pem], other.chain_pem,
                                                      other.key_pem))


async def test_profile_3_wrong_common_name_refused(pki: TestPki) -> None:
    from harness.pki import issue

    wrong = issue("CS999", issuer=pki.csms_root, client=True, organization=pki.organization)
    async with _server(pki, profile=3) as server:
        with pytest.raises(Exception, match="401"):
            await _connect(server, tls.client_context([pki.csms_root.pem], wrong.chain_pem,
                                                      wrong.key_pem))
        assert any("CN 'CS999' is not the charging station id" in e.raw
                   for e in server.session("CS001").journal.entries)
