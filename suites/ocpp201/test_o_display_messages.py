"""OCTT block O (DisplayMessage), Charging Station side, Advanced User Interface.

OCPP 2.0.1 Part 2: O01 (Set DisplayMessage), O03/O04 (Get DisplayMessages), O06 (Replace
DisplayMessage). What the station stores is checked over OCPP (GetDisplayMessages ->
NotifyDisplayMessages); what its screen shows is read by the bench action ``read_screen`` (the
emulated station answers it itself; a lab configures a command or an HTTP request that returns
the text, e.g. a camera with OCR); where nobody can read the screen, the screen checks skip
with the reason after the OCPP part has passed. Every test clears the messages it set,
whatever its outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from harness.evidence.steps import step
from suites.ocpp201.provisioning import reboot_within
from suites.ocpp201.support import start_charging, tx_id, variable_ref
from suites.ocpp201.test_g_availability import change_availability, make_inoperative
from suites.ocpp201.transactions import end_by_unplug

PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
CONTENT = {"ASCII": "OCTT ASCII message", "HTML": "<b>OCTT</b> HTML message",
           "URI": "https://example.com/octt", "UTF8": "OCTT UTF8 message \u00e4\u00f6\u00fc"}
_ids = iter(random.Random().sample(range(10_000, 2_000_000_000), 1000))
_request_ids = iter(random.Random().sample(range(10_000, 2_000_000_000), 1000))


def iso_in(seconds: float) -> str:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Display:
    """What the station supports, the messages a test set (cleared afterwards), its screen."""

    def __init__(self, station: StationSession, bench: Bench, operator: Any) -> None:
        self.station = station
        self.bench = bench
        self.operator = operator
        self.ids: list[int] = []
        self.formats: list[str] = []
        self.priorities: list[str] = []

    async def read_support(self) -> None:
        reply = await self.station.call("GetVariables", {"getVariableData": [
            variable_ref("DisplayMessageCtrlr", "SupportedFormats"),
            variable_ref("DisplayMessageCtrlr", "SupportedPriorities")]})
        values = [r.get("attributeValue", "") if r["attributeStatus"] == "Accepted" else None
                  for r in reply["getVariableResult"]]
        assert values[0] is not None and values[1] is not None, (
            "GetVariables DisplayMessageCtrlr.SupportedFormats / SupportedPriorities: a station "
            f"with display messages must report both; it answered {reply['getVariableResult']}")
        self.formats = [f for f in str(values[0]).split(",") if f]
        self.priorities = [p for p in PRIORITIES if p in str(values[1]).split(",")]
        assert self.formats and self.priorities, (
            f"DisplayMessageCtrlr reports no supported format ({values[0]!r}) or priority "
            f"({values[1]!r})")

    @property
    def format(self) -> str:
        """The format the test messages use: UTF8 or ASCII when supported."""
        return next((f for f in ("UTF8", "ASCII") if f in self.formats), self.formats[0])

    @property
    def top(self) -> str:
        return self.priorities[0]

    def info(self, content: str, *, priority: str | None = None, message_id: int | None = None,
             fmt: str | None = None, language: str | None = None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"format": fmt or self.format, "content": content}
        if language:
            body["language"] = language
        mid = message_id if message_id is not None else next(_ids)
        return {"id": mid, "priority": priority or self.top, "message": body, **extra}

    async def set(self, info: dict[str, Any], expect: str = "Accepted", why: str = "") -> Message:
        if info["id"] not in self.ids:
            self.ids.append(info["id"])
        reply = await self.station.call("SetDisplayMessage", {"message": info})
        assert reply["status"] == expect, (
            f"SetDisplayMessage id {info['id']} ({info['priority']}, {info['message']['format']}"
            + "".join(f", {k} {info[k]}" for k in ("state", "startDateTime", "endDateTime")
                      if k in info)
            + f"){' ' + why if why else ''}: expected {expect}, the station answered "
            f"{reply['status']} {reply.get('statusInfo') or ''}".rstrip())
        return reply

    async def get(self, **filters: Any) -> tuple[str, list[dict[str, Any]]]:
        """GetDisplayMessages with ``filters``; the status and every reported message."""
        request_id = next(_request_ids)
        reply = await self.station.call("GetDisplayMessages", {"requestId": request_id, **filters})
        if reply["status"] != "Accepted":
            return str(reply["status"]), []
        found: list[dict[str, Any]] = []
        while True:
            part = await self.station.expect("NotifyDisplayMessages", {"requestId": request_id},
                                             within=self.bench.csms.message_timeout)
            found += list(part.get("messageInfo") or [])
            if not part.get("tbc"):
                return "Accepted", found

    async def stored(self, info: dict[str, Any], why: str) -> dict[str, Any]:
        """GetDisplayMessages for the id: exactly that message, as set (O04)."""
        status, found = await self.get(id=[info["id"]])
        assert status == "Accepted", (
            f"GetDisplayMessages id [{info['id']}] {why}: expected Accepted (O04.FR.01), the "
            f"station answered {status}")
        assert [m.get("id") for m in found] == [info["id"]], (
            f"GetDisplayMessages id [{info['id']}] {why}: NotifyDisplayMessages must report "
            f"exactly that message (O04.FR.03); it reported ids {[m.get('id') for m in found]}")
        got = found[0]
        for key in ("priority", "state"):
            assert got.get(key) == info.get(key), (
                f"message {info['id']} {why}: {key} reported {got.get(key)!r}, set {info.get(key)!r}")
        sent, back = info["message"], got.get("message") or {}
        assert (back.get("content"), back.get("format")) == (sent["content"], sent["format"]), (
            f"message {info['id']} {why}: reported content {back.get('content')!r} "
            f"({back.get('format')}), set {sent['content']!r} ({sent['format']})")
        return got

    # ---- the screen ------------------------------------------------------------------------
    async def screen(self) -> str | None:
        """The text on the screen (bench action ``read_screen``; skips where nobody can read it)."""
        return await self.operator.read_screen()  # type: ignore[no-any-return]

    async def shows(self, content: str, within: float, why: str) -> None:
        with step(f"the screen shows {content!r} within {within:g} s"):
            deadline = time.monotonic() + within
            while (now := await self.screen()) != content:
                if time.monotonic() >= deadline:
                    raise AssertionError(
                        f"{why}: the screen must show {content!r} within {within:g} s; it "
                        f"shows {now!r}")
                await asyncio.sleep(0.05)

    async def never_shows(self, content: str, during: float, why: str) -> None:
        with step(f"the screen does not show {content!r} for {during:g} s"):
            deadline = time.monotonic() + during
            while True:
                now = await self.screen()
                assert now != content, f"{why}: the screen must not show {content!r}, but it does"
                if time.monotonic() >= deadline:
                    return
                await asyncio.sleep(0.05)

    async def takes_turns(self, contents: list[str], within: float, why: str, *,
                          never: str | None = None) -> None:
        """Each of ``contents`` is on the screen at some moment within ``within`` s (they are
        cycled); ``never`` is not shown meanwhile."""
        with step(f"the screen shows each of {contents} within {within:g} s"):
            deadline = time.monotonic() + within
            seen: set[str] = set()
            while seen != set(contents):
                now = await self.screen()
                assert never is None or now != never, (
                    f"{why}: the screen must not show {never!r} meanwhile, but it does")
                if now in contents:
                    seen.add(now)
                if time.monotonic() >= deadline:
                    raise AssertionError(
                        f"{why}: the screen must show each of {contents} in turn within "
                        f"{within:g} s; it showed only {sorted(seen)} (now {now!r})")
                await asyncio.sleep(0.05)

    def needs(self, priority: str) -> None:
        if priority not in self.priorities:
            pytest.skip(f"the station does not support priority {priority} "
                        f"(DisplayMessageCtrlr.SupportedPriorities: {self.priorities})")

    async def clear(self) -> None:
        for mid in self.ids:
            with contextlib.suppress(Exception):
                await self.station.call("ClearDisplayMessage", {"id": mid})


@pytest_asyncio.fixture(loop_scope="session")
async def display(station: StationSession, bench: Bench, operator: Any) -> AsyncIterator[Display]:
    shown = Display(station, bench, operator)
    await shown.read_support()
    try:
        yield shown
    finally:
        if station.is_connected:
            await shown.clear()


def _settle(bench: Bench) -> float:
    return bench.csms.quiet_period


def _react(bench: Bench) -> float:
    return bench.csms.message_timeout


# ---- O01: set display messages -----------------------------------------------------------------
@pytest.mark.octt("TC_O_01_CS")
async def test_set_display_message(station, bench, display):
    """Set Display Message - Success.

    SetDisplayMessage once per supported priority (AlwaysFront first) and once per other
    supported format (NormalCycle): every one Accepted; GetDisplayMessages by id reports each
    alone, as set; the screen shows the highest-priority message, not the newer lower ones.

    Requirements: O01.FR.12 (features UI-1, UI-2).
    """
    infos = [display.info(f"OCTT O_01 {p}", priority=p) for p in display.priorities]
    infos += [display.info(CONTENT[f], priority=display.priorities[-1], fmt=f)
              for f in display.formats if f != display.format and f in CONTENT]
    for info in infos:
        await display.set(info)
    for info in infos:
        await display.stored(info, "after it was set")
    await display.shows(infos[0]["message"]["content"], _react(bench),
                        f"a {infos[0]['priority']} message and newer lower-priority ones are set")


async def _not_stored(display: Display, info: dict[str, Any], why: str) -> None:
    status, found = await display.get(id=[info["id"]])
    assert status == "Unknown", (
        f"GetDisplayMessages id [{info['id']}] after SetDisplayMessage was refused ({why}): the "
        f"message must not be stored, so Unknown (O04.FR.02); the station answered {status} "
        f"with ids {[m.get('id') for m in found]}")


@pytest.mark.octt("TC_O_17_CS")
async def test_not_supported_priority(station, bench, display):
    """Set Display Message - NotSupportedPriority.

    A message with a priority the station does not list in
    DisplayMessageCtrlr.SupportedPriorities: NotSupportedPriority (O01.FR.01), not stored.
    Skipped on a station that supports every priority (OCTT UI-1.1 to UI-1.3).
    """
    missing = [p for p in PRIORITIES if p not in display.priorities]
    if not missing:
        pytest.skip(f"the station supports every priority ({display.priorities})")
    info = display.info("OCTT O_17 unsupported priority", priority=missing[0])
    await display.set(info, expect="NotSupportedPriority",
                      why=f"({missing[0]} is not in SupportedPriorities, O01.FR.01)")
    await _not_stored(display, info, f"priority {missing[0]}")


@pytest.mark.octt("TC_O_19_CS")
async def test_not_supported_format(station, bench, display):
    """Set Display Message - NotSupportedMessageFormat.

    A message in a format the station does not list in DisplayMessageCtrlr.SupportedFormats:
    NotSupportedMessageFormat (O01.FR.03), not stored. Skipped on a station that supports
    every format (OCTT UI-2.1 to UI-2.4).
    """
    missing = [f for f in CONTENT if f not in display.formats]
    if not missing:
        pytest.skip(f"the station supports every message format ({display.formats})")
    info = display.info(CONTENT[missing[0]], fmt=missing[0])
    await display.set(info, expect="NotSupportedMessageFormat",
                      why=f"({missing[0]} is not in SupportedFormats, O01.FR.03)")
    await _not_stored(display, info, f"format {missing[0]}")


@pytest.mark.octt("TC_O_22_CS")
async def test_multiple_in_front(station, bench, display):
    """Set Display Message - Multiple In front priority.

    Two InFront messages (and a NormalCycle one, when supported): all Accepted and stored;
    the screen cycles the InFront messages, each shown in turn (O01.FR.14), and shows the
    NormalCycle one meanwhile never (InFront goes before the normal cycle).

    Requirements: O01.FR.14 (feature UI-1.2).
    """
    display.needs("InFront")
    infront = [display.info(f"OCTT O_22 in front {n}", priority="InFront") for n in (1, 2)]
    normal = (display.info("OCTT O_22 normal cycle", priority="NormalCycle")
              if "NormalCycle" in display.priorities else None)
    for info in ([normal] if normal else []) + infront:
        await display.set(info)
    for info in infront:
        await display.stored(info, "after it was set")
    await display.takes_turns([i["message"]["content"] for i in infront], _react(bench) * 3,
                              "two InFront messages are set (O01.FR.14)",
                              never=normal["message"]["content"] if normal else None)


@pytest.mark.octt("TC_O_24_CS")
async def test_second_always_front(station, bench, display):
    """Set Display Message - Second Alwaysfront priority.

    An AlwaysFront message is shown; a second AlwaysFront message (another id) replaces it
    on the screen (O01.FR.16): the new one is shown and the first no longer, not even in
    turns.

    Requirements: O01.FR.16 (feature UI-1.1).
    """
    display.needs("AlwaysFront")
    first = display.info("OCTT O_24 first always front", priority="AlwaysFront")
    await display.set(first)
    await display.shows(first["message"]["content"], _react(bench), "an AlwaysFront message")
    second = display.info("OCTT O_24 second always front", priority="AlwaysFront")
    await display.set(second)
    await display.shows(second["message"]["content"], _react(bench),
                        "a newer AlwaysFront message replaces the one shown (O01.FR.16)")
    await display.never_shows(first["message"]["content"], _settle(bench) + 1.0,
                              "the older AlwaysFront message was replaced (O01.FR.16)")


@pytest.mark.octt("TC_O_12_CS")
async def test_replace_display_message(station, bench, display):
    """Set Display Message - Replace DisplayMessage.

    A message is set; SetDisplayMessage with the same id and new content: Accepted, and the
    new message replaces the old one (O06.FR.01): GetDisplayMessages reports only the new
    content, and the screen shows it.

    Requirements: O06.FR.01.
    """
    first = display.info("OCTT O_12 original")
    await display.set(first)
    second = display.info("OCTT O_12 replacement", message_id=first["id"])
    await display.set(second, why="(same id: a replacement)")
    await display.stored(second, "after it was replaced")
    await display.shows("OCTT O_12 replacement", _react(bench), "the message was replaced")


@pytest.mark.octt("TC_O_13_CS")
async def test_message_at_start_time(station, bench, display):
    """Set Display Message - Display message at StartTime.

    A message with startDateTime a few seconds ahead: Accepted and stored, but not shown
    before that time (O01.FR.06); shown once it has come.

    Requirements: O01.FR.06.
    """
    lead = 2.0 + _settle(bench)
    info = display.info("OCTT O_13 from start time", startDateTime=iso_in(lead))
    start = time.monotonic() + lead
    await display.set(info)
    await display.stored(info, "before its startDateTime")
    await display.never_shows(info["message"]["content"], max(start - time.monotonic() - 0.3, 0),
                              "before its startDateTime (O01.FR.06)")
    await display.shows(info["message"]["content"], max(start - time.monotonic(), 0) + _react(bench),
                        "its startDateTime has come (O01.FR.06)")


@pytest.mark.octt("TC_O_14_CS")
async def test_message_removed_after_end_time(station, bench, display):
    """Set Display Message - Remove message after EndTime.

    A message with endDateTime a few seconds ahead: Accepted and shown; after that time it is
    no longer shown and removed (O01.FR.07): GetDisplayMessages for its id answers Unknown.

    Requirements: O01.FR.07.
    """
    lead = 2.0 + _settle(bench)
    info = display.info("OCTT O_14 until end time", endDateTime=iso_in(lead))
    end = time.monotonic() + lead
    await display.set(info)
    await display.shows(info["message"]["content"], _react(bench), "before its endDateTime")
    await asyncio.sleep(max(end - time.monotonic(), 0))
    deadline = time.monotonic() + _react(bench)
    while await display.screen() == info["message"]["content"] and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert await display.screen() != info["message"]["content"], (
        f"the screen still shows message {info['id']} {_react(bench):g} s after its endDateTime "
        f"(O01.FR.07)")
    status, found = await display.get(id=[info["id"]])
    assert status == "Unknown", (
        f"GetDisplayMessages id [{info['id']}] after its endDateTime: the message must have been "
        f"removed (O01.FR.07), so Unknown (O04.FR.02); the station answered {status} with ids "
        f"{[m.get('id') for m in found]}")


@pytest.mark.octt("TC_O_15_CS")
async def test_language_of_the_driver(station, operator, bench, display):
    """Set Display Message - Language preference of the EV Driver.

    Two messages of the same priority, one in German (set first) and one in English (newer).
    The CSMS authorizes the driver's token with IdTokenInfo.language1 = de: while that driver
    charges the screen shows the German message (O01.FR.08). The session is ended by unplugging.

    Requirements: O01.FR.08.
    """
    german = display.info("OCTT O_15 Willkommen", language="de")
    english = display.info("OCTT O_15 Welcome", language="en")
    await display.set(german)
    await display.set(english)

    def with_language(session: StationSession, m: Message) -> dict[str, Any]:
        return {"idTokenInfo": {"status": "Accepted", "language1": "de"}}

    def tx_language(session: StationSession, m: Message) -> dict[str, Any]:
        return {"idTokenInfo": {"status": "Accepted", "language1": "de"}} if m.get("idToken") else {}

    station.respond("Authorize", with_language)
    station.respond("TransactionEvent", tx_language)
    started = await start_charging(station, operator, bench)
    try:
        await display.shows(german["message"]["content"], _react(bench),
                            "the EV driver's token has language1 de and a German message is set")
    finally:
        await end_by_unplug(station, operator, bench, tx_id(started))


@pytest.mark.octt("TC_O_20_CS")
async def test_message_persists_over_reboot(station, bench, display):
    """Set Display Message - Persistent over reboot.

    A message is set; Reset Immediate; after the reboot GetDisplayMessages still reports it as
    set, and the screen shows it (O01.FR.10).

    Requirements: O01.FR.10.
    """
    info = display.info("OCTT O_20 kept over a reboot")
    await display.set(info)
    mark = station.journal.mark()
    reply = await station.call("Reset", {"type": "Immediate"})
    assert reply["status"] == "Accepted", f"Reset Immediate of the idle station: {reply.payload}"
    await station.expect("BootNotification", within=reboot_within(bench), since=mark)
    await station.wait_connected(reboot_within(bench))
    await display.stored(info, "after a reboot (O01.FR.10)")
    await display.shows(info["message"]["content"], _react(bench), "after a reboot (O01.FR.10)")


# ---- messages for a state --------------------------------------------------------------------
@pytest.mark.octt("TC_O_36_CS")
async def test_message_state_charging(station, operator, bench, display):
    """Set Display Message - State Charging.

    A message with state Charging: Accepted; not shown while the station is idle, shown while
    a transaction charges, gone again when it has ended.
    """
    info = display.info("OCTT O_36 while charging", state="Charging")
    await display.set(info)
    await display.stored(info, "after it was set")
    await display.never_shows(info["message"]["content"], _settle(bench),
                              "the station is idle, the message is for state Charging")
    started = await start_charging(station, operator, bench)
    try:
        await display.shows(info["message"]["content"], _react(bench),
                            "a transaction is charging, the message is for state Charging")
    finally:
        await end_by_unplug(station, operator, bench, tx_id(started))
    await display.never_shows(info["message"]["content"], _settle(bench),
                              "the transaction ended, the message is for state Charging")


@pytest.mark.octt("TC_O_37_CS")
async def test_message_state_idle(station, operator, bench, display):
    """Set Display Message - State Idle.

    A message with state Idle: Accepted; shown while the station is idle, not while a
    transaction charges.
    """
    info = display.info("OCTT O_37 while idle", state="Idle")
    await display.set(info)
    await display.shows(info["message"]["content"], _react(bench),
                        "the station is idle, the message is for state Idle")
    started = await start_charging(station, operator, bench)
    try:
        await display.never_shows(info["message"]["content"], _settle(bench),
                                  "a transaction is charging, the message is for state Idle")
    finally:
        await end_by_unplug(station, operator, bench, tx_id(started))
    await display.shows(info["message"]["content"], _react(bench), "idle again after the session")


@pytest.mark.octt("TC_O_38_CS")
async def test_message_state_unavailable(station, bench, display):
    """Set Display Message - State Unavailable.

    A message with state Unavailable: Accepted; not shown while the station is Operative,
    shown once ChangeAvailability made it Inoperative, gone when it is Operative again.
    """
    info = display.info("OCTT O_38 while unavailable", state="Unavailable")
    await display.set(info)
    await display.never_shows(info["message"]["content"], _settle(bench),
                              "the station is Operative, the message is for state Unavailable")
    await make_inoperative(station, bench)
    try:
        await display.shows(info["message"]["content"], _react(bench),
                            "the station is Inoperative, the message is for state Unavailable")
    finally:
        await change_availability(station, "Operative")
    await display.never_shows(info["message"]["content"], _settle(bench),
                              "the station is Operative again")
