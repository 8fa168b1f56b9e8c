"""Schemes, downgrades, vetoes, 逐级晋升, measures and the gap, worked by hand from the source documents'
bands (LANGUAGE.md §4, §5, §11)."""

from __future__ import annotations

from fractions import Fraction

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starrules import EvidenceError, Result, RubricCheckError, loads, result_schema

# One 酌情 item carries the whole total, so a band edge is one number in the evidence.
ONE_ITEM = """
标准 测 {{
    满分 100
    精度 {precision}
    等级 {schemes}
    {extra}
    类型 全部 100分 {{ 项目 评分 100分 {{ 酌情 }} }}
}}
"""
BUILTIN = "星级, 等次, 分类定级, 争先创优"


def graded(total: object, schemes: str = BUILTIN, extra: str = "", precision: str = "0.5",
           evidence: dict[str, object] | None = None) -> Result:
    rubric = loads(ONE_ITEM.format(schemes=schemes, extra=extra, precision=precision))
    return rubric.evaluate({"评分": total, **(evidence or {})})


def level(total: object, scheme: str) -> str:
    return graded(total).levels[scheme].level


# 武威市检察院机关实施方案: ≥95 五星级, 90–94 四星级, 80–89 三星级, 70–79 二星级, 60–69 一星级, below 60 无星
@pytest.mark.parametrize(("total", "expected"), [
    (100, "五星级"), (95, "五星级"), (94.5, "四星级"), (90, "四星级"), (89.5, "三星级"), (80, "三星级"),
    (79.5, "二星级"), (70, "二星级"), (69.5, "一星级"), (60, "一星级"), (59.5, "无星"), (0, "无星"),
])
def test_star_bands(total: float, expected: str) -> None:
    assert level(total, "星级") == expected


# 武威市检察院机关实施方案: 五星级 → 先进, 四/三星级 → 良好, 二/一星级 → 一般, 无星 → 后进
@pytest.mark.parametrize(("total", "expected"), [
    (95, "先进"), (94.5, "良好"), (80, "良好"), (79.5, "一般"), (60, "一般"), (59.5, "后进"),
])
def test_grade_bands_follow_the_stars(total: float, expected: str) -> None:
    assert level(total, "等次") == expected


# 学院分类定级实施意见: 90 以上 好, 80–89 较好, 60–79 一般, 60 以下 较差
@pytest.mark.parametrize(("total", "expected"), [
    (90, "好"), (89.5, "较好"), (80, "较好"), (79.5, "一般"), (60, "一般"), (59.5, "较差"),
])
def test_classification_bands(total: float, expected: str) -> None:
    assert level(total, "分类定级") == expected


@pytest.mark.parametrize(("total", "expected"), [
    (90, "优秀"), (89.5, "良好"), (80, "良好"), (79.5, "一般"), (60, "一般"), (59.5, "软弱涣散"),
])
def test_contest_bands_are_the_documented_illustrative_ones(total: float, expected: str) -> None:
    assert level(total, "争先创优") == expected


def test_a_total_summed_from_a_tenth_grid_sits_exactly_on_the_band() -> None:
    rubric = loads("""
    标准 细 {
        满分 100
        精度 0.1
        等级 星级, 分类定级
        类型 全部 100分 {
            项目 甲 70分 { 酌情 }
            项目 乙 20分 { 酌情 }
            项目 丙 5分 { 酌情 }
            项目 丁 5分 { 酌情 }
        }
    }""")
    result = rubric.evaluate({"甲": 70, "乙": 18.3, "丙": 0.1, "丁": 1.6})
    assert result.total == 90  # 70 + 18.3 + 0.1 + 1.6, exactly
    assert result.levels["星级"].level == "四星级" and result.levels["分类定级"].level == "好"
    assert rubric.evaluate({"甲": 70, "乙": 18.3, "丙": 0.1, "丁": 1.5}).levels["分类定级"].level == "较好"


FIVE_GOOD = """
标准 五好测 {
    满分 100
    等级 五好
    事实 有专门办公场地: 是否
    事实 有规范党员活动室: 是否
    事实 党员人数: 计数
    类型 甲 50分 达标 40分 { 项目 甲项 50分 { 酌情 } }
    类型 乙 50分 达标 40分 { 项目 乙项 50分 { 酌情 } }
}
"""
ROOMS = {"有专门办公场地": True, "有规范党员活动室": True, "党员人数": 7}


