"""Seed-report figures and the full-volume records that reproduce them exactly."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from govdw.sample.records import (
    CATEGORIES,
    MINUTE,
    Case,
    Evaluation,
    Order,
    RegionInfo,
    address,
    complaint,
    id_number,
    make_case,
    make_evaluation,
    mobile,
    person,
    random_minute,
)

# ---------------------------------------------------------------- 乌恰县 653024, April 2023
WUQIA_EXPORT = datetime(2023, 5, 4, 9, 12, 33)
WUQIA_OWN_UNIT = "乌恰县政务服务和公共资源交易中心"
#: Units named in the seed: (dispatched, received timely).
WUQIA_SLOW_UNITS = {
    "乌恰县税务局": (4, 2),
    "乌恰县黑孜苇乡": (6, 3),
    "乌恰县医疗保障局": (10, 6),
    "乌恰县住建局": (11, 9),
    "乌恰县市场监督管理局": (12, 10),
    "乌恰县波斯坦铁列克乡": (12, 10),
    "乌恰县人力资源和社会保障局": (19, 18),
}
#: The "other units" (100% timely) and how many of the remaining 67 orders each got.
WUQIA_OTHER_UNITS = {
    "乌恰县教育局": 9,
    "乌恰县民政局": 7,
    "乌恰县公安局": 8,
    "乌恰县乌恰镇": 12,
    "乌恰县康苏镇": 5,
    "乌恰县吉根乡": 3,
    "乌恰县托云乡": 2,
    "乌恰县自然资源局": 6,
    "乌恰县交通运输局": 5,
    "乌恰县水利局": 4,
    "乌恰县卫生健康委员会": 6,
}
WUQIA_APPEALS = {"求助": 102, "投诉": 36, "咨询": 5}
WUQIA_CATEGORIES = dict(zip(CATEGORIES, [48, 29, 26, 11, 10, 8, 4, 3, 3], strict=True)) | {
    "其他": 1
}
WUQIA_EVAL_CHANNELS = {"政务服务网": 739, "移动端": 291, "短信": 206, "窗口评价器": 3079}
WUQIA_CASES = {"窗口": 13_736, "网上": 1_831}

# ---------------------------------------------------------------- 乌海市 150300, 2023-01..10
WUHAI_PERIOD = (datetime(2023, 1, 1), datetime(2023, 11, 1))
#: 评价层级 -> counts 非常满意 … 非常不满意; the seed's 乡镇+村 figure is split in two.
#: The seed prints 区级 非常满意 156,769, which contradicts its own 区级 total (157,239) and city
#: 非常满意 total (236,116) by 36; 156,805 satisfies both totals, so the totals win.
WUHAI_LEVELS = {
    "市级": (65_061, 60, 17, 0, 0),
    "区县级": (156_805, 369, 64, 1, 0),
    "乡镇街道级": (8_880, 95, 25, 0, 0),
    "村社区级": (5_370, 62, 7, 0, 0),
}
WUHAI_CENTER = "乌海市政务服务中心"
WUHAI_CENTER_APPEALS = {"建议": 12, "求助": 15, "咨询": 2, "投诉": 1, "表扬": 1}

# ---------------------------------------------------------------- 海原县 640522, 2017-10-27..12-31
HAIYUAN_EXPORT = datetime(2018, 1, 2, 10, 20, 15)
HAIYUAN_START = datetime(2017, 10, 27)
HAIYUAN_OWN_UNIT = "海原县12345热线办公室"
#: 表一 (县直单位): unit -> (承办量, 办结量, 超期30天以上工单数, 督办次数), as in the seed.
HAIYUAN_COUNTY_UNITS = {
    "住建局": (87, 31, 20, 2),
    "国环局": (4, 2, 2, 2),
    "残联": (1, 1, 0, 0),
    "市场监管局": (1, 1, 0, 0),
    "移动公司": (1, 1, 0, 0),
    "公安局（交警队）": (22, 16, 2, 2),
    "运管所": (2, 0, 0, 1),
    "人社局": (14, 11, 0, 1),
    "卫计局": (5, 0, 3, 2),
    "交通运输局": (11, 8, 3, 2),
    "教体局": (27, 26, 0, 1),
    "农牧局": (2, 1, 1, 2),
    "林业局": (1, 1, 0, 0),
    "文广局": (1, 1, 0, 0),
    "民政局": (5, 5, 0, 0),
    "水务局": (9, 7, 1, 2),
    "社保局": (1, 1, 0, 0),
    "就创局": (1, 1, 0, 0),
    "商经局": (8, 5, 2, 2),
    "扶贫办": (2, 0, 1, 2),
    "电信公司": (1, 0, 0, 1),
    "海城供电公司": (2, 0, 1, 2),
}
#: The seed's 合计 row of 表一 (its details sum to 208, the row says 206: written as published).
HAIYUAN_COUNTY_TOTAL = (206, 119, 36, 24)
#: 表二 (乡镇区).
HAIYUAN_TOWN_UNITS = {
    "海城镇": (18, 10, 2, 2),
    "红羊乡": (20, 7, 6, 2),
    "曹洼乡": (16, 12, 0, 1),
    "李俊乡": (9, 3, 2, 2),
    "树台乡": (21, 17, 0, 1),
    "西安镇": (18, 12, 1, 2),
    "甘盐池": (5, 5, 2, 2),
    "街道办": (7, 2, 2, 2),
    "海兴开发区": (12, 3, 5, 2),
    "郑旗乡": (29, 28, 0, 1),
    "贾塘乡": (54, 33, 16, 2),
    "史店乡": (9, 8, 0, 1),
    "甘城乡": (3, 3, 0, 1),
    "三河镇": (19, 16, 3, 2),
    "七营镇": (24, 19, 0, 1),
    "九彩乡": (9, 0, 4, 2),
    "高崖乡": (33, 21, 0, 1),
    "李旺镇": (36, 35, 1, 2),
    "关桥乡": (16, 13, 0, 1),
    "关庄乡": (0, 0, 0, 0),
}
HAIYUAN_TOWN_TOTAL = (358, 247, 44, 30)
HAIYUAN_NOTE = "备注：此表统计截止于2017年12月31日，以交办量为统计口径。"


def wuqia_orders(rng: random.Random, region: RegionInfo) -> list[Order]:
    """The 143 orders of 乌恰县 received in April 2023, as exported on 2023-05-04 09:12:33."""
    start, end = datetime(2023, 4, 1), datetime(2023, 5, 1)
    slots: list[tuple[str, bool]] = []  # (unit, received timely) per dispatched order
    for unit, (n_dispatched, n_timely) in WUQIA_SLOW_UNITS.items():
        slots += [(unit, i < n_timely) for i in range(n_dispatched)]
    for unit, count in WUQIA_OTHER_UNITS.items():
        slots += [(unit, True)] * count
    assert len(slots) == 141 and sum(t for _, t in slots) == 125
    overdue_idx = [i for i, (u, _) in enumerate(slots) if u == "乌恰县住建局"][:2]
    others = [i for i in range(len(slots)) if i not in overdue_idx]
    open_idx = set(overdue_idx) | set(rng.sample(others, 19))
    appeals = [a for a, n in WUQIA_APPEALS.items() for _ in range(n)]
    categories = [c for c, n in WUQIA_CATEGORIES.items() for _ in range(n)]
    rng.shuffle(appeals)
    rng.shuffle(categories)
    orders: list[Order] = []
    for i in range(143):
        own = i >= 141
        unit, timely = (WUQIA_OWN_UNIT, True) if own else slots[i]
        # Late signers (25–96 h) are received by 04-26 so they still sign before the export.
        received = random_minute(rng, start, end if timely else datetime(2023, 4, 26))
        dispatched = accepted = None
        if own:
            due = received + timedelta(days=5)
            closed: datetime | None = received + timedelta(minutes=rng.randint(30, 200))
        else:
            dispatched = received + timedelta(minutes=rng.randint(10, 120))
            delay = rng.randint(5, 360) if timely else rng.randint(25 * 60, 96 * 60)
            accepted = dispatched + timedelta(minutes=delay)
            if i in overdue_idx:
                received = random_minute(rng, datetime(2023, 4, 3), datetime(2023, 4, 10))
                dispatched = received + timedelta(minutes=30)
                accepted = dispatched + timedelta(minutes=delay)
                due = received + timedelta(days=7)
                closed = None
            elif i in open_idx:
                due = max(
                    received + timedelta(days=15), WUQIA_EXPORT + timedelta(days=rng.randint(1, 10))
                )
                closed = None
            else:
                due = received + timedelta(days=rng.choice([5, 7, 10, 15]))
                lo = accepted + timedelta(minutes=30)
                hi = min(due, WUQIA_EXPORT) - timedelta(minutes=10)
                closed = random_minute(rng, lo, max(hi, lo + MINUTE))
        orders.append(
            Order(
                order_id=f"WQ{received:%Y%m}{i + 1:05d}",
                received_at=received,
                dispatched_at=dispatched,
                accepted_at=accepted,
                due_at=due,
                closed_at=closed,
                unit=unit,
                appeal_type=appeals[i],
                category=categories[i],
                channel=rng.choice(["电话", "微信", "网站"]),
                admin_level="本级" if own else "下级",
                status="已办结" if closed else "办理中",
                satisfaction=rng.choice(["非常满意", "满意"]) if closed else None,
                is_redone=i in overdue_idx,
                supervised=2 if i in overdue_idx else 0,
                content=complaint(rng, region.code, region.area_code),
                caller=person(rng),
                phone=mobile(rng),
                id_number=id_number(rng, region.code),
                address=address(rng, region.name),
            )
        )
    orders.sort(key=lambda o: o.received_at)
    return orders


def wuqia_evaluations(rng: random.Random, region: RegionInfo) -> list[Evaluation]:
    """The 4,315 evaluations of April 2023: one 不满意 online, the rest satisfied."""
    start, end = datetime(2023, 4, 1), datetime(2023, 5, 1)
    out: list[Evaluation] = []
    for channel, count in WUQIA_EVAL_CHANNELS.items():
        for i in range(count):
            rating = "不满意" if (channel == "政务服务网" and i == 0) else None
            if rating is None:
                rating = rng.choices(["非常满意", "满意", "基本满意"], weights=[97, 2, 1])[0]
            out.append(
                make_evaluation(
                    rng, region, "", random_minute(rng, start, end), channel=channel, rating=rating
                )
            )
    out.sort(key=lambda e: e.evaluated_at)
    for n, ev in enumerate(out, 1):
        ev.eval_id = f"WQPJ202304{n:06d}"
    return out


def wuqia_cases(rng: random.Random, region: RegionInfo) -> list[Case]:
    """The 15,567 cases of April 2023 (窗口 13,736 and 网上 1,831), all completed in April."""
    start, end = datetime(2023, 4, 1), datetime(2023, 5, 1)
    out = [
        make_case(
            rng, region, "", random_minute(rng, start, end), end, channel, always_complete=True
        )
        for channel, count in WUQIA_CASES.items()
        for _ in range(count)
    ]
    out.sort(key=lambda c: c.accepted_at)
    for n, case in enumerate(out, 1):
        case.case_id = f"653024-2023-04-{n:06d}"
    return out


def wuhai_evaluations(rng: random.Random, region: RegionInfo) -> list[Evaluation]:
    """The 236,816 evaluations of 乌海市 for 2023-01-01..10-31 with the seed's level split."""
    start, end = WUHAI_PERIOD
    labels = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    districts = ["海勃湾区", "海南区", "乌达区"]
    out: list[Evaluation] = []
    for level, counts in WUHAI_LEVELS.items():
        for label, count in zip(labels, counts, strict=True):
            for _ in range(count):
                ev = make_evaluation(
                    rng, region, "", random_minute(rng, start, end), level=level, rating=label
                )
                if level == "区县级":
                    ev.dept = rng.choice(districts) + ev.dept.removeprefix(region.name)
                if label == "不满意":
                    ev.dept = "海南区人力资源和社会保障局"
                    ev.comment = "未向办事群众提供材料样本"
                out.append(ev)
    out.sort(key=lambda e: e.evaluated_at)
    for n, ev in enumerate(out, 1):
        ev.eval_id = f"WHPJ2023{n:07d}"
    return out


