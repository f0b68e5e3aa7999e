"""OCPP 1.6 sessions, unlocking and faults (harness/emulator/ocpp16/hardware.py), the 1.6
CALLERROR spellings (harness/protocols/ocppj.py), and the cable cases against both cable
variants of the emulated 1.6 bench."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection, connect

from harness.csms.server import CsmsConfig, CsmsServer, StationAccount
from harness.emulator.config import StationConfig
from harness.emulator.ocpp16.station import EmulatedStation16
from harness.protocols import ocppj
from harness.protocols.ocppj import ErrorCode
from tests.quirk_runner import BENCH_16, run_cases
from tests.variant_bench import derived_bench

PASSWORD = "correct-horse-battery-staple"
CABLE_FEATURES = ("DetachableCable", "FixedCable", "ConnectorLock")
CABLE_CASES = ["TC_005_1_CS", "TC_005_2_CS", "TC_017_1_CS", "TC_017_2_CS", "TC_018_1_CS",
               "TC_018_2_CS", "TC_030_CS"]


# ---- CALLERROR codes per version ------------------------------------------------------------
def test_16_spells_its_own_error_codes() -> None:
    assert ocppj.error_code("1.6", ErrorCode.FORMAT_VIOLATION) == "FormationViolation"
    assert ocppj.error_code("1.6", ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION) == \
        "OccurenceConstraintViolation"
    assert ocppj.error_code("1.6", ErrorCode.NOT_IMPLEMENTED) == "NotImplemented"
    assert ocppj.error_code("2.0.1", ErrorCode.FORMAT_VIOLATION) == "FormatViolation"
    # 1.6 has no RpcFrameworkError / MessageTypeNotSupported: every code it is sent is its own
    for code in ocppj.ERROR_CODES:
        assert ocppj.known_error_code("1.6", ocppj.error_code("1.6", code)), code
    assert not ocppj.known_error_code("1.6", "FormatViolation")
    assert not ocppj.known_error_code("2.0.1", "FormationViolation")
    assert not ocppj.known_error_code("2.0.1", "OccurenceConstraintViolation")


@pytest.fixture
async def csms16() -> AsyncIterator[CsmsServer]:
    config = CsmsConfig(message_timeout=2.0, subprotocols=("ocpp1.6",),
                        accounts={"CS1": StationAccount("CS1", PASSWORD)})
    async with CsmsServer(config) as server:
        yield server


async def open_station16(csms: CsmsServer) -> ClientConnection:
    token = base64.b64encode(f"CS1:{PASSWORD}".encode()).decode()
    return await connect(csms.url("CS1"), subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                         additional_headers={"Authorization": f"Basic {token}"})


async def roundtrip(ws: ClientConnection, frame: list | str) -> list:
    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), 2))


async def test_16_csms_answers_with_16_error_codes(csms16: CsmsServer) -> None:
    async with await open_station16(csms16) as ws:
        bad_json = await roundtrip(ws, "[2, 'oops'")
        assert bad_json[2] == "FormationViolation"
        bad_payload = await roundtrip(ws, [2, "p1", "Heartbeat", []])
        assert bad_payload[:3] == [4, "p1", "FormationViolation"]
        missing = await roundtrip(ws, [2, "s1", "BootNotification", {"chargePointVendor": "V"}])
        assert missing[:3] == [4, "s1", "OccurenceConstraintViolation"]
        bad_type = await roundtrip(ws, [9, "t1", "Heartbeat", {}])
        assert bad_type[:3] == [4, "t1", "GenericError"]


@pytest.mark.parametrize(("code", "finding"), [("FormatViolation", True),
                                               ("FormationViolation", False)])
async def test_16_station_error_code_of_another_version_is_a_finding(
        csms16: CsmsServer, code: str, finding: bool) -> None:
    session = csms16.session("CS1")
    async with await open_station16(csms16) as ws:
        await session.wait_connected(1)

        async def answer() -> None:
            request = json.loads(await ws.recv())
            await ws.send(json.dumps([4, request[1], code, "bad payload", {}]))

        answering = asyncio.create_task(answer())
        with pytest.raises(AssertionError):  # CallErrorReply
            await session.call("ClearCache", {})
        await answering
    kinds = [f.kind for f in session.findings]
    assert kinds == (["error-code"] if finding else []), session.findings


# ---- the emulated 1.6 charge point's cable, lock and fault inputs ---------------------------
def station16(*features: str) -> EmulatedStation16:
    return EmulatedStation16(StationConfig(ocpp_version="1.6", evses={1: [(1, "cCCS1")]},
                                           features=features))


async def test_fault_inputs_fault_the_connector_with_their_error_code() -> None:
    st = station16()
    await st.inject_fault(1, 1, "GroundFailure")
    assert (st.status16(1, 1), st.error_code16(1)) == ("Faulted", "GroundFailure")
    await st.clear_fault(1, 1, "GroundFailure")
    assert st.status16(1, 1) == "Available"
    with pytest.raises(ValueError, match=r"not an OCPP 1\.6 ChargePointErrorCode"):
        await st.inject_fault(1, 1, "Overheated")


async def test_a_jammed_lock_faults_the_next_plug_in_and_blocks_the_transaction() -> None:
    st = station16("DetachableCable")
    await st.inject_fault(1, 1, "ConnectorLockFailure")
    assert st.status16(1, 1) == "Available"  # nothing to lock yet
    await st.plug_in(1, 1)
    st.authorize(st.evses[1], {"idToken": "T", "type": "ISO14443"}, "Authorized")
    assert (st.status16(1, 1), st.error_code16(1)) == ("Faulted", "ConnectorLockFailure")
    assert st.evses[1].tx is None
    await st.unplug(1, 1)
    assert st.status16(1, 1) == "Available"


async def test_detachable_cable_stays_locked_after_the_ev_leaves_unless_configured() -> None:
    st = station16("DetachableCable")
    st.configuration.local["UnlockConnectorOnEVSideDisconnect"] = ("false", False)
    await st.plug_in(1, 1)
    await st.unplug(1, 1)
    assert st.status16(1, 1) == "Finishing"  # cable still locked in the socket
    assert st.lock_moves(st.evses[1])
    st.cable_released(st.evses[1])
    assert st.status16(1, 1) == "Available"
    fixed = station16()
    fixed.configuration.local["UnlockConnectorOnEVSideDisconnect"] = ("false", False)
    await fixed.plug_in(1, 1)
    await fixed.unplug(1, 1)
    assert not fixed.detachable_cable and fixed.status16(1, 1) == "Available"


# ---- both cable variants of the bench -------------------------------------------------------
def cable_bench(tmp_path: Path, features: list[str]) -> Path:
    """The emulated 1.6 bench with its cable features replaced by ``features``."""
    return derived_bench(tmp_path, CABLE_FEATURES, features, base=BENCH_16)


def outcomes(pytester: pytest.Pytester, bench: Path) -> dict[str, str]:
    got = run_cases(pytester, CABLE_CASES, [], "--bench", str(bench))
    by_test = {o.nodeid.rsplit("::", 1)[-1]: o.outcome for o in got}
    return by_test


def test_fixed_cable_variant(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A fixed-cable charge point (feature FixedCable; the emulator has no socket lock then)
    passes TC_017_2 / TC_018_2; the detachable-cable cases are skipped."""
    got = outcomes(pytester, cable_bench(tmp_path, ["FixedCable"]))
    assert got == {
        "test_ev_side_disconnect_stop_and_unlock": "skipped",
        "test_ev_side_disconnect_stop_keep_locked": "skipped",
        "test_unlock_no_session_detachable": "skipped",
        "test_unlock_no_session_fixed": "passed",
        "test_unlock_with_session_detachable": "skipped",
        "test_unlock_with_session_fixed": "passed",
        "test_unlock_failure": "skipped",
    }, got


def test_cable_cases_tell_the_variants_apart(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A bench claiming a fixed cable for a charger with a socket (both features claimed: the
    emulator builds the socket) fails the fixed-cable cases; the socket's cases pass."""
    got = outcomes(pytester, cable_bench(tmp_path, ["DetachableCable", "FixedCable",
                                                    "ConnectorLock"]))
    assert got == {
        "test_ev_side_disconnect_stop_and_unlock": "passed",
        "test_ev_side_disconnect_stop_keep_locked": "passed",
        "test_unlock_no_session_detachable": "passed",
        "test_unlock_no_session_fixed": "failed",
        "test_unlock_with_session_detachable": "passed",
        "test_unlock_with_session_fixed": "failed",
        "test_unlock_failure": "passed",
    }, got
