"""The emulated station's charging profiles (OCPP 2.0.1 K01, K05, K08, K09, K10): the store,
the validation of SetChargingProfile, the station's own composite schedule and the limit it
puts on each DC output.

Profiles are kept in non-volatile memory (they survive a reboot, K01.FR.27); a TxProfile
lives as long as its transaction. The composite schedule of an EVSE is, at every instant,
the lowest of the ChargingStationMaxProfile in force and the TxProfile in force (or, when
there is none, the TxDefaultProfile in force); within one purpose the profile with the
highest stackLevel whose validity and schedule cover the instant wins, and an EVSE-specific
TxDefaultProfile wins over a station-wide one of the same stackLevel.
"""

from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.emulator.evse import Evse
    from harness.emulator.station import EmulatedStation

PURPOSES = ("ChargingStationMaxProfile", "TxDefaultProfile", "TxProfile")
RECURRENCE = {"Daily": 86400.0, "Weekly": 7 * 86400.0}


def parse_time(text: str) -> float:
    """RFC 3339 -> epoch seconds."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def iso_seconds(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Installed:
    evse_id: int
    profile: dict[str, Any]
    source: str = "CSO"

    @property
    def id(self) -> int:
        return int(self.profile["id"])

    @property
    def purpose(self) -> str:
        return str(self.profile["chargingProfilePurpose"])

    @property
    def stack_level(self) -> int:
        return int(self.profile["stackLevel"])

    @property
    def schedule(self) -> dict[str, Any]:
        return dict(self.profile["chargingSchedule"][0])

    def validity(self) -> tuple[float, float]:
        lo = parse_time(self.profile["validFrom"]) if self.profile.get("validFrom") else float("-inf")
        hi = parse_time(self.profile["validTo"]) if self.profile.get("validTo") else float("inf")
        return lo, hi


@dataclass
class ProfileStore:
    profiles: dict[int, Installed] = field(default_factory=dict)
    # RequestStartTransaction's TxProfile per EVSE, until its transaction has an id (K05)
    pending: dict[int, dict[str, Any]] = field(default_factory=dict)
    tx_started_at: dict[str, float] = field(default_factory=dict)
    hardware: dict[int, tuple[float, float]] = field(default_factory=dict)
    limited: set[int] = field(default_factory=set)  # outputs a profile limits now


class Rejection(Exception):
    def __init__(self, reason: str, info: str) -> None:
        super().__init__(info)
        self.reason = reason
        self.info = info


def store(st: EmulatedStation) -> ProfileStore:
    found = getattr(st, "charging_profiles", None)
    if found is None:
        found = ProfileStore()
        st.charging_profiles = found  # type: ignore[attr-defined]
    return found


def rate_units(st: EmulatedStation) -> list[str]:
    return st.dm.get_list("SmartChargingCtrlr", "RateUnit")


# ---- K01: SetChargingProfile --------------------------------------------------------------
def validate(st: EmulatedStation, evse_id: int, profile: dict[str, Any]) -> None:
    """Raise :class:`Rejection` when the profile may not be installed on ``evse_id``."""
    purpose = profile.get("chargingProfilePurpose")
    kind = profile.get("chargingProfileKind")
    if evse_id != 0 and evse_id not in st.evses:
        raise Rejection("UnknownEvse", f"no EVSE {evse_id} (K01.FR.28)")
    if purpose not in PURPOSES:
        raise Rejection("InvalidProfile", f"a CSMS cannot set a {purpose} (K01.FR.22)")
    max_level = st.dm.get_int("SmartChargingCtrlr", "ProfileStackLevel")
    if not 0 <= int(profile.get("stackLevel", -1)) <= max_level:
        raise Rejection("InvalidStackLevel", f"stackLevel beyond 0..{max_level}")
    if purpose == "ChargingStationMaxProfile":
        if evse_id != 0:
            raise Rejection("InvalidValue", "ChargingStationMaxProfile needs evseId 0")
        if kind == "Relative":
            raise Rejection("InvalidValue", "ChargingStationMaxProfile cannot be Relative (K01.FR.38)")
    if purpose == "TxProfile":
        if evse_id == 0:
            raise Rejection("InvalidValue", "TxProfile needs evseId > 0 (K01.FR.16)")
        tx_id = profile.get("transactionId")
        if not tx_id:
            raise Rejection("InvalidValue", "TxProfile without transactionId (K01.FR.03)")
        tx = st.evses[evse_id].tx
        if tx is None:
            raise Rejection("TxNotFound", f"no transaction on EVSE {evse_id} (K01.FR.09)")
        if tx.id != tx_id:
            raise Rejection("TxNotFound", f"transaction {tx_id} unknown on EVSE {evse_id} (K01.FR.33)")
    elif profile.get("transactionId"):
        raise Rejection("InvalidValue", "only a TxProfile has a transactionId")
    schedules = profile.get("chargingSchedule") or []
    if not schedules:
        raise Rejection("InvalidSchedule", "no chargingSchedule")
    for schedule in schedules:
        if schedule.get("chargingRateUnit") not in rate_units(st) \
                and "rate_unit_claims_amps_only" not in st.quirks:
            raise Rejection("UnsupportedRateUnit", f"chargingRateUnit {schedule.get('chargingRateUnit')} "
                                                   "not supported (K01.FR.26)")
        periods = schedule.get("chargingSchedulePeriod") or []
        if not periods or periods[0].get("startPeriod") != 0:
            raise Rejection("InvalidSchedule", "the first startPeriod must be 0 (K01.FR.31)")
        starts = [p["startPeriod"] for p in periods]
        if starts != sorted(set(starts)):
            raise Rejection("InvalidSchedule", "startPeriods not increasing (K01.FR.35)")
        if len(periods) > st.dm.get_int("SmartChargingCtrlr", "PeriodsPerSchedule"):
            raise Rejection("InvalidSchedule", "more periods than PeriodsPerSchedule")
        if kind in ("Absolute", "Recurring") and not schedule.get("startSchedule"):
            raise Rejection("InvalidSchedule", f"{kind} profile without startSchedule (K01.FR.40)")
        if kind == "Relative" and schedule.get("startSchedule"):
            raise Rejection("InvalidSchedule", "Relative profile with startSchedule (K01.FR.41)")
    if kind == "Recurring" and profile.get("recurrencyKind") not in RECURRENCE:
        raise Rejection("InvalidValue", "Recurring profile without recurrencyKind")
    if "accepts_duplicate_stack_level" in st.quirks:
        return
    new = Installed(evse_id, profile)
    lo, hi = new.validity()
    for other in store(st).profiles.values():
        if other.id == new.id or other.evse_id != evse_id or other.purpose != purpose \
                or other.stack_level != new.stack_level:
            continue
        if purpose == "TxProfile" and other.profile.get("transactionId") != profile.get("transactionId"):
            continue
        olo, ohi = other.validity()
        if lo < ohi and olo < hi:
            raise Rejection("DuplicateProfile", f"profile {other.id} has the same stackLevel and "
                                                "purpose on this EVSE (K01.FR.06, K01.FR.39)")


def install(st: EmulatedStation, evse_id: int, profile: dict[str, Any]) -> None:
    """Add, or replace the one with the same id (K01.FR.05)."""
    profiles = store(st).profiles
    profiles.pop(int(profile["id"]), None)
    profiles[int(profile["id"])] = Installed(evse_id, copy.deepcopy(profile))
    with contextlib.suppress(KeyError):
        st.dm.put("SmartChargingCtrlr", "Entries", str(len(profiles)), "ChargingProfiles")


# ---- transactions (K05; a TxProfile ends with its transaction) ----------------------------
def tx_started(st: EmulatedStation, evse: Evse) -> None:
    s = store(st)
    if evse.tx is None:
        return
    s.tx_started_at[evse.tx.id] = datetime.now(UTC).timestamp()
    pending = s.pending.pop(evse.id, None)
    if pending is not None:
        profile = {**pending, "transactionId": evse.tx.id}
        try:
            validate(st, evse.id, profile)
        except Rejection as exc:
            st.on_event(f"EVSE {evse.id}: TxProfile of the remote start not used ({exc.info})")
            return
        install(st, evse.id, profile)


def tx_ended(st: EmulatedStation, evse: Evse) -> None:
    s = store(st)
    s.pending.pop(evse.id, None)
    if evse.tx is None:
        return
    s.tx_started_at.pop(evse.tx.id, None)
    if "tx_profile_outlives_tx" in st.quirks:
        return
    for pid in [p.id for p in s.profiles.values()
                if p.purpose == "TxProfile" and p.profile.get("transactionId") == evse.tx.id]:
        s.profiles.pop(pid, None)
    with contextlib.suppress(KeyError):
        st.dm.put("SmartChargingCtrlr", "Entries", str(len(s.profiles)), "ChargingProfiles")


# ---- K08: the composite schedule ----------------------------------------------------------
def _schedule_start(st: EmulatedStation, p: Installed, t: float) -> float | None:
    schedule = p.schedule
    kind = p.profile.get("chargingProfileKind")
    if kind == "Relative":
        evse = st.evses.get(p.evse_id)
        tx = evse.tx if evse is not None else None
        if tx is not None:
            return store(st).tx_started_at.get(tx.id, t)
        return None  # a Relative profile starts with a transaction
    start = parse_time(schedule["startSchedule"])
    if kind == "Recurring":
        every = RECURRENCE[p.profile["recurrencyKind"]]
        if t >= start:
            start += ((t - start) // every) * every
    return start


def _limit_of(st: EmulatedStation, p: Installed, t: float, unit: str) -> tuple[float | None, float]:
    """The profile's limit at ``t`` (None: not in force) and when that may next change."""
    lo, hi = p.validity()
    if t < lo:
        return None, lo
    if t >= hi:
        return None, float("inf")
    start = _schedule_start(st, p, t)
    if start is None:
        return None, float("inf")
    schedule = p.schedule
    duration = schedule.get("duration")
    end = start + duration if duration is not None else float("inf")
    if p.profile.get("chargingProfileKind") == "Recurring":
        end = min(end, start + RECURRENCE[p.profile["recurrencyKind"]])
    if t < start:
        return None, min(start, hi)
    if t >= end:
        if p.profile.get("chargingProfileKind") == "Recurring":
            return None, min(start + RECURRENCE[p.profile["recurrencyKind"]], hi)
        return None, float("inf")
    limit = None
    change = min(end, hi)
    for period in schedule["chargingSchedulePeriod"]:
        at = start + period["startPeriod"]
        if at <= t:
            limit = float(period["limit"])
        else:
            change = min(change, at)
            break
    if limit is None:
        return None, change
    return _convert(st, limit, schedule["chargingRateUnit"], unit), change


