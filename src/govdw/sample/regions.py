"""Regions, volumes, value formats and the run context shared by the export families."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import opencc

import govdw.sample.anchors as A
from govdw.sample.records import (
    Case,
    Evaluation,
    Order,
    RegionInfo,
    make_case,
    make_evaluation,
    make_order,
    month_bounds,
    random_minute,
    weighted,
)
from govdw.sample.truth import Truth
from govdw.sample.writers import (
    write_file,
)

YEARS = range(2019, 2025)

REGIONS: dict[str, RegionInfo] = {
    r.code: r
    for r in [
        RegionInfo(
            "150300",
            "乌海市",
            "0473",
            "乌海市12345热线服务中心",
            (
                "乌海市公安局",
                "乌海市住房和城乡建设局",
                "乌海市人力资源和社会保障局",
                "乌海市市场监督管理局",
                "乌海市交通运输局",
                "乌海市自然资源局",
                "乌海市城市管理综合执法局",
                "乌海市教育局",
                "乌海市卫生健康委员会",
                "乌海市医疗保障局",
                "乌海市热力公司",
            ),
        ),
        RegionInfo(
            "150302",
            "海勃湾区",
            "0473",
            "海勃湾区12345热线分中心",
            (
                "海勃湾区住建局",
                "海勃湾区城管局",
                "新华街道",
                "凤凰岭街道",
                "滨河街道",
                "千里山镇",
                "海勃湾区市场监管局",
                "海勃湾区人社局",
            ),
        ),
        RegionInfo(
            "150303",
            "海南区",
            "0473",
            "海南区12345热线分中心",
            (
                "海南区住建局",
                "拉僧庙镇",
                "巴音陶亥镇",
                "公乌素镇",
                "海南区人力资源和社会保障局",
                "海南区城管局",
            ),
        ),
        RegionInfo(
            "150304",
            "乌达区",
            "0473",
            "乌达区12345热线分中心",
            (
                "乌达区住建局",
                "三道坎街道",
                "五虎山街道",
                "苏海图街道",
                "乌兰淖尔镇",
                "乌达区市场监管局",
                "乌达区人社局",
            ),
        ),
        RegionInfo(
            "653024",
            "乌恰县",
            "0908",
            A.WUQIA_OWN_UNIT,
            (*A.WUQIA_SLOW_UNITS, *A.WUQIA_OTHER_UNITS),
        ),
        RegionInfo(
            "640522",
            "海原县",
            "0955",
            A.HAIYUAN_OWN_UNIT,
            tuple(u for u, v in (A.HAIYUAN_COUNTY_UNITS | A.HAIYUAN_TOWN_UNITS).items() if v[0]),
        ),
        RegionInfo(
            "430602",
            "岳阳楼区",
            "0730",
            "岳阳楼区12345热线办",
            (
                "岳阳楼区住建局",
                "岳阳楼区城管局",
                "岳阳楼区市场监管局",
                "岳阳楼区教育局",
                "岳阳楼区人社局",
                "洞庭街道",
                "南湖街道",
                "城东街道",
                "三眼桥街道",
                "五里牌街道",
                "望岳路街道",
                "奇家岭街道",
                "吕仙亭街道",
                "金鹗山街道",
                "东茅岭街道",
                "郭镇乡",
            ),
        ),
        RegionInfo(
            "430600",
            "岳阳市",
            "0730",
            "岳阳市12345热线中心",
            (
                "岳阳市住建局",
                "岳阳市城管局",
                "岳阳市公安局",
                "岳阳市人社局",
                "岳阳市市场监管局",
                "岳阳市交通运输局",
                "岳阳市教育局",
                "岳阳市卫健委",
                "岳阳楼区",
                "云溪区",
                "君山区",
                "岳阳县",
                "华容县",
                "湘阴县",
                "平江县",
                "汨罗市",
                "临湘市",
            ),
        ),
    ]
}

#: The first folder under raw/ for each region: every accepted naming form appears.
FOLDERS = {
    "150300": "150300-乌海市",
    "150302": "150302",
    "150303": "150303-海南区",
    "150304": "乌达区",
    "653024": "653024-乌恰县",
    "640522": "640522",
    "430602": "岳陽樓區",
    "430600": "430600-岳阳市",
}

#: Yearly volumes at --scale 1 for 2024 (earlier years shrink by GROWTH per year).
BASE_VOLUME = {
    "orders": {
        "150300": 36_000,
        "150302": 24_000,
        "150303": 9_000,
        "150304": 14_000,
        "653024": 1_800,
        "640522": 4_000,
        "430602": 50_000,
        "430600": 90_000,
    },
    "cases": {
        "150300": 120_000,
        "150302": 40_000,
        "150303": 15_000,
        "150304": 20_000,
        "653024": 60_000,
        "640522": 30_000,
        "430602": 60_000,
        "430600": 150_000,
    },
    "evaluations": {
        "150300": 280_000,
        "150302": 50_000,
        "150303": 20_000,
        "150304": 25_000,
        "653024": 50_000,
        "640522": 25_000,
        "430602": 60_000,
        "430600": 120_000,
    },
}
GROWTH = 1.12
#: Monthly weights (sum ~12): hotline peaks in the heating season; halls dip at Spring Festival.
SEASON = {
    "orders": [1.2, 0.9, 0.9, 0.9, 1.0, 1.0, 1.1, 1.1, 0.9, 0.9, 1.0, 1.1],
    "cases": [0.9, 0.6, 1.1, 1.0, 1.0, 1.1, 1.0, 1.0, 1.1, 0.9, 1.1, 1.2],
    "evaluations": [0.9, 0.6, 1.1, 1.0, 1.0, 1.1, 1.0, 1.0, 1.1, 0.9, 1.1, 1.2],
}
COVID_2020 = {"orders": 1.15, "cases": 0.8, "evaluations": 0.8}

_S2T = opencc.OpenCC("s2t")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


#: Datasets whose files hold records (summary files hold figures, counted apart).
DETAIL_DATASETS = ("hotline", "service", "evaluation")


def trad(text: str) -> str:
    """Traditional script, as 岳陽樓區 exports are written."""
    return _S2T.convert(text)


def fullwidth(text: str) -> str:
    """Full-width digits (２０２３)."""
    return text.translate(_FULLWIDTH)


def d_cn(dt: datetime) -> str:
    """2023年4月1日 8:05."""
    return f"{dt.year}年{dt.month}月{dt.day}日 {dt.hour}:{dt.minute:02d}"


def d_slash(dt: datetime) -> str:
    """2023/4/1 8:05."""
    return f"{dt.year}/{dt.month}/{dt.day} {dt.hour}:{dt.minute:02d}"


def d_iso(dt: datetime) -> str:
    """2023-04-01 08:05:00."""
    return f"{dt.year}-{dt.month:02d}-{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}"


def d_iso_min(dt: datetime) -> str:
    """2023-04-01 08:05."""
    return f"{dt.year}-{dt.month:02d}-{dt.day:02d} {dt.hour:02d}:{dt.minute:02d}"


def serial(dt: datetime) -> float:
    """Excel serial day number, written as a plain number without a date format."""
    return round((dt - datetime(1899, 12, 30)).total_seconds() / 86400, 10)


def export_row(dt: datetime) -> str:
    """The export-time line systems print above the header."""
    return f"导出时间：{d_iso(dt)}"


def pct(numerator: int, denominator: int) -> str:
    """A rate as text with two decimals ('88.65%')."""
    return f"{numerator / denominator * 100:.2f}%" if denominator else "-"


@dataclass
class Ctx:
    """State of one sample job (and of the planning before the jobs): where to write, volumes,
    randomness, the job's truth and its counters."""

    raw_dir: Path
    scale: float
    seed: int
    truth: Truth
    progress: Callable[[str], None] | None = None
    files: int = 0
    rows: int = 0
    size: int = 0
    by_region: dict[str, int] = field(default_factory=dict)

    def rng(self, *parts: object) -> random.Random:
        """A generator seeded by run seed + label (str seeds hash the same in every process)."""
        return random.Random("|".join([str(self.seed), *map(str, parts)]))

    def volume(self, dataset: str, code: str, year: int, month: int) -> int:
        """Records in one region-month: base × scale × growth × season, at least 2."""
        yearly = BASE_VOLUME[dataset][code] * self.scale / GROWTH ** (2024 - year)
        if year == 2020:
            yearly *= COVID_2020[dataset]
        return max(2, round(yearly * SEASON[dataset][month - 1] / 12))

    def records(
        self, dataset: str, code: str, year: int, months: Iterable[int] = range(1, 13)
    ) -> int:
        """`volume` summed over some months of a year: what a job expects to write."""
        return sum(self.volume(dataset, code, year, m) for m in months)

    def emit(
        self,
        code: str,
        rel: str,
        data: bytes,
        mtime: datetime,
        *,
        dataset: str | None,
        rows: int,
        kind: str,
        status: str = "loaded",
        **extra: Any,
    ) -> None:
        """Write one file under the region's folder and record it in the truth."""
        rel_path = f"{FOLDERS[code]}/{rel}"
        if status == "loaded" and rows == 0 and dataset in DETAIL_DATASETS:
            # A small scale can leave an export without records: such a file is never `loaded`
            # (CONTRACT.md §2), the ingester quarantines it with "nothing to load".
            status = "quarantined"
        self.size += write_file(self.raw_dir / rel_path, data, mtime)
        self.files += 1
        if status == "loaded":
            self.rows += rows
            self.by_region[code] = self.by_region.get(code, 0) + rows
        self.truth.add_file(
            rel_path, status, dataset, rows, kind, region_code=code, exported_at=_iso(extra)
        )
        if self.progress:
            self.progress(f"{rel_path} ({rows} rows)")


