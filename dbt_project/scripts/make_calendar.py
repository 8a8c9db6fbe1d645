"""Write the working-day calendar seed `seeds/cn_workday_calendar.csv` (2004-01-01..2030-12-31).

The official calendar (public holidays plus the weekend make-up workdays, 调休) comes from the
`chinesecalendar` package, which covers 2004-2026 and raises past that. Later days fall back to
Monday-Friday and say so in the `source` column, so analysts can see which figures rest on a guess.
Run from anywhere: `.venv/bin/python dbt_project/scripts/make_calendar.py`; the output is committed.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import chinese_calendar

FIRST_DAY = dt.date(2004, 1, 1)
LAST_DAY = dt.date(2030, 12, 31)
OUTPUT = Path(__file__).resolve().parents[1] / "seeds" / "cn_workday_calendar.csv"


def calendar_rows(first: dt.date = FIRST_DAY, last: dt.date = LAST_DAY) -> list[dict[str, str]]:
    """One row per day: date_day, is_working_day, holiday_name, source."""
    rows: list[dict[str, str]] = []
    day = first
    while day <= last:
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            working = not is_holiday
            source = "chinesecalendar"
            if name and working:
                # A weekend day worked in exchange for a holiday bridge (调休上班).
                name = f"{name} make-up workday"
        except NotImplementedError:
            working, name, source = day.weekday() < 5, None, "weekend-fallback"
        rows.append(
            {
                "date_day": day.isoformat(),
                "is_working_day": "true" if working else "false",
                "holiday_name": name or "",
                "source": source,
            }
        )
        day += dt.timedelta(days=1)
    return rows


def main() -> None:
    """Write the seed file."""
    rows = calendar_rows()
    with OUTPUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} days to {OUTPUT}")


if __name__ == "__main__":
    main()
