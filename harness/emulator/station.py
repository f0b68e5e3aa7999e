"""The emulated DC fast charger: an OCPP 2.0.1 client that behaves like the real thing.

Lifecycle: power on -> connect (with back-off) -> BootNotification until Accepted -> status
of every connector -> heartbeats, meter values, transactions. Transaction messages are queued
while offline and delivered in order on reconnect; a reset or power cycle reboots the
station, keeping what a real one keeps in non-volatile memory (device model, availability,
queued transaction messages).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect

from harness.csms import tls
from harness.emulator import charging_profiles
from harness.emulator.authorization import Authorization
from harness.emulator.clock import iso
from harness.emulator.config import StationConfig
from harness.emulator.device_model import DeviceModel, core_device_model
from harness.emulator.evse import Connector, Evse
from harness.emulator.local_auth_list import LocalAuthList
from harness.emulator.metering import Metering
from harness.emulator.monitoring import hardwired_notification
from harness.emulator.monitoring import run as run_monitors
from harness.emulator.plug_and_charge import PlugAndCharge
from harness.emulator.power_faults import meter_error, plant_params
from harness.emulator.power_stage import PowerStage
from harness.emulator.reservations import Reservation, Reservations
from harness.emulator.statuses import ConnectorStatuses
from harness.emulator.transactions import TransactionEngine
from harness.emulator.vehicle_link import VehicleLink
from harness.protocols.ocppj import ErrorCode, Frame, FrameError
from harness.protocols.rpc import CallErrorReply, CallTimeout, Disconnected, RpcPeer

log = logging.getLogger("harness.emulator")

OCPP_SUBPROTOCOL = {"2.0.1": "ocpp2.0.1", "1.6": "ocpp1.6", "2.1": "ocpp2.1"}
ALLOWED_WHILE_PENDING = {"GetVariables", "SetVariables", "GetBaseReport", "GetReport",
                         "TriggerMessage"}


@dataclass
class OutMessage:
    action: str
    payload: dict[str, Any]
    tx_id: str | None = None  # transaction messages are queued offline and retried
    attempts: int = 0
    future: asyncio.Future[dict[str, Any] | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class EmulatedStation(TransactionEngine, Metering, ConnectorStatuses, Reservations,
                      Authorization, VehicleLink, PlugAndCharge, RpcPeer):
    """An emulated charging station. ``await start()``; bench actions are its public methods."""

    def __init__(self, config: StationConfig) -> None:
        super().__init__(config.ocpp_version)
        self.config = config
        self.quirks = set(config.quirks)
        self.dm: DeviceModel = core_device_model(
            station_id=config.station_id, vendor=config.vendor, model=config.model,
            serial=config.serial, firmware=config.firmware, evses=config.evses,
            password=config.password or "", security_profile=config.security_profile,
            heartbeat_interval=config.heartbeat_interval,
            tx_start_points=config.tx_start_points, tx_stop_points=config.tx_stop_points,
        )
        if config.options.get("additional_root_certificate_check", False):
            self.dm.put("SecurityCtrlr", "AdditionalRootCertificateCheck", "true")  # M05
        # defects that claim less than the station then accepts (quirks.py)
        if "rate_unit_claims_amps_only" in self.quirks:
            self.dm.put("SmartChargingCtrlr", "RateUnit", "A")
        if "display_claims_fewer_but_accepts" in self.quirks:
            self.dm.put("DisplayMessageCtrlr", "SupportedPriorities", "AlwaysFront,InFront")
            self.dm.put("DisplayMessageCtrlr", "SupportedFormats", "ASCII,UTF8")
        self.evses: dict[int, Evse] = {
            evse_id: Evse(
                evse_id,
                {cid: Connector(cid, ctype) for cid, ctype in connectors},
                PowerStage(evse_id, max_power_w=config.max_power_w,
                           params=plant_params(config.options, self.quirks, config.ev_max_voltage_v,
                                               config.ev_battery_v),
                           meter_error=meter_error(config.options, self.quirks)),
            )
            for evse_id, connectors in config.evses.items()
        }
        self.operative = True
        # Hard-wired inputs: the e-stop button and the AC supply (a bench relay drives them).
        self.emergency_stopped = False
        self._ac_present = asyncio.Event()
        self._ac_present.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        for evse in self.evses.values():
            evse.power.plant.on_trip = functools.partial(self._plant_tripped, evse.id)
        self.pending_operative: bool | None = None  # station-wide change scheduled (G04.FR.06)
        self.registration: str | None = None
        self.network_profiles: dict[int, dict[str, Any]] = {
            0: {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": config.csms_url,
                "messageTimeout": 30, "securityProfile": config.security_profile,
                "ocppInterface": "Wired0"},
        }
        self.connected_slot: int | None = None
        self.boot_reason = "PowerUp"
        self.security_log: list[str] = []
        self.auth_cache: dict[str, dict[str, Any]] = {}  # non-volatile (C10.FR.02)
        self._cache_used: dict[str, float] = {}  # idToken -> last stored or used (C10.FR.08)
        self._token_groups: dict[str, str] = {}  # idToken -> groupIdToken the CSMS gave (C09)
        self._master_pass_screen = False  # option master_pass_ui: the C16.FR.01 screen is up
        self.reservations: dict[int, Reservation] = {}  # non-volatile (TC_B_24_CS)
        self.local_list = LocalAuthList()  # non-volatile (D01.FR.10)
        # Installed CA certificates by OCPP certificate type (CSMSRootCertificate,
        # ManufacturerRootCertificate, V2GRootCertificate, MORootCertificate, ...), as PEM.
        # Non-volatile, like the device model. Pre-provisioned from config.ca_certificates.
        self.installed_certificates: dict[str, list[str]] = {
            kind: list(pems) for kind, pems in config.ca_certificates.items()}
        self.dm.put("SecurityCtrlr", "CertificateEntries",
                    str(sum(len(pems) for pems in self.installed_certificates.values())))
        self.connects = 0
        # Security events waiting for a connection (A00.FR.412, A05): (type, techInfo).
        self.pending_security_events: list[tuple[str, str]] = []
        self._queue: deque[OutMessage] = deque()
        self._wake = asyncio.Event()
        self._online = False
        self._offline_since: float | None = time.monotonic()
        self._needs_boot = True
        self._boot_interval = config.heartbeat_interval
        self._boot_trigger = asyncio.Event()
        self._reboot = asyncio.Event()
        self._reconnect = asyncio.Event()
        self._last_heartbeat = time.monotonic()
        # clock-aligned sampling: kind ('aligned', 'ended') -> (next boundary, its interval)
        self._aligned_due: dict[str, tuple[float, int]] = {}
        self._status_reported: dict[tuple[int, int], str] = {}
        self._main_task: asyncio.Task[None] | None = None
        self._sender_task: asyncio.Task[Any] | None = None
        self._bg: set[asyncio.Task[Any]] = set()
        self._pending_reset: str | None = None
        self._pending_evse_resets: set[int] = set()  # EVSE resets answered Scheduled (B12.FR.07)
        self._lost_connection = False  # reconnecting after a loss, not after a (re)boot
        self._follow_ups: dict[str, Callable[[], Any]] = {}
        self.on_event: Callable[[str], None] = lambda text: log.debug(
            "%s: %s", config.station_id, text)
        self._init_vehicle_link()

    # ---- lifecycle ------------------------------------------------------------------------
    async def start(self) -> EmulatedStation:
        self._loop = asyncio.get_running_loop()
        if self._main_task is None or self._main_task.done():
            self._main_task = asyncio.create_task(self._main(), name=f"emulator {self.config.station_id}")
        return self

    async def stop(self) -> None:
        await self.stop_vehicle_link()
        if self._main_task is not None:
            self._main_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._main_task
            self._main_task = None
        if self.transport is not None:  # first: the CSMS sees a clean close at once
            with contextlib.suppress(Exception):
                await self.transport.close()
        # What the main task spawned (serving the socket, timers, follow-ups) ends with it, so
        # no task is left pending when the loop closes ("Task was destroyed but it is pending").
        tasks = list(self._bg)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)

    async def run_forever(self) -> None:
        await self.start()
        assert self._main_task is not None
        await self._main_task

    async def _main(self) -> None:
        while True:
            self._reboot.clear()
            await self._connection_loop()
            self.on_event("rebooting")
            await asyncio.sleep(self.config.reboot_time)
            await self._ac_present.wait()
            self._power_on()

    def _power_on(self) -> None:
        """What survives a reboot: device model, availability, queued transaction messages."""
        self.registration = None
        self._needs_boot = True
        self._online = False
        self._status_reported.clear()
        for evse in self.evses.values():
            if evse.tx is not None and not evse.tx.ending \
                    and "immediate_reset_keeps_tx" not in self.quirks:
                self._end_tx(evse, "AbnormalCondition", "PowerLoss")
            evse.tx = None
            evse.id_token = None
            evse.power.set_demand(0)
        self.reservations_after_reboot()
        if "local_list_lost_on_reboot" in self.quirks:
            self.local_list = LocalAuthList()  # the defect: kept in RAM only (D01.FR.10)
        if "auth_cache_lost_on_reboot" in self.quirks:
            self.auth_cache.clear()  # the defect: kept in RAM only (C10.FR.02)
        if "display_messages_lost_on_reboot" in self.quirks:
            self.__dict__.pop("display_messages", None)  # the defect: RAM only (O01.FR.10)
        # The reboot ended every transaction: changes scheduled until then take effect now.
        self.apply_scheduled_availability()
        if "availability_not_persisted" in self.quirks:
            self.operative = True
            for evse in self.evses.values():
                evse.operative = True
                for c in evse.connectors.values():
                    c.operative = True
        self._queue = deque(m for m in self._queue if m.tx_id is not None)

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)
        return task

    # ---- connection -------------------------------------------------------------------------
    def _connection_target(self, failures: int) -> tuple[int, dict[str, Any]]:
        """Which network profile to try after ``failures`` failed attempts since the last
        connection or reboot: the first entry of NetworkConfigurationPriority first (B10.FR.04),
        NetworkProfileConnectionAttempts attempts per entry (B10.FR.03), then the next entry;
        after the last entry, start over with the first (B10.FR.08)."""
        priority = [int(s) for s in self.dm.get_list("OCPPCommCtrlr",
                                                     "NetworkConfigurationPriority")
                    if int(s) in self.network_profiles] or [0]
        if "ignores_network_priority" in self.quirks:
            # The defect: stays with the profile it last connected with.
            slot = self.connected_slot if self.connected_slot in self.network_profiles else 0
            return slot, self.network_profiles[slot]
        if "network_fallback_only_at_boot" in self.quirks and self._lost_connection \
                and self.connected_slot in self.network_profiles:
            # The defect: after losing the connection it retries the same profile for ever.
            return self.connected_slot, self.network_profiles[self.connected_slot]
        per_slot = max(1, self.dm.get_int("OCPPCommCtrlr", "NetworkProfileConnectionAttempts"))
        index = (failures // per_slot) % len(priority)
        if "no_network_fallback" in self.quirks:
            index = 0
        slot = priority[index]
        return slot, self.network_profiles[slot]

    def _auth_header(self, security_profile: int | None = None) -> dict[str, str]:
        profile = self.config.security_profile if security_profile is None else security_profile
        if profile not in (1, 2):
            return {}
        password = self._connect_password
        if not password:
            return {}
        token = base64.b64encode(f"{self.config.station_id}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    @property
    def _connect_password(self) -> str:
        if "password_not_applied" in self.quirks:
            return self.config.password or ""
        return self.dm.get("SecurityCtrlr", "BasicAuthPassword")

    async def _backoff(self, attempt: int) -> None:
        wait_min = self.dm.get_int("OCPPCommCtrlr", "RetryBackOffWaitMinimum")
        rand = self.dm.get_int("OCPPCommCtrlr", "RetryBackOffRandomRange")
        repeat = self.dm.get_int("OCPPCommCtrlr", "RetryBackOffRepeatTimes")
        delay = wait_min * (2 ** min(attempt - 1, repeat)) + random.uniform(0, rand)
        delay *= self.config.backoff_scale
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._reboot.wait(), max(delay, 0.01))

    async def _connection_loop(self) -> None:
        # ``failures`` picks the network profile (B10.FR.03); ``attempt`` is the back-off step
        # of OCPP-J Part 4 section 5.3, reset by a successful connection.
        failures = 0
        attempt = 0
        self._lost_connection = False
        self._sender_task = self._spawn(self._sender())
        workers = [self._sender_task, self._spawn(self._timers()),
                   self._spawn(run_monitors(self))]
        try:
            while not self._reboot.is_set():
                slot, profile = self._connection_target(failures)
                url = profile["ocppCsmsUrl"].rstrip("/") + "/" + self.config.station_id
                security_profile = int(profile.get("securityProfile", self.config.security_profile))
                try:
                    ws = await connect(
                        url, subprotocols=[OCPP_SUBPROTOCOL[self.config.ocpp_version]],  # type: ignore[list-item]
                        additional_headers=self._auth_header(security_profile), open_timeout=5,
                        ping_interval=None, max_size=2**22,
                        **({"ssl": self._client_tls(security_profile)}
                           if url.startswith("wss:") else {}),
                    )
                except Exception as exc:
                    attempt += 1
                    failures += 1
                    self.on_event(f"connect to {url} failed ({exc}); attempt {attempt}")
                    self._tls_failed(url, exc)
                    await self._backoff(attempt)
                    continue
                attempt = 0
                failures = 0
                if self.connected_slot is not None and slot != self.connected_slot:
                    # B10.FR.10: connected through another profile than last time: boot again.
                    self._needs_boot = True
                self.connected_slot = slot
                with contextlib.suppress(KeyError):
                    self.dm.put("OCPPCommCtrlr", "ActiveNetworkProfile", str(slot))
                # A05.FR.04: connected with a (new) security profile: SecurityProfile says so.
                # The emulator keeps lower-profile slots (no A05.FR.05), so that a bench can
                # be returned to its own profile after a security-profile test.
                with contextlib.suppress(KeyError):
                    self.dm.put("SecurityCtrlr", "SecurityProfile", str(security_profile))
                self.connects += 1
                self._reconnect.clear()
                serving = self._spawn(self.serve(ws))
                self._spawn(self._on_connected())
                stop_waiting = self._spawn(self._wait_any(self._reboot, self._reconnect))
                await asyncio.wait({serving, stop_waiting}, return_when=asyncio.FIRST_COMPLETED)
                stop_waiting.cancel()
                if not serving.done():
                    with contextlib.suppress(Exception):
                        await ws.close(1000, "reboot" if self._reboot.is_set() else "reconnect")
                    with contextlib.suppress(Exception):
                        await serving
                self._went_offline()
                if not self._reboot.is_set() and not self._reconnect.is_set():
                    self._lost_connection = True
                    attempt = 1
                    await self._backoff(attempt)
        finally:
            for w in workers:
                w.cancel()
            self._went_offline()

    def _client_tls(self, security_profile: int) -> Any:
        """TLS towards the CSMS: trust the installed CSMSRootCertificates, TLS 1.2 or higher
        (A00.FR.309, A00.FR.314); the station certificate for security profile 3."""
        three = security_profile == 3 and "no_client_certificate" not in self.quirks
        return tls.client_context(
            self.installed_certificates.get("CSMSRootCertificate", []),
            self.config.client_cert_pem if three else None,
            self.config.client_key_pem if three else None,
            min_version=(tls.ssl.TLSVersion.TLSv1 if "accepts_tls_1_1" in self.quirks
                         else tls.ssl.TLSVersion.TLSv1_2),
            verify="accepts_untrusted_csms_certificate" not in self.quirks)

    def _tls_failed(self, url: str, exc: BaseException) -> None:
        """A05 / A00.FR.412: a CSMS certificate that fails validation is a security event,
        reported once connected again (through a fallback profile if need be)."""
        problem = tls.certificate_problem(exc)
        if problem is None:
            return
        kind = "InvalidCsmsCertificate" if problem == "certificate" else "InvalidTLSVersion"
        self.security_log.append(f"{iso()} {kind}: {url}: {exc}")
        if "no_invalid_certificate_event" in self.quirks:
            return
        if not any(k == kind for k, _ in self.pending_security_events):
            self.pending_security_events.append((kind, f"{url}: {exc}"[:255]))

    def _send_security_events(self) -> None:
        events, self.pending_security_events = self.pending_security_events, []
        for kind, info in events:
            self.send("SecurityEventNotification", {"type": kind, "timestamp": iso(),
                                                    "techInfo": info})

    @staticmethod
    async def _wait_any(*events: asyncio.Event) -> None:
        waits = [asyncio.create_task(e.wait()) for e in events]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    def _went_offline(self) -> None:
        if self._online:
            self._offline_since = time.monotonic()
        self._online = False
        for m in self._queue:
            if m.tx_id is None and not m.future.done():
                m.future.set_result(None)  # dropped (B04): whoever waits for the answer learns it
                if m.action == "StatusNotification":  # the CSMS never got it: report it again
                    self._status_reported.pop((m.payload["evseId"], m.payload["connectorId"]), None)
        self._queue = deque(m for m in self._queue if m.tx_id is not None)
        self._wake.set()

    async def _on_connected(self) -> None:
        try:
            if self._needs_boot or "reconnects_with_boot" in self.quirks:
                await self._boot()
                self._needs_boot = False
                self._online = True
                self._report_statuses(everything=True)
            else:
                offline_for = time.monotonic() - (self._offline_since or time.monotonic())
                threshold = self.dm.get_int("OCPPCommCtrlr", "OfflineThreshold")
                if "drops_queue_after_reconnect" in self.quirks:
                    self._queue = deque(m for m in self._queue if m.tx_id is None)
                self._online = True
                # B04.FR.01 / B04.FR.02: every connector after a long outage, else the changes.
                long_outage = offline_for > threshold and "no_full_status_after_offline" not in self.quirks
                everything = long_outage or "status_burst_below_threshold" in self.quirks
                self._report_statuses(everything=everything)
            self._send_security_events()
            self._last_heartbeat = time.monotonic()
            self._wake.set()
        except Disconnected:
            pass

    async def _boot(self) -> None:
        while True:
            self.registration = None
            self._boot_trigger.clear()
            payload = {
                "chargingStation": {
                    "vendorName": self.config.vendor, "model": self.config.model,
                    "serialNumber": self.config.serial, "firmwareVersion": self.config.firmware,
                },
                "reason": self.boot_reason,
            }
            try:
                reply = await self.call("BootNotification", payload, self._message_timeout())
            except (CallTimeout, CallErrorReply):
                await asyncio.sleep(1.0)
                continue
            status = reply.payload.get("status")
            interval = int(reply.payload.get("interval", 0))
            self.registration = status
            self.on_event(f"boot {status}, interval {interval}")
            if status == "Accepted":
                if interval > 0:
                    self._boot_interval = interval
                    self.dm.put("OCPPCommCtrlr", "HeartbeatInterval", str(interval))
                self.boot_reason = "PowerUp"
                return
            if status == "Pending" and "talks_while_pending" in self.quirks:
                evse_id, connector = next(iter(self.evses.items()))
                first = next(iter(connector.connectors))
                await self.call("StatusNotification", self._status_payload(evse_id, first),
                                self._message_timeout())
            # Pending / Rejected: the next BootNotification once the response's interval is over
            # (or earlier when the CSMS triggers it, F06.FR.17).
            retry = interval if interval > 0 else 10
            if "boot_retry_too_fast" in self.quirks:
                retry = 0.3
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._boot_trigger.wait(), retry)

    def _message_timeout(self) -> float:
        return float(self.dm.get_int("OCPPCommCtrlr", "MessageTimeout", "Default"))

    # ---- sending ---------------------------------------------------------------------------
    def send(self, action: str, payload: dict[str, Any], tx_id: str | None = None) -> OutMessage:
        """Queue a message. Non-transaction messages are dropped while offline (B04)."""
        msg = OutMessage(action, payload, tx_id)
        if tx_id is None and not self._online:
            msg.future.set_result(None)
            return msg
        self._queue.append(msg)
        self._wake.set()
        return msg

    def messages_in_queue(self, tx_id: str | None = None) -> bool:
        return any(m.tx_id is not None and (tx_id is None or m.tx_id == tx_id)
                   for m in self._queue)

    async def _sender(self) -> None:
        while True:
            if asyncio.current_task() is not self._sender_task:
                # Cancelled while a reply arrived: Python 3.11's asyncio.wait_for can lose that
                # cancellation (gh-86296); a newer connection has its own sender, so leave.
                return
            if not (self._online and self.registration == "Accepted" and self._queue):
                self._wake.clear()
                await self._wake.wait()
                continue
            msg = self._queue[0]
            try:
                if msg.action == "StatusNotification" and "garbage_frames" in self.quirks:
                    # Before the status, so the test that waits for the status sees it.
                    await self.send_raw('[2,"garbage",')
                reply = await self.call(msg.action, msg.payload, self._message_timeout())
            except Disconnected:
                # Went offline; until the connection loop notices (_went_offline() decides
                # what stays queued), do not spin: call() fails without yielding.
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.05)
                continue
            except (CallTimeout, CallErrorReply) as exc:
                msg.attempts += 1
                attempts = self.dm.get_int("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent")
                if (msg.tx_id is not None and msg.attempts < attempts
                        and "no_tx_event_retry" not in self.quirks):
                    interval = self.dm.get_int("OCPPCommCtrlr", "MessageAttemptInterval",
                                               "TransactionEvent")
                    if "retry_interval_ignored" in self.quirks:
                        interval = 0
                    self.on_event(f"{msg.action} failed ({type(exc).__name__}); retry "
                                  f"{msg.attempts} in {interval * msg.attempts} s")
                    await asyncio.sleep(interval * msg.attempts)
                    continue
                if self._queue and self._queue[0] is msg:
                    self._queue.popleft()
                if not msg.future.done():
                    msg.future.set_result(None)
                continue
            if self._queue and self._queue[0] is msg:
                self._queue.popleft()
            if not msg.future.done():
                msg.future.set_result(reply.payload)
            self._after_reply(msg, reply.payload)

    def _after_reply(self, msg: OutMessage, response: dict[str, Any]) -> None:
        if msg.action == "StatusNotification":
            key = (msg.payload["evseId"], msg.payload["connectorId"])
            self._status_reported[key] = msg.payload["connectorStatus"]
        elif msg.action == "TransactionEvent":
            info = response.get("idTokenInfo")
            token = msg.payload.get("idToken")
            if (info and token and self._listed(token) is None
                    and "cache_not_updated_on_tx_response" not in self.quirks):
                self.cache_store(token, dict(info))  # C10.FR.05
            if info and info.get("status") != "Accepted" and msg.tx_id:
                self._deauthorized(msg.tx_id, info.get("status", "Invalid"))

    # ---- timers: heartbeat, sampled and clock-aligned meter values --------------------------
    async def _timers(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if self._online and self.registration == "Accepted":
                interval = (self._boot_interval if "ignores_heartbeat_interval" in self.quirks
                            else self.dm.get_int("OCPPCommCtrlr", "HeartbeatInterval"))
                if now - self._last_heartbeat >= interval:
                    self._last_heartbeat = now
                    self.send("Heartbeat", {})
            self._aligned_tick()
            for evse in self.evses.values():
                self._sampled_tick(evse, now)
            charging_profiles.apply_limits(self)  # K: the outputs follow the composite limit
            for evse in self.evses.values():
                self._invalid_energy_tick(evse)  # MaxEnergyOnInvalidId reached (C12, E05)

    # ---- bench actions (the operator's hands) -----------------------------------------------
    async def plug_in(self, evse: int = 1, connector: int = 1) -> None:
        e = self.evses[evse]
        if self.config.options.get("cable_holder_lock", False) and e.id_token is None \
                and e.tx is None:
            # OCTT AQ-2: the cable holder stays locked until a driver is authorized.
            self.on_event(f"EVSE {evse}: cable holder locked, no cable before authorization")
            return
        self._plug(e, connector)

    async def unplug(self, evse: int = 1, connector: int = 1) -> None:
        self._unplug(self.evses[evse], connector)

    async def parking_bay(self, evse: int, occupied: bool) -> None:
        """The bench action: a car enters (``occupied``) or leaves the parking bay of ``evse``,
        as its vehicle sensor sees it (E01 / E06 ParkingBayOccupancy)."""
        e = self.evses[evse]
        if e.bay_occupied != occupied:
            e.bay_occupied = occupied
            self._evaluate(e, "EVDetected" if occupied else "EVDeparted")

    def _plug(self, e: Evse, connector: int) -> None:
        e.connectors[connector].plugged = True
        e.connectors[connector].locked = True
        if e.connection_timer is not None:
            e.connection_timer.cancel()
            e.connection_timer = None
        self._evaluate(e, "CablePluggedIn")

    def _unplug(self, e: Evse, connector: int) -> None:
        e.connectors[connector].plugged = False
        e.connectors[connector].locked = False
        e.connectors[connector].protection_fault = False
        if e.tx is not None and self.dm.get_bool("TxCtrlr", "StopTxOnEVSideDisconnect"):
            e.id_token = None  # E09: the disconnect deauthorizes the transaction
        elif e.tx is None and e.plugged is None:
            # An authorization that never became a transaction (the power path never closed)
            # belonged to the EV that just left; the next EV starts from scratch.
            e.id_token = None
            e.remote_start_id = None
        self._evaluate(e, "EVCommunicationLost", "EVDisconnected")
        self.check_pending_reset()

    # ---- hard-wired inputs: callable from any thread (a relay simulator's) ----------------
    def set_emergency_stop(self, pressed: bool) -> None:
        """The e-stop button: pressed cuts every output at once, faults the connectors and
        ends the transactions (EmergencyStop); released clears the fault."""
        self._threadsafe(self._emergency_stop, pressed)

    def set_ac_supply(self, present: bool) -> None:
        """The station's AC supply: lost cuts the outputs and the station goes down until it
        returns, then boots with reason PowerUp."""
        self._threadsafe(self._ac_supply, present)

    def _threadsafe(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            fn(*args)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def _plant_tripped(self, evse_id: int, reason: str) -> None:
        # Called by the plant (any thread, its lock held): react on the station's loop.
        if reason not in ("EmergencyStop", "PowerLoss"):
            self._threadsafe(self._protection_tripped, evse_id, reason)

    def _protection_tripped(self, evse_id: int, reason: str) -> None:
        """Output protection (over-voltage) opened the contactors: the connector is Faulted
        until the EV is unplugged, and the transaction ends."""
        evse = self.evses[evse_id]
        self.on_event(f"EVSE {evse_id}: output cut by protection ({reason})")
        if evse.plugged is not None:
            evse.plugged.protection_fault = True
        if evse.tx is not None:
            self._end_tx(evse, "AbnormalCondition", "Other")
        self.statuses_changed()

    def _emergency_stop(self, pressed: bool) -> None:
        if pressed == self.emergency_stopped:
            return
        self.emergency_stopped = pressed
        self.on_event("emergency stop " + ("pressed" if pressed else "released"))
        hardwired_notification(self, "EmergencyStopSensor", "Tripped", pressed)
        for evse in self.evses.values():
            if pressed:
                evse.power.plant.cut("EmergencyStop")
            for c in evse.connectors.values():
                c.faulted = pressed
            if pressed and evse.tx is not None:
                self._end_tx(evse, "AbnormalCondition", "EmergencyStop")
        self.statuses_changed()

    def _ac_supply(self, present: bool) -> None:
        if present == self._ac_present.is_set():
            return
        self.on_event("AC supply " + ("restored" if present else "lost"))
        if present:
            self._ac_present.set()
            return
        self._ac_present.clear()
        for evse in self.evses.values():
            evse.power.plant.cut("PowerLoss")
        self.reboot("PowerUp")

    async def press_emergency_stop(self) -> None:
        """The bench action: press the e-stop button, then release it (held briefly, as a
        hand does)."""
        self._emergency_stop(True)
        await asyncio.sleep(0.2)
        self._emergency_stop(False)

    async def read_screen(self, evse: int | None = None) -> str | None:
        """The bench action "read the screen": the display message shown now (None: idle)."""
        from harness.emulator import display_messages

        return display_messages.screen(self)

    async def power_cycle(self) -> None:
        """Cut and restore power: the station reboots with reason PowerUp."""
        self.reboot("PowerUp")

    def reboot(self, reason: str) -> None:
        self.boot_reason = reason
        self._reboot.set()

    def reconnect(self) -> None:
        """Drop the connection and reconnect (after a password or network-profile change)."""
        self._reconnect.set()

    # ---- reset (B11, B12) --------------------------------------------------------------------
    def is_idle(self) -> bool:
        """OnIdle in the sense of B11 (errata 2025-06): no transaction, no cable plugged in."""
        return all(e.tx is None and e.plugged is None for e in self.evses.values())

    def check_pending_reset(self) -> None:
        """Perform a Reset OnIdle answered Scheduled once the station is idle (B12.FR.03)."""
        some_idle = "onidle_reset_after_first_tx" in self.quirks and any(
            e.tx is None and e.plugged is None for e in self.evses.values())
        if self._pending_reset == "OnIdle" and (self.is_idle() or some_idle):
            self._pending_reset = None
            self._spawn(self.reset_now())
        for evse_id in sorted(self._pending_evse_resets):
            evse = self.evses[evse_id]
            if evse.tx is None and evse.plugged is None:
                self._pending_evse_resets.discard(evse_id)
                self._spawn(self.reset_evse(evse_id))

    def reset_evse_request(self, evse_id: int, kind: str) -> Any:
        """Reset of one EVSE (B11.FR.08, B12.FR.07, B12.FR.08): Rejected without the
        capability (option ``evse_reset: false``, B11.FR.09) or for an unknown EVSE; OnIdle
        while the EVSE is in use: Scheduled; Immediate: its transaction ends first
        (ResetCommand / ImmediateReset). The rest of the station carries on, no reboot."""
        if not self.config.options.get("evse_reset", True) or evse_id not in self.evses:
            return {"status": "Rejected"}
        evse = self.evses[evse_id]
        busy = evse.tx is not None or evse.plugged is not None
        if kind == "OnIdle" and busy and "evse_onidle_reset_interrupts_tx" not in self.quirks:
            self._pending_evse_resets.add(evse_id)
            return {"status": "Scheduled"}

        async def do_reset() -> None:
            if evse.tx is not None:
                self._end_tx(evse, "ResetCommand", "ImmediateReset")
            if "evse_reset_reboots_station" in self.quirks:
                await self.reset_now()  # the defect: the whole station restarts
                return
            await self.reset_evse(evse_id)

        return {"status": "Accepted"}, do_reset

    async def reset_evse(self, evse_id: int) -> None:
        """Restart one EVSE: its connectors are Unavailable while it restarts (B11.FR.08),
        then back to what they were; the station stays connected (no BootNotification)."""
        evse = self.evses[evse_id]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue_drained(), self._message_timeout())
        was = evse.operative
        evse.operative = False
        self.statuses_changed()
        await asyncio.sleep(self.config.reboot_time)
        if "evse_reset_stays_unavailable" in self.quirks:
            return  # the defect: the EVSE does not come back after its reset
        evse.operative = was
        self.statuses_changed()

    async def reset_now(self) -> None:
        """Reboot for a Reset, after delivering what is queued (the Ended events, B12.FR.04)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue_drained(), self._message_timeout())
        self.reboot("PowerUp" if "reset_reason_power_up" in self.quirks else "RemoteReset")

    async def queue_drained(self) -> None:
        while self._queue:
            await asyncio.gather(*(m.future for m in list(self._queue)), return_exceptions=True)

    # ---- CSMS-initiated requests -------------------------------------------------------------
    async def handle_call(self, frame: Frame) -> dict[str, Any]:
        from harness.emulator.handlers import HANDLERS, has_custom_data

        action = frame.action or ""
        if "rejects_custom_data" in self.quirks and has_custom_data(frame.payload):
            raise FrameError(ErrorCode.FORMAT_VIOLATION, "additional property customData")
        # B03.FR.08: while Pending or Rejected, requests the CSMS may not send then are answered
        # with CALLERROR SecurityError (Pending allows configuration and TriggerMessage).
        if "serves_requests_while_pending" not in self.quirks and (
                self.registration == "Rejected" or (
                self.registration == "Pending" and action not in ALLOWED_WHILE_PENDING)):
            raise FrameError(ErrorCode.SECURITY_ERROR,
                             f"{action} not allowed while registration is {self.registration}")
        handler = HANDLERS.get(action)
        if handler is None:
            raise FrameError(ErrorCode.NOT_IMPLEMENTED, f"{action} is not supported")
        result = await handler(self, frame.payload)
        if isinstance(result, tuple):
            payload, follow_up = result
            self._follow_ups[frame.unique_id] = follow_up
            return payload
        return result

    def on_replied(self, frame: Frame) -> None:
        follow_up = self._follow_ups.pop(frame.unique_id, None)
        if follow_up is not None:
            self._spawn(follow_up())

    def on_violation(self, kind: str, detail: str, raw: str | bytes) -> None:
        self.on_event(f"CSMS protocol violation [{kind}] {detail}")
