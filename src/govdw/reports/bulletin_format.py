"""Bulletin periods (`2023-04`, `2023-Q4`, `2023`) and the Chinese number and date style of 通报."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

PeriodKind = Literal["month", "quarter", "year"]

_QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """A bulletin period: [start, end) in days, as the command line wrote it."""

    code: str
    kind: PeriodKind
    start: date
    end: date  # exclusive

    @property
    def last_day(self) -> date:
        """The period's last day (the seeds' 至…日)."""
        return self.end - timedelta(days=1)

    @property
    def label(self) -> str:
        """The period as a title names it: 2023年4月, 2017年第四季度, 2023年度."""
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{_QUARTER_NAMES[(self.start.month + 2) // 3]}季度"
        return f"{self.start.year}年度"

    @property
    def span(self) -> str:
        """The period as the narrative writes it: 2023年4月1日至4月30日."""
        return date_span(self.start, self.last_day)

    def prior_year(self) -> Period:
        """The same period one year earlier (the 同比 base)."""
        return Period(
            code=f"{self.code} -1y",
            kind=self.kind,
            start=self.start.replace(year=self.start.year - 1),
            end=self.end.replace(year=self.end.year - 1),
        )


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """`2023-04` (month), `2023-Q4` (quarter) or `2023` (year); a clear ValueError otherwise."""
    raw = text.strip()
    if match := _MONTH.match(raw):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError(f"period {text!r}: month {month} is not 1–12 (write e.g. 2023-04)")
        start = date(year, month, 1)
        kind: PeriodKind = "month"
        end = _add_months(start, 1)
        code = f"{year}-{month:02d}"
    elif match := _QUARTER.match(raw):
        year, quarter = int(match[1]), int(match[2])
        start = date(year, 3 * quarter - 2, 1)
        kind, end, code = "quarter", _add_months(start, 3), f"{year}-Q{quarter}"
    elif match := _YEAR.match(raw):
        year = int(match[1])
        start = date(year, 1, 1)
        kind, end, code = "year", date(year + 1, 1, 1), str(year)
    else:
        raise ValueError(
            f"period {text!r} is not understood: write a month (2023-04), "
            "a quarter (2023-Q4) or a year (2023)"
        )
    if not 1990 <= year <= 2100:
        raise ValueError(f"period {text!r}: year {year} is out of range")
    return Period(code=code, kind=kind, start=start, end=end)


def date_span(first: date, last: date) -> str:
    """2023年4月1日至4月30日; the year is written again only when it changes."""
    head = f"{first.year}年{first.month}月{first.day}日"
    tail = f"{last.month}月{last.day}日"
    if last.year != first.year:
        tail = f"{last.year}年{tail}"
    return f"{head}至{tail}"


def date_cn(day: date) -> str:
    """2023年5月4日."""
    return f"{day.year}年{day.month}月{day.day}日"


def percent_value(rate: float | Decimal) -> str:
    """A fraction as the seeds print it: 0.851063… → 85.11%, exactly 1 → 100%."""
    value = Decimal(str(rate)) * 100
    if value == 100:
        return "100%"
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def percent(numerator: int, denominator: int) -> str:
    """numerator / denominator as the seeds print it (85.11%, 100%); — when nothing to divide."""
    if denominator == 0:
        return "—"
    return percent_value(Decimal(numerator) / Decimal(denominator))


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """numerator / denominator, or None when there is nothing to divide."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator
