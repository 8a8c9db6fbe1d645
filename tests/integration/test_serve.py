"""`govdw serve --role all` for real: the webserver answers, the nightly schedule and the
raw-folder sensor are RUNNING, and the daemon itself turns a schedule tick and a sensor tick
into runs that succeed and publish; SIGTERM stops it all with exit 0.

The ticks are forced without reaching into the daemon: GOVDW_NIGHTLY_CRON="* * * * *" makes the
schedule due at the next minute (it is stopped through GraphQL, as an operator would, once it has
launched a run), and the sensor sees files copied into the empty raw folder after its first,
skipped, tick.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.storage.tags import SCHEDULE_NAME_TAG, SENSOR_NAME_TAG

from govdw.sample import write_families
from govdw.sample.families import wuqia

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCATION = "govdw"
REPOSITORY = "__repository__"
SCHEDULE = "nightly_load"
SENSOR = "raw_files_sensor"

#: Two small files of one region (as tests/integration/test_ui.py).
FILES = (
    "653024-乌恰县/12345/2023/乌恰县12345工单明细（2023年4月）.xlsx",
    "653024-乌恰县/好差评/2023/乌恰县好差评评价明细_2023年5月.xlsx",
)

STARTUP_TIMEOUT = 120.0
#: The schedule fires at the next minute; the sensor's second tick comes 60 s after its first.
TICK_TIMEOUT = 150.0
RUN_TIMEOUT = 300.0

SCHEDULE_QUERY = """
query ($selector: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $selector) {
    __typename
    ... on Schedule {
      id
      cronSchedule
      scheduleState { status ticks(limit: 20) { status skipReason runIds error { message } } }
    }
    ... on Error { message }
  }
}
"""

SENSOR_QUERY = """
query ($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor {
      sensorState { status ticks(limit: 20) { status skipReason runIds error { message } } }
    }
    ... on Error { message }
  }
}
"""

STOP_SCHEDULE = """
mutation ($id: String!) {
  stopRunningSchedule(id: $id) {
    __typename
    ... on ScheduleStateResult { scheduleState { status } }
    ... on Error { message }
  }
}
"""

DAEMONS_QUERY = """
query { instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }
"""


@dataclass
class Served:
    """A running `govdw serve` and the folders it was started with."""

    process: subprocess.Popen[bytes]
    url: str
    raw: Path
    warehouse: Path
    home: Path
    logs: Path
    output: Path

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        """POST one GraphQL document; fail on transport or GraphQL-level errors."""
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def tail(self) -> str:
        """serve's console output and the daemon's log, for failure messages."""
        parts = [self.output.read_text(encoding="utf-8", errors="replace")[-5000:]]
        daemon = self.logs / "daemon.log"
        if daemon.exists():
            parts.append(daemon.read_text(encoding="utf-8", errors="replace")[-5000:])
        return "\n----\n".join(parts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM serve (only serve: it stops its children), SIGKILL the group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return -9


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`govdw serve --role all` on a free port, an empty raw folder and a private instance."""
    base = tmp_path_factory.mktemp("serve")
    sample = base / "sample"
    write_families(sample, [wuqia], scale=0.001, seed=7)
    raw = base / "raw"
    raw.mkdir()
    # The files wait beside raw/ until the sensor has ticked once on the empty folder.
    for rel in FILES:
        (base / "drop" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample / rel, base / "drop" / rel)
    shutil.rmtree(sample)
    home = base / "dagster_home"
    warehouse = base / "warehouse" / "govdw.duckdb"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "GOVDW_RAW_DIR": str(raw),
        "GOVDW_WAREHOUSE": str(warehouse),
        "GOVDW_BUILD_DB": str(base / "build" / "govdw_build.duckdb"),
        "GOVDW_LOG_DIR": str(base / "logs"),
        "GOVDW_NIGHTLY_CRON": "* * * * *",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("GOVDW_AUTOMATION", None)  # serve turns it on itself
    port = _free_port()
    output = base / "serve.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "govdw"), "serve", "--role", "all", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(
        process, f"http://127.0.0.1:{port}", raw, warehouse, home, base / "logs", output
    )
    try:
        yield served
    finally:
        _stop(process)


