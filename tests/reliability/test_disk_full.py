"""Disk full during publish: the run fails saying "no space left" and where; the previous
warehouse still opens with its old content (issue 11)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_run_recovery import Run, govdw_run, make_tiny_raw, run_env, table_hashes, temp_leftovers

pytestmark = pytest.mark.slow


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """An empty folder on its own tmpfs (size set by the test with `remount`), unmounted after."""
    mount = tmp_path / "full-disk"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_at_publish_keeps_the_previous_warehouse(
    tmp_path: Path, small_tmpfs: Path
) -> None:
    """The warehouse folder has room for the old file but not for the new copy."""
    raw = make_tiny_raw(tmp_path / "raw-base")
    base = tmp_path / "run"
    # The build database lives on the normal disk: only the publish step meets the full disk.
    env = run_env(base, raw, GOVDW_BUILD_DB=str(base / "build" / "govdw_build.duckdb"))
    first_wh = Path(env["GOVDW_WAREHOUSE"])
    govdw_run(env, "first")
    old = table_hashes(first_wh)

    warehouse = small_tmpfs / "govdw.duckdb"
    shutil.copyfile(first_wh, warehouse)
    size_kib = warehouse.stat().st_size // 1024 + 256  # the old file plus 256 KiB: no room
    subprocess.run(
        ["mount", "-o", f"remount,size={size_kib}k", str(small_tmpfs)], check=True, timeout=30
    )
    run = Run({**env, "GOVDW_WAREHOUSE": str(warehouse)}, "full")
    code = run.finish()
    assert code == 1, run.output
    assert f"no space left on device at {small_tmpfs}" in run.output, run.output
    assert "MiB" in run.output and "previous warehouse" in run.output
    assert "step published_warehouse failed" in run.output
    assert table_hashes(warehouse) == old
    assert temp_leftovers(warehouse) == []
    # Once there is room again, the same command publishes.
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_tmpfs)], check=True, timeout=30)
    govdw_run({**env, "GOVDW_WAREHOUSE": str(warehouse)}, "after")
    assert table_hashes(warehouse) == old
