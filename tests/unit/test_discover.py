"""Discovery: the raw folder walk, hashes, mtimes, skipped files and regions from folders."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import pytest

from govdw.discover import NOT_IN_REGION_FOLDER, discover, sha256_file
from govdw.types import Fingerprint


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


# --- issue 11: names in any bytes, links, special files -------------------------------------


def _write_bytes_name(folder: Path, name: bytes, data: bytes) -> None:
    os.makedirs(os.fsencode(folder), exist_ok=True)
    with open(os.path.join(os.fsencode(folder), name), "wb") as fh:
        fh.write(data)


def test_names_in_gbk_bytes_are_readable_text(tmp_path: Path) -> None:
    """GBK file and region-folder names (unzip of a Chinese-Windows archive) decode as GB18030;
    bytes that are neither UTF-8 nor GB18030 become \\xNN escapes; every rel_path is valid text."""
    raw = tmp_path / "raw"
    region = os.fsdecode("653024-乌恰县".encode("gbk"))
    _write_bytes_name(raw / region, "工单导出.xlsx".encode("gbk"), b"orders")
    _write_bytes_name(raw / os.fsdecode("乌恰县".encode("gbk")), b"\xff\xfe.csv", b"odd")
    # The same name in UTF-8 and in GBK bytes side by side: the GBK one stays distinct.
    _write_bytes_name(raw / "640522", "办件.csv".encode(), b"utf8")
    _write_bytes_name(raw / "640522", "办件.csv".encode("gbk"), b"gbk")

    entries = discover(raw)

    assert [e.rel_path for e in entries] == [
        "640522/\\xb0\\xec\\xbc\\xfe.csv",
        "640522/办件.csv",
        "653024-乌恰县/工单导出.xlsx",
        "乌恰县/\\xff\\xfe.csv",
    ]
    for entry in entries:
        entry.rel_path.encode("utf-8")  # never a surrogate
    by_path = {e.rel_path: e for e in entries}
    orders = by_path["653024-乌恰县/工单导出.xlsx"]
    assert (orders.region_code, orders.sha256) == ("653024", hashlib.sha256(b"orders").hexdigest())
    assert os.fsencode(orders.path).endswith("工单导出.xlsx".encode("gbk"))  # the real name
    assert by_path["乌恰县/\\xff\\xfe.csv"].region_code == "653024"
    assert by_path["640522/\\xb0\\xec\\xbc\\xfe.csv"].sha256 == hashlib.sha256(b"gbk").hexdigest()


def test_links_followed_only_inside_raw(tmp_path: Path) -> None:
    """Links inside raw/ are followed (files and folders); links out, broken links, loops,
    FIFOs and sockets are entries with a problem and are never opened."""
    import socket

    raw = tmp_path / "raw"
    outside = tmp_path / "outside"
    _write(outside, "secret.csv", b"secret")
    _write(raw, "640522/2023/a.csv", b"a")
    os.symlink(raw / "640522/2023/a.csv", raw / "640522/a-link.csv")
    os.symlink("2023", raw / "640522/alias")  # a folder inside raw/
    os.symlink(outside / "secret.csv", raw / "640522/out.csv")
    os.symlink(outside, raw / "640522/outdir")
    os.symlink("nowhere.csv", raw / "640522/broken.csv")
    os.symlink("loop2", raw / "640522/loop1")
    os.symlink("loop1", raw / "640522/loop2")
    os.symlink("..", raw / "640522/2023/up")  # a folder above: a loop
    os.mkfifo(raw / "640522/pipe.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(raw / "640522/sock"))
    try:
        entries = {e.rel_path: e for e in discover(raw)}
    finally:
        sock.close()

    def problem(rel: str) -> str:
        found = entries[rel].problem
        assert found is not None, rel
        return found

    assert sorted(entries) == [
        "640522/2023/a.csv",
        "640522/2023/up",
        "640522/a-link.csv",
        "640522/alias/a.csv",
        "640522/alias/up",
        "640522/broken.csv",
        "640522/loop1",
        "640522/loop2",
        "640522/out.csv",
        "640522/outdir",
        "640522/pipe.csv",
        "640522/sock",
    ]
    digest = hashlib.sha256(b"a").hexdigest()
    for rel in ("640522/2023/a.csv", "640522/a-link.csv", "640522/alias/a.csv"):
        assert (entries[rel].problem, entries[rel].sha256) == (None, digest)
    assert problem("640522/out.csv").startswith(
        f"symbolic link to {outside / 'secret.csv'}, outside the raw folder"
    )
    assert problem("640522/outdir").startswith(f"symbolic link to {outside}, outside")
    assert problem("640522/broken.csv").startswith("broken symbolic link (its target nowhere.csv")
    for rel in ("640522/loop1", "640522/loop2", "640522/2023/up", "640522/alias/up"):
        assert problem(rel).startswith("symbolic link loop"), rel
    assert problem("640522/pipe.csv").startswith("a named pipe (FIFO), not a regular file")
    assert problem("640522/sock").startswith("a socket, not a regular file")
    for rel, entry in entries.items():
        if entry.problem is not None:
            assert (entry.sha256, entry.size_bytes) == ("", 0), rel
            assert entry.problem.rstrip().split(": ")[-1], rel  # says what to do


def test_partitions_walk_the_same_files(tmp_path: Path) -> None:
    """orchestration.lib.raw_files lists exactly discover's paths, with valid partition keys."""
    from orchestration.lib.raw_files import fingerprint_dir, iter_data_files, partition_key

    raw = tmp_path / "raw"
    _write(raw, "README.md", b"readme")
    _write(raw, "640522/a.csv", b"a")
    _write(raw, "640522/~$a.csv", b"lock")
    _write_bytes_name(raw / "640522", "工单.csv".encode("gbk"), b"gbk")
    os.symlink("/etc", raw / "640522/etc")
    os.mkfifo(raw / "640522/pipe.csv")

    rels = iter_data_files(raw)
    assert rels == [e.rel_path for e in discover(raw)]
    assert rels == ["640522/a.csv", "640522/etc", "640522/pipe.csv", "640522/工单.csv"]
    assert [partition_key(r) for r in rels] == rels
    prints = fingerprint_dir(raw, {})  # never blocks on the FIFO
    assert sorted(prints) == rels
    assert prints["640522/工单.csv"].sha256 == hashlib.sha256(b"gbk").hexdigest()
    assert prints["640522/pipe.csv"].sha256.startswith("problem-")


