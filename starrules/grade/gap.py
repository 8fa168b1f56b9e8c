"""The gap to the next level up (晋位升级): what it asks, and the fewest fixes that meet it.

The level advised is the nearest one above the current level that is open to the result (a
scheme graded on what was applied for advises only that level: `needs.next_target`). What it
asks is its score line and its conditions, taken apart into requirements (`needs.py`): a score
compared with a number shows its distance in points, a fact shows the value needed.

A fix is what a branch could put right in one item: remove the deductions and zeroing that
fired, raise a 酌情 / 分档 base to its top, avoid a penalty. Fixes are valued by re-scoring
through the evaluator (section caps, weights, 取其高 and 折算 included) and chosen together for
the score line and every score requirement: the candidates ranked by how much of the shortfall
each closes alone (then by what it adds to the total), each taken only if it closes more, until
all are met; then any fix the others make unnecessary is dropped. For a score line alone this
is the largest gains first, the smallest set for gains that add up. Facts, vetoes, 降档 and
逐级晋升 cannot be bought with points: facts are listed in `needs`, the rest as blocking.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from ..lang.ast import GROUP_PARTS, Judged
from ..plan.expressions import BELOW_PASS_KEY, TOTAL_KEY, Compiled, DivisionByZero, Value, group_values
from ..plan.graph import TOTAL
from ..check.model import CheckedRubric
from ..core.numbers import Exact, exact, format_decimal
from ..eval.result import ClauseTrace, Fix, Gap, ItemResult, LevelResult, Result
from ..eval.evaluator import Run, evaluator_for
from .needs import Requirement, next_target, requirements, score_lets

_REMOVABLE = frozenset({"deduct", "deduct_per", "zero"})
_REFUNDS = frozenset({"max_deduct", "floor_zero", "cap"})  # only there because of deductions or the cap
_JUDGED = frozenset({"judged", "grades"})

if TYPE_CHECKING:  # graders are handed in by grading.py, which imports this module
    from .grading import SchemeGrader

Values = dict[str, Value]
Deficit = tuple[int, Fraction]  # (score requirements unmet with no distance, points short in all)


class GapFinder:
    """The gaps of one result under any number of schemes; each fix is valued once."""

    def __init__(self, rubric: CheckedRubric, result: Result, values: dict[str, Value],
                 graders: Mapping[str, SchemeGrader]) -> None:
        """`values`: what the result's scheme conditions read (`grading.result_values`);
        `graders`: the compiled schemes by name, each with the result's level in `result.levels`."""
        self.rubric, self.result, self.values, self.graders = rubric, result, values, graders
        self.rescore = _Rescorer(rubric, result)
        self._candidates: list[tuple[_Candidate, Values]] | None = None

    def gap(self, scheme: str) -> Gap:
        result, grader = self.result, self.graders[scheme]
        level = result.levels[scheme]
        index = grader.levels.index(level.level)
        target, chosen_by = next_target(self.rubric, grader.plan, index, self.values) if index else (None, None)
        if target is None:
            return Gap(scheme, None, 0, (), True, chosen_by=chosen_by)
        bound = None if target.bound is None else Fraction(target.bound)
        needed = max(bound - result.total, Fraction(0)) if bound is not None else Fraction(0)
        parts = requirements(self.rubric, target.conditions)
        needs = tuple(r.need(self.values) for r in parts if not r.holds(self.values))
        blocking = self._blocking(level)
        fixes, reached = self._fixes(_Goal(bound, tuple(r for r in parts if r.kind == "score")))
        facts_short = any(n.kind == "fact" for n in needs)
        return Gap(scheme, target.level, exact(needed), fixes, reached and not blocking and not facts_short,
                   tuple(blocking), needs, chosen_by)

    def _blocking(self, level: LevelResult) -> list[str]:
        """What no fix and no condition of the level says: vetoes, 降档, 逐级晋升."""
        result = self.result
        found = [f"一票否决:{v.because or v.text}" for v in result.vetoes if v.fired] if level.vetoed else []
        if level.downgrade:
            found += [f"降档:类型“{s.name}”得 {format_decimal(Fraction(s.score))} 分,未达到达标线 "
                      f"{format_decimal(Fraction(s.pass_line))} 分" for s in result.sections
                      if s.passed is False and s.pass_line is not None]
        found += [r for r in level.reasons if r.startswith("逐级晋升")]
        return found

    def _fixes(self, goal: _Goal) -> tuple[tuple[Fix, ...], bool]:
        start = self.rescore.values({})
        if goal.met(start):
            return (), True
        taken: list[_Candidate] = []
        now = start
        for candidate in goal.ranked(start, self._each_alone()):
            trial = self.rescore.values(_chosen([*taken, candidate]))
            if goal.deficit(trial) < goal.deficit(now):  # it closes more of what is short: take it
                taken.append(candidate)
                now = trial
                if goal.met(now):
                    break
        if not goal.met(now):
            return self._listed(taken), False
        for candidate in list(taken):  # drop a fix the others meet the goal without
            rest = [c for c in taken if c is not candidate]
            if goal.met(self.rescore.values(_chosen(rest))):
                taken = rest
        return self._listed(taken), True

    def _each_alone(self) -> list[tuple[_Candidate, Values]]:
        """Every fixable item with the values once it alone is fixed (worked out once per result)."""
        if self._candidates is None:
            found = (_candidate(self.rubric, section, kind, item) for section, kind, item in _items(self.result))
            self._candidates = [(c, self.rescore.values({c.item: c.score})) for c in found if c is not None]
        return self._candidates

    def _listed(self, taken: list[_Candidate]) -> tuple[Fix, ...]:
        """The fixes in the order taken, each with what it adds to the total after those before it."""
        fixes: list[Fix] = []
        total = Fraction(self.result.total)
        for k, candidate in enumerate(taken):
            after = Fraction(_points(self.rescore.values(_chosen(taken[:k + 1]))[TOTAL_KEY]))
            fixes.append(Fix(candidate.item, candidate.section, exact(max(after - total, Fraction(0))),
                             tuple(t.text for t in candidate.changes), tuple(t.line for t in candidate.changes)))
            total = max(after, total)
        return tuple(fixes)


