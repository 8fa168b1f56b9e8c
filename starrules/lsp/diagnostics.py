"""Diagnostics as you type: the checker's own (`starrules check`), each with its code, severity
(E… error, W… warning), message and hint, at its span in the editor's units. A document that
does not parse gets its syntax errors; a document with no problem gets an empty list (which,
published, clears the old ones). A problem in a file the document imports is shown on the
`引用` line that leads to it, its own place given as related information."""

from __future__ import annotations

from pathlib import Path

import attrs

from ..api import check_text
from ..core.diagnostics import Diagnostic
from ..core.limits import DEFAULT
from ..core.reporter import Reporter
from ..core.source import Span
from ..lang.loader import read_text
from .document import Document
from .outline import outline
from .positions import Location, Positions, Range

ERROR, WARNING = "error", "warning"


@attrs.frozen
class Related:
    location: Location
    message: str


@attrs.frozen
class EditorDiagnostic:
    range: Range
    severity: str  # ERROR or WARNING
    code: str
    message: str
    related: tuple[Related, ...] = ()


def diagnostics(document: Document) -> list[EditorDiagnostic]:
    report = check_text(document.text, document.filename, document.folder)
    return _Converter(document).all(report.diagnostics)


class _Converter:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.files: dict[str, Positions] = {document.filename: document.positions}
        self.imports: list[tuple[Span, str | None]] | None = None

    def all(self, found: tuple[Diagnostic, ...]) -> list[EditorDiagnostic]:
        return [self.one(d) for d in found]

    def one(self, diagnostic: Diagnostic) -> EditorDiagnostic:
        message = diagnostic.message + (f"\n提示:{diagnostic.hint}" if diagnostic.hint else "")
        related = [Related(self.location(n.span), n.message) for n in diagnostic.notes]
        severity = ERROR if diagnostic.is_error else WARNING
        span = diagnostic.span
        if span.file == self.document.filename:
            where = self.document.positions.range(span)
        else:  # in a file this one imports: on the 引用 line that leads there
            where = self.document.positions.range(self._import_leading_to(span.file))
            shown = f"{Path(span.file).name}:{span.line}:{span.column}" if span.line else Path(span.file).name
            message = f"引用的文件 {shown}: {message}"
            related.insert(0, Related(self.location(span), diagnostic.message))
        return EditorDiagnostic(where, severity, diagnostic.code, message, tuple(related))

    def location(self, span: Span) -> Location:
        return Location(span.file, self._positions(span.file).range(span))

    def _positions(self, file: str) -> Positions:
        """A file's text as on disk (another file than the document: read, never written)."""
        if file not in self.files:
            text = read_text(Path(file), Reporter(), limit=DEFAULT.file_bytes) if Path(file).is_file() else None
            self.files[file] = Positions(text or "", self.document.encoding)
        return self.files[file]

    def _import_leading_to(self, file: str) -> Span:
        """The document's 引用 of `file`, or its first 引用 (the file is imported further down),
        or the start of the document."""
        if self.imports is None:
            self.imports = list(outline(self.document).imports)
        for span, target in self.imports:
            if target == file:
                return span
        return self.imports[0][0] if self.imports else Span(self.document.filename, 1, 1, 1, 1)
