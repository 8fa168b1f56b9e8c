"""The acceptance table (starrules/plan/acceptance.py) through every engine.

Every fact kind, and the scores of 酌情 and 分档 items, with values that are accepted and values
that are refused, each read by:

- the generated fast path (`Rubric.evaluate` on a dict),
- the reference reader (`Rubric.evaluate` on a MappingProxyType, which never takes the fast path),
- the batch engine from evidence dicts and from a pyarrow Table (`evaluate_columns`), and the
  engine's own reading of the row (`ColumnEngine`) before any hand-back.

An accepted value gives the same exact value (in `Result.facts`, or as the item's score) and the
same total everywhere; a refused one the same code, from `EvidenceError` and from the batch's
`RowError`s. Where the table says the quick paths read a value themselves, the fast path and the
engine do (no hand-back); otherwise both hand the branch to the reference. Then: the rules live
only in the table (the engines follow a changed rule, and no engine module spells one), and the
table in docs/language.md is the one the module prints.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starrules import EvidenceError, Limits, Rubric, evaluate_columns, loads
from starrules.batch import vector
from starrules.batch.engine import Choice, ColumnEngine, Scores
from starrules.batch.vector import Q
from starrules.core.numbers import Grid
from starrules.io.columns import chunks
from starrules.plan import acceptance
from starrules.plan.acceptance import FACTS, Rejection, score_range, score_units

ROOT = Path(__file__).resolve().parent.parent
TEXT = """标准 收 { 精度 0.5 满分 100
    事实 达标: 是否
    事实 人数: 计数
    事实 学时: 数值
    事实 满意率: 比例
    事实 领域: 选项(农村, 社区, 机关)
    类型 组 100分 {
        项目 甲 10分 { 扣 3分 如果 非 达标 }
        项目 乙 10分 { 得分 = 最小(人数, 10) }
        项目 丙 10分 { 得分 = 若 学时 > 100 则 10 否则 若 学时 < 0 则 0 否则 学时 / 10 }
        项目 丁 10分 { 得分 = 满意率 * 10 }
        项目 戊 10分 { 扣 2分 如果 领域 = 社区  扣 4分 如果 领域 = 机关 }
        项目 评议 6分 { 酌情 1分 至 5分 }
        项目 等次 4分 { 分档 [好 4分, 中 2分, 差 0分] }
    }
}"""
BASE: dict[str, Any] = {"达标": True, "人数": 2, "学时": 7, "满意率": 1, "领域": "农村", "评议": 4, "等次": "好"}
BOTH, FAST, NONE = "both", "fast", "none"  # which quick paths read the value themselves
TOP = 2**62 - 1  # the largest int every engine takes as it is (acceptance.int_bound - 1)
WIDE = "0." + "0" * 100 + "1"  # 101 decimal places


@attrs.frozen
class Case:
    key: str
    value: Any
    expected: Any  # the value read (exact, with its type), or the error code
    quick: str = BOTH  # BOTH: the fast path and the batch engine read it; FAST: the fast path only; NONE: the reference

    @property
    def refused(self) -> bool:
        return isinstance(self.expected, str) and re.fullmatch(r"E5\d\d", self.expected) is not None


def cases() -> list[Case]:
    ok, no = Case, lambda key, value, code: Case(key, value, code, NONE)
    return [
        # 是否
        ok("达标", True, True), ok("达标", False, False), ok("达标", "是", True), ok("达标", " 否 ", False),
        ok("达标", "TRUE", True), ok("达标", "false", False),
        no("达标", 1, "E503"), no("达标", 0, "E503"), no("达标", 1.0, "E503"), no("达标", "也许", "E503"),
        no("达标", None, "E503"),
        # 计数: bool is an int subclass, and is refused as the reference refuses it
        ok("人数", 0, 0), ok("人数", 3, 3), ok("人数", TOP, TOP),
        ok("人数", 2**62, 2**62, NONE), ok("人数", 2**63, 2**63, NONE), ok("人数", 10**100 - 1, 10**100 - 1, NONE),
        ok("人数", 3.0, 3, NONE), ok("人数", "3", 3, NONE), ok("人数", Decimal("3"), 3, NONE), ok("人数", "-0", 0, NONE),
        no("人数", True, "E503"), no("人数", False, "E503"), no("人数", -1, "E504"), no("人数", 1.5, "E504"),
        no("人数", 10**100, "E518"), no("人数", 1e308, "E518"), no("人数", float("nan"), "E503"),
        no("人数", float("inf"), "E503"), no("人数", "很多", "E503"), no("人数", None, "E503"),
        # 数值
        ok("学时", 0, 0), ok("学时", -5, -5), ok("学时", TOP, TOP), ok("学时", -TOP, -TOP),
        ok("学时", 2**62, 2**62, NONE), ok("学时", 10**100 - 1, 10**100 - 1, NONE),
        ok("学时", 18.3, Fraction(183, 10)), ok("学时", -0.0, 0), ok("学时", 1e-8, Fraction(1, 10**8)),
        ok("学时", 2.675, Fraction(2675, 1000)), ok("学时", 1e99, 10**99, FAST),
        ok("学时", Decimal("18.30"), Fraction(183, 10)), ok("学时", Fraction(1, 3), Fraction(1, 3)),
        ok("学时", "18.3", Fraction(183, 10), NONE), ok("学时", " -2 ", -2, NONE),
        no("学时", 10**100, "E518"), no("学时", 1e308, "E518"), no("学时", 1e100, "E518"), no("学时", 1e-120, "E518"),
        no("学时", Decimal("1e-200"), "E518"), no("学时", WIDE, "E518"),
        no("学时", float("nan"), "E503"), no("学时", float("-inf"), "E503"), no("学时", Decimal("NaN"), "E503"),
        no("学时", "1e5", "E503"), no("学时", True, "E503"), no("学时", None, "E503"), no("学时", [1], "E503"),
        # 比例: 0 and 1 as ints, any number from 0 to 1, and "85%" (the reference reads text)
        ok("满意率", 0, 0), ok("满意率", 1, 1), ok("满意率", 0.5, Fraction(1, 2)), ok("满意率", 1.0, 1),
        ok("满意率", 0.0, 0), ok("满意率", -0.0, 0), ok("满意率", 0.875, Fraction(7, 8)),
        ok("满意率", Decimal("0.65"), Fraction(13, 20)), ok("满意率", Fraction(1, 3), Fraction(1, 3)),
        ok("满意率", "85%", Fraction(17, 20), NONE), ok("满意率", "0.85", Fraction(17, 20), NONE),
        ok("满意率", " 100 % ", 1, NONE), ok("满意率", "-0%", 0, NONE),
        no("满意率", 1.0000001, "E505"), no("满意率", -0.1, "E505"), no("满意率", 2, "E505"), no("满意率", -1, "E505"),
        no("满意率", "120%", "E505"), no("满意率", Decimal("1.01"), "E505"), no("满意率", Fraction(4, 3), "E505"),
        no("满意率", True, "E503"), no("满意率", "八成", "E503"), no("满意率", float("nan"), "E503"),
        no("满意率", 1e-120, "E518"), no("满意率", WIDE + "%", "E518"),
        # 选项
        ok("领域", "农村", "农村"), ok("领域", "机关", "机关"),
        no("领域", "城市", "E506"), no("领域", " 农村", "E506"), no("领域", 3, "E503"), no("领域", None, "E503"),
        # 酌情 1–5 分, 精度 0.5 (the value is the item's score)
        ok("评议", 4, 4), ok("评议", 4.5, Fraction(9, 2)), ok("评议", 1.0, 1), ok("评议", Decimal("4.5"), Fraction(9, 2)),
        ok("评议", Fraction(9, 2), Fraction(9, 2)), ok("评议", {"得分": 4.5, "理由": "材料齐全"}, Fraction(9, 2)),
        ok("评议", {"score": 3, "rater": "考核组"}, 3), ok("评议", "4.5", Fraction(9, 2), NONE),
        ok("评议", {"得分": "4.5"}, Fraction(9, 2), NONE),
        no("评议", 5.5, "E507"), no("评议", 0.5, "E507"), no("评议", 6, "E507"), no("评议", -1, "E507"),
        no("评议", 2.3, "E508"), no("评议", 2.0000000000000004, "E508"), no("评议", Decimal("4.25"), "E508"),
        no("评议", "好", "E503"), no("评议", True, "E503"), no("评议", None, "E503"), no("评议", float("nan"), "E503"),
        no("评议", 1e308, "E518"), no("评议", 10**100, "E518"), no("评议", {"理由": "无"}, "E501"),
        no("评议", {"得分": 3, "备注": "x"}, "E502"), no("评议", {"得分": {"得分": 3}}, "E503"),
        # 分档
        ok("等次", "好", 4), ok("等次", "中", 2), ok("等次", {"score": "差", "reason": "次数不足"}, 0),
        no("等次", "较好", "E509"), no("等次", 3, "E509"), no("等次", None, "E509"), no("等次", {"理由": "x"}, "E501"),
    ]


CASES = cases()
RUBRIC = loads(TEXT)


def case_id(case: Case) -> str:
    return f"{case.key}={case.value!r}"[:60]


def outcome(rubric: Rubric, data: dict[str, Any], key: str) -> object:
    """What `evaluate` gives for `data`: (the value read for `key`, total), or the error codes."""
    try:
        result = rubric.evaluate(data, explain=False)
    except EvidenceError as error:
        return [d.code for d in error.diagnostics]
    value = result.item(key).score if key in rubric.evaluator.evidence_spec.judged else dict(result.facts)[key]
    return (value, type(value)), result.total


def batch_outcomes(rubric: Rubric, data: object, key: str, errors: str = "collect") -> list[object]:
    """What `evaluate_columns` gives for each row: its total, or its RowError's codes."""
    out: list[object] = []
    for batch in evaluate_columns(rubric, data, errors=errors):
        problems = iter(batch.errors)
        for i, ok in enumerate(batch.ok):
            out.append(batch.grid.points(int(batch.total[i])) if ok else [d.code for d in next(problems).diagnostics])
    return out


