"""OCTT Core, block C with the Authorization Cache (AuthCacheCtrlr), Charging Station side.

OCPP 2.0.1 Part 2: C10 (Store Authorization Data in the Authorization Cache), C11 (Clear
Authorization Data in Authorization Cache), C12 (Start Transaction - Cache) and C09
(Authorization by GroupId) with the cache. What the cache holds is observed through behaviour:
with AuthCtrlr.LocalPreAuthorize a token the cache holds as Accepted starts charging without
an AuthorizeRequest (C12.FR.02); a token it holds as not Accepted is sent to the CSMS in an
AuthorizeRequest first (C10.FR.03, C12.FR.05); a token it does not hold needs the CSMS too.

Each case starts from an empty cache (ClearCache) and decides what the CSMS answers for each
token, so the cache is primed through the protocol. The baseline restores the AuthCtrlr and
AuthCacheCtrlr.Enabled variables; the ``cache`` fixture restores the others it may change.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, Message, StationSession, dig
from suites.ocpp201.provisioning import reboot_within
from suites.ocpp201.support import first_connector, id_token, variable_ref
from suites.ocpp201.transactions import (
    ENERGY_REGISTER,
    applied,
    check_stop,
    stop_remotely,
    try_set,
    tx_of,
)

# C-49 AuthCacheCtrlr available; C-30/31/32 some local authorization (here: LocalPreAuthorize).
pytestmark = [pytest.mark.requires("AuthorizationCache", "LocalAuthorization")]

GROUP = {"idToken": "OCTTGROUP01", "type": "Central"}
# Variables the baseline does not restore: put back as found after each case.
RESTORED = (("AuthCacheCtrlr", "LifeTime"), ("AuthCacheCtrlr", "DisablePostAuthorize"),
            ("TxCtrlr", "MaxEnergyOnInvalidId"))


class Answers:
    """What the CSMS answers in AuthorizeResponse and TransactionEventResponse per idToken
    (the same IdTokenInfo in both, as a consistent CSMS would); other tokens as by default."""

    def __init__(self, station: StationSession) -> None:
        self.infos: dict[str, dict[str, Any]] = {}
        self._authorize = station.responders["Authorize"]
        self._tx = station.responders["TransactionEvent"]
        station.respond("Authorize", self.authorize)
        station.respond("TransactionEvent", self.transaction_event)

    def say(self, token: dict[str, str], status: str, group: dict[str, str] | None = None) -> None:
        info: dict[str, Any] = {"status": status}
        if group is not None:
            info["groupIdToken"] = group
        self.infos[token["idToken"].lower()] = info

    def _info(self, msg: Message) -> dict[str, Any] | None:
        return self.infos.get(str(dig(msg.payload, "idToken.idToken") or "").lower())

    def authorize(self, session: StationSession, msg: Message) -> Any:
        info = self._info(msg)
        return {"idTokenInfo": dict(info)} if info else self._authorize(session, msg)

    def transaction_event(self, session: StationSession, msg: Message) -> Any:
        info = self._info(msg)
        return {"idTokenInfo": dict(info)} if info else self._tx(session, msg)


class Cache:
    """The station under test with its cache, and what the bench does to exercise it."""

    def __init__(self, station: StationSession, operator: Any, bench: Bench) -> None:
        self.station = station
        self.operator = operator
        self.bench = bench
        self.csms = Answers(station)
        self.evse, self.connector = first_connector(bench)

    async def clear(self, expect: str = "Accepted", why: str = "") -> None:
        reply = await self.station.call("ClearCache", {})
        assert reply["status"] == expect, (
            f"ClearCache{why}: expected {expect}, the station answered {reply['status']}")

    async def badge(self, token: dict[str, str], *, plug: bool = True) -> int:
        """The EV plugs in (unless ``plug`` is false) and the driver presents ``token``.
        Returns the journal mark from before."""
        mark = self.station.journal.mark()
        if plug:
            await self.operator.plug_in(self.evse, self.connector)
        await self.operator.present_id_token(token["idToken"], token["type"], self.evse)
        return mark

    def authorize_sent(self, token: dict[str, str], mark: int) -> list[Any]:
        return [e for e in self.station.received(mark)
                if e.action == "Authorize" and token_is(token)(e.payload or {})]

    async def expect_authorize(self, token: dict[str, str], mark: int, situation: str) -> None:
        try:
            await self.station.expect("Authorize", token_is(token), since=mark)
        except ExpectTimeout as exc:
            raise AssertionError(f"{situation}: the station must ask the CSMS (AuthorizeRequest "
                                 f"for {token['idToken']}) before deciding.\n{exc}") from None

    def check_no_authorize(self, token: dict[str, str], mark: int, situation: str) -> None:
        sent = self.authorize_sent(token, mark)
        assert not sent, (
            f"{situation}: the cache holds {token['idToken']} as Accepted and LocalPreAuthorize "
            "is true, so the station must start without an AuthorizeRequest (C12.FR.02); it "
            "sent:\n  " + "\n  ".join(e.describe() for e in sent))

    async def expect_session(self, token: dict[str, str], mark: int, situation: str,
                             within: float | None = None) -> Message:
        """The TransactionEvent carrying ``token`` (C12.FR.04): charging on it was authorized."""
        try:
            return await self.station.expect("TransactionEvent", token_is(token), since=mark,
                                             within=within)
        except ExpectTimeout as exc:
            raise AssertionError(f"{situation}: the station must start charging on "
                                 f"{token['idToken']} (a TransactionEvent with that idToken)."
                                 f"\n{exc}") from None

    async def expect_no_session(self, token: dict[str, str], mark: int, situation: str) -> None:
        """``token`` is refused: no TransactionEvent carries it; the EV leaves."""
        await self.station.expect_none("TransactionEvent", token_is(token), since=mark,
                                       within=self.bench.csms.quiet_period)
        await self.operator.unplug(self.evse, self.connector)
        charged = [e for e in self.station.received(mark)
                   if e.action == "TransactionEvent" and token_is(token)(e.payload or {})]
        assert not charged, (f"{situation}: {token['idToken']} must not be authorized, yet the "
                             f"station charged on it:\n  {charged[0].describe()}")

    async def end(self, event: Message) -> Message:
        """Stop the transaction remotely, the EV leaves; returns the Ended event."""
        transaction = str(event["transactionInfo"]["transactionId"])
        stopped = await stop_remotely(self.station, transaction)
        await self.operator.unplug(self.evse, self.connector)
        if stopped["eventType"] == "Ended":
            return stopped
        return await self.station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"})

    async def prime(self, token: dict[str, str], status: str,
                    group: dict[str, str] | None = None) -> None:
        """Put ``token`` into the cache with ``status``: a session on it the CSMS answers
        with that IdTokenInfo (C10.FR.01). The cache must not hold it yet."""
        self.csms.say(token, status, group)
        mark = await self.badge(token)
        situation = f"{token['idToken']} not in the cache, the CSMS answers {status}"
        await self.expect_authorize(token, mark, situation)
        if status == "Accepted":
            await self.end(await self.expect_session(token, mark, situation))
        else:
            await self.expect_no_session(token, mark, situation)

    async def charge_from_cache(self, token: dict[str, str], situation: str) -> Message:
        """Badge a token the cache holds as Accepted: charging starts without Authorize."""
        mark = await self.badge(token)
        started = await self.expect_session(token, mark, situation)
        self.check_no_authorize(token, mark, situation)
        return started


def token_is(token: dict[str, str]) -> Any:
    def pred(p: dict[str, Any]) -> bool:
        return str(dig(p, "idToken.idToken") or "").lower() == token["idToken"].lower()
    pred.__doc__ = f"for idToken {token['idToken']}"
    return pred


async def read_variable(station: StationSession, component: str, variable: str) -> str | None:
    """The Actual value, or None when the station does not have the variable."""
    reply = await station.call("GetVariables", {"getVariableData": [
        variable_ref(component, variable)]})
    result = reply["getVariableResult"][0]
    if result["attributeStatus"] != "Accepted":
        return None
    return str(result.get("attributeValue", ""))


@pytest_asyncio.fixture
async def cache(station: StationSession, operator: Any, bench: Bench) -> AsyncIterator[Cache]:
    """AuthCacheCtrlr.Enabled and AuthCtrlr.LocalPreAuthorize true, an empty cache; afterwards
    an empty cache again (what a case cached must not pre-authorize in later cases), and
    LifeTime, DisablePostAuthorize and MaxEnergyOnInvalidId as they were."""
    if not applied(await try_set(station, "AuthCacheCtrlr", "Enabled", "true")):
        pytest.skip("AuthCacheCtrlr.Enabled cannot be set to true")
    if not applied(await try_set(station, "AuthCtrlr", "LocalPreAuthorize", "true")):
        pytest.skip("AuthCtrlr.LocalPreAuthorize cannot be set to true")
    found = {(c, v): await read_variable(station, c, v) for c, v in RESTORED}
    c = Cache(station, operator, bench)
    await c.clear(why=" (an empty cache to start from)")
    try:
        yield c
    finally:
        with contextlib.suppress(Exception):
            await station.wait_connected()
            await try_set(station, "AuthCacheCtrlr", "Enabled", "true")
            await station.call("ClearCache", {})
            for (component, variable), value in found.items():
                if value is not None:
                    await try_set(station, component, variable, value)


def register_wh(event: Message) -> float | None:
    """The energy register in an event's meter values, in Wh (None: not reported)."""
    for mv in event.get("meterValue") or []:
        for sv in mv.get("sampledValue", []):
            if sv.get("measurand", ENERGY_REGISTER) == ENERGY_REGISTER and sv.get("phase") is None:
                unit = dig(sv, "unitOfMeasure.unit") or "Wh"
                scale = 10 ** int(dig(sv, "unitOfMeasure.multiplier") or 0)
                return float(sv["value"]) * scale * (1000.0 if unit == "kWh" else 1.0)
    return None


