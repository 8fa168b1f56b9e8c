"""The result of one evaluation: every score with the clauses that made it (LANGUAGE.md §11).

Numbers are exact (`int` or `Fraction`); `to_dict()` / `to_json()` write them as JSON numbers
from their exact decimal text, and `Result.from_dict` reads them back exactly.
"""

from __future__ import annotations

import json
from types import MappingProxyType
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from ..core.numbers import Exact, exact_number, format_decimal
from ..core.resources import RESULT_SCHEMA_PATH
from ..plan.evidence import judged_items, may_be_left_out

if TYPE_CHECKING:
    from ..check.model import CheckedRubric

SCHEMA_VERSION = 1
Scalar = bool | int | Fraction | str  # a fact's or derived value's value


@attrs.frozen(slots=False)  # made ~90 times per branch whose trace is read: a dict-backed frozen class is made faster (see `Result`)
class ClauseTrace:
    """One step of an item's score. `points` is the signed change it made to the item's
    value (for a base: the base itself); 0 when it did not fire. The points of an item's
    trace add up to its score."""

    kind: str
    points: Exact
    fired: bool
    text: str
    line: int
    because: str | None = None  # the condition with the values it saw, for fired clauses
    values: tuple[tuple[str, Scalar], ...] = ()
    reason: str | None = None  # 酌情 / 分档: the assessor's reason
    rater: str | None = None


@attrs.frozen(slots=False)  # as `ClauseTrace`
class ItemResult:
    name: str
    score: Exact
    max: Exact  # 0 when the item is 不适用
    applicable: bool
    trace: tuple[ClauseTrace, ...]
    line: int


@attrs.frozen
class ChoiceResult:
    """A 取其高 (`kind` "best") or 任选其一 ("chosen") of a section: each path's score (the sum of
    its items) and the path that counts. The items of the other paths are scored as usual and
    shown, but only `score` counts in the section."""

    name: str
    kind: str
    paths: tuple[tuple[str, Exact], ...]
    counted: str
    score: Exact


@attrs.frozen
class SectionResult:
    name: str
    kind: str  # regular | bonus | penalty | group (a 类型 inside a 类型)
    score: Exact
    max: Exact
    passed: bool | None  # None when the section has no 达标 line
    pass_line: Exact | None
    weight: Exact | None
    items: tuple[ItemResult, ...]  # every item inside it, its groups' too, in the order written
    choices: tuple[ChoiceResult, ...] = ()
    groups: tuple[SectionResult, ...] = ()  # the 类型s written inside it, each with its own items

    def nested(self) -> tuple[SectionResult, ...]:
        """Its groups at every depth, each before the groups inside it."""
        return tuple(found for g in self.groups for found in (g, *g.nested()))

    def parts(self) -> tuple[ItemResult | SectionResult, ...]:
        """Its own items and its groups, in the order written (a group where its first item is)."""
        holding = {item.name: group for group in self.groups for item in group.items}
        found: list[ItemResult | SectionResult] = []
        shown: set[str] = set()
        for item in self.items:
            group = holding.get(item.name)
            if group is None:
                found.append(item)
            elif group.name not in shown:
                shown.add(group.name)
                found.append(group)
        return (*found, *(g for g in self.groups if g.name not in shown))  # a group with no items: last

    def item(self, name: str) -> ItemResult:
        return next(i for i in self.items if i.name == name)


@attrs.frozen
class VetoResult:
    text: str
    line: int
    fired: bool
    because: str | None = None
    values: tuple[tuple[str, Scalar], ...] = ()
    highest: str | None = None  # 否决 … 最高 <level>: the veto caps rather than floors


# the empty mapping a fast result shares for its history, raters and gap (read-only, so one serves all)
NOTHING_GIVEN: Mapping[str, Any] = MappingProxyType({})
NOTICES_COLUMN, NOTICE_SEPARATOR = "notices", ";"  # a row's notices, in `to_row()` and batch outputs
WARNINGS_COLUMN = "warnings"  # a row's warnings' texts joined by NOTICE_SEPARATOR, in `to_row()` and batch outputs
REASONS = "reasons of "  # + a scheme's name: the part of a Lazy that is a level's reasons


