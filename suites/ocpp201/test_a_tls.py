"""OCTT block A, TLS (Charging Station side): security profile 2 (TLS with a server
certificate, HTTP Basic auth), upgrading the security profile, refusing a downgrade, and
migrating to a new CSMS with a new CSMS root (block B).

Every case works on whatever the bench runs (security profile 1 on the emulated bench): it
starts its own TLS CSMS on a free port of the harness host with the certificate the case
needs, makes sure the station trusts the run's CSMS root (InstallCertificate
CSMSRootCertificate; a station that cannot install one must have been provisioned with it),
and moves the station there with SetNetworkProfile + NetworkConfigurationPriority + Reset.
Afterwards the station is sent back to the harness CSMS and its own profile.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest

from harness.bench import Bench, csms_config
from harness.csms import tls
from harness.csms.server import CsmsServer, StationAccount
from harness.csms.session import ExpectTimeout, Message, StationSession
from harness.pki import Issued, TestPki, certificate_hash_data, issue
from harness.protocols.rpc import CallErrorReply
from suites.ocpp201.provisioning import (
    AUTH_ACCEPTED,
    CONNECTED,
    choose_free_slot,
    csms_host,
    events,
    reboot_within,
)
from suites.ocpp201.support import get_variable, set_variable
from suites.ocpp201.test_b_network import (
    _connection_data,
    _first_boot,
    _return_from,
    prefer_profile,
    reset_on_idle,
)

TLS_12_SUITES = {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                 "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"}


@dataclass
class Move:
    """A station being moved to a TLS CSMS: where it came from and where it went."""

    server: CsmsServer
    new: StationSession
    slot: int
    in_use: int
    priority: str
    url: str
    profile: int
    mark: int
    hellos: list[int]


def _tls_profile(bench: Bench) -> int:
    return 3 if bench.station.security_profile == 3 else 2


async def _trust_root(station: StationSession, root_pem: str, *, required: bool = False) -> str:
    """InstallCertificate CSMSRootCertificate (M05). Without ``required`` a station that
    cannot install certificates is assumed to have been provisioned with the run's root."""
    try:
        reply = await station.call("InstallCertificate", {
            "certificateType": "CSMSRootCertificate", "certificate": root_pem})
    except CallErrorReply as exc:
        if required:
            pytest.skip(f"the station cannot install a CSMS root certificate "
                        f"(InstallCertificate answered CALLERROR {exc.code}); this case needs M05")
        return f"CALLERROR {exc.code}"
    status = str(reply["status"])
    assert status == "Accepted" or not required, (
        f"InstallCertificate CSMSRootCertificate (a valid root): expected Accepted (M05.FR.01), "
        f"the station answered {status!r} {reply.get('statusInfo') or ''}".rstrip())
    return status


@asynccontextmanager
async def _tls_csms(bench: Bench, csms: CsmsServer, issued: Issued, profile: int,
                    pki: TestPki, hellos: list[int], **versions: Any) -> AsyncIterator[CsmsServer]:
    """A TLS harness CSMS (security profile ``profile``) presenting ``issued``."""
    context = tls.server_context(
        issued, client_ca_pems=[pki.csms_root.pem] if profile == 3 else (),
        on_hello=lambda: hellos.append(1), **versions)
    accounts = {k: StationAccount(a.station_id, a.password if profile == 2 else None)
                for k, a in csms.config.accounts.items()}
    server = CsmsServer(replace(csms_config(bench), port=0, accounts=accounts,
                                ssl_context=context, security_profile=profile))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def _move_to_tls(station: StationSession, bench: Bench, csms: CsmsServer, pki: TestPki,
                       issued: Issued, *, fallback: bool = False,
                       **versions: Any) -> AsyncIterator[Move]:
    """Start a TLS CSMS with ``issued``, store it in a free network profile slot, put that
    slot first in NetworkConfigurationPriority and reset. With ``fallback`` the station is
    expected to give the TLS CSMS up after one attempt (NetworkProfileConnectionAttempts 1)."""
    slot, priority, active = await choose_free_slot(station)
    in_use = active if active is not None else int(priority.split(",")[0])
    profile = _tls_profile(bench)
    if fallback:
        for name, value in (("NetworkProfileConnectionAttempts", "1"),
                            ("RetryBackOffWaitMinimum", "1"), ("RetryBackOffRandomRange", "0")):
            await set_variable(station, "OCPPCommCtrlr", name, value)
    hellos: list[int] = []
    async with _tls_csms(bench, csms, issued, profile, pki, hellos, **versions) as server:
        new = server.session(bench.station.id)
        url = f"wss://{csms_host(station, bench)}:{server.port}{server.config.path_prefix.rstrip('/')}/"
        await prefer_profile(station, slot, in_use, _connection_data(url, profile))
        mark = station.journal.mark()
        move = Move(server, new, slot, in_use, priority, url, profile, mark, hellos)
        try:
            await reset_on_idle(station)
            yield move
        finally:
            await _return_from(new, station, priority, bench)


