"""One writer per Dagster home, and no dead run left in the way of the next one.

`govdw run` takes `DAGSTER_HOME/govdw-writer.lock` (a POSIX record lock, `fcntl.lockf`) before
it starts the pipeline and keeps it until the process ends. The kernel drops the lock when the
process dies, however it dies (SIGKILL included), and the lock is owned by the process, not by
its children: an ingest worker or a dbt process left running by a killed run never holds it. The
lock file holds the holder's pid, host, process start time and run id, so a waiting run can say
whom it waits for. Pure standard library + psutil: no Dagster here (see
`orchestration.lib.instance` for the Dagster side of the clean-up).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import psutil

LOCK_NAME = "govdw-writer.lock"

#: Environment variable every process of a run inherits (ingest workers, dbt): it names the run,
#: so the orphans of a killed run can be found by it and stopped, and nothing else is touched.
RUN_ENV = "GOVDW_RUN_TOKEN"

#: Test hook, read only by `pause_for_test`: `GOVDW_TEST_PAUSE_AT=publish` makes a run stop at that
#: point (printing `govdw: test pause at publish (pid N)` on stderr) so a test can kill it there.
TEST_PAUSE_ENV = "GOVDW_TEST_PAUSE_AT"

_FIRST_DELAY = 0.25
_MAX_DELAY = 5.0


class Interrupted(BaseException):
    """SIGTERM or SIGINT arrived while waiting (a BaseException, so nothing swallows it)."""

    def __init__(self, signum: int) -> None:
        """Remember which signal stopped the wait."""
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell convention: 128 + signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


def process_start_time(pid: int | None = None) -> float:
    """When process `pid` (default: this one) started, in seconds since the epoch."""
    return float(psutil.Process(pid or os.getpid()).create_time())


def process_alive(pid: int, started: float | None = None, host: str | None = None) -> bool:
    """Whether `pid` still runs and is the same process (same start time) as the one recorded.

    A process on another host cannot be checked: it counts as alive (never steal its lock).
    """
    if host and host != socket.gethostname():
        return True
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        created = proc.create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
    # A reused pid belongs to a process started later than the one recorded.
    return started is None or abs(created - started) < 1.0


def this_process(**extra: Any) -> dict[str, Any]:
    """The description of this process written into the lock file and the run's tags."""
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "pid_started": process_start_time(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
    }


def describe(holder: dict[str, Any] | None) -> str:
    """`run R (pid N on HOST, started T)` for a lock holder, in words."""
    if not holder:
        return "another govdw run (it has not written its details yet)"
    parts = [f"pid {holder.get('pid', '?')}"]
    if holder.get("host") and holder["host"] != socket.gethostname():
        parts[0] += f" on {holder['host']}"
    if holder.get("started_at"):
        parts.append(f"started {holder['started_at']}")
    run = f"run {holder['run_id']}" if holder.get("run_id") else "a govdw run"
    return f"{run} ({', '.join(parts)})"


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGINT raise `Interrupted` (main thread only)."""

    def _raise(signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(signum)

    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def backoff(
    first: float = _FIRST_DELAY, factor: float = 1.5, ceiling: float = _MAX_DELAY
) -> Iterator[float]:
    """Growing sleep intervals: first, first*factor, … up to `ceiling`."""
    delay = first
    while True:
        yield delay
        delay = min(ceiling, delay * factor)


class WriterLock:
    """The per-Dagster-home writer lock of `govdw run` (see the module docstring)."""

    def __init__(self, dagster_home: Path) -> None:
        """The lock file `dagster_home/govdw-writer.lock` (created 0600 on first use)."""
        self.path = Path(dagster_home) / LOCK_NAME
        self._fd: int | None = None
        self.info: dict[str, Any] = {}

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        return os.open(self.path, flags, 0o600)

    def try_acquire(self, info: dict[str, Any]) -> bool:
        """Take the lock without waiting; on success write `info` into the file."""
        if self._fd is not None:
            return True
        fd = self._open()
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        self._fd = fd
        self.update(**info)
        return True

    def update(self, **fields: Any) -> None:
        """Add `fields` (e.g. the run id once known) to what the lock file says about us."""
        if self._fd is None:
            return
        self.info.update(fields)
        data = json.dumps(self.info, ensure_ascii=False).encode("utf-8")
        # The same descriptor: closing another one to this file would drop the POSIX lock.
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def holder(self) -> dict[str, Any] | None:
        """What the current holder wrote about itself (None if unreadable or half-written)."""
        if self._fd is not None:
            return dict(self.info)
        try:
            value = json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def acquire(
        self,
        info: dict[str, Any],
        on_wait: Callable[[dict[str, Any] | None, float], None],
        sleep: Callable[[float], None] = time.sleep,
        timeout: float | None = None,
    ) -> None:
        """Take the lock, waiting as long as another live run holds it.

        `on_wait(holder, waited_seconds)` is called when the wait starts, when the holder changes
        and about once a minute; the wait sleeps with a growing interval (never spins).
        Raises TimeoutError after `timeout` seconds (None: wait for ever).
        """
        waited = 0.0
        last: tuple[Any, ...] | None = None
        last_told = 0.0
        for delay in backoff():
            if self.try_acquire(info):
                return
            holder = self.holder()
            key = (holder or {}).get("pid"), (holder or {}).get("run_id")
            if key != last or waited - last_told >= 60:
                on_wait(holder, waited)
                last, last_told = key, waited
            if timeout is not None and waited >= timeout:
                raise TimeoutError(f"{describe(holder)} still holds {self.path}")
            sleep(delay)
            waited += delay

    def release(self) -> None:
        """Empty the file and drop the lock."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)

    def __enter__(self) -> WriterLock:
        """Use with `acquire` called first; the block releases the lock on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock."""
        self.release()


def stop_orphans(token: str, grace: float = 5.0) -> list[int]:
    """Stop processes left behind by a dead run: those whose environment has RUN_ENV=`token`.

    Only processes of this user carrying that exact token (which only that run's children
    inherit) are touched: SIGTERM, then SIGKILL after `grace` seconds. Returns their pids.
    """
    if not token:
        return []
    me = os.getpid()
    found: list[psutil.Process] = []
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(RUN_ENV) == token:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    for proc in found:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _gone, alive = psutil.wait_procs(found, timeout=grace)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=grace)
    return [proc.pid for proc in found]


def pause_for_test(point: str) -> None:
    """Test hook: when GOVDW_TEST_PAUSE_AT names `point`, announce it and sleep (to be killed).

    Used by tests/reliability to kill a run at a known step; unset in normal use.
    """
    if os.environ.get(TEST_PAUSE_ENV) != point:
        return
    sys.stderr.write(f"govdw: test pause at {point} (pid {os.getpid()})\n")
    sys.stderr.flush()
    time.sleep(3600)
