"""OCTT block B, device model variables (Charging Station side): Get/SetVariables."""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.csms.session import ExpectTimeout, StationSession
from suites.ocpp201.provisioning import get_values, name_of, tolerance
from suites.ocpp201.support import get_variable, variable_ref

UNKNOWN_COMPONENT = "HarnessUnknownComponent"
UNKNOWN_VARIABLE = "HarnessUnknownVariable"


async def _get_one(station: StationSession, item: dict[str, Any]) -> dict[str, Any]:
    reply = await station.call("GetVariables", {"getVariableData": [item]})
    results = reply["getVariableResult"]
    assert len(results) == 1, (
        f"GetVariables with one item must return one getVariableResult, the station returned "
        f"{len(results)}: {results}")
    return results[0]


async def _set_one(station: StationSession, item: dict[str, Any]) -> dict[str, Any]:
    reply = await station.call("SetVariables", {"setVariableData": [item]})
    results = reply["setVariableResult"]
    assert len(results) == 1, (
        f"SetVariables with one item must return one setVariableResult, the station returned "
        f"{len(results)}: {results}")
    return results[0]


def _echoes(result: dict[str, Any], item: dict[str, Any], what: str) -> None:
    """The result names the component and variable it answers (B05.FR.03, B06.FR.03)."""
    asked = name_of(item["component"], item["variable"])
    answered = name_of(result.get("component", {}), result.get("variable", {}))
    assert answered == asked, f"{what}: the result is for {answered}, the request asked for {asked}"


def _changed(value: str, low: int = 1, high: int = 86400) -> str:
    """An integer value different from ``value`` within [low, high]."""
    number = int(value)
    return str(number + 1 if number < high else number - 1) if number >= low else str(low)


# ---- B06: get variables -------------------------------------------------------------------
@pytest.mark.octt("TC_B_06_CS")
async def test_get_variables_single_value(station, operator, bench):
    """Get Variables - single value.

    GetVariables for OCPPCommCtrlr.OfflineThreshold without attributeType: the station answers
    Accepted with the Actual value (an integer), naming the component and variable asked for.

    Requirements: B06.FR.01, B06.FR.02, B06.FR.03, B06.FR.04, B06.FR.10, B06.FR.11.
    """
    item = variable_ref("OCPPCommCtrlr", "OfflineThreshold")
    result = await _get_one(station, item)
    assert result["attributeStatus"] == "Accepted", (
        f"GetVariables OCPPCommCtrlr.OfflineThreshold: expected Accepted, the station answered "
        f"{result['attributeStatus']!r} {result.get('attributeStatusInfo') or ''}".rstrip())
    _echoes(result, item, "GetVariables OCPPCommCtrlr.OfflineThreshold")
    assert result.get("attributeType", "Actual") == "Actual", (
        f"GetVariables without attributeType asks for the Actual value; the station answered "
        f"attributeType {result.get('attributeType')!r}")
    value = result.get("attributeValue")
    assert value is not None and value.lstrip("-").isdigit(), (
        f"GetVariables OCPPCommCtrlr.OfflineThreshold (integer): expected an integer "
        f"attributeValue, the station answered {value!r}")


@pytest.mark.octt("TC_B_07_CS")
async def test_get_variables_multiple_values(station, operator, bench):
    """Get Variables - multiple values.

    One GetVariables for several Core variables (no more than ItemsPerMessage[GetVariables]):
    the station answers one Accepted result with a value for each of them.

    Requirements: B06.FR.01, B06.FR.02, B06.FR.03, B06.FR.04, B06.FR.10.
    """
    limit = int(await get_variable(station, "DeviceDataCtrlr", "ItemsPerMessage", "GetVariables"))
    wanted = [("OCPPCommCtrlr", "OfflineThreshold", None),
              ("OCPPCommCtrlr", "MessageTimeout", "Default"),
              ("TxCtrlr", "EVConnectionTimeOut", None),
              ("AuthCtrlr", "AuthorizeRemoteStart", None),
              ("ClockCtrlr", "DateTime", None)][:max(2, limit)]
    results = await get_values(station, wanted)
    assert set(results) == set(wanted), (
        f"GetVariables for {len(wanted)} variables: expected a result for each of {wanted}, "
        f"the station answered for {sorted(results, key=str)}")
    problems = [f"{c}.{v}{f'[{i}]' if i else ''}: {r['attributeStatus']} value={r.get('attributeValue')!r}"
                for (c, v, i), r in results.items()
                if r["attributeStatus"] != "Accepted" or r.get("attributeValue") in (None, "")]
    assert not problems, ("GetVariables for several variables: each must be Accepted with a "
                          "value; not so for: " + "; ".join(problems))


