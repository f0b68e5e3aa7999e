"""The harness as the EV: control pilot and proximity (``side``: the EvSide interface and its
backends), SLAC matching, SDP discovery and the V2G transport to the charger's SECC."""
