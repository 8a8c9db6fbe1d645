"""The sample generator: layouts present in the written files, anchor figures in files and truth."""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook, SheetVisibleEnum

from govdw.sample import SampleSummary, write_sample
from govdw.sample.figures import seed_figures_markdown

SCALE = 0.002

WUQIA_ORDERS = "653024-乌恰县/12345/2023/乌恰县12345工单明细（2023年4月）.xlsx"
WUQIA_EVALS = "653024-乌恰县/好差评/2023/乌恰县好差评评价明细_2023年4月.xlsx"
WUQIA_CASES = "653024-乌恰县/办件/乌恰县政务服务大厅办件明细_2023年第二季度.xlsx"
WUHAI_CSV = "150300-乌海市/好差评/乌海市好差评数据_20230101-20231031.csv"
HAIYUAN_2017 = "640522/热线/海原县12345热线工单_2017年10-12月.xls"
HAIYUAN_TABLES = "640522/热线/附件：承办单位办件情况表_2017年.xls"
HBW_2021 = "150302/工单/2021/海勃湾区12345工单明细_2021年上半年.xlsx"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SampleSummary, dict[str, Any]]:
    """One sample written at a small scale (anchors are full volume anyway) with its truth."""
    base = tmp_path_factory.mktemp("sample")
    summary = write_sample(base / "raw", scale=SCALE, truth_path=base / "truth.json")
    truth = json.loads((base / "truth.json").read_text(encoding="utf-8"))
    return base / "raw", summary, truth


def _rows(path: Path, sheet: str | None = None) -> list[list[Any]]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet or book.sheet_names[0]).to_python(skip_empty_area=False)


def _data(rows: list[list[Any]], header_row: int) -> list[dict[str, Any]]:
    """Rows under a header row, keyed by header, stopping at totals/footnotes, skipping blanks."""
    head = rows[header_row]
    out = []
    for row in rows[header_row + 1 :]:
        if not any(str(v).strip() for v in row):
            continue
        first = str(row[0])
        if first.startswith(("合计", "总计", "注：", "备注")):
            break
        out.append(dict(zip(head, row, strict=False)))
    return out


def _slash(text: str) -> datetime:
    return datetime.strptime(text, "%Y/%m/%d %H:%M")


def _month(truth: dict[str, Any], region: str, month: str) -> dict[str, int]:
    return truth["region_month"][region][month]


def _sum_months(truth: dict[str, Any], region: str, months: list[str]) -> Counter[str]:
    total: Counter[str] = Counter()
    for m in months:
        total.update(_month(truth, region, m))
    return total


# ---------------------------------------------------------------- summary and folders
def test_summary_matches_what_is_on_disk(
    sample: tuple[Path, SampleSummary, dict[str, Any]],
) -> None:
    """files/bytes/rows of the summary equal the folder and the truth's loaded rows."""
    raw, summary, truth = sample
    files = [p for p in raw.rglob("*") if p.is_file()]
    assert summary.files == len(files) == len(truth["files"])
    assert summary.bytes == sum(p.stat().st_size for p in files)
    loaded = [f for f in truth["files"].values() if f["status"] == "loaded"]
    assert summary.rows == sum(f["rows"] for f in loaded)
    assert sum(summary.by_region.values()) == summary.rows
    statuses = Counter(f["status"] for f in truth["files"].values())
    # One damaged file, plus any export a small scale left without records (never `loaded`).
    empty = [
        f
        for f in truth["files"].values()
        if f["status"] == "quarantined" and f["dataset"] in ("hotline", "service", "evaluation")
    ]
    assert (statuses["duplicate"], statuses["ignored"]) == (1, 1)
    assert statuses["quarantined"] == 1 + len(empty)
    assert all(f["rows"] == 0 for f in empty)


def test_region_folders_use_every_accepted_form(sample: tuple[Path, SampleSummary, dict]) -> None:
    """Eight regions, named by code, code-name, simplified name and traditional name."""
    raw, summary, _ = sample
    assert sorted(p.name for p in raw.iterdir()) == sorted(
        ["150300-乌海市", "150302", "150303-海南区", "乌达区", "653024-乌恰县", "640522",
         "岳陽樓區", "430600-岳阳市"]
    )  # fmt: skip
    assert sorted(summary.by_region) == sorted(
        ["150300", "150302", "150303", "150304", "653024", "640522", "430602", "430600"]
    )