def test_unchanged_size_and_mtime_are_not_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A known fingerprint whose size and mtime match is reused without reading the file; a new
    mtime or size means the bytes are hashed again."""
    import govdw.discover as discover_mod

    raw = tmp_path / "raw"
    path = _write(raw, "653024/a.csv", b"orders")
    first = discover(raw)[0]
    read: list[Path] = []
    real = discover_mod.sha256_file

    def counting(p: Path) -> str:
        read.append(p)
        return real(p)

    monkeypatch.setattr(discover_mod, "sha256_file", counting)
    known = {first.rel_path: Fingerprint(first.size_bytes, first.mtime_ns, first.sha256)}
    assert discover(raw, known)[0].sha256 == first.sha256
    assert read == []
    # a stale hash for the same size and mtime is trusted: size and mtime are the proof
    stale = {first.rel_path: Fingerprint(first.size_bytes, first.mtime_ns, "f" * 64)}
    assert discover(raw, stale)[0].sha256 == "f" * 64
    path.write_bytes(b"ORDERS")  # same size, new mtime: hashed again
    os.utime(path, ns=(first.mtime_ns + 10**9, first.mtime_ns + 10**9))
    again = discover(raw, known)[0]
    assert read == [path] and again.sha256 == hashlib.sha256(b"ORDERS").hexdigest()
