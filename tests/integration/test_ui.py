"""The Dagster UI for real: `dagster dev` serves the asset graph, and a run launched through its
GraphQL API (as the Launchpad does) is dequeued by the daemon, loads the raw files and publishes."""

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

from govdw.sample import write_families
from govdw.sample.families import wuqia
from orchestration.lib.instance import ensure_instance_yaml
from orchestration.lib.raw_files import iter_data_files, partition_key

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
JOB = "govdw_pipeline"
PARTITIONS = "raw_files"

#: Two files of one region keep the run short: a month of hotline orders and of evaluations.
FILES = (
    "653024-乌恰县/12345/2023/乌恰县12345工单明细（2023年4月）.xlsx",
    "653024-乌恰县/好差评/2023/乌恰县好差评评价明细_2023年5月.xlsx",
)

STARTUP_TIMEOUT = 120.0
RUN_TIMEOUT = 400.0

WORKSPACE_QUERY = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name jobs { name } } }
          ... on PythonError { message cause { message } }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

ASSET_NODES_QUERY = """
query {
  assetNodes {
    assetKey { path }
    groupName
    jobNames
    isPartitioned
  }
}
"""

ADD_PARTITION_MUTATION = """
mutation ($selector: RepositorySelector!, $name: String!, $key: String!) {
  addDynamicPartition(
    repositorySelector: $selector, partitionsDefName: $name, partitionKey: $key
  ) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionKey }
    ... on DuplicateDynamicPartitionError { partitionName }
    ... on UnauthorizedError { message }
    ... on PythonError { message stack }
  }
}
"""

LAUNCH_RUN_MUTATION = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on Error { message }
  }
}
"""

RUN_QUERY = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status tags { key value } }
    ... on Error { message }
  }
}
"""

RUN_ERRORS_QUERY = """
query ($runId: ID!) {
  logsForRun(runId: $runId, limit: 5000) {
    __typename
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message level stepKey }
        ... on ErrorEvent { error { message } }
      }
    }
  }
}
"""


@dataclass
class Ui:
    """A running `dagster dev` and the paths it was started with."""

    url: str
    raw: Path
    warehouse: Path
    log: Path

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

    def server_log(self) -> str:
        """The tail of dagster dev's combined output, for failure messages."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-6000:]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the whole process group (govdw, dagster dev, webserver, daemon, code server, runs):
    SIGTERM so dagster dev shuts its services down, SIGKILL whatever is left after 30 s."""
    pgid = process.pid  # start_new_session=True: the child leads its own group
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=10)


