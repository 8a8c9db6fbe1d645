"""`govdw serve` without starting Dagster: the production dagster.yaml (SQLite and PostgreSQL),
when it is rewritten or kept, the rotated logs, the children's commands and environment, and the
supervisor's stop and exit semantics on stand-in children."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef

from govdw import settings
from orchestration.lib.instance import (
    INSTANCE_YAML,
    SERVE_HEADER,
    InstanceConfigError,
    check_postgres_url,
    render_serve_yaml,
    write_serve_yaml,
)
from orchestration.lib.serve import (
    ServeError,
    ServeOptions,
    Supervisor,
    child_commands,
    child_env,
    child_logger,
    close_logger,
    prepare_home,
    pump,
    render_workspace_yaml,
)

PG_VARS = (settings.DAGSTER_PG_URL_VAR, *settings.DAGSTER_PG_VARS.values())


@pytest.fixture
def no_pg_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No GOVDW_DAGSTER_PG_* variable set."""
    for var in PG_VARS:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


# ------------------------------------------------------------------------------ dagster.yaml


def test_sqlite_instance_has_the_queue_of_one_telemetry_off_and_compute_logs(
    tmp_path: Path,
) -> None:
    path, action = write_serve_yaml(tmp_path, None)
    assert action == "written"
    assert path.read_text(encoding="utf-8").startswith(SERVE_HEADER)
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 1
        assert instance.get_settings("telemetry") == {"enabled": False}
        assert instance.run_monitoring_enabled
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert (tmp_path / "history" / "runs.db").exists()
        logs = instance.compute_log_manager
        assert Path(logs._base_dir) == tmp_path / "compute_logs"  # type: ignore[attr-defined]
    finally:
        instance.dispose()


def test_postgres_url_is_referenced_by_variable_never_written(
    tmp_path: Path, no_pg_env: pytest.MonkeyPatch
) -> None:
    no_pg_env.setenv("GOVDW_DAGSTER_PG_URL", "postgresql://dagster:s3cret@db:5432/dagster")
    fields = settings.dagster_postgres()
    assert fields == {"postgres_url": "GOVDW_DAGSTER_PG_URL"}
    path = tmp_path / "dagster.yaml"
    if importlib.util.find_spec("dagster_postgres") is None:
        # Without the `postgres` extra serve refuses, saying what to install.
        with pytest.raises(InstanceConfigError, match=r"pip install .*\[postgres\]"):
            write_serve_yaml(tmp_path, fields)
    else:
        assert write_serve_yaml(tmp_path, fields) == (path, "written")
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text
    config = yaml.safe_load(text)
    assert config["storage"] == {"postgres": {"postgres_url": {"env": "GOVDW_DAGSTER_PG_URL"}}}
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
    # What Dagster makes of it: its PostgreSQL storages (the module, not a connection).
    ref = InstanceRef.from_dir(str(tmp_path))
    storages = [ref.run_storage_data, ref.event_storage_data, ref.schedule_storage_data]
    assert [s.module_name if s else None for s in storages] == ["dagster_postgres"] * 3


