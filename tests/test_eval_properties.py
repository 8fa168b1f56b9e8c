"""Invariants of evaluation over generated rubrics and evidence (hypothesis), and agreement
with the independent reference evaluator in tests/reference_evaluator.py."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import Result, Rubric, loads
from tests.reference_evaluator import entry_range, Reference
from tests.rubric_strategies import BOOLS, rubric_body

@st.composite
def rubric_text(draw: st.DrawFn) -> str:
    body = draw(rubric_body())
    veto = "否决 如果 b1 且 b2" if draw(st.booleans()) else ""
    return f"标准 生成 {{ {body.text} {veto} }}"


@st.composite
def rubric_and_evidence(draw: st.DrawFn) -> tuple[Rubric, dict[str, Any]]:
    rubric = loads(draw(rubric_text()))
    evidence: dict[str, Any] = {b: draw(st.booleans()) for b in BOOLS}
    evidence.update(c1=draw(st.integers(0, 6)), c2=draw(st.integers(0, 6)),
                    n1=draw(st.integers(0, 150)) / 10,  # a Python float, read through its decimal text
                    r1=draw(st.sampled_from(["0%", "25%", "50%", "87.5%", "100%", 0.3, "0.65"])),
                    ch=draw(st.sampled_from(["甲", "乙", "丙"])))
    for name, entry in draw_judgements(draw, rubric).items():
        evidence[name] = str(float(entry)) if isinstance(entry, Fraction) else {"得分": entry, "理由": "示例"}
    return rubric, evidence


def draw_judgements(draw: st.DrawFn, rubric: Rubric) -> dict[str, Fraction | str]:
    """For every item the assessor scores: a 酌情 score on the grid, or a 分档 level name."""
    entries: dict[str, Fraction | str] = {}
    for item in rubric.items:
        for clause in item.clauses:
            if type(clause).__name__ == "Judged":
                low, high = entry_range(item, clause)
                entries[item.name] = low + rubric.precision * draw(st.integers(0, int((high - low) / rubric.precision)))
            elif type(clause).__name__ == "Grades":
                entries[item.name] = draw(st.sampled_from([g.name for g in clause.levels]))
    return entries


COMMON = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(rubric_and_evidence())
def test_evaluator_equals_the_reference(case: tuple[Rubric, dict[str, Any]]) -> None:
    rubric, evidence = case
    result = rubric.evaluate(evidence)
    total, items, sections = Reference(rubric, evidence).total()
    assert {i.name: i.score for i in result.items} == items
    assert {g.name: g.score for s in result.sections for g in (s, *s.nested())} == sections
    assert result.total == total


@COMMON
@given(rubric_and_evidence())
def test_bounds_traces_and_fast_path(case: tuple[Rubric, dict[str, Any]]) -> None:
    rubric, evidence = case
    result = rubric.evaluate(evidence)
    for section in result.sections:
        assert 0 <= section.score <= section.max or section.kind != "regular" and section.score <= section.max
        for item in section.items:
            negative = any(type(c).__name__ == "AllowNegative" for c in rubric_item(rubric, item.name).clauses)
            assert item.score <= item.max and (negative or item.score >= 0)
            assert sum((t.points for t in item.trace), Fraction(0)) == item.score  # every point explained
            if not item.applicable:
                assert (item.score, item.max) == (0, 0)
    for extra in rubric.extra_sections:
        assert result.section(extra.display_name).score <= extra.cap.value
    assert result.total >= 0
    fast = rubric.evaluate(evidence, explain=False)
    assert [(i.score, i.max) for i in fast.items] == [(i.score, i.max) for i in result.items]
    assert (fast.total, fast.vetoed) == (result.total, result.vetoed)
    assert rubric.evaluate(evidence) == result                               # deterministic
    assert Result.from_json(result.to_json()) == result                      # JSON round trip


@COMMON
@given(rubric_and_evidence(), st.sampled_from(BOOLS))
def test_clearing_a_fired_deduction_never_lowers_the_item(case: tuple[Rubric, dict[str, Any]], fact: str) -> None:
    """Monotonicity, for each regular item that reads the fact only as the whole condition of
    its 扣 … 如果 clauses: making the condition false never lowers the item."""
    rubric, evidence = case
    before = rubric.evaluate({**evidence, fact: True})
    after = rubric.evaluate({**evidence, fact: False})
    for item in rubric.items:
        if only_deducts_on(item, fact) and item in [i for s in rubric.sections for i in s.items]:
            assert after.item(item.name).score >= before.item(item.name).score


def rubric_item(rubric: Rubric, name: str) -> Any:
    return next(i for i in rubric.items if i.name == name)


def only_deducts_on(item: Any, fact: str) -> bool:
    """The fact appears in this item only as the whole condition of 扣 … 如果 clauses."""
    from starrules.check.exprcheck import walk
    reads = False
    for clause in item.clauses:
        name = type(clause).__name__
        exprs = [clause.condition] if hasattr(clause, "condition") else [clause.per] if name == "DeductPer" \
            else [clause.expr] if name == "ScoreIs" else []
        uses = any(type(e).__name__ == "NameRef" and e.name == fact for x in exprs for e in walk(x))
        if uses and not (name == "DeductIf" and type(clause.condition).__name__ == "NameRef"):
            return False
        reads |= uses
    return reads
