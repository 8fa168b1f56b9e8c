"""starrules — score party branches against point rubrics and grade the results.

    >>> import starrules
    >>> rubric = starrules.loads('标准 示例 { 满分 10 类型 组织 10分 { 项目 覆盖 10分 { } } }')
    >>> rubric.name
    '示例'
    >>> rubric.evaluate({}).total
    10
"""

from .api import check_file, check_text, load, loads, parse
from .diagnostics import Diagnostic, EvidenceError, RubricCheckError, RubricError, RubricSyntaxError, Severity, \
    StarrulesError
from .model import CheckedScheme, CheckReport, Rubric
from .result import ClauseTrace, ItemResult, Result, SectionResult, VetoResult, result_schema
from .source import Span

__all__ = [
    "CheckReport", "CheckedScheme", "ClauseTrace", "Diagnostic", "EvidenceError", "ItemResult", "Result", "Rubric",
    "RubricCheckError", "RubricError", "RubricSyntaxError", "SectionResult", "Severity", "Span", "StarrulesError",
    "VetoResult", "check_file", "check_text", "load", "loads", "parse", "result_schema",
]
__version__ = "0.1.0"
