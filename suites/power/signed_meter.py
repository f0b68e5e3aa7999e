"""Signed meter values of a charging session (Eichrecht): the OCMF records a station sends in
``signedMeterValue`` on the energy register must verify under the station's public key, form a
billable session (begin, end, one meter, increasing pagination, no error flags), and say the same
as the plain register values the CSMS bills from.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from harness.protocols import ocmf

SOURCE = "OCMF 1.0 / Eichrecht (PTB-A 50.7)"
REGISTER = "Energy.Active.Import.Register"
_TO_WH = {"Wh": Decimal(1), "kWh": Decimal(1000)}


@dataclass
class _Signed:
    """One register sampled value that carries a signedMeterValue."""

    event: str  # Started / Ended
    context: str
    plain_wh: Decimal
    plain_step_wh: Decimal
    signed: dict[str, Any]
    record: ocmf.Ocmf | None = None


def _payload(event: Any) -> Mapping[str, Any]:
    """A TransactionEvent payload from a dict or a harness Message."""
    return getattr(event, "payload", event)


def _plain_wh(sv: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """The plain value in Wh and one step of its last digit (unitOfMeasure unit and multiplier)."""
    uom = sv.get("unitOfMeasure") or {}
    unit = uom.get("unit", "Wh")
    if unit not in _TO_WH:
        raise AssertionError(f"energy register reported in {unit!r}; expected Wh or kWh")
    scale = _TO_WH[unit] * Decimal(10) ** int(uom.get("multiplier", 0))
    value = Decimal(repr(sv["value"])) if isinstance(sv["value"], float) else Decimal(sv["value"])
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return value * scale, Decimal(1).scaleb(min(exponent, 0)) * scale


def _register_values(payload: Mapping[str, Any], event: str) -> list[_Signed | tuple[str, Decimal]]:
    found: list[_Signed | tuple[str, Decimal]] = []
    for mv in payload.get("meterValue") or []:
        for sv in mv.get("sampledValue") or []:
            if sv.get("measurand", REGISTER) != REGISTER:
                continue
            context = sv.get("context", "Sample.Periodic")
            wh, step = _plain_wh(sv)
            if sv.get("signedMeterValue"):
                found.append(_Signed(event, context, wh, step, sv["signedMeterValue"]))
            else:
                found.append((context, wh))
    return found


def decode_signed_meter_data(smv: Mapping[str, Any]) -> str:
    """The OCMF string in signedMeterData (OCPP 2.0.1: Base64 of the meter's data)."""
    if smv.get("encodingMethod") != "OCMF":
        raise AssertionError(f"signedMeterValue.encodingMethod is {smv.get('encodingMethod')!r}; "
                             "this check reads 'OCMF'")
    data = str(smv.get("signedMeterData", ""))
    if data.startswith("OCMF|"):
        raise AssertionError("signedMeterData is the plain OCMF string; OCPP 2.0.1 "
                             "SignedMeterValueType.signedMeterData is Base64 encoded")
    try:
        text = base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AssertionError(f"signedMeterData is not Base64 of UTF-8 text: {exc}") from None
    if not text.startswith("OCMF|"):
        raise AssertionError(f"signedMeterData decodes to {text[:30]!r}..., not an OCMF record")
    return text


async def check_signed_session(started: Any, ended: Any, measurements: Any) -> bool:
    """Check the signed energy readings of one transaction; False when the station signs none.

    ``started``/``ended`` are the TransactionEvent Started/Ended payloads (dicts or Messages).
    Raises AssertionError for records that cannot be trusted (undecodable, no public key, bad
    signature, not a billable session); records signed-vs-plain differences and session energy in
    ``measurements`` (a MeasurementLog). Pagination is checked as increasing, not contiguous:
    Updated events between Started and Ended carry records of their own.
    """
    values = (_register_values(_payload(started), "Started")
              + _register_values(_payload(ended), "Ended"))
    signed = [v for v in values if isinstance(v, _Signed)]
    if not signed:
        return False
    plain = {ctx: wh for ctx, wh in (v for v in values if isinstance(v, tuple))}
    plain.update({s.context: s.plain_wh for s in signed if s.context.startswith("Transaction.")})
    keys = {str(s.signed["publicKey"]) for s in signed if s.signed.get("publicKey")}
    if not keys:
        raise AssertionError("the station signs its meter values but sends no publicKey with them "
                             "(PublicKeyWithSignedMeterValue); the records cannot be verified")
    if len(keys) > 1:
        raise AssertionError(f"{len(keys)} different public keys within one transaction")
    key = keys.pop()
    for s in signed:
        text = decode_signed_meter_data(s.signed)
        try:
            s.record = ocmf.parse(text)
            method = s.signed.get("signingMethod")
            if method and method != s.record.algorithm:
                raise AssertionError(f"signingMethod {method!r} but the OCMF record says "
                                     f"SA={s.record.algorithm!r}")
            ocmf.verify(s.record, key)
        except ocmf.OcmfError as exc:
            raise AssertionError(f"{s.event} {s.context} signed meter value: {exc}") from None
    records = [s.record for s in signed if s.record is not None]
    begin = next((r for r in records if r.readings[0].tx == ocmf.BEGIN_TX), records[0])
    end = next((r for r in reversed(records) if r.readings[-1].tx in ocmf.END_TX), records[-1])
    between = [r for r in records if r is not begin and r is not end]
    if problems := ocmf.check_session(begin, end, between):
        raise AssertionError("signed meter values do not form a billable session: "
                             + "; ".join(problems))
    for s in signed:
        assert s.record is not None
        for r in s.record.readings:
            signed_wh, step = r.value_wh, r.resolution_wh
            if signed_wh is None or step is None:
                continue
            # A B/E reading is the transaction's begin/end register, whichever event carries it.
            ctx = ("Transaction.Begin" if r.tx == ocmf.BEGIN_TX
                   else "Transaction.End" if r.tx in ocmf.END_TX else s.context)
            against = plain.get(ctx, s.plain_wh) if ctx != s.context else s.plain_wh
            tol = float(step + s.plain_step_wh)  # each side may truncate to its own last digit
            measurements.record(
                f"OCMF {r.tx or '-'} reading ({s.record.pagination}) minus plain {ctx} register",
                float(signed_wh - against), unit="Wh", low=-tol, high=tol, source=SOURCE,
                note=f"signed {r.value} {r.unit}, plain {against} Wh")
    first, last = begin.readings[0], end.readings[-1]
    if first.value_wh is not None and last.value_wh is not None:
        measurements.record("OCMF session energy (E minus B)", float(last.value_wh - first.value_wh),
                            unit="Wh", low=0.0, source=SOURCE,
                            note=f"meter {begin.meter_serial}, {begin.pagination} to {end.pagination}")
    return True
