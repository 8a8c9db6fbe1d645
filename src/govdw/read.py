"""Read every sheet of a sniffed file once into an all-string Arrow grid (the extractor's input).

xlsx/xls go through fastexcel (calamine, Rust) straight to Arrow: the design notes measured it
15x faster than openpyxl, and the whole ingest may cost at most twice its bare read, so each
sheet is read exactly once. CSV/TXT are decoded with the sniffed encoding; HTML tables (the
"xls" some systems export) through the stdlib parser. Cells render as text the same way for
every format (see `Sheet`), so the extractor never sees a format difference.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import io
import itertools
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from defusedxml import ElementTree

from govdw import values
from govdw.sniff import sniff
from govdw.types import Limits

#: Excel's own limit on the text of one cell. Longer text (only a hand-made or generated file
#: holds it) is cut to this length on read, and the cut is reported as a cell issue.
MAX_CELL_CHARS = 32_767

_ENCRYPTED_HINT = (
    "password-protected workbook (encrypted): save it without a password and drop it again"
)


@dataclass
class Sheet:
    """One sheet (or CSV file, or HTML table) as a grid of strings.

    `grid`: every column pa.string(), named c0..cN (c0 = column A); grid row i is sheet row
    `first_row + i` (1-based as a person sees it); no trailing empty rows or columns.
    `merged`: (row0, col0, row1, col1) 0-based inclusive grid coordinates, or None when the
    format does not expose merges.
    `long_cells`: (grid row, grid column, original length in characters) of each cell whose text
    was cut to `MAX_CELL_CHARS`.
    """

    name: str
    index: int
    hidden: bool
    grid: pa.Table
    first_row: int = 1
    merged: list[tuple[int, int, int, int]] | None = None
    long_cells: list[tuple[int, int, int]] = field(default_factory=list)


class ReadError(ValueError):
    """A file that cannot be read; the message names the file (and sheet) and what to do."""


def read_workbook(
    path: Path,
    kind: str,
    limits: Limits | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    label: str | None = None,
) -> list[Sheet]:
    """Every sheet of `path` read as `kind` (from `govdw.sniff`), trimmed and capped by `limits`.

    `encoding`/`delimiter` are the sniffed ones for text files (sniffed again when omitted);
    `label` is how errors name the file (default: its name).
    """
    if limits is None:
        limits = Limits()
    label = label or path.name
    if kind in ("xlsx", "xls"):
        sheets = _read_excel(path, kind, label)
    elif kind == "csv":
        sheets = [_read_csv(path, encoding, delimiter, label)]
    elif kind == "html":
        sheets = _read_html(path, encoding)
    else:
        raise ReadError(f"{label}: cannot read a file of kind {kind!r}")
    for sheet in sheets:
        sheet.grid, sheet.long_cells = cut_long_cells(sheet.grid)
        if sheet.grid.num_rows > limits.max_rows:
            raise ReadError(
                f"{label}, sheet {sheet.name}: {sheet.grid.num_rows:,} rows, more than the "
                f"{limits.max_rows:,}-row limit: split the export"
            )
        if sheet.grid.num_columns > limits.max_cols:
            raise ReadError(
                f"{label}, sheet {sheet.name}: {sheet.grid.num_columns:,} columns, more than the "
                f"{limits.max_cols:,}-column limit"
            )
    return sheets


def cut_long_cells(
    grid: pa.Table, limit: int = MAX_CELL_CHARS
) -> tuple[pa.Table, list[tuple[int, int, int]]]:
    """`grid` with every cell longer than `limit` characters cut to it, and the cut cells as
    (row, column, original length). Costs one byte-length pass per column."""
    cut: list[tuple[int, int, int]] = []
    columns = list(grid.columns)
    changed = False
    for c, col in enumerate(columns):
        if col.null_count == len(col) or (pc.max(pc.binary_length(col)).as_py() or 0) <= limit:
            continue  # no cell has more bytes than the limit, so none has more characters
        lengths = pc.utf8_length(col)
        long = pc.fill_null(pc.greater(lengths, limit), False)
        if not pc.any(long).as_py():
            continue
        for r in pc.indices_nonzero(long).to_pylist():
            cut.append((r, c, int(lengths[r].as_py())))
        columns[c] = pc.if_else(long, pc.utf8_slice_codeunits(col, 0, limit), col)
        changed = True
    if not changed:
        return grid, cut
    return pa.Table.from_arrays(columns, names=grid.column_names), sorted(cut)


# --------------------------------------------------------------------------- Excel


def _read_excel(path: Path, kind: str, label: str) -> list[Sheet]:
    import fastexcel

    # fastexcel picks its reader by extension; content decides here (an xlsx saved as .xls).
    matches = path.suffix.lower() in ({".xls"} if kind == "xls" else {".xlsx", ".xlsm"})
    # fastexcel takes a path only as UTF-8 text: a name in other bytes (GBK) goes in as bytes.
    matches = matches and _utf8_path(path)
    try:
        reader = fastexcel.read_excel(path if matches else path.read_bytes())
        names = reader.sheet_names
    except Exception as exc:
        raise ReadError(_excel_failure(label, None, exc)) from exc
    # The merge scan inflates the sheet XML a second time: it overlaps with fastexcel's load
    # (both release the GIL for most of their work) instead of adding to it.
    with cf.ThreadPoolExecutor(max_workers=1) as pool:
        if kind == "xlsx":
            merges_job = pool.submit(_xlsx_merges, path)
        else:
            merges_job = pool.submit(_xls_merges, path, names)
        sheets = []
        for index, name in enumerate(names):
            try:
                # skip_rows=0 keeps leading empty rows, so grid row 0 is sheet row 1.
                sheet = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string")
                batch = sheet.to_arrow()
                columns = sheet.available_columns()
                hidden = sheet.visible != "visible"
                # calamine's cells take ~3x the Arrow copy: free them before more copies come.
                del sheet
            except Exception as exc:
                if "no data" in str(exc).lower() or "empty" in str(exc).lower():
                    sheets.append(Sheet(name, index, False, _empty_grid(), 1, None))
                    continue
                raise ReadError(_excel_failure(label, name, exc)) from exc
            offset = columns[0].absolute_index if columns else 0
            arrays = values.map_columns(_normalise_excel_column, batch.columns)
            del batch
            grid = _make_grid(arrays, col_offset=offset)
            del arrays
            release_free_memory()
            merges = merges_job.result()
            merged = merges.get(name) if merges is not None else None
            sheets.append(
                Sheet(
                    name=name,
                    index=index,
                    hidden=hidden,
                    grid=grid,
                    first_row=1,
                    merged=_clip_merges(merged, grid) if merged is not None else None,
                )
            )
    return sheets


def _utf8_path(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc keeps them otherwise), so the peak of one
    big sheet is not carried into the next steps."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _excel_failure(label: str, sheet: str | None, exc: Exception) -> str:
    text = str(exc)
    where = f"{label}, sheet {sheet}" if sheet else label
    if "password" in text.lower() or "encrypt" in text.lower():
        return f"{where}: {_ENCRYPTED_HINT}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return f"{where}: the workbook cannot be read ({first}); open and re-save it in Excel"


def _normalise_excel_column(col: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Render calamine's text the way the seam promises: dates without 00:00:00, TRUE/FALSE."""
    if col.null_count == len(col):
        return col.cast(pa.string())
    midnight = pc.ends_with(col, " 00:00:00")
    if pc.any(midnight).as_py():
        col = pc.if_else(
            pc.and_(midnight, pc.match_substring_regex(col, r"^\d{4}-\d{2}-\d{2} 00:00:00$")),
            pc.utf8_slice_codeunits(col, 0, 10),
            col,
        )
    if pc.any(pc.equal(col, "true")).as_py() or pc.any(pc.equal(col, "false")).as_py():
        col = pc.replace_substring_regex(col, r"^true$", "TRUE")
        col = pc.replace_substring_regex(col, r"^false$", "FALSE")
    return col


