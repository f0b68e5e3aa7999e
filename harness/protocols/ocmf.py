"""OCMF (Open Charge Metering Format, S.A.F.E. e.V.): signed meter readings for Eichrecht.

A record is ``OCMF|<payload JSON>|<signature JSON>``. The signature is ECDSA over the payload
section exactly as transmitted (no re-serialisation: whitespace and number text are signed), so
:class:`Ocmf` keeps that text and reading values are parsed as :class:`~decimal.Decimal` to keep
their written resolution. Public keys arrive out of band (OCPP: ``signedMeterValue.publicKey``,
Base64 of the DER SubjectPublicKeyInfo); :func:`load_public_key` also takes hex DER and PEM, as
stations and registers publish both.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

DEFAULT_ALGORITHM = "ECDSA-secp256r1-SHA256"  # OCMF signature section: the default when SA is absent

# OCMF Table 22. secp192k1 has no implementation in `cryptography`: reported as unsupported.
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECDSA-secp256k1-SHA256": ec.SECP256K1,
    "ECDSA-secp192r1-SHA256": ec.SECP192R1,
    "ECDSA-secp256r1-SHA256": ec.SECP256R1,
    "ECDSA-brainpool256r1-SHA256": ec.BrainpoolP256R1,
    "ECDSA-secp384r1-SHA256": ec.SECP384R1,
    "ECDSA-brainpool384r1-SHA256": ec.BrainpoolP384R1,
}
BEGIN_TX = "B"
END_TX = frozenset("ELRAP")  # E, or the more precise L(ocal), R(emote), A(bort), P(ower failure)
ENERGY_UNITS = {"Wh": Decimal(1), "kWh": Decimal(1000)}
# Within one record a reading omits fields equal to the previous reading's (OCMF "Readings"); RV,
# TM and CL are per reading (RV may be absent on an error-event reading).
_INHERITED = ("TX", "RI", "RU", "RT", "EF", "ST")
_PG = re.compile(r"^([TF])([1-9][0-9]*)$")
_TM = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}),(\d{3})([+-]\d{4})(?: ([UISR]))?$")


class OcmfError(ValueError):
    """Why a record is unusable; ``kind`` is malformed, missing, unsupported, key or signature."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Reading:
    """One entry of RD, with fields inherited from the previous reading filled in."""

    time: str | None
    tx: str | None
    value: Decimal | None
    identifier: str | None
    unit: str | None
    current_type: str | None
    error_flags: str
    status: str | None
    raw: dict[str, Any] = field(repr=False)

    @property
    def timestamp(self) -> datetime:
        return parse_time(self.time or "")[0]

    @property
    def time_status(self) -> str:
        return parse_time(self.time or "")[1]

    @property
    def value_wh(self) -> Decimal | None:
        """The reading in Wh (None when not an energy reading)."""
        if self.value is None or self.unit not in ENERGY_UNITS:
            return None
        return self.value * ENERGY_UNITS[self.unit]

    @property
    def resolution_wh(self) -> Decimal | None:
        """One step of the last written digit, in Wh: ``2935.6`` kWh -> 100 Wh."""
        if self.value is None or self.unit not in ENERGY_UNITS:
            return None
        exponent = self.value.as_tuple().exponent
        assert isinstance(exponent, int)
        return Decimal(1).scaleb(exponent) * ENERGY_UNITS[self.unit]


@dataclass(frozen=True)
class Ocmf:
    """A parsed record; ``payload_text`` is the signed text, byte for byte."""

    payload: dict[str, Any]
    readings: tuple[Reading, ...]
    algorithm: str
    signature: bytes
    payload_text: str
    signature_section: dict[str, Any]

    @property
    def pagination(self) -> str | None:
        return self.payload.get("PG")

    @property
    def meter_serial(self) -> str | None:
        return self.payload.get("MS")


