"""The Dagster instance folder: telemetry off and one writer at a time, however runs are started."""

from __future__ import annotations

from pathlib import Path

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
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(INSTANCE_YAML, encoding="utf-8")
        tmp.replace(path)
    return path
