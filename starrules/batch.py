"""Many branches from one file: JSON Lines (one evidence object per line) or CSV (a header
row of fact names, one branch per row; empty cells are left out so defaults apply). Every
record needs an `id`. Problems in any record are all reported, by file and line."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import attrs

from .diagnostics import Diagnostic, EvidenceError
from .evidence import Locate, read_evidence_text, text_locator
from .grading import grade_result
from .model import Rubric
from .raters import evaluate_located
from .report import Reporter
from .result import Result
from .source import Span

BATCH_SUFFIXES = (".jsonl", ".csv")


@attrs.frozen
class Record:
    line: int
    data: dict[str, object]
    locate: Locate = attrs.field(eq=False)


def read_batch(file_path: str | os.PathLike[str]) -> tuple[list[Record], Reporter]:
    """The records of a .jsonl or .csv file, and a reporter that knows its text."""
    path = Path(file_path)
    file = str(path)
    text, reporter = read_evidence_text(path, "批量文件")
    records = list(_csv(file, text, reporter) if path.suffix.lower() == ".csv" else _jsonl(file, text, reporter))
    _check_ids(file, records, reporter)
    if reporter.errors:
        raise EvidenceError(reporter.errors)
    return records, reporter


def _jsonl(file: str, text: str, reporter: Reporter) -> Iterable[Record]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            reporter.report("E514", f"第 {number} 行不是有效的 JSON:{exc.msg}",
                            Span(file, number, exc.colno, number, exc.colno + 1))
            continue
        if not isinstance(data, dict):
            reporter.report("E514", f"第 {number} 行应当是一个对象({{\"id\": …, 事实名: 值, …}})",
                            Span(file, number, 1, number, 2))
            continue
        yield Record(number, data, text_locator(file, line, number))


def _csv(file: str, text: str, reporter: Reporter) -> Iterable[Record]:
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        line = reader.line_num
        if None in row:
            reporter.report("E514", f"第 {line} 行的列数多于表头", Span(file, line, 1, line, 2))
            continue
        data = {key: value for key, value in row.items() if key and value not in (None, "")}
        yield Record(line, data, _row_locator(file, line))


def _row_locator(file: str, line: int) -> Locate:
    return lambda path: Span(file, line, 1, line, 2)


def _check_ids(file: str, records: list[Record], reporter: Reporter) -> None:
    seen: dict[str, int] = {}
    for record in records:
        identifier = record.data.get("id")
        if identifier is None or str(identifier).strip() == "":
            reporter.report("E515", f"第 {record.line} 行缺少编号“id”", Span(file, record.line, 1, record.line, 2),
                            "每条记录都要有唯一的 id,用来在结果和排名中认出它")
        elif str(identifier) in seen:
            reporter.report("E515", f"编号“{identifier}”重复(第 {seen[str(identifier)]} 行已经用过)",
                            record.locate("id"))
        else:
            seen[str(identifier)] = record.line


def evaluate_batch(rubric: Rubric, path: str | os.PathLike[str], schemes: Iterable[str] | None = None,
                   explain: bool = True) -> list[Result]:
    """Every record scored and graded; one EvidenceError listing the problems of all records."""
    records, reporter = read_batch(path)
    names = None if schemes is None else list(schemes)
    results: list[Result] = []
    problems: list[Diagnostic] = []
    for record in records:
        own = Reporter()
        own.texts = reporter.texts
        try:
            result = evaluate_located(rubric, record.data, record.locate, own, explain)
            results.append(grade_result(rubric, result, names, explain))
        except EvidenceError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise EvidenceError(problems)
    return results
