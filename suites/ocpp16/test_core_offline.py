"""OCTT 1.6, Core profile (Charge Point side): power failure, offline behaviour and the
Authorization Cache.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 sections its catalogue row names. The Central System becomes unreachable the way a
network outage looks to a charge point: the harness drops the connection and refuses
reconnections for a while (``StationSession.go_offline``).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import ExpectTimeout, Message, StationSession
from suites.ocpp16.support import (
    connector_ids,
    hands_of,
    id_tag,
    reboot_within,
    start_transaction,
)
from suites.ocpp201.transactions import parse_ts

pytestmark = pytest.mark.ocpp_version("1.6")

# A charge point sets its clock from BootNotification.conf / Heartbeat.conf and may stamp whole
# seconds: its timestamps are compared with the harness clock within this much.
CLOCK_TOLERANCE_S = 1.0
# The harness refuses reconnections this long, well over twice the tolerance, so a message
# stamped at the reconnection cannot pass for one stamped during the outage.
OUTAGE_S = 2.5
# A transaction run entirely offline charges this long between its start and its stop (nothing
# can be observed while the charge point is offline; this is part of the outage anyway).
OFFLINE_CHARGE_S = 1.0
REGISTER = "Energy.Active.Import.Register"


# ---- helpers -------------------------------------------------------------------------------
async def change(station: StationSession, key: str, value: str) -> None:
    """ChangeConfiguration the case needs: it must be Accepted."""
    reply = await station.call("ChangeConfiguration", {"key": key, "value": value})
    assert reply["status"] == "Accepted", (
        f"ChangeConfiguration {key}={value}: expected Accepted (the case needs it; the charge "
        f"point claims the feature), got {reply['status']}")


async def try_change(station: StationSession, key: str, value: str) -> str:
    """ChangeConfiguration the case would like; returns the status."""
    reply = await station.call("ChangeConfiguration", {"key": key, "value": value})
    return str(reply["status"])


@dataclass
class Outage:
    """When the Central System was unreachable, by the harness clock (POSIX seconds)."""

    began: float
    ended: float = 0.0
    mark: int = 0  # journal position at the reconnection


async def go_offline(station: StationSession, why: str) -> Outage:
    await station.go_offline(OUTAGE_S, why)
    return Outage(time.time())


async def reconnected(station: StationSession, bench: Bench, outage: Outage) -> None:
    """Wait for the charge point to come back once the outage is over."""
    within = max(60.0, bench.csms.message_timeout * 6)
    if bench.station.mode == "external":
        within = max(within, 300.0)
    await station.wait_connected(within=within)
    outage.ended = time.time()
    outage.mark = station.journal.mark()


def check_stamp(stamp: str, acted: float, outage: Outage, what: str) -> None:
    """``stamp`` (the charge point's) is when the harness acted during the outage, not when
    the message was delivered after it."""
    got = parse_ts(stamp)
    assert abs(got - acted) <= CLOCK_TOLERANCE_S, (
        f"{what} is stamped {stamp}, {got - acted:+.1f} s from when it happened (during the "
        f"outage, {time.strftime('%H:%M:%S', time.gmtime(acted))} UTC; the charge point was "
        f"back {outage.ended - acted:.1f} s later): a message queued offline must keep the time "
        f"of the event, within {CLOCK_TOLERANCE_S:g} s (1.6 sections 4.8, 4.10)")


def answer_of(station: StationSession, request: Message) -> dict[str, Any]:
    """The CSMS's answer to ``request``, from the journal."""
    return next((e.payload or {}) for e in station.journal.since(request.seq)
                if e.unique_id == request.unique_id and e.message_type == "CALLRESULT")


def authorize_before(station: StationSession, tag: str, since: int, start: Message) -> list[Any]:
    """Authorize.req for ``tag`` between journal position ``since`` and ``start``."""
    return [e for e in station.received(since) if e.action == "Authorize"
            and (e.payload or {}).get("idTag") == tag and e.seq < start.seq]


async def start_charging(station: StationSession, operator: Any, bench: Bench,
                         tag: str) -> int:
    """Cable in, badge: the transaction on connector 1, Charging; its transactionId."""
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(tag, evse=evse)
    _, tx_id = await start_transaction(station, 1)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})
    return tx_id


