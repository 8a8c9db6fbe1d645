"""The same dbt project on DuckDB, Spark and PostgreSQL, on the same landing rows: time, memory,
and whether the published tables are equal.

    python benchmarks/bench_engines.py --build-db B [--handoff DIR]
        [--engines duckdb,spark,postgres] [--label L] [--json-dir benchmarks/results]
        [--no-results-md]

The landing schema of build database B (a `govdw run`'s) is copied into a new database in a work
folder, its Parquet hand-off written there (`govdw.handoff.sync`, timed) unless --handoff names
one, and then, for each engine, a cold `dbt build`:

- duckdb: `dbt build --target duckdb --full-refresh` on the copy (landing only: a cold build);
- spark: `dbt build --target spark` into a fresh warehouse folder, landing read from the hand-off
  (pyspark in local mode, all cores, GOVDW_SPARK_MEMORY driver memory);
- postgres: a throwaway local server (`LocalPostgres`), `load_landing` from the hand-off, then
  `dbt build --target postgres`.

Each step is timed (wall) and its process tree sampled every 0.2 s for the peak summed RSS; the
PostgreSQL server's processes are added to its dbt build's. Afterwards the digest of every table in
the marts/audit schema is taken on each engine and compared with DuckDB's. Writes
`engines-<label>-<stamp>.json` into --json-dir and the section "Engines: <label>" of RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ladder import machine, run_measured
from results import machine_line, write_section

from govdw import handoff
from govdw.digest import COUNT_ONLY, TableDigest, differences
from govdw.engines import postgres as pg_engine
from govdw.engines import spark as spark_engine
from govdw.engines.postgres_server import LocalPostgres
from govdw.publish import table_digests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent
DBT_PROJECT = REPO / "dbt_project"
MIB = 2**20
ENGINES = ("duckdb", "spark", "postgres")


@dataclass
class Step:
    """One measured step."""

    name: str
    seconds: float
    peak_rss_mib: float
    ok: bool
    detail: str = ""


@dataclass
class EngineResult:
    """What one engine cost and whether its tables equal DuckDB's."""

    engine: str
    steps: list[Step] = field(default_factory=list)
    tables: int = 0
    equal_to_duckdb: bool | None = None
    #: Tables compared by row count only (--digest-max-rows).
    counted: int = 0
    differing: dict[str, list[str]] = field(default_factory=dict)
    digests: dict[str, list[Any]] = field(default_factory=dict)


def measured(
    name: str, args: Sequence[str], env: dict[str, str], log: Path, extra: Sequence[int] = ()
) -> Step:
    """Run a command (`bench_ladder.run_measured`: its process tree and those of `extra`)."""
    run = run_measured(args, env, log, extra)
    tail = (run.stdout + run.stderr).strip().splitlines()[-3:]
    return Step(
        name,
        round(run.seconds, 1),
        round(run.peak_rss / MIB),
        run.returncode == 0,
        " | ".join(tail),
    )


def timed(name: str, fn: Any) -> tuple[Step, Any]:
    """Time an in-process step (its peak RSS is this process's high-water mark)."""
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    peak = psutil.Process().memory_info().rss
    return Step(name, round(seconds, 1), round(peak / MIB), True), value


def dbt_args(target: str, *extra: str) -> list[str]:
    return [
        str(BIN / "dbt"),
        "build",
        "--target",
        target,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        *extra,
    ]


def copy_landing(source: Path, target: Path) -> None:
    """A new build database holding only the landing schema of `source`: every engine then
    builds cold (a copy of the whole file would make DuckDB's build a full refresh over the
    tables already there)."""
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{source}' as src (read_only)")
        con.execute("create schema landing")
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'src' and table_schema = 'landing' order by table_name"
        ).fetchall()
        for (name,) in tables:
            con.execute(f'create table landing."{name}" as select * from src.landing."{name}"')
        con.execute("detach src")
        con.execute("checkpoint")
    finally:
        con.close()


