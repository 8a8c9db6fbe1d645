"""The sample-export generator behind `govdw sample`: messy multi-region exports plus truth.

The families plan jobs that worker processes run (`jobs`); this module adds up what they report.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from govdw.sample.families import FAMILIES
from govdw.sample.figures import ANCHOR_FIGURES
from govdw.sample.jobs import Family, OrderKeys, default_workers, run_jobs
from govdw.sample.regions import FOLDERS, Ctx
from govdw.sample.truth import Truth

#: Default volume factor: ~140k generated rows plus ~257k full-volume anchor rows.
DEFAULT_SCALE = 0.02
DEFAULT_SEED = 20240601

__all__ = [
    "DEFAULT_SCALE",
    "DEFAULT_SEED",
    "FOLDERS",
    "Family",
    "SampleSummary",
    "write_families",
    "write_sample",
]


@dataclass
class SampleSummary:
    """What one `write_sample` call wrote."""

    files: int
    rows: int
    bytes: int
    seconds: float
    by_region: dict[str, int] = field(default_factory=dict)
    workers: int = 1


def write_sample(
    raw_dir: Path,
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    truth_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> SampleSummary:
    """Write the sample exports into `raw_dir` (same bytes for the same scale and seed).

    `truth_path`, when given, receives the expected warehouse figures as JSON; it must lie
    outside `raw_dir` so the ingester never sees it. `workers` processes write the files
    (default $GOVDW_SAMPLE_WORKERS, else one per core); the bytes do not depend on it. They are
    forked, unless this process runs other threads: then they start from a fork server, and a
    script calling this needs the usual `if __name__ == "__main__":` guard.
    """
    return write_families(raw_dir, FAMILIES, scale, seed, truth_path, progress, workers)


def write_families(
    raw_dir: Path,
    families: Sequence[Family],
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    truth_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> SampleSummary:
    """`write_sample` restricted to some region families (tests use it to stay fast)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if workers is None:
        workers = default_workers()
    elif workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    raw_dir = Path(raw_dir)
    if truth_path is not None:
        resolved = Path(truth_path).resolve()
        if resolved.is_relative_to(raw_dir.resolve()):
            raise ValueError(
                f"the truth file {truth_path} must not be inside the raw folder {raw_dir}"
            )
    started = time.perf_counter()
    raw_dir.mkdir(parents=True, exist_ok=True)
    truth = Truth(anchors={a["id"]: a for a in ANCHOR_FIGURES})
    plan_ctx = Ctx(raw_dir=raw_dir, scale=scale, seed=seed, truth=truth)
    jobs = [job for family in families for job in family.plan(plan_ctx)]
    workers = min(workers, len(jobs))
    files = rows = size = 0
    by_region: Counter[str] = Counter()
    orders = OrderKeys()
    for result in run_jobs(jobs, raw_dir, scale, seed, workers):
        truth.add_files(result.files)
        truth.add_counts(result.counts)
        orders.add(result)
        files += result.written
        rows += result.rows
        size += result.size
        by_region.update(result.by_region)
        for message in result.messages:
            if progress:
                progress(message)
    orders.check()
    if truth_path is not None:
        truth.write(Path(truth_path), scale=scale, seed=seed)
    return SampleSummary(
        files=files,
        rows=rows,
        bytes=size,
        seconds=round(time.perf_counter() - started, 3),
        by_region=dict(sorted(by_region.items())),
        workers=workers,
    )
