"""The evidence JSON Schema says what the reader accepts (starrules/io/evidence_schema.py).

The schema is derived from the acceptance table (starrules/plan/acceptance.py). Here, for values of
every fact kind and of 酌情 / 分档 scores (bare and in {"得分": …} entries), the schema's verdict
(jsonschema's Draft202012Validator) is held to the reader's (`Rubric.evaluate` on a one-fact
rubric: accepted, or EvidenceError) — equal, except in the cases the schema's description and
docs/cli.md name, listed here in `DOCUMENTED`, each in the direction documented. The patterns are
ECMA-262: Node (when installed) compiles each with and without the u flag and matches as Python
does. tests/test_evidence.py checks a whole rubric's schema on good and bad evidence.

JSON numbers are validated exactly: the schema's numbers and the instance's are Decimals (a float
is its shortest decimal text, as the reader reads it and as JSON writes it), and `integer` is any
number with no fraction, as draft 2020-12 says. A validator that compares in floating point
differs from this only in the last bits of a double.
"""

from __future__ import annotations

import decimal
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import EvidenceError, Rubric, loads
from starrules.core.limits import Limits, too_many_digits
from starrules.io import evidence_schema as schema_module
from starrules.plan.acceptance import ENTRY, FACTS, FLAG_WORDS

DIGITS = Limits().evidence_digits

# the rubrics: one fact of each kind, 酌情 items on several grids, a 分档 item


@attrs.frozen
class Case:
    name: str
    text: str
    key: str
    step: Fraction = Fraction(1, 2)  # the rubric's 精度
    judged: bool = False


_USE = {"bool": "扣 1分 如果 非 x", "choice": "扣 1分 如果 x = 甲"}
_TYPE = {"bool": "是否", "count": "计数", "number": "数值", "ratio": "比例", "choice": "选项(甲, 乙)"}


def _fact_case(kind: str) -> Case:
    text = f"标准 t {{ 精度 0.5\n 事实 x: {_TYPE[kind]}\n 类型 组 10分 {{ 项目 甲 10分 {{ {_USE.get(kind, '扣 1分 如果 x > 0')} }} }}\n}}"
    return Case(kind, text, "x")


def _judged_case(step: str, clause: str) -> Case:
    text = f"标准 t {{ 精度 {step}\n 类型 组 10分 {{ 项目 评议 10分 {{ {clause} }} }}\n}}"
    return Case(f"{clause} 精度 {step}", text, "评议", Fraction(Decimal(step)), judged=True)


CASES = [*(_fact_case(kind) for kind in FACTS),
         _judged_case("0.5", "酌情 1分 至 5分"),  # a binary grid: multipleOf
         _judged_case("0.1", "酌情 0.3分 至 9.7分"),  # a grid of 1/n, not binary: text exact, numbers not
         _judged_case("0.25", "酌情"),  # 0 to the item's 10 points
         _judged_case("2", "酌情 2分 至 8分"),  # a step of 2: multipleOf; text checked in its decimal places only
         _judged_case("1", "分档 [好 4分, 中 2分, 差 0分]")]
assert {c.name for c in CASES} >= set(FACTS)


@cache
def _rubric(case: Case) -> Rubric:
    return loads(case.text)


# an exact draft 2020-12 validator


def _is_integer(checker: object, instance: object) -> bool:
    if isinstance(instance, bool):
        return False
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return isinstance(instance, int) or isinstance(instance, float) and instance.is_integer()


_Exact = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


@cache
def _validator(case: Case) -> Any:
    schema = _rubric(case).evidence_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return _Exact(json.loads(json.dumps(schema), parse_float=Decimal))


def _as_json(value: object) -> object:
    """The value as JSON gives it: a float as its shortest decimal text."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    return value


def schema_accepts(case: Case, value: object) -> bool:
    with decimal.localcontext() as context:
        context.prec = 4 * DIGITS  # multipleOf on Decimals: exact for every number the reader reads
        return bool(_validator(case).is_valid({case.key: _as_json(value)}))


def reader_codes(case: Case, value: object) -> frozenset[str]:
    """Empty when the reader accepts the value, else the codes of its refusal."""
    try:
        _rubric(case).evaluate({case.key: value})
    except EvidenceError as error:
        return frozenset(d.code for d in error.diagnostics)
    return frozenset()


# where the schema differs from the reader, as its description and docs/cli.md say

SUPERSET, SUBSET = "the schema accepts what the reader refuses", "the schema refuses what the reader accepts"
_SPELLED = set("0123456789０１２３４５６７８９")


def _score(case: Case, value: object) -> object:
    """The value the rule reads: a 酌情 / 分档 entry's first score key (`ENTRY.score`)."""
    if case.judged and isinstance(value, dict):
        return next((value[k] for k in ENTRY.score if k in value), None)
    return value


