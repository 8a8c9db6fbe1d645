"""Parse dropped files safely in worker processes and load them into the build database.

`parse_file` turns one file into landing tables (sniff → read → extract) and never raises;
`parse_files` runs it in a process pool with a time and memory limit per file, so a hostile or
broken file costs one quarantined result, never the run; `ingest_dir` decides what needs
parsing (unchanged, duplicate, no region) and is the single writer of the landing schema.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from govdw import extract, handoff, load, roles, settings, vocab
from govdw.discover import discover, entry_for, sha256_file
from govdw.read import read_workbook
from govdw.sniff import sniff
from govdw.types import FileEntry, FileOutcome, IngestSummary, Limits, ParseResult

if TYPE_CHECKING:
    import duckdb

log = logging.getLogger(__name__)

Progress = Callable[[dict[str, Any]], None]


#: Why a file whose bytes changed while it was parsed is left for the next run.
CHANGED_WHILE_READ = "file changed while it was read; it will be read again on the next run"


def _quarantined(entry: FileEntry, error: str, kind: str | None = None) -> ParseResult:
    return ParseResult(entry.rel_path, entry.sha256, "quarantined", error=error, file_kind=kind)


def parse_file(entry: FileEntry, limits: Limits | None = None) -> ParseResult:
    """Sniff, read and extract one file into landing tables; any failure becomes 'quarantined'.

    After parsing, the file is stat'ed and hashed again: when its bytes are no longer those of
    `entry` (still being written or replaced), nothing of it loads and it is quarantined with
    `CHANGED_WHILE_READ`, so audit_files never describes other bytes than those parsed.
    """
    result = _parse_file(entry, limits)
    if changed_since(entry):
        return _quarantined(entry, f"{entry.rel_path}: {CHANGED_WHILE_READ}", result.file_kind)
    return result


def changed_since(entry: FileEntry) -> bool:
    """Whether the file's bytes now differ from the entry's (size first, then sha256)."""
    if not entry.sha256:
        return False  # never hashed (unreadable): nothing was parsed from it either
    try:
        if entry.path.stat().st_size != entry.size_bytes:
            return True
        return sha256_file(entry.path) != entry.sha256
    except OSError:
        return True  # gone or unreadable now: what was read cannot be vouched for


def _parse_file(entry: FileEntry, limits: Limits | None = None) -> ParseResult:
    limits = limits or Limits()
    kind: str | None = None
    if entry.problem is not None:  # a link out of raw/, a FIFO, …: never opened
        return _quarantined(entry, f"{entry.rel_path}: {entry.problem}")
    try:
        found = sniff(entry.path, limits)
        if found.kind is None:
            return _quarantined(entry, f"{entry.rel_path}: {found.problem}")
        kind = found.kind
        sheets = read_workbook(
            entry.path,
            found.kind,
            limits,
            encoding=found.encoding,
            delimiter=found.delimiter,
            label=entry.rel_path,
        )
        if entry.region_code is None:
            return _quarantined(entry, f"{entry.rel_path}: {entry.region_error}", kind)
        # Through the module, so a test's stand-in for `govdw.extract.extract` is the one called.
        ctx = extract.FileContext(
            rel_path=entry.rel_path,
            sha256=entry.sha256,
            region_code=entry.region_code,
            file_modified_at=entry.modified_at,
            file_name=entry.rel_path.rsplit("/", 1)[-1],  # readable even if the bytes are GBK
        )
        try:
            extraction = extract.extract(cast("list[Any]", sheets), ctx)
        except extract.ExtractionError as exc:
            refused = _quarantined(entry, _name_file(entry, str(exc)), kind)
            refused.report = {**exc.report, "kind": kind}
            return refused
        report = dict(extraction.report)
        report.setdefault("kind", kind)
        return ParseResult(
            rel_path=entry.rel_path,
            sha256=entry.sha256,
            status="loaded",
            dataset=extraction.dataset,
            file_kind=kind,
            exported_at=extraction.exported_at,
            tables={k: v for k, v in extraction.tables.items() if v.num_rows},
            report=report,
            sheets=list(extraction.sheets_used),
            rows=extraction.rows,
            warnings=list(getattr(extraction, "warnings", None) or []),
        )
    except (ValueError, OSError) as exc:
        log.debug("parsing %s failed", entry.rel_path, exc_info=True)
        return _quarantined(entry, _name_file(entry, str(exc)), kind)
    except MemoryError:
        return _quarantined(
            entry, f"{entry.rel_path}: the parser ran out of memory; split the export", kind
        )
    except Exception as exc:
        log.debug("parsing %s crashed", entry.rel_path, exc_info=True)
        return _quarantined(
            entry,
            f"{entry.rel_path}: unexpected parser error ({type(exc).__name__}: {exc}); "
            "please report this file to the govdw maintainers",
            kind,
        )


def _name_file(entry: FileEntry, message: str) -> str:
    """Make sure an error names the file, without naming it twice."""
    if entry.rel_path in message or entry.rel_path.rsplit("/", 1)[-1] in message:
        return message
    return f"{entry.rel_path}: {message}"


# --------------------------------------------------------------------------- worker pool


def _worker_init(max_memory_mib: int) -> None:
    """Cap the worker's address space so a runaway file fails with MemoryError, not the host."""
    try:
        import resource

        limit = max_memory_mib * 2**20
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # not on this platform: run without the cap
        pass
    logging.getLogger().setLevel(logging.WARNING)


