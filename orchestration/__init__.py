"""Dagster wiring for govdw: assets, checks, sensor and schedule over the govdw library."""
