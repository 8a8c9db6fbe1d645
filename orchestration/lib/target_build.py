"""`dbt build --target <engine>` for the stages that build the warehouse on another engine
(orchestration/defs/postgres/, orchestration/defs/spark/): the venv's dbt through dagster-dbt,
and a failure that names the failed nodes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource

#: dbt result statuses that fail a build.
_FAILED = {"error", "fail", "runtime error"}


def dbt_failures(run_results: Mapping[str, Any] | None, errors: list[str]) -> list[str]:
    """The failed nodes of a dbt invocation (`unique_id: message`), else its error lines."""
    failed = [
        f"{r.get('unique_id')}: {' '.join(str(r.get('message') or r.get('status')).split())}"
        for r in (run_results or {}).get("results", [])
        if str(r.get("status")) in _FAILED
    ]
    return failed or errors or ["dbt exited with an error (see the run log)"]


def build_failures(
    context: AssetExecutionContext, dbt: DbtCliResource, manifest: Path, target: str
) -> list[str]:
    """Run `dbt build --target <target>`; the failed nodes, [] when the build passed."""
    invocation = dbt.cli(
        ["build", "--target", target],
        manifest=manifest,
        raise_on_error=False,
        target_path=Path("target") / f"{target}-{context.run.run_id[:8]}",
    )
    errors: list[str] = []
    for event in invocation.stream_raw_events():
        info = event.raw_event.get("info", {})
        message = str(info.get("msg", ""))
        # dagster-dbt already echoes dbt's lines to stdout (`govdw run`: the run's log).
        if info.get("level") == "error" and message.strip():
            errors.append(" ".join(message.split()))
    if invocation.is_successful():
        return []
    try:
        run_results = invocation.get_artifact("run_results.json")
    except (OSError, ValueError):
        run_results = None
    return dbt_failures(run_results, errors)


def shown(failed: list[str], limit: int = 5) -> str:
    """The first failures joined for one message line."""
    more = f"; … {len(failed) - limit} more" if len(failed) > limit else ""
    return "; ".join(failed[:limit]) + more
