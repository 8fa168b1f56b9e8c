"""Cohort rules in SQL (starrules.sql.cohort): ranks, quotas and forced bottom shares as window
functions over the scoring and grading query, on DuckDB and SQLite, worked by hand (the
situations of tests/test_ranking.py) and held to `starrules.rank` on generated rubrics.

Two routes: over a graded table made from Python results (the cohort query alone, "inner"),
and over the evidence through `query.compile_query` (the whole query, "query")."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from starrules import Rubric, StarrulesError, loads, rank
from starrules.eval.evaluator import evaluator_for
from starrules.eval.result import Result
from starrules.grade.grading import result_values
from starrules.lang import ast
from starrules.plan.expressions import BELOW_PASS_KEY, ExprCompiler
from starrules.plan.grading import grade_plan
from starrules.sql.cohort import CohortColumn, cohort_columns, cohort_extras, cohort_query
from starrules.sql.query import QuerySpec, compile_query, result_columns
from starrules.sql.runner import column_scales, evidence_table
from tests.test_ranking import RANKED, VETOED, WUWEI_PLAN

ENGINES = ("duckdb", "sqlite")
ROUTES = [(route, engine) for route in ("inner", "query") for engine in ENGINES]
DIALECTS = ["duckdb", "postgres", "mysql", "spark", "trino", "sqlite"]

Row = dict[str, Any]
Placed = tuple[int | None, str | None, bool | None, frozenset[str] | None]  # rank, level, 待定, marks


# running a query on an engine

def _create(name: str, types: Mapping[str, str], dialect: str) -> str:
    columns = [exp.ColumnDef(this=exp.to_identifier(c, quoted=True), kind=exp.DataType.build(t, dialect=dialect))
               for c, t in types.items()]
    return exp.Create(this=exp.Schema(this=exp.to_table(name), expressions=columns), kind="TABLE").sql(dialect)


def _insert(name: str, columns: Sequence[str], dialect: str) -> str:
    values = exp.values([tuple(exp.Placeholder() for _ in columns)])
    return exp.insert(values, name, columns=[exp.to_identifier(c, quoted=True) for c in columns]).sql(dialect)


def run(engine: str, table: str, types: Mapping[str, str], rows: Sequence[Row], query: exp.Select) -> list[Row]:
    """`query` over a table of `rows` (columns typed as `types`) on DuckDB or SQLite (in memory)."""
    connection: Any = duckdb.connect() if engine == "duckdb" else sqlite3.connect(":memory:")
    try:
        connection.execute(_create(table, types, engine))
        if rows:
            connection.executemany(_insert(table, list(types), engine), [tuple(r[c] for c in types) for r in rows])
        cursor = connection.execute(query.sql(dialect=engine))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        connection.close()


# the graded table the cohort query reads, made from Python results

def graded(rubric: Rubric, schemes: Sequence[str], results: Sequence[Result],
           errors: Sequence[str] = ()) -> tuple[dict[str, str], list[Row]]:
    """What the scoring and grading query gives per branch, from the Python results: the total
    in grid units, 未达标类型数, the vetoes, each scheme's level and code, and each extra — a
    number as a BIGINT over one denominator for the whole batch (the least common one). Rows
    named in `errors` have an error code and values that must not matter."""
    step = evaluator_for(rubric).grid.step
    extras = cohort_extras(rubric, schemes)
    compiler = ExprCompiler({*rubric.facts, *rubric.lets})
    tests = {name: compiler.compile(e) for name, e in extras.items()}
    values = [result_values(r) for r in results]
    read = {name: [test(v) for v in values] for name, test in tests.items()}
    types = {"id": "VARCHAR", "error": "VARCHAR", "total_units": "BIGINT", "below_pass": "BIGINT"}
    types |= {f"veto_{v}": "BOOLEAN" for v in range(1, len(rubric.vetoes) + 1)}
    for k in range(1, len(schemes) + 1):
        types |= {f"level_{k}": "VARCHAR", f"level_{k}_code": "BIGINT"}
    rows: list[Row] = []
    for result, value in zip(results, values):
        row: Row = {"id": result.id, "error": None, "total_units": int(Fraction(result.total) / step),
                    "below_pass": int(value[BELOW_PASS_KEY])}
        row |= {f"veto_{v}": veto.fired for v, veto in enumerate(result.vetoes, 1)}
        for k, scheme in enumerate(schemes, 1):
            level = result.level(scheme).level
            row |= {f"level_{k}": level, f"level_{k}_code": grade_plan(rubric, scheme).names.index(level)}
        rows.append(row)
    for name, found in read.items():
        if all(isinstance(v, bool) for v in found):
            types[name] = "BOOLEAN"
            for row, v in zip(rows, found):
                row[name] = v
        else:
            common = math.lcm(1, *(Fraction(v).denominator for v in found))
            types[name] = "BIGINT"
            for row, v in zip(rows, found):
                row[name] = int(Fraction(v) * common)
    for n, code in enumerate(errors, 1):  # a junk row: the best total, every flag set, level 0
        junk: Row = {c: (True if t == "BOOLEAN" else 10**6 if t == "BIGINT" else None) for c, t in types.items()}
        junk |= {"id": f"错{n}", "error": code, "below_pass": 0} | {c: 0 for c in types if c.endswith("_code")}
        rows.append(junk)
    return types, rows


def over_graded(rubric: Rubric, schemes: Sequence[str], results: Sequence[Result], engine: str,
                errors: Sequence[str] = ()) -> list[Row]:
    types, rows = graded(rubric, schemes, results, errors)
    inner = exp.select(*(exp.column(c, quoted=True) for c in types)).from_("graded")
    return run(engine, "graded", types, rows, cohort_query(rubric, schemes, inner, engine))


def over_evidence(rubric: Rubric, schemes: Sequence[str], records: Sequence[Row], engine: str, table: Any = None,
                  within: str | None = None) -> list[Row]:
    """The whole query with the cohort rules (QuerySpec(cohort=True), points only; ranked `within` a fact's
    values if given) over the evidence table (`table`: the records' own, made here when None). SQLite has no
    DECIMAL: a number column there holds the value × 10^scale as an integer (fixed point, as the query reads
    it in that dialect)."""
    table = evidence_table(rubric, records) if table is None else table
    scales = column_scales(rubric, table.schema)
    spec = QuerySpec(tuple(table.schema.names), scales, tuple(schemes), cohort=True, units=False, within=within)
    query = compile_query(rubric, engine, "evidence", spec)
    assert list(query.named_selects) == [c.column for c in result_columns(rubric, spec, engine)]
    arrow = {"string": "VARCHAR", "bool": "BOOLEAN", "int64": "BIGINT"}
    types = {f.name: arrow.get(str(f.type)) or ("BIGINT" if engine == "sqlite" else
                                                f"DECIMAL({f.type.precision}, {f.type.scale})")
             for f in table.schema}
    rows = table.to_pylist()
    if engine == "sqlite":
        for row in rows:
            for name, value in row.items():
                if isinstance(value, Decimal):
                    fixed = value.scaleb(scales[name])
                    assert fixed == int(fixed)
                    row[name] = int(fixed)
    return run(engine, "evidence", types, rows, query)


def cohort(rubric: Rubric, schemes: Sequence[str], records: Sequence[Row], route: str, engine: str,
           scheme: int = 1) -> dict[str, Placed]:
    """Per branch id, scheme number `scheme`'s (rank, level after quotas, 待定, marks)."""
    if route == "inner":
        rows = over_graded(rubric, schemes, [rubric.evaluate(r) for r in records], engine)
    else:
        rows = over_evidence(rubric, schemes, records, engine)
    return placed(rubric, schemes, rows, scheme)


def placed(rubric: Rubric, schemes: Sequence[str], rows: Sequence[Row], scheme: int = 1) -> dict[str, Placed]:
    marks = [c for c in cohort_columns(rubric, schemes) if c.kind == "mark" and c.column.startswith(f"mark_{scheme}_")]
    out: dict[str, Placed] = {}
    for row in rows:
        pending = row[f"pending_{scheme}"]
        shown = None if pending is None else frozenset(str(c.mark) for c in marks if row[c.column])
        out[row["id"]] = (row[f"rank_{scheme}"], row[f"final_level_{scheme}"],
                          None if pending is None else bool(pending), shown)
    return out


def reference(results: Sequence[Result], scheme: str) -> dict[str, Placed]:
    """The same from `starrules.rank`: 待定 apart from the other marks."""
    return {str(b.id): (b.rank, b.level, "待定" in b.marks, frozenset(m for m in b.marks if m != "待定"))
            for b in rank(results, scheme).branches}


def pairs_batch(pairs: Sequence[tuple[float, float]], field: str | None = "农村") -> list[Row]:
    return [{"id": f"支部{n}", "甲项": a, "乙项": b, **({"领域": field} if field else {})}
            for n, (a, b) in enumerate(pairs, 1)]


def levels_of(found: Mapping[str, Placed]) -> list[tuple[str | None, bool | None]]:
    """(level, 待定) in the order of the ids 支部1, 支部2, …"""
    return [(found[f"支部{n}"][1], found[f"支部{n}"][2]) for n in range(1, len(found) + 1)]


def marked(found: Mapping[str, Placed], mark: str = "相对后进") -> list[str]:
    return sorted(i for i, p in found.items() if p[3] and mark in p[3])


# quotas

@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_the_wuwei_quota_plan(route: str, engine: str) -> None:
    # totals 98, 96, 93, 91, 90.5, 85 → by score 五 五 四 四 四 三 (星级: 95/90/80/70/60)
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))
    found = cohort(rubric, ["星级"], pairs_batch([(50, 48), (48, 48), (45, 48), (45, 46), (45, 45.5), (40, 45)]),
                   route, engine)
    assert [found[f"支部{n}"][0] for n in range(1, 7)] == [1, 2, 3, 4, 5, 6]
    # 五星级 1 of (98, 96): 96 falls to 四星级; 四星级 2 of (96, 93, 91, 90.5): 91 and 90.5 fall;
    # 三星级 1 of (91, 90.5, 85): 91 keeps it; 90.5 and 85 stay at 三星级 (the lowest level with a
    # quota), 待定
    assert levels_of(found) == [("五星级", False), ("四星级", False), ("四星级", False), ("三星级", False),
                                ("三星级", True), ("三星级", True)]


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_five_tied_at_100_are_referred_or_fall_together(route: str, engine: str) -> None:
    five = pairs_batch([(50, 50)] * 5)
    # tied across the 五星级 cut (1 place, 5 at 100: COUNT 5 > 1, RANK 1 ≤ 1): all 待定 at 五星级
    pending = cohort(loads(RANKED.format(rules=WUWEI_PLAN)), ["星级"], five, route, engine)
    assert levels_of(pending) == [("五星级", True)] * 5
    assert {p[0] for p in pending.values()} == {1}  # one shared rank
    # 名额并列 落级: all fall to 四星级 (2 places, 5 tied: fall), to 三星级 (1 place): the lowest level
    # with a quota, where they stay, 待定
    falling = cohort(loads(RANKED.format(rules=WUWEI_PLAN + "\n    名额并列 落级")), ["星级"], five, route, engine)
    assert levels_of(falling) == [("三星级", True)] * 5
    # all 96, 甲 50 … 46 decides: 五星级 1 (甲 50), 四星级 2 (49, 48), 三星级 1 (47), the fifth 待定
    tied_96 = pairs_batch([(50, 46), (49, 47), (48, 48), (47, 49), (46, 50)])
    broken = cohort(loads(RANKED.format(rules=WUWEI_PLAN + "\n    并列 依次比较 @甲")), ["星级"], tied_96, route, engine)
    assert [broken[f"支部{n}"][0] for n in range(1, 6)] == [1, 2, 3, 4, 5]
    assert levels_of(broken) == [("五星级", False), ("四星级", False), ("四星级", False), ("三星级", False),
                                 ("三星级", True)]


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_a_tie_at_the_cut_lets_none_in_and_equal_ranks_are_shared(route: str, engine: str) -> None:
    # 98, 97, 97: ranks 1, 2, 2; 五星级 1 place: 97 and 97 fall, to 四星级's 2 places: both fit
    found = cohort(loads(RANKED.format(rules=WUWEI_PLAN)), ["星级"], pairs_batch([(50, 48), (48, 49), (49, 48)]),
                   route, engine)
    assert [found[f"支部{n}"][0] for n in (1, 2, 3)] == [1, 2, 2]
    assert levels_of(found) == [("五星级", False), ("四星级", False), ("四星级", False)]
    # 45+45 = 90, 40+50 = 90, 50+40 = 90, 30+30 = 60 with 并列 依次比较 @甲: 50 > 45 > 40
    keyed = loads(RANKED.format(rules="并列 依次比较 @甲"))
    ranks = cohort(keyed, ["星级"], pairs_batch([(45, 45), (40, 50), (50, 40), (30, 30)]), route, engine)
    assert [ranks[f"支部{n}"][0] for n in range(1, 5)] == [2, 3, 1, 4]
    shared = cohort(keyed, ["星级"], pairs_batch([(45, 45), (40, 50), (40, 50), (30, 30)]), route, engine)
    assert [shared[f"支部{n}"][0] for n in range(1, 5)] == [1, 2, 2, 4]


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_a_share_quota_allows_the_floor_of_p_n(route: str, engine: str) -> None:
    ten = pairs_batch([(50, 48)] * 10)  # ⌊30% × 10⌋ = 3 places, ten tied at 98: all 待定
    found = cohort(loads(RANKED.format(rules="名额 五星级 30%")), ["星级"], ten, route, engine)
    assert levels_of(found) == [("五星级", True)] * 10
    # 落级: none gets in; 四星级 100% gives ⌊1 × 10⌋ = 10 places: all ten are 四星级
    fall = loads(RANKED.format(rules="名额 五星级 30%, 四星级 100%\n    名额并列 落级"))
    assert levels_of(cohort(fall, ["星级"], ten, route, engine)) == [("四星级", False)] * 10
    # 100, 99.5, … 97: ⌊30% × 7⌋ = ⌊2.1⌋ = 2 places; the other five stay (五星级 is the lowest planned level), 待定
    seven = pairs_batch([(50, 50 - n / 2) for n in range(7)])
    found = cohort(loads(RANKED.format(rules="名额 五星级 30%")), ["星级"], seven, route, engine)
    assert levels_of(found) == [("五星级", False)] * 2 + [("五星级", True)] * 5


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_quotas_per_group(route: str, engine: str) -> None:
    rules = ("名额 五星级 1, 四星级 100% 当 领域 属于 [国有企业, 非公企业]\n"
             "    名额 五星级 50%, 四星级 100% 当 领域 = 农村")
    rubric = loads(RANKED.format(rules=rules))
    records = [{"id": i, "甲项": 50, "乙项": b, "领域": f}
               for i, b, f in [("企1", 50, "国有企业"), ("企2", 48, "非公企业"), ("村1", 49, "农村"), ("村2", 47, "农村")]]
    found = cohort(rubric, ["星级"], records, route, engine)
    # firms 100, 98: 1 place; villages 99, 97: ⌊50% × 2⌋ = 1 place; each group's second falls to
    # 四星级 (⌊100% × 2⌋ = 2 places); ranks over the whole batch: 100, 99, 98, 97
    assert found == {"企1": (1, "五星级", False, frozenset()), "村1": (2, "五星级", False, frozenset()),
                     "企2": (3, "四星级", False, frozenset()), "村2": (4, "四星级", False, frozenset())}


