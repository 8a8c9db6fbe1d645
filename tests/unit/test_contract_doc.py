"""docs/contract.md stays in step with the shared contract and with the code (issue 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from contract_columns import (  # tests/ is on sys.path (rootdir conftest)
    CONTRACT_COLUMNS,
    CONTRACT_DOC,
    published_columns,
)

from govdw import datasets, vocab

REPO = Path(__file__).resolve().parents[2]
#: The team's shared contract, beside the clone (absent on a machine that only has the repo).
SHARED = REPO.parent / "shared" / "CONTRACT.md"


def test_the_page_lists_every_published_table() -> None:
    assert len(CONTRACT_COLUMNS) == 12
    assert set(datasets.fact_sources()) <= set(CONTRACT_COLUMNS)
    assert all(columns for columns in CONTRACT_COLUMNS.values())


def test_the_page_covers_the_shared_contract() -> None:
    if not SHARED.is_file():
        pytest.skip(f"no shared contract at {SHARED} (only the repository is here)")
    shared = published_columns(SHARED.read_text(encoding="utf-8"))
    assert set(shared) == set(CONTRACT_COLUMNS)
    for table, columns in shared.items():
        missing = columns - CONTRACT_COLUMNS[table]
        assert not missing, f"docs/contract.md, {table}: add {sorted(missing)}"


def test_metric_codes_and_ratings_match_the_code() -> None:
    text = CONTRACT_DOC.read_text(encoding="utf-8")
    section = text.split("## 5.", 1)[1].split("## 6.", 1)[0]
    listed = set(
        re.findall(
            r"`([a-z_]+)`", section.split("[summary.metrics]`):", 1)[1].split("- Rates", 1)[0]
        )
    )
    known = set(vocab.summary_metrics().values())
    assert listed == known
    for rating, label in datasets.RATING_LABELS.items():
        assert f"{rating} {label}" in section
