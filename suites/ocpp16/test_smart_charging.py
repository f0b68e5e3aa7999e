"""OCTT 1.6, Smart Charging profile (Charge Point side): SetChargingProfile (TxDefaultProfile,
TxProfile, stacking), RemoteStartTransaction with a charging profile, GetCompositeSchedule
and ClearChargingProfile.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 sections its catalogue row names (3.13, 5.5, 5.7, 5.11, 5.16). Every composite
schedule a charge point reports is compared with the one the harness computes itself
(``harness.smart_charging``) from the profiles the test installed; TC_082_CS also checks that
the power the charge point meters comes down to the limit. Limits follow the OCTT's <limit
multiplier> (A: x1, W: x690). Every test clears the profiles it set.
"""

from __future__ import annotations

import pytest

from suites.ocpp16.charging_profiles import (
    after,
    check_composite,
    clear,
    end_by_unplug,
    expect_delivery_within,
    measurands_for_power,
    profile16,
    profiles,
    rate_unit,
    rate_units,
    start_charging,
    steady_delivery,
)
from suites.ocpp16.support import connector_ids, hands_of, id_tag, start_transaction

pytestmark = pytest.mark.ocpp_version("1.6")


@pytest.mark.octt("TC_056_CS")
async def test_tx_default_profile(station, operator, bench):
    """Central Smart Charging - TxDefaultProfile.

    A TxDefaultProfile on connectorId 0: Accepted, it applies to every connector (composite
    schedules). A TxDefaultProfile (stackLevel 1) on connector 1: Accepted; a transaction
    started afterwards on connector 1 runs under it (sections 3.13.1, 5.16).
    """
    u = await rate_unit(station)
    deviation = bench.csms.deviation
    async with profiles(station) as book:
        await book.set(0, profile16("TxDefaultProfile", [(0, u(10))], unit=u.unit,
                                    start=after(-deviation), duration=3600),
                       why="a TxDefaultProfile for every connector (connectorId 0)")
        for connector_id in connector_ids(bench):
            await check_composite(station, bench, book, connector_id=connector_id, duration=300,
                                  unit=u.unit, why="the TxDefaultProfile of connector 0 applies "
                                                   "to every connector")
        await book.set(1, profile16("TxDefaultProfile", [(0, u(6)), (120, u(8))], unit=u.unit,
                                    stack_level=1, start=after(-deviation), duration=3600),
                       why="a TxDefaultProfile for connector 1")
        _, tx_id = await start_charging(station, operator, bench, 1)
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              tx_id=tx_id, why="a transaction started after the TxDefaultProfile "
                                               "was set runs under it")
        await end_by_unplug(station, operator, bench, 1, tx_id)


@pytest.mark.octt("TC_057_CS")
async def test_tx_profile(station, operator, bench):
    """Central Smart Charging - TxProfile.

    Under a TxDefaultProfile, a transaction runs on connector 1; a TxProfile with its
    transactionId: Accepted, and it overrides the TxDefaultProfile for the transaction
    (sections 3.13.1, 3.13.3, 5.16).
    """
    u = await rate_unit(station)
    deviation = bench.csms.deviation
    async with profiles(station) as book:
        await book.set(0, profile16("TxDefaultProfile", [(0, u(10))], unit=u.unit,
                                    start=after(-deviation), duration=3600),
                       why="a TxDefaultProfile for every connector")
        _, tx_id = await start_charging(station, operator, bench, 1)
        await book.set(1, profile16("TxProfile", [(0, u(8)), (120, u(6))], unit=u.unit,
                                    start=after(-deviation), duration=260, transaction_id=tx_id),
                       why=f"a TxProfile for the ongoing transaction {tx_id}")
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              tx_id=tx_id, why="the TxProfile overrides the TxDefaultProfile")
        await end_by_unplug(station, operator, bench, 1, tx_id)


@pytest.mark.octt("TC_058_1_CS")
async def test_tx_profile_without_transaction(station, bench):
    """Central Smart Charging - No Ongoing Transaction.

    No transaction on connector 1: a TxProfile for it, without and with a transactionId, is
    discarded, SetChargingProfile answers Rejected (section 5.16: a TxProfile needs an active
    transaction).
    """
    u = await rate_unit(station)
    async with profiles(station) as book:
        for transaction_id in (None, 999_999):
            body = profile16("TxProfile", [(0, u(6))], unit=u.unit, duration=3600,
                             start=after(-bench.csms.deviation), transaction_id=transaction_id)
            await book.set(1, body, expect="Rejected",
                           why="no transaction is ongoing on connector 1"
                               + (f" (transactionId {transaction_id})" if transaction_id else ""))


