"""Secure firmware update of the emulated station (OCPP 2.0.1 L01): download, verify, install.

The station downloads the image over HTTP, checks that the signing certificate chains to an
installed ManufacturerRootCertificate (L01.FR.02) and that the signature (base64 of a DER
ECDSA-SHA256 signature) matches the image (L01.FR.03, L01.FR.04), installs at installDateTime
(L01.FR.05), reboots with reason FirmwareUpdate and reports Installed with the new version
(L01.FR.13, L01.FR.15). Every FirmwareStatusNotification carries the requestId (L01.FR.20).

Emulated images are text: a header line, then ``version: <firmware version>``; anything else
fails the installation's verification (``InstallVerificationFailed``), as an image built for
another model would on a real charger.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from harness.emulator.clock import iso
from harness.emulator.transfer import fetch

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

IMAGE_MAGIC = b"HARNESS-EMULATED-FIRMWARE 1\n"
# Statuses after which no firmware update is in progress any more.
FINAL = {"Installed", "DownloadFailed", "InvalidSignature", "InstallVerificationFailed",
         "InstallationFailed"}


def build_image(version: str, size: int = 4096) -> bytes:
    """An image the emulated station installs as firmware ``version`` (padded to ``size``)."""
    body = IMAGE_MAGIC + f"version: {version}\n".encode()
    return body + b"\0" * max(0, size - len(body))


def image_version(image: bytes) -> str | None:
    """The firmware version an emulated image installs, or None for an image it cannot use."""
    if not image.startswith(IMAGE_MAGIC):
        return None
    line = image[len(IMAGE_MAGIC):].split(b"\n", 1)[0].decode(errors="replace")
    if not line.startswith("version: "):
        return None
    return line.removeprefix("version: ").strip() or None


@dataclass
class FirmwareState:
    """The update in progress (or the last one): its requestId, last status, task."""

    request_id: int | None = None
    status: str = "Idle"
    task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done()


def state(st: EmulatedStation) -> FirmwareState:
    fw = getattr(st, "firmware_update", None)
    if fw is None:
        fw = FirmwareState()
        st.firmware_update = fw  # type: ignore[attr-defined]
    return fw


def trigger_payload(st: EmulatedStation) -> dict[str, Any]:
    """FirmwareStatusNotification for TriggerMessage: the ongoing status with its requestId
    (L01.FR.26), Idle when no update is in progress (L01.FR.25, F06.FR.16)."""
    fw = state(st)
    if fw.busy and fw.status not in FINAL \
            and "trigger_firmware_status_idle_while_downloading" not in st.quirks:
        return _payload(st, fw, fw.status)
    return {"status": "Idle"}


def _payload(st: EmulatedStation, fw: FirmwareState, status: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"status": status}
    if fw.request_id is not None and "firmware_status_missing_request_id" not in st.quirks:
        payload["requestId"] = fw.request_id
    return payload


def _notify(st: EmulatedStation, fw: FirmwareState, status: str) -> None:
    fw.status = status
    st.on_event(f"firmware update {fw.request_id}: {status}")
    st.send("FirmwareStatusNotification", _payload(st, fw, status))


def _security_event(st: EmulatedStation, kind: str, info: str) -> None:
    st.security_log.append(f"{iso()} {kind}: {info}")
    st.send("SecurityEventNotification", {"type": kind, "timestamp": iso(),
                                          "techInfo": info[:255]})


def _parse_time(value: str | None) -> float | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def certificate_problem(st: EmulatedStation, pem: str | None) -> str | None:
    """Why the signing certificate is not trusted (L01.FR.02), or None when it is."""
    if not pem:
        return "no signing certificate"
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        return f"unreadable signing certificate ({exc})"
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return "signing certificate outside its validity period"
    if "firmware_accepts_untrusted_certificate" in st.quirks:
        return None
    for root_pem in st.installed_certificates.get("ManufacturerRootCertificate", []):
        with contextlib.suppress(ValueError, TypeError, InvalidSignature):
            cert.verify_directly_issued_by(x509.load_pem_x509_certificate(root_pem.encode()))
            return None
    return (f"signing certificate {cert.subject.rfc4514_string()} is not issued by an installed "
            f"ManufacturerRootCertificate")


def signature_valid(pem: str, signature_b64: str, image: bytes) -> bool:
    try:
        key = x509.load_pem_x509_certificate(pem.encode()).public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(base64.b64decode(signature_b64, validate=True), image,
                   ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError, TypeError, AssertionError):
        return False


def takes_unsigned(st: EmulatedStation) -> bool:
    """Whether the station installs firmware that comes without a signature: a station whose
    OCPP version has an unsigned UpdateFirmware (1.6 section 5.19) says so with the class
    attribute ``unsigned_firmware = True``. Signed requests are checked all the same; a 2.0.1
    station never sets it, so it keeps rejecting unsigned firmware (TC_L_18_CS)."""
    return bool(getattr(st, "unsigned_firmware", False))


def update_firmware(st: EmulatedStation, p: dict[str, Any]) -> Any:
    """UpdateFirmware: the response, and the update as a follow-up (see module docstring)."""
    firmware = p["firmware"]
    fw = state(st)
    pem, signature = firmware.get("signingCertificate"), firmware.get("signature")
    unsigned = not pem and not signature and takes_unsigned(st)
    if not pem and not signature and not unsigned:
        # A station supporting secure firmware update does not take unsigned firmware
        # (TC_L_18_CS: Rejected or InvalidCertificate).
        return {"status": "Rejected", "statusInfo": {
            "reasonCode": "MissingSignature",
            "additionalInfo": "secure firmware update needs signingCertificate and signature"}}
    problem = None if unsigned else certificate_problem(st, pem)
    if problem is not None:
        async def report_certificate() -> None:
            _security_event(st, "InvalidFirmwareSigningCertificate", problem)

        return {"status": "InvalidCertificate",
                "statusInfo": {"reasonCode": "InvalidCertificate",
                               "additionalInfo": problem[:512]}}, report_certificate
    if fw.busy and not st.config.options.get("firmware_cancel", True):
        # A station that cannot cancel an update in progress (OCTT NOT C-60): L01.FR.27.
        return {"status": "Rejected", "statusInfo": {
            "reasonCode": "UpdateInProgress",
            "additionalInfo": f"firmware update {fw.request_id} in progress cannot be canceled"}}
    status = "AcceptedCanceled" if fw.busy else "Accepted"  # L01.FR.24
    previous = fw.task if fw.busy else None
    if "firmware_update_not_canceled" in st.quirks:
        status, previous = "Accepted", None  # the defect: both updates run

    async def start() -> None:
        if previous is not None:
            previous.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await previous
        fw.request_id = p["requestId"]
        fw.status = "Idle"
        fw.task = asyncio.current_task()  # type: ignore[assignment]
        await _run(st, fw, firmware, int(p.get("retries", 0) or 0),
                   float(p.get("retryInterval", 0) or 0), signed=not unsigned)

    return {"status": status}, start


async def _wait_for_transactions(st: EmulatedStation, held: list[Any]) -> None:
    """Wait until no transaction is ongoing (L01.FR.06). Meanwhile the EVSEs not in use are
    made Unavailable (L01.FR.07), unless ChargingStation.AllowNewSessionsPendingFirmwareUpdate
    lets new sessions start (OCTT C-20). ``held`` collects the EVSEs made Unavailable."""
    while any(e.tx is not None for e in st.evses.values()):
        allow = False
        with contextlib.suppress(KeyError, ValueError):
            allow = st.dm.get_bool("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate")
        if not allow and "firmware_pending_keeps_evses_available" not in st.quirks:
            idle = [e for e in st.evses.values() if e.tx is None and e.plugged is None
                    and e.id_token is None and e.operative and e not in held]
            for e in idle:
                e.operative = False
            held.extend(idle)
            if idle:
                st.statuses_changed()
        await asyncio.sleep(0.05)


def _release(st: EmulatedStation, held: list[Any], *, report: bool) -> None:
    """Give back the EVSEs :func:`_wait_for_transactions` made Unavailable."""
    for e in held:
        e.operative = True
    if held and report:
        st.statuses_changed()
    held.clear()


async def _run(st: EmulatedStation, fw: FirmwareState, firmware: dict[str, Any],
               retries: int, retry_interval: float, signed: bool = True) -> None:
    held: list[Any] = []  # EVSEs made Unavailable while the update waits (L01.FR.07)
    try:
        await _update(st, fw, firmware, retries, retry_interval, signed, held)
    finally:  # failed, canceled (L01.FR.24) or done: give them back
        _release(st, held, report=True)


async def _update(st: EmulatedStation, fw: FirmwareState, firmware: dict[str, Any],
                  retries: int, retry_interval: float, signed: bool, held: list[Any]) -> None:
    retrieve_at = _parse_time(firmware.get("retrieveDateTime"))
    if retrieve_at is not None and retrieve_at > time.time() + 0.05:
        _notify(st, fw, "DownloadScheduled")  # L01.FR.09
        await asyncio.sleep(retrieve_at - time.time())
    if not st.config.options.get("firmware_download_during_tx", True):
        # A station that cannot download while charging (OCTT NOT AQ-7) waits first.
        await _wait_for_transactions(st, held)
    _notify(st, fw, "Downloading")
    image: bytes | None = None
    for attempt in range(retries + 1):
        if attempt:
            await asyncio.sleep(retry_interval)
        image = await asyncio.to_thread(fetch, firmware["location"])
        if image is not None:
            break
    if image is None:
        if "firmware_installs_despite_download_failure" not in st.quirks:
            _notify(st, fw, "DownloadFailed")
            return
        image = build_image(st.config.firmware)  # the defect: re-installs what it has
        _notify(st, fw, "Downloaded")
        _notify(st, fw, "SignatureVerified")
    elif not signed:
        _notify(st, fw, "Downloaded")  # nothing to verify: OCPP 1.6 firmware is unsigned
    else:
        _notify(st, fw, "Downloaded")
        if not signature_valid(firmware.get("signingCertificate") or "",
                               firmware.get("signature") or "", image) \
                and "firmware_skips_signature_check" not in st.quirks:
            _notify(st, fw, "InvalidSignature")  # L01.FR.03
            _security_event(st, "InvalidFirmwareSignature",
                            f"signature of {firmware['location']} does not match the image")
            return
        _notify(st, fw, "SignatureVerified")  # L01.FR.04
    install_at = _parse_time(firmware.get("installDateTime"))
    if install_at is not None and install_at > time.time() + 0.05 \
            and "firmware_ignores_install_time" not in st.quirks:
        _notify(st, fw, "InstallScheduled")  # L01.FR.16
        await asyncio.sleep(install_at - time.time())
    # Installing reboots the station: it waits until every transaction has ended (L01.FR.06;
    # 1.6 section 5.19 recommends it), so no charging session is cut short; unless it can
    # install while charging (option firmware_install_during_tx, OCTT C-43).
    if not st.config.options.get("firmware_install_during_tx", False) \
            and "firmware_installs_during_tx" not in st.quirks:
        await _wait_for_transactions(st, held)
    _notify(st, fw, "Installing")
    version = image_version(image)
    if version is None:
        _notify(st, fw, "InstallVerificationFailed")
        return
    _notify(st, fw, "InstallRebooting")  # L01.FR.13
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(st.queue_drained(), 5)
    st.config.firmware = version
    with contextlib.suppress(KeyError):
        st.dm.put("ChargingStation", "FirmwareVersion", version)
    connects = st.connects
    st.reboot("PowerUp" if "firmware_boot_reason_wrong" in st.quirks else "FirmwareUpdate")
    _release(st, held, report=False)  # they come back with the new firmware
    # What a real station keeps in flash: report Installed once booted again (L01.FR.15).
    deadline = time.monotonic() + 120
    while not (st.connects > connects and st.registration == "Accepted" and st._online):
        if time.monotonic() > deadline:
            return
        await asyncio.sleep(0.05)
    _notify(st, fw, "Installed")
