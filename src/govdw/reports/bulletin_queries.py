"""Every figure of the 通报, as named SQL queries on the published warehouse.

`QUERIES` is the one home of the bulletin's SQL: docs/bulletin.md quotes each query verbatim
(a unit test keeps the two equal). Parameters: `$region` (6-digit code), `$region_name`,
`$start` (first day) and `$end` (the day after the last), `$prior_start`/`$prior_end` (the same
period a year earlier). Orders count by `received_at`; 本级 orders are handled by the hotline
office itself, every other order is assigned (交办) to a handling unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from govdw.reports.bulletin_format import Period

#: The two groups of the unit tables (表一, 表二), as `unit_group` in the queries.
GROUP_DEPARTMENTS = "部门"
GROUP_TOWNSHIPS = "乡镇"

#: A unit whose name ends so is a township-level unit (表二); the rule lives in SQL so that
#: docs/bulletin.md shows it with the queries.
TOWNSHIP_ENDINGS = "'(乡|镇|街道|街道办|办事处|开发区|管委会|园区)$'"

QUERIES: dict[str, str] = {
    "region": """
select region_code, region_name
from dim_region
where region_code = $region
""",
    "orders_summary": """
select
    count(*) as orders_received,
    count(*) filter (where admin_level = '本级') as orders_own_level,
    count(*) filter (where admin_level is distinct from '本级') as orders_assigned,
    count(*) filter (where is_closed) as orders_closed,
    count(*) filter (where not is_closed) as orders_open,
    count(*) filter (
        where is_closed and admin_level is distinct from '本级'
    ) as orders_closed_assigned,
    count(*) filter (
        where is_closed is not null and admin_level is distinct from '本级'
    ) as orders_assigned_known,
    count(*) filter (where is_overdue) as orders_overdue,
    count(*) filter (
        where is_overdue and coalesce(closed_at, exported_at) > due_at + interval 30 day
    ) as orders_overdue_30d,
    count(dispatched_at) as orders_dispatched,
    count(*) filter (
        where accepted_at <= dispatched_at + interval 24 hour
    ) as orders_received_timely,
    count(satisfaction_label) as orders_rated,
    count(*) filter (
        where satisfaction_label in ('非常满意', '满意', '基本满意')
    ) as orders_satisfied,
    max(exported_at) as last_exported_at
from fct_hotline_orders
where region_code = $region and received_at >= $start and received_at < $end
""",
    "orders_prior_year": """
select count(*) as prior_year_orders_received
from fct_hotline_orders
where region_code = $region and received_at >= $prior_start and received_at < $prior_end
""",
    "overdue_units": """
with overdue as (
    select coalesce(handling_unit, '未注明单位') as handling_unit
    from fct_hotline_orders
    where region_code = $region and received_at >= $start and received_at < $end and is_overdue
)

select handling_unit, count(*) as orders_overdue
from overdue
group by handling_unit
order by orders_overdue desc, handling_unit
""",
    "categories": """
with orders as (
    select coalesce(category, '其他') as category
    from fct_hotline_orders
    where region_code = $region and received_at >= $start and received_at < $end
)

select category, count(*) as orders
from orders
group by category
order by category = '其他', orders desc, category
""",
    "appeal_types": """
with orders as (
    select coalesce(appeal_type, '其他') as appeal_type
    from fct_hotline_orders
    where region_code = $region and received_at >= $start and received_at < $end
)

select appeal_type, count(*) as orders
from orders
group by appeal_type
order by appeal_type = '其他', orders desc, appeal_type
""",
    "evaluations": """
select
    count(*) as evaluations_total,
    count(*) filter (where rating >= 3) as evaluations_satisfied,
    count(*) filter (where rating <= 2) as evaluations_dissatisfied
from fct_evaluations
where region_code = $region and evaluated_at >= $start and evaluated_at < $end
""",
    "unit_rows": f"""
with assigned as (
    select
        coalesce(handling_unit, '未注明单位') as handling_unit,
        case
            when regexp_matches(
                coalesce(handling_unit, ''), {TOWNSHIP_ENDINGS}
            ) then '乡镇'
            else '部门'
        end as unit_group,
        *exclude (handling_unit)
    from fct_hotline_orders
    where
        region_code = $region and received_at >= $start and received_at < $end
        and admin_level is distinct from '本级'
)