# forced bottom shares

@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_a_forced_share_rounds_up_and_takes_a_tie_at_its_cut(route: str, engine: str) -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))  # 分类定级: 倒排 10% 当 企业, 5% 其他
    distinct = cohort(rubric, ["分类定级"], pairs_batch([(50, 50 - n) for n in range(23)]), route, engine)
    assert marked(distinct) == ["支部22", "支部23"]  # ⌈5% × 23⌉ = ⌈1.15⌉ = 2: totals 79 and 78
    pairs = [(50, 50 - n) for n in range(20)] + [(30, 30)] * 3  # the bottom three tie at 60
    tied = cohort(rubric, ["分类定级"], pairs_batch(pairs), route, engine)
    assert marked(tied) == ["支部21", "支部22", "支部23"]  # 2 to mark, the third tied with the second


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_forced_shares_per_group(route: str, engine: str) -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN))
    firms = [{"id": f"企{n}", "甲项": 50, "乙项": 49 - n, "领域": "国有企业"} for n in range(11)]
    villages = [{"id": f"村{n}", "甲项": 50, "乙项": 49 - n, "领域": "农村"} for n in range(19)]
    found = cohort(rubric, ["分类定级"], firms + villages, route, engine)
    # firms: ⌈10% × 11⌉ = ⌈1.1⌉ = 2 (企9, 企10); the others: ⌈5% × 19⌉ = ⌈0.95⌉ = 1 (村18)
    assert marked(found) == ["企10", "企9", "村18"]


