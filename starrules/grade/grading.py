"""Grading a result under a scheme: bounds and level conditions, 降档, 逐级晋升, vetoes,
derived schemes, and the measures (措施) that follow (LANGUAGE.md §4, §5).

`SchemeGrader` is the scalar engine of a scheme's lowered plan (`plan.grading.GradePlan`, built
once per rubric and scheme): it grades one result at a time, writing every step into the level's
reasons. Grading reads only the result — its facts, derived values, scores and history — so any
result can be graded under any scheme after the fact. The batch engine grades the same plans a
column at a time (`batch/grading.py`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, NoReturn


from ..core.diagnostics import EvidenceError
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, DivisionByZero, Value, group_values
from ..plan.grading import Cap, Condition, GradePlan, LevelPlan, grade_plan
from ..plan.applies import refuse_before_scoring, refuse_unless_applies
from ..plan.notices import notice_plans
from ..check.model import CheckedRubric
from ..core.numbers import format_decimal
from ..core.reporter import Reporter
from ..eval.evaluator import evaluator_for
from ..eval.fastpath import FastState, Slow
from ..eval.raters import evaluate_located
from ..eval.result import Consequence, Gap, Lazy, LevelResult, Result
from ..plan.evidence import YEAR_KEYS, Locate, open_evidence
from .gap import GapFinder
from ..check.schemes import REQUEST, scheme_sources

Values = dict[str, Value]


class SchemeGrader:
    """One scheme's plan for one rubric, run on one result at a time."""

    def __init__(self, plan: GradePlan, rubric: CheckedRubric) -> None:
        self.plan = plan
        self.scheme, self.name, self.levels = plan.definition, plan.scheme, plan.names
        self.base = grader_for(rubric, plan.base.scheme) if plan.base is not None else None
        self.index = {name: k for k, name in enumerate(plan.names)}
        # base level name → level name (report/summary.py follows a quota through it)
        self.mapping = {b: plan.names[m] for b, m in zip(plan.base.names, plan.mapping)} if plan.base else {}
        self.one_step_up = plan.one_step_up
        self.chain: set[str] = set(plan.chain)
        self.consequences = plan.consequences
        # what a level depends on besides the total and the vetoes; 逐级晋升 reads history,
        # so the batch engine grades those rows one by one
        self.reads: frozenset[str] = plan.reads
        self.reads_history: bool = plan.reads_history
        # a scheme whose levels have bounds and no conditions bands a total the same way every
        # time: each total's level and reason are worked out once (totals are grid values)
        self.banded: dict[Fraction | int, tuple[int, str]] | None = \
            {} if plan.bands and not any(band.conditions for band in plan.bands) else None

    @property
    def floor(self) -> str:
        return self.levels[-1]

    def bound(self, level: str) -> Fraction | None:
        """The lowest total at which the score alone can reach `level` (None: no bound)."""
        if self.base is None:
            return next(band.points for band in self.plan.bands if band.name == level)
        bounds = [self.base.bound(b) for b, mapped in self.mapping.items() if mapped == level]
        return None if None in bounds else min(b for b in bounds if b is not None)

    def conditions(self, level: str) -> tuple[Condition, ...]:
        """The extra conditions of `level` (for a derived level: of its lowest base level)."""
        if self.base is None:
            return next((band.conditions for band in self.plan.bands if band.name == level), ())
        lowest = [b for b in self.base.levels if self.mapping.get(b) == level][-1]
        return self.base.conditions(lowest)

    def grade(self, result: Result, values: Values, ignored: frozenset[int] = frozenset()) -> LevelResult:
        """`ignored`: vetoes (by index) a derived scheme caps itself, left out here."""
        plan = self.plan
        reasons: list[str] = []
        caps = self._caps(result) if result.vetoed else []  # no veto fired: none is read
        if self.base is None:
            by_score = index = self._by_score(result.total, values, reasons)
            vetoed = False
        else:
            mine = frozenset(n for n, cap in enumerate(caps) if isinstance(cap, int))
            below = self.base.grade(result, values, ignored | mine)
            by_score = plan.mapping[self.base.index[below.by_score]]
            index = plan.mapping[self.base.index[below.level]]
            vetoed = below.vetoed
            reasons += below.reasons
            reasons.append(f"“{self.base.name}”的“{below.level}”对应“{self.name}”的“{self.levels[index]}”")
        steps = 0
        for downgrade in plan.downgrades:
            if downgrade.condition.holds(values):
                steps += downgrade.steps
                reasons.append(f"降档 {downgrade.steps} 级:{downgrade.condition.shown(values)}")
        index = min(index + steps, plan.floor)
        if self.one_step_up:
            index = self._one_step_up(result, index, reasons)
        for number, (veto, cap) in enumerate(zip(result.vetoes if caps else (), caps)):
            if veto.fired and number not in ignored and cap != "base":
                vetoed = True
                highest = plan.floor if cap == "lowest" else cap
                index = max(index, highest)
                reasons.append(f"一票否决({veto.because or veto.text}),最高“{self.levels[highest]}”"
                               if cap != "lowest" else f"一票否决:{veto.because or veto.text}")
        return LevelResult(self.name, self.levels[index], self.levels[by_score], steps, vetoed, tuple(reasons))

    def _caps(self, result: Result) -> list[Cap]:
        """What each of the result's vetoes does here: the plan's, veto by veto (a result of
        another rubric, whose vetoes differ, by each one's 最高 alone)."""
        rules = self.plan.vetoes
        return [rules[n].cap if n < len(rules) and rules[n].highest == veto.highest else self.plan.cap_of(veto.highest)
                for n, veto in enumerate(result.vetoes)]

    def _by_score(self, total: Fraction | int, values: Values, reasons: list[str]) -> int:
        if self.banded is not None:
            known = self.banded.get(total)
            if known is None:
                found: list[str] = []
                if len(self.banded) > 100_000:  # a grid so fine that totals rarely repeat
                    self.banded.clear()
                known = self.banded[total] = (self._band(total, values, found), found[0])
            reasons.append(known[1])
            return known[0]
        return self._band(total, values, reasons)

    def _band(self, total: Fraction | int, values: Values, reasons: list[str]) -> int:
        for index, band in enumerate(self.plan.bands):
            if band.points is not None and total < band.points:
                continue
            failed = [c.shown(values) for c in band.conditions if not c.holds(values)]
            if failed:
                reasons.append(f"未评为“{band.name}”:条件不成立:{';'.join(failed)}")
                continue
            reasons.append(self._reached(band, index, total, values))
            return index
        # the last level's own conditions failed too
        reasons.append(f"未达到任何等级的条件,为最低等级“{self.floor}”" if self.plan.total_unused
                       else f"总分 {_points_text(total)} 分,为最低等级“{self.floor}”")
        return self.plan.floor

    def _reached(self, band: LevelPlan, index: int, total: Fraction | int, values: Values) -> str:
        """Why `band` is the level: its score line; else its conditions, each with the values it
        read (a level written with conditions only); else nothing above it held. A rubric whose
        total is not counted (总分 不计) never cites the total."""
        if band.points is not None:
            return f"总分 {_points_text(total)} 分,达到“{band.name}”的分数线 {_points_text(band.points)} 分"
        if band.conditions:
            return f"条件成立:{';'.join(c.shown(values) for c in band.conditions)},为“{band.name}”"
        if self.plan.total_unused:
            return f"未达到更高等级的条件,为“{band.name}”" if index else f"为“{band.name}”"
        return f"总分 {_points_text(total)} 分,未达到更高等级,为“{band.name}”"

    def _one_step_up(self, result: Result, index: int, reasons: list[str]) -> int:
        years = result.history.get(self.name, {})
        last_year = result.year - 1 if result.year is not None else max(years, default=None)
        if last_year is None or last_year not in years:
            shown = f" {last_year} 年" if last_year is not None else "上一年"
            _history_error(f"等级方案“{self.name}”要求逐级晋升,证据的“历史”中缺少“{self.name}”{shown}的等级")
        last = years[last_year]
        self.check_level(last, last_year)
        highest = max(self.index[last] - 1, 0)
        if index < highest:
            reasons.append(f"逐级晋升:{last_year} 年为“{last}”,今年最高“{self.levels[highest]}”")
            return highest
        return index

    def check_level(self, level: str, year: int) -> None:
        if level not in self.index:
            _history_error(f"历史中 {year} 年的等级“{level}”不是等级方案“{self.name}”的等级"
                           f"({'、'.join(self.levels)})")

    def measures(self, result: Result, level: str) -> list[Consequence]:
        """The 措施 for `level`, and those for runs of years at it (连续 N 年)."""
        return self.measures_in(result.history, level, result.year)

    def measures_in(self, history: Mapping[str, Mapping[int, str]], level: str, year: int | None = None) -> list[Consequence]:
        """`measures` for a result with this history, evaluated in `year` (None: the year after the
        latest in the history)."""
        found: list[Consequence] = []
        years = history.get(self.name, {})
        for past_year, past in years.items():
            self.check_level(past, past_year)
        for measure in self.consequences:
            if measure.level != level:
                continue
            run = None if measure.years is None else int(measure.years.value)
            if run is not None and not _consecutive(years, level, run - 1, year):
                continue
            found.extend(Consequence(self.name, level, text, run) for text in measure.texts)
        return found


