"""The check of a standard's 主体 line (`主体 "饭店"`: the word for what it rates, 党支部 by default).

A standard writes it at most once, and the word is not blank (E424): every message and report
about the thing rated says it ("共 8 个饭店"), so an empty word would leave them saying nothing.
Checked on each standard's own body, before inheritance (a child's line replaces its parent's),
so a parent's mistake is reported once, at the parent.
"""

from __future__ import annotations

from ..core.reporter import Reporter
from ..lang import ast

_EXAMPLE = '例如 主体 "饭店";不写“主体”时为“党支部”'


def check_subject(rubric: ast.Rubric, reporter: Reporter) -> None:
    """E424 for a second 主体 line in one standard's body, and for a blank word."""
    lines = [s for s in rubric.body if isinstance(s, ast.Subject)]
    for line in lines:
        if not line.word.strip():
            reporter.report("E424", "“主体”不能为空", line.word_span,
                            f"写出评分对象的名称,{_EXAMPLE}")
    for extra in lines[1:]:
        reporter.report("E424", "“主体”写了不止一次", extra.span, "一个标准只写一行“主体”",
                        notes=[reporter.note(lines[0].span, "第一次写在这里")])
