"""Control pilot and proximity signalling (IEC 61851-1 Annex A / SAE J1772; SAE J3400 uses the same
signals) as data and pure functions: CP bands, the CP circuit, PWM duty <-> ampacity, PP values and
the timers the interop suites check. No I/O, no policy.

Figures are FACTS.md "Control pilot and proximity" unless a comment names another source; a
figure marked *verify* could not be checked against the standard's text and is the project's
best reading.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal

CpState = Literal["A", "B", "C", "D", "E", "F"]
STATES: tuple[CpState, ...] = ("A", "B", "C", "D", "E", "F")

#: what :func:`state_of` returns besides a state letter
DIODE_FAULT = "diode_fault"  # a valid positive level but the negative half is not -12 V
INVALID = "invalid"  # no band holds the level (between bands, or PWM on an E/F level)

# ---- CP levels (IEC 61851-1 Table A.3/A.4; FACTS.md: nominal ±1 V) -------------------------------
NOMINAL_V: dict[CpState, float] = {"A": 12.0, "B": 9.0, "C": 6.0, "D": 3.0, "E": 0.0, "F": -12.0}
BAND_V = 1.0
#: Closed bands: a level exactly on an edge (8.0, 10.0 ...) belongs to the band. The bands do not
#: touch (10 < v < 11 is in none), so "inclusive" never makes a level ambiguous; between bands the
#: level is INVALID, which the EVSE must treat as "not a valid state" rather than round it.
BANDS: dict[CpState, tuple[float, float]] = {s: (v - BAND_V, v + BAND_V) for s, v in NOMINAL_V.items()}
PWM_FREQUENCY_HZ = 1000.0  # 1 kHz ± 2 % (IEC 61851-1 Table A.5)
PWM_FREQUENCY_TOLERANCE_HZ = 20.0


def band_of(volts: float) -> CpState | None:
    """The state whose ±1 V band holds ``volts`` (edges included), or None."""
    for state, (low, high) in BANDS.items():
        if low <= volts <= high:
            return state
    return None


def state_of(high_v: float, low_v: float, oscillating: bool) -> str:
    """The CP state the EVSE derives from the levels it measures.

    Returns "A".."F", :data:`DIODE_FAULT` when the EVSE oscillates, the positive level is a
    valid A-D level but the negative half is not in the -12 V band (the EV's diode is shorted
    or missing: IEC 61851-1 requires the EVSE to check the diode during PWM), or
    :data:`INVALID`. Without oscillation the negative half is not tested (there is none).
    """
    state = band_of(high_v)
    if state is None:
        return INVALID
    if state in ("E", "F"):
        # E: CP shorted to PE (0 V on both halves); F: the EVSE drives -12 V steady. A PWM whose
        # positive half sits at 0 V or -12 V is no state at all.
        return state if not oscillating or state == "E" else INVALID
    if oscillating and band_of(low_v) != "F":
        return DIODE_FAULT
    return state


# ---- the CP circuit (IEC 61851-1 Figure A.1, J1772 Figure 3) -------------------------------------
SOURCE_V = 12.0  # the EVSE's generator, ±12 V (±0.6 V)
SOURCE_OHM = 1000.0  # R1, in series with the generator (±3 %)
DIODE_DROP_V = 0.7  # the EV's series diode D (0.55-0.75 V); 0.7 V gives the nominal 9 / 6 / 3 V
R2_OHM = 2740.0  # always present on an EV: state B
R3_C_OHM = 1300.0  # switched in parallel by S2: state C (no ventilation)
R3_D_OHM = 270.0  # switched in parallel by S2: state D (ventilation required)


def _parallel(a: float, b: float) -> float:
    return a * b / (a + b)


#: the EV-side resistance per state ("A": nothing connected). B 2.74 kΩ; C 882 Ω; D 246 Ω.
EV_RESISTANCE_OHM: dict[str, float | None] = {
    "A": None, "B": R2_OHM, "C": _parallel(R2_OHM, R3_C_OHM), "D": _parallel(R2_OHM, R3_D_OHM)}


def cp_voltage(source_v: float, ev_ohm: float | None, *, diode: bool = True,
               diode_drop_v: float = DIODE_DROP_V, source_ohm: float = SOURCE_OHM) -> float:
    """The CP voltage with the generator at ``source_v`` behind R1 and the EV's ``ev_ohm`` (None:
    open) behind its diode (``diode`` False: shorted). The diode passes only the positive half:
    on the negative half (and in F) an intact diode leaves the line at the generator's level."""
    if ev_ohm is None:
        return source_v
    if not diode:
        return source_v * ev_ohm / (ev_ohm + source_ohm)
    if source_v <= diode_drop_v:
        return source_v  # reverse-biased: no current, the line follows the generator
    return diode_drop_v + (source_v - diode_drop_v) * ev_ohm / (ev_ohm + source_ohm)