def format_time(dt: datetime, status: str = "S") -> str:
    """OCMF TM: ``2018-07-24T13:22:04,000+0200 S`` (comma before milliseconds, offset without colon)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    offset = dt.strftime("%z")
    return f"{dt.strftime('%Y-%m-%dT%H:%M:%S')},{dt.microsecond // 1000:03d}{offset} {status}"


def parse_time(text: str) -> tuple[datetime, str]:
    """TM -> (aware datetime, synchronisation state U/I/S/R); a missing state counts as U."""
    m = _TM.match(text)
    if m is None:
        raise OcmfError("malformed", f"TM {text!r} is not <YYYY-MM-DDThh:mm:ss>,<mmm><+hhmm> <U|I|S|R>")
    dt = datetime.strptime(f"{m[1]}.{m[2]}000{m[3]}", "%Y-%m-%dT%H:%M:%S.%f%z")
    return dt, m[4] or "U"


def parse_pagination(pg: str | None) -> tuple[str, int]:
    """PG ``T12`` -> ("T", 12); context T (transaction) or F (fiscal), no leading zeros."""
    m = _PG.match(pg or "")
    if m is None:
        raise OcmfError("malformed", f"PG {pg!r} is not T<n> or F<n> (n >= 1, no leading zeros)")
    return m[1], int(m[2])


def _readings(rd: Any) -> tuple[Reading, ...]:
    if not isinstance(rd, list) or not rd or not all(isinstance(r, dict) for r in rd):
        raise OcmfError("malformed", "RD must be a non-empty array of reading objects")
    out: list[Reading] = []
    inherited: dict[str, Any] = {}
    for r in rd:
        merged = {**inherited, **r}
        inherited = {k: merged[k] for k in _INHERITED if k in merged}
        value = merged.get("RV")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, Decimal))):
            raise OcmfError("malformed", f"RV {value!r} is not a JSON number")
        out.append(Reading(
            time=merged.get("TM"), tx=merged.get("TX"),
            value=None if value is None else Decimal(value), identifier=merged.get("RI"),
            unit=merged.get("RU"), current_type=merged.get("RT"), error_flags=merged.get("EF") or "",
            status=merged.get("ST"), raw=r))
    return tuple(out)


def _decode_signature(section: Mapping[str, Any]) -> bytes:
    sd = section.get("SD")
    if not isinstance(sd, str) or not sd:
        raise OcmfError("missing", "signature section has no SD (signature data)")
    encoding = section.get("SE", "hex")
    mime = section.get("SM", "application/x-der")
    if mime != "application/x-der":
        raise OcmfError("unsupported", f"signature mime type SM={mime!r} (only application/x-der)")
    try:
        if encoding == "hex":
            return bytes.fromhex(sd)
        if encoding == "base64":
            return base64.b64decode(sd, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise OcmfError("malformed", f"SD is not valid {encoding}: {exc}") from None
    raise OcmfError("unsupported", f"signature encoding SE={encoding!r} (hex or base64)")


def parse(text: str) -> Ocmf:
    """Split and decode a record; raises :class:`OcmfError` (kind ``malformed`` or ``missing``)."""
    if not isinstance(text, str):
        raise OcmfError("malformed", f"expected an OCMF string, got {type(text).__name__}")
    parts = text.strip().split("|")
    if parts[0] != "OCMF":
        raise OcmfError("malformed", f"header is {parts[0][:20]!r}, not 'OCMF'")
    if len(parts) != 3:
        raise OcmfError("malformed", f"{len(parts)} '|'-separated sections, expected 3 "
                        "(OCMF|payload|signature; '|' is not allowed inside a section)")
    payload_text, signature_text = parts[1], parts[2]
    try:
        payload = json.loads(payload_text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise OcmfError("malformed", f"payload section is not JSON: {exc}") from None
    try:
        section = json.loads(signature_text)
    except json.JSONDecodeError as exc:
        raise OcmfError("malformed", f"signature section is not JSON: {exc}") from None
    if not isinstance(payload, dict) or not isinstance(section, dict):
        raise OcmfError("malformed", "payload and signature sections must be JSON objects")
    if "RD" not in payload:
        raise OcmfError("missing", "payload has no RD (readings)")
    readings = _readings(payload["RD"])
    algorithm = section.get("SA", DEFAULT_ALGORITHM)
    return Ocmf(payload, readings, algorithm, _decode_signature(section), payload_text, section)


def load_public_key(key: str | bytes | ec.EllipticCurvePublicKey) -> ec.EllipticCurvePublicKey:
    """An EC public key from PEM, or DER SubjectPublicKeyInfo as hex, Base64 or bytes."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key
    if isinstance(key, str):
        text = key.strip()
        if text.startswith("-----BEGIN"):
            der = None
            pem = text.encode()
        else:
            pem = None
            compact = re.sub(r"\s+", "", text)
            try:
                der = bytes.fromhex(compact)  # hex first: a hex string is also valid Base64
            except ValueError:
                try:
                    der = base64.b64decode(compact, validate=True)
                except binascii.Error:
                    raise OcmfError("key", "public key is neither PEM nor hex/Base64 DER") from None
    else:
        der, pem = (None, key) if key.lstrip().startswith(b"-----BEGIN") else (key, None)
    try:
        loaded = (serialization.load_pem_public_key(pem) if pem is not None
                  else serialization.load_der_public_key(der or b""))
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise OcmfError("key", f"public key does not decode as SubjectPublicKeyInfo: {exc}") from None
    if not isinstance(loaded, ec.EllipticCurvePublicKey):
        raise OcmfError("key", f"public key is {type(loaded).__name__}, not an elliptic-curve key")
    return loaded