def wuhai_center_orders(rng: random.Random, region: RegionInfo) -> list[Order]:
    """The 31 orders dispatched to 乌海市政务服务中心 in 2023-01..10, all closed in time."""
    start, end = WUHAI_PERIOD
    out: list[Order] = []
    for appeal, count in WUHAI_CENTER_APPEALS.items():
        for _ in range(count):
            received = random_minute(rng, start, end - timedelta(days=3))
            dispatched = received + timedelta(minutes=rng.randint(10, 90))
            accepted = dispatched + timedelta(minutes=rng.randint(5, 120))
            closed = accepted + timedelta(minutes=rng.randint(60, 2 * 1440))
            out.append(
                Order(
                    order_id="",
                    received_at=received,
                    dispatched_at=dispatched,
                    accepted_at=accepted,
                    due_at=received + timedelta(days=5),
                    closed_at=closed,
                    unit=WUHAI_CENTER,
                    appeal_type=appeal,
                    category=rng.choice(["公共服务类", "经济综合类", "民生保障类"]),
                    channel="电话",
                    admin_level="下级",
                    status="已办结",
                    satisfaction="满意",
                    is_redone=False,
                    supervised=0,
                    content=complaint(rng, region.code, region.area_code),
                    caller=person(rng),
                    phone=mobile(rng),
                    id_number=id_number(rng, region.code),
                    address=address(rng, region.name),
                )
            )
    out.sort(key=lambda o: o.received_at)
    for n, order in enumerate(out, 1):
        order.order_id = f"WHZX{order.received_at:%Y%m}{n:04d}"
    return out


