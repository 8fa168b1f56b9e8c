"""Exact integer arithmetic written as SQL: BIGINT expressions, and rationals as a BIGINT
numerator over a positive denominator (a Python int where it is the same for every row, else
a BIGINT expression).

Integer division is the one operation SQL dialects spell differently (and several render
sqlglot's own nodes through DOUBLE): it is written as a placeholder (`TRUNC_DIV`) that
`resolve` turns into each dialect's truncating BIGINT division. Every literal is CAST to
BIGINT, as `7` is a 32-bit INTEGER in DuckDB and PostgreSQL and their products overflow.
"""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
from sqlglot import exp

from ..plan.acceptance import LANES

LIMIT = LANES  # literals and products stay below 2**62, as in the batch engine's lanes

TRUNC_DIV = "__starrules_trunc_div"  # (a, b), b > 0, both BIGINT: a ÷ b truncated toward zero
_INT_DIV_DIALECTS = frozenset({"duckdb", "mysql", "spark", "databricks"})  # `a // b`, `a DIV b`


BIGINT = exp.DataType.build("BIGINT")  # built once: `exp.cast(x, "BIGINT")` parses the type name each call


def lit(n: int) -> exp.Expr:
    """An integer literal as BIGINT (negative ones through unary minus)."""
    number: exp.Expr = exp.Literal.number(abs(n))
    if n < 0:
        number = exp.Neg(this=number)
    return exp.cast(number, BIGINT)


def big(e: exp.Expr) -> exp.Expr:
    return exp.cast(e, BIGINT)


def paren(e: exp.Expr) -> exp.Expr:
    return e if isinstance(e, (exp.Column, exp.Cast, exp.Paren, exp.Literal)) else exp.Paren(this=e)


