"""OCTT block N (Diagnostics), Charging Station side, Core: log retrieval and customer data.

OCPP 2.0.1 Part 2: N01 (Retrieve Log Information), N10 (Clear Customer Information). Logs go
to the harness file server (``file_server``), which records every upload and can be told to
refuse one.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.files import FileServer
from harness.csms.session import Message, StationSession
from suites.ocpp201.support import first_connector, id_token, start_charging, tx_id

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


# ---- TriggerMessage during an upload (F06, here for the GetLog helpers) ---------------------
# TC_F_16_CS. A refused first attempt with a retry keeps the upload in progress for
# RETRY_INTERVAL seconds: the window in which the CSMS asks what the station is doing.
RETRY_INTERVAL = 2


@pytest.mark.octt("TC_F_16_CS")
async def test_trigger_log_status_uploading(station, file_server, bench):
    """Trigger message - LogStatusNotification - Uploading.

    While a GetLog upload is in progress (the file server refuses the first attempt, one retry
    after RETRY_INTERVAL s), TriggerMessage(LogStatusNotification) is Accepted (F06.FR.04) and
    the station sends LogStatusNotification Uploading with the upload's requestId (F06.FR.05,
    F06.FR.10, F06.FR.14). The upload then ends (UploadFailure: the retry is refused too).
    """
    folder = upload_folder()
    file_server.failing.add("/" + folder)
    rid = request_id()
    timeout = bench.csms.message_timeout
    await get_log(station, "DiagnosticsLog", file_server.url(folder), rid, retries=1,
                  retryInterval=RETRY_INTERVAL)
    await station.expect("LogStatusNotification", {"status": "Uploading", "requestId": rid},
                         within=timeout)
    reply = await station.call("TriggerMessage", {"requestedMessage": "LogStatusNotification"})
    assert reply["status"] == "Accepted", (
        f"TriggerMessage(LogStatusNotification) during an upload: expected Accepted "
        f"(F06.FR.04), the station answered {reply.payload}")
    note = await station.expect("LogStatusNotification", within=timeout)
    got = {"status": note.get("status"), "requestId": note.get("requestId")}
    assert got == {"status": "Uploading", "requestId": rid}, (
        f"triggered LogStatusNotification while log upload {rid} is in progress: expected "
        f"status Uploading with requestId {rid} (F06.FR.14), the station sent {got}")
    # Let the upload end here, so its last notification does not land in the next case.
    await final_log_status(station, rid, within=RETRY_INTERVAL + 2 * timeout)


# ---- Customer information (N09, N10), a second GetLog (N01, C-57) ---------------------------
# TC_N_27/28/30/31/62_CS, TC_N_36_CS. A station knows a customer once it has charged with the
# customer's idToken: the cases that need data run a short session with the valid token first.

async def _customer_known(station: StationSession, operator: Any, bench: Bench) -> None:
    """A short session with the bench's valid idToken, so the station holds data about it."""
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    token = id_token(bench)
    try:
        await operator.present_id_token(token["idToken"], token["type"], evse)
        await operator.unplug(evse, connector)
        await station.expect("TransactionEvent", {
            "eventType": "Ended", "transactionInfo.transactionId": tx_id(started)})
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)


async def _customer_information(station: StationSession, bench: Bench, what: str,
                                **request: Any) -> str:
    """CustomerInformation: Accepted (N09.FR.02 / N10.FR.01), then NotifyCustomerInformation
    parts seqNo 0, 1, ... up to tbc false; return their data joined."""
    rid = request_id()
    reply = await station.call("CustomerInformation", {"requestId": rid, **request})
    assert reply["status"] == "Accepted", (
        f"CustomerInformation {what}: expected Accepted, the station answered "
        f"{reply['status']} {reply.get('statusInfo') or ''}".rstrip())
    parts: list[Message] = []
    while not parts or parts[-1].get("tbc"):
        part = await station.expect("NotifyCustomerInformation", {"requestId": rid},
                                    within=bench.csms.message_timeout)
        assert part["seqNo"] == len(parts), (
            f"NotifyCustomerInformation part {len(parts) + 1} of request {rid} ({what}): "
            f"expected seqNo {len(parts)}, it has {part['seqNo']}")
        parts.append(part)
    return "".join(str(p.get("data") or "") for p in parts)


def _unknown_token() -> dict[str, str]:
    return {"idToken": f"NOCUSTOMER{uuid.uuid4().hex[:10].upper()}", "type": "ISO14443"}


def _mentions(data: str, token: dict[str, str]) -> bool:
    return token["idToken"] in data


@pytest.mark.octt("TC_N_27_CS")
@pytest.mark.requires("CustomerInformation")  # C-30/31/34 with a list or cache (C-49)
async def test_get_customer_information_data(station, operator, bench):
    """Get Customer Information - Accepted + data.

    After a session with the valid idToken, CustomerInformation report=true, clear=false for
    it: Accepted (N09.FR.02); NotifyCustomerInformation carries the data the station holds
    about that customer (N09.FR.05).
    """
    await _customer_known(station, operator, bench)
    token = id_token(bench)
    data = await _customer_information(station, bench, "report for a known idToken",
                                       report=True, clear=False, idToken=token)
    assert _mentions(data, token), (
        f"NotifyCustomerInformation for idToken {token['idToken']}, which has just charged: "
        f"expected data about that customer (N09.FR.05), the station sent {data!r}")