# ---- C12 Start Transaction - Cache --------------------------------------------------------------
@pytest.mark.octt("TC_C_08_CS")
async def test_cache_accepted(station, cache, bench):
    """Authorization through authorization cache - Accepted.

    A token the cache holds as Accepted (from an earlier AuthorizeResponse) starts charging at
    once, without an AuthorizeRequest; the TransactionEvent carries the idToken.

    Requirements: C12.FR.02, C12.FR.04.
    """
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    started = await cache.charge_from_cache(token, "valid cached as Accepted")
    await cache.end(started)


async def not_accepted_case(cache: Cache, bench: Bench, cached: str, answer: str) -> None:
    """The cache holds valid as ``cached``: badged again, the station asks the CSMS
    (C10.FR.03, C12.FR.05), which now answers ``answer``."""
    token = id_token(bench, "valid")
    await cache.prime(token, cached)
    cache.csms.say(token, answer)
    mark = await cache.badge(token)
    situation = f"valid cached as {cached}, the CSMS now answers {answer}"
    await cache.expect_authorize(token, mark, situation + " (C12.FR.05)")
    if answer == "Accepted":
        await cache.end(await cache.expect_session(token, mark, situation))
    else:
        await cache.expect_no_session(token, mark, situation)


@pytest.mark.octt("TC_C_09_CS")
async def test_cache_invalid_not_accepted(cache, bench):
    """Authorization through authorization cache - Invalid & Not Accepted.

    A token the cache holds as Invalid is not refused from the cache: the station asks the
    CSMS, and with Invalid again does not charge.

    Requirements: C12.FR.05, C10.FR.03.
    """
    await not_accepted_case(cache, bench, "Invalid", "Invalid")


