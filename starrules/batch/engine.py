"""The batch engine: the scoring plan (plan/scoring.py) run once per step over a chunk of rows,
as numpy operations on exact grid units (`vector.py`), with no Python per branch.

It reads evidence by the acceptance table (plan/acceptance.py): typed columns of the classes the
table names are read natively, object columns value by value with the table's functions (each
distinct text once). Any row it cannot settle exactly — unusual evidence, a missing value, a
division by zero, a number too large for the int64 lanes — is marked slow and scored by the
scalar evaluator (the reference), which also gives its messages. The meaning of each step is
the reference's (eval/evaluator.py); the property tests hold the two together.
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
from ..plan.acceptance import (ENTRY, FACTS, GRADES, JUDGED, FactRule, JudgedRule, int_bound, int_range, settle,
                               settle_level, settle_score, split_entry)
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY
from .vector import LIMIT, Flags, Ints, Lanes, Q, add, column, compare, divide, floor, half_up, multiply, where
from .vector_exprs import Choice, Vec, VectorExprs

if TYPE_CHECKING:
    from ..eval.evaluator import Evaluator
    from ..plan.scoring import ItemPlan, SectionPlan


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
        self.exprs = VectorExprs(self.lanes, self.values, chunk.size)  # reads the values as they are filled
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
                self.values[node.name] = self.exprs.expr(node.payload.expr)
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
                self.vetoes.append(self.exprs.flags(self.exprs.expr(rule.source)))
        return Scores(self.lanes.slow, self.units["total"], self.units["regular_max"], self.vetoes,
                      self.item_grid, self.left_grid, self.section_grid, self.values)

    # evidence
    def column(self, name: str) -> Column:
        """The key's column; a key no row gives is a column of absent values."""
        return self.chunk.columns.get(name) or Column.absent(self.size)

    def fact(self, name: str, fact: ast.Fact) -> Vec:
        """A fact's column, read as its kind's rule in the acceptance table says (plan/acceptance.py)."""
        col = self.column(name)
        rule = FACTS[fact.type.kind]
        limits = self.ev.limits
        default = self.ev.evidence_spec.defaults.get(name)
        if default is None and not col.complete:
            self.lanes.give_up(~col.present)
        value: Vec
        if rule.final is bool:
            value = self.read(col, rule, lambda v: settle(rule, v, limits))
            return value if col.complete else np.where(col.present, value, bool(default))
        if rule.listed:
            names = tuple(fact.type.choices)
            index = {n: i for i, n in enumerate(names)}
            codes = self.read(col, rule, lambda v: None if settle(rule, v, limits, names) is None else index[v])
            return Choice(codes if col.complete else np.where(col.present, codes, index.get(str(default), 0)), names)
        value = self.number(col, rule)
        if col.complete:
            return value
        return where(col.present, value, self.lanes.constant(Fraction(default) if default is not None else 0))

    def read(self, col: Column, rule: FactRule | JudgedRule, convert: Callable[[Any], Any]) -> np.ndarray[Any, Any]:
        """Values of a bool, choice, 分档 or 酌情 column: a typed bool column as it is when the rule
        takes bools, an object column value by value through `convert` (the table's `settle…`,
        once for each distinct text); rows not settled so give up."""
        flags = rule.final is bool
        if col.kind == "bool" and rule.takes(bool):
            return col.values
        out: np.ndarray[Any, Any] = np.zeros(self.size, dtype=np.bool_ if flags else np.int64)
        ok = np.zeros(self.size, dtype=np.bool_)
        if col.kind == "object":
            texts: dict[str, Any] = {}  # (text only: equal Decimals may differ in their digits)
            for i in np.flatnonzero(col.present):
                raw = col.values[i]
                if type(raw) is str:
                    value = texts[raw] if raw in texts else texts.setdefault(raw, convert(raw))
                else:
                    value = convert(raw)
                if value is not None:
                    out[i], ok[i] = value, True
        self.lanes.give_up(col.present & ~ok)
        return out

    def number(self, col: Column, rule: FactRule | None = None) -> Q:
        """Exact numbers of a column as `rule` (a fact kind) reads them: a typed int or float
        column when the rule takes ints or floats — ints within its `int_range`, floats within its
        range (`whole`, `low`, `high`) — and an object column value by value (`settle`). Rows it
        does not settle, or the lanes cannot hold, give up. Without a rule: a 酌情 score's int or
        float column (ints within ±`int_bound`), whose grid and range the caller checks."""
        limits, size = self.ev.limits, self.size
        kind = {"int": int, "float": float}.get(col.kind)
        if kind is not None and (rule is None or rule.takes(kind)):
            if kind is int:
                top = int_bound(limits) - 1
                low, high = (-top, top) if rule is None else int_range(rule, limits) or (-top, top)
                values = np.asarray(col.values, dtype=np.int64)
                beyond = col.present & ((values < low) | (values > high))
                self.lanes.give_up(beyond)
                return Q(np.where(beyond, 0, values))
            value = self.decimals(col)
            if rule is not None:
                lanes, bad = self.lanes, np.zeros(size, dtype=np.bool_)
                if rule.whole:
                    bad |= column(value.num, size) % column(value.den, size) != 0
                if rule.low is not None:
                    bad |= compare(lanes, value, lanes.constant(rule.low), operator.lt)
                if rule.high is not None:
                    bad |= compare(lanes, value, lanes.constant(rule.high), operator.gt)
                lanes.give_up(col.present & bad)
            return value
        num = np.zeros(size, dtype=np.int64)
        den = np.ones(size, dtype=np.int64)
        bad = col.present.copy()
        if col.kind == "object" and rule is not None:
            for i in np.flatnonzero(col.present):
                found = settle(rule, col.values[i], limits)
                if isinstance(found, (int, Fraction)) and not isinstance(found, bool):
                    exact = Fraction(found)
                    if abs(exact.numerator) < LIMIT and exact.denominator < LIMIT:
                        num[i], den[i], bad[i] = exact.numerator, exact.denominator, False
        self.lanes.give_up(bad)
        return Q(num, den)

    def decimals(self, col: Column) -> Q:
        """Floats as the decimals they print as (repr's shortest text), to `_DIGITS` places.

        n / 10**k is that decimal when it is the only k-place decimal rounding to the float,
        which holds while the float's spacing is below 10**-k (|x| < 2**52 / 10**k). Such a
        decimal has at most 17 digits written out (16 whole ones and the ".0" of repr, fewer with
        places): under a digit limit (E518) below that, every float goes to the reference."""
        if self.ev.limits.evidence_digits < len(str(2**52)) + 1:
            self.lanes.give_up(col.present)
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
        """A 酌情 or 分档 score in grid units, and where it was given, read as the acceptance
        table's `JUDGED` / `GRADES` say."""
        spec = self.ev.evidence_spec
        col = self.column(name)
        if name in spec.required_judged:
            self.lanes.give_up(~col.present)
        if col.kind == "object":
            col = self.scores_of_entries(col)
        limits = self.ev.limits
        if name in spec.levels:
            levels = spec.levels[name]
            return self.read(col, GRADES, lambda v: settle_level(v, levels)), col.present
        scores = spec.scores[name]
        if col.kind == "object":
            return self.read(col, JUDGED, lambda v: settle_score(v, scores, limits)), col.present
        kind = {"int": int, "float": float}.get(col.kind)
        if kind is None or not JUDGED.takes(kind) or not scores.short:  # a bool column; or digits to count
            self.lanes.give_up(col.present)
            return np.zeros(self.size, dtype=np.int64), col.present
        grid = self.ev.grid
        low, high = scores.low, scores.high
        if kind is float and grid.short_step:  # the float arithmetic of ScoreRange.quick, a column at a time
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
        which the scalar evaluator makes on demand); an entry the quick paths do not read
        (`acceptance.split_entry`: no score, or an unknown field) gives up its row."""
        values = col.values.copy()
        broken = np.zeros(self.size, dtype=np.bool_)
        for i in np.flatnonzero(col.present):
            if type(values[i]) is ENTRY.settled:
                entry = split_entry(values[i])
                values[i], broken[i] = (entry.score, False) if entry.complete else (None, True)
        self.lanes.give_up(broken)
        return Column("object", values, col.present)

    # scores
    def item(self, plan: ItemPlan) -> None:
        k = self.item_row[plan.id]
        out = self.left_grid[k]
        for rule in plan.not_applicable:
            assert rule.source is not None
            out |= self.exprs.flags(self.exprs.expr(rule.source))
        if plan.score_is is not None and plan.score_is.source is not None:
            value = self.exprs.number_of(self.exprs.expr(plan.score_is.source))
            score = half_up(divide(self.lanes, value, self.lanes.constant(self.ev.grid.step)))
            score = np.minimum(np.maximum(score, 0), plan.max)
        else:
            score = self.clauses(plan, out)
        self.item_grid[k] = score
        score = self.item_grid[k]
        for rule in plan.zero:
            assert rule.source is not None
            np.putmask(score, self.exprs.flags(self.exprs.expr(rule.source)), 0)
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
            value = self.exprs.expr(rule.source)
            if isinstance(rule.clause, ast.DeductIf):  # a few fixed amounts cannot leave int64
                amount = np.where(self.exprs.flags(value), rule.units, 0)
                deducted = amount if isinstance(deducted, int) else deducted + amount
                continue
            q = self.exprs.number_of(value)
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
            score = score + np.where(self.exprs.flags(self.exprs.expr(rule.source)), rule.units, 0)
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