def test_postgres_fields_come_from_their_variables(
    tmp_path: Path, no_pg_env: pytest.MonkeyPatch
) -> None:
    for field, value in (
        ("HOST", "db.internal"),
        ("PORT", "5433"),
        ("USER", "govdw"),
        ("PASSWORD", "s3cret"),
        ("DB", "dagster"),
    ):
        no_pg_env.setenv(f"GOVDW_DAGSTER_PG_{field}", value)
    fields = settings.dagster_postgres()
    assert fields is not None
    config = yaml.safe_load(render_serve_yaml(tmp_path, fields))
    assert config["storage"]["postgres"]["postgres_db"] == {
        "hostname": {"env": "GOVDW_DAGSTER_PG_HOST"},
        "port": {"env": "GOVDW_DAGSTER_PG_PORT"},
        "username": {"env": "GOVDW_DAGSTER_PG_USER"},
        "password": {"env": "GOVDW_DAGSTER_PG_PASSWORD"},
        "db_name": {"env": "GOVDW_DAGSTER_PG_DB"},
        "scheme": "postgresql+psycopg2",
    }
    (tmp_path / "dagster.yaml").write_text(render_serve_yaml(tmp_path, fields), encoding="utf-8")
    dagster_instance_config(str(tmp_path))  # Dagster's schema accepts it


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql+psycopg2://u:p@db:5432/dagster", None),
        ("postgresql://u:p@db/dagster", "bare postgresql:// as psycopg 3"),
        ("postgres://u:p@db/dagster", "must start postgresql+psycopg2://"),
        ("postgresql+nosuchdriver://u@db/d", "nosuchdriver is not installed"),
        ("db:5432/dagster", "with no scheme"),
    ],
)
def test_the_url_names_postgresql_and_an_installed_driver(url: str, problem: str | None) -> None:
    if problem is None:
        check_postgres_url(url)
    else:
        with pytest.raises(InstanceConfigError, match=re.escape(problem)):
            check_postgres_url(url)


def test_postgres_without_host_user_or_db_is_refused(no_pg_env: pytest.MonkeyPatch) -> None:
    no_pg_env.setenv("GOVDW_DAGSTER_PG_HOST", "db.internal")
    fields = settings.dagster_postgres()
    with pytest.raises(InstanceConfigError, match="GOVDW_DAGSTER_PG_USER, GOVDW_DAGSTER_PG_DB"):
        render_serve_yaml(Path("/x"), fields)


def test_no_postgres_variable_keeps_sqlite(no_pg_env: pytest.MonkeyPatch) -> None:
    no_pg_env.setenv("GOVDW_DAGSTER_PG_URL", "  ")
    assert settings.dagster_postgres() is None


def test_serve_rewrites_its_own_file_and_keeps_a_hand_made_one(tmp_path: Path) -> None:
    # The default file `govdw run` leaves is replaced: serve's settings include it.
    (tmp_path / "dagster.yaml").write_text(INSTANCE_YAML, encoding="utf-8")
    assert write_serve_yaml(tmp_path, None)[1] == "written"
    assert write_serve_yaml(tmp_path, None)[1] == "unchanged"
    # serve's own file from older settings (or an older govdw) follows the current ones.
    stale = SERVE_HEADER + "telemetry:\n  enabled: true\n"
    (tmp_path / "dagster.yaml").write_text(stale, encoding="utf-8")
    assert write_serve_yaml(tmp_path, None)[1] == "written"
    assert (tmp_path / "dagster.yaml").read_text(encoding="utf-8") == render_serve_yaml(
        tmp_path, None
    )
    # Without the header the operator owns the file: kept as it is, only validated.
    mine = "telemetry:\n  enabled: false\n# mine\n"
    (tmp_path / "dagster.yaml").write_text(mine, encoding="utf-8")
    assert write_serve_yaml(tmp_path, None)[1] == "kept"
    assert (tmp_path / "dagster.yaml").read_text(encoding="utf-8") == mine
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabeld: false\n", encoding="utf-8")
    with pytest.raises(InstanceConfigError, match="not a valid instance"):
        write_serve_yaml(tmp_path, None)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ------------------------------------------------------------------- automation and schedule


