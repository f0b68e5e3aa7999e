"""Offline Allure HTML report: generated without telemetry, and checked to load nothing remote.

Install the generator once, in the repo root (``node_modules/`` is git-ignored; the flags keep
npm from writing a package.json / package-lock.json into the repo)::

    npm install --no-audit --no-fund --no-save --no-package-lock allure-commandline@2

It needs Java 8+ (17 here). What we found in allure-commandline 2.46.1 (checked by
generating a report and reading allure-generator-2.46.1.jar, Nov 2025):

* At generation time ``io.qameta.allure.ga.GaPlugin`` posts to
  ``https://www.google-analytics.com/mp/collect`` unless ``ALLURE_NO_ANALYTICS`` is set
  (any value: it tests ``getenv(...) != null``).
* The page template ``tpl/index.html.ftl`` adds
  ``<script async src="https://www.googletagmanager.com/gtag/js?id=G-FVWC4GKEYS">`` and an
  inline ``gtag('config', 'G-FVWC4GKEYS', {allureVersion, reportUuid, single_file})`` unless
  ``analyticsDisable``, which is ``Boolean.parseBoolean(getenv("ALLURE_NO_ANALYTICS"))``: only
  ``true`` disables it. ``ALLURE_NO_ANALYTICS=1`` silences the generator but still ships the
  Google tag in every page. So we set ``ALLURE_NO_ANALYTICS=true``, and strip both script
  blocks anyway in case a version ignores it.
* The app bundle (``assets/index-*.js``; a base64 ``data:`` script in ``--single-file`` mode)
  opens ``https://trace.playwright.dev/`` in an iframe and posts the trace to it when a
  Playwright-trace attachment is viewed. The harness never attaches one, but both literals are
  replaced with ``about:blank`` so nothing can leave the machine from a report.
* Other ``http(s)://`` text in the bundle is not a request: XML namespace URIs (w3.org,
  inkscape, purl.org, creativecommons), highlight.js console warnings citing github.com,
  ``https://allure.local`` as a base for parsing relative URLs, and ``https://${host}`` used
  to turn ``www.`` text in test output into a link. No web fonts, no gravatar, no CSS import.

``--single-file`` is used when the generator supports it (2.x from 2.13): the report then
opens from ``file://`` without a web server (the multi-file report fetches ``data/*.json``,
which browsers refuse over ``file://``).
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

NPM_INSTALL = "npm install --no-audit --no-fund --no-save --no-package-lock allure-commandline@2"
GENERATE_TIMEOUT = 600.0

# Hosts a report page must never contact (analytics, fonts, avatars, CDNs, trace viewer).
BLOCKED_HOSTS = (
    "googletagmanager.com", "google-analytics.com", "analytics.google.com",
    "fonts.googleapis.com", "fonts.gstatic.com", "gravatar.com", "trace.playwright.dev",
    "cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com",
)
_HOSTS = "|".join(re.escape(h) for h in BLOCKED_HOSTS)
_BLOCKED_URL = re.compile(r"https?://(?:[\w-]+\.)*(?:" + _HOSTS + r")[^\s\"'`)<>]*")
# Elements that load their source as soon as the page is parsed.
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?https?://[^>]*>\s*</script>",
                            re.I)
_REMOTE_TAG = re.compile(
    r"<(?:link|img|iframe|source|audio|video|embed)\b[^>]*\b(?:src|href)\s*=\s*[\"']?https?://"
    r"[^>]*>", re.I)
_INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(?P<body>.*?)</script>", re.I | re.S)
_TRACKING = re.compile(r"\bgtag\(|dataLayer|googletagmanager|google-analytics")
_CSS_REMOTE = re.compile(r"@import\s+(?:url\()?[\"']?https?://[^;]*;|url\(\s*[\"']?https?://"
                         r"[^)]*\)", re.I)
_FETCH_REMOTE = re.compile(r"\b(?:fetch|sendBeacon|open)\(\s*[\"'`]https?://[^\"'`]*", re.I)
_DATA_SCRIPT = re.compile(r"(data:text/(?:javascript|css)[^,\"']*;base64,)([A-Za-z0-9+/=]+)")


class ReportError(RuntimeError):
    """The generator failed, or its output still loads something from off the machine."""


def generate_html(results_dir: Path, out_dir: Path) -> Path | None:
    """Generate the Allure report of ``results_dir`` into ``out_dir``; its index.html.

    None (with a warning naming the install command) when no Allure 2 or no Java is found.
    Raises ReportError when generation fails or the page would still make remote requests.
    """
    allure = find_allure()
    if allure is None:
        log.warning("no Allure 2 commandline found; install it in the repo root with: %s",
                    NPM_INSTALL)
        return None
    if _java() is None:
        log.warning("Allure needs Java (8+, 17 tested): set JAVA_HOME or put java on PATH")
        return None
    args = [allure, "generate", "--clean"]
    if _supports_single_file(allure):
        args.append("--single-file")
    args += ["-o", str(out_dir), str(results_dir)]
    env = {**os.environ, "ALLURE_NO_ANALYTICS": "true"}
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True,
                              timeout=GENERATE_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReportError(f"{' '.join(args)} could not run: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-2000:]
        raise ReportError(f"{' '.join(args)} exited with {done.returncode}:\n{tail}")
    removed = neutralise(Path(out_dir))
    for what in removed:
        log.info("report: removed remote request %s", what)
    remaining = external_requests(Path(out_dir))
    if remaining:
        raise ReportError(f"report in {out_dir} would still load from off the machine: "
                          + ", ".join(sorted(set(remaining))[:10]))
    return Path(out_dir) / "index.html"


def find_allure() -> str | None:
    """``HARNESS_ALLURE``, then ``node_modules/.bin/allure`` (cwd, then the repo), then PATH.

    An ``allure`` on PATH is used only if it is Allure 2: Allure 3 has another command line
    and ships analytics in the page.
    """
    explicit = os.environ.get("HARNESS_ALLURE")
    if explicit:
        return explicit
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        local = root / "node_modules" / ".bin" / "allure"
        if local.is_file() and os.access(local, os.X_OK):
            return str(local)
    on_path = shutil.which("allure")
    if on_path and _version(on_path).startswith("2."):
        return on_path
    return None


def neutralise(out_dir: Path) -> list[str]:
    """Strip remote scripts, tags and tracker URLs from the report's HTML, JS and CSS.

    Attachments (``data/``) are evidence with recorded hashes and are never touched.
    Returns what was removed.
    """
    removed: list[str] = []
    for path in _page_files(out_dir):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = _neutralise_text(text, path.suffix, removed)
        if new != text:
            path.write_text(new, encoding="utf-8", errors="surrogateescape")
    return removed


def external_requests(out_dir: Path) -> list[str]:
    """What the report's page files would still load from off the machine (empty is good)."""
    found: list[str] = []
    for path in _page_files(out_dir):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        for body in [text, *(_decode(m.group(2)) for m in _DATA_SCRIPT.finditer(text))]:
            found += _scan(body)
    return found


