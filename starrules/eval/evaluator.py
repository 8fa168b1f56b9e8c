"""Evaluation of one branch: the graph's nodes run in order, every point exact (LANGUAGE.md §3, §7).

Points are whole numbers of the rubric's grid (精度), so sums and clamps are int arithmetic;
a computed value becomes points once, by 四舍五入. The evaluator holds only functions built
from the graph; each call keeps its state in a fresh `Run`, so one evaluator serves many
threads at once. The traced run here is the reference; a `dict` of evidence in final form is
first offered to the generated fast path (fastpath.py), whose result fills in its sections
from the fast path's scores, or from the reference with the trace, when first read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any, TypeVar

from ..lang import ast
from ..core.diagnostics import EvidenceError
from ..plan.evidence import Evidence, EvidenceSpec, Judgement, Locate, identifier_text, open_evidence, read_evidence
from .fastpath import FastPath, FastScores, FastState, grades_of, inline_grading
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, Compiled, DivisionByZero, ExprCompiler, Value, group_rate
from ..plan.grading import GradePlan, grade_plan
from ..plan.graph import REGULAR, TOTAL, Graph, compile_graph, item_id
from ..plan.scoring import (Award, Base, CapDeductions, Clamp, ComputeScore, Deduct, ItemPlan, LeaveOut, Op, Rule,
                            ChoicePlan, SectionPlan, Settle, Step, lower)
from ..core.limits import Limits
from ..check.judged import JUDGED_WORDS, judged_part
from ..check.model import CheckedRubric
from ..core.numbers import Exact, exact, format_decimal, half_up
from ..core.reporter import Reporter
from .result import (NO_CONTEXT, NOTHING_ADDED, NOTHING_GIVEN, Graded, REASONS, ChoiceResult, ClauseTrace, Gap, Grades, ItemResult, Lazy, LevelResult, Result, ResultWarning, SectionResult,
                     VetoResult)
from ..core.sourcetext import SourceTexts, Template, show_value

Slots = tuple[str, ...]  # the value keys a rule reads (a name, `@名称`, 总分 or 未达标类型数)


class Run:
    """The state of one evaluation."""

    __slots__ = ("values", "units", "maxima", "left_out", "judgements", "explain", "items", "missing",
                 "regular_max", "warnings")

    def __init__(self, evidence: Evidence, explain: bool) -> None:
        self.values: dict[str, Value] = dict(evidence.values)
        self.units: dict[str, int] = {}  # item / section id → score in grid units
        self.maxima: dict[str, int] = {}  # section id → applicable maximum in grid units
        self.left_out: set[str] = set()  # ids of items that are 不适用
        self.judgements = evidence.judgements
        self.explain = explain
        self.items: dict[str, ItemResult] = {}
        self.missing: list[str] = []  # judged items left blank that turned out applicable
        self.regular_max = 0
        self.warnings: dict[str, ResultWarning] = {}  # item name → W501: scored, yet 不适用


class _Rule:
    """One clause of the plan compiled: its condition or quantity as a function, its text, what it reads."""

    __slots__ = ("clause", "source", "expr", "units", "step", "text", "line", "template", "slots", "bare_name")

    def __init__(self, ev: Evaluator, rule: Rule) -> None:
        self.clause, self.source, self.units, self.step, self.slots = rule.clause, rule.source, rule.units, rule.step, \
            rule.reads
        expr = rule.source
        self.expr: Compiled | None = ev.compiler.compile(expr) if expr is not None else None
        self.text, self.line = ev.sources.text(rule.clause.span), rule.line
        self.template: Template | None = None if expr is None else \
            ev.sources.template(expr.span, ev.compiler.slots(expr))
        self.bare_name = isinstance(expr, (ast.NameRef, ast.ScoreRef))

    def trace(self, run: Run, kind: str, points: int, fired: bool, ev: Evaluator,
              quantity: Value | None = None) -> ClauseTrace:
        """`quantity`: the value of a 每 … or 得分 = expression, shown unless it is a bare name."""
        known = run.values
        try:  # every value a rule reads is known by the time it runs
            values = tuple(zip(self.slots, map(known.__getitem__, self.slots)))
        except KeyError:
            values = tuple((key, known[key]) for key in self.slots if key in known)
        because = self.template.render(known.__getitem__) if fired and self.template is not None else None
        if because is not None and quantity is not None and not self.bare_name:
            because += f" = {show_value(quantity)}"
        return ClauseTrace(kind, ev.grid.points(points), fired, self.text, self.line, because, values)


Registers = list[int]  # an item's running score and its deductions so far, in grid units
Trace = list[ClauseTrace] | None
StepRun = Callable[[Run, Registers, Trace], bool]  # True: the item is left out, stop


class _ItemRun:
    """An item of the plan with each step of its §3 program compiled; `run` runs them in order."""

    def __init__(self, ev: Evaluator, plan: ItemPlan) -> None:
        self.ev, self.id, self.name, self.kind, self.item = ev, plan.id, plan.name, plan.kind, plan.item
        self.line, self.max, self.score_key = plan.line, plan.max, plan.score_key
        self.sign = next((op.sign for op in plan.program if isinstance(op, Settle)), -1)
        self.judged = any(isinstance(op, Base) and op.kind == "judged" for op in plan.program)
        self.steps = [self._step(op) for op in plan.program]

    def run(self, run: Run) -> None:
        registers = [0, 0]
        trace: Trace = [] if run.explain else None
        for step in self.steps:
            if step(run, registers, trace):
                return
        self._finish(run, registers[0], trace)

    def _step(self, op: Op) -> StepRun:
        if isinstance(op, LeaveOut):
            return self._leave_out([_Rule(self.ev, r) for r in op.rules])
        if isinstance(op, ComputeScore):
            return self._compute(_Rule(self.ev, op.rule))
        if isinstance(op, Base):
            return self._base(op)
        if isinstance(op, Deduct):
            return self._deduct(_Rule(self.ev, op.rule), op.per)
        if isinstance(op, CapDeductions):
            return self._cap(_Rule(self.ev, op.rule))
        if isinstance(op, Settle):
            return self._settle(op.sign)
        if isinstance(op, Award):
            return self._award(_Rule(self.ev, op.rule))
        if isinstance(op, Clamp):
            return self._clamp(op)
        return self._zero(_Rule(self.ev, op.rule))

    def _leave_out(self, rules: list[_Rule]) -> StepRun:
        ev, judged, name = self.ev, self.judged, self.name

        def leave_out(run: Run, registers: Registers, trace: Trace) -> bool:
            for rule in rules:
                if rule.expr(run.values):  # type: ignore[misc]
                    run.left_out.add(self.id)
                    if judged and name in run.judgements:  # scored all the same: kept out, and said (W501)
                        run.warnings[name] = self._scored_warning(rule, run)
                    self._finish(run, 0, [rule.trace(run, "not_applicable", 0, True, ev)] if trace is not None else None)
                    return True
                if trace is not None:
                    trace.append(rule.trace(run, "not_applicable", 0, False, ev))
            return False
        return leave_out

    def _scored_warning(self, rule: _Rule, run: Run) -> ResultWarning:
        """W501: the evidence scored an item its facts make 不适用; the score stays out."""
        judgement = run.judgements[self.name]
        points = _points_text(self.ev, judgement.units)
        given = f"评的“{judgement.level}”({points} 分)" if judgement.level is not None else f"的 {points} 分"
        because = rule.template.render(run.values.__getitem__) if rule.template is not None else rule.text
        return ResultWarning("W501", f"证据给项目“{self.name}”{given}不计入得分和总分:它不适用,因为 {because}",
                             self.name, self.line)

    def _compute(self, rule: _Rule) -> StepRun:
        ev = self.ev

        def compute(run: Run, registers: Registers, trace: Trace) -> bool:
            value = rule.expr(run.values)  # type: ignore[misc]
            registers[0] = raw = ev.grid.round_units(value)  # type: ignore[arg-type]
            if trace is not None:
                trace.append(rule.trace(run, "score", raw, True, ev, value))
            return False
        return compute

    def _base(self, op: Base) -> StepRun:
        ev, units = self.ev, op.units
        rule = None if op.rule is None else _Rule(ev, op.rule)
        name = self.name

        full = f"分值 {_points_text(ev, units)}分"  # the trace's text, written once
        points = ev.grid.points(units)

        def fixed(run: Run, registers: Registers, trace: Trace) -> bool:
            registers[0] = units
            if trace is not None and op.kind == "full":
                trace.append(ClauseTrace("base", points, True, full, self.line))
            elif trace is not None and rule is not None:
                trace.append(rule.trace(run, "start", units, True, ev))
            return False

        # 酌情给分 / 酌情扣分: the start is units + sign × entry; the trace shows the units as a base
        # and the entry (taken away: negative) after it, so the trace still adds up to the score
        offset = ClauseTrace("base", points, True, self._offset_text(op), self.line) if op.partial else None
        clause = op.rule.clause if op.rule is not None else None
        mode = clause.mode if isinstance(clause, ast.Judged) else "judged"
        part = None if not isinstance(clause, ast.Judged) or mode == "judged" else \
            (JUDGED_WORDS[mode], judged_part(self.item, clause).high)

        def judged(run: Run, registers: Registers, trace: Trace) -> bool:
            judgement = run.judgements.get(name)
            if judgement is None:  # reported once every item has run
                run.missing.append(name)
                registers[0] = op.start(0)
                return False
            registers[0] = op.start(judgement.units)
            if trace is not None and rule is not None:
                if offset is not None:
                    trace.append(offset)
                trace.append(self._judged_trace(rule, judgement, op.sign, part))
            return False
        return judged if op.kind == "judged" else fixed

    def _offset_text(self, op: Base) -> str:
        """The base of a 酌情给分 / 酌情扣分 item, in words."""
        ev = self.ev
        if op.sign < 0:
            return f"分值 {_points_text(ev, op.units)}分,减去酌情扣分"
        return f"分值 {_points_text(ev, self.max)}分中不由酌情评定的 {_points_text(ev, op.units)}分"

    def _judged_trace(self, rule: _Rule, judgement: Judgement, sign: int = 1,
                      part: tuple[str, Fraction] | None = None) -> ClauseTrace:
        """分档: “评为 X”; 酌情给分 / 酌情扣分 (`part`: the word and the top of the range): what was
        given or taken, of how much at most."""
        kind = "grades" if judgement.level is not None else "judged"
        because = f"评为“{judgement.level}”" if judgement.level is not None else None
        if part is not None:
            word, top = part
            because = f"{word} {_points_text(self.ev, judgement.units)} 分(至多 {format_decimal(top)} 分)"
        return ClauseTrace(kind, self.ev.grid.points(sign * judgement.units), True, rule.text, rule.line, because,
                           reason=judgement.reason, rater=judgement.rater)

    def _deduct(self, rule: _Rule, per: bool) -> StepRun:
        ev, sign = self.ev, self.sign

        def deduct(run: Run, registers: Registers, trace: Trace) -> bool:
            value = rule.expr(run.values)  # type: ignore[misc]
            amount = _deduction(rule, value, per)
            registers[1] += amount
            if trace is not None:
                trace.append(rule.trace(run, "deduct_per" if per else "deduct", sign * amount, amount != 0, ev,
                                        value if per else None))
            return False
        return deduct

    def _cap(self, rule: _Rule) -> StepRun:
        ev, sign, cap = self.ev, self.sign, rule.units

        def cap_deductions(run: Run, registers: Registers, trace: Trace) -> bool:
            if registers[1] > cap:
                if trace is not None:
                    trace.append(rule.trace(run, "max_deduct", -sign * (registers[1] - cap), True, ev))
                registers[1] = cap
            return False
        return cap_deductions

    def _settle(self, sign: int) -> StepRun:
        def settle(run: Run, registers: Registers, trace: Trace) -> bool:
            registers[0] += sign * registers[1]
            return False
        return settle

    def _award(self, rule: _Rule) -> StepRun:
        ev, units = self.ev, rule.units

        def award(run: Run, registers: Registers, trace: Trace) -> bool:
            fired = bool(rule.expr(run.values))  # type: ignore[misc]
            if fired:
                registers[0] += units
            if trace is not None:
                trace.append(rule.trace(run, "award", units if fired else 0, fired, ev))
            return False
        return award

    def _clamp(self, op: Clamp) -> StepRun:
        ev, high, low = self.ev, op.high, op.low
        floor_text, floor_line = (ev.sources.text(op.floor.clause.span), op.floor.line) if op.floor is not None \
            else ("扣完为止", self.line)

        capped = f"不超过分值 {_points_text(ev, high)}分"  # the trace's text, written once

        def clamp(run: Run, registers: Registers, trace: Trace) -> bool:
            score = registers[0]
            if score > high:
                if trace is not None:
                    trace.append(ClauseTrace("cap", ev.grid.points(high - score), True, capped, self.line))
                registers[0] = high
            elif low is not None and score < low:
                if trace is not None:
                    trace.append(ClauseTrace("floor_zero", ev.grid.points(low - score), True, floor_text, floor_line))
                registers[0] = low
            return False
        return clamp

    def _zero(self, rule: _Rule) -> StepRun:
        ev = self.ev

        def zero(run: Run, registers: Registers, trace: Trace) -> bool:
            fired = bool(rule.expr(run.values))  # type: ignore[misc]
            if trace is not None:
                trace.append(rule.trace(run, "zero", -registers[0] if fired else 0, fired, ev))
            if fired:
                registers[0] = 0
            return False
        return zero

    def _finish(self, run: Run, score: int, trace: list[ClauseTrace] | None) -> None:
        run.units[self.id] = score
        if self.score_key is not None:
            run.values[self.score_key] = self.ev.grid.points(score)
        if trace is not None:
            run.items[self.id] = self.result(run, tuple(trace))

    def result(self, run: Run, trace: tuple[ClauseTrace, ...] = ()) -> ItemResult:
        grid, applicable = self.ev.grid, self.id not in run.left_out
        return ItemResult(self.name, grid.points(run.units[self.id]), grid.points(self.max if applicable else 0),
                          applicable, trace, self.line)


def _deduction(rule: _Rule, value: Value, per: bool) -> int:
    """Grid units a 扣 … 如果 or 每 [K] E 扣 N clause takes; N × E is rounded half up once."""
    if not per:
        return rule.units if value else 0
    if value <= 0:  # type: ignore[operator]
        return 0
    count = value if rule.step is None else (value / rule.step).__floor__()  # type: ignore[operator]
    return half_up(rule.units * count)  # type: ignore[arg-type]


def _points_text(ev: Evaluator, units: int) -> str:
    return format_decimal(Fraction(ev.grid.points(units)))


class _SectionRun:
    """A section of the plan: the sum of its applicable items, clamped."""

    def __init__(self, ev: Evaluator, plan: SectionPlan) -> None:
        self.ev, self.id, self.name, self.kind, self.points = ev, plan.id, plan.name, plan.kind, plan.points
        self.items, self.item_max, self.pass_line, self.weight = plan.items, plan.item_max, plan.pass_line, plan.weight
        self.score_key, self.free, self.choices = plan.score_key, plan.free, plan.choices
        self.groups, self.within = plan.groups, plan.within
        # a group's points, for what its 不适用 items take from this section's maximum
        self.group_points = [ev.plan.section(g).points for g in plan.groups]

    def counted(self, choice: ChoicePlan, run: Run) -> tuple[int, list[int]]:
        """The path a choice counts (its index) and every path's sum."""
        sums = [sum(run.units[i] for i in items) for _, items in choice.paths]
        return choice.counted(sums, run.values.get(choice.by) if choice.by is not None else None), sums

    def run(self, run: Run) -> None:
        units = run.units
        score = sum(units[i] for i in self.free)
        for choice in self.choices:
            index, sums = self.counted(choice, run)
            score += sums[index]
        left_out = sum(self.item_max[i] for i in self.items if i in run.left_out)
        for group, points in zip(self.groups, self.group_points):
            score += units[group]
            left_out += points - run.maxima[group]
        units[self.id] = min(max(score, 0), self.points)
        run.maxima[self.id] = max(self.points - left_out, 0) if self.kind in ("regular", "group") else self.points
        if self.score_key is not None:
            run.values[self.score_key] = self.ev.grid.points(units[self.id])

    def result(self, run: Run) -> SectionResult:
        grid = self.ev.grid
        score = run.units[self.id]
        passed = None if self.pass_line is None else score >= self.pass_line
        choices = []
        for choice in self.choices:
            index, sums = self.counted(choice, run)
            choices.append(ChoiceResult(choice.name, "best" if choice.by is None else "chosen",
                                        tuple((name, grid.points(units)) for (name, _), units in zip(choice.paths, sums)),
                                        choice.paths[index][0], grid.points(sums[index])))
        return SectionResult(self.name, self.kind, grid.points(score), grid.points(run.maxima[self.id]), passed,
                             None if self.pass_line is None else grid.points(self.pass_line),
                             None if self.weight is None else exact(self.weight),
                             tuple(run.items[i] for i in self.within), tuple(choices),
                             tuple(self.ev.section_run(g).result(run) for g in self.groups))


