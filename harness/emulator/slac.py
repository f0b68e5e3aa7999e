"""The emulated charger's SLAC responder (ISO 15118-3 clause 9 / Annex A, EVSE side): answers one
EV's matching run on an L2 socket, with the standard's timers and switchable defects (quirks).

Quirks (names for the lead's quirk registry; each breaks one step the EV must catch):
``slac_timeout`` never answers CM_SLAC_PARM.REQ; ``slac_wrong_runid`` answers it with a RunID
other than the EV's; ``slac_slow_atten`` sends CM_ATTEN_CHAR.IND only after TT_EV_atten_results
has expired at the EV; ``slac_no_match`` never answers CM_SLAC_MATCH.REQ.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass

from scapy.layers.l2 import Ether
from scapy.packet import Packet

from harness.protocols import slac as p

QUIRKS: dict[str, str] = {
    "slac_timeout": "never answers CM_SLAC_PARM.REQ (the EV gives up after TT_match_response x retries)",
    "slac_wrong_runid": "answers CM_SLAC_PARM.REQ with a RunID other than the EV's",
    "slac_slow_atten": "sends CM_ATTEN_CHAR.IND after the EV's TT_EV_atten_results has expired",
    "slac_no_match": "never answers CM_SLAC_MATCH.REQ",
}

# states of one matching run, as the EVSE sees it (ISO 15118-3 Figure 11 "Unmatched/Matching/Matched")
IDLE = "idle"  # unmatched, waiting for CM_SLAC_PARM.REQ
WAIT_START_ATTEN = "wait_start_atten"  # CNF sent, waiting for CM_START_ATTEN_CHAR.IND
SOUNDING = "sounding"  # TT_EVSE_match_MNBC running, collecting CM_MNBC_SOUND.IND
ATTEN_DELAYED = "atten_delayed"  # quirk slac_slow_atten: holding CM_ATTEN_CHAR.IND back
WAIT_ATTEN_RSP = "wait_atten_rsp"  # CM_ATTEN_CHAR.IND sent, waiting for the EV's RSP
WAIT_MATCH = "wait_match"  # waiting for CM_VALIDATE.REQ / CM_SLAC_MATCH.REQ (TT_EVSE_match_session)
MATCHED = "matched"  # CM_SLAC_MATCH.CNF sent: the EV joins the EVSE's AVLN


@dataclass(frozen=True)
class EvseEvent:
    at: float  # time.monotonic()
    state: str
    text: str


class EvseSlac:
    """The charger's SLAC responder on one L2 socket (its PLC modem's host interface).

    ``nid``/``nmk`` are the EVSE's private network (7 and 16 bytes, see
    :func:`harness.protocols.slac.nid_from_nmk`); ``attenuation_db`` is what the emulated
    modem "measures" from the EV's sounds, one value or 58; ``validation`` is the CM_VALIDATE.CNF
    result (ISO 15118-3 A.9.4; default "not required": the EVSE does no BCB toggle validation).
    ``modem``: a :class:`~harness.protocols.slac.StubModem` to answer the EVSE's own
    CM_SET_KEY.REQ (emulated bench); None on a real modem.
    """

    def __init__(self, iface_socket: socket.socket, *, nid: bytes, nmk: bytes,
                 timing: p.SlacTiming | None = None, quirks: set[str] | frozenset[str] = frozenset(),
                 attenuation_db: float | Sequence[float] = 20.0, validation: int = p.VALIDATE_NOT_REQUIRED,
                 modem: p.StubModem | None = None, modem_mac: str = p.LOCAL_MODEM_MAC,
                 evse_id: bytes = b"\x00" * p.STATION_ID_LEN, mac: str | None = None) -> None:
        unknown = set(quirks) - set(QUIRKS)
        if unknown:
            raise ValueError(f"unknown SLAC quirks {sorted(unknown)}; known: {sorted(QUIRKS)}")
        self.sock = iface_socket
        if len(nid) != p.NID_LEN or len(nmk) != p.NMK_LEN:
            raise ValueError(f"NID must be {p.NID_LEN} bytes and NMK {p.NMK_LEN}, "
                             f"got {len(nid)} and {len(nmk)}")
        self.nid = bytes(nid)
        self.nmk = bytes(nmk)
        self.timing = timing or p.SlacTiming()
        self.quirks = set(quirks)
        self.profile = p.attenuation_profile(attenuation_db)
        self.validation = validation
        self.modem = modem
        self.modem_mac = modem_mac
        self.evse_id = evse_id
        self._mac = mac
        self.channel: p.FrameChannel | None = None
        self.state = IDLE
        self.events: list[EvseEvent] = []
        self.ignored: list[p.FrameRecord] = []
        self.failures: list[str] = []  # why each failed matching run failed, in order
        self.matched_ev: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._reset_session()

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def mac(self) -> str:
        return self.channel.mac if self.channel else (self._mac or "00:00:00:00:00:00")

    @property
    def frames(self) -> list[p.FrameRecord]:
        """Every frame this EVSE sent and received, in order."""
        return self.channel.records if self.channel else []

    async def start(self) -> None:
        """Program the own modem with the EVSE's NMK (ISO 15118-3 A.8), then listen for EVs."""
        self.channel = p.FrameChannel(self.sock, mac=self._mac)
        if self.modem is not None:
            self.channel.local.append(self.modem.handle)
        await self.channel.send(p.frame(self.mac, self.modem_mac, p.set_key_req(self.nid, self.nmk)))
        cnf = await self.channel.expect(lambda f: p.mmtype(f) == p.MMTYPE_SET_KEY_CNF,
                                        time.monotonic() + self.timing.seconds("tt_match_response"))
        self._log("modem keyed" if cnf is not None else "no CM_SET_KEY.CNF from the own modem (continuing)")
        self._task = asyncio.create_task(self._run(), name="evse-slac")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.channel is not None:
            self.channel.close()

    async def __aenter__(self) -> EvseSlac:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_state(self, state: str, timeout: float) -> bool:
        """Wait until the responder reaches ``state``; False when ``timeout`` s pass first."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self.state == state), timeout)
            except TimeoutError:
                return False
        return True

    async def wait_failure(self, timeout: float, *, since: int = 0) -> str | None:
        """Wait for failed matching run number ``since`` (0: the first) and return its reason;
        None when ``timeout`` s pass first. ``since=len(evse.failures)`` waits for a new one."""
        seen = since
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(self.failures) > seen), timeout)
            except TimeoutError:
                return None
        return self.failures[seen]

    # --- the state machine --------------------------------------------------------------------

    def _reset_session(self) -> None:
        self.run_id: bytes | None = None
        self.ev_mac: str | None = None
        self.num_sounds = p.NUM_SOUNDS
        self.sounds: set[int] = set()
        self.start_atten_count = 0
        self.atten_ind_sent = 0
        self.deadline: float | None = None
        self.first_start_atten_at: float | None = None

    def _log(self, text: str) -> None:
        self.events.append(EvseEvent(time.monotonic(), self.state, text))

    async def _set_state(self, state: str, deadline_s: float | None = None) -> None:
        self.state = state
        self.deadline = time.monotonic() + deadline_s if deadline_s is not None else None
        self._log(f"-> {state}")
        async with self._changed:
            self._changed.notify_all()

    async def _fail(self, reason: str) -> None:
        self.failures.append(reason)
        self._log(f"matching failed: {reason}")
        self._reset_session()
        await self._set_state(IDLE)

    def _ignore(self, pkt: Ether, reason: str) -> None:
        self.ignored.append(p.FrameRecord(time.monotonic(), time.time(), "rx", bytes(pkt), reason))
        self._log(f"ignored {p.summary(pkt)}: {reason}")

    async def _run(self) -> None:
        assert self.channel is not None
        while True:
            timeout = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
            pkt = await self.channel.recv(timeout)
            if pkt is None:
                await self._on_timer()
            else:
                await self._on_frame(pkt)

    async def _send(self, dst: str, mme: Packet) -> None:
        assert self.channel is not None
        await self.channel.send(p.frame(self.mac, dst, mme))

    async def _on_timer(self) -> None:
        if self.state == WAIT_START_ATTEN:
            await self._fail("no CM_START_ATTEN_CHAR.IND within " + self.timing.describe("tt_match_sequence")
                             + " of CM_SLAC_PARM.CNF")
        elif self.state == SOUNDING:
            if self.sounds:
                await self._send_atten_char()
            else:
                await self._fail("no CM_MNBC_SOUND.IND within " + self.timing.describe("tt_evse_match_mnbc"))
        elif self.state == ATTEN_DELAYED:
            await self._send_atten_char(delayed=True)
        elif self.state == WAIT_ATTEN_RSP:
            if self.atten_ind_sent <= self.timing.c_ev_match_retry:
                await self._send_atten_char()
            else:
                await self._fail(f"no CM_ATTEN_CHAR.RSP within {self.timing.describe('tt_match_response')} "
                                 f"after {self.atten_ind_sent} CM_ATTEN_CHAR.IND")
        elif self.state == WAIT_MATCH:
            await self._fail("no CM_SLAC_MATCH.REQ within " + self.timing.describe("tt_evse_match_session"))
        else:
            self.deadline = None

    async def _on_frame(self, pkt: Ether) -> None:
        kind = p.mmtype(pkt)
        if kind is None:
            return
        src = pkt[Ether].src
        if kind == p.MMTYPE_SLAC_PARM_REQ:
            await self._on_slac_parm_req(pkt, src)
            return
        if kind in (p.MMTYPE_SET_KEY_CNF, p.MMTYPE_SET_KEY_REQ):
            return  # the own modem's business
        if self.ev_mac is None:
            self._ignore(pkt, f"{p.mmtype_name(kind)} outside a matching run (no CM_SLAC_PARM.REQ yet)")
            return
        if src != self.ev_mac:
            self._ignore(pkt, f"from {src}, not the EV in this run ({self.ev_mac})")
            return
        run_id = p.run_id_of(pkt)
        if run_id is not None and run_id != self.run_id:
            # ISO 15118-3 A.9: messages of another run are not part of this one
            ours = self.run_id.hex() if self.run_id else "-"
            self._ignore(pkt, f"wrong RunID {run_id.hex()} (this run: {ours})")
            return
        if kind == p.MMTYPE_START_ATTEN_CHAR_IND:
            await self._on_start_atten(pkt)
        elif kind == p.MMTYPE_MNBC_SOUND_IND:
            await self._on_sound(pkt)
        elif kind == p.MMTYPE_ATTEN_CHAR_RSP:
            await self._on_atten_rsp(pkt)
        elif kind == p.MMTYPE_VALIDATE_REQ:
            await self._on_validate(pkt)
        elif kind == p.MMTYPE_SLAC_MATCH_REQ:
            await self._on_match_req(pkt)
        else:
            self._ignore(pkt, f"{p.mmtype_name(kind)} is not handled by the EVSE")

    async def _on_slac_parm_req(self, pkt: Ether, src: str) -> None:
        req = pkt[p.CM_SLAC_PARM_REQ]
        if req.ApplicationType != p.APPLICATION_TYPE_PEV_EVSE or req.SecurityType != p.SECURITY_TYPE_NONE:
            self._ignore(pkt, f"application type {req.ApplicationType} / security type {req.SecurityType} "
                              "not supported")
            return
        if self.ev_mac is not None and src != self.ev_mac and self.state != MATCHED:
            self._ignore(pkt, f"matching run with {self.ev_mac} in progress")
            return
        if "slac_timeout" in self.quirks:
            self._ignore(pkt, "quirk slac_timeout: CM_SLAC_PARM.REQ not answered")
            return
        # a new (or repeated) CM_SLAC_PARM.REQ starts the run over (EV retry, V2G3-A09-...)
        self._reset_session()
        self.run_id = bytes(req.RunID)
        self.ev_mac = src
        self.matched_ev = None
        answer_id = self.run_id
        if "slac_wrong_runid" in self.quirks:
            answer_id = bytes(b ^ 0xFF for b in self.run_id)
        await self._send(src, p.slac_parm_cnf(answer_id, src, num_sounds=p.NUM_SOUNDS,
                                              timeout=p.TIMEOUT_FIELD))
        await self._set_state(WAIT_START_ATTEN, self.timing.seconds("tt_match_sequence"))

    async def _on_start_atten(self, pkt: Ether) -> None:
        if self.state not in (WAIT_START_ATTEN, SOUNDING):
            self._ignore(pkt, f"CM_START_ATTEN_CHAR.IND in state {self.state}")
            return
        ind = pkt[p.CM_START_ATTEN_CHAR_IND]
        self.start_atten_count += 1
        if self.state == WAIT_START_ATTEN:
            self.num_sounds = int(ind.NumberOfSounds) or p.NUM_SOUNDS
            self.first_start_atten_at = time.monotonic()
            # TT_EVSE_match_MNBC: the timeout field says 6 x 100 ms; the timer is the standard's, scaled
            await self._set_state(SOUNDING, self.timing.seconds("tt_evse_match_mnbc"))

    async def _on_sound(self, pkt: Ether) -> None:
        if self.state != SOUNDING:
            self._ignore(pkt, f"CM_MNBC_SOUND.IND in state {self.state} (no CM_START_ATTEN_CHAR.IND first)")
            return
        self.sounds.add(int(pkt[p.CM_MNBC_SOUND_IND].Countdown))
        if len(self.sounds) >= self.num_sounds:
            await self._send_atten_char()

    async def _send_atten_char(self, *, delayed: bool = False) -> None:
        assert self.ev_mac is not None and self.run_id is not None
        if "slac_slow_atten" in self.quirks and not delayed and self.atten_ind_sent == 0:
            # hold the result until the EV's TT_EV_atten_results (from its first START_ATTEN) is over
            start = self.first_start_atten_at or time.monotonic()
            late = (start + self.timing.seconds("tt_ev_atten_results")
                    + self.timing.seconds("tt_match_response"))
            await self._set_state(ATTEN_DELAYED, max(0.0, late - time.monotonic()))
            return
        self.atten_ind_sent += 1
        await self._send(self.ev_mac, p.atten_char_ind(self.run_id, self.ev_mac, self.profile,
                                                       num_sounds=len(self.sounds)))
        await self._set_state(WAIT_ATTEN_RSP, self.timing.seconds("tt_match_response"))

    async def _on_atten_rsp(self, pkt: Ether) -> None:
        if self.state != WAIT_ATTEN_RSP:
            self._ignore(pkt, f"CM_ATTEN_CHAR.RSP in state {self.state}")
            return
        result = int(pkt[p.CM_ATTEN_CHAR_RSP].Result)
        if result != p.RESULT_SUCCESS:
            await self._fail(f"CM_ATTEN_CHAR.RSP result {result} (not success)")
            return
        await self._set_state(WAIT_MATCH, self.timing.seconds("tt_evse_match_session"))

    async def _on_validate(self, pkt: Ether) -> None:
        if self.state != WAIT_MATCH:
            self._ignore(pkt, f"CM_VALIDATE.REQ in state {self.state}")
            return
        assert self.ev_mac is not None
        await self._send(self.ev_mac, p.validate_cnf(result=self.validation))
        self._log(f"CM_VALIDATE.CNF result {p.VALIDATE_RESULTS.get(self.validation, self.validation)}")

    async def _on_match_req(self, pkt: Ether) -> None:
        if self.state not in (WAIT_MATCH, MATCHED):
            self._ignore(pkt, f"CM_SLAC_MATCH.REQ in state {self.state}")
            return
        if "slac_no_match" in self.quirks:
            self._ignore(pkt, "quirk slac_no_match: CM_SLAC_MATCH.REQ not answered")
            return
        mvf = pkt[p.SLAC_varfield]
        assert self.run_id is not None and self.ev_mac is not None
        await self._send(self.ev_mac, p.slac_match_cnf(self.run_id, self.ev_mac, self.mac, self.nid, self.nmk,
                                                       pev_id=bytes(mvf.EVID), evse_id=self.evse_id))
        self.matched_ev = self.ev_mac
        if self.state != MATCHED:
            await self._set_state(MATCHED)
