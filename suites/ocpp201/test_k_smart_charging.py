"""OCTT block K (Smart Charging), Charging Station side: SetChargingProfile (K01), remote
start with a TxProfile (K05), GetCompositeSchedule (K08), GetChargingProfiles (K09) and
ClearChargingProfile (K10).

Every composite schedule a station reports is compared with the one the harness computes
itself (harness.smart_charging) from the profiles the test installed; TC_K_28_CS also checks
that the power the station meters stays within the limit in force. Limits follow the OCTT's
<limit multiplier> (A: x1, W: x690). Every test clears the profiles it set.
"""

from __future__ import annotations

import contextlib

import pytest

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from harness.evidence.steps import step
from harness.protocols.rpc import CallErrorReply
from harness.smart_charging import ProfileOnEvse
from suites.ocpp201.charging_profiles import (
    Book,
    after,
    check_composite,
    check_reported,
    clear,
    composite,
    expect_delivery_within,
    get_profiles,
    measurands_for_power,
    new_id,
    profile,
    profiles,
    rate_unit,
    steady_delivery,
)
from suites.ocpp201.provisioning import reboot_within
from suites.ocpp201.support import first_connector, id_token, start_charging, tx_id
from suites.ocpp201.transactions import end_by_unplug, unknown_transaction_id


def other_evse(bench: Bench) -> int | None:
    ids = [e.id for e in bench.station.evses]
    return ids[1] if len(ids) > 1 else None


def missing_evse(bench: Bench) -> int:
    return max(e.id for e in bench.station.evses) + 1


async def default_on(book: Book, bench: Bench, evse: int, amps: float, *, level: int = 0,
                     duration: int | None = None, **kw) -> dict:
    """A TxDefaultProfile on ``evse`` from <now - deviation>, one period of ``amps`` x unit."""
    u = await rate_unit(book.station)
    body = profile("TxDefaultProfile", [(0, u(amps))], unit=u.unit, stack_level=level,
                   start=after(-bench.csms.deviation), duration=duration, **kw)
    await book.set(evse, body, why=f"a valid TxDefaultProfile for EVSE {evse}")
    return body


async def unsupported_unit(station) -> str:
    """A chargingRateUnit the station does not list in SmartChargingCtrlr.RateUnit; the case
    is skipped on a station that supports both (OCTT: NOT (SC-2.1 and SC-2.2))."""
    reply = await station.call("GetVariables", {"getVariableData": [
        {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}}]})
    result = reply["getVariableResult"][0]
    units = str(result.get("attributeValue", "")).split(",")
    missing = [u for u in ("A", "W") if u not in units]
    if not missing:
        pytest.skip(f"the station supports both chargingRateUnits (SmartChargingCtrlr.RateUnit "
                    f"{result.get('attributeValue')!r}): the case is for a station with one")
    return missing[0]


# ---- K01: SetChargingProfile ---------------------------------------------------------------
@pytest.mark.octt("TC_K_01_CS")
async def test_set_tx_default_profile_specific_evse(station, bench):
    """Set Charging Profile - TxDefaultProfile - Specific EVSE.

    A TxDefaultProfile for all EVSEs (evseId 0) and one for a specific EVSE: both Accepted;
    on that EVSE the specific one applies, on the others the station-wide one (composite
    schedules).

    Requirements: K01.FR.07, K01.FR.15.
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        await default_on(book, bench, 0, 10, duration=400)
        await default_on(book, bench, evse, 6, duration=400)
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the EVSE's own TxDefaultProfile overrides the station-wide one")
        if (other := other_evse(bench)) is not None:
            await check_composite(station, bench, book, evse=other, duration=300, unit=u.unit,
                                  why="the station-wide TxDefaultProfile applies to other EVSEs")


@pytest.mark.octt("TC_K_02_CS")
async def test_set_tx_profile_without_transaction(station, bench):
    """Set Charging Profile - TxProfile without ongoing transaction on the specified EVSE.

    A TxProfile for an EVSE without a transaction: Rejected (K01.FR.09).

    Requirements: K01.FR.04, K01.FR.07, K01.FR.09.
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        body = profile("TxProfile", [(0, u(6))], unit=u.unit, start=after(-bench.csms.deviation),
                       transaction_id=unknown_transaction_id())
        await book.set(evse, body, expect="Rejected", why="no transaction on the EVSE")
        check_reported(await get_profiles(station, bench, evse=evse), want=set(), evse=evse,
                       what="after a rejected TxProfile")


