"""The PostgreSQL engine (`govdw.engines.postgres`) on a real server the tests start
(`LocalPostgres`, on a free local port): the landing load from a Parquet hand-off, the checks
that gate publishing, the schema swap, and what the read-only role can and cannot do.

Skipped only when no PostgreSQL server binaries can be found (`make postgres` installs them).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.errors
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govdw import datasets, handoff, settings
from govdw.engines.postgres import (
    PostgresError,
    checks,
    connect,
    drop_build_schemas,
    load_landing,
    prepare_database,
    publish,
    publish_checked,
    quote_ident,
)
from govdw.engines.postgres_server import SUPERUSER, LocalPostgres, find_bindir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        find_bindir() is None,
        reason="no PostgreSQL server binaries (initdb, pg_ctl, postgres): `make postgres`",
    ),
]

READER_USER = "govdw_test_analyst"


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPostgres]:
    """One throwaway server for the module, with a login user in the reader role."""
    with LocalPostgres(reader_user=READER_USER) as pg:
        yield pg


@pytest.fixture()
def database(server: LocalPostgres) -> Iterator[str]:
    """A fresh database of the owner, prepared as LocalPostgres prepares its own."""
    name = f"govdw_t_{secrets.token_hex(4)}"
    admin = server.connect(SUPERUSER, database="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create database {name} owner {quote_ident(server.owner)}")
    admin.close()
    admin = server.connect(SUPERUSER, database=name)
    prepare_database(admin, server.owner, server.reader_role, reader_user=READER_USER)
    admin.close()
    yield name


@pytest.fixture()
def owner(server: LocalPostgres, database: str) -> Iterator[Any]:
    """The owner's connection to the test database (what the pipeline uses)."""
    conn = server.connect(database=database)
    yield conn
    conn.close()


@pytest.fixture()
def reader(server: LocalPostgres, database: str) -> Iterator[Callable[[], Any]]:
    """Opens connections as the login user of the reader role."""
    opened: list[Any] = []

    def open_one() -> Any:
        conn = server.connect(READER_USER, database=database)
        opened.append(conn)
        return conn

    yield open_one
    for conn in opened:
        conn.close()


# ------------------------------------------------------------------------------ the hand-off


def _values(arrow_type: pa.DataType, n: int, offset: int) -> list[Any]:
    """`n` values of a type, nulls and edge cases among them."""
    edge: dict[pa.DataType, list[Any]] = {
        pa.string(): ["", None, 'a "quoted", comma\nand newline', "12345 热线 工单", "back\\slash"],
        pa.int8(): [1, None, -128, 127, 5],
        pa.int32(): [0, None, -(2**31), 2**31 - 1, 7],
        pa.int64(): [0, None, -(2**63), 2**63 - 1, 11],
        pa.float64(): [0.1, None, 1e300, float("inf"), float("nan"), -2.5],
        pa.bool_(): [True, False, None],
        pa.date32(): [dt.date(2024, 1, 31), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)],
        pa.timestamp("us"): [
            dt.datetime(2024, 5, 6, 7, 8, 9, 123456),
            None,
            dt.datetime(1, 1, 1),
            dt.datetime(2024, 2, 29, 23, 59, 59, 999999),
        ],
    }
    pool = edge[arrow_type]
    return [pool[(i + offset) % len(pool)] for i in range(n)]


def _table(arrow_schema: pa.Schema, n: int, offset: int) -> pa.Table:
    return pa.table(
        {
            f.name: pa.array(_values(f.type, n, offset + i), f.type)
            for i, f in enumerate(arrow_schema)
        },
        schema=arrow_schema,
    )


