"""Pure translations between the station's internal (OCPP 2.0.1-shaped) messages and OCPP 1.6.

No state here: the transactionId map and the connector numbering are passed in, so every
function is unit-tested on its own (tests/test_ocpp16.py).
"""

from __future__ import annotations

from typing import Any

# OCPP 1.6 Measurand, UnitOfMeasure and Reason enumerations (section 7).
MEASURANDS_16 = frozenset({
    "Current.Export", "Current.Import", "Current.Offered", "Energy.Active.Export.Register",
    "Energy.Active.Import.Register", "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register", "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval", "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval", "Frequency", "Power.Active.Export", "Power.Active.Import",
    "Power.Factor", "Power.Offered", "Power.Reactive.Export", "Power.Reactive.Import", "RPM",
    "SoC", "Temperature", "Voltage"})
UNITS_16 = frozenset({"Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var", "kvar", "A",
                      "V", "Celsius", "Fahrenheit", "K", "Percent"})
REASONS_16 = frozenset({"EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other",
                        "PowerLoss", "Reboot", "Remote", "SoftReset", "UnlockCommand",
                        "DeAuthorized"})
REGISTER = "Energy.Active.Import.Register"


def boot_notification(p: dict[str, Any]) -> dict[str, Any]:
    """BootNotificationRequest (2.0.1) -> BootNotification.req (1.6); 1.6 has no reason."""
    cs = p.get("chargingStation", {})
    out = {"chargePointVendor": cs.get("vendorName", ""), "chargePointModel": cs.get("model", "")}
    if cs.get("serialNumber"):
        out["chargePointSerialNumber"] = cs["serialNumber"]
    if cs.get("firmwareVersion"):
        out["firmwareVersion"] = cs["firmwareVersion"]
    return out


def id_tag(token: dict[str, Any] | None) -> str | None:
    return token.get("idToken") if token else None


def id_token_info(info: dict[str, Any] | None) -> dict[str, Any]:
    """IdTagInfo (1.6) -> IdTokenInfo (2.0.1), for the station's authorization logic."""
    info = info or {}
    out: dict[str, Any] = {"status": info.get("status", "Invalid")}
    if info.get("expiryDate"):
        out["cacheExpiryDateTime"] = info["expiryDate"]
    if info.get("parentIdTag"):
        out["groupIdToken"] = {"idToken": info["parentIdTag"], "type": "Central"}
    return out


def stop_reason(reason: str | None, reset_type: str | None = None) -> str:
    """stoppedReason (2.0.1) -> Reason (1.6). An ImmediateReset is the Hard or Soft reset the
    Central System asked for."""
    if reason == "ImmediateReset":
        return "SoftReset" if reset_type == "Soft" else "HardReset"
    return reason if reason in REASONS_16 else "Other"


def sampled_value(sv: dict[str, Any]) -> dict[str, Any] | None:
    """SampledValueType (2.0.1) -> SampledValue (1.6): the value is a string, the unit flat
    with the multiplier applied. A measurand 1.6 does not know is dropped (None)."""
    measurand = sv.get("measurand", REGISTER)
    if measurand not in MEASURANDS_16:
        return None
    unit_of_measure = sv.get("unitOfMeasure") or {}
    value = float(sv["value"]) * 10 ** int(unit_of_measure.get("multiplier", 0))
    out: dict[str, Any] = {"value": _number(value), "measurand": measurand}
    for key in ("context", "phase", "location"):
        if key in sv:
            out[key] = sv[key]
    unit = unit_of_measure.get("unit")
    if unit in UNITS_16:
        out["unit"] = unit
    return out


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}".rstrip("0")