def engine_reading(rubric: Rubric, data: object, key: str) -> tuple[list[bool], list[object]]:
    """The batch engine's own reading, before any hand-back: which rows it gives up, and the
    value it read for `key` in each row."""
    ev = rubric.evaluator
    slow: list[bool] = []
    values: list[object] = []
    for chunk in chunks(data, ev.evidence_spec.plain_keys, 100):
        scores: Scores = ColumnEngine(ev).run(chunk)
        slow.extend(bool(s) for s in scores.slow)
        values.extend(_values(scores, rubric, key, chunk.size))
    return slow, values


def _values(scores: Scores, rubric: Rubric, key: str, size: int) -> list[object]:
    if key in rubric.evaluator.evidence_spec.judged:
        k = [plan.name for plan in rubric.evaluator.item_plans.values()].index(key)
        return [rubric.evaluator.grid.points(int(u)) for u in scores.items[k]]
    value = scores.values[key]
    if isinstance(value, Q):
        num, den = np.broadcast_to(value.num, (size,)), np.broadcast_to(value.den, (size,))
        return [Fraction(int(n), int(d)) for n, d in zip(num, den)]
    if isinstance(value, Choice):
        return [value.names[int(c)] for c in value.codes]
    return [bool(v) for v in np.broadcast_to(value, (size,))]


