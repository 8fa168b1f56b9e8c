"""`starrules template`: an Excel fill-in form for a rubric. Sheet 评分表 is laid out, and prints, like
the paper 评分表 (类型 | 项目 | 分值 | 考核评价标准 | 考评方式 | 填写 | 填写项 | 填写说明) for one branch:
a bordered table on landscape A4 fitted to the page width, its header row on every page, each 类型
merged down over its items' rows and each item's cells over the rows of its inputs, criteria wrapped
in full, page numbers and the standard's title in the footer, signature lines at the foot. A rubric
with groups (类型 inside 类型) has one column per level in place of 类型 (一级指标 | 二级指标 | … | 项目
| …), each heading merged down over its items; a rubric with raters has one input column per rater
(自评 | 测评 | 党委评定 …) in place of 填写. Sheet 批量 has one row per branch. Every input cell carries
Excel data validation for its type (是/否, whole numbers ≥ 0, 0–1, the options, a 酌情 range, the 分档
names). Every text goes through `xlsx_cells`, so a name is never written as a formula."""

from __future__ import annotations

import os
from decimal import Decimal
from fractions import Fraction
from collections.abc import Sequence
from typing import Literal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..core.atomic import save_with
from ..io.form import BATCH_SHEET, FORM_SHEET, HINT_HEADER, INPUT_HEADER, KEY_HEADER, KEY_SEPARATOR, Form, Input, \
    build_form, heading_of
from ..lang import ast
from ..check.model import CheckedRubric
from ..core.numbers import Exact, format_decimal
from . import xlsx_print
from .xlsx_cells import Value, cell_text, put

OPTIONS_SHEET = "选项"  # hidden; option lists a list validation cannot spell inline (see _Options)
BATCH_ROWS = 500  # rows of the 批量 sheet that carry data validation
HEADER_ROW = 3  # of the 评分表: its title, the instructions, then the table's header (read back by its 填写项 cell)

_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")


def write_template(rubric: CheckedRubric, path: str | os.PathLike[str], batch_rows: int = BATCH_ROWS) -> None:
    form = build_form(rubric)
    raters = rater_names(rubric)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = FORM_SHEET
    batch = book.create_sheet(BATCH_SHEET)
    options = _Options(book)  # made after 批量, so a 选项 sheet, when needed, comes last
    _form_sheet(sheet, rubric, form, raters, options)
    _batch_sheet(batch, form, raters, batch_rows, options)
    save_with(path, book.save)  # atomic: a failed save leaves an existing file at `path` as it was


def identity_rows(subject: str) -> tuple[tuple[str, str, str], ...]:
    """(label, key, hint) of the 评分表's 基本信息 rows; `subject` is what the standard rates (主体)."""
    return (("编号", "id", f"必填:本{subject}在本批中唯一的编号"), ("名称", "名称", f"选填:{subject}名称"))


def cell_number(value: Exact) -> Decimal:
    """Points as an exact Decimal cell value (Excel shows 84.5, not 84.49999…)."""
    return Decimal(format_decimal(Fraction(value)))


def rater_names(rubric: CheckedRubric) -> tuple[str, ...]:
    if rubric.raters is None:
        return ()
    return tuple(dict.fromkeys(entry.name for entry in rubric.raters.entries))


