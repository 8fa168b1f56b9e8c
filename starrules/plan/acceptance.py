"""Which evidence values are accepted, and how they are read: the one table every engine uses.

For each fact kind — 是否 bool, 计数 count, 数值 number, 比例 ratio, 选项 choice — a `FactRule`
says which values are final as given (`final`, within `int_range` or the listed choices: the
quick test), which other forms are read and how (`text`; other numbers exactly, a float through
its shortest decimal text), the range (`whole`, `low`, `high`), and the code of each rejection;
`FACT_MESSAGES` holds the words. `JUDGED` and `GRADES` say the same for the scores of 酌情 and
分档 items, `ENTRY` for their `{"得分": …, "理由": …, "评分人": …}` form, `SCORE_MESSAGES` the words.

Three engines read evidence, all through this module:

- the reference reader (`evidence.py`) converts with `convert`, `score_units` and `level_units`
  and reports each `Rejection` with the words here;
- the generated fast path (`eval/fastpath.py`) inlines the quick test built from `final`,
  `int_range` and the listed choices, calls a 酌情 item's `ScoreRange.quick`, and settles the
  other forms a rule `takes` with `settle`, `settle_score` and `settle_level`;
- the batch engine (`batch/engine.py`) reads the typed columns of the classes a rule `takes`, with
  the bounds of `int_range` and the range of `whole` / `low` / `high` checked on its lanes, and
  settles any other column value by value with the same functions.

What a quick path cannot settle (text other than 是/否, a class the rule does not take, any value
`convert` rejects) goes to the reference, which gives the messages. So an engine either hands a
value back or reads it exactly as the reference does; none accepts more (tests/test_acceptance.py
walks every kind through every engine). `python -m starrules.plan.acceptance` prints the table as
docs/language.md shows it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, NamedTuple

import attrs

from ..core.limits import Limits, too_many_digits
from ..core.numbers import Exact, Grid, decimal_places, exact, exact_number

Value = bool | int | Fraction | str  # a fact's value once read
TextForm = Literal["flag", "decimal", "percent", "name"]

# the codes of the rejections (docs/errors.md)
MISSING, UNKNOWN, WRONG_TYPE, NOT_A_COUNT, OUT_OF_RANGE, NOT_LISTED = "E501", "E502", "E503", "E504", "E505", "E506"
SCORE_OUT_OF_RANGE, OFF_GRID, NO_SUCH_LEVEL, TOO_LONG = "E507", "E508", "E509", "E518"

LANES = 2**62  # the batch engine's int64 lanes hold magnitudes below this (batch/vector.py takes it from here)


def int_bound(limits: Limits) -> int:
    """Ints strictly between ±this are final as given, in every engine: the smaller of the E518
    bound (`Limits.largest_int`, 10 ** evidence_digits) and the batch engine's lanes (2**62), so
    no quick path settles an int the lanes cannot hold or the reference refuses. An int beyond it
    is read by `convert` (the reference, or the fast path's `settle`): E518 from largest_int on."""
    return min(limits.largest_int, LANES)


@attrs.frozen
class Rejection:
    """Why a value is refused: the code, and what the message shows (the number read when there
    is one, else the value as given)."""

    code: str
    shown: object


@attrs.frozen
class FactRule:
    """How the evidence of one fact kind is read."""

    kind: str  # as the checker names it: bool, count, number, ratio, choice
    name: str  # as a rubric writes it: 是否, 计数, …
    words: str  # the type as messages name it
    final: type  # a value of exactly this class is final as given, within `int_range` / the listed choices
    settled: tuple[type, ...]  # other classes the quick paths read themselves (`settle`); the rest go to the reference
    text: TextForm  # how text is read: 是/否 words, a decimal, a decimal or "85%", a listed name as written
    whole: bool = False  # a number must be whole
    low: int | None = None  # inclusive range of a number (None: unbounded but for E518)
    high: int | None = None
    range_code: str | None = None  # the code when `whole` / `low` / `high` refuse a number

    @property
    def numeric(self) -> bool:
        return self.text in ("decimal", "percent")

    @property
    def listed(self) -> bool:
        """The value must be one of the fact's listed choices."""
        return self.text == "name"

    def takes(self, cls: type) -> bool:
        """Whether the quick paths read values of exactly this class themselves (any other class
        goes to the reference)."""
        return cls is self.final or cls in self.settled

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code a value of this kind may be refused with."""
        return (WRONG_TYPE, *([self.range_code] if self.range_code else []), *([NOT_LISTED] if self.listed else []),
                *([TOO_LONG] if self.numeric else []))


_NUMBERS = (float, Decimal, Fraction)
BOOL = FactRule("bool", "是否", "是否(是/否、true/false)", bool, (str,), "flag")
COUNT = FactRule("count", "计数", "计数(不小于 0 的整数)", int, (), "decimal", whole=True, low=0, range_code=NOT_A_COUNT)
NUMBER = FactRule("number", "数值", "数值", int, _NUMBERS, "decimal")
RATIO = FactRule("ratio", "比例", "比例(0 到 1 之间,或百分数如 \"85%\")", int, _NUMBERS, "percent", low=0, high=1,
                 range_code=OUT_OF_RANGE)
CHOICE = FactRule("choice", "选项", "选项", str, (), "name")
_FACTS = {rule.kind: rule for rule in (BOOL, COUNT, NUMBER, RATIO, CHOICE)}
FACTS: Mapping[str, FactRule] = MappingProxyType(_FACTS)  # by kind

# the messages, by code; fields: name, words, type and preview (of the value as given), value
# (the number read, or the text given), digits, choices
FACT_MESSAGES: Mapping[str, str] = MappingProxyType({
    MISSING: "缺少事实“{name}”({words})",
    WRONG_TYPE: "“{name}”应为{words},这里是{type} {preview}",
    NOT_A_COUNT: "“{name}”是计数,应为不小于 0 的整数,这里是 {value}",
    OUT_OF_RANGE: "“{name}”是比例,应在 0 到 1 之间(或 0% 到 100%),这里是 {value}",
    NOT_LISTED: "“{name}”的值“{value}”不在可选范围内({choices})",
    TOO_LONG: "“{name}”的数字位数过多(写成普通小数最多 {digits} 位)",
})
MISSING_FACT_HINT = "在证据中填上 \"{name}\": …(没有默认值的事实必须填写,空着不会按有利的一方计分)"

# the 是否 words in lower case (read_flag: any case, spaces around)
FLAG_WORDS: Mapping[str, bool] = MappingProxyType({"是": True, "true": True, "否": False, "false": False})
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
PERCENT = Fraction(1, 100)  # what "1%" is worth


def int_range(rule: FactRule, limits: Limits) -> tuple[int, int] | None:
    """The ints final as given for this kind (inclusive): its range within ±`int_bound`; None when
    ints are not its final class."""
    if rule.final is not int:
        return None
    top = int_bound(limits) - 1
    return (-top if rule.low is None else max(rule.low, -top), top if rule.high is None else min(rule.high, top))


def quick_test(rule: FactRule, limits: Limits, choices: Collection[str] = ()) -> Callable[[object], bool]:
    """Whether a value is final as given (the reference reader's quick test; the fast path
    inlines the same from `final`, `int_range` and the listed choices)."""
    bounds = int_range(rule, limits)
    if bounds is not None:
        low, high = bounds
        return lambda raw: type(raw) is int and low <= raw <= high  # noqa: E721 (bool is an int subclass)
    if rule.listed:
        listed = frozenset(choices)
        return lambda raw: type(raw) is str and raw in listed  # noqa: E721
    final = rule.final
    return lambda raw: type(raw) is final  # noqa: E721


def read_flag(raw: object) -> bool | None:
    """true/false, or the words 是/否/true/false (any case, spaces around ignored); else None."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        return FLAG_WORDS.get(raw.strip().lower())
    return None


def read_number(raw: object, limits: Limits, percent: bool = False) -> Exact | Rejection:
    """An exact number from its JSON / Python / CSV forms: an int, a float through its shortest
    decimal text (repr: 18.3 is 18.3), a Decimal, a Fraction, or decimal text ("18.3", and "85%"
    when `percent`). E503 for anything else — bools, NaN and infinities, other text; E518 for a
    number (as given, before a percent is divided) of more digits than `limits.evidence_digits`."""
    if type(raw) is int:  # noqa: E721 (not bool)
        return raw if -limits.largest_int < raw < limits.largest_int else Rejection(TOO_LONG, raw)
    if type(raw) is float:  # noqa: E721
        if not math.isfinite(raw):
            return Rejection(WRONG_TYPE, raw)
        decimal = Decimal(repr(raw))
        return Rejection(TOO_LONG, raw) if too_many_digits(decimal, limits) else exact(Fraction(decimal))
    source: object = raw
    scale = None
    if isinstance(raw, str):
        text = raw.strip()
        if percent and text.endswith("%"):
            text, scale = text[:-1].strip(), PERCENT
        if not _DECIMAL_TEXT.fullmatch(text):
            return Rejection(WRONG_TYPE, raw)
        try:
            source = Decimal(text)
        except InvalidOperation:
            return Rejection(WRONG_TYPE, raw)
    if too_many_digits(source, limits):
        return Rejection(TOO_LONG, raw)
    number = exact_number(source)
    if number is None:
        return Rejection(WRONG_TYPE, raw)
    return number if scale is None and type(number) is int else exact(Fraction(number) * (scale or 1))  # noqa: E721


def within(rule: FactRule, number: Exact) -> bool:
    """Whether a number read is in the kind's range."""
    if rule.whole and type(number) is not int:  # noqa: E721 (numbers read are ints when whole)
        return False
    return (rule.low is None or number >= rule.low) and (rule.high is None or number <= rule.high)


def convert(rule: FactRule, raw: object, limits: Limits, choices: Collection[str] = ()) -> Value | Rejection:
    """The value of a fact from any form the evidence may give it in, or why it is refused."""
    if rule.text == "flag":
        flag = read_flag(raw)
        return Rejection(WRONG_TYPE, raw) if flag is None else flag
    if rule.listed:
        if not isinstance(raw, str):
            return Rejection(WRONG_TYPE, raw)
        return raw if raw in choices else Rejection(NOT_LISTED, raw)
    number = read_number(raw, limits, rule.text == "percent")
    if isinstance(number, Rejection) or within(rule, number):
        return number
    assert rule.range_code is not None
    return Rejection(rule.range_code, number)


def settle(rule: FactRule, raw: object, limits: Limits, choices: Collection[str] = ()) -> Value | None:
    """The value a quick path may take itself (exactly what `convert` gives), or None: the value
    goes to the reference — a class the rule does not take, a value it refuses, or an int
    outside `int_range` (so no quick path reads an int beyond ±`int_bound`)."""
    cls = raw.__class__
    if cls is not rule.final and cls not in rule.settled:
        return None
    found = convert(rule, raw, limits, choices)
    if isinstance(found, Rejection):
        return None
    bounds = int_range(rule, limits) if cls is int else None
    if bounds is not None and type(found) is int and not bounds[0] <= found <= bounds[1]:  # noqa: E721
        return None
    return found


# 酌情 and 分档 scores


@attrs.frozen
class JudgedRule:
    """How the score of a 酌情 item (grid units in its range) or a 分档 item (a level) is read."""

    kind: str  # judged / grades
    name: str  # 酌情 / 分档
    final: type  # values of this class are read by the quick paths at once
    settled: tuple[type, ...]  # other classes they read (`settle_score`); the rest go to the reference
    text: TextForm  # text: a decimal (only the reference reads it), or a level's name
    codes: tuple[str, ...]

    def takes(self, cls: type) -> bool:
        return cls is self.final or cls in self.settled


JUDGED = JudgedRule("judged", "酌情", int, (float, Decimal, Fraction), "decimal",
                    (WRONG_TYPE, SCORE_OUT_OF_RANGE, OFF_GRID, TOO_LONG))
GRADES = JudgedRule("grades", "分档", str, (), "name", (NO_SUCH_LEVEL,))


@attrs.frozen
class EntryRule:
    """A score given with its reason and rater: `{"得分": 3.5, "理由": "…", "评分人": "…"}` (or
    score / reason / rater); the first score key present is the score."""

    score: tuple[str, str] = ("得分", "score")
    reason: tuple[str, str] = ("理由", "reason")
    rater: tuple[str, str] = ("评分人", "rater")
    settled: type = dict  # the class the quick paths open themselves; other mappings go to the reference
    keys: frozenset[str] = attrs.field(init=False)  # every field

    @keys.default
    def _keys(self) -> frozenset[str]:
        return frozenset({*self.score, *self.reason, *self.rater})


ENTRY = EntryRule()
SCORE_MESSAGES: Mapping[str, str] = MappingProxyType({
    MISSING: "缺少项目“{name}”的评分({words})",
    UNKNOWN: "“{name}”中未知的字段“{field}”",
    WRONG_TYPE: "项目“{name}”的酌情得分应为数值,这里是{type} {preview}",
    SCORE_OUT_OF_RANGE: "项目“{name}”的酌情得分 {value} 分不在 {low}–{high} 分之内",
    OFF_GRID: "项目“{name}”的得分 {value} 分不是精度 {step} 分的整数倍",
    NO_SUCH_LEVEL: "项目“{name}”没有档次“{value}”(可选:{levels})",
    TOO_LONG: FACT_MESSAGES[TOO_LONG],
})
MISSING_SCORE = "项目“{name}”的评分缺少“得分”"  # an entry without a score (E501)
UNKNOWN_FIELD_HINT = "可用的字段:得分(score)、理由(reason)、评分人(rater)"
NO_SCORE = object()  # an entry without a score


class Entry(NamedTuple):
    """An entry object taken apart: the score (`NO_SCORE` when it has none), the reason and rater
    as text, and any fields that are not among the known ones (E502)."""

    score: object
    reason: str | None
    rater: str | None
    unknown: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """A score and no unknown field: what the quick paths read."""
        return self.score is not NO_SCORE and not self.unknown


def split_entry(raw: Mapping[object, object]) -> Entry:
    fields = {str(k): v for k, v in raw.items()}
    keys = ENTRY.keys
    unknown = () if keys.issuperset(fields) else tuple(k for k in fields if k not in keys)
    return Entry(_first(fields, ENTRY.score, NO_SCORE), _text(fields, ENTRY.reason), _text(fields, ENTRY.rater), unknown)


def _first(fields: dict[str, object], keys: tuple[str, str], absent: object) -> object:
    for key in keys:
        if key in fields:
            return fields[key]
    return absent


def _text(fields: dict[str, object], keys: tuple[str, str]) -> str | None:
    value = _first(fields, keys, None)
    return None if value is None else str(value)


@attrs.frozen
class ScoreRange:
    """What a 酌情 item accepts: grid units `low`–`high` of `grid`, and its quick test (`quick`,
    made by `score_range`: an int or a float on the grid within the range gives its units; None
    leaves the value to `score_units`)."""

    grid: Grid
    low: int
    high: int
    short: bool  # every int and float on the grid in range is within the E518 digit limit
    quick: Callable[[object], int | None] = attrs.field(eq=False, repr=False)


def score_range(grid: Grid, low: int, high: int, limits: Limits) -> ScoreRange:
    peak = max(abs(low), abs(high)) * grid.step
    places = decimal_places(grid.step.denominator)
    # the longest such number written out: its whole digits, then its places (at least one: 3.0)
    longest = None if places is None else len(str(math.floor(peak))) + max(places, 1)
    short = longest is not None and longest <= limits.evidence_digits
    return ScoreRange(grid, low, high, short, _quick_units(grid, low, high, short))


def _quick_units(grid: Grid, low: int, high: int, short: bool) -> Callable[[object], int | None]:
    """The quick test of a 酌情 score: an int (`JUDGED.final`) or a float on the grid within
    [low, high] gives its units, when the range is `short` (so no digits need counting); anything
    else None. A float is read through its shortest decimal text — or, when the step is short
    (`Grid.short_step`) and the float small, by float arithmetic that gives the same answer."""
    num, den, direct, decimal_units = grid.step.numerator, grid.step.denominator, grid.short_step, grid.decimal_units

    def quick(raw: object) -> int | None:
        if not short:
            return None
        if type(raw) is int:  # noqa: E721 (not bool)
            units, rest = divmod(raw * den, num)
            if rest:
                return None
        elif type(raw) is float:  # noqa: E721
            if direct and -1e9 < raw < 1e9:  # (not NaN)
                units = round(raw * den / num)
                if units * num / den != raw:
                    return None
            elif math.isfinite(raw):
                found = decimal_units(Decimal(repr(raw)))
                if found is None:
                    return None
                units = found
            else:
                return None
        else:
            return None
        return units if low <= units <= high else None
    return quick


def score_units(raw: object, scores: ScoreRange, limits: Limits) -> int | Rejection:
    """A 酌情 score in grid units, or why it is refused: E503 not a number, E518 too many digits,
    E507 out of the range, E508 off the grid (the range is checked first)."""
    units = scores.quick(raw)
    if units is not None:
        return units
    number = read_number(raw, limits)
    if isinstance(number, Rejection):
        return number
    units = scores.grid.try_units(number)
    if units is not None and scores.low <= units <= scores.high:
        return units
    if not scores.grid.points(scores.low) <= number <= scores.grid.points(scores.high):
        return Rejection(SCORE_OUT_OF_RANGE, number)
    return Rejection(OFF_GRID, number)


def level_units(raw: object, levels: Mapping[str, int]) -> int | Rejection:
    """The base of a 分档 level named by `raw`, or E509."""
    units = levels.get(raw) if isinstance(raw, str) else None
    return Rejection(NO_SUCH_LEVEL, raw) if units is None else units


def settle_score(raw: object, scores: ScoreRange, limits: Limits) -> int | None:
    """A 酌情 score's units when a quick path may take it itself, else None (to the reference)."""
    if not JUDGED.takes(raw.__class__):
        return None
    units = score_units(raw, scores, limits)
    return None if isinstance(units, Rejection) else units


def settle_level(raw: object, levels: Mapping[str, int]) -> int | None:
    if not GRADES.takes(raw.__class__):
        return None
    units = level_units(raw, levels)
    return None if isinstance(units, Rejection) else units


# the table as docs/language.md shows it

_CLASS_WORDS = {bool: "true/false", int: "整数", str: "文字", float: "浮点数", Decimal: "Decimal", Fraction: "Fraction"}
_TEXT_WORDS = {"flag": "文字“是”“否”“true”“false”(不分大小写,两端空格不计)", "decimal": "十进制数文字“18.3”",
               "percent": "十进制数文字“0.85”或百分数“85%”", "name": "列出的名称(文字)"}
_NUMBER_WORDS = "浮点数(按其最短十进制文字)、Decimal、Fraction"


def _int_words(n: int) -> str:
    return {LANES - 1: "2⁶²−1", 1 - LANES: "−(2⁶²−1)"}.get(n, str(n))


def _quick_words(rule: FactRule, limits: Limits) -> str:
    """What the fast path and the batch engine read themselves."""
    bounds = int_range(rule, limits)
    if bounds is None:
        first = "列出的名称" if rule.listed else _CLASS_WORDS[rule.final]
    else:
        low, high = bounds
        first = f"整数 {_int_words(low)} 至 {_int_words(high)}" if high - low > 1 else f"整数 {low}、{high}"
    if rule.text == "flag" and str in rule.settled:
        return f"{first};“是”“否”等文字"
    return ";".join([first, *(["、".join(_CLASS_WORDS[c] for c in rule.settled)] if rule.settled else [])])


def _forms_words(rule: FactRule) -> str:
    if not rule.numeric:
        return _TEXT_WORDS[rule.text] if rule.final is str else f"{_CLASS_WORDS[rule.final]};{_TEXT_WORDS[rule.text]}"
    return f"整数;{_NUMBER_WORDS};{_TEXT_WORDS[rule.text]}"


def _range_words(rule: FactRule, limits: Limits) -> str:
    parts = ["整数"] if rule.whole else []
    if rule.low is not None and rule.high is not None:
        parts.append(f"{rule.low} ≤ 值 ≤ {rule.high}")
    elif rule.low is not None:
        parts.append(f"≥ {rule.low}")
    if rule.listed:
        parts.append("列出的选项之一")
    if rule.numeric:
        parts.append(f"写成普通小数不超过 {limits.evidence_digits} 位")
    return ",".join(parts) or "—"


def markdown(limits: Limits | None = None) -> str:
    """The table in Markdown, a row a kind (for the default limits unless given)."""
    limits = limits or Limits()
    rows = ["| 类型 | 接受的写法 | 范围 | 拒绝时的错误 | 快速路径和批量引擎自己读的(其余交给参考读取器) |",
            "|---|---|---|---|---|"]
    for rule in FACTS.values():
        rows.append(f"| {rule.name} | {_forms_words(rule)} | {_range_words(rule, limits)} | {' '.join(rule.codes)} "
                    f"| {_quick_words(rule, limits)} |")
    rows.append(f"| {JUDGED.name}得分 | 整数;{_NUMBER_WORDS};{_TEXT_WORDS[JUDGED.text]} | 项目写明的范围内,精度的整数倍,"
                f"写成普通小数不超过 {limits.evidence_digits} 位 | {' '.join(JUDGED.codes)} "
                f"| {'、'.join(_CLASS_WORDS[c] for c in (JUDGED.final, *JUDGED.settled))} |")
    rows.append(f"| {GRADES.name} | {_TEXT_WORDS[GRADES.text]} | 列出的档次之一 | {' '.join(GRADES.codes)} | 列出的名称 |")
    keys = "、".join(f"{a}({b})" for a, b in (ENTRY.score, ENTRY.reason, ENTRY.rater))
    rows.append(f"| 带理由的评分 | {{\"{ENTRY.score[0]}\": …, \"{ENTRY.reason[0]}\": …, \"{ENTRY.rater[0]}\": …}},"
                f"字段 {keys};得分按上两行读 | 必须有得分,没有其他字段 | {MISSING} {UNKNOWN} | 对象(dict) |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
