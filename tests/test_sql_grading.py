"""Levels in SQL (starrules/sql/grading.py): the grading plans compiled into the query and run
on DuckDB and SQLite equal the Python grader on the bundled rubrics with extra schemes that use
every grading rule (conditions, 降档, vetoes with and without 最高, 基于, 未达标类型数, section
scores), with rows spread over every band; the 降档 and veto reason columns by hand; 逐级晋升
refused (E607)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings

from starrules import Rubric, StarrulesError, loads
from starrules.sql.runner import evidence_table, score_duckdb, score_sqlite
from tests.reference_grading import reference_result
from tests.test_engines_agree import Case, cases
from tests.test_vector_grading import library_case


def levels_of(rows: list[dict[str, Any]], schemes: tuple[str, ...]) -> list[list[str | None]]:
    return [[row[f"level_{k}"] for k in range(1, len(schemes) + 1)] for row in rows]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(library_case())
def test_sql_levels_equal_the_python_grader(case: tuple[Rubric, tuple[str, ...], list[dict[str, Any]]]) -> None:
    rubric, schemes, rows = case
    expected = [[rubric.evaluate(r, explain=False, schemes=schemes).levels[s].level for s in schemes] for r in rows]
    table = evidence_table(rubric, rows)
    assert levels_of(score_duckdb(rubric, table, schemes).to_pylist(), schemes) == expected
    assert levels_of(score_sqlite(rubric, table, schemes), schemes) == expected


REASONS = """标准 R {
    满分 10
    等级 档
    事实 a: 是否
    事实 b: 是否
    事实 c: 是否
    类型 T 10分 { 项目 I 10分 { 扣 2分 如果 c } }
    否决 如果 a 最高 中
    否决 如果 b
}
等级 档 {
    上 >= 9分
    中 >= 6分
    下
    降档 1 如果 c
    降档 1 如果 @T < 5
}
"""


@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_downgrade_and_veto_reasons(engine: str) -> None:
    rubric = loads(REASONS)
    rows = [{"a": False, "b": False, "c": False},  # 10 分: 上, no 降档, no veto
            {"a": False, "b": False, "c": True},   # 8 分: 中, 降档 1 (c) → 下
            {"a": True, "b": False, "c": False},   # 10 分: 上, veto 1 caps at 中
            {"a": True, "b": True, "c": False}]    # both fire: 下 (veto 2 drops to the lowest); first is 1
    table = evidence_table(rubric, rows)
    got = score_duckdb(rubric, table, ("档",)).to_pylist() if engine == "duckdb" else score_sqlite(rubric, table, ("档",))
    assert [(r["level_1"], r["level_1_code"], r["level_1_downgrade"], r["level_1_veto"]) for r in got] == [
        ("上", 0, 0, None), ("下", 2, 1, None), ("中", 1, 0, 1), ("下", 2, 0, 1)]


def test_one_step_up_is_refused() -> None:
    rubric = loads("标准 R {\n 满分 10\n 等级 档\n 类型 T 10分 { 项目 I 10分 { } }\n}\n"
                   "等级 档 {\n 上 >= 9分\n 下\n 逐级晋升\n}\n")
    with pytest.raises(StarrulesError) as caught:
        score_duckdb(rubric, evidence_table(rubric, [{}]), ("档",))
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.span.line) == ("E607", 6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(cases(bad_rows=False))
def test_duckdb_and_sqlite_agree_with_the_reference_on_generated_rubrics_with_schemes(case: Case) -> None:
    """Every item, section, total, veto and level, on DuckDB and on SQLite, equals the independent
    reference (tests/reference_evaluator.py scores, tests/reference_grading.py grades)."""
    rubric = case.rubric
    schemes = tuple(rubric.schemes) if case.grade is None else tuple(dict.fromkeys(case.grade))
    table = evidence_table(rubric, case.rows)
    try:
        answers = {"duckdb": score_duckdb(rubric, table, schemes).to_pylist(),
                   "sqlite": score_sqlite(rubric, table, schemes)}
    except StarrulesError as refused:  # raters, 逐级晋升, a division by what a branch gives: E607
        assert {d.code for d in refused.diagnostics} == {"E607"}
        event("refused (E607)")
        return
    step = rubric.evaluator.grid.step
    items = list(rubric.evaluator.item_plans.values())
    sections = [g for s in rubric.evaluator.plan.sections for g in (s,)]
    for engine, rows in answers.items():
        for row, evidence in zip(rows, case.rows, strict=True):
            want = reference_result(rubric, evidence, schemes)
            context = f"{engine}\n{case.text}\n{evidence}"
            assert row["error"] is None, context
            assert row["total_units"] * step == want.total, context
            assert {p.name: row[f"item_{k}_units"] * step for k, p in enumerate(items, 1)} == want.items, context
            assert {p.name: row[f"section_{k}_units"] * step for k, p in enumerate(sections, 1)} == want.sections, context
            assert [bool(row[f"veto_{k}"]) for k in range(1, len(want.vetoes) + 1)] == want.vetoes, context
            assert [row[f"level_{k}"] for k in range(1, len(schemes) + 1)] == [want.levels[s].level for s in schemes], \
                context
