"""OCTT 1.6, Local Auth List Management profile (Charge Point side): SendLocalList,
GetLocalListVersion, and charging on an idTag the Local Authorization List holds.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 sections its catalogue row names: 3.5 (Local Authorization and the Local
Authorization List), 5.10 (Get Local List Version), 5.15 (Send Local List). What a list holds
is observed through behaviour: with LocalPreAuthorize true an idTag the list holds as Accepted
starts a transaction without an Authorize.req (3.5).

Every test that sends a list leaves an empty one behind (a Full update without entries).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from suites.ocpp16.support import hands_of, id_tag, start_transaction

pytestmark = pytest.mark.ocpp_version("1.6")

PROFILE = "Local Auth List Management"


def entry(tag: str, status: str | None = "Accepted") -> dict[str, Any]:
    """An AuthorizationData item; without a status, one that removes ``tag`` (Differential)."""
    item: dict[str, Any] = {"idTag": tag}
    if status is not None:
        item["idTagInfo"] = {"status": status}
    return item


class LocalList:
    """SendLocalList / GetLocalListVersion on the charge point under test."""

    def __init__(self, station: StationSession) -> None:
        self.station = station

    async def send(self, update_type: str, version: int, items: list[dict[str, Any]]) -> str:
        payload: dict[str, Any] = {"listVersion": version, "updateType": update_type}
        if items:
            payload["localAuthorizationList"] = items
        reply = await self.station.call("SendLocalList", payload)
        return str(reply["status"])

    async def send_ok(self, update_type: str, version: int, items: list[dict[str, Any]],
                      why: str) -> None:
        status = await self.send(update_type, version, items)
        assert status == "Accepted", (
            f"SendLocalList {update_type} listVersion {version} with {len(items)} entries "
            f"({why}): expected Accepted, the charge point answered {status}")

    async def version(self) -> int:
        reply = await self.station.call("GetLocalListVersion", {})
        return int(reply["listVersion"])

    async def check_version(self, expected: int, situation: str) -> None:
        got = await self.version()
        assert got == expected, (
            f"{situation}: GetLocalListVersion must report listVersion {expected} (1.6 section "
            f"5.10), the charge point reported {got}")


@pytest_asyncio.fixture
async def local_list(station: StationSession) -> AsyncIterator[LocalList]:
    """The charge point's list; afterwards an empty one (a Full update without entries)."""
    lst = LocalList(station)
    try:
        yield lst
    finally:
        if station.is_connected:
            await lst.send("Full", 0, [])


def next_version(current: int) -> int:
    """A listVersion above ``current``, not a guessable one (a charge point must take the
    version the Central System sends, not count its updates)."""
    return max(current, 0) + random.randint(2, 500)


async def configure(station: StationSession, key: str, value: str) -> None:
    """ChangeConfiguration ``key`` = ``value`` (the run's value is restored after the test);
    a charge point that refuses it does not meet the case's prerequisite: skip."""
    reply = await station.call("ChangeConfiguration", {"key": key, "value": value})
    if reply["status"] not in ("Accepted", "RebootRequired"):
        pytest.skip(f"ChangeConfiguration {key}={value} answered {reply['status']}: the case "
                    f"needs it")


async def pre_authorizing(station: StationSession) -> None:
    """LocalPreAuthorize true and an empty authorization cache: an idTag is then started on
    without Authorize.req only because the Local Authorization List holds it (3.5)."""
    await configure(station, "LocalPreAuthorize", "true")
    await station.call("ClearCache", {})


def authorize_before(station: StationSession, tag: str, mark: int, start: Message) -> list[int]:
    """Journal positions of the Authorize.req for ``tag`` sent between ``mark`` and ``start``."""
    return [e.seq for e in station.received(mark) if e.action == "Authorize"
            and (e.payload or {}).get("idTag") == tag and e.seq < start.seq]


async def starts_locally(station: StationSession, operator: Any, bench: Bench,
                         connector_id: int, tag: str, why: str) -> None:
    """Cable in at ``connector_id``, badge ``tag``: StartTransaction for ``tag`` without an
    Authorize.req before it."""
    evse, connector = hands_of(bench, connector_id)
    mark = station.journal.mark()
    await operator.plug_in(evse, connector)
    await operator.present_id_token(tag, evse=evse)
    start = await station.expect("StartTransaction", {"connectorId": connector_id, "idTag": tag},
                                 since=mark)
    sent = authorize_before(station, tag, mark, start)
    assert not sent, (
        f"idTag {tag} is in the Local Authorization List as Accepted ({why}) and "
        f"LocalPreAuthorize is true: the transaction must start without Authorize.req (1.6 "
        f"section 3.5), the charge point sent Authorize.req first (journal #{sent[0]})")


