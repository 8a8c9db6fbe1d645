"""The 通报 as a Word document laid out like the seeds (公文 fonts, A4, 附件 tables)."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from govdw.reports.bulletin_format import percent_value
from govdw.reports.bulletin_tables import Cell, Column, UnitTable
from govdw.reports.bulletin_text import BulletinDocument

# GB/T 9704 (党政机关公文格式): 小标宋 title in 二号, 仿宋 body in 三号, 黑体 first-level heads.
TITLE_FONT, BODY_FONT, HEADING_FONT, TABLE_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "宋体"
TITLE_SIZE, BODY_SIZE, TABLE_SIZE = Pt(22), Pt(16), Pt(10.5)
TYPE_AREA_WIDTH_MM = 210 - 28 - 26  # A4 less the 公文 left and right margins


def _font(run: Run, name: str, size: Pt, bold: bool = False) -> Run:
    """Set Latin and East Asian font (Word keeps them apart; python-docx sets only Latin)."""
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)
    return run


def _paragraph(
    doc: DocumentObject,
    text: str,
    font: str = BODY_FONT,
    size: Pt = BODY_SIZE,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = True,
) -> Paragraph:
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size.pt * 2)  # 首行缩进两字
    paragraph.paragraph_format.line_spacing = Pt(28)  # 公文: fixed 28 pt lines
    _font(paragraph.add_run(text), font, size, bold)
    return paragraph


def _cell_text(value: Cell, column: Column) -> str:
    if value is None:
        return "—"
    if column.kind == "rate" and isinstance(value, float):
        return percent_value(value)
    return str(value)


def _table(doc: DocumentObject, table: UnitTable) -> Table:
    _paragraph(
        doc, table.title, HEADING_FONT, Pt(16), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False
    )
    _paragraph(
        doc, table.subtitle, BODY_FONT, Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False
    )
    _paragraph(doc, "单位：件", BODY_FONT, Pt(12), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    header = grid.rows[0]
    # Repeat the header row on every printed page.
    header._tr.get_or_add_trPr().append(header._tr.makeelement(qn("w:tblHeader"), {}))
    for cell, column in zip(header.cells, table.columns, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(column.header), TABLE_FONT, TABLE_SIZE, bold=True)
    for values in (table.total, *table.rows):
        cells = grid.add_row().cells
        for cell, value, column in zip(cells, values, table.columns, strict=True):
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if column.kind == "text" else WD_ALIGN_PARAGRAPH.CENTER
            )
            _font(
                paragraph.add_run(_cell_text(value, column)),
                TABLE_FONT,
                TABLE_SIZE,
                bold=values is table.total,
            )
    # Column widths in proportion to the xlsx widths, filling the type area (156 mm).
    scale = TYPE_AREA_WIDTH_MM / sum(c.width for c in table.columns)
    for column, spec in zip(grid.columns, table.columns, strict=True):
        column.width = Mm(spec.width * scale)  # the grid (LibreOffice reads this)
        for cell in column.cells:
            cell.width = Mm(spec.width * scale)  # each cell (Word reads this)
    _paragraph(doc, table.note, BODY_FONT, Pt(12), indent=False)
    return grid


def write_docx(document: BulletinDocument, path: Path) -> Path:
    """Write `document` to `path` (.docx)."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)  # see TYPE_AREA_WIDTH_MM
    doc.core_properties.title = document.title
    doc.core_properties.author = "govdw"

    _paragraph(
        doc, document.title, TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False
    )
    _paragraph(doc, document.intro)
    for part in document.sections:
        _paragraph(doc, part.heading, HEADING_FONT)
        for text in part.paragraphs:
            _paragraph(doc, text)
    for line in document.closing:
        _paragraph(doc, line)
    for table in document.tables:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _table(doc, table)
    doc.save(str(path))
    return path
