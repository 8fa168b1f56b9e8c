"""The results of one chunk of rows as columns: what the batch engine gives back.

Scores are held in grid units (exact int64) and shown as points: `to_arrow()` as decimal128
columns (exact), `to_pandas()` through Arrow (Decimal values), `to_rows()` as the flat records
of `Result.to_row()`. Levels are held as small int codes per scheme (indexes into the scheme's
level names, best first; −1 for error rows): `levels` gives them as names, `to_arrow()` builds
its string columns from the codes inside Arrow. A row's full `Result`, with its trace, is made
on demand by the scalar evaluator from the row's evidence (`result(i)`). A batch pickles (to
send it between processes) with each good row's evidence data, so `result(i)` works on the copy
too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ..io.columns import Evidence, load_pyarrow
from ..core.diagnostics import EvidenceError
from ..plan.evidence import in_memory
from ..plan.grading import grade_plan
from ..grade.grading import grade_result
from ..core.numbers import Grid, decimal_places
from ..eval.raters import evaluate_located
from ..io.record import RowError
from ..core.reporter import Reporter
from ..eval.result import Result, json_number
from .grading import Codes
from .vector import Flags, Ints
from ..eval.evaluator import evaluator_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..check.model import CheckedRubric

Grid2 = npt.NDArray[np.int64]


@attrs.frozen(eq=False)
class ResultBatch:
    """Rows `rows` (file lines or positions from 1) of the input; `ok` is False for rows in
    `errors`, whose other columns hold zeros."""

    rubric: CheckedRubric
    schemes: tuple[str, ...]
    rows: list[int]
    ids: list[str | None]
    ok: Flags
    total: Ints
    max: Ints
    vetoed: Flags
    sections: Grid2  # [section, row]: sections[k] is the k-th section's column, in the rubric's order
    items: Grid2  # [item, row], in the evaluator's item order
    applicable: npt.NDArray[np.bool_]  # [item, row]; False where the item is 不适用
    level_codes: dict[str, Codes]  # by scheme: indexes into `level_names(scheme)`; −1 for error rows
    errors: tuple[RowError, ...]
    evidence: Callable[[int], Evidence] = attrs.field(repr=False)
    _decoded: dict[str, npt.NDArray[np.object_]] = attrs.field(init=False, factory=dict, eq=False, repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    def __reduce__(self) -> tuple[type[ResultBatch], tuple[Any, ...]]:
        """The fields, with `evidence` (a closure over the reader's chunk) replaced by the good
        rows' data: that is all `result` reads again, since an error row's `result` raises the
        diagnostics in `errors`, and the reader's locator serves only those."""
        data = tuple((dict(self.evidence(i)[0]) if good else None) for i, good in enumerate(self.ok))
        fields = [getattr(self, field.name) for field in attrs.fields(ResultBatch) if field.init]
        return (ResultBatch, (*fields[:-1], _StoredEvidence(data)))

    @property
    def grid(self) -> Grid:
        return evaluator_for(self.rubric).grid

    def level_names(self, scheme: str) -> tuple[str, ...]:
        """The levels of `scheme`, best first: what its codes index."""
        return grade_plan(self.rubric, scheme).names

    @property
    def levels(self) -> dict[str, npt.NDArray[np.object_]]:
        """Level names by scheme, a column of str per scheme (None for error rows); decoded from
        the codes on first read."""
        for name in self.schemes:
            if name not in self._decoded:
                names = np.array([*self.level_names(name), None], dtype=object)  # code −1: None
                self._decoded[name] = names[self.level_codes[name]]
        return {name: self._decoded[name] for name in self.schemes}

    def columns(self) -> Iterator[tuple[str, str, Any]]:
        """(name, kind, values for the good rows) in `Result.to_row()` order; kind is
        "text", "points", "flag" or "level" (level names)."""
        levels = self.levels
        good = self._good()
        for name, kind, values in self._columns():
            yield (name, kind, levels[name[len("level:"):]][good]) if kind == "level" else (name, kind, values)

    def _good(self) -> slice | Flags:
        """What picks the good rows: every row (a view, no copy) when there is no error row."""
        return slice(None) if self.ok.all() else self.ok

    def _columns(self) -> Iterator[tuple[str, str, Any]]:
        """As `columns()`, with each level column as the scheme's codes."""
        good = self._good()
        ev = evaluator_for(self.rubric)
        position = {plan.id: k for k, plan in enumerate(ev.item_plans.values())}
        yield "id", "text", self.ids if isinstance(good, slice) else [i for i, g in zip(self.ids, good) if g]
        yield "total", "points", self.total[good]
        yield "max", "points", self.max[good]
        yield "vetoed", "flag", self.vetoed[good]
        for s, plan in enumerate(ev.sections):
            yield f"section:{plan.name}", "points", self.sections[s][good]
            for item in plan.items:
                k = position[item]
                yield f"item:{ev.item_plans[item].name}", "points", self.items[k][good]
        for name in self.schemes:
            yield f"level:{name}", "level", self.level_codes[name][good]

    def to_rows(self) -> Iterator[dict[str, Any]]:
        """The good rows as `Result.to_row()` records."""
        points = self.grid.points
        columns = [(name, [json_number(points(int(u))) for u in values] if kind == "points" else list(values))
                   for name, kind, values in self.columns()]
        for row in zip(*(values for _, values in columns)):
            yield {name: value.item() if isinstance(value, np.generic) else value
                   for (name, _), value in zip(columns, row)}

    def to_arrow(self) -> Any:
        """A pyarrow Table of the good rows: points as exact decimal128, flags as bool, text as string."""
        pa = load_pyarrow()
        arrays = {}
        for name, kind, values in self._columns():
            if kind == "points":
                arrays[name] = points_array(values, self.grid)
            elif kind == "flag":
                arrays[name] = pa.array(values, pa.bool_())
            elif kind == "level":
                arrays[name] = level_array(values, self.level_names(name[len("level:"):]))
            else:
                arrays[name] = pa.array(list(values), pa.string())
        return pa.table(arrays)

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def result(self, index: int, explain: bool = True) -> Result:
        """The full result of the row at `index` in this batch, scored again by the scalar evaluator;
        a row in `errors` raises its EvidenceError."""
        if not self.ok[index]:
            raise EvidenceError(next(e for e in self.errors if e.row == self.rows[index]).diagnostics)
        data, locate, reporter = self.evidence(index)
        if data is None:
            raise EvidenceError(reporter.errors)
        return grade_result(self.rubric, evaluate_located(self.rubric, data, locate, reporter, explain),
                            self.schemes, explain)

    def results(self, explain: bool = False) -> Iterator[Result | RowError]:
        """Every row as a `Result` (scored again by the scalar evaluator) or its `RowError`."""
        errors = iter(self.errors)
        for index, good in enumerate(self.ok):
            yield self.result(index, explain) if good else next(errors)


@attrs.frozen
class _StoredEvidence:
    """The evidence of an unpickled batch: each good row's data as read, None for error rows."""

    data: tuple[Mapping[str, Any] | None, ...]

    def __call__(self, index: int) -> Evidence:
        return self.data[index], in_memory(f"<第 {index + 1} 条证据>"), Reporter()


def level_array(codes: Codes, names: tuple[str, ...]) -> Any:
    """Level codes (all ≥ 0) as an Arrow string column, the names taken in Arrow: no Python
    object per row."""
    pa = load_pyarrow()
    return pa.array(names, pa.string()).take(pa.array(codes))


def points_array(units: Ints, grid: Grid) -> Any:
    """Grid units as an Arrow decimal128 of points, built from the int64s (no Python per value);
    a grid with no finite decimal (1/3) gives float64."""
    pa = load_pyarrow()
    step = grid.step
    scale = decimal_places(step.denominator)
    if scale is None:
        return pa.array(units * (step.numerator / step.denominator), pa.float64())
    words = np.empty((len(units), 2), dtype=np.int64)  # 128-bit little-endian two's complement
    np.multiply(np.asarray(units, dtype=np.int64), step.numerator * 10**scale // step.denominator, out=words[:, 0])
    np.right_shift(words[:, 0], 63, out=words[:, 1])  # both words written in place: no temporary column
    return pa.Array.from_buffers(pa.decimal128(38, scale), len(units), [None, pa.py_buffer(words)])