def vetoed_records(rows: Sequence[tuple[float, float, bool]]) -> list[Row]:
    return [{"id": f"支部{n}", "甲项": a, "乙项": b, "违纪": v} for n, (a, b, v) in enumerate(rows, 1)]


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_vetoed_branches_come_last_and_are_all_marked(route: str, engine: str) -> None:
    # totals 100 (vetoed), 95, 90, 85 (甲 25 < 达标 30), 80
    rows = vetoed_records([(50, 50, True), (48, 47, False), (45, 45, False), (25, 50, False), (40, 40, False)])
    ten = cohort(loads(VETOED.format(rules="倒排 10% 为 相对后进")), ["星级"], rows, route, engine)
    assert marked(ten) == ["支部1"]  # ⌈10% × 5⌉ = 1: the vetoed one, last whatever its total
    # ⌈30% × 5⌉ = 2: the vetoed one, then 支部4 (a section below its line) before 支部5 (80)
    thirty = cohort(loads(VETOED.format(rules="倒排 30% 为 相对后进")), ["星级"], rows, route, engine)
    assert marked(thirty) == ["支部1", "支部4"]
    # two vetoed and ⌈10% × 5⌉ = 1: both marked all the same
    two = vetoed_records([(50, 50, True), (20, 20, True), (45, 45, False), (40, 45, False), (40, 40, False)])
    assert marked(cohort(loads(VETOED.format(rules="倒排 10% 为 相对后进")), ["星级"], two, route, engine)) == \
        ["支部1", "支部2"]


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_also_below_a_level_marks_those_and_a_share_of_the_rest(route: str, engine: str) -> None:
    # totals 98, 93, 91, 85, 70, 65: 70 (二星级) and 65 (一星级) are below 三星级; of the other four
    # ⌈25% × 4⌉ = 1: 85
    rows = vetoed_records([(49, 49, False), (47, 46, False), (46, 45, False), (40, 45, False), (35, 35, False),
                           (35, 30, False)])
    rubric = loads(VETOED.format(rules="倒排 25% 为 相对后进 另加 低于 三星级"))
    found = cohort(rubric, ["星级"], rows, route, engine)
    assert levels_of(found) == [("五星级", False), ("四星级", False), ("四星级", False), ("三星级", False),
                                ("二星级", False), ("一星级", False)]
    assert marked(found) == ["支部4", "支部5", "支部6"]


