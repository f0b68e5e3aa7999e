"""OCTT block B, network (Charging Station side): network connection profiles, migration to
another CSMS, status reporting after an outage, reconnection."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from suites.ocpp201.provisioning import (
    DISCONNECTED,
    REFUSED_OFFLINE,
    choose_free_slot,
    connectors,
    csms_host,
    csms_url,
    events,
    get_values,
    reboot_within,
    second_csms,
    tolerance,
    wait_reconnected,
    wait_statuses,
)
from suites.ocpp201.support import first_connector, get_variable, set_variable

ACTIVE_PROFILE = ("OCPPCommCtrlr", "ActiveNetworkProfile", None)


def _connection_data(url: str, security_profile: int) -> dict[str, Any]:
    return {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": url,
            "messageTimeout": 30, "securityProfile": security_profile, "ocppInterface": "Wired0"}


async def _security_profile(station: StationSession) -> int:
    return int(await get_variable(station, "SecurityCtrlr", "SecurityProfile"))


async def _active_profile(station: StationSession) -> int | None:
    """ActiveNetworkProfile, or None when the station does not implement it."""
    result = (await get_values(station, [ACTIVE_PROFILE])).get(ACTIVE_PROFILE, {})
    if result.get("attributeStatus") != "Accepted":
        return None
    return int(result["attributeValue"])


async def _set_network_profile(station: StationSession, slot: int, data: dict[str, Any]) -> None:
    reply = await station.call("SetNetworkProfile", {"configurationSlot": slot, "connectionData": data})
    assert reply["status"] == "Accepted", (
        f"SetNetworkProfile slot {slot} ({data['ocppCsmsUrl']}, security profile "
        f"{data['securityProfile']}): expected Accepted (B09.FR.01), the station answered "
        f"{reply['status']!r} {reply.get('statusInfo') or ''}".rstrip())


async def _first_boot(old: StationSession, new: StationSession, since_old: int,
                      within: float) -> tuple[StationSession, Message]:
    """Whichever CSMS gets the station's BootNotification first."""
    waits = {asyncio.create_task(old.expect("BootNotification", within=within, since=since_old)): old,
             asyncio.create_task(new.expect("BootNotification", within=within)): new}
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
    task = next(iter(done))
    return waits[task], task.result()


async def prefer_profile(station: StationSession, slot: int, in_use: int,
                         data: dict[str, Any]) -> None:
    """Put ``data`` in ``slot`` and make it the first NetworkConfigurationPriority entry, the
    slot in use the second (B09, B10.FR.04); it takes effect at the next reset."""
    await _set_network_profile(station, slot, data)
    await set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority",
                       f"{slot},{in_use}")


async def reset_on_idle(station: StationSession) -> None:
    """Reset OnIdle of the idle station: it must answer Accepted (B11.FR.01)."""
    reply = await station.call("Reset", {"type": "OnIdle"})
    assert reply["status"] == "Accepted", (
        f"Reset OnIdle of the idle station: expected Accepted, got {reply['status']!r}")


async def _return_from(new: StationSession, station: StationSession, priority: str,
                       bench: Bench) -> None:
    """Undo a migration: through the new CSMS, put NetworkConfigurationPriority back and
    reset, so the station boots at the harness CSMS again."""
    if not new.is_connected:
        return
    mark = station.journal.mark()
    await set_variable(new, "OCPPCommCtrlr", "NetworkConfigurationPriority", priority)
    reply = await new.call("Reset", {"type": "OnIdle"})
    assert reply["status"] == "Accepted", f"Reset to return to the harness CSMS: {reply.payload}"
    await station.expect("BootNotification", within=reboot_within(bench), since=mark)


async def _fallback_boot(station: StationSession, new: StationSession, since: int, slot: int,
                         fallback: int, within: float) -> Message:
    """The BootNotification at the harness CSMS after the station gave up the unreachable
    first entry (NetworkProfileConnectionAttempts = 1). Fails as soon as the station tries
    the unreachable one a second time instead of falling back (B10.FR.03)."""
    deadline = time.monotonic() + within
    while not any(e.action == "BootNotification" for e in station.received(since)):
        tried = events(new, 0, REFUSED_OFFLINE)
        remaining = deadline - time.monotonic()
        if len(tried) > 1 or remaining <= 0:
            raise AssertionError(
                f"with NetworkProfileConnectionAttempts = 1 the station must fall back to the "
                f"next NetworkConfigurationPriority entry (slot {fallback}) after one failed "
                f"attempt at slot {slot} (B10.FR.03); it tried the unreachable slot "
                f"{len(tried)} time(s) and did not boot at slot {fallback} "
                f"({within - max(remaining, 0):.1f} s)")
        await station.journal.wait_change(min(remaining, 0.1))
    return await station.expect("BootNotification", within=1, since=since)


