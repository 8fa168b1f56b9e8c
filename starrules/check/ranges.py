"""Interval analysis: the lowest and highest score every item, section and the total can
take (LANGUAGE.md §6). Conditions are treated as free, so the bounds are safe
over-approximations: a reported maximum may be unreachable in practice, never too low."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction

import attrs

from ..lang import ast
from .judged import judged_part

Bound = Fraction | None  # None: unbounded in that direction


@attrs.frozen
class Interval:
    lo: Bound
    hi: Bound

    @staticmethod
    def point(value: Fraction) -> Interval:
        return Interval(value, value)

    def __add__(self, other: Interval) -> Interval:
        return Interval(_add(self.lo, other.lo), _add(self.hi, other.hi))

    def __neg__(self) -> Interval:
        return Interval(_neg(self.hi), _neg(self.lo))

    def __sub__(self, other: Interval) -> Interval:
        return self + -other

    def __mul__(self, other: Interval) -> Interval:
        if None in (self.lo, self.hi, other.lo, other.hi):
            return _UNBOUNDED
        products = [a * b for a in (self.lo, self.hi) for b in (other.lo, other.hi)]  # type: ignore[operator]
        return Interval(min(products), max(products))

    def union(self, other: Interval) -> Interval:
        lo = None if None in (self.lo, other.lo) else min(self.lo, other.lo)  # type: ignore[type-var]
        hi = None if None in (self.hi, other.hi) else max(self.hi, other.hi)  # type: ignore[type-var]
        return Interval(lo, hi)


_UNBOUNDED = Interval(None, None)
_ZERO = Interval.point(Fraction(0))


def _add(a: Bound, b: Bound) -> Bound:
    return None if a is None or b is None else a + b


def _neg(a: Bound) -> Bound:
    return None if a is None else -a


def _clamp(value: Fraction, lo: Bound, hi: Bound) -> Fraction:
    if lo is not None and value < lo:
        value = lo
    if hi is not None and value > hi:
        value = hi
    return value


def _clamp_interval(interval: Interval, lo: Bound, hi: Bound) -> Interval:
    """Clamp both ends into [lo, hi]; an unbounded end becomes the clamp's own bound."""
    return Interval(lo if interval.lo is None else _clamp(interval.lo, lo, hi),
                    hi if interval.hi is None else _clamp(interval.hi, lo, hi))


def fact_interval(fact: ast.Fact | None) -> Interval:
    """The values a fact can take (a derived value or unknown name: unbounded)."""
    if fact is None:
        return _UNBOUNDED
    kind = fact.type.kind
    if kind == "count":
        return Interval(Fraction(0), None)
    if kind == "ratio":
        return Interval(Fraction(0), Fraction(1))
    return _UNBOUNDED


Lookup = Callable[[str], Interval]


def expr_interval(expr: ast.Expr, names: Lookup, scores: Lookup) -> Interval:
    """Numeric range of an expression (booleans and choices give [0, 1] or unbounded)."""
    def walk(e: ast.Expr) -> Interval:
        if isinstance(e, (ast.Number, ast.Percent)):
            return Interval.point(e.value)
        if isinstance(e, ast.NameRef):
            return names(e.name)
        if isinstance(e, ast.ScoreRef):
            if e.part == "rate":
                return Interval(Fraction(0), Fraction(1))
            found = scores(e.name)  # 满分: at most the points, as the score
            return Interval(Fraction(0), found.hi) if e.part == "max" else found
        if isinstance(e, ast.Negate):
            return -walk(e.operand)
        if isinstance(e, ast.Binary):
            left, right = walk(e.left), walk(e.right)
            if e.op == "+":
                return left + right
            if e.op == "-":
                return left - right
            if e.op == "*":
                return left * right
            return _divide(left, right)
        if isinstance(e, ast.IfElse):
            return walk(e.then).union(walk(e.otherwise))
        if isinstance(e, ast.Call):
            args = [walk(a) for a in e.args]
            if e.function == "floor":
                lo, hi = args[0].lo, args[0].hi
                return Interval(None if lo is None else Fraction(math.floor(lo)),
                                None if hi is None else Fraction(math.floor(hi)))
            los, his = [a.lo for a in args], [a.hi for a in args]
            if e.function == "min":
                return Interval(_extreme(min, los, unbounded_wins=True), _extreme(min, his, unbounded_wins=False))
            return Interval(_extreme(max, los, unbounded_wins=False), _extreme(max, his, unbounded_wins=True))
        if isinstance(e, ast.ListCall):
            return Interval(Fraction(0), Fraction(len(e.items)))
        return _UNBOUNDED
    return walk(expr)


def _extreme(pick: Callable[[list[Fraction]], Fraction], values: list[Bound], *, unbounded_wins: bool) -> Bound:
    """min or max over bounds where None is infinite: it wins (−∞ in a min of lows, +∞ in a
    max of highs) or loses (drops out) — unless every bound is None."""
    known = [v for v in values if v is not None]
    if not known or (unbounded_wins and len(known) < len(values)):
        return None
    return pick(known)


def _divide(left: Interval, right: Interval) -> Interval:
    if right.lo is None or right.hi is None or right.lo <= 0 <= right.hi:
        return _UNBOUNDED
    inverse = Interval(1 / right.hi, 1 / right.lo)
    return left * inverse


@attrs.frozen
class Ranges:
    items: dict[str, Interval]
    sections: dict[str, Interval]
    total: Interval


