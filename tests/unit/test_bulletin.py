"""The 通报 on a tiny hand-made warehouse: figures, wording, .docx/.xlsx structure, docs in sync."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import docx
import duckdb
import openpyxl
import pytest
from click.testing import CliRunner
from contract_columns import CONTRACT_COLUMNS  # tests/ is on sys.path (rootdir conftest)

from govdw.reports import commands
from govdw.reports.bulletin import write_bulletin
from govdw.reports.bulletin_format import parse_period, percent, percent_value
from govdw.reports.bulletin_queries import QUERIES
from govdw.reports.bulletin_tables import Column, TotalsMismatch, UnitTable
from govdw.reports.bulletin_xlsx import write_xlsx

FORMULA_UNIT = '=HYPERLINK("http://example.invalid","x")'

ORDER_COLUMNS = {
    "order_key": "varchar",
    "region_code": "varchar",
    "source_order_id": "varchar",
    "received_at": "timestamp",
    "dispatched_at": "timestamp",
    "accepted_at": "timestamp",
    "due_at": "timestamp",
    "closed_at": "timestamp",
    "handling_unit": "varchar",
    "appeal_type": "varchar",
    "category": "varchar",
    "channel": "varchar",
    "admin_level": "varchar",
    "status": "varchar",
    "is_closed": "boolean",
    "is_overdue": "boolean",
    "satisfaction_label": "varchar",
    "exported_at": "timestamp",
    "source_file": "varchar",
    "source_sheet": "varchar",
    "source_row": "integer",
    "supervised_count": "integer",  # published, beyond the contract (督办次数)
}
EVALUATION_COLUMNS = {
    "evaluation_key": "varchar",
    "region_code": "varchar",
    "source_evaluation_id": "varchar",
    "evaluated_at": "timestamp",
    "channel": "varchar",
    "item_name": "varchar",
    "department": "varchar",
    "rating": "integer",
    "rating_label": "varchar",
    "source_file": "varchar",
    "source_sheet": "varchar",
    "source_row": "integer",
}
STATS_COLUMNS = {
    "region_code": "varchar",
    "dataset": "varchar",
    "subject": "varchar",
    "metric": "varchar",
    "metric_label": "varchar",
    "value": "double",
    "period_start": "date",
    "period_end": "date",
    "source_file": "varchar",
    "source_sheet": "varchar",
    "source_row": "integer",
}
EXPORTED = datetime(2023, 5, 4, 9, 0)


def _order(n: int, **values: Any) -> dict[str, Any]:
    """One order of 乌恰县 with sensible defaults; `values` override."""
    base: dict[str, Any] = {
        "order_key": f"k{n}",
        "region_code": "653024",
        "source_order_id": f"WQ{n}",
        "received_at": datetime(2023, 4, 2, 9, 0),
        "dispatched_at": None,
        "accepted_at": None,
        "due_at": datetime(2023, 4, 20),
        "closed_at": None,
        "handling_unit": None,
        "appeal_type": "求助",
        "category": "民生保障",
        "channel": "电话",
        "admin_level": "下级",
        "status": "办理中",
        "is_closed": False,
        "is_overdue": False,
        "satisfaction_label": None,
        "exported_at": EXPORTED,
        "source_file": "653024/x.xlsx",
        "source_sheet": "Sheet1",
        "source_row": n,
        "supervised_count": None,
    }
    return base | values


def _dispatched(day: int, late: bool) -> dict[str, Any]:
    sent = datetime(2023, 4, day, 10, 0)
    return {
        "dispatched_at": sent,
        "accepted_at": sent.replace(hour=11, day=day + (2 if late else 0)),
    }


ORDERS = [
    # 本级, handled by the hotline office itself, closed and rated 满意.
    _order(
        1,
        handling_unit="乌恰县政务服务和公共资源交易中心",
        admin_level="本级",
        closed_at=datetime(2023, 4, 2, 11),
        status="已办结",
        is_closed=True,
        satisfaction_label="满意",
    ),
    # 住建局: one closed in time (received timely), one open, signed late, overdue < 30 days.
    _order(
        2,
        handling_unit="乌恰县住建局",
        appeal_type="投诉",
        closed_at=datetime(2023, 4, 4),
        status="已办结",
        is_closed=True,
        satisfaction_label="非常满意",
        **_dispatched(3, late=False),
    ),
    _order(
        3,
        handling_unit="乌恰县住建局",
        category="住房保障",
        due_at=datetime(2023, 4, 8),
        is_overdue=True,
        supervised_count=2,
        **_dispatched(3, late=True),
    ),
    # 黑孜苇乡 (表二): closed 38 days after its deadline, rated 不满意, no class given.
    _order(
        4,
        handling_unit="乌恰县黑孜苇乡",
        received_at=datetime(2023, 4, 1, 8),
        appeal_type="咨询",
        category=None,
        due_at=datetime(2023, 4, 2),
        closed_at=datetime(2023, 5, 10),
        status="已办结",
        is_closed=True,
        is_overdue=True,
        satisfaction_label="不满意",
        **_dispatched(1, late=False),
    ),
    # A unit whose name a spreadsheet would run as a formula.
    _order(
        5,
        handling_unit=FORMULA_UNIT,
        received_at=datetime(2023, 4, 20, 8),
        category="公共服务",
        **_dispatched(20, late=False),
    ),
    # Not counted: April 2022 (the 同比 base), May 2023, another region.
    _order(6, received_at=datetime(2022, 4, 10), handling_unit="乌恰县住建局"),
    _order(7, received_at=datetime(2023, 5, 1), handling_unit="乌恰县住建局"),
    _order(8, region_code="640522", handling_unit="住建局"),
]

EVALUATIONS = [
    (1, datetime(2023, 4, 3), 5, "非常满意"),
    (2, datetime(2023, 4, 9), 4, "满意"),
    (3, datetime(2023, 4, 30, 23), 2, "不满意"),
    (4, datetime(2023, 5, 1), 1, "非常不满意"),  # May: not counted
]

#: 海原县 2017: only summary tables (表一/表二 and a 全县 line), no detail orders.
STATS = [
    ("住建局", "orders_assigned", 87),
    ("住建局", "orders_closed", 31),
    ("住建局", "orders_overdue", 20),
    ("住建局", "orders_supervised", 2),
    ("贾塘乡", "orders_assigned", 54),
    ("贾塘乡", "orders_closed", 33),
    ("贾塘乡", "orders_overdue", 16),
    ("贾塘乡", "orders_supervised", 2),
    ("全县", "orders_received", 574),
]


def _create(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    con.execute(f"create table {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    names = list(rows[0])
    con.executemany(
        f"insert into {table} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
        [[row[n] for n in names] for row in rows],
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published-warehouse file with the contract's columns and a handful of rows."""
    path = tmp_path_factory.mktemp("bulletin") / "govdw.duckdb"
    con = duckdb.connect(str(path))
    _create(
        con,
        "dim_region",
        {
            "region_code": "varchar",
            "region_name": "varchar",
            "parent_code": "varchar",
            "level": "varchar",
        },
    )
    con.execute(
        "insert into dim_region values ('653024', '乌恰县', '653000', 'county'), "
        "('640522', '海原县', '640500', 'county'), ('150300', '乌海市', '150000', 'city')"
    )
    _create(con, "fct_hotline_orders", ORDER_COLUMNS)
    _insert(con, "fct_hotline_orders", ORDERS)
    _create(con, "fct_evaluations", EVALUATION_COLUMNS)
    _insert(
        con,
        "fct_evaluations",
        [
            {
                "evaluation_key": f"e{n}",
                "region_code": "653024",
                "source_evaluation_id": str(n),
                "evaluated_at": at,
                "channel": "窗口评价器",
                "item_name": "x",
                "department": "y",
                "rating": rating,
                "rating_label": label,
                "source_file": "f",
                "source_sheet": "s",
                "source_row": n,
            }
            for n, at, rating, label in EVALUATIONS
        ],
    )
    _create(con, "fct_reported_stats", STATS_COLUMNS)
    _insert(
        con,
        "fct_reported_stats",
        [
            {
                "region_code": "640522",
                "dataset": "hotline",
                "subject": subject,
                "metric": metric,
                "metric_label": metric,
                "value": float(value),
                "period_start": date(2017, 1, 1),
                "period_end": date(2017, 12, 31),
                "source_file": "640522/t.xls",
                "source_sheet": "表一",
                "source_row": n,
            }
            for n, (subject, metric, value) in enumerate(STATS, 1)
        ],
    )
    con.close()
    return path