def profile_absent(bench: Bench) -> None:
    """The case is for a charge point without the Local Auth List Management profile."""
    if PROFILE in bench.station.profiles:
        pytest.skip(f"for a charge point without the {PROFILE} profile; the bench file "
                    f"claims it")


# ---- 3.5: the list in use ---------------------------------------------------------------------
@pytest.mark.octt("TC_008_1_CS")
async def test_local_start_id_in_list(station, operator, bench, local_list):
    """Regular Start Charging Session - Id in Local Authorization List.

    SendLocalList Full with the idTag as Accepted; LocalPreAuthorize true, the authorization
    cache cleared. Cable in, badge: StartTransaction for the idTag without an Authorize.req
    first (1.6 sections 3.5, 5.15).
    """
    tag = id_tag(bench)
    version = next_version(await local_list.version())
    await local_list.send_ok("Full", version, [entry(tag)], "one Accepted idTag")
    await pre_authorizing(station)
    await starts_locally(station, operator, bench, 1, tag, "SendLocalList Full")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})


@pytest.mark.octt("TC_008_2_CS")
async def test_remote_start_id_in_list(station, operator, bench, local_list):
    """Remote Start Charging Session - Id in Local Authorization List.

    SendLocalList Full with the idTag as Accepted; AuthorizeRemoteTxRequests and
    LocalPreAuthorize true, the cache cleared. Cable in, RemoteStartTransaction: Accepted, and
    the charge point authorizes the idTag from its list as for a local start: StartTransaction
    without an Authorize.req (1.6 sections 3.5, 5.11, 5.15).
    """
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench)
    version = next_version(await local_list.version())
    await local_list.send_ok("Full", version, [entry(tag)], "one Accepted idTag")
    await pre_authorizing(station)
    await configure(station, "AuthorizeRemoteTxRequests", "true")
    await operator.plug_in(evse, connector)
    mark = station.journal.mark()
    reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
    assert reply["status"] == "Accepted", (
        f"RemoteStartTransaction on connector 1 (idle, cable in): expected Accepted, the "
        f"charge point answered {reply['status']}")
    start, _ = await start_transaction(station, 1)
    assert start["idTag"] == tag, f"StartTransaction idTag {start['idTag']!r}, expected {tag!r}"
    sent = authorize_before(station, tag, mark, start)
    assert not sent, (
        f"idTag {tag} is in the Local Authorization List as Accepted, AuthorizeRemoteTxRequests "
        f"and LocalPreAuthorize are true: the remote start must be authorized from the list "
        f"(1.6 sections 3.5, 5.11), the charge point sent Authorize.req (journal #{sent[0]})")


# ---- 5.10: GetLocalListVersion --------------------------------------------------------------------
@pytest.mark.octt("TC_042_1_CS")
async def test_get_local_list_version_not_supported(station, bench):
    """Get Local List Version - Not Supported.

    A charge point without the Local Auth List Management profile answers
    GetLocalListVersion with listVersion -1 (1.6 section 5.10).
    """
    profile_absent(bench)
    got = await LocalList(station).version()
    assert got == -1, (
        f"a charge point without Local Authorization List support must answer "
        f"GetLocalListVersion with listVersion -1 (1.6 section 5.10), it answered {got}")


@pytest.mark.octt("TC_042_2_CS")
async def test_get_local_list_version_empty(station, local_list):
    """Get Local List Version - Empty.

    SendLocalList Full without entries (a listVersion other than 0): Accepted; the list is
    empty, so GetLocalListVersion reports listVersion 0 (1.6 section 5.10).
    """
    version = next_version(await local_list.version())
    await local_list.send_ok("Full", version, [], "an empty list")
    await local_list.check_version(0, f"the list is empty (a Full update without entries, "
                                      f"listVersion {version})")


