"""Classify a located table (hotline / service / evaluation detail, or a summary table), map its
headers to canonical columns and build the typed landing Arrow table, privacy applied first.

Everything after header matching is column-wise pyarrow work: no per-row Python on detail data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from govdw import datasets, landing, privacy, roles, settings, values, vocab
from govdw.tables import Column, LocatedTable

_MASKED = {"content": "content_masked", "comment": "comment_masked"}
_TRUE = {"是", "重办", "true", "1", "y", "yes", "已重办"}
_FALSE = {"否", "false", "0", "n", "no", "未重办", "非重办"}

_PROBLEM_TEXT = {
    "datetime": "not a date/time",
    "int": "not a whole number",
    "bool": "not a yes/no value (是/否)",
    "appeal_type": "not a known appeal type (诉求类型)",
    "hotline_status": "not a known order status (办理状态)",
    "case_status": "not a known case status (办件状态)",
    "rating_label": "not a known rating (满意度: 非常满意 … 非常不满意)",
}


@dataclass
class Lineage:
    """Values every row of one file carries (the sheet comes from the table)."""

    sha256: str
    source_file: str
    region_code: str
    exported_at: datetime | None
    file_modified_at: datetime | None


@dataclass
class Mapping:
    """Header -> canonical column for one table, with the score and evidence of each decision."""

    dataset: str
    columns: dict[int, str]  # grid column index -> canonical name
    headers: dict[int, str]  # grid column index -> header as written
    unmapped: list[str]
    decisions: dict[int, roles.RoleGuess] = field(default_factory=dict)
    not_stored: dict[str, str] = field(default_factory=dict)  # header -> role kept out of facts
    values_seen: dict[int, roles.ValueEvidence] = field(default_factory=dict)

    def has(self, role: str) -> bool:
        """Whether some column landed as `role`."""
        return role in self.columns.values()

    def report(self) -> list[dict[str, Any]]:
        """One entry per column: header, role, score, evidence (for inspect and audit)."""
        return [
            {
                "header": self.headers[i],
                "role": guess.role,
                "score": round(guess.score, 2),
                "evidence": guess.evidence,
            }
            for i, guess in sorted(self.decisions.items())
        ]


@cache
def _inverted(dataset: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, keys in vocab.columns(dataset).items():
        for key in keys:
            out.setdefault(key, canonical)
    return out


def _lookup(col: Column, table: dict[str, str]) -> str | None:
    """Match parent/child first, then the child alone (merged two-row headers)."""
    for key in (col.key, col.child_key):
        if key and key in table:
            return table[key]
    return None


def match_metric(col: Column) -> str | None:
    """The metric code of a summary-table header (its unit in brackets aside), or None."""
    metrics = vocab.summary_metrics()
    found = _lookup(col, metrics)
    if found is None:
        parts = roles.split_header(col.header)
        if parts.unit is not None:
            found = metrics.get(parts.key)
    return found


#: A role inferred from parts and values is taken at this score or above.
MIN_ROLE_SCORE = 0.5


def landable_roles(dataset: str) -> set[str]:
    """Roles a table of `dataset` can fill: its vocabulary's columns, the columns its landing
    schema stores, its identifying columns (they feed the keyed hash) and derived flags."""
    spec = datasets.get(dataset)
    stored = set(spec.schema.names) - set(landing.LINEAGE_NAMES)
    return set(vocab.columns(dataset)) | stored | set(spec.pii.columns) | spec.extra_roles


def map_columns(columns: list[Column], dataset: str, table: LocatedTable | None = None) -> Mapping:
    """Map each header to a canonical column of `dataset`.

    Exact vocabulary entries win (score 1). Other headers get a role from their parts
    (`govdw.roles`), confirmed or overruled by the values when `table` is given; a role already
    taken goes to the column with the higher score. Columns with a recognised role that no fact
    stores (答复意见, 标题 …) are listed in `not_stored`, the rest in `unmapped`.
    """
    table_map = _inverted(dataset)
    mapped: dict[int, str] = {}
    decisions: dict[int, roles.RoleGuess] = {}
    taken: dict[str, int] = {}
    ignore = set(vocab.ignore_headers())
    pending: list[tuple[Column, roles.RoleGuess]] = []
    values_seen: dict[int, roles.ValueEvidence] = {}
    for col in columns:
        canonical = _lookup(col, table_map)
        if canonical is not None and canonical not in taken:
            taken[canonical] = col.index
            mapped[col.index] = canonical
            decisions[col.index] = roles.RoleGuess(canonical, 1.0, ["vocabulary: exact header"])
            continue
        if col.key in ignore:
            continue
        guess = roles.header_role(col.header, dataset)
        if table is not None:
            head = _col(table.norm, col.index).slice(0, roles.VALUE_SAMPLE * 4)
            evidence = roles.value_evidence(head.to_pylist())
            values_seen[col.index] = evidence
            guess = roles.decide(guess, evidence, dataset)
        pending.append((col, guess))
    landable = landable_roles(dataset)
    not_stored: dict[str, str] = {}
    unknown: set[int] = set()
    for col, guess in sorted(pending, key=lambda p: -p[1].score):
        decisions[col.index] = guess
        role = guess.role
        if role in landable and guess.score >= MIN_ROLE_SCORE and role not in taken:
            taken[role] = col.index
            mapped[col.index] = role
        elif role in landable and role in taken:
            not_stored[col.header] = f"{role} (already taken by another column)"
        elif role is not None and role not in landable:
            not_stored[col.header] = role
        else:
            unknown.add(col.index)
    unmapped = [c.header for c in columns if c.index in unknown]
    return Mapping(
        dataset,
        dict(sorted(mapped.items())),
        {c.index: c.header for c in columns},
        unmapped,
        decisions,
        not_stored,
        values_seen,
    )


# ------------------------------------------------------------------------------ completeness

#: Where a missing role's values would show, to propose candidate columns.
_ROLE_SHARE = {
    "received_at": "date_share",
    "accepted_at": "date_share",
    "evaluated_at": "date_share",
    "rating_label": "rating_share",
}


def missing_required(mapping: Mapping) -> list[str]:
    """Required roles (one per group, named by its first role) that no column fills."""
    return [
        group[0]
        for group in datasets.get(mapping.dataset).required_roles
        if not any(mapping.has(role) for role in group)
    ]


def missing_optional(mapping: Mapping) -> list[str]:
    """Warnings for optional roles no column fills."""
    return [
        why
        for group, why in datasets.get(mapping.dataset).optional_roles
        if not any(mapping.has(role) for role in group)
    ]


def candidates(mapping: Mapping, role: str, limit: int = 3) -> list[tuple[str, float]]:
    """Unmapped columns whose values look most like `role` (header, share), best first."""
    share = _ROLE_SHARE.get(role)
    if share is None:
        return []
    found = [
        (mapping.headers[i], float(getattr(ev, share)))
        for i, ev in mapping.values_seen.items()
        if i not in mapping.columns and getattr(ev, share) > 0
    ]
    return sorted(found, key=lambda p: -p[1])[:limit]


def vocabulary_fix(dataset: str, role: str, header: str) -> str:
    """The line of the user vocabulary file that would map `header` to `role`."""
    return f'[{datasets.get(dataset).table}.columns] {role} = ["{header}"]'


def hint_dataset(text: str) -> str | None:
    """A dataset suggested by a title, sheet or file name (热线/工单, 办件, 好差评/评价)."""
    for ds in sorted(datasets.all_datasets(), key=lambda d: -d.hint_rank):
        if any(w in text for w in ds.hints):
            return ds.name
    return None


def subject_column(columns: list[Column]) -> Column | None:
    """The subject column of a summary table: a 单位/层级/… header, else the first plain one."""
    subjects = set(vocab.subject_headers())
    ignore = set(vocab.ignore_headers())
    for col in columns[:3]:
        if col.key in subjects:
            return col
    for col in columns[:3]:
        if col.key not in ignore and match_metric(col) is None:
            return col
    return None


def dataset_scores(columns: list[Column]) -> dict[str, int]:
    """How many distinct columns of each detail dataset the headers fill (header words only)."""
    return {ds: len(set(map_columns(columns, ds).columns.values())) for ds in datasets.names()}


def classify(columns: list[Column], hint: str = "") -> str | None:
    """'hotline' | 'service' | 'evaluation' | 'summary' | None from the header words.

    A detail dataset wins by how many distinct canonical columns its vocabulary matches; a summary
    table needs a subject column and more metric headers than any detail vocabulary matches.
    """
    scores = dataset_scores(columns)
    metrics = sum(1 for c in columns if match_metric(c) is not None)
    best = max(scores.values())
    if metrics >= 1 and metrics >= best and subject_column(columns) is not None:
        return "summary"
    if best < 2:
        return None
    leaders = [ds for ds, s in scores.items() if s == best]
    if len(leaders) == 1:
        return leaders[0]
    hinted = hint_dataset(hint)
    return hinted if hinted in leaders else leaders[0]


def constant(value: Any, type_: pa.DataType, n: int) -> pa.Array:
    """An array of `n` copies of `value`."""
    if value is None:
        return pa.nulls(n, type_)
    return pc.fill_null(pa.nulls(n, type_), pa.scalar(value, type_))


def _text(norm: pa.Array) -> pa.Array:
    """Normalised text with empty markers (-, 无, /) as null."""
    markers = pa.array(list(vocab.empty_markers()), pa.string())
    return pc.if_else(pc.is_in(norm, value_set=markers), pa.scalar(None, pa.string()), norm)


def _bool(norm: pa.Array) -> tuple[pa.Array, pa.Array]:
    lower = pc.utf8_lower(_text(norm))
    is_true = pc.is_in(lower, value_set=pa.array(sorted(_TRUE)))
    is_false = pc.is_in(lower, value_set=pa.array(sorted(_FALSE)))
    out = pc.if_else(is_true, True, pc.if_else(is_false, False, pa.scalar(None, pa.bool_())))
    problems = pc.and_(pc.is_valid(lower), pc.is_null(out))
    return out, pc.fill_null(problems, False)


_RATING = pa.array(list(datasets.RATING_LABELS.values()), pa.string())
_RATING_VALUE = pa.array(list(datasets.RATING_LABELS.keys()), pa.int8())


class _Issues:
    """Collects cell issues column-wise."""

    def __init__(self, table: LocatedTable, lineage: Lineage) -> None:
        self.table = table
        self.lineage = lineage
        self.parts: list[pa.Table] = []

    def add(self, col: int, header: str, target: str, problems: pa.Array, why: str) -> None:
        if not pc.any(problems).as_py():
            return
        raw = _col(self.table.raw, col).filter(problems)
        rows = self.table.rows.filter(problems)
        n = len(rows)
        self.parts.append(
            pa.Table.from_arrays(
                [
                    constant(self.lineage.sha256, pa.string(), n),
                    constant(self.lineage.source_file, pa.string(), n),
                    constant(self.table.sheet, pa.string(), n),
                    rows.cast(pa.int32()),
                    constant(header, pa.string(), n),
                    constant(target, pa.string(), n),
                    raw,
                    constant(why, pa.string(), n),
                ],
                schema=landing.CELL_ISSUES,
            )
        )

    def result(self) -> pa.Table:
        if not self.parts:
            return datasets.empty_table("cell_issues")
        return pa.concat_tables(self.parts)


def _col(t: pa.Table, index: int) -> pa.Array:
    c = t.column(f"c{index}")
    return c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c


def lineage_columns(lineage: Lineage, sheet: str, rows: pa.Array) -> dict[str, pa.Array]:
    """The landing lineage columns for `rows` (sheet row numbers)."""
    n = len(rows)
    return {
        "sha256": constant(lineage.sha256, pa.string(), n),
        "source_file": constant(lineage.source_file, pa.string(), n),
        "source_sheet": constant(sheet, pa.string(), n),
        "source_row": rows.cast(pa.int32()),
        "region_code": constant(lineage.region_code, pa.string(), n),
        "exported_at": constant(lineage.exported_at, pa.timestamp("us"), n),
        "file_modified_at": constant(lineage.file_modified_at, pa.timestamp("us"), n),
    }


def build_detail(
    table: LocatedTable, mapping: Mapping, lineage: Lineage
) -> tuple[pa.Table, pa.Table]:
    """(landing table of the detail dataset, cell_issues) for one located table."""
    dataset = mapping.dataset
    spec = datasets.get(dataset)
    schema = spec.schema
    n = len(table.rows)
    issues = _Issues(table, lineage)
    out: dict[str, pa.Array] = lineage_columns(lineage, table.sheet, table.rows)
    by_name = {canonical: idx for idx, canonical in mapping.columns.items()}

    def issue(canonical: str, problems: pa.Array, why: str) -> None:
        idx = by_name[canonical]
        issues.add(idx, mapping.headers[idx], canonical, problems, why)

    # A column is parsed as its landing schema stores it; labels, ratings and free text first.
    stored = {f.name: f.type for f in schema}
    # Dates are the costliest columns to parse: all of them at once, one per core.
    date_cols = [c for c in by_name if c in stored and pa.types.is_timestamp(stored[c])]
    parsed_dates = dict(
        zip(
            date_cols,
            values.map_columns(
                lambda c: values.parse_datetime_array(_col(table.norm, by_name[c])), date_cols
            ),
            strict=True,
        )
    )
    for canonical, idx in by_name.items():
        norm = _col(table.norm, idx)
        type_ = stored.get(canonical)
        kind = spec.status_kind if canonical == "status" else canonical
        if kind is not None and canonical in ("appeal_type", "category", "channel", "status"):
            parsed, problems = values.canonical_label_array(kind, norm)
            out[canonical] = parsed
            issue(canonical, problems, _PROBLEM_TEXT.get(kind, "unknown value"))
        elif canonical in ("satisfaction_label", "rating_label"):
            parsed, problems = values.canonical_label_array("rating_label", norm)
            out[canonical] = parsed
            issue(canonical, problems, _PROBLEM_TEXT["rating_label"])
            if canonical == "rating_label":
                out["rating"] = pc.take(_RATING_VALUE, pc.index_in(parsed, value_set=_RATING))
        elif canonical in _MASKED:
            out[_MASKED[canonical]] = privacy.mask_text_array(_text(norm))
        elif canonical == "closed_flag" and "status" not in by_name:
            # 是否办结: 是 -> closed, 否 -> still open; anything else stays unknown (null).
            parsed, problems = _bool(norm)
            out["status"] = pc.if_else(
                parsed, pa.scalar("已办结"), pc.if_else(pc.invert(parsed), "办理中", None)
            )
            issue(canonical, problems, _PROBLEM_TEXT["bool"])
        elif type_ is None:
            continue  # identifying (feeds the key below) or a flag already used
        elif pa.types.is_timestamp(type_):
            parsed, problems = parsed_dates[canonical]
            out[canonical] = parsed.cast(type_)
            issue(canonical, problems, _PROBLEM_TEXT["datetime"])
        elif pa.types.is_integer(type_):
            parsed, problems = values.parse_int_array(norm)
            out[canonical] = parsed.cast(type_)
            issue(canonical, problems, _PROBLEM_TEXT["int"])
        elif pa.types.is_boolean(type_):
            parsed, problems = _bool(norm)
            out[canonical] = parsed
            issue(canonical, problems, _PROBLEM_TEXT["bool"])
        else:
            out[canonical] = _text(norm)

    if "channel" not in by_name and spec.implied_channel:
        # Messages, letters, complaints: the export's subject word is its channel.
        implied = roles.implied_channel(list(mapping.headers.values()))
        if implied is not None:
            out["channel"] = constant(implied, pa.string(), n)

    key_sources, key_name = spec.pii.key_sources, spec.pii.key_column
    if key_name is not None:
        present = [_text(_col(table.norm, by_name[c])) for c in key_sources if c in by_name]
        if present:
            source = pc.coalesce(*present) if len(present) > 1 else present[0]
            out[key_name] = privacy.keyed_hash(source, settings.pii_key())

    arrays = [out[f.name].cast(f.type) if f.name in out else pa.nulls(n, f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema), issues.result()
