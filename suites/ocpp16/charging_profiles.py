"""Building blocks of the 1.6 Smart Charging cases: 1.6 charging profiles, the profiles a test
installed, the expected composite schedule and the power a charge point delivers.

The expected composite schedule comes from the harness's own oracle
(:mod:`harness.smart_charging`, written in 2.0.1 words): :func:`to_oracle` says a 1.6
profile in those words (a 1.6 connector is what the oracle calls an EVSE, connector 0 the
charge point). Everything else goes through OCPP 1.6 and bench actions, so the helpers work on
a real charge point: the delivered power is read from its own MeterValues.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from harness.evidence.steps import step
from harness.smart_charging import (
    Period,
    ProfileOnEvse,
    compare,
    composite_schedule,
    describe,
    when,
    without_blips,
)
from suites.ocpp16.support import hands_of, id_tag, start_transaction

# Version-neutral helpers of the 2.0.1 cases (ids, times, units), used by the 1.6 ones too.
from suites.ocpp201.charging_profiles import Units, new_id, stamp
from suites.ocpp201.charging_profiles import after as after

# 1.6 ChargingProfilePurposeType -> the oracle's (2.0.1) purpose
PURPOSES_201 = {"ChargePointMaxProfile": "ChargingStationMaxProfile",
                "TxDefaultProfile": "TxDefaultProfile", "TxProfile": "TxProfile"}
UNIT_WORDS = {"Current": "A", "Power": "W"}  # ChargingScheduleAllowedChargingRateUnit (9.4)
MULTIPLIER = {"A": 1.0, "W": 690.0}  # the OCTT's <limit multiplier>: W is x 230 V x 3 phases


def to_oracle(connector_id: int, p16: dict[str, Any]) -> ProfileOnEvse:
    """A 1.6 ChargingProfile (section 7.8) as installed on ``connector_id``, in the oracle's
    words: chargingProfileId -> id, ChargePointMaxProfile -> ChargingStationMaxProfile, one
    chargingSchedule -> a list of one, transactionId as a string."""
    schedule = dict(p16["chargingSchedule"])
    schedule["chargingSchedulePeriod"] = [dict(p) for p in schedule["chargingSchedulePeriod"]]
    profile: dict[str, Any] = {
        "id": int(p16["chargingProfileId"]), "stackLevel": int(p16["stackLevel"]),
        "chargingProfilePurpose": PURPOSES_201[p16["chargingProfilePurpose"]],
        "chargingProfileKind": p16["chargingProfileKind"], "chargingSchedule": [schedule]}
    for key in ("recurrencyKind", "validFrom", "validTo"):
        if p16.get(key) is not None:
            profile[key] = p16[key]
    if p16.get("transactionId") is not None:
        profile["transactionId"] = str(p16["transactionId"])
    return ProfileOnEvse(connector_id, profile)


def profile16(purpose: str, periods: list[tuple[int, float]], *, unit: str, stack_level: int = 0,
              pid: int | None = None, kind: str = "Absolute", start: datetime | None = None,
              duration: int | None = None, valid_from: datetime | None = None,
              valid_to: datetime | None = None, transaction_id: int | None = None,
              recurrency: str | None = None) -> dict[str, Any]:
    """A 1.6 ChargingProfile; ``start`` is the startSchedule (Absolute / Recurring; now when
    not given)."""
    schedule: dict[str, Any] = {
        "chargingRateUnit": unit,
        "chargingSchedulePeriod": [{"startPeriod": s, "limit": limit} for s, limit in periods]}
    if kind != "Relative":
        schedule["startSchedule"] = stamp(start or datetime.now(UTC).replace(microsecond=0))
    if duration is not None:
        schedule["duration"] = duration
    body: dict[str, Any] = {"chargingProfileId": new_id() if pid is None else pid,
                            "stackLevel": stack_level, "chargingProfilePurpose": purpose,
                            "chargingProfileKind": kind, "chargingSchedule": schedule}
    for key, value in (("validFrom", valid_from), ("validTo", valid_to)):
        if value is not None:
            body[key] = stamp(value)
    if transaction_id is not None:
        body["transactionId"] = transaction_id
    if recurrency is not None:
        body["recurrencyKind"] = recurrency
    return body


async def rate_units(station: StationSession) -> list[Units]:
    """The chargingRateUnits the charge point takes (ChargingScheduleAllowedChargingRateUnit,
    section 9.4; Current when it does not say), each with its limit multiplier."""
    reply = await station.call("GetConfiguration",
                               {"key": ["ChargingScheduleAllowedChargingRateUnit"]})
    keys = reply.get("configurationKey") or []
    words = str(keys[0].get("value", "Current")).split(",") if keys else ["Current"]
    units = [UNIT_WORDS[w.strip()] for w in words if w.strip() in UNIT_WORDS] or ["A"]
    return [Units(u, MULTIPLIER[u]) for u in ("A", "W") if u in units]


async def rate_unit(station: StationSession) -> Units:
    """A when the charge point takes it (multiplier 1), else W (x 690)."""
    return (await rate_units(station))[0]


@dataclass
class Book:
    """The profiles this test installed (for the expected composite schedule and cleanup)."""

    station: StationSession
    installed: dict[int, ProfileOnEvse] = field(default_factory=dict)
    set_ids: set[int] = field(default_factory=set)

    async def set(self, connector_id: int, body: dict[str, Any], *, expect: str = "Accepted",
                  why: str) -> Message:
        """SetChargingProfile, checking the status; an Accepted profile is booked and, as
        section 5.16 says, replaces the one with its id or with its stackLevel and purpose on
        the connector."""
        label = (f"{body['chargingProfilePurpose']} id {body['chargingProfileId']} stackLevel "
                 f"{body['stackLevel']}")
        with step(f"SetChargingProfile {label} on connector {connector_id}"):
            self.set_ids.add(int(body["chargingProfileId"]))
            reply = await self.station.call("SetChargingProfile", {
                "connectorId": connector_id, "csChargingProfiles": body})
        assert reply["status"] == expect, (
            f"SetChargingProfile {label} on connector {connector_id} ({why}): expected {expect}, "
            f"the charge point answered {reply['status']}")
        if reply["status"] == "Accepted":
            self.book(connector_id, body)
        return reply

    def book(self, connector_id: int, body: dict[str, Any]) -> None:
        new = to_oracle(connector_id, body)
        for pid, p in list(self.installed.items()):
            if pid == new.profile["id"] or (p.evse_id == connector_id and p.purpose == new.purpose
                                            and p.level == new.level):
                del self.installed[pid]
        self.installed[int(new.profile["id"])] = new

    def forget(self, *ids: int) -> None:
        for pid in ids:
            self.installed.pop(pid, None)

    def profiles(self) -> list[ProfileOnEvse]:
        return list(self.installed.values())


async def clear(station: StationSession, **fields: Any) -> str:
    reply = await station.call("ClearChargingProfile", fields)
    return str(reply["status"])


@asynccontextmanager
async def profiles(station: StationSession) -> AsyncIterator[Book]:
    """A charge point without Central System profiles for the test (ClearChargingProfile
    without criteria clears them all, section 5.5), and the profiles the test set cleared
    afterwards."""
    await clear(station)
    book = Book(station)
    try:
        yield book
    finally:
        if station.is_connected:
            for pid in sorted(book.set_ids):
                with contextlib.suppress(Exception):
                    await clear(station, id=pid)


# ---- GetCompositeSchedule (section 5.7) ---------------------------------------------------
async def composite(station: StationSession, connector_id: int, duration: int,
                    unit: str | None) -> tuple[Message, datetime]:
    payload: dict[str, Any] = {"connectorId": connector_id, "duration": duration}
    if unit is not None:
        payload["chargingRateUnit"] = unit
    sent = datetime.now(UTC)
    return await station.call("GetCompositeSchedule", payload), sent


async def check_composite(station: StationSession, bench: Bench, book: Book, *, connector_id: int,
                          duration: int, unit: str, why: str, tx_id: int | None = None,
                          tx_start: str | None = None) -> list[dict[str, Any]]:
    """GetCompositeSchedule Accepted, for the connector and unit asked, and its periods those
    the harness computes from the profiles installed (startPeriods within the bench's
    deviation). ``tx_id``: the transaction ongoing on the connector (its TxProfiles count)."""
    reply, sent = await composite(station, connector_id, duration, unit)
    what = f"GetCompositeSchedule for connector {connector_id}, {duration} s in {unit} ({why})"
    assert reply["status"] == "Accepted", (
        f"{what}: expected Accepted, the charge point answered {reply['status']}")
    schedule = reply.get("chargingSchedule") or {}
    assert reply.get("connectorId") == connector_id and schedule.get("chargingRateUnit") == unit, (
        f"{what}: the schedule must be for connectorId {connector_id} in {unit} (section 6.23); "
        f"the charge point sent connectorId {reply.get('connectorId')}, chargingRateUnit "
        f"{schedule.get('chargingRateUnit')}")
    start_text = schedule.get("startSchedule") or reply.get("scheduleStart")
    assert start_text, f"{what}: neither scheduleStart nor chargingSchedule.startSchedule given"
    start = when(start_text)
    deviation = bench.csms.deviation
    assert abs((start - sent).total_seconds()) <= deviation, (
        f"{what}: the schedule must start at the time of the request ({stamp(sent)}) +/- "
        f"{deviation:g} s; it starts at {start_text}")
    periods = schedule.get("chargingSchedulePeriod") or []
    # Edges within 1.5 s of each other are below the resolution of the comparison (whole
    # seconds; a transaction's start is known to the charge point's clock only).
    reported = [{"startPeriod": p.start, "limit": p.limit} for p in without_blips(
        [Period(float(p["startPeriod"]), float(p["limit"])) for p in periods], 1.5, duration)]
    expected = without_blips(composite_schedule(
        book.profiles(), evse_id=connector_id, start=start, duration=duration, unit=unit,
        tx_id=None if tx_id is None else str(tx_id), tx_start=tx_start), 1.5, duration)
    problems = compare(reported, expected, time_tolerance=deviation)
    got = ", ".join(f"{p['startPeriod']} s: {p['limit']:g}" for p in periods)
    assert not problems, (
        f"{what} does not match the profiles installed (sections 3.13, 5.7): expected "
        f"{describe(expected)}; the charge point reported {got or 'no periods'}\n  "
        + "\n  ".join(problems))
    return periods


# ---- transactions ----------------------------------------------------------------------------
async def start_charging(station: StationSession, operator, bench: Bench,
                         connector_id: int) -> tuple[Message, int]:
    """Cable in, a valid badge: the StartTransaction and its transactionId, once Charging."""
    evse, connector = hands_of(bench, connector_id)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(id_tag(bench), evse=evse)
    started, tx_id = await start_transaction(station, connector_id)
    await station.expect("StatusNotification", {"connectorId": connector_id, "status": "Charging"})
    return started, tx_id


async def end_by_unplug(station: StationSession, operator, bench: Bench, connector_id: int,
                        tx_id: int) -> None:
    evse, connector = hands_of(bench, connector_id)
    await operator.unplug(evse, connector)
    await station.expect("StopTransaction", {"transactionId": tx_id})


# ---- the power the charge point delivers ---------------------------------------------------
POWER = "Power.Active.Import"
CURRENT = "Current.Import"
SCALE = {"kW": 1000.0, "kWh": 1000.0}


async def measurands_for_power(station: StationSession) -> None:
    """Triggered MeterValues carry MeterValuesAlignedData: include power and current (the
    station fixture puts the key back after the test)."""
    for value in (f"Energy.Active.Import.Register,{POWER},{CURRENT}", POWER):
        reply = await station.call("ChangeConfiguration",
                                   {"key": "MeterValuesAlignedData", "value": value})
        if reply["status"] == "Accepted":
            return


async def measure(station: StationSession, bench: Bench, connector_id: int) -> dict[str, float]:
    """What the charge point meters on ``connector_id`` now: TriggerMessage MeterValues."""
    mark = station.journal.mark()
    reply = await station.call("TriggerMessage", {"requestedMessage": "MeterValues",
                                                  "connectorId": connector_id})
    assert reply["status"] == "Accepted", (
        f"TriggerMessage MeterValues for connector {connector_id}: expected Accepted to read the "
        f"power it delivers, the charge point answered {reply['status']}")
    message = await station.expect("MeterValues", {"connectorId": connector_id},
                                   within=bench.csms.message_timeout, since=mark)
    values: dict[str, float] = {}
    for mv in message.get("meterValue") or []:
        for sv in mv.get("sampledValue") or []:
            if sv.get("phase") in (None, ""):
                values.setdefault(sv.get("measurand", "Energy.Active.Import.Register"),
                                  float(sv["value"]) * SCALE.get(sv.get("unit", ""), 1.0))
    return values


async def delivered(station: StationSession, bench: Bench, connector_id: int, unit: str) -> float:
    quantity = CURRENT if unit == "A" else POWER
    value = (await measure(station, bench, connector_id)).get(quantity)
    assert value is not None, (
        f"MeterValues of connector {connector_id} carry no {quantity} (MeterValuesAlignedData): "
        "the delivered power cannot be compared with a limit")
    return value


async def steady_delivery(station: StationSession, bench: Bench, connector_id: int, *, unit: str,
                          within: float) -> float:
    """What the charge point delivers once the EV's draw has ramped up: two successive
    readings 0.5 s apart within 5 % of each other (or the last reading after ``within`` s)."""
    last: float | None = None
    deadline = time.monotonic() + within
    with step(f"wait for a steady delivery on connector {connector_id}"):
        while True:
            value = await delivered(station, bench, connector_id, unit)
            if last is not None and value > 0 and abs(value - last) <= 0.05 * value:
                return value
            if time.monotonic() >= deadline:
                return value
            last = value
            await asyncio.sleep(0.5)


async def expect_delivery_within(station: StationSession, bench: Bench, connector_id: int, *,
                                 limit: float, unit: str, settle: float, why: str) -> float:
    """Poll the charge point's meter until what it delivers is within ``limit`` (+2 %); fail
    with the readings when it is not after ``settle`` seconds."""
    readings: list[float] = []
    deadline = time.monotonic() + settle
    with step(f"connector {connector_id} delivers at most {limit:g} {unit} within {settle:g} s"):
        while True:
            value = await delivered(station, bench, connector_id, unit)
            readings.append(value)
            if value <= limit * 1.02 + (0.5 if unit == "A" else 100.0):
                return value
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
    raise AssertionError(
        f"{why}: the composite limit on connector {connector_id} is {limit:g} {unit}, but the "
        f"charge point keeps delivering more ({', '.join(f'{r:g}' for r in readings[-5:])} "
        f"{unit} metered over {settle:g} s): the limit is not applied to the output")
