"""PostgreSQL as the warehouse engine: the landing load from the Parquet hand-off, the checks
that gate publishing, and the publish swap (a local server: `postgres_server.LocalPostgres`).

The build happens beside what analysts read. `load_landing` fills schema `landing` from the
hand-off (`govdw.handoff`); `dbt build --target postgres` writes the build schemas
`govdw_build`, `govdw_build_staging`, …; `checks` runs the blocking checks DuckDB's publish
waits for; `publish` then renames, in one transaction, every build schema to its published name
(`govdw_build` -> `govdw`, `govdw_build_staging` -> `govdw_staging`, …) and `landing` to
`govdw_landing` (the published staging views read it), drops the schemas they replace, and
grants the read-only group role `govdw_reader` USAGE and SELECT on the published schemas and
nothing else. Nothing is published unless every step before it passed, so a failed run leaves
the previous published schemas exactly as they were.

Readers during a swap see the old schemas or the new ones, never a mix: the swap first takes
ACCESS EXCLUSIVE locks on every relation it replaces, so it waits for each transaction that has
read one of them to end, and a query starting meanwhile waits for the swap and then reads the
new relations. The swap asks for its locks with a short `lock_timeout` (below PostgreSQL's
default one-second `deadlock_timeout`) and starts again after a pause when it times out: a reader
is never the one PostgreSQL aborts to break a deadlock. (A REPEATABLE READ transaction that took
its snapshot before the new build was committed, and reads its first published table only after
the swap, sees the new tables as of its old snapshot: empty. READ COMMITTED readers, the
default, and every transaction that read a published table before the swap are unaffected.)

`psycopg2` (the `postgres` extra) is imported only by the functions that connect: the module
itself loads without it.
"""

from __future__ import annotations

import io
import itertools
import secrets
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from govdw import datasets, handoff, settings
from govdw.digest import TableDigest, digest

#: A psycopg2 connection (psycopg2 is an optional dependency and untyped).
Connection = Any

#: Rows per Arrow batch streamed into COPY: ~10-30 MB of CSV for the widest landing table.
_BATCH_ROWS = 65_536
#: Bytes psycopg2 asks of the CSV stream per read.
_COPY_CHUNK = 1 << 20
#: The comment that marks a schema as published by govdw (only such schemas are ever dropped).
PUBLISHED_MARK = "govdw: published warehouse"
#: SQLSTATEs of a lock the swap could not get in time (lock_not_available, deadlock_detected).
_LOCK_CODES = ("55P03", "40P01")


class PostgresError(RuntimeError):
    """A PostgreSQL step failed; the message says what and what to do."""


def quote_ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """`text` as a quoted SQL string literal (for statements that take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


# ----------------------------------------------------------------------------------- connect


def connect(pg: settings.PostgresSettings | None = None, **overrides: Any) -> Connection:
    """A psycopg2 connection to the warehouse database (`settings.postgres()` by default),
    client encoding UTF8, not in autocommit mode."""
    try:
        import psycopg2  # the optional `postgres` extra
    except ImportError as exc:
        raise PostgresError(
            "psycopg2 is not installed: install govdw with the postgres extra "
            "(pip install -e '.[postgres]')"
        ) from exc
    pg = pg or settings.postgres()
    kwargs = {**pg.connect_kwargs(), "connect_timeout": 10, **overrides}
    try:
        conn = psycopg2.connect(**kwargs)
    except psycopg2.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PostgresError(
            f"cannot connect to PostgreSQL at {kwargs['host']}:{kwargs['port']}, database "
            f"{kwargs['dbname']}, user {kwargs['user']}: {first}; check the server is running "
            "and GOVDW_PG_HOST, GOVDW_PG_PORT, GOVDW_PG_USER, GOVDW_PG_PASSWORD, "
            "GOVDW_PG_DATABASE"
        ) from exc
    conn.set_client_encoding("UTF8")
    return conn


def _scalar(cur: Any, sql: str, params: Iterable[Any] = ()) -> Any:
    cur.execute(sql, tuple(params))
    row = cur.fetchone()
    return row[0] if row else None


def _schema_exists(cur: Any, schema: str) -> bool:
    return bool(_scalar(cur, "select count(*) from pg_namespace where nspname = %s", [schema]))


# ------------------------------------------------------------------------------ landing load

#: Arrow type -> PostgreSQL column type (the types the landing schemas use).
_PG_TYPES: dict[pa.DataType, str] = {
    pa.string(): "text",
    pa.large_string(): "text",
    pa.int8(): "smallint",
    pa.int16(): "smallint",
    pa.int32(): "integer",
    pa.int64(): "bigint",
    pa.float32(): "real",
    pa.float64(): "double precision",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.timestamp("us"): "timestamp without time zone",
}


def column_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL type of a landing column (naive timestamps stay naive)."""
    try:
        return _PG_TYPES[arrow_type]
    except KeyError:
        raise PostgresError(f"no PostgreSQL type for the Arrow type {arrow_type}") from None


