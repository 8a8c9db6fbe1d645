"""Summary tables -> long `reported_stats` rows, and totals checks -> `reconciliation` rows.

Also the report period (统计期) read from titles, footnotes and file names.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from govdw import datasets, landing, roles, values, vocab
from govdw.mapping import Lineage, constant, lineage_columns, match_metric, subject_column
from govdw.tables import Column, LocatedTable
from govdw.text import normalize_header, normalize_text

#: Relative tolerance for count totals (floating sums of integers are exact; this is for 万 units).
COUNT_TOLERANCE = 1e-6

_RATE_METRICS = {"receipt_rate", "close_rate", "satisfaction_rate", "very_satisfied_rate"}
#: Rate metric -> (numerator metrics, denominator metric) to recompute it from a table's counts.
RATE_PARTS: dict[str, tuple[tuple[str, ...], str]] = {
    "close_rate": (("orders_closed",), "orders_assigned"),
    "receipt_rate": (("orders_received_timely",), "orders_assigned"),
    "satisfaction_rate": (
        ("evaluations_very_satisfied", "evaluations_satisfied", "evaluations_basic"),
        "evaluations_total",
    ),
    "very_satisfied_rate": (("evaluations_very_satisfied",), "evaluations_total"),
}
_CASES_CLOSE = (("cases_completed",), "cases_accepted")
_RATING_PARTS = (
    "evaluations_very_satisfied",
    "evaluations_satisfied",
    "evaluations_basic",
    "evaluations_dissatisfied",
    "evaluations_very_dissatisfied",
)


# --- periods ---------------------------------------------------------------------------------

_Y = r"((?:19|20)\d{2})\s*年"
_M = r"(\d{1,2})\s*月"
_D = r"(\d{1,2})\s*日"
_SEP = r"\s*(?:至|到|-|—|~|～|－)\s*"
_PERIOD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ymd_ymd", re.compile(_Y + _M + _D + _SEP + _Y + _M + _D)),
    ("ymd_md", re.compile(_Y + _M + _D + _SEP + _M + _D)),
    ("iso_iso", re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _SEP + r"(\d{4})-(\d{1,2})-(\d{1,2})")),
    ("ym_m", re.compile(_Y + r"(\d{1,2})\s*(?:月)?" + _SEP + _M)),
    ("quarter", re.compile(_Y + r"第?\s*([一二三四1-4])\s*季度")),
    ("half", re.compile(_Y + r"(上|下)半年")),
    ("until", re.compile(r"截[止至]\s*(?:于|到)?\s*" + _Y + _M + _D)),
    ("ym", re.compile(_Y + _M)),
    ("year", re.compile(_Y + r"\s*(?:度|全年)?")),
    ("yyyymm", re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(?!\d)")),
]
_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _period_of(kind: str, g: tuple[str, ...]) -> tuple[date | None, date | None]:
    i = [int(x) if x.isdigit() else 0 for x in g]
    if kind == "ymd_ymd":
        return date(i[0], i[1], i[2]), date(i[3], i[4], i[5])
    if kind == "ymd_md":
        return date(i[0], i[1], i[2]), date(i[0], i[3], i[4])
    if kind == "iso_iso":
        return date(i[0], i[1], i[2]), date(i[3], i[4], i[5])
    if kind == "ym_m":
        return date(i[0], i[1], 1), _month_end(i[0], i[2])
    if kind == "quarter":
        q = _QUARTER[g[1]]
        return date(i[0], 3 * q - 2, 1), _month_end(i[0], 3 * q)
    if kind == "half":
        return (
            (date(i[0], 1, 1), date(i[0], 6, 30))
            if g[1] == "上"
            else (
                date(i[0], 7, 1),
                date(i[0], 12, 31),
            )
        )
    if kind == "until":
        return None, date(i[0], i[1], i[2])
    if kind in ("ym", "yyyymm"):
        return date(i[0], i[1], 1), _month_end(i[0], i[1])
    return date(i[0], 1, 1), date(i[0], 12, 31)


def parse_period(texts: list[str]) -> tuple[date | None, date | None]:
    """The report period from titles, footnotes and the file name, most specific form first.

    `2017年10月27日至12月31日`, `2017年10-12月`, `2023年4月`, `202303`, `2022年度`; a lone
    `统计截止于2017年12月31日` gives only the end.
    """
    end: date | None = None
    norm = [normalize_text(t) or "" for t in texts]
    for kind, pattern in _PERIOD_PATTERNS:
        for i, text in enumerate(norm):
            m = pattern.search(text)
            if m is None:
                continue
            try:
                s, e = _period_of(kind, m.groups())
            except ValueError:  # 2023年13月: not a period
                continue
            if s is not None:
                return s, e if e is not None else end
            end = end or e
            # 截止于2017年12月31日 is an end only: keep its 2017年12月 from reading as a month.
            norm[i] = text[: m.start()] + text[m.end() :]
    return None, end


# --- summary tables ----------------------------------------------------------------------------


@dataclass
class MetricColumn:
    """A metric column of a summary table."""

    index: int
    header: str
    metric: str
    scale: float = 1.0  # the header's unit in brackets: 办件量（万件） -> 10000


def metric_columns(columns: list[Column]) -> list[MetricColumn]:
    """The summary table's metric columns (序号, 占比 and unknown headers are skipped).

    A header may carry its unit in brackets (办件量（万件）, 办结率（%）): the metric is read from
    the header without it, and counts are scaled by it (a rate's % is read from the values).
    """
    ignore = set(vocab.ignore_headers())
    out = []
    for col in columns:
        if col.key in ignore:
            continue
        code = match_metric(col)
        unit = roles.split_header(col.header).unit
        scale = roles.unit_scale(unit) if unit and code not in _RATE_METRICS else 1.0
        if code is not None:
            out.append(MetricColumn(col.index, col.header, code, scale))
    return out


def metric_dataset(metric: str, fallback: str | None) -> str:
    """The dataset a metric belongs to; ambiguous rates follow the table's other metrics."""
    return datasets.of_metric(metric, fallback)


def table_dataset(metrics: list[str], hint: str | None) -> str | None:
    """The dataset of most unambiguous metrics of a table, else the hint."""
    counts: dict[str, int] = {}
    for m in metrics:
        if m in datasets.shared_metrics():
            continue
        ds = metric_dataset(m, None)
        counts[ds] = counts.get(ds, 0) + 1
    if counts:
        return max(counts, key=lambda k: counts[k])
    return hint


def _parse(metric: str, raw: pa.Array, scale: float = 1.0) -> tuple[pa.Array, pa.Array]:
    if metric in _RATE_METRICS:
        return values.parse_rate_array(raw)
    parsed, problems = values.parse_number_array(raw)
    if scale != 1.0:
        parsed = pc.multiply(parsed, pa.scalar(scale, pa.float64()))
    return parsed, problems


def summary_stats(
    table: LocatedTable,
    lineage: Lineage,
    period: tuple[date | None, date | None],
    hint: str | None,
) -> tuple[pa.Table, pa.Table, list[MetricColumn]]:
    """(reported_stats rows, cell_issues rows, metric columns) of a summary table."""
    subject = subject_column(table.columns)
    metrics = metric_columns(table.columns)
    ds_default = table_dataset([m.metric for m in metrics], hint)
    subjects = (
        _text_col(table.norm, subject.index)
        if subject is not None
        else constant(table.title, pa.string(), len(table.rows))
    )
    parts: list[pa.Table] = []
    issues: list[pa.Table] = []
    for mc in metrics:
        raw = _col(table.raw, mc.index)
        parsed, problems = _parse(mc.metric, _col(table.norm, mc.index), mc.scale)
        keep = pc.and_(pc.is_valid(parsed), pc.is_valid(subjects))
        rows = table.rows.filter(keep)
        n = len(rows)
        cols = lineage_columns(lineage, table.sheet, rows)
        cols.update(
            {
                "dataset": constant(metric_dataset(mc.metric, ds_default), pa.string(), n),
                "table_title": constant(table.title, pa.string(), n),
                "subject": subjects.filter(keep),
                "metric": constant(mc.metric, pa.string(), n),
                "metric_label": constant(mc.header, pa.string(), n),
                "value": parsed.filter(keep),
                "period_start": constant(period[0], pa.date32(), n),
                "period_end": constant(period[1], pa.date32(), n),
            }
        )
        parts.append(pa.Table.from_pydict(cols, schema=landing.REPORTED_STATS))
        if pc.any(problems).as_py():
            issues.append(_issue_rows(table, lineage, mc, raw, problems))
    stats = pa.concat_tables(parts) if parts else datasets.empty_table("reported_stats")
    cell = pa.concat_tables(issues) if issues else datasets.empty_table("cell_issues")
    return stats, cell, metrics


def pair_stats(
    pairs: list[tuple[int, str, str]],
    subject: str | None,
    sheet: str,
    title: str | None,
    lineage: Lineage,
    period: tuple[date | None, date | None],
) -> pa.Table:
    """reported_stats rows of a label | value table (`受理量 | 5万`) from (row, label, value)."""
    records: list[dict[str, Any]] = []
    metrics = vocab.summary_metrics()
    codes = [metrics[normalize_header(label)] for _, label, _ in pairs]
    ds_default = table_dataset(codes, None)
    for (row, label, text), code in zip(pairs, codes, strict=True):
        try:
            value = values.parse_rate(text) if code in _RATE_METRICS else values.parse_number(text)
        except values.ValueProblem:
            continue
        if value is None:
            continue
        records.append(
            {
                "sha256": lineage.sha256,
                "source_file": lineage.source_file,
                "source_sheet": sheet,
                "source_row": row,
                "region_code": lineage.region_code,
                "exported_at": lineage.exported_at,
                "file_modified_at": lineage.file_modified_at,
                "dataset": metric_dataset(code, ds_default),
                "table_title": title,
                "subject": subject,
                "metric": code,
                "metric_label": normalize_text(label),
                "value": value,
                "period_start": period[0],
                "period_end": period[1],
            }
        )
    return pa.Table.from_pylist(records, schema=landing.REPORTED_STATS)


def _issue_rows(
    table: LocatedTable, lineage: Lineage, mc: MetricColumn, raw: pa.Array, problems: pa.Array
) -> pa.Table:
    rows = table.rows.filter(problems)
    n = len(rows)
    return pa.Table.from_arrays(
        [
            constant(lineage.sha256, pa.string(), n),
            constant(lineage.source_file, pa.string(), n),
            constant(table.sheet, pa.string(), n),
            rows.cast(pa.int32()),
            constant(mc.header, pa.string(), n),
            constant(mc.metric, pa.string(), n),
            raw.filter(problems),
            constant("not a number", pa.string(), n),
        ],
        schema=landing.CELL_ISSUES,
    )


def _col(t: pa.Table, index: int) -> pa.Array:
    c = t.column(f"c{index}")
    return c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c


def _text_col(t: pa.Table, index: int) -> pa.Array:
    norm = _col(t, index)
    markers = pa.array(list(vocab.empty_markers()), pa.string())
    return pc.if_else(pc.is_in(norm, value_set=markers), pa.scalar(None, pa.string()), norm)


# --- reconciliation ----------------------------------------------------------------------------


@dataclass
class Check:
    """One reported total set against what the table's own rows add up to."""

    row: int
    subject: str | None
    metric: str
    metric_label: str
    reported: float
    computed: float
    tolerance: float  # absolute

    @property
    def is_match(self) -> bool:
        """Whether reported and computed agree within the tolerance."""
        return abs(self.reported - self.computed) <= self.tolerance


def _rate_tolerance(text: str | None) -> float:
    """Half a unit of the last digit written: `85.11%` -> 0.00005; never below 1e-9."""
    t = (text or "").strip()
    decimals = len(t.split(".", 1)[1].rstrip("%")) if "." in t else 0
    scale = 2 if t.endswith("%") else 0
    return max(0.5 * 10 ** -(decimals + scale), 1e-9)


def _count_tolerance(value: float) -> float:
    return max(abs(value) * COUNT_TOLERANCE, 1e-9)


def _scalar(metric: str, text: str | None) -> float | None:
    try:
        if metric in _RATE_METRICS:
            return values.parse_rate(text)
        return values.parse_number(text)
    except values.ValueProblem:
        return None


def _sum(a: pa.Array) -> float:
    return float(pc.sum(a).as_py() or 0.0)


def summary_checks(table: LocatedTable, metrics: list[MetricColumn]) -> list[Check]:
    """Totals rows (column totals) and row-total columns (合计 / 评价总数) of a summary table."""
    checks: list[Check] = []
    parsed = {
        mc.index: _parse(mc.metric, _col(table.norm, mc.index), mc.scale)[0] for mc in metrics
    }
    by_metric = {mc.metric: mc for mc in metrics}
    sums = {mc.metric: _sum(parsed[mc.index]) for mc in metrics if mc.metric not in _RATE_METRICS}
    for total in table.totals:
        for mc in metrics:
            text = total.cells.get(mc.index)
            reported = _scalar(mc.metric, normalize_text(text))
            if reported is None:
                continue
            reported *= mc.scale
            if mc.metric in _RATE_METRICS:
                parts = _rate_parts(mc.metric, by_metric)
                if parts is None:
                    continue
                nums, den = parts
                if not sums.get(den):
                    continue
                computed = sum(sums[m] for m in nums) / sums[den]
                tol = _rate_tolerance(normalize_text(text))
            else:
                computed = sums[mc.metric]
                tol = _count_tolerance(reported)
            checks.append(Check(total.row, None, mc.metric, mc.header, reported, computed, tol))
    checks.extend(_row_total_checks(table, metrics, parsed))
    return checks


def _rate_parts(
    metric: str, by_metric: dict[str, MetricColumn]
) -> tuple[tuple[str, ...], str] | None:
    candidates = [RATE_PARTS[metric]]
    if metric == "close_rate":
        candidates.append(_CASES_CLOSE)
    for nums, den in candidates:
        if den in by_metric and all(m in by_metric for m in nums):
            return nums, den
    return None


def _row_total_checks(
    table: LocatedTable, metrics: list[MetricColumn], parsed: dict[int, pa.Array]
) -> list[Check]:
    """評价总数 against the five rating columns of the same row (one check per subject row)."""
    by_metric = {mc.metric: mc for mc in metrics}
    if "evaluations_total" not in by_metric or not all(m in by_metric for m in _RATING_PARTS):
        return []
    total_mc = by_metric["evaluations_total"]
    computed = parsed[by_metric[_RATING_PARTS[0]].index]
    for m in _RATING_PARTS[1:]:
        computed = pc.add(pc.fill_null(computed, 0.0), pc.fill_null(parsed[by_metric[m].index], 0))
    reported = parsed[total_mc.index]
    subject = subject_column(table.columns)
    subjects = (
        _text_col(table.norm, subject.index).to_pylist() if subject else [None] * len(table.rows)
    )
    out = []
    for row, subj, rep, comp in zip(
        table.rows.to_pylist(), subjects, reported.to_pylist(), computed.to_pylist(), strict=True
    ):
        if rep is None or comp is None:
            continue
        out.append(
            Check(row, subj, "evaluations_total", total_mc.header, rep, comp, _count_tolerance(rep))
        )
    return out


def detail_checks(table: LocatedTable, dataset: str, columns: dict[int, str]) -> list[Check]:
    """Totals rows of a detail table: a count under an id/text column is the number of records,
    a figure under a numeric column (督办次数) the column's sum."""
    checks: list[Check] = []
    headers = {c.index: c.header for c in table.columns}
    spec = datasets.get(dataset)
    n = float(len(table.rows))
    for total in table.totals:
        counted = False
        for idx, text in total.cells.items():
            value = _scalar("count", normalize_text(text))
            if value is None:
                continue
            canonical = columns.get(idx)
            if canonical in spec.summed_metrics:
                parsed, _ = values.parse_number_array(_col(table.norm, idx))
                computed = _sum(parsed)
                metric = spec.summed_metrics[canonical]
            elif not counted:
                counted, computed, metric = True, n, spec.count_metric
            else:
                continue
            checks.append(
                Check(
                    total.row, None, metric, headers[idx], value, computed, _count_tolerance(value)
                )
            )
    return checks


def reconciliation_table(checks: list[Check], lineage: Lineage, sheet: str) -> pa.Table:
    """`landing.reconciliation` rows for the checks of one table."""
    return pa.Table.from_pylist(
        [
            {
                "sha256": lineage.sha256,
                "source_file": lineage.source_file,
                "source_sheet": sheet,
                "source_row": c.row,
                "region_code": lineage.region_code,
                "subject": c.subject,
                "metric": c.metric,
                "metric_label": c.metric_label,
                "reported_total": c.reported,
                "computed_total": c.computed,
                "is_match": c.is_match,
            }
            for c in checks
        ],
        schema=landing.RECONCILIATION,
    )
