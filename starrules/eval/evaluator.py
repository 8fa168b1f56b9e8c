"""Evaluation of one branch: the graph's nodes run in order, every point exact (LANGUAGE.md §3, §7).

Points are whole numbers of the rubric's grid (精度), so sums and clamps are int arithmetic;
a computed value becomes points once, by 四舍五入. The evaluator holds only functions built
from the graph; each call keeps its state in a fresh `_Run`, so one evaluator serves many
threads at once. The traced run here is the reference; a `dict` of evidence in final form is
first offered to the generated fast path (fastpath.py), whose result fills in its sections
from the fast path's scores, or from the reference with the trace, when first read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from ..lang import ast
from ..core.diagnostics import EvidenceError
from ..plan.evidence import Evidence, EvidenceSpec, Judgement, Locate, identifier_text, open_evidence, read_evidence
from .fastpath import FastPath, FastState
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, Compiled, DivisionByZero, ExprCompiler, Value, value_key
from ..plan.graph import REGULAR, TOTAL, Graph, Node, compile_graph, item_id
from ..core.limits import Limits
from ..check.model import CheckedRubric
from ..core.numbers import Exact, Grid, exact, format_decimal, half_up
from ..core.reporter import Reporter
from .result import ClauseTrace, ItemResult, Lazy, Result, SectionResult, VetoResult
from ..core.sourcetext import SourceTexts, Template, show_value

Slots = tuple[str, ...]  # the value keys a rule reads (a name, `@名称`, 总分 or 未达标类型数)


class _Run:
    """The state of one evaluation."""

    __slots__ = ("values", "units", "maxima", "left_out", "judgements", "explain", "items", "missing",
                 "regular_max")

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


class _Rule:
    """One clause's compiled parts: its condition or quantity, its text, what it reads."""

    __slots__ = ("clause", "source", "expr", "units", "step", "text", "line", "template", "slots", "bare_name")

    def __init__(self, ev: Evaluator, clause: ast.Clause, expr: ast.Expr | None, units: int = 0,
                 step: Fraction | None = None) -> None:
        self.clause, self.source = clause, expr
        self.expr: Compiled | None = ev.compiler.compile(expr) if expr is not None else None
        self.units, self.step = units, step
        self.text, self.line = ev.sources.text(clause.span), clause.span.line
        reads = ev.compiler.reads(expr) if expr is not None else []
        self.slots: Slots = tuple(dict.fromkeys(value_key(e) for e in reads))
        self.template: Template | None = None if expr is None else \
            ev.sources.template(expr.span, [(e.span, value_key(e)) for e in reads])
        self.bare_name = isinstance(expr, (ast.NameRef, ast.ScoreRef))

    def trace(self, run: _Run, kind: str, points: int, fired: bool, ev: Evaluator,
              quantity: Value | None = None) -> ClauseTrace:
        """`quantity`: the value of a 每 … or 得分 = expression, shown unless it is a bare name."""
        values = tuple((key, run.values[key]) for key in self.slots if key in run.values)
        because = self.template.render(run.values.__getitem__) if fired and self.template is not None else None
        if because is not None and quantity is not None and not self.bare_name:
            because += f" = {show_value(quantity)}"
        return ClauseTrace(kind, ev.grid.points(points), fired, self.text, self.line, because, values)


