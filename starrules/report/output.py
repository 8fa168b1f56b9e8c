"""Writing the batch engine's results to a .jsonl, .csv or .parquet file a chunk at a time,
atomically: the rows go to a temporary file beside OUT, which replaces OUT only once complete."""

from __future__ import annotations

import csv
from concurrent.futures import Future, ThreadPoolExecutor
import json
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from ..core.atomic import Pending
from ..core.bounded import open_regular

if TYPE_CHECKING:
    from ..batch.result_batch import ResultBatch

OUTPUT_SUFFIXES = (".jsonl", ".csv", ".parquet")


class ResultWriter:
    """Good rows of each batch to `path`: `Result.to_row()` records as JSON Lines or CSV (the
    header is the first row's keys: every row of one rubric and set of schemes has the same),
    or a Parquet table with exact decimal points (`ResultBatch.parquet_table()`). `path` is replaced
    when the `with` block ends without an exception and at least one row was written, and left
    untouched otherwise (`written` says which): a batch whose every record was refused (a
    duplicate CSV header, only over-long lines) must not empty a previous output, even with --force."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = path.suffix.lower()
        self.stream: TextIO | None = None
        self.writer: Any = None  # csv.DictWriter or pyarrow.parquet.ParquetWriter, made at the first batch
        self.count = 0
        self.written = False
        self.pending: Future[None] | None = None
        self.thread: ThreadPoolExecutor
        self.file = Pending(path)
        if self.kind != ".parquet":
            try:
                self.stream = self.file.temp.open("w", encoding="utf-8-sig" if self.kind == ".csv" else "utf-8",
                                                  newline="")
            except BaseException:
                self.file.discard()
                raise

    def write(self, batch: ResultBatch) -> None:
        if self.kind == ".parquet":
            self._parquet(batch)
            return
        assert self.stream is not None
        for row in batch.to_rows():
            if self.kind == ".jsonl":
                self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                if self.writer is None:
                    # RFC 4180 row ends: with "\n" alone the csv module would leave a "\r" in a cell unquoted
                    self.writer = csv.DictWriter(self.stream, fieldnames=list(row), lineterminator="\r\n")
                    self.writer.writeheader()
                self.writer.writerow({k: _cell(v) for k, v in row.items()})
            self.count += 1

    def _parquet(self, batch: ResultBatch) -> None:
        """Arrow writes one chunk in a second thread (it lets go of the GIL) while the next is
        scored; at most one chunk waits, so memory stays bounded. Points of at most 18 digits
        are written as Parquet DECIMAL(18, s) on INT64 (`ResultBatch.parquet_table`): exact, and
        about twice as fast to write as 16-byte decimals."""
        from ..io.columns import load_pyarrow
        table, options = batch.parquet_table()
        if self.writer is None:
            self.writer = load_pyarrow("parquet").ParquetWriter(self.file.temp, table.schema, **options)
            self.thread = ThreadPoolExecutor(max_workers=1)
        self._wait()
        self.pending = self.thread.submit(self.writer.write_table, table)
        self.count += table.num_rows

    def _wait(self) -> None:
        if self.pending is not None:
            self.pending.result()
            self.pending = None

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            self._close()
        except BaseException:
            self.file.discard()
            raise
        if kind is not None or self.count == 0:  # a run that scored nothing replaces nothing
            self.file.discard()
            return
        self.file.commit()
        self.written = True

    def _close(self) -> None:
        """Finish the temporary file: the last Parquet chunk written, the footer, the stream closed."""
        if self.stream is not None:
            self.stream.close()
        elif self.writer is not None:
            try:
                self._wait()
            finally:
                self.thread.shutdown()
                self.writer.close()


def _cell(value: object) -> object:
    """A CSV cell. Text that a spreadsheet would run as a formula (an id like `=HYPERLINK(…)`)
    gets a leading `'` (OWASP CSV injection); numbers are decided by type, so -3 stays -3."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return "" if value is None else value


def count_records(path: Path) -> int:
    """Records in a batch file, for the progress display: non-empty lines, less a CSV header;
    a Parquet file's row count from its footer."""
    if path.suffix.lower() == ".xlsx":
        from ..io.records import records
        return sum(1 for _ in records(path))
    if path.suffix.lower() == ".parquet":
        from ..io.columns import load_pyarrow
        return int(load_pyarrow("parquet").ParquetFile(path).metadata.num_rows)
    lines = 0
    with open_regular(path) as stream:  # a FIFO or device is refused, not waited on
        filled = False  # the line read so far has more than white space
        while piece := stream.readline(1 << 16):  # a long line is read in pieces, never whole
            filled = filled or bool(piece.strip())
            if piece.endswith(b"\n"):
                lines, filled = lines + filled, False
        lines += filled
    return max(lines - 1, 0) if path.suffix.lower() == ".csv" else lines
