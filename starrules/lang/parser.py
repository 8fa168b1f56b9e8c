"""Text → typed AST. The only module that imports Lark; its trees never leave here."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import attrs
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from . import ast
from ..core.diagnostics import Diagnostic, RubricSyntaxError
from .keywords import (DOCUMENT_SPELLINGS, NEGATION_WORDS, describe_expected, describe_terminal, document_word,
                       glued_keyword, keyword_forms, keywords, near_keywords)
from ..core.limits import DEFAULT, Limits, utf8_size_over
from .nesting import TooDeep, too_deep
from ..core.resources import grammar_text
from ..core.source import Span, clean, normalise, source_line

MAX_SYNTAX_ERRORS = 20
MAX_DROPPED_TOKENS = 10_000  # recovery stops after this many tokens dropped in a row
_DEEP_HINT = "把表达式拆成几个“令”派生值"
_ESCAPE = re.compile(r"\\([\"\\])")


class _AlwaysAcceptNames:
    """Lets the contextual lexer match NAME in every state, so a name that starts with a
    keyword (如果未设立) is read whole instead of as the keyword plus a name."""

    always_accept = ("NAME",)

    def process(self, stream: Any) -> Any:
        for token in stream:
            if token.type == "UNIT_NUMBER":
                yield from _split_keyword_unit(token)
            elif token.type == "K_OF":  # the stand-in mark_of wrote is read back as the 的 written
                yield Token.new_borrow_pos("K_OF", "的", token)
            else:
                yield token


# A 的 between a condition and its action (应建未建的不得分, 满意率 少于 60%的,扣1分, 不足6项的 每少1项扣1分,
# [a, b] 有一项不符合的 扣1分): followed on its line by an action, after spaces and a comma at most.
OF_MARK = "\ue000"  # K_OF's stand-in: not a word character, so 是的, 3的, 24学时的 end the word before it


@functools.cache
def _marked() -> re.Pattern[str]:
    """Strings, comments, a 的 an action follows, and a stand-in typed by hand. The actions' words are
    every spelling the keyword table has for them: alone (不得分, 不适用), before points (扣1分), 每少 N."""
    table = keywords()

    def spelt(*terminals: str) -> str:
        return "|".join(re.escape(form) for t in terminals for form in table[t].forms)
    action = (rf"(?:(?:{spelt('K_ZERO', 'K_NOT_APPLICABLE')}|(?:{spelt('K_DEDUCT', 'K_AWARD', 'K_ADD')})"
              rf"[ \t]*\d+(?:\.\d+)?(?:[ \t]*(?:分|pts))?)(?!\w)|(?:{spelt('K_PER_SHORT')})[ \t]*\d)")
    return re.compile(rf'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|的(?=[ \t]*(?:,[ \t]*)?{action})|{OF_MARK}')


def mark_of(normalised: str) -> str:
    """The text the lexer reads: each 的 an action follows (outside strings and comments) becomes
    OF_MARK, one character for one, so a name ending in 的 followed by an action reads as the
    condition and 的 (write "目的" in quotes for a name that really ends so)."""
    if "的" not in normalised and OF_MARK not in normalised:
        return normalised
    return _marked().sub(_mark, normalised)


def _mark(match: re.Match[str]) -> str:
    found = match.group(0)
    if found == "的":
        return OF_MARK
    return "\ufffd" if found == OF_MARK else found  # a stand-in typed outside a string is no 的


_UNIT_NUMBER = re.compile(r"(\d+(?:\.\d+)?)(.+)", re.DOTALL)


def _split_keyword_unit(token: Token) -> list[Token]:
    """`32学时` is one UNIT_NUMBER; `3且` (a number glued to a keyword) is the number and the
    keyword, as it was read before units existed."""
    digits, unit = _UNIT_NUMBER.fullmatch(str(token)).groups()  # type: ignore[union-attr]
    spelled = [t for t, kw in keywords().items() if unit in kw.forms]
    if not spelled:
        return [token]
    at = (token.start_pos or 0) + len(digits)
    column = (token.column or 1) + len(digits)
    number = Token("NUMBER", digits, token.start_pos, token.line, token.column, token.line, column, at)
    keyword = Token(spelled[0], unit, at, token.line, column, token.end_line, token.end_column, token.end_pos)
    return [number, keyword]


@functools.cache
def _lark() -> Lark:
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_AlwaysAcceptNames(),
        propagate_positions=True,
        maybe_placeholders=True,
    )


@attrs.frozen
class _Name:
    text: str
    span: Span
    quoted: bool


def parse(text: str, filename: str | None = None, limits: Limits = DEFAULT) -> ast.Module:
    """Parse rubric text into a Module; raise RubricSyntaxError with every error found."""
    file = filename or "<text>"
    text = clean(text)
    size = utf8_size_over(text, limits.file_bytes)
    if size is not None:
        span = Span(file, 1, 1, 1, 2)
        raise RubricSyntaxError([Diagnostic("E008", f"文件过大({size} 字节,最多 {limits.file_bytes} 字节)", span,
                                            source_line(text, 1), "把标准拆成几个文件,用“引用”组合")])
    deep = too_deep(text, limits.expression_depth)
    if deep is not None:  # refused before the parser spends time on every level
        raise RubricSyntaxError([_too_deep(file, text, deep, limits)])
    errors: list[Diagnostic] = []
    recovery = _Recovery(file, text, errors)
    normalised = normalise(text)
    try:
        tree = _lark().parse(mark_of(normalised), on_error=recovery)
    except UnexpectedInput as exc:
        if not recovery.gave_up:
            recovery.record(exc)
        tree = None
    if errors or tree is None:
        raise RubricSyntaxError(errors)
    builder = _Builder(file, text, limits)
    blocks = builder.build(tree)
    if builder.errors:
        raise RubricSyntaxError(builder.errors)
    comments = [ast.Comment(m.group(0), builder.span_at(m.start(), m.end())) for m in _comments(normalised)]
    return ast.Module(file, tuple(blocks), text, tuple(comments))


def _too_deep(file: str, text: str, deep: TooDeep, limits: Limits) -> Diagnostic:
    line = text.count("\n", 0, deep.start) + 1
    column = deep.start - (text.rfind("\n", 0, deep.start) + 1) + 1
    span = Span(file, line, column, line, column + deep.end - deep.start)
    if deep.brackets:
        return Diagnostic("E006", f"括号嵌套过深(最多 {limits.expression_depth} 层)", span, source_line(text, line),
                          "去掉多余的括号,或把表达式拆成几个“令”派生值")
    return Diagnostic("E006", f"表达式嵌套过深(最多 {limits.expression_depth} 层)", span, source_line(text, line),
                      _DEEP_HINT)


def _comments(normalised: str) -> list[re.Match[str]]:
    """`#` comments outside strings (the normalised text has the original's positions)."""
    found = []
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*', normalised):
        if m.group(0).startswith("#"):
            found.append(m)
    return found


# Tokens that begin a statement or close a block: recovery resumes at the next of these.
_SYNC = frozenset({
    "RBRACE", "K_IMPORT", "K_CONDITION", "K_SCHEME", "K_CONSEQUENCES", "K_RANKING", "K_RUBRIC", "K_DOWNGRADE",
    "K_ONE_STEP_UP", "K_QUOTA", "K_BOTTOM", "K_TIE", "K_TITLE", "K_VERSION", "K_SOURCE", "K_MAX_SCORE",
    "K_RESCALE", "K_PRECISION", "K_FACT", "K_LET", "K_SECTION", "K_MODULE", "K_BONUS", "K_PENALTY",
    "K_VETO", "K_RATERS", "K_REMOVE", "K_ITEM", "K_INDICATOR", "K_DEDUCT", "K_PER", "K_AWARD", "K_ADD",
    "K_ZERO", "K_START", "K_JUDGED", "K_JUDGED_AWARD", "K_JUDGED_DEDUCT", "K_GRADES", "K_NOT_APPLICABLE", "K_SCORE", "K_FLOOR_ZERO",
    "K_MAX_DEDUCT", "K_ALLOW_NEGATIVE", "K_CRITERION", "K_METHOD",
})


class _Recovery:
    """Panic-mode recovery: after an error, drop tokens up to the next one that starts a
    statement or closes a block, and pop parser states until it fits there; errors met
    while dropping are consequences of the first and are not reported."""

    def __init__(self, file: str, text: str, errors: list[Diagnostic]) -> None:
        self.file, self.text, self.errors = file, text, errors
        self.dropping = False
        self.dropped = 0  # tokens dropped since the last error: garbage costs Lark ~50 µs a token
        self.gave_up = False

    def __call__(self, exc: UnexpectedInput) -> bool:
        if not self.dropping:
            self.record(exc)
            self.dropped = 0
        self.dropped += 1
        if len(self.errors) >= MAX_SYNTAX_ERRORS or self.dropped > MAX_DROPPED_TOKENS:
            # a file that is megabytes of stray tokens: its first error is reported, not minutes later
            self.gave_up = True
            return False
        self.dropping = True
        if isinstance(exc, UnexpectedToken):
            if exc.token.type == "$END":
                return False
            state = exc.interactive_parser.parser_state
            table = state.parse_conf.states
            for token in _as_keywords(exc.token):
                fits = [i for i, s in enumerate(state.state_stack) if token.type in table[s]]
                if token.type in _SYNC and fits:
                    del state.state_stack[fits[-1] + 1 :]
                    del state.value_stack[fits[-1] :]
                    exc.interactive_parser.feed_token(token)
                    self.dropping = False
                    break
        return True

    def record(self, exc: UnexpectedInput) -> None:
        diagnostic = self._diagnose(exc)
        last = self.errors[-1] if self.errors else None
        if last is None or (last.span.line, last.span.column) != (diagnostic.span.line, diagnostic.span.column):
            self.errors.append(diagnostic)

    def _diagnose(self, exc: UnexpectedInput) -> Diagnostic:
        line, column = exc.line, exc.column
        if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":  # just past the last character
            lines = self.text.rstrip().split("\n")
            line, column = len(lines), len(lines[-1]) + 1
        line_text = source_line(self.text, line)
        if isinstance(exc, UnexpectedCharacters):
            char = line_text[column - 1 : column] or " "
            span = Span(self.file, line, column, line, column + 1)
            if normalise(char) == '"':
                return Diagnostic("E004", "字符串缺少结尾引号", span, line_text, "在同一行内用 \" 结束字符串")
            return Diagnostic("E001", f"无法识别的字符“{char}”", span, line_text,
                              hint=_punctuation_hint(char) or _expected_hint(exc.allowed or set()))
        assert isinstance(exc, UnexpectedToken)
        token = exc.token
        expected = set(exc.accepts or exc.expected)
        if token.type == "$END":
            span = Span(self.file, line, column, line, column + 1)
            return Diagnostic("E003", "文件意外结束", span, line_text, hint=_expected_hint(expected))
        values = list(exc.interactive_parser.parser_state.value_stack) if exc.interactive_parser else []
        of_hint = _of_hint(values, token, expected)
        lone = None if of_hint is not None else _lone_condition(exc)
        if lone is not None:  # a clause began with a name and went wrong after it: the name is the error
            token, expected, values = lone
            line, column = token.line or line, token.column or column
            line_text = source_line(self.text, line)
        negation = _negation_before(values)
        if negation is not None:  # 如果 没有 X: the 评分表's 没有 read as a name, X unexpected after it
            return self._negation(negation, token)
        end = column + len(str(token)) if token.end_line == line else len(line_text) + 1
        span = Span(self.file, line, column, line, end)
        found = describe_terminal(token.type)
        if str(token) in keyword_forms():
            found = f"关键字“{token}”"
        elif token.type in ("NAME", "NUMBER", "UNIT_NUMBER", "STRING"):
            found = f"{found}“{token}”"
        hint = of_hint or (_name_hint(str(token), expected) if token.type == "NAME" else None)
        return Diagnostic("E002", f"这里不应出现{found}", span, line_text,
                          hint=hint or _expected_hint(expected))

    def _negation(self, word: Token, after: Token) -> Diagnostic:
        line, column = word.line or 1, word.column or 1
        span = Span(self.file, line, column, line, column + len(str(word)))
        shown = str(after) if after.type in ("NAME", "NUMBER", "STRING") else "…"
        return Diagnostic("E002", f"“{word}”不是关键字", span, source_line(self.text, line),
                          hint=f"评分表里的“{word}”在规则中写作“非”:非 {shown}")


def _as_keywords(token: Token) -> list[Token]:
    """The token, and — for a keyword the contextual lexer read as a NAME in a state that
    did not expect it — the same text as each keyword it spells."""
    if token.type != "NAME":
        return [token]
    spelled = [t for t, kw in keywords().items() if str(token) in kw.forms]
    return [token] + [Token.new_borrow_pos(t, str(token), token) for t in spelled]


def _expected_hint(expected: set[str]) -> str | None:
    shown = {e for e in expected if e not in ("COMMENT",)}
    return f"此处应为:{describe_expected(shown)}" if shown else None


def _name_hint(text: str, expected: set[str]) -> str | None:
    """A name where the parser wanted something else: a 评分表 word for a keyword (不足 →
    少于), a misspelt keyword (不得份 → 不得分), a keyword run into a name (如果未设立)."""
    word = document_word(text)
    if word is not None:
        return f"评分表里的“{text}”在规则中写作“{word.simplified or word.english}”"
    near = near_keywords(text, expected)
    fits = any(form in kw.forms for form in near for t, kw in keywords().items() if t in expected)
    typo = f"是否想写{'或'.join(f'“{form}”' for form in near)}?" if near else None
    prefix = _keyword_prefix_hint(text, expected, only_expected=fits)  # beside a typo that fits, only one that fits
    if typo and not fits:  # near only to keywords that do not fit here: the list of what does follows
        typo = f"{typo}{_expected_hint(expected) or ''}"
    return ";".join(h for h in (typo, prefix) if h) or None


def _last_token(values: Sequence[Any]) -> Token | None:
    """The rightmost token of what the parser read last."""
    last: Any = values[-1] if values else None
    while isinstance(last, Tree):
        kids = [k for k in last.children if k is not None]
        last = kids[-1] if kids else None
    return last if isinstance(last, Token) else None


def _negation_before(values: Sequence[Any]) -> Token | None:
    """The name just before an unexpected token, when it is a 评分表 word for 非 (没有, 未)."""
    last = _last_token(values)
    if last is not None and last.type == "NAME" and str(last) in NEGATION_WORDS \
            and document_word(str(last)) is not None:
        return last
    return None


_ACTIONS = "不得分、扣N分、得N分、加N分、不适用,或 每少N项 扣N分"
_ACTION_TERMINALS = frozenset({"K_ZERO", "K_DEDUCT", "K_AWARD", "K_ADD", "K_NOT_APPLICABLE", "K_PER_SHORT"})


def _of_hint(values: Sequence[Any], token: Token, expected: set[str]) -> str | None:
    """A 的 where no condition comes first (`扣1分 如果 目的 不得分 …`: 目的 read as 目 and 的), or a
    condition written first whose 的 no action follows (`X的 好`, `X的 }`)."""
    last = _last_token(values)
    if token.type == "K_OF":
        if last is not None and last.type == "NAME" and last.end_pos == token.start_pos:
            return f"“的”后面紧跟动作时读作“条件的 动作”;“{last}的”若是一个名称,写在双引号里:\"{last}的\""
        return "条件写在前面时才用“的”,后面紧跟动作:X的 不得分、X的,扣1分"
    ends_in_of = last is not None and last.type == "NAME" and str(last).endswith("的")
    if "K_OF" in expected and token.type in _ACTION_TERMINALS and ends_in_of:  # X的 ⏎ 不得分
        return "条件写在前面时,“的”和它后面的动作要写在同一行:X的 不得分"
    if "K_OF" in expected and token.type in _ACTION_TERMINALS:  # 应建未建 不得分: the 的 left out
        return f"条件写在前面时,条件和动作之间要写“的”:X的 {token}…"
    if "K_OF" in expected and last is not None and (last.type == "K_OF" or ends_in_of):
        return f"条件写在前面时,“的”后面应紧跟动作:{_ACTIONS}"
    return None


def _lone_condition(exc: UnexpectedToken) -> tuple[Token, set[str], list[Any]] | None:
    """A clause that began with a name and went wrong right after it (`扣分 如果 …`, `不得份 如果 …`,
    `如果 无 x`): the name, what the clause could have begun with, and what was read before it —
    diagnosed as before clauses could be written condition first."""
    if exc.interactive_parser is None:
        return None
    state = exc.interactive_parser.parser_state
    values, states, table = state.value_stack, state.state_stack, state.parse_conf.states
    # the last state where a clause could begin (only a clause begins with 不得分), and what was read since
    start = next((i for i in range(len(values) - 1, -1, -1) if "K_ZERO" in table[states[i]]), None)
    if start is None or len(values) - start != 1:
        return None
    tokens = [t for t in _flat_tokens(values[start]) if t is not None]
    if len(tokens) != 1 or tokens[0].type != "NAME":
        return None
    terminals = {name for name in table[states[start]] if name.isupper()}  # not the rules it may go to
    return tokens[0], terminals, list(values[:start])


def _flat_tokens(value: Any) -> list[Token]:
    if isinstance(value, Token):
        return [value]
    if isinstance(value, Tree):
        return [t for kid in value.children for t in _flat_tokens(kid)]
    return []


# IME punctuation where the language has ASCII (full-width ASCII forms are already read as
# ASCII by `normalise`; these are the CJK marks it leaves, and `;` which the language lacks).
# `{c}` is the character as written.
_QUOTES = "全角引号 {c} :用英文双引号 \"…\" 括起文字"
_BRACKETS = "全角的“{c}”:列表用英文方括号 [ ];名称里的括号连同名称写在英文双引号里"
_SHAPES = "全角的“{c}”:名称里有它时,把整个名称写在英文双引号里"
_PUNCTUATION_FIXES: dict[str, str] = {
    "、": "全角的“{c}”:选项之间用英文逗号 ,", "。": "句末的“{c}”不需要:删去它",
    ";": "分号“{c}”不需要:语句之间用空格或换行分开,删去它",
    **dict.fromkeys("“”‘’「」『』", _QUOTES), **dict.fromkeys("【】〔〕", _BRACKETS),
    **dict.fromkeys("《》·", _SHAPES),
    "≥": "“{c}”写作 >= 或“不低于”", "≤": "“{c}”写作 <= 或“不超过”", "≠": "“{c}”写作 !=",
    "×": "乘号“{c}”写作 *", "÷": "除号“{c}”写作 /", "—": "“{c}”:减号写作 -", "–": "“{c}”:减号写作 -",
    "…": "省略号“{c}”不是语言的一部分:写出完整的内容",
}


def _punctuation_hint(char: str) -> str | None:
    """`、`, `“`, `。` … where the language wants ASCII: the character and its fix."""
    fix = _PUNCTUATION_FIXES.get(normalise(char))
    return fix.format(c=char) if fix is not None else None


def _keyword_prefix_hint(text: str, expected: set[str], only_expected: bool = False) -> str | None:
    """`如果未设立` where 如果 was expected: suggest the missing space."""
    candidates = []
    for terminal, kw in keywords().items():
        if only_expected and terminal not in expected:
            continue
        for form in kw.forms:
            if text.startswith(form) and len(text) > len(form):
                candidates.append((terminal in expected, len(form), form))
    if not candidates:
        return None
    _, _, form = max(candidates)
    return f"“{text}”被读作一个名称;如果“{form}”是关键字,请在它后面加空格:“{form} {text[len(form):]}”"


# ── tree → AST ───────────────────────────────────────────────────────────────

Kids = Sequence[Any]
_N = TypeVar("_N")  # an AST node: _expr hands back what it was given
_Chain = TypeVar("_Chain", ast.And, ast.Or)  # _flat builds the kind of chain it is given


def _tokens(kids: Kids, *types: str) -> list[Token]:
    return [k for k in kids if isinstance(k, Token) and (not types or k.type in types)]


def _token(kids: Kids, *types: str) -> Token | None:
    found = _tokens(kids, *types)
    return found[0] if found else None


def _of(kids: Kids, *classes: type) -> list[Any]:
    return [k for k in kids if isinstance(k, classes)]


def _string(token: Token) -> str:
    return _ESCAPE.sub(r"\1", str(token)[1:-1])


_COMPARE = {
    "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "EQ": "=", "NE": "!=",
    "K_FEWER": "<", "K_LOWER": "<", "K_NOT_FEWER": ">=", "K_NOT_LOWER": ">=", "K_MORE": ">",
    "K_HIGHER": ">", "K_NOT_MORE": "<=", "K_NOT_HIGHER": "<=", "K_EQUALS": "=",
}
_FUNCTIONS = {"K_MIN": "min", "K_MAX": "max", "K_FLOOR": "floor", "K_COUNT_TRUE": "count_true",
              "K_COUNT_FALSE": "count_false", "K_ANY": "any", "K_ALL": "all"}
_FACT_TYPES = {"K_BOOL": "bool", "K_COUNT": "count", "K_NUMBER": "number", "K_RATIO": "ratio",
               "K_CHOICE": "choice"}
_META = {"K_TITLE": "title", "K_VERSION": "version", "K_SOURCE": "source"}
_EXPRESSIONS = (ast.Number, ast.Percent, ast.Bool, ast.NameRef, ast.ScoreRef, ast.TotalRef,
                ast.BelowPassRef, ast.Negate, ast.Binary, ast.Compare, ast.InList, ast.Not,
                ast.And, ast.Or, ast.IfElse, ast.Call, ast.ListCall)


class _Builder:
    """Builds AST nodes bottom-up from the Lark tree without recursion (depth-safe)."""

    def __init__(self, file: str, text: str, limits: Limits) -> None:
        self.file, self.text, self.limits = file, text, limits
        self.errors: list[Diagnostic] = []
        self.items = 0
        self.depth: dict[int, int] = {}
        self._built: list[Any] = []  # keeps nodes alive so their ids in `depth` stay unique
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def span_at(self, start: int, end: int) -> Span:
        def place(offset: int) -> tuple[int, int]:
            index = bisect.bisect_right(self._line_starts, offset) - 1
            return index + 1, offset - self._line_starts[index] + 1

        line, column = place(start)
        end_line, end_column = place(end)
        return Span(self.file, line, column, end_line, end_column)

    def build(self, tree: Tree[Token]) -> list[ast.TopLevel]:
        stack: list[tuple[Any, bool]] = [(tree, False)]
        out: list[Any] = []
        while stack:
            node, expanded = stack.pop()
            if not isinstance(node, Tree):
                out.append(self._leaf(node))
            elif expanded:
                count = len(node.children)
                kids = out[len(out) - count :] if count else []
                del out[len(out) - count :]
                out.append(getattr(self, node.data)(self._span(node), kids))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        return list(out[0])

    def _leaf(self, node: Any) -> Any:
        if not isinstance(node, Token):
            return node
        limits = self.limits
        if node.type in ("NUMBER", "PERCENT", "UNIT_NUMBER"):
            if _digits(str(node)) > limits.number_digits:
                self._error("E005", f"数字位数过多(最多 {limits.number_digits} 位)", self._token_span(node))
        elif node.type == "STRING" and len(node) - 2 > limits.string_length:
            self._error("E010", f"字符串过长({len(node) - 2} 个字符,最多 {limits.string_length} 个)",
                        self._token_span(node), "较长的说明文字请精简,或放到标准之外的文档中")
        elif node.type == "NAME" and len(node) > limits.name_length:
            self._error("E009", f"名称过长({len(node)} 个字符,最多 {limits.name_length} 个)",
                        self._token_span(node), "起一个简短的名称,把完整的表述写进“说明”")
        return node

    def _list(self, span: Span, entries: Sequence[Any], what: str) -> None:
        if len(entries) > self.limits.list_size:
            self._error("E011", f"{what}过多({len(entries)} 个,最多 {self.limits.list_size} 个)", span)

    def _span(self, tree: Tree[Token]) -> Span:
        meta = tree.meta
        if meta.empty:
            return Span(self.file, 1, 1, 1, 1)
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _token_span(self, token: Token) -> Span:
        return Span(self.file, token.line or 1, token.column or 1, token.end_line or 1, token.end_column or 1)

    def _error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(code, message, span, source_line(self.text, span.line), hint))

    def _expr(self, node: _N, span: Span, *children: Any) -> _N:
        """Record nesting depth; too deep an expression is an error, not a stack overflow."""
        depth = 1 + max((self.depth.get(id(c), 0) for c in children), default=0)
        if depth == self.limits.expression_depth + 1:
            self._error("E006", f"表达式嵌套过深(最多 {self.limits.expression_depth} 层)", span, _DEEP_HINT)
        self.depth[id(node)] = depth
        self._built.append(node)
        return node

    # names, literals, references
    def name(self, span: Span, kids: Kids) -> _Name:
        token = kids[0]
        if token.type == "STRING":
            name = _string(token)
            if len(name) > self.limits.name_length:
                self._error("E009", f"名称过长({len(name)} 个字符,最多 {self.limits.name_length} 个)", span,
                            "起一个简短的名称,把完整的表述写进“说明”")
            return _Name(name, span, True)
        return _Name(str(token), span, False)

    def _glued(self, token: Token) -> bool:
        """Whether a number was written right after its keyword (扣1分): only a keyword glued to
        it ends in a word character there (a name would have taken the digits)."""
        at = token.start_pos or 0
        return at > 0 and bool(re.match(r"\w", normalise(self.text[at - 1])))

    def _percent(self, token: Token) -> ast.Percent:
        return ast.Percent(str(token)[:-1], self._token_span(token), glued=self._glued(token))

    def _count(self, token: Token) -> ast.Number:
        return ast.Number(str(token), self._token_span(token), glued=self._glued(token))

    def number(self, span: Span, kids: Kids) -> ast.Number:
        return self._expr(ast.Number(str(kids[0]), span, unit=kids[1] is not None, glued=self._glued(kids[0])), span)

    def unit_number(self, span: Span, kids: Kids) -> ast.Number:
        digits, unit = _UNIT_NUMBER.fullmatch(str(kids[0])).groups()  # type: ignore[union-attr]
        return self._expr(ast.Number(digits, span, glued=self._glued(kids[0]), label=unit), span)

    def points(self, span: Span, kids: Kids) -> ast.Number:
        number = self.number(span, kids)
        if _digits(number.text) <= self.limits.number_digits and abs(number.value) > self.limits.points:
            self._error("E417", f"分值 {number.text} 过大(最多 {self.limits.points} 分)", span)
        return number

    def percent(self, span: Span, kids: Kids) -> ast.Percent:
        return self._expr(ast.Percent(str(kids[0])[:-1], span, glued=self._glued(kids[0])), span)

    def true(self, span: Span, kids: Kids) -> ast.Bool:
        return self._expr(ast.Bool(True, span), span)

    def false(self, span: Span, kids: Kids) -> ast.Bool:
        return self._expr(ast.Bool(False, span), span)

    def name_ref(self, span: Span, kids: Kids) -> ast.NameRef:
        return self._expr(ast.NameRef(kids[0].text, span), span)

    def score_ref(self, span: Span, kids: Kids) -> ast.ScoreRef:
        names = [k.text for k in kids[1:] if k is not None and not isinstance(k, Token)]
        part = "max" if isinstance(kids[-1], Token) and kids[-1].type in ("K_MAX_SCORE", "K_MAX") else None
        if part is None and len(names) > 1 and names[-1] in ast.RATE_WORDS:
            part, names = "rate", names[:-1]
        return self._expr(ast.ScoreRef(names[-1], span, tuple(names[:-1]), part), span)

    def total_ref(self, span: Span, kids: Kids) -> ast.TotalRef:
        return self._expr(ast.TotalRef(span), span)

    def below_pass_ref(self, span: Span, kids: Kids) -> ast.BelowPassRef:
        return self._expr(ast.BelowPassRef(span), span)

    # operators
    def negate(self, span: Span, kids: Kids) -> ast.Negate:
        return self._expr(ast.Negate(kids[1], span), span, kids[1])

    def binary(self, span: Span, kids: Kids) -> ast.Binary:
        left, op, right = kids
        return self._expr(ast.Binary(str(op), left, right, span), span, left, right)

    def compare(self, span: Span, kids: Kids) -> ast.Compare:
        left, op, right = kids
        spelling = str(op) if str(op) in DOCUMENT_SPELLINGS else op.type if op.type.startswith("K_") else str(op)
        return self._expr(ast.Compare(_COMPARE[op.type], left, right, span, spelling), span, left, right)

    def in_list(self, span: Span, kids: Kids) -> ast.InList:
        operand, *rest = _of(kids, *_EXPRESSIONS)
        self._list(span, rest, "列表中的值")
        return self._expr(ast.InList(operand, tuple(rest), span), span, operand, *rest)

    def not_op(self, span: Span, kids: Kids) -> ast.Not:
        word = str(kids[0])
        return self._expr(ast.Not(kids[1], span, word if word in DOCUMENT_SPELLINGS else ""), span, kids[1])

    def _flat(self, cls: type[_Chain], span: Span, kids: Kids) -> _Chain:
        """`a 且 b 且 c` is one And of three; `(a 且 b) 且 c` too (a chain in parentheses on
        the left is read as part of the chain, as the left-nested grammar used to)."""
        first, *rest = _of(kids, *_EXPRESSIONS)
        head: tuple[Any, ...] = first.operands if type(first) is cls else (first,)
        operands = (*head, *rest)
        return self._expr(cls(operands, span), span, *operands)

    def and_op(self, span: Span, kids: Kids) -> ast.And:
        return self._flat(ast.And, span, kids)

    def or_op(self, span: Span, kids: Kids) -> ast.Or:
        return self._flat(ast.Or, span, kids)

    def if_else(self, span: Span, kids: Kids) -> ast.IfElse:
        condition, then, otherwise = _of(kids, *_EXPRESSIONS)
        return self._expr(ast.IfElse(condition, then, otherwise, span), span, condition, then, otherwise)

    def call(self, span: Span, kids: Kids) -> ast.Call:
        args = tuple(_of(kids, *_EXPRESSIONS))
        self._list(span, args, "函数的参数")
        return self._expr(ast.Call(_FUNCTIONS[kids[0].type], args, span), span, *args)

    def list_call(self, span: Span, kids: Kids) -> ast.ListCall:
        items = tuple(_of(kids, *_EXPRESSIONS))
        self._list(span, items, "函数的参数")
        return self._expr(ast.ListCall(_FUNCTIONS[kids[0].type], items, span), span, *items)

    # clauses
    def deduct_if(self, span: Span, kids: Kids) -> ast.DeductIf:
        return ast.DeductIf(kids[1], kids[-1], span)

    def deduct_per(self, span: Span, kids: Kids) -> ast.DeductPer:
        return ast.DeductPer(kids[-1], kids[1], None, span)

    def deduct_per_k(self, span: Span, kids: Kids) -> ast.DeductPer:
        step = kids[1]
        return ast.DeductPer(kids[-1], kids[2], self._count(step), span)

    def award(self, span: Span, kids: Kids) -> ast.Award:
        return ast.Award(kids[1], kids[-1], span, kids[0].type)

    def zero(self, span: Span, kids: Kids) -> ast.Zero:
        return ast.Zero(kids[-1], span)

    def start_at(self, span: Span, kids: Kids) -> ast.Start:
        return ast.Start(kids[1], span)

    def judged(self, span: Span, kids: Kids) -> ast.Judged:
        text = _token(kids, "STRING")
        return ast.Judged(kids[1], kids[3], _string(text) if text else None, span, ast.JUDGED_TERMINALS[kids[0].type])

    def grade(self, span: Span, kids: Kids) -> ast.Grade:
        return ast.Grade(kids[0].text, kids[1], span)

    def grades(self, span: Span, kids: Kids) -> ast.Grades:
        levels = tuple(_of(kids, ast.Grade))
        self._list(span, levels, "档次")
        return ast.Grades(levels, span)

    def not_applicable(self, span: Span, kids: Kids) -> ast.NotApplicable:
        return ast.NotApplicable(kids[-1], span)

    # clauses written condition first, as a 评分表 prints them: each is the canonical clause
    @staticmethod
    def _lead(of: Token, comma: Token | None, action: Token) -> str:
        last = comma if comma is not None else of
        gap = (action.start_pos or 0) > (last.end_pos or 0)
        return "的" + ("," if comma is not None else "") + (" " if gap else "")

    def deduct_first(self, span: Span, kids: Kids) -> ast.DeductIf:
        condition, of, comma, word, points = kids
        return ast.DeductIf(points, condition, span, self._lead(of, comma, word))

    def award_first(self, span: Span, kids: Kids) -> ast.Award:
        condition, of, comma, word, points = kids
        return ast.Award(points, condition, span, word.type, self._lead(of, comma, word))

    def zero_first(self, span: Span, kids: Kids) -> ast.Zero:
        condition, of, comma, word = kids
        return ast.Zero(condition, span, self._lead(of, comma, word))

    def not_applicable_first(self, span: Span, kids: Kids) -> ast.NotApplicable:
        condition, of, comma, word = kids
        return ast.NotApplicable(condition, span, self._lead(of, comma, word))

    def short_first(self, span: Span, kids: Kids) -> ast.DeductPer:
        """`X 不足6项的 每少1项 扣1分` is `每1 (6项 - X) 扣1分` (nothing when X reaches 6: a count at or
        below 0 deducts nothing)."""
        condition, of, comma, word, step, deduct, points = kids
        digits, unit = (_UNIT_NUMBER.fullmatch(str(step)).groups()  # type: ignore[union-attr]
                        if step.type == "UNIT_NUMBER" else (str(step), ""))
        every = ast.Number(digits, self._token_span(step), glued=self._glued(step), label=unit)
        lead = self._lead(of, comma, word)
        form = "short_glued" if deduct.start_pos == step.end_pos else "short"
        if not isinstance(condition, ast.Compare) or condition.op != "<":
            self._error("E002", "“每少”前的条件要写成“数量 少于 N”", condition.span,
                        "照评分表写作“X 不足6项的 每少1项 扣1分”:少了多少,就按每少几项扣分")
            return ast.DeductPer(points, condition, every, span, lead, form)
        total = condition.right
        label = total.label if isinstance(total, ast.Number) else ""
        if unit != label:
            at = Span(self.file, every.span.line, every.span.column + len(digits), every.span.end_line,
                      every.span.end_column)
            written = f"{total.text}{label}" if isinstance(total, ast.Number) else "总数"
            self._error("E307", f"“每少{digits}{unit}”的单位与“{written}”的单位不同", at,
                        f"写 每少{digits}{label}(单位只是标注,与比较的数字写法一致)")
        per = self._expr(ast.Binary("-", total, condition.left, condition.span), condition.span, total, condition.left)
        return ast.DeductPer(points, per, every, span, lead, form, condition)

    def each_first(self, span: Span, kids: Kids) -> ast.DeductPer:
        """`[a, b] 有一项不符合的 扣1分` is `每 未满足数[a, b] 扣1分`."""
        close = next(i for i, k in enumerate(kids) if isinstance(k, Token) and k.type == "RSQB")
        items = tuple(k for k in kids[1:close] if not isinstance(k, Token))
        self._list(span, items, "列表中的值")
        where = self._token_span(kids[0]).merge(self._token_span(kids[close]))
        counted = self._expr(ast.ListCall("count_false", items, where), where, *items)
        of, comma, word, points = kids[close + 2 :]
        return ast.DeductPer(points, counted, None, span, self._lead(of, comma, word), "each")

    def score_is(self, span: Span, kids: Kids) -> ast.ScoreIs:
        return ast.ScoreIs(kids[-1], span)

    def floor_zero(self, span: Span, kids: Kids) -> ast.FloorZero:
        return ast.FloorZero(span)

    def max_deduct(self, span: Span, kids: Kids) -> ast.MaxDeduct:
        return ast.MaxDeduct(kids[1], span)

    def allow_negative(self, span: Span, kids: Kids) -> ast.AllowNegative:
        return ast.AllowNegative(span)

    def text_clause(self, span: Span, kids: Kids) -> ast.Text:
        kind = "criterion" if kids[0].type == "K_CRITERION" else "method"
        return ast.Text(kind, _string(kids[1]), span)

    # rubric statements
    def item(self, span: Span, kids: Kids) -> ast.Item:
        name = kids[1]
        clauses = tuple(k for k in kids[3:] if not isinstance(k, Token))
        self.items += 1
        if self.items == self.limits.items + 1:
            self._error("E416", f"项目过多(一个文件最多 {self.limits.items} 个)", name.span)
        return ast.Item(name.text, kids[2], clauses, span, name.span, kids[0].type)

    def section(self, span: Span, kids: Kids) -> ast.Section:
        name = kids[1]
        weight = kids[6]
        body = _of(kids, ast.Item, ast.Choice, ast.Section)
        items = tuple(i for part in body for i in (part.items if isinstance(part, (ast.Choice, ast.Section)) else (part,)))
        return ast.Section(name.text, kids[2], kids[4], self._percent(weight) if weight is not None else None,
                           items, span, name.span, kids[0].type, tuple(_of(kids, ast.Choice)), tuple(_of(kids, ast.Section)))

    def choice(self, span: Span, kids: Kids) -> ast.Choice:
        name, points, by = kids[1], kids[2], kids[4]
        paths = tuple(part if isinstance(part, ast.ChoicePath) else
                      ast.ChoicePath(part.name, (part,), part.span, part.name_span, True)
                      for part in _of(kids, ast.Item, ast.ChoicePath))
        return ast.Choice("best" if kids[0].type == "K_BEST_OF" else "chosen", name.text, points,
                          by.text if by is not None else None, paths, span, name.span)

    def path(self, span: Span, kids: Kids) -> ast.ChoicePath:
        return ast.ChoicePath(kids[1].text, tuple(_of(kids, ast.Item)), span, kids[1].span)

    def applies(self, span: Span, kids: Kids) -> ast.Applies:
        return ast.Applies(_of(kids, *_EXPRESSIONS)[0], span)

    def subject(self, span: Span, kids: Kids) -> ast.Subject:
        return ast.Subject(_string(kids[1]), span, self._token_span(kids[1]))

    def extra_section(self, span: Span, kids: Kids) -> ast.ExtraSection:
        name = kids[1]
        kind = "bonus" if kids[0].type == "K_BONUS" else "penalty"
        return ast.ExtraSection(kind, name.text if name else None, kids[3], tuple(_of(kids, ast.Item)), span,
                                name.span if name else span)

    def fact_type(self, span: Span, kids: Kids) -> ast.FactType:
        self._list(span, _of(kids, _Name), "选项")
        return ast.FactType(_FACT_TYPES[kids[0].type], tuple(n.text for n in _of(kids, _Name)))

    def fact(self, span: Span, kids: Kids) -> ast.Fact:
        name, unit, default, description = kids[1], kids[5], kids[7], kids[8]
        if isinstance(default, _Name):
            default = ast.NameRef(default.text, default.span)
        return ast.Fact(name.text, kids[3], _string(unit) if unit else None, default,
                        _string(description) if description else None, span, name.span)

    def let(self, span: Span, kids: Kids) -> ast.Let:
        return ast.Let(kids[1].text, kids[3], span, kids[1].span)

    def meta(self, span: Span, kids: Kids) -> ast.Meta:
        return ast.Meta(_META[kids[0].type], _string(kids[1]), span)

    def max_score(self, span: Span, kids: Kids) -> ast.MaxScore:
        return ast.MaxScore(kids[1], span)

    def total_unused(self, span: Span, kids: Kids) -> ast.TotalUnused:
        return ast.TotalUnused(span)

    def rescale(self, span: Span, kids: Kids) -> ast.Rescale:
        return ast.Rescale(kids[1], span)

    def precision(self, span: Span, kids: Kids) -> ast.Precision:
        return ast.Precision(kids[1], span)

    def default_schemes(self, span: Span, kids: Kids) -> ast.DefaultSchemes:
        return ast.DefaultSchemes(tuple(n.text for n in _of(kids, _Name)), span)

    def notice(self, span: Span, kids: Kids) -> ast.Notice:
        condition = _of(kids, *_EXPRESSIONS)[0]
        return ast.Notice(condition, _string(_tokens(kids, "STRING")[0]), span)

    def veto(self, span: Span, kids: Kids) -> ast.Veto:
        condition, highest, text = kids[2], kids[4], kids[5]
        return ast.Veto(condition, highest.text if highest else None, _string(text) if text else None, span)

    def rater_weight(self, span: Span, kids: Kids) -> ast.RaterWeight:
        return ast.RaterWeight(kids[0].text, ast.Percent(str(kids[1])[:-1], self._token_span(kids[1])), span)

    def rater_override(self, span: Span, kids: Kids) -> ast.RaterOverride:
        return ast.RaterOverride(_of(kids, _Name)[0].text, span)

    def raters(self, span: Span, kids: Kids) -> ast.Raters:
        return ast.Raters(tuple(_of(kids, ast.RaterWeight, ast.RaterOverride)), span)

    def remove(self, span: Span, kids: Kids) -> ast.Remove:
        kind = "item" if kids[1].type in ("K_ITEM", "K_INDICATOR") else "section"
        return ast.Remove(kind, kids[2].text, span)

    def rubric(self, span: Span, kids: Kids) -> ast.Rubric:
        name, parent = kids[1], kids[3]
        body = tuple(k for k in kids[5:] if not isinstance(k, Token))
        return ast.Rubric(name.text, parent.text if parent else None, body, span, name.span)

    # schemes, consequences, ranking
    def level(self, span: Span, kids: Kids) -> ast.Level:
        conditions = tuple(_of(kids[3:], *_EXPRESSIONS))
        return ast.Level(kids[0].text, kids[2], conditions, span)

    def level_map(self, span: Span, kids: Kids) -> ast.LevelMap:
        name, *base = _of(kids, _Name)
        return ast.LevelMap(name.text, tuple(b.text for b in base), span)

    def downgrade(self, span: Span, kids: Kids) -> ast.Downgrade:
        steps = kids[1]
        return ast.Downgrade(self._count(steps), kids[-1], span)

    def one_step_up(self, span: Span, kids: Kids) -> ast.OneStepUp:
        return ast.OneStepUp(span)

    def minima(self, span: Span, kids: Kids) -> ast.Minima:
        levels = _of(kids, _Name)
        return ast.Minima(tuple(n.text for n in levels), tuple(_of(kids, ast.MinimumRow)), span,
                          tuple(n.span for n in levels))

    def minimum_row(self, span: Span, kids: Kids) -> ast.MinimumRow:
        value, *cells = [k for k in kids if not (isinstance(k, Token) and k.type in ("COLON", "COMMA"))]
        return ast.MinimumRow(value, tuple(None if isinstance(k, Token) else k for k in cells), span)

    def scheme(self, span: Span, kids: Kids) -> ast.Scheme:
        name, display, base = kids[1], kids[2], kids[4]
        body = tuple(k for k in kids[6:] if not isinstance(k, Token))
        return ast.Scheme(name.text, _string(display) if display else None, base.text if base else None,
                          body, span, name.span)

    def measure(self, span: Span, kids: Kids) -> ast.Measure:
        years = kids[1]
        level = _of(kids, _Name)[0]
        texts = tuple(_string(t) for t in _tokens(kids, "STRING"))
        return ast.Measure(level.text, self._count(years) if years else None,
                           texts, span)

    def consequences(self, span: Span, kids: Kids) -> ast.Consequences:
        return ast.Consequences(kids[1].text, tuple(_of(kids, ast.Measure)), span, kids[1].span)

    def quota_entry(self, span: Span, kids: Kids) -> ast.QuotaEntry:
        amount = kids[1]
        value: ast.Number | ast.Percent = (
            ast.Percent(str(amount)[:-1], self._token_span(amount)) if amount.type == "PERCENT"
            else ast.Number(str(amount), self._token_span(amount)))
        return ast.QuotaEntry(kids[0].text, value, span)

    def quota(self, span: Span, kids: Kids) -> ast.Quota:
        when = _of(kids, *_EXPRESSIONS)
        return ast.Quota(tuple(_of(kids, ast.QuotaEntry)), span, when[0] if when else None)

    def forced_share(self, span: Span, kids: Kids) -> ast.ForcedShare:
        share = kids[1]
        when = _of(kids[4:], *_EXPRESSIONS)
        below = kids[6] if _token(kids, "K_ALSO") is not None else None
        return ast.ForcedShare(self._percent(share), kids[3].text,
                               when[0] if when else None, _token(kids, "K_OTHERS") is not None, span,
                               below.text if below is not None else None,
                               below.span if below is not None else span)

    def quota_ties(self, span: Span, kids: Kids) -> ast.QuotaTies:
        return ast.QuotaTies(_token(kids, "K_PENDING") is not None, span)

    def tiebreak(self, span: Span, kids: Kids) -> ast.TieBreak:
        return ast.TieBreak(tuple(_of(kids, *_EXPRESSIONS)), span)

    def ranking(self, span: Span, kids: Kids) -> ast.Ranking:
        body = tuple(k for k in kids[3:] if not isinstance(k, Token))
        return ast.Ranking(kids[1].text, body, span, kids[1].span)

    def import_stmt(self, span: Span, kids: Kids) -> ast.Import:
        return ast.Import(_string(kids[1]), span)

    def named_condition(self, span: Span, kids: Kids) -> ast.NamedCondition:
        return ast.NamedCondition(kids[1].text, kids[3], span, kids[1].span)

    def start(self, span: Span, kids: Kids) -> list[Any]:
        return list(kids)


def _digits(literal: str) -> int:
    """Digits in a number or percent literal (`12.5`, `60%`, `32学时`)."""
    return len(re.sub(r"\D", "", literal.rstrip("%")))


def is_bare_name(text: str) -> bool:
    """Whether a name can be written without quotes: not a keyword, nor a keyword glued to a
    number (扣1分, 满分100 are read as the keyword and the number)."""
    return bool(re.fullmatch(r"[^\W\d]\w*", text)) and text not in keyword_forms() and glued_keyword(text) is None

