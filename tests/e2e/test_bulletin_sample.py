"""End to end: the sample, `govdw run`, then `govdw report bulletin`; figures equal the seeds'.

The seed sentences below are quoted from /work/shared/seeds (checked against the files when
they are present). Numbers are parsed out of the seed sentence and out of the generated
paragraph and compared one by one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from govdw.sample.anchors import HAIYUAN_COUNTY_UNITS, HAIYUAN_TOWN_UNITS

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SCALE = "0.003"
SEED = "7"

WUQIA_SEED = "000_3caffb1aa785ff2c.txt"
WUQIA = {
    "progress": "4月1日至4月30日,乌恰县共收到各类群众诉求143件(含本级办件2件,下级办件141件),"
    "已办结122件,在办件21件。",
    "rates": "工单及时接收率为88.65%,其中:乌恰县税务局接收率为50.00%、"
    "乌恰县黑孜苇乡接收率为50.00%、"
    "乌恰县医疗保障局接收率为60.00%、乌恰县住建局接收率为81.82%、乌恰县市场监督管理局接收率为83.33%、"
    "乌恰县波斯坦铁列克乡接收率为83.33%、乌恰县人力资源和社会保障局接收率为94.74%,"
    "其他涉及单位接收率均为100%,反馈率100%;办结率为85.11%,办理结果满意率为100%。",
    "categories": "民生保障类48件,占比33.57%;公共服务类29件,占比20.28%;住房保障类26件,占比18.18%;"
    "交通出行类11件,占比7.69%;城乡建设类10件,占比6.99%;科教文旅类8件,占比5.59%;"
    "经济综合类4件,占比2.80%;医疗卫生类3件,占比2.10%;农林水土类3件,占比2.10%。",
    "appeals": "求助类工单102件、投诉类工单36件、咨询类工单5件。",
    "overdue": "导致4月份我县2条工单逾期,具体单位为:乌恰县住建局。",
    "evaluations": "4月1日至4月30日收到群众“好差评”及“满意度”评价共4315条",
}
HAIYUAN_SEED = "002_c1d7b77d7c6a309c.txt"
HAIYUAN = {
    "orders": "县热线办自2017年10月27日至12月31日共转办市“12345”呼叫中心群众来电574件。"
    "其中，咨询类3件，建议类2件，诉求类569件。目前，已办结366件，办结率为64.3%，正在办理208件，"
    "其中超期30天以上80件。",
    "load": "如住建局87件，教体局27件，公安局（交警队）22件，人社局14件，贾塘乡54件，李旺镇36件，"
    "高崖乡33件。",
}


def _seeds_dir(repo_root: Path) -> Path | None:
    for candidate in (Path("/work/shared/seeds"), repo_root.parent / "shared" / "seeds"):
        if candidate.is_dir():
            return candidate
    return None


def _govdw(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(BIN / "govdw"), *args], capture_output=True, text=True, env=env, timeout=900
    )
    assert result.returncode == 0, (
        f"govdw {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.fixture(scope="module")
def bulletins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The default-small sample run once; the two seed bulletins written from it."""
    base = tmp_path_factory.mktemp("bulletin-e2e")
    raw, warehouse, out = base / "raw", base / "warehouse" / "govdw.duckdb", base / "reports"
    env = {**os.environ, "DAGSTER_HOME": str(base / "dagster"), "GOVDW_PII_KEY": "e2e-key"}
    (base / "dagster").mkdir()
    _govdw("sample", "--raw-dir", str(raw), "--scale", SCALE, "--seed", SEED, env=env)
    _govdw("run", "--raw-dir", str(raw), "--warehouse", str(warehouse), env=env)
    written = {}
    for key, region, period in (("wuqia", "653024", "2023-04"), ("haiyuan", "640522", "2017-Q4")):
        result = _govdw(
            "report",
            "bulletin",
            "--region",
            region,
            "--period",
            period,
            "--out",
            str(out),
            "--warehouse",
            str(warehouse),
            env=env,
        )
        paths = [Path(line.removeprefix("wrote ")) for line in result.stdout.splitlines()]
        document = docx.Document(str(paths[0]))
        written[key] = {
            "paths": paths,
            "text": "\n".join(p.text for p in document.paragraphs),
            "tables": [[[c.text for c in row.cells] for row in t.rows] for t in document.tables],
            "xlsx": openpyxl.load_workbook(paths[1]),
        }
    yield written


def test_seed_quotes_are_verbatim(repo_root: Path) -> None:
    """The sentences this module compares against are the seeds' own (when the seeds are here)."""
    seeds = _seeds_dir(repo_root)
    if seeds is None:
        pytest.skip("shared/seeds is not beside the repository")
    for name, quotes in ((WUQIA_SEED, WUQIA), (HAIYUAN_SEED, HAIYUAN)):
        text = (seeds / name).read_text(encoding="utf-8")
        for quote in quotes.values():
            assert quote in text, quote


