"""The evidence of a rubric as a JSON Schema (draft 2020-12), for systems that build input forms.

Every value's schema is derived from the acceptance table (plan/acceptance.py), the rules the
reader goes by, so they are spelled in one place: for each fact kind its `FactRule` (the class
final as given → the JSON type, `text` → which text forms are read, `whole` / `low` / `high` →
`integer`, `minimum`, `maximum` and the same range spelled on text), `FLAG_WORDS` and `PERCENT`;
`JUDGED` / `GRADES` and each 酌情 item's range and the rubric's grid for scores; `ENTRY` for
{"得分", "理由", "评分人"}; the rubric's `Limits.evidence_digits` for E518.

Text is matched by patterns that say what the reader does: spaces around are ignored (Python's
`str.strip`: the whitespace class is spelled out, ideographic space included, since ECMA-262's
`\\s` is another set), 是否 words in any case (character classes: ECMA-262 has no inline `(?i)`),
decimal text with its range, grid and digit count checked by lookaheads. The patterns are
ECMA-262 and mean the same in Python's `re` (tests/test_evidence_schema.py runs them in both).

Where JSON Schema cannot say a rule exactly, the schema is a close superset or subset, and says
so in its description (`LIMITS`; docs/cli.md, `starrules schema`):

- superset: E518 counts the digits of a JSON number as written (`1.000…0`, `1e-101`); a schema
  sees only its value, so it bounds the magnitude (|x| < 10^digits) and no more. Text is exact.
- superset: a 酌情 score given as a JSON number is checked against the grid (`multipleOf`) only
  when the step is exact in binary (0.5, 0.25, 1, 2), because validators compare in floating
  point (0.3 / 0.1 is not 3 there); score text is checked against any grid whose step is 1/n
  (0.1, 0.2, 0.05) exactly, against other steps (2, 0.3) only in its decimal places (such an
  item's description says which).
- superset: the reserved keys (id, 名称, 历史) are let through unchecked; 历史's shape is read
  by plan/evidence.read_history (E512), not by the table.
- subset: the reader reads decimal digits of any script (Python's `Decimal`: Arabic-Indic ٣,
  Devanagari ३ …); the patterns spell ASCII and fullwidth digits (０–９) only, to stay short.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..check.model import CheckedRubric
from ..core.numbers import decimal_places, format_decimal
from ..eval.result import json_number
from ..lang import ast
from ..plan.acceptance import ENTRY, FACTS, FLAG_WORDS, GRADES, JUDGED, PERCENT, FactRule
from ..plan.evidence import RESERVED_KEYS, judged_items, judged_range, may_be_left_out

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DIGIT_BLOCKS = ("0", "\uff10")  # the zeros of the digit blocks the patterns spell: ASCII 0–9, fullwidth ０–９
GRID_CHOICES = 200  # at most this many decimal endings are listed for a grid (a step of 1/n for n ≤ this)

LIMITS = ("按 starrules 的证据接受表(starrules/plan/acceptance.py)生成。与读取器的差别:"
          "① 数字位数(E518):JSON 数按写法计位数(如 1.000…0、1e-101),本 schema 只能限制其大小"
          "(绝对值小于 10 的 {digits} 次方),所以略宽;文字写的数按位数核对,与读取器相同。"
          "② 酌情得分写成 JSON 数时,只在精度是二进制精确的数(如 0.5、0.25、1、2)时用 multipleOf "
          "核对精度,因为校验器用浮点数比较;写成文字时,精度是 1/n(如 0.1、0.2、0.05)的完全核对,"
          "其他精度(如 2、0.3)只核对小数部分。这两处本 schema 略宽。"
          "③ 保留键(id、名称、历史)不核对,略宽。"
          "④ 读取器接受任何文字的十进制数字(如阿拉伯-印度数字 ٣),本 schema 只写了 ASCII 和全角数字(０–９),"
          "这一处略严。")


# characters and classes of the patterns


def _escape(char: str) -> str:
    """One BMP character as a pattern writes it, the same in ECMA-262 (with or without the u flag)
    and Python: ASCII letters and digits and CJK as they are, anything else as \\xHH or \\uXXXX."""
    code = ord(char)
    assert code <= 0xFFFF
    if char.isascii() and char.isalnum() or "\u4e00" <= char <= "\u9fff":
        return char
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _class(codes: Iterable[int]) -> str:
    """A character class of these BMP code points, runs written as ranges."""
    runs: list[list[int]] = []
    for code in sorted(set(codes)):
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    parts = [_escape(chr(a)) if a == b else f"{_escape(chr(a))}{'' if b == a + 1 else '-'}{_escape(chr(b))}"
             for a, b in runs]
    return f"[{''.join(parts)}]"


@functools.cache
def _spaces() -> str:
    """The class of what `str.strip()` removes (every such character is in the BMP; ECMA-262's
    `\\s` is another set: it has U+FEFF, and not U+001C–U+001F or U+0085)."""
    return _class(code for code in range(0x10000) if chr(code).isspace())


def _digits(values: Iterable[int]) -> str:
    """The digits worth any of `values`, in every block spelled (`DIGIT_BLOCKS`)."""
    wanted = sorted(set(values))
    return _class(ord(zero) + value for zero in DIGIT_BLOCKS for value in wanted)


D, Z, NZ = _digits(range(10)), _digits([0]), _digits(range(1, 10))
TOKEN = f"[+-]?(?:{D}+(?:\\.{D}*)?|\\.{D}+)"  # decimal text as acceptance.read_number reads it (after strip)
END = f"(?![{D[1:-1]}.+-])"  # the token ends here (a check must take all of it)


def _repeat(atom: str, count: int) -> str:
    return "" if count == 0 else atom if count == 1 else f"{atom}{{{count}}}"


def _either(alternatives: Sequence[str], optional: bool = False) -> str:
    """Any one of the alternatives (or none of them, when `optional`)."""
    unique = list(dict.fromkeys(a for a in alternatives if a))
    if not unique:
        return ""
    if len(unique) == 1 and not optional:
        return unique[0]
    return f"(?:{'|'.join(unique)})" + ("?" if optional else "")


def _word(word: str) -> str:
    """A word as `read_flag` compares it (`str.lower`): each letter in any case."""
    return "".join(_class([ord(c) for c in _cases(letter)]) if len(_cases(letter)) > 1 else _escape(letter)
                   for letter in word)


def _cases(letter: str) -> list[str]:
    """The characters that lower-case to `letter` (tests/test_evidence_schema.py checks every code point)."""
    return sorted({c for c in (letter, letter.upper(), letter.title()) if len(c) == 1 and c.lower() == letter})


# decimal text whose value is in a range: the token's whole part I (leading zeros, then S) and
# decimal places F; each function matches a whole well-formed token (or part) and nothing else


def _literal(number: int) -> str:
    """A whole number without leading zeros ("" for 0)."""
    return "".join(_digits([int(d)]) for d in str(number)) if number else ""


def _whole_at_most(number: int) -> str:
    """S (no leading zero; "" is 0) worth at most `number` ≥ 0."""
    if number == 0:
        return ""
    text = str(number)
    length = len(text)
    if text == "9" * length:
        return f"(?:{NZ}{D}{{0,{length - 1}}})?"
    alternatives = [f"{NZ}{D}{{0,{length - 2}}}" if length > 2 else NZ] if length > 1 else []
    for i in range(length):
        low, high = (1 if i == 0 else 0), int(text[i]) - 1
        if high >= low:
            alternatives.append(f"{_prefix(text, i)}{_digits(range(low, high + 1))}{_repeat(D, length - i - 1)}")
    alternatives.append(_literal(number))
    return _either(alternatives, optional=True)


def _whole_at_least(number: int) -> str:
    """S worth at least `number` ≥ 1."""
    text = str(number)
    length = len(text)
    alternatives = [f"{NZ}{D}{{{length},}}"]
    for i in range(length):
        low = int(text[i]) + 1
        if low <= 9:
            alternatives.append(f"{_prefix(text, i)}{_digits(range(low, 10))}{_repeat(D, length - i - 1)}")
    alternatives.append(_literal(number))
    return _either(alternatives)


def _prefix(text: str, i: int) -> str:
    return "".join(_digits([int(d)]) for d in text[:i])


def _places_at_most(places: str) -> str:
    """F ("" allowed) with 0.F ≤ 0.places (`places` without trailing zeros)."""
    if not places:
        return f"{Z}*"
    first = int(places[0])
    smaller = [f"{_digits(range(first))}{D}*"] if first else []
    return _either([*smaller, _digits([first]) + _places_at_most(places[1:])], optional=True)


def _places_at_least(places: str) -> str:
    """F with 0.F ≥ 0.places (`places` non-empty, without trailing zeros)."""
    first = int(places[0])
    larger = [f"{_digits(range(first + 1, 10))}{D}*"] if first < 9 else []
    rest = places[1:]
    return _either([*larger, _digits([first]) + (_places_at_least(rest) if rest else f"{D}*")])


def _split(bound: Fraction) -> tuple[int, str]:
    """A non-negative bound with a finite decimal as its whole part and its decimal places."""
    text = format_decimal(bound)
    whole, _, places = text.partition(".")
    return int(whole), places


def _unsigned_at_most(bound: Fraction) -> str:
    whole, places = _split(bound)
    below = [f"{Z}*{_whole_at_most(whole - 1)}(?:\\.{D}*)?"] if whole else []
    return _either([*below, f"{Z}*{_literal(whole)}(?:\\.{_places_at_most(places)})?"])


def _unsigned_at_least(bound: Fraction) -> str:
    whole, places = _split(bound)
    above = f"{Z}*{_whole_at_least(whole + 1)}(?:\\.{D}*)?"
    equal = f"{Z}*{_literal(whole)}\\.{_places_at_least(places)}" if places else f"{Z}*{_literal(whole)}(?:\\.{D}*)?"
    return _either([above, equal])


def _unsigned(low: Fraction, high: Fraction | None) -> str:
    """An unsigned token worth `low` (≥ 0) to `high` (None: no bound)."""
    at_least = _unsigned_at_least(low) if low > 0 else None
    at_most = _unsigned_at_most(high) if high is not None else None
    if at_least and at_most:
        return f"(?={at_least}{END}){at_most}"
    return at_least or at_most or f"[{D[1:-1]}.]*"


def _signed(low: Fraction | None, high: Fraction | None) -> str:
    """A token (sign and all) worth `low` to `high` (None: no bound); "-0" is 0."""
    alternatives = []
    if high is None or high >= 0:
        start = max(low, Fraction(0)) if low is not None else Fraction(0)
        if high is None or start <= high:
            alternatives.append(f"\\+?{_unsigned(start, high)}")
    if low is None or low <= 0:
        start = max(-high, Fraction(0)) if high is not None else Fraction(0)
        end = -low if low is not None else None
        if end is None or start <= end:
            alternatives.append(f"-{_unsigned(start, end)}")
    return _either(alternatives) or "(?!)"


def _on_grid(step: Fraction) -> tuple[str | None, bool]:
    """A token whose decimal places are those of a multiple of `step` (any whole part), and
    whether that is the whole rule (a step of 1/n); None when the endings are too many to list
    (more than `GRID_CHOICES`, as for 0.004)."""
    places = decimal_places(step.denominator)
    assert places is not None, "a grid step has a finite decimal"
    share = 10**places // step.denominator  # the decimal places of 1/n, as a whole number of 10^-places
    if share == 1:
        endings = f"{D}{{0,{places}}}{Z}*" if places else f"{Z}*"
    elif step.denominator > GRID_CHOICES:
        return None, False
    else:
        texts = [str(k * share).rjust(places, "0").rstrip("0") for k in range(step.denominator)]
        endings = _either(["".join(_digits([int(d)]) for d in t) for t in texts], optional=True) + f"{Z}*"
    return f"[+-]?{D}*(?:\\.{endings})?", step.numerator == 1


def _digit_count(digits: int) -> str:
    """A token of at most `digits` digits written out as `too_many_digits` counts them: the whole
    part without its leading zeros, then every decimal place."""
    return f"[+-]?{Z}*\\.?(?:{D}\\.?){{0,{digits}}}"


def _text(checks: Sequence[str], percent: bool = False) -> str:
    """Decimal text (or "85%") passing every check, spaces around ignored: each check a lookahead
    at the token, which must take all of it."""
    space = _spaces() + "*"
    tail = f"{space}%{space}$" if percent else f"{space}$"
    return f"^{space}" + "".join(f"(?={check}{END})" for check in checks) + f"{TOKEN}{tail}"


def _number(low: Fraction | None, high: Fraction | None, whole: bool, digits: int,
            step: Fraction | None = None) -> dict[str, Any]:
    """A JSON number in the range (and |x| < 10^digits, the part of E518 a value shows)."""
    bound = 10**digits
    schema: dict[str, Any] = {"type": "integer" if whole else "number"}
    if low is not None:
        schema["minimum"] = json_number(low)
    if low is None or low <= -bound:
        schema["exclusiveMinimum"] = -bound
    if high is not None:
        schema["maximum"] = json_number(high)
    if high is None or high >= bound:
        schema["exclusiveMaximum"] = bound
    if step is not None and not whole and _binary_exact(step):
        schema["multipleOf"] = json_number(step)
    return schema


def _decimal_forms(low: Fraction | None, high: Fraction | None, step: Fraction | None, digits: int,
                   percent: bool) -> tuple[list[dict[str, Any]], list[str]]:
    """A number read by `acceptance.read_number` in [low, high] on the grid of `step` (None: any):
    as a JSON number, as decimal text, and as "85%" text when `percent` (anyOf); and what of the
    grid the schema cannot check, in words."""
    number = _number(low, high, step == 1, digits, step)
    forms, notes = [number], []
    if step is not None and step != 1 and "multipleOf" not in number:
        notes.append(f"JSON 数不核对精度 {format_decimal(step)}(不是二进制精确的数,校验器用浮点数比较)")
    for scale in (Fraction(1), *([1 / PERCENT] if percent else [])):
        checks = []
        if low is not None or high is not None:
            checks.append(_signed(None if low is None else low * scale, None if high is None else high * scale))
        if step is not None:
            grid, exact = _on_grid(step * scale)
            if grid is not None:
                checks.append(grid)
            if not exact:
                notes.append(f"文字{'只核对小数部分' if grid else '不核对'}是否为精度 {format_decimal(step)} 的整数倍")
        checks.append(_digit_count(digits))
        forms.append({"type": "string", "pattern": _text(checks, percent=scale != 1)})
    return forms, notes


def _binary_exact(step: Fraction) -> bool:
    denominator = step.denominator
    return denominator & (denominator - 1) == 0  # a power of two


# the schemas


def _fact_value(rule: FactRule, digits: int, choices: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The forms a fact of this kind accepts (anyOf), from its rule in the acceptance table."""
    if rule.text == "flag":
        words = "|".join(_word(w) for w in FLAG_WORDS)
        space = _spaces() + "*"
        return [{"type": "boolean"}, {"type": "string", "pattern": f"^{space}(?:{words}){space}$"}]
    if rule.listed:
        return [{"type": "string", "enum": list(choices)}]
    assert rule.numeric, rule
    low = None if rule.low is None else Fraction(rule.low)
    high = None if rule.high is None else Fraction(rule.high)
    forms, notes = _decimal_forms(low, high, Fraction(1) if rule.whole else None, digits, rule.text == "percent")
    assert not notes, notes  # a whole number is checked exactly
    return forms


