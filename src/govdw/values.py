"""Cell value parsing: text normalisation, dates, numbers, rates and canonical labels.

Every parser exists twice: a scalar function for single cells (headers, titles, summary tables)
and a vectorized one over a pyarrow string array for detail columns. The vectorized parsers return
``(values, problems)``, where ``problems`` marks non-empty inputs that could not be parsed, and give
exactly the scalar result for every element (the tests check this on random input). They run the
common shapes through pyarrow.compute and send only the rare leftovers (full-width digits,
traditional script) through Python, once per distinct value.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govdw import vocab
from govdw.datasets import RATING_LABELS
from govdw.text import (
    ALL_SPACE,
    ALL_SPACE_RE,
    FULLWIDTH,
    TRIM,
    TRIM_RE,
    as_string_array,
    fullwidth_array,
    normalize_header,
    normalize_text,
)


class ValueProblem(ValueError):
    """A cell value that cannot be read as the expected type; the message says why."""


# --------------------------------------------------------------------------------------------
# Text (normalisation itself lives in govdw.text)
# --------------------------------------------------------------------------------------------


@functools.cache
def _empty_markers_folded() -> frozenset[str]:
    return frozenset(m.lower() for m in vocab.empty_markers())


def is_empty_marker(s: object) -> bool:
    """True for None, blank text and the placeholders exports use for 'no value' (-, 无, N/A …)."""
    if s is None:
        return True
    if isinstance(s, float) and math.isnan(s):
        return True
    # No script conversion: the vectorized check skips it too, and traditional forms (無) are
    # listed in the vocab instead.
    text = normalize_text(s, convert_script=False)
    return text is None or text.lower() in _empty_markers_folded()


@functools.cache
def _column_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)))


def map_columns(fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
    """`[fn(x) for x in items]`, several at a time: pyarrow compute releases the GIL, so the
    columns of one big sheet use every core. Results keep the order of `items`."""
    items = list(items)
    if len(items) < 2:
        return [fn(x) for x in items]
    return list(_column_pool().map(fn, items))


def empty_mask_array(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorized :func:`is_empty_marker`: true for null, blank and placeholder cells."""
    return _empty_mask(fullwidth_array(as_string_array(a)))


def _empty_mask(a: pa.Array) -> pa.Array:
    """Vectorized :func:`is_empty_marker` over a string array whose full-width forms are fixed."""
    trimmed = pc.replace_substring_regex(a, TRIM, "")
    markers = pa.array(sorted(_empty_markers_folded() | {""}), pa.string())
    is_marker = pc.is_in(pc.utf8_lower(trimmed), value_set=markers)
    return pc.fill_null(pc.or_kleene(pc.is_null(a), is_marker), True)


# --------------------------------------------------------------------------------------------
# Dates and times
# --------------------------------------------------------------------------------------------

#: Excel's day zero for the 1900 date system (serial 1 = 1900-01-01; the 1900 leap bug is moot
#: because serials are only accepted from 1990 on).
EXCEL_EPOCH = datetime(1899, 12, 30)
_SERIAL_MIN = (datetime(1990, 1, 1) - EXCEL_EPOCH).days  # 32874
_SERIAL_MAX = (datetime(2101, 1, 1) - EXCEL_EPOCH).days  # exclusive
_YEAR_MIN, _YEAR_MAX = 1900, 2100

