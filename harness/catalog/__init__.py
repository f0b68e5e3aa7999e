"""The OCPP certification test-case catalogues, shipped with the package.

``ocpp201_testcases.csv`` is a copy of the team's ``shared/catalog/ocpp201_testcases.csv``
(users have no ``shared/``). ``ocpp16_testcases.csv`` is the OCTT 1.6 Charge Point list
(ids and titles as OCTT 1.6 names them; ``block`` is the OCTT test group; ``use_cases`` are
OCPP 1.6 / Security Whitepaper ed.2 sections). OCPP 1.6 has no requirement ids and no public
PICS table, so its mandatory / conditional split is the harness's reading: a case is
conditional when it depends on an optional feature, which the ``features`` column names.
Ids do not collide between versions (``TC_B_01_CS`` against ``TC_001_CS``), so
:func:`find` looks a case up without knowing its version.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

BLOCKS = {
    "A": "Security", "B": "Provisioning", "C": "Authorization", "D": "LocalAuthList",
    "E": "Transactions", "F": "RemoteControl", "G": "Availability", "H": "Reservation",
    "I": "TariffAndCost", "J": "MeterValues", "K": "SmartCharging", "L": "FirmwareManagement",
    "M": "ISO15118CertificateManagement", "N": "Diagnostics", "O": "DisplayMessage",
    "P": "DataTransfer",
}


@dataclass(frozen=True)
class TestCase:
    """One OCTT test case: id, side under test, block, title, and where it is required."""

    __test__ = False  # not a pytest class

    id: str
    sut: str
    block: str
    name: str
    use_cases: tuple[str, ...]
    requirements: tuple[str, ...]
    profiles: tuple[str, ...]
    applicability: dict[str, str]  # profile -> "M" | "C"
    features: str
    version: str = "2.0.1"

    @property
    def block_name(self) -> str:
        return BLOCKS.get(self.block, self.block)

    @property
    def feature(self) -> str:
        """The report's feature: "B Provisioning" for 2.0.1, the OCTT group for 1.6."""
        return f"{self.block} {self.block_name}" if self.version == "2.0.1" else self.block

    def mandatory_in(self, profile: str) -> bool:
        return self.applicability.get(profile) == "M"


def _split(text: str, sep: str = ",") -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(sep) if p.strip())


FILES = {"2.0.1": "ocpp201_testcases.csv", "1.6": "ocpp16_testcases.csv"}
VERSIONS = tuple(FILES)


@functools.cache
def load(version: str = "2.0.1") -> dict[str, TestCase]:
    """All catalogue cases of ``version`` keyed by id (``TC_B_01_CS``, ``TC_001_CS``)."""
    if version not in FILES:
        raise KeyError(f"no catalogue for OCPP {version}; known: {', '.join(FILES)}")
    text = resources.files(__package__).joinpath(FILES[version]).read_text("utf-8")
    cases: dict[str, TestCase] = {}
    for row in csv.DictReader(text.splitlines()):
        applicability = {}
        for part in _split(row["applicability"], ";"):
            profile, _, kind = part.rpartition(":")
            applicability[profile] = kind
        cases[row["test_case_id"]] = TestCase(
            id=row["test_case_id"], sut=row["sut"], block=row["block"], name=row["name"],
            use_cases=_split(row["use_cases"]), requirements=_split(row["requirements"]),
            profiles=_split(row["profiles"], ";"), applicability=applicability,
            features=row["features"], version=version,
        )
    return cases


def find(case_id: str) -> TestCase | None:
    """The case ``case_id`` in whichever version's catalogue has it; None if none does."""
    for version in VERSIONS:
        case = load(version).get(case_id)
        if case is not None:
            return case
    return None


def profiles(version: str = "2.0.1") -> list[str]:
    seen: dict[str, None] = {}
    for case in load(version).values():
        for p in case.applicability:
            seen.setdefault(p, None)
    return list(seen)
