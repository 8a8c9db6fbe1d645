"""The same warehouse on every engine: `govdw sample` (the default sample), then `govdw run` with
`--target duckdb`, `--target postgres` (a real server the test starts: `LocalPostgres`) and
`--target spark` (pyspark in local mode, reading the Parquet hand-off). Every published table
has the same digest (`govdw.digest`: canonical values, sorted rows, sha256) on all three.

Set GOVDW_ENGINE_DIGESTS=<file.json> to keep the per-table digests (the closing note and
docs/scale-out.md quote them). Skipped only when no PostgreSQL server binaries can be found.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from contract_columns import CONTRACT_COLUMNS  # tests/ is on sys.path (rootdir conftest)

from govdw import settings
from govdw.digest import TableDigest, differences
from govdw.engines import postgres as pg_engine
from govdw.engines import spark as spark_engine
from govdw.engines.postgres_server import LocalPostgres, find_bindir
from govdw.publish import table_digests

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_bindir() is None,
        reason="no PostgreSQL server binaries (initdb, pg_ctl, postgres): `make postgres`",
    ),
]

BIN = Path(sys.executable).parent


def _govdw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "govdw"), *args], capture_output=True, text=True, env=env, timeout=2400
    )


def _run(target: str, raw: Path, warehouse: Path, env: dict[str, str]) -> str:
    args = ["run", "--raw-dir", str(raw), "--warehouse", str(warehouse), "--target", target]
    run = _govdw(*args, env=env)
    assert run.returncode == 0, f"govdw run --target {target} failed:\n{run.stdout}\n{run.stderr}"
    return run.stdout


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, TableDigest]]:
    """The default sample built on DuckDB, PostgreSQL and Spark: engine -> table -> digest."""
    base = tmp_path_factory.mktemp("engines")
    raw, warehouse = base / "raw", base / "warehouse" / "govdw.duckdb"
    build_db = settings.build_db_path(warehouse)
    (base / "dagster").mkdir()
    with LocalPostgres() as pg:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(base / "dagster"),
            "GOVDW_PII_KEY": "engines-key",
            "GOVDW_SPARK_MEMORY": "2g",
            **pg.env(),
        }
        env.pop("GOVDW_BUILD_DB", None)
        sample = _govdw("sample", "--raw-dir", str(raw), env=env)
        assert sample.returncode == 0, sample.stderr
        _run("duckdb", raw, warehouse, env)
        out = _run("postgres", raw, warehouse, env)
        assert "postgres: govdw" in out
        out = _run("spark", raw, warehouse, env)
        assert "spark: " in out and "tables in database govdw" in out
        conn = pg.connect()
        try:
            on_postgres = pg_engine.table_digests(conn, "govdw")
        finally:
            conn.close()
    answer = spark_engine.run_in_process(
        "digests", settings.spark_warehouse_path(build_db), {"database": "govdw"}
    )
    on_spark = {t: TableDigest(rows, sha) for t, (rows, sha) in answer["digests"].items()}
    result = {
        "duckdb": table_digests(warehouse),
        "postgres": on_postgres,
        "spark": on_spark,
    }
    if out_path := os.environ.get("GOVDW_ENGINE_DIGESTS"):
        Path(out_path).write_text(
            json.dumps(
                {e: {t: [d.rows, d.sha256] for t, d in ds.items()} for e, ds in result.items()},
                indent=1,
                sort_keys=True,
            ),
            encoding="utf-8",
        )
    return result


def test_every_contract_table_is_published_with_rows(
    digests: dict[str, dict[str, TableDigest]],
) -> None:
    for engine, tables in digests.items():
        assert set(CONTRACT_COLUMNS) <= set(tables), f"{engine} lacks tables"
        for fact in ("fct_hotline_orders", "fct_service_cases", "fct_evaluations"):
            assert tables[fact].rows > 1000, (engine, fact)


@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_the_published_tables_equal_duckdbs(
    digests: dict[str, dict[str, TableDigest]], engine: str
) -> None:
    """Same tables, same rows, same values: per-table digests equal to DuckDB's."""
    diff = differences(digests["duckdb"], digests[engine])
    assert not diff, "\n".join(
        f"  {table}: duckdb {a}, {engine} {b}" for table, (a, b) in diff.items()
    )
