"""Value parsing: text normalisation, dates, numbers, rates, labels; scalar and vectorized agree."""

from __future__ import annotations

import contextlib
import math
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdw import text as tx
from govdw import values as v
from govdw import vocab

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  岳陽樓區　ＡＢＣ１２３  x  ", "岳阳楼区 ABC123 x"),
        ("辦結（已完成）", "办结(已完成)"),
        ("a \t\u00a0 b", "a b"),
        ("", None),
        ("   ", None),
        (None, None),
        ("-", "-"),  # empty markers are not nulled by normalize_text
        ("line1\nline2", "line1\nline2"),
        (143, "143"),
    ],
)
def test_normalize_text(raw: object, expected: str | None) -> None:
    """Trim, half-width, simplified, collapsed spaces; '' -> None."""
    assert tx.normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("办结时间（日期）：*", "办结时间日期"),
        (" 工 单 编 號 ", "工单编号"),
        ("#序号", "序号"),
        (None, ""),
    ],
)
def test_normalize_header(raw: object, expected: str) -> None:
    """Headers lose all whitespace and ()（）:：*#."""
    assert tx.normalize_header(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, True),
        ("", True),
        ("  ", True),
        ("-", True),
        ("—", True),
        ("／", True),
        ("无", True),
        ("n/a", True),
        ("NULL", True),
        ("0", False),
        ("无锡", False),
        ("無", True),
        ("未回访", True),
    ],
)
def test_is_empty_marker(raw: object, expected: bool) -> None:
    """Placeholders for 'no value' are recognised, real values are not."""
    assert v.is_empty_marker(raw) is expected


def test_has_traditional() -> None:
    """Traditional characters are found in a sample; simplified text is not flagged."""
    assert tx.has_traditional(["工单", None, "辦結"]) is True
    assert tx.has_traditional(["工单", None, "办结", "ABC"]) is False


def test_normalize_text_array_examples() -> None:
    """The vectorized normaliser gives the scalar results, nulls included."""
    raw = ["  岳陽樓區　ＡＢＣ１２３  x  ", "", None, " a ", "辦結，好", "plain"]
    out = tx.normalize_text_array(pa.array(raw))
    assert out.to_pylist() == ["岳阳楼区 ABC123 x", None, None, "a", "办结,好", "plain"]
    kept = tx.normalize_text_array(pa.array(["辦結 "]), convert_script=False)
    assert kept.to_pylist() == ["辦結"]


def test_normalize_text_array_accepts_chunked_and_large_string() -> None:
    """Chunked and large_string input is accepted and returns a plain string array."""
    chunked = pa.chunked_array(
        [pa.array(["ａ"], pa.large_string()), pa.array([" b"], pa.large_string())]
    )
    out = tx.normalize_text_array(chunked)
    assert out.type == pa.string()
    assert out.to_pylist() == ["a", "b"]


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-04-01 08:05:00", datetime(2023, 4, 1, 8, 5)),
        ("2023-04-01", datetime(2023, 4, 1)),
        ("2023-04-01T08:05:07", datetime(2023, 4, 1, 8, 5, 7)),
        ("2023-04-01 08:05:07.250", datetime(2023, 4, 1, 8, 5, 7, 250000)),
        ("2023年4月1日 8:05", datetime(2023, 4, 1, 8, 5)),
        ("2023年4月1日", datetime(2023, 4, 1)),
        ("2023年4月1日8时5分", datetime(2023, 4, 1, 8, 5)),
        ("2023/4/1 8:05", datetime(2023, 4, 1, 8, 5)),
        ("2023/4/1 8:05:07", datetime(2023, 4, 1, 8, 5, 7)),
        ("2023.4.1", datetime(2023, 4, 1)),
        ("20230401", datetime(2023, 4, 1)),
        ("20230401 080500", datetime(2023, 4, 1, 8, 5)),
        ("45017", datetime(2023, 4, 1)),
        ("45017.3472", datetime(2023, 4, 1, 8, 19, 58)),
        (45017.5, datetime(2023, 4, 1, 12)),
        ("２０２３－０４－０１　０８：０５", datetime(2023, 4, 1, 8, 5)),
        (" 2023-04-01 ", datetime(2023, 4, 1)),
        (datetime(2023, 4, 1, 8, 5), datetime(2023, 4, 1, 8, 5)),
        (date(2023, 4, 1), datetime(2023, 4, 1)),
        (20230401, datetime(2023, 4, 1)),
        ("2023-04-01T08:05:00+08:00", datetime(2023, 4, 1, 8, 5)),
        ("-", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(raw: object, expected: datetime | None) -> None:
    """Every shape seen in exports gives the same wall-clock time."""
    assert v.parse_datetime(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2023-02-30",
        "2023-13-01",
        "2023-04-01 24:00",
        "2023-04-01 08:05:60",
        "143",
        "abc",
        "0203-04-01",
        "2023-4",
        "99999",
    ],
)
def test_parse_datetime_rejects(raw: str) -> None:
    """Impossible dates, small numbers and words raise ValueProblem naming the value."""
    with pytest.raises(v.ValueProblem, match=raw.replace(".", r"\.")):
        v.parse_datetime(raw)


