"""Every engine agrees with the independent reference (tests/reference_evaluator.py for scores,
tests/reference_grading.py for levels) on generated rubrics WITH schemes.

Each case is a small rubric (1–3 sections of generated items; weights, 折算, pass lines, a bonus
and a penalty section sometimes; 1–2 vetoes, some with 最高 LEVEL) and 1–2 schemes of its own (a
banded scheme whose levels may carry conditions on facts and @section scores, 降档 lines, and
sometimes a second scheme, independent or 基于 the first), plus a few rows of evidence. The
scheme bounds and the @section thresholds are drawn from the totals and section scores the
reference gives the drawn rows, so totals land exactly on a bound (inclusive lower bounds), one
grid step either side, or anywhere.

The engines: `Rubric.evaluate` with and without `explain`, grading after the fact
(`Result.level` on an ungraded result and on one read back from JSON), `Rubric.evaluate_many`
over the list of dicts, `Rubric.evaluate_columns` over the list of dicts (several chunk sizes)
and, when every value is a bool, number or str with one kind per key, over a pyarrow Table built
from the same dicts. Rows come in three styles (JSON-native values, which the fast path and the
batch engine read themselves; text as from CSV/Excel; anything mixed) and sometimes as twins
differing only in facts that only schemes read. Bad rows (a wrong type, a value out of range, an
unknown choice or 分档 level, a missing fact, an unknown key) must be rejected by each engine with
the diagnostic code the docs give (docs/api.md, E501–E509), with errors="collect" and "raise".

Only the public API is used: `starrules.loads`, `Rubric.evaluate*`, `Result`, `ResultBatch`
fields and `to_rows()`, `EvidenceError` / `RowError` diagnostics, `starrules.ast`.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starrules import EvidenceError, Result, RowError, Rubric, loads
from tests.reference_grading import RefResult, ReferenceValues, reference_result
from tests.reference_evaluator import entry_range
from tests.rubric_strategies import BOOLS, Body, fmt, grid_points, rubric_body

import pyarrow as pa

# level names: no scheme shares one with another, nor with the built-in 星级 / 等次 graded beside them
BASE_LEVELS = ["特优", "优秀", "较好", "合格", "基本合格"]
BASE_FLOOR = "不合格"
SECOND_LEVELS = ["先行", "中坚", "跟进", "待进"]



# ---------------------------------------------------------------------------------------------
# evidence: good rows (boundary values included) and bad rows with the code each must get


@dataclass(frozen=True)
class Style:
    """How a case writes its values, one way for every row (so each key has one type and a
    pyarrow Table can be built from the rows):

    - "native": JSON's own forms (bools, ints, floats, choice and 分档 names), which the fast path
      and the batch engine read themselves;
    - "text": 是/否/true/false text for bools, decimal text for numbers and 酌情 scores, "85%"
      for ratios (what a CSV or Excel cell gives; the engines hand these to the reference reader);
    - "mixed": any accepted form, row by row (floats, text, {"得分": …} entries) — no Arrow.
    """

    kind: str

    @property
    def arrow(self) -> bool:
        return self.kind != "mixed"


STYLES = st.sampled_from([Style("native"), Style("native"), Style("text"), Style("mixed")])


def as_number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


@st.composite
def good_row(draw: st.DrawFn, rubric: Rubric, style: Style) -> dict[str, Any]:
    """One branch, with boundary values: counts 0, ratios 0 and 1, every 酌情 score at its ends."""
    kind = style.kind

    def pick(native: list[Any], text: list[Any], mixed: list[Any]) -> Any:
        return draw(st.sampled_from(native if kind == "native" else text if kind == "text" else mixed))

    row: dict[str, Any] = {b: pick([True, False], ["是", "否", "否", "true", " FALSE "], [True, False, "是", "否"])
                           for b in BOOLS}
    row["c1"] = draw(st.sampled_from([0, 0, 1, 2, 3, 4, 6]))
    row["c2"] = draw(st.sampled_from([0, 0, 1, 2, 3]))
    row["n1"] = pick([0, 3, 5.5, 7.25, 10, 15.0, 0.1, 2.675], ["0", "3", "5.5", "7.25", "10", "2.675"],
                     [0, 3.0, "5.5", 7.25, 10, "15", 0.1, 2.675])
    row["r1"] = pick([0, 1, 0.0, 1.0, 0.5, 0.875, 0.3, 0.65], ["0%", "100%", "50%", "87.5%", "25%", "0", "1", "0.65"],
                     [0, 1, "0%", "100%", 0.5, "87.5%", 0.3, "0.65"])
    row["ch"] = draw(st.sampled_from(["甲", "乙", "丙"]))
    if draw(st.booleans()):  # else its default, 2
        row["d1"] = draw(st.sampled_from([0, 2, 3]))
    for item in rubric.items:
        for clause in item.clauses:
            if type(clause).__name__ == "Judged":
                low, high = entry_range(item, clause)
                steps = int((high - low) / rubric.precision)
                score = low + rubric.precision * draw(st.sampled_from([0, steps, *range(steps + 1)]))
                row[item.name] = pick([as_number(score)], [fmt(score)],
                                      [fmt(score), float(score), {"得分": float(score), "理由": "示例"}])
            elif type(clause).__name__ == "Grades":
                level = draw(st.sampled_from([g.name for g in clause.levels]))
                row[item.name] = pick([level], [level], [level, {"得分": level, "评分人": "甲"}])
    return row


@st.composite
def spoil(draw: st.DrawFn, rubric: Rubric, row: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A bad copy of `row` and the code docs/api.md gives the fault."""
    faults: list[tuple[str, Any, str]] = [
        ("c1", -1, "E504"), ("c1", "很多", "E503"), ("c1", 2.5, "E504"), ("r1", "150%", "E505"),
        ("ch", "丁", "E506"), ("n1", "很多", "E503"), ("b0", "很多", "E503"), ("未知键", 1, "E502"),
        ("c2", None, "E501"),  # missing: deleted below
        ("c2", True, "E503"), ("n1", False, "E503"), ("r1", True, "E503"),  # a bool is not a number
    ]
    for item in rubric.items:
        for clause in item.clauses:
            kind = type(clause).__name__
            if kind == "Judged":
                low, high = entry_range(item, clause)
                faults.append((item.name, fmt(high + rubric.precision), "E507"))
                if high - low >= rubric.precision:  # off the grid but in range
                    faults.append((item.name, fmt(low + rubric.precision / 2), "E508"))
            elif kind == "Grades":
                faults.append((item.name, "未知档", "E509"))
    key, value, code = draw(st.sampled_from(faults))
    bad = dict(row)
    if value is None:
        del bad[key]
    else:
        bad[key] = value
    return bad, code


