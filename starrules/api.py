"""The public entry points: parse, check, load."""

from __future__ import annotations

import os
from pathlib import Path

from . import ast
from .checker import check_program
from .diagnostics import RubricCheckError, RubricSyntaxError
from .loader import load_program, read_text
from .model import CheckReport, Rubric
from .parser import parse as _parse
from .report import Reporter
from .source import Span, clean

StrPath = str | os.PathLike[str]


def parse(text: str, filename: str | None = None) -> ast.Module:
    """Parse rubric text into its typed syntax tree (no imports, no checks)."""
    return _parse(text, filename)


def check_text(text: str, filename: str | None = None, base_dir: StrPath | None = None) -> CheckReport:
    """Parse and check text; imports resolve against `base_dir` (default: the file's folder)."""
    name = filename or "<text>"
    folder = Path(base_dir) if base_dir is not None else (Path(filename).parent if filename else Path.cwd())
    reporter = Reporter()
    program = load_program(clean(text), name, folder, reporter)
    if program is None:
        return CheckReport(tuple(reporter.diagnostics), {}, {})
    return check_program(program, reporter)


def check_file(path: StrPath) -> CheckReport:
    """Read, parse and check one file with everything it imports."""
    file = Path(path)
    reporter = Reporter()
    text = read_text(file, reporter)
    if text is None:
        return CheckReport(tuple(reporter.diagnostics), {}, {})
    return check_text(text, str(path), file.parent)


def load(path: StrPath, rubric: str | None = None) -> Rubric:
    """Load the checked rubric defined in a file (the only one, or the one named)."""
    return _pick(check_file(path), rubric, str(path))


def loads(text: str, rubric: str | None = None, filename: str | None = None,
          base_dir: StrPath | None = None) -> Rubric:
    """Like `load`, from text."""
    return _pick(check_text(text, filename, base_dir), rubric, filename or "<text>")


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
