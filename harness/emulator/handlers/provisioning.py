"""Block B, provisioning: variables, base reports, reset, network profiles."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING, Any

from harness.emulator.device_model import Variable
from harness.emulator.handlers.registry import Result, handles, now

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


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
                value = now() if (var.component, var.name) == ("ClockCtrlr", "DateTime") else var.value
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
            st.security_log.append(f"{now()} BasicAuthPassword changed; reconnecting")
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
    if base == "SummaryInventory" and not st.config.options.get("summary_inventory", True):
        return {"status": "NotSupported"}  # a station without OCTT C-56 (B07.FR.02)
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
                "requestId": p["requestId"], "generatedAt": now(), "seqNo": seq,
                "tbc": (not last) or "report_tbc_wrong" in st.quirks,
                "reportData": [_report_entry(v) for v in chunk],
            })

    return {"status": "Accepted"}, send_reports


def _report_entry(v: Variable) -> dict[str, Any]:
    attribute: dict[str, Any] = {"type": "Actual", "mutability": v.mutability,
                                 "persistent": v.persistent, "constant": False}
    if v.mutability != "WriteOnly":  # B07.FR.03: never the value of a WriteOnly variable
        value = now() if (v.component, v.name) == ("ClockCtrlr", "DateTime") else v.value
        attribute["value"] = value[:2500]
    return {"component": v.component_json(), "variable": v.variable_json(),
            "variableAttribute": [attribute], "variableCharacteristics": v.characteristics()}


@handles("Reset")
async def reset(st: EmulatedStation, p: dict[str, Any]) -> Result:
    """B11 / B12. OnIdle while not idle (a transaction, or a cable still plugged in):
    Scheduled, performed once idle (B12.FR.01, B12.FR.03). Immediate: every transaction is
    ended with ResetCommand / ImmediateReset and delivered before the reboot (B12.FR.04).
    With evseId, only that EVSE (OCTT C-13); a station built without EVSE reset (emulator
    option ``evse_reset: false``) answers Rejected (B11.FR.09, B12.FR.09)."""
    if p.get("evseId") is not None:
        return st.reset_evse_request(p["evseId"], p["type"])
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
    if security_profile >= 2 and not st.installed_certificates.get("CSMSRootCertificate") \
            and "tls_upgrade_without_root" not in st.quirks:
        return f"security profile {security_profile}: no CSMSRootCertificate installed"
    if security_profile == 3 and not (st.config.client_cert_pem and st.config.client_key_pem):
        return "security profile 3: no ChargingStationCertificate installed"
    return None


def _network_profile_rejected(reason: str, info: str) -> dict[str, Any]:
    return {"status": "Rejected", "statusInfo": {"reasonCode": reason, "additionalInfo": info[:512]}}