def landing_rows(build_db: Path) -> int:
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        tables = ("hotline_orders", "service_cases", "evaluations")
        return sum(
            con.execute(f"select count(*) from landing.{t}").fetchall()[0][0] for t in tables
        )
    finally:
        con.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(args.work or tempfile.mkdtemp(prefix="govdw-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    build_db = work / "build" / "govdw_build.duckdb"
    build_db.parent.mkdir(parents=True, exist_ok=True)
    copy_landing(args.build_db, build_db)
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GOVDW_BUILD_DB": str(build_db),
        "GOVDW_SPARK_MEMORY": args.spark_memory,
    }
    env.pop("GOVDW_SPARK_SCHEMA", None)
    result: dict[str, Any] = {
        "label": args.label,
        "build_db": str(args.build_db),
        "landing_rows": landing_rows(build_db),
        "machine": machine(),
        "engines": {},
    }
    root = Path(args.handoff) if args.handoff else work / "landing_parquet"
    if not args.handoff:
        con = duckdb.connect(str(build_db), read_only=True)
        try:
            step, synced = timed("hand-off (Parquet)", lambda: handoff.sync(con, root))
        finally:
            con.close()
        step.detail = f"{synced.written_files} files, {sum(synced.rows.values()):,} rows"
        result["handoff"] = asdict(step)
        print(f"hand-off: {step.seconds} s, {step.detail}", flush=True)
    env["GOVDW_LANDING_PARQUET"] = str(root)
    found: dict[str, dict[str, TableDigest]] = {}
    for engine in args.engines:
        res = EngineResult(engine)
        print(f"{engine}: building …", flush=True)
        if engine == "duckdb":
            res.steps.append(
                measured(
                    "dbt build", dbt_args("duckdb", "--full-refresh"), env, logs / "duckdb.log"
                )
            )
            found[engine] = table_digests(build_db, max_rows=args.digest_max_rows)
        elif engine == "spark":
            warehouse = work / "spark-warehouse"
            shutil.rmtree(warehouse, ignore_errors=True)
            spark_env = {**env, **spark_engine.dbt_env(build_db, "govdw")}
            spark_env["GOVDW_SPARK_WAREHOUSE"] = str(warehouse)
            spark_env["GOVDW_LANDING_PARQUET"] = str(root)
            res.steps.append(
                measured("dbt build", dbt_args("spark"), spark_env, logs / "spark.log")
            )
            if res.steps[-1].ok:
                answer = spark_engine.run_in_process(
                    "digests",
                    warehouse,
                    {"database": "govdw", "max_rows": args.digest_max_rows},
                    timeout=7200,
                )
                found[engine] = {t: TableDigest(n, h) for t, (n, h) in answer["digests"].items()}
        elif engine == "postgres":
            with LocalPostgres() as pg:
                server = int((pg.data_dir / "postmaster.pid").read_text().split()[0])
                conn = pg.connect()
                try:
                    step, rows = timed(
                        "load landing", lambda c=conn: pg_engine.load_landing(c, root)
                    )
                    step.detail = f"{sum(rows.values()):,} rows"
                    res.steps.append(step)
                finally:
                    conn.close()
                pg_env = {**env, **pg.env()}
                res.steps.append(
                    measured(
                        "dbt build",
                        dbt_args("postgres"),
                        pg_env,
                        logs / "postgres.log",
                        extra=[server],
                    )
                )
                if res.steps[-1].ok:
                    conn = pg.connect()
                    try:
                        found[engine] = pg_engine.table_digests(
                            conn, "govdw_build", args.digest_max_rows
                        )
                    finally:
                        conn.close()
        digests = found.get(engine, {})
        res.tables = len(digests)
        res.counted = sum(1 for d in digests.values() if d.sha256 == COUNT_ONLY)
        res.digests = {t: [d.rows, d.sha256] for t, d in sorted(digests.items())}
        if engine != "duckdb" and "duckdb" in found and digests:
            diff = differences(found["duckdb"], digests)
            res.equal_to_duckdb = not diff
            res.differing = {t: list(v) for t, v in diff.items()}
        for step in res.steps:
            print(f"  {step.name}: {step.seconds} s, peak {step.peak_rss_mib} MiB, ok={step.ok}")
        if res.equal_to_duckdb is not None:
            print(f"  equal to DuckDB: {res.equal_to_duckdb} {res.differing or ''}", flush=True)
        result["engines"][engine] = asdict(res)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


def section(result: dict[str, Any]) -> str:
    lines = [
        machine_line(),
        f"commit {result['machine'].get('commit', '?')}; command: `python benchmarks/"
        f"bench_engines.py {result.get('command', '')}`",
        "",
        f"The same landing rows ({result['landing_rows']:,} detail rows) built cold by the same "
        "dbt project on each engine, on this one machine.",
        "",
        "| engine | step | seconds | peak RSS (MiB) | tables | equal to DuckDB |",
        "|---|---|---:|---:|---:|---|",
    ]
    if "handoff" in result:
        h = result["handoff"]
        lines.append(
            f"| (all) | Parquet hand-off ({h['detail']}) | {h['seconds']} | "
            f"{h['peak_rss_mib']} | | |"
        )
    for engine, res in result["engines"].items():
        equal = {None: "(reference)", True: "yes", False: "**no**"}[res["equal_to_duckdb"]]
        if res.get("counted"):
            equal += f" ({res['counted']} large tables by row count)"
        for i, step in enumerate(res["steps"]):
            last = i == len(res["steps"]) - 1
            lines.append(
                f"| {engine} | {step['name']} | {step['seconds']} | {step['peak_rss_mib']:,} | "
                f"{res['tables'] if last else ''} | {equal if last else ''} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-db", type=Path, required=True)
    parser.add_argument("--handoff", type=Path, default=None)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--label", default="sample")
    parser.add_argument("--spark-memory", default="6g")
    parser.add_argument("--work", default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--digest-max-rows",
        type=int,
        default=None,
        help="tables with more rows are compared by row count only (hashing every row of a "
        "fact table at scale 4 takes minutes per engine in Python)",
    )
    parser.add_argument("--json-dir", type=Path, default=HERE / "results")
    parser.add_argument("--no-results-md", action="store_true")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(args.engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    result = run(args)
    result["command"] = " ".join(argv if argv is not None else sys.argv[1:])
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    args.json_dir.mkdir(parents=True, exist_ok=True)
    out = args.json_dir / f"engines-{args.label}-{stamp}.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")
    if not args.no_results_md:
        write_section(f"Engines: {args.label}", section(result))
    ok = all(
        all(s["ok"] for s in r["steps"]) and r["equal_to_duckdb"] is not False
        for r in result["engines"].values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
