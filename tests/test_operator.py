"""Operator actions: each configured method really runs, and failures say what happened."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.bench import ActionSpec, HttpSpec, parse_bench
from harness.operator import (
    ActionUnavailable,
    ConfiguredOperator,
    ConsolePrompter,
    EmulatedOperator,
    OperatorError,
    manual_operator,
    operator_for,
)

PY = shlex.quote(sys.executable)


def command(name: str, cmd: str, timeout: float = 10) -> dict[str, ActionSpec]:
    return {name: ActionSpec(name, "command", timeout, command=cmd)}


class FakePrompter:
    def __init__(self, interactive: bool) -> None:
        self._interactive = interactive
        self.asked: list[tuple[str, float]] = []

    def interactive(self) -> bool:
        return self._interactive

    async def ask(self, text: str, timeout: float) -> None:
        self.asked.append((text, timeout))


class Recorder:
    """Stands in for the emulated station (or any operator) and records calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    async def plug_in(self, evse: int, connector: int) -> None:
        self.calls.append(("plug_in", (evse, connector)))

    async def unplug(self, evse: int, connector: int) -> None:
        self.calls.append(("unplug", (evse, connector)))

    async def present_id_token(self, id_token: str, type: str = "ISO14443",
                               evse: int | None = None) -> None:
        self.calls.append(("present_id_token", (id_token, type, evse)))

    async def power_cycle(self) -> None:
        self.calls.append(("power_cycle", ()))


# ---- command --------------------------------------------------------------------------
async def test_command_runs_with_parameters(tmp_path: Path) -> None:
    out = tmp_path / "plugged.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(' '.join(sys.argv[2:]))"
    cmd = f"{PY} -c {shlex.quote(script)} {shlex.quote(str(out))} {{station}} {{evse}} {{connector}}"
    op = ConfiguredOperator(command("plug_in", cmd), station_id="CS001")
    await op.plug_in(2, 1)
    assert out.read_text() == "CS001 2 1"


async def test_read_screen_is_the_command_output_and_never_a_prompt() -> None:
    """``read_screen``: a command's (or HTTP answer's) text; blank means the idle screen; a person
    cannot type it back, so a prompt (or no action on a real bench) makes it unavailable."""
    script = "print('  Price: 0.45 USD/kWh  ')"
    op = ConfiguredOperator(command("read_screen", f"{PY} -c {shlex.quote(script)} {{evse}}"))
    assert await op.read_screen(1) == "Price: 0.45 USD/kWh"
    blank = ConfiguredOperator(command("read_screen", f"{PY} -c {shlex.quote('print()')}"))
    assert await blank.read_screen() is None
    person = manual_operator("CS001", FakePrompter(interactive=True))
    with pytest.raises(ActionUnavailable, match=r"needs actions\.read_screen as a command or an http"):
        await person.read_screen(1)


async def test_command_parameters_are_shell_quoted(tmp_path: Path) -> None:
    out = tmp_path / "token.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(repr(sys.argv[2:]))"
    cmd = f"{PY} -c {shlex.quote(script)} {shlex.quote(str(out))} {{id_token}} {{type}} {{evse}}"
    op = ConfiguredOperator(command("present_id_token", cmd))
    token = f"A B; touch {tmp_path / 'pwned'}"
    await op.present_id_token(token, "ISO15693")
    assert out.read_text() == repr([token, "ISO15693"])  # a None evse is left out
    assert not (tmp_path / "pwned").exists()


async def test_command_failure_reports_exit_code_and_output() -> None:
    script = "import sys; print('moving arm'); print('robot: arm jammed', file=sys.stderr); " \
             "sys.exit(3)"
    op = ConfiguredOperator(command("unplug", f"{PY} -c {shlex.quote(script)}"))
    with pytest.raises(OperatorError) as info:
        await op.unplug(1, 1)
    text = str(info.value)
    assert "unplug:" in text and "exited with 3" in text
    assert "moving arm" in text and "robot: arm jammed" in text


async def test_command_timeout_kills_the_process(tmp_path: Path) -> None:
    marker = tmp_path / "late.txt"
    script = f"import time, pathlib; time.sleep(1); pathlib.Path({str(marker)!r}).write_text('x')"
    op = ConfiguredOperator(command("power_cycle", f"{PY} -c {shlex.quote(script)}",
                                    timeout=0.3))
    started = time.monotonic()
    with pytest.raises(OperatorError, match=r"did not finish in 0.3 s \(killed\)"):
        await op.power_cycle()
    assert time.monotonic() - started < 0.9
    await asyncio.sleep(1.3)
    assert not marker.exists(), "the timed-out command kept running"


