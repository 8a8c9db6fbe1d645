"""Issue 9, item 7: records repeated on several sheets of one file count once, and say so."""

from __future__ import annotations

import pyarrow as pa

from govdw import datasets
from govdw.extract import drop_sheet_repeats


def _orders(rows: list[tuple[str, int, str | None, str]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {"source_sheet": s, "source_row": r, "source_order_id": i, "status": st}
            for s, r, i, st in rows
        ],
        schema=datasets.HOTLINE.schema,
    )


def test_a_summary_sheet_and_district_sheets_count_each_order_once() -> None:
    table = _orders(
        [
            ("汇总", 2, "GD1", "已办结"),
            ("汇总", 3, "GD2", "办理中"),
            ("城关镇", 2, "GD1", "已办结"),
            ("七营镇", 2, "GD2", "办理中"),
            ("七营镇", 3, "GD3", "办理中"),
        ]
    )
    kept, note = drop_sheet_repeats(table, "hotline")
    assert kept.column("source_order_id").to_pylist() == ["GD1", "GD2", "GD3"]
    assert kept.column("source_sheet").to_pylist() == ["汇总", "汇总", "七营镇"]
    assert note is not None and note.startswith("2 record(s)")
    assert "七营镇" in note and "城关镇" in note


def test_without_ids_identical_content_on_another_sheet_is_a_repeat() -> None:
    rows = [
        {"source_sheet": sheet, "source_row": row, "rating": 5, "rating_label": "非常满意",
         "department": dept}
        for sheet, row, dept in [("Sheet1", 2, "税务"), ("Sheet1", 3, "税务"), ("副本", 2, "税务"),
                                 ("副本", 3, "医保")]
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=datasets.EVALUATION.schema)
    kept, note = drop_sheet_repeats(table, "evaluation")
    # The two identical rows of Sheet1 stay (two people can give the same rating); the copy goes.
    assert kept.num_rows == 3
    assert kept.column("department").to_pylist() == ["税务", "税务", "医保"]
    assert note is not None and "副本" in note


def test_one_sheet_is_left_alone() -> None:
    table = _orders([("s", 2, "GD1", "已办结"), ("s", 3, "GD1", "办理中")])
    kept, note = drop_sheet_repeats(table, "hotline")
    assert kept.num_rows == 2  # the second row of GD1 wins later, in dbt
    assert note is None
