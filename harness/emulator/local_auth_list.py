"""The Local Authorization List of the emulated station (OCPP 2.0.1 D01, D02, C13, C14).

A versioned table idToken -> IdTokenInfo, replaced by a full SendLocalList and changed by a
differential one. Non-volatile: it lives on the station object, which survives reboots
(D01.FR.10), like the device model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def token_key(id_token: dict[str, Any]) -> tuple[str, str]:
    """IdTokens match on value and type; the value case-insensitively (C01 / C13)."""
    return str(id_token.get("idToken", "")).lower(), str(id_token.get("type", ""))


@dataclass
class LocalAuthList:
    version: int = 0
    entries: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def lookup(self, id_token: dict[str, Any]) -> dict[str, Any] | None:
        """The IdTokenInfo the list holds for ``id_token``, or None when it is not listed."""
        return self.entries.get(token_key(id_token))

    def apply(self, request: dict[str, Any], *, ignore_differential: bool = False,
              keep_version: bool = False, ignore_version_check: bool = False,
              merge_full: bool = False) -> str:
        """Apply a SendLocalListRequest; return the SendLocalListResponse status.

        Full: the list is replaced (D01.FR.15), an empty list clears it (D01.FR.04).
        Differential: entries with idTokenInfo are added or updated (D01.FR.16), entries
        without it removed (D01.FR.17), an empty one changes only the version (D01.FR.05);
        a version not above the current one is a VersionMismatch (D01.FR.19).
        The keyword flags are quirks of the emulated station.
        """
        version = int(request.get("versionNumber", 0))
        items = list(request.get("localAuthorizationList") or [])
        if request.get("updateType") == "Full":
            if not keep_version:
                self.version = version
            new = {token_key(i["idToken"]): dict(i["idTokenInfo"])
                   for i in items if i.get("idTokenInfo")}
            self.entries = {**self.entries, **new} if merge_full and items else new
            return "Accepted"
        if version <= self.version and not ignore_version_check:
            return "VersionMismatch"
        if not ignore_differential:
            for item in items:
                key = token_key(item["idToken"])
                if item.get("idTokenInfo"):
                    self.entries[key] = dict(item["idTokenInfo"])
                else:
                    self.entries.pop(key, None)
        if not keep_version:
            self.version = version
        return "Accepted"
