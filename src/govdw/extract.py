"""The extractor façade: sheets of one file -> landing Arrow tables, reconciliation and a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from govdw import datasets, landing, vocab
from govdw.mapping import (
    Lineage,
    build_detail,
    candidates,
    classify,
    dataset_scores,
    hint_dataset,
    map_columns,
    missing_optional,
    missing_required,
    vocabulary_fix,
)
from govdw.read import MAX_CELL_CHARS
from govdw.reconcile import (
    detail_checks,
    metric_dataset,
    pair_stats,
    parse_period,
    reconciliation_table,
    summary_checks,
    summary_stats,
)
from govdw.tables import (
    LocatedTable,
    SheetLike,
    describe,
    exported_at_of,
    locate_tables,
    normalize_grid,
    parse_preamble,
)
from govdw.text import normalize_header

#: How many cell issues the report lists per sheet.
REPORT_ISSUES = 10
#: Rows scanned at the top and bottom of each sheet for the export time.
HEAD_SCAN = 30
TAIL_SCAN = 10


@dataclass
class FileContext:
    """What the extractor knows about the file besides its sheets."""

    rel_path: str
    sha256: str
    region_code: str
    file_modified_at: datetime
    file_name: str


@dataclass
class Extraction:
    """Everything extracted from one file."""

    dataset: str | None
    exported_at: datetime | None
    tables: dict[str, pa.Table]
    sheets_used: list[str]
    rows: int
    problems: list[str]
    report: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class ExtractionError(Exception):
    """No sheet of the file holds a table the extractor can load (the file is quarantined).

    `report` holds what was seen (sheets, header rows, column roles, refusals) for `inspect`.
    """

    def __init__(self, message: str, report: dict[str, Any] | None = None) -> None:
        """The message names the file and what to do; `report` says what was found."""
        super().__init__(message)
        self.report = report or {}


def _detail_tables() -> dict[str, str]:
    """Dataset name -> its landing table, for every dataset registered now."""
    return {ds.name: ds.table for ds in datasets.all_datasets()}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _pairs(sheet: SheetLike, norm: pa.Table) -> tuple[list[tuple[int, str, str]], list[str]]:
    """`label | value` rows whose label is a metric (a headerless summary), and the other lines."""
    metrics = vocab.summary_metrics()
    found: list[tuple[int, str, str]] = []
    other: list[str] = []
    head = norm.slice(0, 200)
    cols = [c.to_pylist() for c in head.columns]
    for i, cells in enumerate(zip(*cols, strict=True)):
        filled = [c for c in cells if c is not None]
        if len(filled) >= 2 and normalize_header(filled[0]) in metrics:
            found.append((i + sheet.first_row, filled[0], filled[1]))
        elif filled:
            other.append(" ".join(filled))
    return found, other


class _Builder:
    """Accumulates the landing tables and the report of one file."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.parts: dict[str, list[pa.Table]] = {name: [] for name in datasets.per_file_tables()}
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.refusals: list[str] = []
        self.report_sheets: list[dict[str, Any]] = []
        self.sheets_used: list[str] = []
        self.detail_datasets: list[str] = []
        self.exported_at: datetime | None = None
        self.rows = 0

    def where(self, sheet: str, row: int | None = None, column: str | None = None) -> str:
        """`file, sheet 'S', row R, column 'C'` for messages."""
        text = f"{self.ctx.rel_path}, sheet '{sheet}'"
        if row is not None:
            text += f", row {row}"
        if column is not None:
            text += f", column '{column}'"
        return text

    def add(self, name: str, table: pa.Table) -> None:
        if table.num_rows:
            self.parts[name].append(table)


def _sheet_tables(
    b: _Builder, sheet: SheetLike, lineage_base: dict[str, Any], exported_at: datetime | None
) -> dict[str, Any] | None:
    """Extract one sheet; its report entry, or None when it holds nothing recognisable."""
    norm = normalize_grid(sheet.grid)
    located = locate_tables(sheet, norm)
    entry: dict[str, Any] = {"sheet": sheet.name, "hidden": sheet.hidden, "tables": []}
    if not located:
        pairs, lines = _pairs(sheet, norm)
        if not pairs:
            return None
        texts = [*lines, sheet.name, b.ctx.file_name]
        period = parse_period(texts)
        title = lines[0] if lines else None
        subject = _pair_subject(lines) or title
        lineage = Lineage(**lineage_base, exported_at=exported_at)
        stats = pair_stats(pairs, subject, sheet.name, title, lineage, period)
        b.add("reported_stats", stats)
        b.rows += stats.num_rows
        entry["tables"].append(
            {
                "dataset": "summary",
                "layout": "label | value pairs",
                "title": title,
                "subject": subject,
                "period": _json(list(period)),
                "figures": stats.num_rows,
            }
        )
        return entry
    for table in located:
        entry["tables"].append(_one_table(b, sheet, table, lineage_base, exported_at))
    return entry