@pytest.mark.octt("TC_C_10_CS")
async def test_cache_restricted(cache, bench):
    """Authorization through authorization cache - Restricted.

    A token the cache holds as Blocked: the station asks the CSMS, Blocked again, no charging.

    Requirements: C12.FR.05, C10.FR.03.
    """
    await not_accepted_case(cache, bench, "Blocked", "Blocked")


@pytest.mark.octt("TC_C_11_CS")
async def test_cache_expired(cache, bench):
    """Authorization through authorization cache - Expired.

    A token the cache holds as Expired: the station asks the CSMS, Expired again, no charging.

    Requirements: C12.FR.05, C10.FR.03.
    """
    await not_accepted_case(cache, bench, "Expired", "Expired")


@pytest.mark.octt("TC_C_12_CS")
async def test_cache_invalid_accepted(cache, bench):
    """Authorization through authorization cache - Invalid & Accepted.

    A token the cache holds as Invalid that the CSMS now accepts charges: the cached status is
    not final, the CSMS's answer decides.

    Requirements: C12.FR.05, C10.FR.03.
    """
    await not_accepted_case(cache, bench, "Invalid", "Accepted")


@pytest.mark.octt("TC_C_13_CS")
async def test_cache_accepted_cable_later(station, cache, bench):
    """Authorization through authorization cache - Accepted but cable not connected yet.

    The driver badges a token the cache holds as Accepted before plugging in: no
    AuthorizeRequest; once the EV is plugged in the station charges on that token.

    Requirements: C12.FR.02, C12.FR.04.
    """
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    mark = await cache.badge(token, plug=False)
    await station.expect_none("Authorize", token_is(token), since=mark,
                              within=bench.csms.quiet_period)
    await cache.operator.plug_in(cache.evse, cache.connector)
    situation = "valid cached as Accepted, badged before the cable was connected"
    started = await cache.expect_session(token, mark, situation)
    cache.check_no_authorize(token, mark, situation)
    await cache.end(started)