_MERGE_RE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _xlsx_merges(path: Path) -> dict[str, list[tuple[int, int, int, int]]] | None:
    """Merged ranges per sheet name, read from the sheet XML's <mergeCells> (calamine via
    fastexcel does not expose them). The element follows <sheetData>, so each sheet part is
    inflated in chunks and only the tail is searched; costs ~10% of the read."""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = _xlsx_sheet_parts(zf)
            result: dict[str, list[tuple[int, int, int, int]]] = {}
            for name, part in parts.items():
                if part not in zf.NameToInfo:
                    continue
                result[name] = _scan_merges(zf, part)
            return result
    except Exception:  # merges are a hint for the extractor; never fail a read over them
        return None


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    parts = {}
    for el in workbook.iter():
        if el.tag.endswith("}sheet") or el.tag == "sheet":
            target = targets.get(el.get(f"{_REL_NS}id"), "")
            if target.startswith("/"):
                part = target.lstrip("/")
            else:
                part = str(PurePosixPath("xl") / target)
            parts[el.get("name", "")] = part
    return parts


def _scan_merges(zf: zipfile.ZipFile, part: str) -> list[tuple[int, int, int, int]]:
    found: list[tuple[int, int, int, int]] = []
    carry = b""
    inside = False
    with zf.open(part) as fh:
        while chunk := fh.read(4 << 20):
            window = carry + chunk
            if not inside:
                pos = window.find(b"<mergeCells")
                if pos < 0:
                    carry = window[-32:]
                    continue
                inside = True
                window = window[pos:]
            # Keep an incomplete trailing element for the next chunk.
            cut = window.rfind(b"/>") + 2
            body, carry = window[:cut], window[cut:]
            for m in _MERGE_RE.finditer(body):
                c0, r0 = _col_index(m.group(1)), int(m.group(2)) - 1
                c1 = _col_index(m.group(3)) if m.group(3) else c0
                r1 = int(m.group(4)) - 1 if m.group(4) else r0
                found.append((r0, c0, r1, c1))
    return found