@pytest.mark.octt("TC_B_43_CS")
async def test_set_network_profile_rejected(station, operator, bench):
    """Set new NetworkConnectionProfile - Rejected.

    SetNetworkProfile for a free configuration slot with connection data the station cannot
    use (ocppCsmsUrl "not a url"): the station validates the content and answers Rejected.

    Requirements: B09.FR.02.
    """
    slot, _, _ = await choose_free_slot(station)
    data = _connection_data("not a url", await _security_profile(station))
    reply = await station.call("SetNetworkProfile", {"configurationSlot": slot, "connectionData": data})
    assert reply["status"] == "Rejected", (
        f"SetNetworkProfile slot {slot} with ocppCsmsUrl {data['ocppCsmsUrl']!r}: expected "
        f"Rejected (B09.FR.02: invalid content), the station answered {reply['status']!r}")


@pytest.mark.octt("TC_B_45_CS")
async def test_migrate_network_profile(station, operator, bench, csms):
    """Migrate to new ConnectionProfile - Success - Same CSMS Root.

    SetNetworkProfile stores a profile for a second harness CSMS endpoint in a free slot
    (Accepted); NetworkConfigurationPriority puts that slot first, the slot in use second
    (Accepted or RebootRequired); Reset OnIdle (Accepted). After the reboot the station
    connects to the new CSMS, the first entry, and boots there (BootNotification, connector
    statuses); ActiveNetworkProfile names the new slot. Afterwards the test moves it back.

    Requirements: B09.FR.01, B10.FR.01, B10.FR.04, B10.FR.06.
    """
    slot, priority, active = await choose_free_slot(station)
    in_use = active if active is not None else int(priority.split(",")[0])
    profile = await _security_profile(station)
    async with second_csms(bench, csms) as server:
        new = server.session(bench.station.id)
        url = csms_url(server, csms_host(station, bench))
        await prefer_profile(station, slot, in_use, _connection_data(url, profile))
        mark = station.journal.mark()
        try:
            await reset_on_idle(station)
            where, boot = await _first_boot(station, new, mark, reboot_within(bench))
            assert where is new, (
                f"after the reboot the station must connect to the first entry of "
                f"NetworkConfigurationPriority {slot},{in_use} (slot {slot}, {url}; B10.FR.04), "
                f"but it booted at the old CSMS (slot {in_use}) again")
            await wait_statuses(new, connectors(bench), boot.seq, bench.csms.message_timeout,
                                "after booting at the new CSMS")
            now_active = await _active_profile(new)
            assert now_active in (None, slot), (
                f"connected through slot {slot}, the station reports ActiveNetworkProfile "
                f"{now_active}")
        finally:
            await _return_from(new, station, priority, bench)


@pytest.mark.octt("TC_B_46_CS")
async def test_migrate_network_profile_fallback(station, operator, bench, csms):
    """Migrate to new ConnectionProfile - Fallback mechanism - Same CSMS Root.

    As in TC_B_45, a new profile goes first in NetworkConfigurationPriority and the station
    is reset, but the new CSMS refuses every connection (HTTP 503). With
    NetworkProfileConnectionAttempts = 1 the station tries the new profile first, then falls
    back to the next entry, the harness CSMS, and boots there; ActiveNetworkProfile names that
    slot.

    Requirements: B10.FR.03, B10.FR.04.
    """
    slot, priority, active = await choose_free_slot(station)
    in_use = active if active is not None else int(priority.split(",")[0])
    profile = await _security_profile(station)
    for name, value in (("NetworkProfileConnectionAttempts", "1"), ("RetryBackOffWaitMinimum", "1"),
                        ("RetryBackOffRandomRange", "0")):
        await set_variable(station, "OCPPCommCtrlr", name, value)
    async with second_csms(bench, csms) as server:
        new = server.session(bench.station.id)
        new.refuse_until = time.monotonic() + 3600  # unreachable: every attempt gets HTTP 503
        url = csms_url(server, csms_host(station, bench))
        await prefer_profile(station, slot, in_use, _connection_data(url, profile))
        mark = station.journal.mark()
        try:
            await reset_on_idle(station)
            boot = await _fallback_boot(station, new, mark, slot, in_use, reboot_within(bench))
            tried = events(new, 0, REFUSED_OFFLINE)
            assert tried and tried[0].mono < boot.mono, (
                f"after the reboot the station must try the first entry of "
                f"NetworkConfigurationPriority (slot {slot}, {url}; B10.FR.04) before falling "
                f"back; it never tried it")
            now_active = await _active_profile(station)
            assert now_active in (None, in_use), (
                f"connected through slot {in_use}, the station reports ActiveNetworkProfile "
                f"{now_active}")
        finally:
            if not station.is_connected:
                # Stranded at the unreachable CSMS: let it in there, and send it back.
                new.back_online()
                with contextlib.suppress(AssertionError):
                    await new.wait_connected(reboot_within(bench))
                    await new.expect("BootNotification", within=bench.csms.message_timeout)
                    await _return_from(new, station, priority, bench)


