"""OCPP 1.6 Firmware Management on the emulated charge point: the status translations, the
unsigned 1.6 firmware update beside 2.0.1's signed one, the diagnostics window, and the 1.6
firmware and diagnostics cases run unchanged over FTP."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from harness.emulator import firmware
from harness.emulator.config import StationConfig
from harness.emulator.handlers import diagnostics
from harness.emulator.ocpp16 import translate
from harness.emulator.ocpp16.handlers.firmware import status_notification_16
from harness.emulator.ocpp16.station import EmulatedStation16
from harness.emulator.station import EmulatedStation
from tests.variant_bench import BENCH_16, derived_bench

ROOT = Path(__file__).resolve().parents[1]

# OCPP 1.6 FirmwareStatus and DiagnosticsStatus (sections 4.5, 4.4, 6.17, 6.19).
FIRMWARE_16 = {"Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed",
               "Installing", "Installed"}
DIAGNOSTICS_16 = {"Idle", "Uploaded", "UploadFailed", "Uploading"}
# OCPP 2.0.1 FirmwareStatusEnumType and UploadLogStatusEnumType.
FIRMWARE_201 = {"Downloaded", "DownloadFailed", "Downloading", "DownloadScheduled",
                "DownloadPaused", "Idle", "InstallationFailed", "Installing", "Installed",
                "InstallRebooting", "InstallScheduled", "InstallVerificationFailed",
                "InvalidSignature", "SignatureVerified"}
LOG_201 = {"BadMessage", "Idle", "NotSupportedOperation", "PermissionDenied", "Uploaded",
           "UploadFailure", "Uploading", "AcceptedCanceled"}


def test_status_tables_cover_every_201_status_with_a_16_word_or_nothing() -> None:
    assert set(translate.FIRMWARE_STATUS_16) == FIRMWARE_201
    assert set(translate.DIAGNOSTICS_STATUS_16) == LOG_201
    assert {v for v in translate.FIRMWARE_STATUS_16.values() if v} == FIRMWARE_16
    assert {v for v in translate.DIAGNOSTICS_STATUS_16.values() if v} == DIAGNOSTICS_16


@pytest.mark.parametrize(("status", "said"), [
    ("Downloading", "Downloading"), ("InstallVerificationFailed", "InstallationFailed"),
    ("InvalidSignature", "InstallationFailed"), ("SignatureVerified", None),
    ("InstallRebooting", None), ("DownloadScheduled", None), ("Idle", "Idle")])
def test_firmware_status_16(status: str, said: str | None) -> None:
    assert translate.firmware_status_16(status) == said


@pytest.mark.parametrize(("status", "said"), [
    ("Uploading", "Uploading"), ("UploadFailure", "UploadFailed"),
    ("PermissionDenied", "UploadFailed"), ("AcceptedCanceled", None), ("Idle", "Idle")])
def test_diagnostics_status_16(status: str, said: str | None) -> None:
    assert translate.diagnostics_status_16(status) == said


@pytest.mark.parametrize(("status", "now"), [
    ("DownloadScheduled", "Idle"), ("Downloading", "Downloading"),
    ("SignatureVerified", "Downloaded"), ("InstallScheduled", "Downloaded"),
    ("InstallRebooting", "Installing"), ("Idle", "Idle")])
def test_triggered_firmware_status_always_has_a_16_word(status: str, now: str) -> None:
    assert translate.firmware_status_16_now(status) == now
    assert all(translate.firmware_status_16_now(s) in FIRMWARE_16 for s in FIRMWARE_201)


def _config() -> StationConfig:
    return StationConfig(station_id="CS016", csms_url="ws://127.0.0.1:1/ocpp",
                         ocpp_version="1.6")


def test_notifications_said_in_16_without_request_id() -> None:
    st = EmulatedStation16(_config())
    assert status_notification_16(st, "FirmwareStatusNotification",
                                  {"status": "Downloaded", "requestId": 3}) == (
        "FirmwareStatusNotification", {"status": "Downloaded"})
    assert status_notification_16(st, "FirmwareStatusNotification",
                                  {"status": "SignatureVerified", "requestId": 3}) is None
    assert status_notification_16(st, "LogStatusNotification",
                                  {"status": "UploadFailure", "requestId": 4}) == (
        "DiagnosticsStatusNotification", {"status": "UploadFailed"})


def test_unsigned_firmware_only_where_the_version_has_it() -> None:
    """A 1.6 station takes unsigned firmware; a 2.0.1 one still rejects it (TC_L_18_CS)."""
    request = {"requestId": 1, "firmware": {"location": "http://127.0.0.1:1/fw.bin",
                                            "retrieveDateTime": "2020-01-01T00:00:00Z"}}
    st16 = EmulatedStation16(_config())
    reply, follow_up = firmware.update_firmware(st16, request)
    assert reply == {"status": "Accepted"} and callable(follow_up)
    st201 = EmulatedStation(StationConfig(station_id="CS201", csms_url="ws://127.0.0.1:1/ocpp"))
    assert firmware.update_firmware(st201, request)["status"] == "Rejected"
    # A signed request to the 1.6 station is still checked: an unreadable certificate fails.
    signed = {"requestId": 2, "firmware": {**request["firmware"], "signature": "AAAA",
                                           "signingCertificate": "not a certificate"}}
    assert firmware.update_firmware(st16, signed)[0]["status"] == "InvalidCertificate"


def test_diagnostics_window() -> None:
    st = EmulatedStation16(_config())
    st.security_log[:] = ["2026-01-01T10:00:00.000Z SettingSystemTime: a",
                          "2026-01-01T12:00:00.000Z FirmwareUpdated: b"]
    lines = diagnostics.log_lines(st, "diagnostics", "2026-01-01T11:00:00Z", None)
    assert lines[0].endswith("FirmwareUpdated: b") and len(lines) == 2  # and the line of now
    past = diagnostics.log_lines(st, "diagnostics", None, "2026-01-01T11:00:00Z")
    assert past == ["2026-01-01T10:00:00.000Z SettingSystemTime: a"]
    assert diagnostics.log_lines(st, "security") == st.security_log


def test_triggered_log_status_follows_the_upload() -> None:
    st = EmulatedStation16(_config())
    assert diagnostics.trigger_payload(st) == {"status": "Idle"}
    st.log_upload_request = 9  # type: ignore[attr-defined]
    assert diagnostics.trigger_payload(st) == {"status": "Uploading", "requestId": 9}


def test_get_diagnostics_names_the_file_in_the_folder() -> None:
    from harness.emulator.ocpp16.handlers import HANDLERS_16

    st = EmulatedStation16(_config())
    now = dt.datetime.now(dt.UTC).isoformat()
    reply, _ = asyncio.run(HANDLERS_16["GetDiagnostics"](st, {
        "location": "ftp://u:p@127.0.0.1:1/logs", "startTime": now}))
    assert reply["fileName"].startswith("CS016-diagnostics-")


def test_firmware_cases_pass_over_ftp(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The 1.6 firmware and diagnostics cases on a bench whose charge point speaks FTP only."""
    bench = derived_bench(tmp_path, base=BENCH_16, csms={"file_transfer": "ftp"})
    args = [str(ROOT / "suites" / "ocpp16" / "test_firmware.py"), "-c",
            str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), "--bench", str(bench),
            "-p", "no:randomly", "-q"]
    cases = ("TC_044_1_CS", "TC_044_2_CS", "TC_044_3_CS", "TC_045_1_CS", "TC_045_2_CS")
    for case in cases:
        args += ["--octt", case]
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(passed=len(cases) + 1)  # TC_044_1_CS also runs with a transaction


@pytest.mark.parametrize(("what", "connector_id", "status"), [
    ("MeterValues", 9, "Rejected"), ("StatusNotification", 9, "Rejected"),
    ("Heartbeat", 9, "Accepted"), ("FirmwareStatusNotification", 9, "Accepted"),
    ("MeterValues", 1, "Accepted")])
def test_trigger_connector_only_where_relevant(what: str, connector_id: int, status: str) -> None:
    """1.6 section 5.17: an unknown connector is Rejected for the messages about a connector;
    for the others the connectorId is ignored."""
    from harness.emulator.ocpp16.handlers import HANDLERS_16

    st = EmulatedStation16(_config())
    result = asyncio.run(HANDLERS_16["TriggerMessage"](st, {"requestedMessage": what,
                                                           "connectorId": connector_id}))
    payload = result[0] if isinstance(result, tuple) else result
    assert payload == {"status": status}
