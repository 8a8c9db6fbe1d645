# ruff: noqa: E501
"""The anchor figures quoted from the seed reports: docs/seed-figures.md and the truth JSON show them."""

from __future__ import annotations

from typing import Any

from govdw.sample.anchors import (
    HAIYUAN_COUNTY_UNITS,
    HAIYUAN_TOWN_UNITS,
    WUHAI_CENTER_APPEALS,
    WUQIA_APPEALS,
    WUQIA_CATEGORIES,
    WUQIA_EVAL_CHANNELS,
    WUQIA_SLOW_UNITS,
)

SEED_WUQIA = "000_3caffb1aa785ff2c.txt"
SEED_WUHAI = "001_351b249a11d693a7.txt"
SEED_HAIYUAN = "002_c1d7b77d7c6a309c.txt"
SEED_YUEYANGLOU = "003_49057af18f546d49.txt"

#: The anchor figures: what docs/seed-figures.md lists and the truth JSON repeats.
ANCHOR_FIGURES: list[dict[str, Any]] = [
    {
        "id": "wuqia_orders",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "乌恰县共收到各类群众诉求143件(含本级办件2件,下级办件141件),已办结122件,在办件21件",
        "figure": "orders received / assigned / closed / open",
        "value": {
            "orders_received": 143,
            "orders_assigned": 141,
            "orders_closed": 122,
            "orders_open": 21,
        },
        "query": "select count(*), count(*) filter (where admin_level <> '本级'), count(*) filter (where is_closed) from fct_hotline_orders where region_code='653024' and received_at >= '2023-04-01' and received_at < '2023-05-01'",
    },
    {
        "id": "wuqia_receipt_rate",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "工单及时接收率为88.65%,其中:乌恰县税务局接收率为50.00%…",
        "figure": "receipt rate 125/141 and per-unit receipt rates",
        "value": {
            "orders_dispatched": 141,
            "orders_received_timely": 125,
            "receipt_rate": 0.8865,
            "per_unit": {u: list(v) for u, v in WUQIA_SLOW_UNITS.items()},
        },
        "query": "mart_unit_scorecard.receipt_rate where region_code='653024' and month='2023-04-01' (per handling_unit); overall: count(accepted_at - dispatched_at <= interval 24 hour)/count(dispatched_at) on fct_hotline_orders",
    },
    {
        "id": "wuqia_close_rate",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "办结率为85.11%",
        "figure": "close rate 120/141",
        "value": {"orders_closed_assigned": 120, "orders_assigned": 141, "close_rate": 0.8511},
        "query": "mart_region_month.close_rate where region_code='653024' and month='2023-04-01'",
    },
    {
        "id": "wuqia_appeal_types",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "求助类工单102件、投诉类工单36件、咨询类工单5件",
        "figure": "orders by appeal type",
        "value": WUQIA_APPEALS,
        "query": "select appeal_type, count(*) from fct_hotline_orders where region_code='653024' and received_at in April 2023 group by 1",
    },
    {
        "id": "wuqia_categories",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "民生保障类48件…农林水土类3件 (the report's classes sum to 142; the 143rd order is 其他)",
        "figure": "orders by category",
        "value": {k.removesuffix("类"): v for k, v in WUQIA_CATEGORIES.items()},
        "query": "select category, count(*) from fct_hotline_orders where region_code='653024' and received_at in April 2023 group by 1",
    },
    {
        "id": "wuqia_overdue",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "导致4月份我县2条工单逾期,具体单位为:乌恰县住建局",
        "figure": "overdue orders",
        "value": {"orders_overdue": 2, "handling_unit": "乌恰县住建局"},
        "query": "select handling_unit, count(*) from fct_hotline_orders where region_code='653024' and is_overdue and received_at in April 2023 group by 1",
    },
    {
        "id": "wuqia_evaluations",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "评价共4315条,其中线上1236条(政务服务网739条、移动端291条、短信206条)…线下窗口评价3079条",
        "figure": "evaluations by channel, one 不满意",
        "value": {
            "evaluations_total": 4315,
            "by_channel": WUQIA_EVAL_CHANNELS,
            "evaluations_dissatisfied": 1,
        },
        "query": "select channel, count(*) from fct_evaluations where region_code='653024' and evaluated_at in April 2023 group by 1",
    },
    {
        "id": "wuqia_cases",
        "seed": SEED_WUQIA,
        "region_code": "653024",
        "period": "2023-04-01..2023-04-30",
        "quote": "受理事项13736件,办结13736件…在新疆政务服务网上受理各类事项1831件,办结1831件",
        "figure": "cases accepted / completed by channel",
        "value": {"窗口": [13_736, 13_736], "网上": [1_831, 1_831]},
        "query": "select channel, count(*), count(*) filter (where is_completed) from fct_service_cases where region_code='653024' and accepted_at in April 2023 group by 1",
    },
    {
        "id": "wuhai_evaluations",
        "seed": SEED_WUHAI,
        "region_code": "150300",
        "period": "2023-01-01..2023-10-31",
        "quote": "全市共产生“好差评”数据236816条,其中:非常满意236116条,满意586条,基本满意113条,不满意1条",
        "figure": "evaluations by rating",
        "value": {
            "evaluations_total": 236_816,
            "非常满意": 236_116,
            "满意": 586,
            "基本满意": 113,
            "不满意": 1,
            "非常不满意": 0,
        },
        "query": "select rating_label, count(*) from fct_evaluations where region_code='150300' and evaluated_at >= '2023-01-01' and evaluated_at < '2023-11-01' group by 1",
    },
    {
        "id": "wuhai_evaluation_levels",
        "seed": SEED_WUHAI,
        "region_code": "150300",
        "period": "2023-01-01..2023-10-31",
        "quote": "市本级共产生“好差评”数据65138条…区级共产生“好差评”数据157239条…镇(街道)和村(社区)级共产生“好差评”数据14439条",
        "note": "The seed's 区级 split (非常满意 156,769 + 369 + 64 + 1 = 157,203) is 36 short of its own 区级 total 157,239 and of the city's 236,116 非常满意; the sample keeps the totals, so 区县级 非常满意 = 156,805.",
        "figure": "evaluations by 评价层级 (landing.evaluations.admin_level)",
        "value": {"市级": 65_138, "区县级": 157_239, "乡镇街道级+村社区级": 14_439},
        "query": "select admin_level, count(*) from landing.evaluations where region_code='150300' and evaluated_at in 2023-01..10 group by 1 (also fct_reported_stats subject=层级 rows)",
    },
    {
        "id": "wuhai_center_orders",
        "seed": SEED_WUHAI,
        "region_code": "150300",
        "period": "2023-01-01..2023-10-31",
        "quote": "市政务服务中心共收到12345转办件31件,其中建议12件、求助15件、咨询2件、投诉1件、表扬1件",
        "figure": "orders at 乌海市政务服务中心 by appeal type",
        "value": {"orders_received": 31, **WUHAI_CENTER_APPEALS},
        "query": "select appeal_type, count(*) from fct_hotline_orders where region_code='150300' and handling_unit='乌海市政务服务中心' and received_at in 2023-01..10 group by 1",
    },
    {
        "id": "wuhai_cases_reported",
        "seed": SEED_WUHAI,
        "region_code": "150300",
        "period": "2023-01-01..2023-10-31",
        "quote": "2023年至今,共办件25.6万件,办结率99.3%",
        "figure": "reported cases and close rate",
        "value": {"cases_accepted": 256_000, "close_rate": 0.993},
        "query": "select metric, value from fct_reported_stats where region_code='150300' and subject='乌海市政务服务中心'",
    },
    {
        "id": "haiyuan_orders",
        "seed": SEED_HAIYUAN,
        "region_code": "640522",
        "period": "2017-10-27..2017-12-31",
        "quote": "共转办市“12345”呼叫中心群众来电574件。其中,咨询类3件,建议类2件,诉求类569件。目前,已办结366件…正在办理208件,其中超期30天以上80件",
        "figure": "orders received / closed / open / overdue / by type",
        "value": {
            "orders_received": 574,
            "orders_closed": 366,
            "orders_open": 208,
            "orders_overdue": 80,
            "求助": 569,
            "咨询": 3,
            "建议": 2,
        },
        "query": "select count(*), count(*) filter (where is_closed), count(*) filter (where is_overdue) from fct_hotline_orders where region_code='640522' and received_at < '2018-01-01'",
    },
    {
        "id": "haiyuan_redone",
        "seed": SEED_HAIYUAN,
        "region_code": "640522",
        "period": "2017-10-27..2017-12-31",
        "quote": "重新办理工单39件,占6.78%",
        "figure": "redone orders",
        "value": {"orders_redone": 39},
        "query": "select count(*) from landing.hotline_orders where region_code='640522' and is_redone",
    },
    {
        "id": "haiyuan_unit_tables",
        "seed": SEED_HAIYUAN,
        "region_code": "640522",
        "period": "2017-10-27..2017-12-31",
        "quote": "承办单位办件情况表一/表二 (承办量, 办结量, 超期30天以上工单数, 督办次数 per unit)",
        "figure": "per-unit assigned / closed / overdue / supervised",
        "value": {u: list(v) for u, v in (HAIYUAN_COUNTY_UNITS | HAIYUAN_TOWN_UNITS).items()},
        "query": "select subject, metric, value from fct_reported_stats where region_code='640522'; detail: mart_unit_scorecard / fct_hotline_orders group by handling_unit",
    },
    {
        "id": "yueyanglou_2022",
        "seed": SEED_YUEYANGLOU,
        "region_code": "430602",
        "period": "2022-01-01..2022-12-31",
        "quote": "全區共接收市熱線轉派政務服務熱線工單5萬件,辦結率99.97%",
        "figure": "reported orders received and close rate (not detail volume)",
        "value": {"orders_received": 50_000, "close_rate": 0.9997},
        "query": "select metric, value from fct_reported_stats where region_code='430602' and subject='全区'",
    },
]