def add(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Add(this=a, expression=b)


def sub(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Sub(this=a, expression=paren(b))


def mul(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Mul(this=paren(a), expression=paren(b))


def times(a: exp.Expr, n: int) -> exp.Expr:
    """a × n, skipping × 1 (and folding a literal a)."""
    known = static(a)
    if known is not None:
        return lit(known * n)
    return a if n == 1 else mul(a, lit(n))


def static(e: exp.Expr) -> int | None:
    """The value of a `lit(n)`, None for any other expression."""
    if isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal):
        return int(e.this.name)
    if isinstance(e, exp.Cast) and isinstance(e.this, exp.Neg) and isinstance(e.this.this, exp.Literal):
        return -int(e.this.this.name)
    return None


def total(parts: list[exp.Expr]) -> exp.Expr:
    """Σ parts (0 for none), the literals among them added up here."""
    known = [static(p) for p in parts]
    constant = sum(k for k in known if k is not None)
    terms = [p for p, k in zip(parts, known) if k is None]
    if constant or not terms:
        terms.append(lit(constant))
    out = terms[0]
    for part in terms[1:]:
        out = add(out, part)
    return out


def case(condition: exp.Expr, then: exp.Expr, otherwise: exp.Expr) -> exp.Expr:
    return exp.Case().when(condition, then).else_(otherwise)


def flag(condition: exp.Expr, units: int = 1) -> exp.Expr:
    """`units` where the condition holds, else 0."""
    return case(condition, lit(units), lit(0))


def least(*args: exp.Expr) -> exp.Expr:
    return exp.func("LEAST", *args)


def greatest(*args: exp.Expr) -> exp.Expr:
    return exp.func("GREATEST", *args)


def trunc_div(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=TRUNC_DIV, expressions=[paren(a), paren(b)])


def floor_div(n: exp.Expr, d: exp.Expr) -> exp.Expr:
    """⌊n / d⌋ for d > 0, from truncation (which rounds toward zero in every dialect)."""
    return sub(trunc_div(n, d), flag(exp.LT(this=exp.Mod(this=paren(n), expression=paren(d)), expression=lit(0))))


def half_up(n: exp.Expr, d: exp.Expr) -> exp.Expr:
    """n / d rounded half away from zero (core.numbers.half_up), d > 0; n and d should be
    columns or literals, as each is written twice."""
    if static(d) == 1:
        return n
    two_d = mul(lit(2), d)
    up = trunc_div(add(mul(lit(2), n), d), two_d)
    down = exp.Neg(this=paren(trunc_div(add(mul(lit(-2), n), d), two_d)))
    return case(exp.GTE(this=n, expression=lit(0)), up, down)


def resolve(tree: exp.Expr, dialect: str) -> exp.Expr:
    """The tree with each `TRUNC_DIV` placeholder made the dialect's truncating BIGINT division:
    `//` / `DIV` where the dialect has one, BIGINT `/` elsewhere (PostgreSQL, Trino, SQLite)."""
    tree = tree.copy()
    # replaced in place, innermost last: `transform` would not visit a replaced node's children
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name == TRUNC_DIV:
            a, b = node.expressions
            division: exp.Expr = exp.IntDiv(this=a, expression=b) if dialect in _INT_DIV_DIALECTS \
                else exp.Div(this=a, expression=b, typed=True)
            node.replace(division)
    return tree


Den = int | exp.Expr  # a denominator: the same for every row, or a BIGINT column expression (> 0)


@attrs.frozen
class Num:
    """An exact number per row: `num` / `den`, den > 0."""

    num: exp.Expr
    den: Den = 1

    @classmethod
    def constant(cls, value: int | Fraction) -> Num:
        value = Fraction(value)
        return cls(lit(value.numerator), value.denominator)


def den_expr(den: Den) -> exp.Expr:
    return lit(den) if isinstance(den, int) else den


def scaled(a: Num, den: int) -> exp.Expr:
    """a's numerator over `den`, a multiple of a's (static) denominator."""
    assert isinstance(a.den, int) and den % a.den == 0
    return times(a.num, den // a.den)


def plus(a: Num, b: Num, sign: int = 1) -> Num:
    combine = add if sign > 0 else sub
    if isinstance(a.den, int) and isinstance(b.den, int):
        common = math.lcm(a.den, b.den)
        return Num(combine(scaled(a, common), scaled(b, common)), common)
    return Num(combine(mul(a.num, den_expr(b.den)), mul(b.num, den_expr(a.den))), _den_product(a.den, b.den))


def product(a: Num, b: Num) -> Num:
    return Num(mul(a.num, b.num), _den_product(a.den, b.den))


def quotient(a: Num, b: Num) -> Num:
    """a ÷ b, the sign moved to the numerator so the denominator stays positive. Where b is 0
    the quotient is 0 (divided by 1 with the sign 0) rather than an engine error that would stop
    every row: the reference reports E510 there, and the scoring query flags that row E510 where
    the reference would evaluate this division (scoring.Compiler.divided), scoring nothing on it."""
    sign = big(exp.func("SIGN", b.num))  # a DOUBLE in PostgreSQL and Spark: cast back, or the sum becomes one
    divisor: exp.Expr = exp.func("ABS", b.num)
    divisor = case(exp.EQ(this=b.num.copy(), expression=lit(0)), lit(1), divisor)
    return Num(mul(mul(a.num, den_expr(b.den)), sign), _den_product(a.den, divisor))


def negated(a: Num) -> Num:
    return Num(exp.Neg(this=paren(a.num)), a.den)


def floored(a: Num) -> Num:
    return a if a.den == 1 else Num(floor_div(a.num, den_expr(a.den)), 1)


def compared(a: Num, b: Num, op: type[exp.Binary]) -> exp.Expr:
    """a op b by cross-multiplying (both denominators are positive)."""
    if isinstance(a.den, int) and isinstance(b.den, int):
        common = math.lcm(a.den, b.den)
        return op(this=scaled(a, common), expression=scaled(b, common))
    return op(this=mul(a.num, den_expr(b.den)), expression=mul(b.num, den_expr(a.den)))


def chosen(condition: exp.Expr, a: Num, b: Num) -> Num:
    """a where the condition holds, else b."""
    if isinstance(a.den, int) and isinstance(b.den, int):
        common = math.lcm(a.den, b.den)
        return Num(case(condition, scaled(a, common), scaled(b, common)), common)
    return Num(case(condition, a.num, b.num), case(condition.copy(), den_expr(a.den), den_expr(b.den)))


def _den_product(a: Den, b: Den) -> Den:
    a = static(a) or a if not isinstance(a, int) else a
    b = static(b) or b if not isinstance(b, int) else b
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if isinstance(a, int):
        assert not isinstance(b, int)
        return b if a == 1 else mul(lit(a), b)
    if isinstance(b, int):
        return a if b == 1 else mul(a, lit(b))
    return mul(a, b)
