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
import contextlib
import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.bench import Bench
from harness.csms.files import FileServer
from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.emulator.firmware import build_image
from harness.evidence.steps import step
from harness.pki import Issued, TestPki
from suites.ocpp201.provisioning import connectors, reboot_within, wait_statuses
from suites.ocpp201.support import first_connector, id_token, start_charging, tx_id
from suites.ocpp201.transactions import applied, try_set

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


# ---- An update in progress: TriggerMessage (F06) and a second UpdateFirmware (C-60) ---------
# TC_F_19_CS, TC_L_10_CS, TC_L_11_CS. A download from a location the file server answers 404,
# with one retry after HELD seconds, keeps the station in Downloading for that long.
HELD = 2


async def downloading(station: StationSession, bench: Bench, file_server: FileServer,
                      pki: TestPki, case: str) -> int:
    """Start an update that stays in Downloading for HELD s; return its requestId."""
    await install_manufacturer_root(station, pki)
    rid = request_id()
    image = build_image(new_version(case, rid))
    location = file_server.url(f"/firmware/missing-{uuid.uuid4().hex[:12]}.bin")
    await accepted_update(station, rid, firmware(location, pki.firmware_signer, image=image),
                          retries=1, retryInterval=HELD)
    await station.expect("FirmwareStatusNotification", {"status": "Downloading",
                                                        "requestId": rid},
                         within=bench.csms.message_timeout)
    return rid


async def ended(station: StationSession, bench: Bench, rid: int,
                statuses: tuple[str, ...] = TERMINAL) -> None:
    """Wait (without failing) for update ``rid`` to end, after a case failed during it, so
    the next case does not start with an update (or its reboot) in progress."""
    with contextlib.suppress(AssertionError, ExpectTimeout):
        await station.expect("FirmwareStatusNotification", lambda p: p.get("requestId") == rid
                             and p.get("status") in statuses,
                             within=HELD + 3 * bench.csms.message_timeout + reboot_within(bench))


@pytest.mark.octt("TC_F_19_CS")
async def test_trigger_firmware_status_downloading(station, bench, file_server, firmware_pki):
    """Trigger message - FirmwareStatusNotification - Downloading.

    While a firmware download is in progress, TriggerMessage(FirmwareStatusNotification) is
    Accepted (F06.FR.04) and the station reports Downloading with the update's requestId
    (F06.FR.05, F06.FR.10, L01.FR.26). The download then fails (404), ending the update.
    """
    rid = await downloading(station, bench, file_server, firmware_pki, "F19")
    reply = await station.call("TriggerMessage",
                               {"requestedMessage": "FirmwareStatusNotification"})
    assert reply["status"] == "Accepted", (
        f"TriggerMessage(FirmwareStatusNotification) during a download: expected Accepted "
        f"(F06.FR.04), the station answered {reply.payload}")
    note = await station.expect("FirmwareStatusNotification", within=bench.csms.message_timeout)
    got = {"status": note.get("status"), "requestId": note.get("requestId")}
    assert got == {"status": "Downloading", "requestId": rid}, (
        f"triggered FirmwareStatusNotification while firmware update {rid} is downloading: "
        f"expected status Downloading with requestId {rid} (L01.FR.26), the station sent {got}")
    await statuses_until(station, rid, TERMINAL, within=HELD + 3 * bench.csms.message_timeout)


