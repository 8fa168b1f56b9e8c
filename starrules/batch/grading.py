"""Levels for a whole chunk at once: the grading plans (`plan/grading.py`) run as column
operations over the batch engine's values, one small int code per row and scheme (the index of
its level in the plan's names, best first).

- banding: a row's code is the number of levels before the first it reaches; with bounds alone
  (the usual case) that is the number of bounds above its total, a sum of comparisons;
- conditions: `VectorExprs` over the engine's values (facts, derived values, the scores the
  rubric reads, 总分, 未达标类型数), plus the scores only schemes read, made points from the
  engine's grid units;
- 降档 as a sum of steps, clamped; vetoes as `np.maximum` on the codes where they fired;
- a derived scheme (基于): its base's codes, graded with the vetoes it caps itself left out,
  through the plan's mapping as an index array.

Nothing is evaluated per row here. A row where a condition gives up (a division by zero, a
number leaving int64) is reported back, and the driver grades it with the scalar grader.
逐级晋升 needs each row's history: the driver grades those rubrics row by row.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..check.model import CheckedRubric
from ..lang.ast import GROUP_PARTS
from ..eval.evaluator import evaluator_for
from ..plan.expressions import BELOW_PASS_KEY, EMPTY_GROUP_RATE, TOTAL_KEY
from ..plan.grading import Condition, GradePlan, grade_plan
from ..plan.applies import applies_plan
from ..plan.notices import notice_plans
from .engine import Scores
from .vector import Flags, Ints, Lanes, Q, column
from .vector_exprs import Vec, VectorExprs

Codes = npt.NDArray[np.signedinteger[Any]]  # int8, or int16 for a scheme of more than 127 levels
Flags2 = npt.NDArray[np.bool_]  # [notice, row]
CodeType = np.dtype[np.signedinteger[Any]]


def code_type(plan: GradePlan) -> CodeType:
    """The codes' dtype for a scheme: int8 up to 127 levels (−1 marks a row with no level)."""
    return np.dtype(np.int8) if len(plan.names) <= 127 else np.dtype(np.int16)


class VectorGrader:
    """The plans of the schemes `names` for one rubric, graded a chunk at a time."""

    def __init__(self, rubric: CheckedRubric, names: tuple[str, ...]) -> None:
        self.names = names
        self.plans = tuple(grade_plan(rubric, name) for name in names)
        self.notices = notice_plans(rubric)  # tested on every row, graded or not
        self.applies = applies_plan(rubric)  # rows it is not for: the scalar path reports E521
        self.reads_history = any(plan.reads_history for plan in self.plans)
        self.reads = frozenset().union(*(plan.reads for plan in self.plans),
                                       *(notice.condition.reads for notice in self.notices),
                                       self.applies.condition.reads if self.applies else ())
        ev = evaluator_for(rubric)
        self.grid = ev.grid
        # where a score lives in the engine's [item, row] and [section, row] arrays, for the
        # scores only schemes read (an item named like its section wins, as in the scalar values)
        self.score_rows: dict[str, tuple[bool, int]] = {}
        self.group_rows: dict[str, tuple[str, int]] = {}  # `@组.得分率` / `@组.满分` → (part, section)
        for k, section in enumerate(ev.sections):
            self.score_rows[f"@{section.name}"] = (True, k)
            self.group_rows.update({f"@{section.name}.{word}": (part, k) for part, word in GROUP_PARTS.items()})
        for k, item in enumerate(ev.item_plans.values()):
            self.score_rows[f"@{item.name}"] = (False, k)
        self.pass_lines = [(k, s.pass_line) for k, s in enumerate(ev.sections)
                           if s.kind == "regular" and s.pass_line is not None]
        # schemes whose levels but the lowest all have bounds and no conditions: banded by bounds alone
        self.bounds_only = frozenset(plan.scheme for plan in _with_bases(self.plans) if plan.bands and
                                     all(b.bound is not None and not b.conditions for b in plan.bands[:-1]))

    def grade(self, scores: Scores, size: int) -> tuple[dict[str, Codes], Flags, Flags2]:
        """Every row's level code under each scheme, whether each notice (提示) holds ([notice,
        row]), and the rows whose conditions gave up (their codes and notices are placeholders,
        as are those of the engine's slow rows)."""
        lanes = Lanes(size)
        values = self.values(scores, lanes, size)
        if values is None:  # (the checker makes every name a scheme reads a fact or derived value)
            return {plan.scheme: np.full(size, plan.floor, dtype=code_type(plan)) for plan in self.plans}, \
                np.ones(size, dtype=np.bool_), np.zeros((len(self.notices), size), dtype=np.bool_)
        chunk = _Chunk(self, scores, lanes, values, size)
        codes = {plan.scheme: chunk.codes(plan, frozenset()) for plan in self.plans}
        notices = np.zeros((len(self.notices), size), dtype=np.bool_)
        for k, notice in enumerate(self.notices):
            notices[k] = chunk.holds(notice.condition)
        refused = ~chunk.holds(self.applies.condition) if self.applies else False
        return codes, lanes.slow | refused, notices

    def values(self, scores: Scores, lanes: Lanes, size: int) -> dict[str, Vec] | None:
        """The engine's values, with what the schemes read besides: scores the rubric itself
        never reads (made points from grid units), and 总分 / 未达标类型数 if the engine left them out;
        None when a fact or derived value is not there (then no row is graded here)."""
        missing = [key for key in self.reads if key not in scores.values]
        if not missing:
            return scores.values
        values = dict(scores.values)
        step = self.grid.step
        for key in missing:
            units: Ints
            if key == TOTAL_KEY:
                units = scores.total
            elif key == BELOW_PASS_KEY:
                failing = sum((scores.sections[k] < line).astype(np.int64) for k, line in self.pass_lines)
                values[key] = Q(column(failing, size))
                continue
            elif key in self.score_rows:
                in_section, k = self.score_rows[key]
                units = (scores.sections if in_section else scores.items)[k]
            elif key in self.group_rows:
                values[key] = self.group_value(scores, *self.group_rows[key], size)
                continue
            else:
                return None
            values[key] = Q(lanes.product(units, step.numerator), step.denominator)
        return values


    def group_value(self, scores: Scores, part: str, k: int, size: int) -> Q:
        """A section's or group's 满分 (its applicable maximum) or 得分率 (score ÷ that; 100% when
        nothing in it applies), as the scalar values give them."""
        maximum = column(np.broadcast_to(np.asarray(scores.maxima[k], dtype=np.int64), (size,)).copy(), size)
        if part == "max":
            step = self.grid.step
            return Q(maximum * step.numerator, step.denominator)
        empty = maximum == 0
        return Q(np.where(empty, EMPTY_GROUP_RATE, scores.sections[k]), np.where(empty, 1, maximum))


