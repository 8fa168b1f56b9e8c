"""Cohort rules (LANGUAGE.md §10) worked by hand: ranks, quotas, forced bottom shares."""

from __future__ import annotations

import math
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from starrules import loads, rank

RANKED = """
排名 星级 {{
    {rules}
}}
排名 分类定级 {{
    倒排 10% 为 相对后进 当 领域 属于 [国有企业, 非公企业]
    倒排 5% 为 相对后进 其他
}}
标准 排 {{
    满分 100
    等级 星级
    事实 领域: 选项(农村, 社区, 机关, 国有企业, 非公企业) 默认 农村
    类型 甲 50分 {{ 项目 甲项 50分 {{ 酌情 }} }}
    类型 乙 50分 {{ 项目 乙项 50分 {{ 酌情 }} }}
}}
"""
WUWEI_PLAN = "名额 五星级 1, 四星级 2, 三星级 1"  # 武威市检察院机关实施方案: 五星级 1 个、四星级 2 个、三星级 1 个


def batch(pairs: Sequence[tuple[float, float]], rules: str = WUWEI_PLAN, field: str = "农村") -> list:
    rubric = loads(RANKED.format(rules=rules))
    return [rubric.evaluate({"id": f"支部{n}", "甲项": a, "乙项": b, "领域": field}) for n, (a, b) in enumerate(pairs, 1)]


def test_the_wuwei_quota_plan() -> None:
    # totals 98, 96, 93, 91, 90.5, 85 → by score 五 五 四 四 四 三
    results = batch([(50, 48), (48, 48), (45, 48), (45, 46), (45, 45.5), (40, 45)])
    ranked = rank(results, "星级")
    assert [b.scored_level for b in ranked.branches] == ["五星级", "五星级", "四星级", "四星级", "四星级", "三星级"]
    # 五星级 1: 96 falls to 四星级; 四星级 2 of (96, 93, 91, 90.5): 91 and 90.5 fall; 三星级 1 of (91, 90.5, 85):
    # 91 keeps it, and 90.5 and 85 stay at 三星级, the lowest level with a quota, marked 待定 — not
    # 二星级, which the plan ties to 70–79 points
    assert [b.level for b in ranked.branches] == ["五星级", "四星级", "四星级", "三星级", "三星级", "三星级"]
    assert [b.id for b in ranked.branches if "待定" in b.marks] == ["支部5", "支部6"]
    assert ranked.branch("支部2").reasons == ("“五星级”名额 1 个,排名第 2 名未入选,降为“四星级”",)
    assert ranked.branch("支部5").reasons == (
        "“四星级”名额 2 个,排名第 5 名未入选,降为“三星级”",
        "“三星级”名额 1 个,排名第 5 名未入选,“三星级”已是有名额的最低等级,待定(由评审组研究确定)")


def test_five_tied_at_100_are_referred_not_cascaded() -> None:
    """Issue 18 §1: five branches at 100 under the 武威 plan used to fall through every planned
    level into 二星级. Tied across the 五星级 cut, all five are 待定 at 五星级; with 名额并列 落级
    they fall level by level and stop, 待定, at 三星级, the lowest level with a quota."""
    ranked = rank(batch([(50, 50)] * 5), "星级")
    assert [(b.level, b.marks) for b in ranked.branches] == [("五星级", ("待定",))] * 5
    assert ranked.branches[0].reasons == ("“五星级”名额 1 个,第 1 名与名额线上的党支部并列,待定(由评审组研究确定)",)
    falling = rank(batch([(50, 50)] * 5, rules=WUWEI_PLAN + "\n    名额并列 落级"), "星级")
    assert [(b.level, b.marks) for b in falling.branches] == [("三星级", ("待定",))] * 5
    # a tie-breaker separates them first: 甲 decides, and the quota places 1, 2 and 1 of them;
    # the fifth stays at 三星级, 待定
    tied_96 = [(50, 46), (49, 47), (48, 48), (47, 49), (46, 50)]  # all 96, 五星级 by score
    broken = rank(batch(tied_96, rules=WUWEI_PLAN + "\n    并列 依次比较 @甲"), "星级")
    assert [b.level for b in broken.branches] == ["五星级", "四星级", "四星级", "三星级", "三星级"]
    assert [b.marks for b in broken.branches] == [(), (), (), (), ("待定",)]


