"""The few things the power and interop suites need of a charger's OCPP side, in either version.

Those suites test physics and the link to the EV; of OCPP they need only: start a session from
the CSMS, see it start and end, read its energy register, see a connector taken or freed. This
module says those things in OCPP 2.0.1 (TransactionEvent, StatusNotification ``Occupied``)
and in 1.6 (StartTransaction / StopTransaction with the CSMS-assigned transactionId,
``meterStart`` / ``meterStop``, Preparing..Finishing), so the same power and interop cases run
on a charger of either version. The conformance suites, by contrast, are written per version:
there the words themselves are under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.bench import Bench, IdTokenSpec
    from harness.csms.session import Message, StationSession

REGISTER = "Energy.Active.Import.Register"
# 1.6 ChargePointStatus words for a connector with a cable in (2.0.1 says Occupied for all).
OCCUPIED_16 = frozenset({"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"})


@dataclass(frozen=True)
class Started:
    """A transaction the charger started: its id (as the CSMS addresses it) and the message."""

    tx_id: str
    message: Message
    begin_wh: float | None  # the register at the start, if the start message carries it


@dataclass(frozen=True)
class Ended:
    message: Message
    reason: str | None  # 2.0.1 stoppedReason / 1.6 reason ("Local" when 1.6 leaves it out)
    end_wh: float | None
    # 1.6: the Transaction.Begin register in the StopTransaction's transactionData, when the
    # charger repeats it there (finer than the whole-Wh meterStart)
    begin_wh: float | None = None
    resolution_wh: float | None = None  # 1.6 whole-Wh meterStart / meterStop: 1 Wh


def register_wh(meter_values: list[dict[str, Any]] | None, context: str | None = None) -> float | None:
    """The energy register (Wh) in meter values of either version; the first of ``context``
    (``Transaction.Begin`` / ``Transaction.End``) when given, else the first found."""
    for value in meter_values or []:
        for sampled in value.get("sampledValue", []):
            if sampled.get("measurand", REGISTER) != REGISTER:
                continue
            if context is not None and sampled.get("context") not in (context, None):
                continue
            # 2.0.1: unitOfMeasure {unit, multiplier}; 1.6: a flat unit, the value a string.
            unit_of_measure = sampled.get("unitOfMeasure") or {}
            unit = unit_of_measure.get("unit") or sampled.get("unit") or "Wh"
            scale = 10 ** int(unit_of_measure.get("multiplier", 0))
            return float(sampled["value"]) * scale * (1000.0 if unit == "kWh" else 1.0)
    return None


class ChargerView:
    """Version-neutral expectations on one station's CSMS session (see the module docstring)."""

    def __init__(self, station: StationSession, bench: Bench) -> None:
        self.station = station
        self.bench = bench

    @property
    def is_16(self) -> bool:
        return self.station.version == "1.6"

    def connector_id(self, evse: int, connector: int | None = None) -> int:
        """The 1.6 connectorId of (EVSE, connector): the bench's connectors numbered 1..n."""
        for number, (evse_id, c) in enumerate(self.bench.station.connectors(), start=1):
            if evse_id == evse and (connector is None or c.id == connector):
                return number
        raise KeyError(f"the bench has no connector {connector} on EVSE {evse}")

    async def remote_start(self, evse: int, token: IdTokenSpec, remote_start_id: int) -> None:
        """RequestStartTransaction (2.0.1) / RemoteStartTransaction (1.6) on ``evse``; Accepted."""
        if self.is_16:
            action = "RemoteStartTransaction"
            reply = await self.station.call(action, {"connectorId": self.connector_id(evse),
                                                     "idTag": token.id_token})
        else:
            action = "RequestStartTransaction"
            reply = await self.station.call(action, {"idToken": token.to_ocpp(),
                                                     "remoteStartId": remote_start_id, "evseId": evse})
        assert reply["status"] == "Accepted", (
            f"{action} on EVSE {evse}: expected Accepted, got {reply['status']}")

    async def expect_started(self, evse: int, within: float | None = None) -> Started:
        if not self.is_16:
            started = await self.station.expect(
                "TransactionEvent", {"eventType": "Started", "evse.id": evse}, within=within)
            return Started(str(started["transactionInfo"]["transactionId"]), started,
                           register_wh(started.get("meterValue"), "Transaction.Begin"))
        started = await self.station.expect(
            "StartTransaction", {"connectorId": self.connector_id(evse)}, within=within)
        return Started(str(self._assigned_id(started)), started, float(started["meterStart"]))

    def _assigned_id(self, start: Message) -> int:
        """The transactionId this CSMS answered the 1.6 StartTransaction with."""
        for entry in self.station.journal.since(start.seq):
            if entry.unique_id == start.unique_id and entry.message_type == "CALLRESULT":
                return int((entry.payload or {})["transactionId"])
        raise AssertionError(f"StartTransaction #{start.seq} has no answer from the CSMS in the journal")

    async def expect_ended(self, started: Started, *, within: float | None = None,
                           consume: bool = True) -> Ended:
        if not self.is_16:
            ended = await self.station.expect("TransactionEvent", {
                "eventType": "Ended", "transactionInfo.transactionId": started.tx_id},
                within=within, consume=consume)
            return Ended(ended, ended["transactionInfo"].get("stoppedReason"),
                         register_wh(ended.get("meterValue"), "Transaction.End"))
        stop = await self.station.expect("StopTransaction", {"transactionId": int(started.tx_id)},
                                         within=within, consume=consume)
        data = stop.get("transactionData")
        begin, end = register_wh(data, "Transaction.Begin"), register_wh(data, "Transaction.End")
        exact = begin is not None and end is not None  # both ends at the meter's resolution
        return Ended(stop, stop.get("reason", "Local"), end if exact else float(stop["meterStop"]),
                     begin_wh=begin if exact else None, resolution_wh=None if exact else 1.0)

    async def expect_connector(self, evse: int, connector: int, *, occupied: bool,
                               within: float | None = None) -> Message:
        """The StatusNotification that says the connector is taken (cable in) or Available."""
        if not self.is_16:
            status = "Occupied" if occupied else "Available"
            return await self.station.expect("StatusNotification", {
                "evseId": evse, "connectorId": connector, "connectorStatus": status}, within=within)
        number = self.connector_id(evse, connector)

        def fits(p: dict[str, Any]) -> bool:
            return p.get("connectorId") == number and (
                p.get("status") in OCCUPIED_16 if occupied else p.get("status") == "Available")

        return await self.station.expect("StatusNotification", fits, within=within)
