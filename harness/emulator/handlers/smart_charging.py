"""Block K, smart charging: SetChargingProfile, ClearChargingProfile, GetChargingProfiles
(answered by ReportChargingProfiles) and GetCompositeSchedule."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from harness.emulator import charging_profiles as cp
from harness.emulator.handlers.registry import Result, handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


def _enabled(st: EmulatedStation) -> bool:
    with contextlib.suppress(KeyError):
        return st.dm.get_bool("SmartChargingCtrlr", "Enabled")
    return False


@handles("SetChargingProfile")
async def set_charging_profile(st: EmulatedStation, p: dict[str, Any]) -> Result:
    if not _enabled(st):
        return {"status": "Rejected", "statusInfo": {"reasonCode": "NotEnabled"}}
    evse_id = int(p["evseId"])
    profile = p["chargingProfile"]
    try:
        cp.validate(st, evse_id, profile)
    except cp.Rejection as exc:
        return {"status": "Rejected",
                "statusInfo": {"reasonCode": exc.reason, "additionalInfo": exc.info[:512]}}
    cp.install(st, evse_id, profile)
    cp.apply_limits(st)
    follow_up = st.hlc_schedule_follow_up(evse_id, profile)  # ISO 15118 EV: K15 / K17
    return ({"status": "Accepted"}, follow_up) if follow_up else {"status": "Accepted"}


@handles("ClearChargingProfile")
async def clear_charging_profile(st: EmulatedStation, p: dict[str, Any]) -> Result:
    s = cp.store(st)
    profile_id = p.get("chargingProfileId")
    criteria = p.get("chargingProfileCriteria") or {}
    if profile_id is not None:
        matched = [profile_id] if profile_id in s.profiles else []
    else:
        matched = [
            pid for pid, inst in s.profiles.items()
            if ("evseId" not in criteria or inst.evse_id == criteria["evseId"])
            and ("chargingProfilePurpose" not in criteria
                 or inst.purpose == criteria["chargingProfilePurpose"])
            and ("stackLevel" not in criteria or inst.stack_level == criteria["stackLevel"])
        ]
    if not matched:
        return {"status": "Unknown"}  # K10.FR.01
    if profile_id is None and criteria and "clear_profile_by_criteria_ignored" in st.quirks:
        return {"status": "Accepted"}
    if profile_id is None and "clear_by_criteria_first_match_only" in st.quirks:
        matched = matched[:1]
    for pid in matched:
        s.profiles.pop(pid, None)
    with contextlib.suppress(KeyError):
        st.dm.put("SmartChargingCtrlr", "Entries", str(len(s.profiles)), "ChargingProfiles")
    cp.apply_limits(st)
    return {"status": "Accepted"}


@handles("GetChargingProfiles")
async def get_charging_profiles(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """K09: the profiles matching evseId and the criteria, in ReportChargingProfiles."""
    criteria = p.get("chargingProfile") or {}
    evse_id = p.get("evseId")
    ids = criteria.get("chargingProfileId")
    sources = criteria.get("chargingLimitSource")
    found = [
        inst for inst in cp.store(st).profiles.values()
        if (evse_id is None or inst.evse_id == evse_id)
        and (not ids or inst.id in ids)
        and ("chargingProfilePurpose" not in criteria
             or inst.purpose == criteria["chargingProfilePurpose"])
        and ("stackLevel" not in criteria or inst.stack_level == criteria["stackLevel"])
        and (not sources or inst.source in sources)
    ]
    if not found:
        return {"status": "NoProfiles"}
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for inst in sorted(found, key=lambda i: (i.evse_id, i.id)):
        groups.setdefault((inst.evse_id, inst.source), []).append(inst.profile)
    request_id = p["requestId"]

    async def report() -> None:
        items = list(groups.items())
        for n, ((evse, source), profiles) in enumerate(items):
            st.send("ReportChargingProfiles", {
                "requestId": request_id, "chargingLimitSource": source, "evseId": evse,
                "chargingProfile": profiles, "tbc": n < len(items) - 1})

    return {"status": "Accepted"}, report


@handles("GetCompositeSchedule")
async def get_composite_schedule(st: EmulatedStation, p: dict[str, Any]) -> Result:
    evse_id = int(p["evseId"])
    if evse_id != 0 and evse_id not in st.evses:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "UnknownEvse"}}  # K08.FR.05
    units = cp.rate_units(st)
    unit = p.get("chargingRateUnit") or units[0]
    if unit not in units and "rate_unit_claims_amps_only" not in st.quirks:
        return {"status": "Rejected", "statusInfo": {"reasonCode": "UnsupportedRateUnit"}}
    duration = int(p["duration"])
    start = datetime.now(UTC).timestamp()
    periods = cp.composite(st, evse_id, start, duration, unit)
    return {"status": "Accepted", "schedule": {
        "evseId": evse_id, "duration": duration, "scheduleStart": cp.iso_seconds(start),
        "chargingRateUnit": unit, "chargingSchedulePeriod": periods}}