def _binary(step: Fraction) -> bool:
    return step.denominator & (step.denominator - 1) == 0


def _long_json_number(raw: object) -> bool:
    """A float or Decimal below 10^digits in size that E518 refuses for the digits it is written with."""
    if not isinstance(raw, (float, Decimal)):
        return False
    number = Decimal(repr(raw)) if isinstance(raw, float) else raw
    return too_many_digits(number, Limits()) and abs(number) < 10**DIGITS


@attrs.frozen
class Documented:
    direction: str
    codes: frozenset[str]  # the reader's refusal, for a SUPERSET case
    applies: Callable[[Case, object], bool]


DOCUMENTED: Mapping[str, Documented] = {
    # ① E518 counts a JSON number's digits as written; the schema bounds only |x| < 10^digits
    "E518 digits of a JSON number as written": Documented(SUPERSET, frozenset({"E518"}),
                                                          lambda case, raw: _long_json_number(raw)),
    # ② a JSON-number score's grid only when the step is exact in binary (validators use floats)
    "a 酌情 number off a grid not exact in binary": Documented(SUPERSET, frozenset({"E508"}), lambda case, raw: (
        case.judged and not _binary(case.step) and isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool))),
    # ② text checked against a step that is not 1/n in its decimal places only
    "a 酌情 text off a grid whose step is not 1/n": Documented(SUPERSET, frozenset({"E508"}), lambda case, raw: (
        case.judged and case.step.numerator != 1 and isinstance(raw, str))),
    # ④ digits of other scripts, which Decimal reads, are not spelled (③, the reserved keys, is not met here)
    "decimal digits other than ASCII and fullwidth": Documented(SUBSET, frozenset(), lambda case, raw: (
        isinstance(raw, str) and any(c.isdecimal() and c not in _SPELLED for c in raw))),
}


def difference(case: Case, value: object) -> str | None:
    """None when the schema and the reader agree; else the documented case that explains it
    (AssertionError when none does)."""
    codes = reader_codes(case, value)
    accepted = schema_accepts(case, value)
    if accepted == (not codes):
        return None
    direction = SUPERSET if accepted else SUBSET
    raw = _score(case, value)
    for name, documented in DOCUMENTED.items():
        if documented.direction == direction and codes <= documented.codes and documented.applies(case, raw):
            return name
    raise AssertionError(f"{case.name}: {value!r}: {direction}; the reader says {sorted(codes) or 'accepted'}")


# values: JSON numbers, bools, null, text in every form the reader reads and many it does not

SPACES = " \t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u2028\u3000"  # what str.strip removes, ECMA's \s or not
NOT_SPACES = "\ufeff\u200b"  # ECMA-262's \s has U+FEFF; str.strip keeps it
DIGIT_SETS = ("0123456789", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩")
WHOLES = ("", "0", "00", "1", "01", "2", "3", "4", "5", "8", "9", "10", "12", "99", "100", "0100", "101", "1000")
PLACES = ("", "0", "00", "1", "2", "25", "3", "5", "50", "7", "75", "05", "001", "99", "9", "0000001")
SPECIAL: list[object] = [0, 1, -1, 3, 3.0, 2.5, -0.0, 1e3, 1e99, 1e100, 1e-101, 10**100, 10**100 - 1, 1 - 10**100, True, False, None,
           "", " ", "85%", " 是 ", "TRUE", "tRuE", " false\n", "否", "3.0", "-1", "1e3", "-0", "+.5", "5.", ".", "%",
           "100%", " 100 % ", "100.0%", "100.1%", "-0%", "1.0", "1.00001", "0.85", "00.5", "３", "\u3000１\u3000", "٣",
           "85%%", "\ufeff1", "1\n", "2.25", "2.3", "4.5", "5.5", "0.30", "9.7", "9.75", "8.", "甲", "乙", "丙", "好", "中",
           Decimal("3.0"), Decimal("1E+3"), Decimal("-0"), Decimal("0.5"), Decimal("1." + "0" * DIGITS), Decimal("4.25"),
           "1" * DIGITS, "1" * (DIGITS + 1), "0" * 200 + "1", "0." + "0" * (DIGITS - 1) + "1", "0." + "0" * DIGITS + "1",
           "1" * (DIGITS - 1) + ".5", [], {}]


@st.composite
def number_texts(draw: st.DrawFn) -> str:
    long = draw(st.integers(DIGITS - 3, DIGITS + 2))
    whole = draw(st.sampled_from(WHOLES) | st.text("0123456789", max_size=6) | st.just("7" * long))
    point = draw(st.sampled_from(["", ".", "."]))
    places = draw(st.sampled_from(PLACES) | st.text("0123456789", max_size=6)) if point else ""
    digits = draw(st.sampled_from(DIGIT_SETS[:2]) | st.sampled_from(DIGIT_SETS))
    body = (whole + point + places).translate(str.maketrans("0123456789", digits))
    sign = draw(st.sampled_from(["", "", "+", "-"]))
    percent = draw(st.sampled_from(["", "", "%", " %", "%%"]))
    space = st.text(st.sampled_from(SPACES + NOT_SPACES), max_size=2)
    return draw(space) + sign + body + draw(st.sampled_from(["", " "])) + percent + draw(space)


@st.composite
def words(draw: st.DrawFn) -> str:
    word = draw(st.sampled_from([*FLAG_WORDS, "yes", "t", "1", "真", "甲", "好"]))
    cased = "".join(c.upper() if draw(st.booleans()) else c for c in word)
    space = st.text(st.sampled_from(SPACES + NOT_SPACES), max_size=2)
    return draw(space) + cased + draw(space)


SCALARS = (st.sampled_from(SPECIAL) | st.integers() | st.integers(-(10**102), 10**102)
           | st.floats(allow_nan=False, allow_infinity=False) | st.floats(-20, 20).map(lambda f: round(f, 2))
           | st.decimals(allow_nan=False, allow_infinity=False) | st.decimals(-20, 20, places=3)
           | st.booleans() | st.none() | number_texts() | words() | st.text(max_size=6))
ENTRY_KEYS = sorted(ENTRY.keys)
VALUES = SCALARS | st.dictionaries(st.sampled_from([*ENTRY_KEYS, *ENTRY_KEYS, "备注"]), SCALARS, max_size=3)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES)
def test_the_schema_accepts_what_the_reader_accepts(case: Case, value: object) -> None:
    difference(case, value)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_special_values(case: Case) -> None:
    """The values above, each: the differences found are only documented ones."""
    for value in SPECIAL:
        difference(case, value)