# ---- http -----------------------------------------------------------------------------
@pytest.fixture
def http_server() -> Iterator[tuple[str, list[dict[str, Any]], dict[str, int]]]:
    """A lab-automation stand-in on 127.0.0.1: records requests, answers with ``reply``."""
    seen: list[dict[str, Any]] = []
    reply = {"status": 200}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen.append({"method": self.command, "path": self.path,
                         "headers": dict(self.headers), "body": body})
            self.send_response(reply["status"])
            self.end_headers()
            self.wfile.write(b"robot says: " + str(reply["status"]).encode())

        do_GET = do_POST = do_PUT = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen, reply
    finally:
        server.shutdown()
        server.server_close()


def http_action(name: str, base: str, **kw: Any) -> dict[str, ActionSpec]:
    spec = HttpSpec(method=kw.pop("method", "POST"), url=base + kw.pop("path", "/"), **kw)
    return {name: ActionSpec(name, "http", 5, http=spec)}


async def test_http_action_sends_formatted_request(http_server: Any) -> None:
    base, seen, _ = http_server
    actions = http_action("unplug", base, path="/unplug/{station}?evse={evse}",
                          json={"evse": "{evse}", "label": "EVSE {evse}/{connector}"},
                          headers={"X-Station": "{station}"})
    await ConfiguredOperator(actions, station_id="CS 1").unplug(2, 1)
    [request] = seen
    assert request["method"] == "POST"
    assert request["path"] == "/unplug/CS%201?evse=2"
    assert json.loads(request["body"]) == {"evse": 2, "label": "EVSE 2/1"}
    assert request["headers"]["X-Station"] == "CS 1"
    assert request["headers"]["Content-Type"] == "application/json"


async def test_http_get_without_body(http_server: Any) -> None:
    base, seen, _ = http_server
    await ConfiguredOperator(http_action("power_cycle", base, method="GET",
                                         path="/cycle")).power_cycle()
    assert seen[0]["method"] == "GET" and seen[0]["body"] == b""


async def test_http_non_2xx_is_an_error(http_server: Any) -> None:
    base, _, reply = http_server
    reply["status"] = 503
    op = ConfiguredOperator(http_action("plug_in", base, path="/plug"))
    with pytest.raises(OperatorError, match=r"plug_in: POST .*/plug answered HTTP 503") as info:
        await op.plug_in(1, 1)
    assert "robot says: 503" in str(info.value)


async def test_http_unreachable_is_an_error(http_server: Any) -> None:
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    op = ConfiguredOperator(http_action("plug_in", f"http://127.0.0.1:{port}"))
    with pytest.raises(OperatorError, match="failed"):
        await op.plug_in(1, 1)


# ---- prompt ---------------------------------------------------------------------------
async def test_prompt_when_not_interactive_is_unavailable_with_reason() -> None:
    actions = {"present_id_token": ActionSpec("present_id_token", "prompt", 5,
                                              prompt="Badge {id_token} on EVSE {evse}")}
    op = ConfiguredOperator(actions, prompter=FakePrompter(interactive=False))
    with pytest.raises(ActionUnavailable) as info:
        await op.present_id_token("TOKEN1", evse=2)
    assert "Badge TOKEN1 on EVSE 2" in info.value.reason
    assert "not interactive" in info.value.reason


async def test_prompt_default_console_is_not_interactive_under_pytest() -> None:
    # pytest's captured stdin is no terminal; CI has no stdin at all.
    op = manual_operator("CS001")
    with pytest.raises(ActionUnavailable, match="power_cycle needs a person"):
        await op.power_cycle()


async def test_prompt_when_interactive_asks_with_formatted_text() -> None:
    prompter = FakePrompter(interactive=True)
    await manual_operator("CS001", prompter, timeout=42).plug_in(1, 2)
    assert prompter.asked == [("Plug connector 2 of EVSE 1 into the EV.", 42)]


async def test_console_prompter_waits_for_enter() -> None:
    out = io.StringIO()
    await ConsolePrompter(io.StringIO("\n"), out).ask("Press the e-stop", 5)
    assert "OPERATOR: Press the e-stop" in out.getvalue()


