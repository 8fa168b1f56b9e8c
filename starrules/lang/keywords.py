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


# ── the document's habits: a misspelt keyword, or a 评分表's own word for one ────────────

# A printed 评分表's word → the keyword terminal a rubric writes for it. A word that is (or
# becomes) a keyword spelling is skipped, so the table never hides a real keyword.
DOCUMENT_WORDS: dict[str, str] = {
    "不足": "K_FEWER", "不到": "K_FEWER", "未达到": "K_FEWER", "未达": "K_FEWER", "未满": "K_FEWER",
    "小于": "K_FEWER", "大于": "K_MORE", "多于": "K_MORE", "大于等于": "K_NOT_FEWER", "不小于": "K_NOT_FEWER",
    "小于等于": "K_NOT_MORE", "不大于": "K_NOT_MORE", "并且": "K_AND", "而且": "K_AND", "或者": "K_OR",
    "那么": "K_THEN", "扣分": "K_DEDUCT", "加分": "K_ADD",
}
# words that negate what follows (没有 X = 非 X): found as the name before an unexpected token
NEGATION_WORDS: frozenset[str] = frozenset({"没有", "未", "无"})


def document_word(text: str) -> Keyword | None:
    """The keyword a 评分表 word stands for (不足 → 少于), unless the word is a keyword itself."""
    if text in keyword_forms():
        return None
    terminal = "K_NOT" if text in NEGATION_WORDS else DOCUMENT_WORDS.get(text)
    return keywords().get(terminal) if terminal else None


def typo_limit(form: str, text: str | None = None) -> int:
    """Edits allowed between a keyword spelling and a name taken for its typo, by the shorter of
    the two: none for one character (any other character is as near), 1 for two or three, 2 for
    four or more (`不得份` → `不得分`, `扣完為指` → `扣完為止`; `扣完` is no `扣完为止`)."""
    size = min(len(form), len(text)) if text is not None else len(form)
    return 0 if size <= 1 else 1 if size <= 3 else 2


def near_keywords(text: str, expected: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The keyword spellings nearest to `text` within `typo_limit`: among the terminals in
    `expected` first, any keyword when none of those is near; [] for a keyword itself."""
    if text in keyword_forms():
        return []
    table = keywords()
    for terminals in ([t for t in table if t in expected], list(table)):
        found: dict[str, int] = {}
        for terminal in terminals:
            kw = table[terminal]
            for form in {f for f in (kw.simplified, kw.traditional, kw.english) if f}:
                limit = typo_limit(form, text)
                if abs(len(form) - len(text)) > limit:
                    continue
                distance = _distance(text, form)
                if distance <= limit:
                    found[form] = distance
        if found:
            least = min(found.values())
            return sorted(f for f, d in found.items() if d == least)
    return []


def _distance(a: str, b: str) -> int:
    """Levenshtein distance on characters (a Chinese character is one)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