@functools.lru_cache(maxsize=4096)
def _points_text(points: Fraction | int) -> str:
    """Points as reasons show them; totals repeat across branches, so each is formatted once."""
    return format_decimal(Fraction(points))


def _consecutive(years: Mapping[int, str], level: str, count: int, year: int | None) -> bool:
    """The `count` years before `year` (None: up to the latest in the history) are all at `level`;
    a year missing from the history breaks the run."""
    if count <= 0:
        return True
    latest = year - 1 if year is not None else max(years, default=0)
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
        for group in (section, *section.nested()):
            values[f"@{group.name}"] = group.score
            values.update(group_values(group.name, group.score, group.max))
        for item in section.items:
            values[f"@{item.name}"] = item.score
    values[TOTAL_KEY] = result.total
    values[BELOW_PASS_KEY] = sum(1 for s in result.sections if s.kind == "regular" and s.passed is False)
    return values


def grader_for(rubric: CheckedRubric, name: str) -> SchemeGrader:
    """The compiled form of scheme `name` for this rubric, built once and kept in `rubric.compiled`."""
    return rubric.compiled.get((SchemeGrader, name), lambda: SchemeGrader(grade_plan(rubric, name), rubric))


def grade_level(rubric: CheckedRubric, result: Result, scheme: str) -> LevelResult:
    try:
        return grader_for(rubric, scheme).grade(result, result_values(result))
    except DivisionByZero as exc:
        raise exc.evidence_error(scheme_sources(rubric)) from None


