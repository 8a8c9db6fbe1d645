"""Paths and keys from the environment, with repository defaults; the only reader of env vars."""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

#: The repository root: src/govdw/settings.py -> parents[2].
REPO_ROOT = Path(__file__).resolve().parents[2]


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def raw_dir() -> Path:
    """The drop folder (`GOVDW_RAW_DIR`, default `<repo>/raw`)."""
    return _path("GOVDW_RAW_DIR", REPO_ROOT / "raw")


def warehouse_path() -> Path:
    """The published DuckDB file (`GOVDW_WAREHOUSE`, default `<repo>/warehouse/govdw.duckdb`)."""
    return _path("GOVDW_WAREHOUSE", REPO_ROOT / "warehouse" / "govdw.duckdb")


def build_db_path(warehouse: Path | None = None) -> Path:
    """The pipeline's private build database, next to the warehouse it publishes."""
    default = (warehouse or warehouse_path()).parent / ".build" / "govdw_build.duckdb"
    return _path("GOVDW_BUILD_DB", default)


def target() -> str:
    """The engine the warehouse is built on (`GOVDW_TARGET`): duckdb (default), postgres, spark."""
    value = (os.environ.get("GOVDW_TARGET") or "duckdb").strip().lower()
    if value not in TARGETS:
        raise ValueError(f"GOVDW_TARGET={value!r}: choose one of {', '.join(TARGETS)}")
    return value


#: The dbt targets of dbt_project/profiles.yml.
TARGETS = ("duckdb", "postgres", "spark")


def landing_parquet_path(build_db: Path | None = None) -> Path:
    """The Parquet hand-off of the landing tables (`GOVDW_LANDING_PARQUET`, default
    `<build folder>/landing_parquet`): see `govdw.handoff`."""
    default = (build_db or build_db_path()).parent / "landing_parquet"
    return _path("GOVDW_LANDING_PARQUET", default)


def spark_warehouse_path(build_db: Path | None = None) -> Path:
    """Spark's tables and Hive metastore for the `spark` target (`GOVDW_SPARK_WAREHOUSE`, default
    `<build folder>/spark-warehouse`): see `govdw.engines.spark`."""
    default = (build_db or build_db_path()).parent / "spark-warehouse"
    return _path("GOVDW_SPARK_WAREHOUSE", default)


def handoff_enabled() -> bool:
    """Whether the ingester writes the Parquet hand-off: `GOVDW_HANDOFF=parquet`, or any target
    other than DuckDB (PostgreSQL and Spark read the landing tables from it)."""
    value = (os.environ.get("GOVDW_HANDOFF") or "").strip().lower()
    if value in {"parquet", "on", "1", "true"}:
        return True
    if value in {"off", "0", "false", "none"}:
        return False
    return target() != "duckdb"


@dataclass(frozen=True)
class PostgresSettings:
    """Where the PostgreSQL warehouse is built and published (`GOVDW_PG_*`; the same variables
    and defaults dbt_project/profiles.yml reads for its `postgres` target)."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "govdw"
    password: str = ""
    database: str = "govdw"
    #: The build schema (dbt's `schema`); its custom schemas are `<schema>_staging`, ….
    build_schema: str = "govdw_build"
    #: What the build schemas are renamed to on publish (`govdw_build_x` -> `govdw_x`).
    published_schema: str = "govdw"
    #: The NOLOGIN group role granted read access to the published schemas.
    reader_role: str = "govdw_reader"
    #: An optional login user made a member of `reader_role` ('' = none).
    reader_user: str = ""

    def connect_kwargs(self) -> dict[str, object]:
        """Keyword arguments for `psycopg2.connect`."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": self.database,
            "application_name": "govdw",
        }


def postgres() -> PostgresSettings:
    """The PostgreSQL settings from the environment (GOVDW_PG_HOST, _PORT, _USER, _PASSWORD,
    _DATABASE, _SCHEMA, _PUBLISHED_SCHEMA, _READER_ROLE, _READER_USER)."""
    env = os.environ.get
    default = PostgresSettings()
    port = env("GOVDW_PG_PORT") or str(default.port)
    if not port.isdigit():
        raise ValueError(f"GOVDW_PG_PORT={port!r}: give a port number")
    return PostgresSettings(
        host=env("GOVDW_PG_HOST") or default.host,
        port=int(port),
        user=env("GOVDW_PG_USER") or default.user,
        password=env("GOVDW_PG_PASSWORD") or default.password,
        database=env("GOVDW_PG_DATABASE") or default.database,
        build_schema=env("GOVDW_PG_SCHEMA") or default.build_schema,
        published_schema=env("GOVDW_PG_PUBLISHED_SCHEMA") or default.published_schema,
        reader_role=env("GOVDW_PG_READER_ROLE") or default.reader_role,
        reader_user=env("GOVDW_PG_READER_USER") or default.reader_user,
    )


def dagster_home() -> Path:
    """The Dagster instance folder (`DAGSTER_HOME`, default `<repo>/.dagster`)."""
    return _path("DAGSTER_HOME", REPO_ROOT / ".dagster")


