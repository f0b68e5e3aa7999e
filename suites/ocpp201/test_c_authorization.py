"""OCTT block C (and E) cases of authorization at the station's own reader, Charging Station side.

OCPP 2.0.1 Part 2: C01 (EV Driver Authorization using RFID), C09 (Authorization by GroupId),
C15 (Offline Authorization of unknown Id), C16 (Stop Transaction with a Master Pass), E07 /
E08 (stopping locally, also offline). The CSMS's verdict on each idToken is set per test with
``station.respond("Authorize", ...)``; every test leaves no transaction behind.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, Message, StationSession, UnexpectedMessage, dig
from suites.ocpp201.support import first_connector, id_token, start_charging, tx_id
from suites.ocpp201.transactions import applied, try_set

GROUP = {"idToken": "OCTTGROUP01", "type": "Central"}
OTHER_GROUP = {"idToken": "OCTTGROUP02", "type": "Central"}
MASTER_GROUP = {"idToken": "OCTTMASTERPASS", "type": "Central"}


# ---- helpers ----------------------------------------------------------------------------------
def token_is(token: dict[str, str]) -> Callable[[dict[str, Any]], bool]:
    def pred(p: dict[str, Any]) -> bool:
        return str(dig(p, "idToken.idToken") or "").lower() == token["idToken"].lower()
    pred.__doc__ = f"for idToken {token['idToken']}"
    return pred


def charging_on(token: dict[str, str]) -> Callable[[dict[str, Any]], bool]:
    """A TransactionEvent that carries ``token`` or reports chargingState Charging."""
    def pred(p: dict[str, Any]) -> bool:
        return token_is(token)(p) or dig(p, "transactionInfo.chargingState") == "Charging"
    pred.__doc__ = f"with idToken {token['idToken']} or chargingState Charging"
    return pred


def answers(verdicts: dict[str, dict[str, Any]]) -> Callable[[StationSession, Message],
                                                               dict[str, Any]]:
    """An Authorize responder: idToken -> IdTokenInfo; any other idToken is Invalid."""
    table = {k.lower(): v for k, v in verdicts.items()}

    def authorize(session: StationSession, m: Message) -> dict[str, Any]:
        key = str(dig(m.payload, "idToken.idToken") or "").lower()
        return {"idTokenInfo": table.get(key, {"status": "Invalid"})}
    return authorize


def bench_token(bench: Bench, role: str) -> dict[str, str]:
    if role not in bench.station.id_tokens:
        pytest.skip(f"the bench names no {role!r} id token (station.id_tokens.{role})")
    return id_token(bench, role)


async def clear_cache(station: StationSession) -> None:
    """The CSMS decides, not an authorization cache left by earlier tests (C11)."""
    with contextlib.suppress(Exception):
        await station.call("ClearCache", {})


async def set_or_skip(station: StationSession, component: str, variable: str,
                      value: str) -> None:
    if not applied(await try_set(station, component, variable, value)):
        pytest.skip(f"{component}.{variable} cannot be set to {value}")


async def expect_stop(station: StationSession, transaction: str, mark: int,
                      why: str) -> Message:
    try:
        return await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "triggerReason": "StopAuthorized"},
            since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(f"{why}: expected a TransactionEvent triggerReason StopAuthorized "
                             f"for transaction {transaction}.\n{exc}") from None


async def finish(station: StationSession, operator: Any, transaction: str, evse: int,
                 connector: int, stopped: Message | None = None) -> Message:
    """Unplug; return the Ended event of ``transaction``."""
    await operator.unplug(evse, connector)
    if stopped is not None and stopped["eventType"] == "Ended":
        return stopped
    return await station.expect("TransactionEvent", {
        "transactionInfo.transactionId": transaction, "eventType": "Ended"})


async def stop_by_owner(station: StationSession, operator: Any, token: dict[str, str],
                        transaction: str, evse: int, connector: int, why: str) -> None:
    """The driver who started ``transaction`` badges again: it stops (E07), then unplugs."""
    mark = station.journal.mark()
    await operator.present_id_token(token["idToken"], token["type"], evse)
    stopped = await expect_stop(station, transaction, mark, why)
    await finish(station, operator, transaction, evse, connector, stopped)


async def expect_not_stopped(station: StationSession, bench: Bench, transaction: str,
                             mark: int, why: str, intruder: dict[str, str]) -> None:
    """Neither a stop of ``transaction`` nor any event carrying ``intruder`` follows."""
    def touched(p: dict[str, Any]) -> bool:
        return (dig(p, "transactionInfo.transactionId") == transaction
                and (p.get("triggerReason") == "StopAuthorized" or p.get("eventType") == "Ended")
                ) or token_is(intruder)(p)
    touched.__doc__ = f"stopping transaction {transaction} or naming {intruder['idToken']}"
    try:
        await station.expect_none("TransactionEvent", touched, since=mark,
                                  within=bench.csms.quiet_period)
    except UnexpectedMessage as exc:
        raise AssertionError(f"{why}: transaction {transaction} must go on unchanged.\n{exc}"
                             ) from None


# ---- C01 local start refused --------------------------------------------------------------------
async def refused_start(station: StationSession, operator: Any, bench: Bench, role: str,
                        status: str) -> None:
    """The EV is plugged in, the ``role`` token badged; the CSMS answers ``status``: the
    station asks the CSMS (Authorize) and charges on nothing."""
    if bench.claims("CableHolderLock"):
        pytest.skip("the station's cable holder lock (OCTT AQ-2) keeps the cable until "
                    "authorization: TC_C_05_CS covers it")
    token = bench_token(bench, role)
    station.respond("Authorize", answers({token["idToken"]: {"status": status}}))
    await clear_cache(station)
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.plug_in(evse, connector)
    await operator.present_id_token(token["idToken"], token["type"], evse)
    try:
        try:
            await station.expect("Authorize", token_is(token), since=mark)
        except ExpectTimeout as exc:
            raise AssertionError(f"{token['idToken']} badged at the reader: expected an "
                                 f"AuthorizeRequest for it (C01).\n{exc}") from None
        try:
            await station.expect_none("TransactionEvent", charging_on(token), since=mark,
                                      within=bench.csms.quiet_period)
        except UnexpectedMessage as exc:
            raise AssertionError(f"the CSMS answered {token['idToken']} {status}: the station "
                                 f"must not start charging on it (C01.FR.02).\n{exc}") from None
    finally:
        await operator.unplug(evse, connector)


@pytest.mark.octt("TC_C_02_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30 or C-31 or C-32 (and NOT AQ-2)
async def test_local_start_invalid(station, operator, bench):
    """Local start transaction - Authorization Invalid/Unknown.

    An idToken the CSMS answers Invalid does not start charging.

    Requirements: C01.FR.02.
    """
    await refused_start(station, operator, bench, "invalid", "Invalid")


@pytest.mark.octt("TC_C_05_CS")
@pytest.mark.requires("LocalAuthorization", "CableHolderLock")  # C-30/31/32 and AQ-2
async def test_local_start_invalid_cable_lock(station, operator, bench):
    """Local start transaction - Authorization invalid - Cable lock.

    At a station whose cable lock keeps the cable until authorization, the driver badges an
    idToken the CSMS answers Invalid: the station asks the CSMS, starts no transaction, and
    the cable stays locked (an attempt to plug in changes no connector status).

    Requirements: C01.FR.02.
    """
    token = bench_token(bench, "invalid")
    station.respond("Authorize", answers({token["idToken"]: {"status": "Invalid"}}))
    await clear_cache(station)
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.present_id_token(token["idToken"], token["type"], evse)
    try:
        await station.expect("Authorize", token_is(token), since=mark)
    except ExpectTimeout as exc:
        raise AssertionError(f"{token['idToken']} badged at the reader: expected an "
                             f"AuthorizeRequest for it (C01).\n{exc}") from None
    await operator.plug_in(evse, connector)
    try:
        await station.expect_none("TransactionEvent", since=mark, within=bench.csms.quiet_period)
        await station.expect_none("StatusNotification", {"evseId": evse}, since=mark,
                                  within=bench.csms.quiet_period)
    except UnexpectedMessage as exc:
        raise AssertionError(
            f"the CSMS answered {token['idToken']} Invalid: the cable must stay locked and no "
            f"transaction start (C01.FR.02).\n{exc}") from None
    finally:
        await operator.unplug(evse, connector)


@pytest.mark.octt("TC_C_06_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30 or C-31 or C-32 (and NOT AQ-2)
async def test_local_start_blocked(station, operator, bench):
    """Local start transaction - AuthorizationBlocked.

    An idToken the CSMS answers Blocked does not start charging.

    Requirements: C01.FR.02.
    """
    await refused_start(station, operator, bench, "blocked", "Blocked")


@pytest.mark.octt("TC_C_07_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30 or C-31 or C-32 (and NOT AQ-2)
async def test_local_start_expired(station, operator, bench):
    """Local start transaction - Authorization Expired.

    An idToken the CSMS answers Expired does not start charging.

    Requirements: C01.FR.02.
    """
    await refused_start(station, operator, bench, "expired", "Expired")


@pytest.mark.octt("TC_C_56_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30 or C-31 or C-32
async def test_local_start_unknown(station, operator, bench):
    """Local start transaction - Authorization Unknown.

    An idToken the CSMS answers Unknown does not start charging.

    Requirements: C01.FR.02.
    """
    await refused_start(station, operator, bench, "invalid", "Unknown")


# ---- C01 / E07 local stop with another idToken ------------------------------------------------
@pytest.mark.octt("TC_C_04_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30 or C-31 or C-32
async def test_local_stop_different_token(station, operator, bench):
    """Local Stop Transaction - Different idToken.

    While valid charges, valid2 (Accepted, no common group) is badged at the same EVSE: the
    transaction neither stops nor is taken over by valid2; valid itself still stops it.

    Requirements: C01.FR.02, C01.FR.03 (E07: only the idToken that started it, or one of its
    GroupId, stops a transaction).
    """
    valid, valid2 = id_token(bench, "valid"), id_token(bench, "valid2")
    station.respond("Authorize", answers({valid["idToken"]: {"status": "Accepted"},
                                          valid2["idToken"]: {"status": "Accepted"}}))
    await clear_cache(station)
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    mark = station.journal.mark()
    await operator.present_id_token(valid2["idToken"], valid2["type"], evse)
    try:
        await expect_not_stopped(
            station, bench, transaction, mark,
            f"{valid2['idToken']}, a different idToken without a common GroupId, was badged at "
            f"EVSE {evse} while {valid['idToken']} charges", valid2)
    except AssertionError:
        with contextlib.suppress(Exception):
            await finish(station, operator, transaction, evse, connector)
        raise
    await stop_by_owner(station, operator, valid, transaction, evse, connector,
                        f"{valid['idToken']}, which started the transaction, badged again (E07)")


# ---- C09 authorization by GroupId ---------------------------------------------------------------
async def group_start(station: StationSession, operator: Any, bench: Bench,
                      other: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, str]]:
    """valid (Accepted, group GROUP) starts charging; valid2 is answered ``other``."""
    valid, valid2 = id_token(bench, "valid"), id_token(bench, "valid2")
    station.respond("Authorize", answers({
        valid["idToken"]: {"status": "Accepted", "groupIdToken": GROUP},
        valid2["idToken"]: other}))
    await clear_cache(station)
    started = await start_charging(station, operator, bench)
    return tx_id(started), valid, valid2


@pytest.mark.octt("TC_C_39_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30 or C-31 or C-32
async def test_group_id_stop(station, operator, bench):
    """Authorization by GroupId - Success.

    The CSMS gives valid and valid2 the same groupIdToken: valid2 stops the transaction valid
    started (StopAuthorized, then Ended).

    Requirements: C09.FR.02, C09.FR.03, C09.FR.05.
    """
    transaction, _, valid2 = await group_start(
        station, operator, bench, {"status": "Accepted", "groupIdToken": GROUP})
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.present_id_token(valid2["idToken"], valid2["type"], evse)
    try:
        stopped = await expect_stop(
            station, transaction, mark,
            f"{valid2['idToken']}, Accepted with the groupIdToken {GROUP['idToken']} of the "
            f"token that started the transaction, was badged (C09.FR.03)")
    except AssertionError:
        with contextlib.suppress(Exception):
            await finish(station, operator, transaction, evse, connector)
        raise
    await finish(station, operator, transaction, evse, connector, stopped)


@pytest.mark.octt("TC_C_42_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30 or C-31 or C-32
async def test_group_id_invalid_not_stopped(station, operator, bench):
    """Authorization by GroupId - Not stopped by GroupId.

    valid2 has the transaction's groupIdToken but the CSMS answers it Invalid: sharing the
    group is not enough, the transaction goes on; valid still stops it.

    Requirements: C09.FR.11.
    """
    transaction, valid, valid2 = await group_start(
        station, operator, bench, {"status": "Invalid", "groupIdToken": GROUP})
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.present_id_token(valid2["idToken"], valid2["type"], evse)
    try:
        await expect_not_stopped(
            station, bench, transaction, mark,
            f"{valid2['idToken']} has the transaction's groupIdToken {GROUP['idToken']} but is "
            "Invalid", valid2)
    except AssertionError:
        with contextlib.suppress(Exception):
            await finish(station, operator, transaction, evse, connector)
        raise
    await stop_by_owner(station, operator, valid, transaction, evse, connector,
                        f"{valid['idToken']}, which started the transaction, badged again")


# ---- C16 Master Pass ------------------------------------------------------------------------------
@pytest_asyncio.fixture
async def master_pass(station: StationSession, bench: Bench) -> AsyncIterator[dict[str, str]]:
    """AuthCtrlr.MasterPassGroupId set (the baseline restores it); the CSMS answers the
    bench's master token Accepted with that group, valid and valid2 Accepted."""
    master = bench_token(bench, "master")
    await set_or_skip(station, "AuthCtrlr", "MasterPassGroupId", MASTER_GROUP["idToken"])
    station.respond("Authorize", answers({
        master["idToken"]: {"status": "Accepted", "groupIdToken": MASTER_GROUP},
        id_token(bench, "valid")["idToken"]: {"status": "Accepted"},
        id_token(bench, "valid2")["idToken"]: {"status": "Accepted"}}))
    await clear_cache(station)
    yield master