#: What the EVSE's oscillator does: "off" (unpowered: 0 V), "steady" (+12 V, state x1),
#: "pwm" (±12 V, 1 kHz at a duty, state x2), "f" (-12 V steady, state F).
Oscillator = Literal["off", "steady", "pwm", "f"]


@dataclass(frozen=True)
class CpLevels:
    """The CP line as both ends measure it (the same fields as harness.ev.side.PilotReading, so
    the emulator can publish levels without importing the EV side)."""

    at: float  # time.monotonic() of the reading
    oscillating: bool
    duty_pct: float  # 0 when not oscillating; 100 for a steady positive level
    frequency_hz: float  # 0 when not oscillating
    high_v: float
    low_v: float


def cp_levels(oscillator: str, duty_pct: float, ev_state: str, *, diode_short: bool = False,
              cp_pe_short: bool = False, at: float = 0.0) -> CpLevels:
    """The levels on the line for the EVSE's ``oscillator`` and the EV's switch positions
    (``ev_state`` "A".."D"); ``cp_pe_short`` is state E (0 V whatever the generator does)."""
    ev_ohm = EV_RESISTANCE_OHM[ev_state]
    diode = not diode_short
    if cp_pe_short or oscillator == "off":
        return CpLevels(at, False, 0.0, 0.0, 0.0, 0.0)
    if oscillator == "pwm":
        return CpLevels(at, True, duty_pct, PWM_FREQUENCY_HZ, cp_voltage(SOURCE_V, ev_ohm, diode=diode),
                        cp_voltage(-SOURCE_V, ev_ohm, diode=diode))
    if oscillator == "steady":
        level = cp_voltage(SOURCE_V, ev_ohm, diode=diode)
        return CpLevels(at, False, 100.0, 0.0, level, level)
    if oscillator == "f":
        level = cp_voltage(-SOURCE_V, ev_ohm, diode=diode)
        return CpLevels(at, False, 0.0, 0.0, level, level)
    raise ValueError(f"unknown oscillator mode {oscillator!r}")


# ---- PWM duty <-> ampacity -----------------------------------------------------------------------
# What the EV reads from the duty: IEC 61851-1:2017 Table A.8 (SAE J1772 Table 6 has the same
# bands). The EVSE sends only 5 %, 10-96 % (Table A.7) or no PWM; the EV side is wider, so a
# measured duty a little off the EVSE's value still means the same thing.
HLC_DUTY_PCT = 5.0
HLC_DUTY_TOLERANCE_PCT = 0.5  # 5 % nominal: 4.5-5.5 % (FACTS.md)
def classify_duty(duty_pct: float) -> str:
    """"hlc" (3-7 %: high-level communication required, no basic charging), "ampacity",
    "error" (< 3 %, 7-8 %, 97-100 % exclusive), or "no_charging" (100 %: steady, state x1).

    Edges as IEC 61851-1 Table A.8 writes them: d < 3 error; 3 <= d <= 7 hlc; 7 < d < 8 error;
    8 <= d < 10 6 A; 10 <= d <= 85; 85 < d <= 96; 96 < d <= 97 80 A; d > 97 error."""
    d = duty_pct
    if d >= 100.0:
        return "no_charging"
    if d < 3.0:
        return "error"
    if d <= 7.0:
        return "hlc"
    if d < 8.0:
        return "error"
    if d <= 97.0:
        return "ampacity"
    return "error"


def ampacity_for_duty(duty_pct: float) -> float | None:
    """The maximum current (A) the EV may draw at ``duty_pct``; None where the duty grants no
    current (see :func:`classify_duty`)."""
    d = duty_pct
    if classify_duty(d) != "ampacity":
        return None
    if d < 10.0:
        return 6.0
    if d <= 85.0:
        return round(d * 0.6, 6)
    if d <= 96.0:
        return round((d - 64.0) * 2.5, 6)
    return 80.0


