"""The scoring plan (plan/scoring.py) compiled to one SELECT over a typed evidence table.

Every step of the plan becomes a named column, in grid units (BIGINT); a column is computed in
the first CTE after those it reads, so nothing is written twice and the query grows with the
rubric, not with its nesting. Numbers that are not whole (facts, 得分 = E, weights, 折算) are
exact rationals — a BIGINT numerator over a positive denominator — compared by cross
multiplication and made grid units by one half-up rounding, as in the plan. The last SELECT
gives per row the id, every item, section and group score, the regular sum and its maximum,
the total and each veto, in units (`…_units`) and as DECIMAL points.

The input is assumed validated (docs/sql.md): this query checks no evidence; where the
reference would refuse a row (E5xx), its scores here mean nothing.

A division by what a branch gives divides by 1 where the divisor is 0 (numbers.quotient), and
notes where the reference would have divided by that 0 (E510): each expression is compiled with
the condition under which the reference evaluates it (`reached`: the 若 branch taken, the 且 / 或
operands before it that left the answer open, the item's 不适用 rules that did not hold), and
each division by a divisor that is not a fixed nonzero number adds `reached AND divisor = 0` to
`zeros` (in the reference's order, with the place it is in); query.py makes their OR the row's
E510. On a row where none holds, every value the reference computes is the query's exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from fractions import Fraction

import attrs
from sqlglot import exp

from ..check.model import CheckedRubric
from ..check.schemes import scheme_sources
from ..core.diagnostics import StarrulesError
from ..core.reporter import Reporter
from ..core.source import Span
from ..eval.evaluator import evaluator_for
from ..check.exprcheck import walk
from ..lang import ast
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, DivisionByZero, ExprCompiler, value_key
from ..plan.scoring import (Award, Base, CapDeductions, ChoicePlan, Clamp, ComputeScore, Deduct, ItemPlan, LeaveOut,
                            Rule, ScoringPlan, SectionPlan, Settle)
from .numbers import (LIMIT, Num, big, case, chosen, compared, den_expr, flag, floor_div, floored, greatest,
                      half_up, least, lit, mul, negated, paren, plus, product, quotient, static, sub, times, total,
                      trunc_div)

DEFAULT_SCALE = 6  # decimal places of a 数值 / 比例 column when the caller names none (DECIMAL(38, 6))
UNSUPPORTED = "E607"
# dialects whose DECIMAL is a float: a DECIMAL(p, s) column is stored there as the INTEGER value × 10^s
# (fixed point), and the scores are given in grid units only
NO_DECIMAL = frozenset({"sqlite"})
# dialects whose CAST of a number too large for the type clips it with a warning instead of failing
# (MySQL, MariaDB): a DECIMAL is made a BIGINT there with `DIV 1`, which fails on overflow
CLIPPING = frozenset({"mysql"})
# dialects whose planners merge a CTE into the query reading it by copying each column's expression
# where it is read: a column read twice in the next stage doubles, and the stages multiply (SQLite ran
# out of memory on a graded rubric). OFFSET 0 keeps each stage a stage there (the planners' documented fence).
FENCED = frozenset({"sqlite", "postgres"})


@attrs.frozen
class Flag:
    """A condition per row (a SQL boolean)."""

    expr: exp.Expr


@attrs.frozen
class Text:
    """A choice value per row (VARCHAR)."""

    expr: exp.Expr


Val = Num | Flag | Text | str  # str: a choice value written in the rubric
Zeros = list[tuple[str, exp.Expr]]  # (place, where the reference divides by 0 there), in its order


def unsupported(rubric: CheckedRubric, span: Span, message: str, hint: str | None = None) -> StarrulesError:
    """E607 at `span`, shown in the rubric's source: a rubric, or an input column, the SQL compiler
    cannot handle yet (a plain StarrulesError: the code says what it is)."""
    reporter = Reporter()
    for file, text in scheme_sources(rubric).items():  # a built-in scheme's span is in its own file
        reporter.add_source(file, text)
    reporter.report(UNSUPPORTED, message, span, hint)
    return StarrulesError(reporter.diagnostics)


def grid_scale(step: Fraction) -> int:
    """Decimal places of the grid's step (a finite decimal: its denominator is 2^a·5^b)."""
    places = 0
    while (step * 10**places).denominator != 1:
        places += 1
    return places


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


