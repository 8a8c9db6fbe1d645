"""Test-session environment: private Dagster home, fixed PII key, no telemetry."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before any govdw/dagster module reads the environment, so no test writes into the repo's
# raw/, warehouse/ or .dagster/ and hashes are reproducible.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="govdw-tests-"))
os.environ.setdefault("GOVDW_PII_KEY", "govdw-test-key")
os.environ["DAGSTER_HOME"] = str(_SESSION_DIR / "dagster_home")
os.environ["GOVDW_RAW_DIR"] = str(_SESSION_DIR / "raw")
os.environ["GOVDW_WAREHOUSE"] = str(_SESSION_DIR / "warehouse" / "govdw.duckdb")
os.environ.pop("GOVDW_BUILD_DB", None)
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
os.environ["DAGSTER_DISABLE_TELEMETRY"] = "true"
(_SESSION_DIR / "dagster_home").mkdir(parents=True, exist_ok=True)

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def session_dir() -> Path:
    """A temp folder shared by the whole test session."""
    return _SESSION_DIR
