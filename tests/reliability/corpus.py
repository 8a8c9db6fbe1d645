"""A hostile raw folder built by code: odd names, links, special files, broken and malicious
workbooks, next to good exports. Each case knows the status it must end in (and rows, when it
loads); `None` means the path is ignored (lock and hidden files) and gets no audit row.

Good files are written with the sample generator's writers (`govdw.sample.writers`); the
hostile ones reproduce what tests/unit/test_sniff.py checks one at a time.
"""

from __future__ import annotations

import io
import os
import random
import socket
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from govdw.sample.writers import Sheet, csv_bytes, html_bytes, xls_bytes, xlsx_bytes

#: Mobile numbers and 18-digit ID numbers written into citizens' messages: never published.
PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"
#: Characters in the 10 MB cell (3 bytes each in UTF-8).
BIG_CELL_CHARS = 3_400_000

HEADER = ["工单编号", "受理时间", "诉求内容", "办理状态"]


@dataclass(frozen=True)
class Case:
    """One path of the corpus and what must become of it."""

    rel_path: str  # as audit_files shows it (readable text)
    status: str | None  # loaded / duplicate / quarantined; None: ignored, no audit row
    rows: int | None = None  # for loaded files
    why: str = ""


def _orders(prefix: str, n: int, content: str = "小区路灯不亮") -> list[list[object]]:
    rows: list[list[object]] = [list(HEADER)]
    for i in range(n):
        received = datetime(2024, 3, 1 + i % 28, 8, 30)
        rows.append([f"{prefix}{i:04d}", received, f"{content}{i}", "已办结"])
    return rows


def _xlsx(rows: list[list[object]], name: str = "工单", **kw: bool) -> bytes:
    return xlsx_bytes([Sheet(name, rows, **kw)])  # type: ignore[arg-type]


