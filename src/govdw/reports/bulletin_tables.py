"""The 附表 (unit tables) of the 通报 as plain data, shared by the .docx and .xlsx writers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from govdw.reports.bulletin_format import rate
from govdw.reports.bulletin_queries import GROUP_DEPARTMENTS, GROUP_TOWNSHIPS, UnitRow

ColumnKind = Literal["seq", "text", "count", "rate"]
Cell = str | int | float | None


class TotalsMismatch(ValueError):
    """A table's 合计 row disagrees with the sum of its detail rows: nothing is written."""


@dataclass(frozen=True)
class Column:
    """One column of a unit table: header as offices write it, kind, width in characters."""

    header: str
    kind: ColumnKind
    width: float


@dataclass(frozen=True)
class UnitTable:
    """One 附表: title, columns, the 合计 row and the detail rows (序号 1…n)."""

    sheet_name: str
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    total: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str


def direct_units_word(region_name: str) -> str:
    """县直单位 for a county, 市直 for a city, 区直 for a district, 旗直 for a banner."""
    last = region_name[-1:] if region_name else ""
    return f"{last}直单位" if last in {"县", "市", "区", "旗"} else "直属单位"


def _columns(with_supervised: bool, with_receipt: bool, overdue_header: str) -> tuple[Column, ...]:
    columns = [
        Column("序号", "seq", 6),
        Column("单位", "text", 24),
        Column("承办量", "count", 8),
        Column("办结量", "count", 8),
        Column("办结率", "rate", 12),
        Column("在办量", "count", 8),
        Column(overdue_header, "count", 12),
    ]
    if with_supervised:
        columns.append(Column("督办次数", "count", 8))
    if with_receipt:
        columns.append(Column("及时接收率", "rate", 12))
    return tuple(columns)


def _cells(
    row: UnitRow, seq: int | str, with_supervised: bool, with_receipt: bool
) -> tuple[Cell, ...]:
    cells: list[Cell] = [
        seq,
        row.handling_unit,
        row.orders_assigned,
        row.orders_closed,
        rate(row.orders_closed, row.orders_assigned),
        row.orders_open,
        row.orders_overdue_30d,
    ]
    if with_supervised:
        cells.append(row.orders_supervised or 0)
    if with_receipt:
        cells.append(rate(row.orders_received_timely, row.orders_dispatched))
    return tuple(cells)


def check_totals(table: UnitTable) -> None:
    """Raise `TotalsMismatch` unless every count column's 合计 equals the sum of its details."""
    problems = []
    for i, column in enumerate(table.columns):
        if column.kind != "count":
            continue
        details = sum(int(row[i] or 0) for row in table.rows)
        if details != table.total[i]:
            problems.append(
                f"{column.header}: 合计 {table.total[i]} but the units add up to {details}"
            )
    if problems:
        raise TotalsMismatch(
            f"{table.title}{table.subtitle}: the totals row disagrees with its details ("
            + "; ".join(problems)
            + "); nothing was written"
        )


def build_tables(
    region_name: str,
    rows: Sequence[UnitRow],
    totals: dict[str, UnitRow] | None,
    note: str,
    overdue_header: str = "超期30天以上工单数",
) -> list[UnitTable]:
    """表一 (departments) and 表二 (townships), or one table when only one group has units.

    `totals` are the 合计 lines counted by their own query (`unit_totals`); None means the
    totals are the sum of the rows (summary-table fallback, whose own 合计 rows are audited in
    `audit_reconciliation`, never facts). Each table is checked before it is returned.
    """
    with_supervised = any(r.orders_supervised is not None for r in rows)
    with_receipt = any(r.orders_dispatched for r in rows)
    columns = _columns(with_supervised, with_receipt, overdue_header)
    groups = [
        (GROUP_DEPARTMENTS, f"（{direct_units_word(region_name)}）"),
        (GROUP_TOWNSHIPS, "（乡镇、街道）"),
    ]
    present = [(g, sub) for g, sub in groups if any(r.unit_group == g for r in rows)]
    tables = []
    numbers = "一二"
    for n, (group, subtitle) in enumerate(present):
        members = [r for r in rows if r.unit_group == group]
        total = totals.get(group) if totals is not None else _sum_rows(group, members)
        if total is None:
            raise TotalsMismatch(f"{subtitle}: units were found but no 合计 row was counted")
        suffix = numbers[n] if len(present) > 1 else ""
        table = UnitTable(
            sheet_name=f"表{suffix}" if suffix else "附表",
            title=f"承办单位办件情况表{suffix}",
            subtitle=subtitle,
            columns=columns,
            total=_cells(total, "", with_supervised, with_receipt),
            rows=tuple(
                _cells(r, i, with_supervised, with_receipt) for i, r in enumerate(members, 1)
            ),
            note=note,
        )
        check_totals(table)
        tables.append(table)
    if totals is not None:
        stray = set(totals) - {g for g, _ in present}
        if stray:
            raise TotalsMismatch(f"totals were counted for {sorted(stray)} but no unit rows")
    return tables


def _sum_rows(group: str, rows: Sequence[UnitRow]) -> UnitRow:
    def total(values: Sequence[int | None]) -> int | None:
        return None if all(v is None for v in values) else sum(v or 0 for v in values)

    return UnitRow(
        unit_group=group,
        handling_unit="合计",
        orders_assigned=sum(r.orders_assigned for r in rows),
        orders_closed=sum(r.orders_closed for r in rows),
        orders_open=sum(r.orders_open for r in rows),
        orders_overdue_30d=sum(r.orders_overdue_30d for r in rows),
        orders_supervised=total([r.orders_supervised for r in rows]),
        orders_dispatched=total([r.orders_dispatched for r in rows]),
        orders_received_timely=total([r.orders_received_timely for r in rows]),
    )
