"""Source text: decoding, full-width normalisation, spans and display columns."""

from __future__ import annotations

import unicodedata

import attrs

_FULLWIDTH_FIRST = 0xFF01
_FULLWIDTH_LAST = 0xFF5E
_FULLWIDTH_OFFSET = 0xFEE0
_IDEOGRAPHIC_SPACE = "\u3000"


@attrs.frozen
class Span:
    """A region of a source file; lines and columns are 1-based, the end is exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def merge(self, other: Span) -> Span:
        return Span(self.file, self.line, self.column, other.end_line, other.end_column)


def normalise(text: str) -> str:
    """Read full-width ASCII forms and U+3000 as ASCII outside strings and comments.

    Every character maps to exactly one character, so positions in the normalised text
    are positions in the original.
    """
    out: list[str] = []
    in_string = in_comment = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch in '"\n':
                in_string = False
            out.append(ch)
            continue
        if in_comment:
            in_comment = ch != "\n"
            out.append(ch)
            continue
        code = ord(ch)
        if _FULLWIDTH_FIRST <= code <= _FULLWIDTH_LAST:
            ch = chr(code - _FULLWIDTH_OFFSET)
        elif ch == _IDEOGRAPHIC_SPACE:
            ch = " "
        if ch == '"':
            in_string = True
        elif ch == "#":
            in_comment = True
        out.append(ch)
    return "".join(out)


def decode(data: bytes) -> str:
    """UTF-8 with an optional BOM; `\\r\\n` becomes `\\n`. Raises UnicodeDecodeError."""
    return clean(data.decode("utf-8"))


def clean(text: str) -> str:
    """Drop a leading BOM and fold `\\r\\n` line ends to `\\n`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n")


def display_width(text: str) -> int:
    """Terminal columns: wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def source_line(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line - 1] if 1 <= line <= len(lines) else ""
