"""The cohort plan (starrules.plan.cohort): what a 排名 block lowers to, worked out by hand from
the rubric text, and the arithmetic both cohort engines read from it."""

from __future__ import annotations

from fractions import Fraction

import pytest

from starrules import loads
from starrules.check.schemes import resolve_scheme
from starrules.core.diagnostics import RubricCheckError
from starrules.lang import ast
from starrules.plan.cohort import BELOW_PASS, IN_ORDER, VETOED, BottomShare, Group, Places, QuotaPass, cohort_plan, \
    quota_places, share_count, standing

STANDARD = """
标准 排 {{
    满分 100
    {total}等级 星级{more}
    事实 领域: 选项(农村, 社区, 机关) 默认 农村
    类型 甲 50分 {{ 项目 甲项 50分 {{ 酌情 }} }}
    类型 乙 50分 {{ 项目 乙项 50分 {{ 酌情 }} }}
}}
"""


def standard(head: str, total: str = "", more: str = "") -> str:
    return head + STANDARD.format(total=total, more=more)


# 星级: 五星级 0, 四星级 1, 三星级 2, 二星级 3, 一星级 4, 无星 5
EVERYTHING = standard("""条件 村里 = 领域 = 农村
排名 星级 {
    名额 五星级 1, 四星级 20%
    倒排 10% 为 相对后进 另加 低于 三星级 当 村里
    名额 三星级 2 当 领域 = 机关
    名额 五星级 2
    倒排 5% 为 后进 其他
    名额并列 落级
    并列 依次比较 @甲, @乙.得分率
    名额 无星 1
}""")

VILLAGE = ast.Compare("=", ast.NameRef("领域"), ast.NameRef("农村"))
OFFICE = ast.Compare("=", ast.NameRef("领域"), ast.NameRef("机关"))


def test_the_batch_quotas_make_one_pass_and_each_when_line_its_own() -> None:
    plan = cohort_plan(loads(EVERYTHING), "星级")
    whole, office = plan.passes
    # lines 1, 4 and 8 (no 当) together: 五星级 1 replaced by the later 五星级 2 in its place,
    # then 四星级 20%, then 无星 1
    assert whole == QuotaPass(1, None, (Places(0, count=2), Places(1, share=Fraction(1, 5)), Places(5, count=1)),
                              (Places(0, count=2), Places(1, share=Fraction(1, 5))))
    # 无星 is the lowest level: nothing falls from it, but no branch falls below it either
    assert whole.lowest == 5
    # line 3, 当 领域 = 机关, in its group
    assert office == QuotaPass(2, Group(3, OFFICE, "领域 = 机关"), (Places(2, count=2),), (Places(2, count=2),))
    assert office.lowest == 2


def test_forced_shares_keep_their_order_group_mark_and_level() -> None:
    plan = cohort_plan(loads(EVERYTHING), "星级")
    # line 2: the named condition 村里 written out, shown as written; 另加 低于 三星级 (index 2)
    assert plan.shares == (BottomShare(1, Fraction(1, 10), "相对后进", Group(2, VILLAGE, "村里"), False, 2),
                           BottomShare(2, Fraction(1, 20), "后进", None, True, None))
    assert plan.marks == ("相对后进", "后进")
    assert [g.position for g in plan.groups] == [2, 3]  # in the order written, quota or share


def test_tie_keys_ties_and_the_rest_of_the_block() -> None:
    plan = cohort_plan(loads(EVERYTHING), "星级")
    assert plan.tie_keys == (ast.ScoreRef("甲"), ast.ScoreRef("乙", part="rate"))
    assert plan.ties_pending is False  # 名额并列 落级
    assert plan.levels == ("五星级", "四星级", "三星级", "二星级", "一星级", "无星")
    assert not plan.by_level
    assert plan.base is None and plan.mapping == ()
    first = plan.first_quota  # 名额 五星级 1, 四星级 20%: line 3 (the text starts with 条件 on line 1)
    assert first is not None and (first.line, first.column) == (3, 5)
    assert plan.moving_quota == first


def test_a_scheme_without_rules_has_an_empty_plan() -> None:
    plan = cohort_plan(loads(standard("")), "星级")
    assert (plan.passes, plan.shares, plan.tie_keys, plan.marks, plan.groups) == ((), (), (), (), ())
    assert plan.ties_pending is True  # 名额并列 待定 is the default
    assert plan.first_quota is None and plan.moving_quota is None


