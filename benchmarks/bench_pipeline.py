"""Pipeline benchmark: sample generation, cold `govdw run`, and a no-op re-run on the same folder.

    python benchmarks/bench_pipeline.py [--scale X] [--keep DIR]

Writes a section to benchmarks/RESULTS.md and ends with one line:
`sample_s=<a> cold_run_s=<b> noop_run_s=<c> files=<n> rows=<m>`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_line, write_section

BIN = Path(sys.executable).parent


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default=None, help="sample scale (default: govdw's default)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args()

    base = args.keep or Path(tempfile.mkdtemp(prefix="govdw-bench-"))
    raw, warehouse = base / "raw", base / "warehouse" / "govdw.duckdb"
    env = {**os.environ, "DAGSTER_HOME": str(base / "dagster")}
    (base / "dagster").mkdir(parents=True, exist_ok=True)
    scale = ["--scale", args.scale] if args.scale else []

    sample_s, sample_out = _timed(
        [str(BIN / "govdw"), "sample", "--raw-dir", str(raw), *scale], env
    )
    run = [str(BIN / "govdw"), "run", "--raw-dir", str(raw), "--warehouse", str(warehouse)]
    cold_s, cold_out = _timed(run, env)
    noop_s, _ = _timed(run, env)

    files = sum(1 for p in raw.rglob("*") if p.is_file())
    rows_match = re.search(r"([\d,]+) rows", sample_out)
    rows = int(rows_match.group(1).replace(",", "")) if rows_match else -1
    size_mb = sum(p.stat().st_size for p in raw.rglob("*") if p.is_file()) / 2**20
    body = "\n".join(
        [
            machine_line(),
            "",
            f"Command: `python benchmarks/bench_pipeline.py {' '.join(scale)}`".rstrip(),
            "",
            "| step | seconds |",
            "|---|---|",
            f"| `govdw sample` ({files} files, {rows:,} rows, {size_mb:.1f} MB) | {sample_s:.1f} |",
            f"| `govdw run`, cold (parse every file, dbt build, publish) | {cold_s:.1f} |",
            f"| `govdw run`, nothing new (no file parsed, dbt skipped) | {noop_s:.1f} |",
            "",
            "Cold-run summary as printed:",
            "",
            "```",
            cold_out.strip()[-3000:],
            "```",
        ]
    )
    write_section("Pipeline: sample, cold run, no-op run", body)
    print(
        f"sample_s={sample_s:.1f} cold_run_s={cold_s:.1f} noop_run_s={noop_s:.1f} "
        f"files={files} rows={rows}"
    )


if __name__ == "__main__":
    main()
