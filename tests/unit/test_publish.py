"""govdw.publish: atomic replace keeps old readers working; a failed copy leaves the old file."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from govdw import publish as publish_mod
from govdw.publish import PublishError, publish, table_row_counts


def _make_db(path: Path, values: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("create or replace table t (v integer)")
    con.executemany("insert into t values (?)", [[v] for v in values])
    con.close()


def test_publish_copies_and_replaces(tmp_path: Path) -> None:
    """The warehouse gets the build DB's tables; no temp files are left behind."""
    build = tmp_path / "build" / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [1, 2, 3])
    done = publish(build, warehouse)
    assert done.path == warehouse and done.how in ("clone", "kernel", "chunks")
    assert table_row_counts(warehouse) == {"t": 3}
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["govdw.duckdb"]


def test_publish_copies_nothing_when_the_warehouse_already_is_this_build(tmp_path: Path) -> None:
    """A second publish of an untouched build copies nothing; any write to the build, or a
    replaced warehouse, publishes again."""
    build = tmp_path / "build" / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [1, 2, 3])
    first = publish(build, warehouse)
    inode = warehouse.stat().st_ino
    again = publish(build, warehouse)
    assert (again.how, warehouse.stat().st_ino) == ("unchanged", inode)
    _make_db(build, [4])  # the build changed: published again
    assert publish(build, warehouse).how == first.how
    assert table_row_counts(warehouse) == {"t": 1}
    warehouse.unlink()  # somebody removed the published file: it comes back
    assert publish(build, warehouse).how == first.how
    assert table_row_counts(warehouse) == {"t": 1}


def test_publish_falls_back_to_a_copy_through_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without copy-on-write and without copy_file_range the bytes are copied all the same."""

    def refuse(*args: object) -> int:
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(publish_mod.os, "copy_file_range", refuse)
    build = tmp_path / "build" / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [1, 2, 3, 4])
    assert publish(build, warehouse).how == "chunks"
    assert table_row_counts(warehouse) == {"t": 4}
    assert warehouse.read_bytes() == build.read_bytes()


def test_reader_of_old_file_keeps_reading_old_data(tmp_path: Path) -> None:
    """An analyst's open read-only connection neither blocks the publish nor sees a torn file."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [1])
    publish(build, warehouse)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert reader.execute("select sum(v) from t").fetchone() == (1,)
        _make_db(build, [10, 20])
        publish(build, warehouse)
        # The old connection still reads the old version it has open.
        assert reader.execute("select sum(v) from t").fetchone() == (1,)
    finally:
        reader.close()
    fresh = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert fresh.execute("select sum(v) from t").fetchone() == (30,)
    finally:
        fresh.close()


def test_failed_copy_leaves_previous_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy failing half-way raises PublishError, keeps the old file and removes the temp file."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [5])
    publish(build, warehouse)
    _make_db(build, [7, 8])

    def broken_copy(src: Path, dst: Path) -> None:
        dst.write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish_mod, "_copy_synced", broken_copy)
    with pytest.raises(PublishError, match="no space left on device at") as err:
        publish(build, warehouse)
    assert str(warehouse.parent) in str(err.value)
    assert re.search(r"free at least \d+ MiB there", str(err.value))
    assert f"the previous warehouse {warehouse} is unchanged" in str(err.value)
    assert table_row_counts(warehouse) == {"t": 1}
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["govdw.duckdb"]


def test_missing_build_db_is_explained(tmp_path: Path) -> None:
    """Publishing a build DB that was never written names the file and what to do."""
    with pytest.raises(PublishError, match="does not exist"):
        publish(tmp_path / "nope.duckdb", tmp_path / "wh.duckdb")


