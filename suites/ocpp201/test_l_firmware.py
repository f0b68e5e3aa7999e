"""OCTT block L (Firmware Management), Charging Station side, Core: secure firmware update.

OCPP 2.0.1 Part 2: L01 (Secure Firmware Update). Each case makes a firmware image at run
time, signs it with the run's firmware signing certificate (issued by the test manufacturer
root, installed on the station with InstallCertificate first), serves it on the harness file
server and follows the FirmwareStatusNotifications, the reboot and the new firmware version.

The images are the emulated station's image format (``harness.emulator.firmware``); a real
charger needs its vendor's images, signed by its manufacturer's code-signing key.
"""

from __future__ import annotations

import base64
import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.files import FileServer
from harness.csms.session import Message, StationSession
from harness.emulator.firmware import build_image
from harness.evidence.steps import step
from harness.pki import Issued, TestPki
from suites.ocpp201.provisioning import reboot_within

INSTALL_FAILED = ("InstallVerificationFailed", "InstallationFailed")
TERMINAL = ("Installed", "DownloadFailed", "InvalidSignature", *INSTALL_FAILED,
            "InstallRebooting")
# Scheduled times are this far ahead: long enough to tell "waited" from "did it at once".
AHEAD = 1.0
# A station may act this much before a scheduled time (clock resolution of the dateTime).
EARLY = 0.05


@pytest.fixture(scope="module")
def firmware_pki(bench: Bench) -> TestPki:
    """The run's manufacturer root and firmware signing certificate (made once per module)."""
    return TestPki(bench.station.id)


