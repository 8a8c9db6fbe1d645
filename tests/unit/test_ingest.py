"""govdw.ingest: parse_file never raises, and the worker pool survives crashes and overruns."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import govdw.extract
from govdw import datasets
from govdw.discover import sha256_file
from govdw.extract import Extraction, ExtractionError, FileContext
from govdw.ingest import CHANGED_WHILE_READ, parse_file, parse_files
from govdw.types import FileEntry, Limits, ParseResult

MTIME = datetime(2024, 4, 2, 9, 0, 0)


def _entry(path: Path, rel: str, region: str | None = "640522") -> FileEntry:
    # The real sha256: parse_file checks after parsing that the bytes are still these.
    return FileEntry(
        path=path,
        rel_path=rel,
        size_bytes=path.stat().st_size if path.exists() else 0,
        modified_at=MTIME,
        sha256=sha256_file(path) if path.exists() else "ab" * 32,
        region_code=region,
        region_error=None if region else "folder 'misc' names no known region",
    )


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text("工单编号,状态\nGD1,已办结\n", encoding="utf-8")
    return path


def _fake_extract(sheets: list[Any], ctx: FileContext) -> Extraction:
    """Stands in for the extractor: one order per grid row after the header."""
    rows = [
        {"sha256": ctx.sha256, "source_file": ctx.rel_path, "source_sheet": s.name,
         "source_row": s.first_row + i, "region_code": ctx.region_code,
         "file_modified_at": ctx.file_modified_at, "source_order_id": r["c0"], "status": r["c1"]}
        for s in sheets for i, r in enumerate(s.grid.to_pylist()) if i > 0
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=datasets.HOTLINE.schema)
    return Extraction(
        dataset="hotline",
        exported_at=datetime(2024, 4, 1, 8, 0),
        tables={"hotline_orders": table, "cell_issues": pa.table({"x": pa.array([], pa.int8())})},
        sheets_used=[s.name for s in sheets],
        rows=len(rows),
        problems=[],
        report={"sheets": [s.name for s in sheets]},
    )


def test_parse_file_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sniff → read → extract: a loaded result with the extractor's tables (empty ones dropped)."""
    monkeypatch.setattr(govdw.extract, "extract", _fake_extract)
    result = parse_file(_entry(_csv(tmp_path), "640522/orders.csv"))
    assert (result.status, result.error, result.dataset, result.file_kind) == (
        "loaded", None, "hotline", "csv"
    )  # fmt: skip
    assert (result.rows, result.sheets, result.exported_at) == (1, ["csv"], datetime(2024, 4, 1, 8))
    assert list(result.tables) == ["hotline_orders"]
    orders = result.tables["hotline_orders"]
    picked = orders.select(["source_file", "source_row", "source_order_id", "status"])
    assert picked.to_pylist() == [
        {"source_file": "640522/orders.csv", "source_row": 2, "source_order_id": "GD1",
         "status": "已办结"}
    ]  # fmt: skip
    assert result.report == {"sheets": ["csv"], "kind": "csv"}


def test_parse_file_extraction_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ExtractionError quarantines the file with the extractor's words, naming the file."""

    def refuse(sheets: list[Any], ctx: FileContext) -> Extraction:
        raise ExtractionError("no table with recognisable headers in sheets csv")

    monkeypatch.setattr(govdw.extract, "extract", refuse)
    result = parse_file(_entry(_csv(tmp_path), "640522/orders.csv"))
    assert (result.status, result.file_kind, result.tables) == ("quarantined", "csv", {})
    assert result.error == "640522/orders.csv: no table with recognisable headers in sheets csv"


