"""Grading a result under a scheme: bounds and level conditions, 降档, 逐级晋升, vetoes,
derived schemes, and the measures (措施) that follow (LANGUAGE.md §4, §5).

A scheme is compiled once per rubric (`CheckedRubric.grader`); grading reads only the result —
its facts, derived values, scores and history — so any result can be graded under any
scheme after the fact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import NoReturn

import attrs

from ..lang import ast
from ..core.diagnostics import EvidenceError
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, Compiled, ExprCompiler, Value, value_key
from ..check.model import CheckedScheme, CheckedRubric
from ..core.numbers import format_decimal
from ..core.reporter import Reporter
from ..eval.result import Consequence, LevelResult, Result, VetoResult
from .gap import GapFinder
from ..check.schemes import REQUEST, resolve_scheme, scheme_sources
from ..core.sourcetext import SourceTexts, Template

Values = dict[str, Value]


@attrs.frozen
class _Condition:
    test: Compiled
    text: str
    template: Template

    def holds(self, values: Values) -> bool:
        return bool(self.test(values))

    def shown(self, values: Values) -> str:
        return self.template.render(values.__getitem__)


@attrs.frozen
class _Level:
    name: str
    bound: Fraction | None
    conditions: tuple[_Condition, ...]


class SchemeGrader:
    """One scheme's levels, downgrades and mapping compiled against one rubric's names."""

    def __init__(self, scheme: CheckedScheme, rubric: CheckedRubric) -> None:
        self.scheme, self.name, self.levels = scheme, scheme.name, scheme.levels
        self.base = grader_for(rubric, scheme.base.name) if scheme.base is not None else None
        compiler, texts = ExprCompiler({*rubric.facts, *rubric.lets}), SourceTexts(scheme_sources(rubric))
        read: set[str] = set()

        def condition(expr: ast.Expr) -> _Condition:
            reads = [(e.span, value_key(e)) for e in compiler.reads(expr)]
            read.update(key for _, key in reads)
            return _Condition(compiler.compile(expr), texts.text(expr.span), texts.template(expr.span, reads))

        body = scheme.definition.body
        self.rungs = tuple(_Level(s.name, s.bound.value if s.bound else None, tuple(map(condition, s.conditions)))
                           for s in body if isinstance(s, ast.Level))
        self.mapping = {base: s.name for s in body if isinstance(s, ast.LevelMap) for base in s.base_levels}
        self.downgrades = tuple((int(s.steps.value), condition(s.condition)) for s in body
                                if isinstance(s, ast.Downgrade))
        self.one_step_up = any(isinstance(s, ast.OneStepUp) for s in body)
        self.chain: set[str] = set(self.levels) | (self.base.chain if self.base else set())
        self.consequences = scheme.consequences.measures if scheme.consequences else ()
        # what a level depends on besides the total and the vetoes: the batch engine grades
        # each distinct combination once; 逐级晋升 reads history, so those rows grade one by one
        self.reads: frozenset[str] = frozenset(read | (self.base.reads if self.base else frozenset()))
        self.reads_history: bool = self.one_step_up or (self.base is not None and self.base.reads_history)

    @property
    def floor(self) -> str:
        return self.levels[-1]

    def bound(self, level: str) -> Fraction | None:
        """The lowest total at which the score alone can reach `level` (None: no bound)."""
        if self.base is None:
            return next(r.bound for r in self.rungs if r.name == level)
        bounds = [self.base.bound(b) for b, mapped in self.mapping.items() if mapped == level]
        return None if None in bounds else min(b for b in bounds if b is not None)

    def conditions(self, level: str) -> tuple[_Condition, ...]:
        """The extra conditions of `level` (for a derived level: of its lowest base level)."""
        if self.base is None:
            return next((r.conditions for r in self.rungs if r.name == level), ())
        lowest = [b for b in self.base.levels if self.mapping.get(b) == level][-1]
        return self.base.conditions(lowest)

    def grade(self, result: Result, values: Values, ignored: frozenset[int] = frozenset()) -> LevelResult:
        reasons: list[str] = []
        if self.base is None:
            by_score = start = self._by_score(result.total, values, reasons)
            vetoed = False
        else:
            mine = frozenset(i for i, v in enumerate(result.vetoes) if v.highest in self.levels)
            below = self.base.grade(result, values, ignored | mine)
            by_score, start, vetoed = self.mapping[below.by_score], self.mapping[below.level], below.vetoed
            reasons += below.reasons
            reasons.append(f"“{self.base.name}”的“{below.level}”对应“{self.name}”的“{start}”")
        index = self.levels.index(start)
        steps = 0
        for count, condition in self.downgrades:
            if condition.holds(values):
                steps += count
                reasons.append(f"降档 {count} 级:{condition.shown(values)}")
        index = min(index + steps, len(self.levels) - 1)
        if self.one_step_up:
            index = self._one_step_up(result, index, reasons)
        for number, veto in enumerate(result.vetoes):
            if veto.fired and number not in ignored:
                cap = self._veto_cap(veto)
                if cap is not None:
                    vetoed = True
                    if cap > index:
                        index = cap
                    reasons.append(f"一票否决({veto.because or veto.text}),最高“{self.levels[cap]}”"
                                   if veto.highest in self.levels else f"一票否决:{veto.because or veto.text}")
        return LevelResult(self.name, self.levels[index], by_score, steps, vetoed, tuple(reasons))

    def _by_score(self, total: Fraction | int, values: Values, reasons: list[str]) -> str:
        shown = format_decimal(Fraction(total))
        for rung in self.rungs:
            if rung.bound is not None and total < rung.bound:
                continue
            failed = [c.shown(values) for c in rung.conditions if not c.holds(values)]
            if failed:
                reasons.append(f"未评为“{rung.name}”:条件不成立:{';'.join(failed)}")
                continue
            if rung.bound is not None:
                reasons.append(f"总分 {shown} 分,达到“{rung.name}”的分数线 {format_decimal(rung.bound)} 分")
            else:
                reasons.append(f"总分 {shown} 分,未达到更高等级,为“{rung.name}”")
            return rung.name
        reasons.append(f"总分 {shown} 分,为最低等级“{self.floor}”")
        return self.floor

    def _veto_cap(self, veto: VetoResult) -> int | None:
        """The highest index a fired veto allows here; None when the base scheme applies it."""
        if veto.highest in self.levels:
            return self.levels.index(veto.highest)
        if self.base is not None and veto.highest in self.base.chain:
            return None
        return len(self.levels) - 1

    def _one_step_up(self, result: Result, index: int, reasons: list[str]) -> int:
        years = result.history.get(self.name, {})
        if not years:
            _history_error(f"等级方案“{self.name}”要求逐级晋升,证据的“历史”中缺少“{self.name}”上一年的等级")
        last_year = max(years)
        last = years[last_year]
        self.check_level(last, last_year)
        highest = max(self.levels.index(last) - 1, 0)
        if index < highest:
            reasons.append(f"逐级晋升:{last_year} 年为“{last}”,今年最高“{self.levels[highest]}”")
            return highest
        return index

    def check_level(self, level: str, year: int) -> None:
        if level not in self.levels:
            _history_error(f"历史中 {year} 年的等级“{level}”不是等级方案“{self.name}”的等级"
                           f"({'、'.join(self.levels)})")

    def measures(self, result: Result, level: str) -> list[Consequence]:
        """The 措施 for `level`, and those for runs of years at it (连续 N 年)."""
        found: list[Consequence] = []
        years = result.history.get(self.name, {})
        for year, past in years.items():
            self.check_level(past, year)
        for measure in self.consequences:
            if measure.level != level:
                continue
            run = None if measure.years is None else int(measure.years.value)
            if run is not None and not _consecutive(years, level, run - 1):
                continue
            found.extend(Consequence(self.name, level, text, run) for text in measure.texts)
        return found


def _consecutive(years: Mapping[int, str], level: str, count: int) -> bool:
    """The latest `count` years of history are consecutive and all at `level`."""
    if count <= 0:
        return True
    latest = max(years, default=0)
    return all(years.get(latest - back) == level for back in range(count))


def _history_error(message: str) -> NoReturn:
    reporter = Reporter()
    reporter.report("E513", message, REQUEST, "在证据中写 \"历史\": {\"方案名\": {\"年份\": \"等级\"}}")
    raise EvidenceError(reporter.diagnostics)


def result_values(result: Result) -> Values:
    """What scheme conditions read: facts, derived values, `@` scores, 总分, 未达标类型数 — as the
    engine keeps them when it can (no item or section results built), else from the sections."""
    kept = result.scheme_values
    if isinstance(kept, dict):
        return kept
    values: Values = {**dict(result.facts), **dict(result.derived)}
    for section in result.sections:
        values[f"@{section.name}"] = section.score
        for item in section.items:
            values[f"@{item.name}"] = item.score
    values[TOTAL_KEY] = result.total
    values[BELOW_PASS_KEY] = sum(1 for s in result.sections if s.kind == "regular" and s.passed is False)
    return values


def grader_for(rubric: CheckedRubric, name: str) -> SchemeGrader:
    """The compiled form of scheme `name` for this rubric, built once and kept in `rubric.compiled`."""
    return rubric.compiled.get((SchemeGrader, name), lambda: SchemeGrader(resolve_scheme(rubric, name), rubric))


def grade_level(rubric: CheckedRubric, result: Result, scheme: str) -> LevelResult:
    return grader_for(rubric, scheme).grade(result, result_values(result))


def grade_result(rubric: CheckedRubric, result: Result, schemes: Iterable[str] | None, explain: bool) -> Result:
    """The result with its levels, measures and (when explaining) the gap to the next level."""
    names = list(rubric.schemes) if schemes is None else list(dict.fromkeys(schemes))
    if not names:
        return result
    values = result_values(result)
    graders = {name: grader_for(rubric, name) for name in names}
    levels: dict[str, LevelResult] = {}
    consequences: list[Consequence] = []
    for name, grader in graders.items():
        levels[name] = grader.grade(result, values)
        consequences += grader.measures(result, levels[name].level)
    graded = attrs.evolve(result, levels=levels, consequences=tuple(consequences))
    if explain:
        finder = GapFinder(rubric, graded, values, graders)
        graded = attrs.evolve(graded, gap={name: finder.gap(name) for name in names})
    return graded
