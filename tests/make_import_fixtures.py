"""Rebuild the 评分表 fixtures of tests/test_import.py from the county committee's
《基层党组织争先创优活动实施方案(范文)》.

    python tests/make_import_fixtures.py [SEED.txt]

Its text (../shared/seeds/001_7bc66cd7a49ea742.txt) prints the 争先创优 tables 附件1 (村(社区))
and 附件3 (“两新”) as text, one table row a line, cells between "|", and — as a Word table flattened to
text does — leaves out the cells a vertical merge covers: a row of five cells starts a 类型, of four
starts an item under the 类型 above, of two is a sub-row (a name and its text under the item above,
such as 民主生活会 under 组织生活会), of one continues the item's 考核评价标准.

Each table is written as the office tools write such a table: tests/fixtures/import/村社区争先创优.xlsx
and .docx, 两新争先创优.xlsx and .docx — a title line, the header 类型 | 项目 | 分值 | 考核评价标准 | 考评方式,
one row per line of 考核评价标准, the 类型 cell merged over its rows, the 项目 cell over the item's own
rows, the 分值 and 考评方式 cells over the item's rows and its sub-rows; points as printed ("2" or "10分")."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = HERE.parent.parent / "shared" / "seeds" / "001_7bc66cd7a49ea742.txt"
OUT = HERE / "fixtures" / "import"
HEADER = ("类型", "项目", "分值", "考核评价标准", "考评方式")
TABLES = {"附件1": "村社区争先创优", "附件3": "两新争先创优"}

Item = dict[str, object]


def parse_seed(text: str) -> dict[str, tuple[str, list[tuple[str, list[Item]]]]]:
    """Each table: its title and its sections, each (printed 类型 cell, items)."""
    tables: dict[str, tuple[str, list[tuple[str, list[Item]]]]] = {}
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.strip() not in TABLES or not lines[index + 2].startswith("类型 |"):
            continue
        title = lines[index + 1].strip()
        sections: list[tuple[str, list[Item]]] = []
        for row in lines[index + 3:]:
            if "|" not in row:
                break
            cells = [c.strip() for c in row.split("|")]
            while cells and not cells[-1]:
                cells.pop()
            if len(cells) >= 5:
                sections.append((cells[0], []))
                cells = cells[1:]
            if len(cells) == 4:
                name, points, criterion, method = cells
                sections[-1][1].append({"name": name, "points": points, "criteria": [criterion],
                                        "method": method, "sub_rows": []})
            elif len(cells) == 2:
                item = sections[-1][1][-1]
                item["sub_rows"].append((cells[0], cells[1]))  # type: ignore[attr-defined]
            elif len(cells) == 1:
                sections[-1][1][-1]["criteria"].append(cells[0])  # type: ignore[attr-defined]
            else:
                raise ValueError(f"a row of {len(cells)} cells: {row}")
        tables[TABLES[line.strip()]] = (title, sections)
    return tables


def layout(sections: list[tuple[str, list[Item]]]) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    """Rows under the header (0-based, 5 columns) and merges as (first row, last row, column, column)."""
    rows: list[list[str]] = []
    merges: list[tuple[int, int, int, int]] = []
    for printed, items in sections:
        section_start = len(rows)
        for item in items:
            start = len(rows)
            criteria: list[str] = item["criteria"]  # type: ignore[assignment]
            sub_rows: list[tuple[str, str]] = item["sub_rows"]  # type: ignore[assignment]
            for number, criterion in enumerate(criteria):
                rows.append(["", str(item["name"]) if number == 0 else "", str(item["points"]) if number == 0 else "",
                             criterion, str(item["method"]) if number == 0 else ""])
            own_end = len(rows) - 1
            for name, text in sub_rows:
                rows.append(["", name, "", text, ""])
            end = len(rows) - 1
            if own_end > start:
                merges.append((start, own_end, 1, 1))
            if end > start:
                merges.extend([(start, end, 2, 2), (start, end, 4, 4)])
        rows[section_start][0] = printed
        if len(rows) - 1 > section_start:
            merges.append((section_start, len(rows) - 1, 0, 0))
    return rows, merges


def write_xlsx(path: Path, title: str, rows: list[list[str]], merges: list[tuple[int, int, int, int]]) -> None:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "评定标准"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=5)
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append([_number(v) if column == 2 else (v or None) for column, v in enumerate(row)])
    for first, last, left, right in merges:  # openpyxl keeps the top-left value and empties the rest
        sheet.merge_cells(start_row=first + 3, start_column=left + 1, end_row=last + 3, end_column=right + 1)
    book.properties.creator = "starrules tests/make_import_fixtures.py"
    book.save(path)


def _number(value: str) -> object:
    """"2" → 2 as Excel stores a typed number; "10分" stays text."""
    return int(value) if value.isdigit() else (value or None)


def write_docx(path: Path, title: str, rows: list[list[str]], merges: list[tuple[int, int, int, int]]) -> None:
    import docx
    document = docx.Document()
    document.add_paragraph(title)
    table = document.add_table(rows=len(rows) + 1, cols=len(HEADER))
    for column, word in enumerate(HEADER):
        table.cell(0, column).text = word
    for first, last, left, right in merges:  # merged while empty, filled afterwards
        table.cell(first + 1, left).merge(table.cell(last + 1, right))
    for number, row in enumerate(rows, 1):
        for column, value in enumerate(row):
            if value:
                table.cell(number, column).text = value
    document.core_properties.author = "starrules tests/make_import_fixtures.py"
    document.save(str(path))


def main(argv: list[str]) -> int:
    seed = Path(argv[0]) if argv else SEED
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (title, sections) in parse_seed(seed.read_text(encoding="utf-8")).items():
        rows, merges = layout(sections)
        write_xlsx(OUT / f"{name}.xlsx", title, rows, merges)
        write_docx(OUT / f"{name}.docx", title, rows, merges)
        print(f"{name}: {sum(len(items) for _, items in sections)} 个项目,{len(rows)} 行 → {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