MIN_AMPACITY_A, MAX_AMPACITY_A = 6.0, 80.0


def duty_for_ampacity(amps: float) -> float:
    """The duty an EVSE sends to offer ``amps`` (IEC 61851-1 Table A.7): 6-51 A -> amps / 0.6
    (10-85 %), above 52.5 A -> amps / 2.5 + 64 (85-96 %). The two formulas leave a gap: 85 % is
    51 A and anything above 85 % is more than 52.5 A, so 51-52.5 A is offered as 85 % (51 A) —
    an EVSE must never offer more than it can supply. Outside 6-80 A no duty expresses it."""
    if not MIN_AMPACITY_A <= amps <= MAX_AMPACITY_A:
        raise ValueError(f"{amps:g} A cannot be offered by PWM (6-80 A)")
    if amps <= 52.5:
        return round(min(amps, 51.0) / 0.6, 6)
    return round(amps / 2.5 + 64.0, 6)


def is_hlc_duty(duty_pct: float) -> bool:
    """True for the 5 % an EVSE sends to require HLC, within its tolerance (4.5-5.5 %)."""
    return abs(duty_pct - HLC_DUTY_PCT) <= HLC_DUTY_TOLERANCE_PCT


# ---- proximity (PP) ------------------------------------------------------------------------------
# SAE J1772 Figure 3 (CCS1 keeps it): the resistors are in the EVSE's connector, the vehicle reads
# them. Circuit assumed (the vehicle inlet, so also an EV emulator box's inlet):
#     +5 V --R4 330 Ω--+-- PP ---- [connector: R6 150 Ω to PE, R7 330 Ω in series, S3 across R7]
#                      |
#                  R5 2.7 kΩ to PE (in the vehicle)
# S3 is closed when the latch is down (latched: 150 Ω), opens while the latch button is pressed
# (480 Ω); unplugged the vehicle sees R5 alone. PP voltages: latched ≈ 1.51 V, pressed ≈ 2.76 V,
# open ≈ 4.46 V. The EVSE does not read PP in CCS1 or J3400 DC charging; the harness's EV does.
PP_SUPPLY_V = 5.0
PP_PULLUP_OHM = 330.0  # R4
PP_VEHICLE_OHM = 2700.0  # R5
PP_LATCHED_OHM = 150.0  # R6
PP_PRESSED_OHM = 150.0 + 330.0  # R6 + R7 (S3 open)
PP_CONNECTOR_OHM: dict[str, float | None] = {"latched": PP_LATCHED_OHM, "pressed": PP_PRESSED_OHM,
                                             "open": None}
#: SAE J3400 keeps the J1772-compatible values; its "unlatched" (button pressed) level is quoted as
#: ≈ 2.77 V (*verify*: FACTS.md; equal to J1772's 2.76 V within the resistor tolerances).
J3400_UNLATCHED_V = 2.77
CONNECTOR_TYPES = ("cCCS1", "cNACS")
#: Adapters, named "<charger connector>-to-<vehicle inlet>". Assumed (*verify* against SAE J3400
#: §adapters): both are PP-transparent — PP passes through and the charger connector's R6/R7/S3
#: is what the vehicle reads; the adapter's own latch is a switch in series with 330 Ω, like S3,
#: so an adapter that is not latched reads as "pressed". An adapter is therefore not detectable
#: from PP alone: a suite must not expect either end to report it.
ADAPTERS = ("J3400-to-CCS1", "CCS1-to-J3400")
ADAPTER_UNLATCHED_OHM = 330.0


def _check_pp(value: str, connector_type: str, adapter: str | None) -> None:
    if value not in PP_CONNECTOR_OHM:
        raise ValueError(f"unknown PP value {value!r} (open, latched, pressed)")
    if connector_type not in CONNECTOR_TYPES:
        raise ValueError(f"unknown connector type {connector_type!r} (one of {CONNECTOR_TYPES})")
    if adapter is not None and adapter not in ADAPTERS:
        raise ValueError(f"unknown adapter {adapter!r} (one of {ADAPTERS})")


def pp_resistance(value: str, connector_type: str = "cCCS1", adapter: str | None = None,
                  adapter_latched: bool = True) -> float | None:
    """The resistance PP -> PE the vehicle sees (None: open)."""
    _check_pp(value, connector_type, adapter)
    ohm = PP_CONNECTOR_OHM[value]
    if ohm is not None and adapter is not None and not adapter_latched:
        ohm += ADAPTER_UNLATCHED_OHM
    return ohm


