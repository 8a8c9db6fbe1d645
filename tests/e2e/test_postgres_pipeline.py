"""End to end on PostgreSQL: `govdw sample`, then `govdw run --target postgres` against a server
the test starts (`LocalPostgres`): the DuckDB warehouse is published and the same warehouse is
published on PostgreSQL, readable by the reader role; a failing PostgreSQL stage says what failed
and leaves the published schemas as they were.

Skipped only when no PostgreSQL server binaries can be found (`make postgres` installs them).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from contract_columns import CONTRACT_COLUMNS  # tests/ is on sys.path (rootdir conftest)

from govdw.engines.postgres import quote_ident
from govdw.engines.postgres_server import LocalPostgres, find_bindir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_bindir() is None,
        reason="no PostgreSQL server binaries (initdb, pg_ctl, postgres): `make postgres`",
    ),
]

BIN = Path(sys.executable).parent
READER_USER = "govdw_e2e_analyst"


def _govdw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "govdw"), *args], capture_output=True, text=True, env=env, timeout=1200
    )


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A small sample run once with --target postgres against a throwaway server."""
    base = tmp_path_factory.mktemp("e2e-postgres")
    raw, warehouse = base / "raw", base / "warehouse" / "govdw.duckdb"
    with LocalPostgres(reader_user=READER_USER) as pg:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(base / "dagster"),
            "GOVDW_PII_KEY": "e2e-key",
            **pg.env(),
        }
        (base / "dagster").mkdir()
        sample = _govdw("sample", "--raw-dir", str(raw), "--scale", "0.003", "--seed", "7", env=env)
        assert sample.returncode == 0, sample.stderr
        run = _govdw(
            "run",
            "--raw-dir",
            str(raw),
            "--warehouse",
            str(warehouse),
            "--target",
            "postgres",
            env=env,
        )
        assert run.returncode == 0, f"govdw run failed:\n{run.stdout}\n{run.stderr}"
        yield {"pg": pg, "env": env, "raw": raw, "warehouse": warehouse, "run": run}


def _duckdb_counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {
            t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in CONTRACT_COLUMNS
        }
    finally:
        con.close()


def _pg_counts(conn: Any, schema: str = "govdw") -> dict[str, int]:
    counts = {}
    with conn.cursor() as cur:
        for table in CONTRACT_COLUMNS:
            cur.execute(f"select count(*) from {quote_ident(schema)}.{quote_ident(table)}")
            counts[table] = cur.fetchone()[0]
    conn.rollback()
    return counts


def test_the_same_warehouse_is_published_on_postgres(pipeline: dict[str, Any]) -> None:
    """Every contract table is in schema govdw with its contract columns and as many rows as
    in the DuckDB warehouse; the summary names the published schemas."""
    assert "postgres: govdw, govdw_intermediate, govdw_seeds, govdw_staging" in (
        pipeline["run"].stdout
    )
    pg: LocalPostgres = pipeline["pg"]
    conn = pg.connect(READER_USER)
    try:
        assert _pg_counts(conn) == _duckdb_counts(pipeline["warehouse"])
        with conn.cursor() as cur:
            for table, columns in CONTRACT_COLUMNS.items():
                cur.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'govdw' and table_name = %s",
                    (table,),
                )
                got = {row[0] for row in cur.fetchall()}
                assert columns <= got, f"{table} misses {sorted(columns - got)}"
            cur.execute("select count(*) from fct_hotline_orders")  # search_path: govdw
            assert cur.fetchone()[0] > 0
    finally:
        conn.close()


def test_a_failing_postgres_stage_leaves_the_published_schemas(
    pipeline: dict[str, Any],
) -> None:
    """A stage that cannot reach PostgreSQL fails the run with what failed and what stays, no
    traceback; the published schemas keep the last good build."""
    pg: LocalPostgres = pipeline["pg"]
    conn = pg.connect()
    before = _pg_counts(conn)
    env = {**pipeline["env"], "GOVDW_PG_PASSWORD": "not-the-password"}
    run = _govdw(
        "run",
        "--raw-dir",
        str(pipeline["raw"]),
        "--warehouse",
        str(pipeline["warehouse"]),
        "--target",
        "postgres",
        env=env,
    )
    assert run.returncode == 1, run.stdout
    assert "the PostgreSQL stage failed" in run.stderr
    assert "password authentication failed" in run.stderr
    assert "the published PostgreSQL schemas are unchanged" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert _pg_counts(conn) == before
    conn.close()
