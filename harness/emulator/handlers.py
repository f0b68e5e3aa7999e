"""How the emulated station answers CSMS-initiated requests (OCPP 2.0.1).

Each handler returns the response payload, or ``(payload, follow_up)`` where ``follow_up``
is a coroutine function run after the response has gone out: a real station answers a
GetBaseReport before it sends the NotifyReports, and a Reset before it reboots.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from harness.emulator import firmware
from harness.emulator.device_model import Variable
from harness.pki import certificate_hash_data, load_pem

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

FollowUp = Callable[[], Awaitable[None]]
Result = dict[str, Any] | tuple[dict[str, Any], FollowUp]
Handler = Callable[["EmulatedStation", dict[str, Any]], Awaitable[Result]]
HANDLERS: dict[str, Handler] = {}


def handles(action: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[action] = fn
        return fn

    return register


def _now() -> str:
    from harness.emulator.station import iso

    return iso()


# ---- B: provisioning -------------------------------------------------------------------------
@handles("GetVariables")
async def get_variables(st: EmulatedStation, p: dict[str, Any]) -> Result:
    results = []
    for item in p["getVariableData"]:
        attr = item.get("attributeType", "Actual")
        status, var = st.dm.find(item["component"], item["variable"])
        result: dict[str, Any] = {"attributeStatus": status, "component": item["component"],
                                  "variable": item["variable"]}
        if "attributeType" in item:
            result["attributeType"] = attr
        if var is None and status == "UnknownComponent" and "unknown_component_accepted" in st.quirks:
            result.update(attributeStatus="Accepted", attributeValue="")
        elif var is not None:
            if attr not in var.attributes:
                result["attributeStatus"] = "NotSupportedAttributeType"
            elif var.mutability == "WriteOnly":
                result["attributeStatus"] = "Rejected"
            else:
                value = _now() if (var.component, var.name) == ("ClockCtrlr", "DateTime") else var.value
                result["attributeValue"] = value
        results.append(result)
    return {"getVariableResult": results}


@handles("SetVariables")
async def set_variables(st: EmulatedStation, p: dict[str, Any]) -> Result:
    results = []
    reconnect = False
    for item in p["setVariableData"]:
        attr = item.get("attributeType", "Actual")
        status, var = st.dm.find(item["component"], item["variable"])
        result: dict[str, Any] = {"attributeStatus": status, "component": item["component"],
                                  "variable": item["variable"]}
        if "attributeType" in item:
            result["attributeType"] = attr
        if var is not None:
            old = var.value
            result["attributeStatus"] = _set_one(st, var, attr, item["attributeValue"])
            if result["attributeStatus"] == "Rejected":
                result["attributeStatusInfo"] = {"reasonCode": "InvalidValue"}
            if var.name == "BasicAuthPassword" and result["attributeStatus"] == "Accepted" \
                    and var.value != old:
                reconnect = True
        results.append(result)
    response = {"setVariableResult": results}
    if reconnect:
        async def reconnect_with_new_password() -> None:
            st.security_log.append(f"{_now()} BasicAuthPassword changed; reconnecting")
            st.reconnect()

        return response, reconnect_with_new_password
    return response


def _set_one(st: EmulatedStation, var: Variable, attr: str, value: str) -> str:
    if attr not in var.attributes:
        return "NotSupportedAttributeType"
    if var.mutability == "ReadOnly":
        return "Accepted" if "accepts_read_only_write" in st.quirks else "Rejected"
    problem = var.validate(value)
    if problem is not None:
        if "accepts_invalid_value" in st.quirks:
            return "Accepted"
        st.on_event(f"SetVariables {var.component}.{var.name}={value!r} rejected: {problem}")
        return "Rejected"
    if (var.component, var.name) == ("OCPPCommCtrlr", "NetworkConfigurationPriority"):
        empty = [s for s in value.split(",") if s and int(s) not in st.network_profiles]
        if empty:
            st.on_event(f"NetworkConfigurationPriority={value!r} rejected: no network profile "
                        f"in slot(s) {empty}")
            return "Rejected"
    var.value = value
    return "RebootRequired" if var.reboot_required else "Accepted"


@handles("GetBaseReport")
async def get_base_report(st: EmulatedStation, p: dict[str, Any]) -> Result:
    base = p["reportBase"]
    if base == "ConfigurationInventory":
        variables = [v for v in st.dm if v.mutability != "ReadOnly"]
    elif base == "FullInventory":
        variables = list(st.dm)
    else:  # SummaryInventory: availability of components
        variables = [v for v in st.dm if v.name == "AvailabilityState"]
    if not variables:
        return {"status": "EmptyResultSet"}

    async def send_reports() -> None:
        per_message = st.dm.get_int("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")
        chunks = [variables[i:i + per_message] for i in range(0, len(variables), per_message)]
        first_seq = 1 if "report_seq_from_one" in st.quirks else 0
        for seq, chunk in enumerate(chunks, start=first_seq):
            last = seq == first_seq + len(chunks) - 1
            st.send("NotifyReport", {
                "requestId": p["requestId"], "generatedAt": _now(), "seqNo": seq,
                "tbc": (not last) or "report_tbc_wrong" in st.quirks,
                "reportData": [_report_entry(v) for v in chunk],
            })

    return {"status": "Accepted"}, send_reports


def _report_entry(v: Variable) -> dict[str, Any]:
    attribute: dict[str, Any] = {"type": "Actual", "mutability": v.mutability,
                                 "persistent": v.persistent, "constant": False}
    if v.mutability != "WriteOnly":  # B07.FR.03: never the value of a WriteOnly variable
        value = _now() if (v.component, v.name) == ("ClockCtrlr", "DateTime") else v.value
        attribute["value"] = value[:2500]
    return {"component": v.component_json(), "variable": v.variable_json(),
            "variableAttribute": [attribute], "variableCharacteristics": v.characteristics()}


@handles("Reset")
async def reset(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """B11 / B12. This station cannot reset a single EVSE (feature C-13 not claimed): Rejected
    (B11.FR.09, B12.FR.09). OnIdle while not idle (a transaction, or a cable still plugged in):
    Scheduled, performed once idle (B12.FR.01, B12.FR.03). Immediate: every transaction is
    ended with ResetCommand / ImmediateReset and delivered before the reboot (B12.FR.04)."""
    if p.get("evseId") is not None:
        return {"status": "Rejected"}
    busy = [e for e in st.evses.values() if e.tx is not None]
    if p["type"] == "OnIdle" and not st.is_idle() \
            and "onidle_reset_interrupts_tx" not in st.quirks:
        st._pending_reset = "OnIdle"
        return {"status": "Scheduled"}

    async def do_reset() -> None:
        if "immediate_reset_keeps_tx" in st.quirks:
            st.reboot("RemoteReset")
            return
        for evse in busy:
            st._end_tx(evse, "ResetCommand", "ImmediateReset")
        await st.reset_now()

    return {"status": "Accepted"}, do_reset


@handles("SetNetworkProfile")
async def set_network_profile(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """B09: validate the profile and store it in its slot (kept over a reboot)."""
    slot = p["configurationSlot"]
    data = p["connectionData"]
    _, priority = st.dm.find({"name": "OCPPCommCtrlr"}, {"name": "NetworkConfigurationPriority"})
    slots = priority.values_list if priority is not None else ()
    if str(slot) not in slots:
        return _network_profile_rejected("InvalidConfSlot", f"slot {slot} is not one of {slots}")
    current = st.dm.get_int("SecurityCtrlr", "SecurityProfile")
    if data["securityProfile"] < current and "accepts_security_downgrade" not in st.quirks:
        return _network_profile_rejected(
            "NoSecurityDowngrade", f"security profile {data['securityProfile']} < {current}")
    if slot == st.connected_slot:
        return _network_profile_rejected("InvalidConfSlot", f"slot {slot} is in use")
    problem = _network_profile_problem(data) or _tls_problem(st, data["securityProfile"])
    if problem is not None and "accepts_invalid_network_profile" not in st.quirks:
        return _network_profile_rejected("InvalidNetworkConf", problem)
    st.network_profiles[slot] = dict(data)
    return {"status": "Accepted"}


def _network_profile_problem(data: dict[str, Any]) -> str | None:
    """B09.FR.02: what makes this connectionData unusable for this station, or None."""
    if data.get("ocppVersion") != "OCPP20":
        return f"ocppVersion {data.get('ocppVersion')} not supported"
    if data.get("ocppTransport", "JSON") != "JSON":
        return "only the JSON transport is supported"
    url = urllib.parse.urlsplit(data["ocppCsmsUrl"])
    if url.scheme not in ("ws", "wss") or not url.hostname:
        return f"ocppCsmsUrl {data['ocppCsmsUrl']!r} is not a ws:// or wss:// URL"
    try:
        url.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return f"ocppCsmsUrl {data['ocppCsmsUrl']!r} has an invalid port"
    tls = data["securityProfile"] >= 2
    if tls != (url.scheme == "wss"):
        return f"security profile {data['securityProfile']} does not match {url.scheme}://"
    return None


def _tls_problem(st: EmulatedStation, security_profile: int) -> str | None:
    """A05.FR.02 / A05.FR.03: no TLS profile without a CSMS root to check the server with,
    no profile 3 without a charging station certificate."""
    if security_profile >= 2 and not st.installed_certificates.get("CSMSRootCertificate"):
        return f"security profile {security_profile}: no CSMSRootCertificate installed"
    if security_profile == 3 and not (st.config.client_cert_pem and st.config.client_key_pem):
        return "security profile 3: no ChargingStationCertificate installed"
    return None


def _network_profile_rejected(reason: str, info: str) -> dict[str, Any]:
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason, "additionalInfo": info[:512]}}


# ---- G: availability -------------------------------------------------------------------------
@handles("ChangeAvailability")
async def change_availability(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """G03 (EVSE or connector) and G04 (whole station).

    Already in the requested state: Accepted, nothing changes, nothing is reported
    (G03.FR.03, G04.FR.04). A transaction in the way of Inoperative: Scheduled, and the change
    takes effect when it ends (G03.FR.05, G04.FR.06; see ``apply_scheduled_availability``).
    Otherwise: Accepted, and every connector whose status changed is reported (G03.FR.04,
    G04.FR.05). The state is kept over a reboot (G03.FR.08, G04.FR.09).
    """
    operative = p["operationalStatus"] == "Operative"
    target = p.get("evse") or {}
    evse_id = target.get("id", 0)
    connector_id = target.get("connectorId")
    if evse_id == 0:
        if connector_id:
            return {"status": "Rejected"}
        busy = [e for e in st.evses.values() if e.tx is not None]
        scope = [(e.id, c) for e in st.evses.values() for c in e.connectors]
        return _change_availability(st, st, operative, busy, scope, "station")
    evse = st.evses.get(evse_id)
    if evse is None:
        return {"status": "Rejected"}
    busy = [evse] if evse.tx is not None else []
    if connector_id is None:
        return _change_availability(st, evse, operative, busy,
                                    [(evse.id, c) for c in evse.connectors], "evse")
    connector = evse.connectors.get(connector_id)
    if connector is None:
        return {"status": "Rejected"}
    if "availability_change_ignored_for_connector" in st.quirks:
        return {"status": "Accepted"}
    return _change_availability(st, connector, operative, busy, [(evse.id, connector_id)],
                                "connector")


def _change_availability(st: EmulatedStation, unit: Any, operative: bool, busy: list[Any],
                         scope: list[tuple[int, int]], level: str) -> Result:
    """``unit`` is the station, an Evse or a Connector: ``operative`` + ``pending_operative``."""
    if unit.pending_operative is not None:
        if unit.pending_operative == operative:
            return {"status": "Scheduled"}  # asked again for what is already scheduled
        unit.pending_operative = None  # the opposite request cancels the scheduled change
    if unit.operative == operative:
        if "status_on_unchanged_availability" in st.quirks:
            async def announce_anyway() -> None:
                for evse_id, connector_id in scope:
                    st.send("StatusNotification", st._status_payload(evse_id, connector_id))

            return {"status": "Accepted"}, announce_anyway
        return {"status": "Accepted"}
    if busy and not operative:
        if "scheduled_change_applied_immediately" in st.quirks:
            async def switch_off_now() -> None:
                for evse in busy:
                    st._end_tx(evse, "AbnormalCondition", "Other")
                unit.operative = operative
                st.statuses_changed()

            return {"status": "Scheduled"}, switch_off_now
        unit.pending_operative = operative
        return {"status": "Scheduled"}
    unit.operative = operative
    if "no_status_for_evse_change" in st.quirks and level == "evse":
        for evse_id, connector_id in scope[1:]:  # only the first connector gets reported
            st._status_reported[(evse_id, connector_id)] = st.connector_status(evse_id,
                                                                              connector_id)
    return {"status": "Accepted"}, _statuses(st)


def _statuses(st: EmulatedStation) -> FollowUp:
    async def report() -> None:
        st.statuses_changed()

    return report


# ---- F: remote control -----------------------------------------------------------------------
@handles("RequestStartTransaction")
async def request_start(st: EmulatedStation, p: dict[str, Any]) -> Result:
    evse_id = p.get("evseId")
    if evse_id is not None:
        evse = st.evses.get(evse_id)
    else:
        evse = next((e for e in st.evses.values() if e.tx is None and e.id_token is None
                     and e.operative), None)
    if evse is None or not evse.operative or not st.operative or evse.id_token is not None:
        return {"status": "Rejected"}
    response: dict[str, Any] = {"status": "Accepted"}
    if evse.tx is not None:
        response["transactionId"] = evse.tx.id
    token = p["idToken"]
    remote_start_id = p["remoteStartId"]

    async def start() -> None:
        if st.dm.get_bool("AuthCtrlr", "AuthorizeRemoteStart"):
            status = await st._authorize_remote(token)
            if status != "Accepted":
                return
        assert evse is not None
        st.authorize(evse, token, "RemoteStart", remote_start_id)

    return response, start


@handles("RequestStopTransaction")
async def request_stop(st: EmulatedStation, p: dict[str, Any]) -> Result:
    evse = next((e for e in st.evses.values() if e.tx is not None
                 and e.tx.id == p["transactionId"]), None)
    if evse is None:
        return {"status": "Accepted" if "remote_stop_unknown_accepted" in st.quirks else "Rejected"}

    async def stop() -> None:
        # F03: as a local stop, the energy transfer stops; the transaction ends if TxStopPoint
        # says so (Authorized, PowerPathClosed, ...), else when the EV leaves.
        assert evse is not None
        evse.id_token = None
        reason = "Local" if "remote_stop_wrong_reason" in st.quirks else "Remote"
        st._evaluate(evse, "RemoteStop", reason)

    return {"status": "Accepted"}, stop


@handles("UnlockConnector")
async def unlock_connector(st: EmulatedStation, p: dict[str, Any]) -> Result:
    evse = st.evses.get(p["evseId"])
    connector = evse.connectors.get(p["connectorId"]) if evse else None
    if evse is None or connector is None:
        return {"status": "UnknownConnector"}
    if evse.tx is not None and evse.tx.id_token and "unlocks_during_transaction" not in st.quirks:
        return {"status": "OngoingAuthorizedTransaction"}
    connector.locked = False
    return {"status": "Unlocked"}


@handles("TriggerMessage")
async def trigger_message(st: EmulatedStation, p: dict[str, Any]) -> Result:
    what = p["requestedMessage"]
    evse_ref = p.get("evse") or {}
    evse = st.evses.get(evse_ref["id"]) if evse_ref.get("id") else None
    if evse_ref.get("id") and evse is None:
        return {"status": "Rejected"}
    if what == "BootNotification":
        if st.registration == "Accepted":
            return {"status": "Rejected"}

        async def boot() -> None:
            st._boot_trigger.set()

        return {"status": "Accepted"}, boot
    if what == "Heartbeat":
        async def heartbeat() -> None:
            if "trigger_heartbeat_ignored" not in st.quirks:
                st.send("Heartbeat", {})

        return {"status": "Accepted"}, heartbeat
    if what == "StatusNotification":
        connector_id = evse_ref.get("connectorId")
        if evse is None or connector_id not in evse.connectors:
            return {"status": "Rejected"}

        async def status() -> None:
            assert evse is not None
            st.send("StatusNotification", st._status_payload(evse.id, connector_id))

        return {"status": "Accepted"}, status
    if what == "MeterValues":
        async def meter_values() -> None:
            measurands = st.dm.get_list("AlignedDataCtrlr", "Measurands")
            for e in [evse] if evse else st.evses.values():
                st.send("MeterValues", {"evseId": e.id,
                                        "meterValue": [st._meter_value(e, measurands, "Trigger")]})

        return {"status": "Accepted"}, meter_values
    if what == "TransactionEvent":
        targets = [e for e in ([evse] if evse else st.evses.values()) if e.tx is not None]

        async def tx_events() -> None:
            for e in targets:
                st._tx_event(e, "Updated", "Trigger", meter=[st._meter_value(
                    e, st.dm.get_list("SampledDataCtrlr", "TxUpdatedMeasurands"), "Trigger")])

        return {"status": "Accepted"}, tx_events
    if what == "LogStatusNotification":
        async def log_status() -> None:
            st.send("LogStatusNotification", {"status": "Idle"})

        return {"status": "Accepted"}, log_status
    if what == "FirmwareStatusNotification":
        async def firmware_status() -> None:
            st.send("FirmwareStatusNotification", firmware.trigger_payload(st))

        return {"status": "Accepted"}, firmware_status
    return {"status": "NotImplemented"}


# ---- E: transactions -------------------------------------------------------------------------
@handles("GetTransactionStatus")
async def get_transaction_status(st: EmulatedStation, p: dict[str, Any]) -> Result:
    tx_id = p.get("transactionId")
    response: dict[str, Any] = {"messagesInQueue": st.messages_in_queue(tx_id)}
    if tx_id is not None:
        ongoing = any(e.tx is not None and e.tx.id == tx_id for e in st.evses.values())
        response["ongoingIndicator"] = ongoing and "transaction_status_wrong" not in st.quirks
    return response


@handles("ClearCache")
async def clear_cache(st: EmulatedStation, p: dict[str, Any]) -> Result:
    st.auth_cache.clear()
    return {"status": "Accepted"}


# ---- N: diagnostics --------------------------------------------------------------------------
@handles("GetLog")
async def get_log(st: EmulatedStation, p: dict[str, Any]) -> Result:
    request_id = p["requestId"]
    kind = "security" if p["logType"] == "SecurityLog" else "diagnostics"
    filename = f"{st.config.station_id}-{kind}-{request_id}.log"
    location = p["log"]["remoteLocation"]
    retries = int(p.get("retries", 0) or 0)
    retry_interval = float(p.get("retryInterval", 0) or 0)

    async def upload() -> None:
        st.send("LogStatusNotification", {"status": "Uploading", "requestId": request_id})
        if "log_upload_never_finishes" in st.quirks:
            return
        lines = st.security_log if kind == "security" else [f"{_now()} emulated diagnostics"]
        body = ("\n".join(lines) + "\n").encode()
        url = location if not location.endswith("/") else location + filename
        ok = False
        for attempt in range(retries + 1):
            if attempt:
                await asyncio.sleep(retry_interval)
            ok = await asyncio.to_thread(_http_put, url, body)
            if ok:
                break
        if "log_upload_failure_reported_uploaded" in st.quirks:
            ok = True
        st.send("LogStatusNotification",
                {"status": "Uploaded" if ok else "UploadFailure", "requestId": request_id})

    return {"status": "Accepted", "filename": filename}, upload


def _http_put(url: str, body: bytes) -> bool:
    if not url.startswith(("http://", "https://")):
        return False
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


@handles("CustomerInformation")
async def customer_information(st: EmulatedStation, p: dict[str, Any]) -> Result:
    token = p.get("idToken")
    if not (token or p.get("customerIdentifier") or p.get("customerCertificate")):
        return {"status": "Rejected"}

    async def notify() -> None:
        if "customer_information_no_notify" in st.quirks:
            return
        key = token.get("idToken") if token else None
        data = "No customer data found"
        if key and key in st.auth_cache:
            data = f"idToken {key}: {st.auth_cache[key].get('status')}"
            if p.get("clear"):
                del st.auth_cache[key]
        elif p.get("clear"):
            data = "No customer data to clear"
        st.send("NotifyCustomerInformation", {
            "data": data if p.get("report") else "Cleared" if p.get("clear") else data,
            "seqNo": 0, "generatedAt": _now(), "requestId": p["requestId"], "tbc": False})

    return {"status": "Accepted"}, notify


# ---- M: certificates -------------------------------------------------------------------------
CA_CERTIFICATE_TYPES = ("CSMSRootCertificate", "ManufacturerRootCertificate",
                        "V2GRootCertificate", "MORootCertificate")


@handles("InstallCertificate")
async def install_certificate(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """M05: install a CA certificate in the (non-volatile) store of its type. A certificate
    that does not parse, is not a CA, is not valid now or whose self-signature does not verify
    is Rejected (M05.FR.07); a valid one is stored and Accepted (M05.FR.01, M05.FR.02)."""
    kind = p["certificateType"]
    if kind not in CA_CERTIFICATE_TYPES:
        return _install_rejected("UnsupportedCertificateType", f"{kind} is not supported")
    problem = _ca_certificate_problem(p["certificate"])
    if problem is not None and "install_accepts_invalid_certificate" not in st.quirks:
        st.security_log.append(f"{_now()} InstallCertificate {kind} rejected: {problem}")
        return _install_rejected("InvalidCertificate", problem)
    store = st.installed_certificates.setdefault(kind, [])
    pem = p["certificate"].strip() + "\n"
    if pem not in store:
        store.append(pem)
    st.security_log.append(f"{_now()} InstallCertificate {kind} installed")
    _count_certificates(st)
    return {"status": "Accepted"}


def _install_rejected(reason: str, info: str) -> dict[str, Any]:
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason, "additionalInfo": info[:512]}}


def _ca_certificate_problem(pem: str) -> str | None:
    """Why ``pem`` cannot be installed as a CA certificate, or None."""
    try:
        cert = load_pem(pem)
    except ValueError as exc:
        return f"not a PEM encoded X.509 certificate ({exc})"
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return "no BasicConstraints extension: not a CA certificate"
    if not constraints.ca:
        return "BasicConstraints CA=false: not a CA certificate"
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        return (f"not valid now (valid {cert.not_valid_before_utc:%Y-%m-%dT%H:%M:%SZ} to "
                f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ})")
    if cert.issuer == cert.subject:
        try:
            cert.verify_directly_issued_by(cert)
        except (ValueError, TypeError, InvalidSignature):
            return "the self-signature does not verify"
    return None


def _count_certificates(st: EmulatedStation) -> None:
    st.dm.put("SecurityCtrlr", "CertificateEntries",
              str(sum(len(pems) for pems in st.installed_certificates.values())))


def installed_hash_data(st: EmulatedStation, algorithm: str = "SHA256"
                        ) -> list[tuple[str, int, dict[str, str]]]:
    """(certificate type, index in its store, CertificateHashDataType) of every installed CA
    certificate. The issuer is looked up in the store; a root is its own issuer."""
    certs = {kind: [load_pem(pem) for pem in pems]
             for kind, pems in st.installed_certificates.items()}
    everything = [c for cs in certs.values() for c in cs]
    out = []
    for kind, cs in certs.items():
        for index, cert in enumerate(cs):
            issuer = _issuer_of(cert, everything)
            out.append((kind, index, _hash_data(cert, issuer, algorithm,
                                                "wrong_issuer_key_hash" in st.quirks)))
    return out


def _issuer_of(cert: x509.Certificate, pool: list[x509.Certificate]) -> x509.Certificate:
    """The certificate that signed ``cert``: itself when self-signed, else the one in ``pool``
    with the issuer's name whose key verifies the signature (names alone can repeat)."""
    for candidate in [cert, *pool]:
        if candidate.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return cert


