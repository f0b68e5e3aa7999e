"""SDP and the V2G transport (ISO 15118-2 §7.10 and §7.8): the EV discovers the charger's SECC
after plugging in, checks what it announces, and opens the V2GTP connection to it."""

from __future__ import annotations

import pytest

from harness.ev.bench import EvBench
from harness.ev.sdp import SdpResult, SdpTimeout, discover
from harness.ev.v2g import V2gConnectError, open_v2g
from harness.evidence.measurements import MeasurementLog
from harness.evidence.steps import attach, step
from harness.protocols import v2gtp
from harness.protocols.sdp import Security, Transport
from suites.interop.conftest import Plug
from suites.interop.support import LIMITS, plug_in, pwm_on, wait_pilot

ISO_SDP = "ISO 15118-2 §7.10.1 SDP (V2G2-139..V2G2-149); FACTS.md: retries every 250 ms, 50 times"
ISO_V2GTP = "ISO 15118-2 §7.8.3 V2GTP header processing"


async def _discover(ev: EvBench, plug: Plug, security: str = "none") -> SdpResult:
    side, _ = await plug_in(ev, plug)
    await wait_pilot(side, pwm_on, LIMITS.pwm_start_s + 1.0, "the EVSE's 5 % PWM")
    target = await ev.sdp_target(plug.evse)
    with step(f"SDP: request {security} security over TCP"):
        try:
            result = await discover(security=security, **target)
        except SdpTimeout as exc:
            attach("\n".join(str(f) for f in exc.frames), "SDP frames", "text/plain", "txt")
            raise AssertionError(f"no SDP response: {exc}") from None
    attach("\n".join(str(f) for f in result.frames), "SDP frames", "text/plain", "txt")
    return result


@pytest.mark.case("IOP_13", ISO_SDP)
async def test_sdp_response_and_transport(ev: EvBench, plug: Plug, measurements: MeasurementLog) -> None:
    """The SDP response announces a usable address and port, and V2GTP connects there."""
    result = await _discover(ev, plug)
    measurements.record("SDP requests until answered", result.requests_sent, unit="", high=50, source=ISO_SDP)
    measurements.record("SDP answer time", result.time_to_answer_s, unit="s", high=0.25, source=ISO_SDP,
                        note="answered before the EV's first retry (250 ms)")
    assert result.transport == Transport.TCP, f"the SECC announced transport {result.transport!r}, not TCP"
    assert result.address.is_link_local or result.address.is_loopback, (
        f"the SECC announced {result.address}: ISO 15118-2 SDP answers a link-local IPv6 address")
    with step(f"V2GTP: connect to the announced [{result.address}]:{result.port}"):
        try:
            connection = await open_v2g(result)
        except V2gConnectError as exc:
            raise AssertionError(f"cannot connect to the port the SECC announced: {exc}") from None
    async with connection:
        assert connection.closed_reason is None


@pytest.mark.case("IOP_14", ISO_SDP + ": the security the EV asks for")
@pytest.mark.parametrize("security", ["none", "tls"])
async def test_sdp_security_flag(ev: EvBench, plug: Plug, security: str) -> None:
    """The SECC answers the security the EV asked for when it offers it, and it works."""
    result = await _discover(ev, plug, security)
    assert result.security_matches_request, (
        f"the EV asked for {security} and the SECC announced {result.security.name}: an EV that "
        f"cannot do the other (every DIN 70121 car for TLS) cannot charge")
    with step(f"V2GTP over {'TLS' if result.security == Security.TLS else 'TCP'}"):
        tls = ev.v2g_tls() if result.security == Security.TLS else None
        async with await open_v2g(result, tls_context=tls) as connection:
            if tls is not None:
                assert connection.tls_version == "TLSv1.2", (
                    f"TLS {connection.tls_version}: ISO 15118-2 requires TLS 1.2")


@pytest.mark.case("IOP_15", ISO_SDP + ": repeated requests")
async def test_sdp_repeated_requests(ev: EvBench, plug: Plug) -> None:
    """Repeated SDP requests get the same answer."""
    first = await _discover(ev, plug)
    target = await ev.sdp_target(plug.evse)
    with step("a second SDP request"):
        again = await discover(security="none", **target)
    assert (again.address, again.port, again.security) == (first.address, first.port, first.security), (
        f"the SECC answered differently: first [{first.address}]:{first.port} {first.security.name}, "
        f"then [{again.address}]:{again.port} {again.security.name}")


@pytest.mark.case("IOP_16", ISO_V2GTP + ": a wrong protocol version closes the connection")
async def test_v2gtp_bad_header_closes(ev: EvBench, plug: Plug) -> None:
    """A V2GTP header with a wrong version / inverse makes the SECC close the connection."""
    result = await _discover(ev, plug)
    async with await open_v2g(result) as connection:
        with step("send a V2GTP frame with protocol version 0x02 (inverse 0xFD)"):
            await connection.send_raw(v2gtp.encode(v2gtp.EXI, b"\x80\x00", version=2), note="wrong version")
        closed = await connection.wait_closed(2.0)
        attach(connection.journal_text(), "V2GTP journal", "text/plain", "txt")
    assert closed, ("the SECC kept the connection open after a header with protocol version 2 "
                    "(ISO 15118-2: the SECC shall close the TCP connection)")
