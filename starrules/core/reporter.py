"""Collects diagnostics while checking, attaching each one's source line."""

from __future__ import annotations

from collections.abc import Sequence

from .diagnostics import Diagnostic, Note
from .source import Span, source_line


class Reporter:
    def __init__(self) -> None:
        self.texts: dict[str, str] = {}
        self.lines: dict[tuple[str, int], str] = {}  # single lines of files too long to keep whole
        self.diagnostics: list[Diagnostic] = []

    def add_source(self, file: str, text: str) -> None:
        self.texts[file] = text

    def add_line(self, file: str, line: int, text: str) -> None:
        self.lines[(file, line)] = text

    def note(self, span: Span, message: str) -> Note:
        return Note(span, message, self._line(span))

    def report(self, code: str, message: str, span: Span, hint: str | None = None,
               notes: Sequence[Note] = ()) -> None:
        diagnostic = Diagnostic(code, message, span, self._line(span), hint, tuple(notes))
        if diagnostic not in self.diagnostics:
            self.diagnostics.append(diagnostic)

    def extend(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def _line(self, span: Span) -> str:
        line = self.lines.get((span.file, span.line))
        return line if line is not None else source_line(self.texts.get(span.file, ""), span.line)


def did_you_mean(name: str, candidates: Sequence[str]) -> str | None:
    """A hint naming the closest candidate, judged by edit distance on characters."""
    best: tuple[int, str] | None = None
    for candidate in candidates:
        distance = edit_distance(name, candidate)
        limit = min(len(name), len(candidate)) // 2  # a one-character name gets no guess
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return f"你是不是想写“{best[1]}”?" if best else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance on characters (a Chinese character is one): for "did you mean" hints."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]