# One grammar for both engines (Python re with ASCII, RE2): '2023-04-01 08:05:00',
# '2023/4/1 8:05', '2023.4.1', '2023年4月1日 8时5分' (日 is rewritten to a space first).
_DT_PATTERN = (
    r"^(?P<y>[0-9]{4}) ?[-/.年] ?(?P<mo>[0-9]{1,2}) ?[-/.月] ?(?P<d>[0-9]{1,2})"
    r"(?:(?: ?T ?| )(?P<H>[0-9]{1,2}) ?[:时点] ?(?P<M>[0-9]{1,2})"
    r"(?: ?[:分] ?(?P<S>[0-9]{1,2})(?:\.(?P<f>[0-9]{1,6})[0-9]*)? ?秒?| ?分)?)?$"
)
_COMPACT_DT = r"^([0-9]{4})([0-9]{2})([0-9]{2})(?: ?T? ?)([0-9]{2})([0-9]{2})([0-9]{2})$"
_COMPACT_D = r"^([0-9]{4})([0-9]{2})([0-9]{2})$"
_SERIAL_PATTERN = r"^[0-9]{1,7}(?:\.[0-9]+)?$"
#: Year-last dates ('12/16/2016 9:32', '16.12.2016'): month first, as Excel's US locale writes
#: them, unless the column says otherwise (a first part above 12 somewhere: day first).
_YEAR_LAST = r"^(?P<a>[0-9]{1,2})[/.-](?P<b>[0-9]{1,2})[/.-](?P<y>[0-9]{4})(?P<rest>(?: .*)?)$"
_DAY_MARK = " ?日 ?"
#: Exports stamped in UTC+8 ('…Z' is rare, '+08:00' common) are China wall-clock time already.
_CHINA_OFFSET = r" ?(?:\+08:?00|GMT\+8|UTC\+8)$"

_DT_RE = re.compile(_DT_PATTERN, re.ASCII)
_COMPACT_DT_RE = re.compile(_COMPACT_DT, re.ASCII)
_COMPACT_D_RE = re.compile(_COMPACT_D, re.ASCII)
_SERIAL_RE = re.compile(_SERIAL_PATTERN, re.ASCII)
_DAY_MARK_RE = re.compile(_DAY_MARK)
_YEAR_LAST_RE = re.compile(_YEAR_LAST, re.ASCII)
_LATIN_RUN = re.compile(r"[a-z]+")
_CHINA_OFFSET_RE = re.compile(_CHINA_OFFSET)


def _prepare_datetime_text(text: str) -> str:
    text = ALL_SPACE_RE.sub(" ", text)
    text = TRIM_RE.sub("", text)
    text = _CHINA_OFFSET_RE.sub("", text)
    text = _DAY_MARK_RE.sub(" ", text)
    text = TRIM_RE.sub("", text)
    text = _COMPACT_DT_RE.sub(r"\1-\2-\3 \4:\5:\6", text)
    text = _YEAR_LAST_RE.sub(r"\g<y>-\g<a>-\g<b>\g<rest>", text)  # one cell: month first
    return _COMPACT_D_RE.sub(r"\1-\2-\3", text)


def _from_serial(value: float, raw: object) -> datetime:
    if not (_SERIAL_MIN <= value < _SERIAL_MAX):
        raise ValueProblem(
            f"{raw!r} is not a date: as an Excel date number it is outside 1990-2100"
        )
    # Round to the second: Excel stores times as binary fractions of a day.
    seconds = round(value * 86400.0)
    return EXCEL_EPOCH + timedelta(seconds=seconds)


def parse_datetime(s: object) -> datetime | None:
    """Read a date or date-time cell; None for empty markers; raises ValueProblem otherwise."""
    if isinstance(s, datetime):
        return s
    if isinstance(s, date):
        return datetime(s.year, s.month, s.day)
    if isinstance(s, bool):
        raise ValueProblem(f"{s!r} is not a date")
    if isinstance(s, int | float):
        if isinstance(s, float) and math.isnan(s):
            return None
        if float(s).is_integer() and 19000101 <= s <= 21001231:
            return parse_datetime(str(int(s)))  # 20230401 typed as a number
        return _from_serial(float(s), s)
    if is_empty_marker(s):
        return None
    raw = s
    text = _prepare_datetime_text(str(s).translate(FULLWIDTH))
    m = _DT_RE.match(text)
    if m is not None:
        g = m.groupdict()
        year = int(g["y"])
        if not (_YEAR_MIN <= year <= _YEAR_MAX):
            raise ValueProblem(f"{raw!r} is not a plausible date: year {year} is outside 1900-2100")
        frac = g["f"] or ""
        try:
            return datetime(
                year,
                int(g["mo"]),
                int(g["d"]),
                int(g["H"] or 0),
                int(g["M"] or 0),
                int(g["S"] or 0),
                int(frac.ljust(6, "0")) if frac else 0,
            )
        except ValueError as exc:
            raise ValueProblem(f"{raw!r} is not a valid date or time ({exc})") from None
    if _SERIAL_RE.match(text):
        return _from_serial(float(text), raw)
    raise ValueProblem(
        f"{raw!r} is not a date: expected e.g. 2023-04-01 08:05, 2023/4/1, 2023年4月1日 "
        "or an Excel date number"
    )


