"""OCTT OCPP 1.6 certification cases (Charge Point side), named by their OCTT 1.6 ids."""
