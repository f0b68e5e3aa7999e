"""OCMF records: parse, sign, verify, and the session checks Eichrecht billing needs. No network."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from harness.protocols import ocmf


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def payload(pg: str = "T1", tx: str = "B", rv: str = "2935.60", **reading: Any) -> dict[str, Any]:
    rd = {"TM": "2018-07-24T13:22:04,000+0200 S", "TX": tx, "RV": Decimal(rv), "RI": "1-b:1.8.0",
          "RU": "kWh", "RT": "DC", "EF": "", "ST": "G", **reading}
    return {"FV": "1.0", "GI": "ABL SBC-301", "GS": "808829900001", "PG": pg, "MS": "BQ27400330016",
            "IS": True, "IT": "ISO14443", "ID": "1F2D3A4F5506C7", "RD": [rd]}


def test_round_trip_keeps_the_signed_text_and_number_resolution(key: ec.EllipticCurvePrivateKey) -> None:
    text = ocmf.build(payload(), key)
    assert text.startswith('OCMF|{"FV":"1.0"') and '"RV":2935.60,' in text
    record = ocmf.parse(text)
    assert record.algorithm == "ECDSA-secp256r1-SHA256"
    assert record.pagination == "T1" and record.meter_serial == "BQ27400330016"
    (r,) = record.readings
    assert (r.tx, r.value, r.unit, r.status, r.error_flags) == ("B", Decimal("2935.60"), "kWh", "G", "")
    assert r.value_wh == Decimal("2935600") and r.resolution_wh == Decimal(10)
    assert r.time_status == "S" and r.timestamp.utcoffset().total_seconds() == 7200
    ocmf.verify(text, key.public_key())


@pytest.mark.parametrize("form", ["hex", "base64", "pem", "der"])
def test_public_key_encodings(key: ec.EllipticCurvePrivateKey, form: str) -> None:
    der = ocmf.public_key_der(key)
    given: str | bytes = {
        "hex": der.hex(), "base64": base64.b64encode(der).decode(), "der": der,
        "pem": key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
    }[form]
    ocmf.verify(ocmf.build(payload(), key), given)


def test_whitespace_in_the_payload_is_signed_as_sent(key: ec.EllipticCurvePrivateKey) -> None:
    """The spec's example is pretty-printed: the signature covers that text exactly."""
    pretty = json.dumps(json.loads(ocmf.payload_text(payload())), indent=4)
    text = ocmf.assemble(pretty, ocmf.sign(pretty, key))
    ocmf.verify(text, key.public_key())
    compact = ocmf.payload_text(json.loads(pretty, parse_float=Decimal))
    with pytest.raises(ocmf.OcmfError) as err:
        ocmf.verify(ocmf.assemble(compact, ocmf.sign(pretty, key)), key.public_key())
    assert err.value.kind == "signature"


def test_tampered_payload_fails(key: ec.EllipticCurvePrivateKey) -> None:
    text = ocmf.build(payload(), key).replace('"RV":2935.60', '"RV":2935.70')
    with pytest.raises(ocmf.OcmfError, match="signature does not match the payload") as err:
        ocmf.verify(text, key.public_key())
    assert err.value.kind == "signature"


def test_tampered_signature_fails(key: ec.EllipticCurvePrivateKey) -> None:
    record = ocmf.parse(ocmf.build(payload(), key))
    sig = bytearray(record.signature)
    sig[-1] ^= 0x01
    with pytest.raises(ocmf.OcmfError) as err:
        ocmf.verify(ocmf.assemble(record.payload_text, bytes(sig)), key.public_key())
    assert err.value.kind == "signature"


def test_wrong_key_fails(key: ec.EllipticCurvePrivateKey) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ocmf.OcmfError) as err:
        ocmf.verify(ocmf.build(payload(), key), other.public_key())
    assert err.value.kind == "signature"
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(ocmf.OcmfError, match="secp384r1") as err:
        ocmf.verify(ocmf.build(payload(), key), p384.public_key())
    assert err.value.kind == "key"
    with pytest.raises(ocmf.OcmfError, match="neither PEM nor hex/Base64") as err:
        ocmf.verify(ocmf.build(payload(), key), "not a key!")
    assert err.value.kind == "key"


