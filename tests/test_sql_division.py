"""Division by what a branch gives, in SQL (starrules/sql/scoring.py `Compiler.divided`): a row
gets `error = 'E510'` exactly where `rubric.evaluate` raises E510 — where the reference evaluates a
division whose divisor is 0 — and nothing is scored on it; every other row is scored exactly.
Hand-worked cases on DuckDB and SQLite (a 令, a 若 that avoids the 0, 且 / 或 that stop before it,
an item's 不适用 rules, a level condition and a 降档, a veto, a notice, the order of validation,
E521 and E510), each also held to `rubric.evaluate`; the duckdb engine's batches equal numpy's; and
generated rubrics dividing by counts that are often 0, inside 若 / 且 / 或 / 任一 / 全部 / 属于 /
满足数, in lets, item rules, vetoes, level and 降档 conditions, notices and the 适用 line."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from starrules import EvidenceError, Rubric, loads

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")

import sqlglot  # noqa: E402

from starrules.sql.query import QuerySpec, query_sql  # noqa: E402
from starrules.sql.runner import evidence_table, score_duckdb, score_sqlite  # noqa: E402
from tests.test_sql_engine import same  # noqa: E402
from tests.test_sql_scoring import DIALECTS  # noqa: E402

ENGINES = ["duckdb", "sqlite"]


def scored(engine: str, rubric: Rubric, table: Any, schemes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The query's rows on `engine` (SQLite gives grid units and 0 / 1 flags)."""
    if engine == "duckdb":
        return list(score_duckdb(rubric, table, schemes).to_pylist())
    return score_sqlite(rubric, table, schemes)