class Evaluator:
    """Functions built once from the graph; `evaluate` keeps all its state in locals."""

    def __init__(self, graph: Graph, schemes: Mapping[str, GradePlan] | None = None) -> None:
        """`schemes`: the grading plans of the rubric's own schemes; those the fast path can
        grade inline (`inline_grading`) are compiled into it."""
        self.graph = graph
        self.plan = plan = lower(graph)
        self.grid = plan.grid
        self.facts = plan.facts
        self.lets_names = list(plan.lets)
        self.compiler = ExprCompiler({*self.facts, *self.lets_names})
        self.sources = SourceTexts(graph.sources)
        self.referenced = plan.referenced
        # the plan's records, which the fast path and the batch engine read
        self.item_plans, self.sections, self.regular = plan.items, plan.sections, plan.regular
        self.regular_sum, self.vetoes = plan.regular_sum, plan.vetoes
        # the reference's own compiled runs of them
        self.item_runs = {item_id: _ItemRun(self, item) for item_id, item in plan.items.items()}
        self.section_runs = [_SectionRun(self, section) for section in plan.sections]
        self._section_runs = {section.id: section for section in self.section_runs}
        # the order a run scores them in: each group before the section it is in
        self.scoring_order = [self._section_runs[str(step.key)] for step in plan.steps if step.kind == "section"]
        self.veto_rules = [_Rule(self, veto.rule) for veto in plan.vetoes]
        self.steps: list[Callable[[Run], None]] = [step for s in plan.steps if (step := self._step(s))]
        self.evidence_spec = EvidenceSpec(self)
        # value key → where a fast state keeps it (an item's name wins over a section's, as in results)
        self.value_slots: dict[str, tuple[str, int]] = {
            **{name: ("fact", k) for k, name in enumerate(self.facts)},
            **{name: ("let", k) for k, name in enumerate(self.lets_names)},
            **{f"@{section.name}": ("section", k) for k, section in enumerate(plan.sections)},
            **{f"@{section.name}.{word}": (part, k) for k, section in enumerate(plan.sections)
               for part, word in ast.GROUP_PARTS.items()},
            **{f"@{item.name}": ("item", k) for k, item in enumerate(plan.items.values())},
            TOTAL_KEY: ("total", 0), BELOW_PASS_KEY: ("below_pass", 0)}
        # the schemes (by the name the rubric gives) graded inside the generated function, in order
        self.inline_schemes = {name: plan for name, plan in (schemes or {}).items() if inline_grading(plan)}
        self.inline_names = tuple(self.inline_schemes)
        self.one_inline = next(((name, plan.names) for name, plan in self.inline_schemes.items()), None) \
            if len(self.inline_schemes) == 1 else None
        self.fast = FastPath(self)

    @classmethod
    def compile(cls, rubric: CheckedRubric) -> Evaluator:
        return cls(compile_graph(rubric), {name: grade_plan(rubric, name) for name in rubric.schemes})

    def __reduce__(self) -> tuple[type[Evaluator], tuple[Graph]]:
        return (Evaluator, (self.graph,))  # the functions are rebuilt, not pickled

    # what the evidence reader needs (the same shape as a CheckedRubric)
    @property
    def precision(self) -> Fraction:
        return self.graph.precision

    @property
    def limits(self) -> Limits:
        return self.graph.limits

    @property
    def items(self) -> tuple[ast.Item, ...]:
        return tuple(plan.item for plan in self.item_plans.values())

    @property
    def blank_scores(self) -> frozenset[str]:
        """The items on 任选其一 paths (`CheckedRubric.blank_scores`, from the plan)."""
        return frozenset(self.item_plans[i].name for s in self.sections for c in s.choices if c.by is not None
                         for _, items in c.paths for i in items)

    def _step(self, step: Step) -> Callable[[Run], None] | None:
        if step.kind == "let":
            name = str(step.key)
            expr = self.compiler.compile(self.plan.lets[name])

            def let(run: Run) -> None:
                run.values[name] = expr(run.values)
            return let
        if step.kind == "item":
            return self.item_runs[str(step.key)].run
        if step.kind == "section":
            return self.section_run(str(step.key)).run
        if step.kind == "below_pass":
            return self._below_pass
        if step.kind == "regular":
            return self._regular
        if step.kind == "total":
            return self._total
        return None  # vetoes run once every score is known (`_trace`)

    def _below_pass(self, run: Run) -> None:
        run.values[BELOW_PASS_KEY] = sum(1 for plan in self.regular
                                         if plan.pass_line is not None and run.units[plan.id] < plan.pass_line)

    def _regular(self, run: Run) -> None:
        run.units[REGULAR], run.regular_max = self.regular_sum.combine(
            [run.units[p.id] for p in self.regular], [run.maxima[p.id] for p in self.regular])

    def section_run(self, section_id: str) -> _SectionRun:
        return self._section_runs[section_id]

    def _total(self, run: Run) -> None:
        total = run.units[REGULAR]
        for plan in self.sections:
            if plan.kind == "bonus":
                total += run.units[plan.id]
            elif plan.kind == "penalty":
                total -= run.units[plan.id]
        run.units[TOTAL] = max(total, 0)
        if TOTAL_KEY in self.referenced:
            run.values[TOTAL_KEY] = self.grid.points(run.units[TOTAL])

    # evaluation
    def evaluate(self, evidence: Mapping[str, Any] | str | os.PathLike[str], *, explain: bool = True) -> Result:
        """Score one fact sheet (no raters, no levels: see `CheckedRubric.evaluate`)."""
        return self.run(*open_evidence(evidence, self.limits), explain)

    def run(self, data: object, locate: Locate, reporter: Reporter, explain: bool,
            rubric: CheckedRubric | None = None) -> Result:
        """`rubric`: the loaded rubric the result is kept with, so it can be graded later."""
        if type(data) is dict:  # noqa: E721
            state = self.fast(data)
            if state is not None:
                return self.fast_result(state, data, explain, rubric)
        return self.reference(data, locate, reporter, explain, rubric)

    def reference(self, data: object, locate: Locate, reporter: Reporter, explain: bool,
                  rubric: CheckedRubric | None = None) -> Result:
        """The reference reader and evaluator, with their messages (what `run` falls back to)."""
        read = read_evidence(self.evidence_spec, data, locate, reporter)
        run, vetoes = self._trace(read, explain)
        not_chosen = self._not_chosen(run) if run.missing else set()
        if any(name not in not_chosen for name in run.missing):  # a path not chosen needs no scores
            on_paths = self.blank_scores
            for name in (n for n in run.missing if n not in not_chosen):
                why = "它在选用的路径上" if name in on_paths else "它不属于不适用的情形"
                reporter.report("E501", f"缺少项目“{name}”的评分({why})", locate(name))
            raise EvidenceError(reporter.diagnostics)
        return self._result(run, read, vetoes, rubric)

    def _not_chosen(self, run: Run) -> set[str]:
        """The names of the items on the paths a 任选其一 does not count (by its fact's value)."""
        found: set[str] = set()
        for section in self.sections:
            for choice in section.choices:
                if choice.by is not None:
                    found.update(self.item_plans[i].name for name, items in choice.paths
                                 if name != run.values.get(choice.by) for i in items)
        return found

    def _trace(self, evidence: Evidence, explain: bool) -> tuple[Run, list[tuple[_Rule, bool]]]:
        """The reference: every node in order, with the trace when `explain`."""
        run = Run(evidence, explain)
        try:
            for step in self.steps:
                step(run)
            vetoes = [(rule, bool(rule.expr(run.values))) for rule in self.veto_rules]  # type: ignore[misc]
        except DivisionByZero as exc:
            self._raise_division(exc)
        return run, vetoes

    def _raise_division(self, exc: DivisionByZero) -> None:
        raise exc.evidence_error(self.graph.sources) from None

    def _result(self, run: Run, evidence: Evidence, vetoes: list[tuple[_Rule, bool]],
                rubric: CheckedRubric | None) -> Result:
        grid = self.grid
        sections, veto_results = self._detail(run, vetoes)
        facts = tuple((name, run.values[name]) for name in self.facts)
        derived = tuple((name, run.values[name]) for name in self.lets_names)
        identifier = evidence.extra.get("id")
        warnings = tuple(run.warnings[p.name] for p in self.item_plans.values() if p.name in run.warnings) \
            if run.warnings else ()  # in the rubric's order
        return Result.of(self.graph.rubric, self.graph.title, grid.points(run.units[TOTAL]),
                         grid.points(run.regular_max), any(fired for _, fired in vetoes), sections, veto_results, facts,
                         derived, id=identifier_text(identifier), history=evidence.history, graded_by=rubric,
                         year=evidence.year, warnings=warnings)

    def _detail(self, run: Run, vetoes: list[tuple[_Rule, bool]]) -> tuple[tuple[SectionResult, ...],
                                                                            tuple[VetoResult, ...]]:
        if not run.explain:
            run.items = {i: item.result(run) for i, item in self.item_runs.items()}
        return (tuple(section.result(run) for section in self.section_runs if section.kind != "group"),
                tuple(_veto_result(rule, fired, run, self) for rule, fired in vetoes))

    def fast_result(self, state: FastState, data: Mapping[str, Any], explain: bool, rubric: CheckedRubric | None,
                    levels: Mapping[str, LevelResult] | None = None, gap: Mapping[str, Gap] | Lazy | None = None,
                    parts: Lazy | None = None) -> Result:
        """The fast path's scores, with levels when the caller graded them from the state; the
        other parts of the result are made when first read (by `parts`, a `_FastParts`)."""
        parts = parts or _FastParts(self, state, explain, rubric)
        points, graph = self.grid.points, self.graph
        identifier = data.get("id")
        if identifier is not None and identifier.__class__ is not str:
            identifier = identifier_text(identifier)
        added = NOTHING_ADDED if gap is None else Graded(gap=gap)
        return Result(graph.rubric, graph.title, points(state.total), points(state.regular_max), True in state.vetoes,
                      parts, NOTHING_GIVEN if levels is None else levels, identifier, NO_CONTEXT, rubric, added)

    def fast_graded(self, state: FastState, data: Mapping[str, Any], explain: bool, rubric: CheckedRubric | None,
                    gap: Mapping[str, Gap] | Lazy | None = None) -> Result:
        """The fast path's result with the level of each scheme the generated function graded
        inline (`inline_schemes`); each level's reasons are written when first read."""
        parts = _FastParts(self, state, explain, rubric)
        if self.one_inline is not None:  # the usual rubric: one scheme
            name, names = self.one_inline
            index, by_score, steps, vetoed = state.grades
            levels = {name: LevelResult(name, names[index], names[by_score], steps, vetoed is True, parts)}
        else:
            levels = {name: LevelResult(name, plan.names[index], plan.names[by_score], steps, vetoed, parts)
                      for (name, plan), (index, by_score, steps, vetoed) in zip(self.inline_schemes.items(),
                                                                                grades_of(state))}
        return self.fast_result(state, data, explain, rubric, levels, gap, parts)

    def _state_run(self, state: FastState, scores: FastScores,
                   values: dict[str, Value]) -> tuple[Run, list[tuple[_Rule, bool]]]:
        """A finished untraced run rebuilt from the fast path's state, its item and section
        `scores` and its fact and derived `values`."""
        grid = self.grid
        run = Run(Evidence(values, {}, {}), explain=False)
        for plan, units, left_out in zip(self.item_plans.values(), scores.items, scores.left_out):
            run.units[plan.id] = units
            run.values[f"@{plan.name}"] = grid.points(units)
            if left_out:
                run.left_out.add(plan.id)
        for section, units, maximum in zip(self.sections, scores.sections, scores.maxima):
            run.units[section.id], run.maxima[section.id] = units, maximum
            run.values[f"@{section.name}"] = grid.points(units)
        run.units[TOTAL], run.regular_max = state.total, state.regular_max
        run.values[TOTAL_KEY], run.values[BELOW_PASS_KEY] = grid.points(state.total), state.below_pass
        return run, list(zip(self.veto_rules, state.vetoes))

    def item_units(self, result: Result) -> tuple[dict[str, int], set[str]]:
        """A result's item scores in grid units by item id, and the ids of 不适用 items."""
        grid = self.grid
        units = {item_id(i.name): grid.units(i.score) for i in result.items}
        return units, {item_id(i.name) for i in result.items if not i.applicable}

    def rescored(self, units: Mapping[str, int], left_out: set[str], scores: Mapping[str, Exact],
                 facts: Mapping[str, Value]) -> Run:
        """A run with these item units (from `item_units`) and some items' scores replaced (by
        item name), scored on from the items: sections and groups (with the path each 取其高 /
        任选其一 counts, 任选其一 reading its fact in `facts`), 未达标类型数, weights, 折算 and
        bonus/penalty caps as in a real run (what the gap to the next level asks: what if)."""
        run = Run(Evidence(dict(facts), {}, {}), explain=False)
        run.units.update(units)
        run.units.update((item_id(name), self.grid.units(score)) for name, score in scores.items())
        run.left_out = left_out
        for section in self.scoring_order:
            section.run(run)
        self._below_pass(run)
        self._regular(run)
        self._total(run)
        return run

