"""Text normalisation: trim, full-width -> half-width, traditional -> simplified script, spaces.

Scalar functions for single cells and a vectorized twin over pyarrow string arrays that gives
exactly the scalar result for every element. The bottom of the library: no first-party imports.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Full-width ASCII block (！ … ～) -> ASCII, ideographic space -> space.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULLWIDTH_CLASS = "[\uff01-\uff5e\u3000]"

#: Horizontal whitespace collapsed to one space. Listed explicitly because Python's and RE2's
#: ``\s`` disagree on non-ASCII spaces, and the scalar and vectorized paths must agree.
_HSPACE = " \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff"
_HSPACE_RUN = f"[{_HSPACE}]+"
#: Trimmed from both ends: horizontal space plus line breaks.
TRIM = f"^[{_HSPACE}\r\n]+|[{_HSPACE}\r\n]+$"
ALL_SPACE = f"[{_HSPACE}\r\n]+"
_HEADER_DROP = f"[{_HSPACE}\r\n()（）:：*#]+"

_HSPACE_RE = re.compile(_HSPACE_RUN)
TRIM_RE = re.compile(TRIM)
ALL_SPACE_RE = re.compile(ALL_SPACE)
_HEADER_DROP_RE = re.compile(_HEADER_DROP)
_FULLWIDTH_RE = re.compile(_FULLWIDTH_CLASS)


@functools.cache
def _t2s() -> Any:
    """The OpenCC traditional -> simplified converter, built once per process."""
    import opencc

    return opencc.OpenCC("t2s")


def _in_simplified_standard(ch: str) -> bool:
    """Whether a character belongs to GB 2312, the simplified standard (乾 of 乾城, 於 …)."""
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


@functools.cache
def _script_classes() -> tuple[str, str]:
    """Regex character classes: (every CJK character t2s changes, the traditional-only ones).

    A traditional-only character is one t2s changes that is no simplified character of its own
    (not in GB 2312): 區, 陽, 樓 are; 乾 (乾城, 乾隆), 於 (a surname) and 後 are not.
    """
    chars = [chr(i) for i in [*range(0x3400, 0xA000), *range(0xF900, 0xFB00)]]
    converted = _t2s().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - defensive: OpenCC changed line handling
        converted = [_t2s().convert(c) for c in chars]
    changed = [c for c, s in zip(chars, converted, strict=True) if c != s]
    only = [c for c in changed if not _in_simplified_standard(c)]
    return f"[{''.join(changed)}]", f"[{''.join(only)}]"


def _traditional_class() -> str:
    """The traditional-only characters. Text is converted only where it holds one: a cell on its
    own, or any cell of a column (a traditional export writes 於 for 于 too). A simplified place
    name such as 乾城 is left as written. Text without one skips OpenCC entirely, which is what
    makes the check cheap."""
    return _script_classes()[1]


@functools.cache
def _traditional_re() -> re.Pattern[str]:
    return re.compile(_traditional_class())


def _to_simplified(s: str) -> str:
    if _traditional_re().search(s) is None:
        return s
    return str(_t2s().convert(s))


def has_traditional(texts: Iterable[str | None]) -> bool:
    """True when any of the texts holds a traditional-script character (check a sample)."""
    pattern = _traditional_re()
    return any(t is not None and pattern.search(t) is not None for t in texts)


def normalize_text(s: object, *, convert_script: bool = True) -> str | None:
    """Trim, full-width -> half-width, traditional -> simplified, collapse spaces; '' -> None."""
    if s is None:
        return None
    text = s if isinstance(s, str) else str(s)
    text = text.translate(FULLWIDTH)
    if convert_script:
        text = _to_simplified(text)
    text = _HSPACE_RE.sub(" ", text)
    text = TRIM_RE.sub("", text)
    return text or None


def normalize_header(s: object) -> str:
    """Header form used for matching: normalize_text without any whitespace or ()（）:：*#."""
    text = normalize_text(s)
    if text is None:
        return ""
    return _HEADER_DROP_RE.sub("", text)


