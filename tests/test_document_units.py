"""Units after numbers, as the 评分表 prints them (issue, part 1, next slice): `32学时`, `500㎡`
beside a fact that declares `单位 "学时"` read as the bare number; the unit is a label the checker
matches against the compared fact's 单位 (E307 otherwise), never a conversion; `分` after a number
keeps its meaning (points); names with digits and unit words stay names; the formatter keeps the
unit as written and the meaning survives the round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starrules import check_text, loads, parse
from starrules.lang import ast
from starrules.lang.formatter import format_text

FACTS = '事实 学时: 数值 单位 "学时" 事实 面积: 数值 单位 "㎡" 事实 天数: 计数 单位 "天" 事实 次数: 计数 事实 x: 是否'
HEAD = "标准 R {{ " + FACTS + " 类型 S 10分 {{ 项目 I 10分 {{ {} 扣完为止 }} }} }}"


def item(clauses: str) -> str:
    return HEAD.format(clauses)


def errors(text: str) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.span.line, d.span.column, d.hint or "") for d in check_text(text, "t.rubric").errors]


# ── 1. a glued unit reads as the bare number ────────────────────────────────

SAME = [  # (with the unit, without)
    (item("扣1分 如果 学时 少于 32学时"), item("扣1分 如果 学时 少于 32")),
    (item("扣1分 如果 学时 不足 32学时"), item("扣1分 如果 学时 < 32")),
    (item("扣1分 如果 面积 >= 500㎡"), item("扣1分 如果 面积 >= 500")),
    (item("扣1分 如果 32学时 > 学时"), item("扣1分 如果 32 > 学时")),
    (item("扣1分 如果 学时 少于 12.5学时 且 天数 超过 3天"), item("扣1分 如果 学时 少于 12.5 且 天数 超过 3")),
    (item("扣1分 如果 学时 + 8学时 < 40"), item("扣1分 如果 学时 + 8 < 40")),
    (item("扣1分 如果 天数 属于 [1天, 2天]"), item("扣1分 如果 天数 属于 [1, 2]")),
    (item("扣1分 如果 學時 少於 32學時".replace("學時", "学时")), item("扣1分 如果 学时 少于 32")),
]


@pytest.mark.parametrize(("united", "bare"), SAME)
def test_a_glued_unit_parses_to_the_bare_number(united: str, bare: str) -> None:
    assert parse(united).blocks == parse(bare).blocks
    assert errors(united) == []


def test_the_unit_is_kept_in_a_field_outside_equality() -> None:
    rubric = parse(item("扣1分 如果 学时 少于 32学时")).blocks[0]
    assert isinstance(rubric, ast.Rubric)
    section = rubric.body[-1]
    assert isinstance(section, ast.Section)
    clause = section.items[0].clauses[0]
    assert isinstance(clause, ast.DeductIf) and isinstance(clause.condition, ast.Compare)
    number = clause.condition.right
    assert isinstance(number, ast.Number)
    assert (number.text, number.label, number.unit) == ("32", "学时", False)
    assert number == ast.Number("32")


def test_points_after_a_number_keep_their_meaning() -> None:
    """`分` is not a unit: `32分` is the number with its points word, as before — also beside a fact
    whose unit is 分, so there is one reading; `分钟` is an ordinary unit."""
    text = '标准 R { 事实 得分数: 数值 单位 "分" 事实 时长: 数值 单位 "分钟" 类型 S 2分 { 项目 I 2分 { ' \
           '扣1分 如果 得分数 少于 60分 扣1分 如果 时长 少于 30分钟 } } }'
    assert errors(text) == []
    rubric = parse(text).blocks[0]
    assert isinstance(rubric, ast.Rubric)
    section = rubric.body[-1]
    assert isinstance(section, ast.Section)
    first, second = (c.condition.right for c in section.items[0].clauses)  # type: ignore[attr-defined]
    assert (first.text, first.unit, first.label) == ("60", True, "")
    assert (second.text, second.unit, second.label) == ("30", False, "分钟")
    assert parse(item("扣1分 如果 学时 少于 32分")).blocks == parse(item("扣1分 如果 学时 少于 32")).blocks
    assert parse(item("扣 1pts 如果 学时 少于 3")).blocks == parse(item("扣 1 如果 学时 少于 3")).blocks


def test_a_number_glued_to_a_keyword_is_still_the_number_and_the_keyword() -> None:
    assert parse(item("扣1分 如果 学时 < 3且 x")).blocks == parse(item("扣1分 如果 学时 < 3 且 x")).blocks
    assert parse(item("扣1分 如果 学时 < 3或 x")).blocks == parse(item("扣1分 如果 学时 < 3 或 x")).blocks


# ── 2. the wrong unit, and a unit with nothing to match ──────────────────────


def test_a_different_unit_is_e307_at_the_unit_with_the_declared_unit_in_the_hint() -> None:
    text = '标准 R {\n    事实 学时: 数值 单位 "学时"\n    类型 S 2分 { 项目 I 2分 {\n        扣1分 如果 学时 少于 3天\n    } }\n}'
    # line 4: 8 spaces, 扣1分 (9-11), space, 如果 (13-14), space, 学时 (16-17), space, 少于 (19-20), space, 3 (22), 天 (23)
    [(code, line, column, hint)] = errors(text)
    assert (code, line, column) == ("E307", 4, 23)
    assert "“学时”的单位是“学时”" in hint and "3学时" in hint


def test_a_unit_beside_a_fact_without_one_is_e307() -> None:
    text = '标准 R {\n    事实 次数: 计数\n    类型 S 2分 { 项目 I 2分 {\n        扣1分 如果 次数 少于 3次\n    } }\n}'
    [(code, line, column, hint)] = errors(text)
    assert (code, line, column) == ("E307", 4, 23)
    assert "单位 \"次\"" in hint and "只写数字 3" in hint


def test_a_unit_beside_a_derived_value_or_alone_is_e307() -> None:
    text = "标准 R {\n    " + FACTS + "\n    令 y = 学时\n    类型 S 2分 { 项目 I 2分 {\n        得分 = 最小(2学时, 2)\n" \
           "        扣1分 如果 y > 2学时\n    } }\n}"
    found = [(c, line, col) for c, line, col, _ in errors(text) if c == "E307"]
    # line 5: 8 spaces, 得分 (9-10), space, = (12), space, 最小 (14-15), ( (16), 2 (17), 学时 (18)
    # line 6: 8 spaces, 扣1分 (9-11), space, 如果 (13-14), space, y (16), space, > (18), space, 2 (20), 学时 (21)
    assert found == [("E307", 5, 18), ("E307", 6, 21)]


def test_a_name_run_onto_a_number_is_told_to_take_a_space() -> None:
    text = item("每 2学时 扣1分")
    [(code, _, _, hint)] = errors(text)
    assert code == "E307" and "加空格" in hint and "2 学时" in hint


# ── 3. names stay names ──────────────────────────────────────────────────────


@pytest.mark.parametrize("name", ["第2学时", "学时2", "学时", "二〇二三年学时", "a2b"])
def test_names_with_digits_and_unit_words_are_still_names(name: str) -> None:
    text = f"标准 R {{ 事实 {name}: 数值 单位 \"学时\" 类型 S 2分 {{ 项目 I 2分 {{ 扣1分 如果 {name} 少于 32学时 }} }} }}"
    assert errors(text) == []
    formatted = format_text(text)
    assert f"事实 {name}: " in formatted and f"如果 {name} 少于 32学时" in formatted


def test_a_unit_must_be_glued() -> None:
    """`32 学时` is the number and then a name: a syntax error, as before."""
    assert [c for c, *_ in errors(item("扣1分 如果 学时 少于 32 学时"))] == ["E002"]


# ── 4. a rubric with units scores what it says ──────────────────────────────

SEED = """\
标准 场地与学习 {
    满分10
    事实 党员学习学时: 数值 单位 "学时"
    事实 活动场所面积: 数值 单位 "㎡"
    事实 培训天数: 计数 单位 "天"

    类型 学习与场地 10分 {
        项目 学习 5分 {
            扣2分 如果 党员学习学时 不足 32学时
            扣1分 如果 培训天数 少于 3天
            扣完为止
        }
        项目 场地 5分 {
            不得分 如果 活动场所面积 < 50㎡
            扣2分 如果 活动场所面积 少于 100㎡
        }
    }
}
"""


def test_a_rubric_with_units_scores_as_written() -> None:
    assert [d.render() for d in check_text(SEED).diagnostics] == []
    rubric = loads(SEED)
    # by hand: 24 < 32 deducts 2, 3 days is not fewer than 3; 80 ㎡ is not < 50 but < 100: 2 deducted
    result = rubric.evaluate({"党员学习学时": 24, "培训天数": 3, "活动场所面积": 80})
    assert (result.item("学习").score, result.item("场地").score) == (3, 3)
    # 32 学时 is exactly the line (a label, no conversion): nothing deducted; 2 days: 1 deducted; 40 ㎡: zero
    result = rubric.evaluate({"党员学习学时": 32, "培训天数": 2, "活动场所面积": 40})
    assert (result.item("学习").score, result.item("场地").score) == (4, 0)


def test_the_formatter_keeps_the_unit_as_written() -> None:
    assert format_text(SEED) == SEED


# ── 5. round trips ───────────────────────────────────────────────────────────

_FACT_UNITS = {"学时": "学时", "面积": "㎡", "天数": "天"}


@st.composite
def _condition(draw: st.DrawFn) -> str:
    fact = draw(st.sampled_from(sorted(_FACT_UNITS)))
    op = draw(st.sampled_from(["少于", "不足", "超过", "不低于", "<", ">=", "="]))
    value = draw(st.sampled_from(["1", "32", "0.5", "500"])) + draw(st.sampled_from(["", _FACT_UNITS[fact]]))
    text = f"{fact} {op} {value}" if draw(st.booleans()) else f"{value} {op} {fact}"
    if draw(st.booleans()):
        text = f"{text} {draw(st.sampled_from(['且', '或']))} {draw(_condition())}"
    return text


@settings(max_examples=150, deadline=None)
@given(st.lists(_condition(), min_size=1, max_size=4))
def test_units_round_trip(conditions: list[str]) -> None:
    text = item(" ".join(f"扣1分 如果 {c}" for c in conditions))
    tree = parse(text)
    assert errors(text) == []
    once = format_text(text)
    assert parse(once) == tree  # same meaning
    assert format_text(once) == once  # stable
    bare = text
    for unit in _FACT_UNITS.values():
        for digits in ("1", "32", "0.5", "500"):
            bare = bare.replace(f"{digits}{unit}", digits)
    assert parse(bare).blocks == tree.blocks  # the unit changes nothing
    for condition in conditions:  # every unit is still written where the author wrote it
        for word in condition.split():
            if word[0].isdigit():
                assert word in once, (word, once)