async def invalid_in_transaction(station: StationSession, cache: Cache, bench: Bench, *,
                                 stop: bool, max_energy: int | None) -> tuple[Message, str]:
    """valid is cached as Accepted; the station starts on it from the cache and the CSMS
    answers the TransactionEvent with Invalid. Returns the Started event and the situation."""
    await try_set(station, "TxCtrlr", "StopTxOnInvalidId", "true" if stop else "false")
    if max_energy is not None:
        if not applied(await try_set(station, "TxCtrlr", "MaxEnergyOnInvalidId",
                                     str(max_energy))):
            pytest.skip(f"TxCtrlr.MaxEnergyOnInvalidId cannot be set to {max_energy}")
    else:  # without the variable, the station has no MaxEnergyOnInvalidId: nothing to set
        await try_set(station, "TxCtrlr", "MaxEnergyOnInvalidId", "0")
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    cache.csms.say(token, "Invalid")
    situation = (f"StopTxOnInvalidId {str(stop).lower()}"
                 + (f", MaxEnergyOnInvalidId {max_energy} Wh" if max_energy else "")
                 + ": the CSMS answered the TransactionEvent of the cached token with Invalid")
    started = await cache.charge_from_cache(token, "valid cached as Accepted")
    return started, situation


async def expect_deauthorized_stop(station: StationSession, started: Message,
                                   situation: str) -> None:
    transaction = tx_of(started.payload)
    try:
        ended = await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"})
    except ExpectTimeout as exc:
        raise AssertionError(f"{situation}: the station must end the transaction at once "
                             f"(Deauthorized).\n{exc}") from None
    check_stop(ended, "Deauthorized", "DeAuthorized", situation)


async def expect_energy_withheld(station: StationSession, bench: Bench, started: Message,
                                 situation: str, within: float) -> Message:
    """The transaction goes on without energy (SuspendedEVSE), it does not end."""
    transaction = tx_of(started.payload)
    try:
        suspended = await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction,
            "transactionInfo.chargingState": "SuspendedEVSE"}, within=within)
    except ExpectTimeout as exc:
        raise AssertionError(f"{situation}: the station must stop the energy transfer "
                             f"(chargingState SuspendedEVSE) and keep the transaction.\n{exc}"
                             ) from None
    ended = [e for e in station.received(started.seq) if e.action == "TransactionEvent"
             and tx_of(e.payload or {}) == transaction
             and (e.payload or {}).get("eventType") == "Ended"]
    assert not ended, (f"{situation}: the transaction must go on (StopTxOnInvalidId false), "
                       f"the station ended it:\n  {ended[0].describe()}")
    await station.expect_none("TransactionEvent", {
        "transactionInfo.transactionId": transaction, "eventType": "Ended"},
        within=bench.csms.quiet_period)
    return suspended


