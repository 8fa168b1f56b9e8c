"""An independent reference GRADER, written straight from LANGUAGE.md §4 and docs/language.md §4
(定级): by_score, 降档, 一票否决 with and without 最高, and 基于 (derived) schemes.

It shares no code with starrules' grading (starrules/grade/grading.py): it reads the checked
AST of each scheme (`ast.Level`, `ast.LevelMap`, `ast.Downgrade`, `ast.OneStepUp`) and of the
rubric's vetoes, and scores the branch with the reference evaluator (tests/reference_evaluator.py),
extended here only by wrapping: `ReferenceValues` also answers what scheme and veto conditions
read — `@类型` scores, `总分`, `未达标类型数` — besides facts, 令 values and `@项目` scores.

The rules, in the order docs/language.md §4 gives them:

1. by_score: the first level, best first, whose bound (if any) is <= the total and whose extra
   conditions all hold; a level with no bound is reached on its conditions alone; when none is
   reached, the last (floor) level.
2. 降档: the steps of every downgrade whose condition holds are added up; the level moves down
   that many levels, never below the floor.
3. 逐级晋升 needs history; these tests never generate it (`grade` refuses such a scheme).
4. 否决: each fired veto caps the level. With `最高 L`: L a level of this scheme caps at L (a
   level already lower stays); L a level handled by the base chain of a derived scheme is applied
   there (and so reaches this scheme through the mapping); any other L, or no `最高`, drops the
   level to the floor. A veto whose L is a level of a derived scheme is applied in that scheme,
   not while grading its base for it (else `最高 良好` on 等次 would always send 等次 to 后进,
   through 星级's floor — not what an author writing it means).
5. 基于: grade under the base (with the base's 降档 and vetoes, as in 4), map the base level
   (and the base by_score) through the `=` lines, then apply this scheme's own 降档, then the
   vetoes this scheme handles itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from starrules import Rubric, ast
from tests.reference_evaluator import Reference

YES, NO = {"是", "true"}, {"否", "false"}


def normalise(rubric: Rubric, evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence as the reference evaluator reads it: 是/否/true/false text for a bool fact
    (any case, spaces around ignored: docs/language.md, 证据的读法) become True/False (the
    reference evaluator would keep the string, and "否" is truthy)."""
    data = dict(evidence)
    for name, fact in rubric.facts.items():
        if fact.type.kind == "bool" and isinstance(data.get(name), str):
            text = data[name].strip().lower()
            data[name] = True if text in YES else False if text in NO else data[name]
    return data


class ReferenceValues(Reference):
    """The reference evaluator, plus what level and veto conditions read once scoring is done:
    `@类型` scores, 总分 and 未达标类型数."""

    def __init__(self, rubric: Rubric, evidence: Mapping[str, Any]) -> None:
        super().__init__(rubric, normalise(rubric, evidence))
        self.section_scores: dict[str, Fraction] = {}
        self.final_total: Fraction | None = None
        self.below_pass = 0

    def score(self) -> tuple[Fraction, dict[str, Fraction], dict[str, Fraction]]:
        total, items, sections = self.total()
        self.final_total, self.section_scores = total, sections
        self.below_pass = sum(1 for s in self.rubric.sections
                              if s.pass_line is not None and sections[s.name] < s.pass_line.value)
        return total, items, sections

    def value(self, e: ast.Expr) -> object:
        if isinstance(e, ast.TotalRef):
            assert self.final_total is not None, "总分 read before the total is known"
            return self.final_total
        if isinstance(e, ast.BelowPassRef):
            return self.below_pass
        if isinstance(e, ast.ScoreRef) and e.part is not None:  # @组.满分 / @组.得分率 (100% when nothing applies)
            maximum = self.maxima[e.name]
            return maximum if e.part == "max" else \
                self.section_scores[e.name] / maximum if maximum else Fraction(1)
        if isinstance(e, ast.ScoreRef) and e.name not in self.scores:
            return self.section_scores[e.name]
        return super().value(e)

    def holds(self, e: ast.Expr) -> bool:
        return bool(self.value(e))


@dataclass(frozen=True)
class RefLevel:
    level: str
    by_score: str
    downgrade: int
    vetoed: bool


