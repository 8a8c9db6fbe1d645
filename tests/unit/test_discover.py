"""Discovery: the raw folder walk, hashes, mtimes, skipped files and regions from folders."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from govdw.discover import NOT_IN_REGION_FOLDER, discover, sha256_file


def _write(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_discover_tree(tmp_path: Path) -> None:
    """Sorted entries with hashes and regions; hidden, lock and root README files skipped."""
    raw = tmp_path / "raw"
    _write(raw, "README.md", b"readme")
    _write(raw, "loose.xlsx", b"loose")
    _write(raw, "653024-乌恰县/2023/04/工单.xlsx", b"orders")
    _write(raw, "653024-乌恰县/2023/04/~$工单.xlsx", b"lock")
    _write(raw, "653024-乌恰县/.hidden.csv", b"hidden")
    _write(raw, "653024-乌恰县/.cache/x.csv", b"hidden dir")
    _write(raw, "653024-乌恰县/README.md", b"kept: only the root README is skipped")
    _write(raw, "岳陽樓區/办件.csv", b"cases")
    _write(raw, "鼓楼区/评价.csv", b"evals")
    _write(raw, ".git/config", b"hidden")
    stamp = datetime(2023, 5, 5, 16, 51, 0).timestamp()
    os.utime(raw / "岳陽樓區/办件.csv", (stamp, stamp))

    entries = discover(raw)

    assert [e.rel_path for e in entries] == [
        "653024-乌恰县/2023/04/工单.xlsx",
        "653024-乌恰县/README.md",
        "loose.xlsx",
        "岳陽樓區/办件.csv",
        "鼓楼区/评价.csv",
    ]
    by_path = {e.rel_path: e for e in entries}
    orders = by_path["653024-乌恰县/2023/04/工单.xlsx"]
    assert orders.path == (raw / "653024-乌恰县/2023/04/工单.xlsx").resolve()
    assert orders.size_bytes == 6
    assert orders.sha256 == hashlib.sha256(b"orders").hexdigest()
    assert (orders.region_code, orders.region_error) == ("653024", None)
    cases = by_path["岳陽樓區/办件.csv"]
    assert cases.region_code == "430602"
    assert cases.modified_at == datetime(2023, 5, 5, 16, 51, 0)
    loose = by_path["loose.xlsx"]
    assert (loose.region_code, loose.region_error) == (None, NOT_IN_REGION_FOLDER)
    assert loose.region_error == (
        "file is not inside a region folder: put it under raw/<region code or name>/"
    )
    ambiguous = by_path["鼓楼区/评价.csv"]
    assert ambiguous.region_code is None
    assert ambiguous.region_error is not None
    assert ambiguous.region_error.startswith("folder '鼓楼区' names 4 regions: 320106")


def test_discover_missing_and_empty(tmp_path: Path) -> None:
    """A missing or empty raw folder yields no entries."""
    assert discover(tmp_path / "nope") == []
    (tmp_path / "raw").mkdir()
    assert discover(tmp_path / "raw") == []


def test_sha256_streams_large_file(tmp_path: Path) -> None:
    """Files larger than one chunk hash to the same digest as hashing all bytes at once."""
    data = os.urandom(3 * (1 << 20) + 17)
    path = _write(tmp_path, "big.bin", data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_discover_is_deterministic(tmp_path: Path) -> None:
    """Two walks of the same tree give equal entries in equal order."""
    raw = tmp_path / "raw"
    for i in (3, 1, 2):
        _write(raw, f"640522/b{i}.csv", bytes([i]))
        _write(raw, f"640522/a/{i}.csv", bytes([i]))
    first = discover(raw)
    assert [e.rel_path for e in first] == [
        "640522/a/1.csv", "640522/a/2.csv", "640522/a/3.csv",
        "640522/b1.csv", "640522/b2.csv", "640522/b3.csv",
    ]  # fmt: skip
    assert discover(raw) == first
