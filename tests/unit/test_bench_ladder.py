"""The benchmark ladder's pure parts: file derivation, output parsing, step split, RESULTS.md
tables, and `bench_compare` on two small JSON results. No pipeline runs."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from govdw.sample.writers import Sheet, xlsx_bytes

# benchmarks/ is no installed package: import it from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import bench_compare, bench_ladder

HEADERS = ["工单编号", "受理时间", "来源渠道", "办结时间", "办理状态"]


def _month_sheet(year: int, month: int, n: int, exported: str) -> Sheet:
    rows: list[list[Any]] = [
        [f"X区12345工单明细表（{year}年{month}月）"],
        [f"导出时间：{exported}"],
        HEADERS,
    ]
    for i in range(1, n + 1):
        received = dt.datetime(year, month, min(i * 3, 28) + (3 if i == n else 0), 9, 30)
        rows.append([f"WD{year}{month:02d}{i:05d}", received, "电话", received, "已办结"])
        if i == 2:
            rows.append([])  # a stray blank line, as the sample writes
    rows += [["合计", f"共{n}件"], ["注：本表数据来源于12345平台。"]]
    return Sheet(f"{month}月", rows, merges=[(0, 0, 0, len(HEADERS) - 1)])


@pytest.fixture
def half_year(tmp_path: Path) -> Path:
    """A tiny half-year hotline workbook: sheets 11月 (4 records) and 12月 (8 records)."""
    path = tmp_path / "raw" / "X区" / "工单" / "2024" / "X区12345工单明细_2024年下半年.xlsx"
    path.parent.mkdir(parents=True)
    sheets = [
        _month_sheet(2024, 11, 4, "2025-01-06 10:57:52"),
        _month_sheet(2024, 12, 8, "2025-01-06 10:57:52"),
    ]
    path.write_bytes(xlsx_bytes(sheets))
    return path


def test_count_records_skips_title_blank_total_and_note(half_year: Path) -> None:
    assert bench_ladder.count_records(half_year) == 12


def test_add_months_clamps_the_day() -> None:
    assert bench_ladder.add_months(dt.datetime(2024, 12, 31, 8, 5), 1) == dt.datetime(
        2025, 1, 31, 8, 5
    )
    assert bench_ladder.add_months(dt.datetime(2025, 1, 31, 8, 5), 1) == dt.datetime(
        2025, 2, 28, 8, 5
    )
    assert bench_ladder.add_months(dt.date(2024, 1, 30), 1) == dt.date(2024, 2, 29)
    assert bench_ladder.add_months("-", 1) == "-"


def test_monthly_target_names_the_next_month(half_year: Path) -> None:
    target = bench_ladder.monthly_target(half_year, 2024, 12)
    assert target == half_year.parents[1] / "2025" / "X区12345工单明细_2025年1月.xlsx"
    flat = Path("raw/Y/热线/Y12345工单_2023年上半年.xlsx")
    assert bench_ladder.monthly_target(flat, 2023, 6) == flat.parent / "Y12345工单_2023年7月.xlsx"


def test_derive_monthly_file_is_the_next_month_with_new_ids(half_year: Path) -> None:
    dest = bench_ladder.monthly_target(half_year, 2024, 12)
    assert bench_ladder.derive_monthly_file(half_year, "12月", 2024, 12, dest) == 8
    [(name, rows)] = bench_ladder.read_workbook(dest)
    assert name == "1月"
    assert rows[0][0] == "X区12345工单明细表（2025年1月）"
    assert rows[1][0] == "导出时间：2025-02-06 10:57:52"
    records = [rows[i] for i in bench_ladder.record_indexes(rows)]
    assert [r[0] for r in records] == [f"WD202501{i:05d}" for i in range(1, 9)]
    assert all(r[1].year == 2025 and r[1].month == 1 for r in records)
    assert records[0][1] == dt.datetime(2025, 1, 3, 9, 30)
    assert rows[-2][:2] == ["合计", "共8件"]
    # New bytes at a new path, and the source is untouched.
    assert dest.read_bytes() != half_year.read_bytes()
    assert bench_ladder.count_records(half_year) == 12


def test_derive_monthly_file_needs_the_sheet(half_year: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no sheet"):
        bench_ladder.derive_monthly_file(half_year, "6月", 2024, 6, tmp_path / "x.xlsx")


def test_derive_changed_file_drops_records_and_follows_the_total(half_year: Path) -> None:
    original = half_year.read_bytes()
    assert bench_ladder.derive_changed_file(half_year, drop=3) == (12, 9)
    assert half_year.read_bytes() != original
    sheets = dict(bench_ladder.read_workbook(half_year))
    assert list(sheets) == ["11月", "12月"]
    november, december = sheets["11月"], sheets["12月"]
    assert len(bench_ladder.record_indexes(november)) == 4
    ids = [december[i][0] for i in bench_ladder.record_indexes(december)]
    # Dropped from the middle: the first and last records stay.
    assert ids == [f"WD202412{i:05d}" for i in (1, 2, 3, 4, 8)]
    assert december[-2][:2] == ["合计", "共5件"]
    assert november[-2][:2] == ["合计", "共4件"]
    assert december[1][0] == "导出时间：2025-02-05 10:57:52"


def test_pick_files_on_a_tiny_raw_folder(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    names = [
        "A区/工单/2023/A区12345工单明细_2023年下半年.xlsx",
        "A区/工单/2024/A区12345工单明细_2024年下半年.xlsx",
        "A区/工单/2024/A区12345工单明细_2024年上半年.xlsx",
        "A区/工单/2024/~$A区12345工单明细_2025年下半年.xlsx",
        "A区/好差评/A区好差评数据_2020年.xlsx",
        "A区/好差评/A区好差评数据_2019年.xlsx",
        "B区/工单/2022/B区12345工单明细_2022年下半年.xlsx",
    ]
    for name in names:
        (raw / name).parent.mkdir(parents=True, exist_ok=True)
        (raw / name).write_bytes(b"x")
    picks = bench_ladder.pick_files(raw)
    assert picks.new_source == raw / names[1]
    assert (picks.new_year, picks.new_month, picks.new_sheet) == (2024, 12, "12月")
    assert picks.new_file == raw / "A区/工单/2025/A区12345工单明细_2025年1月.xlsx"
    assert picks.changed == raw / names[0]
    assert picks.deleted == raw / names[5]
    assert bench_ladder.fact_of(picks.deleted) == "fct_evaluations"
    assert bench_ladder.fact_of(picks.changed) == "fct_hotline_orders"


RUN_OUTPUT = """govdw run: raw -> warehouse/govdw.duckdb
  333 file(s) known (1 new, 1 gone); loading them in one run
  run f87aab25-7b65-4a05-bfac-02b6ff4f97f6; full log: dagster/logs/run-1.log

