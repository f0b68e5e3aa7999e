"""Interop cases run once per connector configuration the bench can plug: each connector type
the station claims, and each adapter the bench's EV side has (e.g. a J3400 plug into a CCS1
vehicle through a J3400-to-CCS1 adapter). The configuration is the ``plug`` parameter, which
makes the run's interop matrix (connector configuration x check)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.bench import Bench
from harness.pytest_plugin import bench_of

#: which station connector an adapter fits (its plug side)
ADAPTER_FITS = {"J3400-to-CCS1": "cNACS", "CCS1-to-J3400": "cCCS1"}


@dataclass(frozen=True, repr=False)
class Plug:
    evse: int
    connector: int
    connector_type: str  # the station's connector
    adapter: str | None = None

    def __str__(self) -> str:
        name = {"cCCS1": "CCS1", "cNACS": "NACS"}.get(self.connector_type, self.connector_type)
        return f"{name} via {self.adapter}" if self.adapter else name

    # Allure records a parameter as its repr(): the label, so the report, the summary and the
    # interop matrix all name the configuration the same way.
    __repr__ = __str__


def plugs(bench: Bench) -> list[Plug]:
    found: dict[str, Plug] = {}
    for evse_id, connector in bench.station.connectors():
        found.setdefault(connector.type, Plug(evse_id, connector.id, connector.type))
    configs = list(found.values())
    for adapter in bench.ev.adapters:
        base = found.get(ADAPTER_FITS[adapter])
        if base is not None:
            configs.append(Plug(base.evse, base.connector, base.connector_type, adapter))
    return configs


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "plug" in metafunc.fixturenames:
        configs = plugs(bench_of(metafunc.config))
        metafunc.parametrize("plug", configs, ids=[str(c) for c in configs])
