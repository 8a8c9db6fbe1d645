"""The sample-export generator behind `govdw sample`: messy multi-region exports plus truth."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from govdw.sample.families import FAMILIES
from govdw.sample.figures import ANCHOR_FIGURES
from govdw.sample.regions import FOLDERS, Ctx
from govdw.sample.truth import Truth

#: Default volume factor: ~140k generated rows plus ~257k full-volume anchor rows.
DEFAULT_SCALE = 0.02
DEFAULT_SEED = 20240601

__all__ = [
    "DEFAULT_SCALE",
    "DEFAULT_SEED",
    "FOLDERS",
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


def write_sample(
    raw_dir: Path,
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    truth_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> SampleSummary:
    """Write the sample exports into `raw_dir` (same bytes for the same scale and seed).

    `truth_path`, when given, receives the expected warehouse figures as JSON; it must lie
    outside `raw_dir` so the ingester never sees it.
    """
    return write_families(raw_dir, FAMILIES, scale, seed, truth_path, progress)


def write_families(
    raw_dir: Path,
    families: Sequence[Callable[[Ctx], None]],
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    truth_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> SampleSummary:
    """`write_sample` restricted to some region families (tests use it to stay fast)."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
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
    ctx = Ctx(raw_dir=raw_dir, scale=scale, seed=seed, truth=truth, progress=progress)
    for family in families:
        family(ctx)
    if truth_path is not None:
        truth.write(Path(truth_path), scale=scale, seed=seed)
    return SampleSummary(
        files=ctx.files,
        rows=ctx.rows,
        bytes=ctx.size,
        seconds=round(time.perf_counter() - started, 3),
        by_region=dict(sorted(ctx.by_region.items())),
    )
