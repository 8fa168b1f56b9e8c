"""The nesting pre-scan (starrules/lang/nesting.py): deep text is refused with E006 before the LALR
parse, at the start of the part nested too deep, and text within the limit parses exactly as
it did without the scan (the scan's counts are lower bounds of the builder's depths)."""

from __future__ import annotations

import random
import re
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import Limits, RubricSyntaxError, ast, check_text, parse
from starrules.lang.formatter import _Printer
from starrules.lang.keywords import Script
from starrules.lang.nesting import too_deep
from tests.strategies import BLOCKS, EXPRS
from tests.test_formatter import module, scramble


def codes_without_scan(text: str, depth: int) -> list[tuple[str, int, int]]:
    """The diagnostics of `parse` as it was before the scan: the builder alone measures depth."""
    with mock.patch("starrules.lang.parser.too_deep", return_value=None):
        try:
            parse(text, limits=Limits(expression_depth=depth))
        except RubricSyntaxError as error:
            return [(d.code, d.span.line, d.span.column) for d in error.diagnostics]
    return []


def bracket_depth(text: str) -> int:
    """Nesting of ( and [ outside strings and comments (full-width forms included)."""
    depth = deepest = 0
    for token in re.findall(r'["＂](?:[^"\\\n]|\\.)*"?|[#＃][^\n]*|[(\[（［]|[)\]）］]', text):
        if token in "([（［":
            depth += 1
            deepest = max(deepest, depth)
        elif token in ")]）］":
            depth = max(depth - 1, 0)
    return deepest


