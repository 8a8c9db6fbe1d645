"""The 通报's words: title, narrative paragraphs and tables, from the queried figures.

Pure functions from the figures of `bulletin_queries` to a `BulletinDocument`; the writers
only lay it out. docs/bulletin.md names the query behind every sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from govdw.reports.bulletin_format import Period, date_cn, percent, percent_value
from govdw.reports.bulletin_queries import (
    Count,
    EvaluationSummary,
    OrderSummary,
    ReportedRegion,
    UnitRow,
)
from govdw.reports.bulletin_tables import UnitTable

#: How many units the 承办量 sentence names (the Haiyuan seed names seven).
TOP_UNITS = 5
HOTLINE = "“12345”政务服务便民热线"


@dataclass(frozen=True)
class Section:
    """A numbered part of the narrative: heading and paragraphs."""

    heading: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class BulletinDocument:
    """Everything the .docx shows; the .xlsx shows `tables`."""

    title: str
    intro: str
    sections: tuple[Section, ...]
    tables: tuple[UnitTable, ...]
    closing: tuple[str, ...] = field(default=())
    source: Literal["detail", "reported"] = "detail"


def title(region_name: str, period: Period) -> str:
    """乌恰县2023年4月“12345”政务服务便民热线工单办理情况通报."""
    return f"{region_name}{period.label}{HOTLINE}工单办理情况通报"


def intro(region_name: str, period: Period) -> str:
    """The opening sentence (the seeds' 现将…通报如下)."""
    return f"现将{period.label}{region_name}{HOTLINE}工单办理情况通报如下："


def progress_sentence(region_name: str, period: Period, s: OrderSummary) -> str:
    """received, 本级/下级, closed, open (query `orders_summary`)."""
    return (
        f"（一）工单办理进度。{period.span}，{region_name}共收到各类群众诉求{s.orders_received}件"
        f"（含本级办件{s.orders_own_level}件，下级办件{s.orders_assigned}件），"
        f"已办结{s.orders_closed}件，在办件{s.orders_open}件。"
    )


def overdue_sentence(s: OrderSummary, units: Sequence[Count]) -> str:
    """overdue and 超期30天以上 (query `orders_summary`), the units (query `overdue_units`)."""
    if not s.orders_overdue:
        return "（二）工单超期情况。本期无逾期工单。"
    named = "、".join(f"{u.name}{u.count}件" for u in units)
    return (
        f"（二）工单超期情况。逾期工单{s.orders_overdue}件，具体单位为：{named}；"
        f"其中超期30天以上{s.orders_overdue_30d}件。"
    )


def _slow_units(units: Sequence[UnitRow]) -> list[UnitRow]:
    """Units that received some dispatched order late, lowest rate first (the seed's order)."""
    slow = [
        u
        for u in units
        if u.orders_dispatched and (u.orders_received_timely or 0) < u.orders_dispatched
    ]
    return sorted(
        slow,
        key=lambda u: (
            (u.orders_received_timely or 0) / (u.orders_dispatched or 1),
            u.orders_dispatched or 0,
            u.handling_unit,
        ),
    )


def rates_sentence(s: OrderSummary, units: Sequence[UnitRow]) -> str:
    """Receipt rate, units below 100%, close rate, satisfaction (`orders_summary`, `unit_rows`)."""
    parts = []
    if s.orders_dispatched:
        receipt = f"工单及时接收率为{percent(s.orders_received_timely, s.orders_dispatched)}"
        slow = _slow_units(units)
        if slow:
            named = "、".join(
                f"{u.handling_unit}接收率为"
                f"{percent(u.orders_received_timely or 0, u.orders_dispatched or 0)}"
                for u in slow
            )
            receipt += f"，其中：{named}"
            if len(slow) < sum(1 for u in units if u.orders_dispatched):
                receipt += "，其他涉及单位接收率均为100%"
        parts.append(receipt)
    if s.orders_assigned_known:
        # Orders whose closed state is unknown are left out, as in mart_region_month.close_rate.
        rate = percent(s.orders_closed_assigned, s.orders_assigned_known)
        parts.append(f"办结率为{rate}")
    else:
        parts.append("本期无下级交办工单")
    if s.orders_rated:
        parts.append(f"办理结果满意率为{percent(s.orders_satisfied, s.orders_rated)}")
    else:
        parts.append("暂无办理结果满意度回访")
    return "（三）工单综合情况。" + "；".join(parts) + "。"


def load_sentence(units: Sequence[UnitRow], number: str = "（四）") -> str:
    """The units with the most assigned orders (query `unit_rows`)."""
    top = sorted(units, key=lambda u: (-u.orders_assigned, u.handling_unit))[:TOP_UNITS]
    named = "，".join(f"{u.handling_unit}{u.orders_assigned}件" for u in top if u.orders_assigned)
    if not named:
        return f"{number}承办情况。本期无下级交办工单。"
    return f"{number}承办情况。从承办量来看，承办任务较多的单位有：{named}。（具体情况见附表）"


def yoy_sentence(period: Period, received: int, prior: int) -> str:
    """Change against the same period a year earlier (`orders_summary`, `orders_prior_year`)."""
    base = f"（五）同比情况。与上年同期（{period.prior_year().label}）相比，"
    if prior == 0:
        return f"（五）同比情况。上年同期（{period.prior_year().label}）无工单数据，不作同比。"
    diff = received - prior
    if diff == 0:
        return base + f"收到群众诉求持平（均为{received}件）。"
    word, change = ("增加", "增长") if diff > 0 else ("减少", "下降")
    return base + (f"收到群众诉求{word}{abs(diff)}件，同比{change}{percent(abs(diff), prior)}。")


def _category_name(name: str) -> str:
    return name if name == "其他" else f"{name}类"


def category_sentence(categories: Sequence[Count], received: int) -> str:
    """Hot-spot classes with their share of all orders received (query `categories`)."""
    return (
        "；".join(
            f"{_category_name(c.name)}{c.count}件，占比{percent(c.count, received)}"
            for c in categories
        )
        + "。"
    )


def appeal_sentence(appeals: Sequence[Count]) -> str:
    """Orders by appeal type (query `appeal_types`)."""
    return "、".join(f"{_category_name(a.name)}工单{a.count}件" for a in appeals) + "。"


def evaluation_sentence(region_name: str, period: Period, e: EvaluationSummary) -> str:
    """好差评 total, satisfied, dissatisfied and the satisfaction rate (query `evaluations`)."""
    return (
        f"{period.span}，{region_name}共收到政务服务“好差评”评价{e.evaluations_total}条，"
        f"其中满意（含非常满意、满意、基本满意）{e.evaluations_satisfied}条，"
        f"不满意（含不满意、非常不满意）{e.evaluations_dissatisfied}条，"
        f"满意率为{percent(e.evaluations_satisfied, e.evaluations_total)}。"
    )


def _closing(tables: Sequence[UnitTable], last_exported_at: datetime | None) -> tuple[str, ...]:
    lines = []
    if tables:
        lines.append(
            "附件：" + " ".join(f"{i}.{t.title}{t.subtitle}" for i, t in enumerate(tables, 1))
        )
    if last_exported_at is not None:
        lines.append(f"数据截至{date_cn(last_exported_at.date())}（工单最近一次导出）。")
    return tuple(lines)


def detail_document(
    region_name: str,
    period: Period,
    summary: OrderSummary,
    prior_received: int,
    overdue_units: Sequence[Count],
    units: Sequence[UnitRow],
    categories: Sequence[Count],
    appeals: Sequence[Count],
    evaluations: EvaluationSummary,
    tables: Sequence[UnitTable],
) -> BulletinDocument:
    """The bulletin of a period with detail orders in `fct_hotline_orders`."""
    sections = [
        Section(
            "一、工单受理及办理情况",
            (
                progress_sentence(region_name, period, summary),
                overdue_sentence(summary, overdue_units),
                rates_sentence(summary, units),
                load_sentence(units),
                yoy_sentence(period, summary.orders_received, prior_received),
            ),
        ),
        Section("二、按热点诉求分类", (category_sentence(categories, summary.orders_received),)),
        Section("三、按诉求种类分类", (appeal_sentence(appeals),)),
    ]
    if evaluations.evaluations_total:
        sections.append(
            Section(
                "四、政务服务“好差评”情况",
                (evaluation_sentence(region_name, period, evaluations),),
            )
        )
    return BulletinDocument(
        title=title(region_name, period),
        intro=intro(region_name, period),
        sections=tuple(sections),
        tables=tuple(tables),
        closing=_closing(tables, summary.last_exported_at),
    )


REPORTED_NOTE = "（本期工单明细未入库，以上数据取自各单位报送的汇总统计表。）"


def reported_sentence(
    region_name: str, period: Period, region: ReportedRegion, units: Sequence[UnitRow]
) -> str:
    """Figures of summary tables (queries `reported_region`, `reported_units`)."""
    text = f"（一）工单办理情况。{period.span}，{region_name}"
    if region.orders_received is not None:
        text += f"共收到各类群众诉求{region.orders_received}件，"
    if units:
        assigned = sum(u.orders_assigned for u in units)
        closed = sum(u.orders_closed for u in units)
        overdue = sum(u.orders_overdue_30d for u in units)
        text += (
            f"各承办单位共承办工单{assigned}件，已办结{closed}件，在办{assigned - closed}件，"
            f"办结率为{percent(closed, assigned)}，超期工单{overdue}件"
        )
    elif region.close_rate is not None:
        text += f"办结率为{percent_value(region.close_rate)}"
    return text.rstrip("，") + "。" + REPORTED_NOTE


def reported_document(
    region_name: str,
    period: Period,
    region: ReportedRegion,
    units: Sequence[UnitRow],
    tables: Sequence[UnitTable],
) -> BulletinDocument:
    """The bulletin of a period known only from summary tables (`fct_reported_stats`)."""
    paragraphs = [reported_sentence(region_name, period, region, units)]
    if units:
        paragraphs.append(load_sentence(units, number="（二）"))
    return BulletinDocument(
        title=title(region_name, period),
        intro=intro(region_name, period),
        sections=(Section("一、工单受理及办理情况", tuple(paragraphs)),),
        tables=tuple(tables),
        closing=_closing(tables, None),
        source="reported",
    )