def _convert(st: EmulatedStation, limit: float, have: str, want: str) -> float:
    if have == want:
        return limit
    volts = float(st.config.ev_battery_v or 400.0)
    return limit * volts if want == "W" else limit / volts


def _applicable(st: EmulatedStation, evse_id: int) -> list[Installed]:
    mine = []
    for p in store(st).profiles.values():
        if p.purpose == "ChargingStationMaxProfile":
            if "composite_ignores_station_max" in st.quirks:
                continue
            mine.append(p)
        elif p.evse_id in (0, evse_id):
            if p.purpose == "TxProfile":
                evse = st.evses.get(evse_id)
                if evse is None or evse.tx is None or p.profile.get("transactionId") != evse.tx.id:
                    continue
            mine.append(p)
    return mine


def limit_at(st: EmulatedStation, evse_id: int, t: float, unit: str,
             profiles: list[Installed] | None = None) -> tuple[float | None, float]:
    """The composite limit of ``evse_id`` at ``t`` (None: no profile limits it) and the
    next instant it may change."""
    profiles = _applicable(st, evse_id) if profiles is None else profiles
    winners: dict[str, tuple[tuple[int, int], float]] = {}
    change = float("inf")
    for p in profiles:
        limit, next_change = _limit_of(st, p, t, unit)
        change = min(change, next_change)
        if limit is None:
            continue
        rank = (p.stack_level, 1 if p.evse_id == evse_id else 0)
        if p.purpose not in winners or rank > winners[p.purpose][0]:
            winners[p.purpose] = (rank, limit)
    limits = []
    if "ChargingStationMaxProfile" in winners:
        limits.append(winners["ChargingStationMaxProfile"][1])
    tx_limit = winners.get("TxProfile") or winners.get("TxDefaultProfile")
    if tx_limit is not None:
        limits.append(tx_limit[1])
    return (min(limits) if limits else None), change