def _hash_data(cert: x509.Certificate, issuer: x509.Certificate, algorithm: str,
               spki_quirk: bool = False) -> dict[str, str]:
    data = certificate_hash_data(cert, issuer)
    name = {"SHA256": "sha256", "SHA384": "sha384", "SHA512": "sha512"}[algorithm]
    if spki_quirk:  # hashes the whole SubjectPublicKeyInfo, not the key's BIT STRING
        key = issuer.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        data["issuerKeyHash"] = hashlib.new(name, key).hexdigest()
    if algorithm != "SHA256":
        key = issuer.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        data.update(hashAlgorithm=algorithm,
                    issuerNameHash=hashlib.new(name, cert.issuer.public_bytes()).hexdigest(),
                    issuerKeyHash=data["issuerKeyHash"] if spki_quirk
                    else hashlib.new(name, key).hexdigest())
    return data


def same_certificate(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """CertificateHashDataType equality: hex compared case-insensitively, serial numbers
    without leading zeros."""
    def norm(h: dict[str, Any]) -> tuple[str, ...]:
        return (str(h.get("hashAlgorithm", "")).upper(), str(h.get("issuerNameHash", "")).lower(),
                str(h.get("issuerKeyHash", "")).lower(),
                str(h.get("serialNumber", "")).lower().lstrip("0") or "0")
    return norm(a) == norm(b)


@handles("GetInstalledCertificateIds")
async def get_installed_certificate_ids(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """M03: the hash data of every installed certificate of the requested types (all types
    when none is given; M03.FR.03, M03.FR.04); NotFound when none matches (M03.FR.02)."""
    wanted = p.get("certificateType") or []
    if "get_ids_first_type_only" in st.quirks:
        wanted = wanted[:1]
    if "get_ids_ignores_type_filter" in st.quirks:
        wanted = []
    chain = [{"certificateType": kind, "certificateHashData": data}
             for kind, _, data in installed_hash_data(st) if not wanted or kind in wanted]
    if not chain:
        return {"status": "NotFound"}
    return {"status": "Accepted", "certificateHashDataChain": chain}


@handles("DeleteCertificate")
async def delete_certificate(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """M04: delete the installed certificate with this hash data (Accepted, M04.FR.02), or
    NotFound (M04.FR.04). This station keeps its own certificate apart from the CA store, so
    M04.FR.06 (never delete the Charging Station certificate) cannot be hit from here."""
    wanted = p["certificateHashData"]
    algorithm = wanted.get("hashAlgorithm", "SHA256")
    if algorithm not in ("SHA256", "SHA384", "SHA512"):
        return {"status": "NotFound"}
    match = next(((kind, index) for kind, index, data in installed_hash_data(st, algorithm)
                  if same_certificate(data, wanted)), None)
    if match is None:
        if "delete_reports_accepted_when_missing" in st.quirks:
            return {"status": "Accepted"}
        return {"status": "NotFound"}
    kind, index = match
    if "delete_accepted_but_kept" not in st.quirks:
        del st.installed_certificates[kind][index]
        if not st.installed_certificates[kind]:
            del st.installed_certificates[kind]
        _count_certificates(st)
    st.security_log.append(f"{_now()} DeleteCertificate {kind} serial {wanted.get('serialNumber')}")
    return {"status": "Accepted"}


# ---- L: firmware management ------------------------------------------------------------------
@handles("UpdateFirmware")
async def update_firmware(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """L01 secure firmware update; the whole process is in ``harness.emulator.firmware``."""
    result: Result = firmware.update_firmware(st, p)
    return result


# ---- P: data transfer ------------------------------------------------------------------------
@handles("DataTransfer")
async def data_transfer(st: EmulatedStation, p: dict[str, Any]) -> Result:
    if "data_transfer_accepted" in st.quirks:
        return {"status": "Accepted"}
    if p["vendorId"] != st.config.vendor:
        return {"status": "UnknownVendorId"}  # P01.FR.05
    return {"status": "UnknownMessageId"}  # P01.FR.06: this station implements no messageId


def has_custom_data(payload: Any) -> bool:
    """Whether a request carries CustomDataType anywhere (the ``rejects_custom_data`` quirk)."""
    if isinstance(payload, dict):
        return "customData" in payload or any(has_custom_data(v) for v in payload.values())
    if isinstance(payload, list):
        return any(has_custom_data(v) for v in payload)
    return False
