"""Column roles from header parts and values (issue 9): a table of real-world header strings."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from govdw import roles

TABLE = Path(__file__).resolve().parents[1] / "data" / "header_roles.csv"


def _rows() -> list[tuple[str, str, str]]:
    lines = [line for line in TABLE.read_text("utf-8").splitlines() if not line.startswith("#")]
    return [(d, h, r) for d, h, r in csv.reader(lines)]


ROWS = _rows()


def test_the_table_is_large_and_covers_every_landed_role() -> None:
    assert len(ROWS) >= 80
    covered = {role for _, _, role in ROWS}
    for role in (
        "source_order_id",
        "received_at",
        "dispatched_at",
        "accepted_at",
        "due_at",
        "closed_at",
        "closed_flag",
        "handling_unit",
        "appeal_type",
        "category",
        "channel",
        "admin_level",
        "status",
        "satisfaction_label",
        "content",
        "caller_name",
        "caller_phone",
        "source_case_id",
        "accepted_at",
        "completed_at",
        "department",
        "source_evaluation_id",
        "evaluated_at",
        "rating_label",
        "comment",
    ):
        assert role in covered, role


@pytest.mark.parametrize(("dataset", "header", "role"), ROWS, ids=[f"{d}:{h}" for d, h, _ in ROWS])
def test_header_role(dataset: str, header: str, role: str) -> None:
    guess = roles.header_role(header, dataset)
    assert guess.role == (None if role == "-" else role), guess.evidence
    if guess.role is not None:
        assert 0.5 <= guess.score <= 1.0
        assert guess.evidence


def test_unit_in_brackets_is_split_off() -> None:
    parts = roles.split_header("办件量（万件）")
    assert parts.unit == "万件"
    assert parts.key == "办件量"
    assert roles.split_header("办结率(%)").unit == "%"
    # Brackets that are no unit stay part of the header.
    assert roles.split_header("受理日期（年/月/日）").unit is None


def test_time_role_needs_dates_in_the_values() -> None:
    guess = roles.header_role("留言时间", "hotline")
    dates = roles.value_evidence(["2019/4/25 9:32:09", "2019-04-26", "2019年4月27日", None])
    assert roles.decide(guess, dates, "hotline").role == "received_at"
    words = roles.value_evidence(["上午", "下午", "晚上", "上午"])
    rejected = roles.decide(guess, words, "hotline")
    assert rejected.role is None
    assert any("not dates" in line for line in rejected.evidence)


def test_values_decide_appeal_type_or_category() -> None:
    guess = roles.header_role("性质", "hotline")
    appeal = roles.value_evidence(["投诉", "咨询", "求助", "建议", "投诉"])
    decided = roles.decide(guess, appeal, "hotline")
    assert decided.role == "appeal_type"
    assert decided.score > guess.score
    topics = roles.value_evidence(["城乡建设", "教育文体", "交通运输", "卫生计生"])
    assert roles.decide(guess, topics, "hotline").role == "category"


def test_values_alone_name_a_column_with_an_unknown_header() -> None:
    unknown = roles.header_role("XYZ", "hotline")
    assert unknown.role is None
    decided = roles.decide(unknown, roles.value_evidence(["投诉", "咨询", "求助"] * 5), "hotline")
    assert decided.role == "appeal_type"
    assert decided.score < 0.7


def test_closed_flag_needs_yes_no_values() -> None:
    guess = roles.header_role("是否办结", "hotline")
    assert roles.decide(guess, roles.value_evidence(["是", "否", "是"]), "hotline").role == (
        "closed_flag"
    )
    assert roles.decide(guess, roles.value_evidence(["张三", "李四"]), "hotline").role is None


def test_ids_must_be_distinct() -> None:
    guess = roles.header_role("留言编号", "hotline")
    ids = roles.value_evidence([f"FZ1906040{i:04d}" for i in range(50)])
    assert roles.decide(guess, ids, "hotline").role == "source_order_id"
    assert roles.decide(guess, roles.value_evidence(["1", "1", "2", "1"] * 5), "hotline").role is (
        None
    )


def test_subject_votes_name_the_dataset() -> None:
    votes = roles.subject_votes(["留言编号", "留言用户", "留言时间", "一级分类"])
    assert max(votes, key=lambda k: votes[k]) == "hotline"
    assert roles.subject_votes(["办件编号", "事项名称"]) == {"service": 1}


def test_bare_numbers_are_no_evidence_of_dates() -> None:
    """Numeric ids (37042) parse as Excel serials, yet a column of them is no date column."""
    assert roles.value_evidence(["37042", "37043", "41000"]).date_share == 0
    assert roles.value_evidence(["43466.5", "20230401", "2019/4/25 9:32:09"]).date_share == 1
