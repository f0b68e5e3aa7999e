"""Allure labels for an OCTT test case, from the catalogue, so reports group like the spec.

The block becomes the feature, each certification profile an epic, each use case a story;
the OCTT id is the ``as_id`` label the certification summary keys on. Requirement ids are
pulled out of the catalogue's free text ("A00.FR.304 AND B01.FR.01", "C01.FR.02 OR ...")
and written one way ("C09_FR_02" -> "C09.FR.02").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from harness import catalog

# "A00.FR.204", and the catalogue's variants "C09_FR_02", "002.FR.02", "001_FR_01".
_REQUIREMENT = re.compile(r"\b([A-Z]?\d{2,3})[._]FR[._](\d+)")
_USE_CASE_SEP = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class CaseLabels:
    """What the report shows for one case: labels (name, value), title, requirement ids."""

    labels: tuple[tuple[str, str], ...]
    title: str
    requirements: tuple[str, ...]


def requirement_ids(case: catalog.TestCase) -> tuple[str, ...]:
    """The case's functional-requirement ids in catalogue order; the raw text if none parse."""
    found: dict[str, None] = {}
    for text in case.requirements:
        for prefix, number in _REQUIREMENT.findall(text):
            found.setdefault(f"{prefix}.FR.{number}", None)
    return tuple(found) or tuple(r for r in case.requirements if r.lower() != "n/a")


def case_profiles(case: catalog.TestCase) -> tuple[str, ...]:
    """Profiles the case appears in: the profiles column, then any only in applicability."""
    seen = dict.fromkeys([*case.profiles, *case.applicability])
    return tuple(seen)


def allure_labels(octt_id: str, version: str = "2.0.1") -> CaseLabels:
    """Labels, title and requirements of ``octt_id``; KeyError for an id not in the catalogue."""
    cases = catalog.load(version)
    case = cases.get(octt_id)
    if case is None:
        # "tc_b_1_cs" is a typo for TC_B_01_CS: suggest that before the fuzzy matches.
        padded = re.sub(r"_(\d)(?=_|$)", r"_0\1", octt_id.upper())
        near = [padded] if padded in cases else []
        near += [c for c in difflib.get_close_matches(octt_id, list(cases), n=3) if c not in near]
        hint = f"; did you mean {', '.join(near)}?" if near else ""
        raise KeyError(f"{octt_id!r} is not an OCTT test case of OCPP {version}{hint}")
    labels: list[tuple[str, str]] = [
        ("as_id", case.id),
        ("feature", case.feature),
    ]
    labels += [("epic", f"OCPP {version} {profile}") for profile in case_profiles(case)]
    stories = dict.fromkeys(
        part for text in case.use_cases for part in _USE_CASE_SEP.split(text) if part
    )
    labels += [("story", story) for story in stories]
    mandatory = any(kind == "M" for kind in case.applicability.values())
    labels.append(("tag", "mandatory" if mandatory else "conditional"))
    return CaseLabels(tuple(labels), f"{case.id} {case.name}", requirement_ids(case))
