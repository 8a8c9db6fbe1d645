"""Periods, summary tables -> reported_stats, totals checks -> reconciliation rows."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from govdw.mapping import Lineage
from govdw.reconcile import parse_period, summary_checks, summary_stats
from govdw.tables import locate_tables
from tests.unit.test_tables import Sheet, grid

LINEAGE = Lineage("h", "640522/t.xls", "640522", None, datetime(2018, 1, 5))

#: /work/shared/seeds/002_*.txt, 承办单位办件情况表一 (县直单位), totals row first.
HAIYUAN_UNITS = """住建局 87 31 20 2
国环局 4 2 2 2
残联 1 1 0 0
市场监管局 1 1 0 0
移动公司 1 1 0 0
公安局（交警队） 22 16 2 2
运管所 2 0 0 1
人社局 14 11 0 1
卫计局 5 0 3 2
交通运输局 11 8 3 2
教体局 27 26 0 1
农牧局 2 1 1 2
林业局 1 1 0 0
文广局 1 1 0 0
民政局 5 5 0 0
水务局 9 7 1 2
社保局 1 1 0 0
就创局 1 1 0 0
商经局 8 5 2 2
扶贫办 2 0 1 2
电信公司 1 0 0 1
海城供电公司 2 0 1 2"""


def haiyuan_rows() -> list[list[str | None]]:
    """The seed table as an export writes it."""
    rows: list[list[str | None]] = [
        ["承办单位办件情况表一"],
        ["(县直单位)"],
        [None, None, None, None, None, "单位：件"],
        ["序号", "单位", "承办量", "办结量", "超期30天以上工单数", "督办次数"],
        [None, "合计", "206", "119", "36", "24"],
    ]
    for i, line in enumerate(HAIYUAN_UNITS.splitlines(), start=1):
        rows.append([str(i), *line.split()])
    rows.append(["备注：此表统计截止于2017年12月31日，以交办量为统计口径。"])
    return rows


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("此表统计截止于2017年12月31日", (None, date(2017, 12, 31))),
        ("2017年10-12月", (date(2017, 10, 1), date(2017, 12, 31))),
        ("2017年10月27日至12月31日", (date(2017, 10, 27), date(2017, 12, 31))),
        ("hotline_202303.xlsx", (date(2023, 3, 1), date(2023, 3, 31))),
        ("2023年4月", (date(2023, 4, 1), date(2023, 4, 30))),
        ("2022年度工作情况", (date(2022, 1, 1), date(2022, 12, 31))),
        ("2023年第一季度", (date(2023, 1, 1), date(2023, 3, 31))),
        ("没有日期", (None, None)),
    ],
)
def test_parse_period(text: str, expected: tuple[date | None, date | None]) -> None:
    """Each period form found in titles, footnotes and file names."""
    assert parse_period([text]) == expected


def test_period_prefers_a_full_range_over_an_end_date() -> None:
    """截止 gives the end; a file name's 2017年10-12月 gives the whole range."""
    texts = ["备注：此表统计截止于2017年12月31日", "海原县2017年10-12月.xls"]
    assert parse_period(texts) == (date(2017, 10, 1), date(2017, 12, 31))


def test_haiyuan_seed_totals_mismatch() -> None:
    """承办量 details add to 208 while the totals row says 206: is_match false."""
    (table,) = locate_tables(Sheet("表一", 0, False, grid(haiyuan_rows())))
    stats, issues, metrics = summary_stats(table, LINEAGE, (None, date(2017, 12, 31)), None)
    assert stats.num_rows == 22 * 4
    assert issues.num_rows == 0
    checks = {
        c.metric: (c.row, c.reported, c.computed, c.is_match)
        for c in summary_checks(table, metrics)
    }
    assert checks == {
        "orders_assigned": (5, 206.0, 208.0, False),
        "orders_closed": (5, 119.0, 119.0, True),
        "orders_overdue": (5, 36.0, 36.0, True),
        "orders_supervised": (5, 24.0, 24.0, True),
    }
    first = stats.slice(0, 1).to_pylist()[0]
    assert {
        k: first[k]
        for k in (
            "source_row",
            "dataset",
            "subject",
            "metric",
            "metric_label",
            "value",
            "table_title",
            "period_end",
        )
    } == {
        "source_row": 6,
        "dataset": "hotline",
        "subject": "住建局",
        "metric": "orders_assigned",
        "metric_label": "承办量",
        "value": 87.0,
        "table_title": "承办单位办件情况表一",
        "period_end": date(2017, 12, 31),
    }