class Lazy:
    """Stands in for the parts of a result that are made on first read (a fast evaluation's
    sections, vetoes, facts, derived values and scheme values): one object for all of them,
    asked for each part by name, remembering its answers."""

    __slots__ = ()

    def part(self, name: str) -> Any:
        raise NotImplementedError

    def part_of(self, owner: Any, name: str) -> Any:
        """The part, for a stand-in that works it out from the object it stands in for."""
        return self.part(name)


def _now(value: Any, name: str) -> Any:
    return value.part(name) if isinstance(value, Lazy) else value


def _shown(name: str) -> Callable[[Any], str]:
    return lambda value: repr(value.part(name))


@attrs.frozen(eq=False, slots=False)  # made for each branch graded: not slotted, as `Result`
class LevelResult:
    """A result's level under one scheme, and why (LANGUAGE.md §4, §11). The reasons of a level
    the fast path graded are written when first read."""

    scheme: str
    level: str
    by_score: str  # the level the total and the level conditions reach, before 降档 / 逐级晋升 / 否决
    downgrade: int  # levels moved down by 降档
    vetoed: bool
    _reasons: tuple[str, ...] | Lazy = attrs.field(alias="reasons")

    @property
    def reasons(self) -> tuple[str, ...]:
        return _now(self._reasons, REASONS + self.scheme)  # type: ignore[no-any-return]

    def _compared(self) -> tuple[object, ...]:
        return self.scheme, self.level, self.by_score, self.downgrade, self.vetoed, self.reasons

    def __repr__(self) -> str:
        return "LevelResult(" + ", ".join(f"{f}={v!r}" for f, v in zip(
            ("scheme", "level", "by_score", "downgrade", "vetoed", "reasons"), self._compared())) + ")"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, LevelResult)
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __reduce__(self) -> tuple[type[LevelResult], tuple[object, ...]]:
        return (LevelResult, self._compared())  # the reasons written, not the stand-in


@attrs.frozen
class Consequence:
    """A measure (措施) that applies to this result's level, or to a run of years at it."""

    scheme: str
    level: str
    text: str
    years: int | None = None  # 连续 N 年


@attrs.frozen
class Fix:
    """Points an item could win back: deductions or zeroing removed, 酌情 raised to its top,
    a penalty avoided. `points` is the gain in the total (after section caps and weights), in
    the order the fixes are listed; 0 for a fix taken for a condition on a score the total does
    not feel (an item in a section at its cap)."""

    item: str
    section: str
    points: Exact
    clauses: tuple[str, ...]  # the rule texts the fix removes or raises
    lines: tuple[int, ...]


@attrs.frozen
class Need:
    """One comparison in the next level's conditions that the result does not meet now: a score
    (points can change it) or a fact (only the evidence can), with what the level asks of it."""

    condition: str  # the level's condition it is part of, as written (“五星条件”, “最低要求 @安全耐久 >= 18分”)
    value: str  # what is compared, as written: “@设施设备”, “总分”, “党员人数”
    current: str  # its value now, as reasons show it: “479”, “80%”, “否”
    needed: str  # what the level asks of it: “>= 480”, “是”, “属于 [农村, 社区]”
    points: Exact | None  # the points a score is short; None for a fact or a condition that is no score line
    kind: str  # "score" | "fact"


@attrs.frozen
class Gap:
    """How far the result is from the next level up under one scheme (晋位升级)."""

    scheme: str
    next_level: str | None  # None at the top level, or when no level above is open to the result
    points_needed: Exact  # what the total is short of the level's score line (0 without one)
    fixes: tuple[Fix, ...]  # the fewest fixes that meet the score line and the score conditions together
    reachable: bool  # the fixes reach the next level: no fact short, nothing blocking
    blocking: tuple[str, ...] = ()  # what points cannot fix and no condition says: vetoes, 降档, 逐级晋升
    needs: tuple[Need, ...] = ()  # each comparison of the level's conditions not met now, in the order written
    chosen_by: str | None = None  # the fact that picks the one level advised (申报: what was applied for)


def _not_worked_out(value: Any) -> str:
    """The gap in a result's repr: not worked out for it (that re-scores the result)."""
    return "<worked out when read>" if isinstance(value, Lazy) else repr(value)


@runtime_checkable
class Grades(Protocol):
    """What grades a result after the fact: the loaded `starrules.Rubric` (above this layer)."""

    def grade_level(self, result: Result, scheme: str) -> LevelResult: ...


