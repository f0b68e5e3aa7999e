"""Block L cases that need the other kind of station: one that cannot cancel a firmware
update in progress (OCTT NOT C-60, emulator option ``firmware_cancel: false``, TC_L_11_CS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.variant_bench import derived_bench, outcomes

CANCEL = {"test_secure_firmware_update_accepted_canceled": "TC_L_10_CS",
          "test_secure_firmware_update_unable_to_cancel": "TC_L_11_CS"}


def test_station_that_cannot_cancel_an_update(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """NOT C-60 claimed on a station built without cancel: TC_L_11 passes, TC_L_10 skips."""
    bench = derived_bench(tmp_path, ["FirmwareUpdateCancel"], ["NoFirmwareUpdateCancel"],
                          {"firmware_cancel": False})
    got = {CANCEL[k]: v for k, v in outcomes(pytester, bench, list(CANCEL.values())).items()}
    assert got == {"TC_L_10_CS": "skipped", "TC_L_11_CS": "passed"}


def test_cancel_cases_tell_the_variants_apart(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """Both claimed: each case fails on the station of the other variant."""
    both = ["FirmwareUpdateCancel", "NoFirmwareUpdateCancel"]
    for options, expected in (({"firmware_cancel": False}, ("failed", "passed")),
                              ({}, ("passed", "failed"))):
        bench = derived_bench(tmp_path, [], both, options)
        got = {CANCEL[k]: v for k, v in outcomes(pytester, bench, list(CANCEL.values())).items()}
        assert got == dict(zip(("TC_L_10_CS", "TC_L_11_CS"), expected, strict=True)), options


DURING_TX = {"test_update_waits_for_transaction_no_download_new_sessions": "TC_L_12_CS",
             "test_update_waits_for_transaction_no_download": "TC_L_13_CS",
             "test_update_installs_after_transaction_new_sessions": "TC_L_14_CS",
             "test_update_installs_after_transaction": "TC_L_15_CS",
             "test_update_during_transaction": "TC_L_16_CS"}
TX_FEATURES = ["FirmwareInstallDuringTransaction", "NoFirmwareInstallDuringTransaction",
               "FirmwareDownloadDuringTransaction", "NoFirmwareDownloadDuringTransaction"]


def during_tx(pytester: pytest.Pytester, tmp_path: Path, features: list[str],
              options: dict[str, bool]) -> dict[str, str]:
    bench = derived_bench(tmp_path, TX_FEATURES, features, options)
    return {DURING_TX[k]: v
            for k, v in outcomes(pytester, bench, list(DURING_TX.values())).items()}


def test_station_that_cannot_download_while_charging(pytester: pytest.Pytester,
                                                     tmp_path: Path) -> None:
    """NOT AQ-7 (option firmware_download_during_tx: false): TC_L_12/13 pass, TC_L_14/15 and
    the C-43 case skip."""
    got = during_tx(pytester, tmp_path, ["NoFirmwareInstallDuringTransaction",
                                         "NoFirmwareDownloadDuringTransaction"],
                    {"firmware_download_during_tx": False})
    assert got == {"TC_L_12_CS": "passed", "TC_L_13_CS": "passed", "TC_L_14_CS": "skipped",
                   "TC_L_15_CS": "skipped", "TC_L_16_CS": "skipped"}


def test_station_that_installs_while_charging(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """C-43 (option firmware_install_during_tx: true): TC_L_16 passes, TC_L_12..15 skip."""
    got = during_tx(pytester, tmp_path, ["FirmwareInstallDuringTransaction"],
                    {"firmware_install_during_tx": True})
    assert got == {"TC_L_12_CS": "skipped", "TC_L_13_CS": "skipped", "TC_L_14_CS": "skipped",
                   "TC_L_15_CS": "skipped", "TC_L_16_CS": "passed"}


def test_during_tx_cases_tell_the_variants_apart(pytester: pytest.Pytester,
                                                 tmp_path: Path) -> None:
    """Claims that do not match the station fail: the default station (downloads while
    charging, installs after) fails the NOT AQ-7 cases and the C-43 case."""
    got = during_tx(pytester, tmp_path, TX_FEATURES, {})
    assert got == {"TC_L_12_CS": "failed", "TC_L_13_CS": "failed", "TC_L_14_CS": "passed",
                   "TC_L_15_CS": "passed", "TC_L_16_CS": "failed"}