def public_key_der(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """DER SubjectPublicKeyInfo (what OCPP sends Base64-encoded in signedMeterValue.publicKey)."""
    pub = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _curve(algorithm: str) -> type[ec.EllipticCurve]:
    if algorithm not in _CURVES:
        raise OcmfError("unsupported", f"signature algorithm SA={algorithm!r} is not supported "
                        f"(supported: {', '.join(_CURVES)})")
    return _CURVES[algorithm]


def missing_fields(ocmf: Ocmf) -> list[str]:
    """Mandatory (1..1) fields that are absent: PG, MS, and per reading TM, ST, and RU with RV."""
    missing = [f for f in ("PG", "MS") if f not in ocmf.payload]
    for i, r in enumerate(ocmf.readings):
        missing += [f"RD[{i}].{f}" for f, v in (("TM", r.time), ("ST", r.status)) if v is None]
        if r.value is not None and r.unit is None:
            missing.append(f"RD[{i}].RU")
    return missing


def verify(ocmf: Ocmf | str, public_key: str | bytes | ec.EllipticCurvePublicKey) -> None:
    """Check the signature over the payload text and the mandatory fields; raise OcmfError if not."""
    record = parse(ocmf) if isinstance(ocmf, str) else ocmf
    curve = _curve(record.algorithm)
    key = load_public_key(public_key)
    if key.curve.name != curve.name:
        raise OcmfError("key", f"public key is on {key.curve.name}, SA={record.algorithm} needs "
                        f"{curve.name}")
    try:
        key.verify(record.signature, record.payload_text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise OcmfError("signature", f"signature does not match the payload (PG={record.pagination}, "
                        f"MS={record.meter_serial}) under the given public key") from None
    if missing := missing_fields(record):
        raise OcmfError("missing", f"mandatory field(s) missing: {', '.join(missing)}")


def _number_text(value: Any) -> Any:
    return f"\x00{value}\x00" if isinstance(value, Decimal) else value


def payload_text(payload: Mapping[str, Any] | str) -> str:
    """Compact JSON; Decimal values are written exactly as given (``Decimal('1.230')`` -> 1.230)."""
    if isinstance(payload, str):
        return payload

    def walk(obj: Any) -> Any:
        if isinstance(obj, Mapping):
            return {k: walk(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [walk(v) for v in obj]
        return _number_text(obj)

    text = json.dumps(walk(payload), separators=(",", ":"), ensure_ascii=False)
    return re.sub(r'"\\u0000([^"\\]*)\\u0000"', r"\1", text)


def sign(text: str, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """DER ECDSA-SHA256 signature over ``text`` as UTF-8."""
    return private_key.sign(text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))


def assemble(text: str, signature: bytes, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """``OCMF|text|{"SA":...,"SD":<hex DER>}`` from an already computed signature."""
    section = json.dumps({"SA": algorithm, "SD": signature.hex().upper()}, separators=(",", ":"))
    return f"OCMF|{text}|{section}"


def build(payload: Mapping[str, Any] | str, private_key: ec.EllipticCurvePrivateKey) -> str:
    """A signed record; the key's curve picks SA (secp256r1 -> ECDSA-secp256r1-SHA256)."""
    algorithm = next((a for a, c in _CURVES.items() if c.name == private_key.curve.name), None)
    if algorithm is None:
        raise OcmfError("unsupported", f"no OCMF signature algorithm for curve {private_key.curve.name}")
    text = payload_text(payload)
    if "|" in text:
        raise OcmfError("malformed", "'|' is not allowed inside the payload section")
    return assemble(text, sign(text, private_key), algorithm)


def check_session(begin: Ocmf, end: Ocmf, between: Sequence[Ocmf] = (), *,
                  contiguous: bool = False) -> list[str]:
    """Problems with a transaction's records (empty when it can be billed).

    ``begin`` may be ``end`` (one record with B and E readings). Pagination must increase in one
    context; with ``contiguous`` (the caller holds every record of the transaction) each record must
    be the previous one + 1, as OCMF requires of the stream. Intermediate records are checked for
    serial, flags and status like the ends.
    """
    records = [begin] if begin is end else [begin, *between, end]
    problems: list[str] = []
    first, last = begin.readings[0], end.readings[-1]
    if first.tx != BEGIN_TX:
        problems.append(f"first reading has TX={first.tx!r}, expected 'B' (begin of transaction)")
    if last.tx not in END_TX:
        problems.append(f"last reading has TX={last.tx!r}, expected an end (E, L, R, A or P)")
    inner = [r for rec in records for r in rec.readings if r is not first and r is not last]
    for r in inner:
        if r.tx == BEGIN_TX or r.tx in END_TX:
            problems.append(f"reading at {r.time} inside the transaction has TX={r.tx!r}")
        elif r.tx == "X":
            problems.append(f"reading at {r.time} has TX='X': time/energy unusable from there on")
    serials = {rec.meter_serial for rec in records}
    if len(serials) != 1 or None in serials:
        problems.append(f"meter serial (MS) differs or is missing: {sorted(map(str, serials))}")
    gateways = {rec.payload.get("GS") for rec in records}
    if len(gateways) != 1:
        problems.append(f"gateway serial (GS) differs: {sorted(map(str, gateways))}")
    pages: list[tuple[str, int]] = []
    for rec in records:
        try:
            pages.append(parse_pagination(rec.pagination))
        except OcmfError as exc:
            problems.append(str(exc))
    if len(pages) == len(records) and len(records) > 1:
        contexts = {c for c, _ in pages}
        if contexts != {"T"}:
            problems.append(f"pagination contexts {sorted(contexts)}: transaction records use T")
        for (_, a), (_, b), rec in zip(pages, pages[1:], records[1:], strict=False):
            if contiguous and b != a + 1:
                problems.append(f"pagination jumps from {a} to {rec.pagination}: records missing "
                                "or added")
            elif b <= a:
                problems.append(f"pagination does not increase: {a} then {rec.pagination}")
    for rec in records:
        for r in rec.readings:
            if r.error_flags:
                problems.append(f"{rec.pagination} reading at {r.time} has error flags EF="
                                f"{r.error_flags!r} (E: energy, t: time unusable)")
            if r.status != "G":
                problems.append(f"{rec.pagination} reading at {r.time} has meter status ST="
                                f"{r.status!r}, not 'G' (OK)")
            if r.value is not None and r.unit not in ENERGY_UNITS:
                problems.append(f"{rec.pagination} reading at {r.time} is in {r.unit!r}, not kWh/Wh")
    if first.identifier != last.identifier:
        problems.append(f"begin reads {first.identifier!r}, end reads {last.identifier!r} (RI)")
    b, e = first.value_wh, last.value_wh
    if b is None or e is None:
        problems.append("begin or end reading has no energy value (RV with RU kWh/Wh)")
    elif e < b:
        problems.append(f"end reading {last.value} {last.unit} is below begin {first.value} {first.unit}")
    try:
        if last.timestamp < first.timestamp:
            problems.append(f"end time {last.time} is before begin time {first.time}")
    except OcmfError as exc:
        problems.append(str(exc))
    return problems
