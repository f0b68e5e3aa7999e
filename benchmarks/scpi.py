"""SCPI round trips per second through the real stack: pyvisa + pyvisa-py over a loopback TCP
socket to a load simulator coupled to a DcPlant (the same path a power test takes).

Run: ``.venv/bin/python benchmarks/scpi.py``; ``benchmarks/run.py`` includes it.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from instruments.limits import Limits
from instruments.load.ea import EaPsb10000
from instruments.sim.ea import EaSimulator
from instruments.sim.plant import DcPlant


def scpi_benchmark(queries: int = 2000, writes: int = 500) -> dict[str, float]:
    plant = DcPlant(port=1)
    plant.set_output(True)
    sim = EaSimulator(plant, "PSB 10000", max_voltage_v=1500, max_current_a=600, max_power_w=300_000).start()
    try:
        load = EaPsb10000.open("load1", sim.resource, limits=Limits(1200, 520, 220_000))
        for _ in range(100):  # warm-up
            load.transport.query("*IDN?")
        latencies = []
        start = time.perf_counter()
        for _ in range(queries):
            t0 = time.perf_counter()
            load.measure()  # MEAS:ARR? parsed, reading the plant
            latencies.append((time.perf_counter() - t0) * 1000)
        query_s = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(writes):
            load.set_current(10.0 + i % 50)  # limit check + write + SYST:ERR? check
        write_s = time.perf_counter() - start
        load.outputs_off()
        load.close()
    finally:
        sim.stop()
    latencies.sort()
    return {"queries": queries, "queries_per_s": round(queries / query_s),
            "query_p50_ms": round(statistics.median(latencies), 3),
            "query_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 3),
            "checked_writes_per_s": round(writes / write_s)}


if __name__ == "__main__":
    figures = scpi_benchmark()
    print(f"SCPI through pyvisa to a simulator: {figures}")
    print(json.dumps({"scpi": figures}))
