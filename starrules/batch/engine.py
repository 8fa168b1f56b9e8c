"""The batch engine: the evaluation graph run once per node over a chunk of rows, as numpy
operations on exact grid units (`vector.py`), with no Python per branch.

It reads only what the scalar fast path reads inline: true/false, whole counts, listed
choices, ints and floats (a float means the decimal it prints as) and 分档 names; Decimals,
是/否 and other objects are read one by one with the scalar reader's own functions. Any row
it cannot settle exactly — unusual evidence, a missing value, a division by zero, a number
too large for int64 — is marked slow and scored by the scalar evaluator (the reference),
which also gives its messages. The meaning of each step is the evaluator's (evaluator.py);
the property tests hold the two together.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..lang import ast
from ..io.columns import Chunk, Column
from ..plan.evidence import read_bool
from ..eval.fastpath import Slow, read_entry
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, value_key
from ..core.limits import too_many_digits
from ..core.numbers import exact_number
from .vector import LIMIT, Flags, Ints, Lanes, Q, add, column, compare, divide, floor, half_up, multiply, where

if TYPE_CHECKING:
    from ..eval.evaluator import Evaluator
    from ..plan.scoring import ItemPlan, SectionPlan


@attrs.frozen(eq=False)
class Choice:
    """A column of choice values: indexes into `names`."""

    codes: Ints
    names: tuple[str, ...]


Vec = Q | Flags | bool | Choice | str  # str: a choice value written in the rubric
_COMPARE: dict[str, Callable[[Any, Any], Flags]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                    ">=": operator.ge, "=": operator.eq, "!=": operator.ne}
_DIGITS = 8  # decimal places a float may carry and still be read here


@attrs.frozen(eq=False)
class Scores:
    """One chunk's scores in grid units, in the evaluator's orders; `slow` rows hold placeholders."""

    slow: Flags
    total: Ints
    regular_max: Ints
    vetoes: list[Flags]
    items: Ints  # [item, row]
    left_out: Flags  # [item, row]
    sections: Ints  # [section, row]
    values: dict[str, Vec]  # facts, derived values and scores by value key, for grading


class ColumnEngine:
    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self.fits = _plan_fits(ev)

    def run(self, chunk: Chunk) -> Scores:
        if not self.fits:  # every row to the scalar evaluator
            return _handed_back(self.ev, chunk.size)
        return _Run(self.ev, chunk).scores()


def _plan_fits(ev: Evaluator) -> bool:
    """Whether the rubric's points, in grid units, leave the lanes room for their sums (they
    add up to under LIMIT / 4, so base − deductions + awards stays in int64); only an absurdly
    fine 精度 (0.000…1 with a dozen places and more) fails this."""
    units = [ev.regular_sum.scale, ev.regular_sum.target or 0, ev.grid.step.numerator, ev.grid.step.denominator]
    for plan in ev.item_plans.values():
        units.append(plan.max)
        units.extend(rule.units for rule in (*plan.deduct, *plan.award, plan.base, plan.max_deduct) if rule is not None)
    for section in ev.sections:
        units.extend((section.points, section.pass_line or 0))
    spec = ev.evidence_spec
    units.extend(u for low_high in spec.unit_ranges.values() for u in low_high)
    units.extend(u for levels in spec.levels.values() for u in levels.values())
    return sum(abs(u) for u in units) < LIMIT // 4


def _handed_back(ev: Evaluator, size: int) -> Scores:
    """Scores for a chunk whose every row the scalar evaluator scores: placeholders only."""
    items, sections = len(ev.item_plans), len(ev.sections)
    zeros = np.zeros(size, dtype=np.int64)
    return Scores(np.ones(size, dtype=np.bool_), zeros, zeros.copy(), [], np.zeros((items, size), dtype=np.int64),
                  np.zeros((items, size), dtype=np.bool_), np.zeros((sections, size), dtype=np.int64), {})


class _Run:
    def __init__(self, ev: Evaluator, chunk: Chunk) -> None:
        self.ev, self.chunk, self.size = ev, chunk, chunk.size
        self.lanes = Lanes(chunk.size)
        self.lanes.give_up(chunk.scalar)
        self.values: dict[str, Vec] = {}
        self.judged: dict[str, tuple[Ints, Flags]] = {}
        self.units: dict[str, Ints] = {}
        self.left_out: dict[str, Flags] = {}
        self.maxima: dict[str, Ints] = {}
        self.vetoes: list[Flags] = []
        # item and section scores are written straight into the result's [column, row] arrays
        self.item_grid = np.zeros((len(ev.item_plans), chunk.size), dtype=np.int64)
        self.left_grid = np.zeros((len(ev.item_plans), chunk.size), dtype=np.bool_)
        self.section_grid = np.zeros((len(ev.sections), chunk.size), dtype=np.int64)
        self.item_row = {item: k for k, item in enumerate(ev.item_plans)}
        self.section_row = {plan.id: k for k, plan in enumerate(ev.sections)}

    def scores(self) -> Scores:
        ev = self.ev
        for name, fact in ev.facts.items():
            self.values[name] = self.fact(name, fact)
        for name in ev.evidence_spec.judged:
            self.judged[name] = self.judgement(name)
        rules = iter(ev.vetoes)
        for node in ev.graph.nodes:
            if node.kind == "let":
                assert isinstance(node.payload, ast.Let)
                self.values[node.name] = self.expr(node.payload.expr)
            elif node.kind == "item":
                self.item(ev.item_plans[node.id])
            elif node.kind in ("section", "bonus", "penalty"):
                self.section(ev.sections[self.section_row[node.id]])
            elif node.kind == "below_pass":
                failing = [self.units[p.id] < p.pass_line for p in ev.regular if p.pass_line is not None]
                self.values[BELOW_PASS_KEY] = Q(column(sum(f.astype(np.int64) for f in failing), self.size))
            elif node.kind == "regular":
                self.regular()
            elif node.kind == "total":
                self.total()
            elif node.kind == "veto":
                rule = next(rules)
                assert rule.source is not None
                self.vetoes.append(self.flags(self.expr(rule.source)))
        return Scores(self.lanes.slow, self.units["total"], self.units["regular_max"], self.vetoes,
                      self.item_grid, self.left_grid, self.section_grid, self.values)

    # evidence
    def column(self, name: str) -> Column:
        """The key's column; a key no row gives is a column of absent values."""
        return self.chunk.columns.get(name) or Column.absent(self.size)

    def fact(self, name: str, fact: ast.Fact) -> Vec:
        col = self.column(name)
        kind = fact.type.kind
        default = self.ev.evidence_spec.defaults.get(name)
        if default is None and not col.complete:
            self.lanes.give_up(~col.present)
        value: Vec
        if kind == "bool":
            value = self.read(col, "bool", read_bool)
            return value if col.complete else np.where(col.present, value, bool(default))
        if kind == "choice":
            names = tuple(fact.type.choices)
            index = {n: i for i, n in enumerate(names)}
            codes = self.read(col, None, lambda v: index.get(v) if type(v) is str else None)
            return Choice(codes if col.complete else np.where(col.present, codes, index.get(str(default), 0)), names)
        value = self.number(col)
        if kind == "count":  # whole ints only, as the fast path reads them
            self.lanes.give_up(col.present & (value.num < 0) if col.kind == "int" else col.present)
        elif kind == "ratio":
            self.lanes.give_up(col.present & ((value.num < 0) | (value.num > value.den)))
        if col.complete:
            return value
        return where(col.present, value, self.lanes.constant(Fraction(default) if default is not None else 0))

    def read(self, col: Column, native: str | None, convert: Callable[[Any], Any]) -> np.ndarray[Any, Any]:
        """Values of a bool or choice column; rows given in some other form give up."""
        if col.kind == native:
            return col.values
        out: np.ndarray[Any, Any] = np.zeros(self.size, dtype=np.bool_ if native == "bool" else np.int64)
        ok = np.zeros(self.size, dtype=np.bool_)
        if col.kind == "object":
            for i in np.flatnonzero(col.present):
                value = convert(col.values[i])
                if value is not None:
                    out[i], ok[i] = value, True
        self.lanes.give_up(col.present & ~ok)
        return out

    def number(self, col: Column) -> Q:
        """Exact numbers of a column; rows that are not plain numbers give up."""
        if col.kind == "int":
            return Q(self.lanes.fit(np.asarray(col.values, dtype=np.int64)))
        if col.kind == "float":
            return self.decimals(col)
        num = np.zeros(self.size, dtype=np.int64)
        den = np.ones(self.size, dtype=np.int64)
        bad = col.present.copy()
        if col.kind == "object":
            limits = self.ev.limits
            for i in np.flatnonzero(col.present):
                raw = col.values[i]
                value = None if too_many_digits(raw, limits) else exact_number(raw)
                if value is not None:
                    value = Fraction(value)
                    if abs(value.numerator) < LIMIT and value.denominator < LIMIT:
                        num[i], den[i], bad[i] = value.numerator, value.denominator, False
        self.lanes.give_up(bad)
        return Q(num, den)

    def decimals(self, col: Column) -> Q:
        """Floats as the decimals they print as (repr's shortest text), to `_DIGITS` places.

        n / 10**k is that decimal when it is the only k-place decimal rounding to the float,
        which holds while the float's spacing is below 10**-k (|x| < 2**52 / 10**k)."""
        values = np.where(col.present, col.values, 0.0)
        places = np.full(self.size, -1, dtype=np.int64)
        numerators = np.zeros(self.size, dtype=np.int64)
        magnitude = np.abs(values)  # NaN and infinities are below no bound: never open
        for k in range(_DIGITS + 1):
            open_rows = (places < 0) & (magnitude < 2.0**52 / 10**k)
            if not open_rows.any():
                break
            scale = 10.0**k
            guess = np.rint(np.where(open_rows, values, 0.0) * scale)  # below 2**52: no overflow
            exact = open_rows & (guess / scale == values)
            places[exact] = k
            numerators[exact] = guess[exact].astype(np.int64)
        self.lanes.give_up(col.present & (places < 0))
        top = int(places.max(initial=0))
        scaled = self.lanes.product(numerators, np.int64(10) ** (top - np.maximum(places, 0)))
        return Q(column(scaled, self.size), 10**top)

    def judgement(self, name: str) -> tuple[Ints, Flags]:
        """A 酌情 or 分档 score in grid units, and where it was given."""
        spec = self.ev.evidence_spec
        col = self.column(name)
        if name in spec.required_judged:
            self.lanes.give_up(~col.present)
        if col.kind == "object":
            col = self.scores_of_entries(col)
        if name in spec.levels:
            levels = spec.levels[name]
            units = self.read(col, None, lambda v: levels.get(v) if type(v) is str else None)
            return units, col.present
        grid = self.ev.grid
        low, high = spec.unit_ranges[name]
        if col.kind == "float" and grid.short_step:  # as the fast path reads a float score (Grid.short_step)
            step_num, step_den = grid.step.numerator, grid.step.denominator
            values = col.values
            small = np.abs(values) < 1e9  # (not NaN nor infinite) and far from overflowing below
            guess = np.rint(np.where(small, values, 0.0) * step_den / step_num)
            ok = small & (guess * step_num / step_den == values) & (guess >= low) & (guess <= high)
            self.lanes.give_up(col.present & ~ok)
            return np.where(col.present & ok, guess, 0).astype(np.int64), col.present
        q = self.number(col)
        scaled = multiply(self.lanes, q, self.lanes.constant(1 / grid.step))
        num, den = column(scaled.num, self.size), column(scaled.den, self.size)
        units = np.floor_divide(num, den)
        self.lanes.give_up(col.present & ((num % den != 0) | (units < low) | (units > high)))
        return np.where(col.present, units, 0), col.present

    def scores_of_entries(self, col: Column) -> Column:
        """`{"得分": 3, "理由": …}` entries as their scores (the reason and rater are for traces,
        which the scalar evaluator makes on demand); a malformed entry gives up its row."""
        values = col.values.copy()
        for i in np.flatnonzero(col.present):
            if type(values[i]) is dict:
                try:
                    values[i] = read_entry(values[i])[0]
                except Slow:
                    values[i] = None
        return Column("object", values, col.present)

    # scores
    def item(self, plan: ItemPlan) -> None:
        k = self.item_row[plan.id]
        out = self.left_grid[k]
        for rule in plan.not_applicable:
            assert rule.source is not None
            out |= self.flags(self.expr(rule.source))
        if plan.score_is is not None and plan.score_is.source is not None:
            value = self.number_of(self.expr(plan.score_is.source))
            score = half_up(divide(self.lanes, value, self.lanes.constant(self.ev.grid.step)))
            score = np.minimum(np.maximum(score, 0), plan.max)
        else:
            score = self.clauses(plan, out)
        self.item_grid[k] = score
        score = self.item_grid[k]
        for rule in plan.zero:
            assert rule.source is not None
            np.putmask(score, self.flags(self.expr(rule.source)), 0)
        if plan.not_applicable:
            np.putmask(score, out, 0)
        self.units[plan.id], self.left_out[plan.id] = score, out
        if f"@{plan.name}" in self.ev.referenced:
            self.values[f"@{plan.name}"] = self.points(score)

    def clauses(self, plan: ItemPlan, out: Flags) -> Ints:
        lanes, size = self.lanes, self.size
        deducted: Ints | int = 0
        for rule in plan.deduct:
            assert rule.source is not None
            value = self.expr(rule.source)
            if isinstance(rule.clause, ast.DeductIf):  # a few fixed amounts cannot leave int64
                amount = np.where(self.flags(value), rule.units, 0)
                deducted = amount if isinstance(deducted, int) else deducted + amount
                continue
            q = self.number_of(value)
            count = q if rule.step is None else floor(divide(lanes, q, lanes.constant(rule.step)))
            amount = half_up(multiply(lanes, lanes.constant(rule.units), count))
            deducted = lanes.fit(deducted + np.where(compare(lanes, q, Q(0), operator.gt), amount, 0))
        deducted = column(deducted, size)
        if plan.max_deduct is not None:
            deducted = np.minimum(deducted, plan.max_deduct.units)
        base = column(self.base(plan, out), size)
        score = base + deducted if plan.kind == "penalty" else base - deducted
        for rule in plan.award:
            assert rule.source is not None
            score = score + np.where(self.flags(self.expr(rule.source)), rule.units, 0)
        score = np.minimum(score, plan.max)
        if not plan.negative:
            kept: Ints = np.maximum(score, 0)  # annotated: numpy gives a ufunc's result as Any
            return kept
        # a section adds its items up: each stays above -LIMIT / (number of items), so no sum wraps
        below = score <= -(LIMIT // len(self.ev.item_plans))
        lanes.give_up(below)
        return np.where(below, 0, score)

    def base(self, plan: ItemPlan, out: Flags) -> Ints | int:
        if plan.kind != "regular":
            return 0
        if plan.base is None:
            return plan.max
        if isinstance(plan.base.clause, ast.Start):
            return plan.base.units
        units, given = self.judged[plan.name]
        self.lanes.give_up(~given & ~out)  # applicable, yet left blank: the reference reports it
        return units

    def section(self, plan: SectionPlan) -> None:
        size = self.size
        rows = [self.item_row[i] for i in plan.items]
        if rows and rows == list(range(rows[0], rows[-1] + 1)):  # one slice: summed in one pass
            score = self.item_grid[rows[0]:rows[-1] + 1].sum(axis=0)
        else:
            score = sum((self.units[i] for i in plan.items), np.zeros(size, dtype=np.int64))
        k = self.section_row[plan.id]
        np.minimum(np.maximum(score, 0), plan.points, out=self.section_grid[k])
        self.units[plan.id] = self.section_grid[k]
        maximum = column(plan.points, size)
        optional = [i for i in plan.items if self.ev.item_plans[i].not_applicable]
        if plan.kind == "regular" and optional:
            left_out = sum(np.where(self.left_out[i], plan.item_max[i], 0) for i in optional)
            maximum = np.maximum(maximum - left_out, 0)
        self.maxima[plan.id] = maximum
        if f"@{plan.name}" in self.ev.referenced:
            self.values[f"@{plan.name}"] = self.points(self.units[plan.id])

    def regular(self) -> None:
        """`RegularSum.combine` for every row."""
        lanes, rs, size = self.lanes, self.ev.regular_sum, self.size
        scores = [self.units[p.id] for p in self.ev.regular]
        maxima = [self.maxima[p.id] for p in self.ev.regular]
        zero = np.zeros(size, dtype=np.int64)
        if rs.weights is not None:
            def weighted(units: list[Ints]) -> Q:
                total = Q(zero)
                for u, p, w in zip(units, rs.points, rs.weights or []):
                    if p:
                        total = add(lanes, total, multiply(lanes, Q(u), lanes.constant(Fraction(rs.scale, p) * (w or 0))))
                return total
            score, maximum = weighted(scores), weighted(maxima)
        else:
            score, maximum = Q(sum(scores, zero)), Q(sum(maxima, zero))
        if rs.target is not None:
            empty = column(maximum.num, size) == 0
            divisor = where(empty, Q(1), maximum)
            score = where(empty, Q(0), divide(lanes, multiply(lanes, score, lanes.constant(rs.target)), divisor))
            maximum = lanes.constant(rs.target)
        self.units["regular_score"] = column(half_up(score), size)
        self.units["regular_max"] = column(half_up(maximum), size)

    def total(self) -> None:
        total = self.units["regular_score"]
        for plan in self.ev.sections:
            if plan.kind == "bonus":
                total = total + self.units[plan.id]
            elif plan.kind == "penalty":
                total = total - self.units[plan.id]
        self.units["total"] = np.maximum(total, 0)
        self.values[TOTAL_KEY] = self.points(self.units["total"])

    def points(self, units: Ints) -> Q:
        step = self.ev.grid.step
        return Q(self.lanes.product(units, step.numerator), step.denominator)

    # expressions: the meaning of expressions.ExprCompiler, a column at a time
    def flags(self, value: Vec) -> Flags:
        if isinstance(value, np.ndarray) and value.dtype == np.bool_ and value.shape == (self.size,):
            return value
        return np.broadcast_to(np.asarray(value, dtype=np.bool_), (self.size,))

    def number_of(self, value: Vec) -> Q:
        assert isinstance(value, Q)
        return value

    def expr(self, e: ast.Expr) -> Vec:
        lanes = self.lanes
        if isinstance(e, (ast.Number, ast.Percent)):
            return lanes.constant(e.value)
        if isinstance(e, ast.Bool):
            return e.value
        if isinstance(e, ast.NameRef):
            return self.values.get(e.name, e.name)
        if isinstance(e, (ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)):
            return self.values[value_key(e)]
        if isinstance(e, ast.Negate):
            operand = self.number_of(self.expr(e.operand))
            return Q(-operand.num, operand.den)
        if isinstance(e, ast.Binary):
            left, right = self.number_of(self.expr(e.left)), self.number_of(self.expr(e.right))
            if e.op == "/":
                return divide(lanes, left, right)
            return multiply(lanes, left, right) if e.op == "*" else add(lanes, left, right, 1 if e.op == "+" else -1)
        if isinstance(e, ast.Compare):
            return self.compare(self.expr(e.left), self.expr(e.right), e.op)
        if isinstance(e, ast.InList):
            member = self.expr(e.operand)
            return _reduce(np.logical_or, [self.flags(self.compare(member, self.expr(o), "=")) for o in e.options])
        if isinstance(e, ast.Not):
            negated: Flags = np.logical_not(self.flags(self.expr(e.operand)))  # annotated: a ufunc's result is Any
            return negated
        if isinstance(e, (ast.And, ast.Or)):
            combine = np.logical_and if isinstance(e, ast.And) else np.logical_or
            return _reduce(combine, [self.flags(self.expr(o)) for o in e.operands])
        if isinstance(e, ast.IfElse):
            return self.choose(self.flags(self.expr(e.condition)), self.expr(e.then), self.expr(e.otherwise))
        if isinstance(e, ast.Call):
            args = [self.number_of(self.expr(a)) for a in e.args]
            if e.function == "floor":
                return floor(args[0])
            op = operator.lt if e.function == "min" else operator.gt
            best = args[0]
            for other in args[1:]:
                best = where(compare(lanes, other, best, op), other, best)
            return best
        assert isinstance(e, ast.ListCall)
        items = [self.flags(self.expr(i)) for i in e.items]
        if e.function == "count_true":
            return Q(sum((i.astype(np.int64) for i in items), np.zeros(self.size, dtype=np.int64)))
        if e.function == "count_false":
            return Q(sum(((~i).astype(np.int64) for i in items), np.zeros(self.size, dtype=np.int64)))
        return _reduce(np.logical_or if e.function == "any" else np.logical_and, items)

    def compare(self, left: Vec, right: Vec, op: str) -> Flags:
        if isinstance(left, Q) and isinstance(right, Q):
            return compare(self.lanes, left, right, _COMPARE[op])
        if isinstance(left, (Choice, str)) or isinstance(right, (Choice, str)):
            a, b = _unified(self.choice(left), self.choice(right))
            return _COMPARE[op](a.codes, b.codes)
        return _COMPARE[op](self.flags(left), self.flags(right))

    def choice(self, value: Vec) -> Choice:
        if isinstance(value, Choice):
            return value
        assert isinstance(value, str)
        return Choice(np.zeros(self.size, dtype=np.int64), (value,))

    def choose(self, condition: Flags, then: Vec, otherwise: Vec) -> Vec:
        if isinstance(then, Q) and isinstance(otherwise, Q):
            return where(condition, then, otherwise)
        if isinstance(then, (Choice, str)):
            a, b = _unified(self.choice(then), self.choice(otherwise))
            return Choice(np.where(condition, a.codes, b.codes), a.names)
        return np.where(condition, self.flags(then), self.flags(otherwise))


def _unified(a: Choice, b: Choice) -> tuple[Choice, Choice]:
    """Two choice columns over one list of names, so codes compare as the names do."""
    if a.names == b.names:
        return a, b
    names = tuple(dict.fromkeys((*a.names, *b.names)))
    index = {n: i for i, n in enumerate(names)}
    return (Choice(np.array([index[n] for n in a.names], dtype=np.int64)[a.codes], names),
            Choice(np.array([index[n] for n in b.names], dtype=np.int64)[b.codes], names))


def _reduce(combine: np.ufunc, flags: list[Flags]) -> Flags:
    """`combine` (logical and, or) across the columns, row by row; typed here, as numpy gives a
    ufunc's result as Any."""
    combined: Flags = combine.reduce(flags)
    return combined