def test_every_region_has_every_dataset_every_year(
    sample: tuple[Path, SampleSummary, dict],
) -> None:
    """2019–2024: orders, cases and evaluations in every month of every region."""
    _, _, truth = sample
    for region, months in truth["region_month"].items():
        for year in range(2019, 2025):
            for m in range(1, 13):
                values = months[f"{year}-{m:02d}"]
                assert values["orders_received"] >= 2, (region, year, m)
                assert values["cases_accepted"] >= 2, (region, year, m)
                assert values["evaluations_total"] >= 2, (region, year, m)


# ---------------------------------------------------------------- anchors in the truth
def test_truth_wuqia_april_2023(sample: tuple[Path, SampleSummary, dict]) -> None:
    """乌恰县 April 2023 equals the seed report."""
    got = _month(sample[2], "653024", "2023-04")
    assert {k: v for k, v in got.items() if not k.startswith("evaluations_")} == {
        "orders_received": 143,
        "orders_assigned": 141,
        "orders_closed": 122,
        "orders_closed_assigned": 120,
        "orders_overdue": 2,
        "orders_dispatched": 141,
        "orders_received_timely": 125,
        "cases_accepted": 15_567,
        "cases_completed": 15_567,
    }
    assert (got["evaluations_total"], got["evaluations_dissatisfied"]) == (4315, 1)
    assert got["evaluations_very_dissatisfied"] == 0
    assert (
        got["evaluations_very_satisfied"] + got["evaluations_satisfied"] + got["evaluations_basic"]
        == 4314
    )


def test_truth_haiyuan_2017(sample: tuple[Path, SampleSummary, dict]) -> None:
    """海原县 2017-10-27..12-31: 574 received, 366 closed, 80 overdue, 566 assigned."""
    got = _sum_months(sample[2], "640522", ["2017-10", "2017-11", "2017-12"])
    assert (got["orders_received"], got["orders_closed"], got["orders_overdue"]) == (574, 366, 80)
    assert (got["orders_assigned"], got["orders_closed_assigned"]) == (566, 366)


def test_truth_wuhai_evaluations(sample: tuple[Path, SampleSummary, dict]) -> None:
    """乌海市 2023-01..10 evaluations by rating equal the seed."""
    got = _sum_months(sample[2], "150300", [f"2023-{m:02d}" for m in range(1, 11)])
    assert [got[k] for k in ["evaluations_total", "evaluations_very_satisfied",
                             "evaluations_satisfied", "evaluations_basic",
                             "evaluations_dissatisfied", "evaluations_very_dissatisfied"]] == [
        236_816, 236_116, 586, 113, 1, 0]  # fmt: skip


def test_truth_lists_anchor_figures_and_docs_match(
    sample: tuple[Path, SampleSummary, dict],
) -> None:
    """The truth carries the anchors; docs/seed-figures.md is their rendering."""
    anchors = sample[2]["anchors"]
    assert len(anchors) >= 8
    assert anchors["wuqia_close_rate"]["value"]["close_rate"] == 0.8511
    doc = Path(__file__).resolve().parents[2] / "docs" / "seed-figures.md"
    assert doc.read_text(encoding="utf-8") == seed_figures_markdown()


# ---------------------------------------------------------------- anchors in the written files
def test_wuqia_orders_file_reproduces_the_report(sample: tuple[Path, SampleSummary, dict]) -> None:
    """Counting the written 乌恰 April workbook gives the report's figures."""
    raw = sample[0]
    rows = _rows(raw / WUQIA_ORDERS, "工单明细")
    assert rows[1][0] == "导出时间：2023-05-04 09:12:33"
    # Two-row header: 办理情况 spans 办结日期/状态.
    assert rows[2][9:11] == ["办理情况", ""] and rows[3][9:11] == ["办结日期", "状态"]
    data = rows[4:]
    assert len(data) == 143
    assert Counter(r[4] for r in data) == {"下级": 141, "本级": 2}
    assert Counter(r[10] for r in data) == {"已办结": 122, "办理中": 21}
    assert Counter(r[2] for r in data) == {"求助类": 102, "投诉类": 36, "咨询类": 5}
    assert Counter(r[3] for r in data)["民生保障类"] == 48
    assert Counter(r[3] for r in data)["其他"] == 1
    exported = datetime(2023, 5, 4, 9, 12, 33)
    dispatched = [r for r in data if r[6] != "—"]
    timely = [r for r in dispatched if _slash(r[7]) - _slash(r[6]) <= timedelta(hours=24)]
    assert (len(dispatched), len(timely)) == (141, 125)
    closed_assigned = [r for r in dispatched if r[10] == "已办结"]
    assert len(closed_assigned) == 120
    overdue = [r for r in data if r[10] != "已办结" and _slash(r[8]) < exported]
    overdue += [r for r in data if r[10] == "已办结" and _slash(r[9]) > _slash(r[8])]
    assert [r[5] for r in overdue] == ["乌恰县住建局", "乌恰县住建局"]
    assert not {r[11] for r in data} & {"不满意", "非常不满意"}
    per_unit = Counter(r[5] for r in dispatched)
    assert per_unit["乌恰县人力资源和社会保障局"] == 19


