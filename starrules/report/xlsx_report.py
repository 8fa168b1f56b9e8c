"""`starrules report`: the 一览表 and 汇总表 as an Excel workbook (with a native bar chart of the
first scheme's level distribution), and the same distribution as a PNG (`write_chart`). A rubric
whose `综合` has `以 X 为准` gets a third sheet, the 评价主体对照: for each branch that X and another
rater scored, every item and the total as each scored it and X's minus each other's. Every cell is
written through `xlsx_cells.put`: a branch's id or name starting with "=" stays text."""

from __future__ import annotations

import os

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ..core.atomic import save_with, write_bytes
from .png_chart import bar_chart_png
from .summary import Summary, Tally, deciding_rater
from .xlsx_cells import cell_text, put
from .xlsx_template import HEADER_FILL, HEADER_FONT, cell_number

LIST_SHEET, TALLY_SHEET, RATER_SHEET = "一览表", "汇总表", "评价主体对照"


def write_report(summary: Summary, path: str | os.PathLike[str]) -> None:
    """Write the workbook, atomically: a failed save leaves an existing file at `path` as it was."""
    save_with(path, report_workbook(summary).save)


def report_workbook(summary: Summary) -> Workbook:
    """The 一览表 and 汇总表, for a caller that saves it itself (the CLI saves several files together)."""
    book = Workbook()
    listing = book.active
    assert listing is not None
    listing.title = LIST_SHEET
    _listing(listing, summary)
    _tallies(book.create_sheet(TALLY_SHEET), summary)
    deciding = deciding_rater(summary.rubric)
    if deciding is not None:
        _comparisons(book.create_sheet(RATER_SHEET), summary, deciding)
    return book


def write_chart(summary: Summary, path: str | os.PathLike[str]) -> None:
    """The first scheme's level distribution as a PNG bar chart, written atomically."""
    write_bytes(path, chart_png(summary))


def chart_png(summary: Summary) -> bytes:
    counts = summary.tallies[0].overall
    return bar_chart_png(counts, [Tally.share(c, sum(counts)) for c in counts])


def _header(sheet: Worksheet, row: int, names: list[str]) -> None:
    for column, name in enumerate(names, 1):
        cell = put(sheet, row, column, name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL


def _listing(sheet: Worksheet, summary: Summary) -> None:
    put(sheet, 1, 1, f"{summary.title} 评定情况一览表").font = Font(bold=True, size=14)
    group = [summary.group_by] if summary.group_by else []
    notices = ["提示"] if summary.rubric.notices else []  # a column only for a rubric with 提示 lines
    standard = ["标准"] if summary.mixed else []  # a family: which standard scored each branch
    _header(sheet, 2, ["名次", "编号", "名称", *standard, *group, *summary.section_names, "总分", *summary.schemes,
                       "标记", "否决", *notices, "措施"])
    for number, row in enumerate(summary.rows, 3):
        values = [row.rank, row.id, row.name, *([row.result.rubric] if standard else []), *([row.group] if group else []),
                  *(cell_number(s) for s in row.sections), cell_number(row.total), *row.levels,
                  "、".join(row.marks), "是" if row.vetoed else "",
                  *([";".join(row.result.notices)] if notices else []), ";".join(row.consequences)]
        for column, value in enumerate(values, 1):
            put(sheet, number, column, value)
    sheet.freeze_panes = "D3"


def _comparisons(sheet: Worksheet, summary: Summary, deciding: str) -> None:
    """One row per item (and one 总分 row) of every branch that the deciding rater and another scored:
    the scores side by side and the differences (不适用 items show as such, with no difference)."""
    put(sheet, 1, 1, f"{summary.title} 评价主体对照表(以 {deciding} 为准)").font = Font(bold=True, size=14)
    compared = [row for row in summary.rows if row.comparison is not None]
    if not compared:
        put(sheet, 2, 1, f"没有{summary.subject}同时有“{deciding}”和其他评价主体的评分表")
        return
    number = 2
    for row in compared:
        comparison = row.comparison
        assert comparison is not None
        if number > 2:
            number += 2  # a blank row between branches
        _header(sheet, number, ["名次", "编号", "名称", "类型", "项目", "分值", *comparison.raters,
                                *(f"差额({deciding}−{other})" for other in comparison.others)])
        for line in comparison.lines:
            number += 1
            values = [row.rank, row.id, row.name, line.section, line.item, cell_number(line.max),
                      *("不适用" if s is None else cell_number(s) for s in line.scores),
                      *(None if d is None else cell_number(d) for d in line.differences)]
            for column, value in enumerate(values, 1):
                cell = put(sheet, number, column, value)
                if line.section is None:
                    cell.font = Font(bold=True)
    sheet.freeze_panes = "D3"


def _tallies(sheet: Worksheet, summary: Summary) -> None:
    put(sheet, 1, 1, f"{summary.title} 评定情况汇总表").font = Font(bold=True, size=14)
    row = 3
    for tally in summary.tallies:
        put(sheet, row, 1, f"等级方案:{tally.scheme}").font = HEADER_FONT
        row += 1
        header = [summary.group_by or "分组"]
        for level in tally.levels:
            header += [f"{level}(个)", f"{level}(占比)"]
        _header(sheet, row, [*header, "合计(个)"])
        for group, counts in tally.rows:
            row += 1
            of = sum(counts)
            put(sheet, row, 1, group)
            for index, count in enumerate(counts):
                put(sheet, row, 2 + 2 * index, count)
                put(sheet, row, 3 + 2 * index, Tally.share(count, of)).number_format = "0.0%"
            put(sheet, row, 2 + 2 * len(counts), of)
        row += 2
    _chart(sheet, summary.tallies[0], row, f"{summary.subject}数")


def _chart(sheet: Worksheet, tally: Tally, row: int, counted: str) -> None:
    """The first scheme's distribution over all branches: a level | count table and its bar chart;
    `counted` heads the counts (饭店数: what the standard rates)."""
    _header(sheet, row, ["等级", counted])
    for offset, (level, count) in enumerate(zip(tally.levels, tally.overall), 1):
        put(sheet, row + offset, 1, level)
        put(sheet, row + offset, 2, count)
    last = row + len(tally.levels)
    chart = BarChart()
    chart.title = cell_text(f"{tally.scheme} 等级分布")
    chart.y_axis.title = cell_text(counted)
    chart.legend = None
    chart.add_data(Reference(sheet, min_col=2, min_row=row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=row + 1, max_row=last))
    sheet.add_chart(chart, f"D{row}")