def _xls_merges(path: Path, names: list[str]) -> dict[str, list[tuple[int, int, int, int]]] | None:
    """Merges of a legacy .xls via python-calamine; it re-reads the sheet, so only for small files
    (legacy sheets are capped at 65,536 rows anyway)."""
    if path.stat().st_size > 8 * 2**20:
        return None
    try:
        import python_calamine

        result = {}
        with python_calamine.CalamineWorkbook.from_path(str(path)) as wb:
            for name in names:
                ranges = wb.get_sheet_by_name(name).merged_cell_ranges
                if ranges is None:
                    return None
                result[name] = [(a[0], a[1], b[0], b[1]) for a, b in ranges]
        return result
    except Exception:
        return None


def _clip_merges(
    merged: list[tuple[int, int, int, int]], grid: pa.Table
) -> list[tuple[int, int, int, int]]:
    rows, cols = grid.num_rows, grid.num_columns
    return sorted(
        (r0, c0, min(r1, rows - 1), min(c1, cols - 1))
        for r0, c0, r1, c1 in merged
        if r0 < rows and c0 < cols and (r1 > r0 or c1 > c0)
    )


# --------------------------------------------------------------------------- grid helpers


def _empty_grid() -> pa.Table:
    return pa.table({}, schema=pa.schema([]))


def _make_grid(arrays: list[Any], *, col_offset: int = 0) -> pa.Table:
    """Name columns c0..cN (padding `col_offset` empty columns on the left) and trim trailing
    empty rows and columns, whatever the sheet's declared dimension said."""
    if not arrays:
        return _empty_grid()
    n = len(arrays[0])
    arrays = [pa.nulls(n, pa.string())] * col_offset + list(arrays)
    # Trailing empty columns.
    while arrays and arrays[-1].null_count == len(arrays[-1]):
        arrays.pop()
    if not arrays:
        return _empty_grid()
    last = _last_non_empty_row(arrays)
    table = pa.Table.from_arrays(arrays, names=[f"c{i}" for i in range(len(arrays))])
    if last + 1 < table.num_rows:
        table = table.slice(0, last + 1)
    return table


def _last_non_empty_row(arrays: list[Any]) -> int:
    n = len(arrays[0])
    if n == 0:
        return -1
    # Fast path: the last row holds something (the usual case).
    if any(arr[n - 1].is_valid for arr in arrays):
        return n - 1
    last = -1
    for arr in arrays:
        if arr.null_count == len(arr):
            continue
        idx = pc.indices_nonzero(pc.is_valid(arr))
        if len(idx):
            last = max(last, idx[len(idx) - 1].as_py())
    return last


