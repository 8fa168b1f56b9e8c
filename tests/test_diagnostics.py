"""One test per diagnostic code: the code, line and column it is reported at."""

from __future__ import annotations

from pathlib import Path

import pytest

from starrules import RubricCheckError, check_file, check_text, loads
from starrules.core.diagnostics import CODES
from tests.test_evidence import EVIDENCE_CODES
from tests.test_rank_cli import THRESHOLD_CODES


def at(text: str, marker: str, occurrence: int = 1) -> tuple[int, int]:
    """Line and column (1-based, in characters) of the n-th occurrence of `marker`."""
    index = -1
    for _ in range(occurrence):
        index = text.index(marker, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def item(clauses: str, facts: str = "", points: str = "2") -> str:
    return f"标准 R {{ {facts} 类型 S {points}分 {{ 项目 I {points}分 {{ {clauses} }} }} }}"


# (code, text, marker where the diagnostic points, which occurrence of the marker)
CASES: list[tuple[str, str, str, int]] = [
    ("E001", "标准 R { 满分 100 $ }", "$", 1),
    ("E002", '标准 R {\n  满分 "x"\n}', '"x"', 1),
    ("E004", '标准 R { 标题 "abc\n}', '"', 1),
    ("E005", "标准 R { 满分 " + "1" * 31 + " }", "1", 1),
    ("E006", "标准 R { 令 x = " + "-" * 100 + "1 }", "-", 1),
    ("E103", "等级 A { 甲 }\n等级 A { 乙 }", "A", 2),
    ("E104", "标准 R { 等级 不存在 }", "等级", 1),
    ("E105", "标准 R 继承 P { }", "R", 1),
    ("E106", "标准 A 继承 B { }\n标准 B 继承 A { }", "B", 2),
    ("E107", "标准 P { }\n标准 C 继承 P { 删除 项目 X }", "删除", 1),
    ("E201", item("扣 1分 如果 未知"), "未知", 1),
    ("E202", "标准 R { 类型 S 2分 { 项目 I 1分 { } 项目 I 1分 { } } }", "I", 2),
    ("E203", item("扣 1分 如果 @无 > 0"), "@无", 1),
    ("E204", '等级 A { 甲 }\n措施 A { 乙: "x" }', "乙", 1),
    ("E301", item("扣 1分 如果 x", "事实 x: 数值"), "x }", 1),
    ("E302", item("每 是 扣 1分"), "是", 1),
    ("E303", item("扣 1分 如果 x < 是", "事实 x: 数值"), "x <", 1),
    ("E304", item("扣 1分 如果 域 = 丙", "事实 域: 选项(甲, 乙)"), "丙", 1),
    ("E305", "标准 R { 事实 n: 计数 默认 1.5 }", "1.5", 1),
    ("E306", item("得分 = 若 是 则 1 否则 否"), "若", 1),
    ("E307", item("扣 1分 如果 学时 少于 3天", '事实 学时: 数值 单位 "学时"'), "天", 1),
    ("E401", "标准 R { 类型 S 2分 { 项目 I 3分 { } } }", "S", 1),
    ("E402", "标准 R { 满分 10 类型 S 2分 { 项目 I 2分 { } } }", "满分", 1),
    ("E403", "标准 R { 类型 A 10分 权重 50% { 项目 I 10分 { } } }", "R", 1),
    ("E404", "等级 A { 甲 >= 60分 乙 >= 70分 丙 }", "70", 1),
    ("E405", "等级 A { 甲 >= 60分 }", "60", 1),
    ("E418", "等级 A { 甲 >= 60分 乙  最低要求 乙 { 总分: 10 } }", "乙 {", 1),
    ("E419", "等级 A { 甲 >= 60分 乙  最低要求 甲 { 总分: 10, 20 } }", "总分", 1),
    ("E420", "标准 R { 满分 5 类型 S 5分 { 取其高 G 5分 { 项目 A 5分 { } 项目 B 4分 { } } } }", "B", 1),
    ("E421", "标准 R { 满分 5 类型 S 5分 { 任选其一 G 5分 { 项目 A 5分 { } } } }", "任选其一", 1),
    ("E422", "标准 R { 满分 5 事实 x: 是否 类型 S 5分 { 取其高 G 5分 { 项目 A 5分 { 不适用 如果 x } } } }", "不适用", 1),
    ("E423", "标准 R { 满分 5 适用 如果 总分 > 1 类型 S 5分 { 项目 A 5分 { } } }", "总分", 1),
    ("E406", "标准 R { 令 a = a + 1 }", "a", 1),
    ("E407", "等级 A { 甲 >= 60分 乙 }\n等级 B 基于 A { 好 = 甲 }", "B", 1),
    ("E408", "等级 A { 甲 >= 60分 乙 }\n等级 B 基于 A { 好 = 甲  差 = 甲, 乙 }", "差", 1),
    ("E409", "标准 R { 综合 { 甲 30% } }", "综合", 1),
    ("E410", item('酌情 分档 [好 2分]'), "分档", 1),
    ("E411", item("扣 0.3分 如果 是"), "0.3", 1),
    ("E412", item("酌情 0分 至 5分"), "酌情", 1),
    ("E413", "标准 R { 加分项 最多 5分 { 项目 X 5分 { 扣 1分 如果 是 } } }", "扣", 1),
    ("E414", "标准 R { 满分 10 满分 10 }", "满分", 2),
    ("E415", "标准 R { 精度 0 }", "0", 1),
    ("E499", item("扣1分 如果 是 扣1分 如果 是 酌情给分"), "酌情给分", 1),
    ("W101", "标准 R { 事实 没用: 是否 }", "没用", 1),
    ("W102", "标准 R { 类型 S 24分 { 项目 I 19分 { } } }", "S", 1),
    ("W103", item("每 n 扣 1分", "事实 n: 计数"), "I", 1),
    ("W104", "等级 A { 甲 >= 60分 乙 }\n标准 R { 等级 A 类型 S 10分 { 项目 I 10分 { } } }", "甲", 1),
    ("W105", item("起评 0分 得 1分 如果 x", "事实 x: 是否", points="5"), "I", 1),
    ("W106", item("起评 0分 得 1分 如果 x", "满分 5 事实 x: 是否", points="5"), "满分", 1),
]


@pytest.mark.parametrize(("code", "text", "marker", "occurrence"), CASES, ids=[c[0] for c in CASES])
def test_code_line_and_column(code: str, text: str, marker: str, occurrence: int) -> None:
    report = check_text(text, "t.rubric")
    found = [(d.code, d.span.line, d.span.column) for d in report.diagnostics]
    assert (code, *at(text, marker, occurrence)) in found
    assert all(d.span.file == "t.rubric" for d in report.diagnostics)


def test_e003_points_past_the_end(tmp_path: Path) -> None:
    report = check_text("标准 R {")
    assert [(d.code, d.span.line, d.span.column) for d in report.diagnostics] == [("E003", 1, 7)]


def test_e007_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.rubric"
    path.write_bytes(b"\xff\xfe\x00 not utf-8")
    report = check_file(path)
    assert [(d.code, d.span.line, d.span.column) for d in report.diagnostics] == [("E007", 1, 1)]
    assert "UTF-8" in report.diagnostics[0].message


def test_e007_missing_file(tmp_path: Path) -> None:
    assert [d.code for d in check_file(tmp_path / "none.rubric").diagnostics] == ["E007"]


def test_e101_missing_import(tmp_path: Path) -> None:
    path = tmp_path / "a.rubric"
    path.write_text('\n引用 "nope.rubric"\n', encoding="utf-8")
    assert [(d.code, d.span.line, d.span.column) for d in check_file(path).diagnostics] == [("E101", 2, 1)]


def test_e102_import_cycle_names_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.rubric").write_text('引用 "b.rubric"\n', encoding="utf-8")
    (tmp_path / "b.rubric").write_text('等级 X { 甲 }\n引用 "a.rubric"\n', encoding="utf-8")
    diagnostics = check_file(tmp_path / "a.rubric").diagnostics
    assert [(d.code, Path(d.span.file).name, d.span.line, d.span.column) for d in diagnostics] == [
        ("E102", "b.rubric", 2, 1)]
    assert "a.rubric → b.rubric → a.rubric" in diagnostics[0].message


def test_e108_no_rubric_to_load() -> None:
    with pytest.raises(RubricCheckError) as info:
        loads("等级 A { 甲 }")
    assert info.value.code == "E108"


def test_every_code_has_a_test() -> None:
    """Beside the catalogue's examples (tests/test_errors_catalogue.py), each code has a test of its own."""
    from tests.test_limits import CONFINEMENT_CODES, LIMIT_CODES
    from tests.test_applies import APPLIES_CODES
    from tests.test_subject import SUBJECT_CODES
    from tests.test_named_conditions import NAMED_CONDITION_CODES
    from tests.test_total_unused import TOTAL_UNUSED_CODES
    from tests.test_outputs import OUTPUT_CODES
    from tests.test_readers import READER_CODES
    from tests.test_not_applicable_scored import NOT_APPLICABLE_SCORED_CODES
    from tests.test_import import IMPORT_CODES
    tested = {c[0] for c in CASES} | {"E003", "E007", "E101", "E102", "E108"} | EVIDENCE_CODES | THRESHOLD_CODES
    tested |= IMPORT_CODES
    tested |= NOT_APPLICABLE_SCORED_CODES
    from tests.test_nested_groups import NESTED_GROUP_CODES
    tested |= NESTED_GROUP_CODES
    from tests.test_sql_scoring import SQL_CODES
    tested |= SQL_CODES
    assert tested | LIMIT_CODES | CONFINEMENT_CODES | READER_CODES | OUTPUT_CODES | APPLIES_CODES | SUBJECT_CODES \
        | NAMED_CONDITION_CODES | TOTAL_UNUSED_CODES == set(CODES)


def test_rendering_places_the_caret_under_chinese_text() -> None:
    text = item("扣 2分 如果 党员学习时长 少于 32", "事实 党员学习学时: 数值")
    diagnostic = next(d for d in check_text(text, "x.rubric").diagnostics if d.code == "E201")
    lines = diagnostic.render().split("\n")
    assert lines[0] == "x.rubric:1:50: 错误[E201]: 未定义的名称“党员学习时长”"
    source, caret = lines[2], lines[3]
    # 49 characters before the name: 22 CJK (two columns each) and 27 narrow → 71 columns;
    # the six-character name is 12 columns wide.
    assert caret == "  | " + " " * 71 + "^" * 12
    assert source == "1 | " + text
    assert lines[4] == "   = 提示: 你是不是想写“党员学习学时”?"


def test_keyword_glued_to_a_name_suggests_a_space() -> None:
    text = item("不得分 如果未设立")
    diagnostic = check_text(text).diagnostics[0]
    assert (diagnostic.code, *at(text, "如果未设立")) == ("E002", diagnostic.span.line, diagnostic.span.column)
    assert diagnostic.hint is not None and "“如果 未设立”" in diagnostic.hint


def test_several_independent_syntax_errors_are_all_reported() -> None:
    text = "标准 R {\n  类型 S 2分 {\n    项目 A 1分 { 扣 1分 如果 }\n    项目 B 1分 { 得 如果 x }\n  }\n  满分 \n}\n"
    found = [(d.code, d.span.line) for d in check_text(text).diagnostics]
    assert found == [("E002", 3), ("E002", 4), ("E002", 7)]


def test_no_anonymous_terminal_names_in_messages() -> None:
    for text in ["标准 R { 类型 S 2分 { 项目 I 2分 { 扣 1分 如果 ( } } }", "标准 R { 令 a = [ }", "标准 R ) {"]:
        for diagnostic in check_text(text).diagnostics:
            assert "__ANON" not in diagnostic.render() and "K_" not in diagnostic.render()