def arrow_table(rows: list[dict[str, Any]]) -> pa.Table | None:
    """The rows as an Arrow table, None when Arrow cannot hold the values as they are (a
    Fraction, a list, a 200-digit Decimal, a None that would be a null, i.e. a key left out)."""
    if any(v is None or isinstance(v, (Fraction, list)) for row in rows for v in row.values()):
        return None
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return None


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_every_engine_reads_each_value_as_the_table_says(case: Case) -> None:
    data = {**BASE, case.key: case.value}
    reference = outcome(RUBRIC, MappingProxyType(data), case.key)
    if case.refused:
        assert reference == [case.expected]
    else:
        (value, kind), _ = reference
        assert (value, kind) == (case.expected, type(case.expected))
    # the fast path: reads it itself, or hands the branch to the reference
    assert (RUBRIC.evaluator.fast(data) is not None) == (case.quick in (BOTH, FAST))
    assert outcome(RUBRIC, data, case.key) == reference
    # the batch engine, from dicts and from an Arrow table
    total = reference if case.refused else reference[1]
    assert batch_outcomes(RUBRIC, [data], case.key) == [total]
    slow, values = engine_reading(RUBRIC, [data], case.key)
    assert slow == [case.quick != BOTH]
    if not slow[0]:
        assert values == [case.expected]
    table = arrow_table([data])
    if table is not None:
        assert batch_outcomes(RUBRIC, table, case.key) == [total]
        slow, values = engine_reading(RUBRIC, table, case.key)
        assert slow == [case.quick != BOTH]
        if not slow[0]:
            assert values == [case.expected]
    if case.refused:  # errors="raise": the same first code
        with pytest.raises(EvidenceError) as caught:
            batch_outcomes(RUBRIC, [data], case.key, errors="raise")
        assert caught.value.code == case.expected