def test_a_tie_at_the_quota_cut_lets_none_of_the_tied_in() -> None:
    ranked = rank(batch([(50, 48), (48, 49), (49, 48)]), "星级", )  # 98, 97, 97
    assert [b.rank for b in ranked.branches] == [1, 2, 2]
    assert [b.level for b in ranked.branches] == ["五星级", "四星级", "四星级"]


def test_tie_breakers_order_and_separate_equal_totals() -> None:
    ranked = rank(batch([(45, 45), (40, 50), (50, 40), (30, 30)], rules="并列 依次比较 @甲"), "星级")
    assert [b.id for b in ranked.branches] == ["支部3", "支部1", "支部2", "支部4"]
    assert [b.rank for b in ranked.branches] == [1, 2, 3, 4]
    shared = rank(batch([(45, 45), (40, 50), (40, 50), (30, 30)], rules="并列 依次比较 @甲"), "星级")
    assert [b.rank for b in shared.branches] == [1, 2, 2, 4]


def test_share_quota_allows_the_floor_of_p_n() -> None:
    ten = batch([(50, 48)] * 10, rules="名额 五星级 30%")  # ⌊0.3 × 10⌋ = 3, but all ten tie …
    assert all(b.marks == ("待定",) for b in rank(ten, "星级").branches)  # … so all ten are the committee's
    # with 名额并列 落级 none gets in; they may fall only to a level with a quota of its own
    fall = batch([(50, 48)] * 10, rules="名额 五星级 30%, 四星级 100%\n    名额并列 落级")
    assert [b.level for b in rank(fall, "星级").branches] == ["四星级"] * 10
    stay = batch([(50, 48)] * 10, rules="名额 五星级 30%\n    名额并列 落级")  # 五星级 is the lowest planned level
    assert all((b.level, b.marks) == ("五星级", ("待定",)) for b in rank(stay, "星级").branches)
    seven = batch([(50, 50 - n / 2) for n in range(7)], rules="名额 五星级 30%")  # 100, 99.5, … 97
    assert sum(b.level == "五星级" and not b.marks for b in rank(seven, "星级").branches) == 2  # ⌊2.1⌋


def test_forced_bottom_share_rounds_up() -> None:
    results = batch([(50, 50 - n) for n in range(23)])  # 23 distinct totals 100 … 78
    ranked = rank(results, "分类定级")
    marked = [b.id for b in ranked.branches if "相对后进" in b.marks]
    assert marked == ["支部22", "支部23"]  # ⌈5% × 23⌉ = ⌈1.15⌉ = 2


def test_a_tie_at_the_forced_cut_marks_one_more() -> None:
    pairs = [(50, 50 - n) for n in range(21)] + [(30, 30), (30, 30)]  # the bottom two tie, 23 in all
    pairs[20] = (30, 30)  # three-way tie at the bottom
    ranked = rank(batch(pairs), "分类定级")
    assert sum("相对后进" in b.marks for b in ranked.branches) == 3
    assert ranked.branches[-1].reasons[-1] == "全部 23 个党支部中倒排 5%(至少 2 个):第 21 名,标为“相对后进”"


def test_forced_shares_per_group() -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))
    firms = [rubric.evaluate({"id": f"企{n}", "甲项": 50, "乙项": 49 - n, "领域": "国有企业"}) for n in range(11)]
    villages = [rubric.evaluate({"id": f"村{n}", "甲项": 50, "乙项": 49 - n, "领域": "农村"}) for n in range(19)]
    ranked = rank(firms + villages, "分类定级")
    marked = sorted(b.id for b in ranked.branches if b.marks)
    # firms: ⌈10% × 11⌉ = 2 (企9, 企10); others: ⌈5% × 19⌉ = 1 (村18)
    assert marked == ["企10", "企9", "村18"]


def test_ranking_to_json() -> None:
    ranked = rank(batch([(50, 48), (48, 48)]), "星级")
    data = ranked.to_dict()
    assert data["scheme"] == "星级"
    assert data["branches"][1] == {"id": "支部2", "total": 96, "rank": 2, "level": "四星级", "scored_level": "五星级",
                                   "marks": [], "reasons": ["“五星级”名额 1 个,排名第 2 名未入选,降为“四星级”"]}


TOTALS = st.lists(st.integers(min_value=0, max_value=200), min_size=0, max_size=30)