def hardware_limit(st: EmulatedStation, evse_id: int, unit: str) -> float:
    evses = [st.evses[evse_id]] if evse_id in st.evses else list(st.evses.values())
    total = 0.0
    for evse in evses:
        amps, watts = store(st).hardware.get(
            evse.id, (evse.power.plant.params.max_current_a, evse.power.plant.params.max_power_w))
        total += amps if unit == "A" else watts
    return total


def composite(st: EmulatedStation, evse_id: int, start: float, duration: int,
              unit: str) -> list[dict[str, Any]]:
    """chargingSchedulePeriods of the composite schedule from ``start`` for ``duration`` s."""
    profiles = _applicable(st, evse_id)
    if evse_id == 0:
        profiles = [p for p in profiles if p.evse_id == 0]
    end = start + duration
    default = hardware_limit(st, evse_id, unit)
    periods: list[dict[str, Any]] = []
    t = start
    while t < end:
        limit, change = limit_at(st, evse_id, t, unit, profiles)
        value = round(default if limit is None else min(limit, default), 3)
        offset = round(t - start)
        if not periods or periods[-1]["limit"] != value:
            if periods and periods[-1]["startPeriod"] == offset:
                periods[-1]["limit"] = value
            else:
                periods.append({"startPeriod": offset, "limit": value})
        if change <= t:
            change = t + 1.0
        t = change
    return periods


# ---- the limit on the DC output -----------------------------------------------------------
def apply_limits(st: EmulatedStation, now: float | None = None) -> None:
    """Make each output deliver no more than its composite limit in force now."""
    s = store(st)
    t = datetime.now(UTC).timestamp() if now is None else now
    for evse in st.evses.values():
        params = evse.power.plant.params
        hw = s.hardware.setdefault(evse.id, (params.max_current_a, params.max_power_w))
        amps, watts = hw
        if "limit_not_applied" not in st.quirks and s.profiles:
            unit = "W"
            limit, _ = limit_at(st, evse.id, t, unit)
            if limit is not None:
                watts = min(watts, max(0.0, limit))
        limited = (amps, watts) != hw
        if not limited and evse.id not in s.limited:
            continue  # never limited by a profile: the output is not ours to touch
        if params.max_current_a != amps or params.max_power_w != watts:
            evse.power.plant.state()  # advance to now under the old limits first
            params.max_current_a = amps
            params.max_power_w = watts
        if limited:
            s.limited.add(evse.id)
        else:
            s.limited.discard(evse.id)