def _statuses(env: dict[str, str]) -> str:
    code = (
        "from orchestration.defs.jobs import nightly_load\n"
        "from orchestration.defs.ingest.sensors import raw_files_sensor\n"
        "print(nightly_load.default_status.value, raw_files_sensor.default_status.value,"
        " nightly_load.cron_schedule)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip().splitlines()[-1]


def test_schedule_and_sensor_run_only_when_automation_is_on() -> None:
    """Off by default (dagster dev, tests); `govdw serve` sets GOVDW_AUTOMATION=on."""
    base = {
        k: v for k, v in os.environ.items() if k not in ("GOVDW_AUTOMATION", "GOVDW_NIGHTLY_CRON")
    }
    assert _statuses(base) == "STOPPED STOPPED 0 2 * * *"
    on = {**base, "GOVDW_AUTOMATION": "on", "GOVDW_NIGHTLY_CRON": "30 3 * * *"}
    assert _statuses(on) == "RUNNING RUNNING 30 3 * * *"


# ------------------------------------------------------------------------------------- logs


def test_child_logs_rotate_at_the_size_cap_and_go_to_the_console(tmp_path: Path) -> None:
    console = io.StringIO()
    logger = child_logger("webserver", tmp_path, max_bytes=2_000, backups=2, console=console)
    stream = io.BytesIO(
        b"".join(f"\x1b[32mline {i:04d}\x1b[0m {'x' * 80}\n".encode() for i in range(200))
    )
    pump(stream, logger)
    close_logger(logger)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["webserver.log", "webserver.log.1", "webserver.log.2"]
    for path in tmp_path.iterdir():
        assert path.stat().st_size <= 2_000 + 200
    last = (tmp_path / "webserver.log").read_text(encoding="utf-8")
    assert "line 0199" in last and "\x1b" not in last
    assert "line 0000" not in "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir())
    assert console.getvalue().splitlines()[0] == f"webserver | line 0000 {'x' * 80}"


def test_log_rotation_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GOVDW_LOG_MAX_BYTES", raising=False)
    monkeypatch.delenv("GOVDW_LOG_BACKUPS", raising=False)
    monkeypatch.delenv("GOVDW_LOG_DIR", raising=False)
    assert settings.serve_log_rotation() == (10 * 2**20, 5)
    assert settings.serve_log_dir() == settings.dagster_home() / "logs"
    monkeypatch.setenv("GOVDW_LOG_MAX_BYTES", "1000")
    monkeypatch.setenv("GOVDW_LOG_BACKUPS", "0")
    monkeypatch.setenv("GOVDW_LOG_DIR", str(tmp_path))
    assert settings.serve_log_rotation() == (1000, 0)
    assert settings.serve_log_dir() == tmp_path
    monkeypatch.setenv("GOVDW_LOG_BACKUPS", "many")
    with pytest.raises(ValueError, match="GOVDW_LOG_BACKUPS"):
        settings.serve_log_rotation()


# ------------------------------------------------------------------------ children, workspace


def test_children_commands_environment_and_workspace(tmp_path: Path) -> None:
    options = ServeOptions(
        role="all", host="0.0.0.0", port=3100, home=tmp_path, log_dir=tmp_path / "logs"
    )
    commands = child_commands(options, tmp_path / "workspace.yaml")
    assert list(commands) == ["webserver", "daemon"]
    assert Path(commands["webserver"][0]).name == "dagster-webserver"
    assert commands["webserver"][1:5] == ["--host", "0.0.0.0", "--port", "3100"]
    assert commands["daemon"][1:] == ["run", "--workspace", str(tmp_path / "workspace.yaml")]
    daemon_only = ServeOptions(role="daemon", host="h", port=1, home=tmp_path, log_dir=tmp_path)
    assert list(child_commands(daemon_only, tmp_path / "w.yaml")) == ["daemon"]

    env = child_env(options, {"PATH": "/usr/bin", "GOVDW_AUTOMATION": "off"})
    assert env["GOVDW_AUTOMATION"] == "on"
    assert env["DAGSTER_HOME"] == str(tmp_path)
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    quiet = ServeOptions(
        role="all", host="h", port=1, home=tmp_path, log_dir=tmp_path, automation=False
    )
    assert child_env(quiet, {})["GOVDW_AUTOMATION"] == "off"

    location = yaml.safe_load(render_workspace_yaml(Path("/opt/govdw"), Path("/v/bin/python")))
    assert location["load_from"] == [
        {
            "python_module": {
                "module_name": "orchestration.definitions",
                "working_directory": "/opt/govdw",
                "location_name": "govdw",
                "executable_path": "/v/bin/python",
            }
        }
    ]


# ------------------------------------------------------------------------------- supervisor

#: A stand-in child: says it is up, then waits; SIGTERM ends it with a last line.
_CHILD = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *a: (print('bye', flush=True), sys.exit(0)))\n"
    "print('up', flush=True)\n"
    "time.sleep(float(sys.argv[1]))\n"
    "sys.exit(int(sys.argv[2]))\n"
)


