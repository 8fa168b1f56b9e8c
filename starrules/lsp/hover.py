"""Hover: what the name under the cursor is — a fact's declaration (type, 默认), an item's or a
section's points, a 令's expression — or a keyword's spellings."""

from __future__ import annotations

from pathlib import Path

import attrs

from ..core.source import Span
from ..lang.keywords import keywords
from .document import Document
from .outline import SCORED, Declaration, Outline, outline, word_at
from .positions import Position, Range

BROKEN = "(文件有语法错误:只显示声明所在的一行)"


@attrs.frozen
class Hover:
    """Markdown to show, and the range of the word it is about."""

    markdown: str
    range: Range


def hover(document: Document, position: Position) -> Hover | None:
    line, column = document.positions.place(position)
    word = word_at(document, line, column)
    if word is None or word.kind in ("comment", "other"):
        return None
    where = document.positions.range(Span(document.filename, line, word.start, line, word.end))
    if word.kind == "keyword":
        return Hover(keyword_text(word.text), where)
    found = outline(document)
    declarations = found.lookup(word.text, found.rubric_at(line, column))
    if word.scored:
        declarations = [d for d in declarations if d.kind in SCORED]
    if not declarations:
        return None
    return Hover("\n\n---\n\n".join(describe(d, document, found) for d in declarations), where)


def describe(declaration: Declaration, document: Document, found: Outline) -> str:
    """A declaration as Markdown: as written, what it means, its notes, where it is."""
    parts = [f"```rubric\n{declaration.header}\n```"] if declaration.header else []
    title = f"**{declaration.kind}** “{declaration.name}”"
    if declaration.rubric is not None:
        title += f"(标准“{declaration.rubric}”)"
    parts.append(title + (f":{declaration.summary}" if declaration.summary else ""))
    parts.extend(declaration.notes)
    if declaration.file != document.filename:
        parts.append(f"定义在 {Path(declaration.file).name} 第 {declaration.name_span.line} 行")
    if not found.parsed:
        parts.append(BROKEN)
    return "\n\n".join(parts)


def keyword_text(form: str) -> str:
    """A keyword's spellings: simplified, traditional, English."""
    for kw in keywords().values():
        forms = list(kw.forms)
        if form in forms:
            return f"**关键字** {' / '.join(f'`{f}`' for f in forms)}"
    return f"**关键字** `{form}`"
