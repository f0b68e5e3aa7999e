import pytest


@pytest.mark.octt("TC_B_06_CS")
async def test_get_variables_single(station):
    reply = await station.call("GetVariables", {"getVariableData": [
        {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}]})
    assert reply["getVariableResult"][0]["attributeStatus"] == "Accepted"


@pytest.mark.octt("TC_B_01_CS")
async def test_cold_boot(station, operator):
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=5)
    assert boot["reason"] == "PowerUp"
    await station.expect("StatusNotification", within=5)