class _ItemPlan:
    """An item's clauses sorted by role, with §3's scoring rule in `run`."""

    def __init__(self, ev: Evaluator, node: Node, container_kind: str) -> None:
        item = node.payload
        assert isinstance(item, ast.Item)
        self.ev, self.id, self.name, self.kind, self.item = ev, node.id, item.name, container_kind, item
        self.line = item.span.line
        grid = ev.grid
        self.max = grid.units(item.points.value)
        self.not_applicable: list[_Rule] = []
        self.zero: list[_Rule] = []
        self.deduct: list[_Rule] = []  # 扣 … 如果 and 每 … 扣, in file order
        self.award: list[_Rule] = []
        self.score_is: _Rule | None = None
        self.base: _Rule | None = None  # 起评, 酌情 or 分档
        self.max_deduct: _Rule | None = None
        self.floor: _Rule | None = None
        self.negative = False
        for clause in item.clauses:
            self._add(clause)
        self.score_key = f"@{item.name}" if f"@{item.name}" in ev.referenced else None

    def _add(self, clause: ast.Clause) -> None:
        ev, grid = self.ev, self.ev.grid
        if isinstance(clause, ast.NotApplicable):
            self.not_applicable.append(_Rule(ev, clause, clause.condition))
        elif isinstance(clause, ast.Zero):
            self.zero.append(_Rule(ev, clause, clause.condition))
        elif isinstance(clause, ast.DeductIf):
            self.deduct.append(_Rule(ev, clause, clause.condition, grid.units(clause.points.value)))
        elif isinstance(clause, ast.DeductPer):
            step = clause.step.value if clause.step is not None else None
            self.deduct.append(_Rule(ev, clause, clause.per, grid.units(clause.points.value), step))
        elif isinstance(clause, ast.Award):
            self.award.append(_Rule(ev, clause, clause.condition, grid.units(clause.points.value)))
        elif isinstance(clause, ast.ScoreIs):
            self.score_is = _Rule(ev, clause, clause.expr)
        elif isinstance(clause, (ast.Start, ast.Judged, ast.Grades)):
            self.base = _Rule(ev, clause, None, grid.units(clause.points.value) if isinstance(clause, ast.Start) else 0)
        elif isinstance(clause, ast.MaxDeduct):
            self.max_deduct = _Rule(ev, clause, None, grid.units(clause.points.value))
        elif isinstance(clause, ast.FloorZero):
            self.floor = _Rule(ev, clause, None)
        elif isinstance(clause, ast.AllowNegative):
            self.negative = True

    def run(self, run: _Run) -> None:
        values, ev = run.values, self.ev
        trace: list[ClauseTrace] | None = [] if run.explain else None
        for rule in self.not_applicable:
            if rule.expr(values):  # type: ignore[misc]
                run.left_out.add(self.id)
                self._finish(run, 0, [rule.trace(run, "not_applicable", 0, True, ev)] if trace is not None else None)
                return
            if trace is not None:
                trace.append(rule.trace(run, "not_applicable", 0, False, ev))
        score = self._computed(run, trace) if self.score_is is not None else self._clauses(run, trace)
        self._finish(run, self._zeroing(run, score, trace), trace)

    def _computed(self, run: _Run, trace: list[ClauseTrace] | None) -> int:
        rule = self.score_is
        assert rule is not None and rule.expr is not None
        value = rule.expr(run.values)
        raw = self.ev.grid.round_units(value)  # type: ignore[arg-type]
        if trace is not None:
            trace.append(rule.trace(run, "score", raw, True, self.ev, value))
        return self._clamp(run, raw, 0, trace)

    def _clauses(self, run: _Run, trace: list[ClauseTrace] | None) -> int:
        values, ev = run.values, self.ev
        base = self._base(run, trace)
        sign = 1 if self.kind == "penalty" else -1  # a penalty item accumulates its deductions
        deducted = 0
        for rule in self.deduct:
            value = rule.expr(values)  # type: ignore[misc]
            amount = _deduction(rule, value)
            deducted += amount
            if trace is not None:
                per = not isinstance(rule.clause, ast.DeductIf)
                trace.append(rule.trace(run, "deduct_per" if per else "deduct", sign * amount, amount != 0, ev,
                                        value if per else None))
        if self.max_deduct is not None and deducted > self.max_deduct.units:
            if trace is not None:
                trace.append(self.max_deduct.trace(run, "max_deduct", -sign * (deducted - self.max_deduct.units),
                                                   True, ev))
            deducted = self.max_deduct.units
        score = base + sign * deducted
        for rule in self.award:
            fired = bool(rule.expr(values))  # type: ignore[misc]
            if fired:
                score += rule.units
            if trace is not None:
                trace.append(rule.trace(run, "award", rule.units if fired else 0, fired, ev))
        return self._clamp(run, score, None if self.negative else 0, trace)

    def _base(self, run: _Run, trace: list[ClauseTrace] | None) -> int:
        rule = self.base
        if self.kind != "regular":
            return 0
        if rule is None:
            if trace is not None:
                trace.append(ClauseTrace("base", self.ev.grid.points(self.max), True,
                                         f"分值 {_points_text(self.ev, self.max)}分", self.line))
            return self.max
        if isinstance(rule.clause, ast.Start):
            if trace is not None:
                trace.append(rule.trace(run, "start", rule.units, True, self.ev))
            return rule.units
        judgement = run.judgements.get(self.name)
        if judgement is None:  # reported once every item has run
            run.missing.append(self.name)
            return 0
        if trace is not None:
            trace.append(self._judged_trace(rule, judgement))
        return judgement.units

    def _judged_trace(self, rule: _Rule, judgement: Judgement) -> ClauseTrace:
        kind = "grades" if judgement.level is not None else "judged"
        because = f"评为“{judgement.level}”" if judgement.level is not None else None
        return ClauseTrace(kind, self.ev.grid.points(judgement.units), True, rule.text, rule.line, because,
                           reason=judgement.reason, rater=judgement.rater)

    def _clamp(self, run: _Run, score: int, lower: int | None, trace: list[ClauseTrace] | None) -> int:
        if score > self.max:
            if trace is not None:
                trace.append(ClauseTrace("cap", self.ev.grid.points(self.max - score), True,
                                         f"不超过分值 {_points_text(self.ev, self.max)}分", self.line))
            return self.max
        if lower is not None and score < lower:
            if trace is not None:
                text, line = (self.floor.text, self.floor.line) if self.floor is not None else ("扣完为止", self.line)
                trace.append(ClauseTrace("floor_zero", self.ev.grid.points(lower - score), True, text, line))
            return lower
        return score

    def _zeroing(self, run: _Run, score: int, trace: list[ClauseTrace] | None) -> int:
        for rule in self.zero:
            fired = bool(rule.expr(run.values))  # type: ignore[misc]
            if trace is not None:
                trace.append(rule.trace(run, "zero", -score if fired else 0, fired, self.ev))
            if fired:
                score = 0
        return score

    def _finish(self, run: _Run, score: int, trace: list[ClauseTrace] | None) -> None:
        run.units[self.id] = score
        if self.score_key is not None:
            run.values[self.score_key] = self.ev.grid.points(score)
        if trace is not None:
            run.items[self.id] = self.result(run, tuple(trace))

    def result(self, run: _Run, trace: tuple[ClauseTrace, ...] = ()) -> ItemResult:
        grid, applicable = self.ev.grid, self.id not in run.left_out
        return ItemResult(self.name, grid.points(run.units[self.id]), grid.points(self.max if applicable else 0),
                          applicable, trace, self.line)


