"""The OCPP 2.0.1 certification test-case catalogue, shipped with the package.

A copy of the team's ``shared/catalog/ocpp201_testcases.csv`` (users have no ``shared/``).
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

    @property
    def block_name(self) -> str:
        return BLOCKS.get(self.block, self.block)

    def mandatory_in(self, profile: str) -> bool:
        return self.applicability.get(profile) == "M"


def _split(text: str, sep: str = ",") -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(sep) if p.strip())


@functools.cache
def load(version: str = "2.0.1") -> dict[str, TestCase]:
    """All catalogue cases of ``version`` keyed by id (e.g. ``TC_B_01_CS``)."""
    if version != "2.0.1":
        raise KeyError(f"no catalogue for OCPP {version} yet")
    text = resources.files(__package__).joinpath("ocpp201_testcases.csv").read_text("utf-8")
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
            features=row["features"],
        )
    return cases


def profiles(version: str = "2.0.1") -> list[str]:
    seen: dict[str, None] = {}
    for case in load(version).values():
        for p in case.applicability:
            seen.setdefault(p, None)
    return list(seen)
