"""A bench whose instruments outlive the pytest run under test: the simulators run in the test
process, the run (tests/safe_state_victim.py) in a subprocess that reaches them over loopback,
so what the simulators hold after that process has been interrupted, failed or crashed is what
a real lab's instruments would hold."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from harness.bench import default_bench_path
from instruments.sim.ea import EaSimulator
from instruments.sim.plant import DcPlant
from instruments.sim.relay import RelayBoardSimulator

ROOT = Path(__file__).resolve().parent.parent
VICTIM = "tests/safe_state_victim.py"
CHANNELS = {"estop": 0, "power_cut": 1}
SAFE = {"estop": False, "power_cut": False}
INSTRUMENT_TIMEOUT_S = 0.5


class Rig:
    """Two EA PSB simulators (ports 1 and 2) and a relay board, all on ephemeral ports."""

    def __init__(self, tmp_path: Path, timeout_s: float = INSTRUMENT_TIMEOUT_S) -> None:
        """``timeout_s``: every instrument's timeout in the bench file (how long a hung one
        holds up the safe-state teardown)."""
        self.timeout_s = timeout_s
        self.loads = {
            f"load{n}": EaSimulator(DcPlant(port=n), "PSB 10000", max_voltage_v=1250, max_current_a=650,
                                    max_power_w=275_000).start()
            for n in (1, 2)
        }
        self.relay = RelayBoardSimulator(channels=8).start()
        self.bench = tmp_path / "bench.yaml"
        self.bench.write_text(yaml.safe_dump(self._bench_data(), sort_keys=False))

    def _bench_data(self) -> dict[str, Any]:
        data = yaml.safe_load(Path(default_bench_path()).read_text())
        limits = {"max_voltage_v": 1000, "max_current_a": 500, "max_power_w": 200_000}
        data["instruments"] = {
            name: {"role": "load", "family": "ea-psb10000", "resource": sim.resource, "port": int(name[-1]),
                   "limits": limits, "timeout": self.timeout_s}
            for name, sim in self.loads.items()
        }
        data["instruments"]["pdu"] = {"role": "relay", "family": "numato-usb-relay", "url": self.relay.url,
                                      "channels": CHANNELS, "safe_states": SAFE,
                                      "timeout": self.timeout_s}
        return data

    def stop(self) -> None:
        for sim in (*self.loads.values(), self.relay):
            sim.stop()

    def unsafe(self, skip: tuple[str, ...] = ()) -> list[str]:
        """What is not in its safe state, read from the simulators themselves."""
        found = [f"{name}: input on" for name, sim in self.loads.items()
                 if name not in skip and sim.state()["input_on"]]
        found += [f"pdu {function}: {'on' if self.relay.state(ch) else 'off'}"
                  for function, ch in CHANNELS.items() if self.relay.state(ch) != SAFE[function]]
        return found

    def run(self, *tests: str, **env: str) -> Victim:
        return Victim([f"{VICTIM}::{t}" for t in tests], self.bench, env)


class Victim:
    """The pytest subprocess, its output read line by line in the background."""

    def __init__(self, node_ids: list[str], bench: Path, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", *node_ids, "--bench", str(bench), "-p", "no:cacheprovider",
             "-p", "no:xdist", "-s", "-q"],
            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1", **env}, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, stage: str, timeout_s: float = 20.0) -> None:
        """Read until ``STAGE <stage>``; fail (and kill) if the run ends or stalls first."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                self.kill()
                raise AssertionError(f"no 'STAGE {stage}' from the run:\n{self.output}")
            self.lines.append(line)
            if line.rpartition("STAGE ")[2] == stage and "STAGE " in line:  # after pytest's "." too
                return

    def send(self, text: str = "\n") -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def signal(self, signum: signal.Signals) -> float:
        self.proc.send_signal(signum)
        return time.monotonic()

    def finish(self, timeout_s: float) -> int:
        """Wait for the exit; past ``timeout_s`` the run is killed and that is a failure."""
        try:
            code = self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            self._drain()
            raise AssertionError(f"the run did not end within {timeout_s} s:\n{self.output}") from None
        self._drain()
        return code

    def _drain(self) -> None:
        while (line := self._queue.get(timeout=5)) is not None:
            self.lines.append(line)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
