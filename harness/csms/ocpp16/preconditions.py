"""Bring a 1.6 charge point to the Core preconditions before each test, and undo test changes.

The 1.6 counterpart of :mod:`harness.preconditions` (same steps, 1.6 messages): connected and
Accepted, every connector reported, no transaction (RemoteStopTransaction, unplug), every
connector available; configuration keys a test changed are put back with ChangeConfiguration.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from harness.csms.session import ExpectTimeout, StationSession
from harness.preconditions import Hands, wait_until

if TYPE_CHECKING:
    from harness.bench import Bench

# Keys a Core test may change; their values at the start of the run are restored after it.
BASELINE_KEYS = ("HeartbeatInterval", "ConnectionTimeOut", "MeterValueSampleInterval",
                 "MeterValuesSampledData", "StopTxnSampledData", "ClockAlignedDataInterval",
                 "MeterValuesAlignedData", "StopTransactionOnEVSideDisconnect",
                 "StopTransactionOnInvalidId", "AuthorizeRemoteTxRequests",
                 "LocalAuthorizeOffline", "LocalPreAuthorize", "AuthorizationCacheEnabled",
                 "TransactionMessageAttempts", "TransactionMessageRetryInterval",
                 "AllowOfflineTxForUnknownId", "UnlockConnectorOnEVSideDisconnect")


class Baseline16:
    """The values of BASELINE_KEYS read from the charge point once, restored when changed."""

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.values: dict[str, str] | None = None

    async def capture(self, session: StationSession) -> None:
        if self.values is None:
            reply = await session.call("GetConfiguration", {"key": list(BASELINE_KEYS)})
            self.values = {k["key"]: k["value"] for k in reply.get("configurationKey", [])
                           if "value" in k}

    async def restore(self, session: StationSession) -> None:
        if self.values is None or not session.is_connected:
            return
        touched = {e.payload["key"] for e in session.journal.since(session.test_mark)
                   if e.direction == "csms->station" and e.action == "ChangeConfiguration"
                   and e.message_type == "CALL" and e.payload}
        for key in sorted(touched & set(self.values)):
            await session.call("ChangeConfiguration", {"key": key, "value": self.values[key]})


async def ensure_core_preconditions(session: StationSession, bench: Bench, hands: Hands,
                                    baseline: Baseline16, connect_within: float) -> None:
    timeout = bench.csms.message_timeout
    await session.wait_connected(connect_within)
    if session.state.boot_status not in (None, "Accepted"):
        await hands.power_cycle()
        await wait_until(session, lambda: session.state.boot_status is None, connect_within,
                         "charge point rebooted")
    await wait_until(session, lambda: session.is_connected and session.state.boot_status == "Accepted",
                     connect_within, f"{session.station_id} connected and Accepted")
    count = len(bench.station.connectors())
    expected = {(n, 0) for n in range(count + 1)}
    with contextlib.suppress(ExpectTimeout):  # TC_001_CS checks it; here it is a wait only
        await wait_until(session, lambda: expected <= session.state.reported_since_boot, timeout,
                         "every connector reported since boot")
    await baseline.capture(session)
    for tx_id in list(session.state.active_transactions):
        reply = await session.call("RemoteStopTransaction", {"transactionId": int(tx_id)})
        if reply["status"] != "Accepted":
            session.state.transactions[tx_id] = {"eventType": "Ended"}  # unknown to the station
    plugged = ("Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing")
    connectors = dict(enumerate(((e.id, c.id) for e in bench.station.evses for c in e.connectors),
                                start=1))
    for (number, _), status in list(session.state.connector_status.items()):
        if status in plugged and number in connectors:
            await hands.unplug(*connectors[number])
    await wait_until(session, lambda: not session.state.active_transactions, timeout * 2,
                     "no transaction ongoing")
    await wait_until(session, lambda: not set(plugged) & set(session.state.connector_status.values()),
                     timeout, "no connector in use")
    unavailable = sorted(n for (n, _), v in session.state.connector_status.items()
                         if v == "Unavailable")
    for number in ([0] if 0 in unavailable else []) + [n for n in unavailable if n]:
        await session.call("ChangeAvailability", {"connectorId": number, "type": "Operative"})
    if unavailable:
        await wait_until(session,
                         lambda: "Unavailable" not in session.state.connector_status.values(),
                         timeout, "all connectors available")
