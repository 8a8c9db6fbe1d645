"""A tiny hand-made landing database that exercises every rule of the dbt models.

The rows are chosen so each mart figure has one exact, hand-computed answer (see the comments and
`tests/integration/test_dbt_build.py`). Tables are built from the Arrow schemas of
`govdw.landing`, so a schema change there shows up here as a failure, not silent drift.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from govdw import datasets

WUQIA = "653024"  # 乌恰县 (Wuqia county)
HAIYUAN = "640522"  # 海原县 (Haiyuan county)

# Two exports of the same 乌恰县 orders. The later export (导出时间 2023-05-05) must win although
# its file name sorts first and its file modification time is older.
APRIL_FILE = f"{WUQIA}/b_april.xlsx"
MAY_FILE = f"{WUQIA}/a_may.xlsx"
OLD_FILE = f"{WUQIA}/2022.xlsx"
HAIYUAN_FILE = f"{HAIYUAN}/orders.xlsx"
CASES_FILE = f"{WUQIA}/cases.xlsx"
EVAL_FILE_1 = f"{WUQIA}/eval1.xlsx"
EVAL_FILE_2 = f"{WUQIA}/eval2.xlsx"
SUMMARY_FILE = f"{HAIYUAN}/summary.xlsx"

_FILE_META: dict[str, tuple[dt.datetime | None, dt.datetime]] = {
    # file -> (exported_at, file_modified_at)
    APRIL_FILE: (dt.datetime(2023, 4, 30, 18), dt.datetime(2023, 6, 1)),
    MAY_FILE: (dt.datetime(2023, 5, 5, 9), dt.datetime(2023, 5, 6)),
    OLD_FILE: (None, dt.datetime(2022, 12, 31)),
    HAIYUAN_FILE: (dt.datetime(2023, 5, 1), dt.datetime(2023, 5, 1)),
    CASES_FILE: (dt.datetime(2023, 10, 10, 12), dt.datetime(2023, 10, 10, 12)),
    EVAL_FILE_1: (dt.datetime(2023, 5, 1), dt.datetime(2023, 5, 1)),
    EVAL_FILE_2: (dt.datetime(2023, 5, 2), dt.datetime(2023, 5, 2)),
    SUMMARY_FILE: (None, dt.datetime(2018, 1, 5)),
}


def _ts(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _lineage(source_file: str, row: int, region: str | None = None) -> dict[str, Any]:
    exported_at, modified_at = _FILE_META[source_file]
    return {
        "sha256": f"sha-{source_file}",
        "source_file": source_file,
        "source_sheet": "Sheet1",
        "source_row": row,
        "region_code": region or source_file.split("/")[0],
        "exported_at": exported_at,
        "file_modified_at": modified_at,
    }


def _order(source_file: str, row: int, order_id: str | None, **values: Any) -> dict[str, Any]:
    record = _lineage(source_file, row)
    record["source_order_id"] = order_id
    for column in ("received_at", "dispatched_at", "accepted_at", "due_at", "closed_at"):
        record[column] = _ts(values.pop(column, None))
    record.update(values)
    return record


def hotline_orders() -> list[dict[str, Any]]:
    """Orders: 乌恰县 2023-04 (3 orders, one in two exports), 2022-04 (2), 海原县 2023-04 (1)."""
    a1_common = {
        "received_at": "2023-04-03 08:00",
        "dispatched_at": "2023-04-03 09:00",
        "accepted_at": "2023-04-03 10:00",  # signed for within 24 h: timely
        "due_at": "2023-04-10 18:00",
        "handling_unit": "乌恰县住建局",
        "appeal_type": "投诉",
        "category": "住房保障",
        "channel": "电话",
        "admin_level": "下级",
    }
    return [
        # A1 in the April export: still open.
        _order(APRIL_FILE, 2, "A1", status="办理中", **a1_common),
        # A1 in the May export: closed Friday 2023-04-07; 04-05 is 清明 (Qingming), so
        # handling took 3 working days (04-04, 04-06, 04-07).
        _order(
            MAY_FILE,
            2,
            "A1",
            status="已办结",
            closed_at="2023-04-07 16:00",
            satisfaction_label="满意",
            **a1_common,
        ),
        # A2: signed for 48 h after dispatch (late), still open when exported 05-05 > due 04-10.
        _order(
            MAY_FILE,
            3,
            "A2",
            received_at="2023-04-02 10:00",
            dispatched_at="2023-04-02 11:00",
            accepted_at="2023-04-04 11:00",
            due_at="2023-04-10 18:00",
            handling_unit="乌恰县住建局",
            appeal_type="求助",
            category="住房保障",
            channel="网站",
            admin_level="下级",
            status="办理中",
        ),
        # A3: handled by the hotline itself (本级), closed at once.
        _order(
            MAY_FILE,
            4,
            "A3",
            received_at="2023-04-20 10:00",
            closed_at="2023-04-20 10:30",
            handling_unit="12345热线",
            appeal_type="咨询",
            category="公共服务",
            admin_level="本级",
            status="已办结",
        ),
        # 2022-04: an order without an id (keyed by its position) and one closed late.
        _order(
            OLD_FILE,
            2,
            None,
            received_at="2022-04-10 09:00",
            dispatched_at="2022-04-10 10:00",
            accepted_at="2022-04-10 11:00",
            closed_at="2022-04-12 09:00",
            handling_unit="乌恰县住建局",
            appeal_type="求助",
            admin_level="下级",
            status="已办结",
        ),
        _order(
            OLD_FILE,
            3,
            "A6",
            received_at="2022-04-11 09:00",
            dispatched_at="2022-04-11 10:00",
            accepted_at="2022-04-11 12:00",
            due_at="2022-04-15 18:00",
            closed_at="2022-04-20 09:00",
            handling_unit="乌恰县医疗保障局",
            appeal_type="投诉",
            admin_level="下级",
            status="已办结",
        ),
        # 海原县 2023-04: one order, for the region comparison.
        _order(
            HAIYUAN_FILE,
            2,
            "H1",
            received_at="2023-04-15 09:00",
            admin_level="下级",
            handling_unit="海原县民政局",
            appeal_type="建议",
            status="待签收",
        ),
    ]


def _case(row: int, case_id: str, promised: int, completed: str | None, status: str) -> dict:
    record = _lineage(CASES_FILE, row)
    record.update(
        source_case_id=case_id,
        item_name="营业执照办理",
        department="乌恰县市场监督管理局",
        # Thursday before the 2023 中秋/国庆 (Mid-Autumn/National Day) golden week: 09-29..10-06
        # are holidays, Saturday 10-07 and Sunday 10-08 are make-up workdays (调休).
        accepted_at=dt.datetime(2023, 9, 28, 10),
        completed_at=_ts(completed),
        promised_working_days=promised,
        status=status,
        channel="窗口",
    )
    return record


def service_cases() -> list[dict[str, Any]]:
    """Cases accepted 2023-09-28 whose deadlines cross the golden week; exported 2023-10-10."""
    return [
        _case(2, "C1", 3, "2023-10-09 15:00", "已办结"),  # due 10-09: on time
        _case(3, "C2", 3, "2023-10-10 09:00", "已办结"),  # due 10-09: late
        _case(4, "C3", 5, None, "办理中"),  # due 10-11: open, not yet late at export
        _case(5, "C4", 1, None, "办理中"),  # due 10-07 (a Saturday workday): open and late
    ]


_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}


def _evaluation(source_file: str, row: int, eval_id: str | None, rating: int) -> dict:
    record = _lineage(source_file, row)
    record.update(
        source_evaluation_id=eval_id,
        evaluated_at=dt.datetime(2023, 4, 10 + row),
        channel="移动端",
        item_name="社保卡补办",
        department="乌恰县人力资源和社会保障局",
        admin_level="区县级",
        rating=rating,
        rating_label=_LABELS[rating],
        comment_masked=None,
    )
    return record


def evaluations() -> list[dict[str, Any]]:
    """Six distinct 2023-04 evaluations (E1 is exported twice): 5,5,4,3,2,1."""
    return [
        _evaluation(EVAL_FILE_1, 2, "E1", 5),
        _evaluation(EVAL_FILE_1, 3, "E2", 5),
        _evaluation(EVAL_FILE_1, 4, "E3", 4),
        _evaluation(EVAL_FILE_2, 2, "E1", 5),  # the same evaluation again: counts once
        _evaluation(EVAL_FILE_2, 3, "E4", 3),
        _evaluation(EVAL_FILE_2, 4, None, 2),  # no id: keyed by file, sheet and row
        _evaluation(EVAL_FILE_2, 5, "E5", 1),
    ]


def reported_stats() -> list[dict[str, Any]]:
    """Two figures of a 海原县 summary table."""
    base = {
        "dataset": "hotline",
        "table_title": "海原县12345热线工单办理情况",
        "period_start": dt.date(2017, 10, 27),
        "period_end": dt.date(2017, 12, 31),
    }
    return [
        {
            **_lineage(SUMMARY_FILE, 4),
            **base,
            "subject": "县民政局",
            "metric": "orders_assigned",
            "metric_label": "承办量",
            "value": 208.0,
        },
        {
            **_lineage(SUMMARY_FILE, 4),
            **base,
            "subject": "县民政局",
            "metric": "close_rate",
            "metric_label": "办结率",
            "value": 0.8865,
        },
    ]


def reconciliation() -> list[dict[str, Any]]:
    """A mismatching column total found in the source (206 reported, 208 computed) and a match."""
    base = {"sha256": f"sha-{SUMMARY_FILE}", "source_file": SUMMARY_FILE, "source_sheet": "Sheet1"}
    return [
        {
            **base,
            "source_row": 30,
            "region_code": HAIYUAN,
            "subject": None,
            "metric": "orders_assigned",
            "metric_label": "承办量",
            "reported_total": 206.0,
            "computed_total": 208.0,
            "is_match": False,
        },
        {
            **base,
            "source_row": 30,
            "region_code": HAIYUAN,
            "subject": None,
            "metric": "orders_closed",
            "metric_label": "办结量",
            "reported_total": 180.0,
            "computed_total": 180.0,
            "is_match": True,
        },
    ]


def cell_issues() -> list[dict[str, Any]]:
    """One unparseable date."""
    return [
        {
            "sha256": f"sha-{MAY_FILE}",
            "source_file": MAY_FILE,
            "source_sheet": "Sheet1",
            "source_row": 3,
            "column_name": "办结时间",
            "target_column": "closed_at",
            "value": "四月底",
            "problem": "not a date or time",
        }
    ]


def files() -> list[dict[str, Any]]:
    """Every file above as loaded, plus a duplicate and a quarantined file."""
    datasets = {
        APRIL_FILE: ("hotline", 1),
        MAY_FILE: ("hotline", 3),
        OLD_FILE: ("hotline", 2),
        HAIYUAN_FILE: ("hotline", 1),
        CASES_FILE: ("service", 4),
        EVAL_FILE_1: ("evaluation", 3),
        EVAL_FILE_2: ("evaluation", 4),
        SUMMARY_FILE: ("summary", 2),
    }
    loaded_at = dt.datetime(2024, 1, 1, 12)
    rows: list[dict[str, Any]] = []
    for path, (dataset, count) in datasets.items():
        exported_at, modified_at = _FILE_META[path]
        rows.append(
            {
                "file_path": path,
                "sha256": f"sha-{path}",
                "size_bytes": 1000,
                "region_code": path.split("/")[0],
                "dataset": dataset,
                "status": "loaded",
                "rows": count,
                "error": None,
                "duplicate_of": None,
                "loaded_at": loaded_at,
                "file_modified_at": modified_at,
                "file_kind": "xlsx",
                "sheets": "Sheet1",
                "exported_at": exported_at,
            }
        )
    rows.append(
        {
            **rows[0],
            "file_path": f"{WUQIA}/copy of b_april.xlsx",
            "status": "duplicate",
            "rows": 0,
            "duplicate_of": APRIL_FILE,
        }
    )
    rows.append(
        {
            **rows[0],
            "file_path": f"{WUQIA}/broken.xlsx",
            "sha256": "sha-broken",
            "dataset": None,
            "status": "quarantined",
            "rows": 0,
            "error": f"{WUQIA}/broken.xlsx: not a readable workbook (zip is truncated)",
            "file_kind": None,
            "sheets": None,
        }
    )
    return rows


ROWS = {
    "hotline_orders": hotline_orders,
    "service_cases": service_cases,
    "evaluations": evaluations,
    "reported_stats": reported_stats,
    "reconciliation": reconciliation,
    "cell_issues": cell_issues,
    "files": files,
}


def build_landing_db(path: Path) -> None:
    """Write every landing table of `govdw.landing` with the rows above into `path`.

    The tables are created by the loader's own `ensure_schema`, so dbt sees exactly the DDL the
    pipeline writes; without a loader the Arrow schemas define them.
    """
    try:
        from govdw.load import ensure_schema
    except ImportError:  # the loader is optional for this fixture
        ensure_schema = None  # type: ignore[assignment]
    con = duckdb.connect(str(path))
    try:
        if ensure_schema is not None:
            ensure_schema(con)
        con.execute("create schema if not exists landing")
        for name, schema in datasets.landing_tables().items():
            arrow = pa.Table.from_pylist(ROWS[name](), schema=schema)
            con.register("incoming", arrow)
            if ensure_schema is not None:
                con.execute(f"insert into landing.{name} by name select * from incoming")
            else:
                con.execute(f"create table landing.{name} as select * from incoming")
            con.unregister("incoming")
    finally:
        con.close()


# --- Changing the landing database the way the ingester does (incremental dbt builds) ---------


def reexport(
    row: dict[str, Any], source_file: str, source_row: int, **values: Any
) -> dict[str, Any]:
    """A copy of a fixture row as written by another export `source_file`, with `values` changed.

    `load_file` sets the lineage that comes from the file itself (hash, export time, mtime).
    """
    return {
        **row,
        **values,
        "source_file": source_file,
        "source_row": source_row,
        "region_code": source_file.split("/")[0],
    }


def load_file(
    path: Path,
    rel_path: str,
    tables: dict[str, list[dict[str, Any]]],
    *,
    dataset: str,
    exported_at: dt.datetime,
    modified_at: dt.datetime,
) -> str:
    """(Re)load one file through the ingester's own writer, `govdw.load.write_result`.

    Like a real load: the file's rows in every landing table and its landing.files row (with a
    new loaded_at) are replaced in one transaction. Returns the file's (made-up) sha256.
    """
    from govdw.load import write_result
    from govdw.types import FileEntry, ParseResult

    sha = f"sha-{rel_path}-{exported_at:%Y%m%d%H%M%S}"
    lineage = {"sha256": sha, "exported_at": exported_at, "file_modified_at": modified_at}
    arrow = {
        name: pa.Table.from_pylist(
            [{**row, **lineage} for row in rows], schema=datasets.landing_tables()[name]
        )
        for name, rows in tables.items()
    }
    region = rel_path.split("/")[0]
    entry = FileEntry(Path("/raw") / rel_path, rel_path, 1000, modified_at, sha, region, None)
    result = ParseResult(
        rel_path=rel_path,
        sha256=sha,
        status="loaded",
        dataset=dataset,
        file_kind="xlsx",
        exported_at=exported_at,
        tables=arrow,
        sheets=["Sheet1"],
        rows=sum(len(rows) for rows in tables.values()),
    )
    con = duckdb.connect(str(path))
    try:
        write_result(con, entry, result)
    finally:
        con.close()
    return sha


def forget_files(path: Path, rel_paths: set[str]) -> list[str]:
    """Files deleted from raw/: `govdw.load.forget_missing` drops their rows and files rows."""
    from govdw.load import forget_missing

    con = duckdb.connect(str(path))
    try:
        known = {row[0] for row in con.execute("select file_path from landing.files").fetchall()}
        return forget_missing(con, known - rel_paths)
    finally:
        con.close()