@pytest.mark.octt("TC_K_03_CS")
async def test_set_charging_station_max_profile(station, bench):
    """Set Charging Profile - ChargingStationMaxProfile.

    A ChargingStationMaxProfile (evseId 0): Accepted, and it limits the station's composite
    schedule (evseId 0) and every EVSE's.
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        body = profile("ChargingStationMaxProfile", [(0, u(16)), (120, u(12))], unit=u.unit,
                       start=after(-bench.csms.deviation), duration=86400)
        await book.set(0, body, why="a valid ChargingStationMaxProfile")
        await check_composite(station, bench, book, evse=0, duration=300, unit=u.unit,
                              why="the ChargingStationMaxProfile limits the whole station")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the ChargingStationMaxProfile limits each EVSE")


@pytest.mark.octt("TC_K_04_CS")
async def test_replace_profile_with_same_id(station, bench):
    """Replace charging profile - With chargingProfileId.

    A profile is replaced by a SetChargingProfile with the same id (K01.FR.05): the station
    keeps only the new one. A second profile with another id but the same stackLevel and
    purpose on the same EVSE is Rejected (K01.FR.06): only by its id is a profile replaced.

    Requirements: K01.FR.05.
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        first = await default_on(book, bench, evse, 6, duration=400)
        second = profile("TxDefaultProfile", [(0, u(8))], unit=u.unit, pid=first["id"],
                         start=after(-bench.csms.deviation), duration=400)
        await book.set(evse, second, why="the same chargingProfileId replaces the profile")
        check_reported(await get_profiles(station, bench, evse=evse), want={first["id"]},
                       evse=evse, what=f"for EVSE {evse} after the replacement")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the replacing profile (limit 8) is the one in force")
        duplicate = profile("TxDefaultProfile", [(0, u(10))], unit=u.unit,
                            start=after(-bench.csms.deviation), duration=400)
        await book.set(evse, duplicate, expect="Rejected",
                       why=f"profile {first['id']} already has stackLevel 0 and this purpose on the "
                           "EVSE (K01.FR.06)")


@pytest.mark.octt("TC_K_10_CS")
async def test_set_tx_default_profile_all_evses(station, bench):
    """Set Charging Profile - TxDefaultProfile - All EVSE.

    A TxDefaultProfile with evseId 0: Accepted, and it applies to every EVSE.

    Requirements: K01.FR.07, K01.FR.14.
    """
    u = await rate_unit(station)
    async with profiles(station) as book:
        await default_on(book, bench, 0, 8, duration=400)
        for e in bench.station.evses:
            await check_composite(station, bench, book, evse=e.id, duration=300, unit=u.unit,
                                  why="a TxDefaultProfile with evseId 0 applies to every EVSE")


@pytest.mark.octt("TC_K_11_CS")
async def test_tx_profile_on_all_evses_rejected(station, operator, bench):
    """Set Charging Profile - Unable to set TxProfile on all EVSE at once.

    During a transaction, a TxProfile with its transactionId but evseId 0: Rejected.

    Requirements: K01.FR.04, K01.FR.16.
    """
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        body = profile("TxProfile", [(0, u(6))], unit=u.unit, start=after(-bench.csms.deviation),
                       transaction_id=tx_id(started))
        await book.set(0, body, expect="Rejected", why="a TxProfile needs an EVSE (K01.FR.16)")
        await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)


@pytest.mark.octt("TC_K_12_CS")
async def test_set_profile_unsupported_rate_unit(station, bench):
    """Set Charging Profile - ChargerRateUnit Rejected.

    A TxDefaultProfile in the chargingRateUnit the station does not list in
    SmartChargingCtrlr.RateUnit: Rejected (K01.FR.26), and not installed.
    """
    unit = await unsupported_unit(station)
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        body = profile("TxDefaultProfile", [(0, 6.0 if unit == "A" else 6.0 * 690)], unit=unit,
                       start=after(-bench.csms.deviation))
        await book.set(evse, body, expect="Rejected",
                       why=f"chargingRateUnit {unit} is not in SmartChargingCtrlr.RateUnit "
                           "(K01.FR.26)")
        check_reported(await get_profiles(station, bench, evse=evse), want=set(), evse=evse,
                       what=f"after a rejected profile in {unit}")


