"""Mixin of :class:`~harness.emulator.station.EmulatedStation`: its side of the link to the EV —
a control pilot per connector, a SLAC responder and a SECC (SDP + V2GTP) per EVSE.

The pilot is what makes a plug-in real: state B from the EV's side plugs the connector in (as
the bench action does), state A unplugs it, and while the EV drives the pilot the DC output is
allowed only in state C/D without a fault (checked in the transaction logic). Connectors the
bench's operator plugs without a pilot (the OCPP suites) keep working as before.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import ssl
from typing import Any

from harness.emulator import pilot as pilot_module
from harness.emulator.evse import Evse
from harness.emulator.pilot import EvsePilot, EvsePilotTiming
from harness.emulator.secc import Secc
from harness.emulator.slac import EvseSlac
from harness.protocols import slac as slac_frames

log = logging.getLogger("harness.emulator")


class VehicleLink:
    evses: dict[int, Evse]
    quirks: set[str]
    config: Any

    def _init_vehicle_link(self) -> None:
        scale = float(getattr(self.config, "ev_timing_scale", 1.0))
        self.pilots: dict[tuple[int, int], EvsePilot] = {}
        for evse in self.evses.values():
            for cid in evse.connectors:
                self.pilots[(evse.id, cid)] = EvsePilot(
                    evse.id, cid, dc=True, timing=EvsePilotTiming(scale=scale),
                    quirks=self.quirks & pilot_module.QUIRKS,
                    on_state=functools.partial(self._pilot_changed, evse.id, cid),
                    dc_voltage=functools.partial(self._inlet_voltage, evse.id))
        self.secc: dict[int, Secc] = {}
        self.slac: EvseSlac | None = None

    # ---- pilot ----------------------------------------------------------------------------
    def _inlet_voltage(self, evse_id: int) -> float:
        return self.evses[evse_id].power.plant.measure(0)[0]

    def _pilot_changed(self, evse_id: int, connector_id: int, old: str, new: str) -> None:
        # The pilot calls from its own threads with its lock held: hop to the station's loop.
        self._threadsafe(self._pilot_reacted, evse_id, connector_id, old, new)  # type: ignore[attr-defined]

    def _pilot_reacted(self, evse_id: int, connector_id: int, old: str, new: str) -> None:
        evse = self.evses[evse_id]
        connector = evse.connectors[connector_id]
        self.on_event(f"EVSE {evse_id} connector {connector_id}: pilot {old} -> {new}")  # type: ignore[attr-defined]
        if old == "A" and new != "A" and not connector.plugged:
            connector.pilot_driven = True
            self._plug(evse, connector_id)  # type: ignore[attr-defined]
        elif new == "A" and connector.pilot_driven:
            connector.pilot_driven = False
            if evse.tx is not None and "pilot_loss_as_abnormal" in self.quirks:
                self._end_tx(evse, "AbnormalCondition", "Other")  # type: ignore[attr-defined]
            self._unplug(evse, connector_id)  # type: ignore[attr-defined]
        else:
            self._evaluate(evse, "ChargingStateChanged")  # type: ignore[attr-defined]

    def pilot_allows_energy(self, evse: Evse) -> bool:
        """No DC output while the EV drives the pilot and it is not in state C/D (fault-free)."""
        connector = evse.plugged
        if connector is None or not connector.pilot_driven:
            return True
        return self.pilots[(evse.id, connector.id)].energized_allowed

    def ev_not_ready(self, evse: Evse) -> bool:
        """The EV drives the pilot and holds it in state B with no fault: it is connected but
        asks for no energy (IEC 61851-1 B2; OCPP chargingState SuspendedEV)."""
        connector = evse.plugged
        if connector is None or not connector.pilot_driven:
            return False
        pilot = self.pilots[(evse.id, connector.id)]
        with pilot.lock:
            return pilot.fault is None and pilot.state == "B"

    # ---- SLAC and SECC ------------------------------------------------------------------------
    async def start_slac(self, evse_id: int, sock: Any, *, timing_scale: float = 1.0) -> EvseSlac:
        """Run the SLAC responder of ``evse_id`` on an L2 socket (one end of the bench's veth
        pair); one EVSE at a time, as one EV is plugged at a time on a bench."""
        await self.stop_slac()
        nmk = slac_frames.nmk_from_password(f"{self.config.station_id}-EVSE{evse_id}")
        self.slac = EvseSlac(sock, nid=slac_frames.nid_from_nmk(nmk), nmk=nmk,
                             timing=slac_frames.SlacTiming(scale=timing_scale),
                             quirks=self.quirks & set(slac_quirks()), modem=slac_frames.StubModem())
        await self.slac.start()
        return self.slac

    async def stop_slac(self) -> None:
        if self.slac is not None:
            with contextlib.suppress(Exception):
                await self.slac.stop()
            self.slac = None

    async def start_secc(self, evse_id: int, tls_context: ssl.SSLContext | None = None) -> Secc:
        """The EVSE's SECC on loopback (SDP on an ephemeral port, V2GTP over TCP and TLS)."""
        if evse_id in self.secc:
            return self.secc[evse_id]
        secc = Secc(host="::1", tls_context=tls_context, quirks=self.quirks & set(secc_quirks()))
        await secc.start()
        self.secc[evse_id] = secc
        return secc

    async def stop_vehicle_link(self) -> None:
        await self.stop_slac()
        for secc in self.secc.values():
            with contextlib.suppress(Exception):
                await secc.stop()
        self.secc.clear()
        for pilot in self.pilots.values():
            pilot.close()


def slac_quirks() -> tuple[str, ...]:
    from harness.emulator.slac import QUIRKS

    return tuple(QUIRKS)


def secc_quirks() -> tuple[str, ...]:
    from harness.emulator.secc import SECC_QUIRKS

    return tuple(SECC_QUIRKS)
