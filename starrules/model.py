"""The checked model: what `load()` returns once a rubric has passed every static check."""

from __future__ import annotations

from fractions import Fraction

import attrs

from . import ast
from .diagnostics import Diagnostic
from .ranges import Ranges


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

    @property
    def name(self) -> str:
        return self.definition.name

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