def _deduction(rule: _Rule, value: Value) -> int:
    """Grid units a 扣 … 如果 or 每 [K] E 扣 N clause takes; N × E is rounded half up once."""
    if isinstance(rule.clause, ast.DeductIf):
        return rule.units if value else 0
    if value <= 0:  # type: ignore[operator]
        return 0
    count = value if rule.step is None else (value / rule.step).__floor__()  # type: ignore[operator]
    return half_up(rule.units * count)  # type: ignore[arg-type]


def _points_text(ev: Evaluator, units: int) -> str:
    return format_decimal(Fraction(ev.grid.points(units)))


class _SectionPlan:
    """A regular, bonus or penalty section: the sum of its applicable items, clamped."""

    def __init__(self, ev: Evaluator, node: Node) -> None:
        container = node.payload
        assert isinstance(container, (ast.Section, ast.ExtraSection))
        self.ev, self.id, self.name, self.node = ev, node.id, container.display_name, node
        self.kind = "regular" if isinstance(container, ast.Section) else container.kind
        grid = ev.grid
        self.points = grid.units(container.points.value if isinstance(container, ast.Section)
                                 else container.cap.value)
        self.items = node.inputs
        self.item_max = {item_id(i.name): grid.units(i.points.value) for i in container.items}
        section = container if isinstance(container, ast.Section) else None
        self.pass_line = grid.units(section.pass_line.value) if section and section.pass_line else None
        self.weight = section.weight.value if section and section.weight else None
        self.score_key = f"@{self.name}" if f"@{self.name}" in ev.referenced else None

    def run(self, run: _Run) -> None:
        units = run.units
        score = sum(units[i] for i in self.items)
        left_out = sum(self.item_max[i] for i in self.items if i in run.left_out)
        units[self.id] = min(max(score, 0), self.points)
        run.maxima[self.id] = max(self.points - left_out, 0) if self.kind == "regular" else self.points
        if self.score_key is not None:
            run.values[self.score_key] = self.ev.grid.points(units[self.id])

    def result(self, run: _Run) -> SectionResult:
        grid = self.ev.grid
        score = run.units[self.id]
        passed = None if self.pass_line is None else score >= self.pass_line
        return SectionResult(self.name, self.kind, grid.points(score), grid.points(run.maxima[self.id]), passed,
                             None if self.pass_line is None else grid.points(self.pass_line),
                             None if self.weight is None else exact(self.weight),
                             tuple(run.items[i] for i in self.items))


