"""The gap to the next level up (晋位升级): points needed, and the fewest fixes that close it.

A fix is what a branch could put right in one item: remove the deductions and zeroing that
fired, raise a 酌情 / 分档 base to its top, avoid a penalty. Each fix's worth is measured on
the total through the evaluator (section caps, weights and 折算 included); fixes are taken
largest first, which for gains that add up is the smallest set that reaches the bound.
Vetoes, failed level conditions and 降档 cannot be bought with points: they are listed as
blocking.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs

from ..plan.expressions import Value
from ..check.model import CheckedRubric
from ..core.numbers import Exact, exact, format_decimal
from ..eval.result import ClauseTrace, Fix, Gap, ItemResult, LevelResult, Result
from ..eval.evaluator import evaluator_for

_REMOVABLE = frozenset({"deduct", "deduct_per", "zero"})
_REFUNDS = frozenset({"max_deduct", "floor_zero", "cap"})  # only there because of deductions or the cap
_JUDGED = frozenset({"judged", "grades"})

if TYPE_CHECKING:  # graders are handed in by grading.py, which imports this module
    from .grading import SchemeGrader


class GapFinder:
    """The gaps of one result under any number of schemes; the fixes are valued once."""

    def __init__(self, rubric: CheckedRubric, result: Result, values: dict[str, Value],
                 graders: Mapping[str, SchemeGrader]) -> None:
        """`values`: what the result's scheme conditions read (`grading.result_values`);
        `graders`: the compiled schemes by name, each with the result's level in `result.levels`."""
        self.rubric, self.result, self.values, self.graders = rubric, result, values, graders
        self.units, self.left_out = evaluator_for(rubric).item_units(result)
        self._ranked: list[tuple[Fraction, _Candidate]] | None = None

    def gap(self, scheme: str) -> Gap:
        result, grader = self.result, self.graders[scheme]
        level = result.levels[scheme]
        index = grader.levels.index(level.level)
        if index == 0:
            return Gap(scheme, None, 0, (), True)
        target = grader.levels[index - 1]
        bound = grader.bound(target)
        needed = max(Fraction(bound) - result.total, Fraction(0)) if bound is not None else Fraction(0)
        blocking = self._blocking(scheme, level, target)
        fixes, reached = self._fixes(bound) if bound is not None and needed else ((), True)
        return Gap(scheme, target, exact(needed), fixes, reached and not blocking, tuple(blocking))

    def _blocking(self, scheme: str, level: LevelResult, target: str) -> list[str]:
        result, values = self.result, self.values
        found = [f"一票否决:{v.because or v.text}" for v in result.vetoes if v.fired] if level.vetoed else []
        found += [f"“{target}”的条件不成立:{c.shown(values)}"
                  for c in self.graders[scheme].conditions(target) if not c.holds(values)]
        if level.downgrade:
            found += [f"降档:类型“{s.name}”得 {format_decimal(Fraction(s.score))} 分,未达到达标线 "
                      f"{format_decimal(Fraction(s.pass_line))} 分" for s in result.sections
                      if s.passed is False and s.pass_line is not None]
        found += [r for r in level.reasons if r.startswith("逐级晋升")]
        return found

    def _gain(self, chosen: dict[str, Exact]) -> Fraction:
        return Fraction(evaluator_for(self.rubric).total_with(self.units, self.left_out, chosen,
                                                              dict(self.result.facts))) - self.result.total

    def _fixes_by_worth(self) -> list[tuple[Fraction, _Candidate]]:
        """Every fixable item with what fixing it alone adds to the total, largest first."""
        if self._ranked is None:
            candidates = [c for c in (_candidate(self.rubric, section, kind, item)
                                      for section, kind, item in _items(self.result)) if c is not None]
            valued = [(self._gain({c.item: c.score}), c) for c in candidates]
            valued.sort(key=lambda pair: -pair[0])  # stable: equal worth keeps the file order
            self._ranked = [(worth, c) for worth, c in valued if worth > 0]
        return self._ranked

    def _fixes(self, bound: Fraction) -> tuple[tuple[Fix, ...], bool]:
        total = self.result.total
        chosen: dict[str, Exact] = {}
        fixes: list[Fix] = []
        reached = Fraction(0)
        for _, candidate in self._fixes_by_worth():
            if total + reached >= bound:
                break
            chosen[candidate.item] = candidate.score
            now = self._gain(chosen)
            fixes.append(Fix(candidate.item, candidate.section, exact(now - reached),
                             tuple(t.text for t in candidate.changes), tuple(t.line for t in candidate.changes)))
            reached = now
        return tuple(fixes), total + reached >= bound


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
    spec = evaluator_for(rubric).evidence_spec
    if name in spec.ranges:
        return spec.ranges[name][1]
    if name in spec.levels:
        return Fraction(spec.grid.points(max(spec.levels[name].values())))
    return None


