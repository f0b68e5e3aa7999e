"""SDP and the V2G transport: the EV's client (harness.ev.sdp / v2g) against the emulated SECC
(harness.emulator.secc) on loopback, TLS with a run-time certificate, the application-layer
plug-in, every SECC quirk, and discovery over a veth pair when the host allows it."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness import pki
from harness.emulator.secc import SECC_QUIRKS, Secc, SeccSession, SeccTiming, server_tls_context
from harness.ev.sdp import SdpResult, SdpTimeout, discover
from harness.ev.v2g import (
    ApplicationLayer,
    V2gClosed,
    V2gConnectError,
    V2gTimeout,
    V2gTiming,
    client_tls_context,
    open_v2g,
)
from harness.protocols import v2gtp
from harness.protocols.sdp import SdpError, SdpRequest, SdpResponse, Security, Transport

FAST = 0.02  # SDP retry interval for tests (the standard's is 250 ms)


# ---- SDP frames ------------------------------------------------------------------------------
def test_sdp_request_frames() -> None:
    assert SdpRequest(Security.NONE).frame().hex() == "01fe9000000000021000"
    assert SdpRequest(Security.TLS).payload() == b"\x00\x00"
    assert SdpRequest.from_frame(bytes.fromhex("01fe900000000002 0000")).security is Security.TLS
    with pytest.raises(SdpError, match="security byte 0x20"):
        SdpRequest.from_payload(b"\x20\x00")
    with pytest.raises(SdpError, match="transport byte 0x01"):
        SdpRequest.from_payload(b"\x10\x01")
    with pytest.raises(SdpError, match="3 B"):
        SdpRequest.from_payload(b"\x10\x00\x00")
    with pytest.raises(SdpError, match="expected SDP request"):
        SdpRequest.from_frame(v2gtp.encode(v2gtp.SDP_RESPONSE, b"\x10\x00"))
    with pytest.raises(v2gtp.V2gtpError):
        SdpRequest.from_frame(v2gtp.encode(v2gtp.SDP_REQUEST, b"\x10\x00", version=2))


def test_sdp_response_frames() -> None:
    resp = SdpResponse(ipaddress.IPv6Address("fe80::1"), 50000, Security.NONE, Transport.TCP)
    frame = resp.frame()
    assert frame[:8].hex() == "01fe900100000014"
    assert frame[8:24] == ipaddress.IPv6Address("fe80::1").packed
    assert frame[24:].hex() == "c3501000"
    back = SdpResponse.from_frame(frame)
    assert back == resp and back.is_link_local and back.port_is_dynamic
    assert not SdpResponse(ipaddress.IPv6Address("::1"), 4000, Security.TLS).port_is_dynamic
    with pytest.raises(SdpError, match="port 0"):
        SdpResponse.from_payload(bytes(16) + b"\x00\x00\x10\x00")
    with pytest.raises(SdpError, match="19 B"):
        SdpResponse.from_payload(bytes(19))
    with pytest.raises(SdpError, match="security byte 0x01"):
        SdpResponse.from_payload(bytes(16) + b"\xc3\x50\x01\x00")
    assert Security.parse("TLS") is Security.TLS and Security.parse(0x10) is Security.NONE
    with pytest.raises(ValueError):
        Security.parse("maybe")


# ---- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def v2g_pki() -> dict[str, pki.Issued]:
    """ISO 15118-2 shape: V2G root -> CPO sub-CA -> SECC leaf (P-256, SHA-256), plus a stranger."""
    root = pki.issue("Harness V2G Root", ca=True, days=365)
    sub = pki.issue("Harness CPO Sub-CA 1", issuer=root, ca=True)
    leaf = pki.issue("EVSE-US-HRN-0001", issuer=sub, server=True)
    stranger = pki.issue("Untrusted V2G Root", ca=True)
    return {"root": root, "leaf": leaf, "stranger": stranger}


@pytest.fixture(scope="module")
def secc_tls(v2g_pki: dict[str, pki.Issued]) -> ssl.SSLContext:
    return server_tls_context(v2g_pki["leaf"].chain_pem, v2g_pki["leaf"].key_pem)


async def _discover(secc: Secc, security: str = "none", **kw: Any) -> SdpResult:
    return await discover(interface=None, target=secc.sdp_address, security=security,
                          interval=kw.pop("interval", FAST), **kw)


async def _until(predicate: Any, timeout: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


# ---- discovery on loopback -------------------------------------------------------------------
async def test_discovery_on_loopback() -> None:
    async with Secc() as secc:
        assert secc.sdp_port not in (None, 15118)  # ephemeral on loopback: parallel runs
        result = await _discover(secc)
    assert (str(result.address), result.port) == ("::1", secc.tcp_port)
    assert result.security is Security.NONE and result.transport is Transport.TCP
    assert result.requests_sent == 1 and result.security_matches_request
    assert [f.direction for f in result.frames] == ["tx", "rx"]
    assert result.frames[0].raw.hex() == "01fe9000000000021000"
    assert result.time_to_answer_s < FAST
    assert [e.kind for e in secc.journal] == ["sdp-rx", "sdp-tx"]


async def test_discovery_retries_until_the_secc_answers() -> None:
    """The SECC answers late (quirk sdp_slow_response, 0.2 s here): the EVCC keeps repeating."""
    timing = SeccTiming(scale=0.2)
    async with Secc(quirks={"sdp_slow_response"}, timing=timing) as secc:
        result = await _discover(secc, interval=0.05)
    assert result.requests_sent >= 4
    assert result.time_to_answer_s >= timing.slow_sdp_delay() - 0.01
    assert len(secc.events("sdp-rx")) >= 4


async def test_discovery_times_out_with_a_precise_message() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as quiet:  # bound, never answers
        quiet.bind(("::1", 0))
        port = quiet.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(SdpTimeout) as info:
            await discover(interface=None, target=("::1", port), retries=3, interval=FAST, security="tls")
    assert time.monotonic() - started < 1.0
    text = str(info.value)
    assert "3 requests (security tls, TCP)" in text and f"[::1]:{port}" in text and "every 20 ms" in text
    assert [f.direction for f in info.value.frames] == ["tx"] * 3


async def test_discovery_ignores_invalid_responses() -> None:
    """A datagram that is not a valid SDP response is journaled and discovery goes on."""
    answers = [v2gtp.encode(v2gtp.SDP_RESPONSE, b"\x00" * 3),
               SdpResponse(ipaddress.IPv6Address("::1"), 50001, Security.NONE).frame()]

    class Responder(asyncio.DatagramProtocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport

        def datagram_received(self, data: bytes, addr: Any) -> None:
            for answer in answers:
                self.transport.sendto(answer, addr)

    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Responder, local_addr=("::1", 0))
    try:
        result = await discover(interface=None, target=("::1", transport.get_extra_info("sockname")[1]),
                                interval=0.5)
    finally:
        transport.close()
    assert result.port == 50001
    assert "ignored: SDP response payload is 3 B" in result.frames[1].note


async def test_secc_ignores_invalid_sdp_requests() -> None:
    async with Secc() as secc:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.sendto(v2gtp.encode(v2gtp.SDP_REQUEST, b"\x33\x00"), secc.sdp_address)
            sock.sendto(b"\x01\xfe\x90", secc.sdp_address)
            await _until(lambda: len(secc.events("sdp-ignored")) == 2)
        notes = [e.note for e in secc.events("sdp-ignored")]
    assert len(notes) == 2 and "security byte 0x33" in notes[0] and "truncated" in notes[1]
    assert not secc.events("sdp-tx")


# ---- V2G transport ---------------------------------------------------------------------------
async def test_v2g_echo_and_journal() -> None:
    async with Secc() as secc:
        conn = await open_v2g(await _discover(secc))
        async with conn:
            await conn.send(v2gtp.EXI, b"\x80\x00\xdb\xab")
            assert await conn.receive(1.0) == (v2gtp.EXI, b"\x80\x00\xdb\xab")
            assert conn.tls_version is None
        session = await secc.wait_session(1.0)
        await asyncio.wait_for(session.closed.wait(), 1.0)
    kinds = [e.direction for e in conn.journal]
    assert kinds == ["event", "tx", "rx", "event"]
    tx = conn.journal[1].as_dict()
    assert tx["header"] == {"version": 1, "inverse": 0xFE, "payload_type": 0x8001, "payload_length": 4}
    assert tx["payload_hex"] == "8000dbab"
    assert "no TLS" in conn.journal[0].note and "EXI 4 B" in conn.journal_text()
    assert session.closed_reason == "closed by the EVCC"


async def test_receive_timeout_says_what_was_awaited() -> None:
    class Silent:
        async def on_message(self, session: SeccSession, frame: v2gtp.Frame) -> None:
            return None

    async with Secc(application=Silent()) as secc, await open_v2g(await _discover(secc)) as conn:
        await conn.send(v2gtp.EXI, b"\x01")
        with pytest.raises(V2gTimeout, match=r"no V2GTP frame in 0\.1 s while we waited for SessionSetupRes"):
            await conn.receive(0.1, expecting="SessionSetupRes")
        # the default is V2G_EVCC_Msg_Timeout (2 s), scaled
        assert V2gTiming(scale=0.5).msg_timeout() == 1.0


async def test_secc_closes_on_wrong_version() -> None:
    async with Secc() as secc:
        async with await open_v2g(await _discover(secc)) as conn:
            await conn.send_raw(v2gtp.encode(v2gtp.EXI, b"\x80", version=0x02))
            assert await conn.wait_closed(1.0)
        errors = secc.events("error")
    assert len(errors) == 1 and "wrong protocol version" in errors[0].note
    assert "close" in secc.events("close")[0].note


async def test_secc_closes_on_inverse_mismatch() -> None:
    async with Secc() as secc:
        async with await open_v2g(await _discover(secc)) as conn:
            await conn.send_raw(v2gtp.encode(v2gtp.EXI, b"\x80", inverse=0xFF))
            assert await conn.wait_closed(1.0)
        assert "inverse protocol version mismatch" in secc.events("error")[0].note


async def test_secc_discards_unknown_type_and_oversize_then_goes_on() -> None:
    async with Secc(max_payload=16) as secc:
        async with await open_v2g(await _discover(secc)) as conn:
            await conn.send(0x8002, b"15118-20 common")  # unknown to a -2 SECC: discarded
            await conn.send(v2gtp.EXI, bytes(17))  # larger than its buffer: discarded
            await conn.send(v2gtp.EXI, b"still here")
            assert await conn.receive(1.0) == (v2gtp.EXI, b"still here")
        reasons = [e.note for e in secc.events("error")]
    assert "unknown payload type" in reasons[0] and "larger than the receive buffer" in reasons[1]


async def test_secc_sequence_timeout_closes_an_idle_connection() -> None:
    async with Secc(timing=SeccTiming(scale=0.002)) as secc:  # 60 s -> 0.12 s
        async with await open_v2g(await _discover(secc)) as conn:
            assert await conn.wait_closed(2.0)
        assert "V2G_SECC_Sequence_Timeout" in secc.sessions[0].closed_reason  # type: ignore[operator]


async def test_evcc_handles_malformed_frames_from_the_secc() -> None:
    class Sloppy:
        async def on_message(self, session: SeccSession, frame: v2gtp.Frame) -> tuple[int, bytes]:
            await session.send(0x8004, b"a 15118-20 DC message")  # unknown to a -2 EVCC: discard
            if frame.payload == b"break":
                session._writer.write(v2gtp.encode(v2gtp.EXI, b"x", version=3))
            return v2gtp.EXI, b"answer"

    async with Secc(application=Sloppy()) as secc, await open_v2g(await _discover(secc)) as conn:
        await conn.send(v2gtp.EXI, b"hello")
        assert await conn.receive(1.0) == (v2gtp.EXI, b"answer")
        assert "unknown payload type" in next(e for e in conn.journal if e.direction == "error").note
        await conn.send(v2gtp.EXI, b"break")
        with pytest.raises(V2gClosed, match="closed by us: V2GTP wrong protocol version"):
            await conn.receive(1.0)
            await conn.receive(1.0)


# ---- TLS -------------------------------------------------------------------------------------
async def test_tls_transport(v2g_pki: dict[str, pki.Issued], secc_tls: ssl.SSLContext) -> None:
    async with Secc(tls_context=secc_tls) as secc:
        result = await _discover(secc, security="tls")
        assert result.security is Security.TLS and result.port == secc.tls_port != secc.tcp_port
        ctx = client_tls_context([v2g_pki["root"].pem])
        async with await open_v2g(result, tls_context=ctx) as conn:
            assert conn.tls_version == "TLSv1.2"
            await conn.send(v2gtp.EXI, b"secure")
            assert await conn.receive(1.0) == (v2gtp.EXI, b"secure")
            session = await secc.wait_session(1.0)
            assert session.security is Security.TLS and session.tls_version == "TLSv1.2"
            assert "over TLSv1.2" in conn.journal[0].note
        # the same SECC still serves an EV that asks for no TLS on its plain port
        plain = await _discover(secc, security="none")
        assert plain.security is Security.NONE and plain.port == secc.tcp_port


async def test_tls_needs_a_context_and_a_trusted_secc(v2g_pki: dict[str, pki.Issued],
                                                      secc_tls: ssl.SSLContext) -> None:
    async with Secc(tls_context=secc_tls) as secc:
        result = await _discover(secc, security="tls")
        with pytest.raises(V2gConnectError, match=r"announced TLS .* pass tls_context"):
            await open_v2g(result)
        with pytest.raises(V2gConnectError, match=r"TLS handshake with the SECC .* failed"):
            await open_v2g(result, tls_context=client_tls_context([v2g_pki["stranger"].pem]))


async def test_secc_without_tls_answers_no_tls_to_a_tls_request() -> None:
    async with Secc() as secc:
        result = await _discover(secc, security="tls")
    assert result.security is Security.NONE and not result.security_matches_request


# ---- the application layer plugs in ----------------------------------------------------------
class JsonCodec:
    """A stand-in for the EXI codecs: dict messages as JSON in EXI-type payloads."""

    name = "json"
    payload_type = v2gtp.EXI

    def encode(self, message: dict) -> bytes:
        return json.dumps(message).encode()

    def decode(self, payload: bytes) -> dict:
        return json.loads(payload)

    def describe(self, message: dict) -> str:
        return str(message.get("msg"))


class SessionSetupApp:
    """A stand-in SECC application: answers SessionSetupReq with a session id, keeps state."""

    def __init__(self) -> None:
        self.codec = JsonCodec()

    async def on_message(self, session: SeccSession, frame: v2gtp.Frame) -> tuple[int, bytes]:
        req = self.codec.decode(frame.payload)
        session.state["count"] = session.state.get("count", 0) + 1
        res = {"msg": req["msg"].replace("Req", "Res"), "SessionID": "0A0B0C0D", "n": session.state["count"]}
        return self.codec.payload_type, self.codec.encode(res)


async def test_application_layer_plug_in() -> None:
    assert isinstance(JsonCodec(), v2gtp.MessageCodec)
    async with Secc(application=SessionSetupApp()) as secc, await open_v2g(await _discover(secc)) as conn:
        app: ApplicationLayer[dict] = ApplicationLayer(conn, JsonCodec())
        res = await app.request({"msg": "SessionSetupReq", "EVCCID": "001122334455"}, timeout=1.0)
        assert res == {"msg": "SessionSetupRes", "SessionID": "0A0B0C0D", "n": 1}
        assert (await app.request({"msg": "ServiceDiscoveryReq"}, 1.0))["n"] == 2
    notes = [(e.direction, e.note) for e in conn.journal if e.direction in ("tx", "rx")]
    assert notes == [("tx", "SessionSetupReq"), ("rx", "SessionSetupRes"),
                     ("tx", "ServiceDiscoveryReq"), ("rx", "ServiceDiscoveryRes")]
    assert len(app.received) == 2


async def test_raw_codec_application_layer() -> None:
    async with Secc() as secc, await open_v2g(await _discover(secc)) as conn:
        app: ApplicationLayer[bytes] = ApplicationLayer(conn, v2gtp.RawCodec())
        assert await app.request(b"\x80\x00", 1.0) == b"\x80\x00"
    assert conn.journal[-2].note == "2 B 8000"


# ---- quirks ----------------------------------------------------------------------------------
def test_quirk_names_are_checked() -> None:
    assert set(SECC_QUIRKS) == {"sdp_wrong_port", "sdp_ignores_security", "sdp_slow_response",
                                "v2gtp_accepts_bad_header"}
    with pytest.raises(ValueError, match="unknown SECC quirks"):
        Secc(quirks={"sdp_typo"})


async def test_quirk_sdp_wrong_port() -> None:
    async with Secc(quirks={"sdp_wrong_port"}) as secc:
        result = await _discover(secc)
        assert result.port == secc.dead_port and result.port not in (secc.tcp_port, secc.tls_port)
        with pytest.raises(V2gConnectError, match=rf"cannot connect to the SECC at \[::1\]:{result.port}"):
            await open_v2g(result)


async def test_quirk_sdp_ignores_security(secc_tls: ssl.SSLContext) -> None:
    async with Secc(tls_context=secc_tls) as good:
        assert (await _discover(good, "none")).security_matches_request
    async with Secc(tls_context=secc_tls, quirks={"sdp_ignores_security"}) as bad:
        result = await _discover(bad, "none")
    assert result.security is Security.TLS and result.port == bad.tls_port
    assert not result.security_matches_request


async def test_quirk_sdp_slow_response() -> None:
    async with Secc() as good:
        fast = await discover(interface=None, target=good.sdp_address, interval=0.25)
    async with Secc(quirks={"sdp_slow_response"}, timing=SeccTiming(scale=0.4)) as bad:
        slow = await discover(interface=None, target=bad.sdp_address, interval=0.1)
    assert fast.requests_sent == 1 and fast.time_to_answer_s < 0.25
    assert slow.requests_sent >= 4 and slow.time_to_answer_s >= 0.39


async def test_quirk_v2gtp_accepts_bad_header() -> None:
    async with Secc(quirks={"v2gtp_accepts_bad_header"}) as secc, \
            await open_v2g(await _discover(secc)) as conn:
        await conn.send_raw(v2gtp.encode(v2gtp.EXI, b"\x80", version=0x02))
        assert await conn.receive(1.0) == (v2gtp.EXI, b"\x80")  # answered instead of closed
        assert not await conn.wait_closed(0.1)
    assert not secc.events("error")


# ---- over a veth pair (IPv6 link-local, multicast to ff02::1) --------------------------------
@contextlib.contextmanager
def _veth() -> Iterator[tuple[str, str]]:
    ev, se = f"v2gev{os.getpid() % 10000}", f"v2gse{os.getpid() % 10000}"
    run = lambda *a: subprocess.run(["ip", *a], check=True, capture_output=True, timeout=5)  # noqa: E731
    try:
        run("link", "add", ev, "type", "veth", "peer", "name", se)
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError) as err:
        pytest.skip(f"cannot create a veth pair here: {err}")
    try:
        for name, addr in ((ev, "fe80::ee:1"), (se, "fe80::5ecc:1")):
            run("link", "set", name, "up")
            run("addr", "add", f"{addr}/64", "dev", name, "nodad")
        yield ev, se
    finally:
        subprocess.run(["ip", "link", "del", ev], capture_output=True, timeout=5)


IN_NETNS = "HARNESS_TEST_IN_NETNS"


def test_discovery_and_v2g_over_veth_link_local() -> None:
    """Runs itself again in a fresh network namespace (``unshare --net``), so the veth pair
    never touches the host's interfaces."""
    if os.environ.get(IN_NETNS) == "1":
        asyncio.run(_discovery_over_veth())
        return
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("unshare") is None:
        pytest.skip("needs root, iproute2 and unshare for a private network namespace")
    this = f"{__file__}::{test_discovery_and_v2g_over_veth_link_local.__name__}"
    proc = subprocess.run(
        ["unshare", "--net", sys.executable, "-m", "pytest", this,
         "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist"],
        env={**os.environ, IN_NETNS: "1"}, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0 and "unshare failed" in proc.stderr:
        pytest.skip(f"cannot create a network namespace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "1 passed" in proc.stdout, proc.stdout[-3000:]  # it ran there, not skipped


async def _discovery_over_veth() -> None:
    with _veth() as (ev, se):
        async with Secc(interface=se, host="fe80::5ecc:1", sdp_port=15118) as secc:
            result = await discover(interface=ev, interval=0.05, retries=40)
            assert str(result.address) == "fe80::5ecc:1" and result.port == secc.tcp_port
            assert result.interface == ev and result.host() == f"fe80::5ecc:1%{ev}"
            async with await open_v2g(result) as conn:
                await conn.send(v2gtp.EXI, b"over the link")
                assert await conn.receive(1.0) == (v2gtp.EXI, b"over the link")
        assert result.frames[0].peer.startswith("[ff02::1%")