def _csv_rows(rows: list[list[object]]) -> list[list[object]]:
    return [
        [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else v for v in r] for r in rows
    ]


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="工单" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def raw_xlsx(rows: list[list[str]], doctype: str = "") -> bytes:
    """A minimal xlsx written by hand (inline strings): no writer cuts long cells or refuses a
    DOCTYPE, which is what the hostile cases need."""
    from xml.sax.saxutils import escape

    def ref(c: int, r: int) -> str:
        return f"{chr(65 + c)}{r + 1}"

    body = "".join(
        f'<row r="{r + 1}">'
        + "".join(
            f'<c r="{ref(c, r)}" t="inlineStr"><is><t>{v if v.startswith("&") else escape(v)}'
            "</t></is></c>"
            for c, v in enumerate(row)
        )
        + "</row>"
        for r, row in enumerate(rows)
    )
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>'
    )
    return _zip(
        {
            "[Content_Types].xml": _CT.encode(),
            "_rels/.rels": _RELS.encode(),
            "xl/workbook.xml": _WB.encode(),
            "xl/_rels/workbook.xml.rels": _WB_RELS.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )


def _text_orders(prefix: str, n: int) -> list[list[str]]:
    return [list(HEADER)] + [
        [f"{prefix}{i:04d}", f"2024-04-{1 + i:02d} 09:00", f"噪音扰民{i}", "已办结"]
        for i in range(n)
    ]


def _put(raw: Path, rel: str | bytes, data: bytes) -> None:
    path = os.path.join(os.fsencode(raw), rel if isinstance(rel, bytes) else os.fsencode(rel))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def build_corpus(raw: Path, outside: Path) -> list[Case]:
    """Write the corpus under `raw` (and a file under `outside`, a folder not in raw/)."""
    cases: list[Case] = []
    rnd = random.Random(11)

    def add(rel: str | bytes, data: bytes, shown: str, status: str | None, rows: int | None = None,
            why: str = "") -> None:  # fmt: skip
        _put(raw, rel, data)
        cases.append(Case(shown, status, rows, why))

    # --- good exports in every format ------------------------------------------------------
    add("640522/2024/工单-xlsx.xlsx", _xlsx(_orders("X", 5)), "640522/2024/工单-xlsx.xlsx",
        "loaded", 5, "good xlsx")  # fmt: skip
    add("640522/2024/工单-xls.xls", xls_bytes([Sheet("工单", _orders("L", 4))]),
        "640522/2024/工单-xls.xls", "loaded", 4, "good legacy xls")  # fmt: skip
    add("640522/2024/工单-utf8.csv", csv_bytes(_csv_rows(_orders("U", 3)), "utf-8-sig"),
        "640522/2024/工单-utf8.csv", "loaded", 3, "UTF-8 csv with BOM")  # fmt: skip
    add("640522/2024/工单-gbk.csv", csv_bytes(_csv_rows(_orders("G", 3)), "gbk"),
        "640522/2024/工单-gbk.csv", "loaded", 3, "GBK csv")  # fmt: skip
    add("640522/2024/工单-html.xls", html_bytes("工单", _csv_rows(_orders("H", 2))),
        "640522/2024/工单-html.xls", "loaded", 2, "HTML saved as .xls")  # fmt: skip
    add("640522/2024/工单-really-xlsx.csv", _xlsx(_orders("R", 2)),
        "640522/2024/工单-really-xlsx.csv", "loaded", 2, "xlsx saved as .csv")  # fmt: skip
    add("640522/2024/隐藏表.xlsx", _xlsx(_orders("HS", 2), hidden=True),
        "640522/2024/隐藏表.xlsx", "loaded", 2, "data only on a hidden sheet")  # fmt: skip
    add("640522/2024/公式.xlsx",
        raw_xlsx([list(HEADER), ["F0001", "2024-05-01 10:00", "=cmd|' /C calc'!A0", "已办结"],
                  ["F0002", "2024-05-02 10:00", "@SUM(1+1)*cmd|' /C calc'!A0", "已办结"],
                  ["F0003", "2024-05-03 10:00", "+1+1", "已办结"]]),
        "640522/2024/公式.xlsx", "loaded", 3, "formula-like text cells")  # fmt: skip
    add("640522/2024/隐私.csv",
        csv_bytes([HEADER, ["P0001", "2024-05-04 10:00", f"我的电话{PHONE}身份证{ID_NUMBER}",
                            "已办结"]], "utf-8"),
        "640522/2024/隐私.csv", "loaded", 1, "phone and ID number in free text")  # fmt: skip
    big = "".join(chr(0x4E00 + rnd.randrange(20_000)) for _ in range(BIG_CELL_CHARS))
    add("640522/2024/大单元格.xlsx",
        raw_xlsx([list(HEADER), ["B0001", "2024-05-05 10:00", big, "已办结"],
                  ["B0002", "2024-05-06 10:00", "短", "已办结"]]),
        "640522/2024/大单元格.xlsx", "loaded", 2, "a 10 MB cell")  # fmt: skip

    # --- names -------------------------------------------------------------------------------
    add("640522/名字/".encode() + "工单导出.csv".encode("gbk"),
        csv_bytes(_text_orders("N1", 2), "utf-8"), "640522/名字/工单导出.csv", "loaded", 2,
        "file name in GBK bytes")  # fmt: skip
    add("653024-乌恰县".encode("gbk") + b"/orders.csv", csv_bytes(_text_orders("N2", 2), "utf-8"),
        "653024-乌恰县/orders.csv", "loaded", 2, "region folder in GBK bytes")  # fmt: skip
    add(b"640522/\xff\xfe\x80.csv", csv_bytes(_text_orders("N3", 2), "utf-8"),
        "640522/\\xff\\xfe\\x80.csv", "loaded", 2, "name neither UTF-8 nor GB18030")  # fmt: skip
    add("640522/名字/带\n换行.csv", csv_bytes(_text_orders("N4", 2), "utf-8"),
        "640522/名字/带\n换行.csv", "loaded", 2, "newline in the file name")  # fmt: skip
    add("640522/名字/有 空 格 .csv", csv_bytes(_text_orders("N5", 2), "utf-8"),
        "640522/名字/有 空 格 .csv", "loaded", 2, "spaces in the file name")  # fmt: skip
    add("640522/名字/工单😀.csv", csv_bytes(_text_orders("N6", 2), "utf-8"),
        "640522/名字/工单😀.csv", "loaded", 2, "emoji in the file name")  # fmt: skip
    long_name = "十二三四五六七八九十" * 8 + ".csv"  # 244 bytes: near the 255-byte limit
    add(f"640522/名字/{long_name}", csv_bytes(_text_orders("N7", 2), "utf-8"),
        f"640522/名字/{long_name}", "loaded", 2, "very long file name")  # fmt: skip
    add("640522/名字/a...b.csv", csv_bytes(_text_orders("N8", 2), "utf-8"),
        "640522/名字/a...b.csv", "loaded", 2, "'...' in the name (hashed key)")  # fmt: skip
    add("640522/名字/#-%[引号'\"].csv", csv_bytes(_text_orders("N9", 2), "utf-8"),
        "640522/名字/#-%[引号'\"].csv", "loaded", 2, "punctuation in the file name")  # fmt: skip

    # --- duplicates ------------------------------------------------------------------------
    # The first path in sort order owns the bytes: （ sorts after the original's "."
    add("640522/2024/工单-xlsx（副本）.xlsx", _xlsx(_orders("X", 5)),
        "640522/2024/工单-xlsx（副本）.xlsx", "duplicate", 0, "same bytes, other name")  # fmt: skip

    # --- broken, empty, malicious ----------------------------------------------------------
    add("640522/bad/空文件.xlsx", b"", "640522/bad/空文件.xlsx", "quarantined", why="empty file")
    add("640522/bad/只有表头.xlsx", _xlsx([list(HEADER)]), "640522/bad/只有表头.xlsx",
        "quarantined", why="zero-row workbook")  # fmt: skip
    add("640522/bad/随机.xlsx", rnd.randbytes(4096), "640522/bad/随机.xlsx", "quarantined",
        why="random bytes")  # fmt: skip
    good = _xlsx(_orders("T", 20))
    add("640522/bad/截断.xlsx", good[: len(good) // 2], "640522/bad/截断.xlsx", "quarantined",
        why="truncated xlsx")  # fmt: skip
    bomb = _zip(
        {"[Content_Types].xml": _CT.encode(), "xl/worksheets/sheet1.xml": b"\0" * (64 << 20)}
    )
    add("640522/bad/炸弹.xlsx", bomb, "640522/bad/炸弹.xlsx", "quarantined", why="zip bomb")
    laughs = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;'
        '&lol;&lol;&lol;">'
        + "".join(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(2, 10))
        + "]>"
    )
    add("640522/bad/十亿笑.xlsx",
        raw_xlsx([list(HEADER), ["Q0001", "2024-05-01 10:00", "&lol9;", "已办结"]], laughs),
        "640522/bad/十亿笑.xlsx", "quarantined", why="billion laughs")  # fmt: skip
    xxe = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    add("640522/bad/外部实体.xlsx",
        raw_xlsx([list(HEADER), ["E0001", "2024-05-01 10:00", "&xxe;", "已办结"]], xxe),
        "640522/bad/外部实体.xlsx", "quarantined", why="XXE")  # fmt: skip
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    encrypted += "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100
    encrypted += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    add("640522/bad/加密.xlsx", encrypted, "640522/bad/加密.xlsx", "quarantined",
        why="password-protected workbook")  # fmt: skip
    add("640522/bad/不是表格.zip", _zip({"readme.txt": b"hello"}), "640522/bad/不是表格.zip",
        "quarantined", why="a zip that is not a workbook")  # fmt: skip
    add("640522/bad/无表头.csv", csv_bytes([["甲", "乙"], ["1", "2"]], "utf-8"),
        "640522/bad/无表头.csv", "quarantined", why="no recognisable header")  # fmt: skip
    add("640522/bad/无表.xls", b"<html><body><p>no table here</p></body></html>",
        "640522/bad/无表.xls", "quarantined", why="HTML without a table")  # fmt: skip
    add("640522/2024/utf16.csv", "\ufeff工单编号,受理时间\nA,2024-01-01\n".encode("utf-16"),
        "640522/2024/utf16.csv", "loaded", 1, "UTF-16 text with a BOM")  # fmt: skip
    add("loose.csv", csv_bytes(_text_orders("LO", 1), "utf-8"), "loose.csv", "quarantined",
        why="not in a region folder")  # fmt: skip
    add("不存在的地方/orders.csv", csv_bytes(_text_orders("NR", 1), "utf-8"),
        "不存在的地方/orders.csv", "quarantined", why="folder names no region")  # fmt: skip

    # --- ignored -----------------------------------------------------------------------------
    add("640522/2024/~$工单-xlsx.xlsx", b"lock", "640522/2024/~$工单-xlsx.xlsx", None,
        why="Office lock file")  # fmt: skip
    add("640522/.隐藏.csv", b"hidden", "640522/.隐藏.csv", None, why="hidden file")

    # --- links and special files ---------------------------------------------------------------
    _put(outside, "secret.csv", csv_bytes(_text_orders("S", 1), "utf-8"))
    links = raw / "640522" / "links"
    links.mkdir(parents=True)
    os.symlink(outside / "secret.csv", links / "out.csv")
    cases.append(Case("640522/links/out.csv", "quarantined", why="link out of raw/"))
    os.symlink(outside, links / "outdir")
    cases.append(Case("640522/links/outdir", "quarantined", why="folder link out of raw/"))
    os.symlink("nowhere.csv", links / "broken.csv")
    cases.append(Case("640522/links/broken.csv", "quarantined", why="broken link"))
    os.symlink("loop-b", links / "loop-a")
    os.symlink("loop-a", links / "loop-b")
    cases.append(Case("640522/links/loop-a", "quarantined", why="symlink loop"))
    cases.append(Case("640522/links/loop-b", "quarantined", why="symlink loop"))
    os.symlink("..", links / "up")
    cases.append(Case("640522/links/up", "quarantined", why="link to a folder above: loop"))
    os.symlink("../2024/工单-utf8.csv", links / "file-link.csv")
    cases.append(Case("640522/links/file-link.csv", "duplicate", 0, why="link to a file in raw/"))
    os.symlink("名字", raw / "640522" / "链接目录")  # sorts after 名字: its files are the copies
    for case in list(cases):
        if case.rel_path.startswith("640522/名字/"):
            rel = "640522/链接目录/" + case.rel_path.removeprefix("640522/名字/")
            cases.append(Case(rel, "duplicate", 0, why="file under a link to a folder in raw/"))
    os.mkfifo(links / "pipe.csv")
    cases.append(Case("640522/links/pipe.csv", "quarantined", why="FIFO"))
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(links / "sock"))
    finally:
        sock.close()
    cases.append(Case("640522/links/sock", "quarantined", why="socket"))
    return sorted(cases, key=lambda c: c.rel_path)
