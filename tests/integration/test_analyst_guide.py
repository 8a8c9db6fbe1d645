"""docs/analyst-guide.md: every SQL block runs through the query surface on the sample warehouse
and answers with rows; `govdw sql` takes a query from a file or from stdin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_fixtures import (  # tests/ is on sys.path (rootdir conftest)
    sample_warehouse,
    tiny_warehouse,
)

from govdw import query as surface
from govdw.cli import cli

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "analyst-guide.md"
BLOCKS = re.findall(r"^```sql\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.S | re.M)
HEADINGS = re.findall(r"^## (\d+\. .*)$", GUIDE.read_text(encoding="utf-8"), re.M)


def test_guide_has_a_dozen_questions_each_with_one_query() -> None:
    """At least twelve numbered questions, one ```sql block each."""
    assert len(BLOCKS) >= 12
    assert len(HEADINGS) == len(BLOCKS)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published warehouse of `govdw sample --scale 0.003 --seed 7` + `govdw run`."""
    return sample_warehouse(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("sql", BLOCKS, ids=[h.split(".")[0] for h in HEADINGS])
def test_guide_query_returns_rows(warehouse: Path, sql: str) -> None:
    """The query passes the locked-down surface and answers with at least one row."""
    with surface.open_published(warehouse) as con:
        columns, rows = surface.run_query(con, sql)
    assert columns and len(set(columns)) == len(columns)
    assert rows, "the query found nothing on the sample warehouse"


def test_sql_reads_the_query_from_a_file_or_stdin(tmp_path: Path) -> None:
    """`govdw sql --file Q.sql` (BOM tolerated) and `govdw sql -` equal the inline query."""
    warehouse = tiny_warehouse(tmp_path / "govdw.duckdb")
    query = "select region_code, count(*) as n from fct_hotline_orders group by 1 order by 1"
    runner = CliRunner()
    base = ["sql", "--warehouse", str(warehouse), "--format", "csv"]
    inline = runner.invoke(cli, [*base, query])
    assert inline.exit_code == 0, inline.output
    assert inline.output.splitlines()[1:] == ["640522,2", "653024,3"]

    saved = tmp_path / "q.sql"
    saved.write_text(query + ";\n", encoding="utf-8-sig")
    from_file = runner.invoke(cli, [*base, "--file", str(saved)])
    assert (from_file.exit_code, from_file.output) == (0, inline.output)

    from_stdin = runner.invoke(cli, [*base, "-"], input=query + "\n")
    assert (from_stdin.exit_code, from_stdin.output) == (0, inline.output)


def test_sql_wants_exactly_one_query(tmp_path: Path) -> None:
    """No query, two queries or an empty one is a clear error; the limits still apply."""
    warehouse = tiny_warehouse(tmp_path / "govdw.duckdb")
    saved = tmp_path / "q.sql"
    saved.write_text("select 1", encoding="utf-8")
    runner = CliRunner()
    base = ["sql", "--warehouse", str(warehouse)]
    for args, words in (
        ([], "give exactly one query"),
        (["select 2", "--file", str(saved)], "give exactly one query"),
        (["-"], "the query is empty"),
    ):
        result = runner.invoke(cli, [*base, *args], input="")
        assert result.exit_code != 0 and words in result.output, result.output
    saved.write_text("copy fct_hotline_orders to 'out.csv'", encoding="utf-8")
    refused = runner.invoke(cli, [*base, "--file", str(saved)])
    assert refused.exit_code != 0 and "refused" in refused.output
    assert not (tmp_path / "out.csv").exists()