# ranking by level, derived schemes, rows with errors

HOTEL = """
条件 五星条件 = @必备项目 >= 540 且 @设施设备 >= 480
条件 四星条件 = @必备项目 >= 480 且 @设施设备 >= 400
等级 饭店星级 {
    五星级 且 五星条件
    四星级 且 四星条件
    未评星
}
排名 饭店星级 {
    并列 依次比较 @必备项目, @设施设备
    倒排 25% 为 末位
}
标准 饭店示例 {
    总分 不计
    满分 1200
    等级 饭店星级
    事实 发生重大安全责任事故: 是否 默认 否
    类型 必备项目 600分 { 项目 服务 600分 { 酌情 } }
    类型 设施设备 600分 { 项目 设施 600分 { 酌情 } }
    否决 如果 发生重大安全责任事故 "发生重大安全责任事故的,不予评星"
}
"""


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_a_total_not_counted_ranks_by_level_first(route: str, engine: str) -> None:
    """docs/language.md §4 (只用条件定级): 五星级 first, 四星级 second; of the two 未评星 both have
    必备项目 600, and 设施设备 600 > 300 puts the vetoed one third. 倒排 25%: ⌈25% × 4⌉ = 1, the
    vetoed one (last whatever its rank)."""
    records = [{"id": "甲", "服务": 560, "设施": 500}, {"id": "乙", "服务": 600, "设施": 300},
               {"id": "丙", "服务": 500, "设施": 420}, {"id": "丁", "服务": 600, "设施": 600, "发生重大安全责任事故": True}]
    found = cohort(loads(HOTEL), ["饭店星级"], records, route, engine)
    assert found == {"甲": (1, "五星级", False, frozenset()), "丙": (2, "四星级", False, frozenset()),
                     "丁": (3, "未评星", False, frozenset({"末位"})), "乙": (4, "未评星", False, frozenset())}


