"""Regions: folder names resolve to GB/T 2260 codes, or to a reason why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from govdw import regions


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("640522", "640522"),
        ("653024-乌恰县", "653024"),
        ("653024乌恰县", "653024"),
        ("653024_乌恰县", "653024"),
        ("653024 乌恰县", "653024"),
        ("653024-乌恰", "653024"),
        ("６４０５２２", "640522"),
        ("岳陽樓區", "430602"),
        ("岳阳楼区", "430602"),
        ("南京市鼓楼区", "320106"),
        ("江蘇省南京市鼓樓區", "320106"),
        ("乌海市", "150300"),
        ("鼓楼区", None),
        ("653024-海原县", None),
        ("999999", None),
        ("市辖区", None),
        ("exports", None),
        ("", None),
    ],
)
def test_resolve_region(folder: str, expected: str | None) -> None:
    """Codes win; names in either script resolve when they name exactly one region."""
    assert regions.resolve_region(folder) == expected


def test_explain_region_ambiguous_name() -> None:
    """An ambiguous name lists every candidate and asks for the code."""
    assert regions.explain_region("鼓楼区") == (
        "folder '鼓楼区' names 4 regions: 320106 江苏省南京市鼓楼区, 320302 江苏省徐州市鼓楼区, "
        "350102 福建省福州市鼓楼区, 410204 河南省开封市鼓楼区; use the 6-digit code "
        "(e.g. 320106-鼓楼区)"
    )


def test_explain_region_other_cases() -> None:
    """Contradictions, unknown codes and unknown names each get their own reason."""
    assert regions.explain_region("653024-海原县") == (
        "folder '653024-海原县': code 653024 is 乌恰县, but the name says '海原县'; "
        "fix the folder name so code and name agree"
    )
    assert regions.explain_region("999999") == (
        "folder '999999': 999999 is not a GB/T 2260 region code"
    )
    assert regions.explain_region("exports") == (
        "folder 'exports' is not a known region name or code; name the folder by its 6-digit "
        "GB/T 2260 code (e.g. 653024 or 653024-乌恰县)"
    )
    assert regions.explain_region("岳陽樓區") == "folder '岳陽樓區' is region 430602 (岳阳楼区)"


def test_region_table_and_name() -> None:
    """The table holds every row of regions.csv with its parent and level."""
    table = regions.region_table()
    assert table.column_names == ["region_code", "region_name", "parent_code", "level"]
    assert table.num_rows == 3511
    rows = {r["region_code"]: r for r in table.to_pylist()}
    assert rows["430602"] == {
        "region_code": "430602",
        "region_name": "岳阳楼区",
        "parent_code": "430600",
        "level": "county",
    }
    assert rows["110000"]["parent_code"] is None
    assert regions.region_name("653024") == "乌恰县"
    assert regions.region_name("000000") is None


def test_region_in_text_reads_file_and_folder_names() -> None:
    from govdw.regions import region_in_text

    assert region_in_text("乌恰县2023年4月12345工单.xlsx") == "653024"
    assert region_in_text("653024_orders.csv") == "653024"
    assert region_in_text("岳陽樓區留言.xlsx") == "430602"
    assert region_in_text("长沙市网上留言.xlsx") == "430100"
    assert region_in_text("附件2.xlsx") is None
    # 鼓楼区 names several regions: never guessed.
    assert region_in_text("鼓楼区工单.xlsx") is None


def test_inspect_takes_the_region_from_any_path(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from govdw import cli

    body = "工单编号,受理时间,处理状态\nGD1,2023-04-01 08:00,已办结\n"
    nested = tmp_path / "exports" / "653024-乌恰县" / "2023"
    nested.mkdir(parents=True)
    (nested / "orders.csv").write_text(body, encoding="utf-8")
    named = tmp_path / "海原县工单.csv"
    named.write_text(body, encoding="utf-8")
    bare = tmp_path / "orders.csv"
    bare.write_text(body, encoding="utf-8")
    runner = CliRunner()

    def region(path: Path, *extra: str) -> tuple[str | None, str]:
        out = runner.invoke(cli.cli, ["inspect", str(path), "--json", *extra])
        report = json.loads(out.output)
        return report["region"], report.get("status", "")

    assert region(nested / "orders.csv")[0] == "653024"
    assert region(named)[0] == "640522"
    assert region(bare) == (None, "quarantined")
    # Without a region it still shows what the file holds, and why a run would refuse it.
    report = json.loads(runner.invoke(cli.cli, ["inspect", str(bare), "--json"]).output)
    assert report["dataset"] == "hotline"
    assert "give --region" in report["problems"][0]
    assert region(bare, "--region", "海原县")[0] == "640522"