@settings(max_examples=40, deadline=None)
@given(TOTALS, st.integers(min_value=0, max_value=4), st.integers(min_value=0, max_value=4))
def test_quotas_are_never_exceeded(halves: list[int], five: int, four: int) -> None:
    results = batch([(min(h, 100) / 2, max(h - 100, 0) / 2) for h in halves], rules=f"名额 五星级 {five}, 四星级 {four}")
    ranked = rank(results, "星级").branches
    placed = [b.level for b in ranked if "待定" not in b.marks]
    assert placed.count("五星级") <= five and placed.count("四星级") <= four
    # no branch falls below the lowest level with a quota unless its score does
    order = ["五星级", "四星级", "三星级", "二星级", "一星级", "无星"]
    lowest = max(order.index(level) for level, n in (("五星级", five), ("四星级", four)))
    assert all(order.index(b.level) <= max(order.index(b.scored_level), lowest) for b in ranked)
    assert all(order.index(b.level) >= order.index(b.scored_level) for b in ranked)  # never raised


@settings(max_examples=40, deadline=None)
@given(TOTALS)
def test_forced_share_marks_at_least_the_ceiling_and_only_the_bottom(halves: list[int]) -> None:
    results = batch([(min(h, 100) / 2, max(h - 100, 0) / 2) for h in halves])
    branches = rank(results, "分类定级").branches
    marked = [b for b in branches if b.marks]
    assert len(marked) >= math.ceil(len(branches) * 5 / 100)
    unmarked = [b for b in branches if not b.marks]
    if marked and unmarked:
        assert max(m.total for m in marked) < min(b.total for b in unmarked)  # ties at the cut are all marked


VETOED = """
排名 星级 {{
    {rules}
}}
标准 否 {{
    满分 100
    等级 星级
    事实 违纪: 是否 默认 否
    类型 甲 50分 达标 30分 {{ 项目 甲项 50分 {{ 酌情 }} }}
    类型 乙 50分 {{ 项目 乙项 50分 {{ 酌情 }} }}
    否决 如果 违纪
}}
"""


def vetoed_batch(rows: Sequence[tuple[float, float, bool]], rules: str) -> list:
    rubric = loads(VETOED.format(rules=rules))
    return [rubric.evaluate({"id": f"支部{n}", "甲项": a, "乙项": b, "违纪": v}) for n, (a, b, v) in enumerate(rows, 1)]


def test_bottom_share_puts_vetoed_branches_last_and_marks_each() -> None:
    """Issue 18 §3: a vetoed branch with 100 points was ranked first and never marked.
    Totals 100 (vetoed), 95, 90, 85 (甲 25 < 达标 30), 80; ⌈10% × 5⌉ = 1: the vetoed one."""
    rows = [(50, 50, True), (48, 47, False), (45, 45, False), (25, 50, False), (40, 40, False)]
    marked = [b.id for b in rank(vetoed_batch(rows, "倒排 10% 为 相对后进"), "星级").branches if b.marks]
    assert marked == ["支部1"]
    # ⌈30% × 5⌉ = 2: after the vetoed one, 支部4 (85, a section below its line) before 支部5 (80)
    ranked = rank(vetoed_batch(rows, "倒排 30% 为 相对后进"), "星级")
    assert sorted(b.id for b in ranked.branches if b.marks) == ["支部1", "支部4"]
    assert ranked.branch("支部1").reasons[-1] == "全部 5 个党支部中倒排 30%(至少 2 个):第 1 名(一票否决,排在最后),标为“相对后进”"
    # two vetoed branches and ⌈10% × 5⌉ = 1: both are marked all the same
    two = [(50, 50, True), (20, 20, True), (45, 45, False), (40, 45, False), (40, 40, False)]
    assert sorted(b.id for b in rank(vetoed_batch(two, "倒排 10% 为 相对后进"), "星级").branches if b.marks) == \
        ["支部1", "支部2"]


