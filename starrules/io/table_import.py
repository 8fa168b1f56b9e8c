"""`starrules import`, reading: the 评分表 in an Excel workbook (.xlsx, openpyxl) or a Word document
(.docx, python-docx) as sections and items with their points, criteria and scoring text.

A 评分表 is found by its header row — the first row (of each sheet or table, in order) in which the
words 项目 and 分值 (or a synonym: 指标, 分数, 标准分 …) head two columns; the other columns (类型,
考核评价标准, 考评方式 and their synonyms) are optional and may come in any order. Merged cells come
as Word, WPS and Excel leave them: in a workbook the top-left value stands for the whole merged
range; python-docx hands out the same cell element for every grid position a merge covers. Either
way each grid cell here carries the key of the cell it came from, and the rows an item's 项目 or
分值 cell spans are that item's rows: one criterion line each, joined. A row with an item name but
no points of its own (a sub-heading such as 民主生活会 under 组织生活会) belongs to the item above.

A file without such a table (E012), or one that cannot be opened (E007), is a TableImportError naming the
file and, where there is one, the sheet or table looked at."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Hashable, Sequence
from fractions import Fraction
from pathlib import Path

import attrs

from ..core.diagnostics import Diagnostic, StarrulesError
from ..core.numbers import parse_decimal
from ..core.source import Span

SUFFIXES = (".xlsx", ".xlsm", ".docx")


class TableImportError(StarrulesError):
    """A file the importer cannot read a 评分表 from (E012), or cannot read at all (E007)."""


# column role → header words, most specific first; a header cell is matched exactly (spaces and
# punctuation dropped) before any cell is matched by containing a word
HEADERS: dict[str, tuple[str, ...]] = {
    "section": ("类型", "模块", "类别", "一级指标", "考核类别", "评价类型", "考核模块", "考评类型"),
    "item": ("项目", "指标", "二级指标", "考核项目", "评价项目", "考评项目", "考核指标", "评价指标"),
    "points": ("分值", "分数", "标准分", "满分", "标准分值", "分值分", "权重分"),
    "criterion": ("考核评价标准", "评价标准", "考核标准", "考核内容", "评价内容", "考评内容", "工作标准",
                  "考核要点", "标准内容", "具体内容", "内容"),
    "method": ("考评方式", "考核方式", "评分标准", "评分细则", "评分办法", "评分方法", "计分方法", "扣分标准",
               "考评办法", "考核办法", "评分方式", "评分说明"),
}
REQUIRED = ("item", "points")
ELLIPSIS = re.compile(r"^[.….。·\s]*$")  # "…………" stands for text the source left out
_POINTS = re.compile(r"^\s*[((]?\s*(\d+(?:\.\d+)?)\s*分?\s*[))]?\s*$")
_SECTION_POINTS = re.compile(r"^(.*?)[\s((]*(\d+(?:\.\d+)?)\s*分[))]?\s*$", re.DOTALL)
_NOISE = re.compile(r"[\s\u3000::()()\[\]【】、,,。.“”\"'‘’]")


@attrs.frozen
class Cell:
    text: str
    origin: Hashable  # the same for every grid position one merged cell covers


Row = Sequence[Cell]


@attrs.frozen
class SourceItem:
    section: str  # the section cell's text as printed ("党的组织设置10分"), "" without a 类型 column
    name: str
    points: str  # as printed: "2", "10分"
    criteria: tuple[str, ...]  # 考核评价标准, one entry per row, "…………" dropped
    method: tuple[str, ...]  # 考评方式, one entry per distinct cell
    sub_rows: tuple[str, ...]  # names in the item column of rows that belong to this item
    row: int  # 1-based row of the table where the item starts


@attrs.frozen
class SourceTable:
    file: str
    where: str  # "工作表“Sheet1”" / "第 1 个表格"
    title: str | None  # the line above the header, when there is one
    items: tuple[SourceItem, ...]


def read_table(path: str | Path) -> SourceTable:
    """The first 评分表 in an .xlsx or .docx file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _error(path, f"无法读取“{path}”:评分表应为 .xlsx 或 .docx 文件")
    if not path.is_file():
        raise _error(path, f"找不到文件“{path}”" if not path.exists() else f"无法读取“{path}”:这不是普通文件")
    grids = _docx_grids(path) if suffix == ".docx" else _xlsx_grids(path)
    looked: list[str] = []
    for where, grid in grids:
        found = _header(grid)
        if found is None:
            looked.append(where)
            continue
        index, columns = found
        title = next((t for row in reversed(grid[:index]) for t in [_first_text(row)] if t), None)
        items = _items(grid[index + 1:], columns, index + 2)
        if items:
            return SourceTable(str(path), where, title, tuple(items))
        looked.append(where)
    searched = "、".join(looked) if looked else "(文件中没有表格)"
    raise _error(path, f"“{path}”中没有评分表:找不到有“项目”“分值”两列(或同义的表头)的表头行;查看了 {searched}",
                 "评分表的表头应有 项目(指标)和 分值(分数),可以有 类型、考核评价标准(考核内容)、考评方式(评分标准)",
                 NO_TABLE)