select
    unit_group,
    handling_unit,
    count(*) as orders_assigned,
    count(*) filter (where is_closed) as orders_closed,
    count(*) filter (where not is_closed) as orders_open,
    count(*) filter (
        where is_overdue and coalesce(closed_at, exported_at) > due_at + interval 30 day
    ) as orders_overdue_30d,
    sum(supervised_count) as orders_supervised,
    count(dispatched_at) as orders_dispatched,
    count(*) filter (
        where accepted_at <= dispatched_at + interval 24 hour
    ) as orders_received_timely
from assigned
group by all
order by unit_group, orders_assigned desc, handling_unit
""",
    "unit_totals": f"""
with assigned as (
    select
        case
            when regexp_matches(
                coalesce(handling_unit, ''), {TOWNSHIP_ENDINGS}
            ) then '乡镇'
            else '部门'
        end as unit_group,
        *
    from fct_hotline_orders
    where
        region_code = $region and received_at >= $start and received_at < $end
        and admin_level is distinct from '本级'
)

select
    unit_group,
    count(*) as orders_assigned,
    count(*) filter (where is_closed) as orders_closed,
    count(*) filter (where not is_closed) as orders_open,
    count(*) filter (
        where is_overdue and coalesce(closed_at, exported_at) > due_at + interval 30 day
    ) as orders_overdue_30d,
    sum(supervised_count) as orders_supervised,
    count(dispatched_at) as orders_dispatched,
    count(*) filter (
        where accepted_at <= dispatched_at + interval 24 hour
    ) as orders_received_timely
from assigned
group by all
order by unit_group
""",
    "reported_units": f"""
with stats as (
    select
        subject,
        metric,
        value,
        case
            when regexp_matches(subject, {TOWNSHIP_ENDINGS})
                then '乡镇'
            else '部门'
        end as unit_group
    from fct_reported_stats
    where
        region_code = $region and dataset = 'hotline'
        and period_end >= $start and period_end < $end
        and subject not in ('全区', '全县', '全市', '全旗', '合计', '总计', '小计')
        and subject <> $region_name
)

select
    unit_group,
    subject as handling_unit,
    sum(value) filter (where metric = 'orders_assigned')::bigint as orders_assigned,
    sum(value) filter (where metric = 'orders_closed')::bigint as orders_closed,
    sum(value) filter (where metric = 'orders_overdue')::bigint as orders_overdue,
    sum(value) filter (where metric = 'orders_supervised')::bigint as orders_supervised
from stats
group by all
having sum(value) filter (where metric = 'orders_assigned') is not null
order by unit_group, orders_assigned desc, handling_unit
""",
    "reported_region": """
select
    sum(value) filter (where metric = 'orders_received')::bigint as orders_received,
    count(*) filter (where metric = 'close_rate') as close_rate_rows,
    max(value) filter (where metric = 'close_rate') as close_rate
from fct_reported_stats
where
    region_code = $region and dataset = 'hotline'
    and period_end >= $start and period_end < $end
    and (subject in ('全区', '全县', '全市', '全旗') or subject = $region_name)
""",
}


@dataclass(frozen=True)
class OrderSummary:
    """`orders_summary`: the region's orders received in the period."""

    orders_received: int
    orders_own_level: int
    orders_assigned: int
    orders_closed: int
    orders_open: int
    orders_closed_assigned: int
    orders_assigned_known: int  # assigned orders whose closed state is known (close-rate base)
    orders_overdue: int
    orders_overdue_30d: int
    orders_dispatched: int
    orders_received_timely: int
    orders_rated: int
    orders_satisfied: int
    last_exported_at: datetime | None


@dataclass(frozen=True)
class UnitRow:
    """One handling unit's (or one group's total) assigned orders: a line of the 附表."""

    unit_group: str
    handling_unit: str
    orders_assigned: int
    orders_closed: int
    orders_open: int
    orders_overdue_30d: int
    orders_supervised: int | None
    orders_dispatched: int | None
    orders_received_timely: int | None


@dataclass(frozen=True)
class Count:
    """One line of a breakdown (category, appeal type, overdue unit)."""

    name: str
    count: int


