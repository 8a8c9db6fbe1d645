"""Locate tables in a sheet grid: titles, metadata, header rows, data rows, totals, footnotes.

Header finding is Python over the first rows only; the data slice is classified with vectorized
masks (blank, totals, footnote, junk rows) so a 200,000-row sheet costs a few pyarrow passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from govdw import datasets, roles, values, vocab
from govdw.text import has_traditional, normalize_header, normalize_text_array

#: Header search window: exports put at most a handful of title/metadata rows above the header.
HEADER_WINDOW = 30
#: A row is a header candidate when this many of its cells are known header words.
MIN_HEADER_HITS = 2
#: Metadata keys (normalised) that carry the export time (导出时间).
EXPORT_TIME_KEYS = ("导出时间", "导出日期", "数据导出时间", "下载时间", "生成时间", "打印时间")

_KV_RE = re.compile(r"^\s*([^:：]{1,12})\s*[:：]\s*(.*)$")
_UNIT_RE = re.compile(r"^\s*单位\s*[:：]\s*([^\s,，;；]{1,4})\s*$")


class SheetLike(Protocol):
    """What the extractor needs from `govdw.read.Sheet` (structural, so tests build their own)."""

    name: str
    index: int
    hidden: bool
    grid: pa.Table
    first_row: int
    merged: list[tuple[int, int, int, int]] | None


@dataclass
class Column:
    """One header column: where it is, how it is written and its normalised matching keys."""

    index: int  # grid column index
    header: str  # as written (normalised text), merged parent/child joined with '/'
    key: str  # normalize_header(header)
    child_key: str | None = None  # normalize_header(child) for two-row headers
    parent_key: str | None = None  # normalize_header(parent) for two-row headers


@dataclass
class TotalsRow:
    """A 合计/总计 row: its sheet row number and raw cell texts by grid column index."""

    row: int
    cells: dict[int, str | None]


@dataclass
class LocatedTable:
    """A table found on a sheet: preamble, header, the data slice and what surrounds it."""

    sheet: str
    header_rows: list[int]  # sheet row numbers (1-based)
    columns: list[Column]
    raw: pa.Table  # data rows only, columns c<index> as read (strings)
    norm: pa.Table  # the same rows, text normalised (half-width, simplified when needed)
    rows: pa.Array  # int32 sheet row numbers of the data rows
    titles: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    unit: str | None = None
    exported_at: datetime | None = None
    totals: list[TotalsRow] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    blank_rows: int = 0
    junk_rows: list[int] = field(default_factory=list)

    @property
    def title(self) -> str | None:
        """The first title line above the header, if any."""
        return self.titles[0] if self.titles else None


@cache
def known_header_keys() -> frozenset[str]:
    """Every normalised header the vocabulary knows: detail columns, metrics, subject, ignore."""
    keys: set[str] = set()
    for dataset in datasets.names():
        for synonyms in vocab.columns(dataset).values():
            keys.update(synonyms)
    keys.update(vocab.summary_metrics())
    keys.update(vocab.subject_headers())
    keys.update(vocab.ignore_headers())
    return frozenset(keys)


@cache
def _footnote_re() -> re.Pattern[str]:
    parts = []
    for prefix in vocab.footnote_prefixes():
        stem = prefix.rstrip(":：")
        # A one-character prefix such as 注 needs its colon, or 注册… would end a table.
        if len(stem) == 1:
            parts.append(re.escape(stem) + r"\s*[:：]")
        else:
            parts.append(re.escape(stem))
    return re.compile(r"^\s*(?:" + "|".join(parts) + ")")


def is_footnote(text: str | None) -> bool:
    """True when a row's first text starts like a footnote (备注, 注:, 说明 …)."""
    return text is not None and _footnote_re().match(text) is not None


def _match_key(key: str) -> bool:
    # A listed header (its unit aside: 办件量（万件）), or one whose parts read as a column
    # (留言时间, 信件编号): see govdw.roles.
    known = known_header_keys()
    return key in known or roles.without_unit(key) in known or roles.is_header_like(key)


def header_score(cells: list[str | None]) -> int:
    """How many cells of a row are known header words."""
    return sum(1 for c in cells if c is not None and _match_key(normalize_header(c)))


def _looks_like_value(text: str) -> bool:
    """A number or date cell: such a row is data, never a header row."""
    try:
        values.parse_number(text)
        return True
    except values.ValueProblem:
        pass
    try:
        return values.parse_datetime(text) is not None and any(ch.isdigit() for ch in text)
    except values.ValueProblem:
        return False


