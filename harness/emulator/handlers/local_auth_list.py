"""Block D, Local Authorization List management: SendLocalList (D01), GetLocalListVersion (D02)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import handles

if TYPE_CHECKING:
    from harness.emulator.station import EmulatedStation


def _enabled(st: EmulatedStation) -> bool:
    return st.dm.get_bool("LocalAuthListCtrlr", "Enabled")


@handles("SendLocalList")
async def send_local_list(st: EmulatedStation, p: dict[str, Any]) -> dict[str, Any]:
    if not _enabled(st):
        return {"status": "Failed", "statusInfo": {"reasonCode": "Disabled"}}
    items = list(p.get("localAuthorizationList") or [])
    per_message = st.dm.get_int("LocalAuthListCtrlr", "ItemsPerMessage")
    per_bytes = st.dm.get_int("LocalAuthListCtrlr", "BytesPerMessage")
    if len(items) > per_message or len(json.dumps(p)) > per_bytes:
        return {"status": "Failed", "statusInfo": {"reasonCode": "TooLarge"}}
    status = st.local_list.apply(
        p,
        ignore_differential="local_list_differential_ignored" in st.quirks,
        keep_version="local_list_version_not_updated" in st.quirks,
        ignore_version_check="local_list_accepts_old_version" in st.quirks,
        merge_full="local_list_full_merges" in st.quirks,
    )
    st.dm.put("LocalAuthListCtrlr", "Entries", str(len(st.local_list.entries)))
    return {"status": status}


@handles("GetLocalListVersion")
async def get_local_list_version(st: EmulatedStation, p: dict[str, Any]) -> dict[str, Any]:
    # D02.FR.02 / D02.FR.03: 0 when there is no list, or the function is disabled.
    if not _enabled(st):
        return {"versionNumber": 0}
    return {"versionNumber": st.local_list.version}
