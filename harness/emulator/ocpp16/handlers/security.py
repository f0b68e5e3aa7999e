"""The OCPP 1.6 Security Whitepaper (edition 2, "Improved security for OCPP 1.6-J") on the
emulated 1.6 charge point: certificates, the Charge Point certificate (CSR / CertificateSigned),
the security log, signed firmware, security events and the security configuration keys.

The whitepaper ports OCPP 2.0.1 security to 1.6, so each request is answered by the shared
2.0.1 handler (:mod:`harness.emulator.handlers.certificates`, ``diagnostics``,
:mod:`harness.emulator.firmware`) and only the words differ: certificate types
(CentralSystemRootCertificate is 2.0.1's CSMSRootCertificate), security event types
(InvalidCentralSystemCertificate / InvalidCSMSCertificate), a flat list of hash data in
GetInstalledCertificateIds, no statusInfo, and the status notifications of a signed firmware
update or a log upload (SignedFirmwareStatusNotification, LogStatusNotification) told apart
from those of the 1.6 Firmware Management profile by their requestId.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import Result, now
from harness.emulator.ocpp16.handlers.registry import HANDLERS_16, handles16, shared, status_map

if TYPE_CHECKING:
    from harness.emulator.ocpp16.station import EmulatedStation16

# 1.6 CertificateUseEnumType -> 2.0.1 GetCertificateIdUseEnumType / InstallCertificateUseEnumType
CERTIFICATE_TYPES = {"CentralSystemRootCertificate": "CSMSRootCertificate",
                     "ManufacturerRootCertificate": "ManufacturerRootCertificate"}
# 2.0.1 security event types whose 1.6 whitepaper name differs (whitepaper section 4.2).
SECURITY_EVENTS_16 = {"InvalidCsmsCertificate": "InvalidCentralSystemCertificate",
                      "InvalidChargingStationCertificate": "InvalidChargePointCertificate",
                      "FailedToAuthenticateAtCsms": "FailedToAuthenticateAtCentralSystem",
                      "CsmsFailedToAuthenticate": "CentralSystemFailedToAuthenticate"}
# The 1.6 UploadLogStatusEnumType lacks 2.0.1's AcceptedCanceled.
UPLOAD_STATUSES_16 = frozenset({"BadMessage", "Idle", "NotSupportedOperation",
                                "PermissionDenied", "Uploaded", "UploadFailure", "Uploading"})
# The 1.6 FirmwareStatus of the Firmware Management profile (section 7.25).
PLAIN_FIRMWARE_STATUSES = frozenset({"Downloaded", "DownloadFailed", "Downloading", "Idle",
                                     "InstallationFailed", "Installing", "Installed"})
# ExtendedTriggerMessage (whitepaper 5.5) -> the shared TriggerMessage's requestedMessage
EXTENDED_TRIGGERS = {"SignChargePointCertificate": "SignChargingStationCertificate"}
# Internal names of the triggered status notifications with no request to tell them by.
TRIGGERED_LOG_STATUS = "SecurityLogStatusNotification"
TRIGGERED_FIRMWARE_STATUS = "SignedFirmwareStatusNotification"

# Internal requestIds of GetLog / SignedUpdateFirmware, unique across the run, so that their
# status notifications are told from those of GetDiagnostics / UpdateFirmware.
_internal_ids = itertools.count(1_600_000_001)


def security_event_16(payload: dict[str, Any]) -> dict[str, Any]:
    """SecurityEventNotificationRequest (2.0.1) -> SecurityEventNotification.req (1.6)."""
    out = {"type": SECURITY_EVENTS_16.get(payload["type"], payload["type"])[:50],
           "timestamp": payload["timestamp"]}
    if payload.get("techInfo"):
        out["techInfo"] = str(payload["techInfo"])[:255]
    return out


def hash_data_list(result: dict[str, Any]) -> dict[str, Any]:
    """GetInstalledCertificateIdsResponse (2.0.1) -> .conf (1.6): the status and a flat list of
    CertificateHashData (1.6 asks for one certificate type, so the type is not repeated)."""
    chain = result.get("certificateHashDataChain") or []
    if result.get("status") != "Accepted" or not chain:
        return {"status": "NotFound"}
    return {"status": "Accepted",
            "certificateHashData": [entry["certificateHashData"] for entry in chain]}


def _requests(st: EmulatedStation16) -> dict[int, tuple[str, int | None]]:
    """internal requestId -> (kind 'log' / 'firmware', the Central System's requestId)."""
    found = getattr(st, "security_requests_16", None)
    if found is None:
        found = {}
        st.security_requests_16 = found  # type: ignore[attr-defined]
    return found  # type: ignore[no-any-return]


def _internal_id(st: EmulatedStation16, kind: str, request_id: int | None) -> int:
    internal = next(_internal_ids)
    _requests(st)[internal] = (kind, request_id)
    return internal


# ---- the wire, outgoing: what the station sends, said in 1.6 ------------------------------
def owns(st: EmulatedStation16, action: str, p: dict[str, Any]) -> bool:
    """Whether an outgoing internal message is a Security Whitepaper message."""
    if action in ("SecurityEventNotification", "SignCertificate", TRIGGERED_LOG_STATUS,
                  TRIGGERED_FIRMWARE_STATUS):
        return True
    kind = {"LogStatusNotification": "log", "FirmwareStatusNotification": "firmware"}.get(action)
    return kind is not None and _requests(st).get(p.get("requestId", -1), ("", None))[0] == kind


def message_16(st: EmulatedStation16, action: str,
               p: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The 1.6 action and payload of an outgoing message :func:`owns` claims; None: not sent."""
    if action == "SecurityEventNotification":
        if p["type"] == "InvalidChargingStationCertificate" \
                and "certificate_signed_no_security_event_16" in st.quirks:
            return None  # the defect: the invalid certificate is rejected silently
        return action, security_event_16(p)
    if action == "SignCertificate":
        return action, {"csr": p["csr"]}  # 1.6 has no certificateType: the Charge Point's own
    if action in (TRIGGERED_LOG_STATUS, TRIGGERED_FIRMWARE_STATUS):
        name = "LogStatusNotification" if action == TRIGGERED_LOG_STATUS else action
        return name, _with_request_id(st, {"status": p["status"]}, p.get("requestId"))
    status = p["status"]
    if action == "LogStatusNotification":
        if status not in UPLOAD_STATUSES_16:
            return None
        return action, _with_request_id(st, {"status": status}, p.get("requestId"))
    if "signed_firmware_plain_status_16" in st.quirks:  # the defect: 1.6 Firmware Management words
        return ("FirmwareStatusNotification", {"status": status}) \
            if status in PLAIN_FIRMWARE_STATUSES else None
    return "SignedFirmwareStatusNotification", _with_request_id(st, {"status": status},
                                                                p.get("requestId"))


def _with_request_id(st: EmulatedStation16, out: dict[str, Any],
                     internal: int | None) -> dict[str, Any]:
    if internal is not None:
        request_id = _requests(st).get(internal, ("", internal))[1]
        if request_id is not None:
            out["requestId"] = request_id
    return out


# ---- certificates (whitepaper 3.5, 5.4, 5.7) -------------------------------------------------------
@handles16("InstallCertificate")
async def install_certificate(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    return status_map(await shared(st, "InstallCertificate", {
        "certificateType": CERTIFICATE_TYPES[p["certificateType"]],
        "certificate": p["certificate"]}), {})


@handles16("GetInstalledCertificateIds")
async def get_installed_certificate_ids(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    result = await shared(st, "GetInstalledCertificateIds", {
        "certificateType": [CERTIFICATE_TYPES[p["certificateType"]]]})
    return hash_data_list(result if isinstance(result, dict) else result[0])


@handles16("DeleteCertificate")
async def delete_certificate(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    result = status_map(await shared(st, "DeleteCertificate", p), {})
    if "delete_certificate_unknown_accepted_16" in st.quirks and isinstance(result, dict) \
            and result["status"] == "NotFound":
        return {"status": "Accepted"}  # the defect: nothing deleted, Accepted all the same
    return result


@handles16("CertificateSigned")
async def certificate_signed(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    """Whitepaper 2.4 / 3.2: the Charge Point certificate for the pending CSR; an invalid one
    is Rejected with SecurityEventNotification InvalidChargePointCertificate."""
    return status_map(await shared(st, "CertificateSigned", {
        "certificateChain": p["certificateChain"],
        "certificateType": "ChargingStationCertificate"}), {})


@handles16("ExtendedTriggerMessage")
async def extended_trigger_message(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    """Whitepaper 5.5: TriggerMessage with SignChargePointCertificate and the security status
    notifications; the Core messages are triggered as by TriggerMessage."""
    what = p["requestedMessage"]
    if what in EXTENDED_TRIGGERS:
        return status_map(await shared(st, "TriggerMessage",
                                       {"requestedMessage": EXTENDED_TRIGGERS[what]}), {})
    if what in ("LogStatusNotification", "FirmwareStatusNotification"):
        from harness.emulator import firmware
        from harness.emulator.handlers import diagnostics

        kind = "log" if what == "LogStatusNotification" else "firmware"
        payload = (diagnostics.trigger_payload(st) if kind == "log"
                   else firmware.trigger_payload(st))
        if _requests(st).get(payload.get("requestId", -1), ("", None))[0] != kind:
            payload = {"status": "Idle"}  # what runs is not a whitepaper request

        async def report() -> None:
            st.send(TRIGGERED_LOG_STATUS if kind == "log" else TRIGGERED_FIRMWARE_STATUS, payload)

        return {"status": "Accepted"}, report
    return await HANDLERS_16["TriggerMessage"](st, p)


# ---- security log (whitepaper 5.10 / 4.5) and signed firmware (5.11 / 4.7) --------------------
@handles16("GetLog")
async def get_log(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    request = {**p, "requestId": _internal_id(st, "log", p["requestId"])}
    result = await shared(st, "GetLog", request)
    payload, follow_up = result if isinstance(result, tuple) else (result, None)
    out = {"status": payload["status"]}
    if payload.get("filename"):
        out["filename"] = payload["filename"]
    return (out, follow_up) if follow_up is not None else out


@handles16("SignedUpdateFirmware")
async def signed_update_firmware(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    request = {**p, "requestId": _internal_id(st, "firmware", p["requestId"])}
    return status_map(await shared(st, "UpdateFirmware", request), {})


# ---- configuration keys (whitepaper section 7) ----------------------------------------------
async def change_authorization_key(st: EmulatedStation16, value: str) -> Result:
    """AuthorizationKey: the HTTP Basic password (16..40 characters, the BasicAuthPassword of
    2.0.1); once Accepted the Charge Point reconnects with it (whitepaper 2.3, 3.1). The
    whitepaper writes the key in hexadecimal digits; the Charge Point uses the value as given
    (the string of the Authorization header), so any 16..40 characters are taken."""
    if not 16 <= len(value) <= 40:
        return {"status": "Rejected"}
    result = await shared(st, "SetVariables", {"setVariableData": [{
        "component": {"name": "SecurityCtrlr"}, "variable": {"name": "BasicAuthPassword"},
        "attributeValue": value}]})
    payload, follow_up = result if isinstance(result, tuple) else (result, None)
    status = payload["setVariableResult"][0]["attributeStatus"]
    out = {"status": "Accepted" if status == "Accepted" else "Rejected"}
    return (out, follow_up) if follow_up is not None else out


def security_profile_problem(st: EmulatedStation16, current: int, wanted: int) -> str | None:
    """Why the Charge Point cannot move from security profile ``current`` to ``wanted``
    (whitepaper 1.3.4 / A00.FR.005: never lower; 2 and 3 need a CentralSystemRootCertificate,
    3 a Charge Point certificate), or None."""
    if wanted < current and "security_profile_downgrade_accepted_16" not in st.quirks:
        return f"security profile {wanted} is lower than the current {current}"
    if wanted >= 2 and not st.installed_certificates.get("CSMSRootCertificate"):
        return "no CentralSystemRootCertificate installed"
    if wanted == 3 and not (st.config.client_cert_pem and st.config.client_key_pem):
        return "no Charge Point certificate"
    return None


async def change_security_profile(st: EmulatedStation16, value: str) -> Result:
    """SecurityProfile (whitepaper 1.3.4): a higher profile is Accepted when its prerequisites
    are met, and the Charge Point reconnects with it (wss:// from profile 2 on); the same
    profile changes nothing; a lower one is Rejected."""
    try:
        wanted = int(value)
    except ValueError:
        return {"status": "Rejected"}
    current = int(st.dm.get("SecurityCtrlr", "SecurityProfile") or st.config.security_profile)
    if not 0 <= wanted <= 3:
        return {"status": "Rejected"}
    if wanted == current:
        return {"status": "Accepted"}
    problem = security_profile_problem(st, current, wanted)
    if problem is not None:
        st.on_event(f"ChangeConfiguration SecurityProfile={wanted} rejected: {problem}")
        return {"status": "Rejected"}
    slot = st.connected_slot if st.connected_slot in st.network_profiles else 0
    profile = st.network_profiles[slot]
    profile["securityProfile"] = wanted
    url = profile["ocppCsmsUrl"]
    if wanted >= 2 and url.startswith("ws:"):
        profile["ocppCsmsUrl"] = "wss:" + url[3:]
    elif wanted < 2 and url.startswith("wss:"):
        profile["ocppCsmsUrl"] = "ws:" + url[4:]

    async def reconnect() -> None:
        st.security_log.append(f"{now()} SecurityProfile {current} -> {wanted}; reconnecting")
        st.reconnect()

    return {"status": "Accepted"}, reconnect


KEY_CHANGES = {"AuthorizationKey": change_authorization_key,
               "SecurityProfile": change_security_profile}
