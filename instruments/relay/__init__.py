"""Relay boards on serial lines: e-stop actuators, PDU outlets, contactors the bench switches;
``FAMILIES`` maps the bench file's family name to its class."""

from __future__ import annotations

from instruments.relay.numato import NumatoRelay

FAMILIES: dict[str, type[NumatoRelay]] = {NumatoRelay.family: NumatoRelay}

__all__ = ["FAMILIES", "NumatoRelay"]
