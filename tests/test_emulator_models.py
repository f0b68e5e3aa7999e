"""Emulator building blocks: variable validation and the power stage's energy integration."""

from __future__ import annotations

import pytest

from harness.emulator.device_model import Variable
from harness.emulator.power_stage import PowerStage


@pytest.mark.parametrize(("data_type", "kwargs", "good", "bad"), [
    ("integer", {"min": 1, "max": 10}, "5", ["0", "11", "5.5", "five"]),
    ("decimal", {"min": 0}, "2.5", ["-1", "x"]),
    ("boolean", {}, "true", ["True", "1", "yes"]),
    ("dateTime", {}, "2026-11-22T00:00:00Z", ["yesterday"]),
    ("OptionList", {"values_list": ("A", "B")}, "B", ["C", "A,B"]),
    ("MemberList", {"values_list": ("A", "B")}, "A,B", ["A,C"]),
    ("SequenceList", {"values_list": ("0", "1")}, "1,0", ["1,1", "2"]),
    ("string", {"min": 16, "max_length": 40}, "x" * 16, ["short", "x" * 41]),
])
def test_variable_validation(data_type: str, kwargs: dict, good: str, bad: list[str]) -> None:
    var = Variable("C", "V", data_type, **kwargs)
    assert var.validate(good) is None
    for value in bad:
        assert var.validate(value) is not None, f"{data_type} accepted {value!r}"


def test_power_stage_follows_demand_and_integrates_energy() -> None:
    stage = PowerStage(max_power_w=200_000, time_constant_s=0.1, ramp_a_per_s=1000, _t=0.0)
    stage.energy_wh = 0.0
    stage.set_demand(100.0, now=0.0)
    for step in range(1, 201):  # 2 s in 10 ms steps
        stage.update(now=step * 0.01)
    assert stage.current_a == pytest.approx(100.0, abs=0.5)
    # ~2 s at ~100 A x ~418 V, minus the first-order rise (~0.1 s): about 22 Wh.
    assert 19.0 < stage.energy_wh < 24.0
    stage.set_demand(0.0, now=2.0)
    stage.update(now=5.0)
    assert stage.power_w == 0.0


def test_power_stage_limits_current_to_power_rating() -> None:
    stage = PowerStage(max_power_w=50_000, battery_v=400, _t=0.0)
    stage.set_demand(500.0, now=0.0)
    assert stage.demand_a == pytest.approx(125.0)
