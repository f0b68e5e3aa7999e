"""pytest fixtures of the lab: the bench's instruments for the run and for each test.

Loaded with the harness plugin (``harness.pytest_plugin``). The run's instruments are opened
once (the simulated ones started first on the emulated bench); after each test every output is
switched off and the test's SCPI / serial transcript attached; a switch-off that fails stops
the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from harness.bench import Bench
from harness.emulator.station import EmulatedStation
from harness.evidence import steps
from harness.evidence.steps import allure_test_uuid
from harness.lab.facade import Lab
from harness.lab.simulated import SimulatedLab

log = logging.getLogger("harness")


@pytest.fixture(scope="session")
def lab_session(bench: Bench, emulated_station: EmulatedStation | None) -> Iterator[Lab]:
    """The bench's instruments, opened once per run (simulated ones started first). Whatever
    happens, the run ends with every load input and source output off."""
    simulated = None
    if any(spec.simulated for spec in bench.instruments.values()):
        simulated = SimulatedLab(bench.instruments, emulated_station).start()
    lab = Lab(bench.instruments, bench.power.ports, simulated.addresses if simulated else None)
    lab.guard.install_signal_handlers()
    failures: list[str] = []
    try:
        lab.open()
        yield lab
    finally:
        try:
            failures = lab.close("end of run")
        finally:  # also when a Ctrl-C / SIGTERM interrupts the closing (all_off re-raises it)
            lab.guard.uninstall_signal_handlers()
            if simulated is not None:
                simulated.stop()
        for failure in failures:
            log.error("safe state not reached at the end of the run: %s", failure)


@pytest.fixture
def lab(request: pytest.FixtureRequest, lab_session: Lab) -> Iterator[Lab]:
    """The bench's instruments for one test. Afterwards — pass, fail, error or timeout — every
    output is switched off and the test's SCPI / serial transcript is attached. If switching
    off fails, the test errors and the run stops."""
    mark = lab_session.transcript.mark()
    try:
        yield lab_session
    finally:
        failures = lab_session.all_off(f"end of {request.node.name}")
        text = lab_session.transcript.text(mark)
        if text:
            steps.attach(text, "instrument transcript", "text/plain", "txt",
                         parent=allure_test_uuid(request.node))
        if failures:
            # An instrument in an unknown state may still be delivering power: no further test
            # runs on this bench (the session teardown tries to switch everything off again).
            request.session.shouldstop = (f"safety: instruments not in their safe state after "
                                          f"{request.node.name}; the run stops")
            raise RuntimeError("instruments not in their safe state after the test:\n  "
                               + "\n  ".join(failures))