def _connection(new: StationSession) -> str:
    found = events(new, 0, CONNECTED)
    return found[-1].raw if found else ""


async def _booted_over_tls(move: Move, station: StationSession, bench: Bench) -> Message:
    where, boot = await _first_boot(station, move.new, move.mark, reboot_within(bench))
    assert where is move.new, (
        f"after the reset the station must connect to the TLS CSMS of the first "
        f"NetworkConfigurationPriority entry (slot {move.slot}, {move.url}, security profile "
        f"{move.profile}) with a valid server certificate chaining to the installed CSMS root "
        f"(A00.FR.309); it booted at the old CSMS instead "
        f"({len(move.hellos)} TLS ClientHello(s) seen at the TLS CSMS)")
    return boot


async def _fell_back(move: Move, station: StationSession, bench: Bench, why: str) -> Message:
    where, boot = await _first_boot(station, move.new, move.mark, reboot_within(bench))
    assert where is station, (
        f"the TLS CSMS at {move.url} presented {why}: the station must not establish the "
        f"connection, but it did ({_connection(move.new)}) and booted there")
    assert not events(move.new, 0, CONNECTED), f"the station connected to {move.url} despite {why}"
    return boot


@pytest.mark.octt("TC_A_04_CS")
async def test_tls_valid_server_certificate(station, operator, bench, csms, pki):
    """TLS - server-side certificate - Valid certificate.

    The station is moved to a TLS CSMS (security profile 2, or 3 on a profile-3 bench) whose
    server certificate is valid, names the CSMS host and chains to the CSMS root installed
    on the station. It opens the websocket over TLS 1.2 or higher with an OCPP cipher suite
    (TLS 1.3, or for TLS 1.2 ECDHE-ECDSA/RSA with AES-GCM), authenticates with HTTP Basic
    (profile 2) and boots.

    Requirements: A00.FR.309, A00.FR.312, A00.FR.313, A00.FR.319, A00.FR.321, A00.FR.412,
    A00.FR.422.
    """
    await _trust_root(station, pki.csms_root.pem)
    async with _move_to_tls(station, bench, csms, pki, pki.csms_server) as move:
        await _booted_over_tls(move, station, bench)
        connection = _connection(move.new)
        ws = move.new.transport
        ssl_object = ws.transport.get_extra_info("ssl_object") if ws is not None else None
        assert ssl_object is not None, f"no TLS on the connection: {connection}"
        version, cipher = ssl_object.version(), ssl_object.cipher()[0]
        assert version in ("TLSv1.2", "TLSv1.3"), (
            f"the station connected with {version}; OCPP requires TLS 1.2 or higher "
            f"(A00.FR.314)")
        assert version == "TLSv1.3" or cipher in TLS_12_SUITES, (
            f"TLS 1.2 with cipher suite {cipher}: not one OCPP 2.0.1 requires (A00.FR.318)")
        if move.profile == 2:
            assert events(move.new, 0, AUTH_ACCEPTED), (
                "security profile 2: the station must send HTTP Basic credentials "
                "<identity>:<BasicAuthPassword> over TLS (A00.FR.204)")


@pytest.mark.octt("TC_A_05_CS")
async def test_tls_invalid_server_certificate(station, operator, bench, csms, pki):
    """TLS - server-side certificate - Invalid certificate.

    The TLS CSMS of the first NetworkConfigurationPriority entry presents a server
    certificate issued by a root the station does not trust. The station refuses the TLS
    connection, falls back to the next entry (the harness CSMS; NetworkProfileConnectionAttempts
    1) and, once connected there, reports SecurityEventNotification InvalidCsmsCertificate.

    Requirements: A00.FR.309, A00.FR.310, A00.FR.311, A00.FR.412, A00.FR.413, A00.FR.414.
    """
    await _trust_root(station, pki.csms_root.pem)
    async with _move_to_tls(station, bench, csms, pki, pki.untrusted_server(),
                            fallback=True) as move:
        boot = await _fell_back(move, station, bench, "a certificate from an untrusted root")
        try:
            await station.expect("SecurityEventNotification", {"type": "InvalidCsmsCertificate"},
                                 within=bench.csms.message_timeout, since=boot.seq)
        except ExpectTimeout as exc:
            raise AssertionError(
                "after refusing the CSMS certificate the station must report "
                "SecurityEventNotification type InvalidCsmsCertificate once connected again "
                f"(A00.FR.412, A00.FR.413): {exc}") from None