def seed_figures_markdown() -> str:
    """The text of docs/seed-figures.md, rendered from ANCHOR_FIGURES so the two never drift."""
    out = [
        "# Seed figures the sample reproduces",
        "",
        "Generated from `src/govdw/sample/figures.py` (`seed_figures_markdown()`); a test keeps this",
        "file equal to it. Seeds are the published reports in `/work/shared/seeds/`. Every figure",
        "below holds in the sample at every `--scale` (anchor periods are always full volume) and is",
        "repeated under `anchors` in the `--truth` JSON. Orders count by the month of `received_at`,",
        "after latest-export-wins; close rate = closed assigned / assigned (本级 excluded); receipt",
        "rate = signed within 24 h of dispatch / dispatched.",
        "",
    ]
    for n, fig in enumerate(ANCHOR_FIGURES, 1):
        value = ", ".join(f"{k} = {v}" for k, v in fig["value"].items())
        out += [
            f"## {n}. `{fig['id']}` — {fig['figure']}",
            "",
            f"- seed file: `{fig['seed']}`",
            f"- quoted: “{fig['quote']}”",
            f"- region: `{fig['region_code']}`, period {fig['period']}",
            f"- figure: {value}",
            f"- warehouse query: `{fig['query']}`",
        ]
        if "note" in fig:
            out.append(f"- note: {fig['note']}")
        out.append("")
    return "\n".join(out)
