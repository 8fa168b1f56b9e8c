"""Evidence validation in SQL: the Python reader's checks (plan/evidence.py) on a typed table's rows.

A row is one branch's evidence as the columnar engines read it (io/columns.py): a column is a
key, a NULL a key left out. `row_checks` gives one `RowCheck` per problem a value of a typed
column can have — each a boolean over the table's raw columns, TRUE where the reader would
report that code for the row — in the order the reader reports them, so the first that holds is
the reader's first diagnostic; `error_columns` picks its code and field.

What the checks are, in the reader's order (docs/sql.md, "证据校验"):

1. E516: more non-NULL columns than `Limits.evidence_keys` (only when the table has that many);
2. each column in table order: a fact's or a 酌情 score's value — E518 (too many digits), then
   E504 (计数 not whole or below 0), E505 (比例 outside 0–1), E506 (选项 not listed), E507
   (酌情 outside its range), E508 (酌情 off the grid), E509 (分档 level not listed); a column
   that is neither a fact, a 酌情 / 分档 item nor a carried key (id, 名称 …): E502 where given;
3. E501: a fact without 默认, then a 酌情 / 分档 item that must be scored, left NULL (or with no
   column at all);
4. E512: a 历史 column given (a cell is never the object 历史 must be), or a 年度 that is not a
   four-digit year.

A type error (E503) cannot happen row by row: the column's type decides it. `typed_scales`
refuses, before any query runs, a column whose SQL type is not the one docs/sql.md gives its
fact or score (E607), and gives the decimal places the checks and the scoring query read by.

Numbers are compared as the column holds them, exactly: a DECIMAL(p, s) column with an exact
decimal literal (every bound here is a finite decimal: the grid's step is one), an integer or a
fixed-point column (SQLite) with an integer, and tested on the grid with MOD; no division and no
cast, so no value, however large, can stop the query before it is reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

import attrs
from sqlglot import exp

from ..check.model import CheckedRubric
from ..core.source import Span
from ..eval.evaluator import evaluator_for
from ..io.columns import load_pyarrow
from ..plan.acceptance import (MISSING, NO_SUCH_LEVEL, NOT_A_COUNT, NOT_LISTED, OFF_GRID, OUT_OF_RANGE,
                               SCORE_OUT_OF_RANGE, TOO_LONG, UNKNOWN)
from ..plan.evidence import HISTORY_KEYS, RESERVED_KEYS, YEAR_KEYS, EvidenceSpec
from .numbers import LIMIT, flag, lit, total
from .scoring import DEFAULT_SCALE, NO_DECIMAL, grid_scale, unsupported

TOO_MANY_KEYS = "E516"
MALFORMED = "E512"  # 历史 / 年度 not as they must be written
BIGINT_MAX = 2**63 - 1


@attrs.frozen
class RowCheck:
    """One problem a row may have: its code, the column (fact, item or key) it is about ("" for
    E516, which is about the whole row), and a boolean over the table's raw columns, TRUE where
    the row has it (never NULL). `test` is the same problem as the WHEN of a CASE that tries
    every earlier check first (error_columns): it may be NULL where the row does not have it and
    leaves out what the earlier checks rule out, so it is much cheaper."""

    code: str
    field: str
    failed: exp.Expr
    test: exp.Expr = attrs.field(default=attrs.Factory(lambda self: self.failed, takes_self=True))


def row_checks(rubric: CheckedRubric, columns: Sequence[str] | None = None,
               scales: Mapping[str, int] | None = None, dialect: str = "duckdb") -> tuple[RowCheck, ...]:
    """The checks of every row of a typed evidence table, in the order the Python reader reports
    problems. `columns`: the table's columns in order (None: every fact and scored item);
    `scales`: the decimal places of each number column, as the query reads them (0: an integer
    column; default `DEFAULT_SCALE` for 数值 / 比例, the grid's for 酌情 scores, 0 for 计数). In a
    dialect without an exact DECIMAL (SQLite) a number column holds the value × 10^s already."""
    return tuple(_Checks(rubric, columns, scales or {}, dialect in NO_DECIMAL).all())


def error_columns(checks: Sequence[RowCheck]) -> tuple[exp.Expr, exp.Expr]:
    """The first failing check's code and field (VARCHAR; NULL where the row is fine)."""
    if not checks:
        return exp.cast(exp.Null(), "VARCHAR"), exp.cast(exp.Null(), "VARCHAR")
    code, field = exp.Case(), exp.Case()
    for check in checks:  # built in place: `when` copies the whole CASE by default, each time
        code.when(check.test.copy(), exp.Literal.string(check.code), copy=False)
        field.when(check.test.copy(), exp.Literal.string(check.field), copy=False)
    return code, field


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _given(name: str) -> exp.Expr:
    return exp.Not(this=exp.Is(this=_col(name), expression=exp.Null()))


def _null(name: str) -> exp.Expr:
    return exp.Is(this=_col(name), expression=exp.Null())


def _never_null(condition: exp.Expr) -> exp.Expr:
    return exp.func("COALESCE", condition, exp.false())


def _either(*conditions: exp.Expr) -> exp.Expr:
    return conditions[0] if len(conditions) == 1 else exp.or_(*(exp.Paren(this=c) for c in conditions))


class _Checks:
    def __init__(self, rubric: CheckedRubric, columns: Sequence[str] | None, scales: Mapping[str, int],
                 fixed: bool) -> None:
        self.rubric = rubric
        self.spec: EvidenceSpec = evaluator_for(rubric).evidence_spec
        self.columns = list(columns) if columns is not None else [*self.spec.facts, *self.spec.judged]
        self.present = set(self.columns)
        self.scales, self.fixed = scales, fixed
        self.digits = self.spec.limits.evidence_digits

    def all(self) -> Iterator[RowCheck]:
        yield from self.too_many_keys()
        for name in self.columns:
            yield from self.value(name)
        yield from self.missing()
        yield from self.history()
        yield from self.year()

    def too_many_keys(self) -> Iterator[RowCheck]:
        """E516 (the reader stops there): possible only when the table has more columns than that."""
        keys = self.spec.limits.evidence_keys
        if len(self.columns) > keys:
            count = total([flag(_given(c)) for c in self.columns])
            yield RowCheck(TOO_MANY_KEYS, "", exp.GT(this=exp.Paren(this=count), expression=lit(keys)))

    def value(self, name: str) -> Iterator[RowCheck]:
        """The problems of one column's value, each TRUE only where the earlier ones are not (the
        reader reports one problem a value)."""
        spec = self.spec
        problems: list[tuple[str, exp.Expr | None]]
        if name in spec.facts:
            problems = self.fact(name)
        elif name in spec.levels:
            problems = [(NO_SUCH_LEVEL, exp.Not(this=_col(name).isin(*map(exp.Literal.string, spec.levels[name]))))]
        elif name in spec.judged:
            problems = self.score(name)
        elif name in RESERVED_KEYS:
            problems = []  # carried along (id, 名称), or read after the facts (历史, 年度)
        else:
            problems = [(UNKNOWN, exp.true())]  # a name the rubric does not declare, or a clause-scored item
        earlier: list[exp.Expr] = []
        for code, condition in problems:
            if condition is None:
                continue
            parts = [_given(name), *(exp.Not(this=exp.Paren(this=e.copy())) for e in earlier),
                     exp.Paren(this=condition)]
            # a condition over the value is NULL where the value is: only a constant needs `given`
            test = _given(name) if isinstance(condition, exp.Boolean) else condition.copy()
            yield RowCheck(code, name, _never_null(exp.and_(*parts)), test)
            earlier.append(condition)

    def places(self, name: str, default: int) -> int:
        places = self.scales.get(name, default)
        _refuse_places(self.rubric, self.spec, name, places)
        return places

    def fact(self, name: str) -> list[tuple[str, exp.Expr | None]]:
        fact = self.spec.facts[name]
        kind = fact.type.kind
        if kind == "bool":
            return []  # any BOOLEAN is 是 or 否
        if kind == "choice":
            return [(NOT_LISTED, exp.Not(this=_col(name).isin(*map(exp.Literal.string, fact.type.choices))))]
        value = _Stored(name, self.places(name, 0 if kind == "count" else DEFAULT_SCALE), self.fixed)
        found = [(TOO_LONG, self.too_long(value))]
        if kind == "count":  # whole and not below 0
            below = value.compare(exp.LT, 0)
            fraction = value.off(Fraction(1))  # None for an integer column
            found.append((NOT_A_COUNT, below if fraction is None else _either(below, fraction)))
        elif kind == "ratio":
            found.append((OUT_OF_RANGE, _either(value.compare(exp.LT, 0), value.compare(exp.GT, 1))))
        return found

    def too_long(self, value: _Stored) -> exp.Expr | None:
        """E518 (core.limits.too_many_digits) for the value n / 10^places as the reader gets it —
        an int, or a Decimal whose digits are n's and whose exponent is −places: more than
        `digits` digits in n, or more places than that. None where no BIGINT can have it."""
        if value.places > self.digits:
            return exp.true()  # every value: the reader counts the column's places
        bound = 10**self.digits
        if bound > BIGINT_MAX:
            return None
        bound_value = Fraction(bound, 10**value.places)
        return _either(value.compare(exp.GTE, bound_value), value.compare(exp.LTE, -bound_value))

    def score(self, name: str) -> list[tuple[str, exp.Expr | None]]:
        """A 酌情 score (acceptance.score_units): E518, then outside the range (E507), then off the
        grid (E508)."""
        step = self.spec.grid.step
        value = _Stored(name, self.places(name, grid_scale(step)), self.fixed)
        low, high = self.spec.unit_ranges[name]
        outside = _either(value.compare(exp.LT, low * step), value.compare(exp.GT, high * step))
        return [(TOO_LONG, self.too_long(value)), (SCORE_OUT_OF_RANGE, outside), (OFF_GRID, value.off(step))]

    def missing(self) -> Iterator[RowCheck]:
        """E501: a fact without 默认, then a score that must be given, NULL or without a column."""
        spec = self.spec
        needed = [name for name in spec.facts if name not in spec.defaults] + spec.required_judged
        for name in needed:
            yield RowCheck(MISSING, name, _null(name) if name in self.present else exp.true())

    def history(self) -> Iterator[RowCheck]:
        """E512: the reader reads the first of 历史 / history given, which must be an object —
        never a typed cell."""
        earlier: list[str] = []
        for key in HISTORY_KEYS:
            if key in self.present:
                yield RowCheck(MALFORMED, key, exp.and_(_given(key), *map(_null, earlier)))
                earlier.append(key)

    def year(self) -> Iterator[RowCheck]:
        """E512: the first of 年度 / year given must be an integer 1000–9999 or four digits (its
        text, as the column's type allows only those)."""
        earlier: list[str] = []
        for key in YEAR_KEYS:
            if key in self.present:
                bad = exp.Not(this=exp.Paren(this=_four_digit_year(key)))
                read = exp.and_(_given(key), *map(_null, earlier), exp.Paren(this=bad))
                yield RowCheck(MALFORMED, key, _never_null(read))
                earlier.append(key)


@attrs.frozen
class _Stored:
    """A number column as the table stores it: DECIMAL(p, `places`), an integer (`places` 0), or
    in a fixed-point dialect the integer value × 10^places."""

    name: str
    places: int
    fixed: bool

    def compare(self, op: type[exp.Binary], bound: Fraction | int) -> exp.Expr:
        """The value `op` the bound, exactly: against a literal of the column's own kind."""
        stored = Fraction(bound) * (10**self.places if self.fixed else 1)  # a fixed-point column holds n
        literal = lit(stored.numerator) if stored.denominator == 1 else _decimal_literal(stored)
        return op(this=_col(self.name), expression=literal)  # no arithmetic on the column: nothing overflows

    def off(self, step: Fraction) -> exp.Expr | None:
        """Not a whole number of `step`s. The value n / 10^places is one when n·q is a multiple of
        10^places·p (step p/q), that is when n is a multiple of m = 10^places·p / gcd(q, 10^places·p);
        None when m is 1 (every value is)."""
        whole = 10**self.places * step.numerator
        modulus = whole // math.gcd(step.denominator, whole)
        if modulus == 1:
            return None
        if self.fixed or not self.places:
            remainder = exp.Mod(this=_col(self.name), expression=lit(modulus))
        else:  # DECIMAL MOD is exact: the value modulo m / 10^places
            remainder = exp.Mod(this=_col(self.name), expression=_decimal_literal(Fraction(modulus, 10**self.places)))
        return exp.NEQ(this=remainder, expression=lit(0))


def _decimal_literal(value: Fraction) -> exp.Expr:
    """A finite decimal as an exact numeric literal (`0.5`, `-3`), which every dialect reads as DECIMAL."""
    places = 0
    while (value * 10**places).denominator != 1:
        places += 1
        assert places <= 40, value  # a bound here is always a finite decimal (the grid's step is one)
    whole = abs(value.numerator * 10**places // value.denominator)
    digits = str(whole).rjust(places + 1, "0")
    text = digits if not places else f"{digits[:-places]}.{digits[-places:]}"
    literal: exp.Expr = exp.Literal.number(text)
    return exp.Neg(this=literal) if value < 0 else literal


def _four_digit_year(key: str) -> exp.Expr:
    """The column's text is four ASCII digits, the first not 0: an integer 1000–9999, or text the
    reader takes (re `\\d{4}`, then 1000 ≤ year)."""
    text = exp.cast(_col(key), "VARCHAR")

    def char(k: int) -> exp.Expr:
        return exp.Substring(this=text.copy(), start=exp.Literal.number(k), length=exp.Literal.number(1))

    digits = [exp.Literal.string(str(d)) for d in range(10)]
    parts = [exp.EQ(this=exp.func("LENGTH", text.copy()), expression=lit(4)), char(1).isin(*digits[1:])]
    parts += [char(k).isin(*(d.copy() for d in digits)) for k in (2, 3, 4)]
    return exp.and_(*parts)


# the table's column types, refused before any query runs

_INTEGERS = frozenset({exp.DataType.Type.TINYINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.MEDIUMINT,
                       exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.UTINYINT,
                       exp.DataType.Type.USMALLINT, exp.DataType.Type.UMEDIUMINT, exp.DataType.Type.UINT})
_TEXTS = frozenset({exp.DataType.Type.VARCHAR, exp.DataType.Type.NVARCHAR, exp.DataType.Type.TEXT})
_NUMBER_WORDS = "BIGINT 或 DECIMAL(p, s)"
_EXPECTED = {"bool": "BOOLEAN", "count": _NUMBER_WORDS, "number": _NUMBER_WORDS, "ratio": _NUMBER_WORDS,
             "choice": "VARCHAR", "judged": _NUMBER_WORDS, "grades": "VARCHAR", "year": "BIGINT 或 VARCHAR",
             "history": "VARCHAR"}


def typed_scales(rubric: CheckedRubric, types: Mapping[str, exp.DataType]) -> dict[str, int]:
    """The decimal places of each 计数 / 数值 / 比例 and 酌情 score column (0 for an integer
    column), from the table's column types. A column whose type is not the one docs/sql.md gives
    its fact or score is refused (E607, at the fact or item): the Python engines read some such
    values (the text "12" as a 计数, "是" as a 是否) and refuse others one by one, which a query
    over typed columns cannot do alike. Columns that are not evidence (id, 名称, unknown names)
    may have any type."""
    spec = evaluator_for(rubric).evidence_spec
    scales: dict[str, int] = {}
    for name, sql_type in types.items():
        role = _role(spec, name)
        if role is None:
            continue
        places = _places_of(sql_type, role)
        if places is None:
            raise unsupported(rubric, _span(rubric, spec, name),
                              f"“{name}”列的类型是 {sql_type.sql()},SQL 计分要求 {_EXPECTED[role]}",
                              "按 docs/sql.md 的“输入表的类型”转换这一列(evidence_table 就这样做)")
        if role in ("count", "number", "ratio", "judged"):
            _refuse_places(rubric, spec, name, places)
            scales[name] = places
    return scales


def _role(spec: EvidenceSpec, name: str) -> str | None:
    """What the reader reads a column as (None: anything goes)."""
    if name in spec.facts:
        return spec.facts[name].type.kind
    if name in spec.judged:
        return "grades" if name in spec.levels else "judged"
    if name in YEAR_KEYS:
        return "year"
    if name in HISTORY_KEYS:
        return "history"
    return None


def _places_of(sql_type: exp.DataType, role: str) -> int | None:
    """The type's decimal places where it suits the role (0 for one without places), else None."""
    kind = sql_type.this
    if role == "bool":
        return 0 if kind == exp.DataType.Type.BOOLEAN else None
    if role in ("choice", "grades", "history"):
        return 0 if kind in _TEXTS else None
    if role == "year":
        return 0 if kind in _TEXTS or kind in _INTEGERS else None
    if kind in _INTEGERS:
        return 0
    if kind == exp.DataType.Type.DECIMAL and len(sql_type.expressions) == 2:  # an unbounded NUMERIC has no scale
        return int(sql_type.expressions[1].this.name)
    return None


def _refuse_places(rubric: CheckedRubric, spec: EvidenceSpec, name: str, places: int) -> None:
    """E607 for a number column of so many places that 10^places, the factor that makes its
    values BIGINT, is not below 2^62 (the bound of every literal, numbers.LIMIT)."""
    if 10**places >= LIMIT:
        message = f"“{name}”列有 {places} 位小数,SQL 计分按 BIGINT 计算,最多 18 位"
        raise unsupported(rubric, _span(rubric, spec, name), message, "把这一列换成小数位数较少的 DECIMAL")


def _span(rubric: CheckedRubric, spec: EvidenceSpec, name: str) -> Span:
    if name in spec.facts:
        return spec.facts[name].span
    if name in spec.judged:
        return spec.judged[name].span
    return rubric.definition.span


def arrow_types(schema: Any) -> dict[str, exp.DataType]:
    """An Arrow schema's column types as SQL types (what DuckDB reads them as); a type with no
    counterpart here keeps its Arrow name (and is refused where evidence must be typed)."""
    pa = load_pyarrow()
    return {field.name: _arrow_type(pa, field.type) for field in schema}


def _arrow_type(pa: Any, kind: Any) -> exp.DataType:
    types = exp.DataType.Type
    if pa.types.is_boolean(kind):
        return exp.DataType(this=types.BOOLEAN)
    if pa.types.is_integer(kind):
        signed = {8: types.TINYINT, 16: types.SMALLINT, 32: types.INT, 64: types.BIGINT}
        unsigned = {8: types.UTINYINT, 16: types.USMALLINT, 32: types.UINT, 64: types.UBIGINT}
        return exp.DataType(this=(signed if pa.types.is_signed_integer(kind) else unsigned)[kind.bit_width])
    if pa.types.is_decimal(kind):
        return exp.DataType(this=types.DECIMAL, expressions=[exp.DataTypeParam(this=exp.Literal.number(kind.precision)),
                                                              exp.DataTypeParam(this=exp.Literal.number(kind.scale))])
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return exp.DataType(this=types.VARCHAR)
    if pa.types.is_floating(kind):
        return exp.DataType(this=types.DOUBLE)
    return exp.DataType(this=types.USERDEFINED, kind=str(kind))