# ---------------------------------------------------------------------------------------------
# schemes and vetoes, drawn once the rows' reference totals and section scores are known


@st.composite
def scheme_condition(draw: st.DrawFn, observed: Observed) -> str:
    """A level or 降档 condition: on facts (one with a default) and 令 values, on an @section or
    @item score or 总分 at a value some row has, or on 未达标类型数."""
    kind = draw(st.sampled_from(["fact", "fact", "section", "section", "item", "total", "below", "rate", "max"]))
    if kind == "rate":  # @组.得分率 at a rate some row has (a fraction: compared through a division)
        name = draw(st.sampled_from(sorted(observed.rates)))
        rate = draw(st.sampled_from(observed.rates[name]))
        return f"@{name}.得分率 {draw(st.sampled_from(['>=', '<', '=']))} {rate.numerator} / {rate.denominator}"
    if kind == "max":  # @组.满分: the applicable maximum, lower where items are 不适用
        name = draw(st.sampled_from(sorted(observed.maxima)))
        return f"@{name}.满分 {draw(st.sampled_from(['>=', '<']))} {fmt(draw(st.sampled_from(observed.maxima[name])))}"
    if kind in ("section", "item"):
        name = draw(st.sampled_from(sorted(observed.sections if kind == "section" else observed.items)))
        seen = observed.sections[name] if kind == "section" else observed.items[name]
        return f"@{name} {draw(st.sampled_from(['>=', '>', '<']))} {fmt(draw(st.sampled_from(seen)))}"
    if kind == "total":
        return f"总分 {draw(st.sampled_from(['>=', '<']))} {fmt(draw(st.sampled_from(observed.totals)))}"
    if kind == "below":
        return draw(st.sampled_from(["未达标类型数 = 0", "未达标类型数 >= 1", "未达标类型数 >= 2"]))
    return draw(st.sampled_from(["b0", "非 b1", "ch 属于 [甲, 乙]", "c1 >= 2", "r1 >= 50%", "n1 > 3", "缺 超过 3",
                                 "全部[b2, b3]", "d1 >= 2", "r1 = 100%", "s1", "非 s1",
                                 "(d1 < 2 或 s1)"]))


