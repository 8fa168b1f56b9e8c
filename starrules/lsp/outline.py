"""What a document declares, where, and what each declaration says; and the word at a place.

A document that parses is read through the language's own front end: the parser's syntax tree
(with every name's span) of the document, of the files it imports (`引用`, read-only, relative to
its folder, as `starrules check` reads them) and of the built-in schemes it names. A document
that does not parse — one being typed — is scanned word by word instead: each declaring keyword
(事实, 令, 项目, 类型 …) and the name after it, with the line it is on, so completion, hover and
go-to-definition keep working while the file is broken.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import attrs

from ..core.numbers import format_decimal
from ..core.reporter import Reporter
from ..core.source import Span, clean, normalise
from ..check.inherit import flatten
from ..lang import ast
from ..lang.formatter import FACT_TERMINALS
from ..lang.keywords import Script, keyword_forms, keywords
from ..lang.loader import Access, load_program
from ..lang.parser import mark_of
from .document import Document

# kinds of declaration, as the language names them
FACT, LET, ITEM, SECTION, BONUS, PENALTY = "事实", "令", "项目", "类型", "加分项", "减分项"
BEST_OF, ONE_OF, PATH, RUBRIC, SCHEME, LEVEL, CONDITION = "取其高", "任选其一", "路径", "标准", "等级方案", "等级", "条件"
SCORED = frozenset({ITEM, SECTION, BONUS, PENALTY, BEST_OF, ONE_OF, PATH})  # what `@名称` reads
TOP = frozenset({RUBRIC, SCHEME, CONDITION})  # names of the whole program
_DECLARING = {  # keyword terminal → the kind of what it declares
    "K_FACT": FACT, "K_LET": LET, "K_ITEM": ITEM, "K_INDICATOR": ITEM, "K_SECTION": SECTION, "K_MODULE": SECTION,
    "K_BONUS": BONUS, "K_PENALTY": PENALTY, "K_BEST_OF": BEST_OF, "K_ONE_OF": ONE_OF, "K_PATH": PATH,
    "K_RUBRIC": RUBRIC, "K_SCHEME": SCHEME, "K_CONDITION": CONDITION,
}
_HEADER_LINES = 8  # a 令 or 条件 longer than this is shown cut
_NOTE_CHARS = 200
# a string (perhaps unterminated), a comment, a word, a number, any other single character
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[^\W\d]\w*|\d+(?:\.\d+)?%?|\S')
_ESCAPE = re.compile(r"\\([\"\\])")
_NAME = re.compile(r"[^\W\d]\w*")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


@attrs.frozen
class Declaration:
    """A name the program declares. `header`: the declaration as written (a block's first line);
    `summary`: what it means, in a line; `rubric`: the standard it belongs to (None: a name of the
    whole program, or a scheme's level)."""

    kind: str
    name: str
    file: str
    name_span: Span
    header: str
    summary: str = ""
    notes: tuple[str, ...] = ()
    rubric: str | None = None


@attrs.frozen
class Outline:
    """Every declaration of a document's program. `rubrics`: the document's own standards with
    their spans (which one a place is in); `parents`: standard → the standard it 继承;
    `imports`: the document's 引用 lines and the file each resolves to (None: none can be read);
    `texts`: the cleaned text of every other file a declaration is in; `parsed`: False when the
    document did not parse and was scanned word by word."""

    declarations: tuple[Declaration, ...]
    rubrics: tuple[tuple[str, Span], ...] = ()
    parents: Mapping[str, str] = attrs.Factory(dict)
    imports: tuple[tuple[Span, str | None], ...] = ()
    texts: Mapping[str, str] = attrs.Factory(dict)
    parsed: bool = True

    def rubric_at(self, line: int, column: int) -> str | None:
        """The document's standard whose text holds the place, if any."""
        return next((name for name, span in self.rubrics if _holds(span, line, column)), None)

    def chain(self, rubric: str | None) -> list[str]:
        """The standard and those it inherits from, nearest first."""
        found: list[str] = []
        while rubric is not None and rubric not in found:
            found.append(rubric)
            rubric = self.parents.get(rubric)
        return found

    def lookup(self, name: str, rubric: str | None) -> list[Declaration]:
        """What `name` means in `rubric` (None: outside every standard): its own or an inherited
        declaration, else a name of the whole program, else any declaration of that name."""
        found = [d for d in self.declarations if d.name == name]
        for member in self.chain(rubric):
            own = [d for d in found if d.rubric == member]
            if own:
                return own
        top = [d for d in found if d.rubric is None and d.kind in TOP]
        return top or found

    def visible(self, rubric: str | None) -> list[Declaration]:
        """The declarations a place in `rubric` can name, nearest first, one per name: the
        standard's own and inherited ones and the program's; outside a standard, every one."""
        chain = self.chain(rubric)
        rank = {member: index for index, member in enumerate(chain)}
        inside = [d for d in self.declarations if d.rubric in rank]
        inside.sort(key=lambda d: rank[d.rubric or ""])
        rest = [d for d in self.declarations if d.rubric not in rank and (rubric is None or d.rubric is None)]
        seen: set[str] = set()
        unique = []
        for declaration in [*inside, *rest]:
            if declaration.name not in seen:
                seen.add(declaration.name)
                unique.append(declaration)
        return unique


def _holds(span: Span, line: int, column: int) -> bool:
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def outline(document: Document) -> Outline:
    """The declarations of the document and of everything it imports."""
    reporter = Reporter()  # the checker's diagnostics are diagnostics.py's business, not ours
    program = load_program(clean(document.text), document.filename, document.folder, reporter,
                           Access.under(document.folder))
    if program is None:
        return scan(document)
    declarations: list[Declaration] = []
    texts: dict[str, str] = {}
    merged = {r.name: _containers(flatten(r, program.rubrics, Reporter()).body)
              for r in program.rubrics.values() if r.parent is not None}
    for file, module in program.modules.items():
        lines = module.text.split("\n")
        if file != document.filename:
            texts[file] = module.text
        for block in module.blocks:
            declarations.extend(_Reader(file, lines, merged).block(block))
    entry = program.entry
    rubrics = tuple((b.name, b.span) for b in entry.blocks if isinstance(b, ast.Rubric))
    parents = {r.name: r.parent for r in program.rubrics.values() if r.parent is not None}
    imports = tuple((b.span, _import_target(document.folder, b.path))
                    for b in entry.blocks if isinstance(b, ast.Import))
    return Outline(tuple(declarations), rubrics, parents, imports, texts)


def _containers(body: Sequence[ast.RubricStatement]) -> dict[str, ast.Container]:
    """A standard's sections (at every depth) and named bonus / penalty sections, by name."""
    found: dict[str, ast.Container] = {}
    for statement in body:
        if isinstance(statement, ast.Section):
            for section in (statement, *statement.nested()):
                found.setdefault(section.name, section)
        elif isinstance(statement, ast.ExtraSection) and statement.name is not None:
            found.setdefault(statement.name, statement)
    return found


def _import_target(folder: Path | None, path: str) -> str | None:
    if folder is None or "\x00" in path:
        return None
    try:
        return str((folder / path).resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop, on Python 3.11
        return None


class _Reader:
    """The declarations of one parsed file. `merged`: for each standard that inherits, its
    sections as inheritance lays them over the parent's (what a section's summary counts)."""

    def __init__(self, file: str, lines: Sequence[str], merged: Mapping[str, Mapping[str, ast.Container]]) -> None:
        self.file, self.lines, self.merged = file, lines, merged

    def _as_merged(self, container: ast.Container, rubric: str) -> tuple[ast.Container, tuple[str, ...]]:
        """The section as the standard has it after inheritance, and a note where that differs."""
        found = self.merged.get(rubric, {}).get(container.display_name)
        if found is None or type(found) is not type(container) or found == container:
            return container, ()
        return found, ("与父标准中的同名类型合并:分值和项目按合并后的计",)

    def block(self, block: ast.TopLevel) -> Iterator[Declaration]:
        if isinstance(block, ast.Rubric):
            yield self._rubric(block)
            for statement in block.body:
                yield from self._statement(statement, block.name)
        elif isinstance(block, ast.Scheme):
            yield self._scheme(block)
            for part in block.body:
                if isinstance(part, ast.Level):
                    yield self._level(part, block.name)
        elif isinstance(block, ast.NamedCondition):
            yield self._make(CONDITION, block.name, block.name_span, block.span, whole=True)

    def _statement(self, statement: ast.RubricStatement, rubric: str) -> Iterator[Declaration]:
        if isinstance(statement, ast.Fact):
            yield self._fact(statement, rubric)
        elif isinstance(statement, ast.Let):
            yield self._make(LET, statement.name, statement.name_span, statement.span, whole=True, rubric=rubric)
        elif isinstance(statement, ast.Section):
            yield from self._section(statement, rubric, None)
        elif isinstance(statement, ast.ExtraSection) and statement.name is not None:
            kind = BONUS if statement.kind == "bonus" else PENALTY
            shown, notes = self._as_merged(statement, rubric)
            assert isinstance(shown, ast.ExtraSection)
            summary = f"最多 {shown.cap.text} 分,{len(shown.items)} 个项目"
            yield self._make(kind, statement.name, statement.name_span, statement.span, summary, notes, rubric)
            for item in statement.items:
                yield self._item(item, rubric, f"{kind}“{statement.name}”")
        elif isinstance(statement, ast.ExtraSection):
            for item in statement.items:
                yield self._item(item, rubric, statement.display_name)

    def _section(self, section: ast.Section, rubric: str, outer: str | None) -> Iterator[Declaration]:
        shown, notes = self._as_merged(section, rubric)
        assert isinstance(shown, ast.Section)
        # as the checker sums them (E401, W102): one path of each choice, each group by its points
        total = sum((i.points.value for i in shown.free_items), Fraction(0)) + \
            sum((c.points.value for c in shown.choices), Fraction(0)) + \
            sum((g.points.value for g in shown.groups), Fraction(0))
        parts = [f"{shown.points.text} 分"]
        if shown.pass_line is not None:
            parts.append(f"达标 {shown.pass_line.text} 分")
        if shown.weight is not None:
            parts.append(f"权重 {shown.weight.text}%")
        parts.append(f"{len(shown.items)} 个项目")
        parts.append(f"项目分值合计 {format_decimal(total)} 分")
        if outer is not None:
            parts.append(f"属于类型“{outer}”")
        yield self._make(SECTION, section.name, section.name_span, section.span, ",".join(parts), notes, rubric)
        where = f"类型“{section.name}”"
        grouped = {id(i) for g in section.groups for i in g.items}
        chosen = {id(i) for c in section.choices for i in c.items}
        for choice in section.choices:
            yield from self._choice(choice, rubric, where)
        for item in section.items:
            if id(item) not in grouped and id(item) not in chosen:
                yield self._item(item, rubric, where)
        for group in section.groups:
            yield from self._section(group, rubric, section.name)

    def _choice(self, choice: ast.Choice, rubric: str, where: str) -> Iterator[Declaration]:
        kind = BEST_OF if choice.kind == "best" else ONE_OF
        summary = f"{choice.points.text} 分,{len(choice.paths)} 条路径" + (f",以“{choice.by}”选定" if choice.by else "")
        yield self._make(kind, choice.name, choice.name_span, choice.span, f"{summary},属于{where}", rubric=rubric)
        inside = f"{kind}“{choice.name}”"
        for path in choice.paths:
            if not path.bare:
                yield self._make(PATH, path.name, path.name_span, path.span,
                                 f"{len(path.items)} 个项目,属于{inside}", rubric=rubric)
            for item in path.items:
                yield self._item(item, rubric, inside if path.bare else f"路径“{path.name}”")

    def _item(self, item: ast.Item, rubric: str, where: str) -> Declaration:
        parts = [f"{item.points.text} 分"]
        notes = []
        for clause in item.clauses:
            if isinstance(clause, ast.Judged):
                word = "酌情扣分" if clause.mode == "deduct" else "酌情给分"
                parts.append(word + (f" {clause.low.text} 至 {clause.high.text} 分"
                                     if clause.low is not None and clause.high is not None else ""))
            elif isinstance(clause, ast.Grades):
                parts.append("分档 " + "、".join(f"{g.name} {g.points.text} 分" for g in clause.levels))
            elif isinstance(clause, ast.Start):
                parts.append(f"起评 {clause.points.text} 分")
            elif isinstance(clause, ast.Text):
                notes.append(("说明:" if clause.kind == "criterion" else "方式:") + _cut(clause.text))
        parts.append(f"属于{where}")
        return self._make(ITEM, item.name, item.name_span, item.span, ",".join(parts), tuple(notes), rubric)

    def _fact(self, fact: ast.Fact, rubric: str) -> Declaration:
        kind = fact.type.kind
        word = keywords()[FACT_TERMINALS[kind]].spell(Script.SIMPLIFIED)  # 是否 / 计数 / 数值 / 比例
        parts = [f"选项({'、'.join(fact.type.choices)})" if kind == "choice" else word]
        if fact.unit is not None:
            parts.append(f"单位 {fact.unit}")
        parts.append(f"默认 {_literal(fact.default)}" if fact.default is not None else "没有默认值:评分时必须提供")
        notes = (_cut(fact.description),) if fact.description else ()
        return self._make(FACT, fact.name, fact.name_span, fact.span, ",".join(parts), notes, rubric, whole=True)

    def _rubric(self, rubric: ast.Rubric) -> Declaration:
        parts = []
        for statement in rubric.body:
            if isinstance(statement, ast.Meta) and statement.key == "title":
                parts.append(statement.text)
            elif isinstance(statement, ast.MaxScore):
                parts.append(f"满分 {statement.value.text} 分")
            elif isinstance(statement, ast.DefaultSchemes):
                parts.append(f"等级方案 {'、'.join(statement.names)}")
        if rubric.parent is not None:
            parts.append(f"继承“{rubric.parent}”")
        return self._make(RUBRIC, rubric.name, rubric.name_span, rubric.span, ",".join(parts))

    def _scheme(self, scheme: ast.Scheme) -> Declaration:
        levels = [f"{s.name} ≥ {s.bound.text}" if s.bound is not None else s.name
                  for s in scheme.body if isinstance(s, ast.Level)]
        parts = [*([scheme.display] if scheme.display else []), *([f"基于“{scheme.base}”"] if scheme.base else []),
                 *(["等级 " + "、".join(levels)] if levels else [])]
        return self._make(SCHEME, scheme.name, scheme.name_span, scheme.span, ",".join(parts))

    def _level(self, level: ast.Level, scheme: str) -> Declaration:
        summary = f"等级方案“{scheme}”的等级" + (f",分数线 {level.bound.text} 分" if level.bound is not None else "")
        return self._make(LEVEL, level.name, self._leading_name(level.span), level.span, summary, whole=True)

    def _leading_name(self, span: Span) -> Span:
        """The span of the name a statement starts with (a level's has none of its own)."""
        line = normalise(self.lines[span.line - 1]) if 0 < span.line <= len(self.lines) else ""
        found = (_STRING if line[span.column - 1 : span.column] == '"' else _NAME).match(line, span.column - 1)
        end = found.end() + 1 if found else span.column
        return Span(span.file, span.line, span.column, span.line, end)

    def _make(self, kind: str, name: str, name_span: Span, span: Span, summary: str = "", notes: tuple[str, ...] = (),
              rubric: str | None = None, *, whole: bool = False) -> Declaration:
        return Declaration(kind, name, self.file, name_span, self._header(span, whole), summary, notes, rubric)

    def _header(self, span: Span, whole: bool) -> str:
        """The declaration as written: all of it (`whole`, up to a few lines), or a block's head."""
        if not 0 < span.line <= len(self.lines):
            return ""
        if not whole:
            return _head(self.lines[span.line - 1][span.column - 1 :])
        last = min(span.end_line, span.line + _HEADER_LINES - 1, len(self.lines))
        rows = [self.lines[n - 1] for n in range(span.line, last + 1)]
        if last == span.end_line:
            rows[-1] = rows[-1][: span.end_column - 1]
        rows[0] = rows[0][span.column - 1 :]
        shown = "\n".join(row.rstrip() for row in rows)
        return shown + ("\n…" if last < span.end_line else "")


def _head(line: str) -> str:
    """A block's first line up to its `{` (or a comment), outside strings."""
    for token in _TOKEN.finditer(normalise(line)):
        if token.group() == "{" or token.group().startswith("#"):
            return line[: token.start()].rstrip()
    return line.rstrip()


def _cut(text: str) -> str:
    return text if len(text) <= _NOTE_CHARS else text[: _NOTE_CHARS - 1] + "…"


def _literal(value: ast.Literal) -> str:
    if isinstance(value, ast.Number):
        return value.text + (" 分" if value.unit else "")
    if isinstance(value, ast.Percent):
        return f"{value.text}%"
    if isinstance(value, ast.Bool):
        return "是" if value.value else "否"
    return value.name


# ── a document that does not parse ───────────────────────────────────────────


def scan(document: Document) -> Outline:
    """The declarations of a document read word by word (for a document that does not parse):
    each declaring keyword followed by a name, with the line it is on as its header. Braces are
    counted to tell which standard a declaration is in and a top-level 等级 or 条件 from one
    inside a block."""
    text = normalise(clean(document.text))  # the same places as the checker's
    source = clean(document.text).split("\n")
    starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def place(offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    declaring = {form: _DECLARING[t] for t, kw in keywords().items() if t in _DECLARING
                 for form in (kw.simplified, kw.traditional, kw.english) if form}
    inherit = keywords()["K_EXTENDS"]
    extends = {f for f in (inherit.simplified, inherit.traditional, inherit.english) if f}
    tokens = [t for t in _TOKEN.finditer(text) if not t.group().startswith("#")]
    declarations: list[Declaration] = []
    rubrics: list[tuple[str, Span]] = []
    parents: dict[str, str] = {}
    depth = 0
    rubric: str | None = None
    opening: tuple[str, Span] | None = None  # the standard whose `{` comes next, and where it began
    for index, token in enumerate(tokens):
        word = token.group()
        if word == "{":
            depth += 1
            if depth == 1 and opening is not None:
                rubric = opening[0]
                rubrics.append(opening)  # to the end of the text until its `}` is found
            opening = None
            continue
        if word == "}":
            depth = max(depth - 1, 0)
            if depth == 0 and rubric is not None:
                closed, began = rubrics[-1]
                line, column = place(token.end())
                rubrics[-1] = (closed, Span(began.file, began.line, began.column, line, column))
                rubric = None
            continue
        kind = declaring.get(word)
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        name = _name_of(following.group()) if following is not None else None
        if kind is None or following is None or name is None or (kind in (SCHEME, CONDITION) and depth > 0):
            continue
        line, column = place(following.start())
        end_line, end_column = place(following.end())
        name_span = Span(document.filename, line, column, end_line, end_column)
        head_line, head_column = place(token.start())
        header = _head(source[head_line - 1][head_column - 1 :])
        declarations.append(Declaration(kind, name, document.filename, name_span, header,
                                        rubric=rubric if depth > 0 and kind not in TOP else None))
        if kind == RUBRIC and depth == 0:
            opening = (name, Span(document.filename, head_line, head_column, *place(len(text))))
            after = tokens[index + 2 : index + 4]
            if len(after) == 2 and after[0].group() in extends and _name_of(after[1].group()) is not None:
                parents[name] = _name_of(after[1].group()) or ""
    return Outline(tuple(declarations), tuple(rubrics), parents, parsed=False)


def _name_of(token: str) -> str | None:
    """The name a token spells: a bare name (not a keyword) or a whole quoted string."""
    if _STRING.fullmatch(token):
        return _ESCAPE.sub(r"\1", token[1:-1])
    if _NAME.fullmatch(token) and token not in keyword_forms():
        return token
    return None


# ── the word at a place ───────────────────────────────────────────────────────


@attrs.frozen
class Word:
    """What is written at a place. `kind`: "name", "keyword", "string" (a quoted name, or text),
    "comment", or "other"; `text`: the name or keyword (a string without its quotes); `start`,
    `end`: its checker columns on `line` (end exclusive); `scored`: it follows `@` (or
    `@组.`), so it names an item or a section."""

    kind: str
    text: str
    line: int
    start: int
    end: int
    scored: bool = False


def word_at(document: Document, line: int, column: int) -> Word | None:
    """The token at (line, column) — the one the place is in, or just after — or None."""
    lines = mark_of(normalise(clean(document.text))).split("\n")  # X的不得分: the name X, as the parser reads it
    if not 0 < line <= len(lines):
        return None
    tokens = list(_TOKEN.finditer(lines[line - 1]))
    at = column - 1
    inside = [i for i, t in enumerate(tokens) if t.start() <= at < t.end()]
    before = [i for i, t in enumerate(tokens) if t.end() == at and not t.group().isspace()]
    candidates = [i for i in inside + before if _wordlike(tokens[i].group())] or inside + before
    if not candidates:
        return None
    index = candidates[0]
    token = tokens[index]
    text = token.group()
    scored = _follows_at(tokens, index)
    if text.startswith("#"):
        return Word("comment", text, line, token.start() + 1, token.end() + 1)
    if text.startswith('"'):
        body = text[1:-1] if len(text) > 1 and text.endswith('"') else text[1:]
        return Word("string", _ESCAPE.sub(r"\1", body), line, token.start() + 1, token.end() + 1, scored)
    if _NAME.fullmatch(text):
        kind = "keyword" if text in keyword_forms() else "name"
        return Word(kind, text, line, token.start() + 1, token.end() + 1, scored)
    return Word("other", text, line, token.start() + 1, token.end() + 1, text == "@" or scored)


def _wordlike(text: str) -> bool:
    return text.startswith(('"', "#")) or bool(_NAME.fullmatch(text))


def _follows_at(tokens: Sequence[re.Match[str]], index: int) -> bool:
    """Whether token `index` is a name in `@名称` or `@组.名称`."""
    while index > 0:
        previous = tokens[index - 1].group()
        if previous == "@":
            return True
        if previous != "." or index < 2 or not _wordlike(tokens[index - 2].group()):
            return False
        index -= 2
    return False
