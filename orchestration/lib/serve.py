"""`govdw serve`: the Dagster webserver and daemon as child processes of one supervisor.

Production on one machine. The supervisor writes the instance's dagster.yaml and workspace.yaml
into DAGSTER_HOME, starts `dagster-webserver` and/or `dagster-daemon run` (`--role`) with
GOVDW_AUTOMATION=on (the nightly schedule and the raw-folder sensor start RUNNING), and copies
each child's output line by line to `<log dir>/<child>.log` (rotated by size) and to stderr (the
journal under systemd).

Restart or exit: the supervisor never restarts a child. When one exits on its own, the other is
stopped and serve exits 1, so systemd's `Restart=on-failure` (or whoever started it) restarts
the whole role with a clean slate. SIGTERM or SIGINT stops the children (SIGTERM to each child's
process group: its code server and any run it launched; SIGKILL after the grace period) and serve
exits 0. A configuration problem exits 78 (EX_CONFIG) before anything starts, which the units
list in RestartPreventExitStatus so a wrong setting does not restart in a loop.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import logging.handlers
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import yaml
from dagster._utils.schedules import is_valid_cron_string

from govdw import settings
from orchestration.lib.instance import (
    InstanceConfigError,
    check_postgres_url,
    initialize_storage,
    write_serve_yaml,
)

#: What `--role` may name: one child each, or both in one supervisor.
ROLES = ("webserver", "daemon", "all")
#: The code location's name, as `[tool.dagster] code_location_name` gives it to `dagster dev`, so
#: runs and schedule state recorded by either belong to the same location.
LOCATION_NAME = "govdw"
#: Exit status for a configuration problem (sysexits EX_CONFIG); the units do not restart on it.
EXIT_CONFIG = 78
#: Seconds a child gets after SIGTERM before SIGKILL (a run worker marks its run as it stops).
GRACE_SECONDS = 30.0

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: Logger names are unique per serve (and per test): handlers never leak between them.
_LOGGER_IDS = itertools.count()


class ServeError(Exception):
    """serve cannot start as configured (the message says what to fix)."""


@dataclass(frozen=True)
class ServeOptions:
    """What `govdw serve` runs, and where its instance and logs live."""

    role: str
    host: str
    port: int
    home: Path
    log_dir: Path
    max_bytes: int = 10 * 2**20
    backups: int = 5
    automation: bool = True
    grace_seconds: float = GRACE_SECONDS
    repo: Path = field(default_factory=lambda: settings.REPO_ROOT)
    #: The interpreter of the code servers and runs; the dagster tools are found beside it.
    python: Path = field(default_factory=lambda: Path(sys.executable))

    @property
    def bin_dir(self) -> Path:
        """The venv's bin/ (not resolved: a venv's python is a link to the base interpreter)."""
        return self.python.parent

    def children(self) -> tuple[str, ...]:
        """The child processes of this role, in start order."""
        return ("webserver", "daemon") if self.role == "all" else (self.role,)


# ------------------------------------------------------------------------------ configuration


def render_workspace_yaml(repo: Path, python: Path) -> str:
    """The workspace both children load: the repo's code location under its usual name, run by
    this interpreter (the venv's, activated or not)."""
    workspace = {
        "load_from": [
            {
                "python_module": {
                    "module_name": "orchestration.definitions",
                    "working_directory": str(repo),
                    "location_name": LOCATION_NAME,
                    "executable_path": str(python),
                }
            }
        ]
    }
    header = "# govdw serve: rewritten at every start (orchestration/lib/serve.py).\n"
    return header + yaml.safe_dump(workspace, sort_keys=False)


def _write_if_changed(path: Path, text: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.read_text(encoding="utf-8") == text:
            return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _executable(bin_dir: Path, name: str) -> str:
    candidate = bin_dir / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ServeError(f"{name} is not installed next to {sys.executable} nor on PATH")
    return found


def child_commands(options: ServeOptions, workspace: Path) -> dict[str, list[str]]:
    """The command line of each child of `options.role`."""
    commands = {
        "webserver": [
            _executable(options.bin_dir, "dagster-webserver"),
            "--host",
            options.host,
            "--port",
            str(options.port),
            "--workspace",
            str(workspace),
        ],
        "daemon": [
            _executable(options.bin_dir, "dagster-daemon"),
            "run",
            "--workspace",
            str(workspace),
        ],
    }
    return {name: commands[name] for name in options.children()}


def child_env(options: ServeOptions, base: Mapping[str, str]) -> dict[str, str]:
    """The children's environment: `base` plus the instance, automation and the venv's tools."""
    path = str(options.bin_dir) + os.pathsep + base.get("PATH", "")
    return {
        **base,
        "PATH": path,
        "DAGSTER_HOME": str(options.home),
        "GOVDW_AUTOMATION": "on" if options.automation else "off",
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # Lines reach the log as they are written, not when a buffer fills.
        "PYTHONUNBUFFERED": "1",
    }


def prepare_home(options: ServeOptions) -> tuple[Path, str]:
    """Write and validate dagster.yaml and workspace.yaml; return the workspace path and what
    happened to dagster.yaml."""
    cron = settings.nightly_cron()
    if not is_valid_cron_string(cron):
        # Dagster would refuse the whole code location, leaving nothing but a UI error.
        raise ServeError(f"GOVDW_NIGHTLY_CRON={cron!r} is not a cron schedule (e.g. '0 2 * * *')")
    try:
        url = settings.dagster_pg_url()
        if url is not None:
            check_postgres_url(url)
        yaml_path, action = write_serve_yaml(options.home, settings.dagster_postgres())
    except InstanceConfigError as exc:
        raise ServeError(str(exc)) from exc
    # Not a configuration error when it fails (a database not up yet): exit 1, restarted.
    initialize_storage(options.home)
    workspace = options.home / "workspace.yaml"
    _write_if_changed(workspace, render_workspace_yaml(options.repo, options.python))
    return workspace, f"{yaml_path} {action}"


# ----------------------------------------------------------------------------------- logging


def child_logger(
    name: str, log_dir: Path, max_bytes: int, backups: int, console: IO[str] | None
) -> logging.Logger:
    """A logger writing `<log_dir>/<name>.log` (rotated at `max_bytes`, `backups` old files
    kept; 0 bytes never rotates) and, when `console` is given, `name | line` to it."""
    log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    logger = logging.getLogger(f"govdw.serve.{name}.{next(_LOGGER_IDS)}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    to_file = logging.handlers.RotatingFileHandler(
        log_dir / f"{name}.log", maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
    )
    to_file.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(to_file)
    if console is not None:
        # The journal stamps each line itself.
        to_console = logging.StreamHandler(console)
        to_console.setFormatter(logging.Formatter(f"{name} | %(message)s"))
        logger.addHandler(to_console)
    return logger


def pump(stream: IO[bytes], logger: logging.Logger) -> None:
    """Copy `stream` to `logger` line by line (colour codes dropped) until it closes."""
    for raw in iter(stream.readline, b""):
        line = _ANSI.sub("", raw.decode("utf-8", errors="replace")).rstrip("\r\n")
        logger.info(line)
    stream.close()


def own_logger(children: Iterable[logging.Logger], console: IO[str] | None) -> logging.Logger:
    """serve's own logger: the children's log files, and `serve | line` to `console`."""
    logger = logging.getLogger(f"govdw.serve.{next(_LOGGER_IDS)}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for child in children:
        for handler in child.handlers:
            if isinstance(handler, logging.FileHandler):
                logger.addHandler(handler)
    if console is not None:
        to_console = logging.StreamHandler(console)
        to_console.setFormatter(logging.Formatter("serve | %(message)s"))
        logger.addHandler(to_console)
    return logger


def close_logger(logger: logging.Logger) -> None:
    """Flush and close the logger's handlers (its files)."""
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


# -------------------------------------------------------------------------------- supervisor


@dataclass
class Child:
    """One running child: its process, its log and the thread copying its output."""

    name: str
    process: subprocess.Popen[bytes]
    logger: logging.Logger
    reader: threading.Thread


class Supervisor:
    """Starts the children, waits for a stop signal or a child's exit, stops them all."""

    def __init__(
        self,
        commands: Mapping[str, list[str]],
        env: Mapping[str, str],
        cwd: Path,
        loggers: Mapping[str, logging.Logger],
        grace_seconds: float = GRACE_SECONDS,
        console: IO[str] | None = None,
    ) -> None:
        self.commands = commands
        self.env = dict(env)
        self.cwd = cwd
        self.loggers = loggers
        self.grace_seconds = grace_seconds
        self.children: list[Child] = []
        self.stop_requested = threading.Event()
        self.stop_signal: str | None = None
        self.own = own_logger(loggers.values(), console)

    def say(self, text: str) -> None:
        """A line of serve's own: once to the console, and into every child's log file."""
        self.own.info(f"[govdw serve] {text}")

    def request_stop(self, signum: int, _frame: FrameType | None = None) -> None:
        """Signal handler: stop at the next look (async-signal safe: only sets a flag)."""
        self.stop_signal = signal.Signals(signum).name
        self.stop_requested.set()

    def start(self) -> None:
        """Start every child in its own process group, its output piped to its logger."""
        for name, command in self.commands.items():
            process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                # Its own group: a stop reaches its code server and the runs it launched, and a
                # Ctrl-C in a terminal reaches serve only, which then stops the children in order.
                start_new_session=True,
            )
            assert process.stdout is not None
            reader = threading.Thread(
                target=pump, args=(process.stdout, self.loggers[name]), name=f"{name}-log"
            )
            reader.daemon = True
            reader.start()
            self.children.append(Child(name, process, self.loggers[name], reader))
            self.say(f"started {name} (pid {process.pid}): {' '.join(command)}")

    def wait(self, poll_seconds: float = 0.5) -> int:
        """Block until a stop signal (returns 0) or a child's exit (returns 1), then stop all."""
        exited: Child | None = None
        while not self.stop_requested.wait(poll_seconds):
            exited = next((c for c in self.children if c.process.poll() is not None), None)
            if exited is not None:
                break
        if exited is not None:
            self.say(
                f"{exited.name} exited with status {exited.process.returncode}: stopping the "
                "others; serve exits 1 so its supervisor (systemd) restarts it"
            )
            self.stop()
            return 1
        self.say(f"{self.stop_signal or 'stop'} received: stopping {', '.join(self.commands)}")
        self.stop()
        return 0

    def stop(self) -> None:
        """SIGTERM each child's group, SIGKILL what is left of it after the grace period."""
        for child in self.children:
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        while time.monotonic() < deadline:
            # poll() reaps a child that ended, so its group counts only its own leftovers.
            if not any(
                c.process.poll() is None or _group_alive(c.process.pid) for c in self.children
            ):
                break
            time.sleep(0.2)
        for child in self.children:
            if child.process.poll() is None or _group_alive(child.process.pid):
                self.say(f"{child.name} still running after {self.grace_seconds:.0f}s: SIGKILL")
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()
        for child in self.children:
            child.reader.join(timeout=5)
            self.say(f"{child.name} stopped (status {child.process.returncode})")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    # start_new_session=True: the child leads a group whose id is its pid.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def serve(options: ServeOptions, notify: Callable[[str], None] = print) -> int:
    """Prepare the instance, run the children of `options.role` until stopped; the exit status.

    Raises ServeError for a configuration problem (nothing started).
    """
    if options.role not in ROLES:
        raise ServeError(f"--role {options.role!r}: choose one of {', '.join(ROLES)}")
    workspace, instance_note = prepare_home(options)
    commands = child_commands(options, workspace)
    loggers = {
        name: child_logger(name, options.log_dir, options.max_bytes, options.backups, sys.stderr)
        for name in commands
    }
    supervisor = Supervisor(
        commands,
        child_env(options, os.environ),
        options.repo,
        loggers,
        options.grace_seconds,
        console=sys.stderr,
    )
    previous = {
        signum: signal.signal(signum, supervisor.request_stop)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    }
    try:
        supervisor.say(f"instance {options.home} ({instance_note}); logs in {options.log_dir}")
        supervisor.say(
            "schedule and sensor "
            + ("RUNNING (GOVDW_AUTOMATION=on)" if options.automation else "left as stopped")
        )
        if "webserver" in commands:
            notify(f"govdw serve: Dagster UI on http://{options.host}:{options.port}")
        supervisor.start()
        return supervisor.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for logger in loggers.values():
            close_logger(logger)
        supervisor.own.handlers.clear()