@dataclass(frozen=True)
class EvaluationSummary:
    """`evaluations`: the region's 好差评 evaluations in the period."""

    evaluations_total: int
    evaluations_satisfied: int
    evaluations_dissatisfied: int


@dataclass(frozen=True)
class ReportedRegion:
    """`reported_region`: region-level figures of summary tables (when no detail exists)."""

    orders_received: int | None
    close_rate: float | None


def _params(region: str, region_name: str, period: Period) -> dict[str, Any]:
    prior = period.prior_year()
    return {
        "region": region,
        "region_name": region_name,
        "start": period.start,
        "end": period.end,
        "prior_start": prior.start,
        "prior_end": prior.end,
    }


class BulletinQueries:
    """Runs the named queries for one region and period on an open (read-only) connection."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, region: str, region_name: str, period: Period
    ) -> None:
        self._con = con
        self._all = _params(region, region_name, period)

    def rows(self, name: str) -> list[dict[str, Any]]:
        """The rows of query `name` as dicts (only the parameters it names are bound)."""
        sql = QUERIES[name]
        params = {key: value for key, value in self._all.items() if f"${key}" in sql}
        cursor = self._con.execute(sql, params)
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def one(self, name: str) -> dict[str, Any]:
        """The single row of an aggregate query."""
        (row,) = self.rows(name)
        return row

    def orders_summary(self) -> OrderSummary:
        """Figures of the narrative's first paragraphs."""
        return OrderSummary(**_ints(self.one("orders_summary"), keep={"last_exported_at"}))

    def prior_year_received(self) -> int:
        """Orders received in the same period a year earlier."""
        return int(self.one("orders_prior_year")["prior_year_orders_received"])

    def breakdown(self, name: str) -> list[Count]:
        """A two-column query (name, count) as counts."""
        return [Count(str(a), int(b)) for a, b in (tuple(r.values()) for r in self.rows(name))]

    def evaluations(self) -> EvaluationSummary:
        """The period's 好差评 figures."""
        return EvaluationSummary(**_ints(self.one("evaluations")))

    def unit_rows(self) -> list[UnitRow]:
        """The 附表's detail lines."""
        return [
            UnitRow(**_ints(r, keep={"unit_group", "handling_unit"}))
            for r in self.rows("unit_rows")
        ]

    def unit_totals(self) -> dict[str, UnitRow]:
        """The 附表's 合计 lines per group, counted independently of the detail lines."""
        return {
            r["unit_group"]: UnitRow(handling_unit="合计", **_ints(r, keep={"unit_group"}))
            for r in self.rows("unit_totals")
        }

    def reported_units(self) -> list[UnitRow]:
        """附表 lines from summary tables (fallback when the period has no detail orders)."""
        out = []
        for r in self.rows("reported_units"):
            assigned, closed = int(r["orders_assigned"]), int(r["orders_closed"] or 0)
            out.append(
                UnitRow(
                    unit_group=r["unit_group"],
                    handling_unit=r["handling_unit"],
                    orders_assigned=assigned,
                    orders_closed=closed,
                    orders_open=assigned - closed,
                    orders_overdue_30d=int(r["orders_overdue"] or 0),
                    orders_supervised=_int_or_none(r["orders_supervised"]),
                    orders_dispatched=None,
                    orders_received_timely=None,
                )
            )
        return out

    def reported_region(self) -> ReportedRegion:
        """Region-level reported figures; a rate only when exactly one table reports it."""
        row = self.one("reported_region")
        single = row["close_rate_rows"] == 1
        return ReportedRegion(
            orders_received=_int_or_none(row["orders_received"]),
            close_rate=float(row["close_rate"]) if single else None,
        )


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def _ints(row: Mapping[str, Any], keep: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """Counts as int (DuckDB returns sums as HUGEINT/Decimal); `keep` columns as they are."""
    return {
        key: value if key in keep or value is None else int(value) for key, value in row.items()
    }


def region_row(con: duckdb.DuckDBPyConnection, region: str) -> tuple[str, str] | None:
    """(code, name) of `region` in dim_region, or None."""
    cursor = con.execute(QUERIES["region"], {"region": region})
    row = cursor.fetchone()
    return None if row is None else (str(row[0]), str(row[1]))
