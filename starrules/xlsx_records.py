"""Reading filled Excel forms (`.xlsx`) as evidence records: the 评分表 sheet is one branch (read
by its 填写项 column, so rows may be moved or added), the 批量 sheet one branch per row. Every
value is located by sheet and cell (`评分表!F12`), so a problem names the cell to correct."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .evidence import HISTORY_KEYS, Locate, check_file_size, file_error, unreadable
from .limits import Limits
from .records import Record
from .report import Reporter
from .source import Span
from .xlsx_template import BATCH_SHEET, FORM_SHEET, KEY_HEADER, KEY_SEPARATOR, TABLE_HEADERS

Row = Sequence[Any]


def workbook_records(path: Path, limits: Limits) -> Iterator[Record]:
    file = str(path)
    check_file_size(path, "工作簿", limits.evidence_bytes)
    sheets = _sheets(path)
    if FORM_SHEET not in sheets and BATCH_SHEET not in sheets:
        raise file_error(file, "E511", f"工作簿“{path}”中没有“{FORM_SHEET}”或“{BATCH_SHEET}”工作表"
                                       "(用 starrules template 生成填写表)")
    found = False
    if FORM_SHEET in sheets:
        record = _form_record(file, sheets[FORM_SHEET])
        if record is not None:
            found = True
            yield record
    if BATCH_SHEET in sheets:
        for record in _batch_records(file, sheets[BATCH_SHEET]):
            found = True
            yield record
    if not found:
        raise file_error(file, "E514", f"工作簿“{path}”中没有填写任何党支部")


def _sheets(path: Path) -> dict[str, list[Row]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)]
                    for name in (FORM_SHEET, BATCH_SHEET) if name in book.sheetnames}
        finally:
            book.close()
    except OSError as exc:
        raise unreadable(path, "工作簿", exc) from None
    except (zipfile.BadZipFile, KeyError, ValueError):  # not a workbook, or a broken one
        raise file_error(str(path), "E511", f"无法读取工作簿“{path}”:不是有效的 .xlsx 工作簿") from None


def _letter(column: int) -> str:
    return get_column_letter(column + 1)


def _locator(file: str, sheet: str, cells: dict[str, str], fallback: str) -> Locate:
    """A key path (`a`, `支部自评.a`) → the cell it was read from, or would be entered in."""
    def locate(path: str) -> Span:
        cell = cells.get(path) or cells.get(path.split(".", 1)[0]) or fallback
        return Span(f"{file}:{sheet}!{cell}", 0, 0, 0, 0)
    return locate


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _form_record(file: str, rows: list[Row]) -> Record | None:
    """The branch on the 评分表 sheet; None when no input cell is filled."""
    header_index = next((n for n, row in enumerate(rows) if KEY_HEADER in row), None)
    if header_index is None:
        return None
    header = rows[header_index]
    key_column = header.index(KEY_HEADER)
    inputs = list(range(len(TABLE_HEADERS), key_column))
    raters = [str(header[c]) for c in inputs] if len(inputs) > 1 else []
    data: dict[str, Any] = {}
    cells: dict[str, str] = {}
    for number, row in enumerate(rows[header_index + 1:], header_index + 2):
        key = row[key_column] if key_column < len(row) else None
        if not _present(key):
            continue
        key = str(key).strip()
        for position, column in enumerate(inputs):
            rater = raters[position] if raters and key not in ("id", "名称") else None
            if rater is None and position > 0:
                continue
            path = f"{rater}.{key}" if rater else key
            cells[path] = f"{_letter(column)}{number}"
            value = row[column] if column < len(row) else None
            if _present(value):
                (data.setdefault(rater, {}) if rater else data)[key] = value
    if not data:
        return None
    return Record(header_index + 1, data, _locator(file, FORM_SHEET, cells, f"A{header_index + 1}"), Reporter())


def _batch_records(file: str, rows: list[Row]) -> Iterator[Record]:
    if not rows:
        return
    header = [str(h).strip() if _present(h) else "" for h in rows[0]]
    for number, row in enumerate(rows[1:], 2):
        data: dict[str, Any] = {}
        cells: dict[str, str] = {}
        for column, key in enumerate(header):
            if not key:
                continue
            cells[key.replace(KEY_SEPARATOR, ".")] = f"{_letter(column)}{number}"
            value = row[column] if column < len(row) else None
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