class RegularSum:
    """The regular sections' sum and maximum: raw, or weighted, or rescaled (折算), each rounded
    once. Shared by the traced evaluator and the generated fast path."""

    def __init__(self, graph: Graph, sections: list[_SectionPlan]) -> None:
        grid = Grid(graph.precision)
        self.points = [p.points for p in sections]
        self.weights = [p.weight for p in sections] if any(p.weight is not None for p in sections) else None
        self.scale = grid.units(graph.max_score if graph.max_score is not None else Fraction(100))
        self.target = None if graph.rescale is None else grid.units(graph.rescale)

    @property
    def plain(self) -> bool:
        """A plain sum of whole grid units (no weights, no 折算)."""
        return self.weights is None and self.target is None

    def combine(self, scores: list[int], maxima: list[int]) -> tuple[int, int]:
        score: Exact
        maximum: Exact
        if self.weights is not None:
            score, maximum = (sum((Fraction(u * self.scale, p) * (w or 0)
                                   for u, p, w in zip(units, self.points, self.weights) if p), Fraction(0))
                              for units in (scores, maxima))
        else:
            score, maximum = sum(scores), sum(maxima)
        if self.target is not None:
            score = Fraction(score * self.target, maximum) if maximum else 0
            maximum = self.target
        return half_up(score), half_up(maximum)