@pytest.mark.octt("TC_C_15_CS")
@pytest.mark.requires("MaxEnergyOnInvalidId")  # C-03
async def test_cache_invalid_max_energy(station, cache, bench):
    """Authorization through authorization cache - StopTxOnInvalidId = false,
    MaxEnergyOnInvalidId > 0.

    The CSMS answers Invalid for a transaction started from the cache: the station keeps
    delivering energy up to MaxEnergyOnInvalidId, then suspends it (SuspendedEVSE) without
    ending the transaction. The register at the end shows that about that much was delivered.

    Requirements: C12.FR.02, C12.FR.04 (E05, TxCtrlr.MaxEnergyOnInvalidId).
    """
    max_energy = 20
    started, situation = await invalid_in_transaction(station, cache, bench, stop=False,
                                                      max_energy=max_energy)
    # 20 Wh flow within 20 s from 3.6 kW on.
    await expect_energy_withheld(station, bench, started, situation,
                                 within=bench.csms.message_timeout + 20)
    ended = await cache.end(started)
    begin, end = register_wh(started), register_wh(ended)
    assert begin is not None and end is not None, (
        f"{situation}: the Started and Ended events must carry {ENERGY_REGISTER} "
        f"(TxStartedMeasurands, TxEndedMeasurands) to check MaxEnergyOnInvalidId; "
        f"Started {begin}, Ended {end}")
    delivered = end - begin
    assert delivered >= 0.9 * max_energy, (
        f"{situation}: the station must go on delivering up to MaxEnergyOnInvalidId "
        f"({max_energy} Wh) before suspending; it delivered {delivered:.1f} Wh in the whole "
        "transaction")
    assert delivered <= 2 * max_energy + 5, (
        f"{situation}: after MaxEnergyOnInvalidId ({max_energy} Wh) the energy transfer must "
        f"stop; the transaction delivered {delivered:.1f} Wh")


@pytest.mark.octt("TC_C_16_CS")
async def test_cache_invalid_stop(station, cache, bench):
    """Authorization through authorization cache - StopTxOnInvalidId = true.

    The CSMS answers Invalid for a transaction started from the cache: the station ends it
    (triggerReason Deauthorized, stoppedReason DeAuthorized).

    Requirements: C12.FR.02, C12.FR.04 (E05, TxCtrlr.StopTxOnInvalidId).
    """
    started, situation = await invalid_in_transaction(station, cache, bench, stop=True,
                                                      max_energy=None)
    await expect_deauthorized_stop(station, started, situation)
    await cache.operator.unplug(cache.evse, cache.connector)


@pytest.mark.octt("TC_C_17_CS")
async def test_cache_invalid_no_stop(station, cache, bench):
    """Authorization through authorization cache - StopTxOnInvalidId = false.

    The CSMS answers Invalid for a transaction started from the cache: the station stops the
    energy transfer (SuspendedEVSE) and keeps the transaction.

    Requirements: C12.FR.02, C12.FR.04 (E05, TxCtrlr.StopTxOnInvalidId).
    """
    started, situation = await invalid_in_transaction(station, cache, bench, stop=False,
                                                      max_energy=None)
    await expect_energy_withheld(station, bench, started, situation,
                                 within=bench.csms.message_timeout)
    await cache.end(started)


@pytest.mark.octt("TC_C_18_CS")
@pytest.mark.requires("MaxEnergyOnInvalidId")  # C-03
async def test_cache_invalid_stop_max_energy(station, cache, bench):
    """Authorization through authorization cache - StopTxOnInvalidId = true,
    MaxEnergyOnInvalidId > 0.

    StopTxOnInvalidId true wins over MaxEnergyOnInvalidId: the transaction ends at once
    (Deauthorized), not after delivering MaxEnergyOnInvalidId.

    Requirements: C12.FR.02, C12.FR.04 (E05, TxCtrlr.MaxEnergyOnInvalidId).
    """
    started, situation = await invalid_in_transaction(station, cache, bench, stop=True,
                                                      max_energy=100_000)
    await expect_deauthorized_stop(station, started, situation)
    await cache.operator.unplug(cache.evse, cache.connector)