def test_wuqia_units_sheet_has_text_rates(sample: tuple[Path, SampleSummary, dict]) -> None:
    """各单位工单综合情况: 50.00% for 税务局 and 88.65% / 85.11% on the 合计 row."""
    rows = _rows(sample[0] / WUQIA_ORDERS, "各单位工单综合情况")
    assert rows[1] == [
        "序号",
        "承办单位",
        "下派工单数",
        "及时签收数",
        "及时接收率",
        "办结量",
        "办结率",
    ]
    by_unit = {r[1]: r for r in rows[2:]}
    assert by_unit["乌恰县税务局"][2:5] == [4.0, 2.0, "50.00%"]
    assert by_unit["乌恰县人力资源和社会保障局"][4] == "94.74%"
    assert by_unit["合计"][2:] == [141.0, 125.0, "88.65%", 120.0, "85.11%"]


def test_wuqia_workbook_merges_and_hidden_dictionary(
    sample: tuple[Path, SampleSummary, dict],
) -> None:
    """The merged 办理情况 header and the hidden 字典 sheet are really in the file."""
    book = openpyxl.load_workbook(sample[0] / WUQIA_ORDERS)
    merged = {str(r) for r in book["工单明细"].merged_cells.ranges}
    assert {"J3:K3", "A3:A4", "A1:Q1"} <= merged
    assert book["字典"].sheet_state == "hidden"
    assert book["工单明细"].sheet_state == "visible"


def test_wuqia_evaluations_file(sample: tuple[Path, SampleSummary, dict]) -> None:
    """4,315 evaluations by channel, one 不满意 online, dates as plain serial numbers."""
    rows = _rows(sample[0] / WUQIA_EVALS)
    assert rows[0][:3] == ["评价流水号", "评价时间", "评价方式"]
    data = rows[1:]
    assert Counter(r[2] for r in data) == {"政务服务网": 739, "移动端": 291, "短信": 206,
                                           "窗口评价器": 3079}  # fmt: skip
    assert [r[2] for r in data if r[6] == "不满意"] == ["政务服务网"]
    assert all(isinstance(r[1], float) and 45017 <= r[1] < 45047 for r in data)


def test_wuqia_cases_file(sample: tuple[Path, SampleSummary, dict]) -> None:
    """April 2023 cases: 窗口 13,736 and 网上 1,831, all 已办结."""
    data = _data(_rows(sample[0] / WUQIA_CASES, "4月"), 2)
    assert Counter(r["申报渠道"] for r in data) == {"窗口": 13_736, "网上": 1_831}
    assert Counter(r["办理状态"] for r in data) == {"已办结": 15_567}


def test_wuhai_gbk_csv(sample: tuple[Path, SampleSummary, dict]) -> None:
    """The GBK CSV holds 236,816 evaluations split by level and rating as the seed."""
    blob = (sample[0] / WUHAI_CSV).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        blob.decode("utf-8")
    lines = blob.decode("gbk").splitlines()
    assert lines[0] == "评价编号,评价时间,评价渠道,事项名称,评价部门,评价层级,评价等级,评价内容"
    cells = [line.split(",") for line in lines[1:]]
    assert len(cells) == 236_816
    by_level = Counter((c[5], c[6]) for c in cells)
    assert [by_level[("市级", r)] for r in ("非常满意", "满意", "基本满意")] == [65_061, 60, 17]
    # The seed's 156,769 contradicts its own totals by 36; the totals (157,239) are kept.
    assert [by_level[("区县级", r)] for r in ("非常满意", "满意", "基本满意", "不满意")] == [
        156_805, 369, 64, 1]  # fmt: skip
    assert sum(v for (level, _), v in by_level.items() if level == "区县级") == 157_239
    towns = by_level[("乡镇街道级", "非常满意")] + by_level[("村社区级", "非常满意")]
    assert towns == 14_250
    assert (
        sum(v for (level, _), v in by_level.items() if level in ("乡镇街道级", "村社区级"))
        == 14_439
    )


