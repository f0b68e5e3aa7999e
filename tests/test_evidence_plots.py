"""Plots and CSV of traces: valid PNG, decimation that keeps the envelope, CSV shape."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.evidence import plots, steps
from harness.evidence.plots import (
    MAX_POINTS,
    Series,
    attach_csv,
    attach_plot,
    decimate,
    plot_series,
    series_csv,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _traces(n: int = 200_000) -> tuple[list[Series], list[Series]]:
    t = np.arange(n) / 100_000.0
    current = 50 + 150 * (t > 0.5) + 3 * np.sin(2 * np.pi * 360 * t)
    voltage = np.full(n, 400.0) + np.random.default_rng(0).normal(0, 0.5, n)
    measured = [Series("output voltage", t, voltage, "V"), Series("output current", t, current, "A"),
                Series("power", t, voltage * current / 1000, "kW")]
    requested = [Series("EV target current", t, 50 + 150 * (t > 0.5), "A")]
    return measured, requested


def test_importing_does_not_load_matplotlib() -> None:
    code = "import sys, harness.evidence.plots; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(plots.__file__).parents[2]).returncode == 0


def test_plot_is_a_png() -> None:
    measured, requested = _traces()
    png = plot_series("Current step 50 A -> 200 A", measured, requested,
                      markers=[(0.5, "step"), (1.5, "e-stop")],
                      limits=[(920, "V max", "V"), (209, "I max", "A"), (5.0, "unit-less on top")])
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 10_000
    assert "matplotlib.pyplot" not in sys.modules  # headless: pyplot (and a GUI backend) never loaded


def test_plot_needs_series() -> None:
    with pytest.raises(ValueError, match="no series"):
        plot_series("empty", [])


def test_decimate_keeps_min_max_and_order() -> None:
    n = 1_000_003
    t = np.arange(n) * 1e-6
    v = np.sin(2 * np.pi * 20_000 * t) + np.random.default_rng(3).normal(0, 0.01, n)
    v[777_777] = 5.0  # a single-sample spike must survive
    v[n - 1] = -5.0  # so must one in the ragged tail
    td, vd = decimate(t, v)
    assert len(td) == len(vd) <= MAX_POINTS
    assert vd.max() == v.max() == 5.0 and vd.min() == v.min() == -5.0
    assert np.all(np.diff(td) > 0)
    # The envelope survives per bucket: a 20 kHz sine still spans about ±1 everywhere.
    assert np.percentile(vd, 99) > 0.95 and np.percentile(vd, 1) < -0.95
    short_t, short_v = decimate(t[:100], v[:100])
    np.testing.assert_array_equal(short_v, v[:100])
    assert len(short_t) == 100


def test_csv_shared_time_base() -> None:
    measured, requested = _traces(1000)
    text = series_csv([*measured, *requested])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["time_s", "output voltage [V]", "output current [A]", "power [kW]",
                       "EV target current [A]"]
    assert len(rows) == 1 + 1000
    assert all(len(r) == 5 for r in rows)
    assert float(rows[1 + 600][0]) == pytest.approx(0.006)
    assert float(rows[1 + 600][4]) == pytest.approx(50.0)


def test_csv_different_time_bases_are_blocks() -> None:
    a = Series("current", np.arange(5) * 0.1, np.arange(5.0), "A")
    b = Series("voltage, dc", np.arange(3) * 0.25, np.array([400.0, 401.0, 402.5]), "V")
    blocks = series_csv([a, b]).split("\n\n")
    assert len(blocks) == 2
    first = list(csv.reader(io.StringIO(blocks[0])))
    second = list(csv.reader(io.StringIO(blocks[1])))
    assert first[0] == ["time_s", "current [A]"] and len(first) == 6
    assert second[0] == ["time_s", "voltage, dc [V]"] and len(second) == 4
    assert second[3] == ["0.5", "402.5"]


def test_series_validates_shape() -> None:
    with pytest.raises(ValueError, match="same length"):
        Series("x", np.arange(3), np.arange(4), "A")


def test_attach_without_allure_is_a_no_op() -> None:
    measured, _ = _traces(100)
    assert attach_plot("t", measured) is False
    assert attach_csv(measured) is False


def test_attach_with_allure(monkeypatch: pytest.MonkeyPatch) -> None:
    attached: list[tuple[bytes | str, str, str, str]] = []

    class Reporter:
        def get_item(self, uuid: str) -> Any:
            return object() if uuid == "test" else None

        def attach_data(self, uuid: str, body: Any, name: str, attachment_type: str, extension: str,
                        parent_uuid: str) -> None:
            attached.append((body, name, attachment_type, extension))

    monkeypatch.setattr(steps, "_reporter", Reporter)
    token = steps.bind_test("test")
    try:
        measured, _ = _traces(100)
        assert attach_plot("Voltage ramp", measured) is True
        assert attach_csv(measured, "voltage ramp data") is True
    finally:
        steps.unbind(token)
    (png, name, mime, ext), (text, csv_name, csv_mime, csv_ext) = attached
    assert isinstance(png, bytes) and png.startswith(PNG_MAGIC)
    assert (name, mime, ext) == ("Voltage ramp", "image/png", "png")
    assert (csv_name, csv_mime, csv_ext) == ("voltage ramp data", "text/csv", "csv")
    assert isinstance(text, str) and text.startswith("time_s,")