def test_rates_wan_and_recomputed_rate_totals() -> None:
    """Rates become fractions, 万 is multiplied out, a rate total is recomputed from counts."""
    rows = [
        ["单位", "承办量", "办结量", "办结率", "占比"],
        ["甲局", "1万", "8000", "80%", "50%"],
        ["乙局", "1,000", "500", "50.00%", "50%"],
        ["总计", "11000", "8500", "77.27%", "100%"],
    ]
    (table,) = locate_tables(Sheet("s", 0, False, grid(rows)))
    stats, _, metrics = summary_stats(table, LINEAGE, (None, None), None)
    got = [(r["subject"], r["metric"], r["value"]) for r in stats.to_pylist()]
    assert got == [
        ("甲局", "orders_assigned", 10000.0),
        ("乙局", "orders_assigned", 1000.0),
        ("甲局", "orders_closed", 8000.0),
        ("乙局", "orders_closed", 500.0),
        ("甲局", "close_rate", 0.8),
        ("乙局", "close_rate", 0.5),
    ]
    checks = [
        (c.metric, c.reported, round(c.computed, 6), c.is_match)
        for c in summary_checks(table, metrics)
    ]
    assert checks == [
        ("orders_assigned", 11000.0, 11000.0, True),
        ("orders_closed", 8500.0, 8500.0, True),
        ("close_rate", 0.7727, 0.772727, True),
    ]


def test_row_total_column_evaluations() -> None:
    """评价总数 per level is checked against its five rating columns, subject = the level."""
    rows = [
        ["层级", "评价总数", "非常满意", "满意", "基本满意", "不满意", "非常不满意"],
        ["市级", "65138", "65061", "60", "17", "0", "0"],
        ["区县级", "157240", "156769", "369", "64", "1", "0"],
    ]
    (table,) = locate_tables(Sheet("s", 0, False, grid(rows)))
    _, _, metrics = summary_stats(table, LINEAGE, (None, None), None)
    checks = [
        (c.subject, c.metric, c.reported, c.computed, c.is_match)
        for c in summary_checks(table, metrics)
    ]
    assert checks == [
        ("市级", "evaluations_total", 65138.0, 65138.0, True),
        ("区县级", "evaluations_total", 157240.0, 157203.0, False),
    ]


def test_summary_headers_with_their_unit_in_brackets(tmp_path: Path) -> None:
    """办件量（万件）: the metric is read without the unit and the figures are scaled by it."""
    import json

    from click.testing import CliRunner

    from govdw import cli

    export = tmp_path / "sum.csv"
    export.write_text(
        "乌恰县2023年办件统计表\n单位,办件量（万件）,办结量（万件）,办结率（%）\n"
        "县税务局,1.2,1.1,91.67\n县医保局,0.8,0.8,100\n合计,2.0,1.9,95\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(cli.cli, ["inspect", str(export), "--region", "653024", "--json"])
    table = json.loads(out.output)["sheets"][0]["tables"][0]
    assert table["dataset"] == "summary"
    assert table["column_mapping"]["办件量(万件)"] == "cases_accepted"
    assert table["column_mapping"]["办结率(%)"] == "close_rate"
    totals = {c["metric"]: (c["reported"], c["computed"]) for c in table["reconciliation"]}
    assert totals["cases_accepted"] == (20000.0, 20000.0)
