"""The papers as sheets of the report workbook (`starrules report --papers`): the 整改台账 (a row per problem,
the branch merged down, five bordered columns for officers to fill), the 公示 list and the 命名 list, each
laid out for print (xlsx_print.py). Which branches each lists, and why: papers.py.

Sheets rather than Word documents: the officers who fill the 整改台账 keep it as a ledger, adding 复查
验收 as it happens, and sort and filter it; the report they start from is already a workbook. The 整改任务书
handed to each branch, a letter rather than a ledger, is Word (docx_tasks.py)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..core.source import display_width
from . import xlsx_print as paper
from .papers import NAMING_WORDS, levels_with, named, named_levels, rectification_levels, rectifications
from ..grade.grading import grader_for
from .summary import BranchRow, Summary
from .xlsx_cells import Value, put
from .xlsx_template import cell_number

RECTIFY_SHEET, NOTICE_SHEET, NAMING_SHEET = "整改台账", "公示", "命名"
TO_FILL = ("整改措施", "整改目标", "责任人", "整改时限", "复查验收")
FILL_LINES = 3  # a row to be written in by hand is at least this many lines tall


def add_papers(book: Workbook, summary: Summary) -> None:
    _rectification(book.create_sheet(RECTIFY_SHEET), summary)
    _notice(book.create_sheet(NOTICE_SHEET), summary)
    _naming(book.create_sheet(NAMING_SHEET), summary)


def branch_name(row: BranchRow) -> str:
    return row.name or row.id or ""


def _note(sheet: Worksheet, row: int, text: str, width: int) -> None:
    """A line of text merged across the table, wrapped (what the sheet lists, the 公示期 …); `_note_heights`
    makes its row tall enough once the columns' widths are known."""
    put(sheet, row, 1, text).alignment = paper.WRAP
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _note_heights(sheet: Worksheet, rows: Sequence[int], widths: Sequence[int]) -> None:
    across = max(sum(widths) - 2, 1)
    for row in rows:
        text = str(sheet.cell(row, 1).value or "")
        sheet.row_dimensions[row].height = paper.POINTS_PER_LINE * max(1, math.ceil(display_width(text) / across))


def rule_words(chosen: dict[str, tuple[str, ...]]) -> str:
    """“等次为一般、后进的” for a rule's levels by scheme."""
    return ",".join(f"{scheme}为{'、'.join(levels)}的" for scheme, levels in chosen.items())


def _rectification(sheet: Worksheet, summary: Summary) -> None:
    columns = [paper.Column("序号", 5), paper.Column(summary.subject, 14), paper.Column("等级", 12),
               paper.Column("问题", 44, 30), *(paper.Column(name, 20, 16) for name in TO_FILL[:2]),
               paper.Column("责任人", 10, 10), paper.Column("整改时限", 12, 12), paper.Column("复查验收", 16, 16)]
    width = len(columns)
    paper.title(sheet, 1, f"{summary.title} 整改台账", width)
    why = [rule_words(rectification_levels(summary))] if rectification_levels(summary) else []
    _note(sheet, 2, f"列入本台账的{summary.subject}:{','.join([*why, '倒排标记的', '一票否决的'])}。问题由评分记录逐项列出"
                    f"(失分的项目、扣分的原因和失分);{'、'.join(TO_FILL)}由党组织填写,整改完成后逐项复查验收。", width)
    paper.header(sheet, 3, [c.header for c in columns])
    number, rows = 4, [3]
    listed = rectifications(summary)
    for serial, entry in enumerate(listed, 1):
        first = number
        lines = [p.sentence for p in entry.problems] or [f"评分中没有失分的项目(因{'、'.join(entry.why)}列入)"]
        for line in lines:
            paper.table_row(sheet, number, [serial, branch_name(entry.row), _standing(entry.row), line,
                                            None, None, None, None, None])
            rows.append(number)
            number += 1
        for column in (1, 2, 3):
            paper.merge_down(sheet, column, first, number - 1)
    if not listed:
        _note(sheet, number, f"本次评定没有需要整改的{summary.subject}。", width)
        number += 1
    widths = paper.fit_columns(sheet, columns, 3, number - 1)
    paper.fit_rows(sheet, widths, rows)
    _note_heights(sheet, [2, *([number - 1] if not listed else [])], widths)
    for row in rows[1:]:  # room to write in by hand
        sheet.row_dimensions[row].height = max(sheet.row_dimensions[row].height or 0, paper.POINTS_PER_LINE * FILL_LINES)
    paper.fit_spans(sheet, widths, 4, number - 1)  # a branch's name and levels, merged down its problems
    sheet.freeze_panes = "C4"
    paper.signatures(sheet, number, width, ["填表人", "审核人(签字)"])
    paper.page_setup(sheet, 3, footer=summary.title)


