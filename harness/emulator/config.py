"""How an emulated station is set up: identity, layout, CSMS, timing, quirks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.emulator import quirks as quirk_registry


@dataclass
class StationConfig:
    station_id: str = "CS001"
    csms_url: str = "ws://127.0.0.1:9000/"  # base URL; the station id is appended
    password: str | None = None
    ocpp_version: str = "2.0.1"
    security_profile: int = 1
    vendor: str = "EmulatedCharging"
    model: str = "DCFC-400"
    serial: str = "EMU-0001"
    firmware: str = "1.0.0"
    # evse id -> [(connector id, connector type)]
    evses: dict[int, list[tuple[int, str]]] = field(
        default_factory=lambda: {1: [(1, "cCCS1"), (2, "cNACS")], 2: [(1, "cCCS1"), (2, "cNACS")]}
    )
    tx_start_points: list[str] = field(default_factory=lambda: ["EVConnected", "Authorized"])
    tx_stop_points: list[str] = field(default_factory=lambda: ["EVConnected", "Authorized"])
    heartbeat_interval: int = 300
    max_power_w: float = 200_000.0
    quirks: set[str] = field(default_factory=set)
    # Timing of the emulated hardware (seconds). A real charger takes tens of seconds to
    # reboot; the emulated bench shortens these so suites run in seconds.
    reboot_time: float = 0.2
    backoff_scale: float = 1.0  # multiplies RetryBackOff* waits
    ev_demand_a: float = 200.0
    # The emulated EV's maximum voltage (what it would negotiate over ISO 15118): sets the
    # station's over-voltage limit (IEC 61851-23 Table 103).
    ev_max_voltage_v: float | None = 1000.0
    ev_battery_v: float = 400.0  # the emulated EV's battery voltage
    # Pilot and SLAC timers x scale on the emulated charger (bench ev.timing_scale)
    ev_timing_scale: float = 1.0
    # CA certificates the station ships with, by OCPP certificate type -> PEM strings.
    ca_certificates: dict[str, list[str]] = field(default_factory=dict)
    # The station's own certificate (PEM, leaf first) and key, for security profile 3.
    client_cert_pem: str | None = None
    client_key_pem: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    # Optional features the bench's feature sheet claims; an emulated station is built as its
    # sheet describes it (e.g. a DetachableCable or a FixedCable, for the 1.6 station).
    features: tuple[str, ...] = ()
    # The OCPP profiles the sheet claims (empty: all the emulator has); the 1.6 station reports
    # them as SupportedFeatureProfiles (without Local Auth List Management: no list at all).
    profiles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.quirks = quirk_registry.check(self.quirks)

    @property
    def url(self) -> str:
        return self.csms_url.rstrip("/") + "/" + self.station_id

    @classmethod
    def from_bench(cls, bench: Any, csms_url: str | None = None) -> StationConfig:
        """Build from a :class:`harness.bench.Bench` (duck-typed to keep imports one way)."""
        st = bench.station
        options = dict(getattr(bench.emulator, "options", {}) or {})
        known = {f for f in cls.__dataclass_fields__}
        timing = {k: options.pop(k) for k in list(options) if k in known}
        return cls(
            station_id=st.id,
            csms_url=csms_url or f"ws://{bench.csms.host}:{bench.csms.port}/",
            password=st.password,
            ocpp_version=st.ocpp_version,
            security_profile=st.security_profile,
            vendor=st.vendor or cls.vendor,
            model=st.model or cls.model,
            evses={e.id: [(c.id, c.type) for c in e.connectors] for e in st.evses},
            tx_start_points=list(st.tx_start_points),
            tx_stop_points=list(st.tx_stop_points),
            max_power_w=float(getattr(st, "max_power_w", 200_000) or 200_000),
            quirks=set(getattr(bench.emulator, "quirks", []) or []),
            ev_max_voltage_v=bench.power.ev.max_voltage_v,
            ev_battery_v=bench.power.ev.battery_voltage_v,
            ev_timing_scale=bench.ev.timing_scale,
            options=options,
            features=tuple(getattr(st, "features", ()) or ()),
            profiles=tuple(getattr(st, "profiles", ()) or ()),
            **timing,
        )
