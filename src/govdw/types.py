"""The records the ingest modules hand each other: a found file, limits, results, outcomes.

The lowest layer of the ingest cluster: `discover`, `sniff`, `read`, `load`, `ingest` and the
Dagster `landing_files` asset all import these from here, and this module imports no other
govdw module, so none of them has to import another one inside a function to dodge a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one version of a raw file: its size and mtime, and the sha256 of its bytes
    when it had them (a file whose size and mtime are unchanged is not hashed again)."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class FileEntry:
    """One file found under the raw folder."""

    path: Path  # absolute, as found (through links inside raw/); may hold undecodable bytes
    rel_path: str  # relative to the raw dir, posix, as readable text (see `display_name`)
    size_bytes: int
    modified_at: datetime  # naive local time
    sha256: str
    region_code: str | None
    region_error: str | None  # why the folder names no known region
    #: Why it is never opened (a link out of raw/, a FIFO, …): the file is quarantined.
    problem: str | None = None
    #: The mtime in nanoseconds (with size_bytes: whether sha256 must be computed again).
    mtime_ns: int = 0


@dataclass(frozen=True)
class Limits:
    """Per-file safety limits for parsing untrusted exports."""

    max_file_bytes: int = 512 * 2**20
    max_uncompressed_bytes: int = 2**30
    max_seconds: float = 300.0
    max_memory_mib: int = 4096
    max_rows: int = 5_000_000
    max_cols: int = 2_000


@dataclass
class ParseResult:
    """What parsing one file produced: landing tables, or the reason it was quarantined."""

    rel_path: str
    sha256: str
    status: str  # 'loaded' | 'quarantined'
    error: str | None = None
    dataset: str | None = None
    file_kind: str | None = None
    exported_at: datetime | None = None
    tables: dict[str, pa.Table] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)
    rows: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class FileOutcome:
    """The fate of one discovered file in an ingest run, as its landing.files row records it.

    `dataset`, `region_code` and `sheets` are the values of that row (None / [] when it has
    none); `rows_by_table` counts the rows this run loaded per landing table (empty unless the
    file was loaded in this run).
    """

    rel_path: str
    status: str  # 'loaded' | 'duplicate' | 'quarantined' | 'unchanged'
    rows: int = 0
    error: str | None = None
    duplicate_of: str | None = None
    warnings: list[str] = field(default_factory=list)
    dataset: str | None = None
    region_code: str | None = None
    sheets: list[str] = field(default_factory=list)
    rows_by_table: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestSummary:
    """Counts and per-file outcomes of one `ingest_dir` run."""

    files_seen: int = 0
    parsed: int = 0
    loaded: int = 0
    duplicate: int = 0
    quarantined: int = 0
    unchanged: int = 0
    forgotten: list[str] = field(default_factory=list)
    rows_by_table: dict[str, int] = field(default_factory=dict)
    changed: bool = False
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0
    #: Source files whose Parquet hand-off files this run (re)wrote or removed; None: no hand-off.
    handoff_files: int | None = None