@pytest.mark.octt("TC_B_32_CS")
async def test_get_variables_unknown_component(station, operator, bench):
    """Get Variables - Unknown component.

    GetVariables for a component the station does not have: attributeStatus UnknownComponent,
    no attributeValue.

    Requirements: B06.FR.06.
    """
    item = variable_ref(UNKNOWN_COMPONENT, "HeartbeatInterval")
    result = await _get_one(station, item)
    assert result["attributeStatus"] == "UnknownComponent", (
        f"GetVariables {UNKNOWN_COMPONENT}.HeartbeatInterval (no such component): expected "
        f"UnknownComponent, the station answered {result['attributeStatus']!r} with value "
        f"{result.get('attributeValue')!r}")
    assert "attributeValue" not in result, (
        f"GetVariables for an unknown component must not return a value, the station returned "
        f"{result['attributeValue']!r}")


@pytest.mark.octt("TC_B_33_CS")
async def test_get_variables_unknown_variable(station, operator, bench):
    """Get Variables - Unknown variable.

    GetVariables for a variable OCPPCommCtrlr does not have: attributeStatus UnknownVariable,
    no attributeValue.

    Requirements: B06.FR.07.
    """
    result = await _get_one(station, variable_ref("OCPPCommCtrlr", UNKNOWN_VARIABLE))
    assert result["attributeStatus"] == "UnknownVariable", (
        f"GetVariables OCPPCommCtrlr.{UNKNOWN_VARIABLE} (no such variable): expected "
        f"UnknownVariable, the station answered {result['attributeStatus']!r}")
    assert "attributeValue" not in result, (
        f"GetVariables for an unknown variable must not return a value, the station returned "
        f"{result['attributeValue']!r}")


@pytest.mark.octt("TC_B_34_CS")
async def test_get_variables_not_supported_attribute_type(station, operator, bench):
    """Get Variables - Not supported attribute type.

    GetVariables for the Target attribute of OCPPCommCtrlr.OfflineThreshold, which has only an
    Actual value: attributeStatus NotSupportedAttributeType, no attributeValue.

    Requirements: B06.FR.08.
    """
    item = {**variable_ref("OCPPCommCtrlr", "OfflineThreshold"), "attributeType": "Target"}
    result = await _get_one(station, item)
    assert result["attributeStatus"] == "NotSupportedAttributeType", (
        f"GetVariables OCPPCommCtrlr.OfflineThreshold attributeType Target: expected "
        f"NotSupportedAttributeType, the station answered {result['attributeStatus']!r}")
    assert "attributeValue" not in result, (
        f"GetVariables for an unsupported attribute type must not return a value, the station "
        f"returned {result['attributeValue']!r}")


