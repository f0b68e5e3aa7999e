"""Power analyzers: DC voltage, current, power per element and energy integration;
``FAMILIES`` maps the bench file's family name to its class."""

from __future__ import annotations

from instruments.analyzer.yokogawa import WT1800, WT5000, YokogawaWT

FAMILIES: dict[str, type[YokogawaWT]] = {cls.family: cls for cls in (WT5000, WT1800)}

__all__ = ["FAMILIES", "WT1800", "WT5000", "YokogawaWT"]
