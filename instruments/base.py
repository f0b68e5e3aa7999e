"""The base of every driver: a transport, the bench entry's name and limits, identity check,
and the safe state the run returns it to on every exit path."""

from __future__ import annotations

import re
from typing import ClassVar

from instruments.errors import IdentityMismatch
from instruments.limits import Limits
from instruments.transcript import Transcript
from instruments.transport import DEFAULT_BACKEND, Identity, ScpiTransport


class Instrument:
    """One instrument of one family. Subclasses set the class variables and their controls."""

    family: ClassVar[str] = ""  # the name the bench file uses, e.g. "ea-psb10000"
    role: ClassVar[str] = ""  # "load", "scope", "power_analyzer", "relay"
    idn_pattern: ClassVar[str] = ""  # regex that *IDN? must match (search, case-insensitive)
    error_query: ClassVar[str | None] = "SYST:ERR?"
    read_termination: ClassVar[str] = "\n"
    write_termination: ClassVar[str] = "\n"

    def __init__(self, transport: ScpiTransport, limits: Limits | None = None) -> None:
        self.transport = transport
        self.limits = limits or Limits()
        self.identity: Identity | None = None

    @property
    def entry(self) -> str:
        return self.transport.entry

    @classmethod
    def open(cls, entry: str, resource: str, *, limits: Limits | None = None, timeout_s: float = 2.0,
             backend: str = DEFAULT_BACKEND, transcript: Transcript | None = None,
             check_identity: bool = True) -> Instrument:
        """Open the resource, check ``*IDN?`` against the family and run :meth:`initialize`."""
        transport = ScpiTransport(entry, resource, backend=backend, timeout_s=timeout_s,
                                  read_termination=cls.read_termination,
                                  write_termination=cls.write_termination,
                                  error_query=cls.error_query, transcript=transcript).open()
        instrument = cls(transport, limits)
        try:
            if check_identity:
                instrument.check_identity()
            instrument.initialize()
        except BaseException:
            transport.close()
            raise
        return instrument

    def check_identity(self) -> Identity:
        identity = self.transport.identify()
        self.identity = identity
        if self.idn_pattern and not re.search(self.idn_pattern, identity.raw, re.IGNORECASE):
            raise IdentityMismatch(self.entry, self.transport.resource,
                                   f"the bench file says family {self.family!r}, but *IDN? answered "
                                   f"{identity.raw!r}")
        return identity

    def initialize(self) -> None:
        """Family-specific setup after identification (remote lock, clear status...)."""

    def outputs_off(self) -> None:
        """Put the instrument in its safe state (load input off, source output off)."""

    def close(self) -> None:
        self.transport.close()
