"""The `govdw` command line: run, inspect, sql, sample, ui, serve (delegates; Dagster lazily)."""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import json
import os
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from govdw import query as surface
from govdw import settings
from govdw.query import spreadsheet_safe
from govdw.reports.commands import WAREHOUSE_OPTION, export, published_path, report

# Standard library only (no Dagster).
from orchestration.lib.progress import ProgressPrinter, fmt_seconds

if TYPE_CHECKING:
    from dagster import Definitions

    from orchestration.lib.run import RunResult


class UserError(click.ClickException):
    """A failure explained in words a person can act on (no traceback unless --debug)."""


def _fail(message: str) -> NoReturn:
    raise UserError(message)


def _set_env(raw_dir: Path | None, warehouse: Path | None) -> tuple[Path, Path, Path]:
    """Export the paths every part of the pipeline reads; return (raw, warehouse, build_db)."""
    if raw_dir is not None:
        os.environ["GOVDW_RAW_DIR"] = str(raw_dir.expanduser().resolve())
    if warehouse is not None:
        os.environ["GOVDW_WAREHOUSE"] = str(warehouse.expanduser().resolve())
        # The build DB follows the warehouse it publishes unless set explicitly.
    raw = settings.raw_dir()
    wh = settings.warehouse_path()
    os.environ["GOVDW_RAW_DIR"] = str(raw)
    os.environ["GOVDW_WAREHOUSE"] = str(wh)
    if warehouse is not None and "GOVDW_BUILD_DB" not in os.environ:
        os.environ["GOVDW_BUILD_DB"] = str(wh.parent / ".build" / "govdw_build.duckdb")
    build = settings.build_db_path(wh)
    os.environ["GOVDW_BUILD_DB"] = str(build)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    return raw, wh, build


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """govdw: batch ETL and DuckDB warehouse for 12345 hotline, 办件 and 好差评 exports."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# ----------------------------------------------------------------------------------------- run


#: The stages that build the warehouse on another engine: asset -> (engine, what stays as it was).
_ENGINE_STAGES = {
    "postgres_warehouse": ("PostgreSQL", "the published PostgreSQL schemas are unchanged"),
    "spark_warehouse": ("Spark", "the published Spark database govdw is unchanged"),
}


def _print_summary(result: RunResult, started: float) -> None:
    facts = result.summary
    assert facts is not None  # a successful run always has one
    echo = click.echo
    echo("")
    echo("govdw run: done")
    st = facts.statuses
    echo(
        f"  files: {sum(st.values())} in raw/ -> {st.get('loaded', 0)} loaded, "
        f"{st.get('duplicate', 0)} duplicate, {st.get('quarantined', 0)} quarantined"
    )
    echo(
        f"  this run: {result.parsed} parsed, {result.unchanged} unchanged"
        + (
            ", dbt build skipped (nothing changed since the last passing build)"
            if result.dbt_skipped
            else ""
        )
    )
    echo("  rows per fact table:")
    for table, count in facts.rows.items():
        echo(f"    {table:<22} {int(count):>10,}")
    echo(f"  reconciliation mismatches: {facts.mismatches}")
    if facts.mismatches:
        echo('    (details: govdw sql "select * from audit_reconciliation where not is_match")')
    if facts.quarantined:
        echo("  quarantined files (fix or re-export them, then run again):")
        for path, error in facts.quarantined:
            reason = str(error or "no reason recorded")
            reason = reason[len(path) + 2 :] if reason.startswith(f"{path}: ") else reason
            echo(f"    {path}: {reason}")
    if facts.warnings:
        lines = [
            f"    {path}: {line[len(path) + 2 :] if line.startswith(path) else line}"
            for path, text in facts.warnings
            for line in str(text).splitlines()
            if line
        ]
        echo(f"  warnings ({len(facts.warnings)} file(s)):")
        for line in lines[:30]:
            echo(line)
        if len(lines) > 30:
            more = 'govdw sql "select file_path, warnings from audit_files"'
            echo(f"    … {len(lines) - 30} more lines: {more}")
    echo(f"  warehouse: {result.warehouse}")
    if result.postgres:
        pg = result.postgres
        echo(f"  postgres: {', '.join(pg.get('published') or [])} on {pg.get('database')}")
        for warning in pg.get("warnings") or []:
            echo(f"    warning: {warning}")
    if result.spark:
        spark = result.spark
        tables = len(spark.get("published") or [])
        where = f"database {spark.get('database')} (build {spark.get('build')})"
        echo(f"  spark: {tables} tables in {where}")
    echo(f"  run log: {result.log}")
    echo(f"  total time: {fmt_seconds(time.monotonic() - started)}")


def _notify(text: str, to_stderr: bool) -> None:
    click.echo(text, err=to_stderr)


@cli.command()
@click.option("--raw-dir", type=click.Path(path_type=Path), default=None, help="Raw drop folder.")
@click.option(
    "--warehouse", type=click.Path(path_type=Path), default=None, help="Published DuckDB file."
)
@click.option("--full-refresh", is_flag=True, help="Re-parse every file and rebuild every model.")
@click.option(
    "--target",
    type=click.Choice(list(settings.TARGETS)),
    default=None,
    help="Also build and publish the warehouse on PostgreSQL (GOVDW_PG_* say where) or Spark "
    "(a local session; GOVDW_SPARK_*). Default: GOVDW_TARGET, else duckdb.",
)
def run(
    raw_dir: Path | None, warehouse: Path | None, full_refresh: bool, target: str | None
) -> None:
    """Run the whole pipeline through Dagster and publish the warehouse atomically."""
    started = time.monotonic()
    if target is not None:
        os.environ["GOVDW_TARGET"] = target
    raw, wh, _build = _set_env(raw_dir, warehouse)
    if not raw.is_dir():
        _fail(f"the raw folder {raw} does not exist: create it or run `govdw sample` first")
    from orchestration.lib.instance import ensure_instance_yaml  # lazy: start-up cost

    ensure_instance_yaml(settings.dagster_home())
    click.echo(f"govdw run: {raw} -> {wh}")
    from orchestration.lib.run import RunRefused, RunStopped, run_pipeline  # lazy: start-up cost

    def load_defs() -> Definitions:
        # Loaded only when the job runs: a run with nothing to do never pays for it.
        from orchestration.definitions import defs  # lazy: start-up cost

        return defs

    try:
        result = run_pipeline(
            raw,
            wh,
            load_defs,
            full_refresh=full_refresh,
            make_progress=ProgressPrinter,
            notify=_notify,
        )
    except RunStopped as stopped:
        click.echo(f"govdw run: {stopped}", err=True)
        sys.exit(stopped.exit_code)
    except RunRefused as refused:
        _fail(str(refused))
    if not result.success and result.failed_step in _ENGINE_STAGES:
        engine, unchanged = _ENGINE_STAGES[result.failed_step]
        _fail(
            f"the {engine} stage failed: the DuckDB warehouse {wh} was published, {unchanged}.\n"
            + result.failure
            + f"\n(run id {result.run_id}; full log {result.log}; `govdw ui` shows the run)"
        )
    if not result.success:
        _fail(
            ("the run was interrupted (SIGINT/SIGTERM)" if result.interrupted else "the run failed")
            + "; the previous warehouse (if any) is unchanged.\n"
            + result.failure
            + f"\n(run id {result.run_id}; full log {result.log}; `govdw ui` shows the run)"
        )
    _print_summary(result, started)


# ------------------------------------------------------------------------------------- inspect


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return _jsonable(vars(value))
    return value


def _human_report(report: Mapping[str, Any], indent: str = "") -> list[str]:
    lines = []
    for key, value in report.items():
        if isinstance(value, Mapping):
            lines.append(f"{indent}{key}:")
            lines.extend(_human_report(value, indent + "  "))
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            lines.append(f"{indent}{key}:")
            for item in value:
                lines.extend(_human_report(item, indent + "  - ")[:1])
                lines.extend(_human_report(item, indent + "    ")[1:])
        elif isinstance(value, list):
            lines.append(f"{indent}{key}: {', '.join(str(v) for v in value) or '-'}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option(
    "--region",
    default=None,
    help="Region (code or name); default: from the folders or the file name.",
)
@click.option("--raw-dir", type=click.Path(path_type=Path), default=None, help="Raw drop folder.")
def inspect(file: Path, as_json: bool, region: str | None, raw_dir: Path | None) -> None:
    """Show what the ingester makes of one FILE; writes nothing."""
    if not file.is_file():
        _fail(f"{file}: no such file")
    raw = raw_dir.resolve() if raw_dir else settings.raw_dir()
    # Hashing identifying columns needs a key; never create the key file just to look at a file.
    if not os.environ.get("GOVDW_PII_KEY") and not settings.pii_key_path().exists():
        os.environ["GOVDW_PII_KEY"] = "govdw-inspect-ephemeral-key"
    from govdw import ingest  # lazy: start-up cost

    report = ingest.inspect_file(file, raw, region)
    if as_json:
        click.echo(json.dumps(_jsonable(report), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(_human_report(_jsonable(report))))


# ----------------------------------------------------------------------------------------- sql


def _render(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            [dict(zip(columns, _jsonable(list(r)), strict=True)) for r in rows],
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        # Text a spreadsheet would run as a formula (=cmd|…) is written inert.
        writer.writerows(["" if v is None else spreadsheet_safe(v) for v in r] for r in rows)
        return buf.getvalue().rstrip("\n")
    cells = [["NULL" if v is None else str(v) for v in r] for r in rows]
    widths = [max([_width(c), *(_width(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    line = " | ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True))
    sep = "-+-".join("-" * w for w in widths)
    body = [" | ".join(_pad(v, w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, sep, *body, f"({len(rows)} row{'s' if len(rows) != 1 else ''})"])


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


_FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)


@cli.command()
@click.argument("query", required=False)
@click.option(
    "--file",
    "query_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read the query from this .sql file (UTF-8).",
)
@WAREHOUSE_OPTION
@_FORMAT_OPTION
def sql(query: str | None, query_file: Path | None, warehouse: Path | None, fmt: str) -> None:
    """Run QUERY against the published warehouse: read-only, no files, no network.

    QUERY `-` reads the query from stdin; `--file Q.sql` reads it from a file.
    """
    if (query is None) == (query_file is None):
        _fail("give exactly one query: QUERY, `-` for stdin, or --file Q.sql")
    if query_file is not None:
        # utf-8-sig: a .sql saved by a Windows editor starts with a BOM DuckDB cannot parse.
        text = query_file.read_text(encoding="utf-8-sig")
    elif query == "-":
        text = click.get_text_stream("stdin", encoding="utf-8").read().lstrip("\ufeff")
    else:
        text = query or ""
    if not text.strip():
        _fail("the query is empty")
    path = published_path(warehouse)
    try:
        with surface.open_published(path) as con:
            columns, rows = surface.run_query(con, text)
    except surface.QueryRefused as exc:
        _fail(f"{exc}\n(govdw sql only reads the tables of {path})")
    except surface.QueryFailed as exc:
        _fail(f"query failed on {path}: {exc}")
    click.echo(_render(columns, rows, fmt))


_SHELL_HELP = """\
Statements end with ';' and may span lines. The warehouse is read-only: no writes, no files
outside it, no network, no extensions.
  .tables            tables and views
  .schema NAME       columns of a table or view
  .format FMT        table | csv | json
  .help              this text
  .quit              leave (also Ctrl-D)"""


def _statement_complete(text: str) -> bool:
    """Whether `text` ends a statement: a ';' outside quotes at its end."""
    stripped = text.rstrip()
    return stripped.endswith(";") and stripped.count("'") % 2 == 0 and stripped.count('"') % 2 == 0


def _shell_command(con: Any, line: str, state: dict[str, str]) -> bool:
    """Run one dot-command; False when the shell should end."""
    word, _, arg = line.strip().partition(" ")
    arg = arg.strip().rstrip(";")
    if word in (".quit", ".exit"):
        return False
    if word == ".help":
        click.echo(_SHELL_HELP)
    elif word == ".tables":
        for schema, name, kind in surface.table_names(con):
            click.echo(f"{name if schema == 'main' else schema + '.' + name}  ({kind})")
    elif word == ".schema" and arg:
        columns, rows = surface.run_query(
            con,
            "select column_name, data_type from information_schema.columns "
            f"where table_name = '{arg.replace(chr(39), chr(39) * 2)}' order by ordinal_position",
        )
        click.echo(_render(columns, rows, "table") if rows else f"no table or view named {arg}")
    elif word == ".format" and arg in ("table", "csv", "json"):
        state["format"] = arg
    else:
        click.echo(f"unknown command {line.strip()!r}; .help lists the commands", err=True)
    return True


def _read_line(prompt: str | None) -> str | None:
    """One input line (None at end of input); `prompt` None reads a pipe without prompting.

    At a terminal, Ctrl-C returns "" so the caller can drop the statement being typed.
    """
    if prompt is None:
        line = sys.stdin.readline()
        return line if line else None
    try:
        return input(prompt) + "\n"
    except EOFError:
        click.echo("")
        return None
    except KeyboardInterrupt:
        click.echo("")
        return ""


@cli.command()
@WAREHOUSE_OPTION
@_FORMAT_OPTION
def shell(warehouse: Path | None, fmt: str) -> None:
    """Interactive SQL console on the published warehouse, with the limits of `govdw sql`."""
    path = published_path(warehouse)
    interactive = sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing; history stays in memory)
        click.echo(f"govdw shell on {path} (read-only). .help for help, .quit to leave.")
    state = {"format": fmt}
    failures = 0
    buffer = ""
    with surface.open_published(path) as con:
        while True:
            line = _read_line(("govdw> " if not buffer else "  ...> ") if interactive else None)
            if line is None:
                break
            if not line and interactive:
                buffer = ""  # Ctrl-C drops the statement being typed
                continue
            if not buffer and line.strip().startswith("."):
                try:
                    if not _shell_command(con, line, state):
                        break
                except (surface.QueryRefused, surface.QueryFailed) as exc:
                    failures += 1
                    click.echo(f"error: {exc}", err=True)
                continue
            buffer += line.rstrip("\n") + "\n"
            if not _statement_complete(buffer):
                continue
            statement, buffer = buffer, ""
            try:
                columns, rows = surface.run_query(con, statement)
            except (surface.QueryRefused, surface.QueryFailed) as exc:
                failures += 1
                click.echo(f"error: {exc}", err=True)
                continue
            if columns:
                click.echo(_render(columns, rows, state["format"]))
    if buffer.strip():
        click.echo("error: the last statement has no closing ';' and was not run", err=True)
        failures += 1
    if failures and not interactive:
        sys.exit(1)


# -------------------------------------------------------------------------------------- sample


@cli.command()
@click.option("--raw-dir", type=click.Path(path_type=Path), default=None, help="Raw drop folder.")
@click.option("--scale", type=float, default=None, help="Size of the sample (default 0.02).")
@click.option("--seed", type=int, default=None, help="Random seed (same seed, same bytes).")
@click.option("--truth", type=click.Path(path_type=Path), default=None, help="Write truth JSON.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the raw folder holds data files.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes writing files (default $GOVDW_SAMPLE_WORKERS, else one per core).",
)
def sample(
    raw_dir: Path | None,
    scale: float | None,
    seed: int | None,
    truth: Path | None,
    if_empty: bool,
    workers: int | None,
) -> None:
    """Write the realistic multi-region, multi-year sample exports into the raw folder."""
    from govdw.discover import has_data_files  # lazy: start-up cost (pyarrow, region tables)

    raw = raw_dir.expanduser().resolve() if raw_dir else settings.raw_dir()
    if if_empty and has_data_files(raw):
        click.echo(f"govdw sample: {raw} already holds data files; leaving it as is")
        return
    # Imported by name so this module does not depend on the generator at import time.
    write_sample = importlib.import_module("govdw.sample").write_sample
    options: dict[str, Any] = {"truth_path": truth, "workers": workers}
    if scale is not None:
        options["scale"] = scale
    if seed is not None:
        options["seed"] = seed
    click.echo(f"govdw sample: writing sample exports into {raw}")
    summary = write_sample(raw, progress=lambda msg: click.echo(f"  {msg}", err=True), **options)
    click.echo(
        f"govdw sample: {summary.files} files, {summary.rows:,} rows, "
        f"{summary.bytes / 2**20:.1f} MiB in {summary.seconds:.1f}s "
        f"({summary.workers} worker{'s' if summary.workers != 1 else ''})"
    )


# ------------------------------------------------------------------------------------------ ui


@cli.command()
@click.option("--port", type=int, default=3000, show_default=True)
def ui(port: int) -> None:
    """Start the Dagster UI (dagster dev) on 127.0.0.1:PORT."""
    _set_env(None, None)
    from orchestration.lib.instance import ensure_instance_yaml

    ensure_instance_yaml(settings.dagster_home())
    dagster = Path(sys.executable).parent / "dagster"
    cmd = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    click.echo(f"Dagster UI on http://127.0.0.1:{port} (DAGSTER_HOME={os.environ['DAGSTER_HOME']})")
    try:
        # The venv's tools (dbt among them) first on PATH, activated or not.
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
        code = subprocess.call(cmd, cwd=settings.REPO_ROOT, env=env)
    except KeyboardInterrupt:
        code = 0
    sys.exit(code)


# --------------------------------------------------------------------------------------- serve


@cli.command()
@click.option(
    "--role",
    type=click.Choice(["webserver", "daemon", "all"]),
    default="all",
    show_default=True,
    help="What to run: one systemd unit per role, or both in this process.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Webserver address (it has no login: keep 127.0.0.1 behind an authenticating proxy).",
)
@click.option("--port", type=int, default=3000, show_default=True, help="Webserver port.")
@click.option(
    "--log-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where webserver.log and daemon.log go (default $GOVDW_LOG_DIR, else $DAGSTER_HOME/logs).",
)
@click.option(
    "--no-automation", is_flag=True, help="Leave the nightly schedule and the sensor stopped."
)
def serve(role: str, host: str, port: int, log_dir: Path | None, no_automation: bool) -> None:
    """Production: Dagster webserver and daemon, nightly schedule and raw-folder sensor ON.

    Runs until SIGTERM/SIGINT (exit 0); exits 1 when a child dies (systemd restarts it) and 78
    on a configuration problem. deploy/README.md: the systemd units.
    """
    raw, _wh, _build = _set_env(None, None)
    from orchestration.lib import serve as supervisor  # lazy: start-up cost

    def refuse(problem: object) -> NoReturn:
        # EX_CONFIG: the units do not restart on it (RestartPreventExitStatus).
        click.echo(f"govdw serve: {problem}", err=True)
        sys.exit(supervisor.EXIT_CONFIG)

    if role != "webserver" and not raw.is_dir():
        refuse(f"the raw folder {raw} does not exist: create it (or set GOVDW_RAW_DIR)")
    try:
        max_bytes, backups = settings.serve_log_rotation()
    except ValueError as exc:
        refuse(exc)
    options = supervisor.ServeOptions(
        role=role,
        host=host,
        port=port,
        home=settings.dagster_home(),
        log_dir=log_dir.expanduser().resolve() if log_dir else settings.serve_log_dir(),
        max_bytes=max_bytes,
        backups=backups,
        automation=not no_automation,
    )
    try:
        code = supervisor.serve(options, notify=click.echo)
    except supervisor.ServeError as exc:
        refuse(exc)
    sys.exit(code)


# ------------------------------------------------------------------------------ report, export

cli.add_command(report)
cli.add_command(export)

# ---------------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    """Entry point: unexpected errors become one clear line (the traceback with --debug)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    # API-stability notices from Dagster are for its developers, not for someone loading data.
    warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview)")
    try:
        cli.main(args=args, prog_name="govdw", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:
        if debug:
            traceback.print_exc()
        # A private, new file per error (0600, O_EXCL|O_NOFOLLOW): never a shared /tmp path.
        where = "re-run with --debug to print it"
        try:
            folder = settings.dagster_home() / "logs"
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            log = folder / f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(log, flags, 0o600), "w", encoding="utf-8") as out:
                out.write(traceback.format_exc())
            where = f"full traceback in {log}; {where}"
        except OSError:
            pass
        click.echo(f"govdw: error: {type(exc).__name__}: {exc}\n({where})", err=True)
        sys.exit(1)
