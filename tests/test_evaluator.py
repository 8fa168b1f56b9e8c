"""Worked examples, computed by hand from LANGUAGE.md §3 and §7, for every clause kind."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

from starrules import Result, load, loads

ROOT = Path(__file__).resolve().parent.parent

FACTS = """
    事实 学时: 数值
    事实 缺会: 计数 默认 0
    事实 甲: 是否 默认 否
    事实 乙: 是否 默认 否
    事实 丙: 是否 默认 否
"""


def one_item(clauses: str, points: str = "4", extra: str = "", facts: str = FACTS) -> str:
    return f"标准 例 {{ {facts} {extra} 类型 组织 {points}分 {{ 项目 甲项 {points}分 {{ {clauses} }} }} }}"


def score(text: str, evidence: dict[str, object], item: str = "甲项") -> object:
    return loads(text).evaluate(evidence).item(item).score


def test_deductions_per_occurrence_and_floor_at_zero() -> None:
    text = one_item("扣 2分 如果 学时 少于 32 每 缺会 扣 1分 扣完为止")
    assert score(text, {"学时": 30, "缺会": 1}) == 1       # 4 − 2 − 1
    assert score(text, {"学时": 30, "缺会": 3}) == 0       # 4 − 2 − 3 = −1 stops at 0
    assert score(text, {"学时": 32}) == 4                  # 32 is not 少于 32


def test_deductions_stop_at_zero_without_the_keyword_too() -> None:
    assert score(one_item("每 缺会 扣 1分"), {"学时": 0, "缺会": 9}) == 0


def test_zeroing_beats_deductions_and_awards() -> None:
    text = one_item("扣 2分 如果 甲 得 1分 如果 乙 不得分 如果 丙", points="10")
    assert score(text, {"学时": 0, "甲": True, "丙": True}) == 0
    assert score(text, {"学时": 0, "甲": True}) == 8
    assert score(text, {"学时": 0, "甲": True, "乙": True}) == 9
    assert score(text, {"学时": 0, "乙": True}) == 10      # 10 + 1 is capped at the maximum


def test_award_after_deduction_is_capped_at_max() -> None:
    text = one_item("扣 1分 如果 甲 得 2分 如果 乙")
    assert score(text, {"学时": 0, "甲": True, "乙": True}) == 4   # 4 − 1 + 2 = 5 → 4
    built = one_item("起评 0分 得 2分 如果 甲 得 3分 如果 乙")
    assert score(built, {"学时": 0, "甲": True}) == 2
    assert score(built, {"学时": 0, "甲": True, "乙": True}) == 4  # 5 → 4


def test_max_deduct_caps_the_item_deductions() -> None:
    text = one_item("每 缺会 扣 1分 最多扣 3分", points="5")
    assert score(text, {"学时": 0, "缺会": 5}) == 2
    assert score(text, {"学时": 0, "缺会": 2}) == 3


def test_per_full_k_units_of_a_derived_value() -> None:
    text = one_item("每 2 缺学时 扣 0.5分 扣完为止", extra="令 缺学时 = 最大(0, 32 - 学时)")
    assert score(text, {"学时": 27}) == 3                 # 缺 5 → 2 full pairs → 扣 1 分
    assert score(text, {"学时": 29}) == Fraction(7, 2)    # 缺 3 → 1 pair → 扣 0.5 分
    assert score(text, {"学时": 24}) == 2                 # 缺 8 → 4 pairs → 扣 2 分
    assert score(text, {"学时": 33}) == 4


def test_allow_negative_spills_into_the_section_and_the_section_floors_at_zero() -> None:
    text = f"""标准 例 {{ {FACTS}
        类型 组织 10分 {{ 项目 A 5分 {{ 每 缺会 扣 2分 可倒扣 }} 项目 B 5分 {{ }} }} }}"""
    rubric = loads(text)
    result = rubric.evaluate({"学时": 0, "缺会": 4})
    assert result.item("A").score == -3 and result.section("组织").score == 2   # −3 + 5
    result = rubric.evaluate({"学时": 0, "缺会": 6})
    assert result.item("A").score == -7 and result.section("组织").score == 0   # −2 floors at 0


def test_bonus_above_full_marks_and_penalty_cap() -> None:
    text = f"""标准 例 {{ {FACTS} 满分 10
        类型 组织 10分 {{ 项目 A 10分 {{ 扣 8分 如果 丙 }} }}
        加分项 最多 3分 {{ 项目 荣誉 5分 {{ 得 5分 如果 甲 }} }}
        减分项 最多 4分 {{ 项目 违纪 15分 {{ 扣 15分 如果 乙 }} }} }}"""
    rubric = loads(text)
    result = rubric.evaluate({"学时": 0, "甲": True})
    assert (result.total, result.max, result.section("加分项").score) == (13, 10, 3)   # bonus 5 capped at 3
    result = rubric.evaluate({"学时": 0, "乙": True})
    assert (result.total, result.section("减分项").score) == (6, 4)                  # penalty 15 → 4
    result = rubric.evaluate({"学时": 0, "乙": True, "丙": True})
    assert result.total == 0                                                     # 2 − 4 floors at 0


def test_veto_marks_the_result_without_changing_points() -> None:
    text = one_item("", extra='否决 如果 甲 "发生严重违纪的一票否决"')
    rubric = loads(text)
    result = rubric.evaluate({"学时": 0, "甲": True})
    assert result.vetoed and result.total == 4
    assert result.vetoes[0].fired and result.vetoes[0].because == "甲 是"
    assert not rubric.evaluate({"学时": 0}).vetoed


def test_float_trap_on_a_tenth_grid() -> None:
    text = """标准 例 { 满分 100 精度 0.1
        类型 组织 100分 { 项目 A 70分 { } 项目 B 20分 { 酌情 } 项目 C 5分 { 酌情 } 项目 D 5分 { 酌情 } } }"""
    rubric = loads(text)
    result = rubric.evaluate({"B": 18.3, "C": 0.1, "D": 1.6})   # Python floats, read by their decimal text
    assert result.total == 90 and isinstance(result.total, int)
    assert 70 + 18.3 + 0.1 + 1.6 != 90                          # what binary floats would have said
    assert json.loads(result.to_json())["total"] == 90
    assert rubric.evaluate({"B": "18.3", "C": "0.1", "D": "1.6"}).total == 90


def test_json_evidence_file_reads_decimals_exactly(tmp_path: Path) -> None:
    text = """标准 例 { 精度 0.1 类型 组织 30分 { 项目 A 10分 { 酌情 } 项目 B 10分 { 酌情 } 项目 C 10分 { 酌情 } } }"""
    file = tmp_path / "e.json"
    file.write_text('{"A": 0.1, "B": 0.2, "C": 0.3}', encoding="utf-8")
    assert loads(text).evaluate(file).total == Fraction(6, 10)


def test_grades_pick_the_base_and_deductions_still_apply() -> None:
    text = one_item("分档 [好 4分, 较好 3分, 一般 2分, 差 0分] 扣 1分 如果 甲")
    assert score(text, {"学时": 0, "甲项": "较好"}) == 3
    assert score(text, {"学时": 0, "甲项": "较好", "甲": True}) == 2
    trace = loads(text).evaluate({"学时": 0, "甲项": {"得分": "好", "理由": "材料齐全", "评分人": "李四"}}).item("甲项").trace
    assert (trace[0].kind, trace[0].points, trace[0].reason, trace[0].rater) == ("grades", 4, "材料齐全", "李四")


def test_judged_score_keeps_reason_and_rater() -> None:
    text = one_item('酌情 1分 至 3分 "按活动成效"')
    item = loads(text).evaluate({"学时": 0, "甲项": {"score": 2.5, "reason": "成效一般", "rater": "王五"}}).item("甲项")
    assert item.score == Fraction(5, 2)
    assert (item.trace[0].kind, item.trace[0].reason, item.trace[0].rater) == ("judged", "成效一般", "王五")


def test_not_applicable_with_and_without_rescale() -> None:
    body = """事实 无: 是否 事实 P: 是否 事实 Q: 是否
        类型 组织 20分 { 项目 A 10分 { 不适用 如果 无 扣 3分 如果 P } 项目 B 10分 { 扣 4分 如果 Q } }"""
    plain = loads(f"标准 例 {{ 满分 20 {body} }}").evaluate({"无": True, "P": True, "Q": True})
    assert (plain.total, plain.max) == (6, 10)                       # A is 0 of 0
    assert (plain.item("A").applicable, plain.item("A").max, plain.item("A").score) == (False, 0, 0)
    rescaled = loads(f"标准 例 {{ 满分 20 折算 20 {body} }}").evaluate({"无": True, "P": True, "Q": True})
    assert (rescaled.total, rescaled.max) == (12, 20)                # 6 / 10 × 20


def test_rescale_rounds_half_up_once() -> None:
    text = """标准 例 { 满分 100 折算 100 事实 无: 是否
        类型 组织 100分 { 项目 A 85分 { 不适用 如果 无 } 项目 B 15分 { 酌情 } } }"""
    # 7 of the 15 applicable points → 46.666… → 93.33 half-points → 46.5
    assert loads(text).evaluate({"无": True, "B": 7}).total == Fraction(93, 2)


def test_weighted_sections_round_half_up_not_to_even() -> None:
    text = """标准 例 { 事实 x: 计数 事实 y: 计数
        类型 A 100分 权重 25% { 项目 a 100分 { 每 x 扣 1分 } }
        类型 B 100分 权重 75% { 项目 b 100分 { 每 y 扣 1分 } } }"""
    rubric = loads(text)
    assert rubric.evaluate({"x": 10, "y": 20}).total == Fraction(165, 2)   # 90 × 25% + 80 × 75% = 22.5 + 60
    # 89 × 25% + 100 × 75% = 97.25 → 194.5 half-points → 195 (half up; banker's would give 194) → 97.5
    assert rubric.evaluate({"x": 11, "y": 0}).total == Fraction(195, 2)


def test_computed_score_rounds_half_up_and_is_clamped() -> None:
    text = """标准 例 { 事实 满意率: 比例
        类型 组织 10分 { 项目 满意度 10分 { 得分 = 满意率 * 10 } } }"""
    rubric = loads(text)
    assert rubric.evaluate({"满意率": "82.5%"}).total == Fraction(17, 2)   # 8.25 → 16.5 → 17 half-points
    assert rubric.evaluate({"满意率": 0.87}).total == Fraction(17, 2)      # 8.7 → 17.4 → 17
    assert rubric.evaluate({"满意率": 1}).total == 10


def test_computed_score_never_below_zero_and_zeroing_still_wins() -> None:
    text = """标准 例 { 事实 n: 数值 事实 坏: 是否
        类型 组织 5分 { 项目 x 5分 { 得分 = n - 3 不得分 如果 坏 } } }"""
    rubric = loads(text)
    assert rubric.evaluate({"n": 1, "坏": False}).total == 0
    assert rubric.evaluate({"n": 7, "坏": False}).total == 4
    assert rubric.evaluate({"n": 9, "坏": False}).total == 5      # 6 is clamped to the maximum
    assert rubric.evaluate({"n": 6, "坏": True}).total == 0


def test_highest_only_bonus_with_if_then_else() -> None:
    text = """标准 例 { 事实 国家级: 是否 事实 省级: 是否
        类型 组织 10分 { 项目 x 10分 { } }
        加分项 荣誉加分 最多 5分 { 项目 表彰 5分 { 得分 = 若 国家级 则 5 否则 若 省级 则 3 否则 0 } } }"""
    rubric = loads(text)
    assert rubric.evaluate({"国家级": True, "省级": True}).total == 15      # 就高不累加: 5, not 8
    assert rubric.evaluate({"国家级": False, "省级": True}).total == 13
    assert rubric.evaluate({"国家级": False, "省级": False}).section("荣誉加分").score == 0


def test_score_references_and_derived_values() -> None:
    text = """标准 例 { 事实 甲: 是否 事实 乙: 是否
        令 基础 = @A + @B
        类型 组织 10分 {
            项目 A 3分 { 不得分 如果 甲 }
            项目 B 3分 { 不得分 如果 乙 }
            项目 C 4分 { 扣 2分 如果 基础 少于 6 } } }"""
    rubric = loads(text)
    assert rubric.evaluate({"甲": False, "乙": False}).total == 10
    result = rubric.evaluate({"甲": True, "乙": False})
    assert (result.item("C").score, result.total) == (2, 5)                 # 0 + 3 + (4 − 2)
    assert dict(result.derived) == {"基础": 3}


def test_list_builtins_and_chinese_comparisons() -> None:
    text = """标准 例 { 事实 a: 是否 事实 b: 是否 事实 c: 是否 事实 n: 计数 事实 领域: 选项(农村, 社区, 机关)
        类型 组织 20分 {
            项目 三会 4分 { 每 未满足数[a, b, c] 扣 1分 }
            项目 满足 4分 { 起评 0分 每 满足数[a, b, c] 扣 0分 得 4分 如果 全部[a, b, c] }
            项目 任一项 4分 { 不得分 如果 非 任一[a, b, c] }
            项目 比较 4分 { 扣 1分 如果 n 不少于 3 扣 1分 如果 n 超过 5 扣 1分 如果 n 不超过 0 扣 1分 如果 n 等于 4 }
            项目 选项 4分 { 扣 2分 如果 领域 属于 [农村, 社区] 扣 1分 如果 领域 = 机关 } } }"""
    rubric = loads(text)
    result = rubric.evaluate({"a": True, "b": False, "c": False, "n": 4, "领域": "社区"})
    assert [i.score for i in result.items] == [2, 0, 4, 2, 2]   # 4−2; no 全部; 任一 holds; 4 ≥ 3 and = 4; in list
    result = rubric.evaluate({"a": True, "b": True, "c": True, "n": 0, "领域": "机关"})
    assert [i.score for i in result.items] == [4, 4, 4, 3, 3]


def test_sections_below_pass_count_in_a_veto() -> None:
    text = """标准 例 { 事实 甲: 是否
        类型 A 10分 达标 6分 { 项目 a 10分 { 扣 5分 如果 甲 } }
        类型 B 10分 达标 6分 { 项目 b 10分 { } }
        否决 如果 未达标类型数 >= 1 }"""
    rubric = loads(text)
    result = rubric.evaluate({"甲": True})
    assert result.vetoed and (result.section("A").passed, result.section("B").passed) == (False, True)
    assert not rubric.evaluate({"甲": False}).vetoed


def test_trace_points_add_up_to_the_item_and_explain_the_deduction() -> None:
    text = one_item("扣 2分 如果 学时 少于 32 每 缺会 扣 1分 扣完为止")
    item = loads(text).evaluate({"学时": 30, "缺会": 3}).item("甲项")
    assert [(t.kind, t.points, t.fired) for t in item.trace] == [
        ("base", 4, True), ("deduct", -2, True), ("deduct_per", -3, True), ("floor_zero", 1, True)]
    assert sum(t.points for t in item.trace) == item.score == 0
    assert item.trace[1].because == "学时 30 少于 32" and item.trace[1].text == "扣 2分 如果 学时 少于 32"


def test_fast_path_gives_the_same_scores_without_traces() -> None:
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    evidence = ROOT / "rubrics" / "examples" / "两新-示例支部.json"
    full, fast = rubric.evaluate(evidence), rubric.evaluate(evidence, explain=False)
    assert [(i.name, i.score, i.max) for i in full.items] == [(i.name, i.score, i.max) for i in fast.items]
    assert fast.total == full.total and all(i.trace == () for i in fast.items)


def test_bundled_example_branch_worked_by_hand() -> None:
    """The seed-001 两新 table with rubrics/examples/两新-示例支部.json, section by section."""
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    result = rubric.evaluate(ROOT / "rubrics" / "examples" / "两新-示例支部.json")
    assert [(s.name, s.score) for s in result.sections] == [
        ("党的组织设置", 19),                  # 10 + 5 + 酌情 4
        ("班子队伍建设", Fraction(27, 2)),     # 3 + 2 + 4.5 + 4
        ("党员教育管理", Fraction(23, 2)),     # 5 + (4 − 2 for 30 学时) + 2.5 + (3 − 1 for one 党员)
        ("党内组织生活", Fraction(31, 2)),     # (4 − 1 支委会) + 4 + 3.5 + (4 − 2 记录不全) + 3
        ("发挥作用途径", Fraction(15, 2)),     # 4 + 3.5
        ("工作运行机制", 8),                   # 3 + 3 + (3 − 1 帮扶)
        ("基本工作保障", Fraction(17, 2)),     # (3 − 1 列席制度) + 4 + 2.5
    ]
    assert result.total == Fraction(167, 2) and result.id == "示例-001"


def test_results_are_deterministic_thread_safe_and_pickle() -> None:
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    evidence = json.loads((ROOT / "rubrics" / "examples" / "两新-示例支部.json").read_text(encoding="utf-8"))
    expected = rubric.evaluate(evidence)
    variants = [{**evidence, "党员学习学时": hours} for hours in range(20, 40)]
    sequential = [rubric.evaluate(e) for e in variants]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(rubric.evaluate, variants * 5))
    assert parallel == sequential * 5 and rubric.evaluate(evidence) == expected
    clone = pickle.loads(pickle.dumps(rubric))
    assert clone.evaluate(evidence) == expected


def test_json_round_trip_of_a_result() -> None:
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    result = rubric.evaluate(ROOT / "rubrics" / "examples" / "两新-示例支部.json")
    assert Result.from_json(result.to_json()) == result
    data = json.loads(result.to_json())
    assert data["schema_version"] == 1 and data["total"] == 83.5 and data["max"] == 100
    section = data["sections"][0]
    assert (section["name"], section["kind"], section["score"], section["max"]) == ("党的组织设置", "regular", 19, 20)
    zero = section["items"][0]["trace"][1]
    assert zero == {"kind": "zero", "points": 0, "fired": False, "text": "不得分 如果 应建未建党组织",
                    "line": 43, "values": {"应建未建党组织": False}}
