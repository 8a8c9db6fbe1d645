"""The linters of `make lint` run in the suite too: ruff (check + format), sqlfluff, mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("sqlfluff", "lint", "dbt_project"),
        ("mypy",),
    ],
    ids=["ruff-check", "ruff-format", "sqlfluff", "mypy"],
)
def test_linter_is_clean(command: tuple[str, ...]) -> None:
    """Each linter exits 0 on the whole tree."""
    result = _run(str(BIN / command[0]), *command[1:])
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
