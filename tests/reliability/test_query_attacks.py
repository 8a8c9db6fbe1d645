"""Issue 11, item 1: `govdw sql` on a really published warehouse cannot harm anything.

A small sample is run through the whole pipeline once; every attack the reliability report
found then goes through the real command line (a subprocess, as an analyst types it). After
each, the published file is byte-identical, opens, and nothing new exists on disk.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _govdw(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(BIN / "govdw"), *args], capture_output=True, text=True, env=env, timeout=900
    )
    if check:
        assert done.returncode == 0, f"govdw {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A sample run once through `govdw run`, with a generated (not env) PII key."""
    base = tmp_path_factory.mktemp("attacks")
    env = {k: v for k, v in os.environ.items() if k != "GOVDW_PII_KEY"}
    env.update(
        DAGSTER_HOME=str(base / "dagster"),
        GOVDW_RAW_DIR=str(base / "raw"),
        GOVDW_WAREHOUSE=str(base / "warehouse" / "govdw.duckdb"),
    )
    env.pop("GOVDW_BUILD_DB", None)
    _govdw("sample", "--scale", "0.002", "--seed", "3", env=env)
    _govdw("run", env=env)
    yield {"base": base, "env": env, "warehouse": base / "warehouse" / "govdw.duckdb"}


def _snapshot(base: Path) -> dict[str, str]:
    """sha256 of the published file and the set of every path under the test folder."""
    warehouse = base / "warehouse" / "govdw.duckdb"
    paths = sorted(str(p.relative_to(base)) for p in base.rglob("*") if "logs" not in p.parts)
    return {
        "warehouse": hashlib.sha256(warehouse.read_bytes()).hexdigest(),
        "paths": "\n".join(paths),
    }


ATTACKS = [
    "copy (select 'x' as a) to '{wh}'",
    "copy (select 'x' as a) to '{base}/raw/evil.csv'",
    "copy fct_hotline_orders to '{base}/leak.parquet' (format parquet)",
    "export database '{base}/dump'",
    "attach '{base}/other.duckdb' as other (READ_WRITE)",
    "attach '{wh}' as w2 (READ_WRITE)",
    "select * from read_text('/etc/shadow')",
    "select * from read_csv('{base}/dagster/secrets/pii.key')",
    "select * from read_text('{base}/dagster/secrets/pii.key')",
    "select * from read_blob('{base}/warehouse/.build/govdw_build.duckdb')",
    "select * from glob('{base}/**')",
    "install httpfs",
    "load httpfs",
    "select * from read_parquet('https://example.com/x.parquet')",
    "set enable_external_access = true",
    "set lock_configuration = false",
    "create table main.evil as select 1",
    "drop table fct_hotline_orders",
    "update fct_hotline_orders set status = null",
    "select 1; copy (select 1) to '{base}/second.csv'",
]


@pytest.mark.parametrize("template", ATTACKS, ids=[a[:45] for a in ATTACKS])
def test_attack_refused(published: dict[str, Any], template: str) -> None:
    base, env = published["base"], published["env"]
    before = _snapshot(base)
    statement = template.format(wh=published["warehouse"], base=base)
    done = _govdw("sql", statement, env=env, check=False)
    assert done.returncode == 1, done.stdout
    assert "refused" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    key = (base / "dagster" / "secrets" / "pii.key").read_text(encoding="utf-8").strip()
    assert key not in done.stdout + done.stderr
    assert _snapshot(base) == before
    con = duckdb.connect(str(published["warehouse"]), read_only=True)
    try:
        assert con.execute("select count(*) from fct_hotline_orders").fetchone()[0] > 0  # type: ignore[index]
    finally:
        con.close()


def test_reads_still_work(published: dict[str, Any]) -> None:
    done = _govdw(
        "sql",
        "select count(*) as n from fct_hotline_orders",
        "--format",
        "json",
        env=published["env"],
    )
    assert '"n":' in done.stdout


def test_generated_key_is_private_and_outside_raw_and_warehouse(published: dict[str, Any]) -> None:
    base = published["base"]
    key = base / "dagster" / "secrets" / "pii.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert not (base / "dagster" / "pii.key").exists()
    assert not list((base / "raw").rglob("pii.key"))
    assert not list((base / "warehouse").rglob("pii.key"))