@pytest.fixture(scope="module")
def wuqia(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """乌恰县 April 2023 written once: paths, the docx paragraphs and the workbook."""
    out = tmp_path_factory.mktemp("out")
    paths = write_bulletin(warehouse, "653024", "2023-04", out)
    document = docx.Document(str(paths[0]))
    return {
        "paths": paths,
        "docx": document,
        "text": [p.text for p in document.paragraphs if p.text.strip()],
        "xlsx": openpyxl.load_workbook(paths[1]),
    }


def test_the_contract_columns_are_all_in_the_tiny_warehouse() -> None:
    """The hand-made tables have at least the columns docs/contract.md §4 promises."""
    assert CONTRACT_COLUMNS["fct_hotline_orders"] <= set(ORDER_COLUMNS)
    assert CONTRACT_COLUMNS["fct_evaluations"] <= set(EVALUATION_COLUMNS)
    assert CONTRACT_COLUMNS["fct_reported_stats"] <= set(STATS_COLUMNS)


def test_files_are_written_under_the_period_name(wuqia: dict[str, Any]) -> None:
    """One .docx and one .xlsx, named by region and period, nothing else left behind."""
    docx_path, xlsx_path = wuqia["paths"]
    assert docx_path.name == "bulletin-653024-2023-04.docx"
    assert xlsx_path.name == "bulletin-653024-2023-04-tables.xlsx"
    written = sorted(p.name for p in docx_path.parent.iterdir())
    assert written == sorted([docx_path.name, xlsx_path.name])


def test_title_and_narrative_figures(wuqia: dict[str, Any]) -> None:
    """Every sentence carries the figures the tiny warehouse implies."""
    text = wuqia["text"]
    assert text[0] == "乌恰县2023年4月“12345”政务服务便民热线工单办理情况通报"
    body = "\n".join(text)
    expected = [
        "2023年4月1日至4月30日，乌恰县共收到各类群众诉求5件（含本级办件1件，下级办件4件），"
        "已办结3件，在办件2件。",
        "逾期工单2件，具体单位为：乌恰县住建局1件、乌恰县黑孜苇乡1件；其中超期30天以上1件。",
        "工单及时接收率为75.00%，其中：乌恰县住建局接收率为50.00%，其他涉及单位接收率均为100%；"
        "办结率为50.00%；办理结果满意率为66.67%。",
        "与上年同期（2022年4月）相比，收到群众诉求增加4件，同比增长400.00%。",
        "民生保障类2件，占比40.00%；住房保障类1件，占比20.00%；公共服务类1件，占比20.00%；"
        "其他1件，占比20.00%。",
        "求助类工单3件、咨询类工单1件、投诉类工单1件。",
        "共收到政务服务“好差评”评价3条，其中满意（含非常满意、满意、基本满意）2条，"
        "不满意（含不满意、非常不满意）1条，满意率为66.67%。",
        "附件：1.承办单位办件情况表一（县直单位） 2.承办单位办件情况表二（乡镇、街道）",
        "数据截至2023年5月4日（工单最近一次导出）。",
    ]
    for sentence in expected:
        assert sentence in body, f"missing: {sentence}\n---\n{body}"


def test_docx_unit_tables(wuqia: dict[str, Any]) -> None:
    """表一 (departments) and 表二 (townships): header, 合计 first, then the units."""
    one, two = wuqia["docx"].tables
    rows = [[c.text for c in row.cells] for row in one.rows]
    assert rows[0] == [
        "序号",
        "单位",
        "承办量",
        "办结量",
        "办结率",
        "在办量",
        "超期30天以上工单数",
        "督办次数",
        "及时接收率",
    ]
    assert rows[1] == ["", "合计", "3", "1", "33.33%", "2", "0", "2", "66.67%"]
    assert rows[2] == ["1", "乌恰县住建局", "2", "1", "50.00%", "1", "0", "2", "50.00%"]
    assert rows[3][1] == FORMULA_UNIT and rows[3][4] == "0.00%"
    assert [c.text for c in two.rows[2].cells] == [
        "1",
        "乌恰县黑孜苇乡",
        "1",
        "1",
        "100%",
        "0",
        "1",
        "0",
        "100%",
    ]
    assert "承办单位办件情况表一" in wuqia["text"] and "（县直单位）" in wuqia["text"]
    assert "备注：此表统计截止于2023年4月30日，以交办量为统计口径。" in wuqia["text"]


def test_xlsx_is_laid_out_as_offices_do(wuqia: dict[str, Any]) -> None:
    """Merged title, 单位：件, percent formats, frozen header, print setup, 合计 row."""
    book = wuqia["xlsx"]
    assert book.sheetnames == ["表一", "表二"]
    sheet = book["表一"]
    assert "A1:I1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A1"].value == "乌恰县2023年4月承办单位办件情况表一（县直单位）"
    assert sheet["I2"].value == "单位：件"
    assert [c.value for c in sheet[3]][:3] == ["序号", "单位", "承办量"]
    assert [c.value for c in sheet[4]][1:4] == ["合计", 3, 1]
    assert sheet["E4"].value == pytest.approx(1 / 3)
    assert sheet["E4"].number_format == "0.00%" and sheet["I5"].number_format == "0.00%"
    assert sheet["C5"].number_format == "0"
    assert sheet.freeze_panes == "A4"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (fitToWidth 1 is the OOXML default, so it may be left out), any height.
    assert (sheet.page_setup.fitToWidth or 1) == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$1:$3"
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["C"].width