async def cache_id(station: StationSession, operator: Any, bench: Bench, tag: str) -> None:
    """Have the charge point authorize ``tag`` online, so that it is in its Authorization
    Cache (1.6 section 3.5.1): a short session, cable in, badge, badge again, cable out."""
    evse, connector = hands_of(bench, 1)
    tx_id = await start_charging(station, operator, bench, tag)
    await operator.present_id_token(tag, evse=evse)
    await station.expect("StopTransaction", {"transactionId": tx_id})
    await operator.unplug(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Available"})


async def pre_authorize_from_cache(station: StationSession) -> None:
    """AuthorizationCacheEnabled and LocalPreAuthorize true: a cached Accepted id starts a
    transaction without waiting for Authorize.conf (1.6 sections 3.5.1, 9.1.19), the way these
    cases see whether an id came from the cache."""
    await change(station, "AuthorizationCacheEnabled", "true")
    status = await try_change(station, "LocalPreAuthorize", "true")
    if status != "Accepted":
        pytest.skip(f"LocalPreAuthorize cannot be set true ({status}): whether an id comes "
                    "from the Authorization Cache cannot be seen online")


# ---- power failure (1.6 section 4.10) ---------------------------------------------------------
async def _power_failure_stop(station: StationSession, operator: Any,
                              bench: Bench) -> tuple[Message, Message]:
    """A transaction, then a power failure: its StopTransaction and the BootNotification."""
    tx_id = await start_charging(station, operator, bench, id_tag(bench))
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    try:
        stop = await station.expect("StopTransaction", {"transactionId": tx_id},
                                    within=bench.csms.message_timeout * 2)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"transaction {tx_id} was interrupted by a power failure: the charge point must "
            f"send its StopTransaction (reason PowerLoss, 1.6 section 4.10); none came.\n{exc}"
        ) from None
    assert stop.get("reason") == "PowerLoss", (
        f"StopTransaction of transaction {tx_id}, ended by a power failure: expected reason "
        f"PowerLoss, got {stop.get('reason')!r}")
    return stop, boot


@pytest.mark.octt("TC_032_1_CS")
@pytest.mark.requires("StopTxBeforePowerDown")
async def test_power_failure_stop_before_going_down(station, operator, bench):
    """Power Failure Boot Charge Point - Stop Transaction(s) Before Going Down.

    A transaction runs; the power fails. A charge point that stops its transactions before it
    goes down (hold-up power) sends StopTransaction reason PowerLoss with the transactionId,
    before its BootNotification (1.6 sections 4.10, 5.14).
    """
    stop, boot = await _power_failure_stop(station, operator, bench)
    assert stop.seq < boot.seq, (
        "the charge point claims to stop its transactions before going down: the "
        "StopTransaction (reason PowerLoss) must come before the reboot's BootNotification; it "
        f"came after it:\n  BootNotification at journal #{boot.seq}, StopTransaction at "
        f"#{stop.seq}")


@pytest.mark.octt("TC_032_2_CS")
@pytest.mark.requires("StopTxAfterPowerUp")
async def test_power_failure_stop_after_power_returns(station, operator, bench):
    """Power Failure Boot Charge Point - Stop Transaction(s) After Going Down.

    A transaction runs; the power fails. Once the power is back the charge point boots
    (BootNotification) and then sends StopTransaction reason PowerLoss for the transactionId
    of the interrupted transaction (1.6 section 4.10).
    """
    stop, boot = await _power_failure_stop(station, operator, bench)
    assert stop.seq > boot.seq, (
        "the charge point claims to stop its transactions after the power returns: the "
        "StopTransaction (reason PowerLoss) must follow the BootNotification; it came before "
        f"it:\n  StopTransaction at journal #{stop.seq}, BootNotification at #{boot.seq}")


