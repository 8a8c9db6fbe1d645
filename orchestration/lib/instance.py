"""The Dagster instance folder: telemetry off and one writer at a time, however runs are started."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from govdw import runlock, settings

if TYPE_CHECKING:
    from dagster import DagsterInstance
    from dagster._core.storage.dagster_run import DagsterRun

#: Written into DAGSTER_HOME when it holds no dagster.yaml. One run at a time (run queue) and a
#: pool limit of 1 keep a second writer off the build database even when runs are launched from
#: the UI, the sensor and the schedule at once.
INSTANCE_YAML = """\
# govdw: written by govdw (orchestration/lib/instance.py); edit freely, it is not overwritten.
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
"""


def ensure_instance_yaml(dagster_home: Path) -> Path:
    """Create `dagster_home/dagster.yaml` with govdw's settings if missing; return its path."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    path = dagster_home / "dagster.yaml"
    if not path.exists():
        # Two runs may start at once on a fresh home: each writes its own temp file and links it
        # into place; the loser's link fails harmlessly and a user's edits are never overwritten.
        tmp = dagster_home / f".dagster.yaml.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            tmp.write_text(INSTANCE_YAML, encoding="utf-8")
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path


# -------------------------------------------------------------- production (`govdw serve`)

#: The first line of a dagster.yaml that `govdw serve` owns and rewrites at every start.
SERVE_HEADER = (
    "# govdw serve: rewritten at every start of `govdw serve` from the GOVDW_* settings "
    "(orchestration/lib/instance.py).\n"
    "# To manage this file yourself, delete these two lines: serve then only validates it.\n"
)


class InstanceConfigError(ValueError):
    """The instance cannot be configured as asked (what to set or install is in the message)."""


#: The database driver dagster-postgres installs (psycopg2-binary).
PG_DRIVER = "psycopg2"


def check_postgres_url(url: str) -> None:
    """Raise InstanceConfigError unless `url` names PostgreSQL and an installed driver.

    SQLAlchemy 2.1 reads a bare `postgresql://` as psycopg 3, which govdw does not install;
    dagster-postgres brings psycopg2, so the URL says `postgresql+psycopg2://`.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    dialect, _, driver = scheme.partition("+")
    if dialect != "postgresql":
        raise InstanceConfigError(
            "GOVDW_DAGSTER_PG_URL must start postgresql+psycopg2:// "
            f"(it starts {scheme + '://' if scheme else 'with no scheme'})"
        )
    if not driver or importlib.util.find_spec(driver) is None:
        raise InstanceConfigError(
            "GOVDW_DAGSTER_PG_URL must name an installed driver: postgresql+psycopg2://… "
            + (
                "(SQLAlchemy 2.1 reads a bare postgresql:// as psycopg 3, which is not installed)"
                if not driver
                else f"({driver} is not installed)"
            )
        )


def _postgres_storage(fields: Mapping[str, str]) -> dict[str, Any]:
    """Dagster's `storage: postgres:` block, every value read from its variable at start-up."""
    if "postgres_url" in fields:
        return {"postgres_url": {"env": fields["postgres_url"]}}
    missing = [
        settings.DAGSTER_PG_VARS[f] for f in ("hostname", "username", "db_name") if f not in fields
    ]
    if missing:
        raise InstanceConfigError(
            f"PostgreSQL for the Dagster instance needs {', '.join(missing)} as well "
            f"(or one GOVDW_DAGSTER_PG_URL); unset every GOVDW_DAGSTER_PG_* to keep SQLite"
        )
    database: dict[str, Any] = {field: {"env": var} for field, var in fields.items()}
    # Named: SQLAlchemy 2.1 takes a bare postgresql:// for psycopg 3, which is not installed.
    database["scheme"] = f"postgresql+{PG_DRIVER}"
    return {"postgres_db": database}