# ---- internals -----------------------------------------------------------------------------
def _page_files(out_dir: Path) -> list[Path]:
    data = out_dir / "data"
    return [p for p in sorted(out_dir.rglob("*"))
            if p.suffix in (".html", ".js", ".css") and p.is_file() and data not in p.parents]


def _scan(text: str) -> list[str]:
    hits = [m.group(0)[:120] for m in _REMOTE_SCRIPT.finditer(text)]
    hits += [m.group(0)[:120] for m in _REMOTE_TAG.finditer(text)]
    hits += [m.group(0) for m in _BLOCKED_URL.finditer(text)]
    hits += [m.group(0)[:120] for m in _CSS_REMOTE.finditer(text)]
    hits += [m.group(0)[:120] for m in _FETCH_REMOTE.finditer(text)]
    return hits


def _neutralise_text(text: str, suffix: str, removed: list[str]) -> str:
    def drop(m: re.Match[str]) -> str:
        removed.append(m.group(0)[:120])
        return ""

    def inline(m: re.Match[str]) -> str:
        if _TRACKING.search(m.group("body")) and "src=" not in m.group(0)[:200]:
            removed.append("inline analytics script")
            return ""
        return m.group(0)

    def blank(m: re.Match[str]) -> str:
        removed.append(m.group(0))
        return "about:blank"

    def data_uri(m: re.Match[str]) -> str:
        body = _decode(m.group(2))
        kind = ".css" if "css" in m.group(1) else ".js"
        new = _neutralise_text(body, kind, removed)
        if new == body:
            return m.group(0)
        return m.group(1) + base64.b64encode(new.encode("utf-8", "surrogateescape")).decode()

    if suffix == ".html":
        text = _REMOTE_SCRIPT.sub(drop, text)
        text = _REMOTE_TAG.sub(drop, text)
        text = _DATA_SCRIPT.sub(data_uri, text)
        text = _INLINE_SCRIPT.sub(inline, text)
    if suffix == ".css" or suffix == ".html":
        text = _CSS_REMOTE.sub(drop, text)
    # Tracker and trace-viewer URLs as string literals in scripts.
    return _BLOCKED_URL.sub(blank, text)


def _decode(b64: str) -> str:
    return base64.b64decode(b64).decode("utf-8", errors="surrogateescape")


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _version(allure: str) -> str:
    try:
        done = subprocess.run([allure, "--version"], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def _supports_single_file(allure: str) -> bool:
    try:
        done = subprocess.run([allure, "--help"], capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--single-file" in done.stdout + done.stderr
