"""OCTT block B, boot (Charging Station side): cold boot Accepted / Pending / Rejected."""

from __future__ import annotations

from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from harness.protocols.rpc import CallErrorReply
from suites.ocpp201.provisioning import (
    BootScript,
    connectors,
    expect_only,
    get_values,
    reboot_within,
    tolerance,
    wait_statuses,
)
from suites.ocpp201.support import first_connector, id_token, set_variable

HEARTBEAT = ("OCPPCommCtrlr", "HeartbeatInterval", None)


def _check_boot_request(boot, bench, reason: str = "PowerUp") -> None:
    assert boot["reason"] == reason, (
        f"BootNotification after a {'power cycle' if reason == 'PowerUp' else 'reset'}: expected "
        f"reason {reason}, the station sent {boot['reason']!r}")
    cs = boot["chargingStation"]
    for field, claimed in (("vendorName", bench.station.vendor), ("model", bench.station.model)):
        if claimed:
            assert cs.get(field) == claimed, (
                f"BootNotification chargingStation.{field}: the bench file says {claimed!r}, "
                f"the station sent {cs.get(field)!r}")


@pytest.mark.octt("TC_B_01_CS")
async def test_cold_boot_accepted(station, operator, bench):
    """Cold Boot Charging Station - Accepted.

    After a power cycle the station sends BootNotification (reason PowerUp, the vendor and
    model of the bench file). The CSMS accepts it with a 1 s heartbeat interval; the station
    then reports the status of every connector (Available) and sends Heartbeats at the
    interval of the response.

    Requirements: B01.FR.01, B01.FR.05, B01.FR.09.
    """
    interval = 1
    before = (await get_values(station, [HEARTBEAT])).get(HEARTBEAT, {})
    script = BootScript(["Accepted"], accepted_interval=interval)
    station.respond("BootNotification", script)
    try:
        await operator.power_cycle()
        boot = await station.expect("BootNotification", within=reboot_within(bench))
        _check_boot_request(boot, bench)
        statuses = await wait_statuses(station, connectors(bench), boot.seq, bench.csms.message_timeout,
                                       "after the accepted boot")
        wrong = {k: s for k, s in statuses.items() if s != "Available"}
        assert not wrong, (f"after a cold boot of an idle station every connector must be "
                           f"Available; the station reported {wrong}")
        # The heartbeat period, measured from the accepted boot or, if the station sends a
        # Heartbeat right after booting, between the first two Heartbeats.
        slack = tolerance(interval, bench)
        first = await station.expect("Heartbeat", within=interval + bench.csms.deviation,
                                     since=boot.seq)
        gap = first.mono - boot.mono
        if gap < interval - slack:
            second = await station.expect("Heartbeat", within=interval + bench.csms.deviation,
                                          since=boot.seq)
            gap = second.mono - first.mono
        assert interval - slack <= gap <= interval + slack, (
            f"BootNotificationResponse gave interval={interval} s: Heartbeats must follow every "
            f"{interval} s; they came {gap:.2f} s apart")
    finally:
        if before.get("attributeStatus") == "Accepted" and station.is_connected:
            # The response's interval is now the station's HeartbeatInterval: put it back.
            await set_variable(station, *HEARTBEAT[:2], before["attributeValue"])


