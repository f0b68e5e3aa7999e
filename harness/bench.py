"""Bench files: YAML that says which charger is under test and how its counterparts are played.

A bench file is parsed into frozen dataclasses and checked strictly: a wrong value or an unknown
key (a typo) is a :class:`BenchError` naming the file and the dotted field path, because a
silently ignored ``max_pwer_w`` on a real bench is worse than a refused run.
"""

from __future__ import annotations

import dataclasses
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import catalog
from harness.csms.responders import CsmsPolicy
from harness.csms.server import CsmsConfig, StationAccount
from harness.emulator.quirks import QUIRKS
from harness.ev.spec import EvSpec, parse_ev
from harness.lab.spec import InstrumentSpec, PowerSpec, parse_instruments, parse_power
from harness.yamlcheck import (
    At,
    BenchError,
    StrictLoader,
    check_choice,
    check_choices,
    check_int,
    check_list,
    check_mapping,
    check_number,
    check_str,
    expand_env,
    optional_str,
    str_tuple,
    suggest,
)

MODES = ("emulated", "external")
OCPP_VERSIONS = ("2.0.1", "1.6", "2.1")

#: OCPP 2.0.1 ConnectorEnumType, plus ``cNACS`` (SAE J3400). 2.0.1 has no J3400 value, so a
#: NACS station reports something else (``cTesla`` is the closest); the bench stores what the
#: connector *is*, and suites decide which reported values they accept for it.
CONNECTOR_TYPES = (
    "cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A", "s309-1P-32A",
    "s309-3P-16A", "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2", "sType3", "Other1PhMax16A",
    "Other1PhOver16A", "Other3Ph", "Pan", "wInductive", "wResonant", "Undetermined", "Unknown",
    "cNACS",
)
#: OCPP 2.0.1 TxStartPoint / TxStopPoint values (OCPP 2.0.1 Part 2, E01 and E06).
TX_START_POINTS = ("ParkingBayOccupancy", "EVConnected", "Authorized", "DataSigned",
                   "PowerPathClosed", "EnergyTransfer")
TX_STOP_POINTS = ("ParkingBayOccupancy", "EVConnected", "Authorized", "PowerPathClosed",
                  "EnergyTransfer")
#: OCPP 2.0.1 IdTokenEnumType.
ID_TOKEN_TYPES = ("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress",
                  "NoAuthorization")
#: Token roles a test can ask for, and what the harness CSMS answers for each.
ID_TOKEN_STATUS = {"valid": "Accepted", "valid2": "Accepted", "invalid": "Invalid",
                   "blocked": "Blocked", "expired": "Expired",
                   "master": "Accepted"}  # a Master Pass card (C16): the tests give its group
