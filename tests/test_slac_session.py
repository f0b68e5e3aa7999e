"""SLAC end to end on the veth test bed: the harness's EV against the emulated EVSE, every quirk
caught with a precise message, the EV's deliberate violations ignored by the EVSE, retries, and
the pcap's MMTYPE sequence. Timers run at 0.2 x the standard's so the file stays fast."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from scapy.utils import rdpcap

from harness.emulator.slac import MATCHED, QUIRKS, EvseSlac
from harness.ev.slac import EvSlac, SlacError, SlacViolations
from harness.lab.netns import TestBedUnavailable, VethPair, _run, open_interface, veth_pair
from harness.protocols import slac as p

T = p.SlacTiming(scale=0.5)  # short timers, with room for a loaded CI machine
NMK = p.nmk_from_password("HomePlugAV0123")
NID = p.nid_from_nmk(NMK)

HAPPY = (["CM_SLAC_PARM.REQ", "CM_SLAC_PARM.CNF"] + ["CM_START_ATTEN_CHAR.IND"] * 3
         + ["CM_MNBC_SOUND.IND"] * 10 + ["CM_ATTEN_CHAR.IND", "CM_ATTEN_CHAR.RSP",
                                         "CM_SLAC_MATCH.REQ", "CM_SLAC_MATCH.CNF"])


@pytest.fixture
async def bed() -> AsyncIterator[VethPair]:
    """A fresh veth pair in its own netns; skips with the reason where none can be made."""
    try:
        async with veth_pair("slactest") as pair:
            yield pair
    except TestBedUnavailable as exc:
        pytest.skip(f"SLAC test bed unavailable: {exc}")


def evse(bed: VethPair, **kw) -> EvseSlac:
    kw.setdefault("timing", T)
    return EvseSlac(bed.evse_end, nid=NID, nmk=NMK, modem=p.StubModem(), **kw)


def ev(bed: VethPair, **kw) -> EvSlac:
    kw.setdefault("timing", T)
    return EvSlac(bed.ev_end, modem=kw.pop("modem", p.StubModem()), **kw)


def pcap_names(data: bytes) -> list[str]:
    return [p.mmtype_name(p.mmtype(pkt)) for pkt in rdpcap(io.BytesIO(data))]


def happy_names(data: bytes) -> list[str]:
    """The pcap's MMTYPEs with CM_ATTEN_CHAR.IND retransmissions folded into one: the EVSE
    repeats it when the EV's RSP is later than TT_match_response (a loaded machine), which
    the standard allows up to C_EV_match_retry times."""
    names = pcap_names(data)
    folded = [n for i, n in enumerate(names)
              if not (n == "CM_ATTEN_CHAR.IND" and i and names[i - 1] == n)]
    assert len(names) - len(folded) <= T.c_ev_match_retry, f"too many retransmissions: {names}"
    return folded


async def test_full_match_over_veth(bed: VethPair) -> None:
    ev_modem = p.StubModem()
    async with evse(bed, attenuation_db=23.4) as charger:
        result = await ev(bed, modem=ev_modem).match()
        result.raise_for_failure()
        assert await charger.wait_state(MATCHED, 1.0)
    assert (result.nid, result.nmk) == (NID, NMK)
    assert ev_modem.keys == [(NID, NMK)] and charger.modem.keys == [(NID, NMK)]
    assert result.evse_mac == bed.evse_mac and result.ev_mac == bed.ev_mac
    assert result.attenuation_profile == [23] * 58 and result.num_sounds == 10
    assert result.attempts == {"slac_parm": 1, "slac_match": 1}
    stamps = result.timestamps
    assert stamps["slac_parm.req"] < stamps["start_atten_char"] < stamps["atten_char.ind"] < stamps["matched"]
    assert result.elapsed("start_atten_char", "atten_char.ind") < T.seconds("tt_ev_atten_results")
    assert result.mmtypes[-2:] == ["tx CM_SET_KEY.REQ", "rx CM_SET_KEY.CNF"]  # to the own modem only
    assert happy_names(bed.pcap()) == HAPPY
    assert happy_names(bed.pcap("evse")) == HAPPY
    assert happy_names(result.pcap()) == [*HAPPY, "CM_SET_KEY.REQ", "CM_SET_KEY.CNF"]
    assert not charger.ignored and not result.ignored


async def test_validation_answered_not_required(bed: VethPair) -> None:
    async with evse(bed):
        result = (await ev(bed, validate=True).match()).raise_for_failure()
    assert result.validation == p.VALIDATE_NOT_REQUIRED
    assert pcap_names(bed.pcap()) == [*HAPPY[:-2], "CM_VALIDATE.REQ", "CM_VALIDATE.CNF", *HAPPY[-2:]]


@pytest.mark.parametrize(("quirk", "step", "timer", "needle"), [
    ("slac_timeout", "slac_parm", "TT_match_response",
     "no CM_SLAC_PARM.CNF with RunID {run} within TT_match_response 200 ms (x0.5 = 100 ms) in 3 attempts"),
    ("slac_wrong_runid", "slac_parm", "TT_match_response", "Ignored meanwhile (3): rx CM_SLAC_PARM.CNF"),
    ("slac_slow_atten", "atten_char", "TT_EV_atten_results",
     "no CM_ATTEN_CHAR.IND with RunID {run} within TT_EV_atten_results 1200 ms (x0.5 = 600 ms)"),
    ("slac_no_match", "slac_match", "TT_match_response",
     "no CM_SLAC_MATCH.CNF with RunID {run} within TT_match_response"),
])
async def test_each_quirk_fails_the_ev_precisely(bed: VethPair, quirk: str, step: str, timer: str,
                                                 needle: str) -> None:
    async with evse(bed, quirks={quirk}) as charger:
        result = await ev(bed).match()
    assert not result.matched and charger.state != MATCHED
    assert (result.failed_step, result.failed_timer) == (step, timer), result.message
    assert needle.format(run=result.run_id.hex()) in result.message
    with pytest.raises(SlacError, match=step):
        result.raise_for_failure()
    if quirk == "slac_wrong_runid":
        assert "wrong RunID" in result.ignored[0].note


def test_quirk_names_are_the_four_documented() -> None:
    assert set(QUIRKS) == {"slac_timeout", "slac_wrong_runid", "slac_slow_atten", "slac_no_match"}
    with pytest.raises(ValueError, match="unknown SLAC quirks"):
        EvseSlac(None, nid=NID, nmk=NMK, quirks={"slac_typo"})  # type: ignore[arg-type]


async def test_wrong_runid_from_the_ev_is_ignored_by_the_evse(bed: VethPair) -> None:
    async with evse(bed) as charger:
        result = await ev(bed, violations=SlacViolations(wrong_run_id=frozenset({"slac_match"}))).match()
        assert charger.state != MATCHED
    assert result.failed_step == "slac_match" and result.attempts["slac_match"] == 3
    notes = [rec.note for rec in charger.ignored]
    assert len(notes) == 3 and all(n.startswith("wrong RunID") for n in notes)
    assert result.run_id.hex() in notes[0]


async def test_sounds_with_a_wrong_runid_leave_the_evse_without_results(bed: VethPair) -> None:
    violations = SlacViolations(wrong_run_id=frozenset({"start_atten_char", "mnbc_sound"}))
    async with evse(bed) as charger:
        result = await ev(bed, violations=violations).match()
        reason = await charger.wait_failure(2.0)
    assert result.failed_step == "atten_char"
    assert reason == "no CM_START_ATTEN_CHAR.IND within TT_match_sequence 400 ms (x0.5 = 200 ms) of " \
                     "CM_SLAC_PARM.CNF"
    # the wrong-RunID frames the EVSE saw before giving up were all ignored (how many arrive in
    # time depends on the machine's load; that none was taken does not)
    wrong = [rec for rec in charger.ignored if "wrong RunID" in rec.note]
    assert 3 <= len(wrong) <= 13, [rec.note for rec in charger.ignored]


async def test_skipped_atten_char_rsp_makes_the_evse_repeat_then_give_up(bed: VethPair) -> None:
    async with evse(bed) as charger:
        result = await ev(bed, violations=SlacViolations(skip=frozenset({"atten_char_rsp"}))).match()
        reason = await charger.wait_failure(2.0)
    assert result.failed_step == "slac_match"
    assert reason is not None and reason.startswith("no CM_ATTEN_CHAR.RSP within TT_match_response")
    assert reason.endswith("after 3 CM_ATTEN_CHAR.IND")
    assert pcap_names(bed.pcap()).count("CM_ATTEN_CHAR.IND") == 3


async def test_ev_retries_slac_parm_then_matches(bed: VethPair) -> None:
    charger = evse(bed)

    async def late_start() -> None:  # the EVSE comes up after the EV's first TT_match_response
        await asyncio.sleep(T.seconds("tt_match_response") * 1.3)
        await charger.start()

    starter = asyncio.create_task(late_start())
    try:
        result = await ev(bed).match()
    finally:
        await starter
        await charger.stop()
    result.raise_for_failure()
    assert result.attempts["slac_parm"] >= 2
    assert pcap_names(bed.pcap())[:2] == ["CM_SLAC_PARM.REQ", "CM_SLAC_PARM.REQ"]


async def test_no_retries_means_one_attempt(bed: VethPair) -> None:
    async with evse(bed, quirks={"slac_timeout"}):
        result = await ev(bed, retries=0).match()
    assert result.attempts == {"slac_parm": 1}
    assert "in 1 attempts (1 + C_EV_match_retry=0)" in result.message
    assert pcap_names(bed.pcap()) == ["CM_SLAC_PARM.REQ"]


async def test_ev_refuses_an_evse_above_its_attenuation_limit(bed: VethPair) -> None:
    async with evse(bed, attenuation_db=55):
        result = await ev(bed, max_attenuation_db=40).match()
    assert result.failed_step == "atten_char" and result.failed_timer is None
    assert result.message == ("atten_char: average attenuation 55.0 dB over 58 groups exceeds the EV's "
                              "limit 40 dB")


async def test_without_a_modem_the_set_key_step_fails_by_name(bed: VethPair) -> None:
    async with evse(bed):
        result = await EvSlac(bed.ev_end, timing=T).match()
    assert result.failed_step == "set_key" and result.nmk == NMK
    assert "the EV's modem (00:b0:52:00:00:01) sent no CM_SET_KEY.CNF" in result.message


async def test_scapy_socket_on_the_bed(bed: VethPair) -> None:
    async with evse(bed):
        run_id = p.new_run_id()
        sock = bed.scapy_socket("ev")
        try:
            sock.ins.settimeout(2.0)
            await asyncio.to_thread(sock.send, p.frame(bed.ev_mac, p.BROADCAST, p.slac_parm_req(run_id)))
            answer = await asyncio.to_thread(sock.recv)
        finally:
            sock.close()
    assert p.mmtype(answer) == p.MMTYPE_SLAC_PARM_CNF and p.run_id_of(answer) == run_id


def test_unavailable_names_the_command_and_its_stderr() -> None:
    with pytest.raises(TestBedUnavailable, match=r"`ip link show no-such-if0` failed \(exit \d+\): .+"):
        _run(["ip", "link", "show", "no-such-if0"])


def test_open_interface_says_which_interface() -> None:
    with pytest.raises(OSError, match="no-such-if0"):
        open_interface("no-such-if0")


async def test_unprivileged_user_namespace_bed_matches_too() -> None:
    try:
        async with veth_pair("slacuser", method="unshare") as pair:
            async with evse(pair):
                result = await ev(pair).match()
            assert pcap_names(pair.pcap()) == HAPPY
    except TestBedUnavailable as exc:
        pytest.skip(f"unprivileged test bed unavailable: {exc}")
    result.raise_for_failure()
