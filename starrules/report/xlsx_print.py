"""Print layout for the workbooks starrules writes (the fill-in form, the report, the 整改台账, 公示 and 命名
lists), with openpyxl's own facilities, so a sheet prints as officers' paper does: a bordered table on
landscape A4 fitted to the page width, the title and header rows repeated on every page, wrapped text with
row heights that show it all, column widths from the text's display width (a CJK character is two
columns), page numbers in the footer and signature lines at the foot.

Excel and LibreOffice do not grow a row for wrapped text in a file they did not lay out themselves (a row
keeps its default height until someone edits it), so `fit_rows` sets each row's height from its longest
cell's wrapped line count; the estimate errs towards a taller row, never a clipped one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import attrs
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..core.source import display_width
from .xlsx_cells import Value, cell_text, put

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTRED = Alignment(wrap_text=True, horizontal="center", vertical="center")

POINTS_PER_LINE = 16.0  # row height (points) of one line of 11-point text with its leading (CJK fonts: 1.45 em)
_CHAR_UNITS = 1.1  # column width units a display column of 11-point text takes, with some slack


@attrs.frozen
class Column:
    """A column of a printed table: its header, and the widest it may be (display columns; text wraps past it)."""

    header: str
    widest: int = 40
    narrowest: int = 4


def page_setup(sheet: Worksheet, title_rows: int, landscape: bool = True, footer: str = "") -> None:
    """A4, landscape by default, fitted to one page wide (as many pages tall as it needs); rows 1..title_rows
    printed on every page; 第 N 页 共 M 页 (and `footer`, e.g. the standard's title) at the foot."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # 0: as many pages tall as the rows need
    properties = sheet.sheet_properties.pageSetUpPr
    assert properties is not None  # openpyxl makes one with every sheet
    properties.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    if title_rows:
        sheet.print_title_rows = f"1:{title_rows}"
    foot = sheet.oddFooter
    assert foot is not None
    foot.center.text = "第 &P 页 共 &N 页"
    if footer:
        foot.left.text = cell_text(footer).replace("&", "&&")  # XML-safe; "&" starts a header/footer code


def title(sheet: Worksheet, row: int, text: str, width: int) -> None:
    """A title merged across the table's `width` columns, centred."""
    cell = put(sheet, row, 1, text)
    cell.font, cell.alignment = TITLE_FONT, CENTRED
    if width > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    sheet.row_dimensions[row].height = POINTS_PER_LINE * 1.6


def header(sheet: Worksheet, row: int, names: Sequence[str]) -> None:
    for column, name in enumerate(names, 1):
        cell = put(sheet, row, column, name)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BOX, CENTRED


def table_row(sheet: Worksheet, row: int, values: Sequence[Value], number_format: str | None = None) -> None:
    """One bordered, wrapped row of values."""
    for column, value in enumerate(values, 1):
        cell = put(sheet, row, column, value)
        cell.border, cell.alignment = BOX, WRAP
        if number_format is not None and not isinstance(value, str) and value is not None:
            cell.number_format = number_format


def box(sheet: Worksheet, first_row: int, last_row: int, width: int) -> None:
    """Borders on every cell of rows first_row..last_row, columns 1..width (merged cells included)."""
    for row in sheet.iter_rows(min_row=first_row, max_row=last_row, min_col=1, max_col=width):
        for cell in row:
            cell.border = BOX


def merge_down(sheet: Worksheet, column: int, first_row: int, last_row: int) -> None:
    """One cell over rows first_row..last_row of `column` (a 类型 over its items), centred."""
    if last_row > first_row:
        sheet.merge_cells(start_row=first_row, start_column=column, end_row=last_row, end_column=column)
    sheet.cell(first_row, column).alignment = CENTRED


def fit_columns(sheet: Worksheet, columns: Sequence[Column], first_row: int, last_row: int) -> list[int]:
    """Each column as wide as its widest text line in rows first_row..last_row (display columns), between its
    `narrowest` and `widest`; returns the widths chosen (display columns), for `fit_rows`."""
    rows = range(first_row, last_row + 1)
    return [_fit(sheet, index, [column.header, *(_text(sheet.cell(r, index).value) for r in rows)], column)
            for index, column in enumerate(columns, 1)]


def fit_table_columns(sheet: Worksheet, rows: Iterable[int], width: int, widest: int = 40, narrowest: int = 4) -> list[int]:
    """`fit_columns` for a sheet of several tables (the 汇总表): widths from the cells of `rows` only, so a
    label row merged across a table (等级方案:星级) does not widen its first column."""
    rows = list(rows)
    bounds = Column("", widest, narrowest)
    return [_fit(sheet, index, [_text(sheet.cell(r, index).value) for r in rows], bounds) for index in range(1, width + 1)]


def _fit(sheet: Worksheet, index: int, texts: Sequence[str], bounds: Column) -> int:
    """Column `index` as wide as the widest line of `texts`, within `bounds`; the width chosen (display columns)."""
    found = max((display_width(line) for text in texts for line in text.split("\n")), default=0)
    chosen = max(bounds.narrowest, min(bounds.widest, found + 1))
    sheet.column_dimensions[get_column_letter(index)].width = chosen * _CHAR_UNITS
    return chosen


def fit_rows(sheet: Worksheet, widths: Sequence[int], rows: Iterable[int]) -> None:
    """Each row tall enough for its longest wrapped cell (merged cells excepted: they span rows)."""
    merged = {(r, c) for span in sheet.merged_cells.ranges for r in range(span.min_row, span.max_row + 1)
              for c in range(span.min_col, span.max_col + 1) if span.max_row > span.min_row}
    for row in rows:
        lines = 1
        for index, width in enumerate(widths, 1):
            if (row, index) in merged:
                continue
            text = _text(sheet.cell(row, index).value)
            lines = max(lines, sum(max(1, math.ceil(display_width(part) / max(width - 1, 1)))
                                   for part in text.split("\n")))
        sheet.row_dimensions[row].height = POINTS_PER_LINE * lines


def fit_spans(sheet: Worksheet, widths: Sequence[int], first_row: int, last_row: int) -> None:
    """After `fit_rows`: each cell merged down over rows (an item's criteria beside its several inputs)
    gets rows tall enough for its wrapped text between them; a shortfall is spread over its rows."""
    for span in sheet.merged_cells.ranges:
        if span.max_row == span.min_row or not first_row <= span.min_row <= span.max_row <= last_row:
            continue
        width = sum(widths[c - 1] for c in range(span.min_col, span.max_col + 1) if c <= len(widths))
        # half a line more than the text: a tall merged cell is clipped at the top and bottom, not just the end
        needed = POINTS_PER_LINE * (_lines(_text(sheet.cell(span.min_row, span.min_col).value), width) + 0.5)
        rows = range(span.min_row, span.max_row + 1)
        short = needed - sum(sheet.row_dimensions[r].height or POINTS_PER_LINE for r in rows)
        if short > 0:
            for r in rows:
                sheet.row_dimensions[r].height = (sheet.row_dimensions[r].height or POINTS_PER_LINE) + short / len(rows)


def _lines(text: str, width: int) -> int:
    """Lines `text` takes wrapped at `width` display columns (a column's worth kept for the cell's padding)."""
    return sum(max(1, math.ceil(display_width(part) / max(width - 1, 1))) for part in text.split("\n"))


def signatures(sheet: Worksheet, row: int, width: int, labels: Sequence[str]) -> int:
    """Signature lines at the foot, after a blank row: "评定人(签字):____  日期:____年__月__日" spread
    over the table's width. Returns the last row written."""
    row += 1
    text = "    ".join(f"{label}:{'_' * 12}" for label in labels) + f"    日期:{'_' * 6}年{'_' * 3}月{'_' * 3}日"
    cell = put(sheet, row, 1, text)
    cell.alignment = Alignment(vertical="center")
    if width > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    sheet.row_dimensions[row].height = POINTS_PER_LINE * 2
    return row


def _text(value: object) -> str:
    return "" if value is None else str(value)
