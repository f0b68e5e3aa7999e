"""Measurements: verdicts at the limit boundaries, messages, JSON, and the Allure step status."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.evidence import steps
from harness.evidence.measurements import Measurement, MeasurementLog, Verdict, format_limit, format_number

SRC = "IEC 61851-23 6.4.3.3"


@pytest.mark.parametrize(("value", "verdict"), [
    (250.0, Verdict.MARGINAL), (920.0, Verdict.MARGINAL), (400.0, Verdict.PASS),  # limits are inclusive
    (249.999, Verdict.FAIL), (920.001, Verdict.FAIL),
    (255.0, Verdict.MARGINAL), (915.0, Verdict.MARGINAL),
    (260.0, Verdict.PASS), (900.0, Verdict.PASS),  # the marginal band's edges are inside PASS
    (None, Verdict.FAIL), (float("nan"), Verdict.FAIL),
])
def test_verdict_boundaries(value: float | None, verdict: Verdict) -> None:
    m = Measurement("output voltage", value, "V", low=250, high=920, marginal_low=260, marginal_high=900)
    assert m.verdict is verdict


def test_one_sided_limits_and_no_limits() -> None:
    assert Measurement("t", 10.0, "ms", high=10).verdict is Verdict.PASS  # inclusive
    assert Measurement("v", 250.0, "V", low=250, high=920).verdict is Verdict.PASS
    assert Measurement("t", 10.01, "ms", high=10).verdict is Verdict.FAIL
    assert Measurement("p", 149.9, "kW", low=150).verdict is Verdict.FAIL
    assert Measurement("x", -1e9, "A").verdict is Verdict.PASS
    assert Measurement("x", None, "A").reason == "not measured"


def test_limits_checked_when_declared() -> None:
    with pytest.raises(ValueError, match=r"limits out of order, low=10\.0 > high=5"):
        Measurement("x", 1.0, "A", low=10.0, high=5)
    with pytest.raises(ValueError, match="marginal_high=12 > high=10"):
        Measurement("x", 1.0, "A", high=10, marginal_high=12)


def test_limits_text() -> None:
    assert Measurement("v", 400, "V", low=250, high=920).limits_text == "250 ≤ x ≤ 920 V"
    assert Measurement("t", 3, "ms", high=10).limits_text == "≤ 10 ms"
    assert Measurement("p", 200, "kW", low=150).limits_text == "≥ 150 kW"
    assert Measurement("n", 1, "", high=0.1 + 0.2).limits_text == "≤ 0.3"
    assert Measurement("n", 1, "A").limits_text == ""


def test_describe() -> None:
    m = Measurement("ripple peak-to-peak", 3.2, "A", high=5, source=SRC)
    assert m.describe() == f"ripple peak-to-peak = 3.20 A, limit ≤ 5.00 A ({SRC}): PASS"
    m = Measurement("output voltage", 397.44, "V", low=397.5, high=402.5)
    assert m.describe() == "output voltage = 397.4 V, limit 397.5 ≤ x ≤ 402.5 V: FAIL"
    m = Measurement("output voltage", 255.0, "V", low=250, high=920, marginal_low=260, marginal_high=900)
    assert m.describe() == "output voltage = 255 V, limit 250 ≤ x ≤ 920 V: MARGINAL (outside 260 ≤ x ≤ 900 V)"
    assert Measurement("shutdown time", None, "ms", high=10).describe() == (
        "shutdown time = not measured, limit ≤ 10 ms: FAIL")


@pytest.mark.parametrize(("x", "text"), [
    (3.2, "3.20"), (250.0, "250"), (12345.6, "12346"), (0.0123456, "0.0123"), (0.1 + 0.2, "0.300"),
    (1.0000000001, "1.00"), (0.0, "0"), (-2.5, "-2.50"), (1e-7, "1e-07"),
])
def test_format_number(x: float, text: str) -> None:
    assert format_number(x) == text


def test_format_limit() -> None:
    assert [format_limit(x) for x in (10, 397.5, 0.1 + 0.2, 1e-5 * 3)] == ["10", "397.5", "0.3", "3e-05"]


def test_log_record_never_raises_require_does() -> None:
    log = MeasurementLog()
    log.record("voltage", 400.0, unit="V", low=250, high=920, source="IEC 61851-23 6.3")
    assert log.verdict is Verdict.PASS
    log.record("ripple", 4.5, unit="A", high=5, marginal_high=4)  # MARGINAL is not a failure
    log.record("ripple", 6.1, unit="A", high=5, source=SRC)
    log.record("shutdown time", None, unit="ms", high=10, source="IEC 61851-23 6.3.1.106")
    assert log.verdict is Verdict.FAIL
    assert [m.name for m in log.failures()] == ["ripple", "shutdown time"]
    assert [m.value for m in log.marginals()] == [4.5]
    assert len(log) == 4
    with pytest.raises(AssertionError, match=r"^current = 12.0 A, limit ≤ 10.0 A \(x\): FAIL$"):
        log.require("current", 12, unit="A", high=10, source="x")
    assert len(log) == 5
    assert log.require("current", 9, unit="A", high=10).verdict is Verdict.PASS


def test_failure_message() -> None:
    log = MeasurementLog()
    assert log.failure_message() == ""
    assert log.verdict is Verdict.PASS
    log.record("voltage", 400.0, unit="V", low=250, high=920)
    log.record("ripple", 6.1, unit="A", high=5, source=SRC)
    log.record("shutdown time", None, unit="ms", high=10, source="IEC 61851-23 6.3.1.106",
               note="still conducting at the end of the record")
    assert log.failure_message() == (
        "2 of 3 measurements failed:\n"
        f"  ripple: expected ≤ 5 A, measured 6.10 A (above the high limit) [{SRC}]\n"
        "  shutdown time: expected ≤ 10 ms, nothing measured; still conducting at the end of the "
        "record [IEC 61851-23 6.3.1.106]")


def test_json_round_trip_and_table() -> None:
    log = MeasurementLog()
    log.record("voltage", 400.0, unit="V", low=250, high=920, source="IEC", note="400 V request")
    log.record("shutdown time", None, unit="ms", high=10)
    log.record("noise", float("nan"), unit="A")
    text = log.to_json()
    data = json.loads(text)
    assert data["verdict"] == "fail"
    assert data["measurements"][0]["verdict"] == "pass"
    assert data["measurements"][0]["limits"] == "250 ≤ x ≤ 920 V"
    assert data["measurements"][2]["value"] is None  # strict JSON: no NaN
    again = MeasurementLog.from_json(text)
    assert again.measurements[:2] == log.measurements[:2]
    assert [m.verdict for m in again] == [m.verdict for m in log]
    table = log.table().splitlines()
    assert table[0].split() == ["measurement", "value", "limits", "verdict", "source"]
    assert "250 ≤ x ≤ 920 V" in table[2] and "PASS" in table[2]
    assert len(table) == 5


class FakeReporter:
    """Just enough of allure's reporter for steps.step / steps.attach."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {"test": object()}
        self.steps: list[dict[str, Any]] = []
        self.attachments: list[tuple[str, str, str]] = []

    def get_item(self, uuid: str) -> Any:
        return self.items.get(uuid)

    def start_step(self, parent: str, uuid: str, result: Any) -> None:
        self.items[uuid] = result
        self.steps.append({"name": result.name, "params": {p.name: p.value for p in result.parameters}})

    def stop_step(self, uuid: str, stop: int, status: Any, statusDetails: Any) -> None:
        result = self.items.pop(uuid)
        step = next(s for s in self.steps if s["name"] == result.name and "status" not in s)
        step["status"] = status
        step["message"] = statusDetails.message if statusDetails else None

    def attach_data(self, uuid: str, body: Any, name: str, attachment_type: str, extension: str,
                    parent_uuid: str) -> None:
        self.attachments.append((name, attachment_type, extension))


