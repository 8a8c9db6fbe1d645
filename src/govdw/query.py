"""The analysts' query surface: the published warehouse opened so that no query can harm anything.

Every entry point an analyst can type into (`govdw sql`, `govdw shell`) opens the warehouse
through :func:`open_published`. The connection is read-only, external access is off (no
`COPY … TO`, `ATTACH`, `EXPORT DATABASE`, `read_text('/etc/…')`, `read_csv`, no network,
no extension install or load), persistent secrets are off, and the configuration is locked so
a query cannot `SET` any of it back. What DuckDB refuses becomes one clear sentence.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

#: Settings applied when the connection opens; `lock_configuration` is set right after, before
#: any query runs, so none of them can be changed by a query afterwards.
LOCKED_CONFIG: dict[str, Any] = {
    "access_mode": "READ_ONLY",
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
}

#: Memory one analyst query may use before it spills (to a private temp folder) or fails.
DEFAULT_MEMORY_LIMIT = "4GB"


class QueryRefused(RuntimeError):
    """A query asked for something the query surface never allows (writing, files, network)."""


class QueryFailed(RuntimeError):
    """A query was allowed but DuckDB could not run it (syntax, unknown table, …)."""


# What DuckDB says when a locked-down connection refuses something, and the same in words.
_REFUSALS: Sequence[tuple[re.Pattern[str], str]] = (
    (
        re.compile(r"read-only mode|read only|cannot (?:execute|be executed).*read.only", re.I),
        "the warehouse is read-only here: queries cannot create, change or delete anything",
    ),
    (
        re.compile(r"external access|enable_external_access|Permission Error", re.I),
        "queries cannot read or write files outside the warehouse, attach other databases, "
        "or reach the network",
    ),
    (
        re.compile(r"configuration has been locked|lock_configuration", re.I),
        "the query surface's settings are locked and cannot be changed",
    ),
    (
        re.compile(r"extension|INSTALL|LOAD", re.I),
        "extensions cannot be installed or loaded from the query surface",
    ),
)


def explain(exc: duckdb.Error) -> Exception:
    """A `QueryRefused` for what the locked surface forbids, else a `QueryFailed`."""
    message = str(exc).strip()
    first = message.splitlines()[0] if message else type(exc).__name__
    if isinstance(exc, duckdb.PermissionException | duckdb.InvalidInputException):
        for pattern, words in _REFUSALS:
            if pattern.search(message):
                return QueryRefused(f"refused: {words} ({first})")
    if "read-only" in message.lower() or "read only" in message.lower():
        return QueryRefused(f"refused: {_REFUSALS[0][1]} ({first})")
    return QueryFailed(message)


@contextlib.contextmanager
def open_published(
    warehouse: Path, memory_limit: str = DEFAULT_MEMORY_LIMIT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse, read-only and locked down; closed and cleaned up on exit.

    Large queries spill into a private temp folder made for this connection (mode 0700) and
    removed afterwards; that folder is the only place DuckDB writes.
    """
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise FileNotFoundError(f"the warehouse {warehouse} does not exist: run `govdw run` first")
    spill = Path(tempfile.mkdtemp(prefix="govdw-query-"))
    config = {
        **LOCKED_CONFIG,
        "memory_limit": memory_limit,
        "temp_directory": str(spill),
    }
    try:
        con = duckdb.connect(str(warehouse), read_only=True, config=config)
    except duckdb.Error as exc:
        shutil.rmtree(spill, ignore_errors=True)
        raise QueryFailed(f"cannot open {warehouse}: {exc}") from exc
    try:
        # Connection-level settings, then the lock, before any query runs: nothing can be
        # changed back afterwards. (Long exports would otherwise print a progress bar.)
        con.execute("SET enable_progress_bar = false")
        con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
        raise QueryFailed(f"cannot lock down {warehouse}: {exc}") from exc
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


#: Statement kinds refused before DuckDB sees them, whatever the settings: the settings above
#: already stop each of these, and this second wall names the reason plainly.
_DENIED = {
    "ATTACH": "attaching databases",
    "DETACH": "detaching databases",
    "COPY": "COPY (reading or writing files)",
    "COPY_DATABASE": "copying databases",
    "EXPORT": "EXPORT DATABASE (writing files)",
    "LOAD": "installing or loading extensions",
    "EXTENSION": "installing or loading extensions",
}


def check_statements(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse `query` when any of its statements is of a kind the query surface never runs."""
    try:
        statements = con.extract_statements(query)
    except duckdb.ParserException as exc:
        raise QueryFailed(str(exc).strip()) from exc
    except ValueError as exc:  # a statement kind this duckdb build cannot even name
        raise QueryRefused(f"refused: this kind of statement is not allowed here ({exc})") from exc
    for statement in statements:
        what = _DENIED.get(statement.type.name)
        if what is not None:
            raise QueryRefused(
                f"refused: {what} is not allowed here; queries cannot read or write files outside "
                "the warehouse, attach other databases, or reach the network"
            )


def run_query(
    con: duckdb.DuckDBPyConnection, query: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of `query` (every statement runs; the last one's result is kept)."""
    check_statements(con, query)
    try:
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        rows = cursor.fetchall() if columns else []
    except duckdb.Error as exc:
        raise explain(exc) from exc
    return columns, rows


def table_names(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, name, kind) of every table and view analysts can query, main schema first."""
    rows = con.execute(
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog') "
        "order by table_schema <> 'main', table_schema, table_name"
    ).fetchall()
    return [(str(s), str(n), "view" if "VIEW" in str(t).upper() else "table") for s, n, t in rows]


#: Characters that make a spreadsheet treat a cell as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
