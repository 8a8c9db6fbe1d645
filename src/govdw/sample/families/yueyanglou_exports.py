"""岳陽樓區 family: traditional script in headers and values, full-width digits, a 5萬 summary."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from govdw.sample.families.common import BIG, MTIME_LAG, QUARTER, titled_sheet, written_type
from govdw.sample.families.wuhai_exports import WUHAI_EVAL_HEADERS
from govdw.sample.jobs import Family, Job
from govdw.sample.records import Order
from govdw.sample.regions import (
    YEARS,
    Ctx,
    d_iso,
    empty,
    export_after,
    export_row,
    fullwidth,
    gen_cases,
    gen_evaluations,
    gen_orders,
    trad,
)
from govdw.sample.writers import Sheet, xlsx_bytes


def _yyl_order_row(o: Order, year: int) -> list[Any]:
    received = o.received_at.strftime("%Y%m%d")  # date only: the old system drops the time
    phone, ident, oid = o.phone, o.id_number, o.order_id
    if year == 2020:  # that year's export came out in full-width digits
        received, phone, ident, oid = map(fullwidth, (received, phone, ident, oid))
    return [
        oid,
        received,
        trad(written_type(o.appeal_type)),
        trad(o.category),
        trad(o.content),
        trad(o.caller),
        phone,
        ident,
        trad(o.address),
        trad(o.admin_level),
        trad(o.unit),
        empty(o.dispatched_at and d_iso(o.dispatched_at), "-"),
        empty(o.accepted_at and d_iso(o.accepted_at), "-"),
        d_iso(o.due_at),
        empty(o.closed_at and d_iso(o.closed_at), "-"),
        trad(o.status),
        trad(empty(o.satisfaction, "無")),
    ]


def _plan(ctx: Ctx) -> list[Job]:
    """Per year one job each for orders, cases and evaluations; the 5萬 summary."""
    code = "430602"
    rng = ctx.rng("yueyanglou-files")
    jobs = []
    for year in YEARS:
        exported = export_after(rng, datetime(year + 1, 1, 1))
        for write, dataset in (
            (_yyl_orders, "orders"),
            (_yyl_cases, "cases"),
            (_yyl_evaluations, "evaluations"),
        ):
            jobs.append(
                Job(partial(write, year=year, exported=exported), ctx.records(dataset, code, year))
            )
    jobs.append(Job(_yyl_summary, 0))
    return jobs


#: 岳陽樓區 family: traditional headers and values, full-width digits, 5萬 summary.
yueyanglou = Family("yueyanglou", _plan)

YYL_ORDER_HEADERS = [
    trad(h)
    for h in [
        "工单编号",
        "受理时间",
        "诉求类型",
        "热点分类",
        "诉求内容",
        "来电人",
        "联系电话",
        "身份证号",
        "联系地址",
        "承办层级",
        "处理单位",
        "派单时间",
        "签收时间",
        "办理时限",
        "办结时间",
        "办理状态",
        "满意度",
    ]
]


def _yyl_orders(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "430602"
    sheets, orders_all = [], []
    for m in range(1, 13):
        orders = gen_orders(ctx, code, year, m, exported)
        orders_all += orders
        title = trad(f"岳阳楼区“12345”政务服务热线工单明细（{year}年{m}月）")
        if year == 2020:
            title = fullwidth(title)
        sheet = titled_sheet(
            f"{m}月",
            title,
            exported,
            YYL_ORDER_HEADERS,
            [_yyl_order_row(o, year) for o in orders],
        )
        sheet.rows[1] = [trad(export_row(exported))]
        sheets.append(sheet)
    ctx.emit(
        code,
        f"熱線/岳陽樓區12345熱線工單_{year}年.xlsx",
        xlsx_bytes(sheets, big=len(orders_all) > BIG),
        exported + MTIME_LAG,
        dataset="hotline",
        rows=len(orders_all),
        kind="xlsx",
        exported_at=exported,
        script="traditional",
    )
    ctx.truth.add_orders(code, orders_all, exported, exported + MTIME_LAG)


def _yyl_summary(ctx: Ctx) -> None:
    summary = Sheet(
        "統計表",
        [
            [trad("岳阳楼区“12345”政务服务热线2022年度工作情况统计表")],
            [trad("单位"), trad("受理量"), trad("办结率")],
            [trad("全区"), "5萬", "99.97%"],
            [trad("注：受理量为市热线转派政务服务热线工单数。")],
        ],
        merges=[(0, 0, 0, 2)],
    )
    ctx.emit(
        "430602",
        "統計/岳陽樓區12345熱線2022年度工作情況統計表.xlsx",
        xlsx_bytes([summary]),
        datetime(2023, 2, 28, 14, 14),
        dataset="summary",
        rows=0,
        kind="xlsx",
        script="traditional",
    )


def _yyl_cases(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "430602"
    head = [
        trad(h)
        for h in [
            "办件编号",
            "事项名称",
            "办理部门",
            "受理时间",
            "办结时间",
            "承诺时限",
            "办件状态",
            "办理渠道",
            "申请人",
        ]
    ]
    sheets, cases_all = [], []
    for q in range(1, 5):
        cases = [
            c for m in range(3 * q - 2, 3 * q + 1) for c in gen_cases(ctx, code, year, m, exported)
        ]
        cases_all += cases
        rows = [
            [
                c.case_id,
                trad(c.item),
                trad(c.dept),
                d_iso(c.accepted_at),
                empty(c.completed_at and d_iso(c.completed_at), "-"),
                c.promised_days,
                trad(c.status),
                trad(c.channel),
                trad(c.applicant),
            ]
            for c in cases
        ]
        sheets.append(Sheet(trad(QUARTER[q]), [[trad(export_row(exported))], head, *rows]))
    ctx.emit(
        code,
        f"辦件/岳陽樓區辦件明細_{year}年.xlsx",
        xlsx_bytes(sheets, big=len(cases_all) > BIG),
        exported + MTIME_LAG,
        dataset="service",
        rows=len(cases_all),
        kind="xlsx",
        exported_at=exported,
        script="traditional",
    )
    ctx.truth.add_cases(code, cases_all)


def _yyl_evaluations(ctx: Ctx, *, year: int, exported: datetime) -> None:
    code = "430602"
    head = [trad(h) for h in WUHAI_EVAL_HEADERS]
    evals = [e for m in range(1, 13) for e in gen_evaluations(ctx, code, year, m)]
    rows = [
        [
            e.eval_id,
            d_iso(e.evaluated_at),
            trad(e.channel),
            trad(e.item),
            trad(e.dept),
            trad(e.level),
            trad(e.rating),
            trad(empty(e.comment, "無")),
        ]
        for e in evals
    ]
    data = xlsx_bytes([Sheet(trad("评价明细"), [head, *rows])], big=len(evals) > BIG)
    # 2021's file is an xlsx saved under an .xls name.
    ext, kind = (".xls", "xlsx_as_xls") if year == 2021 else (".xlsx", "xlsx")
    ctx.emit(
        code,
        f"好差評/岳陽樓區好差評數據_{year}年{ext}",
        data,
        exported + MTIME_LAG,
        dataset="evaluation",
        rows=len(evals),
        kind=kind,
        script="traditional",
    )
    ctx.truth.add_evaluations(code, evals)
