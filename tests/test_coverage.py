"""Coverage: octt markers are found in every form, and counted against the catalogue."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from harness import catalog
from harness.catalog import TestCase
from harness.coverage import CoverageError, compute, format_text, scan

SUITE = '''
import pytest
from pytest import mark
octt = pytest.mark.octt

pytestmark = [pytest.mark.octt("TC_A_01_CS")]

@pytest.mark.octt("TC_B_01_CS", "TC_B_02_CS")
@pytest.mark.timeout(5)
async def test_boot():
    """Mentions pytest.mark.octt("TC_Z_99_CS") in a docstring: not a marker."""

@mark.octt("TC_C_01_CS")
def test_auth():
    pass

@pytest.mark.parametrize("x", [
    pytest.param(1, marks=pytest.mark.octt("TC_E_01_CS")),
    pytest.param(2, marks=[pytest.mark.octt("TC_E_02_CS"), pytest.mark.slow]),
])
def test_tx(x):
    pass

@octt("TC_F_01_CS")
def test_alias():
    pass

class TestGroup:
    pytestmark = pytest.mark.octt(["TC_G_01_CS", "TC_G_02_CS"])

    def test_it(self):
        pytest.mark.other("TC_H_01_CS")  # another marker: ignored
'''


def case(cid: str, **applicability: str) -> TestCase:
    profiles = {k.replace("_", " "): v for k, v in applicability.items()}
    return TestCase(id=cid, sut="CSMS" if cid.endswith("CSMS") else "CS", block=cid[3],
                    name=cid, use_cases=(), requirements=(), profiles=tuple(profiles),
                    applicability=profiles, features="")


CATALOGUE = {c.id: c for c in [
    case("TC_A_01_CS", Core="M"),
    case("TC_B_01_CS", Core="M"),
    case("TC_B_02_CS", Core="C"),
    case("TC_B_03_CS", Core="M"),
    case("TC_C_01_CS", Core="C", Smart_Charging="M"),
    case("TC_E_01_CS", Smart_Charging="M"),
    case("TC_E_02_CS", Smart_Charging="C"),
    case("TC_F_01_CS", Core="M"),
    case("TC_G_01_CS", Core="M"),
    case("TC_G_02_CS", Core="C"),
    case("TC_K_01_CS", Smart_Charging="M"),
    case("TC_B_01_CSMS", Core="M"),
]}


@pytest.fixture
def suites(tmp_path: Path) -> Path:
    root = tmp_path / "suites"
    (root / "ocpp201").mkdir(parents=True)
    (root / "ocpp201" / "test_core.py").write_text(textwrap.dedent(SUITE))
    (root / "ocpp201" / "helpers.py").write_text('import pytest\npytest.mark.octt("TC_K_01_CS")\n')
    (root / "other_test.py").write_text(
        'import pytest\n@pytest.mark.octt("TC_B_03_CS", "TC_B_01_CSMS", "TC_X_99_CS")\n'
        'def test_x(): pass\n')
    return root


def test_scan_finds_every_marker_form(suites: Path) -> None:
    files, uses = scan(suites)
    assert files == 2  # helpers.py is not a test file
    ids = sorted(u.case_id for u in uses)
    assert ids == sorted(["TC_A_01_CS", "TC_B_01_CS", "TC_B_02_CS", "TC_C_01_CS", "TC_E_01_CS",
                          "TC_E_02_CS", "TC_F_01_CS", "TC_G_01_CS", "TC_G_02_CS",
                          "TC_B_03_CS", "TC_B_01_CSMS", "TC_X_99_CS"])
    where = {u.case_id: u.line for u in uses}
    assert where["TC_A_01_CS"] == 6 and where["TC_B_01_CS"] == 8


def test_compute_counts_per_profile(suites: Path) -> None:
    report = compute(suites, CATALOGUE)
    by = {p.profile: p for p in report.profiles}
    core, smart = by["Core"], by["Smart Charging"]
    assert (len(core.mandatory_done), len(core.mandatory)) == (5, 5)
    assert (len(core.conditional_done), len(core.conditional)) == (3, 3)
    assert (len(smart.mandatory_done), len(smart.mandatory)) == (2, 3)
    assert smart.missing_mandatory == ["TC_K_01_CS"]  # only named outside a test file
    assert (len(smart.conditional_done), len(smart.conditional)) == (1, 1)
    # a CSMS-side case and a typo are reported, not counted
    assert sorted(u.case_id for u in report.unknown) == ["TC_B_01_CSMS", "TC_X_99_CS"]


def test_text_lists_missing_mandatory_and_optionally_all(suites: Path) -> None:
    (suites / "other_test.py").unlink()
    report = compute(suites, CATALOGUE)
    text = format_text(report)
    assert "Core: missing mandatory (1):" in text and "TC_B_03_CS" in text
    assert "missing conditional" not in text
    full = format_text(report, all_missing=True)
    assert "Smart Charging: missing mandatory (1):" in full


def test_text_names_unknown_ids_with_location(suites: Path) -> None:
    text = format_text(compute(suites, CATALOGUE))
    assert "TC_X_99_CS" in text and "other_test.py:2" in text


def test_json_output(suites: Path) -> None:
    data = json.loads(json.dumps(compute(suites, CATALOGUE).to_json()))
    core = next(p for p in data["profiles"] if p["profile"] == "Core")
    assert core["mandatory"] == {"implemented": 5, "total": 5, "missing": []}
    assert "TC_B_03_CS" in data["implemented"]
    assert {u["id"] for u in data["unknown_ids"]} == {"TC_B_01_CSMS", "TC_X_99_CS"}


def test_real_catalogue_totals_match_the_catalogue(tmp_path: Path) -> None:
    report = compute(tmp_path)
    cases = [c for c in catalog.load().values() if c.sut == "CS"]
    core = next(p for p in report.profiles if p.profile == "Core")
    assert len(core.mandatory) == sum(c.applicability.get("Core") == "M" for c in cases)
    assert core.mandatory_done == [] and report.files == 0


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "test_bad.py").write_text("def test(:\n")
    with pytest.raises(CoverageError, match=r"test_bad\.py: cannot parse"):
        scan(tmp_path)


def test_missing_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CoverageError, match="not a directory"):
        scan(tmp_path / "nope")