DERIVED = """
排名 星级 {{
    {rules}
}}
排名 等次 {{
    名额 先进 1
}}
标准 派 {{
    满分 100
    等级 星级, 等次
    类型 甲 50分 {{ 项目 甲项 50分 {{ 酌情 }} }}
    类型 乙 50分 {{ 项目 乙项 50分 {{ 酌情 }} }}
}}
"""


@pytest.mark.parametrize(("route", "engine"), ROUTES)
def test_a_derived_scheme_follows_its_base_quotas(route: str, engine: str) -> None:
    """等次 (基于 星级: 先进 = 五星级, 良好 = 四星级, 三星级) under the 武威 plan. 98 and 96 are 五星级
    by score; 五星级 1 place: 96 falls to 四星级 (2 places: 96 and 93 fit), so its 等次 is 良好, not
    先进; 93 is 四星级, 良好."""
    rubric = loads(DERIVED.format(rules=WUWEI_PLAN))
    records = pairs_batch([(50, 48), (48, 48), (45, 48)], None)
    assert levels_of(cohort(rubric, ["星级", "等次"], records, route, engine, scheme=1)) == \
        [("五星级", False), ("四星级", False), ("四星级", False)]
    assert levels_of(cohort(rubric, ["星级", "等次"], records, route, engine, scheme=2)) == \
        [("先进", False), ("良好", False), ("良好", False)]
    # the base listed second: the same
    assert levels_of(cohort(rubric, ["等次", "星级"], records, route, engine, scheme=1)) == \
        [("先进", False), ("良好", False), ("良好", False)]
    # 100 and 100 tie across the 五星级 cut: 待定 in 星级, so 待定 in 等次, where they hold no 先进 place:
    # 等次's own 名额 先进 1 sees no member
    tied = cohort(rubric, ["星级", "等次"], pairs_batch([(50, 50), (50, 50)], None), route, engine, scheme=2)
    assert levels_of(tied) == [("先进", True), ("先进", True)]


