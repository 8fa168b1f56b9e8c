"""Places in a document, as the checker counts them and as an editor does.

The checker's spans (`core.source.Span`) are 1-based lines and columns of code points in the
cleaned text (a leading BOM dropped, `\\r\\n` read as `\\n`, lines split at `\\n` only). An editor
counts 0-based lines split at `\\r\\n`, `\\r` or `\\n` and columns in the units agreed at start-up:
UTF-16 code units by default (a character outside the BMP, such as 𠀀 or 😀, is two), or UTF-8
bytes, or code points (LSP 3.17 `positionEncoding`). `Positions` turns one into the other for one
document's text, exactly as the editor holds it.
"""

from __future__ import annotations

import bisect
import re

import attrs

from ..core.source import Span

ENCODINGS = ("utf-16", "utf-8", "utf-32")
_EDITOR_BREAK = re.compile(r"\r\n|\r|\n")


@attrs.frozen
class Position:
    """A place between two characters, as an editor counts: 0-based line and column."""

    line: int
    character: int


@attrs.frozen
class Range:
    start: Position
    end: Position


@attrs.frozen
class Location:
    """A range in a file; `file` is the file name the checker uses (the path of a file on disk)."""

    file: str
    range: Range


def units(text: str, encoding: str = "utf-16") -> int:
    """The length of `text` in an editor's column units."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class Positions:
    """Conversions between checker places (line, column, both 1-based) and editor positions for
    one text, as the editor holds it (with its BOM and `\\r\\n` line ends, if it has them)."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"unknown position encoding {encoding!r}")
        self.text, self.encoding = text, encoding
        self._editor_starts = [0, *(m.end() for m in _EDITOR_BREAK.finditer(text))]
        bom = 1 if text.startswith("\ufeff") else 0
        self._source_starts = [bom, *(m.end() for m in re.finditer("\n", text))]

    # checker → editor
    def position(self, line: int, column: int) -> Position:
        """The editor position of a checker place; a place past the end of its line is at the
        line's end, one before the first line at the start."""
        if line < 1:
            return Position(0, 0)
        return self._position_at(self._offset(line, column))

    def range(self, span: Span) -> Range:
        if span.line < 1:  # a diagnostic about a file as a whole
            return Range(Position(0, 0), Position(0, 0))
        return Range(self.position(span.line, span.column), self.position(span.end_line, span.end_column))

    def end(self) -> Position:
        """Just past the last character."""
        return self._position_at(len(self.text))

    def whole(self) -> Range:
        return Range(Position(0, 0), self.end())

    # editor → checker
    def place(self, position: Position) -> tuple[int, int]:
        """The checker's (line, column) of an editor position; a column past the end of its line
        is at the line's end, a line past the last at the end of the text."""
        if position.line >= len(self._editor_starts):
            offset = len(self.text)
        else:
            start = self._editor_starts[max(position.line, 0)]
            offset, counted = start, 0
            end = self._editor_line_end(max(position.line, 0))
            while offset < end:
                counted += units(self.text[offset], self.encoding)
                if counted > position.character:
                    break
                offset += 1
        index = max(bisect.bisect_right(self._source_starts, offset) - 1, 0)
        return index + 1, max(offset - self._source_starts[index], 0) + 1

    def _offset(self, line: int, column: int) -> int:
        index = min(line, len(self._source_starts)) - 1
        start = self._source_starts[index]
        end = self._source_starts[index + 1] - 1 if index + 1 < len(self._source_starts) else len(self.text)
        if end > start and self.text[end - 1] == "\r" and end < len(self.text):  # the \r of a \r\n
            end -= 1
        return start + min(max(column - 1, 0), end - start)

    def _editor_line_end(self, index: int) -> int:
        if index + 1 < len(self._editor_starts):
            end = self._editor_starts[index + 1] - 1
            return end - 1 if self.text[end - 1 : end + 1] == "\r\n" else end
        return len(self.text)

    def _position_at(self, offset: int) -> Position:
        index = bisect.bisect_right(self._editor_starts, offset) - 1
        return Position(index, units(self.text[self._editor_starts[index] : offset], self.encoding))
