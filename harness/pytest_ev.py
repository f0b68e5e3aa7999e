"""pytest fixtures of the EV side: the bench's EV for the run and for each test.

Loaded with the harness plugin (``harness.pytest_plugin``). On the emulated bench the run
builds the SLAC test bed (a veth pair in a network namespace) with the emulated charger's
responder on its far end, and gives the emulated SECCs a TLS certificate from the run's PKI.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from harness.bench import Bench
from harness.emulator.station import EmulatedStation
from harness.ev.bench import EvBench
from harness.evidence import steps
from harness.evidence.steps import allure_test_uuid
from harness.pki import TestPki


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ev_session(bench: Bench, emulated_station: EmulatedStation | None, pki: TestPki
                     ) -> AsyncIterator[EvBench]:
    """The bench's EV side for the run. On the emulated bench: the in-process EV, the SLAC
    test bed (a veth pair in a network namespace, the emulated charger's responder on its far
    end) and the emulated SECCs (TLS with a certificate from the run's PKI)."""
    from harness.emulator.secc import server_tls_context
    from harness.lab.netns import TestBedUnavailable, veth_pair

    secc_tls = None
    if emulated_station is not None:
        secc_tls = server_tls_context(pki.secc_cert.chain_pem, pki.secc_cert.key_pem)
    ev_bench = EvBench(bench.ev, station=emulated_station if bench.ev.backend == "emulated" else None,
                       tls_roots=(pki.v2g_root.pem,), secc_tls=secc_tls)
    async with contextlib.AsyncExitStack() as stack:
        if ev_bench.station is not None:
            try:
                bed = await stack.enter_async_context(veth_pair("slac"))
            except TestBedUnavailable as exc:
                ev_bench.slac_unavailable = str(exc)
            else:
                ev_bench.slac_bed = bed
                await ev_bench.station.start_slac(1, bed.evse_end, timing_scale=bench.ev.timing_scale)
                stack.push_async_callback(ev_bench.station.stop_slac)
        try:
            yield ev_bench
        finally:
            await ev_bench.close()


@pytest_asyncio.fixture(loop_scope="session")
async def ev(request: pytest.FixtureRequest, ev_session: EvBench) -> AsyncIterator[EvBench]:
    """The EV side for one test; afterwards every EV end it used is unplugged and fault-free,
    and the EV emulator's transcript is attached."""
    mark = ev_session.transcript.mark()
    try:
        yield ev_session
    finally:
        await ev_session.release()
        text = ev_session.transcript.text(mark)
        if text:
            steps.attach(text, "EV emulator transcript", "text/plain", "txt",
                         parent=allure_test_uuid(request.node))