NO_TABLE = "E012"  # the file opens, but none of its sheets or tables is a 评分表
UNREADABLE = "E007"  # the file cannot be read as a workbook or a document at all


def _error(path: Path, message: str, hint: str | None = None, code: str = UNREADABLE) -> TableImportError:
    return TableImportError([Diagnostic(code, message, Span(str(path), 0, 0, 0, 0), "", hint)])


# ── the two formats as grids of cells ────────────────────────────────────────


def _xlsx_grids(path: Path) -> list[tuple[str, list[list[Cell]]]]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _error(path, f"无法读取“{path}”:不是有效的 Excel 工作簿({type(exc).__name__})") from None
    grids = []
    for sheet in book.worksheets:
        origins: dict[tuple[int, int], tuple[int, int]] = {}
        for merged in sheet.merged_cells.ranges:
            for row in range(merged.min_row, merged.max_row + 1):
                for column in range(merged.min_col, merged.max_col + 1):
                    origins[(row, column)] = (merged.min_row, merged.min_col)
        grid = []
        for r in range(1, sheet.max_row + 1):
            cells = []
            for c in range(1, sheet.max_column + 1):
                origin = origins.get((r, c), (r, c))
                cells.append(Cell(_value_text(sheet.cell(*origin).value), (sheet.title, origin)))
            grid.append(cells)
        grids.append((f"工作表“{sheet.title}”", grid))
    return grids


def _value_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, "g") if value == value and abs(value) < 1e15 else str(value)
    return str(value).strip()


def _docx_grids(path: Path) -> list[tuple[str, list[list[Cell]]]]:
    try:
        import docx
    except ImportError:
        raise _error(path, f"无法读取“{path}”:读取 Word 文件需要 python-docx",
                     "pip install 'starrules[docx]'") from None
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises its own, KeyError, zipfile's … on a broken file
        raise _error(path, f"无法读取“{path}”:不是有效的 Word 文档({type(exc).__name__})") from None
    grids = []
    keep: list[object] = []  # the cell elements, alive so their ids stay theirs
    titles = _paragraphs_before_tables(document)
    for number, table in enumerate(document.tables, 1):
        grid: list[list[Cell]] = []
        for row in table.rows:
            cells = [Cell("", ("before", number, len(grid), i)) for i in range(row.grid_cols_before)]
            for cell in row.cells:
                element = cell._tc
                keep.append(element)
                cells.append(Cell(cell.text.strip(), id(element)))
            grid.append(cells)
        title = titles[number - 1] if number - 1 < len(titles) else ""
        grids.append((f"第 {number} 个表格", [[Cell(title, ("title", number))], *grid] if title else grid))
    return grids


def _paragraphs_before_tables(document: object) -> list[str]:
    """For each table of the body, the last non-empty paragraph before it (its title)."""
    from docx.document import Document
    assert isinstance(document, Document)
    titles: list[str] = []
    last = ""
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in element.iter() if t.tag.endswith("}t")).strip()
            last = text or last
        elif tag == "tbl":
            titles.append(last)
            last = ""
    return titles


# ── header and items ─────────────────────────────────────────────────────────