def test_every_documented_difference_happens() -> None:
    """Each documented exception is real (so none is listed for nothing), in its direction."""
    by_name = {c.name: c for c in CASES}
    seen = {difference(by_name["number"], 1e-101), difference(by_name["count"], Decimal("1." + "0" * DIGITS)),
            difference(by_name["酌情 0.3分 至 9.7分 精度 0.1"], 2.25),
            difference(by_name["酌情 0.3分 至 9.7分 精度 0.1"], {"得分": Decimal("2.25")}),
            difference(by_name["酌情 2分 至 8分 精度 2"], "3.0"), difference(by_name["ratio"], "٨٥%")}
    assert seen == set(DOCUMENTED)
    description = _rubric(by_name["number"]).evidence_schema()["description"]
    assert all(words in description for words in ("E518", "multipleOf", "历史", "全角"))
    for name in ("酌情 0.3分 至 9.7分 精度 0.1", "酌情 2分 至 8分 精度 2"):  # the item says what is not checked
        assert "略宽" in _rubric(by_name[name]).evidence_schema()["properties"]["评议"]["description"]
    assert "略宽" not in _rubric(by_name["酌情 1分 至 5分 精度 0.5"]).evidence_schema()["properties"]["评议"]["description"]


@pytest.mark.parametrize(("name", "value"), [
    ("count", "3.0"), ("count", " +3. "), ("count", "-0"), ("count", "３"), ("count", 3.0), ("count", Decimal("3.00")),
    ("bool", " 是 "), ("bool", "TRUE"), ("bool", "\u3000False\n"), ("ratio", "85%"), ("ratio", " 100.0 % "),
    ("ratio", "-0%"), ("ratio", "1.000"), ("ratio", ".5"), ("number", "-1"), ("number", " +.5 "), ("number", "8."),
    ("number", "1" * DIGITS), ("number", "0." + "0" * (DIGITS - 1) + "1"),
    ("酌情 0.3分 至 9.7分 精度 0.1", "9.70"), ("酌情 0.3分 至 9.7分 精度 0.1", {"score": "0.3", "理由": 5}),
    ("酌情 1分 至 5分 精度 0.5", {"得分": 4.5, "score": "任意"}), ("分档 [好 4分, 中 2分, 差 0分] 精度 1", {"score": "好"}),
])
def test_accepted_by_both(name: str, value: object) -> None:
    case = next(c for c in CASES if c.name == name)
    assert not reader_codes(case, value) and schema_accepts(case, value)


