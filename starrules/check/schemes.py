"""Finding a scheme by name for a rubric: its own, its file's, or a built-in (LANGUAGE.md §4)."""

from __future__ import annotations

import functools

from .checker import check_scheme_for
from .program import check_file
from ..core.diagnostics import RubricCheckError
from ..lang.loader import builtin_scheme_files
from .model import CheckedScheme, CheckedRubric
from ..core.reporter import Reporter, did_you_mean
from ..core.source import Span

REQUEST = Span("<等级方案>", 0, 0, 0, 0)  # where a scheme asked for by name (API, --scheme) comes from


@functools.cache
def builtin_schemes() -> dict[str, CheckedScheme]:
    """Every scheme under rubrics/schemes/, checked once per process."""
    found: dict[str, CheckedScheme] = {}
    for path in sorted(set(builtin_scheme_files().values())):
        found.update(check_file(path).schemes)
    return found


@functools.cache
def _builtin_texts() -> dict[str, str]:
    return {str(path): path.read_text(encoding="utf-8") for path in set(builtin_scheme_files().values())}


def scheme_sources(rubric: CheckedRubric) -> dict[str, str]:
    """File → text for every scheme the rubric may be graded under (for rule text)."""
    return {**_builtin_texts(), **rubric.sources}


def resolve_scheme(rubric: CheckedRubric, name: str) -> CheckedScheme:
    if name in rubric.schemes:
        return rubric.schemes[name]
    scheme = rubric.known_schemes.get(name) or builtin_schemes().get(name)
    reporter = Reporter()
    for file, text in scheme_sources(rubric).items():
        reporter.add_source(file, text)
    if scheme is None:
        known = sorted({*rubric.known_schemes, *builtin_schemes()})
        reporter.report("E104", f"未知的等级方案“{name}”;可用的方案:{'、'.join(known)}", REQUEST,
                        did_you_mean(name, known))
        raise RubricCheckError(reporter.diagnostics)
    check_scheme_for(rubric, scheme, reporter)
    if reporter.errors:
        raise RubricCheckError(reporter.errors)
    return scheme