def _rows_to_grid(rows: Sequence[Sequence[str | None]]) -> pa.Table:
    """Pad ragged rows with nulls and turn empty strings into nulls."""
    width = max((len(r) for r in rows), default=0)
    if width == 0:
        return _empty_grid()
    # Transposed in C (zip_longest pads short rows with None), emptied cells nulled by Arrow:
    # a Python loop per cell cost 60% of reading a 90,000-row CSV.
    no_text = pa.scalar(None, type=pa.string())
    arrays = []
    for column in itertools.zip_longest(*rows, fillvalue=None):
        array = pa.array(column, type=pa.string())
        arrays.append(pc.if_else(pc.equal(array, ""), no_text, array))
    return _make_grid(arrays)


# --------------------------------------------------------------------------- CSV


def _read_csv(path: Path, encoding: str | None, delimiter: str | None, label: str) -> Sheet:
    if encoding is None or delimiter is None:
        found = sniff(path)
        if found.kind is None:
            raise ReadError(f"{label}: {found.problem}")
        encoding = encoding or found.encoding or "utf-8-sig"
        delimiter = delimiter or found.delimiter or ","
    try:
        text = path.read_bytes().decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ReadError(
            f"{label}: the text is not valid {encoding} (byte {getattr(exc, 'start', '?')}); "
            "save it as UTF-8 or GB18030"
        ) from exc
    text = text.removeprefix("\ufeff")
    # The csv module refuses fields over 128 KiB; a long cell is cut later, never a failure.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = list(reader)
    return Sheet(name="csv", index=0, hidden=False, grid=_rows_to_grid(rows), first_row=1)


# --------------------------------------------------------------------------- HTML


class _TableParser(HTMLParser):
    """Collects <table> cells; colspan/rowspan put the text top-left and record a merge."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[list[list[str | None]], list[tuple[int, int, int, int]]]] = []
        self._stack: list[dict[str, Any]] = []  # nested tables

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append({"rows": [], "merged": [], "taken": set(), "cell": None, "r": -1})
        elif not self._stack:
            return
        elif tag == "tr":
            t = self._stack[-1]
            self._close_cell()
            t["r"] += 1
            while len(t["rows"]) <= t["r"]:
                t["rows"].append([])
        elif tag in ("td", "th"):
            t = self._stack[-1]
            self._close_cell()
            if t["r"] < 0:
                t["r"] = 0
                t["rows"].append([])
            attr = dict(attrs)
            t["cell"] = {
                "text": [],
                "colspan": _span(attr.get("colspan")),
                "rowspan": _span(attr.get("rowspan")),
            }
        elif tag == "br" and self._stack[-1]["cell"] is not None:
            self._stack[-1]["cell"]["text"].append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        if tag in ("td", "th", "tr"):
            self._close_cell()
        elif tag == "table":
            self._close_cell()
            t = self._stack.pop()
            self.tables.append((t["rows"], t["merged"]))

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1]["cell"] is not None:
            self._stack[-1]["cell"]["text"].append(data)

    def _close_cell(self) -> None:
        t = self._stack[-1]
        cell = t["cell"]
        if cell is None:
            return
        t["cell"] = None
        r, taken = t["r"], t["taken"]
        row = t["rows"][r]
        c = 0
        while (r, c) in taken or (c < len(row) and row[c] is not None):
            c += 1
        text = "".join(cell["text"]).replace("\xa0", " ").strip()
        rs, cs = cell["rowspan"], cell["colspan"]
        for rr in range(r, r + rs):
            for cc in range(c, c + cs):
                taken.add((rr, cc))
        while len(row) <= c:
            row.append(None)
        row[c] = text or None
        if rs > 1 or cs > 1:
            t["merged"].append((r, c, r + rs - 1, c + cs - 1))


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _read_html(path: Path, encoding: str | None) -> list[Sheet]:
    data = path.read_bytes()
    text = None
    for enc in (encoding, "utf-8-sig", "gb18030"):
        if not enc:
            continue
        try:
            text = data.decode(enc)
            break
        except (UnicodeDecodeError, LookupError):
            continue
    if text is None:
        text = data.decode("utf-8", errors="replace")
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    while parser._stack:  # unclosed tables at EOF still count
        parser.handle_endtag("table")
    sheets = []
    for i, (rows, merged) in enumerate(parser.tables):
        grid = _rows_to_grid(rows)
        sheets.append(
            Sheet(
                name="html" if i == 0 else f"html{i + 1}",
                index=i,
                hidden=False,
                grid=grid,
                first_row=1,
                merged=_clip_merges(merged, grid) if grid.num_rows else [],
            )
        )
    return sheets
