"""Catalogue coverage: which OCTT test cases the suites implement, per certification profile.

Suites are read with ``ast``, not imported: coverage must work on a checkout whose suites need
hardware or fail to import, and must not run module-level code. A test names its case with
``@pytest.mark.octt("TC_B_01_CS", ...)``, in ``pytestmark``, or in
``pytest.param(..., marks=pytest.mark.octt(...))``; each of those is a call of an ``octt``
mark, which is what :func:`scan` looks for.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import catalog


class CoverageError(ValueError):
    """A suite file cannot be read or parsed."""


@dataclass(frozen=True)
class MarkerUse:
    """One OCTT id named by an ``octt`` marker, and where."""

    case_id: str
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class ProfileCoverage:
    profile: str
    mandatory: list[str] = field(default_factory=list)
    conditional: list[str] = field(default_factory=list)
    implemented: set[str] = field(default_factory=set)

    @property
    def mandatory_done(self) -> list[str]:
        return [c for c in self.mandatory if c in self.implemented]

    @property
    def conditional_done(self) -> list[str]:
        return [c for c in self.conditional if c in self.implemented]

    @property
    def missing_mandatory(self) -> list[str]:
        return [c for c in self.mandatory if c not in self.implemented]

    @property
    def missing_conditional(self) -> list[str]:
        return [c for c in self.conditional if c not in self.implemented]

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "mandatory": {"implemented": len(self.mandatory_done), "total": len(self.mandatory),
                          "missing": self.missing_mandatory},
            "conditional": {"implemented": len(self.conditional_done),
                            "total": len(self.conditional),
                            "missing": self.missing_conditional},
        }


@dataclass
class CoverageReport:
    suites_dir: Path
    files: int
    uses: list[MarkerUse]
    profiles: list[ProfileCoverage]
    unknown: list[MarkerUse]  # ids not in the catalogue (typos) or not for the station side
    version: str = "2.0.1"

    @property
    def implemented(self) -> set[str]:
        return {u.case_id for u in self.uses} - {u.case_id for u in self.unknown}

    def to_json(self) -> dict[str, Any]:
        return {
            "ocpp_version": self.version,
            "suites_dir": str(self.suites_dir),
            "files_scanned": self.files,
            "implemented": sorted(self.implemented),
            "profiles": [p.to_json() for p in self.profiles],
            "unknown_ids": [{"id": u.case_id, "where": u.where()} for u in self.unknown],
        }


def default_suites_dir() -> Path:
    """The installed ``suites`` package (the repo's ``suites/`` in an editable install)."""
    spec = importlib.util.find_spec("suites")
    if spec is None or not spec.submodule_search_locations:
        raise CoverageError("the 'suites' package is not installed; pass --suites PATH")
    return Path(next(iter(spec.submodule_search_locations)))


def scan(suites_dir: Path) -> tuple[int, list[MarkerUse]]:
    """Every ``octt`` marker id in test files under ``suites_dir``: (files scanned, uses)."""
    if not suites_dir.is_dir():
        raise CoverageError(f"{suites_dir}: not a directory")
    files = sorted({*suites_dir.rglob("test_*.py"), *suites_dir.rglob("*_test.py")})
    uses: list[MarkerUse] = []
    for path in files:
        try:
            tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        except (OSError, UnicodeDecodeError, SyntaxError) as exc:
            raise CoverageError(f"{path}: cannot parse: {exc}") from exc
        uses.extend(MarkerUse(case_id, path, line) for case_id, line in octt_ids(tree))
    return len(files), uses


def octt_ids(tree: ast.AST) -> list[tuple[str, int]]:
    """(id, line) of each string argument of an ``octt`` mark call in ``tree``.

    A mark is ``<anything>.mark.octt(...)`` (``pytest.mark``, ``from pytest import mark``) or a
    name bound to one (``octt = pytest.mark.octt``), so aliases count as well.
    """
    aliases = {
        target.id
        for node in ast.walk(tree) if isinstance(node, ast.Assign) and _is_octt(node.value)
        for target in node.targets if isinstance(target, ast.Name)
    }
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if _is_octt(func) or (isinstance(func, ast.Name) and func.id in aliases):
            for arg in node.args:
                for s in _strings(arg):
                    found.append((s, node.lineno))
    return sorted(found, key=lambda f: f[1])


def _is_octt(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "octt"
            and isinstance(node.value, ast.Attribute | ast.Name)
            and (node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id)
            == "mark")


def _strings(node: ast.AST) -> Iterable[str]:
    """String constants of an argument, also inside a literal list/tuple (``octt(["a","b"])``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for elt in node.elts:
            yield from _strings(elt)


def compute(suites_dir: Path, cases: Mapping[str, catalog.TestCase] | None = None,
            sut: str = "CS", version: str = "2.0.1") -> CoverageReport:
    """Compare the suites' ``octt`` ids with the catalogue's cases of ``version`` for ``sut``.

    Ids of the other versions' catalogues are not "unknown" here: they are counted in the
    report of their own version."""
    cases = catalog.load(version) if cases is None else cases
    files, uses = scan(suites_dir)
    ours = {cid: c for cid, c in cases.items() if c.sut == sut}
    implemented = {u.case_id for u in uses if u.case_id in ours}
    profiles: dict[str, ProfileCoverage] = {}
    for case in ours.values():
        for profile, kind in case.applicability.items():
            pc = profiles.setdefault(profile, ProfileCoverage(profile, implemented=implemented))
            (pc.mandatory if kind == "M" else pc.conditional).append(case.id)
    others = {cid for v in catalog.VERSIONS if v != version for cid in catalog.load(v)}
    unknown = [u for u in uses if u.case_id not in ours and u.case_id not in others]
    return CoverageReport(suites_dir, files, [u for u in uses if u.case_id not in others],
                          list(profiles.values()), unknown, version)


def format_text(report: CoverageReport, all_missing: bool = False) -> str:
    """The human summary: per profile counts, then missing ids (mandatory, or all)."""
    lines = [f"OCPP {report.version}: OCTT coverage of {report.suites_dir} ({report.files} "
             f"test files, {len(report.implemented)} catalogue cases implemented)", ""]
    width = max((len(p.profile) for p in report.profiles), default=7)
    lines.append(f"{'profile':<{width}}  {'mandatory':>11}  {'conditional':>11}")
    for p in report.profiles:
        lines.append(f"{p.profile:<{width}}  "
                     f"{len(p.mandatory_done):>5}/{len(p.mandatory):<5}  "
                     f"{len(p.conditional_done):>5}/{len(p.conditional):<5}".rstrip())
    for p in report.profiles:
        missing = [("mandatory", p.missing_mandatory)]
        if all_missing:
            missing.append(("conditional", p.missing_conditional))
        for kind, ids in missing:
            if ids:
                lines += ["", f"{p.profile}: missing {kind} ({len(ids)}):", *_wrap(ids)]
    if report.unknown:
        lines += ["", "ids not in the catalogue for this side (typo?):"]
        lines += [f"  {u.case_id}  ({u.where()})" for u in report.unknown]
    return "\n".join(lines)


def _wrap(ids: list[str], width: int = 96) -> list[str]:
    out, line = [], " "
    for cid in ids:
        if len(line) + len(cid) + 1 > width:
            out.append(line)
            line = " "
        line += " " + cid
    return [*out, line] if line.strip() else out