@dataclass
class Observed:
    """The reference's totals, section scores and item scores for the drawn good rows."""

    totals: list[Fraction]
    sections: dict[str, list[Fraction]]
    items: dict[str, list[Fraction]]
    rates: dict[str, list[Fraction]]  # per section and group, its 得分率 (100% when nothing applies)
    maxima: dict[str, list[Fraction]]  # and its applicable maximum

    @classmethod
    def of(cls, rubric: Rubric, rows: list[dict[str, Any]]) -> Observed:
        groups = [g.name for s in rubric.sections for g in (s, *s.nested())]
        found = cls([], {s.name: [] for s in rubric.sections}, {i.name: [] for i in rubric.items},
                    {g: [] for g in groups}, {g: [] for g in groups})
        for row in rows:
            reference = ReferenceValues(rubric, row)
            total, items, sections = reference.score()
            found.totals.append(total)
            for name in found.sections:
                found.sections[name].append(sections[name])
            for name in found.items:
                found.items[name].append(items[name])
            for name in groups:
                maximum = reference.maxima[name]
                found.maxima[name].append(maximum)
                found.rates[name].append(sections[name] / maximum if maximum else Fraction(1))
        return found


@st.composite
def bounds(draw: st.DrawFn, count: int, grid: Fraction, totals: list[Fraction]) -> list[Fraction]:
    """`count` strictly decreasing bounds, mostly at the rows' totals, one step off them, or half
    a step off them (a bound off the precision grid, which a total, always on it, never equals)."""
    near = sorted({t + d for t in totals for d in (0, grid, -grid, grid / 2, -grid / 2) if t + d >= 0})
    top = max(totals, default=Fraction(10)) + 2
    pool = st.one_of(st.sampled_from(near), grid_points(grid, int(top) + 1, 0)) if near \
        else grid_points(grid, int(top) + 1, 0)
    chosen = draw(st.lists(pool, min_size=count, max_size=count, unique=True))
    return sorted(chosen, reverse=True)


@dataclass
class Schemes:
    text: str  # the 等级 blocks
    line: list[str]  # the rubric's 等级 line
    levels: list[list[str]]  # the levels of each scheme on the line (what 最高 may name)
    names: list[str]  # every scheme defined


