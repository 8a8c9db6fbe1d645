"""`govdw report bulletin|dashboard` and `govdw export`: argument parsing and printing only."""

from __future__ import annotations

from pathlib import Path

import click

from govdw import settings


def published_path(warehouse: Path | None) -> Path:
    """The published warehouse (`--warehouse`, else the default); a clear error if missing."""
    path = warehouse.expanduser().resolve() if warehouse else settings.warehouse_path()
    if not path.is_file():
        raise click.ClickException(f"the warehouse {path} does not exist: run `govdw run` first")
    return path


WAREHOUSE_OPTION = click.option(
    "--warehouse", type=click.Path(path_type=Path), default=None, help="Published DuckDB file."
)


@click.group()
def report() -> None:
    """Documents made from the published warehouse (通报, dashboard)."""


@report.command()
@click.option("--region", required=True, help="Region code (e.g. 653024) or name.")
@click.option("--period", required=True, help="2023-04 (month), 2023-Q4 (quarter) or 2023 (year).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports"))
@WAREHOUSE_OPTION
def bulletin(region: str, period: str, out_dir: Path, warehouse: Path | None) -> None:
    """The 通报 of REGION for PERIOD: a .docx (narrative, unit tables) and an .xlsx (tables)."""
    from govdw.reports import bulletin as bulletin_module

    try:
        written = bulletin_module.write_bulletin(published_path(warehouse), region, period, out_dir)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in written:
        click.echo(f"wrote {path}")


@report.command()
@click.option(
    "--out", "out_file", type=click.Path(path_type=Path), default=Path("reports/dashboard.html")
)
@WAREHOUSE_OPTION
def dashboard(out_file: Path, warehouse: Path | None) -> None:
    """One self-contained offline HTML dashboard (charts embedded, no network at view time)."""
    from govdw.reports import dashboard as dashboard_module

    path = dashboard_module.write_dashboard(published_path(warehouse), out_file)
    click.echo(f"wrote {path}")


@click.command()
@click.argument("fmt", metavar="parquet|csv|xlsx", type=click.Choice(["parquet", "csv", "xlsx"]))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("exports"))
@click.option("--tables", default=None, help="Comma-separated table names (default: all).")
@WAREHOUSE_OPTION
def export(fmt: str, out_dir: Path, tables: str | None, warehouse: Path | None) -> None:
    """Write the published tables as files for BI tools (facts as Parquet by region and year)."""
    from govdw.reports import export as export_module

    names = [t.strip() for t in tables.split(",") if t.strip()] if tables else None
    try:
        written = export_module.export_tables(
            published_path(warehouse),
            fmt,
            out_dir,
            names,
            progress=lambda line: click.echo(f"  {line}", err=True),
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {len(written)} file(s) under {out_dir}")