@pytest.mark.octt("TC_C_45_CS")
@pytest.mark.requires("LocalAuthorization")  # C-30/31/32, and C-07 or C-08 (checked below)
async def test_master_pass_cannot_start(station, operator, bench, master_pass):
    """Authorization by GroupId - Master pass - Not able to start transaction + groupId.

    The CSMS accepts the master token with groupIdToken = MasterPassGroupId: badged at a free
    EVSE with an EV plugged in, it starts no charging.

    Requirements: C16.FR.03.
    """
    if not any(bench.claims(f) for f in ("MasterPassWithUI", "MasterPassWithoutUI")):
        pytest.skip(f"station {bench.station.id} claims no Master Pass (MasterPassWithUI or "
                    "MasterPassWithoutUI, OCTT C-07 / C-08)")
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.plug_in(evse, connector)
    await operator.present_id_token(master_pass["idToken"], master_pass["type"], evse)
    try:
        await station.expect_none("TransactionEvent", charging_on(master_pass), since=mark,
                                  within=bench.csms.quiet_period)
    except UnexpectedMessage as exc:
        raise AssertionError(
            f"{master_pass['idToken']} belongs to the Master Pass group "
            f"{MASTER_GROUP['idToken']} (AuthCtrlr.MasterPassGroupId): it must not start a "
            f"transaction (C16.FR.03).\n{exc}") from None
    finally:
        await operator.unplug(evse, connector)


