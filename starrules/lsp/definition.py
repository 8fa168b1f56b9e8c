"""Go to definition: where the name under the cursor is declared (in this file, a file it
imports or a built-in scheme), or the file a `引用` line names."""

from __future__ import annotations

from pathlib import Path

from .document import Document
from .outline import SCORED, Declaration, Outline, outline, word_at
from .positions import Location, Position, Positions, Range


def definition(document: Document, position: Position) -> list[Location]:
    line, column = document.positions.place(position)
    found = outline(document)
    for span, target in found.imports:
        if (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column):
            if target is not None and Path(target).is_file():
                return [Location(target, Range(Position(0, 0), Position(0, 0)))]
            return []
    word = word_at(document, line, column)
    if word is None or word.kind not in ("name", "string"):
        return []
    declarations = found.lookup(word.text, found.rubric_at(line, column))
    if word.scored:
        declarations = [d for d in declarations if d.kind in SCORED]
    return [location(d, document, found) for d in declarations]


def location(declaration: Declaration, document: Document, found: Outline) -> Location:
    """Where a declaration's name is, in the editor's units (another file's as it is on disk)."""
    if declaration.file == document.filename:
        positions = document.positions
    else:
        positions = Positions(found.texts.get(declaration.file, ""), document.encoding)
    return Location(declaration.file, positions.range(declaration.name_span))
