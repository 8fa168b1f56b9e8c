"""Keyword spellings, read from the grammar's keyword terminals, and terminal descriptions."""

from __future__ import annotations

import enum
import functools
import re

import attrs

from ..core.reporter import edit_distance
from ..core.resources import grammar_text

# A keyword's lookahead: it stands alone (如果未设立 is one name) or, for a keyword followed by a
# number in the rules, its Chinese forms may also be glued to a number that ends the word (扣1分).
ALONE = r"(?!\w)"
GLUED = r"(?:(?!\w)|(?<![a-z_])(?=\d+(?:\.\d+)?[分年]?(?!\w)))"
# a comparison word and 每少: the number glued to them may carry a unit (不足24学时, 每少1项扣1分)
UNIT = r"(?:[^\W\d_]|[\u3380-\u33ff\u2103\u00b0])"
UNITED = rf"(?:(?!\w)|(?<![a-z_])(?=\d+(?:\.\d+)?{UNIT}*?(?:(?!\w)|扣\d)))"
# `|\uE000` after the lookahead: the stand-in the parser writes for a 的 an action follows (K_OF)
_KEYWORD_LINE = re.compile(
    rf"^(K_\w+)\.\d+: /\(\?:([^)]*)\)({re.escape(ALONE)}|{re.escape(GLUED)}|{re.escape(UNITED)})(?:\|\\uE000)?/$",
    re.MULTILINE)
# the word a glued keyword makes with its number: 扣1分, 满分100, 不足3, 连续2年; a united one's may end in
# a unit (不足24学时) or a glued 扣 and its number (每少1项扣1分)
_GLUED_WORD = re.compile(r"(\D+?)(\d+(?:\.\d+)?)([分年]?)")
_UNITED_WORD = re.compile(rf"(\D+?)(\d+(?:\.\d+)?)({UNIT}*?)(扣\d.*)?")


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
    document: tuple[str, ...] = ()  # the 评分表's own words for it (不足 for 少于), simplified and traditional
    glued: bool = False  # its Chinese forms may be glued to the number that follows (扣1分)
    united: bool = False  # …and that number to its unit (不足24学时)

    @property
    def forms(self) -> tuple[str, ...]:
        """Every spelling: simplified, traditional, English, then the 评分表's own words."""
        return tuple(dict.fromkeys(f for f in (self.simplified, self.traditional, self.english, *self.document) if f))

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


def _keyword(terminal: str, forms: list[str], lookahead: str = ALONE) -> Keyword:
    document = tuple(f for f in forms if DOCUMENT_SPELLINGS.get(f) == terminal)
    chinese = [f for f in forms if not f.isascii() and f not in document]
    english = next((f for f in forms if f.isascii()), None)
    simplified = chinese[0] if chinese else None
    traditional = chinese[1] if len(chinese) > 1 else simplified
    return Keyword(terminal, simplified, traditional, english, document, lookahead != ALONE, lookahead == UNITED)


@functools.cache
def keywords() -> dict[str, Keyword]:
    """Terminal name → Keyword, for every keyword terminal in grammars/rubric.lark."""
    return {
        m.group(1): _keyword(m.group(1), m.group(2).split("|"), m.group(3))
        for m in _KEYWORD_LINE.finditer(grammar_text())
    }


@functools.cache
def keyword_forms() -> frozenset[str]:
    """Every spelling of every keyword (a bare name equal to one needs quotes)."""
    forms: set[str] = set()
    for kw in keywords().values():
        forms.update(kw.forms)
    return frozenset(forms)


def glued_keyword(word: str) -> Keyword | None:
    """The keyword a word is made of when it is a keyword glued to its number (扣1分 → 扣, 满分100
    → 满分, 不足3 → 不足, 不足24学时 → 不足): the lexer reads such a word as the keyword and the number
    wherever the keyword may stand, so a name spelt so must be quoted."""
    for pattern, united in ((_GLUED_WORD, False), (_UNITED_WORD, True)):
        match = pattern.fullmatch(word)
        head = match.group(1) if match is not None else ""
        if not head or head.isascii():
            continue
        for kw in keywords().values():
            if (kw.united if united else kw.glued) and head in kw.forms:
                return kw
    return None


_PUNCTUATION = {
    "LBRACE": "{", "RBRACE": "}", "_LPAR": "(", "_RPAR": ")", "LSQB": "[", "RSQB": "]",
    "COMMA": ",", "COLON": ":", "AT": "@", "LE": "<=", "GE": ">=", "NE": "!=", "LT": "<",
    "GT": ">", "EQ": "=", "PLUS": "+", "MINUS": "-", "STAR": "*", "SLASH": "/",
}
_OTHER = {
    "NAME": "名称", "STRING": "字符串", "NUMBER": "数字", "UNIT_NUMBER": "带单位的数字", "PERCENT": "百分数",
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

# A printed 评分表's own words that are spellings of a keyword (in the grammar, after the keyword's
# simplified and traditional forms): `人数 不足 3` is `人数 少于 3`, `没有 x` is `非 x`. Each stands
# alone like any keyword (未设立, 没有问题数, 未满足数 are other words). The formatter keeps them as written.
DOCUMENT_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(("不足", "不到", "未达到", "未達到", "未达", "未達", "未满", "未滿", "小于", "小於"), "K_FEWER"),
    **dict.fromkeys(("大于", "大於", "多于", "多於"), "K_MORE"),
    **dict.fromkeys(("大于等于", "大於等於", "不小于", "不小於"), "K_NOT_FEWER"),
    **dict.fromkeys(("小于等于", "小於等於", "不大于", "不大於"), "K_NOT_MORE"),
    **dict.fromkeys(("没有", "沒有", "未"), "K_NOT"),
}

# A printed 评分表's word → the keyword terminal a rubric writes for it, named in a hint where the
# word stands for the keyword. A word that is (or becomes) a keyword spelling is skipped, so the
# table never hides a real keyword.
DOCUMENT_WORDS: dict[str, str] = {
    "并且": "K_AND", "而且": "K_AND", "或者": "K_OR", "那么": "K_THEN", "扣分": "K_DEDUCT", "加分": "K_ADD",
}
# words that negate what follows (无 X = 非 X): found as the name before an unexpected token
NEGATION_WORDS: frozenset[str] = frozenset({"无"})


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
            for form in set(kw.forms):
                limit = typo_limit(form, text)
                if abs(len(form) - len(text)) > limit:
                    continue
                distance = edit_distance(text, form)
                if distance <= limit:
                    found[form] = distance
        if found:
            least = min(found.values())
            return sorted(f for f, d in found.items() if d == least)
    return []