class Evaluator:
    """Functions built once from the graph; `evaluate` keeps all its state in locals."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.grid = Grid(graph.precision)
        self.facts = {n.name: n.payload for n in graph.of_kind("fact") if isinstance(n.payload, ast.Fact)}
        self.lets_names = [n.name for n in graph.of_kind("let")]
        self.compiler = ExprCompiler({*self.facts, *self.lets_names})
        self.sources = SourceTexts(graph.sources)
        self.referenced = _score_keys_read(graph)
        self.item_plans: dict[str, _ItemPlan] = {}
        self.sections: list[_SectionPlan] = []
        self.vetoes: list[_Rule] = []
        self.steps: list[Callable[[_Run], None]] = [step for node in graph.nodes if (step := self._step(node))]
        self.evidence_spec = EvidenceSpec(self)
        # the rubric's order (regular, then bonus and penalty), not source lines: inherited and
        # imported sections come from other places in the file or from other files
        order = {node_id: n for n, node_id in enumerate((*graph[REGULAR].inputs, *graph[TOTAL].inputs[1:]))}
        self.sections.sort(key=lambda plan: order[plan.node.id])
        self.regular = [p for p in self.sections if p.kind == "regular"]
        self.regular_sum = RegularSum(self.graph, self.regular)
        # `@名称` → where a fast state keeps that score (an item's name wins over a section's, as in results)
        self.score_slots: dict[str, tuple[str, int]] = {
            **{f"@{plan.name}": ("section", k) for k, plan in enumerate(self.sections)},
            **{f"@{plan.name}": ("item", k) for k, plan in enumerate(self.item_plans.values())}}
        self.fast = FastPath(self)

    @classmethod
    def compile(cls, rubric: CheckedRubric) -> Evaluator:
        return cls(compile_graph(rubric))

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

    def _step(self, node: Node) -> Callable[[_Run], None] | None:
        if node.kind == "let":
            assert isinstance(node.payload, ast.Let)
            name, expr = node.name, self.compiler.compile(node.payload.expr)

            def let(run: _Run) -> None:
                run.values[name] = expr(run.values)
            return let
        if node.kind == "item":
            kind = self.graph[node.parent].kind if node.parent else "section"
            self.item_plans[node.id] = _ItemPlan(self, node, "regular" if kind == "section" else kind)
            return self.item_plans[node.id].run
        if node.kind in ("section", "bonus", "penalty"):
            plan = _SectionPlan(self, node)
            self.sections.append(plan)
            return plan.run
        if node.kind == "below_pass":
            return self._below_pass
        if node.kind == "regular":
            return self._regular
        if node.kind == "total":
            return self._total
        if node.kind == "veto":
            assert isinstance(node.payload, ast.Veto)
            self.vetoes.append(_Rule(self, node.payload, node.payload.condition))  # type: ignore[arg-type]
        return None

    def _below_pass(self, run: _Run) -> None:
        run.values[BELOW_PASS_KEY] = sum(1 for plan in self.sections if plan.kind == "regular"
                                         and plan.pass_line is not None and run.units[plan.id] < plan.pass_line)

    def _regular(self, run: _Run) -> None:
        run.units[REGULAR], run.regular_max = self.regular_sum.combine(
            [run.units[p.id] for p in self.regular], [run.maxima[p.id] for p in self.regular])

    def _total(self, run: _Run) -> None:
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
                return self._fast_result(state, data, explain, rubric)
        read = read_evidence(self.evidence_spec, data, locate, reporter)
        run, vetoes = self._trace(read, explain)
        if run.missing:
            for name in run.missing:
                reporter.report("E501", f"缺少项目“{name}”的评分(它不属于不适用的情形)", locate(name))
            raise EvidenceError(reporter.diagnostics)
        return self._result(run, read, vetoes, rubric)

    def _trace(self, evidence: Evidence, explain: bool) -> tuple[_Run, list[tuple[_Rule, bool]]]:
        """The reference: every node in order, with the trace when `explain`."""
        run = _Run(evidence, explain)
        try:
            for step in self.steps:
                step(run)
            vetoes = [(rule, bool(rule.expr(run.values))) for rule in self.vetoes]  # type: ignore[misc]
        except DivisionByZero as exc:
            self._raise_division(exc)
        return run, vetoes

    def _raise_division(self, exc: DivisionByZero) -> None:
        reporter = Reporter()
        for file, text in self.graph.sources.items():
            reporter.add_source(file, text)
        reporter.report("E510", "按这份证据计算时除数为 0", exc.span, "检查作为除数的事实,或在标准中用“若 … 则 … 否则”避开 0")
        raise EvidenceError(reporter.diagnostics)

    def _result(self, run: _Run, evidence: Evidence, vetoes: list[tuple[_Rule, bool]],
                rubric: CheckedRubric | None) -> Result:
        grid = self.grid
        sections, veto_results = self._detail(run, vetoes)
        facts = tuple((name, run.values[name]) for name in self.facts)
        derived = tuple((name, run.values[name]) for name in self.lets_names)
        identifier = evidence.extra.get("id")
        return Result(self.graph.rubric, self.graph.title, grid.points(run.units[TOTAL]), grid.points(run.regular_max),
                      any(fired for _, fired in vetoes), sections, veto_results, facts, derived,
                      id=identifier_text(identifier), history=evidence.history, graded_by=rubric)

    def _detail(self, run: _Run, vetoes: list[tuple[_Rule, bool]]) -> tuple[tuple[SectionResult, ...],
                                                                            tuple[VetoResult, ...]]:
        if not run.explain:
            run.items = {i: plan.result(run) for i, plan in self.item_plans.items()}
        return (tuple(plan.result(run) for plan in self.sections),
                tuple(_veto_result(rule, fired, run, self) for rule, fired in vetoes))

    def _fast_result(self, state: FastState, data: Mapping[str, Any], explain: bool, rubric: CheckedRubric | None) -> Result:
        """The fast path's scores; the parts of the result are made when first read."""
        parts = _FastParts(self, state, explain)
        identifier = data.get("id")
        return Result(self.graph.rubric, self.graph.title, self.grid.points(state.total),
                      self.grid.points(state.regular_max), True in state.vetoes, parts, parts, parts, parts,
                      id=identifier_text(identifier), graded_by=rubric, values=parts)

    def _state_run(self, state: FastState, values: dict[str, Value]) -> tuple[_Run, list[tuple[_Rule, bool]]]:
        """A finished untraced run rebuilt from the fast path's state and its fact and derived `values`."""
        grid = self.grid
        run = _Run(Evidence(values, {}, {}), explain=False)
        for plan, units, left_out in zip(self.item_plans.values(), state.items, state.left_out):
            run.units[plan.id] = units
            run.values[f"@{plan.name}"] = grid.points(units)
            if left_out:
                run.left_out.add(plan.id)
        for section, units, maximum in zip(self.sections, state.sections, state.maxima):
            run.units[section.id], run.maxima[section.id] = units, maximum
            run.values[f"@{section.name}"] = grid.points(units)
        run.units[TOTAL], run.regular_max = state.total, state.regular_max
        run.values[TOTAL_KEY], run.values[BELOW_PASS_KEY] = grid.points(state.total), state.below_pass
        return run, list(zip(self.vetoes, state.vetoes))

    def item_units(self, result: Result) -> tuple[dict[str, int], set[str]]:
        """A result's item scores in grid units by item id, and the ids of 不适用 items."""
        grid = self.grid
        units = {item_id(i.name): grid.units(i.score) for i in result.items}
        return units, {item_id(i.name) for i in result.items if not i.applicable}

    def total_with(self, units: Mapping[str, int], left_out: set[str], scores: Mapping[str, Exact]) -> Exact:
        """The total with these item units (from `item_units`) and some items' scores replaced
        (by item name): sections, weights, 折算 and bonus/penalty caps as in a real run."""
        run = _Run(Evidence({}, {}, {}), explain=False)
        run.units.update(units)
        run.units.update((item_id(name), self.grid.units(score)) for name, score in scores.items())
        run.left_out = left_out
        for plan in self.sections:
            plan.run(run)
        self._regular(run)
        self._total(run)
        return self.grid.points(run.units[TOTAL])