def test_a_total_not_counted_ranks_by_level() -> None:
    text = standard("等级 按条件 {\n    好 且 @甲 >= 40\n    差\n}\n排名 按条件 {\n    倒排 50% 为 末位\n}", "总分 不计\n    ")
    plan = cohort_plan(loads(text.replace("等级 星级", "等级 按条件")), "按条件")
    assert plan.by_level and plan.levels == ("好", "差")
    assert plan.shares == (BottomShare(1, Fraction(1, 2), "末位", None, False, None),)


DERIVED = """
排名 星级 {{
    {base}
}}
排名 等次 {{
    {derived}
}}
"""


def derived(base: str, rules: str) -> str:
    return standard(DERIVED.format(base=base, derived=rules), more=", 等次")


def test_a_derived_scheme_holds_its_base_plan_and_mapping() -> None:
    rubric = loads(derived("名额 五星级 1", "倒排 10% 为 相对后进"))
    plan = cohort_plan(rubric, "等次")
    assert plan.base is cohort_plan(rubric, "星级")  # the base's own plan, lowered once
    # 先进 = 五星级; 良好 = 四星级, 三星级; 一般 = 二星级, 一星级; 后进 = 无星
    assert plan.levels == ("先进", "良好", "一般", "后进") and plan.mapping == (0, 1, 1, 2, 2, 3)
    # no 名额 of its own, but the base's 名额 (line 3) can move its level
    assert plan.first_quota is None
    moving = plan.moving_quota
    assert moving is not None and (moving.line, moving.column) == (3, 5)


def test_a_base_without_quotas_moves_nothing() -> None:
    plan = cohort_plan(loads(derived("倒排 10% 为 相对后进", "名额 先进 1")), "等次")
    assert plan.base is not None and plan.base.moving_quota is None
    own = plan.first_quota  # 名额 先进 1: the derived scheme's own, line 6
    assert own is not None and own.line == 6 and plan.moving_quota == own


def test_the_plan_is_kept_and_an_explicit_block_is_lowered_in_its_place() -> None:
    rubric = loads(standard("排名 星级 {\n    名额 五星级 1\n}"))
    assert cohort_plan(rubric, "星级") is cohort_plan(rubric, "星级")
    other = loads(standard("排名 星级 {\n    倒排 20% 为 末位\n    并列 依次比较 @乙\n}"))
    block = resolve_scheme(other, "星级").ranking
    assert block is not None
    plan = cohort_plan(rubric, "星级", block)
    assert plan.passes == () and plan.marks == ("末位",) and plan.tie_keys == (ast.ScoreRef("乙"),)
    assert cohort_plan(rubric, "星级").marks == ()  # the kept plan is the scheme's own


def test_an_unknown_scheme_is_refused_as_grading_refuses_it() -> None:
    with pytest.raises(RubricCheckError):
        cohort_plan(loads(standard("")), "没有这个方案")


# the arithmetic both engines read

def test_a_quota_allows_the_floor_and_a_forced_share_marks_the_ceiling() -> None:
    assert quota_places(Fraction(3, 10), 10) == 3
    assert quota_places(Fraction(3, 10), 7) == 2  # ⌊2.1⌋
    assert quota_places(Fraction(9, 100), 20) == 1  # ⌊1.8⌋
    assert quota_places(Fraction(1, 2), 0) == 0
    assert share_count(Fraction(1, 20), 23) == 2  # ⌈1.15⌉
    assert share_count(Fraction(1, 20), 20) == 1  # exactly 1
    assert share_count(Fraction(1, 10), 11) == 2  # ⌈1.1⌉
    assert share_count(Fraction(1, 10), 0) == 0
    assert Places(0, count=2).of(100) == 2  # a count whatever the group's size
    assert Places(1, share=Fraction(1, 5)).of(12) == 2  # ⌊2.4⌋


def test_standing_puts_vetoed_last_then_those_below_a_pass_line() -> None:
    assert standing(vetoed=True, below_pass=True) == standing(vetoed=True, below_pass=False) == VETOED
    assert standing(vetoed=False, below_pass=True) == BELOW_PASS
    assert standing(vetoed=False, below_pass=False) == IN_ORDER
    assert IN_ORDER < BELOW_PASS < VETOED  # larger stands lower