DEFAULT_ID_TOKENS = {
    "valid": ("VALIDTOKEN01", "ISO14443"),
    "valid2": ("VALIDTOKEN02", "ISO14443"),
    "invalid": ("INVALIDTOKEN", "ISO14443"),
    "blocked": ("BLOCKEDTOKEN", "ISO14443"),
    "expired": ("EXPIREDTOKEN", "ISO14443"),
}  # "master" has no default: only a bench with a Master Pass card names one
#: Operator actions a bench can automate, and the parameters their templates may use.
ACTION_PARAMETERS: dict[str, tuple[str, ...]] = {
    "plug_in": ("station", "evse", "connector"),
    "unplug": ("station", "evse", "connector"),
    "present_id_token": ("station", "id_token", "type", "evse"),
    "power_cycle": ("station",),
    # what the station's screen shows, as text: a command's stdout or an HTTP answer's body
    # (a camera with OCR, the charger's debug API); a person cannot type it back (yet)
    "read_screen": ("station", "evse"),
    # ISO 15118 (the EV simulator's side of Plug & Charge): an EV plugs in and pays with this
    # contract certificate chain (PEM, leaf first, CN = the EMAID); an EV asks for a contract
    # certificate installation/update (action Install/Update, the EXI request base64) and the
    # answer is the EXI response (base64) the EV received (a command's stdout, an HTTP body)
    "ev_plug_and_charge": ("station", "evse", "emaid", "contract_certificate"),
    "ev_certificate_request": ("station", "evse", "action", "exi_request"),
    # the ISO 15118 EV renegotiates its schedule (PowerDeliveryReq Renegotiate, a new
    # ChargeParameterDiscoveryReq: K17); the EV ends charging (PowerDeliveryReq Stop,
    # SessionStopReq Terminate: E15)
    "ev_renegotiate": ("station", "evse"),
    "ev_stop_charging": ("station", "evse"),
    # a hard-wired input: press the emergency stop, then release (reset) it (a relay on the
    # button, a person)
    "press_emergency_stop": ("station",),
    # a fault input of the charger (an OCPP 1.6 ChargePointErrorCode, e.g. ConnectorLockFailure:
    # the connector lock blocked) raised, then cleared: a jumper, a test mode, a person's hand
    "inject_fault": ("station", "evse", "connector", "fault"),
    "clear_fault": ("station", "evse", "connector", "fault"),
    # the parking bay's vehicle sensor of an EVSE: a car enters (occupied true) or leaves it
    "parking_bay": ("station", "evse", "occupied"),
    # the Master Pass screen a station with a UI shows after a master card (C16.FR.01): the
    # user stops the transaction of one EVSE, or all of them (evse 0)
    "master_pass_select": ("station", "evse"),
}
ACTION_METHODS = ("command", "http", "prompt", "relay")
DEFAULT_TIMEOUTS = {"command": 30.0, "http": 10.0, "prompt": 300.0, "relay": 120.0}
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


# ---- the typed bench --------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectorSpec:
    id: int
    type: str


@dataclass(frozen=True)
class EvseSpec:
    id: int
    connectors: tuple[ConnectorSpec, ...]


@dataclass(frozen=True)
class IdTokenSpec:
    id_token: str
    type: str = "ISO14443"

    def to_ocpp(self) -> dict[str, str]:
        """The IdTokenType payload as on the wire."""
        return {"idToken": self.id_token, "type": self.type}


@dataclass(frozen=True)
class StationSpec:
    """The charger under test, as claimed by its vendor (like an OCTT PICS)."""

    id: str
    mode: str
    ocpp_version: str
    security_profile: int
    # Kept out of repr: benches are printed into logs and Allure parameters.
    password: str | None = field(repr=False)
    vendor: str | None
    model: str | None
    profiles: tuple[str, ...]
    features: tuple[str, ...]
    evses: tuple[EvseSpec, ...]
    tx_start_points: tuple[str, ...]
    tx_stop_points: tuple[str, ...]
    max_power_w: float | None
    id_tokens: Mapping[str, IdTokenSpec]

    def connectors(self) -> list[tuple[int, ConnectorSpec]]:
        """Every (evse id, connector) of the station, in order."""
        return [(e.id, c) for e in self.evses for c in e.connectors]


@dataclass(frozen=True)
class EmulatorSpec:
    quirks: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CsmsSpec:
    host: str = "127.0.0.1"
    port: int = 0
    heartbeat_interval: int = 300
    message_timeout: float = 5.0
    deviation: float = 4.0
    # How long a negative check ("the station must not send X") watches. A real station may
    # take a second or two to act wrongly; the emulated one acts within milliseconds.
    quiet_period: float = 2.0
    # How the station fetches firmware and uploads logs: "http" or "ftp" (some only speak FTP).
    file_transfer: str = "http"
    # The address the station reaches the harness's file server at (URLs in UpdateFirmware and
    # GetLog); needed when ``host`` is a wildcard such as 0.0.0.0.
    file_host: str | None = None

    def advertised_host(self) -> str:
        if self.file_host:
            return self.file_host
        return self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"


@dataclass(frozen=True)
class HttpSpec:
    method: str
    url: str
    json: Any = None
    # Kept out of repr: headers carry tokens expanded from the environment.
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class ActionSpec:
    """How one operator action is fulfilled: exactly one of command, http, prompt, relay."""

    name: str
    method: str  # one of ACTION_METHODS
    timeout: float
    command: str | None = None
    http: HttpSpec | None = None
    prompt: str | None = None  # instruction template; None: the operator's default wording
    relay: RelayActionSpec | None = None


