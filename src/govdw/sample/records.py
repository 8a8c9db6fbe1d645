"""Record types of the sample generator and the random draws that fill them (no formatting here)."""

from __future__ import annotations

import bisect
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

#: Appeal types (诉求类型) with their share of ordinary hotline traffic.
APPEAL_WEIGHTS = {
    "求助": 60,
    "投诉": 22,
    "咨询": 10,
    "建议": 5,
    "表扬": 1,
    "举报": 1.5,
    "其他": 0.5,
}
#: Hot-spot classes (热点分类) as written in exports, trailing 类 included.
CATEGORIES = [
    "民生保障类",
    "公共服务类",
    "住房保障类",
    "交通出行类",
    "城乡建设类",
    "科教文旅类",
    "经济综合类",
    "医疗卫生类",
    "农林水土类",
]
HOTLINE_CHANNELS = ["电话", "微信", "网站", "12345小程序", "短信"]
RATINGS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
EVAL_CHANNELS = {"窗口评价器": 70, "政务服务网": 12, "移动端": 10, "短信": 5, "二维码": 3}
CASE_CHANNELS = {"窗口": 80, "网上": 15, "移动端": 3, "自助终端": 2}
EVAL_LEVELS = {"区县级": 60, "乡镇街道级": 25, "村社区级": 15}
CASE_ITEMS = [
    "营业执照办理",
    "不动产登记",
    "社会保障卡申领",
    "医疗费用报销",
    "户口迁移",
    "居住证办理",
    "食品经营许可",
    "建设工程规划许可",
    "机动车登记",
    "出生医学证明",
    "养老保险待遇申领",
    "住房公积金提取",
]
CASE_DEPTS = [
    "市场监督管理局",
    "自然资源局",
    "人力资源和社会保障局",
    "医疗保障局",
    "公安局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "住房公积金中心",
    "税务局",
]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志明海燕春梅"
_STREETS = ["人民路", "新华街", "滨河路", "团结路", "解放路", "建设路", "友谊路", "幸福路"]
_COMPLAINTS = [
    "反映小区供暖不热，室温低于18度，请尽快处理",
    "反映道路路灯损坏，夜间出行不便",
    "咨询社保卡补办需要携带的材料",
    "反映楼下餐馆油烟扰民",
    "求助：家中自来水管道破裂，物业不予处理",
    "投诉施工工地夜间噪音扰民",
    "反映工资被拖欠三个月未发放",
    "建议在小区门口增设公交站点",
    "咨询新生儿医保办理流程",
    "反映小区垃圾清运不及时",
]

MINUTE = timedelta(minutes=1)
_EVAL_RATING_WEIGHTS = dict(zip(RATINGS, [960, 25, 10, 4, 1], strict=True))
_ORDER_RATING_WEIGHTS = dict(zip(RATINGS, [70, 20, 6, 3, 1], strict=True))


@dataclass(slots=True)
class Order:
    """One 12345 hotline work order (工单) as the warehouse should see it."""

    order_id: str
    received_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    due_at: datetime
    closed_at: datetime | None
    unit: str
    appeal_type: str  # canonical (求助 …); exports may write 求助类/诉求
    category: str  # as written, with trailing 类
    channel: str
    admin_level: str  # 本级 (hotline office itself) / 下级 (dispatched to a unit)
    status: str  # 已办结 办理中 待签收 已退回
    satisfaction: str | None
    is_redone: bool
    supervised: int
    content: str
    caller: str
    phone: str
    id_number: str
    address: str

    @property
    def is_closed(self) -> bool:
        """Closed means 已办结."""
        return self.status == "已办结"


@dataclass(slots=True)
class Case:
    """One service-hall case (办件)."""

    case_id: str
    item: str
    dept: str
    accepted_at: datetime
    completed_at: datetime | None
    promised_days: int
    status: str  # 已办结 办理中 不予受理 已退件
    channel: str
    applicant: str
    phone: str


@dataclass(slots=True)
class Evaluation:
    """One 好差评 evaluation."""

    eval_id: str
    evaluated_at: datetime
    channel: str
    item: str
    dept: str
    level: str
    rating: str  # canonical label
    comment: str


