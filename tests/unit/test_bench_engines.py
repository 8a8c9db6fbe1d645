"""The engine benchmark's own parts (no engine runs): a measured command, the RESULTS.md table."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks import bench_engines


def test_a_measured_command_has_time_memory_and_its_outcome(tmp_path: Path) -> None:
    ok = bench_engines.measured(
        "sleep",
        [sys.executable, "-c", "import time; time.sleep(0.5); print('done')"],
        {},
        tmp_path / "a.log",
    )
    assert ok.ok and ok.seconds >= 0.5 and ok.peak_rss_mib > 0 and ok.detail == "done"
    bad = bench_engines.measured(
        "fail", [sys.executable, "-c", "raise SystemExit(3)"], {}, tmp_path / "b.log"
    )
    assert not bad.ok


def test_the_results_table_marks_equality_per_engine() -> None:
    result = {
        "landing_rows": 1234,
        "machine": {"commit": "abc"},
        "command": "--build-db x",
        "handoff": {"seconds": 1.5, "peak_rss_mib": 100, "detail": "3 files, 1,240 rows"},
        "engines": {
            "duckdb": {
                "steps": [{"name": "dbt build", "seconds": 2.0, "peak_rss_mib": 300}],
                "tables": 13,
                "equal_to_duckdb": None,
            },
            "spark": {
                "steps": [{"name": "dbt build", "seconds": 20.0, "peak_rss_mib": 2000}],
                "tables": 13,
                "equal_to_duckdb": False,
            },
            "postgres": {
                "steps": [
                    {"name": "load landing", "seconds": 1.0, "peak_rss_mib": 200},
                    {"name": "dbt build", "seconds": 3.0, "peak_rss_mib": 500},
                ],
                "tables": 13,
                "equal_to_duckdb": True,
            },
        },
    }
    text = bench_engines.section(result)
    assert "1,234 detail rows" in text
    assert "| duckdb | dbt build | 2.0 | 300 | 13 | (reference) |" in text
    assert "| spark | dbt build | 20.0 | 2,000 | 13 | **no** |" in text
    assert "| postgres | load landing | 1.0 | 200 |  |  |" in text
    assert "| postgres | dbt build | 3.0 | 500 | 13 | yes |" in text
