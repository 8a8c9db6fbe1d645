"""The asset graph of the code location matches its committed snapshot.

Every asset key with its group, its deps, its asset checks and the jobs that run it, plus the
jobs, schedules and sensors, as sorted text in tests/data/asset_graph.txt. A change to the graph
(a renamed model, a group moved, a check lost, a job selecting more or less) shows as a diff;
when the change is intended, regenerate the snapshot and commit it:

    GOVDW_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest -q tests/integration/test_asset_graph.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from dagster import AssetKey, Definitions

SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "asset_graph.txt"
UPDATE_ENV = "GOVDW_UPDATE_SNAPSHOTS"
HEADER = (
    "# The asset graph of orchestration.definitions (see tests/integration/test_asset_graph.py).\n"
    f"# Regenerate: {UPDATE_ENV}=1 .venv/bin/python -m pytest -q "
    "tests/integration/test_asset_graph.py\n"
)


def _name(key: AssetKey) -> str:
    return key.to_user_string()


def graph_text(defs: Definitions) -> str:
    """The sorted text snapshot of `defs`: assets (group, jobs, deps, checks), then jobs,
    schedules and sensors."""
    graph = defs.resolve_asset_graph()
    repo = defs.get_repository_def()
    jobs = sorted(
        (job for job in repo.get_all_jobs() if not job.name.startswith("__")),
        key=lambda job: job.name,
    )
    runs_in: dict[AssetKey, list[str]] = {}
    for job in jobs:
        for key in job.asset_layer.selected_asset_keys:
            runs_in.setdefault(key, []).append(job.name)
    lines: list[str] = []
    for key in sorted(graph.get_all_asset_keys(), key=_name):
        node = graph.get(key)
        lines.append(
            f"asset {_name(key)}  group={node.group_name}  "
            f"jobs={','.join(sorted(runs_in.get(key, []))) or '-'}"
        )
        lines.extend(f"  dep {dep}" for dep in sorted(_name(k) for k in node.parent_keys))
        lines.extend(f"  check {check}" for check in sorted(c.name for c in node.check_keys))
    lines.extend(f"job {job.name}" for job in jobs)
    lines.extend(
        f"schedule {s.name}  job={s.job_name}  cron={s.cron_schedule}"
        for s in sorted(repo.schedule_defs, key=lambda s: s.name)
    )
    lines.extend(
        f"sensor {s.name}  jobs={','.join(sorted(t.job_name for t in s.targets))}"
        for s in sorted(repo.sensor_defs, key=lambda s: s.name)
    )
    return HEADER + "\n".join(lines) + "\n"


def test_asset_graph_matches_snapshot() -> None:
    """The loaded definitions equal tests/data/asset_graph.txt (regenerate it when intended)."""
    from orchestration.definitions import defs

    text = graph_text(defs)
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
        pytest.skip(f"{UPDATE_ENV}=1: wrote {SNAPSHOT}")
    expected = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=str(SNAPSHOT.relative_to(SNAPSHOT.parents[2])),
                tofile="loaded definitions",
            )
        )
        pytest.fail(
            f"the asset graph differs from its snapshot:\n{diff}\n"
            f"If the change is intended, regenerate the snapshot and commit it:\n"
            f"    {UPDATE_ENV}=1 .venv/bin/python -m pytest -q "
            "tests/integration/test_asset_graph.py",
            pytrace=False,
        )
