"""raw_files_sensor: new or changed files become partitions and runs; unchanged ones nothing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from dagster import (
    DagsterInstance,
    SensorResult,
    SkipReason,
    build_sensor_context,
    instance_for_test,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from orchestration.defs.ingest.sensors import raw_files_sensor
from orchestration.lib.raw_files import contiguous_ranges, partition_key
from orchestration.lib.resources import GovdwPaths


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _tick(instance: DagsterInstance, raw: Path, cursor: str | None) -> SensorResult | SkipReason:
    context = build_sensor_context(
        instance=instance, cursor=cursor, resources={"paths": GovdwPaths(raw_dir=str(raw))}
    )
    result = raw_files_sensor(context)
    if isinstance(result, SensorResult):
        # Apply what the daemon would: the partitions requested, and the new cursor.
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return result  # type: ignore[return-value]


def _requested(result: SensorResult) -> list[tuple[str | None, str | None, str | None]]:
    return [
        (
            r.partition_key,
            r.tags.get(ASSET_PARTITION_RANGE_START_TAG),
            r.tags.get(ASSET_PARTITION_RANGE_END_TAG),
        )
        for r in result.run_requests or []
    ]


def test_sensor_requests_exactly_new_and_changed_files(tmp_path: Path) -> None:
    """New files -> partitions + one range run; unchanged -> skip; changed -> requested again."""
    raw = tmp_path / "raw"
    _write(raw / "640522" / "2023" / "a.csv", "a")
    _write(raw / "640522" / "b.xlsx", "b")
    _write(raw / "653024-乌恰县" / "c.csv", "c")
    _write(raw / "640522" / "~$b.xlsx", "lock file")
    _write(raw / "640522" / ".hidden.csv", "hidden")
    _write(raw / "README.md", "docs")
    with instance_for_test() as instance:
        first = _tick(instance, raw, None)
        assert isinstance(first, SensorResult)
        assert [r.partition_keys for r in first.dynamic_partitions_requests] == [  # type: ignore[union-attr]
            ["640522/2023/a.csv", "640522/b.xlsx", "653024-乌恰县/c.csv"]
        ]
        assert _requested(first) == [(None, "640522/2023/a.csv", "653024-乌恰县/c.csv")]
        assert instance.get_dynamic_partitions("raw_files") == [
            "640522/2023/a.csv",
            "640522/b.xlsx",
            "653024-乌恰县/c.csv",
        ]

        unchanged = _tick(instance, raw, first.cursor)
        assert isinstance(unchanged, SkipReason)
        assert unchanged.skip_message == "no new or changed files in the raw folder"

        # Same bytes with a new mtime: re-hashed, but not requested.
        touched = raw / "640522" / "b.xlsx"
        os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
        assert isinstance(_tick(instance, raw, first.cursor), SkipReason)

        _write(raw / "640522" / "b.xlsx", "b, new version")
        _write(raw / "640522" / "d.csv", "d")
        changed = _tick(instance, raw, first.cursor)
        assert isinstance(changed, SensorResult)
        assert [r.partition_keys for r in changed.dynamic_partitions_requests] == [["640522/d.csv"]]  # type: ignore[union-attr]
        # b is in the middle of the known order, d is appended: two separate requests.
        assert _requested(changed) == [("640522/b.xlsx", None, None), ("640522/d.csv", None, None)]


def test_contiguous_ranges_and_bad_keys() -> None:
    """Requested keys group into runs of neighbours; paths Dagster rejects get a stable id."""
    order = ["a", "b", "c", "d", "e"]
    assert contiguous_ranges(order, {"a", "b", "d"}) == [("a", "b"), ("d", "d")]
    assert contiguous_ranges(order, set()) == []
    assert partition_key("640522/x.csv") == "640522/x.csv"
    assert (
        partition_key("640522/a...b.csv")
        == "file-" + hashlib.sha1(b"640522/a...b.csv").hexdigest()[:16]
    )
