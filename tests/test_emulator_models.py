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


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_power_stage_follows_demand_and_integrates_energy() -> None:
    clock = Clock()
    stage = PowerStage(1, max_power_w=200_000, clock=clock)
    stage.set_demand(100.0)
    clock.t += 2.0
    assert stage.current_a == pytest.approx(100.0, abs=0.01)
    # 2 s at 100 A x 401 V (400 V battery + 1 V across the cable), minus the 0.1 s ramp.
    assert stage.energy_wh == pytest.approx(100 * 401 * (2.0 - 0.05 - 0.0225) / 3600, rel=0.01)
    assert stage.register_wh() == pytest.approx(1000.0 + stage.energy_wh)
    stage.set_demand(0.0)
    clock.t += 3.0
    assert stage.power_w == 0.0


def test_power_stage_limits_current_to_power_rating() -> None:
    clock = Clock()
    stage = PowerStage(1, max_power_w=50_000, clock=clock)
    stage.set_demand(500.0)
    clock.t += 2.0
    assert stage.current_a == pytest.approx(125.0, rel=0.001)


def test_meter_error_shows_in_the_register_only() -> None:
    clock = Clock()
    stage = PowerStage(1, meter_error=0.02, clock=clock)
    stage.set_demand(200.0)
    clock.t += 10.0
    assert stage.register_wh() - 1000.0 == pytest.approx(stage.energy_wh * 1.02)