def _iso(extra: dict[str, Any]) -> str | None:
    value = extra.get("exported_at")
    return d_iso(value) if isinstance(value, datetime) else None


def gen_orders(ctx: Ctx, code: str, year: int, month: int, exported_at: datetime) -> list[Order]:
    """The scaled orders of one region-month, in the state they have at `exported_at`."""
    region = REGIONS[code]
    rng = ctx.rng("orders", code, year, month)
    start, end = month_bounds(year, month)
    times = sorted(
        random_minute(rng, start, end) for _ in range(ctx.volume("orders", code, year, month))
    )
    prefix = {
        "150300": "WH",
        "150302": "HBW",
        "150303": "HN",
        "150304": "WD",
        "653024": "WQ",
        "640522": "HY",
        "430602": "YYL",
        "430600": "YY",
    }[code]
    return [
        make_order(rng, region, f"{prefix}{year}{month:02d}{n:05d}", t, exported_at)
        for n, t in enumerate(times, 1)
    ]


def gen_cases(ctx: Ctx, code: str, year: int, month: int, exported_at: datetime) -> list[Case]:
    """The scaled cases of one region-month."""
    region = REGIONS[code]
    rng = ctx.rng("cases", code, year, month)
    start, end = month_bounds(year, month)
    n = ctx.volume("cases", code, year, month)
    times = sorted(random_minute(rng, start, end) for _ in range(n))
    return [
        make_case(rng, region, f"{code}-{year}{month:02d}-{i:06d}", t, exported_at)
        for i, t in enumerate(times, 1)
    ]


