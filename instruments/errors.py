"""Errors that name the bench-file entry, so a lab engineer knows which box and which line."""

from __future__ import annotations


class InstrumentError(RuntimeError):
    """An instrument could not do what was asked; the message names the bench entry."""

    def __init__(self, entry: str, resource: str, problem: str) -> None:
        self.entry, self.resource, self.problem = entry, resource, problem
        super().__init__(f"instrument '{entry}' ({resource}): {problem}")


class InstrumentUnreachable(InstrumentError):
    """The resource could not be opened (wrong address, instrument off, cable, firewall)."""


class InstrumentTimeout(InstrumentError):
    """The instrument did not answer a command within its timeout."""


class IdentityMismatch(InstrumentError):
    """``*IDN?`` names a different instrument than the bench file's family."""


class InstrumentReportedError(InstrumentError):
    """The instrument's error queue (``SYST:ERR?``) reported an error after a command."""

    def __init__(self, entry: str, resource: str, command: str, errors: list[tuple[int, str]]) -> None:
        self.command, self.errors = command, errors
        listed = "; ".join(f"{code},{text}" for code, text in errors)
        super().__init__(entry, resource, f"{command!r} was refused: {listed}")


class SafetyLimitError(ValueError):
    """A setting beyond the bench file's limits; nothing was sent to the instrument."""

    def __init__(self, entry: str, quantity: str, value: float, limit: float, unit: str, where: str) -> None:
        self.entry, self.quantity, self.value, self.limit = entry, quantity, value, limit
        super().__init__(
            f"instrument '{entry}': refused {quantity} {value:g} {unit}: beyond the bench limit "
            f"{limit:g} {unit} ({where}); nothing was sent")


class UnsupportedFeature(InstrumentError):
    """The family cannot do this (e.g. a sink-only load asked to emulate a battery)."""
