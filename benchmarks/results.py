"""Shared by the benchmarks: describe the machine, replace one section of RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Written by `make bench` (each benchmark replaces its own section). Figures are from the\n"
    "machine and date given in each section; rerun to refresh.\n"
)


def machine_line() -> str:
    """One line naming the machine and the date, for a results section."""
    ram_gib = psutil.virtual_memory().total / 2**30
    return (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {ram_gib:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}"
    )


def write_section(title: str, body: str) -> None:
    """Replace (or append) the `## title` section of RESULTS.md with `body`."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    marker = f"## {title}\n"
    section = f"{marker}\n{body.strip()}\n\n"
    if marker in text:
        start = text.index(marker)
        nxt = text.find("\n## ", start + len(marker))
        end = len(text) if nxt == -1 else nxt + 1
        text = text[:start] + section + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
