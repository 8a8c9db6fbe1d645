"""What a published warehouse holds, in the figures `govdw run` ends with: file statuses, fact
rows, reconciliation mismatches, quarantined files and file warnings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from govdw import datasets


@dataclass(frozen=True)
class PublishedSummary:
    """Figures read from a published warehouse (see `published_summary`)."""

    #: audit_files status -> number of files (loaded, duplicate, quarantined, ...).
    statuses: dict[str, int]
    #: fact table -> rows, in the registry's order.
    rows: dict[str, int]
    #: audit_reconciliation rows whose reported and computed totals differ.
    mismatches: int
    #: (file_path, error) of each quarantined file, by path.
    quarantined: list[tuple[str, str | None]]
    #: (file_path, warnings) of each file loaded with warnings, by path.
    warnings: list[tuple[str, str]]


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0


def published_summary(warehouse: Path) -> PublishedSummary:
    """Read the summary from the published warehouse (read-only; changes nothing). The fact
    tables are the registry's (`datasets.fact_sources`)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        by_status = "select status, count(*) from audit_files group by 1"
        statuses = dict(con.execute(by_status).fetchall())
        rows = {t: _scalar(con, f"select count(*) from {t}") for t in datasets.fact_sources()}
        mismatches = _scalar(con, "select count(*) from audit_reconciliation where not is_match")
        quarantined = con.execute(
            "select file_path, error from audit_files where status = 'quarantined' order by 1"
        ).fetchall()
        try:
            warnings = con.execute(
                "select file_path, warnings from audit_files "
                "where warnings is not null and warnings <> '' order by 1"
            ).fetchall()
        except duckdb.Error:  # a warehouse published before audit_files had warnings
            warnings = []
    finally:
        con.close()
    return PublishedSummary(
        statuses=statuses,
        rows=rows,
        mismatches=mismatches,
        quarantined=[(str(path), error) for path, error in quarantined],
        warnings=[(str(path), str(text)) for path, text in warnings],
    )