def evaluate_graded(rubric: CheckedRubric, evidence: Mapping[str, Any] | str | os.PathLike[str], explain: bool,
                    schemes: Iterable[str] | None, year: int | None = None) -> Result:
    """One branch scored and graded (`Rubric.evaluate`). A dict the fast path scores takes the
    levels of the rubric's own schemes from the generated function, which graded it inline; the
    reasons are written when first read. `year`: the evaluation year (年度) for evidence that
    does not give its own."""
    if type(evidence) is dict and year is None:
        route = rubric.compiled.made(_FastRoute) or rubric.compiled.get(_FastRoute, lambda: _FastRoute(rubric))
        # the common cases, in as few steps as can be: graded by the rubric's schemes, or by none
        if route.direct and (schemes is None or (schemes.__class__ in (tuple, list) and not schemes)):
            try:
                state = route.function(evidence)
            except Slow:
                return grade_result(rubric, _referenced(rubric, route, evidence, None, explain), schemes, explain)
            if schemes is None:
                if route.plain and not explain:
                    return route.ev.fast_graded(state, evidence, False, rubric)
                return route.finished(state, evidence, explain)
            return route.ungraded(state, evidence, explain)
        if rubric.raters is None:  # located only if the reference reads it
            refuse_before_scoring(rubric, evidence)
            return _graded_dict(rubric, route, evidence, None, explain, schemes)
    return evaluate_graded_located(rubric, *open_evidence(evidence, rubric.limits), explain, schemes, year)


def evaluate_graded_located(rubric: CheckedRubric, data: object, locate: Locate, reporter: Reporter, explain: bool,
                            schemes: Iterable[str] | None, year: int | None = None) -> Result:
    """`evaluate_graded` for evidence already opened (a record of a file: its messages located there)."""
    if year is not None and isinstance(data, Mapping) and not any(k in data for k in YEAR_KEYS):
        data = {**data, YEAR_KEYS[0]: year}
    refuse_before_scoring(rubric, data, (locate, reporter))  # a standard not for this branch (适用), told first
    if type(data) is not dict or rubric.raters is not None:
        return grade_result(rubric, evaluate_located(rubric, data, locate, reporter, explain), schemes, explain)
    route = rubric.compiled.get(_FastRoute, lambda: _FastRoute(rubric))
    return _graded_dict(rubric, route, data, (locate, reporter), explain, schemes)


def _graded_dict(rubric: CheckedRubric, route: _FastRoute, data: dict[str, Any],
                 opened: tuple[Locate, Reporter] | None, explain: bool, schemes: Iterable[str] | None) -> Result:
    state = route.fast(data)
    if state is None:
        result = _referenced(rubric, route, data, opened, explain)
    elif schemes is None and route.every_scheme:
        return route.finished(state, data, explain)
    else:
        result = route.ev.fast_result(state, data, explain, rubric)
    return grade_result(rubric, result, schemes, explain)


def _too_deep(evidence: Mapping[str, Any]) -> FastState:
    """The generated function of a rubric too deeply nested for Python's parser: there is none."""
    raise Slow


def _referenced(rubric: CheckedRubric, route: _FastRoute, data: dict[str, Any], opened: tuple[Locate, Reporter] | None,
                explain: bool) -> Result:
    """A dict the fast path gave up on, read and scored by the reference, with its messages."""
    locate, reporter = opened or open_evidence(data, rubric.limits)[1:]
    return route.ev.reference(data, locate, reporter, explain, rubric)


