"""Spark as the warehouse engine: the session settings dbt's `spark` target uses, the checks, the
publish step and the table digests.

dbt builds with dbt-spark's `session` method: a local Spark inside the dbt process (pyspark on
the machine's Java), whose tables and Hive metastore (embedded Derby) live under
`settings.spark_warehouse_path()`. The landing tables are external tables over the Parquet
hand-off (`govdw.handoff`), registered by dbt's on-run-start hook. Each `govdw run --target
spark` builds into a database of its own (`govdw_b<run>` and `govdw_b<run>_staging`, …); after
the checks pass, every published table of database `govdw` becomes a view on that build
(`create or replace view`, one statement per table), the previous build stays for the readers
still on it, and older builds are dropped. A failed run leaves `govdw` as it was.

Embedded Derby admits one process at a time, so everything here that opens the metastore runs
in a short-lived process of its own (`python -m govdw.engines.spark …`), after dbt has exited.
On a cluster the same target points at a Spark Thrift server (`method: thrift`, docs/scale-out.md)
and the metastore is the cluster's.

`pyspark` (the `spark` extra) is imported only inside the functions that start a session.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govdw import settings
from govdw.digest import TableDigest, digest

#: The database analysts read (views on the last published build).
PUBLISHED = "govdw"
#: Build databases are `<BUILD_PREFIX><run id, 8 hex digits>` (and `…_staging`, …).
BUILD_PREFIX = "govdw_b"
_BUILD_RE = re.compile(rf"^{BUILD_PREFIX}([0-9a-f]{{8}})(_[a-z_]+)?$")


class SparkError(RuntimeError):
    """A Spark step failed; the message says what and what to do."""


def build_database(run_id: str) -> str:
    """The database a run builds into (dbt's `schema` for the spark target)."""
    token = re.sub(r"[^0-9a-f]", "", run_id.lower())[:8].ljust(8, "0")
    return f"{BUILD_PREFIX}{token}"


def dbt_env(build_db: Path, database: str) -> dict[str, str]:
    """The environment dbt's spark target reads (dbt_project/profiles.yml), as absolute paths."""
    return {
        "GOVDW_SPARK_WAREHOUSE": str(settings.spark_warehouse_path(build_db)),
        "GOVDW_LANDING_PARQUET": str(settings.landing_parquet_path(build_db)),
        "GOVDW_SPARK_SCHEMA": database,
    }


def session_config(warehouse: Path, memory: str | None = None) -> dict[str, str]:
    """The settings of dbt's spark target (`server_side_parameters` in profiles.yml) for a
    session of our own on the same warehouse and metastore."""
    return {
        "spark.master": "local[*]",
        "spark.app.name": "govdw",
        "spark.ui.enabled": "false",
        "spark.log.level": "ERROR",
        "spark.driver.memory": memory or os.environ.get("GOVDW_SPARK_MEMORY", "4g"),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": f"{warehouse}/warehouse",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={warehouse}",
        "spark.sql.shuffle.partitions": "8",
    }


def session(warehouse: Path, memory: str | None = None) -> Any:
    """A local SparkSession with Hive support on `warehouse` (call `.stop()` when done)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # the optional extra is missing
        raise SparkError(
            "pyspark is not installed: install the spark extra (pip install 'govdw[spark]')"
        ) from exc
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_config(warehouse, memory).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _tables(spark: Any, database: str) -> list[str]:
    rows = spark.sql(f"show tables in {database}").collect()
    return sorted(r["tableName"] for r in rows if not r["isTemporary"])


def databases(spark: Any) -> list[str]:
    """Every database in the metastore."""
    return sorted(r[0] for r in spark.sql("show databases").collect())


def table_digests(spark: Any, database: str, max_rows: int | None = None) -> dict[str, TableDigest]:
    """The digest of every table and view of `database` (`govdw.digest`); a table of more than
    `max_rows` rows gets its row count only (`TableDigest.counted`)."""
    out = {}
    for table in _tables(spark, database):
        frame = spark.table(f"{database}.{table}")
        if max_rows is not None and (rows := int(frame.count())) > max_rows:
            out[table] = TableDigest.counted(rows)
            continue
        out[table] = digest(frame.columns, (tuple(r) for r in frame.toLocalIterator()))
    return out


def row_counts(spark: Any, database: str) -> dict[str, int]:
    """Rows per table of `database`."""
    return {t: int(spark.table(f"{database}.{t}").count()) for t in _tables(spark, database)}


@dataclass(frozen=True)
class CheckResult:
    """One blocking check of a Spark build."""

    name: str
    passed: bool
    detail: str


def checks(
    counts: Mapping[str, int], expected: Mapping[str, int], facts: Mapping[str, int]
) -> list[CheckResult]:
    """The checks a build must pass before it is published: every table the DuckDB warehouse
    built from the same landing rows exists with as many rows, and a fact whose landing table
    holds rows holds rows too (`facts`: fact -> landing rows)."""
    results = []
    for table, rows in sorted(expected.items()):
        got = counts.get(table)
        results.append(
            CheckResult(
                f"rows_match_duckdb:{table}",
                got == rows,
                f"{got} rows on Spark, {rows} on DuckDB" if got is not None else "missing",
            )
        )
    for fact, landing_rows in sorted(facts.items()):
        got = counts.get(fact, 0)
        results.append(
            CheckResult(
                f"fact_not_empty:{fact}",
                not (landing_rows and not got),
                f"{got} rows from {landing_rows} landing rows",
            )
        )
    return results


def publish(spark: Any, build: str, published: str = PUBLISHED) -> dict[str, Any]:
    """Point every table of `published` at database `build` (views), keep the build published
    before it, drop older builds and views of tables the new build no longer has."""
    tables = _tables(spark, build)
    spark.sql(f"create database if not exists {published}")
    before = {t: _view_target(spark, published, t) for t in _tables(spark, published)}
    for table in tables:
        spark.sql(f"create or replace view {published}.{table} as select * from {build}.{table}")
    for table in sorted(set(before) - set(tables)):
        spark.sql(f"drop view if exists {published}.{table}")
    previous = {t.split(".")[0] for t in before.values() if t}
    keep = {build, *previous}
    dropped = []
    for name in databases(spark):
        match = _BUILD_RE.match(name)
        if match and f"{BUILD_PREFIX}{match.group(1)}" not in keep:
            spark.sql(f"drop database if exists {name} cascade")
            dropped.append(name)
    return {"published": published, "build": build, "tables": tables, "dropped": dropped}


def _view_target(spark: Any, database: str, table: str) -> str | None:
    """`<database>.<table>` a published view reads, None for anything else."""
    try:
        text = spark.sql(f"show create table {database}.{table}").collect()[0][0]
    except Exception:  # a table that is not a view, or a broken one
        return None
    match = re.search(rf"from\s+`?({BUILD_PREFIX}[0-9a-f]{{8}})`?\.", text, re.IGNORECASE)
    return f"{match.group(1)}.{table}" if match else None


# ------------------------------------------------------------------ the short-lived process


def run_in_process(
    command: str, warehouse: Path, payload: Mapping[str, Any], timeout: float = 1800
) -> dict[str, Any]:
    """Run `python -m govdw.engines.spark <command>` on `warehouse` with a JSON payload; its JSON
    answer. A separate process, because embedded Derby admits one JVM at a time."""
    proc = subprocess.run(
        [sys.executable, "-m", "govdw.engines.spark", command, "--warehouse", str(warehouse)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:]) or f"exit code {proc.returncode}"
        raise SparkError(f"spark {command} failed: {tail}")
    answer: dict[str, Any] = json.loads(lines[-1])
    return answer


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govdw.engines.spark")
    parser.add_argument("command", choices=("counts", "digests", "publish"))
    parser.add_argument("--warehouse", type=Path, required=True)
    args = parser.parse_args(argv)
    payload = json.loads(sys.stdin.read() or "{}")
    spark = session(args.warehouse)
    try:
        if args.command == "counts":
            answer: dict[str, Any] = {"counts": row_counts(spark, payload["database"])}
        elif args.command == "digests":
            found = table_digests(spark, payload["database"], payload.get("max_rows"))
            answer = {"digests": {t: [d.rows, d.sha256] for t, d in found.items()}}
        else:
            answer = publish(spark, payload["build"], payload.get("published", PUBLISHED))
    finally:
        spark.stop()
    print(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
