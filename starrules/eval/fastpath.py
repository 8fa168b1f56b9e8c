"""The compiled fast path: one Python function generated from the scoring plan (plan/scoring.py).

The function reads the evidence dict itself — by the acceptance table (plan/acceptance.py): the
forms it names final are checked inline, the others it settles read through the table's own
functions — and computes the total with plain int arithmetic on the rubric's grid, in the
plan's step order. Anything the table would refuse or leave to the reference — a missing or
unknown key, text such as "85%", a score off the grid, a division by zero — makes it give up
(`Slow`), and the traced evaluator, the reference, reads and scores the branch instead, with its
messages. So the fast path never decides anything the reference would not. The source is kept
(`FastPath.source`) so it can be read and tested.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import attrs

from ..lang import ast
from ..plan.acceptance import (ENTRY, FACTS, FactRule, ScoreRange, Value, int_range, settle, settle_level, settle_score,
                                split_entry)
from ..plan.evidence import may_be_left_out
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, value_key
from ..core.numbers import Exact, exact, half_up
from ..plan.scoring import (Award, Base, CapDeductions, Clamp, ComputeScore, Deduct, ItemPlan, LeaveOut, Op, Rule,
                            SectionPlan, Settle)

if TYPE_CHECKING:
    from .evaluator import Evaluator


@attrs.frozen
class FastState:
    """What the generated function returns: scores in grid units, in the evaluator's orders."""

    total: int
    regular_max: int
    below_pass: int
    vetoes: tuple[bool, ...]
    facts: tuple[Any, ...]
    lets: tuple[Any, ...]
    judged: tuple[int | None, ...]  # per judged item: its units, None when absent
    # per judged item, (分档 level, (reason, rater) when given as an object); None when no item is
    # 分档 and no entry was an object (the common case: nothing to keep)
    notes: tuple[tuple[str | None, tuple[str | None, str | None] | None], ...] | None
    items: tuple[int, ...]
    left_out: tuple[bool, ...]
    sections: tuple[int, ...]
    maxima: tuple[int, ...]


_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!="}
_MISSING = object()  # a key absent from the evidence (unlike a JSON null, which the reader rejects)


class Slow(Exception):
    """This branch needs the reference reader and evaluator."""


class FastPath:
    """The generated function of one compiled rubric; `None` from a call means "use the reference"."""

    def __init__(self, evaluator: Evaluator) -> None:
        writer = _Writer(evaluator)
        self.source = writer.source()
        namespace: dict[str, Any] = {**writer.constants, **_helpers(evaluator)}
        try:
            exec(compile(self.source, f"<starrules 快速路径 {evaluator.graph.rubric}>", "exec"), namespace)
            self._function: Callable[[Mapping[str, Any]], FastState] | None = namespace["evaluate"]
        except (SyntaxError, RecursionError, MemoryError):  # too deeply nested for Python's parser
            self._function = None

    def __call__(self, evidence: Mapping[str, Any]) -> FastState | None:
        if self._function is None:
            return None
        try:
            return self._function(evidence)
        except Slow:
            return None


def _helpers(ev: Evaluator) -> dict[str, Any]:
    """The functions the generated source calls. Evidence is read by the acceptance table
    (plan/acceptance.py): what it would not settle raises `Slow`, for the reference to report."""
    grid = ev.grid
    limits = ev.limits

    def fact(raw: object, rule: FactRule, choices: tuple[str, ...]) -> Value:
        """A fact's value that the inline quick test did not take as final."""
        value = settle(rule, raw, limits, choices)
        if value is None:
            raise Slow
        return value

    def judged(raw: object, scores: ScoreRange) -> int | None:
        """Grid units of a 酌情 score, None when absent."""
        if raw is _MISSING:
            return None
        units = scores.quick(raw)
        if units is None:
            units = settle_score(raw, scores, limits)
            if units is None:
                raise Slow
        return units

    def grade(raw: object, levels: Mapping[str, int]) -> int | None:
        """Grid units of a 分档 level, None when absent."""
        if raw is _MISSING:
            return None
        units = settle_level(raw, levels)
        if units is None:
            raise Slow
        return units

    return {"Slow": Slow, "State": FastState, "_M": _MISSING, "_floor": math.floor, "_hu": half_up, "_pts": grid.points, "_ru": grid.round_units,
            "_fact": fact, "_entry": read_entry, "_div": _divide, "_judged": judged, "_grade": grade,
            "_combine": ev.regular_sum.combine}


