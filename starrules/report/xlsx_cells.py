"""Cells of the workbooks starrules writes (`starrules template`, `starrules report`): text stays
text. openpyxl turns a str that starts with "=" into a formula and "#N/A" into an error value,
so a name like `=HYPERLINK(…)` or `=cmd|' /C calc'!A0` would run in Excel, or read back empty.
Characters XML 1.0 cannot carry — control characters, lone surrogates, U+FFFE, U+FFFF — would
stop the file opening, and a carriage return would come back as a line feed; each is written as
a visible escape in the style of Python's `backslashreplace` (`\\x01`, `\\x0d`, `\\ud800`)."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

Value = str | int | Decimal | None

_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\r\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def cell_text(text: str) -> str:
    """`text` as a cell can hold it: every character XML cannot carry written as `\\xHH` or `\\uHHHH`."""
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def put(sheet: Worksheet, row: int, column: int, value: Value = None) -> Cell | MergedCell:
    """Write a value: a number as a number, a str always as a string cell (never a formula or
    an error value); None leaves the cell empty. Returns the cell, for styling (a MergedCell
    inside a merged range, as openpyxl's `Worksheet.cell` gives)."""
    cell = sheet.cell(row, column)
    if isinstance(value, str):
        cell.value = cell_text(value)
        cell.data_type = "s"  # set after the value: openpyxl infers "f" from a leading "="
    elif value is not None:
        cell.value = value
    return cell
