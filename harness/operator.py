"""Operator actions on a bench: plug in, unplug, present an id token, power-cycle.

Suites call ``bench.operator`` and never ask how an action happens. On the emulated bench the
emulated station does it; on a real bench each action is a shell command, an HTTP request to
lab automation, or a prompt to a person; when nobody can do it the test is skipped with the
reason (:class:`ActionUnavailable`), never silently passed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import shlex
import signal
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TextIO

from harness.bench import ACTION_PARAMETERS, ActionSpec, Bench
from harness.evidence.steps import attach, step


class ActionUnavailable(Exception):
    """Nobody on this bench can perform the action; the plugin turns it into ``pytest.skip``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OperatorError(RuntimeError):
    """An action was attempted and failed (non-zero exit, HTTP error, timeout)."""


class Operator(Protocol):
    """The manual steps of a test, whoever performs them."""

    async def plug_in(self, evse: int, connector: int) -> None: ...

    async def unplug(self, evse: int, connector: int) -> None: ...

    async def present_id_token(self, id_token: str, type: str = "ISO14443",
                               evse: int | None = None) -> None: ...

    async def power_cycle(self) -> None: ...

    async def read_screen(self, evse: int | None = None) -> str | None: ...

    async def ev_plug_and_charge(self, emaid: str, contract_certificate: str,
                                 evse: int | None = None) -> None: ...

    async def ev_certificate_request(self, action: str, exi_request: str,
                                     evse: int | None = None) -> str | None: ...

    async def ev_renegotiate(self, evse: int | None = None) -> None: ...

    async def ev_stop_charging(self, evse: int | None = None) -> None: ...

    async def press_emergency_stop(self) -> None: ...

    async def inject_fault(self, evse: int, connector: int, fault: str) -> None: ...

    async def clear_fault(self, evse: int, connector: int, fault: str) -> None: ...

    async def parking_bay(self, evse: int, occupied: bool) -> None: ...

    async def master_pass_select(self, evse: int) -> None: ...


class Prompter(Protocol):
    """Asks a person to do something and waits for confirmation."""

    def interactive(self) -> bool: ...

    async def ask(self, text: str, timeout: float) -> None: ...


# ---- emulated ---------------------------------------------------------------------------
class EmulatedOperator:
    """Performs each action by calling the same-named coroutine on the emulated station."""

    def __init__(self, target: Any) -> None:
        self.target = target

    async def _call(self, name: str, *args: Any) -> Any:
        method = getattr(self.target, name, None)
        if method is None:
            raise ActionUnavailable(f"the emulated station {type(self.target).__name__} "
                                    f"cannot {name}() yet")
        with step(f"Operator (emulated): {name}", **_named(name, args)):
            return await method(*args)

    async def read_screen(self, evse: int | None = None) -> str | None:
        # no Allure step per reading: suites poll the screen
        method = getattr(self.target, "read_screen", None)
        if method is None:
            raise ActionUnavailable(f"the emulated station {type(self.target).__name__} has no screen")
        return await method(evse)  # type: ignore[no-any-return]

    async def plug_in(self, evse: int, connector: int) -> None:
        await self._call("plug_in", evse, connector)

    async def unplug(self, evse: int, connector: int) -> None:
        await self._call("unplug", evse, connector)

    async def present_id_token(self, id_token: str, type: str = "ISO14443",
                               evse: int | None = None) -> None:
        await self._call("present_id_token", id_token, type, evse)

    async def power_cycle(self) -> None:
        await self._call("power_cycle")

    async def ev_plug_and_charge(self, emaid: str, contract_certificate: str,
                                 evse: int | None = None) -> None:
        await self._call("ev_plug_and_charge", emaid, contract_certificate, evse)

    async def ev_certificate_request(self, action: str, exi_request: str,
                                     evse: int | None = None) -> str | None:
        return await self._call("ev_certificate_request", action, exi_request,  # type: ignore[no-any-return]
                                evse)

    async def ev_renegotiate(self, evse: int | None = None) -> None:
        await self._call("ev_renegotiate", evse)

    async def ev_stop_charging(self, evse: int | None = None) -> None:
        await self._call("ev_stop_charging", evse)

    async def press_emergency_stop(self) -> None:
        await self._call("press_emergency_stop")

    async def inject_fault(self, evse: int, connector: int, fault: str) -> None:
        await self._call("inject_fault", evse, connector, fault)

    async def clear_fault(self, evse: int, connector: int, fault: str) -> None:
        await self._call("clear_fault", evse, connector, fault)

    async def parking_bay(self, evse: int, occupied: bool) -> None:
        await self._call("parking_bay", evse, occupied)

    async def master_pass_select(self, evse: int) -> None:
        await self._call("master_pass_select", evse)


