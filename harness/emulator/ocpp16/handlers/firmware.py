"""The Firmware Management requests of a 1.6 Central System (UpdateFirmware, GetDiagnostics)
and the status notifications they cause: the shared firmware update and log upload
(:mod:`harness.emulator.firmware`, :mod:`harness.emulator.handlers.diagnostics`) do the work;
here the requests are said in 2.0.1 and the FirmwareStatusNotification / LogStatusNotification
the station sends are said as 1.6 FirmwareStatusNotification / DiagnosticsStatusNotification."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from harness.emulator import firmware
from harness.emulator.handlers.registry import Result
from harness.emulator.ocpp16 import translate
from harness.emulator.ocpp16.handlers.registry import handles16, shared

if TYPE_CHECKING:
    from harness.emulator.ocpp16.station import EmulatedStation16

# 1.6 requests carry no requestId; the shared logic wants one per request.
_request_ids = itertools.count(1)


def _split(result: Result) -> tuple[dict[str, Any], Any]:
    return result if isinstance(result, tuple) else (result, None)


def _retries(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p[k] for k in ("retries", "retryInterval") if p.get(k) is not None}


@handles16("UpdateFirmware")
async def update_firmware(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    """1.6 section 5.19: the conf is empty, whatever follows is told by
    FirmwareStatusNotification (the firmware is unsigned, see ``unsigned_firmware``)."""
    request = {"requestId": next(_request_ids), **_retries(p),
               "firmware": {"location": p["location"], "retrieveDateTime": p["retrieveDate"]}}
    payload, follow_up = _split(await shared(st, "UpdateFirmware", request))
    if payload["status"] not in ("Accepted", "AcceptedCanceled") or follow_up is None:
        # 1.6 cannot refuse an UpdateFirmware: say why nothing happens, answer all the same.
        st.on_event(f"UpdateFirmware not started: {payload}")
        return {}
    return {}, follow_up


@handles16("GetDiagnostics")
async def get_diagnostics(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    """1.6 section 5.9: location is the folder the charge point uploads its file to, named in
    the conf's fileName; startTime / stopTime bound what the file holds."""
    location = p["location"] if p["location"].endswith("/") else p["location"] + "/"
    log: dict[str, Any] = {"remoteLocation": location}
    if p.get("startTime"):
        log["oldestTimestamp"] = p["startTime"]
    if p.get("stopTime"):
        log["latestTimestamp"] = p["stopTime"]
    request_id = next(_request_ids)
    payload, follow_up = _split(await shared(st, "GetLog", {
        "logType": "DiagnosticsLog", "requestId": request_id, "log": log, **_retries(p)}))
    if payload.get("status") != "Accepted" or not payload.get("filename"):
        return {}  # no diagnostics information available: no fileName (section 6.26)
    if "diagnostics16_uploaded_without_upload" in st.quirks:
        async def pretend() -> None:  # the defect: reports an upload it never made
            st.send("LogStatusNotification", {"status": "Uploading", "requestId": request_id})
            st.send("LogStatusNotification", {"status": "Uploaded", "requestId": request_id})

        follow_up = pretend
    return {"fileName": payload["filename"]}, follow_up


def trigger_firmware_status(st: EmulatedStation16) -> Result:
    """TriggerMessage FirmwareStatusNotification (1.6 section 5.17): the status of the update
    going on in 1.6 words, also in a step 1.6 does not report (Idle when none runs)."""
    async def send() -> None:
        payload = firmware.trigger_payload(st)
        st.send("FirmwareStatusNotification",
                {**payload, "status": translate.firmware_status_16_now(payload["status"])})

    return {"status": "Accepted"}, send


def status_notification_16(st: EmulatedStation16, action: str,
                           p: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The station's FirmwareStatusNotification / LogStatusNotification in 1.6 (no requestId);
    None for a step 1.6 does not report (see the tables in :mod:`..translate`)."""
    if action == "LogStatusNotification":
        status = translate.diagnostics_status_16(p["status"])
        out = "DiagnosticsStatusNotification"
    else:
        status = _firmware_status(st, p["status"])
        out = "FirmwareStatusNotification"
    if status is None:
        st.on_event(f"{action} {p['status']}: no OCPP 1.6 counterpart; not sent")
        return None
    return out, {"status": status}


def _firmware_status(st: EmulatedStation16, status: str) -> str | None:
    fw = firmware.state(st)
    if status == "Idle" and "trigger16_firmware_status_stale" in st.quirks:
        status = fw.status  # the defect: a trigger answers with the last status, not Idle
    if status == "DownloadFailed" and "firmware16_download_failed_not_reported" in st.quirks:
        return None  # the defect: stays Downloading for ever
    if status in ("InstallVerificationFailed", "InvalidSignature") \
            and "firmware16_failed_install_reported_installed" in st.quirks:
        return "Installed"  # the defect: the failed installation is reported a success
    if status == "InstallRebooting" and "firmware16_installed_without_reboot" in st.quirks:
        if fw.task is not None:
            fw.task.cancel()  # the defect: claims Installed, never reboots into the new image
        return "Installed"
    return translate.firmware_status_16(status)
