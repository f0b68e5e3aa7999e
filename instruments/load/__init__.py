"""DC electronic loads / regenerative load banks, one class per family; ``FAMILIES`` maps the
bench file's family name to its class."""

from __future__ import annotations

from instruments.load.chroma import Chroma63200A
from instruments.load.common import LoadDriver
from instruments.load.ea import EaElr10000, EaPsb10000
from instruments.load.itech import ItechM3900

FAMILIES: dict[str, type[LoadDriver]] = {
    cls.family: cls for cls in (EaPsb10000, EaElr10000, Chroma63200A, ItechM3900)
}

__all__ = ["FAMILIES", "Chroma63200A", "EaElr10000", "EaPsb10000", "ItechM3900", "LoadDriver"]
