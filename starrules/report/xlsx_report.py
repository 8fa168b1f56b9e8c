"""`starrules report`: the 一览表 and 汇总表 as an Excel workbook (with a native bar chart of the
first scheme's level distribution; the PNG of the same is png_chart.py's). A rubric
whose `综合` has `以 X 为准` gets a third sheet, the 评价主体对照: for each branch that X and another
rater scored, every item and the total as each scored it and X's minus each other's. With
`papers`, the 整改台账, 公示 and 命名 sheets follow (xlsx_papers.py). Every cell is written through
`xlsx_cells.put`: a branch's id or name starting with "=" stays text.

Every sheet is laid out for print (xlsx_print.py): landscape A4 one page wide, title and header rows
on every page, page numbers at the foot. The 一览表 keeps one header row and one row per branch
from row 3 (programs read it back), so its 填报单位 / 填表人 / 日期 line is the printed page header
rather than a row; a grouped 一览表 puts a heading row with the group's counts before each group."""

from __future__ import annotations

import os
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ..core.atomic import save_with
from . import xlsx_print as paper
from .png_chart import colour
from .summary import BranchRow, Summary, Tally, deciding_rater
from .xlsx_papers import add_papers
from .xlsx_cells import Value, cell_text, put
from .xlsx_template import cell_number

LIST_SHEET, TALLY_SHEET, RATER_SHEET = "一览表", "汇总表", "评价主体对照"
FILLED_BY = "填报单位(盖章):__________    填表人:________    填表日期:______年____月____日"
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
NO_SHEET = "—"  # a rater who did not score the branch
TEXT_COLUMNS = ("编号", "名称", "标准", "提示", "措施")  # left-aligned in the 一览表; the other columns are centred
SHORT = Alignment(wrap_text=True, horizontal="center", vertical="top")


def write_report(summary: Summary, path: str | os.PathLike[str], papers: bool = False) -> None:
    """Write the workbook, atomically: a failed save leaves an existing file at `path` as it was."""
    save_with(path, report_workbook(summary, papers).save)


def report_workbook(summary: Summary, papers: bool = False) -> Workbook:
    """The 一览表 and 汇总表 (and the 评价主体对照; with `papers` the 整改台账, 公示 and 命名 sheets), for a
    caller that saves it itself (the CLI saves several files together)."""
    book = Workbook()
    listing = book.active
    assert listing is not None
    listing.title = LIST_SHEET
    _listing(listing, summary)
    _tallies(book.create_sheet(TALLY_SHEET), summary)
    deciding = deciding_rater(summary.rubric)
    if deciding is not None:
        _comparisons(book.create_sheet(RATER_SHEET), summary, deciding)
    if papers:
        add_papers(book, summary)
    return book


def listing_columns(summary: Summary) -> list[paper.Column]:
    """The 一览表's columns, with how wide each may grow before its text wraps (措施 wraps inside its own)."""
    Column = paper.Column
    columns = [Column("名次", 5), Column("编号", 14), Column("名称", 16)]
    columns += [Column("标准", 16)] if summary.mixed else []  # a family: which standard scored each branch
    columns += [Column(summary.group_by, 12)] if summary.group_by else []
    columns += [Column(name, 10) for name in summary.section_names]
    columns += [Column(f"总分({name})", 10) for name in summary.raters]  # each rater's own total, beside the total
    columns += [Column("总分", 8), *(Column(scheme, 10) for scheme in summary.schemes), Column("标记", 12),
                Column("否决", 5)]
    columns += [Column("提示", 24)] if summary.rubric.notices else []  # only for a rubric with 提示 lines
    return [*columns, Column("措施", 40)]


