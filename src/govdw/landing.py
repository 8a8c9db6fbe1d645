"""Arrow schemas of the landing tables: shared by ingester, loader and dbt."""

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

_TS = pa.timestamp("us")

HOTLINE_ORDERS = pa.schema(
    [
        *LINEAGE,
        pa.field("source_order_id", pa.string()),
        pa.field("received_at", _TS),
        pa.field("dispatched_at", _TS),
        pa.field("accepted_at", _TS),
        pa.field("due_at", _TS),
        pa.field("closed_at", _TS),
        pa.field("handling_unit", pa.string()),
        pa.field("appeal_type", pa.string()),
        pa.field("category", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("admin_level", pa.string()),
        pa.field("status", pa.string()),
        pa.field("satisfaction_label", pa.string()),
        pa.field("is_redone", pa.bool_()),
        pa.field("supervised_count", pa.int32()),
        pa.field("content_masked", pa.string()),
        pa.field("caller_key", pa.string()),
    ]
)

SERVICE_CASES = pa.schema(
    [
        *LINEAGE,
        pa.field("source_case_id", pa.string()),
        pa.field("item_name", pa.string()),
        pa.field("department", pa.string()),
        pa.field("accepted_at", _TS),
        pa.field("completed_at", _TS),
        pa.field("promised_working_days", pa.int32()),
        pa.field("status", pa.string()),
        pa.field("channel", pa.string()),
        pa.field("applicant_key", pa.string()),
    ]
)

EVALUATIONS = pa.schema(
    [
        *LINEAGE,
        pa.field("source_evaluation_id", pa.string()),
        pa.field("evaluated_at", _TS),
        pa.field("channel", pa.string()),
        pa.field("item_name", pa.string()),
        pa.field("department", pa.string()),
        pa.field("admin_level", pa.string()),
        pa.field("rating", pa.int8()),
        pa.field("rating_label", pa.string()),
        pa.field("comment_masked", pa.string()),
    ]
)

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

#: Landing table name (in schema `landing`) -> schema. Order is load order.
TABLES: dict[str, pa.Schema] = {
    "hotline_orders": HOTLINE_ORDERS,
    "service_cases": SERVICE_CASES,
    "evaluations": EVALUATIONS,
    "reported_stats": REPORTED_STATS,
    "reconciliation": RECONCILIATION,
    "cell_issues": CELL_ISSUES,
    "files": FILES,
}

#: Tables whose rows belong to one source file (replaced as a whole when the file is reloaded).
PER_FILE_TABLES = [name for name in TABLES if name != "files"]

#: Detail datasets: landing table -> dataset name used in audit_files and fct_reported_stats.
DATASET_OF_TABLE = {
    "hotline_orders": "hotline",
    "service_cases": "service",
    "evaluations": "evaluation",
}


def empty_table(name: str) -> pa.Table:
    """An empty Arrow table with the landing schema `name`."""
    return TABLES[name].empty_table()
