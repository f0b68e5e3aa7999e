"""The Smart Charging profile of a 1.6 Central System: SetChargingProfile, ClearChargingProfile
and GetCompositeSchedule (OCPP 1.6 sections 3.13, 5.5, 5.7, 5.16), answered by the shared
charging-profile engine (:mod:`harness.emulator.charging_profiles`, block K handlers).

A 1.6 ``csChargingProfiles`` is said as a 2.0.1 ``chargingProfile`` (:func:`profile_201`), a
composite schedule said back in 1.6 (:func:`composite_16`). What 1.6 does differently is
written here: a TxProfile without transactionId is for the transaction ongoing on the
connector (7.8 ChargingProfile), an Absolute schedule without startSchedule runs from the start
of charging (7.13 ChargingSchedule), and a profile with the stackLevel and purpose of one
already on the connector replaces it (5.16) where 2.0.1 rejects it (K01.FR.06).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator import charging_profiles as cp
from harness.emulator.handlers.registry import Result
from harness.emulator.ocpp16.configuration import MAX_CHARGING_PROFILES_INSTALLED
from harness.emulator.ocpp16.handlers.registry import handles16, shared

if TYPE_CHECKING:
    from harness.emulator.ocpp16.station import EmulatedStation16

# 1.6 ChargingProfilePurposeType -> 2.0.1 ChargingProfilePurposeEnumType
PURPOSES_201 = {"ChargePointMaxProfile": "ChargingStationMaxProfile",
                "TxDefaultProfile": "TxDefaultProfile", "TxProfile": "TxProfile"}


# ---- pure translations ---------------------------------------------------------------------
def profile_201(p16: dict[str, Any], transaction_id: str | None = None) -> dict[str, Any]:
    """ChargingProfile (1.6, section 7.8) -> ChargingProfileType (2.0.1). ``transaction_id`` is
    the station's own id of the transaction a TxProfile is for (none: no transactionId)."""
    s16 = p16["chargingSchedule"]
    schedule: dict[str, Any] = {
        "id": int(p16["chargingProfileId"]), "chargingRateUnit": s16["chargingRateUnit"],
        "chargingSchedulePeriod": [dict(period) for period in s16["chargingSchedulePeriod"]]}
    for key in ("startSchedule", "duration", "minChargingRate"):
        if s16.get(key) is not None:
            schedule[key] = s16[key]
    kind = p16["chargingProfileKind"]
    if kind == "Absolute" and not s16.get("startSchedule"):
        kind = "Relative"  # 7.13: without startSchedule, relative to the start of charging
    profile: dict[str, Any] = {
        "id": int(p16["chargingProfileId"]), "stackLevel": int(p16["stackLevel"]),
        "chargingProfilePurpose": PURPOSES_201.get(p16["chargingProfilePurpose"],
                                                   p16["chargingProfilePurpose"]),
        "chargingProfileKind": kind, "chargingSchedule": [schedule]}
    for key in ("recurrencyKind", "validFrom", "validTo"):
        if p16.get(key) is not None:
            profile[key] = p16[key]
    if transaction_id is not None:
        profile["transactionId"] = transaction_id
    return profile


def limit_16(value: float) -> float | int:
    """A limit as the 1.6 schema wants it (a multiple of 0.1)."""
    rounded = round(float(value), 1)
    return int(rounded) if rounded.is_integer() else rounded


def composite_16(reply: dict[str, Any], connector_id: int) -> dict[str, Any]:
    """GetCompositeScheduleResponse (2.0.1) -> GetCompositeSchedule.conf (1.6, section 6.23)."""
    schedule = reply.get("schedule")
    if reply.get("status") != "Accepted" or not schedule:
        return {"status": "Rejected"}
    return {"status": "Accepted", "connectorId": connector_id,
            "scheduleStart": schedule["scheduleStart"],
            "chargingSchedule": {
                "duration": int(schedule["duration"]), "startSchedule": schedule["scheduleStart"],
                "chargingRateUnit": schedule["chargingRateUnit"],
                "chargingSchedulePeriod": [
                    {"startPeriod": int(p["startPeriod"]), "limit": limit_16(p["limit"]),
                     **({"numberPhases": p["numberPhases"]} if "numberPhases" in p else {})}
                    for p in schedule["chargingSchedulePeriod"]]}}


def clear_request_201(p16: dict[str, Any], evse_id: int | None) -> dict[str, Any]:
    """ClearChargingProfile.req (1.6) -> ClearChargingProfileRequest (2.0.1); ``evse_id`` is
    the EVSE of the 1.6 connectorId (None: not given). With an id, the rest is ignored (5.5)."""
    if p16.get("id") is not None:
        return {"chargingProfileId": int(p16["id"])}
    criteria: dict[str, Any] = {}
    if evse_id is not None:
        criteria["evseId"] = evse_id
    if p16.get("chargingProfilePurpose") is not None:
        criteria["chargingProfilePurpose"] = PURPOSES_201.get(p16["chargingProfilePurpose"],
                                                              p16["chargingProfilePurpose"])
    if p16.get("stackLevel") is not None:
        criteria["stackLevel"] = int(p16["stackLevel"])
    return {"chargingProfileCriteria": criteria} if criteria else {}