async def two_sessions(station: StationSession, operator: Any,
                       bench: Bench) -> dict[str, tuple[int, int, dict[str, str]]]:
    """valid charges on the first EVSE, valid2 on the second: transaction -> (evse,
    connector, token)."""
    if len(bench.station.evses) < 2:
        pytest.skip("needs two EVSEs for two ongoing transactions")
    sessions = {}
    for e, role in zip(bench.station.evses[:2], ("valid", "valid2"), strict=True):
        started = await start_charging(station, operator, bench, evse=e.id,
                                       connector=e.connectors[0].id, token=role)
        sessions[tx_id(started)] = (e.id, e.connectors[0].id, id_token(bench, role))
    return sessions


async def expect_master_pass_stops(station: StationSession, operator: Any,
                                   sessions: dict[str, tuple[int, int, dict[str, str]]],
                                   mark: int, why: str) -> None:
    """Each of ``sessions`` stops (StopAuthorized) and, unplugged, ends; the stop names
    stoppedReason MasterPass."""
    failures = []
    for transaction, (evse, connector, _) in sessions.items():
        try:
            stopped: Message | None = await expect_stop(station, transaction, mark, why)
        except AssertionError as exc:
            failures.append(str(exc))
            stopped = None
        ended = await finish(station, operator, transaction, evse, connector, stopped)
        reason = dig(ended.payload, "transactionInfo.stoppedReason")
        if stopped is not None and reason != "MasterPass":
            failures.append(f"transaction {transaction} stopped by the Master Pass: expected "
                            f"stoppedReason MasterPass, the station sent {reason}")
    assert not failures, "\n".join(failures)