@pytest.mark.octt("TC_034_CS")
async def test_power_failure_with_unavailable_connector(station, operator, bench):
    """Power Failure with Unavailable Status.

    ChangeAvailability Inoperative for connector 1: Accepted, StatusNotification Unavailable.
    After a power failure the charge point boots and reports connector 1 Unavailable again:
    an availability set by the Central System survives reboots (1.6 sections 4.2, 4.9, 5.2);
    the other connectors are Available.
    """
    reply = await station.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
    assert reply["status"] == "Accepted", (
        f"ChangeAvailability Inoperative for idle connector 1: expected Accepted, got "
        f"{reply['status']}")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Unavailable"})
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    for connector_id in connector_ids(bench):
        status = await station.expect("StatusNotification", {"connectorId": connector_id},
                                      since=boot.seq)
        expected = "Unavailable" if connector_id == 1 else "Available"
        assert status["status"] == expected, (
            f"connector {connector_id} after a power failure: expected {expected}"
            + (" (set Inoperative before the power failure; availability is kept over a "
               "reboot, 1.6 section 5.2)" if connector_id == 1 else "")
            + f", the charge point reported {status['status']}")
    reply = await station.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})
    assert reply["status"] == "Accepted"
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Available"})


# ---- offline behaviour (1.6 sections 3.5, 3.6, 4.7, 4.8, 4.10) --------------------------------
@pytest.mark.octt("TC_036_CS")
async def test_connection_loss_during_transaction(station, operator, bench):
    """Connection Loss During Transaction.

    MeterValueSampleInterval 1 s; a transaction charges and the Central System becomes
    unreachable. The charge point keeps charging offline and queues the transaction's
    MeterValues; after the reconnection it delivers them in order, each with the
    transactionId and the time it was sampled during the outage; the transaction goes on
    (no StopTransaction) and is stopped remotely afterwards (1.6 sections 3.6, 4.7).
    """
    interval = 1
    await change(station, "MeterValuesSampledData", REGISTER)
    await change(station, "MeterValueSampleInterval", str(interval))
    tx_id = await start_charging(station, operator, bench, id_tag(bench))
    outage = await go_offline(station, "TC_036: connection loss during a transaction")
    lost = station.journal.mark()
    await reconnected(station, bench, outage)

    def sampled_offline(p: dict[str, Any]) -> bool:
        """MeterValues of the transaction sampled during the outage"""
        return p.get("transactionId") == tx_id and any(
            outage.began <= parse_ts(mv["timestamp"])
            <= outage.ended - CLOCK_TOLERANCE_S for mv in p.get("meterValue", []))

    try:
        await station.expect("MeterValues", sampled_offline, since=lost,
                             within=bench.csms.message_timeout)
    except ExpectTimeout as exc:
        came = [mv["timestamp"] for e in station.received(lost) if e.action == "MeterValues"
                and (e.payload or {}).get("transactionId") == tx_id
                for mv in e.payload["meterValue"]]
        raise AssertionError(
            f"transaction {tx_id} charged through a {outage.ended - outage.began:.1f} s outage "
            f"with MeterValueSampleInterval {interval} s: after the reconnection the charge "
            "point must deliver the MeterValues it sampled meanwhile, stamped with their "
            "sampling time (1.6 sections 3.6, 4.7); none stamped during the outage came (its "
            f"MeterValues after the loss were stamped: {', '.join(came) or 'none'}).\n{exc}"
        ) from None
    await station.expect_none("StopTransaction", {"transactionId": tx_id}, since=station.test_mark,
                              within=0)
    try:
        await station.expect("MeterValues", lambda p: p.get("transactionId") == tx_id and any(
            parse_ts(mv["timestamp"]) > outage.ended - CLOCK_TOLERANCE_S / 2
            for mv in p.get("meterValue", [])), since=outage.mark,
            within=interval + bench.csms.deviation)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"transaction {tx_id} must go on after the outage, sampled every {interval} s; no "
            f"MeterValues after the reconnection.\n{exc}") from None
    delivered = [e for e in station.received(lost) if e.action == "MeterValues"
                 and (e.payload or {}).get("transactionId") == tx_id]
    stamps = [parse_ts(mv["timestamp"]) for e in delivered for mv in e.payload["meterValue"]]
    assert stamps == sorted(stamps), (
        "the queued MeterValues must be delivered in the order they were taken; timestamps in "
        "order of arrival: " + ", ".join(mv["timestamp"] for e in delivered
                                         for mv in e.payload["meterValue"]))
    readings = [(mv["timestamp"], float(sv["value"])) for e in delivered
                for mv in e.payload["meterValue"] for sv in mv["sampledValue"]
                if sv.get("measurand", REGISTER) == REGISTER]
    assert readings and readings[-1][1] > readings[0][1], (
        f"the charge point must keep charging through the outage: {REGISTER} in the "
        f"MeterValues delivered after it does not grow: "
        + ", ".join(f"{v:g} at {t}" for t, v in readings))
    reply = await station.call("RemoteStopTransaction", {"transactionId": tx_id})
    assert reply["status"] == "Accepted", (
        f"RemoteStopTransaction of transaction {tx_id}, ongoing through the outage: expected "
        f"Accepted, got {reply['status']}")
    stop = await station.expect("StopTransaction", {"transactionId": tx_id})
    assert stop.get("reason") == "Remote"


