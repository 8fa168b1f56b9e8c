"""A linear pre-scan of rubric text for nesting past `expression_depth`, so that text nested
thousands deep is refused (E006) before the LALR parser spends seconds on it: the parser
shifts every level of a right-nested expression before it reduces the innermost, so the
builder learns the depth only after the whole text is parsed.

The scan reads tokens as the grammar does, on the text before full-width forms are folded
(that folding is itself a pass over every character), and keeps for each bracket level counts
that are lower bounds of the depth the builder measures (`_Builder._expr`): 若 … 则 … 否则
nested in a 则 part or chained in a 否则 part, a run of prefix `-` and 非, a chain of `+`/`-`
or of `*`/`/`. Whatever it cannot place resets its counts, so for well-formed text it fires
only where the builder would report E006 too, and text within the limit parses exactly as
before. Brackets are bounded by their own count: more than `expression_depth` levels of `(`
and `[` are refused even where they only group.
"""

from __future__ import annotations

import functools
import re

import attrs

from .keywords import keywords

# a string (to the end of its line when unterminated), a comment, a number or percent, a word,
# a two-character comparison, any other character; full-width forms count as their ASCII ones
# `@名称` with its path (`@组.班子建设.得分率`, names quoted or not) is one operand
# (a word may hold the full-width ＿, which is folded to _ before the parse)
_WORD = r'(?:[^\W\d]|＿)(?:\w|＿)*'
_NAME = rf'(?:["＂](?:[^"\\\n]|\\.)*"?|{_WORD})'
_TOKEN = re.compile(rf'[@＠]{_NAME}(?:[.．]{_NAME})*|["＂](?:[^"\\\n]|\\.)*"?|[#＃][^\n]*|\d+(?:[.．]\d+)?[%％]?|{_WORD}'
                    r'|[<>!＜＞！][=＝]|\S')
_WIDE = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# a run of plain text, a string, a comment or a brace (group 1): every character starts one of
# them, so no match fails and the scan is linear (a run left unmatched would be retried from each
# of its characters: quadratic on a long stretch with no brace, string or comment)
_BRACES = re.compile(r'[^"＂#＃{}｛｝]+|["＂](?:[^"\\\n]|\\.)*"?|[#＃][^\n]*|([{}｛｝])')
# what each level of nesting needs at least one of: D = 则s + operators + 1, brackets one each
_NESTERS = ("(", "[", "（", "［", "-", "+", "*", "/", "－", "＋", "＊", "／", "则", "則", "then", "ｔｈｅｎ", "非", "not", "ｎｏｔ")

_OPERAND, _FUNCTION, _POINTS, _OPEN, _CLOSE, _COMMA, _PLUS, _MINUS, _TIMES, _NOT, _BOUNDARY, _IF, _THEN, \
    _ELSE, _STATEMENT = range(15)
_TERMINAL_KINDS = {
    "K_TOTAL": _OPERAND, "K_TOTAL_EN": _OPERAND, "K_SECTIONS_BELOW_PASS": _OPERAND, "K_TRUE": _OPERAND,
    "K_FALSE": _OPERAND, "K_MIN": _FUNCTION, "K_MAX": _FUNCTION, "K_FLOOR": _FUNCTION, "K_COUNT_TRUE": _FUNCTION,
    "K_COUNT_FALSE": _FUNCTION, "K_ANY": _FUNCTION, "K_ALL": _FUNCTION, "K_POINTS": _POINTS, "K_NOT": _NOT,
    "K_AND": _BOUNDARY, "K_OR": _BOUNDARY, "K_IN": _BOUNDARY, "K_FEWER": _BOUNDARY, "K_LOWER": _BOUNDARY,
    "K_NOT_FEWER": _BOUNDARY, "K_NOT_LOWER": _BOUNDARY, "K_MORE": _BOUNDARY, "K_HIGHER": _BOUNDARY,
    "K_NOT_MORE": _BOUNDARY, "K_NOT_HIGHER": _BOUNDARY, "K_EQUALS": _BOUNDARY, "K_IF_COND": _IF, "K_IF_EN": _IF,
    "K_THEN": _THEN, "K_ELSE": _ELSE,
}
_PUNCTUATION = {"(": _OPEN, "[": _OPEN, ")": _CLOSE, "]": _CLOSE, ",": _COMMA, "+": _PLUS, "-": _MINUS,
                "*": _TIMES, "/": _TIMES, "@": _FUNCTION, "<": _BOUNDARY, "<=": _BOUNDARY, ">": _BOUNDARY,
                ">=": _BOUNDARY, "=": _BOUNDARY, "!=": _BOUNDARY}