def test_parse_datetime_array_examples() -> None:
    """Vectorized parse: values, nulls for empty markers, problems for unreadable cells."""
    raw = [
        "2023-04-01 08:05:00",
        "2023-4-1",
        "2023-02-30",
        "45017.3472",
        "x",
        "-",
        None,
        "20230401",
        "2023年4月1日 8时5分",
        "2023-02-30 00:00:00",
        "2023-04-01 08:05:60",
    ]
    out, problems = v.parse_datetime_array(pa.array(raw))
    assert out.type == pa.timestamp("us")
    assert out.to_pylist() == [
        datetime(2023, 4, 1, 8, 5),
        datetime(2023, 4, 1),
        None,
        datetime(2023, 4, 1, 8, 19, 58),
        None,
        None,
        None,
        datetime(2023, 4, 1),
        datetime(2023, 4, 1, 8, 5),
        None,
        None,
    ]
    assert problems.to_pylist() == [
        False,
        False,
        True,
        False,
        True,
        False,
        False,
        False,
        False,
        True,
        True,
    ]


_DT = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 12, 31, 23, 59, 59))
_SHAPES = [
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S"),
    lambda d: f"{d.year}/{d.month}/{d.day} {d.hour}:{d.minute:02d}:{d.second:02d}",
    lambda d: f"{d.year}年{d.month}月{d.day}日 {d.hour}:{d.minute:02d}:{d.second:02d}",
    lambda d: d.strftime("%Y%m%d %H%M%S"),
    lambda d: d.strftime("%Y-%m-%dT%H:%M:%S"),
]
_DATE_SHAPES = [
    lambda d: d.strftime("%Y-%m-%d"),
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: d.strftime("%Y%m%d"),
]


@FAST
@given(_DT, st.sampled_from(range(len(_SHAPES))))
def test_datetime_round_trip(d: datetime, shape: int) -> None:
    """A random time written in each text shape parses back to itself (scalar and vectorized)."""
    d = d.replace(microsecond=0)
    text = _SHAPES[shape](d)
    assert v.parse_datetime(text) == d
    out, problems = v.parse_datetime_array(pa.array([text]))
    assert out.to_pylist() == [d]
    assert problems.to_pylist() == [False]


@FAST
@given(_DT, st.sampled_from(range(len(_DATE_SHAPES))))
def test_date_round_trip(d: datetime, shape: int) -> None:
    """A random date written in each date shape parses back to midnight of that day."""
    day = datetime(d.year, d.month, d.day)
    text = _DATE_SHAPES[shape](day)
    assert v.parse_datetime(text) == day
    assert v.parse_datetime_array(pa.array([text]))[0].to_pylist() == [day]


@FAST
@given(_DT)
def test_excel_serial_round_trip(d: datetime) -> None:
    """datetime -> Excel serial (shortest float repr) -> datetime is exact to the second."""
    d = d.replace(microsecond=0)
    delta = d - v.EXCEL_EPOCH
    serial = delta.days + delta.seconds / 86400
    assert v.parse_datetime(serial) == d
    assert v.parse_datetime(repr(serial)) == d
    assert v.parse_datetime_array(pa.array([repr(serial)]))[0].to_pylist() == [d]


