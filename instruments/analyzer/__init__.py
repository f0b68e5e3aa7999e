"""Power analyzers: DC voltage, current, power per element and energy integration."""

from instruments.analyzer.yokogawa import WT1800, WT5000, YokogawaWT

__all__ = ["WT1800", "WT5000", "YokogawaWT"]