class Compiler:
    """The scoring plan as columns: `inputs()` and `run()` define them, `expr` compiles any
    expression of the language over them (grading and cohort rules use it), `select` writes the
    query."""

    values: dict[str, Val]

    def __init__(self, rubric: CheckedRubric, table: str, columns: Sequence[str] | None,
                 scales: Mapping[str, int], dialect: str) -> None:
        if rubric.raters is not None:
            raise unsupported(rubric, rubric.raters.span, "SQL 计分尚不支持多个评分人(综合 …)",
                              "用 rubric.evaluate 或 evaluate_columns 计分")
        self.rubric, self.table, self.scales, self.dialect = rubric, table, scales, dialect
        self.plan: ScoringPlan = evaluator_for(rubric).plan
        self.spec = evaluator_for(rubric).evidence_spec
        self.columns = None if columns is None else set(columns)
        self.step = self.plan.grid.step
        self.depth: dict[str, int] = {}  # every column defined so far → its CTE (0: read from the table)
        self.stages: list[list[exp.Expr]] = [[]]
        self.values: dict[str, Val] = {}
        self.units: dict[str, exp.Expr] = {}  # item / section id → its units column
        self.out: dict[str, exp.Expr] = {}  # item id → its 不适用 flag column
        self.maxima: dict[str, exp.Expr] = {}  # section id → its applicable maximum (units)
        self.vetoes: list[exp.Expr] = []
        self.passed: list[str] = ["id"]  # table columns the query hands through unchanged (when present)
        self.guard: exp.Expr | None = None  # where a row's inputs are read (validation): NULL elsewhere
        # E510: the steps' divisions by 0 (lets and items, in plan order), then the vetoes' (the
        # reference tests those after every step); each let's, for the 适用 line (query.py)
        self.zeros: Zeros = []
        self.veto_zeros: Zeros = []
        self.let_zeros: dict[str, exp.Expr] = {}
        self.reached: list[exp.Expr] = []  # inside the expression being compiled: where this part is evaluated
        self.dividing: list[exp.Expr] | None = None  # its divisions by 0 so far (None: no statement is compiled)

    # columns, each in the first CTE after those it reads
    def define(self, expr: exp.Expr, prefix: str = "c") -> exp.Column:
        """`expr` as a new column: in the table's CTE for inputs (`prefix` "in"), else in the
        first CTE after every column it reads."""
        if prefix == "in":
            depth = 0
        elif isinstance(expr, exp.Column) and expr.name in self.depth:
            return expr  # a column already: a copy would only add a stage
        else:
            read = [self.depth[c.name] for c in expr.find_all(exp.Column) if c.name in self.depth]
            depth = 1 + max(read, default=0)
        name = f"_{prefix}{len(self.depth)}"
        self.depth[name] = depth
        while len(self.stages) <= depth:
            self.stages.append([])
        self.stages[depth].append(exp.alias_(expr, name, quoted=True))
        return _col(name)

    def keep(self, value: Num) -> Num:
        """The number as columns (so it can be read more than once without being rewritten)."""
        num = value.num if _simple(value.num) else self.define(value.num)
        den = value.den if isinstance(value.den, int) or _simple(value.den) else self.define(value.den)
        return Num(num, den)

    def too_large(self) -> StarrulesError:
        return unsupported(self.rubric, self.rubric.definition.span, "标准中的数太大,SQL 的 BIGINT 无法精确计算",
                           f"SQL 计分要求分值、精度和数字换算成整数后小于 2^62(约 {LIMIT:.1e})")

    def select(self, outputs: Sequence[tuple[str, exp.Expr]], checked: Sequence[tuple[str, exp.Expr]] = ()) -> exp.Select:
        """The query: `checked` columns computed over the table first (validation: the inputs of
        a row they flag are read as NULL, so a bad value never reaches the arithmetic), then each
        stage of columns as a CTE, then `outputs` (name, expression) over the last."""
        ctes: list[tuple[str, exp.Select]] = []
        source: exp.Expr = exp.to_table(self.table).as_("ev")
        if checked:
            ctes.append(("_checked", exp.select(exp.Star(), *(exp.alias_(e, n, quoted=True) for n, e in checked))
                         .from_(source)))
            source = exp.to_table("_checked")
        keep = [_col(name) for name in self.passed if self.columns is not None and name in self.columns]
        keep += [_col(name) for name, _ in checked]  # read by the error columns, in later stages
        first = exp.select(*keep, *self.stages[0]).from_(source)
        if not first.expressions:
            first = exp.select(exp.alias_(lit(0), "_none", quoted=True)).from_(source)
        ctes.append(("_stage0", first))
        for k, stage in enumerate(self.stages[1:], 1):
            ctes.append((f"_stage{k}", exp.select(exp.Star(), *stage).from_(exp.to_table(f"_stage{k - 1}"))))
        if self.dialect in FENCED:
            ctes = [(name, cte.offset(0, copy=False)) for name, cte in ctes]
        final = exp.select(*(exp.alias_(e.copy(), n, quoted=True) for n, e in outputs)) \
            .from_(exp.to_table(ctes[-1][0]))
        for name, cte in ctes:
            final = final.with_(name, as_=cte, copy=False)  # (a copy per call: quadratic)
        return final

    def scores(self) -> dict[str, exp.Expr]:
        """The scoring columns by output name: units (BIGINT) and points (DECIMAL), each item's
        applicable flag, each section's applicable maximum, the regular sum, the total, the vetoes."""
        plan, scale = self.plan, grid_scale(self.step)
        points = exp.Literal.number(str(_decimal_text(self.step)))
        precisions = point_precisions(plan)

        def points_of(column: str, units: exp.Expr) -> None:  # × the step literal: exact at the grid's scale
            found[f"{column}_units"] = units
            width = precisions[column]
            found[column] = exp.cast(mul(exp.cast(units.copy(), f"DECIMAL({width}, 0)"), points.copy()),
                                     f"DECIMAL({width}, {scale})")

        found: dict[str, exp.Expr] = {}
        for k, item in enumerate(plan.items.values(), 1):
            points_of(f"item_{k}", self.units[item.id])
            found[f"item_{k}_applicable"] = exp.Not(this=paren(self.out[item.id])) if item.id in self.out \
                else exp.Boolean(this=True)
        for k, section in enumerate(plan.sections, 1):
            points_of(f"section_{k}", self.units[section.id])
            found[f"section_{k}_max_units"] = self.maxima[section.id]
        found["regular_units"], found["regular_max_units"] = self.units["regular"], self.units["regular_max"]
        points_of("total", self.units["total"])
        found["below_pass"] = self.below_pass().num
        for k, veto in enumerate(self.vetoes, 1):
            found[f"veto_{k}"] = veto
        return found

    def below_pass(self) -> Num:
        """未达标类型数: the regular sections below their 达标 line (defined once, when first read)."""
        if BELOW_PASS_KEY not in self.values:
            failing = [flag(exp.LT(this=self.units[p.id], expression=self.units_lit(p.pass_line)))
                       for p in self.plan.regular if p.pass_line is not None]
            self.values[BELOW_PASS_KEY] = Num(self.define(total(failing)) if failing else lit(0))
        value = self.values[BELOW_PASS_KEY]
        assert isinstance(value, Num)
        return value

    def lookup(self, key: str) -> Val:
        """A value key as the graded values give it: a section's score (`@类型`) and 未达标类型数
        are made when first read (the scoring plan makes only those its own rules read)."""
        if key not in self.values:
            if key == BELOW_PASS_KEY:
                return self.below_pass()
            section = next((p for p in self.plan.sections if f"@{p.name}" == key), None)
            if section is None:
                raise KeyError(key)
            self.values[key] = self.points(self.units[section.id])
        return self.values[key]

    # evidence columns
    def present(self, name: str) -> bool:
        return self.columns is None or name in self.columns

    def raw(self, name: str, number: bool = True) -> exp.Expr:
        """A table column as read: NULL when the table lacks it, and a number NULL where the row
        failed validation (so no bad value reaches the arithmetic, where it could stop the query;
        a flag, choice or level cannot, and the scores of such a row are not given)."""
        if not self.present(name):
            return exp.Null()
        return _col(name) if self.guard is None or not number else exp.Case().when(self.guard.copy(), _col(name))

    def inputs(self) -> None:
        defaults = self.spec.defaults
        for name, fact in self.plan.facts.items():
            kind = fact.type.kind
            raw = self.raw(name, kind not in ("bool", "choice"))
            default = defaults.get(name)
            if kind == "bool":
                value = raw if default is None else exp.func("COALESCE", raw, exp.Boolean(this=bool(default)))
                self.values[name] = Flag(self.define(exp.cast(value, "BOOLEAN"), "in"))
            elif kind == "choice":
                value = raw if default is None else exp.func("COALESCE", raw, exp.Literal.string(str(default)))
                self.values[name] = Text(self.define(exp.cast(value, "VARCHAR"), "in"))
            else:
                if kind == "count":  # a whole number (validated), whatever the column's type
                    read = Num(self.define(self.whole(raw, self.scales.get(name, 0)), "in"))
                else:
                    places = self.scales.get(name, DEFAULT_SCALE)
                    read = Num(self.define(self.scaled_int(raw, places), "in"), 10**places)
                if default is not None:
                    assert not isinstance(default, (bool, str))
                    missing = Num(self.define(exp.Is(this=raw.copy(), expression=exp.Null()), "in"))
                    read = chosen(missing.num, self.constant(default), read)
                self.values[name] = self.keep(read) if default is not None else read
        self.judged: dict[str, exp.Expr] = {}
        for name in self.spec.judged:
            if name in self.spec.levels:
                levels = exp.Case(this=self.raw(name, number=False))
                for level, units in self.spec.levels[name].items():
                    levels = levels.when(exp.Literal.string(level), lit(units))
                self.judged[name] = self.define(levels.else_(lit(0)), "in")
                continue
            score = self.grid_units(self.raw(name), self.scales.get(name, grid_scale(self.step)))
            self.judged[name] = self.define(exp.func("COALESCE", score, lit(0)), "in")

    def grid_units(self, raw: exp.Expr, places: int) -> exp.Expr:
        """A 酌情 score column in grid units: value / step (step p/q), exact for a value on the
        grid (which validation makes sure of), so nothing is rounded: a DECIMAL x as
        CAST(x·q AS BIGINT) ÷ p, an integer n (the value n / 10^places) as n·q ÷ 10^places·p, each
        fraction reduced first."""
        step = self.step
        if self.dialect in NO_DECIMAL or places == 0:
            whole = 10**places * step.numerator
            common = math.gcd(step.denominator, whole)
            units = times(big(raw.copy()), step.denominator // common)
            divisor = whole // common
        else:
            units = _scaled_int(raw, places, self.dialect, step.denominator)
            divisor = step.numerator
        return units if divisor == 1 else trunc_div(units, lit(divisor))

    def whole(self, raw: exp.Expr, places: int) -> exp.Expr:
        """A 计数 column as a BIGINT: a DECIMAL(p, places) one cast (its value is whole), a
        fixed-point one (the value × 10^places) divided back, exactly."""
        if self.dialect in NO_DECIMAL and places:
            return trunc_div(big(raw.copy()), lit(10**places))
        if self.dialect in CLIPPING and places:
            return exp.IntDiv(this=paren(raw.copy()), expression=exp.Literal.number(1))
        return big(raw.copy())

    def scaled_int(self, raw: exp.Expr, places: int) -> exp.Expr:
        """A number column as the BIGINT value × 10^places (already so in a fixed-point dialect)."""
        return exp.cast(raw.copy(), "BIGINT") if self.dialect in NO_DECIMAL else _scaled_int(raw, places, self.dialect)

    def constant(self, value: int | Fraction) -> Num:
        value = Fraction(value)
        if abs(value.numerator) >= LIMIT or value.denominator >= LIMIT:
            raise self.too_large()
        return Num.constant(value)

    # the plan's steps, in graph order
    def run(self) -> None:
        plan = self.plan
        for step in plan.steps:
            if step.kind == "let":
                name = str(step.key)
                value, zero = self.guarded(plan.lets[name])
                if zero is not None:
                    self.let_zeros[name] = self.note(self.zeros, name, zero)
                self.values[name] = self.keep(value) if isinstance(value, Num) else \
                    Flag(self.define(value.expr)) if isinstance(value, Flag) else \
                    Text(self.define(value.expr)) if isinstance(value, Text) else value
            elif step.kind == "item":
                self.item(plan.items[str(step.key)])
            elif step.kind == "section":
                self.section(plan.section(str(step.key)))
            elif step.kind == "below_pass":
                self.below_pass()
            elif step.kind == "regular":
                self.regular()
            elif step.kind == "total":
                self.total()
            else:
                rule = plan.vetoes[int(step.key)].rule
                place = f"否决 {len(self.vetoes) + 1}"
                self.vetoes.append(self.define(self.flag(self.statement(_source(rule), place, into=self.veto_zeros))))

    def units_lit(self, units: int) -> exp.Expr:
        if abs(units) >= LIMIT:
            raise self.too_large()
        return lit(units)

    def item(self, plan: ItemPlan) -> None:
        """The item's §3 program (plan/scoring.py), each register a column."""
        score: exp.Expr = lit(0)
        deducted: exp.Expr | None = None
        out: exp.Expr | None = None
        for op in plan.program:
            # once a 不适用 rule holds, the reference runs no later step (_ItemRun._leave_out)
            reached = None if out is None else exp.Not(this=paren(out.copy()))
            if isinstance(op, LeaveOut):
                out = self.out[plan.id] = self.leave_out(plan.name, op)
            elif isinstance(op, ComputeScore):  # the value in grid units, half up once: value / step
                value = self.keep(product(self.number(self.statement(_source(op.rule), plan.name, reached)),
                                          Num(lit(self.step.denominator), self.step.numerator)))
                score = self.define(half_up(value.num, den_expr(value.den)))
            elif isinstance(op, Base):
                score = self.judged[plan.name] if op.kind == "judged" else self.units_lit(op.units)
                if op.partial:  # 酌情给分 / 酌情扣分: units + sign × entry (plan.scoring.Base)
                    score = self.define(exp.Add(this=self.units_lit(op.units), expression=score) if op.sign > 0
                                        else sub(self.units_lit(op.units), score))
            elif isinstance(op, Deduct):
                amount = self.deduction(op.rule, op.per, self.statement(_source(op.rule), plan.name, reached))
                deducted = amount if deducted is None else exp.Add(this=deducted, expression=amount)
            elif isinstance(op, CapDeductions):
                deducted = least(paren(deducted or lit(0)), self.units_lit(op.rule.units))
            elif isinstance(op, Settle):
                kept = deducted or lit(0)
                score = self.define(exp.Add(this=score, expression=paren(kept)) if op.sign > 0 else sub(score, kept))
            elif isinstance(op, Award):
                gained = flag(self.flag(self.statement(_source(op.rule), plan.name, reached)), op.rule.units)
                score = self.define(gained if static(score) == 0 else exp.Add(this=score, expression=gained))
            elif isinstance(op, Clamp):
                clamped = least(score, self.units_lit(op.high))
                score = self.define(clamped if op.low is None else greatest(clamped, self.units_lit(op.low)))
            else:  # Zero: 不得分 如果 C
                zero = self.flag(self.statement(_source(op.rule), plan.name, reached))
                score = self.define(case(zero, lit(0), score))
        if out is not None:
            score = self.define(case(out, lit(0), score))
        elif not isinstance(score, exp.Column):
            score = self.define(score)
        self.units[plan.id] = score
        self.values[f"@{plan.name}"] = self.points(score)

    def leave_out(self, place: str, op: LeaveOut) -> exp.Expr:
        """① 不适用: whether any rule holds. The reference tests them in order and stops at the
        first that holds, so a rule is evaluated only where none before it held."""
        tested = [self.guarded(_source(r)) for r in op.rules]
        conditions = [self.flag(value) for value, _ in tested]
        if any(zero is not None for _, zero in tested):
            conditions = [self.define(c) for c in conditions]  # read again by where the later rules run
            for k, (_, zero) in enumerate(tested):
                if zero is not None:
                    self.note(self.zeros, place, zero, [exp.Not(this=paren(c.copy())) for c in conditions[:k]])
        return self.define(conditions[0] if len(conditions) == 1 else exp.or_(*map(paren, conditions)))

    def deduction(self, rule: Rule, per: bool, value: Val) -> exp.Expr:
        """扣 N 如果 C: N where C holds; 每 [K] E 扣 N: N × ⌊E / K⌋ (N × E half up without K), only
        where E > 0 (`value`: C or E)."""
        units = self.units_lit(rule.units)
        if not per:
            return flag(self.flag(value), rule.units)
        q = self.keep(self.number(value))
        if rule.step is not None:  # ⌊q / K⌋ = ⌊q.num·K.den / (q.den·K.num)⌋
            divisor = rule.step.numerator * q.den if isinstance(q.den, int) else times(q.den, rule.step.numerator)
            count = floor_div(times(q.num, rule.step.denominator), lit(divisor) if isinstance(divisor, int) else divisor)
            amount = mul(units, count)
        else:
            amount = half_up(self.define(times(q.num, rule.units)), den_expr(q.den))
        return case(exp.GT(this=q.num, expression=lit(0)), amount, lit(0))

    def points(self, units: exp.Expr) -> Num:
        return Num(times(units, self.step.numerator), self.step.denominator)

    def section(self, plan: SectionPlan) -> None:
        parts = [self.units[i] for i in plan.free]
        parts += [self.choice(c) for c in plan.choices]
        parts += [self.units[g] for g in plan.groups]
        score = self.define(least(greatest(paren(total(parts)), lit(0)), self.units_lit(plan.points)))
        self.units[plan.id] = score
        maximum: exp.Expr = self.units_lit(plan.points)
        optional = [i for i in plan.items if i in self.out]
        lost = [sub(self.units_lit(self.plan.section(g).points), self.maxima[g]) for g in plan.groups
                if static(self.maxima[g]) is None]
        if plan.kind in ("regular", "group") and (optional or lost):
            left_out = [flag(self.out[i], plan.item_max[i]) for i in optional] + lost
            maximum = self.define(greatest(sub(maximum, total(left_out)), lit(0)))
        self.maxima[plan.id] = maximum
        if plan.score_key is not None and plan.score_key not in self.values:
            self.values[plan.score_key] = self.points(score)
        fixed = static(maximum)
        rate = (Num(score, fixed) if fixed else Num(lit(1))) if fixed is not None else \
            chosen(exp.EQ(this=maximum, expression=lit(0)), Num(lit(1)), Num(score, maximum))
        self.values.setdefault(f"@{plan.name}.{ast.GROUP_PARTS['max']}", self.points(maximum))
        self.values.setdefault(f"@{plan.name}.{ast.GROUP_PARTS['rate']}", rate)

    def choice(self, choice: ChoicePlan) -> exp.Expr:
        """The path sum the choice counts: the greatest (取其高) or the one the 选项 fact names."""
        sums = [paren(total([self.units[i] for i in items])) for _, items in choice.paths]
        if choice.by is None:
            return self.define(greatest(*sums) if len(sums) > 1 else sums[0])
        fact = self.values[choice.by]
        assert isinstance(fact, Text)
        picked = exp.Case(this=fact.expr)
        for (name, _), path_sum in zip(choice.paths, sums):
            picked = picked.when(exp.Literal.string(name), path_sum)
        return self.define(picked.else_(lit(0)))

    def regular(self) -> None:
        """`RegularSum.combine`: plain, weighted or 折算, rounded half up once."""
        rs, plans = self.plan.regular_sum, self.plan.regular
        scores = [Num(self.units[p.id]) for p in plans]
        maxima = [Num(self.maxima[p.id]) for p in plans]
        if rs.weights is not None:  # each section over its applicable maximum, × weight × 满分
            score, maximum = Num(lit(0)), Num(lit(0))
            for u, m, w in zip(scores, maxima, rs.weights):
                part = self.constant(rs.scale * (w or 0))
                if static(m.num) is not None:  # no 不适用 inside: a fixed maximum (0: adds nothing)
                    fixed = static(m.num) or 0
                    if fixed:
                        score = plus(score, Num(mul(u.num, part.num), part.den * fixed))
                        maximum = plus(maximum, part)
                    continue
                empty = exp.EQ(this=m.num, expression=lit(0))
                divisor = self.define(case(empty, lit(1), m.num))
                assert isinstance(part.den, int)
                share = Num(mul(u.num, part.num), times(divisor, part.den))
                score = self.keep(plus(score, chosen(empty.copy(), Num(lit(0)), share)))
                maximum = self.keep(plus(maximum, chosen(empty.copy(), Num(lit(0)), part)))
        else:
            score, maximum = Num(total(list(s.num for s in scores))), Num(total(list(m.num for m in maxima)))
        if rs.target is not None:
            maximum = self.keep(maximum)
            empty = exp.EQ(this=maximum.num, expression=lit(0))
            safe = self.keep(chosen(empty, Num(lit(1)), maximum))
            scaled = quotient(product(score, self.constant(rs.target)), safe)
            score = chosen(empty.copy(), Num(lit(0)), scaled)
            maximum = self.constant(rs.target)
        score, maximum = self.keep(score), self.keep(maximum)
        self.units["regular"] = self.define(half_up(score.num, den_expr(score.den)))
        self.units["regular_max"] = self.define(half_up(maximum.num, den_expr(maximum.den)))

    def total(self) -> None:
        parts: list[exp.Expr] = [self.units["regular"]]
        for plan in self.plan.sections:
            if plan.kind == "bonus":
                parts.append(self.units[plan.id])
            elif plan.kind == "penalty":
                parts.append(exp.Neg(this=self.units[plan.id]))
        score = self.define(greatest(paren(total(parts)), lit(0)))
        self.units["total"] = score
        self.values[TOTAL_KEY] = self.points(score)

    # expressions (plan/expressions.py, a row at a time → a column at a time)
    def guarded(self, e: ast.Expr) -> tuple[Val, exp.Expr | None]:
        """`e` compiled, and where evaluating it divides by 0 (None: nowhere): the OR of
        `reached AND divisor = 0` over its divisions, `reached` counted from `e` itself."""
        outer = self.reached, self.dividing
        self.reached, self.dividing = [], []
        try:
            value = self.expr(e)
            zeros = self.dividing
        finally:
            self.reached, self.dividing = outer
        return value, exp.or_(*map(paren, zeros)) if zeros else None

    def note(self, into: Zeros, place: str, zero: exp.Expr, reached: Sequence[exp.Expr] = ()) -> exp.Expr:
        """Adds to `into` that the row divides by 0 at `place` where `zero` holds and the
        statement is evaluated (where every one of `reached` holds); gives that condition's column."""
        column = self.define(exp.and_(*map(paren, reached), paren(zero)) if reached else zero)
        into.append((place, column))
        return column

    def statement(self, e: ast.Expr, place: str, reached: exp.Expr | None = None, into: Zeros | None = None) -> Val:
        """`e`, a rule's or a veto's expression, which the reference evaluates where `reached` holds
        (None: always); its divisions by 0 are noted at `place` (in `zeros` unless `into`)."""
        value, zero = self.guarded(e)
        if zero is not None:
            self.note(self.zeros if into is None else into, place, zero, () if reached is None else (reached,))
        return value

    @contextmanager
    def within(self, conditions: Sequence[exp.Expr]) -> Iterator[None]:
        """What is compiled inside is evaluated by the reference only where `conditions` hold too."""
        self.reached.extend(conditions)
        try:
            yield
        finally:
            del self.reached[len(self.reached) - len(conditions):]

    def divided(self, left: Num, right: Num, divisor: ast.Expr) -> Num:
        """left ÷ right; unless the divisor is a fixed nonzero number, where the reference would
        divide by 0 is noted (E510), or refused (E607) outside a statement (a cohort rule's extra
        column, which the reference ranks, not scores)."""
        right = self.keep(right)
        if not _fixed_nonzero(divisor):
            if self.dividing is None:
                raise unsupported(self.rubric, divisor.span, "SQL 排名规则中尚不支持除以事实、派生值或得分",
                                  "除数为 0 的党支部无法照参考实现排名:请用 starrules.rank")
            self.dividing.append(exp.and_(*(paren(c.copy()) for c in self.reached),
                                          exp.EQ(this=right.num.copy(), expression=lit(0))))
        return quotient(left, right)

    def lazily(self, operands: Sequence[ast.Expr], conjunction: bool,
               test: Callable[[ast.Expr], exp.Expr] | None = None) -> list[exp.Expr]:
        """The operands of 且 / 全部 (`conjunction`) or 或 / 任一 / 属于 as conditions (`test`: what
        each operand is tested as; default the operand itself): the reference (Python's all / any)
        evaluates one only where those before it leave the answer open."""
        tested = test or (lambda operand: self.flag(self.expr(operand)))
        values: list[exp.Expr] = []
        for k, operand in enumerate(operands):
            open_: list[exp.Expr] = []
            if k and _divides(operand):
                values = [self.define(v) for v in values]  # read again by where this one is evaluated
                open_ = [v.copy() if conjunction else exp.Not(this=paren(v.copy())) for v in values]
            with self.within(open_):
                values.append(paren(tested(operand)))
        return values

    def flag(self, value: Val) -> exp.Expr:
        assert isinstance(value, Flag), value
        return value.expr

    def number(self, value: Val) -> Num:
        assert isinstance(value, Num), value
        return value

    def text(self, value: Val) -> exp.Expr:
        return value.expr if isinstance(value, Text) else exp.Literal.string(str(value))

    def expr(self, e: ast.Expr) -> Val:
        if isinstance(e, (ast.Number, ast.Percent)):
            return self.constant(e.value)
        if isinstance(e, ast.Bool):
            return Flag(exp.Boolean(this=e.value))
        if isinstance(e, ast.NameRef):
            return self.values.get(e.name, e.name)
        if isinstance(e, (ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)):
            return self.lookup(value_key(e))
        if isinstance(e, ast.Negate):
            return negated(self.number(self.expr(e.operand)))
        if isinstance(e, ast.Binary):
            left, right = self.number(self.expr(e.left)), self.number(self.expr(e.right))
            if e.op == "/":
                return self.divided(left, right, e.right)
            return product(left, right) if e.op == "*" else plus(left, right, 1 if e.op == "+" else -1)
        if isinstance(e, ast.Compare):
            return Flag(self.compare(self.expr(e.left), self.expr(e.right), e.op))
        if isinstance(e, ast.InList):  # the options in order, up to the first equal one (Python's any)
            member = self.expr(e.operand)
            return Flag(exp.or_(*self.lazily(e.options, False, lambda o: self.compare(member, self.expr(o), "="))))
        if isinstance(e, ast.Not):
            return Flag(exp.Not(this=paren(self.flag(self.expr(e.operand)))))
        if isinstance(e, (ast.And, ast.Or)):
            join = exp.and_ if isinstance(e, ast.And) else exp.or_
            return Flag(join(*self.lazily(e.operands, isinstance(e, ast.And))))
        if isinstance(e, ast.IfElse):  # one branch is evaluated
            condition = self.flag(self.expr(e.condition))
            if not (_divides(e.then) or _divides(e.otherwise)):
                return self.choose(condition, self.expr(e.then), self.expr(e.otherwise))
            condition = self.define(condition)
            with self.within([condition.copy()]):
                then = self.expr(e.then)
            with self.within([exp.Not(this=paren(condition.copy()))]):
                otherwise = self.expr(e.otherwise)
            return self.choose(condition, then, otherwise)
        if isinstance(e, ast.Call):
            args = [self.keep(self.number(self.expr(a))) for a in e.args]
            if e.function == "floor":
                return floored(args[0])
            op: type[exp.Binary] = exp.LT if e.function == "min" else exp.GT
            best = args[0]
            for other in args[1:]:
                best = self.keep(chosen(compared(other, best, op), other, best))
            return best
        assert isinstance(e, ast.ListCall)
        if e.function in ("any", "all"):
            items = self.lazily(e.items, e.function == "all")
            return Flag(exp.or_(*items) if e.function == "any" else exp.and_(*items))
        items = [paren(self.flag(self.expr(i))) for i in e.items]  # 满足数 / 未满足数: every item
        if e.function == "count_true":
            return Num(paren(total([flag(i) for i in items])))
        assert e.function == "count_false"
        return Num(paren(total([flag(exp.Not(this=i)) for i in items])))

    def compare(self, left: Val, right: Val, op: str) -> exp.Expr:
        node = _COMPARE[op]
        if isinstance(left, Num) and isinstance(right, Num):
            return compared(left, right, node)
        if isinstance(left, (Text, str)) or isinstance(right, (Text, str)):
            return node(this=self.text(left), expression=self.text(right))
        return node(this=paren(self.flag(left)), expression=paren(self.flag(right)))

    def choose(self, condition: exp.Expr, then: Val, otherwise: Val) -> Val:
        if isinstance(then, Num) and isinstance(otherwise, Num):
            return chosen(condition, then, otherwise)
        if isinstance(then, (Text, str)) or isinstance(otherwise, (Text, str)):
            return Text(case(condition, self.text(then), self.text(otherwise)))
        return Flag(case(condition, self.flag(then), self.flag(otherwise)))


_READS = (ast.NameRef, ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)  # what makes a divisor differ by row
_COMPARE: dict[str, type[exp.Binary]] = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE, "=": exp.EQ,
                                         "!=": exp.NEQ}


