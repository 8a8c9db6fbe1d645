"""govdw.read: every format renders into the same all-string grid the extractor expects."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
import xlsxwriter
import xlwt

from govdw.read import ReadError, read_workbook
from govdw.sniff import sniff
from govdw.types import Limits


def _rows(grid: pa.Table) -> list[list[str | None]]:
    return [list(r.values()) for r in grid.to_pylist()]


def _orders_xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("工单")
    ts = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, 3, "12345热线工单明细")
    ws.write_row(1, 0, ["工单编号", "受理时间", "数量", "满意率", "重办", "截止日期"])
    ws.write(2, 0, "GD2024001")
    ws.write_datetime(2, 1, dt.datetime(2024, 3, 1, 8, 30, 5), ts)
    ws.write(2, 2, 143)
    ws.write(2, 3, 0.8865)
    ws.write(2, 4, True)
    ws.write_datetime(2, 5, dt.datetime(2024, 3, 8), day)
    ws.write(3, 2, 45017.3472)
    # A formatted-but-empty cell far below: the sheet's dimension grows, the grid must not.
    ws.write_blank(500, 7, None, ts)
    hidden = wb.add_worksheet("旧数据")
    hidden.write(0, 0, "x")
    hidden.hide()
    wb.add_worksheet("空白")
    wb.close()
    return path


def test_xlsx_cells_render_as_the_seam_promises(tmp_path: Path) -> None:
    """Datetimes, dates, integers, decimals and booleans render as fixed strings."""
    sheets = read_workbook(_orders_xlsx(tmp_path / "o.xlsx"), "xlsx", Limits())
    orders = sheets[0]
    assert (orders.name, orders.index, orders.hidden, orders.first_row) == ("工单", 0, False, 1)
    assert orders.grid.column_names == ["c0", "c1", "c2", "c3", "c4", "c5"]
    assert all(t == pa.string() for t in orders.grid.schema.types)
    assert _rows(orders.grid) == [
        ["12345热线工单明细", None, None, None, None, None],
        ["工单编号", "受理时间", "数量", "满意率", "重办", "截止日期"],
        ["GD2024001", "2024-03-01 08:30:05", "143", "0.8865", "TRUE", "2024-03-08"],
        [None, None, "45017.3472", None, None, None],
    ]
    assert orders.merged == [(0, 0, 0, 3)]


def test_xlsx_hidden_and_empty_sheets(tmp_path: Path) -> None:
    """Hidden state comes through; an empty sheet is an empty grid, not an error."""
    sheets = read_workbook(_orders_xlsx(tmp_path / "o.xlsx"), "xlsx", Limits())
    assert [(s.name, s.index, s.hidden) for s in sheets] == [
        ("工单", 0, False),
        ("旧数据", 1, True),
        ("空白", 2, False),
    ]
    assert _rows(sheets[1].grid) == [["x"]]
    assert sheets[2].grid.num_rows == 0
    assert sheets[2].grid.num_columns == 0


def test_xlsx_table_not_at_a1_keeps_sheet_coordinates(tmp_path: Path) -> None:
    """Data starting at C3 keeps c0 = column A and grid row 0 = sheet row 1."""
    path = tmp_path / "offset.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("s")
    ws.write(2, 2, "受理量")
    ws.write(3, 3, 5)
    ws.merge_range(4, 2, 5, 3, "合计")
    wb.close()
    sheet = read_workbook(path, "xlsx", Limits())[0]
    assert _rows(sheet.grid) == [
        [None, None, None, None],
        [None, None, None, None],
        [None, None, "受理量", None],
        [None, None, None, "5"],
        [None, None, "合计", None],
    ]
    assert sheet.merged == [(4, 2, 4, 3)]  # clipped to the trimmed grid


def test_legacy_xls(tmp_path: Path) -> None:
    """xlwt-written .xls: same rendering, merges from calamine."""
    wb = xlwt.Workbook()
    ws = wb.add_sheet("办件")
    ws.write_merge(0, 0, 0, 2, "办件统计")
    ws.write(1, 0, dt.datetime(2024, 1, 2, 3, 4, 5), xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm"))
    ws.write(1, 1, dt.date(2024, 1, 2), xlwt.easyxf(num_format_str="yyyy-mm-dd"))
    ws.write(1, 2, 12.0)
    ws.write(2, 2, False)
    path = tmp_path / "c.xls"
    wb.save(str(path))
    sheet = read_workbook(path, "xls", Limits())[0]
    assert _rows(sheet.grid) == [
        ["办件统计", None, None],
        ["2024-01-02 03:04:05", "2024-01-02", "12"],
        [None, None, "FALSE"],
    ]
    assert sheet.merged == [(0, 0, 0, 2)]


def test_gbk_csv_ragged_rows_padded(tmp_path: Path) -> None:
    """A GBK CSV with a one-cell title line: rows padded, empty fields null, text as written."""
    path = tmp_path / "orders.csv"
    text = (
        "工单明细\r\n工单编号,受理时间,状态\r\n"
        '001,2024/3/1 8:00,已办结\r\n002,,"办理中,催办"\r\n\r\n'
    )
    path.write_bytes(text.encode("gbk"))
    found = sniff(path)
    sheets = read_workbook(path, "csv", Limits(), encoding=found.encoding, delimiter=",")
    assert [(s.name, s.first_row, s.merged) for s in sheets] == [("csv", 1, None)]
    assert _rows(sheets[0].grid) == [
        ["工单明细", None, None],
        ["工单编号", "受理时间", "状态"],
        ["001", "2024/3/1 8:00", "已办结"],
        ["002", None, "办理中,催办"],
    ]


def test_csv_sniffs_when_encoding_not_given(tmp_path: Path) -> None:
    """Without a sniffed encoding the reader sniffs itself (BOM dropped, tab delimiter)."""
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffa\tb\n1\t2\n".encode())
    assert _rows(read_workbook(path, "csv", Limits())[0].grid) == [["a", "b"], ["1", "2"]]


def test_html_table_with_spans(tmp_path: Path) -> None:
    """HTML cells: colspan/rowspan leave nulls and are reported as merges; entities decoded."""
    path = tmp_path / "export.xls"
    path.write_text(
        "<html><body><table>"
        "<tr><td colspan=3>热线&amp;统计</td></tr>"
        "<tr><th rowspan=2>单位</th><th>受理量</th><th>办结量</th></tr>"
        "<tr><td>10</td><td>9</td></tr>"
        "<tr><td>合计</td><td>&nbsp;</td><td>9</td></tr>"
        "</table></body></html>",
        encoding="utf-8",
    )
    sheets = read_workbook(path, "html", Limits(), encoding="utf-8-sig")
    assert len(sheets) == 1
    assert sheets[0].name == "html"
    assert _rows(sheets[0].grid) == [
        ["热线&统计", None, None],
        ["单位", "受理量", "办结量"],
        [None, "10", "9"],
        ["合计", None, "9"],
    ]
    assert sheets[0].merged == [(0, 0, 0, 2), (1, 0, 2, 0)]


def test_row_cap(tmp_path: Path) -> None:
    """More rows than the cap is an error naming the file, sheet and limit."""
    path = tmp_path / "many.csv"
    path.write_text("a\n" * 20, encoding="utf-8")
    with pytest.raises(ReadError) as err:
        read_workbook(path, "csv", Limits(max_rows=10), encoding="utf-8-sig", delimiter=",")
    assert (
        str(err.value)
        == "many.csv, sheet csv: 20 rows, more than the 10-row limit: split the export"
    )


def test_damaged_xlsx_names_the_file(tmp_path: Path) -> None:
    """A zip that claims to be a workbook but is not: a readable error, not a traceback."""
    path = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not-a-workbook")
    with pytest.raises(ReadError) as err:
        read_workbook(path, "xlsx", Limits(), label="640522/bad.xlsx")
    assert str(err.value).startswith("640522/bad.xlsx: the workbook cannot be read (")
    assert str(err.value).endswith("); open and re-save it in Excel")


def test_xlsx_saved_as_xls_is_read_by_content(tmp_path: Path) -> None:
    """An xlsx renamed .xls (sniffed as xlsx) reads like the xlsx it is."""
    path = _orders_xlsx(tmp_path / "o.xlsx").rename(tmp_path / "o.xls")
    sheets = read_workbook(path, "xlsx", Limits())
    assert _rows(sheets[0].grid)[1][0] == "工单编号"
    assert sheets[0].merged == [(0, 0, 0, 3)]
