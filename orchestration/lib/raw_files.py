"""The raw folder as Dagster sees it: file fingerprints (cached sha256), partition keys."""

from __future__ import annotations

import hashlib
from pathlib import Path

from dagster import DagsterInstance, DynamicPartitionsDefinition

from govdw.discover import cached_sha256, walk
from govdw.types import Fingerprint

#: The name of the dynamic partitions: one partition per raw file.
RAW_FILES_PARTITIONS = "raw_files"

#: One partition per raw file, keyed by its path relative to the raw dir.
RAW_FILES = DynamicPartitionsDefinition(name=RAW_FILES_PARTITIONS)

# Dagster rejects these substrings in partition keys; such paths get a stable hashed id instead.
_BAD_KEY_PARTS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


def iter_data_files(raw_dir: Path) -> list[str]:
    """Relative paths of the files under `raw_dir` that get an audit row, sorted.

    The walk is `govdw.discover.walk`, so partitions, the sensor and the ingester see the same
    files: links followed only inside raw/, names in any bytes as text, and links out of raw/,
    broken links, loops, FIFOs, sockets and devices listed (they end quarantined).
    """
    return [found.rel_path for found in walk(raw_dir)]


def fingerprint_dir(raw_dir: Path, cache: dict[str, Fingerprint]) -> dict[str, Fingerprint]:
    """Fingerprints of every data file; re-hashes only files whose (size, mtime) changed.

    A path that is never opened (link out of raw/, FIFO, …) is fingerprinted by its problem, so a
    change of what it is requests it again.
    """
    result: dict[str, Fingerprint] = {}
    for found in walk(raw_dir):
        rel = found.rel_path
        if found.problem is not None:
            tag = hashlib.sha256(found.problem.encode("utf-8")).hexdigest()
            result[rel] = Fingerprint(0, 0, "problem-" + tag)
            continue
        try:
            stat = found.path.stat()
            digest = cached_sha256(found.path, stat, cache.get(rel))
            result[rel] = Fingerprint(stat.st_size, stat.st_mtime_ns, digest)
        except OSError:
            # A file deleted or locked mid-scan is picked up on the next tick.
            continue
    return result


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def partition_key(rel_path: str) -> str:
    """A raw file's partition key: its relative path, or a stable id when Dagster rejects it."""
    if not _valid_text(rel_path):  # never from discover's walk; a safety net for stray callers
        raw = rel_path.encode("utf-8", "surrogateescape")
        return "file-" + hashlib.sha1(raw).hexdigest()[:16]
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
    known = list(instance.get_dynamic_partitions(RAW_FILES_PARTITIONS))
    known_set = set(known)
    added = [k for k in present if k not in known_set]
    present_set = set(present)
    removed = [k for k in known if k not in present_set]
    if added:
        instance.add_dynamic_partitions(RAW_FILES_PARTITIONS, added)
    for key in removed:
        instance.delete_dynamic_partition(RAW_FILES_PARTITIONS, key)
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