def create_table_sql(schema: str, table: str, arrow_schema: pa.Schema) -> str:
    """`create table` for a landing table, its columns typed from its Arrow schema."""
    columns = ",\n  ".join(f"{quote_ident(f.name)} {column_type(f.type)}" for f in arrow_schema)
    return f"create table {quote_ident(schema)}.{quote_ident(table)} (\n  {columns}\n)"


def _existing_columns(cur: Any, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, type) of the table's columns in order ([] when there is no such table)."""
    cur.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
        "join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and c.relkind = 'r' and a.attnum > 0 "
        "and not a.attisdropped order by a.attnum",
        (schema, table),
    )
    return [(str(name), str(kind)) for name, kind in cur.fetchall()]


def _batches(paths: Iterable[Path], arrow_schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Every row of the Parquet files as batches in the table's schema, one batch in memory."""
    for path in paths:
        parquet = pq.ParquetFile(path)
        missing = set(arrow_schema.names) - set(parquet.schema_arrow.names)
        if missing:
            raise PostgresError(
                f"{path} lacks the columns {', '.join(sorted(missing))} of its landing table: "
                "the hand-off is older than the landing schema; run `govdw run --full-refresh`"
            )
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=arrow_schema.names):
            yield batch.cast(arrow_schema)


def _csv_bytes(batch: pa.RecordBatch) -> tuple[bytes, int]:
    """One batch as CSV for COPY (nulls unquoted and empty, strings quoted) and how many text
    values lost NUL bytes on the way (PostgreSQL text cannot hold them: counted and reported)."""
    columns = []
    altered = 0
    for col in batch.columns:
        if pa.types.is_string(col.type):
            has_nul = pc.match_substring(col, "\x00")
            altered += int(pc.sum(has_nul).as_py() or 0)
            col = pc.replace_substring(col, "\x00", "")
        columns.append(col)
    buf = io.BytesIO()
    pacsv.write_csv(
        pa.RecordBatch.from_arrays(columns, schema=batch.schema),
        buf,
        pacsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    return buf.getvalue(), altered


class _CsvStream(io.RawIOBase):
    """A readable file of CSV made one Arrow batch at a time, for psycopg2's `copy_expert`."""

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        super().__init__()
        self._batches = batches
        self._chunk = memoryview(b"")
        self.rows = 0
        self.nul_values = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        while not self._chunk:
            batch = next(self._batches, None)
            if batch is None:
                return b""
            self.rows += batch.num_rows
            data, altered = _csv_bytes(batch)
            self.nul_values += altered
            self._chunk = memoryview(data)
        n = len(self._chunk) if size is None or size < 0 else size
        out = bytes(self._chunk[:n])
        self._chunk = self._chunk[n:]
        return out


def _copy_table(
    cur: Any, schema: str, table: str, arrow_schema: pa.Schema, paths: list[Path]
) -> _CsvStream:
    """COPY the rows of `paths` into `schema.table`; the stream counted rows and NUL values."""
    stream = _CsvStream(_batches(paths, arrow_schema))
    columns = ", ".join(quote_ident(name) for name in arrow_schema.names)
    cur.copy_expert(
        f"copy {quote_ident(schema)}.{quote_ident(table)} ({columns}) from stdin with (format csv)",
        stream,
        size=_COPY_CHUNK,
    )
    return stream


def load_landing(
    conn: Connection,
    root: Path,
    schema: str = "landing",
    nul_values: dict[str, int] | None = None,
) -> dict[str, int]:
    """Replace the landing tables in `schema` with the Parquet hand-off at `root`, all tables in
    one transaction; returns the rows loaded per table. Text values that held NUL bytes lose them
    (PostgreSQL text cannot hold them): `nul_values`, when given, receives how many per table.

    Each table is created from its Arrow schema (`datasets.landing_tables()`), or emptied when
    it already has exactly those columns, then filled by one COPY that streams the table's
    Parquet files batch by batch (memory holds one batch). Readers see the old rows until the
    transaction commits.
    """
    if not root.is_dir():
        raise PostgresError(
            f"no Parquet hand-off at {root}: the ingest writes it when GOVDW_TARGET=postgres "
            "(or GOVDW_HANDOFF=parquet); run `govdw run --target postgres`"
        )
    counts: dict[str, int] = {}
    try:
        with conn.cursor() as cur:
            cur.execute(f"create schema if not exists {quote_ident(schema)}")
            for table, arrow_schema in datasets.landing_tables().items():
                wanted = [(f.name, column_type(f.type)) for f in arrow_schema]
                existing = _existing_columns(cur, schema, table)
                qualified = f"{quote_ident(schema)}.{quote_ident(table)}"
                if existing == wanted:
                    cur.execute(f"truncate table {qualified}")
                else:
                    if existing:
                        cur.execute(f"drop table {qualified}")
                    cur.execute(create_table_sql(schema, table, arrow_schema))
                stream = _copy_table(
                    cur, schema, table, arrow_schema, handoff.table_paths(root, table)
                )
                counts[table] = stream.rows
                if nul_values is not None and stream.nul_values:
                    nul_values[table] = stream.nul_values
                cur.execute(f"analyze {qualified}")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return counts


def drop_build_schemas(conn: Connection, prefix: str = "govdw_build") -> list[str]:
    """Drop the build schemas (`prefix` and `prefix_*`) a failed run left, so dbt builds from
    scratch; returns their names. Published schemas are never build schemas."""
    try:
        with conn.cursor() as cur:
            names = _build_schemas(cur, prefix)
            for name in names:
                cur.execute(f"drop schema {quote_ident(name)} cascade")
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return names


def _build_schemas(cur: Any, prefix: str) -> list[str]:
    cur.execute(
        "select nspname from pg_namespace where nspname = %s or left(nspname, %s) = %s "
        "order by nspname",
        (prefix, len(prefix) + 1, prefix + "_"),
    )
    return [str(row[0]) for row in cur.fetchall()]


# ------------------------------------------------------------------------------------ checks


@dataclass(frozen=True)
class CheckResult:
    """One check of the build: whether it passed, whether a failure blocks publishing, why."""

    name: str
    passed: bool
    blocking: bool
    detail: str = ""


@dataclass(frozen=True)
class CheckReport:
    """Every check of one build; `passed` when no blocking check failed."""

    results: list[CheckResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether the build may be published."""
        return not self.failures

    @property
    def failures(self) -> list[CheckResult]:
        """The blocking checks that failed."""
        return [r for r in self.results if r.blocking and not r.passed]

    @property
    def warnings(self) -> list[CheckResult]:
        """The non-blocking checks that failed."""
        return [r for r in self.results if not r.blocking and not r.passed]


def _count(cur: Any, schema: str, table: str) -> int | None:
    """Rows of `schema.table`, None when it does not exist."""
    if (
        _scalar(cur, "select to_regclass(%s)", [f"{quote_ident(schema)}.{quote_ident(table)}"])
        is None
    ):
        return None
    return int(_scalar(cur, f"select count(*) from {quote_ident(schema)}.{quote_ident(table)}"))


def _facts_check(cur: Any, schema: str, landing_schema: str, fact: str, source: str) -> CheckResult:
    count = _count(cur, schema, fact)
    landing_rows = _count(cur, landing_schema, source) or 0
    passed = count is not None and (count > 0 or landing_rows == 0)
    if count is None:
        detail = f"{schema}.{fact} does not exist: dbt did not build it"
    elif not passed:
        detail = f"{schema}.{fact} is empty although {landing_schema}.{source} holds {landing_rows}"
    else:
        detail = f"{count} rows ({landing_schema}.{source}: {landing_rows})"
    return CheckResult(f"facts_non_empty:{fact}", passed, True, detail)


def _reconciliation_check(cur: Any, schema: str) -> CheckResult:
    mismatches = _count(cur, schema, "audit_reconciliation")
    if mismatches is None:
        return CheckResult("reconciliation_mismatches", False, False, "no audit_reconciliation")
    n = int(
        _scalar(
            cur,
            f"select count(*) from {quote_ident(schema)}.audit_reconciliation where not is_match",
        )
    )
    return CheckResult("reconciliation_mismatches", n == 0, False, f"{n} reported totals differ")


def _file_warnings_check(cur: Any, schema: str) -> CheckResult:
    if _count(cur, schema, "audit_files") is None:
        return CheckResult("file_warnings", False, False, "no audit_files")
    n = int(
        _scalar(
            cur,
            f"select count(*) from {quote_ident(schema)}.audit_files "
            "where warnings is not null and warnings <> ''",
        )
    )
    return CheckResult("file_warnings", n == 0, False, f"{n} file(s) loaded with warnings")


def checks(
    conn: Connection,
    schema: str,
    *,
    landing_schema: str = "landing",
    expected_rows: Mapping[str, int] | None = None,
) -> CheckReport:
    """The checks DuckDB's publish waits for, on the marts schema `schema` of a build.

    Blocking, as in orchestration/defs/warehouse/checks.py: each fact table exists and holds
    rows whenever its landing table does (`facts_non_empty`); and, given `expected_rows` (table
    -> rows, e.g. the facts of the DuckDB warehouse built from the same landing rows), each of
    those tables holds exactly that many rows. Warnings, never blocking: reported totals that
    disagree with their details (`reconciliation_mismatches`) and files loaded with warnings
    (`file_warnings`). dbt's own tests of severity error already failed `dbt build`. Reads
    only, and ends the transaction it reads in: call it with no uncommitted work on `conn`.
    """
    results: list[CheckResult] = []
    try:
        with conn.cursor() as cur:
            for fact, source in datasets.fact_sources().items():
                results.append(_facts_check(cur, schema, landing_schema, fact, source))
            for table, wanted in sorted((expected_rows or {}).items()):
                count = _count(cur, schema, table)
                results.append(
                    CheckResult(
                        f"rows_match:{table}",
                        count == wanted,
                        True,
                        f"{schema}.{table}: {count} rows, expected {wanted}",
                    )
                )
            results.append(_reconciliation_check(cur, schema))
            results.append(_file_warnings_check(cur, schema))
    finally:
        conn.rollback()  # read only: end the transaction the reads opened
    return CheckReport(results)


# ----------------------------------------------------------------------------------- publish


@dataclass(frozen=True)
class Published:
    """What one publish swap did."""

    #: build schema -> the published name it now has (landing -> `<published>_landing` too).
    schemas: dict[str, str]
    #: The previously published schemas that were dropped.
    dropped: list[str]
    #: Seconds spent waiting for readers of the old schemas to finish.
    waited_seconds: float
    #: Attempts the swap took (more than one when readers held the old tables).
    attempts: int


def _published_schemas(cur: Any) -> list[str]:
    cur.execute(
        "select nspname from pg_namespace where obj_description(oid, 'pg_namespace') like %s",
        (PUBLISHED_MARK + "%",),
    )
    return sorted(str(row[0]) for row in cur.fetchall())


def _plan_swap(
    cur: Any, prefix: str, published: str, landing_schema: str | None
) -> tuple[dict[str, str], list[str]]:
    """(build or landing schema -> its published name, schemas the swap replaces)."""
    if published == prefix or published.startswith(prefix + "_"):
        raise PostgresError(
            f"the published schema {published!r} would count as a build schema of {prefix!r}: "
            "choose names where neither starts with the other"
        )
    build = _build_schemas(cur, prefix)
    if prefix not in build:
        raise PostgresError(
            f"nothing to publish: schema {prefix} does not exist (dbt build --target postgres "
            "writes it)"
        )
    mapping = {name: published + name[len(prefix) :] for name in build}
    if landing_schema and _schema_exists(cur, landing_schema):
        mapping[landing_schema] = f"{published}_landing"
    targets = list(mapping.values())
    if len(set(targets)) != len(targets) or set(targets) & set(mapping):
        raise PostgresError(f"the published names {targets} collide with each other or the build")
    marked = _published_schemas(cur)
    for target in targets:
        if _schema_exists(cur, target) and target not in marked:
            raise PostgresError(
                f"schema {target} exists but was not published by govdw: it is never dropped; "
                "rename or drop it, or publish under another name (GOVDW_PG_PUBLISHED_SCHEMA)"
            )
    replaced = sorted({*marked, *(t for t in targets if _schema_exists(cur, t))})
    return mapping, replaced


def _check_reader(cur: Any, reader_role: str, reader_user: str | None) -> None:
    """The reader role exists and has no power beyond what publish grants it."""
    cur.execute(
        "select rolsuper or rolcreaterole or rolcreatedb or rolbypassrls or rolreplication "
        "from pg_roles where rolname = %s",
        (reader_role,),
    )
    row = cur.fetchone()
    if row is None:
        raise PostgresError(
            f"the reader role {reader_role} does not exist: a superuser creates it once with "
            f"`create role {reader_role} nologin` (LocalPostgres and prepare_database do)"
        )
    if row[0]:
        raise PostgresError(
            f"the reader role {reader_role} may create roles or databases or is a superuser: "
            "refusing to publish to it; make it a plain NOLOGIN role"
        )
    if reader_user:
        member = _scalar(
            cur,
            "select pg_has_role(%s, %s, 'member') from pg_roles where rolname = %s",
            [reader_user, reader_role, reader_user],
        )
        if member is None:
            raise PostgresError(
                f"the reader user {reader_user} (GOVDW_PG_READER_USER) does not exist: a "
                f"superuser creates it with `create role {reader_user} login password '…' "
                f"in role {reader_role}`"
            )
        if not member:
            cur.execute(f"grant {quote_ident(reader_role)} to {quote_ident(reader_user)}")


def _lock_relations(cur: Any, schemas: list[str]) -> None:
    """ACCESS EXCLUSIVE locks on every table and view of `schemas`: waits for their readers."""
    if not schemas:
        return
    cur.execute(
        "select format('%%I.%%I', n.nspname, c.relname) from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f') order by 1",
        (schemas,),
    )
    names = [str(row[0]) for row in cur.fetchall()]
    for start in range(0, len(names), 500):
        cur.execute(f"lock table {', '.join(names[start : start + 500])} in access exclusive mode")


def _harden_database(cur: Any, reader_role: str) -> None:
    """When this user owns the database: PUBLIC may neither make temporary tables in it nor
    create in schema public, and the reader role may connect. (CONNECT stays with PUBLIC here:
    the database may serve others too; `prepare_database` closes a database of govdw's own.)"""
    owner = _scalar(
        cur,
        "select pg_get_userbyid(datdba) = current_user from pg_database "
        "where datname = current_database()",
    )
    if not owner:
        return
    database = quote_ident(str(_scalar(cur, "select current_database()")))
    cur.execute(f"revoke temporary on database {database} from public")
    cur.execute(f"grant connect on database {database} to {quote_ident(reader_role)}")
    cur.execute("revoke create on schema public from public")


def _swap(
    cur: Any,
    prefix: str,
    published: str,
    reader_role: str,
    reader_user: str | None,
    landing_schema: str | None,
    lock_timeout_ms: int,
) -> tuple[dict[str, str], list[str]]:
    """The swap's statements, in the caller's transaction."""
    cur.execute(f"set local lock_timeout = {int(lock_timeout_ms)}")
    mapping, replaced = _plan_swap(cur, prefix, published, landing_schema)
    _check_reader(cur, reader_role, reader_user)
    _lock_relations(cur, replaced)
    retired = {name: f"govdw_retired_{i}_{secrets.token_hex(4)}" for i, name in enumerate(replaced)}
    for name, temporary in retired.items():
        cur.execute(f"alter schema {quote_ident(name)} rename to {quote_ident(temporary)}")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %z")
    for name, target in mapping.items():
        cur.execute(f"alter schema {quote_ident(name)} rename to {quote_ident(target)}")
        mark = quote_literal(f"{PUBLISHED_MARK} {stamp}")
        cur.execute(f"comment on schema {quote_ident(target)} is {mark}")
    for temporary in retired.values():
        cur.execute(f"drop schema {quote_ident(temporary)} cascade")
    role = quote_ident(reader_role)
    for name, target in mapping.items():
        cur.execute(f"revoke all on schema {quote_ident(target)} from public")
        if name == landing_schema:
            continue  # read through the published staging views only (their owner's rights)
        cur.execute(f"grant usage on schema {quote_ident(target)} to {role}")
        cur.execute(f"grant select on all tables in schema {quote_ident(target)} to {role}")
    _harden_database(cur, reader_role)
    return mapping, replaced


def publish(
    conn: Connection,
    build_schema_prefix: str = "govdw_build",
    published: str = "govdw",
    reader_role: str = "govdw_reader",
    *,
    reader_user: str | None = None,
    landing_schema: str | None = "landing",
    lock_timeout_ms: int = 500,
    wait_seconds: float = 600.0,
) -> Published:
    """Swap the build schemas in as the published ones, in one transaction (see the module).

    Call it only after `checks` passed. `reader_role` (a NOLOGIN group role that must exist)
    gets USAGE on each published schema and SELECT on its tables and views, nothing else;
    `reader_user`, when given, must exist and is made a member. When this user owns the
    database, PUBLIC loses TEMPORARY on it and CREATE on schema public, and the reader role
    gets CONNECT. Readers holding the old tables are waited for up to
    `wait_seconds`; then PostgresError, and the published schemas are as they were.
    """
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            with conn.cursor() as cur:
                mapping, replaced = _swap(
                    cur,
                    build_schema_prefix,
                    published,
                    reader_role,
                    reader_user,
                    landing_schema,
                    lock_timeout_ms,
                )
            conn.commit()
        except Exception as exc:
            conn.rollback()
            if getattr(exc, "pgcode", None) not in _LOCK_CODES:
                raise
            waited = time.monotonic() - started
            if waited >= wait_seconds:
                raise PostgresError(
                    f"readers held the published tables for {waited:.0f} s: nothing was "
                    "published, the previous schemas are in place; end the long-running "
                    "queries (pg_stat_activity) and run again"
                ) from exc
            time.sleep(min(2.0, 0.05 * 2**attempt))
            continue
        return Published(
            schemas=mapping,
            dropped=replaced,
            waited_seconds=time.monotonic() - started,
            attempts=attempt,
        )


def prepare_database(
    admin: Connection,
    owner: str,
    reader_role: str = "govdw_reader",
    *,
    reader_user: str | None = None,
    reader_password: str | None = None,
    published: str = "govdw",
) -> None:
    """One-time setup of the warehouse database, as a superuser connected to it: the NOLOGIN
    reader role, the optional login user in it (read-only transactions by default, the
    published schema on its search path), and the database closed to PUBLIC (CONNECT and
    TEMPORARY go to the reader role and the owner only; schema public is the owner's)."""
    try:
        with admin.cursor() as cur:
            if not _scalar(cur, "select count(*) from pg_roles where rolname = %s", [reader_role]):
                cur.execute(f"create role {quote_ident(reader_role)} nologin")
            if reader_user:
                exists = _scalar(
                    cur, "select count(*) from pg_roles where rolname = %s", [reader_user]
                )
                verb = "alter" if exists else "create"
                cur.execute(f"{verb} role {quote_ident(reader_user)} login")
                if reader_password is not None:
                    cur.execute(
                        f"alter role {quote_ident(reader_user)} password %s", (reader_password,)
                    )
                cur.execute(f"grant {quote_ident(reader_role)} to {quote_ident(reader_user)}")
                cur.execute(
                    f"alter role {quote_ident(reader_user)} set default_transaction_read_only = on"
                )
                path = quote_ident(published)
                cur.execute(f"alter role {quote_ident(reader_user)} set search_path = {path}")
            database = quote_ident(str(_scalar(cur, "select current_database()")))
            cur.execute(f"alter database {database} owner to {quote_ident(owner)}")
            cur.execute(f"revoke all on database {database} from public")
            cur.execute(f"grant connect on database {database} to {quote_ident(reader_role)}")
            cur.execute("revoke all on schema public from public")
        admin.commit()
    except BaseException:
        admin.rollback()
        raise


def publish_checked(
    conn: Connection,
    pg: settings.PostgresSettings,
    *,
    expected_rows: Mapping[str, int] | None = None,
    wait_seconds: float = 600.0,
) -> tuple[CheckReport, Published | None]:
    """`checks` on the build of `pg`, then `publish` only when no blocking check failed
    (None: nothing was published, the previous published schemas are untouched)."""
    report = checks(conn, pg.build_schema, expected_rows=expected_rows)
    if not report.passed:
        return report, None
    done = publish(
        conn,
        pg.build_schema,
        pg.published_schema,
        pg.reader_role,
        reader_user=pg.reader_user or None,
        wait_seconds=wait_seconds,
    )
    return report, done


def table_digests(
    conn: Connection, schema: str, max_rows: int | None = None
) -> dict[str, TableDigest]:
    """The engine-neutral digest (`govdw.digest`) of every table and view in `schema`; a table
    of more than `max_rows` rows gets its row count only (`TableDigest.counted`)."""
    with conn.cursor() as cur:
        cur.execute(
            "select table_name from information_schema.tables where table_schema = %s "
            "order by table_name",
            (schema,),
        )
        names = [row[0] for row in cur.fetchall()]
    out = {}
    for name in names:
        if max_rows is not None:
            with conn.cursor() as cur:
                cur.execute(f"select count(*) from {quote_ident(schema)}.{quote_ident(name)}")
                rows = int(cur.fetchone()[0])
            if rows > max_rows:
                out[name] = TableDigest.counted(rows)
                continue
        # A named cursor streams the rows instead of holding the whole table client-side.
        with conn.cursor(name=f"govdw_digest_{secrets.token_hex(4)}") as cur:
            cur.itersize = 50_000
            cur.execute(f"select * from {quote_ident(schema)}.{quote_ident(name)}")
            first = cur.fetchmany(1)  # a named cursor describes its columns after a fetch
            columns = [d[0] for d in cur.description or []]
            out[name] = digest(columns, itertools.chain(first, cur))
    conn.rollback()
    return out