@pytest.mark.octt("TC_A_06_CS")
async def test_tls_version_too_low(station, operator, bench, csms, pki):
    """TLS - server-side certificate - TLS version too low.

    The TLS CSMS of the first NetworkConfigurationPriority entry has a valid certificate but
    offers only TLS 1.0 and 1.1. The station must not connect with TLS below 1.2: it falls
    back to the next entry (the harness CSMS) and boots there.

    Requirements: A00.FR.314, A00.FR.316, A00.FR.416, A00.FR.417, A00.FR.419.
    """
    reason = tls.legacy_tls_available()
    if reason:
        pytest.skip(f"the harness cannot serve TLS 1.1 here: {reason}")
    await _trust_root(station, pki.csms_root.pem)
    async with _move_to_tls(station, bench, csms, pki, pki.csms_server, fallback=True,
                            min_version=ssl.TLSVersion.TLSv1,
                            max_version=ssl.TLSVersion.TLSv1_1) as move:
        await _fell_back(move, station, bench, "only TLS 1.0 / 1.1")


@pytest.mark.octt("TC_A_19_CS")
async def test_upgrade_security_profile(station, operator, bench, csms, pki):
    """Upgrade Charging Station Security Profile - Accepted.

    With the CSMS root installed, SetNetworkProfile stores a profile with a higher security
    profile (2 on a profile-1 bench) for a TLS CSMS (Accepted); NetworkConfigurationPriority
    puts it first; after Reset the station connects with the new security profile, boots, and
    reports SecurityCtrlr.SecurityProfile = the new profile.

    Requirements: A05.FR.04, A05.FR.05, A05.FR.06.
    """
    await _trust_root(station, pki.csms_root.pem)
    before = int(await get_variable(station, "SecurityCtrlr", "SecurityProfile"))
    if before >= 3:
        pytest.skip("the station already runs security profile 3: nothing to upgrade to")
    async with _move_to_tls(station, bench, csms, pki, pki.csms_server) as move:
        await _booted_over_tls(move, station, bench)
        now = int(await get_variable(move.new, "SecurityCtrlr", "SecurityProfile"))
        assert now == move.profile, (
            f"connected with security profile {move.profile} (was {before}), the station "
            f"reports SecurityCtrlr.SecurityProfile = {now} (A05.FR.04)")


@pytest.mark.octt("TC_A_22_CS")
async def test_downgrade_security_profile_rejected(station, operator, bench, csms, pki):
    """Upgrade Charging Station Security Profile - Downgrade security profile - Rejected.

    Connected with security profile 2 (moved to a TLS CSMS as in TC_A_19), the station gets
    SetNetworkProfile for a free slot with security profile 1 (ws:// URL of the harness CSMS):
    a downgrade, which it answers Rejected.

    Requirements: B09.FR.04.
    """
    await _trust_root(station, pki.csms_root.pem)
    async with _move_to_tls(station, bench, csms, pki, pki.csms_server) as move:
        await _booted_over_tls(move, station, bench)
        used = {int(s) for s in move.priority.split(",") if s.strip()} | {move.slot, move.in_use}
        free = next(s for s in range(1, 10) if s not in used)
        lower = move.profile - 1
        url = f"ws://{csms_host(station, bench)}:{csms.port}{csms.config.path_prefix.rstrip('/')}/"
        reply = await move.new.call("SetNetworkProfile", {
            "configurationSlot": free, "connectionData": _connection_data(url, lower)})
        assert reply["status"] == "Rejected", (
            f"SetNetworkProfile slot {free} with security profile {lower} while connected with "
            f"profile {move.profile}: expected Rejected (B09.FR.04, no downgrade), the station "
            f"answered {reply['status']!r}")


@pytest.mark.octt("TC_B_50_CS")
async def test_migrate_new_csms_root_new_csms(station, operator, bench, csms, pki):
    """Migrate to new ConnectionProfile - Success - New CSMS Root - New CSMS.

    A new CSMS root is installed (InstallCertificate CSMSRootCertificate, Accepted); a new
    TLS CSMS presents a server certificate issued by that root. SetNetworkProfile stores it in
    a free slot, NetworkConfigurationPriority puts it first, Reset: the station validates the
    new CSMS's certificate against the newly installed root and boots there. Afterwards the
    test moves it back and deletes the new root.

    Requirements: M05.FR.13, B10.FR.04.
    """
    new_root = issue("Harness New CSMS Root CA", ca=True, organization=pki.organization,
                     days=365)
    server_cert = issue(pki.csms_host, issuer=new_root, server=True,
                        hosts=(pki.csms_host, "localhost"))
    await _trust_root(station, new_root.pem, required=True)
    try:
        async with _move_to_tls(station, bench, csms, pki, server_cert) as move:
            await _booted_over_tls(move, station, bench)
    finally:
        with contextlib.suppress(Exception):
            await station.call("DeleteCertificate", {
                "certificateHashData": certificate_hash_data(new_root.cert)})
