"""`govdw export`: every published table, in each format, exactly as a BI tool or Excel needs it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from report_fixtures import tiny_warehouse  # tests/ is on sys.path (rootdir conftest)

from govdw.cli import cli
from govdw.reports import export as export_module
from govdw.reports.export import export_tables

PUBLISHED = [
    "audit_files",
    "audit_reconciliation",
    "dim_date",
    "dim_region",
    "fct_evaluations",
    "fct_hotline_orders",
    "fct_reported_stats",
    "fct_service_cases",
    "mart_hotline_view",
    "mart_region_comparison",
    "mart_region_month",
    "mart_region_yoy",
    "mart_unit_scorecard",
]
HIVE = pads.partitioning(
    pa.schema([("region_code", pa.string()), ("year", pa.int32())]), flavor="hive"
)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """The tiny hand-made warehouse (two regions, formula-like and zero-padded text)."""
    return tiny_warehouse(tmp_path / "wh" / "govdw.duckdb")


def _count(warehouse: Path, table: str) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(f"select count(*) from {table}").fetchone()
    finally:
        con.close()
    assert row is not None
    return int(row[0])


def test_parquet_facts_by_region_and_year_other_tables_one_file(
    warehouse: Path, tmp_path: Path
) -> None:
    """Facts as hive folders region_code=…/year=…; the rest one file each; nothing else."""
    out = tmp_path / "out"
    written = export_tables(warehouse, "parquet", out, None)
    assert all(p.is_file() and p.suffix == ".parquet" for p in written)
    singles = sorted(p.stem for p in out.glob("*.parquet"))
    assert singles == [t for t in PUBLISHED if not t.startswith("fct_")]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [
        "fct_evaluations",
        "fct_hotline_orders",
        "fct_reported_stats",
        "fct_service_cases",
    ]
    orders = sorted(
        str(p.relative_to(out / "fct_hotline_orders"))
        for p in (out / "fct_hotline_orders").rglob("*.parquet")
    )
    assert orders == [
        "region_code=640522/year=2023/part-0.parquet",
        "region_code=640522/year=__HIVE_DEFAULT_PARTITION__/part-0.parquet",  # no received_at
        "region_code=653024/year=2022/part-0.parquet",
        "region_code=653024/year=2023/part-0.parquet",
    ]
    table = pads.dataset(out / "fct_hotline_orders", partitioning=HIVE).to_table()
    assert table.num_rows == _count(warehouse, "fct_hotline_orders")
    rows = {r["order_key"]: r for r in table.to_pylist()}
    assert (rows["k1"]["region_code"], rows["k1"]["year"]) == ("653024", 2022)
    assert rows["k1"]["source_order_id"] == "00123"  # text stays text
    assert rows["k5"]["year"] is None
    assert rows["k2"]["received_at"] == dt.datetime(2023, 4, 5, 9, 30)
    # Partition columns live in the folder names only, as Hive/Spark/DuckDB readers expect.
    part = pq.read_table(out / "fct_hotline_orders" / orders[0])
    assert "region_code" not in part.column_names and "year" not in part.column_names

    dims = pq.read_table(out / "dim_region.parquet")
    assert dims.num_rows == 3 and dims.column_names[:2] == ["region_code", "region_name"]
    view = pq.read_table(out / "mart_hotline_view.parquet")
    assert sorted(view.to_pylist(), key=lambda r: r["region_code"]) == [
        {"region_code": "640522", "orders": 2},
        {"region_code": "653024", "orders": 3},
    ]
    assert not [p for p in out.rglob(".*")]  # no temp file left behind


def test_parquet_reexport_replaces_stale_partitions(warehouse: Path, tmp_path: Path) -> None:
    """A region gone from the warehouse is gone from the next export's folders too."""
    out = tmp_path / "out"
    export_tables(warehouse, "parquet", out, ["fct_hotline_orders"])
    con = duckdb.connect(str(warehouse))
    con.execute("delete from fct_hotline_orders where region_code = '640522'")
    con.close()
    written = export_tables(warehouse, "parquet", out, ["fct_hotline_orders"])
    assert len(written) == 2
    assert [p.name for p in (out / "fct_hotline_orders").iterdir()] == ["region_code=653024"]