def _row_cells(norm_rows: list[list[str | None]], i: int, width: int) -> list[str | None]:
    row = norm_rows[i] if i < len(norm_rows) else []
    return [row[j] if j < len(row) else None for j in range(width)]


def _child_row_ok(parent: list[str | None], child: list[str | None]) -> bool:
    """Whether `child` can be the second row of a two-row header under `parent`."""
    filled = [c for c in child if c is not None]
    if not filled or any(_looks_like_value(c) for c in filled):
        return False
    if header_score(child) == 0:
        return False
    # The child must sit under a blank or a grouping parent cell somewhere: one the vocabulary
    # does not list (办理情况 reads as a header by its parts, yet groups 办结日期 and 状态).
    return any(
        c is not None and (p is None or normalize_header(p) not in known_header_keys())
        for p, c in zip(parent, child, strict=False)
    )


def _flatten(
    parent: list[str | None],
    child: list[str | None] | None,
    merged_parent: dict[int, str],
) -> list[Column]:
    """Columns of a one- or two-row header; the parent is forward-filled over its span."""
    cols: list[Column] = []
    spread: str | None = None
    for j, p in enumerate(parent):
        if p is not None:
            spread = p
        c = child[j] if child is not None else None
        if c is None:
            if p is None:
                p = merged_parent.get(j)
            if p is None:
                continue
            cols.append(Column(j, p, normalize_header(p)))
            continue
        top = p if p is not None else merged_parent.get(j, spread)
        if top is None:
            cols.append(Column(j, c, normalize_header(c)))
            continue
        header = f"{top}/{c}"
        cols.append(
            Column(
                j,
                header,
                normalize_header(header),
                child_key=normalize_header(c),
                parent_key=normalize_header(top),
            )
        )
    return cols


def _merged_parent(sheet: SheetLike, row: int, cells: list[str | None]) -> dict[int, str]:
    """Grid columns covered by a horizontal merge that starts on `row` -> the merged text."""
    out: dict[int, str] = {}
    for r0, c0, r1, c1 in sheet.merged or []:
        if r0 <= row <= r1 and c1 > c0 and c0 < len(cells):
            text = cells[c0]
            if text is not None:
                for j in range(c0, c1 + 1):
                    out[j] = text
    return out


def find_header(
    norm_rows: list[list[str | None]], start: int, stop: int, width: int
) -> tuple[int, bool] | None:
    """(grid row of the header's first row, two_rows) with the most known header words, or None."""
    best: tuple[int, int, bool] | None = None  # (score, row, two_rows)
    for i in range(start, min(stop, len(norm_rows))):
        cells = _row_cells(norm_rows, i, width)
        score = header_score(cells)
        if score < MIN_HEADER_HITS:
            continue
        two = False
        if i + 1 < len(norm_rows):
            child = _row_cells(norm_rows, i + 1, width)
            if _child_row_ok(cells, child):
                flat = _flatten(cells, child, {})
                # Two rows when the child row adds listed headers (办理情况 / 办结日期); judged on
                # the vocabulary alone, as header parts make the grouping parent look known too.
                known = known_header_keys()
                listed = sum(1 for c in cells if c and normalize_header(c) in known)
                flat_listed = sum(
                    1 for col in flat if col.key in known or (col.child_key or "") in known
                )
                if flat_listed > listed:
                    flat_score = sum(
                        1
                        for col in flat
                        if _match_key(col.key) or (col.child_key and _match_key(col.child_key))
                    )
                    score, two = max(score, flat_score), True
        if best is None or score > best[0]:
            best = (score, i, two)
    if best is None:
        return None
    return best[1], best[2]


def parse_preamble(lines: list[list[str | None]]) -> tuple[list[str], dict[str, str], str | None]:
    """Titles, `key：value` metadata and the unit (单位：件) from the rows above a header."""
    titles: list[str] = []
    meta: dict[str, str] = {}
    unit: str | None = None
    for cells in lines:
        filled = [c for c in cells if c is not None]
        if not filled:
            continue
        consumed = False
        k = 0
        while k < len(filled):
            text = filled[k]
            unit_m = _UNIT_RE.match(text)
            if unit_m:
                unit = unit_m.group(1)
                consumed = True
            else:
                kv = _KV_RE.match(text)
                if kv:
                    key = normalize_header(kv.group(1))
                    value = kv.group(2).strip()
                    # `导出时间：` | `2023-05-04 …` split over two cells.
                    if not value and k + 1 < len(filled):
                        k += 1
                        value = filled[k]
                    meta[key] = value
                    consumed = True
            k += 1
        if not consumed:
            titles.append(" ".join(filled))
    return titles, meta, unit


