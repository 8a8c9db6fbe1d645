"""Warehouse engines besides DuckDB: where the dbt project is built and published when
`GOVDW_TARGET` names another engine (`postgres.py`: load, checks, publish swap, a local server)."""
