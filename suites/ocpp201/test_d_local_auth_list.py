"""OCTT profile "Local Authorization List Management", Charging Station side.

OCPP 2.0.1 Part 2: D01 (Send Local Authorization List), D02 (Get Local List Version), C13
(Offline authorization through the Local Authorization List) and C14 (Online authorization
through the Local Authorization List). What a list holds is observed through behaviour: with
LocalPreAuthorize a token the list holds as Accepted starts charging without an Authorize
(C14.FR.02), a token it does not hold is authorized by the CSMS.

Every test leaves the station as found: an empty full list with the version it had, and
LocalAuthListCtrlr.Enabled as it was (the AuthCtrlr variables are restored by the baseline).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, Message, StationSession, UnexpectedMessage, dig
from suites.ocpp201.provisioning import reboot_within
from suites.ocpp201.support import first_connector, get_variable, id_token
from suites.ocpp201.transactions import applied, stop_remotely, try_set


def entry(token: dict[str, str], status: str | None = "Accepted") -> dict[str, Any]:
    """An AuthorizationData item; without a status, one that removes the token."""
    item: dict[str, Any] = {"idToken": token}
    if status is not None:
        item["idTokenInfo"] = {"status": status}
    return item


class LocalList:
    """SendLocalList / GetLocalListVersion on the station under test."""

    def __init__(self, station: StationSession, original: int) -> None:
        self.station = station
        self.original = original

    async def send(self, update_type: str, version: int, items: list[dict[str, Any]]) -> str:
        payload: dict[str, Any] = {"versionNumber": version, "updateType": update_type}
        if items:  # an empty list is sent without localAuthorizationList (minItems 1)
            payload["localAuthorizationList"] = items
        reply = await self.station.call("SendLocalList", payload)
        return str(reply["status"])

    async def send_ok(self, update_type: str, version: int, items: list[dict[str, Any]],
                      why: str) -> None:
        status = await self.send(update_type, version, items)
        assert status == "Accepted", (
            f"SendLocalList {update_type} version {version} with {len(items)} entries ({why}): "
            f"expected Accepted, the station answered {status}")

    async def version(self) -> int:
        reply = await self.station.call("GetLocalListVersion", {})
        return int(reply["versionNumber"])

    async def check_version(self, expected: int, situation: str, ids: str) -> None:
        got = await self.version()
        assert got == expected, (
            f"{situation}: GetLocalListVersion must report versionNumber {expected} ({ids}), "
            f"the station reported {got}")


@pytest_asyncio.fixture
async def local_list(station: StationSession) -> AsyncIterator[LocalList]:
    """LocalAuthListCtrlr enabled; afterwards an empty full list with the original version
    and Enabled as it was."""
    enabled = await get_variable(station, "LocalAuthListCtrlr", "Enabled")
    if enabled.lower() != "true" and not applied(
            await try_set(station, "LocalAuthListCtrlr", "Enabled", "true")):
        pytest.skip("LocalAuthListCtrlr.Enabled is false and cannot be set to true")
    # Authorize for tokens the list does not hold as Accepted (C14.FR.03), if configurable.
    await try_set(station, "LocalAuthListCtrlr", "DisablePostAuthorize", "false")
    reply = await station.call("GetLocalListVersion", {})
    lst = LocalList(station, int(reply["versionNumber"]))
    try:
        yield lst
    finally:
        with contextlib.suppress(Exception):
            await station.wait_connected()
            await try_set(station, "LocalAuthListCtrlr", "Enabled", "true")
            await lst.send("Full", lst.original, [])
            if enabled.lower() != "true":
                await try_set(station, "LocalAuthListCtrlr", "Enabled", enabled)


async def pre_authorize(station: StationSession) -> None:
    if not applied(await try_set(station, "AuthCtrlr", "LocalPreAuthorize", "true")):
        pytest.skip("AuthCtrlr.LocalPreAuthorize cannot be set to true")
    # With LocalPreAuthorize the Authorization Cache pre-authorizes too (C12.FR.02): empty it,
    # so the list alone decides whether an Authorize is needed.
    with contextlib.suppress(Exception):
        await station.call("ClearCache", {})


async def offline_authorization(station: StationSession) -> None:
    """LocalAuthorizeOffline on, a quick reconnection after the simulated outage."""
    if not applied(await try_set(station, "AuthCtrlr", "LocalAuthorizeOffline", "true")):
        pytest.skip("AuthCtrlr.LocalAuthorizeOffline cannot be set to true")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await try_set(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")


def token_is(token: dict[str, str]) -> Any:
    def pred(p: dict[str, Any]) -> bool:
        return str(dig(p, "idToken.idToken") or "").lower() == token["idToken"].lower()
    pred.__doc__ = f"for idToken {token['idToken']}"
    return pred


async def badge(operator: Any, bench: Bench, token: dict[str, str]) -> None:
    """The EV plugs in and the driver presents ``token``."""
    evse, connector = first_connector(bench)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(token["idToken"], token["type"], evse)


async def expect_session(station: StationSession, token: dict[str, str], mark: int,
                         situation: str, within: float | None = None) -> Message:
    """The TransactionEvent that carries ``token``: charging on it was authorized."""
    try:
        return await station.expect("TransactionEvent", token_is(token), since=mark,
                                    within=within)
    except ExpectTimeout as exc:
        raise AssertionError(f"{situation}: the station must start charging on "
                             f"{token['idToken']} (a TransactionEvent with that idToken).\n"
                             f"{exc}") from None


async def expect_no_session(station: StationSession, operator: Any, bench: Bench,
                            token: dict[str, str], mark: int, situation: str) -> None:
    await station.expect_none("TransactionEvent", token_is(token), since=mark,
                              within=bench.csms.quiet_period)
    evse, connector = first_connector(bench)
    await operator.unplug(evse, connector)
    assert not any(e.action == "TransactionEvent" and token_is(token)(e.payload or {})
                   for e in station.received(mark)), (
        f"{situation}: {token['idToken']} must not be authorized, yet the station charged on it")


def authorize_sent(station: StationSession, token: dict[str, str], mark: int) -> list[Any]:
    return [e for e in station.received(mark)
            if e.action == "Authorize" and token_is(token)(e.payload or {})]


async def end_session(station: StationSession, operator: Any, bench: Bench,
                      event: Message) -> None:
    transaction = str(event["transactionInfo"]["transactionId"])
    stopped = await stop_remotely(station, transaction)
    evse, connector = first_connector(bench)
    await operator.unplug(evse, connector)
    if stopped["eventType"] != "Ended":
        await station.expect("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"})


async def charge_and_check_authorize(station: StationSession, operator: Any, bench: Bench,
                                     token: dict[str, str], *, authorize: bool,
                                     situation: str) -> None:
    """Charge on ``token``; it must (or must not) have been sent in an Authorize first."""
    mark = station.journal.mark()
    await badge(operator, bench, token)
    started = await expect_session(station, token, mark, situation)
    sent = authorize_sent(station, token, mark)
    await end_session(station, operator, bench, started)
    if authorize:
        assert sent, (f"{situation}: the list does not hold {token['idToken']}, so the station "
                      "must ask the CSMS (AuthorizeRequest) before charging; it sent none")
    else:
        assert not sent, (
            f"{situation}: the list holds {token['idToken']} as Accepted and LocalPreAuthorize "
            f"is true, so the station must start without an AuthorizeRequest (C14.FR.02); it "
            f"sent:\n  " + "\n  ".join(e.describe() for e in sent))


# ---- D01 SendLocalList ------------------------------------------------------------------------
@pytest.mark.octt("TC_D_01_CS")
async def test_send_full_list(station, operator, bench, local_list):
    """Send Local Authorization List - Full.

    A full SendLocalList is Accepted and replaces the list; GetLocalListVersion then reports
    its versionNumber, and a token only the replaced list held needs the CSMS's Authorize.

    Requirements: D01.FR.02, D01.FR.15.
    """
    await pre_authorize(station)
    version = local_list.original + 2
    await local_list.send_ok("Full", version - 1, [entry(id_token(bench, "valid2"))],
                             "the list to be replaced")
    await local_list.send_ok("Full", version, [entry(id_token(bench, "valid"))], "full update")
    await local_list.check_version(version, "after a full update", "D01.FR.15")
    await charge_and_check_authorize(station, operator, bench, id_token(bench, "valid2"),
                                     authorize=True,
                                     situation="valid2 was only in the replaced list")


@pytest.mark.octt("TC_D_02_CS")
async def test_send_differential_update(station, operator, bench, local_list):
    """Send Local Authorization List - Differential Update.

    A differential SendLocalList adding a token is Accepted, sets the version, and the token
    is then authorized from the list (no AuthorizeRequest with LocalPreAuthorize).

    Requirements: D01.FR.02, D01.FR.16, C14.FR.02.
    """
    await pre_authorize(station)
    base = local_list.original + 1
    await local_list.send_ok("Full", base, [entry(id_token(bench, "valid"))], "the base list")
    await local_list.send_ok("Differential", base + 1, [entry(id_token(bench, "valid2"))],
                             "adds valid2")
    await local_list.check_version(base + 1, "after a differential update", "D01.FR.16")
    await charge_and_check_authorize(station, operator, bench, id_token(bench, "valid2"),
                                     authorize=False,
                                     situation="valid2 added by a differential update")


@pytest.mark.octt("TC_D_03_CS")
async def test_send_differential_remove(station, operator, bench, local_list):
    """Send Local Authorization List - Differential Remove.

    A differential SendLocalList entry without idTokenInfo removes the token: it is Accepted,
    sets the version, and the token then needs the CSMS's Authorize again.

    Requirements: D01.FR.02, D01.FR.17.
    """
    await pre_authorize(station)
    base = local_list.original + 1
    valid, valid2 = id_token(bench, "valid"), id_token(bench, "valid2")
    await local_list.send_ok("Full", base, [entry(valid), entry(valid2)], "the base list")
    await local_list.send_ok("Differential", base + 1, [entry(valid2, None)], "removes valid2")
    await local_list.check_version(base + 1, "after a differential removal", "D01.FR.17")
    await charge_and_check_authorize(station, operator, bench, valid2, authorize=True,
                                     situation="valid2 removed by a differential update")


@pytest.mark.octt("TC_D_04_CS")
async def test_send_full_empty_list(station, operator, bench, local_list):
    """Send Local Authorization List - Full with empty list.

    A full SendLocalList without entries is Accepted and clears the list: a token it held
    needs the CSMS's Authorize again.

    Requirements: D01.FR.02, D01.FR.04.
    """
    await pre_authorize(station)
    base = local_list.original + 1
    valid = id_token(bench, "valid")
    await local_list.send_ok("Full", base, [entry(valid)], "the base list")
    await local_list.send_ok("Full", base + 1, [], "empty: clears the list")
    await local_list.check_version(base + 1, "after a full update with an empty list",
                                   "D01.FR.04")
    await charge_and_check_authorize(station, operator, bench, valid, authorize=True,
                                     situation="the list was cleared by an empty full update")


@pytest.mark.octt("TC_D_05_CS")
async def test_send_differential_empty_list(station, bench, local_list):
    """Send Local Authorization List - Differential with empty list.

    A differential SendLocalList without entries is Accepted and changes only the version.

    Requirements: D01.FR.02, D01.FR.05.
    """
    base = local_list.original + 1
    await local_list.send_ok("Full", base, [entry(id_token(bench, "valid"))], "the base list")
    await local_list.send_ok("Differential", base + 1, [], "empty: only the version changes")
    await local_list.check_version(base + 1, "after an empty differential update", "D01.FR.05")


@pytest.mark.octt("TC_D_06_CS")
async def test_send_version_mismatch(station, bench, local_list):
    """Send Local Authorization List - VersionMismatch.

    A differential SendLocalList whose versionNumber is not above the list's version is
    answered VersionMismatch and changes nothing.

    Requirements: D01.FR.19.
    """
    base = local_list.original + 2
    await local_list.send_ok("Full", base, [entry(id_token(bench, "valid"))], "the base list")
    for version in (base, base - 1):
        status = await local_list.send("Differential", version,
                                       [entry(id_token(bench, "valid2"))])
        assert status == "VersionMismatch", (
            f"a differential SendLocalList with versionNumber {version}, not above the list's "
            f"version {base}: expected VersionMismatch (D01.FR.19), the station answered "
            f"{status}")
    await local_list.check_version(base, "after rejected differential updates", "D01.FR.19")


@pytest.mark.octt("TC_D_07_CS")
async def test_send_list_persistent_over_reboot(station, operator, bench, local_list):
    """Send Local Authorization List - Persistent over reboot.

    The list and its version survive a power cycle: GetLocalListVersion reports the version
    installed before, and a token the list holds as Accepted is still authorized from it
    (no AuthorizeRequest with LocalPreAuthorize).

    Requirements: D01.FR.10.
    """
    await pre_authorize(station)
    version = local_list.original + 1
    await local_list.send_ok("Full", version, [entry(id_token(bench, "valid"))], "the list")
    mark = station.journal.mark()
    await operator.power_cycle()
    await station.expect("BootNotification", since=mark, within=reboot_within(bench))
    await station.expect("StatusNotification", since=mark, within=reboot_within(bench))
    await local_list.check_version(version, "after a reboot", "the list is non-volatile, "
                                   "D01.FR.10")
    await charge_and_check_authorize(station, operator, bench, id_token(bench, "valid"),
                                     authorize=False, situation="valid listed before a reboot")


# ---- D02 GetLocalListVersion -------------------------------------------------------------------
@pytest.mark.octt("TC_D_08_CS")
async def test_get_local_list_version(station, bench, local_list):
    """Get Local List Version - Success.

    GetLocalListVersion reports the versionNumber of the list installed last.

    Requirements: D02.FR.01.
    """
    version = local_list.original + 3
    await local_list.send_ok("Full", version, [entry(id_token(bench, "valid"))], "the list")
    await local_list.check_version(version, "a list was installed", "D02.FR.01")


@pytest.mark.octt("TC_D_10_CS")
async def test_get_local_list_version_disabled(station, bench, local_list):
    """Get Local List Version - Function disabled.

    With LocalAuthListCtrlr.Enabled false, GetLocalListVersion reports versionNumber 0.

    Requirements: D02.FR.03.
    """
    await local_list.send_ok("Full", local_list.original + 1, [entry(id_token(bench, "valid"))],
                             "a list")
    if not applied(await try_set(station, "LocalAuthListCtrlr", "Enabled", "false")):
        pytest.skip("LocalAuthListCtrlr.Enabled cannot be set to false")
    await local_list.check_version(0, "the local list function is disabled", "D02.FR.03")


# ---- C13 offline authorization through the list ------------------------------------------------
async def offline_badge(station: StationSession, operator: Any, bench: Bench,
                        token: dict[str, str], why: str) -> int:
    """The CSMS becomes unreachable; the driver badges ``token``; the station reconnects.
    Returns the journal mark from before the badge."""
    mark = station.journal.mark()
    await station.go_offline(1.5, why)
    await badge(operator, bench, token)
    await station.wait_connected(within=max(60.0, bench.csms.message_timeout * 6))
    return mark


async def offline_case(station, operator, bench, local_list, token_name: str, status: str,
                       case: str) -> None:
    await offline_authorization(station)
    token = id_token(bench, token_name)
    await local_list.send_ok("Full", local_list.original + 1, [entry(token, status)],
                             f"{token_name} {status}")
    with contextlib.suppress(Exception):
        await station.call("ClearCache", {})  # the list decides, not the cache
    mark = await offline_badge(station, operator, bench, token,
                               f"{case}: {token_name} badged while offline")
    situation = f"offline, {token['idToken']} listed {status} in the Local Authorization List"
    if status == "Accepted":
        started = await expect_session(station, token, mark, situation)
        await end_session(station, operator, bench, started)
    else:
        await expect_no_session(station, operator, bench, token, mark, situation)


@pytest.mark.octt("TC_C_21_CS")
async def test_offline_list_accepted(station, operator, bench, local_list):
    """Offline authorization through local authorization list - Accepted.

    Offline, a token the list holds as Accepted starts charging (queued events delivered on
    reconnection).

    Requirements: C13.FR.02.
    """
    await offline_case(station, operator, bench, local_list, "valid", "Accepted", "TC_C_21")


@pytest.mark.octt("TC_C_22_CS")
async def test_offline_list_invalid(station, operator, bench, local_list):
    """Offline authorization through local authorization list - Invalid.

    Offline, a token the list holds as Invalid is not authorized.

    Requirements: C13.FR.02.
    """
    await offline_case(station, operator, bench, local_list, "invalid", "Invalid", "TC_C_22")


@pytest.mark.octt("TC_C_23_CS")
async def test_offline_list_restricted(station, operator, bench, local_list):
    """Offline authorization through local authorization list - Restricted.

    Offline, a token the list holds as Blocked is not authorized.

    Requirements: C13.FR.02.
    """
    await offline_case(station, operator, bench, local_list, "blocked", "Blocked", "TC_C_23")


@pytest.mark.octt("TC_C_24_CS")
async def test_offline_list_expired(station, operator, bench, local_list):
    """Offline authorization through local authorization list - Expired.

    Offline, a token the list holds as Expired is not authorized.

    Requirements: C13.FR.02.
    """
    await offline_case(station, operator, bench, local_list, "expired", "Expired", "TC_C_24")


@pytest.mark.octt("TC_C_25_CS")
async def test_offline_list_over_cache(station, operator, bench, local_list):
    """Offline authorization through local authorization list - Local Authorization List >
    Authorization Cache.

    A token the authorization cache holds as Accepted (an online session) but the list as
    Blocked is not authorized offline: the list has priority over the cache.

    Requirements: C13.FR.01, C14.FR.01.
    """
    await offline_authorization(station)
    await try_set(station, "AuthCacheCtrlr", "Enabled", "true")
    token = id_token(bench, "valid")
    await local_list.send_ok("Full", local_list.original + 1, [], "empty list")
    mark = station.journal.mark()
    await badge(operator, bench, token)  # authorized by the CSMS: into the cache
    await end_session(station, operator, bench,
                      await expect_session(station, token, mark, "online, valid token"))
    await local_list.send_ok("Full", local_list.original + 2, [entry(token, "Blocked")],
                             "valid Blocked")
    mark = await offline_badge(station, operator, bench, token,
                               "TC_C_25: cached token, Blocked in the list, badged offline")
    await expect_no_session(station, operator, bench, token, mark,
                            "offline, the token is Accepted in the cache but Blocked in the "
                            "Local Authorization List, which takes priority (C13.FR.01)")


# ---- C14 online authorization through the list -------------------------------------------------
@pytest.mark.octt("TC_C_27_CS")
async def test_online_list_accepted(station, operator, bench, local_list):
    """Online authorization through local authorization list - Accepted.

    With LocalPreAuthorize, a token the list holds as Accepted starts charging without an
    AuthorizeRequest.

    Requirements: C14.FR.02.
    """
    await pre_authorize(station)
    token = id_token(bench, "valid")
    await local_list.send_ok("Full", local_list.original + 1, [entry(token)], "valid Accepted")
    await charge_and_check_authorize(station, operator, bench, token, authorize=False,
                                     situation="online, valid listed as Accepted")


async def online_not_accepted(station, operator, bench, local_list, token_name: str,
                              status: str, csms_status: str) -> None:
    """The list holds the token as ``status``: the station asks the CSMS (C14.FR.03), which
    answers ``csms_status``; the station charges only on Accepted."""
    await pre_authorize(station)
    token = id_token(bench, token_name)
    await local_list.send_ok("Full", local_list.original + 1, [entry(token, status)],
                             f"{token_name} {status}")
    station.respond("Authorize", lambda s, m: {"idTokenInfo": {"status": csms_status}})
    mark = station.journal.mark()
    await badge(operator, bench, token)
    situation = (f"online, {token['idToken']} listed {status}, the CSMS answers its Authorize "
                 f"{csms_status}")
    try:
        await station.expect("Authorize", token_is(token), since=mark)
    except ExpectTimeout as exc:
        evse, connector = first_connector(bench)
        await operator.unplug(evse, connector)
        raise AssertionError(f"{situation}: a token the list does not hold as Accepted must be "
                             f"authorized by the CSMS (AuthorizeRequest, C14.FR.03).\n{exc}"
                             ) from None
    if csms_status == "Accepted":
        await end_session(station, operator, bench,
                          await expect_session(station, token, mark, situation))
    else:
        await expect_no_session(station, operator, bench, token, mark, situation)


@pytest.mark.octt("TC_C_28_CS")
async def test_online_list_invalid_not_accepted(station, operator, bench, local_list):
    """Online authorization through local authorization list - Invalid & Not Accepted.

    A token the list holds as Invalid is sent in an AuthorizeRequest; the CSMS answers
    Invalid: no charging.

    Requirements: C14.FR.03.
    """
    await online_not_accepted(station, operator, bench, local_list, "invalid", "Invalid",
                              "Invalid")


@pytest.mark.octt("TC_C_29_CS")
async def test_online_list_restricted(station, operator, bench, local_list):
    """Online authorization through local authorization list - Restricted.

    A token the list holds as Blocked is sent in an AuthorizeRequest; the CSMS answers
    Blocked: no charging.

    Requirements: C14.FR.03.
    """
    await online_not_accepted(station, operator, bench, local_list, "blocked", "Blocked",
                              "Blocked")


@pytest.mark.octt("TC_C_30_CS")
async def test_online_list_expired(station, operator, bench, local_list):
    """Online authorization through local authorization list - Expired.

    A token the list holds as Expired is sent in an AuthorizeRequest; the CSMS answers
    Expired: no charging.

    Requirements: C14.FR.03.
    """
    await online_not_accepted(station, operator, bench, local_list, "expired", "Expired",
                              "Expired")


@pytest.mark.octt("TC_C_31_CS")
async def test_online_list_invalid_accepted(station, operator, bench, local_list):
    """Online authorization through local authorization list - Invalid & Accepted.

    A token the list holds as Invalid is sent in an AuthorizeRequest; the CSMS answers
    Accepted: the station charges on it.

    Requirements: C14.FR.03.
    """
    await online_not_accepted(station, operator, bench, local_list, "valid", "Invalid",
                              "Accepted")


@pytest.mark.octt("TC_C_58_CS")
@pytest.mark.requires("LocalAuthListDisablePostAuthorize")
async def test_online_list_disable_post_authorize(station, operator, bench, local_list):
    """Online authorization through local authorization list - LocalAuthListDisablePostAuthorization.

    With LocalPreAuthorize and LocalAuthListCtrlr.DisablePostAuthorize true, a token the list
    holds as Blocked is not sent in an AuthorizeRequest (the post-authorization of C14.FR.03 is
    disabled), although the CSMS would accept it: the list's status stands, no charging.

    Requirements: C14.FR.03.
    """
    await pre_authorize(station)
    if not applied(await try_set(station, "LocalAuthListCtrlr", "DisablePostAuthorize", "true")):
        pytest.skip("LocalAuthListCtrlr.DisablePostAuthorize cannot be set to true")
    token = id_token(bench, "blocked")
    await local_list.send_ok("Full", local_list.original + 1, [entry(token, "Blocked")],
                             "blocked Blocked")
    station.respond("Authorize", lambda s, m: {"idTokenInfo": {"status": "Accepted"}})
    mark = station.journal.mark()
    await badge(operator, bench, token)
    situation = (f"online, {token['idToken']} listed Blocked, DisablePostAuthorize true (the "
                 f"CSMS would answer Accepted)")
    try:
        await station.expect_none("Authorize", token_is(token), since=mark,
                                  within=bench.csms.quiet_period)
    except UnexpectedMessage as exc:
        evse, connector = first_connector(bench)
        await operator.unplug(evse, connector)
        raise AssertionError(f"{situation}: the station must not ask the CSMS to authorize a "
                             f"token the list holds as not Accepted (C14.FR.03 disabled).\n{exc}"
                             ) from None
    await expect_no_session(station, operator, bench, token, mark, situation)


# ---- C09 authorization by GroupId with the list -----------------------------------------------
GROUP = {"idToken": "OCTTGROUP01", "type": "Central"}


def grouped(token: dict[str, str], status: str) -> dict[str, Any]:
    return {"idToken": token, "idTokenInfo": {"status": status, "groupIdToken": GROUP}}


async def group_case(station, operator, bench, local_list, other_status: str) -> None:
    """valid starts a transaction; valid2, of the same group and listed ``other_status``, is
    presented. Returns after checking whether the transaction was stopped."""
    await pre_authorize(station)
    valid, valid2 = id_token(bench, "valid"), id_token(bench, "valid2")
    await local_list.send_ok("Full", local_list.original + 1,
                             [grouped(valid, "Accepted"), grouped(valid2, other_status)],
                             f"valid Accepted and valid2 {other_status}, both of group "
                             f"{GROUP['idToken']}")
    statuses = {valid["idToken"].lower(): "Accepted", valid2["idToken"].lower(): other_status}
    station.respond("Authorize", lambda s, m: {"idTokenInfo": {
        "status": statuses.get(str(dig(m.payload, "idToken.idToken")).lower(), "Invalid"),
        "groupIdToken": GROUP}})
    mark = station.journal.mark()
    await badge(operator, bench, valid)
    started = await expect_session(station, valid, mark, "valid listed Accepted")
    transaction = str(started["transactionInfo"]["transactionId"])
    evse, connector = first_connector(bench)
    mark = station.journal.mark()
    await operator.present_id_token(valid2["idToken"], valid2["type"], evse)
    stop = {"transactionInfo.transactionId": transaction, "triggerReason": "StopAuthorized"}
    if other_status == "Accepted":
        try:
            stopped = await station.expect("TransactionEvent", stop, since=mark)
        except ExpectTimeout as exc:
            raise AssertionError(
                f"{valid2['idToken']}, listed Accepted with the groupIdToken "
                f"{GROUP['idToken']} of the token that started transaction {transaction}, must "
                f"stop it (TransactionEvent triggerReason StopAuthorized, C09.FR.02, "
                f"C09.FR.07).\n{exc}") from None
        await operator.unplug(evse, connector)
        if stopped["eventType"] != "Ended":
            await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": transaction, "eventType": "Ended"})
    else:
        try:
            await station.expect_none("TransactionEvent", stop, since=mark,
                                      within=bench.csms.quiet_period)
        except UnexpectedMessage as exc:
            await operator.unplug(evse, connector)
            raise AssertionError(
                f"{valid2['idToken']} is of the transaction's group {GROUP['idToken']} but "
                f"{other_status} (list and CSMS): it must not stop transaction {transaction} "
                f"(C09.FR.07).\n{exc}") from None
        await end_session(station, operator, bench, started)


@pytest.mark.octt("TC_C_40_CS")
async def test_group_id_stop_with_list(station, operator, bench, local_list):
    """Authorization by GroupId - Success with Local Authorization List.

    Two tokens of one group, both Accepted in the list: the one that did not start the
    transaction stops it.

    Requirements: C09.FR.02, C09.FR.03, C09.FR.07.
    """
    await group_case(station, operator, bench, local_list, "Accepted")


@pytest.mark.octt("TC_C_43_CS")
async def test_group_id_invalid_with_list(station, operator, bench, local_list):
    """Authorization by GroupId - Invalid status with Local Authorization List.

    A token of the transaction's group that the list (and the CSMS) hold as Invalid does not
    stop the transaction.

    Requirements: C09.FR.02, C09.FR.03, C09.FR.07.
    """
    await group_case(station, operator, bench, local_list, "Invalid")