_T = TypeVar("_T")


class _FastParts(Lazy):
    """A fast result's sections and vetoes (from the state, or traced by the reference when
    explaining), facts and derived values, each made once on first read."""

    __slots__ = ("ev", "state", "explain", "rubric", "_made")

    def __init__(self, ev: Evaluator, state: FastState, explain: bool, rubric: CheckedRubric | None) -> None:
        self.ev, self.state, self.explain, self.rubric = ev, state, explain, rubric
        # each part once made, by name (a dict made on the first read: most results are never read)
        self._made: dict[str, Any] | None = None

    def _once(self, name: str, make: Callable[[], _T]) -> _T:
        """The part `name`, made by `make` on its first read."""
        if self._made is None:
            self._made = {}
        found: _T | None = self._made.get(name)
        if found is None:
            found = self._made[name] = make()
        return found

    def detail(self) -> tuple[tuple[SectionResult, ...], tuple[VetoResult, ...]]:
        return self._once("detail", self._make_detail)

    def _make_detail(self) -> tuple[tuple[SectionResult, ...], tuple[VetoResult, ...]]:
        ev, state = self.ev, self.state
        if self.explain:
            notes = state.notes or ((None, None),) * len(state.judged)
            judgements = {name: Judgement(units, level, *(why or (None, None)))
                          for name, units, (level, why) in zip(ev.evidence_spec.judged, state.judged, notes)
                          if units is not None}
            return ev._detail(*ev._trace(Evidence(dict(self.facts()), judgements, {}), True))
        return ev._detail(*ev._state_run(state, self.scores(), {**dict(self.facts()), **dict(self.derived())}))

    def part(self, name: str) -> Any:
        if name.startswith(REASONS):
            return self.reasons(name[len(REASONS):])
        return getattr(self, name)()

    def reasons(self, scheme: str) -> tuple[str, ...]:
        """The reasons of a level the generated function graded (`LevelResult.reasons`), written
        by the rubric's grader from an ungraded result of the same state when first read."""
        rubric = self.rubric
        assert isinstance(rubric, Grades)
        return self._once(REASONS + scheme,
                          lambda: rubric.grade_level(self.ev.fast_result(self.state, {}, False, rubric), scheme).reasons)

    def sections(self) -> tuple[SectionResult, ...]:
        return self.detail()[0]

    def vetoes(self) -> tuple[VetoResult, ...]:
        if self.explain or (self._made is not None and "detail" in self._made):
            return self.detail()[1]
        return self._once("vetoes", self._make_vetoes)  # grading reads the vetoes: no items or sections needed

    def _make_vetoes(self) -> tuple[VetoResult, ...]:
        values, ev = self.values(), self.ev
        for rule in ev.veto_rules:
            for key in rule.slots:
                values[key]  # a score a veto reads is made points now, so its trace shows it
        run = Run(Evidence(values, {}, {}), explain=False)
        return tuple(_veto_result(rule, fired, run, ev) for rule, fired in zip(ev.veto_rules, self.state.vetoes))

    def values(self) -> StateValues:
        """What scheme conditions read (`Result.scheme_values`), scores made points when read;
        made afresh for each grading, so a kept result does not keep them."""
        return StateValues(self.ev, self.state, self.scores)

    def scores(self) -> FastScores:
        return self._once("scores", lambda: self.ev.fast.scores(self.state))

    def facts(self) -> tuple[tuple[str, Value], ...]:
        return self._once("facts", lambda: tuple(zip(self.ev.facts, self.state.facts)))

    def derived(self) -> tuple[tuple[str, Value], ...]:
        return self._once("derived", lambda: tuple(zip(self.ev.lets_names, self.state.lets)))

    def warnings(self) -> tuple[ResultWarning, ...]:
        return ()  # the generated function gives up a branch that would have one (W501)


