"""pytest plugin: bench options, OCTT markers, the csms / station / operator fixtures, evidence.

Loaded through the ``pytest11`` entry point, so any pytest run in an environment with the
harness installed can use ``--bench``. Everything runs on one session-scoped event loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from harness import catalog
from harness.bench import Bench, BenchError, csms_config, default_bench_path, load_bench
from harness.csms.files import FileServer
from harness.csms.ftp import FtpFileServer
from harness.csms.ocpp16.preconditions import Baseline16
from harness.csms.ocpp16.preconditions import ensure_core_preconditions as ensure_core_preconditions_16
from harness.csms.server import CsmsServer
from harness.csms.session import StationSession
from harness.emulator.config import StationConfig
from harness.emulator.ocpp16 import EmulatedStation16
from harness.emulator.quirks import QUIRKS
from harness.emulator.station import EmulatedStation
from harness.evidence import interop_matrix, steps
from harness.evidence.environment import harness_properties, station_properties, write_environment
from harness.evidence.journal_evidence import attach_journal, write_journal_file
from harness.evidence.labels import allure_labels
from harness.evidence.measurements import MeasurementLog
from harness.evidence.steps import allure_test_uuid
from harness.lab.facade import Lab, LabUnavailable
from harness.operator import ActionUnavailable, ConsolePrompter, Operator, operator_for
from harness.pki import TestPki
from harness.preconditions import Baseline, ensure_core_preconditions

log = logging.getLogger("harness")

# The lab (instruments) and the EV side have their own fixture modules, loaded with this one.
pytest_plugins = ["harness.pytest_lab", "harness.pytest_ev"]

BENCH_KEY = pytest.StashKey[Bench]()
MARK_KEY = pytest.StashKey[int]()
MEASUREMENTS_KEY = pytest.StashKey[MeasurementLog]()
INTEROP_KEY = pytest.StashKey[list[interop_matrix.Cell]]()
CSMS_KEY = pytest.StashKey[CsmsServer]()
# The emulated station for each OCPP version: one station, a 1.6J edge over it (DESIGN.md).
STATION_CLASSES: dict[str, type[EmulatedStation]] = {"2.0.1": EmulatedStation, "2.1": EmulatedStation,
                                                     "1.6": EmulatedStation16}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("charger-harness", "charger test harness")
    group.addoption("--bench", default=None, metavar="FILE",
                    help="bench file (YAML); default: the built-in emulated bench")
    group.addoption("--station-quirk", action="append", default=[], metavar="NAME",
                    help="switch on a non-conformance of the emulated station (self-tests); "
                         f"known: {', '.join(sorted(QUIRKS))}")
    group.addoption("--profile", action="append", default=[], metavar="NAME",
                    help="run only cases of this certification profile (repeatable)")
    group.addoption("--octt", action="append", default=[], metavar="ID",
                    help="run only the test(s) implementing this OCTT case id (repeatable)")
    group.addoption("--case", action="append", default=[], metavar="ID",
                    help="run only the test(s) of this case id: an OCTT id or a harness case id "
                         "such as PWR_01 (repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "octt(test_case_id): the OCA test case this test implements, e.g. TC_B_01_CS",
        "requires(*features): skip unless the station's feature sheet claims every feature",
        "profile(*names): certification profile(s) the test belongs to",
        "case(case_id, source): a harness case outside the OCTT catalogue (power, interop), "
        "with the clause it checks, e.g. case('PWR_03', 'IEC 61851-23 ...')",
        "ocpp_version(version): the OCPP version the test speaks ('2.0.1', '1.6'); skip unless "
        "the bench's station.ocpp_version is that (default: from the suite directory)",
    ):
        config.addinivalue_line("markers", line)


def _bench(config: pytest.Config) -> Bench:
    if BENCH_KEY not in config.stash:
        path = config.getoption("--bench") or os.environ.get("HARNESS_BENCH") or default_bench_path()
        try:
            bench = load_bench(path)
        except BenchError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[BENCH_KEY] = bench
    return config.stash[BENCH_KEY]


def bench_of(config: pytest.Config) -> Bench:
    """The run's bench (``--bench``, ``HARNESS_BENCH`` or the built-in emulated one), for
    suites that parametrize from it at collection time."""
    return _bench(config)


def _profiles_of(item: pytest.Item) -> set[str]:
    names: set[str] = set()
    for mark in item.iter_markers("profile"):
        names.update(mark.args)
    octt = item.get_closest_marker("octt")
    case = catalog.find(octt.args[0]) if octt and octt.args else None
    if case is not None:
        names.update(case.applicability)
    return names


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("--profile") or [])
    ids = set(config.getoption("--octt") or []) | set(config.getoption("--case") or [])
    if not wanted and not ids:
        return
    keep, drop = [], []
    for item in items:
        octt = item.get_closest_marker("octt")
        selected = octt is None or not wanted or bool(_profiles_of(item) & wanted)
        if ids:
            selected = _case_id(item) in ids
        (keep if selected else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _case_id(item: pytest.Item) -> str | None:
    for name in ("octt", "case"):
        mark = item.get_closest_marker(name)
        if mark is not None and mark.args:
            return str(mark.args[0])
    return None


# Suites written for one OCPP version, by directory (an ``ocpp_version`` marker overrides).
# The power and interop suites run on either (harness/csms/charger_view.py).
SUITE_VERSIONS = {"ocpp201": "2.0.1", "ocpp16": "1.6"}


def _ocpp_version_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("ocpp_version")
    if mark is not None and mark.args:
        return str(mark.args[0])
    parts = item.path.parts if item.path else ()
    if "suites" in parts:
        return next((SUITE_VERSIONS[p] for p in parts if p in SUITE_VERSIONS), None)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    _bind_allure_parent(item)  # allure's own setup wrapper has created the result by now
    version = _ocpp_version_of(item)
    if version is not None:
        bench = _bench(item.config)
        if bench.station.ocpp_version != version:
            pytest.skip(f"an OCPP {version} case; station {bench.station.id} speaks OCPP "
                        f"{bench.station.ocpp_version} (station.ocpp_version in {bench.path})")
    case = item.get_closest_marker("case")
    if case is not None:
        _label_case(item, case)
    octt = item.get_closest_marker("octt")
    if octt is None:
        return
    bench = _bench(item.config)
    for mark in item.iter_markers("requires"):
        missing = [f for f in mark.args if not bench.claims(f)]
        if missing:
            pytest.skip(f"station {bench.station.id} does not claim {', '.join(missing)} "
                        f"(feature sheet in {bench.path})")
    case_id = octt.args[0]
    case = catalog.find(case_id)
    if case is None:
        raise pytest.UsageError(f"{item.nodeid}: unknown OCTT id {case_id!r}")
    claimed = set(bench.station.profiles) | {"Core"}
    if not set(case.applicability) & claimed:
        pytest.skip(f"{case_id} belongs to {', '.join(case.applicability)}, which "
                    f"{bench.station.id} does not claim")
    _label(item, case, bench)


def _label_case(item: pytest.Item, mark: pytest.Mark) -> None:
    """Allure labels of a harness case: its id, the suite as feature, the clause as story."""
    import allure

    if len(mark.args) != 2:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.case needs (case_id, source clause)")
    case_id, source = mark.args
    suite = item.path.parent.name if item.path else ""
    allure.dynamic.label("as_id", case_id)
    allure.dynamic.feature({"power": "Power delivery", "interop": "Interoperability"}.get(suite, suite))
    allure.dynamic.story(source)
    allure.dynamic.label("requirement", source)
    allure.dynamic.parameter("station", _bench(item.config).station.id, excluded=False)


def _label(item: pytest.Item, case: catalog.TestCase, bench: Bench) -> None:
    """Allure labels: OCTT id, block as feature, profile as epic; station as a parameter."""
    import allure

    info = allure_labels(case.id, case.version)
    for name, value in info.labels:
        allure.dynamic.label(name, value)
    allure.dynamic.parameter("station", bench.station.id, excluded=False)
    for requirement in info.requirements:
        allure.dynamic.label("requirement", requirement)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Bind the Allure test result as the parent of our async-aware steps for this test."""
    token = steps.bind_test(None)
    try:
        return (yield)
    finally:
        steps.unbind(token)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """Title the Allure result "<OCTT id> <case name>" (allure-pytest names it at the end of
    setup, so doing it earlier would be overwritten)."""
    octt = item.get_closest_marker("octt")
    known = catalog.find(octt.args[0]) if octt is not None and octt.args else None
    if known is not None:
        import allure

        allure.dynamic.title(allure_labels(known.id, known.version).title)
    case = item.get_closest_marker("case")
    if case is not None and case.args:
        import allure

        doc = (getattr(item, "obj", None).__doc__ or "").strip().splitlines()
        allure.dynamic.title(f"{case.args[0]} {doc[0].rstrip('.') if doc else item.name}")