def _one(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not found in:\n{text}"
    return match.group(1)


def _unit_rates(text: str) -> list[tuple[str, str]]:
    """(unit, rate) pairs of 'X接收率为50.00%' after ':', '：' or '、'."""
    return re.findall(r"[:：、]([^:：、,，;；\n]+?)接收率为([\d.]+%)", text)


def test_wuqia_april_2023_figure_by_figure(bulletins: dict[str, Any]) -> None:
    """Received, 本级/下级, closed, open, receipt and close rates, units, classes, types."""
    ours = bulletins["wuqia"]["text"]
    seed = WUQIA
    for pattern in (
        r"共收到各类群众诉求(\d+)件",
        r"含本级办件(\d+)件",
        r"下级办件(\d+)件",
        r"已办结(\d+)件",
        r"在办件(\d+)件",
    ):
        assert _one(pattern, ours) == _one(pattern, seed["progress"]), pattern
    for pattern in (
        r"工单及时接收率为([\d.]+%)",
        r"办结率为([\d.]+%)",
        r"办理结果满意率为([\d.]+%)",
    ):
        assert _one(pattern, ours) == _one(pattern, seed["rates"]), pattern
    our_rates = _one(r"(工单及时接收率[^\n]*)", ours)
    assert _unit_rates(our_rates) == _unit_rates(seed["rates"])
    assert "其他涉及单位接收率均为100%" in ours

    category = r"([\u4e00-\u9fff]+?)类(\d+)件[,，]占比([\d.]+%)"
    seed_classes = {c: (n, s) for c, n, s in re.findall(category, seed["categories"])}
    our_classes = {c: (n, s) for c, n, s in re.findall(category, ours)}
    assert len(seed_classes) == 9
    assert {c: our_classes[c] for c in seed_classes} == seed_classes
    # The seed leaves out the 143rd order, which has no class; the bulletin lists it as 其他.
    assert set(our_classes) == set(seed_classes) and "其他1件，占比0.70%" in ours

    appeal = r"([\u4e00-\u9fff]+?)类工单(\d+)件"
    assert re.findall(appeal, ours) == re.findall(appeal, seed["appeals"])

    assert _one(r"逾期工单(\d+)件", ours) == _one(r"(\d+)条工单逾期", seed["overdue"])
    our_units = _one(r"逾期工单\d+件，具体单位为：([^。；]+)", ours)
    assert re.sub(r"\d+件", "", our_units) == _one(r"具体单位为:([^。]+)", seed["overdue"])
    assert _one(r"评价(\d+)条", ours) == _one(r"评价共(\d+)条", seed["evaluations"])


def _norm(unit: str) -> str:
    return unit.replace("（", "(").replace("）", ")")


def test_haiyuan_2017_q4_figure_by_figure(bulletins: dict[str, Any]) -> None:
    """Received, closed, open, 超期30天以上, appeal types; the close rate's definition differs."""
    ours = bulletins["haiyuan"]["text"]
    seed = HAIYUAN["orders"]
    assert _one(r"共收到各类群众诉求(\d+)件", ours) == _one(r"群众来电(\d+)件", seed)
    assert _one(r"已办结(\d+)件", ours) == _one(r"已办结(\d+)件", seed)
    assert _one(r"在办件(\d+)件", ours) == _one(r"正在办理(\d+)件", seed)
    assert _one(r"超期30天以上(\d+)件", ours) == _one(r"超期30天以上(\d+)件", seed)
    seed_types = {
        ("求助" if t == "诉求" else t): n for t, n in re.findall(r"(咨询|建议|诉求)类(\d+)件", seed)
    }
    assert dict(re.findall(r"([\u4e00-\u9fff]+?)类工单(\d+)件", ours)) == seed_types
    # The seed's 64.3% is 366 / 569 (its 诉求类); the contract's close rate is closed assigned /
    # assigned = 366 / 566 (the 8 本级 orders are not assigned).
    assert _one(r"办结率为([\d.]+)%", seed) == f"{366 / 569 * 100:.1f}"
    assert _one(r"办结率为([\d.]+%)", ours) == "64.66%"
    assert "含本级办件8件，下级办件566件" in ours


def test_haiyuan_unit_tables_equal_the_seed(bulletins: dict[str, Any]) -> None:
    """Per unit 承办量, 办结量, 超期30天以上, 督办次数 as in the seed's 表一/表二; totals add up."""
    tables = bulletins["haiyuan"]["tables"]
    header = tables[0][0]
    cols = [header.index(h) for h in ("承办量", "办结量", "超期30天以上工单数", "督办次数")]
    ours = {
        _norm(row[1]): tuple(int(row[c]) for c in cols) for table in tables for row in table[2:]
    }
    seed = {
        _norm(unit): figures
        for unit, figures in (HAIYUAN_COUNTY_UNITS | HAIYUAN_TOWN_UNITS).items()
        if figures[0]  # a unit without orders (关庄乡) has no row in detail data
    }
    assert ours == seed
    totals = [tuple(int(t[1][c]) for c in cols) for t in tables]
    assert tuple(map(sum, zip(*totals, strict=True))) == tuple(
        map(sum, zip(*seed.values(), strict=True))
    )
    for unit, figure in re.findall(r"([\u4e00-\u9fff（）]+?)(\d+)件", HAIYUAN["load"]):
        assert ours[_norm(unit.removeprefix("如"))][0] == int(figure)


def test_xlsx_equals_the_docx_tables(bulletins: dict[str, Any]) -> None:
    """The workbook holds the same 合计 and units as the document, with office layout."""
    for written in bulletins.values():
        book = written["xlsx"]
        assert len(book.sheetnames) == len(written["tables"])
        for sheet, table in zip(book.worksheets, written["tables"], strict=True):
            assert sheet.freeze_panes == "A4"
            values = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
            # 合计 and units: 单位 and 承办量 as in the document.
            for row, doc_row in zip(values, table[1:], strict=False):
                assert (row[1], row[2]) == (doc_row[1], int(doc_row[2]))