@attrs.frozen
class _Goal:
    """What the fixes must meet together: the level's score line and its score requirements."""

    bound: Fraction | None
    parts: tuple[Requirement, ...]

    def met(self, values: Values) -> bool:
        return self.deficit(values) == (0, Fraction(0)) and all(r.holds(values) for r in self.parts)

    def deficit(self, values: Values) -> Deficit:
        """How far `values` are from the goal: requirements unmet that have no distance, then
        the points short of the score line and of every score requirement, added up."""
        total = Fraction(_points(values[TOTAL_KEY]))
        points = max(self.bound - total, Fraction(0)) if self.bound is not None else Fraction(0)
        unmeasured = 0
        for r in self.parts:
            short = _short(r, values)
            if short is None:
                unmeasured += not r.holds(values)
            else:
                points += short
        return unmeasured, points

    def ranked(self, start: Values, alone: list[tuple[_Candidate, Values]]) -> list[_Candidate]:
        """The candidates that close some of the shortfall alone, most first, then by what they
        add to the total; equal ones keep the file's order."""
        before, total = self.deficit(start), Fraction(_points(start[TOTAL_KEY]))

        def closes(values: Values) -> tuple[int, Fraction, Fraction]:
            after = self.deficit(values)
            return before[0] - after[0], before[1] - after[1], Fraction(_points(values[TOTAL_KEY])) - total
        scored = [(closes(values), c) for c, values in alone]
        useful = [(key, c) for key, c in scored if key[:2] > (0, 0)]
        useful.sort(key=lambda entry: (-entry[0][0], -entry[0][1], -entry[0][2]))  # stable
        return [c for _, c in useful]


def _short(r: Requirement, values: Values) -> Fraction | None:
    try:
        return r.points_short(values)
    except DivisionByZero:
        return None


def _points(value: Value) -> Exact:
    assert not isinstance(value, (bool, str))
    return value


def _chosen(taken: list[_Candidate]) -> dict[str, Exact]:
    return {c.item: c.score for c in taken}


class _Rescorer:
    """A result's values with some items' scores replaced (`Evaluator.rescored`), keeping the run, whose `@` scores, 总分, 未达标类型数 and
    the 令 that read scores are read from it as grading reads them, each when first asked for."""

    def __init__(self, rubric: CheckedRubric, result: Result) -> None:
        self.ev = ev = evaluator_for(rubric)
        self.units, self.left_out = ev.item_units(result)
        self.fixed: Values = {**dict(result.facts), **dict(result.derived)}
        self.readers = _readers(rubric)
        self.lets = _score_lets(rubric)

    def values(self, chosen: Mapping[str, Exact]) -> Values:
        # 任选其一 reads its fact from `fixed`
        return _Rescored(self, self.ev.rescored(self.units, self.left_out, chosen, self.fixed))

    def let(self, name: str, values: Values) -> Value:
        try:
            return self.lets[name](values)
        except DivisionByZero:
            return self.fixed[name]  # the result's own value: the gap does not fail on a divisor fixes moved