def _bind_allure_parent(item: pytest.Item) -> None:
    uuid = allure_test_uuid(item)
    if uuid is not None:
        steps.bind_test(uuid)


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Iterator[Any]:
    """Protocol violations the station committed during the test fail it, frame quoted; so do
    measurements outside their limits; a case needing an instrument the bench lacks skips."""
    try:
        result = yield
    except LabUnavailable as exc:
        pytest.skip(f"bench {_bench(pyfuncitem.config).name}: {exc}")
    log_ = pyfuncitem.stash.get(MEASUREMENTS_KEY, None)
    if log_ is not None and log_.failures():
        raise AssertionError(log_.failure_message())
    session: StationSession | None = pyfuncitem.funcargs.get("station")  # type: ignore[assignment]
    if isinstance(session, StationSession) and MARK_KEY in pyfuncitem.stash:
        findings = session.findings_since(pyfuncitem.stash[MARK_KEY])
        if findings:
            lines = "\n".join(f"  {f}" for f in findings)
            raise AssertionError(
                f"{session.station_id} violated OCPP-J during this test "
                f"({len(findings)} finding(s)):\n{lines}")
    return result


# ---- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def bench(request: pytest.FixtureRequest) -> Bench:
    """The bench under test, from ``--bench`` (default: the built-in emulated bench)."""
    return _bench(request.config)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def csms(request: pytest.FixtureRequest, bench: Bench, pki: TestPki) -> AsyncIterator[CsmsServer]:
    """The harness CSMS, listening for the bench's station for the whole run. For a station
    of security profile 2 or 3 it serves TLS (wss://) with the run's CSMS server certificate
    and asks for client certificates chaining to the run's CSMS root (required at the upgrade
    for profile 3; OCPP 2.0.1 A00, 1.6 Security Whitepaper 2.2 / 2.4)."""
    config = csms_config(bench)
    if bench.station.security_profile >= 2:
        from harness.csms import tls

        config.ssl_context = tls.server_context(pki.csms_server, client_ca_pems=[pki.csms_root.pem])
    server = CsmsServer(config)
    await server.start()
    request.config.stash[CSMS_KEY] = server
    log.info("harness CSMS listening at %s", server.url())
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture(scope="session")
def pki(bench: Bench) -> TestPki:
    """The run's test PKI (CSMS root, CSMS server and station certificates, ...), made at run
    time; the server certificate names the bench's CSMS host."""
    host = bench.csms.host if bench.csms.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return TestPki(bench.station.id, csms_host=host)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def emulated_station(
    request: pytest.FixtureRequest, bench: Bench, csms: CsmsServer, pki: TestPki
) -> AsyncIterator[EmulatedStation | None]:
    """The built-in emulated station, when the bench says ``mode: emulated``; else None.
    Pre-provisioned like a charger from the factory of the bench's CPO: the run's CSMS root
    and its station certificate (for security profiles 2 and 3)."""
    if bench.station.mode != "emulated":
        yield None
        return
    config = StationConfig.from_bench(bench, csms_url=csms.url())
    config.quirks |= set(request.config.getoption("--station-quirk") or [])
    roots = config.ca_certificates.setdefault("CSMSRootCertificate", [])
    if pki.csms_root.pem not in roots:
        roots.append(pki.csms_root.pem)
    if not config.options.get("no_station_certificate", False):  # A05.FR.03 variant (TC_A_21)
        config.client_cert_pem = config.client_cert_pem or pki.station_cert.chain_pem
        config.client_key_pem = config.client_key_pem or pki.station_cert.key_pem
    station = STATION_CLASSES[config.ocpp_version](config)
    await station.start()
    try:
        yield station
    finally:
        await station.stop()