@pytest.mark.octt("TC_C_57_CS")
@pytest.mark.requires("AuthCacheDisablePostAuthorize")  # C-59
async def test_cache_disable_post_authorize(station, cache, bench):
    """Authorization through authorization cache - AuthCacheDisablePostAuthorize.

    With AuthCacheCtrlr.DisablePostAuthorize true, a token the cache holds as Invalid is
    refused from the cache: no AuthorizeRequest (though the CSMS would now accept it).

    Requirements: C12.FR.05, C10.FR.03 (AuthCacheCtrlr.DisablePostAuthorize).
    """
    if not applied(await try_set(station, "AuthCacheCtrlr", "DisablePostAuthorize", "true")):
        pytest.skip("AuthCacheCtrlr.DisablePostAuthorize cannot be set to true")
    token = id_token(bench, "valid")
    await cache.prime(token, "Invalid")
    cache.csms.say(token, "Accepted")
    mark = await cache.badge(token)
    situation = "valid cached as Invalid with AuthCacheCtrlr.DisablePostAuthorize true"
    await cache.expect_no_session(token, mark, situation)
    sent = cache.authorize_sent(token, mark)
    assert not sent, (f"{situation}: the station must refuse it from the cache without an "
                      f"AuthorizeRequest; it sent:\n  {sent[0].describe()}")


# ---- C10 Store Authorization Data in the Authorization Cache ------------------------------------
@pytest.mark.octt("TC_C_32_CS")
async def test_cache_persistent_over_reboot(station, operator, cache, bench):
    """Store Authorization Data in the Authorization Cache - Persistent over reboot.

    A token cached as Accepted before a power cycle is still in the cache after it: it
    starts charging without an AuthorizeRequest.

    Requirements: C10.FR.02.
    """
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    mark = station.journal.mark()
    await operator.power_cycle()
    await station.expect("BootNotification", since=mark, within=reboot_within(bench))
    await station.expect("StatusNotification", since=mark, within=reboot_within(bench))
    started = await cache.charge_from_cache(token, "valid cached as Accepted before a reboot "
                                            "(the cache is non-volatile, C10.FR.02)")
    await cache.end(started)


@pytest.mark.octt("TC_C_33_CS")
async def test_cache_updated_on_authorize(station, cache, bench):
    """Store Authorization Data in the Authorization Cache - Update on AuthorizeResponse.

    A token cached as Accepted is sent in an AuthorizeRequest (LocalPreAuthorize off for the
    moment) and the CSMS now answers Blocked: the cache entry is updated. With
    LocalPreAuthorize again the station does not start from the cache but asks the CSMS.

    Requirements: C10.FR.04, C12.FR.06.
    """
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    if not applied(await try_set(station, "AuthCtrlr", "LocalPreAuthorize", "false")):
        pytest.skip("AuthCtrlr.LocalPreAuthorize cannot be set to false")
    cache.csms.say(token, "Blocked")
    mark = await cache.badge(token)
    situation = "valid cached as Accepted, LocalPreAuthorize false, the CSMS answers Blocked"
    await cache.expect_authorize(token, mark, situation)
    await cache.expect_no_session(token, mark, situation)
    await try_set(station, "AuthCtrlr", "LocalPreAuthorize", "true")
    mark = await cache.badge(token)
    situation = ("valid: the AuthorizeResponse Blocked must have replaced Accepted in the cache "
                 "(C10.FR.04)")
    await cache.expect_authorize(token, mark, situation)
    await cache.expect_no_session(token, mark, situation)


