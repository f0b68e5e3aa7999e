"""SLAC frames: byte layouts against the layouts open implementations use (pyslac's tests, EVerest
libslac's packed structs), round trips of every message, and the NMK/NID derivation vectors."""

from __future__ import annotations

import pytest
from scapy.contrib.homeplugav import HomePlugAV
from scapy.layers.l2 import Ether

from harness.protocols import slac as p

RUN_ID = b"\x00\x01" * 4
PEV_MAC, EVSE_MAC = "aa:aa:aa:aa:aa:aa", "ab:ab:ab:ab:ab:ab"
# open-plc-utils evse.ini: password "HomePlugAV0123" (also pyslac's QUALCOMM_NMK / QUALCOMM_NID)
NMK = bytes.fromhex("b59319d7e8157ba001b018669ccee30d")
NID = bytes.fromhex("026bcba5354e08")


def payload(mme) -> bytes:
    """The MME bytes after the 5-byte HomePlug AV 1.1 header (MMV, MMTYPE LE, FMI)."""
    raw = bytes(p.frame(PEV_MAC, EVSE_MAC, mme))
    return raw[14 + 5:]


def test_header_is_mmv_1_with_little_endian_mmtype_and_ethertype_88e1() -> None:
    raw = bytes(p.frame(PEV_MAC, p.BROADCAST, p.slac_parm_req(RUN_ID)))
    assert raw[12:14] == b"\x88\xe1"
    assert raw[14:19] == bytes([0x01, 0x64, 0x60, 0x00, 0x00])  # MMV 1, 0x6064 LE, FMI/FMSN 0


def test_nmk_and_nid_derivation_match_open_plc_utils() -> None:
    assert p.nmk_from_password("HomePlugAV0123") == NMK
    assert p.nid_from_nmk(NMK) == NID


def test_slac_parm_req_layout() -> None:
    assert payload(p.slac_parm_req(RUN_ID)) == b"\x00\x00" + RUN_ID


def test_slac_parm_cnf_layout_as_pyslac() -> None:
    expected = b"\xff" * 6 + bytes([10, 6, 1]) + b"\xaa" * 6 + b"\x00\x00" + RUN_ID
    assert payload(p.slac_parm_cnf(RUN_ID, PEV_MAC)) == expected


def test_start_atten_char_layout() -> None:
    expected = b"\x00\x00" + bytes([10, 6, 1]) + b"\xaa" * 6 + RUN_ID
    assert payload(p.start_atten_char_ind(RUN_ID, PEV_MAC)) == expected


def test_mnbc_sound_layout() -> None:
    rnd = bytes(range(16))
    expected = b"\x00\x00" + b"\x00" * 17 + bytes([9]) + RUN_ID + b"\x00" * 8 + rnd
    assert payload(p.mnbc_sound_ind(RUN_ID, 9, rnd=rnd)) == expected


def test_atten_char_ind_carries_58_groups() -> None:
    prof = p.attenuation_profile([i % 40 for i in range(58)])
    raw = payload(p.atten_char_ind(RUN_ID, PEV_MAC, prof))
    assert raw[:2 + 6 + 8] == b"\x00\x00" + b"\xaa" * 6 + RUN_ID
    assert raw[2 + 6 + 8 + 34:] == bytes([10, 58, *prof])
    assert len(raw) == 2 + 6 + 8 + 17 + 17 + 1 + 1 + 58


def test_atten_char_rsp_layout() -> None:
    raw = payload(p.atten_char_rsp(RUN_ID, PEV_MAC))
    assert raw == b"\x00\x00" + b"\xaa" * 6 + RUN_ID + b"\x00" * 34 + b"\x00"


def test_slac_match_req_layout_mvf_length_little_endian() -> None:
    raw = payload(p.slac_match_req(RUN_ID, PEV_MAC, EVSE_MAC))
    assert raw[:4] == b"\x00\x00\x3e\x00"
    assert raw[4:] == b"\x00" * 17 + b"\xaa" * 6 + b"\x00" * 17 + b"\xab" * 6 + RUN_ID + b"\x00" * 8
    assert len(raw) - 4 == p.MATCH_REQ_MVF_LEN


def test_slac_match_cnf_layout() -> None:
    raw = payload(p.slac_match_cnf(RUN_ID, PEV_MAC, EVSE_MAC, NID, NMK))
    assert raw[:4] == b"\x00\x00\x56\x00"
    assert raw[4 + 62:] == NID + b"\x00" + NMK
    assert len(raw) - 4 == p.MATCH_CNF_MVF_LEN


def test_set_key_req_layout_as_pyslac_except_nonce() -> None:
    # pyslac sends MyNonce 0xAAAAAAAA; ISO 15118-3 A.8 (and libslac) fix it to 0
    expected = b"\x01" + b"\x00" * 8 + b"\x04" + b"\x00\x00" + b"\x00" + b"\x00" + NID + b"\x01" + NMK
    assert payload(p.set_key_req(NID, NMK)) == expected


