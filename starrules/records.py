"""Reading many branches' evidence record by record: JSON Lines (one evidence object per line)
or CSV (a header row of fact names, one branch per row; empty cells are left out so defaults
apply), or any iterable of evidence mappings. Every file record needs a unique `id`. Only the
ids seen are kept, so memory stays flat however long the file is.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import attrs

from .diagnostics import Diagnostic
from .evidence import Locate, in_memory, text_locator, unreadable
from .limits import DEFAULT, LimitExceeded, Limits, load_json
from .report import Reporter
from .source import Span

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


@attrs.frozen
class RowError:
    """A record that could not be scored: its position (the line, for a file), id and problems."""

    row: int
    id: str | None
    diagnostics: tuple[Diagnostic, ...]


@attrs.frozen
class Record:
    row: int
    data: Mapping[str, Any] | None  # None when the record itself is malformed
    locate: Locate = attrs.field(eq=False)
    reporter: Reporter = attrs.field(eq=False)


def records(data: Iterable[Mapping[str, Any]] | str | os.PathLike[str], limits: Limits = DEFAULT) -> Iterator[Record]:
    if not isinstance(data, (str, os.PathLike)):
        for row, evidence in enumerate(data, 1):
            yield Record(row, evidence, in_memory(f"<第 {row} 条证据>"), Reporter())
        return
    path = Path(data)
    file = str(path)
    if path.suffix.lower() == ".xlsx":
        from .xlsx_records import workbook_records
        yield from _check_ids(file, workbook_records(path, limits))
        return
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            rows = _csv(file, stream) if path.suffix.lower() == ".csv" else _jsonl(file, stream, limits)
            yield from _check_ids(file, rows)
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(path, "批量文件", exc) from None


def _line_reporter(file: str, row: int, text: str) -> Reporter:
    reporter = Reporter()
    reporter.add_line(file, row, text)
    return reporter


def _jsonl(file: str, stream: TextIO, limits: Limits) -> Iterator[Record]:
    for row, line in enumerate(stream, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        reporter = _line_reporter(file, row, line)
        try:
            data = load_json(line, limits, f"第 {row} 行的记录")
        except (LimitExceeded, ValueError) as exc:
            if isinstance(exc, LimitExceeded):
                reporter.report(exc.code, exc.message, Span(file, row, 1, row, 2))
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


def _csv(file: str, stream: TextIO) -> Iterator[Record]:
    raw: list[str] = []  # the text of the row being read, for the caret under a problem

    def lines() -> Iterator[str]:
        for line in stream:
            raw.append(line.rstrip("\r\n"))
            yield line
    reader = csv.DictReader(lines())
    try:
        yield from _csv_rows(file, reader, raw)
    except csv.Error as exc:  # a field over csv's size limit, a NUL byte: the rest cannot be read
        row = reader.line_num
        reporter = _line_reporter(file, row, raw[-1] if raw else "")
        reporter.report("E514", f"第 {row} 行无法读取:{exc}", Span(file, row, 1, row, 2))
        yield Record(row, None, _row_locator(file, row), reporter)


def _csv_rows(file: str, reader: csv.DictReader[str], raw: list[str]) -> Iterator[Record]:
    reader.fieldnames  # noqa: B018  (reads the header row)
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


def _row_locator(file: str, line: int) -> Locate:
    return lambda path: Span(file, line, 1, line, 2)


def _check_ids(file: str, records: Iterable[Record]) -> Iterator[Record]:
    seen: dict[str, int] = {}
    for record in records:
        if record.data is not None:
            identifier = record.data.get("id")
            if identifier is None or str(identifier).strip() == "":
                record.reporter.report("E515", f"第 {record.row} 行缺少编号“id”", Span(file, record.row, 1, record.row, 2),
                                       "每条记录都要有唯一的 id,用来在结果和排名中认出它")
                record = attrs.evolve(record, data=None)
            elif str(identifier) in seen:
                record.reporter.report("E515", f"编号“{identifier}”重复(第 {seen[str(identifier)]} 行已经用过)",
                                       record.locate("id"))
                record = attrs.evolve(record, data=None)
            else:
                seen[str(identifier)] = record.row
        yield record
