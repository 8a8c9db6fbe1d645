"""The dbt project handle and its manifest, prepared on demand (not only under `dagster dev`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dagster_dbt import DbtProject

from govdw import settings
from orchestration.lib.resources import dbt_executable

# Files whose change means the manifest must be re-parsed.
_SOURCE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}
_SKIP_DIRS = {"target", "dbt_packages", "logs"}


def has_dbt_project(project_dir: Path) -> bool:
    """True when `project_dir` holds a dbt project."""
    return (project_dir / "dbt_project.yml").exists()


def make_project(project_dir: Path) -> DbtProject:
    """The DbtProject for `project_dir` (its profiles.yml lives in the project folder)."""
    # No prepare_if_dev(): under `dagster dev` it runs a `dbt` found on PATH, which is not the
    # venv's when the venv is not activated; ensure_manifest() parses with the venv's dbt.
    return DbtProject(project_dir=project_dir, profiles_dir=project_dir)


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for root, dirs, files in os.walk(project_dir):
        dirs[:] = [d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in files:
            if Path(name).suffix in _SOURCE_SUFFIXES:
                newest = max(newest, Path(root, name).stat().st_mtime)
    return newest


def manifest_is_stale(project: DbtProject) -> bool:
    """True when manifest.json is missing or older than any project source file."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    return manifest.stat().st_mtime < _newest_source_mtime(project.project_dir)


def ensure_manifest(project: DbtProject) -> Path:
    """Run `dbt parse` when the manifest is missing or stale; return the manifest path."""
    if manifest_is_stale(project):
        env = dict(os.environ)
        # Parsing renders profiles.yml, which needs the build DB path even though nothing connects.
        env.setdefault("GOVDW_BUILD_DB", str(settings.build_db_path()))
        env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        result = subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--quiet",
                "--project-dir",
                str(project.project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
                "--target-path",
                str(project.project_dir / project.target_path),
            ],
            cwd=project.project_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0 or not project.manifest_path.exists():
            raise RuntimeError(
                f"`dbt parse` failed in {project.project_dir} (exit {result.returncode}); "
                f"fix the dbt project and retry:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
            )
    return project.manifest_path
