"""Filling a `starrules template` workbook from JSON evidence, as an assessor would by hand; run
as a script it rebuilds the filled forms bundled in rubrics/examples/ (tests check they match)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

ROOT = Path(__file__).resolve().parent.parent


def cell_value(value: object) -> object:
    if isinstance(value, dict):
        return value["得分"]
    return {True: "是", False: "否"}.get(value, value) if isinstance(value, bool) else value


def form_rows(sheet: Worksheet) -> dict[str, int]:
    """填写项 (column G) → row number on the 评分表 sheet."""
    return {row[6].value: row[6].row for row in sheet.iter_rows(min_row=4) if row[6].value}


def fill_form(path: Path, evidence: dict[str, object], out: Path) -> Path:
    book = openpyxl.load_workbook(path)
    sheet = book["评分表"]
    for key, row in form_rows(sheet).items():
        if key in evidence:
            sheet.cell(row, 6, cell_value(evidence[key]))
    book.save(out)
    return out


def fill_batch(path: Path, rows: list[dict[str, object]], out: Path) -> Path:
    book = openpyxl.load_workbook(path)
    sheet = book["批量"]
    headers = [c.value for c in sheet[1]]
    for number, evidence in enumerate(rows, 2):
        for column, key in enumerate(headers, 1):
            if key in evidence:
                sheet.cell(number, column, cell_value(evidence[key]))
    book.save(out)
    return out


def bundled_forms(directory: Path) -> tuple[Path, Path]:
    """The 两新 example as a filled 评分表, and the same with two wrong cells (for the guide)."""
    from starrules import load
    from starrules.report.xlsx_template import write_template
    examples = ROOT / "rubrics" / "examples"
    evidence = json.loads((examples / "两新-示例支部.json").read_text(encoding="utf-8"))
    blank = directory / "空白.xlsx"
    write_template(load(ROOT / "rubrics" / "两新争先创优.rubric"), blank)
    good = fill_form(blank, evidence, directory / "两新-评分表.xlsx")
    bad = fill_form(blank, {**evidence, "班子任期": "两分", "党员学习学时": None}, directory / "两新-评分表-有误.xlsx")
    blank.unlink()  # only the filled forms are kept
    return good, bad


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    for path in bundled_forms(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "rubrics" / "examples"):
        print(path)
