"""`govdw report dashboard`: one self-contained HTML page of charts and tables, offline.

Everything the page needs is inside the file: plotly.min.js (from the plotly package, MIT) is
embedded once in the head and every figure is drawn from JSON in the page, so the file opens
from a USB stick on a machine without network. Data is read only through
:func:`govdw.query.open_published` (read-only, locked down).

Sections: 同比 trends per region, cross-region rankings per level, unit scorecards, category
trends, data quality (quarantined files, reconciliation mismatches, files with warnings).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from govdw.query import open_published

#: Chinese names of the measures the charts show (the `metric` codes of docs/contract.md §5).
METRIC_LABELS: dict[str, str] = {
    "orders_received": "受理量",
    "orders_assigned": "承办量",
    "orders_closed": "办结量",
    "orders_overdue": "超期量",
    "close_rate": "办结率",
    "receipt_rate": "及时签收率",
    "cases_accepted": "办件量",
    "cases_completed": "办件办结量",
    "evaluations_total": "评价总数",
    "satisfaction_rate": "满意率",
    "very_satisfied_rate": "非常满意率",
}
RATE_METRICS = frozenset({"close_rate", "receipt_rate", "satisfaction_rate", "very_satisfied_rate"})
LEVEL_LABELS = {"province": "省级", "city": "市级", "county": "县级", "town": "乡镇级"}
STATUS_LABELS = {"loaded": "已入库", "duplicate": "重复", "quarantined": "已隔离"}

#: Units with fewer orders in the scorecard window are left out of the "lowest close rate" table:
#: one unclosed order out of two says nothing about a unit.
MIN_UNIT_ORDERS = 10
#: Months of data the unit scorecards cover (ending with the latest month in the warehouse).
SCORECARD_MONTHS = 12
#: Rows listed per data-quality table; the rest is counted, never silently dropped.
MAX_TABLE_ROWS = 200
#: Categories drawn separately in the category trend; the others are summed as 其余类别.
TOP_CATEGORIES = 10

_FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif'
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class Section:
    """One part of the page: a heading, a line of explanation, figures and HTML tables."""

    anchor: str
    title: str
    intro: str
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def write_dashboard(warehouse: Path, out_file: Path) -> Path:
    """Write the dashboard of the published `warehouse` to `out_file` (atomically); its path."""
    warehouse = Path(warehouse)
    with open_published(warehouse) as con:
        regions = _region_labels(con)
        sections = [
            _yoy_section(con, regions),
            _ranking_section(con, regions),
            _unit_section(con, regions),
            _category_section(con),
            _quality_section(con, regions),
        ]
        span = con.execute(
            "select min(month), max(month) from mart_region_month where orders_received > 0"
        ).fetchone()
    page = _render_page(sections, warehouse, span)
    out_file = Path(out_file).expanduser().resolve()
    out_file.parent.mkdir(parents=True, exist_ok=True)
    # Write next to the target and rename, so a browser never opens a half-written page.
    fd, tmp = tempfile.mkstemp(prefix=".dashboard-", suffix=".html", dir=out_file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out_file


# ------------------------------------------------------------------------------------ data


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return con.execute(sql, list(params)).fetchall()


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    found = _rows(
        con,
        "select 1 from information_schema.columns where table_schema = 'main' "
        "and table_name = ? and column_name = ?",
        table,
        column,
    )
    return bool(found)


def _region_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """`乌恰县 (653024)` for each region code the marts use."""
    rows = _rows(
        con,
        "with codes as (select distinct region_code from mart_region_month "
        "union select distinct region_code from audit_files where region_code is not null) "
        "select c.region_code, r.region_name from codes as c "
        "left join dim_region as r on r.region_code = c.region_code",
    )
    return {code: f"{name} ({code})" if name else str(code) for code, name in rows}


def _label(regions: dict[str, str], code: str | None) -> str:
    return regions.get(code or "", code or "未知地区")


# ---------------------------------------------------------------------------------- charts


def _layout(fig: go.Figure, title: str, height: int = 420, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=height,
        font={"family": _FONT, "size": 12},
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.15},
        plot_bgcolor="#fafbfc",
        hoverlabel={"font": {"family": _FONT}},
        separators=".,",
        **extra,
    )
    return fig


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _yoy_section(con: duckdb.DuckDBPyConnection, regions: dict[str, str]) -> Section:
    section = Section(
        "yoy",
        "各地区同比趋势",
        "月度受理量，各年度受理量、办结率、满意率及同比变化（同比 = (本年 − 上年) / 上年）。",
    )
    monthly = _rows(
        con,
        "select region_code, month, orders_received, close_rate, satisfaction_rate "
        "from mart_region_month order by region_code, month",
    )
    if not monthly:
        section.notes.append("暂无数据：mart_region_month 为空。")
        return section
    trend = go.Figure()
    by_region: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in monthly:
        by_region[row[0]].append(row)
    # Every month on one axis, None where a region has no row: a gap in the data shows as a
    # gap in the line instead of a straight line drawn across it.
    months = _month_range(min(r[1] for r in monthly), max(r[1] for r in monthly))
    for code, rows in by_region.items():
        received = {r[1]: r[2] for r in rows}
        trend.add_trace(
            go.Scatter(
                x=[_iso(m) for m in months],
                y=[received.get(m) for m in months],
                mode="lines",
                name=_label(regions, code),
                hovertemplate="%{x|%Y年%m月}<br>受理量 %{y:,}<extra>%{fullData.name}</extra>",
            )
        )
    _layout(trend, "各地区月度受理量", xaxis={"tickformat": "%Y-%m"}, yaxis={"title": "受理量"})
    section.figures.append(trend)

    yearly = _rows(
        con,
        "select region_code, year, metric, value, yoy_change from mart_region_yoy "
        "where metric in ('orders_received', 'close_rate', 'satisfaction_rate') "
        "order by region_code, year",
    )
    if yearly:
        section.figures.append(_yoy_heatmap(yearly, regions))
        section.figures.append(_yearly_rates(yearly, regions))
    return section


def _yoy_heatmap(yearly: Sequence[tuple[Any, ...]], regions: dict[str, str]) -> go.Figure:
    """Region × year heatmap of 同比, one layer per measure chosen from a menu."""
    years = sorted({int(r[1]) for r in yearly})
    codes = sorted({r[0] for r in yearly})
    fig = go.Figure()
    metrics = ["orders_received", "close_rate", "satisfaction_rate"]
    for i, metric in enumerate(metrics):
        cells = {(r[0], int(r[1])): r[4] for r in yearly if r[2] == metric}
        z = [[cells.get((code, year)) for year in years] for code in codes]
        text = [[_percent(v, signed=True) for v in row] for row in z]
        fig.add_trace(
            go.Heatmap(
                x=[str(y) for y in years],
                y=[_label(regions, c) for c in codes],
                z=z,
                text=text,
                texttemplate="%{text}",
                colorscale="RdYlGn",
                # Colours saturate at ±50 %: one +500 % outlier must not wash out the rest.
                zmin=-0.5,
                zmax=0.5,
                colorbar={"title": "同比", "tickformat": "+.0%"},
                hovertemplate="%{y}<br>%{x}年 " + METRIC_LABELS[metric] + "同比 %{text}"
                "<extra></extra>",
                name=f"{METRIC_LABELS[metric]}同比",
                visible=i == 0,
                xgap=2,
                ygap=2,
            )
        )
    buttons = [
        {
            "label": f"{METRIC_LABELS[m]}同比",
            "method": "update",
            "args": [{"visible": [j == i for j in range(len(metrics))]}],
        }
        for i, m in enumerate(metrics)
    ]
    return _layout(
        fig,
        "年度同比（按地区）",
        height=max(320, 120 + 34 * len(codes)),
        updatemenus=[{"buttons": buttons, "x": 1.0, "xanchor": "right", "y": 1.15}],
        xaxis={"type": "category", "title": "年度"},
        yaxis={"automargin": True},
    )


def _yearly_rates(yearly: Sequence[tuple[Any, ...]], regions: dict[str, str]) -> go.Figure:
    """Yearly 受理量, 办结率 and 满意率 per region, side by side."""
    metrics = ["orders_received", "close_rate", "satisfaction_rate"]
    fig = make_subplots(
        rows=1, cols=3, subplot_titles=[METRIC_LABELS[m] for m in metrics], horizontal_spacing=0.07
    )
    codes = sorted({r[0] for r in yearly})
    years = list(range(min(int(r[1]) for r in yearly), max(int(r[1]) for r in yearly) + 1))
    palette = _palette()
    for n, code in enumerate(codes):
        color = palette[n % len(palette)]
        for col, metric in enumerate(metrics, start=1):
            cells = {int(r[1]): r for r in yearly if r[0] == code and r[2] == metric}
            fmt = ":.1%" if metric in RATE_METRICS else ":,.0f"
            fig.add_trace(
                go.Scatter(
                    x=years,
                    y=[cells[y][3] if y in cells else None for y in years],
                    customdata=[
                        _percent(cells[y][4], signed=True) if y in cells else "—" for y in years
                    ],
                    mode="lines+markers",
                    name=_label(regions, code),
                    legendgroup=code,
                    showlegend=col == 1,
                    line={"color": color},
                    hovertemplate=f"%{{x}}年 {METRIC_LABELS[metric]} %{{y{fmt}}}"
                    "<br>同比 %{customdata}<extra>%{fullData.name}</extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(dtick=1, tickformat="d")
    fig.update_yaxes(tickformat=".1%", row=1, col=2)
    fig.update_yaxes(tickformat=".1%", row=1, col=3)
    return _layout(fig, "各地区年度受理量、办结率、满意率", height=440)


def _ranking_section(con: duckdb.DuckDBPyConnection, regions: dict[str, str]) -> Section:
    section = Section(
        "rankings",
        "跨地区排名",
        "同级地区之间比较（市与市、县与县），按最近一个年度排名；1 为最高。",
    )
    grain_rows = _rows(
        con,
        "select grain, max(period_start) from mart_region_comparison group by grain "
        "order by grain = 'year' desc",
    )
    if not grain_rows:
        section.notes.append("暂无数据：mart_region_comparison 为空。")
        return section
    grain, period = grain_rows[0]
    metrics = ["orders_received", "close_rate", "satisfaction_rate"]
    rows = _rows(
        con,
        "select level, metric, region_code, value, rank from mart_region_comparison "
        "where grain = ? and period_start = ? and metric in (?, ?, ?) and value is not null "
        "order by level, metric, rank",
        grain,
        period,
        *metrics,
    )
    when = f"{period.year}年" if grain == "year" else f"{period.year}年{period.month}月"
    levels = sorted(
        {r[0] for r in rows},
        key=lambda lv: list(LEVEL_LABELS).index(lv) if lv in LEVEL_LABELS else 99,
    )
    for level in levels:
        level_rows = [r for r in rows if r[0] == level]
        count = len({r[2] for r in level_rows})
        fig = make_subplots(
            rows=1,
            cols=len(metrics),
            subplot_titles=[METRIC_LABELS[m] for m in metrics],
            horizontal_spacing=0.12,
        )
        for col, metric in enumerate(metrics, start=1):
            ranked = sorted((r for r in level_rows if r[1] == metric), key=lambda r: -r[4])
            rate = metric in RATE_METRICS
            fig.add_trace(
                go.Bar(
                    x=[r[3] for r in ranked],
                    y=[f"第{r[4]}名 {_label(regions, r[2])}" for r in ranked],
                    orientation="h",
                    text=[_percent(r[3]) if rate else f"{r[3]:,.0f}" for r in ranked],
                    textposition="auto",
                    marker={"color": _palette()[col - 1]},
                    name=METRIC_LABELS[metric],
                    showlegend=False,
                    hovertemplate="%{y}<br>" + METRIC_LABELS[metric] + " %{text}<extra></extra>",
                ),
                row=1,
                col=col,
            )
            if rate:
                fig.update_xaxes(tickformat=".0%", row=1, col=col)
        fig.update_yaxes(automargin=True)
        _layout(
            fig,
            f"{LEVEL_LABELS.get(level, level)}地区排名（{when}）",
            height=max(260, 120 + 28 * count),
        )
        section.figures.append(fig)
    if not levels:
        section.notes.append(f"{when}暂无可比较的地区。")
    return section


def _unit_section(con: duckdb.DuckDBPyConnection, regions: dict[str, str]) -> Section:
    section = Section(
        "units",
        "承办单位记分卡",
        f"最近 {SCORECARD_MONTHS} 个月各承办单位的承办量、办结率、及时签收率、办理时长和满意率。",
    )
    last = _rows(con, "select max(month) from mart_unit_scorecard")[0][0]
    if last is None:
        section.notes.append("暂无数据：mart_unit_scorecard 为空。")
        return section
    first = _add_months(last, -(SCORECARD_MONTHS - 1))
    rows = _rows(
        con,
        """
        with cards as (
            select
                region_code,
                handling_unit,
                sum(orders_assigned) as orders_assigned,
                sum(orders_overdue) as orders_overdue,
                sum(orders_dispatched) as orders_dispatched,
                sum(orders_received_timely) as orders_received_timely,
                sum(orders_rated) as orders_rated,
                sum(satisfaction_rate * orders_rated) as orders_satisfied
            from mart_unit_scorecard
            where month between ? and ?
            group by all
        ),

        -- A median, and a close rate over the orders whose closed state is known (the mart's
        -- denominator), cannot be summed from monthly rows: computed from the orders.
        orders as (
            select
                region_code,
                handling_unit,
                count(*) filter (where is_assigned and is_closed) as orders_closed_assigned,
                count(*) filter (where is_assigned and is_closed is not null)
                    as orders_assigned_known,
                median(handling_working_days) as median_days
            from fct_hotline_orders
            where received_month between ? and ?
            group by all
        ),

        final as (
            select
                cards.region_code,
                cards.handling_unit,
                cards.orders_assigned,
                orders.orders_closed_assigned / nullif(orders.orders_assigned_known, 0)
                    as close_rate,
                cards.orders_overdue,
                cards.orders_received_timely / nullif(cards.orders_dispatched, 0)
                    as receipt_rate,
                orders.median_days,
                cards.orders_satisfied / nullif(cards.orders_rated, 0) as satisfaction_rate
            from cards
            left join orders
                on cards.region_code = orders.region_code
                and cards.handling_unit = orders.handling_unit
        )

        select * from final
        order by close_rate nulls last, orders_assigned desc
        """,
        first,
        last,
        first,
        last,
    )
    window = f"{first:%Y年%m月}–{last:%Y年%m月}"
    scatter = go.Figure()
    by_region: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        if row[3] is not None and row[5] is not None:
            by_region[row[0]].append(row)
    biggest = max((r[2] or 0 for r in rows), default=1) or 1
    for code, units in sorted(by_region.items()):
        scatter.add_trace(
            go.Scatter(
                x=[u[5] for u in units],
                y=[u[3] for u in units],
                mode="markers",
                name=_label(regions, code),
                text=[u[1] for u in units],
                customdata=[[u[2], u[4]] for u in units],
                marker={
                    "size": [8 + 30 * (u[2] or 0) / biggest for u in units],
                    "opacity": 0.75,
                    "line": {"width": 0.5, "color": "#fff"},
                },
                hovertemplate="%{text}<br>办结率 %{y:.1%}　及时签收率 %{x:.1%}"
                "<br>承办量 %{customdata[0]:,}　超期 %{customdata[1]:,}"
                "<extra>%{fullData.name}</extra>",
            )
        )
    _layout(
        scatter,
        f"承办单位：办结率与及时签收率（{window}，点大小 = 承办量）",
        height=480,
        xaxis={"title": "及时签收率", "tickformat": ".0%"},
        yaxis={"title": "办结率", "tickformat": ".0%"},
    )
    if by_region:
        section.figures.append(scatter)
    worst = [r for r in rows if (r[2] or 0) >= MIN_UNIT_ORDERS][:30]
    section.tables.append(
        _html_table(
            f"办结率最低的承办单位（{window}，承办量 ≥ {MIN_UNIT_ORDERS}）",
            [
                "地区",
                "承办单位",
                "承办量",
                "办结率",
                "超期量",
                "及时签收率",
                "办理时长中位数（工作日）",
                "满意率",
            ],
            (
                [
                    _label(regions, r[0]),
                    r[1],
                    _count(r[2]),
                    _percent(r[3]),
                    _count(r[4]),
                    _percent(r[5]),
                    "" if r[6] is None else f"{r[6]:.1f}",
                    _percent(r[7]),
                ]
                for r in worst
            ),
            numeric_from=2,
            empty=f"没有承办量达到 {MIN_UNIT_ORDERS} 件的单位。",
        )
    )
    return section


def _category_section(con: duckdb.DuckDBPyConnection) -> Section:
    section = Section(
        "categories",
        "诉求类别趋势",
        f"12345 工单按类别的月度受理量（前 {TOP_CATEGORIES} 类，其余合并），及最近一年各类别同比。",
    )
    rows = _rows(
        con,
        "select coalesce(category, '未分类') as category, received_month, count(*) "
        "from fct_hotline_orders where received_month is not null group by all order by 2",
    )
    if not rows:
        section.notes.append("暂无数据：fct_hotline_orders 为空。")
        return section
    totals: dict[str, int] = defaultdict(int)
    for category, _, n in rows:
        totals[category] += n
    top = sorted(totals, key=lambda c: -totals[c])[:TOP_CATEGORIES]
    series: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for category, month, n in rows:
        series[category if category in top else "其余类别"][month] += n
    months = sorted({r[1] for r in rows})
    fig = go.Figure()
    for category in [*top, "其余类别"]:
        if category not in series:
            continue
        fig.add_trace(
            go.Scatter(
                x=[_iso(m) for m in months],
                y=[series[category].get(m, 0) for m in months],
                name=category,
                mode="lines",
                stackgroup="categories",
                hovertemplate="%{x|%Y年%m月} %{y:,} 件<extra>%{fullData.name}</extra>",
            )
        )
    _layout(fig, "各类别月度受理量", height=440, xaxis={"tickformat": "%Y-%m"})
    section.figures.append(fig)

    growth = _rows(
        con,
        """
        with yearly as (
            select category, year(received_at) as year, count(*) as orders
            from fct_hotline_orders
            where category is not null and received_at is not null
            group by all
        ),

        latest as (select max(year) as year from yearly),

        final as (
            select
                cur.category,
                cur.year,
                cur.orders,
                prior.orders as prior_orders,
                (cur.orders - prior.orders) / prior.orders as yoy_change
            from yearly as cur
            inner join latest on cur.year = latest.year
            inner join yearly as prior
                on cur.category = prior.category and prior.year = cur.year - 1
        )

        select * from final order by yoy_change desc
        """,
    )
    if growth:
        year = growth[0][1]
        bars = go.Figure(
            go.Bar(
                x=[g[0] for g in growth],
                y=[g[4] for g in growth],
                text=[_percent(g[4], signed=True) for g in growth],
                customdata=[[g[2], g[3]] for g in growth],
                textposition="outside",
                marker={"color": ["#2e7d32" if (g[4] or 0) >= 0 else "#c62828" for g in growth]},
                hovertemplate="%{x}<br>" + f"{year}年 %{{customdata[0]:,}} 件，"
                f"{year - 1}年 %{{customdata[1]:,}} 件<br>同比 %{{text}}<extra></extra>",
            )
        )
        _layout(bars, f"{year}年各类别受理量同比", height=380, yaxis={"tickformat": "+.0%"})
        section.figures.append(bars)
    return section


def _quality_section(con: duckdb.DuckDBPyConnection, regions: dict[str, str]) -> Section:
    section = Section(
        "quality",
        "数据质量",
        "文件入库状态、被隔离的文件（附处理建议）、合计数核对不一致之处，以及带警告入库的文件。",
    )
    status_rows = _rows(
        con,
        "select coalesce(region_code, '') as region_code, status, count(*) "
        "from audit_files group by all order by 1, 2",
    )
    if status_rows:
        codes = sorted({r[0] for r in status_rows})
        fig = go.Figure()
        colors = {"loaded": "#2e7d32", "duplicate": "#f9a825", "quarantined": "#c62828"}
        for status in sorted(
            {r[1] for r in status_rows},
            key=lambda s: list(STATUS_LABELS).index(s) if s in STATUS_LABELS else 99,
        ):
            counts = {r[0]: r[2] for r in status_rows if r[1] == status}
            fig.add_trace(
                go.Bar(
                    x=[_label(regions, c) if c else "未识别地区" for c in codes],
                    y=[counts.get(c, 0) for c in codes],
                    name=STATUS_LABELS.get(status, status),
                    marker={"color": colors.get(status, "#607d8b")},
                    hovertemplate="%{x}<br>%{y} 个文件<extra>%{fullData.name}</extra>",
                )
            )
        _layout(fig, "各地区文件状态", height=380, barmode="stack", yaxis={"title": "文件数"})
        section.figures.append(fig)

    quarantined = _rows(
        con,
        "select file_path, region_code, dataset, error from audit_files "
        "where status = 'quarantined' order by file_path",
    )
    section.tables.append(
        _html_table(
            f"已隔离的文件（{len(quarantined)} 个）",
            ["文件", "地区", "数据集", "原因与处理建议"],
            (
                [r[0], _label(regions, r[1]) if r[1] else "", r[2] or "", r[3] or ""]
                for r in quarantined
            ),
            empty="没有被隔离的文件。",
        )
    )
    mismatches = _rows(
        con,
        "select source_file, source_sheet, subject, metric, reported_total, computed_total "
        "from audit_reconciliation where not is_match order by source_file, source_sheet",
    )
    section.tables.append(
        _html_table(
            f"合计数核对不一致（{len(mismatches)} 处）",
            ["文件", "工作表", "对象", "指标", "报表合计", "明细汇总", "差额"],
            (
                [
                    r[0],
                    r[1] or "",
                    r[2] or "（列合计）",
                    METRIC_LABELS.get(r[3], r[3]),
                    _number(r[4]),
                    _number(r[5]),
                    _number(None if r[4] is None or r[5] is None else r[4] - r[5]),
                ]
                for r in mismatches
            ),
            numeric_from=4,
            empty="所有合计数均与明细一致。",
        )
    )
    if _has_column(con, "audit_files", "warnings"):
        # `warnings` may be text or a list, depending on the audit model's version.
        warned = _rows(
            con,
            "select file_path, status, cast(warnings as varchar) from audit_files "
            "where warnings is not null and cast(warnings as varchar) not in ('', '[]') "
            "order by file_path",
        )
        section.tables.append(
            _html_table(
                f"带警告的文件（{len(warned)} 个）",
                ["文件", "状态", "警告"],
                ([r[0], STATUS_LABELS.get(r[1], r[1]), r[2]] for r in warned),
                empty="没有带警告的文件。",
            )
        )
    return section


# ------------------------------------------------------------------------------ formatting


def _palette() -> list[str]:
    return [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ]  # fmt: skip


def _percent(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    count = (last.year - first.year) * 12 + last.month - first.month
    return [_add_months(first, n) for n in range(count + 1)]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _html_table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    numeric_from: int | None = None,
    empty: str = "暂无数据。",
) -> str:
    """An escaped HTML table; beyond MAX_TABLE_ROWS rows a line says how many more there are."""
    body: list[str] = []
    extra = 0
    for n, row in enumerate(rows):
        if n >= MAX_TABLE_ROWS:
            extra += 1
            continue
        cells = "".join(
            f'<td class="{"num" if numeric_from is not None and i >= numeric_from else ""}">'
            f"{html.escape(str(value))}</td>"
            for i, value in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    if not body:
        return f'<h3>{html.escape(caption)}</h3><p class="empty">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    more = f'<p class="more">另有 {extra} 条未列出。</p>' if extra else ""
    return (
        f'<h3>{html.escape(caption)}</h3><div class="table-wrap"><table>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>{more}"
    )


_CSS = """
body { font-family: %(font)s; margin: 0; background: #f3f5f8; color: #1d2733; }
header { background: #0b4f8a; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 6px; font-size: 24px; }
header p { margin: 0; opacity: .85; font-size: 13px; }
nav { background: #fff; padding: 8px 32px; border-bottom: 1px solid #dde3ea; position: sticky;
      top: 0; z-index: 10; }
nav a { margin-right: 18px; color: #0b4f8a; text-decoration: none; font-size: 14px; }
main { padding: 16px 32px 48px; max-width: 1400px; margin: 0 auto; }
section { background: #fff; border-radius: 6px; padding: 16px 20px; margin-bottom: 20px;
          box-shadow: 0 1px 2px rgba(0,0,0,.06); }
section h2 { margin: 0 0 4px; font-size: 20px; }
section .intro { margin: 0 0 12px; color: #5b6775; font-size: 13px; }
.chart { margin: 8px 0 16px; min-height: 240px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.table-wrap { max-height: 480px; overflow: auto; border: 1px solid #e3e8ee; }
table { border-collapse: collapse; width: 100%%; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid #eef1f4; text-align: left;
         vertical-align: top; }
th { background: #f0f3f7; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.empty, .more, .note { color: #5b6775; font-size: 13px; }
footer { color: #8a95a3; font-size: 12px; text-align: center; padding-bottom: 24px; }
""" % {"font": _FONT}  # noqa: UP031 (the CSS braces would need doubling in an f-string)


def _render_page(sections: Sequence[Section], warehouse: Path, span: tuple[Any, ...] | None) -> str:
    generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    first, last = span if span else (None, None)
    covered = f"数据范围 {first:%Y年%m月} 至 {last:%Y年%m月}" if first and last else "暂无数据"
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    parts: list[str] = []
    chart_no = 0
    for section in sections:
        parts.append(f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>')
        parts.append(f'<p class="intro">{html.escape(section.intro)}</p>')
        for note in section.notes:
            parts.append(f'<p class="note">{html.escape(note)}</p>')
        for fig in section.figures:
            chart_no += 1
            div = fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"chart-{chart_no}",
                config=_PLOT_CONFIG,
                default_width="100%",
                default_height=f"{fig.layout.height or 420}px",
            )
            parts.append(f'<div class="chart" data-section="{section.anchor}">{div}</div>')
        parts.extend(section.tables)
        parts.append("</section>")
    return _PAGE.format(
        css=_CSS,
        plotlyjs=get_plotlyjs(),
        nav=nav,
        covered=html.escape(covered),
        generated=html.escape(generated),
        source=html.escape(warehouse.name),
        body="\n".join(parts),
        charts=chart_no,
    )


_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="govdw-charts" content="{charts}">
<title>政务服务数据看板</title>
<style>{css}</style>
<script type="text/javascript">{plotlyjs}</script>
</head>
<body>
<header><h1>政务服务数据看板</h1>
<p>12345 热线工单 · 政务服务办件 · 好差评　|　{covered}　|　生成于 {generated}，来源 {source}</p>
</header>
<nav>{nav}</nav>
<main>
{body}
</main>
<footer>由 govdw 生成 · 离线文件，无需联网 · 图表由 plotly.js（MIT 许可）绘制</footer>
</body>
</html>
"""
