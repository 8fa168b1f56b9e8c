"""The checked model: what `load()` returns once a rubric has passed every static check."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from fractions import Fraction
from typing import Any, TypeVar, cast

import attrs

from ..lang import ast
from ..core.diagnostics import Diagnostic
from ..core.limits import DEFAULT, Limits
from .ranges import Ranges

T = TypeVar("T")


class Compiled:
    """What engines compile from one rubric, by key, each built once: a reader finds a finished
    artefact without locking; builders take a re-entrant lock (a grader builds its base's)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._made: dict[Any, Any] = {}

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        found = self._made.get(key, self)
        if found is self:
            with self._lock:
                found = self._made.get(key, self)
                if found is self:
                    found = self._made[key] = make()
        return cast(T, found)

    def made(self, key: type[T]) -> T | None:
        """What was made for the class `key` (an instance of it), or None: a lookup with no
        function to pass, for the hot path."""
        found: T | None = self._made.get(key)
        return found

    def __reduce__(self) -> tuple[type[Compiled], tuple[()]]:
        return (Compiled, ())  # compiled code is rebuilt after unpickling, not pickled


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
class CheckedRubric:
    """A rubric after inheritance, name resolution, type checking and the §6 checks: plain data.
    What is compiled from it (the evaluator, scheme graders) is kept in `compiled`, a separate
    object that builds each artefact once, under a lock; the rubric itself never changes."""

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
    # the program's named conditions (条件 名称 = …) this standard sees, and those grading expands
    conditions: dict[str, ast.NamedCondition] = attrs.field(factory=dict, eq=False, repr=False)
    expandable: dict[str, ast.NamedCondition] = attrs.field(factory=dict, eq=False, repr=False)
    compiled: Compiled = attrs.field(factory=lambda: Compiled(), init=False, eq=False, repr=False)

    @property
    def name(self) -> str:
        return self.definition.name

    def _meta(self, key: str) -> str | None:
        return next((s.text for s in self.definition.body if isinstance(s, ast.Meta) and s.key == key), None)

    @property
    def title(self) -> str | None:
        return self._meta("title")

    @property
    def applies(self) -> ast.Applies | None:
        """The 适用 line: which branches this standard is for (None: every branch)."""
        return next((s for s in self.definition.body if isinstance(s, ast.Applies)), None)

    @property
    def subject(self) -> str:
        """The word for what this standard rates (`主体 "饭店"`, a child's own or its parent's), used
        in every message and report about it: 党支部 where no 主体 line says otherwise."""
        return self.definition.subject or ast.DEFAULT_SUBJECT

    @property
    def total_unused(self) -> bool:
        """`总分 不计` (its own or its parent's): levels are decided by conditions alone and `rank`
        orders by level; the total is still worked out and kept in results."""
        return any(isinstance(s, ast.TotalUnused) for s in self.definition.body)

    @property
    def notices(self) -> tuple[ast.Notice, ...]:
        """The 提示 lines, in the order written (inherited ones first)."""
        return tuple(s for s in self.definition.body if isinstance(s, ast.Notice))

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

    @property
    def blank_scores(self) -> frozenset[str]:
        """The items on 任选其一 paths: their scores may be left blank (only the chosen path's count)."""
        return frozenset(i.name for s in self.sections for c in s.choices if c.kind == "chosen" for i in c.items)


@attrs.frozen(hash=False)
class CheckReport:
    """Everything `starrules check` learns about one file."""

    diagnostics: tuple[Diagnostic, ...]
    rubrics: dict[str, CheckedRubric]
    schemes: dict[str, CheckedScheme]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.is_error)