def summary(row: dict[str, Any], schemes: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """(error, error_field, total in grid units, each level): what the hand-worked cases give."""
    levels = (row[f"level_{k}"] for k in range(1, len(schemes) + 1))
    return (row["error"], row["error_field"], row["total_units"], *levels)


def reference(rubric: Rubric, record: dict[str, Any], schemes: tuple[str, ...]) -> dict[str, Any]:
    """What `rubric.evaluate` gives a record: its first error's code, or every score (grid units),
    veto, level and notice (a division by 0 in the 适用 line itself is E510 too)."""
    try:
        result = rubric.evaluate(record, schemes=schemes)
    except EvidenceError as error:
        return {"error": error.diagnostics[0].code}
    units = rubric.evaluator.grid.units
    return {"error": None, "items": [units(i.score) for i in result.items],
            "sections": [units(g.score) for s in result.sections for g in (s, *s.nested())],
            "total": units(result.total), "vetoes": [v.fired for v in result.vetoes],
            "levels": [result.levels[s].level for s in schemes], "notices": list(result.notices)}


def query_answer(rubric: Rubric, row: dict[str, Any], schemes: tuple[str, ...]) -> dict[str, Any]:
    """A query row in `reference`'s shape (NULL scores on an error row: only the code)."""
    if row["error"] is not None:
        assert row["total_units"] is None and all(row[f"level_{k}"] is None for k in range(1, len(schemes) + 1))
        return {"error": row["error"]}
    plan = rubric.evaluator.plan
    notices = [n.text for k, n in enumerate(rubric.notices, 1) if row[f"notice_{k}"]]
    return {"error": None, "items": [row[f"item_{k}_units"] for k in range(1, len(plan.items) + 1)],
            "sections": [row[f"section_{k}_units"] for k in range(1, len(plan.sections) + 1)],
            "total": row["total_units"], "vetoes": [bool(row[f"veto_{k}"]) for k in range(1, len(plan.vetoes) + 1)],
            "levels": [row[f"level_{k}"] for k in range(1, len(schemes) + 1)], "notices": notices}


def like_evaluate(rubric: Rubric, records: list[dict[str, Any]], rows: list[dict[str, Any]],
                  schemes: tuple[str, ...] = ()) -> None:
    for record, row in zip(records, rows, strict=True):
        assert query_answer(rubric, row, schemes) == reference(rubric, record, schemes), record


def check(engine: str, text: str, records: list[dict[str, Any]], expected: list[tuple[Any, ...]],
          schemes: tuple[str, ...] = ()) -> None:
    """The hand-worked `expected` summaries, and the same rows as `rubric.evaluate` gives them."""
    rubric = loads(text)
    rows = scored(engine, rubric, evidence_table(rubric, records), schemes)
    assert [summary(row, schemes) for row in rows] == expected
    like_evaluate(rubric, records, rows, schemes)


ATTENDANCE = """标准 到会 {{
    精度 1
    事实 到会: 计数
    事实 应到: 计数
    令 到会率 = {rate}
    类型 S 5分 {{ 项目 I 5分 {{ 扣 1分 如果 到会率 少于 0.5 }} }}
}}"""
ROWS = [{"id": "零", "到会": 0, "应到": 0}, {"id": "半", "到会": 1, "应到": 4}, {"id": "满", "到会": 3, "应到": 4}]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_let_dividing_by_zero_is_e510_and_the_other_rows_are_scored(engine: str) -> None:
    # 零: 0 / 0 → E510 at the 令, nothing scored; 半: 1/4 < 0.5 → 5 − 1 = 4; 满: 3/4 → 5
    check(engine, ATTENDANCE.format(rate="到会 / 应到"), ROWS,
          [("E510", "到会率", None), (None, None, 4), (None, None, 5)])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_division_in_the_branch_not_taken_is_never_e510(engine: str) -> None:
    # 零: 应到 = 0 → 1 (the division is not evaluated), not below 0.5 → 5; 半 4; 满 5
    check(engine, ATTENDANCE.format(rate="若 应到 = 0 则 1 否则 到会 / 应到"), ROWS,
          [(None, None, 5), (None, None, 4), (None, None, 5)])


SHORT_CIRCUIT = """标准 短路 {
    精度 1
    事实 到会: 计数
    事实 应到: 计数
    类型 S 10分 {
        项目 甲 5分 { 扣 1分 如果 应到 > 0 且 到会 / 应到 < 0.5 }
        项目 乙 5分 { 扣 1分 如果 应到 = 0 或 到会 / 应到 < 0.5 }
    }
}"""
OPEN = """标准 不短路 {
    精度 1
    事实 到会: 计数
    事实 应到: 计数
    类型 S 5分 { 项目 丙 5分 { 扣 1分 如果 到会 = 0 且 到会 / 应到 < 1 } }
}"""


@pytest.mark.parametrize("engine", ENGINES)
def test_and_or_stop_before_the_division(engine: str) -> None:
    # 零: 甲's 应到 > 0 is false, 乙's 应到 = 0 true: neither divides; 甲 5, 乙 4 → 9
    # 半: 1/4 < 0.5 in both → 4 + 4 = 8; 满: 3/4 → 5 + 5 = 10
    check(engine, SHORT_CIRCUIT, ROWS, [(None, None, 9), (None, None, 8), (None, None, 10)])
    # 到会 = 0 holds, so 0 / 0 is evaluated: E510 at 丙; 到会 1 stops 且 first (5); 0 / 4 < 1 → 4
    check(engine, OPEN, [{"到会": 0, "应到": 0}, {"到会": 1, "应到": 0}, {"到会": 0, "应到": 4}],
          [("E510", "丙", None), (None, None, 5), (None, None, 4)])


LEFT_OUT = """标准 不适用 {{
    精度 1
    事实 到会: 计数
    事实 应到: 计数
    类型 S 10分 {{
        项目 甲 5分 {{ {rules} 扣 1分 如果 到会 / 应到 < 0.5 }}
        项目 乙 5分 {{ }}
    }}
}}"""


@pytest.mark.parametrize("engine", ENGINES)
def test_nothing_after_a_not_applicable_rule_that_holds_divides(engine: str) -> None:
    text = LEFT_OUT.format(rules="不适用 如果 应到 = 0 不适用 如果 到会 / 应到 > 1")
    # (0, 0): the first rule holds — the second rule and the 扣 are not evaluated: 甲 out, total 乙 5
    # (5, 4): 5/4 > 1, out: 5; (1, 4): applicable, 1/4 < 0.5 → 4 + 5 = 9; (3, 4): 10
    records = [{"到会": 0, "应到": 0}, {"到会": 5, "应到": 4}, {"到会": 1, "应到": 4}, {"到会": 3, "应到": 4}]
    check(engine, text, records, [(None, None, 5), (None, None, 5), (None, None, 9), (None, None, 10)])
    # a 不适用 rule that divides is evaluated first: E510 at 甲 for (0, 0)
    check(engine, LEFT_OUT.format(rules="不适用 如果 到会 / 应到 > 1"), records[:1], [("E510", "甲", None)])


LEVELS = """标准 定级 {
    精度 1
    满分 10
    等级 档
    事实 到会: 计数
    事实 应到: 计数
    事实 差: 是否
    类型 S 10分 { 项目 I 10分 { 扣 2分 如果 差 } }
    提示 如果 应到 > 0 且 到会 / 应到 > 1 "到会多于应到"
}
等级 档 {
    上 >= 9分 且 到会 / 应到 >= 0.5
    中 >= 6分
    下
}
等级 降 {
    上 >= 9分
    下
    降档 1 如果 到会 / 应到 < 0.5
}
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_level_condition_divides_only_where_the_grader_reaches_its_level(engine: str) -> None:
    records = [{"到会": 0, "应到": 0, "差": False}, {"到会": 0, "应到": 0, "差": True},
               {"到会": 1, "应到": 4, "差": False}, {"到会": 4, "应到": 4, "差": False}]
    # 10 分 reaches 上's bound, so 0 / 0 is tested: E510 at 档; 8 分 does not: 中, no division;
    # 1/4 < 0.5: not 上 → 中; 4/4: 上
    check(engine, LEVELS, records, [("E510", "档", None, None), (None, None, 8, "中"), (None, None, 10, "中"),
                                    (None, None, 10, "上")], ("档",))
    # a 降档 condition is tested on every graded row: both 0 / 0 rows are E510; 1/4 < 0.5 → 上 − 1 = 下
    check(engine, LEVELS, records, [("E510", "降", None, None), ("E510", "降", None, None), (None, None, 10, "下"),
                                    (None, None, 10, "上")], ("降",))
    # graded under neither: no level condition is evaluated; the notice's 且 stops at 应到 > 0
    check(engine, LEVELS, records, [(None, None, 10), (None, None, 8), (None, None, 10), (None, None, 10)])


VETO = """标准 否决 {
    精度 1
    事实 到会: 计数
    事实 应到: 计数
    类型 S 5分 { 项目 I 5分 { } }
    否决 如果 到会 / 应到 < 0.2
    提示 如果 到会 / 应到 > 1 "到会多于应到"
}"""


@pytest.mark.parametrize("engine", ENGINES)
def test_a_veto_or_a_notice_dividing_by_zero(engine: str) -> None:
    # (0, 0): the veto divides first (E510 at 否决 1); (0, 5): 0 < 0.2 fires; (6, 5): the notice holds
    rubric = loads(VETO)
    records = [{"到会": 0, "应到": 0}, {"到会": 0, "应到": 5}, {"到会": 6, "应到": 5}]
    rows = scored(engine, rubric, evidence_table(rubric, records))
    assert [(*summary(row), bool(row["veto_1"]) if row["veto_1"] is not None else None,
             None if row["notice_1"] is None else bool(row["notice_1"])) for row in rows] == [
        ("E510", "否决 1", None, None, None), (None, None, 5, True, False), (None, None, 5, False, True)]
    like_evaluate(rubric, records, rows)


ORDER = """标准 先后 {
    精度 1
    事实 规模: 计数 默认 0
    事实 到会: 计数
    事实 应到: 计数
    令 到会率 = 到会 / 应到
    适用 如果 规模 > 0
    类型 S 5分 { 项目 I 5分 { 扣 1分 如果 到会率 < 0.5 } }
}"""


@pytest.mark.parametrize("engine", ENGINES)
def test_validation_then_e521_on_the_evidence_as_given_then_e510_then_e521_on_the_scored_values(engine: str) -> None:
    rubric = loads(ORDER)
    # 负: 到会 −1 is E504, before anything is computed; 零规模: 规模 0 is given, so 适用 is tested
    # before scoring: E521; 缺规模: 规模 is absent, 适用 waits for the scored values (规模 0 by
    # default) and scoring divides 0 / 0 first: E510; 缺规模半: nothing divides by 0: E521;
    # 有: scored, 1/4 < 0.5 → 4
    records: list[dict[str, Any]] = [{"规模": 1, "到会": -1, "应到": 0}, {"规模": 0, "到会": 0, "应到": 0},
                                     {"到会": 0, "应到": 0}, {"到会": 1, "应到": 4}, {"规模": 2, "到会": 1, "应到": 4}]
    table = pa.table({"规模": pa.array([r.get("规模") for r in records], pa.int64()),
                      "到会": pa.array([r["到会"] for r in records], pa.int64()),
                      "应到": pa.array([r["应到"] for r in records], pa.int64())})
    rows = scored(engine, rubric, table)
    assert [summary(row) for row in rows] == [("E504", "到会", None), ("E521", "适用", None), ("E510", "到会率", None),
                                              ("E521", "适用", None), (None, None, 4)]
    like_evaluate(rubric, records, rows)


def test_the_duckdb_engine_gives_e510_rows_as_the_numpy_engine_does() -> None:
    """The query flags the E510 rows; the engine hands them to the scalar path, which gives the
    numpy engine's RowError, and scores the rest from the query."""
    rubric = loads(LEVELS)
    records = [{"id": "甲", "到会": 0, "应到": 0, "差": False}, {"id": "乙", "到会": 1, "应到": 4, "差": False},
               {"id": "丙", "到会": 0, "应到": 0, "差": True}, {"id": "丁", "到会": 4, "应到": 4, "差": True}]
    table = evidence_table(rubric, records)
    for schemes, failed in ((("档",), ["甲"]), (("降",), ["甲", "丙"]), ((), [])):
        got = list(rubric.evaluate_columns(table, schemes=schemes, errors="collect", chunk_rows=3, engine="duckdb"))
        same(list(rubric.evaluate_columns(table, schemes=schemes, errors="collect", chunk_rows=3)), got)
        assert [(e.id, [d.code for d in e.diagnostics]) for b in got for e in b.errors] == \
            [(i, ["E510"]) for i in failed]


# ---------------------------------------------------------------------------------------------
# generated rubrics: divisions by counts that are often 0, wherever the language allows them

FACTS = "事实 c1: 计数 事实 c2: 计数 事实 c3: 计数 事实 b0: 是否 事实 b1: 是否 事实 d1: 计数 默认 0"
DIVISORS = ["c1", "c2", "c3", "d1", "(c1 - c2)"]


@st.composite
def number(draw: st.DrawFn, lets: tuple[str, ...], depth: int) -> str:
    """A number expression reading the counts and `lets`, with divisions by what is often 0."""
    leaves = ["c1", "c2", "c3", "d1", "2", *lets]
    kind = draw(st.sampled_from(["leaf", "leaf", "leaf", "divide"] + (["if", "min", "count", "sum"] if depth else [])))
    if kind == "leaf":
        return draw(st.sampled_from(leaves))
    if kind == "divide":
        inner = draw(number(lets, depth - 1)) if depth else draw(st.sampled_from(leaves))
        return f"({inner} / {draw(st.sampled_from([*DIVISORS, *lets]))})"
    if kind == "if":
        return f"(若 {draw(condition(lets, depth - 1))} 则 {draw(number(lets, depth - 1))} " \
               f"否则 {draw(number(lets, depth - 1))})"
    if kind == "min":
        pick = draw(st.sampled_from(["最小", "最大"]))
        return f"{pick}({draw(number(lets, depth - 1))}, {draw(number(lets, depth - 1))})"
    if kind == "count":
        return f"{draw(st.sampled_from(['满足数', '未满足数']))}[{draw(condition(lets, depth - 1))}, " \
               f"{draw(condition(lets, depth - 1))}]"
    return f"({draw(number(lets, depth - 1))} {draw(st.sampled_from(['+', '-', '*']))} {draw(number(lets, depth - 1))})"


@st.composite
def condition(draw: st.DrawFn, lets: tuple[str, ...], depth: int) -> str:
    """A condition: comparisons of such numbers, inside 且 / 或 / 非 / 任一 / 全部 / 属于."""
    kind = draw(st.sampled_from(["compare", "compare", "bool"] + (["and", "or", "not", "any", "in"] if depth else [])))
    if kind == "compare":
        op = draw(st.sampled_from([">", "<", "=", ">=", "!="]))
        right = draw(st.sampled_from(["0", "1", "0.5"]) if draw(st.booleans()) else number(lets, max(depth - 1, 0)))
        return f"{draw(number(lets, max(depth - 1, 0)))} {op} {right}"
    if kind == "bool":
        return draw(st.sampled_from(["b0", "b1"]))
    if kind == "not":
        return f"非 ({draw(condition(lets, depth - 1))})"
    if kind == "in":
        return f"{draw(number(lets, 0))} 属于 [{draw(st.sampled_from(['0', '1']))}, {draw(number(lets, depth - 1))}]"
    parts = [draw(condition(lets, depth - 1)) for _ in range(draw(st.integers(2, 3)))]
    if kind in ("and", "or"):
        return f"({(' 且 ' if kind == 'and' else ' 或 ').join(f'({p})' for p in parts)})"
    return f"{draw(st.sampled_from(['任一', '全部']))}[{', '.join(parts)}]"


@st.composite
def item(draw: st.DrawFn, name: str, lets: tuple[str, ...]) -> str:
    clauses = [f"不适用 如果 {draw(condition(lets, 1))}" for _ in range(draw(st.sampled_from([0, 1, 1, 2])))]
    if draw(st.integers(0, 3)) == 0:
        clauses.append(f"得分 = {draw(number(lets, 2))}")
    else:
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["if", "per", "award", "zero"]))
            clauses.append({"if": lambda: f"扣 1分 如果 {draw(condition(lets, 2))}",
                            "per": lambda: f"每 {draw(number(lets, 1))} 扣 1分",
                            "award": lambda: f"得 1分 如果 {draw(condition(lets, 2))}",
                            "zero": lambda: f"不得分 如果 {draw(condition(lets, 1))}"}[kind]())
        clauses.append(draw(st.sampled_from(["", "扣完为止", "最多扣 2分"])))
    return f"项目 {name} 5分 {{ {' '.join(clauses)} }}"


