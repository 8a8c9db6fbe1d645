"""Privacy: mask phone and ID numbers in free text; keyed hashes stand in for people.

Masks are applied to text that is already normalised (half-width digits), before it is stored
anywhere outside the raw folder (docs/contract.md §6). A number is only masked when it stands alone:
digits inside a longer run of digits or letters (order ids such as GD2023040100012345, case
numbers such as FZ19060401683) are left as they are.

The scalar functions use Python ``re`` with lookarounds; the vectorized ones use RE2 (pyarrow),
which has no lookarounds, so they capture the neighbouring character instead and run each pattern
twice (two adjacent numbers share one separator, which the first pass consumes).
"""

from __future__ import annotations

import hmac
import re

import pyarrow as pa
import pyarrow.compute as pc

from govdw.text import normalize_text_array
from govdw.values import empty_mask_array

#: Mainland mobile number (手机号).
MOBILE = r"1[3-9][0-9]{9}"
#: 18-digit resident ID number (身份证号): 17 digits and a check digit or X.
ID18 = r"[0-9]{17}[0-9Xx]"
#: Landline (固定电话) with area code, dash optional.
LANDLINE = r"0[0-9]{2,3}-?[0-9]{7,8}"

# (pattern body with groups, replacement) in application order. IDs first: an ID is 18 digits
# and must not be half-masked as something shorter. Landlines without a dash keep a 3-digit area
# code for 01x/02x/00x (Beijing, Shanghai, …) and 4 digits otherwise; the rest becomes a fixed
# run of stars so not even the length of the number survives.
_RULES: list[tuple[str, str]] = [
    (r"([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])", r"\1********\2"),
    (r"(1[3-9][0-9])[0-9]{4}([0-9]{4})", r"\1****\2"),
    (r"(0[0-9]{2,3})-[0-9]{7,8}", r"\1-********"),
    (r"(0[0-2][0-9])[0-9]{7,9}", r"\1********"),
    (r"(0[3-9][0-9]{2})[0-9]{6,8}", r"\1********"),
]

_SCALAR_RULES = [
    (re.compile(rf"(?<![0-9A-Za-z]){body}(?![0-9A-Za-z])", re.ASCII), repl) for body, repl in _RULES
]


def _shift_groups(repl: str) -> str:
    # The vectorized pattern wraps the body in (left)(body)(right): group n becomes n + 1.
    return re.sub(r"\\([0-9])", lambda m: f"\\{int(m.group(1)) + 1}", repl)


_VECTOR_RULES = [
    (
        rf"(^|[^0-9A-Za-z]){body}($|[^0-9A-Za-z])",
        rf"\1{_shift_groups(repl)}\{body.count('(') + 2}",
    )
    for body, repl in _RULES
]

#: Rows without a run of 7 digits cannot hold any of the numbers above: skipped cheaply.
_CANDIDATE = r"[0-9]{7}"
#: Anything still unmasked after one pass (only numbers sharing a one-character separator).
_LEFTOVER = "|".join(f"(?:{p})" for p, _ in _VECTOR_RULES)


def mask_text(s: str | None) -> str | None:
    """Mask mobile numbers ('139****5678'), ID numbers and landlines in a text; None stays None."""
    if s is None:
        return None
    for pattern, repl in _SCALAR_RULES:
        s = pattern.sub(repl, s)
    return s


def mask_text_array(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorized :func:`mask_text` over a string array."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks() if a.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(a.type):
        a = a.cast(pa.string())
    candidates = pc.fill_null(pc.match_substring_regex(a, _CANDIDATE), False)
    if not pc.any(candidates).as_py():
        return a
    subset = _mask_pass(pc.filter(a, candidates))
    # A second pass only for rows where two numbers shared a separator: rare, so checked first.
    again = pc.fill_null(pc.match_substring_regex(subset, _LEFTOVER), False)
    if pc.any(again).as_py():
        subset = pc.replace_with_mask(subset, again, _mask_pass(pc.filter(subset, again)))
    return pc.replace_with_mask(a, candidates, subset)


def _mask_pass(a: pa.Array) -> pa.Array:
    for pattern, repl in _VECTOR_RULES:
        a = pc.replace_substring_regex(a, pattern, repl)
    return a


#: Dropped before hashing, so '139 1234-5678' and '13912345678' give one key.
_HASH_DROP_RE2 = "[ \t\r\n\f\v\u00a0\u3000-]+"


def keyed_hash_one(value: str | None, key: bytes) -> str | None:
    """:func:`keyed_hash` of one value (None when empty)."""
    return keyed_hash(pa.array([value], pa.string()), key)[0].as_py()


def keyed_hash(values: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """Keyed hash (HMAC-SHA256, 32 hex chars) of each normalised value; null and empty stay null.

    The key comes from :func:`govdw.settings.pii_key`; without it the hashes cannot be reversed
    by hashing candidate phone numbers.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], pa.string())
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    # Normalise (half-width, simplified), drop spaces and dashes, fold case: one person, one key.
    norm = normalize_text_array(values)
    empty = empty_mask_array(values)
    form = pc.utf8_lower(pc.replace_substring_regex(norm, _HASH_DROP_RE2, ""))
    form = pc.if_else(pc.or_(empty, pc.fill_null(pc.equal(form, ""), True)), None, form)
    encoded = form.dictionary_encode()
    hashed = pa.array(
        [
            None if v is None else hmac.digest(key, v.encode("utf-8"), "sha256").hex()[:32]
            for v in encoded.dictionary.to_pylist()
        ],
        pa.string(),
    )
    return pc.take(hashed, encoded.indices)
