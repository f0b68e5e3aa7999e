"""The ``harness`` command: certify, report, coverage and emulate, thin over pytest and the library.

Heavy or optional parts (pytest, the emulator, the evidence writers) are imported inside the
subcommand that needs them, so ``harness coverage`` works even while those are broken.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.bench import BenchError, default_bench_path, load_bench
from harness.coverage import CoverageError

Handler = Callable[[argparse.Namespace], int]


# ---- coverage ---------------------------------------------------------------------------
def cmd_coverage(args: argparse.Namespace) -> int:
    from harness import catalog
    from harness.coverage import compute, default_suites_dir, format_text

    suites = Path(args.suites) if args.suites else default_suites_dir()
    versions = [args.ocpp_version] if args.ocpp_version else list(catalog.VERSIONS)
    reports = [compute(suites, version=v) for v in versions]
    if args.json:
        data = [r.to_json() for r in reports]
        print(json.dumps(data[0] if args.ocpp_version else data, indent=2))
    else:
        print("\n\n".join(format_text(r, all_missing=args.missing) for r in reports))
    return 0


# ---- emulate ----------------------------------------------------------------------------
async def run_emulator(args: argparse.Namespace) -> None:
    """Run one emulated station against ``args.csms`` until Ctrl-C or SIGTERM."""
    from harness.emulator.station import EmulatedStation, StationConfig

    if args.bench:
        cfg = StationConfig.from_bench(load_bench(args.bench), csms_url=args.csms)
        overrides: dict[str, Any] = {}
        if args.id is not None:
            overrides["station_id"] = args.id
        if args.password is not None:
            overrides["password"] = args.password
        if args.quirk:
            overrides["quirks"] = set(cfg.quirks) | set(args.quirk)
        cfg = dataclasses.replace(cfg, **overrides)
    else:
        cfg = StationConfig(station_id=args.id or "CS001", password=args.password,
                            csms_url=args.csms, quirks=set(args.quirk))
    station = EmulatedStation(cfg)
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    # SIGTERM (a CI runner, systemd) stops the station as cleanly as Ctrl-C does. Not
    # possible on Windows or outside the main thread; Ctrl-C still works there.
    on_term = False
    if task is not None:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            on_term = True
    print(f"emulated station {cfg.station_id} -> {cfg.csms_url} (Ctrl-C to stop)",
          file=sys.stderr)
    try:
        await station.run_forever()
    finally:
        await station.stop()  # close the websocket properly: the CSMS sees a clean close
        if on_term:
            loop.remove_signal_handler(signal.SIGTERM)


def cmd_emulate(args: argparse.Namespace) -> int:
    try:
        asyncio.run(run_emulator(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("emulated station stopped", file=sys.stderr)
    return 0


# ---- certify / report -------------------------------------------------------------------
def cmd_certify(args: argparse.Namespace) -> int:
    import pytest

    from harness.coverage import default_suites_dir

    bench = Path(args.bench) if args.bench else default_bench_path()
    load_bench(bench)  # refuse a broken bench before pytest starts, with the field path
    suites = Path(args.suites) if args.suites else default_suites_dir()
    pytest_args = [str(suites), "--bench", str(bench), "--alluredir", str(args.results),
                   "--clean-alluredir",  # a certificate describes one run, not a pile of runs
                   *args.pytest_args]
    print(f"harness: pytest {' '.join(pytest_args)}", file=sys.stderr)
    code = int(pytest.main(pytest_args))
    report_code = cmd_report(args)
    return code or report_code


def cmd_report(args: argparse.Namespace) -> int:
    try:
        from harness.evidence.report import generate_html
        from harness.evidence.summary import write_summary
    except ImportError as exc:
        print(f"harness: cannot write the report, evidence writers unavailable: {exc}",
              file=sys.stderr)
        return 2
    results, out = Path(args.results), Path(args.out)
    if not results.is_dir():
        print(f"harness: no Allure results in {results} (run `harness certify` first)",
              file=sys.stderr)
        return 2
    from harness.evidence.report import ReportError

    out.mkdir(parents=True, exist_ok=True)
    summary = write_summary(results, out)
    totals = summary.get("totals", {})
    print("certification summary: " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    for name, p in summary.get("profiles", {}).items():
        if p.get("implemented"):
            verdict = "complete" if p.get("complete") else "incomplete"
            print(f"  {name}: {p.get('passed', 0)}/{p.get('mandatory_total', 0)} mandatory "
                  f"cases passed, {p.get('failed', 0)} failed, {p.get('skipped', 0)} skipped "
                  f"({verdict})")
    print(f"summary: {out / 'summary.md'} and {out / 'summary.json'}")
    try:
        html = generate_html(results, out / "html")
    except ReportError as exc:
        print(f"harness: HTML report not written: {exc}", file=sys.stderr)
        return 1
    if html is None:
        print("report:  not generated (Allure 2 commandline or Java missing; `make certify` "
              "installs them)")
    else:
        print(f"report:  {html}")
    return 0


# ---- wiring ----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness", description="Test and certification harness for DC fast chargers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        # allow_abbrev=False: certify hands unknown options to pytest; a prefix must not be
        # taken for one of ours (e.g. pytest's --s... options).
        p = sub.add_parser(name, help=help, description=help, allow_abbrev=False)
        p.set_defaults(handler=handler)
        return p

    p = add("certify", cmd_certify, "run the suites against a bench, then write the report "
            "(other arguments go to pytest)")
    p.add_argument("--bench", metavar="FILE", help="bench file (default: the emulated bench)")
    p.add_argument("--suites", metavar="PATH", help="suites directory (default: installed)")
    _results_options(p)

    p = add("report", cmd_report, "write the certification summary and HTML report")
    _results_options(p)

    p = add("coverage", cmd_coverage, "OCTT catalogue coverage of the suites, per profile")
    p.add_argument("--suites", metavar="PATH", help="suites directory (default: installed)")
    p.add_argument("--missing", action="store_true", help="list all missing ids, "
                   "conditional ones too (default: missing mandatory ids only)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--ocpp-version", choices=("2.0.1", "1.6"), metavar="V",
                   help="one version's catalogue (default: 2.0.1 and 1.6, one after the other)")

    p = add("emulate", cmd_emulate, "run the emulated charging station against a CSMS")
    p.add_argument("--csms", required=True, metavar="URL",
                   help="CSMS base URL, e.g. ws://127.0.0.1:9000/ocpp (the id is appended)")
    p.add_argument("--id", metavar="ID", help="station identity (default: the bench's, or CS001)")
    p.add_argument("--password", metavar="P", help="HTTP Basic auth password")
    p.add_argument("--quirk", action="append", default=[], metavar="NAME",
                   help="switch on a non-conformance (repeatable)")
    p.add_argument("--bench", metavar="FILE", help="take the station's setup from a bench file")
    return parser


def _results_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--results", default="reports/allure-results", metavar="DIR",
                   help="Allure results directory (default: %(default)s)")
    p.add_argument("--out", default="reports", metavar="DIR",
                   help="where the summary and html/ go (default: %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and extra[0] == "--":
        extra = extra[1:]
    if extra and args.command != "certify":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.pytest_args = extra
    try:
        return int(args.handler(args))
    except (BenchError, CoverageError) as exc:
        print(f"harness {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
