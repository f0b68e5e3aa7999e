"""The harness's own composite schedule (OCPP 2.0.1 K08, Part 2 "Composite schedule").

From the charging profiles the harness installed on a station, compute what the station's
GetCompositeSchedule must report for an EVSE, for a start time and a duration, in A or W:

* Within one chargingProfilePurpose, at every instant the profile in force is the one with
  the highest stackLevel that is valid (validFrom <= t < validTo) and whose schedule covers
  the instant (startSchedule <= t < startSchedule + duration); an EVSE-specific profile is
  preferred over a station-wide (evseId 0) one of the same stackLevel (K01.FR.15).
* A TxProfile in force overrides the TxDefaultProfile; the ChargingStationMaxProfile caps
  the result: composite = min(ChargingStationMax, TxProfile or TxDefaultProfile).
* Absolute schedules start at startSchedule, Recurring ones at the last daily / weekly
  recurrence of it, Relative ones at the start of the transaction.

This module is written independently of the emulated station's implementation: it is the
reference the suite checks a station against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DAY = timedelta(days=1)
RECURRENCY = {"Daily": DAY, "Weekly": 7 * DAY}
PURPOSE_ORDER = ("ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile")


def when(text: str | datetime) -> datetime:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    start: float  # seconds after the composite's start
    limit: float


@dataclass
class ProfileOnEvse:
    """A profile as installed: SetChargingProfile's evseId and chargingProfile."""

    evse_id: int
    profile: dict[str, Any]

    @property
    def purpose(self) -> str:
        return str(self.profile["chargingProfilePurpose"])

    @property
    def level(self) -> int:
        return int(self.profile["stackLevel"])


def _convert(limit: float, unit: str, wanted: str, volts: float) -> float:
    if unit == wanted:
        return limit
    return limit * volts if wanted == "W" else limit / volts


