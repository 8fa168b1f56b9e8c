"""Named conditions (`条件 名称 = C` at a file's top level, issue 22 §4; docs/language.md §4
“有名称的条件”): one condition written once and used by name in two schemes' levels, a 降档, a
compound 否决 and a 提示; every engine grades the expression the name stands for; reasons name
the condition with its own values; the checker's errors, each located; the formatter writes the
statement back.

Every expected level below is worked out by hand in the comment beside it (精度 0.5 分)."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import pyarrow as pa
import pytest

import starrules
from starrules import check_file, check_text, evaluate_columns, parse
from starrules.lang.formatter import format_text
from starrules.plan.grading import grade_plan
from tests.test_vector_grading import vector_levels

# E201 for a condition's name in a clause, 令 or 适用 is the unknown-name code, tested here too
NAMED_CONDITION_CODES = {"E426", "E427", "E428"}  # each has a test here (test_diagnostics counts them)

TEXT = """
条件 甲达标 = @甲 >= 6
条件 乙达标 = @乙 >= 6 且 非 有问题
条件 都达标 = 甲达标 且 乙达标
条件 严重 = 有问题 且 @乙 < 3

等级 档 {
    优 且 都达标 且 有场地
    良 且 (甲达标 或 乙达标)
    差
    降档 1 如果 严重
}

等级 另档 {
    合格 且 都达标
    不合格
}