def test_a_derived_scheme_whose_base_has_quotas_needs_the_base() -> None:
    rubric = loads(DERIVED.format(rules="名额 五星级 1"))
    with pytest.raises(StarrulesError) as caught:
        cohort_query(rubric, ["等次"], exp.select("*").from_("graded"), "duckdb")
    (diagnostic,) = caught.value.diagnostics
    # the 名额 line of 排名 星级: line 3 (the text starts with a newline), column 5
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E607", 3, 5)
    assert diagnostic.message == "“等次”基于“星级”,要随“星级”的名额调整等级,但 SQL 查询没有按“星级”定级"
    assert "^" in diagnostic.render()
    with pytest.raises(StarrulesError):  # refused as early as the extras are asked for
        cohort_extras(rubric, ["等次"])
    # without quotas in 星级 there is nothing to follow: 等次 alone is fine
    free = loads(DERIVED.format(rules="倒排 10% 为 相对后进"))
    assert cohort_extras(free, ["等次"]) == {}
    cohort_query(free, ["等次"], exp.select(*(exp.column(c) for c in (
        "error", "total_units", "below_pass", "level_1_code"))).from_("graded"), "duckdb")


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_with_errors_take_no_part(engine: str) -> None:
    """20 branches, 100 … 81, and three rows with an error (each with a junk total of 10^6 units,
    level 0, every veto set). 倒排 5%: ⌈5% × 20⌉ = 1 marks 支部20 alone (counting the three would
    make it ⌈1.15⌉ = 2); 名额 五星级 9%: ⌊9% × 20⌋ = ⌊1.8⌋ = 1 place, 支部1's (with the three,
    ⌊2.07⌋ = 2), so 99 … 95 fall to 四星级; the ranks are 1 … 20; the error rows get NULL."""
    rubric = loads(RANKED.format(rules="名额 五星级 9%, 四星级 100%\n    倒排 5% 为 相对后进"))
    results = [rubric.evaluate(r) for r in pairs_batch([(50, 50 - n) for n in range(20)])]
    rows = over_graded(rubric, ["星级"], results, engine, errors=["E512", "E503", "E521"])
    found = placed(rubric, ["星级"], rows)
    assert marked(found) == ["支部20"]
    assert [found[f"支部{n}"][0] for n in range(1, 21)] == list(range(1, 21))
    assert [found[f"支部{n}"][1] for n in range(1, 7)] == ["五星级"] + ["四星级"] * 5
    assert [found[f"错{n}"] for n in (1, 2, 3)] == [(None, None, None, None)] * 3
    assert all(r["final_level_1_code"] is None and r["mark_1_1"] is None for r in rows if r["error"])


# the columns, the inner query's contract, dialects

def test_cohort_columns_name_each_mark() -> None:
    rubric = loads(RANKED.format(rules="倒排 10% 为 相对后进 当 领域 = 农村\n    倒排 5% 为 后进 其他\n"
                                      "    倒排 5% 为 相对后进 当 领域 = 机关\n    并列 依次比较 @甲, @乙"))
    assert cohort_columns(rubric, ["星级"]) == (
        CohortColumn("rank_1", "rank", "星级"), CohortColumn("final_level_1", "level", "星级"),
        CohortColumn("final_level_1_code", "level_code", "星级"), CohortColumn("pending_1", "pending", "星级"),
        CohortColumn("mark_1_1", "mark", "星级", "相对后进"), CohortColumn("mark_1_2", "mark", "星级", "后进"))
    extras = cohort_extras(rubric, ["星级"])
    assert list(extras) == ["_k1_tie1", "_k1_tie2", "_k1_when1", "_k1_when3"]  # statements 1 and 3 have 当


def test_named_conditions_are_written_out_in_the_extras() -> None:
    named = loads("条件 村里 = 领域 = 农村\n" + RANKED.format(rules="倒排 10% 为 相对后进 当 村里"))
    written = loads(RANKED.format(rules="倒排 10% 为 相对后进 当 领域 = 农村"))
    assert cohort_extras(named, ["星级"]) == cohort_extras(written, ["星级"])  # spans aside
    (when,) = cohort_extras(written, ["星级"]).values()
    assert isinstance(when, ast.Compare)


def test_the_inner_query_must_give_what_the_rules_read() -> None:
    rubric = loads(RANKED.format(rules="并列 依次比较 @甲"))
    inner = exp.select(*(exp.column(c) for c in ("id", "error", "total_units", "below_pass", "level_1_code")))
    with pytest.raises(ValueError, match="_k1_tie1"):
        cohort_query(rubric, ["星级"], inner.from_("graded"), "duckdb")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_the_query_parses_back_in_every_dialect(dialect: str) -> None:
    rubric = loads(RANKED.format(rules=WUWEI_PLAN + "\n    名额 五星级 50% 当 领域 = 农村\n    名额并列 落级\n"
                                      "    倒排 10% 为 相对后进 另加 低于 三星级 当 领域 = 机关\n    倒排 5% 为 相对后进 其他\n"
                                      "    并列 依次比较 @甲"))
    spec = QuerySpec(("id", "甲项", "乙项", "领域"), {}, ("星级",), cohort_extras(rubric, ["星级"]))
    sql = cohort_query(rubric, ["星级"], compile_query(rubric, dialect, "evidence", spec), dialect).sql(dialect=dialect)
    assert sqlglot.parse_one(sql, read=dialect).sql(dialect=dialect) == sql
    assert "DOUBLE" not in sql and "FLOAT" not in sql.upper()


# generated rubrics and batches: DuckDB and SQLite equal `rank` exactly