def at(text: str, marker: str, occurrence: int = 0) -> tuple[int, int]:
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(marker, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def refusal(text: str, limits: Limits = Limits()) -> list[tuple[str, str, int, int]]:
    with pytest.raises(RubricSyntaxError) as info:
        parse(text, limits=limits)
    return [(d.code, d.message, d.span.line, d.span.column) for d in info.value.diagnostics]


def in_let(expr: str) -> str:
    return "标准 R {\n  令 y = " + expr + "\n}"


DEPTH = "表达式嵌套过深(最多 100 层)"
BRACKETS = "括号嵌套过深(最多 100 层)"


# the shapes of the issue, thousands deep: one E006 where the deep part starts
def test_fifty_thousand_nested_if_is_refused_at_its_first_if() -> None:
    text = in_let("若 b 则 " * 50_000 + "1" + " 否则 2" * 50_000)
    assert refusal(text) == [("E006", DEPTH, 2, 9)]


def test_fifty_thousand_chained_else_if_is_refused_at_its_first_if() -> None:
    text = in_let("若 b 则 1 否则 " * 50_000 + "2")
    assert refusal(text) == [("E006", DEPTH, 2, 9)]


def test_a_four_mebibyte_file_of_parentheses_is_refused_at_its_first_bracket() -> None:
    head = "标准 R {\n  事实 x: 数值\n  令 y = "
    half = (4 * 1024 * 1024 - len(head.encode()) - 8) // 2
    text = head + "(" * half + "x" + ")" * half + "\n}"
    assert len(text.encode()) <= Limits().file_bytes
    assert refusal(text) == [("E006", BRACKETS, 3, 9)]
    # through the checker too, as `starrules check` reads it
    assert [(d.code, d.span.line, d.span.column) for d in check_text(text).diagnostics] == [("E006", 3, 9)]


@pytest.mark.parametrize(("expr", "marker"), [
    ("- " * 5000 + "1", "-"),
    ("非 " * 5000 + "是", "非"),
    ("x" + " + x" * 5000, "x"),
    ("x" + " * x" * 5000, "x"),
    ("1 + 2 * " + "x * " * 5000 + "x", "2"),  # the chain of products is the term after the +
    ("最大(" * 5000 + "1" + ")" * 5000, "("),  # a call nests, and its brackets too
    ("若 x > 0 则 " + "- " * 5000 + "x 否则 0", "若"),  # the outermost part of the nesting
    ("若 b 则 (若 b 则 (" * 3000 + "1" + ") 否则 2" * 3000, "若"),
])
def test_deep_shapes_are_refused_where_they_start(expr: str, marker: str) -> None:
    text = in_let(expr)
    code, _, line, column = refusal(text)[0]
    assert (code, line, column) == ("E006", *at(text, marker))


def test_full_width_and_english_spellings_are_read_as_the_grammar_reads_them() -> None:
    text = in_let("（" * 101 + "x" + "）" * 101)
    assert refusal(text) == [("E006", BRACKETS, 2, 9)]
    text = in_let("if b then " * 100 + "1" + " else 2" * 100)
    assert refusal(text) == [("E006", DEPTH, 2, 9)]
    text = in_let("若 b 則 " * 100 + "1" + " 否則 2" * 100)  # traditional forms
    assert refusal(text) == [("E006", DEPTH, 2, 9)]


# at the limit exactly: the scan stays silent, the parse is as before
@pytest.mark.parametrize("expr", [
    "若 b 则 " * 99 + "1" + " 否则 2" * 99,  # 99 if-nodes and a leaf: depth 100
    "若 b 则 1 否则 " * 99 + "2",
    "- " * 99 + "1",
    "x" + " + x" * 99,
    "(" * 100 + "x" + ")" * 100,
    "最大(" * 99 + "1" + ")" * 99,
])
def test_text_at_the_limit_parses(expr: str) -> None:
    text = in_let(expr)
    assert too_deep(text, 100) is None
    parse(text)


def test_one_level_more_is_refused_at_the_same_place_as_the_builder_reports() -> None:
    for expr in ["若 b 则 " * 100 + "1" + " 否则 2" * 100, "若 b 则 1 否则 " * 100 + "2", "- " * 100 + "1",
                 "x" + " + x" * 100, "最大(" * 100 + "1" + ")" * 100]:
        text = in_let(expr)
        scanned = refusal(text)
        assert [(code, line, column) for code, _, line, column in scanned] == codes_without_scan(text, 100)


def test_keyword_spellings_used_as_names_or_clause_words_do_not_count() -> None:
    # `if` after 分 is a clause's 如果; a name spelled 若 (quoted or where no 若 can stand)
    clauses = "".join(f"扣 1分 if {'非 ' * 99}b " for _ in range(3))
    text = "标准 R { 事实 b: 是否 类型 S 3分 { 项目 I 3分 { " + clauses + "} } }"
    assert too_deep(text, 100) is None
    scheme = "等级 X { 若 = 甲, 乙 " + " ".join(f"丙{i} >= 1 且 {'非 ' * 98}b" for i in range(3)) + " }"
    assert too_deep(scheme, 100) is None
    assert not [code for code, *_ in codes_without_scan(scheme, 100) if code == "E006"]


# the property: a refusal by the scan is one the builder makes too (brackets aside)
def printed(expr: ast.Expr, script: Script, seed: int) -> str:
    """The expression with the formatter's fewest parentheses, plus some redundant ones."""
    rng = random.Random(seed)
    printer = _Printer(module(()), script)
    plain = printer.expr

    def expr_with_extra(e: ast.Expr, minimum: int = 0) -> str:
        text = plain(e, minimum)
        return f"({text})" if rng.random() < 0.15 else text

    printer.expr = expr_with_extra  # type: ignore[method-assign]
    return printer.expr(expr)


def deep(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    """Chains the issue's shapes: if-nodes in then and else parts, runs, sums, products."""
    return st.one_of(
        st.builds(ast.IfElse, children, children, children),
        st.builds(lambda c, t: ast.IfElse(c, t, ast.Number("1")), children, children),
        st.builds(lambda c, o: ast.IfElse(c, ast.Number("1"), o), children, children),
        st.builds(ast.Negate, children), st.builds(ast.Not, children),
        st.builds(ast.Binary, st.sampled_from("+-*/"), children, st.sampled_from(["x", "1"]).map(ast.NameRef)),
    )


DEEP_EXPRS = st.one_of(EXPRS, st.recursive(EXPRS, deep, max_leaves=40))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DEEP_EXPRS, st.sampled_from(list(Script)), st.integers(0, 2**32), st.integers(1, 14),
       st.sampled_from(["let", "clause", "scheme", "veto"]))
def test_a_refusal_by_the_scan_is_one_the_builder_makes(expr: ast.Expr, script: Script, seed: int, depth: int,
                                                      where: str) -> None:
    shown = printed(expr, script, seed)
    text = {"let": f"标准 R {{ 令 y = {shown} }}",
            "clause": f"标准 R {{ 类型 S 2分 {{ 项目 I 2分 {{ 扣 1分 如果 {shown} 不得分 如果 {shown} }} }} }}",
            "scheme": f"等级 X {{ 甲 >= 1 且 非 ({shown}) 乙 降档 1 如果 {shown} }}",
            "veto": f"标准 R {{ 否决 如果 {shown} 否决 如果 b }}"}[where]
    text = scramble(text, seed)
    scanned = too_deep(text, depth)
    if scanned is None:
        return
    if scanned.brackets:
        assert bracket_depth(text) > depth
    else:
        assert "E006" in [code for code, *_ in codes_without_scan(text, depth)]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BLOCKS, st.integers(0, 2**32))
def test_generated_files_within_the_limit_parse_as_before(blocks: tuple[ast.TopLevel, ...], seed: int) -> None:
    from starrules.lang.formatter import format_module
    text = scramble(format_module(module(blocks)), seed)
    for depth in (3, 6, 100):
        scanned = too_deep(text, depth)
        before = codes_without_scan(text, depth)
        if scanned is None:
            after: list[tuple[str, int, int]] = []
            try:
                parse(text, limits=Limits(expression_depth=depth))
            except RubricSyntaxError as error:
                after = [(d.code, d.span.line, d.span.column) for d in error.diagnostics]
            assert after == before
        elif not scanned.brackets:
            assert "E006" in [code for code, *_ in before]


def test_the_brace_scan_matches_every_character_once() -> None:
    """Plain text is one match, so no match ever fails and is retried from the next character
    (the earlier pattern did: quadratic on a long stretch with no brace, string or comment —
    a valid rubric followed by 40,000 spaces took 33 s to check)."""
    from starrules.lang.nesting import _BRACES
    text = '标准 R { 令 x = 1 # 注释 {\n 说明 "a{b" }' + " " * 1000
    spans = [m.span() for m in _BRACES.finditer(text)]
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))  # back to back: nothing skipped or retried
    assert [m.group(1) for m in _BRACES.finditer(text) if m.group(1)] == ["{", "}"]  # not the ones in the comment or string
    assert spans[-1] == (len(text) - 1000, len(text))  # the trailing spaces (after "}") are one match
