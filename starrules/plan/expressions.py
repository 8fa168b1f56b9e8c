"""Expressions of a checked rubric turned into Python closures, built once per rubric.

Values are exact: whole numbers stay ints, others are Fractions, conditions are bools and
choice values are strings. Names read a values mapping: facts and derived values by name,
scores as `@名称`, the total as `总分`, the count of failing sections as `未达标类型数` (both are
keywords, so no fact can take those names).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction

from ..lang import ast
from ..check.exprcheck import walk
from ..core.numbers import Exact, exact
from ..core.diagnostics import EvidenceError
from ..core.reporter import Reporter
from ..core.source import Span

Value = bool | int | Fraction | str
Values = Mapping[str, Value]
Compiled = Callable[[Values], Value]
TOTAL_KEY, BELOW_PASS_KEY = "总分", "未达标类型数"


class DivisionByZero(Exception):
    def __init__(self, span: Span) -> None:
        super().__init__("division by zero")
        self.span = span

    def evidence_error(self, sources: Mapping[str, str]) -> EvidenceError:
        """E510 at the division, shown in its source (the rubric's or a scheme's file)."""
        reporter = Reporter()
        for file, text in sources.items():
            reporter.add_source(file, text)
        reporter.report("E510", "按这份证据计算时除数为 0", self.span, "检查作为除数的事实,或在标准中用“若 … 则 … 否则”避开 0")
        return EvidenceError(reporter.diagnostics)


EMPTY_GROUP_RATE = 1  # the 得分率 of a group with nothing applicable: it has nothing to lose (100%)


def group_rate(score: Exact, maximum: Exact) -> Exact:
    """`@组.得分率`: a section's or group's score over its applicable maximum, exact
    (`EMPTY_GROUP_RATE` when nothing in it applies)."""
    return exact(Fraction(score) / maximum) if maximum else EMPTY_GROUP_RATE


def group_values(name: str, score: Exact, maximum: Exact) -> dict[str, Exact]:
    """A section's or group's `@组.满分` and `@组.得分率` by value key."""
    return {f"@{name}.{ast.GROUP_PARTS['max']}": maximum, f"@{name}.{ast.GROUP_PARTS['rate']}": group_rate(score, maximum)}


def value_key(expr: ast.NameRef | ast.ScoreRef | ast.TotalRef | ast.BelowPassRef) -> str:
    if isinstance(expr, ast.NameRef):
        return expr.name
    if isinstance(expr, ast.ScoreRef):
        return f"@{expr.name}{expr.key_suffix}"
    return TOTAL_KEY if isinstance(expr, ast.TotalRef) else BELOW_PASS_KEY


_COMPARE: dict[str, Callable[[Value, Value], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,  # type: ignore[operator]
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b,
}
_ARITHMETIC: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,  # type: ignore[operator]
}


class ExprCompiler:
    """`names` says which bare names are facts or derived values; any other is a choice value."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def reads(self, expr: ast.Expr) -> list[ast.NameRef | ast.ScoreRef | ast.TotalRef | ast.BelowPassRef]:
        """The parts of an expression that read a value: facts, derived values, scores."""
        return [e for e in walk(expr) if isinstance(e, (ast.ScoreRef, ast.TotalRef, ast.BelowPassRef))
                or isinstance(e, ast.NameRef) and e.name in self.names]

    def slots(self, expr: ast.Expr) -> list[tuple[Span, str, bool]]:
        """Where a condition's text shows the values it reads: each read's span, its value key,
        and whether it is compared with a percentage (`满意率 < 85%`: then shown as one, 80%)."""
        percent = {id(side) for c in walk(expr) if isinstance(c, ast.Compare)
                   for side, other in ((c.left, c.right), (c.right, c.left)) if isinstance(other, ast.Percent)}
        return [(e.span, value_key(e), id(e) in percent) for e in self.reads(expr)]

    def compile(self, expr: ast.Expr) -> Compiled:
        method: Callable[[ast.Expr], Compiled] = getattr(self, f"_{type(expr).__name__}")
        return method(expr)

    def _Number(self, expr: ast.Number | ast.Percent) -> Compiled:
        value = exact(expr.value)
        return lambda v: value

    _Percent = _Number

    def _Bool(self, expr: ast.Bool) -> Compiled:
        value = expr.value
        return lambda v: value

    def _NameRef(self, expr: ast.NameRef) -> Compiled:
        name = expr.name
        if name not in self.names:
            return lambda v: name  # a choice value
        return lambda v: v[name]

    def _reference(self, expr: ast.ScoreRef | ast.TotalRef | ast.BelowPassRef) -> Compiled:
        key = value_key(expr)
        return lambda v: v[key]

    _ScoreRef = _TotalRef = _BelowPassRef = _reference

    def _Negate(self, expr: ast.Negate) -> Compiled:
        operand = self.compile(expr.operand)
        return lambda v: -operand(v)  # type: ignore[operator]

    def _Binary(self, expr: ast.Binary) -> Compiled:
        left, right = self.compile(expr.left), self.compile(expr.right)
        if expr.op != "/":
            op = _ARITHMETIC[expr.op]
            return lambda v: op(left(v), right(v))
        span = expr.span

        def divide(v: Values) -> Value:
            divisor = right(v)
            if divisor == 0:
                raise DivisionByZero(span)
            return exact(Fraction(left(v)) / divisor)  # type: ignore[operator]
        return divide

    def _Compare(self, expr: ast.Compare) -> Compiled:
        left, right, op = self.compile(expr.left), self.compile(expr.right), _COMPARE[expr.op]
        return lambda v: op(left(v), right(v))

    def _InList(self, expr: ast.InList) -> Compiled:
        operand = self.compile(expr.operand)
        options = [self.compile(o) for o in expr.options]

        def member(v: Values) -> bool:
            value = operand(v)
            return any(value == o(v) for o in options)
        return member

    def _Not(self, expr: ast.Not) -> Compiled:
        operand = self.compile(expr.operand)
        return lambda v: not operand(v)

    def _And(self, expr: ast.And) -> Compiled:
        operands = [self.compile(o) for o in expr.operands]
        return lambda v: all(o(v) for o in operands)

    def _Or(self, expr: ast.Or) -> Compiled:
        operands = [self.compile(o) for o in expr.operands]
        return lambda v: any(o(v) for o in operands)

    def _IfElse(self, expr: ast.IfElse) -> Compiled:
        condition, then, otherwise = (self.compile(e) for e in (expr.condition, expr.then, expr.otherwise))
        return lambda v: then(v) if condition(v) else otherwise(v)

    def _Call(self, expr: ast.Call) -> Compiled:
        args = [self.compile(a) for a in expr.args]
        if expr.function == "floor":
            only = args[0]
            return lambda v: math.floor(only(v))  # type: ignore[arg-type]
        pick = min if expr.function == "min" else max
        return lambda v: pick(a(v) for a in args)

    def _ListCall(self, expr: ast.ListCall) -> Compiled:
        items = [self.compile(i) for i in expr.items]
        if expr.function == "count_true":
            return lambda v: sum(1 for i in items if i(v))
        if expr.function == "count_false":
            return lambda v: sum(1 for i in items if not i(v))
        if expr.function == "any":
            return lambda v: any(i(v) for i in items)
        return lambda v: all(i(v) for i in items)
