"""Issue 9: real public exports written by nobody here load with the figures of an independent read.

The four workbooks live in ../shared/realdata/ (its README gives the figures); they are copied
into a temp raw folder for the test, never into the repository.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from govdw.ingest import ingest_dir

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
REGION = "430100-长沙市"

pytestmark = pytest.mark.skipif(
    not (REALDATA / "附件2.xlsx").is_file(), reason=f"no shared real data at {REALDATA}"
)


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("realdata")
    folder = base / "raw" / REGION
    folder.mkdir(parents=True)
    for n in (1, 2, 3, 4):
        shutil.copyfile(REALDATA / f"附件{n}.xlsx", folder / f"附件{n}.xlsx")
    build = base / "build.duckdb"
    summary = ingest_dir(base / "raw", build, workers=1)
    con = duckdb.connect(str(build), read_only=True)
    try:
        yield {"summary": summary, "con": con}
    finally:
        con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_statuses_and_rows(landed: dict[str, Any]) -> None:
    files = dict(
        landed["con"]
        .execute("select file_path, status || ':' || coalesce(rows, 0) from landing.files")
        .fetchall()
    )
    assert files == {
        f"{REGION}/附件1.xlsx": "quarantined:0",
        f"{REGION}/附件2.xlsx": "loaded:495",
        f"{REGION}/附件3.xlsx": "loaded:30",
        f"{REGION}/附件4.xlsx": "loaded:120",
    }


def test_the_label_list_is_refused_with_what_it_looks_like(landed: dict[str, Any]) -> None:
    error = _one(
        landed["con"], f"select error from landing.files where file_path = '{REGION}/附件1.xlsx'"
    )
    assert "一级分类" in error and "二级分类" in error
    assert "row 1" in error


def test_messages_are_citizen_requests_with_dates(landed: dict[str, Any]) -> None:
    con = landed["con"]
    assert _one(con, "select count(*) from landing.hotline_orders") == 645
    assert _one(con, "select count(*) from landing.hotline_orders where received_at is null") == 0
    assert _one(con, "select count(distinct source_order_id) from landing.hotline_orders") == 644
    first, last = con.execute(
        "select min(received_at)::date, max(received_at)::date from landing.hotline_orders"
    ).fetchone() or (None, None)
    assert (str(first), str(last)) == ("2011-04-02", "2020-01-07")


def test_reply_time_closes_the_request(landed: dict[str, Any]) -> None:
    con = landed["con"]
    closed = con.execute(
        "select count(*), min(closed_at)::date, max(closed_at)::date from landing.hotline_orders "
        f"where source_file = '{REGION}/附件4.xlsx' and closed_at is not null"
    ).fetchone()
    assert closed is not None
    assert (closed[0], str(closed[1]), str(closed[2])) == (120, "2011-11-14", "2020-01-09")


def test_categories_of_the_first_message_file(landed: dict[str, Any]) -> None:
    counts = dict(
        landed["con"]
        .execute(
            "select category, count(*) from landing.hotline_orders "
            f"where source_file = '{REGION}/附件2.xlsx' group by 1"
        )
        .fetchall()
    )
    assert counts == {
        "劳动和社会保障": 104,
        "城乡建设": 101,
        "教育文体": 96,
        "卫生计生": 58,
        "交通运输": 55,
        "商贸旅游": 48,
        "环境保护": 33,
    }


def _authors() -> set[str]:
    """Every 留言用户 (author account id) written in the three message files."""
    from python_calamine import CalamineWorkbook

    found: set[str] = set()
    for n in (2, 3, 4):
        rows = CalamineWorkbook.from_path(REALDATA / f"附件{n}.xlsx").get_sheet_by_index(0)
        grid = rows.to_python()
        col = grid[0].index("留言用户")
        found.update(str(r[col]).strip() for r in grid[1:] if len(r) > col and r[col])
    return found


def test_author_accounts_never_land(landed: dict[str, Any]) -> None:
    con = landed["con"]
    authors = _authors()
    assert len(authors) > 300
    assert _one(con, "select count(*) from landing.hotline_orders where caller_key is null") == 0
    text_columns = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'landing' "
            "and table_name = 'hotline_orders' and data_type = 'VARCHAR'"
        ).fetchall()
    ]
    for column in text_columns:
        stored = {
            r[0]
            for r in con.execute(f"select distinct {column} from landing.hotline_orders").fetchall()
        }
        assert not stored & authors, column


def test_messages_carry_their_channel(landed: dict[str, Any]) -> None:
    channels = (
        landed["con"].execute("select distinct channel from landing.hotline_orders").fetchall()
    )
    assert channels == [("网上留言",)]


def test_missing_optional_roles_are_file_warnings(landed: dict[str, Any]) -> None:
    warnings = _one(
        landed["con"], f"select warnings from landing.files where file_path = '{REGION}/附件2.xlsx'"
    )
    assert "no handling unit" in warnings
    assert "no status or closing time" in warnings
    # 附件4 has a reply time: its closed state is known, so that warning is absent there.
    reply = _one(
        landed["con"], f"select warnings from landing.files where file_path = '{REGION}/附件4.xlsx'"
    )
    assert "no status or closing time" not in reply