class _Options:
    """Formula1 of a list validation. Excel's inline list is one quoted string split at commas,
    at most 255 characters, with no escape for a comma or a quote: an option `b,c` would become
    two, and `d"e` would end the string and let the rest be read as a formula. Such lists go
    into a column of the hidden 选项 sheet (as text cells) and the validation names that range."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.sheet: Worksheet | None = None
        self.ranges: dict[tuple[str, ...], str] = {}

    def formula(self, choices: tuple[str, ...]) -> str:
        if _inline(choices):
            return '"' + ",".join(choices) + '"'
        if choices not in self.ranges:
            if self.sheet is None:
                self.sheet = self.book.create_sheet(OPTIONS_SHEET)
                self.sheet.sheet_state = "hidden"
            column = len(self.ranges) + 1
            for row, choice in enumerate(choices, 1):
                put(self.sheet, row, column, choice)
            letter = get_column_letter(column)
            self.ranges[choices] = f"'{OPTIONS_SHEET}'!${letter}$1:${letter}${len(choices)}"
        return self.ranges[choices]


def _inline(choices: tuple[str, ...]) -> bool:
    return len(",".join(choices)) <= 255 and all(
        choice and choice == choice.strip() and choice == cell_text(choice) and not set(choice) & {",", '"'}
        for choice in choices)


class _Validations:
    """One DataValidation per distinct rule, shared by every cell it applies to."""

    def __init__(self, sheet: Worksheet, options: _Options) -> None:
        self.sheet = sheet
        self.options = options
        self.rules: dict[tuple[str, ...], DataValidation] = {}

    def add(self, entry: Input, cells: str) -> None:
        rule = _rule(entry, self.options)
        if rule not in self.rules:
            kind, operator, first, second, message = rule
            validation = DataValidation(type=kind, operator=operator or None, formula1=first, formula2=second or None,
                                        allow_blank=True, showErrorMessage=True, errorTitle="填写有误",
                                        error=_message(message))
            self.sheet.add_data_validation(validation)
            self.rules[rule] = validation
        self.rules[rule].add(cells)


def _message(text: str) -> str:
    """An error message Excel accepts: XML-safe, at most 255 characters (the list is in the drop-down)."""
    text = cell_text(text)
    return text if len(text) <= 255 else text[:254] + "…"


# the validation types and operators _rule uses, spelled as openpyxl's DataValidation takes them
# ("" is no operator: a list has none)
_Kind = Literal["list", "whole", "decimal"]
_Operator = Literal["", "between", "greaterThanOrEqual"]


def _rule(entry: Input, options: _Options) -> tuple[_Kind, _Operator, str, str, str]:
    """(type, operator, formula1, formula2, error message) of an input's data validation."""
    if entry.choices:
        return "list", "", options.formula(entry.choices), "", "请从下拉列表中选择:" + "、".join(entry.choices)
    if entry.kind == "count":
        return "whole", "greaterThanOrEqual", "0", "", "请填写不小于 0 的整数"
    if entry.kind == "ratio":
        return "decimal", "between", "0", "1", "请填写 0 到 1 之间的数(百分数如 85%)"
    if entry.kind == "judged":
        low, high = format_decimal(Fraction(entry.low or 0)), format_decimal(Fraction(entry.high or 0))
        what = entry.hint.split(":")[0]  # 酌情给分 / 酌情扣分,填要扣的分(不是得分) — as the form's own hint says
        return "decimal", "between", low, high, f"{what}:应在 {low} 至 {high} 分之间"
    return "decimal", "between", "-1E+15", "1E+15", "请填写数值"


def _form_sheet(sheet: Worksheet, rubric: CheckedRubric, form: Form, raters: Sequence[str], options: _Options) -> None:
    inputs = tuple(raters) or (INPUT_HEADER,)
    headers = (*form.table_headers, *inputs, KEY_HEADER, HINT_HEADER)
    width = len(headers)
    heading = f"{rubric.title or rubric.name}评分表"
    xlsx_print.title(sheet, 1, heading, width)
    put(sheet, 2, 1, f"在黄色单元格填写:{'每个评价主体一列' if raters else '“填写”列'};“填写项”列是证据中的名称,请勿改动。"
                   f"一个{rubric.subject}用本表,多个{rubric.subject}用“{BATCH_SHEET}”表(每行一个{rubric.subject})。"
                   ).alignment = xlsx_print.WRAP
    _merge(sheet, 2, 2, 1, width)
    xlsx_print.header(sheet, HEADER_ROW, headers)
    last = _table(sheet, rubric, form, len(inputs), _Validations(sheet, options))
    # for print: boxed, every text shown in full, the header on every page, signatures at the foot
    xlsx_print.box(sheet, HEADER_ROW, last, width)
    widths = xlsx_print.fit_columns(sheet, _form_columns(headers, form.levels, len(inputs)), HEADER_ROW, last)
    xlsx_print.fit_rows(sheet, widths, range(HEADER_ROW, last + 1))
    xlsx_print.fit_spans(sheet, widths, HEADER_ROW, last)
    xlsx_print.fit_rows(sheet, [sum(widths)], (2,))
    end = xlsx_print.signatures(sheet, last + 1, width, _signers(raters))
    xlsx_print.page_setup(sheet, 0, footer=_footer(heading))
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"  # the header on every page; the title once, on the first
    sheet.print_area = f"A1:{get_column_letter(width)}{end}"
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"