@pytest.mark.octt("TC_K_13_CS")
async def test_profile_persistent_over_reboot(station, bench):
    """Set Charging Profile - Persistent over reboot.

    A TxDefaultProfile is set; the station is reset: after the reboot it still reports the
    profile, and its composite schedule still follows it (K01.FR.27).
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        body = await default_on(book, bench, evse, 6, duration=3600)
        with step("reboot the station (Reset Immediate)"):
            mark = station.journal.mark()
            reply = await station.call("Reset", {"type": "Immediate"})
            assert reply["status"] == "Accepted", f"Reset Immediate on an idle station: {reply.payload}"
            await station.expect("BootNotification", within=reboot_within(bench), since=mark)
            await station.expect("StatusNotification", within=reboot_within(bench), since=mark)
        check_reported(await get_profiles(station, bench, evse=evse), want={body["id"]}, evse=evse,
                       what="after a reboot: charging profiles are persistent (K01.FR.27)")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the profile set before the reboot still applies")


@pytest.mark.octt("TC_K_14_CS")
async def test_set_profile_unknown_evse(station, bench):
    """Set Charging Profile - Unexisting EVSEid: Rejected (K01.FR.28)."""
    u = await rate_unit(station)
    async with profiles(station) as book:
        body = profile("TxDefaultProfile", [(0, u(6))], unit=u.unit,
                       start=after(-bench.csms.deviation))
        await book.set(missing_evse(bench), body, expect="Rejected",
                       why=f"EVSE {missing_evse(bench)} does not exist")


@pytest.mark.octt("TC_K_16_CS")
async def test_set_tx_profile_unknown_transaction(station, operator, bench):
    """Set Charging Profile - Unknown transactionId.

    During a transaction on the EVSE, a TxProfile for another (unknown) transactionId:
    Rejected (K01.FR.33).
    """
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        body = profile("TxProfile", [(0, u(6))], unit=u.unit, start=after(-bench.csms.deviation),
                       transaction_id=unknown_transaction_id())
        await book.set(evse, body, expect="Rejected", why="the transactionId is unknown")
        await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)


@pytest.mark.octt("TC_K_19_CS")
async def test_set_recurring_profile(station, bench):
    """Set Charging Profile - ChargingProfileKind is Recurring.

    A daily Recurring TxDefaultProfile that began yesterday: Accepted, and the composite
    schedule follows today's recurrence of it (K01.FR.40: with a startSchedule).
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        body = profile("TxDefaultProfile", [(0, u(6)), (120, u(10)), (240, u(8))], unit=u.unit,
                       kind="Recurring", recurrency="Daily", duration=86400,
                       start=after(-86400 - 60))
        await book.set(evse, body, why="a Daily Recurring profile with a startSchedule")
        await check_composite(station, bench, book, evse=evse, duration=400, unit=u.unit,
                              why="today's recurrence of the daily profile applies")


@pytest.mark.octt("TC_K_21_CS")
async def test_set_profile_valid_from(station, bench):
    """Set Charging Profile - ValidFrom.

    Over a TxDefaultProfile (stackLevel 0), one of stackLevel 1 valid only from 60 s on: the
    composite schedule keeps the first until then (K01.FR.36).
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        await default_on(book, bench, evse, 10, duration=3600)
        body = profile("TxDefaultProfile", [(0, u(6))], unit=u.unit, stack_level=1,
                       start=after(-bench.csms.deviation), valid_from=after(60), valid_to=after(600))
        await book.set(evse, body, why="a profile valid from the future")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the stackLevel 1 profile is in force only from its validFrom")


@pytest.mark.octt("TC_K_22_CS")
async def test_set_profile_valid_to(station, bench):
    """Set Charging Profile - ValidTo.

    Over a TxDefaultProfile (stackLevel 0), one of stackLevel 1 valid until 60 s from now:
    the composite schedule returns to the first after its validTo (K01.FR.37).
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        await default_on(book, bench, evse, 10, duration=3600)
        body = profile("TxDefaultProfile", [(0, u(6))], unit=u.unit, stack_level=1,
                       start=after(-bench.csms.deviation), valid_from=after(-bench.csms.deviation),
                       valid_to=after(60))
        await book.set(evse, body, why="a profile valid until 60 s from now")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the stackLevel 1 profile ends at its validTo")


