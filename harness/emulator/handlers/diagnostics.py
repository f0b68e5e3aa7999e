"""Block N, diagnostics: log upload over HTTP or FTP, customer information."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import Result, handles, now
from harness.emulator.transfer import upload as upload_file

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


@handles("GetLog")
async def get_log(st: EmulatedStation, p: dict[str, Any]) -> Result:
    request_id = p["requestId"]
    kind = "security" if p["logType"] == "SecurityLog" else "diagnostics"
    filename = f"{st.config.station_id}-{kind}-{request_id}.log"
    location = p["log"]["remoteLocation"]
    retries = int(p.get("retries", 0) or 0)
    retry_interval = float(p.get("retryInterval", 0) or 0)

    async def upload() -> None:
        st.send("LogStatusNotification", {"status": "Uploading", "requestId": request_id})
        if "log_upload_never_finishes" in st.quirks:
            return
        lines = st.security_log if kind == "security" else [f"{now()} emulated diagnostics"]
        body = ("\n".join(lines) + "\n").encode()
        url = location if not location.endswith("/") else location + filename
        ok = False
        for attempt in range(retries + 1):
            if attempt:
                await asyncio.sleep(retry_interval)
            ok = await asyncio.to_thread(upload_file, url, body)
            if ok:
                break
        if "log_upload_failure_reported_uploaded" in st.quirks:
            ok = True
        st.send("LogStatusNotification",
                {"status": "Uploaded" if ok else "UploadFailure", "requestId": request_id})

    return {"status": "Accepted", "filename": filename}, upload


@handles("CustomerInformation")
async def customer_information(st: EmulatedStation, p: dict[str, Any]) -> Result:
    token = p.get("idToken")
    if not (token or p.get("customerIdentifier") or p.get("customerCertificate")):
        return {"status": "Rejected"}

    async def notify() -> None:
        if "customer_information_no_notify" in st.quirks:
            return
        key = token.get("idToken") if token else None
        data = "No customer data found"
        if key and key in st.auth_cache:
            data = f"idToken {key}: {st.auth_cache[key].get('status')}"
            if p.get("clear"):
                del st.auth_cache[key]
        elif p.get("clear"):
            data = "No customer data to clear"
        st.send("NotifyCustomerInformation", {
            "data": data if p.get("report") else "Cleared" if p.get("clear") else data,
            "seqNo": 0, "generatedAt": now(), "requestId": p["requestId"], "tbc": False})

    return {"status": "Accepted"}, notify