@pytest.mark.parametrize("key", sorted({c.key for c in CASES}))
def test_a_typed_column_reads_row_by_row_as_the_reference(key: str) -> None:
    """All of a key's values of one Python type in one column (an int, float, bool or text
    column, or objects), so the engine's vector reading decides each row."""
    for kind in {type(c.value) for c in CASES if c.key == key}:
        rows = [{**BASE, key: c.value} for c in CASES if c.key == key and type(c.value) is kind]
        expected = [outcome(RUBRIC, MappingProxyType(row), key) for row in rows]
        totals = [e if isinstance(e, list) else e[1] for e in expected]
        sources: list[object] = [rows]
        table = arrow_table(rows) if kind is not dict else None  # (Arrow merges entries' fields, nulls in the gaps)
        if table is not None:
            sources.append(table)
        for source in sources:
            assert batch_outcomes(RUBRIC, source, key) == totals, (kind, source)
            slow, values = engine_reading(RUBRIC, source, key)
            for row, gave_up, value, found in zip(rows, slow, values, expected):
                if not gave_up:  # what the engine read itself is what the reference reads
                    assert RUBRIC.evaluator.fast(row) is not None
                    assert not isinstance(found, list) and value == found[0][0]


# small digit limits: ints and floats the int64 lanes hold, yet over the limit (E518)
SMALL = """标准 小 { 精度 0.5 事实 n: 数值 事实 c: 计数 事实 r: 比例
    类型 组 20分 { 项目 甲 10分 { 得分 = 最小(最大(n, 0), 10) } 项目 评 6分 { 酌情 1分 至 5分 } } }"""
SMALL_CASES = [  # (limits digits, key, value, the value read or the code)
    (3, "n", 999, 999), (3, "n", 1000, "E518"), (3, "n", -999, -999), (3, "n", 99.5, Fraction(199, 2)),
    (3, "n", 100.5, "E518"), (3, "n", 0.001, Fraction(1, 1000)), (3, "n", 0.0001, "E518"), (3, "n", 123.0, "E518"),
    (3, "c", 999, 999), (3, "c", 1000, "E518"), (3, "r", 0.125, Fraction(1, 8)), (3, "r", 0.1255, "E518"),
    (3, "评", 4.5, Fraction(9, 2)), (3, "评", 4, 4),
    # one digit: every score of 评 but a whole int needs more (4.5, and 4.0 written out)
    (1, "评", 4, 4), (1, "评", 4.5, "E518"), (1, "评", 4.0, "E518"), (1, "评", Decimal("4"), 4), (1, "n", 9, 9),
    (1, "n", 10, "E518"), (1, "n", 5.0, "E518"),
]


