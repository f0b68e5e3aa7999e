"""Family name (as written in bench files) -> driver class, per role."""

from __future__ import annotations

from functools import cache


@cache
def families() -> dict[str, dict[str, type]]:
    from instruments.analyzer import FAMILIES as analyzers
    from instruments.load import FAMILIES as loads
    from instruments.relay import FAMILIES as relays
    from instruments.scope import FAMILIES as scopes

    return {"load": dict(loads), "scope": dict(scopes), "power_analyzer": dict(analyzers),
            "relay": dict(relays)}


def driver_class(role: str, family: str) -> type:
    known = families()[role]
    if family not in known:
        raise KeyError(f"no {role} driver for family {family!r}; known: {', '.join(sorted(known))}")
    return known[family]