def _long_cell_issues(
    b: _Builder, sheet: SheetLike, table: LocatedTable, targets: dict[int, str]
) -> None:
    """Cells of stored columns that the reader cut to a spreadsheet cell's limit
    (`govdw.read.MAX_CELL_CHARS`) become cell issues naming file, sheet, row, column and the
    original length, and one warning per table."""
    cut: list[tuple[int, int, int]] = getattr(sheet, "long_cells", None) or []
    if not cut:
        return
    data_rows = set(table.rows.to_pylist())
    headers = {col.index: col.header for col in table.columns}
    rows: list[dict[str, Any]] = [
        {
            "sha256": b.ctx.sha256,
            "source_file": b.ctx.rel_path,
            "source_sheet": sheet.name,
            "source_row": sheet.first_row + r,
            "column_name": headers.get(c),
            "target_column": targets[c],
            "value": None,  # free text may hold personal data: the length says enough
            "problem": (
                f"text of {n:,} characters cut to the first {MAX_CELL_CHARS:,} "
                "(the most a spreadsheet cell holds)"
            ),
        }
        for r, c, n in cut
        if c in targets and sheet.first_row + r in data_rows
    ]
    if not rows:
        return
    b.add("cell_issues", pa.Table.from_pylist(rows, schema=landing.CELL_ISSUES))
    first = rows[0]
    more = f" (and {len(rows) - 1} more cell(s))" if len(rows) > 1 else ""
    b.warnings.append(
        f"{b.where(sheet.name, first['source_row'], first['column_name'])}: {first['problem']}"
        + more
    )


def _pair_subject(lines: list[str]) -> str | None:
    """The subject of a label|value table: a 全区/全县-like word from its lines."""
    for line in lines:
        for word in ("全区", "全县", "全市", "全旗", "全州", "全盟"):
            if word in line:
                return word
    return None


def _one_table(
    b: _Builder,
    sheet: SheetLike,
    table: LocatedTable,
    lineage_base: dict[str, Any],
    file_exported_at: datetime | None,
) -> dict[str, Any]:
    hint_text = " ".join([*table.titles, sheet.name, b.ctx.file_name])
    dataset = classify(table.columns, hint_text)
    info = describe(table)
    info["dataset"] = dataset
    exported_at = table.exported_at or file_exported_at
    lineage = Lineage(**lineage_base, exported_at=exported_at)
    texts = [*table.titles, *table.footnotes, sheet.name, b.ctx.file_name]
    if dataset is None:
        scores = dataset_scores(table.columns)
        closest = max(scores, key=lambda d: scores[d])
        info["note"] = "headers match no dataset well enough; table skipped"
        info["closest_dataset"] = {"dataset": closest, "roles_matched": scores[closest]}
        message = (
            f"{b.where(sheet.name, table.header_rows[0])}: a header row was found but its "
            f"columns ({', '.join(c.header for c in table.columns)}) match no dataset "
            f"(closest: {closest}, {scores[closest]} column role(s)); skipped"
        )
        b.problems.append(message)
        b.refusals.append(message)
        return info
    if dataset == "summary":
        period = parse_period(texts)
        stats, issues, metrics = summary_stats(table, lineage, period, hint_dataset(hint_text))
        checks = summary_checks(table, metrics)
        b.add("reported_stats", stats)
        b.add("cell_issues", issues)
        b.add("reconciliation", reconciliation_table(checks, lineage, sheet.name))
        b.rows += stats.num_rows
        info["column_mapping"] = {m.header: m.metric for m in metrics}
        info["metric_datasets"] = sorted({metric_dataset(m.metric, None) for m in metrics})
        info["unmapped_headers"] = [
            c.header for c in table.columns if c.index not in {m.index for m in metrics}
        ]
        info["period"] = _json(list(period))
        info["figures"] = stats.num_rows
    else:
        mapping = map_columns(table.columns, dataset, table)
        info["column_roles"] = mapping.report()
        missing = missing_required(mapping)
        if missing:
            return _refuse(b, sheet, table, mapping, missing, info)
        for why in missing_optional(mapping):
            b.warnings.append(f"{b.where(sheet.name, table.header_rows[0])}: {why}")
        detail, issues = build_detail(table, mapping, lineage)
        checks = detail_checks(table, dataset, mapping.columns)
        b.add(_detail_tables()[dataset], detail)
        b.add("cell_issues", issues)
        _long_cell_issues(b, sheet, table, dict(mapping.columns))
        b.add("reconciliation", reconciliation_table(checks, lineage, sheet.name))
        b.rows += detail.num_rows
        b.detail_datasets.append(dataset)
        info["column_mapping"] = {mapping.headers[i]: c for i, c in mapping.columns.items()}
        info["not_stored"] = mapping.not_stored
        info["unmapped_headers"] = mapping.unmapped
    info["cell_issues"] = issues.num_rows
    info["first_issues"] = issues.slice(0, REPORT_ISSUES).to_pylist()
    info["reconciliation"] = [
        {
            "row": c.row,
            "subject": c.subject,
            "metric": c.metric,
            "reported": c.reported,
            "computed": c.computed,
            "is_match": c.is_match,
        }
        for c in checks
    ]
    for c in checks:
        if not c.is_match:
            b.problems.append(
                f"{b.where(sheet.name, c.row, c.metric_label)}: reported total {c.reported:g} "
                f"but the rows add up to {c.computed:g}"
            )
    if issues.num_rows:
        first = issues.slice(0, 1).to_pylist()[0]
        b.problems.append(
            f"{b.where(sheet.name, first['source_row'], first['column_name'])}: "
            f"{issues.num_rows} cell(s) could not be read, e.g. {first['value']!r}: "
            f"{first['problem']}"
        )
    return info


