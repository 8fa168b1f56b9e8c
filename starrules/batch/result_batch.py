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

import math
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

import attrs
import numpy as np
import numpy.typing as npt

from ..io.columns import ArrowIds, Evidence, load_pyarrow
from ..core.diagnostics import EvidenceError
from ..plan.evidence import in_memory
from ..plan.grading import grade_plan
from ..plan.notices import notice_plans
from ..grade.grading import evaluate_graded_located
from ..core.numbers import Grid, decimal_places
from ..io.record import RowError
from ..core.reporter import Reporter
from ..eval.result import NOTICE_SEPARATOR, NOTICES_COLUMN, WARNINGS_COLUMN, Result, ResultWarning, json_number, may_warn
from .grading import Codes
from .vector import Flags, Ints
from ..eval.evaluator import Evaluator, evaluator_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..check.model import CheckedRubric

Grid2 = npt.NDArray[np.int64]


@attrs.frozen
class RowWarnings:
    """A good row whose result carries warnings (W501: a score given for a 不适用 item, kept
    out): its position (the line, for a file), id and its `Result.warnings`."""

    row: int
    id: str | None
    warnings: tuple[ResultWarning, ...]


@attrs.frozen(eq=False)
class ResultBatch:
    """Rows `rows` (file lines or positions from 1) of the input; `ok` is False for rows in
    `errors`, whose other columns hold zeros."""

    rubric: CheckedRubric
    schemes: tuple[str, ...]
    rows: list[int]
    _ids: Sequence[str | None]  # as the reader gave them: a list, or an Arrow text column (`ids` is the list)
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
    year: int | None = None  # the evaluation year (年度) given for rows without their own
    notice_flags: npt.NDArray[np.bool_] | None = None  # [notice, row]: whether each 提示 holds
    # the good rows with warnings, in row order (the engine hands such rows to the scalar path, which says them)
    warnings: tuple[RowWarnings, ...] = ()
    _decoded: dict[str, npt.NDArray[np.object_]] = attrs.field(init=False, factory=dict, eq=False, repr=False)
    _listed: list[str | None] | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def ids(self) -> list[str | None]:
        """Each row's id (None where it has none), made a list on first read."""
        if isinstance(self._ids, list):
            return self._ids
        if self._listed is None:
            object.__setattr__(self, "_listed", list(self._ids))
        return cast("list[str | None]", self._listed)

    def __reduce__(self) -> tuple[type[ResultBatch], tuple[Any, ...]]:
        """The fields, with `evidence` (a closure over the reader's chunk) replaced by the good
        rows' data: that is all `result` reads again, since an error row's `result` raises the
        diagnostics in `errors`, and the reader's locator serves only those."""
        data = tuple((dict(self.evidence(i)[0]) if good else None) for i, good in enumerate(self.ok))
        fields = {field.name: getattr(self, field.name) for field in attrs.fields(ResultBatch) if field.init}
        fields["evidence"] = _StoredEvidence(data)
        return (ResultBatch, tuple(fields.values()))

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
        ids = self._ids
        if not isinstance(good, slice):
            ids = ArrowIds(ids.array.filter(good)) if isinstance(ids, ArrowIds) else [i for i, g in zip(ids, good) if g]
        yield "id", "text", ids
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
        if self.rubric.notices:
            yield NOTICES_COLUMN, "text", self.notices_text()[good]
        if may_warn(self.rubric):
            yield WARNINGS_COLUMN, "text", self.warnings_text()[good]

    def notices_text(self) -> npt.NDArray[np.object_]:
        """Per row, the texts of the notices (提示) that hold, joined by “;” as in `Result.to_row()`."""
        texts = [plan.text for plan in notice_plans(self.rubric)]
        flags = self.notice_flags if self.notice_flags is not None else np.zeros((len(texts), len(self)), np.bool_)
        return np.array([NOTICE_SEPARATOR.join(t for t, holds in zip(texts, row) if holds) for row in flags.T]
                        if texts else [""] * len(self), dtype=object)

    def warnings_text(self) -> npt.NDArray[np.object_]:
        """Per row, its warnings' texts joined by “;” as in `Result.to_row()` ("" for most rows)."""
        texts = np.full(len(self), "", dtype=object)
        if self.warnings:
            position = {row: i for i, row in enumerate(self.rows)}
            for found in self.warnings:
                texts[position[found.row]] = NOTICE_SEPARATOR.join(w.text for w in found.warnings)
        return texts

    def to_rows(self) -> Iterator[dict[str, Any]]:
        """The good rows as `Result.to_row()` records."""
        points = self.grid.points
        columns = [(name, [json_number(points(int(u))) for u in values] if kind == "points" else list(values))
                   for name, kind, values in self.columns()]
        for row in zip(*(values for _, values in columns)):
            yield {name: value.item() if isinstance(value, np.generic) else value
                   for (name, _), value in zip(columns, row)}

    def to_arrow(self) -> Any:
        """A pyarrow Table of the good rows: points as exact decimals — decimal128(18, s) when no
        score of the rubric can need more than 18 digits (`points_precision`), else
        decimal128(38, s) —, flags as bool, text as string; every column but `id` is declared
        not nullable (none has a null)."""
        return self._table(narrow=False)

    def parquet_table(self) -> tuple[Any, dict[str, Any]]:
        """`to_arrow()` as the Parquet writer takes it fastest, and the writer's options that go
        with it: points of at most 18 digits as decimal64 stored as Parquet INT64 (DECIMAL(18, s)),
        levels as dictionary columns (the writer takes the codes as they are), no dictionary
        tried for the ids (each is new), and no Arrow schema in the file, so a reader gets
        decimal128(18, s) and text as from `to_arrow()`. A pyarrow without decimal64 (before 18)
        gets `to_arrow()` itself."""
        pa = load_pyarrow()
        if not hasattr(pa, "decimal64") or points_precision(self.rubric) > 18:
            return self._table(narrow=False), {}
        table = self._table(narrow=True)
        return table, {"store_decimal_as_integer": True, "store_schema": False,
                       "use_dictionary": [name for name in table.schema.names if name != "id"]}

    def _table(self, narrow: bool) -> Any:
        pa = load_pyarrow()
        precision = points_precision(self.rubric)
        arrays = {}
        for name, kind, values in self._columns():
            if kind == "points":
                arrays[name] = _decimal64(values, self.grid) if narrow else points_array(values, self.grid, precision)
            elif kind == "flag":
                arrays[name] = pa.array(values, pa.bool_())
            elif kind == "level":
                names = self.level_names(name[len("level:"):])
                arrays[name] = pa.DictionaryArray.from_arrays(pa.array(values), pa.array(names, pa.string())) \
                    if narrow else level_array(values, names)
            elif isinstance(values, ArrowIds):  # the reader's own text column
                arrays[name] = values.array.cast(pa.string())
            else:
                arrays[name] = pa.array(list(values), pa.string())
        # only an id may be missing (null); every other column has a value in every good row,
        # and says so (a Parquet writer then writes no null markers for it)
        schema = pa.schema([pa.field(name, array.type, nullable=name == "id") for name, array in arrays.items()])
        return pa.Table.from_arrays(list(arrays.values()), schema=schema)

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
        return evaluate_graded_located(self.rubric, data, locate, reporter, explain, self.schemes, self.year)

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