def _fail_on_write(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """Make the copy's write raise `exc` after a partial write, as a full disk does."""

    def broken_copy(src: Path, dst: Path) -> None:
        with dst.open("xb") as out:
            out.write(b"partial")
            raise exc

    monkeypatch.setattr(publish_mod, "_copy_synced", broken_copy)


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), "no space left on device at {folder}"),
        (OSError(errno.EDQUOT, os.strerror(errno.EDQUOT)), "no space left on device at {folder}"),
        (
            PermissionError(errno.EACCES, os.strerror(errno.EACCES), "{tmp}"),
            "permission denied on {folder}",
        ),
        (MemoryError(), "out of memory while publishing"),
    ],
)
def test_failure_names_the_cause_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, words: str
) -> None:
    """ENOSPC, EACCES and MemoryError are said in words with the path; the old file stays."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [5])
    publish(build, warehouse)
    _make_db(build, [7, 8])
    if isinstance(exc, OSError) and exc.filename:
        exc.filename = str(warehouse.parent / "x.tmp")
    _fail_on_write(monkeypatch, exc)
    with pytest.raises(PublishError) as err:
        publish(build, warehouse)
    assert words.format(folder=warehouse.parent) in str(err.value)
    assert "previous warehouse" in str(err.value) and "unchanged" in str(err.value)
    assert table_row_counts(warehouse) == {"t": 1}
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["govdw.duckdb"]


def test_too_little_space_is_refused_before_copying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the folder has less free space than the copy needs, nothing is written at all."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [5])
    monkeypatch.setattr(publish_mod, "_free_bytes", lambda folder: 1024)
    with pytest.raises(
        PublishError, match=r"no space left on device at .*: the copy needs \d+ MiB"
    ):
        publish(build, warehouse)
    assert list(warehouse.parent.iterdir()) == []


def test_interrupt_during_copy_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KeyboardInterrupt (SIGINT, Dagster's interrupt) mid-copy leaves no warehouse-sized file."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [5])
    _fail_on_write(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        publish(build, warehouse)
    assert list(warehouse.parent.iterdir()) == []


def test_temp_files_of_dead_publishers_are_removed(tmp_path: Path) -> None:
    """Leftovers of a dead process go; a live process's temp file and other files stay."""
    build = tmp_path / "b.duckdb"
    warehouse = tmp_path / "wh" / "govdw.duckdb"
    _make_db(build, [5])
    warehouse.parent.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        leftover = warehouse.parent / f".govdw.duckdb.tmp-{dead.pid}-0badc0de"
        live_tmp = warehouse.parent / f".govdw.duckdb.tmp-{alive.pid}-00c0ffee"
        other = warehouse.parent / f".other.duckdb.tmp-{dead.pid}-0badc0de"
        for path in (leftover, live_tmp, other):
            path.write_bytes(b"x" * 1000)
        publish(build, warehouse)
        names = sorted(p.name for p in warehouse.parent.iterdir())
        assert names == sorted(["govdw.duckdb", live_tmp.name, other.name])
    finally:
        alive.kill()
        alive.wait()


def test_temp_file_of_a_reused_pid_is_removed(tmp_path: Path) -> None:
    """A live process that started after the temp file was last written is not its writer."""
    warehouse = tmp_path / "govdw.duckdb"
    stale = tmp_path / f".govdw.duckdb.tmp-{os.getpid()}-0badc0de"
    stale.write_bytes(b"x")
    os.utime(stale, (1_000_000_000, 1_000_000_000))  # written in 2001, long before this process
    # Our own pid is skipped on purpose (a publish in progress here); use the parent's instead.
    parent = tmp_path / f".govdw.duckdb.tmp-{os.getppid()}-0badc0de"
    parent.write_bytes(b"x")
    os.utime(parent, (1_000_000_000, 1_000_000_000))
    assert publish_mod.remove_stale_temp_files(warehouse) == [parent]
    assert stale.exists()