@pytest.mark.parametrize(("name", "value"), [
    ("count", "-1"), ("count", "3.5"), ("count", "1e3"), ("count", ""), ("count", None), ("count", True),
    ("count", 10**DIGITS), ("count", "1" * (DIGITS + 1)), ("bool", "ture"), ("bool", "\ufeff是"), ("bool", 1),
    ("ratio", "100.1%"), ("ratio", "1.01"), ("ratio", "85%%"), ("ratio", "-1%"), ("ratio", "８５％"),
    ("number", "1e3"), ("number", "0." + "0" * DIGITS + "1"), ("number", "١" * (DIGITS + 1)), ("choice", " 甲"),
    ("酌情 0.3分 至 9.7分 精度 0.1", "9.8"), ("酌情 0.3分 至 9.7分 精度 0.1", "2.25"), ("酌情 0.3分 至 9.7分 精度 0.1", 0.2),
    ("酌情 1分 至 5分 精度 0.5", 2.25), ("酌情 1分 至 5分 精度 0.5", {"score": 4.5, "得分": 9}),
    ("酌情 1分 至 5分 精度 0.5", {"理由": "x"}), ("酌情 1分 至 5分 精度 0.5", {"得分": 3, "备注": "x"}),
    ("分档 [好 4分, 中 2分, 差 0分] 精度 1", " 好"),
])
def test_refused_by_both(name: str, value: object) -> None:
    case = next(c for c in CASES if c.name == name)
    assert reader_codes(case, value) and not schema_accepts(case, value)


# the patterns: ECMA-262, the characters they spell


def _patterns(node: object) -> list[str]:
    if isinstance(node, dict):
        return [*([node["pattern"]] if isinstance(node.get("pattern"), str) else []),
                *(p for v in node.values() for p in _patterns(v))]
    if isinstance(node, list):
        return [p for v in node for p in _patterns(v)]
    return []


PATTERNS = sorted({p for case in CASES for p in _patterns(_rubric(case).evidence_schema())})
PROBES = sorted({v for v in SPECIAL if isinstance(v, str)} | {"1" * 100 + "%", " +00.50 % ", "0.3", "-0.0", "٣"})


def test_the_patterns_have_no_inline_flags_and_compile() -> None:
    assert PATTERNS
    for pattern in PATTERNS:
        assert "(?i" not in pattern and not re.search(r"\(\?[a-zA-Z]", pattern)
        re.compile(pattern)


def test_the_patterns_mean_the_same_in_ecma_262() -> None:
    """Compiled by Node with and without the u flag, each pattern matches the probes as Python's
    re.search (what jsonschema runs) does: a web form validates with JavaScript's regexes. Node is
    installed by .ci/run (Debian's nodejs); without it this test fails, it is not skipped."""
    assert shutil.which("node") is not None, "Node.js is needed: apt-get install nodejs (.ci/run does)"
    script = ("const [patterns, probes] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "console.log(JSON.stringify(patterns.map(p => ['u', ''].map(f => "
              "probes.map(s => new RegExp(p, f).test(s))))));")
    found = subprocess.run(["node", "-e", script], input=json.dumps([PATTERNS, PROBES]), capture_output=True,
                           text=True, check=True, timeout=60).stdout
    for pattern, (unicode, plain) in zip(PATTERNS, json.loads(found)):
        python = [re.search(pattern, s) is not None for s in PROBES]
        assert unicode == python and plain == python, pattern


def test_the_spelled_spaces_and_letters_are_what_the_reader_strips_and_lowers() -> None:
    """The whitespace class is `str.strip`'s (all of it in the BMP) and each 是否 letter's class
    holds every character that lower-cases to it."""
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert all(ord(c) < 0x10000 for c in spaces)
    space = re.compile(schema_module._spaces())
    assert {chr(c) for c in range(0x10000) if space.fullmatch(chr(c))} == spaces
    letters = {c for word in FLAG_WORDS for c in word}
    lowered: dict[str, set[str]] = {}
    for code in range(sys.maxunicode + 1):
        low = chr(code).lower()
        if low in letters:
            lowered.setdefault(low, set()).add(chr(code))
    assert {letter: set(schema_module._cases(letter)) for letter in letters} == lowered


def test_the_schema_follows_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule changed in the table changes the schema: here the ratio's range and the 是否 words."""
    from starrules.plan import acceptance

    ratio = next(c for c in CASES if c.name == "ratio")
    wider = attrs.evolve(acceptance.RATIO, high=2)
    monkeypatch.setitem(acceptance._FACTS, "ratio", wider)
    monkeypatch.setattr(schema_module, "FLAG_WORDS", {**FLAG_WORDS, "对": True})
    schema = _Exact(_rubric(ratio).evidence_schema())
    assert schema.is_valid({"x": 1.5}) and schema.is_valid({"x": "150%"}) and not schema.is_valid({"x": "201%"})
    bools = _Exact(_rubric(next(c for c in CASES if c.name == "bool")).evidence_schema())
    assert bools.is_valid({"x": " 对 "})
