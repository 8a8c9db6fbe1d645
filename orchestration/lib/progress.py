"""Progress of a run as a person sees it: ingest events and dbt's `N of M` lines, made into
short status lines on stderr; plus the process-wide hook an in-process run reports through.

Standard library only (no Dagster): `govdw` imports it at start-up.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

_listener: Callable[[Any], None] | None = None


def set_listener(listener: Callable[[Any], None] | None) -> None:
    """Register (or clear with None) the function that receives ingest progress events."""
    global _listener
    _listener = listener


def emit(event: Any) -> None:
    """Forward one progress event to the listener, if any; a failing listener never fails a run."""
    if _listener is None:
        return
    # A display problem must not abort the load.
    with contextlib.suppress(Exception):
        _listener(event)


def fmt_seconds(seconds: float) -> str:
    """`42s` under a minute, `m:ss` from a minute on."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}s"


def field(event: Any, *names: str) -> Any:
    """The first of `names` the event (a mapping or an object) holds a non-None value for."""
    for name in names:
        value = event.get(name) if isinstance(event, Mapping) else getattr(event, name, None)
        if value is not None:
            return value
    return None


class ProgressPrinter:
    """Turns ingest progress events into one updating line: files done/total, rows, elapsed, ETA."""

    def __init__(self, stream: Any = None) -> None:
        """Write to `stream` (stderr by default)."""
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.last = 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.rows = 0

    def line(self, event: Any) -> str | None:
        """The progress line for one event (None when the event carries no counts)."""
        done = field(event, "done", "files_done", "completed")
        total = field(event, "total", "files_total")
        if done is None or total is None:
            return None
        # Each event is one finished file: its rows add to the run's total.
        self.rows += int(field(event, "rows") or 0)
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else None
        return f"  files {done}/{total}  rows {self.rows:,}  elapsed {fmt_seconds(elapsed)}" + (
            f"  eta {fmt_seconds(eta)}" if eta is not None and done < total else ""
        )

    def __call__(self, event: Any) -> None:
        """Print the event's line (throttled to 4 per second unless it is the last one)."""
        text = self.line(event)
        if text is None:
            return
        now = time.monotonic()
        final = field(event, "files_done", "done") == field(event, "files_total", "total")
        if now - self.last < 0.25 and not final:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + text.ljust(79) + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


#: One dbt result line: `12:00:01  3 of 20 OK created sql table model main.x ...`.
DBT_LINE = re.compile(r"^(?:[\d:.]+\s+)?(\d+) of (\d+) (OK|PASS|FAIL|ERROR|WARN|SKIP|NO-OP)\b")

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def dbt_result(line: str) -> tuple[int, int, str] | None:
    """(done, total, status) of a dbt `N of M STATUS` line (colours ignored), else None."""
    match = DBT_LINE.match(_ANSI.sub("", line))
    return (int(match[1]), int(match[2]), match[3]) if match else None


class RunLog(io.TextIOBase):
    """Stands in for stdout during a run: everything goes to the run log; dbt's `N of M` result
    lines also update one progress line on stderr."""

    def __init__(self, path: Path) -> None:
        """Create `path` (a new file: never one another run writes, never through a symlink)."""
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = path
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        self.file = os.fdopen(os.open(path, flags, 0o600), "w", encoding="utf-8")
        self.buffer_text = ""
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.failed = 0

    def writable(self) -> bool:
        """Always writable."""
        return True

    def write(self, text: str) -> int:
        """Log `text`; report dbt progress from complete lines."""
        self.file.write(text)
        self.buffer_text += text
        *lines, self.buffer_text = self.buffer_text.split("\n")
        for line in lines:
            result = dbt_result(line)
            if result:
                done, total, status = result
                self.failed += status in ("FAIL", "ERROR")
                msg = (
                    f"  dbt build {done}/{total}  failed {self.failed}  "
                    f"elapsed {fmt_seconds(time.monotonic() - self.started)}"
                )
                if not self.tty and done != total and done % max(1, total // 10):
                    continue  # a log file gets every tenth, not one line per dbt node
                end = "\n" if done == total or not self.tty else ""
                sys.stderr.write(("\r" + msg.ljust(79) if self.tty else msg) + end)
                sys.stderr.flush()
        return len(text)

    def flush(self) -> None:
        """Flush the log file."""
        if not self.file.closed:
            self.file.flush()

    def close(self) -> None:
        """Close the log file."""
        super().close()
        self.file.close()
