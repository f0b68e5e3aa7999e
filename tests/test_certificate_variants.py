"""Certificate cases whose station must be another variant: AdditionalRootCertificateCheck
(OCTT AS-2, emulator option ``additional_root_certificate_check``, TC_M_09_CS) and a station
without a Charging Station certificate (option ``no_station_certificate``, TC_A_21_CS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.variant_bench import derived_bench, outcomes


def test_additional_root_check_variant(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """TC_M_09_CS passes on a station that checks a new CSMS root against the installed one,
    fails on one that claims AS-2 but does not check, and skips where AS-2 is not claimed."""
    checked = derived_bench(tmp_path, [], ["AdditionalRootCertificateCheck"],
                            {"additional_root_certificate_check": True})
    assert list(outcomes(pytester, checked, ["TC_M_09_CS"]).values()) == ["passed"]
    unchecked = derived_bench(tmp_path, [], ["AdditionalRootCertificateCheck"], {})
    assert list(outcomes(pytester, unchecked, ["TC_M_09_CS"]).values()) == ["failed"]
    default = derived_bench(tmp_path, [], [], {})
    assert list(outcomes(pytester, default, ["TC_M_09_CS"]).values()) == ["skipped"]


def test_no_station_certificate_variant(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """TC_A_21_CS passes on a station built without a Charging Station certificate (option
    ``no_station_certificate``) and fails on one that has it: the case can fail."""
    for options, expected in (({"no_station_certificate": True}, "passed"), ({}, "failed")):
        bench = derived_bench(tmp_path, [], ["NoChargingStationCertificate"], options)
        assert list(outcomes(pytester, bench, ["TC_A_21_CS"]).values()) == [expected], options
