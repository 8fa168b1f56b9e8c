"""What the next level up asks that a result does not have (issue 22 §5): which level to advise,
and its conditions taken apart into the comparisons an officer can act on.

A level's conditions are split at `且` (named conditions are already written out in the grading
plan) into requirements. A requirement that compares a score — `@项目`, `@类型`, `@组.得分率`,
总分, or a 令 that adds scores up — with a number is a score line: its distance in points is
known, and fixes can close it. One that reads no score is a fact: points cannot buy it, the gap
names the fact and the value needed. Anything else that reads a score (an `或`, a score with an
upper limit) is tested as written: fixes may meet it, but no distance is shown.

Which level is advised: the nearest level above the current one that is open to the result. A
choice fact (选项) compared with `=` / `属于` in the conditions of two or more levels picks the
level — a scheme graded on what was applied for (`五星级 >= 90分 且 申报星级 = 五星`) — so a
level whose such comparison fails is not advised: the applicant hears only of the level applied
for, never of one below it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from fractions import Fraction

import attrs

from ..check.model import CheckedRubric
from ..check.schemes import scheme_sources
from ..core.numbers import Exact, exact
from ..core.sourcetext import SourceTexts, show_percent, show_value
from ..eval.evaluator import evaluator_for
from ..eval.result import Need
from ..lang import ast
from ..plan.expressions import Compiled, DivisionByZero, ExprCompiler, Value, Values
from ..plan.grading import Condition, GradePlan

_MIRRORED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}

Short = Callable[[Values], Fraction | None]  # the points a score line is short (0 when met)


@attrs.frozen
class Requirement:
    """One `且` part of a level's condition: what it compares, what it asks, how to test it."""

    condition: str  # the level's condition as written
    value: str  # what is compared, as written
    needed: str  # what is asked of it
    kind: str  # "score" | "fact"
    test: Compiled = attrs.field(eq=False, repr=False)
    read: Compiled | None = attrs.field(eq=False, repr=False)  # the value compared; None: the whole part
    percent: bool = False  # compared with a percentage: shown as one
    short: Short | None = attrs.field(default=None, eq=False, repr=False)  # a score line's distance
    picks: str | None = None  # the choice fact it compares with a value (`F = v`, `F 属于 […]`)

    def holds(self, values: Values) -> bool:
        try:
            return bool(self.test(values))
        except DivisionByZero:  # a divisor that fixes brought to 0: not met
            return False

    def points_short(self, values: Values) -> Fraction | None:
        return self.short(values) if self.short is not None else None

    def need(self, values: Values) -> Need:
        """What the result lacks here now (it does not hold)."""
        current = "不成立" if self.read is None else (show_percent if self.percent else show_value)(self.read(values))
        points = self.points_short(values)
        return Need(self.condition, self.value, current, self.needed, None if points is None else exact(points),
                    self.kind)


@attrs.frozen
class Target:
    """A level to advise, with the score line and conditions that reach it."""

    level: str
    bound: Fraction | None
    conditions: tuple[Condition, ...]


def next_target(rubric: CheckedRubric, plan: GradePlan, index: int, values: Values) -> tuple[Target | None, str | None]:
    """The nearest level above `index` (best first) open to the result, and the fact that picks
    the level when the scheme has one (what was applied for; levels it rules out are passed over)."""
    picking = _picking_facts(rubric, plan)
    for above in range(index - 1, -1, -1):
        open_ = [t for t in _targets(plan, above) if not _ruled_out(rubric, t.conditions, picking, values)]
        if open_:
            return open_[-1], _chosen_by(picking)  # the lowest base level of a derived one: the easiest
    return None, _chosen_by(picking)


def _chosen_by(picking: frozenset[str]) -> str | None:
    return min(picking) if picking else None  # one in practice; the least name when a scheme has more


def _targets(plan: GradePlan, index: int) -> list[Target]:
    """The ways to reach level `index`: its band, or for a derived scheme each base level mapped to it."""
    if plan.base is None:
        band = plan.bands[index]
        return [Target(band.name, band.points, band.conditions)]
    return [Target(plan.names[index], t.bound, t.conditions)
            for base_index, mapped in enumerate(plan.mapping) if mapped == index
            for t in _targets(plan.base, base_index)]


