"""The lab around the charger: instruments from the bench file (real or simulated), their
safety limits, the power suite's parameters, and the facade suites use (:class:`Lab`)."""