def _table(sheet: Worksheet, rubric: CheckedRubric, form: Form, raters: int, validations: _Validations) -> int:
    """The rows below the header: 基本信息, the items (one row per input, at least one per item), the
    facts no item reads. `raters`: how many input columns. Returns the table's last row."""
    levels, width = form.levels, len(form.table_headers)
    item_column = levels + 1  # 项目, then 分值, 考核评价标准, 考评方式
    first_input, key_column = width + 1, width + raters + 1
    row = HEADER_ROW + 1
    for label, key, hint in identity_rows(rubric.subject):
        put(sheet, row, item_column, label).alignment = xlsx_print.CENTRED
        cell = sheet.cell(row, first_input)
        cell.fill, cell.alignment = _INPUT_FILL, xlsx_print.CENTRED
        _merge(sheet, row, row, first_input, key_column - 1)  # one entry, whoever rates: read from the first column
        put(sheet, row, key_column, key).alignment = _TEXT
        put(sheet, row, key_column + 1, hint).alignment = _TEXT
        row += 1
    put(sheet, HEADER_ROW + 1, 1, "基本信息").alignment = xlsx_print.CENTRED
    _merge(sheet, HEADER_ROW + 1, row - 1, 1, levels)
    headings = _Headings(sheet)
    for entry in form.items:
        headings.begin(entry.path, row)
        values: tuple[Value, ...] = (entry.item.name, cell_number(entry.item.points.value),
                                     entry.text("criterion"), entry.text("method"))
        for column, value in enumerate(values, item_column):
            put(sheet, row, column, value).alignment = xlsx_print.CENTRED if column < item_column + 2 else _TEXT
        end = _input_rows(sheet, entry.inputs, row, first_input, raters, validations)
        for column in range(item_column, width + 1):  # the item's cells over the rows of its inputs
            _merge(sheet, row, end - 1, column, column)
        row = end
    headings.end(row)
    if form.other_facts:
        put(sheet, row, 1, "其他事实").alignment = xlsx_print.CENTRED
        put(sheet, row, item_column + 2, "等级条件、否决条件或派生值用到的事实").alignment = _TEXT
        end = _input_rows(sheet, form.other_facts, row, first_input, raters, validations)
        _merge(sheet, row, end - 1, 1, item_column + 1)
        _merge(sheet, row, end - 1, item_column + 2, width)
        row = end
    return row - 1


_TEXT = Alignment(wrap_text=True, vertical="center")  # criteria and methods: wrapped in full, left-aligned


def _footer(text: str) -> str:
    """The title as the footer can hold it: XML-safe, and short (Excel refuses a footer over 255 characters,
    page numbers and codes included)."""
    text = cell_text(text)
    return text if len(text) <= 80 else text[:79] + "…"


def _merge(sheet: Worksheet, first_row: int, last_row: int, first_column: int, last_column: int) -> None:
    if last_row > first_row or last_column > first_column:
        sheet.merge_cells(start_row=first_row, start_column=first_column, end_row=last_row, end_column=last_column)


def _form_columns(headers: Sequence[str], levels: int, inputs: int) -> list[xlsx_print.Column]:
    """How wide each column of the 评分表 may grow (display columns) before its text wraps: the
    criteria widest, so that landscape A4 holds the whole table at a readable size."""
    caps = (*(10,) * levels, 14, 6, 60, 36, *(10,) * inputs, 18, 30)
    lows = (*(6,) * levels, 8, 6, 20, 12, *(8,) * inputs, 8, 12)
    return [xlsx_print.Column(name, widest, narrowest) for name, widest, narrowest in zip(headers, caps, lows)]


