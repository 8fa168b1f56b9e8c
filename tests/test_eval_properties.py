"""Invariants of evaluation over generated rubrics and evidence (hypothesis), and agreement
with the independent reference evaluator in tests/reference_evaluator.py."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import Result, Rubric, loads
from tests.reference_evaluator import Reference

BOOLS = [f"b{i}" for i in range(4)]
FACTS = " ".join(f"事实 {b}: 是否" for b in BOOLS) + " 事实 c1: 计数 事实 c2: 计数 事实 n1: 数值 事实 r1: 比例 " \
    "事实 ch: 选项(甲, 乙, 丙) 令 缺 = 最大(0, 10 - n1)"
CONDITIONS = [*BOOLS, *(f"非 {b}" for b in BOOLS), "c1 > 2", "n1 少于 5.5", "ch = 甲", "ch 属于 [甲, 乙]",
              "任一[b0, b1]", "全部[b2, b3]", "未满足数[b0, b1, b2] >= 2", "r1 不低于 50%", "缺 超过 3"]
QUANTITIES = ["c1", "c2", "缺", "未满足数[b0, b1, b2, b3]", "满足数[b1, b2]"]


@st.composite
def points(draw: st.DrawFn, grid: Fraction, most: int) -> Fraction:
    return grid * draw(st.integers(1, int(most / grid)))


def text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


@st.composite
def regular_item(draw: st.DrawFn, name: str, grid: Fraction) -> tuple[str, Fraction]:
    maximum = draw(points(grid, 10))
    clauses: list[str] = []
    style = draw(st.sampled_from(["deduct", "start", "judged", "grades", "score"]))
    if style == "score":
        clauses.append(draw(st.sampled_from(["得分 = r1 * {m}", "得分 = n1 / 3", "得分 = 若 b0 则 {m} 否则 {m} / 2",
                                             "得分 = c1 - 1"])).format(m=text(maximum)))
    else:
        if style == "start":
            clauses.append(f"起评 {text(grid * draw(st.integers(0, int(maximum / grid))))}分")
        elif style == "judged":
            low = grid * draw(st.integers(0, int(maximum / grid)))
            clauses.append(f"酌情 {text(low)}分 至 {text(maximum)}分")
        elif style == "grades":
            clauses.append(f"分档 [好 {text(maximum)}分, 中 {text(grid * int(maximum / grid / 2))}分, 差 0分]")
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["if", "per", "step", "award"]))
            amount = text(draw(points(grid, 4)))
            if kind == "if":
                clauses.append(f"扣 {amount}分 如果 {draw(st.sampled_from(CONDITIONS))}")
            elif kind == "per":
                clauses.append(f"每 {draw(st.sampled_from(QUANTITIES))} 扣 {amount}分")
            elif kind == "step":
                clauses.append(f"每 {draw(st.integers(2, 3))} {draw(st.sampled_from(QUANTITIES))} 扣 {amount}分")
            else:
                clauses.append(f"得 {amount}分 如果 {draw(st.sampled_from(CONDITIONS))}")
        limit = draw(st.sampled_from(["扣完为止", "可倒扣", "最多扣", ""]))
        clauses.append(f"最多扣 {text(draw(points(grid, 4)))}分" if limit == "最多扣" else limit)
    if draw(st.booleans()):
        clauses.append(f"不得分 如果 {draw(st.sampled_from(CONDITIONS))}")
    if draw(st.integers(0, 4)) == 0:
        clauses.append(f"不适用 如果 {draw(st.sampled_from(CONDITIONS))}")
    return f"项目 {name} {text(maximum)}分 {{ {' '.join(clauses)} }}", maximum


@st.composite
def rubric_text(draw: st.DrawFn) -> str:
    grid = draw(st.sampled_from([Fraction(1, 2), Fraction(1, 10), Fraction(1)]))
    count = draw(st.integers(1, 3))
    weighted = count > 1 and draw(st.booleans())
    weights = [Fraction(1, 2), Fraction(1, 2)] if count == 2 else [Fraction(1, 5), Fraction(3, 10), Fraction(1, 2)]
    blocks: list[str] = []
    total = Fraction(0)
    serial = 0
    for number in range(count):
        items: list[str] = []
        section_points = Fraction(0)
        for _ in range(draw(st.integers(1, 4))):
            serial += 1
            item, maximum = draw(regular_item(f"项{serial}", grid))
            items.append(item)
            section_points += maximum
        total += section_points
        weight = f" 权重 {text(weights[number] * 100)}%" if weighted else ""
        passing = f" 达标 {text(grid * int(section_points / grid / 2))}分" if draw(st.booleans()) else ""
        blocks.append(f"类型 类{number} {text(section_points)}分{passing}{weight} {{ {' '.join(items)} }}")
    if draw(st.booleans()):
        cap = text(draw(points(grid, 5)))
        blocks.append(f"加分项 最多 {cap}分 {{ 项目 奖 5分 {{ 得 3分 如果 b0 得 2分 如果 ch = 乙 }} }}")
    if draw(st.booleans()):
        cap = text(draw(points(grid, 8)))
        blocks.append(f"减分项 最多 {cap}分 {{ 项目 罚 6分 {{ 每 c2 扣 2分 扣 3分 如果 b3 }} }}")
    settings_text = f"精度 {text(grid)} " + (f"满分 {text(total)} " if not weighted else "")
    if draw(st.integers(0, 3)) == 0:
        settings_text += f"折算 {text(total if not weighted else Fraction(100))} "
    veto = "否决 如果 b1 且 b2" if draw(st.booleans()) else ""
    return f"标准 生成 {{ {settings_text} {FACTS} {' '.join(blocks)} {veto} }}"


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
                low = clause.low.value if clause.low else Fraction(0)
                high = clause.high.value if clause.high else item.points.value
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
    assert {s.name: s.score for s in result.sections} == sections
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
