"""The bench file's ``ev:`` section: who plays the EV and where its HomePlug modem is.

```yaml
ev:
  backend: serial              # emulated (default) | serial | scpi
  url: /dev/ttyUSB0            # serial: any pyserial URL (docs/ev-emulator-protocol.md)
  # resource: TCPIP::10.0.0.30::5025::SOCKET   # scpi
  interface: eth1              # the EV-side HomePlug modem's interface (SLAC, SDP, V2G)
  adapters: [J3400-to-CCS1]    # adapters the bench can put between plug and inlet
  timing_scale: 1.0            # ISO 15118-3 timers x scale; < 1 only against the emulator
```

Without an ``ev:`` section a real bench has no EV side and the interop cases skip with that
reason. On the emulated bench the EV is in-process and SLAC runs over a veth pair in a network
namespace the run creates (``interface`` is then ignored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.yamlcheck import At, check_choice, check_int, check_list, check_mapping, check_number, check_str

BACKENDS = ("emulated", "serial", "scpi")
ADAPTERS = ("J3400-to-CCS1", "CCS1-to-J3400")


@dataclass(frozen=True)
class EvSpec:
    backend: str | None = "emulated"  # None: the bench has no EV side (interop cases skip)
    address: str | None = None  # pyserial URL or VISA resource
    baudrate: int = 115200
    timeout_s: float = 1.0
    interface: str | None = None
    adapters: tuple[str, ...] = ()
    timing_scale: float = 1.0


def parse_ev(data: Any, at: At, station_mode: str) -> EvSpec:
    m = check_mapping(data, at, optional=("backend", "url", "resource", "baudrate", "timeout", "interface",
                                          "adapters", "timing_scale"))
    if not m and station_mode != "emulated":
        return EvSpec(backend=None)
    backend = check_choice(m.get("backend", "emulated"), at.child("backend"), BACKENDS)
    if backend == "emulated" and station_mode != "emulated":
        at.child("backend").fail("the emulated EV plugs into the emulated station only; give the EV "
                                 "emulator box (backend: serial or scpi)")
    address = None
    if backend == "serial":
        if "url" not in m:
            at.child("url").fail("missing: the EV emulator box's pyserial URL (e.g. /dev/ttyUSB0)")
        address = check_str(m["url"], at.child("url"))
    elif backend == "scpi":
        if "resource" not in m:
            at.child("resource").fail("missing: the EV emulator's VISA resource")
        address = check_str(m["resource"], at.child("resource"))
    for key in ("url", "resource"):
        if key in m and address != m[key]:
            at.child(key).fail(f"not used with backend {backend}")
    scale = check_number(m.get("timing_scale", 1.0), at.child("timing_scale"), low=0, low_open=True)
    if scale != 1.0 and station_mode != "emulated":
        at.child("timing_scale").fail("a real charger runs the standard's timers: only 1.0 is allowed")
    return EvSpec(
        backend=backend, address=address,
        baudrate=check_int(m.get("baudrate", 115200), at.child("baudrate"), 50, None),
        timeout_s=check_number(m.get("timeout", 1.0), at.child("timeout"), low=0, low_open=True),
        interface=check_str(m["interface"], at.child("interface")) if "interface" in m else None,
        adapters=tuple(check_choice(a, at.child("adapters").child(i), ADAPTERS)
                       for i, a in enumerate(check_list(m.get("adapters", []), at.child("adapters")))),
        timing_scale=scale,
    )