@pytest.mark.octt("TC_037_1_CS")
@pytest.mark.requires("LocalAuthorizeOffline")
async def test_offline_start_valid_id(station, operator, bench):
    """Offline Start Transaction - Valid IdTag.

    LocalAuthorizeOffline true; the idTag was accepted online before (it is in the
    Authorization Cache). Offline: cable in, that badge: the transaction starts offline.
    After the reconnection StartTransaction with the idTag and the time it started offline,
    then Charging (1.6 sections 3.5, 9.1.18).
    """
    tag = id_tag(bench)
    await change(station, "LocalAuthorizeOffline", "true")
    await try_change(station, "AuthorizationCacheEnabled", "true")
    await cache_id(station, operator, bench, tag)
    outage = await go_offline(station, "TC_037_1: offline start with a valid idTag")
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    acted = time.time()
    await operator.present_id_token(tag, evse=evse)
    await reconnected(station, bench, outage)
    try:
        start, _ = await start_transaction(station, 1)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"{tag}, accepted before and LocalAuthorizeOffline true, was badged offline: the "
            "transaction must start offline and its StartTransaction be delivered after the "
            f"reconnection (1.6 section 3.5); none came.\n{exc}") from None
    assert start["idTag"] == tag
    check_stamp(start["timestamp"], acted, outage, "StartTransaction of the transaction started "
                "offline")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})


async def _offline_unknown_id(station: StationSession, operator: Any, bench: Bench,
                              stop_on_invalid: bool) -> tuple[Message, int]:
    """AllowOfflineTxForUnknownId: an idTag the charge point does not know starts a
    transaction offline; after the reconnection the CSMS answers its StartTransaction
    Invalid. Returns the StartTransaction and its transactionId."""
    await change(station, "AllowOfflineTxForUnknownId", "true")
    await try_change(station, "LocalAuthorizeOffline", "true")
    await change(station, "StopTransactionOnInvalidId", "true" if stop_on_invalid else "false")
    # An earlier answer may be in the cache; then the idTag is not unknown.
    await station.call("ClearCache", {})
    tag = id_tag(bench, "invalid")
    default = station.responders["StartTransaction"]

    async def invalid(session: StationSession, m: Message) -> dict[str, Any]:
        reply = default(session, m)
        reply = dict(await reply if inspect.isawaitable(reply) else reply)
        if m.get("idTag") == tag:
            reply["idTagInfo"] = {"status": "Invalid"}
        return reply

    station.respond("StartTransaction", invalid)
    outage = await go_offline(station, f"offline start with the unknown idTag {tag}")
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(tag, evse=evse)
    await reconnected(station, bench, outage)
    try:
        start, tx_id = await start_transaction(station, 1)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"AllowOfflineTxForUnknownId true: {tag}, unknown to the charge point, badged "
            "offline must start a transaction, delivered as StartTransaction after the "
            f"reconnection (1.6 section 3.5); none came.\n{exc}") from None
    assert start["idTag"] == tag
    return start, tx_id


