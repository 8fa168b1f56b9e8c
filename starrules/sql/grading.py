"""The grading plans (plan/grading.py) compiled to columns over the scoring query's, as the
vector grader (batch/grading.py) runs them over arrays: per scheme a level code (the index of
the level in the plan's names, best first), the 降档 steps that held and the first veto that
capped the level here.

1. banding: with bounds alone, the number of bounds above the total (a sum of comparisons);
   otherwise the first level whose bound and conditions hold (a CASE), else the lowest;
   a derived scheme (基于) maps its base's code, graded with the vetoes it caps itself left out;
2. 降档: the steps of every downgrade that holds, added, the code clamped to the lowest level;
3. vetoes: where one fires, the code is at least its cap (the lowest level for "lowest"; a cap
   left to the base was applied there).
逐级晋升 reads each branch's history, which a table row does not have: refused (E607).

E510: the scalar grader (grade/grading.py `SchemeGrader`) tests every condition of each band it
tries — from the best, while none before it was reached, once the total reaches its bound, the
last band too — then every 降档 condition (a base scheme's first); a division by 0 in any of
them is the row's error. `zeros` lists where, in that order.
"""

from __future__ import annotations

import attrs
from sqlglot import exp

from ..plan.grading import Condition, GradePlan, grade_plan
from .numbers import case, flag, greatest, least, lit, paren, total
from .scoring import Compiler, Zeros, unsupported


@attrs.frozen
class SchemeColumns:
    """A scheme's columns: its level code, the 降档 steps that held (before the clamp) and the
    number (from 1) of the first fired veto that capped the level here, NULL when none did."""

    code: exp.Expr
    downgrade: exp.Expr
    veto: exp.Expr


