"""SLAC (ISO 15118-3 matching over HomePlug GreenPHY): the harness's EV runs the matching
process against the charger after plugging in, for every connector configuration. Each case
attaches the capture of the exchange (pcap, opens in Wireshark)."""

from __future__ import annotations

import pytest

from harness.ev.bench import EvBench
from harness.ev.slac import EvSlac, SlacResult, SlacViolations
from harness.evidence.measurements import MeasurementLog
from harness.evidence.steps import attach, step
from harness.protocols import slac as frames
from suites.interop.conftest import Plug
from suites.interop.support import LIMITS, plug_in, pwm_on, wait_pilot

ISO_SLAC = "ISO 15118-3 Annex A (SLAC), timers Table A.1 / A.2"


async def _slac(ev: EvBench, plug: Plug, *, violations: SlacViolations | None = None,
                label: str = "SLAC") -> SlacResult:
    side, _ = await plug_in(ev, plug)
    await wait_pilot(side, pwm_on, LIMITS.pwm_start_s + 1.0, "the EVSE's 5 % PWM")
    sock = await ev.slac_socket()
    timing = frames.SlacTiming(scale=ev.timing_scale)
    with step(f"{label}: the EV runs the matching process"):
        result = await EvSlac(sock, timing=timing, modem=frames.StubModem() if ev.slac_bed else None,
                              violations=violations).match()
    attach(result.pcap(), f"{label}.pcap", "application/vnd.tcpdump.pcap", "pcap")
    attach("\n".join(result.mmtypes), f"{label} exchange", "text/plain", "txt")
    return result


@pytest.mark.case("IOP_10", ISO_SLAC)
async def test_slac_match(ev: EvBench, plug: Plug, measurements: MeasurementLog) -> None:
    """Parameter exchange, attenuation characterization and match deliver the network keys."""
    result = await _slac(ev, plug)
    if not result.matched:
        raise AssertionError(f"SLAC did not match: {result.message}")
    timing = frames.SlacTiming(scale=ev.timing_scale)
    measurements.record("sounds averaged by the EVSE", result.num_sounds, unit="", low=10, high=10,
                        source=ISO_SLAC + ": CM_ATTEN_CHAR.IND NumSounds = the EV's 10")
    measurements.record("attenuation profile groups", len(result.attenuation_profile), unit="",
                        low=58, high=58, source=ISO_SLAC + ": 58 groups")
    measurements.record("parameter exchange (SLAC_PARM.REQ -> CNF)",
                        result.elapsed("slac_parm.req", "slac_parm.cnf"), unit="s",
                        high=timing.seconds("tt_match_response"), source="TT_match_response 200 ms")
    measurements.record("match (SLAC_MATCH.REQ -> CNF)", result.elapsed("slac_match.req", "slac_match.cnf"),
                        unit="s", high=timing.seconds("tt_match_response"), source="TT_match_response 200 ms")
    assert result.nid and len(result.nid) == 7 and result.nmk and len(result.nmk) == 16, (
        f"CM_SLAC_MATCH.CNF carried no usable keys: NID {result.nid!r}, NMK {result.nmk!r}")


@pytest.mark.case("IOP_11", ISO_SLAC + ": frames with another RunID are ignored")
async def test_slac_wrong_run_id_ignored(ev: EvBench, plug: Plug) -> None:
    """A CM_SLAC_MATCH.REQ with a wrong RunID gets no answer from the EVSE."""
    result = await _slac(ev, plug, violations=SlacViolations(wrong_run_id=frozenset({"slac_match"})))
    if result.matched:
        raise AssertionError("the EVSE answered a CM_SLAC_MATCH.REQ whose RunID is not the session's "
                             "and handed out its network keys")
    assert result.failed_step == "slac_match", f"expected no answer to the match request: {result.message}"


@pytest.mark.case("IOP_12", ISO_SLAC + ": a session the EV abandons times out; the EV's retry matches")
async def test_slac_retry_after_abandoned_session(ev: EvBench, plug: Plug) -> None:
    """After an EV abandons matching (no CM_ATTEN_CHAR.RSP), a new matching process succeeds."""
    first = await _slac(ev, plug, violations=SlacViolations(skip=frozenset({"atten_char_rsp"})),
                        label="SLAC abandoned")
    if first.matched:
        raise AssertionError("the EV skipped CM_ATTEN_CHAR.RSP but still matched")
    sock = await ev.slac_socket()
    with step("the EV retries the matching process"):
        retry = await EvSlac(sock, timing=frames.SlacTiming(scale=ev.timing_scale),
                             modem=frames.StubModem() if ev.slac_bed else None).match()
    attach(retry.pcap(), "SLAC retry.pcap", "application/vnd.tcpdump.pcap", "pcap")
    if not retry.matched:
        raise AssertionError(f"the EVSE did not match a retry after an abandoned session: {retry.message}")