# --------------------------------------------------------------------------------------------
# Numbers and rates
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234", 1234.0),
        ("1,234.5", 1234.5),
        ("1.2万", 12000.0),
        ("5萬", 50000.0),
        ("25.6万件", 256000.0),
        ("143件", 143.0),
        ("88.65%", 0.8865),
        ("１２３", 123.0),
        ("-12", -12.0),
        ("0.8865", 0.8865),
        ("1e-05", 1e-05),
        ("3.2亿", 320000000.0),
        ("5 个工作日", 5.0),
        (" 1 234 ", 1234.0),
        (7, 7.0),
        (0.5, 0.5),
        ("-", None),
        ("无", None),
        (None, None),
    ],
)
def test_parse_number(raw: object, expected: float | None) -> None:
    """Separators, 万/亿, units and percent signs are read as people mean them."""
    assert v.parse_number(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1,23", "12件件", "1.2.3", "%", "1" * 400, "--5"])
def test_parse_number_rejects(raw: str) -> None:
    """Text that is not a number raises ValueProblem."""
    with pytest.raises(v.ValueProblem):
        v.parse_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("88.65%", 0.8865),
        (0.8865, 0.8865),
        ("0.8865", 0.8865),
        ("88.65", 0.8865),
        ("100%", 1.0),
        ("100", 1.0),
        ("1", 1.0),
        ("50.00%", 0.5),
        ("-", None),
    ],
)
def test_parse_rate(raw: object, expected: float | None) -> None:
    """Rates become fractions; a bare number above 1 is a percentage."""
    assert v.parse_rate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("143", 143), ("143件", 143), ("1.2万", 12000), ("5.0", 5), ("-", None)]
)
def test_parse_int(raw: str, expected: int | None) -> None:
    """Whole numbers only."""
    assert v.parse_int(raw) == expected


def test_parse_int_rejects_fraction() -> None:
    """A fraction is not a count."""
    with pytest.raises(v.ValueProblem, match="whole number"):
        v.parse_int("3.5")


def test_number_arrays_examples() -> None:
    """Vectorized number, rate and int parsers with their problem masks."""
    raw = pa.array(["1,234", "1.2万", "88.65%", "１２３", "-", None, "abc", "88.65", "3.5"])
    nums, nprob = v.parse_number_array(raw)
    assert nums.to_pylist() == [1234.0, 12000.0, 0.8865, 123.0, None, None, None, 88.65, 3.5]
    assert nprob.to_pylist() == [False, False, False, False, False, False, True, False, False]
    rates, _ = v.parse_rate_array(raw)
    assert rates.to_pylist() == [12.34, 12000.0, 0.8865, 1.23, None, None, None, 0.8865, 0.035]
    ints, iprob = v.parse_int_array(raw)
    assert ints.type == pa.int64()
    assert ints.to_pylist() == [1234, 12000, None, 123, None, None, None, None, None]
    assert iprob.to_pylist() == [False, False, True, False, False, False, True, True, True]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0) or a == b


@FAST
@given(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    st.sampled_from(["plain", "thousands", "wan", "percent", "unit"]),
)
def test_number_round_trip(x: float, shape: str) -> None:
    """A number written with separators, 万, % or a unit parses back within 1e-9 relative."""
    if shape == "plain":
        text, expected = repr(x), x
    elif shape == "thousands":
        text, expected = f"{x:,.4f}", round(x, 4)
    elif shape == "wan":
        text, expected = f"{x / 10000:.8f}万", round(x / 10000, 8) * 10000
    elif shape == "percent":
        text, expected = f"{x:.6f}%", round(x, 6) / 100
    else:
        text, expected = f"{abs(round(x))}件", float(abs(round(x)))
    got = v.parse_number(text)
    assert got is not None
    assert _close(got, expected), (text, got, expected)
    vec, problems = v.parse_number_array(pa.array([text]))
    assert vec.to_pylist() == [got]
    assert problems.to_pylist() == [False]