@pytest.fixture(scope="session")
def file_server(bench: Bench) -> Iterator[FileServer | FtpFileServer]:
    """The server on the CSMS host receiving log uploads and serving files to the station:
    HTTP, or FTP when the bench says the station only speaks FTP (``csms.file_transfer``)."""
    kind = FtpFileServer if bench.csms.file_transfer == "ftp" else FileServer
    server: FileServer | FtpFileServer = kind(host=bench.csms.host, public_host=bench.csms.advertised_host())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def measurements(request: pytest.FixtureRequest) -> Iterator[MeasurementLog]:
    """Measured values with limits; any FAIL fails the test (after all are recorded), and the
    table is attached to the report."""
    log_ = MeasurementLog()
    request.node.stash[MEASUREMENTS_KEY] = log_
    yield log_
    if len(log_):
        parent = allure_test_uuid(request.node)
        steps.attach(log_.to_json(), "measurements.json", "application/json", "json", parent=parent)
        steps.attach(log_.table(), "measurements.txt", "text/plain", "txt", parent=parent)


class SkippingOperator:
    """An operator whose unavailable actions skip the test with the reason (no hands, no test)."""

    def __init__(self, inner: Operator) -> None:
        self.inner = inner

    async def _do(self, action: str, *args: Any) -> Any:
        try:
            return await getattr(self.inner, action)(*args)
        except ActionUnavailable as exc:
            pytest.skip(f"bench action {action} unavailable: {exc}")

    async def plug_in(self, evse: int = 1, connector: int = 1) -> None:
        await self._do("plug_in", evse, connector)

    async def unplug(self, evse: int = 1, connector: int = 1) -> None:
        await self._do("unplug", evse, connector)

    async def present_id_token(self, id_token: str, type: str = "ISO14443",
                               evse: int | None = None) -> None:
        await self._do("present_id_token", id_token, type, evse)

    async def power_cycle(self) -> None:
        await self._do("power_cycle")

    async def read_screen(self, evse: int | None = None) -> str | None:
        """What the station's screen shows (a bench action; skips where nobody can read it)."""
        return await self._do("read_screen", evse)  # type: ignore[no-any-return]

    async def ev_plug_and_charge(self, emaid: str, contract_certificate: str,
                                 evse: int | None = None) -> None:
        await self._do("ev_plug_and_charge", emaid, contract_certificate, evse)

    async def ev_certificate_request(self, action: str, exi_request: str,
                                     evse: int | None = None) -> str | None:
        return await self._do("ev_certificate_request", action, exi_request,  # type: ignore[no-any-return]
                              evse)

    async def ev_renegotiate(self, evse: int | None = None) -> None:
        await self._do("ev_renegotiate", evse)

    async def ev_stop_charging(self, evse: int | None = None) -> None:
        await self._do("ev_stop_charging", evse)

    async def press_emergency_stop(self) -> None:
        await self._do("press_emergency_stop")

    async def inject_fault(self, evse: int, connector: int, fault: str) -> None:
        await self._do("inject_fault", evse, connector, fault)

    async def clear_fault(self, evse: int, connector: int, fault: str) -> None:
        await self._do("clear_fault", evse, connector, fault)

    async def parking_bay(self, evse: int, occupied: bool) -> None:
        await self._do("parking_bay", evse, occupied)

    async def master_pass_select(self, evse: int) -> None:
        await self._do("master_pass_select", evse)


