"""Analysis of sampled signals recorded during power-delivery tests."""