def read_entry(raw: dict[object, object]) -> tuple[object, tuple[str | None, str | None]]:
    """`{"得分": 3, "理由": …, "评分人": …}`: the score, and the reason and rater for the trace
    (acceptance.split_entry); one without a score or with an unknown field goes to the reference."""
    entry = split_entry(raw)
    if not entry.complete:
        raise Slow
    return entry.score, (entry.reason, entry.rater)


def _divide(left: Exact, right: Exact) -> Exact:
    if right == 0:
        raise Slow  # the reference reports E510 at the division
    return exact(Fraction(left) / right)


class _Writer:
    """Builds the source: locals for every value, constants passed in the namespace."""

    def __init__(self, ev: Evaluator) -> None:
        self.ev = ev
        self.lines: list[str] = []
        self.constants: dict[str, object] = {}
        self.local: dict[str, str] = {}  # value key (fact, let, @名称, 总分, 未达标类型数) → local name
        self.fact_locals: list[str] = []
        self.let_locals: list[str] = []
        self.veto_locals: list[str] = []
        self.judged: list[str] = []  # each judged item's units local, in judged order
        self.notes: list[str] = []  # source of each judged item's FastState.notes entry
        self.whys: list[str] = []  # each judged item's (reason, rater) local
        self.graded = False  # some judged item is 分档
        self.item_locals: dict[str, tuple[str, str | None]] = {}  # item id → (units local, left-out local)
        self.section_locals: dict[str, tuple[str, str]] = {}  # section id → (units, maximum)

    def source(self) -> str:
        ev = self.ev
        self.emit(1, f"if not {self.const(ev.evidence_spec.plain_keys)}.issuperset(e):")
        self.emit(2, "raise Slow")
        for index, (name, fact) in enumerate(ev.facts.items()):
            self.read_fact(index, name, fact)
        for index, (name, plan) in enumerate(ev.item_plans.items()):
            self.item_locals[name] = (f"s{index}", f"o{index}" if plan.leave_out else None)
        self.read_judgements()
        scoring = ev.plan
        for step in scoring.steps:  # the plan's order: every value is computed before it is read
            if step.kind == "let":
                name = str(step.key)
                local = self.local[name] = f"l{len(self.let_locals)}"
                self.let_locals.append(local)
                self.emit(1, f"{local} = {self.expr(scoring.lets[name])}  # 令 {name}")
            elif step.kind == "item":
                self.item(scoring.items[str(step.key)])
            elif step.kind == "section":
                self.section(scoring.section(str(step.key)))
            elif step.kind == "below_pass":
                self.below_pass()
            elif step.kind == "regular":
                self.regular()
            elif step.kind == "total":
                self.total()
            else:
                veto = scoring.vetoes[int(step.key)]
                assert veto.source is not None
                local = f"v{len(self.veto_locals)}"
                self.veto_locals.append(local)
                self.emit(1, f"{local} = bool({self.expr(veto.source)})  # 第 {veto.rule.line} 行")
        sections = [self.section_locals[p.id] for p in ev.sections]
        self.emit(1, f"return State(T, RM, B, {_tuple(self.veto_locals)}, {_tuple(self.fact_locals)}, "
                     f"{_tuple(self.let_locals)}, {_tuple(self.judged)}, {self.notes_source()}, "
                     f"{_tuple([s for s, _ in self.item_locals.values()])}, "
                     f"{self.maybe_constant([o or 'False' for _, o in self.item_locals.values()])}, "
                     f"{_tuple([s for s, _ in sections])}, {self.maybe_constant([m for _, m in sections])})")
        header = f"# {ev.graph.rubric}: generated by starrules from the evaluation graph\ndef evaluate(e):\n"
        return header + "\n".join(self.lines) + "\n"

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def const(self, value: object) -> str:
        name = f"K{len(self.constants)}"
        self.constants[name] = value
        return name

    def literal(self, value: object) -> str:
        """Source for a value: ints, bools and strings inline, anything else a constant."""
        if isinstance(value, (bool, str)) or type(value) is int:  # noqa: E721
            return repr(value)
        return self.const(value)

    # evidence
    def read_fact(self, index: int, name: str, fact: ast.Fact) -> None:
        local = self.local[name] = f"f{index}"
        self.fact_locals.append(local)
        spec = self.ev.evidence_spec
        default = self.literal(spec.defaults[name]) if name in spec.defaults else "_M"
        self.emit(1, f"{local} = e.get({name!r}, {default})")
        # acceptance.quick_test inline, from the same fields: the final class, within its int range
        # or among the listed choices; any other value is read by the table (`_fact`) or goes to the reference
        rule = FACTS[fact.type.kind]
        quick = [f"{local}.__class__ is not {self.const(rule.final)}"]
        bounds = int_range(rule, self.ev.limits)
        if bounds is not None:
            quick.append(f"not {bounds[0]} <= {local} <= {bounds[1]}")
        elif rule.listed:
            quick.append(f"{local} not in {self.const(frozenset(fact.type.choices))}")
        self.emit(1, f"if {' or '.join(quick)}:  # {rule.name}")
        self.emit(2, f"{local} = _fact({local}, {self.const(rule)}, {self.const(tuple(fact.type.choices))})")

    def read_judgements(self) -> None:
        spec = self.ev.evidence_spec
        for index, (name, item) in enumerate(spec.judged.items()):
            raw, units, why = f"j{index}", f"u{index}", f"w{index}"
            self.local[f"证据 {name}"] = units
            self.emit(1, f"{raw} = e.get({name!r}, _M)")
            self.emit(1, f"{why} = None")
            self.emit(1, f"if {raw}.__class__ is {self.const(ENTRY.settled)}:")
            self.emit(2, f"{raw}, {why} = _entry({raw})")
            self.judged.append(units)
            self.whys.append(why)
            if name in spec.levels:
                self.graded = True
                self.emit(1, f"{units} = _grade({raw}, {self.const(spec.levels[name])})")
                self.notes.append(f"({raw} if {units} is not None else None, {why})")
            else:
                self.read_score(raw, units, spec.scores[name])
                self.notes.append(f"(None, {why})")
            if not may_be_left_out(item):
                self.emit(1, f"if {units} is None:")
                self.emit(2, "raise Slow")

    def read_score(self, raw: str, units: str, scores: ScoreRange) -> None:
        """A 酌情 score's units: an int or a float on a grid of 1/2ᵏ points read inline (times 2ᵏ
        is exact in binary, so the product is whole exactly when the decimal is on the grid);
        anything else through the acceptance table's quick test and full reading (`_judged`)."""
        step = scores.grid.step
        per_point = step.denominator
        if scores.short and step.numerator == 1 and per_point & (per_point - 1) == 0:
            self.emit(1, f"if {raw}.__class__ is int and {scores.low} <= ({units} := {raw} * {per_point}) <= {scores.high}:")
            self.emit(2, "pass")
            self.emit(1, f"elif {raw}.__class__ is float and {scores.low} <= (t := {raw} * {per_point}) <= {scores.high} "
                         f"and t == ({units} := int(t)):")
            self.emit(2, "pass")
            self.emit(1, "else:")
            self.emit(2, f"{units} = _judged({raw}, {self.const(scores)})")
        else:
            self.emit(1, f"{units} = _judged({raw}, {self.const(scores)})")

    def notes_source(self) -> str:
        if not self.judged:
            return "None"
        if self.graded:
            return _tuple(self.notes)
        given = " and ".join(f"{why} is None" for why in self.whys)
        return f"(None if {given} else {_tuple(self.notes)})"

    def maybe_constant(self, parts: list[str]) -> str:
        """A tuple's source, or a constant when every part is a literal (no 不适用 items: no item
        is ever left out, and every section's maximum is its points)."""
        if all(part == "False" or part.isdigit() for part in parts):
            return self.const(tuple(part != "False" and int(part) for part in parts) if parts else ())
        return _tuple(parts)

    # scores
    def item(self, plan: ItemPlan) -> None:
        score, left_out = self.item_locals[plan.id]
        self.emit(1, f"# 项目 {plan.name}(第 {plan.line} 行)")
        depth = 1
        for op in plan.program:
            depth = self.step(depth, op, plan, score, left_out)
        if f"@{plan.name}" in self.ev.referenced:
            self.local[f"@{plan.name}"] = f"p{score}"
            self.emit(1, f"p{score} = _pts({score})")

    def step(self, depth: int, op: Op, plan: ItemPlan, score: str, left_out: str | None) -> int:
        """One step of the item's program as source, at `depth`; the depth the next step is at.
        `d` holds the deductions so far."""
        if isinstance(op, LeaveOut):
            assert left_out is not None
            conditions = " or ".join(map(self.rule, op.rules))
            self.emit(depth, f"if {conditions}:")
            self.emit(depth + 1, f"{score} = 0; {left_out} = True")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{left_out} = False")
            return depth + 1
        if isinstance(op, ComputeScore):
            self.emit(depth, f"{score} = _ru({self.rule(op.rule)})")
        elif isinstance(op, Base):
            self.emit(depth, f"{score} = {self.base(depth, op, plan)}")
            if any(isinstance(later, Deduct) for later in plan.program):
                self.emit(depth, "d = 0")
        elif isinstance(op, Deduct):
            self.deduct(depth, op.rule, op.per)
        elif isinstance(op, CapDeductions):
            self.emit(depth, f"if d > {op.rule.units}:")
            self.emit(depth + 1, f"d = {op.rule.units}")
        elif isinstance(op, Settle):
            self.emit(depth, f"{score} {'+' if op.sign > 0 else '-'}= d")
        elif isinstance(op, Award):
            self.emit(depth, f"if {self.rule(op.rule)}:")
            self.emit(depth + 1, f"{score} += {op.rule.units}")
        elif isinstance(op, Clamp):
            self.clamp(depth, score, op.high, op.low)
        else:
            self.emit(depth, f"if {self.rule(op.rule)}:")
            self.emit(depth + 1, f"{score} = 0")
        return depth

    def deduct(self, depth: int, rule: Rule, per: bool) -> None:
        if not per:
            self.emit(depth, f"if {self.rule(rule)}:")
            self.emit(depth + 1, f"d += {rule.units}")
            return
        self.emit(depth, f"x = {self.rule(rule)}")
        self.emit(depth, "if x > 0:")
        if rule.step is None:
            self.emit(depth + 1, f"d += {rule.units} * x if x.__class__ is int else _hu({rule.units} * x)")
        else:
            self.emit(depth + 1, f"d += {rule.units} * (x / {self.const(rule.step)}).__floor__()")

    def base(self, depth: int, op: Base, plan: ItemPlan) -> str:
        if op.kind != "judged":
            return str(op.units)
        units = self.local[f"证据 {plan.name}"]
        self.emit(depth, f"if {units} is None:")  # applicable, yet left blank: the reference reports it
        self.emit(depth + 1, "raise Slow")
        return units

    def clamp(self, depth: int, score: str, high: int, low: int | None) -> None:
        self.emit(depth, f"if {score} > {high}:")
        self.emit(depth + 1, f"{score} = {high}")
        if low is not None:
            self.emit(depth, f"elif {score} < {low}:")
            self.emit(depth + 1, f"{score} = {low}")

    def section(self, plan: SectionPlan) -> None:
        index = len(self.section_locals)
        score, maximum = f"S{index}", f"M{index}"
        self.section_locals[plan.id] = (score, maximum)
        parts = [self.item_locals[i] for i in plan.items]
        self.emit(1, f"# {plan.name}")
        self.emit(1, f"{score} = {' + '.join(s for s, _ in parts) or '0'}")
        self.clamp(1, score, plan.points, 0)
        left_out = [f"({plan.item_max[i]} if {o} else 0)" for i, (_, o) in zip(plan.items, parts) if o is not None]
        if plan.kind == "regular" and left_out:
            self.emit(1, f"{maximum} = max({plan.points} - {' - '.join(left_out)}, 0)")
        else:  # no item can be left out: the maximum is the section's points, a literal
            self.section_locals[plan.id] = (score, str(plan.points))
        if f"@{plan.name}" in self.ev.referenced:
            self.local[f"@{plan.name}"] = f"p{score}"
            self.emit(1, f"p{score} = _pts({score})")

    def below_pass(self) -> None:
        failing = [f"({self.section_locals[p.id][0]} < {p.pass_line})" for p in self.ev.regular if p.pass_line is not None]
        self.local[BELOW_PASS_KEY] = "B"
        self.emit(1, f"B = {' + '.join([*failing, '0'])}")

    def regular(self) -> None:
        scores = [self.section_locals[p.id][0] for p in self.ev.regular]
        maxima = [self.section_locals[p.id][1] for p in self.ev.regular]
        if self.ev.regular_sum.plain:
            self.emit(1, f"R = {' + '.join([*scores, '0'])}")
            self.emit(1, f"RM = {' + '.join([*maxima, '0'])}")
        else:
            self.emit(1, f"R, RM = _combine([{', '.join(scores)}], [{', '.join(maxima)}])")

    def total(self) -> None:
        extra = "".join(f" {'+' if p.kind == 'bonus' else '-'} {self.section_locals[p.id][0]}"
                        for p in self.ev.sections if p.kind != "regular")
        self.emit(1, f"T = R{extra}")
        self.emit(1, "if T < 0:")
        self.emit(2, "T = 0")
        if TOTAL_KEY in self.ev.referenced:
            self.local[TOTAL_KEY] = "pT"
            self.emit(1, "pT = _pts(T)")

    # expressions: the same meaning as expressions.ExprCompiler, as Python source
    def rule(self, rule: Rule) -> str:
        """The source of what a rule tests or counts."""
        assert rule.source is not None
        return self.expr(rule.source)

    def expr(self, e: ast.Expr) -> str:
        if isinstance(e, (ast.Number, ast.Percent)):
            return self.literal(exact(e.value))
        if isinstance(e, ast.Bool):
            return repr(e.value)
        if isinstance(e, ast.NameRef):
            return self.local.get(e.name) or repr(e.name)  # not a fact or let: a choice value
        if isinstance(e, (ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)):
            return self.local[value_key(e)]
        if isinstance(e, ast.Negate):
            return f"(-{self.expr(e.operand)})"
        if isinstance(e, ast.Binary):
            left, right = self.expr(e.left), self.expr(e.right)
            return f"_div({left}, {right})" if e.op == "/" else f"({left} {e.op} {right})"
        if isinstance(e, ast.Compare):
            return f"({self.expr(e.left)} {_COMPARE[e.op]} {self.expr(e.right)})"
        if isinstance(e, ast.InList):
            return f"({self.expr(e.operand)} in ({''.join(self.expr(o) + ', ' for o in e.options)}))"
        if isinstance(e, ast.Not):
            return f"(not {self.expr(e.operand)})"
        if isinstance(e, (ast.And, ast.Or)):
            joiner = " and " if isinstance(e, ast.And) else " or "
            return f"({joiner.join(self.expr(o) for o in e.operands)})"
        if isinstance(e, ast.IfElse):
            return f"({self.expr(e.then)} if {self.expr(e.condition)} else {self.expr(e.otherwise)})"
        if isinstance(e, ast.Call):
            args = "".join(self.expr(a) + ", " for a in e.args)
            return f"_floor({args})" if e.function == "floor" else f"{e.function}(({args}))"
        assert isinstance(e, ast.ListCall)
        items = [self.expr(i) for i in e.items]
        if e.function == "count_true":
            return f"({' + '.join(f'bool({i})' for i in items)} + 0)"
        if e.function == "count_false":
            return f"({' + '.join(f'(not {i})' for i in items)} + 0)"
        return f"bool({(' or ' if e.function == 'any' else ' and ').join(items)})"


def _tuple(parts: list[str]) -> str:
    return f"({''.join(p + ', ' for p in parts)})"