def _signers(raters: Sequence[str]) -> tuple[str, ...]:
    """Who signs the foot of the form: each rater, or the one filling it in and the one checking it."""
    return tuple(f"{rater}(签字)" for rater in raters) or ("填表人(签字)", "考核人(签字)")


class _Headings:
    """The level columns of the 评分表: a section's (or group's) heading in its level's column,
    merged down over the rows of all its items, as officers draw the tree."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.open: list[tuple[ast.Container, int]] = []  # per level: the section or group, its first row

    def begin(self, path: tuple[ast.Container, ...], row: int) -> None:
        """An item at `row` inside `path` (its section, then its groups): close the levels it leaves,
        and write the headings of those it enters."""
        kept = 0
        while kept < min(len(path), len(self.open)) and self.open[kept][0] is path[kept]:
            kept += 1
        self._close(kept, row)
        for level in range(kept, len(path)):
            put(self.sheet, row, level + 1, heading_of(path[level])).alignment = xlsx_print.CENTRED
            self.open.append((path[level], row))

    def end(self, row: int) -> None:
        """After the last item, at the first free row."""
        self._close(0, row)

    def _close(self, keep: int, row: int) -> None:
        while len(self.open) > keep:
            _, first = self.open.pop()
            column = len(self.open) + 1
            _merge(self.sheet, first, row - 1, column, column)


def _input_rows(sheet: Worksheet, inputs: Sequence[Input], row: int, first: int, count: int,
                validations: _Validations) -> int:
    """Write one row per input (at least one row); returns the next free row."""
    for entry in inputs:
        for column in range(first, first + count):
            cell = sheet.cell(row, column)
            cell.fill, cell.alignment = _INPUT_FILL, xlsx_print.CENTRED
        validations.add(entry, f"{get_column_letter(first)}{row}:{get_column_letter(first + count - 1)}{row}")
        put(sheet, row, first + count, entry.key).alignment = _TEXT
        put(sheet, row, first + count + 1, ("必填。" if entry.required else "") + entry.hint).alignment = _TEXT
        row += 1
    return row + (0 if inputs else 1)


def batch_headers(form: Form, raters: Sequence[str]) -> list[tuple[str, Input | None]]:
    """The 批量 sheet's columns: id, 名称, then every input (once per rater when there are raters)."""
    columns: list[tuple[str, Input | None]] = [("id", None), ("名称", None)]
    entries = list(form.inputs())
    for rater in raters or ("",):
        columns.extend((f"{rater}{KEY_SEPARATOR}{e.key}" if rater else e.key, e) for e in entries)
    return columns


def _batch_sheet(sheet: Worksheet, form: Form, raters: Sequence[str], rows: int, options: _Options) -> None:
    """A data-entry sheet: its header boxed and wrapped, frozen and repeated on every printed page. The
    empty rows below carry only validation (no borders or fill), so a printout holds the header and the
    rows filled in, never pages of empty boxes."""
    validations = _Validations(sheet, options)
    columns = batch_headers(form, raters)
    xlsx_print.header(sheet, 1, [name for name, _ in columns])
    for column, (_, entry) in enumerate(columns, 1):
        if entry is not None:
            sheet.cell(1, column).comment = Comment(cell_text(("必填。" if entry.required else "") + entry.hint),
                                                    "starrules")
            letter = get_column_letter(column)
            validations.add(entry, f"{letter}2:{letter}{rows + 1}")
    widths = xlsx_print.fit_columns(sheet, [xlsx_print.Column(name, 16, 8) for name, _ in columns], 1, 1)
    xlsx_print.fit_rows(sheet, widths, (1,))
    xlsx_print.page_setup(sheet, 1, footer=BATCH_SHEET)
    sheet.freeze_panes = "C2"