@st.composite
def schemes(draw: st.DrawFn, body: Body, observed: Observed) -> Schemes:
    cond = scheme_condition(observed)
    totals = observed.totals
    count = draw(st.integers(1, 4))  # levels above the floor
    names = BASE_LEVELS[len(BASE_LEVELS) - count:]
    numbers = draw(bounds(count, body.grid, totals))
    lines: list[str] = []
    for name, bound in zip(names, numbers):
        extra = [f"且 {draw(cond)}" for _ in range(draw(st.sampled_from([0, 0, 1, 2])))]
        lines.append(f"{name} >= {fmt(bound)}分 {' '.join(extra)}")
        if draw(st.integers(0, 5)) == 0:  # a level reached on its conditions alone
            free = f"{name}备"
            names_here = f"{free} 且 {draw(cond)}"
            lines.append(names_here)
    lines.append(BASE_FLOOR)
    for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
        lines.append(f"降档 {draw(st.integers(1, 3))} 如果 {draw(cond)}")
    base_levels = [line.split()[0] for line in lines if not line.startswith("降档")]
    text = f"等级 甲制 {{ {' '.join(lines)} }}\n"
    line, levels, defined = ["甲制"], [base_levels], ["甲制"]
    second = draw(st.sampled_from(["none", "derived", "derived", "independent"]))
    if second == "derived":
        size = draw(st.integers(1, min(len(SECOND_LEVELS), len(base_levels))))
        mine = SECOND_LEVELS[:size]
        # every base level maps to one level; every level of mine gets at least one base level
        assignment = [mine[i] for i in range(size)] + [draw(st.sampled_from(mine))
                                                       for _ in range(len(base_levels) - size)]
        assignment = draw(st.permutations(assignment)) if draw(st.booleans()) else sorted(
            assignment, key=mine.index)
        maps = {m: [b for b, a in zip(base_levels, assignment) if a == m] for m in mine}
        own = [f"{m} = {', '.join(maps[m])}" for m in mine]
        for _ in range(draw(st.sampled_from([0, 0, 1]))):
            own.append(f"降档 {draw(st.integers(1, 2))} 如果 {draw(cond)}")
        text += f"等级 乙制 基于 甲制 {{ {' '.join(own)} }}\n"
        defined.append("乙制")
        line = draw(st.sampled_from([["甲制", "乙制"], ["乙制"], ["乙制", "甲制"], ["甲制"]]))  # 乙制 on request only
        levels = [*([base_levels] if "甲制" in line else []), *([mine] if "乙制" in line else [])]
    elif second == "independent":
        size = draw(st.integers(1, 3))
        mine = SECOND_LEVELS[:size]
        numbers = draw(bounds(size, body.grid, totals))
        own = [f"{m} >= {fmt(b)}分" for m, b in zip(mine, numbers)] + [SECOND_LEVELS[-1]]
        if draw(st.booleans()):
            own.append(f"降档 1 如果 {draw(cond)}")
        text += f"等级 乙制 {{ {' '.join(own)} }}\n"
        defined.append("乙制")
        line = ["甲制", "乙制"]
        levels = [base_levels, [*mine, SECOND_LEVELS[-1]]]
    return Schemes(text, line, levels, defined)


@st.composite
def vetoes(draw: st.DrawFn, scheme_set: Schemes, observed: Observed) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 2))):
        test = draw(st.sampled_from(["b1 且 b2", "b3", "c1 >= 4", "ch = 丙", "非 b0", "r1 = 0", "d1 = 0", "s1"]
                                    + [f"@{s} < {fmt(v)}" for s, seen in observed.sections.items() for v in seen[:2]]
                                    + [f"总分 >= {fmt(t)}" for t in observed.totals[:2]]))
        highest = ""
        if draw(st.integers(0, 2)):  # 最高 a level of one of the schemes on the 等级 line
            highest = f" 最高 {draw(st.sampled_from(draw(st.sampled_from(scheme_set.levels))))}"
        lines.append(f"否决 如果 {test}{highest}")
    return " ".join(lines)


# ---------------------------------------------------------------------------------------------
# one case: the rubric, rows (good and bad, with the code a bad one must get), schemes to grade


@dataclass
class Case:
    text: str
    rubric: Rubric = field(repr=False)
    rows: list[dict[str, Any]]
    codes: list[str | None]  # the expected code of each bad row, None for a good row
    grade: list[str] | None  # schemes= for every engine (None: the rubric's 等级 line)
    style: Style