def _named(name: str, args: tuple[Any, ...]) -> dict[str, Any]:
    params = [p for p in ACTION_PARAMETERS[name] if p != "station"]
    return dict(zip(params, args, strict=False))


# ---- configured (real bench) -----------------------------------------------------------
DEFAULT_PROMPTS = {
    "plug_in": "Plug connector {connector} of EVSE {evse} into the EV.",
    "unplug": "Unplug connector {connector} of EVSE {evse} from the EV.",
    "present_id_token": "Present id token {id_token} ({type}) at the reader of EVSE {evse}.",
    "power_cycle": "Switch charging station {station} off, wait 10 s, and switch it on.",
    "read_screen": "Read what the screen of EVSE {evse} shows.",
    "ev_plug_and_charge": "Plug an ISO 15118 EV into EVSE {evse} and start Plug & Charge with the "
                          "contract certificate of EMAID {emaid} (chain in this step's parameters).",
    "ev_certificate_request": "Make the ISO 15118 EV at EVSE {evse} send a Certificate{action}Req "
                              "(EXI in this step's parameters).",
    "ev_renegotiate": "Make the ISO 15118 EV at EVSE {evse} renegotiate its charging schedule "
                      "(PowerDeliveryReq Renegotiate, then ChargeParameterDiscoveryReq).",
    "ev_stop_charging": "Make the ISO 15118 EV at EVSE {evse} end charging (PowerDeliveryReq "
                        "Stop, then SessionStopReq Terminate); leave it plugged in.",
    "press_emergency_stop": "Press the emergency stop of charging station {station}, then "
                            "release (reset) it.",
    "inject_fault": "Provoke fault {fault} on connector {connector} of EVSE {evse} (for "
                    "ConnectorLockFailure: block the connector lock where it is).",
    "clear_fault": "Remove the cause of fault {fault} on connector {connector} of EVSE {evse}.",
    "parking_bay": "Make the parking bay sensor of EVSE {evse} see it occupied: {occupied} (drive "
                   "a car in, or out).",
    "master_pass_select": "On the Master Pass screen, stop the transaction of EVSE {evse} (EVSE "
                          "0: stop all transactions).",
}


