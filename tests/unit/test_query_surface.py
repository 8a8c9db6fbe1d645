"""The analysts' query surface cannot write, read other files, reach the network or load code."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from govdw import cli, query, settings

SECRET = "top-secret-pii-key-value"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A small published warehouse with one fact table, plus a secret file next to it."""
    path = tmp_path / "warehouse" / "govdw.duckdb"
    path.parent.mkdir()
    con = duckdb.connect(str(path))
    con.execute(
        "create table fct_hotline_orders as select range as order_key, "
        "'=cmd|'' /C calc''!A0' as category, -range as delta from range(5)"
    )
    con.execute("create table dim_region as select '640522' as region_code, '海原县' as name")
    con.close()
    (tmp_path / "pii.key").write_text(SECRET, encoding="utf-8")
    return path


# Each attack from the reliability report, and more of the same kind: (query, words in refusal).
ATTACKS = [
    ("copy (select 'x' as a) to '{wh}'", "outside the warehouse"),
    ("copy (select 'x' as a) to '{tmp}/out.csv'", "outside the warehouse"),
    ("copy fct_hotline_orders to '{tmp}/out.parquet' (format parquet)", "outside the warehouse"),
    ("export database '{tmp}/dump'", "outside the warehouse"),
    ("attach '{tmp}/other.duckdb' as other (READ_WRITE)", "outside the warehouse"),
    ("attach '{wh}' as again", "outside the warehouse"),
    ("attach ':memory:' as scratch", "attaching databases"),
    ("select * from read_text('/etc/shadow')", "outside the warehouse"),
    ("select * from read_text('/etc/passwd')", "outside the warehouse"),
    ("select * from read_csv('{tmp}/pii.key')", "outside the warehouse"),
    ("select * from read_blob('{tmp}/pii.key')", "outside the warehouse"),
    ("select * from read_json_auto('{tmp}/pii.key')", "outside the warehouse"),
    ("select * from sniff_csv('{tmp}/pii.key')", "outside the warehouse"),
    ("select * from glob('{tmp}/*')", "outside the warehouse"),
    ("select * from read_csv('https://example.com/x.csv')", "network"),
    ("install httpfs", "network"),
    ("force install httpfs", "network"),
    ("load httpfs", "network"),
    ("set enable_external_access = true", "refused"),
    ("reset enable_external_access", "refused"),
    ("set lock_configuration = false", "locked"),
    ("set temp_directory = '{tmp}/spill'", "locked"),
    ("set memory_limit = '100GB'", "locked"),
    ("pragma enable_profiling = 'json'", "locked"),
    ("create table t as select 1", "read-only"),
    ("create view v as select 1", "read-only"),
    ("insert into dim_region values ('1', 'x')", "read-only"),
    ("update fct_hotline_orders set category = 'x'", "read-only"),
    ("delete from fct_hotline_orders", "read-only"),
    ("drop table fct_hotline_orders", "read-only"),
    ("select 1; copy (select 1) to '{tmp}/second.csv'", "outside the warehouse"),
]


@pytest.mark.parametrize(("template", "words"), ATTACKS, ids=[a[0][:40] for a in ATTACKS])
def test_attack_is_refused_and_warehouse_untouched(
    warehouse: Path, template: str, words: str
) -> None:
    tmp = warehouse.parent.parent
    before = _digest(warehouse)
    files_before = sorted(p.name for p in tmp.rglob("*"))
    statement = template.format(wh=warehouse, tmp=tmp)
    with query.open_published(warehouse) as con, pytest.raises(query.QueryRefused) as caught:
        query.run_query(con, statement)
    assert words in str(caught.value)
    assert SECRET not in str(caught.value)
    assert _digest(warehouse) == before
    assert sorted(p.name for p in tmp.rglob("*")) == files_before


def test_settings_are_locked_down_and_reads_work(warehouse: Path) -> None:
    with query.open_published(warehouse) as con:
        columns, rows = query.run_query(
            con,
            "select current_setting('enable_external_access'), "
            "current_setting('lock_configuration'), current_setting('autoinstall_known_extensions')"
            ", (select count(*) from fct_hotline_orders)",
        )
    assert len(columns) == 4
    assert rows == [(False, True, False, 5)]


def test_spill_folder_is_private_and_removed(warehouse: Path) -> None:
    with query.open_published(warehouse) as con:
        spill = Path(query.run_query(con, "select current_setting('temp_directory')")[1][0][0])
        assert spill.is_dir()
        assert stat.S_IMODE(spill.stat().st_mode) == 0o700
    assert not spill.exists()


def test_plain_errors_are_not_called_refusals(warehouse: Path) -> None:
    with query.open_published(warehouse) as con, pytest.raises(query.QueryFailed):
        query.run_query(con, "select * from no_such_table")


def test_cli_sql_refuses_with_exit_1_and_one_sentence(warehouse: Path) -> None:
    before = _digest(warehouse)
    result = CliRunner().invoke(
        cli.cli, ["sql", f"copy (select 'x' as a) to '{warehouse}'", "--warehouse", str(warehouse)]
    )
    assert result.exit_code == 1
    assert "refused" in result.output
    assert "Traceback" not in result.output
    assert _digest(warehouse) == before


def test_cli_sql_csv_makes_formulas_inert(warehouse: Path) -> None:
    result = CliRunner().invoke(
        cli.cli,
        [
            "sql",
            "select category, delta from fct_hotline_orders order by order_key limit 2",
            "--warehouse",
            str(warehouse),
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    # The text cell starts with an apostrophe; numbers (-1) are numbers, not text, and stay.
    assert lines[1:] == ["'=cmd|' /C calc'!A0,0", "'=cmd|' /C calc'!A0,-1"]


def test_cli_sql_json_is_unchanged_data(warehouse: Path) -> None:
    result = CliRunner().invoke(
        cli.cli,
        [
            "sql",
            "select category from fct_hotline_orders limit 1",
            "--warehouse",
            str(warehouse),
            "--format",
            "json",
        ],
    )
    assert json.loads(result.output) == [{"category": "=cmd|' /C calc'!A0"}]


def test_shell_runs_statements_and_refuses_attacks(warehouse: Path, tmp_path: Path) -> None:
    script = (
        ".tables\n"
        "select count(*) as n\n  from fct_hotline_orders;\n"
        f"copy (select 1) to '{tmp_path}/x.csv';\n"
        "select 'a;b' as s;\n"
        ".schema dim_region\n"
        ".quit\n"
    )
    before = _digest(warehouse)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "govdw"), "shell", "--warehouse", str(warehouse)],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1  # one statement was refused
    assert "fct_hotline_orders  (table)" in done.stdout
    assert "(1 row)" in done.stdout and "a;b" in done.stdout
    assert "region_code" in done.stdout
    assert "refused" in done.stderr
    assert not (tmp_path / "x.csv").exists()
    assert _digest(warehouse) == before


def test_pii_key_is_private_and_moved_from_the_old_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "pii.key").write_text("legacy-key\n", encoding="utf-8")
    (home / "pii.key").chmod(0o644)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.delenv("GOVDW_PII_KEY", raising=False)
    assert settings.pii_key() == b"legacy-key"
    key = settings.pii_key_path()
    assert key == home / "secrets" / "pii.key"
    assert not (home / "pii.key").exists()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    key.chmod(0o644)
    settings.pii_key()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_pii_key_generated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVDW_PII_KEY", raising=False)
    first = settings.pii_key()
    assert len(first) == 64
    assert settings.pii_key() == first
    assert stat.S_IMODE(settings.pii_key_path().stat().st_mode) == 0o600
