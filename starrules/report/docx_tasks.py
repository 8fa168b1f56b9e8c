"""`starrules report --tasks`: the 整改任务书 as one Word document, a page for each branch the 整改台账 lists
(papers.rectifications: its levels, marks or veto put it there), to hand to the branch and file once checked.

The wording is the source documents': the college's 《关于做好基层党组织分类定级工作的实施意见》 (学院党委) has the
一般 branches “明确改进提高的目标、责任和措施,认真抓好整改落实”, the 较差 ones “限期进行整改”, and ends with
检查验收; the 武威市人民检察院机关委员会's 《…“达标创星、整体创优”活动实施方案》 has the 一般 and 后进 branches
“结合台账,分别制定改进提升、整顿转化方案” and the 整顿 “严格评估验收”. So each page lists the branch's problems
(存在问题, from its score: papers.problems) beside empty 整改措施, 整改目标, 责任人 and 整改时限 cells, then a box for
复查验收意见 and the signatures. The 整改台账 sheet (xlsx_papers.py) is the department's ledger of all of them;
this is the branch's own paper.

A4 portrait; the table's header row repeats on a page a long list runs onto and no row splits across pages.
East Asian text has a CJK font of its own (w:eastAsia), since Word's Latin font would leave it to chance.
With no branch to rectify the document is its title and one sentence saying so (as the sheet says), so a
batch that is run every year always leaves its paper. python-docx (the `docx` extra) is imported only here."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from .explain import pts
from .papers import Rectification, rectifications
from .summary import Summary
from .xlsx_cells import cell_text  # the same escape as the workbooks': XML cannot carry control characters

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table, _Cell

NEEDS_DOCX = "整改任务书(--tasks)需要 python-docx:pip install 'starrules[docx]'"

HEADER = ("序号", "存在问题", "整改措施", "整改目标", "责任人", "整改时限")
WIDTHS_CM = (1.2, 6.3, 3.4, 2.6, 1.6, 1.9)  # 17 cm: the page's width inside its margins
MARGINS_CM = (2.5, 2.0, 2.2, 2.0)  # top, right, bottom, left
BODY_FONT, TITLE_FONT = "宋体", "黑体"  # what offices print with; LibreOffice maps them to an installed CJK font
TABLE_PT = 10.5  # 五号: a problem's sentence in a few lines, the headings each on one
ROW_CM, REVIEW_CM = 1.2, 3.5  # room to write in by hand: a problem's row, the 复查验收意见 box
SIGNATURES = ("党组织书记(签字):", "上级党组织(盖章):")


class TasksUnavailable(ImportError):
    """python-docx, which writes the 整改任务书 (the `docx` extra), is not installed."""


@attrs.frozen
class TaskLetters:
    """The written document and how many branches it has a page for (0: the sentence saying there are none)."""

    data: bytes
    branches: int


def task_letters(summary: Summary) -> TaskLetters:
    """The .docx of the branches papers.rectifications lists, in rank order; TasksUnavailable without python-docx."""
    listed = rectifications(summary)
    document = _document(f"{summary.title} 整改任务书")
    for number, entry in enumerate(listed):
        _page(document, summary, entry, first=number == 0)
    if not listed:
        _title(document, f"{summary.title} 整改任务书", first=True)
        document.add_paragraph(cell_text(none_to_rectify(summary) + "。"))
    out = io.BytesIO()
    document.save(out)
    return TaskLetters(out.getvalue(), len(listed))


def none_to_rectify(summary: Summary) -> str:
    return f"本次评定没有需要整改的{summary.subject}"


def _document(title: str) -> Document:
    try:
        import docx
        from docx.shared import Cm, Pt, Twips
    except ImportError:
        raise TasksUnavailable(NEEDS_DOCX) from None
    document = docx.Document()
    document.core_properties.title = cell_text(title)
    document.core_properties.author = "starrules"
    section = document.sections[0]
    section.page_width, section.page_height = Twips(11906), Twips(16838)  # A4 portrait, exactly
    top, right, bottom, left = (Cm(m) for m in MARGINS_CM)
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = top, right, bottom, left
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    _fonts(normal.element, BODY_FONT)
    return document


def _fonts(element: object, east_asian: str) -> None:
    """Set the CJK font (w:eastAsia) and the language of East Asian text on a style's or a run's rPr."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.oxml.xmlchemy import BaseOxmlElement
    assert isinstance(element, BaseOxmlElement)
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attribute), east_asian)
    fonts.attrib.pop(qn("w:asciiTheme"), None)
    fonts.attrib.pop(qn("w:hAnsiTheme"), None)
    fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font would win over the named one
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)  # the last of rPr's children that python-docx sets: its place in the schema's order
    language.set(qn("w:eastAsia"), "zh-CN")


