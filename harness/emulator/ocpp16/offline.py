"""Power failure, offline transactions and the authorization cache of the emulated 1.6 charge
point: what OCPP 1.6 (sections 3.5, 4.8, 4.10, 9.1) says differently from the shared station.

The shared station already keeps transaction messages queued while offline and delivers them
in order; the 1.6 edge translates each one only when it is sent, so the MeterValues and the
StopTransaction of a transaction started offline go out after its StartTransaction, with the
transactionId the Central System assigned in StartTransaction.conf.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from harness.emulator.clock import iso
from harness.emulator.config import StationConfig
from harness.emulator.evse import Evse
from harness.emulator.station import EmulatedStation, OutMessage
from harness.protocols.ocppj import Frame

if TYPE_CHECKING:
    from harness.emulator.ocpp16.configuration import Configuration16
    from harness.emulator.ocpp16.station import TransactionIds

# Emulator option ``power_loss_stop``: when a charge point stops the transactions a power
# failure interrupts (1.6 section 4.10; OCTT TC_032_1 / TC_032_2). A charge point with hold-up
# power stops them before going down; the default one stops them once the power is back.
POWER_LOSS_STOP = ("after_power_up", "before_power_down")
# 1.6 quirks that are a shared station defect under their 1.6 name (harness/emulator/quirks.py).
QUIRK_ALIASES = {"unavailable_forgotten_on_power_failure": "availability_not_persisted",
                 "clock_aligned_values_off_boundary": "clock_aligned_off_grid"}
FACTORY_SAMPLE_INTERVAL = "60"  # s, what a defective charger keeps sampling at


class Offline16(EmulatedStation):
    """Mixin of :class:`~harness.emulator.ocpp16.station.EmulatedStation16` (before the shared
    station in its bases): power failure, offline authorization, StopTransactionOnInvalidId."""

    configuration: Configuration16
    tx_ids: TransactionIds

    def __init__(self, config: StationConfig) -> None:
        super().__init__(config)
        stop = config.options.get("power_loss_stop", POWER_LOSS_STOP[0])
        if stop not in POWER_LOSS_STOP:
            raise ValueError(f"emulator option power_loss_stop: {stop!r} is not one of "
                             f"{', '.join(POWER_LOSS_STOP)}")
        self.power_loss_stop = stop
        self._energy_withheld: set[str] = set()  # transactions an Invalid id left suspended
        self._stopped_unconfirmed: set[str] = set()  # quirk offline_stop_transaction_id_zero
        # 1.6 section 4.7: clock-aligned values are sent whether or not a transaction runs;
        # the shared station's SendDuringIdle (2.0.1 only) would hold them back meanwhile.
        self.dm.put("AlignedDataCtrlr", "SendDuringIdle", "false")
        for alias, shared_quirk in QUIRK_ALIASES.items():
            if alias in self.quirks:
                self.quirks.add(shared_quirk)

    # ---- power failure (1.6 section 4.10) ------------------------------------------------------
    async def power_cycle(self) -> None:
        """Cut and restore power. With ``power_loss_stop: before_power_down`` the charge point
        first stops its transactions (reason PowerLoss) and delivers the StopTransactions;
        by default the reboot ends them and they are reported after the BootNotification."""
        if self.power_loss_stop == "before_power_down":
            for evse in self.evses.values():
                if evse.tx is not None:
                    self._end_tx(evse, "AbnormalCondition", "PowerLoss")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.queue_drained(), self._message_timeout())
        await super().power_cycle()

    # ---- offline queue --------------------------------------------------------------------------
    def send(self, action: str, payload: dict[str, Any], tx_id: str | None = None) -> OutMessage:
        if tx_id is not None and not self._online:
            if "offline_tx_messages_dropped" in self.quirks:
                msg = OutMessage(action, payload, tx_id)  # the defect: not kept for later
                msg.future.set_result(None)
                return msg
            if (action == "TransactionEvent" and payload.get("eventType") == "Ended"
                    and tx_id not in self.tx_ids.to_16
                    and "offline_stop_transaction_id_zero" in self.quirks):
                self._stopped_unconfirmed.add(tx_id)
        return super().send(action, payload, tx_id)

    async def call(self, action: str, payload: dict[str, Any], timeout: float = 30.0) -> Frame:
        """The 1.6 message as it goes on the wire (EmulatedStation16.call translated it):
        only the quirks of this area change it."""
        if action in ("StartTransaction", "StopTransaction", "MeterValues"):
            payload = self._quirked(action, payload)
        return await super().call(action, payload, timeout)

    def _quirked(self, action: str, p: dict[str, Any]) -> dict[str, Any]:
        p = dict(p)
        if action == "StopTransaction":
            internal = self.tx_ids.internal(p.get("transactionId", -1))
            if internal in self._stopped_unconfirmed:
                p["transactionId"] = 0  # the defect: the id it did not have when it stopped
            if p.get("reason") == "PowerLoss" and "power_loss_reported_as_reboot" in self.quirks:
                p["reason"] = "Reboot"
        if "offline_timestamp_is_send_time" in self.quirks:
            if "timestamp" in p:
                p["timestamp"] = iso()
            if action == "MeterValues" and "transactionId" in p:
                p["meterValue"] = [{**mv, "timestamp": iso()} for mv in p["meterValue"]]
        return p

    # ---- authorization: cache, LocalPreAuthorize, unknown ids offline (1.6 section 3.5) ------
    async def _authorization_info(self, token: dict[str, Any]) -> dict[str, Any]:
        online = self._online and self.registration == "Accepted"
        cached = self._cached(token)
        if (online and cached is not None and cached.get("status") == "Accepted"
                and self.dm.get_bool("AuthCtrlr", "LocalPreAuthorize")
                and self._listed(token) is None):
            return cached  # 3.5.1, 9.1.19: a cached Accepted id starts without Authorize.req
        info = await super()._authorization_info(token)
        online = self._online and self.registration == "Accepted"
        if (not online and info.get("status") != "Accepted" and self._listed(token) is None
                and token.get("idToken") not in self.auth_cache
                and self.configuration.local.get("AllowOfflineTxForUnknownId",
                                                 ("false", False))[0] == "true"):
            return {"status": "Accepted"}  # 3.5 Unknown Offline Authorization, 9.1.1
        return info

    def _cached(self, token: dict[str, Any]) -> dict[str, Any] | None:
        """The token's Authorization Cache entry, when the cache is enabled and it has not
        expired (1.6 section 3.5.1)."""
        if not self.dm.get_bool("AuthCacheCtrlr", "Enabled"):
            return None
        info = self.auth_cache.get(token.get("idToken", ""))
        expiry = (info or {}).get("cacheExpiryDateTime")
        if expiry:
            with contextlib.suppress(ValueError):
                if datetime.fromisoformat(expiry.replace("Z", "+00:00")) < datetime.now(UTC):
                    return None
        return info

    def _after_reply(self, msg: OutMessage, response: dict[str, Any]) -> None:
        # 3.5.1: the cache is updated with the IdTagInfo of StartTransaction.conf as well.
        token = msg.payload.get("idToken") if msg.action == "TransactionEvent" else None
        info = response.get("idTokenInfo")
        if (token and info and msg.payload.get("eventType") == "Started"
                and self._listed(token) is None):
            self.auth_cache[token["idToken"]] = dict(info)
        super()._after_reply(msg, response)

    # ---- StartTransaction.conf not Accepted (1.6 sections 3.5, 9.1.30) ------------------------
    def _deauthorized(self, tx_id: str, status: str) -> None:
        if "invalid_id_keeps_charging" in self.quirks:
            return  # the defect: StopTransactionOnInvalidId is not looked at
        if self.dm.get_bool("TxCtrlr", "StopTxOnInvalidId"):
            super()._deauthorized(tx_id, status)  # stopped, reason DeAuthorized
            return
        # StopTransactionOnInvalidId false: the transaction goes on, without energy
        # (SuspendedEVSE) until the EV leaves or the transaction is stopped.
        for evse in self.evses.values():
            if evse.tx is not None and evse.tx.id == tx_id:
                self._energy_withheld.add(tx_id)
                self._evaluate(evse, "ChargingStateChanged")

    def _points(self, evse: Evse) -> dict[str, bool]:
        points = super()._points(evse)
        if evse.tx is not None and evse.tx.id in self._energy_withheld:
            points["PowerPathClosed"] = points["EnergyTransfer"] = False
        return points

    def _end_tx(self, evse: Evse, trigger: str, reason: str) -> None:
        if evse.tx is not None:
            self._energy_withheld.discard(evse.tx.id)
        super()._end_tx(evse, trigger, reason)

    # ---- sampled meter values ----------------------------------------------------------------
    def _sampled_tick(self, evse: Evse, now: float) -> None:
        if "meter_sample_interval_ignored" not in self.quirks:
            super()._sampled_tick(evse, now)
            return
        # The defect: samples at its factory interval whatever MeterValueSampleInterval says
        # (GetConfiguration still reports the value the Central System set).
        configured = self.dm.get("SampledDataCtrlr", "TxUpdatedInterval")
        self.dm.put("SampledDataCtrlr", "TxUpdatedInterval", FACTORY_SAMPLE_INTERVAL)
        try:
            super()._sampled_tick(evse, now)
        finally:
            self.dm.put("SampledDataCtrlr", "TxUpdatedInterval", configured)
