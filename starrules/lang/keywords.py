"""Keyword spellings, read from the grammar's keyword terminals, and terminal descriptions."""

from __future__ import annotations

import enum
import functools
import re

import attrs

from ..core.resources import grammar_text

_KEYWORD_LINE = re.compile(r"^(K_\w+)\.\d+: /\(\?:([^)]*)\)\(\?!\\w\)/$", re.MULTILINE)


class Script(enum.Enum):
    SIMPLIFIED = "simplified"
    TRADITIONAL = "traditional"
    ENGLISH = "english"


@attrs.frozen
class Keyword:
    terminal: str
    simplified: str | None
    traditional: str | None
    english: str | None

    def spell(self, script: Script) -> str:
        """The form in `script`, falling back to another form where it has none."""
        if script is Script.ENGLISH and self.english:
            return self.english
        if script is Script.TRADITIONAL and self.traditional:
            return self.traditional
        return self.simplified or self.english or ""

    def script_of(self, text: str) -> Script | None:
        """Which script a spelling belongs to, or None where the scripts share it."""
        if text == self.english:
            return Script.ENGLISH
        if self.simplified == self.traditional:
            return None
        if text == self.traditional:
            return Script.TRADITIONAL
        return Script.SIMPLIFIED if text == self.simplified else None


def _keyword(terminal: str, forms: list[str]) -> Keyword:
    chinese = [f for f in forms if not f.isascii()]
    english = next((f for f in forms if f.isascii()), None)
    simplified = chinese[0] if chinese else None
    traditional = chinese[1] if len(chinese) > 1 else simplified
    return Keyword(terminal, simplified, traditional, english)


@functools.cache
def keywords() -> dict[str, Keyword]:
    """Terminal name → Keyword, for every keyword terminal in grammars/rubric.lark."""
    return {
        m.group(1): _keyword(m.group(1), m.group(2).split("|"))
        for m in _KEYWORD_LINE.finditer(grammar_text())
    }


@functools.cache
def keyword_forms() -> frozenset[str]:
    """Every spelling of every keyword (a bare name equal to one needs quotes)."""
    forms: set[str] = set()
    for kw in keywords().values():
        forms.update(f for f in (kw.simplified, kw.traditional, kw.english) if f)
    return frozenset(forms)


_PUNCTUATION = {
    "LBRACE": "{", "RBRACE": "}", "_LPAR": "(", "_RPAR": ")", "LSQB": "[", "RSQB": "]",
    "COMMA": ",", "COLON": ":", "AT": "@", "LE": "<=", "GE": ">=", "NE": "!=", "LT": "<",
    "GT": ">", "EQ": "=", "PLUS": "+", "MINUS": "-", "STAR": "*", "SLASH": "/",
}
_OTHER = {
    "NAME": "名称", "STRING": "字符串", "NUMBER": "数字", "PERCENT": "百分数",
    "COMMENT": "注释", "$END": "文件结尾",
}


def describe_terminal(name: str) -> str:
    """An author-readable word for a terminal: 关键字“如果”, “{”, 名称 …"""
    if name in keywords():
        kw = keywords()[name]
        return f"“{kw.simplified or kw.english}”"
    if name in _PUNCTUATION:
        return f"“{_PUNCTUATION[name]}”"
    return _OTHER.get(name, name)


def describe_expected(names: set[str]) -> str:
    """A short list of what the parser would accept, most useful first."""
    words = sorted({describe_terminal(n) for n in names}, key=lambda w: (not w.startswith("“"), w))
    named = [w for w in words if not w.startswith("“")]
    quoted = [w for w in words if w.startswith("“")]
    shown = "、".join(named + quoted[:8])
    return shown + (f" 等 {len(words)} 项" if len(quoted) > 8 else "")