def _supervisor(tmp_path: Path, lives: dict[str, tuple[float, int]]) -> Supervisor:
    commands = {
        name: [sys.executable, "-c", _CHILD, str(seconds), str(code)]
        for name, (seconds, code) in lives.items()
    }
    loggers = {name: child_logger(name, tmp_path, 0, 0, None) for name in commands}
    return Supervisor(commands, dict(os.environ), tmp_path, loggers, grace_seconds=10)


def _wait_for_line(path: Path, text: str) -> None:
    """Wait until the child wrote `text` (serve's own "started" line quotes the script: the
    callers look for the output line, with its leading space and newline)."""
    deadline = time.monotonic() + 30
    while text not in (path.read_text(encoding="utf-8") if path.exists() else ""):
        assert time.monotonic() < deadline, f"{text!r} never reached {path}"
        time.sleep(0.05)


def test_sigterm_stops_every_child_and_exits_0(tmp_path: Path) -> None:
    supervisor = _supervisor(tmp_path, {"webserver": (60, 0), "daemon": (60, 0)})
    supervisor.start()
    for name in ("webserver", "daemon"):
        _wait_for_line(tmp_path / f"{name}.log", " up\n")
    threading.Timer(0.2, supervisor.request_stop, args=(signal.SIGTERM,)).start()
    assert supervisor.wait(poll_seconds=0.05) == 0
    for child in supervisor.children:
        assert child.process.returncode == 0
        log = (tmp_path / f"{child.name}.log").read_text(encoding="utf-8")
        assert "bye" in log and "SIGTERM received" in log


def test_a_child_that_exits_stops_the_other_and_serve_exits_1(tmp_path: Path) -> None:
    supervisor = _supervisor(tmp_path, {"webserver": (60, 0), "daemon": (0.2, 3)})
    supervisor.start()
    started = time.monotonic()
    assert supervisor.wait(poll_seconds=0.05) == 1
    assert time.monotonic() - started < 10
    codes = {c.name: c.process.returncode for c in supervisor.children}
    assert codes == {"webserver": 0, "daemon": 3}
    log = (tmp_path / "webserver.log").read_text(encoding="utf-8")
    assert "daemon exited with status 3" in log


def test_a_child_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    stubborn = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('deaf', flush=True)\n"
        "time.sleep(60)\n"
    )
    logger = child_logger("daemon", tmp_path, 0, 0, None)
    supervisor = Supervisor(
        {"daemon": [sys.executable, "-c", stubborn]},
        dict(os.environ),
        tmp_path,
        {"daemon": logger},
        grace_seconds=1,
    )
    supervisor.start()
    _wait_for_line(tmp_path / "daemon.log", " deaf\n")
    supervisor.request_stop(signal.SIGTERM)
    assert supervisor.wait(poll_seconds=0.05) == 0
    assert supervisor.children[0].process.returncode == -signal.SIGKILL
    assert "SIGKILL" in (tmp_path / "daemon.log").read_text(encoding="utf-8")


def test_a_wrong_nightly_cron_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVDW_NIGHTLY_CRON", "every night")
    options = ServeOptions(role="daemon", host="h", port=1, home=tmp_path, log_dir=tmp_path)
    with pytest.raises(ServeError, match="GOVDW_NIGHTLY_CRON='every night'"):
        prepare_home(options)
    assert not (tmp_path / "dagster.yaml").exists()