def _key(text: str) -> str:
    return _NOISE.sub("", text)


def _header(grid: Sequence[Row]) -> tuple[int, dict[str, int]] | None:
    """The first row that heads an item column and a points column: its index and each role's column."""
    for index, row in enumerate(grid[:50]):
        columns: dict[str, int] = {}
        seen: set[Hashable] = set()
        for exact in (True, False):
            for position, cell in enumerate(row):
                word = _key(cell.text)
                if not word or cell.origin in seen or len(word) > 12:
                    continue
                for role, words in HEADERS.items():
                    if role in columns:
                        continue
                    if (word in words) if exact else any(w in word for w in words if len(w) >= 2):
                        columns[role] = position
                        seen.add(cell.origin)
                        break
        if all(role in columns for role in REQUIRED):
            return index, columns
    return None


def _first_text(row: Row) -> str:
    return next((c.text for c in row if c.text and not ELLIPSIS.match(c.text)), "")


def _items(rows: Sequence[Row], columns: dict[str, int], first_row: int) -> list[SourceItem]:
    def cell(row: Row, role: str) -> Cell | None:
        position = columns.get(role)
        return row[position] if position is not None and position < len(row) else None

    def text(row: Row, role: str) -> str:
        found = cell(row, role)
        return found.text.strip() if found is not None else ""

    items: list[SourceItem] = []
    current: dict[str, object] | None = None

    def close() -> None:
        if current is not None:
            items.append(SourceItem(str(current["section"]), str(current["name"]), str(current["points"]),
                                    tuple(_distinct(current["criteria"])), tuple(_distinct(current["method"])),
                                    tuple(_distinct(current["sub_rows"])), int(str(current["row"]))))

    section = ""
    for offset, row in enumerate(rows):
        if not any(c.text for c in row):
            continue
        item_cell, points_cell = cell(row, "item"), cell(row, "points")
        name, points = text(row, "item"), text(row, "points")
        section_text = text(row, "section") or section
        same_item = current is not None and (
            (item_cell is not None and item_cell.origin == current["item_origin"])
            or (points_cell is not None and points_cell.origin == current["points_origin"] and points != "")
            or (name == current["name"] and points in ("", current["points"]))  # filled down, not merged
            or (not name and not points))
        if same_item and current is not None and section_text == current["section"]:
            if name and name != current["name"] and not ELLIPSIS.match(name):
                _as_list(current["sub_rows"]).append(name)
        elif _POINTS.match(points) and name and not ELLIPSIS.match(name):
            close()
            section = section_text
            current = {"section": section, "name": name, "points": points, "criteria": [], "method": [],
                       "sub_rows": [], "row": first_row + offset,
                       "item_origin": item_cell.origin if item_cell else None,
                       "points_origin": points_cell.origin if points_cell else None}
        elif current is not None and not points:
            if name and name != current["name"] and not ELLIPSIS.match(name):
                _as_list(current["sub_rows"]).append(name)
        else:
            continue  # a row before the first item, or a row with points but no name
        assert current is not None
        criterion, method = text(row, "criterion"), text(row, "method")
        if criterion and not ELLIPSIS.match(criterion):
            _as_list(current["criteria"]).append(criterion)
        if method and not ELLIPSIS.match(method):
            _as_list(current["method"]).append(method)
    close()
    return items


def _as_list(value: object) -> list[str]:
    assert isinstance(value, list)
    return value


def _distinct(value: object) -> list[str]:
    """Texts in order, a merged cell's repeats (one per row it spans) dropped."""
    out: list[str] = []
    for text in _as_list(value):
        if not out or out[-1] != text:
            out.append(text)
    return out


def item_points(printed: str) -> Fraction | None:
    match = _POINTS.match(printed)
    return parse_decimal(match.group(1)) if match else None


def section_name_and_points(printed: str) -> tuple[str, Fraction | None]:
    """"党的组织设置10分" → ("党的组织设置", 10); without a trailing N分, the text and None."""
    match = _SECTION_POINTS.match(printed.strip())
    if match and match.group(1).strip():
        return match.group(1).strip(), parse_decimal(match.group(2))
    return printed.strip(), None
