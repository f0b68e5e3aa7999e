"""How the emulated 1.6 charge point answers Central System requests, one module per 1.6
feature profile (as :mod:`harness.emulator.handlers` is per 2.0.1 functional block): each 1.6
request is said as the 2.0.1 request the shared handler answers, and the answer said back in
1.6. Only what 1.6 does differently is written here."""

# Importing a module registers its handlers in HANDLERS_16.
from harness.emulator.ocpp16.handlers import (  # noqa: F401
    core,  # Core, Remote Trigger
    firmware,  # Firmware Management (UpdateFirmware, GetDiagnostics)
    local_auth_list,  # Local Auth List Management
    reservation,  # Reservation
    security,  # Security Whitepaper ed.2
    smart_charging,  # Smart Charging
)
from harness.emulator.ocpp16.handlers.registry import HANDLERS_16

__all__ = ["HANDLERS_16"]
