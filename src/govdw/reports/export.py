"""`govdw export parquet|csv|xlsx`: the published tables as files for BI tools and Excel.

Files are written from Python (pyarrow, csv, xlsxwriter) from record batches streamed out of the
read-only query surface: the surface forbids `COPY … TO` (external access is off), and streaming
keeps memory flat whatever the table size.

- Parquet: the fact tables as hive-style folders `<table>/region_code=…/year=…/part-0.parquet`
  (the partition columns live in the folder names, as Hive, Spark, DuckDB and pandas expect);
  every other table as one `<table>.parquet`.
- CSV: `<table>.csv`, UTF-8 with BOM so Excel opens Chinese text correctly; text that a
  spreadsheet would run as a formula is made inert (:func:`govdw.query.spreadsheet_safe`).
- xlsx: one workbook `govdw_tables.xlsx`, one sheet per table with a frozen header; text is
  written as text (never as a formula or a number); a table longer than an Excel sheet continues
  on `<table> (2)`, … so no row is dropped.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from govdw.query import open_published, spreadsheet_safe, table_names

FORMATS = ("parquet", "csv", "xlsx")
#: What analysts read (docs/contract.md §4): main-schema tables and views with these prefixes.
PUBLISHED_PREFIXES = ("fct_", "dim_", "mart_", "audit_")
#: Fact tables exported as Parquet folders by region_code and the year of this column.
FACT_YEAR_COLUMN: dict[str, str] = {
    "fct_hotline_orders": "received_at",
    "fct_service_cases": "accepted_at",
    "fct_evaluations": "evaluated_at",
    "fct_reported_stats": "period_start",
}
#: Rows per record batch pulled from DuckDB: a few MB at the widest table.
BATCH_ROWS = 50_000
#: Data rows an Excel sheet holds (1,048,576 rows minus the header row).
XLSX_MAX_ROWS = 1_048_575
#: Characters an Excel cell holds.
XLSX_MAX_CHARS = 32_767
XLSX_FILE = "govdw_tables.xlsx"


def export_tables(
    warehouse: Path,
    fmt: str,
    out_dir: Path,
    tables: list[str] | None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write `tables` (all published ones when None) of `warehouse` as `fmt` under `out_dir`.

    `progress` is told before each table: `table 3/12: fct_hotline_orders (22,266 rows)`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir).expanduser().resolve()
    with open_published(Path(warehouse)) as con:
        names = _select(published_tables(con), tables)
        out_dir.mkdir(parents=True, exist_ok=True)

        def tell(done: int, name: str) -> None:
            if progress is not None:
                rows = con.execute(f"select count(*) from main.{_quoted(name)}").fetchall()
                count = int(rows[0][0]) if rows else 0
                progress(f"table {done}/{len(names)}: {name} ({count:,} rows)")

        written: list[Path] = []
        if fmt == "xlsx":
            return [_xlsx(con, names, out_dir / XLSX_FILE, tell)]
        for done, name in enumerate(names, start=1):
            tell(done, name)
            if fmt == "parquet":
                written.extend(_parquet(con, name, out_dir))
            else:
                written.append(_csv(con, name, out_dir))
        return written


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the published tables and views (main schema, fct_/dim_/mart_/audit_)."""
    return [
        name
        for schema, name, _ in table_names(con)
        if schema == "main" and name.startswith(PUBLISHED_PREFIXES)
    ]


def _select(valid: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    if not wanted:
        return list(valid)
    unknown = [name for name in wanted if name not in valid]
    if unknown:
        raise ValueError(
            f"unknown table(s): {', '.join(unknown)}; the published tables are: {', '.join(valid)}"
        )
    return list(dict.fromkeys(wanted))


def _batches(con: duckdb.DuckDBPyConnection, sql: str) -> pa.RecordBatchReader:
    # A relation streams straight to Arrow (a DB-API result would copy every row first).
    reader: pa.RecordBatchReader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
    return reader


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------------- parquet


def _parquet(con: duckdb.DuckDBPyConnection, name: str, out_dir: Path) -> list[Path]:
    year_column = FACT_YEAR_COLUMN.get(name)
    if year_column is None or not _has_columns(con, name, ("region_code", year_column)):
        target = out_dir / f"{name}.parquet"
        reader = _batches(con, f"select * from {_quoted(name)}")
        with (
            _replacing(target) as tmp,
            pq.ParquetWriter(tmp, reader.schema, compression="zstd") as writer,
        ):
            for batch in reader:
                writer.write_batch(batch)
        return [target]

    # region_code and year leave the rows for the folder names (hive partitioning).
    reader = _batches(
        con,
        f"select * exclude (region_code), cast(region_code as varchar) as region_code, "
        f"cast(year({_quoted(year_column)}) as integer) as year from {_quoted(name)}",
    )
    target = out_dir / name
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out_dir))
    try:
        pads.write_dataset(
            reader,
            staging,
            format="parquet",
            partitioning=pads.partitioning(
                pa.schema([("region_code", pa.string()), ("year", pa.int32())]), flavor="hive"
            ),
            basename_template="part-{i}.parquet",
            file_options=pads.ParquetFileFormat().make_write_options(compression="zstd"),
            existing_data_behavior="overwrite_or_ignore",
            max_rows_per_group=BATCH_ROWS * 4,
        )
        # A previous export of this table is replaced whole: no stale region or year remains.
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(target.rglob("*.parquet"))