# ---- B05: set variables -------------------------------------------------------------------
@pytest.mark.octt("TC_B_09_CS")
async def test_set_variables_single_value(station, operator, bench):
    """Set Variables - single value.

    SetVariables OCPPCommCtrlr.HeartbeatInterval = 1: Accepted; GetVariables reads back 1, and
    the station's Heartbeats follow the new interval.

    Requirements: B05.FR.01, B05.FR.02, B05.FR.03, B05.FR.10, B05.FR.12.
    """
    interval = 1
    item = {**variable_ref("OCPPCommCtrlr", "HeartbeatInterval"), "attributeValue": str(interval)}
    set_at = station.journal.mark()
    result = await _set_one(station, item)
    changed_at = time.monotonic()
    assert result["attributeStatus"] == "Accepted", (
        f"SetVariables OCPPCommCtrlr.HeartbeatInterval={interval}: expected Accepted, the station "
        f"answered {result['attributeStatus']!r} {result.get('attributeStatusInfo') or ''}".rstrip())
    _echoes(result, item, "SetVariables OCPPCommCtrlr.HeartbeatInterval")
    read = await get_variable(station, "OCPPCommCtrlr", "HeartbeatInterval")
    assert read == str(interval), (
        f"after SetVariables HeartbeatInterval={interval} was Accepted, GetVariables reads "
        f"{read!r}")
    # The period, measured from the change (the old interval was far longer) or, if the first
    # Heartbeat comes sooner than the new interval, between the first two Heartbeats.
    slack = tolerance(interval, bench)
    try:
        first = await station.expect("Heartbeat", within=interval + bench.csms.deviation,
                                     since=set_at)
        gap = first.mono - changed_at
        if gap < interval - slack:
            second = await station.expect("Heartbeat", within=interval + bench.csms.deviation,
                                          since=set_at)
            gap = second.mono - first.mono
    except ExpectTimeout as exc:
        raise AssertionError(
            f"HeartbeatInterval was set to {interval} s (Accepted, read back), but the station "
            f"does not send Heartbeats at that interval:\n{exc}") from None
    assert interval - slack <= gap <= interval + slack, (
        f"HeartbeatInterval was set to {interval} s: Heartbeats must follow every {interval} s, "
        f"they came {gap:.2f} s apart")


@pytest.mark.octt("TC_B_10_CS")
async def test_set_variables_multiple_values(station, operator, bench):
    """Set Variables - multiple values.

    One SetVariables changing OfflineThreshold, HeartbeatInterval and EVConnectionTimeOut to new
    values: one Accepted result for each; GetVariables reads the new values back.

    Requirements: B05.FR.01, B05.FR.02, B05.FR.03, B05.FR.10, B05.FR.12.
    """
    refs = [("OCPPCommCtrlr", "OfflineThreshold", None),
            ("OCPPCommCtrlr", "HeartbeatInterval", None),
            ("TxCtrlr", "EVConnectionTimeOut", None)]
    before = await get_values(station, refs)
    new = {k: _changed(r["attributeValue"]) for k, r in before.items()}
    reply = await station.call("SetVariables", {"setVariableData": [
        {**variable_ref(c, v, i), "attributeValue": new[(c, v, i)]} for c, v, i in refs]})
    results = {(r["component"]["name"], r["variable"]["name"], r["variable"].get("instance")): r
               for r in reply["setVariableResult"]}
    assert set(results) == set(refs), (
        f"SetVariables for {len(refs)} variables: expected a result for each of {refs}, the "
        f"station answered for {sorted(results, key=str)}")
    refused = {f"{c}.{v}": r["attributeStatus"] for (c, v, _), r in results.items()
               if r["attributeStatus"] != "Accepted"}
    assert not refused, f"SetVariables of valid new values: expected Accepted for each, got {refused}"
    after = await get_values(station, refs)
    stale = {f"{c}.{v}": (new[(c, v, i)], after[(c, v, i)].get("attributeValue"))
             for c, v, i in refs if after[(c, v, i)].get("attributeValue") != new[(c, v, i)]}
    assert not stale, f"GetVariables after the accepted SetVariables (set, read): {stale}"


@pytest.mark.octt("TC_B_11_CS")
async def test_set_variables_invalid_format(station, operator, bench):
    """Set Variables - invalidly formatted values.

    SetVariables with values that do not match the variables' data types (the integer
    OfflineThreshold = "sixty", the boolean StopTxOnInvalidId = "yes"): Rejected for each, and
    the values are unchanged.

    Requirements: B05.FR.07.
    """
    cases = {("OCPPCommCtrlr", "OfflineThreshold", None): "sixty",
             ("TxCtrlr", "StopTxOnInvalidId", None): "yes"}
    before = await get_values(station, cases)
    reply = await station.call("SetVariables", {"setVariableData": [
        {**variable_ref(c, v, i), "attributeValue": value} for (c, v, i), value in cases.items()]})
    for r in reply["setVariableResult"]:
        key = (r["component"]["name"], r["variable"]["name"], r["variable"].get("instance"))
        assert r["attributeStatus"] == "Rejected", (
            f"SetVariables {key[0]}.{key[1]}={cases.get(key)!r} (not a valid value of its data "
            f"type): expected Rejected, the station answered {r['attributeStatus']!r}")
    after = await get_values(station, cases)
    for key in cases:
        assert after[key].get("attributeValue") == before[key].get("attributeValue"), (
            f"{key[0]}.{key[1]} changed from {before[key].get('attributeValue')!r} to "
            f"{after[key].get('attributeValue')!r} although the invalid value was Rejected")


