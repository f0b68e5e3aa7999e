"""Building blocks the OCPP 2.0.1 suite cases share: variables, tokens, charging sessions.

Everything goes through OCPP and bench actions, so each helper works on a real charger too.
"""

from __future__ import annotations

from typing import Any

from harness.bench import Bench
from harness.csms.session import Message, StationSession
from harness.evidence.steps import step


def variable_ref(component: str, variable: str, instance: str | None = None,
                 evse: int | None = None, connector: int | None = None) -> dict[str, Any]:
    comp: dict[str, Any] = {"name": component}
    if evse is not None:
        comp["evse"] = {"id": evse, **({"connectorId": connector} if connector is not None else {})}
    var: dict[str, Any] = {"name": variable}
    if instance is not None:
        var["instance"] = instance
    return {"component": comp, "variable": var}


async def get_variable(station: StationSession, component: str, variable: str,
                       instance: str | None = None) -> str:
    """Get one Actual value; fails the test when the station does not return it."""
    reply = await station.call("GetVariables", {"getVariableData": [
        variable_ref(component, variable, instance)]})
    result = reply["getVariableResult"][0]
    name = f"{component}.{variable}" + (f"[{instance}]" if instance else "")
    assert result["attributeStatus"] == "Accepted", (
        f"GetVariables {name}: expected Accepted, station answered {result['attributeStatus']}")
    return str(result.get("attributeValue", ""))


async def set_variable(station: StationSession, component: str, variable: str, value: str,
                       instance: str | None = None, *, expect: str | tuple[str, ...] = (
                           "Accepted", "RebootRequired")) -> str:
    """Set one Actual value and check the status (Accepted or RebootRequired by default)."""
    reply = await station.call("SetVariables", {"setVariableData": [
        {**variable_ref(component, variable, instance), "attributeValue": value}]})
    status = reply["setVariableResult"][0]["attributeStatus"]
    allowed = (expect,) if isinstance(expect, str) else expect
    name = f"{component}.{variable}" + (f"[{instance}]" if instance else "")
    assert status in allowed, (
        f"SetVariables {name}={value!r}: expected {' or '.join(allowed)}, station answered {status}")
    return str(status)


def id_token(bench: Bench, name: str = "valid") -> dict[str, str]:
    """The bench's id token called ``name`` (valid, valid2, invalid, blocked, expired)."""
    spec = bench.station.id_tokens[name]
    return {"idToken": spec.id_token, "type": spec.type}


def first_connector(bench: Bench) -> tuple[int, int]:
    evse = bench.station.evses[0]
    return evse.id, evse.connectors[0].id


async def start_charging(station: StationSession, operator: Any, bench: Bench, *,
                         evse: int | None = None, connector: int | None = None,
                         token: str = "valid") -> Message:
    """Plug in and badge a valid token; return the TransactionEvent Started.

    Works for any TxStartPoint: the transaction starts at plug-in or at authorization.
    """
    default_evse, default_connector = first_connector(bench)
    evse = default_evse if evse is None else evse
    connector = default_connector if connector is None else connector
    with step(f"start charging on EVSE {evse} connector {connector}"):
        await operator.plug_in(evse, connector)
        await operator.present_id_token(id_token(bench, token)["idToken"],
                                        id_token(bench, token)["type"], evse)
        started = await station.expect("TransactionEvent", {"eventType": "Started"})
        if started["transactionInfo"].get("chargingState") != "Charging":
            await station.expect("TransactionEvent", {
                "transactionInfo.transactionId": tx_id(started),
                "transactionInfo.chargingState": "Charging"}, consume=False)
        return started


def tx_id(message: Message) -> str:
    return str(message["transactionInfo"]["transactionId"])
