"""How the emulated station answers CSMS-initiated requests (OCPP 2.0.1), one module per
functional block; importing the package registers every handler in ``HANDLERS``."""

from harness.emulator.handlers import (  # noqa: F401 - imported to register their handlers
    availability,
    certificates,
    data_transfer,
    diagnostics,
    display_messages,
    firmware_update,
    local_auth_list,
    monitoring,
    provisioning,
    remote_control,
    reservation,
    smart_charging,
    transactions,
)
from harness.emulator.handlers.certificates import installed_hash_data
from harness.emulator.handlers.data_transfer import has_custom_data
from harness.emulator.handlers.registry import HANDLERS, handles

__all__ = ["HANDLERS", "handles", "has_custom_data", "installed_hash_data"]
