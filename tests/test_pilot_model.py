"""The pilot/proximity model (harness.protocols.pilot): every CP band edge, the duty table edges in
both directions, the CP circuit's levels, PP values and thresholds, and the scalable limits."""

from __future__ import annotations

import pytest

from harness.protocols import pilot as cp


# ---- CP bands ------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", cp.STATES)
def test_band_edges_belong_to_the_band(state: str) -> None:
    nominal = cp.NOMINAL_V[state]
    for volts in (nominal - 1.0, nominal, nominal + 1.0):
        assert cp.band_of(volts) == state, volts
    for volts in (nominal - 1.001, nominal + 1.001):
        assert cp.band_of(volts) != state, volts


@pytest.mark.parametrize("volts", [13.001, 10.5, 7.5, 4.5, 1.5, -1.5, -10.999, -13.001])
def test_between_bands_is_invalid(volts: float) -> None:
    assert cp.band_of(volts) is None
    assert cp.state_of(volts, -12.0, True) == cp.INVALID


@pytest.mark.parametrize(("high", "low", "osc", "expected"), [
    (12.0, -12.0, True, "A"), (9.0, -12.0, True, "B"), (6.0, -12.0, True, "C"), (3.0, -12.0, True, "D"),
    (9.0, 9.0, False, "B"), (11.0, 11.0, False, "A"), (8.0, -11.0, True, "B"), (10.0, -13.0, True, "B"),
    (0.0, 0.0, False, "E"), (0.0, 0.0, True, "E"), (-12.0, -12.0, False, "F"),
    (-12.0, -12.0, True, cp.INVALID), (9.0, -10.99, True, cp.DIODE_FAULT), (9.0, -8.8, True, cp.DIODE_FAULT),
    (9.0, -13.01, True, cp.DIODE_FAULT),
])
def test_state_of(high: float, low: float, osc: bool, expected: str) -> None:
    assert cp.state_of(high, low, osc) == expected


def test_ev_resistances_give_the_nominal_levels() -> None:
    assert cp.EV_RESISTANCE_OHM["B"] == pytest.approx(2740)
    assert cp.EV_RESISTANCE_OHM["C"] == pytest.approx(882, abs=1)
    assert cp.EV_RESISTANCE_OHM["D"] == pytest.approx(246, abs=1)
    for state in ("B", "C", "D"):
        volts = cp.cp_voltage(cp.SOURCE_V, cp.EV_RESISTANCE_OHM[state])
        assert volts == pytest.approx(cp.NOMINAL_V[state], abs=0.1)
        assert cp.band_of(volts) == state
    assert cp.cp_voltage(12.0, None) == 12.0


def test_diode_blocks_the_negative_half_unless_shorted() -> None:
    ohm = cp.EV_RESISTANCE_OHM["C"]
    assert cp.cp_voltage(-12.0, ohm) == -12.0
    shorted = cp.cp_voltage(-12.0, ohm, diode=False)
    assert -7 < shorted < -5  # well out of the -12 V band: the EVSE sees it
    levels = cp.cp_levels("pwm", 5.0, "C", diode_short=True)
    assert cp.state_of(levels.high_v, levels.low_v, levels.oscillating) == cp.DIODE_FAULT
    ok = cp.cp_levels("pwm", 5.0, "C")
    assert cp.state_of(ok.high_v, ok.low_v, ok.oscillating) == "C"


def test_cp_levels_per_oscillator() -> None:
    assert cp.cp_levels("steady", 0, "A").high_v == 12.0
    assert cp.cp_levels("steady", 0, "B").duty_pct == 100.0
    f = cp.cp_levels("f", 0, "B")
    assert (f.high_v, f.low_v, f.oscillating) == (-12.0, -12.0, False)
    assert cp.cp_levels("pwm", 5, "B", cp_pe_short=True).high_v == 0.0
    assert cp.cp_levels("off", 0, "B").high_v == 0.0
    with pytest.raises(ValueError):
        cp.cp_levels("sine", 0, "B")


# ---- duty <-> ampacity ---------------------------------------------------------------------------
@pytest.mark.parametrize(("duty", "kind", "amps"), [
    (0.0, "error", None), (2.999, "error", None), (3.0, "hlc", None), (4.5, "hlc", None), (5.0, "hlc", None),
    (7.0, "hlc", None), (7.001, "error", None), (7.999, "error", None), (8.0, "ampacity", 6.0),
    (9.999, "ampacity", 6.0), (10.0, "ampacity", 6.0), (50.0, "ampacity", 30.0), (85.0, "ampacity", 51.0),
    (85.001, "ampacity", pytest.approx(52.5025)), (90.0, "ampacity", 65.0), (96.0, "ampacity", 80.0),
    (96.001, "ampacity", 80.0), (97.0, "ampacity", 80.0), (97.001, "error", None), (99.9, "error", None),
    (100.0, "no_charging", None),
])
def test_duty_table_edges(duty: float, kind: str, amps: object) -> None:
    assert cp.classify_duty(duty) == kind
    assert cp.ampacity_for_duty(duty) == amps