@pytest.mark.octt("TC_B_51_CS")
async def test_status_change_offline_above_threshold(station, operator, bench):
    """Status change during offline period - > Offline Threshold.

    OfflineThreshold = 1 s. The CSMS becomes unreachable; meanwhile a cable is plugged in.
    The station is offline longer than OfflineThreshold (first reconnection attempt after
    RetryBackOffWaitMinimum = 2 s), so after reconnecting it reports the status of every
    connector, the plugged one Occupied.

    Requirements: B04.FR.01.
    """
    evse, connector = first_connector(bench)
    await set_variable(station, "OCPPCommCtrlr", "OfflineThreshold", "1")
    await set_variable(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "2")
    await set_variable(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    mark = station.journal.mark()
    try:
        await station.go_offline(1.5)
        await operator.plug_in(evse, connector)
        back = await wait_reconnected(station, mark, 2 + bench.csms.deviation + bench.csms.message_timeout)
        dropped = events(station, mark, DISCONNECTED)[0]
        statuses = await wait_statuses(
            station, connectors(bench), back.seq, bench.csms.message_timeout,
            f"after {back.mono - dropped.mono:.1f} s offline (OfflineThreshold 1 s, B04.FR.01)")
        assert statuses[(evse, connector)] == "Occupied", (
            f"EVSE {evse} connector {connector} was plugged in while offline: expected Occupied "
            f"after reconnecting, the station reported {statuses[(evse, connector)]!r}")
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_B_52_CS")
async def test_status_change_offline_below_threshold(station, operator, bench):
    """Status change during offline period - < Offline Threshold.

    OfflineThreshold = 60 s. The CSMS is unreachable for about a second; meanwhile a cable is
    plugged in. After reconnecting the station reports the connector that changed (Occupied),
    and no connector whose status did not change while it was offline.

    Requirements: B04.FR.02.
    """
    evse, connector = first_connector(bench)
    await set_variable(station, "OCPPCommCtrlr", "OfflineThreshold", "60")
    await set_variable(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum", "1")
    await set_variable(station, "OCPPCommCtrlr", "RetryBackOffRandomRange", "0")
    known = dict(station.state.connector_status)
    mark = station.journal.mark()
    try:
        await station.go_offline(0.5)
        await operator.plug_in(evse, connector)
        back = await wait_reconnected(station, mark, 1 + bench.csms.deviation + bench.csms.message_timeout)
        reported = await wait_statuses(station, [(evse, connector)], back.seq,
                                       bench.csms.message_timeout, "after a short outage")
        assert reported[(evse, connector)] == "Occupied", (
            f"EVSE {evse} connector {connector} was plugged in while offline: expected Occupied "
            f"after reconnecting, the station reported {reported[(evse, connector)]!r}")

        def unchanged(p: dict[str, Any]) -> bool:
            """an unchanged connector status (B04.FR.02: only changes after a short outage)"""
            key = (p.get("evseId"), p.get("connectorId"))
            return key != (evse, connector) and known.get(key) == p.get("connectorStatus")

        await station.expect_none("StatusNotification", unchanged,
                                  within=bench.csms.quiet_period, since=back.seq)
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


@pytest.mark.octt("TC_B_57_CS")
async def test_reconnect_after_connection_loss(station, operator, bench):
    """Network Reconnection - After connection loss.

    RetryBackOffWaitMinimum = 1 s, RetryBackOffRandomRange = 0, RetryBackOffRepeatTimes = 2,
    NetworkProfileConnectionAttempts = 3. The CSMS drops the connection and refuses
    reconnections for 1.5 s. The station's first attempt comes after the minimum back-off,
    the next one after twice that (OCPP-J Part 4, 5.3); once reconnected it carries on
    without a new BootNotification and answers requests.

    Requirements: OCPP-J Part 4, section 5.3 Reconnecting.
    """
    wait_min = 1
    for name, value in (("RetryBackOffWaitMinimum", str(wait_min)), ("RetryBackOffRandomRange", "0"),
                        ("RetryBackOffRepeatTimes", "2"), ("NetworkProfileConnectionAttempts", "3")):
        await set_variable(station, "OCPPCommCtrlr", name, value)
    mark = station.journal.mark()
    await station.go_offline(1.5 * wait_min)
    back = await wait_reconnected(station, mark, 3 * wait_min + bench.csms.deviation + 1)
    dropped = events(station, mark, DISCONNECTED)[0]
    attempts = [e.mono for e in events(station, mark, REFUSED_OFFLINE)] + [back.mono]
    slack = tolerance(wait_min, bench)
    first = attempts[0] - dropped.mono
    assert first >= wait_min - slack, (
        f"after the connection loss the first reconnection attempt must wait "
        f"RetryBackOffWaitMinimum = {wait_min} s; the station tried after {first:.2f} s")
    if len(attempts) > 1:
        second = attempts[1] - attempts[0]
        assert second >= 2 * wait_min - slack, (
            f"each further reconnection attempt doubles the back-off: the second attempt must "
            f"come {2 * wait_min} s after the first, the station tried after {second:.2f} s")
    await station.expect_none("BootNotification", within=bench.csms.quiet_period, since=back.seq)
    value = await get_variable(station, "OCPPCommCtrlr", "RetryBackOffWaitMinimum")
    assert value == str(wait_min), f"GetVariables after reconnecting read {value!r}"


# ---- Fallback when the new CSMS is lost after a migration (C-47) ---------------------------
# TC_B_49_CS. TC_B_47_CS (the same with a new CSMS root, AS-2 and M05) is not implemented.

@pytest.mark.octt("TC_B_49_CS")
@pytest.mark.requires("NetworkProfileFallbackOnConnectionLoss")  # C-47
async def test_migrate_fallback_after_connection_attempts(station, operator, bench, csms):
    """Migrate to new ConnectionProfile - Fallback after NetworkProfileConnectionAttempts per
    NetworkConfigurationPriority failed - Same CSMS Root.

    NetworkProfileConnectionAttempts 1, RetryBackOffRepeatTimes 0, RetryBackOffRandomRange 0,
    RetryBackOffWaitMinimum 1 s. As in TC_B_45 the station migrates to a second harness CSMS
    (first priority entry) and boots there. Then that CSMS becomes unreachable: after
    NetworkProfileConnectionAttempts failed attempt(s) at it the station falls back to the next
    entry, the harness CSMS, and boots there (B10.FR.07).
    """
    wait_min = 1
    slot, priority, active = await choose_free_slot(station)
    in_use = active if active is not None else int(priority.split(",")[0])
    profile = await _security_profile(station)
    for name, value in (("NetworkProfileConnectionAttempts", "1"), ("RetryBackOffRepeatTimes", "0"),
                        ("RetryBackOffRandomRange", "0"), ("RetryBackOffWaitMinimum", str(wait_min))):
        await set_variable(station, "OCPPCommCtrlr", name, value)
    async with second_csms(bench, csms) as server:
        new = server.session(bench.station.id)
        url = csms_url(server, csms_host(station, bench))
        await prefer_profile(station, slot, in_use, _connection_data(url, profile))
        mark = station.journal.mark()
        try:
            await reset_on_idle(station)
            where, _ = await _first_boot(station, new, mark, reboot_within(bench))
            assert where is new, (
                f"after the reboot the station must connect to the first entry of "
                f"NetworkConfigurationPriority {slot},{in_use} (slot {slot}, {url}; B10.FR.04), "
                f"but it booted at the old CSMS (slot {in_use}) again")
            lost = station.journal.mark()
            await new.go_offline(3600, "the new CSMS is lost")
            within = 4 * wait_min + bench.csms.deviation + bench.csms.message_timeout
            boot = await _fallback_boot(station, new, lost, slot, in_use, within)
            tried = [e for e in events(new, 0, REFUSED_OFFLINE) if e.mono < boot.mono]
            assert tried, (
                f"the station fell back to slot {in_use} without first trying to reconnect to "
                f"the lost CSMS (slot {slot}) NetworkProfileConnectionAttempts = 1 time")
        finally:
            if station.is_connected:
                with contextlib.suppress(Exception):
                    await set_variable(station, "OCPPCommCtrlr", "NetworkConfigurationPriority",
                                       priority)
            else:  # stranded at the lost CSMS: let it in there, and send it back
                new.back_online()
                with contextlib.suppress(AssertionError):
                    await new.wait_connected(reboot_within(bench))
                    await _return_from(new, station, priority, bench)