@pytest.mark.octt("TC_B_02_CS")
async def test_cold_boot_pending(station, operator, bench):
    """Cold Boot Charging Station - Pending.

    The CSMS answers the BootNotification after a power cycle with Pending. While Pending the
    station answers the CSMS's GetVariables and sends nothing but BootNotification. On
    TriggerMessage(BootNotification) it answers Accepted and boots again; the CSMS accepts,
    and the station reports its connectors. Once Accepted, another
    TriggerMessage(BootNotification) is Rejected.

    Requirements: B02.FR.01, B02.FR.02, B02.FR.04, B02.FR.05, B02.FR.06, B02.FR.08, F06.FR.17.
    """
    pending = await boot_pending(station, operator, bench)
    reply = await station.call("GetVariables", {"getVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "OfflineThreshold"}}]})
    result = reply["getVariableResult"][0]
    assert result["attributeStatus"] == "Accepted", (
        f"GetVariables while the registration is Pending must be served (the CSMS may "
        f"configure a Pending station); the station answered {result}")
    await leave_pending_by_trigger(station, bench, pending)
    again = await station.call("TriggerMessage", {"requestedMessage": "BootNotification"})
    assert again["status"] == "Rejected", (
        f"TriggerMessage(BootNotification) once the registration is Accepted: expected "
        f"Rejected (F06.FR.17), the station answered {again['status']!r}")


@pytest.mark.octt("TC_B_03_CS")
async def test_cold_boot_rejected(station, operator, bench):
    """Cold Boot Charging Station - Rejected.

    The CSMS rejects the BootNotification after a power cycle with a 1 s interval. The
    station sends nothing else and boots again only when the interval is over (not earlier,
    not much later); the CSMS then accepts and the station reports its connectors.

    Requirements: B03.FR.02, B03.FR.04, B03.FR.06.
    """
    interval = 1
    script = BootScript(["Rejected", "Accepted"], interval=interval,
                        accepted_interval=bench.csms.heartbeat_interval)
    station.respond("BootNotification", script)
    await operator.power_cycle()
    rejected = await station.expect("BootNotification", within=reboot_within(bench))
    retry = await station.expect("BootNotification", within=interval + bench.csms.deviation)
    gap = retry.mono - rejected.mono
    slack = tolerance(interval, bench)
    assert gap >= interval - slack, (
        f"after BootNotificationResponse Rejected with interval={interval} s the station must "
        f"wait {interval} s before the next BootNotification; it sent it after {gap:.2f} s")
    await expect_only(station, {"BootNotification"}, rejected.seq, 0,
                      "while its registration is Rejected", until_seq=retry.seq)
    await wait_statuses(station, connectors(bench), retry.seq, bench.csms.message_timeout,
                        "after the BootNotification was accepted")


@pytest.mark.octt("TC_B_30_CS")
async def test_pending_request_security_error(station, operator, bench):
    """Cold Boot Charging Station - Pending/Rejected - SecurityError.

    While its registration is Pending, the station answers a RequestStartTransaction (not a
    request the CSMS may send before Accepted) with CALLERROR SecurityError, and starts
    nothing. Afterwards TriggerMessage(BootNotification) lets it boot and be Accepted.

    Requirements: B03.FR.08.
    """
    pending = await boot_pending(station, operator, bench)
    evse, _ = first_connector(bench)
    try:
        reply = await station.call("RequestStartTransaction", {
            "idToken": id_token(bench), "remoteStartId": 3001, "evseId": evse})
    except CallErrorReply as error:
        assert error.code == "SecurityError", (
            f"RequestStartTransaction while Pending: expected CALLERROR SecurityError, the "
            f"station answered CALLERROR {error.code} {error.frame.error_description!r}")
    else:
        raise AssertionError(
            f"RequestStartTransaction while the registration is Pending: expected CALLERROR "
            f"SecurityError, the station answered {reply.payload}")
    await leave_pending_by_trigger(station, bench, pending)


async def boot_pending(station: StationSession, operator: Any, bench: Bench) -> Message:
    """Power-cycle the station with the CSMS answering its boot Pending (the next one
    Accepted); return the Pending BootNotification."""
    station.respond("BootNotification", BootScript(
        ["Pending", "Accepted"], interval=30, accepted_interval=bench.csms.heartbeat_interval))
    await operator.power_cycle()
    return await station.expect("BootNotification", within=reboot_within(bench))


async def leave_pending_by_trigger(station: StationSession, bench: Bench,
                                   pending: Message) -> Message:
    """While Pending the station sends nothing but BootNotification; TriggerMessage
    (BootNotification) is Accepted, the station boots again, is accepted and reports its
    connectors (B02.FR.02, B02.FR.05, F06). Returns the accepted BootNotification."""
    await expect_only(station, {"BootNotification"}, pending.seq, bench.csms.quiet_period,
                      "while its registration is Pending")
    trigger = await station.call("TriggerMessage", {"requestedMessage": "BootNotification"})
    assert trigger["status"] == "Accepted", (
        f"TriggerMessage(BootNotification) while Pending: expected Accepted, the station "
        f"answered {trigger['status']!r}")
    accepted = await station.expect("BootNotification", within=bench.csms.message_timeout)
    await expect_only(station, {"BootNotification"}, pending.seq, 0,
                      "before its BootNotification was accepted", until_seq=accepted.seq)
    await wait_statuses(station, connectors(bench), accepted.seq, bench.csms.message_timeout,
                        "after the BootNotification was accepted")
    return accepted
