"""The harness CSMS against a raw websocket client playing a (mis)behaving station."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from harness.csms.server import CsmsConfig, CsmsServer, StationAccount
from harness.csms.session import ExpectTimeout, UnexpectedMessage
from harness.protocols.rpc import CallErrorReply, CallTimeout

PASSWORD = "correct-horse-battery-staple"
BOOT = {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
async def csms() -> AsyncIterator[CsmsServer]:
    config = CsmsConfig(message_timeout=2.0, accounts={"CS1": StationAccount("CS1", PASSWORD)})
    async with CsmsServer(config) as server:
        yield server


async def open_station(csms: CsmsServer, station_id: str = "CS1",
                       password: str = PASSWORD) -> ClientConnection:
    return await connect(csms.url(station_id), subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
                         additional_headers=basic(station_id, password))


async def roundtrip(ws: ClientConnection, frame: list | str) -> list:
    await ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    return json.loads(await asyncio.wait_for(ws.recv(), 2))


async def test_accepts_valid_credentials_and_answers_boot(csms: CsmsServer) -> None:
    async with await open_station(csms) as ws:
        reply = await roundtrip(ws, [2, "b1", "BootNotification", BOOT])
    assert reply[0] == 3 and reply[1] == "b1"
    assert reply[2]["status"] == "Accepted" and reply[2]["interval"] > 0
    assert csms.session("CS1").state.boot_status == "Accepted"


@pytest.mark.parametrize(("user", "password", "why"), [
    ("CS1", "wrong-password-0000", "wrong password"),
    ("CS2", PASSWORD, "is not the charging station id"),
])
async def test_refuses_wrong_credentials_with_401(csms: CsmsServer, user: str, password: str,
                                                   why: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        await connect(csms.url("CS1"), subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
                      additional_headers=basic(user, password))
    assert info.value.response.status_code == 401
    assert any(why in e.raw for e in csms.session("CS1").journal.entries)


async def test_refuses_unknown_station_and_missing_auth(csms: CsmsServer) -> None:
    with pytest.raises(InvalidStatus) as unknown:
        await open_station(csms, "NOPE")
    assert unknown.value.response.status_code == 404
    with pytest.raises(InvalidStatus) as anonymous:
        await connect(csms.url("CS1"), subprotocols=["ocpp2.0.1"])  # type: ignore[list-item]
    assert anonymous.value.response.status_code == 401


async def test_no_common_subprotocol_is_closed_and_reported(csms: CsmsServer) -> None:
    ws = await connect(csms.url("CS1"), subprotocols=["ocpp1.5"],  # type: ignore[list-item]
                       additional_headers=basic("CS1", PASSWORD))
    await ws.wait_closed()
    assert ws.close_code == 1002
    assert csms.session("CS1").findings[0].kind == "subprotocol"


async def test_garbage_frames_are_answered_reported_and_survived(csms: CsmsServer) -> None:
    session = csms.session("CS1")
    async with await open_station(csms) as ws:
        bad_json = await roundtrip(ws, "[2, 'oops'")
        assert bad_json[:3] == [4, "-1", "RpcFrameworkError"]
        bad_type = await roundtrip(ws, [9, "t1", "Heartbeat", {}])
        assert bad_type[:3] == [4, "t1", "MessageTypeNotSupported"]
        bad_schema = await roundtrip(ws, [2, "s1", "BootNotification", {"reason": "PowerUp"}])
        assert bad_schema[:3] == [4, "s1", "OccurrenceConstraintViolation"]
        await ws.send(json.dumps([3, "never-sent", {}]))
        still_serving = await roundtrip(ws, [2, "h1", "Heartbeat", {}])
        assert still_serving[0] == 3 and "currentTime" in still_serving[2]
    kinds = [f.kind for f in session.findings]
    assert kinds == ["malformed-frame", "malformed-frame", "schema", "unknown-id"]
    assert session.findings[0].raw == "[2, 'oops'"
    assert "chargingStation" in session.findings[2].detail
    verdicts = [e.verdict for e in session.journal.entries if e.direction == "station->csms"]
    assert verdicts[0].startswith("RpcFrameworkError") and verdicts[-1] == "ok"


async def test_concurrent_call_from_station_is_a_finding(csms: CsmsServer) -> None:
    session = csms.session("CS1")
    release = asyncio.Event()

    async def slow_heartbeat(s, m):  # type: ignore[no-untyped-def]
        await release.wait()
        return {"currentTime": "2026-01-01T00:00:00Z"}

    session.respond("Heartbeat", slow_heartbeat)
    async with await open_station(csms) as ws:
        await ws.send(json.dumps([2, "c1", "Heartbeat", {}]))
        await ws.send(json.dumps([2, "c2", "StatusNotification", {
            "timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Available",
            "evseId": 1, "connectorId": 1}]))
        first = json.loads(await asyncio.wait_for(ws.recv(), 2))
        release.set()
        second = json.loads(await asyncio.wait_for(ws.recv(), 2))
    assert {first[1], second[1]} == {"c1", "c2"}
    assert [f.kind for f in session.findings] == ["concurrent-call"]
    assert "c1" in session.findings[0].detail


async def test_expect_finds_past_and_future_messages_and_reports_what_came(
        csms: CsmsServer) -> None:
    session = csms.session("CS1")
    session.begin_test()
    async with await open_station(csms) as ws:
        await roundtrip(ws, [2, "b1", "BootNotification", BOOT])
        boot = await session.expect("BootNotification", {"reason": "PowerUp"}, within=1)
        assert boot["chargingStation"]["vendorName"] == "V"
        waiting = asyncio.create_task(session.expect("Heartbeat", within=2))
        await roundtrip(ws, [2, "h1", "Heartbeat", {}])
        assert (await waiting).unique_id == "h1"
        with pytest.raises(ExpectTimeout) as info:
            await session.expect("StatusNotification", {"connectorStatus": "Faulted"}, within=0.2)
        message = str(info.value)
        assert "StatusNotification(connectorStatus='Faulted')" in message
        assert "BootNotification" in message and "Heartbeat" in message
        with pytest.raises(UnexpectedMessage, match="Heartbeat"):
            pending = asyncio.create_task(session.expect_none("Heartbeat", within=1))
            await roundtrip(ws, [2, "h2", "Heartbeat", {}])
            await pending


async def station_answers(ws: ClientConnection, delay: float, reply: dict | None = None,
                          error: str | None = None) -> None:
    request = json.loads(await ws.recv())
    await asyncio.sleep(delay)
    if error:
        await ws.send(json.dumps([4, request[1], error, "nope", {}]))
    else:
        await ws.send(json.dumps([3, request[1], reply or {"status": "Accepted"}]))


async def test_call_timeout_then_late_reply_does_not_shift_the_next(csms: CsmsServer) -> None:
    session = csms.session("CS1")
    async with await open_station(csms) as ws:
        await session.wait_connected(1)
        late = asyncio.create_task(station_answers(ws, 0.3, {"status": "Rejected"}))
        with pytest.raises(CallTimeout, match="ClearCache"):
            await session.call("ClearCache", {}, timeout=0.1)
        await late
        answer = asyncio.create_task(station_answers(ws, 0, {"status": "Accepted"}))
        reply = await session.call("ClearCache", {}, timeout=1)
        await answer
    assert reply["status"] == "Accepted"
    assert any("late reply to ClearCache" in e.raw for e in session.journal.entries)
    assert not session.findings


async def test_call_error_raises_with_code(csms: CsmsServer) -> None:
    session = csms.session("CS1")
    async with await open_station(csms) as ws:
        await session.wait_connected(1)
        answer = asyncio.create_task(station_answers(ws, 0, error="NotSupported"))
        with pytest.raises(CallErrorReply) as info:
            await session.call("ClearCache", {})
        await answer
    assert info.value.code == "NotSupported"


async def test_invalid_station_reply_is_a_schema_finding(csms: CsmsServer) -> None:
    session = csms.session("CS1")
    async with await open_station(csms) as ws:
        await session.wait_connected(1)
        answer = asyncio.create_task(station_answers(ws, 0, {"status": "Maybe"}))
        await session.call("ClearCache", {})
        await answer
    assert [f.kind for f in session.findings] == ["schema"]
    assert "ClearCacheResponse" in session.findings[0].detail


async def test_go_offline_refuses_reconnection_until_over(csms: CsmsServer) -> None:
    session = csms.session("CS1")
    ws = await open_station(csms)
    await session.wait_connected(1)
    outage = asyncio.create_task(session.go_offline(0.5))
    await ws.wait_closed()
    await outage
    with pytest.raises(InvalidStatus) as info:
        await open_station(csms)
    assert info.value.response.status_code == 503
    await asyncio.sleep(0.5)  # the outage itself is the thing under test
    async with await open_station(csms):
        await session.wait_connected(1)
