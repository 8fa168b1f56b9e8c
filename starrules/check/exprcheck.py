"""Name resolution and type checking of expressions (LANGUAGE.md §3 expressions)."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ..lang import ast
from ..core.reporter import Reporter, did_you_mean

BOOL, NUMERIC, CHOICE, UNKNOWN = "bool", "numeric", "choice", "unknown"
_KIND_WORDS = {BOOL: "是否(条件)", NUMERIC: "数值", CHOICE: "选项", UNKNOWN: "未知"}
_FACT_KINDS = {"bool": BOOL, "count": NUMERIC, "number": NUMERIC, "ratio": NUMERIC, "choice": CHOICE}


@attrs.frozen
class Type:
    kind: str
    choices: tuple[str, ...] = ()

    @property
    def word(self) -> str:
        return _KIND_WORDS[self.kind]


def fact_type(fact: ast.Fact) -> Type:
    return Type(_FACT_KINDS[fact.type.kind], fact.type.choices)


@attrs.define
class Scope:
    """What names mean inside one rubric. `open_names` accepts any bare name (a scheme
    checked on its own, before any rubric gives its facts a meaning)."""

    facts: dict[str, ast.Fact] = attrs.Factory(dict)
    lets: dict[str, Type] = attrs.Factory(dict)
    scores: set[str] = attrs.Factory(set)
    # per section, group and item name, the sections and groups it is written in (outermost first)
    within: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    groups: set[str] = attrs.Factory(set)  # the names of sections and groups (what has a 得分率 / 满分)
    conditions: dict[str, ast.NamedCondition] = attrs.Factory(dict)  # 条件 lines of the program
    open_names: bool = False
    used: set[str] = attrs.Factory(set)

    def candidates(self) -> list[str]:
        return [*self.facts, *self.lets]


class ExprChecker:
    def __init__(self, scope: Scope, reporter: Reporter) -> None:
        self.scope, self.reporter = scope, reporter
        self.grading = False  # named conditions may be read (a condition read after scoring)
        self.in_veto = False  # a 否决 condition: read after scoring, yet by the scoring engines
        self.condition_types: dict[str, Type] = {}
        self.units_matched: set[int] = set()  # numbers with a unit (32学时) already set against a fact

    def expect_graded(self, expr: ast.Expr, kind: str, what: str) -> Type:
        """`expect` for what is read after scoring — a level's conditions, 降档, 否决, 提示, 排名:
        there the program's named conditions (条件 名称 = …) may be used by name."""
        before, self.grading = self.grading, True
        try:
            return self.expect(expr, kind, what)
        finally:
            self.grading = before

    def expect(self, expr: ast.Expr, kind: str, what: str) -> Type:
        found = self.check(expr)
        if found.kind not in (kind, UNKNOWN):
            code = "E301" if kind == BOOL else "E302"
            self.reporter.report(code, f"{what}需要{_KIND_WORDS[kind]},但这里是{found.word}", expr.span,
                                 _kind_hint(expr, kind))
        return Type(kind) if found.kind == UNKNOWN else found

    def check(self, expr: ast.Expr) -> Type:
        method = getattr(self, f"_{type(expr).__name__}")
        return method(expr)  # type: ignore[no-any-return]

    def _Number(self, expr: ast.Number) -> Type:
        if expr.label and id(expr) not in self.units_matched:
            self._unit_error(expr, None)
        return Type(NUMERIC)

    def _Percent(self, expr: ast.Percent) -> Type:
        return Type(NUMERIC)

    def _units(self, *pairs: tuple[ast.Expr, ast.Expr]) -> None:
        """A number with a unit (32学时, 500㎡) beside a fact: the unit must be the fact's 单位 (a
        label, no conversion). Beside anything else — a fact without 单位, a 令, a score — it is E307
        too (reported where the number is checked)."""
        for number, other in (p for pair in pairs for p in (pair, pair[::-1])):
            if not isinstance(number, ast.Number) or not number.label:
                continue
            fact = self.scope.facts.get(other.name) if isinstance(other, ast.NameRef) else None
            if fact is None or fact.unit is None:
                continue
            self.units_matched.add(id(number))
            if fact.unit != number.label:
                self._unit_error(number, fact)

    def _unit_error(self, number: ast.Number, fact: ast.Fact | None) -> None:
        span = number.span
        at = attrs.evolve(span, column=span.column + len(number.text), end_line=span.line,
                          end_column=span.column + len(number.text) + len(number.label))
        if fact is not None:
            self.reporter.report("E307", f"单位“{number.label}”与事实“{fact.name}”的单位“{fact.unit}”不符", at,
                                 f"“{fact.name}”的单位是“{fact.unit}”:写 {number.text}{fact.unit}(单位只是标注,不换算)")
        elif number.label in self.scope.facts or number.label in self.scope.lets:  # 每 2缺学时: a name run on
            self.reporter.report("E307", f"数字后的单位“{number.label}”没有可对照的事实单位", at,
                                 f"“{number.label}”是名称:在数字和名称之间加空格,写 {number.text} {number.label}")
        else:
            self.reporter.report("E307", f"数字后的单位“{number.label}”没有可对照的事实单位", at,
                                 f"数字后只能写所比较事实声明的单位(事实 …: 数值 单位 \"{number.label}\");"
                                 f"否则只写数字 {number.text}")

    def _Bool(self, expr: ast.Bool) -> Type:
        return Type(BOOL)

    def _NameRef(self, expr: ast.NameRef, choices: tuple[str, ...] = ()) -> Type:
        scope = self.scope
        scope.used.add(expr.name)
        if expr.name in scope.facts:
            return fact_type(scope.facts[expr.name])
        if expr.name in scope.lets:
            return scope.lets[expr.name]
        named = scope.conditions.get(expr.name)
        if named is not None and self.grading:
            return self._named(named)
        if named is not None:
            self.reporter.report("E201", f"条件“{expr.name}”不能用在这里", expr.span,
                                 "有名称的条件只能用在等级、降档、否决、提示和排名的条件中;项目的子句、“令”和"
                                 "“适用”中请直接写出条件,或定义一个“令”")
            return Type(UNKNOWN)
        if choices:
            if expr.name in choices:
                return Type(CHOICE, choices)
            self.reporter.report("E304", f"“{expr.name}”不是可选的值({'、'.join(choices)})", expr.span,
                                 did_you_mean(expr.name, choices))
            return Type(UNKNOWN)
        if not scope.open_names:
            self.reporter.report("E201", f"未定义的名称“{expr.name}”", expr.span,
                                 did_you_mean(expr.name, scope.candidates()) or "先用“事实”或“令”声明它")
        return Type(UNKNOWN)

    def _named(self, named: ast.NamedCondition) -> Type:
        """A named condition's type, checked where it is first used (against this standard's
        names): a 是否, or E428 at its definition."""
        found = self.condition_types.get(named.name)
        if found is None:
            self.condition_types[named.name] = Type(BOOL)  # while checking it (a circle is E427)
            kind = self.check(named.expr)
            if kind.kind not in (BOOL, UNKNOWN):
                self.reporter.report("E428", f"条件“{named.name}”需要是一个是否判断,但这里是{kind.word}",
                                     named.expr.span, _kind_hint(named.expr, BOOL) or "写成比较,例如“@必备项目 >= 540”")
            found = self.condition_types[named.name] = Type(BOOL)
        return found

    def _ScoreRef(self, expr: ast.ScoreRef) -> Type:
        scope = self.scope
        if not scope.open_names and expr.name not in scope.scores:
            self.reporter.report("E203", f"没有名为“{expr.name}”的项目或类型", expr.span,
                                 did_you_mean(expr.name, sorted(scope.scores)))
        elif not scope.open_names and expr.path:
            within = scope.within.get(expr.name, ())
            if expr.path != within[len(within) - len(expr.path):]:
                written = ".".join((*expr.path, expr.name))
                self.reporter.report("E432", f"“@{written}”不是“{expr.name}”所在的类型", expr.span,
                                     f"“{expr.name}”写在 {' → '.join(within) or '最外层'} 里:写 "
                                     f"@{'.'.join((*within, expr.name))},或只写 @{expr.name}")
        if expr.part is not None:
            word = ast.GROUP_PARTS[expr.part]
            if not scope.open_names and expr.name in scope.scores and expr.name not in scope.groups:
                self.reporter.report("E433", f"“{expr.name}”是项目,没有{word};{word}只有类型有", expr.span)
            elif not self.grading or self.in_veto:
                self.reporter.report("E433", f"{word}在评分之后才有,只能在等级、降档、提示和排名的条件中读",
                                     expr.span, "在令、条款、否决和适用中,读类型的得分 @名称")
        return Type(NUMERIC)

    def _TotalRef(self, expr: ast.TotalRef) -> Type:
        return Type(NUMERIC)

    _BelowPassRef = _TotalRef

    def _Negate(self, expr: ast.Negate) -> Type:
        return self.expect(expr.operand, NUMERIC, "取负")

    def _Binary(self, expr: ast.Binary) -> Type:
        self._units((expr.left, expr.right))
        self.expect(expr.left, NUMERIC, f"“{expr.op}”运算")
        self.expect(expr.right, NUMERIC, f"“{expr.op}”运算")
        return Type(NUMERIC)

    def _operand_pair(self, left: ast.Expr, right: ast.Expr) -> tuple[Type, Type]:
        """Type two compared operands; a bare name beside a choice is one of its values."""
        if isinstance(right, ast.NameRef) and not self._declared(right):
            if self._misspelt_choice(left, [right]) or self._misspelt_choice(right, [left]):
                return Type(UNKNOWN), Type(UNKNOWN)
            lt = self.check(left)
            return lt, self._value_of(right, lt)
        if isinstance(left, ast.NameRef) and not self._declared(left):
            rt = self.check(right)
            return self._value_of(left, rt), rt
        return self.check(left), self.check(right)

    def _misspelt_choice(self, ref: ast.Expr, values: list[ast.Expr]) -> bool:
        """`领域 = 不符合要求` where 不符合要求 is an option of the fact 域: one E201 for the
        misspelt fact that names the fact whose option it compares with (which then counts as used,
        so no W101 follows)."""
        scope = self.scope
        if not isinstance(ref, ast.NameRef) or self._declared(ref) or scope.open_names \
                or ref.name in scope.conditions:
            return False
        words = [v.name for v in values if isinstance(v, ast.NameRef) and not self._declared(v)]
        owners = [f.name for f in scope.facts.values() if f.type.kind == "choice"
                  and words and all(w in f.type.choices for w in words)]
        if not owners:
            return False
        scope.used.update(owners)
        shown = "、".join(f"“{o}”" for o in owners)
        self.reporter.report("E201", f"未定义的名称“{ref.name}”", ref.span,
                             f"“{words[0]}”是事实{shown}的选项:你是不是想写{'或'.join(f'“{o}”' for o in owners)}?")
        return True

    def _value_of(self, ref: ast.NameRef, other: Type) -> Type:
        """An undeclared bare name compared with (or listed for) `other`: one of its options.
        Beside an operand already in error (a misspelt fact, typed UNKNOWN) the name may well be
        a value of the fact meant: it is not reported too (one misspelling, one diagnostic)."""
        if other.kind == UNKNOWN and not self.scope.open_names and self._is_plain_name(ref):
            return Type(UNKNOWN)
        return self._NameRef(ref, other.choices)

    def _is_plain_name(self, ref: ast.NameRef) -> bool:
        """Not a named condition (those are reported where they may not be used)."""
        return ref.name not in self.scope.conditions

    def _declared(self, ref: ast.NameRef) -> bool:
        scope = self.scope
        return ref.name in scope.facts or ref.name in scope.lets or self.grading and ref.name in scope.conditions

    def _Compare(self, expr: ast.Compare) -> Type:
        self._units((expr.left, expr.right))
        lt, rt = self._operand_pair(expr.left, expr.right)
        if UNKNOWN not in (lt.kind, rt.kind):
            ordered = expr.op not in ("=", "!=")
            if lt.kind != rt.kind or (ordered and lt.kind != NUMERIC):
                self.reporter.report("E303", f"不能用“{expr.op}”比较{lt.word}和{rt.word}", expr.span)
        return Type(BOOL)

    def _InList(self, expr: ast.InList) -> Type:
        if self._misspelt_choice(expr.operand, list(expr.options)):
            return Type(BOOL)
        self._units(*((expr.operand, option) for option in expr.options))
        operand = self.check(expr.operand)
        for option in expr.options:
            if isinstance(option, ast.NameRef) and not self._declared(option) and operand.kind in (CHOICE, UNKNOWN):
                self._value_of(option, operand)
                continue
            found = self.check(option)
            if UNKNOWN not in (found.kind, operand.kind) and found.kind != operand.kind:
                self.reporter.report("E303", f"“属于”列表中的{found.word}不能和{operand.word}比较", option.span)
        return Type(BOOL)

    def _Not(self, expr: ast.Not) -> Type:
        return self.expect(expr.operand, BOOL, "“非”")

    def _all_conditions(self, operands: tuple[ast.Expr, ...], word: str) -> Type:
        for operand in operands:
            self.expect(operand, BOOL, word)
        return Type(BOOL)

    def _And(self, expr: ast.And) -> Type:
        return self._all_conditions(expr.operands, "“且”")

    def _Or(self, expr: ast.Or) -> Type:
        return self._all_conditions(expr.operands, "“或”")

    def _IfElse(self, expr: ast.IfElse) -> Type:
        self.expect(expr.condition, BOOL, "“若”的条件")
        then, otherwise = self.check(expr.then), self.check(expr.otherwise)
        if UNKNOWN not in (then.kind, otherwise.kind) and then.kind != otherwise.kind:
            self.reporter.report("E306", f"“则”分支是{then.word},“否则”分支是{otherwise.word}", expr.span)
        return then if then.kind != UNKNOWN else otherwise

    def _Call(self, expr: ast.Call) -> Type:
        if expr.function == "floor" and len(expr.args) != 1:
            self.reporter.report("E302", f"“取整”只接受一个数值,这里给了 {len(expr.args)} 个", expr.span)
        for arg in expr.args:
            self.expect(arg, NUMERIC, "函数参数")
        return Type(NUMERIC)

    def _ListCall(self, expr: ast.ListCall) -> Type:
        for item in expr.items:
            self.expect(item, BOOL, "列表中的每一项")
        return Type(BOOL if expr.function in ("any", "all") else NUMERIC)


def _kind_hint(expr: ast.Expr, kind: str) -> str | None:
    if kind == BOOL and isinstance(expr, ast.NameRef):
        return f"写成比较,例如“{expr.name} 少于 32”"
    return None


def walk(expr: ast.Expr) -> Iterator[ast.Expr]:
    """Every sub-expression, parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def children(expr: ast.Expr) -> tuple[ast.Expr, ...]:
    if isinstance(expr, (ast.Negate, ast.Not)):
        return (expr.operand,)
    if isinstance(expr, (ast.Binary, ast.Compare)):
        return (expr.left, expr.right)
    if isinstance(expr, ast.InList):
        return (expr.operand, *expr.options)
    if isinstance(expr, (ast.And, ast.Or)):
        return expr.operands
    if isinstance(expr, ast.IfElse):
        return (expr.condition, expr.then, expr.otherwise)
    if isinstance(expr, ast.Call):
        return expr.args
    if isinstance(expr, ast.ListCall):
        return expr.items
    return ()
