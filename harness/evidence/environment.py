"""Allure ``environment.properties``: which station, firmware and harness produced a report.

A certificate is only worth something if it names what was tested and with what, so the
station's identity (from its own BootNotification) and the harness version and git SHA go
on the report's front page. Allure 2 reads the file with ``java.util.Properties.load``
(ISO-8859-1), so it is written with Java's escaping, non-ASCII as ``\\uXXXX``.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ENVIRONMENT_FILE = "environment.properties"
GIT_TIMEOUT = 3.0


def write_environment(results_dir: Path, props: dict[str, str]) -> Path:
    """Write (replace) ``results_dir/environment.properties`` with ``props`` in order."""
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{escape(k, key=True)}={escape(str(v))}" for k, v in props.items()]
    path = results_dir / ENVIRONMENT_FILE
    path.write_text("".join(line + "\n" for line in lines), encoding="ascii")
    return path


def read_environment(path: Path) -> dict[str, str]:
    """Read a properties file as Java does (comments, continuations, escapes)."""
    props: dict[str, str] = {}
    logical = ""
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        line = line.lstrip(" \t\f")  # also a continuation line's indent, as Java does
        if not logical and (not line or line[0] in "#!"):
            continue
        if _continues(line):
            logical += line[:-1]
            continue
        logical += line
        key, value = _split(logical)
        props[key] = value
        logical = ""
    if logical:
        key, value = _split(logical)
        props[key] = value
    return props


def station_properties(boot_payload: dict[str, Any] | None, station_id: str,
                       prefix: str = "Station") -> dict[str, str]:
    """Station.Id/Vendor/Model/SerialNumber/Firmware from the last BootNotification.

    Values the station did not send are "unknown" (a station that never booted says so).
    """
    boot = boot_payload or {}
    if "chargingStation" in boot:  # OCPP 2.0.1
        station = boot["chargingStation"] or {}
        fields = {"Vendor": "vendorName", "Model": "model", "SerialNumber": "serialNumber",
                  "Firmware": "firmwareVersion"}
    else:  # OCPP 1.6 names the same fields at the top level
        station = boot
        fields = {"Vendor": "chargePointVendor", "Model": "chargePointModel",
                  "SerialNumber": "chargePointSerialNumber", "Firmware": "firmwareVersion"}
    props = {f"{prefix}.Id": station_id}
    for name, field in fields.items():
        value = station.get(field)
        props[f"{prefix}.{name}"] = str(value) if value not in (None, "") else "unknown"
    return props


def harness_properties(cwd: Path | None = None) -> dict[str, str]:
    """Harness version, Python, platform and the git SHA of ``cwd``'s repo; never raises."""
    try:
        version = importlib.metadata.version("charger-harness")
    except importlib.metadata.PackageNotFoundError:
        version = "not installed"
    props = {
        "Harness.Version": version,
        "Python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "Platform": platform.platform(),
    }
    sha = _git(["rev-parse", "HEAD"], cwd)
    if sha:
        props["Harness.GitSHA"] = sha
        status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
        if status is not None:
            props["Harness.GitDirty"] = "yes" if status else "no"
    return props


# ---- Java properties escaping ---------------------------------------------------------------
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f",
            "=": "\\=", ":": "\\:", "#": "\\#", "!": "\\!"}


def escape(text: str, key: bool = False) -> str:
    """Escape as ``Properties.store`` does: separators, comments, controls, non-ASCII."""
    out = []
    for i, ch in enumerate(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == " " and (key or i == 0):
            # In a key every space would end it; in a value only a leading one is lost.
            out.append("\\ ")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\u{unit:04X}" for unit in _utf16_units(ch))
    return "".join(out)


def _utf16_units(ch: str) -> list[int]:
    data = ch.encode("utf-16-be", errors="surrogatepass")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def _continues(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _split(logical: str) -> tuple[str, str]:
    i, n = 0, len(logical)
    while i < n and logical[i] not in "=: \t\f":
        i += 2 if logical[i] == "\\" else 1
    key = logical[:i]
    while i < n and logical[i] in " \t\f":
        i += 1
    if i < n and logical[i] in "=:":
        i += 1
    while i < n and logical[i] in " \t\f":
        i += 1
    return _unescape(key), _unescape(logical[i:])


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 == len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u" and i + 6 <= len(text):
            out.append(chr(int(text[i + 2:i + 6], 16)))
            i += 6
            continue
        out.append({"n": "\n", "r": "\r", "t": "\t", "f": "\f"}.get(nxt, nxt))
        i += 2
    # Surrogate pairs written as two \uXXXX units become one character again.
    return "".join(out).encode("utf-16", errors="surrogatepass").decode("utf-16")


def _git(args: list[str], cwd: Path | None) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