def gen_evaluations(
    ctx: Ctx, code: str, year: int, month: int, levels: Mapping[str, float] | None = None
) -> list[Evaluation]:
    """The scaled evaluations of one region-month."""
    region = REGIONS[code]
    rng = ctx.rng("evaluations", code, year, month)
    start, end = month_bounds(year, month)
    n = ctx.volume("evaluations", code, year, month)
    times = sorted(random_minute(rng, start, end) for _ in range(n))
    out = []
    for i, t in enumerate(times, 1):
        level = weighted(rng, levels) if levels else None
        out.append(
            make_evaluation(rng, region, f"PJ{code}{year}{month:02d}{i:06d}", t, level=level)
        )
    return out


def export_after(
    rng: random.Random, day: datetime, min_days: int = 2, max_days: int = 6
) -> datetime:
    """An export time a few days after `day`, during office hours, to the second."""
    return day + timedelta(
        days=rng.randint(min_days, max_days),
        hours=rng.randint(8, 17),
        minutes=rng.randint(0, 59),
        seconds=rng.randint(0, 59),
    )


def split_rows(rows: list[list[Any]], limit: int) -> Iterable[list[list[Any]]]:
    """Chunks of at most `limit` rows."""
    for i in range(0, max(len(rows), 1), limit):
        yield rows[i : i + limit]


def empty(value: Any, marker: str) -> Any:
    """The family's empty marker for a missing value."""
    return marker if value is None or value == "" else value