class ConfiguredOperator:
    """Fulfils each action as the bench file configures it; unconfigured ones go to
    ``fallback`` (the emulated station, or a person), else raise :class:`ActionUnavailable`."""

    def __init__(self, actions: Mapping[str, ActionSpec], fallback: Operator | None = None, *,
                 station_id: str = "", prompter: Prompter | None = None,
                 relays: Callable[[str], tuple[Any, int]] | None = None) -> None:
        """``relays``: the bench's relay (board, channel) for a channel function name."""
        self.actions = actions
        self.fallback = fallback
        self.station_id = station_id
        self.prompter: Prompter = prompter or ConsolePrompter()
        self.relays = relays

    async def plug_in(self, evse: int, connector: int) -> None:
        await self._run("plug_in", {"evse": evse, "connector": connector},
                        lambda op: op.plug_in(evse, connector))

    async def unplug(self, evse: int, connector: int) -> None:
        await self._run("unplug", {"evse": evse, "connector": connector},
                        lambda op: op.unplug(evse, connector))

    async def present_id_token(self, id_token: str, type: str = "ISO14443",
                               evse: int | None = None) -> None:
        await self._run("present_id_token", {"id_token": id_token, "type": type, "evse": evse},
                        lambda op: op.present_id_token(id_token, type, evse))

    async def power_cycle(self) -> None:
        await self._run("power_cycle", {}, lambda op: op.power_cycle())

    async def read_screen(self, evse: int | None = None) -> str | None:
        """The text on the station's screen (None: its own idle screen, nothing set)."""
        spec = self.actions.get("read_screen")
        if spec is not None and spec.method not in ("command", "http"):
            raise ActionUnavailable("reading the screen needs actions.read_screen as a command or an "
                                    "http request that returns the text (a camera with OCR, a debug API)")
        text = await self._run("read_screen", {"evse": evse}, lambda op: op.read_screen(evse))
        return text.strip() or None if isinstance(text, str) else None

    async def ev_plug_and_charge(self, emaid: str, contract_certificate: str,
                                 evse: int | None = None) -> None:
        await self._run("ev_plug_and_charge", {"evse": evse, "emaid": emaid,
                                               "contract_certificate": contract_certificate},
                        lambda op: op.ev_plug_and_charge(emaid, contract_certificate, evse))

    async def ev_certificate_request(self, action: str, exi_request: str,
                                     evse: int | None = None) -> str | None:
        """The EXI response the EV received (base64; "" when none), or None when the bench
        cannot tell (a person did it)."""
        text = await self._run("ev_certificate_request",
                               {"evse": evse, "action": action, "exi_request": exi_request},
                               lambda op: op.ev_certificate_request(action, exi_request, evse))
        return text.strip() if isinstance(text, str) else None

    async def ev_renegotiate(self, evse: int | None = None) -> None:
        await self._run("ev_renegotiate", {"evse": evse}, lambda op: op.ev_renegotiate(evse))

    async def ev_stop_charging(self, evse: int | None = None) -> None:
        await self._run("ev_stop_charging", {"evse": evse}, lambda op: op.ev_stop_charging(evse))

    async def press_emergency_stop(self) -> None:
        await self._run("press_emergency_stop", {}, lambda op: op.press_emergency_stop())

    async def inject_fault(self, evse: int, connector: int, fault: str) -> None:
        await self._run("inject_fault", {"evse": evse, "connector": connector, "fault": fault},
                        lambda op: op.inject_fault(evse, connector, fault))

    async def clear_fault(self, evse: int, connector: int, fault: str) -> None:
        await self._run("clear_fault", {"evse": evse, "connector": connector, "fault": fault},
                        lambda op: op.clear_fault(evse, connector, fault))

    async def parking_bay(self, evse: int, occupied: bool) -> None:
        await self._run("parking_bay", {"evse": evse, "occupied": occupied},
                        lambda op: op.parking_bay(evse, occupied))

    async def master_pass_select(self, evse: int) -> None:
        await self._run("master_pass_select", {"evse": evse},
                        lambda op: op.master_pass_select(evse))

    async def _run(self, name: str, params: dict[str, Any],
                   delegate: Callable[[Operator], Awaitable[Any]]) -> Any:
        spec = self.actions.get(name)
        if spec is None:
            if self.fallback is None:
                raise ActionUnavailable(f"this bench cannot {name}: configure actions.{name} "
                                        f"(command, http or prompt) in the bench file")
            return await delegate(self.fallback)
        params = {"station": self.station_id, **params}
        with step(f"Operator ({spec.method}): {name}", **params):
            if spec.method == "relay":
                await self._relay(spec)
                return None
            return await FULFILLERS[spec.method](spec, params, self.prompter)

    async def _relay(self, spec: ActionSpec) -> None:
        """Energize the relay channel for its time, then release it (released even if the
        wait is interrupted)."""
        assert spec.relay is not None
        if self.relays is None:
            raise ActionUnavailable(f"actions.{spec.name} uses relay {spec.relay.channel!r} but the "
                                    f"run has no lab instruments")
        board, channel = self.relays(spec.relay.channel)
        await asyncio.wait_for(asyncio.to_thread(board.set, channel, True), spec.timeout)
        try:
            await asyncio.sleep(spec.relay.seconds)
        finally:
            await asyncio.wait_for(asyncio.to_thread(board.set, channel, False), spec.timeout)


