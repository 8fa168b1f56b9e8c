"""酌情给分 / 酌情扣分 (issue 21): the rater's entry is a part of the score, as officers read it.

The items are the 村(社区) table of 县委组织部《基层党组织争先创优活动实施方案(范文)》, written in the
table's order (“扣1分;扣1分;酌情给分”, “…扣1分,…扣1分,其他情况酌情扣分”). The expected scores are
worked out by hand from docs/language.md “酌情给分与酌情扣分”: R = 分值 − the 扣 N分 如果 clauses' N
(their sum at most 最多扣); 酌情给分 starts at 分值 − R + the entry, 酌情扣分 at 分值 − the entry.
Every engine must give them: `evaluate` (the generated fast path where it answers, the traced
interpreter with explain), the numpy batch engine, DuckDB's compiled SQL, and the independent
reference of tests/reference_evaluator.py.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

import pytest

from starrules import EvidenceError, check_text, loads
from starrules.io.form import build_form
from starrules.lang.formatter import format_text
from starrules.lang.parser import parse
from starrules.report.explain import explain
from starrules.sql.runner import evidence_table
from tests.reference_evaluator import Reference

TEXT = """标准 村社区 {
    事实 未开展党内表彰: 是否
    事实 未开展关爱帮扶: 是否
    事实 缺少设施设备登记: 是否
    事实 无管理维护制度: 是否
    类型 阵地与活动 14分 {
        项目 帮扶成效 3分 {
            扣1分 如果 未开展党内表彰
            扣1分 如果 未开展关爱帮扶
            酌情给分 "帮扶活动成效根据群众评价酌情给分"
        }
        项目 设施设备 3分 {
            说明 "严格按照标准执行得3分"
            扣1分 如果 缺少设施设备登记
            扣1分 如果 无管理维护制度
            酌情扣分 "其他情况酌情扣分"
        }
        项目 阵地 4分 {
            扣2分 如果 缺少设施设备登记
            扣2分 如果 无管理维护制度
            最多扣 3分
            酌情给分
        }
        项目 活动 4分 {
            酌情给分0分 至2分
        }
    }
}
"""
FACTS = ("未开展党内表彰", "未开展关爱帮扶", "缺少设施设备登记", "无管理维护制度")
ITEMS = ("帮扶成效", "设施设备", "阵地", "活动")

# (the four facts, the four entries) → the four item scores, each worked out by hand:
# 帮扶成效 R = 3 − 1 − 1 = 1: 2 + entry − deductions; 设施设备 R = 1: 3 − entry − deductions;
# 阵地 R = 4 − min(2 + 2, 3) = 1: 3 + entry − min(deductions, 3); 活动 (written 0 至 2): 2 + entry
CASES: list[tuple[tuple[bool, ...], tuple[Any, ...], tuple[Fraction, ...]]] = [
    ((False, False, False, False), (1, 0, 1, 2), (Fraction(3), Fraction(3), Fraction(4), Fraction(4))),
    ((True, False, False, False), (1, 1, 0, 0), (Fraction(2), Fraction(2), Fraction(3), Fraction(2))),
    ((True, False, True, False), (0, 0, 1, 1), (Fraction(1), Fraction(2), Fraction(2), Fraction(3))),
    ((True, True, True, True), (0, 1, 0.5, 1.5), (Fraction(0), Fraction(0), Fraction(1, 2), Fraction(7, 2))),
    ((False, False, True, False), (0, 0, 1, 0.5), (Fraction(2), Fraction(2), Fraction(2), Fraction(5, 2))),
    ((False, False, False, False), (0, 1, 0, 0), (Fraction(2), Fraction(2), Fraction(3), Fraction(2))),
]


def rows() -> list[dict[str, Any]]:
    return [{**dict(zip(FACTS, facts)), **dict(zip(ITEMS, entries))} for facts, entries, _ in CASES]


def expected() -> list[dict[str, Fraction]]:
    return [dict(zip(ITEMS, scores)) for _, _, scores in CASES]


def test_the_documents_items_score_what_the_document_says_by_evaluate() -> None:
    rubric = loads(TEXT)
    for row, want in zip(rows(), expected()):
        assert rubric.evaluator.fast(row) is not None  # the generated fast path answers these rows
        assert {i.name: i.score for i in rubric.evaluate(row).items} == want, row
        traced = rubric.evaluate(row, explain=True)  # the interpreter, with its trace
        assert {i.name: i.score for i in traced.items} == want, row
        assert traced.total == sum(want.values())
        for item in traced.items:  # the trace still adds up to the score
            assert sum((Fraction(t.points) for t in item.trace), Fraction(0)) == item.score


def test_the_fast_path_gives_the_same_totals() -> None:
    rubric = loads(TEXT)
    for row, want in zip(rows(), expected()):
        state = rubric.evaluator.fast(row)
        assert state is not None
        assert Fraction(state.total) * rubric.precision == sum(want.values())


def test_the_independent_reference_agrees() -> None:
    rubric = loads(TEXT)
    for row, want in zip(rows(), expected()):
        total, items, _ = Reference(rubric, row).total()
        assert items == want and total == sum(want.values())


def batch_items(batches: Any) -> list[dict[str, Fraction]]:
    return [{name: Fraction(row[f"item:{name}"]) for name in ITEMS} for batch in batches for row in batch.to_rows()]


def test_the_numpy_batch_engine_agrees() -> None:
    assert batch_items(loads(TEXT).evaluate_columns(rows())) == expected()


def test_duckdb_sql_agrees() -> None:
    rubric = loads(TEXT)
    table = evidence_table(rubric, rows())  # the 酌情 entries as DECIMAL columns, as SQL reads them exactly
    assert batch_items(rubric.evaluate_columns(table, engine="duckdb")) == expected()


def test_sqlite_sql_agrees() -> None:
    from starrules.sql.runner import score_sqlite
    rubric = loads(TEXT)
    got = list(score_sqlite(rubric, evidence_table(rubric, rows())))
    # grid units of 0.5 分: twice the points worked out above
    assert [r["total_units"] for r in got] == [2 * sum(want.values()) for want in expected()]


def test_the_entry_is_read_in_its_range_r() -> None:
    rubric = loads(TEXT)
    spec = rubric.evaluator.evidence_spec
    assert spec.ranges == {"帮扶成效": (0, 1), "设施设备": (0, 1), "阵地": (0, 1), "活动": (0, 2)}
    with pytest.raises(EvidenceError) as info:
        rubric.evaluate({**rows()[0], "帮扶成效": 2})
    assert [d.code for d in info.value.diagnostics] == ["E507"]
    assert "0–1 分" in info.value.diagnostics[0].message


def test_the_evidence_schema_holds_the_range() -> None:
    properties = loads(TEXT).evidence_schema()["properties"]
    number = properties["设施设备"]["anyOf"][0]
    assert (number["minimum"], number["maximum"]) == (0, 1)
    assert "酌情扣分(填扣的分) 0–1 分" in properties["设施设备"]["description"]
    assert "酌情给分(扣分规则以外的部分) 0–1 分" in properties["帮扶成效"]["description"]
    assert (properties["活动"]["anyOf"][0]["minimum"], properties["活动"]["anyOf"][0]["maximum"]) == (0, 2)


def test_explain_says_what_was_given_and_taken() -> None:
    rubric = loads(TEXT)
    text = explain(rubric.evaluate(rows()[1], explain=True))
    assert "帮扶成效 3→2分:酌情给分 1 分(至多 1 分);扣 1 分,因为 未开展党内表彰 是(第 8 行)" in text
    assert "设施设备 3→2分:酌情扣分 1 分(至多 1 分)" in text
    assert "活动 4→2分:酌情给分 0 分(至多 2 分)" in text


def test_the_form_says_a_deduction_cell_takes_the_deduction() -> None:
    hints = {i.key: i.hint for i in build_form(loads(TEXT)).inputs()}
    assert hints["设施设备"].startswith("酌情扣分,填要扣的分(不是得分):0 至 1 分")
    assert hints["帮扶成效"].startswith("酌情给分(扣分规则以外的部分):0 至 1 分")


def test_the_excel_form_validates_a_deduction_cell_as_a_deduction(tmp_path: Any) -> None:
    from openpyxl import load_workbook
    from starrules.report.xlsx_template import write_template
    write_template(loads(TEXT), tmp_path / "表.xlsx")
    messages = {v.error for v in load_workbook(tmp_path / "表.xlsx")["评分表"].data_validations.dataValidation}
    # 设施设备: R = 3 − 1 − 1 = 1; 帮扶成效 likewise
    assert "酌情扣分,填要扣的分(不是得分):应在 0 至 1 分之间" in messages
    assert "酌情给分(扣分规则以外的部分):应在 0 至 1 分之间" in messages


def test_the_plan_says_where_the_score_starts() -> None:
    plan = loads(TEXT).scoring_plan.describe()
    assert "② 评定 酌情给分 \"帮扶活动成效根据群众评价酌情给分\"(第 10 行),起点 = 2分 + 评定的分" in plan
    assert "② 评定 酌情扣分 \"其他情况酌情扣分\"(第 16 行),起点 = 3分 − 评定的分" in plan


def test_check_range_and_no_w105_in_the_documents_order() -> None:
    report = check_text(TEXT, "村社区.rubric")
    assert report.diagnostics == ()
    # written inverted (the workaround issue 21 quotes), the item cannot reach its points
    inverted = TEXT.replace('酌情给分 "帮扶活动成效根据群众评价酌情给分"', "酌情 0分 至 1分")
    assert "W105" in [d.code for d in check_text(inverted, "x.rubric").diagnostics]


def test_the_checker_ranges() -> None:
    from starrules.check.ranges import item_range
    module = parse(TEXT)
    rubric = module.blocks[0]
    items = {i.name: i for s in rubric.body if hasattr(s, "items") for i in s.items}

    def unbounded(_: str) -> Any:
        from starrules.check.ranges import Interval
        return Interval(None, None)

    # 帮扶成效: 2 + [0, 1] − [0, 2] → [0, 3]; 活动: 2 + [0, 2]
    assert (item_range(items["帮扶成效"], "regular", unbounded, unbounded).lo,
            item_range(items["帮扶成效"], "regular", unbounded, unbounded).hi) == (0, 3)
    assert (item_range(items["活动"], "regular", unbounded, unbounded).lo,
            item_range(items["活动"], "regular", unbounded, unbounded).hi) == (2, 4)


def test_e499_when_the_deductions_leave_nothing_to_judge() -> None:
    text = "标准 R {\n  事实 甲: 是否\n  类型 S 2分 {\n    项目 I 2分 {\n      扣1分 如果 甲\n      扣1分 如果 非 甲\n" \
           "      酌情扣分\n    }\n  }\n}\n"
    found = [d for d in check_text(text, "t.rubric").diagnostics if d.code == "E499"]
    assert len(found) == 1
    diagnostic = found[0]
    assert (diagnostic.span.line, diagnostic.span.column) == (7, 7)
    assert "“酌情扣分”没有可评的分" in diagnostic.message
    assert diagnostic.hint is not None and "写明范围" in diagnostic.hint and "删掉一条扣分子句" in diagnostic.hint
    # a written range, or a 最多扣 that leaves something, is no error
    assert check_text(text.replace("酌情扣分", "酌情扣分 0分 至 1分"), "t.rubric").errors == ()
    assert check_text(text.replace("酌情扣分", "最多扣 1分 酌情扣分"), "t.rubric").errors == ()


def test_one_judged_clause_per_item() -> None:
    text = "标准 R { 类型 S 2分 { 项目 I 2分 { 起评 1分 酌情给分 } } }"
    errors = check_text(text, "t.rubric").errors
    assert [e.code for e in errors] == ["E410"] and "不能再用“酌情给分”" in errors[0].message
    extra = "标准 R { 类型 S 2分 { 项目 I 2分 { } } 加分项 最多 2分 { 项目 J 2分 { 酌情扣分 } } }"
    assert [(e.code, "“酌情扣分”" in e.message) for e in check_text(extra, "t.rubric").errors] == [("E413", True)]


@pytest.mark.parametrize(("award", "deduct"), [("酌情给分", "酌情扣分"), ("酌情給分", "酌情扣分"),
                                               ("judged_award", "judged_deduct")])
def test_every_spelling_means_the_same(award: str, deduct: str) -> None:
    spaced = TEXT.replace("酌情给分0分 至2分", "酌情给分 0分 至 2分")  # an English form is never glued
    text = re.sub("酌情扣分(?=[ \n])", deduct, re.sub("酌情给分(?=[ \n])", award, spaced))  # not the guidance
    assert len(re.findall(f"{award}(?=[ \n])", text)) == 3 and len(re.findall(f"{deduct}(?=[ \n])", text)) == 1
    assert parse(text) == parse(spaced)


def test_the_formatter_keeps_the_spelling_and_reads_back_the_same() -> None:
    formatted = format_text(TEXT)
    assert "酌情给分 \"帮扶活动成效根据群众评价酌情给分\"" in formatted and "酌情扣分 \"其他情况酌情扣分\"" in formatted
    assert "酌情给分0分 至2分" in formatted  # glued as written
    assert parse(formatted) == parse(TEXT)
    traditional = TEXT.replace("酌情给分", "酌情給分")
    assert "酌情給分" in format_text(traditional)


def test_gap_raises_a_given_entry_to_r_and_a_taken_entry_to_0() -> None:
    text = TEXT.replace("标准 村社区 {", "标准 村社区 {\n    等级 档次") + "等级 档次 { 好 >= 14分  差 }\n"
    rubric = loads(text)
    result = rubric.evaluate(rows()[5], explain=True)  # 帮扶成效 2 (entry 0), 设施设备 2 (1 taken), 阵地 3, 活动 2
    gap = result.gap["档次"]
    assert gap.next_level == "好"
    assert {f.item: f.points for f in gap.fixes} == {"帮扶成效": 1, "设施设备": 1, "阵地": 1, "活动": 2}
