"""`govdw report bulletin`: the 通报 of a region and a period as .docx (narrative, 附表) and .xlsx.

Reads the published warehouse only through `govdw.query.open_published`; every figure comes
from a named query in `bulletin_queries.QUERIES` (listed sentence by sentence in
docs/bulletin.md). Periods with detail orders in `fct_hotline_orders` use them; a period with
none falls back to the summary tables in `fct_reported_stats`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from govdw.query import open_published
from govdw.regions import resolve_region
from govdw.reports.bulletin_docx import write_docx
from govdw.reports.bulletin_format import Period, date_cn, parse_period
from govdw.reports.bulletin_queries import BulletinQueries, region_row
from govdw.reports.bulletin_tables import build_tables
from govdw.reports.bulletin_text import BulletinDocument, detail_document, reported_document
from govdw.reports.bulletin_xlsx import write_xlsx


def _resolve_region(con: duckdb.DuckDBPyConnection, region: str) -> tuple[str, str]:
    """(code, name) for a 6-digit code or a region name (simplified or traditional)."""
    text = region.strip()
    code = text if re.fullmatch(r"\d{6}", text) else resolve_region(text)
    found = region_row(con, code) if code else None
    if found is None:
        raise ValueError(
            f"unknown region {region!r}: give a 6-digit GB/T 2260 code (e.g. 653024) or a region "
            "name found in dim_region"
        )
    return found


def detail_note(period: Period) -> str:
    """The 附表 footnote, as the Haiyuan seed writes it."""
    return f"备注：此表统计截止于{date_cn(period.last_day)}，以交办量为统计口径。"


REPORTED_TABLE_NOTE = (
    "备注：本期工单明细未入库，此表取自各单位报送的汇总统计表，以交办量为统计口径。"
)


def build_document(
    con: duckdb.DuckDBPyConnection, code: str, name: str, period: Period
) -> BulletinDocument:
    """Query the figures of region `code` (called `name`) in `period`; put them into words."""
    q = BulletinQueries(con, code, name, period)
    summary = q.orders_summary()
    if summary.orders_received:
        units = q.unit_rows()
        tables = build_tables(name, units, q.unit_totals(), detail_note(period))
        return detail_document(
            region_name=name,
            period=period,
            summary=summary,
            prior_received=q.prior_year_received(),
            overdue_units=q.breakdown("overdue_units"),
            units=units,
            categories=q.breakdown("categories"),
            appeals=q.breakdown("appeal_types"),
            evaluations=q.evaluations(),
            tables=tables,
        )
    reported_units = q.reported_units()
    reported_region = q.reported_region()
    if not reported_units and reported_region.orders_received is None:
        raise ValueError(
            f"no hotline data for {name} ({code}) in {period.span}: neither detail orders "
            "(fct_hotline_orders) nor summary figures (fct_reported_stats) cover that period"
        )
    tables = build_tables(
        name, reported_units, None, REPORTED_TABLE_NOTE, overdue_header="超期工单数"
    )
    return reported_document(name, period, reported_region, reported_units, tables)


@contextmanager
def _staged(out_dir: Path) -> Iterator[Path]:
    """A private folder inside `out_dir` whose files are moved into place only on success."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".bulletin-", dir=out_dir))
    try:
        yield stage
    finally:
        for leftover in stage.iterdir():
            leftover.unlink()
        stage.rmdir()


def write_bulletin(warehouse: Path, region: str, period: str, out_dir: Path) -> list[Path]:
    """Write `bulletin-<code>-<period>.docx` and `…-tables.xlsx` into `out_dir`; their paths.

    Raises ValueError (with a sentence saying what to change) for a bad period, an unknown
    region, a period without data, or a 合计 that disagrees with its details.
    """
    parsed = parse_period(period)
    with open_published(Path(warehouse)) as con:
        code, name = _resolve_region(con, region)
        document = build_document(con, code, name, parsed)
    stem = f"bulletin-{code}-{parsed.code}"
    targets = [out_dir / f"{stem}.docx", out_dir / f"{stem}-tables.xlsx"]
    with _staged(out_dir) as stage:
        docx = write_docx(document, stage / targets[0].name)
        xlsx = write_xlsx(
            document.tables, stage / targets[1].name, f"{name}{parsed.label}", parsed.span
        )
        for staged, target in zip((docx, xlsx), targets, strict=True):
            os.replace(staged, target)
    return targets