def points_array(units: Ints, grid: Grid, precision: int = 38) -> Any:
    """Grid units as an Arrow decimal128(precision, s) of points, built from the int64s (no
    Python per value); a grid with no finite decimal (1/3) gives float64. `precision` 18 is for
    columns whose points `points_precision` shows fit."""
    pa = load_pyarrow()
    step = grid.step
    scale = decimal_places(step.denominator)
    if scale is None:
        return pa.array(units * (step.numerator / step.denominator), pa.float64())
    units = np.asarray(units, dtype=np.int64)
    factor = step.numerator * 10**scale // step.denominator
    if units.size and int(units.min()) >= 0:  # the high words are 0
        words = np.zeros((len(units), 2), dtype=np.int64)  # 128-bit little-endian two's complement
        np.multiply(units, factor, out=words[:, 0])
    else:
        words = np.empty((len(units), 2), dtype=np.int64)
        np.multiply(units, factor, out=words[:, 0])
        np.right_shift(words[:, 0], 63, out=words[:, 1])  # both words written in place: no temporary column
    return pa.Array.from_buffers(pa.decimal128(precision, scale), len(units), [None, pa.py_buffer(words)])


def _decimal64(units: Ints, grid: Grid) -> Any:
    """Grid units as an Arrow decimal64(18, s) of points (the int64s scaled, or as they are);
    only for a grid with a finite decimal and a rubric whose `points_precision` is 18."""
    pa = load_pyarrow()
    step = grid.step
    scale = decimal_places(step.denominator)
    if scale is None:
        return pa.array(units * (step.numerator / step.denominator), pa.float64())
    factor = step.numerator * 10**scale // step.denominator
    scaled = np.ascontiguousarray(units, dtype=np.int64) if factor == 1 else np.multiply(units, factor)
    return pa.Array.from_buffers(pa.decimal64(18, scale), len(scaled), [None, pa.py_buffer(scaled)])


def points_precision(rubric: CheckedRubric) -> int:
    """18 when no points column of the rubric's results (items, sections, total, maximum) can
    hold a number of more than 18 digits (from the scoring plan: items' and sections' points,
    the regular sum's bound, the bonus sections), else 38 (what decimal128 holds at most)."""
    ev = evaluator_for(rubric)
    scale = decimal_places(ev.grid.step.denominator)
    largest = _largest_units(ev)
    if scale is None or largest is None:
        return 38
    factor = ev.grid.step.numerator * 10**scale // ev.grid.step.denominator
    return 18 if largest * factor < 10**18 else 38


def _largest_units(ev: Evaluator) -> int | None:
    """The largest magnitude, in grid units, any points column can hold, or None when the plan
    does not bound it: an item of 可倒扣 (no floor: the scalar path scores any deduction), or 折算
    of a section whose items add up to more than its points (then a score can pass its maximum,
    with items left out)."""
    items = list(ev.item_plans.values())
    if any(plan.negative for plan in items):
        return None
    largest = max([plan.max for plan in items] + [plan.points for plan in ev.sections] + [0])
    rs = ev.regular_sum
    regular = [plan for plan in ev.sections if plan.kind == "regular"]
    if rs.weights is not None:
        if any(w is not None and w < 0 for w in rs.weights):
            return None
        top = sum((Fraction(rs.scale) * (w or 0) for p, w in zip(rs.points, rs.weights) if p), Fraction(0))
    else:
        top = Fraction(sum(plan.points for plan in regular))
    if rs.target is not None:
        if any(sum(plan.item_max.values()) > plan.points for plan in regular):
            return None
        top = Fraction(rs.target)
    bonus = sum(plan.points for plan in ev.sections if plan.kind == "bonus")
    return max(largest, math.ceil(top) + 1 + bonus)
