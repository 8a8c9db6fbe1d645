"""Find the files in the raw folder: a sorted walk with sha256, mtime and each file's region."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from govdw.regions import explain_region, resolve_region

_CHUNK = 1 << 20  # 1 MiB: constant memory on large exports

NOT_IN_REGION_FOLDER = "file is not inside a region folder: put it under raw/<region code or name>/"


@dataclass(frozen=True)
class FileEntry:
    """One file found under the raw folder."""

    path: Path  # absolute
    rel_path: str  # relative to the raw dir, posix
    size_bytes: int
    modified_at: datetime  # naive local time
    sha256: str
    region_code: str | None
    region_error: str | None  # why the folder names no known region


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _skipped(name: str) -> bool:
    """Hidden files and folders, and Office lock files (~$Book1.xlsx)."""
    return name.startswith(".") or name.startswith("~$")


def _walk(raw_dir: Path) -> list[Path]:
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(raw_dir):
        # Prune in place so hidden folders are never entered; sort for a deterministic order.
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        here = Path(dirpath)
        for name in sorted(filenames):
            if _skipped(name):
                continue
            if here == raw_dir and name == "README.md":
                continue
            path = here / name
            if path.is_file():
                found.append(path)
    return found


def entry_for(path: Path, raw_dir: Path) -> FileEntry:
    """The FileEntry of one file under ``raw_dir`` (hash, size, mtime, region)."""
    raw_dir = raw_dir.resolve()
    path = path.absolute()
    try:
        rel = path.relative_to(raw_dir)
    except ValueError:
        path = path.resolve()
        rel = path.relative_to(raw_dir)
    stat = path.stat()
    code: str | None
    error: str | None
    if len(rel.parts) < 2:
        code, error = None, NOT_IN_REGION_FOLDER
    else:
        folder = rel.parts[0]
        code = resolve_region(folder)
        error = None if code else explain_region(folder)
    try:
        digest = sha256_file(path)
    except OSError as exc:
        # An unreadable file must not stop the walk: it gets no region, so it is quarantined
        # with this reason.
        digest, code, error = "", None, f"cannot read the file: {exc.strerror or exc}"
    return FileEntry(
        path=path,
        rel_path=rel.as_posix(),
        size_bytes=stat.st_size,
        modified_at=datetime.fromtimestamp(stat.st_mtime),
        sha256=digest,
        region_code=code,
        region_error=error,
    )


def discover(raw_dir: Path) -> list[FileEntry]:
    """Every data file under ``raw_dir``, sorted by relative path ([] if there is no folder)."""
    raw_dir = Path(raw_dir).resolve()
    if not raw_dir.is_dir():
        return []
    entries: list[FileEntry] = []
    for path in _walk(raw_dir):
        try:
            entries.append(entry_for(path, raw_dir))
        except FileNotFoundError:
            continue  # removed while we walked: it will simply not be seen this run
    return sorted(entries, key=lambda e: e.rel_path)
