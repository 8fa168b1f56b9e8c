"""The language server (`starrules lsp`): pygls over stdio, each request answered by the pure
feature functions of this package. Documents are synced whole (a rubric is small, and the
checker reads the whole file anyway); diagnostics are published on open, change and save, and
cleared on close."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .completion import KEYWORD, completions
from .definition import definition
from .diagnostics import ERROR, EditorDiagnostic, diagnostics
from .document import Document
from .formatting import formatting
from .hover import hover
from .outline import (BEST_OF, BONUS, CONDITION, FACT, ITEM, LET, LEVEL, ONE_OF, PATH, PENALTY, RUBRIC, SCHEME,
                      SECTION)
from .positions import Location, Position, Range

SOURCE = "starrules"
_KINDS = {
    KEYWORD: types.CompletionItemKind.Keyword, FACT: types.CompletionItemKind.Variable,
    LET: types.CompletionItemKind.Variable, ITEM: types.CompletionItemKind.Field,
    SECTION: types.CompletionItemKind.Class, BONUS: types.CompletionItemKind.Class,
    PENALTY: types.CompletionItemKind.Class, BEST_OF: types.CompletionItemKind.Class,
    ONE_OF: types.CompletionItemKind.Class, PATH: types.CompletionItemKind.Class,
    RUBRIC: types.CompletionItemKind.Module, SCHEME: types.CompletionItemKind.Enum,
    LEVEL: types.CompletionItemKind.EnumMember, CONDITION: types.CompletionItemKind.Function,
}


def create_server() -> LanguageServer:
    server = LanguageServer(SOURCE, _version(), text_document_sync_kind=types.TextDocumentSyncKind.Full)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        _publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        _publish(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        _publish(ls, params.text_document.uri)  # a file it imports may have changed on disk

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        cleared = types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        ls.text_document_publish_diagnostics(cleared)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover | None:
        found = hover(_document(ls, params.text_document.uri), _position(params.position))
        if found is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
                           range=_range(found.range))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["@"]))
    def on_completion(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
        found = completions(_document(ls, params.text_document.uri), _position(params.position))
        return types.CompletionList(is_incomplete=False, items=[
            types.CompletionItem(label=c.label, kind=_KINDS.get(c.kind, types.CompletionItemKind.Text), detail=c.detail,
                                 insert_text=c.insert_text, filter_text=c.insert_text, sort_text=c.sort_text)
            for c in found])

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def on_definition(ls: LanguageServer, params: types.DefinitionParams) -> list[types.Location]:
        uri = params.text_document.uri
        document = _document(ls, uri)
        return [_location(found, uri, document) for found in definition(document, _position(params.position))]

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def on_formatting(ls: LanguageServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        edits = formatting(_document(ls, params.text_document.uri))
        return [types.TextEdit(range=_range(e.range), new_text=e.new_text) for e in edits]

    return server


def serve() -> None:
    """Run the server on stdin and stdout until the client says exit. The protocol is written to
    a handle of its own on stdout (pygls closes it at exit); anything else printed meanwhile goes
    to stderr, where it cannot break the protocol."""
    output = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    saved, sys.stdout = sys.stdout, sys.stderr
    try:
        create_server().start_io(sys.stdin.buffer, output)
    finally:
        sys.stdout = saved
        output.close()


def _version() -> str:
    try:
        return version("starrules")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "0"


def _document(ls: LanguageServer, uri: str) -> Document:
    text = ls.workspace.get_text_document(uri).source
    encoding = ls.workspace.position_encoding
    units = encoding.value if isinstance(encoding, types.PositionEncodingKind) else encoding or "utf-16"
    return Document(text, to_fs_path(uri) if uri.startswith("file:") else None, units)


def _publish(ls: LanguageServer, uri: str) -> None:
    document = _document(ls, uri)
    version = ls.workspace.get_text_document(uri).version
    found = [_diagnostic(d, uri, document) for d in diagnostics(document)]
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version))


def _diagnostic(found: EditorDiagnostic, uri: str, document: Document) -> types.Diagnostic:
    severity = types.DiagnosticSeverity.Error if found.severity == ERROR else types.DiagnosticSeverity.Warning
    related: Sequence[types.DiagnosticRelatedInformation] = [
        types.DiagnosticRelatedInformation(location=_location(r.location, uri, document), message=r.message)
        for r in found.related]
    return types.Diagnostic(range=_range(found.range), message=found.message, severity=severity, code=found.code,
                            source=SOURCE, related_information=list(related) or None)


def _location(found: Location, uri: str, document: Document) -> types.Location:
    """A location in this document (by its URI, saved or not) or in a file on disk."""
    target = uri if found.file == document.filename else from_fs_path(found.file) or found.file
    return types.Location(uri=target, range=_range(found.range))


def _position(position: types.Position) -> Position:
    return Position(position.line, position.character)


def _range(found: Range) -> types.Range:
    return types.Range(start=types.Position(line=found.start.line, character=found.start.character),
                       end=types.Position(line=found.end.line, character=found.end.character))
