"""Derived emulated benches: the default 2.0.1 or 1.6 bench with other feature claims,
profiles, emulator options or CSMS settings, for the cases whose station must be the other
variant (OCTT "NOT C-xx", a fixed cable, FTP only, no Local Auth List ...)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.quirk_runner import BENCH_16, ROOT, run_cases

BENCH_201 = ROOT / "fixtures" / "benches" / "emulated.yaml"
__all__ = ["BENCH_16", "BENCH_201", "derived_bench", "outcomes"]


def derived_bench(tmp_path: Path, drop: Iterable[str] = (), add: Iterable[str] = (),
                  options: dict[str, Any] | None = None, *, drop_profiles: Iterable[str] = (),
                  base: Path = BENCH_201, csms: dict[str, Any] | None = None) -> Path:
    """``base`` without the features ``drop`` (and profiles ``drop_profiles``), with ``add``,
    ``options`` on top of its emulator options and ``csms`` on top of its csms section."""
    drop, add, drop_profiles = set(drop), list(add), set(drop_profiles)
    data = yaml.safe_load(base.read_text())
    station = data["station"]
    station["profiles"] = [p for p in station.get("profiles") or [] if p not in drop_profiles]
    station["features"] = [f for f in station.get("features") or []
                           if f not in drop and f not in add] + add
    emulator = data.get("emulator") or {}
    data["emulator"] = {**emulator, "options": {**(emulator.get("options") or {}), **(options or {})}}
    data["csms"] = {**(data.get("csms") or {}), **(csms or {})}
    path = tmp_path / f"{base.stem}-variant-{len(list(tmp_path.glob(f'{base.stem}-variant-*')))}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def outcomes(pytester: pytest.Pytester, bench: Path, cases: list[str]) -> dict[str, str]:
    """Each case's outcome on ``bench``, by test function name."""
    return {o.nodeid.rsplit("::", 1)[-1]: o.outcome
            for o in run_cases(pytester, cases, [], "--bench", str(bench))}