@st.composite
def cases(draw: st.DrawFn, bad_rows: bool = True) -> Case:
    body = draw(rubric_body())
    style = draw(STYLES)
    scratch = loads(f"标准 生成 {{ {body.text} }}")
    rows = [draw(good_row(scratch, style)) for _ in range(draw(st.integers(1, 5)))]
    for _ in range(draw(st.sampled_from([0, 1, 2, 3]))):  # twins: a row again with d1 or s1 changed
        twin = dict(draw(st.sampled_from(rows)))
        if draw(st.booleans()):
            twin["d1"] = draw(st.sampled_from([0, 1, 3]))
        else:
            twin["s1"] = draw(st.sampled_from(["是", "否"] if style.kind == "text" else [True, False]))
        rows.insert(draw(st.integers(0, len(rows))), twin)
    observed = Observed.of(scratch, rows)
    scheme_set = draw(schemes(body, observed))
    veto_text = draw(vetoes(scheme_set, observed))
    text = f"{scheme_set.text}标准 生成 {{ 等级 {', '.join(scheme_set.line)} {body.text} {veto_text} }}"
    rubric = loads(text)
    codes: list[str | None] = [None] * len(rows)
    if bad_rows and draw(st.integers(0, 2)) == 0:
        at = draw(st.integers(0, len(rows) - 1))
        bad, code = draw(spoil(rubric, rows[at]))
        rows.insert(at, bad)
        codes.insert(at, code)
    grade = draw(st.sampled_from([None, None, scheme_set.names, [*scheme_set.names, "星级", "等次"],
                                  scheme_set.names[::-1]]))
    return Case(text, rubric, rows, codes, grade, style)


# ---------------------------------------------------------------------------------------------
# what each engine gives, in one shape: ("ok", total, vetoed, items, sections, levels) or ("bad", codes)


def expected(case: Case, row: dict[str, Any], code: str | None) -> tuple[Any, ...]:
    if code is not None:
        return ("bad", code)
    ref: RefResult = reference_result(case.rubric, row, case.grade)
    levels = {n: (lv.level, lv.by_score, lv.downgrade, lv.vetoed) for n, lv in ref.levels.items()}
    items = {n: (s, ref.applicable[n]) for n, s in ref.items.items()}
    return ("ok", ref.total, ref.vetoed, items, ref.sections, levels)


def of_result(result: Result) -> tuple[Any, ...]:
    levels = {n: (lv.level, lv.by_score, lv.downgrade, lv.vetoed) for n, lv in result.levels.items()}
    items = {i.name: (i.score, i.applicable) for i in result.items}
    return ("ok", result.total, result.vetoed, items,
            {g.name: g.score for s in result.sections for g in (s, *s.nested())}, levels)


def of_error(diagnostics: Any) -> tuple[Any, ...]:
    return ("bad", tuple(d.code for d in diagnostics))


def matches(got: tuple[Any, ...], want: tuple[Any, ...]) -> bool:
    if want[0] == "bad":
        return got[0] == "bad" and want[1] in got[1]
    return got == want


def scalar(case: Case, row: dict[str, Any], explain: bool) -> tuple[Any, ...]:
    try:
        return of_result(case.rubric.evaluate(row, explain=explain, schemes=case.grade))
    except EvidenceError as error:
        return of_error(error.diagnostics)


def of_batches(case: Case, batches: list[Any]) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """Per row: ("ok", total, vetoed, items, sections, {scheme: (level,)}) or ("bad", codes);
    and per good row the `max` and `to_rows()` record (compared with the scalar engines')."""
    step = case.rubric.precision
    # the plan's order: each section, then its groups (each before the groups inside it)
    section_names = [g.name for s in case.rubric.sections for g in (s, *s.nested())] + \
        [e.display_name for e in case.rubric.extra_sections]
    item_names = [i.name for i in case.rubric.items]
    shown: list[tuple[Any, ...]] = []
    extras: list[Any] = []
    for batch in batches:
        errors = {e.row: e for e in batch.errors}
        records = iter(batch.to_rows())
        for i in range(len(batch)):
            if not batch.ok[i]:
                shown.append(of_error(errors[batch.rows[i]].diagnostics))
                continue
            items = {n: (step * int(batch.items[k, i]), bool(batch.applicable[k, i])) for k, n in enumerate(item_names)}
            sections = {n: step * int(batch.sections[k, i]) for k, n in enumerate(section_names)}
            levels = {n: (batch.levels[n][i],) for n in batch.levels}
            shown.append(("ok", step * int(batch.total[i]), bool(batch.vetoed[i]), items, sections, levels))
            extras.append((step * int(batch.max[i]), next(records)))
    return shown, extras


