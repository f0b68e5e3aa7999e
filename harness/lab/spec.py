"""The lab part of a bench file: which instruments are wired to the charger, with what limits,
and the power suite's parameters.

```yaml
instruments:
  load1:   {role: load, family: ea-psb10000, resource: "TCPIP::10.0.0.20::5025::SOCKET",
            port: 1, limits: {max_voltage_v: 1000, max_current_a: 510, max_power_w: 240000}}
  scope:   {role: scope, family: keysight-infiniivision, resource: "TCPIP::10.0.0.21::5025::SOCKET",
            probes: {1: {port: 1, quantity: voltage, ratio: 100},
                     2: {port: 1, quantity: current, ratio: 100}}}
  meter:   {role: power_analyzer, family: yokogawa-wt5000, resource: "...", elements: {1: 1}}
  pdu:     {role: relay, family: numato-usb-relay, url: /dev/ttyACM0,
            channels: {estop: 0, ac_supply: 1}, safe_states: {estop: false, ac_supply: true}}
power:
  ports: {1: {max_voltage_v: 1000, max_current_a: 500, max_power_w: 200000}}
  claims: {max_current_a: 500, max_power_w: 200000, min_voltage_v: 150, max_voltage_v: 1000,
           peak_ripple_a: 5}
  ev: {battery_voltage_v: 400, max_voltage_v: 500}
  parameters: {sustained_duration_s: 600}
```

``resource: simulated`` (``url: simulated`` for relays) makes the emulated bench start a
simulator of that family coupled to the emulated charger. A load without limits is refused: a
load bank with no limits in the bench file is how a lab sets a cable on fire.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.yamlcheck import (
    At,
    check_choice,
    check_int,
    check_list,
    check_mapping,
    check_number,
    check_str,
    suggest,
)
from instruments.limits import Limits

ROLES = ("load", "scope", "power_analyzer", "relay")
SIMULATED = "simulated"
QUANTITIES = ("voltage", "current", "estop")  # estop: the e-stop auxiliary contact (24 V)
LIMIT_KEYS = ("max_voltage_v", "max_current_a", "max_power_w")


@dataclass(frozen=True)
class ProbeSpec:
    channel: int
    port: int
    quantity: str  # "voltage" or "current"
    ratio: float  # probe ratio as the scope takes it: tip units per volt at the input (100 for 100:1; A/V)


@dataclass(frozen=True)
class InstrumentSpec:
    name: str  # the bench-file entry, used in every error message
    role: str
    family: str
    address: str  # VISA resource string, pyserial URL, or "simulated"
    timeout_s: float = 2.0
    backend: str | None = None
    port: int | None = None  # load: the charger port (EVSE id) it is wired to
    limits: Limits = field(default_factory=Limits)
    probes: tuple[ProbeSpec, ...] = ()
    elements: Mapping[int, int] = field(default_factory=dict)  # analyzer: port -> element
    channels: Mapping[str, int] = field(default_factory=dict)  # relay: function -> channel
    safe_states: Mapping[str, bool] = field(default_factory=dict)  # relay: function -> state
    baudrate: int = 19200

    @property
    def simulated(self) -> bool:
        return self.address == SIMULATED


@dataclass(frozen=True)
class PowerClaims:
    """What the vendor advertises for each port (the figures measurements are checked against)."""

    max_current_a: float = 500.0
    max_power_w: float = 200_000.0
    min_voltage_v: float = 150.0
    max_voltage_v: float = 1000.0
    peak_ripple_a: float = 5.0


@dataclass(frozen=True)
class EvSpec:
    """The EV the bench presents: its battery voltage and the maximum voltage it negotiates
    (which sets the charger's over-voltage limit, IEC 61851-23 Table 103)."""

    battery_voltage_v: float = 400.0
    max_voltage_v: float = 500.0


@dataclass(frozen=True)
class PowerParameters:
    """Parameters of the power-delivery suite. Real-time durations are short by default (CI);
    a lab sets long ones. Figures marked *verify* in FACTS.md are parameters for that reason."""

    # current regulation (step response, ramp, accuracy)
    step_from_a: float = 50.0
    step_to_a: float = 200.0
    settling_max_s: float = 1.0  # typical practice, *verify* against the charger's claims
    overshoot_max: float = 0.10  # fraction of the step
    ramp_min_a_per_s: float = 20.0  # FACTS: ramp default 25 A/s in the field
    accuracy_pct: float = 1.5  # IEC 61851-23: ±1.5 % or ±0.5 A, whichever is larger
    accuracy_min_a: float = 0.5
    voltage_accuracy_v: float = 10.0
    accuracy_points: tuple[float, ...] = (0.1, 0.5, 0.9)  # fractions of the claimed max current
    dwell_s: float = 0.3  # time at each operating point before measuring
    # ripple (IEC 61851-23:2014 values as often quoted, *verify*)
    ripple_current_a: float = 200.0
    ripple_record_s: float = 0.5
    ripple_band_limits: tuple[tuple[float, float, float], ...] = (
        (0.0, 5_000.0, 6.0), (5_000.0, 150_000.0, 9.0))
    # shutdown
    ov_shutdown_max_s: float = 0.010  # 9 ms detection + 1 ms
    ov_current_threshold_a: float = 5.0
    deenergize_level_v: float = 60.0
    deenergize_max_s: float = 1.0  # *verify*
    # sustained power (NEVI 23 CFR 680.106(k)); CI short, lab long
    sustained_power_w: float = 150_000.0
    sustained_voltage_v: float = 800.0
    sustained_duration_s: float = 1.5
    sweep_voltages_v: tuple[float, ...] = (250.0, 400.0, 600.0, 800.0, 920.0)
    nevi_ports: int = 4
    # metering (NIST HB 44 §3.40 method)
    metering_tolerance_pct: float = 1.0  # *verify*: tolerance classes not yet set for DC
    metering_high_fraction: float = 0.85
    metering_low_fraction: float = 0.10
    metering_duration_s: float = 2.0


@dataclass(frozen=True)
class PowerSpec:
    ports: Mapping[int, Limits] = field(default_factory=dict)
    claims: PowerClaims = field(default_factory=PowerClaims)
    ev: EvSpec = field(default_factory=EvSpec)
    parameters: PowerParameters = field(default_factory=PowerParameters)


# ---- parsing ------------------------------------------------------------------------------
def parse_instruments(data: Any, at: At, station_ports: tuple[int, ...]) -> dict[str, InstrumentSpec]:
    """The ``instruments`` section; ``station_ports`` are the station's EVSE ids."""
    from instruments.registry import families

    m = check_mapping(data, at, free=True)
    specs: dict[str, InstrumentSpec] = {}
    for name, value in m.items():
        here = at.child(str(name))
        entry = check_str(name, here) if isinstance(name, str) else here.fail("entry names are strings")
        specs[entry] = _instrument(entry, value, here, station_ports, families())
    return specs


def _instrument(name: str, data: Any, at: At, station_ports: tuple[int, ...],
                families: Mapping[str, Mapping[str, type]]) -> InstrumentSpec:
    role = check_choice(check_mapping(data, at, free=True).get("role"), at.child("role"), ROLES)
    common = ("role", "family", "timeout", "backend")
    per_role = {
        "load": ("resource", "port", "limits"),
        "scope": ("resource", "probes"),
        "power_analyzer": ("resource", "elements"),
        "relay": ("url", "channels", "safe_states", "baudrate"),
    }[role]
    m = check_mapping(data, at, required=("family", "url" if role == "relay" else "resource"),
                      optional=tuple(k for k in (*common, *per_role) if k not in ("family",)))
    family = check_choice(m["family"], at.child("family"), sorted(families[role]))
    key = "url" if role == "relay" else "resource"
    address = check_str(m[key], at.child(key))
    spec = InstrumentSpec(
        name=name, role=role, family=family, address=address,
        timeout_s=check_number(m.get("timeout", 2.0), at.child("timeout"), low=0, low_open=True),
        backend=check_str(m["backend"], at.child("backend")) if m.get("backend") else None,
    )
    if role == "load":
        port = check_int(m.get("port"), at.child("port"), 1, None) if "port" in m else at.child("port").fail(
            "missing: the charger port (EVSE id) this load is wired to")
        if port not in station_ports:
            at.child("port").fail(f"the station has no EVSE {port}; its EVSEs are {list(station_ports)}")
        if "limits" not in m:
            at.child("limits").fail("missing: a load needs max_voltage_v, max_current_a and max_power_w")
        limits = parse_limits(m["limits"], at.child("limits"), required=True)
        return dataclasses.replace(spec, port=port, limits=limits)
    if role == "scope":
        probes = []
        for ch, pd in check_mapping(m.get("probes") or {}, at.child("probes"), free=True).items():
            pat = at.child("probes").child(str(ch))
            channel = check_int(ch, pat, 1, 8)
            pm = check_mapping(pd, pat, required=("quantity", "ratio"), optional=("port",))
            if "port" not in pm and pm.get("quantity") != "estop":
                pat.child("port").fail("missing: the charger port this probe is on")
            port = check_int(pm.get("port", station_ports[0]), pat.child("port"), 1, None)
            if port not in station_ports:
                pat.child("port").fail(f"the station has no EVSE {port}; its EVSEs are {list(station_ports)}")
            quantity = check_choice(pm["quantity"], pat.child("quantity"), QUANTITIES)
            ratio = check_number(pm["ratio"], pat.child("ratio"), low=0, low_open=True)
            probes.append(ProbeSpec(channel, port, quantity, ratio))
        return dataclasses.replace(spec, probes=tuple(probes))
    if role == "power_analyzer":
        elements = {}
        for port, element in check_mapping(m.get("elements") or {}, at.child("elements"), free=True).items():
            eat = at.child("elements").child(str(port))
            p = check_int(port, eat, 1, None)
            if p not in station_ports:
                eat.fail(f"the station has no EVSE {p}; its EVSEs are {list(station_ports)}")
            elements[p] = check_int(element, eat, 1, 7)
        return dataclasses.replace(spec, elements=elements)
    channels = {str(k): check_int(v, at.child("channels").child(str(k)), 0, 63)
                for k, v in check_mapping(m.get("channels") or {}, at.child("channels"), free=True).items()}
    safe = {}
    for k, v in check_mapping(m.get("safe_states") or {}, at.child("safe_states"), free=True).items():
        sat = at.child("safe_states").child(str(k))
        if str(k) not in channels:
            sat.fail(f"no such channel{suggest(str(k), list(channels))}; channels: {', '.join(channels)}")
        if not isinstance(v, bool):
            sat.fail(f"expected true (on) or false (off), got {v!r}")
        safe[str(k)] = v
    return dataclasses.replace(spec, channels=channels, safe_states=safe,
                               baudrate=check_int(m.get("baudrate", 19200), at.child("baudrate"), 50, None))


def parse_limits(data: Any, at: At, required: bool = False) -> Limits:
    m = check_mapping(data, at, required=LIMIT_KEYS if required else (),
                      optional=() if required else LIMIT_KEYS)
    values = {k: check_number(m[k], at.child(k), low=0, low_open=True) for k in LIMIT_KEYS if k in m}
    return Limits(**values, where=f"{at.file}: {at.path}")


def parse_power(data: Any, at: At, station_ports: tuple[int, ...]) -> PowerSpec:
    m = check_mapping(data, at, optional=("ports", "claims", "ev", "parameters"))
    ports = {}
    for port, limits in check_mapping(m.get("ports") or {}, at.child("ports"), free=True).items():
        pat = at.child("ports").child(str(port))
        p = check_int(port, pat, 1, None)
        if p not in station_ports:
            pat.fail(f"the station has no EVSE {p}; its EVSEs are {list(station_ports)}")
        ports[p] = parse_limits(limits, pat)
    return PowerSpec(
        ports=ports,
        claims=_numbers(PowerClaims, m.get("claims") or {}, at.child("claims")),
        ev=_numbers(EvSpec, m.get("ev") or {}, at.child("ev")),
        parameters=_parameters(m.get("parameters") or {}, at.child("parameters")),
    )


def _numbers(cls: type, data: Any, at: At) -> Any:
    names = tuple(f.name for f in dataclasses.fields(cls))
    m = check_mapping(data, at, optional=names)
    return cls(**{k: check_number(v, at.child(k), low=0, low_open=True) for k, v in m.items()})


def _parameters(data: Any, at: At) -> PowerParameters:
    fields = {f.name: f for f in dataclasses.fields(PowerParameters)}
    m = check_mapping(data, at, optional=tuple(fields))
    values: dict[str, Any] = {}
    for key, value in m.items():
        kat = at.child(key)
        default = getattr(PowerParameters(), key)
        if key == "ripple_band_limits":
            bands = []
            for i, band in enumerate(check_list(value, kat)):
                row = check_list(band, kat.child(i))
                if len(row) != 3:
                    kat.child(i).fail("expected [f_low_hz, f_high_hz, max_peak_a]")
                bands.append(tuple(check_number(x, kat.child(i).child(j), low=0) for j, x in enumerate(row)))
            values[key] = tuple(bands)
        elif isinstance(default, tuple):
            values[key] = tuple(check_number(x, kat.child(i), low=0, low_open=True)
                                for i, x in enumerate(check_list(value, kat)))
        elif isinstance(default, int):
            values[key] = check_int(value, kat, 1, None)
        else:
            values[key] = check_number(value, kat, low=0, low_open=True)
    return PowerParameters(**values)