def _refuse(
    b: _Builder,
    sheet: SheetLike,
    table: LocatedTable,
    mapping: Any,
    missing: list[str],
    info: dict[str, Any],
) -> dict[str, Any]:
    """Leave a table that lacks a required role out, saying what would make it load."""
    fixes: list[str] = []
    parts: list[str] = []
    for role in missing:
        found = candidates(mapping, role)
        if found:
            listed = ", ".join(f"{h} ({share:.0%})" for h, share in found)
            parts.append(f"{role}: best candidates {listed}")
            fixes.append(vocabulary_fix(mapping.dataset, role, found[0][0]))
        else:
            parts.append(f"{role}: no column looks like it")
    message = (
        f"{b.where(sheet.name, table.header_rows[0])}: reads as {mapping.dataset} records but "
        f"has no {' or '.join(missing)} column, so it is not loaded half-empty. Headers seen: "
        f"{', '.join(c.header for c in table.columns)}. {'; '.join(parts)}."
        + (
            " To fix it, add to the vocabulary file (govdw-vocab.toml): " + "; ".join(fixes)
            if fixes
            else " Re-export with that column."
        )
    )
    b.problems.append(message)
    b.refusals.append(message)
    info["refused"] = {
        "dataset": mapping.dataset,
        "roles_matched": len(mapping.columns),
        "missing_roles": missing,
        "candidates": {r: candidates(mapping, r) for r in missing},
        "vocabulary_fix": fixes,
    }
    info["unmapped_headers"] = mapping.unmapped
    return info


#: The id column of each detail dataset's landing table.
ID_COLUMNS = {
    "hotline": "source_order_id",
    "service": "source_case_id",
    "evaluation": "source_evaluation_id",
}

#: Lineage columns that differ between copies of one record on two sheets.
_POSITION = {"sha256", "source_file", "source_sheet", "source_row"}


def drop_sheet_repeats(table: pa.Table, dataset: str) -> tuple[pa.Table, str | None]:
    """Records repeated on several sheets of one file (a 汇总 sheet plus one per district, a copy
    sheet) kept once, on the first sheet that holds them; and a note saying what was dropped.

    A record is the same by its id where it has one, else by identical content. Repeats within one
    sheet are left alone: there the latest row of an id wins later (dbt), and two identical rows
    without an id can be two records.
    """
    sheets = table.column("source_sheet")
    if pc.count_distinct(sheets).as_py() < 2:
        return table, None
    content = [
        pc.cast(table.column(f.name), pa.string()) for f in table.schema if f.name not in _POSITION
    ]
    filled = [pc.fill_null(c, "\x00") for c in content]
    by_content = pc.binary_join_element_wise(*filled, "\x1f")
    ids = table.column(ID_COLUMNS[dataset])
    key = pc.if_else(pc.is_valid(ids), pc.binary_join_element_wise("id", ids, "\x1f"), by_content)
    sheet_order = pc.index_in(sheets, value_set=pc.unique(sheets))
    frame = pa.table({"key": key, "sheet": sheet_order, "row": pa.array(range(table.num_rows))})
    first = frame.group_by("key").aggregate([("sheet", "min")])
    joined = frame.join(first, "key").sort_by("row")
    keep = pc.equal(joined.column("sheet"), joined.column("sheet_min"))
    dropped = table.num_rows - pc.sum(keep).as_py()
    if not dropped:
        return table, None
    repeated_on = sorted(set(pc.filter(sheets, pc.invert(keep.combine_chunks())).to_pylist()))
    note = (
        f"{dropped} record(s) repeated on sheet(s) {', '.join(repeated_on)} were already on an "
        "earlier sheet of this file and are counted once"
    )
    return table.filter(keep), note