@dataclass(frozen=True)
class RelayActionSpec:
    """Energize a bench relay channel (by its function name, e.g. ``power_cut``) for
    ``seconds``, then release it: a power cycle through a normally-closed contact, a button."""

    channel: str
    seconds: float


@dataclass(frozen=True)
class Bench:
    name: str
    station: StationSpec
    csms: CsmsSpec
    emulator: EmulatorSpec | None  # None unless station.mode == "emulated"
    actions: Mapping[str, ActionSpec]
    path: Path | None = None
    instruments: Mapping[str, InstrumentSpec] = field(default_factory=dict)
    power: PowerSpec = field(default_factory=PowerSpec)
    ev: EvSpec = field(default_factory=EvSpec)

    def instruments_of(self, role: str) -> list[InstrumentSpec]:
        return [i for i in self.instruments.values() if i.role == role]

    def claims(self, feature_or_profile: str) -> bool:
        """True if the station claims this profile, optional feature or connector type."""
        return (
            feature_or_profile in self.station.profiles
            or feature_or_profile in self.station.features
            or any(c.type == feature_or_profile for _, c in self.station.connectors())
        )


# ---- loading ---------------------------------------------------------------------------
def default_bench_path() -> Path:
    """The fully emulated bench shipped with the package (``pytest`` on a fresh clone)."""
    # A path next to this module rather than importlib.resources.files("harness"): with an
    # editable install "harness" can carry the finder's path hook in __path__, which
    # files() refuses (NotADirectoryError on Python 3.11).
    return Path(__file__).with_name("benches") / "emulated.yaml"