def _standing(row: BranchRow) -> str:
    """The branch's levels and marks: “无星、后进、相对后进”."""
    return "、".join(dict.fromkeys([*row.levels, *row.marks, *(["一票否决"] if row.vetoed else [])]))


def _notice(sheet: Worksheet, summary: Summary) -> None:
    columns = [paper.Column("序号", 5), paper.Column("编号", 14), paper.Column("名称", 20), paper.Column("总分", 8),
               *(paper.Column(scheme, 12) for scheme in summary.schemes), paper.Column("备注", 16)]
    width = len(columns)
    paper.title(sheet, 1, f"{summary.title} 评定结果公示", width)
    _note(sheet, 2, f"经评定,现将 {len(summary.rows)} 个{summary.subject}的评定结果公示如下。"
                    f"公示期:______年____月____日至______年____月____日。", width)
    paper.header(sheet, 3, [c.header for c in columns])
    rows = [3]
    for serial, row in enumerate(summary.rows, 1):
        values: list[Value] = [serial, row.id, row.name, cell_number(row.total), *row.levels, "、".join(row.marks) or None]
        paper.table_row(sheet, 3 + serial, values)
        rows.append(3 + serial)
    last = 3 + len(summary.rows)
    widths = paper.fit_columns(sheet, columns, 3, last)
    paper.fit_rows(sheet, widths, rows)
    _note(sheet, last + 2, "公示期间如有异议,请以书面、电话或来访形式向____________________反映。"
                           "联系人:____________    联系电话:________________", width)
    _note_heights(sheet, [2, last + 2], widths)
    paper.signatures(sheet, last + 3, width, ["发布单位(盖章)"])
    paper.page_setup(sheet, 3, landscape=False, footer=summary.title)


def naming_measures(summary: Summary, scheme: str, level: str) -> list[str]:
    """The level's 措施 that name it (授牌, 命名 …), as written."""
    found = grader_for(summary.rubric, scheme).consequences
    return list(dict.fromkeys(text for m in found if m.level == level and m.years is None for text in m.texts
                              if any(word in text for word in NAMING_WORDS)))


def _naming(sheet: Worksheet, summary: Summary) -> None:
    columns = [paper.Column("序号", 5), paper.Column("等级", 12), paper.Column("编号", 14), paper.Column("名称", 20),
               paper.Column("总分", 8), paper.Column("措施", 40)]
    width = len(columns)
    paper.title(sheet, 1, f"{summary.title} 拟命名名单", width)
    chosen = named_levels(summary)
    from_measures = bool(levels_with(summary, NAMING_WORDS))
    basis = "措施为命名、授星、授牌、授旗、挂牌或表彰的等级" if from_measures else "最高等级"
    _note(sheet, 2, f"列入本名单的{summary.subject}:{rule_words(chosen) or '(无)'}({basis}),按等级从高到低;"
                    f"因名额待定的不列入。", width)
    paper.header(sheet, 3, [c.header for c in columns])
    number, rows, serial = 4, [3], 0
    for group in named(summary):
        first = number
        measures = ";".join(naming_measures(summary, group.scheme, group.level))
        for row in group.rows:
            serial += 1
            paper.table_row(sheet, number, [serial, group.level, row.id, row.name, cell_number(row.total),
                                            measures if number == first else None])
            rows.append(number)
            number += 1
        paper.merge_down(sheet, 2, first, number - 1)
        paper.merge_down(sheet, 6, first, number - 1)
    if number == 4:
        _note(sheet, number, f"本次评定没有可列入本名单的{summary.subject}。", width)
        number += 1
    widths = paper.fit_columns(sheet, columns, 3, number - 1)
    paper.fit_rows(sheet, widths, rows)
    paper.fit_spans(sheet, widths, 4, number - 1)  # a level's 措施, merged down its branches
    _note_heights(sheet, [2, *([number - 1] if number == 5 and not rows[1:] else [])], widths)
    paper.signatures(sheet, number, width, ["审核人(签字)"])
    paper.page_setup(sheet, 3, footer=summary.title)
