"""The 通报's unit tables as an .xlsx laid out as offices do (title, 单位：件, 合计, printing)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from govdw.reports.bulletin_tables import Cell, Column, UnitTable, check_totals

PERCENT_FORMAT = "0.00%"
COUNT_FORMAT = "0"
HEADER_ROW = 2  # 0: title, 1: period and 单位：件, 2: header, 3: 合计, 4…: units


class _Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 11, "valign": "vcenter"}
        boxed = {**base, "border": 1}
        self.title = book.add_format({**base, "bold": True, "font_size": 16, "align": "center"})
        self.caption = book.add_format({**base, "align": "left"})
        self.unit = book.add_format({**base, "align": "right"})
        self.header = book.add_format(
            {**boxed, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#D9D9D9"}
        )
        self.note = book.add_format({**base, "align": "left", "text_wrap": True})
        self.cells: dict[tuple[str, bool], Format] = {}
        for kind in ("seq", "text", "count", "rate"):
            for bold in (False, True):
                spec: dict[str, object] = {**boxed, "bold": bold}
                spec["align"] = "left" if kind == "text" else "center"
                if kind == "count":
                    spec["num_format"] = COUNT_FORMAT
                if kind == "rate":
                    spec["num_format"] = PERCENT_FORMAT
                self.cells[(kind, bold)] = book.add_format(spec)


def _write_cell(
    sheet: Worksheet, row: int, col: int, value: Cell, column: Column, fmt: Format
) -> None:
    if value is None or value == "":
        # A rate with nothing to divide, or the 合计 row's empty 序号.
        sheet.write_string(row, col, "—" if column.kind == "rate" else "", fmt)
    elif isinstance(value, str):
        # Always a string cell: a unit called "=…" or "+…" stays text, never a formula.
        sheet.write_string(row, col, value, fmt)
    else:
        sheet.write_number(row, col, value, fmt)


def _write_sheet(
    book: xlsxwriter.Workbook, formats: _Formats, table: UnitTable, heading: str, span: str
) -> None:
    sheet = book.add_worksheet(table.sheet_name)
    last_col = len(table.columns) - 1
    sheet.merge_range(0, 0, 0, last_col, f"{heading}{table.title}{table.subtitle}", formats.title)
    sheet.set_row(0, 30)
    sheet.merge_range(1, 0, 1, last_col - 1, f"统计期间：{span}", formats.caption)
    sheet.write_string(1, last_col, "单位：件", formats.unit)
    for col, column in enumerate(table.columns):
        sheet.write_string(HEADER_ROW, col, column.header, formats.header)
        sheet.set_column(col, col, column.width)
    sheet.set_row(HEADER_ROW, 32)
    for offset, values in enumerate((table.total, *table.rows), 1):
        bold = offset == 1
        for col, (value, column) in enumerate(zip(values, table.columns, strict=True)):
            fmt = formats.cells[(column.kind, bold)]
            _write_cell(sheet, HEADER_ROW + offset, col, value, column, fmt)
    note_row = HEADER_ROW + len(table.rows) + 2
    sheet.merge_range(note_row, 0, note_row, last_col, table.note, formats.note)
    sheet.set_row(note_row, 30)
    # Header stays in view while scrolling; prints landscape A4, one page wide, header repeated.
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, HEADER_ROW)
    sheet.center_horizontally()
    sheet.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    sheet.set_footer("&C第 &P 页，共 &N 页")


def write_xlsx(tables: Sequence[UnitTable], path: Path, heading: str, span: str) -> Path:
    """Write the unit tables, one sheet each; every 合计 is checked before anything is written."""
    for table in tables:
        check_totals(table)
    book = xlsxwriter.Workbook(
        str(path),
        {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    try:
        book.set_properties({"title": f"{heading}承办单位办件情况表", "author": "govdw"})
        formats = _Formats(book)
        for table in tables:
            _write_sheet(book, formats, table, heading, span)
    finally:
        book.close()
    return path
