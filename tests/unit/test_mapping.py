"""Classification, header mapping and typed landing tables (privacy, labels, cell issues)."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from govdw import datasets, privacy, settings
from govdw.mapping import Lineage, build_detail, classify, map_columns
from govdw.tables import Column, locate_tables
from tests.unit.test_tables import Sheet, grid

LINEAGE = Lineage("h", "653024/a.xlsx", "653024", None, datetime(2023, 5, 5))


def cols(*headers: str) -> list[Column]:
    """Single-row header columns."""
    from govdw.text import normalize_header

    return [Column(i, h, normalize_header(h)) for i, h in enumerate(headers)]


def test_classify_detail_and_summary() -> None:
    """Vocabulary decides the dataset; a subject column plus metrics makes a summary table."""
    assert classify(cols("工单编号", "受理时间", "承办单位", "诉求类型")) == "hotline"
    assert classify(cols("办件编号", "事项名称", "受理时间", "办结时间")) == "service"
    assert classify(cols("评价编号", "评价时间", "评价渠道", "评价等级")) == "evaluation"
    assert classify(cols("序号", "单位", "承办量", "办结量", "督办次数")) == "summary"
    assert classify(cols("层级", "评价总数", "非常满意", "满意")) == "summary"
    assert classify(cols("甲", "乙")) is None


def test_classify_tie_uses_hint() -> None:
    """受理时间 + 办结时间 fit hotline and service alike: the title decides."""
    headers = cols("受理时间", "办结时间")
    assert classify(headers, "政务服务大厅办件明细") == "service"
    assert classify(headers, "12345热线工单") == "hotline"


def test_map_columns_duplicates_and_unmapped() -> None:
    """The first of two headers for one column wins; unknown headers are listed."""
    m = map_columns(cols("序号", "工单编号", "编号", "备用字段"), "hotline")
    assert m.columns == {1: "source_order_id"}
    assert m.unmapped == ["备用字段"]
    assert m.not_stored == {"编号": "source_order_id (already taken by another column)"}


def test_build_hotline_orders_privacy_labels_and_issues() -> None:
    """Parsed values, PII dropped and hashed, text masked, bad cells become cell_issues rows."""
    rows = [
        [
            "工单编号",
            "受理时间",
            "诉求类型",
            "热点分类",
            "办理状态",
            "来电人",
            "联系电话",
            "身份证号",
            "诉求内容",
            "督办次数",
            "是否重办",
            "承办层级",
        ],
        [
            "GD1",
            "2023年4月1日 8:05",
            "求助类",
            "民生保障类",
            "办结",
            "张三",
            "13912345678",
            "110101199001011234",
            "电话13912345678",
            "2",
            "是",
            "下级",
        ],
        ["ＧＤ２", "不详", "乱码", "公共服务类", "-", "李四", None, None, "无", "x", "否", "本级"],
    ]
    (table,) = locate_tables(Sheet("明细", 0, False, grid(rows)))
    mapping = map_columns(table.columns, "hotline")
    orders, issues = build_detail(table, mapping, LINEAGE)
    assert orders.schema == datasets.HOTLINE.schema
    got = orders.select(
        [
            "source_row",
            "source_order_id",
            "received_at",
            "appeal_type",
            "category",
            "status",
            "supervised_count",
            "is_redone",
            "admin_level",
            "content_masked",
        ]
    ).to_pylist()
    assert got == [
        {
            "source_row": 2,
            "source_order_id": "GD1",
            "received_at": datetime(2023, 4, 1, 8, 5),
            "appeal_type": "求助",
            "category": "民生保障",
            "status": "已办结",
            "supervised_count": 2,
            "is_redone": True,
            "admin_level": "下级",
            "content_masked": privacy.mask_text("电话13912345678"),
        },
        {
            "source_row": 3,
            "source_order_id": "GD2",
            "received_at": None,
            "appeal_type": None,
            "category": "公共服务",
            "status": None,
            "supervised_count": None,
            "is_redone": False,
            "admin_level": "本级",
            "content_masked": None,
        },
    ]
    keys = privacy.keyed_hash(pa.array(["13912345678", "李四"]), settings.pii_key())
    assert orders.column("caller_key").to_pylist() == keys.to_pylist()
    assert "13912345678" not in str(orders.to_pylist())
    assert issues.select(["source_row", "column_name", "target_column", "value"]).to_pylist() == [
        {
            "source_row": 3,
            "column_name": "受理时间",
            "target_column": "received_at",
            "value": "不详",
        },
        {
            "source_row": 3,
            "column_name": "诉求类型",
            "target_column": "appeal_type",
            "value": "乱码",
        },
        {
            "source_row": 3,
            "column_name": "督办次数",
            "target_column": "supervised_count",
            "value": "x",
        },
    ]


def test_build_evaluations_rating_from_label_or_number() -> None:
    """评价等级 as a label or a number gives rating and rating_label; evaluator columns vanish."""
    rows = [
        ["评价时间", "评价渠道", "评价等级", "评价人", "评价内容"],
        ["2023-04-02 10:00:00", "政务服务网", "非常满意", "王五", "好"],
        ["2023-04-03", "短信", "2", "赵六", "慢,电话0951-1234567"],
    ]
    (table,) = locate_tables(Sheet("评价", 0, False, grid(rows)))
    ev, issues = build_detail(table, map_columns(table.columns, "evaluation"), LINEAGE)
    assert ev.schema == datasets.EVALUATION.schema
    assert ev.select(["rating", "rating_label", "channel"]).to_pylist() == [
        {"rating": 5, "rating_label": "非常满意", "channel": "政务服务网"},
        {"rating": 2, "rating_label": "不满意", "channel": "短信"},
    ]
    assert ev.column("comment_masked").to_pylist()[1] == privacy.mask_text("慢,电话0951-1234567")
    assert "王五" not in str(ev.to_pylist())
    assert issues.num_rows == 0