def test_five_good_needs_96_and_the_basic_conditions() -> None:
    rubric = loads(FIVE_GOOD)
    assert rubric.evaluate({**ROOMS, "甲项": 48, "乙项": 48}).levels["五好"].level == "五好党支部"
    assert rubric.evaluate({**ROOMS, "甲项": 48, "乙项": 47.5}).levels["五好"].level == "未达标"  # 95.5
    few = rubric.evaluate({**ROOMS, "党员人数": 6, "甲项": 50, "乙项": 50}).levels["五好"]
    assert few.level == few.by_score == "未达标"
    assert any("党员人数 6 >= 7" in r for r in few.reasons)


def test_five_good_downgrade_when_a_section_misses_its_pass_line() -> None:
    # 静海区“五好党支部”材料: 总分达标但各分项得分有1项及以上未达标准要求的 … 降档评定
    rubric = loads(FIVE_GOOD.replace("达标 40分", "达标 48分", 1))
    result = rubric.evaluate({**ROOMS, "甲项": 47, "乙项": 50})  # 97 ≥ 96, but 甲 47 < 48
    five = result.levels["五好"]
    assert (five.by_score, five.downgrade, five.level) == ("五好党支部", 1, "未达标")
    assert "降档 1 级:未达标类型数 1 >= 1" in five.reasons
    assert result.gap["五好"].blocking == ("降档:类型“甲”得 47 分,未达到达标线 48 分",)


STARS_WITH_DOWNGRADE = """
等级 星级降档 {{
    五星级 >= 95分
    四星级 >= 90分
    三星级 >= 80分
    无星
    降档 {steps} 如果 未达标类型数 >= 1
}}
标准 降 {{
    满分 100
    等级 星级降档
    类型 甲 50分 达标 30分 {{ 项目 甲项 50分 {{ 酌情 }} }}
    类型 乙 50分 达标 30分 {{ 项目 乙项 50分 {{ 酌情 }} }}
}}
"""


def test_downgrade_never_goes_below_the_floor() -> None:
    rubric = loads(STARS_WITH_DOWNGRADE.format(steps=1))
    assert rubric.evaluate({"甲项": 50, "乙项": 42}).levels["星级降档"].level == "四星级"  # 92, both pass
    floor = rubric.evaluate({"甲项": 50, "乙项": 29.5}).levels["星级降档"]  # 79.5 → 无星; 乙 misses 30
    assert (floor.by_score, floor.downgrade, floor.level) == ("无星", 1, "无星")


def test_downgrade_from_a_passing_total() -> None:
    rubric = loads(STARS_WITH_DOWNGRADE.format(steps=1).replace("达标 30分", "达标 46分", 1))
    result = rubric.evaluate({"甲项": 45.5, "乙项": 50})  # 95.5 → 五星级 by score; 甲 45.5 < 46
    assert (result.levels["星级降档"].by_score, result.levels["星级降档"].level) == ("五星级", "四星级")
    deep = loads(STARS_WITH_DOWNGRADE.format(steps=9).replace("达标 30分", "达标 46分", 1))
    assert deep.evaluate({"甲项": 45.5, "乙项": 50}).levels["星级降档"].level == "无星"  # never below the floor


VETO = """
标准 否 {{
    满分 100
    等级 星级, 等次
    事实 违纪: 是否 默认 否
    类型 全部 100分 {{ 项目 评分 100分 {{ 酌情 }} }}
    否决 如果 违纪 {highest} "发生违纪的一票否决"
}}
"""


def test_veto_puts_every_scheme_at_its_floor() -> None:
    result = loads(VETO.format(highest="")).evaluate({"评分": 98, "违纪": True})
    assert result.total == 98 and result.vetoed
    assert result.levels["星级"].level == "无星" and result.levels["等次"].level == "后进"
    assert result.levels["星级"].by_score == "五星级" and result.levels["星级"].vetoed
    assert result.gap["星级"].blocking[0].startswith("一票否决")
    assert not result.gap["星级"].reachable