def levels_only(want: tuple[Any, ...]) -> tuple[Any, ...]:
    if want[0] == "bad":
        return want
    return (*want[:5], {n: (lv[0],) for n, lv in want[5].items()})


def check_case(case: Case, chunk_rows: int) -> None:
    rubric, rows = case.rubric, case.rows
    want = [expected(case, row, code) for row, code in zip(rows, case.codes)]
    context = f"\n{case.text}\nrows={rows!r}\nschemes={case.grade}"

    traced = [scalar(case, row, True) for row in rows]
    fast = [scalar(case, row, False) for row in rows]
    for i, w in enumerate(want):
        assert matches(traced[i], w), f"evaluate(explain=True) row {i}: {traced[i]} != {w}{context}"
        assert matches(fast[i], w), f"evaluate(explain=False) row {i}: {fast[i]} != {w}{context}"
    # every engine reports the same codes for a bad row, not merely the expected one among them
    assert traced == fast, context

    # graded after the fact (Result.level), on a fresh ungraded result and on one read back from JSON
    names = list(rubric.schemes) if case.grade is None else case.grade
    for row, w in zip(rows, want):
        if w[0] == "ok":
            for explain in (False, True):
                bare = rubric.evaluate(row, explain=explain, schemes=[])
                assert bare.levels == {}, context
                back = Result.from_json(bare.to_json())
                for name in names:
                    for result, how in ((bare, "level"), (back, "level after JSON")):
                        lv = result.level(name, rubric)
                        assert (lv.level, lv.by_score, lv.downgrade, lv.vetoed) == w[5][name], \
                            f"Result.{how}({name!r}) explain={explain} row {row}{context}"

    for explain in (False, True):
        many = [of_error(r.diagnostics) if isinstance(r, RowError) else of_result(r)
                for r in rubric.evaluate_many(rows, schemes=case.grade, explain=explain, errors="collect")]
        assert many == traced, f"evaluate_many(explain={explain}){context}"

    # errors="raise": the first bad row stops every batch engine with its diagnostics
    first_bad = next((t for t in traced if t[0] == "bad"), None)
    if first_bad is not None:
        with pytest.raises(EvidenceError) as raised:
            list(rubric.evaluate_many(rows, schemes=case.grade))
        assert of_error(raised.value.diagnostics) == first_bad, context
        with pytest.raises(EvidenceError) as raised:
            list(rubric.evaluate_columns(rows, schemes=case.grade, chunk_rows=chunk_rows))
        assert of_error(raised.value.diagnostics) == first_bad, context

    maxima = [rubric.evaluate(row, explain=False, schemes=case.grade) for row, c in zip(rows, case.codes) if c is None]
    good_want = [levels_only(w) for w in want]
    for name, data in [("dicts", rows), *arrow_input(case)]:
        batches = list(rubric.evaluate_columns(data, schemes=case.grade, errors="collect", chunk_rows=chunk_rows))
        assert [r for b in batches for r in b.rows] == list(range(1, len(rows) + 1)), context
        got, extras = of_batches(case, batches)
        assert [levels_only(g) if g[0] == "ok" else g for g in got] == \
            [levels_only(t) for t in traced], f"evaluate_columns({name}){context}"
        for i, w in enumerate(good_want):
            assert matches(got[i], w), f"evaluate_columns({name}) row {i}{context}"
        for (maximum, record), result in zip(extras, maxima):
            assert maximum == result.max, f"evaluate_columns({name}) max{context}"
            assert record == result.to_row(), f"evaluate_columns({name}) to_rows{context}"


def arrow_input(case: Case) -> list[tuple[str, Any]]:
    """The rows as a pyarrow Table, when every value is a bool, number or str and each key has one
    kind across rows (else Arrow cannot hold them as typed columns). A key a row leaves out is a
    null cell there, which docs/api.md reads as a key left out. The columns are built from the
    union of the rows' keys (`pa.Table.from_pylist` would take its schema from the first row only)."""
    if not case.style.arrow:
        return []
    kinds: dict[str, type] = {}
    for row in case.rows:
        for key, value in row.items():
            kind = float if type(value) in (int, float) else type(value)  # ints and floats: one column
            if kind not in (bool, float, str) or kinds.setdefault(key, kind) is not kind:
                return []
    return [("arrow", pa.table({key: [row.get(key) for row in case.rows] for key in kinds}))]


