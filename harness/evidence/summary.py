"""Certification summary: OCTT case -> verdict -> evidence hashes, per profile, from Allure results.

The Allure HTML report is for reading; this is for signing. It is computed from the raw
``*-result.json`` files (allure-python 2 format), so it does not depend on the HTML generator,
and it fixes every piece of evidence by its SHA-256, so a later edit of an attachment shows.
A profile is complete only when every mandatory case of the side under test has a result and
every one passed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import catalog
from harness.evidence import interop_matrix
from harness.evidence.environment import ENVIRONMENT_FILE, read_environment
from harness.evidence.labels import requirement_ids

log = logging.getLogger(__name__)

ID_LABEL = "as_id"
STATION_PARAMETER = "station"
PLUG_PARAMETER = "plug"  # interop cases: the connector configuration (one result per plug)
VERDICTS = ("passed", "failed", "broken", "skipped")
# Worst first: a case run on two stations, or a requirement checked by two cases, takes the
# worst verdict. "unknown" (no verdict recorded) is not a pass: it counts as broken.
_SEVERITY = {"failed": 0, "broken": 1, "skipped": 2, "passed": 3}


def write_summary(results_dir: Path, out_dir: Path, sut: str = "CS",
                  version: str | None = None) -> dict[str, Any]:
    """Build the summary of ``results_dir`` and write ``summary.json`` / ``summary.md``."""
    summary = build_summary(results_dir, sut=sut, version=version)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "summary.md").write_text(render_markdown(summary), encoding="utf-8")
    return summary


def build_summary(results_dir: Path, sut: str = "CS", version: str | None = None) -> dict[str, Any]:
    """The summary as plain data (see the module docstring for what it promises).

    ``version``: the OCPP version whose catalogue the cases are counted against; by default
    the one the run's environment records (``Station.OcppVersion``), else 2.0.1."""
    results_dir = Path(results_dir)
    if version is None:
        env_path = results_dir / ENVIRONMENT_FILE
        recorded = read_environment(env_path).get("Station.OcppVersion") if env_path.is_file() else None
        version = recorded if recorded in catalog.VERSIONS else "2.0.1"
    known = catalog.load(version)
    # The latest result of each test (a rerun replaces the earlier run); a case some tests
    # share (two scenarios of one OCTT id, parametrized variants) keeps one row per test, and
    # its verdict is the worst of them (_case_verdicts).
    latest: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    unlabelled = 0
    for result in _results(results_dir):
        case_id = _label(result, ID_LABEL)
        if case_id is None:
            unlabelled += 1
            continue
        key = (case_id, _parameter(result, STATION_PARAMETER) or "",
               _parameter(result, PLUG_PARAMETER) or "",
               str(result.get("historyId") or result.get("fullName") or ""))
        if key not in latest or _when(result) >= _when(latest[key]):
            latest[key] = result

    fixtures = _fixture_attachments(results_dir)
    cases = [_case(case_id, station, result, known.get(case_id), results_dir,
                   fixtures.get(result.get("uuid") or "", []), plug)
             for (case_id, station, plug, _), result in sorted(latest.items())]
    totals = dict.fromkeys(VERDICTS, 0)
    for case in cases:
        totals[case["verdict"]] += 1

    env_path = results_dir / ENVIRONMENT_FILE
    environment = read_environment(env_path) if env_path.is_file() else {}
    return {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "ocpp_version": version,
        "sut": sut,
        "station": {k.removeprefix("Station."): v for k, v in environment.items()
                    if k.startswith("Station.")},
        "environment": environment,
        "totals": totals,
        "unlabelled_results": unlabelled,
        "profiles": _profiles(cases, known, sut, version),
        "requirements": _requirements(cases),
        "interop_matrix": interop_matrix.build(
            interop_matrix.Cell(c["id"], c["name"], c["plug"], c["verdict"]) for c in cases if c["plug"]),
        "cases": cases,
    }


