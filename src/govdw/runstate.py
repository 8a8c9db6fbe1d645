"""What the last successful `govdw run` saw, so a run with nothing to do costs a folder walk.

After a run succeeds, `record` writes `<build db>.run-ok` (JSON): the size, mtime, ctime and
inode of every file under raw/ (taken before the run and checked again after it), a digest of
everything else a run's result depends on (the package, the Dagster code, the dbt project, the
user vocabulary, the PII key, the GOVDW_* settings), the dbt build marker, and the stat of the
build database and of the published warehouse. `unchanged_since_last_run` compares all of that
with what is there now: only when every part is equal is the run skipped. Any doubt (no record,
a run from the Dagster UI that touched the build database, an edited file with the same size and
mtime but a new ctime or inode, another warehouse path) means a real run, where the sha256 of
each file stays the proof of what changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from govdw import settings, vocab
from govdw.discover import walk

#: Version of the record's layout: a record of another layout is ignored (a real run follows).
_LAYOUT = 1
#: Folders of the dbt project that hold no source (dbt's output, packages, logs).
_DBT_SKIP = {"target", "dbt_packages", "logs"}
_DBT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".py"}


def _stat(path: Path) -> list[int] | None:
    """[size, mtime_ns, ctime_ns, inode] of `path`, or None when there is no such file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]


def raw_snapshot(raw: Path) -> dict[str, Any]:
    """rel_path -> stat of every path the ingester would see under `raw` (a problem's text for
    links out of raw/, FIFOs and the like, which are never opened)."""
    snapshot: dict[str, Any] = {}
    for found in walk(Path(raw)):
        snapshot[found.rel_path] = found.problem if found.problem else _stat(found.path)
    return snapshot


def _digest_tree(digest: Any, root: Path, suffixes: set[str], skip: set[str]) -> None:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in suffixes:
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                with contextlib.suppress(OSError):
                    digest.update(path.read_bytes())


def code_digest() -> str:
    """Digest of what a run's result depends on besides the raw files: govdw's package and the
    Dagster code, the dbt project's sources, the user vocabulary, the PII key and every GOVDW_*
    setting (upgrading govdw, editing a model or a synonym, another key: a real run)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    _digest_tree(digest, package, {".py", ".toml", ".csv"}, {"__pycache__"})
    _digest_tree(digest, settings.REPO_ROOT / "orchestration", {".py"}, {"__pycache__"})
    _digest_tree(digest, settings.dbt_project_dir(), _DBT_SUFFIXES, _DBT_SKIP)
    digest.update(vocab.user_vocab_digest().encode())
    digest.update(hashlib.sha256(settings.pii_key()).digest())
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("GOVDW_"))
    digest.update(json.dumps([*env, ("DAGSTER_HOME", str(settings.dagster_home()))]).encode())
    return digest.hexdigest()


def _record_path(build_db: Path) -> Path:
    return build_db.with_name(build_db.name + ".run-ok")


def _dbt_marker(build_db: Path) -> str | None:
    """The fingerprint of the last dbt build that passed (written by the dbt asset)."""
    try:
        return build_db.with_name(build_db.name + ".dbt-ok").read_text(encoding="utf-8")
    except OSError:
        return None


@dataclass(frozen=True)
class LastRun:
    """The record of the last successful run."""

    run_id: str
    log: str
    finished_at: str
    #: Data files the run saw (paths under raw/ that are neither links out nor pipes).
    files: int


def _stats(raw: Path, build_db: Path, warehouse: Path, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Everything the record compares except the code digest (the cheap part)."""
    return {
        "layout": _LAYOUT,
        "raw_dir": str(Path(raw).resolve()),
        "raw": snapshot,
        "dbt_ok": _dbt_marker(build_db),
        "build": _stat(build_db),
        "build_wal": _stat(build_db.with_name(build_db.name + ".wal")),
        "warehouse_path": str(Path(warehouse).resolve()),
        "warehouse": _stat(warehouse),
        "warehouse_wal": _stat(warehouse.with_name(warehouse.name + ".wal")),
    }


def forget(build_db: Path) -> None:
    """Drop the record: from now on until a run succeeds, nothing is taken as unchanged."""
    _record_path(build_db).unlink(missing_ok=True)


def record(
    raw: Path,
    build_db: Path,
    warehouse: Path,
    before: dict[str, Any],
    last: LastRun,
) -> bool:
    """Record a successful run whose raw folder looked like `before` when it started.

    Nothing is recorded (and False returned) when the folder changed during the run (a file
    still being copied in), when dbt's marker is missing or nothing was published: the next
    run then does the real work.
    """
    if raw_snapshot(raw) != before:
        return False
    state = {**_stats(raw, build_db, warehouse, before), "code": code_digest()}
    if state["dbt_ok"] is None or state["warehouse"] is None or state["build"] is None:
        return False
    path = _record_path(build_db)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps({**state, "last_run": asdict(last)}), encoding="utf-8")
    os.replace(tmp, path)
    return True


@dataclass(frozen=True)
class SinceLastRun:
    """How the world differs from the last successful run's record."""

    #: The last successful run (None: no usable record).
    last: LastRun | None
    #: Paths under raw/ new or changed since, when nothing but raw files changed; None when
    #: anything else changed too (code, settings, the build database, the warehouse) or there is
    #: no record: then every file is looked at.
    changed: list[str] | None
    #: Paths gone from raw/ since (meaningful when `changed` is not None).
    gone: list[str]

    @property
    def nothing(self) -> bool:
        """Whether nothing at all changed: the run can be skipped."""
        return self.last is not None and self.changed == [] and not self.gone


def since_last_run(raw: Path, build_db: Path, warehouse: Path) -> SinceLastRun:
    """Compare what is there now with the record of the last successful run."""
    unknown = SinceLastRun(None, None, [])
    try:
        saved = json.loads(_record_path(build_db).read_text(encoding="utf-8"))
        last = LastRun(**saved.pop("last_run"))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return unknown
    # The cheap parts first: most changes show in the stats without hashing any code.
    now = _stats(raw, build_db, warehouse, raw_snapshot(raw))
    if any(saved.get(key) != value for key, value in now.items() if key != "raw"):
        return unknown
    if saved.get("code") != code_digest() or not isinstance(saved.get("raw"), dict):
        return unknown
    before: dict[str, Any] = saved["raw"]
    changed = sorted(path for path, stat in now["raw"].items() if before.get(path) != stat)
    gone = sorted(set(before) - set(now["raw"]))
    return SinceLastRun(last, changed, gone)


def unchanged_since_last_run(raw: Path, build_db: Path, warehouse: Path) -> LastRun | None:
    """The last successful run when nothing it depended on changed since; else None."""
    since = since_last_run(raw, build_db, warehouse)
    return since.last if since.nothing else None


def now_text() -> str:
    """The local time as the record stores it."""
    return time.strftime("%Y-%m-%d %H:%M:%S")