def test_veto_with_a_highest_level_caps_instead() -> None:
    rubric = loads(VETO.format(highest="最高 三星级"))
    capped = rubric.evaluate({"评分": 98, "违纪": True})
    assert capped.levels["星级"].level == "三星级" and capped.levels["等次"].level == "良好"
    assert rubric.evaluate({"评分": 72, "违纪": True}).levels["星级"].level == "二星级"  # a cap never raises
    assert rubric.evaluate({"评分": 98}).levels["星级"].level == "五星级"


def test_veto_capping_a_derived_scheme() -> None:
    rubric = loads(VETO.format(highest="最高 一般"))
    result = rubric.evaluate({"评分": 98, "违纪": True})
    assert result.levels["等次"].level == "一般"
    assert result.levels["星级"].level == "无星"  # 一般 is no 星级 level: that scheme goes to its floor


STEP = """
等级 逐级星级 {
    五星级 >= 95分
    四星级 >= 90分
    三星级 >= 80分
    二星级 >= 70分
    无星
    逐级晋升
}
标准 升 {
    满分 100
    等级 逐级星级
    类型 全部 100分 { 项目 评分 100分 { 酌情 } }
}
"""


def test_one_step_up_from_last_years_level() -> None:
    rubric = loads(STEP)
    history = {"历史": {"逐级星级": {"2023": "三星级", "2024": "二星级"}}}
    result = rubric.evaluate({"评分": 97, **history})
    assert (result.levels["逐级星级"].by_score, result.levels["逐级星级"].level) == ("五星级", "三星级")
    assert "逐级晋升:2024 年为“二星级”,今年最高“三星级”" in result.levels["逐级星级"].reasons
    assert rubric.evaluate({"评分": 72, **history}).levels["逐级星级"].level == "二星级"
    assert rubric.evaluate({"评分": 60, **history}).levels["逐级星级"].level == "无星"  # falling is not limited


@pytest.mark.parametrize(("history", "message"), [
    ({}, "缺少“逐级星级”上一年的等级"),
    ({"历史": {"逐级星级": {"2024": "六星级"}}}, "不是等级方案“逐级星级”的等级"),
])
def test_one_step_up_needs_a_known_last_year(history: dict[str, object], message: str) -> None:
    with pytest.raises(EvidenceError) as info:
        loads(STEP).evaluate({"评分": 97, **history})
    assert info.value.diagnostics[0].code == "E513" and message in info.value.diagnostics[0].message


@pytest.mark.parametrize("history", [
    [], {"等次": "后进"}, {"等次": {"去年": "后进"}}, {"等次": {"2024": 3}},
])
def test_malformed_history_is_an_evidence_error(history: object) -> None:
    with pytest.raises(EvidenceError) as info:
        graded(50, evidence={"历史": history})
    assert {d.code for d in info.value.diagnostics} == {"E512"}


MEASURES = """
措施 等次 {
    先进: "在各类评先评优、表彰奖励中优先推荐"
    后进: "本年度不得评先评优", "党支部书记不得作为“两代表一委员”推荐对象"
    连续 2 年 后进: "免去党支部书记职务"
}
"""


def test_measures_for_the_level_and_for_consecutive_years() -> None:
    # 武威市检察院机关实施方案: 后进 → no 评先评优; two years running 后进 → the secretary is removed
    once = graded(50, extra="", evidence={"历史": {"等次": {"2024": "一般"}}})
    assert once.consequences == ()  # the rubric has no 措施 block
    rubric = loads(MEASURES + ONE_ITEM.format(schemes="等次", extra="", precision="0.5"))
    first = rubric.evaluate({"评分": 50, "历史": {"等次": {"2024": "一般"}}})
    assert [c.text for c in first.consequences] == ["本年度不得评先评优", "党支部书记不得作为“两代表一委员”推荐对象"]
    second = rubric.evaluate({"评分": 50, "历史": {"等次": {"2023": "一般", "2024": "后进"}}})
    assert [c.text for c in second.consequences][-1] == "免去党支部书记职务"
    assert second.consequences[-1].years == 2
    assert [c.text for c in rubric.evaluate({"评分": 96}).consequences] == ["在各类评先评优、表彰奖励中优先推荐"]
    with pytest.raises(EvidenceError):  # a history level the scheme does not have
        rubric.evaluate({"评分": 50, "历史": {"等次": {"2024": "落后"}}})