class TerminalPrompter:
    """Asks the person at the bench through the real terminal, with pytest's capture paused
    (pytest replaces stdin and captures fd 1, so a plain prompt could never be answered)."""

    def __init__(self, config: pytest.Config) -> None:
        self.capman = config.pluginmanager.getplugin("capturemanager")
        self.console = ConsolePrompter(stdin=sys.__stdin__, stdout=sys.__stdout__)

    def interactive(self) -> bool:
        return self.console.interactive()

    async def ask(self, text: str, timeout: float) -> None:
        paused = self.capman.global_and_fixture_disabled() if self.capman else contextlib.nullcontext()
        with paused:
            await self.console.ask(text, timeout)


@pytest.fixture(scope="session")
def operator(request: pytest.FixtureRequest, bench: Bench,
             emulated_station: EmulatedStation | None) -> SkippingOperator:
    """Plug in, unplug, badge, power-cycle: automatic on the emulated bench; on a real bench by
    the configured command / HTTP call, else by asking the person at the terminal; an action
    nobody can perform skips the test with the reason."""
    relays = None
    if any(action.method == "relay" for action in bench.actions.values()):
        lab: Lab = request.getfixturevalue("lab_session")
        relays = lab.relay
    return SkippingOperator(operator_for(bench, emulated_station, TerminalPrompter(request.config),
                                         relays))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def baseline(bench: Bench, csms: CsmsServer, emulated_station: Any) -> Baseline | Baseline16:
    """Variable values (1.6: configuration keys) the station had when the run began, restored
    after tests change them."""
    return Baseline16(bench) if bench.station.ocpp_version == "1.6" else Baseline(bench)


