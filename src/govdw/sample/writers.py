"""File writers: one neutral sheet description, written as xlsx, legacy xls, CSV or HTML."""

from __future__ import annotations

import csv
import html
import io
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter
import xlwt

#: Workbook creation time stamped into every xlsx so the bytes are reproducible.
FIXED_CREATED = datetime(2024, 6, 1, 8, 0, 0)
#: xlwt cannot hold more rows than this on one sheet.
XLS_MAX_ROWS = 65_535

Cell = Any  # str | int | float | datetime | None


@dataclass
class Sheet:
    """A sheet as rows of cells; merges are (first_row, first_col, last_row, last_col), 0-based."""

    name: str
    rows: list[list[Cell]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    date_format: str = "yyyy-mm-dd hh:mm"


def _merge_starts(sheet: Sheet) -> dict[int, list[tuple[int, int, int, int]]]:
    starts: dict[int, list[tuple[int, int, int, int]]] = {}
    for merge in sheet.merges:
        starts.setdefault(merge[0], []).append(merge)
    return starts


def _covered(sheet: Sheet) -> set[tuple[int, int]]:
    return {
        (r, c)
        for r1, c1, r2, c2 in sheet.merges
        for r in range(r1, r2 + 1)
        for c in range(c1, c2 + 1)
        if (r, c) != (r1, c1)
    }


def xlsx_bytes(sheets: list[Sheet], *, big: bool = False) -> bytes:
    """An xlsx workbook. `big` asks for xlsxwriter's constant-memory mode, which its in-memory
    mode turns off: it changes nothing (that mode writes inline strings, other bytes)."""
    buffer = io.BytesIO()
    options = {"in_memory": True, "constant_memory": big, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(buffer, options)
    workbook.set_properties({"created": FIXED_CREATED, "author": "govdw sample"})
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet.name)
        date_fmt = workbook.add_format({"num_format": sheet.date_format})
        bold = workbook.add_format({"bold": True, "align": "center", "valign": "vcenter"})
        starts = _merge_starts(sheet)
        # Cells a merge writes (its origin) or hides; the rows that have any.
        merged = _covered(sheet) | {(m[0], m[1]) for m in sheet.merges}
        merged_rows = {r for r, _ in merged}
        # Cells are written in the same order as ever: the order fixes the shared-string indexes.
        write_string = worksheet.write_string
        for r, row in enumerate(sheet.rows):
            for r1, c1, r2, c2 in starts.get(r, []):
                worksheet.merge_range(r1, c1, r2, c2, sheet.rows[r1][c1], bold)
            in_merge = r in merged_rows
            for c, value in enumerate(row):
                if value is None or (in_merge and (r, c) in merged):
                    continue
                if type(value) is str:  # most cells: the last branch below, taken first
                    write_string(r, c, value)
                elif isinstance(value, datetime):
                    worksheet.write_datetime(r, c, value, date_fmt)
                elif isinstance(value, bool):
                    worksheet.write_boolean(r, c, value)
                elif isinstance(value, int | float):
                    worksheet.write_number(r, c, value)
                else:
                    worksheet.write_string(r, c, str(value))
        if sheet.hidden:
            worksheet.hide()
    workbook.close()
    return buffer.getvalue()


def xls_bytes(sheets: list[Sheet]) -> bytes:
    """A legacy BIFF8 .xls workbook (xlwt); callers split sheets above XLS_MAX_ROWS."""
    workbook = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    for sheet in sheets:
        if len(sheet.rows) > XLS_MAX_ROWS:
            raise ValueError(f"sheet {sheet.name} has {len(sheet.rows)} rows, over the .xls limit")
        worksheet = workbook.add_sheet(sheet.name)
        covered = _covered(sheet)
        for r1, c1, r2, c2 in sheet.merges:
            worksheet.write_merge(r1, r2, c1, c2, sheet.rows[r1][c1])
        origins = {(m[0], m[1]) for m in sheet.merges}
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                if value is None or (r, c) in covered or (r, c) in origins:
                    continue
                if isinstance(value, datetime):
                    worksheet.write(r, c, value, date_style)
                else:
                    worksheet.write(r, c, value)
        if sheet.hidden:
            worksheet.visibility = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Cell]], encoding: str) -> bytes:
    """CSV text in `encoding` ('gbk', 'utf-8-sig', 'utf-8'); cells are text or numbers."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return text.getvalue().encode(encoding)


def html_bytes(title: str, rows: list[list[Cell]]) -> bytes:
    """An HTML page holding one <table>: what some systems save under an .xls name."""
    out = [
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        f"<title>{html.escape(title)}</title></head><body><table border='1'>",
    ]
    for row in rows:
        cells = "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</table></body></html>")
    return "\n".join(out).encode("utf-8")


def write_file(path: Path, data: bytes, mtime: datetime) -> int:
    """Write bytes (creating folders) and stamp the mtime; returns the size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    stamp = mtime.timestamp()
    os.utime(path, (stamp, stamp))
    return len(data)
