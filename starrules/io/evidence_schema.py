"""The evidence of a rubric as a JSON Schema (draft 2020-12), for systems that build input forms.

It accepts what the evidence reader accepts: 是/否 as well as true/false, "85%" for ratios,
numbers written as text (CSV, Excel), and a 酌情 / 分档 entry as a bare value or as
{"得分", "理由", "评分人"}. Range and grid checks the reader makes are mirrored where JSON Schema
can say them exactly; `multipleOf` is given only for grids exact in binary (0.5, 0.25, 1)
because validators compare it in floating point.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..lang import ast
from ..plan.evidence import REASON_KEYS, RATER_KEYS, RESERVED_KEYS, SCORE_KEYS, judged_items, judged_range, \
    may_be_left_out
from ..check.model import CheckedRubric
from ..eval.result import json_number

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_NUMBER_TEXT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$"
_PERCENT_TEXT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*%\s*$"


def evidence_schema(rubric: CheckedRubric) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, fact in rubric.facts.items():
        properties[name] = _fact_schema(fact)
        if fact.default is None:
            required.append(name)
    for name, item in judged_items(rubric).items():
        properties[name] = _judged_schema(item, rubric.precision)
        if not may_be_left_out(item):
            required.append(name)
    for key in sorted(RESERVED_KEYS):
        properties.setdefault(key, {"description": "保留字段:编号、名称或历史等级,原样带入结果"})
    return {"$schema": DRAFT, "title": f"{rubric.title or rubric.name} 的证据", "type": "object",
            "properties": properties, "required": required, "additionalProperties": False}


def _fact_schema(fact: ast.Fact) -> dict[str, Any]:
    kind = fact.type.kind
    schema: dict[str, Any]
    if kind == "bool":
        schema = {"anyOf": [{"type": "boolean"}, {"enum": ["是", "否", "true", "false"]}]}
    elif kind == "choice":
        schema = {"enum": list(fact.type.choices)}
    elif kind == "count":
        schema = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\s*\+?\d+\s*$"}]}
    elif kind == "ratio":
        schema = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                            {"type": "string", "pattern": _PERCENT_TEXT}, {"type": "string", "pattern": _NUMBER_TEXT}]}
    else:
        schema = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": _NUMBER_TEXT}]}
    schema["x-starrules-type"] = kind
    if fact.description:
        schema["description"] = fact.description
    if fact.unit:
        schema["x-unit"] = fact.unit
    if fact.default is not None:
        schema["default"] = _default(fact.default)
    return schema


def _default(default: ast.Literal) -> bool | int | float | str:
    if isinstance(default, ast.Bool):
        return default.value
    if isinstance(default, ast.NameRef):
        return default.name
    return json_number(default.value)


def _judged_schema(item: ast.Item, precision: Fraction) -> dict[str, Any]:
    clause = next(c for c in item.clauses if isinstance(c, (ast.Judged, ast.Grades)))
    value: dict[str, Any]
    if isinstance(clause, ast.Grades):
        value = {"enum": [g.name for g in clause.levels]}
        description = "分档:" + "、".join(f"{g.name} {g.points.text}分" for g in clause.levels)
    else:
        low, high = judged_range(item, clause)
        value = {"type": "number", "minimum": json_number(low), "maximum": json_number(high)}
        if _binary_exact(precision):
            value["multipleOf"] = json_number(precision)
        description = f"酌情给分 {json_number(low)}–{json_number(high)} 分,精度 {json_number(precision)} 分"
        if clause.guidance:
            description += f":{clause.guidance}"
    entry = {"type": "object", "properties": {**{k: value for k in SCORE_KEYS},
                                              **{k: {"type": "string"} for k in (*REASON_KEYS, *RATER_KEYS)}},
             "oneOf": [{"required": [k]} for k in SCORE_KEYS], "additionalProperties": False}
    return {"anyOf": [value, entry], "description": f"项目“{item.name}”({item.points.text}分)的评分,{description}",
            "x-starrules-type": "grades" if isinstance(clause, ast.Grades) else "judged"}


def _binary_exact(step: Fraction) -> bool:
    denominator = step.denominator
    return denominator & (denominator - 1) == 0  # a power of two
