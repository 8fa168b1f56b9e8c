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
from operator import itemgetter
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from ..lang import ast
from ..lang.ast import GROUP_PARTS
from ..plan.acceptance import (ENTRY, FACTS, FactRule, ScoreRange, Value, int_range, settle, settle_level, settle_score,
                                split_entry)
from ..check.exprcheck import walk
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, group_rate, value_key
from ..core.numbers import Exact, exact, half_up
from ..plan.grading import GradePlan
from ..plan.scoring import (Award, Base, CapDeductions, Clamp, ComputeScore, Deduct, ItemPlan, LeaveOut, Op, Rule,
                            ChoicePlan, SectionPlan, Settle)

if TYPE_CHECKING:
    from .evaluator import Evaluator


Grades = tuple[int, int, int, bool]  # a scheme's level index, the index by score, 降档 steps, vetoed


class FastState(NamedTuple):
    """What the generated function returns: scores in grid units, in the evaluator's orders (a
    tuple: made with one call, read by name)."""

    total: int
    regular_max: int
    below_pass: int
    vetoes: tuple[bool, ...]
    facts: tuple[Any, ...]  # the facts' values in order; it may go on with the judged items' values read
    lets: tuple[Any, ...]
    judged: tuple[int | None, ...]  # per judged item: its units, None when absent
    # per judged item, (分档 level, (reason, rater) when given as an object); None when no item is
    # 分档 and no entry was an object (the common case: nothing to keep)
    notes: tuple[tuple[str | None, tuple[str | None, str | None] | None], ...] | None
    # per scheme in `Evaluator.inline_schemes`, graded inline, its `Grades` one after another (one
    # flat tuple: a kept result holds one tuple less per scheme)
    grades: tuple[int | bool, ...]


def grades_of(state: FastState) -> list[Grades]:
    """Each inline-graded scheme's `Grades`, from the state's flat tuple."""
    flat = state.grades
    return [(int(flat[k]), int(flat[k + 1]), int(flat[k + 2]), bool(flat[k + 3])) for k in range(0, len(flat), 4)]


class FastScores(NamedTuple):
    """Item and section scores in grid units, in the evaluator's orders, made again from a
    state's facts and judged units when a result's items are read (`FastPath.scores`)."""

    items: tuple[int, ...]
    left_out: tuple[bool, ...]
    sections: tuple[int, ...]
    maxima: tuple[int, ...]


Span = tuple[int | None, int | None]  # bounds of a local in grid units; None: unbounded that way


def _plus(a: Span, b: Span) -> Span:
    return (None if a[0] is None or b[0] is None else a[0] + b[0], None if a[1] is None or b[1] is None else a[1] + b[1])


def _negated(a: Span) -> Span:
    return (None if a[1] is None else -a[1], None if a[0] is None else -a[0])


def _with_zero(a: Span) -> Span:
    """The bounds once the local may also be 0 (不适用, 不得分)."""
    return (None if a[0] is None else min(a[0], 0), None if a[1] is None else max(a[1], 0))


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
            # the function itself, for a caller that catches `Slow` (one call less per branch)
            self.function: Callable[[Mapping[str, Any]], FastState] | None = namespace["evaluate"]
            self._rescore: Callable[[tuple[Any, ...], tuple[int | None, ...]], FastScores] = namespace["rescore"]
        except (SyntaxError, RecursionError, MemoryError):  # too deeply nested for Python's parser
            self.function = None

    def scores(self, state: FastState) -> FastScores:
        """The item and section scores of a state this function made."""
        return self._rescore(state.facts, state.judged)

    def __call__(self, evidence: Mapping[str, Any]) -> FastState | None:
        if self.function is None:
            return None
        try:
            return self.function(evidence)
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

    def judged(raw: object, scores: ScoreRange) -> tuple[int | None, tuple[str | None, str | None] | None]:
        """Grid units of a 酌情 score (None when absent), and the (reason, rater) of an entry."""
        why = None
        if raw.__class__ is ENTRY.settled:
            raw, why = read_entry(raw)  # type: ignore[arg-type]
        if raw is _MISSING:
            return None, why
        units = scores.quick(raw)
        if units is None:
            units = settle_score(raw, scores, limits)
            if units is None:
                raise Slow
        return units, why

    def grade(raw: object, levels: Mapping[str, int]) -> int | None:
        """Grid units of a 分档 level, None when absent."""
        if raw is _MISSING:
            return None
        units = settle_level(raw, levels)
        if units is None:
            raise Slow
        return units

    return {"Slow": Slow, "State": FastState, "Scores": FastScores, "_new": tuple.__new__, "_M": _MISSING, "_floor": math.floor, "_hu": half_up, "_pts": grid.points, "_rate": group_rate, "_ru": grid.round_units,
            "_fact": fact, "_entry": read_entry, "_absent": _absent, "_div": _divide, "_judged": judged, "_grade": grade,
            "_combine": ev.regular_sum.combine}


