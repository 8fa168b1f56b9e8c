"""Formatting: the whole document through `starrules fmt`'s formatter; no edit for a document
that does not parse, or is already formatted."""

from __future__ import annotations

import attrs

from ..core.diagnostics import RubricError
from ..core.source import clean
from ..lang.formatter import format_text
from ..lang.loader import invalid_character
from .document import Document
from .positions import Position, Range, units


@attrs.frozen
class TextEdit:
    range: Range
    new_text: str


def formatting(document: Document) -> list[TextEdit]:
    """One edit replacing the text with the formatted text. A BOM stays, and a file whose only
    difference is its `\\r\\n` line ends is left alone (the formatter writes `\\n`, which the
    editor turns into the file's own line ends)."""
    if invalid_character(document.text, document.filename) is not None:
        return []
    try:
        formatted = format_text(document.text, document.filename)
    except RubricError:
        return []
    if formatted == clean(document.text):
        return []
    bom = document.text[:1] if document.text.startswith("\ufeff") else ""
    start = Position(0, units(bom, document.encoding))
    return [TextEdit(Range(start, document.positions.end()), formatted)]
