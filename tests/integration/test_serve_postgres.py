"""The instance `govdw serve` configures for PostgreSQL really stores runs there: a throwaway
server (`LocalPostgres` on a free port), GOVDW_DAGSTER_PG_URL or the HOST/PORT/USER/DB variables,
serve's dagster.yaml, and a run written by one instance and read back by another."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance
from dagster._core.storage.dagster_run import DagsterRun

from govdw import settings
from govdw.engines.postgres_server import LocalPostgres, find_bindir
from orchestration.lib.instance import check_postgres_url, initialize_storage, write_serve_yaml

pytestmark = pytest.mark.slow

PG_VARS = (settings.DAGSTER_PG_URL_VAR, *settings.DAGSTER_PG_VARS.values())


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPostgres]:
    """A throwaway PostgreSQL server on 127.0.0.1 (`LocalPostgres`: owner `govdw`, password)."""
    pytest.importorskip("dagster_postgres", reason="the `postgres` extra is not installed")
    if find_bindir() is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl, postgres): `make postgres`")
    with LocalPostgres() as pg:
        yield pg


def _round_trip(home: Path) -> None:
    """serve's steps on `home` (yaml, storage set up), then a run written and read back."""
    path, action = write_serve_yaml(home, settings.dagster_postgres())
    assert action == "written"
    assert "postgres" in path.read_text(encoding="utf-8")
    initialize_storage(home)
    initialize_storage(home)  # a second start finds the tables and leaves them
    writer = DagsterInstance.from_config(str(home))
    try:
        assert type(writer.run_storage).__name__ == "PostgresRunStorage"
        run = writer.add_run(DagsterRun(job_name="govdw_pipeline", tags={"govdw/test": "pg"}))
    finally:
        writer.dispose()
    reader = DagsterInstance.from_config(str(home))
    try:
        found = reader.get_run_by_id(run.run_id)
        assert found is not None and found.tags["govdw/test"] == "pg"
    finally:
        reader.dispose()
    assert not (home / "history").exists(), "runs went to SQLite, not PostgreSQL"


def test_instance_in_postgres_by_url(
    server: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in PG_VARS:
        monkeypatch.delenv(var, raising=False)
    password = server.passwords[server.owner]
    url = f"postgresql+psycopg2://govdw:{password}@127.0.0.1:{server.port}/{server.database}"
    check_postgres_url(url)
    monkeypatch.setenv("GOVDW_DAGSTER_PG_URL", url)
    _round_trip(tmp_path / "by_url")
    assert url not in (tmp_path / "by_url" / "dagster.yaml").read_text(encoding="utf-8")


def test_instance_in_postgres_by_fields(
    server: LocalPostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in PG_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GOVDW_DAGSTER_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("GOVDW_DAGSTER_PG_PORT", str(server.port))
    monkeypatch.setenv("GOVDW_DAGSTER_PG_USER", server.owner)
    monkeypatch.setenv("GOVDW_DAGSTER_PG_PASSWORD", server.passwords[server.owner])
    monkeypatch.setenv("GOVDW_DAGSTER_PG_DB", server.database)
    _round_trip(tmp_path / "by_fields")
