"""The HTML report loads nothing from off the machine."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from harness.evidence import report
from harness.evidence.report import external_requests, find_allure, generate_html, neutralise

# What allure-commandline 2.46.1 writes without ALLURE_NO_ANALYTICS=true (trimmed).
GTAG = """<script async src="https://www.googletagmanager.com/gtag/js?id=G-FVWC4GKEYS"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('config', 'G-FVWC4GKEYS', {'allureVersion': '2.46.1'});
    </script>"""
BUNDLE = ("const Cs=`https://trace.playwright.dev/`,ws=`https://trace.playwright.dev`;"
          "const ns=`http://www.w3.org/2000/svg`;console.log(1);")
PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
<link rel="icon" href="assets/favicon.ico"></head><body>
<script>window.__core = 1;</script>
<script src="{script}"></script>
{gtag}
</body></html>"""


def _multi_file_report(root: Path) -> Path:
    (root / "assets").mkdir(parents=True)
    (root / "assets" / "index-abc.js").write_text(BUNDLE, encoding="utf-8")
    (root / "index.html").write_text(PAGE.format(script="assets/index-abc.js", gtag=GTAG),
                                     encoding="utf-8")
    (root / "data" / "attachments").mkdir(parents=True)
    evidence = json.dumps({"note": "see https://www.google-analytics.com/ in the log"})
    (root / "data" / "attachments" / "1.json").write_text(evidence, encoding="utf-8")
    return root


def test_multi_file_report_is_neutralised(tmp_path: Path) -> None:
    root = _multi_file_report(tmp_path / "html")
    evidence = (root / "data" / "attachments" / "1.json").read_bytes()
    before = external_requests(root)
    assert any("googletagmanager" in f for f in before)
    assert any("trace.playwright.dev" in f for f in before)
    assert any("fonts.googleapis" in f for f in before)

    removed = neutralise(root)
    assert "inline analytics script" in removed
    assert external_requests(root) == []
    page = (root / "index.html").read_text(encoding="utf-8")
    assert "gtag" not in page and "G-FVWC4GKEYS" not in page
    assert "window.__core = 1;" in page and 'href="assets/favicon.ico"' in page
    bundle = (root / "assets" / "index-abc.js").read_text(encoding="utf-8")
    assert "Cs=`about:blank`,ws=`about:blank`" in bundle
    assert "http://www.w3.org/2000/svg" in bundle  # a namespace, not a request: kept
    assert (root / "data" / "attachments" / "1.json").read_bytes() == evidence  # never edited


def test_single_file_report_scripts_are_decoded_and_patched(tmp_path: Path) -> None:
    data_uri = ("data:text/javascript; charset=utf-8;base64,"
                + base64.b64encode(BUNDLE.encode()).decode())
    page = tmp_path / "index.html"
    page.write_text(PAGE.format(script=data_uri, gtag=""), encoding="utf-8")
    assert any("trace.playwright.dev" in f for f in external_requests(tmp_path))
    neutralise(tmp_path)
    assert external_requests(tmp_path) == []
    text = page.read_text(encoding="utf-8")
    encoded = text.split(";base64,")[1].split('"')[0]
    assert base64.b64decode(encoded).decode() == BUNDLE.replace(
        "https://trace.playwright.dev/", "about:blank").replace(
        "https://trace.playwright.dev", "about:blank")


def test_no_allure_means_none_not_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(report, "find_allure", lambda: None)
    assert generate_html(tmp_path, tmp_path / "html") is None
    assert "npm install --no-audit --no-fund" in caplog.text


_ALLURE = find_allure()


@pytest.mark.skipif(_ALLURE is None or shutil.which("java") is None,
                    reason="needs Allure 2 and Java: run `" + report.NPM_INSTALL
                           + "` in the repo root")
def test_generated_report_makes_no_remote_request(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "att-attachment.json").write_text('{"a": 1}', encoding="utf-8")
    (results / "r1-result.json").write_text(json.dumps({
        "uuid": "r1", "historyId": "h1", "name": "TC_B_01_CS Cold Boot", "status": "passed",
        "start": 1_700_000_000_000, "stop": 1_700_000_001_000,
        "labels": [{"name": "as_id", "value": "TC_B_01_CS"}],
        "parameters": [{"name": "station", "value": "'CS01'"}],
        "attachments": [{"name": "journal", "source": "att-attachment.json",
                         "type": "application/json"}]}), encoding="utf-8")
    index = generate_html(results, tmp_path / "html")
    assert index is not None and index.is_file()
    assert external_requests(tmp_path / "html") == []
    text = index.read_text(encoding="utf-8")
    assert "googletagmanager" not in text and "trace.playwright.dev" not in text
