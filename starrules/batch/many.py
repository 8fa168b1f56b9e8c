"""Many branches at once, one result per record (`evaluate_many`), or columns of results per
chunk of rows from the batch engine (`evaluate_columns`, in `driver.py` and `engine.py`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal

from ..core.diagnostics import Diagnostic, EvidenceError
from ..core.reporter import Reporter
from ..plan.evidence import Locate, identifier_text
from ..grade.grading import evaluate_graded_located
from ..check.model import CheckedRubric
from ..io.records import BATCH_SUFFIXES, CHUNK_ROWS, columnar, records
from ..io.record import Record, RowError
from ..eval.result import Result

__all__ = ["BATCH_SUFFIXES", "Errors", "RowError", "evaluate_batch", "evaluate_many"]
Errors = Literal["raise", "collect"]


def check_errors(errors: str) -> None:
    if errors not in ("raise", "collect"):
        raise ValueError(f'errors must be "raise" or "collect", not {errors!r}')


Choose = Callable[[object, Locate, Reporter], CheckedRubric]  # a record's data, locator, reporter → its standard


def evaluate_many(rubric: CheckedRubric, data: Iterable[Mapping[str, Any]] | str | os.PathLike[str] | Any, *,
                  schemes: Iterable[str] | None = None, explain: bool = False,
                  errors: Errors = "raise", year: int | None = None,
                  choose: Choose | None = None) -> Iterator[Result | RowError]:
    """Score and grade every record, yielding each result as it is made. `data` is an iterable of
    evidence mappings, the path of a .jsonl / .csv / .parquet file, or Arrow, pandas or polars data
    (read with pyarrow). With errors="raise" the first bad
    record raises its EvidenceError; with "collect" it is yielded as a `RowError` in its place.
    `year`: the evaluation year (年度) for records that do not give their own. `choose`: for a
    family of standards, the one that scores each record (its 适用 line), else `rubric`."""
    check_errors(errors)
    if columnar(data):  # Parquet, Arrow, pandas, polars: read a batch of rows at a time
        from ..io.columns import arrow_records
        rows: Iterator[Record] = arrow_records(data, CHUNK_ROWS)
    else:
        rows = records(data, rubric.limits)
    names = None if schemes is None else list(schemes)
    for record in rows:
        try:
            if record.data is None:
                raise EvidenceError(record.reporter.errors)
            chosen = rubric if choose is None else choose(record.data, record.locate, record.reporter)
            yield evaluate_graded_located(chosen, record.data, record.locate, record.reporter, explain, names, year)
        except EvidenceError as exc:
            if errors == "raise":
                raise
            identifier = record.data.get("id") if isinstance(record.data, Mapping) else None
            yield RowError(record.row, identifier_text(identifier), tuple(exc.diagnostics))


def evaluate_batch(rubric: CheckedRubric, path: str | os.PathLike[str], schemes: Iterable[str] | None = None,
                   explain: bool = True, year: int | None = None, choose: Choose | None = None) -> list[Result]:
    """Every record of a file scored and graded; one EvidenceError listing the problems of all records."""
    results: list[Result] = []
    problems: list[Diagnostic] = []
    for outcome in evaluate_many(rubric, path, schemes=schemes, explain=explain, errors="collect", year=year,
                                 choose=choose):
        if isinstance(outcome, RowError):
            problems.extend(outcome.diagnostics)
        else:
            results.append(outcome)
    if problems:
        raise EvidenceError(problems)
    return results