class _FastParts(Lazy):
    """A fast result's sections and vetoes (from the state, or traced by the reference when
    explaining), facts and derived values, each made once on first read."""

    __slots__ = ("ev", "state", "explain", "_detail", "_facts", "_derived", "_vetoes")

    def __init__(self, ev: Evaluator, state: FastState, explain: bool) -> None:
        self.ev, self.state, self.explain = ev, state, explain
        self._detail: tuple[tuple[SectionResult, ...], tuple[VetoResult, ...]] | None = None
        self._facts: tuple[tuple[str, Value], ...] | None = None
        self._derived: tuple[tuple[str, Value], ...] | None = None
        self._vetoes: tuple[VetoResult, ...] | None = None

    def detail(self) -> tuple[tuple[SectionResult, ...], tuple[VetoResult, ...]]:
        if self._detail is None:
            ev, state = self.ev, self.state
            if self.explain:
                judgements = {name: Judgement(units, level, *(why or (None, None)))
                              for name, (units, level, why) in zip(ev.evidence_spec.judged, state.judged)
                              if units is not None}
                self._detail = ev._detail(*ev._trace(Evidence(dict(self.facts()), judgements, {}), True))
            else:
                self._detail = ev._detail(*ev._state_run(state, {**dict(self.facts()), **dict(self.derived())}))
        return self._detail

    def part(self, name: str) -> Any:
        return getattr(self, name)()

    def sections(self) -> tuple[SectionResult, ...]:
        return self.detail()[0]

    def vetoes(self) -> tuple[VetoResult, ...]:
        if self._detail is not None or self.explain:
            return self.detail()[1]
        if self._vetoes is None:  # grading reads the vetoes: they need no item or section results
            values, ev = self.values(), self.ev
            for rule in ev.vetoes:
                for key in rule.slots:
                    values[key]  # a score a veto reads is made points now, so its trace shows it
            run = _Run(Evidence(values, {}, {}), explain=False)
            self._vetoes = tuple(_veto_result(rule, fired, run, ev) for rule, fired in zip(ev.vetoes, self.state.vetoes))
        return self._vetoes

    def values(self) -> StateValues:
        """What scheme conditions read (`Result.scheme_values`), scores made points when read;
        made afresh for each grading, so a kept result does not keep them."""
        return StateValues(self.ev, self.state)

    def facts(self) -> tuple[tuple[str, Value], ...]:
        if self._facts is None:
            self._facts = tuple(zip(self.ev.facts, self.state.facts))
        return self._facts

    def derived(self) -> tuple[tuple[str, Value], ...]:
        if self._derived is None:
            self._derived = tuple(zip(self.ev.lets_names, self.state.lets))
        return self._derived