@st.composite
def divided_rubric(draw: st.DrawFn) -> tuple[str, tuple[str, ...]]:
    """A rubric's text and the schemes to grade it under."""
    lets: tuple[str, ...] = ()
    lines = [FACTS]
    for k in range(draw(st.integers(0, 2))):
        lines.append(f"令 L{k} = {draw(number(lets, 2))}")
        lets += (f"L{k}",)
    count = draw(st.integers(1, 3))
    lines.append(f"类型 S {5 * count}分 {{ {' '.join(draw(item(f'I{k}', lets)) for k in range(count))} }}")
    lines += [f"否决 如果 {draw(condition(lets, 2))}" for _ in range(draw(st.integers(0, 2)))]
    lines += [f'提示 如果 {draw(condition(lets, 1))} "提示{k}"' for k in range(draw(st.integers(0, 1)))]
    if draw(st.integers(0, 3)) == 0:
        lines.append(f"适用 如果 {draw(condition(lets, 1))}")

    def level(bound: str) -> str:
        extra = f" 且 {draw(condition(lets, 1))}" if draw(st.booleans()) else ""
        return f"{bound}{extra}"

    top, middle = 4 * count, 2 * count
    scheme = [level(f"上 >= {top}分"), level(f"中 >= {middle}分"), level("下")]
    scheme += [f"降档 1 如果 {draw(condition(lets, 1))}" for _ in range(draw(st.integers(0, 2)))]
    derived = ["好 = 上, 中", "不好 = 下"] + [f"降档 1 如果 {draw(condition(lets, 1))}" for _ in range(draw(st.integers(0, 1)))]
    text = f"标准 生成 {{ 精度 1 满分 {5 * count} 等级 档 {' '.join(lines)} }}\n" \
           f"等级 档 {{ {' '.join(scheme)} }}\n等级 次 基于 档 {{\n{chr(10).join(derived)}\n}}\n"
    schemes = draw(st.sampled_from([(), ("档",), ("次",), ("档", "次"), ("次", "档")]))
    return text, schemes


