"""Benchmarks of the harness core; prints its figures. Run: ``make bench``.

1. Core suite wall time against the emulated bench (target < 60 s on 2 cores).
2. CSMS round-trip latency, CALL -> CALLRESULT on loopback, p50 / p99 (target p50 < 2 ms).
3. Station requests per second one CSMS process sustains from many stations (target >= 5,000).
4. Power suite wall time against the emulated bench and its simulated lab.
   OCPP 1.6J suite wall time against the emulated 1.6J station.
5. Analysis of a 10-million-sample waveform, step response + ripple spectrum (target < 1 s).
6. SCPI round trips per second through pyvisa to an instrument simulator.

The station side of 2 and 3 runs in a separate process (``loadgen.py``) so that the CSMS
process is measured alone; every frame is still journaled and schema-validated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import run_loadgen  # noqa: E402
from benchmarks.scpi import scpi_benchmark  # noqa: E402
from benchmarks.waveform import waveform_analysis_benchmark  # noqa: E402
from harness.csms.server import CsmsConfig, CsmsServer, StationAccount  # noqa: E402

PASSWORD = "benchmark-password-0001"


def core_suite_wall_time() -> dict[str, float | str]:
    return _suite_wall_time([str(ROOT / "suites" / "ocpp201"), "-m", "octt", "--profile", "Core"])


def power_suite_wall_time() -> dict[str, float | str]:
    return _suite_wall_time([str(ROOT / "suites" / "power")])


def ocpp16_suite_wall_time() -> dict[str, float | str]:
    return _suite_wall_time([str(ROOT / "suites" / "ocpp16"), "--bench",
                             str(ROOT / "fixtures" / "benches" / "emulated-16.yaml")])


def _suite_wall_time(args: list[str]) -> dict[str, float | str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    summary = next((line for line in reversed(proc.stdout.splitlines()) if " in " in line), "")
    return {"wall_s": round(wall, 2), "pytest": summary.strip("= ")}


def _start_loadgen(url_base: str, stations: int, mode: str, seconds: float
                   ) -> tuple[multiprocessing.Process, multiprocessing.Queue]:
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue = ctx.Queue()
    proc = ctx.Process(target=run_loadgen, args=(url_base, stations, PASSWORD, mode, seconds, queue))
    proc.start()
    return proc, queue


async def roundtrip_latency(calls: int) -> dict[str, float]:
    config = CsmsConfig(accounts={"LAT0": StationAccount("LAT0", PASSWORD)}, message_timeout=5)
    async with CsmsServer(config) as csms:
        proc, _queue = _start_loadgen(csms.url(""), 1, "answer", 60)
        session = csms.session("LAT0")
        await session.wait_connected(30)
        for _ in range(200):  # warm-up: imports, schema cache, TCP
            await session.call("ClearCache", {})
        samples = []
        for _ in range(calls):
            t0 = time.perf_counter()
            await session.call("ClearCache", {})
            samples.append((time.perf_counter() - t0) * 1000)
        proc.terminate()
        proc.join(5)
    samples.sort()
    return {"calls": calls, "p50_ms": round(statistics.median(samples), 3),
            "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 3),
            "max_ms": round(samples[-1], 3)}


async def throughput(stations: int, seconds: float) -> dict[str, float]:
    accounts = {f"LOAD{i:03d}": StationAccount(f"LOAD{i:03d}", PASSWORD) for i in range(stations)}
    async with CsmsServer(CsmsConfig(accounts=accounts, message_timeout=10)) as csms:
        proc, queue = _start_loadgen(csms.url(""), stations, "heartbeat", seconds)
        result = await asyncio.to_thread(queue.get, True, seconds + 60)
        proc.join(10)
        journaled = sum(len(s.journal.entries) for s in csms.sessions.values())
        findings = sum(len(s.findings) for s in csms.sessions.values())
    return {"stations": stations, "requests": result["requests"],
            "seconds": round(result["seconds"], 2),
            "requests_per_s": round(result["requests"] / result["seconds"]),
            "frames_per_s": round(2 * result["requests"] / result["seconds"]),
            "frames_journaled": journaled, "findings": findings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-suite", action="store_true")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    figures: dict[str, object] = {"cpus": os.cpu_count()}
    if not args.skip_suite:
        figures["core_suite"] = core_suite_wall_time()
        print(f"Core suite wall time: {figures['core_suite']}", flush=True)
        figures["power_suite"] = power_suite_wall_time()
        print(f"Power suite wall time: {figures['power_suite']}", flush=True)
        figures["ocpp16_suite"] = ocpp16_suite_wall_time()
        print(f"OCPP 1.6J suite wall time (one process): {figures['ocpp16_suite']}", flush=True)
    figures["waveform"] = waveform_analysis_benchmark()
    print(f"10 M-sample waveform analysis: {figures['waveform']}", flush=True)
    figures["scpi"] = scpi_benchmark()
    print(f"SCPI through pyvisa to a simulator: {figures['scpi']}", flush=True)
    figures["roundtrip"] = asyncio.run(roundtrip_latency(args.calls))
    print(f"CSMS round trip (CALL -> CALLRESULT, loopback): {figures['roundtrip']}", flush=True)
    figures["throughput"] = asyncio.run(throughput(args.stations, args.seconds))
    print(f"CSMS throughput: {figures['throughput']}", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