class _Chunk:
    """One chunk's grading: each condition evaluated once, each (scheme, vetoes left out) once."""

    def __init__(self, grader: VectorGrader, scores: Scores, lanes: Lanes, values: dict[str, Vec],
                 size: int) -> None:
        self.grader, self.scores, self.size = grader, scores, size
        self.exprs = VectorExprs(lanes, values, size)
        self.tested: dict[int, Flags] = {}
        self.graded: dict[tuple[str, frozenset[int]], Codes] = {}

    def holds(self, condition: Condition) -> Flags:
        found = self.tested.get(id(condition))
        if found is None:
            found = self.tested[id(condition)] = self.exprs.flags(self.exprs.expr(condition.expr))
        return found

    def codes(self, plan: GradePlan, left_out: frozenset[int]) -> Codes:
        """`left_out`: vetoes (by index) a derived scheme above caps itself."""
        key = (plan.scheme, left_out)
        found = self.graded.get(key)
        if found is None:
            found = self.graded[key] = self._codes(plan, left_out)
        return found

    def _codes(self, plan: GradePlan, left_out: frozenset[int]) -> Codes:
        dtype = code_type(plan)
        if plan.base is None:
            index = self.bands(plan, dtype)
        else:
            below = self.codes(plan.base, left_out | plan.capped_here)
            index = np.asarray(plan.mapping, dtype=dtype)[below]
        if plan.downgrades:
            steps = sum((np.where(self.holds(d.condition), np.int64(d.steps), np.int64(0)) for d in plan.downgrades),
                        np.zeros(self.size, dtype=np.int64))
            index = np.minimum(index + steps, plan.floor).astype(dtype)
        # `index` is this call's own array (banded, mapped or clamped afresh): capped in place
        for veto in plan.vetoes:
            if veto.index in left_out or veto.cap == "base":
                continue
            cap = np.array(plan.floor if veto.cap == "lowest" else veto.cap, dtype=dtype)
            np.maximum(index, cap, out=index, where=self.scores.vetoes[veto.index])
        return index

    def bands(self, plan: GradePlan, dtype: CodeType) -> Codes:
        """The first level reached, counted: a row's code is the number of levels before its
        first reached one (the lowest, when none is). With bounds alone, bounds decrease, so
        that is the number of bounds above the total. (A count of comparisons is ten times
        faster here than `np.searchsorted` over the bounds or a `where` per level: measured.)"""
        total = self.scores.total
        index: Codes = np.zeros(self.size, dtype=dtype)
        above = np.empty(self.size, dtype=np.bool_)
        if plan.scheme in self.grader.bounds_only:
            for band in plan.bands[:-1]:
                assert band.bound is not None
                np.less(total, band.bound, out=above)
                index += above
            return index
        unreached = np.ones(self.size, dtype=np.bool_)  # no level so far reached
        for band in plan.bands[:-1]:
            reached = np.ones(self.size, dtype=np.bool_) if band.bound is None else total >= band.bound
            for condition in band.conditions:
                reached &= self.holds(condition)
            np.logical_and(unreached, ~reached, out=unreached)
            index += unreached
        return index


def _with_bases(plans: tuple[GradePlan, ...]) -> list[GradePlan]:
    """The plans and, for derived schemes, their bases, theirs, and so on."""
    found: list[GradePlan] = []
    for plan in plans:
        current: GradePlan | None = plan
        while current is not None:
            found.append(current)
            current = current.base
    return found