def test_formula_like_text_is_stored_as_text(wuqia: dict[str, Any]) -> None:
    """A unit named =HYPERLINK(…) is a string cell, not a formula, and is not prefixed."""
    sheet = wuqia["xlsx"]["表一"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == FORMULA_UNIT)
    assert cell.data_type == "s"


def test_every_query_is_documented_verbatim(repo_root: Path) -> None:
    """docs/bulletin.md quotes each query of QUERIES exactly, so docs and code cannot drift."""
    doc = (repo_root / "docs" / "bulletin.md").read_text(encoding="utf-8")
    for name, sql in QUERIES.items():
        assert f"Query `{name}`:" in doc, name
        assert sql.strip() in doc, f"docs/bulletin.md has an outdated copy of query {name!r}"


def test_summary_tables_when_the_period_has_no_detail(warehouse: Path, tmp_path: Path) -> None:
    """海原县 2017 Q4 from fct_reported_stats: region and unit figures, marked as such."""
    paths = write_bulletin(warehouse, "海原县", "2017-Q4", tmp_path)
    document = docx.Document(str(paths[0]))
    body = "\n".join(p.text for p in document.paragraphs)
    assert (
        "2017年10月1日至12月31日，海原县共收到各类群众诉求574件，各承办单位共承办工单141件，"
        "已办结64件，在办77件，办结率为45.39%，超期工单36件。" in body
    )
    assert "取自各单位报送的汇总统计表" in body
    one, two = document.tables
    assert [c.text for c in one.rows[1].cells] == [
        "",
        "合计",
        "87",
        "31",
        "35.63%",
        "56",
        "20",
        "2",
    ]
    assert [c.text for c in two.rows[2].cells][1:4] == ["贾塘乡", "54", "33"]
    assert "全县" not in {row.cells[1].text for t in document.tables for row in t.rows}