def _new_pool(workers: int, limits: Limits) -> cf.ProcessPoolExecutor:
    # forkserver/spawn: never fork a parent that may hold DuckDB or Dagster threads.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_worker_init,
        initargs=(limits.max_memory_mib,),
        max_tasks_per_child=20,  # bounds fragmentation growth across many files
    )


def _kill_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Stop a pool whose worker overran or died: its processes are ours, killed by pid."""
    processes = list(getattr(pool, "_processes", {}).values())
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(5)


def parse_files(
    entries: Iterable[FileEntry],
    workers: int | None = None,
    progress: Progress | None = None,
    limits: Limits | None = None,
    parser: Callable[[FileEntry, Limits], ParseResult] | None = None,
) -> Iterator[ParseResult]:
    """Parse files in worker processes (one per core), yielding results as they finish.

    Each file gets `limits.max_seconds`; an overrun or a dead worker quarantines that file and
    the pool is rebuilt for the rest. `workers=0` parses in this process (for debugging).
    `parser` (default `parse_file`, must be picklable) exists for tests of the pool itself.
    """
    parser = parser or parse_file
    limits = limits or Limits()
    todo = list(entries)
    total = len(todo)
    started = time.monotonic()
    done = 0

    def report(result: ParseResult) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            elapsed = time.monotonic() - started
            progress(
                {
                    "files_done": done,
                    "files_total": total,
                    "file": result.rel_path,
                    "status": result.status,
                    "rows": result.rows,
                    "elapsed": elapsed,
                    "eta": elapsed / done * (total - done) if done else None,
                }
            )

    if workers == 0:
        for entry in todo:
            result = parser(entry, limits)
            report(result)
            yield result
        return
    n = max(1, min(workers or os.cpu_count() or 1, total or 1))
    yield from _parse_in_pool(todo, n, limits, report, parser)


def _parse_in_pool(
    todo: list[FileEntry],
    n: int,
    limits: Limits,
    report: Callable[[ParseResult], None],
    parser: Callable[[FileEntry, Limits], ParseResult],
) -> Iterator[ParseResult]:
    queue = list(reversed(todo))  # pop() from the end keeps rel_path order
    suspects: list[FileEntry] = []  # in flight when a worker died: retried one at a time
    pool = _new_pool(n, limits)
    running: dict[cf.Future[ParseResult], tuple[FileEntry, float]] = {}
    try:
        while queue or running or suspects:
            isolate = bool(suspects) and not running
            width = 1 if suspects else n
            while len(running) < width and (suspects if isolate else queue):
                entry = suspects.pop() if isolate else queue.pop()
                running[pool.submit(parser, entry, limits)] = (entry, time.monotonic())
                if isolate:
                    break
            if not running:
                continue
            now = time.monotonic()
            wait_for = max(0.05, min(s + limits.max_seconds for _, s in running.values()) - now)
            finished, _ = cf.wait(running, timeout=wait_for, return_when=cf.FIRST_COMPLETED)
            broken = False
            for fut in finished:
                entry, _start = running.pop(fut)
                try:
                    result = fut.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    if isolate:
                        result = _quarantined(
                            entry,
                            f"{entry.rel_path}: the parser crashed (out of memory?) while reading "
                            "this file; check that it opens in Excel, or split it",
                        )
                    else:
                        suspects.append(entry)
                        continue
                except Exception as exc:  # pickling or pool errors: never lose the file
                    result = _quarantined(entry, f"{entry.rel_path}: the parser failed ({exc})")
                report(result)
                yield result
            now = time.monotonic()
            overdue = [f for f, (_, s) in running.items() if now - s > limits.max_seconds]
            if broken or overdue:
                for fut in overdue:
                    entry, _ = running.pop(fut)
                    result = _quarantined(
                        entry,
                        f"{entry.rel_path}: parsing took longer than {limits.max_seconds:.0f} s; "
                        "split the export into smaller files",
                    )
                    report(result)
                    yield result
                # Whatever else was in flight on the killed pool runs again on the new one.
                for entry, _ in list(running.values()):
                    (suspects if broken else queue).append(entry)
                running.clear()
                _kill_pool(pool)
                pool = _new_pool(n, limits)
    finally:
        if running:
            _kill_pool(pool)
        else:
            pool.shutdown(wait=True)


# --------------------------------------------------------------------------- ingest_dir


#: DuckDB memory of the landing writer (it spills or writes through beyond it).
WRITER_MEMORY = "1GB"

#: Package parts that do not change what a file becomes in the landing tables.
_NOT_PARSING = {"cli.py", "publish.py", "runstate.py", "settings.py"}


def parser_version() -> str:
    """Digest of the code and vocabulary that turn files into landing rows, and of the PII key.

    Stored in the build database; when it differs (govdw upgraded, a synonym added, another
    key), every file is parsed again instead of keeping rows the old parser made.
    """
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package)
        if not path.is_file() or rel.parts[0] in ("sample", "__pycache__"):
            continue
        if rel.name in _NOT_PARSING or path.suffix not in (".py", ".toml", ".csv"):
            continue
        digest.update(str(rel).encode() + b"\0" + path.read_bytes())
    digest.update(hashlib.sha256(settings.pii_key()).digest())
    # The user vocabulary changes what files become, like the shipped one; a broken one stops
    # the run here, naming the file, before any file is parsed.
    vocab.raw()
    roles.lexicon()
    digest.update(vocab.user_vocab_digest().encode())
    return digest.hexdigest()[:16]


def _read_again(state: Any) -> bool:
    """A file left for the next run because it changed while it was read."""
    return state.status == "quarantined" and CHANGED_WHILE_READ in (state.error or "")


def _replaced_warning(previous: Any, entry: FileEntry, result: ParseResult) -> str | None:
    """Latest export wins: say so when a new export of a file holds fewer records than the one it
    replaces (the missing records are no longer loaded), None otherwise."""
    if previous is None or previous.status != "loaded" or previous.sha256 == entry.sha256:
        return None
    old = int(previous.rows or 0)
    if result.status != "loaded":
        if old and CHANGED_WHILE_READ not in (result.error or ""):
            return (
                f"the export this one replaced held {old} records; they are no longer loaded "
                "(latest export wins)"
            )
        return None
    new = int(result.rows or 0)
    if new >= old:
        return None
    return (
        f"this export holds {new} records, the one it replaced held {old} ({old - new} fewer); "
        "latest export wins"
    )


def _unchanged(rel_path: str, known: load.FileState) -> FileOutcome:
    """A file left as it is: dataset, region and sheets as landing.files already holds them."""
    return FileOutcome(
        rel_path,
        "unchanged",
        dataset=known.dataset,
        region_code=known.region_code,
        sheets=known.sheets.split(",") if known.sheets else [],
    )


def _quarantine_outcome(entry: FileEntry, error: str) -> FileOutcome:
    """A file quarantined without being parsed (as `load.mark_quarantined` records it)."""
    return FileOutcome(entry.rel_path, "quarantined", error=error, region_code=entry.region_code)


def _parsed_outcome(entry: FileEntry, result: ParseResult) -> FileOutcome:
    """A parsed file (as `load.write_result` records it), with its rows per landing table."""
    loaded = result.status == "loaded"
    return FileOutcome(
        result.rel_path,
        result.status,
        result.rows,
        result.error,
        warnings=list(result.warnings),
        dataset=load.stored_dataset(result),
        region_code=entry.region_code,
        sheets=list(result.sheets),
        rows_by_table=(
            {name: table.num_rows for name, table in result.tables.items()} if loaded else {}
        ),
    )


def _prepare_landing(con: duckdb.DuckDBPyConnection, *, full_refresh: bool) -> None:
    """Create the landing schema, dropping it first on a full refresh or a new parser version."""
    load.ensure_schema(con)
    version = parser_version()
    if full_refresh or load.parser_version(con) != version:
        con.execute("drop schema if exists landing cascade")
        load.ensure_schema(con)
        load.record_parser_version(con, version)


def _byte_owners(states: dict[str, tuple[str, str]], current: dict[str, str]) -> dict[str, str]:
    """sha256 -> rel_path of the loaded file that still holds the bytes it was loaded with."""
    owner: dict[str, str] = {}
    for path, (sha, status) in sorted(states.items()):
        if status == "loaded" and current.get(path) == sha:
            owner.setdefault(sha, path)
    return owner


def _record_unchanged(summary: IngestSummary, rel_path: str, known: load.FileState) -> None:
    """Count a file left as it is and add its outcome to the summary."""
    summary.unchanged += 1
    summary.files.append(_unchanged(rel_path, known))


def _record_quarantine(
    con: duckdb.DuckDBPyConnection, entry: FileEntry, error: str, summary: IngestSummary
) -> None:
    """Quarantine a file without parsing it, as a change of the landing tables."""
    load.mark_quarantined(con, entry, error)
    summary.quarantined += 1
    summary.changed = True
    summary.files.append(_quarantine_outcome(entry, error))


def _plan_files(
    con: duckdb.DuckDBPyConnection,
    entries: list[FileEntry],
    details: dict[str, load.FileState],
    states: dict[str, tuple[str, str]],
    owner: dict[str, str],
    summary: IngestSummary,
) -> tuple[list[FileEntry], list[tuple[FileEntry, str]]]:
    """Sort files into unchanged, quarantined unparsed, duplicates and the ones to parse."""
    to_parse: list[FileEntry] = []
    duplicates: list[tuple[FileEntry, str]] = []
    for entry in entries:
        state = states.get(entry.rel_path)
        if entry.problem is not None:
            # Never opened: a link out of raw/, a broken link, a loop, a FIFO, socket, device.
            error = f"{entry.rel_path}: {entry.problem}"
            known = details.get(entry.rel_path)
            if known is not None and (known.status, known.error) == ("quarantined", error):
                _record_unchanged(summary, entry.rel_path, known)
                continue
            _record_quarantine(con, entry, error, summary)
            continue
        if (
            state is not None
            and state[0] == entry.sha256
            and state[1] != "duplicate"
            and not _read_again(details[entry.rel_path])
        ):
            _record_unchanged(summary, entry.rel_path, details[entry.rel_path])
            continue
        first = owner.get(entry.sha256)
        if first is not None and first != entry.rel_path:
            duplicates.append((entry, first))
            continue
        if entry.region_code is None:
            error = f"{entry.rel_path}: {entry.region_error or 'the folder names no known region'}"
            _record_quarantine(con, entry, error, summary)
            continue
        owner[entry.sha256] = entry.rel_path
        to_parse.append(entry)
    return to_parse, duplicates


def _record_parsed(summary: IngestSummary, entry: FileEntry, result: ParseResult) -> None:
    """Count a parsed file, loaded or quarantined, with its rows per landing table."""
    summary.parsed += 1
    summary.changed = True
    outcome = _parsed_outcome(entry, result)
    if result.status == "loaded":
        summary.loaded += 1
        for name, count in outcome.rows_by_table.items():
            summary.rows_by_table[name] = summary.rows_by_table.get(name, 0) + count
    else:
        summary.quarantined += 1
    summary.files.append(outcome)


def _parse_and_write(
    con: duckdb.DuckDBPyConnection,
    to_parse: list[FileEntry],
    details: dict[str, load.FileState],
    summary: IngestSummary,
    *,
    workers: int | None,
    progress: Progress | None,
    limits: Limits | None,
) -> dict[str, ParseResult]:
    """Parse the files in worker processes and write each result as it comes; rel_path -> it."""
    outcome_of: dict[str, ParseResult] = {}
    by_path = {e.rel_path: e for e in to_parse}
    for result in parse_files(to_parse, workers=workers, progress=progress, limits=limits):
        entry = by_path[result.rel_path]
        replaced = _replaced_warning(details.get(entry.rel_path), entry, result)
        if replaced:
            result.warnings = [*result.warnings, replaced]
        load.write_result(con, entry, result)
        _record_parsed(summary, entry, result)
        # Written: only the outcome is kept. Holding every file's landing tables until the end
        # kept the whole parsed folder in memory (8.8 GiB at scale 4).
        outcome_of[result.rel_path] = dataclasses.replace(result, tables={})
        del result
    return outcome_of


def _settle_duplicates(
    con: duckdb.DuckDBPyConnection,
    duplicates: list[tuple[FileEntry, str]],
    outcome_of: dict[str, ParseResult],
    details: dict[str, load.FileState],
    summary: IngestSummary,
) -> None:
    """Mark each duplicate as such, or quarantine it when the file it repeats was quarantined."""
    for entry, first in duplicates:
        original = outcome_of.get(first)
        if original is not None and original.status != "loaded":
            error = (
                f"{entry.rel_path}: same bytes as {first}, which was quarantined: {original.error}"
            )
            load.mark_quarantined(con, entry, error)
            summary.quarantined += 1
            summary.files.append(_quarantine_outcome(entry, error))
        else:
            known = details.get(entry.rel_path)
            same = known is not None and (known.sha256, known.status, known.duplicate_of) == (
                entry.sha256,
                "duplicate",
                first,
            )
            if not same:  # recorded as it is: the build database is not written
                summary.changed = True
                load.mark_duplicate(con, entry, first)
            summary.duplicate += 1
            summary.files.append(
                FileOutcome(
                    entry.rel_path,
                    "duplicate",
                    duplicate_of=first,
                    region_code=entry.region_code,
                )
            )


def _forget_missing(
    con: duckdb.DuckDBPyConnection, present: set[str], summary: IngestSummary
) -> None:
    """Drop the landing rows of files no longer under raw/ and count them as a change."""
    summary.forgotten = load.forget_missing(con, present)
    summary.changed = summary.changed or bool(summary.forgotten)


def ingest_dir(
    raw_dir: Path,
    build_db: Path,
    *,
    full_refresh: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
    only: set[str] | None = None,
    limits: Limits | None = None,
    handoff_root: Path | None = None,
) -> IngestSummary:
    """Bring the landing schema of `build_db` up to date with the files under `raw_dir`.

    With `handoff_root` (default: `settings.landing_parquet_path` when `settings.handoff_enabled`)
    the Parquet hand-off there is brought up to date too (`govdw.handoff`).
    """
    import duckdb  # deferred: the worker processes never need it

    started = time.monotonic()
    summary = IngestSummary()
    build_db.parent.mkdir(parents=True, exist_ok=True)
    # The writer only appends Arrow batches: DuckDB's default cache (80% of RAM) would hold
    # every landing block written (2.7 GiB at scale 1); a cap keeps the run's memory flat.
    con = duckdb.connect(str(build_db), config={"memory_limit": WRITER_MEMORY})
    try:
        _prepare_landing(con, full_refresh=full_refresh)
        # A file whose size and mtime are those of the last walk keeps its sha256 unread.
        known = load.file_fingerprints(con)
        entries = discover(Path(raw_dir), known)
        if load.fingerprints_of(entries) != known:  # written only when they changed
            load.record_fingerprints(con, entries)
        current = {e.rel_path: e.sha256 for e in entries}
        present = set(current)
        if only is not None:
            entries = [e for e in entries if e.rel_path in only]
        summary.files_seen = len(entries)
        details = load.file_details(con)
        states = {path: (d.sha256, d.status) for path, d in details.items()}
        # sha256 -> rel_path of the file that owns those bytes: loaded files still holding the
        # bytes they were loaded with come first, then new files in rel_path order.
        owner = _byte_owners(states, current)
        to_parse, duplicates = _plan_files(con, entries, details, states, owner, summary)
        outcome_of = _parse_and_write(
            con, to_parse, details, summary, workers=workers, progress=progress, limits=limits
        )
        _settle_duplicates(con, duplicates, outcome_of, details, summary)
        if only is None:
            _forget_missing(con, present, summary)
        if handoff_root is None and settings.handoff_enabled():
            handoff_root = settings.landing_parquet_path(build_db)
        if handoff_root is not None:
            synced = handoff.sync(con, handoff_root)
            summary.handoff_files = synced.written_files + synced.removed_files
        con.execute("checkpoint")
    finally:
        con.close()
    summary.seconds = time.monotonic() - started
    return summary


#: Stands in for the region while `inspect_file` looks at a file whose region is unknown.
_NO_REGION = "000000"


def inspect_file(file: Path, raw: Path, region: str | None = None) -> dict[str, Any]:
    """What the ingester makes of one file at any path (`govdw inspect`); writes nothing.

    A file without a known region is still parsed (under a placeholder region) so the report shows
    what it holds, and then says why a run would quarantine it.
    """
    entry = entry_for(file, raw, region)
    no_region = entry.region_error if entry.region_code is None else None
    if no_region:
        entry = dataclasses.replace(entry, region_code=_NO_REGION, region_error=None)
    result = parse_file(entry)
    report: dict[str, Any] = {
        "file": str(file),
        "region": None if no_region else entry.region_code,
        **(result.report or {}),
    }
    report.setdefault("status", result.status)
    if result.error:
        report.setdefault("problems", [result.error])
    if no_region:
        report["status"] = "quarantined"
        report["problems"] = [f"{file.name}: {no_region}", *report.get("problems", [])]
    return report
