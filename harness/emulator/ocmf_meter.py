"""Signed meter values of the emulated station (option ``signed_meter_values``): each EVSE has an
Eichrecht-style meter that signs its energy register as OCMF, sent in ``signedMeterValue``.

The station's key pair lives as long as the station object (a reboot keeps it, like a meter's
key). Per EVSE the meter has a stable serial and its own T (transaction) and F (fiscal) pagination
counters. Quirks: ``ocmf_bad_signature`` signs a different payload than it sends;
``ocmf_register_mismatch`` signs a register 1 % above the plain sampled value.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from harness.emulator.evse import Evse
from harness.protocols import ocmf

REGISTER = "Energy.Active.Import.Register"
SIGNING_METHOD = ocmf.DEFAULT_ALGORITHM
KWH_STEP = Decimal("0.001")  # the emulated meter shows kWh with three decimals (1 Wh), truncated
# OCPP ReadingContext -> OCMF TX. Readings during the transaction are "C" (Charging); OCMF's "T"
# is a tariff change, which the emulated station has none of.
_TX = {"Transaction.Begin": "B", "Transaction.End": "E"}


def enabled(options: dict[str, Any]) -> bool:
    value = options.get("signed_meter_values", False)
    return value is True or str(value).lower() in ("true", "1", "yes")


@dataclass
class OcmfMeters:
    """The station's signing key and each EVSE meter's pagination counters."""

    gateway_id: str
    gateway_serial: str
    gateway_version: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    pages: dict[tuple[int, str], int] = field(default_factory=dict)

    @property
    def public_key_b64(self) -> str:
        """OCPP 2.0.1 signedMeterValue.publicKey: Base64 of the DER SubjectPublicKeyInfo."""
        return base64.b64encode(ocmf.public_key_der(self.key)).decode()

    def meter_serial(self, evse_id: int) -> str:
        return f"{self.gateway_serial}-M{evse_id}"

    def next_page(self, evse_id: int, context: str) -> str:
        n = self.pages.get((evse_id, context), 0) + 1
        self.pages[(evse_id, context)] = n
        return f"{context}{n}"

    def record(self, evse: Evse, register_wh: float, context: str, ts: float | None,
               quirks: set[str]) -> str:
        """The OCMF string for one register reading of ``evse``."""
        if "ocmf_register_mismatch" in quirks:
            register_wh *= 1.01
        kwh = (Decimal(repr(register_wh)) / 1000).quantize(KWH_STEP, rounding=ROUND_DOWN)
        in_tx = evse.tx is not None
        payload: dict[str, Any] = {
            "FV": "1.0", "GI": self.gateway_id, "GS": self.gateway_serial, "GV": self.gateway_version,
            "PG": self.next_page(evse.id, "T" if in_tx else "F"),
            "MV": "EmulatedCharging", "MM": "EMU-DCBM", "MS": self.meter_serial(evse.id), "MF": "1.0",
        }
        if in_tx:  # the user-assignment group is present exactly when there is a transaction
            token = evse.tx.id_token if evse.tx is not None else None
            payload.update({"IS": token is not None, "IL": "TRUSTED" if token else "NONE",
                            "IT": _id_type(token)})
            if token:
                payload["ID"] = str(token.get("idToken", ""))
        when = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
        reading: dict[str, Any] = {"TM": ocmf.format_time(when, "S")}
        if in_tx:
            reading["TX"] = _TX.get(context, "C")
        reading.update({"RV": kwh, "RI": "1-b:1.8.0", "RU": "kWh", "RT": "DC", "EF": "", "ST": "G"})
        payload["RD"] = [reading]
        text = ocmf.payload_text(payload)
        signed_text = text
        if "ocmf_bad_signature" in quirks:
            signed_text = ocmf.payload_text({**payload, "RD": [{**reading, "RV": kwh + KWH_STEP}]})
        return ocmf.assemble(text, ocmf.sign(signed_text, self.key), SIGNING_METHOD)

    def signed_value(self, evse: Evse, register_wh: float, context: str, ts: float | None,
                     quirks: set[str]) -> dict[str, Any]:
        """OCPP 2.0.1 SignedMeterValueType; signedMeterData is Base64 of the OCMF string."""
        text = self.record(evse, register_wh, context, ts, quirks)
        return {"signedMeterData": base64.b64encode(text.encode()).decode(),
                "signingMethod": SIGNING_METHOD, "encodingMethod": "OCMF",
                "publicKey": self.public_key_b64}


def _id_type(token: dict[str, Any] | None) -> str:
    """OCMF Table 17 type for an OCPP idToken."""
    if not token:
        return "NONE"
    return {"ISO14443": "ISO14443", "ISO15693": "ISO15693", "eMAID": "EMAID",
            "Local": "LOCAL"}.get(str(token.get("type")), "CENTRAL")


def sign_sampled(station: Any, evse: Evse, sampled: list[dict[str, Any]], context: str,
                 ts: float | None) -> None:
    """Add signedMeterValue to the register entries of ``sampled`` when the option is on."""
    if not enabled(station.config.options):
        return
    if context in ("Sample.Clock", "Sample.Periodic"):
        # J01.FR.21 / J02.FR.21: interval readings are signed as SignReadings says.
        ctrlr = "AlignedDataCtrlr" if context == "Sample.Clock" else "SampledDataCtrlr"
        try:
            sign = station.dm.get_bool(ctrlr, "SignReadings")
        except (AttributeError, KeyError, ValueError):
            sign = True
        if not sign or "sign_readings_ignored" in station.quirks:
            return
    meters: OcmfMeters | None = station.__dict__.get("_ocmf_meters")
    if meters is None:
        cfg = station.config
        meters = OcmfMeters(f"{cfg.vendor} {cfg.model}", cfg.serial, cfg.firmware)
        station.__dict__["_ocmf_meters"] = meters
    for sv in sampled:
        if sv.get("measurand", REGISTER) == REGISTER:
            sv["signedMeterValue"] = meters.signed_value(evse, float(sv["value"]), context, ts,
                                                          station.quirks)
