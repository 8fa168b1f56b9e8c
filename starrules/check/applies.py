"""The checks of a standard's 适用 line (`适用 如果 C`: the branches it is for, a 领域's standard).

C is a 是否 (E301); it is decided from the evidence before any scoring, so it reads facts and
derived values computed from facts only — no `@` score, 总分 or 未达标类型数, directly or through a
derived value (E423); a standard writes it at most once (E414; a child's replaces its parent's).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.reporter import Reporter
from ..lang import ast
from .exprcheck import BOOL, ExprChecker, walk

_SCORE_READS = (ast.ScoreRef, ast.TotalRef, ast.BelowPassRef)
_SHOWN = {ast.TotalRef: "总分", ast.BelowPassRef: "未达标类型数"}


def check_applies(rubric: ast.Rubric, lets: Mapping[str, ast.Let], exprs: ExprChecker, reporter: Reporter) -> None:
    """The 适用 line of a rubric (its body with inheritance applied), if it has one."""
    line = next((s for s in rubric.body if isinstance(s, ast.Applies)), None)
    if line is None:
        return
    exprs.expect(line.condition, BOOL, "适用条件")
    for node in walk(line.condition):
        if isinstance(node, _SCORE_READS):
            read = f"@{node.name}" if isinstance(node, ast.ScoreRef) else _SHOWN[type(node)]
            reporter.report("E423", f"适用条件只能读事实和由事实算出的派生值,不能读“{read}”"
                            "(它在计分之前决定用哪个标准)", node.span, "用事实写,例如“适用 如果 领域 = 农村”")
        elif isinstance(node, ast.NameRef) and node.name in lets:
            score = _score_read(node.name, lets, set())
            if score is not None:
                reporter.report("E423", f"适用条件只能读事实和由事实算出的派生值:派生值“{node.name}”读了“{score}”"
                                "(适用条件在计分之前决定用哪个标准)", node.span,
                                "用事实写,例如“适用 如果 领域 = 农村”")


def _score_read(name: str, lets: Mapping[str, ast.Let], seen: set[str]) -> str | None:
    """The first score a derived value reads, directly or through other derived values."""
    if name in seen:  # a cycle is E406, reported elsewhere
        return None
    seen.add(name)
    for node in walk(lets[name].expr):
        if isinstance(node, ast.ScoreRef):
            return f"@{node.name}"
        if isinstance(node, (ast.TotalRef, ast.BelowPassRef)):
            return _SHOWN[type(node)]
        if isinstance(node, ast.NameRef) and node.name in lets:
            found = _score_read(node.name, lets, seen)
            if found is not None:
                return found
    return None


def check_applies_once(rubric: ast.Rubric, reporter: Reporter) -> None:
    """E414 for a second 适用 line in one standard's own body (before inheritance, which keeps
    only the child's)."""
    lines = [s for s in rubric.body if isinstance(s, ast.Applies)]
    for extra in lines[1:]:
        reporter.report("E414", "“适用”写了不止一次", extra.span, notes=[reporter.note(lines[0].span, "第一次写在这里")])
