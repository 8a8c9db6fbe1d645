"""海原 family: legacy .xls workbooks, a renamed header in 2022, one HTML table saved as .xls."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import govdw.sample.anchors as A
from govdw.sample.families.common import MTIME_LAG, QUARTER, emit_orders, eval_row, titled_sheet
from govdw.sample.jobs import Family, Job
from govdw.sample.records import Case, Order
from govdw.sample.regions import (
    REGIONS,
    YEARS,
    Ctx,
    d_cn,
    d_slash,
    empty,
    export_after,
    gen_cases,
    gen_evaluations,
    gen_orders,
    split_rows,
)
from govdw.sample.writers import XLS_MAX_ROWS, Sheet, html_bytes, xls_bytes


def _haiyuan_order_rows(orders: list[Order], year: int) -> tuple[list[str], list[list[Any]]]:
    received = "来电时间" if year <= 2021 else "受理时间"  # renamed in the 2022 system upgrade
    head = [
        "工单流水号",
        received,
        "来电类型",
        "内容分类",
        "来电内容",
        "诉求人",
        "来电号码",
        "证件号码",
        "住址",
        "办件层级",
        "主办单位",
        "交办时间",
        "接收时间",
        "办结时限",
        "办结时间",
        "当前状态",
        "回访结果",
        "是否重办",
        "督办次数",
    ]
    written = {"求助": "诉求", "其他": "其他"}
    rows = [
        [
            o.order_id,
            d_cn(o.received_at),
            written.get(o.appeal_type, o.appeal_type + "类"),
            o.category,
            o.content,
            o.caller,
            o.phone,
            o.id_number,
            o.address,
            o.admin_level,
            o.unit,
            empty(o.dispatched_at and d_cn(o.dispatched_at), "/"),
            empty(o.accepted_at and d_cn(o.accepted_at), "/"),
            d_cn(o.due_at),
            empty(o.closed_at and d_cn(o.closed_at), "/"),
            o.status,
            empty(o.satisfaction, "无"),
            "是" if o.is_redone else "否",
            o.supervised,
        ]
        for o in orders
    ]
    return head, rows


def _xls_sheets(
    name: str, title: str, exported: datetime | None, head: list[str], rows: list[list[Any]]
) -> list[Sheet]:
    """Sheets of one logical table, split under the .xls row limit."""
    limit = XLS_MAX_ROWS - 10
    out = []
    for i, part in enumerate(split_rows(rows, limit)):
        sheet_name = name if i == 0 else f"{name}({i + 1})"
        out.append(titled_sheet(sheet_name, title, exported, head, part))
    return out


def _plan(ctx: Ctx) -> list[Job]:
    """The 2017 anchor, then per year one job each for orders, cases and evaluations."""
    code = "640522"
    rng = ctx.rng("haiyuan-files")
    jobs = [Job(_haiyuan_anchor, 574)]
    for year in YEARS:
        exported = export_after(rng, datetime(year + 1, 1, 1))
        for write, dataset in (
            (_haiyuan_orders, "orders"),
            (_haiyuan_cases, "cases"),
            (_haiyuan_evaluations, "evaluations"),
        ):
            jobs.append(
                Job(partial(write, year=year, exported=exported), ctx.records(dataset, code, year))
            )
    return jobs


#: 海原 family: legacy .xls, 来电时间 renamed 受理时间 in 2022, one HTML saved as .xls.
haiyuan = Family("haiyuan", _plan)


def _haiyuan_orders(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "640522"
    sheets, orders_all = [], []
    for m in range(1, 13):
        orders = gen_orders(ctx, code, year, m, exported)
        orders_all += orders
        head, rows = _haiyuan_order_rows(orders, year)
        sheets += _xls_sheets(
            f"{year}年{m}月", f"海原县12345热线工单明细（{year}年{m}月）", exported, head, rows
        )
    emit_orders(
        ctx,
        code,
        f"热线/海原县12345热线工单_{year}年.xls",
        xls_bytes(sheets),
        "xls",
        orders_all,
        exported,
    )


def _haiyuan_cases(ctx: Ctx, *, year: int, exported: datetime) -> None:
    """Cases: no title, header in the first row, one sheet per quarter."""
    code = "640522"
    head = [
        "业务流水号",
        "服务事项",
        "实施部门",
        "收件时间",
        "出件时间",
        "承诺办结时限",
        "办理结果",
        "受理方式",
    ]
    sheets, n = [], 0
    cases_all: list[Case] = []
    for q in range(1, 5):
        cases = [
            c for m in range(3 * q - 2, 3 * q + 1) for c in gen_cases(ctx, code, year, m, exported)
        ]
        cases_all += cases
        rows = [
            [
                c.case_id,
                c.item,
                c.dept,
                d_cn(c.accepted_at),
                empty(c.completed_at and d_cn(c.completed_at), "/"),
                c.promised_days,
                c.status,
                c.channel,
            ]
            for c in cases
        ]
        for i, part in enumerate(split_rows(rows, XLS_MAX_ROWS - 1)):
            sheets.append(Sheet(QUARTER[q] + (f"({i + 1})" if i else ""), [head, *part]))
        n += len(cases)
    ctx.emit(
        code,
        f"办件/海原县政务服务中心办件统计_{year}年.xls",
        xls_bytes(sheets),
        exported + MTIME_LAG,
        dataset="service",
        rows=n,
        kind="xls",
    )
    ctx.truth.add_cases(code, cases_all)


def _haiyuan_evaluations(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "640522"
    evals = [e for m in range(1, 13) for e in gen_evaluations(ctx, code, year, m)]
    head = [
        "评价流水号",
        "评价日期",
        "评价方式",
        "办理事项",
        "部门名称",
        "层级",
        "评价",
        "意见建议",
    ]
    rows = [eval_row(e, d_slash(e.evaluated_at), "无") for e in evals]
    rel = f"好差评/海原县好差评数据_{year}年.xls"
    if year == 2020:  # the old portal saved an HTML table under an .xls name
        data = html_bytes("海原县好差评数据", [head, *rows])
        kind = "html"
    else:
        sheets = [
            Sheet(f"数据{i + 1}", [head, *part])
            for i, part in enumerate(split_rows(rows, XLS_MAX_ROWS - 1))
        ]
        data, kind = xls_bytes(sheets), "xls"
    ctx.emit(
        code, rel, data, exported + MTIME_LAG, dataset="evaluation", rows=len(evals), kind=kind
    )
    ctx.truth.add_evaluations(code, evals)


def _haiyuan_table(
    name: str,
    title: str,
    subtitle: str,
    units: dict[str, tuple[int, int, int, int]],
    total: tuple[int, int, int, int],
) -> Sheet:
    """One of the seed's two unit tables: totals row first, 单位：件, 序号, footnote."""
    rows: list[list[Any]] = [
        [title],
        [subtitle],
        ["", "", "", "", "", "单位：件"],
        ["序号", "单位", "承办量", "办结量", "超期30天以上工单数", "督办次数"],
        ["", "合计", *total],
    ]
    rows += [[i, unit, *figures] for i, (unit, figures) in enumerate(units.items(), 1)]
    rows.append([A.HAIYUAN_NOTE])
    return Sheet(name, rows, merges=[(0, 0, 0, 5), (1, 0, 1, 5)])