class _FastRoute:
    """What scoring and grading a dict on the fast path needs of a rubric, looked up once: the
    evaluator, its generated function, and the grader of each scheme graded inline that has
    measures (措施). `direct`: the rubric's branches go straight to the generated function (no
    raters, no 适用 condition to check on the evidence first)."""

    __slots__ = ("rubric", "ev", "fast", "function", "measured", "every_scheme", "notices", "applies", "direct",
                 "plain")

    def __init__(self, rubric: CheckedRubric) -> None:
        self.rubric = rubric
        self.ev = ev = evaluator_for(rubric)
        self.fast = ev.fast
        self.function = ev.fast.function or _too_deep
        graders = [(name, grader_for(rubric, name)) for name in ev.inline_schemes]
        self.measured = tuple((name, grader) for name, grader in graders if grader.consequences)
        self.every_scheme = len(graders) == len(rubric.schemes)
        self.notices = bool(notice_plans(rubric))
        self.applies = rubric.applies is not None
        self.direct = ev.fast.function is not None and self.every_scheme and rubric.raters is None and not self.applies
        # and the result is the generated function's, with nothing to add (no measures, no notices)
        self.plain = self.direct and not self.measured and not self.notices

    def ungraded(self, state: FastState, evidence: Mapping[str, Any], explain: bool) -> Result:
        """The result of a state, graded under no scheme."""
        result = self.ev.fast_result(state, evidence, explain, self.rubric)
        return with_notices(self.rubric, result) if self.notices else result

    def finished(self, state: FastState, evidence: Mapping[str, Any], explain: bool) -> Result:
        """The result of a state the generated function graded inline."""
        rubric, ev = self.rubric, self.ev
        gap = _LaterGap(rubric, ev.inline_names) if explain else None
        result = ev.fast_graded(state, evidence, explain, rubric, gap)
        if self.measured:  # the fast path reads no history
            consequences = tuple(c for name, grader in self.measured
                                 for c in grader.measures_in({}, result.levels[name].level))
            result = result.graded(result.levels, consequences, gap or {})
        if self.applies:
            refuse_unless_applies(rubric, result_values(result))
        return with_notices(rubric, result) if self.notices else result


def grade_result(rubric: CheckedRubric, result: Result, schemes: Iterable[str] | None, explain: bool) -> Result:
    """The result with its levels, measures and (when explaining) the gap to the next level."""
    names = list(rubric.schemes) if schemes is None else list(dict.fromkeys(schemes))
    if rubric.applies is not None:
        refuse_unless_applies(rubric, result_values(result))
    if not names:
        return with_notices(rubric, result) if notice_plans(rubric) else result
    values = result_values(result)
    graders = {name: grader_for(rubric, name) for name in names}
    levels: dict[str, LevelResult] = {}
    consequences: list[Consequence] = []
    try:
        for name, grader in graders.items():
            levels[name] = grader.grade(result, values)
            consequences += grader.measures(result, levels[name].level)
    except DivisionByZero as exc:  # in a level's or a 降档 condition
        raise exc.evidence_error(scheme_sources(rubric)) from None
    notices = notices_of(rubric, result, values)
    if not explain:
        return result.graded(levels, tuple(consequences), {}, notices)
    return result.graded(levels, tuple(consequences), _LaterGap(rubric, tuple(names)), notices)


def notices_of(rubric: CheckedRubric, result: Result, values: Values | None = None) -> tuple[str, ...]:
    """The texts of the rubric's 提示 lines whose conditions hold for this result."""
    plans = notice_plans(rubric)
    if not plans:
        return ()
    values = result_values(result) if values is None else values
    try:
        return tuple(plan.text for plan in plans if plan.condition.holds(values))
    except DivisionByZero as exc:  # in a notice's condition
        raise exc.evidence_error(scheme_sources(rubric)) from None


def with_notices(rubric: CheckedRubric, result: Result) -> Result:
    return result.with_notices(notices_of(rubric, result))


class _LaterGap(Lazy):
    """`Result.gap` when explaining: each scheme's gap worked out when first read (it re-scores
    the result's items, which builds them and their traces), from the result it is read through:
    it holds no reference back, so no cycle keeps a result and its traces alive."""

    __slots__ = ("rubric", "names", "made")

    def __init__(self, rubric: CheckedRubric, names: tuple[str, ...]) -> None:
        self.rubric, self.names = rubric, names
        self.made: dict[str, Gap] | None = None

    def part_of(self, owner: Any, name: str) -> dict[str, Gap]:
        if self.made is None:
            assert isinstance(owner, Result)
            graders = {scheme: grader_for(self.rubric, scheme) for scheme in self.names}
            finder = GapFinder(self.rubric, owner, result_values(owner), graders)
            self.made = {scheme: finder.gap(scheme) for scheme in self.names}
        return self.made