LEVELS = ("优秀", "良好", "合格", "基本合格", "不合格")
CONDITIONS = ("领域 = 农村", "领域 属于 [社区, 机关]", "大", "规模 < 2")
KEYS = ("@甲", "规模", "@乙.得分率", "若 大 则 1 否则 0")
A_SCORES, B_SCORES = (20, 30, 40, 45, 50), (30, 40, 50)  # few values: many ties


@st.composite
def quota_line(draw: st.DrawFn, levels: Sequence[str]) -> str:
    chosen = draw(st.lists(st.sampled_from(levels), min_size=1, max_size=3))
    amounts = [draw(st.one_of(st.integers(0, 2).map(str), st.sampled_from(["10%", "25%", "50%", "100%"])))
               for _ in chosen]
    when = draw(st.one_of(st.none(), st.sampled_from(CONDITIONS)))
    entries = ", ".join(f"{level} {amount}" for level, amount in zip(chosen, amounts))
    return f"名额 {entries}" + (f" 当 {when}" if when else "")


@st.composite
def share_line(draw: st.DrawFn, levels: Sequence[str]) -> str:
    text = f"倒排 {draw(st.sampled_from([0, 5, 10, 25, 50]))}% 为 {draw(st.sampled_from(['相对后进', '后进']))}"
    if draw(st.booleans()):
        text += f" 另加 低于 {draw(st.sampled_from(levels))}"
    scope = draw(st.sampled_from(["", " 其他", *(f" 当 {c}" for c in CONDITIONS)]))
    return text + scope


@st.composite
def ranking_block(draw: st.DrawFn, scheme: str, levels: Sequence[str], quotas: int = 0) -> str:
    """`quotas`: at least so many 名额 lines."""
    lines = draw(st.lists(quota_line(levels), min_size=quotas, max_size=2))
    lines += draw(st.lists(share_line(levels), max_size=3))
    if draw(st.booleans()):
        lines.append(f"名额并列 {draw(st.sampled_from(['待定', '落级']))}")
    keys = draw(st.lists(st.sampled_from(KEYS), max_size=2, unique=True))
    if keys:
        lines.append("并列 依次比较 " + ", ".join(keys))
    lines = draw(st.permutations(lines))
    return f"排名 {scheme} {{\n" + "".join(f"    {line}\n" for line in lines) + "}\n"


@st.composite
def cohort_case(draw: st.DrawFn) -> tuple[str, tuple[str, ...], list[Row]]:
    """A scheme of 3–5 levels (by total, or by @甲 for 总分 不计), maybe a 降档, maybe a derived
    scheme; 排名 blocks with quotas, forced shares, 名额并列 and 并列 keys; two vetoes (the second
    maybe capping); a batch drawn from few scores. The rubric as text: a failing case prints it."""
    count = draw(st.integers(3, 5))
    levels = LEVELS[:count]
    by_level = draw(st.booleans())
    if by_level:
        bounds = sorted(draw(st.lists(st.sampled_from(A_SCORES), min_size=count - 1, max_size=count - 1,
                                      unique=True)), reverse=True)
        bands = [f"{lv} 且 @甲 >= {b}" for lv, b in zip(levels, bounds)]
    else:
        bounds = sorted(draw(st.lists(st.sampled_from([60, 70, 75, 80, 85, 90, 95]), min_size=count - 1,
                                      max_size=count - 1, unique=True)), reverse=True)
        bands = [f"{lv} >= {b}分" for lv, b in zip(levels, bounds)]
    bands.append(levels[-1])
    if draw(st.booleans()):
        bands.append("降档 1 如果 未达标类型数 >= 1")
    text = "条件 大 = 规模 >= 3\n等级 生成方案 {\n" + "".join(f"    {b}\n" for b in bands) + "}\n"
    text += draw(ranking_block("生成方案", levels, quotas=draw(st.sampled_from([0, 1, 1]))))
    schemes: tuple[str, ...] = ("生成方案",)
    if draw(st.booleans()):
        cut = draw(st.integers(1, count - 1))
        text += (f"等级 派生方案 基于 生成方案 {{\n    上 = {', '.join(levels[:cut])}\n"
                 f"    下 = {', '.join(levels[cut:])}\n}}\n")
        text += draw(ranking_block("派生方案", ["上", "下"]))
        schemes = draw(st.sampled_from([("生成方案", "派生方案"), ("派生方案", "生成方案")]))
    cap = draw(st.one_of(st.none(), st.sampled_from(levels)))
    text += ("标准 生成 {\n    满分 100\n" + ("    总分 不计\n" if by_level else "")
             + f"    等级 {', '.join(schemes)}\n"
             "    事实 领域: 选项(农村, 社区, 机关) 默认 农村\n    事实 规模: 计数 默认 0\n"
             "    事实 违纪: 是否 默认 否\n    事实 违规: 是否 默认 否\n"
             "    类型 甲 50分 达标 30分 { 项目 甲项 50分 { 酌情 } }\n"
             "    类型 乙 50分 { 项目 乙项 50分 { 酌情 } }\n"
             "    否决 如果 违纪\n" + f"    否决 如果 违规{f' 最高 {cap}' if cap else ''}\n}}\n")
    record = st.fixed_dictionaries({
        "甲项": st.sampled_from(A_SCORES), "乙项": st.sampled_from(B_SCORES),
        "领域": st.sampled_from(["农村", "社区", "机关"]), "规模": st.integers(0, 4),
        "违纪": st.sampled_from([False] * 5 + [True]), "违规": st.sampled_from([False] * 5 + [True])})
    size = draw(st.integers(0, 16))  # drawn first: lists alone lean to a few rows
    records = [{"id": f"支部{n}", **r} for n, r in enumerate(draw(st.lists(record, min_size=size, max_size=size)), 1)]
    return text, schemes, records


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cohort_case(), st.lists(st.sampled_from(["E512", "E521"]), max_size=2))
def test_duckdb_and_sqlite_equal_rank_on_generated_rubrics(case: tuple[str, tuple[str, ...], list[Row]],
                                                           errors: list[str]) -> None:
    text, schemes, records = case
    rubric = loads(text)
    results = [rubric.evaluate(r) for r in records]
    for engine in ENGINES:
        inner = over_graded(rubric, schemes, results, engine, errors)
        whole = over_evidence(rubric, schemes, records, engine)
        for k, scheme in enumerate(schemes, 1):
            expected = reference(results, scheme)
            assert placed(rubric, schemes, inner, k) == expected | {f"错{n}": (None, None, None, None)
                                                                    for n in range(1, len(errors) + 1)}
            assert placed(rubric, schemes, whole, k) == expected