@pytest.mark.octt("TC_C_34_CS")
async def test_cache_updated_on_transaction_event(station, cache, bench):
    """Store Authorization Data in the Authorization Cache - Update on TransactionResponse.

    A token cached as Accepted starts from the cache; the CSMS answers its TransactionEvent
    with Blocked. The cache entry is updated: badged again, the station asks the CSMS
    (AuthorizeRequest) instead of starting from the cache, and with Blocked does not charge.

    Requirements: C10.FR.05, C12.FR.06.
    """
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    await try_set(station, "TxCtrlr", "StopTxOnInvalidId", "true")  # ends the session
    cache.csms.say(token, "Blocked")
    started = await cache.charge_from_cache(token, "valid cached as Accepted")
    await expect_deauthorized_stop(station, started, "the CSMS answered the TransactionEvent "
                                   "with Blocked, StopTxOnInvalidId true")
    await cache.operator.unplug(cache.evse, cache.connector)
    mark = await cache.badge(token)
    situation = ("valid: the CSMS answered its TransactionEvent with Blocked, which must "
                 "replace Accepted in the cache (C10.FR.05)")
    await cache.expect_authorize(token, mark, situation)
    await cache.expect_no_session(token, mark, situation)


@pytest.mark.octt("TC_C_36_CS")
async def test_cache_without_local_pre_authorize(station, cache, bench):
    """Store Authorization Data in the Authorization Cache - AuthCtrlr.LocalPreAuthorize =
    false.

    Without LocalPreAuthorize, a token the cache holds as Accepted is still sent in an
    AuthorizeRequest, and charging on it waits for the answer.

    Requirements: C10.FR.11.
    """
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    if not applied(await try_set(station, "AuthCtrlr", "LocalPreAuthorize", "false")):
        pytest.skip("AuthCtrlr.LocalPreAuthorize cannot be set to false")
    mark = await cache.badge(token)
    situation = "valid cached as Accepted, LocalPreAuthorize false"
    started = await cache.expect_session(token, mark, situation)
    sent = cache.authorize_sent(token, mark)
    await cache.end(started)
    assert sent and sent[0].seq < started.seq, (
        f"{situation}: the station must send an AuthorizeRequest and wait for it before "
        f"charging (C10.FR.11); "
        + (f"it sent it after the TransactionEvent:\n  {sent[0].describe()}" if sent
           else "it sent none"))


@pytest.mark.octt("TC_C_46_CS")
@pytest.mark.requires("AuthCacheLifeTime")  # C-53
async def test_cache_lifetime(station, cache, bench):
    """Store Authorization Data in the Authorization Cache - AuthCacheLifeTime.

    An entry not used for AuthCacheCtrlr.LifeTime seconds is removed: the token needs an
    AuthorizeRequest again.

    Requirements: C10.FR.08.
    """
    lifetime = 2
    if not applied(await try_set(station, "AuthCacheCtrlr", "LifeTime", str(lifetime))):
        pytest.skip(f"AuthCacheCtrlr.LifeTime cannot be set to {lifetime}")
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    # The entry ages: the station has nothing to do meanwhile.
    await station.expect_none("Authorize", within=lifetime + 1)
    mark = await cache.badge(token)
    situation = f"valid cached as Accepted, unused for more than LifeTime = {lifetime} s"
    started = await cache.expect_session(token, mark, situation)
    sent = cache.authorize_sent(token, mark)
    await cache.end(started)
    assert sent, (f"{situation}: the entry must have been removed (C10.FR.08), so the station "
                  "must send an AuthorizeRequest; it started from the cache")


# ---- C11 Clear Authorization Data in Authorization Cache ----------------------------------------
@pytest.mark.octt("TC_C_37_CS")
async def test_clear_cache_accepted(station, cache, bench):
    """Clear Authorization Data in Authorization Cache - Accepted.

    ClearCache is Accepted and empties the cache: a token cached as Accepted needs an
    AuthorizeRequest again.

    Requirements: C11.FR.01, C11.FR.02, C11.FR.03.
    """
    token = id_token(bench, "valid")
    await cache.prime(token, "Accepted")
    await cache.clear(why=" with the cache enabled (C11.FR.03)")
    mark = await cache.badge(token)
    situation = "valid was cached as Accepted, then ClearCache"
    started = await cache.expect_session(token, mark, situation)
    sent = cache.authorize_sent(token, mark)
    await cache.end(started)
    assert sent, (f"{situation}: the cache must be empty (C11.FR.03), so the station must send "
                  "an AuthorizeRequest; it started from the cache")