def test_secp384r1_records_verify() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    text = ocmf.build(payload(), p384)
    assert ocmf.parse(text).algorithm == "ECDSA-secp384r1-SHA256"
    ocmf.verify(text, ocmf.public_key_der(p384).hex())


def test_default_algorithm_and_base64_signature(key: ec.EllipticCurvePrivateKey) -> None:
    """SA may be omitted (the spec's own example omits it); SE=base64 is allowed."""
    text_ = ocmf.payload_text(payload())
    sd = base64.b64encode(ocmf.sign(text_, key)).decode()
    record = ocmf.parse(f'OCMF|{text_}|{{"SE":"base64","SD":"{sd}"}}')
    assert record.algorithm == ocmf.DEFAULT_ALGORITHM
    ocmf.verify(record, key.public_key())


def test_unsupported_algorithm(key: ec.EllipticCurvePrivateKey) -> None:
    record = ocmf.parse(ocmf.build(payload(), key).replace("ECDSA-secp256r1-SHA256", "RSA-2048-SHA1"))
    with pytest.raises(ocmf.OcmfError, match="RSA-2048-SHA1") as err:
        ocmf.verify(record, key.public_key())
    assert err.value.kind == "unsupported"


@pytest.mark.parametrize(("text", "kind", "match"), [
    ("OCMG|{}|{}", "malformed", "header"),
    ('OCMF|{"RD":[]}', "malformed", "2 '|'-separated sections"),
    ('OCMF|{"RD":[{"TM":"a|b"}]}|{"SD":"00"}', "malformed", "4 '|'-separated sections"),
    ("OCMF|{not json|{}", "malformed", "payload section is not JSON"),
    ('OCMF|{"RD":[{}]}|nope', "malformed", "signature section is not JSON"),
    ('OCMF|[1]|{"SD":"00"}', "malformed", "JSON objects"),
    ('OCMF|{"PG":"T1"}|{"SD":"00"}', "missing", "no RD"),
    ('OCMF|{"RD":[]}|{"SD":"00"}', "malformed", "non-empty array"),
    ('OCMF|{"RD":[{"RV":"12"}]}|{"SD":"00"}', "malformed", "not a JSON number"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SA":"ECDSA-secp256r1-SHA256"}', "missing", "no SD"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"zz"}', "malformed", "SD is not valid hex"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"00","SE":"base32"}', "unsupported", "SE='base32'"),
    ('OCMF|{"RD":[{"RV":1}]}|{"SD":"00","SM":"text/plain"}', "unsupported", "SM='text/plain'"),
])
def test_malformed_strings(text: str, kind: str, match: str) -> None:
    with pytest.raises(ocmf.OcmfError, match=match) as err:
        ocmf.parse(text)
    assert err.value.kind == kind


def test_missing_mandatory_fields_after_a_good_signature(key: ec.EllipticCurvePrivateKey) -> None:
    p = payload()
    del p["MS"]
    del p["RD"][0]["ST"]
    with pytest.raises(ocmf.OcmfError, match=r"MS, RD\[0\]\.ST") as err:
        ocmf.verify(ocmf.build(p, key), key.public_key())
    assert err.value.kind == "missing"


def test_readings_inherit_omitted_fields(key: ec.EllipticCurvePrivateKey) -> None:
    p = payload()
    p["RD"] += [{"TM": "2018-07-24T13:24:04,000+0200 S", "TX": "C", "RV": Decimal("2950.0")},
                {"TM": "2018-07-24T13:25:04,000+0200 S", "RV": Decimal("2960.0")},
                {"TM": "2018-07-24T13:26:04,000+0200 S", "TX": "E", "RV": Decimal("2965.1")}]
    record = ocmf.parse(ocmf.build(p, key))
    assert [r.tx for r in record.readings] == ["B", "C", "C", "E"]
    assert {r.unit for r in record.readings} == {"kWh"} and {r.status for r in record.readings} == {"G"}
    assert ocmf.check_session(record, record) == []  # one record with begin and end (MR)


def test_time_format() -> None:
    dt, status = ocmf.parse_time("2018-07-24T13:22:04,123+0200 S")
    assert (dt.hour, dt.microsecond, status) == (13, 123000, "S")
    assert ocmf.format_time(dt, "S") == "2018-07-24T13:22:04,123+0200 S"
    assert ocmf.parse_time("2018-07-24T13:22:04,123+0200")[1] == "U"
    with pytest.raises(ocmf.OcmfError, match="TM"):
        ocmf.parse_time("2018-07-24T13:22:04.123+02:00 S")


def session(key: ec.EllipticCurvePrivateKey, *specs: tuple[str, str, str, dict[str, Any]],
            ms: str = "BQ27400330016") -> list[ocmf.Ocmf]:
    out = []
    for i, (pg, tx, rv, extra) in enumerate(specs):
        p = payload(pg, tx, rv, TM=f"2018-07-24T13:2{i}:04,000+0200 S", **extra)
        p["MS"] = ms
        out.append(ocmf.parse(ocmf.build(p, key)))
    return out


def test_good_session(key: ec.EllipticCurvePrivateKey) -> None:
    b, c, e = session(key, ("T7", "B", "2935.60", {}), ("T8", "C", "2950.00", {}),
                      ("T9", "E", "2965.10", {}))
    assert ocmf.check_session(b, e) == []
    assert ocmf.check_session(b, e, [c], contiguous=True) == []


@pytest.mark.parametrize(("specs", "kwargs", "match"), [
    ((("T1", "C", "1.00", {}), ("T2", "E", "2.00", {})), {}, "first reading has TX='C'"),
    ((("T1", "B", "1.00", {}), ("T2", "C", "2.00", {})), {}, "last reading has TX='C'"),
    ((("T2", "B", "1.00", {}), ("T2", "E", "2.00", {})), {}, "pagination does not increase"),
    ((("T1", "B", "1.00", {}), ("T3", "E", "2.00", {})), {"contiguous": True}, "jumps from 1 to T3"),
    ((("T1", "B", "1.00", {}), ("F2", "E", "2.00", {})), {}, "contexts"),
    ((("T01", "B", "1.00", {}), ("T2", "E", "2.00", {})), {}, "PG 'T01'"),
    ((("T1", "B", "1.00", {}), ("T2", "E", "2.00", {"EF": "E"})), {}, "error flags EF='E'"),
    ((("T1", "B", "1.00", {"ST": "M"}), ("T2", "E", "2.00", {})), {}, "meter status ST='M'"),
    ((("T1", "B", "1.00", {}), ("T2", "E", "2.00", {"RU": "mOhm"})), {}, "'mOhm', not kWh/Wh"),
    ((("T1", "B", "2.00", {}), ("T2", "E", "1.00", {})), {}, "end reading 1.00 kWh is below begin"),
    ((("T1", "B", "1.00", {}), ("T2", "E", "2.00", {"RI": "1-b:2.8.0"})), {}, "RI"),
])
def test_session_problems(key: ec.EllipticCurvePrivateKey, specs: tuple, kwargs: dict, match: str) -> None:
    b, e = session(key, *specs)
    problems = ocmf.check_session(b, e, **kwargs)
    assert any(match in p for p in problems), problems


def test_session_needs_one_meter(key: ec.EllipticCurvePrivateKey) -> None:
    (b,) = session(key, ("T1", "B", "1.00", {}))
    (e,) = session(key, ("T2", "E", "2.00", {}), ms="OTHER")
    assert any("meter serial (MS) differs" in p for p in ocmf.check_session(b, e))


def test_wh_and_kwh_compare_in_wh(key: ec.EllipticCurvePrivateKey) -> None:
    b, e = session(key, ("T1", "B", "1.50", {}), ("T2", "E", "1400", {"RU": "Wh"}))
    assert any("below begin" in p for p in ocmf.check_session(b, e))