async def expect_master_pass_screen(station: StationSession, bench: Bench,
                                    sessions: dict[str, tuple[int, int, dict[str, str]]],
                                    mark: int) -> None:
    """With a UI the master card only opens the Master Pass screen: nothing stops before the
    user chooses (C16.FR.01)."""
    def stop(p: dict[str, Any]) -> bool:
        return (dig(p, "transactionInfo.transactionId") in sessions
                and p.get("triggerReason") == "StopAuthorized")
    stop.__doc__ = "stopping one of the ongoing transactions"
    try:
        await station.expect_none("TransactionEvent", stop, since=mark,
                                  within=bench.csms.quiet_period)
    except UnexpectedMessage as exc:
        raise AssertionError(
            "C16.FR.01: a station with a UI shows the Master Pass screen and stops what the "
            f"user selects there; it stopped a transaction before any selection.\n{exc}"
        ) from None


@pytest.mark.octt("TC_C_49_CS")
@pytest.mark.requires("LocalAuthorization", "MasterPassWithoutUI")  # C-30/31/32 and C-08
async def test_master_pass_stops_all(station, operator, bench, master_pass):
    """Stop Transaction with a Master Pass - Without UI.

    Two transactions charge (valid, valid2 on two EVSEs); the master token is badged: a
    station without a UI stops all of them (StopAuthorized, stoppedReason MasterPass).

    Requirements: C16.FR.02.
    """
    sessions = await two_sessions(station, operator, bench)
    mark = station.journal.mark()
    await operator.present_id_token(master_pass["idToken"], master_pass["type"])
    await expect_master_pass_stops(
        station, operator, sessions, mark,
        f"the Master Pass {master_pass['idToken']} was badged at a station without UI "
        f"(C16.FR.02: all ongoing transactions stop)")


