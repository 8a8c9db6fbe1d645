"""The Spark publish step on a real local Spark (pyspark, Hive metastore in a temp folder): the
published database's views move to the new build, the build published before it stays for the
readers still on it, older builds are dropped, and a table the new build lacks leaves `govdw`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govdw.engines import spark

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    active = spark.session(tmp_path_factory.mktemp("spark-warehouse"), memory="1g")
    try:
        yield active
    finally:
        active.stop()


def _build(session: Any, run: str, tables: dict[str, int]) -> str:
    database = spark.build_database(run)
    session.sql(f"create database if not exists {database}")
    session.sql(f"create database if not exists {database}_staging")
    for table, rows in tables.items():
        session.sql(
            f"create table {database}.{table} using parquet as "
            f"select id, '{run}' as run from range({rows})"
        )
    return database


def _published(session: Any) -> dict[str, tuple[int, str]]:
    out = {}
    for table in spark._tables(session, spark.PUBLISHED):
        rows = session.table(f"{spark.PUBLISHED}.{table}").collect()
        out[table] = (len(rows), rows[0]["run"] if rows else "")
    return out


def test_views_follow_the_newest_build_and_old_builds_go(session: Any) -> None:
    first = _build(session, "aaaaaaa1", {"fct_a": 3, "fct_gone": 1})
    done = spark.publish(session, first)
    assert done["tables"] == ["fct_a", "fct_gone"] and done["dropped"] == []
    assert _published(session) == {"fct_a": (3, "aaaaaaa1"), "fct_gone": (1, "aaaaaaa1")}

    second = _build(session, "bbbbbbb2", {"fct_a": 5})
    done = spark.publish(session, second)
    assert _published(session) == {"fct_a": (5, "bbbbbbb2")}  # fct_gone left with its build
    assert first in spark.databases(session), "the build published before stays for its readers"

    third = _build(session, "ccccccc3", {"fct_a": 7})
    done = spark.publish(session, third)
    assert _published(session) == {"fct_a": (7, "ccccccc3")}
    names = spark.databases(session)
    assert first not in names and f"{first}_staging" not in names
    assert sorted(done["dropped"]) == [first, f"{first}_staging"]
    assert second in names and third in names and spark.PUBLISHED in names


def test_digests_of_a_published_view_equal_its_table(session: Any) -> None:
    build = _build(session, "ddddddd4", {"fct_b": 4})
    spark.publish(session, build)
    views = spark.table_digests(session, spark.PUBLISHED)
    tables = spark.table_digests(session, build)
    assert views["fct_b"] == tables["fct_b"] and views["fct_b"].rows == 4


def test_session_settings_match_what_we_asked(session: Any, tmp_path: Path) -> None:
    conf = session.sparkContext.getConf()
    assert conf.get("spark.sql.session.timeZone") == "UTC"
    assert conf.get("spark.sql.warehouse.dir").endswith("/warehouse")