def point_precisions(plan: ScoringPlan) -> dict[str, int]:
    """The DECIMAL precision of each points column (`item_k`, `section_k`, `total`): 18 where the
    plan bounds the score so that it fits (a 64-bit DECIMAL, several times cheaper to compute and
    store than a 128-bit one), else 38 — an item that may go below zero without a floor (可倒扣)."""
    rs = plan.regular_sum
    if rs.target is not None:
        regular = rs.target
    elif rs.weights is not None:
        regular = math.ceil(rs.scale * sum((abs(w) for w in rs.weights if w), Fraction(0))) + 1  # + 1: rounded half up
    else:
        regular = sum(p.points for p in plan.regular)
    bounds: dict[str, int | None] = {}
    for k, item in enumerate(plan.items.values(), 1):
        clamp = next((op for op in reversed(item.program) if isinstance(op, Clamp)), None)
        bounds[f"item_{k}"] = None if clamp is None or clamp.low is None else max(abs(clamp.high), abs(clamp.low))
    for k, section in enumerate(plan.sections, 1):
        bounds[f"section_{k}"] = section.points
    bounds["total"] = regular + sum(p.points for p in plan.sections if p.kind == "bonus")
    step, places = plan.grid.step, grid_scale(plan.grid.step)
    return {column: 18 if bound is not None and bound * step * 10**places < 10**18 else 38
            for column, bound in bounds.items()}