def load_bench(path: str | Path, env: Mapping[str, str] | None = None) -> Bench:
    """Read and validate a bench file; ``${VAR}`` in secrets and URLs comes from ``env``."""
    file = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise BenchError(file, "", f"cannot read: {exc.strerror or exc}") from exc
    try:
        data = yaml.load(text, Loader=StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise BenchError(file, "", f"not valid YAML: {exc}") from exc
    return dataclasses.replace(parse_bench(data, file, env), path=Path(path))


def parse_bench(data: Any, file: str = "<bench>", env: Mapping[str, str] | None = None) -> Bench:
    """Validate already-parsed YAML data (a mapping) into a :class:`Bench`."""
    at = At(file, "")
    top = check_mapping(data, at, required=("station",),
                   optional=("name", "emulator", "csms", "actions", "instruments", "power", "ev"))
    environ = os.environ if env is None else env
    station = _station(top["station"], at.child("station"), environ)
    csms = _csms(top.get("csms") or {}, at.child("csms"), station.mode)
    emulator: EmulatorSpec | None = None
    if station.mode == "emulated":
        emulator = _emulator(top.get("emulator") or {}, at.child("emulator"))
    elif top.get("emulator"):
        at.child("emulator").fail("only used with station.mode 'emulated'; remove it")
    actions = _actions(top.get("actions") or {}, at.child("actions"), environ)
    name = check_str(top.get("name", Path(file).stem), at.child("name"))
    ports = tuple(e.id for e in station.evses)
    instruments = parse_instruments(top.get("instruments") or {}, at.child("instruments"), ports)
    if station.mode == "external":
        for spec in instruments.values():
            if spec.simulated:
                at.child("instruments").child(spec.name).fail(
                    "a simulated instrument is coupled to the emulated station only; give the real "
                    "instrument's resource (e.g. TCPIP::192.168.1.20::5025::SOCKET)")
    power = parse_power(top.get("power") or {}, at.child("power"), ports)
    channels = sorted({c for spec in instruments.values() if spec.role == "relay" for c in spec.channels})
    for action in actions.values():
        if action.relay is not None and action.relay.channel not in channels:
            at.child("actions").child(action.name).child("relay").child("channel").fail(
                f"no relay channel {action.relay.channel!r} in the instruments section"
                f"{suggest(action.relay.channel, channels)}; channels: {', '.join(channels) or 'none'}")
    ev = parse_ev(top.get("ev") or {}, at.child("ev"), station.mode)
    return Bench(name, station, csms, emulator, actions, instruments=instruments, power=power, ev=ev)


def csms_config(bench: Bench) -> CsmsConfig:
    """The harness CSMS configured to accept this bench's station and know its tokens."""
    st = bench.station
    password = st.password if st.security_profile in (1, 2) else None
    return CsmsConfig(
        host=bench.csms.host,
        port=bench.csms.port,
        subprotocols=(f"ocpp{st.ocpp_version}",),
        security_profile=st.security_profile,
        message_timeout=bench.csms.message_timeout,
        accounts={st.id: StationAccount(st.id, password)},
        policy=CsmsPolicy(
            heartbeat_interval=bench.csms.heartbeat_interval,
            id_tokens={tok.id_token: ID_TOKEN_STATUS[role] for role, tok in st.id_tokens.items()},
        ),
    )


# ---- sections ---------------------------------------------------------------------------
def _station(data: Any, at: At, env: Mapping[str, str]) -> StationSpec:
    m = check_mapping(data, at, required=("id", "evses"), optional=(
        "mode", "ocpp_version", "security_profile", "password", "vendor", "model", "profiles",
        "features", "tx_start_points", "tx_stop_points", "max_power_w", "id_tokens"))
    station_id = check_str(m["id"], at.child("id"))
    # OCPP-J: the identity is a URL path segment and the Basic-auth user name (no ':'), <= 48.
    if len(station_id) > 48 or any(ch in station_id for ch in ":/ "):
        at.child("id").fail(f"a station identity is 1..48 characters without ':', '/' or "
                            f"spaces, got {station_id!r}")
    mode = check_choice(m.get("mode", "emulated"), at.child("mode"), MODES)
    version = m.get("ocpp_version", "2.0.1")
    if isinstance(version, float):  # YAML reads an unquoted 1.6 as a number
        version = str(version)
    version = check_choice(version, at.child("ocpp_version"), OCPP_VERSIONS)
    profile = check_int(m.get("security_profile", 1), at.child("security_profile"), 0, 3)
    password = None
    if m.get("password") is not None:
        password = expand_env(check_str(m["password"], at.child("password")), at.child("password"), env)
        # OCPP 2.0.1 A00.FR.205 / BasicAuthPassword: 16 to 40 characters.
        if not 16 <= len(password) <= 40:
            at.child("password").fail(f"expected 16..40 characters, got {len(password)}")
    elif profile in (1, 2):
        at.child("password").fail(f"required for security_profile {profile} (HTTP Basic auth)")
    known_profiles = catalog.profiles(version) if version in catalog.VERSIONS else None
    profiles = tuple(
        check_choice(p, at.child("profiles").child(i), known_profiles) if known_profiles else
        check_str(p, at.child("profiles").child(i))
        for i, p in enumerate(check_list(m.get("profiles", ["Core"]), at.child("profiles")))
    )
    features = str_tuple(m.get("features", []), at.child("features"))
    return StationSpec(
        id=station_id, mode=mode, ocpp_version=version, security_profile=profile,
        password=password,
        vendor=optional_str(m.get("vendor"), at.child("vendor")),
        model=optional_str(m.get("model"), at.child("model")),
        profiles=profiles, features=features,
        evses=_evses(m["evses"], at.child("evses")),
        tx_start_points=check_choices(m.get("tx_start_points", ["PowerPathClosed"]),
                                 at.child("tx_start_points"), TX_START_POINTS),
        tx_stop_points=check_choices(m.get("tx_stop_points", ["EVConnected", "Authorized"]),
                                at.child("tx_stop_points"), TX_STOP_POINTS),
        max_power_w=(None if m.get("max_power_w") is None
                     else check_number(m["max_power_w"], at.child("max_power_w"), low=0,
                                  low_open=True)),
        id_tokens=_id_tokens(m.get("id_tokens") or {}, at.child("id_tokens")),
    )


def _evses(data: Any, at: At) -> tuple[EvseSpec, ...]:
    items = check_list(data, at)
    if not items:
        at.fail("a station has at least one EVSE")
    evses = []
    for i, item in enumerate(items):
        here = at.child(i)
        m = check_mapping(item, here, required=("id", "connectors"))
        # OCPP 2.0.1 Part 1 §2.2: EVSE ids and connector ids count up from 1 without gaps.
        evse_id = check_int(m["id"], here.child("id"), 1, None)
        if evse_id != i + 1:
            here.child("id").fail(f"EVSE ids count up from 1 in order; expected {i + 1}, "
                                  f"got {evse_id}")
        connectors = []
        conn_list = check_list(m["connectors"], here.child("connectors"))
        if not conn_list:
            here.child("connectors").fail("an EVSE has at least one connector")
        for j, c in enumerate(conn_list):
            cat = here.child("connectors").child(j)
            cm = check_mapping(c, cat, required=("id", "type"))
            cid = check_int(cm["id"], cat.child("id"), 1, None)
            if cid != j + 1:
                cat.child("id").fail(f"connector ids count up from 1 in order; expected "
                                     f"{j + 1}, got {cid}")
            connectors.append(ConnectorSpec(cid, check_choice(cm["type"], cat.child("type"),
                                                         CONNECTOR_TYPES)))
        evses.append(EvseSpec(evse_id, tuple(connectors)))
    return tuple(evses)


def _id_tokens(data: Any, at: At) -> dict[str, IdTokenSpec]:
    m = check_mapping(data, at, optional=tuple(ID_TOKEN_STATUS))
    tokens = {role: IdTokenSpec(*default) for role, default in DEFAULT_ID_TOKENS.items()}
    for role, value in m.items():
        here = at.child(role)
        tm = check_mapping(value, here, required=("idToken",), optional=("type",))
        token = check_str(tm["idToken"], here.child("idToken"))
        if len(token) > 36:  # IdTokenType.idToken: string[0..36]
            here.child("idToken").fail(f"at most 36 characters, got {len(token)}")
        kind = check_choice(tm.get("type", "ISO14443"), here.child("type"), ID_TOKEN_TYPES)
        tokens[role] = IdTokenSpec(token, kind)
    seen: dict[str, str] = {}
    for role, tok in tokens.items():
        if tok.id_token in seen:
            at.child(role).fail(f"idToken {tok.id_token!r} is also the {seen[tok.id_token]!r} "
                                f"token; each role needs its own")
        seen[tok.id_token] = role
    return tokens


def _emulator(data: Any, at: At) -> EmulatorSpec:
    m = check_mapping(data, at, optional=("quirks", "options"))
    options = check_mapping(m.get("options") or {}, at.child("options"), free=True)
    known = sorted(QUIRKS)
    quirks = tuple(check_choice(q, at.child("quirks").child(i), known)
                   for i, q in enumerate(check_list(m.get("quirks") or [], at.child("quirks"))))
    return EmulatorSpec(quirks=quirks, options=dict(options))


def _csms(data: Any, at: At, mode: str) -> CsmsSpec:
    m = check_mapping(data, at, optional=("host", "port", "heartbeat_interval", "message_timeout",
                                     "deviation", "quiet_period", "file_transfer", "file_host"))
    d = CsmsSpec()
    port = check_int(m.get("port", d.port), at.child("port"), 0, 65535)
    if port == 0 and mode == "external":
        at.child("port").fail("a real station needs a fixed port to connect to (e.g. 9000)")
    return CsmsSpec(
        host=check_str(m.get("host", d.host), at.child("host")),
        port=port,
        heartbeat_interval=check_int(m.get("heartbeat_interval", d.heartbeat_interval),
                                at.child("heartbeat_interval"), 1, None),
        message_timeout=check_number(m.get("message_timeout", d.message_timeout),
                                at.child("message_timeout"), low=0, low_open=True),
        deviation=check_number(m.get("deviation", d.deviation), at.child("deviation"), low=0),
        quiet_period=check_number(m.get("quiet_period", d.quiet_period), at.child("quiet_period"),
                             low=0, low_open=True),
        file_transfer=check_choice(m.get("file_transfer", d.file_transfer), at.child("file_transfer"),
                                   ("http", "ftp")),
        file_host=check_str(m["file_host"], at.child("file_host")) if "file_host" in m else None,
    )


def _actions(data: Any, at: At, env: Mapping[str, str]) -> dict[str, ActionSpec]:
    m = check_mapping(data, at, optional=tuple(ACTION_PARAMETERS))
    # ``plug_in: null`` declares the action unavailable, same as leaving it out.
    return {name: _action(name, value, at.child(name), env)
            for name, value in m.items() if value is not None}


def _action(name: str, data: Any, at: At, env: Mapping[str, str]) -> ActionSpec:
    m = check_mapping(data, at, optional=(*ACTION_METHODS, "timeout"))
    methods = [k for k in ACTION_METHODS if k in m]
    if len(methods) != 1:
        at.fail(f"give exactly one of {', '.join(ACTION_METHODS)}; got "
                f"{', '.join(methods) or 'none'}")
    method = methods[0]
    params = ACTION_PARAMETERS[name]
    timeout = check_number(m.get("timeout", DEFAULT_TIMEOUTS[method]), at.child("timeout"),
                      low=0, low_open=True)
    if method == "command":
        command = check_str(m["command"], at.child("command"))
        _check_template(command, at.child("command"), params)
        return ActionSpec(name, method, timeout, command=command)
    if method == "prompt":
        value = m["prompt"]
        if value is True:
            return ActionSpec(name, method, timeout, prompt=None)
        if not isinstance(value, str) or not value.strip():
            at.child("prompt").fail(f"expected true or an instruction text, got {value!r}")
        _check_template(value, at.child("prompt"), params)
        return ActionSpec(name, method, timeout, prompt=value)
    if method == "relay":
        rm = check_mapping(m["relay"], at.child("relay"), required=("channel", "seconds"))
        seconds = check_number(rm["seconds"], at.child("relay").child("seconds"), low=0, low_open=True)
        if seconds > 60:
            at.child("relay").child("seconds").fail(f"at most 60 s, got {seconds:g}")
        relay = RelayActionSpec(check_str(rm["channel"], at.child("relay").child("channel")), seconds)
        return ActionSpec(name, method, timeout, relay=relay)
    return ActionSpec(name, method, timeout, http=_http(m["http"], at.child("http"), params, env))


def _http(data: Any, at: At, params: tuple[str, ...], env: Mapping[str, str]) -> HttpSpec:
    m = check_mapping(data, at, required=("url",), optional=("method", "json", "headers"))
    method = check_choice(str(m.get("method", "POST")).upper(), at.child("method"), HTTP_METHODS)
    url = expand_env(check_str(m["url"], at.child("url")), at.child("url"), env)
    if not url.startswith(("http://", "https://")):
        at.child("url").fail(f"expected an http:// or https:// URL, got {url!r}")
    _check_template(url, at.child("url"), params)
    headers = {}
    for key, value in check_mapping(m.get("headers") or {}, at.child("headers"), free=True).items():
        hat = at.child("headers").child(str(key))
        headers[str(key)] = expand_env(check_str(value, hat), hat, env)
        _check_template(headers[str(key)], hat, params)
    body = m.get("json")
    _check_json_templates(body, at.child("json"), params)
    return HttpSpec(method=method, url=url, json=body, headers=headers)


def _check_json_templates(value: Any, at: At, params: tuple[str, ...]) -> None:
    if isinstance(value, str):
        _check_template(value, at, params)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_json_templates(v, at.child(str(k)), params)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_json_templates(v, at.child(i), params)


def _check_template(text: str, at: At, params: tuple[str, ...]) -> None:
    """Refuse ``{placeholders}`` the action does not supply, so a typo fails at load time."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        at.fail(f"{exc} in {text!r} (write literal braces as {{{{ and }}}})")
    for name in names:
        root = re.split(r"[.\[]", name, maxsplit=1)[0]
        if root not in params:
            at.fail(f"unknown parameter {{{name}}}; this action supplies "
                    f"{', '.join('{' + p + '}' for p in params)}{suggest(root, params)} "
                    f"(write literal braces as {{{{ and }}}})")