def render_serve_yaml(home: Path, postgres: Mapping[str, str] | None) -> str:
    """The dagster.yaml of a production instance in `home`.

    Run, event and schedule storage in SQLite under `home`, or PostgreSQL when `postgres` maps
    storage fields to the variables holding them (`govdw.settings.dagster_postgres`); the run
    queue (QueuedRunCoordinator, one run at a time: the pipeline's runs hold the single-writer
    build database, and the pool limit of 1 keeps a run started by `govdw run` off it too);
    telemetry off; step output (compute logs) in `home/compute_logs`; run monitoring on, so a
    run stuck starting or cancelling is failed instead of holding the queue.
    """
    config: dict[str, Any] = {
        "telemetry": {"enabled": False},
        "storage": (
            {"postgres": _postgres_storage(postgres)}
            if postgres
            else {"sqlite": {"base_dir": str(home)}}
        ),
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
        },
        "concurrency": {"runs": {"max_concurrent_runs": 1}, "pools": {"default_limit": 1}},
        "compute_logs": {
            "module": "dagster.core.storage.local_compute_log_manager",
            "class": "LocalComputeLogManager",
            "config": {"base_dir": str(home / "compute_logs")},
        },
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": 300,
            "cancel_timeout_seconds": 300,
        },
    }
    return SERVE_HEADER + yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def validate_instance_yaml(home: Path) -> None:
    """Raise InstanceConfigError when Dagster would refuse `home/dagster.yaml`."""
    from dagster._core.errors import DagsterInvalidConfigError
    from dagster._core.instance.config import dagster_instance_config

    try:
        dagster_instance_config(str(home))
    except (DagsterInvalidConfigError, yaml.YAMLError) as exc:
        raise InstanceConfigError(
            f"{home / 'dagster.yaml'} is not a valid instance: {exc}"
        ) from exc
    text = (home / "dagster.yaml").read_text(encoding="utf-8")
    if "postgres" in text and importlib.util.find_spec("dagster_postgres") is None:
        raise InstanceConfigError(
            f"{home / 'dagster.yaml'} stores the instance in PostgreSQL, but dagster-postgres is "
            "not installed: pip install -c constraints.txt -e '.[postgres]'"
        )


def write_serve_yaml(home: Path, postgres: Mapping[str, str] | None) -> tuple[Path, str]:
    """Write the production dagster.yaml into `home` unless a person manages it; validate it.

    Returns its path and what was done: "written", "unchanged" or "kept" (a file without the
    serve header: serve's own earlier file with the header removed, or any other hand-made
    one). The default file `ensure_instance_yaml` writes is replaced, as serve's is a superset.
    """
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    text = render_serve_yaml(home, postgres)
    try:
        current: str | None = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    if current == text:
        action = "unchanged"
    elif current is None or current.startswith(SERVE_HEADER) or current == INSTANCE_YAML:
        # The webserver and the daemon units start at once: each writes its own temp file and
        # renames it into place, so neither ever reads half a file.
        tmp = home / f".dagster.yaml.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        action = "written"
    else:
        action = "kept"
    validate_instance_yaml(home)
    return path, action


