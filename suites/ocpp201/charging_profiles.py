"""Building blocks of the smart-charging cases (block K): building and installing charging
profiles, the harness's expected composite schedule, GetChargingProfiles reports and the
power a station delivers under a limit.

Everything goes through OCPP (and bench actions), so the helpers work on a real charger: the
expected composite schedule comes from :mod:`harness.smart_charging`, computed from the
profiles the test installed, and the delivered power from the station's own MeterValues.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
from suites.ocpp201.transactions import applied, try_set

PURPOSES = ("ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile")
# Profile and request ids: random per run, so a run never meets the profiles of an earlier one.
_ids = iter(random.Random().sample(range(100_000, 2_000_000_000), 2000))


def new_id() -> int:
    return next(_ids)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def now_s() -> datetime:
    """Now, to the whole second (profiles carry whole-second times)."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Units:
    """The chargingRateUnit the cases use and the OCTT's <limit multiplier> for it."""

    unit: str
    multiplier: float

    def __call__(self, amps: float) -> float:
        return amps * self.multiplier


async def rate_unit(station: StationSession) -> Units:
    """A if SmartChargingCtrlr.RateUnit lists it (multiplier 1), else W (x 690, the OCTT's
    three-phase multiplier)."""
    reply = await station.call("GetVariables", {"getVariableData": [
        {"component": {"name": "SmartChargingCtrlr"}, "variable": {"name": "RateUnit"}}]})
    result = reply["getVariableResult"][0]
    units = str(result.get("attributeValue", "A")).split(",") \
        if result["attributeStatus"] == "Accepted" else ["A"]
    return Units("A", 1.0) if "A" in units else Units("W", 690.0)


def profile(purpose: str, periods: list[tuple[int, float]], *, unit: str, stack_level: int = 0,
            pid: int | None = None, kind: str = "Absolute", start: datetime | None = None,
            duration: int | None = None, valid_from: datetime | None = None,
            valid_to: datetime | None = None, transaction_id: str | None = None,
            recurrency: str | None = None) -> dict[str, Any]:
    """A chargingProfile; ``start`` is the startSchedule (Absolute / Recurring)."""
    pid = new_id() if pid is None else pid
    schedule: dict[str, Any] = {
        "id": pid, "chargingRateUnit": unit,
        "chargingSchedulePeriod": [{"startPeriod": s, "limit": limit} for s, limit in periods]}
    if kind != "Relative":
        schedule["startSchedule"] = stamp(start or now_s())
    if duration is not None:
        schedule["duration"] = duration
    body: dict[str, Any] = {"id": pid, "stackLevel": stack_level, "chargingProfilePurpose": purpose,
                            "chargingProfileKind": kind, "chargingSchedule": [schedule]}
    if valid_from is not None:
        body["validFrom"] = stamp(valid_from)
    if valid_to is not None:
        body["validTo"] = stamp(valid_to)
    if transaction_id is not None:
        body["transactionId"] = transaction_id
    if recurrency is not None:
        body["recurrencyKind"] = recurrency
    return body


@dataclass
class Book:
    """The profiles this test installed (for the expected composite schedule and cleanup)."""

    station: StationSession
    installed: dict[int, ProfileOnEvse] = field(default_factory=dict)
    set_ids: set[int] = field(default_factory=set)

    async def set(self, evse: int, body: dict[str, Any], *, expect: str = "Accepted",
                  why: str) -> Message:
        """SetChargingProfile, checking the status; an Accepted profile is booked."""
        label = f"{body['chargingProfilePurpose']} id {body['id']} stackLevel {body['stackLevel']}"
        with step(f"SetChargingProfile {label} on EVSE {evse}"):
            self.set_ids.add(int(body["id"]))
            reply = await self.station.call("SetChargingProfile", {"evseId": evse,
                                                                   "chargingProfile": body})
        assert reply["status"] == expect, (
            f"SetChargingProfile {label} on EVSE {evse} ({why}): expected {expect}, the "
            f"station answered {reply['status']} {reply.get('statusInfo') or ''}".rstrip())
        if reply["status"] == "Accepted":
            self.installed[int(body["id"])] = ProfileOnEvse(evse, body)
        return reply

    def forget(self, *ids: int) -> None:
        for pid in ids:
            self.installed.pop(pid, None)

    def forget_tx(self, transaction_id: str) -> None:
        self.forget(*[pid for pid, p in self.installed.items()
                      if p.profile.get("transactionId") == transaction_id])

    def profiles(self) -> list[ProfileOnEvse]:
        return list(self.installed.values())


async def clear(station: StationSession, **fields: Any) -> str:
    reply = await station.call("ClearChargingProfile", fields)
    return str(reply["status"])


