"""Engine-neutral table digests (`govdw.digest`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from govdw.digest import TableDigest, canonical, differences, digest


def test_each_driver_type_renders_the_same() -> None:
    assert canonical(None) == "\\N"
    assert canonical(True) == "t" and canonical(False) == "f"
    # DuckDB int, PostgreSQL Decimal and a Spark double of the same whole number
    assert canonical(42) == canonical(Decimal("42")) == canonical(42.0) == "42"
    # last-bit noise of a different summation order disappears; a real difference does not
    assert canonical(0.1 + 0.2) == canonical(0.3)
    assert canonical(Decimal("0.3333333333333333")) == canonical(1 / 3)
    assert canonical(0.3333) != canonical(0.3334)
    assert canonical(float("nan")) == "NaN"
    assert canonical(dt.date(2024, 2, 29)) == "2024-02-29"
    assert canonical(dt.datetime(2024, 2, 29, 8, 30)) == "2024-02-29 08:30:00"
    assert canonical(dt.datetime(2024, 2, 29, 8, 30, 0, 5)) == "2024-02-29 08:30:00.000005"
    assert canonical(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == "2024-01-01 00:00:00"
    assert canonical("岳阳市") == "岳阳市"


def test_row_order_does_not_matter_but_values_and_columns_do() -> None:
    rows = [(1, "a", None), (2, "b", 0.5)]
    one = digest(["id", "name", "rate"], rows)
    assert one == digest(["ID", "name", "rate"], list(reversed(rows)))
    assert one.rows == 2
    assert one != digest(["id", "name", "rate"], [(1, "a", None), (2, "b", 0.25)])
    assert one != digest(["id", "label", "rate"], rows)
    assert one != digest(["id", "name", "rate"], [*rows, (2, "b", 0.5)])  # duplicates count


def test_differences_name_the_tables() -> None:
    a = {"t1": TableDigest(1, "aa" * 32), "t2": TableDigest(2, "bb" * 32)}
    b = {"t1": TableDigest(1, "aa" * 32), "t3": TableDigest(2, "bb" * 32)}
    assert set(differences(a, b)) == {"t2", "t3"}
    assert differences(a, a) == {}