def haiyuan_orders(rng: random.Random, region: RegionInfo) -> list[Order]:
    """The 574 orders of 海原县 2017-10-27..12-31 matching the seed's per-unit tables."""
    end = datetime(2018, 1, 1)
    specs: list[tuple[str, str]] = []  # (unit, kind)
    for unit, (n_assigned, n_closed, n_overdue, _) in (
        HAIYUAN_COUNTY_UNITS | HAIYUAN_TOWN_UNITS
    ).items():
        n_open = n_assigned - n_closed
        if n_open:
            kinds = ["open_overdue"] * n_overdue + ["open"] * (n_open - n_overdue)
            kinds += ["closed"] * n_closed
        else:  # every order closed: the overdue ones were closed late (甘盐池)
            kinds = ["closed_late"] * n_overdue + ["closed"] * (n_closed - n_overdue)
        specs += [(unit, k) for k in kinds]
    specs += [(HAIYUAN_OWN_UNIT, "own_open")] * 8
    appeals = ["求助"] * 569 + ["咨询"] * 3 + ["建议"] * 2
    rng.shuffle(appeals)
    redone = set(rng.sample(range(566), 39))
    supervised = {
        unit: figures[3] for unit, figures in (HAIYUAN_COUNTY_UNITS | HAIYUAN_TOWN_UNITS).items()
    }
    orders: list[Order] = []
    for i, (unit, kind) in enumerate(specs):
        own = kind == "own_open"
        if kind in ("open_overdue", "closed_late"):
            received = random_minute(rng, HAIYUAN_START, datetime(2017, 11, 15))
        else:
            received = random_minute(rng, HAIYUAN_START, end)
        dispatched = None if own else received + timedelta(minutes=rng.randint(10, 180))
        accepted = None
        if dispatched is not None:
            late = rng.random() < 0.15
            delay = rng.randint(25 * 60, 96 * 60) if late else rng.randint(5, 360)
            accepted = dispatched + timedelta(minutes=delay)
            if accepted > HAIYUAN_EXPORT - timedelta(hours=2):  # nobody signs after the export
                accepted = dispatched + timedelta(minutes=30)
        closed: datetime | None = None
        if kind == "open_overdue":
            due = received + timedelta(days=rng.choice([5, 7, 10]))
        elif kind in ("open", "own_open"):
            due = HAIYUAN_EXPORT + timedelta(days=rng.randint(3, 30))  # extended (延期)
        elif kind == "closed_late":
            due = received + timedelta(days=5)
            closed = due + timedelta(days=rng.randint(31, 40))
        else:
            due = received + timedelta(days=15)
            assert accepted is not None
            lo = accepted + timedelta(minutes=30)
            hi = min(due, HAIYUAN_EXPORT) - timedelta(minutes=10)
            closed = random_minute(rng, lo, max(hi, lo + MINUTE))
        count = 0
        if supervised.get(unit, 0) and kind != "closed":
            count, supervised[unit] = 1, supervised[unit] - 1
        orders.append(
            Order(
                order_id="",
                received_at=received,
                dispatched_at=dispatched,
                accepted_at=accepted,
                due_at=due,
                closed_at=closed,
                unit=unit,
                appeal_type=appeals[i],
                category=rng.choice(CATEGORIES),
                channel="电话",
                admin_level="本级" if own else "下级",
                status="已办结" if closed else "办理中",
                satisfaction=rng.choice(["满意", "基本满意", None]) if closed else None,
                is_redone=i in redone,
                supervised=count,
                content=complaint(rng, region.code, region.area_code),
                caller=person(rng),
                phone=mobile(rng),
                id_number=id_number(rng, region.code),
                address=address(rng, region.name),
            )
        )
    # Supervision left over (units without late orders) goes on their other orders.
    for unit, left in supervised.items():
        targets = [o for o in orders if o.unit == unit]
        for k in range(left):
            targets[k % len(targets)].supervised += 1
    orders.sort(key=lambda o: o.received_at)
    for n, order in enumerate(orders, 1):
        order.order_id = f"HY{order.received_at:%Y%m}{n:05d}"
    return orders
