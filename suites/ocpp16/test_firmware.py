"""OCTT 1.6, Firmware Management profile (Charge Point side): firmware update and diagnostics
upload; and the Remote Trigger profile's rejected TriggerMessage.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 sections its catalogue row names (5.19 Update Firmware, 5.9 Get Diagnostics, 4.4 /
4.5 the status notifications, 5.17 Trigger Message).

Images and uploads go through the harness file server (``file_server``: HTTP, or FTP when the
bench says ``csms.file_transfer: ftp``, as many 1.6 chargers only speak FTP). The images are
the emulated station's image format (``harness.emulator.firmware``); a real charger needs its
vendor's images.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime

import pytest

from harness.csms.files import FileServer
from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.emulator.firmware import build_image
from suites.ocpp16.support import (
    connector_ids,
    hands_of,
    id_tag,
    reboot_within,
    start_transaction,
)

pytestmark = pytest.mark.ocpp_version("1.6")

FIRMWARE_FAILED = ("DownloadFailed", "InstallationFailed")
# A station may act this much before a waited-for moment (clock resolution).
EARLY = 0.05


def iso_in(seconds: float) -> str:
    """A dateTime ``seconds`` from now (negative: in the past), as OCPP writes it."""
    moment = datetime.fromtimestamp(time.time() + seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def serve(file_server: FileServer, image: bytes) -> str:
    """Serve ``image`` at a fresh path; return its URL."""
    path = f"/firmware/{uuid.uuid4().hex[:12]}.bin"
    file_server.files[path] = image
    return file_server.url(path)


def upload_folder() -> str:
    """A fresh folder per test, so no earlier upload can answer for this one."""
    return f"diagnostics/{uuid.uuid4().hex[:12]}/"


async def update_firmware(station: StationSession, location: str, **extra: object) -> None:
    reply = await station.call("UpdateFirmware", {"location": location,
                                                  "retrieveDate": iso_in(-60), **extra})
    assert reply.payload == {}, (
        f"UpdateFirmware.conf has no fields (1.6 section 6.56); the charge point answered "
        f"{reply.payload}")


async def firmware_statuses(station: StationSession, until: tuple[str, ...],
                            within: float) -> list[Message]:
    """FirmwareStatusNotifications up to the first with a status in ``until``."""
    notes: list[Message] = []
    deadline = time.monotonic() + within
    while True:
        note = await station.expect("FirmwareStatusNotification",
                                    within=max(deadline - time.monotonic(), 0.01))
        notes.append(note)
        if note["status"] in until:
            return notes


def statuses(notes: list[Message]) -> list[str]:
    return [n["status"] for n in notes]


async def triggered_status(station: StationSession, what: str) -> str:
    """TriggerMessage ``what`` (FirmwareStatusNotification / DiagnosticsStatusNotification):
    Accepted, then that notification; its status (1.6 section 5.17)."""
    reply = await station.call("TriggerMessage", {"requestedMessage": what})
    assert reply["status"] == "Accepted", (
        f"TriggerMessage {what}: expected Accepted (1.6 section 5.17), the charge point "
        f"answered {reply['status']}")
    note = await station.expect(what, since=reply.seq)
    return str(note["status"])


@pytest.mark.octt("TC_044_1_CS")
async def test_firmware_update_download_and_install(station, bench, file_server):
    """Firmware Update - Download and Install.

    UpdateFirmware with the location of a new image and a retrieveDate in the past: an empty
    UpdateFirmware.conf, then FirmwareStatusNotification Downloading, Downloaded, Installing,
    Installed in this order and nothing else; the charge point reboots into the new firmware
    (BootNotification after Installing, with the new firmwareVersion; 1.6 does not say whether
    Installed comes before or after that reboot, so either is taken). Afterwards a triggered
    FirmwareStatusNotification says Idle (1.6 sections 5.19, 4.5, 5.17).
    """
    version = f"1.6.{random.randint(1, 9999)}-TC044"
    await update_firmware(station, serve(file_server, build_image(version)))
    timeout = bench.csms.message_timeout
    notes = await firmware_statuses(station, ("Installed", *FIRMWARE_FAILED),
                                    within=3 * timeout + reboot_within(bench))
    expected = ["Downloading", "Downloaded", "Installing", "Installed"]
    assert statuses(notes) == expected, (
        f"firmware update to {version}: the charge point reported {statuses(notes)}, expected "
        f"{expected} in this order (1.6 sections 4.5, 5.19)")
    installing = notes[2]
    try:
        boot = await station.expect("BootNotification", since=installing.seq,
                                    within=reboot_within(bench))
    except ExpectTimeout as exc:
        raise AssertionError(
            f"the charge point reported firmware {version!r} Installed but never rebooted "
            f"into it (no BootNotification after Installing)\n{exc}") from None
    assert boot.get("firmwareVersion") == version, (
        f"BootNotification after installing firmware {version!r} reports firmwareVersion "
        f"{boot.get('firmwareVersion')!r}: the charge point did not boot the new firmware")
    for connector_id in connector_ids(bench):
        await station.expect("StatusNotification", {"connectorId": connector_id},
                             since=boot.seq)
    status = await triggered_status(station, "FirmwareStatusNotification")
    assert status == "Idle", (
        f"TriggerMessage FirmwareStatusNotification after the update ended: expected Idle (no "
        f"firmware update going on, 1.6 section 4.5), the charge point reported {status}")


@pytest.mark.octt("TC_044_1_CS")
async def test_firmware_update_during_transaction(station, operator, bench, file_server):
    """Firmware Update - Download and Install, with a transaction running.

    A transaction runs on connector 1 when UpdateFirmware arrives: the download goes ahead
    (Downloading, Downloaded). 1.6 section 5.19 recommends waiting for the session to end
    before installing; the transaction is then stopped remotely (Accepted unless the charge
    point already ended it) and must be reported by a StopTransaction; the update completes
    with Installing, Installed and a reboot into the new firmwareVersion.
    """
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(id_tag(bench), evse=evse)
    _, tx_id = await start_transaction(station, 1)
    version = f"1.6.{random.randint(1, 9999)}-TC044-tx"
    await update_firmware(station, serve(file_server, build_image(version)))
    timeout = bench.csms.message_timeout
    notes = await firmware_statuses(station, ("Downloaded", *FIRMWARE_FAILED), within=3 * timeout)
    assert statuses(notes) == ["Downloading", "Downloaded"], (
        f"firmware update to {version} during transaction {tx_id}: the charge point reported "
        f"{statuses(notes)}, expected Downloading, Downloaded")
    await station.call("RemoteStopTransaction", {"transactionId": tx_id})
    await station.expect("StopTransaction", {"transactionId": tx_id}, within=reboot_within(bench))
    rest = await firmware_statuses(station, ("Installed", *FIRMWARE_FAILED),
                                   within=3 * timeout + reboot_within(bench))
    assert statuses(rest) == ["Installing", "Installed"], (
        f"firmware update to {version} after transaction {tx_id}: the charge point reported "
        f"{statuses(rest)} after Downloaded, expected Installing, Installed")
    boot = await station.expect("BootNotification", since=rest[0].seq,
                                within=reboot_within(bench))
    assert boot.get("firmwareVersion") == version, (
        f"BootNotification after installing firmware {version!r} reports firmwareVersion "
        f"{boot.get('firmwareVersion')!r}")


@pytest.mark.octt("TC_044_2_CS")
async def test_firmware_update_download_failed(station, bench, file_server):
    """Firmware Update - Download Failed.

    UpdateFirmware with a location the file server does not have (retries 2, retryInterval
    1 s): Downloading; while it retries, a triggered FirmwareStatusNotification still says
    Downloading; then DownloadFailed, not before the retries could be made ((retries - 1) x
    retryInterval: 1.6 leaves open whether ``retries`` counts the first try); never
    Downloaded, Installing or Installed, and no reboot (1.6 sections 5.19, 4.5, 5.17).
    """
    retries, interval = 2, 1
    missing = file_server.url(f"/firmware/{uuid.uuid4().hex[:12]}-missing.bin")
    await update_firmware(station, missing, retries=retries, retryInterval=interval)
    timeout = bench.csms.message_timeout
    downloading = await station.expect("FirmwareStatusNotification", within=timeout)
    assert downloading["status"] == "Downloading", (
        f"UpdateFirmware of {missing}: expected FirmwareStatusNotification Downloading first, "
        f"the charge point reported {downloading['status']}")
    status = await triggered_status(station, "FirmwareStatusNotification")
    assert status in ("Downloading", "DownloadFailed"), (
        f"TriggerMessage FirmwareStatusNotification while the download is being retried: "
        f"expected Downloading (1.6 section 5.17), the charge point reported {status}")
    notes = await firmware_statuses(station, ("Installed", *FIRMWARE_FAILED),
                                    within=retries * interval + 3 * timeout)
    assert statuses(notes)[-1] == "DownloadFailed" and set(statuses(notes)) <= {
        "Downloading", "DownloadFailed"}, (
        f"UpdateFirmware of a file the server does not have: expected Downloading until "
        f"DownloadFailed, the charge point reported Downloading, {statuses(notes)}")
    waited = notes[-1].mono - downloading.mono
    assert waited >= (retries - 1) * interval - EARLY, (
        f"DownloadFailed {waited:.2f} s after Downloading: with retries {retries} and "
        f"retryInterval {interval} s the charge point gave up without retrying")
    await station.expect_none("BootNotification", within=bench.csms.quiet_period)


@pytest.mark.octt("TC_044_3_CS")
async def test_firmware_update_installation_failed(station, bench, file_server):
    """Firmware Update - Installation Failed.

    UpdateFirmware with an image the charge point cannot install (not an image for it):
    Downloading, Downloaded, then InstallationFailed (Installing before it is allowed); never
    Installed, and if the charge point reboots, it runs the firmware it had (1.6 sections
    5.19, 4.5).
    """
    running = (station.state.boot or {}).get("firmwareVersion")
    await update_firmware(station, serve(file_server, b"not a firmware image for this charger\n"))
    timeout = bench.csms.message_timeout
    notes = await firmware_statuses(station, ("Installed", *FIRMWARE_FAILED), within=3 * timeout)
    seen = statuses(notes)
    assert seen in (["Downloading", "Downloaded", "InstallationFailed"],
                    ["Downloading", "Downloaded", "Installing", "InstallationFailed"]), (
        f"UpdateFirmware of an image the charge point cannot install: expected Downloading, "
        f"Downloaded, (Installing,) InstallationFailed, the charge point reported {seen}")
    await station.expect_none("FirmwareStatusNotification", {"status": "Installed"},
                              within=bench.csms.quiet_period)
    for entry in station.journal.since(notes[0].seq):
        if entry.action == "BootNotification" and entry.message_type == "CALL":
            assert (entry.payload or {}).get("firmwareVersion") == running, (
                f"after a failed installation the charge point booted firmware "
                f"{(entry.payload or {}).get('firmwareVersion')!r}, not the {running!r} it had")


@pytest.mark.octt("TC_045_1_CS")
async def test_get_diagnostics(station, bench, file_server):
    """Get Diagnostics of a Charge Point.

    A triggered DiagnosticsStatusNotification says Idle. GetDiagnostics with the location of
    a folder on the harness file server and a startTime / stopTime window: GetDiagnostics.conf
    with a fileName, DiagnosticsStatusNotification Uploading then Uploaded, and the file
    server really received the file of that name in that folder (1.6 sections 5.9, 4.4,
    5.17).
    """
    status = await triggered_status(station, "DiagnosticsStatusNotification")
    assert status == "Idle", (
        f"TriggerMessage DiagnosticsStatusNotification with no upload going on: expected Idle "
        f"(1.6 section 4.4), the charge point reported {status}")
    folder = upload_folder()
    reply = await station.call("GetDiagnostics", {
        "location": file_server.url(folder), "startTime": iso_in(-3600), "stopTime": iso_in(60)})
    file_name = reply.get("fileName")
    assert file_name, (
        f"GetDiagnostics: expected the name of the file it uploads in GetDiagnostics.conf "
        f"fileName (1.6 section 6.26), the charge point answered {reply.payload}")
    timeout = bench.csms.message_timeout
    uploading = await station.expect("DiagnosticsStatusNotification", within=timeout)
    assert uploading["status"] == "Uploading", (
        f"GetDiagnostics: expected DiagnosticsStatusNotification Uploading first (1.6 section "
        f"4.4), the charge point reported {uploading['status']}")
    done = await station.expect("DiagnosticsStatusNotification", within=2 * timeout)
    assert done["status"] == "Uploaded", (
        f"GetDiagnostics to {file_server.url(folder)}: after Uploading the charge point "
        f"reported {done['status']} instead of Uploaded; the file server accepts uploads there")
    # Uploaded must mean the file is there, under the name the conf gave.
    upload = await file_server.wait_upload("/" + folder, within=timeout)
    assert upload.path == f"/{folder}{file_name}", (
        f"GetDiagnostics.conf named the file {file_name!r}, the charge point uploaded "
        f"{upload.path!r}")


@pytest.mark.octt("TC_045_2_CS")
async def test_get_diagnostics_upload_failed(station, bench, file_server):
    """Get Diagnostics - Upload Failed.

    The file server refuses every upload to the folder (HTTP 500 / FTP 550). GetDiagnostics
    (retries 1, retryInterval 2 s): a fileName, Uploading; while it retries a triggered
    DiagnosticsStatusNotification still says Uploading; then UploadFailed, never Uploaded
    (1.6 sections 5.9, 4.4, 5.17).
    """
    folder = upload_folder()
    file_server.failing.add("/" + folder)
    try:
        reply = await station.call("GetDiagnostics", {"location": file_server.url(folder),
                                                      "retries": 1, "retryInterval": 2})
        assert reply.get("fileName"), (
            f"GetDiagnostics: expected a fileName in GetDiagnostics.conf, the charge point "
            f"answered {reply.payload}")
        timeout = bench.csms.message_timeout
        uploading = await station.expect("DiagnosticsStatusNotification", within=timeout)
        assert uploading["status"] == "Uploading", (
            f"GetDiagnostics: expected DiagnosticsStatusNotification Uploading first, the "
            f"charge point reported {uploading['status']}")
        status = await triggered_status(station, "DiagnosticsStatusNotification")
        assert status in ("Uploading", "UploadFailed"), (
            f"TriggerMessage DiagnosticsStatusNotification while the upload is being retried: "
            f"expected Uploading (1.6 section 5.17), the charge point reported {status}")
        done = await station.expect("DiagnosticsStatusNotification",
                                    lambda p: p.get("status") != "Uploading", within=3 * timeout)
        assert done["status"] == "UploadFailed", (
            f"GetDiagnostics to {file_server.url(folder)}, which refuses every upload: expected "
            f"UploadFailed, the charge point reported {done['status']}")
    finally:
        file_server.failing.discard("/" + folder)


@pytest.mark.octt("TC_055_CS")
async def test_trigger_message_rejected(station, bench):
    """Trigger Message - Rejected.

    TriggerMessage MeterValues and StatusNotification for a connectorId the charge point does
    not have: Rejected, and no such message for that connector follows (1.6 section 5.17).
    """
    unknown = len(connector_ids(bench)) + 1
    for what in ("MeterValues", "StatusNotification"):
        reply = await station.call("TriggerMessage", {"requestedMessage": what,
                                                      "connectorId": unknown})
        assert reply["status"] == "Rejected", (
            f"TriggerMessage {what} for connector {unknown}, which the charge point does not "
            f"have: expected Rejected (1.6 section 5.17), it answered {reply['status']}")
    await station.expect_none("MeterValues", {"connectorId": unknown},
                              within=bench.csms.quiet_period)
    await station.expect_none("StatusNotification", {"connectorId": unknown}, within=0)
