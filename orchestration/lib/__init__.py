"""Reusable helpers for the Dagster definitions (no asset wiring here)."""