@st.composite
def evidence(draw: st.DrawFn) -> dict[str, Any]:
    # half the rows divide by nothing that is 0 (scored, unless 适用 fails); the rest by counts often 0
    counts = st.sampled_from([1, 2, 3] if draw(st.booleans()) else [0, 0, 1, 2, 3])
    record: dict[str, Any] = {"c1": draw(counts), "c2": draw(counts), "c3": draw(counts),
                              "b0": draw(st.booleans()), "b1": draw(st.booleans())}
    if draw(st.booleans()):
        record["d1"] = draw(counts)
    elif draw(st.booleans()):
        record["d1"] = 0
    return record


def typed(records: list[dict[str, Any]]) -> Any:
    """The records as a typed table, an absent d1 NULL (evidence_table would write its default)."""
    counts = {name: pa.array([r.get(name) for r in records], pa.int64()) for name in ("c1", "c2", "c3", "d1")}
    return pa.table({**counts, **{name: pa.array([r[name] for r in records], pa.bool_()) for name in ("b0", "b1")}})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(divided_rubric(), st.lists(evidence(), min_size=1, max_size=8))
def test_sql_is_e510_exactly_where_evaluate_is_and_scores_every_other_row_as_it_does(
        case: tuple[str, tuple[str, ...]], records: list[dict[str, Any]]) -> None:
    text, schemes = case
    rubric = loads(text)
    expected = [reference(rubric, record, schemes) for record in records]
    event(f"E510 rows: {'some' if any(e['error'] == 'E510' for e in expected) else 'none'}")
    event(f"scored rows: {'some' if any(e['error'] is None for e in expected) else 'none'}")
    avoided = any(e["error"] is None and 0 in (r["c1"], r["c2"], r["c3"]) for e, r in zip(expected, records))
    event(f"scored rows with a count 0: {'some' if avoided else 'none'}")
    table = typed(records)
    for engine in ENGINES:
        rows = scored(engine, rubric, table, schemes)
        assert [query_answer(rubric, row, schemes) for row in rows] == expected, f"{engine}\n{text}\n{records}"


def test_fractions_are_exact() -> None:
    """A quotient is compared exactly: 1/3 + 1/3 + 1/3 is 1, not 0.999…"""
    text = ATTENDANCE.format(rate="到会 / 应到 + 到会 / 应到 + 到会 / 应到").replace("少于 0.5", "< 1")
    rubric = loads(text)
    records = [{"到会": 1, "应到": 3}, {"到会": 1, "应到": 4}]
    for engine in ENGINES:
        rows = scored(engine, rubric, evidence_table(rubric, records))
        assert [summary(row) for row in rows] == [(None, None, 5), (None, None, 4)]  # 1 is not < 1; 3/4 is
        like_evaluate(rubric, records, rows)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", [LEVELS, ORDER, VETO, LEFT_OUT.format(rules="不适用 如果 到会 / 应到 > 1")])
def test_the_query_with_e510_parses_back_in_every_dialect(dialect: str, text: str) -> None:
    rubric = loads(text)
    sql = query_sql(rubric, dialect, spec=QuerySpec(schemes=tuple(rubric.schemes)))
    assert sqlglot.parse_one(sql, read=dialect) is not None
    assert "'E510'" in sql