def test_any_result_graded_under_any_scheme() -> None:
    result = graded(91, schemes="星级")
    assert set(result.levels) == {"星级"}
    assert result.level("分类定级").level == "好"
    assert result.level("等次").level == "良好"
    again = Result.from_json(result.to_json())
    with pytest.raises(ValueError):
        again.level("分类定级")
    rubric = loads(ONE_ITEM.format(schemes="星级", extra="", precision="0.5"))
    assert again.level("分类定级", rubric).level == "好"
    assert rubric.evaluate({"评分": 91}, schemes=["等次"]).levels.keys() == {"等次"}


def test_unknown_scheme_or_missing_facts_are_check_errors() -> None:
    with pytest.raises(RubricCheckError) as unknown:
        graded(91).level("五星")
    assert unknown.value.diagnostics[0].code == "E104"
    with pytest.raises(RubricCheckError) as facts:
        graded(91).level("五好")
    assert {d.code for d in facts.value.diagnostics} == {"E201"}
    assert "有专门办公场地" in str(facts.value)


GAP = """
标准 差 {
    满分 100
    等级 星级
    事实 缺课: 计数 默认 0
    事实 记录不全: 是否 默认 否
    类型 学习类 40分 {
        项目 学习 30分 { 每 缺课 扣 2分 }
        项目 记录 10分 { 不得分 如果 记录不全 }
    }
    类型 工作类 60分 {
        项目 工作 60分 { 酌情 }
    }
}
"""


def test_gap_lists_the_fewest_fixes_largest_first() -> None:
    rubric = loads(GAP)
    result = rubric.evaluate({"缺课": 2, "记录不全": True, "工作": 57})  # 26 + 0 + 57 = 83 → 三星级
    gap = result.gap["星级"]
    assert (result.levels["星级"].level, gap.next_level, gap.points_needed) == ("三星级", "四星级", 7)
    # candidates: 记录 +10, 学习 +4, 工作 +3; 10 alone closes 7
    assert [(f.item, f.points) for f in gap.fixes] == [("记录", 10)] and gap.reachable
    to_five = rubric.evaluate({"缺课": 2, "记录不全": False, "工作": 57})  # 93 → 四星级, needs 2 for 五星级
    assert [(f.item, f.points) for f in to_five.gap["星级"].fixes] == [("学习", 4)]
    short = rubric.evaluate({"缺课": 5, "记录不全": True, "工作": 40})  # 20 + 0 + 40 = 60 → 一星级, needs 10
    assert [(f.item, f.points) for f in short.gap["星级"].fixes] == [("工作", 20)]
    top = rubric.evaluate({"工作": 60})
    assert top.gap["星级"].next_level is None and top.gap["星级"].fixes == ()


def test_gap_measures_fixes_on_the_weighted_total() -> None:
    rubric = loads(GAP.replace("学习类 40分", "学习类 40分 权重 50%").replace("工作类 60分", "工作类 60分 权重 50%"))
    result = rubric.evaluate({"缺课": 2, "记录不全": True, "工作": 57})  # 26/40×50 + 57/60×50 = 32.5 + 47.5
    assert result.total == 80 and result.gap["星级"].points_needed == 10
    # 记录 +10 of 40 is worth 12.5 in the total; 学习 +4 → 5; 工作 +3 of 60 → 2.5
    assert [(f.item, f.points) for f in result.gap["星级"].fixes] == [("记录", Fraction(25, 2))]


def test_levels_and_gap_survive_json() -> None:
    result = loads(GAP).evaluate({"缺课": 2, "记录不全": True, "工作": 57})
    again = Result.from_json(result.to_json())
    assert again.levels == result.levels and again.gap == result.gap
    assert again.gap["星级"].fixes[0].clauses == ("不得分 如果 记录不全",)
    assert result.to_dict()["levels"]["星级"] == {
        "level": "三星级", "by_score": "三星级", "downgrade": 0, "vetoed": False,
        "reasons": ["总分 83 分,达到“三星级”的分数线 80 分"]}


