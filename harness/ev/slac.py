"""The harness as the EV in SLAC matching (ISO 15118-3 clause 9 / Annex A, PEV side): one matching
run on an L2 socket, returning a :class:`SlacResult` the suites assert on.

The same class runs on the CI test bed (a veth end, see ``harness.lab.netns``) and on a bench
(the HomePlug modem's interface, ``open_interface(name)``). ``violations`` make the EV break the
protocol on purpose (wrong RunID, skipped step) so suites can test the charger's reaction.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from scapy.layers.l2 import Ether
from scapy.packet import Packet

from harness.protocols import slac as p

# step names: keys of SlacResult.timestamps/attempts, SlacResult.failed_step, and SlacViolations
SLAC_PARM = "slac_parm"
START_ATTEN_CHAR = "start_atten_char"
MNBC_SOUND = "mnbc_sound"
ATTEN_CHAR = "atten_char"  # waiting for the EVSE's CM_ATTEN_CHAR.IND
ATTEN_CHAR_RSP = "atten_char_rsp"
VALIDATE = "validate"
SLAC_MATCH = "slac_match"
SET_KEY = "set_key"
STEPS = (SLAC_PARM, START_ATTEN_CHAR, MNBC_SOUND, ATTEN_CHAR, ATTEN_CHAR_RSP, VALIDATE, SLAC_MATCH, SET_KEY)


class SlacError(AssertionError):
    """A matching run failed; the message names the step and the timer."""

    def __init__(self, result: SlacResult) -> None:
        super().__init__(result.message)
        self.result = result


@dataclass(frozen=True)
class SlacViolations:
    """Deliberate protocol violations by the EV, to test the EVSE's reaction.

    ``wrong_run_id``: steps whose frames carry a RunID other than the run's (start_atten_char,
    mnbc_sound, atten_char_rsp, slac_match). ``skip``: steps the EV leaves out entirely
    (start_atten_char, mnbc_sound, atten_char_rsp, slac_match, set_key).
    """

    wrong_run_id: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in (*self.wrong_run_id, *self.skip):
            if name not in STEPS:
                raise ValueError(f"unknown SLAC step {name!r}; steps: {', '.join(STEPS)}")


@dataclass
class SlacResult:
    """What one matching run did: verdict, keys, profile, timings, every frame, and the failure."""

    matched: bool
    run_id: bytes
    ev_mac: str
    evse_mac: str | None = None
    nid: bytes | None = None
    nmk: bytes | None = None
    attenuation_profile: list[int] = field(default_factory=list)  # dB per group, from CM_ATTEN_CHAR.IND
    num_sounds: int | None = None  # sounds the EVSE says it averaged
    validation: int | None = None  # CM_VALIDATE.CNF result, when validation ran
    timestamps: dict[str, float] = field(default_factory=dict)  # time.monotonic() per event
    attempts: dict[str, int] = field(default_factory=dict)
    frames: list[p.FrameRecord] = field(default_factory=list)
    ignored: list[p.FrameRecord] = field(default_factory=list)  # received but not taken, with why
    failed_step: str | None = None
    failed_timer: str | None = None  # e.g. "TT_match_response"
    message: str = ""

    @property
    def average_attenuation_db(self) -> float | None:
        prof = self.attenuation_profile
        return sum(prof) / len(prof) if prof else None

    @property
    def mmtypes(self) -> list[str]:
        """The message names of the exchange, in order ("tx CM_SLAC_PARM.REQ", "rx ...")."""
        return [f"{r.direction} {p.mmtype_name(r.mmtype)}" for r in self.frames]

    def elapsed(self, start: str, end: str) -> float:
        """Seconds between two timestamps (e.g. "slac_parm.req" -> "slac_match.cnf")."""
        return self.timestamps[end] - self.timestamps[start]

    def pcap(self) -> bytes:
        """The exchange as the EV saw it, as a pcap (Allure attachment)."""
        return p.pcap_bytes(self.frames)

    def raise_for_failure(self) -> SlacResult:
        if not self.matched:
            raise SlacError(self)
        return self

    def __str__(self) -> str:
        if self.matched:
            return (f"matched EVSE {self.evse_mac} NID {self.nid.hex() if self.nid else '-'} RunID "
                    f"{self.run_id.hex()} avg attenuation {self.average_attenuation_db} dB")
        return f"SLAC failed: {self.message}"


class _Failed(Exception):
    def __init__(self, step: str, timer: str | None, message: str) -> None:
        super().__init__(message)
        self.step, self.timer, self.message = step, timer, message


class EvSlac:
    """The EV's matching state machine (ISO 15118-3 9.2–9.6, Annex A.9) on one L2 socket.

    ``retries``: C_EV_match_retry (2) for CM_SLAC_PARM.REQ and CM_SLAC_MATCH.REQ, each waiting
    TT_match_response. ``validate``: run one CM_VALIDATE exchange before matching (optional in
    ISO 15118-3; a "not required"/"failure"/"not ready" answer lets the EV go on to match).
    ``max_attenuation_db``: refuse the EVSE when its average attenuation is higher (None: any).
    ``modem``: a StubModem answering the EV's CM_SET_KEY.REQ (emulated bench); None on a real one.
    """

    def __init__(self, iface_socket: socket.socket, *, timing: p.SlacTiming | None = None,
                 retries: int | None = None, validate: bool = False, max_attenuation_db: float | None = None,
                 modem: p.StubModem | None = None, modem_mac: str = p.LOCAL_MODEM_MAC,
                 pev_id: bytes = b"\x00" * p.STATION_ID_LEN, violations: SlacViolations | None = None,
                 mac: str | None = None) -> None:
        self.sock = iface_socket
        self.timing = timing or p.SlacTiming()
        self.retries = self.timing.c_ev_match_retry if retries is None else retries
        self.validate = validate
        self.max_attenuation_db = max_attenuation_db
        self.modem = modem
        self.modem_mac = modem_mac
        self.pev_id = pev_id
        self.violations = violations or SlacViolations()
        self._mac = mac

    async def match(self, run_id: bytes | None = None) -> SlacResult:
        """Run one matching process; never raises for a protocol failure (see ``raise_for_failure``)."""
        channel = p.FrameChannel(self.sock, mac=self._mac)
        if self.modem is not None:
            channel.local.append(self.modem.handle)
        result = SlacResult(matched=False, run_id=run_id or p.new_run_id(), ev_mac=channel.mac)
        try:
            await _Run(self, channel, result).run()
            result.matched = True
        except _Failed as failure:
            result.failed_step, result.failed_timer = failure.step, failure.timer
            result.message = failure.message
        finally:
            channel.close()
            result.frames = list(channel.records)
        return result


class _Run:
    """One matching run: the steps in order, each raising _Failed with a precise message."""

    def __init__(self, ev: EvSlac, channel: p.FrameChannel, result: SlacResult) -> None:
        self.ev, self.ch, self.r, self.t = ev, channel, result, ev.timing
        self.wrong_id = bytes(b ^ 0x5A for b in result.run_id)

    def _id(self, step: str) -> bytes:
        return self.wrong_id if step in self.ev.violations.wrong_run_id else self.r.run_id

    def _stamp(self, name: str) -> float:
        now = time.monotonic()
        self.r.timestamps[name] = now
        return now

    async def _send(self, dst: str, mme: Packet) -> None:
        await self.ch.send(p.frame(self.ch.mac, dst, mme))

    def _accept(self, want: int, what: str, *, check_run_id: bool = True,
                extra: Callable[[Ether], str | None] | None = None) -> Callable[[Ether], str | bool]:
        def accept(pkt: Ether) -> str | bool:
            kind = p.mmtype(pkt)
            if kind is None:
                return False
            if kind != want:
                return f"unexpected {p.mmtype_name(kind)} while waiting for {what}"
            if check_run_id:
                got = p.run_id_of(pkt)
                if got != self.r.run_id:
                    return f"wrong RunID {got.hex() if got else '-'} (expected {self.r.run_id.hex()})"
            from_evse = want != p.MMTYPE_SET_KEY_CNF and self.r.evse_mac is not None
            if from_evse and pkt[Ether].src != self.r.evse_mac:
                return f"from {pkt[Ether].src}, not the EVSE matched so far ({self.r.evse_mac})"
            problem = extra(pkt) if extra else None
            return problem if problem else True
        return accept

    def _ignored_since(self, count: int) -> str:
        new = self.r.ignored[count:]
        if not new:
            return "Nothing else was received."
        shown = "; ".join(str(rec) for rec in new[-3:])
        return f"Ignored meanwhile ({len(new)}): {shown}."

    async def _request(self, step: str, dst: str, mme: Packet, want: int, what: str) -> Ether:
        """REQ -> CNF within TT_match_response, repeated C_EV_match_retry times (V2G3-A09-...)."""
        seen = len(self.r.ignored)
        attempts = 1 + self.ev.retries
        for attempt in range(1, attempts + 1):
            self.r.attempts[step] = attempt
            self._stamp(f"{step}.req")
            await self._send(dst, mme)
            deadline = time.monotonic() + self.t.seconds("tt_match_response")
            cnf = await self.ch.expect(self._accept(want, what), deadline, self.r.ignored)
            if cnf is not None:
                self._stamp(f"{step}.cnf")
                return cnf
        raise _Failed(step, "TT_match_response",
                      f"{step}: no {what} with RunID {self.r.run_id.hex()} within "
                      f"{self.t.describe('tt_match_response')} in {attempts} attempts "
                      f"(1 + C_EV_match_retry={self.ev.retries}). {self._ignored_since(seen)}")

    async def run(self) -> None:
        v = self.ev.violations
        r = self.r
        cnf = await self._request(SLAC_PARM, p.BROADCAST, p.slac_parm_req(r.run_id),
                                  p.MMTYPE_SLAC_PARM_CNF, "CM_SLAC_PARM.CNF")
        parm = cnf[p.CM_SLAC_PARM_CNF]
        r.evse_mac = cnf[Ether].src
        num_sounds = int(parm.NumberMSounds) or p.NUM_SOUNDS
        timeout_field = int(parm.TimeOut)
        interval = self.t.seconds("tp_ev_batch_msg_interval")

        # sounding: 3 x CM_START_ATTEN_CHAR.IND then num_sounds x CM_MNBC_SOUND.IND, 20–50 ms apart
        atten_deadline: float | None = None
        if START_ATTEN_CHAR not in v.skip:
            for _ in range(3):
                now = self._stamp(START_ATTEN_CHAR) if atten_deadline is None else time.monotonic()
                atten_deadline = atten_deadline or now + self.t.seconds("tt_ev_atten_results")
                ind = p.start_atten_char_ind(self._id(START_ATTEN_CHAR), r.ev_mac, num_sounds=num_sounds,
                                             timeout=timeout_field)
                await self._send(p.BROADCAST, ind)
                await _sleep(interval)
        if MNBC_SOUND not in v.skip:
            for countdown in range(num_sounds - 1, -1, -1):
                now = time.monotonic()
                r.timestamps.setdefault(f"{MNBC_SOUND}.first", now)
                atten_deadline = atten_deadline or now + self.t.seconds("tt_ev_atten_results")
                await self._send(p.BROADCAST, p.mnbc_sound_ind(self._id(MNBC_SOUND), countdown))
                r.timestamps[f"{MNBC_SOUND}.last"] = time.monotonic()
                if countdown:
                    await _sleep(interval)
        if atten_deadline is None:
            atten_deadline = time.monotonic() + self.t.seconds("tt_ev_atten_results")

        # CM_ATTEN_CHAR.IND within TT_EV_atten_results of the first CM_START_ATTEN_CHAR.IND
        seen = len(r.ignored)
        ind = await self.ch.expect(self._accept(p.MMTYPE_ATTEN_CHAR_IND, "CM_ATTEN_CHAR.IND"), atten_deadline,
                                   r.ignored)
        if ind is None:
            raise _Failed(ATTEN_CHAR, "TT_EV_atten_results",
                          f"{ATTEN_CHAR}: no CM_ATTEN_CHAR.IND with RunID {r.run_id.hex()} within "
                          f"{self.t.describe('tt_ev_atten_results')} of the first CM_START_ATTEN_CHAR.IND. "
                          + self._ignored_since(seen))
        self._stamp(f"{ATTEN_CHAR}.ind")
        r.attenuation_profile = p.profile_of(ind)
        r.num_sounds = int(ind[p.CM_ATTEN_CHAR_IND].NumberOfSounds)
        avg = r.average_attenuation_db
        limit = self.ev.max_attenuation_db
        refused = limit is not None and (avg is None or avg > limit)
        if ATTEN_CHAR_RSP not in v.skip:
            await self._send(r.evse_mac, p.atten_char_rsp(self._id(ATTEN_CHAR_RSP), r.ev_mac,
                                                          result=1 if refused else p.RESULT_SUCCESS))
            self._stamp(f"{ATTEN_CHAR_RSP}")
        if refused:
            raise _Failed(ATTEN_CHAR, None, f"{ATTEN_CHAR}: average attenuation {avg} dB over "
                          f"{len(r.attenuation_profile)} groups exceeds the EV's limit {limit} dB")

        if self.ev.validate and VALIDATE not in v.skip:
            seen = len(r.ignored)
            self.r.attempts[VALIDATE] = 1
            self._stamp(f"{VALIDATE}.req")
            await self._send(r.evse_mac, p.validate_req(timer=0, result=p.VALIDATE_READY))
            accept = self._accept(p.MMTYPE_VALIDATE_CNF, "CM_VALIDATE.CNF", check_run_id=False)
            vcnf = await self.ch.expect(accept, time.monotonic() + self.t.seconds("tt_match_response"),
                                        r.ignored)
            if vcnf is None:
                raise _Failed(VALIDATE, "TT_match_response",
                              f"{VALIDATE}: no CM_VALIDATE.CNF within "
                              f"{self.t.describe('tt_match_response')}. " + self._ignored_since(seen))
            self._stamp(f"{VALIDATE}.cnf")
            r.validation = int(vcnf[p.CM_VALIDATE_CNF].Result)

        if SLAC_MATCH in v.skip:
            raise _Failed(SLAC_MATCH, None, f"{SLAC_MATCH}: skipped on purpose (violation)")
        match = p.slac_match_req(self._id(SLAC_MATCH), r.ev_mac, r.evse_mac, pev_id=self.ev.pev_id)
        cnf = await self._request(SLAC_MATCH, r.evse_mac, match, p.MMTYPE_SLAC_MATCH_CNF, "CM_SLAC_MATCH.CNF")
        mvf = cnf[p.SLAC_varfield_cnf]
        r.nid, r.nmk = bytes(mvf.NetworkID), bytes(mvf.NMK)
        if r.ev_mac != mvf.EVMAC:
            raise _Failed(SLAC_MATCH, None, f"{SLAC_MATCH}: CM_SLAC_MATCH.CNF names EV MAC {mvf.EVMAC}, "
                          f"not ours ({r.ev_mac})")

        # CM_SET_KEY to the own modem: it joins the EVSE's AVLN within TT_match_join (ISO 15118-3 A.8)
        if SET_KEY in v.skip:
            raise _Failed(SET_KEY, None, f"{SET_KEY}: skipped on purpose (violation); keys received")
        seen = len(r.ignored)
        self._stamp(f"{SET_KEY}.req")
        await self._send(self.ev.modem_mac, p.set_key_req(r.nid, r.nmk))
        kcnf = await self.ch.expect(self._accept(p.MMTYPE_SET_KEY_CNF, "CM_SET_KEY.CNF", check_run_id=False),
                                    time.monotonic() + self.t.seconds("tt_match_response"), r.ignored)
        if kcnf is None:
            raise _Failed(SET_KEY, "TT_match_response",
                          f"{SET_KEY}: the EV's modem ({self.ev.modem_mac}) sent no CM_SET_KEY.CNF within "
                          f"{self.t.describe('tt_match_response')}. " + self._ignored_since(seen))
        if int(kcnf[p.CM_SET_KEY_CNF].Result) != p.RESULT_SUCCESS:
            raise _Failed(SET_KEY, None, f"{SET_KEY}: the modem refused the NMK (result "
                          f"{int(kcnf[p.CM_SET_KEY_CNF].Result)})")
        self._stamp(f"{SET_KEY}.cnf")
        self._stamp("matched")


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)