@pytest_asyncio.fixture(loop_scope="session")
async def station(
    request: pytest.FixtureRequest,
    bench: Bench,
    csms: CsmsServer,
    emulated_station: EmulatedStation | None,
    operator: SkippingOperator,
    baseline: Baseline | Baseline16,
) -> AsyncIterator[StationSession]:
    """The session of the station under test, in the Core preconditions (Accepted, idle, no
    transaction, known variable values). Its journal is attached to the test's report
    whatever the outcome."""
    session = csms.session(bench.station.id)
    session.redact = [p for p in (bench.station.password,) if p]
    connect_within = max(bench.csms.message_timeout * 3, 10.0)
    if bench.station.mode == "external":
        connect_within = max(connect_within, 300.0)
    mark = session.journal.mark()
    request.node.stash[MARK_KEY] = mark
    try:
        with steps.step("precondition: station connected, Accepted, idle"):
            if isinstance(baseline, Baseline16):
                await ensure_core_preconditions_16(session, bench, operator, baseline, connect_within)
            else:
                await ensure_core_preconditions(session, bench, operator, baseline, connect_within)
        mark = session.begin_test()
        request.node.stash[MARK_KEY] = mark
        yield session
    finally:
        session.restore_responders()
        try:
            await baseline.restore(session)
        except Exception as exc:  # the next test's preconditions deal with it; say so
            log.warning("could not restore the variables %s changed on %s: %s",
                        request.node.nodeid, session.station_id, exc)
        _attach_journal(request.node, session, mark)


def _attach_journal(node: pytest.Item, session: StationSession, mark: int) -> None:
    try:
        attach_journal(session, mark, session.redact, parent=allure_test_uuid(node))
    except Exception as exc:  # evidence must never hide the verdict, but say it is missing
        log.error("could not attach the journal of %s: %s", session.station_id, exc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Remember each interop case's verdict per connector configuration (the ``plug``
    parameter) for the run's interop matrix."""
    report: pytest.TestReport = yield
    callspec = getattr(item, "callspec", None)
    case = item.get_closest_marker("case")
    if callspec is None or case is None or "plug" not in callspec.params:
        return report
    if report.when == "call" or (report.when == "setup" and not report.passed):
        verdict = ("passed" if report.passed else "skipped" if report.skipped
                   else "failed" if report.when == "call" else "broken")
        doc = (getattr(item, "obj", None).__doc__ or "").strip().splitlines()
        check = doc[0].rstrip(".") if doc else item.name
        item.config.stash.setdefault(INTEROP_KEY, []).append(
            interop_matrix.Cell(str(case.args[0]), check, str(callspec.params["plug"]), verdict))
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write Allure's environment.properties with the station's identity from its boot, and
    the whole run's journal of every station as JSON lines beside the results (the run-level
    record, complete even where a per-test attachment could not be written)."""
    results = session.config.getoption("allure_report_dir", None)
    if not results or BENCH_KEY not in session.config.stash:
        return
    bench = session.config.stash[BENCH_KEY]
    server = session.config.stash.get(CSMS_KEY, None)
    sessions = server.sessions if server is not None else {}
    boot = sessions[bench.station.id].state.boot if bench.station.id in sessions else None
    props = {**station_properties(boot, bench.station.id), **harness_properties(),
             "Station.OcppVersion": bench.station.ocpp_version, "Bench": str(bench.path or "")}
    write_environment(Path(results), props)
    cells = session.config.stash.get(INTEROP_KEY, [])
    if cells:
        interop_matrix.write_allure_result(Path(results), interop_matrix.build(cells), bench.station.id)
    for station_id, station_session in sessions.items():
        write_journal_file(station_session, Path(results) / f"ocpp-journal-{station_id}.jsonl",
                           station_session.redact)
