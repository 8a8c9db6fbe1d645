"""The hostile corpus (tests/reliability/corpus.py): every path ends in exactly one audit row
with its expected status, and nothing hostile stops the run or leaks into published tables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from corpus import (  # tests/reliability is on sys.path (rootdir-less layout)
    BIG_CELL_CHARS,
    ID_NUMBER,
    PHONE,
    Case,
    build_corpus,
)

from govdw.ingest import ingest_dir


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Case]]:
    base = tmp_path_factory.mktemp("hostile")
    raw = base / "raw"
    return raw, build_corpus(raw, base / "outside")


def test_corpus_is_big_enough(corpus: tuple[Path, list[Case]]) -> None:
    _, cases = corpus
    assert len(cases) >= 40
    assert len({c.rel_path for c in cases}) == len(cases)


def test_ingest_gives_each_file_one_row(corpus: tuple[Path, list[Case]], tmp_path: Path) -> None:
    """ingest_dir: one landing.files row per case with its status and rows; the 10 MB cell is a
    cell issue; the external entity is never resolved."""
    raw, cases = corpus
    db = tmp_path / "build.duckdb"
    summary = ingest_dir(raw, db, workers=2)
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute("select file_path, status, rows, error from landing.files").fetchall()
        issues = con.execute(
            "select source_file, source_row, column_name, problem from landing.cell_issues "
            "where problem like 'text of%'"
        ).fetchall()
        texts = con.execute(
            "select string_agg(content_masked, '') from landing.hotline_orders"
        ).fetchone()
    by_path: dict[str, list[tuple[str, int, str | None]]] = {}
    for path, status, rows, error in files:
        path.encode("utf-8")  # valid text, never surrogates
        by_path.setdefault(path, []).append((status, rows, error))
    expected = {c.rel_path: c for c in cases if c.status is not None}
    got = {p: (v[0][0], v[0][1]) for p, v in by_path.items()}
    want = {p: (c.status, c.rows if c.status != "quarantined" else 0) for p, c in expected.items()}
    assert got == want
    assert all(len(v) == 1 for v in by_path.values())
    for path, [(status, _, error)] in by_path.items():
        if status == "quarantined":
            assert error and error.startswith(path), path
    assert summary.files_seen == len(expected)
    assert issues == [
        (
            "640522/2024/大单元格.xlsx",
            2,
            "诉求内容",
            f"text of {BIG_CELL_CHARS:,} characters cut to the first 32,767 "
            "(the most a spreadsheet cell holds)",
        )
    ]
    assert texts is not None and "root:" not in (texts[0] or "")
    assert PHONE not in (texts[0] or "") and ID_NUMBER not in (texts[0] or "")

    # A second run changes nothing.
    again = ingest_dir(raw, db, workers=2)
    assert (again.parsed, again.changed) == (0, False)


def test_partitions_register(corpus: tuple[Path, list[Case]]) -> None:
    """Every file becomes a Dagster partition (non-UTF-8 names and odd characters included)."""
    from dagster import DagsterInstance

    from orchestration.lib.raw_files import partition_key, rel_paths_for_keys, sync_partitions

    raw, cases = corpus
    with DagsterInstance.ephemeral() as instance:
        added, removed = sync_partitions(instance, raw)
    listed = sorted(c.rel_path for c in cases if c.status is not None)
    assert (sorted(added), removed) == (sorted(partition_key(r) for r in listed), [])
    assert rel_paths_for_keys(raw, added) == set(listed)


_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.mark.slow
def test_full_run_on_the_corpus(corpus: tuple[Path, list[Case]], tmp_path: Path) -> None:
    """`govdw run`: exit 0, one audit_files row per file, unique fact keys, the published file
    opens, and no phone or ID number in any published text column."""
    raw, cases = corpus
    warehouse = tmp_path / "warehouse" / "govdw.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dagster"), "GOVDW_PII_KEY": "hostile"}
    (tmp_path / "dagster").mkdir()
    govdw = Path(sys.executable).parent / "govdw"
    result = subprocess.run(
        [str(govdw), "run", "--raw-dir", str(raw), "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    expected = sorted(c.rel_path for c in cases if c.status is not None)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        paths = [r[0] for r in con.execute("select file_path from audit_files").fetchall()]
        assert sorted(paths) == expected
        for table, key in (
            ("fct_hotline_orders", "order_key"),
            ("fct_service_cases", "case_key"),
            ("fct_evaluations", "evaluation_key"),
        ):
            dup = con.execute(f"select count(*) - count(distinct {key}) from {table}").fetchone()
            assert dup == (0,), table
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_schema = 'main'"
        ).fetchall()
        for schema, table, column in columns:
            values = con.execute(
                f'select distinct "{column}" from {schema}."{table}" where "{column}" is not null'
            ).fetchall()
            for (value,) in values:
                assert not _MOBILE.search(value), (table, column, value[:80])
                assert not _ID18.search(value), (table, column, value[:80])