@asynccontextmanager
async def profiles(station: StationSession) -> AsyncIterator[Book]:
    """A station without CSMS-set profiles for the test (the OCTT's memory state: cleared per
    purpose first), and the profiles the test set cleared afterwards."""
    for purpose in PURPOSES:
        await clear(station, chargingProfileCriteria={"chargingProfilePurpose": purpose})
    book = Book(station)
    try:
        yield book
    finally:
        if station.is_connected:
            for pid in sorted(book.set_ids):
                with contextlib.suppress(Exception):
                    await clear(station, chargingProfileId=pid)


# ---- K08: the composite schedule ------------------------------------------------------------
async def composite(station: StationSession, evse: int, duration: int, unit: str | None) -> tuple[
        Message, datetime]:
    payload: dict[str, Any] = {"evseId": evse, "duration": duration}
    if unit is not None:
        payload["chargingRateUnit"] = unit
    sent = datetime.now(UTC)
    reply = await station.call("GetCompositeSchedule", payload)
    return reply, sent


async def check_composite(station: StationSession, bench: Bench, book: Book, *, evse: int,
                          duration: int, unit: str, why: str, tx_id: str | None = None,
                          tx_start: str | None = None) -> list[dict[str, Any]]:
    """GetCompositeSchedule Accepted, and its periods those the harness computes from the
    profiles installed (startPeriods within the bench's deviation); returns the periods."""
    reply, sent = await composite(station, evse, duration, unit)
    assert reply["status"] == "Accepted", (
        f"GetCompositeSchedule for EVSE {evse}, {duration} s in {unit} ({why}): expected "
        f"Accepted, the station answered {reply['status']} {reply.get('statusInfo') or ''}")
    schedule = reply.get("schedule") or {}
    deviation = bench.csms.deviation
    assert schedule.get("evseId") == evse and schedule.get("chargingRateUnit") == unit \
        and schedule.get("duration") == duration, (
            f"GetCompositeSchedule: the schedule must be for evseId {evse}, {duration} s, in "
            f"{unit} (K08.FR.02); the station sent evseId {schedule.get('evseId')}, duration "
            f"{schedule.get('duration')}, chargingRateUnit {schedule.get('chargingRateUnit')}")
    start_text = schedule.get("scheduleStart")
    assert start_text, "GetCompositeSchedule: the schedule has no scheduleStart"
    start = when(start_text)
    assert abs((start - sent).total_seconds()) <= deviation, (
        f"GetCompositeSchedule: scheduleStart {start_text} must be the time of the request "
        f"({stamp(sent)}) +/- {deviation:g} s")
    periods = schedule.get("chargingSchedulePeriod") or []
    # Edges within 1.5 s of each other are below the resolution of the comparison (times are
    # whole seconds; a transaction's start is known to the station's clock only).
    reported = [{"startPeriod": p.start, "limit": p.limit} for p in without_blips(
        [Period(float(p["startPeriod"]), float(p["limit"])) for p in periods], 1.5, duration)]
    expected = without_blips(
        composite_schedule(book.profiles(), evse_id=evse, start=start, duration=duration,
                           unit=unit, tx_id=tx_id, tx_start=tx_start), 1.5, duration)
    problems = compare(reported, expected, time_tolerance=deviation)
    got = ", ".join(f"{p['startPeriod']} s: {p['limit']:g}" for p in periods)
    assert not problems, (
        f"GetCompositeSchedule for EVSE {evse} ({why}) does not match the profiles installed "
        f"(K08): expected {describe(expected)}; the station reported {got or 'no periods'}\n  "
        + "\n  ".join(problems))
    return periods


# ---- K09: GetChargingProfiles -------------------------------------------------------------
@dataclass
class Reported:
    status: str
    reports: list[Message]

    @property
    def profiles(self) -> list[tuple[int, dict[str, Any]]]:
        return [(int(r["evseId"]), p) for r in self.reports for p in r["chargingProfile"]]

    @property
    def ids(self) -> set[int]:
        return {int(p["id"]) for _, p in self.profiles}


async def get_profiles(station: StationSession, bench: Bench, *, evse: int | None = None,
                       **criteria: Any) -> Reported:
    """GetChargingProfiles with ``criteria``; the ReportChargingProfiles parts that follow an
    Accepted (K09.FR.02: same requestId, until tbc false)."""
    request_id = new_id()
    payload: dict[str, Any] = {"requestId": request_id, "chargingProfile": criteria}
    if evse is not None:
        payload["evseId"] = evse
    mark = station.journal.mark()
    reply = await station.call("GetChargingProfiles", payload)
    status = str(reply["status"])
    reports: list[Message] = []
    if status == "Accepted":
        while True:
            part = await station.expect("ReportChargingProfiles", {"requestId": request_id},
                                        within=bench.csms.message_timeout, since=mark)
            reports.append(part)
            if not part.get("tbc", False):
                break
    return Reported(status, reports)


