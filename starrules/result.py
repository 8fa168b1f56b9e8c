"""The result of one evaluation: every score with the clauses that made it (LANGUAGE.md §11).

Numbers are exact (`int` or `Fraction`); `to_dict()` / `to_json()` write them as JSON numbers
from their exact decimal text, and `Result.from_dict` reads them back exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from .numbers import Exact, exact_number, format_decimal
from .resources import RESULT_SCHEMA_PATH

SCHEMA_VERSION = 1
Scalar = bool | int | Fraction | str  # a fact's or derived value's value


@attrs.frozen
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


@attrs.frozen
class ItemResult:
    name: str
    score: Exact
    max: Exact  # 0 when the item is 不适用
    applicable: bool
    trace: tuple[ClauseTrace, ...]
    line: int


@attrs.frozen
class SectionResult:
    name: str
    kind: str  # regular | bonus | penalty
    score: Exact
    max: Exact
    passed: bool | None  # None when the section has no 达标 line
    pass_line: Exact | None
    weight: Exact | None
    items: tuple[ItemResult, ...]

    def item(self, name: str) -> ItemResult:
        return next(i for i in self.items if i.name == name)


@attrs.frozen
class VetoResult:
    text: str
    line: int
    fired: bool
    because: str | None = None
    values: tuple[tuple[str, Scalar], ...] = ()


@attrs.frozen
class Result:
    rubric: str
    title: str | None
    total: Exact
    max: Exact
    vetoed: bool
    sections: tuple[SectionResult, ...]
    vetoes: tuple[VetoResult, ...] = ()
    facts: tuple[tuple[str, Scalar], ...] = ()
    derived: tuple[tuple[str, Scalar], ...] = ()
    levels: Mapping[str, Any] = attrs.Factory(dict)
    consequences: tuple[str, ...] = ()
    gap: Mapping[str, Any] = attrs.Factory(dict)
    id: str | None = None

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
                     "levels": dict(self.levels), "consequences": list(self.consequences), "gap": dict(self.gap)})
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        """Rebuild a result from `to_dict()` output or parsed `to_json()` text."""
        return cls(rubric=data["rubric"], title=data.get("title"), total=_exact(data["total"]),
                   max=_exact(data["max"]), vetoed=data["vetoed"],
                   sections=tuple(_section_from(s) for s in data["sections"]),
                   vetoes=tuple(VetoResult(v["text"], v["line"], v["fired"], v.get("because"),
                                           _values_from(v.get("values", {}))) for v in data.get("vetoes", [])),
                   facts=_values_from(data.get("facts", {})), derived=_values_from(data.get("derived", {})),
                   levels=dict(data.get("levels", {})), consequences=tuple(data.get("consequences", [])),
                   gap=dict(data.get("gap", {})), id=data.get("id"))

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text, parse_float=Decimal))


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
            "items": [_item_dict(i) for i in s.items]}


def _veto_dict(v: VetoResult) -> dict[str, Any]:
    data: dict[str, Any] = {"text": v.text, "line": v.line, "fired": v.fired}
    if v.values:
        data["values"] = _values_dict(v.values)
    return _optional(data, because=v.because)


def _trace_from(t: Mapping[str, Any]) -> ClauseTrace:
    return ClauseTrace(t["kind"], _exact(t["points"]), t["fired"], t["text"], t["line"], t.get("because"),
                       _values_from(t.get("values", {})), t.get("reason"), t.get("rater"))


def _section_from(s: Mapping[str, Any]) -> SectionResult:
    items = tuple(ItemResult(i["name"], _exact(i["score"]), _exact(i["max"]), i["applicable"],
                             tuple(_trace_from(t) for t in i["trace"]), i["line"]) for i in s["items"])
    return SectionResult(s["name"], s["kind"], _exact(s["score"]), _exact(s["max"]), s["passed"],
                         None if s["pass_line"] is None else _exact(s["pass_line"]),
                         None if s["weight"] is None else _exact(s["weight"]), items)
