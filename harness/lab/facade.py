"""The lab as suites see it: the load on a port, the probe on a quantity, the analyzer element
of a port, the e-stop and AC-supply relays — whether the instruments are real or simulated.

Instruments are opened once per run. One that cannot be opened (unreachable, wrong identity)
does not stop the run: it is recorded, and only the tests that need it fail, with the original
error naming the bench entry. Every instrument with an output is registered with the
:class:`~instruments.safety.SafeStateGuard`, and :meth:`Lab.close` switches them all off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from harness.lab.spec import InstrumentSpec, ProbeSpec
from instruments.errors import InstrumentError
from instruments.limits import Limits
from instruments.registry import driver_class
from instruments.roles import DcLoad, PowerAnalyzer, Scope
from instruments.safety import SafeStateGuard
from instruments.transcript import Transcript

log = logging.getLogger("harness.lab")
T = TypeVar("T")


class LabUnavailable(LookupError):
    """The bench has no instrument for this (a case that needs it is skipped with the reason)."""


class LabError(RuntimeError):
    """An instrument the bench file lists could not be used (the test fails with the cause)."""


class Lab:
    def __init__(self, specs: Mapping[str, InstrumentSpec], port_limits: Mapping[int, Limits],
                 addresses: Mapping[str, str] | None = None, guard: SafeStateGuard | None = None) -> None:
        """``addresses``: resolved addresses of simulated instruments (entry -> resource/URL)."""
        self.specs = dict(specs)
        self.port_limits = dict(port_limits)
        self.addresses = dict(addresses or {})
        self.guard = guard or SafeStateGuard()
        self.transcript = Transcript()
        self.instruments: dict[str, Any] = {}
        self.errors: dict[str, Exception] = {}

    # ---- lifecycle ----------------------------------------------------------------------
    def open(self) -> Lab:
        for name, spec in self.specs.items():
            try:
                self.instruments[name] = self._open(spec)
            except (InstrumentError, OSError, ValueError) as exc:
                self.errors[name] = exc
                log.error("bench instrument %s unavailable: %s", name, exc)
        return self

    def _open(self, spec: InstrumentSpec) -> Any:
        address = self.addresses.get(spec.name, spec.address)
        cls = driver_class(spec.role, spec.family)
        if spec.role == "relay":
            relay = cls(spec.name, address, baudrate=spec.baudrate, timeout_s=spec.timeout_s,
                        transcript=self.transcript)
            relay.open()
            if spec.safe_states:
                states = {spec.channels[k]: v for k, v in spec.safe_states.items()}
                self.guard.register(spec.name, lambda: relay.outputs_off(states))
            return relay
        limits = spec.limits
        if spec.role == "load" and spec.port in self.port_limits:
            limits = limits.tighter(self.port_limits[spec.port])
        kwargs: dict[str, Any] = {"limits": limits, "timeout_s": spec.timeout_s,
                                  "transcript": self.transcript}
        if spec.backend:
            kwargs["backend"] = spec.backend
        instrument = cls.open(spec.name, address, **kwargs)
        if spec.role == "load":
            self.guard.register(spec.name, instrument.outputs_off)
            instrument.outputs_off()  # a run starts from the safe state too
        elif spec.role == "power_analyzer" and spec.elements:
            instrument.configure_dc(sorted(set(spec.elements.values())))
        return instrument

    def all_off(self, reason: str) -> list[str]:
        return self.guard.all_off(reason)

    def close(self, reason: str = "end of run") -> list[str]:
        """Everything off, then every session closed (even when switching off failed or was
        interrupted by Ctrl-C / SIGTERM, which :meth:`all_off` re-raises)."""
        try:
            return self.all_off(reason)
        finally:
            for name, instrument in self.instruments.items():
                try:
                    instrument.close()
                except Exception as exc:
                    log.warning("closing %s: %s", name, exc)
            self.instruments.clear()

    # ---- lookup ---------------------------------------------------------------------------
    def _get(self, name: str) -> Any:
        if name in self.errors:
            raise LabError(f"bench instrument '{name}' is unavailable: {self.errors[name]}")
        return self.instruments[name]

    def _find(self, role: str, match: Callable[[InstrumentSpec], bool], what: str) -> Any:
        for spec in self.specs.values():
            if spec.role == role and match(spec):
                return self._get(spec.name)
        raise LabUnavailable(f"the bench file lists no {what}")

    def load(self, port: int) -> DcLoad:
        return self._find("load", lambda s: s.port == port, f"load on port {port}")  # type: ignore[no-any-return]

    def load_spec(self, port: int) -> InstrumentSpec:
        for spec in self.specs.values():
            if spec.role == "load" and spec.port == port:
                return spec
        raise LabUnavailable(f"the bench file lists no load on port {port}")

    def ports_with_loads(self) -> list[int]:
        return sorted(s.port for s in self.specs.values() if s.role == "load" and s.port is not None)

    def scope(self) -> Scope:
        return self._find("scope", lambda s: True, "oscilloscope")  # type: ignore[no-any-return]

    def probe(self, port: int, quantity: str) -> ProbeSpec:
        for spec in self.specs.values():
            if spec.role == "scope":
                for probe in spec.probes:
                    if probe.quantity == quantity and (probe.port == port or quantity == "estop"):
                        return probe
        raise LabUnavailable(f"the bench file lists no scope probe on the {quantity} of port {port}")

    def analyzer(self, port: int) -> tuple[PowerAnalyzer, int]:
        """The power analyzer measuring ``port`` and the element it is wired to."""
        for spec in self.specs.values():
            if spec.role == "power_analyzer" and port in spec.elements:
                return self._get(spec.name), spec.elements[port]
        raise LabUnavailable(f"the bench file lists no power analyzer element on port {port}")

    def relay(self, function: str) -> tuple[Any, int]:
        """The relay board and channel wired to ``function`` (e.g. "estop", "ac_supply")."""
        for spec in self.specs.values():
            if spec.role == "relay" and function in spec.channels:
                return self._get(spec.name), spec.channels[function]
        raise LabUnavailable(f"the bench file lists no relay channel named {function!r}")

    # ---- async use --------------------------------------------------------------------------
    @staticmethod
    async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking driver call off the event loop (pyvisa and pyserial block)."""
        return await asyncio.to_thread(fn, *args, **kwargs)