def _wait_until_serving(ui: Ui, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, f"dagster dev exited early:\n{ui.server_log()}"
        try:
            if requests.get(f"{ui.url}/server_info", timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(1)
    pytest.fail(f"dagster dev did not answer within {STARTUP_TIMEOUT:.0f}s:\n{ui.server_log()}")


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    """A two-file raw folder, a private instance and `dagster dev` serving them."""
    base = tmp_path_factory.mktemp("ui")
    sample = base / "sample"
    write_families(sample, [wuqia], scale=0.001, seed=7)
    raw = base / "raw"
    for rel in FILES:
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(sample / rel, raw / rel)
    shutil.rmtree(sample)
    home = base / "dagster_home"
    ensure_instance_yaml(home)
    warehouse = base / "warehouse" / "govdw.duckdb"
    # `make ui` runs `.venv/bin/govdw ui` from the user's shell, which need not have activated
    # the venv: its bin/ is taken off PATH so the UI must find dbt and dagster on its own.
    path = os.pathsep.join(
        p
        for p in os.environ.get("PATH", "").split(os.pathsep)
        if p and os.path.realpath(p) != os.path.realpath(BIN)
    )
    env = {
        **os.environ,
        "PATH": path,
        "DAGSTER_HOME": str(home),
        "GOVDW_RAW_DIR": str(raw),
        "GOVDW_WAREHOUSE": str(warehouse),
        "GOVDW_BUILD_DB": str(base / "build" / "govdw_build.duckdb"),
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONUNBUFFERED": "1",
    }
    port = _free_port()
    log = base / "dagster_dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            # What `make ui` runs: `dagster dev -h 127.0.0.1` on the repo's code location.
            [str(BIN / "govdw"), "ui", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Ui(url=f"http://127.0.0.1:{port}", raw=raw, warehouse=warehouse, log=log)
    try:
        _wait_until_serving(server, process)
        yield server
    finally:
        _stop(process)


def _loaded_location(ui: Ui) -> dict[str, Any]:
    """The one code location, once it has loaded (fails with its error if it did not)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        workspace = ui.graphql(WORKSPACE_QUERY)["workspaceOrError"]
        assert workspace["__typename"] == "Workspace", workspace
        entries = workspace["locationEntries"]
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            break
        assert time.monotonic() < deadline, f"code location not loaded: {entries}"
        time.sleep(1)
    assert [e["name"] for e in entries] == ["govdw"]
    location = entries[0]["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", (
        f"the code location failed to load: {location.get('message')}\n"
        f"caused by: {(location.get('cause') or {}).get('message')}"
    )
    return location


def _selector(ui: Ui) -> dict[str, str]:
    location = _loaded_location(ui)
    repos = [r for r in location["repositories"] if JOB in {j["name"] for j in r["jobs"]}]
    assert len(repos) == 1, location["repositories"]
    return {"repositoryLocationName": location["name"], "repositoryName": repos[0]["name"]}


def _run_failure_text(ui: Ui, run_id: str) -> str:
    logs = ui.graphql(RUN_ERRORS_QUERY, runId=run_id)["logsForRun"]
    lines = []
    for event in logs.get("events", []):
        if event.get("level") in ("ERROR", "CRITICAL") or event.get("error"):
            error = (event.get("error") or {}).get("message", "")
            lines.append(f"[{event.get('stepKey')}] {event.get('message')} {error}".strip())
    return "\n".join(lines[-20:]) or "(no error events)"


def test_asset_graph_is_served(ui: Ui) -> None:
    """The UI lists the ingest, dbt and publish assets in their groups, all in the pipeline job."""
    _loaded_location(ui)
    nodes = ui.graphql(ASSET_NODES_QUERY)["assetNodes"]
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
    assert groups.get("landing_files") == "ingest"
    assert groups.get("fct_hotline_orders") == "marts"
    assert groups.get("published_warehouse") == "publish"
    assert {"ingest", "staging", "intermediate", "marts", "audit", "seeds", "publish"} <= set(
        groups.values()
    )
    jobs = {"/".join(n["assetKey"]["path"]): n["jobNames"] for n in nodes}
    for asset in ("landing_files", "fct_hotline_orders", "published_warehouse"):
        assert JOB in jobs[asset], (asset, jobs[asset])
    partitioned = {"/".join(n["assetKey"]["path"]) for n in nodes if n["isPartitioned"]}
    assert "landing_files" in partitioned


def test_run_launched_from_the_ui_publishes(ui: Ui) -> None:
    """Partitions added and a range run launched over GraphQL: the run succeeds and publishes."""
    selector = _selector(ui)
    keys = [partition_key(rel) for rel in iter_data_files(ui.raw)]
    assert len(keys) == len(FILES)
    for key in keys:
        added = ui.graphql(ADD_PARTITION_MUTATION, selector=selector, name=PARTITIONS, key=key)
        result = added["addDynamicPartition"]
        assert result["__typename"] == "AddDynamicPartitionSuccess", result

    params = {
        "selector": {**selector, "jobName": JOB},
        "runConfigData": {},
        "executionMetadata": {
            "tags": [
                {"key": "dagster/asset_partition_range_start", "value": keys[0]},
                {"key": "dagster/asset_partition_range_end", "value": keys[-1]},
            ]
        },
    }
    launched = ui.graphql(LAUNCH_RUN_MUTATION, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    deadline = time.monotonic() + RUN_TIMEOUT
    status = launched["run"]["status"]
    while status not in ("SUCCESS", "FAILURE", "CANCELED"):
        assert time.monotonic() < deadline, (
            f"run {run_id} still {status} after {RUN_TIMEOUT:.0f}s:\n{ui.server_log()}"
        )
        time.sleep(2)
        run = ui.graphql(RUN_QUERY, runId=run_id)["runOrError"]
        assert run["__typename"] == "Run", run
        status = run["status"]
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert tags.get("dagster/asset_partition_range_start") == keys[0], tags
        assert tags.get("dagster/asset_partition_range_end") == keys[-1], tags
    assert status == "SUCCESS", (
        f"run {run_id} ended {status}:\n{_run_failure_text(ui, run_id)}\n{ui.server_log()}"
    )

    assert ui.warehouse.is_file(), f"nothing published at {ui.warehouse}"
    con = duckdb.connect(str(ui.warehouse), read_only=True)
    try:
        orders = con.execute("select count(*) from fct_hotline_orders").fetchone()
        regions = con.execute("select distinct region_code from fct_hotline_orders").fetchall()
        loaded = con.execute(
            "select file_path from audit_files where status = 'loaded' order by 1"
        ).fetchall()
    finally:
        con.close()
    assert orders is not None and orders[0] > 0
    assert regions == [("653024",)]
    assert sorted(path for (path,) in loaded) == sorted(FILES)
