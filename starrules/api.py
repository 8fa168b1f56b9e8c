"""The public entry points: parse, check, load."""

from __future__ import annotations

import os

import attrs

from .check import program
from .core.diagnostics import RubricCheckError, RubricSyntaxError
from .core.limits import DEFAULT, Limits
from .lang import ast
from .lang.loader import invalid_character
from .check.model import CheckReport
from .lang.parser import parse as _parse
from .core.reporter import Reporter
from .core.source import Span
from .rubric import Rubric, RubricFamily

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
    return _public(program.check_text(text, filename, base_dir, root=root, limits=limits))


def check_file(path: StrPath, *, root: StrPath | None = None, limits: Limits = DEFAULT) -> CheckReport:
    """Read, parse and check one file with everything it imports; imports must stay inside
    `root` (default: the file's folder and the folders below it)."""
    return _public(program.check_file(path, root=root, limits=limits))


def _public(report: CheckReport) -> CheckReport:
    """The report with each checked rubric as the public `Rubric`, which can score and grade."""
    return attrs.evolve(report, rubrics={name: Rubric.of(r) for name, r in report.rubrics.items()})


def load(path: StrPath, rubric: str | None = None, *, root: StrPath | None = None,
         limits: Limits = DEFAULT) -> Rubric:
    """Load the checked rubric defined in a file (the only one, or the one named)."""
    return _pick(check_file(path, root=root, limits=limits), rubric, str(path))


def load_family(path: StrPath, *, root: StrPath | None = None, limits: Limits = DEFAULT) -> RubricFamily:
    """The standards of a file that declare which branches they are for (`适用 如果 …`): a
    mixed batch is scored with each branch's own standard (`RubricFamily`)."""
    return family_of(check_file(path, root=root, limits=limits), str(path))


def _raise_errors(report: CheckReport) -> None:
    """A file with errors raises them: a syntax error when every one is E0xx."""
    if report.errors:
        syntax = all(d.code.startswith("E0") for d in report.errors)
        raise (RubricSyntaxError if syntax else RubricCheckError)(report.errors)


def family_of(report: CheckReport, file: str) -> RubricFamily:
    """The family of a checked file: its standards that declare 适用 (E108 when none does)."""
    _raise_errors(report)
    members = tuple(Rubric.of(r) for r in report.rubrics.values() if r.applies is not None)
    if not members:
        reporter = Reporter()
        reporter.report("E108", f"文件中没有写“适用”的标准,不能按适用范围选用;文件中的标准:"
                        f"{'、'.join(report.rubrics) or '(没有)'}", Span(file, 1, 1, 1, 1))
        raise RubricCheckError(reporter.diagnostics)
    return RubricFamily(members)


def loads(text: str, rubric: str | None = None, filename: str | None = None,
          base_dir: StrPath | None = None, *, root: StrPath | None = None, limits: Limits = DEFAULT) -> Rubric:
    """Like `load`, from text; imports need `root` or `base_dir` (see `check_text`)."""
    return _pick(check_text(text, filename, base_dir, root=root, limits=limits), rubric, filename or "<text>")


def _pick(report: CheckReport, name: str | None, file: str) -> Rubric:
    _raise_errors(report)
    if name is not None and name in report.rubrics:
        return Rubric.of(report.rubrics[name])
    if name is None and len(report.rubrics) == 1:
        return Rubric.of(next(iter(report.rubrics.values())))
    reporter = Reporter()
    where = Span(file, 1, 1, 1, 1)
    names = "、".join(report.rubrics) or "(没有)"
    wanted = f"找不到名为“{name}”的标准" if name else "文件中有多个标准,请指定要加载哪一个" if report.rubrics \
        else "文件中没有标准"
    reporter.report("E108", f"{wanted};文件中的标准:{names}", where)
    raise RubricCheckError(reporter.diagnostics)
