"""The emulated station's device model: components, variables, attributes (OCPP 2.0.1 Part 2, B).

Values are kept as strings, as on the wire; each variable knows its data type, mutability
and limits, so Set/GetVariables answer as a conformant station does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MEASURANDS = (
    "Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC",
    "Current.Offered", "Power.Offered", "Energy.Active.Import.Interval", "Temperature",
)


@dataclass
class Variable:
    component: str
    name: str
    data_type: str  # string, decimal, integer, dateTime, boolean, OptionList, SequenceList, MemberList
    value: str = ""
    mutability: str = "ReadWrite"  # ReadOnly, ReadWrite, WriteOnly
    evse: int | None = None
    connector: int | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    values_list: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    unit: str | None = None
    persistent: bool = True
    attributes: tuple[str, ...] = ("Actual",)
    on_set: Callable[[str], None] | None = field(default=None, repr=False, compare=False)
    reboot_required: bool = False

    def key(self) -> tuple[str, str | None, int | None, int | None, str, str | None]:
        return (self.component, self.component_instance, self.evse, self.connector, self.name,
                self.variable_instance)

    def validate(self, value: str) -> str | None:
        """Return why ``value`` is not acceptable, or None."""
        t = self.data_type
        if self.max_length is not None and len(value) > self.max_length:
            return f"longer than {self.max_length}"
        if t in ("integer", "decimal"):
            try:
                number = int(value) if t == "integer" else float(value)
            except ValueError:
                return f"not a valid {t}"
            if self.min is not None and number < self.min:
                return f"below minimum {self.min:g}"
            if self.max is not None and number > self.max:
                return f"above maximum {self.max:g}"
        elif t == "boolean":
            if value not in ("true", "false"):
                return "not a boolean (true/false)"
        elif t == "dateTime":
            try:
                datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return "not an RFC 3339 date-time"
        elif t == "OptionList":
            if value not in self.values_list:
                return f"not one of {','.join(self.values_list)}"
        elif t in ("MemberList", "SequenceList"):
            members = [v for v in value.split(",") if v] if value else []
            bad = [m for m in members if self.values_list and m not in self.values_list]
            if bad:
                return f"unknown members {bad}"
            if t == "SequenceList" and len(set(members)) != len(members):
                return "duplicate members"
        elif t == "string" and self.min is not None and len(value) < self.min:
            return f"shorter than {self.min:g}"
        return None

    def characteristics(self) -> dict[str, Any]:
        monitorable = (self.component, self.name) != ("ClockCtrlr", "DateTime")
        c: dict[str, Any] = {"dataType": self.data_type, "supportsMonitoring": monitorable}
        if self.unit:
            c["unit"] = self.unit
        if self.max is not None:
            c["maxLimit"] = self.max
        if self.min is not None and self.data_type in ("integer", "decimal"):
            c["minLimit"] = self.min
        if self.values_list:
            c["valuesList"] = ",".join(self.values_list)
        return c

    def component_json(self) -> dict[str, Any]:
        comp: dict[str, Any] = {"name": self.component}
        if self.component_instance:
            comp["instance"] = self.component_instance
        if self.evse is not None:
            comp["evse"] = {"id": self.evse}
            if self.connector is not None:
                comp["evse"]["connectorId"] = self.connector
        return comp

    def variable_json(self) -> dict[str, Any]:
        var: dict[str, Any] = {"name": self.name}
        if self.variable_instance:
            var["instance"] = self.variable_instance
        return var


class DeviceModel:
    """All variables, addressable the way Get/SetVariables address them."""

    def __init__(self) -> None:
        self._vars: dict[tuple[Any, ...], Variable] = {}

    def add(self, var: Variable) -> Variable:
        self._vars[var.key()] = var
        return var

    def __iter__(self) -> Iterator[Variable]:
        return iter(self._vars.values())

    def components(self) -> set[str]:
        return {v.component for v in self}

    def find(self, component: dict[str, Any], variable: dict[str, Any]) -> tuple[str, Variable | None]:
        """Look a variable up; the status says what is unknown (B06.FR.*)."""
        evse = component.get("evse") or {}
        cands = [v for v in self if v.component == component.get("name")
                 and v.component_instance == component.get("instance")
                 and v.evse == evse.get("id") and v.connector == evse.get("connectorId")]
        if not cands:
            return "UnknownComponent", None
        for v in cands:
            if v.name == variable.get("name") and v.variable_instance == variable.get("instance"):
                return "Accepted", v
        return "UnknownVariable", None

    def get(self, component: str, name: str, instance: str | None = None,
            evse: int | None = None) -> str:
        for v in self:
            if (v.component, v.name, v.variable_instance, v.evse) == (component, name, instance, evse):
                return v.value
        raise KeyError(f"{component}.{name}" + (f"[{instance}]" if instance else ""))

    def get_int(self, component: str, name: str, instance: str | None = None) -> int:
        return int(float(self.get(component, name, instance)))

    def get_bool(self, component: str, name: str, instance: str | None = None) -> bool:
        return self.get(component, name, instance) == "true"

    def get_list(self, component: str, name: str, instance: str | None = None) -> list[str]:
        return [m for m in self.get(component, name, instance).split(",") if m]

    def put(self, component: str, name: str, value: str, instance: str | None = None,
            evse: int | None = None) -> None:
        """Set a value from inside the station (no mutability check)."""
        for v in self:
            if (v.component, v.name, v.variable_instance, v.evse) == (component, name, instance, evse):
                v.value = value
                return
        raise KeyError(f"{component}.{name}")

    def snapshot(self) -> dict[tuple[Any, ...], str]:
        return {k: v.value for k, v in self._vars.items() if v.persistent}

    def restore(self, snap: dict[tuple[Any, ...], str]) -> None:
        for k, value in snap.items():
            if k in self._vars:
                self._vars[k].value = value


def core_device_model(
    *, station_id: str, vendor: str, model: str, serial: str, firmware: str,
    evses: dict[int, list[tuple[int, str]]], password: str, security_profile: int,
    heartbeat_interval: int, tx_start_points: list[str], tx_stop_points: list[str],
) -> DeviceModel:
    """The Core controller components and their variables, as a DC charger ships them."""
    dm = DeviceModel()
    tx_points = ("ParkingBayOccupancy", "EVConnected", "Authorized", "DataSigned",
                 "PowerPathClosed", "EnergyTransfer")
    measurands = MEASURANDS

    def v(component: str, name: str, data_type: str, value: str, **kw: Any) -> Variable:
        return dm.add(Variable(component, name, data_type, value, **kw))

    # OCPPCommCtrlr
    v("OCPPCommCtrlr", "HeartbeatInterval", "integer", str(heartbeat_interval), min=1, max=86400,
      unit="s")
    v("OCPPCommCtrlr", "MessageTimeout", "integer", "30", variable_instance="Default", min=1,
      max=600, unit="s")
    v("OCPPCommCtrlr", "MessageAttempts", "integer", "3", variable_instance="TransactionEvent",
      min=0, max=10)
    v("OCPPCommCtrlr", "MessageAttemptInterval", "integer", "10",
      variable_instance="TransactionEvent", min=0, max=3600, unit="s")
    v("OCPPCommCtrlr", "NetworkConfigurationPriority", "SequenceList", "0",
      values_list=tuple(str(i) for i in range(8)))
    v("OCPPCommCtrlr", "NetworkProfileConnectionAttempts", "integer", "3", min=1, max=100)
    v("OCPPCommCtrlr", "OfflineThreshold", "integer", "60", min=0, max=86400, unit="s")
    v("OCPPCommCtrlr", "ResetRetries", "integer", "2", min=0, max=10)
    v("OCPPCommCtrlr", "UnlockOnEVSideDisconnect", "boolean", "true")
    v("OCPPCommCtrlr", "FileTransferProtocols", "MemberList", "HTTP,HTTPS",
      mutability="ReadOnly", values_list=("FTP", "FTPS", "HTTP", "HTTPS", "SFTP"))
    v("OCPPCommCtrlr", "RetryBackOffRandomRange", "integer", "1", min=0, max=3600, unit="s")
    v("OCPPCommCtrlr", "RetryBackOffRepeatTimes", "integer", "3", min=0, max=100)
    v("OCPPCommCtrlr", "RetryBackOffWaitMinimum", "integer", "1", min=0, max=3600, unit="s")
    v("OCPPCommCtrlr", "WebSocketPingInterval", "integer", "30", min=0, max=3600, unit="s")
    # Required since the 2025-01 errata; the slot of the connection in use (set on connect).
    v("OCPPCommCtrlr", "ActiveNetworkProfile", "integer", "0", mutability="ReadOnly",
      persistent=False)
    # DeviceDataCtrlr
    for inst, value in (("GetReport", "20"), ("GetVariables", "20"), ("SetVariables", "20")):
        v("DeviceDataCtrlr", "ItemsPerMessage", "integer", value, variable_instance=inst,
          mutability="ReadOnly")
        v("DeviceDataCtrlr", "BytesPerMessage", "integer", "65000", variable_instance=inst,
          mutability="ReadOnly")
    # ClockCtrlr
    v("ClockCtrlr", "DateTime", "dateTime", "", mutability="ReadOnly", persistent=False)
    v("ClockCtrlr", "TimeSource", "SequenceList", "Heartbeat",
      values_list=("Heartbeat", "NTP", "GPS", "RealTimeClock", "MobileNetwork", "RadioTimeTransmitter"))
    # SecurityCtrlr
    v("SecurityCtrlr", "SecurityProfile", "integer", str(security_profile), mutability="ReadOnly")
    v("SecurityCtrlr", "Identity", "string", station_id, mutability="ReadOnly", max_length=48)
    v("SecurityCtrlr", "BasicAuthPassword", "string", password, mutability="WriteOnly",
      min=16, max_length=40)
    v("SecurityCtrlr", "OrganizationName", "string", "Emulated Charging Co", max_length=50)
    v("SecurityCtrlr", "CertificateEntries", "integer", "0", mutability="ReadOnly")
    # M05.FR.09..14: a new CSMS root must be signed by the one it replaces (emulator option
    # additional_root_certificate_check)
    v("SecurityCtrlr", "AdditionalRootCertificateCheck", "boolean", "false", mutability="ReadOnly")
    # TxCtrlr
    v("TxCtrlr", "EVConnectionTimeOut", "integer", "60", min=1, max=3600, unit="s")
    v("TxCtrlr", "StopTxOnEVSideDisconnect", "boolean", "true")
    v("TxCtrlr", "StopTxOnInvalidId", "boolean", "true")
    v("TxCtrlr", "MaxEnergyOnInvalidId", "integer", "0", min=0, unit="Wh")  # C-03
    v("TxCtrlr", "TxStartPoint", "MemberList", ",".join(tx_start_points), values_list=tx_points)
    v("TxCtrlr", "TxStopPoint", "MemberList", ",".join(tx_stop_points), values_list=tx_points)
    # SampledDataCtrlr
    v("SampledDataCtrlr", "Enabled", "boolean", "true")
    v("SampledDataCtrlr", "TxStartedMeasurands", "MemberList", "Energy.Active.Import.Register",
      values_list=measurands)
    v("SampledDataCtrlr", "TxUpdatedMeasurands", "MemberList",
      "Energy.Active.Import.Register,Power.Active.Import", values_list=measurands)
    v("SampledDataCtrlr", "TxUpdatedInterval", "integer", "60", min=0, max=86400, unit="s")
    v("SampledDataCtrlr", "TxEndedMeasurands", "MemberList", "Energy.Active.Import.Register",
      values_list=measurands)
    v("SampledDataCtrlr", "TxEndedInterval", "integer", "0", min=0, max=86400, unit="s")
    v("SampledDataCtrlr", "SignReadings", "boolean", "true")  # J02.FR.21 (signed meter values)
    # AlignedDataCtrlr
    v("AlignedDataCtrlr", "Enabled", "boolean", "true")
    v("AlignedDataCtrlr", "Measurands", "MemberList", "Energy.Active.Import.Register",
      values_list=measurands)
    v("AlignedDataCtrlr", "Interval", "integer", "0", min=0, max=86400, unit="s")
    v("AlignedDataCtrlr", "TxEndedMeasurands", "MemberList", "Energy.Active.Import.Register",
      values_list=measurands)
    v("AlignedDataCtrlr", "TxEndedInterval", "integer", "0", min=0, max=86400, unit="s")
    v("AlignedDataCtrlr", "SendDuringIdle", "boolean", "true")
    v("AlignedDataCtrlr", "SignReadings", "boolean", "true")  # J01.FR.21 (signed meter values)
    # AuthCtrlr / AuthCacheCtrlr
    v("AuthCtrlr", "Enabled", "boolean", "true")
    v("AuthCtrlr", "AuthorizeRemoteStart", "boolean", "true")
    v("AuthCtrlr", "LocalAuthorizeOffline", "boolean", "true")
    v("AuthCtrlr", "LocalPreAuthorize", "boolean", "false")
    v("AuthCtrlr", "MasterPassGroupId", "string", "")  # C16; empty: no Master Pass
    v("AuthCtrlr", "OfflineTxForUnknownIdEnabled", "boolean", "false")  # C15, OCTT C-02
    v("AuthCtrlr", "DisableRemoteAuthorization", "boolean", "false")  # OCTT C-58
    v("AuthCacheCtrlr", "Enabled", "boolean", "true")
    v("AuthCacheCtrlr", "LifeTime", "integer", "86400", min=0, max=31536000, unit="s")
    v("AuthCacheCtrlr", "DisablePostAuthorize", "boolean", "false")  # C-59
    # LocalAuthListCtrlr (D01, D02, C13, C14)
    v("LocalAuthListCtrlr", "Enabled", "boolean", "true")
    v("LocalAuthListCtrlr", "Entries", "integer", "0", mutability="ReadOnly")
    v("LocalAuthListCtrlr", "ItemsPerMessage", "integer", "50", mutability="ReadOnly")
    v("LocalAuthListCtrlr", "BytesPerMessage", "integer", "16000", mutability="ReadOnly")
    v("LocalAuthListCtrlr", "Storage", "integer", "1000000", mutability="ReadOnly", unit="B")
    v("LocalAuthListCtrlr", "DisablePostAuthorize", "boolean", "false")
    v("CustomizationCtrlr", "CustomImplementationEnabled", "boolean", "false",
      variable_instance="org.emulated")
    # ReservationCtrlr (H01)
    v("ReservationCtrlr", "Enabled", "boolean", "true")
    v("ReservationCtrlr", "Available", "boolean", "true", mutability="ReadOnly")
    v("ReservationCtrlr", "NonEvseSpecific", "boolean", "true")
    # ISO15118Ctrlr (ISO 15118 Support: Plug & Charge C07, A03, M01/M02, M06; plug_and_charge.py)
    v("ISO15118Ctrlr", "PnCEnabled", "boolean", "true")
    v("ISO15118Ctrlr", "ContractValidationOffline", "boolean", "true")
    v("ISO15118Ctrlr", "CentralContractValidationAllowed", "boolean", "true")
    v("ISO15118Ctrlr", "V2GCertificateInstallationEnabled", "boolean", "true")
    v("ISO15118Ctrlr", "ContractCertificateInstallationEnabled", "boolean", "true")
    v("ISO15118Ctrlr", "SeccId", "string", f"{station_id}-SECC", max_length=64)
    v("ISO15118Ctrlr", "CountryName", "string", "DE", max_length=2)
    v("ISO15118Ctrlr", "OrganizationName", "string", "Harness Test CPO", max_length=64)
    # MonitoringCtrlr (N02 to N08, Advanced Device Management); the monitor store keeps the
    # Active* values current. ServicePin: a WriteOnly variable monitors can watch (N07.FR.10).
    v("MonitoringCtrlr", "Enabled", "boolean", "true")
    v("MonitoringCtrlr", "Available", "boolean", "true", mutability="ReadOnly")
    for inst in ("ClearVariableMonitoring", "SetVariableMonitoring"):
        v("MonitoringCtrlr", "ItemsPerMessage", "integer", "20", variable_instance=inst,
          mutability="ReadOnly")
        v("MonitoringCtrlr", "BytesPerMessage", "integer", "65000", variable_instance=inst,
          mutability="ReadOnly")
    v("MonitoringCtrlr", "OfflineQueuingSeverity", "integer", "2", min=0, max=9)
    v("MonitoringCtrlr", "ActiveMonitoringBase", "OptionList", "All", mutability="ReadOnly",
      values_list=("All", "FactoryDefault", "HardWiredOnly"), persistent=False)
    v("MonitoringCtrlr", "ActiveMonitoringLevel", "integer", "9", mutability="ReadOnly", min=0,
      max=9, persistent=False)
    v("CustomizationCtrlr", "ServicePin", "string", "0000", mutability="WriteOnly",
      variable_instance="org.emulated", max_length=16)
    # DisplayMessageCtrlr (O01 to O06, Advanced User Interface)
    v("DisplayMessageCtrlr", "Enabled", "boolean", "true")
    v("DisplayMessageCtrlr", "Available", "boolean", "true", mutability="ReadOnly")
    v("DisplayMessageCtrlr", "DisplayMessages", "integer", "0", mutability="ReadOnly", max=20)
    v("DisplayMessageCtrlr", "SupportedFormats", "MemberList", "ASCII,HTML,URI,UTF8",
      mutability="ReadOnly", values_list=("ASCII", "HTML", "URI", "UTF8"))
    v("DisplayMessageCtrlr", "SupportedPriorities", "MemberList", "AlwaysFront,InFront,NormalCycle",
      mutability="ReadOnly", values_list=("AlwaysFront", "InFront", "NormalCycle"))
    # SecurityCtrlr certificate signing (A02, A03; Advanced Security)
    v("SecurityCtrlr", "CertSigningWaitMinimum", "integer", "30", min=1, max=86400, unit="s")
    v("SecurityCtrlr", "CertSigningRepeatTimes", "integer", "3", min=0, max=100)
    # SmartChargingCtrlr (K01, K08, K09, K10)
    v("SmartChargingCtrlr", "Enabled", "boolean", "true")
    v("SmartChargingCtrlr", "Available", "boolean", "true", mutability="ReadOnly")
    v("SmartChargingCtrlr", "ProfileStackLevel", "integer", "10", mutability="ReadOnly", min=0)
    v("SmartChargingCtrlr", "RateUnit", "MemberList", "A,W", mutability="ReadOnly",
      values_list=("A", "W"))
    v("SmartChargingCtrlr", "PeriodsPerSchedule", "integer", "24", mutability="ReadOnly", min=1)
    v("SmartChargingCtrlr", "Entries", "integer", "0", mutability="ReadOnly",
      variable_instance="ChargingProfiles")
    v("SmartChargingCtrlr", "LimitChangeSignificance", "decimal", "1.0", min=0, max=100)
    v("SmartChargingCtrlr", "NotifyChargingLimitWithSchedules", "boolean", "false")
    v("SmartChargingCtrlr", "ExternalControlSignalsEnabled", "boolean", "true")
    # ChargingStation, EVSE and Connector components
    v("ChargingStation", "AvailabilityState", "OptionList", "Available", mutability="ReadOnly",
      values_list=("Available", "Occupied", "Reserved", "Unavailable", "Faulted"))
    v("ChargingStation", "Available", "boolean", "true", mutability="ReadOnly")
    v("ChargingStation", "Model", "string", model, mutability="ReadOnly")
    v("ChargingStation", "VendorName", "string", vendor, mutability="ReadOnly")
    v("ChargingStation", "SerialNumber", "string", serial, mutability="ReadOnly")
    v("ChargingStation", "FirmwareVersion", "string", firmware, mutability="ReadOnly")
    v("ChargingStation", "SupplyPhases", "integer", "0", mutability="ReadOnly")
    # L01.FR.07 / OCTT C-20: may new sessions start while a firmware update waits for the
    # ongoing transactions to end?
    v("ChargingStation", "AllowNewSessionsPendingFirmwareUpdate", "boolean", "false")
    for evse_id, connectors in evses.items():
        v("EVSE", "AvailabilityState", "OptionList", "Available", mutability="ReadOnly",
          evse=evse_id, values_list=("Available", "Occupied", "Reserved", "Unavailable", "Faulted"))
        v("EVSE", "Available", "boolean", "true", mutability="ReadOnly", evse=evse_id)
        v("EVSE", "Power", "decimal", "0", mutability="ReadOnly", evse=evse_id, unit="W",
          max=200000, persistent=False)
        v("EVSE", "SupplyPhases", "integer", "0", mutability="ReadOnly", evse=evse_id)
        for connector_id, connector_type in connectors:
            v("Connector", "AvailabilityState", "OptionList", "Available", mutability="ReadOnly",
              evse=evse_id, connector=connector_id,
              values_list=("Available", "Occupied", "Reserved", "Unavailable", "Faulted"))
            v("Connector", "Available", "boolean", "true", mutability="ReadOnly", evse=evse_id,
              connector=connector_id)
            v("Connector", "ConnectorType", "string", connector_type, mutability="ReadOnly",
              evse=evse_id, connector=connector_id)
            v("Connector", "SupplyPhases", "integer", "0", mutability="ReadOnly", evse=evse_id,
              connector=connector_id)
    return dm
