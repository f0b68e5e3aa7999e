"""The emulated charger speaking OCPP 1.6J: an adapter over the one emulated station.

The station's behaviour (transactions, authorization, metering, availability, reboots, the
offline queue) lives once in :mod:`harness.emulator`; this package only translates at the
edge: what the station sends (2.0.1-shaped, internally) becomes 1.6 on the wire
(:mod:`.translate`), what a 1.6 Central System asks is answered by the shared handlers through
:mod:`.handlers`, and the 1.6 configuration keys are views of the device model
(:mod:`.configuration`).
"""

from harness.emulator.ocpp16.station import EmulatedStation16

__all__ = ["EmulatedStation16"]
