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
from govdw.discover import FileEntry
from govdw.extract import Extraction, ExtractionError, FileContext
from govdw.ingest import Limits, ParseResult, parse_file, parse_files
from govdw.landing import HOTLINE_ORDERS

MTIME = datetime(2024, 4, 2, 9, 0, 0)


def _entry(path: Path, rel: str, region: str | None = "640522") -> FileEntry:
    return FileEntry(
        path=path,
        rel_path=rel,
        size_bytes=path.stat().st_size if path.exists() else 0,
        modified_at=MTIME,
        sha256="ab" * 32,
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
    table = pa.Table.from_pylist(rows, schema=HOTLINE_ORDERS)
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
