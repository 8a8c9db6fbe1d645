"""The parts of the PostgreSQL engine that need no server: column types and DDL from the Arrow
schemas, the CSV stream COPY reads, finding the server binaries, the GOVDW_PG_* settings, and
the dbt failure summary of the PostgreSQL stage. (With a server: tests/integration/
test_postgres_engine.py and tests/e2e/test_postgres_pipeline.py, slow tier.)"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pyarrow as pa
import pytest

from govdw import datasets, settings
from govdw.engines.postgres import (
    PostgresError,
    _CsvStream,
    column_type,
    create_table_sql,
    quote_ident,
    quote_literal,
)
from govdw.engines.postgres_server import find_bindir
from orchestration.lib.target_build import dbt_failures


def test_every_landing_column_has_a_postgres_type() -> None:
    """Each column of each landing table maps to a PostgreSQL type; timestamps stay naive."""
    for table, schema in datasets.landing_tables().items():
        sql = create_table_sql("landing", table, schema)
        assert sql.startswith(f'create table "landing"."{table}" (')
        for f in schema:
            assert f'"{f.name}" {column_type(f.type)}' in sql
    assert column_type(pa.timestamp("us")) == "timestamp without time zone"
    assert column_type(pa.int8()) == "smallint"
    with pytest.raises(PostgresError, match="no PostgreSQL type"):
        column_type(pa.list_(pa.int32()))


def test_quoting() -> None:
    """Identifiers and literals are quoted with their quotes doubled."""
    assert quote_ident('we"ird') == '"we""ird"'
    assert quote_literal("it's") == "'it''s'"


def test_the_csv_stream_reads_in_chunks() -> None:
    """The stream gives the batches as CSV, in reads of any size: nulls empty and unquoted,
    empty strings quoted, NUL bytes dropped; it counts the rows."""
    schema = pa.schema([("s", pa.string()), ("n", pa.int32()), ("t", pa.timestamp("us"))])
    batches = [
        pa.record_batch(
            [
                pa.array(["", None, 'a"b,\nc', "x\x00y"]),
                pa.array([1, None, 3, 4], pa.int32()),
                pa.array([dt.datetime(2024, 1, 2, 3, 4, 5), None, None, None], pa.timestamp("us")),
            ],
            schema=schema,
        )
    ] * 3
    stream = _CsvStream(iter(batches))
    chunks = []
    while chunk := stream.read(7):
        chunks.append(chunk)
    text = b"".join(chunks).decode("utf-8")
    assert stream.rows == 12
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[:4] == [
        ["", "1", "2024-01-02 03:04:05.000000"],
        ["", "", ""],
        ['a"b,\nc', "3", ""],
        ["xy", "4", ""],
    ]
    assert text.startswith('"",1,')  # empty string quoted; a null is an empty unquoted field
    assert "\n,,\n" in text


def test_find_bindir_takes_an_explicit_folder(tmp_path: Path) -> None:
    """A folder holding initdb, pg_ctl and postgres is taken as given; one without them is not."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / tool).write_text("")
    assert find_bindir(tmp_path) == tmp_path
    found = find_bindir(tmp_path / "missing")
    assert found is None or (found / "initdb").is_file()


def test_postgres_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """GOVDW_PG_* with the defaults dbt_project/profiles.yml uses."""
    for var in ("HOST", "PORT", "USER", "PASSWORD", "DATABASE", "SCHEMA", "READER_USER"):
        monkeypatch.delenv(f"GOVDW_PG_{var}", raising=False)
    pg = settings.postgres()
    assert (pg.host, pg.port, pg.user, pg.database, pg.build_schema) == (
        "127.0.0.1",
        5432,
        "govdw",
        "govdw",
        "govdw_build",
    )
    assert (pg.published_schema, pg.reader_role, pg.reader_user) == ("govdw", "govdw_reader", "")
    monkeypatch.setenv("GOVDW_PG_PORT", "6543")
    monkeypatch.setenv("GOVDW_PG_READER_USER", "analyst")
    assert settings.postgres().port == 6543
    assert settings.postgres().reader_user == "analyst"
    monkeypatch.setenv("GOVDW_PG_PORT", "fifty")
    with pytest.raises(ValueError, match="GOVDW_PG_PORT"):
        settings.postgres()


def test_dbt_failures_name_the_failed_nodes() -> None:
    """The failed nodes of run_results.json, else dbt's error lines, else a pointer to the log."""
    results = {
        "results": [
            {"unique_id": "model.govdw.ok", "status": "success"},
            {"unique_id": "model.govdw.fct_x", "status": "error", "message": "syntax\n error"},
            {"unique_id": "test.govdw.unique_x", "status": "fail", "message": None},
        ]
    }
    assert dbt_failures(results, ["ignored"]) == [
        "model.govdw.fct_x: syntax error",
        "test.govdw.unique_x: fail",
    ]
    assert dbt_failures(None, ["could not connect"]) == ["could not connect"]
    assert dbt_failures({"results": []}, []) == ["dbt exited with an error (see the run log)"]
