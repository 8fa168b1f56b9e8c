"""The vector grader (starrules/batch/grading.py): levels for a whole chunk as column operations
over the batch engine's values, from the lowered grading plans (starrules/plan/grading.py).

Hand-worked cases first — each expected level is worked out from docs/language.md §4 in the
comment beside it — checked three ways: the vector grader on the engine's scores (asserting no
row went to the scalar path, so the vector code is what is tested), `evaluate_columns` (the
driver), and `Rubric.evaluate` (the scalar grader). Then a property: on generated evidence for
bundled rubrics, every batch level equals `Rubric.evaluate(...).levels[name].level`.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import starrules
from starrules import Rubric, evaluate_columns, loads
from starrules.plan.grading import GradePlan, grade_plan
from tests.reference_evaluator import entry_range
from tests.test_eval_properties import draw_judgements

import numpy as np
import pyarrow as pa

from starrules.batch.engine import ColumnEngine  # noqa: E402  (needs numpy)
from starrules.batch.grading import VectorGrader  # noqa: E402
from starrules.io.columns import chunks  # noqa: E402

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"


def vector_levels(rubric: Rubric, rows: list[dict[str, Any]], schemes: tuple[str, ...]) -> tuple[dict[str, list[str]], list[int]]:
    """Levels from the vector grader alone, on the engine's scores of an Arrow table of `rows`
    (every row must be scored by the engine); and the rows whose conditions gave up."""
    ev = rubric.evaluator
    (chunk,) = list(chunks(pa.Table.from_pylist(rows), ev.evidence_spec.plain_keys, len(rows), ev.limits))
    scores = ColumnEngine(ev).run(chunk)
    assert not scores.slow.any(), "the engine handed a row back: the vector grader would not grade it"
    grader = VectorGrader(rubric, schemes)
    codes, gave_up, _ = grader.grade(scores, len(rows))
    names = {plan.scheme: plan.names for plan in grader.plans}
    return {s: [names[s][int(c)] for c in codes[s]] for s in schemes}, [int(i) for i in np.flatnonzero(gave_up)]


def check(rubric: Rubric, rows: list[dict[str, Any]], expected: dict[str, list[str]]) -> None:
    schemes = tuple(expected)
    vector, gave_up = vector_levels(rubric, rows, schemes)
    assert gave_up == []
    assert vector == expected
    batches = list(evaluate_columns(rubric, pa.Table.from_pylist(rows), schemes=schemes))
    assert {s: [str(v) for b in batches for v in b.levels[s]] for s in schemes} == expected
    assert {s: [rubric.evaluate(r, schemes=schemes).levels[s].level for r in rows] for s in schemes} == expected


ONE_SCORE = """
等级 粗 { 上 >= 90.25分 中 >= 60分 下 }
标准 一分 {
    精度 0.5
    等级 星级
    类型 基础 100分 { 项目 打分 100分 { 酌情 } }
}
"""


def test_bands_at_exact_bounds() -> None:
    rubric = loads(ONE_SCORE)
    totals = [100, 95, 94.5, 90.5, 90, 89.5, 80, 79.5, 70, 60, 59.5, 0]
    # bounds are inclusive lower bounds: 95 is 五星级, 94.5 四星级 (LANGUAGE.md §4); 粗's 90.25 is
    # off the 0.5 grid: 90.5 reaches it, 90 does not
    check(rubric, [{"打分": t} for t in totals], {
        "星级": ["五星级", "五星级", "四星级", "四星级", "四星级", "三星级", "三星级", "二星级", "二星级", "一星级",
                "无星", "无星"],
        "粗": ["上", "上", "上", "上", "中", "中", "中", "中", "中", "中", "下", "下"],
    })


def test_bound_in_grid_units_is_the_least_total_reaching_it() -> None:
    plan = grade_plan(loads(ONE_SCORE), "粗")
    assert [(b.name, b.bound, b.points) for b in plan.bands] == [("上", 181, Fraction(361, 4)), ("中", 120, 60),
                                                                 ("下", None, None)]


CONDITIONS = """
等级 条件 {
    甲 >= 80分 且 有场地 且 @学习 >= 30
    乙 >= 60分 且 @学习 >= 20
    丙
}
标准 条 {
    精度 0.5
    事实 有场地: 是否
    类型 学习 40分 { 项目 学 40分 { 酌情 } }
    类型 工作 60分 { 项目 干 60分 { 酌情 } }
}
"""


def test_conditions_on_a_fact_and_on_a_section_score() -> None:
    rubric = loads(CONDITIONS)  # the rubric itself never reads @学习: the grader takes it from the section column
    rows = [(30, 50, True),  # 80, 场地, 学习 30 >= 30: 甲
            (30, 50, False),  # 甲 fails on 场地; 80 >= 60, 30 >= 20: 乙
            (29.5, 60, True),  # 89.5, but 学习 29.5 < 30: 乙
            (19.5, 60, True),  # 79.5 >= 60, but 学习 19.5 < 20: the floor 丙
            (40, 19.5, True),  # 59.5: below both bounds: 丙
            (20, 40, False),  # 60 exactly and 学习 20 exactly: 乙
            (40, 60, True)]  # 100: 甲
    check(rubric, [{"学": a, "干": b, "有场地": c} for a, b, c in rows],
          {"条件": ["甲", "乙", "乙", "丙", "丙", "乙", "甲"]})


DOWNGRADES = """
等级 降 {
    好 >= 90分
    中 >= 70分
    差 >= 50分
    劣
    降档 1 如果 未达标类型数 >= 1
    降档 1 如果 未达标类型数 >= 2
}
标准 降档 {
    精度 0.5
    类型 甲 30分 达标 18分 { 项目 a 30分 { 酌情 } }
    类型 乙 30分 达标 18分 { 项目 b 30分 { 酌情 } }
    类型 丙 40分 达标 24分 { 项目 c 40分 { 酌情 } }
}
"""


def test_downgrades_with_sections_below_pass() -> None:
    rubric = loads(DOWNGRADES)
    rows = [(30, 30, 40),  # 100: 好, none below
            (17.5, 30, 40),  # 87.5: 中, 甲 below 18: one step: 差
            (30, 30, 23.5),  # 83.5: 中, 丙 below 24: 差
            (18, 18, 24),  # 60: 差, every section exactly on its line (passes): 差
            (17.5, 17.5, 40),  # 75: 中, two below: both lines hold, two steps: 劣
            (17.5, 17.5, 23.5),  # 58.5: 差, three below: two steps, no lower than the floor: 劣
            (30, 30, 0)]  # 60: 差, one below: 劣
    check(rubric, [{"a": a, "b": b, "c": c} for a, b, c in rows],
          {"降": ["好", "差", "差", "差", "劣", "劣", "劣"]})


VETOES = """
标准 否 {
    精度 0.5
    等级 星级, 等次
    事实 不团结: 是否
    事实 违纪: 是否
    事实 问题: 是否
    类型 基础 100分 { 项目 打分 100分 { 酌情 } }
    否决 如果 不团结 最高 三星级
    否决 如果 违纪
    否决 如果 问题 最高 良好
}
"""


def test_veto_caps_at_its_highest_level() -> None:
    rubric = loads(VETOES)
    rows = [(96, False, False),  # 五星级
            (96, True, False),  # capped at 三星级
            (85, True, False),  # already 三星级
            (75, True, False),  # 二星级 stays lower than the cap
            (96, False, True),  # no 最高: the floor
            (96, True, True)]  # both: the floor
    check(rubric, [{"打分": t, "不团结": u, "违纪": v, "问题": False} for t, u, v in rows],
          {"星级": ["五星级", "三星级", "三星级", "二星级", "无星", "无星"]})


def test_vetoes_on_a_base_scheme_and_its_derived_scheme() -> None:
    rubric = loads(VETOES)
    # 等次 基于 星级: 先进 = 五星级, 良好 = 四星级 / 三星级, 一般 = 二星级 / 一星级, 后进 = 无星.
    # 最高 三星级 is a 星级 level: applied while grading 星级, it reaches 等次 through the mapping.
    # 最高 良好 is an 等次 level: 星级 (which has no 良好) falls to its floor; 等次 is graded from
    # 星级 without that veto, then capped at 良好.
    rows = [(96, False, False, False),  # 五星级 → 先进
            (96, True, False, False),  # 三星级 → 良好
            (75, True, False, False),  # 二星级 → 一般
            (96, False, True, False),  # 无星 → 后进
            (96, False, False, True),  # 星级: 无星; 等次: 先进 capped at 良好
            (75, False, False, True),  # 星级: 无星; 等次: 一般 stays lower than 良好
            (96, True, False, True),  # 星级: 无星; 等次: 星级 without 问题 is 三星级 → 良好, capped at 良好
            (96, False, True, True)]  # 违纪 floors 星级 and so 等次 (后进), 问题 then cannot raise it
    check(rubric, [{"打分": t, "不团结": u, "违纪": v, "问题": w} for t, u, v, w in rows],
          {"星级": ["五星级", "三星级", "二星级", "无星", "无星", "无星", "无星", "无星"],
           "等次": ["先进", "良好", "一般", "后进", "良好", "一般", "良好", "后进"]})


TIES = """
等级 并列 {
    甲 且 A
    乙 且 B
    丙 且 C
    丁
}
等级 同档 基于 星级 { 全部 = 五星级, 四星级, 三星级, 二星级, 一星级, 无星 }
等级 紧 { 上 >= 90.5分 中 >= 90.25分 下 }
标准 平 {
    精度 1
    事实 A: 是否
    事实 B: 是否
    事实 C: 是否
    类型 基础 100分 { 项目 打分 100分 { 酌情 } }
}
"""


def test_ties_every_level_reachable_at_once_and_every_level_the_same() -> None:
    rubric = loads(TIES)
    # 并列: levels with conditions and no bound: when several hold, the first listed wins.
    # 同档: every 星级 level maps to one level. 紧: on a grid of 1 both bounds (90.5, 90.25) need 91.
    rows = [(100, True, True, True), (0, False, True, True), (91, False, False, True), (90, False, False, False),
            (90, True, False, True)]
    check(rubric, [{"打分": t, "A": a, "B": b, "C": c} for t, a, b, c in rows],
          {"并列": ["甲", "乙", "丙", "丁", "甲"], "同档": ["全部"] * 5, "紧": ["上", "下", "上", "下", "下"]})


def test_rows_whose_conditions_give_up_are_graded_one_by_one() -> None:
    # the vector grader evaluates both arms of 若 … 则 … 否则: 人数 = 0 divides by zero in the arm the
    # scalar grader never takes, so those rows give up and the driver grades them with the scalar grader
    rubric = loads("等级 人均 { 高 >= 0分 且 (若 人数 > 0 则 @学习 / 人数 否则 0) >= 2 低 }\n"
                   "标准 除 { 精度 0.5 事实 人数: 计数 类型 学习 10分 { 项目 学 10分 { 酌情 } } }")
    rows = [{"学": 10, "人数": 5}, {"学": 10, "人数": 0}, {"学": 9.5, "人数": 5}, {"学": 4, "人数": 0}]
    vector, gave_up = vector_levels(rubric, rows, ("人均",))
    assert gave_up == [1, 3] and [vector["人均"][i] for i in (0, 2)] == ["高", "低"]  # 10 / 5 = 2; 9.5 / 5 < 2
    (batch,) = evaluate_columns(rubric, pa.Table.from_pylist(rows), schemes=["人均"])
    assert list(batch.levels["人均"]) == ["高", "低", "低", "低"]
    assert batch.level_codes["人均"].dtype == np.int8 and list(batch.level_codes["人均"]) == [0, 1, 1, 1]


def test_level_codes_error_rows_and_arrow_columns() -> None:
    rubric = loads(ONE_SCORE)
    (batch,) = evaluate_columns(rubric, [{"打分": 95}, {"打分": 200}, {"打分": 0}], schemes=["星级", "粗"],
                                errors="collect")
    assert list(batch.level_codes["星级"]) == [0, -1, 5]
    assert list(batch.levels["星级"]) == ["五星级", None, "无星"]
    table = batch.to_arrow()
    assert table.schema.field("level:星级").type == pa.string()
    assert table.column("level:星级").to_pylist() == ["五星级", "无星"]
    assert table.column("level:粗").to_pylist() == ["上", "下"]


def test_the_plan_prints() -> None:
    text = grade_plan(loads(VETOES), "等次").describe()
    assert text.startswith("定级计划 等次 基于 星级")
    assert "五星级 → 先进" in text and "否决 3(第" in text and "最高“良好”[1]" in text
    assert "由基础方案“星级”处理" in text  # 最高 三星级, seen from 等次
    assert "[2] 三星级 总分 >= 80 分(160 单位)" in text  # the base plan, indented below
    plan = grade_plan(loads(CONDITIONS), "条件")
    assert str(plan) == plan.describe() and "且 有场地(读 有场地)" in str(plan)


# ---------------------------------------------------------------------------------------------
# The property: bundled rubrics, with schemes of the test's own that read their facts and a
# section's score, 降档 on 未达标类型数, derived schemes, and vetoes with and without 最高.

# 机关达标创星 is not here: its 综合 (机关党委评分, 以 工委抽查 为准) takes one fact sheet per rater, and the
# batch engine scores such rows one by one (batch/driver.py), so the vector grader never sees them
LIBRARY = [("五好党支部", "农村五好"), ("村社区争先创优", None), ("两新争先创优", None),
           ("机关星级评定", None)]


PROBLEM_WORDS = ("不", "未", "违", "无", "缺", "问题", "发生", "存在", "事故", "查实", "解散", "纰漏", "涉")


def good_value(name: str) -> bool:
    """A yes/no fact's value in a branch that does well: 否 for a fact that names a problem
    (发生严重违纪, 未设立纪检机构 …), else 是 (the bundled rubrics give no defaults to go by)."""
    return not any(word in name for word in PROBLEM_WORDS)


@functools.cache
def library_rubric(file: str, name: str | None) -> tuple[Rubric, tuple[str, ...]]:
    """The bundled rubric, extended by a child rubric (继承) with vetoes capping at levels of 星级,
    等次 and of a scheme written here from the rubric's own facts and first section. The vetoes
    fire when two yes/no facts are both away from their usual state, so most rows are not vetoed."""
    path = RUBRICS / f"{file}.rubric"
    parent = loads(path.read_text(encoding="utf-8"), name, filename=str(path))
    bools = [(n, good_value(n)) for n, f in parent.facts.items() if f.type.kind == "bool"]
    good = [n if usual else f"非 {n}" for n, usual in bools[:3]]
    bad = [f"非 {n}" if usual else n for n, usual in bools[:3]]
    section = parent.sections[0]
    points = section.points.value
    extra = f"""
