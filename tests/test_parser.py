"""Lexical rules and the shape of the AST (LANGUAGE.md §1–§3)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from starrules import RubricSyntaxError, ast, parse


def item_clauses(text: str) -> tuple[ast.Clause, ...]:
    module = parse(f"标准 R {{ 类型 S 10分 {{ 项目 I 10分 {{ {text} }} }} }}")
    rubric = module.blocks[0]
    assert isinstance(rubric, ast.Rubric)
    section = rubric.body[0]
    assert isinstance(section, ast.Section)
    return section.items[0].clauses


def condition(text: str) -> ast.Expr:
    clause = item_clauses(f"扣 1分 如果 {text}")[0]
    assert isinstance(clause, ast.DeductIf)
    return clause.condition


def test_keyword_prefix_is_part_of_a_name() -> None:
    # 如果未设立 is one name, not 如果 + 未设立 (LANGUAGE.md §1)
    clause = item_clauses("不得分 如果 如果未设立")[0]
    assert clause == ast.Zero(ast.NameRef("如果未设立"))


def test_full_width_forms_read_as_ascii_outside_strings() -> None:
    full = parse("标准 Ｒ｛满分　１２ 事实 甲：数值 事实 乙：是否 \"（全角）\" ｝")
    half = parse('标准 R{满分 12 事实 甲:数值 事实 乙:是否 "(全角)" }')
    assert full != half  # the string keeps its full-width parentheses...
    fact = full.blocks[0].body[2]  # type: ignore[union-attr]
    assert isinstance(fact, ast.Fact) and fact.description == "（全角）"
    assert parse("标准 Ｒ｛满分　１２ 事实 甲：数值 事实 乙：是否 \"(全角)\" ｝") == half  # ...the rest is ASCII


def test_full_width_comparison_and_percent() -> None:
    assert condition("甲 ＞＝ ６０％") == ast.Compare(">=", ast.NameRef("甲"), ast.Percent("60"))


def test_positions_refer_to_the_original_text() -> None:
    expr = condition("甲 ＞＝ 乙")
    assert isinstance(expr, ast.Compare)
    # "标准 R { " 7 + "类型 S 10分 { " 11 + "项目 I 10分 { " 11 + "扣 1分 如果 " 8 + "甲 ＞＝ " 5 → column 43
    assert (expr.right.span.line, expr.right.span.column) == (1, 43)


def test_bom_and_crlf() -> None:
    assert parse("\ufeff标准 R {\r\n满分 10\r\n}\r\n") == parse("标准 R {\n满分 10\n}\n")


def test_comments_are_kept_with_positions() -> None:
    module = parse('标准 R { # 注释 "不是字符串\n 标题 "有 # 号" }')
    assert [(c.text, c.span.line, c.span.column) for c in module.comments] == [('# 注释 "不是字符串', 1, 8)]
    assert module.blocks[0].body[0] == ast.Meta("title", "有 # 号")  # type: ignore[union-attr]


def test_string_names_and_escapes() -> None:
    module = parse('标准 "村(社区)党组织" { 标题 "引号\\"和\\\\反斜杠" }')
    rubric = module.blocks[0]
    assert isinstance(rubric, ast.Rubric)
    assert rubric.name == "村(社区)党组织"
    assert rubric.body[0] == ast.Meta("title", 'a"b'.replace("a", "引号").replace("b", "和\\反斜杠"))


def test_points_and_percent_values_are_exact() -> None:
    clause = item_clauses("扣 0.1分 如果 甲 > 33.3%")[0]
    assert isinstance(clause, ast.DeductIf) and isinstance(clause.condition, ast.Compare)
    assert clause.points.value == Fraction(1, 10)
    assert clause.condition.right.value == Fraction(333, 1000)  # type: ignore[union-attr]


def test_precedence_not_and_or() -> None:
    assert condition("非 a 且 b 或 c") == ast.Or((ast.And((ast.Not(ast.NameRef("a")), ast.NameRef("b"))),
                                                   ast.NameRef("c")))


def test_arithmetic_precedence_and_parentheses() -> None:
    a, b, c = ast.NameRef("a"), ast.NameRef("b"), ast.NameRef("c")
    assert condition("a + b * c > 1").left == ast.Binary("+", a, ast.Binary("*", b, c))  # type: ignore[union-attr]
    assert condition("(a + b) * c > 1").left == ast.Binary("*", ast.Binary("+", a, b), c)  # type: ignore[union-attr]
    assert condition("a - b - c > 1").left == ast.Binary("-", ast.Binary("-", a, b), c)  # type: ignore[union-attr]


def test_chinese_comparison_words() -> None:
    words = {"少于": "<", "低于": "<", "不少于": ">=", "不低于": ">=", "超过": ">", "高于": ">",
             "不超过": "<=", "不高于": "<=", "等于": "="}
    for word, op in words.items():
        assert condition(f"a {word} 1") == ast.Compare(op, ast.NameRef("a"), ast.Number("1"))


def test_if_then_else_nests_in_the_else_branch() -> None:
    expr = item_clauses("得分 = 若 国家级 则 5 否则 若 省级 则 3 否则 0")[0]
    assert expr == ast.ScoreIs(ast.IfElse(ast.NameRef("国家级"), ast.Number("5"),
                                          ast.IfElse(ast.NameRef("省级"), ast.Number("3"), ast.Number("0"))))


def test_every_clause_kind() -> None:
    clauses = item_clauses("""
        说明 "c" 方式 "m" 扣 2分 如果 a 每 b 扣 1分 每 2 缺学时 扣 0.5分 得 1分 如果 a 加 1分 如果 a
        不得分 如果 a 起评 0分 酌情 1分 至 3分 "g" 分档 [好 4分, 差 0分] 不适用 如果 a 得分 = b
        扣完为止 最多扣 3分 可倒扣""")
    assert [type(c).__name__ for c in clauses] == [
        "Text", "Text", "DeductIf", "DeductPer", "DeductPer", "Award", "Award", "Zero", "Start", "Judged",
        "Grades", "NotApplicable", "ScoreIs", "FloorZero", "MaxDeduct", "AllowNegative"]
    per_k = clauses[4]
    assert per_k == ast.DeductPer(ast.Number("0.5"), ast.NameRef("缺学时"), ast.Number("2"))
    assert clauses[9] == ast.Judged(ast.Number("1"), ast.Number("3"), "g")


def test_per_without_step_keeps_a_leading_number_expression() -> None:
    assert item_clauses("每 2 扣 1分")[0] == ast.DeductPer(ast.Number("1"), ast.Number("2"), None)


def test_list_builtins_and_references() -> None:
    expr = condition("未满足数[甲, 乙] >= 1 且 @组织 < 总分 且 未达标类型数 = 0")
    assert isinstance(expr, ast.And)
    assert expr.operands[0].left == ast.ListCall("count_false", (ast.NameRef("甲"), ast.NameRef("乙")))  # type: ignore[union-attr]
    assert expr.operands[1] == ast.Compare("<", ast.ScoreRef("组织"), ast.TotalRef())
    assert expr.operands[2].left == ast.BelowPassRef()  # type: ignore[union-attr]


def test_long_and_chain_is_flat() -> None:
    expr = condition(" 且 ".join(f"a{i}" for i in range(300)))
    assert isinstance(expr, ast.And) and len(expr.operands) == 300


def test_a_hundred_nested_parentheses_parse_and_more_are_refused() -> None:
    assert condition("(" * 100 + "a" + ")" * 100) == ast.NameRef("a")
    with pytest.raises(RubricSyntaxError) as info:
        condition("(" * 10_000 + "a" + ")" * 10_000)
    assert info.value.code == "E006"


def test_synonym_spelling_does_not_change_meaning() -> None:
    assert parse("标准 R { 模块 S 1分 { 指标 I 1分 { } } }") == parse("标准 R { 类型 S 1分 { 项目 I 1分 { } } }")


def test_syntax_error_is_a_rubric_error_with_location() -> None:
    with pytest.raises(RubricSyntaxError) as info:
        parse("标准 R {\n  满分\n}", "x.rubric")
    assert (info.value.span.file, info.value.span.line, info.value.span.column) == ("x.rubric", 3, 1)


def test_recovery_gives_up_after_a_long_run_of_stray_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Megabytes of stray tokens cost Lark ~50 µs each in recovery: after MAX_DROPPED_TOKENS in a
    row the first error is reported alone (a 2 MB file of commas took 41 s, now under a second)."""
    from starrules.lang import parser
    text = "标准 R { 满分 \"x\"" + " ," * 10 + " }\n标准 S { 满分 \"y\" }"
    with pytest.raises(RubricSyntaxError) as info:
        parse(text)
    assert [(d.code, d.span.line) for d in info.value.diagnostics] == [("E002", 1), ("E002", 2)]
    monkeypatch.setattr(parser, "MAX_DROPPED_TOKENS", 5)
    with pytest.raises(RubricSyntaxError) as info:
        parse(text)
    assert [(d.code, d.span.line) for d in info.value.diagnostics] == [("E002", 1)]