# the tokens an expression (so a 若 … 则 … 否则) may follow: 如果/if, 当, 依次比较, 每, =, 则, 否则,
# and an opening bracket or a comma inside brackets (a comma outside them separates names)
_EXPRESSION_AFTER = frozenset({"K_IF", "K_IF_EN", "K_WHEN", "K_IN_ORDER", "K_PER", "=", "(", "[", "K_THEN", "K_ELSE"})


@functools.cache
def _words() -> dict[str, tuple[int, str]]:
    """Each keyword spelling → (its kind here, its terminal)."""
    return {form: (_TERMINAL_KINDS.get(terminal, _STATEMENT), terminal)
            for terminal, kw in keywords().items()
            for form in kw.forms}


@attrs.frozen
class TooDeep:
    """Where the part nested too deep starts (its first token's offsets), and whether brackets
    (rather than the expression's operators) go past the limit there."""

    start: int
    end: int
    brackets: bool


Place = tuple[int, int]  # a token's start and end offsets


@attrs.define
class _Level:
    """One bracket level: its open 若 (state C: in the condition, not yet counted; A: in the
    则 part; B: in the 否则 part, kept only while a 若 chained right after that 否则 is open),
    and the chains met since the last boundary with the place each starts."""

    opened: Place  # its opening bracket
    ifs: list[tuple[str, Place]] = attrs.Factory(list)
    sums: int = 0  # + and - in the current chain
    products: int = 0  # * and / in its current term
    prefixes: int = 0  # the current run of prefix - and 非
    chain: Place | None = None
    term: Place | None = None
    run: Place | None = None

    def chains_end(self) -> None:
        self.sums = self.products = self.prefixes = 0
        self.chain = self.term = self.run = None

    def counted(self) -> int:
        return sum(state != "C" for state, _ in self.ifs)


def too_deep(text: str, limit: int) -> TooDeep | None:
    """The start of the outermost part of `text` that certainly nests deeper than `limit`
    (`_Builder._expr` would find that part too deep), or None."""
    start = 0
    for match in _BRACES.finditer(text):  # a brace resets every count: the stretches between are
        if match.group(1):                  # scanned apart, and only those with enough operators
            found = _stretch(text, start, match.start(1), limit)
            if found is not None:
                return found
            start = match.end()
    return _stretch(text, start, len(text), limit)


def _stretch(text: str, start: int, end: int, limit: int) -> TooDeep | None:
    """`_scan` of text[start:end] when it holds enough operators and brackets to nest past
    `limit` (counted with str.count, strings and comments included: a count too high only
    costs a scan)."""
    part = text[start:end]
    if sum(map(part.count, _NESTERS)) < limit:
        return None
    return _scan(text, start, end, limit)