def write_handoff(root: Path, rows: dict[str, int]) -> dict[str, pa.Table]:
    """A hand-off in its layout: schema.parquet for every landing table, and the rows of each
    table in `rows` split over two files in different region and year folders."""
    written: dict[str, pa.Table] = {}
    for table, arrow_schema in datasets.landing_tables().items():
        folder = root / table
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(arrow_schema.empty_table(), folder / handoff.SCHEMA_FILE)
        n = rows.get(table, 0)
        if not n:
            written[table] = arrow_schema.empty_table()
            continue
        parts = [_table(arrow_schema, n // 2, 0), _table(arrow_schema, n - n // 2, 3)]
        for part, where in zip(parts, ("hotline/640104/2024", "hotline/640522/2025"), strict=True):
            target = folder / where / f"{handoff.file_id(f'{table}-{where}')}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(part, target)
        written[table] = pa.concat_tables(parts)
    return written


def _key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((v is None, str(v)) for v in row)


def _normal(value: Any) -> Any:
    return "NaN" if isinstance(value, float) and math.isnan(value) else value


def _pg_rows(conn: Any, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    with conn.cursor() as cur:
        cur.execute(f"select {', '.join(quote_ident(c) for c in columns)} from landing.{table}")
        rows = cur.fetchall()
    conn.rollback()
    return sorted((tuple(_normal(v) for v in row) for row in rows), key=_key)


def _arrow_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return sorted((tuple(_normal(v) for v in row.values()) for row in table.to_pylist()), key=_key)


# ------------------------------------------------------------------------------------ server


def test_server_starts_and_stops(tmp_path: Path) -> None:
    """A server starts on 127.0.0.1 with a socket in its folder, needs passwords, keeps its
    cluster across starts in a given folder, and is gone after stop."""
    folder = Path("/tmp") / f"govdw-pg-test-{secrets.token_hex(4)}"
    try:
        with LocalPostgres(folder, durable=False) as pg:
            assert pg.port > 0 and (pg.data_dir / "PG_VERSION").exists()
            assert (pg.socket_dir / f".s.PGSQL.{pg.port}").exists()
            conn = pg.connect()
            with conn.cursor() as cur:
                cur.execute("select current_user, current_database(), inet_server_addr()::text")
                assert cur.fetchone() == ("govdw", "govdw", "127.0.0.1/32")
                cur.execute("create table kept (i int)")
            conn.commit()
            conn.close()
            with pytest.raises(PostgresError, match="password authentication failed"):
                connect(pg.settings(), password="wrong")
            port = pg.port
        with pytest.raises(PostgresError, match="cannot connect"):
            connect(settings.PostgresSettings(port=port, password="x"))
        with LocalPostgres(folder, durable=False) as again:
            conn = again.connect()
            with conn.cursor() as cur:
                cur.execute("select count(*) from kept")
                assert cur.fetchone() == (0,)
            conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------- landing load


def test_load_landing_equals_the_arrow_rows(owner: Any, tmp_path: Path) -> None:
    """Every landing table loads from the hand-off with the Arrow rows exactly: nulls, empty
    strings, quotes, newlines, Chinese text, extreme numbers, dates and timestamps."""
    root = tmp_path / "landing_parquet"
    rows = dict.fromkeys(datasets.landing_tables(), 23) | {"cell_issues": 0}
    written = write_handoff(root, rows)
    counts = load_landing(owner, root)
    assert counts == {t: written[t].num_rows for t in datasets.landing_tables()}
    for table, arrow_table in written.items():
        assert _pg_rows(owner, table, arrow_table.column_names) == _arrow_rows(arrow_table), table


def test_load_landing_replaces_and_types(owner: Any, tmp_path: Path) -> None:
    """A second load replaces the rows in one transaction; columns are typed from Arrow; NUL
    bytes (which PostgreSQL text cannot hold) are dropped from strings, and counted."""
    first = tmp_path / "first"
    write_handoff(first, {"hotline_orders": 40})
    load_landing(owner, first)
    second = tmp_path / "second"
    write_handoff(second, {"hotline_orders": 6})
    schema = datasets.landing_tables()["files"]
    nul = pa.table({f.name: pa.array([None], f.type) for f in schema}, schema=schema).set_column(
        0, "file_path", pa.array(["a\x00b.xlsx"])
    )
    (second / "files" / "none").mkdir()
    pq.write_table(nul, second / "files" / "none" / "x.parquet")
    nul_values: dict[str, int] = {}
    assert load_landing(owner, second, nul_values=nul_values)["hotline_orders"] == 6
    assert nul_values == {"files": 1}
    with owner.cursor() as cur:
        cur.execute("select count(*) from landing.hotline_orders")
        assert cur.fetchone() == (6,)
        cur.execute("select file_path from landing.files")
        assert cur.fetchall() == [("ab.xlsx",)]
        cur.execute(
            "select column_name, data_type from information_schema.columns where "
            "table_schema = 'landing' and table_name = 'evaluations' and column_name in "
            "('rating', 'source_row', 'evaluated_at') order by 1"
        )
        assert cur.fetchall() == [
            ("evaluated_at", "timestamp without time zone"),
            ("rating", "smallint"),
            ("source_row", "integer"),
        ]
    owner.rollback()


def test_load_landing_streams_many_rows(owner: Any, tmp_path: Path) -> None:
    """200,000 rows load through COPY in a few seconds (no row loop in Python)."""
    root = tmp_path / "big"
    write_handoff(root, {"hotline_orders": 200_000})
    started = time.monotonic()
    assert load_landing(owner, root)["hotline_orders"] == 200_000
    assert time.monotonic() - started < 60


def test_load_landing_without_handoff(owner: Any, tmp_path: Path) -> None:
    """No hand-off folder: a message saying how to make one, and nothing changes."""
    with pytest.raises(PostgresError, match="no Parquet hand-off"):
        load_landing(owner, tmp_path / "missing")


# ------------------------------------------------------------------------- checks and publish


def make_build(conn: Any, root: Path, version: int, *, empty: str | None = None) -> None:
    """A stand-in for one pipeline run on PostgreSQL up to the checks: landing loaded from the
    hand-off at `root`, then what `dbt build --target postgres` makes: every fact (rows tagged
    `version`; `empty` holds none), the audit tables, staging and intermediate views."""
    prefix = "govdw_build"
    drop_build_schemas(conn, prefix)
    load_landing(conn, root)
    with conn.cursor() as cur:
        cur.execute(f"create schema {prefix}")
        for fact in datasets.fact_sources():
            rows = 0 if fact == empty else 3
            cur.execute(
                f"create table {prefix}.{fact} as select {version} as version, g as n "
                f"from generate_series(1, {rows}) g"
            )
        cur.execute(f"create table {prefix}.audit_reconciliation as select true as is_match")
        cur.execute(f"create table {prefix}.audit_files as select ''::text as warnings")
        cur.execute(f"create schema {prefix}_staging")
        cur.execute(
            f"create view {prefix}_staging.stg_landing__hotline_orders as "
            f"select *, {version} as version from landing.hotline_orders"
        )
        cur.execute(f"create schema {prefix}_intermediate")
        cur.execute(
            f"create view {prefix}_intermediate.int_versions as select version from "
            f"{prefix}_staging.stg_landing__hotline_orders"
        )
    conn.commit()


def _published_version(conn: Any, table: str = "fct_hotline_orders") -> int:
    with conn.cursor() as cur:
        cur.execute(f"select max(version) from govdw.{table}")
        row = cur.fetchone()
    return int(row[0])


@pytest.fixture()
def build(owner: Any, tmp_path: Path) -> Callable[..., Any]:
    """`build(version, empty=None)`: one run's build (`make_build`) over a small hand-off;
    returns the owner's connection."""
    root = tmp_path / "landing_parquet"
    write_handoff(root, {"hotline_orders": 4, "reported_stats": 2})

    def make(version: int, empty: str | None = None) -> Any:
        make_build(owner, root, version, empty=empty)
        return owner

    return make


def _schemas(conn: Any) -> list[str]:
    with conn.cursor() as cur:
        cur.execute("select nspname from pg_namespace where nspname like 'govdw%' order by 1")
        names = [row[0] for row in cur.fetchall()]
    conn.rollback()
    return names


def test_publish_renames_the_build(
    owner: Any, build: Callable[..., Any], reader: Callable[[], Any]
) -> None:
    """The build schemas become the published ones, landing becomes govdw_landing, the old
    published schemas are gone, and the reader reads every published table and view."""
    build(1)
    done = publish(owner)
    assert done.schemas == {
        "govdw_build": "govdw",
        "govdw_build_intermediate": "govdw_intermediate",
        "govdw_build_staging": "govdw_staging",
        "landing": "govdw_landing",
    }
    assert done.dropped == []
    assert _schemas(owner) == ["govdw", "govdw_intermediate", "govdw_landing", "govdw_staging"]
    build(2)
    assert publish(owner).dropped == sorted(done.schemas.values())
    assert _schemas(owner) == ["govdw", "govdw_intermediate", "govdw_landing", "govdw_staging"]
    conn = reader()
    with conn.cursor() as cur:
        cur.execute("select max(version) from fct_hotline_orders")  # search_path: govdw
        assert cur.fetchone() == (2,)
        cur.execute("select count(*), max(version) from govdw_staging.stg_landing__hotline_orders")
        assert cur.fetchone() == (4, 2)
        cur.execute("select max(version) from govdw_intermediate.int_versions")
        assert cur.fetchone() == (2,)


@pytest.mark.parametrize(
    "statement",
    [
        "create table govdw.mine (i int)",
        "create table public.mine (i int)",
        "create temporary table mine (i int)",
        "create schema mine",
        "insert into govdw.fct_hotline_orders values (9, 9)",
        "update govdw.fct_hotline_orders set version = 9",
        "delete from govdw.fct_hotline_orders",
        "truncate govdw.fct_hotline_orders",
        "drop table govdw.fct_hotline_orders",
        "drop view govdw_staging.stg_landing__hotline_orders",
        "drop schema govdw cascade",
        "alter table govdw.fct_hotline_orders add column x int",
        "copy govdw.fct_hotline_orders to '/tmp/govdw-reader-copy'",
        "copy (select 1) to program 'true'",
        "copy govdw.fct_hotline_orders from '/etc/hostname'",
        "select pg_read_file('/etc/passwd')",
        "select pg_ls_dir('/')",
        "select lo_import('/etc/passwd')",
        "select * from govdw_landing.hotline_orders",
        "select * from landing.hotline_orders",
        "select * from govdw_build.fct_hotline_orders",
        "create function f() returns int language sql as 'select 1'",
    ],
)
def test_the_reader_cannot_write(
    owner: Any, build: Callable[..., Any], reader: Callable[[], Any], statement: str
) -> None:
    """The reader role may SELECT published tables, nothing else: with read-only transactions
    turned off (its login's default is on), each write, DDL, file access, landing read or
    read of an unpublished build is refused for want of privilege."""
    build(1)
    publish(owner)
    build(2)  # the next run's landing and build schemas, not yet published
    conn = reader()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("select count(*) from govdw.fct_hotline_orders")
        assert cur.fetchone() == (3,)
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("insert into govdw.fct_hotline_orders values (9, 9)")
        cur.execute("set default_transaction_read_only = off")
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute(statement)
    assert not Path("/tmp/govdw-reader-copy").exists()


def test_the_reader_role_is_a_plain_group(server: LocalPostgres) -> None:
    """The group role has no login and no power to create roles or databases; its login user
    runs read-only transactions by default."""
    admin = server.connect(SUPERUSER)
    with admin.cursor() as cur:
        cur.execute(
            "select rolcanlogin, rolsuper, rolcreaterole, rolcreatedb from pg_roles "
            "where rolname = %s",
            (server.reader_role,),
        )
        assert cur.fetchone() == (False, False, False, False)
    admin.close()
    conn = server.connect(READER_USER)
    with conn.cursor() as cur:
        cur.execute("show default_transaction_read_only")
        assert cur.fetchone() == ("on",)
    conn.close()


def test_readers_see_old_or_new_never_a_mix(
    owner: Any, build: Callable[..., Any], reader: Callable[[], Any]
) -> None:
    """A reader whose transaction has read a published table keeps reading the old build, in
    every table, until it ends; the swap waits for it (without aborting it), and then every
    reader sees the new build in every table."""
    build(1)
    publish(owner)
    build(2)
    old = reader()
    old.set_session(isolation_level="REPEATABLE READ")
    assert _published_version(old, "fct_hotline_orders") == 1
    outcome: dict[str, Any] = {}

    def swap() -> None:
        try:
            outcome["done"] = publish(owner)
        except Exception as exc:  # reported below
            outcome["error"] = exc

    thread = threading.Thread(target=swap)
    thread.start()
    time.sleep(2.0)
    assert thread.is_alive(), "the swap did not wait for the reader"
    assert _published_version(old, "fct_service_cases") == 1
    assert _published_version(old, "fct_evaluations") == 1
    old.commit()
    thread.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["done"].attempts > 1
    for table in datasets.fact_sources():
        assert _published_version(old, table) == 2
    new = reader()
    assert _published_version(new, "fct_reported_stats") == 2


def test_failing_checks_leave_the_published_schemas(
    owner: Any, build: Callable[..., Any], reader: Callable[[], Any]
) -> None:
    """An empty fact beside a non-empty landing table fails the blocking check: nothing is
    published, the previous schemas stay as they were, the failed build is kept to inspect."""
    build(1)
    pg = settings.PostgresSettings()
    report, done = publish_checked(owner, pg)
    assert report.passed and done is not None
    write_before = _schemas(owner)
    build(2, empty="fct_hotline_orders")
    report, done = publish_checked(owner, pg)
    assert done is None and not report.passed
    assert [r.name for r in report.failures] == ["facts_non_empty:fct_hotline_orders"]
    assert "is empty although landing.hotline_orders holds 4" in report.failures[0].detail
    assert _schemas(owner) == sorted(
        [*write_before, "govdw_build", "govdw_build_intermediate", "govdw_build_staging"]
    )
    assert _published_version(reader(), "fct_hotline_orders") == 1
    # Row counts that differ from the DuckDB build's block publishing too.
    build(3)
    report, done = publish_checked(owner, pg, expected_rows={"fct_service_cases": 4})
    assert done is None
    assert [r.name for r in report.failures] == ["rows_match:fct_service_cases"]
    assert _published_version(reader(), "fct_service_cases") == 1


def test_checks_report_warnings(owner: Any, build: Callable[..., Any]) -> None:
    """Reconciliation mismatches and file warnings are reported, never blocking."""
    build(1)
    with owner.cursor() as cur:
        cur.execute("insert into govdw_build.audit_reconciliation values (false)")
        cur.execute("insert into govdw_build.audit_files values ('fewer records')")
    owner.commit()
    report = checks(owner, "govdw_build")
    assert report.passed
    assert sorted(r.name for r in report.warnings) == ["file_warnings", "reconciliation_mismatches"]


def test_a_long_reader_times_the_swap_out(
    owner: Any, build: Callable[..., Any], reader: Callable[[], Any]
) -> None:
    """A reader holding the old tables past `wait_seconds`: a clear error, nothing changed."""
    build(1)
    publish(owner)
    build(2)
    old = reader()
    assert _published_version(old) == 1
    with pytest.raises(PostgresError, match="readers held the published tables"):
        publish(owner, wait_seconds=1.5)
    old.rollback()
    assert "govdw_build" in _schemas(owner)
    assert _published_version(reader()) == 1


def test_publish_never_drops_a_schema_it_did_not_publish(
    owner: Any, build: Callable[..., Any]
) -> None:
    """A `govdw` schema made by someone else stops the publish; it is left alone."""
    with owner.cursor() as cur:
        cur.execute("create schema govdw")
        cur.execute("create table govdw.theirs (i int)")
    owner.commit()
    build(1)
    with pytest.raises(PostgresError, match="was not published by govdw"):
        publish(owner)
    with owner.cursor() as cur:
        cur.execute("select count(*) from govdw.theirs")
        assert cur.fetchone() == (0,)
    owner.rollback()


def test_publish_without_a_build(owner: Any) -> None:
    """Nothing built: a message naming the build schema."""
    with pytest.raises(PostgresError, match="nothing to publish"):
        publish(owner)


def test_publish_hardens_the_database(server: LocalPostgres) -> None:
    """Publishing into a database open to PUBLIC takes TEMPORARY and CREATE on schema public
    from PUBLIC and lets the reader role connect (CONNECT stays: the database may be shared)."""
    name = f"govdw_t_{secrets.token_hex(4)}"
    admin = server.connect(SUPERUSER, database="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create database {name} owner {quote_ident(server.owner)}")
    admin.close()
    conn = server.connect(database=name)
    try:
        with conn.cursor() as cur:
            cur.execute("create schema govdw_build")
            cur.execute("create table govdw_build.t as select 1 as i")
        conn.commit()
        publish(conn, landing_schema=None)
        with conn.cursor() as cur:
            cur.execute(
                "select has_database_privilege('public', %s, 'connect'), "
                "has_database_privilege('public', %s, 'temporary'), "
                "has_database_privilege('govdw_reader', %s, 'connect'), "
                "has_schema_privilege('public', 'public', 'create')",
                (name, name, name),
            )
            assert cur.fetchone() == (True, False, True, False)
        conn.rollback()
    finally:
        conn.close()


def test_the_reader_may_not_hold_more(
    server: LocalPostgres, owner: Any, build: Callable[..., Any]
) -> None:
    """A reader role that could create roles or databases is refused."""
    build(1)
    admin = server.connect(SUPERUSER)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("create role govdw_too_strong nologin createdb")
    try:
        with pytest.raises(PostgresError, match="refusing to publish"):
            publish(owner, reader_role="govdw_too_strong")
    finally:
        with admin.cursor() as cur:
            cur.execute("drop role govdw_too_strong")
        admin.close()
