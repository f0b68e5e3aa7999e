"""OCTT 1.6, Core profile (Charge Point side): boot, charging sessions, remote control,
reset, configuration, data transfer; and the Remote Trigger profile's TriggerMessage.

Ids and titles are those of the OCTT 1.6 Charge Point list (``harness/catalog/
ocpp16_testcases.csv``); the OCTT step texts were not available, so each case follows the
OCPP 1.6 sections its catalogue row names.
"""

from __future__ import annotations

import pytest

from suites.ocpp16.support import (
    connector_ids,
    hands_of,
    id_tag,
    reboot_within,
    start_transaction,
)

pytestmark = pytest.mark.ocpp_version("1.6")

# OCPP 1.6 section 9.1: Core profile keys a charge point must report (required ones).
REQUIRED_CORE_KEYS = {
    "AuthorizeRemoteTxRequests", "ClockAlignedDataInterval", "ConnectionTimeOut",
    "ConnectorPhaseRotation", "GetConfigurationMaxKeys", "HeartbeatInterval",
    "LocalAuthorizeOffline", "LocalPreAuthorize", "MeterValuesAlignedData",
    "MeterValuesSampledData", "MeterValueSampleInterval", "NumberOfConnectors", "ResetRetries",
    "StopTransactionOnEVSideDisconnect", "StopTransactionOnInvalidId", "StopTxnAlignedData",
    "StopTxnSampledData", "SupportedFeatureProfiles", "TransactionMessageAttempts",
    "TransactionMessageRetryInterval", "UnlockConnectorOnEVSideDisconnect",
}


@pytest.mark.octt("TC_001_CS")
async def test_cold_boot(station, operator, bench):
    """Cold Boot Charge Point.

    After a power cycle the charge point sends BootNotification with the bench's vendor and
    model; once Accepted it reports StatusNotification Available (errorCode NoError) for
    connector 0 and every connector.
    """
    await operator.power_cycle()
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    for field, claimed in (("chargePointVendor", bench.station.vendor),
                           ("chargePointModel", bench.station.model)):
        if claimed:
            assert boot.get(field) == claimed, (
                f"BootNotification.{field}: the bench file says {claimed!r}, the charge point "
                f"sent {boot.get(field)!r}")
    for connector_id in [0, *connector_ids(bench)]:
        status = await station.expect("StatusNotification", {"connectorId": connector_id},
                                      since=boot.seq)
        assert (status["status"], status["errorCode"]) == ("Available", "NoError"), (
            f"connector {connector_id} after a cold boot of an idle charge point: expected "
            f"Available / NoError, got {status['status']} / {status['errorCode']}")


@pytest.mark.octt("TC_003_CS")
async def test_regular_session_plugin_first(station, operator, bench):
    """Regular Charging Session - Plugin First.

    Cable in: Preparing. Badge: Authorize, StartTransaction with the idTag, Charging. The same
    badge again: StopTransaction (reason Local, the transactionId the CSMS assigned),
    Finishing; cable out: Available.
    """
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench)
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    await operator.present_id_token(tag)
    await station.expect("Authorize", {"idTag": tag})
    start, tx_id = await start_transaction(station, 1)
    assert start["idTag"] == tag
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})
    await operator.present_id_token(tag)
    stop = await station.expect("StopTransaction", {"transactionId": tx_id})
    assert stop.get("reason", "Local") == "Local", f"stopped by its idTag: reason {stop.get('reason')!r}"
    assert stop["meterStop"] >= start["meterStart"], "meterStop below meterStart"
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Finishing"})
    await operator.unplug(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Available"})


@pytest.mark.octt("TC_004_1_CS")
async def test_regular_session_identification_first(station, operator, bench):
    """Regular Charging Session - Identification First.

    Badge first: Authorize, Preparing; cable in: StartTransaction, Charging. Cable out with
    StopTransactionOnEVSideDisconnect true: StopTransaction reason EVDisconnected, Available.
    """
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench)
    await operator.present_id_token(tag, evse=evse)
    await station.expect("Authorize", {"idTag": tag})
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    await operator.plug_in(evse, connector)
    _, tx_id = await start_transaction(station, 1)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})
    await operator.unplug(evse, connector)
    stop = await station.expect("StopTransaction", {"transactionId": tx_id})
    assert stop["reason"] == "EVDisconnected"
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Available"})


