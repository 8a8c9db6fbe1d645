"""Resources built in one place: the paths every asset uses (from env via govdw.settings) and
the build database connections made from them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from govdw import settings

#: The one pool every writer of the build database joins: DuckDB allows a single writing process.
WRITER_POOL = "govdw_writer"

#: Run tag asking ingest to re-parse every file and dbt to rebuild incremental models.
FULL_REFRESH_TAG = "govdw/full_refresh"
#: Run tag: the ingester brings the whole raw folder up to date (new, changed and gone files),
#: whatever the run's partitions (`govdw run` materializes only the partitions that changed).
WHOLE_FOLDER_TAG = "govdw/whole_folder"


class GovdwPaths(ConfigurableResource):
    """Where the raw drop folder, build database and published warehouse live (empty = from env)."""

    raw_dir: str = ""
    warehouse: str = ""
    build_db: str = ""

    def raw_path(self) -> Path:
        """The raw drop folder."""
        return Path(self.raw_dir) if self.raw_dir else settings.raw_dir()

    def warehouse_path(self) -> Path:
        """The published DuckDB file."""
        return Path(self.warehouse) if self.warehouse else settings.warehouse_path()

    def build_db_path(self) -> Path:
        """The private build database (written by ingest and dbt, copied by publish)."""
        if self.build_db:
            return Path(self.build_db)
        return settings.build_db_path(Path(self.warehouse) if self.warehouse else None)

    def export_dbt_env(self) -> None:
        """Point dbt's profile at the build DB (env GOVDW_BUILD_DB) and silence telemetry."""
        build_db = self.build_db_path()
        build_db.parent.mkdir(parents=True, exist_ok=True)
        os.environ["GOVDW_BUILD_DB"] = str(build_db)
        os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"


class BuildDatabase(ConfigurableResource):
    """Connections to the build database of `paths`: how assets and checks open DuckDB."""

    paths: GovdwPaths

    @contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the build database, closed on leaving the block (read-only by
        default: checks and probes run while no other step writes)."""
        con = duckdb.connect(str(self.paths.build_db_path()), read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def dbt_executable() -> str:
    """The dbt next to the running interpreter, so the venv's dbt runs even when not on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"
