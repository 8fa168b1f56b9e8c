"""Expressions a column at a time: the meaning of `plan.expressions.ExprCompiler` over a whole
chunk of rows, on the exact int64 lanes of `vector.py`.

`VectorExprs` reads a values mapping (facts, derived values, `@` scores, 总分, 未达标类型数 by
value key, each a column or one value for every row) and gives up, through its `Lanes`, every
row it cannot settle exactly (a division by zero, a number leaving int64). The batch engine
(`engine.py`) evaluates derived values, clauses and vetoes with it; the vector grader
(`grading.py`) evaluates scheme conditions with it, over the engine's values.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import numpy as np

from ..lang import ast
from ..plan.expressions import value_key
from .vector import Flags, Ints, Lanes, Q, add, compare, divide, floor, multiply, where


@attrs.frozen(eq=False)
class Choice:
    """A column of choice values: indexes into `names`."""

    codes: Ints
    names: tuple[str, ...]


Vec = Q | Flags | bool | Choice | str  # str: a choice value written in the rubric
_COMPARE: dict[str, Callable[[Any, Any], Flags]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                    ">=": operator.ge, "=": operator.eq, "!=": operator.ne}


class VectorExprs:
    """Expressions over `size` rows reading `values` (which the caller may go on filling:
    the engine adds each derived value and score as it computes it)."""

    def __init__(self, lanes: Lanes, values: Mapping[str, Vec], size: int) -> None:
        self.lanes, self.values, self.size = lanes, values, size

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
            bounds = operand.bounds
            return Q.bounded(-operand.num, operand.den, None if bounds is None else (-bounds[1], -bounds[0]))
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
            return Q(sum((i.astype(np.int64) for i in items), np.zeros(self.size, dtype=np.int64)), 1, 0, len(items))
        if e.function == "count_false":
            return Q(sum(((~i).astype(np.int64) for i in items), np.zeros(self.size, dtype=np.int64)), 1, 0, len(items))
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