def test_parse_file_unexpected_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the extractor is a quarantined file with a readable error, not a traceback."""

    def boom(sheets: list[Any], ctx: FileContext) -> Extraction:
        raise RuntimeError("boom")

    monkeypatch.setattr(govdw.extract, "extract", boom)
    result = parse_file(_entry(_csv(tmp_path), "640522/orders.csv"))
    assert result.status == "quarantined"
    assert result.error == (
        "640522/orders.csv: unexpected parser error (RuntimeError: boom); "
        "please report this file to the govdw maintainers"
    )


def test_parse_file_sniff_problem_and_missing_region(tmp_path: Path) -> None:
    """A sniff problem or a missing region quarantines with that reason."""
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    result = parse_file(_entry(empty, "640522/empty.xlsx"))
    assert (result.status, result.error) == (
        "quarantined", "640522/empty.xlsx: the file is empty (0 bytes)"
    )  # fmt: skip
    result = parse_file(_entry(_csv(tmp_path), "misc/orders.csv", region=None))
    assert (result.status, result.error) == (
        "quarantined", "misc/orders.csv: folder 'misc' names no known region"
    )  # fmt: skip


# --- the pool: these parsers run in worker processes, so they live at module level ----------


def _pool_parser(entry: FileEntry, limits: Limits) -> ParseResult:
    """Crashes the worker for 'crash', hangs for 'slow', else returns a loaded result."""
    name = entry.path.name
    if name == "crash":
        os._exit(3)  # a hard death, as the OOM killer would do
    if name == "slow":
        time.sleep(120)
    return ParseResult(
        entry.rel_path, entry.sha256, "loaded", rows=len(name), sheets=[str(os.getpid())]
    )


def _entries(tmp_path: Path, names: list[str]) -> list[FileEntry]:
    return [_entry(tmp_path / n, f"640522/{n}") for n in names]


def test_pool_survives_a_crashing_worker(tmp_path: Path) -> None:
    """A worker dying quarantines only its file; the others load on a rebuilt pool."""
    events: list[dict[str, Any]] = []
    results = list(
        parse_files(
            _entries(tmp_path, ["a", "crash", "bb", "ccc"]),
            workers=2,
            progress=events.append,
            parser=_pool_parser,
        )
    )
    outcome = {r.rel_path: (r.status, r.rows, r.error) for r in results}
    assert outcome == {
        "640522/a": ("loaded", 1, None),
        "640522/bb": ("loaded", 2, None),
        "640522/ccc": ("loaded", 3, None),
        "640522/crash": (
            "quarantined",
            0,
            "640522/crash: the parser crashed (out of memory?) while reading this file; "
            "check that it opens in Excel, or split it",
        ),
    }
    assert [e["files_done"] for e in events] == [1, 2, 3, 4]
    assert {e["files_total"] for e in events} == {4}
    assert events[-1]["eta"] == 0.0
    assert all(int(r.sheets[0]) != os.getpid() for r in results if r.status == "loaded")


def test_pool_quarantines_an_overrunning_file(tmp_path: Path) -> None:
    """A file over the time limit is quarantined and its worker killed; the rest still load."""
    started = time.monotonic()
    results = list(
        parse_files(
            _entries(tmp_path, ["slow", "a", "bb"]),
            workers=2,
            limits=Limits(max_seconds=6),
            parser=_pool_parser,
        )
    )
    outcome = {r.rel_path: (r.status, r.error) for r in results}
    assert outcome == {
        "640522/slow": (
            "quarantined",
            "640522/slow: parsing took longer than 6 s; split the export into smaller files",
        ),
        "640522/a": ("loaded", None),
        "640522/bb": ("loaded", None),
    }
    assert time.monotonic() - started < 60  # the 120 s sleeper was killed, not awaited


def test_workers_zero_runs_in_process(tmp_path: Path) -> None:
    """workers=0 parses here, in rel_path order (debugging mode)."""
    results = list(parse_files(_entries(tmp_path, ["a", "bb"]), workers=0, parser=_pool_parser))
    assert [(r.rel_path, r.rows, r.sheets) for r in results] == [
        ("640522/a", 1, [str(os.getpid())]),
        ("640522/bb", 2, [str(os.getpid())]),
    ]


def test_real_parse_in_a_worker(tmp_path: Path) -> None:
    """The default parser in a one-worker pool: an empty file comes back quarantined."""
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    results = list(parse_files([_entry(empty, "640522/empty.csv")], workers=1))
    assert [(r.status, r.error) for r in results] == [
        ("quarantined", "640522/empty.csv: the file is empty (0 bytes)")
    ]


# --- issue 11: bytes that change while read, long cells, special entries ---------------------


def test_file_changed_while_read_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bytes that change during the parse load nothing: quarantined, to be read again."""
    path = _csv(tmp_path)
    entry = _entry(path, "640522/orders.csv")

    def growing(sheets: list[Any], ctx: FileContext) -> Extraction:
        with path.open("a", encoding="utf-8") as fh:  # the export is still being written
            fh.write("GD2,办理中\n")
        return _fake_extract(sheets, ctx)

    monkeypatch.setattr(govdw.extract, "extract", growing)
    result = parse_file(entry)
    assert (result.status, result.tables, result.rows) == ("quarantined", {}, 0)
    assert result.error == f"640522/orders.csv: {CHANGED_WHILE_READ}"
    assert CHANGED_WHILE_READ == (
        "file changed while it was read; it will be read again on the next run"
    )
    # Same size, other bytes: the re-hash notices too.
    path.write_text("工单编号,状态\nGD1,已办结\n", encoding="utf-8")
    entry = _entry(path, "640522/orders.csv")
    monkeypatch.setattr(govdw.extract, "extract", _fake_extract)
    assert parse_file(entry).status == "loaded"
    path.write_text("工单编号,状态\nGD9,已办结\n", encoding="utf-8")
    assert parse_file(entry).error == f"640522/orders.csv: {CHANGED_WHILE_READ}"


def test_long_cell_is_cut_with_a_cell_issue(tmp_path: Path) -> None:
    """A cell over 32,767 characters (here 200,000, over the csv module's 128 KiB field limit)
    loads cut to 32,767 characters, with a cell issue naming file, sheet, row, column, length."""
    path = tmp_path / "orders.csv"
    long_text = "路灯不亮" * 50_000
    path.write_text(
        "工单编号,受理时间,诉求内容,办理状态\n"
        "GD1,2024-01-01 08:00,路灯坏了,已办结\n"
        f"GD2,2024-01-02 08:00,{long_text},已办结\n",
        encoding="utf-8",
    )
    result = parse_file(_entry(path, "640522/orders.csv"))
    assert (result.status, result.rows) == ("loaded", 2)
    content = result.tables["hotline_orders"].column("content_masked").to_pylist()
    assert [len(c) for c in content] == [4, 32_767]
    issues = result.tables["cell_issues"].to_pylist()
    assert [
        (i["source_file"], i["source_sheet"], i["source_row"], i["column_name"], i["problem"])
        for i in issues
    ] == [
        (
            "640522/orders.csv",
            "csv",
            3,
            "诉求内容",
            "text of 200,000 characters cut to the first 32,767 (the most a spreadsheet cell "
            "holds)",
        )
    ]
    assert any("200,000 characters" in w for w in result.warnings)


def test_problem_entry_is_never_opened(tmp_path: Path) -> None:
    """An entry with a problem (a FIFO here) is quarantined without opening it (no block)."""
    fifo = tmp_path / "orders.csv"
    os.mkfifo(fifo)
    entry = FileEntry(
        fifo, "640522/orders.csv", 0, MTIME, "", "640522", None, problem="a named pipe"
    )
    result = parse_file(entry)
    assert (result.status, result.error) == ("quarantined", "640522/orders.csv: a named pipe")
