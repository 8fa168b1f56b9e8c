"""Writing flat result rows (`Result.to_row()`) to a .jsonl or .csv file as they are made."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

OUTPUT_SUFFIXES = (".jsonl", ".csv")


class RowWriter:
    """Rows to `path`, one at a time; the CSV header is the first row's keys (every row of one
    rubric and set of schemes has the same keys)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.csv = path.suffix.lower() == ".csv"
        self.stream: TextIO = path.open("w", encoding="utf-8-sig" if self.csv else "utf-8", newline="")
        self.writer: Any = None  # csv.DictWriter, made at the first row
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        if not self.csv:
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if self.writer is None:
                self.writer = csv.DictWriter(self.stream, fieldnames=list(row), lineterminator="\n")
                self.writer.writeheader()
            self.writer.writerow({k: _cell(v) for k, v in row.items()})
        self.count += 1

    def __enter__(self) -> RowWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stream.close()


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def count_records(path: Path) -> int:
    """Records in a batch file, for the progress display: non-empty lines, less a CSV header."""
    with path.open("rb") as stream:
        lines = sum(1 for line in stream if line.strip())
    return max(lines - 1, 0) if path.suffix.lower() == ".csv" else lines
