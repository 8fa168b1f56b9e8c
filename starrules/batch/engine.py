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

import functools
import operator
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from ..lang import ast
from ..io.columns import Chunk, Column
from ..plan.acceptance import (ENTRY, FACTS, GRADES, JUDGED, FactRule, JudgedRule, int_bound, int_range, settle,
                               settle_level, settle_score, split_entry)
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY
from ..plan.scoring import (Award, Base, CapDeductions, ChoicePlan, Clamp, ComputeScore, Deduct, ItemPlan, LeaveOut, Op, Rule,
                            SectionPlan, Settle)
from .vector import (LIMIT, Bounds, Flags, Ints, Lanes, Q, add, choose, column, compare, divide, floor, half_up,
                     half_up_bounds, multiply, scan, where)
from .vector_exprs import Choice, Vec, VectorExprs

if TYPE_CHECKING:
    from ..eval.evaluator import Evaluator


_DIGITS = 8  # decimal places a float may carry and still be read here


@attrs.frozen(eq=False)
class Scores:
    """One chunk's scores in grid units, in the evaluator's orders; `slow` rows hold placeholders."""

    slow: Flags
    total: Ints
    regular_max: Ints
    vetoes: list[Flags]
    items: Ints  # [item, row]
    applicable: Flags  # [item, row]: False where the item is 不适用
    sections: Ints  # [section, row]
    values: dict[str, Vec]  # facts, derived values and scores by value key, for grading
    maxima: list[Ints | int] = attrs.Factory(list)  # per section, its applicable maximum (grid units)


@attrs.define(eq=False)
class _ItemState:
    """An item's registers while its program runs: the score `row` (the item grid's row) and
    its bounds, where it is left out, and the deductions so far with their bounds (`mine`:
    `deducted` is an array made here, so it may be changed in place)."""

    row: Ints
    out: Flags
    bounds: Bounds = (0, 0)
    deducted: Ints | int = 0
    deducted_bounds: Bounds = (0, 0)
    mine: bool = False


def _source(rule: Rule) -> ast.Expr:
    assert rule.source is not None
    return rule.source


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
        units.extend(rule.units for rule in plan.rules)
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
                  np.ones((items, size), dtype=np.bool_), np.zeros((sections, size), dtype=np.int64), {})


