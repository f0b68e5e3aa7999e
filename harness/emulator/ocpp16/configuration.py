"""OCPP 1.6 configuration keys (section 9) as views of the station's device model.

A 1.6 key that has a 2.0.1 variable (OCPP 2.0.1 Part 0 migration table, and the variable
that drives the same behaviour in the shared station) reads and writes that variable, so a
ChangeConfiguration of HeartbeatInterval changes the heartbeat the shared timers send. Keys
without a 2.0.1 counterpart are kept here with their 1.6 defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation

# 1.6 key -> (component, variable, instance) of the device model.
MAPPED: dict[str, tuple[str, str, str | None]] = {
    "HeartbeatInterval": ("OCPPCommCtrlr", "HeartbeatInterval", None),
    "ConnectionTimeOut": ("TxCtrlr", "EVConnectionTimeOut", None),
    "ResetRetries": ("OCPPCommCtrlr", "ResetRetries", None),
    "WebSocketPingInterval": ("OCPPCommCtrlr", "WebSocketPingInterval", None),
    "TransactionMessageAttempts": ("OCPPCommCtrlr", "MessageAttempts", "TransactionEvent"),
    "TransactionMessageRetryInterval": ("OCPPCommCtrlr", "MessageAttemptInterval", "TransactionEvent"),
    "MeterValueSampleInterval": ("SampledDataCtrlr", "TxUpdatedInterval", None),
    "MeterValuesSampledData": ("SampledDataCtrlr", "TxUpdatedMeasurands", None),
    "StopTxnSampledData": ("SampledDataCtrlr", "TxEndedMeasurands", None),
    "ClockAlignedDataInterval": ("AlignedDataCtrlr", "Interval", None),
    "MeterValuesAlignedData": ("AlignedDataCtrlr", "Measurands", None),
    "StopTxnAlignedData": ("AlignedDataCtrlr", "TxEndedMeasurands", None),
    "StopTransactionOnEVSideDisconnect": ("TxCtrlr", "StopTxOnEVSideDisconnect", None),
    "StopTransactionOnInvalidId": ("TxCtrlr", "StopTxOnInvalidId", None),
    "AuthorizeRemoteTxRequests": ("AuthCtrlr", "AuthorizeRemoteStart", None),
    "LocalAuthorizeOffline": ("AuthCtrlr", "LocalAuthorizeOffline", None),
    "LocalPreAuthorize": ("AuthCtrlr", "LocalPreAuthorize", None),
    "AuthorizationCacheEnabled": ("AuthCacheCtrlr", "Enabled", None),
}

# 1.6 keys kept by the adapter: key -> (value, read-only). Core profile keys of section 9.1
# the shared station has no variable for.
GET_CONFIGURATION_MAX_KEYS = 64


def _local_defaults() -> dict[str, tuple[str, bool]]:
    return {
        "ConnectorPhaseRotation": ("NotApplicable", False),
        "GetConfigurationMaxKeys": (str(GET_CONFIGURATION_MAX_KEYS), True),
        "UnlockConnectorOnEVSideDisconnect": ("true", False),
        "SupportedFeatureProfiles": (
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
            True),
    }


@dataclass
class Configuration16:
    """The 1.6 key set of one emulated charge point (local keys survive reboots)."""

    local: dict[str, tuple[str, bool]] = field(default_factory=_local_defaults)

    def keys(self, station: EmulatedStation) -> list[str]:
        return [*(k for k in MAPPED if self._variable(station, k) is not None),
                "NumberOfConnectors", *self.local]

    @staticmethod
    def _variable(station: EmulatedStation, key: str) -> Any:
        component, name, instance = MAPPED[key]
        variable = {"name": name, **({"instance": instance} if instance else {})}
        return station.dm.find({"name": component}, variable)[1]

    def read(self, station: EmulatedStation, key: str) -> dict[str, Any] | None:
        """The ConfigurationKey entry of GetConfiguration.conf, None for an unknown key."""
        if key in MAPPED:
            var = self._variable(station, key)
            if var is None:
                return None
            return {"key": key, "readonly": var.mutability == "ReadOnly", "value": var.value}
        if key == "NumberOfConnectors":
            return {"key": key, "readonly": True,
                    "value": str(sum(len(e.connectors) for e in station.evses.values()))}
        if key in self.local:
            value, readonly = self.local[key]
            return {"key": key, "readonly": readonly, "value": value}
        return None

    async def change(self, station: EmulatedStation, key: str, value: str) -> str:
        """ChangeConfiguration.conf status: the shared SetVariables validates mapped keys."""
        from harness.emulator.handlers import HANDLERS

        if key in MAPPED and self._variable(station, key) is not None:
            component, name, instance = MAPPED[key]
            result = await HANDLERS["SetVariables"](station, {"setVariableData": [{
                "component": {"name": component},
                "variable": {"name": name, **({"instance": instance} if instance else {})},
                "attributeValue": value}]})
            payload = result[0] if isinstance(result, tuple) else result
            status = payload["setVariableResult"][0]["attributeStatus"]
            return status if status in ("Accepted", "Rejected", "RebootRequired") else "NotSupported"
        if key == "NumberOfConnectors":
            return "Rejected"
        if key in self.local:
            old, readonly = self.local[key]
            if readonly:
                return "Rejected"
            if old in ("true", "false") and value not in ("true", "false"):
                return "Rejected"
            self.local[key] = (value, readonly)
            return "Accepted"
        return "NotSupported"