class StateValues(dict[str, Value]):
    """A fast result's facts, derived values, 总分 and 未达标类型数, and its `@` scores, each
    turned into points only when first read (grading reads a few, not all forty)."""

    def __init__(self, ev: Evaluator, state: FastState) -> None:
        super().__init__(zip(ev.facts, state.facts))
        self.update(zip(ev.lets_names, state.lets))
        self[TOTAL_KEY], self[BELOW_PASS_KEY] = ev.grid.points(state.total), state.below_pass
        self.ev, self.state = ev, state

    def __missing__(self, key: str) -> Value:
        where = self.ev.score_slots.get(key)
        if where is None:
            raise KeyError(key)
        units = (self.state.items if where[0] == "item" else self.state.sections)[where[1]]
        value = self[key] = self.ev.grid.points(units)
        return value


def _veto_result(rule: _Rule, fired: bool, run: _Run, ev: Evaluator) -> VetoResult:
    trace = rule.trace(run, "veto", 0, fired, ev)
    assert isinstance(rule.clause, ast.Veto)
    return VetoResult(trace.text, trace.line, fired, trace.because, trace.values, rule.clause.highest)


def _score_keys_read(graph: Graph) -> set[str]:
    """Value keys (`@名称`, 总分, 未达标类型数) that some derived value, clause or veto reads,
    from the graph's edges: only those scores are converted to points during a run."""
    keys: set[str] = set()
    for node in graph.nodes:
        if node.kind not in ("let", "clause", "veto"):
            continue
        for source in filter(None, map(graph.get, node.inputs)):
            if source.kind in ("item", "section", "bonus", "penalty"):
                keys.add(f"@{source.name}")
            elif source.kind in ("total", "below_pass"):
                keys.add(source.name)
    return keys


def evaluator_for(rubric: CheckedRubric) -> Evaluator:
    """The rubric's evaluator, compiled on first use and kept in `rubric.compiled`."""
    return rubric.compiled.get(Evaluator, lambda: Evaluator.compile(rubric))