@pytest.mark.octt("TC_K_23_CS")
async def test_set_profile_start_schedule(station, bench):
    """Set Charging Profile - StartSchedule.

    A TxDefaultProfile (stackLevel 1) whose schedule starts 60 s from now over one already in
    force: the composite schedule changes at its startSchedule (K01.FR.30).
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        await default_on(book, bench, evse, 10, duration=3600)
        body = profile("TxDefaultProfile", [(0, u(6))], unit=u.unit, stack_level=1,
                       start=after(60), duration=400)
        await book.set(evse, body, why="an Absolute profile starting in 60 s")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the profile applies from its startSchedule on")


@pytest.mark.octt("TC_K_28_CS")
async def test_set_tx_default_profile_during_transaction(station, operator, bench):
    """Set Charging Profile - TxDefaultProfile with transaction ongoing.

    While a transaction charges, a TxDefaultProfile for its EVSE: Accepted, the ongoing
    transaction follows it (K01.FR.32): the composite schedule shows it and the current (or
    power) the station meters on the EVSE comes down to the limit.
    """
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    await measurands_for_power(station)
    async with profiles(station) as book:
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        before = await steady_delivery(station, bench, evse, unit=u.unit,
                                       within=max(10.0, 2 * bench.csms.deviation))
        assert before > 2 * u(6), (
            f"the station must meter what it delivers on EVSE {evse} while charging "
            f"({'Current.Import' if u.unit == 'A' else 'Power.Active.Import'}) well above the "
            f"limit to be set ({u(6):g} {u.unit}); it meters {before:g} {u.unit}")
        limit = round(max(u(6), before / 2), 0)
        body = profile("TxDefaultProfile", [(0, limit)], unit=u.unit,
                       start=after(-bench.csms.deviation), duration=3600)
        await book.set(evse, body, why="a TxDefaultProfile during a transaction")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the TxDefaultProfile applies to the ongoing transaction",
                              tx_id=tx_id(started))
        await expect_delivery_within(station, bench, evse, limit=limit, unit=u.unit,
                                     settle=max(5.0, 2 * bench.csms.deviation),
                                     why="TxDefaultProfile set during the transaction (K01.FR.32)")
        await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)


@pytest.mark.octt("TC_K_60_CS")
async def test_set_tx_profile_during_transaction(station, operator, bench):
    """Set Charging Profile - TxProfile with ongoing transaction on the specified EVSE.

    During a transaction, a TxProfile with its transactionId: Accepted, and it overrides the
    TxDefaultProfile in the composite schedule. When the transaction ends, so does the
    TxProfile: it is no longer reported.

    Requirements: K01.FR.04, K01.FR.07, K01.FR.15.
    """
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        await default_on(book, bench, evse, 10, duration=3600)
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        body = profile("TxProfile", [(0, u(8)), (120, u(6))], unit=u.unit,
                       start=after(-bench.csms.deviation), duration=260,
                       transaction_id=tx_id(started))
        await book.set(evse, body, why="a TxProfile for the ongoing transaction")
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the TxProfile overrides the TxDefaultProfile",
                              tx_id=tx_id(started))
        await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)
        book.forget_tx(tx_id(started))
        check_reported(await get_profiles(station, bench, evse=evse,
                                          chargingProfilePurpose="TxProfile"),
                       want=set(), evse=evse,
                       what="TxProfile after its transaction ended (a TxProfile lives as long "
                            "as its transaction)")


# ---- K05: remote start with a charging profile ----------------------------------------------
@pytest.mark.octt("TC_K_37_CS")
async def test_remote_start_with_charging_profile(station, operator, bench):
    """Remote start transaction with charging profile - Success.

    RequestStartTransaction with a (Relative) TxProfile: Accepted; the transaction starts
    and the profile applies to it: reported with its transactionId (K05.FR.03), and in the
    composite schedule. It ends with the transaction.

    Requirements: K05.FR.03, E01.FR.02, F01.FR.10, F01.FR.13.
    """
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    remote_start_id = new_id()
    async with profiles(station) as book:
        body = profile("TxProfile", [(0, u(16))], unit=u.unit, kind="Relative")
        book.set_ids.add(body["id"])
        reply = await station.call("RequestStartTransaction", {
            "idToken": id_token(bench), "remoteStartId": remote_start_id, "evseId": evse,
            "chargingProfile": body})
        assert reply["status"] == "Accepted", (
            f"RequestStartTransaction with a TxProfile: expected Accepted, the station answered "
            f"{reply.payload}")
        await operator.plug_in(evse, connector)
        started = await station.expect("TransactionEvent", {
            "transactionInfo.remoteStartId": remote_start_id})
        transaction = tx_id(started)
        got = await get_profiles(station, bench, evse=evse, chargingProfilePurpose="TxProfile")
        check_reported(got, want={body["id"]}, evse=evse,
                       what="after a remote start with a TxProfile (K05.FR.03)")
        reported = next(p for _, p in got.profiles if p["id"] == body["id"])
        assert reported.get("transactionId") == transaction, (
            f"the TxProfile of the remote start must be bound to the transaction it started "
            f"({transaction}); the station reports transactionId {reported.get('transactionId')}")
        book.installed[body["id"]] = ProfileOnEvse(evse, reported)
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the remote start's TxProfile applies to its transaction",
                              tx_id=transaction, tx_start=started["timestamp"])
        await end_by_unplug(station, operator, bench, transaction, evse, connector)
        book.forget_tx(transaction)
        check_reported(await get_profiles(station, bench, evse=evse,
                                          chargingProfilePurpose="TxProfile"),
                       want=set(), evse=evse, what="after the transaction of the TxProfile ended")


# ---- K08: GetCompositeSchedule -------------------------------------------------------------
@pytest.mark.octt("TC_K_39_CS")
async def test_composite_schedule_without_profiles(station, bench):
    """Get Composite Schedule - No ChargingProfile installed on Charging Station.

    Without profiles, GetCompositeSchedule for evseId 0 and 300 s: Accepted, a schedule for
    evseId 0 of 300 s in the requested unit, starting now, its first period at 0 (the
    station's own limits).

    Requirements: K08.FR.02, K08.FR.03, K08.FR.06.
    """
    u = await rate_unit(station)
    async with profiles(station) as book:
        await check_composite(station, bench, book, evse=0, duration=300, unit=u.unit,
                              why="no profile installed")


@pytest.mark.octt("TC_K_40_CS")
async def test_composite_schedule_stacking(station, bench):
    """Get Composite Schedule - Stacking ChargingProfiles.

    Two TxDefaultProfiles with the same startSchedule: stackLevel 0 (6, 8 at 100 s, 10 at
    200 s, 400 s) and stackLevel 1 (7, 9 at 100 s, 150 s): for 350 s the composite is 7, 9,
    then 8 once stackLevel 1 ended, then 10.

    Requirements: K08.FR.02, K08.FR.06.
    """
    evse, _ = first_connector(bench)
    u = await rate_unit(station)
    start = after(-bench.csms.deviation)
    async with profiles(station) as book:
        for level, periods, duration in ((0, [(0, 6), (100, 8), (200, 10)], 400),
                                         (1, [(0, 7), (100, 9)], 150)):
            body = profile("TxDefaultProfile", [(s, u(a)) for s, a in periods], unit=u.unit,
                           stack_level=level, start=start, duration=duration,
                           valid_from=start, valid_to=after(401 + bench.csms.deviation))
            await book.set(evse, body, why=f"TxDefaultProfile stackLevel {level}")
        await check_composite(station, bench, book, evse=evse, duration=350, unit=u.unit,
                              why="the higher stackLevel prevails while it runs")


@pytest.mark.octt("TC_K_41_CS")
async def test_composite_schedule_combining_purposes(station, operator, bench):
    """Get Composite Schedule - Combining chargingProfilePurposes.

    ChargingStationMaxProfile 10 for a day, TxDefaultProfile 6,10,8,15,8 (at 0,60,120,180,
    260 s, for 300 s) and, for the ongoing transaction, TxProfile 8,11,16,6,12 (at 0,50,140,
    200,240 s, for 260 s): the composite for 400 s is 8, 10, 6, 10, 8 (TxDefault after the
    TxProfile), 10 (the station maximum alone).

    Requirements: K08.FR.02, K08.FR.04.
    """
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    start = after(-bench.csms.deviation)
    async with profiles(station) as book:
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        transaction = tx_id(started)
        await book.set(0, profile("ChargingStationMaxProfile", [(0, u(10))], unit=u.unit,
                                  start=start, duration=86400), why="the station maximum")
        await book.set(evse, profile(
            "TxDefaultProfile", [(s, u(a)) for s, a in ((0, 6), (60, 10), (120, 8), (180, 15),
                                                        (260, 8))],
            unit=u.unit, start=start, duration=300, valid_from=start,
            valid_to=after(401 + bench.csms.deviation)), why="the default for 300 s")
        await book.set(evse, profile(
            "TxProfile", [(s, u(a)) for s, a in ((0, 8), (50, 11), (140, 16), (200, 6), (240, 12))],
            unit=u.unit, start=start, duration=260, valid_from=start,
            valid_to=after(401 + bench.csms.deviation), transaction_id=transaction),
            why="the TxProfile of the ongoing transaction")
        await check_composite(station, bench, book, evse=evse, duration=400, unit=u.unit,
                              why="Tx profile over default, capped by the station maximum",
                              tx_id=transaction)
        await end_by_unplug(station, operator, bench, transaction, evse, connector)


@pytest.mark.octt("TC_K_42_CS")
async def test_composite_schedule_unsupported_rate_unit(station, bench):
    """Get Composite Schedule - chargingRateUnit not supported.

    GetCompositeSchedule in the chargingRateUnit the station does not list in
    SmartChargingCtrlr.RateUnit: Rejected (K08.FR.07).
    """
    unit = await unsupported_unit(station)
    evse, _ = first_connector(bench)
    reply, _ = await composite(station, evse, 300, unit)
    assert reply["status"] == "Rejected", (
        f"GetCompositeSchedule for EVSE {evse} in chargingRateUnit {unit}, which "
        f"SmartChargingCtrlr.RateUnit does not list: expected Rejected (K08.FR.07), the station "
        f"answered {reply['status']}")


@pytest.mark.octt("TC_K_47_CS")
async def test_composite_schedule_unknown_evse(station, bench):
    """Get Composite Schedule - Unknown EVSEId: Rejected (K08.FR.05)."""
    u = await rate_unit(station)
    reply, _ = await composite(station, missing_evse(bench), 300, u.unit)
    assert reply["status"] == "Rejected", (
        f"GetCompositeSchedule for EVSE {missing_evse(bench)}, which does not exist: expected "
        f"Rejected (K08.FR.05), the station answered {reply['status']}")


# ---- K09: GetChargingProfiles --------------------------------------------------------------
async def _three_profiles(book: Book, bench: Bench) -> tuple[dict, dict, dict]:
    """A ChargingStationMaxProfile (evse 0), TxDefaultProfiles on EVSE 1 at stackLevels 0
    and 1 (profiles on the first EVSE)."""
    evse, _ = first_connector(bench)
    u = await rate_unit(book.station)
    maximum = profile("ChargingStationMaxProfile", [(0, u(32))], unit=u.unit,
                      start=after(-bench.csms.deviation))
    await book.set(0, maximum, why="a station maximum")
    low = await default_on(book, bench, evse, 10, level=0)
    high = await default_on(book, bench, evse, 8, level=1)
    return maximum, low, high


@pytest.mark.octt("TC_K_29_CS")
async def test_get_profiles_evse_0(station, bench):
    """Get Charging Profile - EvseId 0: only the profiles installed on evseId 0
    (K09.FR.02, K09.FR.05)."""
    async with profiles(station) as book:
        maximum, _, _ = await _three_profiles(book, bench)
        check_reported(await get_profiles(station, bench, evse=0,
                                          chargingLimitSource=["CSO"]),
                       want={maximum["id"]}, evse=0, what="for evseId 0")


@pytest.mark.octt("TC_K_30_CS")
async def test_get_profiles_specific_evse(station, bench):
    """Get Charging Profile - EvseId > 0: the profiles installed on that EVSE
    (K09.FR.02, K09.FR.04)."""
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        _, low, high = await _three_profiles(book, bench)
        check_reported(await get_profiles(station, bench, evse=evse, chargingLimitSource=["CSO"]),
                       want={low["id"], high["id"]}, evse=evse, what=f"for EVSE {evse}")


@pytest.mark.octt("TC_K_31_CS")
async def test_get_profiles_no_evse(station, bench):
    """Get Charging Profile - No EvseId: every installed profile (K09.FR.02, K09.FR.06)."""
    async with profiles(station) as book:
        maximum, low, high = await _three_profiles(book, bench)
        got = await get_profiles(station, bench, chargingLimitSource=["CSO"])
        check_reported(got, want={maximum["id"], low["id"], high["id"]}, evse=None,
                       what="without evseId")
        where = {int(p["id"]): e for e, p in got.profiles}
        assert where.get(maximum["id"]) == 0 and where.get(low["id"]) == first_connector(bench)[0], (
            f"each ReportChargingProfiles must name the EVSE its profiles are installed on; "
            f"the station reported {where}")


@pytest.mark.octt("TC_K_32_CS")
async def test_get_profiles_by_id(station, bench):
    """Get Charging Profile - chargingProfileId: exactly that profile (K09.FR.01, K09.FR.02)."""
    async with profiles(station) as book:
        _, low, _ = await _three_profiles(book, bench)
        check_reported(await get_profiles(station, bench, chargingProfileId=[low["id"]]),
                       want={low["id"]}, evse=None, what=f"for chargingProfileId {low['id']}")


@pytest.mark.octt("TC_K_33_CS")
async def test_get_profiles_evse_and_stack_level(station, bench):
    """Get Charging Profile - EvseId > 0 + stackLevel (K09.FR.02, K09.FR.04)."""
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        _, _, high = await _three_profiles(book, bench)
        check_reported(await get_profiles(station, bench, evse=evse, stackLevel=1),
                       want={high["id"]}, evse=evse, what=f"for EVSE {evse}, stackLevel 1")


@pytest.mark.octt("TC_K_34_CS")
async def test_get_profiles_evse_and_limit_source(station, bench):
    """Get Charging Profile - EvseId > 0 + chargingLimitSource: the CSMS's profiles are
    reported for source CSO, none for source EMS (K09.FR.02, K09.FR.04)."""
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        _, low, high = await _three_profiles(book, bench)
        check_reported(await get_profiles(station, bench, evse=evse, chargingLimitSource=["CSO"]),
                       want={low["id"], high["id"]}, evse=evse,
                       what=f"for EVSE {evse}, chargingLimitSource CSO")
        check_reported(await get_profiles(station, bench, evse=evse, chargingLimitSource=["EMS"]),
                       want=set(), evse=evse, what=f"for EVSE {evse}, chargingLimitSource EMS")


async def _tx_and_default(station: StationSession, operator, bench: Bench, book: Book
                          ) -> tuple[Message, dict, dict]:
    """A transaction charging on the first EVSE with a TxDefaultProfile and a TxProfile."""
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    default = await default_on(book, bench, evse, 10, level=0)
    started = await start_charging(station, operator, bench, evse=evse, connector=connector)
    tx = profile("TxProfile", [(0, u(8))], unit=u.unit, stack_level=1,
                 start=after(-bench.csms.deviation), transaction_id=tx_id(started))
    await book.set(evse, tx, why="a TxProfile for the ongoing transaction")
    return started, default, tx


@pytest.mark.octt("TC_K_35_CS")
async def test_get_profiles_evse_and_purpose(station, operator, bench):
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose (during a transaction)
    (K09.FR.02, K09.FR.04)."""
    evse, connector = first_connector(bench)
    async with profiles(station) as book:
        started, default, tx = await _tx_and_default(station, operator, bench, book)
        check_reported(await get_profiles(station, bench, evse=evse,
                                          chargingProfilePurpose="TxProfile"),
                       want={tx["id"]}, evse=evse, what=f"for EVSE {evse}, purpose TxProfile")
        check_reported(await get_profiles(station, bench, evse=evse,
                                          chargingProfilePurpose="TxDefaultProfile"),
                       want={default["id"]}, evse=evse,
                       what=f"for EVSE {evse}, purpose TxDefaultProfile")
        await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)