def _scan(text: str, start: int, end: int, limit: int) -> TooDeep | None:
    words = _words()
    levels = [_Level((0, 0))]
    counted = 0  # A and B entries over all levels: if-nodes around the current token
    ended = False  # the previous token ends an operand
    after_else = False
    previous = ""
    for match in _TOKEN.finditer(text, start, end):
        token = match.group()
        first = token[0]
        if first in "#＃":
            continue
        place = match.span()
        label = ""
        if first in '"＂@＠' or first.isdigit():
            kind = _OPERAND
        elif first.isalnum() or first in "_＿":
            kind, label = words.get(token.translate(_WIDE), (_OPERAND, ""))
        else:
            label = token.translate(_WIDE)
            kind = _PUNCTUATION.get(label, _STATEMENT)
        level = levels[-1]
        if after_else:  # a 否则 part that is not itself a 若 ends where the scan cannot tell
            after_else = False
            if kind != _IF:
                while level.ifs and level.ifs[-1][0] == "B":
                    level.ifs.pop()
                    counted -= 1
        if kind == _OPERAND or kind == _FUNCTION:
            if ended:  # an operand right after another: a new statement (a scheme's next level)
                levels, counted = [_Level((0, 0))], 0
                level = levels[0]
            level.chain = level.chain or place
            level.term = level.term or place
            level.prefixes, level.run = 0, None
            ended = kind == _OPERAND
        elif kind == _POINTS:
            ended = True
        elif kind == _OPEN:
            level.chain = level.chain or place
            level.term = level.term or place
            level.prefixes, level.run = 0, None
            levels.append(_Level(place))
            if len(levels) - 1 > limit:
                return TooDeep(*levels[1].opened, True)
            ended = False
        elif kind == _CLOSE:
            if len(levels) > 1:
                counted -= levels.pop().counted()
            else:  # unbalanced
                levels, counted = [_Level((0, 0))], 0
            ended = True
        elif kind == _COMMA:
            counted -= level.counted()
            level.ifs.clear()
            level.chains_end()
            ended = False
        elif (kind == _PLUS or kind == _MINUS or kind == _TIMES) and ended:  # a binary operator
            if kind == _TIMES:
                level.products += 1
            else:
                level.sums += 1
                level.products, level.term = 0, None
            ended = False
        elif kind == _MINUS or kind == _NOT:  # a prefix operator (非 also ends a chain of sums)
            if kind == _NOT:  # the operand of 非 is a comparison: the chains of sums end
                level.sums = level.products = 0
                level.chain = level.term = None
            level.chain = level.chain or place
            level.term = level.term or place
            level.run = level.run or place
            level.prefixes += 1
            ended = False
        elif kind == _IF and previous in _EXPRESSION_AFTER and (previous != "," or len(levels) > 1):
            level.chains_end()
            level.ifs.append(("C", place))
            ended = False
        elif kind == _THEN:
            level.chains_end()
            if level.ifs and level.ifs[-1][0] == "C":
                level.ifs[-1] = ("A", level.ifs[-1][1])
                counted += 1
            ended = False
        elif kind == _ELSE:
            level.chains_end()
            while level.ifs and level.ifs[-1][0] != "A":
                counted -= level.ifs.pop()[0] == "B"
            if level.ifs:
                level.ifs[-1] = ("B", level.ifs[-1][1])
                after_else = True
            ended = False
        elif kind == _BOUNDARY or kind == _PLUS or kind == _TIMES:
            level.chains_end()
            ended = False
        else:  # a statement's keyword or punctuation (or a clause's 如果/if): no expression spans it
            levels, counted = [_Level((0, 0))], 0
            ended = False
        level = levels[-1]
        chain = max(level.sums, level.products, level.prefixes)
        if counted + chain + 1 > limit:
            return TooDeep(*_outermost(levels, counted, chain), False)
        previous = label
    return None


def _outermost(levels: list[_Level], counted: int, chain: int) -> Place:
    """Where the nesting that went past the limit starts: its outermost 若, else the start of
    the chain at the current level."""
    if counted:
        return next(place for level in levels for state, place in level.ifs if state != "C")
    level = levels[-1]
    start = level.chain if chain == level.sums else level.term if chain == level.products else level.run
    assert start is not None
    return start