# --------------------------------------------------------------------------------------------
# Vectorized == scalar on random input
# --------------------------------------------------------------------------------------------

_ALPHABET = "0123456789-/.:,%+eTZ 年月日时分秒万萬件个无無辦结岳陽１２３４０：－．　\u00a0\t\n"
_PIECES = st.sampled_from(
    [
        "2023-04-01",
        " 08:05:00",
        "2023年4月1日",
        "45017.3472",
        "20230401",
        "1,234",
        "88.65%",
        "1.2万",
        "143件",
        "-",
        "无",
        "N/A",
        "辦結",
        "２０２３",
        "　",
        ".",
        "e5",
        "2023-02-30",
        "9" * 12,
        "+08:00",
        "日",
        "未回访",
        "無",
        "T08:05",
    ]
)
_RANDOM_TEXT = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=24),
    st.lists(_PIECES, min_size=1, max_size=3).map("".join),
    st.none(),
)


def _scalar(fn, value):
    try:
        return fn(value), False
    except v.ValueProblem:
        return None, value is not None


@FAST
@given(st.lists(_RANDOM_TEXT, max_size=12))
def test_vectorized_equals_scalar(cells: list[str | None]) -> None:
    """Every vectorized parser gives, cell by cell, the scalar value and problem flag."""
    arr = pa.array(cells, pa.string())
    for scalar_fn, array_fn in [
        (v.parse_datetime, v.parse_datetime_array),
        (v.parse_number, v.parse_number_array),
        (v.parse_rate, v.parse_rate_array),
        (v.parse_int, v.parse_int_array),
    ]:
        values, problems = array_fn(arr)
        expected = [_scalar(scalar_fn, c) for c in cells]
        assert values.to_pylist() == [e[0] for e in expected], scalar_fn.__name__
        assert problems.to_pylist() == [e[1] for e in expected], scalar_fn.__name__
    assert tx.normalize_text_array(arr).to_pylist() == [tx.normalize_text(c) for c in cells]
    labels, flags = v.canonical_label_array("appeal_type", arr)
    expected_labels = [_scalar(lambda c: v.canonical_label("appeal_type", c), c) for c in cells]
    assert labels.to_pylist() == [e[0] for e in expected_labels]
    assert flags.to_pylist() == [e[1] for e in expected_labels]


@FAST
@given(st.one_of(st.text(max_size=30), _RANDOM_TEXT, st.floats(), st.integers()))
def test_scalar_parsers_raise_only_value_problem(cell: object) -> None:
    """Whatever the cell holds, parsers return or raise ValueProblem, nothing else."""
    for fn in (v.parse_datetime, v.parse_number, v.parse_rate, v.parse_int, v.rating_from_label):
        with contextlib.suppress(v.ValueProblem):
            fn(cell)


# --------------------------------------------------------------------------------------------
# Labels and vocab
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("appeal_type", "投诉类", "投诉"),
        ("appeal_type", "诉求", "求助"),
        ("appeal_type", " 其它 ", "其他"),
        ("hotline_status", "辦結", "已办结"),
        ("hotline_status", "延期办理", "办理中"),
        ("case_status", "准予许可", "已办结"),
        ("rating_label", "★★★★★", "非常满意"),
        ("rating_label", "一般", "基本满意"),
        ("rating_label", "4", "满意"),
        ("category", "民生保障类", "民生保障"),
        ("category", "交通出行", "交通出行"),
        ("channel", " 移動端 ", "移动端"),
        ("appeal_type", "-", None),
    ],
)
def test_canonical_label(kind: str, raw: str, expected: str | None) -> None:
    """Known label forms map to the canonical value of docs/contract.md §5."""
    assert v.canonical_label(kind, raw) == expected


def test_canonical_label_unknown() -> None:
    """An unknown label raises ValueProblem that names the value and the kind."""
    with pytest.raises(v.ValueProblem, match=r"'夸奖' is not a known appeal type"):
        v.canonical_label("appeal_type", "夸奖")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("非常满意", 5), ("满意", 4), ("基本满意", 3), ("不满意", 2), ("非常不满意", 1), ("", None)],
)
def test_rating_from_label(raw: str, expected: int | None) -> None:
    """Ratings follow 5 = 非常满意 … 1 = 非常不满意."""
    assert v.rating_from_label(raw) == expected