@attrs.frozen
class ResultWarning:
    """Something in the evidence the result did not use, said once with a stable code (W5xx):
    W501, a score given for an item its facts make 不适用 (the score stays out, as the rule says)."""

    code: str
    message: str
    item: str
    line: int  # the item's line in the rubric

    @property
    def text(self) -> str:
        """“警告 W501:…(第 7 行)”: how explain, the table, a row's `warnings` column and the CLI show it."""
        return f"警告 {self.code}:{self.message}(第 {self.line} 行)"


@attrs.frozen
class Detail:
    """A result's parts besides its scores and levels, when they are made at once (the
    reference's results; a fast result has a `Lazy` in their place, asked for each by name)."""

    sections: tuple[SectionResult, ...]
    vetoes: tuple[VetoResult, ...] = ()
    facts: tuple[tuple[str, Scalar], ...] = ()
    derived: tuple[tuple[str, Scalar], ...] = ()
    # what scheme conditions read, when the engine that made the result has it at hand
    values: Mapping[str, Scalar] | None = None
    warnings: tuple[ResultWarning, ...] = ()  # only the reference makes any (the fast path gives such branches up)

    def part(self, name: str) -> Any:
        return getattr(self, name)


@attrs.frozen
class Context:
    """What a result was scored against besides its evidence: the levels of earlier years
    (scheme → year → level), each rater's own result (with 综合) and the evaluation year."""

    history: Mapping[str, Mapping[int, str]] = NOTHING_GIVEN
    raters: Mapping[str, Result] = NOTHING_GIVEN
    year: int | None = None

    def made_plain(self) -> Context:
        """With plain dicts, which pickle (the shared empty mapping does not)."""
        return Context(dict(self.history), dict(self.raters), self.year)


NO_CONTEXT = Context()


@attrs.frozen
class Graded:
    """What grading adds to a result besides its levels: the measures (措施) that apply, the gap
    to the next level (with `explain`: a `Lazy` worked out when read) and the 提示 texts that
    hold. Most results have none of them: they share `NOTHING_ADDED`."""

    consequences: tuple[Consequence, ...] = ()
    gap: Mapping[str, Gap] | Lazy = NOTHING_GIVEN
    notices: tuple[str, ...] = ()


NOTHING_ADDED = Graded()


def graded_parts(consequences: tuple[Consequence, ...], gap: Mapping[str, Gap] | Lazy,
                 notices: tuple[str, ...]) -> Graded:
    """These as a `Graded`, the shared `NOTHING_ADDED` when there are none."""
    return Graded(consequences, gap, notices) if consequences or gap or notices else NOTHING_ADDED


