"""Meter values of the emulated station: sampled (J02) and clock-aligned (J01), from each
EVSE's power stage, sent as MeterValues or inside TransactionEvents."""

from __future__ import annotations

import math
import time
from typing import Any

from harness.emulator.clock import iso
from harness.emulator.device_model import DeviceModel
from harness.emulator.evse import Evse
from harness.emulator.ocmf_meter import sign_sampled


class Metering:
    """Mixin of :class:`~harness.emulator.station.EmulatedStation`: meter-value timing."""

    dm: DeviceModel
    evses: dict[int, Evse]
    quirks: set[str]

    def _aligned_tick(self) -> None:
        interval = self.dm.get_int("AlignedDataCtrlr", "Interval")
        ended_interval = self.dm.get_int("AlignedDataCtrlr", "TxEndedInterval")
        wall = time.time()
        for kind, ivl in (("aligned", interval), ("ended", ended_interval)):
            if ivl <= 0:
                self._aligned_due.pop(kind, None)
                continue
            offset = ivl / 2 if "clock_aligned_off_grid" in self.quirks else 0.0
            following = math.floor(wall / ivl) * ivl + ivl + offset
            due, was = self._aligned_due.get(kind, (None, ivl))
            if due is None or was != ivl:  # just enabled, or a new interval: its next boundary
                self._aligned_due[kind] = (following, ivl)
                continue
            if wall < due:
                continue
            self._aligned_due[kind] = (following, ivl)
            if kind == "aligned":
                self._send_aligned(due)
            else:
                for evse in self.evses.values():
                    if evse.tx is not None:
                        evse.tx.ended_samples.append(self._meter_value(
                            evse, self.dm.get_list("AlignedDataCtrlr", "TxEndedMeasurands"),
                            "Sample.Clock", due))

    def _send_aligned(self, boundary: float) -> None:
        if not self.dm.get_bool("AlignedDataCtrlr", "Enabled"):
            return
        # AlignedDataCtrlr.SendDuringIdle: clock-aligned values only while no transaction runs.
        busy = any(e.tx is not None for e in self.evses.values())
        if busy and self.dm.get_bool("AlignedDataCtrlr", "SendDuringIdle") \
                and "aligned_during_transaction" not in self.quirks:
            return
        measurands = self.dm.get_list("AlignedDataCtrlr", "Measurands")
        for evse in self.evses.values():
            value = self._meter_value(evse, measurands, "Sample.Clock", boundary)
            if evse.tx is not None and not evse.tx.ending:
                self._tx_event(evse, "Updated", "MeterValueClock", meter=[value])
            else:  # J01: idle EVSEs report in MeterValues, also while others charge
                self.send("MeterValues", {"evseId": evse.id, "meterValue": [value]})

    def _sampled_tick(self, evse: Evse, now: float) -> None:
        tx = evse.tx
        if tx is None or tx.ending:
            return
        interval = self.dm.get_int("SampledDataCtrlr", "TxUpdatedInterval")
        ended_interval = self.dm.get_int("SampledDataCtrlr", "TxEndedInterval")
        if tx.sampled_at is None or tx.ended_sampled_at is None:
            tx.sampled_at = tx.ended_sampled_at = now  # intervals count from the start
            return

        def due(last: float, ivl: int) -> float | None:
            """The new 'last sample' time when a sample is due, keeping the cadence."""
            if ivl <= 0 or now - last < ivl:
                return None
            return last + ivl if now - last < 2 * ivl else now

        if (at := due(tx.sampled_at, interval)) is not None:
            tx.sampled_at = at
            if "no_periodic_meter_values" not in self.quirks:
                value = self._meter_value(
                    evse, self.dm.get_list("SampledDataCtrlr", "TxUpdatedMeasurands"),
                    "Sample.Periodic")
                self._tx_event(evse, "Updated", "MeterValuePeriodic", meter=[value])
        if (at := due(tx.ended_sampled_at, ended_interval)) is not None:
            tx.ended_sampled_at = at
            tx.ended_samples.append(self._meter_value(
                evse, self.dm.get_list("SampledDataCtrlr", "TxEndedMeasurands"),
                "Sample.Periodic"))

    def _meter_value(self, evse: Evse, measurands: list[str], context: str,
                     ts: float | None = None) -> dict[str, Any]:
        p = evse.power
        p.update()
        readings = {
            "Energy.Active.Import.Register": (
                p.register_wh() - (1000.0 if "meter_register_backwards" in self.quirks
                                   and context == "Sample.Periodic" else 0.0), "Wh"),
            "Power.Active.Import": (p.power_w, "W"),
            "Current.Import": (p.current_a, "A"),
            "Voltage": (p.voltage_v, "V"),
            "SoC": (p.soc, "Percent"),
            "Current.Offered": (p.demand_a, "A"),
            "Power.Offered": (p.max_power_w, "W"),
        }
        sampled = []
        for m in measurands or ["Energy.Active.Import.Register"]:
            if m not in readings:
                continue
            value, unit = readings[m]
            sampled.append({"value": round(value, 3), "context": context, "measurand": m,
                            "unitOfMeasure": {"unit": unit}})
        sign_sampled(self, evse, sampled, context, ts)  # option signed_meter_values: OCMF
        return {"timestamp": iso(ts), "sampledValue": sampled}