_CUMULATIVE: dict[int, tuple[list[str], list[float]]] = {}


def weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One key of `weights`, drawn with the given relative weights (one random() call: fast)."""
    table = _CUMULATIVE.get(id(weights))
    if table is None:
        keys, sums, total = list(weights), [], 0.0
        for w in weights.values():
            total += w
            sums.append(total)
        table = _CUMULATIVE[id(weights)] = (keys, [x / total for x in sums])
    keys, sums = table
    return keys[min(bisect.bisect_right(sums, rng.random()), len(keys) - 1)]


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """First instant of the month and of the next month."""
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return start, end


def random_minute(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A minute-precision instant in [start, end): every text date format stays exact."""
    minutes = int((end - start).total_seconds() // 60)
    return start + timedelta(minutes=rng.randrange(minutes))


def person(rng: random.Random) -> str:
    """A plausible (fake) Chinese personal name."""
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


def mobile(rng: random.Random) -> str:
    """A fake mobile number matching 1[3-9]\\d{9}."""
    return f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}"


def id_number(rng: random.Random, region_code: str) -> str:
    """A fake 18-digit resident ID number starting with the region code."""
    birth = datetime(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = f"{region_code}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    check = "10X98765432"[
        sum(
            int(c) * w
            for c, w in zip(
                body, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], strict=True
            )
        )
        % 11
    ]
    return body + check


def complaint(rng: random.Random, region_code: str, area_code: str) -> str:
    """Free text (诉求内容) that sometimes carries a phone, ID or landline number to be masked."""
    text = rng.choice(_COMPLAINTS)
    roll = rng.random()
    if roll < 0.15:
        text += f"，联系电话{mobile(rng)}"
    elif roll < 0.2:
        text += f"，本人身份证号{id_number(rng, region_code)}"
    elif roll < 0.25:
        text += f"，请回电{area_code}-{rng.randrange(10**7):07d}"
    return text


def address(rng: random.Random, region_name: str) -> str:
    """A fake street address inside the region."""
    return f"{region_name}{rng.choice(_STREETS)}{rng.randint(1, 300)}号{rng.randint(1, 20)}栋"


@dataclass(frozen=True)
class RegionInfo:
    """What generation needs to know about a region."""

    code: str
    name: str
    area_code: str  # landline prefix, e.g. 0951
    own_unit: str  # the hotline office (本级)
    units: tuple[str, ...]


