"""Issue 9: not tuned to the shared files' headers. Copies of two real exports whose headers are
renamed to other plausible forms (35 renamed headers in 6 variants) give the same facts.

Only the channel may differ: it follows the export's subject word (留言 -> 网上留言, 信件 -> 来信).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest

from govdw.ingest import ingest_dir

REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata"

pytestmark = pytest.mark.skipif(
    not (REALDATA / "附件2.xlsx").is_file(), reason=f"no shared real data at {REALDATA}"
)

ORIGINAL = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情"]

#: Each variant renames [id, author, subject, time, details, (附件2) category, (附件4) reply, time].
VARIANTS = {
    "letters": [
        "信件编号",
        "来信人",
        "信件标题",
        "来信日期",
        "信件内容",
        "信件分类",
        "回复内容",
        "回复时间",
    ],
    "requests": [
        "诉求编号",
        "诉求人",
        "诉求主题",
        "提交时间",
        "诉求内容",
        "诉求分类",
        "答复内容",
        "办结时间",
    ],
    "bare": ["编号", "用户", "标题", "时间", "详情", "分类", "答复情况", "答复日期"],
    "hotline": [
        "工单号",
        "来电人",
        "主题",
        "受理时间",
        "问题描述",
        "问题分类",
        "回复意见",
        "结案时间",
    ],
    "complaints": [
        "ID",
        "投诉人",
        "事由",
        "登记时间",
        "反映内容",
        "反映类别",
        "处理答复",
        "完成时间",
    ],
    "posts": [
        "帖子编号",
        "发帖人",
        "帖子标题",
        "发布时间",
        "帖子内容",
        "类别",
        "回复详情",
        "回复日期",
    ],
}

COMPARED = (
    "source_sheet, source_row, source_order_id, received_at, closed_at, category, "
    "content_masked, caller_key, status"
)


def _write_variants(src: Path, folder: Path, n: int) -> None:
    """One copy of `src` per variant (and one with the original names), read once."""
    book = openpyxl.load_workbook(src)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    originals = [*ORIGINAL, "一级分类", "答复意见", "答复时间"]
    for name, names in {"原始": originals, **VARIANTS}.items():
        rename = dict(zip(originals, names, strict=True))
        for cell, header in zip(sheet[1], headers, strict=True):
            cell.value = rename.get(header, header)
        book.save(folder / f"{name}{n}.xlsx")


def _facts(build: Path, file_name: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(build), read_only=True)
    try:
        return con.execute(
            f"select {COMPARED} from landing.hotline_orders "
            "where source_file like ? order by source_row",
            [f"%/{file_name}"],
        ).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("renamed")
    folder = base / "raw" / "430100"
    folder.mkdir(parents=True)
    for n in (2, 4):
        _write_variants(REALDATA / f"附件{n}.xlsx", folder, n)
    ingest_dir(base / "raw", base / "build.duckdb", workers=2)
    return base / "build.duckdb"


def test_there_are_enough_renamed_headers() -> None:
    renamed = {h for names in VARIANTS.values() for h in names}
    assert len(renamed) >= 20


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("n", [2, 4])
def test_renamed_copy_gives_identical_facts(built: Path, variant: str, n: int) -> None:
    original = _facts(built, f"原始{n}.xlsx")
    assert len(original) == {2: 495, 4: 120}[n]
    assert _facts(built, f"{variant}{n}.xlsx") == original
