"""Oscilloscope drivers by family (the bench file's ``family`` names the class)."""

from __future__ import annotations

from instruments.roles import Scope
from instruments.scope.keysight import KeysightInfiniiVision
from instruments.scope.rigol import RigolDho
from instruments.scope.tektronix import TektronixMso

FAMILIES: dict[str, type[Scope]] = {
    cls.family: cls for cls in (KeysightInfiniiVision, TektronixMso, RigolDho)
}

__all__ = ["FAMILIES", "KeysightInfiniiVision", "RigolDho", "TektronixMso"]