# --- vectorized --------------------------------------------------------------------------------


def as_string_array(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A plain (non-chunked) string array, whatever string-like type came in."""
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks() if a.num_chunks else pa.array([], pa.string())
    if pa.types.is_dictionary(a.type):
        a = a.cast(a.type.value_type)
    if not pa.types.is_string(a.type):
        a = a.cast(pa.string())
    return a


def map_distinct(
    a: pa.Array, mask: pa.Array, fn: Callable[[str], Any], out_type: pa.DataType
) -> pa.Array:
    """Apply a Python function to the rows where ``mask`` is true, once per distinct value.

    The other rows are returned as they are (``a`` must already have type ``out_type``).
    """
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return a
    subset = pc.filter(a, mask).dictionary_encode()
    mapped = pa.array([fn(v) for v in subset.dictionary.to_pylist()], out_type)
    replacements = pc.take(mapped, subset.indices)
    return pc.replace_with_mask(a, mask, replacements)


def _fullwidth_present(a: pa.Array) -> list[str]:
    """The full-width characters that occur in ``a`` (a superset when ``a`` is a slice).

    Scans the UTF-8 data buffer with numpy instead of testing 95 characters one by one: Chinese
    free text nearly always holds full-width punctuation (，：（）), so this runs on most columns.
    """
    buffers = a.buffers()
    if len(buffers) < 3 or buffers[2] is None or a.null_count == len(a):
        return []
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    if data.size < 3:
        return []
    first, second, third = data[:-2], data[1:-1], data[2:]
    # U+FF01..U+FF5E is EF BC 81..EF BD 9E; U+3000 is E3 80 80.
    found = set()
    lead = np.flatnonzero((first == 0xEF) & ((second == 0xBC) | (second == 0xBD)))
    if lead.size:
        codes = np.unique((second[lead].astype(np.int64) << 8) | third[lead])
        for code in codes.tolist():
            try:
                ch = bytes([0xEF, code >> 8, code & 0xFF]).decode("utf-8")
            except UnicodeDecodeError:
                continue
            if 0xFF01 <= ord(ch) <= 0xFF5E:
                found.add(ch)
    if np.any((first == 0xE3) & (second == 0x80) & (third == 0x80)):
        found.add("\u3000")
    return sorted(found)


def fullwidth_array(a: pa.Array) -> pa.Array:
    for ch in _fullwidth_present(a):
        a = pc.replace_substring(a, ch, chr(FULLWIDTH[ord(ch)]))
    return a


#: Rows that need whitespace work: a run of 2+ spaces, an unusual space, or space at either end.
_SPACE_WORK = f"[{_HSPACE}]{{2,}}|[{_HSPACE.replace(' ', '')}]|^[{_HSPACE}\r\n]|[{_HSPACE}\r\n]$"


def normalize_text_array(
    a: pa.Array | pa.ChunkedArray, *, convert_script: bool = True, traditional: bool = False
) -> pa.Array:
    """Vectorized :func:`normalize_text` over a string array (string result, '' -> null).

    Script: the array is converted when it holds a traditional-only character, or when the
    caller knows its text is traditional (`traditional`, e.g. a traditional sheet); then every
    cell with a character t2s changes is converted (於 beside 區 and 陽 is the traditional 于).
    """
    a = as_string_array(a)
    a = fullwidth_array(a)
    if convert_script and (
        traditional or pc.any(pc.match_substring_regex(a, _traditional_class())).as_py()
    ):
        mask = pc.match_substring_regex(a, _script_classes()[0])
        a = map_distinct(a, mask, lambda s: str(_t2s().convert(s)), pa.string())
    if pc.any(pc.match_substring_regex(a, _SPACE_WORK)).as_py():
        a = pc.replace_substring_regex(a, _HSPACE_RUN, " ")
        a = pc.replace_substring_regex(a, TRIM, "")
    return pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.string()), a)