def exported_at_of(meta: dict[str, str], footnotes: list[str]) -> datetime | None:
    """The export time (导出时间) from metadata, else from a footnote line; None when absent."""
    for key in EXPORT_TIME_KEYS:
        if key in meta:
            try:
                return values.parse_datetime(meta[key])
            except values.ValueProblem:
                return None
    for line in footnotes:
        kv = _KV_RE.match(line)
        if kv and normalize_header(kv.group(1)) in EXPORT_TIME_KEYS:
            try:
                return values.parse_datetime(kv.group(2).strip())
            except values.ValueProblem:
                return None
    return None


def normalize_grid(grid: pa.Table) -> pa.Table:
    """The grid with every column normalised; script conversion only if a sample is traditional."""
    sample: list[str | None] = []
    head = grid.slice(0, 200)
    for col in head.columns:
        sample.extend(col.to_pylist())
    convert = has_traditional(sample)
    if not convert and grid.num_rows > 200:
        # A sparse sample from the rest, so data-only traditional text still converts.
        step = max(1, grid.num_rows // 500)
        idx = pa.array(range(200, grid.num_rows, step), pa.int64())
        for col in grid.columns:
            sample.extend(pc.take(col, idx).to_pylist())
        convert = has_traditional(sample)
    cols = values.map_columns(
        lambda col: normalize_text_array(col, convert_script=convert, traditional=convert),
        grid.columns,
    )
    return pa.Table.from_arrays(cols, names=grid.column_names)


def _nonnull_count(norm: pa.Table) -> pa.Array:
    total = pa.array([0] * norm.num_rows, pa.int32()) if norm.num_columns == 0 else None
    for col in norm.columns:
        one = pc.cast(pc.is_valid(col), pa.int32())
        total = one if total is None else pc.add(total, one)
    assert total is not None
    return total


def _first_text(norm: pa.Table) -> pa.Array:
    cols = norm.columns[:3]
    if not cols:
        return pa.nulls(norm.num_rows, pa.string())
    return pc.coalesce(*cols) if len(cols) > 1 else cols[0]


def _totals_mask(norm: pa.Table) -> pa.Array:
    words = pa.array(list(vocab.totals_words()), pa.string())
    mask = None
    for col in norm.columns[:3]:
        squeezed = pc.replace_substring_regex(col, r"\s+", "")
        hit = pc.fill_null(pc.is_in(squeezed, value_set=words), False)
        mask = hit if mask is None else pc.or_(mask, hit)
    return mask if mask is not None else pa.array([False] * norm.num_rows)


def _header_hits(norm: pa.Table) -> pa.Array:
    keys = pa.array(sorted(known_header_keys()), pa.string())
    total = None
    for col in norm.columns:
        hit = pc.cast(pc.fill_null(pc.is_in(col, value_set=keys), False), pa.int32())
        total = hit if total is None else pc.add(total, hit)
    return total if total is not None else pa.array([0] * norm.num_rows, pa.int32())


def _as_array(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(a, pa.ChunkedArray):
        return a.combine_chunks() if a.num_chunks else pa.array([], a.type)
    return a


def _to_rows(t: pa.Table) -> list[list[str | None]]:
    cols = [c.to_pylist() for c in t.columns]
    return [list(r) for r in zip(*cols, strict=True)] if cols else []


@dataclass(frozen=True)
class _Scan:
    """A sheet being scanned: its grids and the per-row arrays the table slicing reads."""

    sheet: SheetLike
    norm: pa.Table  # the whole grid, text normalised
    nonnull: pa.Array  # filled cells per row
    footnote: pa.Array  # the row's first text starts like a footnote
    totals: pa.Array  # the row is a 合计/总计 row
    hits: pa.Array  # cells per row that are known header words
    head_rows: list[list[str | None]]  # the first rows as Python lists, for header finding

    @property
    def width(self) -> int:
        """Number of grid columns."""
        return int(self.sheet.grid.num_columns)

    @property
    def num_rows(self) -> int:
        """Number of grid rows."""
        return int(self.sheet.grid.num_rows)


class _Region(NamedTuple):
    """Where one table sits: header row, header depth, and its slice of grid rows."""

    header: int  # grid row of the header's first row
    two_rows: bool  # whether the header spans two rows
    start: int  # first grid row of the preamble (titles, metadata) above the header
    end: int  # grid row just past the table's data and footnotes


def _scan_sheet(sheet: SheetLike, norm: pa.Table) -> _Scan:
    """Compute the per-row masks and the header window of a non-empty sheet."""
    nonnull = _nonnull_count(norm)
    first = _first_text(norm)
    footnote = pc.fill_null(pc.match_substring_regex(first, _footnote_re().pattern), False)
    totals = _totals_mask(norm)
    hits = _header_hits(norm)
    head_rows = _to_rows(norm.slice(0, min(sheet.grid.num_rows, HEADER_WINDOW + 2)))
    return _Scan(sheet, norm, nonnull, footnote, totals, hits, head_rows)


def _later_header_candidates(scan: _Scan) -> list[int]:
    """Grid rows with enough known header words, mostly words, to start a later table."""
    # A later header is mostly known words: a record whose status and rating happen to be
    # header words too (已办结, 非常满意) holds dates and ids besides, and stays data.
    mostly_words = pc.greater_equal(pc.multiply(scan.hits, pa.scalar(2, pa.int32())), scan.nonnull)
    later_mask = pc.and_(pc.greater_equal(scan.hits, MIN_HEADER_HITS), mostly_words)
    rows: list[int] = pc.indices_nonzero(later_mask).to_pylist()
    return rows


def _header_starts(scan: _Scan) -> list[tuple[int, bool]]:
    """(grid row, two_rows) of every header: the best of the first window, then later ones."""
    found = find_header(scan.head_rows, 0, HEADER_WINDOW, scan.width)
    if found is None:
        return []
    starts: list[tuple[int, bool]] = [found]
    for i in _later_header_candidates(scan):
        last_row, last_two = starts[-1]
        if i <= last_row + (1 if last_two else 0):
            continue
        window = _to_rows(scan.norm.slice(i, 3))
        if any(c is not None and _looks_like_value(c) for c in window[0]):
            continue
        got = find_header(window, 0, 1, scan.width)
        if got is not None:
            starts.append((i, got[1]))
    return starts


def _region_end(scan: _Scan, data_start: int, next_header: int) -> int:
    """End of a table followed by another: the next table's title/unit rows go to that table."""
    region_end = next_header
    tail = scan.nonnull.slice(data_start, next_header - data_start).to_pylist()
    while region_end > data_start and (tail[region_end - data_start - 1] or 0) <= 1:
        region_end -= 1
    return region_end


def _regions(scan: _Scan, starts: list[tuple[int, bool]]) -> list[_Region]:
    """Each header's region: from the previous region's end to before the next table's preamble."""
    regions: list[_Region] = []
    prev_end = 0
    for k, (h, two) in enumerate(starts):
        data_start = h + (2 if two else 1)
        if k + 1 < len(starts):
            region_end = _region_end(scan, data_start, starts[k + 1][0])
        else:
            region_end = scan.num_rows
        regions.append(_Region(h, two, prev_end, region_end))
        prev_end = region_end
    return regions


def _header_columns(scan: _Scan, h: int, two: bool) -> list[Column]:
    """The columns of the header at grid row `h` (two rows when `two`), merges applied."""
    if h + 1 < len(scan.head_rows):
        parent = _row_cells(scan.head_rows, h, scan.width)
        child = _row_cells(scan.head_rows, h + 1, scan.width) if two else None
    else:
        pair = _to_rows(scan.norm.slice(h, 2))
        parent = _row_cells(pair, 0, scan.width)
        child = _row_cells(pair, 1, scan.width) if two else None
    return _flatten(parent, child, _merged_parent(scan.sheet, h, parent))


def _split_footnotes(scan: _Scan, data_start: int, region_end: int) -> tuple[int, list[str]]:
    """(end of the data body, footnote lines): the body stops at the first footnote row."""
    seg_len = max(0, region_end - data_start)
    seg_foot = scan.footnote.slice(data_start, seg_len)
    foot_idx = pc.indices_nonzero(seg_foot).to_pylist()
    body_end = data_start + (foot_idx[0] if foot_idx else seg_len)
    footnotes = [
        " ".join(c for c in r if c is not None)
        for r in _to_rows(scan.norm.slice(body_end, region_end - body_end))
        if any(c is not None for c in r)
    ]
    return body_end, footnotes


class _BodyMasks(NamedTuple):
    """Row masks over a table's data body."""

    blank: pa.Array  # no filled cell
    totals: pa.Array  # a 合计/总计 row
    junk: pa.Array  # a lone cell under a wide header
    keep: pa.Array  # a record: none of the above


def _body_masks(scan: _Scan, data_start: int, body_len: int, wide: bool) -> _BodyMasks:
    """Classify the body rows as blank, totals, junk or kept records."""
    b_nonnull = scan.nonnull.slice(data_start, body_len)
    b_totals = scan.totals.slice(data_start, body_len)
    blank = pc.equal(b_nonnull, 0)
    # With a wide header, a row holding a single cell is a stray note, not a record.
    junk = pc.and_(pc.equal(b_nonnull, 1), pa.scalar(wide))
    keep = pc.invert(pc.or_(pc.or_(blank, b_totals), junk))
    return _BodyMasks(blank, b_totals, junk, keep)


def _totals_rows(
    body_raw: pa.Table, totals: pa.Array, columns: list[Column], first_row: int
) -> list[TotalsRow]:
    """The totals rows of a body (sheet row numbers from `first_row`), raw cells by column."""
    return [
        TotalsRow(
            first_row + i,
            {c.index: body_raw.column(c.index)[i].as_py() for c in columns},
        )
        for i in pc.indices_nonzero(totals).to_pylist()
    ]


def _junk_notes(body_norm: pa.Table, junk: pa.Array) -> list[str]:
    """The first-column texts of junk rows, kept as footnotes."""
    return [
        str(body_norm.column(0)[i].as_py() or "")
        for i in pc.indices_nonzero(junk).to_pylist()
        if body_norm.column(0)[i].as_py()
    ]


def _build_table(scan: _Scan, region: _Region) -> LocatedTable:
    """The located table of one region: preamble, header, kept data rows, totals and notes."""
    sheet = scan.sheet
    h, two = region.header, region.two_rows
    data_start = h + (2 if two else 1)
    preamble = _to_rows(scan.norm.slice(region.start, h - region.start))
    titles, meta, unit = parse_preamble(preamble)
    columns = _header_columns(scan, h, two)
    body_end, footnotes = _split_footnotes(scan, data_start, region.end)

    body_len = body_end - data_start
    masks = _body_masks(scan, data_start, body_len, wide=len(columns) >= 4)
    body_raw = sheet.grid.slice(data_start, body_len)
    body_norm = scan.norm.slice(data_start, body_len)
    row_numbers = pc.add(
        pa.array(range(data_start, body_end), pa.int32()),
        pa.scalar(sheet.first_row, pa.int32()),
    )
    first_row = data_start + sheet.first_row
    junk_rows = [first_row + i for i in pc.indices_nonzero(masks.junk).to_pylist()]
    footnotes.extend(_junk_notes(body_norm, masks.junk))
    keep = masks.keep
    every_row = bool(pc.all(keep).as_py()) if len(keep) else True
    table = LocatedTable(
        sheet=sheet.name,
        header_rows=[h + sheet.first_row] + ([h + 1 + sheet.first_row] if two else []),
        columns=columns,
        # Slices share the sheet's buffers; filter() copies, so only when a row goes.
        raw=body_raw if every_row else body_raw.filter(keep),
        norm=body_norm if every_row else body_norm.filter(keep),
        rows=_as_array(row_numbers if every_row else row_numbers.filter(keep)),
        titles=titles,
        metadata=meta,
        unit=unit,
        totals=_totals_rows(body_raw, masks.totals, columns, first_row),
        footnotes=footnotes,
        blank_rows=int(pc.sum(pc.cast(masks.blank, pa.int32())).as_py() or 0),
        junk_rows=junk_rows,
    )
    table.exported_at = exported_at_of(meta, footnotes)
    return table


def locate_tables(sheet: SheetLike, norm: pa.Table | None = None) -> list[LocatedTable]:
    """Every table on a sheet, in order; an empty list when no row looks like a header."""
    grid = sheet.grid
    if grid.num_rows == 0 or grid.num_columns == 0:
        return []
    if norm is None:
        norm = normalize_grid(grid)
    scan = _scan_sheet(sheet, norm)
    starts = _header_starts(scan)
    return [_build_table(scan, region) for region in _regions(scan, starts)]


def describe(table: LocatedTable) -> dict[str, Any]:
    """A JSON-able summary of a located table for the inspect report."""
    headers = {c.index: c.header for c in table.columns}
    return {
        "header_rows": table.header_rows,
        "title": table.title,
        "titles": table.titles,
        "metadata": table.metadata,
        "unit": table.unit,
        "data_rows": len(table.rows),
        "blank_rows": table.blank_rows,
        "totals_rows": [
            {"row": t.row, "values": {headers[j]: v for j, v in t.cells.items()}}
            for t in table.totals
        ],
        "footnotes": table.footnotes,
        "exported_at": table.exported_at.isoformat(sep=" ") if table.exported_at else None,
    }