@pytest.mark.octt("TC_N_28_CS")
@pytest.mark.requires("CustomerInformation")  # C-30/31/34 with a list or cache (C-49)
async def test_get_customer_information_no_data(station, operator, bench):
    """Get Customer Information - Accepted + no data.

    CustomerInformation report=true for an idToken the station has never seen: Accepted
    (N09.FR.02), and NotifyCustomerInformation is still sent, with no customer data
    (N09.FR.06).
    """
    token = _unknown_token()
    data = await _customer_information(station, bench, "report for an unknown idToken",
                                       report=True, clear=False, idToken=token)
    assert not _mentions(data, token), (
        f"NotifyCustomerInformation for idToken {token['idToken']}, never seen by the station: "
        f"expected no customer data (N09.FR.06), the station sent {data!r}")


@pytest.mark.octt("TC_N_30_CS")
@pytest.mark.requires("CustomerInformation")  # C-30/31/34 with a list or cache (C-49)
async def test_clear_customer_information_report_data(station, operator, bench):
    """Clear Customer Information - Clear and report + data.

    After a session with the valid idToken, CustomerInformation report=true, clear=true:
    Accepted (N10.FR.01), NotifyCustomerInformation reports the data (N10.FR.03); it is
    cleared: a report afterwards has no data about that customer any more.
    """
    await _customer_known(station, operator, bench)
    token = id_token(bench)
    data = await _customer_information(station, bench, "clear and report for a known idToken",
                                       report=True, clear=True, idToken=token)
    assert _mentions(data, token), (
        f"CustomerInformation clear+report for idToken {token['idToken']}, which has just "
        f"charged: expected the data that is cleared (N10.FR.03), the station sent {data!r}")
    after = await _customer_information(station, bench, "report after the clear",
                                        report=True, clear=False, idToken=token)
    assert not _mentions(after, token), (
        f"after clearing the data of idToken {token['idToken']} the station still reports "
        f"{after!r}")


@pytest.mark.octt("TC_N_31_CS")
@pytest.mark.requires("CustomerInformation")  # C-30/31/34 with a list or cache (C-49)
async def test_clear_customer_information_report_no_data(station, operator, bench):
    """Clear Customer Information - Clear and report + no data.

    CustomerInformation report=true, clear=true for an idToken the station has never seen:
    Accepted (N10.FR.01), and NotifyCustomerInformation is sent without customer data
    (N10.FR.04).
    """
    token = _unknown_token()
    data = await _customer_information(station, bench, "clear and report for an unknown idToken",
                                       report=True, clear=True, idToken=token)
    assert not _mentions(data, token), (
        f"CustomerInformation clear+report for idToken {token['idToken']}, never seen: "
        f"expected no customer data (N10.FR.04), the station sent {data!r}")


@pytest.mark.octt("TC_N_62_CS")
@pytest.mark.requires("CustomerIdentifier")  # C-14
async def test_clear_customer_information_identifier(station, operator, bench):
    """Clear Customer Information - Clear and report - customerIdentifier.

    CustomerInformation report=true, clear=true naming the customer by customerIdentifier
    (no idToken): Accepted (N10.FR.01), then NotifyCustomerInformation for the request
    (N10.FR.03).
    """
    await _customer_information(station, bench, "clear and report by customerIdentifier",
                                report=True, clear=True,
                                customerIdentifier=f"CUST-{uuid.uuid4().hex[:12]}")


@pytest.mark.octt("TC_N_36_CS")
@pytest.mark.requires("LogUploadCancel")  # C-57
async def test_get_log_second_request(station, file_server, bench):
    """Retrieve Log Information - Second Request.

    A second GetLog while the first upload is in progress (the first is held by a refused
    attempt and a retry): AcceptedCanceled with a filename (N01.FR.12); the first upload
    reports nothing more, the second runs: Uploading, the file arrives, Uploaded, with the
    second requestId (N01.FR.01, N01.FR.02, N01.FR.07..09, N01.FR.13).
    """
    held = upload_folder()
    file_server.failing.add("/" + held)
    first = request_id()
    timeout = bench.csms.message_timeout
    await get_log(station, "DiagnosticsLog", file_server.url(held), first, retries=1,
                  retryInterval=RETRY_INTERVAL)
    await station.expect("LogStatusNotification", {"status": "Uploading", "requestId": first},
                         within=timeout)
    folder = upload_folder()
    rid = request_id()
    mark = station.journal.mark()
    reply = await station.call("GetLog", {"logType": "DiagnosticsLog", "requestId": rid,
                                          "log": {"remoteLocation": file_server.url(folder)}})
    if reply["status"] != "AcceptedCanceled":
        await final_log_status(station, first, within=RETRY_INTERVAL + 2 * timeout)
    assert reply["status"] == "AcceptedCanceled", (
        f"GetLog {rid} while upload {first} is in progress: expected AcceptedCanceled "
        f"(N01.FR.12: the ongoing upload is canceled), the station answered {reply['status']}")
    assert reply.get("filename"), f"GetLog {rid}: no filename in the response ({reply.payload})"
    await station.expect("LogStatusNotification", {"status": "Uploading", "requestId": rid},
                         within=timeout)
    done = await final_log_status(station, rid, within=2 * timeout)
    assert done["status"] == "Uploaded", (
        f"GetLog {rid} after canceling {first}: expected Uploaded, the station reported "
        f"{done['status']}")
    await file_server.wait_upload("/" + folder, within=timeout)
    await station.expect_none("LogStatusNotification", {"requestId": first},
                              within=RETRY_INTERVAL, since=mark)
