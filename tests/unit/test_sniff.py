"""govdw.sniff: files recognised by content, and every quarantine reason spelled out."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import xlsxwriter
import xlwt

from govdw.sniff import sniff, sniff_delimiter
from govdw.types import Limits


def _xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("工单").write(0, 0, "工单编号")
    wb.close()
    return path


def test_xlsx_recognised_whatever_the_extension(tmp_path: Path) -> None:
    """An xlsx saved as .xls (or .csv) is still an xlsx."""
    path = _xlsx(tmp_path / "orders.xls")
    assert sniff(path).kind == "xlsx"
    assert sniff(path).problem is None


def test_legacy_xls_recognised(tmp_path: Path) -> None:
    """An OLE2 workbook written by xlwt is kind xls."""
    wb = xlwt.Workbook()
    wb.add_sheet("办件").write(0, 0, "办件编号")
    path = tmp_path / "cases.xlsx"
    wb.save(str(path))
    assert sniff(path).kind == "xls"


def test_encrypted_ole2_is_quarantined(tmp_path: Path) -> None:
    """An OLE2 container with an EncryptedPackage stream is a password-protected workbook."""
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    body += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100
    body += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    path = tmp_path / "secret.xlsx"
    path.write_bytes(body)
    found = sniff(path)
    assert found.kind is None
    assert found.problem == (
        "password-protected workbook (encrypted): save it without a password and drop it again"
    )


def test_html_disguised_as_xls(tmp_path: Path) -> None:
    """HTML after a BOM and whitespace, any case, is html, with its encoding."""
    path = tmp_path / "export.xls"
    path.write_bytes("\ufeff \n<HTML><body><table><tr><td>工单编号</td></tr></table>".encode())
    found = sniff(path)
    assert (found.kind, found.encoding) == ("html", "utf-8-sig")


def test_bare_table_html(tmp_path: Path) -> None:
    """A fragment starting with <table is html too."""
    path = tmp_path / "t.xls"
    path.write_bytes("<table><tr><td>受理量</td></tr></table>".encode("gb18030"))
    assert sniff(path).kind == "html"


def test_utf8_csv_with_and_without_bom(tmp_path: Path) -> None:
    """UTF-8 with and without BOM decode as utf-8-sig (the BOM, if any, is dropped on read)."""
    for name, data in [
        ("a.csv", "\ufeff工单编号,状态\n1,已办结\n"),
        ("b.csv", "工单编号,状态\n1,已办结\n"),
    ]:
        path = tmp_path / name
        path.write_bytes(data.encode("utf-8"))
        found = sniff(path)
        assert (found.kind, found.encoding, found.delimiter) == ("csv", "utf-8-sig", ",")


def test_gbk_csv_detected_as_gb18030(tmp_path: Path) -> None:
    """A GBK export (invalid UTF-8) is read as GB18030, a superset of GBK."""
    path = tmp_path / "gbk.csv"
    path.write_bytes("工单编号\t诉求类型\n2024001\t投诉\n2024002\t咨询\n".encode("gbk"))
    found = sniff(path)
    assert (found.kind, found.encoding, found.delimiter) == ("csv", "gb18030", "\t")


def test_delimiters() -> None:
    """The delimiter splitting the body consistently wins, despite a title line."""
    assert sniff_delimiter("标题\na;b;c\n1;2;3\n4;5;6\n") == ";"
    assert sniff_delimiter("a|b|c\n1|2|3\n") == "|"
    assert sniff_delimiter("a,b\n1,2\n") == ","
    assert sniff_delimiter("only one column\n") == ","


def test_empty_file(tmp_path: Path) -> None:
    """0 bytes is quarantined as empty."""
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert sniff(path).problem == "the file is empty (0 bytes)"


def test_too_large(tmp_path: Path) -> None:
    """A file over the size cap is refused before anything reads it."""
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" * 1000)
    found = sniff(path, Limits(max_file_bytes=1024))
    assert found.kind is None
    assert found.problem == (
        "the file is 4 KiB, larger than the 1 KiB limit: split the export into smaller files"
    )


def test_truncated_xlsx(tmp_path: Path) -> None:
    """Cutting an xlsx in half loses the central directory: damaged or truncated."""
    good = _xlsx(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    assert sniff(path).problem == "the xlsx is damaged or truncated (zip central directory missing)"


def test_zip_bomb_by_total_size(tmp_path: Path) -> None:
    """A workbook unpacking past the uncompressed limit is refused."""
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (3 * 2**20))
    found = sniff(path, Limits(max_uncompressed_bytes=2**20))
    assert found.kind is None
    assert found.problem == (
        "the workbook would unpack to 3 MiB, more than the 1 MiB limit (zip bomb?)"
    )


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    """One member over 10 MiB compressing more than 200:1 is a likely bomb."""
    path = tmp_path / "ratio.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (11 * 2**20))
    found = sniff(path)
    assert found.kind is None
    assert found.problem is not None
    assert found.problem.startswith("the workbook member xl/worksheets/sheet1.xml compresses ")
    assert found.problem.endswith("(unpacks to 11 MiB): refusing a likely zip bomb")


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    """A docx-like zip without xl/workbook.xml is not a workbook."""
    path = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    assert sniff(path).problem == (
        "a zip archive that is not an Excel workbook (no xl/workbook.xml): export as .xlsx"
    )


def test_random_bytes_are_binary_noise(tmp_path: Path) -> None:
    """Random bytes decode as neither UTF-8 nor sensible text."""
    path = tmp_path / "noise.xls"
    path.write_bytes(os.urandom(4096))
    found = sniff(path)
    assert found.kind is None
    assert found.problem is not None
    assert found.problem.startswith("binary data that is neither a workbook nor readable text")