def iso_in(seconds: float) -> str:
    """A dateTime ``seconds`` from now (negative: in the past), as OCPP writes it."""
    moment = datetime.fromtimestamp(time.time() + seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def request_id() -> int:
    return random.randint(1, 2**31 - 1)


def new_version(case: str, rid: int) -> str:
    return f"2.{rid % 1000}.0-{case}"


async def install_manufacturer_root(station: StationSession, pki: TestPki) -> None:
    """InstallCertificate ManufacturerRootCertificate (M05), so the signer chains to it."""
    with step("install the manufacturer root certificate"):
        reply = await station.call("InstallCertificate", {
            "certificateType": "ManufacturerRootCertificate",
            "certificate": pki.manufacturer_root.pem})
        assert reply["status"] == "Accepted", (
            f"InstallCertificate ManufacturerRootCertificate (the root of the firmware signing "
            f"certificate): expected Accepted, the station answered {reply['status']} "
            f"{reply.get('statusInfo') or ''}".rstrip())


def serve(file_server: FileServer, image: bytes) -> str:
    """Serve ``image`` at a fresh path; return its URL."""
    path = f"/firmware/{uuid.uuid4().hex[:12]}.bin"
    file_server.files[path] = image
    return file_server.url(path)


def firmware(location: str, signer: Issued | None, signature: bytes | None = None, *,
             image: bytes = b"", retrieve_in: float = -7200,
             install_in: float | None = None) -> dict[str, Any]:
    """FirmwareType: ``signature`` defaults to the signer's signature of ``image``."""
    fw: dict[str, Any] = {"location": location, "retrieveDateTime": iso_in(retrieve_in)}
    if install_in is not None:
        fw["installDateTime"] = iso_in(install_in)
    if signer is not None:
        fw["signingCertificate"] = signer.pem
        fw["signature"] = base64.b64encode(
            signature if signature is not None else signer.sign(image)).decode()
    return fw


async def update_firmware(station: StationSession, rid: int, fw: dict[str, Any],
                          **extra: Any) -> Message:
    return await station.call("UpdateFirmware", {"requestId": rid, "firmware": fw, **extra})


async def accepted_update(station: StationSession, rid: int, fw: dict[str, Any],
                          **extra: Any) -> Message:
    reply = await update_firmware(station, rid, fw, **extra)
    assert reply["status"] == "Accepted", (
        f"UpdateFirmware request {rid} with a trusted signing certificate: expected Accepted "
        f"(L01.FR.01), the station answered {reply['status']} "
        f"{reply.get('statusInfo') or ''}".rstrip())
    return reply


async def statuses_until(station: StationSession, rid: int, until: tuple[str, ...],
                         within: float) -> list[Message]:
    """FirmwareStatusNotifications up to the first with a status in ``until``; each must
    carry the request's requestId (L01.FR.20)."""
    notes: list[Message] = []
    deadline = time.monotonic() + within
    while True:
        note = await station.expect("FirmwareStatusNotification",
                                    within=max(deadline - time.monotonic(), 0.01))
        assert note.get("requestId") == rid, (
            f"FirmwareStatusNotification {note['status']} must carry the requestId {rid} of "
            f"the UpdateFirmwareRequest (L01.FR.20); it has {note.get('requestId')!r}")
        notes.append(note)
        if note["status"] in until:
            return notes


def assert_sequence(notes: list[Message], expected: list[str], what: str) -> None:
    seen = [n["status"] for n in notes]
    assert seen == expected, (
        f"{what}: the station reported the statuses {seen}, expected {expected} in this order "
        f"(L01.FR.01: every new state is reported)")


async def installs(station: StationSession, bench: Bench, rid: int, version: str,
                   expected: list[str]) -> list[Message]:
    """Statuses ``expected`` up to InstallRebooting, the reboot with reason FirmwareUpdate and
    the new firmware version (L01.FR.13, L01.FR.15), then Installed (L01.FR.01)."""
    timeout = bench.csms.message_timeout
    notes = await statuses_until(station, rid, TERMINAL, within=3 * timeout)
    assert_sequence(notes, expected, f"firmware update {rid}")
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    assert boot.seq > notes[-1].seq, "the station booted before reporting InstallRebooting"
    assert boot["reason"] == "FirmwareUpdate", (
        f"BootNotification after installing firmware: expected reason FirmwareUpdate "
        f"(L01.FR.15), the station sent {boot['reason']!r}")
    running = boot["chargingStation"].get("firmwareVersion")
    assert running == version, (
        f"BootNotification after installing firmware {version!r} reports firmwareVersion "
        f"{running!r}")
    installed = await statuses_until(station, rid, TERMINAL, within=reboot_within(bench))
    assert_sequence(installed, ["Installed"], f"firmware update {rid} after the reboot")
    return notes


def not_before(note: Message, at: float, what: str) -> None:
    assert note.mono >= at - EARLY, (
        f"{note['status']} came {at - note.mono:.2f} s before the {what} ({what} must be "
        f"waited for)")


@pytest.mark.octt("TC_L_01_CS")
async def test_secure_firmware_update_installed(station, bench, file_server, firmware_pki):
    """Secure Firmware Update - Installation successful.

    UpdateFirmware with a signed image (retrieveDateTime in the past, no installDateTime):
    Accepted; Downloading, Downloaded, SignatureVerified, Installing, InstallRebooting, the
    reboot (BootNotification reason FirmwareUpdate, the new firmwareVersion), Installed; each
    with the requestId. Requirements: L01.FR.01, L01.FR.04, L01.FR.05, L01.FR.09, L01.FR.10,
    L01.FR.12, L01.FR.13, L01.FR.15, L01.FR.20, L01.FR.21, L01.FR.23.
    """
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    version = new_version("L01", rid)
    image = build_image(version)
    fw = firmware(serve(file_server, image), firmware_pki.firmware_signer, image=image)
    await accepted_update(station, rid, fw)
    await installs(station, bench, rid, version, [
        "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"])


@pytest.mark.octt("TC_L_02_CS")
async def test_secure_firmware_update_install_scheduled(station, bench, file_server,
                                                        firmware_pki):
    """Secure Firmware Update - InstallScheduled.

    UpdateFirmware with installDateTime in the near future: after SignatureVerified the
    station reports InstallScheduled and starts Installing only at installDateTime, then
    reboots with the new firmware and reports Installed. Requirements: L01.FR.01, L01.FR.04,
    L01.FR.05, L01.FR.09, L01.FR.10, L01.FR.12, L01.FR.15, L01.FR.16, L01.FR.20, L01.FR.21,
    L01.FR.23.
    """
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    version = new_version("L02", rid)
    image = build_image(version)
    install_at = time.monotonic() + AHEAD
    fw = firmware(serve(file_server, image), firmware_pki.firmware_signer, image=image,
                  install_in=AHEAD)
    await accepted_update(station, rid, fw)
    notes = await installs(station, bench, rid, version, [
        "Downloading", "Downloaded", "SignatureVerified", "InstallScheduled", "Installing",
        "InstallRebooting"])
    not_before(notes[4], install_at, "installDateTime")


@pytest.mark.octt("TC_L_03_CS")
async def test_secure_firmware_update_download_scheduled(station, bench, file_server,
                                                         firmware_pki):
    """Secure Firmware Update - DownloadScheduled.

    UpdateFirmware with retrieveDateTime in the near future: DownloadScheduled first, then
    Downloading only at retrieveDateTime, and the installation as in L01 (reboot with reason
    FirmwareUpdate, Installed). Requirements: L01.FR.01, L01.FR.04, L01.FR.05, L01.FR.09,
    L01.FR.10, L01.FR.12, L01.FR.13, L01.FR.15, L01.FR.20, L01.FR.21, L01.FR.23.
    """
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    version = new_version("L03", rid)
    image = build_image(version)
    retrieve_at = time.monotonic() + AHEAD
    fw = firmware(serve(file_server, image), firmware_pki.firmware_signer, image=image,
                  retrieve_in=AHEAD)
    await accepted_update(station, rid, fw)
    notes = await installs(station, bench, rid, version, [
        "DownloadScheduled", "Downloading", "Downloaded", "SignatureVerified", "Installing",
        "InstallRebooting"])
    not_before(notes[1], retrieve_at, "retrieveDateTime")


@pytest.mark.octt("TC_L_05_CS")
async def test_secure_firmware_update_invalid_certificate(station, bench, file_server,
                                                          firmware_pki):
    """Secure Firmware Update - InvalidCertificate.

    UpdateFirmware whose signing certificate does not chain to an installed
    ManufacturerRootCertificate: InvalidCertificate (or RevokedCertificate), and a
    SecurityEventNotification InvalidFirmwareSigningCertificate. Requirements: L01.FR.01,
    L01.FR.02, L01.FR.10, L01.FR.20, L01.FR.21, L01.FR.22.
    """
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    image = build_image(new_version("L05", rid))
    stranger = firmware_pki.untrusted_firmware_signer()
    reply = await update_firmware(station, rid, firmware(serve(file_server, image), stranger,
                                                         image=image))
    assert reply["status"] in ("InvalidCertificate", "RevokedCertificate"), (
        f"UpdateFirmware signed by {stranger.cert.subject.rfc4514_string()} (not issued by the "
        f"installed manufacturer root): expected InvalidCertificate or RevokedCertificate "
        f"(L01.FR.02), the station answered {reply['status']}")
    await station.expect("SecurityEventNotification",
                         {"type": "InvalidFirmwareSigningCertificate"},
                         within=bench.csms.message_timeout)


@pytest.mark.octt("TC_L_06_CS")
async def test_secure_firmware_update_invalid_signature(station, bench, file_server,
                                                        firmware_pki):
    """Secure Firmware Update - InvalidSignature.

    UpdateFirmware with a trusted signing certificate but a signature of other data:
    Accepted; Downloading, Downloaded, InvalidSignature, and a SecurityEventNotification
    InvalidFirmwareSignature; no installation. Requirements: L01.FR.01, L01.FR.03, L01.FR.04,
    L01.FR.10, L01.FR.20.
    """
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    image = build_image(new_version("L06", rid))
    signer = firmware_pki.firmware_signer
    fw = firmware(serve(file_server, image), signer, signer.sign(b"another image"))
    await accepted_update(station, rid, fw)
    notes = await statuses_until(station, rid, TERMINAL, within=3 * bench.csms.message_timeout)
    assert_sequence(notes, ["Downloading", "Downloaded", "InvalidSignature"],
                    f"firmware update {rid} with a wrong signature")
    await station.expect("SecurityEventNotification", {"type": "InvalidFirmwareSignature"},
                         within=bench.csms.message_timeout)


@pytest.mark.octt("TC_L_07_CS")
async def test_secure_firmware_update_download_failed(station, bench, file_server,
                                                      firmware_pki):
    """Secure Firmware Update - DownloadFailed.

    UpdateFirmware (retries 1, retryInterval 1 s) for a location the file server answers
    with 404: Accepted; Downloading, then DownloadFailed once the retries are used up; no
    installation. Requirements: L01.FR.01, L01.FR.10, L01.FR.20.
    """
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    image = build_image(new_version("L07", rid))
    location = file_server.url(f"/firmware/missing-{uuid.uuid4().hex[:12]}.bin")
    fw = firmware(location, firmware_pki.firmware_signer, image=image)
    await accepted_update(station, rid, fw, retries=1, retryInterval=1)
    notes = await statuses_until(station, rid, TERMINAL, within=3 * bench.csms.message_timeout)
    seen = [n["status"] for n in notes]
    assert seen[-1] == "DownloadFailed" and "Downloaded" not in seen, (
        f"firmware update {rid} from {location} (HTTP 404): expected Downloading then "
        f"DownloadFailed, the station reported {seen}")
    assert seen[0] == "Downloading", f"DownloadFailed without Downloading first: {seen}"


@pytest.mark.octt("TC_L_08_CS")
async def test_secure_firmware_update_install_verification_failed(
        station, bench, file_server, firmware_pki):
    """Secure Firmware Update - InstallVerificationFailed or InstallationFailed.

    UpdateFirmware with a correctly signed image the station cannot install (not an image
    for this station): Accepted; Downloading, Downloaded, SignatureVerified, (Installing,)
    then InstallVerificationFailed or InstallationFailed; no reboot into new firmware.
    Requirements: L01.FR.01, L01.FR.10, L01.FR.12, L01.FR.20.
    """
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    image = b"\x7fELF not firmware for this station " + uuid.uuid4().bytes * 64
    fw = firmware(serve(file_server, image), firmware_pki.firmware_signer, image=image,
                  retrieve_in=-7200, install_in=-7200)
    await accepted_update(station, rid, fw)
    notes = await statuses_until(station, rid, TERMINAL, within=3 * bench.csms.message_timeout)
    seen = [n["status"] for n in notes]
    assert seen[-1] in INSTALL_FAILED, (
        f"firmware update {rid} with an image the station cannot install: expected "
        f"InstallVerificationFailed or InstallationFailed, the station reported {seen}")
    assert seen[:3] == ["Downloading", "Downloaded", "SignatureVerified"], (
        f"firmware update {rid}: expected Downloading, Downloaded, SignatureVerified before "
        f"{seen[-1]}, the station reported {seen}")


@pytest.mark.octt("TC_L_18_CS")
async def test_secure_firmware_update_missing_signature(station, bench, file_server):
    """Secure Firmware Update - Missing firmware signing certificate and signature.

    UpdateFirmware without signingCertificate and signature to a station that supports
    secure firmware update: Rejected or InvalidCertificate, and no download starts.
    Requirements: none listed (OCTT tool validation).
    """
    rid = request_id()
    image = build_image(new_version("L18", rid))
    fw = firmware(serve(file_server, image), None, install_in=-7200)
    reply = await update_firmware(station, rid, fw)
    assert reply["status"] in ("Rejected", "InvalidCertificate"), (
        f"UpdateFirmware without signingCertificate and signature: expected Rejected or "
        f"InvalidCertificate, the station answered {reply['status']}")
    await station.expect_none("FirmwareStatusNotification", {"requestId": rid},
                              within=bench.csms.quiet_period)
