"""Reading filled Excel forms (`.xlsx`) as evidence records: the 评分表 sheet is one branch (read
by its 填写项 column, so rows may be moved or added), the 批量 sheet one branch per row. Every
value is located by sheet and cell (`评分表!F12`), so a problem names the cell to correct. The
workbook is read a row at a time within `Limits` (`xlsx_sheets`), so a batch of any length is
read in the memory of one row.

Names — the 填写项 cells, the 批量 header row, the raters' column headers — are read as written:
a name that looks like a formula (`=1+1`) is text in a template starrules writes, and if a cell
holds it as a formula anyway (a template from an older version, or retyped), its formula text is
that name, where the value Excel shows would be a computed result. The values filled in are read
as Excel shows them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from ..plan.evidence import HISTORY_KEYS, Locate, file_error
from ..core.limits import Limits
from .record import Record
from ..core.reporter import Reporter
from ..core.source import Span
from .xlsx_sheets import Cell, Row, Workbook
from .form import BATCH_SHEET, FORM_SHEET, KEY_HEADER, KEY_SEPARATOR, METHOD_HEADER, TABLE_HEADERS


def workbook_records(path: Path, limits: Limits) -> Iterator[Record]:
    file = str(path)
    with Workbook(path, limits) as book:
        sheets = book.sheet_names
        if FORM_SHEET not in sheets and BATCH_SHEET not in sheets:
            raise file_error(file, "E511", f"工作簿“{path}”中没有“{FORM_SHEET}”或“{BATCH_SHEET}”工作表"
                                           "(用 starrules template 生成填写表)")
        found = False
        if FORM_SHEET in sheets:
            record = _form_record(file, book.rows(FORM_SHEET))
            if record is not None:
                found = True
                yield record
        if BATCH_SHEET in sheets:
            for record in _batch_records(file, book.rows(BATCH_SHEET)):
                found = True
                yield record
    if not found:
        # read before a standard is at hand, so no 主体 word (a record: the 评分表, or a 批量 row)
        raise file_error(file, "E514", f"工作簿“{path}”中没有填写任何记录")


def _locator(file: str, sheet: str, cells: dict[str, str], fallback: str) -> Locate:
    """A key path (`a`, `支部自评.a`) → the cell it was read from, or would be entered in."""
    def locate(path: str) -> Span:
        cell = cells.get(path) or cells.get(path.split(".", 1)[0]) or fallback
        return Span(f"{file}:{sheet}!{cell}", 0, 0, 0, 0)
    return locate


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _name(cell: Cell | None) -> str:
    """The text of a cell that holds a name ("" when empty): its formula's text, if it is one."""
    if cell is None:
        return ""
    value, formula = cell
    value = formula if formula is not None else value
    return str(value).strip() if _present(value) else ""


def _value(cell: Cell | None) -> object:
    return None if cell is None else cell[0]


def _form_record(file: str, rows: Iterator[Row]) -> Record | None:
    """The branch on the 评分表 sheet; None when no input cell is filled. The header row is the
    one with a 填写项 cell; the input columns lie between the paper form's columns (up to 考评方式:
    a rubric with groups has a column per level) and it."""
    header: int | None = None
    key_column = 0
    inputs: range = range(0)
    raters: list[str] = []
    data: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for number, row in rows:
        if header is None:
            key_column = min((c for c, cell in row.items() if _name(cell) == KEY_HEADER), default=0)
            if key_column:
                header, inputs = number, range(_table_width(row, key_column) + 1, key_column)
                raters = [_name(row.get(c)) for c in inputs] if len(inputs) > 1 else []
            continue
        key = _name(row.get(key_column))
        if not key:
            continue
        for position, column in enumerate(inputs):
            rater = raters[position] if raters and key not in ("id", "名称") else None
            if rater is None and position > 0:
                continue
            path = f"{rater}.{key}" if rater else key
            cells[path] = f"{get_column_letter(column)}{number}"
            value = _value(row.get(column))
            if _present(value):
                (data.setdefault(rater, {}) if rater else data)[key] = value
    if header is None or not data:
        return None
    return Record(header, data, _locator(file, FORM_SHEET, cells, f"A{header}"), Reporter())


def _table_width(header: dict[int, Cell], key_column: int) -> int:
    """Columns of the paper form: up to its 考评方式 header; without one, the flat form's five."""
    return min((c for c, cell in header.items() if c < key_column and _name(cell) == METHOD_HEADER),
               default=len(TABLE_HEADERS))


def _batch_records(file: str, rows: Iterator[Row]) -> Iterator[Record]:
    """One branch per row below the header (the first row with anything in it)."""
    header: dict[int, str] = {}
    for number, row in rows:
        if not header:
            header = {column: name for column, cell in sorted(row.items()) if (name := _name(cell))}
            continue
        data: dict[str, Any] = {}
        cells: dict[str, str] = {}
        for column, key in header.items():
            cells[key.replace(KEY_SEPARATOR, ".")] = f"{get_column_letter(column)}{number}"
            value = _value(row.get(column))
            if _present(value):
                _put(data, key, value)
        if data:
            yield Record(number, data, _locator(file, BATCH_SHEET, cells, f"A{number}"), Reporter())


def _put(data: dict[str, Any], key: str, value: object) -> None:
    """`支部自评/设置合理` and `历史/等次/2025` are nested; any other key is a name as written."""
    parts = key.split(KEY_SEPARATOR)
    if len(parts) == 1:
        data[key] = value
        return
    if parts[0] in HISTORY_KEYS:
        value = str(value).strip()
    target = data
    for part in parts[:-1]:
        child = target.setdefault(part, {})
        if not isinstance(child, dict):  # the same name as a plain column and a prefix
            return
        target = child
    target[parts[-1]] = value
