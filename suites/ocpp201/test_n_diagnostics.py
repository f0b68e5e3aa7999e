"""OCTT block N (Diagnostics), Charging Station side, Core: log retrieval and customer data.

OCPP 2.0.1 Part 2: N01 (Retrieve Log Information), N10 (Clear Customer Information). Logs go
to the harness file server (``file_server``), which records every upload and can be told to
refuse one.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.files import FileServer
from harness.csms.session import Message, StationSession
from suites.ocpp201.support import id_token

FAILED_UPLOAD = ("UploadFailure", "BadMessage", "NotSupportedOperation", "PermissionDenied")


def upload_folder() -> str:
    """A fresh folder per test, so no earlier upload can answer for this one."""
    return f"upload/{uuid.uuid4().hex[:12]}/"


def request_id() -> int:
    return random.randint(1, 2**31 - 1)


async def get_log(station: StationSession, log_type: str, location: str, rid: int,
                  **extra: Any) -> Message:
    """GetLog; the station must accept it and name the file it will upload."""
    reply = await station.call("GetLog", {"logType": log_type, "requestId": rid,
                                          "log": {"remoteLocation": location}, **extra})
    assert reply["status"] == "Accepted", (
        f"GetLog {log_type} to {location}: expected status Accepted (N01.FR.01), the station "
        f"answered {reply['status']} {reply.get('statusInfo') or ''}".rstrip())
    assert reply.get("filename"), (
        f"GetLog {log_type}: the station accepted but named no file in GetLogResponse.filename "
        f"(N01.FR.02); it answered {reply.payload}")
    return reply


async def final_log_status(station: StationSession, rid: int, within: float) -> Message:
    """The LogStatusNotification that ends request ``rid`` (anything after Uploading)."""

    def finished(payload: dict[str, Any]) -> bool:
        """LogStatusNotification with this requestId and a status other than Uploading"""
        return payload.get("requestId") == rid and payload.get("status") != "Uploading"

    return await station.expect("LogStatusNotification", finished, within=within)


async def uploads_log(station: StationSession, file_server: FileServer, bench: Bench,
                      log_type: str) -> None:
    """N01 success path: Accepted with a filename, Uploading, the file arrives, Uploaded."""
    folder = upload_folder()
    rid = request_id()
    await get_log(station, log_type, file_server.url(folder), rid)
    timeout = bench.csms.message_timeout
    uploading = await station.expect("LogStatusNotification",
                                     {"status": "Uploading", "requestId": rid}, within=timeout)
    done = await final_log_status(station, rid, within=2 * timeout)
    assert done["status"] == "Uploaded", (
        f"GetLog {log_type} request {rid}: after Uploading the station reported "
        f"{done['status']} instead of Uploaded (N01.FR.09); the file server accepts uploads to "
        f"{file_server.url(folder)}")
    assert done.seq > uploading.seq, "Uploaded was reported before Uploading (N01.FR.07)"
    # Uploaded must mean the file is there: the file server has to have received it.
    await file_server.wait_upload("/" + folder, within=timeout)


@pytest.mark.octt("TC_N_25_CS")
async def test_get_log_diagnostics_success(station, file_server, bench):
    """Retrieve Log Information - Diagnostics Log - Success.

    GetLog DiagnosticsLog to the harness file server: Accepted with a filename, then
    LogStatusNotification Uploading and Uploaded with the request's requestId, and the file
    really arrives. Requirements: N01.FR.01, N01.FR.02, N01.FR.04, N01.FR.07, N01.FR.08,
    N01.FR.09, N01.FR.13.
    """
    await uploads_log(station, file_server, bench, "DiagnosticsLog")


@pytest.mark.octt("TC_N_35_CS")
async def test_get_log_security_success(station, file_server, bench):
    """Retrieve Log Information - Security Log - Success.

    GetLog SecurityLog to the harness file server: Accepted with a filename, then
    LogStatusNotification Uploading and Uploaded with the request's requestId, and the file
    really arrives. Requirements: N01.FR.01, N01.FR.02, N01.FR.03, N01.FR.07, N01.FR.08,
    N01.FR.09, N01.FR.13.
    """
    await uploads_log(station, file_server, bench, "SecurityLog")


@pytest.mark.octt("TC_N_26_CS")
async def test_get_log_upload_failed(station, file_server, bench):
    """Retrieve Log Information - Diagnostics Log - Upload failed.

    The file server answers every upload with HTTP 500. GetLog DiagnosticsLog (retries 0):
    Accepted with a filename, LogStatusNotification Uploading, then UploadFailure with the
    request's requestId; never Uploaded. Requirements: N01.FR.01, N01.FR.02, N01.FR.04,
    N01.FR.07, N01.FR.08, N01.FR.10, N01.FR.13.
    """
    folder = upload_folder()
    file_server.failing.add("/" + folder)
    try:
        rid = request_id()
        await get_log(station, "DiagnosticsLog", file_server.url(folder), rid, retries=0)
        timeout = bench.csms.message_timeout
        uploading = await station.expect("LogStatusNotification",
                                         {"status": "Uploading", "requestId": rid},
                                         within=timeout)
        done = await final_log_status(station, rid, within=2 * timeout)
        assert done["status"] == "UploadFailure", (
            f"GetLog request {rid}: the file server refused the upload (HTTP 500), so the "
            f"station must report UploadFailure (N01.FR.10); it reported {done['status']}")
        assert done.seq > uploading.seq, "UploadFailure was reported before Uploading"
    finally:
        file_server.failing.discard("/" + folder)


@pytest.mark.octt("TC_N_32_CS")
async def test_clear_customer_information_no_report(station, bench):
    """Clear Customer Information - Clear and no report.

    CustomerInformation clear=true, report=false for the bench's valid idToken: Accepted,
    then NotifyCustomerInformation with the request's requestId, the last part tbc=false.
    Requirements: N10.FR.01, N10.FR.06.
    """
    rid = request_id()
    reply = await station.call("CustomerInformation", {
        "requestId": rid, "report": False, "clear": True, "idToken": id_token(bench)})
    assert reply["status"] == "Accepted", (
        f"CustomerInformation clear=true report=false for a valid idToken: expected Accepted "
        f"(N10.FR.01), the station answered {reply['status']}")
    timeout = bench.csms.message_timeout
    first = await station.expect("NotifyCustomerInformation", {"requestId": rid}, within=timeout)
    assert first["seqNo"] == 0, (
        f"the first NotifyCustomerInformation of request {rid} must have seqNo 0, it has "
        f"{first['seqNo']}")
    part = first
    while part.get("tbc"):
        part = await station.expect("NotifyCustomerInformation", {"requestId": rid},
                                    within=timeout)
