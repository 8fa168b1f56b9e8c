"""The cells of an .xlsx workbook that nobody vouches for (docs/limits.md).

The file is opened once. Before any part is inflated, the zip directory is checked against
`Limits` (how many parts, their total size, the size of a part read whole, the compression
ratio); zipfile stops each part at the size its directory entry gives, so the check holds however
the file lies. XML is parsed by defusedxml with no DTD allowed, so no entity expansion and no
external entities. Every element is dropped from the parse tree as soon as it ends, so a sheet is
read a cell at a time and memory follows one row (at most Excel's 16384 columns) and the shared
strings, never the sheet: openpyxl's read-only reader keeps an element per row read, pads rows
to the sheet's declared size, and parses a whole sheet that declares no size just to size it.
Values are what Excel shows — a formula's cached result — read with openpyxl's number-format and
date rules; a formula's own text is kept for the cells whose text is a name (headers, 填写项).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel, from_ISO8601
from openpyxl.utils.exceptions import CellCoordinatesException

from ..core.diagnostics import EvidenceError
from ..plan.evidence import file_error, open_checked, os_reason
from ..core.limits import Limits

Cell = tuple[Any, str | None]  # the value Excel shows, and the formula (=…) when the cell has one
Row = tuple[int, dict[int, Cell]]  # the row's number, and its cells by column (A = 1)

MAX_COLUMN = 16384  # XFD, Excel's last column: a cell beyond it is not in any workbook Excel writes
_RATIO_FLOOR = 1024 * 1024  # a part that expands to less cannot exhaust memory, whatever its ratio
# number formats 27–36 and 50–58 are the East Asian dates and times (yyyy"年"m"月"d"日" …): files
# give only their ids, and openpyxl's table of built-in formats does not have them
_EAST_ASIAN_DATES = frozenset({*range(27, 37), *range(50, 59)})
_INT = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how OOXML writes a character XML cannot carry
# what zipfile, zlib, bz2, lzma and the number parsers raise for a broken part (RuntimeError: an
# encrypted one; NotImplementedError: a compression zipfile lacks)
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, IndexError,
           OverflowError, CellCoordinatesException)
# types-openpyxl leaves from_ISO8601 unannotated (an untyped call under mypy --strict); it gives a
# datetime, date, time or timedelta, and None for an empty string
_from_iso8601 = cast(Callable[[str], datetime | date | time | timedelta | None], from_ISO8601)


class Workbook:
    """An .xlsx file opened for reading its worksheets; a context manager (the file is closed on
    exit). EvidenceError E511 when it is not a workbook or a part is broken, E516 over a limit."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.file, self.limits = str(path), limits
        self.cells = 0  # cells read so far, from every sheet
        self._stream = open_checked(path, "工作簿", limits.evidence_bytes)
        try:
            with self._reading(None):
                self._zip = zipfile.ZipFile(self._stream)
            self._check_directory()
            self._read_structure()
        except BaseException:
            self._stream.close()
            raise
        self._strings: list[str] | None = None
        self._dates: dict[int, bool] | None = None  # style → whether it shows a duration

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stream.close()

    @property
    def sheet_names(self) -> list[str]:
        return list(self._sheets)

    def _error(self, code: str, message: str) -> EvidenceError:
        return file_error(self.file, code, message)

    def _check_directory(self) -> None:
        limits, parts = self.limits, self._zip.infolist()
        if len(parts) > limits.workbook_parts:
            raise self._error("E516", f"工作簿“{self.file}”中的文件过多({len(parts)} 个,最多 {limits.workbook_parts} 个)")
        total = sum(part.file_size for part in parts)
        if total > limits.workbook_bytes:
            raise self._error("E516", f"工作簿“{self.file}”解压后过大({total} 字节,最多 {limits.workbook_bytes} 字节)")
        for part in parts:
            if part.file_size > _RATIO_FLOOR and part.file_size > limits.workbook_ratio * part.compress_size:
                raise self._error("E516", f"工作簿“{self.file}”中的 {part.filename} 压缩比过高({part.compress_size} 字节"
                                          f"解压为 {part.file_size} 字节,最多 {limits.workbook_ratio} 倍),可能是压缩炸弹")

    @contextmanager
    def _reading(self, part: str | None) -> Iterator[None]:
        """Faults of the zip, or of the XML of `part`, as E511 naming the part."""
        broken = f"无法读取工作簿“{self.file}”:不是有效的 .xlsx 工作簿"
        try:
            yield
        except DefusedXmlException:
            raise self._error("E511", f"无法读取工作簿“{self.file}”:其中的 {part} 含有 DTD 或实体声明,"
                                      "为安全起见不予读取") from None
        except ParseError as exc:
            raise self._error("E511", f"{broken}(其中的 {part} 第 {exc.position[0]} 行不是有效的 XML)") from None
        except KeyError:
            raise self._error("E511", broken + ("" if part is None else f"(缺少 {part})")) from None
        except OSError as exc:  # the disk, not the file's content
            raise self._error("E511", f"无法读取工作簿“{self.file}”:{os_reason(exc)}") from None
        except _BROKEN:
            raise self._error("E511", broken + ("" if part is None else f"(其中的 {part} 已损坏)")) from None

    def _walk(self, part: str) -> Iterator[tuple[bool, list[str], Element]]:
        """(whether it starts, the local names from the root to it, the element) for each element
        of `part`. Attributes are there at the start, text at the end; each element is dropped
        from its parent once it ends, so the tree holds only the path to the element being read."""
        names: list[str] = []
        elements: list[Element] = []
        local: dict[str, str] = {}
        with self._zip.open(part) as stream:
            for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    tag = element.tag
                    name = local.get(tag)
                    if name is None:
                        name = local[tag] = tag.rpartition("}")[2]
                    names.append(name)
                    elements.append(element)
                    yield True, names, element
                else:
                    yield False, names, element
                    names.pop()
                    elements.pop()
                    if elements:
                        elements[-1].remove(element)

    def _whole(self, part: str) -> Iterator[tuple[bool, list[str], Element]]:
        """`_walk` of a part whose content is kept (the sheet list, strings, styles): bounded by size."""
        size = self._zip.getinfo(part).file_size
        if size > self.limits.workbook_part_bytes:
            raise self._error("E516", f"工作簿“{self.file}”中的 {part} 解压后过大({size} 字节,"
                                      f"最多 {self.limits.workbook_part_bytes} 字节)")
        return self._walk(part)

    def _relations(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (kind, part) of `part`'s relationships: worksheet, sharedStrings, styles …"""
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels") if part else "_rels/.rels"
        found: dict[str, tuple[str, str]] = {}
        if rels not in self._zip.NameToInfo:
            return found
        with self._reading(rels):
            for start, names, element in self._whole(rels):
                if start and names[-1] == "Relationship" and element.get("TargetMode") != "External":
                    target = element.get("Target", "")
                    target = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                    kind = element.get("Type", "").rpartition("/")[2]
                    found[element.get("Id", "")] = (kind, posixpath.normpath(target))
        return found

    def _read_structure(self) -> None:
        main = next((p for kind, p in self._relations("").values() if kind == "officeDocument"), "xl/workbook.xml")
        relations = self._relations(main)
        self._sheets: dict[str, str] = {}
        date1904 = False
        with self._reading(main):
            for start, names, element in self._whole(main):
                if start and names[-1] == "sheet":
                    key = next((v for k, v in element.attrib.items() if k.startswith("{") and k.endswith("}id")), "")
                    kind, target = relations.get(key, ("", ""))
                    if kind == "worksheet":
                        self._sheets.setdefault(element.get("name", ""), target)
                elif start and names[-1] == "workbookPr":
                    date1904 = element.get("date1904", "").lower() in ("1", "true")
        self._epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        self._parts = {kind: target for kind, target in relations.values()}

    def _shared_strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            part = self._parts.get("sharedStrings")
            if part is not None:
                with self._reading(part):
                    pieces: list[str] = []
                    for start, names, element in self._whole(part):
                        if start:
                            continue
                        if names[-1] == "t" and _text_run(names, 2, "si"):
                            pieces.append(element.text or "")
                        elif names[-1] == "si" and len(names) == 2:
                            self._strings.append(_unescape("".join(pieces)))
                            pieces.clear()
        return self._strings

    def _date_styles(self) -> dict[int, bool]:
        """Styles (by their index in cellXfs) whose number format shows a date or a duration."""
        if self._dates is None:
            formats: dict[int, str] = {}
            styles: list[int] = []
            part = self._parts.get("styles")
            if part is not None:
                with self._reading(part):
                    for start, names, element in self._whole(part):
                        if start and names[-1] == "numFmt" and names[-2] == "numFmts":
                            formats[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
                        elif start and names[-1] == "xf" and names[-2] == "cellXfs":
                            styles.append(int(element.get("numFmtId", "0")))
            self._dates = {}
            for index, number in enumerate(styles):
                shown = formats.get(number, BUILTIN_FORMATS.get(number, ""))
                if number in _EAST_ASIAN_DATES and number not in formats or is_date_format(shown):
                    self._dates[index] = is_timedelta_format(shown)
        return self._dates

    def rows(self, sheet: str) -> Iterator[Row]:
        """The rows of `sheet` that are written in the file, in order; E516 past the row or cell limit."""
        part = self._sheets[sheet]
        limits = self.limits
        with self._reading(part):
            self._shared_strings()
            self._date_styles()
            count = number = column = 0
            cells: dict[int, Cell] = {}
            kind = style = text = formula = None
            pieces: list[str] = []
            for start, names, element in self._walk(part):
                depth, name = len(names), names[-1]
                if start:
                    if depth == 3 and name == "row":  # worksheet / sheetData / row
                        count += 1
                        if count > limits.workbook_rows:
                            raise self._error("E516", f"工作簿“{self.file}”的“{sheet}”工作表行数过多"
                                                      f"(最多 {limits.workbook_rows} 行)")
                        given = element.get("r")
                        number, column, cells = _whole_number(given) if given else number + 1, 0, {}
                    elif depth == 4 and name == "c":
                        reference = element.get("r")
                        column = column_index_from_string(coordinate_from_string(reference)[0]) if reference else column + 1
                        if column > MAX_COLUMN:
                            raise ValueError(column)
                        kind, style, text, formula = element.get("t", "n"), element.get("s"), None, None
                        pieces.clear()
                    continue
                if depth == 5 and name == "v":
                    text = element.text
                elif depth == 5 and name == "f" and element.text:
                    formula = "=" + element.text
                elif name == "t" and depth > 5 and _text_run(names, 5, "is"):
                    pieces.append(element.text or "")
                elif depth == 4 and name == "c":
                    self.cells += 1
                    if self.cells > limits.workbook_cells:
                        raise self._error("E516", f"工作簿“{self.file}”的单元格过多(最多 {limits.workbook_cells} 个)")
                    cells[column] = (self._value(kind, text, pieces, style), formula)
                elif depth == 3 and name == "row":
                    yield number, cells

    def _value(self, kind: str | None, text: str | None, pieces: list[str], style: str | None) -> Any:
        """A cell's value as openpyxl reads it with data_only=True."""
        if kind == "inlineStr":
            return _unescape("".join(pieces)) if pieces else None
        if text is None:
            return None
        if kind == "s":
            return self._shared_strings()[int(text)]
        if kind == "str":
            return _unescape(text)
        if kind == "e":
            return text  # #N/A, #DIV/0! …
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return _from_iso8601(text)
            except ValueError:
                return text
        number = _number(text)
        duration = self._date_styles().get(int(style)) if style and _INT.fullmatch(style) else None
        if duration is None or isinstance(number, str):
            return number
        try:
            return from_excel(number, self._epoch, timedelta=duration)
        except (OverflowError, ValueError):
            return "#VALUE!"  # as openpyxl: a date beyond what datetime holds


def _text_run(names: list[str], depth: int, container: str) -> bool:
    """Whether the `t` at the end of `names` is text of the `container` (`si` or `is`) at `depth`:
    directly in it or in one of its runs, not in a phonetic guide (`rPh`)."""
    if names[depth - 1] != container:
        return False
    return len(names) == depth + 1 or (len(names) == depth + 2 and names[depth] == "r")


def _whole_number(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _number(text: str) -> int | float | str:
    """`<v>` text as openpyxl reads it (int without a point or exponent, else float); text that is
    no number (or an int too long for Python to read) is kept as text for the reader to refuse."""
    try:
        if _INT.fullmatch(text):
            return int(text)
        if _NUMBER.fullmatch(text):
            return float(text)
    except ValueError:
        pass
    return text


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text