def test_csv_utf8_bom_and_formulas_inert(warehouse: Path, tmp_path: Path) -> None:
    """UTF-8 with BOM, one file per table, every row; text a spreadsheet would run is inert."""
    out = tmp_path / "csv"
    written = export_tables(warehouse, "csv", out, None)
    assert sorted(p.stem for p in written) == PUBLISHED
    raw = (out / "fct_hotline_orders.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbforder_key,region_code,")
    with open(out / "fct_hotline_orders.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == _count(warehouse, "fct_hotline_orders")
    by_key = {r["order_key"]: r for r in rows}
    assert by_key["k1"]["content_masked"] == '\'=HYPERLINK("http://x","点我")'
    assert by_key["k2"]["content_masked"] == "'+8613800000000 已脱敏"
    assert by_key["k4"]["content_masked"] == "'-1 普通文本"
    assert by_key["k5"]["content_masked"] == "'@某人"
    assert by_key["k3"]["content_masked"] == "<script>alert(1)</script>"
    assert by_key["k1"]["source_order_id"] == "00123"
    assert by_key["k1"]["received_at"] == "2022-04-03 08:00:00"
    assert by_key["k1"]["is_closed"] == "true"
    assert by_key["k5"]["received_at"] == "" and by_key["k5"]["category"] == ""
    assert by_key["k1"]["handling_unit"] == "乌恰县住建局"


def test_xlsx_one_sheet_per_table_text_as_text_frozen_header(
    warehouse: Path, tmp_path: Path
) -> None:
    """One workbook, a sheet per table, header frozen, strings never turned into formulas."""
    [book_path] = export_tables(
        warehouse, "xlsx", tmp_path / "x", ["fct_hotline_orders", "dim_date"]
    )
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["fct_hotline_orders", "dim_date"]
    sheet = book["fct_hotline_orders"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["order_key", "region_code", "source_order_id"]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)}
    assert len(rows) == 5
    formula_cell = sheet.cell(row=2, column=header.index("content_masked") + 1)
    assert formula_cell.data_type == "s"  # text, not a formula
    assert formula_cell.value == '=HYPERLINK("http://x","点我")'
    assert rows["k1"]["source_order_id"] == "00123"
    assert rows["k1"]["received_at"] == dt.datetime(2022, 4, 3, 8, 0)
    assert rows["k1"]["is_closed"] is True
    assert rows["k1"]["handling_working_days"] == 2
    assert rows["k5"]["received_at"] is None
    assert book["dim_date"].max_row == 1 + _count(warehouse, "dim_date")


def test_xlsx_long_table_continues_on_next_sheet(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More rows than a sheet holds: the table continues on `(2)`, `(3)`; no row is lost."""
    monkeypatch.setattr(export_module, "XLSX_MAX_ROWS", 2)
    [book_path] = export_tables(warehouse, "xlsx", tmp_path / "x", ["fct_hotline_orders"])
    book = openpyxl.load_workbook(book_path, read_only=True)
    assert book.sheetnames == [
        "fct_hotline_orders",
        "fct_hotline_orders (2)",
        "fct_hotline_orders (3)",
    ]
    keys: list[str] = []
    for sheet in book.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][0] == "order_key"  # every part has the header
        assert 1 <= len(values) - 1 <= 2
        keys.extend(v[0] for v in values[1:])
    assert sorted(keys) == ["k1", "k2", "k3", "k4", "k5"]


def test_unknown_table_or_format_names_the_valid_ones(warehouse: Path, tmp_path: Path) -> None:
    """A typo is refused with the list of tables (non-published and other schemas excluded)."""
    with pytest.raises(ValueError, match="unknown table") as caught:
        export_tables(warehouse, "csv", tmp_path, ["fct_hotline_order", "dim_region"])
    message = str(caught.value)
    assert "fct_hotline_order;" in message
    assert ", ".join(PUBLISHED) in message
    for hidden in ("helper_not_published", "stg_landing__files"):
        assert hidden not in message
        with pytest.raises(ValueError):
            export_tables(warehouse, "csv", tmp_path, [hidden])
    with pytest.raises(ValueError, match="parquet, csv, xlsx"):
        export_tables(warehouse, "json", tmp_path, None)
    assert not list(tmp_path.glob("*.csv"))


def test_export_command(warehouse: Path, tmp_path: Path) -> None:
    """`govdw export csv --tables …` writes those tables; an unknown name is a clear error."""
    out = tmp_path / "cli"
    ok = CliRunner().invoke(
        cli,
        [
            "export",
            "csv",
            "--warehouse",
            str(warehouse),
            "--out",
            str(out),
            "--tables",
            "dim_region",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert [p.name for p in out.iterdir()] == ["dim_region.csv"]
    bad = CliRunner().invoke(
        cli, ["export", "csv", "--warehouse", str(warehouse), "--out", str(out), "--tables", "x"]
    )
    assert bad.exit_code != 0 and "unknown table(s): x" in bad.output


@pytest.mark.parametrize("fmt", ["parquet", "csv", "xlsx"])
def test_progress_names_each_table_with_its_rows(warehouse: Path, tmp_path: Path, fmt: str) -> None:
    """A long export says which table it is on and how many rows it holds."""
    lines: list[str] = []
    export_tables(warehouse, fmt, tmp_path, ["fct_hotline_orders", "dim_region"], lines.append)
    rows = _count(warehouse, "fct_hotline_orders")
    assert lines[0] == f"table 1/2: fct_hotline_orders ({rows:,} rows)"
    assert lines[1].startswith("table 2/2: dim_region (")