def _listing(sheet: Worksheet, summary: Summary) -> None:
    columns = listing_columns(summary)
    width = len(columns)
    paper.title(sheet, 1, f"{summary.title} 评定情况一览表", width)
    paper.header(sheet, 2, [c.header for c in columns])
    number, rows, headings = 3, [2], []
    centred = [n for n, c in enumerate(columns, 1) if c.header not in TEXT_COLUMNS]  # figures, levels, marks
    for group, members in summary.grouped:
        if summary.group_by is not None:
            _group_heading(sheet, number, width, summary, group, members)
            headings.append(number)
            number += 1
        for row in members:
            paper.table_row(sheet, number, _listing_values(summary, row))
            for column in centred:
                sheet.cell(number, column).alignment = SHORT
            rows.append(number)
            number += 1
    widths = paper.fit_columns(sheet, columns, 2, number - 1)
    paper.fit_rows(sheet, widths, rows)
    for heading in headings:
        sheet.row_dimensions[heading].height = paper.POINTS_PER_LINE * 1.4
    sheet.freeze_panes = "D3"
    paper.page_setup(sheet, 2, footer=summary.title)
    head = sheet.oddHeader
    assert head is not None
    head.left.text = FILLED_BY


def _listing_values(summary: Summary, row: BranchRow) -> list[Value]:
    notices = [";".join(row.result.notices)] if summary.rubric.notices else []
    return [row.rank, row.id, row.name, *([row.result.rubric] if summary.mixed else []),
            *([row.group] if summary.group_by else []), *(cell_number(s) for s in row.sections),
            *(NO_SHEET if t is None else cell_number(t) for t in row.rater_totals), cell_number(row.total),
            *row.levels, "、".join(row.marks), "是" if row.vetoed else "", *notices, ";".join(row.consequences)]


def _group_heading(sheet: Worksheet, row: int, width: int, summary: Summary, group: str | None,
                   members: Sequence[BranchRow]) -> None:
    """“领域:机关(2 个党支部;五好:五好党支部 1 个、未达标 1 个)”, merged across the table."""
    counts = []
    for position, tally in enumerate(summary.tallies):
        found = [(level, sum(1 for m in members if m.levels[position] == level)) for level in tally.levels]
        counts.append(f"{tally.scheme}:" + "、".join(f"{level} {n} 个" for level, n in found if n))
    name = group if group is not None else "(未填)"
    cell = put(sheet, row, 1, f"{summary.group_by}:{name}(共 {len(members)} 个{summary.subject};{';'.join(counts)})")
    cell.font, cell.fill = paper.HEADER_FONT, GROUP_FILL
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    paper.box(sheet, row, row, width)


def _comparisons(sheet: Worksheet, summary: Summary, deciding: str) -> None:
    """One row per item (and one 总分 row) of every branch that the deciding rater and another scored:
    the scores side by side and the differences (不适用 items show as such, with no difference)."""
    compared = [row for row in summary.rows if row.comparison is not None]
    raters = max((len(row.comparison.raters) for row in compared if row.comparison is not None), default=1)
    width = 6 + raters + raters - 1
    paper.title(sheet, 1, f"{summary.title} 评价主体对照表(以 {deciding} 为准)", width)
    paper.page_setup(sheet, 1, footer=summary.title)
    if not compared:
        put(sheet, 2, 1, f"没有{summary.subject}同时有“{deciding}”和其他评价主体的评分表")
        return
    number, tables = 2, []
    for row in compared:
        comparison = row.comparison
        assert comparison is not None
        if number > 2:
            number += 2  # a blank row between branches
        paper.header(sheet, number, ["名次", "编号", "名称", "类型", "项目", "分值", *comparison.raters,
                                     *(f"差额({deciding}−{other})" for other in comparison.others)])
        tables.append(number)
        for line in comparison.lines:
            number += 1
            paper.table_row(sheet, number, [row.rank, row.id, row.name, line.section, line.item, cell_number(line.max),
                                             *("不适用" if s is None else cell_number(s) for s in line.scores),
                                             *(None if d is None else cell_number(d) for d in line.differences)])
            tables.append(number)
            if line.section is None:
                for column in range(1, width + 1):
                    sheet.cell(number, column).font = Font(bold=True)
    widths = paper.fit_table_columns(sheet, tables, width, widest=16)
    paper.fit_rows(sheet, widths, tables)
    sheet.freeze_panes = "D3"