def check_reported(got: Reported, *, want: set[int], evse: int | None, what: str) -> None:
    """The report holds exactly the profiles ``want`` (NoProfiles when empty)."""
    if not want:
        assert got.status == "NoProfiles", (
            f"GetChargingProfiles {what}: no profile matches, so the station must answer "
            f"NoProfiles (K09.FR.02); it answered {got.status} and reported {sorted(got.ids)}")
        return
    assert got.status == "Accepted", (
        f"GetChargingProfiles {what}: profiles {sorted(want)} match, so the station must answer "
        f"Accepted (K09.FR.02); it answered {got.status}")
    assert got.ids == want, (
        f"GetChargingProfiles {what}: the ReportChargingProfiles must hold exactly the profiles "
        f"{sorted(want)}; the station reported {sorted(got.ids)}")
    if evse is not None:
        wrong = sorted({e for e, _ in got.profiles if e != evse})
        assert not wrong, (
            f"GetChargingProfiles {what}: only profiles of EVSE {evse} may be reported "
            f"(K09.FR.04/05), the report names evseId {wrong}")


# ---- the power the station delivers -------------------------------------------------------
POWER = "Power.Active.Import"
CURRENT = "Current.Import"


async def measurands_for_power(station: StationSession) -> None:
    """Triggered MeterValues carry AlignedDataCtrlr.Measurands: include power and current
    (the station fixture restores the variable)."""
    wanted = f"Energy.Active.Import.Register,{POWER},{CURRENT}"
    status = await try_set(station, "AlignedDataCtrlr", "Measurands", wanted)
    if not applied(status):
        await try_set(station, "AlignedDataCtrlr", "Measurands", POWER)


async def measure(station: StationSession, bench: Bench, evse: int) -> dict[str, float]:
    """What the station meters on ``evse`` now: TriggerMessage MeterValues."""
    mark = station.journal.mark()
    reply = await station.call("TriggerMessage", {"requestedMessage": "MeterValues",
                                                  "evse": {"id": evse}})
    assert reply["status"] == "Accepted", (
        f"TriggerMessage MeterValues for EVSE {evse}: expected Accepted to read the power it "
        f"delivers, the station answered {reply['status']}")
    message = await station.expect("MeterValues", {"evseId": evse},
                                   within=bench.csms.message_timeout, since=mark)
    values: dict[str, float] = {}
    for mv in message.get("meterValue") or []:
        for sv in mv.get("sampledValue") or []:
            if sv.get("phase") in (None, ""):
                values.setdefault(sv.get("measurand", "Energy.Active.Import.Register"),
                                  float(sv["value"]) * 10 ** int(
                                      (sv.get("unitOfMeasure") or {}).get("multiplier", 0)))
    return values


def delivered(values: dict[str, float], unit: str) -> float | None:
    return values.get(CURRENT if unit == "A" else POWER)


async def steady_delivery(station: StationSession, bench: Bench, evse: int, *, unit: str,
                          within: float) -> float:
    """What the station delivers once the EV's draw has ramped up: two successive readings
    0.5 s apart within 5 % of each other (or the last reading after ``within`` s)."""
    last: float | None = None
    deadline = time.monotonic() + within
    with step(f"wait for a steady delivery on EVSE {evse}"):
        while True:
            value = delivered(await measure(station, bench, evse), unit)
            assert value is not None, (
                f"MeterValues of EVSE {evse} carry no {CURRENT if unit == 'A' else POWER}: the "
                "delivered power cannot be compared with a limit")
            if last is not None and value > 0 and abs(value - last) <= 0.05 * value:
                return value
            if time.monotonic() >= deadline:
                return value
            last = value
            await asyncio.sleep(0.5)


async def expect_delivery_within(station: StationSession, bench: Bench, evse: int, *, limit: float,
                                 unit: str, settle: float, why: str) -> float:
    """Poll the station's meter until what it delivers is within ``limit`` (+2 %); fail with
    the readings when it is not after ``settle`` seconds."""
    readings: list[float] = []
    deadline = time.monotonic() + settle
    with step(f"the station delivers at most {limit:g} {unit} on EVSE {evse} within {settle:g} s"):
        for _ in itertools.count():
            value = delivered(await measure(station, bench, evse), unit)
            assert value is not None, (
                f"MeterValues of EVSE {evse} carry no {CURRENT if unit == 'A' else POWER}: the "
                "delivered power cannot be compared with the limit")
            readings.append(value)
            if value <= limit * 1.02 + (0.5 if unit == "A" else 100.0):
                return value
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.5)
    raise AssertionError(
        f"{why}: the composite limit on EVSE {evse} is {limit:g} {unit}, but the station keeps "
        f"delivering more ({', '.join(f'{r:g}' for r in readings[-5:])} {unit} metered over "
        f"{settle:g} s): the limit is not applied to the output")


def after(seconds: float, base: datetime | None = None) -> datetime:
    return (base or now_s()) + timedelta(seconds=seconds)