def read_entry(raw: dict[object, object]) -> tuple[object, tuple[str | None, str | None]]:
    """`{"得分": 3, "理由": …, "评分人": …}`: the score, and the reason and rater for the trace
    (acceptance.split_entry); one without a score or with an unknown field goes to the reference."""
    entry = split_entry(raw)
    if not entry.complete:
        raise Slow
    return entry.score, (entry.reason, entry.rater)


_NUMBERS = frozenset({int, float})
_TABLE_SIZE = 4096  # a 酌情 range with at most this many grid values is read by a table


def _score_table(scores: ScoreRange) -> dict[int | float, int] | None:
    """A 酌情 score's accepted ints and floats → its units, when the range holds few grid values:
    one lookup reads a score. Each entry is one the acceptance table's quick test takes with
    these units (an int and the equal float share a key, so both must be taken); anything else
    (text, an entry object, NaN, a value off the grid) misses and is read in full."""
    if scores.high - scores.low >= _TABLE_SIZE:
        return None
    table: dict[int | float, int] = {}
    for units in range(scores.low, scores.high + 1):
        points = Fraction(scores.grid.points(units))
        forms: list[int | float] = [float(points)] if Fraction(float(points)) == points else []
        if points.denominator == 1:
            forms.append(int(points))
        if forms and all(scores.quick(form) == units for form in forms):
            table[forms[0]] = units
    return table


