"""What fired a deduction, award or 不得分, in words (report/explain.py `fired_words`, the scorecard's
扣分与加分 column): the facts' values, with units and the comparison as written, not the rule's
text. Every expected line is worked out by hand from RUBRIC and the evidence below."""

from __future__ import annotations

from starrules import Result, loads
from starrules.report.explain import fired_words

RUBRIC = """
标准 词 {
    满分 40
    事实 学时: 数值 单位 "学时"
    事实 满意率: 比例
    事实 甲: 是否
    事实 乙: 是否
    事实 丙: 是否
    事实 类别: 选项(村, 社区)
    类型 S 40分 {
        项目 学习 10分 {
            扣 2分 如果 32 > 学时
            扣 1分 如果 满意率 < 85%
            扣 1分 如果 学时 不足 40
        }
        项目 制度 10分 {
            每 满足数[甲, 乙, 丙] 扣 1分
            不得分 如果 非 任一[甲, 乙, 丙]
        }
        项目 或者 10分 {
            扣 3分 如果 甲 或 类别 = 社区
        }
        项目 计算 10分 {
            扣 1分 如果 学时 * 2 少于 70
        }
    }
}
"""
NONE_MET = {"学时": 30, "满意率": 0.8, "甲": False, "乙": False, "丙": False, "类别": "社区"}
TWO_MET = {"学时": 30, "满意率": 0.9, "甲": True, "乙": False, "丙": True, "类别": "村"}


def words(evidence: dict[str, object]) -> dict[str, list[str]]:
    result = loads(RUBRIC).evaluate(evidence)
    return {item.name: fired_words(item, result._rubric) for item in result.items}


def test_comparisons_show_the_value_its_unit_and_the_threshold() -> None:
    # 30 学时: 32 > 30 (written the other way round: the fact comes first), 30 不足 40 (the word as
    # written); 满意率 0.8 against 85% is shown as a percentage
    assert words(NONE_MET)["学习"] == ["学时 30 学时,少于 32 → 扣 2 分", "满意率 80%,少于 85% → 扣 1 分",
                                     "学时 30 学时,不足 40 → 扣 1 分"]
    assert words(TWO_MET)["学习"] == ["学时 30 学时,少于 32 → 扣 2 分", "学时 30 学时,不足 40 → 扣 1 分"]


def test_lists_name_the_items_counted_and_only_the_deciding_part_of_an_or() -> None:
    # 满足数 2 (甲, 丙): −2; 非 任一 with all three false: 不得分; 类别 = 社区 decides the 或 when 甲 is false
    assert words(TWO_MET)["制度"] == ["满足:甲(是)、丙(是) → 扣 2 分"]
    assert words(NONE_MET)["制度"] == ["甲(否)、乙(否)、丙(否) → 不得分"]
    assert words(NONE_MET)["或者"] == ["类别 为 社区 → 扣 3 分"]
    assert words(TWO_MET)["或者"] == ["甲(是) → 扣 3 分"]


def test_arithmetic_and_results_read_back_show_the_condition_with_its_values() -> None:
    assert words(NONE_MET)["计算"] == ["学时 30 * 2 少于 70 → 扣 1 分"]  # 60 < 70: too involved for words
    back = Result.from_json(loads(RUBRIC).evaluate(TWO_MET).to_json())  # no rubric: the trace's own text
    assert {item.name: fired_words(item) for item in back.items}["制度"] == ["满足数[甲 是, 乙 否, 丙 是] = 2 → 扣 2 分"]


def test_nothing_is_said_for_an_item_nothing_changed() -> None:
    # 40 学时 (80 ≥ 70), 90%, only 丙 (满足数 1: −1; 任一 holds), a 村 with 甲 false: no other clause fires
    quiet = {"学时": 40, "满意率": 0.9, "甲": False, "乙": False, "丙": True, "类别": "村"}
    assert words(quiet) == {"学习": [], "制度": ["满足:丙(是) → 扣 1 分"], "或者": [], "计算": []}
