"""Arrow schemas of the landing tables every dataset shares, and the lineage columns that start
each detail table. The detail tables' own schemas live in the dataset registry
(`govdw.datasets`), which lists every landing table (`datasets.landing_tables()`)."""

from __future__ import annotations

import pyarrow as pa

#: Lineage columns that start every row-level landing table.
LINEAGE = [
    pa.field("sha256", pa.string()),
    pa.field("source_file", pa.string()),
    pa.field("source_sheet", pa.string()),
    pa.field("source_row", pa.int32()),
    pa.field("region_code", pa.string()),
    pa.field("exported_at", pa.timestamp("us")),
    pa.field("file_modified_at", pa.timestamp("us")),
]
LINEAGE_NAMES = tuple(f.name for f in LINEAGE)

_TS = pa.timestamp("us")

REPORTED_STATS = pa.schema(
    [
        *LINEAGE,
        pa.field("dataset", pa.string()),
        pa.field("table_title", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("metric_label", pa.string()),
        pa.field("value", pa.float64()),
        pa.field("period_start", pa.date32()),
        pa.field("period_end", pa.date32()),
    ]
)

RECONCILIATION = pa.schema(
    [
        pa.field("sha256", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_sheet", pa.string()),
        pa.field("source_row", pa.int32()),
        pa.field("region_code", pa.string()),
        pa.field("subject", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("metric_label", pa.string()),
        pa.field("reported_total", pa.float64()),
        pa.field("computed_total", pa.float64()),
        pa.field("is_match", pa.bool_()),
    ]
)

CELL_ISSUES = pa.schema(
    [
        pa.field("sha256", pa.string()),
        pa.field("source_file", pa.string()),
        pa.field("source_sheet", pa.string()),
        pa.field("source_row", pa.int32()),
        pa.field("column_name", pa.string()),
        pa.field("target_column", pa.string()),
        pa.field("value", pa.string()),
        pa.field("problem", pa.string()),
    ]
)

FILES = pa.schema(
    [
        pa.field("file_path", pa.string()),
        pa.field("sha256", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("region_code", pa.string()),
        pa.field("dataset", pa.string()),
        pa.field("status", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("error", pa.string()),
        pa.field("duplicate_of", pa.string()),
        pa.field("loaded_at", _TS),
        pa.field("file_modified_at", _TS),
        pa.field("file_kind", pa.string()),
        pa.field("sheets", pa.string()),
        pa.field("exported_at", _TS),
        # Newline-separated warnings of the run that recorded the file: missing optional columns,
        # records repeated on several sheets, a newer export with fewer records, …
        pa.field("warnings", pa.string()),
    ]
)

#: The landing tables every dataset shares (after the detail tables of `govdw.datasets`, which
#: holds each detail dataset's schema): table -> schema, in load order.
SHARED_TABLES: dict[str, pa.Schema] = {
    "reported_stats": REPORTED_STATS,
    "reconciliation": RECONCILIATION,
    "cell_issues": CELL_ISSUES,
    "files": FILES,
}
