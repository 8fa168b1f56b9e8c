"""`starrules fmt`: canonical layout, idempotent, meaning-preserving, comments kept."""

from __future__ import annotations

import random
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import ast, parse
from starrules.lang.formatter import format_module, format_text

from .strategies import BLOCKS

_SEGMENTS = re.compile(r'("(?:[^"\\\n]|\\.)*"|#[^\n]*)')
_FULL_WIDTH = set("{}()[],:=<>!+-*/@%0123456789abcdefghijklmnopqrstuvwxyz_")


def scramble(text: str, seed: int) -> str:
    """Same meaning, different layout: odd whitespace, extra comments, full-width forms."""
    rng = random.Random(seed)
    out = []
    for index, segment in enumerate(_SEGMENTS.split(text)):
        if index % 2:  # a string or a comment: left as it is
            out.append(segment)
            continue
        for ch in segment:
            if ch == " ":
                ch = rng.choice([" ", "  ", "\n", "\t", "\u3000", " \n  "])
            elif ch == "\n":
                ch = rng.choice(["\n", "\n\n", "  # 注释\n", "\r\n"])
            elif ch in _FULL_WIDTH and rng.random() < 0.3:
                ch = chr(ord(ch) + 0xFEE0)
            out.append(ch)
    return "".join(out)


def module(blocks: tuple[ast.TopLevel, ...]) -> ast.Module:
    return ast.Module("<gen>", blocks, "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BLOCKS)
def test_printed_tree_parses_back_to_itself(blocks: tuple[ast.TopLevel, ...]) -> None:
    text = format_module(module(blocks))
    assert parse(text).blocks == blocks
    assert format_text(text) == text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BLOCKS, st.integers(0, 2**32))
def test_format_is_idempotent_and_keeps_meaning(blocks: tuple[ast.TopLevel, ...], seed: int) -> None:
    messy = scramble(format_module(module(blocks)), seed)
    assert parse(messy).blocks == blocks
    once = format_text(messy)
    assert parse(once) == parse(messy)
    assert format_text(once) == once


SOURCE = """\
# 文件开头的注释
标准 示例 {   # 标题行的注释
  满分 10
     事实 甲:是否 默认 否


  类型 组织 10分 {
    项目 覆盖 10分 {  不得分 如果 甲   # 行尾注释
      # 块内注释
    }
  }
}
"""
EXPECTED = """\
# 文件开头的注释
标准 示例 {  # 标题行的注释
    满分 10
    事实 甲: 是否 默认 否

    类型 组织 10分 {
        项目 覆盖 10分 {
            不得分 如果 甲  # 行尾注释
            # 块内注释
        }
    }
}
"""


def test_canonical_layout_keeps_comments() -> None:
    assert format_text(SOURCE) == EXPECTED


def test_keywords_follow_the_file_script() -> None:
    traditional = "標準 示例 { 滿分 10 類型 組織 10分 { 項目 覆蓋 10分 { 扣完為止 扣 1分 如果 是 } } }"
    assert format_text(traditional) == (
        "標準 示例 {\n    滿分 10\n\n    類型 組織 10分 {\n        項目 覆蓋 10分 {\n"
        "            扣完為止\n            扣 1分 如果 是\n        }\n    }\n}\n")
    english = 'rubric R { total 10 section S 10 { item I 10 { deduct 1 if 甲 少于 1 且 true } } }'
    assert format_text(english) == (
        "rubric R {\n    total 10\n\n    section S 10 {\n        item I 10 {\n"
        "            deduct 1 if 甲 < 1 and true\n        }\n    }\n}\n")


def test_minimal_parentheses() -> None:
    text = "标准 R { 令 x = ((a + b)) * (c - (d - e)) 令 y = 非 (a 且 (b 或 c)) }"
    assert format_text(text) == "标准 R {\n    令 x = (a + b) * (c - (d - e))\n    令 y = 非 (a 且 (b 或 c))\n}\n"


def test_names_that_need_quotes_keep_them() -> None:
    text = '标准 "村(社区)党组织" { 事实 "如果": 是否 }'
    assert format_text(text) == '标准 "村(社区)党组织" {\n    事实 "如果": 是否\n}\n'
