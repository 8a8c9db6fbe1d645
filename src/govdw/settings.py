"""Paths and keys from the environment, with repository defaults; the only reader of env vars."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: The repository root: src/govdw/settings.py -> parents[2].
REPO_ROOT = Path(__file__).resolve().parents[2]


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def raw_dir() -> Path:
    """The drop folder (`GOVDW_RAW_DIR`, default `<repo>/raw`)."""
    return _path("GOVDW_RAW_DIR", REPO_ROOT / "raw")


def warehouse_path() -> Path:
    """The published DuckDB file (`GOVDW_WAREHOUSE`, default `<repo>/warehouse/govdw.duckdb`)."""
    return _path("GOVDW_WAREHOUSE", REPO_ROOT / "warehouse" / "govdw.duckdb")


def build_db_path(warehouse: Path | None = None) -> Path:
    """The pipeline's private build database, next to the warehouse it publishes."""
    default = (warehouse or warehouse_path()).parent / ".build" / "govdw_build.duckdb"
    return _path("GOVDW_BUILD_DB", default)


def dagster_home() -> Path:
    """The Dagster instance folder (`DAGSTER_HOME`, default `<repo>/.dagster`)."""
    return _path("DAGSTER_HOME", REPO_ROOT / ".dagster")


def dbt_project_dir() -> Path:
    """The dbt project shipped in the repository."""
    return REPO_ROOT / "dbt_project"


def pii_key() -> bytes:
    """The key for hashing identifying columns: `GOVDW_PII_KEY`, else one generated on first use.

    The generated key lives in `$DAGSTER_HOME/pii.key` so hashes stay stable across runs.
    """
    value = os.environ.get("GOVDW_PII_KEY")
    if value:
        return value.encode("utf-8")
    key_file = dagster_home() / "pii.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = key_file.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32), encoding="utf-8")
        tmp.chmod(0o600)
        os.replace(tmp, key_file)
    return key_file.read_text(encoding="utf-8").strip().encode("utf-8")