@dataclass
class RefResult:
    total: Fraction
    items: dict[str, Fraction]
    applicable: dict[str, bool]
    sections: dict[str, Fraction]
    vetoes: list[bool]  # fired, in the rubric's order
    levels: dict[str, RefLevel] = field(default_factory=dict)

    @property
    def vetoed(self) -> bool:
        return any(self.vetoes)


@dataclass(frozen=True)
class RefScheme:
    """A scheme as its text says: levels best first (bound, conditions) or a mapping from base
    levels, downgrades, and the base scheme."""

    name: str
    levels: tuple[str, ...]
    bounds: dict[str, Fraction | None]
    conditions: dict[str, tuple[ast.Expr, ...]]
    mapping: dict[str, str]  # base level → this level (derived schemes only)
    downgrades: tuple[tuple[int, ast.Expr], ...]
    base: RefScheme | None

    @classmethod
    def of(cls, checked: Any) -> RefScheme:
        """From a CheckedScheme: only its `.definition` (the AST) and `.base` are read."""
        body = checked.definition.body
        assert not any(isinstance(s, ast.OneStepUp) for s in body), "逐级晋升 needs history: not modelled"
        levels = tuple(s.name for s in body if isinstance(s, (ast.Level, ast.LevelMap)))
        return cls(
            name=checked.definition.name,
            levels=levels,
            bounds={s.name: (s.bound.value if s.bound is not None else None) for s in body if isinstance(s, ast.Level)},
            conditions={s.name: tuple(s.conditions) for s in body if isinstance(s, ast.Level)},
            mapping={b: s.name for s in body if isinstance(s, ast.LevelMap) for b in s.base_levels},
            downgrades=tuple((int(s.steps.value), s.condition) for s in body if isinstance(s, ast.Downgrade)),
            base=cls.of(checked.base) if checked.base is not None else None,
        )

    @property
    def floor(self) -> int:
        return len(self.levels) - 1

    def chain(self) -> set[str]:
        """The level names of this scheme and of every scheme it is based on."""
        return set(self.levels) | (self.base.chain() if self.base else set())

    def grade(self, values: ReferenceValues, fired: list[tuple[int, str | None]],
              skip: frozenset[int] = frozenset()) -> RefLevel:
        """`fired`: (index, 最高 level or None) of each fired veto; `skip`: vetoes a derived scheme
        above this one applies itself."""
        if self.base is None:
            by_score = self.levels[-1]
            for name in self.levels:
                bound = self.bounds[name]
                if (bound is None or values.final_total >= bound) and all(values.holds(c) for c in self.conditions[name]):
                    by_score = name
                    break
            start, vetoed = by_score, False
        else:
            own = frozenset(i for i, highest in fired if highest in self.levels)
            below = self.base.grade(values, fired, skip | own)
            by_score, start, vetoed = self.mapping[below.by_score], self.mapping[below.level], below.vetoed
        steps = sum(n for n, condition in self.downgrades if values.holds(condition))
        index = min(self.levels.index(start) + steps, self.floor)
        for number, highest in fired:
            if number in skip:
                continue
            if highest is not None and highest in self.levels:
                index, vetoed = max(index, self.levels.index(highest)), True
            elif self.base is not None and highest is not None and highest in self.base.chain():
                continue  # applied while grading the base (rule 4)
            else:
                index, vetoed = self.floor, True
        return RefLevel(self.levels[index], by_score, steps, vetoed)


def reference_result(rubric: Rubric, evidence: Mapping[str, Any], schemes: Iterable[str] | None = None) -> RefResult:
    """Score `evidence` with the reference evaluator and grade it under `schemes` (default: the
    rubric's 等级 line) with the reference grader."""
    values = ReferenceValues(rubric, evidence)
    total, items, sections = values.score()
    applicable = {item.name: item.name not in values.left_out for item in rubric.items}
    fired = [values.holds(v.condition) for v in rubric.vetoes]
    result = RefResult(total, items, applicable, sections, fired)
    names = list(rubric.schemes) if schemes is None else list(dict.fromkeys(schemes))
    veto_caps = [(i, v.highest) for i, v in enumerate(rubric.vetoes) if fired[i]]
    for name in names:
        checked = rubric.schemes[name] if name in rubric.schemes else rubric.scheme(name)
        result.levels[name] = RefScheme.of(checked).grade(values, veto_caps)
    return result