# ~15 s at the default; STARRULES_AGREE_EXAMPLES=2000 for a longer hunt
SETTINGS = settings(max_examples=int(os.environ.get("STARRULES_AGREE_EXAMPLES", "250")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(cases(), st.sampled_from([1, 2, 64]))
def test_every_engine_agrees_with_the_reference(case: Case, chunk_rows: int) -> None:
    check_case(case, chunk_rows)


# a chain of three schemes (基于 a 基于), levels reading a bonus section's score and 总分, a level
# reached on its condition alone, 降档 at each link, and vetoes capped in the base, in the middle
# scheme and in the top one: every combination of the facts, at totals on and off the bounds
CHAIN = '''
等级 测 { 甲 >= 10分 且 @荣誉 >= 2  乙 >= 5分 且 总分 < 9  丙 且 b1  丁  降档 1 如果 未达标类型数 >= 1 }
等级 派 基于 测 { 上 = 甲, 乙  下 = 丙, 丁  降档 1 如果 b3 }
等级 再 基于 派 { 好 = 上  坏 = 下  降档 1 如果 b2 }
标准 链 { 等级 测, 派, 再
    事实 b0: 是否 事实 b1: 是否 事实 b2: 是否 事实 b3: 是否 事实 v: 是否 事实 w: 是否 事实 u: 是否
    类型 A 10分 达标 6分 { 项目 i 10分 { 酌情 } }
    加分项 荣誉 最多 3分 { 项目 j 3分 { 得 3分 如果 b0 } }
    否决 如果 v 最高 乙
    否决 如果 w 最高 上
    否决 如果 u 且 总分 >= 12 最高 坏
}
'''


@pytest.mark.parametrize("schemes", [None, ["再"], ["再", "派", "测", "星级", "等次"]])
def test_a_chain_of_derived_schemes_agrees_with_the_reference(schemes: list[str] | None) -> None:
    rubric = loads(CHAIN)
    rows = [{"i": i, **dict(zip(["b0", "b1", "b2", "b3", "v", "w", "u"], bits))}
            for i in (0, 4.5, 5, 8.5, 9, 10) for bits in itertools.product([False, True], repeat=7)]
    check_case(Case(CHAIN, rubric, rows, [None] * len(rows), schemes, Style("native")), chunk_rows=100)


# rows with one total but different section scores, 未达标类型数, d1 or s1: the batch engine must
# not lump them together when it grades each distinct combination of what the scheme reads once
SPLITS = '''
等级 分 { 上 >= 10分 且 @甲类 >= 6  中 >= 9分 且 d1 >= 2  下 >= 4分 且 (s1 或 @乙类 > 3)  底
          降档 1 如果 未达标类型数 >= 2 }
标准 分数相同 { 等级 分
    事实 d1: 计数 默认 2 事实 s1: 是否 默认 否
    类型 甲类 10分 达标 4分 { 项目 x 10分 { 酌情 } }
    类型 乙类 10分 达标 4分 { 项目 y 10分 { 酌情 } }
    否决 如果 s1 且 d1 = 0 最高 下
}
'''


@pytest.mark.parametrize("chunk_rows", [7, 1000])
def test_rows_with_one_total_get_their_own_levels(chunk_rows: int) -> None:
    rubric = loads(SPLITS)
    rows = [{"x": x, "y": total - x, "d1": d1, "s1": s1} for total in (4, 7, 9, 10, 12) for x in range(11)
            if 0 <= total - x <= 10 for d1 in (0, 2) for s1 in (False, True)]
    check_case(Case(SPLITS, rubric, rows, [None] * len(rows), None, Style("native")), chunk_rows=chunk_rows)
