"""A standard's 适用 line lowered once: the condition on the evidence's facts that says which
branches the standard is for (a 领域's standard: 领域 = 农村). Scoring a branch it is not for is
the evidence error E521, located at the 适用 line; a family of standards (`RubricFamily`) picks,
for each branch, the one standard whose condition holds (E522 when none or several do).

The condition reads facts, and derived values computed from facts only (the checker's E423), so
it is decided from the evidence as given, before any scoring: a branch that a standard is not
for is told so even when it lacks the facts that standard's items read. When a fact it reads is
missing or not a value the quick paths take as it is (a default, a value to be refused), the
scored result decides instead (`refuse_unless_applies`), with the engine's own messages first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from ..check.model import CheckedRubric
from ..check.schemes import scheme_sources
from ..core.diagnostics import EvidenceError, Note
from ..core.limits import Limits
from ..core.reporter import Reporter
from ..core.source import Span
from ..lang import ast
from ..check.exprcheck import walk
from .acceptance import FACTS, FactRule, settle
from .evidence import Locate
from .expressions import Compiled, DivisionByZero, ExprCompiler, Value
from .grading import Condition, Conditions


@attrs.frozen
class GivenFact:
    name: str
    rule: FactRule = attrs.field(eq=False, repr=False)
    choices: tuple[str, ...]


@attrs.frozen
class AppliesPlan:
    rubric: str
    subject: str  # the word for what the standard rates (主体), in its messages
    condition: Condition
    facts: tuple[GivenFact, ...]  # the facts it reads, directly or through derived values
    derived: tuple[tuple[str, Compiled], ...] = attrs.field(eq=False, repr=False)  # in the order to compute
    limits: Limits = attrs.field(eq=False, repr=False)
    span: Span = attrs.field(eq=False, repr=False)

    def holds(self, values: Mapping[str, Value]) -> bool:
        return self.condition.holds(values)

    def decides(self, values: Mapping[str, Value], sources: Mapping[str, str]) -> bool:
        """Whether the condition holds; a division by 0 in it is this branch's E510, as anywhere
        else in the standard (not an exception the caller never sees coming)."""
        try:
            return self.holds(values)
        except DivisionByZero as exc:
            raise exc.evidence_error(sources) from None

    def given(self, data: object) -> dict[str, Value] | None:
        """The values the condition reads, from the evidence as given (read as the engines read
        them); None when a fact is missing or not one the quick paths settle themselves."""
        if not isinstance(data, Mapping):
            return None
        values: dict[str, Value] = {}
        for fact in self.facts:
            raw = data.get(fact.name)
            settled = None if raw is None else settle(fact.rule, raw, self.limits, fact.choices)
            if settled is None:
                return None
            values[fact.name] = settled
        try:
            for name, compute in self.derived:
                values[name] = compute(values)
        except DivisionByZero:  # the scoring reports it (E510)
            return None
        return values

    def refusal(self, values: Mapping[str, Value], sources: Mapping[str, str], notes: Sequence[Note] = ()) -> EvidenceError:
        """E521 for a branch the standard is not for, with the values the condition read; `notes`
        point at the branch's evidence (a record of a batch file)."""
        reporter = Reporter()
        for file, text in sources.items():
            reporter.add_source(file, text)
        reporter.report("E521", f"标准“{self.rubric}”不适用于这个{self.subject}:{self.condition.shown(values)}",
                        self.span,
                        "换用适用于它的标准;同一文件中的各分领域标准可以一起加载(starrules.load_family)", notes)
        return EvidenceError(reporter.diagnostics)


def applies_plan(rubric: CheckedRubric) -> AppliesPlan | None:
    """The rubric's 适用 line, lowered; None when it has none (it is for every branch)."""
    return rubric.compiled.get(AppliesPlan, lambda: _lowered(rubric))


def _lowered(rubric: CheckedRubric) -> AppliesPlan | None:
    line = rubric.applies
    if line is None:
        return None
    facts: dict[str, GivenFact] = {}
    derived: dict[str, Compiled] = {}
    compiler = ExprCompiler({*rubric.facts, *rubric.lets})

    def visit(expr: ast.Expr) -> None:
        for node in walk(expr):
            if not isinstance(node, ast.NameRef):
                continue
            fact = rubric.facts.get(node.name)
            if fact is not None and node.name not in facts:
                facts[node.name] = GivenFact(node.name, FACTS[fact.type.kind], fact.type.choices)
            let = rubric.lets.get(node.name)
            if let is not None and node.name not in derived:
                visit(let.expr)  # what it reads first (the checker refused cycles)
                derived[node.name] = compiler.compile(let.expr)

    visit(line.condition)
    return AppliesPlan(rubric.name, rubric.subject, Conditions(rubric).condition(line.condition),
                       tuple(facts.values()), tuple(derived.items()), rubric.limits, line.span)


def refuse_before_scoring(rubric: CheckedRubric, data: object, opened: tuple[Locate, Reporter] | None = None) -> None:
    """E521 when the evidence as given shows the standard is not for this branch; `opened`: the
    evidence's locator and reporter, for a note at the branch's first fact the condition reads."""
    plan = applies_plan(rubric)
    if plan is None:
        return
    values = plan.given(data)
    if values is not None and not plan.decides(values, scheme_sources(rubric)):
        notes: list[Note] = []
        if opened is not None and plan.facts:
            locate, reporter = opened
            where = locate(plan.facts[0].name)
            if where.line > 0:  # a file's record, not a mapping given in memory
                notes.append(reporter.note(where, f"这个{plan.subject}的“{plan.facts[0].name}”"))
        raise plan.refusal(values, scheme_sources(rubric), notes)


def refuse_unless_applies(rubric: CheckedRubric, values: Mapping[str, Value]) -> None:
    """E521 when the 适用 condition does not hold for a scored branch's values (facts with their
    defaults, derived values)."""
    plan = applies_plan(rubric)
    if plan is not None and not plan.decides(values, scheme_sources(rubric)):
        raise plan.refusal(values, scheme_sources(rubric))


def pick_standard(rubrics: Sequence[CheckedRubric], data: object, locate: Locate, reporter: Reporter) -> CheckedRubric:
    """The one standard of a family whose 适用 condition holds for this branch's facts (read as
    the evidence gives them); E522 when none or more than one does, located in the evidence by
    its `locate` and `reporter`."""
    plans = [(rubric, plan) for rubric in rubrics if (plan := applies_plan(rubric)) is not None]
    fits = [rubric for rubric, plan in plans
            if (values := plan.given(data)) is not None and plan.decides(values, scheme_sources(rubric))]
    if len(fits) == 1:
        return fits[0]
    given = data if isinstance(data, Mapping) else {}
    keys = list(dict.fromkeys(fact.name for _, plan in plans for fact in plan.facts))
    shown = ",".join(f"{k} {given[k]}" if given.get(k) is not None else f"{k} 未填" for k in keys)
    first = len(reporter.diagnostics)
    where = locate(keys[0] if keys else "")
    subject = rubrics[0].subject if rubrics else ast.DEFAULT_SUBJECT  # a family rates one kind of thing
    if fits:
        reporter.report("E522", f"这个{subject}({shown})同时适用 {len(fits)} 个标准:{'、'.join(r.name for r in fits)}",
                        where, "各分领域标准的适用条件不能重叠")
    else:
        reporter.report("E522", f"没有适用于这个{subject}({shown})的标准", where,
                        ";".join(f"“{rubric.name}”适用于 {plan.condition.text}" for rubric, plan in plans))
    raise EvidenceError(reporter.diagnostics[first:])
