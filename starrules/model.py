"""The checked model: what `load()` returns once a rubric has passed every static check."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import attrs

from . import ast
from .diagnostics import Diagnostic
from .limits import DEFAULT, Limits
from .ranges import Ranges
from .records import CHUNK_ROWS

if TYPE_CHECKING:  # the evaluator depends on this module, not the other way round
    from .records import RowError
    from .result_batch import ResultBatch
    from .evaluator import Evaluator
    from .grading import SchemeGrader
    from .graph import Graph
    from .result import Result


@attrs.frozen
class CheckedScheme:
    """A scheme with its base (for 基于), consequences (措施) and cohort rules (排名)."""

    definition: ast.Scheme
    base: CheckedScheme | None
    consequences: ast.Consequences | None
    ranking: ast.Ranking | None

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def levels(self) -> tuple[str, ...]:
        """Level names, best first."""
        return tuple(s.name for s in self.definition.body if isinstance(s, (ast.Level, ast.LevelMap)))


@attrs.frozen(hash=False)
class Rubric:
    """A rubric after inheritance, name resolution, type checking and the §6 checks."""

    definition: ast.Rubric  # the body with inheritance applied
    facts: dict[str, ast.Fact]
    lets: dict[str, ast.Let]
    sections: tuple[ast.Section, ...]
    extra_sections: tuple[ast.ExtraSection, ...]
    vetoes: tuple[ast.Veto, ...]
    raters: ast.Raters | None
    max_score: Fraction | None
    precision: Fraction
    rescale: Fraction | None
    schemes: dict[str, CheckedScheme]
    ranges: Ranges
    warnings: tuple[Diagnostic, ...]
    sources: dict[str, str] = attrs.field(factory=dict, eq=False, repr=False)  # file → text, for rule text
    known_schemes: dict[str, CheckedScheme] = attrs.field(factory=dict, eq=False, repr=False)  # the whole program's
    limits: Limits = attrs.field(default=DEFAULT, eq=False, repr=False)  # also bound its evidence
    _evaluator: Evaluator | None = attrs.field(default=None, init=False, eq=False, repr=False)
    _graders: dict[str, SchemeGrader] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @property
    def name(self) -> str:
        return self.definition.name

    def __getstate__(self) -> dict[str, Any]:
        """Compiled graders hold closures: they are rebuilt after unpickling, not pickled."""
        state = {field.name: getattr(self, field.name) for field in attrs.fields(type(self))}
        state["_graders"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def evaluate(self, evidence: Mapping[str, Any] | str | os.PathLike[str], *, explain: bool = True,
                 schemes: Iterable[str] | None = None) -> Result:
        """Score one branch and grade it under `schemes` (default: the rubric's 等级 line).
        `evidence` is a mapping or the path of a JSON file; raises EvidenceError listing
        every problem. `explain=False` skips the trace and the gap to the next level."""
        from .grading import grade_result
        from .raters import evaluate_branch
        return grade_result(self, evaluate_branch(self, evidence, explain), schemes, explain)

    def evaluate_many(self, data: Iterable[Mapping[str, Any]] | str | os.PathLike[str], *,
                      schemes: Iterable[str] | None = None, explain: bool = False,
                      errors: Literal["raise", "collect"] = "raise") -> Iterator[Result | RowError]:
        """Score and grade many branches (dicts, or a .jsonl / .csv file), yielding each result as
        it is made; see `starrules.batch.evaluate_many`."""
        from .batch import evaluate_many
        return evaluate_many(self, data, schemes=schemes, explain=explain, errors=errors)

    def evaluate_columns(self, data: object, *, schemes: Iterable[str] | None = None,
                         errors: Literal["raise", "collect"] = "raise", chunk_rows: int = CHUNK_ROWS) -> Iterator[ResultBatch]:
        """Score and grade many branches with the batch engine, a `ResultBatch` per chunk of rows
        (dicts, .jsonl / .csv / .parquet, Arrow, pandas, polars; needs numpy, and pyarrow for
        Arrow and Parquet); see `starrules.columnar_batch.evaluate_columns`."""
        from .columnar_batch import evaluate_columns
        return evaluate_columns(self, data, schemes=schemes, errors=errors, chunk_rows=chunk_rows)

    def scheme(self, name: str) -> CheckedScheme:
        """A scheme by name: this rubric's, its file's, or a built-in one; checked against
        this rubric's names (RubricCheckError when it reads a fact the rubric lacks)."""
        from .schemes import resolve_scheme
        return resolve_scheme(self, name)

    def grader(self, name: str) -> SchemeGrader:
        """The compiled form of a scheme for this rubric, built once and kept."""
        grader = self._graders.get(name)
        if grader is None:
            from .grading import SchemeGrader
            grader = self._graders[name] = SchemeGrader(self.scheme(name), self)
        return grader

    def evidence_schema(self) -> dict[str, Any]:
        """A JSON Schema (draft 2020-12) of this rubric's evidence, for input forms."""
        from .evidence_schema import evidence_schema
        return evidence_schema(self)

    @property
    def graph(self) -> Graph:
        return self.evaluator.graph

    @property
    def fast_source(self) -> str:
        """The Python source of this rubric's generated fast path (see docs/performance.md)."""
        return self.evaluator.fast.source

    @property
    def evaluator(self) -> Evaluator:
        """Compiled on first use and kept; building it twice from two threads is harmless."""
        if self._evaluator is None:
            from .evaluator import Evaluator
            object.__setattr__(self, "_evaluator", Evaluator.compile(self))
        assert self._evaluator is not None
        return self._evaluator

    def _meta(self, key: str) -> str | None:
        return next((s.text for s in self.definition.body if isinstance(s, ast.Meta) and s.key == key), None)

    @property
    def title(self) -> str | None:
        return self._meta("title")

    @property
    def version(self) -> str | None:
        return self._meta("version")

    @property
    def source(self) -> str | None:
        return self._meta("source")

    @property
    def containers(self) -> tuple[ast.Container, ...]:
        """Regular sections, then bonus and penalty sections."""
        return (*self.sections, *self.extra_sections)

    @property
    def items(self) -> tuple[ast.Item, ...]:
        return tuple(i for s in self.containers for i in s.items)


@attrs.frozen(hash=False)
class CheckReport:
    """Everything `starrules check` learns about one file."""

    diagnostics: tuple[Diagnostic, ...]
    rubrics: dict[str, Rubric]
    schemes: dict[str, CheckedScheme]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.is_error)