@pytest.mark.octt("TC_L_10_CS")
@pytest.mark.requires("FirmwareUpdateCancel")  # C-60
async def test_secure_firmware_update_accepted_canceled(station, bench, file_server,
                                                        firmware_pki):
    """Secure Firmware Update - AcceptedCanceled.

    A second UpdateFirmware while the first is still downloading: AcceptedCanceled (the first
    update is canceled, L01.FR.24). The first reports nothing more; the second runs to the
    end with its own requestId: Downloading ... InstallRebooting, the reboot, Installed
    (L01.FR.01, L01.FR.10, L01.FR.20).
    """
    first = await downloading(station, bench, file_server, firmware_pki, "L10a")
    rid = request_id()
    version = new_version("L10", rid)
    image = build_image(version)
    fw = firmware(serve(file_server, image), firmware_pki.firmware_signer, image=image)
    reply = await update_firmware(station, rid, fw)
    if reply["status"] != "AcceptedCanceled":
        await ended(station, bench, first)  # the next case starts without an update running
    assert reply["status"] == "AcceptedCanceled", (
        f"UpdateFirmware {rid} while update {first} is downloading: expected AcceptedCanceled "
        f"(L01.FR.24: the ongoing update is canceled), the station answered {reply['status']}")
    # statuses_until fails on any notification of the canceled update (requestId {first}).
    await installs(station, bench, rid, version, [
        "Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallRebooting"])


@pytest.mark.octt("TC_L_11_CS")
@pytest.mark.requires("NoFirmwareUpdateCancel")  # NOT C-60
async def test_secure_firmware_update_unable_to_cancel(station, bench, file_server,
                                                       firmware_pki):
    """Secure Firmware Update - Unable to cancel.

    A station that cannot cancel an update in progress answers a second UpdateFirmware with
    Rejected (L01.FR.27); the second update never starts, the first goes on with its own
    requestId (here to DownloadFailed: its location answers 404) (L01.FR.10, L01.FR.20).
    """
    first = await downloading(station, bench, file_server, firmware_pki, "L11a")
    rid = request_id()
    image = build_image(new_version("L11", rid))
    fw = firmware(serve(file_server, image), firmware_pki.firmware_signer, image=image)
    reply = await update_firmware(station, rid, fw)
    assert reply["status"] == "Rejected", (
        f"UpdateFirmware {rid} while update {first} is downloading, on a station that cannot "
        f"cancel it: expected Rejected (L01.FR.27), the station answered {reply['status']}")
    notes = await statuses_until(station, first, TERMINAL,
                                 within=HELD + 3 * bench.csms.message_timeout)
    assert notes[-1]["status"] == "DownloadFailed", (
        f"firmware update {first} (location answers 404) must go on after the refused second "
        f"request and end DownloadFailed; the station reported "
        f"{[n['status'] for n in notes]}")


# ---- Firmware update with an ongoing transaction (L01.FR.06 / L01.FR.07) --------------------
# TC_L_12..16_CS. Which case applies depends on three station features: can it install while
# charging (C-43), can it download while charging (AQ-7), and does it have
# ChargingStation.AllowNewSessionsPendingFirmwareUpdate (C-20).
ALLOW_NEW = ("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate")
SETTLED = ("Installed", "DownloadFailed", "InvalidSignature", *INSTALL_FAILED)  # no reboot left


