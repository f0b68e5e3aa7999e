"""The Local Auth List Management profile of a 1.6 charge point (OCPP 1.6 sections 3.5, 5.10,
5.15): SendLocalList and GetLocalListVersion over the shared list of
:mod:`harness.emulator.handlers.local_auth_list`. What 1.6 says differently: entries are
``idTag`` + ``idTagInfo``, a charge point without the profile answers -1 / NotSupported, an
empty list is version 0, and a list beyond LocalAuthListMaxLength fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.emulator.handlers.registry import Result
from harness.emulator.local_auth_list import LocalAuthList
from harness.emulator.ocpp16 import translate
from harness.emulator.ocpp16.handlers.registry import handles16, shared

if TYPE_CHECKING:
    from harness.emulator.ocpp16.station import EmulatedStation16

PROFILE = "LocalAuthListManagement"
# 1.6 has no idToken type; the station's readers and RemoteStartTransaction say ISO14443.
TOKEN_TYPE = "ISO14443"


def authorization_data(item: dict[str, Any]) -> dict[str, Any]:
    """AuthorizationData (1.6: idTag + idTagInfo) -> AuthorizationData (2.0.1: idToken +
    idTokenInfo). Without idTagInfo the entry removes the idTag (differential update)."""
    out: dict[str, Any] = {"idToken": {"idToken": item["idTag"], "type": TOKEN_TYPE}}
    if item.get("idTagInfo"):
        out["idTokenInfo"] = translate.id_token_info(item["idTagInfo"])
    return out


def send_local_list_request(p: dict[str, Any], *, differential_as_full: bool = False
                            ) -> dict[str, Any]:
    """SendLocalList.req (1.6) -> SendLocalListRequest (2.0.1). ``differential_as_full`` is
    the defect of a charge point that replaces its whole list on a differential update."""
    update = p["updateType"]
    out: dict[str, Any] = {"versionNumber": int(p["listVersion"]),
                           "updateType": "Full" if differential_as_full else update}
    items = [authorization_data(i) for i in p.get("localAuthorizationList") or []]
    if items:
        out["localAuthorizationList"] = items
    return out


def profile_supported(st: EmulatedStation16, profile: str) -> bool:
    supported = st.configuration.read(st, "SupportedFeatureProfiles") or {}
    return profile in str(supported.get("value", "")).split(",")


def _max_length(st: EmulatedStation16) -> int | None:
    entry = st.configuration.read(st, "LocalAuthListMaxLength")
    return int(entry["value"]) if entry is not None else None


@handles16("SendLocalList")
async def send_local_list(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    if not profile_supported(st, PROFILE):
        return {"status": "NotSupported"}  # 1.6 section 5.15
    request = send_local_list_request(
        p, differential_as_full="local_list_differential_replaces_16" in st.quirks)
    capacity = _max_length(st)
    if capacity is not None and "local_list_overfull_accepted_16" not in st.quirks:
        trial = LocalAuthList(st.local_list.version, dict(st.local_list.entries))
        if trial.apply(request) == "Accepted" and len(trial.entries) > capacity:
            st.on_event(f"SendLocalList: {len(trial.entries)} entries would exceed "
                        f"LocalAuthListMaxLength {capacity}")
            return {"status": "Failed"}
    before = st.local_list.version
    result = await shared(st, "SendLocalList", request)
    if "local_list_version_not_updated_16" in st.quirks:
        st.local_list.version = before
    payload = result[0] if isinstance(result, tuple) else result
    return {"status": payload["status"]}  # Accepted, Failed, VersionMismatch: same words


@handles16("GetLocalListVersion")
async def get_local_list_version(st: EmulatedStation16, p: dict[str, Any]) -> Result:
    # 1.6 section 5.10: -1 without Local Authorization List support, 0 for an empty list.
    if not profile_supported(st, PROFILE):
        return {"listVersion": -1}
    result = await shared(st, "GetLocalListVersion", {})
    payload = result[0] if isinstance(result, tuple) else result
    return {"listVersion": payload["versionNumber"] if st.local_list.entries else 0}
