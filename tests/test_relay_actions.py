"""Bench actions performed by a relay board: the emulated bench's simulated Numato board cuts
the emulated station's AC supply through its ``power_cut`` channel."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.bench import BenchError, default_bench_path, load_bench

ROOT = Path(__file__).resolve().parents[1]


def _bench_with(tmp_path: Path, action: dict) -> Path:
    data = yaml.safe_load(default_bench_path().read_text())
    data["actions"] = {"power_cycle": action}
    path = tmp_path / "relay-bench.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_relay_action_names_a_relay_channel(tmp_path: Path) -> None:
    path = _bench_with(tmp_path, {"relay": {"channel": "power_cut", "seconds": 0.3}})
    action = load_bench(path).actions["power_cycle"]
    assert (action.method, action.relay.channel, action.relay.seconds) == ("relay", "power_cut", 0.3)
    with pytest.raises(BenchError) as err:
        load_bench(_bench_with(tmp_path, {"relay": {"channel": "power_cutt", "seconds": 1}}))
    assert err.value.field == "actions.power_cycle.relay.channel"
    assert "did you mean 'power_cut'?" in str(err.value)
    with pytest.raises(BenchError, match="at most 60 s"):
        load_bench(_bench_with(tmp_path, {"relay": {"channel": "power_cut", "seconds": 600}}))


def test_power_cycle_through_the_relay_reboots_the_station(pytester: pytest.Pytester,
                                                           tmp_path: Path) -> None:
    bench = _bench_with(tmp_path, {"relay": {"channel": "power_cut", "seconds": 0.3}})
    pytester.makepyfile(test_cycle='''
        async def test_cycle(station, operator, lab):
            await operator.power_cycle()
            boot = await station.expect("BootNotification", {"reason": "PowerUp"}, within=10)
            assert boot["chargingStation"]
            board, channel = lab.relay("power_cut")
            assert board.get(channel) is False  # released after the pulse
    ''')
    result = pytester.runpytest_inprocess("-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
                                          "--bench", str(bench), "-p", "no:randomly", "-q")
    result.assert_outcomes(passed=1)