_ISO_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?$"


def parse_datetime_array(a: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Vectorized :func:`parse_datetime`: (timestamp[us] array, problem mask)."""
    a = as_string_array(a)
    # Fast path for the reader's own ISO shape, the overwhelmingly common case.
    iso = pc.fill_null(pc.match_substring_regex(a, _ISO_PATTERN), False)
    long_form = pc.greater(pc.utf8_length(a), 10)
    ts = pc.if_else(
        long_form,
        pc.strptime(a, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True),
        pc.strptime(a, format="%Y-%m-%d", unit="us", error_is_null=True),
    )
    # strptime rolls 2023-02-30 into March and second 60 into the next minute: compare back.
    ok = pc.and_(iso, pc.fill_null(pc.is_valid(ts), False))
    safe = pc.if_else(ok, a, "2000-01-01 00:00:00")
    checks = [(pc.year, 0, 4), (pc.month, 5, 7), (pc.day, 8, 10)]
    for func, start, stop in checks:
        part = pc.cast(pc.utf8_slice_codeunits(safe, start, stop), pa.int64())
        ok = pc.and_(ok, pc.fill_null(pc.equal(func(ts), part), False))
    safe_long = pc.if_else(pc.and_(ok, long_form), safe, "2000-01-01 00:00:00")
    for func, start, stop in [(pc.hour, 11, 13), (pc.minute, 14, 16), (pc.second, 17, 19)]:
        part = pc.cast(pc.utf8_slice_codeunits(safe_long, start, stop), pa.int64())
        same = pc.or_(pc.invert(long_form), pc.equal(func(ts), part))
        ok = pc.and_(ok, pc.fill_null(same, False))
    year = pc.year(ts)
    ok = pc.and_(
        ok,
        pc.fill_null(
            pc.and_(pc.greater_equal(year, _YEAR_MIN), pc.less_equal(year, _YEAR_MAX)), False
        ),
    )
    out = pc.if_else(ok, ts, pa.scalar(None, pa.timestamp("us")))
    problems = pa.array(np.zeros(len(a), dtype=bool))
    rest = pc.and_(pc.invert(ok), pc.is_valid(a))
    if pc.any(rest).as_py():
        rest_out, rest_problems = _parse_datetime_general(pc.filter(a, rest))
        out = pc.replace_with_mask(out, rest, rest_out)
        problems = pc.replace_with_mask(problems, rest, rest_problems)
    return out, problems


def _year_last_to_iso(text: pa.Array) -> pa.Array:
    """Year-last dates of one column rewritten year first. Month first unless a first part is
    above 12 somewhere in the column (then day first): the column decides, not each cell."""
    parts = pc.extract_regex(text, _YEAR_LAST)
    if not pc.any(pc.is_valid(parts)).as_py():
        return text
    first = pc.cast(pc.struct_field(parts, "a"), pa.int32())
    second = pc.cast(pc.struct_field(parts, "b"), pa.int32())
    day_first = bool(pc.any(pc.greater(first, 12)).as_py()) and not bool(
        pc.any(pc.greater(second, 12)).as_py()
    )
    # RE2 numbers the groups: a=1, b=2, y=3, rest=4.
    order = r"\3-\2-\1\4" if day_first else r"\3-\1-\2\4"
    return pc.replace_substring_regex(text, _YEAR_LAST, order)


def _parse_datetime_general(a: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Every accepted shape, for the rows the ISO fast path did not take."""
    a = fullwidth_array(a)
    empty = _empty_mask(a)
    text = pc.replace_substring_regex(a, ALL_SPACE, " ")
    text = pc.replace_substring_regex(text, TRIM, "")
    text = pc.replace_substring_regex(text, _CHINA_OFFSET, "")
    text = pc.replace_substring_regex(text, _DAY_MARK, " ")
    text = pc.replace_substring_regex(text, TRIM, "")
    text = pc.replace_substring_regex(text, _COMPACT_DT, r"\1-\2-\3 \4:\5:\6")
    text = pc.replace_substring_regex(text, _COMPACT_D, r"\1-\2-\3")
    text = _year_last_to_iso(text)

    parts = pc.extract_regex(text, _DT_PATTERN)
    fields = {name: pc.struct_field(parts, name) for name in ("y", "mo", "d", "H", "M", "S", "f")}

    def _or_zero(x: pa.Array) -> pa.Array:
        return pc.if_else(pc.equal(x, ""), "0", x)

    h, mi, se = _or_zero(fields["H"]), _or_zero(fields["M"]), _or_zero(fields["S"])
    canonical = pc.binary_join_element_wise(
        fields["y"], "-", fields["mo"], "-", fields["d"], " ", h, ":", mi, ":", se, ""
    )
    ts = pc.strptime(canonical, format="%Y-%m-%d %H:%M:%S", unit="us", error_is_null=True)
    # Arrow's strptime rolls 2023-02-30 over to March and accepts second 60: check that every
    # component survived unchanged, which is exactly what datetime() enforces in the scalar path.
    ok = pc.fill_null(pc.is_valid(ts), False)
    for comp, func in (
        (fields["y"], pc.year),
        (fields["mo"], pc.month),
        (fields["d"], pc.day),
        (h, pc.hour),
        (mi, pc.minute),
        (se, pc.second),
    ):
        same = pc.equal(func(ts), pc.cast(pc.if_else(ok, comp, "0"), pa.int64()))
        ok = pc.and_(ok, pc.fill_null(same, False))
    year = pc.cast(pc.if_else(ok, fields["y"], "0"), pa.int64())
    ok = pc.and_(ok, pc.and_(pc.greater_equal(year, _YEAR_MIN), pc.less_equal(year, _YEAR_MAX)))
    frac = pc.utf8_rpad(fields["f"], width=6, padding="0")
    micros = pc.cast(pc.if_else(ok, frac, "0"), pa.int64())
    ts_int = pc.add(pc.cast(ts, pa.int64()), micros)
    result = pc.if_else(ok, ts_int, pa.scalar(None, pa.int64()))

    # Excel serial numbers (the reader hands date cells over as ISO, but hand-typed and CSV
    # exports carry bare serials).
    is_serial = pc.and_(pc.invert(ok), pc.match_substring_regex(text, _SERIAL_PATTERN))
    is_serial = pc.fill_null(is_serial, False)
    if pc.any(is_serial).as_py():
        serial = pc.cast(pc.if_else(is_serial, text, "0"), pa.float64())
        in_range = pc.and_(
            pc.greater_equal(serial, float(_SERIAL_MIN)), pc.less(serial, float(_SERIAL_MAX))
        )
        seconds = pc.round(pc.multiply(serial, 86400.0), round_mode="half_to_even")
        epoch_us = int((EXCEL_EPOCH - datetime(1970, 1, 1)).total_seconds()) * 1_000_000
        serial_us = pc.add(pc.multiply(pc.cast(seconds, pa.int64()), 1_000_000), epoch_us)
        use = pc.and_(is_serial, in_range)
        result = pc.if_else(use, serial_us, result)

    out = pc.cast(result, pa.timestamp("us"))
    problems = pc.and_(pc.invert(empty), pc.is_null(out))
    out = pc.if_else(empty, pa.scalar(None, pa.timestamp("us")), out)
    return out, pc.fill_null(problems, False)


# --------------------------------------------------------------------------------------------
# Numbers and rates
# --------------------------------------------------------------------------------------------

#: Unit words allowed after a number ('143件', '5个工作日'); longest first.
_UNITS = (
    "个工作日|工作日|人次|件次|小时|分钟|户次|"
    "件|条|人|次|个|项|家|户|元|天|日|宗|起|单|笔|份|位|名|例|秒"
)
_NUM_PATTERN = (
    r"^(?P<sign>[+-]?)(?P<mant>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:[eE](?P<exp>[+-]?[0-9]{1,3}))?(?P<scale>%|‰|万|萬|亿|億)?(?:" + _UNITS + r")?$"
)
_NUM_RE = re.compile(_NUM_PATTERN, re.ASCII)
_SCALE_EXP = {"": 0, "%": -2, "‰": -3, "万": 4, "萬": 4, "亿": 8, "億": 8}


def _number_parts(s: object) -> tuple[str, str, int, str] | None:
    """(sign, mantissa without commas, total exponent, scale) or None for an empty cell."""
    if is_empty_marker(s):
        return None
    text = ALL_SPACE_RE.sub("", str(s).translate(FULLWIDTH))
    m = _NUM_RE.match(text)
    if m is None:
        raise ValueProblem(f"{s!r} is not a number")
    exp = int(m["exp"] or 0) + _SCALE_EXP[m["scale"] or ""]
    return m["sign"], m["mant"].replace(",", ""), exp, m["scale"] or ""


def _compose(sign: str, mant: str, exp: int, raw: object) -> float:
    # Build 'mantissa e exponent' and let the (correctly rounding) float parser do the scaling,
    # so '88.65%' gives exactly 0.8865 rather than 88.65 / 100 = 0.8865000000000001.
    value = float(f"{mant}e{exp}")
    if not math.isfinite(value):
        raise ValueProblem(f"{raw!r} is too large to be a number")
    return -value if sign == "-" else value


def parse_number(s: object) -> float | None:
    """'1,234', '1.2万', '143件', '88.65%' (-> 0.8865); None when empty; else ValueProblem."""
    if isinstance(s, bool):
        raise ValueProblem(f"{s!r} is not a number")
    if isinstance(s, int | float):
        value = float(s)
        return None if math.isnan(value) else value
    parts = _number_parts(s)
    if parts is None:
        return None
    sign, mant, exp, _ = parts
    return _compose(sign, mant, exp, s)


def parse_rate(s: object) -> float | None:
    """A rate as a fraction: '88.65%', '88.65' (above 1 means percent) and 0.8865 -> 0.8865."""
    if isinstance(s, bool):
        raise ValueProblem(f"{s!r} is not a rate")
    if isinstance(s, int | float):
        s = repr(float(s)) if not (isinstance(s, float) and math.isnan(s)) else None
    parts = _number_parts(s)
    if parts is None:
        return None
    sign, mant, exp, scale = parts
    value = _compose(sign, mant, exp, s)
    if scale == "" and abs(value) > 1:
        value = _compose(sign, mant, exp - 2, s)
    return value


def parse_int(s: object) -> int | None:
    """A whole number ('143', '143件', '1.2万'); ValueProblem for fractions such as '3.5'."""
    value = parse_number(s)
    if value is None:
        return None
    if not value.is_integer() or abs(value) >= 2**53:
        raise ValueProblem(f"{s!r} is not a whole number")
    return int(value)


def _number_array(a: pa.Array | pa.ChunkedArray, *, rate: bool) -> tuple[pa.Array, pa.Array]:
    a = fullwidth_array(as_string_array(a))
    empty = _empty_mask(a)
    text = pc.replace_substring_regex(a, ALL_SPACE, "")
    parts = pc.extract_regex(text, _NUM_PATTERN)
    matched = pc.fill_null(pc.is_valid(parts), False)
    mant = pc.replace_substring(pc.struct_field(parts, "mant"), ",", "")
    exp_text = pc.struct_field(parts, "exp")
    exp = pc.cast(pc.if_else(pc.equal(exp_text, ""), "0", exp_text), pa.int64())
    scale = pc.struct_field(parts, "scale")
    scale_exp = pa.scalar(0, pa.int64())
    for mark, value in _SCALE_EXP.items():
        if mark:
            scale_exp = pc.if_else(pc.equal(scale, mark), value, scale_exp)
    exp = pc.add(exp, scale_exp)
    negative = pc.equal(pc.struct_field(parts, "sign"), "-")

    def compose(e: pa.Array) -> pa.Array:
        joined = pc.binary_join_element_wise(mant, "e", pc.cast(e, pa.string()), "")
        number = pc.cast(pc.if_else(matched, joined, "0"), pa.float64())
        return pc.if_else(negative, pc.negate(number), number)

    value = compose(exp)
    if rate:
        percent = pc.and_(pc.equal(scale, ""), pc.greater(pc.abs(value), 1.0))
        value = pc.if_else(percent, compose(pc.subtract(exp, 2)), value)
    ok = pc.and_(matched, pc.fill_null(pc.is_finite(value), False))
    out = pc.if_else(ok, value, pa.scalar(None, pa.float64()))
    out = pc.if_else(empty, pa.scalar(None, pa.float64()), out)
    problems = pc.and_(pc.invert(empty), pc.is_null(out))
    return out, pc.fill_null(problems, False)


def parse_number_array(a: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Vectorized :func:`parse_number`: (float64 array, problem mask)."""
    return _number_array(a, rate=False)


def parse_rate_array(a: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Vectorized :func:`parse_rate`: (float64 array of fractions, problem mask)."""
    return _number_array(a, rate=True)


def parse_int_array(a: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Vectorized :func:`parse_int`: (int64 array, problem mask)."""
    values, problems = _number_array(a, rate=False)
    whole = pc.and_(pc.equal(values, pc.floor(values)), pc.less(pc.abs(values), float(2**53)))
    whole = pc.fill_null(whole, False)
    bad = pc.and_(pc.is_valid(values), pc.invert(whole))
    ints = pc.cast(pc.if_else(whole, values, pa.scalar(None, pa.float64())), pa.int64())
    return ints, pc.or_(problems, pc.fill_null(bad, False))


# --------------------------------------------------------------------------------------------
# Canonical labels
# --------------------------------------------------------------------------------------------

#: canonical label -> rating (docs/contract.md §5).
_RATING_OF_LABEL = {label: rating for rating, label in RATING_LABELS.items()}

LABEL_KINDS = (
    "appeal_type",
    "hotline_status",
    "case_status",
    "rating_label",
    "category",
    "channel",
)

_KIND_WORDS = {
    "appeal_type": "appeal type (诉求类型)",
    "hotline_status": "order status (办理状态)",
    "case_status": "case status (办件状态)",
    "rating_label": "rating (满意度)",
}


def canonical_label(kind: str, s: object) -> str | None:
    """The canonical value of a label cell of ``kind``; None when empty; ValueProblem if unknown."""
    if kind not in LABEL_KINDS:
        raise KeyError(f"unknown label kind {kind!r}; expected one of {', '.join(LABEL_KINDS)}")
    if is_empty_marker(s):
        return None
    text = normalize_text(s)
    assert text is not None  # is_empty_marker covers None
    if kind == "channel":
        # Latin letters case-folded to one form: qq, Qq and QQ are one channel (QQ).
        return _LATIN_RUN.sub(lambda m: m.group().upper(), text)
    if kind == "category":
        # 民生保障类 -> 民生保障; a lone '类' is kept rather than emptied.
        return text[:-1].rstrip() if text.endswith("类") and len(text) > 1 else text
    key = normalize_header(text)
    found = vocab.labels(kind).get(key)
    if found is None:
        known = ", ".join(sorted(set(vocab.labels(kind).values())))
        raise ValueProblem(f"{s!r} is not a known {_KIND_WORDS[kind]}; known values: {known}")
    return found


def canonical_label_array(kind: str, a: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Vectorized :func:`canonical_label`: (string array, problem mask), one lookup per value."""
    a = as_string_array(a)

    def one(v: str | None) -> tuple[str | None, bool]:
        try:
            return canonical_label(kind, v), False
        except ValueProblem:
            return None, True

    encoded = a.dictionary_encode()
    results = [one(v) for v in encoded.dictionary.to_pylist()]
    labels = pa.array([r[0] for r in results], pa.string())
    flags = pa.array([r[1] for r in results], pa.bool_())
    out = pc.take(labels, encoded.indices)
    problems = pc.fill_null(pc.take(flags, encoded.indices), False)
    return out, problems


def rating_from_label(label: object) -> int | None:
    """5 for 非常满意 … 1 for 非常不满意 (any known form); None when empty; else ValueProblem."""
    canonical = canonical_label("rating_label", label)
    return None if canonical is None else _RATING_OF_LABEL[canonical]