class _Window:
    """One profile's schedule laid out on absolute time: where each period begins."""

    def __init__(self, item: ProfileOnEvse, tx_start: datetime | None, at: datetime) -> None:
        p = item.profile
        self.item = item
        schedule = p["chargingSchedule"][0]
        self.unit = schedule["chargingRateUnit"]
        self.valid_from = when(p["validFrom"]) if p.get("validFrom") else None
        self.valid_to = when(p["validTo"]) if p.get("validTo") else None
        kind = p["chargingProfileKind"]
        self.recurring = RECURRENCY.get(p.get("recurrencyKind", "")) if kind == "Recurring" else None
        if kind == "Relative":
            self.origin = tx_start
        else:
            self.origin = when(schedule["startSchedule"])
        self.duration = schedule.get("duration")
        self.periods = [(float(x["startPeriod"]), float(x["limit"]))
                        for x in schedule["chargingSchedulePeriod"]]
        self.at = at

    def _start_for(self, t: datetime) -> datetime | None:
        if self.origin is None:
            return None
        if self.recurring is None or t < self.origin:
            return self.origin
        cycles = int((t - self.origin) / self.recurring)
        return self.origin + cycles * self.recurring

    def limit(self, t: datetime) -> float | None:
        if self.valid_from is not None and t < self.valid_from:
            return None
        if self.valid_to is not None and t >= self.valid_to:
            return None
        start = self._start_for(t)
        if start is None or t < start:
            return None
        offset = (t - start).total_seconds()
        if self.duration is not None and offset >= float(self.duration):
            return None
        if self.recurring is not None and offset >= self.recurring.total_seconds():
            return None
        current = None
        for begin, value in self.periods:
            if begin <= offset:
                current = value
        return current

    def edges(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Instants in [lo, hi) where this profile's contribution may change."""
        out = [x for x in (self.valid_from, self.valid_to) if x is not None]
        if self.origin is not None:
            starts = [self.origin]
            if self.recurring is not None:
                first = self._start_for(lo) or self.origin
                starts = []
                s = first
                while s < hi:
                    starts.append(s)
                    s += self.recurring
            for s in starts:
                out += [s + timedelta(seconds=b) for b, _ in self.periods]
                if self.duration is not None:
                    out.append(s + timedelta(seconds=float(self.duration)))
        return [x for x in out if lo < x < hi]


def composite_schedule(profiles: list[ProfileOnEvse], *, evse_id: int, start: str | datetime,
                       duration: float, unit: str, tx_start: str | datetime | None = None,
                       tx_id: str | None = None, volts: float = 400.0) -> list[Period]:
    """The composite schedule of ``evse_id``: periods (offset from ``start``, limit in
    ``unit``), merged where the limit does not change. A TxProfile counts only when its
    transactionId is ``tx_id`` (the transaction ongoing on the EVSE). Where no profile
    limits the EVSE, the period's limit is ``inf`` (the station puts its own maximum)."""
    t0 = when(start)
    t1 = t0 + timedelta(seconds=duration)
    origin = when(tx_start) if tx_start is not None else None
    relevant: list[_Window] = []
    for item in profiles:
        station_wide = item.purpose == "ChargingStationMaxProfile"
        if not station_wide and item.evse_id not in (0, evse_id):
            continue  # another EVSE's
        if not station_wide and evse_id == 0 and item.evse_id != 0:
            continue  # evseId 0: what is installed on the station as a whole
        if item.purpose == "TxProfile" and item.profile.get("transactionId") != tx_id:
            continue  # not the ongoing transaction's
        relevant.append(_Window(item, origin, t0))
    cuts = {t0}
    for w in relevant:
        cuts.update(w.edges(t0, t1))
    result: list[Period] = []
    for t in sorted(cuts):
        best: dict[str, tuple[tuple[int, int], float]] = {}
        for w in relevant:
            value = w.limit(t)
            if value is None:
                continue
            rank = (w.item.level, int(w.item.evse_id == evse_id))
            value = _convert(value, w.unit, unit, volts)
            if w.item.purpose not in best or rank > best[w.item.purpose][0]:
                best[w.item.purpose] = (rank, value)
        caps = []
        if "ChargingStationMaxProfile" in best:
            caps.append(best["ChargingStationMaxProfile"][1])
        tx = best.get("TxProfile") or best.get("TxDefaultProfile")
        if tx is not None:
            caps.append(tx[1])
        limit = min(caps) if caps else float("inf")
        offset = (t - t0).total_seconds()
        if result and result[-1].limit == limit:
            continue
        result.append(Period(offset, limit))
    return result


def without_blips(periods: list[Period], shorter_than: float, duration: float) -> list[Period]:
    """Drop periods shorter than ``shorter_than`` seconds (an edge that falls within the
    time resolution of a comparison, e.g. a transaction start a fraction of a second after
    the composite's start) and merge the neighbours that then have the same limit."""
    kept: list[Period] = []
    for n, p in enumerate(periods):
        end = periods[n + 1].start if n + 1 < len(periods) else duration
        if end - p.start < shorter_than and len(periods) > 1:
            continue
        if kept and kept[-1].limit == p.limit:
            continue
        kept.append(Period(0.0, p.limit) if not kept else p)
    return kept


def limit_in_force(profiles: list[ProfileOnEvse], *, evse_id: int, at: str | datetime,
                   unit: str, tx_start: str | datetime | None = None, tx_id: str | None = None,
                   volts: float = 400.0) -> float:
    """The composite limit at one instant (``inf``: none)."""
    periods = composite_schedule(profiles, evse_id=evse_id, start=at, duration=1, unit=unit,
                                 tx_start=tx_start, tx_id=tx_id, volts=volts)
    return periods[0].limit


def compare(reported: list[dict[str, Any]], expected: list[Period], *, time_tolerance: float,
            limit_tolerance: float = 0.01) -> list[str]:
    """Differences between a station's chargingSchedulePeriods and the expected periods
    (an ``inf`` expected limit matches any reported limit): empty when they agree."""
    problems: list[str] = []
    got = [(float(p["startPeriod"]), float(p["limit"])) for p in reported]
    if len(got) != len(expected):
        problems.append(f"{len(got)} period(s) reported, {len(expected)} expected")
    for n, (have, want) in enumerate(zip(got, expected, strict=False)):
        start, limit = have
        if abs(start - want.start) > time_tolerance:
            problems.append(f"period {n}: startPeriod {start:g}, expected {want.start:.0f} "
                            f"(+/- {time_tolerance:g} s)")
        if want.limit != float("inf") and abs(limit - want.limit) > limit_tolerance * max(1.0, want.limit):
            problems.append(f"period {n}: limit {limit:g}, expected {want.limit:g}")
    return problems


def describe(periods: list[Period]) -> str:
    return ", ".join(f"{p.start:.0f} s: {'no limit' if p.limit == float('inf') else f'{p.limit:g}'}"
                     for p in periods)
