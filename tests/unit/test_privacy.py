"""Privacy: phone, ID and landline masks (scalar and vectorized) and keyed hashes."""

from __future__ import annotations

import hmac
import re

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdw import privacy

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Digit-bounded forms of the three patterns: what must never survive masking.
_LEAKS = [
    re.compile(rf"(?<![0-9]){p}(?![0-9])", re.ASCII)
    for p in (privacy.MOBILE, privacy.ID18, privacy.LANDLINE)
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "139****5678"),
        ("电话13912345678，请回电", "电话139****5678，请回电"),
        ("身份证11010519491231002X", "身份证110105********002X"),
        ("身份证110105194912310021。", "身份证110105********0021。"),
        ("座机010-12345678", "座机010-********"),
        ("座机0991-1234567", "座机0991-********"),
        ("座机01012345678", "座机010********"),
        ("座机09911234567", "座机0991********"),
        ("13912345678,13912345679,13912345670", "139****5678,139****5679,139****5670"),
        ("工单GD2023040100012345已办结", "工单GD2023040100012345已办结"),
        ("编号139123456789不是手机", "编号139123456789不是手机"),
        ("2023-04-01 08:05 共143件", "2023-04-01 08:05 共143件"),
        ("", ""),
        (None, None),
        # A case number is not a phone number, whatever digits it holds.
        ("案件FZ19060401683已受理", "案件FZ19060401683已受理"),
        ("单号SL13912345678X", "单号SL13912345678X"),
        ("电话13912345678。", "电话139****5678。"),
    ],
)
def test_mask_text(raw: str | None, expected: str | None) -> None:
    """Numbers are masked where they stand alone; longer digit runs are left as they are."""
    assert privacy.mask_text(raw) == expected
    assert privacy.mask_text_array(pa.array([raw], pa.string())).to_pylist() == [expected]


_FILLER = st.text(alphabet="市民反映小区噪音请回电联系人张先生abcXYZ ,.;:，。-*()#", max_size=12)
_MOBILE = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
_ID = st.from_regex(r"\A[0-9]{17}[0-9Xx]\Z")
_LANDLINE = st.from_regex(r"\A0[0-9]{2,3}-?[0-9]{7,8}\Z")
_NUMBER = st.one_of(_MOBILE, _ID, _LANDLINE)


@FAST
@given(st.lists(st.tuples(_FILLER, _NUMBER), min_size=1, max_size=4), _FILLER)
def test_masks_remove_every_number(parts: list[tuple[str, str]], tail: str) -> None:
    """Generated text with phones, IDs and landlines between non-digits keeps none of them."""
    # Numbers must be separated by a non-digit for each to stand alone.
    text = "".join(f"{filler}|{number}|" for filler, number in parts) + tail
    masked = privacy.mask_text(text)
    assert masked is not None
    for leak in _LEAKS:
        assert leak.search(masked) is None, (text, masked)
    for _, number in parts:
        assert f"|{number}|" not in masked
    assert privacy.mask_text_array(pa.array([text])).to_pylist() == [masked]


_SAFE_DIGITS = st.one_of(
    st.from_regex(r"\A[0-9]{1,6}\Z"),
    st.from_regex(r"\A[0-9]{19,24}\Z"),
    st.from_regex(r"\AGD20[0-9]{14}\Z"),
)


@FAST
@given(st.lists(st.tuples(_FILLER, _SAFE_DIGITS), max_size=5), _FILLER)
def test_masks_leave_other_text_alone(parts: list[tuple[str, str]], tail: str) -> None:
    """Text without phone/ID/landline numbers comes back unchanged (order ids included)."""
    text = "".join(f"{filler}|{digits}|" for filler, digits in parts) + tail
    assert privacy.mask_text(text) == text
    assert privacy.mask_text_array(pa.array([text])).to_pylist() == [text]


@FAST
@given(st.lists(st.one_of(st.none(), st.text(alphabet="0123456789-Xx 电话|", max_size=40))))
def test_mask_vectorized_equals_scalar(cells: list[str | None]) -> None:
    """mask_text_array gives mask_text for every cell, on arbitrary digit soup."""
    expected = [privacy.mask_text(c) for c in cells]
    assert privacy.mask_text_array(pa.array(cells, pa.string())).to_pylist() == expected


def test_keyed_hash() -> None:
    """Same person, same key -> same hash; spacing and width do not matter; nulls stay null."""
    values = pa.array(["139 1234-5678", "13912345678", "１３９１２３４５６７８", None, "-", "张三"])
    out = privacy.keyed_hash(values, b"k1").to_pylist()
    assert out[0] == out[1] == out[2]
    assert len(out[0]) == 32
    assert re.fullmatch(r"[0-9a-f]{32}", out[0])
    assert out[3] is None
    assert out[4] is None
    assert out[5] != out[0]
    other_key = privacy.keyed_hash(values, b"k2").to_pylist()
    assert other_key[0] != out[0]
    # HMAC-SHA256 of the normalised value, first 32 hex characters.
    assert out[0] == hmac.digest(b"k1", b"13912345678", "sha256").hex()[:32]
    assert privacy.keyed_hash_one("张三", b"k1") == out[5]
