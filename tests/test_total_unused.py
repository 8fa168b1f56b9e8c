"""`总分 不计` (issue 22 §2; docs/language.md §4 “只用条件定级”): a standard whose total means
nothing — rubrics/examples/星级饭店.rubric, two 600-point tables 必备项目 and 设施设备 with star
levels by each table's least score — is graded by conditions alone, its reasons never cite the
total, `rank` (the API, the CLI and the report's 名次) orders by level and then by the 并列 keys,
and the checker refuses a scheme that reads its total (E429).

Every expected value is worked out by hand in the comment beside it."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pyarrow as pa
import pytest

import starrules
from starrules import RubricCheckError, check_text, evaluate_columns
from starrules.cli import main
from starrules.report.explain import explain, table
from starrules.report.summary import summarise
from tests.test_vector_grading import vector_levels

TOTAL_UNUSED_CODES = {"E429"}  # tested here (test_diagnostics counts it)

EXAMPLES = Path(__file__).resolve().parent.parent / "rubrics" / "examples"
RUBRIC = EXAMPLES / "星级饭店.rubric"
BATCH = EXAMPLES / "星级饭店-批量.jsonl"
SCHEMES = ("饭店星级", "示范推荐")

# 五星条件: @必备项目 >= 540 且 @设施设备 >= 480; 四星条件: 480 / 400; 三星条件: 420 / 300;
# 示范推荐: 五星条件 且 宾客满意率 >= 90%. Per hotel: 必备项目 = 前厅 + 客房 + 餐饮, 设施设备 =
# 建筑与环境 + 设备设施 + 安全设施 (each 酌情), 合计 = the two (kept, never used).
WORKED = {
    # 190 + 230 + 140 = 560 >= 540, 140 + 280 + 140 = 560 >= 480: 五星级; 92% >= 90%: 推荐
    "H1": (560, 560, 1120, "五星级", "推荐为示范饭店"),
    # 600 and 600 meet 五星条件, but 发生重大安全责任事故 fires the veto: the lowest level in both
    "H2": (600, 600, 1200, "未评星", "不推荐"),
    # 600, but 100 + 150 + 50 = 300: < 480, < 400, >= 300 with 600 >= 420: 三星级
    "H3": (600, 300, 900, "三星级", "不推荐"),
    # 180 + 200 + 120 = 500 < 540; >= 480 and 120 + 200 + 100 = 420 >= 400: 四星级
    "H4": (500, 420, 920, "四星级", "不推荐"),
    # 170 + 210 + 120 = 500, 130 + 180 + 100 = 410 >= 400: 四星级
    "H5": (500, 410, 910, "四星级", "不推荐"),
    # 150 + 150 + 100 = 400 < 420: no star, though 150 + 250 + 100 = 500 and 93%
    "H6": (400, 500, 900, "未评星", "不推荐"),
}


@pytest.fixture(scope="module")
def rubric() -> starrules.Rubric:
    return starrules.load(RUBRIC)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in BATCH.read_text(encoding="utf-8").splitlines()]


def test_the_example_is_graded_by_its_tables_in_every_engine(rubric: starrules.Rubric,
                                                                rows: list[dict[str, object]]) -> None:
    assert rubric.total_unused and list(rubric.evaluator.inline_schemes) == list(SCHEMES)
    for evidence in rows:
        fast = rubric.evaluate(evidence)
        reference = rubric.evaluate(MappingProxyType(evidence))  # the reference reader and scalar grader
        table_one, table_two, total, stars, model = WORKED[str(evidence["id"])]
        assert (fast.section("必备项目").score, fast.section("设施设备").score, fast.total) == (table_one, table_two, total)
        assert (fast.level("饭店星级").level, fast.level("示范推荐").level) == (stars, model)
        assert fast.levels == reference.levels
        assert fast.to_dict()["total"] == total  # the JSON keeps the total, still worked out
    expected = {s: [WORKED[str(r["id"])][3 + k] for r in rows] for k, s in enumerate(SCHEMES)}
    assert [r.level("饭店星级").level for r in rubric.evaluate_many(BATCH)] == expected["饭店星级"]
    plain = [{k: (float(v[:-1]) / 100 if isinstance(v, str) and v.endswith("%") else v)
              for k, v in r.items() if k not in ("id", "名称")} for r in rows]
    for r in plain:
        r.setdefault("发生重大安全责任事故", False)  # one type per column for Arrow
    assert vector_levels(rubric, plain, SCHEMES) == (expected, [])  # the numpy engine's vector grader
    (batch,) = evaluate_columns(rubric, pa.Table.from_pylist(plain), schemes=list(SCHEMES))
    assert {s: [str(v) for v in batch.levels[s]] for s in SCHEMES} == expected


def test_reasons_cite_the_conditions_never_the_total(rubric: starrules.Rubric, rows: list[dict[str, object]]) -> None:
    graded = {str(r["id"]): rubric.evaluate(r) for r in rows}
    assert graded["H1"].level("饭店星级").reasons == (
        "条件成立:五星条件(@必备项目 560 >= 540 且 @设施设备 560 >= 480),为“五星级”",)
    assert graded["H3"].level("饭店星级").reasons == (
        "未评为“五星级”:条件不成立:五星条件(@必备项目 600 >= 540 且 @设施设备 300 >= 480)",
        "未评为“四星级”:条件不成立:四星条件(@必备项目 600 >= 480 且 @设施设备 300 >= 400)",
        "条件成立:三星条件(@必备项目 600 >= 420 且 @设施设备 300 >= 300),为“三星级”",
    )
    assert graded["H6"].level("饭店星级").reasons[-1] == "未达到更高等级的条件,为“未评星”"
    assert graded["H2"].level("饭店星级").reasons[-1] == "一票否决:发生重大安全责任事故 是"
    for result in graded.values():
        for level in result.levels.values():
            assert not any("总分" in reason for reason in level.reasons), level.reasons
    # the gap names the table short, not the total: H3 needs 设施设备 400 for 四星级, 400 − 300 = 100 more
    gap = rubric.evaluate(rows[2]).gap["饭店星级"]
    assert (gap.next_level, gap.points_needed, gap.blocking) == ("四星级", 0, ())
    assert [(n.condition, n.value, n.points) for n in gap.needs] == [("四星条件", "@设施设备", 100)]


def test_rank_orders_by_level_then_the_tables(rubric: starrules.Rubric, rows: list[dict[str, object]]) -> None:
    ranking = starrules.rank(rubric.evaluate_many(BATCH), "饭店星级")
    # 五星级 H1; 四星级 H4 and H5, both 必备项目 500, then 设施设备 420 > 410; 三星级 H3; 未评星 H2
    # (vetoed, 必备项目 600) and H6 (400). By total H2 (1200) would be first and H1 (1120) second.
    assert [(b.id, b.rank, b.level) for b in ranking.branches] == [
        ("H1", 1, "五星级"), ("H4", 2, "四星级"), ("H5", 3, "四星级"), ("H3", 4, "三星级"),
        ("H2", 5, "未评星"), ("H6", 6, "未评星")]
    assert ranking.by_level and ranking.branch("H2").total == 1200


def test_equal_level_and_keys_share_a_rank(rubric: starrules.Rubric, rows: list[dict[str, object]]) -> None:
    twin = dict(rows[3], id="H7")  # H4's scores: 四星级, 500 and 420
    ranking = starrules.rank([rubric.evaluate(r) for r in [*rows, twin]], "饭店星级")
    # H1 1; H4 and H7 tie on level and both keys: 2, 2; H5 4; H3 5; H2 6; H6 7
    assert [(b.id, b.rank) for b in ranking.branches] == [
        ("H1", 1), ("H4", 2), ("H7", 2), ("H5", 4), ("H3", 5), ("H2", 6), ("H6", 7)]


def test_the_report_and_the_cli_rank_by_level(rubric: starrules.Rubric, capsys: pytest.CaptureFixture[str]) -> None:
    summary = summarise(rubric, list(rubric.evaluate_many(BATCH)), list(SCHEMES))
    assert [(row.id, row.rank) for row in summary.rows] == [
        ("H1", 1), ("H4", 2), ("H5", 3), ("H3", 4), ("H2", 5), ("H6", 6)]
    assert main(["rank", str(RUBRIC), str(BATCH), "--scheme", "饭店星级"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("(总分不计:先按等级,同一等级依次比较并列项)")
    assert lines[1].split()[:5] == ["排名", "编号", "名称", "合计", "等级"]
    assert [line.split()[:2] for line in lines[2:]] == [["1", "H1"], ["2", "H4"], ["3", "H5"], ["4", "H3"],
                                                       ["5", "H2"], ["6", "H6"]]
    assert main(["rank", str(RUBRIC), str(BATCH), "--scheme", "饭店星级", "--json"]) == 0
    branches = json.loads(capsys.readouterr().out)["branches"]
    assert [(b["id"], b["total"]) for b in branches][:2] == [("H1", 1120), ("H4", 920)]


def test_explain_and_eval_show_the_sum_as_no_basis(rubric: starrules.Rubric, rows: list[dict[str, object]]) -> None:
    graded = rubric.evaluate(rows[2])  # H3: 600 + 300 = 900, 三星级
    lines = explain(graded).splitlines()
    assert lines[0] == "标准 星级饭店:合计 900/1200分(总分不计,等级只看条件)"
    assert "  距“四星级”:设施设备 还差 100 分(需 >= 400,现为 300)" in lines  # 400 − 300
    shown = table(graded).splitlines()
    assert next(line for line in shown if line.startswith("合计")).split() == ["合计", "900", "1200", "总分不计"]
    assert "等级 饭店星级:三星级,距“四星级”:设施设备 还差 100 分(需 >= 400,现为 300)" in shown
    vetoed = explain(rubric.evaluate(rows[1]))  # H2: 五星级 by its conditions, 未评星 by the veto
    assert "等级 饭店星级:未评星(按条件为 五星级)" in vetoed.splitlines()


def test_a_counted_total_still_ranks_and_reads_as_before() -> None:
    text = RUBRIC.read_text(encoding="utf-8").replace("    总分 不计\n", "")
    rubric = starrules.loads(text)
    results = [rubric.evaluate(json.loads(line)) for line in BATCH.read_text(encoding="utf-8").splitlines()]
    ranking = starrules.rank(results, "饭店星级")
    # by total: H2 1200, H1 1120, H4 920, H5 910, then H3 and H6 on 900 — H3's 必备项目 600 > 400
    assert [b.id for b in ranking.branches] == ["H2", "H1", "H4", "H5", "H3", "H6"] and not ranking.by_level
    assert explain(results[0]).splitlines()[0] == "标准 星级饭店:总分 1120/1200分"
    # a level reached by its conditions cites them in a counted rubric too
    assert results[0].level("饭店星级").reasons == (
        "条件成立:五星条件(@必备项目 560 >= 540 且 @设施设备 560 >= 480),为“五星级”",)
    assert results[5].level("饭店星级").reasons[-1] == "总分 900 分,未达到更高等级,为“未评星”"


# ── the checker ───────────────────────────────────────────────────────────────────────────────

TAIL = """
标准 R {
    总分 不计
    满分 20
    等级 档
    事实 有场地: 是否
    类型 甲 10分 { 项目 a 10分 { 酌情 } }
    类型 乙 10分 { 项目 b 10分 { 酌情 } }
}
"""


def e429(text: str) -> list[tuple[int, str]]:
    lines = text.split("\n")
    return [(d.span.line, lines[d.span.line - 1][d.span.column - 1:]) for d in check_text(text).diagnostics
            if d.code == "E429"]


def test_e429_a_score_line_reads_the_total() -> None:
    text = "等级 档 {\n    好 >= 15分\n    差\n}\n" + TAIL
    assert e429(text) == [(2, "15分")]


def test_e429_the_total_in_a_condition_a_named_one_a_veto_or_a_ranking_key() -> None:
    text = ("条件 高 = 总分 >= 15\n等级 档 {\n    好 且 高\n    差\n    降档 1 如果 总分 < 5\n}\n"
            "排名 档 {\n    并列 依次比较 @甲, 总分\n}\n" + TAIL.replace("}\n}", "}\n    否决 如果 总分 < 1\n}"))
    # at 总分 inside the named condition (line 1), in the 降档 (line 5), the 并列 key (line 8), and the
    # 否决 (line 18: the 9 lines above, a blank one, then 标准 R { … on 11–17)
    assert e429(text) == [(1, "总分 >= 15"), (5, "总分 < 5"), (8, "总分"), (18, "总分 < 1")]


def test_e429_a_built_in_scheme_asked_for_by_name() -> None:
    rubric = starrules.loads("等级 档 { 好 且 @甲 >= 8  差 }\n" + TAIL)
    with pytest.raises(RubricCheckError) as caught:
        rubric.evaluate({"a": 8, "b": 8, "有场地": True}, schemes=["星级"])  # 星级's 95/90/80/70/60
    assert {d.code for d in caught.value.diagnostics} == {"E429"}


def test_written_once_and_inherited() -> None:
    twice = "等级 档 { 好 且 @甲 >= 8  差 }\n" + TAIL.replace("总分 不计", "总分 不计\n    总分 不计")
    assert [d.code for d in check_text(twice).errors] == ["E414"]
    child = "等级 档 { 好 且 @甲 >= 8  差 }\n" + TAIL + "标准 子 继承 R {\n    满分 20\n}\n"
    assert starrules.loads(child, rubric="子").total_unused


def test_the_language_reference_example_is_as_worked() -> None:
    """docs/language.md §4 “有名称的条件” / “只用条件定级”: the figures its text gives."""
    docs = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
    text = next(b for b in docs.split("```rubric\n")[1:] if b.startswith("条件 五星条件")).split("```")[0]
    rubric = starrules.loads(text)
    hotels = {"五星": {"服务": 560, "设施": 500, "宾客满意率": 0.92},  # 560 >= 540, 500 >= 480; 92% >= 90%
              "无星": {"服务": 600, "设施": 300, "宾客满意率": 0.8},  # 300 < 480 and 300 < 400
              "四星": {"服务": 500, "设施": 420, "宾客满意率": 0.8},  # 500 < 540; 500 >= 480, 420 >= 400
              "否决": {"服务": 600, "设施": 600, "宾客满意率": 0.95, "发生重大安全责任事故": True}}
    results = {name: rubric.evaluate(dict(e, id=name)) for name, e in hotels.items()}
    assert [(r.level("饭店星级").level, r.level("示范推荐").level) for r in results.values()] == [
        ("五星级", "推荐为示范饭店"), ("未评星", "不推荐"), ("四星级", "不推荐"), ("未评星", "不推荐")]
    assert results["无星"].level("饭店星级").reasons[0] == \
        "未评为“五星级”:条件不成立:五星条件(@必备项目 600 >= 540 且 @设施设备 300 >= 480)"
    assert results["无星"].level("饭店星级").reasons[-1] == "未达到更高等级的条件,为“未评星”"
    ranking = starrules.rank(results.values(), "饭店星级")
    # 五星级 1, 四星级 2; 未评星: 必备项目 600 both, then 设施设备 600 (the vetoed one) > 300
    assert [b.id for b in ranking.branches] == ["五星", "四星", "否决", "无星"]
