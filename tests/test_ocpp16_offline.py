"""The emulated 1.6 charge point's power-failure variants and offline logic
(harness/emulator/ocpp16/offline.py), and the 1.6 power-failure cases against both variants."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.emulator.config import StationConfig
from harness.emulator.ocpp16.station import EmulatedStation16
from tests.quirk_runner import BENCH_16, run_cases
from tests.variant_bench import derived_bench


def power_loss_bench(tmp_path: Path, features: list[str], options: dict[str, Any]) -> Path:
    """The emulated 1.6 bench with the power-failure features replaced and emulator options."""
    return derived_bench(tmp_path, ["StopTxBeforePowerDown", "StopTxAfterPowerUp"], features,
                         options, base=BENCH_16)


def outcomes_by_case(tmp_path: Path, pytester: pytest.Pytester, features: list[str],
                     options: dict[str, Any]) -> dict[str, str]:
    bench = power_loss_bench(tmp_path, features, options)
    outcomes = run_cases(pytester, ["TC_032_1_CS", "TC_032_2_CS"], [], "--bench", str(bench))
    return {("TC_032_1_CS" if "before_going_down" in o.nodeid else "TC_032_2_CS"): o.outcome
            for o in outcomes}


def test_stop_before_power_down_variant(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A charge point that stops its transactions before going down (emulator option
    power_loss_stop: before_power_down, feature StopTxBeforePowerDown) passes TC_032_1; the
    after-power-up case is skipped, as the feature is not claimed."""
    got = outcomes_by_case(tmp_path, pytester, ["StopTxBeforePowerDown"],
                           {"power_loss_stop": "before_power_down"})
    assert got == {"TC_032_1_CS": "passed", "TC_032_2_CS": "skipped"}


def test_power_failure_cases_tell_the_variants_apart(pytester: pytest.Pytester,
                                                     tmp_path: Path) -> None:
    """Each case fails against the other variant: a bench claiming the feature its charge
    point does not have is caught."""
    got = outcomes_by_case(tmp_path, pytester, ["StopTxBeforePowerDown", "StopTxAfterPowerUp"],
                           {"power_loss_stop": "before_power_down"})
    assert got == {"TC_032_1_CS": "passed", "TC_032_2_CS": "failed"}
    got = outcomes_by_case(tmp_path, pytester, ["StopTxBeforePowerDown", "StopTxAfterPowerUp"], {})
    assert got == {"TC_032_1_CS": "failed", "TC_032_2_CS": "passed"}


def test_power_loss_stop_option_is_checked() -> None:
    config = StationConfig(ocpp_version="1.6", evses={1: [(1, "cCCS1")]},
                           options={"power_loss_stop": "whenever"})
    with pytest.raises(ValueError, match="power_loss_stop: 'whenever' is not one of"):
        EmulatedStation16(config)


def station16() -> EmulatedStation16:
    return EmulatedStation16(StationConfig(ocpp_version="1.6", evses={1: [(1, "cCCS1")]}))


async def test_unknown_id_authorized_offline_only_when_allowed() -> None:
    st = station16()
    token = {"idToken": "NEVERSEEN", "type": "ISO14443"}
    assert (await st._authorization_info(token))["status"] == "Invalid"  # offline, not allowed
    st.configuration.local["AllowOfflineTxForUnknownId"] = ("true", False)
    assert (await st._authorization_info(token))["status"] == "Accepted"
    st.auth_cache["NEVERSEEN"] = {"status": "Blocked"}  # known: not unknown any more
    assert (await st._authorization_info(token))["status"] != "Accepted"


async def test_cached_id_used_online_with_local_pre_authorize() -> None:
    st = station16()
    st._online, st.registration = True, "Accepted"
    st.dm.put("AuthCtrlr", "LocalPreAuthorize", "true")
    st.auth_cache["CACHED"] = {"status": "Accepted"}
    info = await st._authorization_info({"idToken": "CACHED", "type": "ISO14443"})
    assert info == {"status": "Accepted"} and not st._queue, "no Authorize.req for a cached id"
    st.auth_cache["CACHED"] = {"status": "Accepted", "cacheExpiryDateTime": "2020-01-01T00:00:00Z"}
    assert st._cached({"idToken": "CACHED"}) is None, "an expired entry is not used"


async def test_clock_aligned_values_sent_during_transactions() -> None:
    # 1.6 section 4.7 has no SendDuringIdle: aligned values also during a transaction.
    assert station16().dm.get("AlignedDataCtrlr", "SendDuringIdle") == "false"