@attrs.frozen(eq=False, slots=False)
class Result:
    """One branch's scores and levels. Parts read less often sit in three values — `Detail` (or
    a `Lazy` for it), `Context` and `Graded` — so a result is made with few fields: grading a
    branch makes one, and each field set costs about as much as a line of the rubric's
    arithmetic. Not slotted: attrs makes a frozen class with a `__dict__` by writing into it,
    about twice as fast as setting slots through `object.__setattr__` (docs/performance.md)."""

    rubric: str
    title: str | None
    total: Exact
    max: Exact
    vetoed: bool
    _detail: Detail | Lazy = attrs.field(alias="detail", repr=_shown("sections"))
    levels: Mapping[str, LevelResult] = NOTHING_GIVEN
    id: str | None = None
    _context: Context = attrs.field(default=NO_CONTEXT, alias="context", repr=False)
    _rubric: CheckedRubric | None = attrs.field(default=None, eq=False, repr=False, alias="graded_by")
    _added: Graded = attrs.field(default=NOTHING_ADDED, alias="added", repr=False)

    @classmethod
    def of(cls, rubric: str, title: str | None, total: Exact, max: Exact, vetoed: bool,
           sections: tuple[SectionResult, ...], vetoes: tuple[VetoResult, ...] = (),
           facts: tuple[tuple[str, Scalar], ...] = (), derived: tuple[tuple[str, Scalar], ...] = (),
           levels: Mapping[str, LevelResult] = NOTHING_GIVEN, consequences: tuple[Consequence, ...] = (),
           gap: Mapping[str, Gap] = NOTHING_GIVEN, id: str | None = None,
           history: Mapping[str, Mapping[int, str]] = NOTHING_GIVEN, raters: Mapping[str, Result] = NOTHING_GIVEN,
           graded_by: CheckedRubric | None = None, values: Mapping[str, Scalar] | None = None,
           year: int | None = None, notices: tuple[str, ...] = (),
           warnings: tuple[ResultWarning, ...] = ()) -> Result:
        """A result from its parts one by one."""
        context = NO_CONTEXT if not history and not raters and year is None else Context(history, raters, year)
        return cls(rubric, title, total, max, vetoed, Detail(sections, vetoes, facts, derived, values, warnings),
                   levels, id, context, graded_by, graded_parts(consequences, gap, notices))

    @property
    def sections(self) -> tuple[SectionResult, ...]:
        return self._detail.part("sections")  # type: ignore[no-any-return]

    @property
    def vetoes(self) -> tuple[VetoResult, ...]:
        return self._detail.part("vetoes")  # type: ignore[no-any-return]

    @property
    def facts(self) -> tuple[tuple[str, Scalar], ...]:
        return self._detail.part("facts")  # type: ignore[no-any-return]

    @property
    def derived(self) -> tuple[tuple[str, Scalar], ...]:
        return self._detail.part("derived")  # type: ignore[no-any-return]

    @property
    def warnings(self) -> tuple[ResultWarning, ...]:
        """What the evidence gave that the result could not use (W501), in the rubric's item order."""
        return self._detail.part("warnings")  # type: ignore[no-any-return]

    @property
    def history(self) -> Mapping[str, Mapping[int, str]]:
        return self._context.history

    @property
    def raters(self) -> Mapping[str, Result]:
        return self._context.raters

    @property
    def year(self) -> int | None:
        return self._context.year

    @property
    def context(self) -> Context:
        return self._context

    @property
    def gap(self) -> Mapping[str, Gap]:
        """Per scheme, the gap to the next level (when explaining), worked out when first read
        (from this result: the stand-in holds no reference back to it)."""
        gap = self._added.gap
        return gap.part_of(self, "gap") if isinstance(gap, Lazy) else gap

    @property
    def scheme_values(self) -> Mapping[str, Scalar] | None:
        """Facts, derived values, `@` scores, 总分 and 未达标类型数 as the engine keeps them (scores
        made points when read), or None: then they are read from the sections."""
        return self._detail.part("values")  # type: ignore[no-any-return]

    @property
    def consequences(self) -> tuple[Consequence, ...]:
        """The measures (措施) that apply to its levels."""
        return self._added.consequences

    @property
    def notices(self) -> tuple[str, ...]:
        """The texts of the rubric's 提示 lines that hold for this result."""
        return self._added.notices

    def graded(self, levels: Mapping[str, LevelResult], consequences: tuple[Consequence, ...],
               gap: Mapping[str, Gap] | Lazy, notices: tuple[str, ...] = ()) -> Result:
        """This result with its levels, measures, gap and notices (what `attrs.evolve` does,
        without its field-by-field introspection: grading calls this once per branch)."""
        return Result(self.rubric, self.title, self.total, self.max, self.vetoed, self._detail, levels, self.id,
                      self._context, self._rubric, graded_parts(consequences, gap, notices))

    def with_notices(self, notices: tuple[str, ...]) -> Result:
        """This result with these 提示 texts."""
        return attrs.evolve(self, added=attrs.evolve(self._added, notices=notices))

    def _compared(self) -> tuple[object, ...]:
        """What equality compares: every part as it reads (lazy parts made), not the rubric."""
        return (self.rubric, self.title, self.total, self.max, self.vetoed, self.sections, self.vetoes, self.facts,
                self.derived, self.levels, self.consequences, self.gap, self.id, self.history, self.raters, self.year,
                self.notices, self.warnings)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Result)
        return self._compared() == other._compared()

    __hash__ = None  # type: ignore[assignment]  # holds dicts: unhashable, as before

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its lazy parts made (they hold the compiled evaluator), scheme values dropped."""
        state = {field.name: getattr(self, field.name) for field in attrs.fields(Result)}
        state.update({name: dict(value) for name, value in state.items() if value is NOTHING_GIVEN})
        state.update(_detail=Detail(self.sections, self.vetoes, self.facts, self.derived, warnings=self.warnings),
                     _added=Graded(self.consequences, dict(self.gap), self.notices),
                     _context=self._context.made_plain())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def level(self, scheme: str, rubric: Grades | None = None) -> LevelResult:
        """This result's level under any scheme, named by the rubric or not. A result read
        back from JSON needs the `rubric` it came from."""
        found = self.levels.get(scheme)
        if found is not None:
            return found
        source = rubric or self._rubric
        if not isinstance(source, Grades):
            raise ValueError(f"result of “{self.rubric}” was not made by a loaded rubric; pass rubric=")
        return source.grade_level(self, scheme)

    def section(self, name: str) -> SectionResult:
        return next(s for s in self.sections if s.name == name)

    def item(self, name: str) -> ItemResult:
        return next(i for s in self.sections for i in s.items if i.name == name)

    @property
    def items(self) -> tuple[ItemResult, ...]:
        return tuple(i for s in self.sections for i in s.items)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (docs/result-schema.md), with numbers as int or float."""
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        if self.id is not None:
            data["id"] = self.id
        data.update({"rubric": self.rubric, "title": self.title, "total": json_number(self.total),
                     "max": json_number(self.max), "vetoed": self.vetoed,
                     "sections": [_section_dict(s) for s in self.sections],
                     "vetoes": [_veto_dict(v) for v in self.vetoes],
                     "facts": _values_dict(self.facts), "derived": _values_dict(self.derived),
                     "levels": {name: _level_dict(lv) for name, lv in self.levels.items()},
                     "consequences": [_consequence_dict(c) for c in self.consequences],
                     "gap": {name: _gap_dict(g) for name, g in self.gap.items()}})
        if self.history:
            data["history"] = {scheme: {str(year): level for year, level in years.items()}
                               for scheme, years in self.history.items()}
        if self.year is not None:
            data["year"] = self.year
        if self.notices:
            data["notices"] = list(self.notices)
        if self.warnings:
            data["warnings"] = [_warning_dict(w) for w in self.warnings]
        if self.raters:
            data["raters"] = {name: result.to_dict() for name, result in self.raters.items()}
        return data

    def to_row(self) -> dict[str, Any]:
        """One flat record: id, total, max, vetoed, then `section:名称`, `item:名称` and
        `level:方案` columns, in the rubric's order (the rows `starrules eval -o` writes); then,
        for a rubric with 提示 lines, `notices`: the texts that hold, joined by “;”; then, for a
        rubric with a 酌情 / 分档 item that may be 不适用, `warnings`: their texts, joined by “;”."""
        row: dict[str, Any] = {"id": self.id, "total": json_number(self.total), "max": json_number(self.max),
                               "vetoed": self.vetoed}
        for section in self.sections:
            _section_columns(row, section)
        row.update((f"level:{name}", level.level) for name, level in self.levels.items())
        if self.notices or (self._rubric is not None and self._rubric.notices):
            row[NOTICES_COLUMN] = NOTICE_SEPARATOR.join(self.notices)
        if self.warnings or (self._rubric is not None and may_warn(self._rubric)):
            row[WARNINGS_COLUMN] = NOTICE_SEPARATOR.join(w.text for w in self.warnings)
        return row

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from `to_dict()` output or parsed `to_json()` text."""
        return cls.of(rubric=data["rubric"], title=data.get("title"), total=_exact(data["total"]),
                   max=_exact(data["max"]), vetoed=data["vetoed"],
                   sections=tuple(_section_from(s) for s in data["sections"]),
                   vetoes=tuple(VetoResult(v["text"], v["line"], v["fired"], v.get("because"),
                                           _values_from(v.get("values", {})), v.get("highest"))
                                for v in data.get("vetoes", [])),
                   facts=_values_from(data.get("facts", {})), derived=_values_from(data.get("derived", {})),
                   levels={name: _level_from(name, lv) for name, lv in data.get("levels", {}).items()},
                   consequences=tuple(Consequence(c["scheme"], c["level"], c["text"], c.get("years"))
                                      for c in data.get("consequences", [])),
                   gap={name: _gap_from(name, g) for name, g in data.get("gap", {}).items()}, id=data.get("id"),
                   history={scheme: {int(year): level for year, level in years.items()}
                            for scheme, years in data.get("history", {}).items()},
                   raters={name: cls.from_dict(r) for name, r in data.get("raters", {}).items()},
                   year=data.get("year"), notices=tuple(data.get("notices", ())),
                   warnings=tuple(ResultWarning(w["code"], w["message"], w["item"], w["line"])
                                  for w in data.get("warnings", ())))

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text, parse_float=Decimal))


def _section_columns(row: dict[str, Any], section: SectionResult) -> None:
    """A section's column, its own items' (not its groups'), then each group's the same way."""
    row[f"section:{section.name}"] = json_number(section.score)
    inside = {item.name for group in section.groups for item in group.items}
    row.update((f"item:{item.name}", json_number(item.score)) for item in section.items if item.name not in inside)
    for group in section.groups:
        _section_columns(row, group)


def may_warn(rubric: CheckedRubric) -> bool:
    """Whether a result of `rubric` can carry W501: it has a 酌情 / 分档 item that may be 不适用.
    Its rows then have a `warnings` column, empty or not, so every row of a file has the same columns."""
    return rubric.compiled.get(may_warn, lambda: any(map(may_be_left_out, judged_items(rubric).values())))


def result_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every `Result.to_dict()` satisfies."""
    schema: dict[str, Any] = json.loads(RESULT_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def json_number(value: Exact) -> int | float:
    """An exact value as a JSON number. Points always have a finite decimal, and a float
    made from that text prints back as the same text; a derived value with no finite
    decimal (1/3) is written to double precision."""
    if isinstance(value, int):
        return value
    if value.denominator == 1:
        return value.numerator
    text = format_decimal(value)
    return float(text) if "/" not in text else float(value)


def _exact(value: object) -> Exact:
    number = exact_number(value)
    if number is None:
        raise TypeError(f"a number was expected, not {type(value).__name__}")
    return number


def _scalar_json(value: Scalar) -> bool | int | float | str:
    return value if isinstance(value, (bool, str)) else json_number(value)


def _scalar_from(value: object) -> Scalar:
    return value if isinstance(value, (bool, str)) else _exact(value)


def _values_dict(values: tuple[tuple[str, Scalar], ...]) -> dict[str, Any]:
    return {name: _scalar_json(value) for name, value in values}


def _values_from(data: Mapping[str, Any]) -> tuple[tuple[str, Scalar], ...]:
    return tuple((name, _scalar_from(value)) for name, value in data.items())


def _optional(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


def _trace_dict(t: ClauseTrace) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": t.kind, "points": json_number(t.points), "fired": t.fired, "text": t.text, "line": t.line}
    if t.values:
        data["values"] = _values_dict(t.values)
    return _optional(data, because=t.because, reason=t.reason, rater=t.rater)


def _item_dict(i: ItemResult) -> dict[str, Any]:
    return {"name": i.name, "score": json_number(i.score), "max": json_number(i.max), "applicable": i.applicable,
            "line": i.line, "trace": [_trace_dict(t) for t in i.trace]}


def _section_dict(s: SectionResult) -> dict[str, Any]:
    return {"name": s.name, "kind": s.kind, "score": json_number(s.score), "max": json_number(s.max),
            "passed": s.passed, "pass_line": None if s.pass_line is None else json_number(s.pass_line),
            "weight": None if s.weight is None else json_number(s.weight),
            "items": [_item_dict(i) for i in s.items]} | _parts_dict(s)


def _group_dict(g: SectionResult) -> dict[str, Any]:
    """A group: its items by name (their results are in its section's items)."""
    return {"name": g.name, "kind": g.kind, "score": json_number(g.score), "max": json_number(g.max),
            "passed": g.passed, "pass_line": None if g.pass_line is None else json_number(g.pass_line),
            "items": [i.name for i in g.items]} | _parts_dict(g)


def _parts_dict(s: SectionResult) -> dict[str, Any]:
    """A section's or group's choices and groups, when it has any."""
    return ({"choices": [_choice_dict(c) for c in s.choices]} if s.choices else {}) | \
        ({"groups": [_group_dict(g) for g in s.groups]} if s.groups else {})


def _warning_dict(w: ResultWarning) -> dict[str, Any]:
    return {"code": w.code, "message": w.message, "item": w.item, "line": w.line}


def _choice_dict(c: ChoiceResult) -> dict[str, Any]:
    return {"name": c.name, "kind": c.kind, "paths": {name: json_number(score) for name, score in c.paths},
            "counted": c.counted, "score": json_number(c.score)}


def _veto_dict(v: VetoResult) -> dict[str, Any]:
    data: dict[str, Any] = {"text": v.text, "line": v.line, "fired": v.fired}
    if v.values:
        data["values"] = _values_dict(v.values)
    return _optional(data, because=v.because, highest=v.highest)


def _level_dict(lv: LevelResult) -> dict[str, Any]:
    return {"level": lv.level, "by_score": lv.by_score, "downgrade": lv.downgrade, "vetoed": lv.vetoed,
            "reasons": list(lv.reasons)}


def _level_from(scheme: str, data: Mapping[str, Any]) -> LevelResult:
    return LevelResult(scheme, data["level"], data["by_score"], data["downgrade"],
                       data["vetoed"], tuple(data["reasons"]))


def _consequence_dict(c: Consequence) -> dict[str, Any]:
    return {"scheme": c.scheme, "level": c.level, "years": c.years, "text": c.text}


def _gap_dict(g: Gap) -> dict[str, Any]:
    return {"next_level": g.next_level, "points_needed": json_number(g.points_needed), "reachable": g.reachable,
            "blocking": list(g.blocking),
            "fixes": [{"item": f.item, "section": f.section, "points": json_number(f.points),
                       "clauses": list(f.clauses), "lines": list(f.lines)} for f in g.fixes],
            "needs": [{"condition": n.condition, "value": n.value, "current": n.current, "needed": n.needed,
                       "points": None if n.points is None else json_number(n.points), "kind": n.kind}
                      for n in g.needs],
            "chosen_by": g.chosen_by}


def _gap_from(scheme: str, data: Mapping[str, Any]) -> Gap:
    # `needs` and `chosen_by` came with issue 22 §5: results written before have neither
    return Gap(scheme, data["next_level"], _exact(data["points_needed"]),
               tuple(Fix(f["item"], f["section"], _exact(f["points"]), tuple(f["clauses"]), tuple(f["lines"]))
                     for f in data["fixes"]), data["reachable"], tuple(data["blocking"]),
               tuple(Need(n["condition"], n["value"], n["current"], n["needed"],
                          None if n["points"] is None else _exact(n["points"]), n["kind"])
                     for n in data.get("needs", ())), data.get("chosen_by"))


def _trace_from(t: Mapping[str, Any]) -> ClauseTrace:
    return ClauseTrace(t["kind"], _exact(t["points"]), t["fired"], t["text"], t["line"], t.get("because"),
                       _values_from(t.get("values", {})), t.get("reason"), t.get("rater"))


def _section_from(s: Mapping[str, Any]) -> SectionResult:
    items = tuple(ItemResult(i["name"], _exact(i["score"]), _exact(i["max"]), i["applicable"],
                             tuple(_trace_from(t) for t in i["trace"]), i["line"]) for i in s["items"])
    by_name = {item.name: item for item in items}
    return SectionResult(s["name"], s["kind"], _exact(s["score"]), _exact(s["max"]), s["passed"],
                         None if s["pass_line"] is None else _exact(s["pass_line"]),
                         None if s["weight"] is None else _exact(s["weight"]), items, _choices_from(s),
                         tuple(_group_from(g, by_name) for g in s.get("groups", ())))


def _group_from(g: Mapping[str, Any], items: Mapping[str, ItemResult]) -> SectionResult:
    return SectionResult(g["name"], g["kind"], _exact(g["score"]), _exact(g["max"]), g["passed"],
                         None if g["pass_line"] is None else _exact(g["pass_line"]), None,
                         tuple(items[name] for name in g["items"]), _choices_from(g),
                         tuple(_group_from(inner, items) for inner in g.get("groups", ())))


def _choices_from(s: Mapping[str, Any]) -> tuple[ChoiceResult, ...]:
    return tuple(ChoiceResult(c["name"], c["kind"], tuple((name, _exact(v)) for name, v in c["paths"].items()),
                              c["counted"], _exact(c["score"])) for c in s.get("choices", ()))
