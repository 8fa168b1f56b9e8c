"""Rule text for traces: a clause as its author wrote it, and a condition with the values
it saw spliced in after each name (`党员学习学时 30 少于 32`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

from .numbers import format_decimal
from .source import Span

_SPACES = re.compile(r"\s+")


def show_value(value: object) -> str:
    """A value as an author would write it: 是/否, exact decimals, choice names."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, Fraction)):
        shown = format_decimal(Fraction(value))
        return shown if "/" not in shown else f"{float(value):.4g}"
    return str(value)


def show_percent(value: object) -> str:
    """A number compared with a percentage, as one: 0.8 → 80%, 0.8483 → 84.83% (exact when it
    can be written in at most four decimals, else to four significant figures)."""
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        return show_value(value)
    return f"{show_value(Fraction(value) * 100)}%"


class SourceTexts:
    """Slices of the rubric files by span (spans index the original text)."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = texts
        self.line_starts: dict[str, list[int]] = {}

    def offset(self, file: str, line: int, column: int) -> int:
        starts = self.line_starts.get(file)
        if starts is None:
            text = self.texts.get(file, "")
            starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
            self.line_starts[file] = starts
        return starts[line - 1] + column - 1 if 0 < line <= len(starts) else 0

    def raw(self, span: Span) -> str:
        text = self.texts.get(span.file, "")
        return text[self.offset(span.file, span.line, span.column):self.offset(span.file, span.end_line, span.end_column)]

    def text(self, span: Span) -> str:
        return _SPACES.sub(" ", self.raw(span)).strip()

    def template(self, span: Span, slots: Sequence[tuple[Span, str, bool]]) -> Template:
        """The text of `span` with a value slot after each (name span, value key, shown as a
        percentage: the value is compared with one)."""
        start = self.offset(span.file, span.line, span.column)
        source = self.raw(span)
        parts: list[str | Slot] = []
        cursor = 0
        for name_span, key, percent in sorted(slots, key=lambda s: (s[0].line, s[0].column)):
            end = self.offset(name_span.file, name_span.end_line, name_span.end_column) - start
            if not cursor <= end <= len(source):
                continue
            parts.append(source[cursor:end])
            parts.append((key, percent))
            cursor = end
        parts.append(source[cursor:])
        return Template(tuple(parts))


Slot = tuple[str, bool]  # a value key, and whether the value is shown as a percentage


class Template:
    __slots__ = ("parts",)

    def __init__(self, parts: tuple[str | Slot, ...]) -> None:
        self.parts = parts

    def render(self, lookup: Callable[[str], object]) -> str:
        pieces = [p if isinstance(p, str) else f" {(show_percent if p[1] else show_value)(lookup(p[0]))}"
                  for p in self.parts]
        return _SPACES.sub(" ", "".join(pieces)).strip()
