"""The sample's units of work: each job writes a few files from its own seeded generators.

A family plans its jobs in the parent, which draws the file-level randomness (export times,
stray blank lines) in a fixed order and is cheap. The jobs then run in worker processes, each
with its own `Ctx` and `Truth`, writing their files straight to disk and handing back a small
`JobResult`. A job's bytes depend only on (seed, scale, its arguments): the output is the same
whatever the number of workers and whatever order the jobs finish in.

The truth counts an order in its latest export only, so every export of one order must be
written by the same job; `OrderKeys` checks that no order id turns up in two jobs.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import threading
from array import array
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from govdw.sample.regions import Ctx
from govdw.sample.truth import Truth

#: Environment variable that sets the number of worker processes (default: every usable core).
WORKERS_ENV = "GOVDW_SAMPLE_WORKERS"


@dataclass(frozen=True)
class Job:
    """Files written in one go by `write(ctx)`, everything they need bound in (a partial of a
    module-level function, so it pickles); `cost` (expected records) lets the largest start first.
    """

    write: Callable[[Ctx], None]
    cost: int

    @property
    def label(self) -> str:
        """The function and its scalar arguments, for error messages."""
        write = self.write
        if not isinstance(write, partial):
            return getattr(write, "__qualname__", repr(write))
        args = [str(a) for a in write.args] + [
            f"{k}={v}" for k, v in write.keywords.items() if isinstance(v, str | int)
        ]
        return f"{write.func.__qualname__}({', '.join(args)})"


@dataclass(frozen=True)
class Family:
    """One export family: `plan(ctx)` lists its jobs, using only the context's seeded generators
    and volumes (it writes nothing)."""

    name: str
    plan: Callable[[Ctx], list[Job]]

    def __repr__(self) -> str:
        return f"Family({self.name})"


@dataclass
class JobResult:
    """What one job reports back: its files and figures (never its records) and progress lines."""

    label: str
    files: dict[str, dict[str, Any]]
    counts: dict[tuple[str, int, int], dict[str, int]]
    order_keys: bytes
    written: int
    rows: int
    size: int
    by_region: dict[str, int]
    messages: list[str]


def default_workers() -> int:
    """$GOVDW_SAMPLE_WORKERS, else the cores this process may run on."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        try:
            workers = int(value)
        except ValueError:
            raise ValueError(f"{WORKERS_ENV} must be a whole number, got {value!r}") from None
        if workers < 1:
            raise ValueError(f"{WORKERS_ENV} must be at least 1, got {workers}")
        return workers
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def run_job(job: Job, raw_dir: Path, scale: float, seed: int) -> JobResult:
    """Run one job with a fresh context and truth (in a worker process, or in this one)."""
    messages: list[str] = []
    truth = Truth()
    ctx = Ctx(raw_dir=raw_dir, scale=scale, seed=seed, truth=truth, progress=messages.append)
    job.write(ctx)
    return JobResult(
        label=job.label,
        files=truth.files,
        counts=truth.counts(),
        order_keys=OrderKeys.digest(truth.order_keys()),
        written=ctx.files,
        rows=ctx.rows,
        size=ctx.size,
        by_region=ctx.by_region,
        messages=messages,
    )


def run_jobs(
    jobs: Sequence[Job], raw_dir: Path, scale: float, seed: int, workers: int
) -> Iterator[JobResult]:
    """Each job's result as it completes; the largest jobs start first.

    One worker runs the jobs in this process, in turn; more run them in that many processes,
    at most two jobs per worker handed over at a time, so a failure stops the run soon.
    """
    order = sorted(jobs, key=lambda j: -j.cost)
    if workers <= 1 or len(order) <= 1:
        for job in order:
            yield _labelled(job, partial(run_job, job, raw_dir, scale, seed))
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(order)), mp_context=_context()) as pool:
        pending: dict[Future[JobResult], Job] = {}
        queue = iter(order)
        try:
            while True:
                for job in queue:
                    pending[pool.submit(run_job, job, raw_dir, scale, seed)] = job
                    if len(pending) >= 2 * workers:
                        break
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    yield _labelled(job, future.result)
        finally:
            for future in pending:
                future.cancel()


def _labelled(job: Job, result: Callable[[], JobResult]) -> JobResult:
    """`result()`, an exception noting the job it came from."""
    try:
        return result()
    except Exception as exc:
        exc.add_note(f"in sample job {job.label}")
        raise


def _context() -> BaseContext:
    """fork where the platform has it and this process runs no other thread (forking a threaded
    process can copy a lock another thread holds); forkserver or spawn otherwise."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class OrderKeys:
    """The orders every job wrote, as 8-byte digests of (region, order id): none in two jobs."""

    def __init__(self) -> None:
        self._digests = array("Q")
        self._jobs: list[tuple[str, int]] = []  # (label, end offset in _digests)

    @staticmethod
    def digest(keys: Iterator[tuple[str, str]]) -> bytes:
        """The packed digests of some (region, order id) keys."""
        out = array("Q")
        for region, order_id in keys:
            h = hashlib.blake2b(f"{region}|{order_id}".encode(), digest_size=8).digest()
            out.append(int.from_bytes(h, "little"))
        return out.tobytes()

    def add(self, result: JobResult) -> None:
        """Keep one job's digests."""
        self._digests.frombytes(result.order_keys)
        self._jobs.append((result.label, len(self._digests)))

    def check(self) -> None:
        """Fail when two jobs wrote the same order (the truth would count it twice)."""
        ordered = sorted(self._digests)
        twice = next((a for a, b in itertools.pairwise(ordered) if a == b), None)
        if twice is None:
            return
        labels, start = [], 0
        for label, end in self._jobs:
            if twice in self._digests[start:end]:
                labels.append(label)
            start = end
        raise RuntimeError(
            "one order is written by two sample jobs, so the truth cannot tell which export is "
            f"the latest: {' and '.join(labels) or 'one job twice'}; write every export of an "
            "order in one job"
        )
