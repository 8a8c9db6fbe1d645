"""Ingest domain: raw files -> landing tables of the build database."""