def test_also_below_a_level_marks_those_and_a_share_of_the_rest() -> None:
    """相对后进 as notices put it: every branch below 三星级 (星级 80 分), plus the bottom 25% of the
    others. Totals 98, 93, 91, 85, 70, 65: 70 (二星级) and 65 (二星级 is ≥ 70? no: 一星级) are below
    三星级; of the other four ⌈25% × 4⌉ = 1: 85."""
    rows = [(49, 49, False), (47, 46, False), (46, 45, False), (40, 45, False), (35, 35, False), (35, 30, False)]
    ranked = rank(vetoed_batch(rows, "倒排 25% 为 相对后进 另加 低于 三星级"), "星级")
    assert [b.level for b in ranked.branches] == ["五星级", "四星级", "四星级", "三星级", "二星级", "一星级"]
    assert sorted(b.id for b in ranked.branches if b.marks) == ["支部4", "支部5", "支部6"]
    assert ranked.branch("支部5").reasons == ("全部党支部中低于“三星级”(为“二星级”),标为“相对后进”",)


def test_also_below_names_a_level_of_the_scheme() -> None:
    import pytest
    from starrules import RubricCheckError
    with pytest.raises(RubricCheckError) as caught:
        loads(VETOED.format(rules="倒排 5% 为 相对后进 另加 低于 三星"))
    assert [d.code for d in caught.value.diagnostics] == ["E204"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.booleans()), min_size=1, max_size=12),
       st.sampled_from([5, 10, 25, 50]))
def test_a_bottom_share_marks_at_least_its_share_and_every_vetoed_branch(
        rows: list[tuple[int, int, bool]], percent: int) -> None:
    ranked = rank(vetoed_batch(rows, f"倒排 {percent}% 为 相对后进"), "星级")
    marked = {b.id for b in ranked.branches if b.marks}
    assert len(marked) >= math.ceil(percent * len(rows) / 100)
    assert {b.id for b in ranked.branches if b.result.vetoed} <= marked
    # no unmarked branch stands below a marked one in 倒排's order (vetoed last, then 未达标, then total)
    def standing(b) -> tuple[int, int]:
        below = b.result.section("甲").passed is False
        return (2 if b.result.vetoed else 1 if below else 0, -b.total)
    assert all(standing(b) <= standing(m) for b in ranked.branches if b.id not in marked
               for m in ranked.branches if m.id in marked and not m.result.vetoed)


def test_quotas_per_group() -> None:
    """Issue 18 §9: a 名额 line with 当 C holds within the branches where C holds (a share of the
    group's size). Firms 100 and 98, villages 99 and 97, all 五星级 by score: each group's one
    五星级 place goes to its best; the other falls to 四星级 (a planned level in each group)."""
    rules = ("名额 五星级 1, 四星级 100% 当 领域 属于 [国有企业, 非公企业]\n"
             "    名额 五星级 50%, 四星级 100% 当 领域 = 农村")
    rubric = loads(RANKED.format(rules=rules))
    results = [rubric.evaluate({"id": i, "甲项": 50, "乙项": b, "领域": f})
               for i, b, f in [("企1", 50, "国有企业"), ("企2", 48, "非公企业"), ("村1", 49, "农村"), ("村2", 47, "农村")]]
    ranked = rank(results, "星级")
    assert {b.id: b.level for b in ranked.branches} == {"企1": "五星级", "村1": "五星级", "企2": "四星级", "村2": "四星级"}
    assert ranked.branch("企2").reasons == \
        ("“领域 属于 [国有企业, 非公企业]”的“五星级”名额 1 个,排名第 3 名未入选,降为“四星级”",)
    # the same places for the whole batch: one 五星级 in all
    whole = rank([loads(RANKED.format(rules="名额 五星级 1, 四星级 100%")).evaluate(
        {"id": r.id, "甲项": 50, "乙项": float(r.total) - 50, "领域": "农村"}) for r in results], "星级")
    assert [b.level for b in whole.branches] == ["五星级", "四星级", "四星级", "四星级"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(180, 200), st.booleans()), min_size=1, max_size=12))
def test_a_group_quota_is_never_exceeded_within_its_group(rows: list[tuple[int, bool]]) -> None:
    rubric = loads(RANKED.format(rules="名额 五星级 1, 四星级 100% 当 领域 = 农村\n    名额 五星级 2, 四星级 100% 当 领域 = 社区"))
    results = [rubric.evaluate({"id": f"支部{n}", "甲项": 50, "乙项": (h - 100) / 2, "领域": "农村" if village else "社区"})
               for n, (h, village) in enumerate(rows)]
    ranked = rank(results, "星级").branches
    for field, limit in (("农村", 1), ("社区", 2)):
        placed = [b for b in ranked if dict(b.result.facts)["领域"] == field and not b.marks and b.level == "五星级"]
        assert len(placed) <= limit
