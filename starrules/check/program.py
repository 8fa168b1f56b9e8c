"""Checking a program: a file or text, everything it imports, every rubric and scheme in it."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.limits import DEFAULT, Limits
from ..core.reporter import Reporter
from ..core.source import clean
from ..lang.loader import Access, load_program, read_text
from .checker import check_program
from .model import CheckReport

StrPath = str | os.PathLike[str]


def check_text(text: str, filename: str | None = None, base_dir: StrPath | None = None, *,
               root: StrPath | None = None, limits: Limits = DEFAULT) -> CheckReport:
    """Parse and check text. Imports resolve against `base_dir` and must stay inside `root`
    (default: `base_dir`); with neither, the text may not import files at all, so untrusted
    text never reaches the file system. The built-in schemes are always available."""
    folder = Path(base_dir) if base_dir is not None else Path(root) if root is not None else None
    allowed = Path(root) if root is not None else folder
    reporter = Reporter()
    program = load_program(clean(text), filename or "<text>", folder, reporter, Access.under(allowed, limits))
    if program is None:
        return CheckReport(tuple(reporter.diagnostics), {}, {})
    return check_program(program, reporter, limits)


def check_file(path: StrPath, *, root: StrPath | None = None, limits: Limits = DEFAULT) -> CheckReport:
    """Read, parse and check one file with everything it imports; imports must stay inside
    `root` (default: the file's folder and the folders below it)."""
    file = Path(path)
    reporter = Reporter()
    text = read_text(file, reporter, limit=limits.file_bytes)
    if text is None:
        return CheckReport(tuple(reporter.diagnostics), {}, {})
    return check_text(text, str(path), file.parent, root=root, limits=limits)