@pytest.mark.octt("TC_058_2_CS")
async def test_tx_profile_wrong_transaction(station, operator, bench):
    """Central Smart Charging - Wrong transactionId.

    A transaction runs on connector 1 under a TxDefaultProfile; a TxProfile for another
    transactionId: Rejected, and the composite schedule still follows the TxDefaultProfile
    (section 5.16).
    """
    u = await rate_unit(station)
    deviation = bench.csms.deviation
    async with profiles(station) as book:
        await book.set(1, profile16("TxDefaultProfile", [(0, u(10))], unit=u.unit,
                                    start=after(-deviation), duration=3600),
                       why="a TxDefaultProfile for connector 1")
        _, tx_id = await start_charging(station, operator, bench, 1)
        wrong = tx_id + 100_000
        await book.set(1, profile16("TxProfile", [(0, u(6))], unit=u.unit, start=after(-deviation),
                                    duration=3600, transaction_id=wrong),
                       expect="Rejected",
                       why=f"transactionId {wrong} is not the ongoing transaction {tx_id}")
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              tx_id=tx_id, why="the rejected TxProfile must not apply")
        await end_by_unplug(station, operator, bench, 1, tx_id)


@pytest.mark.octt("TC_059_CS")
async def test_remote_start_with_charging_profile(station, operator, bench):
    """Remote Start Transaction with Charging Profile.

    Cable in; RemoteStartTransaction for connector 1 with a (Relative) TxProfile: Accepted;
    the transaction starts and runs under the profile: the composite schedule follows it from
    the start of the transaction (sections 5.11, 3.13.4).
    """
    u = await rate_unit(station)
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench)
    async with profiles(station) as book:
        await operator.plug_in(evse, connector)
        await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
        body = profile16("TxProfile", [(0, u(16)), (120, u(10))], unit=u.unit, kind="Relative",
                         duration=3600)
        book.set_ids.add(body["chargingProfileId"])
        reply = await station.call("RemoteStartTransaction", {
            "connectorId": 1, "idTag": tag, "chargingProfile": body})
        assert reply["status"] == "Accepted", (
            "RemoteStartTransaction with a TxProfile chargingProfile (section 5.11): expected "
            f"Accepted, the charge point answered {reply['status']}")
        started, tx_id = await start_transaction(station, 1)
        book.book(1, {**body, "transactionId": tx_id})  # the profile of this transaction
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              tx_id=tx_id, tx_start=started["timestamp"],
                              why="the remote start's TxProfile applies to its transaction")
        await end_by_unplug(station, operator, bench, 1, tx_id)


@pytest.mark.octt("TC_060_CS")
async def test_remote_start_with_wrong_profile_purpose(station, operator, bench):
    """Remote Start Transaction with Charging Profile - Rejected.

    Cable in; RemoteStartTransaction with a chargingProfile whose purpose is TxDefaultProfile
    (it must be TxProfile, section 5.11): Rejected, and no transaction starts.
    """
    u = await rate_unit(station)
    evse, connector = hands_of(bench, 1)
    async with profiles(station):
        await operator.plug_in(evse, connector)
        await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
        body = profile16("TxDefaultProfile", [(0, u(16))], unit=u.unit, kind="Relative")
        reply = await station.call("RemoteStartTransaction", {
            "connectorId": 1, "idTag": id_tag(bench), "chargingProfile": body})
        assert reply["status"] == "Rejected", (
            "RemoteStartTransaction with a chargingProfile of purpose TxDefaultProfile: expected "
            f"Rejected (section 5.11: only a TxProfile), the charge point answered {reply['status']}")
        await station.expect_none("StartTransaction", within=bench.csms.quiet_period)
        await operator.unplug(evse, connector)


@pytest.mark.octt("TC_066_CS")
async def test_get_composite_schedule(station, bench):
    """Get Composite Schedule.

    For each chargingRateUnit the charge point takes (A, W): a ChargePointMaxProfile and a
    TxDefaultProfile on connector 1 with several periods; GetCompositeSchedule for connector 1
    and for connector 0 (the charge point) in that unit: Accepted, and the periods those the
    harness computes: the lower of the two where both apply (sections 3.13.3, 5.7).
    """
    deviation = bench.csms.deviation
    for u in await rate_units(station):
        async with profiles(station) as book:
            await book.set(0, profile16("ChargePointMaxProfile", [(0, u(16)), (200, u(12))],
                                        unit=u.unit, start=after(-deviation), duration=86400),
                           why=f"a ChargePointMaxProfile in {u.unit}")
            await book.set(1, profile16(
                "TxDefaultProfile", [(0, u(6)), (60, u(10)), (120, u(8)), (180, u(20))],
                unit=u.unit, start=after(-deviation), duration=300),
                why=f"a TxDefaultProfile in {u.unit} for 300 s")
            await check_composite(station, bench, book, connector_id=1, duration=400, unit=u.unit,
                                  why="TxDefaultProfile capped by the ChargePointMaxProfile")
            await check_composite(station, bench, book, connector_id=0, duration=400, unit=u.unit,
                                  why="the charge point as a whole: its ChargePointMaxProfile")