等级 测档 {{
    甲 >= 90分 且 {good[0]} 且 @{section.name} >= {float(points * Fraction(4, 5)):g}
    乙 >= 75分 且 @{section.name} >= {float(points / 2):g}
    丙 且 {good[1]}
    丁 >= 40分
    戊
    降档 1 如果 未达标类型数 >= 1
    降档 1 如果 {bad[0]} 且 @{section.name} < {float(points * Fraction(9, 10)):g}
}}
等级 测等 基于 测档 {{ 上 = 甲, 乙  中 = 丙  下 = 丁, 戊 }}
标准 测子 继承 {parent.name} {{
    等级 星级, 等次, 测档, 测等
    否决 如果 {bad[1]} 且 {bad[2]} 最高 三星级
    否决 如果 {bad[0]} 且 {bad[2]} 最高 良好
    否决 如果 {bad[0]} 且 {bad[1]} 最高 乙
}}
"""
    rubric = loads(path.read_text(encoding="utf-8") + extra, "测子", filename=str(path))
    schemes = tuple(dict.fromkeys((*parent.schemes, "星级", "等次", "分类定级", "争先创优", "测档", "测等")))
    return rubric, schemes


@st.composite
def library_case(draw: st.DrawFn) -> tuple[Rubric, tuple[str, ...], list[dict[str, Any]]]:
    """A few rows; each row has a quality — the share of its facts at their usual state and how
    close its 酌情 scores are to the top — so totals spread over every band, bounds included."""
    rubric, schemes = library_rubric(*draw(st.sampled_from(LIBRARY)))
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        quality = draw(st.sampled_from([0, 50, 80, 90, 95, 98, 100]))
        row: dict[str, Any] = {}
        for name, fact in rubric.facts.items():
            usual = draw(st.integers(0, 99)) < quality
            kind = fact.type.kind
            if kind == "bool":
                row[name] = good_value(name) if usual else draw(st.booleans())
            elif kind == "count":
                row[name] = draw(st.sampled_from([0, 1, 2, 7, 12, 40]))
            elif kind == "number":
                row[name] = 64.25 if usual else draw(st.sampled_from([0.0, 8.0, 16.0, 24.0, 31.5, 32.0, 40.0]))
            elif kind == "ratio":
                row[name] = 1.0 if usual else draw(st.sampled_from([0.0, 0.5, 0.8, 0.85, 0.9]))
            else:
                row[name] = draw(st.sampled_from(fact.type.choices))
        applies = rubric.applies  # 农村五好 is for 领域 = 农村 (适用): its rows are such branches, not E521
        if applies is not None:
            assert isinstance(applies.condition, starrules.ast.Compare)
            assert isinstance(applies.condition.left, starrules.ast.NameRef)
            assert isinstance(applies.condition.right, starrules.ast.NameRef)
            row[applies.condition.left.name] = applies.condition.right.name
        for name, entry in draw_judgements(draw, rubric).items():
            row[name] = float(entry) if isinstance(entry, Fraction) else entry
        for item in rubric.items:  # a row that does well has most 酌情 scores at the top
            for clause in item.clauses:
                if type(clause).__name__ == "Judged" and draw(st.integers(0, 99)) < quality:
                    row[item.name] = float(entry_range(item, clause)[1])
        rows.append(row)
    return rubric, schemes, rows


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(library_case(), st.integers(1, 12))
def test_batch_levels_equal_the_scalar_levels_on_bundled_rubrics(
        case: tuple[Rubric, tuple[str, ...], list[dict[str, Any]]], chunk_rows: int) -> None:
    rubric, schemes, rows = case
    expected = {s: [rubric.evaluate(r, explain=False, schemes=schemes).levels[s].level for r in rows] for s in schemes}
    batches = list(evaluate_columns(rubric, pa.Table.from_pylist(rows), schemes=schemes, chunk_rows=chunk_rows))
    assert {s: [str(v) for b in batches for v in b.levels[s]] for s in schemes} == expected
    vector, gave_up = vector_levels(rubric, rows, schemes)  # the vector grader alone: none handed back
    assert gave_up == [] and vector == expected


def test_every_plan_names_its_levels_best_first() -> None:
    for file, name in LIBRARY:
        rubric, schemes = library_rubric(file, name)
        for scheme in schemes:
            plan: GradePlan = grade_plan(rubric, scheme)
            assert plan.names == rubric.grader(scheme).levels
            assert len(plan.vetoes) == len(rubric.vetoes)
            if plan.base is not None:
                assert sorted(set(plan.mapping)) == list(range(len(plan.names)))


def test_division_by_zero_in_a_scheme_condition_is_e510_everywhere() -> None:
    """A level condition dividing by a zero fact: the scalar grader reports E510 at the division in
    the scheme's text; the batch engine hands the row to it, so "collect" keeps the same E510 (the
    row gets no level) and "raise" raises it; the other row is graded (10 分 ≥ 5, 2 / 1 > 1: 好)."""
    rubric = starrules.loads('标准 R { 满分 10 等级 甲\n 事实 a: 计数\n 事实 b: 计数\n'
                             ' 类型 T 10分 { 项目 I 10分 { } }\n}\n等级 甲 { 好 >= 5分 且 a / b > 1\n 差 }\n')
    with pytest.raises(starrules.EvidenceError) as caught:
        rubric.evaluate({"a": 1, "b": 0})
    problem = caught.value.diagnostics[0]
    assert (problem.code, problem.span.line, problem.span.column) == ("E510", 6, 18)
    batch = next(rubric.evaluate_columns([{"a": 1, "b": 0}, {"a": 2, "b": 1}], errors="collect"))
    assert batch.ok.tolist() == [False, True]
    assert batch.levels["甲"].tolist() == [None, "好"]
    assert [e.diagnostics[0].code for e in batch.errors] == ["E510"]
    with pytest.raises(starrules.EvidenceError):
        list(rubric.evaluate_columns([{"a": 1, "b": 0}]))
