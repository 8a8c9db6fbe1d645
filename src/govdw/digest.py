"""Engine-neutral digests of tables: the proof that DuckDB, PostgreSQL and Spark built the same
warehouse.

Each engine's driver returns its own Python types (PostgreSQL `Decimal`, Spark `Row`, DuckDB
`float`), and rows come back in any order. A digest renders every value in one canonical text
form, sorts the rows and hashes them with the lower-cased column names:

- NULL is `\\N`; booleans are `t` / `f`;
- numbers (int, float, Decimal) that are whole and below 2**53 print as integers, others with
  12 significant digits (engines sum doubles in different orders, so the last bits may differ;
  12 digits is far below any figure a report shows and far above that noise); NaN is `NaN`;
- dates are ISO `YYYY-MM-DD`; timestamps ISO with a space and microseconds only when not zero;
- text is as is.

The rows stream through (a fact table of tens of millions of rows is never held in memory):
each row's canonical line is hashed and the hashes are summed, which no row order changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: Significant digits kept of a number that is not a whole number.
DIGITS = 12
_SEP = "\x1f"
_MODULUS = 2**256
#: The sha256 of a digest that holds a row count only (`TableDigest.counted`).
COUNT_ONLY = "count-only"


@dataclass(frozen=True)
class TableDigest:
    """The canonical digest of one table: its row count and the sha256 of its sorted rows."""

    rows: int
    sha256: str

    @classmethod
    def counted(cls, rows: int) -> TableDigest:
        """A table too large to hash in the time at hand: its row count only."""
        return cls(rows=rows, sha256=COUNT_ONLY)

    def short(self) -> str:
        """`rows:first 16 hex digits`, as the closing notes and RESULTS.md print it."""
        return f"{self.rows}:{self.sha256[:16]}"


def canonical(value: Any) -> str:
    """One value in the canonical text form (see the module docstring)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        if number.is_integer() and abs(number) < 2**53:
            return str(int(number))
        return f"{number:.{DIGITS}g}"
    if isinstance(value, dt.datetime):
        text = value.replace(tzinfo=None).isoformat(sep=" ")
        return text[:-7] if text.endswith(".000000") else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def digest(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> TableDigest:
    """The digest of a table given its column names and its rows (any order), streaming: the
    rows are never held. Each row's canonical line is hashed, and the row hashes are added up
    modulo 2**256, a sum that is the same in any order and counts duplicates; the digest is the
    sha256 of the lower-cased column names, the row count and that sum."""
    total = 0
    count = 0
    for row in rows:
        line = _SEP.join(canonical(v) for v in row).encode("utf-8", "surrogatepass")
        total = (total + int.from_bytes(hashlib.sha256(line).digest(), "big")) % _MODULUS
        count += 1
    sha = hashlib.sha256()
    sha.update(_SEP.join(c.lower() for c in columns).encode("utf-8"))
    sha.update(f"\n{count}\n".encode())
    sha.update(total.to_bytes(32, "big"))
    return TableDigest(rows=count, sha256=sha.hexdigest())


def differences(
    left: dict[str, TableDigest], right: dict[str, TableDigest]
) -> dict[str, tuple[str, str]]:
    """Tables whose digests differ (or that only one side has): table -> (left, right)."""
    out: dict[str, tuple[str, str]] = {}
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name), right.get(name)
        if a != b:
            out[name] = (a.short() if a else "missing", b.short() if b else "missing")
    return out
