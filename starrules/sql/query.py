"""The whole query for a rubric: validation, scores, levels, notices and what cohort rules
read, as one SELECT over an evidence table (docs/sql.md).

`compile_query` gives the sqlglot expression, `query_sql` its text in a dialect and
`result_columns` the columns it gives, in order, with what each holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import attrs
from sqlglot import exp

from ..check.model import CheckedRubric
from ..eval.evaluator import evaluator_for
from ..lang import ast
from ..plan.applies import AppliesPlan, applies_plan
from ..plan.grading import grade_plan
from ..plan.notices import notice_plans
from .cohort import cohort_columns, cohort_extras, cohort_query
from .grading import LevelCompiler
from .numbers import Num, case, lit, paren, resolve, static
from .scoring import NO_DECIMAL, Compiler, Flag, Text, point_precisions, unsupported
from .validation import error_columns, row_checks

APPLIES = "E521"  # the branch is not one the standard is for (适用), as the Python engines say
DIVISION = "E510"  # the reference divides by 0 on this branch's evidence
MISSING = "E501"  # a score the item needs after all (it applies, or its path was chosen) is not given
INPUT_PREFIX = "evidence."  # a table column handed through (`inputs=True`), renamed so it cannot clash

Kind = Literal["id", "error", "error_field", "item", "item_applicable", "section", "section_max", "regular",
               "regular_max", "total", "below_pass", "veto", "level", "level_code", "level_downgrade", "level_veto",
               "notice", "warning", "extra", "input", "rank", "final_level", "final_level_code", "pending", "mark"]


@attrs.frozen
class OutputColumn:
    """A column of the result: its SQL name, what it holds, and the item's, section's, scheme's
    or notice's name (a mark column's: its mark text, e.g. 相对后进); `units`: BIGINT grid units
    (else DECIMAL points, a flag, a code or text)."""

    column: str
    kind: Kind
    name: str
    units: bool = False
    precision: int | None = None  # a points column's DECIMAL(precision, s) (scoring.point_precisions)


@attrs.frozen
class QuerySpec:
    """What the query is asked for. `columns`: the table's column names (None: every fact and
    score, no id); `scales`: decimal places of each DECIMAL number column (0: BIGINT);
    `schemes`: the schemes graded (level columns, in this order); `extras`: expressions of the
    language (e.g. cohort rules' tie-breakers), each a column by its name (a condition as a
    BOOLEAN, a number as a BIGINT that orders as it does, a choice as VARCHAR); `inputs`: hand every table column
    through, renamed `evidence.<name>`; `validate`: check every row as the Python reader does
    (sql/validation.py) and score only rows that pass — False for a table already checked;
    `units`: give the scores in BIGINT grid units too, with each section's applicable maximum and
    the regular sum (what the engines rebuild results from) — False: points only, the lean query
    a report or a table of levels needs (SQLite, which has no exact DECIMAL, gives units anyway);
    `cohort`: apply the schemes' 排名 rules over the whole table (sql/cohort.py: ranks, levels after
    名额, 待定 and 倒排 marks, as window functions in an outer query; what they read is added to
    the extras, and the total in grid units is given for the ranking); `within`: with `cohort`, a
    fact each of whose values is ranked as a batch of its own (名次, 名额 and 倒排 counted among its
    rows only, as `rank(..., within=)`; its value is the extra `_within`)."""

    columns: tuple[str, ...] | None = None
    scales: Mapping[str, int] = attrs.field(factory=dict)
    schemes: tuple[str, ...] = ()
    extras: Mapping[str, ast.Expr] = attrs.field(factory=dict)
    inputs: bool = False
    validate: bool = True
    units: bool = True
    cohort: bool = False
    within: str | None = attrs.field(default=None)

    @within.validator
    def _within_ranks(self, _: object, within: str | None) -> None:
        if within is not None and not self.cohort:
            raise ValueError(f"within={within!r} groups the cohort rules: it needs cohort=True")


def compile_query(rubric: CheckedRubric, dialect: str = "duckdb", table: str = "evidence",
                  spec: QuerySpec = QuerySpec()) -> exp.Select:
    """The query for `rubric` over `table`, in `dialect` (it decides integer division)."""
    compiler = Compiler(rubric, table, spec.columns, spec.scales, dialect)
    checked, field = _checks(rubric, spec, dialect)
    if checked:
        compiler.guard = exp.Is(this=exp.column("_error", quoted=True), expression=exp.Null())
        # the field only where there is an error: its CASE is worked out for those rows alone
        field = compiler.define(case(compiler.guard.copy(), exp.cast(exp.Null(), "VARCHAR"), field), "in")
    if spec.inputs and spec.columns is not None:
        compiler.passed += [c for c in spec.columns if c != "id"]
    compiler.inputs()
    compiler.run()
    found = compiler.scores()
    levels = LevelCompiler(compiler)
    for k, name in enumerate(spec.schemes, 1):
        graded = levels.scheme(name)
        names = exp.Case(this=graded.code)
        for index, level in enumerate(grade_plan(rubric, name).names):
            names = names.when(lit(index), exp.Literal.string(level))
        found[f"level_{k}"], found[f"level_{k}_code"] = names.else_(exp.Null()), graded.code
        found[f"level_{k}_downgrade"], found[f"level_{k}_veto"] = graded.downgrade, graded.veto
    for k, notice in enumerate(notice_plans(rubric), 1):
        found[f"notice_{k}"] = levels.always(notice.condition, "提示")
    for name, expr in _extras(rubric, spec).items():
        found[name] = _extra(compiler, expr)
    found["warning"] = _given_but_left_out(compiler)
    errors = _error(compiler, levels, checked, field)
    outputs: list[tuple[str, exp.Expr]] = []
    for column in result_columns(rubric, spec, dialect):
        if column.kind in _COHORT_KINDS.values():
            continue  # the outer query's (cohort_query)
        if column.kind == "input":
            outputs.append((column.column, exp.column(column.name, quoted=True)))
        elif column.kind == "id":
            outputs.append(("id", exp.column("id", quoted=True)))
        elif column.kind in ("error", "error_field"):
            outputs.append((column.column, errors[column.kind] or exp.cast(exp.Null(), "VARCHAR")))
        elif errors["error"] is None:
            outputs.append((column.column, found[column.column]))
        else:  # nothing is scored on a row that failed validation
            error = errors["error"]
            outputs.append((column.column, case(exp.Is(this=error.copy(), expression=exp.Null()),
                                                found[column.column], exp.Null())))
    query = compiler.select(outputs, checked)
    resolved = resolve(query, dialect)
    assert isinstance(resolved, exp.Select)
    return cohort_query(rubric, spec.schemes, resolved, dialect, spec.within) if spec.cohort else resolved


def query_sql(rubric: CheckedRubric, dialect: str = "duckdb", table: str = "evidence", spec: QuerySpec = QuerySpec(),
              pretty: bool = False) -> str:
    return compile_query(rubric, dialect, table, spec).sql(dialect=dialect, pretty=pretty)


def result_columns(rubric: CheckedRubric, spec: QuerySpec = QuerySpec(), dialect: str = "duckdb") -> tuple[OutputColumn, ...]:
    """The result's columns, in order. SQLite has no DECIMAL (a cast to one gives a float):
    there the scores are given in grid units only."""
    plan = evaluator_for(rubric).plan
    decimal = dialect not in NO_DECIMAL
    units = spec.units or not decimal
    table = spec.columns
    precisions = point_precisions(plan)

    def score(kind: Kind, column: str, name: str) -> list[OutputColumn]:
        return ([OutputColumn(f"{column}_units", kind, name, True)] if units else []) + \
            ([OutputColumn(column, kind, name, precision=precisions[column])] if decimal else [])

    def maximum(kind: Kind, column: str, name: str) -> list[OutputColumn]:
        return [OutputColumn(column, kind, name, True)] if units else []

    out = [OutputColumn("id", "id", "id")] if table is not None and "id" in table else []
    out += [OutputColumn("error", "error", "error"), OutputColumn("error_field", "error_field", "error_field")]
    for k, item in enumerate(plan.items.values(), 1):
        out += [*score("item", f"item_{k}", item.name),
                OutputColumn(f"item_{k}_applicable", "item_applicable", item.name)]
    for k, section in enumerate(plan.sections, 1):
        out += [*score("section", f"section_{k}", section.name),
                *maximum("section_max", f"section_{k}_max_units", section.name)]
    out += [*maximum("regular", "regular_units", "合计"), *maximum("regular_max", "regular_max_units", "合计")]
    out += [OutputColumn("total_units", "total", "总分", True)] if spec.cohort and not units else []
    out += [*score("total", "total", "总分"), OutputColumn("below_pass", "below_pass", "未达标类型数")]
    out += [OutputColumn(f"veto_{k}", "veto", f"否决 {k}") for k in range(1, len(plan.vetoes) + 1)]
    for k, name in enumerate(spec.schemes, 1):
        out += [OutputColumn(f"level_{k}", "level", name), OutputColumn(f"level_{k}_code", "level_code", name),
                OutputColumn(f"level_{k}_downgrade", "level_downgrade", name),
                OutputColumn(f"level_{k}_veto", "level_veto", name)]
    out += [OutputColumn(f"notice_{k}", "notice", n.text) for k, n in enumerate(notice_plans(rubric), 1)]
    out += [OutputColumn(name, "extra", name) for name in _extras(rubric, spec)]
    out.append(OutputColumn("warning", "warning", "W501"))
    if spec.inputs and table is not None:
        out += [OutputColumn(INPUT_PREFIX + c, "input", c) for c in table if c != "id"]
    if spec.cohort:
        out += [OutputColumn(c.column, _COHORT_KINDS[c.kind], c.mark or c.scheme)
                for c in cohort_columns(rubric, spec.schemes)]
    return tuple(out)


_COHORT_KINDS: dict[str, Kind] = {"rank": "rank", "level": "final_level", "level_code": "final_level_code",
                                  "pending": "pending", "mark": "mark"}  # CohortColumn.kind → Kind


def _extras(rubric: CheckedRubric, spec: QuerySpec) -> dict[str, ast.Expr]:
    """The extra columns asked for, and those the cohort rules read."""
    return {**spec.extras, **(cohort_extras(rubric, spec.schemes, spec.within) if spec.cohort else {})}


def _checks(rubric: CheckedRubric, spec: QuerySpec, dialect: str) -> tuple[list[tuple[str, exp.Expr]], exp.Expr]:
    """The validation column over the raw table (the first problem's code), and the expression of
    that problem's field."""
    checks = row_checks(rubric, spec.columns, spec.scales, dialect) if spec.validate else ()
    if not checks:
        return [], exp.cast(exp.Null(), "VARCHAR")
    code, field = error_columns(checks)
    return [("_error", code)], field


def _error(compiler: Compiler, levels: LevelCompiler, checked: list[tuple[str, exp.Expr]],
           field: exp.Expr) -> dict[str, exp.Expr | None]:
    """The row's first problem (NULL when the row is scored; None when no row can have one), in
    the order `rubric.evaluate` finds them: a validation code (the reader's); the 适用 line tested
    on the evidence as given, before scoring (refuse_before_scoring: E521, or E510 dividing by 0
    there); E510 where scoring divides by 0 (the steps, then the vetoes); the 适用 line on the
    scored values (refuse_unless_applies); E510 where grading or a notice divides by 0."""
    problems: list[tuple[exp.Expr, exp.Expr, exp.Expr]] = []  # (when, code, field): the first that holds
    if checked:
        error = exp.column("_error", quoted=True)
        problems.append((exp.Not(this=exp.Is(this=error, expression=exp.Null())), error.copy(), field))
    scoring = compiler.zeros + compiler.veto_zeros
    applies = applies_plan(compiler.rubric)
    after: list[tuple[exp.Expr, exp.Expr, exp.Expr]] = []
    if applies is not None:
        holds, zero = levels.test(applies.condition)
        after += [(zero, _text(DIVISION), _text("适用"))] if zero is not None else []
        after.append((exp.Not(this=paren(holds)), _text(APPLIES), _text("适用")))
        if scoring or zero is not None:  # what decides before scoring can differ from what decides after it
            given = _given(compiler, applies)
            problems += [(exp.and_(given.copy(), paren(when.copy())), c, f) for when, c, f in after]
    problems += [(when, _text(DIVISION), _text(place)) for place, when in scoring]
    problems += _missing_scores(compiler)
    problems += after
    problems += [(when, _text(DIVISION), _text(place)) for place, when in levels.zeros]
    if not problems:
        return {"error": None, "error_field": None}
    code, where = exp.Case(), exp.Case()
    for when, c, f in problems:
        code, where = code.when(when.copy(), c.copy()), where.when(when.copy(), f.copy())
    return {"error": compiler.define(code), "error_field": compiler.define(where)}


def _missing_scores(compiler: Compiler) -> list[tuple[exp.Expr, exp.Expr, exp.Expr]]:
    """E501 once every item has run (Evaluator.reference): a score the reader lets be left out —
    of an item that may be 不适用, or on a 任选其一 path — left NULL where the item applies after
    all and, on a path, where the path is the one the 选项 fact chose. In item order, as the
    reference lists them."""
    spec, plan = compiler.spec, compiler.plan
    chosen: dict[str, exp.Expr] = {}  # item id → its path is the chosen one
    for section in plan.sections:
        for choice in section.choices:
            if choice.by is None:
                continue
            picked = compiler.values[choice.by]
            assert isinstance(picked, Text)
            for path, items in choice.paths:
                for member in items:
                    chosen[member] = exp.EQ(this=picked.expr.copy(), expression=_text(path))
    found: list[tuple[exp.Expr, exp.Expr, exp.Expr]] = []
    for item in plan.items.values():
        if item.name not in spec.judged or item.name in spec.required_judged:
            continue
        blank = compiler.define(exp.Is(this=compiler.raw(item.name), expression=exp.Null()), "in")
        parts: list[exp.Expr] = [blank]
        if item.id in compiler.out:
            parts.append(exp.Not(this=paren(compiler.out[item.id])))
        if item.id in chosen:
            parts.append(paren(chosen[item.id]))
        found.append((exp.and_(*parts), _text(MISSING), _text(item.name)))
    return found


def _given(compiler: Compiler, applies: AppliesPlan) -> exp.Expr:
    """Where the reference tests the 适用 line before scoring (AppliesPlan.given): every fact it
    reads, directly or through derived values, is in the row (a fact without 默认 is, once
    validated), and none of those derived values divides by 0."""
    given: list[exp.Expr] = [  # a table column: read in the first CTE
        compiler.define(exp.Not(this=exp.Is(this=compiler.raw(f.name, number=False), expression=exp.Null())), "in")
        for f in applies.facts if f.name in compiler.spec.defaults]
    given += [exp.Not(this=paren(compiler.let_zeros[name].copy())) for name, _ in applies.derived
              if name in compiler.let_zeros]
    return exp.and_(*given) if given else exp.Boolean(this=True)


def _text(value: str) -> exp.Expr:
    return exp.Literal.string(value)


def _extra(compiler: Compiler, expr: ast.Expr) -> exp.Expr:
    value = compiler.expr(expr)
    if isinstance(value, (Flag, Text)):  # a Text: the value a ranking within groups splits by
        return value.expr
    if isinstance(value, Num):
        if not isinstance(value.den, int) and static(value.den) is None:
            raise unsupported(compiler.rubric, expr.span, "SQL 排名的并列键不能是分母因党支部而异的数(如含不适用项目的得分率)",
                              "换成得分或事实,或用 Python 引擎排名")
        return value.num
    raise unsupported(compiler.rubric, expr.span, "SQL 排名的并列键或条件必须是数或条件")


def _given_but_left_out(compiler: Compiler) -> exp.Expr:
    """W501: a score given for an item that is 不适用 on this row (the Python engines keep it out
    and warn; the batch engines hand such rows to the scalar path)."""
    given = [exp.and_(compiler.define(exp.Not(this=exp.Is(this=compiler.raw(name), expression=exp.Null())), "in"),
                      paren(compiler.out[item.id]))
             for item in compiler.plan.items.values() for name in (item.name,)
             if item.id in compiler.out and name in compiler.spec.judged and compiler.present(name)]
    return exp.or_(*map(paren, given)) if given else exp.Boolean(this=False)