# ---- reading results -----------------------------------------------------------------------
def _results(results_dir: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(results_dir.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("skipping unreadable Allure result %s: %s", path, exc)
            continue
        if isinstance(data, dict):
            yield data


def _fixture_attachments(results_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Test uuid -> attachments its fixtures made (``*-container.json`` befores / afters)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(results_dir.glob("*-container.json")):
        try:
            container = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("skipping unreadable Allure container %s: %s", path, exc)
            continue
        found = [att for fixture in [*(container.get("befores") or []),
                                     *(container.get("afters") or [])]
                 for att in _attachments(fixture)]
        for child in container.get("children") or []:
            out.setdefault(child, []).extend(found)
    return out


def _label(result: dict[str, Any], name: str) -> str | None:
    return next((lb.get("value") for lb in result.get("labels") or []
                 if lb.get("name") == name), None)


def _parameter(result: dict[str, Any], name: str) -> str | None:
    value = next((p.get("value") for p in result.get("parameters") or []
                  if p.get("name") == name), None)
    # allure-pytest stores parameter values as repr()s: "'CS01'".
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def _when(result: dict[str, Any]) -> int:
    return int(result.get("stop") or result.get("start") or 0)


def _attachments(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Attachments of a result and of all its (nested) steps, in report order."""
    yield from node.get("attachments") or []
    for step in node.get("steps") or []:
        yield from _attachments(step)


def _sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _verdict(result: dict[str, Any]) -> str:
    status = result.get("status")
    return status if status in _SEVERITY else "broken"


def _case(case_id: str, station: str, result: dict[str, Any], case: catalog.TestCase | None,
          results_dir: Path, fixture_attachments: list[dict[str, Any]], plug: str = "") -> dict[str, Any]:
    message = ((result.get("statusDetails") or {}).get("message") or "").strip()
    evidence = []
    measurements: list[dict[str, Any]] = []
    for att in [*_attachments(result), *fixture_attachments]:
        source = att.get("source") or ""
        sha = _sha256(results_dir / source) if source else None
        evidence.append({"name": att.get("name") or source, "sha256": sha, "file": source,
                         "type": att.get("type")})
        if att.get("name") == "measurements.json" and source:
            measurements += _measurements(results_dir / source)
    name = case.name if case else result.get("name", "")
    if case is None and name.startswith(case_id + " "):
        name = name[len(case_id) + 1:]  # harness cases are titled "<id> <name>"
    return {
        "id": case_id,
        "station": station,
        "name": name,
        "block": case.block if case else (_label(result, "feature") or ""),
        "measurements": measurements,
        "plug": plug,  # interop cases: the connector configuration plugged
        "profiles": list(case.applicability) if case else [],
        "mandatory_in": [p for p, k in case.applicability.items() if k == "M"] if case else [],
        "requirements": list(requirement_ids(case)) if case else [],
        "verdict": _verdict(result),
        "message": message.splitlines()[0] if message else "",
        "evidence": evidence,
    }


def _measurements(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("skipping unreadable measurements %s: %s", path, exc)
        return []
    rows = data.get("measurements", []) if isinstance(data, dict) else []
    return [r for r in rows if isinstance(r, dict)]


# ---- aggregation ---------------------------------------------------------------------------
def _worst(verdicts: Iterable[str]) -> str:
    return min(verdicts, key=lambda v: _SEVERITY[v])


def _case_verdicts(cases: list[dict[str, Any]]) -> dict[str, str]:
    """One verdict per case id: the worst over the stations it ran on."""
    by_id: dict[str, list[str]] = {}
    for case in cases:
        by_id.setdefault(case["id"], []).append(case["verdict"])
    return {case_id: _worst(v) for case_id, v in by_id.items()}


def _profiles(cases: list[dict[str, Any]], known: dict[str, catalog.TestCase], sut: str,
              version: str) -> dict[str, dict[str, Any]]:
    verdicts = _case_verdicts(cases)
    out = {}
    for profile in catalog.profiles(version):
        mandatory = [c.id for c in known.values() if c.sut == sut and c.mandatory_in(profile)]
        stats: dict[str, Any] = {"mandatory_total": len(mandatory),
                                 "implemented": sum(1 for c in mandatory if c in verdicts)}
        for verdict in VERDICTS:
            stats[verdict] = sum(1 for c in mandatory if verdicts.get(c) == verdict)
        stats["not_run"] = [c for c in mandatory if c not in verdicts]
        stats["complete"] = bool(mandatory) and stats["passed"] == len(mandatory)
        out[profile] = stats
    return out


def _requirements(cases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Requirement id -> worst verdict of the cases that check it, and those cases."""
    by_req: dict[str, dict[str, Any]] = {}
    for case in cases:
        for rid in case["requirements"]:
            entry = by_req.setdefault(rid, {"verdict": "passed", "cases": []})
            entry["verdict"] = _worst([entry["verdict"], case["verdict"]])
            if case["id"] not in entry["cases"]:
                entry["cases"].append(case["id"])
    return dict(sorted(by_req.items()))


# ---- Markdown ------------------------------------------------------------------------------
def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(summary: dict[str, Any]) -> str:
    """A readable summary: station, totals, profiles, failures first, then cases per profile."""
    cases: list[dict[str, Any]] = summary["cases"]
    lines = [f"# Certification summary — OCPP {summary['ocpp_version']}", "",
             f"Generated {summary['generated']}. Side under test: {summary['sut']}.", ""]
    if summary["environment"]:
        lines += ["## Station and harness", ""]
        lines += _table(["Property", "Value"], [[k, v] for k, v in summary["environment"].items()])
    t = summary["totals"]
    lines += ["## Totals", "",
              f"passed {t['passed']} · failed {t['failed']} · broken {t['broken']} · "
              f"skipped {t['skipped']}", ""]

    lines += ["## Profiles", ""]
    lines += _table(
        ["Profile", "Mandatory", "Implemented", "Passed", "Failed", "Broken", "Skipped",
         "Complete"],
        [[name, p["mandatory_total"], p["implemented"], p["passed"], p["failed"], p["broken"],
          p["skipped"], "yes" if p["complete"] else "no"]
         for name, p in summary["profiles"].items()])

    bad = [c for c in cases if c["verdict"] in ("failed", "broken")]
    lines += ["## Failures", ""]
    if bad:
        for c in bad:
            where = f" on {c['station']}" if c["station"] else ""
            lines.append(f"- **{c['id']}** {c['verdict']}{where}: {_cell(c['message'])}  ")
            lines.append(f"  {_cell(c['name'])}")
        lines.append("")
    else:
        lines += ["None.", ""]

    by_id: dict[str, list[dict[str, Any]]] = {}
    for c in cases:
        by_id.setdefault(c["id"], []).append(c)
    in_profile: set[str] = set()
    for name, p in summary["profiles"].items():
        ids = sorted({c["id"] for c in cases if name in c["mandatory_in"]} | set(p["not_run"]))
        if not ids:
            continue
        in_profile.update(ids)
        lines += [f"## {name} (mandatory cases)", ""]
        lines += _table(["Case", "Name", "Station", "Verdict", "Evidence", "Message"],
                        _rows(ids, by_id, summary["ocpp_version"]))
    groups: dict[str, list[str]] = {}
    for case_id in sorted(set(by_id) - in_profile):
        if case_id not in catalog.load(summary["ocpp_version"]):
            groups.setdefault(by_id[case_id][0]["block"] or "Harness cases", []).append(case_id)
    for group, ids in groups.items():
        in_profile.update(ids)
        lines += [f"## {group}", ""]
        lines += _table(["Case", "Name", "Station", "Verdict", "Evidence", "Message"],
                        _rows(ids, by_id, summary["ocpp_version"]))
        measured = [[c["id"], m.get("name"), _value(m), m.get("limits") or "", m.get("verdict"),
                     m.get("source") or ""]
                    for case_id in ids for c in by_id[case_id] for m in c.get("measurements", [])]
        if measured:
            lines += [f"### {group}: measurements", ""]
            lines += _table(["Case", "Measurement", "Value", "Limits", "Verdict", "Source"], measured)
    matrix = summary.get("interop_matrix") or {}
    if matrix.get("rows"):
        lines += ["## Interop matrix (connector configuration x check)", "",
                  interop_matrix.render_markdown(matrix)]
    other = sorted(set(by_id) - in_profile)
    if other:
        lines += ["## Other cases", ""]
        lines += _table(["Case", "Name", "Station", "Verdict", "Evidence", "Message"],
                        _rows(other, by_id, summary["ocpp_version"]))
    lines += ["Evidence file names and SHA-256 hashes: `summary.json`.", ""]
    return "\n".join(lines)


def _value(m: dict[str, Any]) -> str:
    value = m.get("value")
    if value is None:
        return "not measured"
    return f"{value:.4g} {m.get('unit') or ''}".strip() if isinstance(value, int | float) else str(value)


def _rows(ids: list[str], by_id: dict[str, list[dict[str, Any]]],
          version: str) -> Iterator[list[Any]]:
    known = catalog.load(version)
    for case_id in ids:
        runs = by_id.get(case_id)
        if not runs:
            name = known[case_id].name if case_id in known else ""
            yield [case_id, name, "", "not run", "", ""]
            continue
        for c in runs:
            yield [c["id"], c["name"], c["station"], c["verdict"],
                   f"{len(c['evidence'])} file(s)", c["message"]]