def item_range(item: ast.Item, kind: str, names: Lookup, scores: Lookup) -> Interval:
    """Range of one item under LANGUAGE.md §3's scoring rule; kind is regular/bonus/penalty."""
    maximum = item.points.value
    clauses = item.clauses
    score_is = next((c for c in clauses if isinstance(c, ast.ScoreIs)), None)
    if score_is is not None:
        result = _clamp_interval(expr_interval(score_is.expr, names, scores), Fraction(0), maximum)
    else:
        result = _clause_range(item, kind, names, scores)
    if any(isinstance(c, (ast.Zero, ast.NotApplicable)) for c in clauses):
        result = Interval(min(result.lo, Fraction(0)) if result.lo is not None else None, result.hi)
    return result


def _clause_range(item: ast.Item, kind: str, names: Lookup, scores: Lookup) -> Interval:
    deductions = deduction_interval(item, names, scores)
    awards = _ZERO
    for clause in item.clauses:
        if isinstance(clause, ast.Award):
            awards = awards + Interval(Fraction(0), clause.points.value)
    if kind == "bonus":
        raw = awards
    elif kind == "penalty":
        raw = deductions
    else:
        raw = _base(item) - deductions + awards
    negative = any(isinstance(c, ast.AllowNegative) for c in item.clauses)
    return _clamp_interval(raw, None if negative else Fraction(0), item.points.value)


def _base(item: ast.Item) -> Interval:
    maximum = item.points.value
    for clause in item.clauses:
        if isinstance(clause, ast.Judged):  # 酌情: the entry; 酌情给分 / 酌情扣分: a part of the score
            return Interval(*judged_part(item, clause).starts)
        if isinstance(clause, ast.Grades):
            values = [g.points.value for g in clause.levels]
            return Interval(min(values), max(values))
        if isinstance(clause, ast.Start):
            return Interval.point(clause.points.value)
    return Interval.point(maximum)


def deduction_interval(item: ast.Item, names: Lookup, scores: Lookup) -> Interval:
    total = _ZERO
    for clause in item.clauses:
        if isinstance(clause, ast.DeductIf):
            total = total + Interval(Fraction(0), clause.points.value)
        elif isinstance(clause, ast.DeductPer):
            per = _clamp_interval(expr_interval(clause.per, names, scores), Fraction(0), None)
            if clause.step is not None:
                step = clause.step.value
                per = Interval(None if per.lo is None else Fraction(math.floor(per.lo / step)),
                               None if per.hi is None else Fraction(math.floor(per.hi / step)))
            total = total + per * Interval.point(clause.points.value)
    cap = next((c.points.value for c in item.clauses if isinstance(c, ast.MaxDeduct)), None)
    return _clamp_interval(total, Fraction(0), cap) if cap is not None else total


def rubric_ranges(sections: list[ast.Section], extras: list[ast.ExtraSection], facts: dict[str, ast.Fact],
                  lets: dict[str, ast.Let], max_score: Fraction | None, rescale: Fraction | None) -> Ranges:
    declared: dict[str, Interval] = {}
    for section in sections:
        for group in (section, *section.nested()):
            declared[group.name] = Interval(Fraction(0), group.points.value)
        for item in section.items:
            negative = any(isinstance(c, ast.AllowNegative) for c in item.clauses)
            declared[item.name] = Interval(None if negative else Fraction(0), item.points.value)
    for extra in extras:
        declared[extra.display_name] = Interval(Fraction(0), extra.cap.value)
        for item in extra.items:
            declared[item.name] = Interval(Fraction(0), item.points.value)

    def scores(name: str) -> Interval:
        return declared.get(name, _UNBOUNDED)

    resolving: set[str] = set()

    def names(name: str) -> Interval:
        if name in facts:
            return fact_interval(facts[name])
        if name in lets and name not in resolving:
            resolving.add(name)
            try:
                return expr_interval(lets[name].expr, names, scores)
            finally:
                resolving.discard(name)
        return _UNBOUNDED

    items: dict[str, Interval] = {}
    section_ranges: dict[str, Interval] = {}
    regular = _ZERO
    weighted = any(s.weight is not None for s in sections)
    scale = max_score if max_score is not None else Fraction(100)

    def group_range(group: ast.Section) -> Interval:
        """A section's or group's range (its groups' first): its free items, the path each choice
        counts and its groups, clamped to its points."""
        subtotal = _ZERO
        for inner in group.groups:
            subtotal = subtotal + group_range(inner)
        for item in group.free_items:
            subtotal = subtotal + items[item.name]
        for choice in group.choices:  # one path counts: the section gets what some path gets
            paths = [sum((items[i.name] for i in path.items), _ZERO) for path in choice.paths]
            subtotal = subtotal + functools.reduce(Interval.union, paths) if paths else subtotal
        section_ranges[group.name] = _clamp_interval(subtotal, Fraction(0), group.points.value)
        return section_ranges[group.name]

    for section in sections:
        for item in section.items:
            items[item.name] = item_range(item, "regular", names, scores)
        group_range(section)
        points = section.points.value
        contribution = section_ranges[section.name]
        if weighted and section.weight is not None and points:
            contribution = contribution * Interval.point(section.weight.value * scale / points)
        regular = regular + contribution
    if rescale is not None:
        regular = Interval(Fraction(0), rescale)
    total = regular
    for extra in extras:
        subtotal = _ZERO
        for item in extra.items:
            items[item.name] = item_range(item, extra.kind, names, scores)
            subtotal = subtotal + items[item.name]
        capped = _clamp_interval(subtotal, Fraction(0), extra.cap.value)
        section_ranges[extra.display_name] = capped
        total = total + capped if extra.kind == "bonus" else total - capped
    return Ranges(items, section_ranges, _clamp_interval(total, Fraction(0), None))
