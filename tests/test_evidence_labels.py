"""Allure labels come from the OCTT catalogue."""

from __future__ import annotations

import pytest

from harness.evidence.labels import allure_labels


def test_labels_of_a_core_case() -> None:
    info = allure_labels("TC_A_01_CS")
    assert info.title == "TC_A_01_CS Basic Authentication - Valid username/password combination"
    assert info.labels == (
        ("as_id", "TC_A_01_CS"), ("feature", "A Security"), ("epic", "OCPP 2.0.1 Core"),
        ("story", "A00"), ("story", "B01"), ("tag", "mandatory"))
    # "A00.FR.304 AND B01.FR.01" in the catalogue is two requirements.
    assert "A00.FR.304" in info.requirements and "B01.FR.01" in info.requirements
    assert all(" " not in r for r in info.requirements)


def test_a_case_in_two_profiles_gets_two_epics() -> None:
    info = allure_labels("TC_A_11_CS")  # use cases "A02 & F06"
    assert ("story", "A02") in info.labels and ("story", "F06") in info.labels
    epics = [v for k, v in info.labels if k == "epic"]
    assert epics == ["OCPP 2.0.1 Advanced Security"]
    smart = [v for k, v in allure_labels("TC_K_01_CS").labels if k == "epic"]
    assert smart == ["OCPP 2.0.1 ISO 15118 Support", "OCPP 2.0.1 Smart Charging"]


def test_requirement_id_variants_are_normalised() -> None:
    assert allure_labels("TC_O_02_CS").requirements[0] == "003.FR.01"  # "003_FR_01"
    assert all(".FR." in r for r in allure_labels("TC_C_09_CS").requirements)


def test_conditional_case_is_tagged_so() -> None:
    assert ("tag", "conditional") in allure_labels("TC_E_01_CS").labels


def test_unknown_id_names_the_likely_one() -> None:
    with pytest.raises(KeyError, match=r"'tc_b_1_cs' is not an OCTT test case.*TC_B_01_CS"):
        allure_labels("tc_b_1_cs")
