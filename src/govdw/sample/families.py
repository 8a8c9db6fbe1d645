"""The five export families (乌海, 乌恰, 海原, 岳阳楼, 岳阳市), each with its own layouts."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from govdw.sample import anchors as A
from govdw.sample.records import Case, Evaluation, Order, close_later, month_bounds
from govdw.sample.regions import (
    REGIONS,
    YEARS,
    Ctx,
    d_cn,
    d_iso,
    d_iso_min,
    d_slash,
    empty,
    export_after,
    export_row,
    fullwidth,
    gen_cases,
    gen_evaluations,
    gen_orders,
    pct,
    serial,
    split_rows,
    trad,
)
from govdw.sample.writers import XLS_MAX_ROWS, Sheet, csv_bytes, html_bytes, xls_bytes, xlsx_bytes

MTIME_LAG = timedelta(minutes=3)  # the file lands on disk a few minutes after the export
HALF = {1: "上半年", 2: "下半年"}
QUARTER = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
BIG = 20_000  # rows above which xlsxwriter streams (constant memory)


def _written_type(appeal: str) -> str:
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


# ------------------------------------------------------------------ 乌海 family (xlsx, half-years)
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
        _written_type(o.appeal_type),
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


def _titled_sheet(
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


def wuhai(ctx: Ctx) -> None:
    """乌海 family: 150300 city plus three districts, half-year order workbooks, GBK anchor CSV."""
    for code in ("150300", "150302", "150303", "150304"):
        rng = ctx.rng("wuhai-files", code)
        for year in YEARS:
            _wuhai_orders_year(ctx, code, year, rng)
            _wuhai_cases_year(ctx, code, year, rng)
            _wuhai_evaluations_year(ctx, code, year, rng)
    _wuhai_summary(ctx)


def _wuhai_orders_year(ctx: Ctx, code: str, year: int, rng: Any) -> None:
    name = REGIONS[code].name
    center = A.wuhai_center_orders(ctx.rng("anchor-wuhai-center"), REGIONS["150300"])
    for half in (1, 2):
        months = range(1, 7) if half == 1 else range(7, 13)
        _, last = month_bounds(year, months[-1])
        exported = export_after(rng, last, 4, 8)
        sheets, all_orders = [], []
        for m in months:
            orders = gen_orders(ctx, code, year, m, exported)
            if code == "150300" and year == 2023:
                orders += [o for o in center if o.received_at.month == m]
                orders.sort(key=lambda o: o.received_at)
            all_orders += orders
            headers = WUHAI_ORDER_HEADERS_OLD if year <= 2020 else WUHAI_ORDER_HEADERS
            sheets.append(
                _titled_sheet(
                    f"{m}月",
                    f"{name}12345政务服务便民热线工单明细表（{year}年{m}月）",
                    exported,
                    headers,
                    [_wuhai_order_row(o) for o in orders],
                    blank_at=rng.randrange(1000),
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
    sheet = _titled_sheet(
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


def _wuhai_cases_year(ctx: Ctx, code: str, year: int, rng: Any) -> None:
    name = REGIONS[code].name
    exported = export_after(rng, datetime(year + 1, 1, 1))
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
        sheet = _titled_sheet(
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


def _eval_row(e: Evaluation, when: Any, marker: str = "") -> list[Any]:
    return [e.eval_id, when, e.channel, e.item, e.dept, e.level, e.rating, empty(e.comment, marker)]


def _wuhai_evaluations_year(ctx: Ctx, code: str, year: int, rng: Any) -> None:
    name = REGIONS[code].name
    levels = WUHAI_CITY_LEVELS if code == "150300" else None
    exported = export_after(rng, datetime(year + 1, 1, 1))
    months = list(range(1, 13))
    if code == "150300" and year == 2023:
        anchor = A.wuhai_evaluations(ctx.rng("anchor-wuhai-evaluations"), REGIONS[code])
        rows = [WUHAI_EVAL_HEADERS] + [_eval_row(e, d_iso(e.evaluated_at)) for e in anchor]
        csv_exported = datetime(2023, 11, 1, 9, 30, 0)
        ctx.emit(
            code,
            "好差评/乌海市好差评数据_20230101-20231031.csv",
            csv_bytes(rows, "gbk"),
            csv_exported,
            dataset="evaluation",
            rows=len(anchor),
            kind="csv",
            encoding="gbk",
        )
        ctx.truth.add_evaluations(code, anchor)
        months = [11, 12]
    evals = [e for m in months for e in gen_evaluations(ctx, code, year, m, levels)]
    sheets = []
    for q in sorted({(m - 1) // 3 + 1 for m in months}):
        part = [e for e in evals if (e.evaluated_at.month - 1) // 3 + 1 == q]
        sheets.append(
            _titled_sheet(
                QUARTER[q],
                f"{name}政务服务“好差评”评价明细（{year}年{QUARTER[q]}）",
                exported,
                WUHAI_EVAL_HEADERS,
                [_eval_row(e, e.evaluated_at, "-") for e in part],
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


# ------------------------------------------------------------------ 乌恰 family (Xinjiang system)
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
                _written_type(o.appeal_type),
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


def wuqia(ctx: Ctx) -> None:
    """乌恰 family: monthly order workbooks with merged headers, serial-date evaluations."""
    code, region = "653024", REGIONS["653024"]
    rng = ctx.rng("wuqia-files")
    for year in YEARS:
        for m in range(1, 13):
            _, end = month_bounds(year, m)
            anchor = (year, m) == (2023, 4)
            exported = A.WUQIA_EXPORT if anchor else export_after(rng, end, 1, 5)
            if anchor:
                orders = A.wuqia_orders(ctx.rng("anchor-wuqia-orders"), region)
            else:
                orders = gen_orders(ctx, code, year, m, exported)
            title = f"乌恰县12345政务服务热线工单明细（{year}年{m}月）"
            units_title = (
                f"各单位工单综合情况（{year}年{m}月1日至{m}月{(end - timedelta(days=1)).day}日）"
            )
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
            _wuqia_evaluations(ctx, year, m, exported, anchor)
        for q in range(1, 5):
            _wuqia_cases(ctx, year, q, rng)


def _wuqia_evaluations(ctx: Ctx, year: int, m: int, exported: datetime, anchor: bool) -> None:
    code, region = "653024", REGIONS["653024"]
    if anchor:
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
    rows = [head] + [_eval_row(e, serial(e.evaluated_at), "无") for e in evals]
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


def _wuqia_cases(ctx: Ctx, year: int, q: int, rng: Any) -> None:
    code, region = "653024", REGIONS["653024"]
    _, end = month_bounds(year, 3 * q)
    exported = export_after(rng, end)
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
            _titled_sheet(
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


# ------------------------------------------------------------------ 海原 family (legacy .xls)
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
        out.append(_titled_sheet(sheet_name, title, exported, head, part))
    return out


def haiyuan(ctx: Ctx) -> None:
    """海原 family: legacy .xls, 来电时间 renamed 受理时间 in 2022, one HTML saved as .xls."""
    code = "640522"
    rng = ctx.rng("haiyuan-files")
    _haiyuan_anchor(ctx)
    for year in YEARS:
        exported = export_after(rng, datetime(year + 1, 1, 1))
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
        # Cases: no title, header in the first row, one sheet per quarter.
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
                c
                for m in range(3 * q - 2, 3 * q + 1)
                for c in gen_cases(ctx, code, year, m, exported)
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
        _haiyuan_evaluations(ctx, year, exported)


def _haiyuan_evaluations(ctx: Ctx, year: int, exported: datetime) -> None:
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
    rows = [_eval_row(e, d_slash(e.evaluated_at), "无") for e in evals]
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
            _titled_sheet(
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


# ------------------------------------------------------------------ 岳陽樓區 (traditional script)
def _yyl_order_row(o: Order, year: int) -> list[Any]:
    received = o.received_at.strftime("%Y%m%d")  # date only: the old system drops the time
    phone, ident, oid = o.phone, o.id_number, o.order_id
    if year == 2020:  # that year's export came out in full-width digits
        received, phone, ident, oid = map(fullwidth, (received, phone, ident, oid))
    return [
        oid,
        received,
        trad(_written_type(o.appeal_type)),
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


def yueyanglou(ctx: Ctx) -> None:
    """岳陽樓區 family: traditional headers and values, full-width digits, 5萬 summary."""
    code = "430602"
    rng = ctx.rng("yueyanglou-files")
    head = [
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
    for year in YEARS:
        exported = export_after(rng, datetime(year + 1, 1, 1))
        sheets, orders_all = [], []
        for m in range(1, 13):
            orders = gen_orders(ctx, code, year, m, exported)
            orders_all += orders
            title = trad(f"岳阳楼区“12345”政务服务热线工单明细（{year}年{m}月）")
            if year == 2020:
                title = fullwidth(title)
            sheet = _titled_sheet(
                f"{m}月", title, exported, head, [_yyl_order_row(o, year) for o in orders]
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
        _yyl_cases(ctx, year, exported)
        _yyl_evaluations(ctx, year, exported)
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
        code,
        "統計/岳陽樓區12345熱線2022年度工作情況統計表.xlsx",
        xlsx_bytes([summary]),
        datetime(2023, 2, 28, 14, 14),
        dataset="summary",
        rows=0,
        kind="xlsx",
        script="traditional",
    )


def _yyl_cases(ctx: Ctx, year: int, exported: datetime) -> None:
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


def _yyl_evaluations(ctx: Ctx, year: int, exported: datetime) -> None:
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


# ------------------------------------------------------------------ 岳阳市 (UTF-8 CSV city system)
def yueyang(ctx: Ctx) -> None:
    """岳阳市 family: yearly UTF-8(-BOM) CSVs and a receipt-rate summary with 总计 first."""
    code = "430600"
    rng = ctx.rng("yueyang-files")
    head = [
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
    for year in YEARS:
        exported = export_after(rng, datetime(year + 1, 1, 1))
        orders = [o for m in range(1, 13) for o in gen_orders(ctx, code, year, m, exported)]
        rows: list[list[Any]] = [[export_row(exported)], head]
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
        erow += [_eval_row(e, d_iso(e.evaluated_at)) for e in evals]
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


FAMILIES = [wuhai, wuqia, haiyuan, yueyanglou, yueyang]