async def _update_during_transaction(station: StationSession, operator: Any, bench: Bench,
                                     file_server: FileServer, pki: TestPki, case: str, *,
                                     allow_new: bool, downloads: bool) -> None:
    """During a transaction on the first EVSE: UpdateFirmware Accepted; the download runs
    (``downloads``, AQ-7) or waits; installation waits for the end of the transaction
    (L01.FR.06); meanwhile the other EVSEs are Unavailable (L01.FR.07) unless ``allow_new``
    (AllowNewSessionsPendingFirmwareUpdate true); after the driver ends the transaction the
    update runs to Installed with the request's requestId (L01.FR.01, L01.FR.10, L01.FR.20)."""
    status = await try_set(station, *ALLOW_NEW, "true" if allow_new else "false")
    if allow_new:
        assert applied(status), (
            f"SetVariables {'.'.join(ALLOW_NEW)}=true on a station that claims it (C-20): "
            f"expected Accepted, the station answered {status}")
    evse, connector = first_connector(bench)
    others = [k for k in connectors(bench) if k[0] != evse]
    started = await start_charging(station, operator, bench)
    await install_manufacturer_root(station, pki)
    rid = request_id()
    version = new_version(case, rid)
    image = build_image(version)
    try:
        mark = station.journal.mark()
        await accepted_update(station, rid, firmware(serve(file_server, image),
                                                     pki.firmware_signer, image=image))
        quiet = bench.csms.quiet_period
        if downloads:
            notes = await statuses_until(station, rid, ("SignatureVerified", *TERMINAL),
                                         within=3 * bench.csms.message_timeout)
            assert_sequence(notes, ["Downloading", "Downloaded", "SignatureVerified"],
                            f"firmware update {rid} during a transaction (download allowed)")
            waiting = "Installing"
        else:
            waiting = "Downloading"
        await station.expect_none("FirmwareStatusNotification", {"status": waiting}, within=quiet,
                                  since=mark)
        if allow_new:
            await station.expect_none("StatusNotification", {"connectorStatus": "Unavailable"},
                                      within=quiet, since=mark)
        else:
            got = await wait_statuses(station, others, mark, bench.csms.message_timeout,
                                      "while the firmware update waits for the transaction")
            wrong = {k: s for k, s in got.items() if s != "Unavailable"}
            assert not wrong, (
                f"while firmware update {rid} waits for the transaction to end, the EVSEs not "
                f"in use must be Unavailable (L01.FR.07, AllowNewSessionsPendingFirmwareUpdate "
                f"false); the station reported {wrong}")
        token = id_token(bench)
        await operator.present_id_token(token["idToken"], token["type"], evse)
        await operator.unplug(evse, connector)
        stopped = await station.expect("TransactionEvent", {
            "eventType": "Ended", "transactionInfo.transactionId": tx_id(started)})
        rest = ["Installing", "InstallRebooting"]
        if not downloads:
            rest = ["Downloading", "Downloaded", "SignatureVerified", *rest]
        notes = await installs(station, bench, rid, version, rest)
        assert notes[0].seq > stopped.seq, (
            f"firmware update {rid}: {notes[0]['status']} came before the transaction ended "
            "(L01.FR.06)")
    except BaseException:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)
        await ended(station, bench, rid, SETTLED)
        raise
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)
        if allow_new and station.is_connected:
            with contextlib.suppress(Exception):
                await try_set(station, *ALLOW_NEW, "false")


def _several_evses(bench: Bench) -> None:
    if len(bench.station.evses) < 2:
        pytest.skip("needs a station with more than one EVSE (OCTT HFS-8 > 1)")


@pytest.mark.octt("TC_L_12_CS")
@pytest.mark.requires("AllowNewSessionsPendingFirmwareUpdate",  # C-20
                      "NoFirmwareInstallDuringTransaction",     # NOT C-43
                      "NoFirmwareDownloadDuringTransaction")    # NOT AQ-7
async def test_update_waits_for_transaction_no_download_new_sessions(
        station, operator, bench, file_server, firmware_pki):
    """Secure Firmware Update - Unable to download/install firmware with ongoing transaction -
    AllowNewSessionsPendingFirmwareUpdate is true: nothing is downloaded until the transaction
    ends (L01.FR.06); the other EVSEs stay available for new sessions (L01.FR.07)."""
    _several_evses(bench)
    await _update_during_transaction(station, operator, bench, file_server, firmware_pki, "L12",
                                     allow_new=True, downloads=False)


@pytest.mark.octt("TC_L_13_CS")
@pytest.mark.requires("NoFirmwareInstallDuringTransaction",     # NOT C-43
                      "NoFirmwareDownloadDuringTransaction")    # NOT AQ-7
async def test_update_waits_for_transaction_no_download(station, operator, bench, file_server,
                                                        firmware_pki):
    """Secure Firmware Update - Unable to download/install firmware with ongoing transaction -
    AllowNewSessionsPendingFirmwareUpdate is false: nothing is downloaded until the
    transaction ends (L01.FR.06); the EVSEs not in use are Unavailable meanwhile (L01.FR.07)."""
    await _update_during_transaction(station, operator, bench, file_server, firmware_pki, "L13",
                                     allow_new=False, downloads=False)