class _Rescored(dict[str, Value]):
    """The values after some fixes, each read from the re-scored run when first asked for."""

    __slots__ = ("scorer", "run")

    def __init__(self, scorer: _Rescorer, run: Run) -> None:
        super().__init__()
        self.scorer, self.run = scorer, run

    def __missing__(self, key: str) -> Value:
        scorer = self.scorer
        reader = scorer.readers.get(key)
        value = reader(self.run) if reader is not None else scorer.let(key, self) if key in scorer.lets \
            else scorer.fixed[key]
        self[key] = value
        return value


Reader = Callable[[Run], Value]


def _readers(rubric: CheckedRubric) -> dict[str, Reader]:
    """How each `@` score (with `@组.满分` / `@组.得分率`), 总分 and 未达标类型数 is read from a run,
    keyed as grading reads them (an item named like its section wins, as in results)."""
    def make() -> dict[str, Reader]:
        ev = evaluator_for(rubric)
        points = ev.grid.points
        found: dict[str, Reader] = {}
        for plan in ev.sections:
            found.update(_group_readers(points, plan.name, plan.id))
        for key, item in ev.item_plans.items():
            found[f"@{item.name}"] = _units_reader(points, key)
        found[TOTAL_KEY] = _units_reader(points, TOTAL)
        found[BELOW_PASS_KEY] = lambda run: run.values[BELOW_PASS_KEY]
        return found
    return rubric.compiled.get((_readers, None), make)


def _units_reader(points: Callable[[int], Exact], key: str) -> Reader:
    return lambda run: points(run.units[key])


def _group_readers(points: Callable[[int], Exact], name: str, key: str) -> dict[str, Reader]:
    def part(word: str) -> Reader:
        return lambda run: group_values(name, points(run.units[key]), points(run.maxima[key]))[f"@{name}.{word}"]
    return {f"@{name}": _units_reader(points, key), **{f"@{name}.{word}": part(word) for word in GROUP_PARTS.values()}}


def _score_lets(rubric: CheckedRubric) -> dict[str, Compiled]:
    """The 令 that read scores, compiled (the others keep the result's values)."""
    def make() -> dict[str, Compiled]:
        ev = evaluator_for(rubric)
        reading = score_lets(rubric)
        return {name: ev.compiler.compile(expr) for name, expr in ev.plan.lets.items() if name in reading}
    return rubric.compiled.get((_score_lets, None), make)


def _items(result: Result) -> list[tuple[str, str, ItemResult]]:
    return [(s.name, s.kind, i) for s in result.sections for i in s.items if i.applicable and s.kind != "bonus"]


@attrs.frozen
class _Candidate:
    section: str
    item: str
    score: Exact  # the item's score once fixed
    changes: tuple[ClauseTrace, ...]  # the clauses removed or raised


def _candidate(rubric: CheckedRubric, section: str, kind: str, item: ItemResult) -> _Candidate | None:
    """What fixing one item would mean; None when nothing in it is fixable."""
    removed = [t for t in item.trace if t.fired and t.kind in _REMOVABLE]
    if kind == "penalty":
        return _Candidate(section, item.name, 0, tuple(removed)) if item.score else None
    judged = [t for t in item.trace if t.kind in _JUDGED]
    top = _judged_top(rubric, item.name) if judged else None
    raised = [t for t in judged if top is not None and t.points < top]
    if not removed and not raised:
        return None
    kept = sum((Fraction(t.points) for t in item.trace if t.kind not in _REMOVABLE | _REFUNDS | _JUDGED), Fraction(0))
    fixed = min(kept + (top if top is not None else 0), Fraction(item.max))
    if fixed <= item.score:
        return None
    return _Candidate(section, item.name, exact(fixed), (*removed, *raised))


def _judged_top(rubric: CheckedRubric, name: str) -> Fraction | None:
    """The most a judged trace entry can add: the top of the range; for 酌情扣分 (its entry taken
    away, its trace negative) the least it can take, so improving it means entering 0."""
    spec = evaluator_for(rubric).evidence_spec
    if name in spec.ranges:
        clause = spec.clauses[name]
        low, high = spec.ranges[name]
        return -low if isinstance(clause, Judged) and clause.mode == "deduct" else high
    if name in spec.levels:
        return Fraction(spec.grid.points(max(spec.levels[name].values())))
    return None