@pytest.mark.octt("TC_B_35_CS")
async def test_set_variables_unknown_component(station, operator, bench):
    """Set Variables - Unknown component.

    SetVariables on a component the station does not have: attributeStatus UnknownComponent.

    Requirements: B05.FR.04.
    """
    result = await _set_one(station, {**variable_ref(UNKNOWN_COMPONENT, "HeartbeatInterval"),
                                      "attributeValue": "60"})
    assert result["attributeStatus"] == "UnknownComponent", (
        f"SetVariables {UNKNOWN_COMPONENT}.HeartbeatInterval (no such component): expected "
        f"UnknownComponent, the station answered {result['attributeStatus']!r}")


@pytest.mark.octt("TC_B_36_CS")
async def test_set_variables_unknown_variable(station, operator, bench):
    """Set Variables - Unknown variable.

    SetVariables on a variable OCPPCommCtrlr does not have: attributeStatus UnknownVariable.

    Requirements: B05.FR.05.
    """
    result = await _set_one(station, {**variable_ref("OCPPCommCtrlr", UNKNOWN_VARIABLE),
                                      "attributeValue": "60"})
    assert result["attributeStatus"] == "UnknownVariable", (
        f"SetVariables OCPPCommCtrlr.{UNKNOWN_VARIABLE} (no such variable): expected "
        f"UnknownVariable, the station answered {result['attributeStatus']!r}")


@pytest.mark.octt("TC_B_37_CS")
async def test_set_variables_not_supported_attribute_type(station, operator, bench):
    """Set Variables - Not supported attribute type.

    SetVariables on the Target attribute of OCPPCommCtrlr.OfflineThreshold, which has only an
    Actual value: attributeStatus NotSupportedAttributeType; the Actual value is unchanged.

    Requirements: B05.FR.06.
    """
    before = await get_variable(station, "OCPPCommCtrlr", "OfflineThreshold")
    result = await _set_one(station, {**variable_ref("OCPPCommCtrlr", "OfflineThreshold"),
                                      "attributeType": "Target", "attributeValue": _changed(before)})
    assert result["attributeStatus"] == "NotSupportedAttributeType", (
        f"SetVariables OCPPCommCtrlr.OfflineThreshold attributeType Target: expected "
        f"NotSupportedAttributeType, the station answered {result['attributeStatus']!r}")
    after = await get_variable(station, "OCPPCommCtrlr", "OfflineThreshold")
    assert after == before, (
        f"the Actual OfflineThreshold changed from {before!r} to {after!r} after a SetVariables "
        f"of the unsupported Target attribute")


@pytest.mark.octt("TC_B_39_CS")
async def test_set_variables_read_only(station, operator, bench):
    """Set Variables - Read-only.

    SetVariables on DeviceDataCtrlr.ItemsPerMessage[GetVariables], ReadOnly in the OCPP device
    model (written with its own current value, so a faulty station changes nothing):
    attributeStatus Rejected.

    Requirements: B05.FR.09.
    """
    name = "DeviceDataCtrlr.ItemsPerMessage[GetVariables]"
    value = await get_variable(station, "DeviceDataCtrlr", "ItemsPerMessage", "GetVariables")
    result = await _set_one(station, {**variable_ref("DeviceDataCtrlr", "ItemsPerMessage",
                                                     "GetVariables"), "attributeValue": value})
    assert result["attributeStatus"] == "Rejected", (
        f"SetVariables on ReadOnly {name}: expected Rejected, the station answered "
        f"{result['attributeStatus']!r}")
