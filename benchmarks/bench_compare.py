"""Compare the newest benchmark-ladder JSON with the one before it (`make bench-compare`).

    python benchmarks/bench_compare.py [--dir benchmarks/results]

Prints, per scale and scenario, seconds and peak RSS (process tree) of both runs with the
absolute and relative change. With fewer than two results it says there is nothing to compare
and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MACHINE_KEYS = ("machine", "cpu_count", "ram_gib", "kernel", "python")
SCENARIOS = ("sample", "cold", "noop", "new_file", "changed_file", "deleted_file")


@dataclass(frozen=True)
class Change:
    """One scale × scenario in both results (None where one result lacks it)."""

    scale: float
    scenario: str
    old_seconds: float | None
    new_seconds: float | None
    old_rss_mib: float | None
    new_rss_mib: float | None


def ladder_files(folder: Path) -> list[Path]:
    """The ladder JSON files of `folder`, oldest first (their names hold the time stamp)."""
    return sorted(folder.glob("ladder-*.json"))


def load(path: Path) -> dict[str, Any]:
    """One ladder result."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _figures(result: dict[str, Any]) -> dict[tuple[float, str], dict[str, Any]]:
    return {
        (float(scale["scale"]), name): entry
        for scale in result.get("scales", [])
        for name, entry in scale.get("scenarios", {}).items()
    }


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every scale × scenario of either result, by scale then in the ladder's order."""
    before, after = _figures(old), _figures(new)
    order = {name: i for i, name in enumerate(SCENARIOS)}
    keys = sorted(set(before) | set(after), key=lambda k: (k[0], order.get(k[1], 99), k[1]))
    out = []
    for key in keys:
        a, b = before.get(key), after.get(key)
        out.append(
            Change(
                scale=key[0],
                scenario=key[1],
                old_seconds=a["seconds"] if a else None,
                new_seconds=b["seconds"] if b else None,
                old_rss_mib=a["peak_rss_mib"] if a else None,
                new_rss_mib=b["peak_rss_mib"] if b else None,
            )
        )
    return out


def delta(old: float | None, new: float | None, unit: str) -> str:
    """'+1.5 s (+12.0%)', or what is missing."""
    if old is None and new is None:
        return "–"
    if old is None:
        return "new"
    if new is None:
        return "gone"
    diff = new - old
    pct = f" ({100 * diff / old:+.1f}%)" if old else ""
    return f"{diff:+,.1f} {unit}{pct}"


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def format_changes(changes: Sequence[Change]) -> str:
    """A fixed-width table of the changes."""
    header = (
        f"{'scale':>6}  {'scenario':<13} {'seconds old':>11} {'new':>9}  {'change':<20} "
        f"{'RSS MiB old':>11} {'new':>9}  change"
    )
    lines = [header, "-" * len(header)]
    for c in changes:
        lines.append(
            f"{c.scale:>6g}  {c.scenario:<13} {_num(c.old_seconds, ',.1f'):>11} "
            f"{_num(c.new_seconds, ',.1f'):>9}  {delta(c.old_seconds, c.new_seconds, 's'):<20} "
            f"{_num(c.old_rss_mib, ',.0f'):>11} {_num(c.new_rss_mib, ',.0f'):>9}  "
            f"{delta(c.old_rss_mib, c.new_rss_mib, 'MiB')}"
        )
    return "\n".join(lines)


def describe(path: Path, result: dict[str, Any]) -> str:
    """'ladder-….json: 2026-11-29T11:38:56, commit abc1234 (+changes), 2 cores, 24 GiB'."""
    m = result.get("machine", {})
    commit = (m.get("commit") or "?")[:10] + (" (+changes)" if m.get("dirty") else "")
    partial = "" if result.get("complete", True) else ", incomplete"
    return (
        f"{path.name}: {result.get('date', '?')}, commit {commit}, {m.get('cpu_count', '?')} "
        f"cores, {m.get('ram_gib', '?')} GiB{partial}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Print the comparison of the two newest results; 0 also when there is nothing to compare."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dir", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    files = ladder_files(args.dir)
    if len(files) < 2:
        print(
            f"nothing to compare: {len(files)} ladder result(s) in {args.dir} "
            "(`make bench` writes one per run; two are needed)"
        )
        return 0
    old_path, new_path = files[-2], files[-1]
    old, new = load(old_path), load(new_path)
    print(f"previous: {describe(old_path, old)}")
    print(f"newest:   {describe(new_path, new)}")
    differ = [
        k for k in MACHINE_KEYS if old.get("machine", {}).get(k) != new.get("machine", {}).get(k)
    ]
    if differ:
        print(f"note: the machines differ in {', '.join(differ)}; compare with care")
    print()
    print(format_changes(compare(old, new)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
