"""Relay boards on serial lines: e-stop actuators, PDU outlets, contactors the bench switches."""

from instruments.relay.numato import NumatoRelay

__all__ = ["NumatoRelay"]
