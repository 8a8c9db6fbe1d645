"""The raw folder as Dagster sees it: file fingerprints (cached sha256), partition keys."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, DynamicPartitionsDefinition

#: One partition per raw file, keyed by its path relative to the raw dir.
RAW_FILES = DynamicPartitionsDefinition(name="raw_files")

# Dagster rejects these substrings in partition keys; such paths get a stable hashed id instead.
_BAD_KEY_PARTS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


@dataclass(frozen=True)
class Fingerprint:
    """What identifies one version of a raw file."""

    size: int
    mtime_ns: int
    sha256: str


def _is_ignored(name: str) -> bool:
    # Office lock files (~$x.xlsx) and hidden files are never data (CONTRACT §2).
    return name.startswith(("~$", "."))


def iter_data_files(raw_dir: Path) -> list[str]:
    """Relative posix paths of candidate data files under `raw_dir`, sorted."""
    found: list[str] = []
    if not raw_dir.is_dir():
        return found
    for root, dirs, files in os.walk(raw_dir):
        dirs[:] = sorted(d for d in dirs if not _is_ignored(d))
        for name in files:
            if _is_ignored(name):
                continue
            rel = Path(root, name).relative_to(raw_dir).as_posix()
            # The raw folder's own README documents the layout; it is not an export.
            if rel.lower() == "readme.md":
                continue
            found.append(rel)
    return sorted(found)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_dir(raw_dir: Path, cache: dict[str, Fingerprint]) -> dict[str, Fingerprint]:
    """Fingerprints of every data file; re-hashes only files whose (size, mtime) changed."""
    result: dict[str, Fingerprint] = {}
    for rel in iter_data_files(raw_dir):
        try:
            stat = (raw_dir / rel).stat()
            old = cache.get(rel)
            if old and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
                result[rel] = old
            else:
                result[rel] = Fingerprint(stat.st_size, stat.st_mtime_ns, sha256_of(raw_dir / rel))
        except OSError:
            # A file deleted or locked mid-scan is picked up on the next tick.
            continue
    return result


def partition_key(rel_path: str) -> str:
    """A raw file's partition key: its relative path, or a stable id when Dagster rejects it."""
    if any(part in rel_path for part in _BAD_KEY_PARTS):
        return "file-" + hashlib.sha1(rel_path.encode("utf-8")).hexdigest()[:16]
    return rel_path


def rel_paths_for_keys(raw_dir: Path, keys: list[str] | set[str]) -> set[str]:
    """Map partition keys back to relative paths (hashed ids resolved by scanning the folder)."""
    wanted = set(keys)
    paths = {k for k in wanted if not k.startswith("file-")}
    hashed = wanted - paths
    if hashed:
        for rel in iter_data_files(raw_dir):
            if partition_key(rel) in hashed:
                paths.add(rel)
    return paths


def sync_partitions(instance: DagsterInstance, raw_dir: Path) -> tuple[list[str], list[str]]:
    """Make `raw_files` partitions equal the files in `raw_dir`; return (added, removed) keys."""
    present = [partition_key(rel) for rel in iter_data_files(raw_dir)]
    known = list(instance.get_dynamic_partitions(RAW_FILES.name or "raw_files"))
    known_set = set(known)
    added = [k for k in present if k not in known_set]
    present_set = set(present)
    removed = [k for k in known if k not in present_set]
    if added:
        instance.add_dynamic_partitions(RAW_FILES.name or "raw_files", added)
    for key in removed:
        instance.delete_dynamic_partition(RAW_FILES.name or "raw_files", key)
    return added, removed


def contiguous_ranges(ordered_keys: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """Group `wanted` keys into maximal runs of consecutive keys in `ordered_keys` order."""
    ranges: list[tuple[str, str]] = []
    start: str | None = None
    prev: str | None = None
    for key in ordered_keys:
        if key in wanted:
            if start is None:
                start = key
            prev = key
        elif start is not None and prev is not None:
            ranges.append((start, prev))
            start = prev = None
    if start is not None and prev is not None:
        ranges.append((start, prev))
    return ranges