SHARED_RULES = WUWEI_PLAN + "\n    倒排 20% 为 相对后进"  # quotas and a forced share: ⌈20% × 6⌉ = 2 marked


def test_cohort_in_the_spec_is_the_inner_query_wrapped() -> None:
    # QuerySpec(cohort=True) adds what the rules read to the extras and wraps the query in
    # cohort_query: the same query a caller composing the two gets, and its columns listed
    rubric = loads(RANKED.format(rules=SHARED_RULES))
    columns = ("id", "甲项", "乙项", "领域")
    inner = compile_query(rubric, "duckdb", "evidence", QuerySpec(columns, {}, ("星级",), cohort_extras(rubric, ["星级"])))
    wrapped = cohort_query(rubric, ["星级"], inner, "duckdb")
    spec = QuerySpec(columns, {}, ("星级",), cohort=True)
    assert compile_query(rubric, "duckdb", "evidence", spec).sql() == wrapped.sql()
    listed = result_columns(rubric, spec)
    assert [c.column for c in listed] == list(wrapped.named_selects)
    assert [(c.column, c.kind, c.name) for c in listed[-5:]] == [
        ("rank_1", "rank", "星级"), ("final_level_1", "final_level", "星级"),
        ("final_level_1_code", "final_level_code", "星级"), ("pending_1", "pending", "星级"),
        ("mark_1_1", "mark", "相对后进")]


def test_cli_sql_cohort_prints_the_window_functions(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    from starrules.cli import main

    path = tmp_path / "ranked.rubric"
    path.write_text(RANKED.format(rules=SHARED_RULES), encoding="utf-8")
    assert main(["sql", str(path), "--cohort", "--no-units", "--id"]) == 0
    printed = capsys.readouterr().out.strip().rstrip(";")
    query = sqlglot.parse_one(printed, read="duckdb")
    assert {"rank_1", "final_level_1", "pending_1", "mark_1_1", "total_units", "total"} <= set(query.named_selects)
    assert "item_1_units" not in query.named_selects  # --no-units: points only (the total's units rank)
    # the printed query scores and places the wuwei batch as test_the_wuwei_quota_plan says
    records = pairs_batch([(50, 48), (48, 48), (45, 48), (45, 46), (45, 45.5), (40, 45)])
    table = pa.table({"id": [r["id"] for r in records], "甲项": [Decimal(str(r["甲项"])) for r in records],
                      "乙项": [Decimal(str(r["乙项"])) for r in records], "领域": [r["领域"] for r in records]})
    connection = duckdb.connect()
    connection.register("evidence", table)
    rows = connection.sql(printed).fetchall()
    names = list(query.named_selects)
    got = sorted((row[names.index("id")], row[names.index("final_level_1")], row[names.index("pending_1")],
                  row[names.index("mark_1_1")]) for row in rows)
    # the last two of six (90.5 and 85) are 相对后进
    assert got == [("支部1", "五星级", False, False), ("支部2", "四星级", False, False),
                   ("支部3", "四星级", False, False), ("支部4", "三星级", False, False),
                   ("支部5", "三星级", True, True), ("支部6", "三星级", True, True)]