def _wait(what: str, served: Served, timeout: float, probe: Any, every: float = 2.0) -> Any:
    """Call `probe()` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        assert served.process.poll() is None, f"govdw serve exited early:\n{served.tail()}"
        with contextlib.suppress(requests.ConnectionError):
            found = probe()
            if found:
                return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f}s\n{served.tail()}")
        time.sleep(every)


def _schedule(served: Served, loading: bool = False) -> dict[str, Any] | None:
    """The schedule as the webserver shows it (None while `loading` and not found yet)."""
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "scheduleName": SCHEDULE,
    }
    found = served.graphql(SCHEDULE_QUERY, selector=selector)["scheduleOrError"]
    if loading and found["__typename"] != "Schedule":
        return None  # the code location is still loading
    assert found["__typename"] == "Schedule", found
    return found


def _sensor_state(served: Served) -> dict[str, Any]:
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "sensorName": SENSOR,
    }
    found = served.graphql(SENSOR_QUERY, selector=selector)["sensorOrError"]
    assert found["__typename"] == "Sensor", found
    state: dict[str, Any] = found["sensorState"]
    return state


def _runs(instance: DagsterInstance, tag: str, name: str) -> list[Any]:
    return list(instance.get_runs(RunsFilter(tags={tag: name})))


def test_serve_ticks_schedule_and_sensor_into_published_runs(served: Served) -> None:
    started = time.monotonic()
    _wait(
        "the webserver's /server_info",
        served,
        STARTUP_TIMEOUT,
        lambda: requests.get(f"{served.url}/server_info", timeout=5).ok,
    )

    # Both declared RUNNING by GOVDW_AUTOMATION=on; a plain `dagster dev` shows them stopped.
    schedule = _wait(
        "the code location", served, STARTUP_TIMEOUT, lambda: _schedule(served, loading=True)
    )
    assert schedule["cronSchedule"] == "* * * * *"
    assert schedule["scheduleState"]["status"] == "RUNNING"
    assert _sensor_state(served)["status"] == "RUNNING"

    def daemons_healthy() -> bool:
        statuses = served.graphql(DAEMONS_QUERY)["instance"]["daemonHealth"]
        healthy = {d["daemonType"] for d in statuses["allDaemonStatuses"] if d["healthy"]}
        return {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR"} <= healthy

    _wait("the scheduler, sensor and run-queue daemons", served, STARTUP_TIMEOUT, daemons_healthy)

    # The sensor's first tick finds the raw folder empty; then the exports are dropped into it.
    first = _wait(
        "the sensor's first tick",
        served,
        TICK_TIMEOUT,
        lambda: [t for t in _sensor_state(served)["ticks"] if t["status"] == "SKIPPED"],
    )
    assert "no new or changed files" in first[0]["skipReason"]
    shutil.copytree(served.raw.parent / "drop", served.raw, dirs_exist_ok=True)

    instance = DagsterInstance.from_config(str(served.home))
    try:
        scheduled = _wait(
            "a run launched by a schedule tick",
            served,
            TICK_TIMEOUT,
            lambda: _runs(instance, SCHEDULE_NAME_TAG, SCHEDULE),
        )
        # One scheduled run is enough: stop the every-minute schedule as an operator would.
        stopped = served.graphql(STOP_SCHEDULE, id=schedule["id"])["stopRunningSchedule"]
        assert stopped["__typename"] == "ScheduleStateResult", stopped
        assert stopped["scheduleState"]["status"] == "STOPPED"

        sensed = _wait(
            "a run requested by a sensor tick",
            served,
            TICK_TIMEOUT,
            lambda: _runs(instance, SENSOR_NAME_TAG, SENSOR),
        )
        # Ticks as the daemon recorded them: each run came from a successful tick naming it.
        _wait(
            "the sensor tick that requested the run",
            served,
            30,
            lambda: any(
                t["status"] == "SUCCESS" and sensed[0].run_id in t["runIds"]
                for t in _sensor_state(served)["ticks"]
            ),
        )
        assert any(
            t["status"] == "SUCCESS" and scheduled[0].run_id in t["runIds"]
            for t in (_schedule(served) or {})["scheduleState"]["ticks"]
        )

        run_ids = [scheduled[0].run_id, sensed[0].run_id]

        def finished() -> list[Any] | None:
            records = [instance.get_run_by_id(run_id) for run_id in run_ids]
            done = all(r is not None and r.is_finished for r in records)
            return records if done else None

        records = _wait("both runs to finish", served, RUN_TIMEOUT, finished, every=3.0)
        for record in records:
            assert record.status == DagsterRunStatus.SUCCESS, (
                f"run {record.run_id} ({record.tags}) ended {record.status}\n{served.tail()}"
            )
        # Both ran the one pipeline job, one at a time (the queue's limit is 1).
        assert {r.job_name for r in records} == {"govdw_pipeline"}
    finally:
        instance.dispose()

    con = duckdb.connect(str(served.warehouse), read_only=True)
    try:
        loaded = con.execute(
            "select file_path from audit_files where status = 'loaded' order by 1"
        ).fetchall()
        orders = con.execute("select count(*) from fct_hotline_orders").fetchone()
    finally:
        con.close()
    assert sorted(path for (path,) in loaded) == sorted(FILES)
    assert orders is not None and orders[0] > 0

    # SIGTERM: the children stop, serve exits 0, and their output went to the rotated logs.
    assert _stop(served.process) == 0, served.tail()
    daemon_log = (served.logs / "daemon.log").read_text(encoding="utf-8")
    assert "SchedulerDaemon" in daemon_log and "SensorDaemon" in daemon_log
    assert "SIGTERM received" in daemon_log
    assert "Serving dagster-webserver" in (served.logs / "webserver.log").read_text("utf-8")
    print(f"serve: ticks to published warehouse in {time.monotonic() - started:.0f}s")