def _root(plan: GradePlan) -> GradePlan:
    return plan if plan.base is None else _root(plan.base)


def _picking_facts(rubric: CheckedRubric, plan: GradePlan) -> frozenset[str]:
    """The choice facts that pick a level: compared with a value in two or more levels' conditions."""
    root = _root(plan)

    def find() -> frozenset[str]:
        levels: dict[str, set[str]] = {}
        for band in root.bands:
            for r in requirements(rubric, band.conditions):
                if r.picks is not None:
                    levels.setdefault(r.picks, set()).add(band.name)
        return frozenset(fact for fact, names in levels.items() if len(names) >= 2)
    return rubric.compiled.get((_picking_facts, root.scheme), find)


def _ruled_out(rubric: CheckedRubric, conditions: tuple[Condition, ...], picking: frozenset[str],
               values: Values) -> bool:
    """A level whose comparison of a picking fact fails (another level was applied for)."""
    return bool(picking) and any(r.picks in picking and not r.holds(values)
                                 for r in requirements(rubric, conditions))


def conjuncts(expr: ast.Expr) -> Iterator[ast.Expr]:
    """The parts of `A 且 B 且 …`, nested `且` flattened; any other expression is one part."""
    if isinstance(expr, ast.And):
        for operand in expr.operands:
            yield from conjuncts(operand)
    else:
        yield expr


def requirements(rubric: CheckedRubric, conditions: tuple[Condition, ...]) -> tuple[Requirement, ...]:
    """The conditions' `且` parts as requirements, in the order written (built once per rubric)."""
    return rubric.compiled.get((requirements, conditions), lambda: _Splitter(rubric).split(conditions))


def _compiler(rubric: CheckedRubric) -> ExprCompiler:
    return rubric.compiled.get((_compiler, None), lambda: ExprCompiler({*rubric.facts, *rubric.lets}))


