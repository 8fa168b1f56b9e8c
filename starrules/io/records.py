"""Reading many branches' evidence record by record: JSON Lines (one evidence object per line)
or CSV (a header row of fact names, one branch per row; empty cells are left out so defaults
apply), or any iterable of evidence mappings. Every file record needs a unique `id`. Only the
ids seen are kept, so memory stays flat however long the file is.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..core.bounded import bounded_lines, open_text
from ..plan.evidence import Locate, in_memory, report_fault, text_locator, unreadable
from ..core.evidence_json import JsonFault, load_json
from .record import Record
from .record_ids import Ids
from .xlsx_records import workbook_records
from ..core.limits import DEFAULT, LimitExceeded, Limits
from ..core.reporter import Reporter
from ..core.source import Span

BATCH_SUFFIXES = (".jsonl", ".csv", ".xlsx")  # read here, record by record
COLUMN_SUFFIXES = (".parquet",)  # read by columns.py, a row group at a time
CHUNK_ROWS = 65_536  # rows per chunk of columnar input: memory follows this, not the file's length


def arrow_like(data: object) -> bool:
    """An Arrow table or batch, a pandas or polars DataFrame, or anything else with to_arrow()."""
    return type(data).__module__.startswith(("pyarrow", "pandas", "polars")) or hasattr(data, "to_arrow")


def columnar(data: object) -> bool:
    """Data the batch engine reads by columns: a Parquet path, or Arrow-like data."""
    if isinstance(data, (str, os.PathLike)):
        return Path(data).suffix.lower() in COLUMN_SUFFIXES
    return arrow_like(data)


def records(data: Iterable[Mapping[str, Any]] | str | os.PathLike[str], limits: Limits = DEFAULT) -> Iterator[Record]:
    if not isinstance(data, (str, os.PathLike)):
        for row, evidence in enumerate(data, 1):
            yield Record(row, evidence, in_memory(f"<第 {row} 条证据>"), Reporter())
        return
    path = Path(data)
    file = str(path)
    if path.suffix.lower() == ".xlsx":
        yield from _check_ids(file, workbook_records(path, limits))
        return
    try:
        with open_text(path) as stream:
            lines = bounded_lines(stream, limits.evidence_bytes)
            rows = _csv(file, lines, limits) if path.suffix.lower() == ".csv" else _jsonl(file, lines, limits)
            yield from _check_ids(file, rows)
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(path, "批量文件", exc) from None


def _line_reporter(file: str, row: int, text: str) -> Reporter:
    reporter = Reporter()
    reporter.add_line(file, row, text)
    return reporter


def _too_large(file: str, row: int, limits: Limits) -> Record:
    """E516 for a line over the record limit; it was skipped, not read, so no text is shown."""
    reporter = Reporter()
    reporter.report("E516", f"第 {row} 行的记录过大(超过 {limits.evidence_bytes} 字节)", Span(file, row, 1, row, 2))
    return Record(row, None, _row_locator(file, row), reporter)


def _jsonl(file: str, lines: Iterable[str | None], limits: Limits) -> Iterator[Record]:
    for row, line in enumerate(lines, 1):
        if line is None:
            yield _too_large(file, row, limits)
            continue
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        reporter = _line_reporter(file, row, line)
        try:
            data = load_json(line, limits, f"第 {row} 行的记录")
        except (LimitExceeded, ValueError) as exc:
            if isinstance(exc, LimitExceeded):
                reporter.report(exc.code, exc.message, Span(file, row, 1, row, 2))
            elif isinstance(exc, JsonFault):
                report_fault(reporter, exc, file, line, row)
            elif isinstance(exc, json.JSONDecodeError):
                reporter.report("E514", f"第 {row} 行不是有效的 JSON:{exc.msg}", Span(file, row, exc.colno, row, exc.colno + 1))
            else:  # an integer longer than Python reads (4300 digits), an unsupported constant
                reporter.report("E514", f"第 {row} 行无法读取:{exc}", Span(file, row, 1, row, 2))
            yield Record(row, None, text_locator(file, line, row), reporter)
            continue
        if not isinstance(data, dict):
            reporter.report("E514", f"第 {row} 行应当是一个对象({{\"id\": …, 事实名: 值, …}})", Span(file, row, 1, row, 2))
            data = None
        yield Record(row, data, text_locator(file, line, row), reporter)


class _RecordTooLarge(Exception):
    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.row = row  # the line that took the record over the limit


def _csv(file: str, lines: Iterable[str | None], limits: Limits) -> Iterator[Record]:
    raw: list[str] = []  # the text of the row being read, for the caret under a problem

    def rows() -> Iterator[str]:
        for row, line in enumerate(lines, 1):
            # a row may run over several lines (a quoted cell); together they are one record
            if line is None or sum(map(len, raw)) + len(line) > limits.evidence_bytes:
                raise _RecordTooLarge(row)
            raw.append(line.rstrip("\r\n"))
            yield line
    reader = csv.DictReader(rows())
    try:
        yield from _csv_rows(file, reader, raw)
    except csv.Error as exc:  # a field over csv's size limit, a NUL byte: the rest cannot be read
        row = reader.line_num
        reporter = _line_reporter(file, row, raw[-1] if raw else "")
        reporter.report("E514", f"第 {row} 行无法读取:{exc}", Span(file, row, 1, row, 2))
        yield Record(row, None, _row_locator(file, row), reporter)
    except _RecordTooLarge as exc:  # where the next row would start is not known: the rest cannot be read
        yield _too_large(file, exc.row, limits)


def _csv_rows(file: str, reader: csv.DictReader[str], raw: list[str]) -> Iterator[Record]:
    header = _duplicate_header(file, reader.fieldnames or (), raw[0] if raw else "")
    if header is not None:
        yield header
        return
    raw.clear()
    for data in reader:
        row = reader.line_num - len(raw) + 1
        reporter = _line_reporter(file, row, raw[0] if raw else "")
        raw.clear()
        if None in data:
            reporter.report("E514", f"第 {row} 行的列数多于表头", Span(file, row, 1, row, 2))
            yield Record(row, None, _row_locator(file, row), reporter)
            continue
        values = {key: value for key, value in data.items() if key and value not in (None, "")}
        yield Record(row, values, _row_locator(file, row), reporter)


def _duplicate_header(file: str, names: Sequence[str], line: str) -> Record | None:
    """E519 for a column name the header gives twice (csv would keep the last column's value
    and lose the other unseen); the whole file is refused, as no row could be read for sure."""
    seen: dict[str, int] = {}
    for column, name in enumerate(names, 1):
        if name and name in seen:
            reporter = _line_reporter(file, 1, line)
            start, end = _header_cell(line, column)
            reporter.report("E519", f"表头中的列名“{name}”重复(第 {seen[name]} 列和第 {column} 列)",
                            Span(file, 1, start, 1, end), "改名或删去其中一列,只留下正确的那一列")
            return Record(1, None, _row_locator(file, 1), reporter)
        seen.setdefault(name, column)
    return None


def _header_cell(line: str, column: int) -> tuple[int, int]:
    """Character columns of the header's `column`-th cell; the whole line's first column when
    quotes make cells hard to find."""
    cells = line.split(",")
    if '"' in line or column > len(cells):
        return 1, 2
    start = sum(len(c) + 1 for c in cells[:column - 1]) + 1
    return start, start + max(len(cells[column - 1]), 1)


def _row_locator(file: str, line: int) -> Locate:
    return lambda path: Span(file, line, 1, line, 2)


def _check_ids(file: str, records: Iterable[Record]) -> Iterator[Record]:
    ids = Ids()
    for record in records:
        if record.data is not None:
            identifier = record.data.get("id")
            problem = ids.problem(record.row, identifier)
            if problem is not None:
                message, hint = problem
                missing = hint is not None  # a missing id has no cell to point at: the row
                span = Span(file, record.row, 1, record.row, 2) if missing else record.locate("id")
                record.reporter.report("E515", message, span, hint)
                record = attrs.evolve(record, data=None)
        yield record