@pytest.mark.parametrize(("digits", "key", "value", "expected"), SMALL_CASES)
def test_digit_limits_bind_every_engine(digits: int, key: str, value: Any, expected: object) -> None:
    rubric = loads(SMALL, limits=Limits(evidence_digits=digits))
    data = {"n": 1, "c": 1, "r": 1, "评": 3, key: value}
    try:
        result = rubric.evaluate(MappingProxyType(data), explain=False)
        found: object = result.item("评").score if key == "评" else dict(result.facts)[key]
        total: object = result.total
    except EvidenceError as error:
        found = total = [d.code for d in error.diagnostics]
    assert found == (expected if not isinstance(expected, str) else [expected])
    fast = rubric.evaluate(data, explain=False) if not isinstance(expected, str) else None
    if fast is not None:
        assert fast.total == total
    else:
        assert rubric.evaluator.fast(data) is None
    for source in ([data], arrow_table([data])):
        assert source is not None
        assert batch_outcomes(rubric, source, key) == [total]
        slow, values = engine_reading(rubric, source, key)
        if not slow[0]:
            assert values == [expected]


def test_the_batch_engine_and_the_fast_path_hand_back_the_same_typed_rows() -> None:
    """For an int, float, bool or text column, a row the engine reads itself is one the fast path
    reads itself, and the other way round (the lanes aside: ints past 2**62, floats past 2**52)."""
    for key in sorted({c.key for c in CASES}):
        for kind in (int, float, bool, str):
            rows = [{**BASE, key: c.value} for c in CASES
                    if c.key == key and type(c.value) is kind and not (kind is int and abs(c.value) > TOP)
                    and not (kind is float and math.isfinite(c.value) and abs(c.value) >= 2**52)]
            table = arrow_table(rows) if rows else None
            if table is None:
                continue
            slow, _ = engine_reading(RUBRIC, table, key)
            assert slow == [RUBRIC.evaluator.fast(row) is None for row in rows], (key, kind)


# the rules live in the table


