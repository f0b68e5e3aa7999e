"""The test run that tests/test_safe_state.py interrupts, fails and crashes (not collected by
the project's own runs: the name does not match ``test_*.py``; the parent names it explicitly).

Each stage prints ``STAGE <name>`` (flushed) so the parent knows where the run is before it
sends a signal or breaks an instrument. ``SAFE_STATE_HOLD_S`` keeps the loads on for that long
at the end of setup and at the start of teardown, so a signal can land there;
``SAFE_STATE_HANDSHAKE=1`` makes each test wait for a line on stdin before switching on (the
parent checks the simulators in between) and again in the body, where ``test_block`` then ends
instead of blocking forever (the parent breaks an instrument there, then lets the test end).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator

import pytest

from harness.lab.facade import Lab

HOLD_S = float(os.environ.get("SAFE_STATE_HOLD_S", "0"))
HANDSHAKE = os.environ.get("SAFE_STATE_HANDSHAKE") == "1"


def stage(name: str) -> None:
    print(f"STAGE {name}", flush=True)


@pytest.fixture
def energized(lab: Lab) -> Iterator[Lab]:
    """Both loads sinking current and both relays energized: what the parent must see undone."""
    if HANDSHAKE:
        stage("checkpoint")
        sys.stdin.readline()
    for port in (1, 2):
        lab.load(port).set_current(10.0)
        lab.load(port).set_input(True)
    for function in ("estop", "power_cut"):
        relay, channel = lab.relay(function)
        relay.set(channel, True)
    stage("setup-on")
    time.sleep(HOLD_S)
    yield lab
    stage("teardown")
    time.sleep(HOLD_S)


def body() -> None:
    """The loads are on here; with the handshake, wait until the parent has looked."""
    stage("body")
    if HANDSHAKE:
        sys.stdin.readline()


def test_pass(energized: Lab) -> None:
    body()


def test_fail(energized: Lab) -> None:
    body()
    assert energized.load(1).input_on() is False, "deliberate failure: the load is on"


def test_error(energized: Lab) -> None:
    body()
    raise RuntimeError("deliberate error in the test body")


def test_block(energized: Lab) -> None:
    body()
    while not HANDSHAKE:
        time.sleep(0.05)


async def test_async_block(energized: Lab) -> None:
    """Blocks in the event loop (the SIGINT / SIGTERM lands in the selector, not in a sleep)."""
    stage("body")
    await asyncio.Event().wait()


def test_second() -> None:
    """Runs only if the session went on after the test before it was interrupted."""
    stage("second-test")