def _haiyuan_anchor(ctx: Ctx) -> None:
    code = "640522"
    orders = A.haiyuan_orders(ctx.rng("anchor-haiyuan"), REGIONS[code])
    exported = A.HAIYUAN_EXPORT
    sheets = []
    for m in (10, 11, 12):
        head, rows = _haiyuan_order_rows([o for o in orders if o.received_at.month == m], 2017)
        sheets.append(
            titled_sheet(
                f"2017年{m}月", f"海原县12345热线工单明细（2017年{m}月）", exported, head, rows
            )
        )
    emit_orders(
        ctx,
        code,
        "热线/海原县12345热线工单_2017年10-12月.xls",
        xls_bytes(sheets),
        "xls",
        orders,
        exported,
    )
    tables = [
        _haiyuan_table(
            "表一",
            "承办单位办件情况表一",
            "（县直单位）",
            A.HAIYUAN_COUNTY_UNITS,
            A.HAIYUAN_COUNTY_TOTAL,
        ),
        _haiyuan_table(
            "表二", "承办单位办件情况表二", "(乡镇区)", A.HAIYUAN_TOWN_UNITS, A.HAIYUAN_TOWN_TOTAL
        ),
    ]
    ctx.emit(
        code,
        "热线/附件：承办单位办件情况表_2017年.xls",
        xls_bytes(tables),
        datetime(2018, 1, 5, 9, 0),
        dataset="summary",
        rows=0,
        kind="xls",
    )
