"""starrules — score party branches against point rubrics and grade the results.

    >>> import starrules
    >>> rubric = starrules.loads('标准 示例 { 满分 10 类型 组织 10分 { 项目 覆盖 10分 { } } }')
    >>> rubric.name
    '示例'
    >>> rubric.evaluate({}).total
    10
"""

from .api import check_file, check_text, load, load_family, loads, parse
from .lang import ast
from .core.diagnostics import Diagnostic, EvidenceError, RubricCheckError, RubricError, RubricSyntaxError, Severity, \
    StarrulesError
from .batch.many import evaluate_batch, evaluate_many
from .core.limits import Limits
from .io.record import RowError
from .check.model import CheckedScheme, CheckReport
from .rubric import Rubric, RubricFamily
from .grade.ranking import RankedBranch, Ranking, rank
from .eval.result import ClauseTrace, Consequence, Fix, Gap, ItemResult, LevelResult, Need, Result, ResultWarning, \
    SectionResult, VetoResult, result_schema
from .core.source import Span

__all__ = [
    "CheckReport", "CheckedScheme", "ast", "ClauseTrace", "Consequence", "Diagnostic", "EvidenceError", "Fix", "Gap",
    "ItemResult", "LevelResult", "Limits", "Need", "RankedBranch", "Ranking", "Result", "ResultBatch", "ResultWarning", "RowError", "RowWarnings", "Rubric", "RubricCheckError", "RubricFamily",
    "RubricError", "RubricSyntaxError", "SectionResult", "Severity", "Span", "StarrulesError", "VetoResult", "check_file",
    "check_text", "evaluate_batch", "evaluate_columns", "evaluate_many", "load", "load_family", "loads", "parse", "rank", "result_schema",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """The batch engine needs numpy (an optional extra), so it is imported on first use."""
    if name == "evaluate_columns":
        from .batch.driver import evaluate_columns
        return evaluate_columns
    if name == "RowWarnings":
        from .batch.result_batch import RowWarnings
        return RowWarnings
    if name == "ResultBatch":
        from .batch.result_batch import ResultBatch
        return ResultBatch
    raise AttributeError(f"module 'starrules' has no attribute {name!r}")
