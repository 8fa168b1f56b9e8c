"""rubrics/机关星级评定.rubric against the 赣榆区 机关党建 report on “星级评定”: the 星级标识牌 is what a
branch does after it is rated (“对于获得四星级以上的机关党组织……命名授星……授星后……悬挂星级标识牌”), so it is
a measure of the 四星级 and 五星级 levels and no indicator reads it; no fact has a default. Every expected score is
worked out by hand (the arithmetic is beside it)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import starrules
from starrules.core.numbers import format_decimal

RUBRIC = Path(__file__).resolve().parent.parent / "rubrics" / "机关星级评定.rubric"
PLAQUE = "授星後,在基層黨組織辦公場所、黨務公開欄、黨員活動室等處懸掛星級標識牌"
NAMING = "由區委組織部聯合區委區級機關工委進行命名授星,印發文件並在全區範圍內通報"

YES = ["理论学习", "专题培训", "党建论坛", "意识形态", "党性教育", "学习平台", "按期换届", "换届程序规范", "书记由负责人担任",
       "支委配备", "党务干部培训", "发展党员", "党员管理", "党费收缴", "建成示范点", "党务公开栏", "智慧党建平台", "党委党组会",
       "三会一课", "主题党日", "固定学习日", "民主生活会", "组织生活会", "民主评议党员", "谈心谈话", "党务公开", "三分行动",
       "融合推进", "服务中心", "党建品牌", "创新载体", "先进典型", "通报表扬", "问题整改"]
# Every indicator met: each yes/no fact 是, nothing missing from the 七有 room, everyone satisfied.
BEST: dict[str, Any] = {**dict.fromkeys(YES, True), "活动室缺少项数": 0, "党员满意率": 1, "群众满意率": 1}


@pytest.fixture(scope="module")
def rubric() -> starrules.Rubric:
    return starrules.load(RUBRIC)


def sections(result: starrules.Result) -> dict[str, Decimal]:
    return {s.name: Decimal(format_decimal(s.score)) for s in result.sections}


def test_the_rubric_checks_clean() -> None:
    report = starrules.check_file(RUBRIC)
    assert not report.errors and not report.warnings


def test_six_modules_37_indicators_of_2_to_6_points(rubric: starrules.Rubric) -> None:
    """The report's numbers: “6大模块37项具体评定指标。每项指标按照2-6分不等分别赋值” (which 37 and their points
    are the rubric's illustration; the total is 100)."""
    points = {item.name: item.points.value for section in rubric.containers for item in section.items}
    assert len(rubric.containers) == 6 and len(points) == 37
    assert all(2 <= p <= 6 for p in points.values()) and sum(points.values()) == 100
    assert "星级标识牌情况" not in points


def test_no_fact_has_a_default(rubric: starrules.Rubric) -> None:
    assert {name: fact.default for name, fact in rubric.facts.items() if fact.default is not None} == {}
    assert set(rubric.facts) == {*YES, "活动室缺少项数", "党员满意率", "群众满意率"}


def test_no_indicator_reads_the_rating(rubric: starrules.Rubric) -> None:
    """No fact, derived value or rule is about the 星级 or its 标识牌, and no rule reads a score (the rating
    follows from the total, so an indicator reading it would be circular)."""
    assert not [n for n in (*rubric.facts, *rubric.lets) if "星级" in n or "标识" in n]
    result = rubric.evaluate(BEST)
    rules = [clause.text for item in result.items for clause in item.trace]
    assert rules and not [t for t in rules if "星级" in t or "标识" in t or "总分" in t or "@" in t]


def test_one_branch_by_hand(rubric: starrules.Rubric) -> None:
    branch = {**BEST, "活动室缺少项数": 1, "谈心谈话": False, "创新载体": False, "党员满意率": 0.9, "群众满意率": 0.88}
    result = rubric.evaluate(branch)
    # 思想 6 indicators 3+3+2+3+2+2 = 15; 组织 4+2+3+3+3+2+3+2 = 22; 阵地 13 − 1 (七有缺 1) = 12;
    # 制度 10 × 2 − 2 (谈心谈话) = 18; 履职 20 − 3 (创新载体) = 17;
    # 满意度 0.9 × 5 = 4.5 and 0.88 × 5 = 4.4 → 4.5 (grid 0.5, half up) = 9
    assert sections(result) == {"思想建设": 15, "组织建设": 22, "阵地建设": 12, "制度建设": 18, "履职尽责创新创优": 17,
                                "群众满意度": 9}
    # 15 + 22 + 12 + 18 + 17 + 9 = 93: 四星级 (90 ≤ 93 < 95)
    assert result.total == 93 and result.levels["星级"].level == "四星级"
    measures = [c.text for c in result.consequences if c.scheme == "星级"]
    assert measures == [NAMING, PLAQUE, "加強幫助指導,查找薄弱環節,提升工作水平,推動晉級升星"]


@pytest.mark.parametrize(("changes", "total", "level", "plaque"), [
    ({}, 100, "五星级", True),  # every indicator at its top
    # 100 − 3 (无示范点) − 3 (党建品牌) − 3 (创新载体) − 2 (党务公开) = 89: 三星级 (80 ≤ 89 < 90)
    ({"建成示范点": False, "党建品牌": False, "创新载体": False, "党务公开": False}, 89, "三星级", False),
])
def test_the_plaque_goes_with_the_levels_the_report_names(rubric: starrules.Rubric, changes: dict[str, Any], total: int,
                                                        level: str, plaque: bool) -> None:
    """“对于获得四星级以上的机关党组织……命名授星……授星后……悬挂星级标识牌”: 五星级 and 四星级 (above), not 三星级."""
    result = rubric.evaluate({**BEST, **changes})
    assert (result.total, result.levels["星级"].level) == (total, level)
    texts = [c.text for c in result.consequences]
    assert (PLAQUE in texts, NAMING in texts) == (plaque, plaque)


def test_every_missing_fact_is_listed_at_once(rubric: starrules.Rubric) -> None:
    """Only the two satisfaction rates given: the 35 other facts are one E501 each, all in one error."""
    with pytest.raises(starrules.EvidenceError) as caught:
        rubric.evaluate({"党员满意率": 0.9, "群众满意率": 0.9})
    found = caught.value.diagnostics
    assert {d.code for d in found} == {"E501"}
    assert sorted(d.message.split("“")[1].split("”")[0] for d in found) == sorted([*YES, "活动室缺少项数"])
    assert len(found) == 34 + 1
