"""乌恰 family (Xinjiang system): monthly order workbooks with merged headers, serial dates."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import govdw.sample.anchors as A
from govdw.sample.families.common import (
    BIG,
    MTIME_LAG,
    QUARTER,
    emit_orders,
    eval_row,
    titled_sheet,
    unit_stats,
    written_type,
)
from govdw.sample.jobs import Family, Job
from govdw.sample.records import Order, month_bounds
from govdw.sample.regions import (
    REGIONS,
    YEARS,
    Ctx,
    d_iso_min,
    d_slash,
    empty,
    export_after,
    export_row,
    gen_cases,
    gen_evaluations,
    gen_orders,
    pct,
    serial,
)
from govdw.sample.writers import Sheet, xlsx_bytes

WUQIA_TOP = [
    "工单编号",
    "受理时间",
    "诉求类型",
    "热点分类",
    "承办层级",
    "承办单位",
    "派单时间",
    "签收时间",
    "办理时限",
    "办理情况",
    None,
    "回访满意度",
    "来电人",
    "联系电话",
    "身份证号",
    "联系地址",
    "诉求内容",
]
WUQIA_SUB = [None] * 9 + ["办结日期", "状态"] + [None] * 6


def _wuqia_order_sheet(title: str, exported: datetime, orders: list[Order]) -> Sheet:
    """Title, export time, a two-row header with 办理情况 merged over 办结日期/状态."""
    rows: list[list[Any]] = [[title], [export_row(exported)], list(WUQIA_TOP), list(WUQIA_SUB)]
    for o in orders:
        rows.append(
            [
                o.order_id,
                d_slash(o.received_at),
                written_type(o.appeal_type),
                o.category,
                o.admin_level,
                o.unit,
                empty(o.dispatched_at and d_slash(o.dispatched_at), "—"),
                empty(o.accepted_at and d_slash(o.accepted_at), "—"),
                d_slash(o.due_at),
                empty(o.closed_at and d_slash(o.closed_at), "—"),
                o.status,
                empty(o.satisfaction, "—"),
                o.caller,
                o.phone,
                o.id_number,
                o.address,
                o.content,
            ]
        )
    merges = [(0, 0, 0, 16), (2, 9, 2, 10)]
    merges += [(2, c, 3, c) for c in range(17) if c not in (9, 10)]
    return Sheet("工单明细", rows, merges=merges)


def _wuqia_units_sheet(title: str, orders: list[Order], exported: datetime) -> Sheet:
    """各单位工单综合情况: per-unit receipt and close rates as text percentages, 合计 last."""
    stats = unit_stats(orders, exported)
    rows: list[list[Any]] = [
        [title],
        ["序号", "承办单位", "下派工单数", "及时签收数", "及时接收率", "办结量", "办结率"],
    ]
    tot = [0, 0, 0, 0]
    for i, (unit, (assigned, dispatched, timely, closed, _)) in enumerate(stats.items(), 1):
        rows.append(
            [i, unit, dispatched, timely, pct(timely, dispatched), closed, pct(closed, assigned)]
        )
        tot = [tot[0] + assigned, tot[1] + dispatched, tot[2] + timely, tot[3] + closed]
    rows.append(["", "合计", tot[1], tot[2], pct(tot[2], tot[1]), tot[3], pct(tot[3], tot[0])])
    return Sheet("各单位工单综合情况", rows, merges=[(0, 0, 0, 6)])


def _dictionary_sheet() -> Sheet:
    """The hidden lookup sheet exports carry."""
    rows = [
        ["诉求类型", "办理状态"],
        ["求助类", "已办结"],
        ["投诉类", "办理中"],
        ["咨询类", "待签收"],
        ["建议类", "已退回"],
    ]
    return Sheet("字典", rows, hidden=True)


def _plan(ctx: Ctx) -> list[Job]:
    """Per month one order job and one evaluation job; per quarter one case job."""
    code = "653024"
    rng = ctx.rng("wuqia-files")
    jobs = []
    for year in YEARS:
        for m in range(1, 13):
            _, end = month_bounds(year, m)
            anchor = (year, m) == (2023, 4)
            exported = A.WUQIA_EXPORT if anchor else export_after(rng, end, 1, 5)
            write = partial(_wuqia_orders, year=year, m=m, exported=exported)
            jobs.append(Job(write, ctx.volume("orders", code, year, m)))
            write = partial(_wuqia_evaluations, year=year, m=m, exported=exported)
            jobs.append(Job(write, ctx.volume("evaluations", code, year, m)))
        for q in range(1, 5):
            _, end = month_bounds(year, 3 * q)
            write = partial(_wuqia_cases, year=year, q=q, exported=export_after(rng, end))
            jobs.append(Job(write, ctx.records("cases", code, year, range(3 * q - 2, 3 * q + 1))))
    return jobs


#: 乌恰 family: monthly order workbooks with merged headers, serial-date evaluations.
wuqia = Family("wuqia", _plan)


def _wuqia_orders(ctx: Ctx, *, year: int, m: int, exported: datetime) -> None:
    """One month's order workbook: details, the per-unit sheet, the hidden dictionary."""
    code, region = "653024", REGIONS["653024"]
    _, end = month_bounds(year, m)
    if (year, m) == (2023, 4):
        orders = A.wuqia_orders(ctx.rng("anchor-wuqia-orders"), region)
    else:
        orders = gen_orders(ctx, code, year, m, exported)
    title = f"乌恰县12345政务服务热线工单明细（{year}年{m}月）"
    units_title = f"各单位工单综合情况（{year}年{m}月1日至{m}月{(end - timedelta(days=1)).day}日）"
    sheets = [
        _wuqia_order_sheet(title, exported, orders),
        _wuqia_units_sheet(units_title, orders, exported),
        _dictionary_sheet(),
    ]
    emit_orders(
        ctx,
        code,
        f"12345/{year}/乌恰县12345工单明细（{year}年{m}月）.xlsx",
        xlsx_bytes(sheets),
        "xlsx",
        orders,
        exported,
    )