# ---- 5.15: SendLocalList ----------------------------------------------------------------------------
@pytest.mark.octt("TC_043_CS")
async def test_send_local_list(station, operator, bench, local_list):
    """Send Local Authorization List.

    SendLocalList Full (listVersion v, the first idTag): Accepted, GetLocalListVersion v.
    SendLocalList Differential (v + 1, adds the second idTag): Accepted, GetLocalListVersion
    v + 1. With LocalPreAuthorize true, both idTags then start without an Authorize.req: the
    differential update added one and kept the other (1.6 sections 3.5, 5.15).
    """
    first, second = id_tag(bench), id_tag(bench, "valid2")
    version = next_version(await local_list.version())
    await local_list.send_ok("Full", version, [entry(first)], f"idTag {first}")
    await local_list.check_version(version, f"after SendLocalList Full listVersion {version}")
    await local_list.send_ok("Differential", version + 1, [entry(second)],
                             f"adds idTag {second}")
    await local_list.check_version(version + 1, f"after SendLocalList Differential listVersion "
                                                f"{version + 1}")
    await pre_authorizing(station)
    await starts_locally(station, operator, bench, 1, first,
                         "sent in the Full update; the Differential one did not name it")
    if len(bench.station.connectors()) > 1:
        await starts_locally(station, operator, bench, 2, second,
                             "added by the Differential update")


@pytest.mark.octt("TC_043_1_CS")
async def test_send_local_list_not_supported(station, bench):
    """Send Local Authorization List - NotSupported.

    A charge point without the Local Auth List Management profile answers SendLocalList with
    NotSupported (1.6 section 5.15).
    """
    profile_absent(bench)
    status = await LocalList(station).send("Full", 1, [entry(id_tag(bench))])
    assert status == "NotSupported", (
        f"a charge point without Local Authorization List support must answer SendLocalList "
        f"with NotSupported (1.6 section 5.15), it answered {status}")


@pytest.mark.octt("TC_043_2_CS")
async def test_send_local_list_version_mismatch(station, bench, local_list):
    """Send Local Authorization List - VersionMismatch.

    After a Full update with listVersion v, a Differential update with listVersion v (not above
    the current one): VersionMismatch, and the list keeps version v (1.6 section 5.15).
    """
    version = next_version(await local_list.version())
    await local_list.send_ok("Full", version, [entry(id_tag(bench))], "one idTag")
    status = await local_list.send("Differential", version, [entry(id_tag(bench, "valid2"))])
    assert status == "VersionMismatch", (
        f"a Differential SendLocalList with listVersion {version}, the list's current version: "
        f"expected VersionMismatch (1.6 section 5.15), the charge point answered {status}")
    await local_list.check_version(version, "after a refused Differential update")


@pytest.mark.octt("TC_043_3_CS")
@pytest.mark.requires("LocalAuthListMaxLength")
async def test_send_local_list_failed(station, local_list):
    """Send Local Authorization List - Failed.

    The list is filled up to LocalAuthListMaxLength entries (updates of at most
    SendLocalListMaxLength entries): each Accepted. One entry more (Differential): Failed, and
    the list keeps its version (1.6 sections 5.15, 9.2).
    """
    reply = await station.call("GetConfiguration",
                               {"key": ["LocalAuthListMaxLength", "SendLocalListMaxLength"]})
    keys = {k["key"]: k.get("value") for k in reply.get("configurationKey", [])}
    for key in ("LocalAuthListMaxLength", "SendLocalListMaxLength"):
        assert str(keys.get(key) or "").isdigit(), (
            f"a charge point with the {PROFILE} profile reports {key} (1.6 section 9.2) as an "
            f"integer; GetConfiguration answered {keys.get(key)!r}")
    capacity, per_message = int(keys["LocalAuthListMaxLength"]), int(keys["SendLocalListMaxLength"])
    tags = [f"OCTTLAL{n:05d}" for n in range(capacity + 1)]
    version = next_version(await local_list.version())
    batch = tags[:min(per_message, capacity)]
    await local_list.send_ok("Full", version, [entry(t) for t in batch], "within both limits")
    stored = len(batch)
    while stored < capacity:
        version += 1
        batch = tags[stored:min(stored + per_message, capacity)]
        await local_list.send_ok("Differential", version, [entry(t) for t in batch],
                                 f"{stored + len(batch)} of LocalAuthListMaxLength {capacity}")
        stored += len(batch)
    status = await local_list.send("Differential", version + 1, [entry(tags[capacity])])
    assert status == "Failed", (
        f"the list holds LocalAuthListMaxLength = {capacity} entries; a Differential update "
        f"adding one more cannot be stored: expected Failed (1.6 section 5.15), the charge "
        f"point answered {status}")
    await local_list.check_version(version, "after a Failed update")
