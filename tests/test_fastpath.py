"""The generated fast path (starrules/eval/fastpath.py) against the traced evaluator, the reference.

A plain `dict` of evidence goes through the generated function; any other mapping (here a
`MappingProxyType`) through the reference reader and evaluator. Both must give equal results,
and the fast path must give up — never guess — on anything the reference reads differently.
"""

from __future__ import annotations

import pickle
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import EvidenceError, Rubric, loads
from tests.test_eval_properties import BOOLS, draw_judgements, rubric_text

# score references, the total, 未达标类型数, division, 取整, 若 … 则 and a veto reading them
EXTRA = ("令 半 = @类0 / 2 令 差 = 未达标类型数 + 取整(n1) 令 档 = 若 b0 则 最小(c1, 3) 否则 最大(c2, 1) "
         "否决 如果 总分 < 半 且 差 > 3")


@st.composite
def fast_case(draw: st.DrawFn) -> tuple[Rubric, dict[str, Any]]:
    """A generated rubric and evidence in the forms JSON gives (true/false or 是/否, ints, floats,
    level names, scores with reasons)."""
    text = draw(rubric_text())
    if draw(st.booleans()):
        text = text[:text.rindex("}")] + EXTRA + " }"
    rubric = loads(text)
    evidence: dict[str, Any] = {b: draw(st.sampled_from([True, False, "是", "否"])) for b in BOOLS}
    evidence.update(c1=draw(st.integers(0, 6)), c2=draw(st.integers(0, 6)),
                    n1=draw(st.sampled_from([0, 3, 5.5, 7.25, 15])), r1=draw(st.sampled_from([0, 1, 0.3, 0.875])),
                    ch=draw(st.sampled_from(["甲", "乙", "丙"])))
    for name, entry in draw_judgements(draw, rubric).items():
        whole = isinstance(entry, Fraction) and entry.denominator == 1 and draw(st.booleans())
        evidence[name] = int(entry) if whole else float(entry) if isinstance(entry, Fraction) else entry
        if draw(st.booleans()):
            evidence[name] = {"得分": evidence[name], "理由": "示例", "评分人": "考核组"}
    return rubric, evidence


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fast_case(), st.booleans())
def test_fast_path_equals_the_reference(case: tuple[Rubric, dict[str, Any]], explain: bool) -> None:
    rubric, evidence = case
    try:
        reference = rubric.evaluate(MappingProxyType(evidence), explain=explain)
    except EvidenceError:  # e.g. a division by zero: the fast path must not answer either
        assert rubric.evaluator.fast(evidence) is None
        return
    # JSON-native evidence never needs the reference, unless it scores a 不适用 item: the reference says so (W501)
    assert (rubric.evaluator.fast(evidence) is not None) == (not reference.warnings)
    fast = rubric.evaluate(evidence, explain=explain)
    assert (fast.total, fast.max, fast.vetoed) == (reference.total, reference.max, reference.vetoed)
    assert fast.facts == reference.facts and fast.derived == reference.derived
    assert fast.sections == reference.sections  # every item and section score, and with explain every trace
    assert fast.vetoes == reference.vetoes
    assert fast == reference


BENCH = """标准 小 { 精度 0.5 满分 20
    事实 达标: 是否 默认 是
    事实 问题: 计数 默认 0
    事实 参学率: 比例
    事实 等级: 选项(甲, 乙)
    类型 甲类 20分 达标 12分 {
        项目 学习 10分 { 扣 2分 如果 非 达标  每 问题 扣 0.5分 扣完为止  不得分 如果 问题 > 5 }
        项目 评议 6分 { 酌情 0分 至 6分 }
        项目 活动 4分 { 分档 [好 4分, 中 2分, 差 0分]  扣 1分 如果 参学率 < 90% }
    }
}"""


def evidence(**changes: Any) -> dict[str, Any]:
    return {"达标": True, "问题": 1, "参学率": 0.95, "等级": "甲", "评议": 4.5, "活动": "好", **changes}


def test_a_worked_branch_through_the_fast_path() -> None:
    # 学习 10 − 0.5 (one 问题) = 9.5; 评议 4.5 as given; 活动 好 4 → 20 − … = 18 in all
    rubric = loads(BENCH)
    assert rubric.evaluator.fast(evidence()) is not None
    result = rubric.evaluate(evidence())
    assert result.total == 18
    assert [(i.name, i.score) for i in result.items] == [("学习", Fraction(19, 2)), ("评议", Fraction(9, 2)), ("活动", 4)]
    # 非 达标 and 参学率 below 90%: 学习 10 − 2 − 0.5 = 7.5, 活动 4 − 1 = 3 → 15
    assert rubric.evaluate(evidence(达标=False, 参学率=0.85)).total == 15