@pytest.mark.octt("TC_010_CS")
async def test_remote_start_cable_first(station, operator, bench):
    """Remote Start Charging Session - Cable Plugged in First.

    Cable in: Preparing. RemoteStartTransaction for connector 1: Accepted; with
    AuthorizeRemoteTxRequests true an Authorize; StartTransaction with the idTag, Charging.
    """
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench)
    await operator.plug_in(evse, connector)
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Preparing"})
    reply = await station.call("RemoteStartTransaction", {"connectorId": 1, "idTag": tag})
    assert reply["status"] == "Accepted"
    keys = await station.call("GetConfiguration", {"key": ["AuthorizeRemoteTxRequests"]})
    if keys["configurationKey"][0]["value"] == "true":
        await station.expect("Authorize", {"idTag": tag})
    start, _ = await start_transaction(station, 1)
    assert start["idTag"] == tag
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Charging"})


@pytest.mark.octt("TC_012_CS")
async def test_remote_stop(station, operator, bench):
    """Remote Stop Charging Session.

    A transaction is running; RemoteStopTransaction with its transactionId: Accepted,
    StopTransaction reason Remote, Finishing.
    """
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(id_tag(bench), evse=evse)
    _, tx_id = await start_transaction(station, 1)
    reply = await station.call("RemoteStopTransaction", {"transactionId": tx_id})
    assert reply["status"] == "Accepted"
    stop = await station.expect("StopTransaction", {"transactionId": tx_id})
    assert stop["reason"] == "Remote"
    await station.expect("StatusNotification", {"connectorId": 1, "status": "Finishing"})


@pytest.mark.octt("TC_013_CS")
async def test_hard_reset_without_transaction(station, bench):
    """Hard Reset Without Transaction.

    Reset Hard: Accepted; the charge point reboots: BootNotification, then every connector
    Available.
    """
    reply = await station.call("Reset", {"type": "Hard"})
    assert reply["status"] == "Accepted"
    boot = await station.expect("BootNotification", within=reboot_within(bench))
    for connector_id in connector_ids(bench):
        await station.expect("StatusNotification", {"connectorId": connector_id, "status": "Available"},
                             since=boot.seq)


@pytest.mark.octt("TC_015_CS")
async def test_hard_reset_with_transaction(station, operator, bench):
    """Hard Reset With Transaction.

    A transaction is running; Reset Hard: Accepted, StopTransaction reason HardReset, then
    BootNotification.
    """
    evse, connector = hands_of(bench, 1)
    await operator.plug_in(evse, connector)
    await operator.present_id_token(id_tag(bench), evse=evse)
    _, tx_id = await start_transaction(station, 1)
    reply = await station.call("Reset", {"type": "Hard"})
    assert reply["status"] == "Accepted"
    stop = await station.expect("StopTransaction", {"transactionId": tx_id}, within=reboot_within(bench))
    assert stop["reason"] == "HardReset"
    await station.expect("BootNotification", within=reboot_within(bench))


@pytest.mark.octt("TC_019_CS")
async def test_retrieve_configuration(station):
    """Retrieve Configuration.

    GetConfiguration without keys: every required Core key of section 9.1, each with a value,
    no unknownKey. GetConfiguration of SupportedFeatureProfiles: that key only, naming Core.
    """
    reply = await station.call("GetConfiguration", {})
    got = {k["key"]: k for k in reply.get("configurationKey", [])}
    missing = REQUIRED_CORE_KEYS - set(got)
    assert not missing, f"GetConfiguration.conf lacks required Core keys: {sorted(missing)}"
    assert not reply.get("unknownKey"), "unknownKey in a GetConfiguration without keys"
    reply = await station.call("GetConfiguration", {"key": ["SupportedFeatureProfiles"]})
    keys = reply.get("configurationKey", [])
    assert [k["key"] for k in keys] == ["SupportedFeatureProfiles"], (
        f"GetConfiguration of SupportedFeatureProfiles answered keys {[k['key'] for k in keys]}")
    assert "Core" in keys[0].get("value", "").split(","), (
        f"SupportedFeatureProfiles {keys[0].get('value')!r} does not name Core")


