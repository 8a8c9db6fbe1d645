"""What the five export families share: export-to-disk lag, period names, row helpers, sheets."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from govdw.sample.records import Evaluation, Order
from govdw.sample.regions import Ctx, empty, export_row
from govdw.sample.writers import Sheet

MTIME_LAG = timedelta(minutes=3)  # the file lands on disk a few minutes after the export
HALF = {1: "上半年", 2: "下半年"}
QUARTER = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
BIG = 20_000  # rows above which xlsxwriter streams (constant memory)


def written_type(appeal: str) -> str:
    """求助 -> 求助类 (exports add 类; 其他 stays as is)."""
    return appeal if appeal == "其他" else appeal + "类"


def emit_orders(
    ctx: Ctx, code: str, rel: str, data: bytes, kind: str, orders: list[Order], exported: datetime
) -> None:
    """Write one hotline export (mtime a little after its export time) and record its orders
    in the truth as of that export."""
    ctx.emit(
        code,
        rel,
        data,
        exported + MTIME_LAG,
        dataset="hotline",
        rows=len(orders),
        kind=kind,
        exported_at=exported,
    )
    ctx.truth.add_orders(code, orders, exported, exported + MTIME_LAG)


def unit_stats(orders: list[Order], exported_at: datetime) -> dict[str, list[int]]:
    """Per dispatched unit: [assigned, dispatched, timely, closed, overdue], for summary sheets."""
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for o in orders:
        if o.admin_level == "本级":
            continue
        s = stats[o.unit]
        s[0] += 1
        if o.dispatched_at is not None:
            s[1] += 1
            if o.accepted_at is not None and o.accepted_at - o.dispatched_at <= timedelta(hours=24):
                s[2] += 1
        s[3] += o.status == "已办结"
        s[4] += (o.closed_at or exported_at) > o.due_at
    return dict(sorted(stats.items()))


def titled_sheet(
    name: str,
    title: str,
    exported_at: datetime | None,
    headers: list[str],
    rows: list[list[Any]],
    *,
    blank_at: int | None = None,
    total: list[Any] | None = None,
    note: str | None = None,
) -> Sheet:
    """Title row (merged), export-time row, one header row, data, optional totals and footnote."""
    out: list[list[Any]] = [[title], [export_row(exported_at)] if exported_at else [], headers]
    data = list(rows)
    if blank_at is not None and len(data) >= 2:
        data.insert(1 + blank_at % (len(data) - 1), [])  # a stray blank line inside the data
    out += data
    if total:
        out.append(total)
    if note:
        out.append([note])
    return Sheet(name, out, merges=[(0, 0, 0, len(headers) - 1)])


def eval_row(e: Evaluation, when: Any, marker: str = "") -> list[Any]:
    """One evaluation as most exports lay it out: `when` as the family writes dates, `marker`
    for an evaluation without a comment."""
    return [e.eval_id, when, e.channel, e.item, e.dept, e.level, e.rating, empty(e.comment, marker)]
