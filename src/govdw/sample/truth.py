"""Expected warehouse figures, computed from the generated records, never from written cells."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from govdw.sample.records import RATINGS, Case, Evaluation, Order

ORDER_METRICS = [
    "orders_received",
    "orders_assigned",
    "orders_closed",
    "orders_closed_assigned",
    "orders_overdue",
    "orders_dispatched",
    "orders_received_timely",
]
RATING_METRIC = {
    "非常满意": "evaluations_very_satisfied",
    "满意": "evaluations_satisfied",
    "基本满意": "evaluations_basic",
    "不满意": "evaluations_dissatisfied",
    "非常不满意": "evaluations_very_dissatisfied",
}
ALL_METRICS = [
    *ORDER_METRICS,
    "cases_accepted",
    "cases_completed",
    "evaluations_total",
    *(RATING_METRIC[r] for r in RATINGS),
]


def order_flags(order: Order, exported_at: datetime) -> dict[str, int]:
    """The business rules of the warehouse applied to one order version."""
    assigned = order.admin_level != "本级"
    closed = order.status == "已办结"
    if closed:
        assert order.closed_at is not None
        overdue = order.closed_at > order.due_at
    else:
        overdue = exported_at > order.due_at
    dispatched = order.dispatched_at is not None
    timely = (
        dispatched
        and order.accepted_at is not None
        and order.dispatched_at is not None
        and order.accepted_at - order.dispatched_at <= timedelta(hours=24)
    )
    return {
        "orders_received": 1,
        "orders_assigned": int(assigned),
        "orders_closed": int(closed),
        "orders_closed_assigned": int(closed and assigned),
        "orders_overdue": int(overdue),
        "orders_dispatched": int(dispatched),
        "orders_received_timely": int(bool(timely)),
    }


@dataclass
class Truth:
    """Collects files and records while the sample is written; `as_dict` gives the truth JSON."""

    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (region, order id) -> (exported_at, file mtime, order): latest export wins.
    _orders: dict[tuple[str, str], tuple[datetime, datetime, Order]] = field(default_factory=dict)
    _month: dict[tuple[str, int, int], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(ALL_METRICS, 0))
    )
    anchors: dict[str, Any] = field(default_factory=dict)

    def add_file(
        self, rel_path: str, status: str, dataset: str | None, rows: int, kind: str, **extra: Any
    ) -> None:
        """Record one written file and the status the ingester should give it."""
        self.files[rel_path] = {
            "status": status,
            "dataset": dataset,
            "rows": rows,
            "kind": kind,
            **extra,
        }

    def add_orders(
        self, region: str, orders: list[Order], exported_at: datetime, mtime: datetime
    ) -> None:
        """Orders as exported at `exported_at`; a later export of the same id replaces them."""
        for order in orders:
            key = (region, order.order_id)
            old = self._orders.get(key)
            if old is None or (exported_at, mtime) > (old[0], old[1]):
                self._orders[key] = (exported_at, mtime, order)

    def add_cases(self, region: str, cases: list[Case]) -> None:
        """Cases count in the month they were accepted."""
        for case in cases:
            bucket = self._month[(region, case.accepted_at.year, case.accepted_at.month)]
            bucket["cases_accepted"] += 1
            bucket["cases_completed"] += case.status == "已办结"

    def add_evaluations(self, region: str, evaluations: list[Evaluation]) -> None:
        """Evaluations count in the month they were given."""
        for ev in evaluations:
            bucket = self._month[(region, ev.evaluated_at.year, ev.evaluated_at.month)]
            bucket["evaluations_total"] += 1
            bucket[RATING_METRIC[ev.rating]] += 1

    def add_files(self, files: Mapping[str, dict[str, Any]]) -> None:
        """Files recorded by another `Truth` (a sample job's); a path is recorded once."""
        twice = files.keys() & self.files.keys()
        if twice:
            raise ValueError(f"sample files written twice: {sorted(twice)}")
        self.files.update(files)

    def add_counts(self, counts: Mapping[tuple[str, int, int], Mapping[str, int]]) -> None:
        """Region-month figures worked out by another `Truth` (see `counts`)."""
        for key, values in counts.items():
            bucket = self._month[key]
            for metric, value in values.items():
                bucket[metric] += value

    def counts(self) -> dict[tuple[str, int, int], dict[str, int]]:
        """`month_table` as plain dicts, for `add_counts` in another process."""
        return {key: dict(values) for key, values in self.month_table().items()}

    def order_keys(self) -> Iterator[tuple[str, str]]:
        """(region, order id) of every order recorded."""
        return iter(self._orders)

    def month_table(self) -> dict[tuple[str, int, int], dict[str, int]]:
        """(region, year, month) -> metric -> value, orders resolved latest-export-wins."""
        table: dict[tuple[str, int, int], dict[str, int]] = defaultdict(
            lambda: dict.fromkeys(ALL_METRICS, 0)
        )
        for key, values in self._month.items():
            for metric, value in values.items():
                table[key][metric] += value
        for (region, _), (exported_at, _, order) in self._orders.items():
            bucket = table[(region, order.received_at.year, order.received_at.month)]
            for metric, value in order_flags(order, exported_at).items():
                bucket[metric] += value
        return table

    def as_dict(self, *, scale: float, seed: int) -> dict[str, Any]:
        """The truth document: files, per region-month and region-year figures, anchors."""
        months = self.month_table()
        by_month: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
        by_year: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
        for (region, y, m), values in sorted(months.items()):
            by_month[region][f"{y}-{m:02d}"] = values
            year = by_year[region].setdefault(str(y), dict.fromkeys(ALL_METRICS, 0))
            for metric, value in values.items():
                year[metric] += value
        return {
            "scale": scale,
            "seed": seed,
            "rules": {
                "orders": "counted by month of received_at; latest 导出时间 wins per order id",
                "cases": "counted by month of accepted_at; completed cases complete in that month",
                "evaluations": "counted by month of evaluated_at",
            },
            "files": dict(sorted(self.files.items())),
            "region_month": by_month,
            "region_year": by_year,
            "anchors": self.anchors,
        }

    def write(self, path: Path, *, scale: float, seed: int) -> None:
        """Write the truth JSON (UTF-8, sorted, human-readable)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = self.as_dict(scale=scale, seed=seed)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