async def run_command(spec: ActionSpec, params: Mapping[str, Any], prompter: Prompter) -> str:
    """Run the action's shell command (values are shell-quoted, a None value is empty); its
    standard output is the action's answer (``read_screen``)."""
    assert spec.command is not None
    quoted = {k: "" if v is None else shlex.quote(str(v)) for k, v in params.items()}
    command = spec.command.format(**quoted)
    proc = await asyncio.create_subprocess_shell(
        command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,  # its own process group, so a timeout kills its children too
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), spec.timeout)
    except TimeoutError:
        raise OperatorError(f"{spec.name}: `{command}` did not finish in {spec.timeout:g} s "
                            f"(killed)") from None
    finally:
        if proc.returncode is None:  # timed out or cancelled (Ctrl-C): leave nothing running
            _kill_group(proc)
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
    stdout, stderr = out.decode(errors="replace"), err.decode(errors="replace")
    attach(f"$ {command}\n--- exit {proc.returncode}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
           f"{spec.name} command", "text/plain", "txt")
    if proc.returncode != 0:
        raise OperatorError(f"{spec.name}: `{command}` exited with {proc.returncode}"
                            f"{_tail('stdout', stdout)}{_tail('stderr', stderr)}")
    return stdout


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows has no process groups here
            proc.kill()


def _tail(label: str, text: str, lines: int = 15, chars: int = 1500) -> str:
    if not text.strip():
        return ""
    tail = "\n".join(text.rstrip().splitlines()[-lines:])[-chars:]
    return f"\n  {label} (last lines):\n    " + tail.replace("\n", "\n    ")


async def run_http(spec: ActionSpec, params: Mapping[str, Any], prompter: Prompter) -> str:
    """Send the action's HTTP request; anything but a 2xx answer is an :class:`OperatorError`;
    the answer's body (first 4 KiB) is the action's answer."""
    http = spec.http
    assert http is not None
    url = http.url.format(**{k: urllib.parse.quote("" if v is None else str(v), safe="")
                             for k, v in params.items()})
    headers = {k: v.format(**_text(params)) for k, v in http.headers.items()}
    body = None
    if http.json is not None:
        body = json.dumps(_fill_json(http.json, params)).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=body, headers=headers, method=http.method)

    def send() -> tuple[int, str]:
        try:
            with urllib.request.urlopen(request, timeout=spec.timeout) as response:
                return response.status, response.read(4096).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(4096).decode(errors="replace")

    where = f"{spec.name}: {http.method} {url}"
    try:
        # urlopen's timeout is per socket operation; bound the whole exchange as well.
        status, text = await asyncio.wait_for(asyncio.to_thread(send), spec.timeout + 1)
    except TimeoutError:
        raise OperatorError(f"{where} got no answer in {spec.timeout:g} s") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise OperatorError(f"{where} failed: {reason}") from exc
    attach(f"{http.method} {url}\n{body.decode() if body else ''}\n--- {status}\n{text}",
           f"{spec.name} http", "text/plain", "txt")
    if not 200 <= status < 300:
        raise OperatorError(f"{where} answered HTTP {status}{_tail('body', text)}")
    return text


