"""Diagnostics for programs rather than people (`starrules check --format json|sarif`): a plain
JSON list for scripts and editors, and SARIF 2.1.0 for CI code-scanning tools."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from .diagnostics import CODES, Diagnostic

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def diagnostic_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    """One diagnostic: lines and columns 1-based, the end exclusive, counted in characters
    (a Chinese character is one); all four are null for a problem with the whole file."""
    span = diagnostic.span
    located = span.line > 0
    return {"code": diagnostic.code, "severity": "error" if diagnostic.is_error else "warning",
            "title": CODES.get(diagnostic.code), "message": diagnostic.message, "file": span.file,
            "line": span.line if located else None, "column": span.column if located else None,
            "end_line": span.end_line if located else None, "end_column": span.end_column if located else None,
            "hint": diagnostic.hint,
            "notes": [{"message": n.message, "file": n.span.file, "line": n.span.line, "column": n.span.column,
                       "end_line": n.span.end_line, "end_column": n.span.end_column} for n in diagnostic.notes]}


def diagnostics_json(diagnostics: Sequence[Diagnostic]) -> dict[str, Any]:
    errors = sum(1 for d in diagnostics if d.is_error)
    return {"diagnostics": [diagnostic_dict(d) for d in diagnostics], "errors": errors,
            "warnings": len(diagnostics) - errors}


def sarif_log(diagnostics: Sequence[Diagnostic], version: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run: every code a rule (its Chinese title as the description),
    every diagnostic a result pointing at its file and region. Columns count Unicode code
    points, as starrules' spans do (SARIF's default would be UTF-16 code units)."""
    codes = list(CODES)
    rules = [{"id": code, "shortDescription": {"text": title},
              "defaultConfiguration": {"level": "warning" if code.startswith("W") else "error"}}
             for code, title in CODES.items()]
    results = []
    for diagnostic in diagnostics:
        text = diagnostic.message + (f"\n提示: {diagnostic.hint}" if diagnostic.hint else "")
        result: dict[str, Any] = {"ruleId": diagnostic.code, "level": "error" if diagnostic.is_error else "warning",
                                  "message": {"text": text}, "locations": [_location(diagnostic)]}
        if diagnostic.code in CODES:
            result["ruleIndex"] = codes.index(diagnostic.code)
        if diagnostic.notes:
            result["relatedLocations"] = [{**_physical(note.span.file, note.span.line, note.span.column,
                                                       note.span.end_line, note.span.end_column),
                                           "message": {"text": note.message}} for note in diagnostic.notes]
        results.append(result)
    return {"version": "2.1.0", "$schema": SARIF_SCHEMA,
            # no informationUri (optional in SARIF): the project has no public home to point to yet
            "runs": [{"tool": {"driver": {"name": "starrules", "version": version, "rules": rules}},
                      "columnKind": "unicodeCodePoints", "results": results}]}


def _location(diagnostic: Diagnostic) -> dict[str, Any]:
    span = diagnostic.span
    return _physical(span.file, span.line, span.column, span.end_line, span.end_column)


def _physical(file: str, line: int, column: int, end_line: int, end_column: int) -> dict[str, Any]:
    where: dict[str, Any] = {"artifactLocation": {"uri": file_uri(file)}}
    if line > 0:
        start, end = max(column, 1), max(end_line, line)
        where["region"] = {"startLine": line, "startColumn": start, "endLine": end,
                           "endColumn": max(end_column, start if end == line else 1)}
    return {"physicalLocation": where}


def file_uri(file: str) -> str:
    """A file as a URI reference: an absolute path as a file: URI, a relative one as a relative
    reference (code-scanning tools resolve it against the checkout), non-ASCII percent-encoded."""
    path = Path(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(str(PurePosixPath(*path.parts)) if os.sep != "/" else file, safe="/")
