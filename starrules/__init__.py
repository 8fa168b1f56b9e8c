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
from .batch import evaluate_batch, evaluate_many
from .limits import Limits
from .records import RowError
from .model import CheckedScheme, CheckReport, Rubric
from .ranking import RankedBranch, Ranking, rank
from .result import ClauseTrace, Consequence, Fix, Gap, ItemResult, LevelResult, Result, SectionResult, VetoResult, \
    result_schema
from .source import Span

__all__ = [
    "CheckReport", "CheckedScheme", "ClauseTrace", "Consequence", "Diagnostic", "EvidenceError", "Fix", "Gap",
    "ItemResult", "LevelResult", "Limits", "RankedBranch", "Ranking", "Result", "ResultBatch", "RowError", "Rubric", "RubricCheckError",
    "RubricError", "RubricSyntaxError", "SectionResult", "Severity", "Span", "StarrulesError", "VetoResult", "check_file",
    "check_text", "evaluate_batch", "evaluate_columns", "evaluate_many", "load", "loads", "parse", "rank", "result_schema",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """The batch engine needs numpy (an optional extra), so it is imported on first use."""
    if name == "evaluate_columns":
        from .columnar_batch import evaluate_columns
        return evaluate_columns
    if name == "ResultBatch":
        from .result_batch import ResultBatch
        return ResultBatch
    raise AttributeError(f"module 'starrules' has no attribute {name!r}")