def initialize_storage(home: Path) -> None:
    """Create (or check) the instance's storage once, before the processes sharing it start.

    On a fresh SQLite home the webserver, the daemon and their code servers otherwise create the
    tables at the same moment and can leave the schedule database with two alembic heads ("Version
    table 'alembic_version' has more than one head present"), after which the code location never
    loads. With PostgreSQL this is also where an unreachable server shows, before anything starts.
    The webserver and daemon units start together: a lock file makes them take turns.
    """
    from dagster import DagsterInstance

    with (home / ".govdw-storage-init.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = DagsterInstance.from_config(str(home))
        try:
            instance.get_runs(limit=1)
        finally:
            instance.dispose()


# ------------------------------------------------------------------ runs left behind by a kill

#: Run tags written by `govdw run`: which process runs it, so a later run can tell it is gone.
PID_TAG = "govdw/pid"
HOST_TAG = "govdw/host"
PID_STARTED_TAG = "govdw/pid_started"
#: The value of `govdw.runlock.RUN_ENV` in the run's processes (ingest workers, dbt).
TOKEN_TAG = "govdw/run_token"


def process_tags(token: str) -> dict[str, str]:
    """The tags that tie a run to this process (see `recover_dead_runs`)."""
    me = runlock.this_process()
    return {
        PID_TAG: str(me["pid"]),
        HOST_TAG: str(me["host"]),
        PID_STARTED_TAG: f"{me['pid_started']:.3f}",
        TOKEN_TAG: token,
    }


@dataclass(frozen=True)
class Holder:
    """A live run holding (or queued for) a writer slot: whom a new run waits for."""

    run_id: str
    status: str
    pid: str | None
    started: str | None

    def describe(self) -> str:
        """`run R (pid N, started T, status S)`."""
        parts = [f"pid {self.pid}" if self.pid else "launched from the UI, sensor or schedule"]
        if self.started:
            parts.append(f"started {self.started}")
        parts.append(f"status {self.status}")
        return f"run {self.run_id} ({', '.join(parts)})"


def _run_process_alive(run: DagsterRun) -> bool | None:
    """Whether the process recorded on a govdw run lives (None: not a govdw run, cannot tell)."""
    pid = run.tags.get(PID_TAG)
    if not pid or not pid.isdigit():
        return None
    started = run.tags.get(PID_STARTED_TAG)
    try:
        started_at = float(started) if started else None
    except ValueError:
        started_at = None
    return runlock.process_alive(int(pid), started_at, run.tags.get(HOST_TAG))


def recover_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed every unfinished govdw run whose process is gone; free every slot it held.

    Also stops the processes such a run left behind (a dbt still writing the build database)
    and frees writer slots held by runs that are finished or no longer exist. Runs launched by
    the UI, sensor or schedule (no govdw pid tag) are left to Dagster's run monitoring.
    Returns messages describing what was cleaned up.
    """
    from dagster import DagsterRunStatus, RunsFilter
    from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES

    notes: list[str] = []
    for run in instance.get_runs(RunsFilter(statuses=list(NOT_FINISHED_STATUSES))):
        if _run_process_alive(run) is not False:
            continue
        pid = run.tags.get(PID_TAG)
        stopped = runlock.stop_orphans(run.tags.get(TOKEN_TAG, ""))
        message = (
            f"marked failed by a later govdw run: its process {pid} on {run.tags.get(HOST_TAG)} "
            "is gone (killed?)"
        )
        if run.status != DagsterRunStatus.FAILURE:
            instance.report_run_failed(run, message=message)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        notes.append(
            f"run {run.run_id} (pid {pid}) was left {run.status.value} by a process that is gone: "
            "marked failed, its writer slot freed"
            + (f", {len(stopped)} leftover process(es) stopped" if stopped else "")
        )
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return notes
    for key in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(key)
        owners = {slot.run_id for slot in info.claimed_slots}
        owners |= {step.run_id for step in info.pending_steps}
        for run_id in owners:
            record = instance.get_run_by_id(run_id)
            if record is None or record.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
                notes.append(f"freed the {key} slot still held by finished run {run_id}")
    return notes


def writer_holders(
    instance: DagsterInstance, pool: str, exclude: str | None = None
) -> list[Holder]:
    """Unfinished runs holding a slot of `pool` (other than `exclude`)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits or pool not in storage.get_concurrency_keys():
        return []
    info = storage.get_concurrency_info(pool)
    holders = []
    for run_id in sorted({slot.run_id for slot in info.claimed_slots} - {exclude}):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            continue
        record = instance.get_run_record_by_id(run_id)
        started = None
        if record is not None and record.start_time:
            started = datetime.fromtimestamp(record.start_time, UTC).isoformat(timespec="seconds")
        holders.append(Holder(run_id, run.status.value, run.tags.get(PID_TAG), started))
    return holders


def fix_pool_wait_spin() -> None:
    """Make Dagster's in-process wait for a pool slot sleep instead of spinning.

    dagster 1.13's `InstanceConcurrencyContext.interval_to_next_pending_claim_check` returns
    `min([0, ...])`, never more than 0, so a step waiting for a busy pool slot polls in a tight
    loop at 100% CPU. The intended value is the time until the next claim check (1 s growing
    to 15 s). Idempotent.
    """
    import time

    from dagster._core.execution.plan import instance_concurrency_context as icc

    cls = icc.InstanceConcurrencyContext
    if getattr(cls, "_govdw_no_spin", False):
        return

    def interval_to_next_pending_claim_check(self: Any) -> float:
        if not self._pending_claims:
            return 0.0
        timeouts = list(self._pending_timeouts.values())
        if not timeouts:
            return 0.0
        return max(0.0, min(timeouts) - time.time())

    cls.interval_to_next_pending_claim_check = interval_to_next_pending_claim_check  # type: ignore[method-assign]
    cls._govdw_no_spin = True  # type: ignore[attr-defined]