class _Splitter:
    """Turns a condition's parts into requirements against one rubric's names and texts."""

    def __init__(self, rubric: CheckedRubric) -> None:
        self.rubric = rubric
        self.compiler = _compiler(rubric)
        self.texts = SourceTexts(scheme_sources(rubric))
        self.grid_step = rubric.precision
        self.score_lets = score_lets(rubric)

    def split(self, conditions: tuple[Condition, ...]) -> tuple[Requirement, ...]:
        return tuple(self.part(c.text, part) for c in conditions for part in conjuncts(c.expr))

    def part(self, condition: str, expr: ast.Expr) -> Requirement:
        kind = "score" if self.reads_scores(expr) else "fact"
        test = self.compiler.compile(expr)
        if isinstance(expr, ast.Compare):
            compared = self.compared(expr)
            if compared is not None:
                value, op, constant = compared
                percent = isinstance(constant, ast.Percent)
                needed = f"{op} {self.constant(constant)}"
                short = self.line(value, op, constant) if kind == "score" else None
                return Requirement(condition, self.text(value), needed, kind, test, self.compiler.compile(value),
                                   percent, short, self.choice_fact(value) if op == "=" else None)
        if isinstance(expr, ast.NameRef):
            return Requirement(condition, expr.name, "是", kind, test, self.compiler.compile(expr))
        if isinstance(expr, ast.Not) and isinstance(expr.operand, ast.NameRef):
            return Requirement(condition, expr.operand.name, "否", kind, test, self.compiler.compile(expr.operand))
        if isinstance(expr, ast.InList) and not self.reads(expr.options) and self.reads((expr.operand,)):
            options = ", ".join(self.constant(o) for o in expr.options)
            return Requirement(condition, self.text(expr.operand), f"属于 [{options}]", kind, test,
                               self.compiler.compile(expr.operand), picks=self.choice_fact(expr.operand))
        return Requirement(condition, self.text(expr), "成立", kind, test, None)

    def compared(self, expr: ast.Compare) -> tuple[ast.Expr, str, ast.Expr] | None:
        """(value, operator, constant) with the value on the left; None unless one side is constant."""
        left, right = self.reads((expr.left,)), self.reads((expr.right,))
        if left and not right:
            return expr.left, expr.op, expr.right
        if right and not left:
            return expr.right, _MIRRORED[expr.op], expr.left
        return None

    def line(self, value: ast.Expr, op: str, constant: ast.Expr) -> Short | None:
        """The distance to a score line (`>=` / `>` a number), in points of that score."""
        least = self.compiler.compile(constant)({})
        if op not in (">=", ">") or isinstance(least, (bool, str)):
            return None
        if isinstance(value, ast.ScoreRef) and value.part == "rate":
            return self.rate_line(value.name, Fraction(least), op == ">")
        if self.sums_scores(value):
            read, step = self.compiler.compile(value), self.grid_step
            target = _on_grid(Fraction(least), step, op == ">")
            return lambda values: max(target - Fraction(_number(read(values))), Fraction(0))
        return None

    def rate_line(self, name: str, rate: Fraction, strict: bool) -> Short:
        """`@组.得分率 >= r`: the group's score must reach r × its applicable maximum."""
        rate_key, max_key = f"@{name}.{ast.GROUP_PARTS['rate']}", f"@{name}.{ast.GROUP_PARTS['max']}"
        step = self.grid_step

        def short(values: Values) -> Fraction | None:
            maximum = Fraction(_number(values[max_key]))
            if not maximum:
                return None  # nothing in it applies: its rate is 100% and no points change it
            score = Fraction(_number(values[rate_key])) * maximum
            return max(_on_grid(rate * maximum, step, strict) - score, Fraction(0))
        return short

    def sums_scores(self, expr: ast.Expr) -> bool:
        """A score, the total, or scores added up (directly or through a 令 that adds them)."""
        if isinstance(expr, ast.ScoreRef):
            return expr.part is None
        if isinstance(expr, ast.TotalRef):
            return True
        if isinstance(expr, ast.Binary):
            return expr.op == "+" and self.sums_scores(expr.left) and self.sums_scores(expr.right)
        if isinstance(expr, ast.NameRef) and expr.name in self.score_lets:
            return self.sums_scores(self.rubric.lets[expr.name].expr)
        return False

    def choice_fact(self, expr: ast.Expr) -> str | None:
        """The name of a choice fact (选项) read bare; None for anything else."""
        fact = self.rubric.facts.get(expr.name) if isinstance(expr, ast.NameRef) else None
        return fact.name if fact is not None and fact.type.choices else None

    def reads(self, exprs: tuple[ast.Expr, ...]) -> bool:
        return any(self.compiler.reads(e) for e in exprs)

    def reads_scores(self, expr: ast.Expr) -> bool:
        return any(not isinstance(r, ast.NameRef) or r.name in self.score_lets for r in self.compiler.reads(expr))

    def text(self, expr: ast.Expr) -> str:
        return self.texts.text(expr.span)

    def constant(self, expr: ast.Expr) -> str:
        value = self.compiler.compile(expr)({})
        return show_percent(value) if isinstance(expr, ast.Percent) else show_value(value)


def _on_grid(least: Fraction, step: Fraction, strict: bool) -> Fraction:
    """The least grid value at or above `least` (strictly above it when `strict`)."""
    units = math.floor(least / step) + 1 if strict else math.ceil(least / step)
    return units * step


def _number(value: Value) -> Exact:
    if isinstance(value, (bool, str)):
        raise TypeError(f"a score was expected, not {value!r}")
    return value


def score_lets(rubric: CheckedRubric) -> frozenset[str]:
    """The 令 that read a score, the total or 未达标类型数, directly or through another 令."""
    def find() -> frozenset[str]:
        graph = evaluator_for(rubric).graph
        found: set[str] = set()
        for node in graph.of_kind("let"):  # in dependency order: a 令's inputs come first
            inputs = [graph.get(i) for i in node.inputs]
            if any(n is not None and (n.kind not in ("fact", "let") or n.kind == "let" and n.name in found)
                   for n in inputs):
                found.add(node.name)
        return frozenset(found)
    return rubric.compiled.get((score_lets, None), find)
