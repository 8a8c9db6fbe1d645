"""乌海 family: 150300 city plus three districts, half-year xlsx workbooks, a GBK anchor CSV."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

import govdw.sample.anchors as A
from govdw.sample.families.common import (
    BIG,
    HALF,
    MTIME_LAG,
    QUARTER,
    emit_orders,
    eval_row,
    titled_sheet,
    written_type,
)
from govdw.sample.jobs import Family, Job
from govdw.sample.records import Case, Order, close_later, month_bounds
from govdw.sample.regions import (
    REGIONS,
    YEARS,
    Ctx,
    d_iso,
    empty,
    export_after,
    gen_cases,
    gen_evaluations,
    gen_orders,
    pct,
)
from govdw.sample.writers import Sheet, csv_bytes, xlsx_bytes

WUHAI_ORDER_HEADERS_OLD = [
    "工单号",
    "登记时间",
    "来源",
    "诉求类别",
    "问题分类",
    "反映内容",
    "诉求人",
    "联系方式",
    "证件号码",
    "事发地址",
    "办件层级",
    "责任单位",
    "下派时间",
    "接单时间",
    "截止时间",
    "完成时间",
    "工单状态",
    "回访满意度",
]
WUHAI_ORDER_HEADERS = [
    "工单编号",
    "受理时间",
    "来源渠道",
    "诉求类型",
    "热点分类",
    "诉求内容",
    "来电人",
    "联系电话",
    "身份证号",
    "联系地址",
    "承办层级",
    "承办单位",
    "派单时间",
    "签收时间",
    "办理时限",
    "办结时间",
    "办理状态",
    "回访满意度",
]


def _wuhai_order_row(o: Order) -> list[Any]:
    return [
        o.order_id,
        o.received_at,
        o.channel,
        written_type(o.appeal_type),
        o.category,
        o.content,
        o.caller,
        o.phone,
        o.id_number,
        o.address,
        o.admin_level,
        o.unit,
        empty(o.dispatched_at, "-"),
        empty(o.accepted_at, "-"),
        o.due_at,
        empty(o.closed_at, "-"),
        o.status,
        empty(o.satisfaction, "-"),
    ]


WUHAI_CODES = ("150300", "150302", "150303", "150304")


def _plan(ctx: Ctx) -> list[Job]:
    """One job per half-year of orders, per year of cases and of evaluations, per region."""
    jobs = []
    for code in WUHAI_CODES:
        rng = ctx.rng("wuhai-files", code)
        for year in YEARS:
            for half in (1, 2):
                months = range(1, 7) if half == 1 else range(7, 13)
                _, last = month_bounds(year, months[-1])
                exported = export_after(rng, last, 4, 8)
                blanks = tuple(rng.randrange(1000) for _ in months)
                write = partial(
                    _wuhai_orders_half,
                    code=code,
                    year=year,
                    half=half,
                    exported=exported,
                    blanks=blanks,
                )
                jobs.append(Job(write, ctx.records("orders", code, year, months)))
            exported = export_after(rng, datetime(year + 1, 1, 1))
            write = partial(_wuhai_cases_year, code=code, year=year, exported=exported)
            jobs.append(Job(write, ctx.records("cases", code, year)))
            exported = export_after(rng, datetime(year + 1, 1, 1))
            # 乌海市's 2023-01..10 evaluations are in the anchor CSV: its workbook holds 11-12.
            eval_months = [11, 12] if (code, year) == ("150300", 2023) else list(range(1, 13))
            write = partial(
                _wuhai_evaluations_year,
                code=code,
                year=year,
                exported=exported,
                months=eval_months,
            )
            jobs.append(Job(write, ctx.records("evaluations", code, year, eval_months)))
    jobs.append(Job(_wuhai_anchor_evaluations, sum(map(sum, A.WUHAI_LEVELS.values()))))
    jobs.append(Job(_wuhai_summary, 0))
    return jobs


#: 乌海 family: 150300 city plus three districts, half-year order workbooks, GBK anchor CSV.
wuhai = Family("wuhai", _plan)


def _wuhai_orders_half(
    ctx: Ctx, *, code: str, year: int, half: int, exported: datetime, blanks: tuple[int, ...]
) -> None:
    """One half-year order workbook, a sheet per month (`blanks`: where stray blank lines go)."""
    name = REGIONS[code].name
    center: list[Order] = []
    if code == "150300" and year == 2023:
        center = A.wuhai_center_orders(ctx.rng("anchor-wuhai-center"), REGIONS["150300"])
    months = range(1, 7) if half == 1 else range(7, 13)
    sheets, all_orders = [], []
    for m, blank_at in zip(months, blanks, strict=True):
        orders = gen_orders(ctx, code, year, m, exported)
        if center:
            orders += [o for o in center if o.received_at.month == m]
            orders.sort(key=lambda o: o.received_at)
        all_orders += orders
        headers = WUHAI_ORDER_HEADERS_OLD if year <= 2020 else WUHAI_ORDER_HEADERS
        sheets.append(
            titled_sheet(
                f"{m}月",
                f"{name}12345政务服务便民热线工单明细表（{year}年{m}月）",
                exported,
                headers,
                [_wuhai_order_row(o) for o in orders],
                blank_at=blank_at,
                total=["合计", f"共{len(orders)}件"],
                note="注：本表数据来源于12345政务服务便民热线平台。",
            )
        )
    rel = f"工单/{year}/{name}12345工单明细_{year}年{HALF[half]}.xlsx"
    data = xlsx_bytes(sheets)
    emit_orders(ctx, code, rel, data, "xlsx", all_orders, exported)
    if code == "150302" and year == 2021 and half == 1:
        _specials(ctx, code, rel, data, exported)
    if code == "150302" and year == 2024 and half == 1:
        # The later export of these orders: in this job, so latest-export-wins stays in one truth.
        _update_export(ctx, code, all_orders, exported)


def _specials(ctx: Ctx, code: str, rel: str, data: bytes, exported: datetime) -> None:
    """A byte-copy under another name, an Office lock file and a truncated workbook."""
    folder = rel.rsplit("/", 1)[0]
    base = rel.rsplit("/", 1)[1]
    copy_rel = f"{folder}/{base.removesuffix('.xlsx')}（副本）.xlsx"
    ctx.emit(
        code,
        copy_rel,
        data,
        exported + timedelta(days=30),
        dataset="hotline",
        rows=0,
        kind="xlsx",
        status="duplicate",
    )
    ctx.truth.files[f"150302/{copy_rel}"]["duplicate_of"] = f"150302/{rel}"
    owner = "govdw".ljust(54).encode("utf-16-le")[:108]
    lock = bytes([5]) + b"govdw" + b"\x00" * 48 + owner
    ctx.emit(
        code,
        f"{folder}/~${base}",
        lock,
        exported,
        dataset=None,
        rows=0,
        kind="lock",
        status="ignored",
    )
    # A download cut short: the first part of a real workbook (its records are in no truth).
    broken = xlsx_bytes(
        [Sheet("1月", [WUHAI_ORDER_HEADERS, *[[f"X{i}"] * 18 for i in range(200)]])]
    )
    ctx.emit(
        "150303",
        "工单/海南区12345工单明细_2022年补充导出.xlsx",
        broken[: len(broken) * 11 // 20],
        exported,
        dataset=None,
        rows=0,
        kind="xlsx",
        status="quarantined",
    )


def _update_export(ctx: Ctx, code: str, orders: list[Order], first_export: datetime) -> None:
    """A later export of the still-open orders of 2024 H1, now closed (latest export wins)."""
    exported = datetime(2024, 8, 15, 10, 30, 0)
    rng = ctx.rng("update", code)
    updated = [
        close_later(rng, o, first_export, exported - timedelta(days=1))
        for o in orders
        if o.status != "已办结"
    ]
    name = REGIONS[code].name
    sheet = titled_sheet(
        "更新工单",
        f"{name}12345工单办理状态更新表",
        exported,
        WUHAI_ORDER_HEADERS,
        [_wuhai_order_row(o) for o in updated],
    )
    emit_orders(
        ctx,
        code,
        f"工单/2024/{name}12345工单状态更新_2024年8月.xlsx",
        xlsx_bytes([sheet]),
        "xlsx",
        updated,
        exported,
    )


WUHAI_CASE_HEADERS = [
    "办件编号",
    "事项名称",
    "办理部门",
    "受理时间",
    "办结时间",
    "承诺时限（工作日）",
    "办件状态",
    "办理渠道",
    "申请人",
    "联系电话",
]


def _wuhai_cases_year(ctx: Ctx, *, code: str, year: int, exported: datetime) -> None:
    name = REGIONS[code].name
    sheets, total = [], 0
    cases_all: list[Case] = []
    for q in range(1, 5):
        cases = [
            c for m in range(3 * q - 2, 3 * q + 1) for c in gen_cases(ctx, code, year, m, exported)
        ]
        cases_all += cases
        total += len(cases)
        rows = [
            [
                c.case_id,
                c.item,
                c.dept,
                c.accepted_at,
                empty(c.completed_at, "—"),
                c.promised_days,
                c.status,
                c.channel,
                c.applicant,
                c.phone,
            ]
            for c in cases
        ]
        sheet = titled_sheet(
            QUARTER[q],
            f"{name}政务服务中心办件明细（{year}年{QUARTER[q]}）",
            exported,
            WUHAI_CASE_HEADERS,
            rows,
        )
        sheets.append(sheet)
    if code == "150304" and year == 2019:
        # The one deliberate case of data only in hidden sheets, behind a visible cover sheet.
        for sheet in sheets:
            sheet.hidden = True
        cover = Sheet(
            "封面", [["乌达区政务服务中心2019年办件明细"], ["说明：明细数据见各季度工作表。"]]
        )
        sheets.insert(0, cover)
    data = xlsx_bytes(sheets, big=total > BIG)
    ctx.emit(
        code,
        f"办件/{name}办件明细_{year}年.xlsx",
        data,
        exported + MTIME_LAG,
        dataset="service",
        rows=total,
        kind="xlsx",
        exported_at=exported,
        data_in_hidden_sheets=code == "150304" and year == 2019,
    )
    ctx.truth.add_cases(code, cases_all)


WUHAI_EVAL_HEADERS = [
    "评价编号",
    "评价时间",
    "评价渠道",
    "事项名称",
    "评价部门",
    "评价层级",
    "评价等级",
    "评价内容",
]
WUHAI_CITY_LEVELS: dict[str, float] = {"市级": 27, "区县级": 66, "乡镇街道级": 4, "村社区级": 3}


def _wuhai_anchor_evaluations(ctx: Ctx) -> None:
    """乌海市's evaluations of 2023-01..10 at full volume, as one GBK CSV (the seed's figures)."""
    code = "150300"
    anchor = A.wuhai_evaluations(ctx.rng("anchor-wuhai-evaluations"), REGIONS[code])
    rows = [WUHAI_EVAL_HEADERS] + [eval_row(e, d_iso(e.evaluated_at)) for e in anchor]
    ctx.emit(
        code,
        "好差评/乌海市好差评数据_20230101-20231031.csv",
        csv_bytes(rows, "gbk"),
        datetime(2023, 11, 1, 9, 30, 0),
        dataset="evaluation",
        rows=len(anchor),
        kind="csv",
        encoding="gbk",
    )
    ctx.truth.add_evaluations(code, anchor)


def _wuhai_evaluations_year(
    ctx: Ctx, *, code: str, year: int, exported: datetime, months: list[int]
) -> None:
    """A year's evaluation workbook, a sheet per quarter (2023 of 150300: only 11-12, the
    rest is in the anchor CSV)."""
    name = REGIONS[code].name
    levels = WUHAI_CITY_LEVELS if code == "150300" else None
    evals = [e for m in months for e in gen_evaluations(ctx, code, year, m, levels)]
    sheets = []
    for q in sorted({(m - 1) // 3 + 1 for m in months}):
        part = [e for e in evals if (e.evaluated_at.month - 1) // 3 + 1 == q]
        sheets.append(
            titled_sheet(
                QUARTER[q],
                f"{name}政务服务“好差评”评价明细（{year}年{QUARTER[q]}）",
                exported,
                WUHAI_EVAL_HEADERS,
                [eval_row(e, e.evaluated_at, "-") for e in part],
            )
        )
    suffix = f"{year}年" if len(months) == 12 else f"{year}年11-12月"
    ctx.emit(
        code,
        f"好差评/{name}好差评数据_{suffix}.xlsx",
        xlsx_bytes(sheets, big=len(evals) > BIG),
        exported + MTIME_LAG,
        dataset="evaluation",
        rows=len(evals),
        kind="xlsx",
        exported_at=exported,
    )
    ctx.truth.add_evaluations(code, evals)


def _wuhai_summary(ctx: Ctx) -> None:
    """乌海市 2023 summary: 25.6万 cases at 99.3%, and the per-level evaluation table."""
    exported = datetime(2023, 10, 31, 16, 0, 0)
    cases = Sheet(
        "办件情况",
        [
            ["乌海市政务服务中心运行情况（2023年1月1日至10月31日）"],
            ["单位", "办件量", "办结率"],
            [A.WUHAI_CENTER, "25.6万", "99.3%"],
            ["海勃湾区政务服务中心", "5万", "99.1%"],
            ["注：2023年至今，共办件25.6万件，办结率99.3%。"],
        ],
        merges=[(0, 0, 0, 2)],
    )
    head = [
        "层级",
        "评价总数",
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
        "非常满意率",
        "满意率",
    ]
    body = []
    levels = {
        "市级": A.WUHAI_LEVELS["市级"],
        "区县级": A.WUHAI_LEVELS["区县级"],
        "乡镇（街道）和村（社区）级": tuple(
            a + b
            for a, b in zip(A.WUHAI_LEVELS["乡镇街道级"], A.WUHAI_LEVELS["村社区级"], strict=True)
        ),
    }
    totals = [0] * 5
    for level, counts in levels.items():
        n = sum(counts)
        totals = [t + c for t, c in zip(totals, counts, strict=True)]
        body.append([level, n, *counts, pct(counts[0], n), pct(n - counts[3] - counts[4], n)])
    n = sum(totals)
    body.append(["合计", n, *totals, pct(totals[0], n), pct(n - totals[3] - totals[4], n)])
    evals = Sheet(
        "好差评情况",
        [
            ["乌海市政务服务“好差评”情况统计表（2023年1月1日—10月31日）"],
            head,
            *body,
            ["备注：满意率=（非常满意+满意+基本满意）/评价总数。"],
        ],
        merges=[(0, 0, 0, 8)],
    )
    ctx.emit(
        "150300",
        "统计/乌海市2023年政务服务监督评价统计表.xlsx",
        xlsx_bytes([cases, evals]),
        exported,
        dataset="summary",
        rows=0,
        kind="xlsx",
        exported_at=exported,
    )