class LevelCompiler:
    """Grades every scheme asked for, each (scheme, vetoes left out) once."""

    def __init__(self, compiler: Compiler) -> None:
        self.compiler = compiler
        self.tested: dict[int, tuple[exp.Expr, exp.Expr | None]] = {}
        self.graded: dict[tuple[str, frozenset[int]], SchemeColumns] = {}
        self.zeros: Zeros = []  # where grading and the notices divide by 0 (E510), in the reference's order
        self.checked: set[str] = set()  # the schemes whose divisions are in `zeros`

    def scheme(self, name: str) -> SchemeColumns:
        plan = grade_plan(self.compiler.rubric, name)
        current: GradePlan | None = plan
        while current is not None:
            if current.one_step_up:
                raise unsupported(self.compiler.rubric, current.definition.definition.span,
                                  f"SQL 计分不支持“{current.scheme}”的逐级晋升:它读每个党支部的历史",
                                  "逐级晋升的方案请用 rubric.evaluate 或 evaluate_columns 定级")
            current = current.base
        return self.columns(plan, frozenset())

    def holds(self, condition: Condition) -> exp.Expr:
        return self.test(condition)[0]

    def test(self, condition: Condition) -> tuple[exp.Expr, exp.Expr | None]:
        """The condition's column, and where evaluating it divides by 0 (None: nowhere)."""
        found = self.tested.get(id(condition))
        if found is None:
            compiler = self.compiler
            value, zero = compiler.guarded(condition.expr)
            found = self.tested[id(condition)] = (compiler.define(compiler.flag(value)),
                                                 None if zero is None else compiler.define(zero))
        return found

    def always(self, condition: Condition, place: str) -> exp.Expr:
        """A condition the reference evaluates on every graded row (a notice): its column; its
        divisions by 0 are noted at `place`."""
        holds, zero = self.test(condition)
        if zero is not None:
            self.zeros.append((place, zero))
        return holds

    def columns(self, plan: GradePlan, left_out: frozenset[int]) -> SchemeColumns:
        key = (plan.scheme, left_out)
        found = self.graded.get(key)
        if found is None:
            found = self.graded[key] = self._columns(plan, left_out)
        return found

    def _columns(self, plan: GradePlan, left_out: frozenset[int]) -> SchemeColumns:
        define = self.compiler.define
        if plan.base is None:
            code = self.bands(plan)
        else:
            below = self.columns(plan.base, left_out | plan.capped_here).code
            mapped = exp.Case(this=below)
            for index, level in enumerate(plan.mapping):
                mapped = mapped.when(lit(index), lit(level))
            code = define(mapped.else_(lit(plan.floor)))
        self.check(plan)
        steps: exp.Expr = lit(0)
        if plan.downgrades:
            steps = define(total([flag(self.holds(d.condition), d.steps) for d in plan.downgrades]))
            code = define(least(exp.Add(this=code, expression=steps), lit(plan.floor)))
        capping = [(veto.index, lit(plan.floor if veto.cap == "lowest" else veto.cap)) for veto in plan.vetoes
                   if veto.index not in left_out and veto.cap != "base"]
        first: exp.Expr = exp.Null()
        for index, cap in capping:
            fired = self.compiler.vetoes[index]
            code = define(case(fired, greatest(code, cap), code))
        for index, _ in reversed(capping):  # the first one written wins
            first = case(self.compiler.vetoes[index], lit(index + 1), first)
        return SchemeColumns(code, steps, define(first) if capping else exp.cast(exp.Null(), "BIGINT"))

    def check(self, plan: GradePlan) -> None:
        """Notes where grading under `plan` divides by 0: its bands' conditions (each where the
        grader reaches it), then its 降档 conditions; once per scheme."""
        if plan.scheme in self.checked:
            return
        self.checked.add(plan.scheme)
        if plan.base is None:
            self.band_zeros(plan)
        for downgrade in plan.downgrades:
            zero = self.test(downgrade.condition)[1]
            if zero is not None:
                self.zeros.append((plan.scheme, zero))

    def band_zeros(self, plan: GradePlan) -> None:
        """A band's conditions are all evaluated (SchemeGrader._band) where no band before it was
        reached and the total is at its bound."""
        tested = [[self.test(c) for c in band.conditions] for band in plan.bands]
        if all(zero is None for band in tested for _, zero in band):
            return
        compiler, units = self.compiler, self.compiler.units["total"]
        before: list[exp.Expr] = []  # no band before this one was reached
        for band, conditions in zip(plan.bands, tested):
            bound = [] if band.bound is None else \
                [exp.GTE(this=units.copy(), expression=compiler.units_lit(band.bound))]
            zeros = [paren(zero.copy()) for _, zero in conditions if zero is not None]
            if zeros:
                self.zeros.append((plan.scheme, compiler.define(exp.and_(*(b.copy() for b in before), *bound,
                                                                         paren(exp.or_(*zeros))))))
            tests = [*(b.copy() for b in bound), *(holds.copy() for holds, _ in conditions)]
            before.append(exp.Not(this=paren(exp.and_(*tests))) if tests else exp.Boolean(this=False))

    def bands(self, plan: GradePlan) -> exp.Expr:
        """The first level reached: with bounds alone, the number of bounds above the total."""
        units = self.compiler.units["total"]
        reach = plan.bands[:-1]
        if all(b.bound is not None and not b.conditions for b in reach):
            return self.compiler.define(total([flag(exp.LT(this=units, expression=self.compiler.units_lit(b.bound)))
                                               for b in reach if b.bound is not None]))
        banded = exp.Case()
        for index, band in enumerate(reach):
            tests: list[exp.Expr] = [] if band.bound is None else \
                [exp.GTE(this=units, expression=self.compiler.units_lit(band.bound))]
            tests += [self.holds(c) for c in band.conditions]
            banded = banded.when(exp.and_(*map(paren, tests)) if tests else exp.Boolean(this=True), lit(index))
        return self.compiler.define(banded.else_(lit(plan.floor)) if reach else lit(plan.floor))
