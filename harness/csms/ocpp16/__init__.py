"""The harness CSMS's OCPP 1.6J specifics: default answers, session state, Core preconditions.

Everything version-neutral (websocket server, journal, expect / call, findings) lives once in
:mod:`harness.csms`; this package holds only what 1.6 says differently.
"""