def test_the_engines_follow_a_changed_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ratio up to 2 in the table: every engine then reads 1.5 (and 2), none spells 0..1 itself."""
    monkeypatch.setitem(acceptance._FACTS, "ratio", attrs.evolve(acceptance.RATIO, high=2))
    rubric = loads(TEXT)  # a fresh rubric, compiled with the changed table
    assert "not 0 <= f3 <= 2" in rubric.fast_source
    for value, expected in ((1.5, Fraction(3, 2)), (2, 2), ("150%", Fraction(3, 2)), (Decimal("1.5"), Fraction(3, 2))):
        data = {**BASE, "满意率": value}
        reference = outcome(rubric, MappingProxyType(data), "满意率")
        assert reference[0] == (expected, type(expected))
        assert outcome(rubric, data, "满意率") == reference
        assert batch_outcomes(rubric, [data], "满意率") == [reference[1]]
        slow, values = engine_reading(rubric, [data], "满意率")
        assert slow == [isinstance(value, str)] and (slow[0] or values == [expected])
    assert outcome(rubric, {**BASE, "满意率": 2.5}, "满意率") == ["E505"]


def test_the_fast_path_inlines_the_tables_bounds() -> None:
    source = RUBRIC.fast_source
    limits = RUBRIC.limits
    for index, fact in enumerate(RUBRIC.facts.values()):
        bounds = acceptance.int_range(FACTS[fact.type.kind], limits)
        if bounds is not None:
            assert f"not {bounds[0]} <= f{index} <= {bounds[1]}" in source
    assert f"not 0 <= f1 <= {TOP}" in source and "not 0 <= f3 <= 1" in source  # 计数 and 比例


ENGINES = [p for folder in ("plan", "eval", "batch") for p in sorted((ROOT / "starrules" / folder).glob("*.py"))
           if p.name != "acceptance.py"]
SPELLED = {  # a rule written out again (the table's own spelling, then others an engine might use)
    "the E518 bound": r"largest_int",
    "a digit count": r"too_many_digits|number_too_long",
    "the 0..1 of a ratio": r"low=0, high=1\b|0 <= [^\n]{0,40}<= 1\b|num > [^\n]{0,20}den\b|\bnum < 0\b",
    "a fact kind by name": r"[\"'](?:count|number|ratio|choice)[\"']",
    "an acceptance code": r"[\"']E50[4-9][\"']|[\"']E518[\"']",  # (E503 also names a malformed rater sheet)
    "the flag words": r"[\"']是[\"']\s*[,:}]|[\"']否[\"']\s*[,:}]",
    "the percent sign": r"endswith\([\"']%",
    "the entry keys": r"[\"']得分[\"']\s*,\s*[\"']score[\"']",
}


@pytest.mark.parametrize("rule", sorted(SPELLED))
def test_no_engine_module_spells_a_rule_the_table_holds(rule: str) -> None:
    pattern = re.compile(SPELLED[rule])
    assert [p.name for p in ENGINES if pattern.search(p.read_text("utf-8"))] == []
    assert pattern.search((ROOT / "starrules" / "plan" / "acceptance.py").read_text("utf-8"))


def test_one_int_bound_the_smaller() -> None:
    assert acceptance.LANES == vector.LIMIT
    assert acceptance.int_bound(Limits()) == 2**62  # 10**100 is larger
    assert acceptance.int_bound(Limits(evidence_digits=5)) == 10**5


def test_the_table_in_the_docs_is_the_tables() -> None:
    text = (ROOT / "docs" / "language.md").read_text("utf-8")
    found = re.search(r"<!-- 证据接受表:.*?-->\n(.*?)<!-- 证据接受表结束 -->", text, re.DOTALL)
    assert found is not None and found.group(1) == acceptance.markdown(), \
        "docs/language.md: paste the output of python -m starrules.plan.acceptance"
    assert "high=1" in repr(FACTS["ratio"]) and "E505" in acceptance.markdown()


def test_every_code_a_rule_gives_has_words() -> None:
    for rule in FACTS.values():
        assert all(code in acceptance.FACT_MESSAGES for code in rule.codes)
    for judged in (acceptance.JUDGED, acceptance.GRADES):
        assert all(code in acceptance.SCORE_MESSAGES for code in judged.codes)
    assert acceptance.JUDGED.takes(int) and acceptance.JUDGED.takes(float)  # what ScoreRange.quick reads


# a 酌情 score: what `ScoreRange.short` lets the quick paths skip (counting digits) changes nothing

STEPS = [Fraction(1, 2), Fraction(1), Fraction(1, 4), Fraction(1, 10), Fraction(1, 100), Fraction(5), Fraction(1, 3)]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STEPS), st.integers(-40, 40), st.integers(0, 80), st.integers(1, 8),
       st.one_of(st.integers(-10**9, 10**9), st.floats(allow_nan=True, allow_infinity=True), st.decimals(places=3),
                 st.fractions(max_denominator=20)))
def test_a_score_reads_alike_with_and_without_counting_digits(step: Fraction, low: int, width: int, digits: int,
                                                              raw: object) -> None:
    grid, limits = Grid(step), Limits(evidence_digits=digits)
    scores = score_range(grid, low, low + width, limits)
    found = score_units(raw, scores, limits)
    slow = score_units(raw, attrs.evolve(scores, short=False), limits)
    assert (found.code if isinstance(found, Rejection) else found) == (slow.code if isinstance(slow, Rejection) else slow)
    if isinstance(found, int) and not isinstance(raw, (Decimal, Fraction)):
        assert acceptance.read_number(raw, limits) == grid.points(found)
    assert isinstance(found, (int, Rejection))