@pytest.mark.parametrize(("amps", "duty", "offered"), [
    (6, 10.0, 6), (30, 50.0, 30), (32, 53.333333, 32), (51, 85.0, 51), (51.5, 85.0, 51), (52.5, 85.0, 51),
    (52.6, 85.04, 52.6), (65, 90.0, 65), (80, 96.0, 80)])
def test_duty_for_ampacity(amps: float, duty: float, offered: float) -> None:
    got = cp.duty_for_ampacity(amps)
    assert got == pytest.approx(duty, abs=1e-5)
    assert cp.ampacity_for_duty(got) == pytest.approx(offered, abs=1e-4)


@pytest.mark.parametrize("amps", [5.99, 80.01, 0, -6])
def test_duty_for_ampacity_refuses_what_pwm_cannot_express(amps: float) -> None:
    with pytest.raises(ValueError, match="6-80 A"):
        cp.duty_for_ampacity(amps)


def test_round_trip_over_the_range_never_offers_more() -> None:
    for tenths in range(60, 801):
        amps = tenths / 10
        offered = cp.ampacity_for_duty(cp.duty_for_ampacity(amps))
        assert offered is not None and offered <= amps + 1e-4
        if not 51.0 < amps <= 52.5:  # the gap between the two formulas
            assert offered == pytest.approx(amps, abs=1e-4)


def test_hlc_duty_tolerance() -> None:
    assert cp.is_hlc_duty(4.5) and cp.is_hlc_duty(5.5) and cp.is_hlc_duty(5.0)
    assert not cp.is_hlc_duty(4.49) and not cp.is_hlc_duty(5.51) and not cp.is_hlc_duty(10.0)


# ---- proximity -----------------------------------------------------------------------------------
def test_pp_values() -> None:
    assert cp.pp_resistance("latched") == 150.0
    assert cp.pp_resistance("pressed") == 480.0
    assert cp.pp_resistance("open") is None
    assert cp.pp_voltage("latched") == pytest.approx(1.51, abs=0.01)
    assert cp.pp_voltage("pressed") == pytest.approx(2.76, abs=0.01)
    assert cp.pp_voltage("open") == pytest.approx(4.46, abs=0.01)
    assert cp.pp_voltage("pressed", "cNACS") == pytest.approx(cp.J3400_UNLATCHED_V, abs=0.02)


@pytest.mark.parametrize("connector", cp.CONNECTOR_TYPES)
def test_pp_state_thresholds(connector: str) -> None:
    for value in ("latched", "pressed", "open"):
        assert cp.pp_state(cp.pp_voltage(value, connector), connector) == value
    assert cp.pp_state(cp.PP_LATCHED_MAX_V, connector) == "latched"
    assert cp.pp_state(cp.PP_LATCHED_MAX_V + 0.001, connector) == "pressed"
    assert cp.pp_state(cp.PP_PRESSED_MAX_V, connector) == "pressed"
    assert cp.pp_state(cp.PP_PRESSED_MAX_V + 0.001, connector) == "open"
    assert cp.pp_state(cp.PP_MIN_V, connector) == "latched"
    assert cp.pp_state(cp.PP_MIN_V - 0.001, connector) == "invalid"
    assert cp.pp_state(4.99, connector) == "invalid"


def test_pp_tolerates_ten_percent_resistors() -> None:
    for value, ohm in (("latched", 150.0), ("pressed", 480.0)):
        for k in (0.9, 1.1):
            load = cp.PP_VEHICLE_OHM * ohm * k / (cp.PP_VEHICLE_OHM + ohm * k)
            assert cp.pp_state(5.0 * load / (load + cp.PP_PULLUP_OHM)) == value


def test_adapters_are_pp_transparent_when_latched() -> None:
    for adapter in cp.ADAPTERS:
        assert cp.pp_voltage("latched", "cCCS1", adapter) == cp.pp_voltage("latched")
        unlatched = cp.pp_voltage("latched", "cCCS1", adapter, adapter_latched=False)
        assert cp.pp_state(unlatched) == "pressed"
    with pytest.raises(ValueError, match="adapter"):
        cp.pp_voltage("latched", "cCCS1", "CCS2-to-J3400")
    with pytest.raises(ValueError, match="connector type"):
        cp.pp_state(1.5, "cType2")
    with pytest.raises(ValueError, match="PP value"):
        cp.pp_voltage("half")


def test_limits_scale() -> None:
    fast = cp.LIMITS.scaled(0.01)
    assert fast.deenergize_s == pytest.approx(0.001)
    assert fast.step_ef_s == pytest.approx(0.04)
    assert fast.sequ_retry == 2
    assert cp.LIMITS.pwm_start_s == 3.0 and cp.LIMITS.slac_init_max_s == 50.0