async def test_console_prompter_skip_and_eof_are_unavailable() -> None:
    with pytest.raises(ActionUnavailable, match="could not"):
        await ConsolePrompter(io.StringIO("skip\n"), io.StringIO()).ask("x", 5)
    with pytest.raises(ActionUnavailable, match="stdin closed"):
        await ConsolePrompter(io.StringIO(""), io.StringIO()).ask("x", 5)


async def test_console_prompter_times_out_and_reuses_the_reader() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd) as stdin, os.fdopen(write_fd, "w") as feed:
        prompter = ConsolePrompter(stdin, io.StringIO())
        assert not prompter.interactive()  # a pipe is not a terminal
        with pytest.raises(OperatorError, match=r"nobody confirmed 'first' within 0.2 s"):
            await prompter.ask("first", 0.2)
        pending = prompter._pending
        second = asyncio.create_task(prompter.ask("second", 5))
        await asyncio.sleep(0.05)
        feed.write("\n")
        feed.flush()
        await second  # answered through the reader left waiting by the first prompt
        assert prompter._pending is pending


async def test_console_prompter_ignores_enter_pressed_between_prompts() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd) as stdin, os.fdopen(write_fd, "w") as feed:
        prompter = ConsolePrompter(stdin, io.StringIO())
        with pytest.raises(OperatorError):
            await prompter.ask("first", 0.1)
        feed.write("\n")  # too late for the first, too early for the next
        feed.flush()
        await asyncio.sleep(0.1)
        with pytest.raises(OperatorError, match="nobody confirmed 'next'"):
            await prompter.ask("next", 0.2)


# ---- fallbacks and the emulated station ------------------------------------------------
async def test_unconfigured_action_without_fallback_is_unavailable() -> None:
    with pytest.raises(ActionUnavailable, match=r"configure actions\.unplug"):
        await ConfiguredOperator({}).unplug(1, 1)


async def test_unconfigured_action_goes_to_fallback(tmp_path: Path) -> None:
    recorder = Recorder()
    out = tmp_path / "cycled"
    op = ConfiguredOperator(command("power_cycle", f"touch {shlex.quote(str(out))}"), recorder)
    await op.plug_in(1, 2)
    await op.present_id_token("T", "Central", 1)
    await op.power_cycle()
    assert recorder.calls == [("plug_in", (1, 2)), ("present_id_token", ("T", "Central", 1))]
    assert out.exists()


async def test_emulated_operator_calls_the_station() -> None:
    station = Recorder()
    op = EmulatedOperator(station)
    await op.plug_in(1, 1)
    await op.unplug(1, 1)
    await op.present_id_token("VALIDTOKEN01")
    await op.power_cycle()
    assert station.calls == [("plug_in", (1, 1)), ("unplug", (1, 1)),
                             ("present_id_token", ("VALIDTOKEN01", "ISO14443", None)),
                             ("power_cycle", ())]


async def test_emulated_operator_without_the_method_is_unavailable() -> None:
    with pytest.raises(ActionUnavailable, match=r"cannot power_cycle\(\)"):
        await EmulatedOperator(object()).power_cycle()


BENCH = {"station": {"id": "CS9", "security_profile": 0,
                     "evses": [{"id": 1, "connectors": [{"id": 1, "type": "cCCS1"}]}]}}


async def test_operator_for_an_emulated_bench_drives_the_station() -> None:
    station = Recorder()
    op = operator_for(parse_bench(BENCH, env={}), station)
    await op.plug_in(1, 1)
    assert station.calls == [("plug_in", (1, 1))]
    with pytest.raises(ValueError, match="needs the emulated station"):
        operator_for(parse_bench(BENCH, env={}))


async def test_operator_for_an_external_bench_asks_a_person() -> None:
    data = {**BENCH, "csms": {"port": 9000},
            "station": {**BENCH["station"], "mode": "external"},
            "actions": {"plug_in": {"command": "true"}}}
    bench = parse_bench(data, env={})
    prompter = FakePrompter(interactive=True)
    op = operator_for(bench, prompter=prompter)
    await op.plug_in(1, 1)  # configured: runs the command, asks nobody
    await op.power_cycle()  # not configured: a person is asked
    assert prompter.asked == [("Switch charging station CS9 off, wait 10 s, and switch it on.",
                               300.0)]
    with pytest.raises(ActionUnavailable):
        await operator_for(bench, prompter=FakePrompter(interactive=False)).unplug(1, 1)