def test_validate_layouts() -> None:
    assert payload(p.validate_req(timer=1, result=p.VALIDATE_READY)) == bytes([0, 1, 1])
    assert payload(p.validate_cnf(toggle_num=3, result=p.VALIDATE_SUCCESS)) == bytes([0, 3, 2])
    assert bytes(p.frame(PEV_MAC, EVSE_MAC, p.validate_req()))[15:17] == b"\x78\x60"
    assert bytes(p.frame(PEV_MAC, EVSE_MAC, p.validate_cnf()))[15:17] == b"\x79\x60"


def test_amp_map_packs_nibbles_even_carrier_low() -> None:
    raw = payload(p.amp_map_req([1, 2, 3]))
    assert raw == b"\x03\x00" + bytes([0x21, 0x03])
    assert bytes(p.frame(PEV_MAC, EVSE_MAC, p.amp_map_req([1])))[15:17] == b"\x1c\x60"
    assert payload(p.amp_map_cnf(result=1)) == b"\x01"
    with pytest.raises(ValueError, match="4-bit"):
        p.amp_map_req([16])


@pytest.mark.parametrize("mme", [
    p.slac_parm_req(RUN_ID), p.slac_parm_cnf(RUN_ID, PEV_MAC), p.start_atten_char_ind(RUN_ID, PEV_MAC),
    p.mnbc_sound_ind(RUN_ID, 3), p.atten_char_ind(RUN_ID, PEV_MAC, p.attenuation_profile(25)),
    p.atten_char_rsp(RUN_ID, PEV_MAC), p.validate_req(), p.validate_cnf(),
    p.slac_match_req(RUN_ID, PEV_MAC, EVSE_MAC), p.slac_match_cnf(RUN_ID, PEV_MAC, EVSE_MAC, NID, NMK),
    p.set_key_req(NID, NMK), p.set_key_cnf(), p.amp_map_req([15] * 7), p.amp_map_cnf(),
], ids=lambda m: m.name)
def test_round_trip_through_the_wire(mme) -> None:
    wire = p.to_wire(p.frame(PEV_MAC, EVSE_MAC, mme))
    assert len(wire) >= p.MME_MIN_FRAME
    back = p.parse(wire)
    assert back[HomePlugAV].version == p.MMV
    assert type(back[HomePlugAV].payload) is type(mme)
    assert p.mmtype_name(p.mmtype(back)) != f"MMTYPE 0x{p.mmtype(back):04X}"
    original = bytes(mme)
    assert bytes(back[type(mme)])[:len(original)] == original
    assert wire[19:19 + len(original)] == original


def test_parse_helpers() -> None:
    cnf = p.slac_match_cnf(RUN_ID, PEV_MAC, EVSE_MAC, NID, NMK)
    pkt = p.parse(p.to_wire(p.frame(EVSE_MAC, PEV_MAC, cnf)))
    assert p.run_id_of(pkt) == RUN_ID
    assert p.summary(pkt) == f"CM_SLAC_MATCH.CNF {EVSE_MAC} -> {PEV_MAC} RunID {RUN_ID.hex()}"
    ind = p.parse(p.to_wire(p.frame(EVSE_MAC, PEV_MAC, p.atten_char_ind(RUN_ID, PEV_MAC, [30] * 58))))
    assert p.profile_of(ind) == [30] * 58
    assert p.mmtype(Ether()) is None


def test_bad_lengths_are_refused_with_the_field_name() -> None:
    with pytest.raises(ValueError, match="RunID must be 8 bytes"):
        p.slac_parm_req(b"\x00" * 16)
    with pytest.raises(ValueError, match="NMK must be 16 bytes"):
        p.set_key_req(NID, b"\x00" * 8)
    with pytest.raises(ValueError, match="58 groups"):
        p.attenuation_profile([1, 2])


def test_timing_scales_and_describes() -> None:
    t = p.SlacTiming(scale=0.1)
    assert t.seconds("tt_match_response") == pytest.approx(0.02)
    assert t.describe("tt_evse_match_mnbc") == "TT_EVSE_match_MNBC 600 ms (x0.1 = 60 ms)"
    assert p.SlacTiming().describe("tt_match_join") == "TT_match_join 12000 ms"


def test_pcap_bytes_is_a_readable_pcap(tmp_path) -> None:
    from scapy.utils import rdpcap

    frames = [p.to_wire(p.frame(PEV_MAC, p.BROADCAST, p.slac_parm_req(RUN_ID)))]
    path = tmp_path / "x.pcap"
    path.write_bytes(p.pcap_bytes(frames))
    assert p.mmtype(rdpcap(str(path))[0]) == p.MMTYPE_SLAC_PARM_REQ
    assert p.pcap_bytes([])[:4] == bytes.fromhex("d4c3b2a1")