def test_explain_false_grades_without_a_gap() -> None:
    result = loads(GAP).evaluate({"工作": 50}, explain=False)
    assert result.levels["星级"].level == "四星级" and result.gap == {}  # 30 + 10 + 50 = 90
    assert Fraction(result.total) == 90


def test_graded_results_follow_the_result_schema() -> None:
    from tests.test_raters import RATERS, SHEETS
    validator = jsonschema.Draft202012Validator(result_schema())
    rubric = loads(MEASURES + ONE_ITEM.format(schemes="星级, 等次", extra="", precision="0.5"))
    validator.validate(rubric.evaluate({"评分": 50, "历史": {"等次": {"2024": "后进"}}}).to_dict())
    validator.validate(loads(GAP).evaluate({"缺课": 2, "记录不全": True, "工作": 57}).to_dict())
    validator.validate(loads(RATERS).evaluate(SHEETS).to_dict())
    validator.validate(loads(VETO.format(highest="最高 三星级")).evaluate({"评分": 98, "违纪": True}).to_dict())


MONOTONE = loads(ONE_ITEM.format(schemes=BUILTIN, extra="", precision="0.5"))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 200), st.integers(0, 200), st.sampled_from(BUILTIN.split(", ")))
def test_level_is_monotone_in_the_total(a: int, b: int, scheme: str) -> None:
    low, high = sorted((a, b))
    levels = MONOTONE.grader(scheme).levels
    worse = MONOTONE.evaluate({"评分": low / 2}, explain=False).levels[scheme].level
    better = MONOTONE.evaluate({"评分": high / 2}, explain=False).levels[scheme].level
    assert levels.index(better) <= levels.index(worse)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 200))
def test_gap_fixes_reach_the_next_level_when_reachable(halves: int) -> None:
    # one 酌情 item: the only fix raises it to 100, which reaches every level above
    result = MONOTONE.evaluate({"评分": halves / 2}, schemes=["星级"])
    gap = result.gap["星级"]
    if gap.next_level is None:
        assert result.total >= 95
        return
    assert gap.reachable and gap.points_needed == MONOTONE.grader("星级").bound(gap.next_level) - result.total
    assert [f.points for f in gap.fixes] == [100 - result.total]


def test_graded_rubrics_and_results_pickle() -> None:
    import pickle
    rubric = loads(FIVE_GOOD)
    result = rubric.evaluate({**ROOMS, "甲项": 48, "乙项": 48})  # builds the 五好 grader, closures and all
    clone = pickle.loads(pickle.dumps(result))
    assert clone == result and clone.level("等次").level == "先进"  # 96 → 五星级 → 先进, graded after unpickling
    again = pickle.loads(pickle.dumps(rubric)).evaluate({**ROOMS, "甲项": 48, "乙项": 47.5})
    assert again.levels["五好"].level == "未达标"


def test_a_veto_may_cap_at_a_level_of_the_base_of_the_only_scheme() -> None:
    """A rubric graded only under 等次 (基于 星级) may write 最高 三星级: the base applies the cap and
    the mapping carries it (先进 = 五星级; 良好 = 四星级, 三星级). 100 points with the veto: 星级 capped
    at 三星级 → 良好; without it: 五星级 → 先进; 70 points with it: 二星级 (below the cap) → 一般.
    A level of no scheme in the chain is still E204."""
    rubric = loads("标准 x { 等级 等次 事实 v: 是否 类型 A 100分 { 项目 i 100分 { 酌情 } } 否决 如果 v 最高 三星级 }")
    rows = [{"v": True, "i": 100}, {"v": False, "i": 100}, {"v": True, "i": 70}]
    assert [rubric.evaluate(row).levels["等次"].level for row in rows] == ["良好", "先进", "一般"]
    assert next(rubric.evaluate_columns(rows)).levels["等次"].tolist() == ["良好", "先进", "一般"]
    with pytest.raises(RubricCheckError) as caught:
        loads("标准 x { 等级 等次 事实 v: 是否 类型 A 100分 { 项目 i 100分 { 酌情 } } 否决 如果 v 最高 优秀 }")
    assert [d.code for d in caught.value.diagnostics] == ["E204"]
