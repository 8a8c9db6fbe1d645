"""岳阳市 family: yearly UTF-8(-BOM) CSVs from the city system and a receipt-rate summary."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from govdw.sample.families.common import MTIME_LAG, eval_row, unit_stats
from govdw.sample.jobs import Family, Job
from govdw.sample.records import Order
from govdw.sample.regions import (
    YEARS,
    Ctx,
    d_iso,
    export_after,
    export_row,
    gen_cases,
    gen_evaluations,
    gen_orders,
    pct,
)
from govdw.sample.writers import Sheet, csv_bytes, xlsx_bytes


def _plan(ctx: Ctx) -> list[Job]:
    """Per year one job each for orders (with their receipt table), cases and evaluations."""
    code = "430600"
    rng = ctx.rng("yueyang-files")
    jobs = []
    for year in YEARS:
        exported = export_after(rng, datetime(year + 1, 1, 1))
        for write, dataset in (
            (_yueyang_orders, "orders"),
            (_yueyang_cases, "cases"),
            (_yueyang_evaluations, "evaluations"),
        ):
            jobs.append(
                Job(partial(write, year=year, exported=exported), ctx.records(dataset, code, year))
            )
    return jobs


#: 岳阳市 family: yearly UTF-8(-BOM) CSVs and a receipt-rate summary with 总计 first.
yueyang = Family("yueyang", _plan)

YUEYANG_ORDER_HEADERS = [
    "工单编号",
    "受理时间",
    "渠道",
    "工单类型",
    "事项分类",
    "问题描述",
    "姓名",
    "手机号码",
    "身份证号码",
    "地址",
    "层级",
    "办理单位",
    "转办时间",
    "签收日期",
    "要求办结时间",
    "结案时间",
    "工单状态",
    "评价结果",
]


def _yueyang_orders(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "430600"
    orders = [o for m in range(1, 13) for o in gen_orders(ctx, code, year, m, exported)]
    rows: list[list[Any]] = [[export_row(exported)], YUEYANG_ORDER_HEADERS]
    rows += [
        [
            o.order_id,
            d_iso(o.received_at),
            o.channel,
            o.appeal_type,
            o.category,
            o.content,
            o.caller,
            o.phone,
            o.id_number,
            o.address,
            o.admin_level,
            o.unit,
            o.dispatched_at and d_iso(o.dispatched_at),
            o.accepted_at and d_iso(o.accepted_at),
            d_iso(o.due_at),
            o.closed_at and d_iso(o.closed_at),
            o.status,
            o.satisfaction,
        ]
        for o in orders
    ]
    ctx.emit(
        code,
        f"12345/岳阳市12345工单_{year}.csv",
        csv_bytes(rows, "utf-8-sig"),
        exported + MTIME_LAG,
        dataset="hotline",
        rows=len(orders),
        kind="csv",
        exported_at=exported,
        encoding="utf-8-sig",
    )
    ctx.truth.add_orders(code, orders, exported, exported + MTIME_LAG)
    _yueyang_receipt_table(ctx, year, orders, exported)


def _yueyang_cases(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "430600"
    cases = [c for m in range(1, 13) for c in gen_cases(ctx, code, year, m, exported)]
    crow: list[list[Any]] = [
        [
            "办件流水号",
            "事项名称",
            "受理部门",
            "受理日期",
            "办结日期",
            "承诺时限",
            "办理状态",
            "办理渠道",
        ]
    ]
    crow += [
        [
            c.case_id,
            c.item,
            c.dept,
            d_iso(c.accepted_at),
            c.completed_at and d_iso(c.completed_at),
            c.promised_days,
            c.status,
            c.channel,
        ]
        for c in cases
    ]
    ctx.emit(
        code,
        f"办件/岳阳市办件明细_{year}.csv",
        csv_bytes(crow, "utf-8-sig"),
        exported + MTIME_LAG,
        dataset="service",
        rows=len(cases),
        kind="csv",
        encoding="utf-8-sig",
    )
    ctx.truth.add_cases(code, cases)


def _yueyang_evaluations(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "430600"
    evals = [e for m in range(1, 13) for e in gen_evaluations(ctx, code, year, m)]
    erow = [
        [
            "评价编号",
            "评价时间",
            "评价渠道",
            "事项名称",
            "被评价部门",
            "层级",
            "评价级别",
            "意见建议",
        ]
    ]
    erow += [eval_row(e, d_iso(e.evaluated_at)) for e in evals]
    ctx.emit(
        code,
        f"好差评/岳阳市好差评_{year}.csv",
        csv_bytes(erow, "utf-8"),
        exported + MTIME_LAG,
        dataset="evaluation",
        rows=len(evals),
        kind="csv",
        encoding="utf-8",
    )
    ctx.truth.add_evaluations(code, evals)


def _yueyang_receipt_table(ctx: Ctx, year: int, orders: list[Order], exported: datetime) -> None:
    """Receipt and close rates per unit for the year, 总计 row first, computed from the details.

    This system counts both rates over the orders it dispatched (派单量), so one denominator.
    """
    stats = unit_stats(orders, exported)
    tot = [sum(s[i] for s in stats.values()) for i in range(5)]
    rows: list[list[Any]] = [
        [f"岳阳市12345热线工单签收及办结情况统计表（{year}年1月1日至12月31日）"],
        [
            "序号",
            "承办单位",
            "派单量",
            "及时签收数",
            "及时接收率",
            "办结量",
            "办结率",
        ],
        ["", "总计", tot[1], tot[2], pct(tot[2], tot[1]), tot[3], pct(tot[3], tot[1])],
    ]
    for i, (unit, s) in enumerate(stats.items(), 1):
        rows.append([i, unit, s[1], s[2], pct(s[2], s[1]), s[3], pct(s[3], s[1])])
    sheet = Sheet("签收情况", rows, merges=[(0, 0, 0, 6)])
    ctx.emit(
        "430600",
        f"统计/岳阳市12345工单签收情况统计_{year}年.xlsx",
        xlsx_bytes([sheet]),
        exported + MTIME_LAG,
        dataset="summary",
        rows=0,
        kind="xlsx",
        exported_at=exported,
    )
