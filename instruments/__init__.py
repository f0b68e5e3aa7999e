"""Lab instrument drivers by role (DC load, oscilloscope, power analyzer, relay) over SCPI and
serial lines, and ``sim/``: simulated instruments coupled to the emulated charger's power stage.

Layering: ``transport`` (pyvisa session, lock, transcript) -> ``properties`` (declarative
controls with validators and bench limits) -> one small driver class per family, grouped by
role in ``load/``, ``scope/``, ``analyzer/``, ``relay/``; ``registry`` picks the class named by
the bench file. Nothing here imports ``harness``: the harness uses instruments, not the reverse.
"""
