"""`evaluate_columns`: the batch engine over a stream of chunks, with the rows it hands back
scored by the scalar evaluator, and levels graded once per distinct combination of what the
schemes read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import numpy.typing as npt

from .many import Errors, check_errors
from .engine import Choice, ColumnEngine, Scores, Vec
from ..io.columns import Chunk, chunks
from ..core.diagnostics import EvidenceError
from ..plan.expressions import TOTAL_KEY
from ..grade.grading import grade_result
from ..check.model import CheckedRubric
from ..eval.raters import evaluate_located
from ..io.records import CHUNK_ROWS
from ..io.record import RowError
from ..eval.result import Result
from .result_batch import ResultBatch
from .vector import Ints, Q, column
from ..eval.evaluator import evaluator_for
from ..grade.grading import grader_for


def evaluate_columns(rubric: CheckedRubric, data: object, *, schemes: Iterable[str] | None = None,
                     errors: Errors = "raise", chunk_rows: int = CHUNK_ROWS) -> Iterator[ResultBatch]:
    """Score and grade many branches a chunk at a time, yielding a `ResultBatch` per chunk.
    `data`: evidence dicts, a .jsonl / .csv / .parquet path, an Arrow Table, RecordBatch or
    stream of batches, or a pandas or polars DataFrame. errors="raise" raises the first bad
    row's EvidenceError; "collect" keeps it in the batch's `errors`."""
    check_errors(errors)
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    names = tuple(rubric.schemes) if schemes is None else tuple(dict.fromkeys(schemes))
    ev = evaluator_for(rubric)
    engine, grading = ColumnEngine(ev), _Grading(rubric, names)
    one_by_one = rubric.raters is not None or grading.reads_history
    for chunk in chunks(data, ev.evidence_spec.plain_keys, chunk_rows, ev.limits):
        scores = engine.run(chunk)
        if one_by_one:
            scores.slow[:] = True
        yield _assemble(rubric, names, chunk, scores, grading, errors)


def _assemble(rubric: CheckedRubric, names: tuple[str, ...], chunk: Chunk, scores: Scores, grading: _Grading,
              errors: Errors) -> ResultBatch:
    ev, size = evaluator_for(rubric), chunk.size
    total, maximum = _copy(scores.total, size), _copy(scores.regular_max, size)
    vetoed = np.zeros(size, dtype=np.bool_)
    for fired in scores.vetoes:
        vetoed |= fired
    items, sections, applicable = scores.items, scores.sections, ~scores.left_out
    levels = {name: np.full(size, None, dtype=object) for name in names}
    ok = np.ones(size, dtype=np.bool_)
    problems: list[RowError] = []
    item_index = {plan.name: k for k, plan in enumerate(ev.item_plans.values())}
    grid = ev.grid
    for i in np.flatnonzero(scores.slow):
        try:
            result = _scalar(rubric, names, chunk, int(i))
        except EvidenceError as exc:
            if errors == "raise":
                raise
            ok[i] = False
            problems.append(RowError(chunk.rows[i], chunk.ids[i], tuple(exc.diagnostics)))
            total[i] = maximum[i] = 0
            items[:, i], sections[:, i] = 0, 0
            continue
        total[i], maximum[i], vetoed[i] = grid.units(result.total), grid.units(result.max), result.vetoed
        for s, section in enumerate(result.sections):
            sections[s, i] = grid.units(section.score)
            for item in section.items:
                items[item_index[item.name], i] = grid.units(item.score)
                applicable[item_index[item.name], i] = item.applicable
        for name in names:
            levels[name][i] = result.levels[name].level
    grading.grade(chunk, scores, np.flatnonzero(~scores.slow), levels)
    return ResultBatch(rubric, names, chunk.rows, chunk.ids, ok, total, maximum, vetoed, sections, items, applicable,
                       levels, tuple(problems), chunk.evidence)


def _scalar(rubric: CheckedRubric, names: tuple[str, ...], chunk: Chunk, index: int) -> Result:
    data, locate, reporter = chunk.evidence(index)
    if data is None:
        raise EvidenceError(reporter.errors)
    return grade_result(rubric, evaluate_located(rubric, data, locate, reporter, False), names, False)


def _copy(values: Ints, size: int) -> Ints:
    return np.array(np.broadcast_to(values, (size,)), dtype=np.int64)


class _Grading:
    """Levels for the engine's rows: a level depends only on the total, the vetoes and what
    the scheme's conditions read, so each distinct combination is graded once, by the scalar
    grader on one row that has it, and remembered across chunks."""

    def __init__(self, rubric: CheckedRubric, names: tuple[str, ...]) -> None:
        self.rubric, self.names = rubric, names
        graders = [grader_for(rubric, name) for name in names]
        self.reads = sorted(set().union(*(g.reads for g in graders)))
        self.reads_history = any(g.reads_history for g in graders)
        self.known: dict[bytes, tuple[str, ...]] = {}

    def grade(self, chunk: Chunk, scores: Scores, rows: Ints, levels: dict[str, npt.NDArray[np.object_]]) -> None:
        if not self.names or not len(rows):
            return
        parts = [scores.total, *[v.astype(np.int64) for v in scores.vetoes]]
        for key in self.reads:
            parts.extend(self.key_parts(key, scores, chunk.size))
        matrix = np.column_stack([np.broadcast_to(p, (chunk.size,))[rows] for p in parts])
        distinct, first, inverse = np.unique(matrix, axis=0, return_index=True, return_inverse=True)
        found = []
        for j, combination in enumerate(distinct):
            key = combination.tobytes()
            if key not in self.known:
                result = _scalar(self.rubric, self.names, chunk, int(rows[first[j]]))
                self.known[key] = tuple(result.levels[name].level for name in self.names)
            found.append(self.known[key])
        table = np.array(found, dtype=object).reshape(len(distinct), len(self.names))
        for k, name in enumerate(self.names):
            levels[name][rows] = table[inverse.reshape(-1), k]

    def key_parts(self, key: str, scores: Scores, size: int) -> list[Ints]:
        value: Vec | None = scores.values.get(key)
        if value is None and key.startswith("@"):  # a score the rubric itself never reads
            return [self.score_units(key[1:], scores)]
        if isinstance(value, Q):
            q = Q(column(value.num, size), column(value.den, size)).reduced()
            return [column(q.num, size), column(q.den, size)]
        if isinstance(value, Choice):
            return [value.codes]
        if isinstance(value, str):  # one choice value for every row
            return []
        assert key != TOTAL_KEY and value is not None
        return [np.broadcast_to(np.asarray(value, dtype=np.int64), (size,))]

    def score_units(self, name: str, scores: Scores) -> Ints:
        ev = evaluator_for(self.rubric)
        units: Ints  # declared: numpy gives a row of a 2-D array as Any
        for plan, units in zip(ev.sections, scores.sections):
            if plan.name == name:
                return units
        return next(u for plan, u in zip(ev.item_plans.values(), scores.items) if plan.name == name)
