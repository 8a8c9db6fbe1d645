"""Reader benchmark: bare Excel readers, the pandas+openpyxl baseline, and govdw's full ingest.

    python benchmarks/bench_readers.py [--rows N] [--out benchmarks/RESULTS.md]

Generates (once, cached in benchmarks/data/) an N-row x 15-column hotline export with a title
row and an export-time row, then times on the same file: (a) fastexcel -> Arrow, (b)
python-calamine, (c) pandas.read_excel(openpyxl) + load into DuckDB, (d) govdw's ingest of the
file into a landing table (in a child process, whose peak RSS is measured). Writes a section to
RESULTS.md and ends with one line:
`speedup_vs_pandas_openpyxl=<x> fraction_of_fastest_reader=<y> peak_rss_mib=<z>`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import RESULTS, machine_line, write_section

DATA = Path(__file__).resolve().parent / "data"
HEADERS = [
    "工单编号",  # order id
    "受理时间",  # received
    "派单时间",  # dispatched
    "签收时间",  # accepted
    "办理时限",  # due
    "办结时间",  # closed
    "承办单位",  # handling unit
    "诉求类型",  # appeal type
    "热点分类",  # hot-spot category
    "来源渠道",  # channel
    "承办层级",  # admin level
    "办理状态",  # status
    "回访满意度",  # satisfaction
    "是否重办",  # redone
    "诉求内容",  # content
]
UNITS = ["县住建局", "县水务局", "县市场监管局", "县人社局", "县交通运输局", "城关镇", "县教育局"]
TYPES = ["投诉", "咨询", "求助", "建议", "举报", "表扬"]
CATEGORIES = ["城乡建设类", "民生保障类", "市场监管类", "交通运输类", "教育卫生类"]
CHANNELS = ["电话", "网站", "微信", "APP"]
STATUSES = ["已办结", "办理中", "待签收"]
SATISFACTION = ["非常满意", "满意", "基本满意", "不满意", None]


def make_workbook(rows: int) -> Path:
    """The cached N-row hotline export (written with xlsxwriter in constant-memory mode)."""
    import xlsxwriter

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"hotline_{rows}.xlsx"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.xlsx")
    rnd = random.Random(20240601)
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
    ws = wb.add_worksheet("工单明细")
    ts = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws.write(0, 0, "12345政务服务便民热线工单明细表")
    ws.write(1, 0, "导出时间：2024-07-01 09:15:00")
    ws.write_row(2, 0, HEADERS)
    start = dt.datetime(2024, 1, 1)
    for i in range(rows):
        r = 3 + i
        received = start + dt.timedelta(minutes=rnd.randrange(0, 260_000))
        closed = rnd.random() < 0.8
        ws.write_string(r, 0, f"GD2024{i:08d}")
        ws.write_datetime(r, 1, received, ts)
        ws.write_datetime(r, 2, received + dt.timedelta(hours=1), ts)
        ws.write_datetime(r, 3, received + dt.timedelta(hours=3), ts)
        ws.write_datetime(r, 4, received + dt.timedelta(days=5), ts)
        if closed:
            ws.write_datetime(r, 5, received + dt.timedelta(days=rnd.randrange(1, 9)), ts)
        ws.write_string(r, 6, rnd.choice(UNITS))
        ws.write_string(r, 7, rnd.choice(TYPES))
        ws.write_string(r, 8, rnd.choice(CATEGORIES))
        ws.write_string(r, 9, rnd.choice(CHANNELS))
        ws.write_string(r, 10, rnd.choice(["本级", "下级"]))
        ws.write_string(r, 11, "已办结" if closed else rnd.choice(STATUSES[1:]))
        sat = rnd.choice(SATISFACTION) if closed else None
        if sat:
            ws.write_string(r, 12, sat)
        ws.write_string(r, 13, "是" if rnd.random() < 0.05 else "否")
        ws.write_string(
            r, 14, f"市民反映小区{rnd.randrange(1, 300)}号楼供水压力不足，请求协调处理。"
        )
    wb.close()
    tmp.rename(path)
    return path


def time_fastexcel(path: Path) -> float:
    """(a) fastexcel to Arrow, typed columns, header on the third row."""
    import fastexcel

    start = time.perf_counter()
    batch = fastexcel.read_excel(path).load_sheet(0, header_row=2).to_arrow()
    assert batch.num_rows > 0
    return time.perf_counter() - start


def time_calamine(path: Path) -> float:
    """(b) python-calamine to Python lists."""
    import python_calamine

    start = time.perf_counter()
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    rows = wb.get_sheet_by_index(0).to_python()
    assert rows
    return time.perf_counter() - start


def time_pandas_openpyxl(path: Path) -> float:
    """(c) the usual baseline: pandas + openpyxl, then into DuckDB."""
    import duckdb
    import pandas as pd

    start = time.perf_counter()
    df = pd.read_excel(path, engine="openpyxl", header=2)
    con = duckdb.connect()
    con.register("df", df)
    con.execute("create table orders as select * from df")
    assert con.execute("select count(*) from orders").fetchone() == (len(df),)
    return time.perf_counter() - start


def ingest_child(path: Path) -> None:
    """(d), run in a child process: govdw ingest of the file into a fresh build database."""
    import shutil

    import duckdb
    import pandas  # noqa: F401  pyarrow imports it on its first conversion anyway

    # Imports stay outside the timer, as for every other contender (the ingest imports these
    # lazily; a worker process pays them once per run, not per file).
    import govdw.extract
    import govdw.load
    import govdw.read  # noqa: F401
    from govdw.ingest import ingest_dir

    with tempfile.TemporaryDirectory(prefix="govdw-bench-") as tmp:
        raw = Path(tmp) / "raw" / "640522"
        raw.mkdir(parents=True)
        shutil.copy(path, raw / path.name)
        db = Path(tmp) / "build.duckdb"
        start = time.perf_counter()
        summary = ingest_dir(raw.parent, db, workers=0)
        elapsed = time.perf_counter() - start
        with duckdb.connect(str(db), read_only=True) as con:
            landed = con.execute("select count(*) from landing.hotline_orders").fetchone()
            status = con.execute("select status, error from landing.files").fetchall()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "rows": landed[0] if landed else 0,
                "status": status,
                "loaded": summary.loaded,
            },
            ensure_ascii=False,
            default=str,
        )
    )


def time_govdw(path: Path) -> tuple[float, float, dict[str, object]]:
    """(d) in a child process: seconds, peak RSS in MiB, and what landed."""
    proc = subprocess.run(
        [sys.executable, __file__, "--ingest-child", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"govdw ingest failed:\n{proc.stdout}\n{proc.stderr}")
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    # ru_maxrss of waited-for children, KiB on Linux; the ingest child is the only child.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return float(info["seconds"]), peak_mib, info


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--skip-pandas", action="store_true", help="skip the slow baseline")
    parser.add_argument("--ingest-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_child:
        ingest_child(args.ingest_child)
        return

    t0 = time.perf_counter()
    path = make_workbook(args.rows)
    print(
        f"workbook: {path} ({path.stat().st_size / 2**20:.1f} MiB, "
        f"{time.perf_counter() - t0:.1f} s)"
    )
    govdw_s, peak_mib, info = time_govdw(path)
    print(f"(d) govdw ingest: {govdw_s:.2f} s, peak RSS {peak_mib:.0f} MiB, {info}")
    fastexcel_s = time_fastexcel(path)
    print(f"(a) fastexcel -> Arrow: {fastexcel_s:.2f} s")
    calamine_s = time_calamine(path)
    print(f"(b) python-calamine: {calamine_s:.2f} s")
    pandas_s = float("nan") if args.skip_pandas else time_pandas_openpyxl(path)
    print(f"(c) pandas + openpyxl + DuckDB: {pandas_s:.2f} s")

    fastest = min(fastexcel_s, calamine_s)
    speedup = pandas_s / govdw_s
    skipped = pandas_s != pandas_s  # NaN: --skip-pandas (the memory run)
    pandas_cell = "not run (--skip-pandas)" if skipped else f"{pandas_s:.2f}"
    speedup_text = "not measured at this size" if skipped else f"{speedup:.1f}x"
    fraction = fastest / govdw_s
    body = f"""{machine_line()}

One {args.rows:,}-row x 15-column hotline export (title row, export-time row, header row).

| reader | seconds |
|---|---|
| (a) fastexcel -> Arrow (bare read) | {fastexcel_s:.2f} |
| (b) python-calamine (bare read) | {calamine_s:.2f} |
| (c) pandas.read_excel(openpyxl) + DuckDB | {pandas_cell} |
| (d) govdw ingest into landing (sniff, read, extract, load) | {govdw_s:.2f} |

Rows landed in landing.hotline_orders: {info["rows"]:,}; file status: {info["status"]}.
Speedup vs pandas+openpyxl: {speedup_text} (target >= 10); fraction of the fastest bare read:
{fraction:.2f} (target >= 0.5); peak RSS of the ingest process: {peak_mib:.0f} MiB.
"""
    if args.out == RESULTS:
        write_section(f"Readers ({args.rows:,} rows)", body)
    else:
        args.out.write_text(body, encoding="utf-8")
    print(
        f"speedup_vs_pandas_openpyxl={speedup:.2f} "
        f"fraction_of_fastest_reader={fraction:.2f} peak_rss_mib={peak_mib:.0f}"
    )


if __name__ == "__main__":
    main()