def _absent(evidence: Mapping[str, Any], keys: tuple[str, ...], defaults: tuple[object, ...]) -> tuple[object, ...]:
    """The values of `keys`, each key's default where it is absent (the slower read)."""
    get = evidence.get
    return tuple(get(key, default) for key, default in zip(keys, defaults))


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
        self.graded = False  # some judged item is 分档
        self.item_locals: dict[str, tuple[str, str | None]] = {}  # item id → (units local, left-out local)
        self.section_locals: dict[str, tuple[str, str]] = {}  # section id → (units, maximum)
        self.item_spans: dict[str, Span] = {}  # item id → bounds of its score
        self.group_keys = {f"@{p.name}.{word}": (part, p.id) for p in ev.sections for part, word in GROUP_PARTS.items()}
        self.span: Span = (0, 0)  # of the item being written: its score's bounds …
        self.owed: Span = (0, 0)  # … and its deductions'

    def source(self) -> str:
        ev = self.ev
        self.read_keys()
        for index, (name, fact) in enumerate(ev.facts.items()):
            self.read_fact(index, name, fact)
        for index, (name, plan) in enumerate(ev.item_plans.items()):
            self.item_locals[name] = (f"s{index}", f"o{index}" if plan.leave_out else None)
        self.read_judgements()
        scoring = ev.plan
        first_score = len(self.lines)  # the scoring lines, written again in `rescore`
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
        scoring_lines = self.lines[first_score:]
        grades = [self.grading(n, plan) for n, plan in enumerate(ev.inline_schemes.values())]
        self.emit(1, f"return _new(State, (T, RM, B, {self.vetoes_source()}, {self.facts_source()}, "
                     f"{_tuple(self.let_locals)}, {_tuple(self.judged)}, {self.notes_source()}, "
                     f"({''.join(g + ', ' for g in grades)})))")
        header = f"# {ev.graph.rubric}: generated by starrules from the evaluation graph\ndef evaluate(e):\n"
        return header + "\n".join(self.lines) + "\n\n" + self.rescore(scoring_lines)

    def rescore(self, scoring_lines: list[str]) -> str:
        """`rescore(facts, judged)`: the scoring lines again, from a state's facts and judged units,
        giving the item and section scores (`FastScores`). The evaluation keeps only what it
        grades and what reads back to these, so a result is made and kept with less; a result
        whose items are read pays for this second run then."""
        sections = [self.section_locals[p.id] for p in self.ev.sections]
        head = ["def rescore(F, J):"]
        if self.fact_locals:
            head.append(f"    {''.join(f + ', ' for f in self.fact_locals)}= F[:{len(self.fact_locals)}]")
        if self.judged:
            head.append(f"    {''.join(u + ', ' for u in self.judged)}= J")
        body = (f"    return _new(Scores, ({_tuple([s for s, _ in self.item_locals.values()])}, "
                f"{self.maybe_constant([o or 'False' for _, o in self.item_locals.values()])}, "
                f"{_tuple([s for s, _ in sections])}, {self.maybe_constant([m for _, m in sections])}))")
        return "\n".join([*head, *scoring_lines, body]) + "\n"

    # grading
    def grading(self, number: int, plan: GradePlan) -> str:
        """A scheme graded inline (`inline_grading` says which can be): the plan's meaning —
        bands or its base's level mapped (基于), 降档, veto caps — as source; the source of its
        `Grades` tuple."""
        self.emit(1, f"# 定级 {plan.scheme}")
        for key in sorted(plan.reads):
            self.score_local(key)
        return ", ".join(self.graded_by(plan, f"{number}", frozenset()))

    def graded_by(self, plan: GradePlan, tag: str, ignored: frozenset[int]) -> tuple[str, str, str, str]:
        """Locals of the level index, the index by score, the 降档 steps and whether a veto
        applied, with the vetoes numbered `ignored` left out (a 基于 scheme caps those itself)."""
        level, by_score, steps, vetoed = f"g{tag}", f"gb{tag}", f"gs{tag}", f"gv{tag}"
        if plan.base is None:
            self.bands(plan, level)
            self.emit(1, f"{by_score} = {level}; {vetoed} = False")
        else:
            mine = frozenset(n for n, veto in enumerate(plan.vetoes) if isinstance(veto.cap, int))
            base, base_by_score, _, base_vetoed = self.graded_by(plan.base, tag + "b", ignored | mine)
            mapping = self.const(plan.mapping)
            self.emit(1, f"{level} = {mapping}[{base}]; {by_score} = {mapping}[{base_by_score}]; {vetoed} = {base_vetoed}")
        self.emit(1, f"{steps} = 0")
        for downgrade in plan.downgrades:
            self.emit(1, f"if {self.expr(downgrade.condition.expr)}:")
            self.emit(2, f"{steps} += {downgrade.steps}")
        if plan.downgrades:
            self.emit(1, f"{level} = min({level} + {steps}, {plan.floor})")
        for number, (veto, fired) in enumerate(zip(plan.vetoes, self.veto_locals)):
            if veto.cap == "base" or number in ignored:
                continue
            highest = plan.floor if veto.cap == "lowest" else veto.cap
            self.emit(1, f"if {fired}:")
            self.emit(2, f"{vetoed} = True")
            self.emit(2, f"if {level} < {highest}:")
            self.emit(3, f"{level} = {highest}")
        return level, by_score, steps, vetoed

    def bands(self, plan: GradePlan, level: str) -> None:
        """The first level whose bound the total reaches and whose conditions hold; else the last."""
        for index, band in enumerate(plan.bands):
            tests = [f"T >= {band.bound}"] if band.bound is not None else []
            tests += [self.expr(condition.expr) for condition in band.conditions]
            self.emit(1, f"{'if' if index == 0 else 'elif'} {' and '.join(tests)}:" if tests else
                      "if True:" if index == 0 else "else:")
            self.emit(2, f"{level} = {index}")
            if not tests:
                break
        else:  # no band without a bound or a condition: the last level
            self.emit(1, "else:")
            self.emit(2, f"{level} = {plan.floor}")

    def score_local(self, key: str) -> None:
        """A local holding value key `key` in points, for grading: a score nothing else read."""
        if key in self.local:
            return
        if key == TOTAL_KEY:
            units = "T"
        elif key in self.group_keys:  # `@组.满分` / `@组.得分率`
            part, section = self.group_keys[key]
            score, maximum = self.section_locals[section]
            local = self.local[key] = f"q{len(self.local)}"
            self.emit(1, f"{local} = _pts({maximum})" if part == "max" else f"{local} = _rate(_pts({score}), _pts({maximum}))")
            return
        else:  # `@名称`: an item's name wins over a section's, as in results
            name = key[1:]
            item = next((i for i, p in self.ev.item_plans.items() if p.name == name), None)
            units = self.item_locals[item][0] if item is not None else \
                next(self.section_locals[p.id][0] for p in self.ev.sections if p.name == name)
        self.local[key] = f"p{units}"
        self.emit(1, f"p{units} = _pts({units})")

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
    def read_keys(self) -> None:
        """Every fact's and judged item's value at once (one C call when every key is given);
        an absent key gives its fact's default, else `_M`, which the checks below settle."""
        spec = self.ev.evidence_spec
        keys = [*self.ev.facts, *spec.judged]
        known = self.const(spec.plain_keys)
        if not keys:
            self.emit(1, f"if not {known}.issuperset(e):")
            self.emit(2, "raise Slow")
            return
        targets = "".join(f"{local}, " for local in
                          [f"f{k}" for k in range(len(self.ev.facts))] + [f"j{k}" for k in range(len(spec.judged))])
        defaults = tuple(spec.defaults.get(name, _MISSING) if name in self.ev.facts else _MISSING for name in keys)
        read = f"({self.const(itemgetter(*keys))}(e),)" if len(keys) == 1 else f"{self.const(itemgetter(*keys))}(e)"
        self.emit(1, "try:")
        self.emit(2, f"{targets}= got = {read}")
        self.emit(1, "except KeyError:")
        self.emit(2, f"if not {known}.issuperset(e):")  # an unknown key: the reference reports it
        self.emit(3, "raise Slow")
        self.emit(2, f"{targets}= got = _absent(e, {self.const(tuple(keys))}, {self.const(defaults)})")
        self.emit(1, "C = False")  # some fact was converted: the facts are not the values read
        # every key read is there: any other than an id is unknown (a dict holds each key once)
        self.emit(1, f"if len(e) != {len(keys)} + ('id' in e) and not {known}.issuperset(e):")
        self.emit(2, "raise Slow")

    def read_fact(self, index: int, name: str, fact: ast.Fact) -> None:
        local = self.local[name] = f"f{index}"
        self.fact_locals.append(local)
        # acceptance.quick_test inline, from the same fields: the final class, within its int range
        # or among the listed choices; any other value is read by the table (`_fact`) or goes to the reference
        rule = FACTS[fact.type.kind]
        quick = [f"{local}.__class__ is not {self.const(rule.final)}"]
        bounds = int_range(rule, self.ev.limits)
        if bounds is not None:
            quick.append(f"not {bounds[0]} <= {local} <= {bounds[1]}")
        elif rule.listed:
            quick.append(f"{local} not in {self.const(frozenset(fact.type.choices))}")
        elif rule.final is bool:  # the same test, without looking up the class
            quick = [f"{local} is not True and {local} is not False"]
        self.emit(1, f"if {' or '.join(quick)}:  # {rule.name}")
        self.emit(2, f"{local} = _fact({local}, {self.const(rule)}, {self.const(tuple(fact.type.choices))})")
        self.emit(2, "C = True")

    def facts_source(self) -> str:
        """The facts' tuple: the values read, unless one was converted — all of them, the judged
        items' after the facts' (not sliced off: one tuple less to make for each branch)."""
        if not self.fact_locals:
            return "()"
        return f"({_tuple(self.fact_locals)} if C else got)"

    def read_judgements(self) -> None:
        spec = self.ev.evidence_spec
        self.emit(1, "W = False")  # some 酌情 entry came with a reason
        for index, (name, item) in enumerate(spec.judged.items()):
            raw, units, why = f"j{index}", f"u{index}", f"w{index}"
            self.local[f"证据 {name}"] = units
            self.emit(1, f"{why} = None")
            self.judged.append(units)
            required = name not in spec.optional
            if name in spec.levels:
                self.graded = True
                self.emit(1, f"if {raw}.__class__ is {self.const(ENTRY.settled)}:")
                self.emit(2, f"{raw}, {why} = _entry({raw})")
                self.emit(1, f"{units} = _grade({raw}, {self.const(spec.levels[name])})")
                self.notes.append(f"({raw} if {units} is not None else None, {why})")
                if required:
                    self.emit(1, f"if {units} is None:")
                    self.emit(2, "raise Slow")
            else:
                self.read_score(raw, units, why, spec.scores[name], required)
                self.notes.append(f"(None, {why})")

    def read_score(self, raw: str, units: str, why: str, scores: ScoreRange, required: bool) -> None:
        """A 酌情 score's units: an int or a float on a grid of 1/2ᵏ points read inline (times 2ᵏ
        is exact in binary, so the product is whole exactly when the decimal is on the grid);
        anything else — an entry object, a missing key, text — through the acceptance table's
        quick test and full reading (`_judged`)."""
        step = scores.grid.step
        per_point = step.denominator
        depth = 1
        table = _score_table(scores)
        if table is not None:
            self.emit(1, f"{units} = {self.const(table)}.get({raw}) if {raw}.__class__ in {self.const(_NUMBERS)} else None")
            self.emit(1, f"if {units} is None:")
            depth = 2
        elif scores.short and step.numerator == 1 and per_point & (per_point - 1) == 0:
            self.emit(1, f"if {raw}.__class__ is int and {scores.low} <= ({units} := {raw} * {per_point}) <= {scores.high}:")
            self.emit(2, "pass")
            self.emit(1, f"elif {raw}.__class__ is float and {scores.low} <= (t := {raw} * {per_point}) <= {scores.high} "
                         f"and t == ({units} := int(t)):")
            self.emit(2, "pass")
            self.emit(1, "else:")
            depth = 2
        self.emit(depth, f"{units}, {why} = _judged({raw}, {self.const(scores)})")
        self.emit(depth, f"if {why} is not None:")  # an entry object's reason: the notes are kept
        self.emit(depth + 1, "W = True")
        if required:
            self.emit(depth, f"if {units} is None:")
            self.emit(depth + 1, "raise Slow")

    def notes_source(self) -> str:
        if not self.judged:
            return "None"
        if self.graded:
            return _tuple(self.notes)
        return f"({_tuple(self.notes)} if W else None)"

    def vetoes_source(self) -> str:
        """The vetoes' tuple; when none fired (the usual case) one constant, kept by every such
        result instead of a tuple each."""
        if not self.veto_locals:
            return "()"
        return (f"({''.join(v + ', ' for v in self.veto_locals)}) if {' or '.join(self.veto_locals)} "
                f"else {self.const((False,) * len(self.veto_locals))}")

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
        self.span = self.owed = (0, 0)
        for op in plan.program:
            depth = self.step(depth, op, plan, score, left_out)
        self.item_spans[plan.id] = _with_zero(self.span) if left_out is not None else self.span
        if plan.score_key is not None:
            self.local[plan.score_key] = f"p{score}"
            self.emit(1, f"p{score} = _pts({score})")

    def step(self, depth: int, op: Op, plan: ItemPlan, score: str, left_out: str | None) -> int:
        """One step of the item's program as source, at `depth`; the depth the next step is at.
        `d` holds the deductions so far; `span` and `owed` bound the score and `d`, so a clamp
        that can never apply is left out (the straight-line code a programmer would write)."""
        if isinstance(op, LeaveOut):
            assert left_out is not None
            conditions = " or ".join(map(self.rule, op.rules))
            self.emit(depth, f"if {conditions}:")
            self.emit(depth + 1, f"{score} = 0; {left_out} = True")
            given = self.local.get(f"证据 {plan.name}")  # a 酌情 / 分档 item's units, None when blank
            if given is not None:  # scored all the same: the reference keeps the score out and says so (W501)
                self.emit(depth + 1, f"if {given} is not None:")
                self.emit(depth + 2, "raise Slow")
            self.emit(depth, "else:")
            self.emit(depth + 1, f"{left_out} = False")
            return depth + 1
        if isinstance(op, ComputeScore):
            self.emit(depth, f"{score} = _ru({self.rule(op.rule)})")
            self.span = (None, None)
        elif isinstance(op, Base):
            self.emit(depth, f"{score} = {self.base(depth, op, plan)}")
            self.span = op.starts(*self.judged_span(plan.name)) if op.kind == "judged" else (op.units, op.units)
            if any(isinstance(later, Deduct) for later in plan.program):
                self.emit(depth, "d = 0")
        elif isinstance(op, Deduct):
            self.deduct(depth, op.rule, op.per)
            units = op.rule.units
            self.owed = _plus(self.owed, (min(0, units), max(0, units)) if not op.per else
                              (0, None) if units >= 0 else (None, 0))  # 每 …: nothing where E ≤ 0
        elif isinstance(op, CapDeductions):
            cap = op.rule.units
            if self.owed[1] is None or self.owed[1] > cap:
                self.emit(depth, f"if d > {cap}:")
                self.emit(depth + 1, f"d = {cap}")
                self.owed = (None if self.owed[0] is None else min(self.owed[0], cap), cap)
        elif isinstance(op, Settle):
            self.emit(depth, f"{score} {'+' if op.sign > 0 else '-'}= d")
            self.span = _plus(self.span, self.owed) if op.sign > 0 else _plus(self.span, _negated(self.owed))
        elif isinstance(op, Award):
            self.emit(depth, f"if {self.rule(op.rule)}:")
            self.emit(depth + 1, f"{score} += {op.rule.units}")
            self.span = _plus(self.span, (min(0, op.rule.units), max(0, op.rule.units)))
        elif isinstance(op, Clamp):
            self.span = self.clamp(depth, score, op.high, op.low, self.span)
        else:
            self.emit(depth, f"if {self.rule(op.rule)}:")
            self.emit(depth + 1, f"{score} = 0")
            self.span = _with_zero(self.span)
        return depth

    def judged_span(self, name: str) -> tuple[int, int]:
        spec = self.ev.evidence_spec
        if name in spec.levels:
            return min(spec.levels[name].values()), max(spec.levels[name].values())
        return spec.scores[name].low, spec.scores[name].high

    def deduct(self, depth: int, rule: Rule, per: bool) -> None:
        if not per:
            self.emit(depth, f"if {self.rule(rule)}:")
            self.emit(depth + 1, f"d += {rule.units}")
            return
        source = rule.source
        if rule.step is None and isinstance(source, ast.NameRef) and source.name in self.ev.facts:
            kind = FACTS[self.ev.facts[source.name].type.kind]
            bounds = int_range(kind, self.ev.limits)
            if kind.final is int and bounds is not None and bounds[0] >= 0:  # read as a whole number ≥ 0
                self.emit(depth, f"d += {self.local[source.name]}" + (f" * {rule.units}" if rule.units != 1 else ""))
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
        if plan.name in self.ev.evidence_spec.optional:  # a required score was checked as it was read
            self.emit(depth, f"if {units} is None:")  # applicable, yet left blank: the reference reports it
            self.emit(depth + 1, "raise Slow")
        if not op.partial:
            return units
        return f"{op.units} {'+' if op.sign > 0 else '-'} {units}"  # 酌情给分 / 酌情扣分: a part of the score

    def clamp(self, depth: int, score: str, high: int, low: int | None, span: Span = (None, None)) -> Span:
        """`score` kept within [low, high] (no lower bound for None), for a local within `span`;
        the bounds after it. A test that can never hold is not written."""
        least, most = span
        upper = most is None or most > high
        if upper:
            self.emit(depth, f"if {score} > {high}:")
            self.emit(depth + 1, f"{score} = {high}")
            least, most = (None if least is None else min(least, high)), high
        if low is not None and (least is None or least < low):
            self.emit(depth, f"{'elif' if upper else 'if'} {score} < {low}:")
            self.emit(depth + 1, f"{score} = {low}")
            least, most = low, max(most, low)  # type: ignore[type-var]
        return least, most

    def section(self, plan: SectionPlan) -> None:
        index = len(self.section_locals)
        score, maximum = f"S{index}", f"M{index}"
        self.section_locals[plan.id] = (score, maximum)
        parts = [self.item_locals[i] for i in plan.items]
        self.emit(1, f"# {plan.name}")
        terms = [self.item_locals[i][0] for i in plan.free]
        span: Span = (0, 0)
        for item in plan.free:
            span = _plus(span, self.item_spans[item])
        for choice in plan.choices:
            term, choice_span = self.choice(choice)
            terms.append(term)
            span = _plus(span, choice_span)
        left_out = [f"({plan.item_max[i]} if {o} else 0)" for i, (_, o) in zip(plan.items, parts) if o is not None]
        for group in plan.groups:  # written before it: its score clamped to its points
            group_score, group_max = self.section_locals[group]
            group_points = self.ev.plan.section(group).points
            terms.append(group_score)
            span = _plus(span, (0, group_points))
            if not group_max.isdigit():  # what its 不适用 items took from its maximum
                left_out.append(f"({group_points} - {group_max})")
        self.emit(1, f"{score} = {' + '.join(terms) or '0'}")
        self.clamp(1, score, plan.points, 0, span)
        if plan.kind in ("regular", "group") and left_out:
            self.emit(1, f"{maximum} = max({plan.points} - {' - '.join(left_out)}, 0)")
        else:  # no item can be left out: the maximum is the section's points, a literal
            self.section_locals[plan.id] = (score, str(plan.points))
        if plan.score_key is not None:
            self.local[plan.score_key] = f"p{score}"
            self.emit(1, f"p{score} = _pts({score})")

    def choice(self, choice: ChoicePlan) -> tuple[str, Span]:
        """The source of the path a choice counts — the greatest path sum (取其高) or the one its
        选项 fact names (任选其一) — and its bounds (any path's)."""
        sums, spans = [], []
        for _, items in choice.paths:
            sums.append("(" + (" + ".join(self.item_locals[i][0] for i in items) or "0") + ")")
            span: Span = (0, 0)
            for item in items:
                span = _plus(span, self.item_spans[item])
            spans.append(span)
        low = None if any(s[0] is None for s in spans) else min(s[0] for s in spans if s[0] is not None)
        high = None if any(s[1] is None for s in spans) else max(s[1] for s in spans if s[1] is not None)
        if choice.by is None:
            term = sums[0] if len(sums) == 1 else f"max({', '.join(sums)})"
        else:
            index = self.const({name: k for k, (name, _) in enumerate(choice.paths)})
            term = f"({', '.join(sums)},)[{index}[{self.local[choice.by]}]]"
        return term, (low, high)

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
                        for p in self.ev.sections if p.kind in ("bonus", "penalty"))
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


_CHUNK = 30  # CPython builds a longer tuple display item by item through a list (STACK_USE_GUIDELINE)


def _tuple(parts: list[str]) -> str:
    """A tuple display; a long one as a sum of short ones, several times faster to build."""
    chunks = [parts[k:k + _CHUNK] for k in range(0, len(parts), _CHUNK)] or [[]]
    return " + ".join(f"({''.join(p + ', ' for p in chunk)})" for chunk in chunks)


def inline_grading(plan: GradePlan) -> bool:
    """Whether the generated function can grade under `plan`: bands of its own, or a base it can
    grade (基于); no 逐级晋升 here or in a base (history is read by the reference); no division in
    a condition (the scalar grader tests every condition of a band, and a division by zero there
    is its error E510 to report)."""
    conditions = [c for band in plan.bands for c in band.conditions] + [d.condition for d in plan.downgrades]
    if plan.reads_history or any(isinstance(e, ast.Binary) and e.op == "/" for c in conditions for e in walk(c.expr)):
        return False
    return bool(plan.bands) if plan.base is None else inline_grading(plan.base)