@pytest.mark.octt("TC_C_47_CS")
@pytest.mark.requires("LocalAuthorization", "MasterPassWithUI")  # C-30/31/32 and C-07
async def test_master_pass_ui_all(station, operator, bench, master_pass):
    """Stop Transaction with a Master Pass - With UI - All transactions.

    Two transactions charge; the master token is badged and, on the Master Pass screen, the
    user chooses to stop all: both stop (StopAuthorized, stoppedReason MasterPass).

    Requirements: C16.FR.01.
    """
    sessions = await two_sessions(station, operator, bench)
    mark = station.journal.mark()
    await operator.present_id_token(master_pass["idToken"], master_pass["type"])
    try:
        await expect_master_pass_screen(station, bench, sessions, mark)
    except AssertionError:
        for transaction, (evse, connector, _) in sessions.items():
            with contextlib.suppress(Exception):
                await finish(station, operator, transaction, evse, connector)
        raise
    await operator.master_pass_select(0)
    await expect_master_pass_stops(
        station, operator, sessions, mark,
        f"the Master Pass {master_pass['idToken']} was badged and 'stop all' chosen on the "
        f"Master Pass screen (C16.FR.01)")


@pytest.mark.octt("TC_C_48_CS")
@pytest.mark.requires("LocalAuthorization", "MasterPassWithUI")  # C-30/31/32 and C-07
async def test_master_pass_ui_specific(station, operator, bench, master_pass):
    """Stop Transaction with a Master Pass - With UI - Specific transactions.

    Two transactions charge; the master token is badged and, on the Master Pass screen, the
    user stops the first EVSE's transaction only: it stops (stoppedReason MasterPass), the
    other goes on until its own driver stops it.

    Requirements: C16.FR.01.
    """
    sessions = await two_sessions(station, operator, bench)
    (chosen, picked), (other, rest) = list(sessions.items())
    mark = station.journal.mark()
    await operator.present_id_token(master_pass["idToken"], master_pass["type"])
    try:
        await expect_master_pass_screen(station, bench, sessions, mark)
        await operator.master_pass_select(picked[0])
        await expect_master_pass_stops(
            station, operator, {chosen: picked}, mark,
            f"the Master Pass {master_pass['idToken']} was badged and the transaction of EVSE "
            f"{picked[0]} chosen on the Master Pass screen (C16.FR.01)")
        await expect_not_stopped(
            station, bench, other, mark,
            f"only the transaction of EVSE {picked[0]} was chosen on the Master Pass screen; "
            f"the one of EVSE {rest[0]}", master_pass)
    except AssertionError:
        with contextlib.suppress(Exception):
            await finish(station, operator, other, rest[0], rest[1])
        raise
    await stop_by_owner(station, operator, rest[2], other, rest[0], rest[1],
                        f"{rest[2]['idToken']}, which started it, badged again")


