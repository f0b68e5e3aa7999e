"""SLAC (ISO 15118-3 PEV-EVSE matching over HomePlug Green PHY): the management messages as scapy
layers, their builders, the ISO 15118-3 timers, NMK/NID derivation and an async frame channel.

scapy's ``contrib.homepluggp`` already has SLAC_PARM, START_ATTEN_CHAR, MNBC_SOUND, ATTEN_CHAR,
SLAC_MATCH and SET_KEY; CM_VALIDATE (ISO 15118-3 A.9.4) and CM_AMP_MAP (A.9.6, HomePlug AV
0x601C) are added here and bound into the HomePlugAV MMTYPE dispatch. Every frame is
``Ether / HomePlugAV(version=1) / <MME>``: MMV 0x01 (HomePlug AV 1.1, with the 2-byte
fragmentation field); the default version 0 would write a vendor OUI instead. Multi-byte
HomePlug fields are little-endian (the SLAC_MATCH MVF length: 0x3E 0x00).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scapy.contrib.homeplugav import HomePlugAV, HPAVTypeList
from scapy.contrib.homepluggp import (
    CM_ATTEN_CHAR_IND,
    CM_ATTEN_CHAR_RSP,
    CM_MNBC_SOUND_IND,
    CM_SET_KEY_CNF,
    CM_SET_KEY_REQ,
    CM_SLAC_MATCH_CNF,
    CM_SLAC_MATCH_REQ,
    CM_SLAC_PARM_CNF,
    CM_SLAC_PARM_REQ,
    CM_START_ATTEN_CHAR_IND,
    HPGP_GROUP,
    SLAC_varfield,
    SLAC_varfield_cnf,
)
from scapy.fields import ByteEnumField, ByteField, FieldLenField, StrLenField
from scapy.layers.l2 import Ether
from scapy.packet import Packet, bind_layers
from scapy.utils import PcapWriter

# --- figures (FACTS.md "SLAC"; ISO 15118-3 Annex A) -------------------------------------------

ETH_P_HOMEPLUG = 0x88E1
MMV = 0x01  # HomePlug AV 1.1 / Green PHY
BROADCAST = "ff:ff:ff:ff:ff:ff"
MME_MIN_FRAME = 60  # Ethernet minimum without FCS; MMEs are padded to it (HomePlug AV 11.1)

# MMTYPE bases; +0 REQ, +1 CNF, +2 IND, +3 RSP
CM_SET_KEY = 0x6008
CM_AMP_MAP = 0x601C
CM_SLAC_PARM = 0x6064
CM_START_ATTEN_CHAR = 0x6068
CM_ATTEN_CHAR = 0x606C
CM_MNBC_SOUND = 0x6074
CM_VALIDATE = 0x6078
CM_SLAC_MATCH = 0x607C
CM_ATTEN_PROFILE = 0x6084
REQ, CNF, IND, RSP = 0, 1, 2, 3

MMTYPE_SET_KEY_REQ = CM_SET_KEY + REQ
MMTYPE_SET_KEY_CNF = CM_SET_KEY + CNF
MMTYPE_AMP_MAP_REQ = CM_AMP_MAP + REQ
MMTYPE_AMP_MAP_CNF = CM_AMP_MAP + CNF
MMTYPE_SLAC_PARM_REQ = CM_SLAC_PARM + REQ
MMTYPE_SLAC_PARM_CNF = CM_SLAC_PARM + CNF
MMTYPE_START_ATTEN_CHAR_IND = CM_START_ATTEN_CHAR + IND
MMTYPE_ATTEN_CHAR_IND = CM_ATTEN_CHAR + IND
MMTYPE_ATTEN_CHAR_RSP = CM_ATTEN_CHAR + RSP
MMTYPE_MNBC_SOUND_IND = CM_MNBC_SOUND + IND
MMTYPE_VALIDATE_REQ = CM_VALIDATE + REQ
MMTYPE_VALIDATE_CNF = CM_VALIDATE + CNF
MMTYPE_SLAC_MATCH_REQ = CM_SLAC_MATCH + REQ
MMTYPE_SLAC_MATCH_CNF = CM_SLAC_MATCH + CNF
MMTYPE_ATTEN_PROFILE_IND = CM_ATTEN_PROFILE + IND

MMTYPE_NAMES: dict[int, str] = {
    MMTYPE_SET_KEY_REQ: "CM_SET_KEY.REQ", MMTYPE_SET_KEY_CNF: "CM_SET_KEY.CNF",
    MMTYPE_AMP_MAP_REQ: "CM_AMP_MAP.REQ", MMTYPE_AMP_MAP_CNF: "CM_AMP_MAP.CNF",
    MMTYPE_SLAC_PARM_REQ: "CM_SLAC_PARM.REQ", MMTYPE_SLAC_PARM_CNF: "CM_SLAC_PARM.CNF",
    MMTYPE_START_ATTEN_CHAR_IND: "CM_START_ATTEN_CHAR.IND",
    MMTYPE_ATTEN_CHAR_IND: "CM_ATTEN_CHAR.IND", MMTYPE_ATTEN_CHAR_RSP: "CM_ATTEN_CHAR.RSP",
    MMTYPE_MNBC_SOUND_IND: "CM_MNBC_SOUND.IND",
    MMTYPE_VALIDATE_REQ: "CM_VALIDATE.REQ", MMTYPE_VALIDATE_CNF: "CM_VALIDATE.CNF",
    MMTYPE_SLAC_MATCH_REQ: "CM_SLAC_MATCH.REQ", MMTYPE_SLAC_MATCH_CNF: "CM_SLAC_MATCH.CNF",
    MMTYPE_ATTEN_PROFILE_IND: "CM_ATTEN_PROFILE.IND",
}

APPLICATION_TYPE_PEV_EVSE = 0x00  # "PEV-EVSE matching"
SECURITY_TYPE_NONE = 0x00
RESP_TYPE_OTHER_GP_STA = 0x01  # CM_SLAC_PARM.CNF RESP_TYPE: results go to another GP station
NUM_SOUNDS = 10  # C_EV_match_MNBC
TIMEOUT_FIELD = 6  # TT_EVSE_match_MNBC in units of 100 ms (600 ms)
RUN_ID_LEN = 8
NID_LEN = 7
NMK_LEN = 16
STATION_ID_LEN = 17
NUM_GROUPS = 58  # attenuation profile: 58 groups of OFDM carriers (ISO 15118-3 A.9.2.5)
MATCH_REQ_MVF_LEN = 0x3E
MATCH_CNF_MVF_LEN = 0x56
KEY_TYPE_NMK = 0x01
SET_KEY_PID_HLE = 0x04
SET_KEY_NEW_EKS_NMK = 0x01
RESULT_SUCCESS = 0x00

# CM_VALIDATE result codes (ISO 15118-3 A.9.4)
VALIDATE_NOT_READY = 0x00
VALIDATE_READY = 0x01
VALIDATE_SUCCESS = 0x02
VALIDATE_FAILURE = 0x03
VALIDATE_NOT_REQUIRED = 0x04
VALIDATE_RESULTS = {0: "not ready", 1: "ready", 2: "success", 3: "failure", 4: "not required"}

# HomePlug AV 1.1 13.2.2: NMK = PBKDF1(SHA-256, password, salt, 1000)[:16]; NID from NMK, 5 rounds
_NMK_SALT = bytes.fromhex("08856daf7cf58186")


_TIMER_LABELS = {
    "tt_match_sequence": "TT_match_sequence", "tt_match_response": "TT_match_response",
    "tt_evse_match_mnbc": "TT_EVSE_match_MNBC", "tt_ev_atten_results": "TT_EV_atten_results",
    "tt_evse_match_session": "TT_EVSE_match_session", "tt_match_join": "TT_match_join",
    "tt_matching_repetition": "TT_matching_repetition", "tt_matching_rate": "TT_matching_rate",
    "tp_ev_batch_msg_interval": "TP_EV_batch_msg_interval",
}


@dataclass(frozen=True)
class SlacTiming:
    """The ISO 15118-3 SLAC timers (Table A.1, FACTS.md "SLAC"), in seconds at ``scale`` 1.0.

    Both ends read them through :meth:`seconds`, so a test shortens every timer at once
    (``SlacTiming(scale=0.1)``) while the figures stay the standard's.
    """

    scale: float = 1.0
    tt_match_sequence: float = 0.400
    tt_match_response: float = 0.200
    tt_evse_match_mnbc: float = 0.600
    tt_ev_atten_results: float = 1.200
    tt_evse_match_session: float = 10.0
    tt_match_join: float = 12.0
    tt_matching_repetition: float = 10.0
    tt_matching_rate: float = 0.400
    tp_ev_batch_msg_interval: float = 0.020  # 20–50 ms between START_ATTEN_CHAR / MNBC_SOUND
    c_ev_match_retry: int = 2

    def seconds(self, name: str) -> float:
        """Get timer ``name`` (a field name, e.g. "tt_match_response") scaled, in s."""
        return float(getattr(self, name)) * self.scale

    def describe(self, name: str) -> str:
        """Name a timer for a failure message: 'TT_match_response 200 ms (x0.1 = 20 ms)'."""
        base = float(getattr(self, name)) * 1000
        text = f"{_TIMER_LABELS.get(name, name)} {base:g} ms"
        if self.scale != 1.0:
            text += f" (x{self.scale:g} = {base * self.scale:g} ms)"
        return text


# --- the messages scapy lacks -----------------------------------------------------------------


class _Fixed(Packet):
    """A fixed-length MME: bytes after it are Ethernet padding, not a payload."""

    def extract_padding(self, s: bytes) -> tuple[bytes, bytes]:
        return b"", s


class CM_VALIDATE_REQ(_Fixed):
    """ISO 15118-3 A.9.4: the EV asks the EVSE to validate the match by BCB toggles (SignalType 0)."""

    name = "CM_VALIDATE_REQ"
    fields_desc = [  # noqa: RUF012 - scapy reads the class attribute
                   ByteField("SignalType", 0x00),
                   ByteField("Timer", 0x00),  # 2nd exchange: TT_EVSE_vald_toggle in 100 ms steps - 1
                   ByteEnumField("Result", VALIDATE_READY, VALIDATE_RESULTS)]


class CM_VALIDATE_CNF(_Fixed):
    """ISO 15118-3 A.9.4: the EVSE's answer; ToggleNum counts BCB edges seen in the 2nd exchange."""

    name = "CM_VALIDATE_CNF"
    fields_desc = [  # noqa: RUF012 - scapy reads the class attribute
                   ByteField("SignalType", 0x00),
                   ByteField("ToggleNum", 0x00),
                   ByteEnumField("Result", VALIDATE_NOT_REQUIRED, VALIDATE_RESULTS)]