def test_haiyuan_2017_xls(sample: tuple[Path, SampleSummary, dict]) -> None:
    """The legacy .xls of 2017 holds the 574 orders, typed as the county wrote them."""
    path = sample[0] / HAIYUAN_2017
    assert path.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # OLE2: a real BIFF workbook
    data = []
    for sheet in ("2017年10月", "2017年11月", "2017年12月"):
        data += _data(_rows(path, sheet), 2)
    assert len(data) == 574
    assert Counter(r["来电类型"] for r in data) == {"诉求": 569, "咨询类": 3, "建议类": 2}
    assert Counter(r["当前状态"] for r in data) == {"已办结": 366, "办理中": 208}
    assert Counter(r["是否重办"] for r in data)["是"] == 39
    zj = [r for r in data if r["主办单位"] == "住建局"]
    assert (len(zj), sum(r["当前状态"] == "已办结" for r in zj)) == (87, 31)
    assert sum(int(r["督办次数"]) for r in data if r["主办单位"] == "贾塘乡") == 2
    assert all(re.fullmatch(r"2017年1[0-2]月\d{1,2}日 \d{1,2}:\d{2}", r["来电时间"]) for r in data)


def test_haiyuan_column_renamed_in_2022(sample: tuple[Path, SampleSummary, dict]) -> None:
    """来电时间 until 2021, 受理时间 from 2022."""
    raw = sample[0]
    assert (
        _rows(raw / "640522/热线/海原县12345热线工单_2021年.xls", "2021年1月")[2][1] == "来电时间"
    )
    assert (
        _rows(raw / "640522/热线/海原县12345热线工单_2022年.xls", "2022年1月")[2][1] == "受理时间"
    )


def test_haiyuan_unit_tables_as_published(sample: tuple[Path, SampleSummary, dict]) -> None:
    """表一/表二: 单位：件, 序号, totals row first (206 as published), footnote."""
    one = _rows(sample[0] / HAIYUAN_TABLES, "表一")
    assert one[2][5] == "单位：件"
    assert one[3] == ["序号", "单位", "承办量", "办结量", "超期30天以上工单数", "督办次数"]
    assert one[4] == ["", "合计", 206.0, 119.0, 36.0, 24.0]
    assert one[5] == [1.0, "住建局", 87.0, 31.0, 20.0, 2.0]
    assert one[-1][0] == "备注：此表统计截止于2017年12月31日，以交办量为统计口径。"
    two = _rows(sample[0] / HAIYUAN_TABLES, "表二")
    assert two[4] == ["", "合计", 358.0, 247.0, 44.0, 30.0]
    assert two[11] == [7.0, "甘盐池", 5.0, 5.0, 2.0, 2.0]


# ---------------------------------------------------------------- layouts and value shapes
def test_wuhai_half_year_layout(sample: tuple[Path, SampleSummary, dict]) -> None:
    """Title, export time, header, a blank row inside the data, 合计, 注：, real date cells."""
    book = CalamineWorkbook.from_path(str(sample[0] / HBW_2021))
    assert book.sheet_names == ["1月", "2月", "3月", "4月", "5月", "6月"]
    rows = book.get_sheet_by_name("1月").to_python(skip_empty_area=False)
    assert re.fullmatch(r"导出时间：2021-07-\d\d \d\d:\d\d:\d\d", rows[1][0])  # type: ignore[arg-type]
    assert rows[2][:2] == ["工单编号", "受理时间"]
    body = rows[3:]
    blank = [i for i, r in enumerate(body) if not any(str(v) for v in r)]
    assert blank and 0 < blank[0] < len(body) - 2
    assert body[-2][0] == "合计" and body[-1][0] == "注：本表数据来源于12345政务服务便民热线平台。"
    assert isinstance(body[0][1], datetime)
    old = _rows(sample[0] / "150302/工单/2019/海勃湾区12345工单明细_2019年上半年.xlsx", "1月")
    assert old[2][:2] == ["工单号", "登记时间"]


