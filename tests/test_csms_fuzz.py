"""The harness CSMS against a hostile station: 10,000 malformed frames, oversize frames,
floods and abrupt disconnects. Zero crashes, every finding with its raw frame, memory bounded.

Frames are generated from a fixed seed, so a failure is reproducible.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import connect

from harness.csms.server import CsmsConfig, CsmsServer, StationAccount
from tests.test_csms import PASSWORD, basic, open_station, roundtrip

ACTIONS = ["BootNotification", "Heartbeat", "StatusNotification", "TransactionEvent",
           "MeterValues", "Authorize", "NoSuchAction", ""]


def malformed_frames(rng: random.Random, count: int) -> list[str | bytes]:
    """Random and structure-aware broken frames (and a few valid ones in between)."""
    def junk_value(depth: int = 0) -> object:
        kind = rng.randrange(8 if depth < 3 else 5)
        return [lambda: rng.randint(-2**70, 2**70), lambda: rng.random() * 1e308,
                lambda: "".join(chr(rng.randrange(0x20, 0x2FFF)) for _ in range(rng.randrange(20))),
                lambda: None, lambda: rng.choice([True, False]),
                lambda: [junk_value(depth + 1) for _ in range(rng.randrange(4))],
                lambda: {str(junk_value(depth + 1)): junk_value(depth + 1)
                         for _ in range(rng.randrange(4))},
                lambda: "x" * rng.randrange(10_000)][kind]()

    makers = [
        lambda: "".join(chr(rng.randrange(0x20, 0x7F)) for _ in range(rng.randrange(1, 80))),
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))),
        lambda: "[" * rng.randrange(1000, 100_000),  # nesting bombs
        lambda: json.dumps([rng.choice([0, 1, 2, 3, 4, 5, 99, -1, "2", None]),
                            *[junk_value() for _ in range(rng.randrange(5))]]),
        lambda: json.dumps([2, str(rng.randrange(10**6)), rng.choice(ACTIONS),
                            junk_value()]),
        lambda: json.dumps([2, "x" * rng.randrange(30, 60), "Heartbeat", {}]),
        lambda: json.dumps([3, f"unknown-{rng.randrange(10**6)}", junk_value()]),
        lambda: json.dumps([4, f"unknown-{rng.randrange(10**6)}", junk_value(), junk_value(),
                            junk_value()]),
        lambda: json.dumps([2, str(rng.randrange(10**6)), "BootNotification",
                            {"reason": junk_value(), "chargingStation": junk_value()}]),
        lambda: json.dumps([2, str(rng.randrange(10**6)), "Heartbeat", {}]),  # valid
    ]
    return [rng.choice(makers)() for _ in range(count)]


@pytest.fixture
async def csms() -> AsyncIterator[CsmsServer]:
    config = CsmsConfig(message_timeout=2.0, accounts={"CS1": StationAccount("CS1", PASSWORD)})
    async with CsmsServer(config) as server:
        server.session("CS1").journal.max_entries = 5_000  # prove the bound, not the default
        yield server


async def test_ten_thousand_malformed_frames(csms: CsmsServer) -> None:
    loop = asyncio.get_running_loop()
    errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    session = csms.session("CS1")
    frames = malformed_frames(random.Random(20261122), 10_000)
    async with await open_station(csms) as ws:
        final_answered = asyncio.Event()

        async def drain() -> None:
            async for reply in ws:
                if '"final"' in str(reply)[:20]:
                    final_answered.set()

        reader = asyncio.create_task(drain())
        for frame in frames:
            await ws.send(frame)
        await ws.send(json.dumps([2, "final", "Heartbeat", {}]))
        await asyncio.wait_for(final_answered.wait(), 30)
        reader.cancel()
    journal = session.journal
    assert len(journal.entries) <= journal.max_entries, "the journal must stay bounded"
    assert journal.dropped > 0
    assert len(session.findings) > 5_000, "each malformed frame is a finding"
    assert all(f.raw for f in session.findings[:100]), "a finding quotes its raw frame"
    assert not errors, f"unhandled errors in the CSMS: {errors[:3]}"


async def test_survives_oversize_floods_and_abrupt_disconnects(csms: CsmsServer) -> None:
    # Oversize: beyond max_size the connection is closed (1009); the CSMS serves on.
    async with await open_station(csms) as ws:
        await ws.send("[" + "1," * (3 * 2**20) + "1]")
        await ws.wait_closed()
    assert ws.close_code == 1009
    # Flood without reading replies (a slow reader), then vanish without a close frame.
    ws = await open_station(csms)
    for n in range(2_000):
        await ws.send(json.dumps([2, f"f{n}", "Heartbeat", {}]))
    ws.transport.abort()  # type: ignore[attr-defined]
    # Half-open TCP connections that never finish the handshake.
    port = csms.port
    raw = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    for s in raw:
        s.sendall(b"GET /CS1 HTTP/1.1\r\nHost: x\r\n")
        s.close()
    # Still serving, with credentials still checked.
    async with await open_station(csms) as ws:
        reply = await roundtrip(ws, [2, "ok", "Heartbeat", {}])
    assert reply[:2] == [3, "ok"]
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do, 401 expected
        await connect(csms.url("CS1"), subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
                      additional_headers=basic("CS1", "wrong-password-0000"))