# ---- the handlers ----------------------------------------------------------------------------
def _evse(st: EmulatedStation16, connector_id: int) -> int | None:
    """The EVSE of a 1.6 connectorId, 0 for the charge point; None for no such connector."""
    if connector_id == 0:
        return 0
    where = st.connectors.evse_of(connector_id)
    return where[0] if where is not None else None


def _transaction(st: EmulatedStation16, evse_id: int, p16: dict[str, Any]) -> str | None:
    """The station's id of the transaction a 1.6 TxProfile is for: its transactionId's, or,
    without one, the transaction ongoing on the connector (7.8). An id the station does not
    know stays unknown to the shared check (it rejects: no such transaction)."""
    if p16.get("chargingProfilePurpose") != "TxProfile":
        return None
    if p16.get("transactionId") is not None and "tx_profile_any_transaction_16" not in st.quirks:
        internal = st.tx_ids.internal(int(p16["transactionId"]))
        return internal if internal is not None else f"unknown-1.6-{p16['transactionId']}"
    evse = st.evses.get(evse_id)
    return evse.tx.id if evse is not None and evse.tx is not None else None


@handles16("SetChargingProfile")
async def set_charging_profile(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    evse_id = _evse(st, int(p["connectorId"]))
    p16 = p["csChargingProfiles"]
    if evse_id is None:
        return {"status": "Rejected"}
    if "limit_not_applied_16" in st.quirks:
        st.quirks.add("limit_not_applied")  # the shared engine's defect: outputs not limited
    if "tx_profile_without_tx_accepted_16" in st.quirks and evse_id in st.evses \
            and p16.get("chargingProfilePurpose") == "TxProfile" and st.evses[evse_id].tx is None:
        return {"status": "Accepted"}  # and discarded
    profile = profile_201(p16, _transaction(st, evse_id, p16))
    s = cp.store(st)
    if profile["id"] not in s.profiles and len(s.profiles) >= MAX_CHARGING_PROFILES_INSTALLED:
        return {"status": "Rejected"}
    # 5.16: the same stackLevel and purpose on the connector: the new profile replaces it.
    # (Quirk: stackLevel ignored, the last profile of a purpose replaces all the others.)
    any_level = "stack_level_ignored_16" in st.quirks
    replaced = {pid: inst for pid, inst in s.profiles.items()
                if pid != profile["id"] and inst.evse_id == evse_id
                and inst.purpose == profile["chargingProfilePurpose"]
                and (any_level or inst.stack_level == profile["stackLevel"])}
    for pid in replaced:
        s.profiles.pop(pid)
    result = await shared(st, "SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile})
    payload = result[0] if isinstance(result, tuple) else result
    if payload["status"] != "Accepted":
        s.profiles.update(replaced)
        reason = (payload.get("statusInfo") or {}).get("reasonCode")
        st.on_event(f"SetChargingProfile {profile['id']} rejected: {reason} "
                    f"{(payload.get('statusInfo') or {}).get('additionalInfo', '')}".rstrip())
        return {"status": "NotSupported" if reason == "NotEnabled" else "Rejected"}
    return result


@handles16("ClearChargingProfile")
async def clear_charging_profile(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    evse_id = None
    if p.get("connectorId") is not None and p.get("id") is None:
        evse_id = _evse(st, int(p["connectorId"]))
        if evse_id is None:
            return {"status": "Unknown"}
    request = clear_request_201(p, evse_id)
    if "clear_by_purpose_clears_all_16" in st.quirks and "chargingProfilePurpose" in \
            request.get("chargingProfileCriteria", {}):
        request = {}
    return await shared(st, "ClearChargingProfile", request)  # Accepted / Unknown in 1.6 too


@handles16("GetCompositeSchedule")
async def get_composite_schedule(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    connector_id = int(p["connectorId"])
    evse_id = _evse(st, connector_id)
    if evse_id is None:
        return {"status": "Rejected"}
    request: dict[str, Any] = {"evseId": evse_id, "duration": int(p["duration"])}
    if p.get("chargingRateUnit"):
        request["chargingRateUnit"] = p["chargingRateUnit"]
    hidden: dict[int, cp.Installed] = {}
    s = cp.store(st)
    if "composite_ignores_tx_default_16" in st.quirks:
        hidden = {pid: i for pid, i in s.profiles.items() if i.purpose == "TxDefaultProfile"}
        for pid in hidden:
            s.profiles.pop(pid)
    try:
        result = await shared(st, "GetCompositeSchedule", request)
    finally:
        s.profiles.update(hidden)
    payload = result[0] if isinstance(result, tuple) else result
    return composite_16(payload, connector_id)