def _tallies(sheet: Worksheet, summary: Summary) -> None:
    width = max(2 + 2 * len(t.levels) for t in summary.tallies)
    paper.title(sheet, 1, f"{summary.title} 评定情况汇总表", width)
    row, tables = 3, list[int]()
    for tally in summary.tallies:
        put(sheet, row, 1, f"等级方案:{tally.scheme}").font = paper.HEADER_FONT
        row += 1
        row = _count_table(sheet, row, summary.group_by or "分组", tally, tally.rows, tables)
        if tally.by_rater:  # the college's way: how each rater's own sheets would have placed the branches
            put(sheet, row + 1, 1, f"按评价主体:{tally.scheme}(各评价主体的评分单独定级,不计名额和倒排;"
                                   f"“评定结果”为最终等级)").font = paper.HEADER_FONT
            row = _count_table(sheet, row + 2, "评价主体", tally, (*tally.by_rater, ("评定结果", tally.overall)),
                               tables)
        row += 1
    counted = f"{summary.subject}数"
    last = _chart_table(sheet, row, summary.tallies[0], counted, tables)
    widths = paper.fit_table_columns(sheet, tables, width, widest=14)
    paper.fit_rows(sheet, widths, tables)
    _chart(sheet, summary.tallies[0], row, last, counted)
    chart_rows = 17  # the chart's 8 cm at 15-point rows, and a little room
    paper.signatures(sheet, last + chart_rows, width, ["填报单位(盖章)", "填表人"])
    paper.page_setup(sheet, 1, footer=summary.title)


def _count_table(sheet: Worksheet, row: int, first: str, tally: Tally,
                 lines: Sequence[tuple[str, Sequence[int]]], tables: list[int]) -> int:
    """A header and one row per (name, counts): each level's count and share, then the sum. Returns the
    last row written."""
    header = [first]
    for level in tally.levels:
        header += [f"{level}(个)", f"{level}(占比)"]
    paper.header(sheet, row, [*header, "合计(个)"])
    tables.append(row)
    for name, counts in lines:
        row += 1
        of = sum(counts)
        values: list[Value] = [name]
        for count in counts:
            values += [count, Tally.share(count, of)]
        paper.table_row(sheet, row, [*values, of])
        for index in range(len(counts)):
            sheet.cell(row, 3 + 2 * index).number_format = "0.0%"
        tables.append(row)
    return row


def fill_hex(index: int) -> str:
    """The colour of the level at `index` (best first), as png_chart draws it, as an RRGGBB string."""
    red, green, blue = colour(index)
    return f"{red:02X}{green:02X}{blue:02X}"


def _chart_table(sheet: Worksheet, row: int, tally: Tally, counted: str, tables: list[int]) -> int:
    """The chart's data: a level | count table, each level's cell in its bar's colour."""
    paper.header(sheet, row, ["等级", counted])
    tables.append(row)
    for offset, (level, count) in enumerate(zip(tally.levels, tally.overall), 1):
        paper.table_row(sheet, row + offset, [level, count])
        sheet.cell(row + offset, 1).fill = PatternFill("solid", fgColor=fill_hex(offset - 1))
        tables.append(row + offset)
    return row + len(tally.levels)


def _chart(sheet: Worksheet, tally: Tally, row: int, last: int, counted: str) -> None:
    """The first scheme's distribution over all branches as a bar chart under its table: the level names on
    the category axis, whole counts from 0 on the value axis, one colour per level (png_chart's, best first)."""
    chart = BarChart()
    chart.title = cell_text(f"{tally.scheme} 等级分布")
    chart.y_axis.title = cell_text(counted)
    chart.x_axis.title = "等级"
    chart.legend = None
    chart.varyColors = True
    chart.add_data(Reference(sheet, min_col=2, min_row=row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=row + 1, max_row=last))
    # openpyxl 3.1 writes <c:delete val="1"/> on both axes unless told: Excel would draw neither
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.y_axis.scaling.min = 0
    chart.y_axis.majorUnit = max(1, -(-max(tally.overall, default=0) // 10))  # whole counts, at most ~10 ticks
    chart.y_axis.number_format = "0"
    number_format = chart.y_axis.numFmt
    assert number_format is not None  # made by number_format just above
    number_format.sourceLinked = False
    series = chart.series[0]
    series.dPt = [DataPoint(idx=index, invertIfNegative=False,
                            spPr=GraphicalProperties(solidFill=fill_hex(index)))
                  for index in range(len(tally.levels))]
    chart.width, chart.height = 16, 8
    sheet.add_chart(chart, f"A{last + 2}")
