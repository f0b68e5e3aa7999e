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
    # Smart Charging profile (section 9.4)
    "ChargeProfileMaxStackLevel": ("SmartChargingCtrlr", "ProfileStackLevel", None),
    "ChargingScheduleAllowedChargingRateUnit": ("SmartChargingCtrlr", "RateUnit", None),
    "ChargingScheduleMaxPeriods": ("SmartChargingCtrlr", "PeriodsPerSchedule", None),
    # Security Whitepaper ed. 2, section 7 (changes of the first two: handlers/security.py)
    "AuthorizationKey": ("SecurityCtrlr", "BasicAuthPassword", None),  # write-only
    "SecurityProfile": ("SecurityCtrlr", "SecurityProfile", None),
    "CpoName": ("SecurityCtrlr", "OrganizationName", None),
    # Local Auth List Management (section 9.2; LocalAuthListMaxLength is kept below) and
    # Reservation (9.3) profiles
    "LocalAuthListEnabled": ("LocalAuthListCtrlr", "Enabled", None),
    "SendLocalListMaxLength": ("LocalAuthListCtrlr", "ItemsPerMessage", None),
    "ReserveConnectorZeroSupported": ("ReservationCtrlr", "NonEvseSpecific", None),
}
# Mapped keys 1.6 makes read-only although their 2.0.1 variable is ReadWrite (section 9.3:
# ReserveConnectorZeroSupported says what the charge point can, set by its feature sheet).
READONLY_16 = frozenset({"ReserveConnectorZeroSupported"})
# Mapped keys a ChangeConfiguration may change although their 2.0.1 variable is ReadOnly there
# (2.0.1 changes the security profile with SetNetworkProfile; 1.6 with this key).
WRITABLE_16 = frozenset({"SecurityProfile"})
# A mapped key whose 1.6 values are other words than its variable's: key -> {2.0.1: 1.6}.
VALUE_WORDS: dict[str, dict[str, str]] = {
    "ChargingScheduleAllowedChargingRateUnit": {"A": "Current", "W": "Power"},
}

# 1.6 keys kept by the adapter: key -> (value, read-only). Core profile keys of section 9.1
# the shared station has no variable for.
GET_CONFIGURATION_MAX_KEYS = 64
MAX_CHARGING_PROFILES_INSTALLED = 24  # Smart Charging, section 9.4
# Local Auth List Management, section 9.2: the entries the list can hold. (2.0.1 has it as
# the maxLimit of LocalAuthListCtrlr.Entries, a characteristic the device model leaves out.)
LOCAL_AUTH_LIST_MAX_LENGTH = 100


def _local_defaults() -> dict[str, tuple[str, bool]]:
    return {
        "ConnectorPhaseRotation": ("NotApplicable", False),
        "GetConfigurationMaxKeys": (str(GET_CONFIGURATION_MAX_KEYS), True),
        "MaxChargingProfilesInstalled": (str(MAX_CHARGING_PROFILES_INSTALLED), True),
        "UnlockConnectorOnEVSideDisconnect": ("true", False),
        "AllowOfflineTxForUnknownId": ("false", False),  # 9.1.1; read by offline.py
        # 9.2 Firmware Management: what harness.emulator.transfer fetches and uploads with
        "SupportedFileTransferProtocols": ("FTP,HTTP,HTTPS", True),
        # Security Whitepaper ed. 2, section 7 (the limits of the emulated certificate store)
        "AdditionalRootCertificateCheck": ("false", True),
        "CertificateSignedMaxChainSize": ("10000", True),
        "CertificateStoreMaxLength": ("20", True),
        "LocalAuthListMaxLength": (str(LOCAL_AUTH_LIST_MAX_LENGTH), True),
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
            words = VALUE_WORDS.get(key, {})
            value = ",".join(words.get(v, v) for v in var.value.split(",")) if words else var.value
            entry = {"key": key, "readonly": (var.mutability == "ReadOnly" or key in READONLY_16)
                     and key not in WRITABLE_16,
                     "value": value}
            if var.mutability == "WriteOnly" and "authorization_key_readable_16" not in station.quirks:
                del entry["value"]  # AuthorizationKey: listed, never revealed (write-only key)
            return entry
        if key == "NumberOfConnectors":
            return {"key": key, "readonly": True,
                    "value": str(sum(len(e.connectors) for e in station.evses.values()))}
        if key in self.local:
            value, readonly = self.local[key]
            return {"key": key, "readonly": readonly, "value": value}
        return None

    def built_as(self, station: EmulatedStation, profiles: tuple[str, ...],
                 features: tuple[str, ...]) -> None:
        """The charge point its bench's feature sheet describes: SupportedFeatureProfiles are
        the sheet's 1.6 profiles (all when it names none); without Local Auth List Management
        there is no list (LocalAuthListEnabled false); ReserveConnectorZeroSupported as
        claimed; a sheet claiming ReservationsDisabled is configured to reject reservations
        (section 5.13)."""
        words = [p.replace(" ", "") for p in profiles]
        if words:
            known = self.local["SupportedFeatureProfiles"][0].split(",")
            self.local["SupportedFeatureProfiles"] = (
                ",".join(w for w in known if w in words or w == "Core"), True)
            if "LocalAuthListManagement" not in words:
                station.dm.put("LocalAuthListCtrlr", "Enabled", "false")
        station.dm.put("ReservationCtrlr", "NonEvseSpecific",
                       "true" if "ReserveConnectorZeroSupported" in features else "false")
        if "ReservationsDisabled" in features:
            station.dm.put("ReservationCtrlr", "Enabled", "false")

    async def change(self, station: EmulatedStation, key: str, value: str) -> str:
        """ChangeConfiguration.conf status: the shared SetVariables validates mapped keys."""
        from harness.emulator.handlers import HANDLERS

        if key in READONLY_16:
            return "Rejected"
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