@pytest.mark.octt("TC_L_14_CS")
@pytest.mark.requires("AllowNewSessionsPendingFirmwareUpdate",  # C-20
                      "NoFirmwareInstallDuringTransaction",     # NOT C-43
                      "FirmwareDownloadDuringTransaction")      # AQ-7
async def test_update_installs_after_transaction_new_sessions(
        station, operator, bench, file_server, firmware_pki):
    """Secure Firmware Update - Unable to install and activate firmware with ongoing
    transaction - AllowNewSessionsPendingFirmwareUpdate is true: downloaded and verified at
    once, installed only after the transaction (L01.FR.06); the other EVSEs stay available
    (L01.FR.07)."""
    _several_evses(bench)
    await _update_during_transaction(station, operator, bench, file_server, firmware_pki, "L14",
                                     allow_new=True, downloads=True)


@pytest.mark.octt("TC_L_15_CS")
@pytest.mark.requires("NoFirmwareInstallDuringTransaction",     # NOT C-43
                      "FirmwareDownloadDuringTransaction")      # AQ-7
async def test_update_installs_after_transaction(station, operator, bench, file_server,
                                                 firmware_pki):
    """Secure Firmware Update - Unable to install and activate firmware with ongoing
    transaction - AllowNewSessionsPendingFirmwareUpdate is false: downloaded and verified at
    once, installed only after the transaction (L01.FR.06); the EVSEs not in use are
    Unavailable meanwhile (L01.FR.07)."""
    await _update_during_transaction(station, operator, bench, file_server, firmware_pki, "L15",
                                     allow_new=False, downloads=True)


@pytest.mark.octt("TC_L_16_CS")
@pytest.mark.requires("FirmwareInstallDuringTransaction")       # C-43
async def test_update_during_transaction(station, operator, bench, file_server, firmware_pki):
    """Secure Firmware Update - Able to update firmware with ongoing transaction.

    A station that can install while charging: during a transaction, UpdateFirmware is
    Accepted and the whole update runs without waiting for the transaction to end:
    Downloading ... InstallRebooting, the reboot with the new version, Installed (L01.FR.01,
    L01.FR.06, L01.FR.10, L01.FR.20).
    """
    evse, connector = first_connector(bench)
    started = await start_charging(station, operator, bench)
    await install_manufacturer_root(station, firmware_pki)
    rid = request_id()
    version = new_version("L16", rid)
    image = build_image(version)
    try:
        await accepted_update(station, rid, firmware(serve(file_server, image),
                                                     firmware_pki.firmware_signer, image=image))
        notes = await statuses_until(station, rid, TERMINAL, within=3 * bench.csms.message_timeout)
        assert_sequence(notes, ["Downloading", "Downloaded", "SignatureVerified", "Installing",
                                "InstallRebooting"],
                        f"firmware update {rid} during transaction {tx_id(started)}")
        early = [e for e in station.received(started.seq) if e.action == "TransactionEvent"
                 and (e.payload or {}).get("eventType") == "Ended" and e.seq < notes[3].seq]
        assert not early, (
            f"firmware update {rid}: the transaction had to be ended before Installing, though "
            "the station claims it installs during a transaction (C-43)")
        await operator.unplug(evse, connector)
        boot = await station.expect("BootNotification", within=reboot_within(bench))
        assert boot["chargingStation"].get("firmwareVersion") == version, (
            f"BootNotification after installing firmware {version!r} reports "
            f"{boot['chargingStation'].get('firmwareVersion')!r}")
        installed = await statuses_until(station, rid, TERMINAL, within=reboot_within(bench))
        assert_sequence(installed, ["Installed"], f"firmware update {rid} after the reboot")
    except BaseException:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)
        await ended(station, bench, rid, SETTLED)
        raise
    finally:
        with contextlib.suppress(Exception):
            await operator.unplug(evse, connector)
