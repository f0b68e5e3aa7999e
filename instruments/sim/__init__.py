"""Simulated instruments: stateful SCPI socket servers (and a serial relay board) on loopback,
reached through the same pyvisa / pyserial stack as real ones, coupled to the emulated
charger's DC power stage through :class:`instruments.sim.port.DcPort`."""