@pytest.fixture
def reporter(monkeypatch: pytest.MonkeyPatch) -> Any:
    fake = FakeReporter()
    monkeypatch.setattr(steps, "_reporter", lambda: fake)
    token = steps.bind_test("test")
    yield fake
    steps.unbind(token)


def test_allure_steps_end_with_the_verdict(reporter: FakeReporter) -> None:
    log = MeasurementLog()
    log.record("voltage", 400.0, unit="V", low=250, high=920, source="IEC 61851-23 6.3")
    log.record("ripple", 6.1, unit="A", high=5.0, source=SRC)
    passed, failed = reporter.steps
    assert passed["name"] == "voltage = 400 V, limit 250 ≤ x ≤ 920 V (IEC 61851-23 6.3): PASS"
    assert passed["status"] == "passed"
    assert passed["params"] == {"value": "400", "unit": "V", "low": "250", "high": "920",
                                "verdict": "pass", "source": "IEC 61851-23 6.3"}
    assert failed["status"] == "failed"
    params = failed["params"]
    assert (params["low"], params["high"], params["value"]) == ("-", "5", "6.10")
    assert failed["message"] == f"ripple = 6.10 A, limit ≤ 5.00 A ({SRC}): FAIL"
    assert log.attach() is True
    assert reporter.attachments == [("measurements.json", "application/json", "json"),
                                    ("measurements.txt", "text/plain", "txt")]


def test_attach_without_allure() -> None:
    log = MeasurementLog()
    log.record("x", 1.0, unit="A", high=0.5)  # no Allure: no step, no exception
    assert log.attach() is False
