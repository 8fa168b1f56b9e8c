"""`evaluate_columns`: the batch engine over a stream of chunks, the rows it hands back scored
by the scalar evaluator, and the levels graded a column at a time (`grading.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from .many import Errors, check_errors
from .engine import ColumnEngine, Scores
from .grading import Codes, Flags2, VectorGrader, code_type
from ..io.columns import Chunk, chunks
from ..core.diagnostics import EvidenceError
from ..grade.grading import evaluate_graded_located
from ..check.model import CheckedRubric
from ..io.records import CHUNK_ROWS
from ..io.record import RowError
from ..eval.result import Result
from .result_batch import ResultBatch, RowWarnings
from .vector import Ints
from ..eval.evaluator import evaluator_for
from ..plan.grading import grade_plan
from ..plan.notices import notice_plans


def evaluate_columns(rubric: CheckedRubric, data: object, *, schemes: Iterable[str] | None = None,
                     errors: Errors = "raise", chunk_rows: int = CHUNK_ROWS,
                     year: int | None = None) -> Iterator[ResultBatch]:
    """Score and grade many branches a chunk at a time, yielding a `ResultBatch` per chunk.
    `data`: evidence dicts, a .jsonl / .csv / .parquet path, an Arrow Table, RecordBatch or
    stream of batches, or a pandas or polars DataFrame. errors="raise" raises the first bad
    row's EvidenceError; "collect" keeps it in the batch's `errors`. `year`: the evaluation year
    (年度) for rows whose history is read and that do not give their own (those rows are scored
    one by one, as every row with a history is)."""
    check_errors(errors)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    names = tuple(rubric.schemes) if schemes is None else tuple(dict.fromkeys(schemes))
    ev = evaluator_for(rubric)
    engine, grading = ColumnEngine(ev), VectorGrader(rubric, names)
    # several raters: each rater's table is scored apart; 逐级晋升: a level reads the row's history
    one_by_one = rubric.raters is not None or grading.reads_history
    for chunk in chunks(data, ev.evidence_spec.plain_keys, chunk_rows, ev.limits):
        scores = engine.run(chunk)
        if one_by_one:
            scores.slow[:] = True
        yield _assemble(rubric, names, chunk, scores, grading, errors, year)


def _assemble(rubric: CheckedRubric, names: tuple[str, ...], chunk: Chunk, scores: Scores, grading: VectorGrader,
              errors: Errors, year: int | None = None) -> ResultBatch:
    codes, gave_up, notices = _levels(grading, scores, chunk.size)
    return assemble(rubric, names, chunk, scores, (codes, gave_up, notices), errors, year)


def assemble(rubric: CheckedRubric, names: tuple[str, ...], chunk: Chunk, scores: Scores,
             graded: tuple[dict[str, Codes], Ints, Flags2], errors: Errors, year: int | None = None) -> ResultBatch:
    """A chunk's batch from an engine's scores and levels (`graded`: each scheme's codes, the rows
    whose conditions gave up, the notices [notice, row]); the rows the engine handed back
    (`scores.slow`) and those that gave up are scored and graded one by one by the scalar path,
    which also gives a bad row its diagnostics (raised with errors="raise")."""
    ev, size = evaluator_for(rubric), chunk.size
    total, maximum = _copy(scores.total, size), _copy(scores.regular_max, size)
    vetoed = np.zeros(size, dtype=np.bool_)
    for fired in scores.vetoes:
        vetoed |= fired
    items, sections, applicable = scores.items, scores.sections, scores.applicable
    codes, gave_up, notices = graded
    notice_texts = [notice.text for notice in notice_plans(rubric)]
    ok = np.ones(size, dtype=np.bool_)
    problems: list[RowError] = []
    warned: list[RowWarnings] = []  # rows with a score for a 不适用 item: the engine hands them back (W501)
    item_index = {plan.name: k for k, plan in enumerate(ev.item_plans.values())}
    grid = ev.grid
    index = {name: {level: k for k, level in enumerate(grade_plan(rubric, name).names)} for name in names}
    # rows the engine handed back, and rows it scored whose scheme conditions gave up (a division
    # by zero there is the scalar path's E510): scored and graded one by one
    for i in np.union1d(np.flatnonzero(scores.slow), gave_up):
        try:
            result = _scalar(rubric, names, chunk, int(i), year)
        except EvidenceError as exc:
            if errors == "raise":
                raise
            ok[i] = False
            problems.append(RowError(chunk.rows[i], chunk.ids[i], tuple(exc.diagnostics)))
            total[i] = maximum[i] = 0
            items[:, i], sections[:, i] = 0, 0
            for column in codes.values():
                column[i] = -1
            continue
        total[i], maximum[i], vetoed[i] = grid.units(result.total), grid.units(result.max), result.vetoed
        # the plan's order: each section, then its groups (each before the groups inside it)
        for s, group in enumerate(g for section in result.sections for g in (section, *section.nested())):
            sections[s, i] = grid.units(group.score)
        for section in result.sections:
            for item in section.items:
                items[item_index[item.name], i] = grid.units(item.score)
                applicable[item_index[item.name], i] = item.applicable
        for name in names:
            codes[name][i] = index[name][result.levels[name].level]
        for k, text in enumerate(notice_texts):
            notices[k, i] = text in result.notices
        if result.warnings:
            warned.append(RowWarnings(chunk.rows[i], chunk.ids[i], result.warnings))
    return ResultBatch(rubric, names, chunk.rows, chunk.ids, ok, total, maximum, vetoed, sections, items, applicable,
                       codes, tuple(problems), chunk.evidence, year, notices, tuple(warned))


def _levels(grading: VectorGrader, scores: Scores, size: int) -> tuple[dict[str, Codes], Ints, Flags2]:
    """Each scheme's level codes, −1 on the rows the scalar evaluator scores (filled in as it
    does), the engine's rows whose scheme or notice conditions gave up, and the notices."""
    if not (grading.plans or grading.notices or grading.applies) or scores.slow.all():
        codes = {plan.scheme: np.full(size, -1, dtype=code_type(plan)) for plan in grading.plans}
        return codes, np.zeros(0, dtype=np.int64), np.zeros((len(grading.notices), size), dtype=np.bool_)
    codes, gave_up, notices = grading.grade(scores, size)
    slow = scores.slow
    if slow.any():
        for column in codes.values():
            column[slow] = -1
    return codes, np.flatnonzero(gave_up & ~slow), notices


def _scalar(rubric: CheckedRubric, names: tuple[str, ...], chunk: Chunk, index: int, year: int | None) -> Result:
    data, locate, reporter = chunk.evidence(index)
    if data is None:
        raise EvidenceError(reporter.errors)
    return evaluate_graded_located(rubric, data, locate, reporter, False, names, year)


def _copy(values: Ints, size: int) -> Ints:
    return np.array(np.broadcast_to(values, (size,)), dtype=np.int64)
