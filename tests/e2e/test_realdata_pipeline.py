"""Issue 9, end to end: the shared real exports through `govdw run` into the published warehouse.

644 distinct messages land in fct_hotline_orders (37042 twice in 附件2: the second row wins), the
label list is quarantined with a reason, the reply time closes the request, dim_date reaches back
to the earliest message year, and no author id reaches a published column.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not (REALDATA / "附件2.xlsx").is_file():
        pytest.skip(f"no shared real data at {REALDATA}")
    base = tmp_path_factory.mktemp("realdata-e2e")
    folder = base / "raw" / "430100-长沙市" / "网上问政"
    folder.mkdir(parents=True)
    for n in (1, 2, 3, 4):
        shutil.copyfile(REALDATA / f"附件{n}.xlsx", folder / f"附件{n}.xlsx")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(base / "dagster"),
        "GOVDW_PII_KEY": "realdata-e2e",
    }
    env.pop("GOVDW_BUILD_DB", None)
    target = base / "warehouse" / "govdw.duckdb"
    done = subprocess.run(
        [str(BIN / "govdw"), "run", "--raw-dir", str(base / "raw"), "--warehouse", str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "附件1.xlsx" in done.stdout  # the quarantined label list is named in the summary
    yield target


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_messages_are_published_as_citizen_requests(warehouse: Path) -> None:
    assert _rows(
        warehouse, "select count(*), count(distinct source_order_id) from fct_hotline_orders"
    ) == [(644, 644)]
    assert _rows(
        warehouse, "select count(*) from fct_hotline_orders where received_at is null"
    ) == [(0,)]
    assert _rows(warehouse, "select distinct channel from fct_hotline_orders") == [("网上留言",)]


def test_the_second_row_of_a_repeated_id_wins(warehouse: Path) -> None:
    rows = _rows(
        warehouse,
        "select source_sheet, source_row from fct_hotline_orders where source_order_id = '37042'",
    )
    assert len(rows) == 1
    landed = _rows(
        warehouse,
        "select max(source_row) from staging.stg_landing__hotline_orders "
        "where source_order_id = '37042'",
    )
    assert rows[0][1] == landed[0][0]


def test_reply_time_closes_the_request(warehouse: Path) -> None:
    closed = _rows(
        warehouse,
        "select count(*) from fct_hotline_orders "
        "where source_file like '%附件4.xlsx' and is_closed",
    )
    assert closed == [(120,)]
    # The other messages have neither a status nor a reply: their closed state is unknown.
    unknown = _rows(warehouse, "select count(*) from fct_hotline_orders where is_closed is null")
    assert unknown == [(644 - 120,)]


def test_audit_names_the_refused_label_list(warehouse: Path) -> None:
    files = dict(_rows(warehouse, "select file_path, status from audit_files"))
    assert sorted(files.values()) == ["loaded", "loaded", "loaded", "quarantined"]
    error = _rows(warehouse, "select error from audit_files where status = 'quarantined'")[0][0]
    assert "附件1.xlsx" in error and "一级分类" in error


def test_dim_date_reaches_back_to_the_first_message(warehouse: Path) -> None:
    first = _rows(warehouse, "select min(date_day)::varchar from dim_date")[0][0]
    assert first == "2011-01-01"
    months = _rows(
        warehouse,
        "select min(month)::varchar, sum(orders_received) from mart_region_month "
        "where region_code = '430100'",
    )
    assert months == [("2011-04-01", 644)]


def test_no_author_account_is_published(warehouse: Path) -> None:
    columns = _rows(
        warehouse,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'main' and data_type = 'VARCHAR'",
    )
    for table, column in columns:
        hits = _rows(
            warehouse,
            f'select count(*) from main."{table}" where "{column}" similar to \'A[0-9]{{5,9}}\'',
        )
        assert hits == [(0,)], (table, column)