@pytest.mark.octt("TC_C_38_CS")
async def test_clear_cache_rejected(station, cache, bench):
    """Clear Authorization Data in Authorization Cache - Rejected.

    With AuthCacheCtrlr.Enabled false there is no cache to clear: ClearCache is Rejected.

    Requirements: C11.FR.01, C11.FR.02, C11.FR.04.
    """
    if not applied(await try_set(station, "AuthCacheCtrlr", "Enabled", "false")):
        pytest.skip("AuthCacheCtrlr.Enabled cannot be set to false")
    await cache.clear("Rejected", why=" with AuthCacheCtrlr.Enabled false (C11.FR.04)")


# ---- C09 Authorization by GroupId with the cache -----------------------------------------------
async def group_case(station: StationSession, cache: Cache, bench: Bench, status: str) -> None:
    """valid2 is cached as ``status`` with the group of valid, which charges; valid2 badged."""
    other = id_token(bench, "valid2")
    token = id_token(bench, "valid")
    await cache.prime(other, status, GROUP)
    cache.csms.say(token, "Accepted", GROUP)
    mark = await cache.badge(token)
    started = await cache.expect_session(token, mark, "valid, group OCTTGROUP01")
    transaction = tx_of(started.payload)
    mark = station.journal.mark()
    await cache.operator.present_id_token(other["idToken"], other["type"], cache.evse)
    situation = f"valid2 of the same group, cached as {status}, badged during valid's session"
    if status == "Accepted":
        try:
            ended = await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": transaction,
                "triggerReason": "StopAuthorized"}, since=mark)
        except ExpectTimeout as exc:
            raise AssertionError(f"{situation}: the station must stop the transaction "
                                 f"(triggerReason StopAuthorized, C09.FR.02).\n{exc}") from None
        sent = cache.authorize_sent(other, mark)
        assert not sent, (f"{situation}: the cache holds valid2 as Accepted with the group, so "
                          f"no AuthorizeRequest is needed (C09.FR.03); it sent:\n  "
                          f"{sent[0].describe()}")
        await cache.operator.unplug(cache.evse, cache.connector)
        if ended["eventType"] != "Ended":
            await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": transaction, "eventType": "Ended"})
        return
    await cache.expect_authorize(other, mark, situation + " (C10.FR.03)")
    await station.expect_none("TransactionEvent", {
        "transactionInfo.transactionId": transaction, "triggerReason": "StopAuthorized"},
        since=mark, within=bench.csms.quiet_period)
    stopped = [e for e in station.received(mark) if e.action == "TransactionEvent"
               and tx_of(e.payload or {}) == transaction
               and (e.payload or {}).get("eventType") == "Ended"]
    assert not stopped, (f"{situation}: only an Accepted idToken of the group may stop the "
                         f"transaction (C09.FR.07); the station ended it:\n  "
                         f"{stopped[0].describe()}")
    await cache.end(started)


@pytest.mark.octt("TC_C_41_CS")
async def test_group_id_cache_success(station, cache, bench):
    """Authorization by GroupId - Success with Authorization Cache.

    valid2, cached as Accepted with the groupIdToken of valid, stops valid's transaction
    from the cache, without an AuthorizeRequest.

    Requirements: C09.FR.02, C09.FR.03, C09.FR.07.
    """
    await group_case(station, cache, bench, "Accepted")


@pytest.mark.octt("TC_C_44_CS")
async def test_group_id_cache_invalid(station, cache, bench):
    """Authorization by GroupId - Invalid status with Authorization Cache.

    valid2, cached as Blocked with the groupIdToken of valid: the station asks the CSMS
    (Blocked again) and does not stop valid's transaction.

    Requirements: C09.FR.02, C09.FR.03, C09.FR.07.
    """
    await group_case(station, cache, bench, "Blocked")