# ---- C15 offline authorization of unknown ids -----------------------------------------------------
@pytest.mark.octt("TC_C_26_CS")
@pytest.mark.requires("LocalAuthorization", "OfflineTxForUnknownId")  # C-30/31/32 and C-02
async def test_offline_unknown_id(station, operator, bench):
    """Offline Authorization - Unknown Id.

    With OfflineTxForUnknownIdEnabled, an idToken neither listed nor cached, badged while the
    CSMS is unreachable, starts charging (C15.FR.02). Back online the station reports it
    (offline true); the CSMS answers Invalid and, StopTxOnInvalidId being true, the station
    ends the transaction (Deauthorized, stoppedReason DeAuthorized).

    Requirements: C15.FR.02, C15.FR.06, C15.FR.08, C13.FR.04.
    """
    token = id_token(bench, "invalid")
    await set_or_skip(station, "AuthCtrlr", "OfflineTxForUnknownIdEnabled", "true")
    await set_or_skip(station, "TxCtrlr", "StopTxOnInvalidId", "true")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    await clear_cache(station)
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await station.go_offline(1.5, "TC_C_26: an unknown idToken is badged while offline")
    await operator.plug_in(evse, connector)
    await operator.present_id_token(token["idToken"], token["type"], evse)
    await station.wait_connected(within=max(60.0, bench.csms.message_timeout * 6))
    try:
        try:
            event = await station.expect("TransactionEvent", token_is(token), since=mark)
        except ExpectTimeout as exc:
            raise AssertionError(
                f"offline with OfflineTxForUnknownIdEnabled true, the unknown idToken "
                f"{token['idToken']} must start charging, reported once back online "
                f"(C15.FR.02).\n{exc}") from None
        assert event.get("offline") is True, (
            f"the TransactionEvent for {token['idToken']} happened while offline: expected "
            f"offline true, the station sent {event.get('offline')!r}")
        transaction = tx_id(event)
        try:
            ended = await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": transaction, "eventType": "Ended"}, since=mark)
        except ExpectTimeout as exc:
            raise AssertionError(
                f"the CSMS answered {token['idToken']} Invalid and StopTxOnInvalidId is true: "
                f"expected transaction {transaction} to end (Deauthorized).\n{exc}") from None
        reason = dig(ended.payload, "transactionInfo.stoppedReason")
        assert (ended["triggerReason"], reason) == ("Deauthorized", "DeAuthorized"), (
            f"transaction {transaction} ended after the CSMS answered Invalid: expected "
            f"triggerReason Deauthorized, stoppedReason DeAuthorized; the station sent "
            f"{ended['triggerReason']}, {reason}")
    finally:
        await operator.unplug(evse, connector)


# ---- E08 / E03 with the Local Authorization List -------------------------------------------------
@pytest_asyncio.fixture
async def local_list(station: StationSession) -> AsyncIterator[Callable[..., Any]]:
    """Yields ``send(items)``: a Full list of ``items`` with the next version; afterwards an
    empty Full list with the original version (Enabled is restored by the baseline)."""
    await set_or_skip(station, "LocalAuthListCtrlr", "Enabled", "true")
    original = int((await station.call("GetLocalListVersion", {}))["versionNumber"])

    async def send(items: list[dict[str, Any]]) -> None:
        reply = await station.call("SendLocalList", {
            "versionNumber": original + 1, "updateType": "Full",
            "localAuthorizationList": items})
        assert reply["status"] == "Accepted", (
            f"SendLocalList Full with {len(items)} entries: expected Accepted, the station "
            f"answered {reply['status']}")
    try:
        yield send
    finally:
        with contextlib.suppress(Exception):
            await station.wait_connected()
            await station.call("SendLocalList", {"versionNumber": original,
                                                 "updateType": "Full"})


