"""The emulated charger's end of the control pilot for one connector: the oscillator, the state it
derives from the line (diode check included), and its timed reactions (IEC 61851-1 Annex A,
ISO 15118-3 clause 7/8).

The EV end — :class:`harness.ev.emulated.EmulatedEv` in process, or
``instruments.sim.ev_box.EvBoxSimulator`` on a serial line — sets the EV's switch positions with
:meth:`EvsePilot.set_ev_state`, :meth:`set_pp`, :meth:`set_fault`, and reads :meth:`readings`.
Both may call from any thread (the box simulator has its own); everything is under one lock and
the reactions run on ``threading.Timer`` threads, so the pilot needs no event loop. ``on_state``
is therefore called from whatever thread made the change (or a timer thread), with the pilot's
lock held: it must not block — the station hops to its loop (``EmulatedStation._threadsafe``).

Quirks (defects the interop suites must catch), by name:

- ``pilot_wrong_duty``: offers 10 % (nominal 6 A AC) instead of 5 % when HLC is offered;
- ``pilot_late_pwm``: PWM starts ``late_pwm_s`` (5 s) after state B, beyond the 3 s limit;
- ``pilot_ignores_cp_fault``: no reaction to state E or a shorted EV diode (PWM and energizing go on);
- ``pilot_energizes_in_b``: ``energized_allowed`` already in state B (with PWM on).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

from harness.protocols import pilot as cp

QUIRKS = frozenset({"pilot_wrong_duty", "pilot_late_pwm", "pilot_ignores_cp_fault", "pilot_energizes_in_b"})
WRONG_HLC_DUTY_PCT = 10.0  # pilot_wrong_duty: 6 A AC instead of "HLC required"


@dataclass(frozen=True)
class EvsePilotTiming:
    """How fast the emulated EVSE reacts, in seconds; ``scale`` multiplies every time (tests run
    with e.g. 0.05). Defaults stay inside :data:`harness.protocols.pilot.LIMITS`."""

    pwm_delay_s: float = 0.5  # state B detected -> PWM on (limit: 3 s, *verify*)
    reaction_s: float = 0.02  # a state change -> the EVSE's reaction (limit: de-energize in 100 ms)
    step_ef_s: float = cp.LIMITS.step_ef_s  # E/F held at least T_step_EF before recovering
    late_pwm_s: float = 5.0  # pwm_delay_s under the pilot_late_pwm quirk
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"timing scale must be > 0, not {self.scale!r}")

    def s(self, name: str) -> float:
        """The scaled value of field ``name``."""
        return float(getattr(self, name)) * self.scale

    def scaled(self, scale: float) -> EvsePilotTiming:
        return replace(self, scale=scale)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class EvsePilot:
    """The EVSE side of the pilot of one connector (thread safe)."""

    def __init__(self, evse_id: int, connector_id: int, *, dc: bool = True,
                 timing: EvsePilotTiming | None = None, quirks: set[str] | frozenset[str] = frozenset(),
                 on_state: Callable[[str, str], None] | None = None,
                 dc_voltage: Callable[[], float] | None = None, offer_hlc: bool | None = None,
                 max_current_a: float = 32.0, clock: Callable[[], float] = time.monotonic) -> None:
        unknown = set(quirks) - QUIRKS
        if unknown:
            raise ValueError(f"unknown pilot quirks {sorted(unknown)} (known: {sorted(QUIRKS)})")
        self.evse_id, self.connector_id, self.dc = evse_id, connector_id, dc
        self.timing = timing or EvsePilotTiming()
        self.quirks = frozenset(quirks)
        self.on_state = on_state
        self.dc_voltage = dc_voltage
        self.offer_hlc = dc if offer_hlc is None else offer_hlc
        cp.duty_for_ampacity(max_current_a)  # refuse what PWM cannot express, now
        self.max_current_a = max_current_a
        self.clock = clock
        self.lock = threading.RLock()
        # the EV's side of the line
        self.ev_state = "A"  # S2 / R2 positions: "A" (nothing connected) .. "D"
        self.diode_short = False
        self.cp_pe_short = False
        self.pp = "open"
        self.connector_type = "cCCS1"
        self.adapter: str | None = None
        # the EVSE's side
        self.enabled = True
        self.oscillator: str = "steady"
        self.duty_pct = 100.0
        self.state = "A"  # what the EVSE has concluded and reacted to
        self.fault: str | None = None  # "cp_pe_short" | "diode_short" | "step_ef" | "disabled"
        self.history: list[tuple[float, str, str]] = []  # (time, old, new) of reported states
        self.oscillator_history: list[tuple[float, str, float]] = [(clock(), "steady", 100.0)]
        self._f_until = 0.0
        self._timers: dict[str, threading.Timer] = {}
        self._closed = False

    # ---- the EV's side ------------------------------------------------------------------
    def set_ev_state(self, state: str) -> None:
        """The EV's switches: "A" (resistors off the line), "B" (R2), "C" (R2 ∥ 1.3 kΩ),
        "D" (R2 ∥ 270 Ω). State E is :meth:`set_fault` ("cp_pe_short")."""
        if state not in ("A", "B", "C", "D"):
            raise ValueError(f"the EV's switches give A-D, not {state!r} (E is a fault)")
        with self.lock:
            self.ev_state = state
            self._evaluate()

    def set_fault(self, fault: str | None) -> None:
        """Inject "diode_short" or "cp_pe_short" (state E) on the EV side; None clears both."""
        if fault not in (None, "diode_short", "cp_pe_short"):
            raise ValueError(f"unknown fault {fault!r} (diode_short, cp_pe_short or None)")
        with self.lock:
            self.diode_short = fault == "diode_short"
            self.cp_pe_short = fault == "cp_pe_short"
            self._evaluate()

    def set_cp_pe_short(self, on: bool) -> None:
        with self.lock:
            self.cp_pe_short = on
            self._evaluate()

    def set_pp(self, value: str, connector_type: str | None = None, adapter: str | None = None) -> None:
        """The connector's proximity as the EV's inlet sees it ("open", "latched", "pressed")."""
        connector_type = connector_type or self.connector_type
        cp.pp_voltage(value, connector_type, adapter)  # validates all three
        with self.lock:
            self.pp, self.connector_type, self.adapter = value, connector_type, adapter

    def pp_volts(self) -> float:
        with self.lock:
            return cp.pp_voltage(self.pp, self.connector_type, self.adapter)

    def readings(self) -> cp.CpLevels:
        """The CP line now, as the EV (or a probe) measures it."""
        with self.lock:
            return self._levels()

    def inlet_voltage(self) -> float:
        """DC volts at the vehicle inlet: the station's output while the EV is connected."""
        with self.lock:
            connected = self.ev_state != "A" or self.pp != "open"
        if not connected or self.dc_voltage is None:
            return 0.0
        return float(self.dc_voltage())

    def now(self) -> float:
        return self.clock()

    # ---- the EVSE's controls ------------------------------------------------------------
    @property
    def energized_allowed(self) -> bool:
        """True only in C/D with PWM on and no fault (IEC 61851-1: energize in C2/D2 only);
        ``pilot_energizes_in_b`` also allows B2; ``pilot_ignores_cp_fault`` never sees faults."""
        with self.lock:
            if self.fault is not None or self.oscillator != "pwm":
                return False
            if self.state in ("C", "D"):
                return True
            return self.state == "B" and "pilot_energizes_in_b" in self.quirks

    @property
    def offered_duty_pct(self) -> float:
        """The duty this EVSE sends once PWM is on."""
        if self.offer_hlc:
            return WRONG_HLC_DUTY_PCT if "pilot_wrong_duty" in self.quirks else cp.HLC_DUTY_PCT
        return cp.duty_for_ampacity(self.max_current_a)

    def set_offer(self, *, offer_hlc: bool | None = None, max_current_a: float | None = None) -> None:
        """Change what PWM offers; a running PWM switches duty at once. (A real 5 % -> nominal
        change needs E/F or X1 in between, ISO 15118-3 [V2G3-M06-05/06]: use :meth:`step_ef`.)"""
        if max_current_a is not None:
            cp.duty_for_ampacity(max_current_a)
        with self.lock:
            if offer_hlc is not None:
                self.offer_hlc = offer_hlc
            if max_current_a is not None:
                self.max_current_a = max_current_a
            if self.oscillator == "pwm":
                self._set_oscillator("pwm", self.offered_duty_pct)

    def step_ef(self, seconds: float | None = None) -> None:
        """Drive state F for ``seconds`` (default T_step_EF, scaled), then X1 and PWM again: the
        retry after no SLAC within TT_EVSE_SLAC_init ([V2G3-M06-07]) or the 5 % -> nominal
        change ([V2G3-M06-05])."""
        hold = self.timing.s("step_ef_s") if seconds is None else seconds
        with self.lock:
            self._enter_f("step_ef", "F", hold)

    def set_enabled(self, enabled: bool) -> None:
        """Disabled: state F steady (the EVSE is not available); enabled: back to X1."""
        with self.lock:
            self.enabled = enabled
            if not enabled:
                self._cancel()
                self._enter_f("disabled", "F", None)
            elif self.fault == "disabled":
                self._leave_f()

    def close(self) -> None:
        """Cancel pending reactions (station shutdown)."""
        with self.lock:
            self._closed = True
            self._cancel()

    # ---- internals ----------------------------------------------------------------------
    def _levels(self) -> cp.CpLevels:
        return cp.cp_levels(self.oscillator, self.duty_pct, self.ev_state, diode_short=self.diode_short,
                            cp_pe_short=self.cp_pe_short, at=self.clock())

    def _detected(self) -> str:
        levels = self._levels()
        return cp.state_of(levels.high_v, levels.low_v, levels.oscillating)

    def _evaluate(self) -> None:
        """The line changed: react after ``reaction_s`` if the change lasts (a debounce, as a
        real EVSE filters its ADC), or, in F, recover once the fault is gone and the hold ran."""
        if self._closed:
            return
        if self.oscillator == "f":
            # recover once the hold ran and the line follows our -12 V again (the fault is gone)
            if (self.fault in ("cp_pe_short", "diode_short", "step_ef") and self.clock() >= self._f_until
                    and self._detected() == "F"):
                self._leave_f()
            return
        self._after("react", self.timing.s("reaction_s"), self._react)

    def _react(self) -> None:
        detected = self._detected()
        ignore = "pilot_ignores_cp_fault" in self.quirks
        if detected == "E" and not ignore:
            self._enter_f("cp_pe_short", "E", self.timing.s("step_ef_s"))
        elif detected == cp.DIODE_FAULT and not ignore:
            self._enter_f("diode_short", "F", self.timing.s("step_ef_s"))
        elif detected == "A":
            self._cancel("pwm")
            if self.oscillator != "steady":
                self._set_oscillator("steady", 100.0)
            self._report("A")
        elif detected in ("B", "C", "D"):
            if self.oscillator == "steady" and "pwm" not in self._timers:
                delay = self.timing.s("late_pwm_s" if "pilot_late_pwm" in self.quirks else "pwm_delay_s")
                self._after("pwm", delay, self._start_pwm)
            self._report(detected)
        # INVALID (between bands), or a fault the quirk ignores: keep the last conclusion

    def _start_pwm(self) -> None:
        if self.oscillator == "steady" and self._detected() in ("B", "C", "D"):
            self._set_oscillator("pwm", self.offered_duty_pct)
            self._evaluate()

    def _enter_f(self, reason: str, report: str, hold_s: float | None) -> None:
        self._cancel("pwm")
        self._cancel("react")
        self.fault = reason
        self._set_oscillator("f", 0.0)
        self._report(report)
        if hold_s is not None:
            self._f_until = self.clock() + hold_s
            self._after("hold", hold_s, self._evaluate)

    def _leave_f(self) -> None:
        self.fault = None
        self._set_oscillator("steady", 100.0)
        self._react_now()

    def _react_now(self) -> None:
        self._cancel("react")
        self._react()

    def _set_oscillator(self, mode: str, duty: float) -> None:
        if (mode, duty) != (self.oscillator, self.duty_pct):
            self.oscillator, self.duty_pct = mode, duty
            self.oscillator_history.append((self.clock(), mode, duty))

    def _report(self, new: str) -> None:
        old = self.state
        if new == old:
            return
        self.state = new
        self.history.append((self.clock(), old, new))
        if self.on_state is not None:
            self.on_state(old, new)

    def _after(self, name: str, delay: float, action: Callable[[], None]) -> None:
        self._cancel(name)
        if delay <= 0:
            action()
            return

        def fire() -> None:
            with self.lock:
                if self._timers.get(name) is timer and not self._closed:
                    del self._timers[name]
                    action()

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        self._timers[name] = timer
        timer.start()

    def _cancel(self, name: str | None = None) -> None:
        for key in [name] if name is not None else list(self._timers):
            timer = self._timers.pop(key, None)
            if timer is not None:
                timer.cancel()
