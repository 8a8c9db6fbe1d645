"""docs/contract.md §4 as data: the columns each published table must have at least.

Read from the page itself, so the tests and the page cannot drift apart. Every fact row also
carries source_file, source_sheet and source_row (§4).
"""

from __future__ import annotations

import re
from pathlib import Path

CONTRACT_DOC = Path(__file__).resolve().parents[1] / "docs" / "contract.md"

#: Lineage every fact row carries (§4).
FACT_LINEAGE = {"source_file", "source_sheet", "source_row"}

_ROW = re.compile(r"^\|\s*`(?P<table>[a-z_]+)`\s*\|[^|]*\|(?P<columns>[^|]*)\|\s*$")


def published_columns(markdown: str) -> dict[str, set[str]]:
    """{table: columns} from the rows of a contract page's published-tables table: rows whose
    first cell is a backticked table name, columns the backticked words of the last cell outside
    brackets."""
    out: dict[str, set[str]] = {}
    for line in markdown.splitlines():
        m = _ROW.match(line.strip())
        if m:
            cell = m["columns"]
            while re.search(r"\([^()]*\)", cell):  # values in brackets are not columns
                cell = re.sub(r"\([^()]*\)", "", cell)
            out[m["table"]] = set(re.findall(r"`([a-z_0-9]+)`", cell))
    return out


def _contract_columns() -> dict[str, set[str]]:
    tables = published_columns(CONTRACT_DOC.read_text(encoding="utf-8"))
    for name, columns in tables.items():
        if name.startswith("fct_"):
            columns |= FACT_LINEAGE
    return tables


CONTRACT_COLUMNS: dict[str, set[str]] = _contract_columns()