def evidence_schema(rubric: CheckedRubric) -> dict[str, Any]:
    digits = rubric.limits.evidence_digits
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, fact in rubric.facts.items():
        properties[name] = _fact_schema(fact, digits)
        if fact.default is None:
            required.append(name)
    for name, item in judged_items(rubric).items():
        properties[name] = _judged_schema(item, rubric.precision, digits)
        if not may_be_left_out(item) and name not in rubric.blank_scores:
            required.append(name)
    for key in sorted(RESERVED_KEYS):
        properties.setdefault(key, {"description": "保留字段:编号、名称、历史等级或评定年度,带入结果"})
    return {"$schema": DRAFT, "title": f"{rubric.title or rubric.name} 的证据", "description": LIMITS.format(digits=digits),
            "type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _fact_schema(fact: ast.Fact, digits: int) -> dict[str, Any]:
    rule = FACTS[fact.type.kind]
    schema: dict[str, Any] = {"anyOf": _fact_value(rule, digits, fact.type.choices), "x-starrules-type": rule.kind}
    if rule.text == "flag":
        schema["examples"] = [*(w for w in FLAG_WORDS if not w.isascii()), True, False]
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


def _entry(value: Mapping[str, Any]) -> dict[str, Any]:
    """A score with its reason and rater (`ENTRY`): the first score key present is read (and must
    be a `value`), the others are ignored; reason and rater are kept as text, whatever they are."""
    properties: dict[str, Any] = {key: {"description": "得分(先写的字段为准)"} for key in ENTRY.score}
    properties.update({key: {"description": "理由(按文字保存)"} for key in ENTRY.reason})
    properties.update({key: {"description": "评分人(按文字保存)"} for key in ENTRY.rater})
    first, *_ = ENTRY.score
    properties[first] = {**value, "description": properties[first]["description"]}
    alternatives = []
    for i, key in enumerate(ENTRY.score):
        alternative: dict[str, Any] = {"required": [key]}
        if i:  # (the first is checked by `properties`)
            alternative.update({"not": {"anyOf": [{"required": [k]} for k in ENTRY.score[:i]]},
                                "properties": {key: dict(value)}})
        alternatives.append(alternative)
    assert set(properties) == ENTRY.keys
    return {"type": "object", "properties": properties, "anyOf": alternatives, "additionalProperties": False}


def _judged_schema(item: ast.Item, precision: Fraction, digits: int) -> dict[str, Any]:
    clause = next(c for c in item.clauses if isinstance(c, (ast.Judged, ast.Grades)))
    value: dict[str, Any]
    if isinstance(clause, ast.Grades):
        assert GRADES.text == "name"  # a listed level, as written
        value = {"type": "string", "enum": [g.name for g in clause.levels]}
        description = "分档:" + "、".join(f"{g.name} {g.points.text}分" for g in clause.levels)
        kind = GRADES.kind
    else:
        low, high = judged_range(item, clause)
        assert JUDGED.text == "decimal"  # a number in the range, on the grid, or its decimal text
        forms, notes = _decimal_forms(low, high, precision, digits, percent=False)
        value = {"anyOf": forms}
        what = {"judged": "酌情给分", "award": "酌情给分(扣分规则以外的部分)", "deduct": "酌情扣分(填扣的分)"}
        description = f"{what[clause.mode]} {json_number(low)}–{json_number(high)} 分,精度 {json_number(precision)} 分"
        if clause.guidance:
            description += f":{clause.guidance}"
        if notes:
            description += f"(本 schema 略宽:{';'.join(notes)})"
        kind = JUDGED.kind
    return {"anyOf": [*value.get("anyOf", [value]), _entry(value)], "x-starrules-type": kind,
            "description": f"项目“{item.name}”({item.points.text}分)的评分,{description}"}