def meter_values(values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for mv in values:
        sampled = [s for s in (sampled_value(sv) for sv in mv.get("sampledValue", [])) if s]
        if sampled:
            out.append({"timestamp": mv["timestamp"], "sampledValue": sampled})
    return out


def register_wh(values: list[dict[str, Any]], context: str) -> int | None:
    """The energy register (Wh, integer as 1.6 meterStart / meterStop want) of ``context``."""
    for mv in values:
        for sv in mv.get("sampledValue", []):
            if sv.get("measurand", REGISTER) == REGISTER and sv.get("context") == context:
                multiplier = int((sv.get("unitOfMeasure") or {}).get("multiplier", 0))
                scale = 1000 if (sv.get("unitOfMeasure") or {}).get("unit") == "kWh" else 1
                return round(float(sv["value"]) * scale * 10 ** multiplier)
    return None


def connector_status_16(status: str, *, in_transaction: bool, charging_state: str | None,
                        authorized: bool, finishing: bool) -> str:
    """The 1.6 ChargePointStatus of a connector from its 2.0.1 status and what the station
    knows of it: 2.0.1 says Occupied where 1.6 tells Preparing, Charging, Suspended* and
    Finishing apart; an authorization waiting for the cable is Preparing in 1.6."""
    if status == "Occupied":
        if in_transaction:
            return {"Charging": "Charging", "SuspendedEV": "SuspendedEV",
                    "SuspendedEVSE": "SuspendedEVSE"}.get(charging_state or "", "Preparing")
        return "Finishing" if finishing else "Preparing"
    if status == "Available" and authorized:
        return "Preparing"
    return status  # Available, Reserved, Unavailable, Faulted: same words


# FirmwareStatus (2.0.1) -> FirmwareStatus (1.6, section 4.5). None: no 1.6 word says it, the
# notification is not sent. DownloadScheduled / InstallScheduled: 1.6 reports nothing until the
# download / installation starts; SignatureVerified and InstallRebooting are steps 1.6 does not
# report; DownloadPaused is still Downloading (already reported). A failed verification or an
# invalid signature means the image could not be installed: InstallationFailed.
FIRMWARE_STATUS_16: dict[str, str | None] = {
    "Downloaded": "Downloaded", "DownloadFailed": "DownloadFailed",
    "Downloading": "Downloading", "Idle": "Idle", "InstallationFailed": "InstallationFailed",
    "Installing": "Installing", "Installed": "Installed",
    "InstallVerificationFailed": "InstallationFailed", "InvalidSignature": "InstallationFailed",
    "DownloadScheduled": None, "DownloadPaused": None, "InstallScheduled": None,
    "InstallRebooting": None, "SignatureVerified": None,
}
# UploadLogStatus (2.0.1) -> DiagnosticsStatus (1.6, section 4.4). Every way an upload can end
# without the file arriving is UploadFailed; AcceptedCanceled (an earlier upload replaced) has
# no 1.6 word.
DIAGNOSTICS_STATUS_16: dict[str, str | None] = {
    "Idle": "Idle", "Uploaded": "Uploaded", "Uploading": "Uploading",
    "UploadFailure": "UploadFailed", "BadMessage": "UploadFailed",
    "NotSupportedOperation": "UploadFailed", "PermissionDenied": "UploadFailed",
    "AcceptedCanceled": None,
}


# Where an update in one of the unreported steps is, said in 1.6 when a TriggerMessage asks
# (section 5.17: an accepted trigger is answered with the current status).
FIRMWARE_STATUS_16_NOW = {"DownloadScheduled": "Idle", "DownloadPaused": "Downloading",
                          "SignatureVerified": "Downloaded", "InstallScheduled": "Downloaded",
                          "InstallRebooting": "Installing"}


def firmware_status_16(status: str) -> str | None:
    """FirmwareStatusNotification.status in 1.6, None when 1.6 does not report that step."""
    return FIRMWARE_STATUS_16.get(status)


def firmware_status_16_now(status: str) -> str:
    """The 1.6 status a triggered FirmwareStatusNotification reports for an update in
    ``status`` (every 2.0.1 step has one)."""
    return FIRMWARE_STATUS_16.get(status) or FIRMWARE_STATUS_16_NOW.get(status, "Idle")


def diagnostics_status_16(status: str) -> str | None:
    """DiagnosticsStatusNotification.status in 1.6 for a LogStatusNotification status."""
    return DIAGNOSTICS_STATUS_16.get(status)