def _title(document: Document, text: str, first: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.page_break_before = not first  # a page per branch, no empty page after the last
    paragraph.paragraph_format.space_after = Pt(12)
    run = paragraph.add_run(cell_text(text))
    run.bold = True
    run.font.size = Pt(18)
    _fonts(run._r, TITLE_FONT)


def _page(document: Document, summary: Summary, entry: Rectification, first: bool) -> None:
    from docx.shared import Pt
    _title(document, f"{summary.title} 整改任务书", first)
    row = entry.row
    levels = ",".join(f"{scheme} {level}" for scheme, level in zip(summary.schemes, row.levels))
    lines = [f"{summary.subject}编号:{row.id or '—'}        {summary.subject}名称:{row.name or '—'}",
             f"评定结果:总分 {pts(row.total)} 分,{levels}" + "".join(f",{mark}" for mark in row.marks)
             + (",一票否决" if row.vetoed else ""),
             f"列入整改的原因:{'、'.join(entry.why)}"]
    if row.consequences:
        lines.append(f"措施:{';'.join(row.consequences)}")
    lines.append("请对照下列问题,明确整改的目标、责任和措施,限期进行整改;整改结束后由上级党组织复查验收。")
    for line in lines:
        paragraph = document.add_paragraph(cell_text(line))
        paragraph.paragraph_format.space_after = Pt(4)
    problems = [p.sentence for p in entry.problems] or [f"评分中没有失分的项目(因{'、'.join(entry.why)}列入)"]
    _problems(document, problems)
    _review(document)
    _signatures(document)


def _problems(document: Document, problems: Sequence[str]) -> None:
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Cm
    table = document.add_table(rows=1, cols=len(HEADER))
    _grid(table)
    for cell, text in zip(table.rows[0].cells, HEADER):
        _cell(cell, text, bold=True, centred=True)
    _row_flags(table.rows[0], header=True)
    for serial, problem in enumerate(problems, 1):
        row = table.add_row()
        _cell(row.cells[0], str(serial), centred=True)
        _cell(row.cells[1], problem)
        row.height, row.height_rule = Cm(ROW_CM), WD_ROW_HEIGHT_RULE.AT_LEAST
        _row_flags(row, header=False)
    for column, width in zip(table.columns, WIDTHS_CM):  # Word reads each cell's width, LibreOffice the grid's
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _cell(cell: _Cell, text: str, bold: bool = False, centred: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(cell_text(text))
    run.font.size = Pt(TABLE_PT)
    run.bold = bold or None
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _grid(table: Table) -> None:
    """Single lines around and between every cell: set on the table itself, so it needs no style of the template."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.enum.table import WD_TABLE_ALIGNMENT
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "0"), ("w:color", "000000")):
            line.set(qn(key), value)
        borders.append(line)
    table._tbl.tblPr.append(borders)


def _row_flags(row: object, header: bool) -> None:
    """w:cantSplit keeps a row on one page; w:tblHeader repeats the header row on each page the table runs onto."""
    from docx.oxml import OxmlElement
    from docx.table import _Row
    assert isinstance(row, _Row)
    properties = row._tr.get_or_add_trPr()
    for flag in ("w:cantSplit", *(("w:tblHeader",) if header else ())):
        properties.append(OxmlElement(flag))


def _review(document: Document) -> None:
    """The 复查验收意见 box: one bordered cell, tall enough to write in."""
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Cm, Pt
    document.add_paragraph().paragraph_format.space_after = Pt(0)
    table = document.add_table(rows=1, cols=1)
    _grid(table)
    row = table.rows[0]
    row.height, row.height_rule = Cm(REVIEW_CM), WD_ROW_HEIGHT_RULE.AT_LEAST
    _row_flags(row, header=False)
    _cell(row.cells[0], "复查验收意见:")
    row.cells[0].width = table.columns[0].width = Cm(sum(WIDTHS_CM))


def _signatures(document: Document) -> None:
    from docx.shared import Pt
    blank = "_" * 14
    for text in (f"{SIGNATURES[0]}{blank}    {SIGNATURES[1]}{blank}", "日期:______年____月____日"):
        paragraph = document.add_paragraph(text)
        paragraph.paragraph_format.space_before = Pt(18)
        paragraph.paragraph_format.keep_with_next = True
