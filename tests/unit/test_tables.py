"""Table location: titles, metadata, one- and two-row headers, blank/totals/footnote rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from govdw.tables import locate_tables


@dataclass
class Sheet:
    """A stand-in for govdw.read.Sheet (same fields)."""

    name: str
    index: int
    hidden: bool
    grid: pa.Table
    first_row: int = 1
    merged: list[tuple[int, int, int, int]] | None = None


def grid(rows: list) -> pa.Table:
    """A string grid c0..cN from rows (lists of str or None, of any lengths)."""
    width = max(len(r) for r in rows)
    return pa.table(
        {
            f"c{j}": pa.array([r[j] if j < len(r) else None for r in rows], pa.string())
            for j in range(width)
        }
    )


HOTLINE = [
    ["乌恰县12345热线工单明细表"],
    ["导出时间：2023-05-04 09:12:33"],
    ["序号", "工单编号", "受理时间", "办理情况", None, "诉求内容"],
    [None, None, None, "办结日期", "状态", None],
    ["1", "GD1", "2023-04-01 08:05:00", "2023-04-03", "已办结", "甲"],
    [],
    ["2", "GD2", "2023/4/2 8:05", None, "办理中", "乙"],
    ["合计", "2"],
    ["备注：此表统计截止于2023年4月30日"],
    ["制表人：张三"],
]


def test_two_row_header_title_metadata_blank_totals_footnotes() -> None:
    """Header rows 3-4 flatten parent/child; data rows 5 and 7; totals row 8; footnotes end it."""
    (table,) = locate_tables(Sheet("明细", 0, False, grid(HOTLINE)))
    assert table.header_rows == [3, 4]
    assert [c.header for c in table.columns] == [
        "序号",
        "工单编号",
        "受理时间",
        "办理情况/办结日期",
        "办理情况/状态",
        "诉求内容",
    ]
    assert [c.child_key for c in table.columns][3:5] == ["办结日期", "状态"]
    assert table.rows.to_pylist() == [5, 7]
    assert table.raw.column("c1").to_pylist() == ["GD1", "GD2"]
    assert table.titles == ["乌恰县12345热线工单明细表"]
    assert table.metadata == {"导出时间": "2023-05-04 09:12:33"}
    assert table.exported_at == datetime(2023, 5, 4, 9, 12, 33)
    assert table.blank_rows == 1
    assert [(t.row, t.cells[1]) for t in table.totals] == [(8, "2")]
    assert table.footnotes == ["备注:此表统计截止于2023年4月30日", "制表人:张三"]


def test_merged_parent_range_and_first_row_offset() -> None:
    """A merged parent spanning two columns labels both children; row numbers follow first_row."""
    rows = [
        ["工单编号", "办理情况", "办理情况", "受理时间"],
        [None, "办结日期", "状态", None],
        ["GD9", "2023-04-03", "已办结", "2023-04-01"],
    ]
    sheet = Sheet("s", 0, False, grid(rows), first_row=3, merged=[(0, 1, 0, 2)])
    (table,) = locate_tables(sheet)
    assert [c.header for c in table.columns] == [
        "工单编号",
        "办理情况/办结日期",
        "办理情况/状态",
        "受理时间",
    ]
    assert table.header_rows == [3, 4]
    assert table.rows.to_pylist() == [5]


def test_two_tables_on_one_sheet_with_unit_rows() -> None:
    """A second header further down starts a second table; its title/unit rows go with it."""
    rows = [
        ["承办单位办件情况表一"],
        [None, None, "单位：件"],
        ["序号", "单位", "承办量", "办结量"],
        [None, "合计", "3", "2"],
        ["1", "住建局", "2", "1"],
        ["2", "残联", "1", "1"],
        ["承办单位办件情况表二"],
        ["序号", "单位", "承办量", "办结量"],
        ["1", "海城镇", "18", "10"],
    ]
    first, second = locate_tables(Sheet("s", 0, False, grid(rows)))
    assert first.unit == "件"
    assert first.title == "承办单位办件情况表一"
    assert first.rows.to_pylist() == [5, 6]
    assert [t.row for t in first.totals] == [4]
    assert second.title == "承办单位办件情况表二"
    assert second.header_rows == [8]
    assert second.rows.to_pylist() == [9]
    assert second.raw.column("c1").to_pylist() == ["海城镇"]


def test_no_header_gives_no_table() -> None:
    """A sheet of free text has no table."""
    rows = [["说明"], ["这是一个字典表"], ["a", "b"]]
    assert locate_tables(Sheet("字典", 0, True, grid(rows))) == []


def test_traditional_headers_are_found() -> None:
    """Traditional-script headers match after conversion (處理單位 -> 处理单位)."""
    rows = [["工單編號", "受理時間", "處理單位"], ["GD1", "2022-01-01", "住建局"]]
    (table,) = locate_tables(Sheet("s", 0, False, grid(rows)))
    assert [c.key for c in table.columns] == ["工单编号", "受理时间", "处理单位"]
    assert table.norm.column("c2").to_pylist() == ["住建局"]


def test_records_whose_values_are_header_words_stay_data() -> None:
    """已办结 and 非常满意 are header words of summary tables, yet rows holding them with a date
    and an id are records of the table above, not the header of a new table."""
    rows = [
        ["工单编号", "受理时间", "承办单位", "办理状态", "回访满意度", "诉求内容"],
        ["GD1", "2023-04-01 08:05:00", "县住建局", "已办结", "非常满意", "甲"],
        ["GD2", "2023-04-02 09:00:00", "县人社局", "已办结", "满意", "乙"],
        ["GD3", "2023-04-03 10:00:00", "县医保局", "办理中", None, "丙"],
    ]
    (table,) = locate_tables(Sheet("工单明细", 0, False, grid(rows)))
    assert table.header_rows == [1]
    assert table.rows.to_pylist() == [2, 3, 4]


def test_a_real_second_header_still_starts_a_table() -> None:
    """A row made only of header words below the first table starts the second one."""
    rows = [
        ["工单编号", "受理时间", "承办单位", "办理状态"],
        ["GD1", "2023-04-01 08:05:00", "县住建局", "已办结"],
        [],
        ["承办单位", "承办量", "办结量", "超期"],
        ["县住建局", "87", "31", "20"],
    ]
    first, second = locate_tables(Sheet("工单明细", 0, False, grid(rows)))
    assert (first.header_rows, first.rows.to_pylist()) == ([1], [2])
    assert (second.header_rows, second.rows.to_pylist()) == ([4], [5])
