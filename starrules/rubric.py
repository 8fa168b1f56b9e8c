"""`Rubric`, what `load()` returns: the checked rubric (plain data, `check.model`) with the
front doors to every engine. It sits above the engines, so they never import it."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from .batch.many import evaluate_many
from .check.model import CheckedRubric, CheckedScheme
from .check.schemes import resolve_scheme
from .eval.evaluator import Evaluator, evaluator_for
from .eval.result import LevelResult, Result
from .core.diagnostics import EvidenceError
from .core.reporter import Reporter
from .grade.grading import SchemeGrader, evaluate_graded, evaluate_graded_located, grade_level, grader_for
from .io.evidence_schema import evidence_schema
from .io.records import CHUNK_ROWS
from .io.record import RowError
from .plan.applies import pick_standard
from .plan.evidence import Locate, in_memory, open_evidence
from .plan.grading import GradePlan, grade_plan
from .plan.graph import Graph
from .plan.scoring import ScoringPlan

if TYPE_CHECKING:
    from .batch.result_batch import ResultBatch


@attrs.frozen(hash=False)
class Rubric(CheckedRubric):
    """A loaded rubric: score and grade branches one at a time, many at a time, or by columns."""

    @classmethod
    def of(cls, checked: CheckedRubric) -> Rubric:
        """The public rubric holding the same checked data."""
        if isinstance(checked, cls):
            return checked
        return cls(*(getattr(checked, f.name) for f in attrs.fields(CheckedRubric) if f.init))

    def evaluate(self, evidence: Mapping[str, Any] | str | os.PathLike[str], *, explain: bool = True,
                 schemes: Iterable[str] | None = None, year: int | None = None) -> Result:
        """Score one branch and grade it under `schemes` (default: the rubric's 等级 line).
        `evidence` is a mapping or the path of a JSON file; raises EvidenceError listing
        every problem. `explain=False` skips the trace and the gap to the next level. `year`:
        the evaluation year (年度) the history is read against, unless the evidence gives one."""
        return evaluate_graded(self, evidence, explain, schemes, year)

    def evaluate_many(self, data: Iterable[Mapping[str, Any]] | str | os.PathLike[str], *,
                      schemes: Iterable[str] | None = None, explain: bool = False,
                      errors: Literal["raise", "collect"] = "raise", year: int | None = None) -> Iterator[Result | RowError]:
        """Score and grade many branches (dicts, or a .jsonl / .csv file), yielding each result as
        it is made; see `starrules.batch.many.evaluate_many`."""
        return evaluate_many(self, data, schemes=schemes, explain=explain, errors=errors, year=year)

    def evaluate_columns(self, data: object, *, schemes: Iterable[str] | None = None,
                         errors: Literal["raise", "collect"] = "raise", chunk_rows: int = CHUNK_ROWS,
                         year: int | None = None, engine: Literal["numpy", "duckdb"] = "numpy") -> Iterator[ResultBatch]:
        """Score and grade many branches with the batch engine, a `ResultBatch` per chunk of rows
        (dicts, .jsonl / .csv / .parquet, Arrow, pandas, polars; needs numpy, and pyarrow for
        Arrow and Parquet); see `starrules.batch.driver.evaluate_columns`. engine="duckdb" runs
        the compiled SQL query in DuckDB instead, over a .parquet file, an Arrow table or a DuckDB
        relation (the `sql` extra; `starrules.sql.engine`), giving the same batches."""
        if engine == "duckdb":
            from .sql.engine import evaluate_columns_duckdb  # duckdb and sqlglot: the optional `sql` extra
            return evaluate_columns_duckdb(self, data, schemes=schemes, errors=errors, chunk_rows=chunk_rows,
                                           year=year)
        if engine != "numpy":
            raise ValueError(f"engine must be 'numpy' or 'duckdb', not {engine!r}")
        from .batch.driver import evaluate_columns  # numpy is an optional extra: imported on first use
        return evaluate_columns(self, data, schemes=schemes, errors=errors, chunk_rows=chunk_rows, year=year)

    def grade_level(self, result: Result, scheme: str) -> LevelResult:
        """`result`'s level under `scheme` (how `Result.level` grades after the fact)."""
        return grade_level(self, result, scheme)

    def scheme(self, name: str) -> CheckedScheme:
        """A scheme by name: this rubric's, its file's, or a built-in one; checked against
        this rubric's names (RubricCheckError when it reads a fact the rubric lacks)."""
        return resolve_scheme(self, name)

    def grader(self, name: str) -> SchemeGrader:
        """The compiled form of a scheme for this rubric, built once and kept."""
        return grader_for(self, name)

    def evidence_schema(self) -> dict[str, Any]:
        """A JSON Schema (draft 2020-12) of this rubric's evidence, for input forms."""
        return evidence_schema(self)

    @property
    def evaluator(self) -> Evaluator:
        """The compiled evaluator, built on first use and kept (`compiled`)."""
        return evaluator_for(self)

    @property
    def scoring_plan(self) -> ScoringPlan:
        """What every engine runs to score a branch (`describe()` prints it; `starrules plan`)."""
        return self.evaluator.plan

    def grade_plan(self, scheme: str) -> GradePlan:
        """Scheme `scheme` lowered for this rubric: what every engine runs to grade."""
        return grade_plan(self, scheme)

    @property
    def graph(self) -> Graph:
        return self.evaluator.graph

    @property
    def fast_source(self) -> str:
        """The Python source of this rubric's generated fast path (see docs/performance.md)."""
        return self.evaluator.fast.source


@attrs.frozen
class RubricFamily:
    """The standards of one file that say, by their 适用 lines, which branches each is for (a
    standard per 领域): each branch is scored and graded with the one standard that fits it
    (`load_family`). A branch that fits none, or more than one, is the evidence error E522."""

    rubrics: tuple[Rubric, ...]

    def pick(self, evidence: Mapping[str, Any]) -> Rubric:
        """The standard for this branch, by its facts as the evidence gives them."""
        return self.choose(evidence, in_memory(), Reporter())

    def choose(self, data: object, locate: Locate, reporter: Reporter) -> Rubric:
        """`pick` for evidence already opened (its messages located there)."""
        chosen = pick_standard(self.rubrics, data, locate, reporter)
        assert isinstance(chosen, Rubric)
        return chosen

    def evaluate(self, evidence: Mapping[str, Any] | str | os.PathLike[str], *, explain: bool = True,
                 schemes: Iterable[str] | None = None, year: int | None = None) -> Result:
        """`Rubric.evaluate` with the standard that fits the branch."""
        data, locate, reporter = open_evidence(evidence, self.rubrics[0].limits)
        if data is None:
            raise EvidenceError(reporter.errors)
        chosen = self.choose(data, locate, reporter)
        return evaluate_graded_located(chosen, data, locate, reporter, explain, schemes, year)

    def evaluate_many(self, data: Iterable[Mapping[str, Any]] | str | os.PathLike[str], *,
                      schemes: Iterable[str] | None = None, explain: bool = False,
                      errors: Literal["raise", "collect"] = "raise", year: int | None = None) -> Iterator[Result | RowError]:
        """`Rubric.evaluate_many`, each record with the standard that fits it."""
        return evaluate_many(self.rubrics[0], data, schemes=schemes, explain=explain, errors=errors, year=year,
                             choose=self.choose)
