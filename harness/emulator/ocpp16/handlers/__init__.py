"""How the emulated 1.6 charge point answers Central System requests, one module per 1.6
feature profile (as :mod:`harness.emulator.handlers` is per 2.0.1 functional block): each 1.6
request is said as the 2.0.1 request the shared handler answers, and the answer said back in
1.6. Only what 1.6 does differently is written here."""

from harness.emulator.ocpp16.handlers import core  # noqa: F401  (registers its handlers)
from harness.emulator.ocpp16.handlers.registry import HANDLERS_16

__all__ = ["HANDLERS_16"]
