"""The ``harness`` command: argument handling, and each subcommand wired to the library."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from harness import cli
from harness.bench import csms_config, default_bench_path, load_bench
from harness.csms.server import CsmsServer


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# ---- coverage ---------------------------------------------------------------------------
@pytest.fixture
def suites(tmp_path: Path) -> Path:
    (tmp_path / "test_a.py").write_text(
        'import pytest\n@pytest.mark.octt("TC_B_01_CS")\ndef test_boot(): pass\n')
    return tmp_path


def test_coverage_text(suites: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["coverage", "--suites", str(suites)], capsys)
    assert code == 0
    assert "1 catalogue cases implemented" in out
    assert "Core: missing mandatory" in out
    assert "missing conditional" not in out


def test_coverage_missing_lists_conditional_too(suites: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["coverage", "--suites", str(suites), "--missing"], capsys)
    assert "Core: missing conditional" in out


def test_coverage_json(suites: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["coverage", "--suites", str(suites), "--json", "--ocpp-version", "2.0.1"],
                       capsys)
    data = json.loads(out)
    assert code == 0 and data["implemented"] == ["TC_B_01_CS"]
    core = next(p for p in data["profiles"] if p["profile"] == "Core")
    assert core["mandatory"]["implemented"] == 1
    assert "TC_B_01_CS" not in core["mandatory"]["missing"]


def test_coverage_counts_each_version_against_its_own_catalogue(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "test_a.py").write_text(
        'import pytest\n@pytest.mark.octt("TC_B_01_CS")\ndef test_boot(): pass\n'
        '@pytest.mark.octt("TC_001_CS")\ndef test_boot16(): pass\n')
    code, out, _ = run(["coverage", "--suites", str(tmp_path), "--json"], capsys)
    by_version = {r["ocpp_version"]: r for r in json.loads(out)}
    assert code == 0 and set(by_version) == {"2.0.1", "1.6"}
    assert by_version["2.0.1"]["implemented"] == ["TC_B_01_CS"]
    assert by_version["1.6"]["implemented"] == ["TC_001_CS"]
    assert not by_version["1.6"]["unknown_ids"] and not by_version["2.0.1"]["unknown_ids"]
    _, text, _ = run(["coverage", "--suites", str(tmp_path)], capsys)
    assert "OCPP 2.0.1:" in text and "OCPP 1.6:" in text and "Remote Trigger" in text


def test_coverage_bad_dir_is_a_clean_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["coverage", "--suites", str(tmp_path / "nope")], capsys)
    assert code == 2 and "not a directory" in err


def test_unknown_arguments_are_refused_outside_certify(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["coverage", "-k", "x"])
    assert info.value.code == 2
    assert "unrecognized arguments: -k x" in capsys.readouterr().err


# ---- certify / report ---------------------------------------------------------------------
@pytest.fixture
def evidence(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path, Path]]:
    """Stand-ins for the evidence writers, recording what they were asked."""
    calls: list[tuple[str, Path, Path]] = []
    summary = types.ModuleType("harness.evidence.summary")
    report = types.ModuleType("harness.evidence.report")

    def write_summary(results: Path, out: Path) -> dict[str, Any]:
        calls.append(("summary", results, out))
        return {"totals": {"passed": 1}, "profiles": {"Core": {
            "implemented": 1, "passed": 1, "mandatory_total": 104, "complete": False}}}

    def generate_html(results: Path, out: Path) -> Path:
        calls.append(("html", results, out))
        return out / "index.html"

    summary.write_summary = write_summary  # type: ignore[attr-defined]
    report.generate_html = generate_html  # type: ignore[attr-defined]
    report.ReportError = type("ReportError", (RuntimeError,), {})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "harness.evidence.summary", summary)
    monkeypatch.setitem(sys.modules, "harness.evidence.report", report)
    return calls


def test_certify_runs_pytest_then_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             evidence: list[Any],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[list[str]] = []

    def fake_main(args: list[str]) -> int:
        seen.append(args)
        (tmp_path / "results").mkdir()
        return 1  # tests failed: the report is still written, the exit code kept

    monkeypatch.setattr(pytest, "main", fake_main)
    results, out = tmp_path / "results", tmp_path / "out"
    code, stdout, _ = run(["certify", "--suites", str(tmp_path), "--results", str(results),
                           "--out", str(out), "-k", "boot", "-x"], capsys)
    assert code == 1
    assert seen == [[str(tmp_path), "--bench", str(default_bench_path()), "--alluredir",
                     str(results), "--clean-alluredir", "-k", "boot", "-x"]]
    assert evidence == [("summary", results, out), ("html", results, out / "html")]
    assert str(out / "html" / "index.html") in stdout


def test_certify_passes_arguments_after_double_dash(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    evidence: list[Any],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(pytest, "main", lambda args: seen.append(args) or 0)
    (tmp_path / "r").mkdir()
    code, _, _ = run(["certify", "--suites", str(tmp_path), "--results", str(tmp_path / "r"),
                      "--out", str(tmp_path), "--", "--results", "x"], capsys)
    assert code == 0
    assert seen[0][-2:] == ["--results", "x"]


def test_certify_refuses_a_broken_bench_before_pytest(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bench = tmp_path / "b.yaml"
    bench.write_text("station: {id: CS1, evses: [], pasword: x}\n")
    monkeypatch.setattr(pytest, "main", lambda args: pytest.fail("pytest must not run"))
    code, _, err = run(["certify", "--bench", str(bench)], capsys)
    assert code == 2
    assert f"{bench}: station.pasword: unknown key (did you mean 'password'?)" in err


def test_report_without_results(tmp_path: Path, evidence: list[Any],
                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["report", "--results", str(tmp_path / "none")], capsys)
    assert code == 2 and "no Allure results" in err and evidence == []


def test_report_without_evidence_writers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "harness.evidence.summary", None)  # import fails
    code, _, err = run(["report", "--results", str(tmp_path)], capsys)
    assert code == 2 and "evidence writers unavailable" in err


# ---- emulate ----------------------------------------------------------------------------
@dataclass
class FakeConfig:
    station_id: str = "CS001"
    csms_url: str = ""
    password: str | None = None
    quirks: set[str] = field(default_factory=set)

    @classmethod
    def from_bench(cls, bench: Any, csms_url: str | None = None) -> FakeConfig:
        return cls(bench.station.id, csms_url or "", bench.station.password,
                   set(bench.emulator.quirks))


@pytest.fixture
def fake_emulator(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    events: list[Any] = []

    class FakeStation:
        def __init__(self, config: FakeConfig) -> None:
            events.append(config)

        async def run_forever(self) -> None:
            events.append("running")
            raise KeyboardInterrupt  # what Ctrl-C does inside asyncio.run

        async def stop(self) -> None:
            events.append("stopped")

    module = types.ModuleType("harness.emulator.station")
    module.EmulatedStation = FakeStation  # type: ignore[attr-defined]
    module.StationConfig = FakeConfig  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "harness.emulator.station", module)
    return events


def test_emulate_standalone_and_ctrl_c_exits_cleanly(fake_emulator: list[Any],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["emulate", "--csms", "ws://h:9/ocpp", "--id", "CS7", "--password",
                        "p" * 16, "--quirk", "a", "--quirk", "b"], capsys)
    assert code == 0
    assert fake_emulator == [FakeConfig("CS7", "ws://h:9/ocpp", "p" * 16, {"a", "b"}),
                             "running", "stopped"]
    assert "emulated station stopped" in err


def test_emulate_from_bench_with_overrides(fake_emulator: list[Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(["emulate", "--csms", "ws://h:9/", "--bench", str(default_bench_path()),
                      "--id", "OTHER", "--quirk", "q"], capsys)
    assert code == 0
    config = fake_emulator[0]
    assert (config.station_id, config.csms_url, config.quirks) == ("OTHER", "ws://h:9/", {"q"})
    assert config.password == load_bench(default_bench_path()).station.password


def test_emulate_requires_the_csms_url(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["emulate", "--id", "CS1"])
    assert "--csms" in capsys.readouterr().err


async def test_run_emulator_connects_the_real_station_to_a_csms() -> None:
    bench = load_bench(default_bench_path())
    async with CsmsServer(csms_config(bench)) as csms:
        args = argparse.Namespace(csms=csms.url(), id=bench.station.id,
                                  password=bench.station.password, quirk=[], bench=None)
        task = asyncio.create_task(cli.run_emulator(args))
        try:
            session = csms.session(bench.station.id)
            await session.wait_connected(within=10)
            boot = await session.expect("BootNotification", within=10, since=0)
            assert boot["chargingStation"]["model"]
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await session.wait_disconnected(within=5)


def test_emulate_stops_cleanly_on_sigterm() -> None:
    import signal
    import subprocess

    # Nobody listens on the port: the station keeps retrying until it is told to stop.
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "emulate", "--csms",
                             "ws://127.0.0.1:9/", "--id", "CS1"],
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the banner: the signal handler is installed by now
        assert "emulated station CS1" in line
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "emulated station stopped" in err
