"""How the emulated station decides on an idToken at its reader (block C): the Local
Authorization List (C13, C14), the Authorization Cache (C10-C12, lifetime and expiry), the
CSMS's Authorize, offline rules (C15), GroupId stops (C09) and the Master Pass (C16).

A mixin of :class:`~harness.emulator.station.EmulatedStation`, like the transaction engine
and the reservations: it reads the station's device model, EVSEs and quirks, and starts or
stops through the transaction engine (``authorize``, ``_evaluate``).
"""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.emulator.config import StationConfig
    from harness.emulator.device_model import DeviceModel
    from harness.emulator.evse import Evse
    from harness.emulator.local_auth_list import LocalAuthList


class Authorization:
    """The reader and what decides on an idToken (see the module docstring)."""

    dm: DeviceModel
    config: StationConfig
    evses: dict[int, Evse]
    quirks: set[str]
    local_list: LocalAuthList
    registration: str | None
    _online: bool
    auth_cache: dict[str, dict[str, Any]]  # non-volatile (C10.FR.02)
    _cache_used: dict[str, float]  # idToken -> last stored or used (C10.FR.08)
    _token_groups: dict[str, str]  # idToken -> groupIdToken the CSMS gave (C09)
    _master_pass_screen: bool  # option master_pass_ui: the C16.FR.01 screen is up

    async def present_id_token(self, id_token: str, type: str = "ISO14443",
                               evse: int | None = None) -> None:
        """An RFID card at the reader: stop a transaction it owns, else authorize (C01)."""
        token = {"idToken": id_token, "type": type}
        for e in self.evses.values():
            if e.tx is not None and e.tx.id_token and e.tx.id_token.get("idToken") == id_token:
                # E07: the energy transfer stops; the transaction ends if TxStopPoint says so.
                e.id_token = None
                self._evaluate(e, "StopAuthorized", "Local")
                return
        target = self.evses[evse] if evse is not None else next(
            (e for e in self.evses.values() if (e.plugged is not None and e.tx is None)
             or (e.tx is not None and e.id_token is None)),
            next(iter(self.evses.values())))
        info = await self._authorization_info(token)
        status = str(info.get("status", "Invalid"))
        if self._master_pass(info):
            return
        if self._stop_by_group(token, info):
            return
        if status != "Accepted" and not ("only_invalid_refused" in self.quirks
                                         and status != "Invalid"):
            return  # C01.FR.02: not authorized, no charging
        if target.tx is not None and target.id_token is not None \
                and "different_token_takes_over" not in self.quirks:
            # C01 / E07: a transaction is stopped by its own idToken or one of its group only;
            # another driver's valid badge neither stops nor takes it over.
            self.on_event(f"EVSE {target.id} is in use: {id_token} is not its idToken")
            return
        self.authorize(target, token, "Authorized")

    def _master_pass(self, info: dict[str, Any]) -> bool:
        """C16: an Accepted idToken of group AuthCtrlr.MasterPassGroupId never starts a
        transaction (C16.FR.03). Without a UI it stops every ongoing one (C16.FR.02,
        stoppedReason MasterPass); with one (option ``master_pass_ui``) it shows the Master
        Pass screen where the user picks what to stop (C16.FR.01, :meth:`master_pass_select`)."""
        group = (info.get("groupIdToken") or {}).get("idToken")
        master = ""
        with contextlib.suppress(KeyError):
            master = self.dm.get("AuthCtrlr", "MasterPassGroupId")
        if (not group or not master or group != master or info.get("status") != "Accepted"
                or "master_pass_starts_tx" in self.quirks):
            return False
        if self.config.options.get("master_pass_ui", False):
            self._master_pass_screen = True
            self.on_event("Master Pass screen shown: choose the transactions to stop")
            return True
        self._master_pass_stop(0)
        return True

    def _master_pass_stop(self, evse: int) -> None:
        for e in self.evses.values():
            if e.tx is not None and e.id_token is not None and evse in (0, e.id):
                e.id_token = None
                self._evaluate(e, "StopAuthorized", "MasterPass")
                if "master_pass_stops_one" in self.quirks:
                    break

    async def master_pass_select(self, evse: int) -> None:
        """The bench action: on the Master Pass screen, stop the transaction of ``evse``
        (0: all of them). Without the screen up nothing happens."""
        if not self._master_pass_screen:
            self.on_event("no Master Pass screen is shown: the selection does nothing")
            return
        self._master_pass_screen = False
        self._master_pass_stop(evse)

    def _group_of(self, token: dict[str, Any]) -> str | None:
        """The groupIdToken the list or the cache knows for ``token`` (C09)."""
        info = self._listed(token) or self.auth_cache.get(token.get("idToken", "")) or {}
        return (info.get("groupIdToken") or {}).get("idToken")

    def _stop_by_group(self, token: dict[str, Any], info: dict[str, Any]) -> bool:
        """C09.FR.02 / C09.FR.07: an Accepted idToken of the same group as the one that
        started a transaction stops it."""
        group = (info.get("groupIdToken") or {}).get("idToken")
        if not group or (info.get("status") != "Accepted"
                         and "group_stop_ignores_status" not in self.quirks):
            return False
        if not (self._online and self.registration == "Accepted") \
                and "offline_group_stop_ignored" in self.quirks:
            return False
        for e in self.evses.values():
            owner = e.tx.id_token if e.tx is not None else None
            # The owner's group: from the list or the cache, else the CSMS's answer that
            # authorized it (a station without cache still knows its transaction's group).
            if owner and (self._group_of(owner)
                          or self._token_groups.get(owner.get("idToken", ""))) == group:
                e.id_token = None
                self._evaluate(e, "StopAuthorized", "Local")
                return True
        return False

    def _listed(self, token: dict[str, Any]) -> dict[str, Any] | None:
        """The token's entry in the Local Authorization List, when that is enabled."""
        with contextlib.suppress(KeyError):
            if self.dm.get_bool("LocalAuthListCtrlr", "Enabled"):
                return self.local_list.lookup(token)
        return None

    async def _authorize_remote(self, token: dict[str, Any]) -> str:
        return str((await self._authorization_info(token)).get("status", "Invalid"))

    async def _authorization_info(self, token: dict[str, Any]) -> dict[str, Any]:
        """The IdTokenInfo that decides: the Local Authorization List (C13, C14), the CSMS's
        Authorize, or offline the authorization cache."""
        listed = self._listed(token)
        online = self._online and self.registration == "Accepted"
        if (online and listed is not None and listed.get("status") == "Accepted"
                and self.dm.get_bool("AuthCtrlr", "LocalPreAuthorize")
                and "local_list_ignored_online" not in self.quirks):
            return listed  # C14.FR.02: authorized from the list, no Authorize
        if (online and listed is not None and self.dm.get_bool("AuthCtrlr", "LocalPreAuthorize")
                and self.dm.get_bool("LocalAuthListCtrlr", "DisablePostAuthorize")
                and "post_authorize_not_disabled" not in self.quirks):
            return listed  # C14.FR.03: with DisablePostAuthorize the list's status stands
        if (not online and listed is not None
                and self.dm.get_bool("AuthCtrlr", "LocalAuthorizeOffline")
                and "local_list_ignored_offline" not in self.quirks):
            return listed  # C13.FR.01: the list before the cache
        cached = self.cache_entry(token)
        if online and cached is not None and listed is None and (
                self.dm.get_bool("AuthCtrlr", "LocalPreAuthorize")
                or "cache_used_without_pre_authorize" in self.quirks):
            if cached.get("status") == "Accepted" and "cache_ignored_online" not in self.quirks:
                self._cache_used[token["idToken"]] = time.monotonic()
                return cached  # C12.FR.02: authorized from the cache, no Authorize
            if cached.get("status") != "Accepted" and (
                    (self.dm.get_bool("AuthCacheCtrlr", "DisablePostAuthorize")
                     and "cache_post_authorize_not_disabled" not in self.quirks)
                    or "cache_rejects_without_authorize" in self.quirks):
                return cached  # AuthCacheCtrlr.DisablePostAuthorize: the cached status stands
        if online and self.dm.get_bool("AuthCtrlr", "DisableRemoteAuthorization") \
                and "remote_authorization_not_disabled" not in self.quirks:
            # OCTT C-58: no AuthorizeRequest; the list or the cache decides, else not valid.
            return dict(listed or cached or {"status": "Invalid"})
        if online:
            msg = self.send("Authorize", {"idToken": token})
            reply = await msg.future
            if reply is not None:
                info = dict(reply.get("idTokenInfo", {}))
                group = (info.get("groupIdToken") or {}).get("idToken")
                if group:
                    self._token_groups[token["idToken"]] = group
                if not (cached is not None and "cache_not_updated_on_authorize" in self.quirks):
                    self.cache_store(token, info)  # C10.FR.01, C10.FR.04
                info.setdefault("status", "Invalid")
                return info
        if cached and self.dm.get_bool("AuthCtrlr", "LocalAuthorizeOffline"):
            self._cache_used[token["idToken"]] = time.monotonic()
            return cached
        if (not online and listed is None and cached is None
                and self.dm.get_bool("AuthCtrlr", "OfflineTxForUnknownIdEnabled")
                and "offline_unknown_id_rejected" not in self.quirks):
            return {"status": "Accepted"}  # C15.FR.02: unknown offline authorization
        return {"status": "Invalid"}

    # ---- the Authorization Cache (C10, C11, C12) ------------------------------------------
    def cache_store(self, token: dict[str, Any], info: dict[str, Any]) -> None:
        """Store or update ``token``'s IdTokenInfo (C10.FR.01). Kept also while the cache is
        disabled (the group of a transaction's owner is looked up here, C09); authorization
        reads it through :meth:`cache_entry` only while AuthCacheCtrlr.Enabled."""
        self.auth_cache[token["idToken"]] = info
        self._cache_used[token["idToken"]] = time.monotonic()

    def cache_entry(self, token: dict[str, Any]) -> dict[str, Any] | None:
        """The token's cache entry: None when the cache is disabled, the token unknown or not
        used for AuthCacheCtrlr.LifeTime (removed, C10.FR.08); status Expired past its
        cacheExpiryDateTime."""
        key = token.get("idToken", "")
        with contextlib.suppress(KeyError):
            if not self.dm.get_bool("AuthCacheCtrlr", "Enabled"):
                return None
        info = self.auth_cache.get(key)
        if info is None:
            return None
        with contextlib.suppress(KeyError, ValueError):
            lifetime = self.dm.get_int("AuthCacheCtrlr", "LifeTime")
            used = self._cache_used.get(key)
            if (used is not None and time.monotonic() - used > lifetime
                    and "auth_cache_lifetime_ignored" not in self.quirks):
                del self.auth_cache[key]
                self._cache_used.pop(key, None)
                return None
        expiry = info.get("cacheExpiryDateTime")
        if expiry:
            with contextlib.suppress(ValueError):
                if datetime.fromisoformat(expiry.replace("Z", "+00:00")) < datetime.now(UTC):
                    return {**info, "status": "Expired"}
        return info