class StateValues(dict[str, Value]):
    """A fast result's facts, derived values, `@` scores, 总分 and 未达标类型数, each taken from
    the fast state (scores made points) only when first read: grading reads a few, not all."""

    def __init__(self, ev: Evaluator, state: FastState, scores: Callable[[], FastScores]) -> None:
        super().__init__()
        self.ev, self.state, self.scores = ev, state, scores  # `scores`: the item and section scores, when needed

    def __missing__(self, key: str) -> Value:
        where = self.ev.value_slots.get(key)
        if where is None:
            raise KeyError(key)
        part, index = where
        state = self.state
        value: Value
        if part == "fact":
            value = state.facts[index]
        elif part == "let":
            value = state.lets[index]
        elif part == "below_pass":
            value = state.below_pass
        elif part in ("rate", "max"):
            scores, points = self.scores(), self.ev.grid.points
            maximum = points(scores.maxima[index])
            value = maximum if part == "max" else group_rate(points(scores.sections[index]), maximum)
        else:
            units = state.total if part == "total" else (self.scores().items if part == "item"
                                                         else self.scores().sections)[index]
            value = self.ev.grid.points(units)
        self[key] = value
        return value


def _veto_result(rule: _Rule, fired: bool, run: Run, ev: Evaluator) -> VetoResult:
    trace = rule.trace(run, "veto", 0, fired, ev)
    assert isinstance(rule.clause, ast.Veto)
    return VetoResult(trace.text, trace.line, fired, trace.because, trace.values, rule.clause.highest)


def evaluator_for(rubric: CheckedRubric) -> Evaluator:
    """The rubric's evaluator, compiled on first use and kept in `rubric.compiled`."""
    return rubric.compiled.get(Evaluator, lambda: Evaluator.compile(rubric))
