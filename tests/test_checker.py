"""Semantics of the checker: inheritance, names, built-in schemes, ranges (worked by hand)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from starrules import RubricCheckError, check_text, load, loads
from starrules.check.ranges import Interval

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_rubric_loads_clean_with_its_points() -> None:
    rubric = load(ROOT / "rubrics" / "两新争先创优.rubric")
    assert rubric.name == "两新争先创优" and rubric.warnings == ()
    assert [(s.name, s.points.value) for s in rubric.sections] == [
        ("党的组织设置", 20), ("班子队伍建设", 15), ("党员教育管理", 15), ("党内组织生活", 20),
        ("发挥作用途径", 10), ("工作运行机制", 9), ("基本工作保障", 11)]
    assert rubric.max_score == 100 and rubric.precision == Fraction(1, 2)
    assert list(rubric.schemes) == ["争先创优"]
    # 激励关怀机制 3分 with two 扣 1分 clauses can fall to 1, never to 0; every other item can reach 0,
    # so the lowest total is 1 and the highest 100.
    assert rubric.ranges.items["激励关怀机制"] == Interval(Fraction(1), Fraction(3))
    assert rubric.ranges.total == Interval(Fraction(1), Fraction(100))


def test_inheritance_merges_sections_and_removes_items() -> None:
    text = """
    标准 通用 {
        满分 10
        事实 甲: 是否
        类型 组织 10分 { 项目 A 5分 { 不得分 如果 甲 } 项目 B 5分 { } }
    }
    标准 农村 继承 通用 {
        类型 组织 10分 { 项目 A 4分 { } 项目 C 6分 { 扣 1分 如果 甲 } }
        删除 项目 B
    }
    """
    rubric = loads(text, rubric="农村")
    assert [(i.name, i.points.value) for i in rubric.sections[0].items] == [("A", 4), ("C", 6)]
    assert "甲" in rubric.facts


def test_choice_values_resolve_against_the_choice_fact() -> None:
    text = "标准 R { 事实 领域: 选项(农村, 社区) 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 领域 属于 [农村] 扣 1分 如果 领域 = 社区 } } }"
    assert loads(text).facts["领域"].type.choices == ("农村", "社区")


def test_did_you_mean_suggests_the_near_fact() -> None:
    text = "标准 R { 事实 党员学习学时: 数值 类型 S 2分 { 项目 I 2分 { 扣 2分 如果 党员学习时长 少于 32 } } }"
    with pytest.raises(RubricCheckError) as info:
        loads(text)
    assert info.value.diagnostics[0].hint == "你是不是想写“党员学习学时”?"


def test_builtin_scheme_by_name_and_shadowing() -> None:
    body = "类型 S 100分 { 项目 I 100分 { } }"
    assert loads(f"标准 R {{ 等级 等次 {body} }}").schemes["等次"].base.name == "星级"  # type: ignore[union-attr]
    own = loads(f"等级 星级 {{ 好 >= 50分 差 }}\n标准 R {{ 等级 星级 {body} }}")
    assert own.schemes["星级"].levels == ("好", "差")


def test_five_good_scheme_needs_its_facts() -> None:
    report = check_text("标准 R { 等级 五好 类型 S 100分 { 项目 I 100分 { } } }")
    assert sorted({(d.code, d.message) for d in report.errors}) == [
        ("E201", "未定义的名称“党员人数”"), ("E201", "未定义的名称“有专门办公场地”"),
        ("E201", "未定义的名称“有规范党员活动室”")]


def test_section_items_short_of_the_section_warn_like_the_seed() -> None:
    # 县委争先创优实施方案 附件1: 工作运行机制 declares 24 points, its visible items sum to 5+4+6+4 = 19
    text = """标准 村 { 类型 工作运行机制 24分 {
        项目 统筹协调机制 5分 { 酌情 } 项目 民主管理机制 4分 { 酌情 }
        项目 激励评价机制 6分 { 酌情 } 项目 联系群众机制 4分 { 酌情 } } }"""
    warnings = loads(text).warnings
    assert [(w.code, w.message) for w in warnings] == [
        ("W102", "类型“工作运行机制”的项目分值合计 19 分,少于类型分值 24 分")]


def test_ranges_of_per_and_score_clauses() -> None:
    text = """标准 R {
        事实 缺学时: 计数
        事实 满意率: 比例
        类型 S 10分 {
            项目 培训 4分 { 每 2 缺学时 扣 0.5分 最多扣 3分 }
            项目 满意 6分 { 得分 = 满意率 * 10 }
        }
    }"""
    rubric = loads(text)
    # 培训: 4 − at most 3 → [1, 4]; 满意: 满意率 ∈ [0, 1] → 0..10, clamped to the item's 6
    assert rubric.ranges.items["培训"] == Interval(Fraction(1), Fraction(4))
    assert rubric.ranges.items["满意"] == Interval(Fraction(0), Fraction(6))
    assert rubric.ranges.total == Interval(Fraction(1), Fraction(10))


def test_weighted_sections_scale_into_the_total() -> None:
    text = """标准 R { 满分 100
        类型 A 100分 权重 20% { 项目 a 100分 { } }
        类型 B 50分 权重 80% { 项目 b 50分 { 扣 50分 如果 是 } } }"""
    # A contributes 100/100 × 20 = 20; B contributes 0..50/50 × 80 = 0..80
    assert loads(text).ranges.total == Interval(Fraction(20), Fraction(100))


def test_bonus_and_penalty_move_the_total() -> None:
    text = """标准 R { 事实 x: 是否
        类型 S 10分 { 项目 I 10分 { } }
        加分项 最多 3分 { 项目 荣誉 5分 { 得 5分 如果 x } }
        减分项 最多 12分 { 项目 违纪 15分 { 扣 15分 如果 x } } }"""
    # regular 10, bonus 0..3 (item 0..5 capped by 最多 3), penalty 0..12 → total 10−12 floored at 0 .. 13
    assert loads(text).ranges.total == Interval(Fraction(0), Fraction(13))


def test_unknown_rubric_name_in_load() -> None:
    with pytest.raises(RubricCheckError) as info:
        loads("标准 A { } 标准 B { }")
    assert info.value.code == "E108" and "A、B" in info.value.diagnostics[0].message


def test_a_precision_finer_than_a_billionth_is_refused() -> None:
    """Points live in whole grid units in 64-bit columns; 10⁻⁹ is the finest grid (found by fuzzing:
    精度 10⁻²⁵ crashed the batch engine's result columns)."""
    assert loads("标准 R { 精度 0.000000001 类型 S 1分 { 项目 I 1分 { } } }").evaluate({}).total == 1
    with pytest.raises(RubricCheckError) as info:
        loads("标准 R { 精度 0.0000000001 类型 S 1分 { 项目 I 1分 { } } }")
    assert info.value.code == "E415" and info.value.span.column == 11
    assert "精度过细" in info.value.diagnostics[0].message