@pytest.mark.octt("TC_K_36_CS")
async def test_get_profiles_evse_purpose_and_stack_level(station, operator, bench):
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose + stackLevel
    (K09.FR.02, K09.FR.04)."""
    evse, connector = first_connector(bench)
    async with profiles(station) as book:
        started, _, tx = await _tx_and_default(station, operator, bench, book)
        check_reported(await get_profiles(station, bench, evse=evse,
                                          chargingProfilePurpose="TxProfile", stackLevel=1),
                       want={tx["id"]}, evse=evse,
                       what=f"for EVSE {evse}, purpose TxProfile, stackLevel 1")
        check_reported(await get_profiles(station, bench, evse=evse,
                                          chargingProfilePurpose="TxProfile", stackLevel=0),
                       want=set(), evse=evse,
                       what=f"for EVSE {evse}, purpose TxProfile, stackLevel 0")
        await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)


# ---- K10: ClearChargingProfile -------------------------------------------------------------
@pytest.mark.octt("TC_K_05_CS")
async def test_clear_profile_by_id(station, bench):
    """Clear Charging Profile - With chargingProfileId: Accepted, and the profile is gone
    (K10.FR.03)."""
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        body = await default_on(book, bench, evse, 6)
        status = await clear(station, chargingProfileId=body["id"])
        assert status == "Accepted", (
            f"ClearChargingProfile for installed profile {body['id']}: expected Accepted "
            f"(K10.FR.03), the station answered {status}")
        check_reported(await get_profiles(station, bench, chargingProfileId=[body["id"]]),
                       want=set(), evse=None, what="for the cleared profile")


@pytest.mark.octt("TC_K_06_CS")
async def test_clear_profile_by_stack_level_and_purpose(station, bench):
    """Clear Charging Profile - With stackLevel/purpose combination for one profile:
    Accepted, that profile is gone and the other stays (K10.FR.04)."""
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        low = await default_on(book, bench, evse, 10, level=0)
        high = await default_on(book, bench, evse, 6, level=1)
        status = await clear(station, chargingProfileCriteria={
            "evseId": evse, "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 1})
        assert status == "Accepted", (
            f"ClearChargingProfile for EVSE {evse}, TxDefaultProfile stackLevel 1 (profile "
            f"{high['id']}): expected Accepted (K10.FR.04), the station answered {status}")
        book.forget(high["id"])
        check_reported(await get_profiles(station, bench, evse=evse), want={low["id"]}, evse=evse,
                       what="after clearing stackLevel 1 (only the stackLevel 0 profile is left)")


@pytest.mark.octt("TC_K_24_CS")
async def test_clear_profiles_by_stack_level_and_purpose_multiple(station, bench):
    """Clear Charging Profile - With stackLevel/purpose combination for multiple profiles.

    TxDefaultProfiles at stackLevel 1 on two EVSEs and one at stackLevel 0: a
    ClearChargingProfile for TxDefaultProfile stackLevel 1 without evseId is Accepted and
    clears every profile it matches, on every EVSE; the stackLevel 0 one stays (K10.FR.04).
    """
    evse, _ = first_connector(bench)
    other = other_evse(bench)
    if other is None:
        pytest.skip("needs a station with more than one EVSE (OCTT HFS-8 > 1)")
    async with profiles(station) as book:
        low = await default_on(book, bench, evse, 10, level=0)
        highs = [(await default_on(book, bench, e, 6, level=1))["id"] for e in (evse, other)]
        status = await clear(station, chargingProfileCriteria={
            "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 1})
        assert status == "Accepted", (
            f"ClearChargingProfile for TxDefaultProfile stackLevel 1 (profiles {highs} on EVSEs "
            f"{evse} and {other}): expected Accepted (K10.FR.04), the station answered {status}")
        book.forget(*highs)
        check_reported(await get_profiles(station, bench, chargingLimitSource=["CSO"]),
                       want={low["id"]}, evse=None,
                       what="after clearing stackLevel 1 without evseId (every EVSE's "
                            "stackLevel 1 profile goes, the stackLevel 0 one stays)")


@pytest.mark.octt("TC_K_07_CS")
async def test_clear_profile_unknown_criteria(station, bench):
    """Clear Charging Profile - With unknown stackLevel/purpose combination: Unknown, and the
    installed profile stays (K10.FR.01)."""
    evse, _ = first_connector(bench)
    async with profiles(station) as book:
        body = await default_on(book, bench, evse, 6, level=0)
        status = await clear(station, chargingProfileCriteria={
            "chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 5})
        assert status == "Unknown", (
            "ClearChargingProfile for TxDefaultProfile stackLevel 5, which no profile has: "
            f"expected Unknown (K10.FR.01), the station answered {status}")
        check_reported(await get_profiles(station, bench, evse=evse), want={body["id"]}, evse=evse,
                       what="after a clear that matched nothing")


@pytest.mark.octt("TC_K_08_CS")
async def test_clear_profile_without_profiles(station, bench):
    """Clear Charging Profile - Without previous charging profile: Unknown (K10.FR.01)."""
    async with profiles(station):
        status = await clear(station, chargingProfileId=new_id())
        assert status == "Unknown", (
            "ClearChargingProfile with no profile installed: expected Unknown (K10.FR.01), the "
            f"station answered {status}")


@pytest.mark.octt("TC_K_09_CS")
async def test_clear_tx_default_profile_during_transaction(station, operator, bench):
    """Clear Charging Profile - Clearing a TxDefaultProfile - With ongoing transaction.

    A transaction charges under a TxDefaultProfile; clearing it is Accepted, the transaction
    goes on (no Ended) and the profile no longer shapes the composite schedule (K10.FR.07).
    """
    evse, connector = first_connector(bench)
    u = await rate_unit(station)
    async with profiles(station) as book:
        body = await default_on(book, bench, evse, 6, duration=400 + int(bench.csms.deviation))
        started = await start_charging(station, operator, bench, evse=evse, connector=connector)
        transaction = tx_id(started)
        await check_composite(station, bench, book, evse=evse, duration=300, unit=u.unit,
                              why="the TxDefaultProfile limits the transaction", tx_id=transaction)
        status = await clear(station, chargingProfileId=body["id"])
        assert status == "Accepted", (
            f"ClearChargingProfile for the TxDefaultProfile {body['id']} during a transaction: "
            f"expected Accepted (K10.FR.07), the station answered {status}")
        book.forget(body["id"])
        await station.expect_none("TransactionEvent", {
            "transactionInfo.transactionId": transaction, "eventType": "Ended"},
            within=bench.csms.quiet_period)
        reply, _ = await composite(station, evse, 300, u.unit)
        periods = (reply.get("schedule") or {}).get("chargingSchedulePeriod") or []
        assert reply["status"] == "Accepted" and all(
            float(p["limit"]) > u(6) for p in periods), (
            f"after the TxDefaultProfile (limit {u(6):g} {u.unit}) was cleared, the composite "
            f"schedule must no longer hold its limit; the station reported {reply.payload}")
        await end_by_unplug(station, operator, bench, transaction, evse, connector)


# ---- K05 on a station without Smart Charging: the profile is ignored (NOT Smart Charging) ---
@pytest.mark.octt("TC_K_38_CS")
async def test_remote_start_ignores_profile_without_smart_charging(station, operator, bench):
    """Remote start transaction with charging profile - Ignore chargingProfile.

    A station without the Smart Charging profile ignores the chargingProfile of a
    RequestStartTransaction (F01.FR.12): the request is Accepted, not Rejected, and the
    transaction starts as any remote start (remoteStartId, F01.FR.13); no TxProfile is kept
    for it (GetChargingProfiles: NoProfiles, or not implemented at all).
    """
    if "Smart Charging" in bench.station.profiles:
        pytest.skip(f"station {bench.station.id} claims Smart Charging; this case is for one "
                    "without it (OCTT NOT Smart Charging)")
    evse, connector = first_connector(bench)
    remote_start_id = new_id()
    body = profile("TxProfile", [(0, 6.0)], unit="A", kind="Relative")
    reply = await station.call("RequestStartTransaction", {
        "idToken": id_token(bench), "remoteStartId": remote_start_id, "evseId": evse,
        "chargingProfile": body})
    assert reply["status"] == "Accepted", (
        "RequestStartTransaction with a chargingProfile on a station without Smart Charging: "
        f"expected Accepted, the profile ignored (F01.FR.12); the station answered {reply.payload}")
    try:
        await operator.plug_in(evse, connector)
        started = await station.expect("TransactionEvent", {
            "transactionInfo.remoteStartId": remote_start_id})
        try:
            got = await get_profiles(station, bench, evse=evse)
        except CallErrorReply as exc:
            assert exc.frame.error_code in ("NotImplemented", "NotSupported"), (
                f"GetChargingProfiles on a station without Smart Charging: expected a report or "
                f"CALLERROR NotImplemented, the station answered {exc.frame.error_code}")
        else:
            assert body["id"] not in got.ids, (
                f"the chargingProfile {body['id']} of the remote start was kept for transaction "
                f"{tx_id(started)}, though the station does not support Smart Charging and must "
                f"ignore it (F01.FR.12); GetChargingProfiles reports {sorted(got.ids)}")
        await end_by_unplug(station, operator, bench, tx_id(started), evse, connector)
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)