@pytest.mark.octt("TC_067_CS")
async def test_clear_charging_profile(station, bench):
    """Clear Charging Profile.

    A ChargePointMaxProfile and two TxDefaultProfiles (stackLevel 0 and 1) on connector 1.
    Clear by id: Accepted, that profile no longer applies; the same id again: Unknown. Clear
    by purpose and a stackLevel no profile has: Unknown. Clear connector 1's TxDefaultProfile
    stackLevel 0: Accepted, only the ChargePointMaxProfile is left (section 5.5; the composite
    schedule shows what is left).
    """
    u = await rate_unit(station)
    deviation = bench.csms.deviation
    async with profiles(station) as book:
        await book.set(0, profile16("ChargePointMaxProfile", [(0, u(20))], unit=u.unit,
                                    start=after(-deviation), duration=86400),
                       why="a ChargePointMaxProfile")
        low = profile16("TxDefaultProfile", [(0, u(10))], unit=u.unit, start=after(-deviation),
                        duration=3600)
        high = profile16("TxDefaultProfile", [(0, u(6))], unit=u.unit, stack_level=1,
                         start=after(-deviation), duration=3600)
        await book.set(1, low, why="a TxDefaultProfile stackLevel 0")
        await book.set(1, high, why="a TxDefaultProfile stackLevel 1")
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              why="three profiles installed")
        status = await clear(station, id=high["chargingProfileId"])
        assert status == "Accepted", (
            f"ClearChargingProfile id {high['chargingProfileId']} (installed): expected Accepted, "
            f"the charge point answered {status}")
        book.forget(high["chargingProfileId"])
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              why="after clearing the stackLevel 1 profile by its id")
        status = await clear(station, id=high["chargingProfileId"])
        assert status == "Unknown", (
            f"ClearChargingProfile id {high['chargingProfileId']} again (already cleared): "
            f"expected Unknown, the charge point answered {status}")
        status = await clear(station, chargingProfilePurpose="TxDefaultProfile", stackLevel=5)
        assert status == "Unknown", (
            "ClearChargingProfile TxDefaultProfile stackLevel 5, which no profile has: expected "
            f"Unknown, the charge point answered {status}")
        status = await clear(station, connectorId=1, chargingProfilePurpose="TxDefaultProfile",
                             stackLevel=0)
        assert status == "Accepted", (
            "ClearChargingProfile connector 1, TxDefaultProfile stackLevel 0 (installed): "
            f"expected Accepted, the charge point answered {status}")
        book.forget(low["chargingProfileId"])
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              why="only the ChargePointMaxProfile is left after clearing connector "
                                  "1's TxDefaultProfile stackLevel 0")


@pytest.mark.octt("TC_072_CS")
async def test_stacking_charging_profiles(station, bench):
    """Stacking Charging Profiles.

    Two TxDefaultProfiles on connector 1 with the same startSchedule: stackLevel 0 (6, 8 at
    100 s, 10 at 200 s, for 400 s) and stackLevel 1 (7, 9 at 100 s, for 150 s): both
    Accepted; for 350 s the composite is 7, 9, then 8 once stackLevel 1 has ended, then 10:
    the higher stackLevel prevails where it is valid (sections 3.13.2, 5.16).
    """
    u = await rate_unit(station)
    start = after(-bench.csms.deviation)
    async with profiles(station) as book:
        for level, periods, duration in ((0, [(0, 6), (100, 8), (200, 10)], 400),
                                         (1, [(0, 7), (100, 9)], 150)):
            await book.set(1, profile16("TxDefaultProfile", [(s, u(a)) for s, a in periods],
                                        unit=u.unit, stack_level=level, start=start,
                                        duration=duration),
                           why=f"TxDefaultProfile stackLevel {level}")
        await check_composite(station, bench, book, connector_id=1, duration=350, unit=u.unit,
                              why="the higher stackLevel prevails while it runs")


@pytest.mark.octt("TC_082_CS")
async def test_tx_default_profile_with_ongoing_transaction(station, operator, bench):
    """Central Smart Charging - TxDefaultProfile with Ongoing Transaction.

    While a transaction charges on connector 1, a TxDefaultProfile for the connector:
    Accepted, and the ongoing transaction follows it: the composite schedule shows it and the
    current (or power) the charge point meters comes down to the limit (sections 3.13, 5.16).
    """
    u = await rate_unit(station)
    deviation = bench.csms.deviation
    await measurands_for_power(station)
    async with profiles(station) as book:
        _, tx_id = await start_charging(station, operator, bench, 1)
        before = await steady_delivery(station, bench, 1, unit=u.unit, within=max(10.0, 2 * deviation))
        assert before > 2 * u(6), (
            f"the charge point must meter what it delivers on connector 1 while charging "
            f"well above the limit to be set ({u(6):g} {u.unit}); it meters {before:g} {u.unit}")
        limit = round(max(u(6), before / 2), 0)
        await book.set(1, profile16("TxDefaultProfile", [(0, limit)], unit=u.unit,
                                    start=after(-deviation), duration=3600),
                       why="a TxDefaultProfile during a transaction")
        await check_composite(station, bench, book, connector_id=1, duration=300, unit=u.unit,
                              tx_id=tx_id, why="the TxDefaultProfile applies to the ongoing "
                                               "transaction")
        await expect_delivery_within(station, bench, 1, limit=limit, unit=u.unit,
                                     settle=max(5.0, 2 * deviation),
                                     why="TxDefaultProfile set during the transaction")
        await end_by_unplug(station, operator, bench, 1, tx_id)