class _Run:
    def __init__(self, ev: Evaluator, chunk: Chunk) -> None:
        self.ev, self.chunk, self.size = ev, chunk, chunk.size
        self.lanes = Lanes(chunk.size)
        self.lanes.give_up(chunk.scalar)
        self.values: dict[str, Vec] = {}
        self.exprs = VectorExprs(self.lanes, self.values, chunk.size)  # reads the values as they are filled
        self.judged: dict[str, tuple[Ints, Flags, Bounds]] = {}
        self.units: dict[str, Ints] = {}
        self.bounds: dict[str, Bounds] = {}  # of each item's and section's units, on the rows not given up
        self.left_out: dict[str, Flags] = {}
        self.maxima: dict[str, Ints | int] = {}
        self.vetoes: list[Flags] = []
        self.scratch: npt.NDArray[np.float64] | None = None  # a float column reused by float_units
        # item and section scores are written straight into the result's [column, row] arrays
        self.item_grid = np.zeros((len(ev.item_plans), chunk.size), dtype=np.int64)
        self.applicable_grid = np.ones((len(ev.item_plans), chunk.size), dtype=np.bool_)
        # where an item without 不适用 rules is left out: nowhere
        self.none_left_out: Flags = np.zeros(chunk.size, dtype=np.bool_)
        self.none_left_out.flags.writeable = False
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
                self.values[BELOW_PASS_KEY] = Q(column(sum(f.astype(np.int64) for f in failing), self.size), 1,
                                                0, len(failing))
            elif node.kind == "regular":
                self.regular()
            elif node.kind == "total":
                self.total()
            elif node.kind == "veto":
                rule = next(rules)
                assert rule.source is not None
                self.vetoes.append(self.exprs.flags(self.exprs.expr(rule.source)))
        return Scores(self.lanes.slow, self.units["total"], self.units["regular_max"], self.vetoes,
                      self.item_grid, self.applicable_grid, self.section_grid, self.values,
                      [self.maxima[plan.id] for plan in self.ev.sections])

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
            flags = self.read(col, rule, lambda v: settle(rule, v, limits))
            if col.complete:
                return flags
            # a row that leaves the fact out takes its default (or gave up above, when it has none)
            filled: Flags = flags | ~col.present if default else flags & col.present
            return filled
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
                least, most = scan(values)
                if low <= least and most <= high:  # every row in range (rows left out hold 0): as it is
                    return Q(values, 1, least, most)
                beyond = col.present & ((values < low) | (values > high))
                self.lanes.give_up(beyond)
                kept = np.where(beyond, 0, values)
                return Q(kept, 1, *scan(kept))
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
        values = col.values if col.complete else np.where(col.present, col.values, 0.0)
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
        num = column(scaled, self.size)
        return Q(num, 10**top, *scan(num))

    def judgement(self, name: str) -> tuple[Ints, Flags, Bounds]:
        """A 酌情 or 分档 score in grid units, where it was given, and bounds of the units, read
        as the acceptance table's `JUDGED` / `GRADES` say."""
        spec = self.ev.evidence_spec
        col = self.column(name)
        if name in spec.required_judged:
            self.lanes.give_up(~col.present)
        if col.kind == "object":
            col = self.scores_of_entries(col)
        limits = self.ev.limits
        if name in spec.levels:
            levels = spec.levels[name]
            graded = self.read(col, GRADES, lambda v: settle_level(v, levels))
            return graded, col.present, (min([0, *levels.values()]), max([0, *levels.values()]))
        scores = spec.scores[name]
        low, high = scores.low, scores.high
        bounds = (min(low, 0), max(high, 0))  # a score in range, or 0 in a row left out or given up
        if col.kind == "object":
            return self.read(col, JUDGED, lambda v: settle_score(v, scores, limits)), col.present, bounds
        kind = {"int": int, "float": float}.get(col.kind)
        if kind is None or not JUDGED.takes(kind) or not scores.short:  # a bool column; or digits to count
            self.lanes.give_up(col.present)
            return np.zeros(self.size, dtype=np.int64), col.present, (0, 0)
        grid = self.ev.grid
        step_num, step_den = grid.step.numerator, grid.step.denominator
        if kind is float and grid.short_step:
            return self.float_units(col, low, high), col.present, bounds
        if kind is int and step_num == 1:  # a whole number of points on a grid of 1/den: units = value × den
            values = np.asarray(col.values, dtype=np.int64)
            least, most = scan(values)
            top = int_bound(limits) - 1
            if -top <= least and most <= top and low <= least * step_den and most * step_den <= high:
                units: Ints = values * step_den if step_den != 1 else values
                return units, col.present, bounds
        q = self.number(col)
        scaled = multiply(self.lanes, q, self.lanes.constant(1 / grid.step))
        num, den = column(scaled.num, self.size), column(scaled.den, self.size)
        whole = np.floor_divide(num, den)
        self.lanes.give_up(col.present & ((num % den != 0) | (whole < low) | (whole > high)))
        return choose(col.present, whole, 0), col.present, bounds

    def float_units(self, col: Column, low: int, high: int) -> Ints:
        """A 酌情 float column in grid units by the float arithmetic of `ScoreRange.quick`
        (units = round(x × den / num), units × num / den == x, within low–high), a column at a
        time; rows it does not take give up (and hold 0)."""
        grid = self.ev.grid
        step_num, step_den = grid.step.numerator, grid.step.denominator
        values = col.values  # rows left out hold 0.0
        if self.scratch is None:
            self.scratch = np.empty(self.size, dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            guess = values * step_den if step_den != 1 else values.copy()
            if step_num != 1:
                guess /= step_num
            np.rint(guess, out=guess)
            back = guess
            if step_num != 1:
                back = np.multiply(back, step_num, out=self.scratch)
            if step_den != 1:
                back = np.divide(back, step_den, out=self.scratch)
            ok = back == values
            ok &= guess >= low
            ok &= guess <= high
            if max(abs(low), abs(high)) * step_num >= 10**9 * step_den:  # else a number in range is below 1e9
                ok &= np.abs(values) < 1e9  # (quick reads larger ones through their decimal text)
        if not ok.all():
            self.lanes.give_up(col.present & ~ok)
            guess[~ok] = 0.0
        return guess.astype(np.int64)

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
        """The item's program run over every row, its score written into its row of the item
        grid. Steps after 不适用 run on every row; left-out rows are zeroed at the end."""
        k = self.item_row[plan.id]
        state = _ItemState(self.item_grid[k], self.none_left_out)
        for op in plan.program:
            self.step(op, plan, state, k)
        row, bounds = state.row, state.bounds
        if plan.leave_out is not None:
            np.multiply(row, np.logical_not(state.out), out=row)
            bounds = (min(bounds[0], 0), max(bounds[1], 0))
        self.units[plan.id], self.bounds[plan.id], self.left_out[plan.id] = row, bounds, state.out
        if plan.score_key is not None:
            self.values[plan.score_key] = self.points(row, bounds)

    def step(self, op: Op, plan: ItemPlan, state: _ItemState, k: int) -> None:
        """One step of an item's program (plan/scoring.py) over every row. Arrays made here are
        changed in place; arrays it is given (a fact's column, a 酌情 score) never are."""
        row = state.row
        if isinstance(op, LeaveOut):
            for n, rule in enumerate(op.rules):
                flags = self.exprs.flags(self.exprs.expr(_source(rule)))
                state.out = flags | state.out if n else flags.copy()
            np.logical_not(state.out, out=self.applicable_grid[k])
        elif isinstance(op, ComputeScore):
            value = self.exprs.number_of(self.exprs.expr(_source(op.rule)))
            row[...] = half_up(divide(self.lanes, value, self.lanes.constant(self.ev.grid.step)))
            state.bounds = (-LIMIT, LIMIT)  # unknown: the clamp after it is applied
        elif isinstance(op, Base):
            base, state.bounds = self.base(op, plan, state.out)
            row[...] = base
        elif isinstance(op, Deduct):
            self.deduct(op.rule, op.per, state)
        elif isinstance(op, CapDeductions):
            cap = op.rule.units
            if state.deducted_bounds[1] > cap:
                if state.mine and not isinstance(state.deducted, int):
                    np.minimum(state.deducted, cap, out=state.deducted)
                else:
                    state.deducted, state.mine = np.minimum(state.deducted, cap), True
                state.deducted_bounds = (min(state.deducted_bounds[0], cap), cap)
        elif isinstance(op, Settle):
            (low, high), (d_low, d_high) = state.bounds, state.deducted_bounds
            if op.sign > 0:
                np.add(row, state.deducted, out=row)
                state.bounds = (low + d_low, high + d_high)
            else:
                np.subtract(row, state.deducted, out=row)
                state.bounds = (low - d_high, high - d_low)
        elif isinstance(op, Award):
            gained = self.exprs.flags(self.exprs.expr(_source(op.rule))).astype(np.int64)
            if op.rule.units != 1:
                gained *= op.rule.units
            np.add(row, gained, out=row)
            state.bounds = (state.bounds[0] + min(0, op.rule.units), state.bounds[1] + max(0, op.rule.units))
        elif isinstance(op, Clamp):
            state.bounds = self.clamp(op, row, state.bounds)
        else:
            np.multiply(row, np.logical_not(self.exprs.flags(self.exprs.expr(_source(op.rule)))), out=row)
            state.bounds = (min(state.bounds[0], 0), max(state.bounds[1], 0))

    def deduct(self, rule: Rule, per: bool, state: _ItemState) -> None:
        """A deduction added to the item's deductions so far, their bounds kept within the lanes."""
        lanes = self.lanes
        value = self.exprs.expr(_source(rule))
        amount: Ints
        if not per:  # a few fixed amounts cannot leave int64
            amount = self.exprs.flags(value).astype(np.int64)
            if rule.units != 1:
                amount *= rule.units
            fresh, (a_low, a_high) = True, (min(0, rule.units), max(0, rule.units))
        else:
            q = self.exprs.number_of(value)
            count = q if rule.step is None else floor(divide(lanes, q, lanes.constant(rule.step)))
            scaled = multiply(lanes, lanes.constant(rule.units), count)
            amount = column(half_up(scaled), self.size)
            a_low, a_high = half_up_bounds(scaled) or scan(amount)
            fresh = False
            if q.low is None or q.low < 0:  # deducted only where the number is above 0
                amount = choose(compare(lanes, q, Q(0), operator.gt), amount, 0)
                fresh, a_low, a_high = True, min(a_low, 0), max(a_high, 0)
        if isinstance(state.deducted, int):
            state.deducted, state.mine = amount, fresh
        elif state.mine:
            state.deducted += amount
        else:
            state.deducted, state.mine = state.deducted + amount, True
        low, high = state.deducted_bounds[0] + a_low, state.deducted_bounds[1] + a_high
        if not (-LIMIT < low and high < LIMIT):
            fitted, (low, high) = lanes.fits(state.deducted, None)
            state.mine = state.mine if fitted is state.deducted else True
            state.deducted = column(fitted, self.size)
        state.deducted_bounds = (low, high)

    def clamp(self, op: Clamp, row: Ints, bounds: Bounds) -> Bounds:
        low, high = bounds
        if high > op.high:
            np.minimum(row, op.high, out=row)
            low, high = min(low, op.high), op.high
        if op.low is not None:
            if low < op.low:
                np.maximum(row, op.low, out=row)
                low, high = op.low, max(high, op.low)
            return low, high
        # 可倒扣: a section adds its items up: each stays above -LIMIT / (number of items), so no sum wraps
        least = -(LIMIT // len(self.ev.item_plans))
        if low > least:
            return low, high
        below = row <= least
        self.lanes.give_up(below)
        np.multiply(row, np.logical_not(below), out=row)
        return least + 1, max(high, 0)

    def base(self, op: Base, plan: ItemPlan, out: Flags) -> tuple[Ints | int, Bounds]:
        if op.kind != "judged":
            return op.units, (op.units, op.units)
        units, given, bounds = self.judged[plan.name]
        self.lanes.give_up(~given & ~out)  # applicable, yet left blank: the reference reports it
        if plan.leave_out is not None:  # 不适用, yet scored: the reference keeps the score out and says so (W501)
            self.lanes.give_up(given & out)
        if not op.partial:
            return units, bounds
        # 酌情给分 / 酌情扣分: units + sign × entry, a new column (the entry's is read again elsewhere)
        start = units + op.units if op.sign > 0 else op.units - units
        return start, op.starts(*bounds)

    def section(self, plan: SectionPlan) -> None:
        k = self.section_row[plan.id]
        score = self.section_grid[k]
        score[...] = 0
        for item in plan.free:
            np.add(score, self.item_grid[self.item_row[item]], out=score)
        low = sum(self.bounds[i][0] for i in plan.free)
        high = sum(self.bounds[i][1] for i in plan.free)
        for choice in plan.choices:
            counted, (least, most) = self.choice(choice)
            np.add(score, counted, out=score)
            low, high = low + least, high + most
        for group in plan.groups:  # scored before it, each clamped to its points
            np.add(score, self.units[group], out=score)
            low, high = low + self.bounds[group][0], high + self.bounds[group][1]
        if low < 0:
            np.maximum(score, 0, out=score)
            low, high = 0, max(high, 0)
        if high > plan.points:
            np.minimum(score, plan.points, out=score)
            low, high = min(low, plan.points), plan.points
        self.units[plan.id], self.bounds[plan.id] = score, (low, high)
        maximum: Ints | int = plan.points
        optional = [i for i in plan.items if self.ev.item_plans[i].leave_out]
        # what its groups' 不适用 items took from their maxima (a group's maximum is an int when none can)
        lost = [self.ev.plan.section(g).points - self.maxima[g] for g in plan.groups
                if not isinstance(self.maxima[g], int)]
        if plan.kind in ("regular", "group") and (optional or lost):
            left_out = sum(choose(self.left_out[i], plan.item_max[i], 0) for i in optional) + sum(lost)
            maximum = np.maximum(plan.points - left_out, 0)
        self.maxima[plan.id] = maximum
        if plan.score_key is not None:
            self.values[plan.score_key] = self.points(score, (low, high))

    def choice(self, choice: ChoicePlan) -> tuple[Ints, Bounds]:
        """The path sum each row's choice counts — the greatest (取其高) or the one its 选项 fact
        names (任选其一) — and its bounds (any path's)."""
        sums, lows, highs = [], [], []
        for _, items in choice.paths:
            total = np.zeros(self.size, dtype=np.int64)
            for item in items:
                np.add(total, self.item_grid[self.item_row[item]], out=total)
            sums.append(total)
            lows.append(sum(self.bounds[i][0] for i in items))
            highs.append(sum(self.bounds[i][1] for i in items))
        if choice.by is None:
            counted = functools.reduce(np.maximum, sums)
        else:
            fact = self.values[choice.by]
            assert isinstance(fact, Choice)
            path = {name: n for n, (name, _) in enumerate(choice.paths)}
            chosen = np.asarray([path[name] for name in fact.names])[fact.codes]
            counted = np.stack(sums)[chosen, np.arange(self.size)]
        return counted, (min(lows), max(highs))

    def regular(self) -> None:
        """`RegularSum.combine` for every row."""
        lanes, rs, size = self.lanes, self.ev.regular_sum, self.size
        plans = self.ev.regular
        scores = [Q(self.units[p.id], 1, *self.bounds[p.id]) for p in plans]
        maxima = [Q(m, 1) if isinstance(m, int) else Q(m, 1, 0, p.points)
                  for p, m in zip(plans, (self.maxima[p.id] for p in plans))]
        if rs.weights is not None:  # each section over its applicable maximum, × weight × 满分
            score = maximum = Q(0)
            for u, m, w in zip(scores, maxima, rs.weights):
                part = lanes.constant(rs.scale * (w or 0))
                empty = column(m.num, size) == 0  # nothing applicable: adds nothing
                share = divide(lanes, multiply(lanes, u, part), where(empty, Q(1), m))
                score = add(lanes, score, where(empty, Q(0), share))
                maximum = add(lanes, maximum, where(empty, Q(0), part))
        else:
            score, maximum = _sum(lanes, scores, size), _sum(lanes, maxima, size)
        if rs.target is not None:
            empty = column(maximum.num, size) == 0
            divisor = where(empty, Q(1), maximum)
            score = where(empty, Q(0), divide(lanes, multiply(lanes, score, lanes.constant(rs.target)), divisor))
            maximum = lanes.constant(rs.target)
        self.units["regular_score"] = column(half_up(score), size)
        self.bounds["regular_score"] = half_up_bounds(score) or scan(self.units["regular_score"])
        self.units["regular_max"] = column(half_up(maximum), size)

    def total(self) -> None:
        total = self.units["regular_score"]
        low, high = self.bounds["regular_score"]
        for plan in self.ev.sections:
            part_low, part_high = self.bounds[plan.id]
            if plan.kind == "bonus":
                total, low, high = total + self.units[plan.id], low + part_low, high + part_high
            elif plan.kind == "penalty":
                total, low, high = total - self.units[plan.id], low - part_high, high - part_low
        if low < 0:
            total, low, high = np.maximum(total, 0), 0, max(high, 0)
        self.units["total"] = total
        self.values[TOTAL_KEY] = self.points(total, (low, high))

    def points(self, units: Ints, bounds: Bounds | None = None) -> Q:
        step = self.ev.grid.step
        num, num_bounds = self.lanes.times(units, bounds, step.numerator, None)
        return Q.bounded(num, step.denominator, num_bounds)


def _sum(lanes: Lanes, parts: list[Q], size: int) -> Q:
    """Numbers over the denominator 1 added up: their bounds add up (sections' scores are far
    below the limit; `fits` checks only when the bounds say they might not be)."""
    total: Ints | int = 0
    low = high = 0
    for part in parts:
        total = total + part.num
        bounds = part.bounds or scan(part.num)
        low, high = low + bounds[0], high + bounds[1]
    num, found = lanes.fits(total, (low, high))
    return Q.bounded(num, 1, found)
