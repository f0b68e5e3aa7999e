"""The OCPP side of ISO 15118 Plug & Charge in the emulated station.

The EV's side of each flow is a bench action (the operator's EV, or the lab's EV simulator):
``ev_plug_and_charge`` (the EV plugs in and offers its contract certificate: C07 authorization
with the EMAID), ``ev_certificate_request`` (the EV asks for a contract certificate
installation or update: M01 / M02, Get15118EVCertificate, and what the EV receives back),
``ev_renegotiate`` (the EV's new charging needs and schedule: K17) and ``ev_stop_charging``
(the EV ends charging: E15). The EV's charging needs go to the CSMS in NotifyEVChargingNeeds;
its schedule follows the CSMS's TxProfile, or the station's own limits when the CSMS rejects
the needs or cannot be reached (K15 / K17).
The station's own ISO 15118 certificate (the SECC's V2G certificate, A03) is signed at the
CSMS's request like the Charging Station certificate (handlers/certificates.py), then its
sub-CAs' OCSP status is fetched with GetCertificateStatus (M06).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from harness.emulator import charging_profiles as cp
from harness.emulator.clock import iso
from harness.pki import certificate_hash_data, load_pem, ocsp_url_of

if TYPE_CHECKING:
    from harness.emulator.evse import Evse

ISO15118_SCHEMA = "urn:iso:15118:2:2013:MsgDef"
V2G_CHAIN = "V2GCertificateChain"
EV_MAX = {"W": 150000.0, "A": 400.0}  # the emulated ISO 15118 EV: 150 kW, 400 A, 800 V


def _verifies(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _valid_now(cert: x509.Certificate) -> bool:
    when = dt.datetime.now(dt.UTC)
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


class PlugAndCharge:
    """Mixed into EmulatedStation (it provides dm, quirks, evses, send, authorize ...)."""

    v2g_chain_pem: str | None = None  # the SECC certificate chain (leaf first), non-volatile
    v2g_csr_key: Any = None
    ocsp_cache: dict[str, str] | None = None  # serial (hex) -> base64 OCSPResponse (M06.FR.07)

    # ---- bench actions: the EV's side ------------------------------------------------------
    async def ev_plug_and_charge(self, emaid: str, contract_certificate: str,
                                 evse: int | None = None) -> None:
        """An ISO 15118 EV plugs in and pays with its contract (PaymentDetailsReq with the
        contract certificate chain, C07). Charging is authorized on the eMAID when the
        station (or the CSMS) accepts the contract."""
        st: Any = self
        e = self._pnc_evse(evse)
        if e.plugged is None:
            st._plug(e, next(iter(e.connectors)))
        if not st.dm.get_bool("ISO15118Ctrlr", "PnCEnabled"):
            st.on_event("Plug & Charge disabled (ISO15118Ctrlr.PnCEnabled): contract ignored")
            return
        token = {"idToken": emaid, "type": "eMAID"}
        info = await self._contract_authorization(token, contract_certificate)
        st.on_event(f"contract {emaid}: {info.get('status')}")
        if info.get("status") == "Accepted":
            st.authorize(e, token, "Authorized")
            self._charging_needs(e)

    # ---- K15 / K17: the EV's charging needs and its charging schedule ----------------------
    def _hlc(self) -> dict[int, int]:
        """EVSE id -> SA schedules offered to its ISO 15118 EV so far."""
        return self.__dict__.setdefault("hlc_sessions", {})  # type: ignore[no-any-return]

    def _charging_needs(self, e: Evse) -> None:
        """K15.FR.01: the EV's ChargeParameterDiscoveryReq becomes NotifyEVChargingNeeds."""
        st: Any = self
        self._hlc()[e.id] = 0
        if "ev_charging_needs_not_sent" in st.quirks:
            return
        st._spawn(self._needs_exchange(e, energy_wh=60000))

    async def _needs_exchange(self, e: Evse, energy_wh: int) -> None:
        """NotifyEVChargingNeeds (K15.FR.01, K17.FR.01). Accepted or Processing: the CSMS's
        TxProfile becomes the SASchedule (hlc_schedule_follow_up). Rejected, no answer or no
        CSMS to ask (offline): the EV gets an SASchedule from the station's own limits
        (K17.FR.04, K15.FR.15, K17.FR.15) rather than none (its session would time out)."""
        st: Any = self
        departure = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        reply = await st.send("NotifyEVChargingNeeds", {
            "evseId": e.id, "maxScheduleTuples": 3, "chargingNeeds": {
                "requestedEnergyTransfer": "DC",
                "departureTime": iso(departure.timestamp()),
                "dcChargingParameters": {
                    "evMaxCurrent": 400, "evMaxVoltage": 800, "evMaxPower": 150000,
                    "energyAmount": energy_wh, "evEnergyCapacity": 80000, "stateOfCharge": 20,
                    "fullSoC": 100, "bulkSoC": 80}}}).future
        if reply is not None and reply.get("status") in ("Accepted", "Processing"):
            return
        if e.tx is None or e.plugged is None or e.id not in self._hlc():
            return
        if "hlc_no_local_schedule" in st.quirks:
            # the defect: waits for a TxProfile that never comes; the EV's
            # ChargeParameterDiscovery times out and it ends the session
            self._hlc().pop(e.id, None)
            e.id_token = None
            st._evaluate(e, "EVCommunicationLost", "Timeout")
            return
        unit = cp.rate_units(st)[0]
        local = cp.composite(st, e.id, dt.datetime.now(dt.UTC).timestamp(), 86400, unit)
        await self._report_ev_schedule(e.id, 1, unit, local)

    async def _report_ev_schedule(self, evse_id: int, schedule_id: int, unit: str,
                                  offered: list[dict[str, Any]]) -> None:
        """The EV's charging profile (PowerDeliveryReq), within the SASchedule ``offered`` and
        the EV's own maximum, reported in NotifyEVChargingSchedule (K15.FR.10, K17.FR.10)."""
        st: Any = self
        if "ev_charging_schedule_not_sent" in st.quirks:
            return
        cap = EV_MAX.get(unit, EV_MAX["W"])
        periods = [{"startPeriod": int(pp["startPeriod"]),
                    "limit": cap if "ev_schedule_exceeds_profile" in st.quirks
                    else min(float(pp["limit"]), cap)}
                   for pp in offered]
        st.send("NotifyEVChargingSchedule", {
            "timeBase": iso(), "evseId": evse_id,
            "chargingSchedule": {"id": schedule_id, "chargingRateUnit": unit,
                                 "chargingSchedulePeriod": periods}})

    def hlc_schedule_follow_up(self, evse_id: int, profile: dict[str, Any]) -> Any:
        """After an Accepted TxProfile for an EVSE with an ISO 15118 EV: the station offers it as
        SASchedule, the EV answers with its charging profile, reported in
        NotifyEVChargingSchedule (K15 first, K17 renegotiation). None without such an EV."""
        st: Any = self
        e = st.evses.get(evse_id)
        sessions = self._hlc()
        if e is None or evse_id not in sessions or e.tx is None or e.plugged is None:
            return None
        if profile.get("chargingProfilePurpose") != "TxProfile":
            return None
        sessions[evse_id] += 1
        if sessions[evse_id] > 1 and "ev_renegotiation_ignored" in st.quirks:
            return None
        schedule = dict((profile.get("chargingSchedule") or [{}])[0])
        unit = str(schedule.get("chargingRateUnit", "W"))

        async def notify() -> None:
            await self._report_ev_schedule(evse_id, int(schedule.get("id", 1)), unit,
                                           list(schedule.get("chargingSchedulePeriod", [])))

        return notify

    async def ev_renegotiate(self, evse: int | None = None) -> None:
        """The ISO 15118 EV renegotiates (PowerDeliveryReq Renegotiate, then a new
        ChargeParameterDiscoveryReq): its new needs go to the CSMS (K17.FR.01) and its new
        charging profile comes back in NotifyEVChargingSchedule."""
        st: Any = self
        e = self._hlc_evse(evse)
        if e is None:
            st.on_event("renegotiation: no ISO 15118 session charging")
            return
        if "ev_renegotiation_not_reported" in st.quirks:
            return  # the defect: answers the EV from the old schedule, the CSMS never hears
        st._spawn(self._needs_exchange(e, energy_wh=30000))

    async def ev_stop_charging(self, evse: int | None = None) -> None:
        """The ISO 15118 EV ends charging (PowerDeliveryReq Stop, then SessionStopReq
        Terminate, E15): the energy transfer stops and the transaction ends stopped by the EV
        (as far as TxStopPoint lets the authorization end it; else when the EV leaves)."""
        st: Any = self
        e = self._hlc_evse(evse)
        if e is None:
            st.on_event("EV stop: no ISO 15118 session charging")
            return
        self._hlc().pop(e.id, None)
        e.id_token = None  # the ISO 15118 session (and the authorization with it) is over
        reason = "Local" if "ev_stop_reported_as_local" in st.quirks else "StoppedByEV"
        st._evaluate(e, "ChargingStateChanged", reason)

    def _hlc_evse(self, evse: int | None) -> Evse | None:
        """The EVSE of an ongoing ISO 15118 session (``evse``, or the first one)."""
        st: Any = self
        ids = [evse] if evse is not None else list(self._hlc())
        return next((st.evses[i] for i in ids if i in self._hlc() and i in st.evses
                     and st.evses[i].tx is not None), None)

    async def ev_certificate_request(self, action: str, exi_request: str,
                                     evse: int | None = None) -> str:
        """The EV's CertificateInstallationReq / CertificateUpdateReq (EXI, base64) forwarded
        to the CSMS in Get15118EVCertificate (M01 / M02); returns the EXI response the EV
        received ("" when it received none)."""
        st: Any = self
        if not st.dm.get_bool("ISO15118Ctrlr", "ContractCertificateInstallationEnabled"):
            return ""
        if "ev_certificate_action_always_install" in st.quirks:
            action = "Install"
        msg = st.send("Get15118EVCertificate", {
            "iso15118SchemaVersion": ISO15118_SCHEMA, "action": action, "exiRequest": exi_request})
        reply = await msg.future
        if reply is None or "ev_certificate_response_not_forwarded" in st.quirks:
            return ""
        if reply.get("status") != "Accepted" and "ev_certificate_failure_dropped" in st.quirks:
            return ""  # the defect: a Failed answer is not passed on, the EV times out
        return str(reply.get("exiResponse", ""))

    def _pnc_evse(self, evse: int | None) -> Evse:
        st: Any = self
        if evse is not None:
            return st.evses[evse]  # type: ignore[no-any-return]
        return next((e for e in st.evses.values() if e.tx is None), next(iter(st.evses.values())))

    # ---- C07: authorization with a contract certificate ------------------------------------
    def customer_of_certificate(self, hash_data: dict[str, Any] | None) -> str | None:
        """N10 (customerCertificate): the eMAID of a contract certificate this station has
        seen, matched on serial number and issuer name hash; None when unknown."""
        if not hash_data or "customer_certificate_ignored" in getattr(self, "quirks", ()):
            return None
        for emaid, cert in self.__dict__.get("contracts_seen", {}).items():
            ours = certificate_hash_data(cert)
            if ours["serialNumber"].lower() == str(hash_data.get("serialNumber", "")).lower() \
                    and ours["issuerNameHash"].lower() == str(hash_data.get("issuerNameHash", "")).lower():
                return str(emaid)
        return None

    def _contract_root(self, chain: list[x509.Certificate]) -> x509.Certificate | None:
        """The installed MO (or V2G) root the contract chain leads to, or None."""
        st: Any = self
        roots = [load_pem(pem) for kind in ("MORootCertificate", "V2GRootCertificate")
                 for pem in st.installed_certificates.get(kind, [])]
        return next((r for r in roots if _verifies(chain[-1], r)), None)

    def _contract_problem(self, chain: list[x509.Certificate],
                          root: x509.Certificate | None) -> str | None:
        if root is None:
            return "the contract chain does not lead to an installed MO root"
        for child, parent in itertools.pairwise(chain):
            if not _verifies(child, parent):
                return f"{child.subject.rfc4514_string()} is not issued by the next certificate"
        for cert in [*chain, root]:
            if not _valid_now(cert):
                return f"{cert.subject.rfc4514_string()} is not valid now"
        return None

    @staticmethod
    def ocsp_request_data(chain: list[x509.Certificate], root: x509.Certificate
                          ) -> list[dict[str, str]]:
        """OCSPRequestDataType of each certificate of the chain below the root (C07.FR.02):
        the issuer's name and key hashes, the serial number and the responder's URL."""
        out = []
        for cert, issuer in zip(chain, [*chain[1:], root], strict=True):
            out.append({**certificate_hash_data(cert, issuer),
                        "responderURL": ocsp_url_of(cert) or ""})
        return out[:4]

    async def _contract_authorization(self, token: dict[str, Any], pem: str) -> dict[str, Any]:
        st: Any = self
        try:
            chain = x509.load_pem_x509_certificates(pem.encode())
        except ValueError:
            return {"status": "Invalid"}
        names = chain[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not names or str(names[0].value) != token["idToken"]:
            return {"status": "Invalid"}
        # N10: the customer's data can be asked for by its contract certificate later on.
        st.__dict__.setdefault("contracts_seen", {})[token["idToken"]] = chain[0]
        root = self._contract_root(chain)
        online = st._online and st.registration == "Accepted"
        if online:
            payload: dict[str, Any] = {"idToken": token}
            if root is not None and "pnc_authorize_without_hash_data" not in st.quirks:
                payload["iso15118CertificateHashData"] = self.ocsp_request_data(chain, root)
            elif root is None:  # C07.FR.06: the CSMS validates the chain
                if not st.dm.get_bool("ISO15118Ctrlr", "CentralContractValidationAllowed"):
                    return {"status": "Invalid"}
                if "central_validation_without_chain" not in st.quirks:
                    payload["certificate"] = pem
            reply = await st.send("Authorize", payload).future
            if reply is not None:
                info = dict(reply.get("idTokenInfo", {}))
                info.setdefault("status", "Invalid")
                certificate = reply.get("certificateStatus", "Accepted")
                if certificate != "Accepted" and "pnc_ignores_certificate_status" not in st.quirks:
                    info["status"] = "Invalid"  # a revoked or expired contract does not charge
                st.auth_cache[token["idToken"]] = info
                return info
        # Offline (C07.FR.07 to C07.FR.12)
        if not st.dm.get_bool("ISO15118Ctrlr", "ContractValidationOffline") \
                and "contract_validation_offline_ignored" not in st.quirks:
            return {"status": "NotAtThisTime"}  # C07.FR.07: no charging
        if self._contract_problem(chain, root) is not None \
                and "offline_contract_not_validated" not in st.quirks:
            return {"status": "Invalid"}  # C07.FR.08: validated locally, and it failed
        if not st.dm.get_bool("AuthCtrlr", "LocalAuthorizeOffline"):
            return {"status": "Unknown"}
        listed = st._listed(token)
        if listed is not None:
            return dict(listed)
        cached = st.auth_cache.get(token["idToken"])
        return dict(cached) if cached else {"status": "Unknown"}

    # ---- A03 / M03 / M06: the SECC's V2G certificate ---------------------------------------
    def v2g_csr_subject(self) -> x509.Name:
        """ISO 15118-2 SECC certificate subject: CN = SeccId, O, C, DC = CPO."""
        st: Any = self
        return x509.Name([
            x509.NameAttribute(NameOID.COMMON_NAME, st.dm.get("ISO15118Ctrlr", "SeccId")),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                               st.dm.get("ISO15118Ctrlr", "OrganizationName")),
            x509.NameAttribute(NameOID.COUNTRY_NAME, st.dm.get("ISO15118Ctrlr", "CountryName")),
            x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "CPO"),
        ])

    def _v2g_problem(self, chain: list[x509.Certificate]) -> str | None:
        st: Any = self
        key = self.v2g_csr_key
        if key is None:
            return "no V2G certificate signing request is pending"
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        if chain[0].public_key().public_bytes(serialization.Encoding.DER, spki) != \
                key.public_key().public_bytes(serialization.Encoding.DER, spki):
            return "the certificate is not for the key of the CSR"
        for cert in chain:
            if not _valid_now(cert):
                return f"{cert.subject.rfc4514_string()} is not valid now"
        for child, parent in itertools.pairwise(chain):
            if not _verifies(child, parent):
                return f"{child.subject.rfc4514_string()} is not issued by the next certificate"
        roots = [load_pem(pem) for pem in st.installed_certificates.get("V2GRootCertificate", [])]
        if not any(_verifies(chain[-1], r) for r in roots):
            return "the chain does not lead to an installed V2GRootCertificate"
        return None

    def v2g_certificate_signed(self, chain_pem: str) -> Any:
        """CertificateSigned for a V2GCertificate (A03): a valid chain becomes the SECC's
        certificate; then the OCSP status of its sub-CAs is fetched (M06)."""
        st: Any = self
        try:
            chain = x509.load_pem_x509_certificates(chain_pem.encode())
        except ValueError as exc:
            chain, problem = [], f"not a PEM encoded X.509 certificate chain ({exc})"
        else:
            problem = self._v2g_problem(chain)
        if problem is not None:
            st.security_log.append(f"{iso()} V2G certificate rejected: {problem}")
            return {"status": "Rejected", "statusInfo": {"reasonCode": "InvalidCertificate",
                                                         "additionalInfo": problem[:512]}}
        self.v2g_csr_key = None
        self.v2g_chain_pem = chain_pem.strip() + "\n"
        self.ocsp_cache = {}
        st.security_log.append(f"{iso()} V2GCertificate installed")

        async def fetch_status() -> None:
            await self.refresh_v2g_ocsp()

        return {"status": "Accepted"}, fetch_status

    def _v2g_chain(self) -> tuple[list[x509.Certificate], x509.Certificate | None]:
        st: Any = self
        if not self.v2g_chain_pem:
            return [], None
        chain = x509.load_pem_x509_certificates(self.v2g_chain_pem.encode())
        roots = [load_pem(pem) for pem in st.installed_certificates.get("V2GRootCertificate", [])]
        return chain, next((r for r in roots if _verifies(chain[-1], r)), None)

    async def refresh_v2g_ocsp(self) -> None:
        """M06: GetCertificateStatus for each sub-CA of the V2G certificate chain; an
        Accepted ocspResult is cached for the EVs (M06.FR.06, M06.FR.07); a Failed answer
        leaves the certificate in use (M06.FR.04)."""
        st: Any = self
        if "get_certificate_status_not_sent" in st.quirks:
            return
        chain, root = self._v2g_chain()
        if len(chain) < 2:
            return
        cas = chain[1:]
        for cert, data in zip(cas, self.ocsp_request_data(cas, root or cas[-1]), strict=True):
            reply = await st.send("GetCertificateStatus", {"ocspRequestData": data}).future
            if reply is None:
                continue
            if reply.get("status") == "Accepted" and reply.get("ocspResult"):
                (self.ocsp_cache or {})[format(cert.serial_number, "x")] = str(reply["ocspResult"])
            elif "v2g_certificate_dropped_on_ocsp_failure" in st.quirks:
                self.v2g_chain_pem = None  # the defect: treats "no answer" as revoked
                return

    def v2g_chain_entries(self) -> list[dict[str, Any]]:
        """GetInstalledCertificateIds entry of the V2G certificate chain: the leaf's hash data
        and each sub-CA's as childCertificateHashData (M03.FR.05)."""
        chain, root = self._v2g_chain()
        if not chain:
            return []
        issuers = [*chain[1:], root or chain[-1]]
        hashes = [certificate_hash_data(c, i) for c, i in zip(chain, issuers, strict=True)]
        entry: dict[str, Any] = {"certificateType": V2G_CHAIN, "certificateHashData": hashes[0]}
        st: Any = self
        if hashes[1:] and "v2g_chain_without_child_hashes" not in st.quirks:
            entry["childCertificateHashData"] = hashes[1:4]
        return [entry]