def test_odd_files(sample: tuple[Path, SampleSummary, dict]) -> None:
    """Byte-copy, lock file, truncated xlsx, HTML-as-xls, xlsx-as-xls, hidden-only data."""
    raw, _, truth = sample
    files = truth["files"]
    copy = "150302/工单/2021/海勃湾区12345工单明细_2021年上半年（副本）.xlsx"
    assert (raw / copy).read_bytes() == (raw / HBW_2021).read_bytes()
    assert files[copy]["status"] == "duplicate" and files[copy]["duplicate_of"] == HBW_2021
    lock = "150302/工单/2021/~$海勃湾区12345工单明细_2021年上半年.xlsx"
    assert files[lock]["status"] == "ignored" and (raw / lock).stat().st_size == 162
    broken = "150303-海南区/工单/海南区12345工单明细_2022年补充导出.xlsx"
    assert files[broken]["status"] == "quarantined"
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(raw / broken)
    html = raw / "640522/好差评/海原县好差评数据_2020年.xls"
    assert (
        html.read_bytes().startswith(b"<html")
        and files[str(html.relative_to(raw))]["kind"] == "html"
    )
    fake = raw / "岳陽樓區/好差評/岳陽樓區好差評數據_2021年.xls"
    assert fake.read_bytes()[:2] == b"PK"
    hidden = CalamineWorkbook.from_path(str(raw / "乌达区/办件/乌达区办件明细_2019年.xlsx"))
    states = {s.name: s.visible for s in hidden.sheets_metadata}
    assert states["封面"] == SheetVisibleEnum.Visible
    assert [v == SheetVisibleEnum.Hidden for k, v in states.items() if k != "封面"] == [True] * 4


def test_traditional_script_and_fullwidth(sample: tuple[Path, SampleSummary, dict]) -> None:
    """岳陽樓區 writes headers and values in traditional script; 2020 uses full-width digits."""
    raw = sample[0]
    rows = _rows(raw / "岳陽樓區/熱線/岳陽樓區12345熱線工單_2022年.xlsx", "1月")
    assert rows[2][:3] == ["工單編號", "受理時間", "訴求類型"] and "處理單位" in rows[2]
    values = {v for r in rows[3:] for v in r}
    assert "已辦結" in values
    assert all(re.fullmatch(r"2022010\d|202201[1-3]\d", r[1]) for r in rows[3:] if r[0])
    old = _rows(raw / "岳陽樓區/熱線/岳陽樓區12345熱線工單_2020年.xlsx", "4月")
    assert all(re.fullmatch("２０２００４[０-３][０-９]", r[1]) for r in old[3:] if r[0])
    summary = _rows(raw / "岳陽樓區/統計/岳陽樓區12345熱線2022年度工作情況統計表.xlsx")
    assert summary[1] == ["單位", "受理量", "辦結率"]
    assert summary[2] == ["全區", "5萬", "99.97%"]


def test_date_shapes_and_empty_markers(sample: tuple[Path, SampleSummary, dict]) -> None:
    """Each family writes its own date shape and empty marker."""
    raw = sample[0]
    yy = (raw / "430600-岳阳市/12345/岳阳市12345工单_2023.csv").read_bytes()
    assert yy.startswith(b"\xef\xbb\xbf")
    lines = yy.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("导出时间：2024-01-")
    assert re.fullmatch(r"2023-01-\d\d \d\d:\d\d:00", lines[2].split(",")[1])
    hy = _data(_rows(raw / "640522/热线/海原县12345热线工单_2021年.xls", "2021年3月"), 2)
    assert {r["办结时间"] for r in hy if r["当前状态"] != "已办结"} <= {"/"}
    anchor = _data(_rows(raw / HAIYUAN_2017, "2017年12月"), 2)
    assert "无" in {r["回访结果"] for r in anchor} and "/" in {r["办结时间"] for r in anchor}
    path = raw / "150300-乌海市/工单/2023/乌海市12345工单明细_2023年下半年.xlsx"
    book = CalamineWorkbook.from_path(str(path))
    wh = [
        r
        for name in book.sheet_names
        for r in _data(book.get_sheet_by_name(name).to_python(skip_empty_area=False), 2)
    ]
    columns = ("派单时间", "签收时间", "办结时间", "回访满意度")
    assert "-" in {r[c] for r in wh for c in columns}


