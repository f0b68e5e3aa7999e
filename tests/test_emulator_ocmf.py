"""The emulated station's signed meter values (option signed_meter_values) and the power suite's
check of them, including the two quirks it must catch."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from harness.emulator.config import StationConfig
from harness.emulator.station import EmulatedStation
from harness.evidence.measurements import MeasurementLog, Verdict
from harness.protocols import ocmf
from suites.power.signed_meter import check_signed_session, decode_signed_meter_data

REGISTER = "Energy.Active.Import.Register"


def station(*quirks: str, signed: bool = True) -> EmulatedStation:
    st = EmulatedStation(StationConfig(options={"signed_meter_values": True} if signed else {}))
    st.quirks |= set(quirks)  # the quirk names are registered in quirks.py by the lead
    return st


def session(st: EmulatedStation, evse_id: int = 1, periodic: int = 1) -> tuple[dict, dict, list]:
    """Start, sample and end a transaction; the TransactionEvent payloads the station queued."""
    sent: list[tuple[str, dict[str, Any]]] = []
    st.send = lambda action, payload, tx_id=None: sent.append((action, payload))  # type: ignore
    evse = st.evses[evse_id]
    evse.id_token = {"idToken": "04A2B3C4", "type": "ISO14443"}
    st._start_tx(evse, "Authorized")
    evse.power.set_demand(100.0)
    for _ in range(periodic):
        assert evse.tx is not None
        evse.tx.ended_samples.append(st._meter_value(evse, [REGISTER], "Sample.Periodic"))
    st._end_tx(evse, "StopAuthorized", "Local")
    events = [p for a, p in sent if a == "TransactionEvent"]
    started = next(p for p in events if p["eventType"] == "Started")
    ended = next(p for p in events if p["eventType"] == "Ended")
    return started, ended, events


def records(event: dict[str, Any]) -> list[tuple[dict[str, Any], ocmf.Ocmf]]:
    return [(sv, ocmf.parse(decode_signed_meter_data(sv["signedMeterValue"])))
            for mv in event["meterValue"] for sv in mv["sampledValue"] if "signedMeterValue" in sv]


def test_off_by_default_nothing_signed() -> None:
    started, ended, _ = session(station(signed=False))
    assert records(started) == [] and records(ended) == []
    assert asyncio.run(check_signed_session(started, ended, MeasurementLog())) is False


def test_signed_register_in_begin_periodic_and_end() -> None:
    st = station()
    started, ended, _ = session(st, periodic=2)
    ((sv_b, b),) = records(started)
    signed_end = records(ended)
    assert [r.readings[0].tx for _, r in signed_end] == ["C", "C", "E"]
    smv = sv_b["signedMeterValue"]
    assert (smv["signingMethod"], smv["encodingMethod"]) == ("ECDSA-secp256r1-SHA256", "OCMF")
    key = smv["publicKey"]
    assert base64.b64decode(key)[:2] == b"\x30\x59"  # DER SubjectPublicKeyInfo, P-256
    for sv, rec in [(sv_b, b), *signed_end]:
        ocmf.verify(rec, key)
        assert rec.meter_serial == "EMU-0001-M1"
        assert abs(float(rec.readings[0].value_wh or 0) - sv["value"]) <= 1.0
    assert [r.pagination for r in [b, *(r for _, r in signed_end)]] == ["T1", "T2", "T3", "T4"]
    assert ocmf.check_session(b, signed_end[-1][1], [r for _, r in signed_end[:-1]],
                              contiguous=True) == []
    # the next transaction on the same meter continues the pagination, with the same key
    started2, _, _ = session(st)
    ((sv2, b2),) = records(started2)
    assert b2.pagination == "T5" and sv2["signedMeterValue"]["publicKey"] == key
    other, _, _ = session(st, evse_id=2)
    assert records(other)[0][1].meter_serial == "EMU-0001-M2"
    assert records(other)[0][1].pagination == "T1"


def test_idle_values_use_the_fiscal_context() -> None:
    st = station()
    value = st._meter_value(st.evses[1], [REGISTER], "Sample.Clock")
    rec = ocmf.parse(decode_signed_meter_data(value["sampledValue"][0]["signedMeterValue"]))
    assert rec.pagination == "F1" and rec.readings[0].tx is None and "IS" not in rec.payload


def test_only_the_register_is_signed() -> None:
    st = station()
    session(st)
    value = st._meter_value(st.evses[1], [REGISTER, "Power.Active.Import"], "Sample.Clock")
    assert ["signedMeterValue" in sv for sv in value["sampledValue"]] == [True, False]


def test_suite_check_passes_a_good_station() -> None:
    started, ended, _ = session(station())
    log = MeasurementLog()
    assert asyncio.run(check_signed_session(started, ended, log)) is True
    assert log.verdict is Verdict.PASS and len(log) == 4  # B, C, E readings and the session energy


def test_quirk_bad_signature_is_caught() -> None:
    started, ended, _ = session(station("ocmf_bad_signature"))
    (_, b), = records(started)
    key = started["meterValue"][0]["sampledValue"][0]["signedMeterValue"]["publicKey"]
    with pytest.raises(ocmf.OcmfError) as err:
        ocmf.verify(b, key)
    assert err.value.kind == "signature"
    with pytest.raises(AssertionError, match=r"Started Transaction\.Begin signed meter value: signature"):
        asyncio.run(check_signed_session(started, ended, MeasurementLog()))


def test_quirk_register_mismatch_is_caught() -> None:
    started, ended, _ = session(station("ocmf_register_mismatch"))
    (sv, b), = records(started)
    ocmf.verify(b, sv["signedMeterValue"]["publicKey"])  # correctly signed, wrong value
    assert float(b.readings[0].value_wh or 0) == pytest.approx(sv["value"] * 1.01, abs=1.0)
    log = MeasurementLog()
    assert asyncio.run(check_signed_session(started, ended, log)) is True
    failed = [m.name for m in log.failures()]
    assert any("Transaction.Begin" in n for n in failed) and any("Transaction.End" in n for n in failed)


def test_suite_check_needs_a_public_key() -> None:
    started, ended, _ = session(station())
    for event in (started, ended):
        for mv in event["meterValue"]:
            for sv in mv["sampledValue"]:
                sv.get("signedMeterValue", {}).pop("publicKey", None)
    with pytest.raises(AssertionError, match="no publicKey"):
        asyncio.run(check_signed_session(started, ended, MeasurementLog()))


def test_suite_check_wants_base64_signed_meter_data() -> None:
    started, ended, _ = session(station())
    smv = started["meterValue"][0]["sampledValue"][0]["signedMeterValue"]
    smv["signedMeterData"] = base64.b64decode(smv["signedMeterData"]).decode()
    with pytest.raises(AssertionError, match="Base64"):
        asyncio.run(check_signed_session(started, ended, MeasurementLog()))
