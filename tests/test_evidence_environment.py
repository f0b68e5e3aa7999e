"""environment.properties: Java's escaping, the station's identity, the harness's version."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.evidence.environment import (
    escape,
    harness_properties,
    read_environment,
    station_properties,
    write_environment,
)

PROPS = {
    "Station.Id": "CS 01",
    "Key with: = and space": "C:\\fw\\1.2=x #not-a-comment !bang",
    "Multi": "line one\nline two\ttab",
    "Unicode": " leading space Ünïcødé ✓ 😀",
    "Empty": "",
}


def test_escaping_follows_java_properties() -> None:
    assert escape("a\\b=c:d") == "a\\\\b\\=c\\:d"
    assert escape("line\nnext") == "line\\nnext"
    assert escape("Ü✓") == "\\u00DC\\u2713"
    assert escape("😀") == "\\uD83D\\uDE00"  # a UTF-16 surrogate pair, as Java writes it
    assert escape(" lead") == "\\ lead" and escape("a b") == "a b"
    assert escape("a b", key=True) == "a\\ b"
    assert escape("#x!") == "\\#x\\!"


def test_written_file_is_ascii_and_reads_back(tmp_path: Path) -> None:
    path = write_environment(tmp_path / "allure-results", PROPS)
    text = path.read_bytes().decode("ascii")  # Allure reads it as ISO-8859-1
    assert path.name == "environment.properties"
    assert "Station.Id=CS 01\n" in text
    assert read_environment(path) == PROPS


@pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed")
def test_java_reads_what_we_wrote(tmp_path: Path) -> None:
    path = write_environment(tmp_path, PROPS)
    source = tmp_path / "Dump.java"
    source.write_text(
        "import java.util.*; import java.io.*;\n"
        "public class Dump { public static void main(String[] a) throws Exception {\n"
        "  Properties p = new Properties(); p.load(new FileInputStream(a[0]));\n"
        "  PrintStream out = new PrintStream(System.out, true, \"UTF-8\");\n"
        "  for (String k : p.stringPropertyNames()) out.print(k + \"\\u0000\" +\n"
        "    p.getProperty(k) + \"\\u0000\"); } }\n", encoding="utf-8")
    done = subprocess.run(["java", str(source), str(path)], capture_output=True, timeout=120)
    if done.returncode != 0 and b"compiler" in done.stderr.lower():
        pytest.skip("this Java cannot run a source file (no jdk.compiler)")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    parts = done.stdout.decode("utf-8").split("\x00")[:-1]
    assert dict(zip(parts[::2], parts[1::2], strict=True)) == PROPS


def test_station_properties_from_boot() -> None:
    boot = {"reason": "PowerUp", "chargingStation": {
        "vendorName": "ACME", "model": "DC150", "serialNumber": "SN-9",
        "firmwareVersion": "4.2.0"}}
    assert station_properties(boot, "CS01") == {
        "Station.Id": "CS01", "Station.Vendor": "ACME", "Station.Model": "DC150",
        "Station.SerialNumber": "SN-9", "Station.Firmware": "4.2.0"}


def test_station_properties_without_boot() -> None:
    props = station_properties(None, "CS02")
    assert props["Station.Id"] == "CS02"
    assert props["Station.Firmware"] == "unknown" and props["Station.Vendor"] == "unknown"


def test_harness_properties_outside_a_repo(tmp_path: Path) -> None:
    props = harness_properties(cwd=tmp_path)
    assert props["Python"].split()[-1].count(".") == 2
    assert props["Harness.Version"]
    assert "Harness.GitSHA" not in props


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_harness_properties_git_sha(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "f").write_text("x")
    git("add", "f")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "x")
    props = harness_properties(cwd=tmp_path)
    assert props["Harness.GitSHA"] == git("rev-parse", "HEAD")
    assert props["Harness.GitDirty"] == "no"
    (tmp_path / "f").write_text("changed")
    assert harness_properties(cwd=tmp_path)["Harness.GitDirty"] == "yes"
