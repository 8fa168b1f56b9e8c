"""A rubric's 提示 lines lowered once: each a condition on what a result holds (facts, derived
values, `@` scores, 总分) and the text shown when it holds. A notice changes no score and no
level; it marks a matter the document leaves to be handled separately (另行处理)."""

from __future__ import annotations

import attrs

from ..check.model import CheckedRubric
from .grading import Condition, Conditions


@attrs.frozen
class NoticePlan:
    text: str
    condition: Condition
    line: int


def notice_plans(rubric: CheckedRubric) -> tuple[NoticePlan, ...]:
    """The rubric's notices, in the order written; kept in `rubric.compiled`."""
    return rubric.compiled.get(NoticePlan, lambda: _lowered(rubric))


def _lowered(rubric: CheckedRubric) -> tuple[NoticePlan, ...]:
    if not rubric.notices:
        return ()
    conditions = Conditions(rubric)
    return tuple(NoticePlan(n.text, conditions.condition(n.condition), n.span.line) for n in rubric.notices)