@pytest.mark.octt("TC_021_CS")
async def test_change_configuration(station):
    """Change/Set Configuration.

    ChangeConfiguration MeterValueSampleInterval: Accepted, and GetConfiguration then reports
    the new value. (The value is restored after the test.)
    """
    before = await station.call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
    new = str(int(before["configurationKey"][0]["value"]) + 7)
    reply = await station.call("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": new})
    assert reply["status"] == "Accepted"
    after = await station.call("GetConfiguration", {"key": ["MeterValueSampleInterval"]})
    assert after["configurationKey"][0]["value"] == new


@pytest.mark.octt("TC_023_4_CS")
async def test_authorize_invalid(station, operator, bench):
    """Start Charging Session - Authorize Invalid.

    Cable in, an invalid badge: Authorize answered Invalid; no StartTransaction follows and
    the connector does not charge.
    """
    evse, connector = hands_of(bench, 1)
    tag = id_tag(bench, "invalid")
    await operator.plug_in(evse, connector)
    await operator.present_id_token(tag, evse=evse)
    await station.expect("Authorize", {"idTag": tag})
    await station.expect_none("StartTransaction", within=bench.csms.quiet_period)
    await station.expect_none("StatusNotification", {"status": "Charging"}, within=0)


@pytest.mark.octt("TC_031_CS")
async def test_unlock_unknown_connector(station, bench):
    """Unlock Connector - Unknown Connector.

    UnlockConnector for a connectorId the charge point does not have: NotSupported.
    """
    reply = await station.call("UnlockConnector", {"connectorId": len(connector_ids(bench)) + 1})
    assert reply["status"] == "NotSupported"


@pytest.mark.octt("TC_062_CS")
async def test_data_transfer_to_charge_point(station):
    """Data Transfer to a Charge Point.

    DataTransfer with a vendorId the charge point does not know: a DataTransfer.conf with
    status UnknownVendorId (never a CALLERROR).
    """
    reply = await station.call("DataTransfer", {"vendorId": "org.example.unknown", "messageId": "x"})
    assert reply["status"] in ("UnknownVendorId", "UnknownMessageId", "Rejected")


@pytest.mark.octt("TC_054_CS")
async def test_trigger_message(station, bench):
    """Trigger Message.

    TriggerMessage StatusNotification for connector 1: Accepted, then that StatusNotification;
    Heartbeat: Accepted, then a Heartbeat; MeterValues for each connector: Accepted, then a
    MeterValues of that connector with at least one sampled value (1.6 section 5.17).
    """
    reply = await station.call("TriggerMessage", {"requestedMessage": "StatusNotification",
                                                  "connectorId": 1})
    assert reply["status"] == "Accepted"
    await station.expect("StatusNotification", {"connectorId": 1})
    reply = await station.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
    assert reply["status"] == "Accepted"
    await station.expect("Heartbeat")
    for connector_id in connector_ids(bench):
        reply = await station.call("TriggerMessage", {"requestedMessage": "MeterValues",
                                                      "connectorId": connector_id})
        assert reply["status"] == "Accepted", (
            f"TriggerMessage MeterValues for connector {connector_id}: expected Accepted, the "
            f"charge point answered {reply['status']}")
        values = await station.expect("MeterValues", {"connectorId": connector_id},
                                      since=reply.seq)
        sampled = [sv for mv in values["meterValue"] for sv in mv.get("sampledValue", [])]
        assert sampled, f"triggered MeterValues for connector {connector_id} carries no value"
