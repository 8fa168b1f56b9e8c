"""The public entry points: parse, check, load."""

from __future__ import annotations

import os
from pathlib import Path

from . import ast
from .checker import check_program
from .diagnostics import RubricCheckError, RubricSyntaxError
from .limits import DEFAULT, Limits
from .loader import Access, invalid_character, load_program, read_text
from .model import CheckReport, Rubric
from .parser import parse as _parse
from .report import Reporter
from .source import Span, clean

StrPath = str | os.PathLike[str]


def parse(text: str, filename: str | None = None, limits: Limits = DEFAULT) -> ast.Module:
    """Parse rubric text into its typed syntax tree (no imports, no checks)."""
    invalid = invalid_character(text, filename or "<text>")
    if invalid is not None:
        raise RubricSyntaxError([invalid])
    return _parse(text, filename, limits)


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


def load(path: StrPath, rubric: str | None = None, *, root: StrPath | None = None,
         limits: Limits = DEFAULT) -> Rubric:
    """Load the checked rubric defined in a file (the only one, or the one named)."""
    return _pick(check_file(path, root=root, limits=limits), rubric, str(path))


def loads(text: str, rubric: str | None = None, filename: str | None = None,
          base_dir: StrPath | None = None, *, root: StrPath | None = None, limits: Limits = DEFAULT) -> Rubric:
    """Like `load`, from text; imports need `root` or `base_dir` (see `check_text`)."""
    return _pick(check_text(text, filename, base_dir, root=root, limits=limits), rubric, filename or "<text>")


def _pick(report: CheckReport, name: str | None, file: str) -> Rubric:
    if report.errors:
        syntax = all(d.code.startswith("E0") for d in report.errors)
        raise (RubricSyntaxError if syntax else RubricCheckError)(report.errors)
    if name is not None and name in report.rubrics:
        return report.rubrics[name]
    if name is None and len(report.rubrics) == 1:
        return next(iter(report.rubrics.values()))
    reporter = Reporter()
    where = Span(file, 1, 1, 1, 1)
    names = "、".join(report.rubrics) or "(没有)"
    wanted = f"找不到名为“{name}”的标准" if name else "文件中有多个标准,请指定要加载哪一个" if report.rubrics \
        else "文件中没有标准"
    reporter.report("E108", f"{wanted};文件中的标准:{names}", where)
    raise RubricCheckError(reporter.diagnostics)