govdw run: done
  this run: 1 parsed, 331 unchanged
  total time: 20s
"""


def test_output_parsing() -> None:
    assert bench_ladder.run_id_of(RUN_OUTPUT) == "f87aab25-7b65-4a05-bfac-02b6ff4f97f6"
    assert bench_ladder.parsed_count(RUN_OUTPUT) == 1
    assert bench_ladder.gone_count(RUN_OUTPUT) == 1
    skipped = (
        "govdw run: raw -> warehouse/govdw.duckdb\n"
        "  nothing changed since run 95a7df60-b1ae-46b0-8545-25485ea0c44e (2026-11-29 11:45:14):"
        " nothing to parse, build or publish\n\ngovdw run: done\n"
        "  this run: 0 parsed, 332 unchanged, dbt build skipped\n"
    )
    assert bench_ladder.run_id_of(skipped) is None
    assert bench_ladder.parsed_count(skipped) == 0
    sample = "govdw sample: 333 files, 847,707 rows, 81.7 MiB in 37.8s\n"
    assert bench_ladder.sample_rows(sample) == 847_707


def test_split_steps_adds_up_to_the_wall_time() -> None:
    steps = [
        bench_ladder.StepTime("landing_files", 100.0, 150.0),
        bench_ladder.StepTime("warehouse_dbt", 150.0, 170.0),
        bench_ladder.StepTime("fct_evaluations_facts_non_empty", 170.0, 171.0),
        bench_ladder.StepTime("published_warehouse", 171.0, 173.0),
    ]
    dbt = bench_ladder.dbt_split(
        {
            "elapsed_time": 10.0,
            "results": [
                {"unique_id": "model.govdw.a", "execution_time": 6.0},
                {"unique_id": "seed.govdw.b", "execution_time": 2.0},
                {"unique_id": "test.govdw.c", "execution_time": 3.0},
                {"unique_id": "unit_test.govdw.d", "execution_time": 1.0},
            ],
        }
    )
    assert dbt == {"elapsed": 10.0, "model": 6.0, "seed": 2.0, "test": 3.0, "unit_test": 1.0}
    split = bench_ladder.split_steps(80.0, steps, 74.0, dbt)
    assert split["ingest"] == 50.0
    assert split["checks"] == pytest.approx(10.0 * 4 / 12 + 1.0, abs=1e-3)
    assert split["dbt"] == pytest.approx(20.0 - 10.0 * 4 / 12, abs=1e-3)
    assert split["publish"] == 2.0
    assert sum(split[p] for p in bench_ladder.PARTS) == pytest.approx(80.0, abs=1e-2)
    assert split["dbt_startup"] == 10.0
    assert split["outside_run"] == 6.0
    assert split["dagster_between_steps"] == 1.0
    # dbt skipped (no run_results): the dbt step counts as dbt, no tests.
    assert bench_ladder.split_steps(80.0, steps, 74.0, {})["checks"] == 1.0


def _entry(seconds: float, rss: float, rows: int = 0) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "peak_rss_mib": rss,
        "max_proc_rss_mib": rss / 2,
        "rows": rows,
        "rows_per_s": round(rows / seconds) if rows else None,
        "steps": {},
    }


def _result(factor: float, scales: tuple[float, ...] = (0.1, 4.0)) -> dict[str, Any]:
    out = []
    for scale in scales:
        rows = int(1_000_000 * scale)
        scenarios = {
            "sample": _entry(10 * scale * factor, 300, rows),
            "cold": _entry(100 * scale * factor, 1000 * scale, rows),
            "noop": _entry(5 * factor, 200),
            "new_file": _entry(12 * factor, 400, 300),
            "changed_file": _entry(14 * factor, 400, 1500),
            "deleted_file": _entry(11 * factor, 400, 2000),
        }
        scenarios["cold"]["steps"] = {
            "ingest": 70 * scale * factor,
            "dbt": 20 * scale * factor,
            "checks": 4 * scale * factor,
            "publish": 1 * scale * factor,
            "other": 5 * scale * factor,
        }
        out.append({"scale": scale, "rows": rows, "scenarios": scenarios, "problems": []})
    return {
        "date": "2026-11-29T12:00:00",
        "json_path": "benchmarks/results/ladder-x.json",
        "machine": {"cpu_count": 2, "ram_gib": 24.0, "commit": "abc", "dirty": False},
        "scales": out,
        "complete": True,
    }


def test_compare_two_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = _result(1.0), _result(0.9)
    del new["scales"][0]["scenarios"]["deleted_file"]
    (tmp_path / "ladder-20261101-000000.json").write_text(json.dumps(old), encoding="utf-8")
    (tmp_path / "ladder-20261102-000000.json").write_text(json.dumps(new), encoding="utf-8")
    changes = bench_compare.compare(old, new)
    cold = next(c for c in changes if c.scale == 4.0 and c.scenario == "cold")
    assert (cold.old_seconds, cold.new_seconds) == (400.0, 360.0)
    assert bench_compare.delta(cold.old_seconds, cold.new_seconds, "s") == "-40.0 s (-10.0%)"
    assert bench_compare.delta(None, 1.0, "s") == "new"
    assert bench_compare.delta(1.0, None, "s") == "gone"
    assert [c.scenario for c in changes[:6]] == list(bench_compare.SCENARIOS)

    assert bench_compare.main(["--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "previous: ladder-20261101-000000.json" in out
    assert "newest:   ladder-20261102-000000.json" in out
    assert "-40.0 s (-10.0%)" in out
    assert "gone" in out


def test_compare_with_fewer_than_two_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench_compare.main(["--dir", str(tmp_path)]) == 0
    assert "nothing to compare: 0 ladder result(s)" in capsys.readouterr().out
    (tmp_path / "ladder-20261101-000000.json").write_text(json.dumps(_result(1)), "utf-8")
    assert bench_compare.main(["--dir", str(tmp_path)]) == 0
    assert "nothing to compare: 1 ladder result(s)" in capsys.readouterr().out


def test_results_tables() -> None:
    result = _result(1.0)
    table = bench_ladder.ladder_table(result).splitlines()
    assert table[0].startswith("| scale | scenario | rows | seconds | rows/s |")
    assert len(table) == 2 + 2 * 6
    assert "| 4 | cold run | 4,000,000 | 400.0 | 10,000 | 4,000 | 2,000 |" in table
    assert "| 0.1 | no-op run | – | 5.0 | – | 200 | 100 |" in table

    split = bench_ladder.split_table(result).splitlines()
    assert split[0] == "| scale | wall (s) | ingest | dbt | checks | publish | other |"
    assert split[-1] == (
        "| 4 | 400.0 | 280.0 (70%) | 80.0 (20%) | 16.0 (4%) | 4.0 (1%) | 20.0 (5%) |"
    )

    status = {t: (m, s) for t, m, s in bench_ladder.targets(result)}
    assert status["no-op run < 8 s at every scale"] == ("5.0 s at 0.1, 5.0 s at 4", "met")
    assert status["one new monthly file at scale 4 < 30 s"] == ("12.0 s", "met")
    assert status["cold run at scale 4 < 480 s"] == ("400.0 s", "met")
    assert status["peak memory of the cold run at scale 4 < 4 GiB"] == ("3.91 GiB", "met")
    assert status["cold run at scale 1 < 120 s"] == ("–", "not measured")
    slow = _result(1.3)
    slow_status = {t: s for t, _, s in bench_ladder.targets(slow)}
    assert slow_status["cold run at scale 4 < 480 s"] == "**missed**"

    line = bench_ladder.dominant_line(result)
    assert line.startswith("Dominant step of the cold run at scale 4: **ingest**, 280.0 s")
    assert "(70%)" in line

    section = bench_ladder.results_section(result, "python benchmarks/bench_ladder.py")
    assert "| target | measured | status |" in section
    assert "Effect checks that failed" not in section