@pytest.mark.parametrize(
    ("region", "period", "words"),
    [
        ("653024", "2023-13", "month 13"),
        ("653024", "2023/04", "not understood"),
        ("653024", "Q4", "not understood"),
        ("999999", "2023-04", "unknown region"),
        ("不存在县", "2023-04", "unknown region"),
        ("653024", "2010", "no hotline data"),
    ],
)
def test_bad_arguments_say_what_is_wrong(
    warehouse: Path, tmp_path: Path, region: str, period: str, words: str
) -> None:
    """A bad period, an unknown region or a period without data: ValueError, no file."""
    with pytest.raises(ValueError, match=words):
        write_bulletin(warehouse, region, period, tmp_path / "out")
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())


def test_cli_prints_the_reason(warehouse: Path, tmp_path: Path) -> None:
    """`govdw report bulletin` turns the ValueError into one error line and exit code 1."""
    result = CliRunner().invoke(
        commands.report,
        [
            "bulletin",
            "--region",
            "653024",
            "--period",
            "2023-99",
            "--out",
            str(tmp_path),
            "--warehouse",
            str(warehouse),
        ],
    )
    assert result.exit_code == 1 and "month 99" in result.output


def _table(total: list[Any]) -> UnitTable:
    columns = (
        Column("序号", "seq", 6),
        Column("单位", "text", 20),
        Column("承办量", "count", 8),
        Column("办结率", "rate", 10),
        Column("在办量", "count", 8),
    )
    return UnitTable(
        sheet_name="附表",
        title="承办单位办件情况表",
        subtitle="（县直单位）",
        columns=columns,
        total=tuple(total),
        rows=((1, "甲局", 3, 1.0, 0), (2, "乙局", 2, 0.5, 1)),
        note="备注",
    )