def test_run_failure_message_names_the_publish_cause() -> None:
    """`govdw run` prints the PublishError text, not Dagster's wrapper around it."""
    from types import SimpleNamespace

    from dagster._utils.error import SerializableErrorInfo

    from orchestration.lib.run import failure_message as _failure_message

    os_error = SerializableErrorInfo("OSError: [Errno 28] No space left on device\n", [], "OSError")
    publish_error = SerializableErrorInfo(
        "govdw.publish.PublishError: could not publish /w/govdw.duckdb: no space left on device "
        "at /w: the copy needs 9 MiB and 1 MiB are free; free at least 24 MiB there\n",
        [],
        "PublishError",
        cause=os_error,
    )
    wrapper = SerializableErrorInfo(
        "dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while "
        'executing op "published_warehouse":\n',
        [],
        "DagsterExecutionStepExecutionError",
        cause=publish_error,
    )
    event = SimpleNamespace(
        is_step_failure=True,
        event_type_value="STEP_FAILURE",
        step_key="published_warehouse",
        step_failure_data=SimpleNamespace(error=wrapper),
    )
    message = _failure_message(SimpleNamespace(all_events=[event]))
    assert message.startswith(
        "step published_warehouse failed: could not publish /w/govdw.duckdb: no space left on "
        "device at /w"
    )
    assert "free at least 24 MiB" in message


# ------------------------------------- run-level files: writer lock, run log, traceback file


def test_writer_lock_waits_for_a_live_holder_and_not_for_a_killed_one(tmp_path: Path) -> None:
    """The lock names its holder while it lives; SIGKILL of the holder frees it at once."""
    import signal

    from govdw import runlock

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from govdw import runlock\n"
            "lock = runlock.WriterLock(Path(sys.argv[1]))\n"
            "assert lock.try_acquire(runlock.this_process(run_id='r-1'))\n"
            "print('locked', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        lock = runlock.WriterLock(tmp_path)
        told: list[tuple[dict[str, object] | None, float]] = []
        sleeps: list[float] = []
        with pytest.raises(TimeoutError):
            lock.acquire(
                runlock.this_process(run_id="r-2"),
                lambda h, waited: told.append((h, waited)),
                sleep=sleeps.append,
                timeout=30,
            )
        assert told and told[0][0] is not None
        assert told[0][0]["pid"] == holder.pid and told[0][0]["run_id"] == "r-1"
        assert "run r-1 (pid" in runlock.describe(told[0][0])
        assert sleeps[0] < sleeps[-1] <= 5.0, "the wait backs off"
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        lock.acquire(runlock.this_process(run_id="r-2"), lambda h, w: None, timeout=5)
        assert lock.holder() is not None and lock.holder()["run_id"] == "r-2"  # type: ignore[index]
        assert (tmp_path / runlock.LOCK_NAME).stat().st_mode & 0o777 == 0o600
        lock.release()
    finally:
        holder.kill()
        holder.wait()


def test_run_logs_are_new_private_files(tmp_path: Path) -> None:
    """A run log is created exclusively (never shared, never through a symlink), mode 0600."""
    from orchestration.lib.progress import RunLog

    log = RunLog(tmp_path / "logs" / "run-1.log")
    log.write("hello\n")
    log.close()
    assert (tmp_path / "logs" / "run-1.log").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        RunLog(tmp_path / "logs" / "run-1.log")
    (tmp_path / "logs" / "run-2.log").symlink_to(tmp_path / "target")
    with pytest.raises(FileExistsError):
        RunLog(tmp_path / "logs" / "run-2.log")
    assert not (tmp_path / "target").exists()


def test_traceback_goes_to_a_private_file_under_dagster_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unexpected error's traceback lands in DAGSTER_HOME/logs (0600), not a fixed /tmp path."""
    from govdw import cli

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))

    def boom(**kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(cli.cli, "main", boom)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["run"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    found = re.search(r"full traceback in (\S+);", err)
    assert found, err
    path = Path(found[1])
    assert path.parent == tmp_path / "home" / "logs"
    assert path.stat().st_mode & 0o777 == 0o600
    assert "kaboom" in path.read_text(encoding="utf-8")
