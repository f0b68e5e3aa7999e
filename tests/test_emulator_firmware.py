"""The emulated station's secure firmware update checks (block L): image format, signing
certificate chain, signature, and the answers to UpdateFirmware that need no download."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from harness.emulator import firmware, handlers
from harness.emulator.config import StationConfig
from harness.emulator.station import EmulatedStation
from harness.pki import TestPki


@pytest.fixture(scope="module")
def pki() -> TestPki:
    return TestPki("CS001")


def station(pki: TestPki, *quirks: str, root: bool = True) -> EmulatedStation:
    st = EmulatedStation(StationConfig(quirks=set(quirks)))
    if root:
        st.installed_certificates["ManufacturerRootCertificate"] = [pki.manufacturer_root.pem]
    return st


def update(st: EmulatedStation, fw: dict[str, Any]) -> dict[str, Any]:
    result = asyncio.run(handlers.HANDLERS["UpdateFirmware"](st, {"requestId": 7, "firmware": fw}))
    return result[0] if isinstance(result, tuple) else result


def signed(pki: TestPki, image: bytes, signer: Any = None) -> dict[str, Any]:
    signer = signer or pki.firmware_signer
    return {"location": "http://127.0.0.1:1/fw.bin", "retrieveDateTime": "2020-01-01T00:00:00Z",
            "signingCertificate": signer.pem,
            "signature": base64.b64encode(signer.sign(image)).decode()}


def test_image_round_trip() -> None:
    assert firmware.image_version(firmware.build_image("2.1.0")) == "2.1.0"
    assert firmware.image_version(b"\x7fELF something else") is None
    assert firmware.image_version(firmware.IMAGE_MAGIC + b"garbage\n") is None


def test_signature_checked_against_the_image(pki: TestPki) -> None:
    image = firmware.build_image("2.1.0")
    fw = signed(pki, image)
    assert firmware.signature_valid(fw["signingCertificate"], fw["signature"], image)
    assert not firmware.signature_valid(fw["signingCertificate"], fw["signature"], image + b"x")
    assert not firmware.signature_valid(fw["signingCertificate"], "not base64!", image)
    assert not firmware.signature_valid(fw["signingCertificate"], "", image)


def test_signing_certificate_must_chain_to_an_installed_manufacturer_root(pki: TestPki) -> None:
    image = firmware.build_image("2.1.0")
    assert update(station(pki), signed(pki, image))["status"] == "Accepted"
    assert update(station(pki, root=False), signed(pki, image))["status"] == "InvalidCertificate"
    stranger = pki.untrusted_firmware_signer()
    assert update(station(pki), signed(pki, image, stranger))["status"] == "InvalidCertificate"
    quirky = station(pki, "firmware_accepts_untrusted_certificate")
    assert update(quirky, signed(pki, image, stranger))["status"] == "Accepted"


def test_unsigned_firmware_is_rejected(pki: TestPki) -> None:
    fw = {"location": "http://127.0.0.1:1/fw.bin", "retrieveDateTime": "2020-01-01T00:00:00Z"}
    assert update(station(pki), fw)["status"] == "Rejected"


def test_trigger_reports_idle_without_an_update(pki: TestPki) -> None:
    assert firmware.trigger_payload(station(pki)) == {"status": "Idle"}
