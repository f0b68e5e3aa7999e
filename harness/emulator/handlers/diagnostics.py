"""Block N, diagnostics: log upload over HTTP or FTP, customer information."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import Result, handles, now
from harness.emulator.transfer import upload as upload_file

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


def log_lines(st: EmulatedStation, kind: str, oldest: str | None = None,
              latest: str | None = None) -> list[str]:
    """The lines of the station's ``kind`` log (each starts with its timestamp) between
    ``oldest`` and ``latest`` (GetLog log.oldestTimestamp / latestTimestamp; 1.6 GetDiagnostics
    startTime / stopTime). The diagnostics log holds the security events and a line of now."""
    lines = list(st.security_log)
    if kind != "security":
        lines.append(f"{now()} emulated diagnostics")
    low, high = _moment(oldest), _moment(latest)
    return [line for line in lines
            if (moment := _moment(line.split(" ", 1)[0])) is None
            or ((low is None or moment >= low) and (high is None or moment <= high))]


def _moment(value: str | None) -> float | None:
    try:
        return dt.datetime.fromisoformat((value or "").replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def trigger_payload(st: EmulatedStation) -> dict[str, Any]:
    """LogStatusNotification for TriggerMessage: Uploading with the requestId while an upload
    runs, Idle when none does."""
    request_id = getattr(st, "log_upload_request", None)
    if "trigger_log_status_idle_while_uploading" in st.quirks:
        request_id = None  # the defect: answers from the idle state machine
    return {"status": "Idle"} if request_id is None else {"status": "Uploading",
                                                           "requestId": request_id}


@handles("GetLog")
async def get_log(st: EmulatedStation, p: dict[str, Any]) -> Result:
    request_id = p["requestId"]
    kind = "security" if p["logType"] == "SecurityLog" else "diagnostics"
    filename = f"{st.config.station_id}-{kind}-{request_id}.log"
    location = p["log"]["remoteLocation"]
    retries = int(p.get("retries", 0) or 0)
    retry_interval = float(p.get("retryInterval", 0) or 0)

    # N01.FR.12 (OCTT C-57): a new request cancels the upload in progress: AcceptedCanceled.
    running = getattr(st, "log_upload_task", None)
    busy = running is not None and not running.done()
    cancel = busy and "log_second_request_not_canceled" not in st.quirks

    async def upload() -> None:
        if cancel:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running
        st.log_upload_task = asyncio.current_task()  # type: ignore[attr-defined]
        st.send("LogStatusNotification", {"status": "Uploading", "requestId": request_id})
        if "log_upload_never_finishes" in st.quirks:
            return
        lines = log_lines(st, kind, p["log"].get("oldestTimestamp"),
                          p["log"].get("latestTimestamp"))
        body = ("\n".join(lines) + "\n").encode()
        url = location if not location.endswith("/") else location + filename
        ok = False
        st.log_upload_request = request_id  # type: ignore[attr-defined]
        try:
            for attempt in range(retries + 1):
                if attempt:
                    await asyncio.sleep(retry_interval)
                ok = await asyncio.to_thread(upload_file, url, body)
                if ok:
                    break
        finally:
            st.log_upload_request = None  # type: ignore[attr-defined]
        if "log_upload_failure_reported_uploaded" in st.quirks:
            ok = True
        st.send("LogStatusNotification",
                {"status": "Uploaded" if ok else "UploadFailure", "requestId": request_id})

    return {"status": "AcceptedCanceled" if cancel else "Accepted", "filename": filename}, upload


@handles("CustomerInformation")
async def customer_information(st: EmulatedStation, p: dict[str, Any]) -> Result:
    token = p.get("idToken")
    if not (token or p.get("customerIdentifier") or p.get("customerCertificate")):
        return {"status": "Rejected"}

    async def notify() -> None:
        if "customer_information_no_notify" in st.quirks:
            return
        key = token.get("idToken") if token else st.customer_of_certificate(
            p.get("customerCertificate"))  # N10.FR.09
        data = "No customer data found"
        if key and key in st.auth_cache and "customer_information_without_data" not in st.quirks:
            data = f"idToken {key}: {st.auth_cache[key].get('status')}"
            if p.get("clear") and "customer_clear_keeps_data" not in st.quirks:
                del st.auth_cache[key]
        elif p.get("clear"):
            data = "No customer data to clear"
        st.send("NotifyCustomerInformation", {
            "data": data if p.get("report") else "Cleared" if p.get("clear") else data,
            "seqNo": 0, "generatedAt": now(), "requestId": p["requestId"], "tbc": False})

    return {"status": "Accepted"}, notify
