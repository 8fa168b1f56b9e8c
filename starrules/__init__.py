"""starrules — score party branches against point rubrics and grade the results.

    >>> import starrules
    >>> rubric = starrules.loads('标准 示例 { 满分 10 类型 组织 10分 { 项目 覆盖 10分 { } } }')
    >>> rubric.name
    '示例'
"""

from .api import check_file, check_text, load, loads, parse
from .diagnostics import Diagnostic, RubricCheckError, RubricError, RubricSyntaxError, Severity
from .model import CheckedScheme, CheckReport, Rubric
from .source import Span

__all__ = [
    "CheckReport", "CheckedScheme", "Diagnostic", "Rubric", "RubricCheckError", "RubricError",
    "RubricSyntaxError", "Severity", "Span", "check_file", "check_text", "load", "loads", "parse",
]
__version__ = "0.1.0"