@pytest.mark.octt("TC_037_2_CS")
@pytest.mark.requires("AllowOfflineTxForUnknownId")
async def test_offline_start_invalid_id_continues(station, operator, bench):
    """Offline Start Transaction - Invalid IdTag - StopTransactionOnInvalidId false.

    AllowOfflineTxForUnknownId true, StopTransactionOnInvalidId false; an unknown idTag starts
    a transaction offline. The CSMS answers its StartTransaction Invalid: the transaction is
    not stopped, the energy is suspended (SuspendedEVSE) (1.6 sections 3.5, 9.1.30).
    """
    start, tx_id = await _offline_unknown_id(station, operator, bench, stop_on_invalid=False)
    try:
        await station.expect("StatusNotification", {"connectorId": 1, "status": "SuspendedEVSE"},
                             since=start.seq)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"StartTransaction.conf Invalid for transaction {tx_id} with "
            "StopTransactionOnInvalidId false: the transaction goes on without energy, "
            f"connector 1 SuspendedEVSE (1.6 section 9.1.30); it was not reported.\n{exc}"
        ) from None
    await station.expect_none("StopTransaction", {"transactionId": tx_id}, since=start.seq,
                              within=bench.csms.quiet_period)


@pytest.mark.octt("TC_037_3_CS")
@pytest.mark.requires("AllowOfflineTxForUnknownId")
async def test_offline_start_invalid_id_stopped(station, operator, bench):
    """Offline Start Transaction - Invalid IdTag - StopTransactionOnInvalidId true.

    AllowOfflineTxForUnknownId true, StopTransactionOnInvalidId true; an unknown idTag starts
    a transaction offline. The CSMS answers its StartTransaction Invalid: the charge point
    stops it, StopTransaction reason DeAuthorized (1.6 sections 3.5, 9.1.30).
    """
    start, tx_id = await _offline_unknown_id(station, operator, bench, stop_on_invalid=True)
    try:
        stop = await station.expect("StopTransaction", {"transactionId": tx_id}, since=start.seq)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"StartTransaction.conf Invalid for transaction {tx_id} with "
            "StopTransactionOnInvalidId true: the charge point must stop it (StopTransaction "
            f"reason DeAuthorized, 1.6 section 9.1.30); it did not.\n{exc}") from None
    assert stop.get("reason") == "DeAuthorized", (
        f"StopTransaction of transaction {tx_id}, stopped for StartTransaction.conf Invalid: "
        f"expected reason DeAuthorized, got {stop.get('reason')!r}")


@pytest.mark.octt("TC_038_CS")
async def test_offline_stop_transaction(station, operator, bench):
    """Offline Stop Transaction.

    A transaction charges; the Central System becomes unreachable and the driver stops it
    with the same badge. After the reconnection StopTransaction with the transactionId, the
    time it was stopped offline and reason Local (1.6 sections 3.6, 4.10).
    """
    tag = id_tag(bench)
    tx_id = await start_charging(station, operator, bench, tag)
    outage = await go_offline(station, "TC_038: stop a transaction offline")
    acted = time.time()
    await operator.present_id_token(tag, evse=hands_of(bench, 1)[0])
    await reconnected(station, bench, outage)
    try:
        stop = await station.expect("StopTransaction", {"transactionId": tx_id},
                                    since=station.test_mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            f"transaction {tx_id} was stopped offline: its StopTransaction must be delivered "
            f"after the reconnection (1.6 section 3.6); none came.\n{exc}") from None
    check_stamp(stop["timestamp"], acted, outage, f"StopTransaction of transaction {tx_id}, "
                "stopped offline")
    assert stop.get("reason", "Local") == "Local", (
        f"stopped by its badge: reason Local (or none), got {stop.get('reason')!r}")