def make_order(
    rng: random.Random,
    region: RegionInfo,
    order_id: str,
    received_at: datetime,
    exported_at: datetime,
    *,
    unit: str | None = None,
    appeal_type: str | None = None,
    category: str | None = None,
) -> Order:
    """One plausible order received at `received_at`, in the state it has at `exported_at`."""
    own = unit is None and rng.random() < 0.1
    limit = timedelta(days=rng.choice([3, 5, 7, 10, 15]))
    due = received_at + limit
    dispatched = accepted = None
    status = "办理中"
    closed: datetime | None
    if own:
        unit_name = region.own_unit
        closed = received_at + timedelta(minutes=rng.randint(10, 240))
    else:
        unit_name = unit or rng.choice(region.units)
        dispatched = received_at + timedelta(minutes=rng.randint(5, 180))
        # Timely (5 min–6 h) or late (25–96 h): never near the 24-hour edge.
        if rng.random() < 0.9:
            accepted = dispatched + timedelta(minutes=rng.randint(5, 360))
        else:
            accepted = dispatched + timedelta(minutes=rng.randint(25 * 60, 96 * 60))
        roll = rng.random()
        if roll < 0.01:
            closed = None  # stuck: stays open until someone chases it
        elif roll < 0.05:
            closed = max(due, accepted) + timedelta(minutes=rng.randint(60, 10 * 24 * 60))
        else:
            span = max(int((due - accepted).total_seconds() // 60) - 30, 60)
            closed = accepted + timedelta(minutes=rng.randint(30, span))
        if accepted > exported_at:
            accepted = None
            status = "待签收"
            closed = None
    if closed is not None and closed == due:
        closed += 7 * MINUTE  # never exactly on the deadline
    if closed is not None and closed > exported_at:
        closed = None
        if status == "办理中" and rng.random() < 0.1:
            status = "已退回"
    if closed is not None:
        status = "已办结"
    satisfaction = None
    if closed is not None and rng.random() < 0.85:
        satisfaction = weighted(rng, _ORDER_RATING_WEIGHTS)
    return Order(
        order_id=order_id,
        received_at=received_at,
        dispatched_at=dispatched,
        accepted_at=accepted,
        due_at=due,
        closed_at=closed,
        unit=unit_name,
        appeal_type=appeal_type or weighted(rng, APPEAL_WEIGHTS),
        category=category or rng.choice(CATEGORIES),
        channel=rng.choice(HOTLINE_CHANNELS),
        admin_level="本级" if own else "下级",
        status=status,
        satisfaction=satisfaction,
        is_redone=rng.random() < 0.03,
        supervised=rng.choice([0, 0, 0, 0, 1, 2]),
        content=complaint(rng, region.code, region.area_code),
        caller=person(rng),
        phone=mobile(rng),
        id_number=id_number(rng, region.code),
        address=address(rng, region.name),
    )


def close_later(rng: random.Random, order: Order, after: datetime, before: datetime) -> Order:
    """The same order closed between two export times (what a later export shows)."""
    accepted = order.accepted_at
    if order.dispatched_at is not None and accepted is None:
        accepted = order.dispatched_at + timedelta(minutes=rng.randint(25 * 60, 96 * 60))
    start = max(after, accepted or after)
    closed = random_minute(rng, start, max(before, start + timedelta(hours=2)))
    if closed == order.due_at:
        closed += 7 * MINUTE
    return replace(
        order, accepted_at=accepted, closed_at=closed, status="已办结", satisfaction="满意"
    )


def make_case(
    rng: random.Random,
    region: RegionInfo,
    case_id: str,
    accepted_at: datetime,
    exported_at: datetime,
    channel: str | None = None,
    *,
    always_complete: bool = False,
) -> Case:
    """One case; completed ones complete within their accepted month (both month grains agree)."""
    _, month_end = month_bounds(accepted_at.year, accepted_at.month)
    promised = rng.choice([0, 1, 3, 5, 7, 10, 15, 20])
    done = accepted_at + timedelta(minutes=rng.randint(10, (promised + 1) * 1440))
    done = min(done, month_end - timedelta(minutes=rng.randint(1, 600)))
    completed: datetime | None = max(done, accepted_at + MINUTE)
    status = "已办结"
    if not always_complete:
        roll = rng.random()
        if roll < 0.01:
            status, completed = "不予受理", None
        elif roll < 0.015:
            status, completed = "已退件", None
        elif done > exported_at or roll < 0.02:
            status, completed = "办理中", None
    return Case(
        case_id=case_id,
        item=rng.choice(CASE_ITEMS),
        dept=region.name + rng.choice(CASE_DEPTS),
        accepted_at=accepted_at,
        completed_at=completed,
        promised_days=promised,
        status=status,
        channel=channel or weighted(rng, CASE_CHANNELS),
        applicant=person(rng),
        phone=mobile(rng),
    )


def make_evaluation(
    rng: random.Random,
    region: RegionInfo,
    eval_id: str,
    evaluated_at: datetime,
    *,
    channel: str | None = None,
    level: str | None = None,
    rating: str | None = None,
) -> Evaluation:
    """One evaluation; ratings are overwhelmingly 非常满意, as in every seed report."""
    rating = rating or weighted(rng, _EVAL_RATING_WEIGHTS)
    comment = ""
    if rating in ("不满意", "非常不满意"):
        comment = rng.choice(["等待时间过长", "未一次性告知所需材料", "工作人员态度差"])
    elif rng.random() < 0.05:
        comment = rng.choice(["办事效率高", "服务热情", "很方便"])
    return Evaluation(
        eval_id=eval_id,
        evaluated_at=evaluated_at,
        channel=channel or weighted(rng, EVAL_CHANNELS),
        item=rng.choice(CASE_ITEMS),
        dept=region.name + rng.choice(CASE_DEPTS),
        level=level or weighted(rng, EVAL_LEVELS),
        rating=rating,
        comment=comment,
    )