def _text(params: Mapping[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in params.items()}


def _fill_json(value: Any, params: Mapping[str, Any]) -> Any:
    """Format strings in a JSON body; a string that is exactly ``"{name}"`` keeps the value's
    own type, so ``{"evse": "{evse}"}`` sends ``{"evse": 1}`` rather than ``"1"``."""
    if isinstance(value, str):
        inner = value[1:-1]
        if value.startswith("{") and value.endswith("}") and inner in params:
            return params[inner]
        return value.format(**_text(params))
    if isinstance(value, dict):
        return {k: _fill_json(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_json(v, params) for v in value]
    return value


async def run_prompt(spec: ActionSpec, params: Mapping[str, Any], prompter: Prompter) -> None:
    """Ask a person; without a terminal there is nobody to ask, so the action is unavailable."""
    template = spec.prompt or DEFAULT_PROMPTS[spec.name]
    text = template.format(**{k: "any" if v is None else str(v) for k, v in params.items()})
    if not prompter.interactive():
        raise ActionUnavailable(f"{spec.name} needs a person (\"{text}\") but the run is not "
                                f"interactive (no terminal on stdin)")
    await prompter.ask(text, spec.timeout)


#: How each configured method is carried out (bench ``actions.<name>.<method>``).
FULFILLERS: dict[str, Callable[[ActionSpec, Mapping[str, Any], Prompter], Awaitable[str | None]]] = {
    "command": run_command,
    "http": run_http,
    "prompt": run_prompt,
}


# ---- a person at a console -------------------------------------------------------------
class ConsolePrompter:
    """Prints an instruction and waits for Enter (``skip`` + Enter: the person cannot do it).

    Reading runs in a daemon thread rather than ``asyncio.to_thread``: a readline that outlives
    its timeout would otherwise keep the executor, and so the interpreter's exit, waiting for a
    key press. A reader still waiting after a timeout is reused by the next prompt, so one
    Enter never answers two prompts.
    """

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        # Resolved at use, not here: pytest swaps sys.stdin/sys.stdout while capturing.
        self._stdin, self._stdout = stdin, stdout
        self._pending: concurrent.futures.Future[str] | None = None

    def interactive(self) -> bool:
        stdin = self._stdin or sys.stdin
        try:
            return stdin is not None and stdin.isatty()
        except (AttributeError, ValueError):  # closed or replaced stream
            return False

    async def ask(self, text: str, timeout: float) -> None:
        out = self._stdout or sys.stdout
        print(f"\n>>> OPERATOR: {text}\n    Press Enter when done, or type 'skip' "
              f"(waiting {timeout:g} s) ", end="", file=out, flush=True)
        if self._pending is None or self._pending.done():
            self._pending = self._start_reader(self._stdin or sys.stdin)
        try:
            line = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._pending)),
                                          timeout)
        except TimeoutError:
            raise OperatorError(f"nobody confirmed {text!r} within {timeout:g} s") from None
        if line == "":
            raise ActionUnavailable(f"stdin closed while asking: {text}")
        if line.strip().lower() == "skip":
            raise ActionUnavailable(f"the operator could not: {text}")

    @staticmethod
    def _start_reader(stdin: TextIO) -> concurrent.futures.Future[str]:
        future: concurrent.futures.Future[str] = concurrent.futures.Future()

        def read() -> None:
            try:
                future.set_result(stdin.readline())
            except Exception as exc:
                future.set_exception(exc)

        threading.Thread(target=read, name="operator-prompt", daemon=True).start()
        return future


# ---- choosing an operator for a bench ----------------------------------------------------
def manual_operator(station_id: str = "", prompter: Prompter | None = None,
                    timeout: float = 300.0) -> ConfiguredOperator:
    """An operator that asks a person for every action (skips when nobody can answer)."""
    actions = {name: ActionSpec(name, "prompt", timeout) for name in ACTION_PARAMETERS}
    return ConfiguredOperator(actions, station_id=station_id, prompter=prompter)


Relays = Callable[[str], tuple[Any, int]] | None


def _for_emulated(bench: Bench, target: Any, prompter: Prompter | None, relays: Relays) -> Operator:
    if target is None:
        raise ValueError("an emulated bench needs the emulated station to act on")
    return ConfiguredOperator(bench.actions, EmulatedOperator(target),
                              station_id=bench.station.id, prompter=prompter, relays=relays)


def _for_external(bench: Bench, target: Any, prompter: Prompter | None, relays: Relays) -> Operator:
    person = manual_operator(bench.station.id, prompter)
    return ConfiguredOperator(bench.actions, person, station_id=bench.station.id,
                              prompter=prompter, relays=relays)


#: Which operator a bench gets, by ``station.mode``. Configured actions always win; what is
#: left falls back to the emulated station, or to a person.
OPERATORS: dict[str, Callable[[Bench, Any, Prompter | None, Relays], Operator]] = {
    "emulated": _for_emulated,
    "external": _for_external,
}


def operator_for(bench: Bench, target: Any = None, prompter: Prompter | None = None,
                 relays: Relays = None) -> Operator:
    """The operator for ``bench``; ``target`` is the emulated station on an emulated bench;
    ``relays`` finds the bench relay for a ``relay`` action."""
    return OPERATORS[bench.station.mode](bench, target, prompter, relays)