@pytest.mark.parametrize("changes", [
    {"达标": " 否 "},  # text for a bool, as hand-written evidence has it
    {"达标": "TRUE"},
    {"评议": {"得分": 4.5, "理由": "材料齐全", "评分人": "考核组"}},  # a score with its reason and rater
    {"活动": {"score": "中", "reason": "次数不足"}},
])
def test_common_hand_written_forms_stay_on_the_fast_path(changes: dict[str, Any]) -> None:
    rubric = loads(BENCH)
    data = evidence(**changes)
    assert rubric.evaluator.fast(data) is not None
    assert rubric.evaluate(data) == rubric.evaluate(MappingProxyType(data))  # traces, reasons and raters too


def test_a_reason_reaches_the_trace() -> None:
    result = loads(BENCH).evaluate(evidence(评议={"得分": 4.5, "理由": "材料齐全", "评分人": "考核组"}))
    base = result.item("评议").trace[0]
    assert (base.kind, base.points, base.reason, base.rater) == ("judged", Fraction(9, 2), "材料齐全", "考核组")


@pytest.mark.parametrize("changes", [
    {"达标": "也许"},         # not a bool word: the reference reports it
    {"参学率": "95%"},        # a percentage in text
    {"问题": 2.0},            # a whole float for a count
    {"评议": "4.5"},          # a score in text
    {"评议": 0.30000000000000004},  # not the decimal 0.3: the reference rejects it (E508)
    {"评议": {"理由": "材料齐全"}},  # no score
    {"评议": {"得分": 4.5, "备注": "x"}},  # an unknown field
    {"id": "甲-1", "历史": {"星级": {"2024": "三星级"}}},
    {"未知": 1},
    {"问题": -1},
    {"等级": "丙"},
    {"活动": "优"},
    {"评议": 7},
])
def test_unusual_evidence_goes_to_the_reference(changes: dict[str, Any]) -> None:
    rubric = loads(BENCH)
    data = evidence(**changes)
    assert rubric.evaluator.fast(data) is None
    try:
        expected: object = rubric.evaluate(MappingProxyType(data))
    except EvidenceError as error:
        expected = [d.code for d in error.diagnostics]
    try:
        got: object = rubric.evaluate(data)
    except EvidenceError as error:
        got = [d.code for d in error.diagnostics]
    assert got == expected


def test_missing_facts_and_scores_go_to_the_reference() -> None:
    rubric = loads(BENCH)
    for name in ("参学率", "评议"):
        data = evidence()
        del data[name]
        assert rubric.evaluator.fast(data) is None
        with pytest.raises(EvidenceError) as caught:
            rubric.evaluate(data)
        assert [d.code for d in caught.value.diagnostics] == ["E501"]


def test_the_generated_source_can_be_read() -> None:
    rubric = loads(BENCH)
    source = rubric.fast_source
    assert source.startswith("# 小: generated by starrules")
    assert "def evaluate(e):" in source and "# 项目 学习(第 7 行)" in source


def test_fast_results_pickle_and_keep_their_parts() -> None:
    rubric = loads(BENCH)
    result = rubric.evaluate(evidence())
    again = pickle.loads(pickle.dumps(result))
    assert again == result and again.item("学习").score == Fraction(19, 2)
    assert "学习" in repr(result)


def test_a_division_by_zero_is_reported_by_the_reference() -> None:
    rubric = loads("标准 除 { 事实 人数: 计数 类型 甲 10分 { 项目 人均 10分 { 得分 = 20 / 人数 } } }")
    assert rubric.evaluate({"人数": 4}).total == 5  # 20 / 4
    assert rubric.evaluator.fast({"人数": 0}) is None
    with pytest.raises(EvidenceError) as caught:
        rubric.evaluate({"人数": 0})
    assert [d.code for d in caught.value.diagnostics] == ["E510"]


def test_a_left_out_item_lowers_the_maximum_on_the_fast_path() -> None:
    rubric = loads("标准 适 { 事实 有: 是否 类型 甲 10分 { 项目 一 6分 { 不适用 如果 非 有 } 项目 二 4分 { } } }")
    result = rubric.evaluate({"有": False})
    assert (result.total, result.max) == (4, 4)  # 一 is 不适用: 6 points leave the maximum
    assert [(i.name, i.applicable, i.max) for i in result.items] == [("一", False, 0), ("二", True, 4)]
