"""Files over FTP, for stations that only speak FTP: the harness's FTP server, the emulated
station fetching and uploading over it, and the firmware and log suites run unchanged on a
bench that says ``csms.file_transfer: ftp``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.bench import default_bench_path, load_bench
from harness.csms.ftp import FtpFileServer
from harness.emulator.transfer import fetch, upload
from harness.evidence.redact import redact

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ftp() -> FtpFileServer:
    server = FtpFileServer().start()
    yield server
    server.stop()


async def test_serves_files_and_records_uploads(ftp: FtpFileServer) -> None:
    ftp.files["/fw/image.bin"] = b"firmware"
    assert fetch(ftp.url("fw/image.bin")) == b"firmware"
    assert fetch(ftp.url("fw/missing.bin")) is None
    assert upload(ftp.url("logs/CS001-diag.log"), b"log lines\n")
    got = await ftp.wait_upload("/logs/", within=2)
    assert (got.method, got.path, got.body) == ("STOR", "/logs/CS001-diag.log", b"log lines\n")


async def test_failing_paths_and_wrong_credentials_are_refused(ftp: FtpFileServer) -> None:
    ftp.failing.add("/logs/broken")
    assert not upload(ftp.url("logs/broken/x.log"), b"x")
    assert not upload(ftp.url("logs/").replace(ftp.password, "wrong") + "x.log", b"x")
    assert not upload(ftp.url("logs/"), b"x"), "a folder URL is not a file name"
    with pytest.raises(AssertionError, match=r"no upload to /nothing within 0\.1 s; received: nothing"):
        await ftp.wait_upload("/nothing", within=0.1)


def test_credentials_in_urls_are_redacted(ftp: FtpFileServer) -> None:
    text = redact(f'{{"location": "{ftp.url("fw/a.bin")}"}}')
    assert ftp.password not in text and "ftp://harness:***@" in text


def test_bench_file_transfer_setting(tmp_path: Path) -> None:
    data = yaml.safe_load(default_bench_path().read_text())
    data["csms"].update({"file_transfer": "ftp", "host": "0.0.0.0", "file_host": "10.0.0.5"})
    path = tmp_path / "ftp-bench.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    csms = load_bench(path).csms
    assert (csms.file_transfer, csms.advertised_host()) == ("ftp", "10.0.0.5")


def test_firmware_and_log_cases_pass_over_ftp(pytester: pytest.Pytester, tmp_path: Path) -> None:
    data = yaml.safe_load(default_bench_path().read_text())
    data["csms"]["file_transfer"] = "ftp"
    bench = tmp_path / "ftp-bench.yaml"
    bench.write_text(yaml.safe_dump(data, sort_keys=False))
    args = [str(ROOT / "suites" / "ocpp201"), "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
            "--bench", str(bench), "-p", "no:randomly", "-q"]
    for case in ("TC_L_01_CS", "TC_L_02_CS", "TC_N_25_CS", "TC_N_26_CS"):
        args += ["--octt", case]
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(passed=4)
