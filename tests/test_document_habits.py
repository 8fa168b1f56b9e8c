"""Diagnostics that know how a printed 评分表 is written (issue: keyword typos, the document's own
words, IME punctuation, no cascades from one misspelt name, built-in schemes reported at the
user's line). Every line and column below was counted by hand from the source text: 1-based, a
Chinese character is one column."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from starrules import check_text, parse
from starrules.core.diagnostics import Diagnostic
from starrules.core.resources import BUILTIN_SCHEMES_DIR
from starrules.lang import keywords as kwmod
from starrules.lang.keywords import document_word, keyword_forms, keywords, near_keywords, typo_limit


def diagnostics(text: str) -> list[Diagnostic]:
    return list(check_text(text, "示例.rubric").diagnostics)


def only(text: str) -> Diagnostic:
    found = diagnostics(text)
    assert len(found) == 1, "\n\n".join(d.render() for d in found)
    return found[0]


def where(d: Diagnostic) -> tuple[str, int, int]:
    return d.code, d.span.line, d.span.column


# ── 1. keyword typos and the document's own words ────────────────────────────

TYPOS = [
    # (text, line, column, hint)
    ("标准 R { 类型 S 2分 { 项目 I 2分 { 不得份 如果 是 } } }", 1, 28, "是否想写“不得分”?"),
    ("标准 R { 类型 S 2分 { 项目 I 2分 { 扣 1分 若果 是 } } }", 1, 33, "是否想写“如果”?"),
    ("标准 R { 类型 S 2分 { 项目 I 2分 { deduc 1分 如果 是 } } }", 1, 28, "是否想写“deduct”?"),
    ("标准 R {\n    類型 S 2分 { 項目 I 2分 { 扣完為指 } }\n}", 2, 25,
     "是否想写“扣完為止”?;“扣完為指”被读作一个名称;如果“扣”是关键字,请在它后面加空格:“扣 完為指”"),
    ("标准 R { 滿份 10 }", 1, 8, "是否想写“滿分”?"),
    ("标准 R { 类型 S 2分 { 项木 I 2分 { } } }", 1, 18, "是否想写“项目”?"),
]


@pytest.mark.parametrize(("text", "line", "column", "hint"), TYPOS)
def test_a_misspelt_keyword_is_named(text: str, line: int, column: int, hint: str) -> None:
    d = only(text)
    assert where(d) == ("E002", line, column)
    assert d.hint == hint


def test_a_typo_of_a_keyword_that_does_not_fit_also_lists_what_does() -> None:
    # 满份 is near 满分, which is no clause: the hint names it, then what may be written here
    d = only("标准 R { 类型 S 2分 { 项目 I 2分 { 满份 10 } } }")
    assert where(d) == ("E002", 1, 28)
    assert d.hint is not None and d.hint.startswith("是否想写“满分”?此处应为:")


def test_a_keyword_run_into_a_name_is_named_only_where_it_fits() -> None:
    # 最多打 is one edit from 最多扣 (a clause) and starts with 最多 (no clause): the typo only
    d = only("标准 R { 类型 S 2分 { 项目 I 2分 { 最多打 1分 } } }")
    assert where(d) == ("E002", 1, 28)
    assert d.hint == "是否想写“最多扣”?"
    # 如果未设立 is near no keyword: the space is suggested as before
    d = only("标准 R { 事实 未设立: 是否 类型 S 2分 { 项目 I 2分 { 扣 1分 如果未设立 } } }")
    assert where(d) == ("E002", 1, 44)
    assert d.hint == "“如果未设立”被读作一个名称;如果“如果”是关键字,请在它后面加空格:“如果 未设立”"


DOCUMENT_WORDS = [
    # the word written where a keyword belongs (text, line, column, hint)
    ("标准 R { 事实 n: 数值 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 n > 1 并且 n < 3 } } }", 1, 51,
     "评分表里的“并且”在规则中写作“且”"),
    ("标准 R { 类型 S 2分 { 项目 I 2分 { 扣分 1分 如果 是 } } }", 1, 28,
     "评分表里的“扣分”在规则中写作“扣”"),
]
# words that were hints and are now spellings of the keyword (tests/test_document_wording.py)
PROMOTED = [("不足", "少于"), ("未达到", "少于"), ("大于", "超过")]


@pytest.mark.parametrize(("text", "line", "column", "hint"), DOCUMENT_WORDS)
def test_the_documents_word_names_the_keyword(text: str, line: int, column: int, hint: str) -> None:
    d = only(text)
    assert where(d) == ("E002", line, column)
    assert d.hint == hint


@pytest.mark.parametrize(("word", "keyword"), PROMOTED)
def test_a_promoted_document_word_now_reads_as_its_keyword(word: str, keyword: str) -> None:
    text = "标准 R { 事实 n: 数值 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 n {} 3 } } }"
    assert diagnostics(text.replace("{}", word)) == []
    assert parse(text.replace("{}", word)).blocks == parse(text.replace("{}", keyword)).blocks


@pytest.mark.parametrize("word", ["没有", "未"])
def test_a_promoted_negation_word_now_reads_as_not(word: str) -> None:
    text = "标准 R {{ 事实 x: 是否 类型 S 2分 {{ 项目 I 2分 {{ 扣 1分 如果 {} x }} }} }}"
    assert diagnostics(text.format(word)) == []
    assert parse(text.format(word)).blocks == parse(text.format("非")).blocks


@pytest.mark.parametrize("word", ["无"])
def test_a_negation_word_is_reported_where_it_is_written(word: str) -> None:
    d = only(f"标准 R {{ 事实 x: 是否 类型 S 2分 {{ 项目 I 2分 {{ 扣 1分 如果 {word} x }} }} }}")
    assert where(d) == ("E002", 1, 45)
    assert (d.span.end_line, d.span.end_column) == (1, 45 + len(word))
    assert d.message == f"“{word}”不是关键字"
    assert d.hint == f"评分表里的“{word}”在规则中写作“非”:非 x"


def test_a_name_before_an_error_that_is_no_negation_word_changes_nothing() -> None:
    d = only("标准 R { 事实 x: 是否 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 甲 x } } }")
    assert where(d) == ("E002", 1, 47) and d.message == "这里不应出现名称“x”"


def test_the_word_table_holds_no_keyword_and_maps_to_keywords() -> None:
    for word, terminal in kwmod.DOCUMENT_WORDS.items():
        assert terminal in keywords(), word
        assert word not in keyword_forms(), word  # already a spelling: the table must not hide it
    assert "K_NOT" in keywords()
    assert document_word("少于") is None  # a keyword is never a 评分表 word


def test_the_matcher_reads_the_keyword_table(monkeypatch: pytest.MonkeyPatch) -> None:
    # 酌情给分 became a keyword in the grammar alone (issue 21): its typo is found with no other change
    assert near_keywords("酌情给份") == ["酌情给分"]
    # 另行评定 is no keyword: once the table has it, its typo is found the same way
    assert near_keywords("另行评订") == []
    table = dict(keywords())
    table["K_JUDGED_FREE"] = kwmod.Keyword("K_JUDGED_FREE", "另行评定", "另行評定", "judged_free")
    monkeypatch.setattr(kwmod, "keywords", lambda: table)
    assert near_keywords("另行评订", {"K_JUDGED_FREE"}) == ["另行评定"]
    assert near_keywords("另行評訂") == ["另行評定"]


def test_the_edit_limits() -> None:
    assert [typo_limit("扣"), typo_limit("如果"), typo_limit("不得分"), typo_limit("扣完为止")] == [0, 1, 1, 2]
    assert typo_limit("扣完为止", "扣完") == 1
    assert near_keywords("打") == []  # one character: any other is as near, no guess
    assert near_keywords("如果") == []  # a keyword is no typo
    assert near_keywords("扣完为") == ["扣完为止"]  # one character left out
    assert near_keywords("扣完") == []  # the shorter of the two sets the limit: 2 edits > 1
    assert near_keywords("最多", {"K_MAX_DEDUCT"}) == []  # 最多 is a keyword itself


LETTERS = st.sampled_from("甲乙丙丁党员组织学习考核达标优秀良好xyzqwXYZ_")


def _spellings() -> list[tuple[str, str]]:
    return sorted({(form, terminal) for terminal, kw in keywords().items()
                   for form in (kw.simplified, kw.traditional, kw.english) if form and len(form) >= 2})


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_spellings()), st.integers(min_value=0), LETTERS)
def test_one_substitution_suggests_the_keyword(spelling: tuple[str, str], at: int, letter: str) -> None:
    form, terminal = spelling
    index = at % len(form)
    mutated = form[:index] + letter + form[index + 1:]
    assume(mutated != form and mutated not in keyword_forms())
    assert form in near_keywords(mutated, {terminal})


_CLAUSES = ["K_DEDUCT", "K_PER", "K_AWARD", "K_ADD", "K_ZERO", "K_START", "K_JUDGED", "K_GRADES",
            "K_NOT_APPLICABLE", "K_SCORE", "K_FLOOR_ZERO", "K_MAX_DEDUCT", "K_ALLOW_NEGATIVE", "K_CRITERION",
            "K_METHOD"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted((f, t) for f, t in _spellings() if t in _CLAUSES)), st.integers(min_value=0),
       LETTERS)
def test_a_misspelt_clause_keyword_is_suggested_in_the_message(spelling: tuple[str, str], at: int,
                                                               letter: str) -> None:
    form, _ = spelling
    index = at % len(form)
    mutated = form[:index] + letter + form[index + 1:]
    assume(mutated != form and mutated not in keyword_forms() and document_word(mutated) is None)
    assume(mutated not in ("R", "S", "I"))  # the names declared in the text
    d = only(f"标准 R {{ 类型 S 2分 {{ 项目 I 2分 {{ {mutated} }} }} }}")
    assert where(d) == ("E002", 1, 28)
    assert d.hint is not None and d.hint.startswith("是否想写") and f"“{form}”" in d.hint.split("?")[0]


# ── 2. IME punctuation ───────────────────────────────────────────────────────

PUNCTUATION = [
    ("标准 R { 事实 域: 选项(甲、乙) }", 1, 18, "“、”", "全角的“、”:选项之间用英文逗号 ,"),
    ("标准 R { 满分 100。 }", 1, 14, "“。”", "句末的“。”不需要:删去它"),
    ("标准 R { 类型 S 2分 { 项目 I 2分 { 方式 “看材料” } } }", 1, 31, "““”",
     "全角引号 “ :用英文双引号 \"…\" 括起文字"),
    ("标准 R {\n    标题 ‘评分表’\n}", 2, 8, "“‘”", "全角引号 ‘ :用英文双引号 \"…\" 括起文字"),
    ("标准 R { 满分 100； }", 1, 14, "“；”", "分号“；”不需要:语句之间用空格或换行分开,删去它"),
    ("标准 R { 满分 100; }", 1, 14, "“;”", "分号“;”不需要:语句之间用空格或换行分开,删去它"),
    ("标准 R { 类型 S 2分 { 项目 I 2分 { 分档 【好 2分】 } } }", 1, 31, "“【”",
     "全角的“【”:列表用英文方括号 [ ];名称里的括号连同名称写在英文双引号里"),
    ("等级 A { 甲 ≥ 60分 乙 }", 1, 10, "“≥”", "“≥”写作 >= 或“不低于”"),
]


@pytest.mark.parametrize(("text", "line", "column", "char", "hint"), PUNCTUATION)
def test_ime_punctuation_is_named_with_its_fix(text: str, line: int, column: int, char: str, hint: str) -> None:
    d = only(text)
    assert where(d) == ("E001", line, column)
    assert d.message == f"无法识别的字符{char}"
    assert d.hint == hint
    assert "此处应为" not in d.hint


def test_full_width_ascii_forms_are_read_as_ascii() -> None:
    text = "标准 R { 满分 2 事实 域：选项（甲，乙） 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 域 ＝ 甲 } } }"
    assert [d for d in diagnostics(text) if d.is_error] == []


def test_punctuation_inside_a_string_is_text() -> None:
    assert diagnostics('标准 R { 标题 "服务“两新”组织、发展。" }') == []


# ── 3. no cascades from one misspelt name ────────────────────────────────────

CHOICES = "事实 域: 选项(不符合要求, 符合) 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 "


@pytest.mark.parametrize(("condition", "column"), [("领域 = 不符合要求", 56), ("不符合要求 = 领域", 64),
                                                   ("领域 != 符合", 56)])
def test_a_misspelt_choice_fact_is_one_e201_naming_the_fact(condition: str, column: int) -> None:
    d = only(f"标准 R {{ {CHOICES}{condition} }} }} }}")  # no E201 for the value, no W101 for 域
    assert where(d) == ("E201", 1, column)
    assert d.message == "未定义的名称“领域”"
    value = "符合" if "!=" in condition else "不符合要求"
    assert d.hint == f"“{value}”是事实“域”的选项:你是不是想写“域”?"


def test_a_misspelt_fact_in_a_list_is_one_e201() -> None:
    d = only("标准 R { 事实 域: 选项(甲, 乙, 丙) 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 领域 属于 [甲, 乙] } } }")
    assert where(d) == ("E201", 1, 54)
    assert d.hint == "“甲”是事实“域”的选项:你是不是想写“域”?"


def test_an_unknown_name_compared_with_an_unknown_value_is_one_e201() -> None:
    found = diagnostics("标准 R { 事实 n: 数值 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 m = 未知值 且 n > 1 } } }")
    assert [where(d) for d in found] == [("E201", 1, 45)]
    found = diagnostics("标准 R { 事实 n: 数值 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 m 属于 [甲, 乙] 且 n > 1 } } }")
    assert [where(d) for d in found] == [("E201", 1, 45)]


def test_a_value_of_a_known_fact_is_still_checked() -> None:
    found = diagnostics(f"标准 R {{ {CHOICES}域 = 不合要求 }} }} }}")
    assert [where(d) for d in found] == [("E304", 1, 60)]
    assert found[0].hint == "你是不是想写“不符合要求”?"


def test_an_unknown_scheme_is_not_followed_by_an_unknown_level() -> None:
    # 最高 三星级 is checked against the schemes of the 等级 line; one of them is unknown (E104)
    found = diagnostics("标准 R { 等级 未知方案 否决 如果 是 最高 三星级 类型 S 10分 { 项目 I 10分 { } } }")
    assert [where(d) for d in found] == [("E104", 1, 8)]


def test_an_unknown_level_under_known_schemes_is_still_reported() -> None:
    found = diagnostics("标准 R { 等级 等次 否决 如果 是 最高 六星级 类型 S 100分 { 项目 I 100分 { } } }")
    assert ("E204", 1, 14) in [where(d) for d in found]


# ── 4. built-in schemes are reported at the user's line ─────────────────────

STAR = BUILTIN_SCHEMES_DIR.resolve() / "星级.rubric"


def test_w104_for_a_built_in_scheme_is_at_the_users_line() -> None:
    found = diagnostics("标准 R {\n    等级 星级\n    类型 S 10分 { 项目 I 10分 { } }\n}")
    assert [where(d) for d in found] == [("W104", 2, 8)] * 5
    first = found[0]
    assert first.span.file == "示例.rubric" and (first.span.end_line, first.span.end_column) == (2, 10)
    assert first.line_text == "    等级 星级"
    assert first.message == "在标准“R”中,总分最高 10 分,达不到等级“五星级”的 95 分"
    note = first.notes[0]
    assert Path(note.span.file) == STAR and (note.span.line, note.span.column) == (6, 5)
    assert note.message == "内置等级方案“星级”中的这一行" and note.line_text.strip() == "五星级 >= 95分"


def test_the_scheme_is_found_among_several_on_the_line() -> None:
    found = diagnostics("标准 R { 等级 等次, 星级 类型 S 100分 { 项目 I 100分 { } } }")
    assert found == []
    found = diagnostics("标准 R { 等级 等次, 星级 类型 S 85分 { 项目 I 85分 { } } }")
    # 星级's 五星级 at 95 and 四星级 at 90, at 星级 (等次 is 基于 星级 and has no 分数线 of its own)
    assert [where(d) for d in found] == [("W104", 1, 15)] * 2
    assert {d.notes[0].span.file.rsplit("/", 1)[-1] for d in found} == {"星级.rubric"}


def test_e429_for_a_built_in_scheme_is_at_the_users_line() -> None:
    found = diagnostics("标准 R { 总分 不计 等级 星级 类型 S 10分 { 项目 I 10分 { } } }")
    errors = [d for d in found if d.is_error]
    assert [where(d) for d in errors] == [("E429", 1, 17)] * 5
    assert all(d.span.file == "示例.rubric" for d in found)
    assert Path(errors[0].notes[0].span.file) == STAR and errors[0].notes[0].span.line == 6


def test_a_scheme_in_the_users_file_is_still_reported_at_its_level() -> None:
    found = diagnostics("等级 A { 甲 >= 60分 乙 }\n标准 R { 等级 A 类型 S 10分 { 项目 I 10分 { } } }")
    assert [where(d) for d in found] == [("W104", 1, 8)] and found[0].notes == ()