def user_vocab_path() -> Path:
    """The user vocabulary (`GOVDW_VOCAB`, default `<repo>/govdw-vocab.toml`); may not exist.

    Its entries add to or override the shipped `govdw/vocab/*.toml` (docs/vocabulary.md).
    """
    return _path("GOVDW_VOCAB", REPO_ROOT / "govdw-vocab.toml")


def dbt_project_dir() -> Path:
    """The dbt project shipped in the repository."""
    return REPO_ROOT / "dbt_project"


def pii_key_path() -> Path:
    """Where a generated PII key lives: `$DAGSTER_HOME/secrets/pii.key` (folder 0700, file 0600).

    Never under the raw folder or next to the warehouse, and the query surface (`govdw sql`,
    `govdw shell`) cannot read any file at all (`govdw.query`).
    """
    return dagster_home() / "secrets" / "pii.key"


def _private(path: Path, mode: int) -> None:
    """Tighten `path` to `mode` when group or others could read it."""
    if path.stat().st_mode & 0o077:
        path.chmod(mode)


def pii_key() -> bytes:
    """The key for hashing identifying columns: `GOVDW_PII_KEY`, else one generated on first use.

    The generated key is kept at :func:`pii_key_path` so hashes stay stable across runs; a key
    left at the old place (`$DAGSTER_HOME/pii.key`) is moved there. Rotating the key:
    docs/security.md.
    """
    value = os.environ.get("GOVDW_PII_KEY")
    if value:
        return value.encode("utf-8")
    key_file = pii_key_path()
    folder = key_file.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _private(folder, 0o700)
    legacy = dagster_home() / "pii.key"
    if not key_file.exists() and legacy.is_file():
        legacy.chmod(0o600)
        os.replace(legacy, key_file)
    if not key_file.exists():
        # Several processes may start on a fresh home at once: each writes its own temp file and
        # links it into place. Only the first link succeeds, so every process reads that one key.
        tmp = folder / f".pii.key.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(tmp, key_file)
        finally:
            tmp.unlink(missing_ok=True)
    _private(key_file, 0o600)
    return key_file.read_text(encoding="utf-8").strip().encode("utf-8")


# ------------------------------------------------------------- production (`govdw serve`)


def automation_enabled() -> bool:
    """Whether the nightly schedule and the raw-folder sensor start RUNNING (`GOVDW_AUTOMATION=on`,
    which `govdw serve` sets). Off by default: `dagster dev`, `govdw ui` and the tests never load
    raw files behind the user's back."""
    return (os.environ.get("GOVDW_AUTOMATION") or "").strip().lower() in {"on", "1", "true", "yes"}


def nightly_cron() -> str:
    """When the nightly load runs (`GOVDW_NIGHTLY_CRON`, default `0 2 * * *`, Beijing time)."""
    return (os.environ.get("GOVDW_NIGHTLY_CRON") or "").strip() or "0 2 * * *"


def serve_log_dir() -> Path:
    """Where `govdw serve` writes webserver.log and daemon.log (`GOVDW_LOG_DIR`, default
    `$DAGSTER_HOME/logs`, beside the run logs)."""
    return _path("GOVDW_LOG_DIR", dagster_home() / "logs")


def _positive_int(var: str, default: int) -> int:
    value = (os.environ.get(var) or "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{var}={value!r}: expected a whole number") from None
    if number < 0:
        raise ValueError(f"{var}={value!r}: expected 0 or more")
    return number


def serve_log_rotation() -> tuple[int, int]:
    """(bytes per log file before it is rotated, rotated files kept): `GOVDW_LOG_MAX_BYTES`
    (default 10 MiB; 0 never rotates) and `GOVDW_LOG_BACKUPS` (default 5)."""
    return _positive_int("GOVDW_LOG_MAX_BYTES", 10 * 2**20), _positive_int("GOVDW_LOG_BACKUPS", 5)


#: Dagster's PostgreSQL storage fields and the variables that set them (`govdw serve`).
DAGSTER_PG_URL_VAR = "GOVDW_DAGSTER_PG_URL"
DAGSTER_PG_VARS = {
    "hostname": "GOVDW_DAGSTER_PG_HOST",
    "port": "GOVDW_DAGSTER_PG_PORT",
    "username": "GOVDW_DAGSTER_PG_USER",
    "password": "GOVDW_DAGSTER_PG_PASSWORD",
    "db_name": "GOVDW_DAGSTER_PG_DB",
}


def dagster_pg_url() -> str | None:
    """`GOVDW_DAGSTER_PG_URL`, checked by `govdw serve` before it starts (never written)."""
    return (os.environ.get(DAGSTER_PG_URL_VAR) or "").strip() or None


def dagster_postgres() -> dict[str, str] | None:
    """The Dagster instance's PostgreSQL settings that are set, as {storage field: variable name}
    (`postgres_url` alone when `GOVDW_DAGSTER_PG_URL` is set); None keeps SQLite in
    `$DAGSTER_HOME`. Names, not values: dagster.yaml refers to the variables, so no password is
    ever written to disk."""
    if (os.environ.get(DAGSTER_PG_URL_VAR) or "").strip():
        return {"postgres_url": DAGSTER_PG_URL_VAR}
    found = {
        field: var for field, var in DAGSTER_PG_VARS.items() if (os.environ.get(var) or "").strip()
    }
    return found or None
