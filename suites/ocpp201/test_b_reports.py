"""OCTT block B, base reports (Charging Station side): GetBaseReport and NotifyReport."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest

from suites.ocpp201.provisioning import base_report, name_of, report_entries

LIST_TYPES = ("OptionList", "SequenceList", "MemberList")

# Components and variables a Core charging station must implement (OCPP 2.0.1 Part 2,
# "Referenced Components and Variables", Required = yes; ActiveNetworkProfile per the
# 2025-01 errata). EVSE and Connector variables are checked for every EVSE / connector.
REQUIRED_STATION_VARIABLES: tuple[tuple[str, str, str | None], ...] = (
    ("ChargingStation", "AvailabilityState", None),
    ("ChargingStation", "Available", None),
    ("ChargingStation", "SupplyPhases", None),
    ("OCPPCommCtrlr", "ActiveNetworkProfile", None),
    ("OCPPCommCtrlr", "FileTransferProtocols", None),
    ("OCPPCommCtrlr", "MessageTimeout", "Default"),
    ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent"),
    ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"),
    ("OCPPCommCtrlr", "NetworkConfigurationPriority", None),
    ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", None),
    ("OCPPCommCtrlr", "OfflineThreshold", None),
    ("OCPPCommCtrlr", "ResetRetries", None),
    ("OCPPCommCtrlr", "RetryBackOffRandomRange", None),
    ("OCPPCommCtrlr", "RetryBackOffRepeatTimes", None),
    ("OCPPCommCtrlr", "RetryBackOffWaitMinimum", None),
    ("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", None),
    ("OCPPCommCtrlr", "WebSocketPingInterval", None),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetReport"),
    ("DeviceDataCtrlr", "BytesPerMessage", "GetVariables"),
    ("DeviceDataCtrlr", "BytesPerMessage", "SetVariables"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"),
    ("DeviceDataCtrlr", "ItemsPerMessage", "SetVariables"),
    ("ClockCtrlr", "DateTime", None),
    ("ClockCtrlr", "TimeSource", None),
    ("SecurityCtrlr", "CertificateEntries", None),
    ("SecurityCtrlr", "OrganizationName", None),
    ("SecurityCtrlr", "SecurityProfile", None),
    ("TxCtrlr", "EVConnectionTimeOut", None),
    ("TxCtrlr", "StopTxOnEVSideDisconnect", None),
    ("TxCtrlr", "StopTxOnInvalidId", None),
    ("TxCtrlr", "TxStartPoint", None),
    ("TxCtrlr", "TxStopPoint", None),
    ("SampledDataCtrlr", "TxEndedMeasurands", None),
    ("SampledDataCtrlr", "TxEndedInterval", None),
    ("SampledDataCtrlr", "TxStartedMeasurands", None),
    ("SampledDataCtrlr", "TxUpdatedMeasurands", None),
    ("SampledDataCtrlr", "TxUpdatedInterval", None),
    ("AlignedDataCtrlr", "Interval", None),
    ("AlignedDataCtrlr", "Measurands", None),
    ("AlignedDataCtrlr", "TxEndedInterval", None),
    ("AlignedDataCtrlr", "TxEndedMeasurands", None),
    ("AuthCtrlr", "AuthorizeRemoteStart", None),
    ("AuthCtrlr", "LocalAuthorizeOffline", None),
    ("AuthCtrlr", "LocalPreAuthorize", None),
)
REQUIRED_EVSE_VARIABLES = ("AvailabilityState", "Available", "Power", "SupplyPhases")
REQUIRED_CONNECTOR_VARIABLES = ("AvailabilityState", "Available", "ConnectorType", "SupplyPhases")


def _request_id() -> int:
    return random.randint(1, 2**31 - 1)


def _key(entry: dict[str, Any]) -> tuple[Any, ...]:
    comp, var = entry.get("component", {}), entry.get("variable", {})
    evse = comp.get("evse") or {}
    return (comp.get("name"), comp.get("instance"), evse.get("id"), evse.get("connectorId"),
            var.get("name"), var.get("instance"))


def _check_entries(entries: list[dict[str, Any]], report: str) -> None:
    """What every reported variable must satisfy: at least one attribute, and no value for a
    WriteOnly attribute (B07.FR.03)."""
    assert entries, f"{report} report: the NotifyReports carried no reportData at all"
    for entry in entries:
        name = name_of(entry.get("component", {}), entry.get("variable", {}))
        attributes = entry.get("variableAttribute") or []
        assert attributes, f"{report} report: {name} has no variableAttribute"
        for attribute in attributes:
            if attribute.get("mutability") == "WriteOnly":
                assert "value" not in attribute, (
                    f"{report} report: {name} is WriteOnly, so its value must be omitted "
                    f"(B07.FR.03); the station reported a value")


def _value_problem(data_type: str, value: str, values_list: list[str]) -> str | None:
    """Why ``value`` is not a valid value of ``data_type``, or None."""
    if data_type == "integer":
        return None if value.lstrip("-").isdigit() else "not an integer"
    if data_type == "decimal":
        try:
            float(value)
        except ValueError:
            return "not a decimal"
        return None
    if data_type == "boolean":
        return None if value in ("true", "false") else "not true/false"
    if data_type == "dateTime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "not an RFC 3339 date-time"
        return None
    if data_type == "OptionList":
        return None if value in values_list else f"not one of valuesList {values_list}"
    if data_type in ("SequenceList", "MemberList"):
        members = [m for m in value.split(",") if m]
        bad = [m for m in members if m not in values_list]
        return f"members {bad} not in valuesList {values_list}" if bad else None
    return None


@pytest.mark.octt("TC_B_12_CS")
async def test_base_report_configuration_inventory(station, operator, bench):
    """Get Base Report - ConfigurationInventory.

    GetBaseReport ConfigurationInventory: Accepted, then NotifyReports with the requestId,
    seqNo 0, 1, ... and tbc=false on the last one only. Every reported variable can be set by
    the CSMS (an attribute that is not ReadOnly); WriteOnly values are omitted; the Core
    ReadWrite variables OfflineThreshold and EVConnectionTimeOut are included.

    Requirements: B07.FR.01, B07.FR.03, B07.FR.04, B07.FR.07, B07.FR.10, B07.FR.12.
    """
    parts = await base_report(station, "ConfigurationInventory", _request_id(),
                              within=bench.csms.message_timeout)
    entries = report_entries(parts)
    _check_entries(entries, "ConfigurationInventory")
    read_only = [name_of(e["component"], e["variable"]) for e in entries
                 if all(a.get("mutability", "ReadWrite") == "ReadOnly" for a in e["variableAttribute"])]
    assert not read_only, (
        f"ConfigurationInventory reports the variables the CSMS can set (B07.FR.07); these are "
        f"ReadOnly: {read_only[:20]}")
    names = {(e["component"]["name"], e["variable"]["name"]) for e in entries}
    missing = [f"{c}.{v}" for c, v in (("OCPPCommCtrlr", "OfflineThreshold"),
                                       ("TxCtrlr", "EVConnectionTimeOut")) if (c, v) not in names]
    assert not missing, f"ConfigurationInventory report lacks the configurable {missing}"


@pytest.mark.octt("TC_B_13_CS")
async def test_base_report_full_inventory(station, operator, bench):
    """Get Base Report - FullInventory.

    GetBaseReport FullInventory: Accepted, then NotifyReports with the requestId, seqNo 0,
    1, ... and tbc=false on the last one only. The report covers ReadOnly variables too, and
    the EVSE and Connector components of every EVSE and connector of the bench file;
    WriteOnly values are omitted.

    Requirements: B07.FR.01, B07.FR.03, B07.FR.04, B07.FR.08, B07.FR.10, B07.FR.12.
    """
    parts = await base_report(station, "FullInventory", _request_id(),
                              within=bench.csms.message_timeout)
    entries = report_entries(parts)
    _check_entries(entries, "FullInventory")
    assert any(a.get("mutability") == "ReadOnly" for e in entries for a in e["variableAttribute"]), (
        "FullInventory must report all variables (B07.FR.08), ReadOnly ones too; none was")
    evses = {(e["component"].get("evse") or {}).get("id") for e in entries
             if e["component"]["name"] == "EVSE"}
    conns = {((e["component"].get("evse") or {}).get("id"),
              (e["component"].get("evse") or {}).get("connectorId"))
             for e in entries if e["component"]["name"] == "Connector"}
    for evse in bench.station.evses:
        assert evse.id in evses, f"FullInventory has no EVSE component for EVSE {evse.id}"
        for c in evse.connectors:
            assert (evse.id, c.id) in conns, (
                f"FullInventory has no Connector component for EVSE {evse.id} connector {c.id}")


@pytest.mark.octt("TC_B_53_CS")
async def test_base_report_mandatory_variables(station, operator, bench):
    """Get Base Report - Test mandatory DM variables via FullInventory.

    The FullInventory report contains every component/variable OCPP 2.0.1 requires of a Core
    station (controllers; ChargingStation; EVSE and Connector for each one on the bench), and
    each reported variable is well formed: list data types carry a valuesList and values from
    it; values match their dataType; WriteOnly values are omitted, others present (except
    EVSE.Power, which needs only its maxLimit).

    Requirements: "Referenced Components and Variables" (OCPP 2.0.1 Part 2).
    """
    parts = await base_report(station, "FullInventory", _request_id(),
                              within=bench.csms.message_timeout)
    entries = report_entries(parts)
    _check_entries(entries, "FullInventory")
    reported = {_key(e) for e in entries}
    required = [(c, None, None, None, v, i) for c, v, i in REQUIRED_STATION_VARIABLES]
    for evse in bench.station.evses:
        required += [("EVSE", None, evse.id, None, v, None) for v in REQUIRED_EVSE_VARIABLES]
        for c in evse.connectors:
            required += [("Connector", None, evse.id, c.id, v, None)
                         for v in REQUIRED_CONNECTOR_VARIABLES]
    missing = [k for k in required if k not in reported]

    def show(k: tuple[Any, ...]) -> str:
        comp = {"name": k[0], **({"evse": {"id": k[2], **({"connectorId": k[3]} if k[3] else {})}}
                                 if k[2] is not None else {})}
        return name_of(comp, {"name": k[4], **({"instance": k[5]} if k[5] else {})})

    assert not missing, ("FullInventory lacks required Core components/variables: "
                         + ", ".join(show(k) for k in missing))
    problems = []
    for e in entries:
        name = name_of(e["component"], e["variable"])
        chars = e.get("variableCharacteristics") or {}
        data_type = chars.get("dataType")
        values_list = [v for v in (chars.get("valuesList") or "").split(",") if v]
        if data_type in LIST_TYPES and not values_list:
            problems.append(f"{name}: dataType {data_type} without a valuesList")
        for a in e["variableAttribute"]:
            if a.get("mutability") == "WriteOnly":
                continue
            if "value" not in a:
                if (e["component"]["name"], e["variable"]["name"]) == ("EVSE", "Power"):
                    if chars.get("maxLimit") is None:
                        problems.append(f"{name}: no value and no maxLimit")
                    continue
                problems.append(f"{name} ({a.get('type', 'Actual')}): value omitted although "
                                f"the variable is {a.get('mutability', 'ReadWrite')}")
                continue
            if data_type and a.get("type", "Actual") == "Actual":
                why = _value_problem(data_type, str(a["value"]), values_list)
                if why:
                    problems.append(f"{name}={a['value']!r}: {why}")
    assert not problems, (f"FullInventory: {len(problems)} reported variable(s) are not "
                          f"well formed:\n  " + "\n  ".join(problems[:30]))


# ---- GetBaseReport of a base report the station does not support (Not C-56) ---------------

@pytest.mark.octt("TC_B_15_CS")
@pytest.mark.requires("NoSummaryInventory")  # Not C-56: no SummaryInventory base report
async def test_base_report_not_supported(station, bench):
    """Get Base Report - Not Supported base report.

    A station without the SummaryInventory report answers GetBaseReport(SummaryInventory)
    with NotSupported (B07.FR.02) and sends no NotifyReport for that request.
    """
    request_id = 4_150
    mark = station.journal.mark()
    reply = await station.call("GetBaseReport", {"requestId": request_id,
                                                 "reportBase": "SummaryInventory"})
    assert reply["status"] == "NotSupported", (
        "GetBaseReport SummaryInventory on a station that does not support it: expected "
        f"NotSupported (B07.FR.02), the station answered {reply['status']!r}")
    await station.expect_none("NotifyReport", {"requestId": request_id},
                              within=bench.csms.quiet_period, since=mark)