def _wuqia_evaluations(ctx: Ctx, *, year: int, m: int, exported: datetime) -> None:
    code, region = "653024", REGIONS["653024"]
    if (year, m) == (2023, 4):
        evals = A.wuqia_evaluations(ctx.rng("anchor-wuqia-evaluations"), region)
    else:
        evals = gen_evaluations(ctx, code, year, m)
    head = [
        "评价流水号",
        "评价时间",
        "评价方式",
        "评价事项",
        "被评价部门",
        "所属层级",
        "评价结果",
        "差评原因",
    ]
    rows = [head] + [eval_row(e, serial(e.evaluated_at), "无") for e in evals]
    ctx.emit(
        code,
        f"好差评/{year}/乌恰县好差评评价明细_{year}年{m}月.xlsx",
        xlsx_bytes([Sheet("评价数据", rows)]),
        exported + MTIME_LAG,
        dataset="evaluation",
        rows=len(evals),
        kind="xlsx",
        serial_dates=True,
    )
    ctx.truth.add_evaluations(code, evals)


def _wuqia_cases(ctx: Ctx, *, year: int, q: int, exported: datetime) -> None:
    code, region = "653024", REGIONS["653024"]
    head = [
        "申报号",
        "办理事项",
        "受理部门",
        "申报时间",
        "完成时间",
        "承诺期限",
        "办理状态",
        "申报渠道",
        "申请人姓名",
        "手机号码",
    ]
    sheets, all_cases = [], []
    for m in range(3 * q - 2, 3 * q + 1):
        if (year, m) == (2023, 4):
            cases = A.wuqia_cases(ctx.rng("anchor-wuqia-cases"), region)
        else:
            cases = gen_cases(ctx, code, year, m, exported)
        all_cases += cases
        rows = [
            [
                c.case_id,
                c.item,
                c.dept,
                d_iso_min(c.accepted_at),
                empty(c.completed_at and d_iso_min(c.completed_at), "—"),
                c.promised_days,
                c.status,
                c.channel,
                c.applicant,
                c.phone,
            ]
            for c in cases
        ]
        sheets.append(
            titled_sheet(
                f"{m}月", f"乌恰县政务服务大厅办件明细（{year}年{m}月）", exported, head, rows
            )
        )
    ctx.emit(
        code,
        f"办件/乌恰县政务服务大厅办件明细_{year}年{QUARTER[q]}.xlsx",
        xlsx_bytes(sheets, big=len(all_cases) > BIG),
        exported + MTIME_LAG,
        dataset="service",
        rows=len(all_cases),
        kind="xlsx",
        exported_at=exported,
    )
    ctx.truth.add_cases(code, all_cases)
