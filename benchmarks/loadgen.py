"""Load generator for the CSMS benchmarks: many minimal stations in one process.

``answer`` mode: one station that answers every CSMS CALL at once (latency benchmark).
``heartbeat`` mode: N stations each sending Heartbeat after Heartbeat, one outstanding CALL
per connection as OCPP-J requires, for a fixed time; reports the count on ``queue``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from multiprocessing import Queue

from websockets.asyncio.client import ClientConnection, connect


def _headers(station_id: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{station_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def _open(url_base: str, station_id: str, password: str) -> ClientConnection:
    return await connect(url_base.rstrip("/") + "/" + station_id,
                         subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
                         additional_headers=_headers(station_id, password), ping_interval=None)


async def _answer(url_base: str, password: str, seconds: float) -> None:
    async with await _open(url_base, "LAT0", password) as ws:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            frame = json.loads(await ws.recv())
            await ws.send(json.dumps([3, frame[1], {"status": "Accepted"}]))


async def _heartbeats(url_base: str, stations: int, password: str, seconds: float) -> dict:
    connections = [await _open(url_base, f"LOAD{i:03d}", password) for i in range(stations)]
    counts = [0] * stations
    start = time.monotonic()
    deadline = start + seconds

    async def drive(i: int, ws: ClientConnection) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            await ws.send(f'[2,"{i}-{n}","Heartbeat",{{}}]')
            await ws.recv()
            counts[i] += 1

    await asyncio.gather(*(drive(i, ws) for i, ws in enumerate(connections)))
    elapsed = time.monotonic() - start
    for ws in connections:
        await ws.close()
    return {"requests": sum(counts), "seconds": elapsed}


def run_loadgen(url_base: str, stations: int, password: str, mode: str, seconds: float,
                queue: Queue) -> None:
    if mode == "answer":
        asyncio.run(_answer(url_base, password, seconds))
    else:
        queue.put(asyncio.run(_heartbeats(url_base, stations, password, seconds)))
