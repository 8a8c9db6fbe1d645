"""What a person sees during `govdw run`: ingest progress and dbt progress lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from orchestration.lib.progress import ProgressPrinter, RunLog


def test_progress_counts_rows_over_all_files() -> None:
    """Rows add up across files; the last event always prints, without an ETA."""
    out = io.StringIO()
    printer = ProgressPrinter(out)
    for done, rows in ((1, 100), (2, 250), (3, 50)):
        printer({"files_done": done, "files_total": 3, "rows": rows, "file": f"f{done}.xlsx"})
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("  files 3/3  rows 400  elapsed")
    assert "eta" not in last


def test_run_log_keeps_everything_and_reports_dbt_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dbt's stdout goes to the log file; its `N of M` lines become a short progress line."""
    log = RunLog(tmp_path / "run.log")
    for i in range(1, 21):
        status = "FAIL 1" if i == 7 else "PASS"
        log.write(f"\x1b[0m12:00:0{i % 10}  {i} of 20 {status} some_test ...... [{status}]\n")
    log.write("Done. PASS=19 WARN=0 ERROR=1")
    log.close()
    text = (tmp_path / "run.log").read_text(encoding="utf-8")
    assert "7 of 20 FAIL 1 some_test" in text and text.endswith("ERROR=1")
    err = capsys.readouterr().err.strip().splitlines()
    # Not a terminal: every tenth node and the last, not one line per node.
    assert [line.split()[2] for line in err] == [
        f"{n}/20" for n in (2, 4, 6, 8, 10, 12, 14, 16, 18, 20)
    ]
    assert err[-1].split()[4] == "1"  # failed count


def test_inspect_reports_kind_dataset_region_and_rows(tmp_path: Path) -> None:
    """`govdw inspect FILE --json` names what docs/contract.md §3 lists, and writes nothing."""
    import json

    from click.testing import CliRunner

    from govdw.cli import cli

    raw = tmp_path / "raw"
    folder = raw / "653024-乌恰县"
    folder.mkdir(parents=True)
    csv_path = folder / "工单.csv"
    csv_path.write_text(
        "工单编号,受理时间,诉求类型,承办单位,办理状态\n"
        "GD1,2023-04-01 08:05,投诉类,乌恰县住建局,已办结\n"
        "GD2,2023/4/2 9:10,咨询类,乌恰县人社局,办理中\n",
        encoding="utf-8",
    )
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(cli, ["inspect", str(csv_path), "--json", "--raw-dir", str(raw)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["kind"], report["dataset"], report["region"]) == ("csv", "hotline", "653024")
    assert report["status"] == "loaded" and report["rows"] == 2
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