def test_summary_tables_with_wan_and_percent(sample: tuple[Path, SampleSummary, dict]) -> None:
    """乌海 summary: 25.6万 and 99.3%; per-level table with 合计 last."""
    path = sample[0] / "150300-乌海市/统计/乌海市2023年政务服务监督评价统计表.xlsx"
    cases = _rows(path, "办件情况")
    assert cases[2] == ["乌海市政务服务中心", "25.6万", "99.3%"]
    assert cases[3][1] == "5万"
    levels = _rows(path, "好差评情况")
    assert levels[2][:2] == ["市级", 65_138.0]
    assert levels[5][:3] == ["合计", 236_816.0, 236_116.0]
    assert levels[5][7:] == ["99.70%", "100.00%"]


def test_pii_in_hotline_details(sample: tuple[Path, SampleSummary, dict]) -> None:
    """Names, mobiles, ID numbers and addresses, and numbers inside 诉求内容, are there to mask."""
    data = []
    for half in ("上半年", "下半年"):
        path = sample[0] / f"150300-乌海市/工单/2023/乌海市12345工单明细_2023年{half}.xlsx"
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            data += _data(book.get_sheet_by_name(name).to_python(skip_empty_area=False), 2)
    assert all(re.fullmatch(r"1[3-9]\d{9}", r["联系电话"]) for r in data)
    assert all(re.fullmatch(r"150300\d{11}[\dX]", r["身份证号"]) for r in data)
    texts = " ".join(r["诉求内容"] for r in data)
    assert re.search(r"1[3-9]\d{9}", texts) and re.search(r"0473-\d{7}", texts)
    assert re.search(r"\d{17}[\dX]", texts)


def test_later_export_updates_open_orders(sample: tuple[Path, SampleSummary, dict]) -> None:
    """The August 2024 export closes orders that were open in the H1 export (same ids)."""
    raw, _, truth = sample
    first = raw / "150302/工单/2024/海勃湾区12345工单明细_2024年上半年.xlsx"
    book = CalamineWorkbook.from_path(str(first))
    h1 = {}
    for name in book.sheet_names:
        for r in _data(book.get_sheet_by_name(name).to_python(skip_empty_area=False), 2):
            h1[r["工单编号"]] = r["办理状态"]
    upd_rows = _rows(raw / "150302/工单/2024/海勃湾区12345工单状态更新_2024年8月.xlsx")
    assert upd_rows[1][0] == "导出时间：2024-08-15 10:30:00"
    updated = _data(upd_rows, 2)
    assert sorted(r["工单编号"] for r in updated) == sorted(
        k for k, v in h1.items() if v != "已办结"
    )
    assert {r["办理状态"] for r in updated} <= {"已办结"}
    closed = sum(_month(truth, "150302", f"2024-{m:02d}")["orders_closed"] for m in range(1, 7))
    assert closed == len(h1)  # after latest-wins every H1 order is closed


def test_recount_yueyang_from_csv(sample: tuple[Path, SampleSummary, dict]) -> None:
    """Truth per month equals a recount of the 岳阳市 CSVs (independent of the generator)."""
    raw, _, truth = sample
    for year in (2019, 2023):
        lines = (raw / f"430600-岳阳市/12345/岳阳市12345工单_{year}.csv").read_text("utf-8-sig")
        rows = [line.split(",") for line in lines.splitlines()[2:]]
        received = Counter(r[1][:7] for r in rows)
        closed = Counter(r[1][:7] for r in rows if r[16] == "已办结")
        evals = (raw / f"430600-岳阳市/好差评/岳阳市好差评_{year}.csv").read_text("utf-8")
        by_month = Counter(line.split(",")[1][:7] for line in evals.splitlines()[1:])
        for m in range(1, 13):
            key = f"{year}-{m:02d}"
            got = _month(truth, "430600", key)
            assert (got["orders_received"], got["orders_closed"]) == (received[key], closed[key])
            assert got["evaluations_total"] == by_month[key]


def test_truth_path_inside_raw_is_refused(tmp_path: Path) -> None:
    """The truth file must never land where the ingester would read it."""
    with pytest.raises(ValueError, match="must not be inside the raw folder"):
        write_sample(tmp_path / "raw", truth_path=tmp_path / "raw" / "truth.json")