@pytest.mark.octt("TC_039_CS")
async def test_offline_transaction(station, operator, bench):
    """Offline Transaction.

    The idTag is in the Authorization Cache, LocalAuthorizeOffline true. Offline, a whole
    transaction: cable in, badge, a moment of charging, badge again. After the reconnection
    StartTransaction then StopTransaction, in that order, each with the time it happened;
    the StopTransaction carries the transactionId the CSMS assigned in the
    StartTransaction.conf delivered before it (1.6 sections 3.6, 4.8, 4.10).
    """
    tag = id_tag(bench)
    await try_change(station, "LocalAuthorizeOffline", "true")
    await try_change(station, "AuthorizationCacheEnabled", "true")
    await cache_id(station, operator, bench, tag)
    outage = await go_offline(station, "TC_039: a whole transaction offline")
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    started = time.time()
    await operator.present_id_token(tag, evse=evse)
    await asyncio.sleep(OFFLINE_CHARGE_S)
    stopped = time.time()
    await operator.present_id_token(tag, evse=evse)
    await reconnected(station, bench, outage)
    try:
        start, tx_id = await start_transaction(station, 1)
        stop = await station.expect("StopTransaction", since=outage.mark)
    except ExpectTimeout as exc:
        raise AssertionError(
            "a transaction started and stopped offline: after the reconnection the charge "
            "point must deliver its StartTransaction and then its StopTransaction (1.6 "
            f"section 3.6).\n{exc}") from None
    assert start.seq < stop.seq, (
        f"StopTransaction (journal #{stop.seq}) came before the StartTransaction "
        f"(#{start.seq}) of the transaction: queued messages are delivered in order")
    assert stop["transactionId"] == tx_id, (
        f"the StopTransaction of the offline transaction must carry the transactionId the "
        f"Central System assigned in StartTransaction.conf ({tx_id}); it carries "
        f"{stop['transactionId']}")
    check_stamp(start["timestamp"], started, outage, "StartTransaction of the offline transaction")
    check_stamp(stop["timestamp"], stopped, outage, "StopTransaction of the offline transaction")
    assert stop["meterStop"] >= start["meterStart"], (
        f"meterStop {stop['meterStop']} below meterStart {start['meterStart']}")


# ---- Authorization Cache (1.6 sections 3.5.1, 5.4) ----------------------------------------
@pytest.mark.octt("TC_007_1_CS")
@pytest.mark.requires("AuthorizationCacheEnabled")
async def test_local_start_cached_id(station, operator, bench):
    """Regular Start Charging Session - Cached Id.

    AuthorizationCacheEnabled and LocalPreAuthorize true; the idTag was accepted before, so
    it is in the cache. Cable in, that badge: StartTransaction without an Authorize.req
    first, then Charging (1.6 sections 3.5.1, 4.1).
    """
    tag = id_tag(bench)
    await pre_authorize_from_cache(station)
    await cache_id(station, operator, bench, tag)
    mark = station.journal.mark()
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(tag, evse=evse)
    start, _ = await start_transaction(station, 1)
    assert start["idTag"] == tag
    sent = authorize_before(station, tag, mark, start)
    assert not sent, (
        f"{tag} is in the Authorization Cache (accepted a moment ago) and LocalPreAuthorize is "
        "true: the transaction must start from the cache, without Authorize.req (1.6 section "
        f"3.5.1); the charge point sent:\n  {sent[0].describe()}")
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})


