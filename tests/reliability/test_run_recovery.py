"""A killed `govdw run` never blocks the next one; concurrent runs wait for each other, say whom
they wait for and stop cleanly on SIGTERM (issue 11)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
#: The smallest sample region holding all three detail datasets (25 files): a run takes ~25 s.
REGION = "150303-海南区"
RUN_TIMEOUT = 300


# ------------------------------------------------------------------ helpers (also used elsewhere)


def make_tiny_raw(base: Path) -> Path:
    """A raw folder with one sample region, written by `govdw sample`."""
    full, tiny = base / "sample-raw", base / "raw"
    subprocess.run(
        [str(BIN / "govdw"), "sample", "--raw-dir", str(full), "--scale", "0.003", "--seed", "7"],
        check=True,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        env={**os.environ, "GOVDW_PII_KEY": "recovery-key"},
    )
    tiny.mkdir()
    shutil.copytree(full / REGION, tiny / REGION)
    shutil.rmtree(full)
    return tiny


def run_env(base: Path, raw: Path, **extra: str) -> dict[str, str]:
    """Environment for a `govdw run` with its own Dagster home and warehouse under `base`."""
    (base / "dagster").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(base / "dagster"),
        "GOVDW_RAW_DIR": str(raw),
        "GOVDW_WAREHOUSE": str(base / "warehouse" / "govdw.duckdb"),
        "GOVDW_PII_KEY": "recovery-key",
        **extra,
    }
    env.pop("GOVDW_BUILD_DB", None)
    env.pop("GOVDW_TEST_PAUSE_AT", None)
    env.update(extra)
    return env


class Run:
    """A `govdw run` subprocess whose output goes to files that can be polled."""

    def __init__(self, env: dict[str, str], name: str, *args: str) -> None:
        """Start `govdw run ARGS` with `env`; output in `<DAGSTER_HOME>/../<name>.out|err`."""
        folder = Path(env["DAGSTER_HOME"]).parent
        self.out_path, self.err_path = folder / f"{name}.out", folder / f"{name}.err"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [str(BIN / "govdw"), "run", *args], env=env, stdout=out, stderr=err
            )

    @property
    def output(self) -> str:
        """stdout and stderr so far."""
        return self.out_path.read_text(
            encoding="utf-8", errors="replace"
        ) + self.err_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float = RUN_TIMEOUT) -> None:
        """Wait until the output matches `pattern` (fails if the run ends first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.output):
                return
            if self.proc.poll() is not None:
                pytest.fail(
                    f"run ended ({self.proc.returncode}) before {pattern!r}:\n{self.output}"
                )
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"no {pattern!r} within {timeout}s:\n{self.output}")

    def finish(self, timeout: float = RUN_TIMEOUT) -> int:
        """Wait for the end and return the exit code (on timeout: kill the run, fail the test)."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"run did not end within {timeout}s:\n{self.output}")

    def kill(self) -> None:
        """SIGKILL the run (only this process: its children are left, as a real kill would)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)


def govdw_run(env: dict[str, str], name: str = "run") -> Run:
    """A plain `govdw run` that must succeed."""
    run = Run(env, name)
    code = run.finish()
    assert code == 0, run.output
    return run


def table_hashes(warehouse: Path) -> dict[str, str]:
    """An order-independent content hash per table/view in main (load timestamps left out)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        ]
        hashes = {}
        for name in sorted(names):
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'main' and table_name = ? "
                    "and column_name not in ('loaded_at') order by ordinal_position",
                    [name],
                ).fetchall()
            ]
            select = ", ".join(f'"{c}"' for c in cols)
            row = con.execute(
                f"select count(*), md5(coalesce(string_agg(h, ',' order by h), '')) from "
                f'(select md5(cast(row({select}) as varchar)) as h from main."{name}")'
            ).fetchone()
            hashes[name] = f"{row[0]}:{row[1]}" if row else ""
        return hashes
    finally:
        con.close()


def temp_leftovers(warehouse: Path) -> list[str]:
    """Publish temp files next to the warehouse."""
    return sorted(p.name for p in warehouse.parent.glob(f".{warehouse.name}.tmp-*"))


# ------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sample region, shared by the module (read only)."""
    return make_tiny_raw(tmp_path_factory.mktemp("recovery-raw"))