标准 R {
    满分 20
    精度 0.5
    等级 档, 另档
    事实 有场地: 是否
    事实 有问题: 是否
    事实 违纪: 是否 默认 否
    类型 甲 10分 { 项目 a 10分 { 酌情 } }
    类型 乙 10分 { 项目 b 10分 { 酌情 } }
    否决 如果 违纪 且 乙达标 最高 良
    提示 如果 非 乙达标 "乙未达标,另行处理"
}
"""


def row(a: float, b: float, site: bool = True, problem: bool = False, breach: bool = False) -> dict[str, Any]:
    return {"a": a, "b": b, "有场地": site, "有问题": problem, "违纪": breach}


# (evidence, 档, 另档, notices) — 甲达标: @甲 >= 6; 乙达标: @乙 >= 6 且 没有问题; 都达标: both
CASES = [
    # 8 >= 6, 7 >= 6 and no problem: 都达标, 有场地 → 优; 另档 合格
    (row(8, 7), "优", "合格", ()),
    # the same without 有场地: 优 fails on it; 甲达标 → 良; 另档 合格 (it does not read 有场地)
    (row(8, 7, site=False), "良", "合格", ()),
    # 5.5 < 6; 有问题 so not 乙达标: neither → 差; 严重 needs @乙 7 < 3: no 降档; 提示 (非 乙达标)
    (row(5.5, 7, problem=True), "差", "不合格", ("乙未达标,另行处理",)),
    # 9 >= 6 → 良; 严重: 有问题 and 2.5 < 3 → 降 1 档 → 差; 提示
    (row(9, 2.5, problem=True), "差", "不合格", ("乙未达标,另行处理",)),
    # 都达标, 有场地 → 优; 违纪 且 乙达标 fires the veto: 最高 良 → 良; 另档 has no 良: the lowest, 不合格
    (row(8, 9, breach=True), "良", "不合格", ()),
    # 违纪 but 有问题: not 乙达标, the veto does not fire; 甲达标 → 良; 提示
    (row(8, 9, problem=True, breach=True), "良", "不合格", ("乙未达标,另行处理",)),
]


@pytest.fixture(scope="module")
def rubric() -> starrules.Rubric:
    return starrules.loads(TEXT)


def test_every_engine_grades_the_named_conditions_alike(rubric: starrules.Rubric) -> None:
    rows = [evidence for evidence, *_ in CASES]
    expected = {"档": [c[1] for c in CASES], "另档": [c[2] for c in CASES]}
    assert list(rubric.evaluator.inline_schemes) == ["档", "另档"]  # the generated function grades both
    for (evidence, top, other, notices) in CASES:
        fast = rubric.evaluate(evidence)
        assert rubric.evaluator.fast(evidence) is not None  # scored and graded by the generated function
        reference = rubric.evaluate(MappingProxyType(evidence))  # the reference reader and scalar grader
        assert (fast.level("档").level, fast.level("另档").level, fast.notices) == (top, other, notices)
        assert fast.levels == reference.levels and fast.notices == reference.notices
    assert [{s: r.levels[s].level for s in expected} for r in rubric.evaluate_many(rows)] == \
        [dict(zip(expected, levels)) for levels in zip(*expected.values())]
    vector, gave_up = vector_levels(rubric, rows, ("档", "另档"))  # the numpy engine's vector grader
    assert (vector, gave_up) == (expected, [])
    (batch,) = evaluate_columns(rubric, pa.Table.from_pylist(rows), schemes=["档", "另档"])
    assert {s: [str(v) for v in batch.levels[s]] for s in expected} == expected
    assert list(batch.notices_text()) == [";".join(c[3]) for c in CASES]


def test_the_plan_holds_the_expression_not_the_name(rubric: starrules.Rubric) -> None:
    plan = grade_plan(rubric, "档")
    top = plan.bands[0].conditions[0]
    assert top.text == "都达标"  # as written
    assert isinstance(top.expr, starrules.ast.And) and len(top.expr.operands) == 2  # 甲达标 且 乙达标, written out
    assert top.reads == ("@甲", "@乙", "有问题")
    assert plan.downgrades[0].condition.reads == ("有问题", "@乙")
    assert "且 都达标(读 @甲、@乙、有问题)" in plan.describe()
    # the veto the scoring plan reads: 违纪 且 (@乙 >= 6 且 非 有问题), no value named 乙达标
    assert _names(rubric.vetoes[0].condition) == ["违纪", "有问题"]


def _names(expr: starrules.ast.Expr) -> list[str]:
    from starrules.check.exprcheck import walk
    return [n.name for n in walk(expr) if isinstance(n, starrules.ast.NameRef)]


def test_reasons_name_the_condition_with_its_values(rubric: starrules.Rubric) -> None:
    graded = rubric.evaluate(row(9, 2.5, problem=True))
    # total 9 + 2.5 = 11.5; 优 fails on 都达标 (乙达标: 2.5 < 6, and 有问题); 良 holds on 甲达标; 严重 → 降 1 档
    assert graded.level("档").reasons == (
        "未评为“优”:条件不成立:都达标(甲达标(@甲 9 >= 6) 且 乙达标(@乙 2.5 >= 6 且 非 有问题 是))",
        "条件成立:甲达标(@甲 9 >= 6) 或 乙达标(@乙 2.5 >= 6 且 非 有问题 是),为“良”",
        "降档 1 级:严重(有问题 是 且 @乙 2.5 < 3)",
    )
    assert graded.level("另档").reasons[-1] == "总分 11.5 分,未达到更高等级,为“不合格”"  # its total is counted
    vetoed = rubric.evaluate(row(8, 9, breach=True))
    # a veto whose condition holds a name shows the name as written (its values are not placed in that text)
    assert vetoed.vetoes[0].because == "违纪 是 且 乙达标"
    assert vetoed.level("档").reasons[-1] == "一票否决(违纪 是 且 乙达标),最高“良”"


def test_a_veto_that_is_one_condition_shows_that_conditions_text() -> None:
    text = TEXT.replace("否决 如果 违纪 且 乙达标 最高 良", "否决 如果 都达标 最高 良")
    graded = starrules.loads(text).evaluate(row(8, 7))
    # 8 >= 6 and 7 >= 6, no problem: 都达标 fires the veto; its reason is the condition's own text
    assert graded.vetoed and graded.vetoes[0].because == "甲达标 且 乙达标"
    assert graded.level("档").level == "良"  # 优 by its conditions, 最高 良


def test_a_condition_in_an_imported_file_serves_the_importing_files_schemes(tmp_path: Path) -> None:
    (tmp_path / "条件.rubric").write_text("条件 表一达标 = @表一 >= 60\n", encoding="utf-8")
    (tmp_path / "主.rubric").write_text(
        '引用 "条件.rubric"\n'
        "等级 达标 { 达标 且 表一达标  未达标 }\n"
        "标准 R { 满分 100 等级 达标 类型 表一 100分 { 项目 x 100分 { 酌情 } } }\n", encoding="utf-8")
    assert check_file(tmp_path / "主.rubric").errors == ()
    rubric = starrules.load(tmp_path / "主.rubric")
    # 60 >= 60 → 达标; 59.5 < 60 → 未达标
    assert [rubric.evaluate({"x": x}).level("达标").level for x in (60, 59.5)] == ["达标", "未达标"]
    assert rubric.evaluate({"x": 59.5}).level("达标").reasons[0] == "未评为“达标”:条件不成立:表一达标(@表一 59.5 >= 60)"


def test_ranking_when_reads_a_named_condition() -> None:
    text = TEXT + "\n排名 档 {\n    倒排 50% 为 后进 当 甲达标\n}\n"
    rubric = starrules.loads(text)
    results = [rubric.evaluate(dict(e, id=str(k))) for k, e in enumerate([row(8, 7), row(9, 9), row(5, 9)])]
    ranking = starrules.rank(results, "档")
    # 甲达标 holds for ids 0 (8) and 1 (9), not 2 (5); within those two, ⌈50% × 2⌉ = 1 from the bottom:
    # both are 优 on 15 and 18 points → id 0 (15) is the bottom one
    assert {b.id: b.marks for b in ranking.branches} == {"0": ("后进",), "1": (), "2": ()}
    assert ranking.branch("0").reasons[0].startswith("“甲达标”的 2 个")


# ── the checker ───────────────────────────────────────────────────────────────────────────────

RUBRIC_TAIL = "标准 R { 满分 10 事实 有场地: 是否 类型 甲 10分 { 项目 a 10分 { 酌情 } } 等级 档 }\n"


def located(text: str, code: str) -> tuple[int, int, str]:
    diagnostic = next(d for d in check_text(text, "x.rubric").diagnostics if d.code == code)
    line = text.split("\n")[diagnostic.span.line - 1]
    return diagnostic.span.line, diagnostic.span.column, line[diagnostic.span.column - 1:]


def test_e426_a_name_declared_twice_points_at_the_second() -> None:
    text = "条件 好 = @甲 >= 6\n条件 好 = 有场地\n等级 档 { 甲 且 好  乙 }\n" + RUBRIC_TAIL
    assert located(text, "E426")[:2] == (2, 4)
    diagnostic = next(d for d in check_text(text).diagnostics if d.code == "E426")
    assert diagnostic.notes[0].span.line == 1  # the first definition


def test_e426_a_condition_named_like_a_fact() -> None:
    text = "条件 有场地 = @甲 >= 6\n等级 档 { 甲  乙 }\n" + RUBRIC_TAIL
    assert located(text, "E426")[:2] == (1, 4)
    assert "与标准“R”的事实同名" in next(d.message for d in check_text(text).diagnostics if d.code == "E426")


def test_e427_conditions_in_a_circle() -> None:
    text = "条件 甲条件 = 乙条件 且 有场地\n条件 乙条件 = 甲条件\n等级 档 { 甲 且 甲条件  乙 }\n" + RUBRIC_TAIL
    line, column, rest = located(text, "E427")
    assert (line, column) == (1, 4) and rest.startswith("甲条件")
    assert "甲条件 → 乙条件 → 甲条件" in next(d.message for d in check_text(text).diagnostics if d.code == "E427")


def test_e428_a_condition_that_is_a_number() -> None:
    # @甲 + 1 is a number whatever the standard: told at its definition, with no standard in the file
    assert located("条件 多 = @甲 + 1\n", "E428") == (1, 8, "@甲 + 1")  # 条 件 ␠ 多 ␠ = ␠ @: column 8
    # a count fact is a number in this standard: told where the standard uses it
    text = "条件 人多 = 人数\n等级 档 { 甲 且 人多  乙 }\n" + RUBRIC_TAIL.replace("事实 有场地: 是否", "事实 人数: 计数")
    assert located(text, "E428")[:2] == (1, 9)  # 条 件 ␠ 人 多 ␠ = ␠ 人: column 9


def test_e201_a_condition_in_a_clause_a_let_or_applies() -> None:
    head = "条件 好 = 有场地\n等级 档 { 甲  乙 }\n"
    for body, what in [("扣 1分 如果 好", "clause"), ("", "let"), ("", "applies")]:
        tail = RUBRIC_TAIL.replace("{ 酌情 }", "{ 酌情 " + body + " }") if what == "clause" else RUBRIC_TAIL
        if what == "let":
            tail = tail.replace("等级 档 }", "等级 档  令 x = 好 }")
        if what == "applies":
            tail = tail.replace("等级 档 }", "等级 档  适用 如果 好 }")
        text = head + tail
        diagnostic = next(d for d in check_text(text).diagnostics if d.code == "E201")
        assert diagnostic.message == "条件“好”不能用在这里", what
        assert text.split("\n")[diagnostic.span.line - 1][diagnostic.span.column - 1:].startswith("好"), what


def test_e006_a_condition_too_deep_or_too_large_written_out() -> None:
    # each condition nests the one before inside a 非: written out, 条件120 is 121 levels deep (limit 100)
    chain = "条件 条件0 = 有场地\n" + "".join(f"条件 条件{k} = 非 条件{k - 1}\n" for k in range(1, 121))
    line, column, _ = located(chain + "等级 档 { 甲 且 条件120  乙 }\n" + RUBRIC_TAIL, "E006")
    assert (line, column) == (101, 4)  # 条件100: 1 (有场地) + 100 × 非 = 101 levels, the first over the limit
    # each condition uses the one before twice: 2^k leaves, over 10 000 nodes by 条件13 (2^14 − 1 = 16383)
    doubling = "条件 条件0 = 有场地\n" + "".join(f"条件 条件{k} = 条件{k - 1} 或 条件{k - 1}\n" for k in range(1, 15))
    diagnostic = next(d for d in check_text(doubling).diagnostics if d.code == "E006")
    assert diagnostic.span.line == 14  # 条件13: 1 + 2 × (1 + 2 × …) = 2^14 − 1 = 16383 > 10 000
    assert "过大" in diagnostic.message


# ── the formatter ─────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("text", [
    TEXT,
    "condition ok = @甲 >= 6 and not bad\nscheme S { top and ok  rest }\n"
    "rubric R { total unused  total 10 fact bad: bool section 甲 10 { item a 10 { judged } } }\n",
    "條件 好 = 有場地\n等級 檔 { 甲 且 好  乙 }\n標準 R { 總分 不計  滿分 10 事實 有場地: 是否 類型 甲 10分 { 項目 a 10分 { 酌情 } } }\n",
])
def test_the_formatter_writes_conditions_back(text: str) -> None:
    once = format_text(text)
    assert parse(once).blocks == parse(text).blocks  # the same tree
    assert format_text(once) == once  # and a fixed point


def test_a_run_of_conditions_stays_together() -> None:
    assert format_text(TEXT).startswith("条件 甲达标 = @甲 >= 6\n条件 乙达标 = @乙 >= 6 且 非 有问题\n")
