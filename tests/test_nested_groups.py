"""Tables as officers draw them (issue 22 §1, §3): a 类型 inside a 类型 (一级 → 二级 → 三级指标), its
score in results, rows, JSON and every engine; `@组织建设.班子建设` paths; `@组.得分率` and `@组.满分`
over the applicable maximum; the checks per level. Every expected value is worked by hand below."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import Limits, Result, RubricCheckError, loads
from starrules.eval.result import result_schema
from starrules.lang.formatter import format_text as format_source
from tests.reference_evaluator import entry_range
from tests.rubric_strategies import BOOLS, Body, fmt, rubric_body

NESTED_GROUP_CODES = {"E430", "E431", "E432", "E433"}  # each tested below, at its line and column

NESTED = """
标准 三级 {
    事实 甲: 是否
    事实 乙: 计数
    类型 组织建设 30分 达标 18分 {
        类型 班子建设 12分 {
            项目 班子 8分 { 扣 3分 如果 非 甲 }
            项目 制度 4分 { 每 乙 扣 1分 扣完为止 }
        }
        项目 学习 10分 { 酌情 }
        类型 阵地 8分 {
            类型 场所建设 8分 {
                项目 场所 8分 { 每 乙 扣 2分 扣完为止 }
            }
        }
    }
    类型 作用发挥 10分 {
        项目 作用 10分 { 酌情 }
    }
}
"""

# 甲 否, 乙 2: 班子 8 - 3 = 5, 制度 4 - 2 = 2 → 班子建设 7; 学习 7; 场所 8 - 2×2 = 4 → 场所建设 4 →
# 阵地 4; 组织建设 7 + 7 + 4 = 18 (达标 18: passed); 作用发挥 9; 总分 18 + 9 = 27 of 40
FIRST = {"甲": False, "乙": 2, "学习": 7, "作用": 9}
FIRST_SCORES = {"组织建设": 18, "班子建设": 7, "阵地": 4, "场所建设": 4, "作用发挥": 9}
# 甲 是, 乙 5: 班子 8, 制度 4 - 5 → 0 (扣完为止) → 班子建设 8; 学习 10; 场所 8 - 10 → 0 → 场所建设 0 →
# 阵地 0; 组织建设 8 + 10 + 0 = 18; 作用发挥 10; 总分 28
SECOND = {"甲": True, "乙": 5, "学习": 10, "作用": 10}
SECOND_SCORES = {"组织建设": 18, "班子建设": 8, "阵地": 0, "场所建设": 0, "作用发挥": 10}


def group_scores(result: Result) -> dict[str, Any]:
    return {g.name: g.score for s in result.sections for g in (s, *s.nested())}


@pytest.mark.parametrize("explain", [True, False])
def test_a_three_level_table_is_scored_level_by_level(explain: bool) -> None:
    rubric = loads(NESTED)
    result = rubric.evaluate(FIRST, explain=explain)
    assert result.total == 27 and result.max == 40
    assert group_scores(result) == FIRST_SCORES
    top = result.sections[0]
    assert [s.name for s in result.sections] == ["组织建设", "作用发挥"]  # groups are inside, not beside
    assert [i.name for i in top.items] == ["班子", "制度", "学习", "场所"]  # every item inside, as written
    assert [g.name for g in top.groups] == ["班子建设", "阵地"]
    assert [i.name for i in top.groups[0].items] == ["班子", "制度"]
    assert top.groups[1].groups[0].kind == "group" and top.passed is True
    assert rubric.evaluate(SECOND, explain=explain).total == 28
    assert group_scores(rubric.evaluate(SECOND, explain=explain)) == SECOND_SCORES


def test_every_engine_gives_the_groups() -> None:
    rubric = loads(NESTED)
    rows = [FIRST, SECOND]
    many = list(rubric.evaluate_many(rows))
    assert [group_scores(r) for r in many] == [FIRST_SCORES, SECOND_SCORES]  # type: ignore[arg-type]
    batches = list(rubric.evaluate_columns(rows))
    batch_rows = [row for b in batches for row in b.to_rows()]
    assert batch_rows == [r.to_row() for r in many]  # type: ignore[union-attr]
    # a row: each section, its own items, then each group the same way
    assert list(batch_rows[0]) == ["id", "total", "max", "vetoed", "section:组织建设", "item:学习", "section:班子建设",
                                   "item:班子", "item:制度", "section:阵地", "section:场所建设", "item:场所",
                                   "section:作用发挥", "item:作用"]
    assert batch_rows[0]["section:场所建设"] == 4 and batch_rows[1]["section:班子建设"] == 8


def test_groups_go_to_json_and_back() -> None:
    result = loads(NESTED).evaluate(FIRST)
    data = result.to_dict()
    jsonschema.validate(data, result_schema())
    group = data["sections"][0]["groups"][1]
    assert group == {"name": "阵地", "kind": "group", "score": 4, "max": 8, "passed": None, "pass_line": None,
                     "items": ["场所"], "groups": [{"name": "场所建设", "kind": "group", "score": 4, "max": 8,
                                                    "passed": None, "pass_line": None, "items": ["场所"]}]}
    back = Result.from_dict(data)
    assert back.sections == result.sections and back.to_dict() == data


def test_the_formatter_writes_groups_back_in_place() -> None:
    text = format_source(NESTED)
    assert "        类型 班子建设 12分 {" in text and "            类型 场所建设 8分 {" in text
    assert text.index("班子建设") < text.index("学习") < text.index("阵地")  # the order written
    assert format_source(text) == text
    assert loads(text).evaluate(FIRST).to_row() == loads(NESTED).evaluate(FIRST).to_row()  # (lines move)


RATES = """
标准 饭店 {
    等级 星
    事实 无餐厅: 是否
    事实 缺陷: 计数
    类型 设施 100分 {
        类型 餐饮 20分 {
            项目 餐厅 10分 { 不适用 如果 无餐厅  每 缺陷 扣 1分 扣完为止 }
            项目 厨房 10分 { 每 缺陷 扣 2分 扣完为止 }
        }
        项目 客房 80分 { 酌情 }
    }
}
等级 星 { 达标 且 @设施.餐饮.得分率 >= 80% 且 @餐饮.满分 >= 10   未达标 }
"""


@pytest.mark.parametrize(("no_hall", "defects", "rate", "maximum", "level"), [
    (True, 1, Fraction(4, 5), 10, "达标"),    # 餐厅 不适用: 厨房 10 - 2 = 8 over 20 - 10 = 10 → 80%
    (False, 1, Fraction(17, 20), 20, "达标"),  # 餐厅 9 + 厨房 8 = 17 over 20 → 85%
    (False, 2, Fraction(7, 10), 20, "未达标"),  # 餐厅 8 + 厨房 6 = 14 over 20 → 70%
    (True, 2, Fraction(3, 5), 10, "未达标"),   # 厨房 6 over 10 → 60%
])
def test_a_rate_is_over_the_applicable_maximum(no_hall: bool, defects: int, rate: Fraction, maximum: int,
                                               level: str) -> None:
    rubric = loads(RATES)
    row = {"无餐厅": no_hall, "缺陷": defects, "客房": 70}
    for explain in (True, False):
        result = rubric.evaluate(row, explain=explain)
        assert result.level("星").level == level
        group = result.sections[0].groups[0]
        assert Fraction(group.score) / group.max == rate and group.max == maximum
    assert [r.level("星").level for r in rubric.evaluate_many([row])] == [level]  # type: ignore[union-attr]
    assert [lv for b in rubric.evaluate_columns([row]) for lv in b.levels["星"]] == [level]


def test_a_rate_is_shown_as_a_percentage() -> None:
    reasons = loads(RATES).evaluate({"无餐厅": True, "缺陷": 1, "客房": 70}).level("星").reasons
    assert reasons == ("条件成立:@设施.餐饮.得分率 80% >= 80%;@餐饮.满分 10 >= 10,为“达标”",)


def test_a_group_with_nothing_applicable_has_a_rate_of_100_percent() -> None:
    rubric = loads("""
    标准 空 { 等级 看
        事实 无: 是否
        类型 甲 10分 { 类型 乙 5分 { 项目 丙 5分 { 不适用 如果 无  酌情 } } 项目 丁 5分 { 酌情 } }
    }
    等级 看 { 满 且 @乙.得分率 = 100%  缺 }
    """)
    for explain in (True, False):  # nothing in 乙 applies: it has nothing to lose (documented)
        assert rubric.evaluate({"无": True, "丁": 1}, explain=explain).level("看").level == "满"
    assert [lv for b in rubric.evaluate_columns([{"无": True, "丁": 1}]) for lv in b.levels["看"]] == ["满"]


# ---------------------------------------------------------------------------------------------
# checks per level, with their codes

def check_error(text: str, code: str, limits: Limits | None = None) -> Any:
    with pytest.raises(RubricCheckError) as raised:
        loads(text, limits=limits) if limits else loads(text)
    found = [d for d in raised.value.diagnostics if d.code == code]
    assert found, raised.value.diagnostics
    return found[0]


def test_a_group_s_items_must_fit_its_points() -> None:
    error = check_error("标准 甲 {\n 类型 大 10分 {\n  类型 小 4分 { 项目 一 5分 { 酌情 } }\n  项目 二 5分 { 酌情 } } }", "E401")
    assert (error.span.line, error.span.column) == (3, 6) and "类型“小”的项目分值合计 5 分" in error.message
    # the section counts its group's points (4 + 5 = 9), not the group's items (5 + 5)
    error = check_error("标准 甲 {\n 类型 大 8分 {\n  类型 小 4分 { 项目 一 4分 { 酌情 } }\n  项目 二 5分 { 酌情 } } }", "E401")
    assert "类型“大”的项目分值合计 9 分" in error.message


def test_a_weight_belongs_to_the_outermost_section() -> None:
    error = check_error("标准 甲 {\n 类型 大 10分 {\n  类型 小 10分 权重 50% { 项目 一 10分 { 酌情 } } } }", "E430")
    assert (error.span.line, error.span.column) == (3, 15)  # at “50%”


def nested(depth: int) -> str:
    opening = "".join(f"类型 层{k} 5分 {{ " for k in range(depth))
    return f"标准 深 {{ {opening}项目 底 5分 {{ 酌情 }} {'} ' * depth}}}"


def test_groups_nest_four_deep_by_default() -> None:
    assert loads(nested(4)).evaluate({"底": 3}).total == 3
    error = check_error(nested(5), "E431")
    assert "层4" in error.line_text[error.span.column - 1:] and "超过上限 4 层" in error.message
    assert check_error(nested(3), "E431", Limits(group_depth=2)).message.startswith("类型套了 3 层")


def test_a_group_name_is_unique() -> None:
    check_error("标准 甲 { 类型 大 10分 { 类型 小 5分 { 项目 一 5分 { 酌情 } } 类型 小 5分 { 项目 二 5分 { 酌情 } } } }",
                "E202")


PATHS = NESTED.replace("    类型 作用发挥", "    否决 如果 VETO\n    令 看 = LET\n    类型 作用发挥")


def with_paths(veto: str, let: str) -> str:
    return PATHS.replace("VETO", veto).replace("LET", let)


def test_a_path_must_be_where_the_group_is() -> None:
    rubric = loads(with_paths("@组织建设.阵地.场所建设 < 1", "@场所建设.场所"))
    assert rubric.evaluate(SECOND).vetoed and not rubric.evaluate(FIRST).vetoed  # 场所建设 0, then 4
    error = check_error(with_paths("@阵地.班子建设 < 1", "1"), "E432")
    assert "“@阵地.班子建设”不是“班子建设”所在的类型" in error.message and "@组织建设.班子建设" in (error.hint or "")


def test_a_rate_is_read_only_after_scoring_and_only_of_a_group() -> None:
    error = check_error(with_paths("否", "@阵地.得分率"), "E433")
    assert "只能在等级、降档、提示和排名的条件中读" in error.message
    check_error(with_paths("@阵地.满分 < 1", "1"), "E433")  # a veto is scored by the engines
    item = check_error(NESTED.replace("标准 三级 {", "标准 三级 { 等级 看") + "等级 看 { 好 且 @班子.得分率 >= 50%  差 }",
                       "E433")
    assert item.message == "“班子”是项目,没有得分率;得分率只有类型有"


# ---------------------------------------------------------------------------------------------
# properties: every engine agrees with the reference on generated nested tables (that is in
# tests/test_engines_agree.py, whose rubrics now nest groups); nested ≡ flat where flattening is
# meaningful (every group holds exactly its items' points and none of them 可倒扣)

@st.composite
def flattenable(draw: st.DrawFn) -> tuple[Body, dict[str, Any]]:
    body = draw(rubric_body().filter(lambda b: b.flattenable and "组" in b.text))
    evidence: dict[str, Any] = {b: draw(st.booleans()) for b in BOOLS}
    evidence.update(c1=draw(st.integers(0, 6)), c2=draw(st.integers(0, 6)), n1=draw(st.integers(0, 150)),
                    r1=draw(st.sampled_from(["0%", "50%", "100%"])), ch=draw(st.sampled_from(["甲", "乙", "丙"])))
    return body, evidence


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(flattenable())
def test_a_group_holding_its_items_points_scores_as_the_flat_section(case: tuple[Body, dict[str, Any]]) -> None:
    body, evidence = case
    nested_rubric, flat = loads(f"标准 生成 {{ {body.text} }}"), loads(f"标准 生成 {{ {body.flat} }}")
    for name, entry in _judgements(flat).items():
        evidence[name] = entry
    for explain in (True, False):
        a, b = nested_rubric.evaluate(evidence, explain=explain), flat.evaluate(evidence, explain=explain)
        assert (a.total, a.max) == (b.total, b.max)
        assert {i.name: i.score for i in a.items} == {i.name: i.score for i in b.items}
        assert {s.name: (s.score, s.max) for s in a.sections} == {s.name: (s.score, s.max) for s in b.sections}


def _judgements(rubric: Any) -> dict[str, Any]:
    """Every 酌情 item at its top and every 分档 at its first level (evidence the assessor fills)."""
    entries: dict[str, Any] = {}
    for item in rubric.items:
        for clause in item.clauses:
            if type(clause).__name__ == "Judged":
                entries[item.name] = fmt(entry_range(item, clause)[1])
            elif type(clause).__name__ == "Grades":
                entries[item.name] = clause.levels[0].name
    return entries


def test_explain_and_eval_show_the_tree() -> None:
    from starrules.report.explain import explain, table
    result = loads(NESTED).evaluate(FIRST)
    assert explain(result).splitlines()[1:10] == [
        "类型 组织建设 18/30分(达标线 18 分,已达标)",
        "  类型 班子建设 7/12分",
        "    班子 8→5分:扣 3 分,因为 非 甲 否(第 7 行)",
        "    制度 4→2分:扣 2 分,因为 乙 2(第 8 行)",
        "  学习 10→7分:酌情给 7 分",
        "  类型 阵地 4/8分",
        "    类型 场所建设 4/8分",
        "      场所 8→4分:扣 4 分,因为 乙 2(第 13 行)",
        "类型 作用发挥 9/10分"]
    rows = [line.split() for line in table(result).splitlines()[2:9]]
    assert [row[:4] for row in rows[:3]] == [["类型", "组织建设", "18", "30"], ["类型", "班子建设", "7", "12"],
                                            ["班子", "5", "8", "扣"]]


def test_the_gap_re_scores_groups_before_their_section() -> None:
    rubric = loads(NESTED.replace("标准 三级 {", "标准 三级 { 等级 档") + "等级 档 { 优秀 >= 30分  合格 }")
    gap = rubric.evaluate(FIRST).gap["档"]
    # 27 → 30 needs 3 points: the fixes, largest first — 场所 +4 (8 - 4, through 场所建设 and 阵地), which
    # alone closes it; each fix's worth is measured through the groups' and sections' clamps
    assert (gap.next_level, gap.points_needed, gap.reachable) == ("优秀", 3, True)
    assert [(f.item, f.points) for f in gap.fixes] == [("场所", 4)]


PARENT = """
标准 通用 {
    事实 甲: 是否
    类型 组织建设 20分 {
        类型 班子建设 10分 {
            项目 班子 6分 { 扣 2分 如果 非 甲 }
            项目 制度 4分 { 酌情 }
        }
        项目 学习 10分 { 酌情 }
    }
}
"""


def test_a_child_standard_merges_groups_by_name() -> None:
    text = PARENT + """
    标准 农村 继承 通用 {
        类型 组织建设 20分 {
            类型 班子建设 10分 { 项目 班子 6分 { 扣 3分 如果 非 甲 } }
            项目 制度 4分 { 扣 4分 如果 非 甲 }
            类型 阵地 0分 { }
        }
        删除 项目 学习
    }
    """
    rubric = loads(text, rubric="农村")
    result = rubric.evaluate({"甲": False})
    section = result.sections[0]
    # 班子 is the child's (6 - 3 = 3); 制度, written in the section itself, replaces the parent's inside
    # 班子建设 (4 - 4 = 0); 学习 is removed: 班子建设 3 + 阵地 0 = 3; the groups keep the parent's order
    assert [i.name for i in section.items] == ["班子", "制度"]
    assert [(g.name, g.score, [i.name for i in g.items]) for g in section.groups] == \
        [("班子建设", 3, ["班子", "制度"]), ("阵地", 0, [])]
    assert result.total == 3