def extract(sheets: list[SheetLike], ctx: FileContext) -> Extraction:
    """Find, classify and map every table of a file's sheets into landing tables.

    Hidden sheets are used only when no visible sheet holds data. Raises ExtractionError when no
    sheet holds a recognisable table.
    """
    b = _Builder(ctx)
    lineage_base = {
        "sha256": ctx.sha256,
        "source_file": ctx.rel_path,
        "region_code": ctx.region_code,
        "file_modified_at": ctx.file_modified_at,
    }
    file_exported_at = _file_exported_at(sheets)
    visible = [s for s in sheets if not s.hidden]
    hidden = [s for s in sheets if s.hidden]
    used_hidden = False
    for group in (visible, hidden):
        for sheet in group:
            entry = _sheet_tables(b, sheet, lineage_base, file_exported_at)
            if entry is None:
                b.report_sheets.append(
                    {"sheet": sheet.name, "hidden": sheet.hidden, "tables": [], "note": "no table"}
                )
                continue
            b.report_sheets.append(entry)
            b.sheets_used.append(sheet.name)
        if b.sheets_used:
            used_hidden = group is hidden and bool(hidden)
            break
    seen_report = {"file": ctx.rel_path, "sheets": _json(b.report_sheets), "problems": b.problems}
    if not b.sheets_used:
        names = ", ".join(s.name for s in sheets) or "(none)"
        raise ExtractionError(
            f"{ctx.rel_path}: no table with recognisable headers in sheets {names}", seen_report
        )
    if b.rows == 0:
        # A file that yields no rows is never `loaded`: say what was seen instead.
        seen = "; ".join(b.refusals or b.problems) or "the tables found hold no data rows"
        raise ExtractionError(f"{ctx.rel_path}: nothing to load: {seen}", seen_report)
    # A table left out while others loaded is a warning the run shows, not a silent loss.
    b.warnings.extend(b.refusals)
    tables = {name: pa.concat_tables(parts) for name, parts in b.parts.items() if parts}
    for dataset_name, landing_name in _detail_tables().items():
        if landing_name in tables:
            kept, note = drop_sheet_repeats(tables[landing_name], dataset_name)
            if note:
                b.rows -= tables[landing_name].num_rows - kept.num_rows
                tables[landing_name] = kept
                b.warnings.append(f"{ctx.rel_path}: {note}")
    exported_at = file_exported_at
    if b.detail_datasets:
        dataset: str | None = max(set(b.detail_datasets), key=b.detail_datasets.count)
    elif "reported_stats" in tables:
        dataset = "summary"
    else:
        dataset = None
    report = {
        "file": ctx.rel_path,
        "dataset": dataset,
        "exported_at": _json(exported_at),
        "sheets_used": b.sheets_used,
        "used_hidden_sheets": used_hidden,
        "rows": b.rows,
        "rows_by_table": {k: v.num_rows for k, v in tables.items()},
        "sheets": _json(b.report_sheets),
        "problems": b.problems,
        "warnings": b.warnings,
    }
    if used_hidden:
        b.problems.append(
            f"{ctx.rel_path}: no visible sheet holds data; used hidden sheet(s) "
            + ", ".join(b.sheets_used)
        )
    return Extraction(
        dataset, exported_at, tables, b.sheets_used, b.rows, b.problems, report, b.warnings
    )


def _file_exported_at(sheets: list[SheetLike]) -> datetime | None:
    """The export time (导出时间) the first sheet states above or below its data, else None.

    Sheets of one export share it, so a month sheet without the line still gets the time.
    """
    for sheet in sheets:
        n = sheet.grid.num_rows
        for start in (0, max(HEAD_SCAN, n - TAIL_SCAN)):
            part = normalize_grid(sheet.grid.slice(start, HEAD_SCAN))
            cols = [c.to_pylist() for c in part.columns]
            lines = [list(r) for r in zip(*cols, strict=True)]
            _, meta, _ = parse_preamble(lines)
            found = exported_at_of(meta, [])
            if found is not None:
                return found
    return None
