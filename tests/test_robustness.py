"""Any text gives a tree or a RubricError with a location — never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import RubricError, check_text, parse

BUNDLED = (Path(__file__).resolve().parent.parent / "rubrics" / "两新争先创优.rubric").read_text(encoding="utf-8")
PIECES = ["标准", "类型", "项目", "扣", "如果", "{", "}", "(", ")", "[", "]", "分", "2", "0.5", '"', "#", "\n",
          " ", "且", "非", "@", "=", ">=", "％", "　", "若", "则", "否则", "每", "：", "1" * 40, "\\", "得分"]


def assert_parses_or_fails_cleanly(text: str) -> None:
    try:
        parse(text, "fuzz.rubric")
    except RubricError as exc:
        assert exc.diagnostics and all(d.span.line >= 1 and d.span.column >= 1 for d in exc.diagnostics)
        assert exc.span.file == "fuzz.rubric"
    check_text(text, "fuzz.rubric")  # the checker must not raise either


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text: str) -> None:
    assert_parses_or_fails_cleanly(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_random_token_soup(text: str) -> None:
    assert_parses_or_fails_cleanly(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(BUNDLED)), st.integers(0, 20), st.sampled_from(PIECES + [""])),
                min_size=1, max_size=5))
def test_mutated_bundled_rubric(edits: list[tuple[int, int, str]]) -> None:
    text = BUNDLED
    for position, length, insert in edits:
        text = text[:position] + insert + text[position + length:]
    assert_parses_or_fails_cleanly(text)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    for text in ["标准 R { 令 x = " + "非 " * 5000 + "是 }", "标准 R { 令 x = " + "-" * 5000 + "1 }",
                 "标准 R { 令 x = " + "最大(" * 3000 + "1" + ")" * 3000 + " }"]:
        codes = [d.code for d in check_text(text).diagnostics]
        assert codes == ["E006"]


def test_huge_number_is_an_error() -> None:
    assert [d.code for d in check_text("标准 R { 满分 " + "9" * 5000 + " }").diagnostics] == ["E005"]


def test_many_errors_are_capped() -> None:
    text = "标准 R {\n" + "满分 \"x\"\n" * 100 + "}"
    assert len(check_text(text).diagnostics) == 20