@pytest.mark.octt("TC_E_45_CS")
@pytest.mark.requires("LocalAuthorization", "Local Authorization List Management")
async def test_offline_stop_same_group(station, operator, bench, local_list):
    """Offline Behaviour - Stop transaction during offline period - Same GroupId.

    valid and valid2 are listed Accepted with one groupIdToken. valid starts charging; while
    the CSMS is unreachable valid2 is badged: the station stops the transaction offline, and
    back online delivers that stop (offline true) and the end of the transaction.

    Requirements: E08.FR.02, E08.FR.04, E08.FR.05, E08.FR.06, E08.FR.07, E08.FR.08.
    """
    valid, valid2 = id_token(bench, "valid"), id_token(bench, "valid2")
    info = {"status": "Accepted", "groupIdToken": GROUP}
    await local_list([{"idToken": valid, "idTokenInfo": info},
                      {"idToken": valid2, "idTokenInfo": info}])
    await set_or_skip(station, "AuthCtrlr", "LocalAuthorizeOffline", "true")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    station.respond("Authorize", answers({valid["idToken"]: info, valid2["idToken"]: info}))
    await clear_cache(station)
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    transaction = tx_id(started)
    mark = station.journal.mark()
    await station.go_offline(1.5, "TC_E_45: a token of the same group is badged while offline")
    await operator.present_id_token(valid2["idToken"], valid2["type"], evse)
    await station.wait_connected(within=max(60.0, bench.csms.message_timeout * 6))
    try:
        stopped = await expect_stop(
            station, transaction, mark,
            f"offline, {valid2['idToken']}, listed Accepted with the groupIdToken "
            f"{GROUP['idToken']} of the token that started the transaction, was badged")
    except AssertionError:
        with contextlib.suppress(Exception):
            await finish(station, operator, transaction, evse, connector)
        raise
    await finish(station, operator, transaction, evse, connector, stopped)
    assert stopped.get("offline") is True, (
        f"transaction {transaction} was stopped while offline: expected offline true in that "
        f"TransactionEvent, the station sent {stopped.get('offline')!r}")


@pytest.mark.octt("TC_E_52_CS")
@pytest.mark.requires("LocalAuthorization", "DisableRemoteAuthorization",  # C-30/31/32, C-58
                      "Local Authorization List Management")
async def test_authorization_first_remote_disabled(station, operator, bench, local_list):
    """Local start transaction - Authorization first - DisableRemoteAuthorization.

    With AuthCtrlr.DisableRemoteAuthorization true the station asks the CSMS nothing: valid,
    listed Accepted, is badged before the EV plugs in and charging starts on it without any
    AuthorizeRequest.

    Requirements: C01.FR.02, C01.FR.05.
    """
    valid = id_token(bench, "valid")
    await local_list([{"idToken": valid, "idTokenInfo": {"status": "Accepted"}}])
    await set_or_skip(station, "AuthCtrlr", "DisableRemoteAuthorization", "true")
    await clear_cache(station)
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.present_id_token(valid["idToken"], valid["type"], evse)
    await operator.plug_in(evse, connector)
    try:
        event = await station.expect("TransactionEvent", token_is(valid), since=mark)
    except ExpectTimeout as exc:
        await operator.unplug(evse, connector)
        raise AssertionError(f"{valid['idToken']}, listed Accepted, was badged and an EV "
                             f"plugged in: expected charging on it.\n{exc}") from None
    transaction = tx_id(event)
    asked = [e for e in station.received(mark)
             if e.action == "Authorize" and token_is(valid)(e.payload or {})]
    await stop_by_owner(station, operator, valid, transaction, evse, connector,
                        f"{valid['idToken']} badged again")
    assert not asked, (
        "AuthCtrlr.DisableRemoteAuthorization is true: expected no AuthorizeRequest, the "
        "station sent:\n  " + "\n  ".join(e.describe() for e in asked))
