"""The EV counterpart of a bench, as the interop suites see it: the EV end of a connector, the
L2 socket to the EV's HomePlug modem, and where to send SDP — real or emulated alike.

On the emulated bench the EV end is the in-process :class:`~harness.ev.emulated.EmulatedEv` on
the emulated charger's pilot, SLAC runs over a veth pair in a network namespace the run creates
(the charger's responder sits on its other end), and SDP goes unicast to the emulated SECC on
loopback. On a lab bench the EV end is the EV emulator box (serial or SCPI), SLAC runs on the
modem's interface and SDP is multicast on it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from typing import Any

from harness.ev.side import EvSide
from harness.ev.spec import EvSpec
from harness.lab.facade import LabUnavailable
from instruments.transcript import Transcript

log = logging.getLogger("harness.ev")


class EvBench:
    def __init__(self, spec: EvSpec, *, station: Any = None, transcript: Transcript | None = None,
                 tls_roots: tuple[str, ...] = (), secc_tls: ssl.SSLContext | None = None) -> None:
        """``station``: the emulated charger on the emulated bench (None on a lab bench)."""
        self.spec = spec
        self.station = station
        self.transcript = transcript or Transcript()
        self.tls_roots = tls_roots
        self.secc_tls = secc_tls
        self.slac_bed: Any = None  # the veth test bed (emulated bench)
        self.slac_unavailable: str | None = None  # why SLAC cannot run here
        self._box: Any = None
        self._sides: list[EvSide] = []

    @property
    def timing_scale(self) -> float:
        return self.spec.timing_scale

    def _require(self) -> None:
        if self.spec.backend is None:
            raise LabUnavailable("the bench file has no ev: section (no EV emulator to play the EV)")

    async def side(self, evse: int, connector: int) -> EvSide:
        """The EV end for (``evse``, ``connector``); call ``connect`` on it to plug in."""
        self._require()
        if self.spec.backend == "emulated":
            from harness.ev.emulated import EmulatedEv

            side: EvSide = EmulatedEv(self.station.pilots[(evse, connector)])
        elif self.spec.backend == "serial":
            from harness.ev.serial_box import SerialEvBox

            if self._box is None:
                self._box = SerialEvBox("ev", self.spec.address or "", baudrate=self.spec.baudrate,
                                        timeout_s=self.spec.timeout_s, transcript=self.transcript).open()
            side = self._box
        else:
            from harness.ev.scpi_box import ScpiEvEmulator
            from instruments.transport import ScpiTransport

            if self._box is None:
                transport = ScpiTransport("ev", self.spec.address or "", timeout_s=self.spec.timeout_s,
                                          transcript=self.transcript).open()
                self._box = ScpiEvEmulator(transport)
            side = self._box
        self._sides.append(side)
        return side

    async def slac_socket(self) -> socket.socket:
        """The L2 socket (EtherType 0x88E1) to the EV's HomePlug modem."""
        self._require()
        if self.slac_unavailable is not None:
            raise LabUnavailable(f"SLAC cannot run on this machine: {self.slac_unavailable}")
        if self.slac_bed is not None:
            return self.slac_bed.ev_end  # type: ignore[no-any-return]
        if not self.spec.interface:
            raise LabUnavailable("the bench file's ev: section names no modem interface for SLAC")
        from harness.lab.netns import open_interface

        return open_interface(self.spec.interface)

    def slac_pcap(self) -> bytes | None:
        """Every frame the test bed's EV end saw (the emulated bench), for the evidence."""
        return self.slac_bed.pcap(end="ev") if self.slac_bed is not None else None

    async def sdp_target(self, evse: int) -> dict[str, Any]:
        """Keyword arguments for :func:`harness.ev.sdp.discover` reaching ``evse``'s SECC."""
        self._require()
        if self.station is not None:
            secc = await self.station.start_secc(evse, self.secc_tls)
            return {"interface": None, "target": secc.sdp_address}
        if not self.spec.interface:
            raise LabUnavailable("the bench file's ev: section names no interface for SDP")
        return {"interface": self.spec.interface}

    def v2g_tls(self) -> ssl.SSLContext:
        from harness.ev.v2g import client_tls_context

        return client_tls_context(self.tls_roots)

    async def release(self, within: float = 6.0) -> None:
        """After a test: every EV end unplugged and fault-free, and the EVSE seen back in state A
        (+12 V steady), so the next plug-in is a new one for the charger too. After a fault the
        EVSE holds state F for T_step_EF (4 s, ISO 15118-3) before it can see the unplug."""
        for side in self._sides:
            try:
                await side.inject_fault(None)
                await side.disconnect()
                deadline = time.monotonic() + within
                while True:
                    reading = await side.read_pilot()
                    if not reading.oscillating and reading.high_v > 11.0:
                        break
                    if time.monotonic() > deadline:
                        log.warning("the EVSE did not return to state A within %g s after the unplug", within)
                        break
                    await asyncio.sleep(0.01)
            except Exception as exc:  # the next test's precondition will say what is wrong
                log.warning("could not unplug the EV side: %s", exc)
        self._sides.clear()

    async def close(self) -> None:
        await self.release()
        if self._box is not None:
            await self._box.close()
            self._box = None
