"""The 评分表's own clause order and counting words (issue 21, this slice): a condition written first
(`应建未建党组织的不得分`, `X的,扣1分`) is the canonical `动作 如果 条件`; `[…] 有一项不符合的 扣1分` is
`每 未满足数[…] 扣1分`; `X 不足6项的 每少1项扣1分` is `每1 (6项 - X) 扣1分`; a comparison word glued to a
number with its unit (`不足24学时`) reads as the word and the number. The formatter writes back what the
author wrote; the meaning survives the round trip; errors are located and hinted in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starrules import check_text, loads, parse
from starrules.lang import ast
from starrules.lang.formatter import format_text

DOCS = Path(__file__).resolve().parents[1] / "docs"
FACTS = ('事实 x: 是否\n    事实 y: 是否\n    事实 n: 计数 单位 "项"\n    事实 学时: 数值 单位 "学时"\n'
         '    事实 率: 比例\n    事实 目的: 是否')


def item(*clauses: str) -> str:
    """A whole file in the formatter's layout: six facts on lines 2-7, a blank line, 类型 on 9, 项目 on 10,
    the clauses on lines 11, 12 … from column 13."""
    body = "".join(f"            {c}\n" for c in clauses)
    return f"标准 R {{\n    {FACTS}\n\n    类型 S 10分 {{\n        项目 I 10分 {{\n{body}        }}\n    }}\n}}\n"


def clauses(text: str) -> tuple[ast.Clause, ...]:
    rubric = parse(text).blocks[0]
    assert isinstance(rubric, ast.Rubric)
    section = rubric.body[-1]
    assert isinstance(section, ast.Section)
    return section.items[0].clauses


def errors(text: str) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.span.line, d.span.column, d.hint or "") for d in check_text(text, "t.rubric").errors]


# ── 1. each form is its canonical clause ─────────────────────────────────────

SAME = [  # (as the 评分表 prints it, the canonical clause)
    ("x的不得分", "不得分 如果 x"),
    ("x的 不得分", "不得分 如果 x"),
    ("x的,不得分", "不得分 如果 x"),
    ("x的, 不得分", "不得分 如果 x"),
    ("x的扣1分", "扣1分 如果 x"),
    ("x的 扣 0.5分", "扣 0.5分 如果 x"),
    ("未 x的扣1分", "扣1分 如果 未 x"),
    ("没有 x 或 y的,扣2分", "扣2分 如果 没有 x 或 y"),
    ("(x 或 y) 且 n > 1的 扣1分", "扣1分 如果 (x 或 y) 且 n > 1"),
    ("x的得2分", "得2分 如果 x"),
    ("x的加2分", "加2分 如果 x"),
    ("x的不适用", "不适用 如果 x"),
    ("x的 不適用", "不适用 如果 x"),
    ("率 少于 60%的 扣1分", "扣1分 如果 率 少于 60%"),
    ("n 不足3的不得分", "不得分 如果 n < 3"),
    ("学时 不足24学时的扣1分", "扣1分 如果 学时 少于 24"),
    ("x = 是的 不得分", "不得分 如果 x = 是"),
    ('"目的"的 不得分', "不得分 如果 目的"),
    ("若 x 则 y 否则 n > 1的 扣1分", "扣1分 如果 若 x 则 y 否则 n > 1"),
    ("n 不足6项的 每少1项扣1分", "每1 (6 - n) 扣1分"),
    ("n 不足6项的 每少1项 扣1分", "每1 (6 - n) 扣1分"),
    ("n 少于 6的,每少2 扣 1分", "每2 (6 - n) 扣 1分"),
    ("学时 < 24学时的 每少0.5学时 扣1分", "每0.5 (24 - 学时) 扣1分"),
    ("[x, y, n > 1] 有一项不符合的 扣1分", "每 未满足数[x, y, n > 1] 扣1分"),
    ("[x, y]有一項不符合的,扣1分", "每 未满足数[x, y] 扣1分"),
]


@pytest.mark.parametrize(("written", "canonical"), SAME)
def test_a_clause_as_printed_is_its_canonical_clause(written: str, canonical: str) -> None:
    assert clauses(item(written)) == clauses(item(canonical))
    assert errors(item(written)) == []


def test_full_width_comma_and_glued_parts_read_the_same() -> None:
    assert clauses(item("x的,不得分")) == clauses(item("不得分 如果 x"))
    assert clauses(item("应建未建的不得分".replace("应建未建", "x"))) == clauses(item("x 的 不得分"))


def test_the_spelling_is_kept_in_fields_outside_equality() -> None:
    zero, deduct, short, each = clauses(item("x的不得分", "x的, 扣1分", "n 不足6项的 每少1项扣1分",
                                             "[x, y] 有一项不符合的 扣1分"))
    assert isinstance(zero, ast.Zero) and zero.lead == "的" and zero == ast.Zero(ast.NameRef("x"))
    assert isinstance(deduct, ast.DeductIf) and deduct.lead == "的, "
    assert isinstance(short, ast.DeductPer) and (short.form, short.lead) == ("short_glued", "的 ")
    assert short.step is not None and (short.step.text, short.step.label) == ("1", "项")
    six = ast.Number("6")
    assert short == ast.DeductPer(ast.Number("1"), ast.Binary("-", six, ast.NameRef("n")), ast.Number("1"))
    assert isinstance(each, ast.DeductPer) and each.form == "each"
    assert each.per == ast.ListCall("count_false", (ast.NameRef("x"), ast.NameRef("y")))


@pytest.mark.parametrize("written", [w for w, _ in SAME if "," not in w and "(x" not in w] + [
    "x的, 不得分", "没有 x 或 y的, 扣2分", "n 少于 6的, 每少2 扣 1分", "[x, y, n > 1] 有一项不符合的 扣1分",
    "(x 或 y) 且 n > 1的 扣1分"])
def test_the_formatter_writes_a_clause_back_as_written(written: str) -> None:
    text = item(written)
    if written.startswith('"目的"'):  # a name ending in 的 needs no quotes before a 的 of its own
        text = item("目的的 不得分")
    if "不適用" in written:  # one traditional keyword in a simplified file is written simplified
        text = item(written.replace("不適用", "不适用"))
    assert format_text(text) == text


def test_the_formatter_glues_a_spaced_de_to_its_condition() -> None:
    assert format_text(item("x 的 不得分")) == item("x的 不得分")
    assert format_text(item("x 的,扣1分")) == item("x的,扣1分")


def test_an_english_file_is_written_in_the_canonical_order() -> None:
    text = "rubric R { fact x: bool fact n: count section S 2 { item I 2 { x的 zero n < 6的 每少1 deduct 1 } } }"
    formatted = format_text(text)
    assert "zero if x" in formatted and "per 1 (6 - n) deduct 1" in formatted
    assert parse(formatted).blocks == parse(text).blocks


# ── 2. round trips over generated clauses in both orders ────────────────────

_ACTIONS = {"不得分": "不得分", "扣": "扣{}分", "得": "得{}分", "加": "加{}分", "不适用": "不适用"}


@st.composite
def _condition(draw: st.DrawFn) -> str:
    atom = draw(st.sampled_from(["x", "y", "未 x", "没有 y", "n > 1", "n 不足3", "n 不足3项", "学时 不足24学时",
                                 "率 少于 60%", "x = 是", '"目的"', "目的", "(x 或 y)"]))
    if draw(st.booleans()):
        return f"{atom} {draw(st.sampled_from(['且', '或']))} {draw(_condition())}"
    return atom


@st.composite
def _clause(draw: st.DrawFn) -> tuple[str, str]:
    """(the clause written condition first or in the canonical order, the canonical clause)."""
    kind = draw(st.sampled_from(["action", "action", "action", "short", "each"]))
    points = draw(st.sampled_from(["1", "0.5", "2"]))
    lead = draw(st.sampled_from(["的", "的 ", "的,", "的, "]))
    if kind == "short":
        unit = draw(st.sampled_from(["", "项"]))
        total, step = draw(st.sampled_from(["6", "3"])), draw(st.sampled_from(["1", "2"]))
        glued = draw(st.booleans())
        written = f"n 不足{total}{unit}{lead}每少{step}{unit}{'' if glued else ' '}扣{points}分"
        return written, f"每{step} ({total} - n) 扣{points}分"
    if kind == "each":
        listed = ", ".join(draw(st.lists(_condition(), min_size=1, max_size=3)))
        return f"[{listed}] 有一项不符合{lead}扣{points}分", f"每 未满足数[{listed}] 扣{points}分"
    word = draw(st.sampled_from(sorted(_ACTIONS)))
    action = _ACTIONS[word].format(points)
    condition = draw(_condition())
    canonical = f"{action} 如果 {condition}"
    return (f"{condition}{lead}{action}" if draw(st.booleans()) else canonical), canonical


@settings(max_examples=200, deadline=None)
@given(st.lists(_clause(), min_size=1, max_size=5))
def test_clauses_in_both_orders_round_trip(drawn: list[tuple[str, str]]) -> None:
    # one clause a line, as the formatter writes them (目的 ends a canonical clause at a line's end)
    text = item(*(w for w, _ in drawn))
    tree = parse(text)
    assert [d.render() for d in check_text(text).errors] == []
    assert tree.blocks == parse(item(*(c for _, c in drawn))).blocks  # the meaning of the canonical form
    once = format_text(text)
    assert parse(once) == tree  # meaning-preserving
    assert format_text(once) == once  # formatting twice changes nothing
    lines = [line[12:] for line in once.split("\n") if line.startswith(" " * 12)]
    assert len(lines) == len(drawn)
    for line, (written, canonical) in zip(lines, drawn):  # the author's order and 的 are kept
        if written == canonical:
            assert "如果" in line or line.startswith("每")
        else:
            tail = written[written.rindex("的"):]  # 的, what follows it and the action, as written
            assert "如果" not in line and not line.startswith("每") and line.endswith(tail), (line, written)


def test_the_round_trip_keeps_a_condition_first_after_a_clause_that_would_take_its_start() -> None:
    """`-n > 1的 …` after a clause ending in an expression, and a number or string first after 酌情, are
    written in parentheses: on one line the clause before would read them as its own."""
    for text in (item("扣1分 如果 x", "(-n < -1)的 不得分"), item("酌情", '("目的")的 扣1分'),
                 item("酌情", "(3 > n)的 扣1分")):
        once = format_text(text)
        assert parse(once).blocks == parse(text).blocks and format_text(once) == once
        assert parse(" ".join(once.split("\n"))).blocks == parse(text).blocks  # the lines joined: the same


# ── 3. names ending in 的, names with digits ─────────────────────────────────


def test_a_name_ending_in_de_stays_a_name_where_no_action_follows() -> None:
    text = item("扣1分 如果 目的", "扣1分 如果 目的 且 x")
    assert errors(text) == []
    assert format_text(text) == text
    first, second = clauses(text)
    assert isinstance(first, ast.DeductIf) and first.condition == ast.NameRef("目的")
    assert isinstance(second, ast.DeductIf) and second.condition == ast.And((ast.NameRef("目的"), ast.NameRef("x")))


def test_a_name_ending_in_de_before_an_action_is_quoted() -> None:
    # 目的的 不得分: the last 的 is the clause's; "目的"的 不得分 means the same
    assert clauses(item("目的的 不得分")) == clauses(item('"目的"的 不得分')) == clauses(item("不得分 如果 目的"))
    # after 每 the formatter quotes it: 每 目的 扣1分 would read as 目 and a 的
    text = '标准 R { 事实 违规的: 计数 类型 S 2分 { 项目 I 2分 { 每 "违规的" 扣1分 } } }'
    assert errors(text) == []
    assert '每 "违规的" 扣1分' in format_text(text)
    assert parse(format_text(text)).blocks == parse(text).blocks


@pytest.mark.parametrize("name", ["党员2人", "第2项", "学时2", "a2b", "扣1分项"])
def test_a_name_with_digits_before_de_is_the_condition(name: str) -> None:
    text = f'标准 R {{ 事实 {name}: 是否 类型 S 2分 {{ 项目 I 2分 {{ {name}的不得分 }} }} }}'
    assert errors(text) == []
    assert clauses(text) == (ast.Zero(ast.NameRef(name)),)


def test_a_comparison_word_glued_to_a_number_and_unit_is_no_name() -> None:
    assert clauses(item("扣1分 如果 学时 不足24学时")) == clauses(item("扣1分 如果 学时 不足 24学时"))
    assert clauses(item("扣1分 如果 学时 低于24学时")) == clauses(item("扣1分 如果 学时 < 24"))
    # a fact so named is written in quotes, and the formatter quotes it
    text = '标准 R { 事实 "不足3人": 是否 类型 S 2分 { 项目 I 2分 { 扣1分 如果 "不足3人" } } }'
    assert errors(text) == [] and '"不足3人"' in format_text(text)


# ── 4. errors: code, line, column, hint ─────────────────────────────────────
# the clause is on line 11 from column 13 (12 spaces); one Chinese character is one column


def test_de_followed_by_no_action_is_e002_at_what_follows() -> None:
    # 应(13)建(14)未(15)建(16)的(17) (18) 好(19)
    [(code, line, column, hint)] = errors(item("应建未建的 好"))
    assert (code, line, column) == ("E002", 11, 19)
    assert "“的”后面应紧跟动作" in hint and "不得分" in hint and "扣N分" in hint


def test_de_with_nothing_after_it_is_e002_at_the_closing_brace() -> None:
    # line 12 is `        }`: the brace at column 9
    [(code, line, column, hint)] = errors(item("应建未建的"))
    assert (code, line, column) == ("E002", 12, 9) and "“的”后面应紧跟动作" in hint


def test_de_and_a_comma_with_nothing_after_is_e002() -> None:
    # x(13)的(14),(15): the 的 is a name's last character, the comma cannot follow a name
    [(code, line, column, hint)] = errors(item("x的,"))
    assert (code, line, column) == ("E002", 11, 15) and "“的”后面应紧跟动作" in hint


def test_an_action_on_the_next_line_after_de_is_e002() -> None:
    (code, line, column, hint), *_ = errors(item("x的", "不得分"))  # then the recovery's 不得分 wants 如果
    assert (code, line, column) == ("E002", 12, 13) and "同一行" in hint


def test_a_condition_first_without_de_is_e002_at_the_action() -> None:
    # x(13) (14)且(15) (16)n(17) (18)>(19) (20)1(21) (22)扣(23)
    found = errors(item("x 且 n > 1 扣1分"))
    assert found[0][:3] == ("E002", 11, 23) and "X的 扣" in found[0][3]


def test_de_where_no_condition_comes_first_is_e002_with_the_quotes_hint() -> None:
    # 扣(13)1(14)分(15) (16)如(17)果(18) (19)目(20)的(21)
    d = check_text(item("扣1分 如果 目的 不得分 如果 x"), "t.rubric").errors[0]
    assert (d.code, d.span.line, d.span.column) == ("E002", 11, 21)
    assert d.message == "这里不应出现关键字“的”" and '"目的"' in (d.hint or "")


def test_per_short_after_no_fewer_than_comparison_is_e002_at_the_comparison() -> None:
    # n(13) (14)超(15)过(16)6(17)项(18)的(19): the comparison n 超过6项 spans 13-19
    d = check_text(item("n 超过6项的 每少1项 扣1分"), "t.rubric").errors[0]
    assert (d.code, d.span.line, d.span.column, d.span.end_column) == ("E002", 11, 13, 19)
    assert "少于" in d.message and "每少1项" in (d.hint or "")


def test_per_short_with_another_unit_is_e307_at_the_unit() -> None:
    # n(13) (14)不(15)足(16)6(17)项(18)的(19) (20)每(21)少(22)1(23)天(24)
    [(code, line, column, hint)] = errors(item("n 不足6项的 每少1天 扣1分"))
    assert (code, line, column) == ("E307", 11, 24) and "每少1项" in hint


def test_per_short_beside_a_total_that_is_no_number_takes_no_unit() -> None:
    text = item("n 不足 n + 1的 每少1项 扣1分")
    assert [c for c, *_ in errors(text)] == ["E307"]
    assert errors(item("n 不足 n + 1的 每少1 扣1分")) == []


# ── 5. the two items of the 村(社区) table, as printed, score what the document says ──
# 县委组织部《基层党组织争先创优活动实施方案(范文)》附件1 村(社区)党组织评定标准: 党员教育培训 (3分) and
# 建设标准 (5分); the rubric is the one docs/language.md shows under “照评分表写”.


def _document_rubric() -> str:
    blocks = re.findall(r"```rubric\n(.*?)```", (DOCS / "language.md").read_text("utf-8"), re.DOTALL)
    [text] = [b for b in blocks if b.startswith("标准 照评分表写")]
    return text


def test_the_documents_example_checks_clean_and_formats_as_written() -> None:
    text = _document_rubric()
    assert [d.render() for d in check_text(text).diagnostics] == []
    assert format_text(text) == text
    assert "党员学习学时 不足24学时的扣1分" in text and "大讲堂具备项数 不足6项的 每少1项扣1分" in text


TRAINING = [  # (党员学时, 班子学时, 班子参加集中培训, 站点有管理员, 站点设备齐全) → score, worked by hand
    ((30, 30, True, True, True), 3),  # nothing short
    ((20, 24, True, True, False), 1),  # 20 < 24: −1; 24 is not short; equipment missing: −1
    ((24, 23, True, False, True), 1),  # 班子 23 < 24: −1; no administrator: −1
    ((23.5, 10, False, False, False), 0),  # −1 −1 −2 −1 (the station's −1 once) = −5: 扣完为止 at 0
    ((24, 24, False, True, True), 1),  # no centralised training: −2
]
SITE = [  # (社区用房达标, 功能室达到要求, 大讲堂具备项数) → score, worked by hand
    ((True, True, 6), 5),  # all six 有
    ((True, True, 4), 3),  # two short: −2
    ((False, True, 5), 2),  # −2, one short −1
    ((True, False, 7), 3),  # −2; seven is not short of six: nothing
    ((False, False, 0), 0),  # −2 −2 −6 = −10: 扣完为止 at 0
]


@pytest.mark.parametrize(("training", "site"), list(zip(TRAINING, SITE)))
def test_the_two_items_score_what_the_document_says(training: tuple[tuple[object, ...], int],
                                                     site: tuple[tuple[object, ...], int]) -> None:
    (member, leader, trained, admin, equipment), training_score = training
    (room, rooms, have), site_score = site
    evidence = {"党员学习学时": member, "班子成员学习学时": leader, "班子成员参加集中培训": trained,
                "远程教育站点有管理员": admin, "远程教育站点设备齐全": equipment, "社区用房达标": room,
                "功能室达到要求": rooms, "大讲堂具备项数": have}
    result = loads(_document_rubric()).evaluate(evidence)
    assert (result.item("党员教育培训").score, result.item("建设标准").score) == (training_score, site_score)
    assert result.total == training_score + site_score


def test_one_failing_meeting_deducts_one_point_each() -> None:
    """“党员大会、支委会、党小组会、党课有一项不符合规定的扣1分” (附件3, “三会一课” 4分)."""
    text = ("标准 R { 事实 党员大会按期: 是否 事实 支委会按期: 是否 事实 党小组会按期: 是否 事实 党课按期: 是否 "
            "类型 S 4分 { 项目 三会一课 4分 { [党员大会按期, 支委会按期, 党小组会按期, 党课按期] 有一项不符合的 扣1分 } } }")
    rubric = loads(text)
    names = ["党员大会按期", "支委会按期", "党小组会按期", "党课按期"]
    for failing, score in ((0, 4), (1, 3), (2, 2), (4, 0)):  # by hand: 4 − one point per failing meeting
        evidence = {name: index >= failing for index, name in enumerate(names)}
        assert rubric.evaluate(evidence).item("三会一课").score == score