def test_vocab_lookups_are_normalised() -> None:
    """Vocab keys are in normalize_header form, so lookups are exact."""
    cols = vocab.columns("hotline")
    assert cols["source_order_id"][:2] == ["工单编号", "工单号"]
    assert "办理情况/办结日期" in cols["closed_at"]
    assert vocab.columns("hotline_orders") == cols
    assert vocab.summary_metrics()["及时接收率"] == "receipt_rate"
    assert vocab.summary_metrics()["超期30天以上工单数"] == "orders_overdue"
    assert vocab.labels("appeal_type")["投诉件"] == "投诉"
    assert vocab.totals_words()[:3] == ("合计", "总计", "小计")
    assert "注:" in vocab.footnote_prefixes()
    assert "单位" in vocab.subject_headers()
    assert vocab.ignore_headers() == ("序号", "排名", "备注", "占比")
    with pytest.raises(KeyError, match="unknown dataset"):
        vocab.columns("nope")


def test_serial_range_limits() -> None:
    """Serials outside 1990-2100 are not dates."""
    low = (datetime(1990, 1, 1) - v.EXCEL_EPOCH).days
    assert v.parse_datetime(str(low)) == datetime(1990, 1, 1)
    with pytest.raises(v.ValueProblem, match="outside 1990-2100"):
        v.parse_datetime(str(low - 1))
    assert v.parse_datetime(low + 0.25) == datetime(1990, 1, 1) + timedelta(hours=6)


# --- issue 9: real value shapes ---------------------------------------------------------------


def test_year_last_dates_are_month_first_unless_the_column_says_day_first() -> None:
    us = ["12/16/2016", "4/25/2019 9:32:09", "03/04/2016"]
    out, problems = v.parse_datetime_array(pa.array(us))
    assert [str(v) for v in out.to_pylist()] == [
        "2016-12-16 00:00:00",
        "2019-04-25 09:32:09",
        "2016-03-04 00:00:00",
    ]
    assert not any(problems.to_pylist())
    # A first part above 12 somewhere: this column writes the day first.
    european = ["16/12/2016", "03/04/2016"]
    out, _ = v.parse_datetime_array(pa.array(european))
    assert [str(v.date()) for v in out.to_pylist()] == ["2016-12-16", "2016-04-03"]
    assert v.parse_datetime("12/16/2016 9:32") == datetime(2016, 12, 16, 9, 32)
    assert v.parse_datetime("2019年4月25日") == datetime(2019, 4, 25)
    assert v.parse_datetime("2019/4/25 9:32:09") == datetime(2019, 4, 25, 9, 32, 9)


def test_script_is_converted_only_where_the_text_is_traditional() -> None:
    assert tx.normalize_text("乾城") == "乾城"  # a simplified place name stays as written
    assert tx.normalize_text("岳陽樓區") == "岳阳楼区"
    # A simplified column keeps 乾 and 於; in a traditional column 於 is the traditional 于.
    assert tx.normalize_text_array(pa.array(["乾城", "于明"])).to_pylist() == ["乾城", "于明"]
    assert tx.normalize_text_array(pa.array(["於明", "岳陽樓區"])).to_pylist() == [
        "于明",
        "岳阳楼区",
    ]


def test_channels_are_case_folded() -> None:
    assert {v.canonical_label("channel", c) for c in ("qq", "QQ", "Qq")} == {"QQ"}
    assert v.canonical_label("channel", "微信") == "微信"


def test_letter_and_message_statuses() -> None:
    """Letter and message-board exports say 已回复 / 待处理 where hotlines say 已办结 / 办理中."""
    for closed in ("已回复", "已答复", "已处理", "已反馈"):
        assert v.canonical_label("hotline_status", closed) == "已办结"
    for still_open in ("待处理", "未回复", "待回复", "已转办", "已签收"):
        assert v.canonical_label("hotline_status", still_open) == "办理中"