@pytest.mark.octt("TC_007_2_CS")
@pytest.mark.requires("AuthorizationCacheEnabled")
async def test_remote_start_cached_id(station, operator, bench):
    """Remote Start Charging Session - Cached Id.

    AuthorizationCacheEnabled, LocalPreAuthorize and AuthorizeRemoteTxRequests true; the
    idTag is in the cache. Cable in, RemoteStartTransaction with it: Accepted, then
    StartTransaction without an Authorize.req (a remote start is authorized as a local one,
    1.6 sections 3.5.1, 5.11).
    """
    tag = id_tag(bench)
    await pre_authorize_from_cache(station)
    await _authorize_remote_starts(station)
    await cache_id(station, operator, bench, tag)
    start, mark = await _remote_start(station, operator, bench, tag)
    sent = authorize_before(station, tag, mark, start)
    assert not sent, (
        f"{tag} is in the Authorization Cache and LocalPreAuthorize is true: a remote start "
        "with it must start from the cache, without Authorize.req (1.6 sections 3.5.1, 5.11); "
        f"the charge point sent:\n  {sent[0].describe()}")


async def _authorize_remote_starts(station: StationSession) -> None:
    status = await try_change(station, "AuthorizeRemoteTxRequests", "true")
    if status != "Accepted":
        reply = await station.call("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]})
        value = (reply.get("configurationKey") or [{}])[0].get("value")
        if value != "true":
            pytest.skip(f"AuthorizeRemoteTxRequests is {value!r} and cannot be set true "
                        f"({status}): remote starts do not go through authorization")


async def _remote_start(station: StationSession, operator: Any, bench: Bench,
                        tag: str) -> tuple[Message, int]:
    """Cable in, RemoteStartTransaction on connector 1: Accepted; the StartTransaction and the
    journal position before the request."""
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    mark = station.journal.mark()
    reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
    assert reply["status"] == "Accepted", (
        f"RemoteStartTransaction on connector 1 (cable in, idle) with {tag}: expected Accepted, "
        f"got {reply['status']}")
    start, _ = await start_transaction(station, 1)
    assert start["idTag"] == tag
    return start, mark


async def _clear_cache(station: StationSession) -> None:
    reply = await station.call("ClearCache", {})
    assert reply["status"] == "Accepted", (
        f"ClearCache with the Authorization Cache enabled: expected Accepted, got "
        f"{reply['status']}")


@pytest.mark.octt("TC_061_1_CS")
@pytest.mark.requires("AuthorizationCacheEnabled")
async def test_clear_cache_local_start(station, operator, bench):
    """Clear Authorization Data in Authorization Cache - Local Start.

    The idTag is in the cache (LocalPreAuthorize true). ClearCache: Accepted. Cable in, that
    badge: the charge point no longer knows it and sends Authorize.req before the
    StartTransaction (1.6 sections 5.4, 3.5.1).
    """
    tag = id_tag(bench)
    await pre_authorize_from_cache(station)
    await cache_id(station, operator, bench, tag)
    await _clear_cache(station)
    mark = station.journal.mark()
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(tag, evse=evse)
    start, _ = await start_transaction(station, 1)
    assert authorize_before(station, tag, mark, start), (
        f"after ClearCache (Accepted) {tag} is no longer cached: the charge point must "
        "authorize it with Authorize.req before starting (1.6 section 5.4); it started the "
        "transaction without one, from a cache it said it had cleared")


@pytest.mark.octt("TC_061_2_CS")
@pytest.mark.requires("AuthorizationCacheEnabled")
async def test_clear_cache_remote_start(station, operator, bench):
    """Clear Authorization Data in Authorization Cache - Remote Start.

    The idTag is in the cache (LocalPreAuthorize and AuthorizeRemoteTxRequests true).
    ClearCache: Accepted. Cable in, RemoteStartTransaction with it: Accepted, and
    Authorize.req before the StartTransaction (1.6 sections 5.4, 3.5.1, 5.11).
    """
    tag = id_tag(bench)
    await pre_authorize_from_cache(station)
    await _authorize_remote_starts(station)
    await cache_id(station, operator, bench, tag)
    await _clear_cache(station)
    start, mark = await _remote_start(station, operator, bench, tag)
    assert authorize_before(station, tag, mark, start), (
        f"after ClearCache (Accepted) {tag} is no longer cached: a remote start with it must "
        "go through Authorize.req (AuthorizeRemoteTxRequests true, 1.6 sections 5.4, 5.11); "
        "the charge point started without one, from a cache it said it had cleared")
