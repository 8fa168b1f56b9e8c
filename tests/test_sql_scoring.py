"""The scoring plan compiled to SQL (starrules.sql) and run on DuckDB: exact agreement with the
evaluator on every bundled rubric and its example evidence, with the independent reference
evaluator on generated rubrics, the query parsing back in six dialects, and the refusals (E607)."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from starrules import Rubric, StarrulesError, check_file, load, load_family, loads

sqlglot = pytest.importorskip("sqlglot")
duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

from starrules.sql.numbers import floor_div, half_up, lit, resolve  # noqa: E402
from starrules.sql.runner import evidence_table, score_duckdb  # noqa: E402
from starrules.sql.query import OutputColumn, QuerySpec, query_sql, result_columns  # noqa: E402
from tests.reference_evaluator import Reference  # noqa: E402
from tests.test_eval_properties import rubric_and_evidence  # noqa: E402
from tests.test_choices import TEXT as CHOICES_EXAMPLE

SQL_CODES = {"E607"}  # each has a test here (test_diagnostics counts them)
RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
EXAMPLES = RUBRICS / "examples"
DIALECTS = ["duckdb", "postgres", "mysql", "spark", "trino", "sqlite"]


def records(name: str) -> list[dict[str, Any]]:
    path = EXAMPLES / name
    if path.suffix == ".json":
        return [json.loads(path.read_text(encoding="utf-8"))]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def bundled() -> list[tuple[Path, str]]:
    """Every standard of every bundled rubric file, by file and name."""
    files = sorted(RUBRICS.glob("*.rubric")) + sorted(EXAMPLES.glob("*.rubric"))
    return [(path, name) for path in files for name in check_file(path).rubrics]


def bundled_evidence() -> dict[str, list[dict[str, Any]]]:
    """Each standard's example records: a batch file per rubric, and the 五好 records by domain
    (each goes to the standard its 领域 picks)."""
    found = {"两新争先创优": records("两新-批量.jsonl") + records("两新-示例支部.json"),
             "机关星级评定": records("机关星级评定-批量.jsonl"), "村社区争先创优": records("村社区-批量.jsonl"),
             "星级饭店": records("星级饭店-批量.jsonl"), "五好通用": records("五好-批量.jsonl"),
             "学院分类定级": records("学院分类定级-批量.jsonl"), "机关达标创星": records("机关达标创星-批量.jsonl")}
    family = load_family(RUBRICS / "五好党支部.rubric")
    for record in records("五好-分领域批量.jsonl"):
        found.setdefault(family.pick(record).name, []).append(record)
    return found


BUNDLED = bundled()
EVIDENCE = bundled_evidence()
REFUSED = {"学院分类定级", "机关达标创星"}  # 综合: several raters, not in SQL yet


def by_name(columns: tuple[OutputColumn, ...], row: Mapping[str, Any]) -> dict[str, Any]:
    """One result row (any engine's, as a mapping) by meaning: item and section scores by name
    (points), the total, the veto flags, the level under each scheme and the error code."""
    return {"items": {c.name: Fraction(row[c.column]) for c in columns if c.kind == "item" and not c.units},
            "sections": {c.name: Fraction(row[c.column]) for c in columns if c.kind == "section" and not c.units},
            "total": Fraction(row["total"]), "total_units": row["total_units"],
            "vetoes": [row[c.column] for c in columns if c.kind == "veto"],
            "levels": {c.name: row[c.column] for c in columns if c.kind == "level"},
            "error": row["error"]}


def assert_equals_evaluate(rubric: Rubric, records: list[dict[str, Any]], got: list[dict[str, Any]],
                           schemes: tuple[str, ...]) -> None:
    """Each record's row (`by_name`) equals `rubric.evaluate` in every item, section, total, veto and level."""
    assert len(got) == len(records)
    for record, row in zip(records, got, strict=True):
        result = rubric.evaluate(record, schemes=schemes)
        assert row["error"] is None
        assert row["levels"] == {s: result.levels[s].level for s in schemes}
        assert row["items"] == {i.name: Fraction(i.score) for i in result.items}, record.get("id")
        assert row["sections"] == {g.name: Fraction(g.score) for s in result.sections for g in (s, *s.nested())}
        assert row["total"] == Fraction(result.total)
        assert row["vetoes"] == [v.fired for v in result.vetoes]


def duckdb_scores(rubric: Rubric, rows: list[dict[str, Any]], schemes: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Per row, from DuckDB: `by_name`."""
    table = evidence_table(rubric, rows)
    columns = result_columns(rubric, QuerySpec(tuple(table.schema.names), schemes=schemes))
    return [by_name(columns, row) for row in score_duckdb(rubric, table, schemes).to_pylist()]


@pytest.mark.parametrize(("path", "name"), BUNDLED, ids=[f"{p.stem}-{n}" for p, n in BUNDLED])
def test_bundled_rubric_on_duckdb_equals_the_evaluator(path: Path, name: str) -> None:
    rubric = load(path, name)
    if name in REFUSED:
        with pytest.raises(StarrulesError) as caught:
            query_sql(rubric)
        assert [d.code for d in caught.value.diagnostics] == ["E607"]
        return
    rows = EVIDENCE[name]
    assert rows, f"{name} has no example evidence"
    schemes = tuple(rubric.schemes)
    assert_equals_evaluate(rubric, rows, duckdb_scores(rubric, rows, schemes), schemes)


@pytest.mark.parametrize(("path", "name"), [c for c in BUNDLED if c[1] not in REFUSED],
                         ids=[f"{p.stem}-{n}" for p, n in BUNDLED if n not in REFUSED])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_query_parses_back_in_every_dialect_and_never_goes_through_floats(path: Path, name: str, dialect: str) -> None:
    rubric = load(path, name)
    sql = query_sql(rubric, dialect, spec=QuerySpec(schemes=tuple(rubric.schemes)))
    assert sqlglot.parse_one(sql, read=dialect) is not None
    # sqlglot's own integer division renders through DOUBLE / REAL in some dialects: never used
    assert not any(word in sql.upper() for word in ("DOUBLE", "REAL", "FLOAT", "TRUNC("))


def test_half_up_and_floor_division_on_duckdb() -> None:
    """Each pair (n, d) → n/d half away from zero, and ⌊n/d⌋, worked out by hand."""
    cases = [(7, 2, 4, 3),  # 3.5 → 4; ⌊3.5⌋ = 3
             (-7, 2, -4, -4),  # −3.5 → −4; ⌊−3.5⌋ = −4
             (5, 3, 2, 1),  # 1.67 → 2; 1
             (-5, 3, -2, -2),  # −1.67 → −2; −2
             (1, 4, 0, 0),  # 0.25 → 0; 0
             (-1, 4, 0, -1),  # −0.25 → 0; ⌊−0.25⌋ = −1
             (3, 6, 1, 0),  # 0.5 → 1; 0
             (-3, 6, -1, -1),  # −0.5 → −1; −1
             (6, 3, 2, 2)]  # 2 exactly
    select = sqlglot.exp.select(*(expr for n, d, _, _ in cases
                                  for expr in (half_up(lit(n), lit(d)), floor_div(lit(n), lit(d)))))
    (row,) = duckdb.sql(resolve(select, "duckdb").sql(dialect="duckdb")).fetchall()
    assert list(row) == [v for _, _, rounded, floored in cases for v in (rounded, floored)]


TINY = """标准 小 {
    精度 0.5
    事实 人数: 计数
    事实 好: 是否
    类型 甲 10分 {
        项目 A 5分 { 每 3 人数 扣 1分 最多扣 3分 }
        项目 B 5分 { 起评 3分 加 1分 如果 好 不适用 如果 人数 < 1 }
    }
}"""


def test_tiny_rubric_scored_by_hand() -> None:
    rubric = loads(TINY)
    table = pa.table({"id": ["a", "b", "c"], "人数": pa.array([7, 0, 12], pa.int64()), "好": [True, False, True]})
    rows = score_duckdb(rubric, table).to_pylist()
    # a: A 5 − ⌊7/3⌋·1 = 3; B 3 + 1 = 4; 甲 7 of 10
    # b: A 5 (0 people: nothing); B 不适用 → 0, 甲's maximum 10 − 5 = 5; total 5
    # c: A ⌊12/3⌋ = 4 deducted, capped at 3 → 2; B 4; total 6
    got = [(r["id"], r["item_1"], r["item_2"], r["item_2_applicable"], r["section_1_max_units"], r["total"],
            r["total_units"]) for r in rows]
    assert [(i, float(a), float(b), ap, m, float(t), u) for i, a, b, ap, m, t, u in got] == [
        ("a", 3.0, 4.0, True, 20, 7.0, 14),  # units of 0.5: 7 points = 14
        ("b", 5.0, 0.0, False, 10, 5.0, 10),
        ("c", 2.0, 4.0, True, 20, 6.0, 12)]


def test_raters_are_refused_at_the_raters_block() -> None:
    rubric = load(RUBRICS / "机关达标创星.rubric")
    with pytest.raises(StarrulesError) as caught:
        query_sql(rubric)
    (diagnostic,) = caught.value.diagnostics
    line = next(n for n, text in enumerate((RUBRICS / "机关达标创星.rubric").read_text(encoding="utf-8").splitlines(), 1)
                if text.strip().startswith("综合"))
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E607", line, 5)
    assert "^" in diagnostic.render()


def test_a_float_column_is_refused_at_its_fact() -> None:
    rubric = loads("标准 浮 {\n    事实 率: 比例\n    类型 甲 10分 { 项目 A 10分 { 扣 1分 如果 率 < 50% } }\n}")
    with pytest.raises(StarrulesError) as caught:
        score_duckdb(rubric, pa.table({"率": pa.array([0.3], pa.float64())}))
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("E607", 2, 5)


def test_a_division_by_what_a_branch_gives_is_scored_or_flagged_e510() -> None:
    # the reference reports E510 for a divisor of 0: the query gives that row error E510 at the
    # 令 and scores nothing on it, and scores the other rows exactly; a constant divisor as before
    rubric = loads("标准 除 {\n    事实 甲: 计数\n    事实 乙: 计数\n    令 比 = 甲 / 乙\n"
                   "    类型 S 10分 { 项目 A 10分 { 扣 1分 如果 比 < 50% } }\n}")
    records = [{"甲": 1, "乙": 0}, {"甲": 1, "乙": 4}, {"甲": 3, "乙": 4}]
    rows = score_duckdb(rubric, evidence_table(rubric, records)).to_pylist()
    # 1/4 < 50%: 10 − 1 = 9; 3/4: 10
    assert [(r["error"], r["error_field"], r["item_1"], r["total"]) for r in rows] == [
        ("E510", "比", None, None), (None, None, Decimal("9.0"), Decimal("9.0")), (None, None, Decimal("10.0"), Decimal("10.0"))]
    with pytest.raises(StarrulesError) as caught:  # an EvidenceError
        rubric.evaluate(records[0])
    assert caught.value.code == "E510"
    assert [rubric.evaluate(r).total for r in records[1:]] == [9, 10]
    query_sql(loads("标准 常 {\n 事实 甲: 计数\n 类型 S 10分 { 项目 A 10分 { 扣 1分 如果 甲 / 4 < 1 } }\n}"))


def test_a_number_too_large_for_bigint_is_refused() -> None:
    rubric = loads("标准 大 {\n    事实 n: 数值\n    类型 甲 10分 { 项目 A 10分 { 扣 1分 如果 n > 9000000000000000000 } }\n}")
    with pytest.raises(StarrulesError) as caught:
        query_sql(rubric)
    assert [d.code for d in caught.value.diagnostics] == ["E607"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rubric_and_evidence())
def test_duckdb_equals_the_reference_on_generated_rubrics(case: tuple[Rubric, dict[str, Any]]) -> None:
    rubric, evidence = case
    (got,) = duckdb_scores(rubric, [evidence])
    total, items, sections = Reference(rubric, evidence).total()
    assert got["items"] == items
    assert got["sections"] == sections
    assert got["total"] == total


PATHS = CHOICES_EXAMPLE  # the 取其高 / 任选其一 example of docs/language.md, as tests/test_choices.py has it



def test_best_of_and_chosen_paths_by_hand() -> None:
    rubric = loads(PATHS)
    rows = [{"id": "a", "管理路径选用": "逐项", "围护缺陷": 1, "基础": 3, "性能化": 10, "设备": 7, "整体评价": 8,
             "制度": 5, "记录": 4},
            {"id": "b", "管理路径选用": "整体评价", "围护缺陷": 0, "基础": 3, "性能化": 16, "设备": 0, "整体评价": 8}]
    got = duckdb_scores(rubric, rows)
    # a: 规定性 (8 − 2) + 7 = 13 > 性能化 10 → 节能 3 + 13 = 16; 逐项 5 + 4 = 9 (整体评价 8 not counted); 25
    # b: 性能化 16 > 规定性 8 + 0 = 8 → 节能 3 + 16 = 19; 整体评价 8; 27
    assert [(g["sections"]["节能"], g["sections"]["管理"], g["total"]) for g in got] == [(16, 9, 25), (19, 8, 27)]


def test_a_count_stored_as_decimal_is_read_as_its_value_in_sqlite_and_duckdb() -> None:
    # SQLite keeps a DECIMAL(p, 2) column as the value × 100 (300 for 3.00): read back as 3 people
    from starrules.sql.runner import score_sqlite

    rubric = loads(TINY)
    table = pa.table({"id": ["a", "c"], "人数": pa.array([7, 12], pa.decimal128(10, 2)), "好": [True, True]})
    # a: A 5 − ⌊7/3⌋ = 3, B 4: 14 units; c: A 5 − min(4, 3) = 2, B 4: 12 units (as test_tiny_rubric_scored_by_hand)
    assert [(r["id"], r["item_1_units"], r["total_units"]) for r in score_sqlite(rubric, table)] == \
        [("a", 6, 14), ("c", 4, 12)]
    assert [(r["id"], r["item_1_units"], r["total_units"]) for r in score_duckdb(rubric, table).to_pylist()] == \
        [("a", 6, 14), ("c", 4, 12)]


def test_points_only_leaves_out_the_units_and_maxima() -> None:
    rubric = loads(TINY)
    table = pa.table({"id": ["a", "b"], "人数": pa.array([7, 0], pa.int64()), "好": [True, False]})
    spec = QuerySpec(("id", "人数", "好"), units=False)
    names = [c.column for c in result_columns(rubric, spec)]
    assert names == ["id", "error", "error_field", "item_1", "item_1_applicable", "item_2", "item_2_applicable",
                     "section_1", "total", "below_pass", "warning"]
    connection = duckdb.connect()
    connection.register("evidence", table)
    rows = connection.sql(query_sql(rubric, "duckdb", "evidence", spec)).to_arrow_table()
    assert rows.column_names == names
    # as test_tiny_rubric_scored_by_hand: a 3 + 4 = 7, b 5 + 不适用 = 5
    assert [(r["id"], r["item_1"], r["item_2"], r["total"]) for r in rows.to_pylist()] == \
        [("a", Decimal("3.0"), Decimal("4.0"), Decimal("7.0")), ("b", Decimal("5.0"), Decimal("0.0"), Decimal("5.0"))]
    # SQLite has no exact DECIMAL: its units stay
    assert "total_units" in [c.column for c in result_columns(rubric, spec, "sqlite")]


def test_points_are_64_bit_decimals_unless_an_item_has_no_floor() -> None:
    # TINY: every score lies within 0 … 10 points: DECIMAL(18, 1); an item 可倒扣 per person has no
    # lower bound, so its column (only) is DECIMAL(38, 1)
    rubric = loads(TINY)
    table = pa.table({"id": ["a"], "人数": pa.array([7], pa.int64()), "好": [True]})
    schema = score_duckdb(rubric, table).schema
    assert {schema.field(c).type for c in ("item_1", "item_2", "section_1", "total")} == {pa.decimal128(18, 1)}
    below = loads(TINY.replace("{ 每 3 人数 扣 1分 最多扣 3分 }", "{ 每 人数 扣 1分 可倒扣 }"))
    precisions = {c.column: c.precision for c in result_columns(below) if c.precision is not None}
    assert precisions == {"item_1": 38, "item_2": 18, "section_1": 18, "total": 18}
    schema = score_duckdb(below, table).schema
    assert (schema.field("item_1").type, schema.field("total").type) == (pa.decimal128(38, 1), pa.decimal128(18, 1))


def test_a_score_left_out_that_is_needed_after_all_is_e501_and_nothing_else_is_lost() -> None:
    # The reader lets a score be left out where the item may be 不适用 or is on a 任选其一 path; once
    # every item has run, the reference reports E501 for one the branch needed after all (it applies,
    # or its path is the chosen one). The query must not score such a row as if the score were 0.
    rubric = loads(PATHS)
    base = {"围护缺陷": 0, "基础": 3, "性能化": 16, "设备": 0}
    rows = [{"id": "整体", "管理路径选用": "整体评价", **base, "整体评价": 8},  # 制度, 记录 not on its path
            {"id": "逐项缺", "管理路径选用": "逐项", **base, "记录": 4},  # 制度 is on the chosen path
            {"id": "整体缺", "管理路径选用": "整体评价", **base, "制度": 5, "记录": 4}]  # 整体评价 is
    for row in rows[1:]:
        with pytest.raises(StarrulesError) as caught:
            rubric.evaluate(row)
        assert caught.value.diagnostics[0].code == "E501"
    table = evidence_table(rubric, rows)
    got = {r["id"]: (r["error"], r["error_field"], r["total"]) for r in score_duckdb(rubric, table).to_pylist()}
    # 整体: 节能 3 + 16 = 19, 管理 8: 27
    assert got == {"整体": (None, None, Decimal("27.0")), "逐项缺": ("E501", "制度", None),
                   "整体缺": ("E501", "整体评价", None)}
    optional = loads("标准 可空 {\n    事实 好: 是否\n    类型 甲 10分 {\n        项目 A 5分 { 酌情 }\n"
                     "        项目 E 5分 { 酌情 不适用 如果 好 }\n    }\n}")
    rows = [{"id": "不适用", "好": True, "A": 3}, {"id": "适用", "好": False, "A": 3}]
    with pytest.raises(StarrulesError) as caught:
        optional.evaluate(rows[1])
    assert caught.value.diagnostics[0].code == "E501"
    got = {r["id"]: (r["error"], r["error_field"], r["total"])
           for r in score_duckdb(optional, evidence_table(optional, rows)).to_pylist()}
    # 不适用: A 3, E left out of 甲's maximum: 3 of 5
    assert got == {"不适用": (None, None, Decimal("3.0")), "适用": ("E501", "E", None)}


# a score computed from a quotient of facts: the quotient's sign is SIGN(BIGINT), a DOUBLE in
# PostgreSQL and Spark, which must not make the score one (tests/test_sql_postgres.py, test_sql_spark.py)
RATE_SCORE = """标准 率分 {
    精度 0.5
    事实 到会: 计数
    事实 应到: 计数
    类型 S 5分 { 项目 I 5分 { 得分 = 到会 / 应到 * 5 } }
}"""
# 零 0 / 0: E510 at I; 半 1/4 × 5 = 1.25 = 2.5 half-points → 3 (half up) = 1.5; 满 3/4 × 5 = 3.75 → 8 = 4.0
RATE_SCORES = [("半", None, None, 3), ("满", None, None, 8), ("零", "E510", "I", None)]


def test_a_score_from_a_quotient_of_facts_on_duckdb() -> None:
    from tests.test_sql_division import ROWS

    rubric = loads(RATE_SCORE)
    rows = score_duckdb(rubric, evidence_table(rubric, ROWS)).to_pylist()
    assert sorted((r["id"], r["error"], r["error_field"], r["total_units"]) for r in rows) == RATE_SCORES
    assert [rubric.evaluate(r).total for r in ROWS[1:]] == [Decimal("1.5"), Decimal("4.0")]
