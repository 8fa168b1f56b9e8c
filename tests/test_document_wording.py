"""The 评分表's own wording in the language (issue, part 1, first slice): numbers glued to their
keyword (`扣1分`), the document's comparison and negation words (`不足`, `未达到`, `没有`, `未`)
as keyword spellings, names that still read as names, and the formatter keeping the author's
spelling while the meaning survives every round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starrules import check_text, parse
from starrules.lang import keywords as kwmod
from starrules.lang.formatter import format_text
from starrules.lang.keywords import DOCUMENT_SPELLINGS, document_word, glued_keyword, keyword_forms, keywords
from starrules.lang.parser import is_bare_name

HEAD = "标准 R {{ 事实 n: 数值 事实 x: 是否 类型 S 10分 {{ 项目 I 10分 {{ {} }} }} }}"


def item(clauses: str) -> str:
    return HEAD.format(clauses)


def same(a: str, b: str) -> None:
    """Both texts parse, to trees equal without spans and spellings, and check without errors."""
    assert parse(a).blocks == parse(b).blocks
    assert [d.render() for d in check_text(a).errors] == []


# ── 1. numbers glued to their keyword ────────────────────────────────────────

GLUED = [  # (as the document prints it, spaced)
    (item("扣1分 如果 x"), item("扣 1分 如果 x")),
    (item("扣0.5分 如果 x"), item("扣 0.5分 如果 x")),
    (item("扣2 如果 x"), item("扣 2 如果 x")),
    (item("得2分 如果 x"), item("得 2分 如果 x")),
    (item("加1分 如果 x"), item("加 1分 如果 x")),
    (item("起评3分 得1分 如果 x"), item("起评 3分 得 1分 如果 x")),
    (item("最多扣3分 扣1分 如果 x"), item("最多扣 3分 扣 1分 如果 x")),
    (item("每3 n 扣1分 扣完为止"), item("每 3 n 扣 1分 扣完为止")),
    (item("每 n 扣1分 扣完为止"), item("每 n 扣 1分 扣完为止")),
    (item("酌情0分 至10分"), item("酌情 0分 至 10分")),
    (item("扣1分 如果 n 少于3"), item("扣 1分 如果 n 少于 3")),
    (item("扣1分 如果 n 不低于60%"), item("扣 1分 如果 n 不低于 60%")),
    (item("扣1分 如果 n 超过3 + n"), item("扣 1分 如果 n 超过 3 + n")),
    (item("扣1分 如果 n 不足3分"), item("扣 1分 如果 n 少于 3分")),
    ("标准 R { 满分100 精度0.5 折算100 类型 S 100分 达标60分 权重100% { 项目 I 100分 { } } }",
     "标准 R { 满分 100 精度 0.5 折算 100 类型 S 100分 达标 60分 权重 100% { 项目 I 100分 { } } }"),
    ("标准 R { 满分10 类型 S 10分 { 项目 I 10分 { } } 加分项 最多5分 { 项目 J 5分 { } } }",
     "标准 R { 满分 10 类型 S 10分 { 项目 I 10分 { } } 加分项 最多 5分 { 项目 J 5分 { } } }"),
    ("等级 X { 甲 >= 90分 乙 降档1 如果 未达标类型数 >= 1 } 措施 X { 连续2年 乙: \"m\" } 排名 X { 倒排10% 为 乙 其他 }",
     "等级 X { 甲 >= 90分 乙 降档 1 如果 未达标类型数 >= 1 } 措施 X { 连续 2 年 乙: \"m\" } "
     "排名 X { 倒排 10% 为 乙 其他 }"),
    ("標準 R { 滿分10 類型 S 10分 { 項目 I 10分 { 扣1分 如果 是 最多扣2分 } } }",
     "標準 R { 滿分 10 類型 S 10分 { 項目 I 10分 { 扣 1分 如果 是 最多扣 2分 } } }"),
]


@pytest.mark.parametrize(("glued", "spaced"), GLUED)
def test_a_number_glued_to_its_keyword_reads_as_with_a_space(glued: str, spaced: str) -> None:
    if "等级 X" in glued:
        assert parse(glued).blocks == parse(spaced).blocks
    else:
        same(glued, spaced)


def test_full_width_digits_glue_as_ascii_ones() -> None:
    same(item("扣１分 如果 n 不足３"), item("扣 1分 如果 n 少于 3"))


NAMES = [  # a keyword, a digit, then more of the word: one name, as before
    "扣1分项", "得2分率", "满分100分制", "最多3项", "每2缺学时", "人数不足3", "deduct1", "第1项",
]  # 不足3人 is no longer one: a comparison word's number may carry its unit (tests/test_document_clauses.py)


@pytest.mark.parametrize("name", NAMES)
def test_a_name_that_starts_with_a_keyword_and_a_number_is_still_a_name(name: str) -> None:
    text = f"标准 R {{ 事实 {name}: 数值 类型 S 10分 {{ 项目 I 10分 {{ 扣 1分 如果 {name} > 1 }} }} }}"
    assert [d.render() for d in check_text(text).errors] == []
    assert is_bare_name(name) and glued_keyword(name) is None


@pytest.mark.parametrize("name", ["扣1分", "满分100", "不足3", "连续2年", "最多扣0.5分", "不足3人"])
def test_a_name_that_is_a_keyword_and_a_number_must_be_quoted(name: str) -> None:
    assert glued_keyword(name) is not None and not is_bare_name(name)
    text = f'标准 R {{ 事实 "{name}": 数值 类型 S 10分 {{ 项目 I 10分 {{ 扣 1分 如果 "{name}" > 1 }} }} }}'
    assert [d.render() for d in check_text(text).errors] == []
    assert f'"{name}"' in format_text(text)


def test_a_number_glued_to_a_following_word_is_not_a_glued_keyword() -> None:
    # 扣1分如果: the 分 must end the word, so this is the keyword-less name 扣1分如果 and a syntax error
    assert check_text(item("扣1分如果 x")).errors


# ── 2. the document's comparison and negation words ─────────────────────────


def _canonical(terminal: str) -> str:
    kw = keywords()[terminal]
    assert kw.simplified is not None
    return kw.simplified


@pytest.mark.parametrize(("word", "terminal"), sorted(DOCUMENT_SPELLINGS.items()))
def test_each_document_word_reads_as_its_keyword(word: str, terminal: str) -> None:
    canonical = _canonical(terminal)
    if terminal == "K_NOT":
        same(item(f"扣1分 如果 {word} x 且 {word} (n > 1)"), item(f"扣 1分 如果 {canonical} x 且 {canonical} (n > 1)"))
    else:
        same(item(f"扣1分 如果 n {word} 3"), item(f"扣 1分 如果 n {canonical} 3"))
        same(item(f"扣1分 如果 n {word}3"), item(f"扣 1分 如果 n {canonical} 3"))


def test_the_document_words_are_spellings_of_their_keyword_and_no_longer_hints() -> None:
    for word, terminal in DOCUMENT_SPELLINGS.items():
        kw = keywords()[terminal]
        assert word in kw.document and word in kw.forms, word
        assert word not in (kw.simplified, kw.traditional, kw.english), word
        assert word in keyword_forms() and document_word(word) is None, word
        assert word not in kwmod.DOCUMENT_WORDS and word not in kwmod.NEGATION_WORDS, word
    # the simplified and traditional forms are still the keyword's own
    assert (keywords()["K_FEWER"].simplified, keywords()["K_FEWER"].traditional) == ("少于", "少於")
    assert (keywords()["K_NOT"].simplified, keywords()["K_NOT"].traditional, keywords()["K_NOT"].english) == \
        ("非", "非", "not")


LONGER = ["未设立", "没有问题数", "没有党员", "未达标", "不足额", "不到位", "未满员", "小于号", "大于等于号", "未配备管理员"]


@pytest.mark.parametrize("name", LONGER)
def test_a_name_that_contains_a_document_word_is_still_a_name(name: str) -> None:
    text = f"标准 R {{ 事实 {name}: 是否 类型 S 10分 {{ 项目 I 10分 {{ 扣 1分 如果 {name} 且 非 {name} }} }} }}"
    assert [d.render() for d in check_text(text).errors] == []
    assert is_bare_name(name)


def test_keywords_that_start_with_a_document_word_keep_their_meaning() -> None:
    text = item("每 未满足数[x, 是] 扣1分 扣完为止")
    same(text, item("每 count_false[x, true] 扣 1分 扣完为止"))
    same("等级 X { 甲 >= 90分 乙 降档 1 如果 未达标类型数 >= 1 } 标准 R { 等级 X 类型 S 100分 { 项目 I 100分 { } } }",
         "等级 X { 甲 >= 90分 乙 降档 1 如果 sections_below_pass >= 1 } 标准 R { 等级 X 类型 S 100分 { 项目 I 100分 { } } }")


def test_a_name_equal_to_a_document_word_is_quoted() -> None:
    text = '标准 R { 事实 域: 选项("未", 已) 类型 S 10分 { 项目 I 10分 { 扣 1分 如果 域 = "未" } } }'
    assert [d.render() for d in check_text(text).errors] == []
    assert '域 = "未"' in format_text(text) and not is_bare_name("未")


# ── 3. the two items of the issue, as the 村(社区) table prints them ──────────

SEED = """\
标准 村社区 {
    满分8
    事实 党员学习学时: 数值
    事实 班子成员学习学时: 数值
    事实 班子成员参加集中培训: 是否
    事实 远程教育站点有管理员: 是否
    事实 社区用房达标: 是否
    事实 功能室达到要求: 是否
    事实 大讲堂缺少项数: 计数

    类型 党员教育管理 3分 {
        项目 党员教育培训 3分 {
            扣1分 如果 党员学习学时 不足24
            扣1分 如果 班子成员学习学时 不足24
            扣2分 如果 没有 班子成员参加集中培训
            扣1分 如果 未 远程教育站点有管理员
            扣完为止
        }
    }

    类型 场地建设管理使用 5分 {
        项目 建设标准 5分 {
            扣2分 如果 没有 社区用房达标
            扣2分 如果 未 功能室达到要求
            每 大讲堂缺少项数 扣1分
            扣完为止
        }
    }
}
"""


def test_the_issues_items_check_clean_as_the_document_words_them() -> None:
    report = check_text(SEED, "村社区.rubric")
    assert [d.render() for d in report.diagnostics] == []
    canonical = (SEED.replace("扣1分", "扣 1分").replace("扣2分", "扣 2分").replace("满分8", "满分 8")
                 .replace("不足24", "少于 24").replace("没有 ", "非 ").replace("未 ", "非 "))
    assert parse(SEED).blocks == parse(canonical).blocks


def test_the_issues_items_score_as_written() -> None:
    from starrules import loads
    rubric = loads(SEED)
    evidence = {"党员学习学时": 20, "班子成员学习学时": 30, "班子成员参加集中培训": False, "远程教育站点有管理员": True,
                "社区用房达标": True, "功能室达到要求": False, "大讲堂缺少项数": 1}
    result = rubric.evaluate(evidence)
    assert result.item("党员教育培训").score == 0  # 1 + 2 deducted from 3
    assert result.item("建设标准").score == 2  # 2 + 1 deducted from 5


# ── 4. the formatter keeps the author's spelling ─────────────────────────────


def test_the_formatter_keeps_glued_numbers_and_document_words() -> None:
    assert format_text(SEED) == SEED
    spaced = item("扣 1分 如果 n 不足 3 且 没有 x")
    assert "扣 1分 如果 n 不足 3 且 没有 x" in format_text(spaced)


def test_an_english_file_writes_symbols_and_spaces() -> None:
    text = "rubric R { fact n: number fact x: bool section S 10 { item I 10 { deduct 1 if n 不足3 and 没有 x } } }"
    formatted = format_text(text)
    assert "deduct 1 if n < 3 and not x" in formatted
    assert parse(formatted).blocks == parse(text).blocks


# ── 5. round trips: document wording → parse → format → parse ───────────────

_LESS = ["少于", "低于", "不足", "不到", "未达到", "未达", "未满", "小于", "少於", "未達到", "<"]
_MORE = ["超过", "高于", "大于", "多于", ">"]
_NOT = ["非", "没有", "沒有", "未"]
_POINTS = st.sampled_from(["1", "2", "0.5", "3", "10"])
_GAP = st.sampled_from(["", " ", "  "])


@st.composite
def _condition(draw: st.DrawFn) -> str:
    compare = draw(st.sampled_from(_LESS + _MORE))
    value = draw(_POINTS) + draw(st.sampled_from(["", "分"]))
    gap = " " if compare in "<>" else draw(_GAP) or ""
    text = f"n {compare}{gap}{value}"
    if draw(st.booleans()):
        text = f"{draw(st.sampled_from(_NOT))} x {draw(st.sampled_from(['且', '或']))} {text}"
    return text


@st.composite
def _clause(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["扣", "得", "加", "每", "最多扣", "起评"]))
    gap = draw(_GAP) or ""
    points = draw(_POINTS) + draw(st.sampled_from(["", "分"]))
    if kind == "每":
        step = draw(st.sampled_from(["", "2", "3"]))
        per = f"每{draw(_GAP)}{step} n" if step else "每 n"
        return f"{per} 扣{gap}{points}"
    if kind in ("最多扣", "起评"):
        return f"{kind}{gap}{points}"
    return f"{kind}{gap}{points} 如果 {draw(_condition())}"


@settings(max_examples=200, deadline=None)
@given(st.lists(_clause(), min_size=1, max_size=5), st.sampled_from(["满分10", "满分 10"]))
def test_document_wording_round_trips(clauses: list[str], total: str) -> None:
    text = f"标准 R {{ {total} 事实 n: 数值 事实 x: 是否 类型 S 10分 {{ 项目 I 10分 {{ {' '.join(clauses)} }} }} }}"
    tree = parse(text)
    once = format_text(text)
    assert parse(once) == tree  # same meaning (spans and spellings aside)
    assert format_text(once) == once  # and the author's spelling is stable
    for clause in clauses:  # every glued number and document word is still written as the author wrote it
        for word in clause.split():  # (a points literal gains its 分; 少於 follows the file's script, as before)
            if word not in ("如果", "且", "或", "n", "x", "每") and not word[0].isdigit() and "少於" not in word:
                assert word.removesuffix("分") in once, (word, once)