def _fixed_nonzero(divisor: ast.Expr) -> bool:
    """A divisor that reads nothing and is not 0: the same number on every row, never E510."""
    if any(isinstance(node, _READS) for node in walk(divisor)):
        return False
    try:
        return ExprCompiler(set()).compile(divisor)({}) != 0
    except DivisionByZero:
        return False


def _divides(e: ast.Expr) -> bool:
    """Whether `e` holds a division that may be by 0 (so where it is evaluated matters)."""
    return any(isinstance(node, ast.Binary) and node.op == "/" and not _fixed_nonzero(node.right) for node in walk(e))


def _source(rule: Rule) -> ast.Expr:
    assert rule.source is not None
    return rule.source


def _simple(e: exp.Expr) -> bool:
    return isinstance(e, (exp.Column, exp.Literal)) or isinstance(e, exp.Cast) and isinstance(e.this, exp.Literal)




def _scaled_int(raw: exp.Expr, places: int, dialect: str, factor: int | None = None) -> exp.Expr:
    """A DECIMAL(p, places) or BIGINT column as the BIGINT value × `factor` (default 10^places),
    exact where that is whole. A DECIMAL is first narrowed to DECIMAL(18, places) — a 64-bit
    decimal, so the product and the cast to BIGINT need no 128-bit arithmetic (four times
    cheaper in DuckDB, and Spark keeps it in a long) — and multiplied by a plain numeric literal,
    which keeps it a DECIMAL. A value too large for that (|value| ≥ 10^(18 − places), where the
    BIGINT itself would have no room) stops the query with the engine's overflow error — in MySQL
    too, where a CAST that overflows only clips the value and warns: there the product goes to a
    BIGINT through `DIV 1`, which fails (error 1690) instead."""
    if dialect in CLIPPING and places:
        product = exp.Mul(this=paren(raw.copy()), expression=exp.Literal.number(factor or 10**places))
        return exp.IntDiv(this=exp.Paren(this=product), expression=exp.Literal.number(1))
    if places == 0:
        return exp.cast(times(raw.copy(), factor or 1), "BIGINT")
    narrowed = exp.cast(raw.copy(), f"DECIMAL(18, {places})")
    return exp.cast(exp.Mul(this=narrowed, expression=exp.Literal.number(factor or 10**places)), "BIGINT")


def _decimal_text(step: Fraction) -> str:
    places = grid_scale(step)
    whole, rest = divmod(step.numerator * 10**places // step.denominator, 10**places)
    return str(whole) if not places else f"{whole}.{rest:0{places}d}"
