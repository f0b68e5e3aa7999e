"""Every exit path leaves the lab safe: pass, fail, error, Ctrl-C, SIGTERM, a crashed or hung
instrument — load inputs end off, relays in their bench safe states, and the outcome reported.

Proved from the outside, as a lab would see it: the run under test is a pytest subprocess
(tests/safe_state_victim.py) driving load and relay simulators that live in this process and
outlive it, so their state after the subprocess has ended is what real instruments would
hold. Signals land at seeded random moments inside the setup, body and teardown windows.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.safe_state_bench import Rig

HOLD_S = 0.2  # how long the victim keeps the loads on at the end of setup / start of teardown
EXIT_DEADLINE_S = 10.0  # a run that has not ended this long after the signal / release hangs
INTERRUPTED = 2  # pytest's exit code for KeyboardInterrupt
FAILED = 1

ALL_ON = ["load1: input on", "load2: input on", "pdu estop: on", "pdu power_cut: on"]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    try:
        yield rig
    finally:
        rig.stop()


def test_pass_fail_and_error_each_leave_everything_off(rig: Rig) -> None:
    """After each test — passed, failed on an assert, errored on an exception — the lab
    fixture's teardown has switched everything off before the next test starts."""
    victim = rig.run("test_pass", "test_fail", "test_error", "test_second", SAFE_STATE_HANDSHAKE="1")
    for name in ("test_pass", "test_fail", "test_error"):
        victim.wait_for("checkpoint")
        assert rig.unsafe() == [], f"before {name}:\n{victim.output}"
        victim.send()
        victim.wait_for("body")
        assert rig.unsafe() == ALL_ON, f"{name} did not switch everything on:\n{victim.output}"
        victim.send()
    victim.wait_for("second-test")
    assert rig.unsafe() == [], f"after test_error:\n{victim.output}"
    assert victim.finish(EXIT_DEADLINE_S) == FAILED, victim.output
    assert rig.unsafe() == []
    assert "2 failed, 2 passed" in victim.output, victim.output
    assert "deliberate failure" in victim.output and "deliberate error" in victim.output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(("test", "stage"), [
    ("test_block", "setup-on"),  # in the fixture that switched the loads on, before yielding
    ("test_block", "body"),  # in time.sleep in the test body
    ("test_async_block", "body"),  # in the event loop's selector (await on an Event)
    ("test_pass", "teardown"),  # in a fixture teardown that runs before the lab fixture's
])
def test_signal_leaves_everything_off_and_stops_the_run(rig: Rig, signum: signal.Signals, test: str,
                                                         stage: str) -> None:
    """Ctrl-C or SIGTERM at a random point of a stage: the run unwinds (reported as
    interrupted, no further test runs), and everything ends off."""
    delay = random.Random(f"{signum.name}-{test}-{stage}").uniform(0.0, HOLD_S - 0.05)
    victim = rig.run(test, "test_second", SAFE_STATE_HOLD_S=str(HOLD_S))
    victim.wait_for(stage)
    assert rig.unsafe() == ALL_ON, victim.output
    time.sleep(delay)
    sent = victim.signal(signum)
    code = victim.finish(EXIT_DEADLINE_S)
    took = time.monotonic() - sent
    where = f"{signum.name} {delay:.3f} s after STAGE {stage} of {test} (exit {code}, {took:.2f} s later)"
    assert rig.unsafe() == [], f"{where}:\n{victim.output}"
    assert code == INTERRUPTED, f"{where}:\n{victim.output}"
    assert "KeyboardInterrupt" in victim.output, f"{where}:\n{victim.output}"
    assert "STAGE second-test" not in victim.output, f"{where}: the run went on:\n{victim.output}"


def test_ctrl_c_while_teardown_waits_on_a_hung_instrument_stops_the_run(tmp_path: Path) -> None:
    """Regression: a Ctrl-C arriving while the safe-state teardown waits on an instrument that
    stopped answering was swallowed as that instrument's failure, and the run went on to the
    next test. Now the other instruments are still switched off, then the run stops."""
    rig = Rig(tmp_path, timeout_s=2.0)  # a wide window for the signal to land in the wait
    try:
        victim = rig.run("test_block", "test_second", SAFE_STATE_HANDSHAKE="1")
        victim.wait_for("checkpoint")
        victim.send()
        victim.wait_for("body")
        rig.loads["load1"].stalled = True  # load1 is switched off last (registered first)
        victim.send()
        victim.wait_for("teardown")
        time.sleep(0.3)
        victim.signal(signal.SIGINT)
        rig.loads["load1"].stalled = False  # so the end-of-run close does not wait again
        code = victim.finish(EXIT_DEADLINE_S)
        assert rig.unsafe() == [], victim.output
        assert code == INTERRUPTED, victim.output
        assert "KeyboardInterrupt" in victim.output, victim.output
        assert "STAGE second-test" not in victim.output, f"the run went on:\n{victim.output}"
    finally:
        rig.stop()


def test_crashed_instrument_others_off_and_failure_reported(rig: Rig) -> None:
    """A load that dies mid-test: the other load and the relays still end safe, and the run
    stops promptly with a teardown error naming the dead instrument's bench entry."""
    victim = rig.run("test_block", SAFE_STATE_HANDSHAKE="1")
    victim.wait_for("checkpoint")
    victim.send()
    victim.wait_for("body")
    rig.loads["load1"].crash()
    released = time.monotonic()
    victim.send()
    code = victim.finish(EXIT_DEADLINE_S)
    took = time.monotonic() - released
    assert rig.unsafe(skip=("load1",)) == [], victim.output
    assert code == INTERRUPTED, victim.output  # a switch-off that failed stops the run
    assert "safety: instruments not in their safe state" in victim.output, victim.output
    assert "ERROR at teardown of test_block" in victim.output, victim.output
    assert "instruments not in their safe state after the test" in victim.output, victim.output
    assert "instrument 'load1'" in victim.output, victim.output
    assert took < 4 * rig.timeout_s + 3.0, f"teardown took {took:.2f} s"


def test_hung_instrument_teardown_bounded_by_its_timeout(rig: Rig) -> None:
    """A load that stops answering: teardown gives up on it after its timeout instead of
    hanging, switches the others off, and reports the timeout naming the bench entry."""
    victim = rig.run("test_block", SAFE_STATE_HANDSHAKE="1")
    victim.wait_for("checkpoint")
    victim.send()
    victim.wait_for("body")
    rig.loads["load1"].stalled = True
    released = time.monotonic()
    victim.send()
    code = victim.finish(EXIT_DEADLINE_S)
    took = time.monotonic() - released
    # The stalled simulator still executes what it receives (it only stops answering), so
    # load1's "OUTP OFF" took effect too: every input is off.
    assert rig.unsafe() == [], victim.output
    assert code == INTERRUPTED, victim.output
    assert "ERROR at teardown of test_block" in victim.output, victim.output
    assert "instrument 'load1'" in victim.output and "no answer to" in victim.output, victim.output
    # one timeout in the test's teardown, one in the end-of-run close, plus the run's own exit
    assert took < 2 * rig.timeout_s + 3.0, f"teardown took {took:.2f} s"