class CM_AMP_MAP_REQ(_Fixed):
    """ISO 15118-3 A.9.6 / HomePlug AV: amplitude map, one 4-bit value per carrier (even carrier
    in the low nibble); AMLEN counts carriers, little-endian."""

    name = "CM_AMP_MAP_REQ"
    fields_desc = [  # noqa: RUF012 - scapy reads the class attribute
                   FieldLenField("AMLEN", None, length_of="AMDATA", fmt="<H",
                                 adjust=lambda pkt, n: n * 2),
                   StrLenField("AMDATA", b"", length_from=lambda pkt: (pkt.AMLEN + 1) // 2)]


class CM_AMP_MAP_CNF(_Fixed):
    name = "CM_AMP_MAP_CNF"
    fields_desc = [  # noqa: RUF012 - scapy reads the class attribute
                   ByteEnumField("ResType", 0x00, {0: "success", 1: "failure"})]


bind_layers(HomePlugAV, CM_VALIDATE_REQ, HPtype=MMTYPE_VALIDATE_REQ)
bind_layers(HomePlugAV, CM_VALIDATE_CNF, HPtype=MMTYPE_VALIDATE_CNF)
bind_layers(HomePlugAV, CM_AMP_MAP_REQ, HPtype=MMTYPE_AMP_MAP_REQ)
bind_layers(HomePlugAV, CM_AMP_MAP_CNF, HPtype=MMTYPE_AMP_MAP_CNF)
for _mmtype, _name in MMTYPE_NAMES.items():
    HPAVTypeList.setdefault(_mmtype, _name.replace(".", "_"))


# --- keys -------------------------------------------------------------------------------------


def nmk_from_password(password: bytes | str) -> bytes:
    """The NMK a network password hashes to (HomePlug AV 13.2.2; 'HomePlugAV0123' -> b59319d7…)."""
    data = (password.encode() if isinstance(password, str) else password) + _NMK_SALT
    for _ in range(1000):
        data = hashlib.sha256(data).digest()
    return data[:NMK_LEN]


def nid_from_nmk(nmk: bytes, security_level: int = 0) -> bytes:
    """The NID of an NMK (HomePlug AV 13.2.2): 54 bits of SHA-256^5 and a 2-bit security level."""
    data = bytes(nmk)
    for _ in range(5):
        data = hashlib.sha256(data).digest()
    nid = bytearray(data[:NID_LEN])
    nid[6] = (security_level << 4) | (nid[6] >> 4)
    return bytes(nid)


def new_run_id() -> bytes:
    """A fresh 8-byte RunID: the EV picks one per matching run (ISO 15118-3 A.9.1)."""
    return os.urandom(RUN_ID_LEN)


# --- builders ---------------------------------------------------------------------------------


def _fix(value: bytes, length: int, what: str) -> bytes:
    if len(value) != length:
        raise ValueError(f"{what} must be {length} bytes, got {len(value)}: {value.hex()}")
    return bytes(value)


def frame(src: str, dst: str, mme: Packet) -> Ether:
    """Wrap an MME in Ether / HomePlugAV(MMV 0x01); the MMTYPE follows from the MME's class."""
    return Ether(src=src, dst=dst, type=ETH_P_HOMEPLUG) / HomePlugAV(version=MMV) / mme


def to_wire(pkt: Packet) -> bytes:
    """Bytes to send: padded to the 60-byte Ethernet minimum (a NIC would; veth does not)."""
    raw = bytes(pkt)
    return raw + b"\x00" * (MME_MIN_FRAME - len(raw)) if len(raw) < MME_MIN_FRAME else raw


def slac_parm_req(run_id: bytes) -> CM_SLAC_PARM_REQ:
    return CM_SLAC_PARM_REQ(ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                            RunID=_fix(run_id, RUN_ID_LEN, "RunID"))


def slac_parm_cnf(run_id: bytes, forwarding_sta: str, *, num_sounds: int = NUM_SOUNDS,
                  timeout: int = TIMEOUT_FIELD, resp_type: int = RESP_TYPE_OTHER_GP_STA) -> CM_SLAC_PARM_CNF:
    """ISO 15118-3 A.9.1: M-SOUND_TARGET broadcast, 10 sounds, 6 x 100 ms, FORWARDING_STA = EV MAC."""
    return CM_SLAC_PARM_CNF(MSoundTargetMAC=BROADCAST, NumberMSounds=num_sounds, TimeOut=timeout,
                            ResponseType=resp_type, ForwardingSTA=forwarding_sta,
                            ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                            RunID=_fix(run_id, RUN_ID_LEN, "RunID"))


def start_atten_char_ind(run_id: bytes, forwarding_sta: str, *, num_sounds: int = NUM_SOUNDS,
                         timeout: int = TIMEOUT_FIELD,
                         resp_type: int = RESP_TYPE_OTHER_GP_STA) -> CM_START_ATTEN_CHAR_IND:
    return CM_START_ATTEN_CHAR_IND(ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                                   NumberOfSounds=num_sounds, TimeOut=timeout, ResponseType=resp_type,
                                   ForwardingSTA=forwarding_sta, RunID=_fix(run_id, RUN_ID_LEN, "RunID"))


def mnbc_sound_ind(run_id: bytes, countdown: int, *, sender_id: bytes = b"\x00" * STATION_ID_LEN,
                   rnd: bytes | None = None) -> CM_MNBC_SOUND_IND:
    """One M-Sound; Countdown runs num_sounds-1 .. 0."""
    return CM_MNBC_SOUND_IND(ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                             SenderID=_fix(sender_id, STATION_ID_LEN, "SenderID"), Countdown=countdown,
                             RunID=_fix(run_id, RUN_ID_LEN, "RunID"), RSVD=b"\x00" * 8,
                             RandomValue=rnd if rnd is not None else os.urandom(16))


def attenuation_profile(db: float | Sequence[float]) -> list[int]:
    """An ATTEN_PROFILE of 58 groups: one value for every group, or 58 values; dB, 0–255."""
    values = [db] * NUM_GROUPS if isinstance(db, (int, float)) else list(db)
    if len(values) != NUM_GROUPS:
        raise ValueError(f"an attenuation profile has {NUM_GROUPS} groups, got {len(values)}")
    return [max(0, min(255, round(v))) for v in values]


def atten_char_ind(run_id: bytes, source_address: str, profile: Sequence[int], *,
                   num_sounds: int = NUM_SOUNDS, source_id: bytes = b"\x00" * STATION_ID_LEN,
                   resp_id: bytes = b"\x00" * STATION_ID_LEN) -> CM_ATTEN_CHAR_IND:
    """ISO 15118-3 A.9.2.5: the EVSE's averaged attenuation per group, SOURCE_ADDRESS = EV MAC."""
    return CM_ATTEN_CHAR_IND(ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                             SourceAdress=source_address, RunID=_fix(run_id, RUN_ID_LEN, "RunID"),
                             SourceID=_fix(source_id, STATION_ID_LEN, "SourceID"),
                             ResponseID=_fix(resp_id, STATION_ID_LEN, "ResponseID"),
                             NumberOfSounds=num_sounds, Groups=[HPGP_GROUP(group=g) for g in profile])


def atten_char_rsp(run_id: bytes, source_address: str, *, result: int = RESULT_SUCCESS,
                   source_id: bytes = b"\x00" * STATION_ID_LEN,
                   resp_id: bytes = b"\x00" * STATION_ID_LEN) -> CM_ATTEN_CHAR_RSP:
    return CM_ATTEN_CHAR_RSP(ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                             SourceAdress=source_address, RunID=_fix(run_id, RUN_ID_LEN, "RunID"),
                             SourceID=_fix(source_id, STATION_ID_LEN, "SourceID"),
                             ResponseID=_fix(resp_id, STATION_ID_LEN, "ResponseID"), Result=result)


def validate_req(*, timer: int = 0, result: int = VALIDATE_READY) -> CM_VALIDATE_REQ:
    return CM_VALIDATE_REQ(SignalType=0, Timer=timer, Result=result)


def validate_cnf(*, toggle_num: int = 0, result: int = VALIDATE_NOT_REQUIRED) -> CM_VALIDATE_CNF:
    return CM_VALIDATE_CNF(SignalType=0, ToggleNum=toggle_num, Result=result)


def slac_match_req(run_id: bytes, pev_mac: str, evse_mac: str, *, pev_id: bytes = b"\x00" * STATION_ID_LEN,
                   evse_id: bytes = b"\x00" * STATION_ID_LEN) -> CM_SLAC_MATCH_REQ:
    """ISO 15118-3 A.9.5: MVF length 0x3E (62 bytes) follows."""
    mvf = SLAC_varfield(EVID=_fix(pev_id, STATION_ID_LEN, "PEV ID"), EVMAC=pev_mac,
                        EVSEID=_fix(evse_id, STATION_ID_LEN, "EVSE ID"), EVSEMAC=evse_mac,
                        RunID=_fix(run_id, RUN_ID_LEN, "RunID"), RSVD=b"\x00" * 8)
    return CM_SLAC_MATCH_REQ(ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                             VariableField=mvf)


def slac_match_cnf(run_id: bytes, pev_mac: str, evse_mac: str, nid: bytes, nmk: bytes, *,
                   pev_id: bytes = b"\x00" * STATION_ID_LEN,
                   evse_id: bytes = b"\x00" * STATION_ID_LEN) -> CM_SLAC_MATCH_CNF:
    """ISO 15118-3 A.9.5: MVF length 0x56 (86 bytes); NID 7 bytes + 1 reserved, NMK 16 bytes."""
    mvf = SLAC_varfield_cnf(EVID=_fix(pev_id, STATION_ID_LEN, "PEV ID"), EVMAC=pev_mac,
                            EVSEID=_fix(evse_id, STATION_ID_LEN, "EVSE ID"), EVSEMAC=evse_mac,
                            RunID=_fix(run_id, RUN_ID_LEN, "RunID"), RSVD=b"\x00" * 8,
                            NetworkID=_fix(nid, NID_LEN, "NID"), Reserved=0, NMK=_fix(nmk, NMK_LEN, "NMK"))
    return CM_SLAC_MATCH_CNF(ApplicationType=APPLICATION_TYPE_PEV_EVSE, SecurityType=SECURITY_TYPE_NONE,
                             VariableField=mvf)


def set_key_req(nid: bytes, nmk: bytes) -> CM_SET_KEY_REQ:
    """ISO 15118-3 A.8: host -> own modem, key type NMK, PID 0x04 (HLE), nonces/PRN/PMN unused."""
    return CM_SET_KEY_REQ(KeyType=KEY_TYPE_NMK, MyNonce=0, YourNonce=0, PID=SET_KEY_PID_HLE,
                          ProtoRunNumber=0, ProtoMessNumber=0, CCoCapability=0,
                          NetworkID=_fix(nid, NID_LEN, "NID"), NewEncKeySelect=SET_KEY_NEW_EKS_NMK,
                          NewKey=_fix(nmk, NMK_LEN, "NMK"))


def set_key_cnf(*, result: int = RESULT_SUCCESS) -> CM_SET_KEY_CNF:
    return CM_SET_KEY_CNF(Result=result, MyNonce=0, YourNonce=0, PID=SET_KEY_PID_HLE, ProtoRunNumber=0,
                          ProtoMessNumber=0, CCoCapability=0)


def amp_map_req(amplitudes: Sequence[int]) -> CM_AMP_MAP_REQ:
    """Pack 4-bit amplitudes, two per byte, even carrier in the low nibble."""
    if any(not 0 <= a <= 0x0F for a in amplitudes):
        raise ValueError("amplitudes are 4-bit values 0..15")
    data = bytearray((len(amplitudes) + 1) // 2)
    for i, a in enumerate(amplitudes):
        data[i // 2] |= a << (4 * (i % 2))
    return CM_AMP_MAP_REQ(AMLEN=len(amplitudes), AMDATA=bytes(data))


def amp_map_amplitudes(req: CM_AMP_MAP_REQ) -> list[int]:
    """Unpack a CM_AMP_MAP.REQ's amplitudes."""
    data = bytes(req.AMDATA)
    return [(data[i // 2] >> (4 * (i % 2))) & 0x0F for i in range(req.AMLEN)]


def amp_map_cnf(*, result: int = 0) -> CM_AMP_MAP_CNF:
    return CM_AMP_MAP_CNF(ResType=result)


# --- parsing ----------------------------------------------------------------------------------


def parse(raw: bytes) -> Ether:
    """Dissect a frame off the wire."""
    return Ether(raw)


def mmtype(pkt: Packet) -> int | None:
    """The MMTYPE of a HomePlug frame, or None when it is not one."""
    return int(pkt[HomePlugAV].HPtype) if HomePlugAV in pkt else None


def mmtype_name(value: int | None) -> str:
    return MMTYPE_NAMES.get(value, f"MMTYPE 0x{value:04X}") if value is not None else "not HomePlug"


def run_id_of(pkt: Packet) -> bytes | None:
    """The RunID a SLAC message carries (SET_KEY, VALIDATE and AMP_MAP carry none)."""
    for layer in (SLAC_varfield_cnf, SLAC_varfield, CM_SLAC_PARM_REQ, CM_SLAC_PARM_CNF,
                  CM_START_ATTEN_CHAR_IND, CM_MNBC_SOUND_IND, CM_ATTEN_CHAR_IND, CM_ATTEN_CHAR_RSP):
        if layer in pkt:
            return bytes(pkt[layer].RunID)
    return None


def profile_of(pkt: Packet) -> list[int]:
    """The attenuation profile (dB per group) of a CM_ATTEN_CHAR.IND."""
    return [int(g.group) for g in pkt[CM_ATTEN_CHAR_IND].Groups]


def summary(pkt: Packet) -> str:
    """One line for logs and failure messages: 'CM_SLAC_PARM.CNF 02:..:01 -> 02:..:02 RunID 0011..'."""
    if Ether not in pkt:
        return pkt.summary()
    text = f"{mmtype_name(mmtype(pkt))} {pkt[Ether].src} -> {pkt[Ether].dst}"
    run_id = run_id_of(pkt)
    return f"{text} RunID {run_id.hex()}" if run_id is not None else text


# --- the wire: an async frame channel over an AF_PACKET socket --------------------------------


@dataclass(frozen=True)
class FrameRecord:
    """One frame a channel sent or received, for results, evidence and pcaps."""

    at: float  # time.monotonic()
    wall: float  # time.time(), for the pcap timestamp
    direction: str  # "tx" or "rx"
    raw: bytes
    note: str = ""  # e.g. "ignored: wrong RunID"

    @property
    def packet(self) -> Ether:
        return parse(self.raw)

    @property
    def mmtype(self) -> int | None:
        return mmtype(self.packet)

    def __str__(self) -> str:
        return f"{self.direction} {summary(self.packet)}" + (f" ({self.note})" if self.note else "")


def pcap_bytes(records: Iterable[FrameRecord | bytes]) -> bytes:
    """A pcap (linktype Ethernet) of frames, for an Allure attachment."""
    buf = io.BytesIO()
    writer = PcapWriter(buf, linktype=1, sync=True)
    for rec in records:
        if isinstance(rec, FrameRecord):
            pkt = parse(rec.raw)
            pkt.time = rec.wall
        else:
            pkt = parse(rec)
        writer.write(pkt)
    writer.flush()
    data = buf.getvalue()
    if not data:  # PcapWriter writes the header with the first packet only
        writer._write_header(None)
        writer.flush()
        data = buf.getvalue()
    return data


LocalHandler = Callable[[Ether], "list[Packet] | None"]


class FrameChannel:
    """Send and receive SLAC frames on one L2 socket from asyncio; every frame is recorded.

    ``local`` handlers model the host's own PLC modem: a frame the host sends that a handler
    answers (returns a list, maybe empty) never reaches the wire; the answers are delivered as
    received. That is how a real modem treats host-addressed MMEs such as CM_SET_KEY.REQ.
    """

    def __init__(self, sock: socket.socket, *, mac: str | None = None) -> None:
        self.sock = sock
        sock.setblocking(False)
        self.mac = mac or _socket_mac(sock)
        self.records: list[FrameRecord] = []
        self.local: list[LocalHandler] = []
        self._queue: asyncio.Queue[tuple[float, Ether]] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._on_readable)
        self._closed = False

    def _on_readable(self) -> None:
        while True:
            try:
                raw = self.sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self._deliver(raw)

    def _deliver(self, raw: bytes) -> None:
        pkt = parse(raw)
        if Ether in pkt and pkt[Ether].src == self.mac:
            return  # our own frame looped back by the tap
        rec = FrameRecord(time.monotonic(), time.time(), "rx", raw)
        self.records.append(rec)
        self._queue.put_nowait((rec.at, pkt))

    async def send(self, pkt: Packet) -> FrameRecord:
        """Send a frame (padded to 60 bytes); a local handler may answer it instead of the wire."""
        raw = to_wire(pkt)
        rec = FrameRecord(time.monotonic(), time.time(), "tx", raw)
        self.records.append(rec)
        parsed = parse(raw)
        for handler in self.local:
            answers = handler(parsed)
            if answers is not None:
                for answer in answers:
                    self._loop.call_soon(self._deliver, to_wire(answer))
                return rec
        await self._loop.sock_sendall(self.sock, raw)
        return rec

    async def recv(self, timeout: float | None) -> Ether | None:
        """The next received frame, or None when ``timeout`` s pass first."""
        try:
            _, pkt = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        return pkt

    async def expect(self, accept: Callable[[Ether], str | bool], deadline: float,
                     rejected: list[FrameRecord] | None = None) -> Ether | None:
        """The first frame ``accept`` takes before ``deadline`` (time.monotonic()), else None.

        ``accept`` returns True to take a frame, False to skip it silently, or a string: the
        reason the frame was ignored, noted in ``rejected`` (e.g. "wrong RunID").
        """
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            pkt = await self.recv(remaining)
            if pkt is None:
                return None
            verdict = accept(pkt)
            if verdict is True:
                return pkt
            if isinstance(verdict, str) and rejected is not None:
                rejected.append(FrameRecord(time.monotonic(), time.time(), "rx", bytes(pkt), verdict))

    def close(self) -> None:
        """Stop reading (the socket belongs to whoever opened it)."""
        if not self._closed:
            self._closed = True
            try:
                self._loop.remove_reader(self.sock.fileno())
            except (ValueError, OSError):
                pass


def _socket_mac(sock: socket.socket) -> str:
    try:
        addr = sock.getsockname()
    except OSError:
        return "00:00:00:00:00:00"
    if isinstance(addr, tuple) and len(addr) >= 5 and isinstance(addr[4], bytes) and len(addr[4]) == 6:
        return ":".join(f"{b:02x}" for b in addr[4])
    return "00:00:00:00:00:00"


def fields_of(pkt: Packet) -> dict[str, object]:
    """Field values of the MME layer, for evidence."""
    layer = pkt[HomePlugAV].payload if HomePlugAV in pkt else pkt
    return {f.name: layer.getfieldval(f.name) for f in layer.fields_desc}




# --- the host's own PLC modem, stubbed ---------------------------------------------------------

#: Qualcomm's local management address: the host's own modem answers MMEs sent to it
LOCAL_MODEM_MAC = "00:b0:52:00:00:01"


class StubModem:
    """The host's HomePlug modem, reduced to what SLAC needs from it: CM_SET_KEY.REQ -> .CNF
    (ISO 15118-3 A.8). Attach with ``channel.local.append(modem.handle)``; the keys it was
    given are in :attr:`keys`, newest last, so a test can check both ends ended on one NMK."""

    def __init__(self, mac: str = LOCAL_MODEM_MAC, *, result: int = RESULT_SUCCESS) -> None:
        self.mac = mac
        self.result = result
        self.keys: list[tuple[bytes, bytes]] = []  # (NID, NMK)

    def handle(self, pkt: Ether) -> list[Packet] | None:
        """Answer a host frame addressed to the modem; None lets any other frame onto the wire."""
        if mmtype(pkt) != MMTYPE_SET_KEY_REQ or pkt[Ether].dst not in (self.mac, BROADCAST):
            return None
        req = pkt[CM_SET_KEY_REQ]
        self.keys.append((bytes(req.NetworkID), bytes(req.NewKey)))
        return [frame(self.mac, pkt[Ether].src, set_key_cnf(result=self.result))]

    @property
    def nmk(self) -> bytes | None:
        return self.keys[-1][1] if self.keys else None