def test_totals_row_is_checked_before_writing(tmp_path: Path) -> None:
    """A 合计 that disagrees with its units stops the xlsx writer before any file exists."""
    target = tmp_path / "t.xlsx"
    write_xlsx([_table(["", "合计", 5, 0.8, 1])], target, "某县", "2023年4月1日至4月30日")
    assert target.exists()
    bad = tmp_path / "bad.xlsx"
    with pytest.raises(TotalsMismatch, match="承办量: 合计 6 but the units add up to 5"):
        write_xlsx([_table(["", "合计", 6, 0.8, 1])], bad, "某县", "2023年4月1日至4月30日")
    assert not bad.exists()


@pytest.mark.parametrize(
    ("period", "label", "span"),
    [
        ("2023-04", "2023年4月", "2023年4月1日至4月30日"),
        ("2024-02", "2024年2月", "2024年2月1日至2月29日"),
        ("2017-Q4", "2017年第四季度", "2017年10月1日至12月31日"),
        ("2023q1", "2023年第一季度", "2023年1月1日至3月31日"),
        ("2023", "2023年度", "2023年1月1日至12月31日"),
    ],
)
def test_periods_in_chinese(period: str, label: str, span: str) -> None:
    """Month, quarter and year periods are written as the seeds write them."""
    parsed = parse_period(period)
    assert (parsed.label, parsed.span) == (label, span)


def test_percentages_as_the_seeds_print_them() -> None:
    """Two decimals rounded half-up; exactly 100% without decimals."""
    assert percent(120, 141) == "85.11%"
    assert percent(125, 141) == "88.65%"
    assert percent(48, 143) == "33.57%"
    assert percent(1, 2) == "50.00%"
    assert percent(3, 3) == "100%"
    assert percent(0, 0) == "—"
    assert percent_value(0.88645) == "88.65%"  # half-up, not to even
    assert percent_value(0.9997) == "99.97%"