@pytest.fixture(scope="module")
def reference(tiny_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Table hashes of an uninterrupted run."""
    env = run_env(tmp_path_factory.mktemp("reference"), tiny_raw)
    govdw_run(env)
    return table_hashes(Path(env["GOVDW_WAREHOUSE"]))


@pytest.fixture
def cleanup() -> Iterator[list[Run]]:
    """Runs to SIGKILL at the end of the test, whatever happened."""
    runs: list[Run] = []
    yield runs
    for run in runs:
        run.kill()


# --------------------------------------------------------------------------------------- tests

#: How to catch a run in each phase: a line it prints there, and the env it needs.
PHASES: dict[str, tuple[str, dict[str, str]]] = {
    "ingest": (r"files \d+/\d+", {}),
    "dbt": (r"dbt build \d+/\d+", {}),
    "publish": (r"test pause at publish", {"GOVDW_TEST_PAUSE_AT": "publish"}),
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_killed_run_never_blocks_the_next(
    phase: str,
    tiny_raw: Path,
    reference: dict[str, Any],
    tmp_path: Path,
    cleanup: list[Run],
) -> None:
    """SIGKILL during ingest, dbt or publish; the next plain run completes with the same tables."""
    pattern, extra = PHASES[phase]
    env = run_env(tmp_path, tiny_raw)
    warehouse = Path(env["GOVDW_WAREHOUSE"])
    victim = Run({**env, **extra}, "victim")
    cleanup.append(victim)
    victim.wait_for(pattern)
    victim.kill()
    if phase == "publish":
        assert temp_leftovers(warehouse), "the pause should come after the temp copy"

    started = time.monotonic()
    after = govdw_run(env, "after")
    assert time.monotonic() - started < RUN_TIMEOUT
    assert "was left STARTED by a process that is gone" in after.output, after.output
    assert table_hashes(warehouse) == reference
    assert temp_leftovers(warehouse) == []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from fct_hotline_orders").fetchone()[0] > 0  # type: ignore[index]
    finally:
        con.close()
    # A second plain run finds nothing left to clean and still succeeds.
    again = govdw_run(env, "again")
    assert "by a process that is gone" not in again.output


def test_concurrent_runs_wait_and_both_succeed(
    tiny_raw: Path, reference: dict[str, Any], tmp_path: Path, cleanup: list[Run]
) -> None:
    """Two runs at once: one waits, saying for whom; both end well. The waiter then finds
    nothing changed since the run it waited for, and says so instead of running again."""
    env = run_env(tmp_path, tiny_raw)
    first, second = Run(env, "first"), Run(env, "second")
    cleanup += [first, second]
    codes = [first.finish(), second.finish()]
    assert codes == [0, 0], first.output + second.output
    waits = [r for r in (first, second) if "waiting for run" in r.output]
    assert len(waits) == 1, first.output + second.output
    other = second if waits[0] is first else first
    run_id = re.search(r"run ([0-9a-f-]{36}); full log", other.output)
    assert run_id, other.output
    assert re.search(
        rf"waiting for run {run_id[1]} \(pid {other.proc.pid}, started ", waits[0].output
    )
    assert f"nothing changed since run {run_id[1]}" in waits[0].output, waits[0].output
    assert "full log:" not in waits[0].output  # no second Dagster run
    log = re.search(r"full log: (\S+)", other.output)
    assert log and Path(log[1]).is_file()
    assert table_hashes(Path(env["GOVDW_WAREHOUSE"])) == reference


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_a_waiting_run(
    sig: signal.Signals, tiny_raw: Path, tmp_path: Path, cleanup: list[Run]
) -> None:
    """A run waiting for a live writer stops promptly on SIGTERM/SIGINT, with a clear message."""
    env = run_env(tmp_path, tiny_raw)
    holder = Run({**env, "GOVDW_TEST_PAUSE_AT": "publish"}, "holder")
    cleanup.append(holder)
    holder.wait_for("test pause at publish")
    waiter = Run(env, "waiter")
    cleanup.append(waiter)
    waiter.wait_for(rf"waiting for run \S+ \(pid {holder.proc.pid}, started")
    time.sleep(1)  # waiting: sleeping, not spinning
    stopped_at = time.monotonic()
    waiter.proc.send_signal(sig)
    code = waiter.finish(timeout=15)
    assert time.monotonic() - stopped_at < 10
    assert code == 128 + sig, waiter.output
    assert f"stopped by {sig.name} while waiting for run" in waiter.output
    assert "nothing was changed" in waiter.output
    assert holder.proc.poll() is None, "the holder is not touched"