def _has_columns(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str]) -> bool:
    found = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'main' and table_name = ?",
            [table],
        ).fetchall()
    }
    return set(columns) <= found


# ------------------------------------------------------------------------------------- csv


def _csv(con: duckdb.DuckDBPyConnection, name: str, out_dir: Path) -> Path:
    target = out_dir / f"{name}.csv"
    reader = _batches(con, f"select * from {_quoted(name)}")
    # utf-8-sig writes the BOM Excel needs to read UTF-8; newline="" lets csv write \r\n.
    with _replacing(target) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(reader.schema.names)
        for row in _rows(reader):
            writer.writerow([_csv_cell(value) for value in row])
    return target


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | dict):
        return spreadsheet_safe(str(value))
    return spreadsheet_safe(value)


def _rows(reader: pa.RecordBatchReader) -> Iterator[tuple[Any, ...]]:
    for batch in reader:
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


# ------------------------------------------------------------------------------------ xlsx


def _xlsx(
    con: duckdb.DuckDBPyConnection,
    names: Sequence[str],
    target: Path,
    tell: Callable[[int, str], None],
) -> Path:
    import xlsxwriter

    with _replacing(target) as tmp:
        # constant_memory: rows are flushed as written, so a million-row table stays small in
        # memory; nan_inf_to_errors/remove_timezone: never refuse a value, write what Excel can.
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                "constant_memory": True,
                "nan_inf_to_errors": True,
                "remove_timezone": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        formats = {
            "header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        }
        used: set[str] = set()
        for done, name in enumerate(names, start=1):
            tell(done, name)
            _xlsx_table(con, workbook, formats, name, used)
        workbook.close()
    return target


def _xlsx_table(
    con: duckdb.DuckDBPyConnection,
    workbook: Any,
    formats: dict[str, Any],
    name: str,
    used: set[str],
) -> None:
    reader = _batches(con, f"select * from {_quoted(name)}")
    headers = reader.schema.names
    sheet = _new_sheet(workbook, formats, name, 1, headers, used)
    part, row_no, truncated = 1, 0, 0
    for row in _rows(reader):
        if row_no == XLSX_MAX_ROWS:
            # A full sheet continues on the next one: Excel would drop these rows otherwise.
            _finish_sheet(sheet, row_no, headers)
            part, row_no = part + 1, 0
            sheet = _new_sheet(workbook, formats, name, part, headers, used)
        row_no += 1
        for col, value in enumerate(row):
            truncated += _xlsx_cell(sheet, formats, row_no, col, value)
    _finish_sheet(sheet, row_no, headers)
    if truncated:
        warnings.warn(
            f"{name}: {truncated} text cell(s) longer than Excel's {XLSX_MAX_CHARS} characters "
            "were cut in the xlsx; the CSV and Parquet exports hold them whole",
            stacklevel=2,
        )


def _new_sheet(
    workbook: Any,
    formats: dict[str, Any],
    name: str,
    part: int,
    headers: Sequence[str],
    used: set[str],
) -> Any:
    # Excel sheet names: at most 31 characters, unique (case-insensitively).
    title = name[:31] if part == 1 else f"{name[:25]} ({part})"
    while title.lower() in used:
        title = f"{title[:28]}~{len(used)}"[:31]
    used.add(title.lower())
    sheet = workbook.add_worksheet(title)
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, formats["header"])
        sheet.set_column(col, col, min(40, max(10, len(header) + 2)))
    sheet.freeze_panes(1, 0)
    return sheet


def _finish_sheet(sheet: Any, rows: int, headers: Sequence[str]) -> None:
    if headers:
        sheet.autofilter(0, 0, max(rows, 1), len(headers) - 1)


def _xlsx_cell(sheet: Any, formats: dict[str, Any], row: int, col: int, value: Any) -> int:
    """Write one value with its own type; 1 when text had to be cut to fit a cell."""
    if value is None:
        return 0
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float | decimal.Decimal):
        sheet.write_number(row, col, float(value))
    elif isinstance(value, dt.datetime):
        sheet.write_datetime(row, col, value, formats["datetime"])
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, value, formats["date"])
    else:
        text = value if isinstance(value, str) else str(value)
        if len(text) > XLSX_MAX_CHARS:
            sheet.write_string(row, col, text[: XLSX_MAX_CHARS - 1] + "…")
            return 1
        # write_string: text stays text (a leading '=' is not a formula, '00123' not a number).
        sheet.write_string(row, col, text)
    return 0


# ---------------------------------------------------------------------------------- files


@contextlib.contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A temp path next to `target` that replaces it on success and disappears on failure."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