def pp_voltage(value: str, connector_type: str = "cCCS1", adapter: str | None = None,
               adapter_latched: bool = True) -> float:
    """The PP voltage at the vehicle inlet for the connector's ``value`` (circuit above)."""
    ohm = pp_resistance(value, connector_type, adapter, adapter_latched)
    load = PP_VEHICLE_OHM if ohm is None else _parallel(PP_VEHICLE_OHM, ohm)
    return PP_SUPPLY_V * load / (load + PP_PULLUP_OHM)


#: Vehicle-side thresholds: half-way between the nominal levels (±10 % resistors stay inside).
PP_LATCHED_MAX_V = (pp_voltage("latched") + pp_voltage("pressed")) / 2  # ≈ 2.13 V
PP_PRESSED_MAX_V = (pp_voltage("pressed") + pp_voltage("open")) / 2  # ≈ 3.61 V
PP_OPEN_MAX_V = PP_SUPPLY_V * 0.98  # above: PP shorted to +5 V or R5 open — not a valid reading
PP_MIN_V = 0.5  # below: PP shorted to PE


def pp_state(volts: float, connector_type: str = "cCCS1") -> str:
    """"latched", "pressed" (unlatched: the button is held), "open" (not plugged) or "invalid".
    J3400 uses the J1772 thresholds (*verify*). Edges: a threshold value belongs to the lower
    state (the latched side), which errs toward "still connected"."""
    if connector_type not in CONNECTOR_TYPES:
        raise ValueError(f"unknown connector type {connector_type!r} (one of {CONNECTOR_TYPES})")
    if volts < PP_MIN_V or volts > PP_OPEN_MAX_V:
        return "invalid"
    if volts <= PP_LATCHED_MAX_V:
        return "latched"
    if volts <= PP_PRESSED_MAX_V:
        return "pressed"
    return "open"


# ---- timers ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PilotLimits:
    """The limits the suites check, in seconds. ``scaled(k)`` shortens them all for fast tests
    against an emulator whose own timers are scaled by the same factor."""

    #: De-energize (contactor open, output below 60 V) after C->B, x->A, ->E/F: IEC 61851-1
    #: Table A.6 sequences 7/8 and 10 (FACTS.md, *verify*).
    deenergize_s: float = 0.100
    #: PWM (5 % for HLC, or the nominal duty) after state B is detected. *verify*: no clause was
    #: found that bounds B1 -> B2 for a DC EVSE; 3 s is the limit commonly tested (the EV's own
    #: low-layer communication must be ready within T_conn_max_comm = 8 s of plug-in, ISO 15118-3
    #: Table 3 [V2G3-M08-01], so a later PWM eats into the EV's budget).
    pwm_start_s: float = 3.0
    #: ISO 15118-3 Table 3: the EV's communication module ready within this time of plug-in.
    conn_max_comm_s: float = 8.0
    #: ISO 15118-3 Table 3 T_conn_init_HLC: minimum state B duration after a state F, D or C.
    conn_init_hlc_s: float = 0.200
    #: ISO 15118-3 Table 3 T_step_EF: minimum time in E/F when E/F is used to restart
    #: ([V2G3-M06-05], [V2G3-M06-07], [V2G3-M06-09]).
    step_ef_s: float = 4.0
    #: ISO 15118-3 Table A.1 TT_EVSE_SLAC_init: no CM_SLAC_PARM.REQ within 20-50 s of state B ->
    #: E/F for T_step_EF, back to 5 %, retry C_sequ_retry = 2 times, then X1 ([V2G3-M06-07]).
    slac_init_min_s: float = 20.0
    slac_init_max_s: float = 50.0
    #: Contactor closed ≤ 3 s after C/D once PowerDeliveryReq(Start) arrived ([V2G2-860]).
    contactor_close_s: float = 3.0
    sequ_retry: int = 2

    def scaled(self, factor: float) -> PilotLimits:
        """Every time multiplied by ``factor`` (counts unchanged)."""
        return replace(self, **{f.name: getattr(self, f.name) * factor for f in fields(self)
                                if f.name.endswith("_s")})


LIMITS = PilotLimits()
