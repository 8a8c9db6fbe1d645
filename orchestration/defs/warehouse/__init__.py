"""Warehouse domain: the dbt project's models as assets, dbt tests as checks, extra data checks."""
